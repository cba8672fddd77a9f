//! pull, push, login, logout and search against real registries on 127.0.0.1: Debian's
//! `docker-registry` (the shared one on `$SKIFF_TEST_REGISTRY`, and private instances with TLS,
//! htpasswd or token auth started by the tests), a token server and a misbehaving registry
//! written here, and skopeo for interoperability. No traffic leaves the loopback interface.

mod common;

use common::{fixtures, run_command, Out, Skiff, BUSYBOX};
use serde_json::{json, Value};
use servers::{Fake, Registry, TokenServer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------------------------
// helpers

/// The shared plain-HTTP registry (`$SKIFF_TEST_REGISTRY`, started by `.ci/run`), or a private
/// one when that is not set.
fn plain_registry() -> (String, Option<Registry>) {
    match std::env::var("SKIFF_TEST_REGISTRY")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(addr) => (addr, None),
        None => {
            let registry = Registry::start(servers::Auth::None, None);
            (registry.addr.clone(), Some(registry))
        }
    }
}

/// A repository name no other test (or earlier run) uses.
fn unique_repo(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("skiff-tests/{}-{n}-{nanos:x}/{name}", std::process::id())
}

/// `skiff ARGS` with extra environment variables.
fn run_env(s: &Skiff, args: &[&str], envs: &[(&str, &Path)]) -> Out {
    let mut cmd = s.cmd(args);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    run_command(cmd, None)
}

fn ok_env(s: &Skiff, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let out = run_env(s, args, envs);
    assert_eq!(out.code, 0, "`skiff {}` failed: {out}", args.join(" "));
    out.stdout
}

/// Pushes the busybox test image from a store of its own as `reference`; returns the digest.
fn push_busybox(reference: &str, envs: &[(&str, &Path)]) -> String {
    let s = Skiff::new();
    s.ok(&["tag", s.busybox(), reference]);
    let out = ok_env(&s, &["push", reference], envs);
    digest_in_push_output(&out)
}

fn digest_in_push_output(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains(": digest: "))
        .unwrap_or_else(|| panic!("no digest line in: {out}"));
    line.split_whitespace().nth(2).unwrap().to_string()
}

fn inspect(s: &Skiff, name: &str) -> Value {
    let text = s.ok(&["image", "inspect", name]);
    serde_json::from_str::<Value>(&text).unwrap()[0].clone()
}

fn image_ids(s: &Skiff) -> Vec<String> {
    s.ok(&["images", "-q", "--no-trunc"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn skopeo(args: &[&str]) -> String {
    let out = run_command(
        {
            let mut cmd = Command::new("skopeo");
            cmd.args(args);
            cmd
        },
        None,
    );
    assert_eq!(out.code, 0, "skopeo {args:?}: {out}");
    out.stdout
}

/// The digests, sizes and media types of a manifest's layers as the registry serves it.
fn remote_manifest(addr: &str, repo: &str, tag: &str) -> Value {
    serde_json::from_str(&skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{addr}/{repo}:{tag}"),
    ]))
    .unwrap()
}

/// A private dir for skiff's config (`XDG_CONFIG_HOME`) holding `skiff/config.json`.
fn config_home(s: &Skiff, settings: &Value) -> PathBuf {
    let dir = s.tempdir();
    std::fs::create_dir_all(dir.join("skiff")).unwrap();
    std::fs::write(
        dir.join("skiff/config.json"),
        serde_json::to_vec(settings).unwrap(),
    )
    .unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// plain HTTP: push, pull, run, digests

#[test]
fn push_then_pull_into_an_empty_store_and_run() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:1", unique_repo("busybox"));
    let digest = push_busybox(&reference, &[]);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    let s = Skiff::new();
    let out = s.ok(&["pull", &reference]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("1: Pulling from skiff-tests/"),
        "{out}"
    );
    assert!(
        out.contains(": Pulling fs layer\n") && out.contains(": Pull complete\n"),
        "{out}"
    );
    assert!(out.contains(&format!("Digest: {digest}\n")), "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {reference}\n")),
        "{out}"
    );
    assert_eq!(
        *lines.last().unwrap(),
        reference,
        "the last line is the full reference: {out}"
    );

    assert_eq!(
        s.ok(&["run", "--rm", &reference, "echo", "pulled"]),
        "pulled\n"
    );
    let image = inspect(&s, &reference);
    let repo = reference.rsplit_once(':').unwrap().0;
    assert_eq!(image["RepoDigests"], json!([format!("{repo}@{digest}")]));
    assert_eq!(image["RepoTags"], json!([reference]));
    let digests = s.ok(&[
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Tag}} {{.Digest}}",
    ]);
    assert_eq!(digests, format!("{repo} 1 {digest}\n"));
    // The pulled image is the pushed one: same config, same layers.
    let source = Skiff::new();
    source.busybox();
    assert_eq!(image["Id"], inspect(&source, BUSYBOX)["Id"]);
}

#[test]
fn pulling_again_is_up_to_date_and_quiet_prints_only_the_reference() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:2", unique_repo("busybox"));
    push_busybox(&reference, &[]);
    let s = Skiff::new();
    assert_eq!(s.ok(&["pull", "-q", &reference]), format!("{reference}\n"));
    let layers = s.layer_dirs();
    let before = s.store_listing();
    let again = s.ok(&["pull", &reference]);
    assert!(
        again.contains(&format!("Status: Image is up to date for {reference}\n")),
        "{again}"
    );
    assert!(!again.contains("Pull complete"), "{again}");
    assert_eq!(s.layer_dirs(), layers);
    assert_eq!(
        s.store_listing(),
        before,
        "an up-to-date pull changes nothing"
    );
}

