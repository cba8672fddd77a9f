//! COPY and ADD: which files a source names (globs, `.dockerignore`, never outside its root),
//! where each lands under docker's rules (a directory's content goes into the destination; a
//! file goes into a destination that ends with `/` or is a directory, else becomes it), with
//! `--chown` and `--chmod`, and ADD's unpacking of local archives.
//!
//! Files travel as tar streams ([`crate::image::tarball`]) and are unpacked with the layer
//! extractor into the mounted snapshot, where the destination is resolved inside the root.

use super::dockerignore::DockerIgnore;
use crate::image::ingest::tar_in_thread;
use crate::image::layer::{self, ExtractOptions};
use crate::image::reference::glob_match;
use crate::image::tarball::{Digester, TarWriter, WriteOptions};
use anyhow::{anyhow, bail, Context, Result};
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;
use std::io::{BufReader, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

/// One file or directory a COPY/ADD source names.
#[derive(Clone, Debug)]
pub struct Source {
    /// Where it is (resolved inside its root).
    pub path: PathBuf,
    /// Its name as the Dockerfile's source resolves (for the destination's file name).
    pub name: String,
    pub is_dir: bool,
    /// ADD: a local archive to unpack rather than copy.
    pub unpack: bool,
}

/// Expands the `patterns` of a COPY/ADD against `root` (the context, or a stage's files):
/// glob characters match within a path component; excluded files are not there; nothing
/// outside the root can be named.
pub fn resolve(
    root: &Path,
    patterns: &[String],
    ignore: &DockerIgnore,
    exclude: &[String],
) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for pattern in patterns {
        let relative = clean(pattern)?;
        let found = if has_glob(&relative) {
            expand_glob(root, &relative, ignore)?
        } else {
            vec![relative.clone()]
        };
        let mut any = false;
        for rel in found {
            let shown = rel.clone();
            if !rel.is_empty() && ignore.is_excluded(&rel) {
                continue;
            }
            if exclude.iter().any(|p| glob_match(p, &rel)) {
                continue;
            }
            let path = match resolve_in_root(root, &rel) {
                Ok(path) => path,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
            };
            let meta = std::fs::metadata(&path)?;
            let name = Path::new(&rel)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            sources.push(Source {
                path,
                name,
                is_dir: meta.is_dir(),
                unpack: false,
            });
            any = true;
        }
        if !any {
            bail!("{pattern}: not found in the build context or excluded by .dockerignore");
        }
    }
    Ok(sources)
}

/// A source path as a clean relative path ("" for the root); `..` may not climb out.
fn clean(pattern: &str) -> Result<String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(pattern).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            Component::ParentDir if parts.pop().is_none() => {
                bail!("forbidden path outside the build context: {pattern}");
            }
            _ => {}
        }
    }
    Ok(parts.join("/"))
}

fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The paths under `root` that `pattern` matches, one component at a time, sorted.
fn expand_glob(root: &Path, pattern: &str, ignore: &DockerIgnore) -> Result<Vec<String>> {
    let mut matches = vec![String::new()];
    for part in pattern.split('/') {
        let mut next = Vec::new();
        for base in &matches {
            let dir = root.join(base);
            if !has_glob(part) {
                if dir.join(part).symlink_metadata().is_ok() {
                    next.push(join(base, part));
                }
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| glob_match(part, n))
                .collect();
            names.sort();
            next.extend(names.iter().map(|n| join(base, n)));
        }
        matches = next;
    }
    matches.retain(|m| !ignore.is_excluded(m));
    Ok(matches)
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

/// An O_PATH descriptor of `relative` under `root`, resolved inside the root.
pub fn open_in_root(root: &Path, relative: &str) -> std::io::Result<OwnedFd> {
    open_flags_in_root(root, relative, OFlag::O_PATH)
}

/// The directory `relative` under `root`, resolved inside the root, opened for reading.
pub fn open_dir_in_root(root: &Path, relative: &str) -> std::io::Result<OwnedFd> {
    open_flags_in_root(root, relative, OFlag::O_RDONLY | OFlag::O_DIRECTORY)
}

/// Opens `relative` under `root` with every symlink resolved as if `root` were `/`.
fn open_flags_in_root(root: &Path, relative: &str, flags: OFlag) -> std::io::Result<OwnedFd> {
    let root_fd = nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let path = if relative.is_empty() { "." } else { relative };
    let how = OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    Ok(nix::fcntl::openat2(&root_fd, path, how)?)
}

/// The real path of `relative` under `root`, resolved inside the root.
pub fn resolve_in_root(root: &Path, relative: &str) -> std::io::Result<PathBuf> {
    let fd = open_in_root(root, relative)?;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// The directory `path` in `root` (resolved inside it), created with its missing parents,
/// owned by `owner`, mode 0755, as `mkdir -p` would.
pub fn make_dir_in_root(root: &Path, path: &str, owner: (u32, u32)) -> Result<PathBuf> {
    let mut done = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let next = join(&done, part);
        match open_flags_in_root(root, &next, OFlag::O_PATH | OFlag::O_DIRECTORY) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                let parent = open_flags_in_root(root, &done, OFlag::O_PATH | OFlag::O_DIRECTORY)?;
                nix::sys::stat::mkdirat(&parent, part, Mode::from_bits_truncate(0o755))
                    .with_context(|| format!("cannot create /{next}"))?;
                nix::unistd::fchownat(
                    &parent,
                    part,
                    Some(owner.0.into()),
                    Some(owner.1.into()),
                    nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
                )
                .with_context(|| format!("cannot give /{next} its owner"))?;
                nix::sys::stat::fchmodat(
                    &parent,
                    part,
                    Mode::from_bits_truncate(0o755),
                    nix::sys::stat::FchmodatFlags::NoFollowSymlink,
                )
                .ok();
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                bail!("cannot create the directory /{next}: a file is in the way")
            }
            Err(e) => return Err(e).with_context(|| format!("cannot open /{next}")),
        }
        done = next;
    }
    Ok(resolve_in_root(root, &done)?)
}

