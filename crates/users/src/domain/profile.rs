//! Account fields.

use super::plain_text;

fn char_len(value: &str) -> usize {
    value.chars().count()
}

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Longest address SMTP allows.
    pub const MAX: usize = 254;

    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces.
    ///
    /// The address is normalised so that one mailbox has one spelling: the local part in
    /// Unicode NFC and lower case, the domain through IDNA (UTS #46) in its Unicode form, so
    /// `JOSÉ@Bücher.de`, its NFD spelling and `josé@xn--bcher-kva.de` are all
    /// `josé@bücher.de`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        use unicode_normalization::UnicodeNormalization;
        let lowered: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let value: String = match lowered.rsplit_once('@') {
            Some((local, domain)) if !domain.is_empty() => {
                let (domain, result) = idna::domain_to_unicode(domain);
                if result.is_err() {
                    return Err("must be an email address like name@example.com (the domain is not a valid name)".into());
                }
                format!("{}@{domain}", local.nfc().collect::<String>())
            }
            _ => lowered,
        };
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.len() > Self::MAX {
            return Err(format!("must be at most {} characters", Self::MAX));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err("must be an email address like name@example.com".into());
        };
        let valid = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && value
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c));
        if !valid {
            return Err("must be an email address like name@example.com".into());
        }
        Ok(Self(value))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A normalised (lower-case) username: 3–32 of `a-z 0-9 _ . -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let len = char_len(&value);
        if !(3..=32).contains(&len) {
            return Err("must be 3 to 32 characters".into());
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
        {
            return Err("may contain only letters, digits, '_', '.' and '-'".into());
        }
        if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("must start with a letter or digit".into());
        }
        Ok(Self(value))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a login names: an email (contains `@`) or a username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// An email address.
    Email(Email),
    /// A username.
    Username(Username),
}

impl Identifier {
    /// Parses a login identifier.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.contains('@') {
            Email::parse(raw).map(Self::Email)
        } else {
            Username::parse(raw).map(Self::Username)
        }
    }

    /// The normalised text, for lockout keys and audit.
    pub fn as_str(&self) -> &str {
        match self {
            Identifier::Email(e) => e.as_str(),
            Identifier::Username(u) => u.as_str(),
        }
    }
}

/// A display name: 1–100 characters of plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if char_len(value) > 100 {
            return Err("must be at most 100 characters".into());
        }
        if value.contains('\n') {
            return Err("must be a single line".into());
        }
        plain_text(value)?;
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bio: up to 500 characters of plain text (line breaks allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    /// Parses a bio.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if char_len(value) > 500 {
            return Err("must be at most 500 characters".into());
        }
        plain_text(value)?;
        Ok(Self(value.to_owned()))
    }

    /// The bio.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An avatar URL: absolute `https` or `http`, at most 2,048 characters. Other schemes
/// (`javascript:`, `data:`) are refused because clients put this in an `<img src>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarUrl(String);

impl AvatarUrl {
    /// Parses an avatar URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.len() > 2048 {
            return Err("must be at most 2048 characters".into());
        }
        let url = url::Url::parse(value).map_err(|_| "must be an absolute URL".to_owned())?;
        if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
            return Err("must be an http or https URL".into());
        }
        Ok(Self(url.to_string()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mailbox_has_one_spelling_whatever_its_unicode_form() {
        let nfc = Email::parse("jos\u{e9}@example.com").unwrap();
        let nfd = Email::parse("jose\u{301}@example.com").unwrap();
        assert_eq!(nfc, nfd);
        let unicode = Email::parse("Ada@Bücher.DE").unwrap();
        let punycode = Email::parse("ada@xn--bcher-kva.de").unwrap();
        assert_eq!(unicode.as_str(), "ada@bücher.de");
        assert_eq!(unicode, punycode);
        // Full-width letters in the domain map to their ordinary forms.
        assert_eq!(
            Email::parse("ada@ＥＸＡＭＰＬＥ.com").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("ada@exa_mple..com").is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a b@x.io", "ada@x", "a@@x.io", "a@x..io", "<a>@x.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("Ada_L").unwrap().as_str(), "ada_l");
        for bad in [
            "ab",
            "-ada",
            "ada lovelace",
            "ada'; drop table",
            &"a".repeat(33),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_pick_email_or_username() {
        assert!(matches!(
            Identifier::parse("a@x.io"),
            Ok(Identifier::Email(_))
        ));
        assert!(matches!(
            Identifier::parse("ada"),
            Ok(Identifier::Username(_))
        ));
    }

    #[test]
    fn avatar_urls_must_be_http() {
        assert!(AvatarUrl::parse("https://example.com/a.png").is_ok());
        assert!(AvatarUrl::parse("javascript:alert(1)").is_err());
        assert!(AvatarUrl::parse("data:image/png;base64,xx").is_err());
        assert!(AvatarUrl::parse("/relative.png").is_err());
    }

    #[test]
    fn display_names_and_bios_are_limited() {
        assert!(DisplayName::parse("Ada Lovelace").is_ok());
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(101)).is_err());
        assert!(Bio::parse(&"x".repeat(500)).is_ok());
        assert!(Bio::parse(&"x".repeat(501)).is_err());
    }
}
