//! Cache-aside in Redis for document reads and permission checks.
//!
//! Keys, per document: `documents:doc:{id}` (the document JSON), `documents:perms:{id}`
//! (hash: user id → role, or `none`) and `documents:gen:{id}` (a generation counter).
//!
//! Invalidation after every write: `INCR gen` then `DEL` the entries. A reader that missed
//! notes the generation *before* reading PostgreSQL and fills the cache only if the
//! generation is unchanged (one Lua script), so a read racing a write can never put the
//! pre-write state back: no stale read after an update, no lingering access after a revoke.

use crate::domain::Role;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use redis::AsyncCommands;
use std::sync::LazyLock;
use tandem_platform::metrics::Metrics;
use tandem_platform::redis::Redis;
use uuid::Uuid;

static FILL_DOC: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
        return 1
        ",
    )
});

static FILL_PERM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
        -- Only a new hash gets a TTL: refilling must not keep an old hash alive forever.
        if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
        return 1
        ",
    )
});

/// Hit and miss counters, labelled by what was looked up.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

/// The document cache.
#[derive(Clone, Debug)]
pub struct Cache {
    redis: Redis,
    ttl_secs: u64,
    lookups: Family<CacheLabels, Counter>,
}

/// A cache read: the value if it was there, and the generation to fill with if not.
#[derive(Debug)]
pub struct Lookup<T> {
    /// The cached value.
    pub hit: Option<T>,
    /// The generation seen before the miss.
    pub generation: String,
}

impl Cache {
    /// A cache in `redis`, reporting to `metrics`.
    pub fn new(redis: Redis, ttl_secs: u64, metrics: &Metrics) -> Self {
        let lookups = Family::<CacheLabels, Counter>::default();
        metrics.register(
            "document_cache_lookups",
            "Document cache lookups, by cache (document, permission) and result (hit, miss)",
            lookups.clone(),
        );
        Self {
            redis,
            ttl_secs,
            lookups,
        }
    }

    fn key(&self, kind: &str, id: Uuid) -> String {
        self.redis.key(format_args!("documents:{kind}:{id}"))
    }

    fn count(&self, cache: &'static str, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.lookups
            .get_or_create(&CacheLabels { cache, result })
            .inc();
    }

    /// The caller's role on `id` and the cached document JSON, in one round trip.
    pub async fn get(
        &self,
        id: Uuid,
        user_id: Uuid,
        with_document: bool,
    ) -> redis::RedisResult<(Lookup<Option<Role>>, Lookup<String>)> {
        let mut conn = self.redis.conn();
        let mut pipe = redis::pipe();
        pipe.get(self.key("gen", id))
            .hget(self.key("perms", id), user_id.to_string());
        let (generation, role, document): (Option<String>, Option<String>, Option<String>) =
            if with_document {
                pipe.get(self.key("doc", id)).query_async(&mut conn).await?
            } else {
                let (generation, role) = pipe.query_async(&mut conn).await?;
                (generation, role, None)
            };
        let generation = generation.unwrap_or_else(|| "0".into());
        let role = role.map(|r| Role::parse(&r));
        self.count("permission", role.is_some());
        if with_document {
            self.count("document", document.is_some());
        }
        Ok((
            Lookup {
                hit: role,
                generation: generation.clone(),
            },
            Lookup {
                hit: document,
                generation,
            },
        ))
    }

    /// Caches a role looked up in PostgreSQL (`None`: no access), unless a write happened.
    pub async fn fill_role(&self, id: Uuid, user_id: Uuid, generation: &str, role: Option<Role>) {
        let mut conn = self.redis.conn();
        let result: redis::RedisResult<i64> = FILL_PERM
            .key(self.key("gen", id))
            .key(self.key("perms", id))
            .arg(generation)
            .arg(user_id.to_string())
            .arg(role.map_or("none", Role::as_str))
            .arg(self.ttl_secs)
            .invoke_async(&mut conn)
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "filling the permission cache failed");
        }
    }

    /// Caches a document's JSON, unless a write happened since `generation`.
    pub async fn fill_document(&self, id: Uuid, generation: &str, json: &str) {
        let mut conn = self.redis.conn();
        let result: redis::RedisResult<i64> = FILL_DOC
            .key(self.key("gen", id))
            .key(self.key("doc", id))
            .arg(generation)
            .arg(json)
            .arg(self.ttl_secs)
            .invoke_async(&mut conn)
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "filling the document cache failed");
        }
    }

    /// Forgets everything cached about `id`. Call after the write has committed. Retried a
    /// few times: by now the write is durable, and a failure here would leave the cache
    /// serving the state before it.
    pub async fn invalidate(&self, id: Uuid) -> redis::RedisResult<()> {
        let mut attempt = 0;
        loop {
            match self.invalidate_once(id).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt < 2 => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "cache invalidation failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn invalidate_once(&self, id: Uuid) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn();
        let () = redis::pipe()
            .atomic()
            .incr(self.key("gen", id), 1)
            .ignore()
            .expire(self.key("gen", id), 7 * 24 * 3600)
            .ignore()
            .del(&[self.key("doc", id), self.key("perms", id)])
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Whether the Collaboration Service reports `user_id` editing `id` right now.
    pub async fn editing_now(&self, id: Uuid) -> redis::RedisResult<Vec<String>> {
        let key = self.redis.key(format_args!("collab:present:{id}"));
        let mut conn = self.redis.conn();
        conn.smembers(key).await
    }
}
