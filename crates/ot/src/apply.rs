//! Applying and inverting operations on strings and ropes.

use ropey::Rope;

use crate::error::{OtError, Result};
use crate::operation::{Component, Operation};
use crate::text::{char_len, split_at_char};

impl Operation {
    /// Applies the operation to `doc` and returns the new text.
    ///
    /// Fails with [`OtError::BaseLengthMismatch`] if `doc` is not [`base_len`](Self::base_len)
    /// code points long. Costs O(len(doc)); for large documents use [`crate::Document`].
    pub fn apply(&self, doc: &str) -> Result<String> {
        check_len(self, char_len(doc))?;
        let mut out = String::with_capacity(doc.len() + self.inserted_bytes());
        let mut rest = doc;
        for c in self.components() {
            match c {
                Component::Retain(n) => {
                    let (keep, tail) = split_at_char(rest, *n);
                    out.push_str(keep);
                    rest = tail;
                }
                Component::Insert(s) => out.push_str(s),
                Component::Delete(n) => rest = split_at_char(rest, *n).1,
            }
        }
        Ok(out)
    }

    /// Applies the operation to `rope` in place, in O(components × log n).
    ///
    /// Fails, leaving `rope` untouched, if the rope's length is not the base length.
    pub fn apply_to_rope(&self, rope: &mut Rope) -> Result<()> {
        check_len(self, rope.len_chars())?;
        // The builder keeps base_len equal to the components' total, so once the length
        // matches every index below is in bounds and the edit cannot stop halfway.
        let mut pos = 0;
        for c in self.components() {
            match c {
                Component::Retain(n) => pos += n,
                Component::Insert(s) => {
                    rope.insert(pos, s);
                    pos += char_len(s);
                }
                Component::Delete(n) => rope.remove(pos..pos + n),
            }
        }
        Ok(())
    }

    /// Returns the operation that undoes this one: applying `self` to `doc` and then the
    /// inverse gives `doc` back. `doc` is the text *before* `self`, needed to restore
    /// deleted text.
    ///
    /// ```
    /// use tandem_ot::Operation;
    ///
    /// let doc = "naïve café";
    /// let op = Operation::splice(10, 6, 4, "bar").unwrap();
    /// let edited = op.apply(doc).unwrap();
    /// assert_eq!(edited, "naïve bar");
    /// assert_eq!(op.invert(doc).unwrap().apply(&edited).unwrap(), doc);
    /// ```
    pub fn invert(&self, doc: &str) -> Result<Operation> {
        check_len(self, char_len(doc))?;
        let mut inv = Operation::with_capacity(self.components().len());
        let mut rest = doc;
        for c in self.components() {
            match c {
                Component::Retain(n) => {
                    inv.retain(*n);
                    rest = split_at_char(rest, *n).1;
                }
                Component::Insert(s) => {
                    inv.delete(char_len(s));
                }
                Component::Delete(n) => {
                    let (gone, tail) = split_at_char(rest, *n);
                    inv.insert_counted(gone, *n);
                    rest = tail;
                }
            }
        }
        Ok(inv)
    }

    /// [`invert`](Self::invert) against a rope, in O(components × log n + deleted text).
    pub fn invert_rope(&self, rope: &Rope) -> Result<Operation> {
        check_len(self, rope.len_chars())?;
        let mut inv = Operation::with_capacity(self.components().len());
        let mut pos = 0;
        for c in self.components() {
            match c {
                Component::Retain(n) => {
                    inv.retain(*n);
                    pos += n;
                }
                Component::Insert(s) => {
                    inv.delete(char_len(s));
                }
                Component::Delete(n) => {
                    let gone = String::from(rope.slice(pos..pos + n));
                    inv.insert_counted(&gone, *n);
                    pos += n;
                }
            }
        }
        Ok(inv)
    }

    fn inserted_bytes(&self) -> usize {
        self.components()
            .iter()
            .map(|c| match c {
                Component::Insert(s) => s.len(),
                _ => 0,
            })
            .sum()
    }
}

/// Free-function form of [`Operation::invert`], as `invert(op, document)`.
pub fn invert(op: &Operation, doc: &str) -> Result<Operation> {
    op.invert(doc)
}

fn check_len(op: &Operation, actual: usize) -> Result<()> {
    if op.base_len() == actual {
        Ok(())
    } else {
        Err(OtError::BaseLengthMismatch {
            expected: op.base_len(),
            actual,
        })
    }
}
