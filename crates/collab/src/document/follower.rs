//! What a follower does: forward its clients' changes to the writer (again, until they are
//! acknowledged), apply the writer's committed ops in revision order, fill gaps from
//! PostgreSQL, and take over as writer when the writer's lease lapses.

use super::actor::{Actor, Mode};
use super::core::{Author, Entry, Remote};
use super::writer::{Origin, Submission, Writer};
use crate::fanout::{ForwardAnswer, Message, WireEntry};
use crate::protocol::{ChangeMsg, Close, ErrorCode, ServerMsg};
use crate::store::log;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A forwarded change not yet acknowledged.
struct Forwarded {
    conn: Uuid,
    author: Author,
    change: Submission,
    sent_at: Instant,
}

/// A re-send after this long without an answer.
const RESEND_AFTER: Duration = Duration::from_secs(3);

/// The follower's own state.
pub(super) struct Follower {
    writer: Option<String>,
    forwarded: HashMap<Uuid, Forwarded>,
    lease_checked: Instant,
    head_checked: Instant,
}

impl Follower {
    pub fn new(writer: Option<String>) -> Self {
        let now = Instant::now();
        Self {
            writer,
            forwarded: HashMap::new(),
            lease_checked: now,
            head_checked: now,
        }
    }
}

impl Actor {
    fn follower(&mut self) -> Option<&mut Follower> {
        match &mut self.mode {
            Mode::Follower(follower) => Some(follower),
            Mode::Writer(_) => None,
        }
    }

    /// Sends a local client's change to the writer.
    pub(super) async fn forward(&mut self, author: Author, msg: ChangeMsg) {
        let conn = author.session_id;
        let entry = Forwarded {
            conn,
            author,
            change: Submission {
                base: msg.revision,
                op: msg.operation.get().to_owned(),
                selection: msg.selection,
                kind: msg.kind,
            },
            sent_at: Instant::now(),
        };
        let writer = self.follower().and_then(|f| f.writer.clone());
        match writer {
            Some(writer) => {
                self.send_forward(&writer, &entry);
                if let Some(follower) = self.follower() {
                    follower.forwarded.insert(author.client_id, entry);
                }
            }
            None => {
                // Nobody writes the document right now; the lease check takes it over.
                if let Some(follower) = self.follower() {
                    follower.forwarded.insert(author.client_id, entry);
                }
                self.error_to(
                    conn,
                    ErrorCode::FanoutUnavailable,
                    "the document's writer cannot be reached; the change is kept and re-sent"
                        .into(),
                    Some(msg.seq),
                    Some(1000),
                );
            }
        }
    }

    fn send_forward(&self, writer: &str, entry: &Forwarded) {
        let message = Message::Forward {
            doc: self.doc,
            from: self.hub.instance.clone(),
            user_id: entry.author.user_id,
            session_id: entry.author.session_id,
            client_id: entry.author.client_id,
            seq: entry.author.seq,
            base: entry.change.base,
            op: entry.change.op.clone(),
            selection: entry.change.selection,
            kind: entry.change.kind,
        };
        self.hub.publisher.send(&[writer.to_owned()], &message);
    }

    /// A change another instance forwarded: the writer takes it; a follower passes it on to
    /// the writer it knows, if that is someone else.
    pub(super) async fn forwarded_change(
        &mut self,
        from: String,
        author: Author,
        change: Submission,
    ) {
        match &self.mode {
            Mode::Writer(_) => {
                self.submit_change(Origin::Remote(from), author, change, Instant::now())
                    .await;
            }
            Mode::Follower(follower) => {
                if let Some(writer) = follower.writer.clone().filter(|w| *w != from) {
                    let message = Message::Forward {
                        doc: self.doc,
                        from,
                        user_id: author.user_id,
                        session_id: author.session_id,
                        client_id: author.client_id,
                        seq: author.seq,
                        base: change.base,
                        op: change.op,
                        selection: change.selection,
                        kind: change.kind,
                    };
                    self.hub.publisher.send(&[writer], &message);
                }
            }
        }
    }

