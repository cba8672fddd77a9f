//! `skiff import`: a root filesystem tarball (a file, standard input or a URL) becomes a
//! one-layer image.

use super::change;
use super::config::{host_architecture, History, ImageConfig, RootFs, RunConfig};
use super::ingest::{self, LayerSource};
use super::reference::Reference;
use super::store as images;
use crate::clock;
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use anyhow::{Context, Result};
use std::io::Read;

pub struct ImportOptions {
    pub changes: Vec<String>,
    pub message: Option<String>,
    pub tag: Option<Reference>,
}

/// Imports the tarball at `source` (a path, or `-` for standard input); returns the image id.
pub fn import(
    store: &Store,
    maps: &IdMappings,
    source: &str,
    opts: &ImportOptions,
) -> Result<String> {
    let mut run_config = RunConfig::default();
    for c in &opts.changes {
        change::apply(&mut run_config, c)?;
    }
    let path = source.to_string();
    let open: ingest::Opener = if source == "-" {
        Box::new(|| Ok(not_empty(std::io::stdin())))
    } else if super::fetch::is_url(source) {
        let download = super::fetch::get(source)?;
        Box::new(move || Ok(not_empty(download.body)))
    } else {
        // Open now, so that a missing file is reported before any work starts.
        let file = std::fs::File::open(&path).with_context(|| format!("cannot open {path}"))?;
        Box::new(move || Ok(not_empty(file)))
    };
    let label = if source == "-" {
        "standard input".to_string()
    } else {
        source.to_string()
    };
    let lease = super::lease::Lease::new(store);
    let layers = ingest::ingest(store, maps, vec![LayerSource::new(label, open)], &lease)?;
    ingest::warn_about(&layers);
    let now = clock::format_rfc3339(clock::now());
    let config = ImageConfig {
        created: Some(now.clone()),
        architecture: host_architecture().to_string(),
        os: "linux".into(),
        config: run_config,
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect(),
        },
        history: vec![History {
            created: Some(now),
            created_by: Some(format!("skiff import {source}")),
            comment: opts.message.clone(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let bytes = serde_json::to_vec(&config)?;
    let tags: Vec<Reference> = opts.tag.iter().cloned().collect();
    Ok(images::add(store, &bytes, &tags)?.id)
}

/// A tar reader takes an empty stream for an archive without files; from `import` that is
/// never what the user meant (a failed download, the wrong file), so it is refused.
fn not_empty(inner: impl Read + Send + 'static) -> Box<dyn Read + Send> {
    Box::new(NotEmpty { inner, seen: false })
}

struct NotEmpty<R> {
    inner: R,
    seen: bool,
}

impl<R: Read> Read for NotEmpty<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !self.seen && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "nothing to import: the archive is empty (import takes a tar archive of a root filesystem)",
            ));
        }
        self.seen |= n > 0;
        Ok(n)
    }
}
