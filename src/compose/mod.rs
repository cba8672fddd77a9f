//! `skiff compose`: the compose project model and its loader.
//!
//! One concern per file: [`template`] interpolates `$VAR` references, [`dotenv`] reads `.env`
//! and `env_file` files.

mod dotenv;
mod template;
mod yaml;
