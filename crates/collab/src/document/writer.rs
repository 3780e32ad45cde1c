//! What the document's writer does: accept changes, group-commit them, deliver and fan out
//! what committed, save into the Document Service, and merge edits made outside the
//! session.

use super::actor::{Actor, Command, Mode, RestEdit};
use super::core::{Author, Change, Editor, Refusal, Submitted, rebuild_stacks};
use super::undo::{Kind, Stacks};
use crate::clients::{Save, Saved};
use crate::commit::Outcome;
use crate::fanout::{EditAnswer, ForwardAnswer, Message, UndoAnswer, UndoRequest, WireEntry};
use crate::protocol::{Close, ErrorCode, Selection, ServerMsg};
use crate::store::log::{DocumentBatch, NewOp};
use crate::store::{log, meta};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A change as it arrives, its op not parsed yet.
#[derive(Debug, Clone)]
pub(super) struct Submission {
    /// Its base revision.
    pub base: u64,
    /// The op, ot.js wire format.
    pub op: String,
    /// The author's selection after it.
    pub selection: Option<Selection>,
    /// An edit, or an undo or redo the client made in its own history.
    pub kind: Kind,
}

/// Where a change came from, for answers that are not a committed op.
#[derive(Debug, Clone)]
pub(super) enum Origin {
    /// A connection on this instance.
    Local(Uuid),
    /// A follower instance.
    Remote(String),
}

/// The writer's own state.
pub(super) struct Writer {
    pub epoch: i64,
    committing: bool,
    retry_at: Option<Instant>,
    backoff: Duration,
    storage_warned: bool,
    /// When each pending change arrived (for ack latency) and where from.
    arrivals: HashMap<(Uuid, u64), (Instant, Origin)>,
    lease_renewed: Instant,
    pub save: SaveState,
    rest: Vec<(u64, oneshot::Sender<EditAnswer>)>,
    /// Undos waiting for their revision to commit.
    undos: Vec<(u64, oneshot::Sender<UndoAnswer>)>,
    snapshot_revision: u64,
    /// The document was trashed or deleted: nothing to save.
    pub gone: bool,
    /// Another instance writes the document now.
    lost: bool,
}

/// When and what to save.
#[derive(Default)]
pub(super) struct SaveState {
    saving: bool,
    /// Save at the next tick, debounce or not.
    pub force: bool,
    explicit: bool,
    dirty_since: Option<Instant>,
    last_op: Option<Instant>,
    contributors: HashSet<Uuid>,
    last_author: Option<Uuid>,
    last_edit_at: Option<DateTime<Utc>>,
    retry_at: Option<Instant>,
    /// The save in flight: `(version, revision)` once the Document Service has it.
    task: Option<tokio::task::JoinHandle<Option<(i64, u64)>>>,
}

/// A finished save, reported back to the actor.
#[derive(Debug)]
pub struct SaveResult {
    revision: u64,
    contributors: Vec<Uuid>,
    outcome: anyhow::Result<Saved>,
}

impl Writer {
    pub fn new(epoch: i64, _version: i64) -> Self {
        Self {
            epoch,
            committing: false,
            retry_at: None,
            backoff: Duration::from_millis(200),
            storage_warned: false,
            arrivals: HashMap::new(),
            lease_renewed: Instant::now(),
            save: SaveState::default(),
            rest: Vec::new(),
            undos: Vec::new(),
            snapshot_revision: 0,
            gone: false,
            lost: false,
        }
    }
}

/// The protocol error for a refused change.
fn refusal_code(refusal: &Refusal) -> ErrorCode {
    match refusal {
        Refusal::FutureRevision { .. } => ErrorCode::InvalidRevision,
        Refusal::InvalidOperation(_) => ErrorCode::InvalidOperation,
        Refusal::StaleSeq { .. } => ErrorCode::StaleSeq,
        Refusal::TooLarge { .. } => ErrorCode::DocumentTooLarge,
    }
}

impl Actor {
    fn writer(&mut self) -> Option<&mut Writer> {
        match &mut self.mode {
            Mode::Writer(writer) => Some(writer),
            Mode::Follower(_) => None,
        }
    }

