//! The other services, seen from collab: the Document Service's internal endpoints (with the
//! service token) and the User Service's lookups (with the joining user's own token).

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tandem_platform::internal::ServiceToken;
use uuid::Uuid;

/// A role on a document, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees and follows, sends cursors.
    Read,
    /// Edits.
    Write,
    /// Edits and manages.
    Admin,
    /// Owns.
    Owner,
}

impl Role {
    /// Whether the role may send changes.
    pub fn can_write(self) -> bool {
        self >= Role::Write
    }

    /// As the protocol spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

/// A user's access to a document.
#[derive(Debug, Clone, Deserialize)]
pub struct Access {
    /// Their role.
    pub role: Role,
    /// The title.
    pub title: String,
    /// The current version.
    pub version: i64,
}

/// A document's content and version.
#[derive(Debug, Clone, Deserialize)]
pub struct Loaded {
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Current version.
    pub version: i64,
    /// Who made the last change.
    pub last_editor_id: Uuid,
}

/// A save to make.
#[derive(Debug, Clone, Serialize)]
pub struct Save {
    /// The version last saved or loaded.
    pub base_version: i64,
    /// The text.
    pub content: String,
    /// Whose ops it holds.
    pub contributors: Vec<Uuid>,
    /// The last op's author.
    pub last_editor_id: Uuid,
    /// The last op's time.
    pub edited_at: chrono::DateTime<chrono::Utc>,
    /// Asked for by a participant.
    pub explicit: bool,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Saved as this version.
    Version {
        /// The version.
        version: i64,
        /// When.
        saved_at: chrono::DateTime<chrono::Utc>,
    },
    /// The document moved past the base version: merge first.
    Conflict,
    /// The document is gone (trash or deleted).
    Gone,
}

#[derive(Deserialize)]
struct SaveResponse {
    version: i64,
    saved_at: chrono::DateTime<chrono::Utc>,
}

/// Calls in flight to another service at once, per instance: a reconnect storm of
/// thousands of sockets must not become thousands of simultaneous requests (and their
/// buffers) against the Document Service.
const CONCURRENT_CALLS: usize = 32;

/// The Document Service's internal endpoints.
#[derive(Debug, Clone)]
pub struct Documents {
    base: url::Url,
    http: reqwest::Client,
    token: ServiceToken,
    calls: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Documents {
    /// A client for the Document Service at `base`.
    pub fn new(base: url::Url, token: ServiceToken) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                // A burst of calls must not leave thousands of idle connections behind.
                .pool_max_idle_per_host(16)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            token,
            calls: std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CALLS)),
        }
    }

    async fn slot(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.calls
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        let url = self
            .base
            .join(path)
            .context("building a Document Service URL")?;
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose()))
    }

    /// `user_id`'s access to `document`, or `None` if they have none (or it is gone).
    pub async fn access(&self, document: Uuid, user_id: Uuid) -> anyhow::Result<Option<Access>> {
        let _slot = self.slot().await;
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("internal/documents/{document}/access/{user_id}"),
            )?
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .context("asking the Document Service for a role")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => Ok(Some(response.json().await?)),
            status => anyhow::bail!("the Document Service answered {status}"),
        }
    }

    /// `document` with its content, or `None` if it is gone.
    pub async fn load(&self, document: Uuid) -> anyhow::Result<Option<Loaded>> {
        let _slot = self.slot().await;
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("internal/documents/{document}"),
            )?
            .send()
            .await
            .context("loading a document from the Document Service")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => Ok(Some(response.json().await?)),
            status => anyhow::bail!("the Document Service answered {status}"),
        }
    }

    /// Saves `save` as a new version of `document`.
    pub async fn save(&self, document: Uuid, save: &Save) -> anyhow::Result<Saved> {
        let _slot = self.slot().await;
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("internal/documents/{document}/saves"),
            )?
            .json(save)
            .send()
            .await
            .context("saving into the Document Service")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(Saved::Gone),
            reqwest::StatusCode::CONFLICT => Ok(Saved::Conflict),
            status if status.is_success() => {
                let saved: SaveResponse = response.json().await?;
                Ok(Saved::Version {
                    version: saved.version,
                    saved_at: saved.saved_at,
                })
            }
            status => anyhow::bail!("the Document Service answered {status}"),
        }
    }
}

/// How long a display name is reused before it is asked for again.
const NAME_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The User Service's lookups.
#[derive(Debug, Clone)]
pub struct Users {
    base: url::Url,
    http: reqwest::Client,
    calls: std::sync::Arc<tokio::sync::Semaphore>,
    /// Display names by user, with when they were fetched: a user opening many documents
    /// (or many tabs) is looked up once a minute, not once per socket.
    names: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<Uuid, (String, std::time::Instant)>>,
    >,
}

#[derive(Deserialize)]
struct PublicUser {
    display_name: String,
}

impl Users {
    /// A client for the User Service at `base`.
    pub fn new(base: url::Url) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                // A burst of calls must not leave thousands of idle connections behind.
                .pool_max_idle_per_host(16)
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            calls: std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CALLS)),
            names: std::sync::Arc::default(),
        }
    }

    /// `user_id`'s display name, asked with their own (just verified) token.
    pub async fn display_name(&self, user_id: Uuid, token: &str) -> anyhow::Result<Option<String>> {
        let cached = {
            let names = self
                .names
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            names
                .get(&user_id)
                .filter(|(_, at)| at.elapsed() < NAME_TTL)
                .map(|(name, _)| name.clone())
        };
        if cached.is_some() {
            return Ok(cached);
        }
        let name = self.fetch_display_name(user_id, token).await?;
        if let Some(name) = &name {
            let mut names = self
                .names
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if names.len() > 100_000 {
                names.clear();
            }
            names.insert(user_id, (name.clone(), std::time::Instant::now()));
        }
        Ok(name)
    }

    async fn fetch_display_name(
        &self,
        user_id: Uuid,
        token: &str,
    ) -> anyhow::Result<Option<String>> {
        let _slot = self
            .calls
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let url = self
            .base
            .join(&format!("users/{user_id}"))
            .context("building a User Service URL")?;
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .context("asking the User Service for a display name")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => {
                Ok(Some(response.json::<PublicUser>().await?.display_name))
            }
            status => anyhow::bail!("the User Service answered {status}"),
        }
    }
}
