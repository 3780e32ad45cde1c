//! Who wrote each character: a run-length list of `(length, user)` kept in step with the
//! text through every op. Pure logic.
//!
//! The same type describes two things: the authors of a whole text (one run per stretch
//! written by one user), and the authors of the characters an op inserts, in the order the
//! op inserts them (its insert components concatenated). An op's inserted characters stay
//! the same characters through `transform`, so the second kind survives transformation
//! unchanged.

use serde::{Deserialize, Serialize};
use tandem_ot::{Component, Operation};
use uuid::Uuid;

/// `length` code points written by `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// How many code points.
    pub len: usize,
    /// Who wrote them (nil: unknown, e.g. text older than the first snapshot that kept
    /// authors).
    pub user: Uuid,
}

/// A run-length list of authors. Adjacent runs of one user are always merged and no run is
/// empty, so two lists of the same attribution compare equal.
///
/// The runs are kept in chunks of at most [`CHUNK`] with their lengths, so applying an op
/// rebuilds only the chunks it touches: the live authorship of a long, much-edited text (many
/// thousands of runs) costs about the same per keystroke as a short one.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    chunks: Vec<Chunk>,
}

#[derive(Debug, Clone, Default)]
struct Chunk {
    /// The code points its runs cover.
    len: usize,
    runs: Vec<Run>,
}

/// Most runs in one chunk (a fuller one is split).
const CHUNK: usize = 64;

impl PartialEq for Runs {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Runs {}

/// An op does not fit the attribution it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the authorship covers {have} code points, the operation needs {need}")]
pub struct Mismatch {
    have: usize,
    need: usize,
}

impl Runs {
    /// No characters.
    pub fn new() -> Self {
        Self::default()
    }

    /// `len` characters, all by `user`.
    pub fn uniform(len: usize, user: Uuid) -> Self {
        let mut runs = Self::new();
        runs.push(len, user);
        runs
    }

    /// Appends `len` characters by `user`.
    pub fn push(&mut self, len: usize, user: Uuid) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.chunks.last_mut() {
            let full = last.runs.len() >= CHUNK;
            match last.runs.last_mut() {
                Some(run) if run.user == user => {
                    run.len += len;
                    last.len += len;
                    return;
                }
                _ if !full => {
                    last.runs.push(Run { len, user });
                    last.len += len;
                    return;
                }
                _ => {}
            }
        }
        self.chunks.push(Chunk {
            len,
            runs: vec![Run { len, user }],
        });
    }

