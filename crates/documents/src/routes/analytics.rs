use super::Auth;
use crate::access;
use crate::analytics::store::{self, Counts, Day};
use crate::domain::Role;
use crate::error::Result;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tandem_platform::extract::{Json, Path, Query};
use tandem_platform::{FieldError, Problem};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Days covered when `from` is not given (ending at `to`, today by default).
const DEFAULT_DAYS: i64 = 30;
/// The longest range one request may cover, in days.
const MAX_DAYS: i64 = 366;
/// How many top editors are listed.
const TOP_EDITORS: i64 = 5;

/// `GET /documents/{id}/analytics` query. Dates are UTC days, `YYYY-MM-DD`, inclusive.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AnalyticsQuery {
    /// First day. Default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day. Default: today.
    pub to: Option<String>,
}

/// Event counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// `GET /documents/{id}` calls.
    pub views: i64,
    /// Accepted changes (updates and version restores).
    pub edits: i64,
    /// Exports, in any format.
    pub exports: i64,
    /// Shares granted or changed.
    pub shares: i64,
    /// Distinct users who viewed it. Over the range: exact. For one day in `days`: the
    /// day's HyperLogLog estimate (exact for small counts, within about 1% above that).
    pub unique_viewers: i64,
}

impl Totals {
    fn new(counts: Counts, unique_viewers: i64) -> Self {
        Self {
            views: counts.views,
            edits: counts.edits,
            exports: counts.exports,
            shares: counts.shares,
            unique_viewers,
        }
    }
}

/// One user's edits in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct Editor {
    /// The user.
    pub user_id: Uuid,
    /// Their accepted changes.
    pub edits: i64,
}

/// One day's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCounts {
    /// The UTC day.
    pub day: NaiveDate,
    /// The counts.
    #[serde(flatten)]
    pub counts: Totals,
}

/// `GET /documents/{id}/analytics`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "document_id": "01964f3a-7c2e-7d31-9a4b-2f1e8c0d5a17",
    "from": "2025-03-01", "to": "2025-03-02",
    "totals": {"views": 12, "edits": 3, "exports": 1, "shares": 1, "unique_viewers": 2},
    "top_editors": [{"user_id": "01964f39-1b7a-7c55-8e02-6d4b9f3a2c81", "edits": 3}],
    "days": [
        {"day": "2025-03-01", "views": 12, "edits": 3, "exports": 1, "shares": 1, "unique_viewers": 2},
        {"day": "2025-03-02", "views": 0, "edits": 0, "exports": 0, "shares": 0, "unique_viewers": 0}
    ]
}))]
pub struct AnalyticsResponse {
    /// The document.
    pub document_id: Uuid,
    /// First day covered.
    pub from: NaiveDate,
    /// Last day covered.
    pub to: NaiveDate,
    /// Sums over the range.
    pub totals: Totals,
    /// Up to five users with the most edits in the range, most first.
    pub top_editors: Vec<Editor>,
    /// Every day of the range, oldest first, days without events included as zeros.
    pub days: Vec<DayCounts>,
}

/// Usage of a document: views, edits, exports, shares and unique viewers (owner or admin).
///
/// Events are buffered and written in batches, so figures lag by up to
/// `documents.analytics_flush_secs` (default 10 s). Ranges are inclusive UTC days, at most
/// 366; the default is the last 30 days.
#[utoipa::path(
    get, path = "/documents/{id}/analytics", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), AnalyticsQuery),
    responses(
        (status = 200, description = "The document's usage over the range", body = AnalyticsResponse),
        (status = 400, description = "`from` or `to` is not a date like 2025-03-01", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` is after `to`, or the range is longer than 366 days", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn analytics(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Json<AnalyticsResponse>> {
    access::authorize(&state, id, auth.user(), Role::Admin).await?;
    let (from, to) = range(&query, chrono::Utc::now().date_naive())?;
    let db = &state.platform.db;
    let (rows, unique_viewers, editors) = tokio::try_join!(
        store::days(db, id, from, to),
        store::distinct_viewers(db, id, from, to),
        store::top_editors(db, id, from, to, TOP_EDITORS),
    )?;
    let mut totals = Counts::default();
    for row in &rows {
        totals.views += row.counts.views;
        totals.edits += row.counts.edits;
        totals.exports += row.counts.exports;
        totals.shares += row.counts.shares;
    }
    Ok(Json(AnalyticsResponse {
        document_id: id,
        from,
        to,
        totals: Totals::new(totals, unique_viewers),
        top_editors: editors
            .into_iter()
            .map(|(user_id, edits)| Editor { user_id, edits })
            .collect(),
        days: every_day(from, to, rows),
    }))
}

/// The validated range: bad dates are a 400 naming them, a wrong range a 422.
fn range(query: &AnalyticsQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate)> {
    let mut errors = Vec::new();
    let mut parse = |field: &str, raw: &Option<String>| {
        let raw = raw.as_deref()?;
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .inspect_err(|_| {
                errors.push(FieldError::new(
                    field,
                    "must be a date like 2025-03-01 (YYYY-MM-DD)",
                ));
            })
            .ok()
    };
    let from = parse("from", &query.from);
    let to = parse("to", &query.to);
    if !errors.is_empty() {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "The query string is not valid",
        )
        .detail(detail)
        .errors(errors)
        .into());
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - chrono::Duration::days(DEFAULT_DAYS - 1));
    if from > to {
        return Err(Problem::invalid_field("from", "must not be after `to`").into());
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(Problem::invalid_field(
            "to",
            format!("the range may cover at most {MAX_DAYS} days"),
        )
        .into());
    }
    Ok((from, to))
}

/// `rows` (sorted by day) with a zero entry for every missing day of the range.
fn every_day(from: NaiveDate, to: NaiveDate, rows: Vec<Day>) -> Vec<DayCounts> {
    let mut rows = rows.into_iter().peekable();
    from.iter_days()
        .take_while(|day| *day <= to)
        .map(|day| match rows.next_if(|row| row.day == day) {
            Some(row) => DayCounts {
                day,
                counts: Totals::new(row.counts, row.unique_viewers),
            },
            None => DayCounts {
                day,
                counts: Totals::new(Counts::default(), 0),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: Option<&str>, to: Option<&str>) -> AnalyticsQuery {
        AnalyticsQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_range_is_the_last_30_days() {
        let range = range(&query(None, None), date("2025-03-31")).unwrap();
        assert_eq!(range, (date("2025-03-02"), date("2025-03-31")));
    }

    #[test]
    fn a_range_of_366_days_is_allowed_and_367_is_not() {
        let today = date("2030-01-01");
        assert!(range(&query(Some("2024-01-01"), Some("2024-12-31")), today).is_ok());
        assert!(range(&query(Some("2023-01-01"), Some("2024-01-02")), today).is_err());
    }

    #[test]
    fn every_day_fills_the_gaps_with_zeros() {
        let rows = vec![Day {
            day: date("2025-03-02"),
            counts: Counts {
                views: 4,
                ..Counts::default()
            },
            unique_viewers: 2,
        }];
        let days = every_day(date("2025-03-01"), date("2025-03-03"), rows);
        let views: Vec<_> = days.iter().map(|d| d.counts.views).collect();
        assert_eq!(views, [0, 4, 0]);
        assert_eq!(days[2].day, date("2025-03-03"));
    }
}
