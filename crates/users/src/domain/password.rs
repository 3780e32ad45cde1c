//! The password policy.

/// A password that passed the policy. Never logged, never `Debug`-printed.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// The password text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The rules a new password must meet.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy;

impl PasswordPolicy {
    /// Minimum length, in characters.
    pub const MIN_CHARS: usize = 12;
    /// bcrypt reads only 72 bytes; longer passwords are refused rather than truncated.
    pub const MAX_BYTES: usize = 72;
    /// Minimum zxcvbn score (0–4).
    pub const MIN_SCORE: u8 = 3;

    /// Checks `raw` for an account with `email` and `username`. The error says what is
    /// wrong and how to fix it, using zxcvbn's feedback.
    pub fn check(raw: &str, email: &str, username: &str) -> Result<Password, String> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!(
                "must be at most {} bytes (fewer for non-ASCII characters)",
                Self::MAX_BYTES
            ));
        }
        let lower = raw.to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        for (what, value) in [("email address", local_part), ("username", username)] {
            if value.chars().count() >= 3 && lower.contains(&value.to_lowercase()) {
                return Err(format!("must not contain your {what}"));
            }
        }
        let inputs = [email, username, local_part];
        let estimate = zxcvbn::zxcvbn(raw, &inputs);
        if (estimate.score() as u8) < Self::MIN_SCORE {
            let mut message = String::from("is too easy to guess");
            if let Some(feedback) = estimate.feedback() {
                if let Some(warning) = feedback.warning() {
                    message.push_str(&format!(": {warning}"));
                }
                let tips: Vec<String> = feedback
                    .suggestions()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if !tips.is_empty() {
                    message.push_str(&format!(". {}", tips.join(" ")));
                }
            }
            if !message.contains("word") && !message.contains("Add") {
                message.push_str(". Add more words or characters that are less common.");
            }
            // zxcvbn's sentences end with a period of their own.
            return Err(message.replace("..", "."));
        }
        Ok(Password(raw.to_owned()))
    }

    /// Wraps a password that is only compared (login, confirming a change), never set:
    /// no policy applies, but the bcrypt byte limit still does.
    pub fn candidate(raw: &str) -> Result<Password, String> {
        if raw.len() > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes", Self::MAX_BYTES));
        }
        Ok(Password(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::PasswordPolicy;

    fn check(p: &str) -> Result<(), String> {
        PasswordPolicy::check(p, "ada@example.com", "zebra_q").map(|_| ())
    }

    #[test]
    fn strong_passphrases_pass() {
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("Vq8#mZ2!pL9@xR4$").is_ok());
    }

    #[test]
    fn short_long_and_weak_passwords_fail_with_a_reason() {
        assert!(check("short").unwrap_err().contains("at least 12"));
        assert!(check(&"a".repeat(73)).unwrap_err().contains("72 bytes"));
        // 36 two-byte characters: 36 characters, 72 bytes, fine; 37 is not.
        assert!(check(&"é".repeat(37)).unwrap_err().contains("72 bytes"));
        let weak = check("password1234").unwrap_err();
        assert!(weak.contains("too easy"), "{weak}");
        assert!(!weak.contains(".."), "{weak}");
        assert!(check("aaaaaaaaaaaaaaaa").unwrap_err().contains("too easy"));
    }

    #[test]
    fn passwords_containing_the_email_or_username_fail() {
        assert!(
            check("my-zebra_q-is-long-enough!")
                .unwrap_err()
                .contains("username")
        );
        assert!(check("ada-Zq8#mZ2!pL9@").unwrap_err().contains("email"));
    }
}
