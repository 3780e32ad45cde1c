use super::Auth;
use super::create::{created, insert_with};
use super::upload;
use crate::domain::{Content, Title};
use crate::error::Result;
use crate::export::images::Images;
use crate::files;
use crate::import::{self, ImportError};
use crate::state::AppState;
use crate::store::attachments::Attachment;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

/// Create a document from an uploaded `.md`, `.txt`, `.html` or `.docx` file.
///
/// Send `multipart/form-data` with the file in a part named `file` and, optionally, a
/// `title` part (default: the HTML `<title>`, the DOCX's title property or first heading,
/// else the file name). HTML and DOCX are converted to Markdown (headings, emphasis, code,
/// links, nested lists, tables); scripts and styles are dropped.
#[utoipa::path(
    post, path = "/documents/import", tag = "documents",
    security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "A part named `file`, optionally `title`"),
    responses(
        (status = 201, description = "Created", body = super::dto::DocumentResponse),
        (status = 413, description = "Larger than `documents.max_upload_bytes`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a format tandem imports (`unsupported_import`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Corrupt file (`corrupt_import`), not UTF-8, beyond a limit such as nesting depth or expanded size (`import_too_large`), too slow to convert (`conversion_timeout`), content too large, or no `file` part", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every conversion slot is busy (`conversions_busy`); see `Retry-After`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn import(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response> {
    let file = upload::read(multipart, state.config.max_upload_bytes).await?;
    let filename = file.filename.clone().unwrap_or_default();
    let kind = import::kind(&filename, &file.bytes).map_err(problem)?;
    let bytes = file.bytes.clone();
    let limits = import::Limits {
        max_expanded_bytes: state.config.max_content_bytes,
    };
    // Conversion parses untrusted documents: a bounded converter thread, not a worker.
    let (converted, named) = state
        .converter
        .run(move || {
            import::convert(kind, &bytes, limits).map(|converted| {
                let title = import::title(kind, &bytes, &converted.markdown);
                (converted, title)
            })
        })
        .await?
        .map_err(problem)?;

    let requested = file
        .fields
        .iter()
        .find(|(name, _)| name == "title")
        .map(|(_, v)| v.clone());
    let from_name = crate::files::sanitize_filename(&filename)
        .rsplit_once('.')
        .map(|(stem, _)| stem.to_owned())
        .filter(|stem| !stem.is_empty());
    let raw_title = requested
        .or(named)
        .or(from_name)
        .unwrap_or_else(|| "Imported document".into());
    let title = Title::parse(&raw_title).map_err(|m| Problem::invalid_field("title", m))?;
    let id = Uuid::now_v7();
    let (markdown, attachments) = images_as_attachments(id, auth.user(), converted);
    let content = Content::parse(markdown, state.config.max_content_bytes)
        .map_err(|m| Problem::invalid_field("file", format!("converted content {m}")))?;
    // The images' bytes first, then every row in one transaction: a failure leaves no
    // document, and the stored bytes are removed again.
    let mut stored = Vec::new();
    for (attachment, bytes) in &attachments {
        if let Err(e) = state
            .storage
            .put(&attachment.object_key, bytes.clone().into())
            .await
        {
            remove(&state, &stored).await;
            return Err(e.into());
        }
        stored.push(attachment.object_key.clone());
    }
    let rows: Vec<Attachment> = attachments.into_iter().map(|(row, _)| row).collect();
    match insert_with(&state, id, auth.user(), &title, &content, &rows).await {
        Ok(document) => Ok(created(document)),
        Err(e) => {
            remove(&state, &stored).await;
            Err(e)
        }
    }
}

/// The converted Markdown with each image placeholder replaced by the link of the
/// attachment it becomes, and those attachments. Only types the editor and the exports
/// show (PNG, JPEG, GIF, WebP) are kept; another image, or one whose part was missing,
/// is replaced by its alt text.
fn images_as_attachments(
    id: Uuid,
    owner: Uuid,
    converted: import::Converted,
) -> (String, Vec<(Attachment, Vec<u8>)>) {
    let mut links = std::collections::HashMap::new();
    let mut attachments = Vec::new();
    for image in converted.images {
        let content_type = files::detect_content_type(&image.bytes);
        if !Images::embeds(&content_type) {
            continue;
        }
        let attachment_id = Uuid::now_v7();
        links.insert(image.placeholder, Images::path(id, attachment_id));
        attachments.push((
            Attachment {
                id: attachment_id,
                document_id: id,
                filename: files::sanitize_filename(&image.filename),
                content_type,
                size_bytes: i64::try_from(image.bytes.len()).unwrap_or(i64::MAX),
                sha256: files::sha256_hex(&image.bytes),
                object_key: format!("attachments/{id}/{attachment_id}"),
                uploaded_by: owner,
                created_at: Utc::now(),
            },
            image.bytes,
        ));
    }
    (link_images(&converted.markdown, &links), attachments)
}

/// Rewrites each `![alt](<placeholder>)` to `![alt](<link>)`, or to `alt` when the
/// placeholder has no link. The converter keeps `[` and `]` out of alt texts.
fn link_images(markdown: &str, links: &std::collections::HashMap<String, String>) -> String {
    let needle = format!("]({}", import::PLACEHOLDER);
    let mut out = String::with_capacity(markdown.len() + links.len() * 80);
    let mut rest = markdown;
    while let Some(at) = rest.find(&needle) {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let placeholder = &after[..end];
        match links.get(placeholder) {
            Some(link) => {
                out.push_str("](");
                out.push_str(link);
                out.push(')');
            }
            None => {
                if let Some(start) = out.rfind("![") {
                    let alt = out[start + 2..].to_owned();
                    out.truncate(start);
                    out.push_str(&alt);
                }
            }
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

async fn remove(state: &AppState, keys: &[String]) {
    for key in keys {
        let _ = state.storage.delete(key).await;
    }
}

fn problem(error: ImportError) -> Problem {
    let (status, code, title, why) = match error {
        ImportError::Unsupported(why) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_import",
            "Unsupported file type",
            why,
        ),
        ImportError::Corrupt(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "corrupt_import",
            "The file could not be read",
            why,
        ),
        ImportError::TooLarge(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_too_large",
            "The file is beyond the import limits",
            why,
        ),
    };
    Problem::new(status, code, title)
        .detail(why.clone())
        .errors(vec![FieldError::new("file", why)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_attachment_links_or_their_alt_text() {
        let links = std::collections::HashMap::from([(
            format!("{}0", import::PLACEHOLDER),
            "/documents/d/attachments/a".to_owned(),
        )]);
        let md = format!(
            "A ![cat]({p}0) and ![svg]({p}1), ![cat]({p}0) again, ![x](https://e.com/x.png).",
            p = import::PLACEHOLDER
        );
        assert_eq!(
            link_images(&md, &links),
            "A ![cat](/documents/d/attachments/a) and svg, \
             ![cat](/documents/d/attachments/a) again, ![x](https://e.com/x.png)."
        );
    }
}
