//! The hidden commands the Engine API service runs as its children, for work that needs a
//! process of its own (the service has many threads): creating a container from typed run
//! options, and starting one whose output waits for the client about to attach.

use crate::container::create::{self, Start};
use crate::container::options::RunOptions;
use crate::container::{record, start};
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use anyhow::{Context, Result};
use serde_json::json;

/// `__create`: the run options as JSON on stdin; prints docker's `{"Id", "Warnings"}`.
pub fn create(store: &Store) -> Result<i32> {
    let opts: RunOptions = serde_json::from_reader(std::io::stdin().lock())
        .context("cannot read the run options on standard input")?;
    opts.validate()?;
    let maps = IdMappings::detect();
    let warnings: Vec<String> = maps
        .warning()
        .into_iter()
        .chain(crate::container::resources::warnings(&opts.resources))
        .collect();
    let prepared = create::create(store, &maps, &opts, Start::Later)?;
    println!("{}", json!({"Id": prepared.id(), "Warnings": warnings}));
    Ok(0)
}

/// `__start-for-client ID`: `start`, with the output held until a client attaches.
pub fn start_for_client(store: &Store, name: &str) -> Result<i32> {
    let id = record::resolve(store, name)?;
    let [rows, columns] = record::load(store, &id)?.options.console_size;
    start::for_terminal(store, &id, crate::runtime::tty::window_of(rows, columns))?;
    Ok(0)
}
