//! One document's collaboration state, as pure logic: the committed text and revision, the
//! window of recent ops, the changes accepted but not yet committed, who has committed
//! which `seq`, and where everyone's cursor is. No I/O: the actor feeds it and carries out
//! what it returns, and the tests read like the protocol.
//!
//! A change is *accepted* (transformed, checked, applied to the tentative text) at once,
//! and *committed* when PostgreSQL says so; only then is it acknowledged or shown to
//! anyone. Changes accepted meanwhile are transformed against the uncommitted ones too, so
//! the order of acceptance is the order of the log.

use super::authorship::{Runs, inserted_len};
use super::undo::{Action, Inverse, Kind, Record, Stacks, Step};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use tandem_ot::{Bias, Document, Operation, Selection};
use uuid::Uuid;

/// Who made an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    /// The user.
    pub user_id: Uuid,
    /// Their connection (nil for changes the server makes: REST edits, merges).
    pub session_id: Uuid,
    /// The editor's stable id (nil for server-made changes).
    pub client_id: Uuid,
    /// The change's number for that client id (0 for server-made changes).
    pub seq: u64,
}

/// A committed op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The revision it produced.
    pub revision: u64,
    /// The op, applying to `revision - 1`.
    pub op: Operation,
    /// Its author.
    pub author: Author,
    /// The author's selection at `revision`.
    pub selection: Option<Selection>,
    /// When it was committed.
    pub committed_at: DateTime<Utc>,
    /// An edit, an undo or a redo.
    pub kind: Kind,
    /// Who wrote what it inserts, when that is not its author (text an undo puts back).
    pub restores: Option<Runs>,
}

impl Entry {
    /// The authors of what the op inserts, in order.
    pub fn inserted_authors(&self) -> Runs {
        inserted_by(&self.op, self.author.user_id, self.restores.as_ref())
    }
}

/// The authors of what `op` inserts: `restores` when given (and the right length), else
/// all of it by `user`.
pub fn inserted_by(op: &Operation, user: Uuid, restores: Option<&Runs>) -> Runs {
    let len = inserted_len(op);
    match restores {
        Some(runs) if runs.len() == len => runs.clone(),
        _ => Runs::uniform(len, user),
    }
}

/// One editor's undo history: a user and their client id.
pub type Editor = (Uuid, Uuid);

/// A change as a client (or the server itself) submits it.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its author.
    pub author: Author,
    /// The revision it is based on.
    pub base: u64,
    /// The op, applying to the text at `base`.
    pub op: Operation,
    /// The author's selection in the text after the change.
    pub selection: Option<crate::protocol::Selection>,
    /// An ordinary edit, or (from a client keeping its own history) an undo or redo.
    pub kind: Kind,
}

/// Why a change was refused. Each maps to one protocol error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The base revision is newer than the server's.
    #[error("revision {base} is newer than the document's {head}")]
    FutureRevision {
        /// The change's base.
        base: u64,
        /// The head.
        head: u64,
    },
    /// The op does not fit the text (after transformation), or holds forbidden text.
    #[error("{0}")]
    InvalidOperation(String),
    /// A seq below one already committed or accepted for this client.
    #[error("seq {seq} is below {last}, which this client already sent")]
    StaleSeq {
        /// The change's seq.
        seq: u64,
        /// The last one seen.
        last: u64,
    },
    /// The change would make the document larger than the limit.
    #[error("the document would be {bytes} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Its size after the change.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
}

/// What submitting a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Accepted: it will commit as `revision`.
    Accepted {
        /// The revision it will produce.
        revision: u64,
    },
    /// A re-send of the client's last committed change: acknowledge it again.
    AlreadyCommitted {
        /// Its seq.
        seq: u64,
        /// The revision it produced.
        revision: u64,
    },
    /// A re-send of a change already accepted: its ack goes out when it commits.
    AlreadyPending,
}

