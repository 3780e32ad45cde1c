//! Turning uploaded files into Markdown: `.md` and `.txt` as they are, `.html` converted
//! (scripts and styles dropped), `.docx` converted from its WordprocessingML.

use quick_xml::events::Event;
use std::io::Read;

/// A file that cannot be imported, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// Not a format tandem imports (answered with 415).
    #[error("{0}")]
    Unsupported(String),
    /// The right format, but broken (answered with 422).
    #[error("{0}")]
    Corrupt(String),
}

/// The formats tandem imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Markdown.
    Markdown,
    /// Plain text.
    Text,
    /// HTML.
    Html,
    /// Word.
    Docx,
}

/// Decides the format from the file name and the bytes (both must agree for DOCX, which
/// is a zip).
pub fn kind(filename: &str, bytes: &[u8]) -> Result<Kind, ImportError> {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "md" | "markdown" => Ok(Kind::Markdown),
        "txt" | "text" => Ok(Kind::Text),
        "html" | "htm" => Ok(Kind::Html),
        "docx" => Ok(Kind::Docx),
        "" => Err(ImportError::Unsupported(
            "the file name has no extension; name it .md, .txt, .html or .docx".into(),
        )),
        other => Err(ImportError::Unsupported(format!(
            "`.{other}` files cannot be imported; use .md, .txt, .html or .docx"
        ))),
    }
    .and_then(|kind| {
        if kind == Kind::Docx && !bytes.starts_with(b"PK\x03\x04") {
            return Err(ImportError::Corrupt(
                "the file is not a valid .docx (not a zip archive)".into(),
            ));
        }
        Ok(kind)
    })
}

/// The Markdown for an imported file.
pub fn to_markdown(kind: Kind, bytes: &[u8]) -> Result<String, ImportError> {
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_owned())
            .map_err(|_| ImportError::Corrupt("the file is not UTF-8 text".into()))
    };
    match kind {
        Kind::Markdown | Kind::Text => text(),
        Kind::Html => html(&text()?),
        Kind::Docx => docx(bytes),
    }
}

fn html(source: &str) -> Result<String, ImportError> {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec![
            "script", "style", "noscript", "iframe", "object", "embed", "head",
        ])
        .build();
    converter
        .convert(source)
        .map(|md| md.trim().to_owned() + "\n")
        .map_err(|e| ImportError::Corrupt(format!("the HTML could not be read: {e}")))
}

