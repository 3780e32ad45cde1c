//! Walks an operation's components while letting the caller consume them partially,
//! which is what compose and transform need when two components overlap.

use crate::operation::Component;
use crate::text::{char_len, split_at_char};

/// A borrowed, possibly partly consumed component. Inserts carry their code point count
/// so it is computed once per component, not once per overlap.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    Retain(usize),
    Insert(&'a str, usize),
    Delete(usize),
}

#[derive(Debug)]
pub(crate) struct Pieces<'a> {
    rest: std::slice::Iter<'a, Component>,
}

impl<'a> Pieces<'a> {
    #[inline]
    pub(crate) fn new(ops: &'a [Component]) -> Self {
        Self { rest: ops.iter() }
    }

    #[inline]
    pub(crate) fn next_piece(&mut self) -> Option<Piece<'a>> {
        self.rest.next().map(|c| match c {
            Component::Retain(n) => Piece::Retain(*n),
            Component::Insert(s) => Piece::Insert(s, char_len(s)),
            Component::Delete(n) => Piece::Delete(*n),
        })
    }

    /// Consumes `m` code points of `piece` (which must be at least that long) and returns what
    /// is left of it, or the next piece if nothing is.
    #[inline]
    pub(crate) fn advance(&mut self, piece: Piece<'a>, m: usize) -> Option<Piece<'a>> {
        match piece {
            Piece::Retain(n) if n > m => Some(Piece::Retain(n - m)),
            Piece::Delete(n) if n > m => Some(Piece::Delete(n - m)),
            Piece::Insert(s, n) if n > m => Some(Piece::Insert(split_at_char(s, m).1, n - m)),
            _ => self.next_piece(),
        }
    }
}

impl Piece<'_> {
    #[inline]
    pub(crate) fn len(self) -> usize {
        match self {
            Piece::Retain(n) | Piece::Delete(n) | Piece::Insert(_, n) => n,
        }
    }
}
