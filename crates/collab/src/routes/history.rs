//! The live history (timeslider) and authorship: read from the durable op log, so any
//! instance answers for any document, open or not.

use super::{AppState, require_reader};
use crate::document::authorship::Runs;
use crate::error::Result;
use crate::store::log;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_platform::Problem;
use tandem_platform::auth::Caller;
use tandem_platform::extract::{Json, Path, Query};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A pause longer than this between two ops starts a new editing burst.
const BURST_GAP_SECS: i64 = 10;

/// The timeline covers at most this many of the newest ops.
const TIMELINE_OPS: u64 = 20_000;

/// `?revision=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RevisionQuery {
    /// A revision still in the op window (default: the timeline, or the head).
    pub revision: Option<u64>,
}

/// Someone named in a history or authorship answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorInfo {
    /// The user.
    pub user_id: Uuid,
    /// Their display name (`null` if the User Service does not know it now).
    pub display_name: Option<String>,
    /// Their colour, `#rrggbb`, as in the live session.
    pub color: String,
}

/// A run of ops with no pause longer than 10 s between them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Burst {
    /// Its first revision.
    pub from: u64,
    /// Its last revision.
    pub to: u64,
    /// When its first op committed.
    pub started_at: DateTime<Utc>,
    /// When its last op committed.
    pub ended_at: DateTime<Utc>,
    /// How many ops.
    pub ops: u64,
    /// Who made them, in order of first op.
    pub authors: Vec<Uuid>,
}

/// What a slider over the document's history needs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"head": 42, "oldest": 1, "bursts": [{"from": 1, "to": 42, "started_at": "2026-12-01T10:00:00Z", "ended_at": "2026-12-01T10:03:10Z", "ops": 42, "authors": ["01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90"]}], "authors": [{"user_id": "01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90", "display_name": "Grace Hopper", "color": "#1e88e5"}]}))]
pub struct Timeline {
    /// The head revision.
    pub head: u64,
    /// The oldest revision whose text can still be read (`null`: no ops kept).
    pub oldest: Option<u64>,
    /// The editing bursts, oldest first.
    pub bursts: Vec<Burst>,
    /// Everyone named in `bursts`.
    pub authors: Vec<AuthorInfo>,
}

/// The text at one revision.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"revision": 7, "content": "# Plan\n", "user_id": "01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90", "committed_at": "2026-12-01T10:00:04Z"}))]
pub struct TextAt {
    /// The revision.
    pub revision: u64,
    /// The text at it.
    pub content: String,
    /// Who made the op that produced it (`null` for the first revision kept).
    pub user_id: Option<Uuid>,
    /// When that op committed.
    pub committed_at: Option<DateTime<Utc>>,
}

/// `GET /collab/{id}/history`: the timeline, or with `?revision=` the text at it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum History {
    /// Without `revision`.
    Timeline(Timeline),
    /// With `revision`.
    Text(TextAt),
}

/// Who wrote which part of the text.
#[derive(Debug, Serialize, ToSchema)]
pub struct Span {
    /// First code point.
    pub start: usize,
    /// One past the last code point.
    pub end: usize,
    /// The author (`null`: the text is older than the op window).
    pub user_id: Option<Uuid>,
}

/// The text's authors at a revision.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"revision": 42, "spans": [{"start": 0, "end": 6, "user_id": null}, {"start": 6, "end": 17, "user_id": "01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90"}], "authors": [{"user_id": "01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90", "display_name": "Grace Hopper", "color": "#1e88e5"}]}))]
pub struct Authorship {
    /// The revision described.
    pub revision: u64,
    /// Consecutive spans covering the whole text, in code points.
    pub spans: Vec<Span>,
    /// Everyone named in `spans`.
    pub authors: Vec<AuthorInfo>,
}