    /// How many characters the list covers.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len).sum()
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The runs, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Run> + '_ {
        self.chunks.iter().flat_map(|c| c.runs.iter())
    }

    /// The runs, in order, as a list.
    pub fn runs(&self) -> Vec<Run> {
        self.iter().copied().collect()
    }

    /// Every user named, once, in order of first appearance.
    pub fn users(&self) -> Vec<Uuid> {
        let mut users: Vec<Uuid> = Vec::new();
        for run in self.iter() {
            if !users.contains(&run.user) {
                users.push(run.user);
            }
        }
        users
    }

    /// `(start, end, user)` for each run, in code points.
    pub fn spans(&self) -> impl Iterator<Item = (usize, usize, Uuid)> + '_ {
        self.iter().scan(0, |start, run| {
            let span = (*start, *start + run.len, run.user);
            *start += run.len;
            Some(span)
        })
    }

    /// Applies `op` to this attribution of its base text. `inserted` names the authors of
    /// the characters the op inserts, in order. Returns the authors of the characters it
    /// deleted, in order (which is what its inverse inserts).
    pub fn apply(&mut self, op: &Operation, inserted: &Runs) -> Result<Runs, Mismatch> {
        let have = self.len();
        if have != op.base_len() {
            return Err(Mismatch {
                have,
                need: op.base_len(),
            });
        }
        let inserts = inserted_len(op);
        if inserted.len() != inserts {
            return Err(Mismatch {
                have: inserted.len(),
                need: inserts,
            });
        }
        // Only the stretch between the op's leading and trailing retains changes.
        let mut components = op.components();
        let mut start = 0;
        if let Some((Component::Retain(n), rest)) = components.split_first() {
            start = *n;
            components = rest;
        }
        if let Some((Component::Retain(_), rest)) = components.split_last() {
            components = rest;
        }
        if components.is_empty() {
            return Ok(Runs::new());
        }
        // The chunks that hold it: from the one holding `start` (or the last, for an
        // insert at the very end) through the one holding its last deleted character.
        let touched: usize = components
            .iter()
            .map(|c| match c {
                Component::Retain(n) | Component::Delete(n) => *n,
                Component::Insert(_) => 0,
            })
            .sum();
        let end = start + touched;
        let (first, first_at) = self.chunk_at(start);
        let (mut last, _) = if touched == 0 {
            (first, first_at)
        } else {
            self.chunk_at(end - 1)
        };
        // A region of few runs takes in the next chunk, so chunks stay reasonably full
        // (else much deleting would leave many tiny ones).
        let held: usize = self
            .chunks
            .get(first..=last)
            .unwrap_or_default()
            .iter()
            .map(|c| c.runs.len())
            .sum();
        if held < CHUNK / 2 && last + 1 < self.chunks.len() {
            last += 1;
        }
        let region: Vec<Run> = self
            .chunks
            .get(first..=last)
            .unwrap_or_default()
            .iter()
            .flat_map(|c| c.runs.iter().copied())
            .collect();
        let new_runs: Vec<Run> = inserted.runs();
        let mut out = Runs::new();
        let mut deleted = Runs::new();
        let mut text = Cursor::new(&region);
        let mut new = Cursor::new(&new_runs);
        text.take(start - first_at, &mut out);
        for component in components {
            match component {
                Component::Retain(n) => text.take(*n, &mut out),
                Component::Delete(n) => text.take(*n, &mut deleted),
                Component::Insert(s) => new.take(s.chars().count(), &mut out),
            }
        }
        text.take(usize::MAX, &mut out);
        let replaced = if self.chunks.is_empty() {
            0..0
        } else {
            first..last + 1
        };
        let count = out.chunks.len();
        self.chunks.splice(replaced, out.chunks);
        // Stretches of one author that now meet across the new chunks' edges are one run.
        self.merge_at(first + count);
        if first > 0 {
            self.merge_at(first);
        }
        Ok(deleted)
    }

    /// The chunk holding code point `at` (the last chunk if `at` is the end) and where it
    /// starts.
    fn chunk_at(&self, at: usize) -> (usize, usize) {
        let mut start = 0;
        for (i, chunk) in self.chunks.iter().enumerate() {
            if at < start + chunk.len || i + 1 == self.chunks.len() {
                return (i, start);
            }
            start += chunk.len;
        }
        (0, 0)
    }

    /// Joins the runs on either side of the edge before chunk `i` if they are one user's,
    /// and drops chunks left empty.
    fn merge_at(&mut self, i: usize) {
        if i == 0 || i >= self.chunks.len() {
            return;
        }
        let (left, right) = self.chunks.split_at_mut(i);
        let (Some(l), Some(r)) = (left.last_mut(), right.first_mut()) else {
            return;
        };
        if let (Some(a), Some(b)) = (l.runs.last_mut(), r.runs.first())
            && a.user == b.user
        {
            a.len += b.len;
            l.len += b.len;
            r.len -= b.len;
            r.runs.remove(0);
        }
        if r.runs.is_empty() {
            self.chunks.remove(i);
            self.merge_at(i);
        }
    }

    /// The authors of the characters `compose(first, second)` inserts, given the authors of
    /// what each inserts: the characters of the final text that neither base text held.
    pub fn composed_inserts(
        (first, first_inserted): (&Operation, &Runs),
        (second, second_inserted): (&Operation, &Runs),
    ) -> Result<Runs, Mismatch> {
        // A marker no real author has: which characters were there before.
        let before = Uuid::max();
        let mut text = Runs::uniform(first.base_len(), before);
        text.apply(first, first_inserted)?;
        text.apply(second, second_inserted)?;
        let mut inserted = Runs::new();
        for run in text.iter().filter(|r| r.user != before) {
            inserted.push(run.len, run.user);
        }
        Ok(inserted)
    }
}

