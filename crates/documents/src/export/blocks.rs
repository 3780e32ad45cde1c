//! Markdown parsed into a small block model that the DOCX and PDF writers share:
//! paragraphs of styled runs, and table rows. What it does not model (images, footnotes)
//! is kept as plain text, so no content is lost, only formatting. Nesting beyond
//! [`crate::nesting::MAX_MARKDOWN_DEPTH`] is flattened the same way.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// What kind of paragraph a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Body text.
    Paragraph,
    /// A heading, level 1–6.
    Heading(u8),
    /// A list item at `depth` (0 = top level); `number` is `Some(n)` in ordered lists.
    Item {
        /// Nesting depth.
        depth: u8,
        /// The item's number in an ordered list.
        number: Option<u64>,
    },
    /// A fenced or indented code block: one block per line.
    Code,
    /// A block quote.
    Quote,
    /// A table row (consecutive rows are one table): its cells' runs, each cell ended by
    /// a [`CELL_END`] run.
    Row {
        /// The header row.
        header: bool,
    },
}

/// The text of the run that ends each cell of a [`Kind::Row`].
pub const CELL_END: &str = "\t";

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// The text.
    pub text: String,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Inline code.
    pub code: bool,
    /// The link target, when the run is link text.
    pub link: Option<String>,
    /// The image's URL, when the run is an image's `[image: url]` note (its alt text
    /// follows in runs marked `alt`).
    pub image: Option<String>,
    /// Part of an image's alt text.
    pub alt: bool,
}

/// A paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Its kind.
    pub kind: Kind,
    /// Its runs. A `"\n"` run is a line break.
    pub runs: Vec<Run>,
}

impl Block {
    /// The block's text without styling.
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    /// A row's cells, each its runs.
    pub fn cells(&self) -> Vec<&[Run]> {
        let mut cells = Vec::new();
        let mut start = 0;
        for (i, run) in self.runs.iter().enumerate() {
            if run.text == CELL_END {
                cells.push(&self.runs[start..i]);
                start = i + 1;
            }
        }
        if start < self.runs.len() {
            cells.push(&self.runs[start..]);
        }
        cells
    }
}

/// The number of columns of a table made of `rows`: its widest row's, at least one.
pub fn columns(rows: &[Block]) -> usize {
    rows.iter()
        .map(|r| r.cells().len())
        .max()
        .unwrap_or(1)
        .max(1)
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    current: Option<Block>,
    bold: u32,
    italic: u32,
    link: Option<String>,
    in_image: bool,
    lists: Vec<Option<u64>>,
    quote: u32,
    in_code: bool,
    /// Inside a raw `<script>` or `<style>` element, which may span several HTML events.
    in_script: bool,
}

impl Builder {
    fn open(&mut self, kind: Kind) {
        self.close();
        self.current = Some(Block {
            kind,
            runs: Vec::new(),
        });
    }

    fn close(&mut self) {
        if let Some(block) = self
            .current
            .take()
            .filter(|b| !b.runs.is_empty() || matches!(b.kind, Kind::Code | Kind::Row { .. }))
        {
            self.blocks.push(block);
        }
    }

    fn push(&mut self, text: &str, code: bool) {
        if self.current.is_none() {
            let kind = if self.quote > 0 {
                Kind::Quote
            } else {
                Kind::Paragraph
            };
            self.current = Some(Block {
                kind,
                runs: Vec::new(),
            });
        }
        let run = Run {
            text: text.to_owned(),
            bold: self.bold > 0,
            italic: self.italic > 0,
            code,
            link: self.link.clone(),
            image: None,
            alt: self.in_image,
        };
        if let Some(block) = self.current.as_mut() {
            block.runs.push(run);
        }
    }

    fn code_text(&mut self, text: &str) {
        // One block per line keeps page breaking and DOCX paragraphs simple.
        let mut lines = text.split('\n').peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_none() && line.is_empty() {
                break;
            }
            self.blocks.push(Block {
                kind: Kind::Code,
                runs: vec![Run {
                    text: line.to_owned(),
                    code: true,
                    ..Run::default()
                }],
            });
        }
    }
}

