//! Brute-force protection for passwords, counted in Redis so it holds across instances.
//!
//! A lock must stop a guesser without becoming a switch anyone can flip to keep the owner
//! out (the model is in docs/security.md). So failures are counted per *client* of an
//! account, and a lock applies to that client only:
//!
//! - **Per (account, client).** The client is the device, when the login presents a device
//!   token this account issued (see `auth::device`); the session, for a signed-in user
//!   confirming the password; otherwise the IP address. `threshold` failures within
//!   `window` lock that client out of that account, for `duration`, doubling with each
//!   lock up to `max_duration` (Keycloak's "wait increment"; there is no permanent lock).
//! - **Per account, from unrecognised clients.** Failures without a device token also count
//!   for the account as a whole; past `account_threshold` (a guesser with many addresses),
//!   each further attempt from an unrecognised client must wait a delay that doubles up to
//!   `account_max_delay`. The owner signing in from a device that signed in before is
//!   never delayed by this.
//!
//! The subject is the account id, or — for an identifier with no account — a hash of the
//! identifier. Unknown identifiers lock exactly like real accounts, so a refusal does not
//! reveal whether an account exists.

use crate::error::Result;
use redis::AsyncCommands;
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;
use tandem_platform::redis::Redis;
use uuid::Uuid;

/// Lockout thresholds, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures from one client that lock it out of the account.
    pub threshold: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a client's first lock lasts; each further lock doubles it.
    pub duration: Duration,
    /// The longest a client's lock lasts.
    pub max_duration: Duration,
    /// Failures from unrecognised clients, per account, before their attempts are delayed.
    pub account_threshold: u32,
    /// The longest delay between attempts from unrecognised clients.
    pub account_max_delay: Duration,
}

/// Who is trying to prove they know an account's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// A client known only by its address.
    Address(IpAddr),
    /// A device holding a device token this account issued (its id).
    Device(Uuid),
    /// A signed-in session confirming the password before a sensitive change.
    Session(Uuid),
}

impl Client {
    fn key(self) -> String {
        match self {
            Client::Address(ip) => format!("ip:{ip}"),
            Client::Device(id) => format!("device:{id}"),
            Client::Session(id) => format!("session:{id}"),
        }
    }

    /// Unrecognised clients also count toward the account-wide delay.
    fn is_recognised(self) -> bool {
        !matches!(self, Client::Address(_))
    }

    /// A label for audit events.
    pub fn kind(self) -> &'static str {
        match self {
            Client::Address(_) => "address",
            Client::Device(_) => "device",
            Client::Session(_) => "session",
        }
    }
}

/// Why an attempt is refused before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This client is locked out of this account for this many seconds.
    Locked {
        /// Seconds until the lock lifts.
        retry_after_secs: u64,
    },
    /// Unrecognised clients must wait this many seconds before the next attempt.
    Throttled {
        /// Seconds until the next attempt is taken.
        retry_after_secs: u64,
    },
}

/// What recording a failure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AfterFailure {
    /// This failure locked the client, for this long.
    pub locked_for: Option<Duration>,
    /// This failure started (or extended) the account-wide delay, to this long.
    pub delayed_for: Option<Duration>,
    /// This failure was the one that crossed the account-wide threshold.
    pub delay_started: bool,
}

