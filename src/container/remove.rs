//! Removing a container: its directory, its name, and an event for the journal.

use super::record;
use crate::events;
use crate::runtime::userns::{self, IdMappings};
use crate::store::{self, Store};
use anyhow::Result;

/// Removes a container's files and name. Files the container created as other users belong
/// to subordinate ids, so what plain removal cannot delete is removed in the user namespace.
pub fn remove(store: &Store, maps: &IdMappings, id: &str) -> Result<()> {
    let name = record::load(store, id).map(|r| r.name).ok();
    let dir = record::dir(store, id);
    // overlayfs leaves its work/work directory mode 000; opening it up spares the detour.
    let _ = std::fs::set_permissions(
        dir.join("work/work"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    );
    if store::remove_tree(&dir).is_err() {
        let target = dir.clone();
        userns::run_in_userns(maps, move || {
            store::remove_tree(&target)?;
            Ok(String::new())
        })?;
    }
    let _ = std::fs::remove_dir_all(store.runroot.join(id));
    if let Some(name) = &name {
        record::release_name(store, name);
    }
    events::emit(
        store,
        "container",
        "destroy",
        id,
        &[("name", name.as_deref().unwrap_or_default())],
    );
    Ok(())
}
