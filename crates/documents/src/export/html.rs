//! A standalone HTML page, sanitized so that nothing from the content can run script.

use crate::nesting::{self, FlattenBeyond, MAX_HTML_DEPTH, MAX_MARKDOWN_DEPTH};
use pulldown_cmark::{Event, Options, Parser};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders Markdown as a complete page. Two layers keep script out: ammonia removes every
/// element, attribute and URL scheme that could run code, and the page's own CSP forbids
/// scripts should anything slip through.
pub fn render(title: &str, markdown: &str) -> String {
    let mut body = body(markdown, RawHtml::Keep);
    // Markdown's own nesting is flattened, but raw HTML inside it can nest without end,
    // and the sanitizer's parser costs O(depth) per tag. Such a document is rendered with
    // its raw HTML shown as text instead.
    if nesting::parse_html(&body, MAX_HTML_DEPTH).is_err() {
        body = self::body(markdown, RawHtml::AsText);
    }
    let clean = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&body)
        .to_string();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src https: data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.6 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}\n\
         pre {{ background: #f5f5f5; padding: .75rem; overflow-x: auto; }}\n\
         code {{ font-family: ui-monospace, monospace; }}\n\
         blockquote {{ border-left: 4px solid #ddd; margin-left: 0; padding-left: 1rem; color: #555; }}\n\
         table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .25rem .5rem; }}\n\
         img {{ max-width: 100%; }}\n\
         @media print {{\n\
         body {{ max-width: none; margin: 0; font-size: 11pt; color: #000; }}\n\
         a {{ color: inherit; }} a[href^=\"http\"]::after {{ content: \" (\" attr(href) \")\"; font-size: 90%; }}\n\
         pre {{ white-space: pre-wrap; word-break: break-word; }}\n\
         h1, h2, h3, h4, h5, h6 {{ break-after: avoid; }} pre, blockquote, tr, img {{ break-inside: avoid; }}\n\
         thead {{ display: table-header-group; }}\n\
         }}\n\
         </style>\n</head>\n<body>\n<main>\n<h1 class=\"document-title\">{title}</h1>\n{clean}</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RawHtml {
    Keep,
    AsText,
}

fn body(markdown: &str, raw: RawHtml) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events =
        FlattenBeyond::new(Parser::new_ext(markdown, options), MAX_MARKDOWN_DEPTH).map(|event| {
            match event {
                Event::Html(html) | Event::InlineHtml(html) if raw == RawHtml::AsText => {
                    Event::Text(html)
                }
                event => event,
            }
        });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events);
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let page = super::render(
            "<b>T</b>",
            "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n**bold** café",
        );
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("onerror"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(page.contains("<title>&lt;b&gt;T&lt;/b&gt;</title>"));
        assert!(page.contains("<strong>bold</strong> café"));
    }

    #[test]
    fn raw_html_nested_beyond_the_limit_is_shown_as_text() {
        let markdown = format!("{}deep{}", "<div>".repeat(5_000), "</div>".repeat(5_000));
        let page = super::render("T", &markdown);
        assert!(page.contains("&lt;div&gt;"));
        assert!(page.contains("deep"));
    }
}
