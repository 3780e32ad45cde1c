//! The block model written as Typst markup.
//!
//! Every piece of the document's text goes into the markup as a Typst string literal
//! (`#"…"`), never as markup, so nothing a writer types can be read as Typst code: the
//! only escapes a string needs are `\` and `"`. Styles, links, lists and tables are
//! function calls built here around those literals.

use super::super::blocks::{Block, Kind, Run};
use super::super::images::Images;

/// The fonts tried in order for body text; any other installed font covering a
/// character is used after these (Typst's fallback). Noto first: it covers Latin, Greek
/// and Cyrillic in one face, with CJK, Arabic and Hebrew faces of the same design.
const TEXT_FONTS: &str = "\"Noto Sans\", \"Noto Sans CJK SC\", \"Noto Sans Arabic\", \
\"Noto Sans Hebrew\", \"Noto Sans Symbols\", \"Noto Sans Symbols 2\", \"DejaVu Sans\", \
\"Noto Color Emoji\", \"Symbola\"";

/// The fonts for code, with the text fonts behind them for scripts a monospaced face
/// lacks.
const CODE_FONTS: &str = "\"Noto Sans Mono\", \"DejaVu Sans Mono\", \"Noto Sans Mono CJK SC\"";

/// An image the markup shows, served to Typst as a file.
pub struct EmbeddedImage {
    /// The path the markup names it by (`/images/<n>.<ext>`).
    pub path: String,
    /// Its bytes.
    pub bytes: bytes::Bytes,
}

/// The markup and the images it shows.
pub struct Markup {
    /// The Typst source.
    pub source: String,
    /// The images it names.
    pub images: Vec<EmbeddedImage>,
}

/// Writes `blocks`, titled `title`, as Typst markup. Characters no font covers
/// (`missing`) are written as their code point in a visible box rather than left to
/// become an empty box or a `?`.
pub fn write(
    title: &str,
    blocks: &[Block],
    images: &Images,
    embed_images: bool,
    missing: &dyn Fn(char) -> bool,
) -> Markup {
    let mut w = Writer {
        out: String::with_capacity(blocks.len() * 64 + 2048),
        images,
        embed_images,
        embedded: Vec::new(),
        missing,
    };
    w.preamble(title);
    let mut i = 0;
    while i < blocks.len() {
        let kind = blocks[i].kind;
        let end = i
            + 1
            + blocks[i + 1..]
                .iter()
                .take_while(|b| same_group(b.kind, kind))
                .count();
        let group = &blocks[i..end];
        match kind {
            Kind::Code => w.code(group),
            Kind::Row { .. } => w.table(group),
            Kind::Item { .. } => w.list(group),
            Kind::Heading(level) => w.heading(level, &group[0]),
            Kind::Quote => w.quote(&group[0]),
            Kind::Paragraph => w.paragraph(&group[0]),
        }
        i = end;
    }
    Markup {
        source: w.out,
        images: w.embedded,
    }
}

/// Whether a block of kind `next` continues a group that began with `first`: code lines
/// make one code block, rows one table, items one list.
fn same_group(next: Kind, first: Kind) -> bool {
    matches!(
        (first, next),
        (Kind::Code, Kind::Code)
            | (Kind::Row { .. }, Kind::Row { header: false })
            | (Kind::Item { .. }, Kind::Item { .. })
    )
}

struct Writer<'a> {
    out: String,
    images: &'a Images,
    embed_images: bool,
    embedded: Vec<EmbeddedImage>,
    missing: &'a dyn Fn(char) -> bool,
}