/// Whether `path` in `root` is a directory (symlinks followed inside the root).
pub fn is_dir_in_root(root: &Path, path: &str) -> bool {
    open_flags_in_root(
        root,
        path.trim_start_matches('/'),
        OFlag::O_PATH | OFlag::O_DIRECTORY,
    )
    .is_ok()
}

/// What a COPY/ADD does with its sources.
pub struct Placement<'a> {
    /// Absolute destination in the image, as written (a trailing `/` means a directory).
    pub dest: &'a str,
    pub owner: (u32, u32),
    pub mode: Option<u32>,
    pub ignore: &'a DockerIgnore,
    /// The sources' root, for `.dockerignore` paths.
    pub root: &'a Path,
    pub ignore_chown_errors: bool,
}

/// Puts `sources` into the snapshot mounted at `target` as docker does.
pub fn place(target: &Path, sources: &[Source], placement: &Placement) -> Result<()> {
    let dest = placement.dest;
    let into_dir = dest.ends_with('/') || dest.ends_with("/.") || is_dir_in_root(target, dest);
    if sources.len() > 1 && !into_dir {
        bail!("when copying more than one source, the destination must be a directory and end with a /");
    }
    for source in sources {
        let (dir, name) = if source.is_dir || source.unpack {
            (dest.to_string(), String::new())
        } else if into_dir {
            (dest.to_string(), source.name.clone())
        } else {
            let (parent, file) = dest
                .trim_end_matches('/')
                .rsplit_once('/')
                .unwrap_or(("", dest));
            (parent.to_string(), file.to_string())
        };
        let dir = make_dir_in_root(target, &dir, placement.owner)?;
        if source.unpack {
            unpack_archive(&source.path, &dir)?;
        } else {
            copy_tree(source, &name, &dir, placement)?;
        }
    }
    Ok(())
}

fn copy_tree(source: &Source, name: &str, dir: &Path, placement: &Placement) -> Result<()> {
    let opts = WriteOptions {
        owner: Some(placement.owner),
        mode: placement.mode,
        ..Default::default()
    };
    let path = source.path.clone();
    let name = name.to_string();
    let root = placement.root.to_path_buf();
    let ignore = placement.ignore.clone();
    let reader = tar_in_thread(move |out| {
        let mut writer = TarWriter::new(out, opts);
        let skip = |p: &Path| excluded(&ignore, &root, p);
        writer.add(&path, &name, Some(&skip))?;
        writer.finish()?;
        Ok(())
    })?;
    layer::extract(
        reader,
        dir,
        &ExtractOptions {
            ignore_chown_errors: placement.ignore_chown_errors,
            no_whiteouts: true,
            ..Default::default()
        },
    )?;
    Ok(())
}

/// Whether `.dockerignore` leaves out `path` (below `root`). A directory with possible
/// exceptions below it is walked, its excluded files left out one by one.
fn excluded(ignore: &DockerIgnore, root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let relative = relative.to_string_lossy();
    ignore.is_excluded(&relative) && !(ignore.has_reincludes() && path.is_dir())
}

