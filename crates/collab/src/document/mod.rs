//! One open document: its pure state ([`core`]) and the task that owns it ([`actor`]),
//! with what a writer and a follower do in `writer.rs` and `follower.rs`.

pub mod actor;
pub mod authorship;
pub mod core;
mod follower;
mod load;
pub mod undo;
mod writer;

pub use load::normalize_newlines;
pub use writer::SaveResult;
