//! Sessions and refresh-token families, in Redis.
//!
//! Keys (all under the deployment prefix):
//! - `users:session:{sid}`: hash describing a live session. It expires after the idle
//!   timeout (pushed back on every refresh) and never outlives the absolute lifetime.
//!   Its existence is what verifiers check.
//! - `users:user_sessions:{uid}`: set of a user's session ids (pruned when listed).
//! - `users:refresh:{hash}`: one per refresh token ever issued in a live session:
//!   `active` or `rotated`. A rotated token presented again is reuse.
//! - `users:refresh_grace:{hash}`: the pair issued when `hash` was rotated, sealed with
//!   the old token, kept for the grace window.
//! - `users:revoked:{sid}`: tombstone of an ended session, kept for an access token's
//!   lifetime.

use crate::auth::refresh;
use crate::error::Result;
use redis::AsyncCommands;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;
use tandem_platform::auth::{revoked_key, session_key, user_sessions_key};
use tandem_platform::redis::Redis;
use uuid::Uuid;

/// Lifetimes, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Absolute session lifetime.
    pub absolute: Duration,
    /// Idle timeout.
    pub idle: Duration,
    /// Access-token lifetime (how long tombstones are kept).
    pub access: Duration,
    /// Refresh reuse grace window.
    pub grace: Duration,
}

/// A session as its user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Session id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Login time (seconds since the epoch).
    pub created_at: i64,
    /// Last login or refresh (seconds since the epoch).
    pub last_seen_at: i64,
    /// When the session ends regardless of activity (seconds since the epoch).
    pub expires_at: i64,
    /// Client IP at the last login or refresh.
    pub ip: String,
    /// Client user agent at the last login or refresh.
    pub user_agent: String,
    /// The hash of the current refresh token.
    refresh_hash: String,
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current: here is the session, now holding `refresh_token`.
    Rotated {
        /// The session.
        session: Session,
        /// The new refresh token.
        refresh_token: String,
    },
    /// The token was rotated moments ago (a concurrent refresh): the sealed pair issued
    /// then, if it is there yet.
    Grace {
        /// The session id.
        session_id: Uuid,
    },
    /// The token was rotated long ago: someone replayed it. The session is now revoked.
    Reused {
        /// The revoked session.
        session_id: Uuid,
        /// Its owner.
        user_id: Option<Uuid>,
    },
    /// Unknown token, or its session has ended.
    Invalid,
}

static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    // Atomically marks a current token as rotated, so two concurrent refreshes cannot both
    // rotate it; the loser sees `grace`.
    redis::Script::new(
        r"
        local state = redis.call('HGET', KEYS[1], 'state')
        if not state then return {'unknown', ''} end
        local sid = redis.call('HGET', KEYS[1], 'sid')
        if state == 'active' then
            redis.call('HSET', KEYS[1], 'state', 'rotated', 'rotated_at', ARGV[1])
            return {'rotated', sid}
        end
        local at = tonumber(redis.call('HGET', KEYS[1], 'rotated_at'))
        if tonumber(ARGV[1]) - at <= tonumber(ARGV[2]) then return {'grace', sid} end
        return {'reuse', sid}
        ",
    )
});

static STORE: LazyLock<redis::Script> = LazyLock::new(|| {
    // KEYS: session, revoked, user_sessions, refresh.
    // ARGV: require_live, ttl, user_sessions ttl, refresh ttl, sid, user_id, created_at,
    //       last_seen_at, expires_at, ip, user_agent, refresh_hash.
    redis::Script::new(
        r"
        if ARGV[1] == '1' and (redis.call('EXISTS', KEYS[1]) == 0
                               or redis.call('EXISTS', KEYS[2]) == 1) then
            return 0
        end
        redis.call('HSET', KEYS[1], 'user_id', ARGV[6], 'created_at', ARGV[7],
            'last_seen_at', ARGV[8], 'expires_at', ARGV[9], 'ip', ARGV[10],
            'user_agent', ARGV[11], 'refresh_hash', ARGV[12])
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        redis.call('SADD', KEYS[3], ARGV[5])
        redis.call('EXPIRE', KEYS[3], ARGV[3])
        redis.call('HSET', KEYS[4], 'sid', ARGV[5], 'user_id', ARGV[6], 'state', 'active')
        redis.call('EXPIRE', KEYS[4], ARGV[4])
        return 1
        ",
    )
});

