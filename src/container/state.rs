//! What a container is doing, as `containers/<id>/state.json` says and the process table
//! confirms. Only the container's supervisor writes the state while it lives; a state that
//! says "running" whose supervisor is gone (killed, or the machine rebooted) is read as
//! exited, so a killed supervisor never leaves a lie in `ps`. User intentions that the
//! supervisor must honour (stopped by the user, paused) are marker files next to it.

use super::record;
use crate::clock;
use crate::store::{self, Store};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ContainerState {
    /// created, running, restarting or exited (paused is a marker on top of running).
    pub status: String,
    /// Host pid of the container's pid 1 and its start time, to recognise pid reuse.
    #[serde(default)]
    pub pid: i32,
    #[serde(default)]
    pub pid_start: u64,
    /// The process supervising the container (the foreground CLI or a detached supervisor).
    #[serde(default)]
    pub supervisor: i32,
    #[serde(default)]
    pub supervisor_start: u64,
    #[serde(default)]
    pub exit_code: i32,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub finished_at: String,
    #[serde(default)]
    pub restart_count: u32,
    /// The published ports as bound, while the container runs.
    #[serde(default)]
    pub ports: Vec<crate::net::publish::PortMapping>,
    /// The cgroup of the container's limits, while it runs with one.
    #[serde(default)]
    pub cgroup: Option<crate::runtime::cgroup::Cgroup>,
    /// Whether the kernel's OOM killer killed in the container's last run.
    #[serde(default)]
    pub oom_killed: bool,
}

impl ContainerState {
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "running" | "restarting")
    }
}

fn path(store: &Store, id: &str) -> PathBuf {
    record::dir(store, id).join("state.json")
}

pub fn save(store: &Store, id: &str, state: &ContainerState) -> Result<()> {
    store::write_json(&path(store, id), state)
}

/// The state as it really is: a running state whose supervisor died reads as exited (137,
/// as if killed), and is corrected on disk.
pub fn load(store: &Store, id: &str) -> Result<ContainerState> {
    let mut state: ContainerState = store::read_json(&path(store, id))?;
    if state.is_running() && !store::process_alive(state.supervisor, state.supervisor_start) {
        state.status = "exited".into();
        state.exit_code = 137;
        state.pid = 0;
        if state.finished_at.is_empty() {
            state.finished_at = clock::format_rfc3339(clock::now());
        }
        let _ = save(store, id, &state);
    }
    Ok(state)
}

/// Marker files for what the user asked of a running container.
#[derive(Clone, Copy)]
pub enum Marker {
    /// `stop` or `kill`: restart policies must not bring the container back.
    StoppedByUser,
    Paused,
}

fn marker_path(store: &Store, id: &str, marker: Marker) -> PathBuf {
    let name = match marker {
        Marker::StoppedByUser => "stopped-by-user",
        Marker::Paused => "paused",
    };
    record::dir(store, id).join(name)
}

pub fn set_marker(store: &Store, id: &str, marker: Marker, on: bool) -> Result<()> {
    let path = marker_path(store, id, marker);
    if on {
        std::fs::write(path, b"")?;
    } else if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e.into());
        }
    }
    Ok(())
}

pub fn has_marker(store: &Store, id: &str, marker: Marker) -> bool {
    marker_path(store, id, marker).exists()
}
