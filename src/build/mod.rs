//! Building images from Dockerfiles.

pub mod dockerignore;
pub mod instructions;
pub mod mount;
pub mod parser;
pub mod shell;
