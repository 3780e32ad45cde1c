//! Keyset pagination: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out.
//!
//! A cursor is opaque to clients: base64url of a small JSON value naming the last row seen
//! (its sort key and id). A malformed cursor is a 400 naming `cursor`.

use crate::problem::{FieldError, Problem};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// Most items per page.
pub const MAX_LIMIT: i64 = 100;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Checks `limit`: 1..=100, default 50.
pub fn limit(raw: Option<i64>) -> Result<i64, Problem> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(bad("limit", &format!("must be between 1 and {MAX_LIMIT}"))),
    }
}

/// Encodes the position after the last item of a page.
pub fn encode<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// Decodes a client's cursor.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> Result<T, Problem> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("cursor", "is not a cursor this endpoint returned"))
}

/// Builds a page from `rows` fetched with `limit + 1`: the extra row only says whether
/// there is a next page.
pub fn page<R, T, P: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    position: impl Fn(&R) -> P,
    item: impl Fn(R) -> T,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(|last| encode(&position(last)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(item).collect(),
        next_cursor,
    }
}

fn bad(field: &str, message: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "The query string is not valid",
    )
    .detail(format!("{field}: {message}"))
    .errors(vec![FieldError::new(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode(&("2026-01-01", 7));
        assert_eq!(
            decode::<(String, i32)>(&c).unwrap(),
            ("2026-01-01".into(), 7)
        );
        assert_eq!(
            decode::<(String, i32)>("!!!").unwrap_err().errors[0].field,
            "cursor"
        );
        assert!(decode::<(String, i32)>(&encode(&"x")).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 50);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let p = page(vec![1, 2, 3], 2, |r| *r, |r| r * 10);
        assert_eq!(p.items, vec![10, 20]);
        assert_eq!(decode::<i32>(p.next_cursor.as_deref().unwrap()).unwrap(), 2);
        let last = page(vec![1, 2], 2, |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }
}
