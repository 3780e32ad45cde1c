//! Layered configuration, at the level of the whole `tandem::Config`.

use tandem::Config;

fn file(contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tandem-config-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn defaults_work_without_a_file() {
    let config: Config =
        Config::load_with_env(Some(std::path::Path::new("/nonexistent.toml")), []).unwrap();
    assert_eq!(config.platform.server.host, "127.0.0.1");
    assert_eq!(config.users.bcrypt_cost, 12);
    assert_eq!(config.users.access_token_ttl_secs, 900);
}

#[test]
fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let path = file(
        "[server]\nport = 9001\nhost = \"0.0.0.0\"\n[users]\nbcrypt_cost = 11\nlockout_threshold = 7\n",
    );
    let env = [
        ("TANDEM_SERVER__PORT".to_owned(), "9002".to_owned()),
        ("TANDEM_USERS__LOCKOUT_THRESHOLD".to_owned(), "9".to_owned()),
        (
            "TANDEM_USERS__RATE_LIMIT__LOGIN_PER_MINUTE".to_owned(),
            "3".to_owned(),
        ),
    ];
    let config = Config::load_with_env(Some(&path), env).unwrap();
    assert_eq!(config.platform.server.port, Some(9002), "env beats file");
    assert_eq!(config.platform.server.host, "0.0.0.0", "file beats default");
    assert_eq!(config.users.bcrypt_cost, 11);
    assert_eq!(config.users.lockout_threshold, 9);
    assert_eq!(config.users.rate_limit.login_per_minute, 3);
}

#[test]
fn a_bad_value_is_an_error_naming_the_key() {
    let env = [("TANDEM_SERVER__PORT".to_owned(), "not-a-port".to_owned())];
    let err = Config::load_with_env(None, env).unwrap_err().to_string();
    assert!(err.contains("server.port"), "names the key: {err}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let env = [
        (
            "TANDEM_DATABASE__URL".to_owned(),
            "postgres://app:hunter2@db/tandem".to_owned(),
        ),
        (
            "TANDEM_USERS__SIGNING_KEY".to_owned(),
            "-----BEGIN PRIVATE KEY-----xyz".to_owned(),
        ),
    ];
    let config = Config::load_with_env(None, env).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("BEGIN PRIVATE KEY"), "{shown}");
}
