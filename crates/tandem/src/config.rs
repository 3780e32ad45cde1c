//! The whole configuration: the platform's shared sections plus each service's own.

use serde::Deserialize;
use std::path::Path;
use tandem_platform::PlatformConfig;
use tandem_platform::config::load_with_env;

/// Everything `tandem` reads from defaults, `tandem.toml` and `TANDEM_*` variables.
/// See docs/configuration.md for every setting.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `[server]`, `[database]`, `[redis]`, `[log]`, `[services]`.
    pub platform: PlatformConfig,
    /// `[users]`: the User Service.
    pub users: tandem_users::UsersConfig,
    /// `[documents]`: the Document Service.
    pub documents: tandem_documents::DocumentsConfig,
    /// `[collab]`: the Collaboration Service.
    pub collab: tandem_collab::CollabConfig,
    /// `[web]`: the browser editor served at `/` in one-process mode.
    pub web: crate::web::WebConfig,
}

/// The sections the services own. Extracted separately from the platform's rather than
/// with `#[serde(flatten)]`, which would bypass the lenient reading of environment values.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ServiceSections {
    users: tandem_users::UsersConfig,
    documents: tandem_documents::DocumentsConfig,
    collab: tandem_collab::CollabConfig,
    web: crate::web::WebConfig,
}

impl Config {
    /// Loads the layered configuration (see [`tandem_platform::config`]).
    pub fn load(file: Option<&Path>) -> tandem_platform::Result<Self> {
        Self::load_with_env(file, std::env::vars())
    }

    /// [`Config::load`] with the environment passed in (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> tandem_platform::Result<Self> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let platform: PlatformConfig = load_with_env(file, env.clone())?;
        let services: ServiceSections = load_with_env(file, env)?;
        Ok(Self {
            platform,
            users: services.users,
            documents: services.documents,
            collab: services.collab,
            web: services.web,
        })
    }
}
