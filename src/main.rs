//! skiff: a daemonless, rootless container runner with a docker-compatible command line.

mod build;
mod cli;
mod clock;
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

fn main() {
    std::process::exit(cli::main());
}
