//! Benchmarks for tandem-ot. Run with `bench/ot.sh` (or `cargo bench -p tandem-ot`).
//!
//! Targets: the automerge-paper trace replays in under 100 ms, one keystroke into a
//! 1M-code-point document costs under 5 µs, and transform is at least as fast as the
//! `operational-transform` crate on the same inputs (measured side by side here).

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flate2::read::GzDecoder;
use operational_transform::OperationSeq;
use serde_json::Value;
use tandem_ot::{Component, Document, Operation, compose, transform, transform_against};

struct Trace {
    name: String,
    start: String,
    patches: Vec<(usize, usize, String)>,
}

fn load_traces() -> Vec<Trace> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/editing-traces"
    ));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("editing traces folder beside the repository")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let v: Value =
                serde_json::from_reader(BufReader::new(GzDecoder::new(File::open(p).unwrap())))
                    .unwrap();
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
            let name = p.file_name().unwrap().to_string_lossy();
            Trace {
                name: name.trim_end_matches(".json.gz").to_owned(),
                start: v["startContent"].as_str().unwrap().to_owned(),
                patches,
            }
        })
        .collect()
}

fn replay(c: &mut Criterion) {
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    for trace in load_traces() {
        g.bench_function(BenchmarkId::from_parameter(&trace.name), |b| {
            b.iter(|| {
                let mut doc = Document::from(trace.start.as_str());
                for (pos, del, ins) in &trace.patches {
                    let op = Operation::splice(doc.len_chars(), *pos, *del, ins).unwrap();
                    doc.apply(&op).unwrap();
                }
                black_box(doc.len_chars())
            });
        });
    }
    g.finish();
}

/// Mixed-script text so code point and byte offsets differ, as in real documents.
fn text_of(len: usize) -> String {
    "Lorem ipsum dolor sit amet, 東京 café 🦀 naïve.\n"
        .chars()
        .cycle()
        .take(len)
        .collect()
}

fn keystroke(c: &mut Criterion) {
    let mut g = c.benchmark_group("keystroke");
    for len in [1_000, 100_000, 1_000_000] {
        let text = text_of(len);
        let mid = len / 2;
        // Type a character and backspace it, so the document keeps its size across
        // iterations; each iteration is two keystrokes.
        let typed = Operation::splice(len, mid, 0, "é").unwrap();
        let erased = Operation::splice(len + 1, mid, 1, "").unwrap();
        let mut doc = Document::from(text.as_str());
        g.bench_function(BenchmarkId::new("rope_type_and_backspace", len), |b| {
            b.iter(|| {
                doc.apply(black_box(&typed)).unwrap();
                doc.apply(black_box(&erased)).unwrap();
            });
        });
        // The O(n) string path, for contrast; one keystroke per iteration.
        g.bench_function(BenchmarkId::new("string_type", len), |b| {
            b.iter(|| black_box(typed.apply(black_box(&text)).unwrap()));
        });
    }
    g.finish();
}

/// The same operation in the `operational-transform` crate.
fn to_other(op: &Operation) -> OperationSeq {
    let mut seq = OperationSeq::default();
    for c in op.components() {
        match c {
            Component::Retain(n) => seq.retain(*n as u64),
            Component::Insert(s) => seq.insert(s),
            Component::Delete(n) => seq.delete(*n as u64),
        }
    }
    seq
}

/// Deterministic pseudo-random operation with about `edits` scattered edits.
fn scattered(len: usize, edits: usize, seed: u64) -> Operation {
    let mut x = seed;
    let mut next = |m: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % m
    };
    let mut op = Operation::new();
    let mut rest = len;
    let words = ["a", "the ", "東京", "🦀 ", "café "];
    for _ in 0..edits {
        let keep = next(2 * len / edits.max(1) + 1).min(rest);
        op.retain(keep);
        rest -= keep;
        if next(2) == 0 {
            op.insert(words[next(words.len())]);
        } else {
            let del = next(4).min(rest);
            op.delete(del);
            rest -= del;
        }
    }
    op.retain(rest);
    op
}

fn pairs() -> Vec<(&'static str, Operation, Operation)> {
    let len = 10_000;
    vec![
        (
            "typing",
            Operation::splice(len, 5_000, 0, "h").unwrap(),
            Operation::splice(len, 3_000, 2, "").unwrap(),
        ),
        (
            "paste",
            Operation::splice(len, 1_000, 0, &text_of(500)).unwrap(),
            Operation::splice(len, 1_200, 100, "東京 🦀").unwrap(),
        ),
        ("scattered_20", scattered(len, 20, 1), scattered(len, 20, 2)),
    ]
}

fn transform_and_compose(c: &mut Criterion) {
    let mut g = c.benchmark_group("transform");
    for (name, a, b) in pairs() {
        let (oa, ob) = (to_other(&a), to_other(&b));
        g.bench_function(BenchmarkId::new("tandem-ot", name), |bench| {
            bench.iter(|| transform(black_box(&a), black_box(&b)).unwrap());
        });
        g.bench_function(BenchmarkId::new("operational-transform", name), |bench| {
            bench.iter(|| black_box(&oa).transform(black_box(&ob)).unwrap());
        });
    }
    g.finish();

    let mut g = c.benchmark_group("compose");
    for (name, a, b) in pairs() {
        // Compose `a` with `b` moved past it: a realistic sequential pair.
        let b = transform(&a, &b).unwrap().1;
        let (oa, ob) = (to_other(&a), to_other(&b));
        g.bench_function(BenchmarkId::new("tandem-ot", name), |bench| {
            bench.iter(|| compose(black_box(&a), black_box(&b)).unwrap());
        });
        g.bench_function(BenchmarkId::new("operational-transform", name), |bench| {
            bench.iter(|| black_box(&oa).compose(black_box(&ob)).unwrap());
        });
    }
    g.finish();
}

fn against_history(c: &mut Criterion) {
    let len = 10_000;
    // 100 keystrokes by other users, each on the document the previous one produced.
    let mut history = Vec::new();
    let mut doc_len = len;
    for i in 0..100 {
        let op = Operation::splice(doc_len, (i * 97) % doc_len, 0, "x").unwrap();
        doc_len = op.target_len();
        history.push(op);
    }
    let mine = Operation::splice(len, 4_321, 1, "y").unwrap();
    let other_history: Vec<OperationSeq> = history.iter().map(to_other).collect();
    let other_mine = to_other(&mine);

    let mut g = c.benchmark_group("transform_against_100");
    g.bench_function("tandem-ot", |b| {
        b.iter(|| transform_against(black_box(&mine), black_box(&history)).unwrap());
    });
    g.bench_function("operational-transform", |b| {
        b.iter(|| {
            let mut op = other_mine.clone();
            for h in black_box(&other_history) {
                op = h.transform(&op).unwrap().1;
            }
            op
        });
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = replay, keystroke, transform_and_compose, against_history
}
criterion_main!(benches);
