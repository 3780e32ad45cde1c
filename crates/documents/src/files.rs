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