    /// The writer answered a forwarded change without committing it.
    pub(super) fn forward_answered(&mut self, client_id: Uuid, answer: ForwardAnswer) {
        let Some(conn) = self
            .conns
            .values()
            .find(|c| c.client_id == client_id)
            .map(|c| c.id)
        else {
            return;
        };
        let seq = match &answer {
            ForwardAnswer::Ack { seq, .. } | ForwardAnswer::Error { seq, .. } => *seq,
        };
        if let Some(follower) = self.follower()
            && follower
                .forwarded
                .get(&client_id)
                .is_some_and(|f| f.author.seq == seq)
        {
            follower.forwarded.remove(&client_id);
        }
        match answer {
            ForwardAnswer::Ack { seq, revision } => {
                self.send_to(conn, &ServerMsg::Ack { seq, revision })
            }
            ForwardAnswer::Error {
                code,
                message,
                seq,
                retry_after_ms,
            } => self.error_to(
                conn,
                code,
                message,
                (seq > 0).then_some(seq),
                retry_after_ms,
            ),
        }
    }

    /// Ops the writer committed.
    pub(super) async fn remote_committed(&mut self, from: String, entries: Vec<WireEntry>) {
        if matches!(self.mode, Mode::Writer(_)) {
            // Someone else committed for this document: the fence will stop whichever of
            // us is stale at its next commit.
            tracing::warn!(document_id = %self.doc, %from, "another instance committed ops of a document this instance writes");
            return;
        }
        if let Some(follower) = self.follower() {
            follower.writer = Some(from);
        }
        for wire in entries {
            let entry = Entry::from(wire);
            if !self.apply_one(entry).await {
                return;
            }
        }
    }

    /// Applies one committed op, filling any gap before it first. False if the replica
    /// diverged (and is being closed).
    async fn apply_one(&mut self, entry: Entry) -> bool {
        match self.core.apply_remote(&entry) {
            Remote::Applied => {
                self.applied(&[entry]);
                true
            }
            Remote::Duplicate => true,
            Remote::Gap { from, to } => {
                if !self.fill_gap(from, to).await {
                    return false;
                }
                if self.core.apply_remote(&entry) == Remote::Applied {
                    self.applied(&[entry]);
                }
                true
            }
            Remote::Diverged => {
                self.diverged().await;
                false
            }
        }
    }

    fn applied(&mut self, entries: &[Entry]) {
        let now = chrono::Utc::now();
        for entry in entries {
            if let Ok(lag) = (now - entry.committed_at).to_std() {
                self.hub.metrics.observe_fanout(lag);
            }
            if let Some(follower) = self.follower()
                && follower
                    .forwarded
                    .get(&entry.author.client_id)
                    .is_some_and(|f| f.author.seq <= entry.author.seq)
            {
                follower.forwarded.remove(&entry.author.client_id);
            }
        }
        self.deliver(entries);
    }

