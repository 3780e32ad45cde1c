use super::Auth;
use super::dto::{DocumentSummary, ListQuery};
use crate::error::Result;
use crate::state::AppState;
use crate::store::documents::{self, After, Filter, Sort};
use axum::extract::State;
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Query};
use tandem_platform::pagination::{self, Page};

/// The caller's documents: owned and shared, newest first or by title, a page at a time.
#[utoipa::path(
    get, path = "/documents", tag = "documents",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of documents", body = Page<DocumentSummary>),
        (status = 400, description = "Bad `limit`, `cursor`, `filter` or `sort`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<DocumentSummary>>> {
    let limit = pagination::limit(query.limit)?;
    let sort = query.sort.unwrap_or(Sort::UpdatedAt);
    let after: Option<After> = query
        .cursor
        .as_deref()
        .map(pagination::decode)
        .transpose()?;
    let cursor_fits = matches!(
        (&after, sort),
        (None, _)
            | (Some(After::Updated(..)), Sort::UpdatedAt)
            | (Some(After::Title(..)), Sort::Title)
    );
    if !cursor_fits {
        return Err(Problem::bad_request(
            "invalid_query",
            "cursor: belongs to a different sort order",
        )
        .errors(vec![tandem_platform::FieldError::new(
            "cursor",
            "belongs to a different sort order",
        )])
        .into());
    }
    let rows = documents::list(
        &state.platform.db,
        auth.user(),
        query.filter.unwrap_or(Filter::All),
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    Ok(Json(pagination::page(
        rows,
        limit,
        |row| match sort {
            Sort::UpdatedAt => After::Updated(row.updated_at, row.id),
            Sort::Title => After::Title(row.title.clone(), row.id),
        },
        DocumentSummary::from,
    )))
}
