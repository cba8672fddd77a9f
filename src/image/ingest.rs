//! Bringing layers into the store. Every layer is extracted into a staging directory inside
//! the user namespace (so files get the ownership the image declares), checked against the
//! digests its image names, and only when all of them are good are they renamed into
//! `layers/`. A rename onto an existing layer loses the race harmlessly: the layer is stored
//! once, and a failed or killed run leaves only staging debris, never a half layer.
//!
//! Layers are extracted in parallel threads. The caller of [`ingest`] must be
//! single-threaded: rootless, the threads run in the forked child that owns the user
//! namespace, never in the calling process.

use super::layer::{self, ExtractOptions, HashingReader};
use super::lease::Lease;
use crate::runtime::userns::{self, IdMappings, MappingMode};
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Opens the byte stream of one layer (a file, standard input, a download).
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Read + Send>> + Send>;

/// Where a layer's bytes come from, and what its digests must be, when known.
pub struct LayerSource {
    pub open: Opener,
    /// The digest of the uncompressed tar (the image config's diff_id).
    pub expected_diff_id: Option<String>,
    /// The digest and size of the bytes `open` yields (a registry's compressed blob): the
    /// layer is refused unless the whole stream matches.
    pub expected_blob: Option<(String, u64)>,
    /// How the user knows this layer, for error messages.
    pub label: String,
    /// Told when the layer is in the store: `true` when it was there already.
    pub on_done: Option<Box<dyn FnOnce(bool) + Send>>,
}

impl LayerSource {
    /// A source with only the required parts; the optional checks and callback unset.
    pub fn new(label: String, open: Opener) -> LayerSource {
        LayerSource {
            open,
            expected_diff_id: None,
            expected_blob: None,
            label,
            on_done: None,
        }
    }
}

/// The outcome for one layer, in the order of the sources.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct IngestedLayer {
    pub diff_id: String,
    pub size: u64,
    pub skipped_devices: u64,
}

/// How many layers are extracted at once: downloads overlap, and decompression and
/// extraction of different layers use different cores.
const PARALLEL_LAYERS: usize = 4;

/// Extracts and commits `sources`, skipping the ones whose layer is already stored.
/// The layers are leased (see [`super::lease`]) before they are looked for or committed, and
/// stay so while `lease` lives: until the caller has recorded the image that names them.
pub fn ingest(
    store: &Store,
    maps: &IdMappings,
    sources: Vec<LayerSource>,
    lease: &Lease,
) -> Result<Vec<IngestedLayer>> {
    let expected: Vec<String> = sources
        .iter()
        .filter_map(|s| s.expected_diff_id.clone())
        .collect();
    lease.add(store, &expected)?;
    let store_in_ns = store.clone();
    let ignore_chown_errors = maps.mode == MappingMode::Single;
    let text = userns::run_in_userns(maps, move || {
        let results = extract_all(&store_in_ns, sources, ignore_chown_errors, lease)?;
        Ok(serde_json::to_string(&results)?)
    })?;
    Ok(serde_json::from_str(&text)?)
}

/// Says what the layers left out; a pull says it once its progress is drawn for good.
pub fn warn_about(results: &[IngestedLayer]) {
    let skipped: u64 = results.iter().map(|r| r.skipped_devices).sum();
    if skipped > 0 {
        eprintln!("skiff: warning: skipped {skipped} device node(s) in the image: they cannot be created without privileges (containers get their own /dev)");
    }
}

/// One layer's fate: already in the store, or extracted into a staging directory.
enum Outcome {
    Present(IngestedLayer),
    Staged(PathBuf, IngestedLayer),
}

