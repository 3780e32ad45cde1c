//! `users.audit_events`: the append-only security log.

use crate::error::Result;
use serde_json::Value;
use sqlx::PgExecutor;
use std::net::IpAddr;
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An account was created.
    Register,
    /// A login attempt.
    Login,
    /// An account was locked after failed logins.
    Lockout,
    /// A locked account's lock ran out and the next login succeeded.
    Unlock,
    /// A refresh token was rotated.
    Refresh,
    /// A rotated refresh token was presented again: the session was revoked.
    TokenReuse,
    /// A session was ended by its user.
    Logout,
    /// Profile fields changed.
    ProfileChange,
    /// The password changed.
    PasswordChange,
}

impl Event {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Register => "register",
            Event::Login => "login",
            Event::Lockout => "lockout",
            Event::Unlock => "unlock",
            Event::Refresh => "refresh",
            Event::TokenReuse => "token_reuse",
            Event::Logout => "logout",
            Event::ProfileChange => "profile_change",
            Event::PasswordChange => "password_change",
        }
    }
}

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The account, when known.
    pub user_id: Option<Uuid>,
    /// Client IP.
    pub ip: Option<IpAddr>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// Appends one event, and writes the same event as a structured log line.
pub async fn record(
    db: impl PgExecutor<'_>,
    actor: &Actor,
    event: Event,
    success: bool,
    details: Value,
) -> Result<()> {
    let outcome = if success { "success" } else { "failure" };
    tracing::info!(
        target: "audit",
        event = event.as_str(),
        outcome,
        user_id = actor.user_id.map(|u| u.to_string()),
        ip = actor.ip.map(|ip| ip.to_string()),
        user_agent = actor.user_agent.as_deref(),
        details = %details,
        "audit event"
    );
    sqlx::query(
        "INSERT INTO users.audit_events (id, user_id, event, outcome, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, $5::inet, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(actor.user_id)
    .bind(event.as_str())
    .bind(outcome)
    .bind(actor.ip.map(|ip| ip.to_string()))
    .bind(actor.user_agent.as_deref())
    .bind(details)
    .execute(db)
    .await?;
    Ok(())
}
