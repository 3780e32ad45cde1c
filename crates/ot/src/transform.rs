//! Transformation of concurrent operations (the core of OT).

use crate::error::{OtError, Result};
use crate::operation::Operation;
use crate::pieces::{Piece, Pieces};

/// Which of two concurrent operations wins a tie, i.e. whose text comes first when both
/// insert at the same position.
///
/// The server decides this, not the clients: with a central server the usual rule is that the
/// operation already in the server's history (the one it is transformed against) is `Left`
/// and goes first, and every client reproduces the same choice by transforming its pending
/// operations as the `Right` side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Side {
    /// The first argument (`a`) inserts first.
    #[default]
    Left,
    /// The second argument (`b`) inserts first.
    Right,
}

/// Transforms concurrent operations `a` and `b` (both on the same document `S`) into
/// `(a', b')` such that `apply(apply(S, a), b') == apply(apply(S, b), a')` (TP1).
///
/// Tie-break: when both insert at the same position, **`a`'s text goes first**. Use
/// [`transform_with_priority`] to choose explicitly.
///
/// ```
/// use tandem_ot::{transform, Operation};
///
/// let s = "ab";
/// let a = Operation::splice(2, 1, 0, "X").unwrap(); // aXb
/// let b = Operation::splice(2, 1, 0, "Y").unwrap(); // aYb
/// let (a2, b2) = transform(&a, &b).unwrap();
/// let left = b2.apply(&a.apply(s).unwrap()).unwrap();
/// let right = a2.apply(&b.apply(s).unwrap()).unwrap();
/// assert_eq!(left, "aXYb");
/// assert_eq!(left, right);
/// ```
pub fn transform(a: &Operation, b: &Operation) -> Result<(Operation, Operation)> {
    if a.base_len() != b.base_len() {
        return Err(OtError::TransformLengthMismatch {
            left: a.base_len(),
            right: b.base_len(),
        });
    }
    let cap = a.components().len() + b.components().len();
    let mut a2 = Operation::with_capacity(cap);
    let mut b2 = Operation::with_capacity(cap);
    transform_into(a, b, &mut a2, &mut b2)?;
    Ok((a2, b2))
}

/// Receives one side of a transform's output; the server only needs `a'` when catching a
/// client op up with history, so the other side can be dropped without building it.
trait Sink {
    fn retain(&mut self, n: usize);
    fn insert(&mut self, s: &str, n: usize);
    fn delete(&mut self, n: usize);
}

impl Sink for Operation {
    #[inline]
    fn retain(&mut self, n: usize) {
        Operation::retain(self, n);
    }
    #[inline]
    fn insert(&mut self, s: &str, n: usize) {
        self.insert_counted(s, n);
    }
    #[inline]
    fn delete(&mut self, n: usize) {
        Operation::delete(self, n);
    }
}

/// Drops output that nobody needs.
struct Discard;

impl Sink for Discard {
    #[inline]
    fn retain(&mut self, _: usize) {}
    #[inline]
    fn insert(&mut self, _: &str, _: usize) {}
    #[inline]
    fn delete(&mut self, _: usize) {}
}

fn transform_into(
    a: &Operation,
    b: &Operation,
    a2: &mut impl Sink,
    b2: &mut impl Sink,
) -> Result<()> {
    let mut ia = Pieces::new(a.components());
    let mut ib = Pieces::new(b.components());
    let mut pa = ia.next_piece();
    let mut pb = ib.next_piece();
    loop {
        match (pa, pb) {
            (None, None) => break,
            (Some(Piece::Insert(s, n)), _) => {
                a2.insert(s, n);
                b2.retain(n);
                pa = ia.next_piece();
            }
            (_, Some(Piece::Insert(s, n))) => {
                a2.retain(n);
                b2.insert(s, n);
                pb = ib.next_piece();
            }
            (Some(x @ Piece::Retain(_)), Some(y @ Piece::Retain(_))) => {
                let m = x.len().min(y.len());
                a2.retain(m);
                b2.retain(m);
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            // Both deleted the same text: nothing left to do for either.
            (Some(x @ Piece::Delete(_)), Some(y @ Piece::Delete(_))) => {
                let m = x.len().min(y.len());
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            (Some(x @ Piece::Delete(_)), Some(y @ Piece::Retain(_))) => {
                let m = x.len().min(y.len());
                a2.delete(m);
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            (Some(x @ Piece::Retain(_)), Some(y @ Piece::Delete(_))) => {
                let m = x.len().min(y.len());
                b2.delete(m);
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            // Equal base lengths make both run out together; this guards against an
            // inconsistent operation, which the builder cannot produce.
            (None, Some(_)) | (Some(_), None) => {
                return Err(OtError::TransformLengthMismatch {
                    left: a.base_len(),
                    right: b.base_len(),
                });
            }
        }
    }
    Ok(())
}

/// [`transform`] with an explicit tie-break: `first` names the operation whose insert goes
/// first when both insert at the same position. The result is still `(a', b')`.
pub fn transform_with_priority(
    a: &Operation,
    b: &Operation,
    first: Side,
) -> Result<(Operation, Operation)> {
    match first {
        Side::Left => transform(a, b),
        Side::Right => transform(b, a).map(|(b2, a2)| (a2, b2)),
    }
}

/// Transforms `op` against concurrent operations `history` that were applied one after the
/// other (as a server does for a client op based on an old revision). The history wins ties.
///
/// Returns the operation to apply after the whole history; the history's own transformed
/// side is never built.
///
/// Transform against each history op in turn, not against their composition: composing an
/// insert with a delete next to it forgets on which side of the deleted text the insert
/// was, so an insert of `op` inside that deleted range can tie with it in the composition
/// where it did not tie with the individual ops, and come out in the other order. Every
/// participant must group operations the same way (ot.js clients compose only their own
/// pending edits, which the server then treats as one op), and this function is that way.
pub fn transform_against(op: &Operation, history: &[Operation]) -> Result<Operation> {
    let mut op = op.clone();
    for h in history {
        if h.base_len() != op.base_len() {
            return Err(OtError::TransformLengthMismatch {
                left: h.base_len(),
                right: op.base_len(),
            });
        }
        let mut next = Operation::with_capacity(op.components().len() + 2);
        transform_into(h, &op, &mut Discard, &mut next)?;
        op = next;
    }
    Ok(op)
}

impl Operation {
    /// Method form of [`transform`]; `self` is `a` and wins ties.
    pub fn transform(&self, other: &Operation) -> Result<(Operation, Operation)> {
        transform(self, other)
    }
}
