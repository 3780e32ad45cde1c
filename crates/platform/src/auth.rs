//! Verifying access tokens, in every service.
//!
//! The User Service signs access tokens (EdDSA JWTs) and publishes its public keys as a
//! JWKS. Every service verifies tokens locally with those keys — no call to the User
//! Service per request — and then checks in Redis that the token's session is still live,
//! so a logout takes effect everywhere at once.

mod keys;
mod session;

pub use keys::{KeySet, PublicKey};
pub use session::{live_sessions, revoked_key, session_key, user_sessions_key};

use crate::problem::Problem;
use crate::redis::Redis;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The session id: logout revokes it, and with it every access token it issued.
    pub sid: Uuid,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token id.
    pub jti: Uuid,
}

/// Checks access tokens: signature with a pinned algorithm, `exp`, `iss`, `aud`, then the
/// session's liveness in Redis.
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: KeySet,
    validation: Arc<Validation>,
    redis: Redis,
    verified: Arc<VerifiedTokens>,
}

/// Tokens whose signature and claims already checked out, by SHA-256 of the token, until
/// they expire. An Ed25519 verification is the largest CPU cost of an authenticated request
/// (bench/users.sh), and a client sends the same token for up to 15 minutes. Revocation is
/// unaffected: the session is still checked in Redis on every request.
#[derive(Debug, Default)]
struct VerifiedTokens {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], Claims>>,
}

impl VerifiedTokens {
    /// Bounded so a flood of distinct valid tokens cannot grow memory without limit.
    const CAPACITY: usize = 50_000;

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, key: &[u8; 32], now: i64) -> Option<Claims> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|c| c.exp > now).cloned()
    }

    fn insert(&self, key: [u8; 32], claims: Claims) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= Self::CAPACITY {
            // Crude but bounded: start over. Tokens are re-verified on their next use.
            entries.clear();
        }
        entries.insert(key, claims);
    }
}

/// An authenticated caller. Extracting it from a request verifies the bearer token; a
/// handler that takes `Caller` cannot run unauthenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user_id: Uuid,
    /// The session the token belongs to.
    pub session_id: Uuid,
    /// All claims.
    pub claims: Claims,
}

/// Why a token was refused. Every variant is a 401 (or 503 when Redis is down); the
/// reason goes to the log, not to the client, so probing learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer token")]
    Missing,
    /// Bad signature, algorithm, expiry, issuer, audience or shape.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The session was ended (logout, reuse detection, password change) or expired.
    #[error("session is no longer active")]
    Revoked,
    /// Redis could not be asked.
    #[error("session store unavailable")]
    Unavailable(#[from] ::redis::RedisError),
}

impl From<AuthError> for Problem {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing => {
                Problem::unauthorized("Send an access token as `Authorization: Bearer <token>`.")
            }
            AuthError::Unavailable(e) => {
                tracing::error!(error = %e, "cannot check session liveness");
                Problem::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "session_store_unavailable",
                    "Service unavailable",
                )
                .detail("Sessions cannot be checked right now; try again shortly.")
            }
            other => {
                tracing::info!(reason = %other, "access token refused");
                Problem::unauthorized("The access token is invalid, expired or revoked.")
            }
        }
    }
}

impl Verifier {
    /// A verifier for tokens from `issuer` to `audience`, signed by a key in `keys`.
    pub fn new(keys: KeySet, issuer: &str, audience: &str, redis: Redis) -> Self {
        // Pinned: only EdDSA. `alg: none`, HS256-with-the-public-key and every other
        // algorithm confusion fail here, before any key is used.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            keys,
            validation: Arc::new(validation),
            redis,
            verified: Arc::default(),
        }
    }

    /// Verifies the signature and claims, without the session check.
    pub async fn decode(&self, token: &str) -> Result<Claims, AuthError> {
        let key = VerifiedTokens::key(token);
        // Expiry is re-checked on every hit (without the decoder's 5 s leeway: stricter).
        if let Some(claims) = self.verified.get(&key, chrono::Utc::now().timestamp()) {
            return Ok(claims);
        }
        let claims = self.decode_uncached(token).await?;
        self.verified.insert(key, claims.clone());
        Ok(claims)
    }

    async fn decode_uncached(&self, token: &str) -> Result<Claims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid(format!("algorithm {:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("no kid".into()))?;
        let key = self
            .keys
            .get(&kid)
            .await
            .ok_or_else(|| AuthError::Invalid(format!("unknown kid {kid}")))?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        Ok(data.claims)
    }

    /// Verifies `token` fully: signature, claims and a live session.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let claims = self.decode(token).await?;
        if !session::is_live(&self.redis, claims.sid).await? {
            return Err(AuthError::Revoked);
        }
        tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
        Ok(Caller {
            user_id: claims.sub,
            session_id: claims.sid,
            claims,
        })
    }
}

/// Gives extractors access to the verifier in a service's state.
pub trait HasVerifier {
    /// The verifier.
    fn verifier(&self) -> &Verifier;
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl<S> FromRequestParts<S> for Caller
where
    S: HasVerifier + Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer_token(parts).ok_or(AuthError::Missing)?;
        let caller = state.verifier().verify(token).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
