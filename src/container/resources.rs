//! A container's cgroup for its resource limits: made for each run of a container that
//! asks for limits (and only then: a container without limits costs no cgroup work), and
//! removed when the run ends.

use super::devices::Device;
use super::record::ContainerRecord;
use crate::runtime::cgroup::{self, Cgroup, Place, Resources};
use anyhow::Result;
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
