//! Validated values. Input is parsed into these at the edge; once inside the service a value
//! is known to be valid, so storage and business logic never re-check.
//!
//! Each `parse` returns the message a client sees in `errors[].message`.

mod password;
mod profile;

pub use password::{Password, PasswordPolicy};
pub use profile::{AvatarUrl, Bio, DisplayName, Email, Identifier, Username};

/// Rejects text that is not plain: control characters, or anything that looks like an HTML
/// tag. Clients render these fields as text, but a stored `<script>` is one careless client
/// away from running; refusing it is clearer than silently rewriting what the user typed.
fn plain_text(value: &str) -> Result<(), String> {
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters".into());
    }
    let bytes = value.as_bytes();
    let looks_like_tag = bytes.windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))
    });
    if looks_like_tag {
        return Err("must be plain text: HTML tags are not allowed".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn plain_text_refuses_markup_but_allows_angle_brackets_in_prose() {
        assert!(plain_text("<script>alert(1)</script>").is_err());
        assert!(plain_text("<img src=x onerror=alert(1)>").is_err());
        assert!(plain_text("hi <!-- x -->").is_err());
        assert!(plain_text("a < b and b > c, <3").is_ok());
        assert!(plain_text("tab\there").is_err());
    }
}
