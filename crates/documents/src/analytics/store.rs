//! `documents.analytics_daily`, `documents.analytics_user_daily` and
//! `documents.analytics_flushes`.

use chrono::NaiveDate;
use sqlx::PgExecutor;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Event counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Counts {
    pub views: i64,
    pub edits: i64,
    pub exports: i64,
    pub shares: i64,
}

/// One day of one document.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Day {
    pub day: NaiveDate,
    #[sqlx(flatten)]
    pub counts: Counts,
    pub unique_viewers: i64,
}

/// Records that `batch` is applied; false if it already was (then apply nothing).
pub(crate) async fn mark_applied(db: impl PgExecutor<'_>, batch: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO documents.analytics_flushes (batch_id) VALUES ($1) ON CONFLICT DO NOTHING",
    )
    .bind(batch)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets applied batches older than a day: by then no instance retries them.
pub(crate) async fn prune_flushes(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM documents.analytics_flushes WHERE flushed_at < now() - interval '1 day'",
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Adds per-day counts and raises the days' unique viewers to the given estimates.
/// Documents deleted in the meantime are skipped. Rows are in key order, so concurrent
/// flushes lock them in the same order.
pub(crate) async fn add_daily(
    db: impl PgExecutor<'_>,
    rows: &[((Uuid, NaiveDate), Counts, i64)],
) -> sqlx::Result<()> {
    let mut columns = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for &((document, day), c, unique) in rows {
        columns.0.push(document);
        columns.1.push(day);
        columns.2.push(c.views);
        columns.3.push(c.edits);
        columns.4.push(c.exports);
        columns.5.push(c.shares);
        columns.6.push(unique);
    }
    sqlx::query(
        "INSERT INTO documents.analytics_daily AS a
             (document_id, day, views, edits, exports, shares, unique_viewers)
         SELECT u.* FROM UNNEST($1::uuid[], $2::date[], $3::int8[], $4::int8[], $5::int8[],
                                $6::int8[], $7::int8[])
             AS u (document_id, day, views, edits, exports, shares, unique_viewers)
         WHERE EXISTS (SELECT 1 FROM documents.documents d WHERE d.id = u.document_id)
         ON CONFLICT (document_id, day) DO UPDATE SET
             views = a.views + EXCLUDED.views,
             edits = a.edits + EXCLUDED.edits,
             exports = a.exports + EXCLUDED.exports,
             shares = a.shares + EXCLUDED.shares,
             unique_viewers = GREATEST(a.unique_viewers, EXCLUDED.unique_viewers)",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .bind(columns.4)
    .bind(columns.5)
    .bind(columns.6)
    .execute(db)
    .await?;
    Ok(())
}

/// Adds per-user counts. Documents deleted in the meantime are skipped.
pub(crate) async fn add_user_daily(
    db: impl PgExecutor<'_>,
    rows: &BTreeMap<(Uuid, NaiveDate, Uuid), Counts>,
) -> sqlx::Result<()> {
    let mut columns = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (&(document, day, user), c) in rows {
        columns.0.push(document);
        columns.1.push(day);
        columns.2.push(user);
        columns.3.push(c.views);
        columns.4.push(c.edits);
        columns.5.push(c.exports);
        columns.6.push(c.shares);
    }
    sqlx::query(
        "INSERT INTO documents.analytics_user_daily AS a
             (document_id, day, user_id, views, edits, exports, shares)
         SELECT u.* FROM UNNEST($1::uuid[], $2::date[], $3::uuid[], $4::int8[], $5::int8[],
                                $6::int8[], $7::int8[])
             AS u (document_id, day, user_id, views, edits, exports, shares)
         WHERE EXISTS (SELECT 1 FROM documents.documents d WHERE d.id = u.document_id)
         ON CONFLICT (document_id, day, user_id) DO UPDATE SET
             views = a.views + EXCLUDED.views,
             edits = a.edits + EXCLUDED.edits,
             exports = a.exports + EXCLUDED.exports,
             shares = a.shares + EXCLUDED.shares",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .bind(columns.4)
    .bind(columns.5)
    .bind(columns.6)
    .execute(db)
    .await?;
    Ok(())
}

/// The days of `document` between `from` and `to` (inclusive) that have a row, in order.
pub(crate) async fn days(
    db: impl PgExecutor<'_>,
    document: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<Day>> {
    sqlx::query_as(
        "SELECT day, views, edits, exports, shares, unique_viewers
         FROM documents.analytics_daily
         WHERE document_id = $1 AND day BETWEEN $2 AND $3
         ORDER BY day",
    )
    .bind(document)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// Distinct users who viewed `document` between `from` and `to`: exact, from the per-user rows.
pub(crate) async fn distinct_viewers(
    db: impl PgExecutor<'_>,
    document: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT count(DISTINCT user_id) FROM documents.analytics_user_daily
         WHERE document_id = $1 AND day BETWEEN $2 AND $3 AND views > 0",
    )
    .bind(document)
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// The `limit` users with the most edits between `from` and `to`, most first.
pub(crate) async fn top_editors(
    db: impl PgExecutor<'_>,
    document: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(
        "SELECT user_id, sum(edits)::int8 AS edits FROM documents.analytics_user_daily
         WHERE document_id = $1 AND day BETWEEN $2 AND $3 AND edits > 0
         GROUP BY user_id
         ORDER BY edits DESC, user_id
         LIMIT $4",
    )
    .bind(document)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await
}
