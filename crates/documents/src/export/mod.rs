//! Exporting a document: Markdown, plain text, standalone HTML, DOCX and PDF.
//!
//! What each format keeps, and its limits, is in docs/export-formats.md: in short,
//! HTML, DOCX and PDF keep headings, emphasis, nested lists, tables, code, quotes, links
//! and the document's own images; remote images stay links, never fetched.

pub mod blocks;
pub mod docx;
pub mod html;
pub mod images;
pub mod pdf;
pub mod text;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The Markdown source.
    Md,
    /// Plain text, markup removed.
    Txt,
    /// A standalone, sanitized HTML page.
    Html,
    /// Word (Office Open XML).
    Docx,
    /// PDF.
    Pdf,
}

impl Format {
    /// The `Content-Type` of the export.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Md => "text/markdown; charset=utf-8",
            Format::Txt => "text/plain; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
        }
    }
}

/// Renders `content` (Markdown) titled `title` in `format`, with the document's own images
/// that it shows (`images`) embedded where the format can hold them; a PDF is typeset
/// with `fonts`.
pub fn render(
    format: Format,
    title: &str,
    content: &str,
    images: &images::Images,
    fonts: &pdf::Fonts,
) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Md => content.as_bytes().to_vec(),
        Format::Txt => text::render(content).into_bytes(),
        Format::Html => images
            .embed_in_html(&html::render(title, content))
            .into_bytes(),
        Format::Docx => docx::render(title, &blocks::parse(content), images)?,
        Format::Pdf => pdf::render(title, &blocks::parse(content), images, fonts)?,
    })
}

/// A `Content-Disposition: attachment` value for a stored file name.
pub fn attachment_disposition(filename: &str) -> String {
    let (stem, extension) = match filename.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 10 => (stem, Some(ext)),
        _ => (filename, None),
    };
    disposition(stem, extension.unwrap_or(""))
}

/// A `Content-Disposition` value naming the file after the title: an ASCII fallback and
/// the exact UTF-8 name (RFC 6266 / RFC 8187).
pub fn content_disposition(title: &str, format: Format) -> String {
    disposition(title, format.extension())
}

fn disposition(title: &str, extension: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('.');
    let base = if cleaned.is_empty() {
        "document"
    } else {
        cleaned
    };
    let base: String = base.chars().take(100).collect();
    let dot = if extension.is_empty() { "" } else { "." };
    let name = format!("{base}{dot}{extension}");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_.,()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_come_from_the_title_safely() {
        let header = content_disposition("Grüße: \"Q4\" / plan", Format::Pdf);
        assert_eq!(
            header,
            "attachment; filename=\"Gr__e_ _Q4_ _ plan.pdf\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe_%20_Q4_%20_%20plan.pdf"
        );
        assert!(content_disposition("...", Format::Md).contains("filename=\"document.md\""));
    }
}
