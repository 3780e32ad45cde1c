//! The public keys access tokens are checked against.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// An Ed25519 public key with its key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id (`kid`): derived from the key, so it is stable across restarts.
    pub kid: String,
    /// The 32-byte public key.
    pub bytes: [u8; 32],
}

impl PublicKey {
    /// The key id tandem uses: the first 16 bytes of the key's SHA-256, hex.
    pub fn new(bytes: [u8; 32]) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        let kid = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self { kid, bytes }
    }

    /// The JWK form, as published in the JWKS.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(self.kid.clone()),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(self.bytes),
            }),
        }
    }
}

/// Where verification keys come from.
#[derive(Clone, Debug)]
pub struct KeySet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cache: RwLock<Cache>,
    /// `None`: the keys are known in-process (the User Service, or all-in-one mode).
    remote: Option<Remote>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug)]
struct Remote {
    url: url::Url,
    client: reqwest::Client,
}

/// A token naming an unknown key id triggers at most one JWKS fetch this often, so a flood
/// of forged tokens cannot turn into a flood of requests to the User Service.
const REFETCH_INTERVAL: Duration = Duration::from_secs(30);

impl KeySet {
    /// Keys known in-process.
    pub fn local(keys: &[PublicKey]) -> Self {
        let keys = keys
            .iter()
            .filter_map(|k| {
                let x = URL_SAFE_NO_PAD.encode(k.bytes);
                DecodingKey::from_ed_components(&x)
                    .ok()
                    .map(|d| (k.kid.clone(), d))
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                cache: RwLock::new(Cache {
                    keys,
                    fetched_at: Some(Instant::now()),
                }),
                remote: None,
            }),
        }
    }

    /// Keys fetched from a JWKS URL (the User Service's `/.well-known/jwks.json`), on first
    /// use and again when a token names a key id not seen yet (key rotation).
    pub fn remote(url: url::Url) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache: RwLock::new(Cache::default()),
                remote: Some(Remote {
                    url,
                    client: reqwest::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .unwrap_or_default(),
                }),
            }),
        }
    }

    /// The decoding key with id `kid`, fetching the JWKS again if it is unknown.
    pub async fn get(&self, kid: &str) -> Option<DecodingKey> {
        {
            let cache = self.inner.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Some(key.clone());
            }
            let recently = cache
                .fetched_at
                .is_some_and(|t| t.elapsed() < REFETCH_INTERVAL);
            if self.inner.remote.is_none() || recently {
                return None;
            }
        }
        let remote = self.inner.remote.as_ref()?;
        let mut cache = self.inner.cache.write().await;
        // Another task may have fetched while this one waited for the lock.
        let fresh = cache
            .fetched_at
            .is_some_and(|t| t.elapsed() < REFETCH_INTERVAL);
        if !(cache.keys.contains_key(kid) || fresh) {
            cache.fetched_at = Some(Instant::now());
            match fetch(remote).await {
                Ok(keys) => cache.keys = keys,
                Err(error) => tracing::warn!(%error, url = %remote.url, "fetching JWKS failed"),
            }
        }
        cache.keys.get(kid).cloned()
    }
}

async fn fetch(remote: &Remote) -> anyhow::Result<HashMap<String, DecodingKey>> {
    let set: JwkSet = remote
        .client
        .get(remote.url.clone())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(set
        .keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::OctetKeyPair(_)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            DecodingKey::from_jwk(jwk).ok().map(|k| (kid, k))
        })
        .collect())
}
