//! Validated values of the Document Service.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A document title: 1–500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Longest title, in characters.
    pub const MAX: usize = 500;

    /// Parses a title (trimmed).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > Self::MAX {
            return Err(format!("must be at most {} characters", Self::MAX));
        }
        if value.chars().any(char::is_control) {
            return Err("must be a single line without control characters".into());
        }
        Ok(Self(value.to_owned()))
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Markdown content within the configured size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content(String);

impl Content {
    /// Checks `raw` against `max_bytes`. NUL is refused: PostgreSQL text cannot hold it.
    pub fn parse(raw: String, max_bytes: usize) -> Result<Self, String> {
        if raw.len() > max_bytes {
            return Err(format!("must be at most {max_bytes} bytes"));
        }
        if raw.contains('\0') {
            return Err("must not contain NUL characters".into());
        }
        Ok(Self(raw))
    }

    /// The content.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The content, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A role someone has on a document, weakest first, so roles compare with `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// View, list versions, search, export.
    Read,
    /// Read, plus edit.
    Write,
    /// Write, plus share, delete, restore and manage templates.
    Admin,
    /// Admin, and cannot be removed. Exactly one per document; never granted by sharing.
    Owner,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Parses a stored or requested role.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    /// Parses a role that may be granted by sharing (not `owner`).
    pub fn parse_grantable(raw: &str) -> Result<Self, String> {
        match Self::parse(raw) {
            Some(Role::Owner) => Err("cannot be granted: a document has exactly one owner".into()),
            Some(role) => Ok(role),
            None => Err("must be one of: read, write, admin".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_limited() {
        assert_eq!(Title::parse("  Notes ").unwrap().as_str(), "Notes");
        assert!(Title::parse("").is_err());
        assert!(Title::parse(&"é".repeat(500)).is_ok());
        assert!(Title::parse(&"é".repeat(501)).is_err());
        assert!(Title::parse("a\nb").is_err());
    }

    #[test]
    fn roles_order_by_power() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Write && Role::Write > Role::Read);
        assert!(Role::parse_grantable("owner").is_err());
        assert!(Role::parse_grantable("superuser").is_err());
        assert_eq!(Role::parse_grantable("write"), Ok(Role::Write));
    }

    #[test]
    fn content_is_limited_in_bytes() {
        assert!(Content::parse("abc".into(), 3).is_ok());
        assert!(Content::parse("abcd".into(), 3).is_err());
        assert!(Content::parse("a\0".into(), 10).is_err());
    }
}
