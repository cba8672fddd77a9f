//! Reproducing a layer's exact tar stream from its extracted directory.
//!
//! A layer is known to images by the digest of its uncompressed tar (the diff id), but the
//! store keeps only the extracted files. While a layer is extracted, every byte of the tar
//! that is not the content of a regular file (headers, extension headers, padding, the
//! end-of-archive blocks) is recorded in order, and each file's content is replaced by a
//! reference to the file in the layer. Replaying the record with the files' content gives
//! back the original stream byte for byte, so a push can compress a layer and the image keeps
//! its diff ids. The record is small (a few hundred bytes per entry, compressed).

use anyhow::{bail, Context, Result};
use nix::fcntl::{self, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::rc::Rc;

/// The record's file name, beside the layer's `diff/`.
pub const FILE_NAME: &str = "tar-split.zst";

const RAW: u8 = b'R';
const FILE: u8 = b'F';
/// More non-content bytes than this (garbage after the archive's end) and no record is kept.
const MAX_RAW: usize = 256 << 20;

#[derive(Default)]
struct State {
    /// The encoded record so far.
    out: Vec<u8>,
    /// Non-content bytes not yet written to `out`.
    raw: Vec<u8>,
    /// The next regular file's content: (start offset, size, path in the layer).
    pending: Option<(u64, u64, Vec<u8>)>,
    /// Bytes of the current file's content still to pass.
    in_file: u64,
    overflow: bool,
}

impl State {
    fn flush_raw(&mut self) {
        if !self.raw.is_empty() {
            self.out.push(RAW);
            self.out
                .extend_from_slice(&(self.raw.len() as u64).to_le_bytes());
            self.out.append(&mut self.raw);
        }
    }

    fn take(&mut self, pos: u64, mut data: &[u8]) {
        let mut pos = pos;
        while !data.is_empty() {
            if self.in_file > 0 {
                let n = (self.in_file as usize).min(data.len());
                self.in_file -= n as u64;
                data = &data[n..];
                pos += n as u64;
                continue;
            }
            match self.pending.take() {
                Some((start, size, path)) if start <= pos => {
                    self.flush_raw();
                    self.out.push(FILE);
                    self.out
                        .extend_from_slice(&(path.len() as u32).to_le_bytes());
                    self.out.extend_from_slice(&path);
                    self.out.extend_from_slice(&size.to_le_bytes());
                    self.in_file = size;
                }
                Some((start, size, path)) => {
                    let n = ((start - pos) as usize).min(data.len());
                    self.pending = Some((start, size, path));
                    self.raw_bytes(&data[..n]);
                    data = &data[n..];
                    pos += n as u64;
                }
                None => {
                    self.raw_bytes(data);
                    return;
                }
            }
        }
    }

    fn raw_bytes(&mut self, data: &[u8]) {
        if self.overflow || self.out.len() + self.raw.len() + data.len() > MAX_RAW {
            self.overflow = true;
            self.raw.clear();
            return;
        }
        self.raw.extend_from_slice(data);
    }
}

/// Sits between the tar parser and the layer stream, recording what passes.
pub struct Recorder<R> {
    inner: R,
    pos: u64,
    state: Rc<RefCell<State>>,
}

/// The extractor's handle on a [`Recorder`]: says where file contents are, and gets the
/// finished record.
#[derive(Clone)]
pub struct Handle(Rc<RefCell<State>>);

pub fn recorder<R: Read>(inner: R) -> (Recorder<R>, Handle) {
    let state = Rc::new(RefCell::new(State::default()));
    (
        Recorder {
            inner,
            pos: 0,
            state: state.clone(),
        },
        Handle(state),
    )
}

impl<R> Recorder<R> {
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.borrow_mut().take(self.pos, &buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Handle {
    /// The content of a regular file starts at `start` (an offset in the tar) and is stored
    /// in the layer at `path` (normalized, relative to the layer root).
    pub fn file(&self, start: u64, size: u64, path: &[u8]) {
        if size > 0 {
            self.0.borrow_mut().pending = Some((start, size, path.to_vec()));
        }
    }

    /// The compressed record, or None when the stream could not be recorded.
    pub fn finish(&self) -> Result<Option<Vec<u8>>> {
        let mut state = self.0.borrow_mut();
        if state.overflow {
            return Ok(None);
        }
        state.flush_raw();
        Ok(Some(
            zstd::bulk::compress(&state.out, 3).context("compressing the tar record")?,
        ))
    }
}

/// Writes the original tar stream of the layer in `layer_dir` (which holds `diff/` and the
/// record). Run where the layer's files are readable: inside the user namespace.
pub fn reproduce(layer_dir: &Path, out: &mut impl Write) -> Result<()> {
    let record_path = layer_dir.join(FILE_NAME);
    let compressed = std::fs::read(&record_path).with_context(|| {
        format!(
            "the layer has no record of its tar stream ({})",
            record_path.display()
        )
    })?;
    let record =
        zstd::stream::decode_all(&compressed[..]).context("the layer's tar record is corrupt")?;
    let root = fcntl::open(
        &layer_dir.join("diff"),
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut buf = vec![0u8; 256 * 1024];
    replay(&record, out, |path, size, out| {
        copy_file(root.as_fd(), path, size, out, &mut buf)
    })
}

/// Writes the stream a decoded record describes: its raw bytes as they are, and for each
/// file the content `file(path, size, out)` writes.
pub fn replay<W: Write>(
    record: &[u8],
    out: &mut W,
    mut file: impl FnMut(&[u8], u64, &mut W) -> Result<()>,
) -> Result<()> {
    let mut rest = record;
    let corrupt = || anyhow::anyhow!("the layer's tar record is corrupt");
    while let Some((&tag, tail)) = rest.split_first() {
        rest = tail;
        match tag {
            RAW => {
                let len = take_u64(&mut rest).ok_or_else(corrupt)? as usize;
                let data = rest.get(..len).ok_or_else(corrupt)?;
                out.write_all(data)?;
                rest = &rest[len..];
            }
            FILE => {
                let len = take_u32(&mut rest).ok_or_else(corrupt)? as usize;
                let path = rest.get(..len).ok_or_else(corrupt)?;
                rest = &rest[len..];
                let size = take_u64(&mut rest).ok_or_else(corrupt)?;
                file(path, size, out)?;
            }
            _ => return Err(corrupt()),
        }
    }
    Ok(())
}

fn copy_file(
    root: std::os::fd::BorrowedFd,
    path: &[u8],
    size: u64,
    out: &mut impl Write,
    buf: &mut [u8],
) -> Result<()> {
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW)
        .resolve(
            ResolveFlag::RESOLVE_IN_ROOT
                | ResolveFlag::RESOLVE_NO_SYMLINKS
                | ResolveFlag::RESOLVE_NO_MAGICLINKS,
        );
    let shown = String::from_utf8_lossy(path).into_owned();
    let fd = fcntl::openat2(root, path, how)
        .with_context(|| format!("cannot open {shown} in the layer"))?;
    let mut file = File::from(fd).take(size);
    let mut copied = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
        copied += n as u64;
    }
    if copied != size {
        bail!("{shown} in the layer is shorter than the layer's tar says: the layer was changed");
    }
    Ok(())
}

fn take_u64(rest: &mut &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
    *rest = &rest[8..];
    Some(u64::from_le_bytes(bytes))
}

fn take_u32(rest: &mut &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    *rest = &rest[4..];
    Some(u32::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{extract, ExtractOptions};

    fn append(builder: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o640
        });
        header.set_mtime(1_700_000_000);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(data.len() as u64);
        builder.append_data(&mut header, name, data).unwrap();
    }

    #[test]
    fn reproduces_the_tar_byte_for_byte() {
        let mut builder = tar::Builder::new(Vec::new());
        append(&mut builder, "etc/", tar::EntryType::Directory, b"");
        append(
            &mut builder,
            "etc/hostname",
            tar::EntryType::Regular,
            b"box\n",
        );
        append(&mut builder, "empty", tar::EntryType::Regular, b"");
        let long = format!("{}/file", "d".repeat(150));
        append(
            &mut builder,
            &format!("{}/", "d".repeat(150)),
            tar::EntryType::Directory,
            b"",
        );
        append(
            &mut builder,
            &long,
            tar::EntryType::Regular,
            &vec![7u8; 70_000],
        );
        append(&mut builder, "etc/.wh.gone", tar::EntryType::Regular, b"");
        let mut tar = builder.into_inner().unwrap();
        tar.extend_from_slice(&[0u8; 3000]);

        let dir = std::env::temp_dir().join(format!("skiff-tarsplit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("diff")).unwrap();
        let extracted = extract(
            &tar[..],
            &dir.join("diff"),
            &ExtractOptions {
                ignore_chown_errors: true,
                ..Default::default()
            },
        )
        .unwrap();
        std::fs::write(dir.join(FILE_NAME), extracted.tar_split.unwrap()).unwrap();
        let mut again = Vec::new();
        reproduce(&dir, &mut again).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(again.len(), tar.len());
        assert!(again == tar, "the reproduced stream differs");
    }
}
