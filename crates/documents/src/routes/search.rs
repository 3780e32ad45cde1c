use super::Auth;
use super::dto::{SearchHit, SearchPage, SearchQuery};
use crate::error::Result;
use crate::state::AppState;
use crate::store::search;
use axum::extract::State;
use tandem_platform::extract::{Json, Query};
use tandem_platform::pagination;
use tandem_platform::{FieldError, Problem};

/// Results per page when the request does not say.
const DEFAULT_LIMIT: i64 = 20;

/// Full-text search over the documents the caller can read.
///
/// Web-search syntax: `budget 2026`, `"exact phrase"`, `draft OR final`, `notes -private`.
/// A word in the title weighs more than the same word in the content. Snippets are safe HTML with matches in `<mark>`.
///
/// A search ranks at most the `documents.search_window` (default 1,000) most recently changed
/// matching documents and returns no others, so a common word stays fast however many
/// documents contain it.
#[utoipa::path(
    get, path = "/documents/search", tag = "documents",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of ranked results", body = SearchPage),
        (status = 400, description = "Empty `q`, bad `limit` or `cursor`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchPage>> {
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    if q.is_empty() || q.len() > 1000 {
        let message = if q.is_empty() {
            "must not be empty"
        } else {
            "must be at most 1000 bytes"
        };
        return Err(
            Problem::bad_request("invalid_query", format!("q: {message}"))
                .errors(vec![FieldError::new("q", message)])
                .into(),
        );
    }
    // A page of 20 by default, not the lists' 50: each hit costs a headline, which PostgreSQL
    // computes by parsing the whole document, and a person reads the first few results.
    let limit = pagination::limit(Some(query.limit.unwrap_or(DEFAULT_LIMIT)))?;
    // Results end at the window (see store/search.rs): no cursor points past it.
    let window = i64::from(state.config.search_window.max(1));
    let offset: i64 = query
        .cursor
        .as_deref()
        .map(pagination::decode)
        .transpose()?
        .unwrap_or(0);
    if !(0..window).contains(&offset) {
        return Err(Problem::bad_request(
            "invalid_query",
            "cursor: is not a cursor this endpoint returned",
        )
        .errors(vec![FieldError::new(
            "cursor",
            "is not a cursor this endpoint returned",
        )])
        .into());
    }
    let hits = search::search(
        &state.platform.db,
        auth.user(),
        q,
        window,
        limit + 1,
        offset,
    )
    .await?;
    // Every row carries the flag; an empty page means fewer matches than the offset, and
    // the offset is inside the window, so nothing was cut off.
    let truncated = hits.first().is_some_and(|hit| hit.truncated);
    let page = pagination::page(
        hits,
        limit,
        |_| 0,
        |hit| SearchHit {
            id: hit.id,
            title: hit.title,
            role: hit.role,
            rank: hit.rank,
            snippet: search::snippet_html(&hit.snippet),
            updated_at: hit.updated_at,
        },
    );
    // Offsets, not keys: ranks are not unique and change as documents change.
    let next_cursor = page
        .next_cursor
        .map(|_| pagination::encode(&(offset + limit)))
        .filter(|_| offset + limit < window);
    Ok(Json(SearchPage {
        items: page.items,
        next_cursor,
        truncated,
    }))
}
