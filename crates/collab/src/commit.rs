//! The group committer: one per instance, writing the pending ops of every document of the
//! instance in one statement, one transaction, one WAL flush.
//!
//! Committing one op per transaction is ShareDB's wall (a few hundred commits a second on
//! this kind of machine). Here the committer takes every request waiting, commits them
//! together, answers each, and starts the next batch the moment a statement slot is free
//! (`IN_FLIGHT` of them):
//! under light load an op costs about one commit, under heavy load batches grow and
//! throughput rises instead of latency. Each document checks its own fence inside the
//! statement, so one document losing it never aborts the others.

use crate::metrics::Metrics;
use crate::store::log::{self, DocumentBatch};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Documents per statement at most; more wait for the next one.
const MAX_DOCUMENTS: usize = 2_000;

/// Statements in flight at once. A document has at most one batch in flight (its actor
/// waits for the outcome before sending the next), so concurrent statements never touch
/// the same document and cannot reorder its revisions; they let PostgreSQL use more than
/// one core and overlap one statement's WAL flush with the next one's work.
const IN_FLIGHT: usize = 3;

/// What became of a document's batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Committed, at this time.
    Committed(DateTime<Utc>),
    /// The head or epoch was not what the writer believed: another instance writes this
    /// document now. Nothing was written.
    FenceLost,
    /// PostgreSQL failed; nothing was written.
    Failed(String),
}

struct Request {
    batch: DocumentBatch,
    reply: oneshot::Sender<Outcome>,
}

/// A handle to the instance's committer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Committer {
    requests: mpsc::UnboundedSender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("document", &self.batch.document)
            .finish_non_exhaustive()
    }
}

impl Committer {
    /// Starts the committer task on `db`.
    pub fn spawn(db: PgPool, metrics: Metrics) -> Self {
        let (requests, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(db, receiver, metrics));
        Self { requests }
    }

    /// Commits `batch`; resolves when its statement has committed (or failed).
    pub async fn commit(&self, batch: DocumentBatch) -> Outcome {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(Request { batch, reply }).is_err() {
            return Outcome::Failed("the committer stopped".into());
        }
        answer
            .await
            .unwrap_or_else(|_| Outcome::Failed("the committer stopped".into()))
    }
}

async fn run(db: PgPool, mut receiver: mpsc::UnboundedReceiver<Request>, metrics: Metrics) {
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = receiver.recv().await {
        // Everything that arrives while every statement slot is busy joins the next batch.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let mut requests = vec![first];
        while requests.len() < MAX_DOCUMENTS {
            match receiver.try_recv() {
                Ok(more) => requests.push(more),
                Err(_) => break,
            }
        }
        let db = db.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            commit_batch(&db, requests, &metrics).await;
            drop(permit);
        });
    }
}

async fn commit_batch(db: &PgPool, requests: Vec<Request>, metrics: &Metrics) {
    let batches: Vec<DocumentBatch> = requests.iter().map(|r| r.batch.clone()).collect();
    let ops: usize = batches.iter().map(|b| b.ops.len()).sum();
    let started = Instant::now();
    let at = Utc::now();
    let result = log::commit(db, &batches, at).await;
    metrics.observe_commit(started.elapsed(), ops, result.is_ok());
    match result {
        Ok(advanced) => {
            for request in requests {
                let outcome = if advanced.contains(&request.batch.document) {
                    Outcome::Committed(at)
                } else {
                    Outcome::FenceLost
                };
                let _ = request.reply.send(outcome);
            }
        }
        Err(error) => {
            tracing::warn!(%error, documents = batches.len(), ops, "group commit failed");
            let message = error.to_string();
            for request in requests {
                let _ = request.reply.send(Outcome::Failed(message.clone()));
            }
        }
    }
}
