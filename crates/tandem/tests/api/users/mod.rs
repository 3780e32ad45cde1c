//! The User Service, through its HTTP API.

mod audit;
mod concurrency;
mod login;
mod lookup;
mod profile;
mod refresh;
mod register;
mod sessions;
mod tokens;
