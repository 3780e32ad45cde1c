//! What instances share about a document in Redis: the writer's lease, which instances have
//! clients on it (the fan-out targets), and who is present. None of it needs durability.
//!
//! Keys (after `redis.key_prefix`), each holding one document's hash tag so that every
//! command names one slot on Redis Cluster:
//!
//! | key | type | content |
//! |---|---|---|
//! | `collab:{doc}:lease` | string | the writer's instance id, with the lease's expiry |
//! | `collab:{doc}:subs` | sorted set | instances with clients on the document, scored by expiry (ms) |
//! | `collab:{doc}:presence` | hash | connection id → participant JSON with its instance and expiry |

use crate::protocol::ParticipantInfo;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use tandem_platform::redis::Redis;
use uuid::Uuid;

/// Colours for participants: distinct, readable on white, and on dark backgrounds.
const PALETTE: [&str; 12] = [
    "#d81b60", "#1e88e5", "#43a047", "#f4511e", "#8e24aa", "#00897b", "#fb8c00", "#3949ab",
    "#6d4c41", "#c0ca33", "#00acc1", "#e53935",
];

/// The colour of `user_id`: the same for a user on every document and instance.
pub fn color(user_id: Uuid) -> &'static str {
    let sum: u32 = user_id.as_bytes().iter().map(|b| u32::from(*b)).sum();
    PALETTE[sum as usize % PALETTE.len()]
}

fn key(redis: &Redis, doc: Uuid, what: &str) -> String {
    redis.key(format_args!("collab:{{{doc}}}:{what}"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

static RENEW: LazyLock<redis::Script> = LazyLock::new(|| {
    // 1: renewed; 2: it had lapsed and is ours again; 0: someone else holds it.
    redis::Script::new(
        r"
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return 1
        end
        if not holder then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 2
        end
        return 0
        ",
    )
});

static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        ",
    )
});

/// Takes the writer's lease of `doc` if nobody holds it.
pub async fn acquire(
    redis: &Redis,
    doc: Uuid,
    instance: &str,
    ttl_ms: u64,
) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let set: Option<String> = redis::cmd("SET")
        .arg(key(redis, doc, "lease"))
        .arg(instance)
        .arg("NX")
        .arg("PX")
        .arg(ttl_ms)
        .query_async(&mut conn)
        .await?;
    Ok(set.is_some())
}

/// Renews the lease if `instance` holds it (or takes it back if it lapsed). `false` means
/// another instance holds it now.
pub async fn renew(
    redis: &Redis,
    doc: Uuid,
    instance: &str,
    ttl_ms: u64,
) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let state: i64 = RENEW
        .key(key(redis, doc, "lease"))
        .arg(instance)
        .arg(ttl_ms)
        .invoke_async(&mut conn)
        .await?;
    Ok(state > 0)
}

/// Gives the lease up, if `instance` still holds it.
pub async fn release(redis: &Redis, doc: Uuid, instance: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    let _: i64 = RELEASE
        .key(key(redis, doc, "lease"))
        .arg(instance)
        .invoke_async(&mut conn)
        .await?;
    Ok(())
}

/// The instance holding the lease, if any.
pub async fn holder(redis: &Redis, doc: Uuid) -> redis::RedisResult<Option<String>> {
    let mut conn = redis.conn();
    conn.get(key(redis, doc, "lease")).await
}

/// Registers `instance` as having clients on `doc` for `ttl_ms`, and returns the other
/// instances registered (the fan-out targets).
pub async fn subscribe(
    redis: &Redis,
    doc: Uuid,
    instance: &str,
    ttl_ms: u64,
    has_clients: bool,
) -> redis::RedisResult<Vec<String>> {
    let subs = key(redis, doc, "subs");
    let now = now_ms();
    let mut pipe = redis::pipe();
    pipe.cmd("ZREMRANGEBYSCORE")
        .arg(&subs)
        .arg("-inf")
        .arg(now)
        .ignore();
    if has_clients {
        pipe.zadd(&subs, instance, now + ttl_ms as i64).ignore();
        pipe.pexpire(&subs, (ttl_ms * 2) as i64).ignore();
    } else {
        pipe.zrem(&subs, instance).ignore();
    }
    pipe.cmd("ZRANGEBYSCORE").arg(&subs).arg(now).arg("+inf");
    let mut conn = redis.conn();
    let (members,): (Vec<String>,) = pipe.query_async(&mut conn).await?;
    Ok(members.into_iter().filter(|m| m != instance).collect())
}

/// A participant as the presence hash holds them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Present {
    /// Who.
    pub participant: ParticipantInfo,
    /// The instance their socket is on.
    pub instance: String,
    /// The revision their selection is expressed in.
    pub revision: u64,
    /// When the entry lapses unless refreshed (ms since the epoch).
    pub expires_ms: i64,
}

/// Writes (or refreshes) `present`, expiring after `ttl_ms`.
pub async fn publish(
    redis: &Redis,
    doc: Uuid,
    present: &mut [Present],
    ttl_ms: u64,
) -> redis::RedisResult<()> {
    if present.is_empty() {
        return Ok(());
    }
    let hash = key(redis, doc, "presence");
    let expires = now_ms() + ttl_ms as i64;
    let mut pipe = redis::pipe();
    for entry in present.iter_mut() {
        entry.expires_ms = expires;
        let json = serde_json::to_string(entry).unwrap_or_default();
        pipe.hset(&hash, entry.participant.session_id.to_string(), json)
            .ignore();
    }
    pipe.pexpire(&hash, (ttl_ms * 4) as i64).ignore();
    let mut conn = redis.conn();
    pipe.query_async::<()>(&mut conn).await
}

/// Removes connections from the presence hash.
pub async fn remove(redis: &Redis, doc: Uuid, sessions: &[Uuid]) -> redis::RedisResult<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = sessions.iter().map(Uuid::to_string).collect();
    let mut conn = redis.conn();
    conn.hdel(key(redis, doc, "presence"), fields).await
}

/// Everyone present on `doc` whose entry has not lapsed. Lapsed entries (their instance
/// died) are removed on the way.
pub async fn read(redis: &Redis, doc: Uuid) -> redis::RedisResult<Vec<Present>> {
    let hash = key(redis, doc, "presence");
    let mut conn = redis.conn();
    let raw: std::collections::HashMap<String, String> = conn.hgetall(&hash).await?;
    let now = now_ms();
    let mut live = Vec::new();
    let mut lapsed = Vec::new();
    for (field, json) in raw {
        match serde_json::from_str::<Present>(&json) {
            Ok(present) if present.expires_ms > now => live.push(present),
            _ => lapsed.push(field),
        }
    }
    if !lapsed.is_empty() {
        let _: redis::RedisResult<()> = conn.hdel(&hash, lapsed).await;
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_user_keeps_one_colour() {
        let user = uuid::Uuid::new_v4();
        assert_eq!(super::color(user), super::color(user));
        assert!(super::color(user).starts_with('#'));
    }
}
