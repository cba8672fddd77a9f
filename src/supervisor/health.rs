//! Healthchecks, run by the supervisor: the image's HEALTHCHECK or the `--health-*` flags.
//! Each check is an `exec` into the container, polled from the supervisor's event loop so
//! that a slow check never stalls the container's output. Results are kept in docker's shape
//! (`State.Health`) in `containers/<id>/health.json`.

use crate::clock;
use crate::container::options::HealthOptions;
use crate::container::start::Prepared;
use crate::events;
use crate::image::config::RunConfig;
use crate::runtime::exec::{exec, Exec};
use crate::runtime::seccomp::Filters;
use crate::runtime::{Started, Stdio};
use crate::store::{self, Store};
use anyhow::Result;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use oci_spec::runtime::Process;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const KEPT_RESULTS: usize = 5;
const MAX_OUTPUT: usize = 4096;

/// Docker's `State.Health`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    pub status: String,
    pub failing_streak: u32,
    pub log: Vec<CheckResult>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct CheckResult {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// A resolved healthcheck configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub command: Vec<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub start_period: Duration,
    /// Between checks while the start period lasts.
    pub start_interval: Duration,
    pub retries: u32,
}

impl Config {
    /// The wait for the first check: the start interval when there is a start period.
    fn first_delay(&self) -> Duration {
        if self.start_period.is_zero() {
            self.interval
        } else {
            self.start_interval.min(self.interval)
        }
    }
}

pub fn health_path(dir: &std::path::Path) -> PathBuf {
    dir.join("health.json")
}

/// Reads a container's health, if it has a healthcheck.
pub fn load(dir: &std::path::Path) -> Option<Health> {
    store::read_json(&health_path(dir)).ok()
}

/// Refuses a `--health-*` duration that does not parse before any container is made: the
/// supervisor of a detached container would otherwise be the first to read it, and die.
pub fn check_flags(flags: &HealthOptions) -> Result<()> {
    for (name, flag) in duration_flags(flags) {
        if let Some(text) = flag {
            flag_duration(name, text)?;
        }
    }
    Ok(())
}

/// The duration flags with their names, as errors name them.
fn duration_flags(flags: &HealthOptions) -> [(&'static str, &Option<String>); 4] {
    [
        ("--health-interval", &flags.interval),
        ("--health-timeout", &flags.timeout),
        ("--health-start-period", &flags.start_period),
        ("--health-start-interval", &flags.start_interval),
    ]
}

fn flag_duration(name: &str, text: &str) -> Result<Duration> {
    clock::parse_duration(text).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid argument {text:?} for \"{name}\" flag: time: invalid duration {text:?}"
        )
    })
}

/// The image's HEALTHCHECK overridden by the container's flags; None when there is none.
pub fn resolve(image: &RunConfig, flags: &HealthOptions) -> Result<Option<Config>> {
    if flags.disabled {
        return Ok(None);
    }
    let image_check = image.other.get("Healthcheck");
    let nanos = |key: &str| {
        image_check
            .and_then(|h| h.get(key))
            .and_then(|v| v.as_u64())
            .filter(|n| *n > 0)
            .map(Duration::from_nanos)
    };
    let duration = |(name, flag): (&str, &Option<String>), key: &str, default: u64| match flag {
        Some(text) => flag_duration(name, text),
        None => Ok(nanos(key).unwrap_or(Duration::from_secs(default))),
    };
    let [interval, timeout, start_period, start_interval] = duration_flags(flags);
    let test: Vec<String> = match &flags.cmd {
        Some(cmd) => vec!["CMD-SHELL".into(), cmd.clone()],
        None => image_check
            .and_then(|h| h.get("Test"))
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default(),
    };
    let shell = image
        .shell
        .clone()
        .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
    let command = match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => rest.to_vec(),
        Some((kind, rest)) if kind == "CMD-SHELL" && !rest.is_empty() => {
            shell.into_iter().chain([rest.join(" ")]).collect()
        }
        _ => return Ok(None),
    };
    let retries = flags
        .retries
        .or_else(|| {
            image_check
                .and_then(|h| h.get("Retries"))
                .and_then(|v| v.as_u64())
                .map(|n| n as u32)
        })
        .filter(|n| *n > 0)
        .unwrap_or(3);
    Ok(Some(Config {
        command,
        interval: duration(interval, "Interval", 30)?,
        timeout: duration(timeout, "Timeout", 30)?,
        start_period: duration(start_period, "StartPeriod", 0)?,
        start_interval: duration(start_interval, "StartInterval", 5)?,
        retries,
    }))
}

