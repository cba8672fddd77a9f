//! `skiff run` in the foreground: create, start, supervise until the container exits,
//! record how it ended, and remove it with `--rm`.

use super::create::{self, Created};
use super::options::RunOptions;
use super::record::{self, ContainerState};
use crate::clock;
use crate::runtime::{self, userns::IdMappings, Launch};
use crate::store::{self, Store};
use crate::supervisor;
use anyhow::Result;

pub fn run(store: &Store, opts: &RunOptions) -> Result<i32> {
    let maps = IdMappings::detect();
    if let Some(warning) = maps.warning() {
        eprintln!("{warning}");
    }
    let created = create::create(store, &maps, opts)?;
    let id = created.record.id.clone();
    let outcome = start_and_wait(store, &maps, &created, opts);
    let (state, result) = match outcome {
        Ok(code) => (ContainerState { status: "exited".into(), exit_code: code, finished_at: clock::format_rfc3339(clock::now()), ..Default::default() }, Ok(code)),
        Err(e) => {
            let code = e.downcast_ref::<runtime::StartError>().map_or(125, |s| s.exit_code());
            (ContainerState { status: "exited".into(), exit_code: code, error: format!("{e:#}"), ..Default::default() }, Err(e))
        }
    };
    if opts.rm {
        remove(store, &maps, &id, &created.record.name)?;
    } else {
        record::save_state(store, &id, &state)?;
    }
    result
}

fn start_and_wait(store: &Store, maps: &IdMappings, created: &Created, opts: &RunOptions) -> Result<i32> {
    let launch = Launch {
        spec: &created.spec,
        bundle: &created.paths.dir,
        layers_dir: &store.layers(),
        maps,
        seccomp: created.seccomp.as_ref(),
        init: opts.init,
        attach_stdin: opts.interactive,
    };
    let started = runtime::start(&launch)?;
    record::save_state(
        store,
        &created.record.id,
        &ContainerState { status: "running".into(), pid: started.pid.as_raw(), started_at: clock::format_rfc3339(clock::now()), ..Default::default() },
    )?;
    supervisor::foreground(started, opts.interactive)
}

/// Removes a container's files and name. Files the container created as other users belong
/// to subordinate ids, so what plain removal cannot delete is removed in the user namespace.
pub fn remove(store: &Store, maps: &IdMappings, id: &str, name: &str) -> Result<()> {
    let dir = record::dir(store, id);
    // overlayfs leaves its work/work directory mode 000; opening it up spares the detour.
    let _ = std::fs::set_permissions(dir.join("work/work"), std::os::unix::fs::PermissionsExt::from_mode(0o700));
    if store::remove_tree(&dir).is_err() {
        let target = dir.clone();
        crate::runtime::userns::run_in_userns(maps, move || {
            store::remove_tree(&target)?;
            Ok(String::new())
        })?;
    }
    record::release_name(store, name);
    Ok(())
}
