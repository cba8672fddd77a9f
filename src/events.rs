//! The per-user event journal behind `skiff events`: one JSON line per event, appended by
//! whichever skiff process did the thing (CLI or supervisor). Lines are small and written with
//! O_APPEND in one call, so concurrent writers never interleave.

use crate::clock;
use crate::store::Store;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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

impl Event {
    /// docker's event message, with the old `status`/`id`/`from` fields compose still reads.
    pub fn docker_json(&self) -> Value {
        json!({
            "status": self.action, "id": self.id, "from": self.attributes.get("image"),
            "Type": self.kind, "Action": self.action,
            "Actor": {"ID": self.id, "Attributes": self.attributes},
            "scope": "local", "time": (self.time / 1_000_000_000) as i64, "timeNano": self.time,
        })
    }
}

/// Which events to show, in nanoseconds since the epoch; without `since`, docker shows only
/// what happens from now on, and without `until` it keeps following.
pub struct Window {
    pub since: Option<i128>,
    pub until: Option<i128>,
}

/// A point in time (RFC 3339, Unix time, or relative like `10m`) in nanoseconds.
pub fn parse_time(text: &str) -> Result<i128> {
    clock::parse_point_in_time(text)
        .map(nanos)
        .ok_or_else(|| anyhow::anyhow!("invalid time {text:?}"))
}

fn nanos(t: clock::Instant) -> i128 {
    t.0 as i128 * 1_000_000_000 + t.1 as i128
}

/// Hands every event in the window that the filters keep to `on_event`, following the journal
/// until `until` has passed or `stop()` says the reader is gone.
pub fn watch(
    store: &Store,
    window: &Window,
    filters: &EventFilters,
    mut on_event: impl FnMut(&Event) -> Result<()>,
    stop: impl Fn() -> bool,
) -> Result<()> {
    let path = journal(store);
    let mut offset = 0u64;
    let from = window.since.unwrap_or_else(|| nanos(clock::now()));
    loop {
        let (events, next) = read_events_from(&path, offset);
        offset = next;
        for event in events.iter().filter(|e| {
            e.time >= from && window.until.is_none_or(|u| e.time <= u) && filters.keeps(e)
        }) {
            on_event(event)?;
        }
        if window.until.is_some_and(|u| nanos(clock::now()) > u) || stop() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Where the journal ends now: events after this mark are those still to come.
pub fn mark(store: &Store) -> u64 {
    std::fs::metadata(journal(store)).map_or(0, |m| m.len())
}

/// The exit code of the last `die` of container `id` journaled after `mark`: what a
/// waiter learns of a run whose container was removed (`--rm`) before it could look.
pub fn exit_code_since(store: &Store, mark: u64, id: &str) -> Option<i32> {
    let (events, _) = read_events_from(&journal(store), mark);
    events
        .iter()
        .rev()
        .find(|e| e.kind == "container" && e.action == "die" && e.id == id)
        .and_then(|e| e.attributes.get("exitCode")?.parse().ok())
}

/// Complete lines of the journal from `offset`; returns them and the offset after them.
fn read_events_from(path: &Path, offset: u64) -> (Vec<Event>, u64) {
    use std::io::{Read, Seek};
    let Ok(mut file) = std::fs::File::open(path) else {
        return (Vec::new(), offset);
    };
    let mut text = String::new();
    if file.seek(std::io::SeekFrom::Start(offset)).is_err()
        || file.read_to_string(&mut text).is_err()
    {
        return (Vec::new(), offset);
    }
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    let events = text[..complete]
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (events, offset + complete as u64)
}

/// The events `--filter` keeps: `container=`, `type=`, `event=`, `image=`.
pub struct EventFilters {
    containers: Vec<String>,
    kinds: Vec<String>,
    actions: Vec<String>,
    images: Vec<String>,
}

impl EventFilters {
    pub fn parse(store: &Store, filters: &[String]) -> Result<EventFilters> {
        let mut f = EventFilters {
            containers: vec![],
            kinds: vec![],
            actions: vec![],
            images: vec![],
        };
        for filter in filters {
            let (key, value) = crate::filter::split(filter)?;
            match key {
                // Names are resolved now, so the filter keeps working for a removed container's id.
                "container" => {
                    f.containers.push(value.to_string());
                    if let Ok(id) = crate::container::record::resolve(store, value) {
                        f.containers.push(id);
                    }
                }
                "type" => f.kinds.push(value.into()),
                "event" | "action" => f.actions.push(value.into()),
                "image" => f.images.push(value.into()),
                other => anyhow::bail!("invalid filter '{other}'"),
            }
        }
        Ok(f)
    }

    pub fn keeps(&self, e: &Event) -> bool {
        let name = e
            .attributes
            .get("name")
            .map(String::as_str)
            .unwrap_or_default();
        (self.containers.is_empty()
            || e.kind == "container"
                && self
                    .containers
                    .iter()
                    .any(|c| c == &e.id || c == name || e.id.starts_with(c.as_str())))
            && (self.kinds.is_empty() || self.kinds.contains(&e.kind))
            && (self.actions.is_empty()
                || self
                    .actions
                    .iter()
                    .any(|a| e.action == *a || e.action.starts_with(&format!("{a}:"))))
            && (self.images.is_empty()
                || self
                    .images
                    .iter()
                    .any(|i| e.attributes.get("image") == Some(i) || e.id == *i))
    }
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
