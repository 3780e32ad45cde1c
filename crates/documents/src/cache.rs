//! Cache-aside in Redis for document reads and permission checks.
//!
//! Keys, per document: `documents:doc:{id}` (the document JSON), `documents:perms:{id}`
//! (hash: user id → role, or `none`) and `documents:gen:{id}` (a generation counter).
//!
//! Both follow the generation protocol of [`tandem_platform::cache`]: a read racing a write
//! can never put the pre-write state back, so there is no stale read after an update and no
//! lingering access after a revoke.

use crate::domain::Role;
use std::sync::LazyLock;
use tandem_platform::cache;
use tandem_platform::metrics::Metrics;
use tandem_platform::redis::Redis;
use uuid::Uuid;

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

/// The document cache.
#[derive(Clone, Debug)]
pub struct Cache {
    redis: Redis,
    ttl_secs: u64,
    lookups: cache::Lookups,
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
        let lookups = cache::Lookups::register(
            metrics,
            "document_cache_lookups",
            "Document cache lookups, by cache (document, permission) and result (hit, miss)",
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
        let generation = cache::generation_or_zero(generation);
        let role = role.map(|r| Role::parse(&r));
        self.lookups.count("permission", role.is_some());
        if with_document {
            self.lookups.count("document", document.is_some());
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
        let (generation_key, key) = (self.key("gen", id), self.key("doc", id));
        cache::fill(
            &self.redis,
            &generation_key,
            &key,
            generation,
            json,
            self.ttl_secs,
        )
        .await;
    }

    /// Forgets everything cached about `id`. Call after the write has committed.
    pub async fn invalidate(&self, id: Uuid) -> redis::RedisResult<()> {
        let entries = [self.key("doc", id), self.key("perms", id)];
        cache::invalidate(&self.redis, &self.key("gen", id), &entries).await
    }
}
