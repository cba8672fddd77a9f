//! skiff: a daemonless, rootless container runner with a docker-compatible command line.
//!
//! The modules stay private: the binary needs only [`main`].

mod build;
mod cli;
mod clock;
mod container;
mod events;
mod image;
mod net;
mod registry;
mod runtime;
mod store;
mod supervisor;
mod volume;

/// Runs the command line and returns the process's exit code.
pub fn main() -> i32 {
    cli::main()
}
