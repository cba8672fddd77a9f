//! docker's `image inspect` object: what `skiff inspect` prints and the API's
//! `GET /images/{name}/json` answers.

use super::store::Image;
use crate::store::Store;
use serde_json::{json, Value};

/// A run config with every field docker shows, empty where `config` has none.
fn over_empty_config(config: Value) -> Value {
    let mut full = json!({
        "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
        "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": null, "Cmd": null, "Image": "", "Volumes": null,
        "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": null,
    });
    if let (Some(target), Value::Object(source)) = (full.as_object_mut(), config) {
        target.extend(source);
    }
    full
}

/// Docker's `image inspect` JSON for an image.
pub fn inspect_json(store: &Store, image: &Image) -> Value {
    let config = &image.config;
    let run_config = serde_json::to_value(&config.config).unwrap_or_default();
    let docker_config = over_empty_config(run_config);
    // The config of the container an image was committed from, which API 1.44 still shows
    // (compose 1 reads its Volumes): the image's own record of it, else an empty one.
    let container_config = over_empty_config(
        config
            .other
            .get("container_config")
            .cloned()
            .unwrap_or_default(),
    );
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
        "ContainerConfig": container_config,
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
