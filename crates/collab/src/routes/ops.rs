use super::{AppState, require_reader};
use crate::error::Result;
use crate::store::log;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_platform::auth::Caller;
use tandem_platform::extract::{Json, Path, Query};
use tandem_platform::{FieldError, Problem};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Most ops per page.
const PAGE: u64 = 1000;

/// `GET /collab/{id}/ops` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OpsQuery {
    /// First revision (default, and at least: the oldest kept).
    pub from: Option<u64>,
    /// Last revision (default: the head; at most `from + 999`).
    pub to: Option<u64>,
}

/// A committed op.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpItem {
    /// The revision it produced.
    pub revision: u64,
    /// The op (ot.js wire format), applying to `revision - 1`.
    #[schema(value_type = Vec<Object>, example = json!([5, "abc", -3]))]
    pub operation: tandem_ot::Operation,
    /// Its author.
    pub user_id: Uuid,
    /// When it was committed.
    pub committed_at: DateTime<Utc>,
    /// `edit`, or `undo` / `redo` when it undid (or redid) its author's step.
    #[schema(value_type = String, example = "edit")]
    pub kind: crate::document::undo::Kind,
}

/// A page of the op log.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpPage {
    /// The ops, in revision order.
    pub items: Vec<OpItem>,
    /// The document's head revision.
    pub head: u64,
    /// The oldest revision the log still holds (`null`: none).
    pub oldest: Option<u64>,
    /// `from` for the next page, if there is more.
    pub next_from: Option<u64>,
}

/// The committed ops of the document, with revision, author and time, from the op window
/// (readers of the document).
#[utoipa::path(
    get, path = "/collab/{id}/ops", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), OpsQuery),
    responses(
        (status = 200, description = "A page of ops", body = OpPage),
        (status = 400, description = "`from` after `to`", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The op log (`storage_unavailable`) or the Document Service (`document_service_unavailable`) cannot be reached", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<OpsQuery>,
) -> Result<Json<OpPage>> {
    require_reader(&state, id, caller.user_id).await?;
    let db = &state.hub.platform.db;
    let head = log::head(db, id).await?.map_or(0, |h| h.revision);
    let oldest = log::oldest_op(db, id).await?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(
            Problem::bad_request("invalid_query", "from: must not be after `to`")
                .errors(vec![FieldError::new("from", "must not be after `to`")])
                .into(),
        );
    }
    // Revisions before the window are gone: a page starts at the oldest one kept, so a
    // `from` from long ago does not page through empty ranges.
    let from = query.from.unwrap_or(1).max(oldest.unwrap_or(1)).max(1);
    let to = query.to.unwrap_or(head).min(head);
    let last = to.min(from.saturating_add(PAGE - 1));
    let entries = if from <= last {
        log::ops(db, id, from, last).await?
    } else {
        Vec::new()
    };
    let next_from = (last < to).then_some(last + 1);
    Ok(Json(OpPage {
        items: entries
            .into_iter()
            .map(|e| OpItem {
                revision: e.revision,
                operation: e.op,
                user_id: e.author.user_id,
                committed_at: e.committed_at,
                kind: e.kind,
            })
            .collect(),
        head,
        oldest,
        next_from,
    }))
}
