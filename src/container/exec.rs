//! `skiff exec`: a command in a running container, with the container's environment,
//! working directory, user, privileges and seccomp unless the flags say otherwise.

use super::options::merge_env;
use super::spec;
use super::start::Prepared;
use super::state;
use crate::runtime::exec::{exec, Exec};
use crate::runtime::Stdio;
use crate::store::Store;
use crate::supervisor::{self, Relay, SignalPolicy};
use anyhow::{bail, Result};

pub struct ExecOptions {
    pub command: Vec<String>,
    pub interactive: bool,
    pub tty: bool,
    pub detach: bool,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub privileged: bool,
}

/// Runs the command; returns its exit code (0 at once with `detach`).
pub fn run(store: &Store, id: &str, opts: &ExecOptions) -> Result<i32> {
    let current = state::load(store, id)?;
    if current.status != "running" {
        bail!("container {} is not running", &id[..12]);
    }
    if state::has_marker(store, id, state::Marker::Paused) {
        bail!(
            "container {} is paused, unpause the container before exec",
            &id[..12]
        );
    }
    let prepared = Prepared::load(store, id)?;
    let container = prepared.spec.process().clone().unwrap_or_default();
    let mut env = container.env().clone().unwrap_or_default();
    if opts.tty {
        merge_env(&mut env, ["TERM=xterm".to_string()]);
    }
    merge_env(&mut env, opts.env.iter().cloned());
    let user = opts
        .user
        .clone()
        .or_else(|| container.user().username().clone())
        .unwrap_or_default();
    let cwd = opts
        .workdir
        .clone()
        .unwrap_or_else(|| container.cwd().display().to_string());
    let mut run_options = prepared.options().clone();
    run_options.privileged |= opts.privileged;
    let caps = spec::capabilities(&run_options)?;
    let process = spec::process(
        &run_options,
        &user,
        opts.command.clone(),
        env,
        cwd,
        opts.tty,
        &caps,
    )?;
    let seccomp = if opts.privileged {
        None
    } else {
        prepared.seccomp.as_ref()
    };
    let signals = supervisor::signal_fd()?;
    let stdio = if opts.detach || !opts.interactive {
        let null = std::fs::File::open("/dev/null")?;
        let fd = std::os::fd::IntoRawFd::into_raw_fd(null);
        if opts.detach {
            Stdio::Fds([fd, fd, fd])
        } else {
            Stdio::Fds([fd, 1, 2])
        }
    } else {
        Stdio::Inherit { stdin: true }
    };
    let started = exec(&Exec {
        target: current.pid,
        process: &process,
        seccomp,
        stdio,
        cgroup: current.cgroup.as_ref(),
        cgroupns: prepared.options().private_cgroupns,
    })?;
    if opts.detach {
        return Ok(0);
    }
    supervisor::supervise(
        &started,
        &signals,
        Relay {
            output: None,
            log: None,
            echo: [true, true],
            interactive: opts.interactive,
            attach: None,
            signals: SignalPolicy::Forward,
        },
        None,
        &mut [],
    )
}
