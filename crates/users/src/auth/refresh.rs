//! Refresh tokens: opaque, 256 random bits, stored only as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

/// Prefix that makes tandem refresh tokens recognisable (for secret scanners, and people).
const PREFIX: &str = "tdr_";

/// A new refresh token: 32 bytes from the OS CSPRNG.
pub fn generate() -> String {
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    )
}

/// The stored form of a token: hex SHA-256. A fast hash is right here (unlike passwords):
/// the token has 256 bits of entropy, so there is nothing to brute-force.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn grace_key(old_token: &str) -> Key {
    let digest = Sha256::new()
        .chain_update(b"tandem refresh grace v1\0")
        .chain_update(old_token.as_bytes())
        .finalize();
    let bytes: [u8; 32] = digest.into();
    Key::from(bytes)
}

/// Encrypts the token pair issued for `old_token` so that a second, concurrent refresh
/// with `old_token` can get the same pair back. The key derives from the old token itself,
/// which Redis never sees, so what sits in Redis for the grace window is useless without it.
/// Each key encrypts exactly one message, so a fixed nonce is safe.
pub fn seal_for_grace(old_token: &str, plaintext: &[u8]) -> Option<Vec<u8>> {
    ChaCha20Poly1305::new(&grace_key(old_token))
        .encrypt(&Nonce::default(), plaintext)
        .ok()
}

/// Decrypts what [`seal_for_grace`] stored; `None` if it was not sealed for `old_token`.
pub fn open_for_grace(old_token: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    ChaCha20Poly1305::new(&grace_key(old_token))
        .decrypt(&Nonce::default(), sealed)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_long() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        // 32 bytes in unpadded base64url is 43 characters.
        assert_eq!(a.len(), PREFIX.len() + 43);
    }

    #[test]
    fn hashes_are_stable_and_do_not_reveal_the_token() {
        let token = generate();
        assert_eq!(hash(&token), hash(&token));
        assert!(!hash(&token).contains(&token[PREFIX.len()..]));
        assert_eq!(hash(&token).len(), 64);
    }

    #[test]
    fn grace_pairs_open_only_with_the_old_token() {
        let sealed = seal_for_grace("old", b"pair").unwrap();
        assert_eq!(open_for_grace("old", &sealed).unwrap(), b"pair");
        assert!(open_for_grace("other", &sealed).is_none());
    }
}
