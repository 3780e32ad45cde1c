//! The Collaboration Service: a WebSocket session per document, operational
//! transformation on `tandem-ot`, a durable group-committed op log in PostgreSQL, and
//! fan-out across instances through Redis Streams. The protocol and the design are in
//! docs/collab-protocol.md.
//!
//! It owns the `collab` PostgreSQL schema and the `collab:` Redis keys. It checks roles,
//! loads and saves through the Document Service's internal API (with the service token),
//! and hears about shares, trash and renames on the Document Service's event channel.

pub mod clients;
pub mod commit;
pub mod config;
pub mod document;
pub mod error;
mod events;
pub mod fanout;
pub mod hub;
pub mod metrics;
mod outbox;
pub mod presence;
pub mod protocol;
mod retention;
mod routes;
mod session;
pub mod store;

pub use config::CollabConfig;
pub use routes::openapi;

use std::sync::Arc;
use tandem_platform::Platform;
use tandem_platform::auth::Verifier;

/// Applies the Collaboration Service's migrations to its own schema.
pub async fn migrate(pool: &sqlx::PgPool) -> tandem_platform::Result<()> {
    tandem_platform::db::migrate_schema(pool, "collab", &sqlx::migrate!("./migrations")).await
}

/// The Collaboration Service, built and ready to route.
#[derive(Debug, Clone)]
pub struct Service {
    hub: Arc<hub::Hub>,
    token: tandem_platform::internal::ServiceToken,
}

impl Service {
    /// Starts the instance (its committer, inbox reader and background jobs). `verifier`
    /// checks access tokens: the User Service's own in one process, else a remote one.
    pub fn start(
        platform: Platform,
        config: CollabConfig,
        verifier: Verifier,
    ) -> anyhow::Result<Self> {
        let token = tandem_platform::internal::ServiceToken::load(
            &platform.config.services,
            &platform.config.server.data_dir,
        )?;
        let documents = clients::Documents::new(
            platform.config.services.documents_url.clone(),
            token.clone(),
        );
        let hub = hub::Hub::start(platform, config, verifier, documents);
        Ok(Self { hub, token })
    }

    /// The service's routes.
    pub fn router(&self) -> axum::Router {
        routes::router(routes::AppState {
            hub: self.hub.clone(),
            token: self.token.clone(),
        })
    }

    /// Closes every socket with 1012 (so clients reconnect to another instance at once) and
    /// refuses new ones. Call on SIGTERM, before the HTTP server stops.
    pub async fn drain(&self) {
        self.hub.drain().await;
    }

    /// This instance's id among the instances.
    pub fn instance(&self) -> &str {
        &self.hub.instance
    }
}
