//! Undo and redo stacks of one editor (one user's client id), as pure logic.
//!
//! The rule (docs/collab-protocol.md, "Undo and redo"): when a change commits, its inverse
//! goes on its author's undo stack. When anyone else's op `X` commits, it is pushed down
//! every other stack: for each step `E` from the top, `(X', E') = transform(X, E)`, `E`
//! becomes `E'` and `X'` goes on to the next step. The top step therefore always applies
//! to the current text, and each step below applies to the text the steps above it leave.
//! A step is never transformed through its owner's own changes and undos, which is what
//! "invert, then transform through everything after it" gets wrong.
//!
//! The stacks are a function of the op log alone (kinds, inverses and commit times are
//! stored with every op), so any instance rebuilds the same stacks by replaying the log.

use super::authorship::Runs;
use super::core::Author;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tandem_ot::{Bias, Component, Operation};
use uuid::Uuid;

/// What a committed change was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An ordinary edit.
    #[default]
    Edit,
    /// It undid its author's most recent step.
    Undo,
    /// It redid the step its author last undid.
    Redo,
}

impl Kind {
    /// As stored in `collab.ops.kind`.
    pub fn as_i16(self) -> i16 {
        match self {
            Kind::Edit => 0,
            Kind::Undo => 1,
            Kind::Redo => 2,
        }
    }

    /// From `collab.ops.kind` (unknown values read as edits).
    pub fn from_i16(value: i16) -> Self {
        match value {
            1 => Kind::Undo,
            2 => Kind::Redo,
            _ => Kind::Edit,
        }
    }

    /// Whether it is an ordinary edit (left out of messages).
    pub fn is_edit(&self) -> bool {
        *self == Kind::Edit
    }

    /// As sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Undo => "undo",
            Kind::Redo => "redo",
        }
    }
}

/// How to take a committed op back: its inverse, and the authors of the text the inverse
/// puts back (the text the op deleted), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inverse {
    /// Applies to the text the op produced and gives the text before it.
    pub op: Operation,
    /// The authors of what `op` inserts.
    pub authors: Runs,
}

/// One committed op as the stacks see it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The op.
    pub op: &'a Operation,
    /// Its author.
    pub author: &'a Author,
    /// What it was.
    pub kind: Kind,
    /// Its inverse (`None`: not known, for ops stored before tandem kept it).
    pub inverse: Option<&'a Inverse>,
    /// When it was committed.
    pub at: DateTime<Utc>,
}

/// One undo (or redo) step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The op that takes the step back, applying to the text the steps above it leave.
    pub op: Operation,
    /// The authors of what `op` inserts (text goes back to whoever first wrote it).
    pub authors: Runs,
    /// When the newest change in the step committed.
    pub at: DateTime<Utc>,
}

/// Undo or redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Take back the most recent step.
    Undo,
    /// Put back the step most recently undone.
    Redo,
}

impl Action {
    /// The kind of the op the action commits.
    pub fn kind(self) -> Kind {
        match self {
            Action::Undo => Kind::Undo,
            Action::Redo => Kind::Redo,
        }
    }

    /// As sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Undo => "undo",
            Action::Redo => "redo",
        }
    }
}

/// The client id of `user`'s REST edits and REST undos: one per user, derived from the
/// user id, so `POST /collab/{id}/undo` undoes that user's REST changes.
pub fn rest_client_id(user: Uuid) -> Uuid {
    /// "REST" plus a fixed tail: any constant works, it only has to differ from zero.
    const REST: u128 = 0x5245_5354_0000_4000_8000_7265_7374_0001;
    Uuid::from_u128(user.as_u128() ^ REST)
}

/// Keystrokes closer together than this (and adjacent) are one step.
pub const GROUP_WITHIN: Duration = Duration::milliseconds(1000);

/// The open step that the next change may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Group {
    at: DateTime<Utc>,
    /// Where the owner's last change left the caret, in the current text.
    caret: usize,
    deleting: bool,
}

/// One editor's stacks.
#[derive(Debug, Clone)]
pub struct Stacks {
    undo: Vec<Step>,
    redo: Vec<Step>,
    /// The revision the stacks apply to.
    synced: u64,
    group: Option<Group>,
    depth: usize,
}

