//! The processes of a running container, found through its cgroup when it has one, else
//! through its pid namespace: for `pause` (the cgroup's freezer, or SIGSTOP to every
//! process where there is no freezer, as for rootless skiff on cgroup v1), `top` and `stats`.

use super::state::{self, ContainerState, Marker};
use crate::store::Store;
use anyhow::{bail, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Host pids of every process in the pid namespace of `pid1`.
pub fn members(pid1: i32) -> Vec<i32> {
    let Ok(target) = std::fs::read_link(format!("/proc/{pid1}/ns/pid")) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &i32| {
            std::fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|ns| ns == target)
        })
        .collect();
    pids.sort();
    pids
}

/// Host pids of the container's processes: its cgroup's, or those of its pid namespace.
pub fn of_container(state: &ContainerState) -> Vec<i32> {
    match &state.cgroup {
        Some(cgroup) => cgroup.procs(),
        None => members(state.pid),
    }
}

/// Freezes the container's cgroup, or without a freezer stops every process, repeating until a pass finds no new one (a process may fork while
/// we walk the list).
pub fn pause(store: &Store, id: &str) -> Result<()> {
    let current = state::load(store, id)?;
    if current.status != "running" {
        bail!("container {} is not running", &id[..12]);
    }
    if state::has_marker(store, id, Marker::Paused) {
        bail!("container {} is already paused", &id[..12]);
    }
    state::set_marker(store, id, Marker::Paused, true)?;
    if !freeze(&current, true)? {
        stop_all(current.pid);
    }
    crate::events::emit(store, "container", "pause", id, &[]);
    Ok(())
}

/// Freezes or thaws the container's cgroup; false when it has no freezer.
fn freeze(current: &ContainerState, frozen: bool) -> Result<bool> {
    match &current.cgroup {
        Some(cgroup) => cgroup.freeze(frozen),
        None => Ok(false),
    }
}

fn stop_all(pid1: i32) {
    let mut stopped = std::collections::HashSet::new();
    loop {
        let fresh: Vec<i32> = members(pid1)
            .into_iter()
            .filter(|p| !stopped.contains(p))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for pid in fresh {
            let _ = kill(Pid::from_raw(pid), Signal::SIGSTOP);
            stopped.insert(pid);
        }
    }
}

pub fn unpause(store: &Store, id: &str) -> Result<()> {
    if !state::has_marker(store, id, Marker::Paused) {
        bail!("container {} is not paused", &id[..12]);
    }
    resume(store, id)?;
    crate::events::emit(store, "container", "unpause", id, &[]);
    Ok(())
}

fn resume(store: &Store, id: &str) -> Result<()> {
    let current = state::load(store, id)?;
    if !freeze(&current, false)? {
        for pid in members(current.pid) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
    }
    state::set_marker(store, id, Marker::Paused, false)
}

/// A stopped (paused) container must run again to act on a stop signal.
pub fn resume_if_paused(store: &Store, id: &str) {
    if state::has_marker(store, id, Marker::Paused) {
        let _ = resume(store, id);
    }
}

/// One process as `top` and `stats` see it.
pub struct ProcessInfo {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    pub tty: String,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time in clock ticks since boot.
    pub start_ticks: u64,
    pub rss_bytes: u64,
    pub command: String,
}

pub fn info(pid: i32) -> Option<ProcessInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat[stat.rfind(')')? + 2..].split(' ').collect::<Vec<_>>();
    let field = |n: usize| {
        after
            .get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut command = cmdline
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(" ");
    if command.is_empty() {
        command = format!("[{}]", &stat[stat.find('(')? + 1..stat.rfind(')')?]);
    }
    let tty_nr = field(7);
    let tty = if tty_nr == 0 {
        "?".to_string()
    } else {
        format!("pts/{}", (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00))
    };
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    Some(ProcessInfo {
        pid,
        ppid: field(4) as i32,
        uid,
        tty,
        cpu_ticks: field(14) + field(15),
        start_ticks: field(22),
        rss_bytes: field(24) * page,
        command,
    })
}
