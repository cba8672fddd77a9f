//! Extended attributes: listed and read from a path (a symlink's own, never its target's)
//! or a descriptor, and set through a descriptor.

use anyhow::{Context, Result};
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Whose xattrs: a path's, not following a final symlink, or an open file's.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    Path(&'a Path),
    Fd(BorrowedFd<'a>),
}

impl std::fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Path(path) => write!(f, "{}", path.display()),
            Target::Fd(fd) => write!(f, "descriptor {}", fd.as_raw_fd()),
        }
    }
}

/// The names of the xattrs of `target`; none where the filesystem has no xattrs.
pub fn list(target: Target) -> Result<Vec<String>> {
    // SAFETY (both calls): the buffer is valid for `len` bytes; the path is NUL-terminated.
    let names = match target {
        Target::Fd(fd) => read_growing(1024, |buf, len| unsafe {
            libc::flistxattr(fd.as_raw_fd(), buf.cast(), len)
        }),
        Target::Path(path) => {
            let path = c_path(path)?;
            read_growing(1024, |buf, len| unsafe {
                libc::llistxattr(path.as_ptr(), buf.cast(), len)
            })
        }
    };
    let names = match names {
        Ok(names) => names,
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list the xattrs of {target}")),
    };
    Ok(names
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect())
}

/// The value of xattr `name` of `target`, if it has one.
pub fn get(target: Target, name: &str) -> Result<Option<Vec<u8>>> {
    let cname = CString::new(name)?;
    // SAFETY (both calls): as in `list`; the name is NUL-terminated.
    let value = match target {
        Target::Fd(fd) => read_growing(256, |buf, len| unsafe {
            libc::fgetxattr(fd.as_raw_fd(), cname.as_ptr(), buf, len)
        }),
        Target::Path(path) => {
            let path = c_path(path)?;
            read_growing(256, |buf, len| unsafe {
                libc::lgetxattr(path.as_ptr(), cname.as_ptr(), buf, len)
            })
        }
    };
    match value {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read the xattr {name} of {target}")),
    }
}

/// Sets xattr `name` of the open file `fd`.
pub fn set(fd: BorrowedFd, name: &CStr, value: &[u8]) -> io::Result<()> {
    // SAFETY: `name` is NUL-terminated and `value` is valid for `value.len()` bytes.
    let rc = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn c_path(path: &Path) -> Result<CString> {
    Ok(CString::new(path.as_os_str().as_bytes())?)
}

/// Calls `read` with ever larger buffers until the value fits (ERANGE says it does not).
fn read_growing(
    start: usize,
    read: impl Fn(*mut libc::c_void, usize) -> isize,
) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; start];
    loop {
        let n = read(buf.as_mut_ptr().cast(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        match io::Error::last_os_error() {
            e if e.raw_os_error() == Some(libc::ERANGE) => buf.resize(buf.len() * 4, 0),
            e => return Err(e),
        }
    }
}
