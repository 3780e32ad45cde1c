//! The document's own images, embedded in exports: an exported file is read away from
//! tandem, where `/documents/{id}/attachments/{aid}` means nothing (and needs a token).

use base64::Engine;
use std::collections::HashMap;
use uuid::Uuid;

/// Most bytes of images one export embeds; images past it stay links.
pub const MAX_EMBEDDED_BYTES: usize = 20 * 1024 * 1024;

/// Types embedded (what browsers and Word show from bytes alone; SVG stays a link).
const EMBEDDED_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// One image's bytes.
#[derive(Debug, Clone)]
pub struct Image {
    /// Its detected type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: bytes::Bytes,
}

/// The document's images its text links to, by the path the editor writes
/// (`/documents/{document}/attachments/{attachment}`).
#[derive(Debug, Clone, Default)]
pub struct Images {
    by_path: HashMap<String, Image>,
}

impl Images {
    /// No images.
    pub fn none() -> Self {
        Self::default()
    }

    /// The path an attachment is linked by.
    pub fn path(document: Uuid, attachment: Uuid) -> String {
        format!("/documents/{document}/attachments/{attachment}")
    }

    /// Whether an attachment of `content_type` is embedded.
    pub fn embeds(content_type: &str) -> bool {
        EMBEDDED_TYPES.contains(&content_type)
    }

    /// Adds one.
    pub fn insert(&mut self, path: String, image: Image) {
        self.by_path.insert(path, image);
    }

    /// The image linked by `url`, if it is one of the document's.
    pub fn get(&self, url: &str) -> Option<&Image> {
        self.by_path.get(url)
    }

    /// `html` with each `src="<path>"` of an embedded image replaced by a `data:` URL
    /// (the exported page's CSP allows `data:` images and nothing else local). Runs on the
    /// sanitized page: the paths are the document's own and the bytes were typed on upload.
    pub fn embed_in_html(&self, html: &str) -> String {
        let mut out = html.to_owned();
        for (path, image) in &self.by_path {
            let src = format!("src=\"{path}\"");
            if out.contains(&src) {
                let data = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
                out = out.replace(
                    &src,
                    &format!("src=\"data:{};base64,{data}\"", image.content_type),
                );
            }
        }
        out
    }
}
