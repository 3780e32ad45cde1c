//! The Collaboration Service's metrics. Every label value is a constant of the code.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

/// The service's metrics, registered in the app's registry. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    sockets: Gauge,
    documents: Gauge,
    ops: Counter,
    commit_failures: Counter,
    batch_ops: Histogram,
    commit_seconds: Histogram,
    ack_seconds: Histogram,
    fanout_lag_seconds: Histogram,
    reconnects: Counter,
    resyncs: Counter,
    errors: Family<CodeLabel, Counter>,
    closes: Family<CodeLabel, Counter>,
}

fn latency() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

impl Metrics {
    /// Registers every metric in `registry`.
    pub fn register(registry: &tandem_platform::metrics::Metrics) -> Self {
        let metrics = Self {
            sockets: Gauge::default(),
            documents: Gauge::default(),
            ops: Counter::default(),
            commit_failures: Counter::default(),
            batch_ops: Histogram::new([
                1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0,
            ]),
            commit_seconds: latency(),
            ack_seconds: latency(),
            fanout_lag_seconds: latency(),
            reconnects: Counter::default(),
            resyncs: Counter::default(),
            errors: Family::default(),
            closes: Family::default(),
        };
        registry.register(
            "collab_sockets",
            "Open collaboration WebSockets",
            metrics.sockets.clone(),
        );
        registry.register(
            "collab_documents_open",
            "Documents open on this instance",
            metrics.documents.clone(),
        );
        registry.register(
            "collab_ops_committed",
            "Ops committed by this instance",
            metrics.ops.clone(),
        );
        registry.register(
            "collab_commit_failures",
            "Group commits that failed (PostgreSQL errors)",
            metrics.commit_failures.clone(),
        );
        registry.register(
            "collab_commit_batch_ops",
            "Ops per group commit",
            metrics.batch_ops.clone(),
        );
        registry.register(
            "collab_commit_seconds",
            "Group commit latency",
            metrics.commit_seconds.clone(),
        );
        registry.register(
            "collab_ack_seconds",
            "From a change's arrival to its ack",
            metrics.ack_seconds.clone(),
        );
        registry.register(
            "collab_fanout_lag_seconds",
            "From commit to a follower instance applying the op",
            metrics.fanout_lag_seconds.clone(),
        );
        registry.register(
            "collab_reconnects",
            "Connections resuming from a known revision",
            metrics.reconnects.clone(),
        );
        registry.register(
            "collab_resyncs",
            "Resumes from beyond the op window (full resync)",
            metrics.resyncs.clone(),
        );
        registry.register(
            "collab_errors",
            "Error messages sent to clients, by code",
            metrics.errors.clone(),
        );
        registry.register(
            "collab_closes",
            "Sockets closed by the server, by reason",
            metrics.closes.clone(),
        );
        metrics
    }

    /// A socket opened (+1) or closed (-1).
    pub fn socket(&self, delta: i64) {
        self.sockets.inc_by(delta);
    }

    /// A document opened (+1) or closed (-1) on this instance.
    pub fn document(&self, delta: i64) {
        self.documents.inc_by(delta);
    }

    /// A group commit of `ops` ops took `took`.
    pub fn observe_commit(&self, took: Duration, ops: usize, ok: bool) {
        self.commit_seconds.observe(took.as_secs_f64());
        if ok {
            self.batch_ops.observe(ops as f64);
            self.ops.inc_by(ops as u64);
        } else {
            self.commit_failures.inc();
        }
    }

    /// A change was acknowledged `took` after it arrived.
    pub fn observe_ack(&self, took: Duration) {
        self.ack_seconds.observe(took.as_secs_f64());
    }

    /// A follower applied an op `lag` after its commit.
    pub fn observe_fanout(&self, lag: Duration) {
        self.fanout_lag_seconds.observe(lag.as_secs_f64());
    }

    /// A client resumed from a revision (and needed a full resync, or not).
    pub fn resumed(&self, resync: bool) {
        self.reconnects.inc();
        if resync {
            self.resyncs.inc();
        }
    }

    /// An `error` with `code` was sent.
    pub fn error(&self, code: crate::protocol::ErrorCode) {
        self.errors
            .get_or_create(&CodeLabel {
                code: code.as_str(),
            })
            .inc();
    }

    /// A socket was closed with `close`.
    pub fn closed(&self, close: crate::protocol::Close) {
        self.closes
            .get_or_create(&CodeLabel {
                code: close.reason(),
            })
            .inc();
    }
}