#[test]
fn pull_by_digest_and_by_tag_share_the_layers() {
    let (addr, _registry) = plain_registry();
    let repo = format!("{addr}/{}", unique_repo("busybox"));
    let digest = push_busybox(&format!("{repo}:v1"), &[]);
    let s = Skiff::new();
    let by_digest = format!("{repo}@{digest}");
    let out = s.ok(&["pull", &by_digest]);
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {by_digest}")),
        "{out}"
    );
    assert_eq!(out.lines().last().unwrap(), by_digest);
    // Pulled by digest only: listed untagged, found by its digest.
    assert_eq!(s.ok(&["run", "--rm", &by_digest, "echo", "ok"]), "ok\n");
    let out = s.ok(&["pull", &format!("{repo}:v1")]);
    assert!(out.contains("Image is up to date"), "{out}");
    assert_eq!(s.layer_dirs().len(), 1);
    assert_eq!(image_ids(&s).len(), 1);
}

#[test]
fn push_twice_uploads_nothing_and_keeps_the_digest() {
    let (addr, _registry) = plain_registry();
    let s = Skiff::new();
    let first = format!("{addr}/{}:1", unique_repo("app"));
    s.ok(&["tag", s.busybox(), &first]);
    let out = s.ok(&["push", &first]);
    assert!(
        out.starts_with(&format!(
            "The push refers to repository [{}]\n",
            first.rsplit_once(':').unwrap().0
        )),
        "{out}"
    );
    assert!(out.contains(": Pushed\n"), "{out}");
    let digest = digest_in_push_output(&out);
    assert!(
        out.contains(&format!("1: digest: {digest} size: ")),
        "{out}"
    );

    let again = s.ok(&["push", &first]);
    assert!(
        again.contains(": Layer already exists\n") && !again.contains("Pushed"),
        "{again}"
    );
    assert_eq!(digest_in_push_output(&again), digest);

    // Another repository of the same registry: the layer is mounted, not uploaded.
    let second = format!("{addr}/{}:1", unique_repo("copy"));
    s.ok(&["tag", s.busybox(), &second]);
    let out = s.ok(&["push", &second]);
    assert!(out.contains(": Mounted from skiff-tests/"), "{out}");
    assert_eq!(digest_in_push_output(&out), digest);
}

#[test]
fn removing_a_pushed_image_removes_the_blobs_kept_for_it() {
    let (addr, _registry) = plain_registry();
    let s = Skiff::new();
    let reference = format!("{addr}/{}:1", unique_repo("kept"));
    s.ok(&["tag", s.busybox(), &reference]);
    s.ok(&["push", &reference]);
    let blobs = |s: &Skiff| {
        std::fs::read_dir(s.root().join("blobs/sha256"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(blobs(&s), 3, "config, manifest and the compressed layer");
    s.ok(&["rmi", "-f", BUSYBOX, &reference]);
    assert_eq!(blobs(&s), 0, "nothing of the image is left in blobs/");
    let info = std::fs::read_dir(s.root().join("blobinfo"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(info, 0);
}

#[test]
fn a_pulled_image_pushed_elsewhere_keeps_its_layers_diff_ids() {
    let (addr, _registry) = plain_registry();
    let origin = format!("{addr}/{}:1", unique_repo("origin"));
    let digest = push_busybox(&origin, &[]);
    let s = Skiff::new();
    s.ok(&["pull", &origin]);
    // Same registry: the pulled blobs are known there, the manifest is the same.
    let copy = format!("{addr}/{}:1", unique_repo("copy"));
    s.ok(&["tag", &origin, &copy]);
    let out = s.ok(&["push", &copy]);
    assert!(
        out.contains("Mounted from") || out.contains("Layer already exists"),
        "{out}"
    );
    assert_eq!(
        digest_in_push_output(&out),
        digest,
        "the pulled manifest is pushed as it was"
    );
    // Another registry: the layer is compressed again from its exact tar.
    let other = Registry::start(servers::Auth::None, None);
    let elsewhere = format!("{}/{}:1", other.addr, unique_repo("elsewhere"));
    s.ok(&["tag", &origin, &elsewhere]);
    let out = s.ok(&["push", &elsewhere]);
    assert!(out.contains(": Pushed\n"), "{out}");
    let fresh = Skiff::new();
    fresh.ok(&["pull", &elsewhere]);
    assert_eq!(
        inspect(&fresh, &elsewhere)["Id"],
        inspect(&s, &origin)["Id"]
    );
}

#[test]
fn imported_multi_user_image_round_trips_with_zstd() {
    let (addr, _registry) = plain_registry();
    let s = Skiff::new();
    let reference = format!("{addr}/{}:zstd", unique_repo("debian"));
    s.ok(&["tag", s.debian(), &reference]);
    let out = s.ok(&["push", "--compression-format", "zstd", &reference]);
    let digest = digest_in_push_output(&out);
    let path = reference
        .split_once('/')
        .unwrap()
        .1
        .rsplit_once(':')
        .unwrap()
        .0;
    let manifest = remote_manifest(&addr, path, "zstd");
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );

    let fresh = Skiff::new();
    fresh.ok(&["pull", &format!("{addr}/{path}@{digest}")]);
    assert_eq!(
        inspect(&fresh, &format!("{addr}/{path}@{digest}"))["Id"],
        inspect(&s, &reference)["Id"]
    );
    let owner = fresh.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &format!("{addr}/{path}@{digest}"),
        "stat",
        "-c",
        "%U",
        "/var/cache/apt/archives/partial",
    ]);
    assert_eq!(
        owner, "_apt\n",
        "files of other users keep their owner through push and pull"
    );
}

#[test]
fn two_pulls_at_once_both_succeed_and_store_the_layer_once() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:1", unique_repo("busybox"));
    push_busybox(&reference, &[]);
    let s = Skiff::new();
    let children: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = s.cmd(&["pull", "-q", &reference]);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(s.layer_dirs().len(), 1);
    assert_eq!(image_ids(&s).len(), 1);
    assert_eq!(s.ok(&["run", "--rm", &reference, "echo", "once"]), "once\n");
}

// ---------------------------------------------------------------------------------------------
// run --pull

#[test]
fn run_pulls_a_missing_image_as_policy_says() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:1", unique_repo("busybox"));
    push_busybox(&reference, &[]);
    let s = Skiff::new();

    let out = s.fails(&["run", "--rm", "--pull", "never", &reference, "true"], 125);
    assert!(out.stderr.contains("Unable to find image"), "{out}");

    let out = s.run(&["run", "--rm", &reference, "echo", "hello"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout, "hello\n",
        "pull progress stays off standard output: {out}"
    );
    assert!(
        out.stderr
            .starts_with(&format!("Unable to find image '{reference}' locally\n")),
        "{out}"
    );
    assert!(
        out.stderr.contains("Status: Downloaded newer image for"),
        "{out}"
    );

    let out = s.run(&["run", "--rm", &reference, "echo", "again"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "again\n", ""),
        "{out}"
    );

    let out = s.run(&[
        "run", "--rm", "--pull", "always", &reference, "echo", "always",
    ]);
    assert_eq!(out.stdout, "always\n", "{out}");
    assert!(
        out.stderr.contains("Status: Image is up to date for"),
        "{out}"
    );

    let out = s.run(&["run", "--rm", "-q", "--pull", "always", &reference, "true"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out}");
}

// ---------------------------------------------------------------------------------------------
// platforms

/// A repository on `addr` whose `multi` tag is an index of the busybox image for the host
/// and the same files in an image whose config says linux/arm64/v8 (never run); its name.
fn push_multi_platform(addr: &str) -> String {
    let repo_path = unique_repo("multi");
    let repo = format!("{addr}/{repo_path}");
    let host_digest = push_busybox(&format!("{repo}:host"), &[]);
    // A second image whose config says arm64 (same busybox files, it is never run).
    let other = Skiff::new();
    let archive = fixtures::docker_archive(
        "other:1",
        fixtures::busybox_rootfs(),
        json!({"architecture": "arm64", "variant": "v8"}),
    );
    let file = other.write_file("other.tar", &archive);
    other.ok(&["load", "-i", file.to_str().unwrap()]);
    other.ok(&["tag", "other:1", &format!("{repo}:arm")]);
    let arm_digest = digest_in_push_output(&other.ok(&["push", &format!("{repo}:arm")]));

    let size_of = |tag: &str| {
        skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{repo}:{tag}"),
        ])
        .len()
    };
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": arm_digest, "size": size_of("arm"), "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": host_digest, "size": size_of("host"), "platform": {"os": "linux", "architecture": fixtures::host_arch()}},
        ],
    });
    servers::put_manifest(
        addr,
        &repo_path,
        "multi",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        &serde_json::to_vec(&index).unwrap(),
    );
    repo
}

