//! Removing a container: its directory, its name, its addresses on user-defined networks,
//! and an event for the journal; with `rm -v` and `--rm`, its anonymous volumes too.

use super::record;
use crate::events;
use crate::runtime::userns::{self, IdMappings};
use crate::store::Store;
use anyhow::Result;

/// Removes a container's files and name. Files the container created as other users belong
/// to subordinate ids, so what plain removal cannot delete is removed in the user namespace.
pub fn remove(store: &Store, maps: &IdMappings, id: &str) -> Result<()> {
    let record = record::load(store, id).ok();
    if let Some(record) = &record {
        super::resources::remove_leftover(record);
    }
    let name = record.map(|r| r.name);
    let dir = record::dir(store, id);
    // overlayfs leaves its work/work directory mode 000; opening it up spares the detour.
    let _ = std::fs::set_permissions(
        dir.join("work/work"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    );
    userns::remove_tree(maps, &dir)?;
    let _ = std::fs::remove_dir_all(store.runroot.join(id));
    if let Some(name) = &name {
        record::release_name(store, name);
    }
    super::network::release_all(store, id);
    events::emit(
        store,
        "container",
        "destroy",
        id,
        &[("name", name.as_deref().unwrap_or_default())],
    );
    Ok(())
}

/// `rm -v` and `--rm`: the container, then the anonymous volumes it used that no other
/// container uses. Named volumes always stay.
pub fn remove_with_volumes(store: &Store, maps: &IdMappings, id: &str) -> Result<()> {
    let mounts = record::load(store, id)
        .map(|r| r.mounts)
        .unwrap_or_default();
    remove(store, maps, id)?;
    super::mounts::remove_anonymous_volumes(store, maps, &mounts)
}
