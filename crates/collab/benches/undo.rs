//! Undo and authorship costs, for #13's targets. Run with `bench/undo.sh`.
//!
//! - `undo_through`: an editor's undo after N later ops by someone else: bringing its
//!   stacks up to date through those N ops (the work an undo does when its stacks were last
//!   brought up to date N ops ago), then finding the step. Target: under 10 ms at 10,000.
//! - `authorship`: replaying a real editing trace with and without keeping the run-length
//!   authorship in step (authors alternating every 50 keystrokes), for the cost per op.
//! - `rebuild`: an editor's first undo after it (re)connects: its stacks rebuilt by
//!   replaying 2,000 or 10,000 ops of the log (text, authors, inverses and every stack
//!   step), one in ten by the editor.

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flate2::read::GzDecoder;
use serde_json::Value;
use std::hint::black_box;
use tandem_collab::document::authorship::{Runs, inserted_len};
use tandem_collab::document::core::{Author, Entry, rebuild_stacks};
use tandem_collab::document::undo::{Action, Inverse, Kind, Record, Stacks};
use tandem_ot::{Document, Operation};
use uuid::Uuid;

fn author(n: u128) -> Author {
    Author {
        user_id: Uuid::from_u128(n),
        session_id: Uuid::from_u128(100 + n),
        client_id: Uuid::from_u128(200 + n),
        seq: 0,
    }
}

/// Alice's stacks with `depth` steps, and `later` ops by Bob committed after them.
fn setup(depth: usize, later: usize) -> (Stacks, Vec<Operation>) {
    let alice = author(1);
    let mut text = Document::from("x".repeat(2_000).as_str());
    let mut authors = Runs::uniform(2_000, Uuid::nil());
    let mut stacks = Stacks::new(0, 1_000);
    let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
    for i in 0..depth {
        // Far apart in time: one step each.
        let op =
            Operation::splice(text.len_chars(), (i * 37) % text.len_chars(), 0, "word").unwrap();
        let inverse = Inverse {
            op: text.invert(&op).unwrap(),
            authors: authors
                .apply(&op, &Runs::uniform(4, alice.user_id))
                .unwrap(),
        };
        let record = Record {
            op: &op,
            author: &alice,
            kind: Kind::Edit,
            inverse: Some(&inverse),
            at: t0 + Duration::seconds(10 * i as i64),
        };
        stacks.observe(record, true);
        text.apply(&op).unwrap();
    }
    let mut ops = Vec::with_capacity(later);
    let mut len = text.len_chars();
    for i in 0..later {
        // Bob types and deletes all over the document.
        let at = (i * 7919) % len;
        let op = if i % 3 == 2 {
            Operation::splice(len, at.min(len - 1), 1, "").unwrap()
        } else {
            Operation::splice(len, at, 0, "b").unwrap()
        };
        len = op.target_len();
        ops.push(op);
    }
    (stacks, ops)
}

fn undo_through(c: &mut Criterion) {
    let mut group = c.benchmark_group("undo_through");
    group.sample_size(20);
    let bob = author(2);
    let now = DateTime::<Utc>::MIN_UTC;
    for (depth, later) in [(1, 10), (1, 1_000), (1, 10_000), (10, 10_000), (100, 1_000)] {
        let (stacks, ops) = setup(depth, later);
        let id = format!("depth{depth}/later{later}");
        group.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter(|| {
                let mut stacks = stacks.clone();
                for op in &ops {
                    let record = Record {
                        op,
                        author: &bob,
                        kind: Kind::Edit,
                        inverse: None,
                        at: now,
                    };
                    stacks.observe(record, false);
                }
                black_box(stacks.peek(Action::Undo, now).is_some())
            });
        });
    }
    group.finish();
}

fn trace() -> (String, Vec<(usize, usize, String)>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/editing-traces/automerge-paper.json.gz"
    );
    let file = std::fs::File::open(path).expect("the editing traces beside the repository");
    let v: Value = serde_json::from_reader(GzDecoder::new(file)).unwrap();
    let patches = v["txns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["patches"].as_array().unwrap())
        .map(|p| {
            (
                p[0].as_u64().unwrap() as usize,
                p[1].as_u64().unwrap() as usize,
                p[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (v["startContent"].as_str().unwrap().to_owned(), patches)
}

fn authorship(c: &mut Criterion) {
    let (start, patches) = trace();
    let ops: Vec<Operation> = {
        let mut doc = Document::from(start.as_str());
        patches
            .iter()
            .map(|(pos, del, ins)| doc.splice(*pos, *del, ins).unwrap())
            .collect()
    };
    let mut group = c.benchmark_group("authorship");
    group.sample_size(10);
    group.bench_function("automerge-paper/text", |b| {
        b.iter(|| {
            let mut doc = Document::from(start.as_str());
            for op in &ops {
                doc.apply(op).unwrap();
            }
            black_box(doc.len_chars())
        });
    });
    group.bench_function("automerge-paper/text+authorship", |b| {
        b.iter(|| {
            let mut doc = Document::from(start.as_str());
            let mut authors = Runs::uniform(doc.len_chars(), Uuid::nil());
            for (i, op) in ops.iter().enumerate() {
                doc.apply(op).unwrap();
                let user = Uuid::from_u128(1 + (i / 50 % 2) as u128);
                authors
                    .apply(op, &Runs::uniform(inserted_len(op), user))
                    .unwrap();
            }
            black_box(authors.runs().len())
        });
    });
    group.finish();
}

fn rebuild(c: &mut Criterion) {
    let (alice, bob) = (author(1), author(2));
    let start = "x".repeat(2_000);
    let mut len = start.chars().count();
    let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
    let entries: Vec<Entry> = (0..10_000u64)
        .map(|i| {
            let n = i as usize;
            // Alice types a word every 10th op, Bob types and deletes all over.
            let (who, op) = if n.is_multiple_of(10) {
                (
                    alice,
                    Operation::splice(len, (n * 37) % len, 0, "word").unwrap(),
                )
            } else if n % 3 == 2 {
                (
                    bob,
                    Operation::splice(len, (n * 7919) % (len - 1), 1, "").unwrap(),
                )
            } else {
                (
                    bob,
                    Operation::splice(len, (n * 7919) % len, 0, "b").unwrap(),
                )
            };
            len = op.target_len();
            Entry {
                revision: i + 1,
                op,
                author: who,
                selection: None,
                committed_at: t0 + Duration::seconds(2 * i as i64),
                kind: Kind::Edit,
                restores: None,
            }
        })
        .collect();
    let mut group = c.benchmark_group("rebuild");
    group.sample_size(10);
    for ops in [2_000, 10_000] {
        group.bench_function(format!("{ops}_ops/depth100"), |b| {
            b.iter(|| {
                let authors = Runs::uniform(2_000, Uuid::nil());
                let stacks = rebuild_stacks(
                    (alice.user_id, alice.client_id),
                    (0, &start, authors),
                    &entries[..ops],
                    100,
                )
                .unwrap();
                black_box(stacks.depths())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, undo_through, authorship, rebuild);
criterion_main!(benches);
