//! `top`'s process table of a running container, as `ps -ef` shows it: the table the CLI
//! prints and `GET /containers/{id}/top` answers.

use super::{processes, state};
use crate::clock;
use crate::store::Store;
use anyhow::{bail, Result};

/// The columns of the table, in order.
pub const TITLES: [&str; 8] = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];

/// One row per process of the container `id`, in [`TITLES`]' order.
pub fn table(store: &Store, id: &str) -> Result<Vec<[String; 8]>> {
    let current = state::load(store, id)?;
    if current.status != "running" {
        bail!("container {} is not running", &id[..12]);
    }
    let tick = crate::host::ticks_per_second();
    let boot = boot_time();
    let rows = processes::of_container(&current)
        .into_iter()
        .filter_map(processes::info)
        .map(|p| {
            let cpu = p.cpu_ticks / tick;
            let started = clock::format_rfc3339((boot + (p.start_ticks / tick) as i64, 0));
            [
                user_name(p.uid),
                p.pid.to_string(),
                p.ppid.to_string(),
                "0".to_string(),
                started[11..16].to_string(),
                p.tty,
                format!("{:02}:{:02}:{:02}", cpu / 3600, cpu / 60 % 60, cpu % 60),
                p.command,
            ]
        })
        .collect();
    Ok(rows)
}

/// The machine's boot time, in seconds since the epoch.
fn boot_time() -> i64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The host's name for `uid`, or the number.
fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| uid.to_string())
}