impl Stacks {
    /// Empty stacks at `revision`, keeping at most `depth` steps each.
    pub fn new(revision: u64, depth: usize) -> Self {
        Self {
            undo: Vec::new(),
            redo: Vec::new(),
            synced: revision,
            group: None,
            depth: depth.max(1),
        }
    }

    /// The revision the stacks apply to.
    pub fn synced(&self) -> u64 {
        self.synced
    }

    /// How many steps each stack holds (for tests and metrics).
    pub fn depths(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }

    /// Takes in the op that produced revision `synced + 1`; `own` says whether the stacks'
    /// owner made it.
    pub fn observe(&mut self, record: Record<'_>, own: bool) {
        self.synced += 1;
        if !own {
            self.push_down(record.op);
            return;
        }
        let Some(inverse) = record.inverse else {
            // An op of the owner that cannot be inverted: nothing older can be undone
            // across it.
            self.clear();
            return;
        };
        let step = Step {
            op: inverse.op.clone(),
            authors: inverse.authors.clone(),
            at: record.at,
        };
        match record.kind {
            Kind::Edit => {
                self.redo.clear();
                let shape = Splice::of(record.op);
                let joins = match (self.group, shape) {
                    (Some(group), Some(splice)) => splice.joins(&group, record.at),
                    _ => false,
                };
                if joins {
                    self.join_top(step);
                } else {
                    self.undo.push(step);
                    if self.undo.len() > self.depth {
                        self.undo.remove(0);
                    }
                }
                self.group = shape.and_then(|s| s.group(record.at));
            }
            Kind::Undo | Kind::Redo => {
                let (from, to) = match record.kind {
                    Kind::Undo => (&mut self.undo, &mut self.redo),
                    _ => (&mut self.redo, &mut self.undo),
                };
                match Self::matching(from, record.op) {
                    Some((taken, _)) => {
                        from.truncate(from.len() - taken);
                        to.push(step);
                        if to.len() > self.depth {
                            to.remove(0);
                        }
                    }
                    // Not the steps on the stack (an undo recorded by a client whose
                    // grouping differed, or stacks rebuilt from later in the log): an
                    // ordinary change, as far as the stacks can tell.
                    None => {
                        self.redo.clear();
                        self.undo.push(step);
                        if self.undo.len() > self.depth {
                            self.undo.remove(0);
                        }
                    }
                }
                self.group = None;
            }
        }
    }

    /// Whether `op`, applying to the current text, is exactly the top steps of `action`'s
    /// stack taken together (one or more; emptied steps between them do not count). A
    /// client that keeps its own history sends its undos as changes: this recognises
    /// them, and returns the authors of what they put back.
    pub fn recognise(&self, action: Action, op: &Operation) -> Option<Runs> {
        let stack = match action {
            Action::Undo => &self.undo,
            Action::Redo => &self.redo,
        };
        Self::matching(stack, op).map(|(_, authors)| authors)
    }

    /// How many entries from the top of `stack` compose to `op`, and what they insert.
    fn matching(stack: &[Step], op: &Operation) -> Option<(usize, Runs)> {
        /// A client's undo group spans a few of the service's steps at most.
        const MAX_STEPS: usize = 16;
        let mut composed: Option<(Operation, Runs)> = None;
        let mut steps = 0;
        for (taken, step) in stack.iter().rev().enumerate() {
            if step.op.is_noop() {
                continue;
            }
            steps += 1;
            if steps > MAX_STEPS {
                return None;
            }
            composed = Some(match composed {
                None => (step.op.clone(), step.authors.clone()),
                Some((op, authors)) => {
                    let next = tandem_ot::compose(&op, &step.op).ok()?;
                    let inserted =
                        Runs::composed_inserts((&op, &authors), (&step.op, &step.authors)).ok()?;
                    (next, inserted)
                }
            });
            if let Some((candidate, authors)) = &composed
                && candidate == op
            {
                return Some((taken + 1, authors.clone()));
            }
        }
        None
    }

