//! Plain text: the Markdown's words without its markup.

use super::blocks::{Kind, parse};

/// Renders Markdown as plain text: a blank line between paragraphs, `- ` and `1. ` before
/// list items, code blocks indented by four spaces.
pub fn render(markdown: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<Kind> = None;
    for block in parse(markdown) {
        let tight = matches!(
            (previous, block.kind),
            (Some(Kind::Item { .. }), Kind::Item { .. })
                | (Some(Kind::Code), Kind::Code)
                | (Some(Kind::Row { .. }), Kind::Row { .. })
        );
        if previous.is_some() {
            out.push_str(if tight { "\n" } else { "\n\n" });
        }
        match block.kind {
            Kind::Item { depth, number } => {
                out.push_str(&"  ".repeat(usize::from(depth)));
                match number {
                    Some(n) => out.push_str(&format!("{n}. ")),
                    None => out.push_str("- "),
                }
            }
            Kind::Code => out.push_str("    "),
            Kind::Quote => out.push_str("> "),
            _ => {}
        }
        if let Kind::Row { .. } = block.kind {
            // A table as lines of tab-separated cells.
            let cells: Vec<String> = block
                .cells()
                .iter()
                .map(|runs| runs.iter().map(|r| r.text.as_str()).collect())
                .collect();
            out.push_str(&cells.join("\t"));
        } else {
            out.push_str(&block.text());
        }
        previous = Some(block.kind);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_goes_and_structure_stays() {
        let text = super::render(
            "# Title\n\nSome **bold** [link](https://x.io).\n\n- a\n- b\n\n```\ncode\n```\n",
        );
        assert_eq!(text, "Title\n\nSome bold link.\n\n- a\n- b\n\n    code\n");
    }
}
