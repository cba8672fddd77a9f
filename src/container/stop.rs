//! `stop`, `kill` and `restart`: signals to the container's pid 1, and waiting until the
//! container is down. Both mark the container as stopped by the user, so that no restart
//! policy brings it back.

use super::start::Prepared;
use super::state::{self, ContainerState, Marker};
use super::{processes, record};
use crate::events;
use crate::image::store as images;
use crate::runtime::exec::pidfd_open;
use crate::store::Store;
use anyhow::{bail, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::os::fd::AsFd;
use std::str::FromStr;
use std::time::{Duration, Instant};

const DEFAULT_STOP_TIMEOUT: u64 = 10;

/// The real-time signals as the C library numbers them (the kernel's first two are its own).
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// A signal's number from `SIGTERM`, `TERM`, `term`, `15`, or a real-time one (`RTMIN`,
/// `RTMIN+3`, `SIGRTMAX-1`, `40`), which has no name of its own.
pub fn parse_signal(text: &str) -> Result<i32> {
    let invalid = || anyhow::anyhow!("invalid signal: {text}");
    if let Ok(n) = text.parse::<i32>() {
        return (1..=SIGRTMAX).contains(&n).then_some(n).ok_or_else(invalid);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let offset = |rest: &str| -> Option<i32> {
        match rest {
            "" => Some(0),
            _ => rest.parse().ok(),
        }
    };
    let realtime = if let Some(rest) = name.strip_prefix("RTMIN") {
        rest.strip_prefix('+')
            .or(rest.is_empty().then_some(""))
            .and_then(offset)
            .map(|n| SIGRTMIN + n)
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        rest.strip_prefix('-')
            .or(rest.is_empty().then_some(""))
            .and_then(offset)
            .map(|n| SIGRTMAX - n)
    } else {
        return Signal::from_str(&format!("SIG{name}"))
            .map(|s| s as i32)
            .map_err(|_| invalid());
    };
    realtime
        .filter(|n| (SIGRTMIN..=SIGRTMAX).contains(n))
        .ok_or_else(invalid)
}

/// Sends signal number `signal` to `pid`.
fn send(pid: i32, signal: i32) -> Result<()> {
    // SAFETY: kill(2) takes plain numbers.
    if unsafe { libc::kill(pid, signal) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

/// The signal `stop` sends: the container's `--stop-signal`, else the image's STOPSIGNAL,
/// else SIGTERM.
fn stop_signal(store: &Store, prepared: &record::ContainerRecord) -> Result<i32> {
    let from_image = || {
        images::resolve(store, &prepared.image_id)
            .ok()
            .and_then(|i| i.config.config.stop_signal)
    };
    match prepared.options.stop_signal.clone().or_else(from_image) {
        Some(name) => parse_signal(&name),
        None => Ok(Signal::SIGTERM as i32),
    }
}

/// Stops a container: its stop signal, then SIGKILL after `timeout` seconds. Returns once
/// the container is down. A container that is not running is left as it is.
pub fn stop(store: &Store, id: &str, timeout: Option<u64>) -> Result<()> {
    let current = state::load(store, id)?;
    state::set_marker(store, id, Marker::StoppedByUser, true)?;
    if !current.is_running() {
        return Ok(());
    }
    let record = record::load(store, id)?;
    let timeout = timeout
        .or(record.options.stop_timeout)
        .unwrap_or(DEFAULT_STOP_TIMEOUT);
    let signal = stop_signal(store, &record)?;
    let pid = current.pid;
    if current.status == "running" {
        let _ = send(pid, signal);
        processes::resume_if_paused(store, id);
        if !wait_for_exit(&current, Duration::from_secs(timeout)) {
            let _ = send(pid, Signal::SIGKILL as i32);
            wait_for_exit(&current, Duration::from_secs(10));
        }
    }
    wait_for_supervisor_record(store, id, &current);
    events::emit(store, "container", "stop", id, &[("name", &record.name)]);
    Ok(())
}

/// `kill`: one signal to pid 1, for a running container.
pub fn kill(store: &Store, id: &str, signal: i32) -> Result<()> {
    let current = state::load(store, id)?;
    if current.status != "running" {
        bail!(
            "cannot kill container {}: container is not running",
            short(id)
        );
    }
    state::set_marker(store, id, Marker::StoppedByUser, true)?;
    send(current.pid, signal)?;
    if signal == Signal::SIGKILL as i32 {
        wait_for_exit(&current, Duration::from_secs(10));
        wait_for_supervisor_record(store, id, &current);
    }
    events::emit(
        store,
        "container",
        "kill",
        id,
        &[("signal", &signal.to_string())],
    );
    Ok(())
}

/// `restart`: stop (if running), then start detached again.
pub fn restart(store: &Store, id: &str, timeout: Option<u64>) -> Result<()> {
    stop(store, id, timeout)?;
    // Fail early, before the supervisor is launched, if the container cannot be prepared.
    Prepared::load(store, id)?;
    super::start::detached(store, id)?;
    events::emit(store, "container", "restart", id, &[]);
    Ok(())
}

/// Waits until the container's pid 1 is gone; false on time-out.
pub fn wait_for_exit(current: &ContainerState, timeout: Duration) -> bool {
    if !crate::store::process_alive(current.pid, current.pid_start) {
        return true;
    }
    let Ok(pidfd) = pidfd_open(Pid::from_raw(current.pid)) else {
        return true;
    };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32)
                .unwrap_or(PollTimeout::NONE),
        ) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}

/// After pid 1 died, the supervisor records the exit; wait briefly so that the caller's next
/// command (`ps`, `rm`, `start`) sees it.
fn wait_for_supervisor_record(store: &Store, id: &str, before: &ContainerState) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match state::load(store, id) {
            Ok(s) if !s.is_running() || s.pid != before.pid && s.status != "restarting" => return,
            Err(_) => return,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_name_or_number() {
        assert_eq!(parse_signal("HUP").unwrap(), libc::SIGHUP);
        assert_eq!(parse_signal("sigterm").unwrap(), libc::SIGTERM);
        assert_eq!(parse_signal("9").unwrap(), libc::SIGKILL);
        assert!(parse_signal("NOPE").is_err());
        assert_eq!(parse_signal("RTMIN").unwrap(), 34);
        assert_eq!(parse_signal("SIGRTMIN+3").unwrap(), 37);
        assert_eq!(parse_signal("rtmax-1").unwrap(), 63);
        assert_eq!(parse_signal("40").unwrap(), 40);
        assert!(parse_signal("RTMIN+31").is_err());
        assert!(parse_signal("RTMIN3").is_err());
        assert!(parse_signal("65").is_err());
        assert!(parse_signal("0").is_err());
    }
}