/// How many code points `op` inserts.
pub fn inserted_len(op: &Operation) -> usize {
    op.components()
        .iter()
        .map(|c| match c {
            Component::Insert(s) => s.chars().count(),
            _ => 0,
        })
        .sum()
}

/// Reads a run list front to back, `n` characters at a time.
struct Cursor<'a> {
    runs: &'a [Run],
    index: usize,
    offset: usize,
}

impl<'a> Cursor<'a> {
    fn new(runs: &'a [Run]) -> Self {
        Self {
            runs,
            index: 0,
            offset: 0,
        }
    }

    /// Moves `n` characters into `out` (lengths were checked, so the list holds them).
    fn take(&mut self, mut n: usize, out: &mut Runs) {
        while n > 0 {
            let Some(run) = self.runs.get(self.index) else {
                return;
            };
            let available = run.len - self.offset;
            if available <= n {
                out.push(available, run.user);
                n -= available;
                self.index += 1;
                self.offset = 0;
            } else {
                out.push(n, run.user);
                self.offset += n;
                n = 0;
            }
        }
    }
}

impl Serialize for Runs {
    /// As `[[length, "user id"], …]`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for run in self.iter() {
            seq.serialize_element(&(run.len, run.user))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Runs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(usize, Uuid)>::deserialize(deserializer)?;
        let mut runs = Runs::new();
        for (len, user) in pairs {
            runs.push(len, user);
        }
        Ok(runs)
    }
}

