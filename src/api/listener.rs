//! Where the service listens: a unix socket that is the user's alone (0600 in a 0700
//! directory), a loopback TCP port, or the socket systemd passed in (`LISTEN_FDS`).

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The first file descriptor systemd passes (`SD_LISTEN_FDS_START`).
const FIRST_PASSED_FD: RawFd = 3;

pub enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// One client connection, whichever kind of socket it came on.
pub enum Connection {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Listener {
    pub fn accept(&self) -> std::io::Result<Connection> {
        match self {
            Listener::Unix(l) => l.accept().map(|(s, _)| Connection::Unix(s)),
            Listener::Tcp(l) => l.accept().map(|(s, _)| Connection::Tcp(s)),
        }
    }
}

impl Connection {
    pub fn try_clone(&self) -> std::io::Result<Connection> {
        Ok(match self {
            Connection::Unix(s) => Connection::Unix(s.try_clone()?),
            Connection::Tcp(s) => Connection::Tcp(s.try_clone()?),
        })
    }

    pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
        match self {
            Connection::Unix(s) => s.shutdown(how),
            Connection::Tcp(s) => s.shutdown(how),
        }
    }
}

impl std::os::fd::AsFd for Connection {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Connection::Unix(s) => s.as_fd(),
            Connection::Tcp(s) => s.as_fd(),
        }
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Connection::Unix(s) => s.read(buf),
            Connection::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Connection::Unix(s) => s.write(buf),
            Connection::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Connection::Unix(s) => s.flush(),
            Connection::Tcp(s) => s.flush(),
        }
    }
}

/// A listener and the `DOCKER_HOST` value that reaches it.
pub struct Bound {
    pub listener: Listener,
    pub docker_host: String,
}

/// The socket systemd passed, when this process is the one it was meant for.
pub fn from_systemd() -> Result<Option<Bound>> {
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        == Some(std::process::id());
    let count: i32 = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // Children (container starts) must not think the socket is theirs.
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    if !for_us || count < 1 {
        return Ok(None);
    }
    if count > 1 {
        bail!("systemd passed {count} sockets; skiff serves one");
    }
    let fd = FIRST_PASSED_FD;
    nix::fcntl::fcntl(
        unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) },
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .context("the socket passed by systemd (fd 3)")?;
    let address: nix::sys::socket::SockaddrStorage =
        nix::sys::socket::getsockname(fd).context("the socket passed by systemd (fd 3)")?;
    // SAFETY: fd 3 was handed to this process by its starter to own, and nothing else uses it.
    let bound = if let Some(unix) = address.as_unix_addr() {
        let path = unix.path().map(Path::to_path_buf).unwrap_or_default();
        Bound {
            listener: Listener::Unix(unsafe { UnixListener::from_raw_fd(fd) }),
            docker_host: format!("unix://{}", path.display()),
        }
    } else {
        let listener = unsafe { TcpListener::from_raw_fd(fd) };
        let docker_host = format!("tcp://{}", listener.local_addr()?);
        Bound {
            listener: Listener::Tcp(listener),
            docker_host,
        }
    };
    Ok(Some(bound))
}

/// Binds the address the user named, or the default socket.
pub fn bind(address: Option<&str>) -> Result<Bound> {
    let address = match address {
        Some(a) => a.to_string(),
        None => format!("unix://{}", default_socket()?.display()),
    };
    if let Some(path) = address.strip_prefix("unix://") {
        return bind_unix(Path::new(path)).map(|listener| Bound {
            listener: Listener::Unix(listener),
            docker_host: address.clone(),
        });
    }
    if let Some(host_port) = address.strip_prefix("tcp://") {
        let listener = bind_loopback(host_port)?;
        return Ok(Bound {
            docker_host: format!("tcp://{}", listener.local_addr()?),
            listener: Listener::Tcp(listener),
        });
    }
    bail!("unsupported address {address:?}: use unix:///PATH or tcp://127.0.0.1:PORT")
}

/// `/run/skiff/skiff.sock` for root, `$XDG_RUNTIME_DIR/skiff/skiff.sock` for anyone else.
fn default_socket() -> Result<PathBuf> {
    let uid = nix::unistd::geteuid();
    if uid.is_root() {
        return Ok(PathBuf::from("/run/skiff/skiff.sock"));
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(Path::new(&dir).join("skiff/skiff.sock")),
        None => {
            // Without a login session's runtime directory, a private directory of the user's
            // own in /tmp (made 0700 below, and refused if someone else owns it).
            let path = PathBuf::from(format!("/tmp/skiff-{uid}/skiff.sock"));
            eprintln!(
                "XDG_RUNTIME_DIR is not set: serving {} instead",
                path.display()
            );
            Ok(path)
        }
    }
}

fn bind_unix(path: &Path) -> Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        } else if dir.file_name() == Some("skiff".as_ref()) {
            check_private_dir(dir)?;
        }
    }
    remove_stale_socket(path)?;
    // The socket is made 0600 from its first moment: no window in which others may connect.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.with_context(|| format!("listening on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// skiff's own socket directory must be the user's and no one else's.
fn check_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    if meta.uid() != nix::unistd::geteuid().as_raw() {
        bail!(
            "{} belongs to another user: refusing to serve from it",
            dir.display()
        );
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A socket file left by a service that is gone is removed; one that still answers is not.
fn remove_stale_socket(path: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        bail!("{} exists and is not a socket", path.display());
    }
    if UnixStream::connect(path).is_ok() {
        bail!("another service is already listening on {}", path.display());
    }
    std::fs::remove_file(path)?;
    Ok(())
}

/// A TCP listener on a loopback address only: the API has no authentication, so anyone who can
/// reach the port can run containers as this user.
fn bind_loopback(host_port: &str) -> Result<TcpListener> {
    let address: std::net::SocketAddr = host_port
        .parse()
        .with_context(|| format!("tcp address {host_port:?}: expected 127.0.0.1:PORT"))?;
    if !address.ip().is_loopback() {
        bail!(
            "refusing to listen on {address}: the API has no authentication, so skiff serves TCP on a loopback address only (127.0.0.1 or [::1])"
        );
    }
    eprintln!("warning: listening on tcp://{address}: anyone on this machine can use it to run containers as you; prefer a unix socket");
    TcpListener::bind(address).with_context(|| format!("listening on {address}"))
}
