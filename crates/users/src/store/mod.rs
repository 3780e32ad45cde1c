//! Storage: accounts and the audit log in PostgreSQL (schema `users`); sessions, lockout
//! counters and the profile cache in Redis.
//!
//! SQL is written with runtime-checked `sqlx::query_as` (no compile-time database needed to
//! build); every query here is exercised by the integration tests.

pub mod accounts;
pub mod audit;
pub mod lockout;
pub mod profiles;
pub mod sessions;
