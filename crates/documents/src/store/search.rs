//! Full-text search over the documents a user can read.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A search hit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    /// Document id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The caller's role.
    pub role: String,
    /// Relevance (higher is better); title matches weigh more than content matches.
    pub rank: f32,
    /// Matching fragments; matches are wrapped in U+0002 … U+0003.
    pub snippet: String,
    /// More documents matched than the window holds (the same on every row).
    pub truncated: bool,
}

/// Marks the start of a match in a snippet (escaped and replaced before leaving the service).
pub const START: char = '\u{2}';
/// Marks the end of a match in a snippet.
pub const STOP: char = '\u{3}';

/// Ranked hits of `query` (web-search syntax: `"phrases"`, `OR`, `-word`) among the
/// documents `user_id` can read, `offset` hits in.
///
/// Two phases, so the cost has a bound however common the words are:
/// 1. **Match**: the GIN index over `(readers, search)` yields exactly the caller's
///    matching documents (never other users'), and of those the `window` most recently
///    changed are kept. Only index entries and small heap columns are read here.
/// 2. **Rank**: `ts_rank_cd` (title weighted above content) orders that window, and
///    headlines, the costliest part, are computed for the requested page only.
///
/// A query matching more than `window` documents therefore ranks the most recent `window`
/// of them and never returns older ones: results end there, as they do in most search
/// APIs. Ranking every match cost up to half a second at 10,000 matches (bench/documents.sh).
pub async fn search(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    query: &str,
    window: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Hit>> {
    sqlx::query_as(
        "WITH matched AS (
             -- One past the window, to tell whether the window cut anything off.
             SELECT d.id, d.updated_at
             FROM documents.documents d
             WHERE d.readers @> ARRAY[$1::uuid] AND d.deleted_at IS NULL
               AND d.search @@ websearch_to_tsquery('english', $2)
             ORDER BY d.updated_at DESC, d.id DESC
             LIMIT $3 + 1
         ),
         windowed AS (
             SELECT id FROM matched ORDER BY updated_at DESC, id DESC LIMIT $3
         ),
         -- Joined again rather than carried through the sort above: the tsvector lives in
         -- the row (migration 0005), and copying thousands of them through a sort cost more
         -- than a thousand primary-key lookups.
         ranked AS (
             SELECT d.id, ts_rank_cd(d.search, websearch_to_tsquery('english', $2)) AS rank
             FROM windowed JOIN documents.documents d ON d.id = windowed.id
             ORDER BY rank DESC, d.id
             LIMIT $4 OFFSET $5
         )
         SELECT d.id, d.title, d.updated_at, ranked.rank,
                (SELECT count(*) FROM matched) > $3 AS truncated,
                CASE WHEN d.owner_id = $1 THEN 'owner' ELSE p.role END AS role,
                ts_headline('english', d.content, websearch_to_tsquery('english', $2),
                    'StartSel=\"\u{2}\", StopSel=\"\u{3}\", MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=\" … \"')
                    AS snippet
         FROM ranked
         JOIN documents.documents d ON d.id = ranked.id
         LEFT JOIN documents.permissions p ON p.document_id = d.id AND p.user_id = $1
         ORDER BY ranked.rank DESC, ranked.id",
    )
    .bind(user_id)
    .bind(query)
    .bind(window)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Turns a snippet into safe HTML: the document's text escaped, matches in `<mark>`.
pub fn snippet_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            START => out.push_str("<mark>"),
            STOP => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippets_escape_the_text_but_keep_the_marks() {
        let raw = "say \u{2}hello\u{3} <script>alert(1)</script>";
        assert_eq!(
            super::snippet_html(raw),
            "say <mark>hello</mark> &lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }
}
