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
    assert!(bytes.starts_with(b"%PDF-1.4"));
    let path = std::env::temp_dir().join(format!("tandem-export-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, &bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
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
    use super::attachments::{PNG, upload};
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Pictures", "start").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let uploaded: serde_json::Value =
        upload(&app, &ada.access, &id, "dot.png", PNG.to_vec(), "image/png")
            .await
            .json()
            .await
            .unwrap();
    let path = format!(
        "/documents/{id}/attachments/{}",
        uploaded["id"].as_str().unwrap()
    );
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
