//! `[users]`: the User Service's settings.

use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

/// The User Service's settings. Every duration is in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct UsersConfig {
    /// `iss` of access tokens.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    /// Lifetime of an access token.
    pub access_token_ttl_secs: u64,
    /// A session ends this long after login, however active.
    pub session_absolute_ttl_secs: u64,
    /// A session ends after this long without a refresh.
    pub session_idle_ttl_secs: u64,
    /// A rotated refresh token presented again within this window returns the same new
    /// pair (two tabs refreshing at once) instead of counting as reuse.
    pub refresh_reuse_grace_secs: u64,
    /// bcrypt cost. 12 in production; only tests lower it.
    pub bcrypt_cost: u32,
    /// The Ed25519 signing key, PKCS#8 PEM. Wins over `signing_key_file`.
    pub signing_key: Option<SecretString>,
    /// File holding the PKCS#8 PEM signing key. Default: `<data_dir>/jwt-ed25519.pem`,
    /// generated on first run (fine for development; manage it yourself in production).
    pub signing_key_file: Option<PathBuf>,
    /// Public keys (base64url, 32 bytes) that still verify tokens after a key rotation.
    pub previous_public_keys: Vec<String>,
    /// Failed logins from one client (device, or else IP address) within
    /// `lockout_window_secs` that lock that client out of the account. Other clients,
    /// the owner's included, are not locked by them.
    pub lockout_threshold: u32,
    /// The window failed logins are counted in.
    pub lockout_window_secs: u64,
    /// How long a client's first lock lasts; each further lock doubles it.
    pub lockout_duration_secs: u64,
    /// The longest a client's lock lasts, however often it is locked again.
    pub lockout_max_duration_secs: u64,
    /// Failed logins for one account from clients without a device token (within the
    /// window, sliding) after which each further attempt from such a client is delayed:
    /// 1 s, doubling with each failure up to `lockout_account_max_delay_secs`.
    pub lockout_account_threshold: u32,
    /// The longest delay between attempts from clients without a device token.
    pub lockout_account_max_delay_secs: u64,
    /// How long a device token (handed out at login) marks its device as having signed
    /// in before.
    pub device_token_ttl_secs: u64,
    /// How long a profile stays in the Redis cache without being read by a change. Every
    /// profile or password change invalidates it at once; the TTL only bounds memory and
    /// changes made to `users.accounts` behind the service's back.
    pub profile_cache_ttl_secs: u64,
    /// Rate limits.
    pub rate_limit: RateLimitConfig,
}

/// `[users.rate_limit]`: requests per minute. 0 turns a limit off.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// `POST /auth/login`, per client IP.
    pub login_per_minute: u32,
    /// `POST /auth/register`, per client IP.
    pub register_per_minute: u32,
    /// `POST /auth/refresh`, per client IP.
    pub refresh_per_minute: u32,
    /// Every authenticated endpoint, per user.
    pub user_per_minute: u32,
    /// `POST /auth/password-check`, per client IP (forms call it as people type).
    pub password_check_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            login_per_minute: 10,
            register_per_minute: 10,
            refresh_per_minute: 60,
            user_per_minute: 600,
            password_check_per_minute: 120,
        }
    }
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self {
            issuer: "tandem".into(),
            audience: "tandem".into(),
            access_token_ttl_secs: 15 * 60,
            session_absolute_ttl_secs: 30 * 24 * 3600,
            session_idle_ttl_secs: 7 * 24 * 3600,
            refresh_reuse_grace_secs: 10,
            bcrypt_cost: 12,
            signing_key: None,
            signing_key_file: None,
            previous_public_keys: Vec::new(),
            lockout_threshold: 5,
            lockout_window_secs: 15 * 60,
            lockout_duration_secs: 15 * 60,
            lockout_max_duration_secs: 24 * 3600,
            lockout_account_threshold: 20,
            lockout_account_max_delay_secs: 60,
            device_token_ttl_secs: 180 * 24 * 3600,
            profile_cache_ttl_secs: 300,
            rate_limit: RateLimitConfig::default(),
        }
    }
}
