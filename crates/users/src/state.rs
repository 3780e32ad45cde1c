//! The service object and the state its handlers share.

use crate::auth::device::DeviceTokens;
use crate::auth::hashing::Hasher;
use crate::auth::signing::Signer;
use crate::config::UsersConfig;
use crate::store::lockout::{self, Lockout};
use crate::store::profiles::Profiles;
use crate::store::sessions::{Lifetimes, Sessions};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tandem_platform::Platform;
use tandem_platform::auth::{HasVerifier, Verifier};
use tandem_platform::ratelimit::{Limit, RateLimiter};

/// The User Service, built and ready to route.
#[derive(Debug, Clone)]
pub struct Service {
    state: AppState,
}

/// Handler state. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState(Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub platform: Platform,
    pub config: UsersConfig,
    pub hasher: Hasher,
    pub signer: Signer,
    pub verifier: Verifier,
    pub sessions: Sessions,
    pub lockout: Lockout,
    pub devices: DeviceTokens,
    pub profiles: Profiles,
    pub limiter: RateLimiter,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl HasVerifier for AppState {
    fn verifier(&self) -> &Verifier {
        &self.0.verifier
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl Service {
    /// Loads the signing key and prepares the service.
    pub async fn new(platform: Platform, config: UsersConfig) -> anyhow::Result<Self> {
        let hasher = Hasher::new(config.bcrypt_cost).await?;
        let signer = Signer::load(&config, &platform.config.server.data_dir)?;
        let verifier = Verifier::new(
            signer.key_set(),
            &config.issuer,
            &config.audience,
            platform.redis.clone(),
        );
        let sessions = Sessions::new(
            platform.redis.clone(),
            Lifetimes {
                absolute: secs(config.session_absolute_ttl_secs),
                idle: secs(config.session_idle_ttl_secs),
                access: secs(config.access_token_ttl_secs),
                grace: secs(config.refresh_reuse_grace_secs),
            },
        );
        let lockout = Lockout::new(
            platform.redis.clone(),
            lockout::Policy {
                threshold: config.lockout_threshold,
                window: secs(config.lockout_window_secs),
                duration: secs(config.lockout_duration_secs),
                max_duration: secs(config.lockout_max_duration_secs),
                account_threshold: config.lockout_account_threshold,
                account_max_delay: secs(config.lockout_account_max_delay_secs),
            },
        );
        let devices = signer.device_tokens(config.device_token_ttl_secs);
        let profiles = Profiles::new(
            platform.redis.clone(),
            config.profile_cache_ttl_secs,
            &platform.metrics,
        );
        let limiter = RateLimiter::new(platform.redis.clone());
        Ok(Self {
            state: AppState(Arc::new(Inner {
                platform,
                config,
                hasher,
                signer,
                verifier,
                sessions,
                lockout,
                devices,
                profiles,
                limiter,
            })),
        })
    }

    /// The service's routes.
    pub fn router(&self) -> Router {
        crate::routes::router(self.state.clone())
    }

    /// A verifier for access tokens this service issues, for services in the same process.
    pub fn verifier(&self) -> Verifier {
        self.state.verifier.clone()
    }
}

impl Inner {
    pub(crate) fn limit(&self, name: &'static str, per_minute: u32) -> Limit {
        Limit {
            name,
            max: per_minute,
            window: Duration::from_secs(60),
        }
    }
}