fn extract_all(
    store: &Store,
    sources: Vec<LayerSource>,
    ignore_chown_errors: bool,
    lease: &Lease,
) -> Result<Vec<IngestedLayer>> {
    // In the user namespace already, where files of subordinate ids can be removed.
    for path in store.abandoned(&store.tmp()) {
        let _ = store::remove_tree(&path);
    }
    let count = sources.len();
    let queue = Mutex::new(sources.into_iter().enumerate().collect::<Vec<_>>());
    let outcomes: Mutex<Vec<Option<Result<Outcome>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let failed = AtomicBool::new(false);
    // The layer that failed first: the others may fail after it only because they were stopped.
    let first_failure = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..count.clamp(1, PARALLEL_LAYERS) {
            scope.spawn(|| loop {
                // Layers are taken in order, so the first ones finish first.
                let next = {
                    let mut queue = queue.lock().unwrap();
                    if queue.is_empty() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    queue.remove(0)
                };
                let (index, source) = next;
                let outcome = ingest_one(store, source, ignore_chown_errors, &failed);
                if outcome.is_err() {
                    first_failure.lock().unwrap().get_or_insert(index);
                    failed.store(true, Ordering::Relaxed);
                }
                outcomes.lock().unwrap()[index] = Some(outcome);
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    let staged_dirs = || {
        outcomes.iter().filter_map(|o| match o {
            Some(Ok(Outcome::Staged(dir, _))) => Some(dir.clone()),
            _ => None,
        })
    };
    if let Some(error) = first_failure.into_inner().unwrap() {
        for dir in staged_dirs() {
            let _ = store::remove_tree(&dir);
        }
        let mut outcomes = outcomes;
        return Err(outcomes.swap_remove(error).unwrap().err().unwrap());
    }
    let staged: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Some(Ok(Outcome::Staged(_, layer))) => Some(layer.diff_id.clone()),
            _ => None,
        })
        .collect();
    lease.add(store, &staged)?;
    let mut results = Vec::with_capacity(count);
    for outcome in outcomes {
        match outcome.ok_or_else(|| anyhow!("a layer was not processed"))?? {
            Outcome::Present(layer) => results.push(layer),
            Outcome::Staged(dir, layer) => {
                commit(store, &dir, &layer.diff_id)?;
                results.push(layer);
            }
        }
    }
    Ok(results)
}

fn ingest_one(
    store: &Store,
    mut source: LayerSource,
    ignore_chown_errors: bool,
    failed: &AtomicBool,
) -> Result<Outcome> {
    if let Some(expected) = source.expected_diff_id.clone() {
        if store.layer(&expected).join("diff").is_dir() {
            // Stored already; the bytes offered must still be the layer they claim.
            let on_done = source.on_done.take();
            let label = source.label.clone();
            verify_only(source, &expected, failed).map_err(|e| e.context(label))?;
            let size = super::store::layer_size(store, &expected);
            if let Some(done) = on_done {
                done(true);
            }
            return Ok(Outcome::Present(IngestedLayer {
                diff_id: expected,
                size,
                skipped_devices: 0,
            }));
        }
    }
    let dir = store.staging_dir()?;
    let on_done = source.on_done.take();
    let label = source.label.clone();
    let layer = match extract_one(&dir, source, ignore_chown_errors, failed) {
        Ok(layer) => layer,
        Err(e) => {
            let _ = store::remove_tree(&dir);
            return Err(e.context(label));
        }
    };
    if let Some(done) = on_done {
        done(false);
    }
    Ok(Outcome::Staged(dir, layer))
}

/// Wraps a layer's raw stream in the blob digest check when the source names one; `verified`
/// says at the end whether the whole blob was read and matched.
fn checked_stream<'a>(
    raw: Box<dyn Read + Send>,
    expected_blob: Option<(String, u64)>,
    failed: &'a AtomicBool,
) -> (Box<dyn Read + Send + 'a>, Arc<AtomicBool>) {
    let verified = Arc::new(AtomicBool::new(expected_blob.is_none()));
    let reader: Box<dyn Read + Send + 'a> = match expected_blob {
        Some((digest, size)) => Box::new(VerifyingReader::new(
            raw,
            digest,
            size,
            verified.clone(),
            failed,
        )),
        None => raw,
    };
    (reader, verified)
}

