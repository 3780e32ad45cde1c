//! Operational transformation (OT) for plain text, the engine behind tandem's real-time
//! collaborative editing. Pure library, no I/O.
//!
//! # The model
//!
//! An [`Operation`] walks a whole document from start to end as a sequence of
//! [`Component`]s: `Retain(n)` keeps the next `n` code points, `Insert(text)` inserts text,
//! `Delete(n)` removes the next `n` code points. It knows the length of the document it applies
//! to ([`Operation::base_len`]) and of the result ([`Operation::target_len`]).
//!
//! **All lengths and positions are Unicode code points** (Rust `char`s, scalar values): not
//! bytes, and not the UTF-16 units JavaScript strings use. An emoji such as 🦀 is one code
//! point (two UTF-16 units); `é` written as `e` + U+0301 is two. JavaScript clients must convert
//! UTF-16 offsets to code points (e.g. `[...text.slice(0, offset)].length`) before sending.
//!
//! # Wire format
//!
//! Operations serialize exactly like ot.js: a JSON array where a positive integer retains, a
//! string inserts and a negative integer deletes, e.g. `[5, "abc", -3]`. The
//! [`serde`] impls use it; parse client input with [`Operation::from_json`], which enforces
//! [`Limits`] and turns every malformed input into an [`OtError`].
//!
//! # Normalization
//!
//! The builder methods ([`Operation::retain`], [`Operation::insert`], [`Operation::delete`])
//! drop empty components, merge adjacent components of the same kind and put an insert before
//! a delete at the same position, as ot.js does. Operations are therefore canonical, and
//! `PartialEq` compares effects for operations built from the same edits.
//!
//! # Concurrency and tie-break
//!
//! [`transform(a, b)`](transform) returns `(a', b')` such that applying `a` then `b'` gives the
//! same text as `b` then `a'` (TP1). When both insert at the same position, **`a`'s text goes
//! first**; [`transform_with_priority`] takes an explicit [`Side`]. The server decides which
//! side is which: it transforms a client's operation as `b` against the operations already in
//! its history (as `a`), so history wins ties and every client agrees. Transform against
//! history one operation at a time ([`transform_against`]): see there for why a composed
//! history can order tied inserts differently.
//! [`compose`] merges sequential operations and [`Operation::invert`] undoes one.
//! [`Operation::transform_cursor`] and [`Selection`] move remote carets through edits.
//!
//! # Documents
//!
//! [`Document`] keeps text in a rope (`ropey`) and applies operations in place, so a keystroke
//! into a document of a million code points costs microseconds. [`Operation::splice`] and
//! [`diff`] build operations from editor events and from whole new texts.
//!
//! ```
//! use tandem_ot::{compose, transform, Document, Operation};
//!
//! let base = "Hello 世界";
//! let alice = Operation::splice(8, 5, 0, ",").unwrap(); // "Hello, 世界"
//! let bob = Operation::splice(8, 8, 0, "!").unwrap(); //   "Hello 世界!"
//! let (alice2, bob2) = transform(&alice, &bob).unwrap();
//!
//! let mut doc = Document::from(base);
//! doc.apply(&alice).unwrap();
//! doc.apply(&bob2).unwrap();
//! assert_eq!(doc.to_string(), "Hello, 世界!");
//! assert_eq!(compose(&bob, &alice2).unwrap().apply(base).unwrap(), "Hello, 世界!");
//! ```

#![warn(missing_docs)]

mod apply;
mod compose;
mod cursor;
mod diff;
mod document;
mod error;
mod operation;
mod pieces;
mod text;
mod transform;
mod wire;

pub use apply::invert;
pub use compose::compose;
pub use cursor::{Bias, Selection};
pub use diff::diff;
pub use document::Document;
pub use error::{OtError, Result};
pub use operation::{Component, Operation};
pub use ropey::Rope;
pub use transform::{Side, transform, transform_against, transform_with_priority};
pub use wire::Limits;
