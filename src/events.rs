//! The per-user event journal behind `skiff events`: one JSON line per event, appended by
//! whichever skiff process did the thing (CLI or supervisor). Lines are small and written with
//! O_APPEND in one call, so concurrent writers never interleave.

use crate::clock;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Event {
    /// Nanoseconds since the epoch.
    pub time: i128,
    /// container, image, network or volume.
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: BTreeMap<String, String>,
}

pub fn journal(store: &Store) -> PathBuf {
    store.root.join("events.jsonl")
}

/// Appends an event; a journal that cannot be written never fails the operation itself.
pub fn emit(store: &Store, kind: &str, action: &str, id: &str, attributes: &[(&str, &str)]) {
    let (secs, nanos) = clock::now();
    let event = Event {
        time: secs as i128 * 1_000_000_000 + nanos as i128,
        kind: kind.into(),
        action: action.into(),
        id: id.into(),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let Ok(mut line) = serde_json::to_vec(&event) else {
        return;
    };
    line.push(b'\n');
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal(store))
    {
        let _ = file.write_all(&line);
    }
}
