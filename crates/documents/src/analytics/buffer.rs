//! Recording events and the Redis side of the buffer (see the module docs for the layout).

use chrono::NaiveDate;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use redis::AsyncCommands;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use tandem_platform::metrics::Metrics;
use tandem_platform::redis::Redis;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Events the writer sends to Redis in one pipeline, at most.
const WRITE_BATCH: usize = 512;
/// `pending` outlives a day without flushes only if nothing records into it.
const PENDING_TTL_SECS: i64 = 24 * 3600;
/// A day's unique-viewer HyperLogLog is kept into the next day, then expires.
const VIEWERS_TTL_SECS: i64 = 2 * 24 * 3600;

/// Moves `pending` to the batch key and registers the batch, unless nothing is pending.
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('RENAME', KEYS[1], KEYS[2])
        redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
        return 1
        ",
    )
});

/// Takes over a batch claimed before ARGV[2], re-scoring it so only one instance wins.
static TAKE_OVER: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local claimed = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not claimed or tonumber(claimed) > tonumber(ARGV[2]) then return 0 end
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        return 1
        ",
    )
});

/// What happened to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// `GET /documents/{id}`.
    View,
    /// An accepted change (`PUT /documents/{id}` or a version restore).
    Edit,
    /// `GET /documents/{id}/export`.
    Export,
    /// `POST /documents/{id}/share`.
    Share,
}

impl Kind {
    fn code(self) -> char {
        match self {
            Kind::View => 'v',
            Kind::Edit => 'e',
            Kind::Export => 'x',
            Kind::Share => 's',
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "v" => Kind::View,
            "e" => Kind::Edit,
            "x" => Kind::Export,
            "s" => Kind::Share,
            _ => return None,
        })
    }
}

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Event {
    pub day: NaiveDate,
    pub document: Uuid,
    pub user: Uuid,
    pub kind: Kind,
}