#[test]
fn pull_chooses_the_platform_from_an_index() {
    let (addr, _registry) = plain_registry();
    let repo = push_multi_platform(&addr);
    let s = Skiff::new();
    s.ok(&["pull", &format!("{repo}:multi")]);
    assert_eq!(
        inspect(&s, &format!("{repo}:multi"))["Architecture"],
        fixtures::host_arch()
    );
    s.ok(&[
        "pull",
        "--platform",
        "linux/arm64",
        &format!("{repo}:multi"),
    ]);
    let image = inspect(&s, &format!("{repo}:multi"));
    assert_eq!(
        (image["Architecture"].as_str(), image["Variant"].as_str()),
        (Some("arm64"), Some("v8"))
    );
    let out = s.fails(
        &[
            "pull",
            "--platform",
            "linux/s390x",
            &format!("{repo}:multi"),
        ],
        125,
    );
    assert!(
        out.stderr.contains("no matching manifest for linux/s390x"),
        "{out}"
    );
    let out = s.fails(
        &["pull", "--platform", "nonsense", &format!("{repo}:multi")],
        125,
    );
    assert!(out.stderr.contains("invalid platform"), "{out}");
}

#[test]
fn run_platform_selects_pulls_or_refuses() {
    let (addr, _registry) = plain_registry();
    let repo = push_multi_platform(&addr);
    let multi = format!("{repo}:multi");
    let host = format!("linux/{}", fixtures::host_arch());
    let s = Skiff::new();
    s.ok(&["pull", "--platform", "linux/arm64", &multi]);
    // The stored arm64 image is not the host's: --pull never says so, docker's way.
    let out = s.fails(
        &[
            "create",
            "--pull",
            "never",
            "--platform",
            &host,
            &multi,
            "true",
        ],
        125,
    );
    let wanted = format!(
        "image with reference {multi} was found but does not match the specified platform: wanted {host}, actual: linux/arm64/v8"
    );
    assert!(out.stderr.contains(&wanted), "{out}");
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    // By default the platform asked for is pulled in its place, and runs.
    let out = s.run(&["run", "--rm", "--platform", &host, &multi, "echo", "ran"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "ran\n"), "{out}");
    assert!(out.stderr.contains("Unable to find image"), "{out}");
    assert_eq!(inspect(&s, &multi)["Architecture"], fixtures::host_arch());
    // Now it is there: no pull.
    let out = s.run(&["run", "--rm", "--platform", &host, &multi, "true"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out}");
    // A platform this machine cannot execute (no emulator registered for it) is refused
    // before anything is fetched.
    let (foreign, qemu) = if fixtures::host_arch() == "s390x" {
        ("linux/riscv64", "riscv64")
    } else {
        ("linux/s390x", "s390x")
    };
    if std::path::Path::new(&format!("/proc/sys/fs/binfmt_misc/qemu-{qemu}")).exists() {
        eprintln!("skipped the refusal: this machine emulates {foreign}");
        return;
    }
    let out = s.fails(&["run", "--rm", "--platform", foreign, &multi, "true"], 125);
    assert!(
        out.stderr.contains(&format!(
            "image platform {foreign} cannot run on this {host} host"
        )),
        "{out}"
    );
    assert_eq!(inspect(&s, &multi)["Architecture"], fixtures::host_arch());
}

// ---------------------------------------------------------------------------------------------
// skopeo interop

#[test]
fn what_skopeo_pushes_skiff_pulls_and_runs() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:sk", unique_repo("from-skopeo"));
    let archive = common::busybox_archive_file();
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("docker-archive:{}", archive.display()),
        &format!("docker://{reference}"),
    ]);
    let remote_digest = skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        &format!("docker://{reference}"),
    ]);
    let s = Skiff::new();
    let out = s.ok(&["pull", &reference]);
    assert!(
        out.contains(&format!("Digest: {}", remote_digest.trim())),
        "{out}"
    );
    assert_eq!(
        s.ok(&["run", "--rm", &reference, "echo", "from skopeo"]),
        "from skopeo\n"
    );
}

