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

use crate::registry::manifest::Platform;
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

/// Refuses a `--platform` (or `FROM --platform=`) other than the host's: RUN steps execute
/// the image's programs here, and skiff has no emulator for another architecture.
pub fn check_platform(text: &str) -> anyhow::Result<()> {
    let wanted = Platform::parse(text)?;
    let host = Platform::host();
    if !wanted.accepts(&host) {
        anyhow::bail!(
            "platform {wanted} is not available: skiff builds for the host's platform {host} only"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_platform_is_buildable() {
        let host = Platform::host();
        check_platform(&host.to_string()).unwrap();
        check_platform(&format!("linux/{}", host.architecture)).unwrap();
        let other = if host.architecture == "s390x" {
            "linux/amd64"
        } else {
            "linux/s390x"
        };
        let err = check_platform(other).unwrap_err().to_string();
        assert!(err.contains("is not available"), "{err}");
        assert!(check_platform("linux").is_err());
    }
}
