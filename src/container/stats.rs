//! What `stats` samples of a running container: CPU time, memory, network and block I/O
//! and its process count, from its cgroup when it has one, else from its processes.

use super::list::Summary;
use super::processes;

/// CPU time, memory, I/O and process count of one container at one moment.
#[derive(Default, Clone, Debug)]
pub struct Sample {
    pub cpu_nanos: u64,
    pub memory: u64,
    /// The container's memory limit; None when it has none.
    pub memory_limit: Option<u64>,
    pub pids: u64,
    /// Bytes received and sent.
    pub net: (u64, u64),
    /// Bytes read and written.
    pub block: (u64, u64),
}

/// The container's figures now; all zero when it does not run.
pub fn sample(s: &Summary) -> Sample {
    if !s.state.is_running() {
        return Sample::default();
    }
    let sample = match &s.state.cgroup {
        Some(cgroup) => cgroup_sample(cgroup.usage()),
        None => processes_sample(s.state.pid),
    };
    Sample {
        net: net_io(s.state.pid),
        ..sample
    }
}

/// What the container's cgroup counts.
fn cgroup_sample(usage: crate::runtime::cgroup::Usage) -> Sample {
    Sample {
        cpu_nanos: usage.cpu_nanos,
        memory: usage.memory,
        memory_limit: usage.memory_limit,
        pids: usage.pids,
        block: usage.block,
        ..Default::default()
    }
}

/// Without a cgroup: the sums over the processes of the container's pid namespace.
fn processes_sample(pid1: i32) -> Sample {
    let members = processes::members(pid1);
    let infos: Vec<_> = members.iter().filter_map(|&p| processes::info(p)).collect();
    let block = members.iter().fold((0, 0), |acc, p| {
        let io = std::fs::read_to_string(format!("/proc/{p}/io")).unwrap_or_default();
        let field = |name: &str| {
            io.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        (acc.0 + field("read_bytes:"), acc.1 + field("write_bytes:"))
    });
    let ticks: u64 = infos.iter().map(|i| i.cpu_ticks).sum();
    Sample {
        cpu_nanos: ticks * 1_000_000_000 / crate::host::ticks_per_second(),
        memory: infos.iter().map(|i| i.rss_bytes).sum(),
        pids: infos.len() as u64,
        block,
        ..Default::default()
    }
}

/// Bytes received and sent on the container's interfaces other than loopback.
fn net_io(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default();
    text.lines()
        .skip(2)
        .filter(|l| !l.trim_start().starts_with("lo:"))
        .fold((0, 0), |acc, l| {
            let fields: Vec<u64> = l
                .split(':')
                .nth(1)
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            (
                acc.0 + fields.first().copied().unwrap_or(0),
                acc.1 + fields.get(8).copied().unwrap_or(0),
            )
        })
}
