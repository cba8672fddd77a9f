//! Talking to OCI / Docker registries: the HTTP client and its authentication, manifests,
//! and the pull, push, login and search operations built on them.

pub mod client;
pub mod config;
pub mod credentials;
pub mod login;
pub mod manifest;
pub mod progress;
pub mod pull;
pub mod push;
pub mod repository;
pub mod search;
mod tls;
