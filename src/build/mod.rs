//! Building images from Dockerfiles.

pub mod parser;
pub mod shell;
