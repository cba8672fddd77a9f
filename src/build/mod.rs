//! Building images from Dockerfiles.

pub mod shell;
