//! Code point helpers on `str`, which is indexed by bytes.

/// Number of code points in `s`.
#[inline]
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Splits `s` after `n` code points; past the end, everything goes to the left.
#[inline]
pub(crate) fn split_at_char(s: &str, n: usize) -> (&str, &str) {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    }
}