impl Runs {
    /// The JSON form stored beside ops and snapshots.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "[]".into())
    }

    /// Parses the stored JSON form.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    #[test]
    fn an_insert_is_attributed_to_its_author_and_a_delete_reports_whose_text_went() {
        let (alice, bob) = (user(1), user(2));
        let mut text = Runs::uniform(5, alice);
        let mut op = Operation::new();
        op.retain(2).insert("xy").retain(3);
        assert!(text.apply(&op, &Runs::uniform(2, bob)).unwrap().is_empty());
        assert_eq!(
            text.spans().collect::<Vec<_>>(),
            vec![(0, 2, alice), (2, 4, bob), (4, 7, alice)]
        );
        let mut delete = Operation::new();
        delete.retain(1).delete(2).retain(4);
        let gone = text.apply(&delete, &Runs::new()).unwrap();
        assert_eq!(
            gone.runs(),
            &[
                Run {
                    len: 1,
                    user: alice
                },
                Run { len: 1, user: bob }
            ]
        );
        assert_eq!(text.len(), 5);
    }

    #[test]
    fn an_op_that_does_not_fit_is_refused() {
        let mut text = Runs::uniform(3, user(1));
        let mut op = Operation::new();
        op.retain(4);
        assert!(text.apply(&op, &Runs::new()).is_err());
        let mut insert = Operation::new();
        insert.retain(3).insert("ab");
        assert!(text.apply(&insert, &Runs::uniform(1, user(1))).is_err());
    }

    /// Long random sessions keep the chunked list exact: it matches a per-character model,
    /// no two neighbouring runs share an author, and chunks stay bounded and non-empty.
    #[test]
    fn chunked_runs_stay_exact_through_long_random_sessions() {
        use rand::{Rng, SeedableRng};
        for seed in 0..8 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut len = 200;
            let mut authors = Runs::uniform(len, user(9));
            let mut slow: Vec<Uuid> = vec![user(9); len];
            let mut most_chunks = 0;
            for step in 0..3_000 {
                let who = user(rng.random_range(0..4));
                let at = rng.random_range(0..=len);
                let deleted =
                    rng.random_range(0..=(len - at).min(if step % 50 == 0 { 40 } else { 3 }));
                let inserted = rng.random_range(0..5);
                let op = Operation::splice(len, at, deleted, &"x".repeat(inserted)).unwrap();
                let gone = authors.apply(&op, &Runs::uniform(inserted, who)).unwrap();
                let removed: Vec<Uuid> = slow
                    .splice(at..at + deleted, std::iter::repeat_n(who, inserted))
                    .collect();
                let expanded: Vec<Uuid> = gone
                    .iter()
                    .flat_map(|r| std::iter::repeat_n(r.user, r.len))
                    .collect();
                assert_eq!(expanded, removed, "seed {seed} step {step}");
                len = len - deleted + inserted;
                let runs = authors.runs();
                let expanded: Vec<Uuid> = runs
                    .iter()
                    .flat_map(|r| std::iter::repeat_n(r.user, r.len))
                    .collect();
                assert_eq!(expanded, slow, "seed {seed} step {step}");
                assert!(
                    runs.windows(2).all(|w| w[0].user != w[1].user),
                    "seed {seed} step {step}"
                );
                assert!(runs.iter().all(|r| r.len > 0));
                most_chunks = most_chunks.max(authors.chunks.len());
                for chunk in &authors.chunks {
                    assert!(!chunk.runs.is_empty() && chunk.runs.len() <= CHUNK);
                    assert_eq!(chunk.len, chunk.runs.iter().map(|r| r.len).sum::<usize>());
                }
            }
            assert!(most_chunks > 4, "the test exercises several chunks");
        }
    }

    #[test]
    fn runs_round_trip_through_json() {
        let mut runs = Runs::uniform(3, user(1));
        runs.push(2, user(2));
        assert_eq!(Runs::from_json(&runs.to_json()).unwrap(), runs);
    }

    /// A random splice of a text of `len` code points.
    pub(crate) fn random_splice(rng: &mut impl rand::Rng, len: usize) -> Operation {
        let at = rng.random_range(0..=len);
        let deleted = rng.random_range(0..=(len - at).min(4));
        let alphabet = ['a', 'b', '🦀', '\n', 'é'];
        let inserted: String = (0..rng.random_range(0..4))
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        Operation::splice(len, at, deleted, &inserted).unwrap()
    }

    /// Authorship stays consistent with the text for random op sequences: the runs cover
    /// the text exactly, and every inserted character carries its author.
    #[test]
    fn authorship_follows_random_edits() {
        use rand::SeedableRng;
        for seed in 0..200 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut text = String::from("start");
            let mut authors = Runs::uniform(5, user(9));
            // Each character's author, the slow way, to compare with.
            let mut slow: Vec<Uuid> = vec![user(9); 5];
            for _ in 0..40 {
                let who = user(rand::Rng::random_range(&mut rng, 0..3));
                let op = random_splice(&mut rng, text.chars().count());
                let inserted = Runs::uniform(inserted_len(&op), who);
                authors.apply(&op, &inserted).unwrap();
                let mut next = Vec::new();
                let mut i = 0;
                for c in op.components() {
                    match c {
                        Component::Retain(n) => {
                            next.extend_from_slice(&slow[i..i + n]);
                            i += n;
                        }
                        Component::Delete(n) => i += n,
                        Component::Insert(s) => {
                            next.extend(std::iter::repeat_n(who, s.chars().count()));
                        }
                    }
                }
                slow = next;
                text = op.apply(&text).unwrap();
                assert_eq!(authors.len(), text.chars().count());
                let expanded: Vec<Uuid> = authors
                    .runs()
                    .iter()
                    .flat_map(|r| std::iter::repeat_n(r.user, r.len))
                    .collect();
                assert_eq!(expanded, slow, "seed {seed}");
            }
        }
    }
}
