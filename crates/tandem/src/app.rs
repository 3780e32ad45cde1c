//! Building the app: one place where services are wired together.

use crate::config::Config;
use crate::openapi;
use axum::Router;
use std::time::Duration;
use tandem_platform::{Platform, health, http, server::Server};

/// Which services this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Every service, one port (default 8080).
    All,
    /// The User Service alone (default port 8081).
    Users,
    /// The Document Service alone (default port 8082).
    Documents,
    /// The Collaboration Service alone (default port 8083).
    Collab,
}

impl Mode {
    /// The port used when the configuration names none.
    pub fn default_port(self) -> u16 {
        match self {
            Mode::All => 8080,
            Mode::Users => 8081,
            Mode::Documents => 8082,
            Mode::Collab => 8083,
        }
    }

    fn runs(self, service: Mode) -> bool {
        self == Mode::All || self == service
    }
}

/// A built, bound app: ready to serve.
#[derive(Debug)]
pub struct App {
    server: Server,
    platform: Platform,
}

impl App {
    /// Connects, optionally migrates, builds the routes of the services `mode` runs, and binds.
    pub async fn build(config: Config, mode: Mode) -> anyhow::Result<Self> {
        let port = config.platform.server.port.unwrap_or(mode.default_port());
        let platform = Platform::connect(config.platform.clone())?;
        if config.platform.server.migrate_on_start {
            migrate(&platform, mode).await?;
        }

        let mut routes = Router::new().merge(health::router(platform.clone()));
        let mut api = openapi::base();
        if mode.runs(Mode::Users) {
            let users = tandem_users::Service::new(platform.clone(), config.users.clone()).await?;
            routes = routes.merge(users.router());
            api.merge(tandem_users::openapi());
        }
        routes = routes.merge(openapi::router(api));

        let router = http::finish(routes, &platform);
        let server_config = &platform.config.server;
        let server = Server::bind(
            &server_config.host,
            port,
            router,
            Duration::from_secs(server_config.shutdown_grace_secs),
        )
        .await?;
        tracing::info!(
            address = %server.local_addr(),
            mode = ?mode,
            database = %tandem_platform::config::redact_url(&server_config_db(&platform)),
            "tandem is listening"
        );
        Ok(Self { server, platform })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The shared handles (pool, Redis, metrics), for tests and commands.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Serves until SIGTERM/SIGINT.
    pub async fn run(self) -> anyhow::Result<()> {
        Ok(self.server.run().await?)
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        Ok(self.server.run_until(shutdown).await?)
    }
}

fn server_config_db(platform: &Platform) -> secrecy::SecretString {
    platform.config.database.url.clone()
}

/// Applies the migrations of every service `mode` runs. Each service migrates its own schema.
pub async fn migrate(platform: &Platform, mode: Mode) -> anyhow::Result<()> {
    if mode.runs(Mode::Users) {
        tandem_users::migrate(&platform.db).await?;
    }
    Ok(())
}