/// The last committed change of one client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientSeq {
    /// Its seq (0: none).
    pub seq: u64,
    /// The revision it produced.
    pub revision: u64,
}

/// An accepted, not yet committed change.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The revision it will produce.
    pub revision: u64,
    /// The op, transformed to apply after everything before it.
    pub op: Operation,
    /// Its author.
    pub author: Author,
    /// The author's selection after it.
    pub selection: Option<Selection>,
    /// An edit, an undo or a redo.
    pub kind: Kind,
    /// Who wrote what it inserts, when that is not its author.
    pub restores: Option<Runs>,
}

/// One document's state.
#[derive(Debug)]
pub struct Core {
    text: Document,
    revision: u64,
    window: VecDeque<Entry>,
    window_capacity: usize,
    /// The text with every pending change applied.
    tentative: Document,
    pending: VecDeque<Pending>,
    /// How many of `pending` (from the front) are with the committer.
    in_flight: usize,
    clients: HashMap<Uuid, ClientSeq>,
    cursors: HashMap<Uuid, Selection>,
    max_bytes: usize,
    /// Who wrote each character of the committed text.
    authors: Runs,
    /// The undo and redo stacks of the editors that have asked for them, at the head.
    stacks: HashMap<Editor, Stacks>,
}

impl Core {
    /// A document whose text at `revision` is `text`. `window_capacity` ops are kept in
    /// memory for transforms and catch-up; `max_bytes` bounds the text.
    pub fn new(text: &str, revision: u64, window_capacity: usize, max_bytes: usize) -> Self {
        let text = Document::from(text);
        let len = text.len_chars();
        Self {
            tentative: text.clone(),
            text,
            revision,
            window: VecDeque::new(),
            window_capacity: window_capacity.max(1),
            pending: VecDeque::new(),
            in_flight: 0,
            clients: HashMap::new(),
            cursors: HashMap::new(),
            max_bytes,
            authors: Runs::uniform(len, Uuid::nil()),
            stacks: HashMap::new(),
        }
    }

    /// Who wrote each character of the committed text (ignored unless it covers the text
    /// exactly).
    pub fn set_authors(&mut self, authors: Runs) {
        if authors.len() == self.text.len_chars() {
            self.authors = authors;
        }
    }

    /// Who wrote each character of the committed text.
    pub fn authors(&self) -> &Runs {
        &self.authors
    }

    /// Fills the memory window with committed `entries` (read from the log): the
    /// contiguous run of them that ends at the head.
    pub fn seed_window(&mut self, entries: Vec<Entry>) {
        let mut run: Vec<Entry> = Vec::new();
        for entry in entries.into_iter().rev() {
            let expected = run.last().map_or(self.revision, |e| e.revision - 1);
            if entry.revision != expected || run.len() >= self.window_capacity {
                break;
            }
            run.push(entry);
        }
        run.reverse();
        self.window = run.into();
    }

    /// The committed head revision.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The committed text.
    pub fn text(&self) -> &Document {
        &self.text
    }

    /// The first revision whose op is in the memory window (`revision + 1` if none).
    pub fn window_start(&self) -> u64 {
        self.window
            .front()
            .map_or(self.revision + 1, |entry| entry.revision)
    }

    /// The memory window, oldest first.
    pub fn window(&self) -> &VecDeque<Entry> {
        &self.window
    }

    /// Whether any accepted change is not committed yet.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// How many accepted changes are waiting (in flight or not).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The highest seq known for `client_id`, if its state is loaded.
    pub fn client(&self, client_id: Uuid) -> Option<ClientSeq> {
        self.clients.get(&client_id).copied()
    }

    /// Records what storage knows of `client_id` (its last committed change).
    pub fn load_client(&mut self, client_id: Uuid, known: ClientSeq) {
        let entry = self.clients.entry(client_id).or_default();
        if known.seq > entry.seq {
            *entry = known;
        }
    }

