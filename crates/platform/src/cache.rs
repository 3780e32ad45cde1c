//! Cache-aside entries in Redis guarded by a generation counter, for every service that
//! caches PostgreSQL rows.
//!
//! The danger of cache-aside is a *stale fill*: a reader misses, reads PostgreSQL, and
//! before it writes what it read into the cache a writer commits and clears the cache; the
//! reader then puts the pre-write state back until the TTL runs out. So each cached thing
//! has a generation key. A reader reads the generation *before* PostgreSQL (in the same
//! round trip as its cache lookup) and fills only if the generation is still the one it saw
//! ([`fill`], one Lua script). A writer, after committing, increments the generation and
//! deletes the entries ([`invalidate`]). A missing generation key counts as `"0"`.

use crate::redis::Redis;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a generation key outlives the last write that bumped it. A reader that saw a
/// generation and then takes longer than this to fill is the only case that can go wrong,
/// and no request lives for days.
pub const GENERATION_TTL_SECS: u64 = 7 * 24 * 3600;

static FILL: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
        return 1
        ",
    )
});

/// The generation as read from Redis (`None`: never written).
pub fn generation_or_zero(raw: Option<String>) -> String {
    raw.unwrap_or_else(|| "0".into())
}

/// Stores `value` under `key` for `ttl_secs`, unless `generation_key` has moved on from
/// `generation` (a write happened since the caller read it). Returns whether it stored.
///
/// Failures are logged, not returned: a fill that does not happen only costs a later miss.
pub async fn fill(
    redis: &Redis,
    generation_key: &str,
    key: &str,
    generation: &str,
    value: &str,
    ttl_secs: u64,
) -> bool {
    let mut conn = redis.conn();
    let result: redis::RedisResult<i64> = FILL
        .key(generation_key)
        .key(key)
        .arg(generation)
        .arg(value)
        .arg(ttl_secs)
        .invoke_async(&mut conn)
        .await;
    match result {
        Ok(stored) => stored == 1,
        Err(error) => {
            tracing::warn!(%error, "filling the cache failed");
            false
        }
    }
}

/// Bumps `generation_key` and deletes `keys`, atomically. Call after the write committed.
///
/// Retried a few times: by now the write is durable, and a failure here would leave the
/// cache serving the state before it until the TTL runs out.
pub async fn invalidate(
    redis: &Redis,
    generation_key: &str,
    keys: &[String],
) -> redis::RedisResult<()> {
    let mut attempt = 0;
    loop {
        match invalidate_once(redis, generation_key, keys).await {
            Ok(()) => return Ok(()),
            Err(error) if attempt < 2 => {
                attempt += 1;
                tracing::warn!(%error, attempt, "cache invalidation failed; retrying");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

async fn invalidate_once(
    redis: &Redis,
    generation_key: &str,
    keys: &[String],
) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    let () = redis::pipe()
        .atomic()
        .incr(generation_key, 1)
        .ignore()
        .expire(generation_key, GENERATION_TTL_SECS as i64)
        .ignore()
        .del(keys)
        .ignore()
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Hit and miss counters, labelled by what was looked up.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct LookupLabels {
    cache: &'static str,
    result: &'static str,
}

/// A Prometheus counter family of cache lookups, by cache and result (`hit`, `miss`).
#[derive(Clone, Debug)]
pub struct Lookups(
    prometheus_client::metrics::family::Family<
        LookupLabels,
        prometheus_client::metrics::counter::Counter,
    >,
);

impl Lookups {
    /// Registers the counter family `name` in `metrics`.
    pub fn register(metrics: &crate::metrics::Metrics, name: &str, help: &str) -> Self {
        let family = prometheus_client::metrics::family::Family::default();
        metrics.register(name, help, family.clone());
        Self(family)
    }

    /// Counts one lookup in `cache`.
    pub fn count(&self, cache: &'static str, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.0.get_or_create(&LookupLabels { cache, result }).inc();
    }
}
