use super::Auth;
use super::dto::{DocumentResponse, UpdateRequest};
use super::get::etag;
use crate::access;
use crate::diff;
use crate::domain::{Content, Role, Title};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::documents::{self, Document};
use crate::store::versions;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::extract::{Json, Path};
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

/// Change the title and/or content.
///
/// Send the version you edited as `If-Match: "<version>"` or as `version`. If someone saved
/// since, the answer is 409 with `current_version`: fetch, merge, retry. Every accepted
/// change creates a version (author, time, diff against the previous one).
#[utoipa::path(
    put, path = "/documents/{id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"),
           ("If-Match" = Option<String>, Header, description = "The version edited, as an ETag")),
    request_body = UpdateRequest,
    responses(
        (status = 200, description = "Saved", body = DocumentResponse),
        (status = 403, description = "Read-only access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale version (`version_conflict`, with `current_version`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid title or content", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No version given", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<UpdateRequest>,
) -> Result<Response> {
    let role = access::authorize(&state, id, auth.user(), Role::Write).await?;
    let base = base_version(&headers, body.version)?;
    let mut errors = Vec::new();
    let title = body
        .title
        .as_deref()
        .map(Title::parse)
        .transpose()
        .unwrap_or_else(|m| {
            errors.push(FieldError::new("title", m));
            None
        });
    let content = body
        .content
        .map(|c| Content::parse(c, state.config.max_content_bytes))
        .transpose()
        .unwrap_or_else(|m| {
            errors.push(FieldError::new("content", m));
            None
        });
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let saved = save(
        &state,
        id,
        auth.user(),
        base,
        title.as_ref().map(Title::as_str),
        content.as_ref().map(Content::as_str),
    )
    .await?;
    Ok(respond(saved, role))
}

pub(crate) fn respond(document: Document, role: Role) -> Response {
    (
        [(header::ETAG, etag(document.version))],
        Json(DocumentResponse::new(document, role)),
    )
        .into_response()
}

/// The version the client edited: `If-Match` wins over the body's `version`.
fn base_version(headers: &HeaderMap, body: Option<i64>) -> Result<i64> {
    if let Some(raw) = headers.get(header::IF_MATCH) {
        let parsed = raw
            .to_str()
            .ok()
            .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
            .and_then(|v| v.parse::<i64>().ok());
        return parsed.ok_or_else(|| {
            Problem::bad_request(
                "invalid_if_match",
                "If-Match must be the document's ETag, like \"3\"",
            )
            .into()
        });
    }
    body.ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "version_required",
            "Precondition required",
        )
        .detail("Send the version you edited as `version` or in `If-Match`, so concurrent edits are not lost.")
        .errors(vec![FieldError::new("version", "is required")])
        .into()
    })
}

/// Writes a new version in one transaction, unless the document moved past `base`.
pub(crate) async fn save(
    state: &AppState,
    id: Uuid,
    editor: Uuid,
    base: i64,
    title: Option<&str>,
    content: Option<&str>,
) -> Result<Document> {
    let mut tx = state.platform.db.begin().await?;
    let current = documents::lock(&mut *tx, id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if current.version != base {
        return Err(Problem::conflict(
            "version_conflict",
            format!(
                "The document is at version {}, not {base}: someone saved in between. Fetch it, merge, and retry.",
                current.version
            ),
        )
        .with("current_version", current.version)
        .into());
    }
    let new_title = title.unwrap_or(&current.title);
    let new_content = content.unwrap_or(&current.content);
    if new_title == current.title && new_content == current.content {
        return Ok(current);
    }
    let version = current.version + 1;
    let patch = diff::unified(
        &current.content,
        new_content,
        &format!("v{}", current.version),
        &format!("v{version}"),
    );
    let updated = documents::update(&mut *tx, id, new_title, new_content, version, editor).await?;
    versions::insert(
        &mut *tx,
        id,
        version,
        new_title,
        new_content,
        editor,
        &patch,
    )
    .await?;
    tx.commit().await?;
    state
        .analytics
        .record(id, editor, crate::analytics::Kind::Edit);
    access::invalidate(state, id).await?;
    Ok(updated)
}