    /// The ops a change based on `base` must be transformed against that are older than the
    /// memory window, as an inclusive revision range, if there are any.
    pub fn missing_history(&self, base: u64) -> Option<(u64, u64)> {
        let start = self.window_start();
        (base < self.revision && base.saturating_add(1) < start).then(|| (base + 1, start - 1))
    }

    /// Accepts `change` (or recognises it as a re-send). `older` holds the committed ops
    /// from `change.base + 1` up to the memory window, when [`Core::missing_history`] said
    /// some were needed.
    pub fn submit(&mut self, change: Change, older: &[Operation]) -> Result<Submitted, Refusal> {
        let author = change.author;
        if author.seq > 0 {
            if let Some(known) = self.clients.get(&author.client_id) {
                if author.seq == known.seq {
                    return Ok(Submitted::AlreadyCommitted {
                        seq: known.seq,
                        revision: known.revision,
                    });
                }
                if author.seq < known.seq {
                    return Err(Refusal::StaleSeq {
                        seq: author.seq,
                        last: known.seq,
                    });
                }
            }
            let pending_seq = self
                .pending
                .iter()
                .filter(|p| p.author.client_id == author.client_id)
                .map(|p| p.author.seq)
                .max();
            if let Some(last) = pending_seq {
                if author.seq == last {
                    return Ok(Submitted::AlreadyPending);
                }
                if author.seq < last {
                    return Err(Refusal::StaleSeq {
                        seq: author.seq,
                        last,
                    });
                }
            }
        }
        if change.base > self.revision {
            return Err(Refusal::FutureRevision {
                base: change.base,
                head: self.revision,
            });
        }
        check_inserts(&change.op)?;

        let mut op = change.op;
        let mut selection = change.selection.map(|s| s.clamped(op.target_len()));
        let from_window = self
            .window
            .iter()
            .filter(|e| e.revision > change.base)
            .map(|e| &e.op);
        let history = older
            .iter()
            .chain(from_window)
            .chain(self.pending.iter().map(|p| &p.op));
        for earlier in history {
            if earlier.base_len() != op.base_len() {
                return Err(Refusal::InvalidOperation(format!(
                    "the operation applies to {} code points, but the text at revision {} has {}",
                    op.base_len(),
                    change.base,
                    earlier.base_len()
                )));
            }
            // The earlier op wins ties: it is already in the history.
            let (earlier2, op2) = tandem_ot::transform(earlier, &op)
                .map_err(|e| Refusal::InvalidOperation(e.to_string()))?;
            selection = selection.map(|s| s.transform(&earlier2, Bias::Before));
            op = op2;
        }
        let mut next = self.tentative.clone();
        next.apply(&op).map_err(|_| {
            Refusal::InvalidOperation(format!(
                "the operation applies to {} code points, but the text at revision {} has {}",
                op.base_len(),
                change.base,
                self.tentative.len_chars()
            ))
        })?;
        let bytes = next.rope().len_bytes();
        if bytes > self.max_bytes && bytes > self.tentative.rope().len_bytes() {
            return Err(Refusal::TooLarge {
                bytes,
                limit: self.max_bytes,
            });
        }
        let revision = self.revision + self.pending.len() as u64 + 1;
        // A client's own undo is recorded as one only if it is what the service's stacks
        // would undo: then what it puts back goes to whoever wrote it.
        let (kind, restores) = match change.kind {
            Kind::Edit => (Kind::Edit, None),
            kind => {
                let action = if kind == Kind::Undo {
                    Action::Undo
                } else {
                    Action::Redo
                };
                match self
                    .preview((author.user_id, author.client_id))
                    .and_then(|stacks| stacks.recognise(action, &op))
                {
                    Some(runs) => (kind, Some(runs)),
                    None => (Kind::Edit, None),
                }
            }
        };
        self.tentative = next;
        self.pending.push_back(Pending {
            revision,
            op,
            author,
            selection,
            kind,
            restores,
        });
        Ok(Submitted::Accepted { revision })
    }

