//! The resource limits a container asks for, named and typed as docker's HostConfig names
//! them (the command line, the Engine API and compose all fill this one struct), and
//! docker's checks of them.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// docker's smallest memory limit and reservation (6 MiB).
const MIN_MEMORY: i64 = 6 << 20;
/// The kernel's bounds of cpu.shares; docker clamps to them.
const CPU_SHARES: (i64, i64) = (2, 262_144);
/// The CFS period the kernel uses when none is given, in microseconds.
pub const DEFAULT_CPU_PERIOD: i64 = 100_000;

/// Zero (or empty, or unset) fields ask for nothing, as in docker's HostConfig.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Resources {
    /// Bytes of memory.
    pub memory: i64,
    /// Memory plus swap in bytes; -1 is unlimited swap.
    pub memory_swap: i64,
    /// The soft limit, in bytes.
    pub memory_reservation: i64,
    pub oom_kill_disable: bool,
    /// CPUs in billionths (`--cpus 1.5` is 1500000000).
    pub nano_cpus: i64,
    /// The relative CPU weight (cpu.shares).
    pub cpu_shares: i64,
    /// CFS period and quota in microseconds; a quota of -1 is none.
    pub cpu_period: i64,
    pub cpu_quota: i64,
    /// Lists such as `0-2,4`.
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    /// Unset keeps the default; 0 or less is unlimited.
    pub pids_limit: Option<i64>,
    /// 10 to 1000.
    pub blkio_weight: u16,
    /// Where the container's cgroup goes instead of skiff's own.
    pub cgroup_parent: String,
    /// Device cgroup rules such as `c 1:3 rwm`.
    pub device_cgroup_rules: Vec<String>,
}

/// What the machine offers, for the checks: CPU count and the online CPUs and memory nodes.
pub struct Machine {
    pub cpus: usize,
    pub online_cpus: String,
    pub online_mems: String,
}

impl Machine {
    pub fn this() -> Machine {
        let read = |path: &str, default: &str| {
            std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| default.to_string())
        };
        Machine {
            cpus: cpus_allowed(),
            online_cpus: read("/sys/devices/system/cpu/online", "0"),
            online_mems: read("/sys/devices/system/node/online", "0"),
        }
    }
}

/// The CPUs this process may run on, as docker counts them (not reduced by a CPU quota of
/// the caller's own cgroup, which `available_parallelism` would count).
fn cpus_allowed() -> usize {
    // SAFETY: the set is a plain bit mask, filled by the kernel.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return 1;
        }
        (libc::CPU_COUNT(&set) as usize).max(1)
    }
}

impl Resources {
    /// Whether anything here needs a cgroup of the container's own.
    pub fn wants_cgroup(&self) -> bool {
        *self != Resources::default()
    }

    /// docker's defaulting at creation: a memory limit without a swap limit allows as much
    /// swap again; shares beyond the kernel's bounds are brought within them.
    pub fn normalized(mut self) -> Resources {
        if self.memory > 0 && self.memory_swap == 0 {
            self.memory_swap = self.memory * 2;
        }
        if self.cpu_shares > 0 {
            self.cpu_shares = self.cpu_shares.clamp(CPU_SHARES.0, CPU_SHARES.1);
        }
        self
    }

    /// Defaulted and checked as docker does at creation (`update`: as `update` does).
    pub fn checked(self, update: bool) -> Result<Resources> {
        let mut resources = self.normalized();
        // At creation 0 and -1 both mean no limit (docker's clients send 0 for none); an
        // update keeps them, to lift a limit the container has.
        if !update && resources.pids_limit.is_some_and(|n| n <= 0) {
            resources.pids_limit = None;
        }
        // Without limits there is nothing to check: a plain `run` reads nothing of the machine.
        if resources.wants_cgroup() {
            resources.check(&Machine::this(), update)?;
        }
        Ok(resources)
    }

    /// docker's checks, with its messages. `update` may give a swap limit alone, since the
    /// container has its memory limit already.
    pub fn check(&self, machine: &Machine, update: bool) -> Result<()> {
        self.check_memory(update)?;
        self.check_cpu(machine)?;
        if self.blkio_weight != 0 && !(10..=1000).contains(&self.blkio_weight) {
            bail!("Range of blkio weight is from 10 to 1000");
        }
        for rule in &self.device_cgroup_rules {
            check_device_rule(rule)?;
        }
        Ok(())
    }

