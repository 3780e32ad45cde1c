//! The ot.js wire format, `[5, "abc", -3]`, and parsing it from untrusted input.
//!
//! A positive integer retains, a string inserts, a negative integer deletes. Components are
//! fed through the normalizing builder, so `[1, 2]` parses to the same operation as `[3]`.
//! Zero, empty strings, non-integers, other JSON types and lengths that overflow are errors.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::ser::{self, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{OtError, Result};
use crate::operation::{Component, Operation};
use crate::text::char_len;

/// Bounds on an operation parsed from an untrusted client.
///
/// The defaults are generous for humans typing or pasting, and small enough that one message
/// cannot make the server allocate without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest accepted JSON text, in bytes (checked before parsing).
    pub max_json_bytes: usize,
    /// Most components (array elements) in one operation.
    pub max_components: usize,
    /// Most code points inserted by one operation, summed over its inserts.
    pub max_inserted_chars: usize,
}

impl Limits {
    /// No limits, for operations from trusted storage. Used by the plain `Deserialize` impl.
    pub const UNLIMITED: Limits = Limits {
        max_json_bytes: usize::MAX,
        max_components: usize::MAX,
        max_inserted_chars: usize::MAX,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_json_bytes: 8 * 1024 * 1024,
            max_components: 10_000,
            max_inserted_chars: 1_000_000,
        }
    }
}

impl Operation {
    /// Parses an operation in the wire format from untrusted JSON, enforcing `limits`.
    ///
    /// Every problem is an [`OtError`], never a panic.
    ///
    /// ```
    /// use tandem_ot::{Limits, Operation, OtError};
    ///
    /// let op = Operation::from_json(r#"[2, "é", -1]"#, &Limits::default()).unwrap();
    /// assert_eq!(op.apply("abc").unwrap(), "abé");
    /// assert!(matches!(
    ///     Operation::from_json("[0]", &Limits::default()),
    ///     Err(OtError::Malformed(_))
    /// ));
    /// ```
    pub fn from_json(json: &str, limits: &Limits) -> Result<Operation> {
        if json.len() > limits.max_json_bytes {
            return Err(OtError::TooLarge {
                actual: json.len(),
                limit: limits.max_json_bytes,
            });
        }
        let seed = LimitedOperation::new(limits);
        let mut de = serde_json::Deserializer::from_str(json);
        let parsed = seed
            .deserialize(&mut de)
            .and_then(|op| de.end().map(|()| op));
        parsed.map_err(|e| {
            seed.take_error()
                .unwrap_or_else(|| OtError::Malformed(e.to_string()))
        })
    }

    /// Like [`from_json`](Self::from_json) for an operation that is part of a larger,
    /// already parsed message.
    pub fn from_json_value(value: &serde_json::Value, limits: &Limits) -> Result<Operation> {
        let seed = LimitedOperation::new(limits);
        seed.deserialize(value).map_err(|e| {
            seed.take_error()
                .unwrap_or_else(|| OtError::Malformed(e.to_string()))
        })
    }

    /// The wire format as a JSON string.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, c) in self.components().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match c {
                Component::Retain(n) => out.push_str(&n.to_string()),
                Component::Delete(n) => {
                    out.push('-');
                    out.push_str(&n.to_string());
                }
                Component::Insert(s) => {
                    out.push_str(&serde_json::Value::from(s.as_str()).to_string());
                }
            }
        }
        out.push(']');
        out
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.components().len()))?;
        for c in self.components() {
            match c {
                Component::Retain(n) => seq.serialize_element(&(*n as u64))?,
                Component::Insert(s) => seq.serialize_element(s)?,
                Component::Delete(n) => {
                    let n = i64::try_from(*n)
                        .map_err(|_| ser::Error::custom("delete length does not fit in i64"))?;
                    seq.serialize_element(&-n)?;
                }
            }
        }
        seq.end()
    }
}

/// Without limits: use [`Operation::from_json`] for input from clients.
impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        LimitedOperation::new(&Limits::UNLIMITED).deserialize(deserializer)
    }
}

/// Deserializes an operation while enforcing [`Limits`]. The first limit violation is kept as
/// a typed error, because serde's own errors only carry text.
struct LimitedOperation<'l> {
    limits: &'l Limits,
    error: RefCell<Option<OtError>>,
}

impl<'l> LimitedOperation<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            error: RefCell::new(None),
        }
    }

    fn take_error(&self) -> Option<OtError> {
        self.error.borrow_mut().take()
    }

    fn fail<E: de::Error>(&self, err: OtError) -> E {
        let e = E::custom(&err);
        *self.error.borrow_mut() = Some(err);
        e
    }
}

impl<'de> DeserializeSeed<'de> for &LimitedOperation<'_> {
    type Value = Operation;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Operation, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &LimitedOperation<'_> {
    type Value = Operation;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of operation components like [5, \"abc\", -3]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Operation, A::Error> {
        let hint = seq.size_hint().unwrap_or(0).min(64);
        let mut op = Operation::with_capacity(hint);
        let mut count = 0usize;
        let mut inserted = 0usize;
        while let Some(c) = seq.next_element::<WireComponent>()? {
            count += 1;
            if count > self.limits.max_components {
                return Err(self.fail(OtError::TooManyComponents {
                    limit: self.limits.max_components,
                }));
            }
            match c {
                WireComponent::Retain(n) | WireComponent::Delete(n) => {
                    let grows_target = matches!(c, WireComponent::Retain(_));
                    let base = op.base_len().checked_add(n);
                    let target = if grows_target {
                        op.target_len().checked_add(n)
                    } else {
                        Some(op.target_len())
                    };
                    if base.is_none() || target.is_none() {
                        return Err(self.fail(OtError::LengthOverflow));
                    }
                    if grows_target {
                        op.retain(n);
                    } else {
                        op.delete(n);
                    }
                }
                WireComponent::Insert(s) => {
                    let n = char_len(&s);
                    inserted = inserted.saturating_add(n);
                    if inserted > self.limits.max_inserted_chars {
                        return Err(self.fail(OtError::TooMuchInserted {
                            limit: self.limits.max_inserted_chars,
                        }));
                    }
                    if op.target_len().checked_add(n).is_none() {
                        return Err(self.fail(OtError::LengthOverflow));
                    }
                    op.insert_counted(&s, n);
                }
            }
        }
        Ok(op)
    }
}

/// One array element as sent on the wire, before normalization.
#[derive(Debug)]
enum WireComponent {
    Retain(usize),
    Insert(String),
    Delete(usize),
}

impl<'de> Deserialize<'de> for WireComponent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ComponentVisitor)
    }
}

struct ComponentVisitor;

impl Visitor<'_> for ComponentVisitor {
    type Value = WireComponent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-zero integer or a non-empty string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<WireComponent, E> {
        match usize::try_from(v) {
            Ok(0) => Err(E::custom("zero-length retain")),
            Ok(n) => Ok(WireComponent::Retain(n)),
            Err(_) => Err(E::custom("retain length overflows")),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<WireComponent, E> {
        if v >= 0 {
            return self.visit_u64(v.unsigned_abs());
        }
        usize::try_from(v.unsigned_abs())
            .map(WireComponent::Delete)
            .map_err(|_| E::custom("delete length overflows"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<WireComponent, E> {
        Err(E::custom(format_args!(
            "component {v} is not an integer in range"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<WireComponent, E> {
        if v.is_empty() {
            return Err(E::custom("empty insert"));
        }
        Ok(WireComponent::Insert(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<WireComponent, E> {
        if v.is_empty() {
            return Err(E::custom("empty insert"));
        }
        Ok(WireComponent::Insert(v))
    }
}