    /// Accepts (or answers) a change from a local connection or a follower.
    pub(super) async fn submit_change(
        &mut self,
        origin: Origin,
        author: Author,
        submission: Submission,
        at: Instant,
    ) {
        let seq = author.seq;
        let Submission {
            base,
            op: op_json,
            selection,
            kind,
        } = submission;
        let op = match tandem_ot::Operation::from_json(&op_json, &self.hub.op_limits) {
            Ok(op) => op,
            Err(error) => {
                let code = match error {
                    tandem_ot::OtError::TooLarge { .. }
                    | tandem_ot::OtError::TooManyComponents { .. }
                    | tandem_ot::OtError::TooMuchInserted { .. } => ErrorCode::OperationTooLarge,
                    _ => ErrorCode::InvalidOperation,
                };
                self.answer(
                    &origin,
                    author.client_id,
                    error_answer(code, error.to_string(), seq, None),
                );
                return;
            }
        };
        if self.load_client(author.client_id).await.is_err() {
            let answer = error_answer(
                ErrorCode::StorageUnavailable,
                "the document's storage cannot be read now; the change is not accepted".into(),
                seq,
                Some(1000),
            );
            self.answer(&origin, author.client_id, answer);
            return;
        }
        if base > self.core.revision() {
            let message = format!(
                "revision {base} is newer than the document's {}",
                self.core.revision()
            );
            self.answer(
                &origin,
                author.client_id,
                error_answer(ErrorCode::InvalidRevision, message, seq, None),
            );
            return;
        }
        if kind != Kind::Edit {
            // Recognising the client's undo needs its stacks.
            self.ensure_stacks((author.user_id, author.client_id)).await;
        }
        let change = Change {
            author,
            base,
            op,
            selection,
            kind,
        };
        let older = match self.older_history(base).await {
            Ok(older) => older,
            Err(answer) => {
                self.answer(&origin, author.client_id, with_seq(answer, seq));
                return;
            }
        };
        match self.core.submit(change, &older) {
            Ok(Submitted::Accepted { .. }) => {
                if let Some(writer) = self.writer() {
                    writer
                        .arrivals
                        .insert((author.client_id, seq), (at, origin));
                }
                self.start_commit();
            }
            Ok(Submitted::AlreadyCommitted { seq, revision }) => {
                self.answer(
                    &origin,
                    author.client_id,
                    ForwardAnswer::Ack { seq, revision },
                );
            }
            Ok(Submitted::AlreadyPending) => {}
            Err(refusal) => {
                let answer = error_answer(refusal_code(&refusal), refusal.to_string(), seq, None);
                self.answer(&origin, author.client_id, answer);
            }
        }
    }

    /// The committed ops a change based on `base` needs that the memory window lacks.
    async fn older_history(&self, base: u64) -> Result<Vec<tandem_ot::Operation>, ForwardAnswer> {
        let Some((from, to)) = self.core.missing_history(base) else {
            return Ok(Vec::new());
        };
        let too_old = || {
            error_answer(
                ErrorCode::RevisionTooOld,
                format!("revision {base} is older than the op log kept; reconnect to resync"),
                0,
                None,
            )
        };
        match log::ops(&self.hub.platform.db, self.doc, from, to).await {
            Ok(entries) if entries.len() as u64 == to - from + 1 => {
                Ok(entries.into_iter().map(|e| e.op).collect())
            }
            Ok(_) => Err(too_old()),
            Err(_) => Err(error_answer(
                ErrorCode::StorageUnavailable,
                "the op log cannot be read now".into(),
                0,
                Some(1000),
            )),
        }
    }

