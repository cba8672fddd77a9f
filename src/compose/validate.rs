//! Checks of a compose file against the specification's schema that matter before anything
//! else reads it: the top level and each service are mappings with only the keys the schema
//! allows (and `x-` extensions). Errors read as docker compose's do.

use super::yaml::{Node, Value};
use anyhow::{bail, Result};

/// The top-level keys of the compose specification.
const TOP_LEVEL_KEYS: [&str; 9] = [
    "configs", "include", "models", "name", "networks", "secrets", "services", "version", "volumes",
];

/// The keys of a service in the compose specification.
const SERVICE_KEYS: [&str; 92] = [
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// Checks one file's tree; `file` names it in errors.
pub fn validate(doc: &Node, file: &str) -> Result<()> {
    let Some(top) = doc.as_map() else {
        bail!("validating {file}: top-level object must be a mapping");
    };
    unknown_keys(doc, "(root)", &TOP_LEVEL_KEYS, file)?;
    let Some(services) = top.iter().find(|(k, _)| k == "services").map(|(_, v)| v) else {
        return Ok(());
    };
    if services.is_null() {
        return Ok(());
    }
    let Some(services) = services.as_map() else {
        bail!("validating {file}: services must be a mapping");
    };
    for (name, service) in services {
        // An empty entry (`nil:`) is a service with nothing set, as compose-go reads it.
        if service.is_null() {
            continue;
        }
        if !matches!(service.value, Value::Map(_)) {
            bail!("validating {file}: services.{name} must be a mapping");
        }
        unknown_keys(service, &format!("services.{name}"), &SERVICE_KEYS, file)?;
    }
    Ok(())
}

fn unknown_keys(node: &Node, path: &str, allowed: &[&str], file: &str) -> Result<()> {
    let unknown = node
        .as_map()
        .into_iter()
        .flatten()
        .map(|(key, _)| key)
        .find(|key| !key.starts_with("x-") && !allowed.contains(&key.as_str()));
    match unknown {
        Some(key) => bail!("validating {file}: {path} additional properties '{key}' not allowed"),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    fn schema_keys(pointer: &str) -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/testdata/compose/spec/compose-spec.json"
        );
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut keys: Vec<_> = schema
            .pointer(pointer)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_key_lists_are_the_schemas() {
        assert_eq!(schema_keys("/properties"), TOP_LEVEL_KEYS);
        assert_eq!(schema_keys("/definitions/service/properties"), SERVICE_KEYS);
    }

    #[test]
    fn unknown_keys_are_named_with_their_path() {
        let doc = parse("services:\n  web:\n    image: a\n    imgae: b\n", "f").unwrap();
        let message = validate(&doc, "compose.yaml").unwrap_err().to_string();
        assert_eq!(
            message,
            "validating compose.yaml: services.web additional properties 'imgae' not allowed"
        );
        let doc = parse("servces: {}\n", "f").unwrap();
        assert!(validate(&doc, "c")
            .unwrap_err()
            .to_string()
            .contains("(root) additional properties 'servces'"));
        let doc = parse("services:\n  web: 3\n", "f").unwrap();
        assert!(validate(&doc, "c").is_err());
        let doc = parse("x-any: 1\nservices:\n  web: {x-foo: 1, image: a}\n", "f").unwrap();
        validate(&doc, "c").unwrap();
    }
}
