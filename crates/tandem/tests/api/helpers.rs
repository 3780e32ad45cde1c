//! `TestApp`: start the real app the way `tandem serve` does, on port 0, against a fresh
//! PostgreSQL database and a private Redis key prefix.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Once;
use tandem::{App, Config, Mode};

/// The PostgreSQL server tests create their databases on.
fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tandem_platform::telemetry::init(&tandem_platform::config::LogConfig {
                format: tandem_platform::config::LogFormat::Pretty,
                level: "debug".into(),
            });
        }
    });
}

/// A running app and a client for it. Dropping it drops its database.
#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the `server.metrics_listen` listener, when configured.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub db: PgPool,
    pub config: Config,
    db_name: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Drop is synchronous and the test's runtime is going away: use a thread with its
        // own small runtime. FORCE ends the app's pooled connections.
        let db_name = std::mem::take(&mut self.db_name);
        let prefix = self.config.platform.redis.key_prefix.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = PgPool::connect(&format!("{}/postgres", server_url())).await {
                    let sql = format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
                    admin.close().await;
                }
                // And its Redis keys (only tests' own prefix, never a shared one).
                if prefix.starts_with("test:") {
                    let _ = delete_keys(&prefix).await;
                }
            });
        })
        .join();
    }
}

/// A password every test account uses (it passes the policy).
pub const PASSWORD: &str = "correct horse battery staple";