    /// Sends an answer that is not a committed op to where the change came from.
    fn answer(&mut self, origin: &Origin, client_id: Uuid, answer: ForwardAnswer) {
        match origin {
            Origin::Local(id) => {
                let id = *id;
                match answer {
                    ForwardAnswer::Ack { seq, revision } => {
                        self.send_to(id, &ServerMsg::Ack { seq, revision });
                    }
                    ForwardAnswer::Error {
                        code,
                        message,
                        seq,
                        retry_after_ms,
                    } => {
                        let seq = (seq > 0).then_some(seq);
                        self.error_to(id, code, message, seq, retry_after_ms);
                    }
                }
            }
            Origin::Remote(instance) => {
                let message = Message::ForwardResult {
                    doc: self.doc,
                    client_id,
                    answer,
                };
                self.hub
                    .publisher
                    .send(std::slice::from_ref(instance), &message);
            }
        }
    }

    /// Hands the accepted changes to the committer, unless a batch is in flight or storage
    /// is being retried.
    pub(super) fn start_commit(&mut self) {
        let doc = self.doc;
        let expected = self.core.revision();
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        if writer.committing || writer.retry_at.is_some_and(|at| at > Instant::now()) {
            return;
        }
        let Some(pending) = self.core.take_batch() else {
            return;
        };
        writer.committing = true;
        let batch = DocumentBatch {
            document: doc,
            epoch: writer.epoch,
            expected,
            ops: pending
                .into_iter()
                .map(|p| NewOp {
                    revision: p.revision,
                    op: p.op,
                    author: p.author,
                    selection: p.selection,
                    kind: p.kind,
                    restores: p.restores,
                })
                .collect(),
        };
        let committer = self.hub.committer.clone();
        let own = self.own.clone();
        tokio::spawn(async move {
            let outcome = committer.commit(batch).await;
            let _ = own.send(Command::Committed(outcome)).await;
        });
    }

