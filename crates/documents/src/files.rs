//! What the service decides about uploaded files itself, never trusting the client:
//! the content type (from the bytes) and a safe file name.

/// The content type of `bytes`, detected from their content. Text that is valid UTF-8 is
/// `text/plain`; anything unrecognised is `application/octet-stream`.
pub fn detect_content_type(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    if std::str::from_utf8(bytes).is_ok() {
        "text/plain; charset=utf-8".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// The `Content-Security-Policy` of downloads and exports: if a browser ever renders one
/// despite `Content-Disposition: attachment`, it runs in a sandbox with a unique origin,
/// no scripts, no forms and no plugins, and can fetch nothing.
pub const DOWNLOAD_CSP: &str =
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// Types served under their own name: ones a browser displays without running anything
/// (images other than SVG, PDF, plain text, audio, video, fonts and archives). Everything
/// else is served as `application/octet-stream`, so an uploaded HTML page or SVG image is
/// never given a type a browser would run as a document.
const SERVED_AS_IS: [&str; 22] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "image/tiff",
    "image/heif",
    "image/x-icon",
    "application/pdf",
    "text/plain; charset=utf-8",
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
    "audio/x-flac",
    "video/mp4",
    "video/webm",
    "video/quicktime",
    "application/zip",
    "application/gzip",
    "font/woff",
    "font/woff2",
];

/// The `Content-Type` an attachment with detected type `stored` is served with.
pub fn served_content_type(stored: &str) -> &str {
    if SERVED_AS_IS.contains(&stored) {
        stored
    } else {
        "application/octet-stream"
    }
}

/// A file name safe to store and to echo in `Content-Disposition`: the last path
/// component, without control or reserved characters, at most 200 characters.
pub fn sanitize_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(sanitize_filename("a\u{0}b\r\n<c>.txt"), "ab_c_.txt");
        assert_eq!(sanitize_filename(".htaccess"), "htaccess");
        assert_eq!(sanitize_filename("   "), "file");
    }

    #[test]
    fn types_a_browser_would_run_are_served_as_octet_stream() {
        let html = detect_content_type(b"<!DOCTYPE html><html><script>alert(1)</script></html>");
        let svg = detect_content_type(
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
        );
        for stored in [
            html.as_str(),
            svg.as_str(),
            "text/xml",
            "application/xhtml+xml",
        ] {
            assert_eq!(
                served_content_type(stored),
                "application/octet-stream",
                "{stored}"
            );
        }
        assert_eq!(served_content_type("image/png"), "image/png");
        assert_eq!(
            served_content_type("text/plain; charset=utf-8"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(
            detect_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "image/png"
        );
        assert_eq!(detect_content_type(b"%PDF-1.4\n"), "application/pdf");
        assert_eq!(
            detect_content_type("héllo".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            detect_content_type(&[0xff, 0xfe, 0x00, 0x01]),
            "application/octet-stream"
        );
    }
}
