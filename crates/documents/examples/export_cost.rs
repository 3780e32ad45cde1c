//! The cost of one export: `cargo run --release -p tandem-documents --example export_cost --
//! <md|txt|html|docx|pdf> <kilobytes>` renders a generated Markdown document of about that
//! size (headings, paragraphs with emphasis, links and code, nested lists, tables, code
//! blocks, in several scripts) five times and prints the median time and the process's
//! peak resident memory. One format and size per process, so the peak is that export's.
//! `bench/export.sh` runs the matrix the Document Service issue asks for.

use std::time::{Duration, Instant};
use tandem_documents::export::{self, Format, images::Images};

/// A Markdown document of at least `bytes` bytes.
fn document(bytes: usize) -> String {
    let words = [
        "collaborative",
        "editing",
        "**bold**",
        "*italic*",
        "`code`",
        "Ελληνικά",
        "русский",
        "日本語",
        "[a link](https://example.com/page)",
        "tandem",
        "document",
        "café",
    ];
    let mut out = String::from("# A generated document\n\n");
    let mut n = 0usize;
    while out.len() < bytes {
        n += 1;
        out.push_str(&format!("## Section {n}\n\n"));
        for p in 0..4 {
            let sentence: Vec<&str> = (0..60)
                .map(|i| words[(i * 7 + p + n) % words.len()])
                .collect();
            out.push_str(&sentence.join(" "));
            out.push_str(".\n\n");
        }
        out.push_str("- first point\n- second point\n  - a nested one\n\n1. one\n2. two\n\n");
        out.push_str("| key | value | note |\n| --- | --- | --- |\n| α | 1 | fine |\n| β | 2 | also fine |\n\n");
        out.push_str("```\nfn main() {\n    println!(\"hello\");\n}\n```\n\n> A quotation to close the section.\n\n");
    }
    out
}

/// The process's peak resident set, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let format: Format = serde_json::from_value(serde_json::Value::String(
        args.next().unwrap_or_else(|| "pdf".into()),
    ))?;
    let kib: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let markdown = document(kib * 1024);
    let fonts = tandem_documents::export::pdf::Fonts::new(vec!["/usr/share/fonts".into()]);
    // Finding the fonts happens once per process, before the first PDF: not measured.
    fonts.get();
    let before = peak_rss_kib();
    let mut times: Vec<Duration> = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let bytes = export::render(format, "Generated", &markdown, &Images::none(), &fonts)?;
        times.push(start.elapsed());
        size = bytes.len();
    }
    times.sort();
    println!(
        "{:?} {} KiB of Markdown -> {} KiB: median {:.1} ms (min {:.1}, max {:.1}); peak RSS {} MiB ({} MiB before rendering)",
        format,
        markdown.len() / 1024,
        size / 1024,
        times[2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[4].as_secs_f64() * 1000.0,
        peak_rss_kib() / 1024,
        before / 1024,
    );
    Ok(())
}
