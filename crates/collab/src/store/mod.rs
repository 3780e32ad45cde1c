//! Storage in the `collab` schema: the op log, heads, snapshots, client seqs, saves.
//! Every query is schema-qualified and covered by a black-box test.

pub mod log;
pub mod meta;
pub mod retention;