struct Running {
    started: Started,
    output: OwnedFd,
    text: Vec<u8>,
    began: Instant,
    start_time: String,
}

pub struct Checker<'a> {
    store: &'a Store,
    prepared: &'a Prepared,
    target: i32,
    /// The container's cgroup, which checks run in, as its other processes do.
    cgroup: Option<&'a crate::runtime::cgroup::Cgroup>,
    process: Process,
    seccomp: Option<&'a Filters>,
    config: Config,
    health: Health,
    container_started: Instant,
    next: Instant,
    running: Option<Running>,
}

impl<'a> Checker<'a> {
    pub fn for_container(
        store: &'a Store,
        prepared: &'a Prepared,
        target: i32,
        cgroup: Option<&'a crate::runtime::cgroup::Cgroup>,
    ) -> Result<Option<Checker<'a>>> {
        let image = crate::image::store::resolve(store, &prepared.record.image_id)
            .map(|i| i.config.config)
            .unwrap_or_default();
        let Some(config) = resolve(&image, &prepared.options().health)? else {
            return Ok(None);
        };
        let mut process = prepared.spec.process().clone().unwrap_or_default();
        process.set_args(Some(config.command.clone()));
        process.set_terminal(Some(false));
        let health = Health {
            status: "starting".into(),
            ..Default::default()
        };
        store::write_json(&health_path(&prepared.paths.dir), &health)?;
        let now = Instant::now();
        Ok(Some(Checker {
            store,
            prepared,
            target,
            cgroup,
            process,
            seccomp: prepared.seccomp.as_ref(),
            next: now + config.first_delay(),
            config,
            health,
            container_started: now,
            running: None,
        }))
    }

    pub fn poll_timeout(&self) -> PollTimeout {
        let deadline = match &self.running {
            Some(r) => r.began + self.config.timeout,
            None => self.next,
        };
        let wait = deadline.saturating_duration_since(Instant::now());
        PollTimeout::try_from(wait.as_millis().min(60_000) as i32 + 1).unwrap_or(PollTimeout::NONE)
    }

    pub fn add_poll_fds<'b>(&'b self, fds: &mut Vec<PollFd<'b>>) {
        if let Some(r) = &self.running {
            fds.push(PollFd::new(r.output.as_fd(), PollFlags::POLLIN));
            fds.push(PollFd::new(r.started.pidfd.as_fd(), PollFlags::POLLIN));
        }
    }

    /// Called after every poll (also on time-outs) with the readiness of our descriptors.
    pub fn on_ready(&mut self, ready: &[bool]) {
        if let Some(r) = self.running.as_mut() {
            if ready.first() == Some(&true) {
                read_some(&r.output, &mut r.text);
            }
            if ready.get(1) == Some(&true) {
                self.finish();
            } else if r.began.elapsed() >= self.config.timeout {
                let _ = nix::sys::signal::kill(r.started.pid, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(r.started.pid, None);
                let output = format!("Health check exceeded timeout ({:?})", self.config.timeout);
                let start = r.start_time.clone();
                self.running = None;
                self.record(start, -1, output);
            }
        } else if Instant::now() >= self.next {
            self.begin();
        }
    }

    fn begin(&mut self) {
        let Ok((read, write)) = crate::supervisor::output_pipe() else {
            return;
        };
        let Ok(null) = std::fs::File::open("/dev/null") else {
            return;
        };
        let request = Exec {
            target: self.target,
            process: &self.process,
            seccomp: self.seccomp,
            stdio: Stdio::Fds([null.as_raw_fd(), write.as_raw_fd(), write.as_raw_fd()]),
            cgroup: self.cgroup,
            cgroupns: self.prepared.options().private_cgroupns,
            window: None,
        };
        let start_time = clock::format_rfc3339(clock::now());
        match exec(&request) {
            Ok(started) => {
                self.running = Some(Running {
                    started,
                    output: read,
                    text: Vec::new(),
                    began: Instant::now(),
                    start_time,
                })
            }
            Err(e) => {
                self.record(start_time, -1, format!("{e:#}"));
            }
        }
    }

    fn finish(&mut self) {
        let Some(mut r) = self.running.take() else {
            return;
        };
        let _ = nix::fcntl::fcntl(
            &r.output,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        read_some(&r.output, &mut r.text);
        let code = match nix::sys::wait::waitpid(r.started.pid, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, code)) => code,
            _ => -1,
        };
        self.record(
            r.start_time,
            code,
            String::from_utf8_lossy(&r.text).into_owned(),
        );
    }

    fn record(&mut self, start: String, exit_code: i32, output: String) {
        let starting = self.container_started.elapsed() < self.config.start_period;
        self.next = Instant::now()
            + if starting {
                self.config.start_interval
            } else {
                self.config.interval
            };
        let before = self.health.status.clone();
        self.health.log.push(CheckResult {
            start,
            end: clock::format_rfc3339(clock::now()),
            exit_code,
            output,
        });
        if self.health.log.len() > KEPT_RESULTS {
            self.health.log.remove(0);
        }
        if exit_code == 0 {
            self.health.status = "healthy".into();
            self.health.failing_streak = 0;
        } else if self.container_started.elapsed() >= self.config.start_period {
            self.health.failing_streak += 1;
            if self.health.failing_streak >= self.config.retries {
                self.health.status = "unhealthy".into();
            }
        }
        let _ = store::write_json(&health_path(&self.prepared.paths.dir), &self.health);
        if before != self.health.status {
            let action = format!("health_status: {}", self.health.status);
            events::emit(
                self.store,
                "container",
                &action,
                self.prepared.id(),
                &[("name", &self.prepared.record.name)],
            );
        }
    }
}

