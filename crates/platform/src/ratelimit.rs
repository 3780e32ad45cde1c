//! Rate limiting in Redis, so a limit holds across every instance behind a load balancer.
//!
//! A fixed window per (limit, subject): one atomic `INCR` + `PEXPIRE` round trip. Windows
//! are short (a minute), so the burst a fixed window allows at its edge is acceptable, and
//! the cost is one Redis call per request.

use crate::problem::Problem;
use crate::redis::Redis;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use std::time::Duration;

/// A limit: at most `max` requests per `window` for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Names the limit in keys and logs (`login`, `user`…).
    pub name: &'static str,
    /// Requests allowed per window. 0 disables the limit.
    pub max: u32,
    /// The window.
    pub window: Duration,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// The limit.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            ttl = tonumber(ARGV[1])
        end
        return {n, ttl}
        ",
    )
});

/// Counts requests against limits.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    redis: Redis,
}

impl RateLimiter {
    /// A limiter storing its counters in `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    /// Counts one request of `subject` (an IP, a user id) against `limit`.
    ///
    /// Fails open: if Redis cannot be reached the request is allowed and a warning logged,
    /// because refusing every request while Redis restarts would be worse than a short
    /// window without limits. (Authentication itself fails closed.)
    pub async fn check(&self, limit: &Limit, subject: &str) -> Decision {
        if limit.max == 0 {
            return Decision {
                allowed: true,
                limit: 0,
                remaining: 0,
                reset_secs: 0,
            };
        }
        let key = self
            .redis
            .key(format_args!("ratelimit:{}:{subject}", limit.name));
        let window_ms = u64::try_from(limit.window.as_millis()).unwrap_or(u64::MAX);
        let mut conn = self.redis.conn();
        let result: redis::RedisResult<(u64, i64)> =
            SCRIPT.key(key).arg(window_ms).invoke_async(&mut conn).await;
        match result {
            Ok((count, ttl_ms)) => Decision {
                allowed: count <= u64::from(limit.max),
                limit: limit.max,
                remaining: u32::try_from(u64::from(limit.max).saturating_sub(count)).unwrap_or(0),
                reset_secs: u64::try_from(ttl_ms.max(0)).unwrap_or(0).div_ceil(1000),
            },
            Err(error) => {
                tracing::warn!(%error, limit = limit.name, "rate limiter unavailable; allowing");
                Decision {
                    allowed: true,
                    limit: limit.max,
                    remaining: limit.max,
                    reset_secs: 0,
                }
            }
        }
    }
}

impl Decision {
    /// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (and
    /// `Retry-After` when refused) to `headers`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        if self.limit == 0 {
            return;
        }
        let mut put = |name: &'static str, value: u64| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        };
        put("ratelimit-limit", u64::from(self.limit));
        put("ratelimit-remaining", u64::from(self.remaining));
        put("ratelimit-reset", self.reset_secs);
        if !self.allowed {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(self.reset_secs.max(1)),
            );
        }
    }

    /// The 429 problem for a refused request.
    pub fn problem(&self) -> Problem {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
        )
        .detail(format!(
            "Slow down: try again in {} seconds.",
            self.reset_secs.max(1)
        ))
    }

    /// The full 429 response, headers included.
    pub fn refusal(&self) -> Response {
        let mut response = self.problem().into_response();
        self.write_headers(response.headers_mut());
        response
    }
}

/// Middleware limiting each client IP to `limit`; use with `from_fn_with_state`.
pub async fn by_client_ip(
    State((limiter, limit)): State<(RateLimiter, Limit)>,
    request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<crate::http::ClientIp>()
        .map_or_else(|| "unknown".to_owned(), |ip| ip.0.to_string());
    let decision = limiter.check(&limit, &ip).await;
    if !decision.allowed {
        tracing::warn!(limit = limit.name, %ip, "rate limit exceeded");
        return decision.refusal();
    }
    let mut response = next.run(request).await;
    decision.write_headers(response.headers_mut());
    response
}

/// Counts one request of `user_id` against `per_minute` requests per minute under `name`;
/// the 429 response, with its headers, when over.
pub async fn per_user(
    limiter: &RateLimiter,
    name: &'static str,
    per_minute: u32,
    user_id: uuid::Uuid,
) -> Result<(), Response> {
    let limit = Limit {
        name,
        max: per_minute,
        window: Duration::from_secs(60),
    };
    let decision = limiter.check(&limit, &user_id.to_string()).await;
    if decision.allowed {
        Ok(())
    } else {
        Err(decision.refusal())
    }
}
