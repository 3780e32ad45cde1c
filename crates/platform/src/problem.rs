//! RFC 9457 `application/problem+json` error responses.
//!
//! Every error any tandem service returns has this shape:
//!
//! ```json
//! {
//!   "type": "urn:tandem:problem:validation_failed",
//!   "title": "The request is not valid",
//!   "status": 422,
//!   "detail": "2 fields are invalid",
//!   "code": "validation_failed",
//!   "request_id": "0193…",
//!   "errors": [{ "field": "title", "message": "must not be empty" }]
//! }
//! ```
//!
//! `code` is stable and meant for programs; `title` and `detail` are for people.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

tokio::task_local! {
    /// The id of the request being handled, set by the request-id middleware so that any
    /// error created deep inside a handler can carry it without threading it through.
    pub static REQUEST_ID: String;
}

/// The id of the request this task is serving, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as named in the request (`title`, `email`, `role`, a query parameter…).
    pub field: String,
    /// What is wrong with it and, where possible, how to fix it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error response body (RFC 9457) plus the headers that go with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:tandem:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A stable, machine-readable code.
    pub code: String,
    /// The request id (also in the `x-request-id` header), to quote in bug reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Per-field validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members specific to the problem (for example `current_version`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with a status, a stable code and a human title.
    pub fn new(status: StatusCode, code: &str, title: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:tandem:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            code: code.to_owned(),
            request_id: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds the human explanation of this occurrence.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Replaces the stable code (and the type URI derived from it).
    pub fn with_code(mut self, code: &str) -> Self {
        self.kind = format!("urn:tandem:problem:{code}");
        self.code = code.to_owned();
        self
    }

    /// Adds field errors.
    pub fn errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.extensions.insert(key.to_owned(), value);
        self
    }

    /// Adds a response header (for example `Retry-After`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 422: the body parsed but its fields are invalid.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request is not valid",
        )
        .detail(detail)
        .errors(errors)
    }

    /// 422 for a single field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 400: the request could not be read at all (malformed JSON, bad query string).
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "The request is malformed").detail(detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication is required",
        )
        .detail(detail)
        .header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(detail)
    }

    /// 404. Also used for things the caller may not know exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found").detail(detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict").detail(detail)
    }

    /// 500, deliberately saying nothing about the cause. Log the cause where it happened.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
        .detail("The server failed to handle the request. Quote the request id when reporting it.")
    }

    /// A generic problem for a bare status code, used when a layer (not a handler) answers.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "No resource lives at this path."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This path does not accept that method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "The request body is larger than the server accepts.",
            ),
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                ("timeout", "The server did not finish the request in time.")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "The request body has a content type this endpoint does not accept.",
            ),
            s if s.is_server_error() => return Self::internal(),
            _ => ("http_error", "The request could not be handled."),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        Self::new(status, code, title).detail(detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        if self.request_id.is_none() {
            self.request_id = current_request_id();
        }
        let status = self.status();
        let headers = std::mem::take(&mut self.headers);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        for (name, value) in headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}
