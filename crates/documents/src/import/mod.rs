//! Turning uploaded files into Markdown: `.md` and `.txt` as they are, `.html` converted
//! (scripts and styles dropped), `.docx` converted from its WordprocessingML (headings,
//! emphasis, code, links, bulleted and numbered lists with their nesting, tables).
//!
//! Every converter here reads untrusted bytes, so each bounds what it reads: nesting depth
//! ([`crate::nesting`]) and decompressed size. Callers run them through
//! [`crate::convert::Converter`], off the async workers and within a time limit.

mod docx;
mod html;

pub use html::title as html_title;

/// The title a converted file names for itself: a DOCX's title property or first heading,
/// an HTML file's `<title>`.
pub fn title(kind: Kind, bytes: &[u8], markdown: &str) -> Option<String> {
    match kind {
        Kind::Html => html_title(bytes),
        Kind::Docx => docx::title(bytes, markdown),
        Kind::Markdown | Kind::Text => None,
    }
}

/// A file that cannot be imported, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// Not a format tandem imports (answered with 415).
    #[error("{0}")]
    Unsupported(String),
    /// The right format, but broken (answered with 422).
    #[error("{0}")]
    Corrupt(String),
    /// Readable, but beyond a limit tandem sets on imports (answered with 422).
    #[error("{0}")]
    TooLarge(String),
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

/// Bounds on what an import may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of text a converter reads out of a compressed container (the DOCX's
    /// `word/document.xml`): the content limit, since nothing bigger could be stored.
    pub max_expanded_bytes: usize,
}

/// The first bytes of an OLE compound file.
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Why an encrypted (password-protected) DOCX cannot be imported.
pub(crate) const ENCRYPTED: &str = "the file is password-protected (encrypted) or a Word \
    97–2003 .doc renamed .docx; remove the password, or save it as .docx, and import it again";

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
        // Word saves a password-protected .docx (and a Word 97–2003 .doc) as an OLE
        // compound file, not a zip: say so rather than just "not a zip".
        if kind == Kind::Docx && bytes.starts_with(&OLE_MAGIC) {
            return Err(ImportError::Corrupt(ENCRYPTED.into()));
        }
        if kind == Kind::Docx && !bytes.starts_with(b"PK\x03\x04") {
            return Err(ImportError::Corrupt(
                "the file is not a valid .docx (not a zip archive)".into(),
            ));
        }
        Ok(kind)
    })
}

pub use docx::{Image, MAX_IMAGES, PLACEHOLDER};

/// An imported file's Markdown and the images it shows, to store as attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The Markdown; images show as `![alt](<placeholder>)`.
    pub markdown: String,
    /// The images (DOCX only).
    pub images: Vec<Image>,
}

/// The Markdown and images of an imported file.
pub fn convert(kind: Kind, bytes: &[u8], limits: Limits) -> Result<Converted, ImportError> {
    if kind == Kind::Docx {
        let (markdown, images) = docx::with_images(bytes, limits)?;
        return Ok(Converted { markdown, images });
    }
    to_markdown(kind, bytes, limits).map(|markdown| Converted {
        markdown,
        images: Vec::new(),
    })
}

/// The Markdown for an imported file.
pub fn to_markdown(kind: Kind, bytes: &[u8], limits: Limits) -> Result<String, ImportError> {
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_owned())
            .map_err(|_| ImportError::Corrupt("the file is not UTF-8 text".into()))
    };
    match kind {
        Kind::Markdown | Kind::Text => text(),
        Kind::Html => html::to_markdown(&text()?),
        Kind::Docx => docx::with_images(bytes, limits).map(|(markdown, _)| markdown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_expanded_bytes: 1024 * 1024,
    };

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
            to_markdown(Kind::Text, &[0xff, 0xfe], LIMITS),
            Err(ImportError::Corrupt(_))
        ));
    }

    #[test]
    fn a_docx_made_by_the_exporter_comes_back_as_markdown() {
        let blocks = crate::export::blocks::parse(
            "# Title\n\nSome **bold** and `code`.\n\n- item\n  - nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx\n```\n",
        );
        let none = crate::export::images::Images::none();
        let bytes = crate::export::docx::render("Doc", &blocks, &none).unwrap();
        let md = to_markdown(Kind::Docx, &bytes, LIMITS).unwrap();
        for part in [
            "# Title",
            "**bold** and `code`",
            "- item\n  - nested\n",
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n",
            "```\nx\n```",
        ] {
            assert!(md.contains(part), "{part:?} in {md}");
        }
    }
}
