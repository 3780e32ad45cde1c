//! The Document Service, through its HTTP API.

mod cache;
mod crud;
mod export;
mod permissions;
mod search;
mod sharing;
mod templates;
mod trash;
mod versions;
