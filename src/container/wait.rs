//! `wait`: block until a container's run ends (or it starts and ends, or it is removed), and
//! give its exit code.

use super::{record, state, stop};
use crate::store::Store;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// docker's wait conditions.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum WaitCondition {
    /// Return at once when the container is not running, else when it exits.
    NotRunning,
    /// Wait for the exit of the next run, even when the container has not started yet.
    NextExit,
    /// Wait until the container is removed.
    Removed,
}

impl WaitCondition {
    pub fn parse(text: &str) -> Result<WaitCondition> {
        Ok(match text {
            "" | "not-running" => WaitCondition::NotRunning,
            "next-exit" => WaitCondition::NextExit,
            "removed" => WaitCondition::Removed,
            other => bail!("invalid condition: {other:?}"),
        })
    }
}

const POLL: Duration = Duration::from_millis(20);

/// Waits as `condition` says and returns the container's exit code.
pub fn wait(store: &Store, id: &str, condition: WaitCondition) -> Result<i32> {
    let current = state::load(store, id)?;
    match condition {
        WaitCondition::NotRunning if !current.is_running() => Ok(current.exit_code),
        WaitCondition::NotRunning => wait_exit(store, id, &current),
        WaitCondition::NextExit => match next_run(store, id, current.clone()) {
            Some(run) => wait_exit(store, id, &run),
            None => Ok(current.exit_code),
        },
        WaitCondition::Removed => {
            let code = if current.is_running() {
                wait_exit(store, id, &current)?
            } else {
                current.exit_code
            };
            Ok(wait_removed(store, id, code))
        }
    }
}

/// The state of the container's next (or current) run, once it runs; None when it is removed
/// before it starts.
fn next_run(
    store: &Store,
    id: &str,
    mut now: state::ContainerState,
) -> Option<state::ContainerState> {
    while !now.is_running() {
        std::thread::sleep(POLL);
        now = state::load(store, id).ok()?;
    }
    Some(now)
}

/// Waits for the current run to end and returns the exit code the supervisor records.
fn wait_exit(store: &Store, id: &str, current: &state::ContainerState) -> Result<i32> {
    stop::wait_for_exit(current, Duration::from_secs(u32::MAX as u64));
    // The supervisor records the exit (and maybe a restart) right after pid 1 is reaped.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = match state::load(store, id) {
            Ok(now) => now,
            // Removed meanwhile (`--rm`): the last code seen is the answer.
            Err(_) => return Ok(current.exit_code),
        };
        if now.pid != current.pid || !now.is_running() || Instant::now() > deadline {
            return Ok(now.exit_code);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the container is removed; returns the last exit code it recorded.
fn wait_removed(store: &Store, id: &str, mut code: i32) -> i32 {
    while record::dir(store, id).exists() {
        if let Ok(now) = state::load(store, id) {
            if !now.is_running() {
                code = now.exit_code;
            }
        }
        std::thread::sleep(POLL);
    }
    code
}
