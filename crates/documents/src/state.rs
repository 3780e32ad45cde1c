//! The service object and its handlers' shared state.

use crate::cache::Cache;
use crate::config::DocumentsConfig;
use crate::users_client::Users;
use axum::Router;
use std::sync::Arc;
use tandem_platform::Platform;
use tandem_platform::auth::{HasVerifier, KeySet, Verifier};

/// The Document Service, built and ready to route.
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
    pub config: DocumentsConfig,
    pub verifier: Verifier,
    pub cache: Cache,
    pub users: Users,
    pub limiter: tandem_platform::ratelimit::RateLimiter,
    pub analytics: crate::analytics::Analytics,
    pub storage: crate::storage::Storage,
    pub converter: crate::convert::Converter,
    pub fonts: Arc<crate::export::pdf::Fonts>,
    pub service_token: tandem_platform::internal::ServiceToken,
    pub collab: crate::collab_client::Collab,
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

impl tandem_platform::internal::HasServiceToken for AppState {
    fn service_token(&self) -> &tandem_platform::internal::ServiceToken {
        &self.0.service_token
    }
}

impl Service {
    /// Prepares the service. `verifier` checks access tokens: pass the User Service's own
    /// verifier when both run in one process, or use [`Service::remote_verifier`].
    pub fn new(
        platform: Platform,
        config: DocumentsConfig,
        verifier: Verifier,
    ) -> anyhow::Result<Self> {
        let storage =
            crate::storage::Storage::open(&config.storage, &platform.config.server.data_dir)?;
        let cache = Cache::new(
            platform.redis.clone(),
            config.cache_ttl_secs,
            &platform.metrics,
        );
        let users = Users::new(platform.config.services.users_url.clone());
        let limiter = tandem_platform::ratelimit::RateLimiter::new(platform.redis.clone());
        let analytics = crate::analytics::Analytics::new(
            platform.redis.clone(),
            config.analytics_queue,
            &platform.metrics,
        );
        let service_token = tandem_platform::internal::ServiceToken::load(
            &platform.config.services,
            &platform.config.server.data_dir,
        )?;
        let collab = crate::collab_client::Collab::new(
            platform.config.services.collab_url.clone(),
            service_token.clone(),
        );
        let converter = crate::convert::Converter::new(
            config.conversion_concurrency,
            std::time::Duration::from_secs(config.conversion_timeout_secs),
        );
        let fonts = crate::export::pdf::Fonts::shared(&config.font_dirs);
        Ok(Self {
            state: AppState(Arc::new(Inner {
                platform,
                config,
                verifier,
                cache,
                users,
                limiter,
                analytics,
                storage,
                converter,
                fonts,
                service_token,
                collab,
            })),
        })
    }

    /// A verifier that fetches the User Service's JWKS from `[services] users_url`.
    pub fn remote_verifier(platform: &Platform, issuer: &str, audience: &str) -> Verifier {
        let mut url = platform.config.services.users_url.clone();
        url.set_path("/.well-known/jwks.json");
        Verifier::new(
            KeySet::remote(url),
            issuer,
            audience,
            platform.redis.clone(),
        )
    }

    /// The service's routes.
    pub fn router(&self) -> Router {
        crate::routes::router(self.state.clone())
    }

    /// Starts the background job that purges documents left in the trash too long.
    pub fn spawn_purge(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(crate::purge::run(self.state.clone()))
    }

    /// Starts the usage analytics jobs: the writer that buffers recorded events in Redis
    /// and the job that flushes them to PostgreSQL every `analytics_flush_secs`. Until it
    /// runs, recorded events wait in a bounded queue (then are dropped).
    pub fn spawn_analytics(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(crate::analytics::run(self.state.clone()))
    }
}
