//! Device tokens: proof that a client signed in to an account before.
//!
//! OWASP's "device cookie" defence against online guessing: a successful login hands the
//! client a token naming the account and a device id. A later login that presents it is
//! counted as that device ([`crate::store::lockout::Client::Device`]) instead of as an IP
//! address, and is exempt from the delays an attack from many addresses puts on the
//! account. So a stranger guessing passwords can slow down strangers, never the owner on a
//! device they used before.
//!
//! The token is stateless: `tdd_` and, in unpadded base64url, a version byte, the user id,
//! the device id, the issue time, and an HMAC-SHA-256 (truncated to 128 bits) over them
//! under a key derived from the token signing key. Nothing is stored per device. Rotating
//! the signing key makes old device tokens unrecognised, which costs their holders nothing
//! but the exemption until their next login.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

const PREFIX: &str = "tdd_";
const VERSION: u8 = 1;
const PAYLOAD: usize = 1 + 16 + 16 + 8;
const TAG: usize = 16;

/// Issues and checks device tokens.
#[derive(Clone)]
pub struct DeviceTokens {
    key: [u8; 32],
    ttl_secs: i64,
}

impl std::fmt::Debug for DeviceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceTokens")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// A device token's contents, once its tag checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// The account it was issued for.
    pub user_id: Uuid,
    /// The device's id, stable across logins.
    pub device_id: Uuid,
}

impl DeviceTokens {
    /// Tokens keyed from `secret` (the signing key's secret bytes), valid `ttl_secs`.
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        use sha2::Digest;
        let mut hasher = Sha256::new();
        hasher.update(b"tandem device token v1");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(i64::MAX),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// A token for `device` issued now.
    pub fn issue(&self, device: Device) -> String {
        self.issue_at(device, chrono::Utc::now().timestamp())
    }

    fn issue_at(&self, device: Device, issued_at: i64) -> String {
        let mut payload = Vec::with_capacity(PAYLOAD + TAG);
        payload.push(VERSION);
        payload.extend_from_slice(device.user_id.as_bytes());
        payload.extend_from_slice(device.device_id.as_bytes());
        payload.extend_from_slice(&issued_at.to_be_bytes());
        let mut mac = self.mac();
        mac.update(&payload);
        payload.extend_from_slice(&mac.finalize().into_bytes()[..TAG]);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(payload))
    }

    /// The device `token` names, if it is genuine, unexpired and issued for `user_id`.
    pub fn check(&self, token: &str, user_id: Uuid) -> Option<Device> {
        self.check_at(token, user_id, chrono::Utc::now().timestamp())
    }

    fn check_at(&self, token: &str, user_id: Uuid, now: i64) -> Option<Device> {
        let bytes = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() != PAYLOAD + TAG || bytes[0] != VERSION {
            return None;
        }
        let (payload, tag) = bytes.split_at(PAYLOAD);
        let mut mac = self.mac();
        mac.update(payload);
        // Constant time: the tag is what a forger would try to guess byte by byte.
        mac.verify_truncated_left(tag).ok()?;
        let device = Device {
            user_id: Uuid::from_slice(&payload[1..17]).ok()?,
            device_id: Uuid::from_slice(&payload[17..33]).ok()?,
        };
        let issued_at = i64::from_be_bytes(payload[33..41].try_into().ok()?);
        let fresh = issued_at <= now + 60 && now - issued_at < self.ttl_secs;
        (fresh && device.user_id == user_id).then_some(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> DeviceTokens {
        DeviceTokens::new(b"secret", 1000)
    }

    #[test]
    fn a_token_names_its_account_and_device() {
        let device = Device {
            user_id: Uuid::now_v7(),
            device_id: Uuid::new_v4(),
        };
        let token = tokens().issue(device);
        assert!(token.starts_with("tdd_"));
        assert_eq!(tokens().check(&token, device.user_id), Some(device));
    }

    #[test]
    fn forged_expired_foreign_and_garbled_tokens_are_not_recognised() {
        let user = Uuid::now_v7();
        let device = Device {
            user_id: user,
            device_id: Uuid::new_v4(),
        };
        let token = tokens().issue_at(device, 10_000);
        assert!(tokens().check_at(&token, user, 10_500).is_some());
        assert!(tokens().check_at(&token, user, 11_001).is_none(), "expired");
        assert!(
            tokens().check_at(&token, Uuid::now_v7(), 10_500).is_none(),
            "other account"
        );
        let other_key = DeviceTokens::new(b"another secret", 1000);
        assert!(other_key.check_at(&token, user, 10_500).is_none(), "forged");
        let mut bytes = token.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(
            tokens().check_at(&tampered, user, 10_500).is_none(),
            "tampered"
        );
        for garbage in ["", "tdd_", "tdd_!!!", "tdr_abc", &token[..20]] {
            assert!(
                tokens().check_at(garbage, user, 10_500).is_none(),
                "{garbage}"
            );
        }
    }
}
