//! Request and response bodies.

use crate::store::accounts::Account;
use crate::store::sessions::Session;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "email": "ada@example.com",
    "username": "ada",
    "password": "correct horse battery staple",
    "display_name": "Ada Lovelace"
}))]
pub struct RegisterRequest {
    /// Email address; unique, case-insensitive.
    pub email: String,
    /// 3–32 of `a-z 0-9 _ . -`; unique, case-insensitive.
    pub username: String,
    /// At least 12 characters, at most 72 bytes, hard to guess (zxcvbn score ≥ 3), and not
    /// containing the email or username.
    pub password: String,
    /// 1–100 characters of plain text.
    pub display_name: String,
}

/// `POST /auth/login`: `email` or `username`, plus `password`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    /// The account's email (or give `username`).
    pub email: Option<String>,
    /// The account's username (or give `email`).
    pub username: Option<String>,
    /// The password.
    pub password: String,
    /// The `device_token` an earlier login on this device returned, if it kept one: a
    /// recognised device is locked out only by its own failures and is never delayed by
    /// failures elsewhere.
    pub device_token: Option<String>,
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"refresh_token": "tdr_Jx0…"}))]
pub struct RefreshRequest {
    /// The current refresh token. Leave it out in browser mode (`X-Tandem-Browser: 1`),
    /// where the `tandem_refresh` cookie carries it.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `POST /auth/password-check`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse", "email": "ada@example.com", "username": "ada"}))]
pub struct PasswordCheckRequest {
    /// The password to check.
    pub password: String,
    /// The email it will go with, if known (a password may not contain it).
    pub email: Option<String>,
    /// The username it will go with, if known.
    pub username: Option<String>,
}

/// The policy's verdict on a password.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"acceptable": false, "message": "must be at least 12 characters"}))]
pub struct PasswordCheckResponse {
    /// Whether registration (or a password change) would accept it.
    pub acceptable: bool,
    /// What is wrong with it, as `POST /auth/register` would say; absent when acceptable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `PUT /auth/profile`: every field is optional; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"display_name": "Ada King", "bio": "Analyst.", "avatar_url": "https://example.com/ada.png"}))]
pub struct ProfileRequest {
    /// New display name.
    pub display_name: Option<String>,
    /// New username.
    pub username: Option<String>,
    /// New bio (up to 500 characters).
    pub bio: Option<String>,
    /// New avatar URL (http or https); an empty string removes it.
    pub avatar_url: Option<String>,
    /// New email. Requires `current_password`.
    pub email: Option<String>,
    /// The current password, required to change the email.
    pub current_password: Option<String>,
}

/// `PUT /auth/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "plaid umbrella orbit sandwich"}))]
pub struct PasswordRequest {
    /// The current password.
    pub current_password: String,
    /// The new password (same rules as at registration).
    pub new_password: String,
}

/// `GET /users?email=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LookupQuery {
    /// The email to look up.
    pub email: String,
}

/// The signed-in user's own account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21516-0871-74f6-85ab-13aeb512cd5e",
    "email": "ada@example.com",
    "username": "ada",
    "display_name": "Ada Lovelace",
    "bio": "",
    "avatar_url": null,
    "created_at": "2026-11-25T23:41:35.217119Z",
    "updated_at": "2026-11-25T23:41:35.217119Z"
}))]
pub struct UserResponse {
    /// Id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Bio.
    pub bio: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Account> for UserResponse {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            email: a.email,
            username: a.username,
            display_name: a.display_name,
            bio: a.bio,
            avatar_url: a.avatar_url,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Another user, as any signed-in user may see them: no email.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21516-0871-74f6-85ab-13aeb512cd5e",
    "username": "grace",
    "display_name": "Grace Hopper",
    "avatar_url": null
}))]
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

impl From<UserResponse> for PublicUser {
    fn from(u: UserResponse) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            avatar_url: u.avatar_url,
        }
    }
}

impl From<Account> for PublicUser {
    fn from(a: Account) -> Self {
        UserResponse::from(a).into()
    }
}

/// A token pair (OAuth2 names).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6Ij…",
    "token_type": "Bearer",
    "expires_in": 900,
    "access_token_expires_at": "2026-11-25T23:56:35Z",
    "refresh_token": "tdr_4E2ZGA3b7WOGlmf1FDD-LHPi7qqg_QHB9DHMhrcpIQM",
    "refresh_token_expires_at": "2026-12-25T23:41:35Z",
    "user": {
        "id": "01a21516-0871-74f6-85ab-13aeb512cd5e",
        "email": "ada@example.com",
        "username": "ada",
        "display_name": "Ada Lovelace",
        "bio": "",
        "avatar_url": null,
        "created_at": "2026-11-25T23:41:35.217119Z",
        "updated_at": "2026-11-25T23:41:35.217119Z"
    }
}))]
pub struct TokenResponse {
    /// The access token (EdDSA JWT). Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// The refresh token: opaque, single use. Exchange it at `/auth/refresh`. Absent in
    /// browser mode (`X-Tandem-Browser: 1`), where it is set as the `HttpOnly` cookie
    /// `tandem_refresh` instead and never reaches JavaScript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the session (and so the refresh token) ends at the latest.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: UserResponse,
    /// From login only: proof that this device signed in to this account. Keep it (it
    /// lasts `users.device_token_ttl_secs`) and send it with the next login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// One of the user's sessions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21516-094e-73df-9c16-20c1696eeba4",
    "device": "Firefox on Linux",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "ip": "203.0.113.7",
    "created_at": "2026-11-25T23:41:35Z",
    "last_seen_at": "2026-11-26T08:02:11Z",
    "expires_at": "2026-12-25T23:41:35Z",
    "current": true
}))]
pub struct SessionResponse {
    /// Session id.
    pub id: Uuid,
    /// A short description of the device, from its user agent.
    pub device: String,
    /// The full user agent.
    pub user_agent: String,
    /// Client IP at the last login or refresh.
    pub ip: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last login or refresh.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

/// `GET /auth/sessions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The sessions, newest first.
    pub items: Vec<SessionResponse>,
}

pub(crate) fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

impl SessionResponse {
    pub(crate) fn new(s: Session, current: Option<Uuid>) -> Self {
        Self {
            id: s.id,
            device: device(&s.user_agent),
            current: Some(s.id) == current,
            created_at: timestamp(s.created_at),
            last_seen_at: timestamp(s.last_seen_at),
            expires_at: timestamp(s.expires_at),
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

/// "Firefox on Linux" from a user agent: enough for a person to recognise a device.
pub(crate) fn device(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map_or("Unknown client", |(_, name)| name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map(|(_, name)| *name);
    match os {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn devices_are_described() {
        let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(super::device(ua), "Firefox on Linux");
        assert_eq!(super::device("curl/8.5.0"), "curl");
        assert_eq!(super::device(""), "Unknown client");
    }
}