/// The title an HTML file names in `<title>`, if any.
pub fn html_title(source: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(source).ok()?;
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = lower[start..].find("</title>")? + start;
    let title = text[start..end].trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn docx(bytes: &[u8]) -> Result<String, ImportError> {
    let corrupt = |why: &str| ImportError::Corrupt(format!("the file is not a valid .docx: {why}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| corrupt("not a zip archive"))?;
    let mut xml = String::new();
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| corrupt("no word/document.xml"))?;
    // Guard against zip bombs: document.xml of a 25 MiB upload has no business being huge.
    entry
        .take(64 * 1024 * 1024)
        .read_to_string(&mut xml)
        .map_err(|_| corrupt("word/document.xml is not UTF-8 XML"))?;
    docx_xml_to_markdown(&xml).map_err(|e| corrupt(&e))
}

/// Converts WordprocessingML body XML to Markdown: headings (`HeadingN`/`Title` styles),
/// paragraphs, bold/italic runs, list paragraphs (`numPr`), and hyperlinks' text.
fn docx_xml_to_markdown(xml: &str) -> Result<String, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut paragraph = String::new();
    let mut prefix = String::new();
    let (mut bold, mut italic, mut in_text) = (false, false, false);
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("malformed XML: {e}"))?
        {
            Event::Start(e) | Event::Empty(e) => match e.local_name().into_inner() {
                "p" => {
                    paragraph.clear();
                    prefix.clear();
                }
                "pStyle" => {
                    let style = attribute(&e, "val").unwrap_or_default();
                    if let Some(level) = style
                        .strip_prefix("Heading")
                        .and_then(|l| l.parse::<usize>().ok())
                    {
                        prefix = format!("{} ", "#".repeat(level.clamp(1, 6)));
                    } else if style == "Title" {
                        prefix = "# ".into();
                    }
                }
                "numPr" if prefix.is_empty() => prefix = "- ".into(),
                "b" => bold = attribute(&e, "val").is_none_or(|v| v != "0" && v != "false"),
                "i" => italic = attribute(&e, "val").is_none_or(|v| v != "0" && v != "false"),
                "r" => {
                    bold = false;
                    italic = false;
                }
                "t" => in_text = true,
                "tab" => paragraph.push('\t'),
                "br" => paragraph.push_str("  \n"),
                _ => {}
            },
            // Entities arrive as their own events: `&amp;` between two text events.
            Event::GeneralRef(r) if in_text => {
                let name = r.xml10_content();
                let resolved = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    other => other
                        .strip_prefix("#x")
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = resolved {
                    paragraph.push(c);
                }
            }
            Event::Text(t) if in_text => {
                let text = t.xml10_content();
                let marker = match (bold, italic) {
                    (true, true) => "***",
                    (true, false) => "**",
                    (false, true) => "*",
                    (false, false) => "",
                };
                if marker.is_empty() || text.trim().is_empty() {
                    paragraph.push_str(&text);
                } else {
                    paragraph.push_str(&format!("{marker}{text}{marker}"));
                }
            }
            Event::End(e) => match e.local_name().into_inner() {
                "t" => in_text = false,
                "p" => {
                    let text = paragraph.trim_end();
                    if !text.is_empty() {
                        // A paragraph after a list needs a blank line, or Markdown
                        // continues the last item.
                        if prefix != "- " && out.ends_with('\n') && !out.ends_with("\n\n") {
                            out.push('\n');
                        }
                        out.push_str(&prefix);
                        out.push_str(text);
                        out.push_str(if prefix == "- " { "\n" } else { "\n\n" });
                    }
                    paragraph.clear();
                    prefix.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out.trim_end().to_owned() + "\n")
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_loses_scripts_and_styles_and_keeps_structure() {
        let md = to_markdown(
            Kind::Html,
            b"<html><head><title>T</title><style>p{}</style></head><body><h1>Hi</h1><script>alert(1)</script><p>A <b>bold</b> move</p><ul><li>one</li></ul></body></html>",
        )
        .unwrap();
        assert!(md.contains("# Hi"), "{md}");
        assert!(md.contains("**bold**"), "{md}");
        assert!(!md.contains("alert"), "{md}");
        assert!(!md.contains("p{}"), "{md}");
        assert_eq!(
            html_title(b"<title> Notes </title>").as_deref(),
            Some("Notes")
        );
    }

    #[test]
    fn kinds_come_from_extension_and_bytes() {
        assert_eq!(kind("a.MD", b"x"), Ok(Kind::Markdown));
        assert!(matches!(
            kind("a.exe", b"MZ"),
            Err(ImportError::Unsupported(_))
        ));
        assert!(matches!(
            kind("a.docx", b"not a zip"),
            Err(ImportError::Corrupt(_))
        ));
        assert!(matches!(
            to_markdown(Kind::Text, &[0xff, 0xfe]),
            Err(ImportError::Corrupt(_))
        ));
    }

    #[test]
    fn a_docx_made_by_the_exporter_comes_back_as_markdown() {
        let blocks = crate::export::blocks::parse("# Title\n\nSome **bold** text.\n\n- item\n");
        let bytes = crate::export::docx::render("Doc", &blocks).unwrap();
        let md = to_markdown(Kind::Docx, &bytes).unwrap();
        assert!(md.contains("# Title"), "{md}");
        assert!(md.contains("**bold**"), "{md}");
        assert!(md.contains("- item"), "{md}");
    }
}
