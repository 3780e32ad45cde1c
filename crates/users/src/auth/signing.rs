//! The Ed25519 key that signs access tokens, and issuing them.

use crate::config::UsersConfig;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use tandem_platform::auth::{Claims, KeySet, PublicKey};
use uuid::Uuid;

/// Signs access tokens.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    public: PublicKey,
    previous: Vec<PublicKey>,
    issuer: String,
    audience: String,
    ttl_secs: i64,
    /// A secret derived from the signing key, for keys of other tokens (device tokens).
    derived: [u8; 32],
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

/// A freshly issued access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The JWT.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

impl Signer {
    /// Loads the signing key named by `config`, generating a development key into
    /// `data_dir` on first run.
    pub fn load(config: &UsersConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let signing = match &config.signing_key {
            Some(pem) => SigningKey::from_pkcs8_pem(pem.expose_secret())
                .context("users.signing_key is not a PKCS#8 Ed25519 PEM key")?,
            None => {
                let path = config
                    .signing_key_file
                    .clone()
                    .unwrap_or_else(|| data_dir.join("jwt-ed25519.pem"));
                load_or_generate(&path)?
            }
        };
        let der = signing.to_pkcs8_der().context("encoding the signing key")?;
        let derived = {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            hasher.update(b"tandem derived secret v1");
            hasher.update(signing.to_bytes());
            hasher.finalize().into()
        };
        let previous = config
            .previous_public_keys
            .iter()
            .map(|x| {
                let bytes = URL_SAFE_NO_PAD
                    .decode(x.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .context(
                        "users.previous_public_keys holds a value that is not 32 base64url bytes",
                    )?;
                Ok(PublicKey::new(bytes))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            key: EncodingKey::from_ed_der(der.as_bytes()),
            public: PublicKey::new(signing.verifying_key().to_bytes()),
            previous,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl_secs: i64::try_from(config.access_token_ttl_secs).unwrap_or(900),
            derived,
        })
    }

    /// Device tokens keyed from this signing key, so every instance sharing the key
    /// recognises the same devices.
    pub fn device_tokens(&self, ttl_secs: u64) -> crate::auth::device::DeviceTokens {
        crate::auth::device::DeviceTokens::new(&self.derived, ttl_secs)
    }

    /// Every key that verifies tokens: the current one first, then previous ones.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        std::iter::once(self.public.clone())
            .chain(self.previous.iter().cloned())
            .collect()
    }

    /// The key set verifiers in this process use.
    pub fn key_set(&self) -> KeySet {
        KeySet::local(&self.public_keys())
    }

    /// Access-token lifetime in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Signs an access token for `user_id` in `session_id`.
    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> anyhow::Result<AccessToken> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now,
            exp: now + self.ttl_secs,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.public.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.key).context("signing a token")?;
        Ok(AccessToken { token, claims })
    }
}

fn load_or_generate(path: &PathBuf) -> anyhow::Result<SigningKey> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading the signing key {}", path.display()))?;
        return SigningKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("{} is not a PKCS#8 Ed25519 PEM key", path.display()));
    }
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("encoding the generated key")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if !write_private(path, pem.as_bytes())? {
        // Another instance generated one first: everyone must sign with the same key.
        return load_or_generate(path);
    }
    tracing::warn!(
        path = %path.display(),
        "generated a development signing key; in production set users.signing_key or users.signing_key_file"
    );
    Ok(key)
}

/// Writes a new file readable only by its owner; `false` if it already existed.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(bytes)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => bail!("writing the signing key {}: {e}", path.display()),
    }
}