    /// The step `action` would commit now: the topmost that still changes something and
    /// committed at or after `not_before`. Steps that others' edits emptied are skipped.
    pub fn peek(&self, action: Action, not_before: DateTime<Utc>) -> Option<&Step> {
        let stack = match action {
            Action::Undo => &self.undo,
            Action::Redo => &self.redo,
        };
        stack
            .iter()
            .rev()
            .find(|step| !step.op.is_noop())
            .filter(|step| step.at >= not_before)
    }

    /// Merges `step` (the inverse of the owner's newest change) into the top step.
    fn join_top(&mut self, step: Step) {
        let Some(top) = self.undo.last_mut() else {
            self.undo.push(step);
            return;
        };
        let joined = tandem_ot::compose(&step.op, &top.op).ok().and_then(|op| {
            Runs::composed_inserts((&step.op, &step.authors), (&top.op, &top.authors))
                .ok()
                .map(|authors| (op, authors))
        });
        match joined {
            Some((op, authors)) => {
                top.op = op;
                top.authors = authors;
                top.at = step.at;
            }
            None => self.undo.push(step),
        }
    }

    /// Someone else's op: every step moves through it, top first.
    fn push_down(&mut self, op: &Operation) {
        if let Some(group) = &mut self.group {
            group.caret = op.transform_cursor(group.caret, Bias::Before);
        }
        let ok =
            Self::transform_stack(&mut self.undo, op) && Self::transform_stack(&mut self.redo, op);
        if !ok {
            // Cannot happen with ops that applied to the text; if it does, forget rather
            // than undo into the wrong place.
            self.clear();
        }
    }

    fn transform_stack(stack: &mut [Step], op: &Operation) -> bool {
        let mut x = op.clone();
        for step in stack.iter_mut().rev() {
            match tandem_ot::transform(&x, &step.op) {
                Ok((x2, step2)) => {
                    x = x2;
                    step.op = step2;
                }
                Err(_) => return false,
            }
        }
        true
    }

    fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
        self.group = None;
    }
}

/// A change that is one contiguous insert or delete.
#[derive(Debug, Clone, Copy)]
struct Splice {
    position: usize,
    inserted: usize,
    deleted: usize,
    newline: bool,
}

impl Splice {
    fn of(op: &Operation) -> Option<Self> {
        let mut position = 0;
        let mut splice: Option<Splice> = None;
        let mut after_edit = false;
        for component in op.components() {
            match component {
                Component::Retain(n) => {
                    if splice.is_some() {
                        after_edit = true;
                    } else {
                        position += n;
                    }
                }
                Component::Insert(_) | Component::Delete(_) if after_edit => return None,
                Component::Insert(text) => {
                    let s = splice.get_or_insert(Splice {
                        position,
                        inserted: 0,
                        deleted: 0,
                        newline: false,
                    });
                    s.inserted += text.chars().count();
                    s.newline |= text.contains('\n');
                }
                Component::Delete(n) => {
                    let s = splice.get_or_insert(Splice {
                        position,
                        inserted: 0,
                        deleted: 0,
                        newline: false,
                    });
                    s.deleted += n;
                }
            }
        }
        splice
    }

    /// Whether this change joins the open step: typing on where the last keystroke left
    /// off (or deleting on from there, either way), within [`GROUP_WITHIN`], with no
    /// newline typed.
    fn joins(&self, group: &Group, at: DateTime<Utc>) -> bool {
        if self.newline || at - group.at > GROUP_WITHIN || at < group.at {
            return false;
        }
        match (self.inserted, self.deleted) {
            (n, 0) if n > 0 => !group.deleting && self.position == group.caret,
            (0, n) if n > 0 => {
                group.deleting && (self.position + n == group.caret || self.position == group.caret)
            }
            _ => false,
        }
    }

    /// The open step this change leaves, if a plain insert or delete.
    fn group(&self, at: DateTime<Utc>) -> Option<Group> {
        match (self.inserted, self.deleted) {
            (n, 0) if n > 0 => Some(Group {
                at,
                caret: self.position + n,
                deleting: false,
            }),
            (0, n) if n > 0 => Some(Group {
                at,
                caret: self.position,
                deleting: true,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
