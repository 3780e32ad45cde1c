//! Building the app: one place where services are wired together.

use crate::config::Config;
use crate::openapi;
use anyhow::Context;
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
    /// The Collaboration Service, to drain its sockets on shutdown.
    collab: Option<tandem_collab::Service>,
    /// The `server.metrics_listen` listener, when one is configured.
    metrics_server: Option<Server>,
    platform: Platform,
}

impl App {
    /// Connects, optionally migrates, builds the routes of the services `mode` runs, and binds.
    pub async fn build(mut config: Config, mode: Mode) -> anyhow::Result<Self> {
        let server_config = config.platform.server.clone();
        let port = server_config.port.unwrap_or(mode.default_port());
        let listener = tokio::net::TcpListener::bind((server_config.host.as_str(), port))
            .await
            .with_context(|| format!("binding {}:{port}", server_config.host))?;
        let address = listener.local_addr()?;
        if mode == Mode::All {
            // Every service is here: calls between them go to this very listener.
            let own = own_url(address);
            let services = &mut config.platform.services;
            services.users_url = own.clone();
            services.documents_url = own.clone();
            services.collab_url = own;
        }

        let platform = Platform::connect(config.platform.clone())?;
        if server_config.migrate_on_start {
            migrate(&platform, mode).await?;
        }

        let mut routes = Router::new().merge(health::router(platform.clone()));
        let mut api = openapi::base();
        let mut verifier = None;
        if mode.runs(Mode::Users) {
            let users = tandem_users::Service::new(platform.clone(), config.users.clone()).await?;
            routes = routes.merge(users.router());
            api.merge(tandem_users::openapi());
            verifier = Some(users.verifier());
        }
        if mode.runs(Mode::Documents) {
            let verifier = verifier.clone().unwrap_or_else(|| {
                tandem_documents::Service::remote_verifier(
                    &platform,
                    &config.users.issuer,
                    &config.users.audience,
                )
            });
            let documents = tandem_documents::Service::new(
                platform.clone(),
                config.documents.clone(),
                verifier,
            )?;
            routes = routes.merge(documents.router());
            api.merge(tandem_documents::openapi());
            documents.spawn_purge();
            documents.spawn_analytics();
            if config.documents.backup_interval_secs > 0 {
                tokio::spawn(tandem_documents::backup::run_scheduled(
                    platform.clone(),
                    config.documents.clone(),
                ));
            }
        }
        let mut collab = None;
        if mode.runs(Mode::Collab) {
            let verifier = verifier.clone().unwrap_or_else(|| {
                tandem_documents::Service::remote_verifier(
                    &platform,
                    &config.users.issuer,
                    &config.users.audience,
                )
            });
            let service =
                tandem_collab::Service::start(platform.clone(), config.collab.clone(), verifier)?;
            routes = routes.merge(service.router());
            api.merge(tandem_collab::openapi());
            collab = Some(service);
        }
        routes = routes.merge(openapi::router(api));
        if mode == Mode::All {
            // In microservice mode the proxy in front serves web/dist (docs/deployment.md).
            routes = routes.merge(crate::web::router(&config.web));
        }

        let router = http::finish(routes, &platform);
        let grace = Duration::from_secs(server_config.shutdown_grace_secs);
        let server = Server::from_listener(listener, router, grace);
        let metrics_server = match &server_config.metrics_listen {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address.as_str())
                    .await
                    .with_context(|| format!("binding server.metrics_listen ({address})"))?;
                Some(Server::from_listener(
                    listener,
                    http::metrics_only(&platform),
                    grace,
                ))
            }
            None => None,
        };
        tracing::info!(
            %address,
            mode = ?mode,
            database = %tandem_platform::config::redact_url(&platform.config.database.url),
            "tandem is listening"
        );
        Ok(Self {
            server,
            collab,
            metrics_server,
            platform,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The port of the `server.metrics_listen` listener, if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(Server::port)
    }

    /// The shared handles (pool, Redis, metrics), for tests and commands.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Serves until SIGTERM/SIGINT.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(tandem_platform::server::shutdown_signal())
            .await
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // The metrics listener lives exactly as long as the main one.
        let metrics = self
            .metrics_server
            .map(|server| tokio::spawn(server.run_until(std::future::pending())));
        // Live sockets would hold the server open until the grace period ends: close them
        // first, with 1012, so their clients reconnect to another instance at once.
        let collab = self.collab;
        let shutdown = async move {
            shutdown.await;
            if let Some(collab) = collab {
                collab.drain().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let result = self.server.run_until(shutdown).await;
        if let Some(task) = metrics {
            task.abort();
        }
        Ok(result?)
    }
}

/// The URL this process answers on, for calls between services in one process.
fn own_url(address: std::net::SocketAddr) -> url::Url {
    let host = if address.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        address.ip()
    };
    let port = address.port();
    let text = match host {
        std::net::IpAddr::V4(ip) => format!("http://{ip}:{port}"),
        std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
    };
    url::Url::parse(&text).expect("an IP and a port make a valid URL")
}

/// Applies the migrations of every service `mode` runs. Each service migrates its own schema.
pub async fn migrate(platform: &Platform, mode: Mode) -> anyhow::Result<()> {
    if mode.runs(Mode::Users) {
        tandem_users::migrate(&platform.db).await?;
    }
    if mode.runs(Mode::Documents) {
        tandem_documents::migrate(&platform.db).await?;
    }
    if mode.runs(Mode::Collab) {
        tandem_collab::migrate(&platform.db).await?;
    }
    Ok(())
}
