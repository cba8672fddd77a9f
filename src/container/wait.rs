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

/// How often a waiter looks again: a stat or two, cheap enough to keep `docker run --rm`
/// from waiting on the look rather than the container.
const POLL: Duration = Duration::from_millis(5);

/// Waits as `condition` says and returns the container's exit code.
pub fn wait(store: &Store, id: &str, condition: WaitCondition) -> Result<i32> {
    let mark = crate::events::mark(store);
    let current = state::load(store, id)?;
    match condition {
        WaitCondition::NotRunning if !current.is_running() => Ok(current.exit_code),
        WaitCondition::NotRunning => wait_exit(store, id, &current, mark),
        WaitCondition::NextExit => match next_run(store, id, current.clone(), mark) {
            NextRun::Running(run) => wait_exit(store, id, &run, mark),
            NextRun::Ended(code) => Ok(code),
            NextRun::Removed => Ok(current.exit_code),
        },
        WaitCondition::Removed => {
            let code = if current.is_running() {
                wait_exit(store, id, &current, mark)?
            } else {
                current.exit_code
            };
            Ok(wait_removed(store, id, code, mark))
        }
    }
}

/// What became of the container's next (or current) run.
enum NextRun {
    Running(Box<state::ContainerState>),
    /// It began and ended between two looks, with this code.
    Ended(i32),
    /// The container went before it started.
    Removed,
}

fn next_run(store: &Store, id: &str, mut now: state::ContainerState, mark: u64) -> NextRun {
    while !now.is_running() {
        std::thread::sleep(POLL);
        if let Some(code) = crate::events::exit_code_since(store, mark, id) {
            return NextRun::Ended(code);
        }
        match state::load(store, id) {
            Ok(state) => now = state,
            Err(_) => return NextRun::Removed,
        }
    }
    NextRun::Running(Box::new(now))
}

/// Waits for the current run to end and returns the exit code the supervisor records.
fn wait_exit(store: &Store, id: &str, current: &state::ContainerState, mark: u64) -> Result<i32> {
    stop::wait_for_exit(current, Duration::from_secs(u32::MAX as u64));
    // The supervisor records the exit (and maybe a restart) right after pid 1 is reaped.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = match state::load(store, id) {
            Ok(now) => now,
            // Removed meanwhile (`--rm`): the journal has the code.
            Err(_) => {
                return Ok(
                    crate::events::exit_code_since(store, mark, id).unwrap_or(current.exit_code)
                )
            }
        };
        if now.pid != current.pid || !now.is_running() || Instant::now() > deadline {
            return Ok(now.exit_code);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the container is removed; returns the exit code of its last run, which the
/// journal holds when the run began and ended between two looks.
fn wait_removed(store: &Store, id: &str, code: i32, mark: u64) -> i32 {
    while record::dir(store, id).exists() {
        std::thread::sleep(POLL);
    }
    crate::events::exit_code_since(store, mark, id).unwrap_or(code)
}
