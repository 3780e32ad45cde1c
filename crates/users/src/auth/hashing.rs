//! bcrypt, on the blocking pool.
//!
//! A cost-12 hash takes ~250 ms of CPU. Running it on the async runtime would stall every
//! other request on that worker, so it always goes through `spawn_blocking`.

use crate::domain::Password;
use anyhow::Context;

/// Hashes passwords at a fixed cost, and knows a dummy hash for unknown users.
#[derive(Debug, Clone)]
pub struct Hasher {
    cost: u32,
    dummy: std::sync::Arc<str>,
}

impl Hasher {
    /// A hasher at `cost`. Computes the dummy hash once, up front.
    pub async fn new(cost: u32) -> anyhow::Result<Self> {
        let dummy = tokio::task::spawn_blocking(move || {
            bcrypt::hash("tandem dummy password for timing", cost)
        })
        .await?
        .context("computing the dummy bcrypt hash")?;
        Ok(Self {
            cost,
            dummy: dummy.into(),
        })
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let password = password.expose().to_owned();
        let cost = self.cost;
        let hash = tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
            .await?
            .context("hashing a password")?;
        Ok(hash)
    }

    /// Checks `password` against `hash`, or against the dummy hash when there is no account,
    /// so that an unknown user costs exactly as much time as a wrong password.
    pub async fn verify(&self, password: &Password, hash: Option<&str>) -> anyhow::Result<bool> {
        let password = password.expose().to_owned();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await?
            .context("verifying a password")?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordPolicy;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Hasher::new(4).await.unwrap();
        let right = PasswordPolicy::candidate("correct horse battery staple").unwrap();
        let wrong = PasswordPolicy::candidate("incorrect horse battery staple").unwrap();
        let hash = hasher.hash(&right).await.unwrap();
        assert!(hash.starts_with("$2b$04$"), "{hash}");
        assert!(hasher.verify(&right, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&wrong, Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        let hasher = Hasher::new(4).await.unwrap();
        let dummy = PasswordPolicy::candidate("tandem dummy password for timing").unwrap();
        assert!(!hasher.verify(&dummy, None).await.unwrap());
    }
}
