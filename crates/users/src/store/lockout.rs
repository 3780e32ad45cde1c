//! Account lockout after repeated failed logins, counted in Redis so it holds across
//! instances.
//!
//! The subject is the account id, or — for an identifier with no account — a hash of the
//! identifier. Unknown identifiers lock exactly like real accounts, so a lockout response
//! does not reveal whether an account exists.

use crate::error::Result;
use redis::AsyncCommands;
use std::sync::LazyLock;
use std::time::Duration;
use tandem_platform::redis::Redis;

/// Lockout thresholds, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures that lock.
    pub threshold: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a lock lasts.
    pub duration: Duration,
}

/// Result of recording a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Still below the threshold.
    Counted,
    /// This failure locked the subject.
    Locked,
}

static FAIL: LazyLock<redis::Script> = LazyLock::new(|| {
    // KEYS: failures, lock, was_locked. ARGV: window s, threshold, duration s, marker ttl s.
    redis::Script::new(
        r"
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        if n >= tonumber(ARGV[2]) then
            redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
            redis.call('SET', KEYS[3], '1', 'EX', ARGV[4])
            redis.call('DEL', KEYS[1])
            return 1
        end
        return 0
        ",
    )
});

/// Lockout state.
#[derive(Debug, Clone)]
pub struct Lockout {
    redis: Redis,
    policy: Policy,
}

impl Lockout {
    /// Lockout state in `redis`.
    pub fn new(redis: Redis, policy: Policy) -> Self {
        Self { redis, policy }
    }

    fn key(&self, kind: &str, subject: &str) -> String {
        self.redis
            .key(format_args!("users:lockout:{kind}:{subject}"))
    }

    /// Seconds left on a lock of `subject`, if it is locked.
    pub async fn locked_for(&self, subject: &str) -> Result<Option<u64>> {
        let mut conn = self.redis.conn();
        let ttl: i64 = conn.ttl(self.key("lock", subject)).await?;
        Ok(u64::try_from(ttl).ok().filter(|t| *t > 0))
    }

    /// Records a failed login.
    pub async fn fail(&self, subject: &str) -> Result<AfterFailure> {
        let mut conn = self.redis.conn();
        // The marker outlives the lock so the next successful login can record the unlock.
        let marker_ttl = self.policy.duration.as_secs() + 7 * 24 * 3600;
        let locked: i64 = FAIL
            .key(self.key("failures", subject))
            .key(self.key("lock", subject))
            .key(self.key("was_locked", subject))
            .arg(self.policy.window.as_secs().max(1))
            .arg(self.policy.threshold.max(1))
            .arg(self.policy.duration.as_secs().max(1))
            .arg(marker_ttl)
            .invoke_async(&mut conn)
            .await?;
        Ok(if locked == 1 {
            AfterFailure::Locked
        } else {
            AfterFailure::Counted
        })
    }

    /// Clears the failure count after a successful login. Returns true if the subject had
    /// been locked since its last successful login (so the caller records the unlock).
    pub async fn succeed(&self, subject: &str) -> Result<bool> {
        let mut conn = self.redis.conn();
        let (_, was_locked): (i64, i64) = redis::pipe()
            .del(self.key("failures", subject))
            .del(self.key("was_locked", subject))
            .query_async(&mut conn)
            .await?;
        Ok(was_locked > 0)
    }
}
