//! Black-box tests: each starts the real app on port 0 with its own database and its own
//! Redis key prefix, so they run in parallel without seeing each other.

mod helpers;

mod collab;
mod config;
mod documents;
mod foundation;
mod hostile_text;
mod users;
mod web;
