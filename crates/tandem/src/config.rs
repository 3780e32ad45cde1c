//! The whole configuration: the platform's shared sections plus each service's own.

use serde::Deserialize;
use std::path::Path;
use tandem_platform::PlatformConfig;

/// Everything `tandem` reads from defaults, `tandem.toml` and `TANDEM_*` variables.
/// See docs/configuration.md for every setting.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    /// `[server]`, `[database]`, `[redis]`, `[log]`, `[services]`.
    #[serde(flatten)]
    pub platform: PlatformConfig,
    /// `[users]`: the User Service.
    pub users: tandem_users::UsersConfig,
    /// `[documents]`: the Document Service.
    pub documents: tandem_documents::DocumentsConfig,
}

impl Config {
    /// Loads the layered configuration (see [`tandem_platform::config`]).
    pub fn load(file: Option<&Path>) -> tandem_platform::Result<Self> {
        tandem_platform::config::load(file)
    }
}