/// Chunks in flight between a layer's decompressing and extracting threads (of 256 KiB).
const PIPE_CHUNKS: usize = 8;
const CHUNK: usize = 256 * 1024;

/// Decompresses `reader` into `chunks` until the end, an error, or the receiver is gone.
fn decompress_into(
    reader: Box<dyn Read + Send + '_>,
    chunks: mpsc::SyncSender<io::Result<Vec<u8>>>,
) {
    let mut decompressed = match layer::decompress(BufReader::with_capacity(1 << 20, reader)) {
        Ok(d) => d,
        Err(e) => {
            let _ = chunks.send(Err(io::Error::other(format!(
                "cannot read the layer: {e:#}"
            ))));
            return;
        }
    };
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match decompressed.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = chunks.send(Err(e));
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        chunk.truncate(filled);
        if chunks.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The extracting end of the pipe: reads the chunks in order; the end of the stream is the
/// sender going away after its last chunk.
struct Piped {
    incoming: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Piped {
    fn new(incoming: mpsc::Receiver<io::Result<Vec<u8>>>) -> Piped {
        Piped {
            incoming,
            chunk: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.incoming.recv() {
                Ok(chunk) => {
                    self.chunk = chunk?;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads a layer through to the end and checks it against its digests, writing nothing.
fn verify_only(source: LayerSource, expected: &str, failed: &AtomicBool) -> Result<()> {
    let (reader, verified) = checked_stream((source.open)()?, source.expected_blob, failed);
    let decompressed = layer::decompress(BufReader::with_capacity(1 << 20, reader))
        .context("cannot read the layer")?;
    let mut hashing = HashingReader::new(decompressed);
    io::copy(&mut hashing, &mut io::sink()).context("cannot read the layer")?;
    let actual = hashing.digest();
    if actual != expected {
        bail!("layer content does not match its digest (expected {expected}, got {actual}): the image is corrupt or was tampered with");
    }
    if !verified.load(Ordering::Acquire) {
        bail!("the layer ended before the end of its blob, whose digest was therefore not checked");
    }
    Ok(())
}

fn extract_one(
    dir: &Path,
    source: LayerSource,
    ignore_chown_errors: bool,
    failed: &AtomicBool,
) -> Result<IngestedLayer> {
    let diff = dir.join("diff");
    fs::create_dir(&diff)?;
    let (reader, verified) = checked_stream((source.open)()?, source.expected_blob, failed);
    let options = ExtractOptions {
        ignore_chown_errors,
        ..Default::default()
    };
    // Download, blob digest and decompression in one thread, tar parsing, extraction and the
    // diff id in another: a layer of many small files keeps two cores busy.
    let extracted = std::thread::scope(|scope| {
        let (chunks, incoming) = mpsc::sync_channel(PIPE_CHUNKS);
        scope.spawn(move || decompress_into(reader, chunks));
        layer::extract(Piped::new(incoming), &diff, &options)
    })
    .context("invalid layer")?;
    if !verified.load(Ordering::Acquire) {
        bail!("the layer ended before the end of its blob, whose digest was therefore not checked");
    }
    if let Some(expected) = &source.expected_diff_id {
        if *expected != extracted.diff_id {
            bail!(
                "layer content does not match its digest (expected {expected}, got {}): the image is corrupt or was tampered with",
                extracted.diff_id
            );
        }
    }
    fs::write(dir.join("size"), extracted.size.to_string())?;
    if let Some(record) = &extracted.tar_split {
        fs::write(dir.join(super::tarsplit::FILE_NAME), record)?;
    }
    Ok(IngestedLayer {
        diff_id: extracted.diff_id,
        size: extracted.size,
        skipped_devices: extracted.skipped_devices,
    })
}

/// Checks a blob against its digest and size as it streams: reading past the size fails at
/// once, and the end of the stream fails unless every byte matched the digest. Also stops
/// early when another layer failed, so a bad pull does not finish its other downloads.
struct VerifyingReader<'a, R> {
    inner: HashingReader<R>,
    digest: String,
    size: u64,
    verified: Arc<AtomicBool>,
    failed: &'a AtomicBool,
}

impl<'a, R> VerifyingReader<'a, R> {
    fn new(
        inner: R,
        digest: String,
        size: u64,
        verified: Arc<AtomicBool>,
        failed: &'a AtomicBool,
    ) -> Self {
        VerifyingReader {
            inner: HashingReader::new(inner),
            digest,
            size,
            verified,
            failed,
        }
    }
}

impl<R: Read> Read for VerifyingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(io::Error::other("stopped: another layer failed"));
        }
        let n = self.inner.read(buf)?;
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidData, message));
        if self.inner.count() > self.size {
            return invalid(format!(
                "the blob is larger than the {} bytes its descriptor says",
                self.size
            ));
        }
        if n == 0 && !buf.is_empty() && !self.verified.load(Ordering::Relaxed) {
            let actual = self.inner.digest();
            if self.inner.count() != self.size || actual != self.digest {
                return invalid(format!(
                    "blob {} does not match its digest ({} bytes with digest {actual}): the registry sent corrupt or tampered data",
                    self.digest,
                    self.inner.count()
                ));
            }
            self.verified.store(true, Ordering::Release);
        }
        Ok(n)
    }
}

fn commit(store: &Store, staged: &Path, diff_id: &str) -> Result<()> {
    let target = store.layer(diff_id);
    match fs::rename(staged, &target) {
        Ok(()) => Ok(()),
        // Another skiff stored the same layer first: ours is a duplicate.
        Err(_) if target.join("diff").is_dir() => {
            store::remove_tree(staged).ok();
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("cannot store layer {diff_id}")),
    }
}

/// Stores the tree at `dir` (an overlay upper directory: a container's changes, a build
/// step's) as a new layer: its tar, as [`super::tarball`] writes it with whiteouts in the OCI
/// form, is ingested like any layer, so the layer, its diff id and its record of the stream
/// agree. None when the tree is empty: the step changed no file.
pub fn ingest_dir(
    store: &Store,
    maps: &IdMappings,
    dir: &Path,
    lease: &Lease,
) -> Result<Option<IngestedLayer>> {
    let empty = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none();
    if empty {
        return Ok(None);
    }
    let tree = dir.to_path_buf();
    let source = LayerSource::new(
        dir.display().to_string(),
        // Runs in the user namespace, where the files of every mapped owner are readable.
        Box::new(move || {
            let opts = super::tarball::WriteOptions {
                layer: true,
                ..Default::default()
            };
            Ok(Box::new(tar_in_thread(move |out| {
                let mut writer = super::tarball::TarWriter::new(out, opts);
                writer.add(&tree, "", None)?;
                writer.finish()?;
                Ok(())
            })?) as Box<dyn Read + Send>)
        }),
    );
    let results = ingest(store, maps, vec![source], lease)?;
    warn_about(&results);
    Ok(results.into_iter().next())
}

/// A reader of what `write` writes, in a thread of its own; the writer's error, if any,
/// comes out of the reader at the end of the stream.
pub fn tar_in_thread(
    write: impl FnOnce(io::PipeWriter) -> Result<()> + Send + 'static,
) -> Result<ThreadReader> {
    let (reader, writer) = io::pipe().context("cannot create a pipe")?;
    let thread = std::thread::spawn(move || write(writer));
    Ok(ThreadReader {
        reader,
        thread: Some(thread),
    })
}

pub struct ThreadReader {
    reader: io::PipeReader,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Read for ThreadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.reader.read(buf)?;
        if n == 0 {
            if let Some(thread) = self.thread.take() {
                match thread.join() {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(io::Error::other(format!("{e:#}"))),
                    Err(_) => return Err(io::Error::other("the archive writer panicked")),
                }
            }
        }
        Ok(n)
    }
}