    pub(super) async fn on_committed(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Committed(at) => self.committed(at),
            Outcome::FenceLost => self.lost_writership().await,
            Outcome::Failed(error) => self.commit_failed(error),
        }
    }

    fn committed(&mut self, at: DateTime<Utc>) {
        let entries = self.core.batch_committed(at);
        let head = self.core.revision();
        let now = Instant::now();
        let metrics = self.hub.metrics.clone();
        if let Mode::Writer(writer) = &mut self.mode {
            writer.committing = false;
            writer.retry_at = None;
            writer.backoff = Duration::from_millis(200);
            writer.storage_warned = false;
            for entry in &entries {
                let key = (entry.author.client_id, entry.author.seq);
                if let Some((arrived, _)) = writer.arrivals.remove(&key) {
                    metrics.observe_ack(now.duration_since(arrived));
                }
                let save = &mut writer.save;
                save.dirty_since.get_or_insert(now);
                save.last_op = Some(now);
                save.contributors.insert(entry.author.user_id);
                save.last_author = Some(entry.author.user_id);
                save.last_edit_at = Some(entry.committed_at);
            }
            if writer.rest.iter().any(|(revision, _)| *revision <= head) {
                writer.save.force = true;
            }
        }
        self.deliver(&entries);
        if let Mode::Writer(writer) = &mut self.mode {
            let (done, waiting): (Vec<_>, Vec<_>) = writer
                .undos
                .drain(..)
                .partition(|(revision, _)| *revision <= head);
            writer.undos = waiting;
            for (revision, reply) in done {
                let _ = reply.send(UndoAnswer::Applied { revision });
            }
        }
        let message = Message::Committed {
            doc: self.doc,
            from: self.hub.instance.clone(),
            entries: entries.iter().map(WireEntry::from).collect(),
        };
        self.hub.publisher.send(&self.peers, &message);
        self.maybe_snapshot();
        self.start_commit();
    }

    fn commit_failed(&mut self, error: String) {
        self.core.batch_failed();
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        writer.committing = false;
        writer.retry_at = Some(Instant::now() + writer.backoff);
        let retry_ms = writer.backoff.as_millis() as u64;
        writer.backoff = (writer.backoff * 2).min(Duration::from_secs(5));
        if writer.storage_warned {
            return;
        }
        writer.storage_warned = true;
        tracing::warn!(document_id = %self.doc, %error, "commit failed; retrying");
        let waiting: Vec<(Uuid, u64, Origin)> = writer
            .arrivals
            .iter()
            .map(|((client, seq), (_, origin))| (*client, *seq, origin.clone()))
            .collect();
        for (client, seq, origin) in waiting {
            let answer = error_answer(
                ErrorCode::StorageUnavailable,
                "storage is unavailable: the change is kept and will be acknowledged once it commits".into(),
                seq,
                Some(retry_ms.max(1000)),
            );
            self.answer(&origin, client, answer);
        }
    }

    /// A background lease renewal found another instance holding the lease.
    pub(super) async fn lease_lost(&mut self, epoch: i64) {
        if matches!(&self.mode, Mode::Writer(writer) if writer.epoch == epoch) {
            self.lost_writership().await;
        }
    }

    /// Another instance writes this document now: nothing pending was acknowledged, so drop
    /// it and send the clients to reconnect (to the writer) and re-send.
    pub(super) async fn lost_writership(&mut self) {
        tracing::warn!(document_id = %self.doc, "lost the right to write this document");
        self.core.discard_pending();
        if let Mode::Writer(writer) = &mut self.mode {
            writer.lost = true;
            for (_, reply) in writer.rest.drain(..) {
                let _ = reply.send(EditAnswer::Failed {
                    message: "the document's writer changed; try again".into(),
                });
            }
            for (_, reply) in writer.undos.drain(..) {
                let _ = reply.send(UndoAnswer::error(
                    ErrorCode::UndoFailed,
                    "the document's writer changed; nothing was undone; try again",
                ));
            }
        }
        let ids: Vec<Uuid> = self.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id, Close::ServerRestart).await;
        }
        self.stopping = true;
    }

    fn maybe_snapshot(&mut self) {
        let head = self.core.revision();
        let every = self.hub.config.snapshot_every.max(1);
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        if head < writer.snapshot_revision + every {
            return;
        }
        writer.snapshot_revision = head;
        let text = self.core.text().to_string();
        let authors = self.core.authors().clone();
        let db = self.hub.platform.db.clone();
        let doc = self.doc;
        tokio::spawn(async move {
            if let Err(error) = log::write_snapshot(&db, doc, head, &text, Some(&authors)).await {
                tracing::warn!(%error, "writing a snapshot failed");
            }
        });
    }

    pub(super) async fn writer_tick(&mut self, now: Instant) {
        let lease_every = Duration::from_millis(self.hub.config.lease_ms / 4);
        let renew = match &mut self.mode {
            Mode::Writer(writer) if now.duration_since(writer.lease_renewed) >= lease_every => {
                writer.lease_renewed = now;
                Some(writer.epoch)
            }
            _ => None,
        };
        if let Some(epoch) = renew {
            // Beside the actor, so changes do not wait for Redis; a lease found lost comes
            // back as a command naming the epoch it was renewed for.
            let redis = self.hub.platform.redis.clone();
            let instance = self.hub.instance.clone();
            let lease_ms = self.hub.config.lease_ms;
            let doc = self.doc;
            let own = self.own.clone();
            tokio::spawn(async move {
                match crate::presence::renew(&redis, doc, &instance, lease_ms).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ = own.send(Command::LeaseLost(epoch)).await;
                    }
                    // Without Redis this instance keeps writing: PostgreSQL's fence decides.
                    Err(error) => tracing::debug!(%error, "cannot renew the lease"),
                }
            });
        }
        self.start_commit();
        self.maybe_save(now).await;
    }

    pub(super) async fn maybe_save(&mut self, now: Instant) {
        let head = self.core.revision();
        let dirty = head > self.saved_revision;
        let config = &self.hub.config;
        let debounce = Duration::from_millis(config.save_debounce_ms);
        let max_interval = Duration::from_secs(config.save_max_interval_secs);
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        let save = &mut writer.save;
        if save.saving || writer.gone || writer.lost || save.retry_at.is_some_and(|at| at > now) {
            return;
        }
        if !dirty {
            if save.force && save.explicit {
                // Nothing new to save: the current version is the answer.
                let message = ServerMsg::DocumentSaved {
                    revision: self.saved_revision,
                    version: self.version,
                    saved_at: Utc::now(),
                };
                save.force = false;
                save.explicit = false;
                self.broadcast(&message, None);
            }
            if let Mode::Writer(writer) = &mut self.mode {
                writer.save.force = false;
            }
            return;
        }
        let due = save.force
            || save
                .last_op
                .is_none_or(|at| now.duration_since(at) >= debounce)
            || save
                .dirty_since
                .is_some_and(|at| now.duration_since(at) >= max_interval);
        if !due {
            return;
        }
        save.saving = true;
        save.force = false;
        let explicit = std::mem::take(&mut save.explicit);
        let mut contributors: Vec<Uuid> = save.contributors.drain().collect();
        let last_author = save.last_author;
        let edited_at = save.last_edit_at.unwrap_or_else(Utc::now);
        if contributors.is_empty() {
            // Ops committed before a restart: their authors are in the log.
            if let Ok(entries) = log::ops(
                &self.hub.platform.db,
                self.doc,
                self.saved_revision + 1,
                head,
            )
            .await
            {
                contributors = entries.iter().map(|e| e.author.user_id).collect();
                contributors.sort_unstable();
                contributors.dedup();
            }
        }
        let last_editor_id = last_author
            .or_else(|| contributors.first().copied())
            .unwrap_or_else(Uuid::nil);
        if contributors.is_empty() {
            contributors.push(last_editor_id);
        }
        let request = Save {
            base_version: self.version,
            content: self.core.text().to_string(),
            contributors: contributors.clone(),
            last_editor_id,
            edited_at,
            explicit,
        };
        let documents = self.hub.documents.clone();
        let db = self.hub.platform.db.clone();
        let own = self.own.clone();
        let doc = self.doc;
        let task = tokio::spawn(async move {
            let outcome = documents.save(doc, &request).await;
            // Which revision a version holds is recorded here, not by the actor: an actor
            // that shuts down before it reads this result must not leave a version it
            // cannot place (reopening would merge it again and duplicate its text).
            let saved = match &outcome {
                Ok(Saved::Version { version, saved_at }) => {
                    if let Err(error) = meta::record_save(&db, doc, *version, head, *saved_at).await
                    {
                        tracing::warn!(%error, "recording a save failed");
                    }
                    Some((*version, head))
                }
                _ => None,
            };
            let result = SaveResult {
                revision: head,
                contributors,
                outcome,
            };
            let _ = own.send(Command::Saved(Box::new(result))).await;
            saved
        });
        if let Mode::Writer(writer) = &mut self.mode {
            writer.save.task = Some(task);
        }
    }

    /// Waits (boundedly) for the save in flight, taking its version as the session's.
    async fn finish_save(&mut self) {
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        let Some(task) = writer.save.task.take() else {
            return;
        };
        writer.save.saving = false;
        if let Ok(Ok(Some((version, revision)))) =
            tokio::time::timeout(Duration::from_secs(10), task).await
            && revision >= self.saved_revision
        {
            self.version = version;
            self.saved_revision = revision;
        }
    }

    pub(super) async fn on_saved(&mut self, result: SaveResult) {
        let now = Instant::now();
        let head = self.core.revision();
        let Mode::Writer(writer) = &mut self.mode else {
            return;
        };
        writer.save.saving = false;
        writer.save.task = None;
        match result.outcome {
            Ok(Saved::Version { version, saved_at }) => {
                writer.save.retry_at = None;
                writer.save.dirty_since = (head > result.revision).then_some(now);
                let answered: Vec<oneshot::Sender<EditAnswer>> = {
                    let (done, waiting): (Vec<_>, Vec<_>) = writer
                        .rest
                        .drain(..)
                        .partition(|(revision, _)| *revision <= result.revision);
                    writer.rest = waiting;
                    done.into_iter().map(|(_, reply)| reply).collect()
                };
                for reply in answered {
                    let _ = reply.send(EditAnswer::Merged { version });
                }
                self.version = version;
                self.saved_revision = result.revision;
                let doc = self.doc;
                let revision = result.revision;
                let message = ServerMsg::DocumentSaved {
                    revision,
                    version,
                    saved_at,
                };
                self.broadcast(&message, None);
                let remote = Message::Saved {
                    doc,
                    revision,
                    version,
                    saved_at,
                };
                self.hub.publisher.send(&self.peers, &remote);
            }
            Ok(Saved::Conflict) => {
                writer.save.contributors.extend(result.contributors);
                writer.save.force = true;
                // A version this session has not seen: merge it, then save again.
                match self.hub.documents.load(self.doc).await {
                    Ok(Some(loaded)) => {
                        let content = super::load::normalize_newlines(&loaded.content);
                        self.merge_outside_change(loaded.version, &content, loaded.last_editor_id)
                            .await;
                    }
                    Ok(None) => self.gone().await,
                    Err(error) => self.save_failed(error.to_string(), now),
                }
            }
            Ok(Saved::Gone) => self.gone().await,
            Err(error) => {
                writer.save.contributors.extend(result.contributors);
                self.save_failed(format!("{error:#}"), now);
            }
        }
    }

    fn save_failed(&mut self, error: String, now: Instant) {
        tracing::warn!(document_id = %self.doc, %error, "saving into the Document Service failed; retrying");
        if let Mode::Writer(writer) = &mut self.mode {
            writer.save.retry_at = Some(now + Duration::from_secs(2));
            if writer.save.explicit {
                writer.save.explicit = false;
                let message = ServerMsg::error(
                    ErrorCode::SaveFailed,
                    "the version could not be saved now; changes are kept and saved later",
                    None,
                );
                self.broadcast(&message, None);
            }
        }
    }

    /// The Document Service holds `version` with `content`, which this session has not
    /// seen (a REST edit while collab could not be reached, a version restore, an edit
    /// while no session was live). Commit the difference as an op based on the revision
    /// saved as the version it replaced, like any other change.
    pub(super) async fn merge_outside_change(&mut self, version: i64, content: &str, author: Uuid) {
        if self.writer().is_none() {
            return;
        }
        let base = self.saved_revision;
        let base_text = if base == self.core.revision() {
            Some(self.core.text().to_string())
        } else {
            log::text_at(&self.hub.platform.db, self.doc, base)
                .await
                .ok()
                .flatten()
        };
        let (base, base_text) = match base_text {
            Some(text) => (base, text),
            None => {
                tracing::warn!(document_id = %self.doc, "the saved revision is gone from the log; merging against the current text");
                (self.core.revision(), self.core.text().to_string())
            }
        };
        self.version = version;
        if let Some(writer) = self.writer() {
            writer.save.force = true;
        }
        // A version holding the session's own text (a save it did not see answered) is
        // not an outside change; diffing it against an older base would add its edits twice.
        if *self.core.text() == content {
            let revision = self.core.revision();
            self.saved_revision = revision;
            if let Err(error) = meta::record_save(
                &self.hub.platform.db,
                self.doc,
                version,
                revision,
                Utc::now(),
            )
            .await
            {
                tracing::warn!(%error, "recording a save failed");
            }
            return;
        }
        let op = tandem_ot::diff(&base_text, content);
        if op.is_noop() {
            return;
        }
        let change = Change {
            author: Author {
                user_id: author,
                session_id: Uuid::nil(),
                client_id: Uuid::nil(),
                seq: 0,
            },
            base,
            op,
            selection: None,
            kind: Kind::Edit,
        };
        let older = self.older_history(base).await.unwrap_or_default();
        if let Err(refusal) = self.core.submit(change, &older) {
            tracing::warn!(document_id = %self.doc, %refusal, "an outside change could not be merged");
        }
        self.start_commit();
    }

    pub(super) async fn content_changed(&mut self, version: i64) {
        if self.writer().is_none() || version <= self.version {
            return;
        }
        if let Ok(Some(loaded)) = self.hub.documents.load(self.doc).await
            && loaded.version > self.version
        {
            let content = super::load::normalize_newlines(&loaded.content);
            self.merge_outside_change(loaded.version, &content, loaded.last_editor_id)
                .await;
        }
    }

    pub(super) async fn save_requested(&mut self, id: Uuid) {
        let can_write = self.conns.get(&id).is_some_and(|c| c.role.can_write());
        if !can_write {
            self.error_to(
                id,
                ErrorCode::ReadOnly,
                "readers cannot save".into(),
                None,
                None,
            );
            return;
        }
        match &mut self.mode {
            Mode::Writer(writer) => {
                writer.save.force = true;
                writer.save.explicit = true;
            }
            Mode::Follower(_) => {
                // Followers do not save; the writer saves within seconds anyway.
                let message = ServerMsg::DocumentSaved {
                    revision: self.saved_revision,
                    version: self.version,
                    saved_at: Utc::now(),
                };
                self.send_to(id, &message);
            }
        }
    }

    /// A REST edit: diff it against the text of the revision saved as its base version,
    /// commit that as an op based on that revision, save, and answer with the version.
    pub(super) async fn rest_edit(&mut self, edit: RestEdit, reply: oneshot::Sender<EditAnswer>) {
        if self.writer().is_none() {
            let _ = reply.send(EditAnswer::Failed {
                message: "this instance is not the document's writer".into(),
            });
            return;
        }
        let db = &self.hub.platform.db;
        let base = if edit.base_version == self.version {
            Some(self.saved_revision)
        } else {
            meta::revision_of(db, self.doc, edit.base_version)
                .await
                .ok()
                .flatten()
        };
        let base_text = match base {
            Some(base) if base == self.core.revision() => {
                Some((base, self.core.text().to_string()))
            }
            Some(base) => log::text_at(db, self.doc, base)
                .await
                .ok()
                .flatten()
                .map(|text| (base, text)),
            None => None,
        };
        let Some((base, base_text)) = base_text else {
            let _ = reply.send(EditAnswer::TooOld);
            return;
        };
        let content = super::load::normalize_newlines(&edit.content);
        if content.len() > self.hub.config.max_document_bytes {
            let _ = reply.send(EditAnswer::Invalid {
                message: format!(
                    "the content is larger than {} bytes",
                    self.hub.config.max_document_bytes
                ),
            });
            return;
        }
        let op = tandem_ot::diff(&base_text, &content);
        let target = if op.is_noop() {
            self.core.revision() + self.core.pending_len() as u64
        } else {
            let change = Change {
                author: Author {
                    user_id: edit.user_id,
                    session_id: Uuid::nil(),
                    client_id: super::undo::rest_client_id(edit.user_id),
                    seq: 0,
                },
                base,
                op,
                selection: None,
                kind: Kind::Edit,
            };
            let older = self.older_history(base).await.unwrap_or_default();
            match self.core.submit(change, &older) {
                Ok(Submitted::Accepted { revision }) => revision,
                Ok(_) => self.core.revision(),
                Err(refusal) => {
                    let _ = reply.send(EditAnswer::Invalid {
                        message: refusal.to_string(),
                    });
                    return;
                }
            }
        };
        if let Some(writer) = self.writer() {
            writer.rest.push((target, reply));
            writer.save.force = true;
        }
        self.start_commit();
    }

    /// Whether the writer has nothing in flight (so closing loses nothing).
    pub(super) fn writer_is_quiet(&self) -> bool {
        match &self.mode {
            Mode::Writer(writer) => {
                !self.core.has_pending()
                    && !writer.committing
                    && !writer.save.saving
                    && self.core.revision() <= self.saved_revision
            }
            Mode::Follower(_) => true,
        }
    }

    pub(super) async fn writer_shut_down(&mut self) {
        let Mode::Writer(writer) = &self.mode else {
            return;
        };
        if writer.lost {
            return;
        }
        let gone = writer.gone;
        let head = self.core.revision();
        let db = self.hub.platform.db.clone();
        if !gone {
            // The last save must land (and be recorded) before the lease goes: the save in
            // flight first, then one of the head if that one did not hold it.
            self.finish_save().await;
            if head > self.saved_revision
                && let Mode::Writer(writer) = &mut self.mode
            {
                writer.save.force = true;
                writer.save.retry_at = None;
                self.maybe_save(Instant::now()).await;
                self.finish_save().await;
            }
            // Leave a snapshot at the head: the next open reads no ops at all.
            let text = self.core.text().to_string();
            if let Err(error) =
                log::write_snapshot(&db, self.doc, head, &text, Some(self.core.authors())).await
            {
                tracing::debug!(%error, "writing the closing snapshot failed");
            }
        }
        let _ =
            crate::presence::release(&self.hub.platform.redis, self.doc, &self.hub.instance).await;
    }
}

