//! Where file bytes live: an object store (the `object_store` crate), the local filesystem
//! under the data directory by default, or any S3-compatible service by configuration.

use anyhow::Context;
use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// `[documents.storage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// `local` (default) or `s3`.
    pub backend: Backend,
    /// For `local`: the directory. Default `<server.data_dir>/objects`.
    pub local_dir: Option<std::path::PathBuf>,
    /// For `s3`: the bucket.
    pub s3_bucket: String,
    /// For `s3`: the region (default `us-east-1`).
    pub s3_region: String,
    /// For `s3`: a custom endpoint, for S3-compatible services (MinIO, Ceph, R2…).
    pub s3_endpoint: Option<String>,
    /// For `s3`: the access key id.
    pub s3_access_key_id: Option<SecretString>,
    /// For `s3`: the secret access key.
    pub s3_secret_access_key: Option<SecretString>,
    /// For `s3`: allow a plain-HTTP endpoint (a MinIO on a private network).
    pub s3_allow_http: bool,
}

/// Storage backends.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Files under a local directory.
    #[default]
    Local,
    /// An S3-compatible bucket.
    S3,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Local,
            local_dir: None,
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_endpoint: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }
}

/// A handle to the configured object store.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    /// Opens the store described by `config`; `data_dir` anchors the local default.
    pub fn open(config: &StorageConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match config.backend {
            Backend::Local => {
                let dir = config
                    .local_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("objects"));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating the object directory {}", dir.display()))?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir)?)
            }
            Backend::S3 => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&config.s3_bucket)
                    .with_region(&config.s3_region)
                    .with_allow_http(config.s3_allow_http);
                if let Some(endpoint) = &config.s3_endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(key) = &config.s3_access_key_id {
                    builder = builder.with_access_key_id(key.expose_secret());
                }
                if let Some(secret) = &config.s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                Arc::new(builder.build().context("documents.storage: S3 settings")?)
            }
        };
        Ok(Self { store })
    }

    /// Stores `bytes` at `key`.
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await
            .with_context(|| format!("storing object {key}"))?;
        Ok(())
    }

    /// Streams the object at `key`.
    pub async fn get(
        &self,
        key: &str,
    ) -> anyhow::Result<futures::stream::BoxStream<'static, object_store::Result<Bytes>>> {
        let result = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .with_context(|| format!("reading object {key}"))?;
        Ok(result.into_stream())
    }

    /// Reads the whole object at `key`.
    pub async fn read(&self, key: &str) -> anyhow::Result<Bytes> {
        let result = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .with_context(|| format!("reading object {key}"))?;
        Ok(result.bytes().await?)
    }

    /// Deletes the object at `key`; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(anyhow::Error::from(e).context(format!("deleting object {key}"))),
        }
    }
}