/// Parses Markdown into blocks.
pub fn parse(markdown: &str) -> Vec<Block> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut b = Builder::default();
    let events = crate::nesting::FlattenBeyond::new(
        Parser::new_ext(markdown, options),
        crate::nesting::MAX_MARKDOWN_DEPTH,
    );
    for event in events {
        match event {
            Event::Start(Tag::Heading { level, .. }) => b.open(Kind::Heading(heading(level))),
            Event::Start(Tag::Paragraph) => {
                // The first paragraph of a list item continues the item's block.
                let continues_item = b
                    .current
                    .as_ref()
                    .is_some_and(|c| matches!(c.kind, Kind::Item { .. }) && c.runs.is_empty());
                if !continues_item {
                    b.open(if b.quote > 0 {
                        Kind::Quote
                    } else {
                        Kind::Paragraph
                    });
                }
            }
            Event::Start(Tag::List(start)) => {
                b.close();
                b.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                b.close();
                b.lists.pop();
            }
            Event::Start(Tag::Item) => {
                let depth = u8::try_from(b.lists.len().saturating_sub(1)).unwrap_or(u8::MAX);
                let number = b.lists.last_mut().and_then(|n| {
                    let current = *n;
                    if let Some(v) = n.as_mut() {
                        *v += 1;
                    }
                    current
                });
                b.open(Kind::Item { depth, number });
            }
            Event::Start(Tag::CodeBlock(_)) => {
                b.close();
                b.in_code = true;
            }
            Event::End(TagEnd::CodeBlock) => b.in_code = false,
            Event::Start(Tag::BlockQuote(_)) => {
                b.close();
                b.quote += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                b.close();
                b.quote = b.quote.saturating_sub(1);
            }
            Event::Start(Tag::Strong) => b.bold += 1,
            Event::End(TagEnd::Strong) => b.bold = b.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => b.italic += 1,
            Event::End(TagEnd::Emphasis) => b.italic = b.italic.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => b.link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => b.link = None,
            Event::Start(Tag::Image { dest_url, .. }) => {
                b.push(&format!("[image: {dest_url}] "), false);
                if let Some(run) = b.current.as_mut().and_then(|c| c.runs.last_mut()) {
                    run.image = Some(dest_url.to_string());
                }
                b.in_image = true;
            }
            Event::End(TagEnd::Image) => b.in_image = false,
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => b.close(),
            Event::Start(Tag::Table(_)) => b.close(),
            Event::Start(Tag::TableHead) => b.open(Kind::Row { header: true }),
            Event::Start(Tag::TableRow) => b.open(Kind::Row { header: false }),
            Event::End(TagEnd::TableCell) => {
                let run = Run {
                    text: CELL_END.into(),
                    ..Run::default()
                };
                if let Some(block) = b.current.as_mut() {
                    block.runs.push(run);
                }
            }
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => b.close(),
            Event::Text(text) if b.in_code => b.code_text(&text),
            Event::Text(text) => b.push(&text, false),
            Event::Code(text) => b.push(&text, true),
            Event::SoftBreak => b.push(" ", false),
            Event::HardBreak => b.push("\n", false),
            Event::Rule => {
                b.close();
                b.blocks.push(Block {
                    kind: Kind::Paragraph,
                    runs: vec![Run {
                        text: "* * *".into(),
                        ..Run::default()
                    }],
                });
            }
            Event::TaskListMarker(done) => b.push(if done { "[x] " } else { "[ ] " }, false),
            Event::Html(html) | Event::InlineHtml(html) => {
                let text = strip_tags(&html, &mut b.in_script);
                if !text.trim().is_empty() {
                    b.push(&text, false);
                }
            }
            Event::FootnoteReference(name) => b.push(&format!("[{name}]"), false),
            _ => {}
        }
    }
    b.close();
    b.blocks
}

fn heading(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Raw HTML in Markdown is exported as its text only: no markup, and nothing from inside
/// `<script>` or `<style>` (the HTML export drops those too). `in_script` carries across
/// calls because one element can arrive as several events.
fn strip_tags(html: &str, in_script: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(start) = rest.find('<') else {
            if !*in_script {
                out.push_str(rest);
            }
            break;
        };
        if !*in_script {
            out.push_str(&rest[..start]);
        }
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = rest[start..tag_end].to_ascii_lowercase();
        if tag.starts_with("<script") || tag.starts_with("<style") {
            *in_script = true;
        } else if tag.starts_with("</script") || tag.starts_with("</style") {
            *in_script = false;
        }
        rest = &rest[tag_end..];
    }
    out.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_code_and_styles_become_blocks() {
        let blocks = parse(
            "# Title\n\nSome **bold** and *it* [link](https://x.io).\n\n- a\n- b\n  1. one\n\n```\nfn x() {}\nlet y;\n```\n",
        );
        let kinds: Vec<Kind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Heading(1),
                Kind::Paragraph,
                Kind::Item {
                    depth: 0,
                    number: None
                },
                Kind::Item {
                    depth: 0,
                    number: None
                },
                Kind::Item {
                    depth: 1,
                    number: Some(1)
                },
                Kind::Code,
                Kind::Code,
            ]
        );
        let para = &blocks[1];
        assert!(para.runs.iter().any(|r| r.bold && r.text == "bold"));
        assert!(para.runs.iter().any(|r| r.italic && r.text == "it"));
        assert!(
            para.runs
                .iter()
                .any(|r| r.link.as_deref() == Some("https://x.io"))
        );
        assert_eq!(blocks[6].text(), "let y;");
    }

    #[test]
    fn raw_html_keeps_only_its_text() {
        let blocks = parse(
            "<script>alert(1)</script>\n\nhi <b>there</b>\n\n<style>\np { color: red }\n</style>\n",
        );
        let all: String = blocks.iter().map(Block::text).collect();
        assert!(!all.contains('<'), "{all}");
        assert!(!all.contains("alert") && !all.contains("color"), "{all}");
        assert!(all.contains("there"));
    }
}
