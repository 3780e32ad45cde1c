//! The operation type and its normalizing builder.

use crate::error::{OtError, Result};
use crate::text::char_len;

/// One step of an [`Operation`], walking the document from start to end.
///
/// Lengths are in Unicode code points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    /// Keep the next `n` code points.
    Retain(usize),
    /// Insert this text at the current position.
    Insert(String),
    /// Remove the next `n` code points.
    Delete(usize),
}

impl Component {
    /// How many code points of the base document this component consumes.
    #[must_use]
    pub fn base_len(&self) -> usize {
        match self {
            Self::Retain(n) | Self::Delete(n) => *n,
            Self::Insert(_) => 0,
        }
    }
}

/// A text operation: a normalized sequence of [`Component`]s covering a whole document.
///
/// Operations are only built through [`retain`](Self::retain), [`insert`](Self::insert) and
/// [`delete`](Self::delete) (or parsed, which uses them), and these keep the operation
/// normalized the way ot.js does: no empty components, adjacent components of the same kind
/// merged, and an insert placed before a delete at the same position. Because of that, two
/// operations with the same effect built the same way compare equal with `==`.
///
/// ```
/// use tandem_ot::Operation;
///
/// let mut op = Operation::new();
/// op.retain(6).delete(5).insert("🦀");
/// assert_eq!(op.base_len(), 11);
/// assert_eq!(op.target_len(), 7);
/// assert_eq!(op.apply("hello world").unwrap(), "hello 🦀");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Operation {
    ops: Vec<Component>,
    base_len: usize,
    target_len: usize,
}

impl Operation {
    /// An empty operation, which applies to the empty document.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty operation with room for `capacity` components.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            ops: Vec::with_capacity(capacity),
            base_len: 0,
            target_len: 0,
        }
    }

    /// The operation that leaves a document of `len` code points unchanged.
    #[must_use]
    pub fn identity(len: usize) -> Self {
        let mut op = Self::new();
        op.retain(len);
        op
    }

    /// Length in code points of the documents this operation applies to.
    #[must_use]
    pub fn base_len(&self) -> usize {
        self.base_len
    }

    /// Length in code points of the document after applying this operation.
    #[must_use]
    pub fn target_len(&self) -> usize {
        self.target_len
    }

    /// The normalized components.
    #[must_use]
    pub fn components(&self) -> &[Component] {
        &self.ops
    }

    /// True if applying the operation changes nothing.
    #[must_use]
    pub fn is_noop(&self) -> bool {
        matches!(self.ops.as_slice(), [] | [Component::Retain(_)])
    }

    /// Appends "keep the next `n` code points". Zero is ignored.
    #[inline]
    pub fn retain(&mut self, n: usize) -> &mut Self {
        if n == 0 {
            return self;
        }
        self.base_len += n;
        self.target_len += n;
        if let Some(Component::Retain(last)) = self.ops.last_mut() {
            *last += n;
        } else {
            self.ops.push(Component::Retain(n));
        }
        self
    }

    /// Appends "insert `text` here". Empty text is ignored.
    #[inline]
    pub fn insert(&mut self, text: &str) -> &mut Self {
        self.insert_counted(text, char_len(text))
    }

    /// `insert` for callers that already know the code point count.
    #[inline]
    pub(crate) fn insert_counted(&mut self, text: &str, chars: usize) -> &mut Self {
        if text.is_empty() {
            return self;
        }
        self.target_len += chars;
        match self.ops.as_mut_slice() {
            [.., Component::Insert(last)] | [.., Component::Insert(last), Component::Delete(_)] => {
                last.push_str(text);
            }
            // Insert-before-delete is the canonical order, so an insert after a delete
            // slides in front of it; the effect is the same.
            [.., last @ Component::Delete(_)] => {
                let del = std::mem::replace(last, Component::Insert(text.to_owned()));
                self.ops.push(del);
            }
            _ => self.ops.push(Component::Insert(text.to_owned())),
        }
        self
    }

    /// Appends "remove the next `n` code points". Zero is ignored.
    #[inline]
    pub fn delete(&mut self, n: usize) -> &mut Self {
        if n == 0 {
            return self;
        }
        self.base_len += n;
        if let Some(Component::Delete(last)) = self.ops.last_mut() {
            *last += n;
        } else {
            self.ops.push(Component::Delete(n));
        }
        self
    }

    /// Builds the operation for a splice on a document of `doc_len` code points: at `position`,
    /// delete `deleted` code points and insert `inserted`.
    ///
    /// This is the shape of edits from editors and of the editing traces.
    ///
    /// ```
    /// use tandem_ot::Operation;
    ///
    /// let op = Operation::splice(6, 3, 2, "天気").unwrap();
    /// assert_eq!(op.apply("今日はいい日").unwrap(), "今日は天気日");
    /// ```
    pub fn splice(doc_len: usize, position: usize, deleted: usize, inserted: &str) -> Result<Self> {
        let end = position
            .checked_add(deleted)
            .filter(|end| *end <= doc_len)
            .ok_or(OtError::SpliceOutOfRange {
                position,
                deleted,
                len: doc_len,
            })?;
        let mut op = Self::with_capacity(4);
        op.retain(position)
            .insert(inserted)
            .delete(deleted)
            .retain(doc_len - end);
        Ok(op)
    }
}
