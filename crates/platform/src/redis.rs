//! Redis: one multiplexed, self-reconnecting connection per process.

use crate::config::RedisConfig;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;
use std::time::Duration;

/// A handle to Redis plus this deployment's key prefix.
///
/// Wraps redis-rs's `ConnectionManager`, created lazily: it connects on first use and
/// reconnects by itself after Redis restarts, so no caller handles reconnection. Cloning is
/// cheap and every clone shares the one multiplexed connection.
#[derive(Clone)]
pub struct Redis {
    manager: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Prepares the connection; nothing is sent until the first command.
    pub fn new(config: &RedisConfig) -> crate::Result<Self> {
        let client = redis::Client::open(config.url.expose_secret())
            .map_err(|e| crate::Error::Config(format!("redis.url: {e}")))?;
        let timeout = Duration::from_millis(config.timeout_ms);
        // Few, quick retries: a request should fail fast while Redis is down rather than
        // hang; the next request tries again.
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(client, manager_config)?;
        Ok(Self {
            manager,
            prefix: config.key_prefix.clone(),
        })
    }

    /// A connection to send commands on (a cheap clone of the shared one).
    pub fn conn(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// `key` with this deployment's prefix: every key tandem writes goes through here.
    pub fn key(&self, key: impl std::fmt::Display) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Round-trips a `PING`.
    pub async fn ping(&self) -> crate::Result<()> {
        let mut conn = self.conn();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}
