use super::Auth;
use super::upload;
use crate::access;
use crate::domain::Role;
use crate::error::Result;
use crate::files;
use crate::state::AppState;
use crate::store::attachments::{self, Attachment};
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Path};
use utoipa::ToSchema;
use uuid::Uuid;

/// An attachment's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentResponse {
    /// Id.
    pub id: Uuid,
    /// The document.
    pub document_id: Uuid,
    /// File name (sanitized).
    pub filename: String,
    /// Content type, detected from the bytes (not the client's claim).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Attachment> for AttachmentResponse {
    fn from(a: Attachment) -> Self {
        Self {
            id: a.id,
            document_id: a.document_id,
            filename: a.filename,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}

/// `GET /documents/{id}/attachments`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    /// Newest first.
    pub items: Vec<AttachmentResponse>,
}

/// Attach a file (write access). Send `multipart/form-data` with the file in a part named
/// `file`. The type is detected from the bytes; the name is sanitized; a SHA-256 is kept.
#[utoipa::path(
    post, path = "/documents/{id}/attachments", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    request_body(content_type = "multipart/form-data", description = "A part named `file`"),
    responses(
        (status = 201, description = "Stored", body = AttachmentResponse),
        (status = 403, description = "Read-only access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than `documents.max_upload_bytes`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `file` part", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    multipart: Multipart,
) -> Result<Response> {
    access::authorize(&state, id, auth.user(), Role::Write).await?;
    let file = upload::read(multipart, state.config.max_upload_bytes).await?;
    let attachment_id = Uuid::now_v7();
    let object_key = format!("attachments/{id}/{attachment_id}");
    let row = Attachment {
        id: attachment_id,
        document_id: id,
        filename: files::sanitize_filename(file.filename.as_deref().unwrap_or("file")),
        content_type: files::detect_content_type(&file.bytes),
        size_bytes: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
        sha256: files::sha256_hex(&file.bytes),
        object_key: object_key.clone(),
        uploaded_by: auth.user(),
        created_at: Utc::now(),
    };
    // Bytes first, then the row: a failure in between leaves an unreferenced object (which
    // is removed right away), never a row pointing at nothing.
    state.storage.put(&object_key, file.bytes).await?;
    let inserted = match attachments::insert(&state.platform.db, &row).await {
        Ok(inserted) => inserted,
        Err(e) => {
            let _ = state.storage.delete(&object_key).await;
            return Err(e.into());
        }
    };
    let location = format!("/documents/{id}/attachments/{attachment_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AttachmentResponse::from(inserted)),
    )
        .into_response())
}

/// A document's attachments (read access).
#[utoipa::path(
    get, path = "/documents/{id}/attachments", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The attachments", body = AttachmentList),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<AttachmentList>> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let rows = attachments::list(&state.platform.db, id).await?;
    Ok(Json(AttachmentList {
        items: rows.into_iter().map(AttachmentResponse::from).collect(),
    }))
}

/// Download an attachment (read access). Streamed, always as a download
/// (`Content-Disposition: attachment`), never rendered inline by the browser, and under
/// `Content-Security-Policy: sandbox`. Types that a browser could run as a page (HTML,
/// SVG, XML…) are served as `application/octet-stream`; see `files::served_content_type`.
#[utoipa::path(
    get, path = "/documents/{id}/attachments/{attachment_id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("attachment_id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file"),
        (status = 404, description = "No such attachment, or no access to the document", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let attachment = attachments::get(&state.platform.db, id, attachment_id)
        .await?
        .ok_or_else(|| Problem::not_found("No attachment with this id on this document."))?;
    let stream = state.storage.get(&attachment.object_key).await?;
    let disposition = crate::export::attachment_disposition(&attachment.filename);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                files::served_content_type(&attachment.content_type).to_owned(),
            ),
            (header::CONTENT_LENGTH, attachment.size_bytes.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_SECURITY_POLICY,
                files::DOWNLOAD_CSP.to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (
                header::HeaderName::from_static("x-checksum-sha256"),
                attachment.sha256,
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Delete an attachment (write access).
#[utoipa::path(
    delete, path = "/documents/{id}/attachments/{attachment_id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("attachment_id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Read-only access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attachment, or no access to the document", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    access::authorize(&state, id, auth.user(), Role::Write).await?;
    let key = attachments::delete(&state.platform.db, id, attachment_id)
        .await?
        .ok_or_else(|| Problem::not_found("No attachment with this id on this document."))?;
    if let Err(error) = state.storage.delete(&key).await {
        // The row is gone, so the object is unreachable; log it for cleanup.
        tracing::warn!(
            error = format!("{error:#}"),
            key,
            "deleting an attachment's bytes failed"
        );
    }
    Ok(StatusCode::NO_CONTENT)
}
