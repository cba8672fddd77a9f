//! docker's `image inspect` object: what `skiff inspect` prints and the API's
//! `GET /images/{name}/json` answers.

use super::store::Image;
use crate::store::Store;
use serde_json::{json, Value};

/// Docker's `image inspect` JSON for an image.
pub fn inspect_json(store: &Store, image: &Image) -> Value {
    let config = &image.config;
    let run_config = serde_json::to_value(&config.config).unwrap_or_default();
    let mut docker_config = json!({
        "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
        "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": null, "Cmd": null, "Image": "", "Volumes": null,
        "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": null,
    });
    if let (Some(target), Value::Object(source)) = (docker_config.as_object_mut(), run_config) {
        target.extend(source);
    }
    let lower: Vec<String> = image
        .diff_ids()
        .iter()
        .rev()
        .map(|d| store.layer(d).join("diff").display().to_string())
        .collect();
    let comment = config
        .history
        .last()
        .and_then(|h| h.comment.clone())
        .unwrap_or_default();
    json!({
        "Id": image.id(),
        "RepoTags": image.tags.iter().map(|t| t.familiar()).collect::<Vec<_>>(),
        "RepoDigests": image.record.repo_digests,
        "Parent": "",
        "Comment": comment,
        "Created": config.created.clone().unwrap_or_default(),
        "DockerVersion": config.other.get("docker_version").cloned().unwrap_or(json!("")),
        "Author": config.author.clone().unwrap_or_default(),
        "Config": docker_config,
        "Architecture": config.architecture,
        "Variant": config.variant,
        "Os": config.os,
        "Size": image.record.size,
        "GraphDriver": {"Name": "overlay", "Data": {"LowerDir": lower.join(":")}},
        "RootFS": {"Type": "layers", "Layers": image.diff_ids()},
        "Metadata": {"LastTagTime": image.record.added},
    })
}
