//! DOCX → Markdown, from `word/document.xml`, read as a stream of XML events.

use super::{ImportError, Limits};
use quick_xml::events::Event;
use std::io::Read;

/// Deepest XML element nesting accepted. The conversion below is a flat loop over events,
/// so depth costs it nothing; the bound keeps it that way for whatever reads the XML next.
/// Word's own documents nest tables in tables in a few dozen levels at most.
const MAX_XML_DEPTH: usize = 256;

pub(super) fn to_markdown(bytes: &[u8], limits: Limits) -> Result<String, ImportError> {
    let corrupt = |why: &str| ImportError::Corrupt(format!("the file is not a valid .docx: {why}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| corrupt("not a zip archive"))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| corrupt("no word/document.xml"))?;
    let limit = limits.max_expanded_bytes;
    let too_large = || {
        ImportError::TooLarge(format!(
            "the document's text (word/document.xml) expands to more than {limit} bytes, \
             the most a document may hold"
        ))
    };
    // The declared size refuses an honest big file without inflating anything; the
    // bounded read refuses one whose header lies (a zip bomb).
    if entry.size() > limit as u64 {
        return Err(too_large());
    }
    let mut xml = Vec::new();
    entry
        .take(limit as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(|_| corrupt("word/document.xml cannot be decompressed"))?;
    if xml.len() > limit {
        return Err(too_large());
    }
    let xml = String::from_utf8(xml).map_err(|_| corrupt("word/document.xml is not UTF-8 XML"))?;
    xml_to_markdown(&xml).map_err(|e| match e {
        XmlError::Malformed(why) => corrupt(&why),
        XmlError::TooDeep => ImportError::TooLarge(format!(
            "word/document.xml nests elements more than {MAX_XML_DEPTH} levels deep"
        )),
    })
}

enum XmlError {
    Malformed(String),
    TooDeep,
}

/// Converts WordprocessingML body XML to Markdown: headings (`HeadingN`/`Title` styles),
/// paragraphs, bold/italic runs, list paragraphs (`numPr`), and hyperlinks' text.
fn xml_to_markdown(xml: &str) -> Result<String, XmlError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut paragraph = String::new();
    let mut prefix = String::new();
    let (mut bold, mut italic, mut in_text) = (false, false, false);
    let mut depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(format!("malformed XML: {e}")))?;
        if let Event::Start(_) = &event {
            depth += 1;
            if depth > MAX_XML_DEPTH {
                return Err(XmlError::TooDeep);
            }
        }
        match event {
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
                if let Some(c) = resolved.filter(|c| *c != '\0') {
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
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().into_inner() {
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
                }
            }
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
    use std::io::Write;

    fn docx_with(document_xml: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(document_xml).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn text_that_expands_past_the_limit_is_refused_not_cut() {
        let body = format!(
            "<w:document><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>",
            "a".repeat(200_000)
        );
        let bytes = docx_with(body.as_bytes());
        assert!(bytes.len() < 10_000, "compresses well: {}", bytes.len());
        let refused = to_markdown(
            &bytes,
            Limits {
                max_expanded_bytes: 100_000,
            },
        )
        .unwrap_err();
        assert!(matches!(&refused, ImportError::TooLarge(m) if m.contains("100000")));
        let allowed = to_markdown(
            &bytes,
            Limits {
                max_expanded_bytes: 300_000,
            },
        )
        .unwrap();
        assert_eq!(allowed.trim().len(), 200_000);
    }

    #[test]
    fn deeply_nested_xml_is_refused() {
        let body = format!(
            "<w:document>{}{}</w:document>",
            "<w:x>".repeat(50_000),
            "</w:x>".repeat(50_000)
        );
        let refused = to_markdown(
            &docx_with(body.as_bytes()),
            Limits {
                max_expanded_bytes: 10_000_000,
            },
        )
        .unwrap_err();
        assert!(matches!(&refused, ImportError::TooLarge(m) if m.contains("256")));
    }
}
