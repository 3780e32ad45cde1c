//! The Collaboration Service, seen from the Document Service: handing it REST edits of
//! documents in a live session, and asking who is editing. Authenticated with the service
//! token, never a user's.

use anyhow::Context;
use serde::Deserialize;
use std::time::Duration;
use tandem_platform::internal::ServiceToken;
use uuid::Uuid;

/// What the Collaboration Service did with a REST edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// No session is live: save it here as usual.
    NoSession,
    /// Merged into the live session and saved as `version`.
    Merged {
        /// The version holding the merged text.
        version: i64,
    },
    /// Based on a version older than the op window: it cannot be merged.
    TooOld,
}

/// A client of the Collaboration Service's internal endpoints.
#[derive(Debug, Clone)]
pub struct Collab {
    base: url::Url,
    http: reqwest::Client,
    token: ServiceToken,
}

#[derive(Deserialize)]
struct Merged {
    version: i64,
}

#[derive(Deserialize)]
struct Participants {
    items: Vec<Participant>,
}

#[derive(Deserialize)]
struct Participant {
    user_id: Uuid,
}

impl Collab {
    /// A client for the Collaboration Service at `base`.
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
        }
    }

    fn url(&self, path: &str) -> anyhow::Result<url::Url> {
        self.base.join(path).context("building a collab URL")
    }

    /// Hands `user_id`'s edit of `document` (based on `base_version`) to a live session.
    pub async fn edit(
        &self,
        document: Uuid,
        user_id: Uuid,
        base_version: i64,
        content: &str,
    ) -> anyhow::Result<Edit> {
        let url = self.url(&format!("internal/collab/documents/{document}/edits"))?;
        let response = self
            .http
            .post(url)
            .bearer_auth(self.token.expose())
            .json(&serde_json::json!({
                "user_id": user_id, "base_version": base_version, "content": content,
            }))
            .send()
            .await
            .context("calling the Collaboration Service")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(Edit::NoSession),
            reqwest::StatusCode::CONFLICT => Ok(Edit::TooOld),
            status if status.is_success() => {
                let merged: Merged = response.json().await?;
                Ok(Edit::Merged {
                    version: merged.version,
                })
            }
            status => anyhow::bail!("the Collaboration Service answered {status}"),
        }
    }

    /// Who is in `document`'s live session now.
    pub async fn editing_now(&self, document: Uuid) -> anyhow::Result<Vec<Uuid>> {
        let url = self.url(&format!(
            "internal/collab/documents/{document}/participants"
        ))?;
        let response = self
            .http
            .get(url)
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .context("calling the Collaboration Service")?;
        if !response.status().is_success() {
            anyhow::bail!("the Collaboration Service answered {}", response.status());
        }
        let list: Participants = response.json().await?;
        Ok(list.items.into_iter().map(|p| p.user_id).collect())
    }
}
