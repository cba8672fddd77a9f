//! `skiff run`: create the container, then run it in the foreground (the CLI supervises it
//! until it exits, and removes it with `--rm`) or hand it to a detached supervisor (`-d`).

use super::create;
use super::options::RunOptions;
use super::remove;
use super::start;
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use anyhow::Result;

pub enum Outcome {
    /// The container ran in the foreground and exited with this code.
    Exited(i32),
    /// The container runs detached under its supervisor.
    Detached(String),
    /// The container runs under its supervisor, which holds its output until the caller
    /// attaches its terminal (see [`start::for_terminal`]).
    ForTerminal(String),
}

/// Runs a container as `opts` says; a foreground one meets the user as `how` says, and
/// `created` hears its id before it starts (docker shows it when no output is attached).
pub fn run(
    store: &Store,
    opts: &RunOptions,
    how: &start::Foreground,
    created: impl FnOnce(&str),
) -> Result<Outcome> {
    let maps = IdMappings::detect();
    if let Some(warning) = maps.warning() {
        eprintln!("{warning}");
    }
    let prepared = create::create(store, &maps, opts, create::Start::Now)?;
    let id = prepared.id().to_string();
    let for_terminal = !opts.detach && how.detachable(opts);
    if opts.detach || for_terminal {
        let started = if for_terminal {
            start::for_terminal(store, &id, crate::runtime::tty::window_size(0))
        } else {
            start::detached(store, &id)
        };
        if let Err(e) = started {
            if opts.rm {
                remove::remove_with_volumes(store, &maps, &id)?;
            }
            return Err(e);
        }
        return Ok(if for_terminal {
            Outcome::ForTerminal(id)
        } else {
            Outcome::Detached(id)
        });
    }
    created(&id);
    let result = start::foreground(store, &maps, &prepared, how);
    if let Err(e) = &result {
        let code = e
            .downcast_ref::<crate::runtime::StartError>()
            .map_or(125, |s| s.exit_code());
        let failed = start::exited_state(&Default::default(), code, format!("{e:#}"));
        super::state::save(store, &id, &failed)?;
    }
    if opts.rm {
        remove::remove_with_volumes(store, &maps, &id)?;
    }
    result.map(Outcome::Exited)
}
