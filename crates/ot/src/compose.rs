//! Composition: one operation with the effect of two in sequence.

use crate::error::{OtError, Result};
use crate::operation::Operation;
use crate::pieces::{Piece, Pieces};
use crate::text::split_at_char;

/// Combines `a` followed by `b` into one operation: applying the result equals applying `a`
/// and then `b`.
///
/// Fails if `b` does not apply to the output of `a` (`a.target_len() != b.base_len()`).
///
/// ```
/// use tandem_ot::{compose, Operation};
///
/// let a = Operation::splice(3, 3, 0, "👍").unwrap(); // "abc" -> "abc👍"
/// let b = Operation::splice(4, 0, 1, "").unwrap(); //   "abc👍" -> "bc👍"
/// let ab = compose(&a, &b).unwrap();
/// assert_eq!(ab.apply("abc").unwrap(), "bc👍");
/// ```
pub fn compose(a: &Operation, b: &Operation) -> Result<Operation> {
    if a.target_len() != b.base_len() {
        return Err(OtError::ComposeLengthMismatch {
            first_target: a.target_len(),
            second_base: b.base_len(),
        });
    }
    let mut out = Operation::with_capacity(a.components().len() + b.components().len());
    let mut ia = Pieces::new(a.components());
    let mut ib = Pieces::new(b.components());
    let mut pa = ia.next_piece();
    let mut pb = ib.next_piece();
    loop {
        match (pa, pb) {
            (None, None) => break,
            // What `a` deleted, `b` never saw.
            (Some(Piece::Delete(n)), _) => {
                out.delete(n);
                pa = ia.next_piece();
            }
            // What `b` inserts, `a` never touched.
            (_, Some(Piece::Insert(s, n))) => {
                out.insert_counted(s, n);
                pb = ib.next_piece();
            }
            (Some(x @ Piece::Retain(_)), Some(y @ Piece::Retain(_))) => {
                let m = x.len().min(y.len());
                out.retain(m);
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            (Some(x @ Piece::Retain(_)), Some(y @ Piece::Delete(_))) => {
                let m = x.len().min(y.len());
                out.delete(m);
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            (Some(Piece::Insert(s, n)), Some(y @ Piece::Retain(_))) => {
                let m = n.min(y.len());
                // Split the text once and keep the tail, rather than walking it twice.
                if m == n {
                    out.insert_counted(s, n);
                    pa = ia.next_piece();
                } else {
                    let (head, tail) = split_at_char(s, m);
                    out.insert_counted(head, m);
                    pa = Some(Piece::Insert(tail, n - m));
                }
                pb = ib.advance(y, m);
            }
            // Text inserted by `a` and deleted by `b` never appears.
            (Some(x @ Piece::Insert(..)), Some(y @ Piece::Delete(_))) => {
                let m = x.len().min(y.len());
                (pa, pb) = (ia.advance(x, m), ib.advance(y, m));
            }
            // The length check above makes both run out together; this only guards against
            // an inconsistent operation, which the builder cannot produce.
            (None, Some(_)) | (Some(_), None) => {
                return Err(OtError::ComposeLengthMismatch {
                    first_target: a.target_len(),
                    second_base: b.base_len(),
                });
            }
        }
    }
    Ok(out)
}

impl Operation {
    /// Method form of [`compose`]: `self` followed by `next`.
    pub fn compose(&self, next: &Operation) -> Result<Operation> {
        compose(self, next)
    }
}
