//! Cache-aside in Redis for the profile reads every client makes: `GET /auth/me` (each page
//! load of the editor) and `GET /users/{id}` (collaborator names, from the other services).
//!
//! Keys, per account: `users:profile:{id}` (the profile JSON, never the password hash) and
//! `users:profile_gen:{id}` (its generation). Reads and writes follow the generation
//! protocol of [`tandem_platform::cache`], so a read racing a profile change can never put
//! the old profile back. PostgreSQL stays the source of truth: a Redis failure on the read
//! side only costs a PostgreSQL read.

use super::accounts::{self, Account};
use crate::error::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tandem_platform::cache;
use tandem_platform::metrics::Metrics;
use tandem_platform::redis::Redis;
use uuid::Uuid;

/// The profile cache.
#[derive(Debug, Clone)]
pub struct Profiles {
    redis: Redis,
    ttl_secs: u64,
    lookups: cache::Lookups,
}

impl Profiles {
    /// A cache in `redis` whose entries live `ttl_secs`, reporting to `metrics`.
    pub fn new(redis: Redis, ttl_secs: u64, metrics: &Metrics) -> Self {
        let lookups = cache::Lookups::register(
            metrics,
            "user_profile_cache_lookups",
            "User profile cache lookups (GET /auth/me, GET /users/{id}), by result (hit, miss)",
        );
        Self {
            redis,
            ttl_secs,
            lookups,
        }
    }

    fn keys(&self, id: Uuid) -> (String, String) {
        (
            self.redis.key(format_args!("users:profile_gen:{id}")),
            self.redis.key(format_args!("users:profile:{id}")),
        )
    }

    /// The profile of account `id` (`None`: no such account), from the cache or else from
    /// PostgreSQL through `profile`, filling the cache.
    ///
    /// `P` is what the cache holds as JSON: every caller must pass the same type (the API's
    /// own-profile response), and `profile` must drop the account's secrets.
    pub async fn get<P>(
        &self,
        db: &PgPool,
        id: Uuid,
        profile: fn(Account) -> P,
    ) -> Result<Option<P>>
    where
        P: Serialize + DeserializeOwned,
    {
        let (generation_key, key) = self.keys(id);
        let mut conn = self.redis.conn();
        // One round trip: the generation must be read before PostgreSQL is.
        let cached: redis::RedisResult<(Option<String>, Option<String>)> = redis::pipe()
            .get(&generation_key)
            .get(&key)
            .query_async(&mut conn)
            .await;
        let generation = match cached {
            Ok((generation, Some(json))) => match serde_json::from_str(&json) {
                Ok(profile) => {
                    self.lookups.count("profile", true);
                    return Ok(Some(profile));
                }
                Err(error) => {
                    // Written by an older version, or by hand: refill from PostgreSQL.
                    tracing::warn!(%error, "unreadable cached profile");
                    Some(cache::generation_or_zero(generation))
                }
            },
            Ok((generation, None)) => Some(cache::generation_or_zero(generation)),
            Err(error) => {
                tracing::warn!(%error, "profile cache unavailable; reading PostgreSQL");
                None
            }
        };
        self.lookups.count("profile", false);
        let Some(profile) = accounts::by_id(db, id).await?.map(profile) else {
            // Not cached: an unknown id is rare (ids come from tokens and shares), and
            // caching its absence would need its own invalidation on register.
            return Ok(None);
        };
        if let Some(generation) = generation {
            let json = serde_json::to_string(&profile).map_err(anyhow::Error::from)?;
            cache::fill(
                &self.redis,
                &generation_key,
                &key,
                &generation,
                &json,
                self.ttl_secs,
            )
            .await;
        }
        Ok(Some(profile))
    }

    /// Forgets the cached profile of `id`. Call after a change to the account committed.
    pub async fn invalidate(&self, id: Uuid) -> Result<()> {
        let (generation_key, key) = self.keys(id);
        cache::invalidate(&self.redis, &generation_key, &[key]).await?;
        Ok(())
    }
}