/// Session storage.
#[derive(Debug, Clone)]
pub struct Sessions {
    redis: Redis,
    lifetimes: Lifetimes,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Sessions {
    /// Session storage in `redis`.
    pub fn new(redis: Redis, lifetimes: Lifetimes) -> Self {
        Self { redis, lifetimes }
    }

    fn refresh_key(&self, hash: &str) -> String {
        self.redis.key(format_args!("users:refresh:{hash}"))
    }

    fn grace_key(&self, hash: &str) -> String {
        self.redis.key(format_args!("users:refresh_grace:{hash}"))
    }

    /// The session's TTL: the idle timeout, cut short by the absolute lifetime.
    fn ttl(&self, expires_at: i64) -> i64 {
        secs(self.lifetimes.idle).min(expires_at - now()).max(1)
    }

    /// Starts a session; returns it and its first refresh token.
    pub async fn create(
        &self,
        user_id: Uuid,
        ip: Option<IpAddr>,
        user_agent: &str,
    ) -> Result<(Session, String)> {
        let created_at = now();
        let session = Session {
            id: Uuid::now_v7(),
            user_id,
            created_at,
            last_seen_at: created_at,
            expires_at: created_at + secs(self.lifetimes.absolute),
            ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
            user_agent: user_agent.to_owned(),
            refresh_hash: String::new(),
        };
        let token = refresh::generate();
        let session = Session {
            refresh_hash: refresh::hash(&token),
            ..session
        };
        self.store(&session, false).await?;
        Ok((session, token))
    }

    /// Writes `session` and its current refresh token atomically. With `require_live`, only
    /// if the session still exists and is not revoked: a refresh racing a logout must not
    /// bring the ended session back. Returns whether it wrote.
    async fn store(&self, s: &Session, require_live: bool) -> Result<bool> {
        let ttl = self.ttl(s.expires_at);
        let family_ttl = (s.expires_at - now()).max(1);
        let mut conn = self.redis.conn();
        let written: i64 = STORE
            .key(session_key(&self.redis, s.id))
            .key(revoked_key(&self.redis, s.id))
            .key(user_sessions_key(&self.redis, s.user_id))
            .key(self.refresh_key(&s.refresh_hash))
            .arg(if require_live { 1 } else { 0 })
            .arg(ttl)
            .arg(secs(self.lifetimes.absolute))
            .arg(family_ttl)
            .arg(s.id.to_string())
            .arg(s.user_id.to_string())
            .arg(s.created_at)
            .arg(s.last_seen_at)
            .arg(s.expires_at)
            .arg(&s.ip)
            .arg(&s.user_agent)
            .arg(&s.refresh_hash)
            .invoke_async(&mut conn)
            .await?;
        Ok(written == 1)
    }

    /// Loads a live session.
    pub async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        let mut conn = self.redis.conn();
        let fields: HashMap<String, String> = conn.hgetall(session_key(&self.redis, id)).await?;
        Ok(parse_session(id, &fields))
    }

    /// Presents `token` for rotation. See [`Rotation`].
    pub async fn rotate(
        &self,
        token: &str,
        ip: Option<IpAddr>,
        user_agent: &str,
    ) -> Result<Rotation> {
        let hash = refresh::hash(token);
        let mut conn = self.redis.conn();
        let grace_ms = i64::try_from(self.lifetimes.grace.as_millis()).unwrap_or(i64::MAX);
        let (state, sid): (String, String) = CLAIM
            .key(self.refresh_key(&hash))
            .arg(chrono::Utc::now().timestamp_millis())
            .arg(grace_ms)
            .invoke_async(&mut conn)
            .await?;
        let Ok(session_id) = sid.parse::<Uuid>() else {
            return Ok(Rotation::Invalid);
        };
        match state.as_str() {
            "rotated" => {}
            "grace" => return Ok(Rotation::Grace { session_id }),
            "reuse" => {
                let user_id = self.get(session_id).await?.map(|s| s.user_id);
                self.revoke(session_id, user_id).await?;
                return Ok(Rotation::Reused {
                    session_id,
                    user_id,
                });
            }
            _ => return Ok(Rotation::Invalid),
        }
        let Some(mut session) = self.get(session_id).await? else {
            return Ok(Rotation::Invalid);
        };
        if session.refresh_hash != hash {
            // The session moved on without this token (it was revoked and recreated, or
            // written by a racing refresh): treat as invalid rather than fork the family.
            return Ok(Rotation::Invalid);
        }
        let refresh_token = refresh::generate();
        session.refresh_hash = refresh::hash(&refresh_token);
        session.last_seen_at = now();
        session.ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
        session.user_agent = user_agent.to_owned();
        if !self.store(&session, true).await? {
            return Ok(Rotation::Invalid);
        }
        Ok(Rotation::Rotated {
            session,
            refresh_token,
        })
    }

