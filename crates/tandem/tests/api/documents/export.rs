//! Exports, checked by extracting the text back out of each format.

use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use std::io::Read;

const SOURCE: &str = "# Grüße, café\n\nA paragraph with **bold**, *italic* and `code`.\n\n\
- first item\n- second item\n\n1. one\n2. two\n\n```\nfn main() {}\n```\n\n\
See [the site](https://example.com/page).\n\n<script>alert('x')</script>\n";

/// One part of a zip package (a DOCX), whole.
fn part(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} is in the package"))
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// Runs a poppler tool (`pdftotext`, `pdffonts`, ...) on `pdf` and returns its output.
fn poppler(tool: &str, args: &[&str], pdf: &[u8], after: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("tandem-export-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new(tool)
        .args(args)
        .arg(&path)
        .args(after)
        .output()
        .expect("poppler-utils is installed by scripts/test.sh");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn export(app: &TestApp, token: &str, id: &str, format: &str) -> reqwest::Response {
    app.get(
        &format!("/documents/{id}/export?format={format}"),
        Some(token),
    )
    .await
}

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app
        .create_document(&ada.access, "Résumé: Q4/plan", SOURCE)
        .await;
    let id = doc["id"].as_str().unwrap().to_owned();
    (app, ada.access, id)
}

fn assert_has_text(extracted: &str) {
    let flat = extracted.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Grüße, café",
        "A paragraph with bold, italic and code.",
        "first item",
        "second item",
        "one",
        "two",
        "fn main() {}",
        "See the site",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in {flat:?}");
    }
}

#[tokio::test]
async fn markdown_and_text_exports_carry_the_content_and_a_filename_from_the_title() {
    let (app, token, id) = setup().await;
    let md = export(&app, &token, &id, "md").await;
    assert_eq!(md.status(), StatusCode::OK);
    assert_eq!(md.headers()["content-type"], "text/markdown; charset=utf-8");
    let disposition = md.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"R_sum__ Q4_plan.md\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''R%C3%A9sum%C3%A9_%20Q4_plan.md"),
        "{disposition}"
    );
    assert_eq!(md.text().await.unwrap(), SOURCE);

    let txt = export(&app, &token, &id, "txt").await;
    assert_eq!(txt.headers()["content-type"], "text/plain; charset=utf-8");
    let text = txt.text().await.unwrap();
    assert_has_text(&text);
    assert!(!text.contains("**"), "{text}");
}

#[tokio::test]
async fn the_html_export_is_a_standalone_page_that_cannot_run_script() {
    let (app, token, id) = setup().await;
    let response = export(&app, &token, &id, "html").await;
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let page = response.text().await.unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<strong>bold</strong>"));
    assert!(page.contains("<h1>Grüße, café</h1>"));
    assert!(page.contains("href=\"https://example.com/page\""));
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    assert!(page.contains("Content-Security-Policy"));
}

#[tokio::test]
async fn the_docx_export_holds_the_text_with_headings_lists_and_links() {
    let (app, token, id) = setup().await;
    let response = export(&app, &token, &id, "docx").await;
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let xml = String::from_utf8(part(&mut archive, "word/document.xml")).unwrap();
    for part in [
        "[Content_Types].xml",
        "word/styles.xml",
        "word/numbering.xml",
        "word/_rels/document.xml.rels",
    ] {
        assert!(archive.by_name(part).is_ok(), "{part}");
    }
    let text: String = xml
        .split("<w:t xml:space=\"preserve\">")
        .skip(1)
        .map(|s| s.split("</w:t>").next().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_has_text(
        &text
            .replace("  ", " ")
            .replace(" ,", ",")
            .replace(" .", "."),
    );
    assert!(xml.contains("<w:pStyle w:val=\"Heading1\"/>"));
    assert!(xml.contains("<w:b/>") && xml.contains("<w:i/>"));
    assert!(xml.contains("<w:numId w:val=\"1\"/>") && xml.contains("<w:numId w:val=\"2\"/>"));
    assert!(xml.contains("<w:hyperlink r:id=\"rIdLink1\">"));
    assert!(!xml.contains("<script"));
}

#[tokio::test]
async fn the_pdf_export_renders_latin_text_that_pdftotext_reads_back() {
    let (app, token, id) = setup().await;
    let response = export(&app, &token, &id, "pdf").await;
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = poppler("pdftotext", &[], &bytes, &["-"]);
    assert_has_text(&text);
    assert!(text.contains("Résumé: Q4/plan"), "{text}");
}

#[tokio::test]
async fn exports_need_read_access_and_a_known_format() {
    let (app, token, id) = setup().await;
    let mallory = app.signed_up("mallory").await;
    problem(
        export(&app, &mallory.access, &id, "pdf").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let p = problem(
        export(&app, &token, &id, "exe").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&p), ["format"]);
    let p = problem(
        app.get(&format!("/documents/{id}/export"), Some(&token))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&p), ["format"]);
}

