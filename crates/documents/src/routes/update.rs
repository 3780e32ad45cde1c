use super::Auth;
use super::dto::{DocumentResponse, UpdateRequest};
use super::get::etag;
use crate::access;
use crate::collab_client;
use crate::diff;
use crate::domain::{Content, Role, Title};
use crate::error::{Error, Result};
use crate::events::{self, Event};
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
    let title = title.as_ref().map(Title::as_str);
    if let Some(content) = &content
        && let Some(merged) = hand_to_live_session(&state, id, auth.user(), base, content).await?
    {
        // The content is in; a title change goes on top of the version that holds it.
        let saved = match title {
            Some(title) => {
                let edit = Edit {
                    id,
                    editor: auth.user(),
                    base: merged.version,
                    title: Some(title),
                    content: None,
                    kind: versions::Kind::Edit,
                    contributors: &[],
                    edited_at: None,
                };
                save(&state, edit).await?
            }
            None => merged,
        };
        return Ok(respond(saved, role));
    }
    let edit = Edit {
        id,
        editor: auth.user(),
        base,
        title,
        content: content.as_ref().map(Content::as_str),
        kind: versions::Kind::Edit,
        contributors: &[],
        edited_at: None,
    };
    Ok(respond(save(&state, edit).await?, role))
}

/// A content edit of a document with a live session must not overwrite what its editors
/// are typing: the Collaboration Service merges it into the session (as an op based on the
/// revision saved as `base`) and saves. Returns the saved document, or `None` when no
/// session is live — or the Collaboration Service cannot be reached, in which case saving
/// here is still safe: its next save meets the new version and merges it.
async fn hand_to_live_session(
    state: &AppState,
    id: Uuid,
    editor: Uuid,
    base: i64,
    content: &Content,
) -> Result<Option<Document>> {
    match state.collab.edit(id, editor, base, content.as_str()).await {
        Ok(collab_client::Edit::NoSession) => Ok(None),
        Ok(collab_client::Edit::Merged { .. }) => {
            let document = documents::get(&state.platform.db, id)
                .await?
                .ok_or(Error::NotFound)?;
            Ok(Some(document))
        }
        Ok(collab_client::Edit::TooOld) => {
            let current = documents::get(&state.platform.db, id)
                .await?
                .ok_or(Error::NotFound)?;
            Err(stale(base, current.version))
        }
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "collab unreachable; saving the edit directly");
            Ok(None)
        }
    }
}

fn stale(base: i64, current: i64) -> Error {
    Problem::conflict(
        "version_conflict",
        format!(
            "The document is at version {current}, not {base}: someone saved in between. Fetch it, merge, and retry."
        ),
    )
    .with("current_version", current)
    .into()
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

/// A change to save.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edit<'a> {
    pub id: Uuid,
    pub editor: Uuid,
    /// The version the change was made to.
    pub base: i64,
    pub title: Option<&'a str>,
    pub content: Option<&'a str>,
    pub kind: versions::Kind,
    /// Everyone whose changes the new version holds; empty means just `editor`.
    pub contributors: &'a [Uuid],
    /// When the last change was made, if not now (a live session's last op).
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Writes a new version in one transaction, unless the document moved past `edit.base`,
/// and tells other services what changed.
pub(crate) async fn save(state: &AppState, edit: Edit<'_>) -> Result<Document> {
    let id = edit.id;
    let mut tx = state.platform.db.begin().await?;
    let current = documents::lock(&mut *tx, id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if current.version != edit.base {
        return Err(stale(edit.base, current.version));
    }
    let new_title = edit.title.unwrap_or(&current.title);
    let new_content = edit.content.unwrap_or(&current.content);
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
    let updated = documents::update(
        &mut *tx,
        id,
        new_title,
        new_content,
        version,
        edit.editor,
        edit.edited_at,
    )
    .await?;
    versions::insert(
        &mut *tx,
        &versions::NewVersion {
            document_id: id,
            version,
            title: new_title,
            content: new_content,
            author_id: edit.editor,
            contributors: if edit.contributors.is_empty() {
                std::slice::from_ref(&edit.editor)
            } else {
                edit.contributors
            },
            diff: &patch,
            kind: edit.kind,
        },
    )
    .await?;
    tx.commit().await?;
    state
        .analytics
        .record(id, edit.editor, crate::analytics::Kind::Edit);
    access::invalidate(state, id).await?;
    if new_title != current.title {
        let event = Event::TitleChanged {
            document_id: id,
            title: new_title.to_owned(),
        };
        events::publish(&state.platform.redis, &event).await;
    }
    // A live session's own save needs no news of itself.
    if new_content != current.content
        && edit.kind != versions::Kind::Auto
        && edit.kind != versions::Kind::Explicit
    {
        let event = Event::ContentChanged {
            document_id: id,
            version,
        };
        events::publish(&state.platform.redis, &event).await;
    }
    Ok(updated)
}
