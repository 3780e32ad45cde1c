//! The Document Service, through its HTTP API.

mod analytics;
mod attachments;
mod backup;
mod cache;
mod crud;
mod export;
mod hostile;
mod import;
mod permissions;
mod search;
mod sharing;
mod templates;
mod trash;
mod versions;
