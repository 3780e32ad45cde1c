//! Liveness and readiness.
//!
//! `/health/live` answers as long as the process serves HTTP: a load balancer or
//! orchestrator restarts the process when it stops answering. `/health/ready` (and
//! `/health`) also check PostgreSQL and Redis, so traffic is routed away from an instance
//! that cannot reach them.

use crate::Platform;
use crate::problem::Problem;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long a dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The readiness report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Each dependency, by name (`postgres`, `redis`).
    pub checks: BTreeMap<&'static str, Check>,
}

/// One dependency's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `up` or `down`.
    pub status: &'static str,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The health routes.
pub fn router(platform: Platform) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health", get(ready))
        .with_state(platform)
}

async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn ready(State(platform): State<Platform>) -> Response {
    let (postgres, redis) = tokio::join!(
        check(async {
            sqlx::query("SELECT 1").execute(&platform.db).await?;
            Ok(())
        }),
        check(platform.redis.ping()),
    );
    let checks = BTreeMap::from([("postgres", postgres), ("redis", redis)]);
    let down: Vec<&str> = checks
        .iter()
        .filter(|(_, c)| c.status == "down")
        .map(|(name, _)| *name)
        .collect();
    if down.is_empty() {
        return Json(Health {
            status: "ok",
            checks,
        })
        .into_response();
    }
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "dependency_unavailable",
        "A dependency is unavailable",
    )
    .detail(format!("unavailable: {}", down.join(", ")))
    .with("unavailable", &down)
    .with("checks", &checks)
    .into_response()
}

async fn check(probe: impl Future<Output = crate::Result<()>>) -> Check {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe).await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{:#}", anyhow::Error::from(e))),
        Err(_) => Some(format!("no answer within {CHECK_TIMEOUT:?}")),
    };
    if let Some(error) = &error {
        tracing::warn!(%error, "health check failed");
    }
    Check {
        status: if error.is_none() { "up" } else { "down" },
        latency_ms,
        error,
    }
}
