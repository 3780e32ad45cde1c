//! PDF, written directly with the standard 14 fonts (Helvetica, Courier): no font files
//! to ship or embed, small output, and text that extracts cleanly. The trade-off is the
//! Windows-1252 character set (Latin text with accents); other characters become `?`.

use super::blocks::{Block, Kind, Run};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
    Italic,
    BoldItalic,
    Mono,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
            Font::Italic => "F3",
            Font::BoldItalic => "F4",
            Font::Mono => "F5",
        }
    }

    fn of(run: &Run, bold: bool, italic: bool) -> Self {
        match (run.code, run.bold || bold, run.italic || italic) {
            (true, _, _) => Font::Mono,
            (false, true, true) => Font::BoldItalic,
            (false, true, false) => Font::Bold,
            (false, false, true) => Font::Italic,
            (false, false, false) => Font::Regular,
        }
    }
}

const FONTS: [(&str, &str); 5] = [
    ("F1", "Helvetica"),
    ("F2", "Helvetica-Bold"),
    ("F3", "Helvetica-Oblique"),
    ("F4", "Helvetica-BoldOblique"),
    ("F5", "Courier"),
];

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from the standard AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

fn width(text: &str, font: Font, size: f32) -> f32 {
    let units: f32 = text
        .chars()
        .map(|c| match font {
            Font::Mono => 600.0,
            _ => {
                let base = match c {
                    ' '..='~' => f32::from(HELVETICA[(u32::from(c) - 32) as usize]),
                    '—' | '…' | '‰' => 1000.0,
                    '–' | '•' => 556.0,
                    '‘' | '’' | '‚' => 222.0,
                    '“' | '”' | '„' => 333.0,
                    'ì'..='ï' => 278.0,
                    'À'..='Þ' => 722.0,
                    _ => 600.0,
                };
                // Bold faces run about 6% wider; erring wide only wraps a little early.
                if matches!(font, Font::Bold | Font::BoldItalic) {
                    base * 1.06
                } else {
                    base
                }
            }
        })
        .sum();
    units * size / 1000.0
}

/// Windows-1252 (the PDF `WinAnsiEncoding`) byte for `c`, or `?`.
fn win_ansi(c: char) -> u8 {
    const SPECIAL: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    match u32::from(c) {
        code @ (0x20..=0x7E | 0xA0..=0xFF) => code as u8,
        0x09 | 0x0A | 0x0D => b' ',
        _ => SPECIAL
            .iter()
            .find(|(s, _)| *s == c)
            .map_or(b'?', |(_, b)| *b),
    }
}

/// A PDF literal string of `text` in WinAnsi, with everything outside printable ASCII
/// written as an octal escape so the content stream stays ASCII.
fn pdf_string(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        match win_ansi(c) {
            b'(' => out.push_str("\\("),
            b')' => out.push_str("\\)"),
            b'\\' => out.push_str("\\\\"),
            b @ 0x20..=0x7E => out.push(b as char),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

struct Placed {
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    text: String,
    link: Option<String>,
}

struct Layout {
    pages: Vec<Vec<Placed>>,
    y: f32,
}

struct Style {
    size: f32,
    leading: f32,
    before: f32,
    indent: f32,
    bold: bool,
    italic: bool,
}

fn style(kind: Kind) -> Style {
    let plain = Style {
        size: 11.0,
        leading: 15.0,
        before: 6.0,
        indent: 0.0,
        bold: false,
        italic: false,
    };
    match kind {
        Kind::Paragraph => plain,
        Kind::Heading(level) => {
            let size = [20.0, 16.0, 14.0, 12.5, 11.5, 11.0][usize::from(level.clamp(1, 6) - 1)];
            Style {
                size,
                leading: size * 1.3,
                before: 12.0,
                bold: true,
                ..plain
            }
        }
        Kind::Item { depth, .. } => Style {
            before: 2.0,
            indent: 18.0 * f32::from(depth + 1),
            ..plain
        },
        Kind::Code => Style {
            size: 9.5,
            leading: 12.0,
            before: 0.0,
            indent: 12.0,
            ..plain
        },
        Kind::Quote => Style {
            indent: 18.0,
            italic: true,
            ..plain
        },
        // Cells side by side, separated by their tab runs (no grid yet).
        Kind::Row { header } => Style {
            before: 2.0,
            bold: header,
            ..plain
        },
    }
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: PAGE_H - MARGIN,
        }
    }

    fn new_line(&mut self, leading: f32) {
        self.y -= leading;
        if self.y < MARGIN {
            self.pages.push(Vec::new());
            self.y = PAGE_H - MARGIN - leading;
        }
    }

    fn place(&mut self, x: f32, font: Font, size: f32, text: String, link: Option<String>) {
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed {
                x,
                y,
                font,
                size,
                text,
                link,
            });
        }
    }

    fn block(&mut self, block: &Block) {
        let s = style(block.kind);
        self.y -= s.before;
        self.new_line(s.leading);
        let left = MARGIN + s.indent;
        let right = PAGE_W - MARGIN;
        if let Kind::Item { number, .. } = block.kind {
            let marker = number.map_or_else(|| "•".to_owned(), |n| format!("{n}."));
            let w = width(&marker, Font::Regular, s.size);
            self.place(left - w - 5.0, Font::Regular, s.size, marker, None);
        }
        let mut x = left;
        for run in &block.runs {
            if run.text == "\n" {
                self.new_line(s.leading);
                x = left;
                continue;
            }
            let font = Font::of(run, s.bold, s.italic);
            for word in run.text.split_inclusive(' ') {
                let mut word = word.to_owned();
                // Leading spaces are layout in code, noise in prose.
                if x == left && block.kind != Kind::Code {
                    word = word.trim_start().to_owned();
                }
                let mut w = width(&word, font, s.size);
                if x + w > right && x > left {
                    self.new_line(s.leading);
                    x = left;
                    word = word.trim_start().to_owned();
                    w = width(&word, font, s.size);
                }
                // A word wider than the line is cut wherever it must be.
                while x + w > right && word.chars().count() > 1 {
                    let mut cut = String::new();
                    for c in word.chars() {
                        if x + width(&format!("{cut}{c}"), font, s.size) > right && !cut.is_empty()
                        {
                            break;
                        }
                        cut.push(c);
                    }
                    let rest = word[cut.len()..].to_owned();
                    self.place(x, font, s.size, cut, run.link.clone());
                    self.new_line(s.leading);
                    x = left;
                    word = rest;
                    w = width(&word, font, s.size);
                }
                if !word.is_empty() {
                    self.place(x, font, s.size, word, run.link.clone());
                    x += w;
                }
            }
        }
    }
}