    /// Hands the accepted changes not yet with the committer to it (in order), or `None`
    /// if there are none or a batch is already in flight.
    pub fn take_batch(&mut self) -> Option<Vec<Pending>> {
        if self.in_flight > 0 || self.pending.is_empty() {
            return None;
        }
        self.in_flight = self.pending.len();
        Some(self.pending.iter().cloned().collect())
    }

    /// The batch in flight did not commit (storage failed): it will be taken again.
    pub fn batch_failed(&mut self) {
        self.in_flight = 0;
    }

    /// The batch in flight committed at `committed_at`: it joins the log. Returns the new
    /// entries, in order, for delivery.
    pub fn batch_committed(&mut self, committed_at: DateTime<Utc>) -> Vec<Entry> {
        let done: Vec<Pending> = self.pending.drain(..self.in_flight).collect();
        self.in_flight = 0;
        done.into_iter()
            .map(|p| {
                let entry = Entry {
                    revision: p.revision,
                    op: p.op,
                    author: p.author,
                    selection: p.selection,
                    committed_at,
                    kind: p.kind,
                    restores: p.restores,
                };
                self.apply_committed(&entry)
                    .expect("an accepted op applies to the committed text it was checked against");
                entry
            })
            .collect()
    }

    /// Drops every accepted change (the right to write was lost: none was acknowledged).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
        self.in_flight = 0;
        self.tentative = self.text.clone();
    }

    /// Applies an op committed elsewhere (a follower's path), in revision order.
    pub fn apply_remote(&mut self, entry: &Entry) -> Remote {
        if entry.revision <= self.revision {
            return Remote::Duplicate;
        }
        if entry.revision > self.revision + 1 {
            return Remote::Gap {
                from: self.revision + 1,
                to: entry.revision - 1,
            };
        }
        match self.apply_committed(entry) {
            Ok(()) => {
                self.tentative = self.text.clone();
                Remote::Applied
            }
            Err(_) => Remote::Diverged,
        }
    }

    fn apply_committed(&mut self, entry: &Entry) -> tandem_ot::Result<()> {
        let inverse = if self.stacks.is_empty() {
            None
        } else {
            Some(self.text.invert(&entry.op)?)
        };
        self.text.apply(&entry.op)?;
        self.revision = entry.revision;
        let deleted = match self.authors.apply(&entry.op, &entry.inserted_authors()) {
            Ok(deleted) => deleted,
            Err(_) => {
                // Cannot happen for an op that applied to the text; if it does, forget who
                // wrote what rather than misattribute it.
                self.authors = Runs::uniform(self.text.len_chars(), Uuid::nil());
                Runs::new()
            }
        };
        if let Some(op) = inverse {
            let restored = inserted_len(&op);
            let inverse = Inverse {
                op,
                authors: if deleted.len() == restored {
                    deleted
                } else {
                    Runs::uniform(restored, Uuid::nil())
                },
            };
            observe_all(&mut self.stacks, entry, Some(&inverse));
        }
        for (session, selection) in &mut self.cursors {
            if *session != entry.author.session_id || entry.selection.is_none() {
                *selection = selection.transform(&entry.op, Bias::Before);
            }
        }
        if let Some(selection) = entry.selection
            && !entry.author.session_id.is_nil()
        {
            self.cursors.insert(entry.author.session_id, selection);
        }
        if entry.author.seq > 0 {
            let known = self.clients.entry(entry.author.client_id).or_default();
            if entry.author.seq > known.seq {
                *known = ClientSeq {
                    seq: entry.author.seq,
                    revision: entry.revision,
                };
            }
        }
        self.window.push_back(entry.clone());
        while self.window.len() > self.window_capacity {
            self.window.pop_front();
        }
        Ok(())
    }

    /// The committed entries after `revision`, if the memory window still holds them all.
    pub fn since(&self, revision: u64) -> Option<Vec<Entry>> {
        if revision > self.revision || revision.saturating_add(1) < self.window_start() {
            return None;
        }
        Some(
            self.window
                .iter()
                .filter(|e| e.revision > revision)
                .cloned()
                .collect(),
        )
    }

    /// Records `session`'s selection, sent at `revision`, moved to the head; `None` hides
    /// it. Returns the selection at the head. A selection older than the memory window is
    /// clamped rather than moved.
    pub fn set_cursor(
        &mut self,
        session: Uuid,
        revision: u64,
        selection: Option<crate::protocol::Selection>,
    ) -> Result<Option<Selection>, Refusal> {
        if revision > self.revision {
            return Err(Refusal::FutureRevision {
                base: revision,
                head: self.revision,
            });
        }
        let Some(selection) = selection else {
            self.cursors.remove(&session);
            return Ok(None);
        };
        let moved = if revision.saturating_add(1) >= self.window_start() {
            let start_len = self
                .window
                .iter()
                .find(|e| e.revision > revision)
                .map_or(self.text.len_chars(), |e| e.op.base_len());
            let mut s = selection.clamped(start_len);
            for entry in self.window.iter().filter(|e| e.revision > revision) {
                s = s.transform(&entry.op, Bias::Before);
            }
            s
        } else {
            selection.clamped(self.text.len_chars())
        };
        self.cursors.insert(session, moved);
        Ok(Some(moved))
    }

    /// Whether `editor`'s stacks are in memory.
    pub fn has_stacks(&self, editor: Editor) -> bool {
        self.stacks.contains_key(&editor)
    }

    /// Takes in `editor`'s stacks, rebuilt at `stacks.synced()`; kept only if that is the
    /// head (they are kept in step from then on).
    pub fn set_stacks(&mut self, editor: Editor, stacks: Stacks) -> bool {
        if stacks.synced() != self.revision {
            return false;
        }
        self.stacks.insert(editor, stacks);
        true
    }

    /// Forgets stacks until at most `keep` editors have them (they can be rebuilt).
    pub fn limit_stacks(&mut self, keep: usize) {
        while self.stacks.len() > keep {
            let Some(editor) = self.stacks.keys().next().copied() else {
                return;
            };
            self.stacks.remove(&editor);
        }
    }

    /// Forgets the stacks of `client_id` (its editor left; they can be rebuilt).
    pub fn forget_stacks(&mut self, client_id: Uuid) {
        self.stacks.retain(|(_, client), _| *client != client_id);
    }

    /// `editor`'s stacks as they will be once every accepted change commits: each pending
    /// change taken in, in order, on a copy.
    fn preview(&self, editor: Editor) -> Option<Stacks> {
        let mut stacks = self.stacks.get(&editor)?.clone();
        if self.pending.is_empty() {
            return Some(stacks);
        }
        let mut text = self.text.clone();
        let mut authors = self.authors.clone();
        let at = Utc::now();
        for p in &self.pending {
            let inverse = text.invert(&p.op).ok()?;
            let inserted = inserted_by(&p.op, p.author.user_id, p.restores.as_ref());
            let deleted = authors.apply(&p.op, &inserted).ok()?;
            text.apply(&p.op).ok()?;
            let inverse = Inverse {
                op: inverse,
                authors: deleted,
            };
            let record = Record {
                op: &p.op,
                author: &p.author,
                kind: p.kind,
                inverse: Some(&inverse),
                at,
            };
            stacks.observe(record, (p.author.user_id, p.author.client_id) == editor);
        }
        Some(stacks)
    }

    /// The step `action` would take for `editor` now, after everything accepted (`None`:
    /// nothing to undo or redo, or the stacks are not loaded).
    pub fn next_step(
        &self,
        editor: Editor,
        action: Action,
        not_before: DateTime<Utc>,
    ) -> Option<Step> {
        self.preview(editor)?.peek(action, not_before).cloned()
    }

    /// Accepts `step` as `author`'s undo (or redo): it applies to the text after every
    /// accepted change, so it needs no transforming.
    pub fn accept_step(
        &mut self,
        author: Author,
        action: Action,
        step: Step,
    ) -> Result<u64, Refusal> {
        let mut next = self.tentative.clone();
        next.apply(&step.op)
            .map_err(|e| Refusal::InvalidOperation(e.to_string()))?;
        let bytes = next.rope().len_bytes();
        if bytes > self.max_bytes && bytes > self.tentative.rope().len_bytes() {
            return Err(Refusal::TooLarge {
                bytes,
                limit: self.max_bytes,
            });
        }
        self.tentative = next;
        let revision = self.revision + self.pending.len() as u64 + 1;
        self.pending.push_back(Pending {
            revision,
            op: step.op,
            author,
            selection: None,
            kind: action.kind(),
            restores: Some(step.authors),
        });
        Ok(revision)
    }

    /// `session`'s selection at the head.
    pub fn cursor(&self, session: Uuid) -> Option<Selection> {
        self.cursors.get(&session).copied()
    }

    /// Forgets `session`'s cursor (it left).
    pub fn forget_cursor(&mut self, session: Uuid) {
        self.cursors.remove(&session);
    }
}

