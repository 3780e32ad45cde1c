//! Setting the stage over REST: a user, their token, and fresh documents.

use anyhow::Context;
use serde_json::{Value, json};

/// Registers a bench user and signs in; returns the access token.
pub async fn user(http: &reqwest::Client, base: &str, name: &str) -> anyhow::Result<String> {
    let password = "correct horse battery staple";
    let _ = http
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": format!("{name}@bench.example"), "username": name, "password": password, "display_name": name}))
        .send()
        .await?;
    let login: Value = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    login["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("logging the bench user in")
}

/// Creates `count` documents with `content`; returns their ids.
pub async fn documents(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
    content: &str,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let created: Value = http
            .post(format!("{base}/documents"))
            .bearer_auth(token)
            .json(&json!({"title": format!("bench {i}"), "content": content}))
            .send()
            .await?
            .json()
            .await?;
        ids.push(
            created["id"]
                .as_str()
                .context("creating a document")?
                .to_owned(),
        );
    }
    Ok(ids)
}
