//! Line diffs between versions: a unified diff for people and tools, and structured hunks
//! for programs.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};
use utoipa::ToSchema;

/// A unified diff of `old` → `new` with 3 lines of context, headed `--- {from}` / `+++ {to}`.
pub fn unified(old: &str, new: &str, from: &str, to: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// One hunk of a diff.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct Hunk {
    /// First line in the old text (1-based).
    pub old_start: usize,
    /// Lines of the old text in the hunk.
    pub old_lines: usize,
    /// First line in the new text (1-based).
    pub new_start: usize,
    /// Lines of the new text in the hunk.
    pub new_lines: usize,
    /// The lines, in order.
    pub lines: Vec<Line>,
}

/// One line of a hunk.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct Line {
    /// `context`, `insert` or `delete`.
    pub kind: &'static str,
    /// The line, without its line break.
    pub text: String,
}

/// The hunks of `old` → `new` with 3 lines of context.
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(3)
        .iter()
        .map(|group| {
            let first = &group[0];
            let last = &group[group.len() - 1];
            let old_range = first.old_range().start..last.old_range().end;
            let new_range = first.new_range().start..last.new_range().end;
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| Line {
                    kind: match change.tag() {
                        ChangeTag::Equal => "context",
                        ChangeTag::Insert => "insert",
                        ChangeTag::Delete => "delete",
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect();
            Hunk {
                old_start: old_range.start + 1,
                old_lines: old_range.len(),
                new_start: new_range.start + 1,
                new_lines: new_range.len(),
                lines,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_one_hunk_with_context() {
        let old = "a\nb\nc\n";
        let new = "a\nB\nc\n";
        let text = unified(old, new, "v1", "v2");
        assert!(text.contains("-b\n+B\n"), "{text}");
        let hunks = hunks(old, new);
        assert_eq!(hunks.len(), 1);
        let kinds: Vec<&str> = hunks[0].lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["context", "delete", "insert", "context"]);
        assert_eq!((hunks[0].old_start, hunks[0].old_lines), (1, 3));
    }

    #[test]
    fn identical_texts_have_no_hunks() {
        assert!(hunks("same\n", "same\n").is_empty());
        assert!(unified("same\n", "same\n", "a", "b").is_empty());
    }
}
