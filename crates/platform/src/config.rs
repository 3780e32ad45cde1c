//! Typed, layered configuration.
//!
//! Layers, later ones winning: built-in defaults (which work on a developer machine with
//! PostgreSQL and Redis on localhost), then an optional TOML file (`tandem.toml`, or the
//! file named by `--config` / `TANDEM_CONFIG`), then `TANDEM_*` environment variables where
//! `__` separates sections: `TANDEM_SERVER__PORT=9000`, `TANDEM_DATABASE__URL=postgres://…`.
//!
//! The platform owns the sections every service shares. A service crate owns its own section
//! (`[users]`, `[documents]`…) and the binary composes them into one struct, loaded by
//! [`load`]. Secrets are [`SecretString`]s: they never reach `Debug` output or logs.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Loads a configuration struct from the layers described in the module docs.
///
/// A missing file is not an error (defaults and environment still apply); a file that exists
/// but does not parse is.
pub fn load<T: DeserializeOwned>(file: Option<&Path>) -> crate::Result<T> {
    load_with_env(file, std::env::vars())
}

/// [`load`], with the environment passed in, so tests can set variables without touching
/// the process environment (which other tests share).
pub fn load_with_env<T: DeserializeOwned>(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> crate::Result<T> {
    use figment::Figment;
    use figment::providers::{Format, Serialized, Toml};

    let mut figment = Figment::new();
    if let Some(path) = file.filter(|p| p.exists()) {
        figment = figment.merge(Toml::file_exact(path));
    }
    // figment's Env provider reads the process environment only; feed it ours instead by
    // turning the variables into a nested dictionary ourselves.
    let mut overrides = figment::value::Dict::new();
    for (key, value) in env {
        let Some(rest) = key.strip_prefix("TANDEM_") else {
            continue;
        };
        if rest == "CONFIG" {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        insert_path(&mut overrides, &path, parse_env_value(&value));
    }
    figment = figment.merge(Serialized::defaults(overrides));
    // Lossy: an environment string like "9000" or "true" becomes a number or a bool where
    // the setting is one, and stays a string where the setting is a string.
    Ok(figment.extract_lossy()?)
}

fn insert_path(dict: &mut figment::value::Dict, path: &[String], value: figment::value::Value) {
    use figment::value::{Dict, Value};
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry(first.clone())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

/// Environment values stay strings (numbers and bools are recognised later, by the type of
/// the setting), except lists and tables written `[a, b]` / `{k = v}`.
fn parse_env_value(raw: &str) -> figment::value::Value {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        // figment's parser is infallible: text that is not a list stays a string.
        let Ok(value) = raw.parse::<figment::value::Value>();
        return value;
    }
    figment::value::Value::from(raw.to_owned())
}

/// The sections every service shares.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct PlatformConfig {
    /// HTTP serving.
    pub server: ServerConfig,
    /// PostgreSQL.
    pub database: DatabaseConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// Logging.
    pub log: LogConfig,
    /// Where the other services live, in microservice mode.
    pub services: ServicesConfig,
}

/// `[server]`: how the HTTP server listens and treats requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to bind. Default `127.0.0.1`; use `0.0.0.0` behind a load balancer.
    pub host: String,
    /// Port to bind. Default: 8080 for `tandem serve`, 8081/8082/8083 for a single service.
    /// `0` picks a free port (tests do this).
    pub port: Option<u16>,
    /// Largest request body accepted, in bytes (uploads have their own limit).
    pub body_limit_bytes: usize,
    /// A request taking longer than this is answered with 503.
    pub request_timeout_secs: u64,
    /// On SIGTERM/SIGINT, how long in-flight requests get to finish.
    pub shutdown_grace_secs: u64,
    /// Origins allowed to call the API from a browser (CORS). Empty: none besides same-origin.
    pub cors_allowed_origins: Vec<String>,
    /// If set, `/metrics` requires `Authorization: Bearer <token>`. Unset, `/metrics`
    /// answers only callers on this machine (or everyone on `metrics_listen`).
    pub metrics_token: Option<SecretString>,
    /// An address (`host:port`) of a listener that serves only `/metrics`, for scrapers on
    /// an internal network; the main listener then does not serve it at all.
    pub metrics_listen: Option<String>,
    /// How many proxies in front of tandem append to `X-Forwarded-For`. The client address
    /// (for rate limits, lockout and audit) is then the entry this many places from the
    /// right. 0, the default, ignores the header. Set it only when every request reaches
    /// tandem through exactly those proxies; otherwise clients choose their own address.
    pub forwarded_hops: usize,
    /// Addresses or networks of the proxies in front of tandem (`10.0.0.0/8`, `192.0.2.7`).
    /// When set, the header is read only from these peers, and the client address is the
    /// first entry from the right outside them. Wins over `forwarded_hops`.
    pub trusted_proxies: Vec<crate::client_ip::ProxyNet>,
    /// Deprecated: `true` is `forwarded_hops = 1`.
    pub trust_forwarded_for: bool,
    /// Send `Strict-Transport-Security`. Turn on when tandem is served over HTTPS.
    pub hsts: bool,
    /// Where tandem keeps files it generates (development signing key, local object store).
    pub data_dir: PathBuf,
    /// Apply migrations when the server starts. Concurrent starts are safe: migrations take
    /// a lock. Turn off to migrate only with `tandem migrate` during deployments.
    pub migrate_on_start: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: None,
            body_limit_bytes: 2 * 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            cors_allowed_origins: Vec::new(),
            metrics_token: None,
            metrics_listen: None,
            forwarded_hops: 0,
            trusted_proxies: Vec::new(),
            trust_forwarded_for: false,
            hsts: false,
            data_dir: PathBuf::from("data"),
            migrate_on_start: true,
        }
    }
}