/// Takes a committed op into every editor's stacks.
fn observe_all(stacks: &mut HashMap<Editor, Stacks>, entry: &Entry, inverse: Option<&Inverse>) {
    let record = Record {
        op: &entry.op,
        author: &entry.author,
        kind: entry.kind,
        inverse,
        at: entry.committed_at,
    };
    let by = (entry.author.user_id, entry.author.client_id);
    for (editor, stacks) in stacks.iter_mut() {
        stacks.observe(record, *editor == by);
    }
}

/// Rebuilds `editor`'s stacks from the log: the text and its authors at `revision`, then
/// every committed entry after it, in order. `None` if the entries do not apply.
pub fn rebuild_stacks(
    editor: Editor,
    (revision, text, authors): (u64, &str, Runs),
    entries: &[Entry],
    depth: usize,
) -> Option<Stacks> {
    let mut text = Document::from(text);
    let mut authors = if authors.len() == text.len_chars() {
        authors
    } else {
        Runs::uniform(text.len_chars(), Uuid::nil())
    };
    let mut stacks = HashMap::from([(editor, Stacks::new(revision, depth))]);
    for entry in entries {
        let inverse = text.invert(&entry.op).ok()?;
        let deleted = authors.apply(&entry.op, &entry.inserted_authors()).ok()?;
        text.apply(&entry.op).ok()?;
        let inverse = Inverse {
            op: inverse,
            authors: deleted,
        };
        observe_all(&mut stacks, entry, Some(&inverse));
    }
    stacks.remove(&editor)
}

/// What applying a remotely committed op did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// It was the next revision, and is applied.
    Applied,
    /// It is already applied.
    Duplicate,
    /// Revisions `from..=to` are missing before it.
    Gap {
        /// First missing revision.
        from: u64,
        /// Last missing revision.
        to: u64,
    },
    /// It does not apply to this text: the replica must be rebuilt.
    Diverged,
}

/// Inserted text may not hold `\r` (the live text uses `\n` line endings, and lengths must
/// agree with clients that normalise) or NUL (PostgreSQL text cannot hold it).
fn check_inserts(op: &Operation) -> Result<(), Refusal> {
    for component in op.components() {
        if let tandem_ot::Component::Insert(text) = component {
            if text.contains('\r') {
                return Err(Refusal::InvalidOperation(
                    "inserted text must use \\n line endings, not \\r".into(),
                ));
            }
            if text.contains('\0') {
                return Err(Refusal::InvalidOperation(
                    "inserted text must not contain NUL".into(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
