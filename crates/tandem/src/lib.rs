//! The tandem server: composes the User, Document and Collaboration services into one
//! HTTP app, or runs any one of them alone.
//!
//! The binary (`src/main.rs`) only parses the command line and calls into this library,
//! so the integration tests start exactly the app production runs.

pub mod app;
pub mod cli;
pub mod config;
pub mod openapi;
pub mod web;

pub use app::{App, Mode};
pub use config::Config;
