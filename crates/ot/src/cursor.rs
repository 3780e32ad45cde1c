//! Moving cursors and selections through an operation, so remote carets follow edits.

use crate::operation::{Component, Operation};
use crate::text::char_len;

/// Where a cursor ends up when text is inserted exactly at its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Bias {
    /// Stay before the inserted text (the cursor does not move).
    Before,
    /// Move after the inserted text, as the author's own caret does while typing.
    #[default]
    After,
}

impl Operation {
    /// Maps a cursor position (a code point index in the base document, clamped to it) to the
    /// matching position in the target document.
    ///
    /// A cursor inside deleted text lands where the deletion happened. The mapping is
    /// monotonic, so cursor order is preserved, and the result is always within
    /// `0..=target_len()`.
    ///
    /// ```
    /// use tandem_ot::{Bias, Operation};
    ///
    /// let op = Operation::splice(4, 2, 0, "中文").unwrap(); // insert at 2
    /// assert_eq!(op.transform_cursor(1, Bias::After), 1);
    /// assert_eq!(op.transform_cursor(2, Bias::Before), 2);
    /// assert_eq!(op.transform_cursor(2, Bias::After), 4);
    /// assert_eq!(op.transform_cursor(3, Bias::Before), 5);
    /// ```
    #[must_use]
    pub fn transform_cursor(&self, index: usize, bias: Bias) -> usize {
        let index = index.min(self.base_len());
        let mut old = 0;
        let mut new = 0;
        for c in self.components() {
            match c {
                Component::Retain(n) => {
                    if index < old + n {
                        return new + (index - old);
                    }
                    old += n;
                    new += n;
                }
                Component::Insert(s) => {
                    if index == old && bias == Bias::Before {
                        return new;
                    }
                    new += char_len(s);
                }
                Component::Delete(n) => {
                    if index < old + n {
                        return new;
                    }
                    old += n;
                }
            }
        }
        new
    }
}

/// A selection: `anchor` is where it started, `head` where the caret is. Equal values mean a
/// plain caret. Positions are code point indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Selection {
    /// The fixed end of the selection.
    pub anchor: usize,
    /// The moving end, where the caret is drawn.
    pub head: usize,
}

impl Selection {
    /// A collapsed selection (a caret) at `pos`.
    #[must_use]
    pub fn caret(pos: usize) -> Self {
        Self {
            anchor: pos,
            head: pos,
        }
    }

    /// Moves both ends through `op` with [`Operation::transform_cursor`].
    #[must_use]
    pub fn transform(&self, op: &Operation, bias: Bias) -> Self {
        Self {
            anchor: op.transform_cursor(self.anchor, bias),
            head: op.transform_cursor(self.head, bias),
        }
    }
}
