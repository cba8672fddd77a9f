//! skiff: a daemonless, rootless container runner with a docker-compatible command line.
//!
//! The modules stay private: the binary needs only [`main`], and the fuzz targets reach the
//! parsers through [`fuzz`], which exists only when built for fuzzing.

mod api;
mod build;
mod cli;
mod clock;
mod compose;
mod container;
mod disk_usage;
mod events;
mod filter;
mod host;
mod image;
mod net;
mod prune;
mod registry;
mod runtime;
mod size;
mod store;
mod supervisor;
#[cfg(test)]
mod testdir;
mod text;
mod volume;
mod xattr;

#[cfg(fuzzing)]
pub mod fuzz;

/// Runs the command line and returns the process's exit code. Invoked as `skiff-compose`,
/// the program is `skiff compose`, as `docker-compose` users expect.
pub fn main() -> i32 {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name().map(|n| n.to_owned()));
    if invoked_as.is_some_and(|name| name == "skiff-compose") {
        args.splice(0..1, ["skiff".into(), "compose".into()]);
    }
    cli::main(args)
}