/// The digest of what a COPY/ADD of `sources` brings: their names, content and modes (not
/// times or owners, as docker), for the build cache.
pub fn digest(sources: &[Source], root: &Path, ignore: &DockerIgnore) -> Result<String> {
    let mut writer = TarWriter::new(
        Digester::default(),
        WriteOptions {
            owner: Some((0, 0)),
            fixed_mtime: Some(0),
            ..Default::default()
        },
    );
    for (i, source) in sources.iter().enumerate() {
        let skip = |p: &Path| excluded(ignore, root, p);
        writer.add(&source.path, &format!("{i}/{}", source.name), Some(&skip))?;
    }
    Ok(writer.finish()?.digest())
}

/// Whether the file at `path` is an archive ADD unpacks: a tar, possibly compressed.
pub fn is_archive(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut reader) = layer::decompress(BufReader::new(file)) else {
        return false;
    };
    let mut head = [0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled == 512 && &head[257..262] == b"ustar"
}

/// ADD of a local archive: its entries, with their owners, under `dir`; nothing may land
/// outside it.
fn unpack_archive(path: &Path, dir: &Path) -> Result<()> {
    let file = std::fs::File::open(path)?;
    let reader = layer::decompress(BufReader::new(file))?;
    layer::extract(
        reader,
        dir,
        &ExtractOptions {
            ignore_chown_errors: true,
            no_whiteouts: true,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow!("cannot unpack {}: {e:#}", path.display()))?;
    Ok(())
}

/// A `--chown` user and group as ids, names looked up in the snapshot's /etc/passwd and
/// /etc/group. A user alone gives its id as the group too, as docker does.
pub fn owner_ids(root: &Path, chown: &str) -> Result<(u32, u32)> {
    let (user, group) = match chown.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (chown, None),
    };
    let uid = match user.parse::<u32>() {
        Ok(id) => id,
        Err(_) => lookup(root, "etc/passwd", user).ok_or_else(|| {
            anyhow!("unable to find user {user}: no matching entries in passwd file")
        })?,
    };
    let gid = match group {
        None => uid,
        Some(g) => match g.parse::<u32>() {
            Ok(id) => id,
            Err(_) => lookup(root, "etc/group", g).ok_or_else(|| {
                anyhow!("unable to find group {g}: no matching entries in group file")
            })?,
        },
    };
    Ok((uid, gid))
}

/// The id (third field) of `name` in a passwd or group file of the snapshot.
fn lookup(root: &Path, file: &str, name: &str) -> Option<u32> {
    let path = resolve_in_root(root, file).ok()?;
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then(|| fields.nth(1)?.parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A context of its own for each test: tests run in parallel.
    fn context() -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("skiff-copy-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src/sub")).unwrap();
        fs::write(dir.join("src/a.txt"), "a").unwrap();
        fs::write(dir.join("src/b.txt"), "b").unwrap();
        fs::write(dir.join("src/sub/c.md"), "c").unwrap();
        fs::write(dir.join("secret.key"), "k").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("escape")).unwrap();
        dir
    }

    #[test]
    fn resolves_globs_ignores_and_escapes() {
        let root = context();
        let ignore = DockerIgnore::parse("*.key\n").unwrap();
        let names = |p: &[&str]| -> Result<Vec<String>> {
            let patterns: Vec<String> = p.iter().map(|s| s.to_string()).collect();
            Ok(resolve(&root, &patterns, &ignore, &[])?
                .into_iter()
                .map(|s| s.name)
                .collect())
        };
        assert_eq!(names(&["src/*.txt"]).unwrap(), ["a.txt", "b.txt"]);
        assert_eq!(names(&["./src/sub/"]).unwrap(), ["sub"]);
        assert!(names(&["secret.key"]).is_err());
        assert!(names(&["missing"]).is_err());
        let err = names(&["../outside"]).unwrap_err().to_string();
        assert!(err.contains("outside the build context"), "{err}");
        // An absolute symlink resolves inside the context, where there is no etc/passwd.
        assert!(names(&["escape"]).is_err());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn cache_digest_follows_content_not_times() {
        let root = context().join("src");
        let ignore = DockerIgnore::default();
        let sources = resolve(&root, &["a.txt".into()], &ignore, &[]).unwrap();
        let before = digest(&sources, &root, &ignore).unwrap();
        let file = fs::File::options()
            .write(true)
            .open(root.join("a.txt"))
            .unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(before, digest(&sources, &root, &ignore).unwrap());
        fs::write(root.join("a.txt"), "changed").unwrap();
        assert_ne!(before, digest(&sources, &root, &ignore).unwrap());
    }
}