/// The document's live history: without `revision`, a timeline of its ops grouped into
/// editing bursts (for a slider); with `revision`, the text at that revision. Readers of
/// the document.
#[utoipa::path(
    get, path = "/collab/{id}/history", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), RevisionQuery),
    responses(
        (status = 200, description = "The timeline, or the text at `revision`", body = History),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`revision` is older than the op window (`revision_gone`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`revision` is after the head", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The op log or the Document Service cannot be reached", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn history(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(query): Query<RevisionQuery>,
) -> Result<Json<History>> {
    require_reader(&state, id, caller.user_id).await?;
    let db = &state.hub.platform.db;
    let head = log::head(db, id).await?.map_or(0, |h| h.revision);
    if let Some(revision) = query.revision {
        check_revision(revision, head)?;
        let content = log::text_at(db, id, revision)
            .await?
            .ok_or_else(|| gone(revision))?;
        let op = if revision > 0 {
            log::ops(db, id, revision, revision).await?.pop()
        } else {
            None
        };
        return Ok(Json(History::Text(TextAt {
            revision,
            content,
            user_id: op.as_ref().map(|e| e.author.user_id),
            committed_at: op.map(|e| e.committed_at),
        })));
    }
    let marks = log::marks(db, id, TIMELINE_OPS).await?;
    let oldest = log::oldest_readable(db, id).await?;
    let bursts = bursts(&marks);
    let mut users: Vec<Uuid> = Vec::new();
    for user in bursts.iter().flat_map(|b| b.authors.iter()) {
        if !users.contains(user) {
            users.push(*user);
        }
    }
    let authors = describe(&state, &headers, &users).await;
    Ok(Json(History::Timeline(Timeline {
        head,
        oldest,
        bursts,
        authors,
    })))
}

/// Who wrote each part of the text at the head (or at `revision`), as spans with the
/// authors' names and colours. Readers of the document.
#[utoipa::path(
    get, path = "/collab/{id}/authorship", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), RevisionQuery),
    responses(
        (status = 200, description = "The authors", body = Authorship),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`revision` is older than the op window (`revision_gone`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`revision` is after the head", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The op log or the Document Service cannot be reached", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn authorship(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(query): Query<RevisionQuery>,
) -> Result<Json<Authorship>> {
    require_reader(&state, id, caller.user_id).await?;
    let db = &state.hub.platform.db;
    let head = log::head(db, id).await?.map_or(0, |h| h.revision);
    let revision = query.revision.unwrap_or(head);
    check_revision(revision, head)?;
    let (_, runs) = log::authorship_at(db, id, revision)
        .await?
        .ok_or_else(|| gone(revision))?;
    let users: Vec<Uuid> = runs.users().into_iter().filter(|u| !u.is_nil()).collect();
    let authors = describe(&state, &headers, &users).await;
    Ok(Json(Authorship {
        revision,
        spans: spans(&runs),
        authors,
    }))
}

fn spans(runs: &Runs) -> Vec<Span> {
    runs.spans()
        .map(|(start, end, user)| Span {
            start,
            end,
            user_id: (!user.is_nil()).then_some(user),
        })
        .collect()
}

fn check_revision(revision: u64, head: u64) -> Result<()> {
    if revision > head {
        return Err(Problem::invalid_field(
            "revision",
            format!("revision {revision} is after the document's head revision {head}"),
        )
        .into());
    }
    Ok(())
}

fn gone(revision: u64) -> crate::error::Error {
    Problem::new(StatusCode::GONE, "revision_gone", "Gone")
        .detail(format!(
            "Revision {revision} is older than the op window kept; GET /collab/{{id}}/history gives the oldest revision still readable."
        ))
        .into()
}

/// Groups ops into bursts separated by pauses of more than [`BURST_GAP_SECS`].
fn bursts(marks: &[log::Mark]) -> Vec<Burst> {
    let mut bursts: Vec<Burst> = Vec::new();
    for mark in marks {
        match bursts.last_mut() {
            Some(burst)
                if (mark.committed_at - burst.ended_at).num_seconds() <= BURST_GAP_SECS
                    && mark.revision == burst.to + 1 =>
            {
                burst.to = mark.revision;
                burst.ended_at = mark.committed_at;
                burst.ops += 1;
                if !burst.authors.contains(&mark.user_id) {
                    burst.authors.push(mark.user_id);
                }
            }
            _ => bursts.push(Burst {
                from: mark.revision,
                to: mark.revision,
                started_at: mark.committed_at,
                ended_at: mark.committed_at,
                ops: 1,
                authors: vec![mark.user_id],
            }),
        }
    }
    bursts
}

/// Names and colours of `users`, asked of the User Service with the caller's token.
async fn describe(state: &AppState, headers: &HeaderMap, users: &[Uuid]) -> Vec<AuthorInfo> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let display_name = if user.is_nil() {
            None
        } else {
            state
                .hub
                .users
                .display_name(*user, token)
                .await
                .ok()
                .flatten()
        };
        out.push(AuthorInfo {
            user_id: *user,
            display_name,
            color: crate::presence::color(*user).to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_of_more_than_ten_seconds_starts_a_new_burst() {
        let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let (ada, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mark = |revision, secs, user_id| log::Mark {
            revision,
            user_id,
            committed_at: t0 + chrono::Duration::seconds(secs),
        };
        let marks = [
            mark(1, 0, ada),
            mark(2, 5, bob),
            mark(3, 15, ada),
            mark(4, 40, bob),
        ];
        let bursts = bursts(&marks);
        assert_eq!(bursts.len(), 2);
        assert_eq!((bursts[0].from, bursts[0].to, bursts[0].ops), (1, 3, 3));
        assert_eq!(bursts[0].authors, vec![ada, bob]);
        assert_eq!((bursts[1].from, bursts[1].to), (4, 4));
    }
}
