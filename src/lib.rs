//! skiff: a daemonless, rootless container runner with a docker-compatible command line.
//!
//! The modules stay private: the binary needs only [`main`], and the fuzz targets reach the
//! parsers through [`fuzz`], which exists only when built for fuzzing.

mod build;
mod cli;
mod clock;
mod compose;
mod container;
mod events;
mod image;
mod net;
mod registry;
mod runtime;
mod size;
mod store;
mod supervisor;
mod text;
mod volume;
mod xattr;

#[cfg(fuzzing)]
pub mod fuzz;

/// Runs the command line and returns the process's exit code.
pub fn main() -> i32 {
    cli::main()
}
