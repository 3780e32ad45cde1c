//! The User Service, seen from the Document Service: user lookups over its REST API
//! (never its schema), authenticated with the caller's own token.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's public fields, as the User Service returns them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PublicUser {
    /// Id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

/// A client of the User Service's lookup endpoints.
#[derive(Debug, Clone)]
pub struct Users {
    base: url::Url,
    http: reqwest::Client,
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
        }
    }

    async fn get(&self, path_and_query: &str, token: &str) -> anyhow::Result<Option<PublicUser>> {
        let url = self
            .base
            .join(path_and_query)
            .context("building the lookup URL")?;
        let mut request = self.http.get(url).bearer_auth(token);
        if let Some(id) = tandem_platform::problem::current_request_id() {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.context("calling the User Service")?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND | reqwest::StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
            status if status.is_success() => Ok(Some(response.json().await?)),
            status => anyhow::bail!("the User Service answered {status}"),
        }
    }

    /// The user with `id`, if there is one.
    pub async fn by_id(&self, id: Uuid, token: &str) -> anyhow::Result<Option<PublicUser>> {
        self.get(&format!("users/{id}"), token).await
    }

    /// The user with `email`, if there is one.
    pub async fn by_email(&self, email: &str, token: &str) -> anyhow::Result<Option<PublicUser>> {
        let mut url = self.base.join("users").context("building the lookup URL")?;
        url.query_pairs_mut().append_pair("email", email);
        let query = format!("users?{}", url.query().unwrap_or_default());
        self.get(&query, token).await
    }

    /// Several users at once (missing ones are left out). Lookups run concurrently.
    pub async fn many(&self, ids: &[Uuid], token: &str) -> anyhow::Result<Vec<PublicUser>> {
        let lookups = ids.iter().map(|id| self.by_id(*id, token));
        let results = futures::future::try_join_all(lookups).await?;
        Ok(results.into_iter().flatten().collect())
    }
}
