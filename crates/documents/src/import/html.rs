//! HTML → Markdown, through a depth-bounded parse.

use super::ImportError;
use crate::nesting::{self, MAX_HTML_DEPTH};

/// Converts an HTML page to Markdown, dropping scripts, styles and embedded objects.
///
/// htmd walks the tree recursively, so the tree is parsed here with a bound on its depth
/// (a file nested deeper is refused) and handed to htmd already built.
pub(super) fn to_markdown(source: &str) -> Result<String, ImportError> {
    let too_deep = |e: nesting::TooDeep| {
        ImportError::TooLarge(format!(
            "the HTML is too deeply nested: {e}, and tandem imports at most {MAX_HTML_DEPTH}"
        ))
    };
    // The depth is bounded before anything walks the tree (the sanitizer too).
    nesting::parse_html(source, MAX_HTML_DEPTH).map_err(too_deep)?;
    // What the document keeps is what the HTML export would show: no event handlers, no
    // `javascript:` or other script URLs, no frames, no script or style text.
    let clean = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean_content_tags(
            [
                "script", "style", "title", "noscript", "template", "textarea",
            ]
            .into_iter()
            .collect(),
        )
        .clean(source)
        .to_string();
    let dom = nesting::parse_html(&clean, MAX_HTML_DEPTH).map_err(too_deep)?;
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec![
            "script", "style", "noscript", "iframe", "object", "embed", "head",
        ])
        .build();
    Ok(converter.tree_to_markdown(&dom.document).trim().to_owned() + "\n")
}

/// The title an HTML file names in `<title>`, if any.
pub fn title(source: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(source).ok()?;
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = lower[start..].find("</title>")? + start;
    let title = text[start..end].trim();
    (!title.is_empty()).then(|| title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_loses_scripts_and_styles_and_keeps_structure() {
        let md = to_markdown(
            "<html><head><title>T</title><style>p{}</style></head><body><h1>Hi</h1><script>alert(1)</script><p>A <b>bold</b> move</p><ul><li>one</li></ul></body></html>",
        )
        .unwrap();
        assert!(md.contains("# Hi"), "{md}");
        assert!(md.contains("**bold**"), "{md}");
        assert!(!md.contains("alert"), "{md}");
        assert!(!md.contains("p{}"), "{md}");
        assert_eq!(title(b"<title> Notes </title>").as_deref(), Some("Notes"));
    }

    #[test]
    fn html_at_the_depth_limit_converts_and_deeper_html_is_refused() {
        // html and body sit above the first div.
        let at_limit = MAX_HTML_DEPTH - 2;
        let page =
            |levels: usize| format!("{}deep{}", "<div>".repeat(levels), "</div>".repeat(levels));
        // htmd recurses per level; at the limit it must still fit in a converter thread's
        // stack, which this test thread's (smaller) stack stands in for.
        let md = std::thread::Builder::new()
            .stack_size(crate::convert::STACK_BYTES)
            .spawn(move || to_markdown(&page(at_limit)))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(md.trim(), "deep");
        let refused = to_markdown(&page(20_000)).unwrap_err();
        assert!(
            matches!(&refused, ImportError::TooLarge(m) if m.contains("256")),
            "{refused}"
        );
    }
}
