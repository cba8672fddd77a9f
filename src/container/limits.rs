//! The kernel's per-process and per-namespace limits a container asks for: `--ulimit`
//! (resource limits of its processes) and `--sysctl` (settings of its own namespaces).

use anyhow::{bail, Result};
use oci_spec::runtime::{PosixRlimit, PosixRlimitBuilder, PosixRlimitType};
use serde::{Deserialize, Serialize};

/// `--ulimit NAME=SOFT[:HARD]`; -1 is unlimited.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// docker's ulimit names and the kernel's resources.
const ULIMITS: [(&str, PosixRlimitType); 15] = [
    ("core", PosixRlimitType::RlimitCore),
    ("cpu", PosixRlimitType::RlimitCpu),
    ("data", PosixRlimitType::RlimitData),
    ("fsize", PosixRlimitType::RlimitFsize),
    ("locks", PosixRlimitType::RlimitLocks),
    ("memlock", PosixRlimitType::RlimitMemlock),
    ("msgqueue", PosixRlimitType::RlimitMsgqueue),
    ("nice", PosixRlimitType::RlimitNice),
    ("nofile", PosixRlimitType::RlimitNofile),
    ("nproc", PosixRlimitType::RlimitNproc),
    ("rss", PosixRlimitType::RlimitRss),
    ("rtprio", PosixRlimitType::RlimitRtprio),
    ("rttime", PosixRlimitType::RlimitRttime),
    ("sigpending", PosixRlimitType::RlimitSigpending),
    ("stack", PosixRlimitType::RlimitStack),
];

impl Ulimit {
    pub fn parse(text: &str) -> Result<Ulimit> {
        let Some((name, values)) = text.split_once('=') else {
            bail!("invalid ulimit argument: {text}");
        };
        if !ULIMITS.iter().any(|(n, _)| *n == name) {
            bail!("invalid ulimit type: {name}");
        }
        let number = |v: &str| -> Result<i64> {
            match v.parse::<i64>() {
                Ok(n) if n >= -1 => Ok(n),
                _ => bail!("invalid ulimit value {v:?} in {text}: give a number, -1 for unlimited"),
            }
        };
        let (soft, hard) = match values.split_once(':') {
            Some((soft, hard)) => (number(soft)?, number(hard)?),
            None => {
                let n = number(values)?;
                (n, n)
            }
        };
        if as_limit(soft) > as_limit(hard) {
            bail!("ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
        }
        Ok(Ulimit {
            name: name.to_string(),
            soft,
            hard,
        })
    }

    /// The limit as the OCI runtime spec gives it to the runtime.
    pub fn to_oci(&self) -> Result<PosixRlimit> {
        let typ = ULIMITS
            .iter()
            .find(|(n, _)| *n == self.name)
            .map(|(_, t)| *t)
            .unwrap_or_default();
        Ok(PosixRlimitBuilder::default()
            .typ(typ)
            .soft(as_limit(self.soft))
            .hard(as_limit(self.hard))
            .build()?)
    }
}

/// -1 is the kernel's "infinity".
fn as_limit(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(libc::RLIM_INFINITY)
}

/// The IPC namespace's settings a container may change.
const IPC_SYSCTLS: [&str; 8] = [
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// `--sysctl KEY=VALUE`, refused unless the setting belongs to a namespace of the
/// container's own: its IPC namespace (`kernel.shm*`, `kernel.msg*`, `kernel.sem`,
/// `fs.mqueue.*`) or, unless it shares the host's, its network namespace (`net.*`).
pub fn parse_sysctl(text: &str, own_network: bool) -> Result<(String, String)> {
    let Some((key, value)) = text.split_once('=') else {
        bail!("invalid sysctl {text:?}: give KEY=VALUE");
    };
    let ipc = IPC_SYSCTLS.contains(&key) || key.starts_with("fs.mqueue.");
    if key.starts_with("net.") {
        if !own_network {
            bail!("sysctl {key:?} is not allowed in host network namespace");
        }
    } else if !ipc {
        bail!("sysctl '{key}' is not allowed: only the settings of the container's own namespaces may change (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), the others are the whole machine's");
    }
    Ok((key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulimits_as_docker_reads_them() {
        let u = Ulimit::parse("nofile=1024:2048").unwrap();
        assert_eq!((u.soft, u.hard), (1024, 2048));
        let u = Ulimit::parse("core=-1").unwrap();
        assert_eq!(u.to_oci().unwrap().soft(), libc::RLIM_INFINITY);
        assert_eq!(
            Ulimit::parse("nofile=2:1").unwrap_err().to_string(),
            "ulimit soft limit must be less than or equal to hard limit: 2 > 1"
        );
        assert_eq!(
            Ulimit::parse("files=1").unwrap_err().to_string(),
            "invalid ulimit type: files"
        );
        assert!(Ulimit::parse("nofile").is_err());
        assert!(Ulimit::parse("nofile=abc").is_err());
    }

    #[test]
    fn only_namespaced_sysctls() {
        assert!(parse_sysctl("net.ipv4.ip_forward=1", true).is_ok());
        assert!(parse_sysctl("net.ipv4.ip_forward=1", false).is_err());
        assert!(parse_sysctl("kernel.shmmax=1000000", false).is_ok());
        assert!(parse_sysctl("fs.mqueue.msg_max=20", true).is_ok());
        assert!(parse_sysctl("kernel.hostname=x", true).is_err());
        assert!(parse_sysctl("vm.swappiness=1", true).is_err());
        assert!(parse_sysctl("net.core.somaxconn", true).is_err());
    }
}