impl Writer<'_> {
    fn preamble(&mut self, title: &str) {
        self.out.push_str("#set document(title: ");
        string(&mut self.out, title);
        self.out.push_str(")\n");
        self.out.push_str(concat!(
            "#set page(paper: \"a4\", margin: (x: 2cm, y: 2.2cm), numbering: \"1 / 1\")\n",
            "#set par(leading: 0.6em, spacing: 0.9em)\n",
            "#set heading(numbering: none)\n",
            "#show link: underline\n",
            "#show link: set text(fill: rgb(\"#1d4ed8\"))\n",
            "#set table(stroke: 0.5pt + luma(110), inset: 5pt)\n",
            "#show raw.where(block: true): block.with(fill: luma(245), inset: 6pt, \
             radius: 2pt, width: 100%)\n",
            "#show quote.where(block: true): block.with(stroke: (left: 2pt + luma(170)), \
             inset: (left: 10pt, y: 2pt))\n",
            // An image is shown at its natural size, or the column's width if it is wider.
            "#let img(path) = layout(size => { let i = image(path); \
             if measure(i).width > size.width { image(path, width: size.width) } else { i } })\n",
            // A character no installed font has: its code point, boxed, so it is seen.
            "#let missing(cp) = box(stroke: 0.5pt + red, inset: (x: 1pt), outset: (y: 2pt), \
             text(font: \"DejaVu Sans Mono\", size: 0.8em, cp))\n",
        ));
        self.out
            .push_str(&format!("#set text(font: ({TEXT_FONTS}), size: 10.5pt)\n"));
        self.out.push_str(&format!(
            "#show raw: set text(font: ({CODE_FONTS}, {TEXT_FONTS}), size: 9pt)\n"
        ));
        self.out
            .push_str("#block(below: 1.2em, text(size: 20pt, weight: \"bold\")[");
        self.inline_text(title);
        self.out.push_str("])\n\n");
    }

    fn heading(&mut self, level: u8, block: &Block) {
        self.out
            .push_str(&format!("#heading(level: {})[", level.clamp(1, 6)));
        self.directed(&block.runs);
        self.out.push_str("]\n\n");
    }

    fn paragraph(&mut self, block: &Block) {
        // A content block, so a direction set inside covers exactly this paragraph.
        self.out.push_str("#[");
        self.directed(&block.runs);
        self.out.push_str("]\n\n");
    }

    fn quote(&mut self, block: &Block) {
        self.out.push_str("#quote(block: true)[");
        self.directed(&block.runs);
        self.out.push_str("]\n\n");
    }

    /// Code lines as one raw block: monospaced, whitespace kept, never reflowed.
    fn code(&mut self, lines: &[Block]) {
        let text = lines.iter().map(Block::text).collect::<Vec<_>>().join("\n");
        self.out.push_str("#raw(block: true, ");
        self.string_without_missing(&text);
        self.out.push_str(")\n\n");
    }

    /// Items as nested lists. A Typst list nests by indentation; an item deeper than
    /// the one before it by more than one level is brought up to one level deeper, so
    /// the markup stays well formed whatever the Markdown did.
    fn list(&mut self, items: &[Block]) {
        let mut depth_of_previous: Option<usize> = None;
        for item in items {
            let Kind::Item { depth, number } = item.kind else {
                continue;
            };
            let depth = usize::from(depth).min(depth_of_previous.map_or(0, |d| d + 1));
            depth_of_previous = Some(depth);
            self.out.push_str(&"  ".repeat(depth));
            match number {
                Some(n) => self.out.push_str(&format!("{n}. ")),
                None => self.out.push_str("- "),
            }
            self.runs(&item.runs);
            self.out.push('\n');
        }
        self.out.push('\n');
    }

    /// Rows as a table with a grid; every row padded to the widest.
    fn table(&mut self, rows: &[Block]) {
        let columns = super::super::blocks::columns(rows);
        self.out.push_str(&format!("#table(columns: {columns},\n"));
        for row in rows {
            let header = matches!(row.kind, Kind::Row { header: true });
            if header {
                self.out.push_str("table.header(");
            }
            let cells = row.cells();
            for c in 0..columns {
                self.out.push('[');
                if let Some(cell) = cells.get(c) {
                    if header {
                        self.out.push_str("#strong[");
                    }
                    self.directed(cell);
                    if header {
                        self.out.push(']');
                    }
                }
                self.out.push_str("], ");
            }
            if header {
                self.out.push_str("),");
            }
            self.out.push('\n');
        }
        self.out.push_str(")\n\n");
    }

    /// Runs, right to left when their first strong character is (as HTML's `dir=auto`).
    fn directed(&mut self, runs: &[Run]) {
        if starts_right_to_left(runs) {
            self.out.push_str("#set text(dir: rtl)\n");
        }
        self.runs(runs);
    }

    fn runs(&mut self, runs: &[Run]) {
        let mut skipping_alt = false;
        for run in runs {
            if run.alt && skipping_alt {
                continue;
            }
            skipping_alt = false;
            if let Some(path) = run.image.as_deref().and_then(|url| self.embed(url)) {
                self.out.push_str("#img(");
                string(&mut self.out, &path);
                self.out.push(')');
                skipping_alt = true;
                continue;
            }
            self.run(run);
        }
    }

    /// The path an embedded image is shown by, if `url` is one of the document's own.
    /// Remote images are never fetched: they stay their `[image: url]` note.
    fn embed(&mut self, url: &str) -> Option<String> {
        if !self.embed_images {
            return None;
        }
        let image = self.images.get(url)?;
        let extension = match image.content_type.as_str() {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            "image/webp" => "webp",
            _ => return None,
        };
        let path = format!("/images/{}.{extension}", self.embedded.len());
        self.embedded.push(EmbeddedImage {
            path: path.clone(),
            bytes: image.bytes.clone(),
        });
        Some(path)
    }

    fn run(&mut self, run: &Run) {
        if run.text == "\n" {
            self.out.push_str("#linebreak()");
            return;
        }
        let link = run.link.as_deref().filter(|url| linkable(url));
        let mut closers = 0;
        if let Some(url) = link {
            self.out.push_str("#link(");
            string(&mut self.out, url);
            self.out.push_str(")[");
            closers += 1;
        }
        if run.bold {
            self.out.push_str("#strong[");
            closers += 1;
        }
        if run.italic {
            self.out.push_str("#emph[");
            closers += 1;
        }
        if run.code {
            self.out.push_str("#raw(");
            self.string_without_missing(&run.text);
            self.out.push(')');
        } else {
            self.inline_text(&run.text);
        }
        for _ in 0..closers {
            self.out.push(']');
        }
    }

    /// Text as string literals, with each character no font has written as its boxed
    /// code point between them.
    fn inline_text(&mut self, text: &str) {
        let mut start = 0;
        for (at, c) in text.char_indices() {
            if (self.missing)(c) {
                if start < at {
                    self.out.push('#');
                    string(&mut self.out, &text[start..at]);
                }
                self.out
                    .push_str(&format!("#missing(\"U+{:04X}\")", u32::from(c)));
                start = at + c.len_utf8();
            }
        }
        if start < text.len() || text.is_empty() {
            self.out.push('#');
            string(&mut self.out, &text[start..]);
        }
    }

    /// A string argument (code), with missing characters replaced by their code point
    /// in the text itself: a raw block cannot hold boxes.
    fn string_without_missing(&mut self, text: &str) {
        if text.chars().any(|c| (self.missing)(c)) {
            let replaced: String = text
                .chars()
                .map(|c| {
                    if (self.missing)(c) {
                        format!("<U+{:04X}>", u32::from(c))
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            string(&mut self.out, &replaced);
        } else {
            string(&mut self.out, text);
        }
    }
}

/// Writes `text` as a Typst string literal.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Links a PDF reader may follow: web, mail, and in-document anchors. Anything else
/// (`javascript:`, `file:`, a relative path that means nothing outside tandem) stays
/// plain text.
fn linkable(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// Whether the first strongly directional character of `runs` is right to left.
fn starts_right_to_left(runs: &[Run]) -> bool {
    runs.iter()
        .flat_map(|r| r.text.chars())
        .find_map(|c| {
            if is_right_to_left(c) {
                Some(true)
            } else if c.is_alphabetic() {
                Some(false)
            } else {
                None
            }
        })
        .unwrap_or(false)
}

/// Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and their presentation forms.
fn is_right_to_left(c: char) -> bool {
    matches!(u32::from(c), 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

#[cfg(test)]
mod tests {
    use super::super::super::blocks::parse;
    use super::*;

    fn markup(md: &str) -> String {
        write("T", &parse(md), &Images::none(), true, &|_| false).source
    }

    #[test]
    fn text_is_always_a_string_literal_so_typst_syntax_in_it_is_inert() {
        let source =
            markup("#set page(width: 1pt) \\ \" $x$ **y** `#z` [a](javascript:alert(1))\n");
        let body = source.rsplit_once("\n#[").unwrap().1;
        let code = outside_strings(body);
        assert!(!code.contains("page") && !code.contains('$'), "{code}");
        assert!(body.contains("#strong[#\"y\"]"), "{body}");
        assert!(body.contains("#raw(\"#z\")"), "{body}");
        assert!(
            !body.contains("#link("),
            "javascript: is not linked: {body}"
        );
    }

    /// `source` with every string literal's contents removed.
    fn outside_strings(source: &str) -> String {
        let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
        for c in source.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => in_string = false,
                (true, false, _) => {}
                (false, _, '"') => in_string = true,
                (false, _, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn lists_nest_tables_pad_rows_and_code_lines_join() {
        let source = markup(
            "- a\n    - b\n        - c\n1. one\n\n| k | v |\n|---|---|\n| 1 |\n\n```\nx\n  y\n```\n",
        );
        assert!(
            source.contains("- #\"a\"\n  - #\"b\"\n    - #\"c\"\n"),
            "{source}"
        );
        assert!(source.contains("1. #\"one\""), "{source}");
        assert!(
            source.contains("#table(columns: 2,\ntable.header([#strong[#\"k\"]], [#strong[#\"v\"]], ),\n[#\"1\"], [], \n)"),
            "{source}"
        );
        assert!(
            source.contains("#raw(block: true, \"x\\n  y\")"),
            "{source}"
        );
    }

    #[test]
    fn right_to_left_paragraphs_are_marked_and_missing_characters_boxed() {
        let source = write(
            "T",
            &parse("שלום world\n\nhello \u{10FFFD} there\n"),
            &Images::none(),
            true,
            &|c| c == '\u{10FFFD}',
        )
        .source;
        assert!(
            source.contains("#[#set text(dir: rtl)\n#\"שלום world\"]"),
            "{source}"
        );
        assert!(
            source.contains("#\"hello \"#missing(\"U+10FFFD\")#\" there\""),
            "{source}"
        );
    }
}
