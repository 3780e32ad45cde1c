//! The User Service, through its HTTP API.

mod audit;
mod browser;
mod concurrency;
mod lockout;
mod login;
mod lookup;
mod password_check;
mod profile;
mod profile_cache;
mod refresh;
mod register;
mod sessions;
mod tokens;