    /// Keeps the sealed pair issued for `old_token` for the grace window.
    pub async fn keep_for_grace(&self, old_token: &str, sealed: &[u8]) -> Result<()> {
        let mut conn = self.redis.conn();
        let ttl = self.lifetimes.grace.as_millis().max(1);
        let () = conn
            .pset_ex(
                self.grace_key(&refresh::hash(old_token)),
                sealed,
                u64::try_from(ttl).unwrap_or(u64::MAX),
            )
            .await?;
        Ok(())
    }

    /// Waits briefly for the pair a concurrent refresh is issuing for `old_token`.
    pub async fn await_grace(&self, old_token: &str) -> Result<Option<Vec<u8>>> {
        let key = self.grace_key(&refresh::hash(old_token));
        let mut conn = self.redis.conn();
        for _ in 0..40 {
            let sealed: Option<Vec<u8>> = conn.get(&key).await?;
            if sealed.is_some() {
                return Ok(sealed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(None)
    }

    /// Ends a session: its refresh token and access tokens stop working everywhere.
    pub async fn revoke(&self, id: Uuid, user_id: Option<Uuid>) -> Result<()> {
        let mut conn = self.redis.conn();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(session_key(&self.redis, id))
            .ignore()
            .set_ex(
                revoked_key(&self.redis, id),
                1,
                self.lifetimes.access.as_secs().max(1),
            )
            .ignore();
        if let Some(user_id) = user_id {
            pipe.srem(user_sessions_key(&self.redis, user_id), id.to_string())
                .ignore();
        }
        let () = pipe.query_async(&mut conn).await?;
        Ok(())
    }

    /// A user's live sessions, newest first. Ids of ended sessions are pruned.
    pub async fn list(&self, user_id: Uuid) -> Result<Vec<Session>> {
        let mut conn = self.redis.conn();
        let ids: Vec<String> = conn
            .smembers(user_sessions_key(&self.redis, user_id))
            .await?;
        let mut sessions = Vec::with_capacity(ids.len());
        let mut gone = Vec::new();
        for raw in ids {
            let Ok(id) = raw.parse::<Uuid>() else {
                gone.push(raw);
                continue;
            };
            match self.get(id).await? {
                Some(session) if session.user_id == user_id => sessions.push(session),
                _ => gone.push(raw),
            }
        }
        if !gone.is_empty() {
            let _: i64 = conn
                .srem(user_sessions_key(&self.redis, user_id), gone)
                .await?;
        }
        sessions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(sessions)
    }

    /// Ends every session of `user_id` except `keep`.
    pub async fn revoke_all_except(&self, user_id: Uuid, keep: Option<Uuid>) -> Result<usize> {
        let mut ended = 0;
        for session in self.list(user_id).await? {
            if Some(session.id) != keep {
                self.revoke(session.id, Some(user_id)).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }
}

fn parse_session(id: Uuid, f: &HashMap<String, String>) -> Option<Session> {
    let int = |k: &str| f.get(k)?.parse::<i64>().ok();
    Some(Session {
        id,
        user_id: f.get("user_id")?.parse().ok()?,
        created_at: int("created_at")?,
        last_seen_at: int("last_seen_at")?,
        expires_at: int("expires_at")?,
        ip: f.get("ip").cloned().unwrap_or_default(),
        user_agent: f.get("user_agent").cloned().unwrap_or_default(),
        refresh_hash: f.get("refresh_hash").cloned().unwrap_or_default(),
    })
}
