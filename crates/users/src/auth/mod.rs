//! Credentials: password hashing, token signing, refresh tokens.

pub mod device;
pub mod hashing;
pub mod refresh;
pub mod signing;
