//! Leases on layers: what a command in flight (pull, load, import, commit, a build step) is
//! about to name in an image record. Such a command leases a layer, under the store lock,
//! before it looks whether the layer is stored already or commits a new one; removal, also
//! under the lock, passes leased layers over. So an `rmi` at the same moment can never take a
//! layer from under a pull that is about to reuse it.
//!
//! A lease is one file in `leases/`, named after its command, holding diff ids. It ends when
//! the value is dropped, or when its command is gone (a killed one leaves a file that counts
//! for nothing and is swept).

use crate::store::{self, Store};
use anyhow::Result;
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

pub struct Lease {
    path: PathBuf,
}

impl Lease {
    /// A lease on nothing yet, for this command.
    pub fn new(store: &Store) -> Lease {
        Lease {
            path: store.leases().join(store.owned_name()),
        }
    }

    /// Adds `diff_ids` to the lease.
    pub fn add(&self, store: &Store, diff_ids: &[String]) -> Result<()> {
        if diff_ids.is_empty() {
            return Ok(());
        }
        let _lock = store.lock()?;
        let mut held: Vec<String> = store::read_json(&self.path).unwrap_or_default();
        held.extend(diff_ids.iter().cloned());
        held.sort();
        held.dedup();
        store::write_json(&self.path, &held)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The layers live leases hold; the caller holds the store lock. Leases of commands that are
/// gone are removed on the way.
pub fn leased(store: &Store) -> HashSet<String> {
    for path in store.abandoned(&store.leases()) {
        let _ = fs::remove_file(path);
    }
    let Ok(entries) = fs::read_dir(store.leases()) else {
        return HashSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| store::read_json::<Vec<String>>(&entry.path()).ok())
        .flatten()
        .collect()
}
