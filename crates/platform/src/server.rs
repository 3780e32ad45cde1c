//! Binding and serving, with graceful shutdown.

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// A bound, not yet serving, HTTP server.
///
/// Binding happens in [`Server::bind`] so the caller learns the real port (tests bind port 0)
/// before anything is served.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
    grace: Duration,
}

impl Server {
    /// Binds `host:port`.
    pub async fn bind(
        host: &str,
        port: u16,
        router: Router,
        grace: Duration,
    ) -> crate::Result<Self> {
        let listener = TcpListener::bind((host, port)).await?;
        Ok(Self {
            listener,
            router,
            grace,
        })
    }

    /// Wraps a listener bound earlier (so the caller could learn its port first).
    pub fn from_listener(listener: TcpListener, router: Router, grace: Duration) -> Self {
        Self {
            listener,
            router,
            grace,
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
    pub async fn run(self) -> crate::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then stops accepting and waits up to the grace
    /// period for in-flight requests (long-lived WebSockets are cut at its end).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> crate::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // No Nagle: a WebSocket message or a small response must not wait up to 40 ms for
        // the peer's delayed ACK before it leaves.
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutdown requested; finishing in-flight requests");
            let _ = signalled_tx.send(());
            let _ = stop_rx.await;
        });
        let mut serving = tokio::spawn(async move { serve.await });
        let _ = stop_tx.send(());
        tokio::select! {
            result = &mut serving => return Ok(result.map_err(anyhow::Error::from)??),
            _ = signalled_rx => {}
        }
        match tokio::time::timeout(self.grace, &mut serving).await {
            Ok(result) => Ok(result.map_err(anyhow::Error::from)??),
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "grace period over; closing remaining connections");
                serving.abort();
                Ok(())
            }
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