#[tokio::test]
async fn html_and_docx_exports_embed_the_documents_own_images() {
    use super::attachments::{PNG, attach_png, upload};
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Pictures", "start").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let path = attach_png(&app, &ada.access, &id).await;
    // Someone else's image, linked from ada's text, is not hers to embed.
    let grace = app.signed_up("grace").await;
    let other = app.create_document(&grace.access, "Hers", "x").await;
    let other_id = other["id"].as_str().unwrap();
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let hers: serde_json::Value = upload(
        &app,
        &grace.access,
        other_id,
        "g.gif",
        GIF.to_vec(),
        "image/gif",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(hers["content_type"], "image/gif");
    let her_path = format!(
        "/documents/{other_id}/attachments/{}",
        hers["id"].as_str().unwrap()
    );
    let content = format!(
        "A dot: ![dot]({path})\n\nA remote one: ![far](https://example.com/x.png)\n\nHers: ![g]({her_path})\n"
    );
    let updated = app.update_document(&ada.access, &id, 1, &content).await;
    assert_eq!(updated.status(), StatusCode::OK);

    let page = export(&app, &ada.access, &id, "html")
        .await
        .text()
        .await
        .unwrap();
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert!(
        page.contains(&format!("src=\"data:image/png;base64,{data}\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("src=\"{path}\"")),
        "the link is replaced"
    );
    // A remote image is never fetched: it stays a link, which the page's CSP allows.
    assert!(page.contains("src=\"https://example.com/x.png\""));
    assert!(page.contains("@media print"));
    assert!(
        !page.contains("data:image/gif"),
        "another document's image is not embedded"
    );
    assert!(page.contains(&format!("src=\"{her_path}\"")));

    // The PDF shows hers and the remote one as their links, and embeds only the dot.
    let pdf = export(&app, &ada.access, &id, "pdf")
        .await
        .bytes()
        .await
        .unwrap();
    let images = poppler("pdfimages", &["-list"], &pdf, &[]);
    assert_eq!(
        images.lines().count(),
        3,
        "a header of two lines, one image: {images}"
    );
    assert!(images.contains(" 1     1 "), "the 1×1 dot: {images}");
    // Long paths wrap (after a `-` too, which pdftotext then drops as a hyphen), so the
    // text is compared without spaces, line breaks and dashes.
    let bare = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect()
    };
    let text = bare(&poppler("pdftotext", &[], &pdf, &["-"]));
    assert!(
        text.contains("[image:https://example.com/x.png]far"),
        "{text}"
    );
    assert!(
        text.contains(&bare(&format!("[image:{her_path}]"))),
        "{text}"
    );
    assert!(!text.contains(&bare(&format!("[image:{path}]"))), "{text}");

    // The DOCX embeds it too, as a picture Word and pandoc show.
    let docx = export(&app, &ada.access, &id, "docx")
        .await
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx.to_vec())).unwrap();
    assert_eq!(part(&mut archive, "word/media/image1.png"), PNG);
    assert!(
        archive.by_name("word/media/image2.gif").is_err(),
        "hers is not embedded"
    );
    let xml = String::from_utf8(part(&mut archive, "word/document.xml")).unwrap();
    assert!(
        xml.contains("r:embed=\"rIdImage1\"") && xml.contains("descr=\"dot\""),
        "{xml}"
    );
    let dir = std::env::temp_dir().join(format!("tandem-export-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pictures.docx");
    std::fs::write(&file, &docx).unwrap();
    let read = std::process::Command::new("pandoc")
        .args(["-f", "docx", "-t", "gfm"])
        .arg(&file)
        .output()
        .expect("pandoc is installed (scripts/test.sh installs it)");
    std::fs::remove_dir_all(&dir).ok();
    let gfm = String::from_utf8_lossy(&read.stdout);
    // pandoc writes an image with a size as an <img> tag.
    assert!(
        gfm.contains("![dot](media/image1.png)")
            || gfm.contains("<img src=\"media/image1.png\" alt=\"dot\""),
        "{gfm}"
    );
}

/// Every structure in several scripts: what the round trips below read back.
const SCRIPTS: &str = "# Scripts 日本語\n\n\
Latin: Grüße, café. Greek: Ελληνικά κείμενο. Cyrillic: русский текст.\n\n\
CJK: 日本語のテキスト、中文文本、한국어 텍스트.\n\n\
שלום עולם\n\n\
مرحبا بالعالم\n\n\
Emoji: 🦀 😀\n\n\
Some **bold**, *italic* and `inline code` with [a link](https://example.com/a?b=c).\n\n\
- first\n- second\n  - nested 日本\n    1. deep one\n- third\n\n\
| key | value |\n| --- | --- |\n| α | 1 |\n| 日本 | a long cell that wraps because it holds far more text than fits in one line of its column |\n\n\
```\nfn main() {\n    println!(\"hi 日本\");\n}\n```\n\n\
> A quoted line, Ελληνικά.\n";

