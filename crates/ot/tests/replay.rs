//! Replays real editing traces (josephg/editing-traces) through the rope document and checks
//! the final text. See `shared/data/editing-traces/README.md` for the format.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;
use tandem_ot::{Document, Operation};

/// `shared/` sits beside the repository, here and in CI, so go up from the crate.
fn traces_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/editing-traces"
    ))
    .to_path_buf()
}

fn replay(path: &Path) -> usize {
    let trace: Value = serde_json::from_reader(BufReader::new(GzDecoder::new(
        File::open(path).expect("open trace"),
    )))
    .expect("parse trace");
    let mut doc = Document::from(trace["startContent"].as_str().expect("startContent"));
    let mut edits = 0;
    for txn in trace["txns"].as_array().expect("txns") {
        for patch in txn["patches"].as_array().expect("patches") {
            let pos = patch[0].as_u64().expect("position") as usize;
            let del = patch[1].as_u64().expect("deleted") as usize;
            let ins = patch[2].as_str().expect("inserted");
            let op = Operation::splice(doc.len_chars(), pos, del, ins).expect("patch in range");
            doc.apply(&op).expect("apply");
            edits += 1;
        }
    }
    assert!(
        doc == trace["endContent"].as_str().expect("endContent"),
        "{} did not replay to endContent",
        path.display()
    );
    edits
}

#[test]
fn replays_every_trace() {
    let dir = traces_dir();
    let mut traces: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    traces.sort();
    assert!(!traces.is_empty(), "no traces in {}", dir.display());
    for path in &traces {
        let edits = replay(path);
        assert!(edits > 0, "{} has no patches", path.display());
    }
}
