//! Request and response bodies.

use crate::domain::Role;
use crate::store::documents::{Document, Filter, Sort, Summary};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /documents`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Meeting notes", "content": "# Agenda\n\n- Budget\n"}))]
pub struct CreateRequest {
    /// 1–500 characters.
    pub title: Option<String>,
    /// Markdown, up to `documents.max_content_bytes` (default 10 MiB). Default: empty, or
    /// the template's content.
    #[serde(default)]
    pub content: Option<String>,
    /// Start from this template (a document marked as a template that you can read).
    pub template_id: Option<Uuid>,
}

/// `POST /documents/{id}/clone`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Meeting notes (copy)"}))]
pub struct CloneRequest {
    /// Title of the copy. Default: "Copy of <title>".
    pub title: Option<String>,
}

/// `PUT /documents/{id}`: send the fields that change and the version you edited (or an
/// `If-Match: "<version>"` header).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"content": "# Agenda\n\n- Budget\n- Hiring\n", "version": 1}))]
pub struct UpdateRequest {
    /// New title.
    pub title: Option<String>,
    /// New content.
    pub content: Option<String>,
    /// The version the edit is based on.
    pub version: Option<i64>,
}

/// `POST /documents/{id}/share`: name the user by `email` or `user_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "grace@example.com", "role": "write"}))]
pub struct ShareRequest {
    /// The user's email.
    pub email: Option<String>,
    /// The user's id.
    pub user_id: Option<Uuid>,
    /// `read`, `write` or `admin`.
    pub role: String,
}

/// `GET /documents` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Items per page (1–100, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `all` (default), `owned` or `shared`.
    pub filter: Option<Filter>,
    /// `updated_at` (default, newest first) or `title` (A–Z).
    pub sort: Option<Sort>,
}

/// `limit` and `cursor`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Items per page (1–100, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /documents/search` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Web-search syntax: words, `"quoted phrases"`, `OR`, `-excluded`.
    pub q: Option<String>,
    /// Results per page (1–100, default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /documents/{id}/diff` query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DiffQuery {
    /// The older version.
    pub from: Option<i64>,
    /// The newer version (default: the current one).
    pub to: Option<i64>,
}

/// A document with its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Markdown content.
    pub content: String,
    /// Content version; send it back when you update.
    pub version: i64,
    /// Owner's user id.
    pub owner_id: Uuid,
    /// Your role.
    pub role: Role,
    /// Who made the last change.
    pub last_editor_id: Uuid,
    /// Whether others can create documents from it.
    pub is_template: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl DocumentResponse {
    pub(crate) fn new(d: Document, role: Role) -> Self {
        Self {
            id: d.id,
            title: d.title,
            content: d.content,
            version: d.version,
            owner_id: d.owner_id,
            role,
            last_editor_id: d.last_editor_id,
            is_template: d.is_template,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A document in a list (no content).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentSummary {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Content version.
    pub version: i64,
    /// Owner's user id.
    pub owner_id: Uuid,
    /// Your role.
    pub role: String,
    /// Who made the last change.
    pub last_editor_id: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it went to the trash (trash listing only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<Summary> for DocumentSummary {
    fn from(s: Summary) -> Self {
        Self {
            id: s.id,
            title: s.title,
            version: s.version,
            owner_id: s.owner_id,
            role: s.role,
            last_editor_id: s.last_editor_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
            deleted_at: s.deleted_at,
        }
    }
}

/// A user with access, and what they have been doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collaborator {
    /// User id.
    pub user_id: Uuid,
    /// `owner`, `admin`, `write` or `read`.
    pub role: String,
    /// Username (null if the account no longer exists).
    pub username: Option<String>,
    /// Display name (null if the account no longer exists).
    pub display_name: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Time of their latest version.
    pub last_edit_at: Option<DateTime<Utc>>,
    /// Versions they made.
    pub edits: i64,
    /// Whether they are in a live editing session now (reported by the Collaboration Service).
    pub editing_now: bool,
}

/// `GET /documents/{id}/collaborators`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollaboratorList {
    /// Owner first, then others in the order access was granted.
    pub items: Vec<Collaborator>,
}

/// A search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// Document id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Your role.
    pub role: String,
    /// Relevance; results come best first.
    pub rank: f32,
    /// Matching fragments as safe HTML: text escaped, matches in `<mark>…</mark>`.
    pub snippet: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// The hits, best first.
    pub items: Vec<SearchHit>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// `true` when more documents matched than the ranking window holds
    /// (`documents.search_window`, default 1,000): only the most recently changed ones were
    /// ranked, and older matches are in no page. Narrow the query to reach them.
    pub truncated: bool,
}

/// A version in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    /// Version number.
    pub version: i64,
    /// Title at this version.
    pub title: String,
    /// Who made it (for a saved live session: the author of its last change).
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Everyone whose changes it holds.
    pub contributors: Vec<Uuid>,
    /// Their display names, in the order of `contributors` (`null` where the User Service
    /// could not say).
    pub contributor_names: Vec<Option<String>>,
    /// What made it: `edit` (a REST edit), `auto` (a live session's save), `explicit` (a
    /// save a participant asked for) or `restore`.
    pub kind: String,
}

/// One version with its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResponse {
    /// Version number.
    pub version: i64,
    /// Title at this version.
    pub title: String,
    /// Content at this version.
    pub content: String,
    /// Who made it.
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Unified diff against the previous version.
    pub diff: String,
    /// Everyone whose changes it holds.
    pub contributors: Vec<Uuid>,
    /// What made it.
    pub kind: String,
}

/// `GET /documents/{id}/diff`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffResponse {
    /// From version.
    pub from: i64,
    /// To version.
    pub to: i64,
    /// Unified diff.
    pub unified: String,
    /// Structured hunks.
    pub hunks: Vec<crate::diff::Hunk>,
}
