//! The request-handling stack every tandem app runs behind.
//!
//! From the outside in: request id → trace span → security headers → CORS → metrics →
//! problem+json normaliser → panic catcher → timeout → body limit → the routes.

use crate::Platform;
pub use crate::client_ip::ClientIp;
use crate::client_ip::ClientIpPolicy;
use crate::metrics::{self, MetricsEndpoint};
use crate::problem::{PROBLEM_JSON, Problem, REQUEST_ID};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The header carrying the request id, in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Adds `/metrics`, the 404 fallback and the whole middleware stack to `routes`.
///
/// Call it once, on the finished router: routes merged afterwards would miss the layers.
pub fn finish(routes: Router, platform: &Platform) -> Router {
    let config = &platform.config.server;
    // With a listener of its own, `/metrics` is served there and not here at all.
    let routes = if config.metrics_listen.is_some() {
        routes
    } else {
        let access = config
            .metrics_token
            .clone()
            .map_or(metrics::Access::Loopback, metrics::Access::Token);
        routes.route("/metrics", metrics_route(platform, access))
    };
    let router = routes.fallback(|| async { Problem::from_status(StatusCode::NOT_FOUND) });

    let mut security = vec![
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
        // The API serves JSON; the only pages are Swagger UI and the editor, which load
        // their scripts from this origin. Inline styles are needed by Swagger UI.
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ];
    if config.hsts {
        security.push((
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ));
    }

    let mut router = router
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("handler panicked");
            Problem::internal().into_response()
        }))
        .layer(middleware::from_fn(normalise_errors))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(ClientIpPolicy::from_config(config)),
            crate::client_ip::resolve,
        ))
        .layer(middleware::from_fn_with_state(
            platform.metrics.clone(),
            metrics::track,
        ))
        .layer(cors(&config.cors_allowed_origins));
    for (name, value) in security {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuidV7))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER)),
    )
}

fn metrics_route(platform: &Platform, access: metrics::Access) -> axum::routing::MethodRouter {
    let endpoint = MetricsEndpoint {
        metrics: platform.metrics.clone(),
        access,
    };
    get(metrics::render).with_state(endpoint)
}

/// The router of the separate `server.metrics_listen` listener: `/metrics` alone, open to
/// whoever reaches that address (or to token holders, when `server.metrics_token` is set).
pub fn metrics_only(platform: &Platform) -> Router {
    let access = platform
        .config
        .server
        .metrics_token
        .clone()
        .map_or(metrics::Access::Open, metrics::Access::Token);
    Router::new()
        .route("/metrics", metrics_route(platform, access))
        .fallback(|| async { Problem::from_status(StatusCode::NOT_FOUND) })
        .layer(middleware::from_fn(normalise_errors))
}

/// Request ids are UUIDv7: unique, and sortable by time in log searches.
#[derive(Clone, Copy, Debug)]
struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

fn request_span<B>(request: &http::Request<B>) -> tracing::Span {
    // The matched route template, never the raw path: paths carry ids and sometimes tokens.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
        user_id = tracing::field::Empty,
    )
}

/// Makes the request id available to error responses, and turns any error response that a
/// layer or axum itself produced (405, 413, 503 on timeout…) into problem+json.
async fn normalise_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    REQUEST_ID
        .scope(request_id, async move {
            let response = next.run(request).await;
            let status = response.status();
            let is_problem = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if !(status.is_client_error() || status.is_server_error()) || is_problem {
                return response;
            }
            let (parts, _body) = response.into_parts();
            let mut replacement = Problem::from_status(status).into_response();
            for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
                if let Some(value) = parts.headers.get(&name) {
                    replacement.headers_mut().insert(name, value.clone());
                }
            }
            replacement
        })
        .await
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            REQUEST_ID_HEADER,
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            REQUEST_ID_HEADER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}