    /// Reads revisions `from..=to` from PostgreSQL and applies them.
    async fn fill_gap(&mut self, from: u64, to: u64) -> bool {
        let entries = match log::ops(&self.hub.platform.db, self.doc, from, to).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::debug!(%error, "cannot fill a gap now");
                return true;
            }
        };
        if entries.len() as u64 != to - from + 1 {
            // Pruned already: this replica cannot catch up op by op.
            self.diverged().await;
            return false;
        }
        for entry in entries {
            match self.core.apply_remote(&entry) {
                Remote::Applied => self.applied(&[entry]),
                Remote::Duplicate => {}
                _ => {
                    self.diverged().await;
                    return false;
                }
            }
        }
        true
    }

    /// The replica cannot follow the log: its clients reconnect and get a fresh one.
    async fn diverged(&mut self) {
        tracing::warn!(document_id = %self.doc, "replica diverged from the log; reopening");
        let ids: Vec<Uuid> = self.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id, Close::ServerRestart).await;
        }
        self.stopping = true;
    }

    pub(super) async fn follower_tick(&mut self, now: Instant) {
        let head_every = Duration::from_millis(self.hub.config.head_check_ms);
        let (check_lease, check_head) = match self.follower() {
            Some(f) => {
                let lease = now.duration_since(f.lease_checked) >= Duration::from_secs(1);
                let head = now.duration_since(f.head_checked) >= head_every;
                if lease {
                    f.lease_checked = now;
                }
                if head {
                    f.head_checked = now;
                }
                (lease, head)
            }
            None => return,
        };
        if check_lease {
            self.check_lease().await;
            if matches!(self.mode, Mode::Writer(_)) {
                return;
            }
        }
        if check_head {
            // An op whose fan-out was lost (a crash between commit and publish) is still
            // delivered within a second.
            if let Ok(Some(head)) = log::head(&self.hub.platform.db, self.doc).await
                && head.revision > self.core.revision()
            {
                let from = self.core.revision() + 1;
                self.fill_gap(from, head.revision).await;
            }
        }
        self.resend_forwarded(now);
    }

    async fn check_lease(&mut self) {
        let redis = &self.hub.platform.redis;
        let holder = match crate::presence::holder(redis, self.doc).await {
            Ok(holder) => holder,
            Err(_) => return,
        };
        match holder {
            None => {
                if let Ok(true) = crate::presence::acquire(
                    redis,
                    self.doc,
                    &self.hub.instance,
                    self.hub.config.lease_ms,
                )
                .await
                {
                    self.promote().await;
                }
            }
            Some(holder) => {
                let changed = self
                    .follower()
                    .is_some_and(|f| f.writer.as_deref() != Some(&holder));
                if changed {
                    if let Some(f) = self.follower() {
                        f.writer = Some(holder.clone());
                    }
                    // A new writer knows nothing of what was forwarded to the old one.
                    let pending: Vec<&Forwarded> = match &self.mode {
                        Mode::Follower(f) => f.forwarded.values().collect(),
                        Mode::Writer(_) => Vec::new(),
                    };
                    for entry in pending {
                        self.send_forward(&holder, entry);
                    }
                }
            }
        }
    }

    fn resend_forwarded(&mut self, now: Instant) {
        let Mode::Follower(follower) = &mut self.mode else {
            return;
        };
        let Some(writer) = follower.writer.clone() else {
            return;
        };
        let stale: Vec<Uuid> = follower
            .forwarded
            .iter()
            .filter(|(_, f)| now.duration_since(f.sent_at) >= RESEND_AFTER)
            .map(|(client, _)| *client)
            .collect();
        for client in stale {
            if let Mode::Follower(follower) = &mut self.mode
                && let Some(entry) = follower.forwarded.get_mut(&client)
            {
                entry.sent_at = now;
            }
            if let Mode::Follower(follower) = &self.mode
                && let Some(entry) = follower.forwarded.get(&client)
            {
                self.send_forward(&writer, entry);
            }
        }
    }

    /// The writer's lease lapsed and this instance took it: become the writer. Bump the
    /// epoch (fencing out the old writer), catch up from PostgreSQL, and submit what was
    /// forwarded and not yet acknowledged.
    async fn promote(&mut self) {
        let db = &self.hub.platform.db;
        let head = match log::take_writership(db, self.doc, &self.hub.instance).await {
            Ok(head) => head,
            Err(error) => {
                tracing::warn!(%error, "cannot take over as writer");
                let _ = crate::presence::release(
                    &self.hub.platform.redis,
                    self.doc,
                    &self.hub.instance,
                )
                .await;
                return;
            }
        };
        tracing::info!(document_id = %self.doc, epoch = head.epoch, "took over as the document's writer");
        // The old writer's last save may not have reached this follower (it stopped before
        // it could tell): its save record in PostgreSQL is what says which text a version
        // holds, so a later save conflict does not merge that version in again.
        if let Ok(Some((version, revision))) = crate::store::meta::last_save(db, self.doc).await
            && version > self.version
        {
            self.version = version;
            self.saved_revision = revision;
        }
        if head.revision > self.core.revision() {
            let from = self.core.revision() + 1;
            if !self.fill_gap(from, head.revision).await {
                return;
            }
        }
        let forwarded = match std::mem::replace(
            &mut self.mode,
            Mode::Writer(Box::new(Writer::new(head.epoch, self.version))),
        ) {
            Mode::Follower(follower) => follower.forwarded,
            Mode::Writer(_) => HashMap::new(),
        };
        for (_, entry) in forwarded {
            self.submit_change(
                Origin::Local(entry.conn),
                entry.author,
                entry.change,
                entry.sent_at,
            )
            .await;
        }
    }

    /// Whether nothing this follower forwarded is still waiting.
    pub(super) fn follower_is_quiet(&self) -> bool {
        match &self.mode {
            Mode::Follower(f) => f.forwarded.is_empty(),
            Mode::Writer(_) => true,
        }
    }
}

impl Actor {
    /// Whether closing the document now would lose nothing.
    pub(super) fn is_quiet(&self) -> bool {
        self.writer_is_quiet() && self.follower_is_quiet()
    }
}
