use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

pub(super) async fn import(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    title: Option<&str>,
) -> reqwest::Response {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    if let Some(title) = title {
        form = form.text("title", title.to_owned());
    }
    app.client
        .post(app.url("/documents/import"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Document `id` exported as DOCX and imported again: the new document.
async fn reimported(app: &TestApp, token: &str, id: &str) -> Value {
    let docx = app
        .get(&format!("/documents/{id}/export?format=docx"), Some(token))
        .await
        .bytes()
        .await
        .unwrap();
    import(app, token, "reimported.docx", docx.to_vec(), None)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn markdown_and_text_import_as_they_are() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let response = import(
        &app,
        &ada.access,
        "notes.md",
        b"# Notes\n\n- a\n".to_vec(),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["title"], "notes");
    assert_eq!(doc["content"], "# Notes\n\n- a\n");
    assert_eq!(doc["owner_id"], ada.user_id);
    let titled: Value = import(
        &app,
        &ada.access,
        "x.txt",
        b"plain".to_vec(),
        Some("My title"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(titled["title"], "My title");
}

#[tokio::test]
async fn html_is_converted_without_scripts_or_styles() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let html = b"<html><head><title>Page title</title><style>body{color:red}</style></head>\
                 <body><h1>Heading</h1><p>Some <strong>bold</strong> text.</p>\
                 <script>alert('x')</script><ul><li>one</li><li>two</li></ul></body></html>";
    let doc: Value = import(&app, &ada.access, "page.html", html.to_vec(), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["title"], "Page title");
    let content = doc["content"].as_str().unwrap();
    assert!(content.contains("# Heading"), "{content}");
    assert!(content.contains("**bold**"), "{content}");
    assert!(
        content.contains("one") && content.contains("two"),
        "{content}"
    );
    assert!(
        !content.contains("alert") && !content.contains("color:red"),
        "{content}"
    );
}

#[tokio::test]
async fn a_docx_round_trips_through_export_and_import() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let original = app
        .create_document(
            &ada.access,
            "Round trip",
            "# Grüße\n\nA **bold** claim & more.\n\n- first\n- second\n",
        )
        .await;
    let id = original["id"].as_str().unwrap();
    let doc = reimported(&app, &ada.access, id).await;
    let content = doc["content"].as_str().unwrap();
    for needle in ["# Grüße", "**bold**", "claim & more", "- first", "- second"] {
        assert!(content.contains(needle), "{needle} missing from {content}");
    }
}

#[tokio::test]
async fn unsupported_and_corrupt_files_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let exe = problem(
        import(&app, &ada.access, "tool.exe", b"MZ\x90\x00".to_vec(), None).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(exe["code"], "unsupported_import");
    assert_eq!(fields(&exe), ["file"]);
    let fake_docx = problem(
        import(&app, &ada.access, "fake.docx", b"not a zip".to_vec(), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fake_docx["code"], "corrupt_import");
    // Word writes a password-protected document as an OLE compound file.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    let encrypted = problem(
        import(&app, &ada.access, "secret.docx", ole, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(encrypted["code"], "corrupt_import");
    assert!(
        encrypted["detail"]
            .as_str()
            .unwrap()
            .contains("password-protected"),
        "{encrypted}"
    );
    let latin1 = problem(
        import(
            &app,
            &ada.access,
            "old.txt",
            vec![0x47, 0x72, 0xfc, 0xdf, 0x65],
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(latin1["detail"].as_str().unwrap().contains("UTF-8"));
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM documents.documents")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing created");
}

#[tokio::test]
async fn a_docx_from_another_program_keeps_its_lists_table_and_link_and_names_itself() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let bytes = include_bytes!("../../../../documents/tests/fixtures/python-docx.docx").to_vec();
    let response = import(&app, &ada.access, "upload.docx", bytes, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let doc: Value = response.json().await.unwrap();
    // The title property, not the file name.
    assert_eq!(doc["title"], "Made by python-docx");
    let content = doc["content"].as_str().unwrap();
    for part in [
        "- first bullet\n  - nested bullet\n- second bullet\n",
        "1. numbered item\n",
        "| a | b |\n| --- | --- |\n| 1 | two<br>lines |\n",
        "[the docs](https://example.com/docs)",
    ] {
        assert!(content.contains(part), "{part:?} in {content}");
    }
}

#[tokio::test]
async fn a_docx_with_pictures_imports_them_as_attachments_of_the_new_document() {
    use super::attachments::{PNG, attach_png};
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Pictures", "start").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let path = attach_png(&app, &ada.access, &id).await;
    let content = format!("Before ![a dot]({path}) after.\n");
    assert_eq!(
        app.update_document(&ada.access, &id, 1, &content)
            .await
            .status(),
        StatusCode::OK
    );
    // Our own DOCX export embeds the picture as Word does (a drawing with an embedded blip).
    let imported = reimported(&app, &ada.access, &id).await;
    let new_id = imported["id"].as_str().unwrap();
    let listed: Value = app
        .get(
            &format!("/documents/{new_id}/attachments"),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["content_type"], "image/png");
    let link = format!(
        "/documents/{new_id}/attachments/{}",
        items[0]["id"].as_str().unwrap()
    );
    let markdown = imported["content"].as_str().unwrap();
    assert!(
        markdown.contains(&format!("![a dot]({link})")),
        "{markdown}"
    );
    let bytes = app
        .get(&link, Some(&ada.access))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), PNG, "the same picture");

    // Another user sees neither the document nor its picture.
    let mallory = app.signed_up("mallory").await;
    assert_eq!(
        app.get(&link, Some(&mallory.access)).await.status(),
        StatusCode::NOT_FOUND
    );
}