#[tokio::test]
async fn the_pdf_export_keeps_every_script_in_order_in_embedded_subset_fonts() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Scripts", SCRIPTS).await;
    let id = doc["id"].as_str().unwrap();
    let response = export(&app, &ada.access, id, "pdf").await;
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap();
    // One page of CJK and emoji stays small because only the glyphs used are embedded.
    assert!(pdf.len() < 1024 * 1024, "{} bytes", pdf.len());

    // `-raw` keeps the order the text was laid out in (the default mode groups lines by
    // position, and moves right-aligned lines); right-to-left words come out in visual
    // order there, so those lines are checked as wholes in the default mode below.
    let text = poppler("pdftotext", &["-raw"], &pdf, &["-"]);
    let flat = text
        .replace(['\u{202b}', '\u{202c}'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut at = 0;
    for expected in [
        "Scripts 日本語",
        "Latin: Grüße, café. Greek: Ελληνικά κείμενο. Cyrillic: русский текст.",
        "CJK: 日本語のテキスト、中文文本、한국어 텍스트.",
        "שלום",
        "مرحبا",
        "Emoji:",
        "🦀",
        "😀",
        "Some bold, italic and inline code with a link.",
        "first",
        "second",
        "nested 日本",
        "1. deep one",
        "third",
        "key",
        "value",
        "α",
        "日本 a long cell that wraps",
        "fn main() { println!(\"hi 日本\"); }",
        "A quoted line, Ελληνικά.",
        "1 / 1",
    ] {
        let found = flat[at..]
            .find(expected)
            .unwrap_or_else(|| panic!("{expected:?} missing after byte {at} of {flat:?}"));
        at += found + expected.len();
    }
    assert!(
        !flat.contains('?'),
        "no character became a question mark: {flat}"
    );
    let logical = poppler("pdftotext", &[], &pdf, &["-"]);
    assert!(logical.contains("שלום עולם"), "{logical}");
    assert!(logical.contains("مرحبا بالعالم"), "{logical}");

    let fonts = poppler("pdffonts", &[], &pdf, &[]);
    for line in fonts.lines().skip(2) {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let (embedded, subset) = (columns[columns.len() - 5], columns[columns.len() - 4]);
        assert_eq!(embedded, "yes", "embedded: {line}");
        // Type 3 fonts (the colour emoji, drawn as pictures) have no subset flag.
        assert!(subset == "yes" || line.contains("Type 3"), "subset: {line}");
    }
    assert!(fonts.contains("NotoSansCJK"), "{fonts}");
    assert!(
        fonts.contains("NotoSansHebrew") && fonts.contains("NotoSansArabic"),
        "{fonts}"
    );

    let links = poppler("pdfinfo", &["-url"], &pdf, &[]);
    assert!(
        links.contains("https://example.com/a?b=c"),
        "clickable: {links}"
    );
}

#[tokio::test]
async fn a_document_too_large_for_pdf_is_a_422_naming_the_limit_and_exports_in_other_formats() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    // Ten MiB of Markdown: thousands of pages, which would take minutes and gigabytes.
    let paragraph = "A paragraph of words to fill a very long document, again and again.\n\n";
    let content = paragraph.repeat(10 * 1024 * 1024 / paragraph.len());
    let doc = app.create_document(&ada.access, "Huge", "start").await;
    let id = doc["id"].as_str().unwrap();
    let updated = app.update_document(&ada.access, id, 1, &content).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let p = problem(
        export(&app, &ada.access, id, "pdf").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["code"], "too_large_for_pdf");
    assert!(
        p["detail"].as_str().unwrap().contains("1048576 bytes"),
        "{p}"
    );
    let docx = export(&app, &ada.access, id, "docx").await;
    assert_eq!(docx.status(), StatusCode::OK);
    app.assert_alive().await;
}

#[tokio::test]
async fn a_character_no_font_has_is_shown_as_its_code_point_not_a_question_mark() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app
        .create_document(&ada.access, "Private", "before \u{F0000} after\n")
        .await;
    let pdf = export(&app, &ada.access, doc["id"].as_str().unwrap(), "pdf")
        .await
        .bytes()
        .await
        .unwrap();
    let text = poppler("pdftotext", &[], &pdf, &["-"]);
    assert!(text.contains("before U+F0000 after"), "{text}");
}
