//! What every tandem service shares.
//!
//! A service crate builds its routes and domain on top of this crate and gets, for free,
//! the same configuration loading, connections, request handling, error format, health
//! checks and metrics as every other service. The `tandem` binary composes the services.

pub mod auth;
pub mod cache;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
pub mod internal;
pub mod metrics;
pub mod pagination;
pub mod problem;
pub mod ratelimit;
pub mod redis;
pub mod server;
pub mod telemetry;

pub use config::PlatformConfig;
pub use error::{Error, Result};
pub use problem::{FieldError, Problem};

/// The shared handles a service is built from.
///
/// Cloning is cheap: every field is a handle to a pool or an `Arc`.
#[derive(Clone, Debug)]
pub struct Platform {
    /// The platform part of the configuration.
    pub config: std::sync::Arc<PlatformConfig>,
    /// The PostgreSQL pool. Each service uses only its own schema.
    pub db: sqlx::PgPool,
    /// The reconnecting Redis handle, with this deployment's key prefix.
    pub redis: redis::Redis,
    /// The Prometheus registry every service registers its metrics into.
    pub metrics: metrics::Metrics,
}

impl Platform {
    /// Opens the connections described by `config`.
    ///
    /// Neither PostgreSQL nor Redis has to be up yet: both connect lazily, so a service
    /// starts, reports itself not ready on `/health/ready`, and recovers by itself.
    pub fn connect(config: PlatformConfig) -> Result<Self> {
        let db = db::connect_lazy(&config.database)?;
        let redis = redis::Redis::new(&config.redis)?;
        Ok(Self {
            config: std::sync::Arc::new(config),
            db,
            redis,
            metrics: metrics::Metrics::default(),
        })
    }
}
