//! Prometheus metrics.
//!
//! One [`Metrics`] registry per app instance rather than a process-global recorder, so
//! tests can run many apps in one process and each service can register its own metrics.

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Labels of the HTTP request metrics. Every value comes from a small fixed set, never
/// from the client as such: `method` is a standard method or `other`, `route` the matched
/// route template (`/documents/{id}`) or `unmatched`, never the raw path (so ids and
/// tokens stay out of metrics too), and `status` what tandem answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// The `method` label of a request: one of the methods HTTP defines, or `other`, so a
/// client inventing methods cannot add series without limit.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

type HistogramFamily = Family<HttpLabels, Histogram, fn() -> Histogram>;

/// The metrics registry of one app, plus the HTTP metrics every request updates.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
    requests: Family<HttpLabels, Counter>,
    latency: HistogramFamily,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tandem");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_requests",
            "HTTP requests handled, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method, route and status",
            latency.clone(),
        );
        Self {
            registry: Arc::new(RwLock::new(registry)),
            requests,
            latency,
        }
    }
}

impl Metrics {
    /// Registers a service's own metric (a counter of cache hits, a gauge of sessions…).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .register(name, help, metric);
    }

    /// The registry in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self
            .registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

/// Middleware recording request count and latency per route and status.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    metrics.requests.get_or_create(&labels).inc();
    metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Who may read `/metrics`.
#[derive(Clone, Debug)]
pub enum Access {
    /// Callers presenting `Authorization: Bearer <token>` (`server.metrics_token`).
    Token(SecretString),
    /// Only callers on this machine: a loopback peer whose request carries no forwarding
    /// header (a proxy on the same host forwarding an outside request adds one). The
    /// default, so a deployment never publishes its traffic figures by accident.
    Loopback,
    /// Anyone who can reach the listener: the separate `server.metrics_listen` listener,
    /// whose address the operator chose for scrapers.
    Open,
}

/// State of the `/metrics` endpoint.
#[derive(Clone, Debug)]
pub struct MetricsEndpoint {
    /// The registry to render.
    pub metrics: Metrics,
    /// Who may read it.
    pub access: Access,
}

/// Headers a proxy adds when it forwards a request.
const FORWARDING_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// `GET /metrics`.
pub async fn render(State(endpoint): State<MetricsEndpoint>, request: Request) -> Response {
    let headers = request.headers();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
    match &endpoint.access {
        Access::Open => {}
        Access::Token(token) => {
            if !bearer_matches(headers, token) {
                return crate::Problem::unauthorized(
                    "`/metrics` needs the configured bearer token.",
                )
                .into_response();
            }
        }
        Access::Loopback => {
            let local = peer.is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback())
                && !FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h));
            if !local {
                return crate::Problem::forbidden(
                    "`/metrics` answers only callers on this machine. To scrape it from \
                     elsewhere set `server.metrics_token` or `server.metrics_listen`.",
                )
                .with_code("metrics_forbidden")
                .into_response();
            }
        }
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        endpoint.metrics.render(),
    )
        .into_response()
}

fn bearer_matches(headers: &axum::http::HeaderMap, token: &SecretString) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    presented.is_some_and(|p| {
        // Constant-time comparison: the token is a shared secret.
        let expected = token.expose_secret().as_bytes();
        p.len() == expected.len()
            && p.bytes()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        use axum::http::Method;
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(
            method_label(&Method::from_bytes(b"QQQCHECK").unwrap()),
            "other"
        );
        assert_eq!(method_label(&Method::from_bytes(b"get").unwrap()), "other");
    }
}
