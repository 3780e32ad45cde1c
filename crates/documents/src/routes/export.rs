use super::Auth;
use crate::access;
use crate::domain::Role;
use crate::error::Result;
use crate::export::images::{self, Image, Images};
use crate::export::{self, Format};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tandem_platform::extract::{Path, Query};
use tandem_platform::{FieldError, Problem};
use utoipa::IntoParams;
use uuid::Uuid;

/// `GET /documents/{id}/export` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `md`, `txt`, `html`, `docx` or `pdf`.
    pub format: Option<Format>,
}

/// Download the document as Markdown, plain text, standalone HTML, DOCX or PDF.
///
/// HTML is sanitized (no script can run from the content). HTML, DOCX and PDF keep
/// headings, emphasis, nested lists, tables, code, quotes, links and the document's own
/// images (remote images stay links). The PDF is typeset with embedded, subset fonts for
/// every script the server has fonts for, right-to-left included, with page numbers; a
/// character no installed font has is shown as its code point (`U+XXXX`), never as `?`.
#[utoipa::path(
    get, path = "/documents/{id}/export", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ExportQuery),
    responses(
        (status = 200, description = "The file, with Content-Disposition naming it after the title"),
        (status = 400, description = "Missing or unknown `format`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rendering took longer than `documents.conversion_timeout_secs` (`conversion_timeout`), failed (`conversion_failed`), or the document is larger than `documents.pdf_max_content_bytes` for a PDF (`too_large_for_pdf`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every conversion slot is busy (`conversions_busy`); see `Retry-After`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(query): Query<ExportQuery>,
) -> Result<Response> {
    let Some(format) = query.format else {
        return Err(Problem::bad_request(
            "invalid_query",
            "format: is required (md, txt, html, docx or pdf)",
        )
        .errors(vec![FieldError::new(
            "format",
            "is required: md, txt, html, docx or pdf",
        )])
        .into());
    };
    let (_, document) = access::load(&state, id, auth.user(), Role::Read).await?;
    if format == Format::Pdf && document.content.len() > state.config.pdf_max_content_bytes {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_large_for_pdf",
            "Too large for PDF export",
        )
        .detail(format!(
            "This document is {} bytes; PDF export takes documents of up to {} bytes. \
             Export it as DOCX or HTML, which have no such limit.",
            document.content.len(),
            state.config.pdf_max_content_bytes
        ))
        .into());
    }
    let title = document.title.clone();
    let images = if !matches!(format, Format::Md | Format::Txt) {
        images(&state, id, &document.content).await?
    } else {
        Images::none()
    };
    // Rendering a 10 MiB document is CPU work on user data: a bounded converter thread.
    let fonts = state.fonts.clone();
    let bytes = state
        .converter
        .run(move || export::render(format, &document.title, &document.content, &images, &fonts))
        .await?
        // Typesetting or packaging that fails on this document's content: a 422 for it,
        // logged in full, not a 500.
        .map_err(|e| crate::convert::ConvertError::Failed(format!("{e:#}")))?;
    state
        .analytics
        .record(id, auth.user(), crate::analytics::Kind::Export);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                export::content_disposition(&title, format),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                crate::files::DOWNLOAD_CSP.to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The document's own images that its text shows, for embedding: PNG, JPEG, GIF and WebP
/// attachments it links to, up to [`images::MAX_EMBEDDED_BYTES`] in all (the rest stay
/// links). One that cannot be read now stays a link too.
async fn images(state: &AppState, id: Uuid, content: &str) -> Result<Images> {
    let mut found = Images::none();
    let mut total = 0usize;
    let mut rows = crate::store::attachments::list(&state.platform.db, id).await?;
    // Oldest first, so which images fit the budget does not change as more are uploaded.
    rows.reverse();
    for row in rows {
        let path = Images::path(id, row.id);
        let linked =
            content.contains(&format!("]({path})")) || content.contains(&format!("]({path} "));
        let size = usize::try_from(row.size_bytes).unwrap_or(usize::MAX);
        if !linked
            || !Images::embeds(&row.content_type)
            || total + size > images::MAX_EMBEDDED_BYTES
        {
            continue;
        }
        match state.storage.read(&row.object_key).await {
            Ok(bytes) => {
                total += bytes.len();
                found.insert(
                    path,
                    Image {
                        content_type: row.content_type,
                        bytes,
                    },
                );
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), attachment_id = %row.id, "an image could not be read for an export; it stays a link");
            }
        }
    }
    Ok(found)
}