fn error_answer(
    code: ErrorCode,
    message: String,
    seq: u64,
    retry_after_ms: Option<u64>,
) -> ForwardAnswer {
    ForwardAnswer::Error {
        code,
        message,
        seq,
        retry_after_ms,
    }
}

fn with_seq(answer: ForwardAnswer, seq: u64) -> ForwardAnswer {
    match answer {
        ForwardAnswer::Error {
            code,
            message,
            retry_after_ms,
            ..
        } => ForwardAnswer::Error {
            code,
            message,
            seq,
            retry_after_ms,
        },
        other => other,
    }
}

/// Editors whose stacks one document keeps in memory at most (more are rebuilt on use).
const MAX_STACKS: usize = 256;

impl Actor {
    /// Loads `editor`'s undo stacks from the log unless they are in memory; false if the
    /// log cannot be read now.
    pub(super) async fn ensure_stacks(&mut self, editor: Editor) -> bool {
        if self.core.has_stacks(editor) {
            return true;
        }
        let config = &self.hub.config;
        let depth = config.undo_depth;
        let head = self.core.revision();
        let start = head.saturating_sub(config.undo_history_ops);
        let stacks = match log::replay(&self.hub.platform.db, self.doc, start, head).await {
            Ok(Some(replay)) => rebuild_stacks(
                editor,
                (replay.from, &replay.text, replay.authors),
                &replay.entries,
                depth,
            )
            .unwrap_or_else(|| {
                tracing::warn!(document_id = %self.doc, "the op log does not replay; undo starts empty");
                Stacks::new(head, depth)
            }),
            // Nothing of the log is left to replay: nothing to undo.
            Ok(None) => Stacks::new(head, depth),
            Err(error) => {
                tracing::warn!(document_id = %self.doc, %error, "reading the op log for undo failed");
                return false;
            }
        };
        self.core.limit_stacks(MAX_STACKS.saturating_sub(1));
        self.core.set_stacks(editor, stacks)
    }