/// `[database]`: PostgreSQL.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// Connection URL. Secret: it may hold a password.
    pub url: SecretString,
    /// Pool size per process.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/tandem"),
            max_connections: 20,
            acquire_timeout_secs: 5,
        }
    }
}

/// `[redis]`: Redis.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RedisConfig {
    /// Connection URL. Secret: it may hold a password.
    pub url: SecretString,
    /// Prefix of every key tandem writes, so several deployments (or tests) can share a server.
    pub key_prefix: String,
    /// Timeout for connecting and for each command, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("redis://127.0.0.1:6379"),
            key_prefix: "tandem:".into(),
            timeout_ms: 2000,
        }
    }
}

/// `[log]`: logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `json` (one object per line, for log pipelines) or `pretty` (for a terminal).
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `info,tandem_users=debug`. `RUST_LOG` wins if set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            level: "info".into(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable, for development.
    Pretty,
}

/// `[services]`: base URLs of the services, used when they run as separate processes.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServicesConfig {
    /// The User Service (JWKS, user lookups).
    pub users_url: url::Url,
    /// The Document Service.
    pub documents_url: url::Url,
    /// The Collaboration Service.
    pub collab_url: url::Url,
    /// The credential services present to each other's `/internal/` endpoints. Default:
    /// `<data_dir>/service-token`, generated on first run (fine when every instance shares
    /// the directory; in production set it on every instance). Secret.
    pub internal_token: Option<SecretString>,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        let url = |port: u16| {
            url::Url::parse(&format!("http://127.0.0.1:{port}")).expect("static URL is valid")
        };
        Self {
            users_url: url(8081),
            documents_url: url(8082),
            collab_url: url(8083),
            internal_token: None,
        }
    }
}

/// Shows a connection URL with any password replaced, for log lines.
pub fn redact_url(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_nested_keys_with_types() {
        let env = [
            ("TANDEM_SERVER__PORT".to_string(), "9000".to_string()),
            ("TANDEM_REDIS__KEY_PREFIX".to_string(), "x:".to_string()),
            ("OTHER".to_string(), "ignored".to_string()),
        ];
        let config: PlatformConfig = load_with_env(None, env).unwrap();
        assert_eq!(config.server.port, Some(9000));
        assert_eq!(config.redis.key_prefix, "x:");
    }

    #[test]
    fn numeric_looking_strings_stay_strings_and_lists_parse() {
        let env = [
            (
                "TANDEM_SERVER__METRICS_TOKEN".to_string(),
                "123456".to_string(),
            ),
            ("TANDEM_SERVER__HSTS".to_string(), "true".to_string()),
            (
                "TANDEM_SERVER__CORS_ALLOWED_ORIGINS".to_string(),
                "[https://a.example, https://b.example]".to_string(),
            ),
        ];
        let config: PlatformConfig = load_with_env(None, env).unwrap();
        use secrecy::ExposeSecret;
        assert_eq!(
            config.server.metrics_token.unwrap().expose_secret(),
            "123456"
        );
        assert!(config.server.hsts);
        assert_eq!(config.server.cors_allowed_origins.len(), 2);
    }

    #[test]
    fn trusted_proxies_parse_and_a_bad_one_names_the_key() {
        let env = [(
            "TANDEM_SERVER__TRUSTED_PROXIES".to_string(),
            "[10.0.0.0/8, 192.0.2.7]".to_string(),
        )];
        let config: PlatformConfig = load_with_env(None, env).unwrap();
        assert_eq!(config.server.trusted_proxies.len(), 2);
        let env = [(
            "TANDEM_SERVER__TRUSTED_PROXIES".to_string(),
            "[proxy.internal]".to_string(),
        )];
        let err = load_with_env::<PlatformConfig>(None, env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trusted_proxies"), "{err}");
    }

    #[test]
    fn a_type_error_names_the_key() {
        let env = [("TANDEM_SERVER__PORT".to_string(), "eighty".to_string())];
        let err = load_with_env::<PlatformConfig>(None, env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.port"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = PlatformConfig::default();
        let shown = format!("{config:?}");
        assert!(!shown.contains("postgres://"), "{shown}");
        assert!(!shown.contains("redis://"), "{shown}");
    }

    #[test]
    fn redact_url_hides_passwords() {
        let url = SecretString::from("postgres://app:hunter2@db:5432/tandem");
        assert_eq!(redact_url(&url), "postgres://app:***@db:5432/tandem");
    }
}
