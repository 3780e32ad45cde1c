//! The one error type of the crate.

use thiserror::Error;

/// Everything that can go wrong in this crate.
///
/// Every fallible function returns this type, so callers handling untrusted client input
/// (a malformed or stale operation) get a value to report instead of a panic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OtError {
    /// The operation expects a document of a different length (in code points).
    #[error("operation expects a document of {expected} code points, but it has {actual}")]
    BaseLengthMismatch {
        /// The operation's base length.
        expected: usize,
        /// The document's length.
        actual: usize,
    },
    /// `compose(a, b)` needs `b` to start where `a` ends.
    #[error(
        "cannot compose: first operation produces {first_target} code points, second expects {second_base}"
    )]
    ComposeLengthMismatch {
        /// Target length of the first operation.
        first_target: usize,
        /// Base length of the second operation.
        second_base: usize,
    },
    /// `transform(a, b)` needs both operations to apply to the same document.
    #[error("cannot transform: operations expect documents of {left} and {right} code points")]
    TransformLengthMismatch {
        /// Base length of the first operation.
        left: usize,
        /// Base length of the second operation.
        right: usize,
    },
    /// A splice reaches past the end of the document.
    #[error("splice at {position} deleting {deleted} is outside a document of {len} code points")]
    SpliceOutOfRange {
        /// Where the splice starts.
        position: usize,
        /// How many code points it deletes.
        deleted: usize,
        /// The document's length.
        len: usize,
    },
    /// The serialized operation is larger than [`Limits::max_json_bytes`](crate::Limits).
    #[error("operation is {actual} bytes of JSON, limit is {limit}")]
    TooLarge {
        /// Size of the input.
        actual: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The operation has more components than [`Limits::max_components`](crate::Limits).
    #[error("operation has more than {limit} components")]
    TooManyComponents {
        /// The configured limit.
        limit: usize,
    },
    /// The operation inserts more than [`Limits::max_inserted_chars`](crate::Limits).
    #[error("operation inserts more than {limit} code points")]
    TooMuchInserted {
        /// The configured limit.
        limit: usize,
    },
    /// The operation's lengths do not fit in a `usize`.
    #[error("operation lengths overflow")]
    LengthOverflow,
    /// The input is not a well-formed operation (bad JSON, wrong types, zero-length components...).
    #[error("malformed operation: {0}")]
    Malformed(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = OtError> = std::result::Result<T, E>;
