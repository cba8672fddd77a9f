//! The build context: the files a build may COPY and the Dockerfile, from a directory, a
//! tarball or Dockerfile on standard input (`-`), or a git repository (cloned).

use super::dockerignore::DockerIgnore;
use crate::image::layer::{self, ExtractOptions};
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context as _, Result};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a build reads.
pub struct BuildContext {
    /// The context directory; None for a Dockerfile given alone on standard input.
    pub dir: Option<PathBuf>,
    pub dockerfile: String,
    /// How errors name the Dockerfile (`Dockerfile:7: ...`).
    pub dockerfile_name: String,
    pub ignore: DockerIgnore,
    /// A directory skiff made for the context (unpacked tarball, git clone), removed on drop.
    temporary: Option<PathBuf>,
}

impl Drop for BuildContext {
    fn drop(&mut self) {
        if let Some(dir) = &self.temporary {
            let _ = store::remove_tree(dir);
        }
    }
}

/// Reads the context `source` (a directory, `-`, or a git URL) with the Dockerfile `file`
/// (`-f`: a path, `-` for standard input, or None for `Dockerfile` in the context).
pub fn open(store: &Store, source: &str, file: Option<&str>) -> Result<BuildContext> {
    if source == "-" {
        if file == Some("-") {
            bail!("invalid argument: can't use stdin for both build context and dockerfile");
        }
        return from_stdin(store, file);
    }
    if is_git_url(source) {
        let dir = store.staging_dir()?;
        let result = clone(source, &dir).and_then(|root| from_dir(&root, file, Some(&dir)));
        if result.is_err() {
            let _ = store::remove_tree(&dir);
        }
        return result;
    }
    let dir = Path::new(source);
    if !dir.is_dir() {
        bail!("unable to prepare context: path {source:?} not found");
    }
    from_dir(dir, file, None)
}

fn from_dir(dir: &Path, file: Option<&str>, temporary: Option<&Path>) -> Result<BuildContext> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("unable to prepare context: {}", dir.display()))?;
    let (dockerfile, name, path) = match file {
        Some("-") => (read_stdin()?, "Dockerfile".to_string(), None),
        Some(file) => {
            // As docker: relative to the working directory, else to the context; for a
            // context skiff unpacked or cloned, within it alone.
            let in_working_dir = temporary.is_none().then(|| PathBuf::from(file));
            let path = in_working_dir
                .into_iter()
                .chain([dir.join(file)])
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    anyhow!("unable to prepare context: the Dockerfile {file:?} does not exist")
                })?;
            (read_text(&path)?, file.to_string(), Some(path))
        }
        None => {
            let path = ["Dockerfile", "dockerfile"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    anyhow!(
                        "unable to prepare context: no Dockerfile in {} (name one with -f)",
                        dir.display()
                    )
                })?;
            (read_text(&path)?, "Dockerfile".to_string(), Some(path))
        }
    };
    let ignore = DockerIgnore::for_build(&dir, path.as_deref())?
        .map(|(_, rules)| rules)
        .unwrap_or_default();
    Ok(BuildContext {
        dir: Some(dir),
        dockerfile,
        dockerfile_name: name,
        ignore,
        temporary: temporary.map(Path::to_path_buf),
    })
}

/// `-`: a tarball (plain or compressed) is the context; anything else is the Dockerfile.
/// Standard input is spooled to a file first: a context may be larger than memory.
fn from_stdin(store: &Store, file: Option<&str>) -> Result<BuildContext> {
    let spool = Spool(store.tmp_path("context"));
    let mut out = std::fs::File::create_new(&spool.0)
        .with_context(|| format!("cannot create {}", spool.0.display()))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut out).context("cannot read standard input")?;
    drop(out);
    let open = || {
        std::fs::File::open(&spool.0).with_context(|| format!("cannot read {}", spool.0.display()))
    };
    if !is_tarball(open()?) {
        if file.is_some() {
            bail!("-f cannot be used when the Dockerfile comes from standard input");
        }
        return Ok(BuildContext {
            dir: None,
            dockerfile: read_text(&spool.0)?,
            dockerfile_name: "Dockerfile".into(),
            ignore: DockerIgnore::default(),
            temporary: None,
        });
    }
    let dir = store.staging_dir()?;
    let unpacked = open()
        .and_then(|tarball| unpack(tarball, &dir))
        .and_then(|_| from_dir(&dir, file.map(|f| f.trim_start_matches('/')), Some(&dir)));
    if unpacked.is_err() {
        let _ = store::remove_tree(&dir);
    }
    unpacked
}

/// A file standard input was copied to, removed on drop.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether `data`, once decompressed, is a tar archive (its ustar magic).
fn is_tarball(data: impl Read) -> bool {
    let Ok(mut reader) = layer::decompress(BufReader::new(data)) else {
        return false;
    };
    let mut head = vec![0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled == 512 && &head[257..262] == b"ustar"
}

/// Unpacks a context tarball, refusing entries that would land outside `dir`.
fn unpack(data: impl Read, dir: &Path) -> Result<()> {
    let reader = layer::decompress(BufReader::new(data))?;
    layer::extract(
        reader,
        dir,
        &ExtractOptions {
            ignore_chown_errors: true,
            no_whiteouts: true,
            ..Default::default()
        },
    )
    .context("cannot unpack the build context")?;
    Ok(())
}

fn read_stdin() -> Result<String> {
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut data)
        .context("cannot read the Dockerfile from standard input")?;
    Ok(String::from_utf8_lossy(&data).into_owned())
}

/// Dockerfiles that are not UTF-8 are read with U+FFFD rather than refused.
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A git repository as docker recognises one: `git://`, `git@`, or a URL ending in `.git`
/// (before an optional `#ref:dir`).
pub fn is_git_url(source: &str) -> bool {
    let url = source.split('#').next().unwrap_or(source);
    source.starts_with("git://")
        || source.starts_with("git@")
        || (url.contains("://") && url.ends_with(".git"))
}

/// Clones `url` (`URL#ref:subdir`) into `dir`; returns the context directory in it.
fn clone(url: &str, dir: &Path) -> Result<PathBuf> {
    let (repo, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (reference, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
    let checkout = dir.join("repo");
    let mut git = Command::new("git");
    git.args(["clone", "--quiet", "--depth", "1", "--recurse-submodules"]);
    if !reference.is_empty() {
        git.args(["--branch", reference]);
    }
    git.arg(repo).arg(&checkout);
    let output = git
        .output()
        .context("cannot run git (install git to build from a repository)")?;
    if !output.status.success() {
        bail!(
            "unable to prepare context: cannot clone {repo}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let root = checkout.join(subdir.trim_start_matches('/'));
    if !root.starts_with(&checkout) || !root.is_dir() {
        bail!("unable to prepare context: no directory {subdir:?} in {repo}");
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_git_urls_and_tarballs() {
        assert!(is_git_url("https://example.org/app.git"));
        assert!(is_git_url("file:///srv/app.git#main:sub"));
        assert!(is_git_url("git@host:app"));
        assert!(!is_git_url("./app"));
        assert!(!is_git_url("/srv/app.git"));
        assert!(!is_tarball(&b"FROM busybox\n"[..]));
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, "Dockerfile", &b"x"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        assert!(is_tarball(&tar[..]));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        assert!(is_tarball(&gz.finish().unwrap()[..]));
    }
}
