//! A container's cgroup for its resource limits: made for each run of a container that
//! asks for limits (and only then: a container without limits costs no cgroup work), and
//! removed when the run ends.

use super::devices::Device;
use super::record::ContainerRecord;
use super::state::ContainerState;
use crate::runtime::cgroup::{self, Cgroup, Machine, Place, Resources};
use anyhow::{bail, Result};
use std::os::unix::fs::{FileTypeExt, MetadataExt};

/// What the user must hear about limits that will not be applied: all of them when no
/// cgroup can be written here, else those this machine's cgroups lack.
pub fn warnings(resources: &Resources) -> Vec<String> {
    if !resources.wants_cgroup() {
        return Vec::new();
    }
    match cgroup::here() {
        Place::Unusable(reason) => vec![format!(
            "resource limits are not supported and ignored here: {reason}"
        )],
        place => place.unsupported(resources),
    }
}

/// A cgroup this process made, removed when dropped.
pub struct OwnCgroup(Cgroup);

impl OwnCgroup {
    pub fn cgroup(&self) -> &Cgroup {
        &self.0
    }

    /// At the end of a run: whether the kernel killed in it for memory; the cgroup goes.
    pub fn oom_killed(cgroup: Option<OwnCgroup>) -> bool {
        cgroup.is_some_and(|c| c.0.oom_killed())
    }
}

impl Drop for OwnCgroup {
    fn drop(&mut self) {
        self.0.remove();
    }
}

/// The cgroup for a run of the container, with its limits written; none when it asks
/// for no limits or no cgroup can be written (the user was warned at creation).
pub fn make(record: &ContainerRecord) -> Result<Option<OwnCgroup>> {
    let resources = &record.options.resources;
    if !resources.wants_cgroup() {
        return Ok(None);
    }
    let Some(cgroup) = cgroup::here().cgroup_for(&record.id, &resources.cgroup_parent) else {
        return Ok(None);
    };
    cgroup.create(resources, &device_rules(&record.options.devices))?;
    Ok(Some(OwnCgroup(cgroup)))
}

/// For a run about to make the container's cgroup: the kernel's wait for the move into it
/// begins now, while the container is laid out (see [`cgroup::Primer`]).
pub fn primer(resources: &Resources) -> Option<cgroup::Primer> {
    if !resources.wants_cgroup() {
        return None;
    }
    cgroup::here().primer()
}

/// Removes the cgroup a run of the container left behind: its supervisor was killed before
/// it could remove it.
pub fn remove_leftover(record: &ContainerRecord) {
    let resources = &record.options.resources;
    if !resources.wants_cgroup() {
        return;
    }
    if let Some(cgroup) = cgroup::here().cgroup_for(&record.id, &resources.cgroup_parent) {
        cgroup.remove();
    }
}

/// `update`: the container's limits with `changes`, checked, and written to its cgroup
/// when it runs in one (then the answer's flag is set).
pub fn update(
    current: &Resources,
    changes: &Resources,
    state: &ContainerState,
) -> Result<(Resources, bool)> {
    let mut updated = current.clone();
    updated.merge(changes);
    // The swap limit counts memory too: a larger memory limit needs a larger one.
    if changes.memory > 0
        && changes.memory_swap == 0
        && updated.memory_swap > 0
        && updated.memory > updated.memory_swap
    {
        bail!("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    }
    updated.check(&Machine::this(), true)?;
    let applied = match &state.cgroup {
        Some(cgroup) if state.is_running() => {
            cgroup.set(&updated)?;
            true
        }
        _ => false,
    };
    Ok((updated, applied))
}

/// The device cgroup rules that let the container use its `--device` nodes.
fn device_rules(devices: &[Device]) -> Vec<String> {
    devices
        .iter()
        .filter_map(|d| {
            let meta = std::fs::metadata(&d.host).ok()?;
            let kind = if meta.file_type().is_block_device() {
                'b'
            } else {
                'c'
            };
            let (major, minor) = (libc::major(meta.rdev()), libc::minor(meta.rdev()));
            Some(format!("{kind} {major}:{minor} {}", d.permissions))
        })
        .collect()
}

/// `--cgroupns` (HostConfig.CgroupnsMode): whether the container gets a cgroup namespace of
/// its own; docker's default ("") is its own on cgroup v2, the host's on v1.
pub fn private_cgroupns(mode: &str) -> Result<bool> {
    match mode {
        "" => Ok(std::path::Path::new(cgroup::ROOT)
            .join("cgroup.controllers")
            .exists()),
        "private" => Ok(true),
        "host" => Ok(false),
        other => bail!("--cgroupns: invalid CGROUP mode {other:?}: use host or private"),
    }
}
