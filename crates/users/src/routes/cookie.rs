//! Browser mode: the refresh token in an `HttpOnly` cookie instead of the JSON body.
//!
//! A web app should never hold the refresh token in JavaScript, where any injected script
//! could read it. A request that carries `X-Tandem-Browser: 1` asks for browser mode: login
//! and refresh then set the refresh token as the cookie below and leave it out of the body,
//! and refresh reads it from the cookie. The custom header is the CSRF guard: a cross-site
//! form or `fetch` cannot add it without a CORS preflight, which tandem never grants, and the
//! cookie is `SameSite=Strict` besides. API clients keep the JSON fields and never see a cookie.

use super::dto::TokenResponse;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::extract::Json;

/// The cookie's name. (`__Host-` would demand `Path=/`; this cookie is for `/auth` only.)
pub(crate) const COOKIE: &str = "tandem_refresh";
/// The request header that selects browser mode.
pub(crate) const HEADER: &str = "x-tandem-browser";

/// What a request says about browser mode.
#[derive(Debug, Clone, Default)]
pub(crate) struct Browser {
    /// `X-Tandem-Browser: 1` was sent.
    pub enabled: bool,
    /// The refresh cookie, if the browser sent one.
    pub cookie: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

impl Browser {
    fn from_headers(headers: &HeaderMap) -> Self {
        let enabled = headers
            .get(HEADER)
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty());
        Self { enabled, cookie }
    }

    /// The token response: as JSON for API clients; in browser mode with the refresh
    /// token moved from the body into the cookie.
    pub fn respond(&self, mut tokens: TokenResponse) -> Response {
        if !self.enabled {
            return Json(tokens).into_response();
        }
        let max_age = (tokens.refresh_token_expires_at - chrono::Utc::now())
            .num_seconds()
            .max(0);
        let token = tokens.refresh_token.take().unwrap_or_default();
        let mut response = Json(tokens).into_response();
        set(&mut response, &cookie(&token, max_age));
        response
    }
}

/// Adds a `Set-Cookie` that deletes the refresh cookie: after logout, or when the cookie's
/// token was refused (so the browser stops sending a dead one).
pub(crate) fn clear(response: &mut Response) {
    set(response, &cookie("", 0));
}

fn cookie(value: &str, max_age: i64) -> String {
    // `Secure` is accepted on http://localhost by browsers; anywhere else, serve tandem
    // over HTTPS (docs/deployment.md).
    format!("{COOKIE}={value}; Path=/auth; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

fn set(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    // A response that sets a credential must never be stored by a shared cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let b = Browser::from_headers(&headers(&[
            ("cookie", "theme=dark; tandem_refresh=tdr_abc; other=1"),
            ("x-tandem-browser", "1"),
        ]));
        assert!(b.enabled);
        assert_eq!(b.cookie.as_deref(), Some("tdr_abc"));
    }

    #[test]
    fn an_empty_cookie_or_another_header_value_is_not_browser_mode() {
        let b = Browser::from_headers(&headers(&[
            ("cookie", "tandem_refresh="),
            ("x-tandem-browser", "yes"),
        ]));
        assert!(!b.enabled);
        assert_eq!(b.cookie, None);
    }

    #[test]
    fn the_cookie_is_http_only_secure_strict_and_scoped_to_auth() {
        let c = cookie("tdr_x", 60);
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/auth",
            "Max-Age=60",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
    }
}