fn read_some(fd: &OwnedFd, into: &mut Vec<u8>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = nix::unistd::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
        let room = MAX_OUTPUT.saturating_sub(into.len());
        into.extend_from_slice(&buf[..n.min(room)]);
        let mut probe = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        if nix::poll::poll(&mut probe, PollTimeout::ZERO).unwrap_or(0) == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::options::HealthOptions;

    #[test]
    fn flags_override_the_image() {
        let mut image = RunConfig::default();
        image.other.insert("Healthcheck".into(), serde_json::json!({"Test": ["CMD", "check"], "Interval": 5_000_000_000u64, "Retries": 2}));
        let from_image = resolve(&image, &HealthOptions::default()).unwrap().unwrap();
        assert_eq!(
            from_image,
            Config {
                command: vec!["check".into()],
                interval: Duration::from_secs(5),
                timeout: Duration::from_secs(30),
                start_period: Duration::ZERO,
                start_interval: Duration::from_secs(5),
                retries: 2
            }
        );
        let flags = HealthOptions {
            cmd: Some("wget -q localhost".into()),
            interval: Some("1s".into()),
            ..Default::default()
        };
        let config = resolve(&image, &flags).unwrap().unwrap();
        assert_eq!(config.command, ["/bin/sh", "-c", "wget -q localhost"]);
        assert_eq!(config.interval, Duration::from_secs(1));
        assert!(resolve(
            &image,
            &HealthOptions {
                disabled: true,
                ..Default::default()
            }
        )
        .unwrap()
        .is_none());
        image
            .other
            .insert("Healthcheck".into(), serde_json::json!({"Test": ["NONE"]}));
        assert!(resolve(&image, &HealthOptions::default())
            .unwrap()
            .is_none());
    }
}
