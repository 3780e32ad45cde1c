//! Request extractors whose rejections are `application/problem+json` naming the field.
//!
//! axum's own `Json`, `Query` and `Path` answer bad input with plain text; services use
//! these instead so every 4xx has the same shape and says exactly what to fix.

use crate::problem::{FieldError, Problem};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A JSON request body (and a JSON response).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            )
            .detail("Send the body as JSON with `Content-Type: application/json`."));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| Problem::from_status(rejection.status()))?;
        parse_json(&bytes).map(Json)
    }
}

/// Deserializes `bytes`, turning serde's error into a problem that names the field.
///
/// A string holding NUL (`\u0000`) is refused with a 422 naming its field, whatever the
/// type: no text field of tandem's means anything with one, and PostgreSQL text cannot
/// store it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if let Some(field) = field_with_nul(bytes) {
        return Err(Problem::invalid_field(
            &field,
            "must not contain NUL characters (U+0000)",
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = strip_position(&message);
                let field = if path == "." {
                    // "missing field `title`" is reported against the parent object.
                    missing_field(message).unwrap_or("body").to_owned()
                } else {
                    path
                };
                Problem::invalid_field(&field, message)
            }
            _ => Problem::bad_request(
                "malformed_json",
                format!("The body is not valid JSON: {inner}"),
            ),
        }
    })
}

/// The path (`title`, `items[2].name`) of the first string or key holding NUL, if any.
/// Only bodies that spell `\u0000` somewhere are parsed a second time to find it.
fn field_with_nul(bytes: &[u8]) -> Option<String> {
    let suspicious = bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0'));
    if !suspicious {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut stack = vec![(String::new(), &value)];
    while let Some((path, value)) = stack.pop() {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) if s.contains('\0') => {
                return Some(if path.is_empty() { "body".into() } else { path });
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((
                        format!("{}[{i}]", if path.is_empty() { "body" } else { &path }),
                        item,
                    ));
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    if key.contains('\0') {
                        return Some(join(&key.replace('\0', "")));
                    }
                    stack.push((join(key), item));
                }
            }
            _ => {}
        }
    }
    None
}

fn strip_position(message: &str) -> &str {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string, parsed so that a bad parameter is a 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let name = name.replace('\0', "");
            let message = "must not contain NUL characters (U+0000)";
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "The query string is not valid",
            )
            .detail(format!("{name}: {message}"))
            .errors(vec![FieldError::new(name, message)]));
        }
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.into_inner().to_string();
                let field = if path == "." {
                    missing_field(&message).unwrap_or("query").to_owned()
                } else {
                    path
                };
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "The query string is not valid",
                )
                .detail(format!("{field}: {message}"))
                .errors(vec![FieldError::new(field, message)])
            })
    }
}

/// Path parameters; a malformed one (say, an id that is not a UUID) is a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    "A path parameter is not valid",
                )
                .detail(rejection.body_text())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        size: u32,
    }

    #[test]
    fn a_missing_field_is_named() {
        let problem = parse_json::<Body>(br#"{"size": 1}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "title");
    }

    #[test]
    fn a_wrongly_typed_field_is_named() {
        let problem = parse_json::<Body>(br#"{"title": "x", "size": "big"}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "size");
    }

    #[test]
    fn nul_in_any_string_is_a_422_naming_the_field() {
        let problem = parse_json::<Body>(br#"{"title": "a\u0000b", "size": 1}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "title");
        let problem =
            parse_json::<serde_json::Value>(br#"{"a": {"b": ["ok", "x\u0000"]}}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "a.b[1]");
        // An escaped backslash followed by u0000 is six ordinary characters.
        let fine = parse_json::<Body>(br#"{"title": "\\u0000", "size": 1}"#).unwrap();
        assert_eq!(fine.title, "\\u0000");
    }

    #[test]
    fn broken_json_is_a_400() {
        let problem = parse_json::<Body>(b"{\"title\": ").unwrap_err();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.code, "malformed_json");
    }
}
