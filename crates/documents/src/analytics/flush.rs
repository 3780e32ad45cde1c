//! The flush job: Redis counters into PostgreSQL, one batch per transaction.
//!
//! Every instance runs it. A batch is claimed by exactly one instance (an atomic `RENAME`),
//! and applying it is idempotent (its id is recorded in the same transaction), so instances
//! flushing side by side never count an event twice.

use super::STALE_SECS;
use super::buffer::{Event, Kind};
use super::store::{self, Counts};
use crate::state::AppState;
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

/// Writes the queued events to Redis and flushes Redis to PostgreSQL, until the process ends.
pub(crate) async fn run(state: AppState) {
    let writer = async {
        if let Some(receiver) = state.analytics.take_receiver() {
            state.analytics.write(receiver).await;
        }
    };
    let flusher = async {
        let secs = state.config.analytics_flush_secs.max(1);
        // The first flush comes one interval after start, not at once: a process starting
        // next to others (a restart, a test's sibling app) has nothing of its own to flush.
        let period = Duration::from_secs(secs);
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_prune = tokio::time::Instant::now();
        loop {
            every.tick().await;
            if let Err(error) = flush_once(&state).await {
                tracing::warn!(error = format!("{error:#}"), "flushing analytics failed");
            }
            if last_prune.elapsed() > Duration::from_secs(3600) {
                last_prune = tokio::time::Instant::now();
                if let Err(error) = store::prune_flushes(&state.platform.db).await {
                    tracing::warn!(%error, "pruning applied analytics batches failed");
                }
            }
        }
    };
    tokio::join!(writer, flusher);
}

/// Flushes abandoned batches, then everything pending; returns how many events were applied.
pub(crate) async fn flush_once(state: &AppState) -> anyhow::Result<i64> {
    let now = chrono::Utc::now().timestamp();
    let mut applied = 0;
    for batch in state
        .analytics
        .take_over_stale(now - STALE_SECS, now)
        .await?
    {
        // One bad batch must not hold up the others; it is retried later.
        match flush_batch(state, batch).await {
            Ok(n) => applied += n,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), %batch, "flushing an abandoned analytics batch failed");
            }
        }
    }
    if let Some(batch) = state.analytics.claim(now).await? {
        applied += flush_batch(state, batch).await?;
    }
    Ok(applied)
}

/// The batch's counts, per document and day and per document, day and user.
#[derive(Debug, Default)]
struct Tally {
    daily: BTreeMap<(Uuid, chrono::NaiveDate), Counts>,
    per_user: BTreeMap<(Uuid, chrono::NaiveDate, Uuid), Counts>,
    events: i64,
}

impl Tally {
    fn of(fields: impl IntoIterator<Item = (String, i64)>) -> Self {
        let mut tally = Self::default();
        for (field, n) in fields {
            let Some(event) = Event::parse(&field) else {
                tracing::warn!(field, "ignoring an unreadable analytics field");
                continue;
            };
            tally
                .daily
                .entry((event.document, event.day))
                .or_default()
                .add(event.kind, n);
            tally
                .per_user
                .entry((event.document, event.day, event.user))
                .or_default()
                .add(event.kind, n);
            tally.events += n;
        }
        tally
    }
}

impl Counts {
    fn add(&mut self, kind: Kind, n: i64) {
        match kind {
            Kind::View => self.views += n,
            Kind::Edit => self.edits += n,
            Kind::Export => self.exports += n,
            Kind::Share => self.shares += n,
        }
    }
}

async fn flush_batch(state: &AppState, batch: Uuid) -> anyhow::Result<i64> {
    use anyhow::Context;
    let analytics = &state.analytics;
    let tally = Tally::of(analytics.read(batch).await?);
    let viewed: Vec<_> = tally
        .daily
        .iter()
        .filter(|(_, c)| c.views > 0)
        .map(|(key, _)| *key)
        .collect();
    let estimates = analytics.unique_viewers(&viewed).await?;
    let unique: BTreeMap<_, _> = viewed.into_iter().zip(estimates).collect();

    let mut tx = state.platform.db.begin().await?;
    let fresh = store::mark_applied(&mut *tx, batch).await?;
    if fresh {
        let daily: Vec<_> = tally
            .daily
            .iter()
            .map(|(key, counts)| (*key, *counts, unique.get(key).copied().unwrap_or(0)))
            .collect();
        store::add_daily(&mut *tx, &daily)
            .await
            .with_context(|| format!("adding analytics batch {batch} per day"))?;
        store::add_user_daily(&mut *tx, &tally.per_user)
            .await
            .with_context(|| format!("adding analytics batch {batch} per user"))?;
    }
    tx.commit().await?;
    analytics.finish(batch).await?;
    let applied = if fresh { tally.events } else { 0 };
    analytics.count_flushed(applied);
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_adds_counts_per_day_and_per_user() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let (doc, ada, bob) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let field = |user, kind| {
            Event {
                day,
                document: doc,
                user,
                kind,
            }
            .field()
        };
        let tally = Tally::of([
            (field(ada, Kind::View), 3),
            (field(bob, Kind::View), 2),
            (field(ada, Kind::Edit), 1),
            ("garbage".to_owned(), 9),
        ]);
        assert_eq!(tally.events, 6);
        let total = tally.daily[&(doc, day)];
        assert_eq!((total.views, total.edits, total.exports), (5, 1, 0));
        assert_eq!(tally.per_user[&(doc, day, ada)].views, 3);
        assert_eq!(tally.per_user[&(doc, day, bob)].edits, 0);
    }
}