#[test]
fn what_skiff_pushes_skopeo_inspects_and_copies_with_the_same_digest() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:sk", unique_repo("to-skopeo"));
    let digest = push_busybox(&reference, &[]);
    let remote = skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        &format!("docker://{reference}"),
    ]);
    assert_eq!(remote.trim(), digest);
    let owner = Skiff::new();
    let copied = owner.tempdir().join("copy");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--preserve-digests",
        &format!("docker://{reference}"),
        &format!("dir:{}", copied.display()),
    ]);
    let manifest = std::fs::read(copied.join("manifest.json")).unwrap();
    assert_eq!(
        fixtures::sha256(&manifest),
        digest,
        "skopeo copies the manifest byte for byte"
    );
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
fn a_tampered_blob_is_refused_and_nothing_is_stored() {
    let registry = Registry::start(servers::Auth::None, None);
    let repo = unique_repo("tampered");
    let reference = format!("{}/{repo}:1", registry.addr);
    push_busybox(&reference, &[]);
    let manifest = remote_manifest(&registry.addr, &repo, "1");
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let data = registry.dir.join(format!(
        "data/docker/registry/v2/blobs/sha256/{}/{layer}/data",
        &layer[..2]
    ));
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&data, &bytes).unwrap();

    let s = Skiff::new();
    s.ok(&["images"]);
    let before = s.store_listing();
    let out = s.fails(&["pull", &reference], 125);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {out}");
    assert!(
        out.stderr.contains(&format!("cannot pull {reference}")),
        "{out}"
    );
    assert!(
        out.stderr.contains("does not match its digest") || out.stderr.contains("corrupt"),
        "{out}"
    );
    let after: Vec<String> = s
        .store_listing()
        .into_iter()
        .filter(|l| !l.starts_with("tmp "))
        .collect();
    assert_eq!(
        after,
        before
            .into_iter()
            .filter(|l| !l.starts_with("tmp "))
            .collect::<Vec<_>>(),
        "nothing half-written"
    );
    assert!(s.layer_dirs().is_empty());
}

#[test]
fn unknown_images_and_dead_registries_are_one_line_errors() {
    let (addr, _registry) = plain_registry();
    let s = Skiff::new();
    let missing = format!("{addr}/{}:nope", unique_repo("missing"));
    let out = s.fails(&["pull", &missing], 125);
    assert!(
        out.stderr.contains(&format!("cannot pull {missing}")) && out.stderr.contains("not found"),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out}");

    let port = servers::free_port();
    let dead = format!("127.0.0.1:{port}/x:1");
    let out = s.fails(&["pull", &dead], 125);
    assert!(
        out.stderr.contains(&format!("cannot pull {dead}"))
            && out.stderr.contains("cannot connect"),
        "{out}"
    );

    let out = s.fails(&["push", &format!("{addr}/never-tagged:1")], 125);
    assert!(
        out.stderr
            .contains("An image does not exist locally with the tag"),
        "{out}"
    );
}

/// A registry that answers everything about the image `bad/image:1` with `respond`.
fn pull_from_fake(
    respond: impl Fn(&servers::HttpRequest) -> Option<Vec<u8>> + Send + Sync + 'static,
) -> (Out, Skiff) {
    let fake = Fake::start(respond);
    let s = Skiff::new();
    let out = s.run(&["pull", &format!("{}/bad/image:1", fake.addr)]);
    (out, s)
}

