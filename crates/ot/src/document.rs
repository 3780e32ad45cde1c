//! A rope-backed document that applies operations in place.

use std::fmt;

use ropey::Rope;

use crate::error::Result;
use crate::operation::Operation;

/// A text document stored in a rope, indexed by code points.
///
/// Applying an operation edits the rope in place, so a keystroke costs O(log n) whatever the
/// document's size, where [`Operation::apply`] on a `String` copies the whole text.
///
/// ```
/// use tandem_ot::{Document, Operation};
///
/// let mut doc = Document::from("Hello 🌍");
/// let op = Operation::splice(doc.len_chars(), 6, 1, "wörld").unwrap();
/// doc.apply(&op).unwrap();
/// assert_eq!(doc.to_string(), "Hello wörld");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    rope: Rope,
}

impl Document {
    /// An empty document.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Length in code points.
    #[must_use]
    pub fn len_chars(&self) -> usize {
        self.rope.len_chars()
    }

    /// True if the document has no text.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rope.len_chars() == 0
    }

    /// The underlying rope, for reading slices, lines or chunks without copying.
    #[must_use]
    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// Gives back the rope.
    #[must_use]
    pub fn into_rope(self) -> Rope {
        self.rope
    }

    /// Applies `op` in place. On error the document is unchanged.
    pub fn apply(&mut self, op: &Operation) -> Result<()> {
        op.apply_to_rope(&mut self.rope)
    }

    /// Replaces `deleted` code points at `position` with `inserted`, and returns the operation
    /// that did it (to send to the server or record for undo).
    pub fn splice(&mut self, position: usize, deleted: usize, inserted: &str) -> Result<Operation> {
        let op = Operation::splice(self.len_chars(), position, deleted, inserted)?;
        self.apply(&op)?;
        Ok(op)
    }

    /// The operation that undoes `op`, which must apply to this document as it is now.
    pub fn invert(&self, op: &Operation) -> Result<Operation> {
        op.invert_rope(&self.rope)
    }
}

impl From<&str> for Document {
    fn from(text: &str) -> Self {
        Self {
            rope: Rope::from_str(text),
        }
    }
}

impl From<String> for Document {
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl From<Rope> for Document {
    fn from(rope: Rope) -> Self {
        Self { rope }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.rope.chunks() {
            f.write_str(chunk)?;
        }
        Ok(())
    }
}

impl PartialEq<str> for Document {
    fn eq(&self, other: &str) -> bool {
        self.rope == other
    }
}

impl PartialEq<&str> for Document {
    fn eq(&self, other: &&str) -> bool {
        self.rope == *other
    }
}
