//! Building images from Dockerfiles. The front end lives here: [`parser`] reads a Dockerfile
//! as docker does; [`instructions`] turns it into stages of typed instructions and expands
//! their variables as the build reaches them, with [`shell`]'s lexer ([`mount`] reads RUN's
//! `--mount` options); [`dockerignore`] decides which files of the context a build sees.

pub mod builder;
pub mod cache;
pub mod context;
pub mod copy;
pub mod dockerignore;
pub mod instructions;
pub mod mount;
pub mod parser;
pub mod shell;

use shell::EnvList;

/// The variables every build defines without an ARG, as docker does: the platform the build
/// runs on and the one it targets (the same, as skiff builds for the host).
pub fn platform_args() -> EnvList {
    let arch = crate::image::config::host_architecture();
    let platform = format!("linux/{arch}");
    let mut args = EnvList::new();
    for side in ["BUILD", "TARGET"] {
        args.set(&format!("{side}PLATFORM"), &platform);
        args.set(&format!("{side}OS"), "linux");
        args.set(&format!("{side}ARCH"), arch);
        args.set(&format!("{side}VARIANT"), "");
    }
    args
}
