//! The resource limit flags: `build`'s CPU and memory flags, the limits `update` changes,
//! and `run`'s whole set, each turned into the one typed [`Resources`].

use crate::runtime::cgroup::{Machine, Resources};
use anyhow::{anyhow, Result};
use clap::Args;

/// The CPU and memory flags `build`, `run` and `update` share.
#[derive(Args, Default)]
pub struct CpuMemoryArgs {
    /// CPU shares (relative weight)
    #[arg(
        short = 'c',
        long = "cpu-shares",
        value_name = "N",
        allow_hyphen_values = true
    )]
    cpu_shares: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) period, in microseconds
    #[arg(long = "cpu-period", value_name = "N", allow_hyphen_values = true)]
    cpu_period: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)
    #[arg(long = "cpu-quota", value_name = "N", allow_hyphen_values = true)]
    cpu_quota: Option<i64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus", value_name = "CPUS")]
    cpuset_cpus: Option<String>,
    /// Memory nodes in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems", value_name = "MEMS")]
    cpuset_mems: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long, value_name = "BYTES", allow_hyphen_values = true)]
    memory: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", value_name = "BYTES", allow_hyphen_values = true)]
    memory_swap: Option<String>,
}

/// The limits `update` may change on a running container.
#[derive(Args, Default)]
pub struct LimitArgs {
    #[command(flatten)]
    cpu_memory: CpuMemoryArgs,
    /// Number of CPUs
    #[arg(long, value_name = "DECIMAL", allow_hyphen_values = true)]
    cpus: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation", value_name = "BYTES")]
    memory_reservation: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", value_name = "N", allow_hyphen_values = true)]
    pids_limit: Option<i64>,
    /// Block IO (relative weight), between 10 and 1000
    #[arg(long = "blkio-weight", value_name = "N")]
    blkio_weight: Option<u16>,
}

/// `run`'s and `create`'s resource flags.
#[derive(Args)]
pub struct ResourceArgs {
    #[command(flatten)]
    limits: LimitArgs,
    /// Disable OOM Killer
    #[arg(long = "oom-kill-disable")]
    oom_kill_disable: bool,
    /// Optional parent cgroup for the container
    #[arg(long = "cgroup-parent", value_name = "PATH")]
    cgroup_parent: Option<String>,
    /// Cgroup namespace to use: host, or private (its own; the default on cgroup v2)
    #[arg(long, value_name = "MODE")]
    cgroupns: Option<String>,
    /// Add a rule to the cgroup allowed devices list (TYPE MAJOR:MINOR ACCESS: 'c 1:3 rwm')
    #[arg(long = "device-cgroup-rule", value_name = "RULE")]
    device_cgroup_rule: Vec<String>,
}

impl CpuMemoryArgs {
    fn resources(&self) -> Result<Resources> {
        Ok(Resources {
            cpu_shares: self.cpu_shares.unwrap_or(0),
            cpu_period: self.cpu_period.unwrap_or(0),
            cpu_quota: self.cpu_quota.unwrap_or(0),
            cpuset_cpus: self.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: self.cpuset_mems.clone().unwrap_or_default(),
            memory: size("-m, --memory", self.memory.as_deref())?,
            memory_swap: swap(self.memory_swap.as_deref())?,
            ..Default::default()
        })
    }

    /// The limits for a build's RUN steps, checked as `run` checks them.
    pub fn checked(&self) -> Result<Resources> {
        self.resources()?.checked(false)
    }
}

impl LimitArgs {
    fn resources(&self) -> Result<Resources> {
        Ok(Resources {
            nano_cpus: self
                .cpus
                .as_deref()
                .map(nano_cpus)
                .transpose()?
                .unwrap_or(0),
            memory_reservation: size("--memory-reservation", self.memory_reservation.as_deref())?,
            pids_limit: self.pids_limit,
            blkio_weight: self.blkio_weight.unwrap_or(0),
            ..self.cpu_memory.resources()?
        })
    }

    /// The changes `update` makes: checked, but not defaulted (what is not given stays).
    pub fn changes(&self) -> Result<Resources> {
        let changes = self.resources()?;
        changes.check(&Machine::this(), true)?;
        Ok(changes)
    }
}

impl ResourceArgs {
    /// The container's limits, checked and defaulted as docker does at creation.
    pub fn resources(&self) -> Result<Resources> {
        Resources {
            oom_kill_disable: self.oom_kill_disable,
            cgroup_parent: self.cgroup_parent.clone().unwrap_or_default(),
            device_cgroup_rules: self.device_cgroup_rule.clone(),
            ..self.limits.resources()?
        }
        .checked(false)
    }

    /// `--cgroupns`: whether the container gets a cgroup namespace of its own; docker's
    /// default is its own on cgroup v2, the host's on v1.
    pub fn private_cgroupns(&self) -> Result<bool> {
        crate::container::resources::private_cgroupns(self.cgroupns.as_deref().unwrap_or_default())
    }
}

/// docker's message for a flag value that does not parse.
fn invalid(flag: &str, value: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("invalid argument {value:?} for \"{flag}\" flag: {reason}")
}

fn size(flag: &str, value: Option<&str>) -> Result<i64> {
    let Some(value) = value else { return Ok(0) };
    let bytes = crate::size::parse(value).map_err(|e| invalid(flag, value, e))?;
    i64::try_from(bytes).map_err(|_| invalid(flag, value, "too large"))
}

/// `--memory-swap`: a size, or -1 for unlimited swap.
fn swap(value: Option<&str>) -> Result<i64> {
    match value {
        Some("-1") => Ok(-1),
        other => size("--memory-swap", other),
    }
}

/// `--cpus 1.5` in billionths of a CPU; more precision than that is refused, as docker
/// refuses it.
fn nano_cpus(value: &str) -> Result<i64> {
    let flag = "--cpus";
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !is_digits(whole) || !is_digits(fraction) {
        return Err(invalid(
            flag,
            value,
            format!("failed to parse {value} as a rational number"),
        ));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 9 {
        return Err(invalid(flag, value, "value is too precise"));
    }
    let too_large = || invalid(flag, value, "value is too large");
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let fraction: i64 = format!("{fraction:0<9}").parse().unwrap_or(0);
    let nanos = whole
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(fraction))
        .ok_or_else(too_large)?;
    Ok(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_as_docker_reads_them() {
        assert_eq!(nano_cpus("1.5").unwrap(), 1_500_000_000);
        assert_eq!(nano_cpus(".25").unwrap(), 250_000_000);
        assert_eq!(nano_cpus("-1").unwrap(), -1_000_000_000);
        assert_eq!(nano_cpus("2.0000000000").unwrap(), 2_000_000_000);
        assert_eq!(
            nano_cpus("abc").unwrap_err().to_string(),
            "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number"
        );
        assert!(nano_cpus("0.0000000001")
            .unwrap_err()
            .to_string()
            .contains("too precise"));
        assert!(nano_cpus(".").is_err());
    }

    #[test]
    fn sizes_in_docker_shape() {
        assert_eq!(size("-m, --memory", Some("64m")).unwrap(), 64 << 20);
        assert!(size("-m, --memory", Some("abc"))
            .unwrap_err()
            .to_string()
            .starts_with("invalid argument \"abc\" for \"-m, --memory\" flag: invalid size"));
        assert_eq!(swap(Some("-1")).unwrap(), -1);
        assert_eq!(swap(None).unwrap(), 0);
    }
}