    fn check_memory(&self, update: bool) -> Result<()> {
        if self.memory != 0 && self.memory < MIN_MEMORY {
            bail!("Minimum memory limit allowed is 6MB");
        }
        if self.memory > 0 && self.memory_swap > 0 && self.memory_swap < self.memory {
            bail!("Minimum memoryswap limit should be larger than memory limit, see usage");
        }
        if self.memory == 0 && self.memory_swap > 0 && !update {
            bail!("You should always set the Memory limit when using Memoryswap limit, see usage");
        }
        if self.memory_reservation != 0 && self.memory_reservation < MIN_MEMORY {
            bail!("Minimum memory reservation allowed is 6MB");
        }
        if self.memory > 0 && self.memory_reservation > self.memory {
            bail!("Minimum memory limit can not be less than memory reservation limit, see usage");
        }
        Ok(())
    }

    fn check_cpu(&self, machine: &Machine) -> Result<()> {
        if self.nano_cpus != 0 && self.cpu_period != 0 {
            bail!("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }
        if self.nano_cpus != 0 && self.cpu_quota != 0 {
            bail!("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        }
        let cpus = machine.cpus as i64;
        if self.nano_cpus < 0 || self.nano_cpus > cpus * 1_000_000_000 {
            bail!(
                "Range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available"
            );
        }
        if self.cpu_shares < 0 {
            bail!(
                "invalid CPU shares {}: give a positive weight",
                self.cpu_shares
            );
        }
        if self.cpu_period != 0 && !(1000..=1_000_000).contains(&self.cpu_period) {
            bail!("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
        }
        if self.cpu_quota > 0 && self.cpu_quota < 1000 {
            bail!("CPU cfs quota can not be less than 1ms (i.e. 1000)");
        }
        check_cpuset(&self.cpuset_cpus, &machine.online_cpus, "cpus", "CPUs")?;
        check_cpuset(
            &self.cpuset_mems,
            &machine.online_mems,
            "mems",
            "memory nodes",
        )
    }

    /// The CFS (quota, period) to write: `--cpus` becomes a quota of the default period.
    pub fn cfs(&self) -> Option<(i64, i64)> {
        let period = if self.cpu_period > 0 {
            self.cpu_period
        } else {
            DEFAULT_CPU_PERIOD
        };
        if self.nano_cpus > 0 {
            return Some((self.nano_cpus * DEFAULT_CPU_PERIOD / 1_000_000_000, period));
        }
        (self.cpu_quota != 0 || self.cpu_period != 0).then_some((self.cpu_quota, period))
    }

    /// `update`: the fields `changes` sets replace ours.
    pub fn merge(&mut self, changes: &Resources) {
        let take = |ours: &mut i64, theirs: i64| {
            if theirs != 0 {
                *ours = theirs;
            }
        };
        take(&mut self.memory, changes.memory);
        take(&mut self.memory_swap, changes.memory_swap);
        take(&mut self.memory_reservation, changes.memory_reservation);
        take(&mut self.nano_cpus, changes.nano_cpus);
        take(&mut self.cpu_shares, changes.cpu_shares);
        take(&mut self.cpu_period, changes.cpu_period);
        take(&mut self.cpu_quota, changes.cpu_quota);
        if !changes.cpuset_cpus.is_empty() {
            self.cpuset_cpus = changes.cpuset_cpus.clone();
        }
        if !changes.cpuset_mems.is_empty() {
            self.cpuset_mems = changes.cpuset_mems.clone();
        }
        if changes.pids_limit.is_some() {
            self.pids_limit = changes.pids_limit;
        }
        if changes.blkio_weight != 0 {
            self.blkio_weight = changes.blkio_weight;
        }
    }
}

/// A cpuset list (`0-2,4`) of members the machine has.
fn check_cpuset(list: &str, online: &str, what: &str, plural: &str) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let Some(requested) = parse_list(list) else {
        bail!("Invalid value {list} for cpuset {what}");
    };
    let available = parse_list(online).unwrap_or_default();
    if !requested.is_subset(&available) {
        bail!("Requested {plural} are not available - requested {list}, available: {online}");
    }
    Ok(())
}

/// The kernel's list format: numbers and ranges, comma-separated.
fn parse_list(list: &str) -> Option<BTreeSet<u32>> {
    let mut members = BTreeSet::new();
    let number = |n: &str| n.trim().parse::<u32>().ok();
    for part in list.split(',') {
        let (low, high) = match part.split_once('-') {
            Some((low, high)) => (number(low)?, number(high)?),
            None => {
                let n = number(part)?;
                (n, n)
            }
        };
        if low > high {
            return None;
        }
        members.extend(low..=high);
    }
    Some(members)
}

/// docker's device rule: `TYPE MAJOR:MINOR ACCESS`, type a, b or c, numbers or `*`,
/// access some of r, w, m.
fn check_device_rule(rule: &str) -> Result<()> {
    let fields: Vec<&str> = rule.split(' ').collect();
    let number = |n: &str| n == "*" || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let valid = match fields.as_slice() {
        [kind, numbers, access] => {
            matches!(*kind, "a" | "b" | "c")
                && numbers
                    .split_once(':')
                    .is_some_and(|(major, minor)| number(major) && number(minor))
                && (1..=3).contains(&access.len())
                && access.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
        }
        _ => false,
    };
    if !valid {
        bail!("invalid device cgroup format '{rule}'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine {
            cpus: 2,
            online_cpus: "0-1".into(),
            online_mems: "0".into(),
        }
    }

    fn refused(r: Resources) -> String {
        r.check(&machine(), false).unwrap_err().to_string()
    }

    #[test]
    fn docker_checks() {
        let ok = Resources {
            memory: 64 << 20,
            nano_cpus: 1_500_000_000,
            cpuset_cpus: "0-1".into(),
            device_cgroup_rules: vec!["c 1:3 rwm".into(), "a *:* m".into()],
            ..Default::default()
        };
        ok.check(&machine(), false).unwrap();
        assert_eq!(
            refused(Resources {
                memory: 1024,
                ..Default::default()
            }),
            "Minimum memory limit allowed is 6MB"
        );
        assert_eq!(
            refused(Resources {
                nano_cpus: -1_000_000_000,
                ..Default::default()
            }),
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"
        );
        assert_eq!(
            refused(Resources {
                cpuset_cpus: "99".into(),
                ..Default::default()
            }),
            "Requested CPUs are not available - requested 99, available: 0-1"
        );
        assert_eq!(
            refused(Resources {
                cpuset_mems: "0-x".into(),
                ..Default::default()
            }),
            "Invalid value 0-x for cpuset mems"
        );
        assert!(refused(Resources {
            memory: 64 << 20,
            memory_swap: 32 << 20,
            ..Default::default()
        })
        .contains("memoryswap"));
        assert!(refused(Resources {
            cpu_period: 10,
            ..Default::default()
        })
        .contains("period"));
        assert!(refused(Resources {
            nano_cpus: 1,
            cpu_quota: 5000,
            ..Default::default()
        })
        .contains("Conflicting"));
        assert_eq!(
            refused(Resources {
                device_cgroup_rules: vec!["x 1:3 rwm".into()],
                ..Default::default()
            }),
            "invalid device cgroup format 'x 1:3 rwm'"
        );
        assert!(refused(Resources {
            blkio_weight: 5,
            ..Default::default()
        })
        .contains("blkio"));
    }

    #[test]
    fn defaults_as_docker() {
        let r = Resources {
            memory: 64 << 20,
            cpu_shares: 1,
            ..Default::default()
        }
        .normalized();
        assert_eq!((r.memory_swap, r.cpu_shares), (128 << 20, 2));
        let cpus = Resources {
            nano_cpus: 500_000_000,
            ..Default::default()
        };
        assert_eq!(cpus.cfs(), Some((50_000, 100_000)));
        assert_eq!(Resources::default().cfs(), None);
        assert!(!Resources::default().wants_cgroup());
        // docker's clients send a pids limit of 0 for none: no cgroup for that.
        let none = |n| Resources {
            pids_limit: Some(n),
            ..Default::default()
        };
        assert!(!none(0).checked(false).unwrap().wants_cgroup());
        assert!(!none(-1).checked(false).unwrap().wants_cgroup());
        assert_eq!(none(0).checked(true).unwrap().pids_limit, Some(0));
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse_list("0-2,5").unwrap().into_iter().collect::<Vec<_>>(),
            [0, 1, 2, 5]
        );
        assert!(parse_list("2-1").is_none());
        assert!(parse_list("").is_none());
    }
}