#[test]
fn a_manifest_that_is_not_json_or_too_large_is_refused() {
    let (out, _s) = pull_from_fake(|r| {
        r.path.contains("/manifests/").then(|| {
            servers::response(
                200,
                "application/vnd.docker.distribution.manifest.v2+json",
                b"<html>not a manifest</html>",
            )
        })
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("not valid JSON"), "{out}");

    let huge = vec![b' '; 5 << 20];
    let (out, _s) = pull_from_fake(move |r| {
        r.path
            .contains("/manifests/")
            .then(|| servers::response(200, "application/vnd.oci.image.manifest.v1+json", &huge))
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("larger than 4 MiB"), "{out}");
}

#[test]
fn redirect_loops_and_server_errors_end_with_a_clear_error() {
    let (out, _s) = pull_from_fake(|r| {
        r.path.contains("/manifests/").then(|| {
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
                r.path
            )
            .into_bytes()
        })
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("redirect"), "{out}");

    let (out, _s) = pull_from_fake(|r| {
        r.path.contains("/manifests/").then(|| {
            servers::response(
                429,
                "application/json",
                br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            )
        })
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("toomanyrequests: slow down"), "{out}");

    let (out, _s) = pull_from_fake(|r| {
        r.path
            .contains("/manifests/")
            .then(|| servers::response(503, "text/plain", b"down for maintenance"))
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("503"), "{out}");

    let (out, _s) = pull_from_fake(|r| {
        r.path.contains("/manifests/").then(|| servers::response(403, "application/json", br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#))
    });
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr
            .contains("denied: requested access to the resource is denied"),
        "{out}"
    );
}

/// Serves the busybox image; the layer through `layer(request, bytes)`.
fn serve_busybox(
    layer_response: impl Fn(&servers::HttpRequest, &[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> Fake {
    let (manifest, config, layer) = fixtures::busybox_blobs();
    let config_digest = fixtures::sha256(&config);
    let layer_digest = fixtures::sha256(&layer);
    Fake::start(move |r| {
        if r.path.contains("/manifests/") {
            Some(servers::response(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                &manifest,
            ))
        } else if r.path.ends_with(&config_digest) {
            Some(servers::response(200, "application/octet-stream", &config))
        } else if r.path.ends_with(&layer_digest) {
            Some(layer_response(r, &layer))
        } else {
            None
        }
    })
}

#[test]
fn a_connection_cut_mid_layer_resumes_where_it_stopped() {
    let cuts = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = cuts.clone();
    let fake = serve_busybox(move |r, layer| {
        let start = r.range_start().unwrap_or(0);
        let rest = &layer[start as usize..];
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            // Announce the whole layer, send a third, hang up.
            let mut bytes =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", rest.len()).into_bytes();
            bytes.extend_from_slice(&rest[..rest.len() / 3]);
            bytes
        } else {
            let mut bytes = format!("HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\n\r\n", rest.len(), layer.len() - 1, layer.len()).into_bytes();
            bytes.extend_from_slice(rest);
            bytes
        }
    });
    let s = Skiff::new();
    let reference = format!("{}/bad/image:1", fake.addr);
    let out = s.run(&["pull", &reference]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        cuts.load(Ordering::SeqCst) >= 2,
        "the layer was asked for again"
    );
    assert_eq!(
        s.ok(&["run", "--rm", &reference, "echo", "whole"]),
        "whole\n"
    );
}

#[test]
fn a_connection_cut_every_time_fails_and_leaves_nothing() {
    let fake = serve_busybox(|_, layer| {
        let mut bytes =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer.len()).into_bytes();
        bytes.extend_from_slice(&layer[..layer.len() / 2]);
        bytes
    });
    let s = Skiff::new();
    s.ok(&["images"]);
    let before = s.store_listing();
    let out = s.fails(&["pull", &format!("{}/bad/image:1", fake.addr)], 125);
    assert!(
        out.stderr.contains("broke off") || out.stderr.contains("does not match"),
        "{out}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    let strip = |l: Vec<String>| {
        l.into_iter()
            .filter(|l| !l.starts_with("tmp "))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(s.store_listing()), strip(before));
}

#[test]
fn a_killed_pull_leaves_a_store_the_next_pull_completes() {
    let hold = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let holding = hold.clone();
    let fake = serve_busybox(move |_, layer| {
        // The first download stalls after half the layer until the test lets go.
        if holding.load(Ordering::SeqCst) {
            let mut bytes =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer.len()).into_bytes();
            bytes.extend_from_slice(&layer[..layer.len() / 2]);
            bytes.extend_from_slice(b"\0STALL");
            bytes
        } else {
            servers::response(200, "application/octet-stream", layer)
        }
    });
    let s = Skiff::new();
    let reference = format!("{}/bad/image:1", fake.addr);
    let mut cmd = s.cmd(&["pull", &reference]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while fake.stalled() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(fake.stalled() > 0, "the pull never reached the layer");
    std::thread::sleep(std::time::Duration::from_millis(100));
    unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    // The helper process that was extracting dies with the group; wait until it is gone.
    let gone = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while unsafe { libc::killpg(child.id() as i32, 0) } == 0 && std::time::Instant::now() < gone {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    hold.store(false, Ordering::SeqCst);
    fake.release();
    assert!(image_ids(&s).is_empty(), "a killed pull stores no image");
    let leftovers = |s: &Skiff| {
        std::fs::read_dir(s.root().join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert!(leftovers(&s) > 0, "the killed pull left its staging behind");
    let out = s.run(&["pull", &reference]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        leftovers(&s),
        0,
        "the next pull swept what the killed one left"
    );
    assert_eq!(
        s.ok(&["run", "--rm", &reference, "echo", "complete"]),
        "complete\n"
    );
}

// ---------------------------------------------------------------------------------------------
// TLS

#[test]
fn tls_registry_needs_its_ca_in_certs_d_or_tls_verify_false() {
    let owner = Skiff::new();
    let certs = servers::Certs::generate(&owner.tempdir());
    let registry = Registry::start(servers::Auth::None, Some(&certs));
    let reference = format!("{}/{}:tls", registry.addr, unique_repo("secure"));
    let s = Skiff::new();
    s.ok(&["tag", s.busybox(), &reference]);

    let config = config_home(&s, &json!({}));
    let envs = [("XDG_CONFIG_HOME", config.as_path())];
    let out = run_env(&s, &["push", &reference], &envs);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains("certificate") && out.stderr.contains("certs.d"),
        "an unknown CA is refused, with what to do: {out}"
    );

    ok_env(&s, &["push", "--tls-verify=false", &reference], &envs);

    let dir = config.join("skiff/certs.d").join(&registry.addr);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&certs.ca, dir.join("ca.crt")).unwrap();
    let fresh = Skiff::new();
    let out = ok_env(&fresh, &["pull", &reference], &envs);
    assert!(out.contains("Downloaded newer image"), "{out}");
    assert_eq!(
        fresh.ok(&["run", "--rm", &reference, "echo", "tls"]),
        "tls\n"
    );
}

// ---------------------------------------------------------------------------------------------
// authentication

#[test]
fn htpasswd_registry_login_push_pull_logout() {
    let owner = Skiff::new();
    let dir = owner.tempdir();
    let registry = Registry::start(
        servers::Auth::Htpasswd(servers::htpasswd(&dir, "alice", "s3cret")),
        None,
    );
    let reference = format!("{}/{}:auth", registry.addr, unique_repo("private"));
    let s = Skiff::new();
    let docker_config = s.tempdir();
    let envs = [("DOCKER_CONFIG", docker_config.as_path())];
    s.ok(&["tag", s.busybox(), &reference]);

    let out = run_env(&s, &["push", &reference], &envs);
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("unauthorized"), "{out}");

    let mut cmd = s.cmd(&["login", "-u", "alice", "--password-stdin", &registry.addr]);
    cmd.env("DOCKER_CONFIG", &docker_config);
    let out = run_command(cmd, Some(b"wrong\n"));
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("unauthorized"), "{out}");
    assert!(
        !docker_config.join("config.json").exists(),
        "refused credentials are not saved"
    );

    let mut cmd = s.cmd(&["login", "-u", "alice", "--password-stdin", &registry.addr]);
    cmd.env("DOCKER_CONFIG", &docker_config);
    let out = run_command(cmd, Some(b"s3cret\n"));
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "Login Succeeded\n");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(docker_config.join("config.json")).unwrap()).unwrap();
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    assert_eq!(saved["auths"][&registry.addr]["auth"], auth);

    ok_env(&s, &["push", &reference], &envs);
    let fresh = Skiff::new();
    ok_env(&fresh, &["pull", &reference], &envs);

    let out = ok_env(&s, &["logout", &registry.addr], &envs);
    assert_eq!(
        out,
        format!("Removing login credentials for {}\n", registry.addr)
    );
    let out = run_env(&Skiff::new(), &["pull", &reference], &envs);
    assert_eq!(out.code, 125, "{out}");
    assert_eq!(
        ok_env(&s, &["logout", &registry.addr], &envs),
        format!("Not logged in to {}\n", registry.addr)
    );

    // -p works too (with docker's warning), and containers' auth.json is read.
    let out = run_env(
        &s,
        &["login", "-u", "alice", "-p", "s3cret", &registry.addr],
        &envs,
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("--password-stdin"), "{out}");
    let auth_file = s.write_file(
        "auth.json",
        json!({"auths": {&registry.addr: {"auth": auth}}})
            .to_string()
            .as_bytes(),
    );
    let empty_config = s.tempdir();
    let envs = [
        ("DOCKER_CONFIG", empty_config.as_path()),
        ("REGISTRY_AUTH_FILE", auth_file.as_path()),
    ];
    ok_env(&Skiff::new(), &["pull", &reference], &envs);
}

#[test]
fn credentials_go_through_the_configured_credential_helper() {
    let owner = Skiff::new();
    let dir = owner.tempdir();
    let registry = Registry::start(
        servers::Auth::Htpasswd(servers::htpasswd(&dir, "alice", "s3cret")),
        None,
    );
    let s = Skiff::new();
    // A credential helper as docker defines them: `get`, `store`, `erase` on stdin/stdout.
    let bin = s.tempdir();
    let saved = s.tempdir().join("saved.json");
    let helper = format!(
        "#!/bin/sh\n\
         case \"$1\" in\n\
         store) cat > {saved} ;;\n\
         get) read server; [ -f {saved} ] && exec cat {saved}; echo 'credentials not found in native keychain'; exit 1 ;;\n\
         erase) rm -f {saved} ;;\n\
         esac\n",
        saved = saved.display()
    );
    std::fs::write(bin.join("docker-credential-skifftest"), helper).unwrap();
    std::fs::set_permissions(
        bin.join("docker-credential-skifftest"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let docker_config = s.tempdir();
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"credsStore": "skifftest"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let envs = [
        ("DOCKER_CONFIG", docker_config.as_path()),
        ("PATH", Path::new(&path)),
    ];

    let mut cmd = s.cmd(&["login", "-u", "alice", "--password-stdin", &registry.addr]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = run_command(cmd, Some(b"s3cret\n"));
    assert_eq!(out.code, 0, "{out}");
    let stored: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(
        stored,
        json!({"ServerURL": registry.addr, "Username": "alice", "Secret": "s3cret"})
    );
    let config = std::fs::read_to_string(docker_config.join("config.json")).unwrap();
    assert!(
        !config.contains("auths"),
        "the helper keeps the secret: {config}"
    );

    let reference = format!("{}/{}:helper", registry.addr, unique_repo("helped"));
    s.ok(&["tag", s.busybox(), &reference]);
    ok_env(&s, &["push", &reference], &envs);

    let out = ok_env(&s, &["logout", &registry.addr], &envs);
    assert_eq!(
        out,
        format!("Removing login credentials for {}\n", registry.addr)
    );
    assert!(!saved.exists(), "logout erases through the helper");
    let out = run_env(&s, &["push", &reference], &envs);
    assert_eq!(out.code, 125, "{out}");
}

#[test]
fn token_registry_grants_what_the_token_server_allows() {
    let owner = Skiff::new();
    let dir = owner.tempdir();
    let tokens = TokenServer::start(&dir, "alice", "s3cret");
    let registry = Registry::start(servers::Auth::Token(tokens.auth_config()), None);
    let reference = format!("{}/{}:token", registry.addr, unique_repo("tokened"));
    let s = Skiff::new();
    let docker_config = s.tempdir();
    let envs = [("DOCKER_CONFIG", docker_config.as_path())];
    s.ok(&["tag", s.busybox(), &reference]);

    // Anonymous tokens carry no access here.
    let out = run_env(&s, &["push", &reference], &envs);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains("unauthorized") || out.stderr.contains("denied"),
        "{out}"
    );

    let mut cmd = s.cmd(&[
        "login",
        "--username",
        "alice",
        "--password-stdin",
        &registry.addr,
    ]);
    cmd.env("DOCKER_CONFIG", &docker_config);
    let out = run_command(cmd, Some(b"bad\n"));
    assert_eq!(out.code, 125, "{out}");

    let mut cmd = s.cmd(&[
        "login",
        "--username",
        "alice",
        "--password-stdin",
        &registry.addr,
    ]);
    cmd.env("DOCKER_CONFIG", &docker_config);
    let out = run_command(cmd, Some(b"s3cret\n"));
    assert_eq!(out.code, 0, "{out}");

    ok_env(&s, &["push", &reference], &envs);
    let fresh = Skiff::new();
    ok_env(&fresh, &["pull", &reference], &envs);
    assert_eq!(
        fresh.ok(&["run", "--rm", &reference, "echo", "token"]),
        "token\n"
    );
    let scopes = tokens.scopes();
    assert!(
        scopes.iter().any(|s| s.ends_with(":pull,push")),
        "push asked for pull,push: {scopes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// mirrors

#[test]
fn docker_hub_names_are_served_by_a_mirror() {
    let (addr, _registry) = plain_registry();
    let name = format!(
        "skiff-mirror-{}-{}",
        std::process::id(),
        unique_repo("x").len()
    );
    push_busybox(&format!("{addr}/library/{name}:1"), &[]);
    let s = Skiff::new();
    let config = config_home(
        &s,
        &json!({"registry-mirrors": ["http://127.0.0.1:1", format!("http://{addr}")]}),
    );
    let out = ok_env(
        &s,
        &["pull", &format!("{name}:1")],
        &[("XDG_CONFIG_HOME", config.as_path())],
    );
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {name}:1")),
        "{out}"
    );
    assert_eq!(
        out.lines().last().unwrap(),
        format!("docker.io/library/{name}:1")
    );
    assert_eq!(
        s.ok(&["run", "--rm", &format!("{name}:1"), "echo", "mirrored"]),
        "mirrored\n"
    );
}

#[test]
fn a_dead_mirror_falls_back_to_the_registry() {
    let (addr, _registry) = plain_registry();
    let reference = format!("{addr}/{}:1", unique_repo("fallback"));
    push_busybox(&reference, &[]);
    let s = Skiff::new();
    let dead = format!("http://127.0.0.1:{}", servers::free_port());
    let config = config_home(&s, &json!({"mirrors": {&addr: [dead]}}));
    let out = ok_env(
        &s,
        &["pull", &reference],
        &[("XDG_CONFIG_HOME", config.as_path())],
    );
    assert!(out.contains("Downloaded newer image"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// search

#[test]
fn search_lists_a_registrys_repositories_matching_the_term() {
    let (addr, _registry) = plain_registry();
    let repo = unique_repo("searchable");
    push_busybox(&format!("{addr}/{repo}:1"), &[]);
    let s = Skiff::new();
    let term = repo.split('/').nth(1).unwrap();
    let out = s.ok(&["search", &format!("{addr}/{term}")]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("DESCRIPTION")
            && lines[0].contains("STARS")
            && lines[0].contains("OFFICIAL"),
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[1].starts_with(&format!("{addr}/{repo} ")), "{out}");
    let out = s.ok(&[
        "search",
        "--format",
        "{{.Name}}",
        "--limit",
        "1",
        &format!("{addr}/{term}"),
    ]);
    assert_eq!(out, format!("{addr}/{repo}\n"));
    let out = s.ok(&["search", "--filter", "stars=3", &format!("{addr}/{term}")]);
    assert_eq!(
        out.lines().count(),
        1,
        "no repository of a private registry has stars: {out}"
    );
}

// ---------------------------------------------------------------------------------------------
// servers the tests start

mod servers {
    use super::common::Skiff;
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    pub fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn wait_listening(addr: &str, child: &mut Child, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(addr).is_ok() {
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "docker-registry did not listen on {addr}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    pub enum Auth {
        None,
        /// The htpasswd file.
        Htpasswd(PathBuf),
        /// The `auth:` section for token auth.
        Token(String),
    }

    pub struct Certs {
        pub ca: PathBuf,
        pub cert: PathBuf,
        pub key: PathBuf,
    }

    impl Certs {
        /// A CA and a server certificate for 127.0.0.1 it signed, made with openssl.
        pub fn generate(dir: &Path) -> Certs {
            let run = |args: &[&str]| {
                let out = Command::new("openssl")
                    .args(args)
                    .current_dir(dir)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            let ec = [
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ];
            run(&[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=skiff test CA",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat());
            run(&[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat());
            std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").unwrap();
            run(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ]);
            for f in ["ca.crt", "server.crt", "server.key"] {
                std::fs::set_permissions(
                    dir.join(f),
                    std::os::unix::fs::PermissionsExt::from_mode(0o644),
                )
                .unwrap();
            }
            Certs {
                ca: dir.join("ca.crt"),
                cert: dir.join("server.crt"),
                key: dir.join("server.key"),
            }
        }
    }

    /// An htpasswd file (bcrypt, as the registry wants) made with `htpasswd`.
    pub fn htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
        let path = dir.join("htpasswd");
        let out = Command::new("htpasswd")
            .args(["-Bbc", path.to_str().unwrap(), user, password])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "htpasswd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    }

    /// A private docker-registry on a free loopback port, killed on drop.
    pub struct Registry {
        pub addr: String,
        pub dir: PathBuf,
        child: Child,
        /// Owns `dir`, removed with it.
        _owner: Skiff,
    }

    impl Registry {
        pub fn start(auth: Auth, tls: Option<&Certs>) -> Registry {
            let owner = Skiff::new();
            let dir = owner.tempdir();
            let addr = format!("127.0.0.1:{}", free_port());
            let mut config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}/data\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                dir.display()
            );
            if let Some(certs) = tls {
                config.push_str(&format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    certs.cert.display(),
                    certs.key.display()
                ));
            }
            match auth {
                Auth::None => {}
                Auth::Htpasswd(file) => config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: skiff-test\n    path: {}\n",
                    file.display()
                )),
                Auth::Token(section) => config.push_str(&section),
            }
            std::fs::write(dir.join("config.yml"), config).unwrap();
            let log = dir.join("log");
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(dir.join("config.yml"))
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(std::fs::File::create(dir.join("log.err")).unwrap())
                .spawn()
                .expect("docker-registry (.ci/run installs it)");
            wait_listening(&addr, &mut child, &dir.join("log.err"));
            Registry {
                addr,
                dir,
                child,
                _owner: owner,
            }
        }
    }

    impl Drop for Registry {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// One parsed HTTP request.
    pub struct HttpRequest {
        pub method: String,
        pub path: String,
        pub headers: HashMap<String, String>,
    }

    impl HttpRequest {
        pub fn range_start(&self) -> Option<u64> {
            self.headers
                .get("range")?
                .strip_prefix("bytes=")?
                .trim_end_matches('-')
                .parse()
                .ok()
        }
    }

    fn read_request(stream: &mut BufReader<TcpStream>) -> Option<HttpRequest> {
        let mut line = String::new();
        stream.read_line(&mut line).ok()?;
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            stream.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if let Some(len) = headers
            .get("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            let mut body = vec![0; len];
            stream.read_exact(&mut body).ok()?;
        }
        Some(HttpRequest {
            method,
            path,
            headers,
        })
    }

    /// A complete response that closes the connection.
    pub fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
        let mut bytes = format!("HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    type Handler = dyn Fn(&HttpRequest) -> Option<Vec<u8>> + Send + Sync;

    /// A registry written for the bad cases: `/v2/` answers 200, everything else what the
    /// handler says (404 for None). A response ending in `\0STALL` is sent without those
    /// bytes and the connection is held open until [`Fake::release`].
    pub struct Fake {
        pub addr: String,
        stop: Arc<AtomicBool>,
        stalled: Arc<AtomicUsize>,
        released: Arc<AtomicBool>,
    }

    impl Fake {
        pub fn start(
            handler: impl Fn(&HttpRequest) -> Option<Vec<u8>> + Send + Sync + 'static,
        ) -> Fake {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let stop = Arc::new(AtomicBool::new(false));
            let stalled = Arc::new(AtomicUsize::new(0));
            let released = Arc::new(AtomicBool::new(false));
            let handler: Arc<Handler> = Arc::new(handler);
            let (stop2, stalled2, released2) = (stop.clone(), stalled.clone(), released.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (handler, stalled, released) =
                        (handler.clone(), stalled2.clone(), released2.clone());
                    std::thread::spawn(move || serve(stream, &*handler, &stalled, &released));
                }
            });
            Fake {
                addr,
                stop,
                stalled,
                released,
            }
        }

        pub fn stalled(&self) -> usize {
            self.stalled.load(Ordering::SeqCst)
        }

        pub fn release(&self) {
            self.released.store(true, Ordering::SeqCst);
        }
    }

    fn serve(stream: TcpStream, handler: &Handler, stalled: &AtomicUsize, released: &AtomicBool) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        while let Some(request) = read_request(&mut reader) {
            let answer = if request.path == "/v2/" {
                response(200, "application/json", b"{}")
            } else {
                handler(&request).unwrap_or_else(|| {
                    response(
                        404,
                        "application/json",
                        br#"{"errors":[{"code":"NOT_FOUND","message":"not here"}]}"#,
                    )
                })
            };
            let stall = answer.ends_with(b"\0STALL");
            let body = if stall {
                &answer[..answer.len() - 6]
            } else {
                &answer[..]
            };
            if writer.write_all(body).is_err() {
                return;
            }
            if stall {
                stalled.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(60);
                while !released.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return;
            }
            // Responses that announce more than they send end the connection, as a cut does.
            let head_end = body
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(body.len(), |p| p + 4);
            let announced = String::from_utf8_lossy(&body[..head_end])
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                });
            if announced.is_some_and(|n| n != body.len() - head_end) || request.method == "CLOSE" {
                return;
            }
            if String::from_utf8_lossy(&body[..head_end])
                .to_ascii_lowercase()
                .contains("connection: close")
            {
                return;
            }
        }
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            self.released.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(&self.addr);
        }
    }

    /// PUTs a manifest as a registry client would (for an index the test writes itself).
    pub fn put_manifest(addr: &str, repo: &str, tag: &str, media_type: &str, body: &[u8]) {
        let mut stream = TcpStream::connect(addr).unwrap();
        let head = format!("PUT /v2/{repo}/manifests/{tag} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {media_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "PUT manifest: {answer}");
    }

    /// A token server for the registry's `token` auth: issues RS256 JWTs (signed with
    /// openssl) granting the requested actions to `user`/`password`, nothing to anonymous
    /// callers, and 401 to wrong passwords.
    pub struct TokenServer {
        pub realm: String,
        cert: PathBuf,
        stop: Arc<AtomicBool>,
        scopes: Arc<Mutex<Vec<String>>>,
    }

    const ISSUER: &str = "skiff-test-issuer";
    const SERVICE: &str = "skiff-test-registry";

    impl TokenServer {
        pub fn start(dir: &Path, user: &str, password: &str) -> TokenServer {
            let out = Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "token.key",
                    "-out",
                    "token.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=skiff test token issuer",
                ])
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let pem = std::fs::read_to_string(dir.join("token.crt")).unwrap();
            let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let realm = format!("http://{}/token", listener.local_addr().unwrap());
            let stop = Arc::new(AtomicBool::new(false));
            let scopes = Arc::new(Mutex::new(Vec::new()));
            let (stop2, scopes2) = (stop.clone(), scopes.clone());
            let (key, user, password) = (
                dir.join("token.key"),
                user.to_string(),
                password.to_string(),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let mut writer = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    let Some(request) = read_request(&mut reader) else {
                        continue;
                    };
                    let answer = issue(&request, &key, &der_b64, &user, &password, &scopes2);
                    let _ = writer.write_all(&answer);
                }
            });
            TokenServer {
                realm,
                cert: dir.join("token.crt"),
                stop,
                scopes,
            }
        }

        /// The registry's `auth:` section trusting this server.
        pub fn auth_config(&self) -> String {
            format!("auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n", self.realm, self.cert.display())
        }

        /// Every scope asked for so far.
        pub fn scopes(&self) -> Vec<String> {
            self.scopes.lock().unwrap().clone()
        }
    }

    impl Drop for TokenServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(
                self.realm
                    .trim_start_matches("http://")
                    .trim_end_matches("/token"),
            );
        }
    }

    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn b64url(data: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
    }

    fn issue(
        request: &HttpRequest,
        key: &Path,
        cert_b64: &str,
        user: &str,
        password: &str,
        seen: &Mutex<Vec<String>>,
    ) -> Vec<u8> {
        use base64::Engine;
        let query = request.path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let params: Vec<(String, String)> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let credentials = request
            .headers
            .get("authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let authenticated = match &credentials {
            None => false,
            Some(c) if *c == format!("{user}:{password}") => true,
            Some(_) => {
                return response(
                    401,
                    "application/json",
                    br#"{"details":"wrong username or password"}"#,
                )
            }
        };
        let mut access = Vec::new();
        for (_, scope) in params.iter().filter(|(k, _)| k == "scope") {
            seen.lock().unwrap().push(scope.clone());
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            if authenticated {
                access.push(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}));
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [cert_b64]});
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": if authenticated { user } else { "" }, "aud": SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", seen.lock().unwrap().len()),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut openssl = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(key)
            .arg("-binary")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        openssl
            .stdin
            .take()
            .unwrap()
            .write_all(signing_input.as_bytes())
            .unwrap();
        let signature = openssl.wait_with_output().unwrap().stdout;
        let token = format!("{signing_input}.{}", b64url(&signature));
        response(
            200,
            "application/json",
            serde_json::json!({"token": token, "access_token": token, "expires_in": 300})
                .to_string()
                .as_bytes(),
        )
    }
}
