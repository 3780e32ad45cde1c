//! The credential services present to each other's `/internal/` endpoints.
//!
//! Calls between services (the Collaboration Service asking the Document Service for a role
//! or saving a version, the Document Service handing an edit to the Collaboration Service)
//! must not ride on a user's access token: a WebSocket outlives its token by hours. So each
//! service presents the deployment's *service token* instead, as
//! `Authorization: Bearer <token>`, and `/internal/` endpoints accept nothing else.
//!
//! The token is `services.internal_token`, or — when unset — the contents of
//! `<data_dir>/service-token`, generated (random, mode 0600) by the first instance
//! that needs it, like the development signing key.

use crate::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::sync::Arc;

/// The shortest `services.internal_token` accepted.
const MIN_TOKEN_LEN: usize = 32;

/// The deployment's service token.
#[derive(Clone)]
pub struct ServiceToken(Arc<SecretString>);

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceToken(***)")
    }
}

impl ServiceToken {
    /// The token `services.internal_token` names, else the one in `data_dir`.
    pub fn load(config: &crate::config::ServicesConfig, data_dir: &Path) -> crate::Result<Self> {
        if let Some(token) = &config.internal_token {
            // An empty token would match a request with no token at all.
            let token = token.expose_secret().trim();
            if token.len() < MIN_TOKEN_LEN {
                return Err(crate::Error::Config(format!(
                    "services.internal_token must be at least {MIN_TOKEN_LEN} characters \
                     (generate one with `openssl rand -hex 32`)"
                )));
            }
            return Ok(Self(Arc::new(SecretString::from(token.to_owned()))));
        }
        let path = data_dir.join("service-token");
        load_or_generate(&path).map(|t| Self(Arc::new(SecretString::from(t))))
    }

    /// The token itself, to send.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether `presented` is the token (in constant time).
    pub fn matches(&self, presented: &str) -> bool {
        let expected = self.expose().as_bytes();
        !expected.is_empty()
            && presented.len() == expected.len()
            && presented
                .bytes()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

fn load_or_generate(path: &Path) -> crate::Result<String> {
    use base64::Engine;
    use std::io::Write;
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim().to_owned();
        if !text.is_empty() {
            return Ok(text);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let token = format!(
        "tds_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand_bytes())
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(token.as_bytes())?;
            tracing::warn!(path = %path.display(), "generated a service token; in production set services.internal_token");
            Ok(token)
        }
        // Another instance (or service in this process) wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for _ in 0..50 {
                if let Ok(text) = std::fs::read_to_string(path)
                    && !text.trim().is_empty()
                {
                    return Ok(text.trim().to_owned());
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(crate::Error::Config(format!("{} is empty", path.display())))
        }
        Err(e) => Err(e.into()),
    }
}

fn rand_bytes() -> [u8; 32] {
    use sha2::Digest;
    // uuid's v4 uses the OS generator; two of them (244 random bits) through a hash.
    let mut hasher = sha2::Sha256::new();
    hasher.update(uuid::Uuid::new_v4().as_bytes());
    hasher.update(uuid::Uuid::new_v4().as_bytes());
    hasher.finalize().into()
}

/// Gives the [`Internal`] extractor the token in a service's state.
pub trait HasServiceToken {
    /// The token.
    fn service_token(&self) -> &ServiceToken;
}

/// Proof that a request came from another service of this deployment. A handler taking it
/// answers only requests carrying the service token.
#[derive(Debug, Clone, Copy)]
pub struct Internal;

impl<S: HasServiceToken + Send + Sync> FromRequestParts<S> for Internal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let presented = crate::auth::bearer_token(parts).unwrap_or_default();
        if state.service_token().matches(presented) {
            Ok(Internal)
        } else {
            Err(Problem::unauthorized(
                "Internal endpoints take only the deployment's service token.",
            )
            .with_code("service_unauthorized"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_is_shared_through_its_file_and_compared_exactly() {
        let dir = std::env::temp_dir().join(format!("tandem-token-{}", uuid::Uuid::new_v4()));
        let config = crate::config::ServicesConfig::default();
        let first = ServiceToken::load(&config, &dir).unwrap();
        let second = ServiceToken::load(&config, &dir).unwrap();
        assert_eq!(first.expose(), second.expose());
        assert!(first.expose().starts_with("tds_"));
        assert!(first.matches(second.expose()));
        assert!(!first.matches("tds_wrong"));
        assert!(!first.matches(""));
        assert_eq!(format!("{first:?}"), "ServiceToken(***)");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_configured_token_is_trimmed_and_an_empty_or_short_one_refused() {
        let dir = std::env::temp_dir().join(format!("tandem-token-{}", uuid::Uuid::new_v4()));
        let with = |token: &str| crate::config::ServicesConfig {
            internal_token: Some(SecretString::from(token.to_owned())),
            ..Default::default()
        };
        for bad in ["", "   ", "short-token"] {
            assert!(ServiceToken::load(&with(bad), &dir).is_err(), "{bad:?}");
        }
        let long = "0123456789abcdef0123456789abcdef";
        let token = ServiceToken::load(&with(&format!(" {long}\n")), &dir).unwrap();
        assert!(token.matches(long));
        assert!(!token.matches(""));
        assert!(!dir.exists(), "a configured token writes no file");
    }
}
