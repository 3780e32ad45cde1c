//! Files and content built to break converters: pathological nesting, zip bombs, slow
//! conversions. Each must get a clear answer, and the server must stay up for everyone.

use super::import::import;
use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;

fn nested(open: &str, close: &str, levels: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

fn docx_with(document_xml: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(document_xml).unwrap();
    zip.finish().unwrap().into_inner()
}

async fn owned_count(app: &TestApp, token: &str) -> usize {
    let list: Value = app
        .get("/documents", Some(token))
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn html_nested_twenty_thousand_levels_deep_is_refused_naming_the_limit_and_the_server_stays_up()
 {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    // The file from the security review: 260 KB of nested spans. It used to overflow a
    // worker's stack and abort the whole process.
    let html = nested("<span>", "</span>", 20_000, "deep");
    let response = import(&app, &ada.access, "deep.html", html.into_bytes(), None).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "import_too_large");
    assert!(
        body["detail"].as_str().unwrap().contains("256 levels"),
        "{body}"
    );
    assert_eq!(owned_count(&app, &ada.access).await, 0);
    app.assert_alive().await;
}

#[tokio::test]
async fn html_nested_as_deeply_as_real_pages_still_imports() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let html = format!(
        "<html><body>{}</body></html>",
        nested("<div>", "</div>", 200, "<p>Still <b>here</b></p>")
    );
    let response = import(&app, &ada.access, "nested.html", html.into_bytes(), None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["content"], "Still **here**\n");
}

#[tokio::test]
async fn docx_xml_nested_fifty_thousand_levels_deep_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let xml = nested("<w:x>", "</w:x>", 50_000, "<w:t>deep</w:t>");
    let docx = docx_with(format!("<w:document>{xml}</w:document>").as_bytes());
    let response = import(&app, &ada.access, "deep.docx", docx, None).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "import_too_large");
    assert_eq!(owned_count(&app, &ada.access).await, 0);
    app.assert_alive().await;
}

#[tokio::test]
async fn a_docx_that_expands_past_the_content_limit_is_refused_and_creates_nothing() {
    let app = TestApp::spawn_with(|c| c.documents.max_content_bytes = 1024 * 1024).await;
    let ada = app.signed_up("ada").await;
    // 4 MiB of text in one run compresses to a few kilobytes: a small zip bomb.
    let xml = format!(
        "<w:document><w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>",
        "a".repeat(4 * 1024 * 1024)
    );
    let docx = docx_with(xml.as_bytes());
    assert!(docx.len() < 64 * 1024, "{}", docx.len());
    let response = import(&app, &ada.access, "bomb.docx", docx, None).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "import_too_large");
    assert!(
        body["detail"].as_str().unwrap().contains("1048576 bytes"),
        "{body}"
    );
    assert_eq!(owned_count(&app, &ada.access).await, 0);
    app.assert_alive().await;
}

#[tokio::test]
async fn markdown_nested_a_hundred_thousand_levels_deep_saves_exports_in_every_format_and_searches()
{
    // The raw HTML case is 1.1 MB, past PDF export's default limit: lift it to typeset it.
    let app = TestApp::spawn_with(|c| c.documents.pdf_max_content_bytes = 2 * 1024 * 1024).await;
    let ada = app.signed_up("ada").await;
    let quotes = ">".repeat(100_000) + " quokka in the deepest quote\n";
    let lists = "- ".repeat(100_000) + "quokka in the deepest item\n";
    let raw_html = nested("<div>", "</div>", 100_000, "quokka in raw html");
    for (title, content) in [("Quotes", quotes), ("Lists", lists), ("Raw", raw_html)] {
        let doc = app.create_document(&ada.access, title, "start").await;
        let id = doc["id"].as_str().unwrap();
        let response = app.update_document(&ada.access, id, 1, &content).await;
        assert_eq!(response.status(), StatusCode::OK, "{title}");
        for format in ["md", "txt", "html", "docx", "pdf"] {
            let response = app
                .get(
                    &format!("/documents/{id}/export?format={format}"),
                    Some(&ada.access),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{title} as {format}");
            assert!(!response.bytes().await.unwrap().is_empty());
        }
    }
    let found: Value = app
        .get("/documents/search?q=quokka", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 3, "{found}");
    app.assert_alive().await;
}

#[tokio::test]
async fn a_conversion_past_its_time_limit_is_answered_with_a_422_and_the_server_stays_up() {
    let app = TestApp::spawn_with(|c| c.documents.conversion_timeout_secs = 0).await;
    let ada = app.signed_up("ada").await;
    let html = "<p>A paragraph of <b>text</b>.</p>".repeat(50_000);
    let response = import(&app, &ada.access, "slow.html", html.into_bytes(), None).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "conversion_timeout");
    assert_eq!(owned_count(&app, &ada.access).await, 0);
    app.assert_alive().await;
}

#[tokio::test]
async fn html_event_handlers_and_script_urls_do_not_survive_an_import() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let html = br#"<html><body><p>Keep this.</p>
        <img src="x.png" onerror="alert(1)">
        <div onclick="steal()">Click text</div>
        <a href="javascript:alert(2)">a bad link</a>
        <a href="https://example.com/ok">a good link</a>
        <iframe src="https://evil.example/"></iframe>
        <svg><script>alert(3)</script></svg></body></html>"#;
    let response = import(&app, &ada.access, "hostile.html", html.to_vec(), None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    let content = doc["content"].as_str().unwrap();
    for gone in [
        "onerror",
        "onclick",
        "alert",
        "steal",
        "javascript:",
        "evil.example",
    ] {
        assert!(!content.contains(gone), "{gone:?} survived in {content}");
    }
    for kept in [
        "Keep this.",
        "Click text",
        "a bad link",
        "[a good link](https://example.com/ok)",
    ] {
        assert!(content.contains(kept), "{kept:?} lost from {content}");
    }
}

#[tokio::test]
async fn a_docx_with_an_external_image_link_imports_as_a_link_without_fetching_it() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let parts: [(&str, &str); 2] = [
        (
            "word/document.xml",
            r#"<w:document xmlns:w="w" xmlns:a="a" xmlns:r="r"><w:body>
               <w:p><w:r><w:t>Before the picture.</w:t></w:r></w:p>
               <w:p><w:r><w:drawing><a:blip r:link="rIdRemote"/></w:drawing></w:r></w:p>
               <w:p><w:r><w:t>After it.</w:t></w:r></w:p></w:body></w:document>"#,
        ),
        (
            "word/_rels/document.xml.rels",
            r#"<Relationships><Relationship Id="rIdRemote" Type="image" Target="http://127.0.0.1:9/tracker.png" TargetMode="External"/></Relationships>"#,
        ),
    ];
    for (name, xml) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let response = import(&app, &ada.access, "remote.docx", bytes, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    let content = doc["content"].as_str().unwrap();
    // Kept as a link (never an image the editor would load), and never fetched: nothing
    // listens on port 9, and the import succeeded without trying.
    assert_eq!(
        content,
        "Before the picture.\n\n[image](http://127.0.0.1:9/tracker.png)\n\nAfter it.\n"
    );
}
