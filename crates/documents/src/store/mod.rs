//! PostgreSQL storage of the `documents` schema. Runtime-checked queries, each covered by
//! the black-box tests.

pub mod attachments;
pub mod documents;
pub mod permissions;
pub mod search;
pub mod versions;
