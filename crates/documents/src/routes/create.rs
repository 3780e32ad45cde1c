use super::Auth;
use super::dto::{CloneRequest, CreateRequest, DocumentResponse};
use crate::access;
use crate::diff;
use crate::domain::{Content, Role, Title};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::documents::{self, Document};
use crate::store::versions;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::extract::{Json, Path};
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

/// Create a document, empty or from a template. The caller owns it.
///
/// With `template_id`, the new document starts with the template's content (and title,
/// unless `title` is given). The caller must be able to read the template.
#[utoipa::path(
    post, path = "/documents", tag = "documents",
    security(("bearer" = [])),
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Created", body = DocumentResponse),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid title, content too large, or `template_id` names no template you can read", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<CreateRequest>,
) -> Result<Response> {
    let template = match body.template_id {
        Some(id) => Some(template(&state, &auth, id).await?),
        None => None,
    };
    let raw_title = body
        .title
        .or_else(|| template.as_ref().map(|t| t.title.clone()));
    let raw_content = body
        .content
        .or_else(|| template.map(|t| t.content))
        .unwrap_or_default();

    let mut errors = Vec::new();
    let title = match raw_title.as_deref().map(Title::parse) {
        None => {
            errors.push(FieldError::new("title", "is required"));
            None
        }
        Some(Err(message)) => {
            errors.push(FieldError::new("title", message));
            None
        }
        Some(Ok(title)) => Some(title),
    };
    let content = Content::parse(raw_content, state.config.max_content_bytes)
        .map_err(|message| errors.push(FieldError::new("content", message)))
        .ok();
    let (Some(title), Some(content), true) = (title, content, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let document = insert(&state, auth.user(), &title, &content).await?;
    Ok(created(document))
}

/// A template the caller can read. Anything else is the same field error, so `template_id`
/// cannot be used to probe for documents.
async fn template(state: &AppState, auth: &Auth, id: Uuid) -> Result<Document> {
    let refused = || {
        Error::from(Problem::invalid_field(
            "template_id",
            "names no template you can read",
        ))
    };
    match access::load(state, id, auth.user(), Role::Read).await {
        Ok((_, document)) if document.is_template => Ok(document),
        Ok(_) | Err(Error::NotFound) => Err(refused()),
        Err(e) => Err(e),
    }
}

/// Copy a document's current title and content into a new document owned by the caller,
/// with a fresh history and no shares.
#[utoipa::path(
    post, path = "/documents/{id}/clone", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document to copy")),
    request_body(content = Option<CloneRequest>, description = "Optional title for the copy"),
    responses(
        (status = 201, description = "The copy", body = DocumentResponse),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid title", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn clone(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response> {
    // The body is optional: no body (or `{}`) means the default title.
    let body: Option<CloneRequest> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(tandem_platform::extract::parse_json(&body)?)
    };
    let (_, original) = access::load(&state, id, auth.user(), Role::Read).await?;
    let requested = body.and_then(|b| b.title);
    let raw_title = requested.unwrap_or_else(|| {
        format!("Copy of {}", original.title)
            .chars()
            .take(Title::MAX)
            .collect()
    });
    let title = Title::parse(&raw_title).map_err(|m| Problem::invalid_field("title", m))?;
    // The original was within the limit when saved; the limit may have shrunk since.
    let content = Content::parse(original.content, state.config.max_content_bytes)
        .map_err(|m| Problem::invalid_field("content", m))?;
    let document = insert(&state, auth.user(), &title, &content).await?;
    Ok(created(document))
}

/// Inserts a document and its first version in one transaction.
pub(crate) async fn insert(
    state: &AppState,
    owner: Uuid,
    title: &Title,
    content: &Content,
) -> Result<Document> {
    insert_with(state, Uuid::now_v7(), owner, title, content, &[]).await
}

/// Inserts a document under `id` with its first version and the rows of `attachments`
/// (whose bytes are already stored), all in one transaction.
pub(crate) async fn insert_with(
    state: &AppState,
    id: Uuid,
    owner: Uuid,
    title: &Title,
    content: &Content,
    attachments: &[crate::store::attachments::Attachment],
) -> Result<Document> {
    let mut tx = state.platform.db.begin().await?;
    let document =
        documents::insert_with_id(&mut *tx, id, owner, title.as_str(), content.as_str()).await?;
    for attachment in attachments {
        crate::store::attachments::insert(&mut *tx, attachment).await?;
    }
    let first_diff = diff::unified("", content.as_str(), "empty", "v1");
    versions::insert(
        &mut *tx,
        &versions::NewVersion {
            document_id: document.id,
            version: 1,
            title: title.as_str(),
            content: content.as_str(),
            author_id: owner,
            contributors: &[owner],
            diff: &first_diff,
            kind: versions::Kind::Edit,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(document)
}

pub(crate) fn created(document: Document) -> Response {
    let location = format!("/documents/{}", document.id);
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DocumentResponse::new(document, Role::Owner)),
    )
        .into_response()
}