static FAIL: LazyLock<redis::Script> = LazyLock::new(|| {
    // KEYS: client failures, client lock, client level, client was_locked,
    //       account failures, account delay.
    // ARGV: window s, threshold, first lock s, longest lock s, level ttl s, marker ttl s,
    //       recognised (0/1), account threshold, longest delay ms.
    redis::Script::new(
        r"
        local locked = 0
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        if n >= tonumber(ARGV[2]) then
            local level = redis.call('INCR', KEYS[3])
            redis.call('EXPIRE', KEYS[3], ARGV[5])
            local lock = tonumber(ARGV[3]) * 2 ^ math.min(level - 1, 30)
            lock = math.floor(math.min(lock, tonumber(ARGV[4])))
            redis.call('SET', KEYS[2], '1', 'EX', lock)
            redis.call('SET', KEYS[4], '1', 'EX', ARGV[6])
            redis.call('DEL', KEYS[1])
            locked = lock
        end
        local delayed = 0
        local started = 0
        if ARGV[7] == '0' then
            local a = redis.call('INCR', KEYS[5])
            -- Sliding: the count lives as long as failures keep coming.
            redis.call('EXPIRE', KEYS[5], ARGV[1])
            local over = a - tonumber(ARGV[8])
            if over >= 0 then
                local delay = 1000 * 2 ^ math.min(over, 30)
                delay = math.floor(math.min(delay, tonumber(ARGV[9])))
                redis.call('SET', KEYS[6], '1', 'PX', delay)
                delayed = delay
                if over == 0 then started = 1 end
            end
        end
        return {locked, delayed, started}
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

    fn client_key(&self, subject: &str, client: Client, what: &str) -> String {
        self.redis.key(format_args!(
            "users:lockout:client:{subject}:{}:{what}",
            client.key()
        ))
    }

    fn account_key(&self, subject: &str, what: &str) -> String {
        self.redis
            .key(format_args!("users:lockout:account:{subject}:{what}"))
    }

    /// Whether `client` may try a password of `subject` now.
    pub async fn check(&self, subject: &str, client: Client) -> Result<Option<Refusal>> {
        let mut conn = self.redis.conn();
        let lock: i64 = conn.ttl(self.client_key(subject, client, "lock")).await?;
        if let Ok(secs) = u64::try_from(lock)
            && secs > 0
        {
            return Ok(Some(Refusal::Locked {
                retry_after_secs: secs,
            }));
        }
        if client.is_recognised() {
            return Ok(None);
        }
        let delay: i64 = conn.pttl(self.account_key(subject, "delay")).await?;
        Ok(u64::try_from(delay)
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| Refusal::Throttled {
                retry_after_secs: ms.div_ceil(1000),
            }))
    }

    /// Records a wrong password from `client`.
    pub async fn fail(&self, subject: &str, client: Client) -> Result<AfterFailure> {
        let mut conn = self.redis.conn();
        let policy = &self.policy;
        let longest = policy.max_duration.max(policy.duration).as_secs().max(1);
        // The level outlives the longest lock, so locks keep doubling while attempts go on.
        let level_ttl = longest * 2 + policy.window.as_secs();
        // The marker outlives the lock so the next successful login can record the unlock.
        let marker_ttl = longest + 7 * 24 * 3600;
        let (locked, delayed, started): (u64, u64, u8) = FAIL
            .key(self.client_key(subject, client, "failures"))
            .key(self.client_key(subject, client, "lock"))
            .key(self.client_key(subject, client, "level"))
            .key(self.client_key(subject, client, "was_locked"))
            .key(self.account_key(subject, "failures"))
            .key(self.account_key(subject, "delay"))
            .arg(policy.window.as_secs().max(1))
            .arg(policy.threshold.max(1))
            .arg(policy.duration.as_secs().max(1))
            .arg(longest)
            .arg(level_ttl)
            .arg(marker_ttl)
            .arg(u8::from(client.is_recognised()))
            .arg(policy.account_threshold.max(1))
            .arg(
                u64::try_from(policy.account_max_delay.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .invoke_async(&mut conn)
            .await?;
        Ok(AfterFailure {
            locked_for: (locked > 0).then(|| Duration::from_secs(locked)),
            delayed_for: (delayed > 0).then(|| Duration::from_millis(delayed)),
            delay_started: started == 1,
        })
    }

    /// Clears `client`'s failures (and the doubling of its locks) after a right password.
    /// Returns true if the client had been locked since its last success (so the caller
    /// records the unlock). The account-wide count is left to run out by itself: one
    /// success does not prove the guessing elsewhere has stopped.
    pub async fn succeed(&self, subject: &str, client: Client) -> Result<bool> {
        let mut conn = self.redis.conn();
        let (_, _, was_locked): (i64, i64, i64) = redis::pipe()
            .del(self.client_key(subject, client, "failures"))
            .del(self.client_key(subject, client, "level"))
            .del(self.client_key(subject, client, "was_locked"))
            .query_async(&mut conn)
            .await?;
        Ok(was_locked > 0)
    }
}
