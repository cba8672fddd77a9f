//! `image prune` and `system prune`: what goes, what stays, and docker's output.

mod common;

use common::fixtures::{self, Entry};
use common::Skiff;
use serde_json::json;

/// Loads an image of one small layer made of `file` under `name_tag` ("" for none); returns
/// its id.
fn load_small(s: &Skiff, name_tag: &str, file: &str, labels: serde_json::Value) -> String {
    let rootfs = fixtures::tar_of(&[Entry::file(file, file.as_bytes())]);
    let archive =
        fixtures::docker_archive(name_tag, &rootfs, json!({"config": {"Labels": labels}}));
    let path = s.write_file(&format!("{file}.tar"), &archive);
    s.ok(&["load", "-i", path.to_str().unwrap()]);
    fixtures::archive_image_id(&archive)
}

fn image_ids(s: &Skiff) -> Vec<String> {
    let mut ids: Vec<String> = s
        .ok(&["images", "-a", "-q", "--no-trunc"])
        .lines()
        .map(String::from)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn image_prune_removes_dangling_images_and_with_all_every_unused_one() {
    let s = Skiff::new();
    let used = s.busybox();
    s.ok(&["run", "--name", "user", used, "true"]);
    let dangling = load_small(&s, "", "dangling", json!({}));
    let unused = load_small(&s, "unused:1", "unused", json!({}));

    let out = s.ok(&["image", "prune", "-f"]);
    assert!(
        out.starts_with(&format!(
            "Deleted Images:\ndeleted: {dangling}\n\nTotal reclaimed space: "
        )),
        "{out}"
    );
    assert!(!image_ids(&s).contains(&dangling));
    assert!(image_ids(&s).contains(&unused));

    let out = s.ok(&["image", "prune", "-a", "--force"]);
    assert!(
        out.starts_with(&format!(
            "Deleted Images:\nuntagged: unused:1\ndeleted: {unused}\n"
        )),
        "{out}"
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        format!("{used}\n")
    );

    let out = s.ok(&["image", "prune", "-f"]);
    assert_eq!(out, "Total reclaimed space: 0B\n");
}

#[test]
fn image_prune_filters_by_label_and_asks_first() {
    let s = Skiff::new();
    let keep = load_small(&s, "keep:1", "keep", json!({"keep": "yes"}));
    let drop = load_small(&s, "drop:1", "drop", json!({"keep": "no"}));
    let out = s.run_stdin(&["image", "prune", "-a"], b"n\n");
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr
            .contains("WARNING! This will remove all images without at least one container associated to them."),
        "{out}"
    );
    assert_eq!(image_ids(&s).len(), 2);
    let out = s.ok(&["image", "prune", "-a", "-f", "--filter", "label!=keep=yes"]);
    assert!(out.contains(&format!("deleted: {drop}")), "{out}");
    assert_eq!(image_ids(&s), [keep]);
    let out = s.run(&["image", "prune", "-f", "--filter", "name=x"]);
    assert_eq!(out.code, 125, "{out}");
}

#[test]
fn system_prune_removes_what_nothing_uses_in_dockers_order() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&["run", "-d", "--name", "running", image, "sleep", "600"]);
    s.ok(&["run", "--name", "stopped", "-v", "/anon", image, "true"]);
    let stopped = s.ok(&["inspect", "--format", "{{.Id}}", "stopped"]);
    s.ok(&["network", "create", "unused-net"]);
    let dangling = load_small(&s, "", "dangling", json!({}));

    let out = s.run_stdin(&["system", "prune"], b"n\n");
    assert!(
        out.stderr.starts_with(
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n"
        ),
        "{out}"
    );
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 2);

    let out = s.ok(&["system", "prune", "-f"]);
    let expected = format!(
        "Deleted Containers:\n{stopped}\nDeleted Networks:\nunused-net\n\nDeleted Images:\ndeleted: {dangling}\n\nTotal reclaimed space: "
    );
    assert!(out.starts_with(&expected), "{out}");
    assert_eq!(
        s.ok(&["ps", "-a", "--format", "{{.Names}}"]),
        "running\n",
        "the running container stays"
    );
    assert!(
        image_ids(&s).len() == 1,
        "the running container's image stays"
    );
    // The stopped container's anonymous volume went only with --volumes.
    assert_eq!(s.ok(&["volume", "ls", "-q"]).lines().count(), 1);
    let out = s.ok(&["system", "prune", "-f", "--volumes"]);
    assert!(out.starts_with("Deleted Volumes:\n"), "{out}");
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "");
    s.ok(&["rm", "-f", "running"]);
    let out = s.ok(&["system", "prune", "-a", "-f"]);
    assert!(out.contains("untagged: "), "{out}");
    assert!(image_ids(&s).is_empty());
    let out = s.run(&["system", "prune", "-f", "--volumes", "--filter", "until=1h"]);
    assert_eq!(out.code, 125, "{out}");
}

#[test]
fn builder_prune_lists_the_cache_entries_it_removes() {
    let s = Skiff::new();
    let ctx = s.tempdir();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {}\nRUN echo cached > /f\n", s.busybox()),
    )
    .unwrap();
    s.ok(&["build", "-q", ctx.to_str().unwrap()]);
    let out = s.ok(&["builder", "prune", "-f"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Deleted build cache objects:", "{out}");
    assert!(lines[1].len() == 64, "{out}");
    assert!(out.contains("\nTotal reclaimed space: "), "{out}");
    assert_eq!(
        s.ok(&["builder", "prune", "-f"]),
        "Total reclaimed space: 0B\n"
    );
}