impl Event {
    /// The `pending` hash field counting events like this one.
    pub fn field(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.day,
            self.document,
            self.user,
            self.kind.code()
        )
    }

    /// Parses [`Event::field`]; `None` for anything else.
    pub fn parse(field: &str) -> Option<Self> {
        let mut parts = field.split('|');
        let event = Self {
            day: parts.next()?.parse().ok()?,
            document: parts.next()?.parse().ok()?,
            user: parts.next()?.parse().ok()?,
            kind: Kind::from_code(parts.next()?)?,
        };
        parts.next().is_none().then_some(event)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct EventLabels {
    outcome: &'static str,
}

/// The recorder and its Redis buffer.
#[derive(Debug)]
pub(crate) struct Analytics {
    redis: Redis,
    sender: mpsc::Sender<Event>,
    /// Taken by the writer task when the background jobs start.
    receiver: Mutex<Option<mpsc::Receiver<Event>>>,
    events: Family<EventLabels, Counter>,
}

impl Analytics {
    /// A recorder queueing up to `capacity` events in memory.
    pub fn new(redis: Redis, capacity: usize, metrics: &Metrics) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let events = Family::<EventLabels, Counter>::default();
        metrics.register(
            "document_analytics_events",
            "Document analytics events, by outcome (buffered in Redis, flushed to PostgreSQL, dropped)",
            events.clone(),
        );
        Self {
            redis,
            sender,
            receiver: Mutex::new(Some(receiver)),
            events,
        }
    }

    fn count(&self, outcome: &'static str, n: usize) {
        self.events
            .get_or_create(&EventLabels { outcome })
            .inc_by(n as u64);
    }

    /// Counts `flushed` events applied to PostgreSQL.
    pub fn count_flushed(&self, n: i64) {
        self.count("flushed", usize::try_from(n).unwrap_or(0));
    }

    /// Records that `user` did `kind` to `document`, today (UTC). Never waits and never
    /// fails: if the queue is full (Redis is slow or down) the event is dropped.
    pub fn record(&self, document: Uuid, user: Uuid, kind: Kind) {
        let event = Event {
            day: chrono::Utc::now().date_naive(),
            document,
            user,
            kind,
        };
        if self.sender.try_send(event).is_err() {
            self.count("dropped", 1);
        }
    }

    /// The queue's receiving end, once: `None` if the writer already runs.
    pub fn take_receiver(&self) -> Option<mpsc::Receiver<Event>> {
        self.receiver
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    fn key(&self, key: impl std::fmt::Display) -> String {
        self.redis.key(format_args!("documents:analytics:{key}"))
    }

    fn batch_key(&self, batch: Uuid) -> String {
        self.key(format_args!("batch:{batch}"))
    }

    fn viewers_key(&self, document: Uuid, day: NaiveDate) -> String {
        self.key(format_args!("uv:{document}:{day}"))
    }

    /// Drains the queue into Redis until every sender is gone.
    pub async fn write(&self, mut receiver: mpsc::Receiver<Event>) {
        let mut events = Vec::with_capacity(WRITE_BATCH);
        while receiver.recv_many(&mut events, WRITE_BATCH).await > 0 {
            match self.write_batch(&events).await {
                Ok(()) => self.count("buffered", events.len()),
                Err(error) => {
                    tracing::warn!(%error, count = events.len(), "buffering analytics events in Redis failed; dropped");
                    self.count("dropped", events.len());
                }
            }
            events.clear();
        }
    }

    async fn write_batch(&self, events: &[Event]) -> redis::RedisResult<()> {
        let mut counts: HashMap<String, i64> = HashMap::new();
        let mut viewers: HashMap<String, Vec<String>> = HashMap::new();
        for event in events {
            *counts.entry(event.field()).or_default() += 1;
            if event.kind == Kind::View {
                viewers
                    .entry(self.viewers_key(event.document, event.day))
                    .or_default()
                    .push(event.user.to_string());
            }
        }
        let pending = self.key("pending");
        let mut pipe = redis::pipe();
        // Atomic, so a claim never takes `pending` between the counts and their TTL.
        pipe.atomic();
        for (field, n) in counts {
            pipe.hincr(&pending, field, n).ignore();
        }
        pipe.expire(&pending, PENDING_TTL_SECS).ignore();
        for (key, users) in viewers {
            pipe.pfadd(&key, users)
                .ignore()
                .expire(&key, VIEWERS_TTL_SECS)
                .ignore();
        }
        let mut conn = self.redis.conn();
        pipe.query_async(&mut conn).await
    }

    /// Claims everything pending as a new batch; `None` if nothing is pending.
    pub async fn claim(&self, now: i64) -> redis::RedisResult<Option<Uuid>> {
        let batch = Uuid::now_v7();
        let batch_key = self.batch_key(batch);
        let mut conn = self.redis.conn();
        let claimed: i64 = CLAIM
            .key(self.key("pending"))
            .key(batch_key)
            .key(self.key("inflight"))
            .arg(batch.to_string())
            .arg(now)
            .invoke_async(&mut conn)
            .await?;
        Ok((claimed == 1).then_some(batch))
    }

    /// Batches claimed before `cutoff` and never finished, now taken over by the caller.
    pub async fn take_over_stale(&self, cutoff: i64, now: i64) -> redis::RedisResult<Vec<Uuid>> {
        let inflight = self.key("inflight");
        let mut conn = self.redis.conn();
        let stale: Vec<String> = conn
            .zrangebyscore_limit(&inflight, "-inf", cutoff, 0, 16)
            .await?;
        let mut taken = Vec::new();
        for batch in stale {
            let won: i64 = TAKE_OVER
                .key(&inflight)
                .arg(&batch)
                .arg(cutoff)
                .arg(now)
                .invoke_async(&mut conn)
                .await?;
            match batch.parse() {
                Ok(id) if won == 1 => taken.push(id),
                Ok(_) => {}
                // Not ours to parse: drop it from the index so it is not retried forever.
                Err(_) => conn.zrem::<_, _, ()>(&inflight, &batch).await?,
            }
        }
        Ok(taken)
    }

    /// The counts of a claimed batch (empty if it is already gone).
    pub async fn read(&self, batch: Uuid) -> redis::RedisResult<HashMap<String, i64>> {
        let mut conn = self.redis.conn();
        conn.hgetall(self.batch_key(batch)).await
    }

    /// The HyperLogLog estimate of each `(document, day)`'s distinct viewers.
    pub async fn unique_viewers(&self, days: &[(Uuid, NaiveDate)]) -> redis::RedisResult<Vec<i64>> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for &(document, day) in days {
            pipe.pfcount(self.viewers_key(document, day));
        }
        let mut conn = self.redis.conn();
        pipe.query_async(&mut conn).await
    }

    /// Forgets a batch once PostgreSQL has it.
    pub async fn finish(&self, batch: Uuid) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn();
        let () = redis::pipe()
            .atomic()
            .del(self.batch_key(batch))
            .ignore()
            .zrem(self.key("inflight"), batch.to_string())
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_field_parses_back_to_the_event() {
        for kind in [Kind::View, Kind::Edit, Kind::Export, Kind::Share] {
            let event = Event {
                day: NaiveDate::from_ymd_opt(2025, 2, 28).unwrap(),
                document: Uuid::now_v7(),
                user: Uuid::now_v7(),
                kind,
            };
            assert_eq!(Event::parse(&event.field()), Some(event));
        }
    }

    #[test]
    fn a_foreign_field_is_not_an_event() {
        let user = Uuid::nil();
        for field in [
            "",
            "2025-02-28",
            &format!("2025-02-30|{user}|{user}|v"),
            &format!("2025-02-28|{user}|{user}|q"),
            &format!("2025-02-28|{user}|{user}|v|extra"),
            &format!("2025-02-28|nope|{user}|v"),
        ] {
            assert_eq!(Event::parse(field), None, "{field}");
        }
    }
}