    /// Undoes (or redoes) the requester's most recent step: accepted now, answered once it
    /// commits.
    pub(super) async fn undo(&mut self, request: UndoRequest, reply: oneshot::Sender<UndoAnswer>) {
        if self.writer().is_none() {
            let _ = reply.send(UndoAnswer::error(
                ErrorCode::UndoFailed,
                "the document's writer is changing; nothing was undone; try again",
            ));
            return;
        }
        let editor = (request.user_id, request.client_id);
        if !self.ensure_stacks(editor).await {
            let _ = reply.send(UndoAnswer::error(
                ErrorCode::StorageUnavailable,
                "the op log cannot be read now; nothing was undone",
            ));
            return;
        }
        let max_age = chrono::Duration::seconds(
            i64::try_from(self.hub.config.undo_max_age_secs).unwrap_or(i64::MAX / 1000),
        );
        let not_before = Utc::now()
            .checked_sub_signed(max_age)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let Some(step) = self.core.next_step(editor, request.action, not_before) else {
            let _ = reply.send(UndoAnswer::NothingToUndo);
            return;
        };
        let author = Author {
            user_id: request.user_id,
            session_id: request.session_id,
            client_id: request.client_id,
            seq: 0,
        };
        match self.core.accept_step(author, request.action, step) {
            Ok(revision) => {
                if let Some(writer) = self.writer() {
                    writer.undos.push((revision, reply));
                }
                self.start_commit();
            }
            Err(refusal) => {
                let _ = reply.send(UndoAnswer::error(
                    refusal_code(&refusal),
                    refusal.to_string(),
                ));
            }
        }
    }
}
