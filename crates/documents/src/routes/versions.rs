use super::Auth;
use super::dto::{DiffQuery, DiffResponse, PageQuery, VersionResponse, VersionSummary};
use super::update::{Edit, respond, save};
use crate::access;
use crate::diff;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{documents, versions};
use axum::extract::State;
use axum::response::Response;
use std::collections::HashMap;
use tandem_platform::extract::{Json, Path, Query};
use tandem_platform::pagination::{self, Page};
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

/// The document's versions, newest first.
#[utoipa::path(
    get, path = "/documents/{id}/versions", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), PageQuery),
    responses(
        (status = 200, description = "A page of versions", body = Page<VersionSummary>),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<VersionSummary>>> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let limit = pagination::limit(query.limit)?;
    let before: Option<i64> = query
        .cursor
        .as_deref()
        .map(pagination::decode)
        .transpose()?;
    let rows = versions::list(&state.platform.db, id, before, limit + 1).await?;
    let mut people: Vec<Uuid> = rows.iter().flat_map(|v| v.contributors.clone()).collect();
    people.sort_unstable();
    people.dedup();
    // Names are a courtesy: without the User Service the list still answers, unnamed.
    let names: HashMap<Uuid, String> = match state.users.many(&people, &auth.token).await {
        Ok(users) => users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "could not name version contributors");
            HashMap::new()
        }
    };
    Ok(Json(pagination::page(
        rows,
        limit,
        |v| v.version,
        |v| VersionSummary {
            version: v.version,
            title: v.title,
            author_id: v.author_id,
            created_at: v.created_at,
            contributor_names: v
                .contributors
                .iter()
                .map(|u| names.get(u).cloned())
                .collect(),
            contributors: v.contributors,
            kind: v.kind,
        },
    )))
}

fn no_version(field: &str, n: i64) -> Error {
    Problem::invalid_field(field, format!("version {n} does not exist")).into()
}

/// One version, with its content and its diff against the previous one.
#[utoipa::path(
    get, path = "/documents/{id}/versions/{n}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("n" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "The version", body = VersionResponse),
        (status = 404, description = "No such document or version, or no access", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, n)): Path<(Uuid, i64)>,
) -> Result<Json<VersionResponse>> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let v = versions::get(&state.platform.db, id, n)
        .await?
        .ok_or_else(|| Problem::not_found(format!("Version {n} does not exist.")))?;
    Ok(Json(VersionResponse {
        version: v.version,
        title: v.title,
        content: v.content,
        author_id: v.author_id,
        created_at: v.created_at,
        diff: v.diff,
        contributors: v.contributors,
        kind: v.kind,
    }))
}

/// Make an old version current again: a new version with the old title and content.
#[utoipa::path(
    post, path = "/documents/{id}/versions/{n}/restore", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("n" = i64, Path, description = "Version to restore")),
    responses(
        (status = 200, description = "Restored as a new version", body = super::dto::DocumentResponse),
        (status = 403, description = "Read-only access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document or version, or no access", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn restore(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, n)): Path<(Uuid, i64)>,
) -> Result<Response> {
    let role = access::authorize(&state, id, auth.user(), Role::Write).await?;
    let db = &state.platform.db;
    let old = versions::get(db, id, n)
        .await?
        .ok_or_else(|| Problem::not_found(format!("Version {n} does not exist.")))?;
    // The limit may have been lowered since that version was saved.
    crate::domain::Content::parse(old.content.clone(), state.config.max_content_bytes)
        .map_err(|m| Problem::invalid_field("content", m))?;
    let current = documents::get(db, id).await?.ok_or(Error::NotFound)?;
    let saved = save(
        &state,
        Edit {
            id,
            editor: auth.user(),
            base: current.version,
            title: Some(&old.title),
            content: Some(&old.content),
            kind: versions::Kind::Restore,
            contributors: &[],
            edited_at: None,
        },
    )
    .await?;
    Ok(respond(saved, role))
}

/// The changes between two versions: a unified diff and structured hunks.
#[utoipa::path(
    get, path = "/documents/{id}/diff", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), DiffQuery),
    responses(
        (status = 200, description = "The diff", body = DiffResponse),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` is missing or names no version", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn diff(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(query): Query<DiffQuery>,
) -> Result<Json<DiffResponse>> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let db = &state.platform.db;
    let Some(from) = query.from else {
        return Err(Problem::validation(vec![FieldError::new("from", "is required")]).into());
    };
    let to = match query.to {
        Some(to) => to,
        None => {
            documents::get(db, id)
                .await?
                .ok_or(Error::NotFound)?
                .version
        }
    };
    let (old, new) = tokio::try_join!(versions::get(db, id, from), versions::get(db, id, to))?;
    let old = old.ok_or_else(|| no_version("from", from))?;
    let new = new.ok_or_else(|| no_version("to", to))?;
    Ok(Json(DiffResponse {
        from,
        to,
        unified: diff::unified(
            &old.content,
            &new.content,
            &format!("v{from}"),
            &format!("v{to}"),
        ),
        hunks: diff::hunks(&old.content, &new.content),
    }))
}
