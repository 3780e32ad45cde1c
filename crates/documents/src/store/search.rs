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
}

/// Marks the start of a match in a snippet (escaped and replaced before leaving the service).
pub const START: char = '\u{2}';
/// Marks the end of a match in a snippet.
pub const STOP: char = '\u{3}';

/// Ranked hits of `query` (web-search syntax: `"phrases"`, `OR`, `-word`) among the
/// documents `user_id` can read, `offset` hits in.
///
/// The candidate set is the user's documents (owner index ∪ permission index) intersected
/// with the GIN match; headlines, the costly part, are computed for the page only.
pub async fn search(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    query: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Hit>> {
    sqlx::query_as(
        "WITH access AS (
             SELECT id, 'owner' AS role FROM documents.documents
             WHERE owner_id = $1 AND deleted_at IS NULL
             UNION ALL
             SELECT document_id, role FROM documents.permissions WHERE user_id = $1
         ),
         ranked AS (
             -- Rank from the stored tsvector only: reading `content` (TOASTed, kilobytes
             -- per row) for every match was most of the cost (bench/documents.sh).
             SELECT d.id, access.role,
                    ts_rank_cd(d.search, websearch_to_tsquery('english', $2)) AS rank
             FROM access
             JOIN documents.documents d ON d.id = access.id
             WHERE d.search @@ websearch_to_tsquery('english', $2) AND d.deleted_at IS NULL
             ORDER BY rank DESC, d.id
             LIMIT $3 OFFSET $4
         )
         SELECT d.id, d.title, d.updated_at, ranked.role, ranked.rank,
                ts_headline('english', d.content, websearch_to_tsquery('english', $2),
                    'StartSel=\"\u{2}\", StopSel=\"\u{3}\", MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=\" … \"')
                    AS snippet
         FROM ranked JOIN documents.documents d ON d.id = ranked.id
         ORDER BY ranked.rank DESC, ranked.id",
    )
    .bind(user_id)
    .bind(query)
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
