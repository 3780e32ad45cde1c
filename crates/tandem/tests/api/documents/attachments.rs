use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A whole 1×1 red PNG (exports decode it to embed it).
pub(super) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90\x77\x53\xde\
\0\0\0\x0cIDAT\x78\x9c\x63\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xae\x42\x60\x82";

/// Attaches [`PNG`] as `dot.png` to document `id`; returns the path its text links it by.
pub(super) async fn attach_png(app: &TestApp, token: &str, id: &str) -> String {
    let uploaded: Value = upload(app, token, id, "dot.png", PNG.to_vec(), "image/png")
        .await
        .json()
        .await
        .unwrap();
    format!(
        "/documents/{id}/attachments/{}",
        uploaded["id"].as_str().unwrap()
    )
}

pub(super) async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    claimed: &str,
) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(claimed)
        .unwrap();
    app.client
        .post(app.url(&format!("/documents/{id}/attachments")))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn an_upload_is_typed_from_its_bytes_named_safely_checksummed_and_downloadable() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "With files", "").await;
    let id = doc["id"].as_str().unwrap();

    // The client claims HTML and names a path; neither is trusted.
    let response = upload(
        &app,
        &ada.access,
        id,
        "../../evil<script>.html",
        PNG.to_vec(),
        "text/html",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let meta: Value = response.json().await.unwrap();
    assert_eq!(meta["content_type"], "image/png");
    assert_eq!(meta["filename"], "evil_script_.html");
    assert_eq!(meta["size_bytes"], PNG.len());
    assert_eq!(meta["sha256"], sha256(PNG));
    let attachment_id = meta["id"].as_str().unwrap();

    let list: Value = app
        .get(&format!("/documents/{id}/attachments"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], attachment_id);

    let download = app
        .get(
            &format!("/documents/{id}/attachments/{attachment_id}"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/png");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"evil_script_.html\""),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG);

    let deleted = app
        .delete(
            &format!("/documents/{id}/attachments/{attachment_id}"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(
            &format!("/documents/{id}/attachments/{attachment_id}"),
            Some(&ada.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The bytes are gone from the object store too.
    let objects = app
        .config
        .platform
        .server
        .data_dir
        .join("objects/attachments")
        .join(id);
    let left = std::fs::read_dir(&objects).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn text_and_unknown_binaries_get_safe_types() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Files", "").await;
    let id = doc["id"].as_str().unwrap();
    let text: Value = upload(
        &app,
        &ada.access,
        id,
        "notes.txt",
        "héllo".as_bytes().to_vec(),
        "image/png",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(text["content_type"], "text/plain; charset=utf-8");
    let blob: Value = upload(
        &app,
        &ada.access,
        id,
        "x.bin",
        vec![0xff, 0xfe, 0, 1, 2],
        "text/html",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(blob["content_type"], "application/octet-stream");
}

#[tokio::test]
async fn uploads_are_limited_in_size_and_need_a_file_part() {
    let app = TestApp::spawn_with(|c| c.documents.max_upload_bytes = 1024).await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Files", "").await;
    let id = doc["id"].as_str().unwrap();
    let big = upload(
        &app,
        &ada.access,
        id,
        "big.bin",
        vec![7; 4096],
        "application/octet-stream",
    )
    .await;
    problem(big, StatusCode::PAYLOAD_TOO_LARGE).await;
    let no_file = app
        .client
        .post(app.url(&format!("/documents/{id}/attachments")))
        .bearer_auth(&ada.access)
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(no_file, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["file"]
    );
    let list: Value = app
        .get(&format!("/documents/{id}/attachments"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn readers_download_writers_upload_strangers_see_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let reader = app.signed_up("reader").await;
    let mallory = app.signed_up("mallory").await;
    let doc = app.create_document(&ada.access, "Files", "").await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "reader", "read").await;
    let meta: Value = upload(&app, &ada.access, id, "a.txt", b"hi".to_vec(), "text/plain")
        .await
        .json()
        .await
        .unwrap();
    let aid = meta["id"].as_str().unwrap();

    problem(
        upload(
            &app,
            &reader.access,
            id,
            "b.txt",
            b"x".to_vec(),
            "text/plain",
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.get(
            &format!("/documents/{id}/attachments/{aid}"),
            Some(&reader.access)
        )
        .await
        .status(),
        StatusCode::OK
    );
    problem(
        app.delete(
            &format!("/documents/{id}/attachments/{aid}"),
            Some(&reader.access),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    problem(
        app.get(
            &format!("/documents/{id}/attachments"),
            Some(&mallory.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get(
            &format!("/documents/{id}/attachments/{aid}"),
            Some(&mallory.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        upload(
            &app,
            &mallory.access,
            id,
            "c.txt",
            b"x".to_vec(),
            "text/plain",
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // An attachment id only works under its own document.
    let other = app.create_document(&mallory.access, "Mine", "").await;
    let other_id = other["id"].as_str().unwrap();
    problem(
        app.get(
            &format!("/documents/{other_id}/attachments/{aid}"),
            Some(&mallory.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn uploaded_html_and_svg_are_downloaded_as_octet_stream_in_a_sandbox() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Files", "").await;
    let id = doc["id"].as_str().unwrap();
    let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    for (name, bytes) in [
        ("page.html", &html[..]),
        ("image.svg", &svg[..]),
        ("pixel.png", PNG),
    ] {
        let uploaded: Value = upload(&app, &ada.access, id, name, bytes.to_vec(), "text/html")
            .await
            .json()
            .await
            .unwrap();
        let download = app
            .get(
                &format!(
                    "/documents/{id}/attachments/{}",
                    uploaded["id"].as_str().unwrap()
                ),
                Some(&ada.access),
            )
            .await;
        assert_eq!(download.status(), StatusCode::OK);
        let served = download.headers()["content-type"].to_str().unwrap();
        let expected = if name.ends_with(".png") {
            "image/png"
        } else {
            "application/octet-stream"
        };
        assert_eq!(served, expected, "{name}");
        let csp = download.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(csp.starts_with("sandbox"), "{name}: {csp}");
    }
    let export = app
        .get(
            &format!("/documents/{id}/export?format=html"),
            Some(&ada.access),
        )
        .await;
    let csp = export.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.starts_with("sandbox"), "{csp}");
}
