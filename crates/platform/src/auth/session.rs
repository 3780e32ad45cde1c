//! The Redis keys of sessions, shared by the User Service (which writes them) and every
//! service that verifies tokens (which reads them).

use crate::redis::Redis;
use uuid::Uuid;

/// The hash holding a live session. Its existence is what makes the session live.
pub fn session_key(redis: &Redis, session_id: Uuid) -> String {
    redis.key(format_args!("users:session:{session_id}"))
}

/// The set of a user's session ids.
pub fn user_sessions_key(redis: &Redis, user_id: Uuid) -> String {
    redis.key(format_args!("users:user_sessions:{user_id}"))
}

/// The tombstone of an ended session, kept until its access tokens would have expired.
pub fn revoked_key(redis: &Redis, session_id: Uuid) -> String {
    redis.key(format_args!("users:revoked:{session_id}"))
}

/// A session is live while its hash exists and no tombstone names it.
pub(super) async fn is_live(redis: &Redis, session_id: Uuid) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let (exists, revoked): (bool, bool) = redis::pipe()
        .exists(session_key(redis, session_id))
        .exists(revoked_key(redis, session_id))
        .query_async(&mut conn)
        .await?;
    Ok(exists && !revoked)
}

/// Which of `session_ids` are live, in order, in one round trip (for services that keep
/// long-lived connections and re-check their sessions periodically).
pub async fn live_sessions(redis: &Redis, session_ids: &[Uuid]) -> redis::RedisResult<Vec<bool>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in session_ids {
        pipe.exists(session_key(redis, *id))
            .exists(revoked_key(redis, *id));
    }
    let mut conn = redis.conn();
    let flags: Vec<bool> = pipe.query_async(&mut conn).await?;
    Ok(flags.chunks(2).map(|pair| pair[0] && !pair[1]).collect())
}
