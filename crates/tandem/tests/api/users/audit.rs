use crate::helpers::{PASSWORD, TestApp};
use serde_json::json;

#[tokio::test]
async fn security_events_are_recorded_with_ip_and_user_agent() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    app.login("ada", "wrong password!!").await;
    app.post("/auth/logout", &json!({}), Some(&ada.access))
        .await;
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT event, outcome, host(ip), user_agent FROM users.audit_events
         WHERE user_id = $1 ORDER BY occurred_at, id",
    )
    .bind(ada.user_id.parse::<uuid::Uuid>().unwrap())
    .fetch_all(&app.db)
    .await
    .unwrap();
    let events: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        events,
        [
            ("register", "success"),
            ("login", "success"),
            ("login", "failure"),
            ("logout", "success")
        ]
    );
    assert!(rows.iter().all(|r| r.2.as_deref() == Some("127.0.0.1")));
    assert!(rows.iter().all(|r| r.3.is_some()));
}

#[tokio::test]
async fn a_login_for_an_unknown_account_is_audited_without_a_user() {
    let app = TestApp::spawn().await;
    app.login("nobody", PASSWORD).await;
    let events = app.audit(None, "login").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["reason"], "unknown_user");
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let update = sqlx::query("UPDATE users.audit_events SET outcome = 'failure'")
        .execute(&app.db)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM users.audit_events")
        .execute(&app.db)
        .await;
    assert!(delete.is_err());
}

#[tokio::test]
async fn the_audit_log_cannot_be_truncated() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    assert!(
        sqlx::query("TRUNCATE users.audit_events")
            .execute(&app.db)
            .await
            .is_err()
    );
}
