//! Container logs in docker's json-file format: one JSON object per line with the text,
//! the stream and a nanosecond time stamp, rotated by size (`--log-opt max-size/max-file`).

use crate::clock;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Entry {
    pub log: String,
    pub stream: String,
    pub time: String,
}

/// Rotation limits; `max_size` 0 means unlimited.
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    pub max_size: u64,
    pub max_files: u32,
}

impl Rotation {
    /// From docker's `--log-opt` values (`max-size=10m`, `max-file=3`).
    pub fn from_options(options: &[String]) -> Result<Rotation> {
        let mut rotation = Rotation {
            max_size: 0,
            max_files: 1,
        };
        for option in options {
            match option.split_once('=') {
                Some(("max-size", size)) => rotation.max_size = crate::size::parse(size)?,
                Some(("max-file", n)) => rotation.max_files = n.parse().ok().filter(|n| *n >= 1).with_context(|| format!("invalid max-file {n:?}"))?,
                _ => anyhow::bail!("unknown log option {option:?} (skiff's json-file log takes max-size and max-file)"),
            }
        }
        Ok(rotation)
    }
}

/// Appends entries to a container's log, splitting output into lines per stream.
pub struct Writer {
    path: PathBuf,
    file: File,
    size: u64,
    rotation: Rotation,
    partial: [Vec<u8>; 2],
}

const STREAMS: [&str; 2] = ["stdout", "stderr"];
/// Longer lines are logged in pieces, as docker does, so a runaway line cannot eat memory.
const MAX_LINE: usize = 16 * 1024;

impl Writer {
    pub fn open(path: &Path, rotation: Rotation) -> Result<Writer> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open log {}", path.display()))?;
        let size = file.metadata()?.len();
        Ok(Writer {
            path: path.to_path_buf(),
            file,
            size,
            rotation,
            partial: [Vec::new(), Vec::new()],
        })
    }

    /// Records output of stream 0 (stdout) or 1 (stderr).
    pub fn write(&mut self, stream: usize, data: &[u8]) -> Result<()> {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.partial[stream].extend_from_slice(&rest[..=i]);
            self.flush_line(stream)?;
            rest = &rest[i + 1..];
        }
        self.partial[stream].extend_from_slice(rest);
        if self.partial[stream].len() >= MAX_LINE {
            self.flush_line(stream)?;
        }
        Ok(())
    }

    /// Writes out unterminated output (at container exit).
    pub fn finish(&mut self) -> Result<()> {
        for stream in 0..2 {
            if !self.partial[stream].is_empty() {
                self.flush_line(stream)?;
            }
        }
        Ok(())
    }

    fn flush_line(&mut self, stream: usize) -> Result<()> {
        let text = String::from_utf8_lossy(&self.partial[stream]).into_owned();
        self.partial[stream].clear();
        let entry = Entry {
            log: text,
            stream: STREAMS[stream].into(),
            time: clock::format_rfc3339(clock::now()),
        };
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        if self.rotation.max_size > 0
            && self.size + line.len() as u64 > self.rotation.max_size
            && self.size > 0
        {
            self.rotate()?;
        }
        self.file.write_all(&line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> Result<()> {
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.rotation.max_files <= 1 {
            self.file.set_len(0)?;
        } else {
            for n in (1..self.rotation.max_files - 1).rev() {
                let _ = std::fs::rename(numbered(n), numbered(n + 1));
            }
            std::fs::rename(&self.path, numbered(1))?;
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }
}

/// The log files of a container, oldest first (rotated ones before the current one).
pub fn files(path: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(u32, PathBuf)> = (1..100)
        .map(|n| (n, PathBuf::from(format!("{}.{n}", path.display()))))
        .take_while(|(_, p)| p.exists())
        .collect();
    rotated.reverse();
    let mut out: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    out.push(path.to_path_buf());
    out
}

/// Reads entries from `reader`, skipping lines that are not valid entries (a torn last line).
pub fn read_entries(reader: impl std::io::Read) -> impl Iterator<Item = Entry> {
    BufReader::new(reader)
        .lines()
        .map_while(|l| l.ok())
        .filter_map(|l| serde_json::from_str(&l).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_per_stream_and_rotate() {
        let dir = std::env::temp_dir().join(format!("skiff-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("json.log");
        let mut w = Writer::open(
            &path,
            Rotation {
                max_size: 200,
                max_files: 2,
            },
        )
        .unwrap();
        w.write(0, b"hel").unwrap();
        w.write(1, b"oops\n").unwrap();
        w.write(0, b"lo\nwor").unwrap();
        w.finish().unwrap();
        let all: Vec<Entry> = files(&path)
            .iter()
            .flat_map(|p| read_entries(File::open(p).unwrap()).collect::<Vec<_>>())
            .collect();
        let text: Vec<(String, String)> = all
            .iter()
            .map(|e| (e.stream.clone(), e.log.clone()))
            .collect();
        assert_eq!(
            text,
            [
                ("stderr".into(), "oops\n".into()),
                ("stdout".into(), "hello\n".into()),
                ("stdout".into(), "wor".into())
            ]
        );
        assert!(PathBuf::from(format!("{}.1", path.display())).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rotation_options() {
        let rotation =
            Rotation::from_options(&["max-size=1.5k".into(), "max-file=3".into()]).unwrap();
        assert_eq!((rotation.max_size, rotation.max_files), (1536, 3));
    }
}