fn content_stream(items: &[Placed]) -> String {
    let mut out = String::new();
    for item in items {
        if item.link.is_some() {
            out.push_str("0 0.35 0.75 rg\n");
        }
        out.push_str(&format!(
            "BT /{} {:.1} Tf {:.2} {:.2} Td {} Tj ET\n",
            item.font.resource(),
            item.size,
            item.x,
            item.y,
            pdf_string(&item.text)
        ));
        if item.link.is_some() {
            let w = width(item.text.trim_end(), item.font, item.size);
            out.push_str(&format!(
                "0 0.35 0.75 RG 0.5 w {:.2} {:.2} m {:.2} {:.2} l S 0 g 0 G\n",
                item.x,
                item.y - 1.5,
                item.x + w,
                item.y - 1.5
            ));
        }
    }
    out
}

fn utf16_hex(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

/// Renders blocks as a PDF file.
pub fn render(title: &str, blocks: &[Block]) -> Vec<u8> {
    let mut layout = Layout::new();
    layout.block(&Block {
        kind: Kind::Heading(1),
        runs: vec![Run {
            text: title.to_owned(),
            ..Run::default()
        }],
    });
    for block in blocks {
        layout.block(block);
    }

    // Object numbers: 1 catalog, 2 page tree, 3 info, 4..=8 fonts, then per page: the page,
    // its content stream, and one object per link annotation.
    let mut objects: Vec<String> = Vec::new();
    let first_page = 9;
    let mut next = first_page;
    let mut page_ids = Vec::new();
    let mut page_objects = Vec::new();
    for items in &layout.pages {
        let page_id = next;
        let content_id = next + 1;
        next += 2;
        let mut annots = Vec::new();
        for item in items.iter().filter(|i| i.link.is_some()) {
            let w = width(item.text.trim_end(), item.font, item.size);
            let url = item.link.as_deref().unwrap_or_default();
            annots.push((
                next,
                format!(
                    "<< /Type /Annot /Subtype /Link /Rect [{:.2} {:.2} {:.2} {:.2}] /Border [0 0 0] /A << /S /URI /URI {} >> >>",
                    item.x,
                    item.y - 3.0,
                    item.x + w,
                    item.y + item.size,
                    pdf_string(url)
                ),
            ));
            next += 1;
        }
        let annot_refs: Vec<String> = annots.iter().map(|(id, _)| format!("{id} 0 R")).collect();
        let stream = content_stream(items);
        page_objects.push((
            page_id,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Contents {content_id} 0 R \
                 /Resources << /Font << {} >> >> /Annots [{}] >>",
                FONTS.iter().enumerate().map(|(i, (name, _))| format!("/{name} {} 0 R", 4 + i)).collect::<Vec<_>>().join(" "),
                annot_refs.join(" ")
            ),
        ));
        page_objects.push((
            content_id,
            format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
        ));
        page_objects.extend(annots);
        page_ids.push(page_id);
    }
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        page_ids
            .iter()
            .map(|id| format!("{id} 0 R"))
            .collect::<Vec<_>>()
            .join(" "),
        page_ids.len()
    ));
    objects.push(format!(
        "<< /Title {} /Producer (tandem) >>",
        utf16_hex(title)
    ));
    for (_, base) in FONTS {
        objects.push(format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
        ));
    }
    page_objects.sort_by_key(|(id, _)| *id);
    objects.extend(page_objects.into_iter().map(|(_, body)| body));

    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_encoded_and_other_scripts_degrade_to_question_marks() {
        assert_eq!(pdf_string("Grüße (café)"), "(Gr\\374\\337e \\(caf\\351\\))");
        assert_eq!(pdf_string("“x” – 日本"), "(\\223x\\224 \\226 ??)");
    }

    #[test]
    fn a_long_document_flows_onto_more_pages() {
        let blocks: Vec<Block> = (0..200)
            .map(|i| Block {
                kind: Kind::Paragraph,
                runs: vec![Run {
                    text: format!("Paragraph {i} with some words in it."),
                    ..Run::default()
                }],
            })
            .collect();
        let pdf = render("Long", &blocks);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        let pages = text.matches("/Type /Page ").count();
        assert!(pages >= 2, "{pages} pages");
        assert!(text.contains(&format!("/Count {pages}")));
        assert!(text.ends_with("%%EOF\n"));
    }
}