#[allow(dead_code)]
impl TestApp {
    /// The app with test defaults.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The app with test defaults, then `customize` applied to its configuration.
    pub async fn spawn_with(customize: impl FnOnce(&mut Config)) -> Self {
        init_logs();
        let id = uuid::Uuid::new_v4().simple().to_string();
        // The creation time in the name lets scripts/test.sh clear databases that a
        // crashed run left behind without touching those of a run still going.
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let db_name = format!("tandem_test_{created}_{id}");
        let admin = PgPool::connect(&format!("{}/postgres", server_url()))
            .await
            .expect("PostgreSQL must be running for the tests (see scripts/test.sh)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}")))
            .execute(&admin)
            .await
            .expect("create the test database");
        admin.close().await;

        let mut config = Config::default();
        config.platform.server.port = Some(0);
        config.platform.server.data_dir = test_dir(&id);
        config.platform.database.url = format!("{}/{db_name}", server_url()).into();
        config.platform.database.max_connections = 10;
        config.platform.redis.key_prefix = format!("test:{id}:");
        config.users.bcrypt_cost = 4;
        // Limits are tested on their own; elsewhere they would only make tests flaky.
        config.users.rate_limit.login_per_minute = 0;
        config.users.rate_limit.register_per_minute = 0;
        config.users.rate_limit.refresh_per_minute = 0;
        config.users.rate_limit.user_per_minute = 0;
        // A test writing in a tight loop (the backup-during-writes test) passes 1,200
        // requests a minute on a slow machine and would be refused with 429s.
        config.documents.user_per_minute = 0;
        customize(&mut config);

        let app = App::build(config.clone(), Mode::All)
            .await
            .expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        let db = app.platform().db.clone();
        tokio::spawn(app.run_until(std::future::pending()));
        Self {
            db_name,
            address,
            metrics_address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db,
            config,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn put(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.put(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn register(&self, username: &str) -> Value {
        let response = self
            .post(
                "/auth/register",
                &json!({
                    "email": format!("{username}@example.com"),
                    "username": username,
                    "password": PASSWORD,
                    "display_name": format!("{username} display"),
                }),
                None,
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {username}"
        );
        response.json().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/auth/login",
            &json!({ "username": username, "password": password }),
            None,
        )
        .await
    }

    /// Registers `username` and logs in; returns the token response.
    pub async fn signed_up(&self, username: &str) -> Tokens {
        self.register(username).await;
        self.signed_in(username).await
    }

    /// Logs in as an existing `username`.
    pub async fn signed_in(&self, username: &str) -> Tokens {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "logging in {username}");
        let body: Value = response.json().await.unwrap();
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Asserts the app is still up and working, within 10 seconds: liveness, readiness
    /// (PostgreSQL and Redis), and a new account signing in and reading its profile. After
    /// a hostile request, this is what "the server stayed up" means. (The app runs in the
    /// test's own process, so a crash such as a stack overflow would end the test run.)
    pub async fn assert_alive(&self) {
        let probe = async {
            assert_eq!(
                self.get("/health/live", None).await.status(),
                StatusCode::OK
            );
            assert_eq!(
                self.get("/health/ready", None).await.status(),
                StatusCode::OK
            );
            let name = format!("alive{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let tokens = self.signed_up(&name).await;
            assert_eq!(
                self.get("/auth/me", Some(&tokens.access)).await.status(),
                StatusCode::OK
            );
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), probe)
            .await
            .expect("the server answers within 10 seconds");
    }

    /// The value of a counter in `/metrics`, named with its labels exactly as rendered
    /// (`tandem_x_total{a="b"}`); 0 when it has not been counted yet.
    pub async fn counter(&self, series: &str) -> u64 {
        let text = self.get("/metrics", None).await.text().await.unwrap();
        let needle = format!("{series} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&needle))
            .map_or(0, |v| v.trim().parse().unwrap())
    }

    /// The raw value of this app's Redis key `key` (without the prefix).
    pub async fn redis_get(&self, key: &str) -> Option<String> {
        let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let full = format!("{}{key}", self.config.platform.redis.key_prefix);
        redis::cmd("GET")
            .arg(full)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    /// Audit events of `event` for `user_id`, oldest first: (outcome, details).
    pub async fn audit(&self, user_id: Option<&str>, event: &str) -> Vec<(String, Value)> {
        let user_id = user_id.map(|u| u.parse::<uuid::Uuid>().unwrap());
        sqlx::query_as(
            "SELECT outcome, details FROM users.audit_events
             WHERE event = $1 AND user_id IS NOT DISTINCT FROM $2 ORDER BY occurred_at, id",
        )
        .bind(event)
        .bind(user_id)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    /// Creates a document as `token`'s user; returns its JSON.
    pub async fn create_document(&self, token: &str, title: &str, content: &str) -> Value {
        let response = self
            .post(
                "/documents",
                &json!({"title": title, "content": content}),
                Some(token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {title}");
        response.json().await.unwrap()
    }

    /// Shares document `id` with `username` (registered with the helper) at `role`.
    pub async fn share(&self, token: &str, id: &str, username: &str, role: &str) -> Response {
        self.post(
            &format!("/documents/{id}/share"),
            &json!({"email": format!("{username}@example.com"), "role": role}),
            Some(token),
        )
        .await
    }

    /// Updates document `id` at `version`.
    pub async fn update_document(
        &self,
        token: &str,
        id: &str,
        version: i64,
        content: &str,
    ) -> Response {
        self.put(
            &format!("/documents/{id}"),
            &json!({"content": content, "version": version}),
            Some(token),
        )
        .await
    }

    /// How many live sessions `tokens`' user has, asked with a fresh login (which adds one,
    /// not counted).
    pub async fn login_sessions_count(&self, tokens: &Tokens) -> usize {
        let fresh = self.signed_in_id(&tokens.user_id).await;
        let list: Value = self
            .get("/auth/sessions", Some(&fresh))
            .await
            .json()
            .await
            .unwrap();
        list["items"].as_array().unwrap().len() - 1
    }

    async fn signed_in_id(&self, user_id: &str) -> String {
        let (username,): (String,) =
            sqlx::query_as("SELECT username FROM users.accounts WHERE id = $1")
                .bind(user_id.parse::<uuid::Uuid>().unwrap())
                .fetch_one(&self.db)
                .await
                .unwrap();
        self.signed_in(&username).await.access
    }

    /// The signing key the app generated into its data directory.
    pub fn signing_key_pem(&self) -> String {
        std::fs::read_to_string(self.config.platform.server.data_dir.join("jwt-ed25519.pem"))
            .unwrap()
    }
}

/// Another instance of the same deployment as a [`TestApp`] (same database, Redis prefix
/// and data directory), running on a runtime of its own so that it can be killed outright:
/// every task, socket and lease renewal stops at once, as when a process dies.
pub struct Instance {
    pub address: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Instance {
    /// Shuts the instance down as SIGTERM does (draining its sockets first).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Ends the instance abruptly (no close frames, no final save).
    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

#[allow(dead_code)]
impl TestApp {
    /// A second instance sharing this app's database, Redis and data directory.
    pub async fn spawn_instance(&self) -> Instance {
        let config = self.config.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = App::build(config, Mode::All)
                    .await
                    .expect("the instance builds");
                let _ = ready_tx.send(app.port());
                tokio::select! {
                    _ = app.run_until(async { let _ = stop_rx.await; }) => {}
                    _ = kill_rx => {}
                }
            });
            runtime.shutdown_background();
        });
        let port = ready_rx.await.expect("the instance starts");
        Instance {
            address: format!("http://127.0.0.1:{port}"),
            stop: Some(stop_tx),
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
}

/// Deletes every key under a test's private prefix.
async fn delete_keys(prefix: &str) -> redis::RedisResult<()> {
    let client = redis::Client::open("redis://127.0.0.1:6379")?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?;
    if !keys.is_empty() {
        let () = redis::cmd("DEL").arg(keys).query_async(&mut conn).await?;
    }
    Ok(())
}

fn test_dir(id: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tandem-test-{id}"))
}

/// Asserts `response` is problem+json with `status`, and returns its body.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let request_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(body["code"].is_string(), "{body}");
    assert_eq!(body["request_id"].as_str(), request_id.as_deref(), "{body}");
    body
}

/// The `field`s named in a problem's `errors`.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A TCP proxy on loopback that a test can cut and restore, to take a dependency (say
/// PostgreSQL) away from an app without stopping the machine's own server.
pub struct Proxy {
    pub port: u16,
    target: std::net::SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

#[allow(dead_code)]
impl Proxy {
    /// Starts forwarding a free loopback port to `target`.
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Self {
            port,
            target,
            task: None,
            connections: Default::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (target, connections) = (self.target, self.connections.clone());
        self.task = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().unwrap().push(task.abort_handle());
            }
        }));
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn restore(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("re-binding the proxy port: {e}"),
            }
        };
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// A Redis server of the test's own, on a free port, that the test may stop and restart.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

#[allow(dead_code)]
impl RedisServer {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self { port, child: None };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again), with nothing on disk, and waits until it answers.
    pub async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("redis-server did not start");
    }

    /// Stops it (all its data is gone).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
