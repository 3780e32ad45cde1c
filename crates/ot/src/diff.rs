//! Turning "here is the whole new text" into an operation.
//!
//! Some clients (plain textareas, file uploads, editors that lost track of their changes) send
//! whole documents. Sending those as "replace everything" would clobber every concurrent edit,
//! so we diff against the current text and send only the changes.
//!
//! Strategy: trim the common prefix and suffix first (exact, linear, and enough for the usual
//! single edit), then run a Myers diff on the code points of what is left, so that several
//! separate edits (e.g. find-and-replace, reformatting) become several small changes and text in
//! between stays retained for concurrent editors. Myers costs O(N·D); for huge, very different
//! texts (measured: 4 s for two unrelated 200k-code-point texts) a deadline makes `similar`
//! settle for a coarser diff, which is still exact, so whole-text uploads cannot pin a core.
//! Tiny equal runs between two changes (a shared letter inside a replaced word) are folded into
//! the change so the result reads as whole-word replacements rather than confetti.

use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use crate::operation::Operation;
use crate::text::char_len;

/// Time allowed for the Myers pass before it settles for a coarser (still exact) diff.
const DIFF_DEADLINE: Duration = Duration::from_millis(20);

/// Equal runs shorter than this, between two changes, are folded into the change.
const MIN_KEPT_EQUAL: usize = 3;

/// Builds an operation turning `old` into `new`: `diff(old, new).apply(old) == new`.
///
/// ```
/// use tandem_ot::{Operation, diff};
///
/// let op = diff("The quick brown fox", "The quick red fox");
/// assert_eq!(op.apply("The quick brown fox").unwrap(), "The quick red fox");
/// // Only the middle changed; everything else is retained.
/// let mut expected = Operation::new();
/// expected.retain(10).insert("red").delete(5).retain(4);
/// assert_eq!(op, expected);
/// ```
#[must_use]
pub fn diff(old: &str, new: &str) -> Operation {
    let prefix = common_prefix(old, new);
    let (old_rest, new_rest) = (&old[prefix.bytes..], &new[prefix.bytes..]);
    let suffix = common_suffix(old_rest, new_rest);
    let old_mid = &old_rest[..old_rest.len() - suffix.bytes];
    let new_mid = &new_rest[..new_rest.len() - suffix.bytes];

    let mut op = Operation::new();
    op.retain(prefix.chars);
    diff_middle(&mut op, old_mid, new_mid);
    op.retain(suffix.chars);
    op
}

#[derive(Debug, Clone, Copy)]
struct Common {
    chars: usize,
    bytes: usize,
}

fn common_prefix(a: &str, b: &str) -> Common {
    let mut c = Common { chars: 0, bytes: 0 };
    for (x, y) in a.chars().zip(b.chars()) {
        if x != y {
            break;
        }
        c.chars += 1;
        c.bytes += x.len_utf8();
    }
    c
}

fn common_suffix(a: &str, b: &str) -> Common {
    let mut c = Common { chars: 0, bytes: 0 };
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y {
            break;
        }
        c.chars += 1;
        c.bytes += x.len_utf8();
    }
    c
}

/// A run of the middle part: kept text, or `del` old code points replaced by `new[ins]`.
#[derive(Debug, Clone)]
enum Run {
    Equal(usize),
    Change {
        del: usize,
        ins: std::ops::Range<usize>,
    },
}

fn diff_middle(op: &mut Operation, old: &str, new: &str) {
    if old.is_empty() || new.is_empty() {
        op.insert(new).delete(char_len(old));
        return;
    }
    let old: Vec<char> = old.chars().collect();
    let new: Vec<char> = new.chars().collect();
    let mut runs: Vec<Run> = Vec::new();
    let deadline = Some(Instant::now() + DIFF_DEADLINE);
    for d in capture_diff_slices_deadline(Algorithm::Myers, &old, &new, deadline) {
        let run = match d {
            DiffOp::Equal { len, .. } => Run::Equal(len),
            DiffOp::Delete {
                old_len, new_index, ..
            } => Run::Change {
                del: old_len,
                ins: new_index..new_index,
            },
            DiffOp::Insert {
                new_index, new_len, ..
            } => Run::Change {
                del: 0,
                ins: new_index..new_index + new_len,
            },
            DiffOp::Replace {
                old_len,
                new_index,
                new_len,
                ..
            } => Run::Change {
                del: old_len,
                ins: new_index..new_index + new_len,
            },
        };
        push_run(&mut runs, run);
    }
    for run in runs {
        match run {
            Run::Equal(n) => {
                op.retain(n);
            }
            Run::Change { del, ins } => {
                let text: String = new[ins].iter().collect();
                op.insert(&text).delete(del);
            }
        }
    }
}

/// Appends `run`, merging adjacent changes and folding a short equal run squeezed between two
/// changes into one change. New-text ranges of consecutive runs are contiguous, which is what
/// makes the merge a matter of extending the range.
fn push_run(runs: &mut Vec<Run>, run: Run) {
    if let Run::Change { del, ins } = &run {
        match runs.as_mut_slice() {
            [.., Run::Change { del: d0, ins: i0 }, Run::Equal(eq)] if *eq < MIN_KEPT_EQUAL => {
                *d0 += *eq + del;
                i0.end = ins.end;
                runs.pop();
                return;
            }
            [.., Run::Change { del: d0, ins: i0 }] => {
                *d0 += del;
                i0.end = ins.end;
                return;
            }
            _ => {}
        }
    }
    runs.push(run);
}
