//! The image commands as a user types them: load, import, images, tag, rmi, image inspect, and
//! every bad input of the foundation issue (corrupt and truncated archives, unknown names,
//! hostile layer entries, concurrent loads).
//!
//! Store layout assumed (DESIGN.md): `<root>/layers/<hex>/` is one dir per extracted layer, and
//! nothing a failed command did may remain anywhere under `<root>` (lock files aside).

mod common;

use common::fixtures::{self, Entry};
use common::{Out, Skiff, BUSYBOX};
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;

// ---------------------------------------------------------------------------------------------
// helpers

/// Splits a table line into columns: cells are separated by two or more spaces (docker's
/// tabwriter pads with at least three), and a cell may contain single spaces ("IMAGE ID",
/// "2 years ago").
fn columns(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// `skiff images ARGS` (default table): the header and the rows.
fn images_table(s: &Skiff, args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut full = vec!["images"];
    full.extend_from_slice(args);
    let out = s.ok(&full);
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let header = columns(lines.next().unwrap_or_else(|| panic!("no header: {out:?}")));
    (header, lines.map(columns).collect())
}

/// (repository, tag, image id) of each row of `skiff images ARGS`.
fn listed(s: &Skiff, args: &[&str]) -> Vec<(String, String, String)> {
    let (header, rows) = images_table(s, args);
    assert_eq!(
        header,
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        "images header"
    );
    rows.into_iter()
        .map(|r| {
            assert_eq!(r.len(), 5, "images row with 5 columns: {r:?}");
            (r[0].clone(), r[1].clone(), r[2].clone())
        })
        .collect()
}

/// The "repo:tag" names `skiff images ARGS` lists.
fn names(s: &Skiff, args: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = listed(s, args)
        .into_iter()
        .map(|(r, t, _)| format!("{r}:{t}"))
        .collect();
    names.sort();
    names
}

/// `skiff image inspect NAME`, the one object of its array.
fn inspect(s: &Skiff, name: &str) -> Value {
    let out = s.ok(&["image", "inspect", name]);
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("image inspect output is not JSON ({e}): {out}"));
    let arr = v.as_array().expect("image inspect prints a JSON array");
    assert_eq!(arr.len(), 1, "{out}");
    arr[0].clone()
}

fn is_short_id(s: &str) -> bool {
    s.len() == 12
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn is_full_id(s: &str) -> bool {
    s.len() == 71
        && s.starts_with("sha256:")
        && s[7..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// docker's human sizes: "4.26MB", "980kB", "0B".
fn is_human_size(s: &str) -> bool {
    let Some(num) = ["kB", "MB", "GB", "TB", "B"]
        .iter()
        .find_map(|u| s.strip_suffix(u))
    else {
        return false;
    };
    !num.is_empty() && num.parse::<f64>().is_ok()
}

/// A docker archive of the busybox rootfs under another name and config (same layer).
fn busybox_variant(name_tag: &str, extra: Value) -> Vec<u8> {
    fixtures::docker_archive(name_tag, fixtures::busybox_rootfs(), extra)
}

/// Loads an archive given as bytes with `load -i FILE`; returns the load output.
fn load_bytes(s: &Skiff, file: &str, archive: &[u8]) -> String {
    let path = s.write_file(file, archive);
    s.ok(&["load", "-i", path.to_str().unwrap()])
}

/// Asserts a command is refused as bad input: exit 125, a message on stderr (not a panic), and
/// the store exactly as before (busybox is loaded first so there is something to keep).
fn assert_refused(s: &Skiff, args: &[&str], stdin: Option<&[u8]>) -> Out {
    s.busybox();
    let before = s.store_listing();
    let out = match stdin {
        Some(data) => s.run_stdin(args, data),
        None => s.run(args),
    };
    assert_eq!(
        out.code,
        125,
        "`skiff {}` must be refused with exit 125: {out}",
        args.join(" ")
    );
    assert!(
        !out.stderr.trim().is_empty(),
        "a refusal says why on stderr: {out}"
    );
    assert!(
        !out.stderr.contains("panicked"),
        "a refusal is an error message, not a panic: {out}"
    );
    let after = s.store_listing();
    assert_store_same(&before, &after, args);
    assert_eq!(names(s, &[]), [BUSYBOX], "existing images are untouched");
    out
}

fn assert_store_same(before: &[String], after: &[String], args: &[&str]) {
    if before != after {
        let gone: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
        let new: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
        panic!(
            "`skiff {}` changed the store:\n  gone: {gone:#?}\n  new: {new:#?}",
            args.join(" ")
        );
    }
}

/// A path as a relative tar name climbing out of any extraction dir: "../../…/tmp/x".
fn climbing(abs: &std::path::Path) -> String {
    format!(
        "{}{}",
        "../".repeat(16),
        abs.to_str().unwrap().trim_start_matches('/')
    )
}

// ---------------------------------------------------------------------------------------------
// the harness and fixtures themselves (these pass without skiff)

#[test]
fn fixture_busybox_rootfs_has_the_applets_and_the_users() {
    let tar = fixtures::busybox_rootfs_tar();
    let mut ar = tar::Archive::new(&tar[..]);
    let mut seen = std::collections::BTreeMap::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let h = e.header();
        let link = h
            .link_name_bytes()
            .map(|l| String::from_utf8(l.into_owned()).unwrap());
        assert_eq!(h.uid().unwrap(), 0, "{name} owned by root");
        seen.insert(name, (h.entry_type(), h.mode().unwrap(), link, e.size()));
    }
    let busybox = std::fs::read(fixtures::BUSYBOX_BIN).unwrap();
    let (kind, mode, _, size) = &seen["bin/busybox"];
    assert!(kind.is_file());
    assert_eq!((*mode, *size), (0o755, busybox.len() as u64));
    let list = std::process::Command::new(fixtures::BUSYBOX_BIN)
        .arg("--list")
        .output()
        .unwrap();
    for applet in String::from_utf8(list.stdout).unwrap().lines() {
        if applet == "busybox" {
            continue;
        }
        let (kind, _, link, _) = &seen[&format!("bin/{applet}")];
        assert!(kind.is_symlink(), "bin/{applet}");
        assert_eq!(link.as_deref(), Some("busybox"));
    }
    assert_eq!(seen["tmp/"].1, 0o1777);
    for dir in ["proc/", "sys/", "dev/", "root/", "etc/"] {
        assert!(seen[dir].0.is_dir(), "{dir}");
    }
    let passwd = fixtures::tar_file(&tar, "etc/passwd").unwrap();
    let passwd = String::from_utf8(passwd).unwrap();
    assert!(passwd.starts_with("root:x:0:0:root:/root:/bin/sh\n"));
    assert!(passwd.contains("\nnobody:x:65534:65534:"));
    assert!(passwd.contains("\nwww-data:x:33:33:"));
    let group = String::from_utf8(fixtures::tar_file(&tar, "etc/group").unwrap()).unwrap();
    assert!(group.contains("\nstaff:x:50:www-data\n"));
    // Reproducible: the same bytes every time.
    assert_eq!(tar, fixtures::busybox_rootfs_tar());
}

#[test]
fn fixture_docker_archive_is_shaped_like_docker_save() {
    let rootfs = fixtures::busybox_rootfs_tar();
    let extra = json!({"created": "2020-02-02T00:00:00Z", "config": {"Labels": {"k": "v"}}});
    let archive = fixtures::docker_archive("busybox:test", &rootfs, extra);
    let manifest: Value =
        serde_json::from_slice(&fixtures::tar_file(&archive, "manifest.json").unwrap()).unwrap();
    let m = &manifest[0];
    assert_eq!(m["RepoTags"], json!(["busybox:test"]));
    let config_name = m["Config"].as_str().unwrap();
    let layer_name = m["Layers"][0].as_str().unwrap();
    assert!(layer_name.ends_with("/layer.tar"), "{layer_name}");
    assert_eq!(fixtures::tar_file(&archive, layer_name).unwrap(), rootfs);
    let config_bytes = fixtures::tar_file(&archive, config_name).unwrap();
    assert_eq!(
        config_name,
        format!("{}.json", fixtures::sha256_hex(&config_bytes))
    );
    let config: Value = serde_json::from_slice(&config_bytes).unwrap();
    assert_eq!(config["architecture"], fixtures::host_arch());
    assert_eq!(config["os"], "linux");
    assert_eq!(config["created"], "2020-02-02T00:00:00Z");
    assert_eq!(config["config"]["Cmd"], json!(["sh"]));
    assert_eq!(config["config"]["Labels"], json!({"k": "v"}));
    assert_eq!(config["config"]["Env"], json!([fixtures::PATH_ENV]));
    assert_eq!(config["rootfs"]["type"], "layers");
    assert_eq!(
        config["rootfs"]["diff_ids"],
        json!([fixtures::sha256(&rootfs)])
    );
    let repos: Value =
        serde_json::from_slice(&fixtures::tar_file(&archive, "repositories").unwrap()).unwrap();
    assert!(repos["busybox"]["test"].is_string());
    assert_eq!(
        fixtures::archive_image_id(&archive),
        fixtures::sha256(&config_bytes)
    );

    for other in [
        fixtures::podman_archive("busybox:test", &rootfs, json!({})),
        fixtures::docker_oci_archive("busybox:test", &rootfs, json!({})),
    ] {
        let manifest: Value =
            serde_json::from_slice(&fixtures::tar_file(&other, "manifest.json").unwrap()).unwrap();
        let layer = manifest[0]["Layers"][0].as_str().unwrap();
        assert_eq!(fixtures::tar_file(&other, layer).unwrap(), rootfs);
    }

    let untagged = fixtures::docker_archive("", &rootfs, json!({}));
    let manifest: Value =
        serde_json::from_slice(&fixtures::tar_file(&untagged, "manifest.json").unwrap()).unwrap();
    assert!(manifest[0]["RepoTags"].is_null());
    assert!(fixtures::tar_file(&untagged, "repositories").is_none());
}

#[test]
fn fixture_oci_layout_archive_is_a_valid_layout() {
    let rootfs = fixtures::busybox_rootfs_tar();
    let archive = fixtures::oci_layout_archive("busybox:oci", &rootfs);
    let files = fixtures::tar_files(&archive);
    assert!(files.iter().all(|(n, _)| n != "manifest.json"));
    let layout: Value =
        serde_json::from_slice(&fixtures::tar_file(&archive, "oci-layout").unwrap()).unwrap();
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    for (name, data) in &files {
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            assert_eq!(
                hex,
                fixtures::sha256_hex(data),
                "blob {name} matches its digest"
            );
        }
    }
    let index: Value =
        serde_json::from_slice(&fixtures::tar_file(&archive, "index.json").unwrap()).unwrap();
    let desc = &index["manifests"][0];
    assert_eq!(
        desc["annotations"]["org.opencontainers.image.ref.name"],
        "busybox:oci"
    );
    let blob = |digest: &str| {
        fixtures::tar_file(&archive, &format!("blobs/sha256/{}", &digest[7..])).unwrap()
    };
    let manifest: Value = serde_json::from_slice(&blob(desc["digest"].as_str().unwrap())).unwrap();
    let layer_gz = blob(manifest["layers"][0]["digest"].as_str().unwrap());
    let mut layer = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&layer_gz[..]), &mut layer)
        .unwrap();
    assert_eq!(layer, rootfs);
    let config: Value =
        serde_json::from_slice(&blob(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        json!([fixtures::sha256(&rootfs)])
    );
    assert_eq!(
        fixtures::archive_image_id(&archive),
        manifest["config"]["digest"].as_str().unwrap()
    );
}

#[test]
fn fixture_hostile_entries_are_written_verbatim() {
    let long = climbing(std::path::Path::new("/tmp/skiff-tests/x/pwned"));
    let tar = fixtures::tar_of(&[
        Entry::file("../escape", b"x"),
        Entry::file("/abs/file", b"y"),
        Entry::symlink("up", "../../.."),
        Entry::hardlink("hl", "/etc/passwd"),
        Entry::char_dev("dev/null", 1, 3),
        Entry::block_dev("dev/sda", 8, 0),
        Entry::fifo("fifo"),
        Entry::file(&long, b"z").owner(33, 33),
    ]);
    let mut ar = tar::Archive::new(&tar[..]);
    let got: Vec<(Vec<u8>, Option<Vec<u8>>, tar::EntryType)> = ar
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.path_bytes().into_owned(),
                e.link_name_bytes().map(|l| l.into_owned()),
                e.header().entry_type(),
            )
        })
        .collect();
    assert_eq!(got[0].0, b"../escape");
    assert_eq!(got[1].0, b"/abs/file");
    assert_eq!(got[2].1.as_deref(), Some(&b"../../.."[..]));
    assert_eq!(got[3].1.as_deref(), Some(&b"/etc/passwd"[..]));
    assert_eq!(got[4].2, tar::EntryType::Char);
    assert_eq!(got[5].2, tar::EntryType::Block);
    assert_eq!(got[6].2, tar::EntryType::Fifo);
    assert_eq!(got[7].0, long.as_bytes());
    let one = fixtures::tar_with_entry("../x", b"data");
    assert_eq!(
        fixtures::tar_files(&one),
        [("../x".to_string(), b"data".to_vec())]
    );
}

#[test]
fn harness_runs_commands_as_the_skiff_user() {
    let s = Skiff::new();
    let mut id = s.as_user("id");
    id.arg("-u");
    let id = common::run_command(id, None);
    assert_eq!(id.stdout.trim(), s.uid().to_string(), "{id}");
    let env = common::run_command(s.as_user("env"), None);
    assert!(!env.stdout.contains("XDG_RUNTIME_DIR="), "{env}");
    assert!(env.stdout.lines().any(|l| l.starts_with("PATH=")), "{env}");
    if std::env::var_os("SKIFF_TEST_USER").is_some() && unsafe { libc::geteuid() } == 0 {
        assert_ne!(s.uid(), 0, "SKIFF_TEST_USER makes skiff run unprivileged");
        assert!(s.rootless());
    }
    // The skiff binary and the temp dirs are usable by that user.
    let t = s.tempdir();
    assert_eq!(std::fs::metadata(&t).unwrap().uid(), s.uid());
    let mut touch = s.as_user("sh");
    touch.args([
        "-c",
        &format!("test -x {} && touch {}/f", s.bin().display(), t.display()),
    ]);
    let touch = common::run_command(touch, None);
    assert_eq!(touch.code, 0, "{touch}");
    let f = s.write_file("sub/file.txt", b"hello");
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), s.uid());
    let cat = common::run_command(s.as_user("cat"), Some(b"piped"));
    assert_eq!(cat.stdout, "piped");
    if let Some(r) = Skiff::as_root() {
        assert_eq!(r.uid(), 0);
    }
}

#[test]
fn harness_store_listing_sees_every_change_but_locks() {
    let s = Skiff::new();
    assert!(s.store_listing().is_empty());
    std::fs::create_dir_all(s.root().join("layers/abc")).unwrap();
    std::fs::write(s.root().join("lock"), b"").unwrap();
    let a = s.store_listing();
    std::fs::write(s.root().join("x.lock"), b"").unwrap();
    assert_eq!(a, s.store_listing(), "lock files are ignored");
    std::fs::write(s.root().join("layers/abc/f"), b"1").unwrap();
    let b = s.store_listing();
    assert_ne!(a, b);
    std::fs::write(s.root().join("layers/abc/f"), b"2").unwrap();
    assert_ne!(b, s.store_listing(), "content changes show");
    assert_eq!(s.layer_dirs(), ["abc"]);
}

// ---------------------------------------------------------------------------------------------
// load

#[test]
fn load_docker_archive_from_file() {
    let s = Skiff::new();
    let archive = common::busybox_archive_file();
    let out = s.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(out.contains("Loaded image: busybox:test"), "{out}");
    let id = fixtures::archive_image_id(&std::fs::read(archive).unwrap());
    assert_eq!(
        listed(&s, &[]),
        [("busybox".into(), "test".into(), fixtures::short_id(&id))]
    );
    assert_eq!(inspect(&s, "busybox:test")["Id"], id);
    assert_eq!(s.layer_dirs().len(), 1, "one layer dir per layer");
}

#[test]
fn load_docker_archive_from_stdin() {
    let s = Skiff::new();
    let archive = std::fs::read(common::busybox_archive_file()).unwrap();
    let out = s.run_stdin(&["load"], &archive);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("Loaded image: busybox:test"), "{out}");
    assert_eq!(names(&s, &[]), ["busybox:test"]);
    assert_eq!(
        inspect(&s, "busybox:test")["Id"],
        fixtures::archive_image_id(&archive)
    );
}

#[test]
fn load_quiet_and_input_long_flag() {
    let s = Skiff::new();
    let archive = common::busybox_archive_file();
    let out = s.ok(&["load", "--quiet", "--input", archive.to_str().unwrap()]);
    assert!(out.contains("Loaded image: busybox:test"), "{out}");
}

#[test]
fn load_podman_archive() {
    let s = Skiff::new();
    let archive =
        fixtures::podman_archive("localhost/pod/box:1", fixtures::busybox_rootfs(), json!({}));
    let out = load_bytes(&s, "podman.tar", &archive);
    assert!(out.contains("Loaded image: localhost/pod/box:1"), "{out}");
    assert_eq!(names(&s, &[]), ["localhost/pod/box:1"]);
    assert_eq!(
        inspect(&s, "localhost/pod/box:1")["Id"],
        fixtures::archive_image_id(&archive)
    );
}

#[test]
fn load_docker25_oci_archive() {
    let s = Skiff::new();
    let archive =
        fixtures::docker_oci_archive("busybox:new", fixtures::busybox_rootfs(), json!({}));
    let out = load_bytes(&s, "docker25.tar", &archive);
    assert!(out.contains("Loaded image: busybox:new"), "{out}");
    assert_eq!(names(&s, &[]), ["busybox:new"]);
    assert_eq!(
        inspect(&s, "busybox:new")["Id"],
        fixtures::archive_image_id(&archive)
    );
}

#[test]
fn load_oci_layout_archive() {
    let s = Skiff::new();
    let rootfs = fixtures::busybox_rootfs_tar();
    let archive = fixtures::oci_layout_archive("busybox:oci", &rootfs);
    let out = load_bytes(&s, "oci.tar", &archive);
    assert!(out.contains("busybox:oci"), "{out}");
    assert_eq!(names(&s, &[]), ["busybox:oci"]);
    let img = inspect(&s, "busybox:oci");
    assert_eq!(img["Id"], fixtures::archive_image_id(&archive));
    // Layers are listed by diff id (the digest of the uncompressed tar), as docker does.
    assert_eq!(img["RootFS"]["Layers"], json!([fixtures::sha256(&rootfs)]));
    assert_eq!(s.layer_dirs().len(), 1);

    // From stdin as well.
    let s2 = Skiff::new();
    let out = s2.run_stdin(&["load"], &archive);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(names(&s2, &[]), ["busybox:oci"]);
}

#[test]
fn load_untagged_archive_makes_a_dangling_image() {
    let s = Skiff::new();
    let archive = busybox_variant("", json!({}));
    let id = fixtures::archive_image_id(&archive);
    let out = load_bytes(&s, "untagged.tar", &archive);
    assert!(out.contains(&format!("Loaded image ID: {id}")), "{out}");
    assert_eq!(
        listed(&s, &[]),
        [("<none>".into(), "<none>".into(), fixtures::short_id(&id))]
    );
    assert_eq!(
        s.ok(&["images", "-q", "-f", "dangling=true"]).trim(),
        fixtures::short_id(&id)
    );
}

#[test]
fn load_same_archive_twice_stores_it_once() {
    let s = Skiff::new();
    let archive = common::busybox_archive_file().to_str().unwrap();
    s.ok(&["load", "-i", archive]);
    let out = s.ok(&["load", "-i", archive]);
    assert!(out.contains("Loaded image: busybox:test"), "{out}");
    assert_eq!(names(&s, &[]), ["busybox:test"]);
    assert_eq!(s.layer_dirs().len(), 1);
}

#[test]
fn load_moves_an_existing_tag_and_leaves_the_old_image_dangling() {
    let s = Skiff::new();
    let old = busybox_variant("x/app:1", json!({"created": "2021-01-01T00:00:00Z"}));
    let new = busybox_variant("x/app:1", json!({"created": "2022-01-01T00:00:00Z"}));
    load_bytes(&s, "old.tar", &old);
    load_bytes(&s, "new.tar", &new);
    let rows = listed(&s, &[]);
    assert!(rows.contains(&(
        "x/app".into(),
        "1".into(),
        fixtures::short_id(&fixtures::archive_image_id(&new))
    )));
    assert!(rows.contains(&(
        "<none>".into(),
        "<none>".into(),
        fixtures::short_id(&fixtures::archive_image_id(&old))
    )));
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Both images share their only layer.
    assert_eq!(s.layer_dirs().len(), 1);
}

#[test]
fn load_shares_layers_between_images() {
    let s = Skiff::new();
    let base = fixtures::busybox_rootfs_tar();
    let top_a = fixtures::tar_of(&[Entry::dir("app/"), Entry::file("app/a", b"a\n")]);
    let top_b = fixtures::tar_of(&[Entry::dir("app/"), Entry::file("app/b", b"b\n")]);
    load_bytes(
        &s,
        "a.tar",
        &fixtures::docker_archive_layers("multi/a:1", &[&base, &top_a], json!({})),
    );
    load_bytes(
        &s,
        "b.tar",
        &fixtures::docker_archive_layers("multi/b:1", &[&base, &top_b], json!({})),
    );
    assert_eq!(names(&s, &[]), ["multi/a:1", "multi/b:1"]);
    let layers = inspect(&s, "multi/a:1")["RootFS"]["Layers"].clone();
    assert_eq!(
        layers,
        json!([fixtures::sha256(&base), fixtures::sha256(&top_a)])
    );
    assert_eq!(s.layer_dirs().len(), 3, "the base layer is stored once");
}

#[test]
fn concurrent_loads_of_one_archive_both_succeed_and_store_the_layer_once() {
    let s = Skiff::new();
    let archive = common::busybox_archive_file().to_str().unwrap();
    for round in 0..3 {
        // Three at once, from threads (each bounded by the harness's timeout).
        let outs: Vec<Out> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| s.run(&["load", "-i", archive])))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for out in outs {
            assert_eq!(out.code, 0, "round {round}: concurrent load failed: {out}");
            assert!(out.stdout.contains("Loaded image: busybox:test"), "{out}");
        }
        assert_eq!(names(&s, &[]), ["busybox:test"]);
        assert_eq!(s.layer_dirs().len(), 1, "round {round}");
        if round == 1 {
            // Once more into an empty store.
            s.ok(&["rmi", "busybox:test"]);
            assert!(s.layer_dirs().is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// import

#[test]
fn import_rootfs_tar_with_change() {
    let s = Skiff::new();
    let rootfs = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    let out = s.ok(&[
        "import",
        rootfs.to_str().unwrap(),
        "my/base:1",
        "--change",
        r#"CMD ["/bin/sh"]"#,
    ]);
    let id = out.trim();
    assert!(is_full_id(id), "import prints the new image's ID: {out:?}");
    assert_eq!(
        listed(&s, &[]),
        [("my/base".into(), "1".into(), fixtures::short_id(id))]
    );
    let img = inspect(&s, "my/base:1");
    assert_eq!(img["Id"], id);
    assert_eq!(img["Config"]["Cmd"], json!(["/bin/sh"]));
    assert_eq!(img["RepoTags"], json!(["my/base:1"]));
    assert_eq!(img["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert_eq!(img["Os"], "linux");
    assert_eq!(img["Architecture"], fixtures::host_arch());
    assert_eq!(s.layer_dirs().len(), 1);
}

#[test]
fn import_from_stdin() {
    let s = Skiff::new();
    let out = s.run_stdin(&["import", "-", "my/base:2"], fixtures::busybox_rootfs());
    assert_eq!(out.code, 0, "{out}");
    assert!(is_full_id(out.stdout.trim()), "{out}");
    assert_eq!(names(&s, &[]), ["my/base:2"]);
}

#[test]
fn import_gzip_compressed_rootfs() {
    let s = Skiff::new();
    let rootfs = fixtures::busybox_rootfs_tar();
    let gz = s.write_file("rootfs.tar.gz", &fixtures::gzip(&rootfs));
    s.ok(&["import", gz.to_str().unwrap(), "gz/base"]);
    assert_eq!(names(&s, &[]), ["gz/base:latest"]);
    // The layer is stored by the digest of the uncompressed tar.
    assert_eq!(
        inspect(&s, "gz/base")["RootFS"]["Layers"],
        json!([fixtures::sha256(&rootfs)])
    );
}

#[test]
fn import_with_several_changes_and_a_message() {
    let s = Skiff::new();
    let rootfs = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    s.ok(&[
        "import",
        "-c",
        "ENV A=1",
        "-c",
        "WORKDIR /tmp",
        "-c",
        r#"ENTRYPOINT ["/bin/sh", "-c"]"#,
        "-c",
        "CMD echo hi",
        "-c",
        "LABEL org.example.k=v",
        "-c",
        "USER nobody",
        "-c",
        "EXPOSE 8080",
        "-m",
        "made by a test",
        rootfs.to_str().unwrap(),
        "changed:1",
    ]);
    let img = inspect(&s, "changed:1");
    let config = &img["Config"];
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(env.contains(&"A=1"), "{env:?}");
    assert_eq!(config["WorkingDir"], "/tmp");
    assert_eq!(config["Entrypoint"], json!(["/bin/sh", "-c"]));
    assert_eq!(config["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
    assert_eq!(config["Labels"], json!({"org.example.k": "v"}));
    assert_eq!(config["User"], "nobody");
    assert_eq!(config["ExposedPorts"], json!({"8080/tcp": {}}));
    assert_eq!(img["Comment"], "made by a test");
}

#[test]
fn import_without_a_name_makes_a_dangling_image() {
    let s = Skiff::new();
    let rootfs = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    let id = s
        .ok(&["import", rootfs.to_str().unwrap()])
        .trim()
        .to_string();
    assert!(is_full_id(&id));
    assert_eq!(
        listed(&s, &["-f", "dangling=true"]),
        [("<none>".into(), "<none>".into(), fixtures::short_id(&id))]
    );
}

#[test]
fn import_refuses_an_unknown_change_instruction() {
    let s = Skiff::new();
    let rootfs = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    let out = assert_refused(
        &s,
        &[
            "import",
            "--change",
            "RUN true",
            rootfs.to_str().unwrap(),
            "bad:1",
        ],
        None,
    );
    assert!(out.stderr.to_lowercase().contains("run"), "{out}");
}

#[test]
fn import_of_a_missing_file_fails() {
    let s = Skiff::new();
    let out = s.run(&["import", "/nonexistent/rootfs.tar", "x:1"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("/nonexistent/rootfs.tar"), "{out}");
    assert!(names(&s, &[]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// images

#[test]
fn images_default_table_is_dockers() {
    let s = Skiff::new();
    let img = s.busybox();
    let id = fixtures::archive_image_id(&std::fs::read(common::busybox_archive_file()).unwrap());
    let out = s.ok(&["images"]);
    let first = out.lines().next().unwrap();
    // Column titles start where docker's tabwriter puts them: each column as wide as its
    // widest cell plus at least three spaces (minimum 10 wide).
    let starts: Vec<usize> = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
        .iter()
        .map(|h| {
            first
                .find(h)
                .unwrap_or_else(|| panic!("no {h} in {first:?}"))
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{first:?}");
    let (_, rows) = images_table(&s, &[]);
    assert_eq!(rows.len(), 1, "{out}");
    let row = &rows[0];
    assert_eq!(format!("{}:{}", row[0], row[1]), img);
    assert_eq!(row[2], fixtures::short_id(&id));
    assert!(row[3].ends_with(" ago"), "CREATED as docker: {row:?}");
    assert!(
        is_human_size(&row[4]),
        "SIZE as docker (e.g. 1.98MB): {row:?}"
    );
    // Cells line up under their titles.
    let line = out.lines().nth(1).unwrap();
    assert_eq!(line.find(&row[2]), Some(starts[2]), "{out}");
    assert_eq!(
        line.find(&row[4]).map(|i| i >= starts[4]),
        Some(true),
        "{out}"
    );
}

#[test]
fn images_of_an_empty_store() {
    let s = Skiff::new();
    let (header, rows) = images_table(&s, &[]);
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    assert!(rows.is_empty());
    assert_eq!(s.ok(&["images", "-q"]), "");
}

#[test]
fn images_quiet_and_no_trunc() {
    let s = Skiff::new();
    s.busybox();
    let id = fixtures::archive_image_id(&std::fs::read(common::busybox_archive_file()).unwrap());
    let quiet = s.ok(&["images", "-q"]);
    assert_eq!(quiet, format!("{}\n", fixtures::short_id(&id)));
    assert!(quiet.lines().all(is_short_id));
    assert_eq!(
        s.ok(&["images", "--quiet", "--no-trunc"]),
        format!("{id}\n")
    );
    let rows = listed(&s, &["--no-trunc"]);
    assert_eq!(rows[0].2, id);
}

#[test]
fn images_all_lists_at_least_what_the_default_does() {
    let s = Skiff::new();
    s.busybox();
    load_bytes(
        &s,
        "u.tar",
        &busybox_variant("", json!({"created": "2023-01-01T00:00:00Z"})),
    );
    let default = listed(&s, &[]);
    let all = listed(&s, &["-a"]);
    for row in &default {
        assert!(all.contains(row), "{row:?} missing from images -a: {all:?}");
    }
    assert_eq!(listed(&s, &["--all"]), all);
}

#[test]
fn images_format_template() {
    let s = Skiff::new();
    s.busybox();
    let short = fixtures::short_id(&fixtures::archive_image_id(
        &std::fs::read(common::busybox_archive_file()).unwrap(),
    ));
    assert_eq!(
        s.ok(&["images", "--format", "{{.ID}}: {{.Repository}}"]),
        format!("{short}: busybox\n")
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        "busybox:test\n"
    );
    // `table` keeps a header; `\t` is a column break, as in docker.
    let out = s.ok(&["images", "--format", r"table {{.Repository}}\t{{.Tag}}"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [vec!["REPOSITORY", "TAG"], vec!["busybox", "test"]],
        "{out}"
    );
    // The JSON form docker has.
    let json_line = s.ok(&["images", "--format", "{{json .}}"]);
    let v: Value = serde_json::from_str(json_line.trim()).unwrap();
    assert_eq!(v["Repository"], "busybox");
    assert_eq!(v["Tag"], "test");
    assert_eq!(v["ID"], short);
}

#[test]
fn images_filter_dangling() {
    let s = Skiff::new();
    s.busybox();
    let dangling = busybox_variant("", json!({"created": "2023-01-01T00:00:00Z"}));
    load_bytes(&s, "d.tar", &dangling);
    let short = fixtures::short_id(&fixtures::archive_image_id(&dangling));
    assert_eq!(
        listed(&s, &["-f", "dangling=true"]),
        [("<none>".into(), "<none>".into(), short)]
    );
    assert_eq!(names(&s, &["--filter", "dangling=false"]), ["busybox:test"]);
}

#[test]
fn images_filter_label() {
    let s = Skiff::new();
    load_bytes(
        &s,
        "a.tar",
        &busybox_variant("lab/a:1", json!({"config": {"Labels": {"tier": "front"}}})),
    );
    load_bytes(
        &s,
        "b.tar",
        &busybox_variant("lab/b:1", json!({"config": {"Labels": {"tier": "back"}}})),
    );
    load_bytes(
        &s,
        "c.tar",
        &busybox_variant("lab/c:1", json!({"created": "2023-03-03T00:00:00Z"})),
    );
    assert_eq!(names(&s, &["-f", "label=tier=front"]), ["lab/a:1"]);
    assert_eq!(names(&s, &["-f", "label=tier"]), ["lab/a:1", "lab/b:1"]);
    assert!(names(&s, &["-f", "label=tier=nowhere"]).is_empty());
    assert_eq!(
        inspect(&s, "lab/a:1")["Config"]["Labels"],
        json!({"tier": "front"})
    );
}

#[test]
fn images_filter_reference_and_repository_argument() {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["tag", "busybox:test", "busybox:v3"]);
    s.ok(&["tag", "busybox:test", "other/name:v2"]);
    assert_eq!(
        names(&s, &["-f", "reference=busybox"]),
        ["busybox:test", "busybox:v3"]
    );
    assert_eq!(names(&s, &["-f", "reference=busybox:v*"]), ["busybox:v3"]);
    assert_eq!(names(&s, &["-f", "reference=other/*"]), ["other/name:v2"]);
    assert_eq!(names(&s, &["busybox"]), ["busybox:test", "busybox:v3"]);
    assert_eq!(names(&s, &["busybox:test"]), ["busybox:test"]);
    assert!(names(&s, &["nosuch"]).is_empty());
}

#[test]
fn images_filter_since_and_before_and_newest_first() {
    let s = Skiff::new();
    for (name, created) in [
        ("time/old:1", "2020-01-01T00:00:00Z"),
        ("time/mid:1", "2022-01-01T00:00:00Z"),
        ("time/new:1", "2024-01-01T00:00:00Z"),
    ] {
        load_bytes(
            &s,
            "t.tar",
            &busybox_variant(name, json!({"created": created})),
        );
    }
    let order: Vec<String> = listed(&s, &[]).into_iter().map(|r| r.0).collect();
    assert_eq!(
        order,
        ["time/new", "time/mid", "time/old"],
        "newest first, as docker"
    );
    assert_eq!(names(&s, &["-f", "since=time/mid:1"]), ["time/new:1"]);
    assert_eq!(names(&s, &["-f", "before=time/mid:1"]), ["time/old:1"]);
    let old_id = inspect(&s, "time/old:1")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        names(
            &s,
            &["-f", &format!("since={}", fixtures::short_id(&old_id))]
        ),
        ["time/mid:1", "time/new:1"]
    );
    let created = inspect(&s, "time/mid:1")["Created"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created.starts_with("2022-01-01T00:00:00"), "{created}");
}

#[test]
fn images_refuses_an_unknown_filter() {
    let s = Skiff::new();
    let out = s.run(&["images", "-f", "colour=blue"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("colour"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// tag

#[test]
fn tag_adds_a_name_to_the_same_image() {
    let s = Skiff::new();
    s.busybox();
    assert_eq!(s.ok(&["tag", "busybox:test", "my/app:v2"]), "");
    let rows = listed(&s, &[]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].2, rows[1].2, "same image ID");
    let mut tags: Vec<String> = inspect(&s, "my/app:v2")["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    assert_eq!(tags, ["busybox:test", "my/app:v2"]);
    assert_eq!(s.layer_dirs().len(), 1, "a tag copies nothing");
}

#[test]
fn tag_forms_of_names() {
    let s = Skiff::new();
    s.busybox();
    let id = inspect(&s, "busybox:test")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    s.ok(&["tag", "busybox:test", "mine"]);
    s.ok(&["tag", &fixtures::short_id(&id), "byid:1"]);
    s.ok(&["tag", &id, "byfullid:1"]);
    s.ok(&[
        "tag",
        "docker.io/library/busybox:test",
        "localhost:5000/x/y:z",
    ]);
    assert_eq!(
        names(&s, &[]),
        [
            "busybox:test",
            "byfullid:1",
            "byid:1",
            "localhost:5000/x/y:z",
            "mine:latest"
        ]
    );
    assert_eq!(inspect(&s, "mine")["Id"], id.as_str());
}

#[test]
fn tag_moves_an_existing_name() {
    let s = Skiff::new();
    s.busybox();
    load_bytes(
        &s,
        "o.tar",
        &busybox_variant("other:1", json!({"created": "2023-01-01T00:00:00Z"})),
    );
    let other_id = inspect(&s, "other:1")["Id"].clone();
    s.ok(&["tag", "other:1", "busybox:test"]);
    assert_eq!(inspect(&s, "busybox:test")["Id"], other_id);
    // The image that lost its only name is dangling now.
    assert_eq!(listed(&s, &["-f", "dangling=true"]).len(), 1);
}

#[test]
fn tag_of_an_unknown_image_fails() {
    let s = Skiff::new();
    let out = s.fails(&["tag", "nosuch:1", "x:1"], 1);
    assert!(out.stderr.contains("No such image: nosuch:1"), "{out}");
}

#[test]
fn tag_refuses_an_invalid_name() {
    let s = Skiff::new();
    s.busybox();
    let before = s.store_listing();
    for bad in ["UPPER:case", "a:b:c", "x/:1", "a/-b:1"] {
        let out = s.run(&["tag", "busybox:test", bad]);
        assert_ne!(out.code, 0, "tag to {bad:?}: {out}");
        assert!(
            out.stderr.contains("invalid reference format"),
            "{bad:?}: {out}"
        );
    }
    assert_store_same(&before, &s.store_listing(), &["tag", "..."]);
}

// ---------------------------------------------------------------------------------------------
// rmi

#[test]
fn rmi_of_one_of_several_tags_only_untags() {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["tag", "busybox:test", "other/name:v2"]);
    let out = s.ok(&["rmi", "other/name:v2"]);
    assert_eq!(out.trim(), "Untagged: other/name:v2");
    assert_eq!(names(&s, &[]), ["busybox:test"]);
    assert_eq!(s.layer_dirs().len(), 1);
}

#[test]
fn rmi_of_the_last_tag_deletes_the_image_and_its_layers() {
    let s = Skiff::new();
    s.busybox();
    let id = inspect(&s, "busybox:test")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = s.ok(&["rmi", "busybox:test"]);
    assert!(out.contains("Untagged: busybox:test"), "{out}");
    assert!(out.contains(&format!("Deleted: {id}")), "{out}");
    assert!(names(&s, &[]).is_empty());
    assert!(
        s.layer_dirs().is_empty(),
        "layers no image uses are removed"
    );
    // And it can come back.
    s.ok(&[
        "load",
        "-i",
        common::busybox_archive_file().to_str().unwrap(),
    ]);
    assert_eq!(names(&s, &[]), ["busybox:test"]);
}

#[test]
fn rmi_keeps_layers_other_images_use() {
    let s = Skiff::new();
    s.busybox();
    load_bytes(
        &s,
        "o.tar",
        &busybox_variant("other:1", json!({"created": "2023-01-01T00:00:00Z"})),
    );
    s.ok(&["rmi", "busybox:test"]);
    assert_eq!(s.layer_dirs().len(), 1, "other:1 still uses the layer");
    assert_eq!(names(&s, &[]), ["other:1"]);
}

#[test]
fn rmi_by_id_of_an_image_with_several_names_needs_force() {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["tag", "busybox:test", "other/name:v2"]);
    let id = inspect(&s, "busybox:test")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let short = fixtures::short_id(&id);
    let out = s.fails(&["rmi", &short], 1);
    assert!(out.stderr.contains("must be forced"), "{out}");
    assert_eq!(names(&s, &[]).len(), 2);
    let out = s.ok(&["rmi", "-f", &short]);
    assert!(out.contains("Untagged: busybox:test"), "{out}");
    assert!(out.contains("Untagged: other/name:v2"), "{out}");
    assert!(out.contains(&format!("Deleted: {id}")), "{out}");
    assert!(names(&s, &[]).is_empty());
    assert!(s.layer_dirs().is_empty());
}

#[test]
fn rmi_several_at_once() {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["tag", "busybox:test", "a:1"]);
    s.ok(&["tag", "busybox:test", "b:1"]);
    s.ok(&["rmi", "a:1", "b:1"]);
    assert_eq!(names(&s, &[]), ["busybox:test"]);
}

#[test]
fn rmi_of_an_unknown_image_exits_1() {
    let s = Skiff::new();
    s.busybox();
    let before = s.store_listing();
    let out = s.fails(&["rmi", "nosuch"], 1);
    assert!(out.stderr.contains("No such image: nosuch"), "{out}");
    assert_store_same(&before, &s.store_listing(), &["rmi", "nosuch"]);
    // One unknown name among known ones: the known are removed, the exit code still says 1.
    s.ok(&["tag", "busybox:test", "a:1"]);
    let out = s.fails(&["rmi", "a:1", "nosuch:2"], 1);
    assert!(out.stdout.contains("Untagged: a:1"), "{out}");
    assert!(out.stderr.contains("No such image: nosuch:2"), "{out}");
}

#[test]
fn rmi_of_an_image_a_container_uses_needs_force() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&["run", "--name", "keeper", "--network", "none", img, "true"]);
    let out = s.fails(&["rmi", img], 1);
    assert!(
        out.stderr.contains("keeper") || out.stderr.contains("container"),
        "{out}"
    );
    assert_eq!(names(&s, &[]), [img]);
    s.ok(&["rmi", "-f", img]);
    assert!(!names(&s, &[]).contains(&img.to_string()));
}

// ---------------------------------------------------------------------------------------------
// image inspect

#[test]
fn image_inspect_is_docker_shaped() {
    let s = Skiff::new();
    let img = s.busybox();
    let archive = std::fs::read(common::busybox_archive_file()).unwrap();
    let v = inspect(&s, img);
    assert_eq!(v["Id"], fixtures::archive_image_id(&archive));
    assert!(is_full_id(v["Id"].as_str().unwrap()));
    assert_eq!(v["RepoTags"], json!(["busybox:test"]));
    assert!(v["RepoDigests"].is_array(), "{v}");
    assert!(
        v["Created"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-01T00:00:00"),
        "{v}"
    );
    assert_eq!(v["Config"]["Cmd"], json!(["sh"]));
    assert_eq!(v["Config"]["Env"], json!([fixtures::PATH_ENV]));
    assert_eq!(v["Architecture"], fixtures::host_arch());
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["RootFS"]["Type"], "layers");
    assert_eq!(
        v["RootFS"]["Layers"],
        json!([fixtures::sha256(fixtures::busybox_rootfs())])
    );
    let size = v["Size"].as_u64().expect("Size is a number of bytes");
    let busybox_len = std::fs::metadata(fixtures::BUSYBOX_BIN).unwrap().len();
    assert!(
        size >= busybox_len && size <= 2 * fixtures::busybox_rootfs().len() as u64,
        "Size {size}"
    );
}

#[test]
fn image_inspect_by_id_and_name_forms() {
    let s = Skiff::new();
    s.busybox();
    let id = inspect(&s, "busybox:test")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    for name in [
        id.clone(),
        id[7..].to_string(),
        fixtures::short_id(&id),
        "docker.io/library/busybox:test".to_string(),
        "library/busybox:test".to_string(),
    ] {
        assert_eq!(inspect(&s, &name)["Id"], id.as_str(), "inspect {name}");
    }
    // No tag means :latest, which does not exist.
    let out = s.fails(&["image", "inspect", "busybox"], 1);
    assert!(out.stderr.contains("No such image: busybox"), "{out}");
}

#[test]
fn image_inspect_several_and_format() {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["tag", "busybox:test", "two:1"]);
    let out = s.ok(&["image", "inspect", "busybox:test", "two:1"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(
        s.ok(&[
            "image",
            "inspect",
            "-f",
            "{{.Os}}/{{.Architecture}}",
            "busybox:test"
        ]),
        format!("linux/{}\n", fixtures::host_arch())
    );
    assert_eq!(
        s.ok(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Cmd}}",
            "two:1"
        ]),
        "[\"sh\"]\n"
    );
}

#[test]
fn image_inspect_of_an_unknown_image_exits_1() {
    let s = Skiff::new();
    let out = s.fails(&["image", "inspect", "nosuch"], 1);
    assert!(out.stderr.contains("Error: No such image: nosuch"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// unknown images for run

#[test]
fn run_of_an_unknown_image_exits_125() {
    let s = Skiff::new();
    s.busybox();
    let before = s.store_listing();
    // A registry that refuses connections at once: whether or not skiff tries to pull, the
    // image cannot be found.
    let out = s.fails(&["run", "--rm", "localhost:1/nosuch:1", "true"], 125);
    assert!(out.stderr.contains("localhost:1/nosuch"), "{out}");
    let out = s.fails(&["run", "--rm", "Not//Valid", "true"], 125);
    assert!(out.stderr.contains("invalid reference format"), "{out}");
    assert_store_same(&before, &s.store_listing(), &["run", "..."]);
}

// ---------------------------------------------------------------------------------------------
// corrupt and truncated archives

#[test]
fn load_refuses_garbage_and_empty_input() {
    let s = Skiff::new();
    let junk: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let f = s.write_file("junk.tar", &junk);
    assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
    assert_refused(&s, &["load"], Some(&junk));
    let empty = s.write_file("empty.tar", b"");
    assert_refused(&s, &["load", "-i", empty.to_str().unwrap()], None);
    assert_refused(&s, &["load"], Some(b""));
    let missing = s.tempdir().join("missing.tar");
    assert_refused(&s, &["load", "-i", missing.to_str().unwrap()], None);
    // A tar that is no image archive.
    let plain = s.write_file("plain.tar", &fixtures::tar_with_entry("hello.txt", b"hi"));
    assert_refused(&s, &["load", "-i", plain.to_str().unwrap()], None);
}

#[test]
fn load_refuses_truncated_archives() {
    let s = Skiff::new();
    let archive = busybox_variant("trunc:1", json!({}));
    // docker save writes manifest.json last: cut in the middle, or inside manifest.json.
    let mut manifest_at = 0;
    for e in tar::Archive::new(&archive[..]).entries().unwrap() {
        let e = e.unwrap();
        if &*e.path_bytes() == b"manifest.json" {
            manifest_at = e.raw_file_position() as usize;
        }
    }
    assert!(manifest_at > 0);
    for cut in [archive.len() / 2, manifest_at + 5] {
        let f = s.write_file("cut.tar", &archive[..cut]);
        assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
        assert_refused(&s, &["load"], Some(&archive[..cut]));
    }
    // manifest.json and config first, the layer cut in the middle of its data.
    let mut files = fixtures::tar_files(&archive);
    files.sort_by_key(|(n, _)| {
        !(n == "manifest.json" || n.ends_with(".json") || n == "repositories")
    });
    let reordered = fixtures::tar_from_files(&files);
    let layer_len = fixtures::busybox_rootfs().len();
    let cut = reordered.len() - 1024 - layer_len / 2;
    let f = s.write_file("cut2.tar", &reordered[..cut]);
    assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
    assert_refused(&s, &["load"], Some(&reordered[..cut]));
    // The untruncated reordered archive is fine.
    let f = s.write_file("whole.tar", &reordered);
    s.ok(&["load", "-i", f.to_str().unwrap()]);
    assert_eq!(names(&s, &[]), ["busybox:test", "trunc:1"]);
}

#[test]
fn load_refuses_a_truncated_oci_archive() {
    let s = Skiff::new();
    let archive = fixtures::oci_layout_archive("trunc:oci", fixtures::busybox_rootfs());
    // The gzip layer blob is the last entry: cut inside it.
    let cut = archive.len() - 1024 - 20_000;
    let f = s.write_file("cut.tar", &archive[..cut]);
    assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
}

/// The offset of `bin/busybox`'s data in the busybox rootfs tar.
fn busybox_data_offset(rootfs: &[u8]) -> usize {
    let mut ar = tar::Archive::new(rootfs);
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        if &*e.path_bytes() == b"bin/busybox" {
            return e.raw_file_position() as usize;
        }
    }
    panic!("no bin/busybox");
}

#[test]
fn load_refuses_a_layer_that_does_not_match_its_diff_id() {
    let s = Skiff::new();
    let archive = busybox_variant("corrupt:1", json!({}));
    // One byte of the busybox binary flipped: the tar is still well formed, only the digest
    // the config declares no longer matches.
    let corrupt = fixtures::map_tar_files(&archive, |name, mut data| {
        if name.ends_with("/layer.tar") {
            let at = busybox_data_offset(&data) + 100_000;
            data[at] ^= 0xff;
        }
        Some(data)
    });
    let f = s.write_file("corrupt.tar", &corrupt);
    let out = assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
    assert!(
        out.stderr.to_lowercase().contains("digest") || out.stderr.contains("sha256"),
        "say which digest did not match: {out}"
    );
}

#[test]
fn load_refuses_an_oci_blob_that_does_not_match_its_digest() {
    let s = Skiff::new();
    let archive = fixtures::oci_layout_archive("corrupt:oci", fixtures::busybox_rootfs());
    let gz_hex = fixtures::sha256_hex(&fixtures::gzip(fixtures::busybox_rootfs()));
    let corrupt = fixtures::map_tar_files(&archive, |name, mut data| {
        if name.ends_with(&gz_hex) {
            let mid = data.len() / 2;
            data[mid] ^= 0x55;
        }
        Some(data)
    });
    let f = s.write_file("corrupt.tar", &corrupt);
    assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
}

#[test]
fn load_refuses_broken_manifests() {
    let s = Skiff::new();
    let archive = busybox_variant("broken:1", json!({}));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "manifest.json not JSON",
            fixtures::map_tar_files(&archive, |n, d| {
                Some(if n == "manifest.json" {
                    b"{not json".to_vec()
                } else {
                    d
                })
            }),
        ),
        (
            "manifest.json empty list",
            fixtures::map_tar_files(&archive, |n, d| {
                Some(if n == "manifest.json" {
                    b"[]".to_vec()
                } else {
                    d
                })
            }),
        ),
        (
            "layer missing",
            fixtures::map_tar_files(&archive, |n, d| (!n.ends_with("layer.tar")).then_some(d)),
        ),
        (
            "config missing",
            fixtures::map_tar_files(&archive, |n, d| {
                (n == "manifest.json" || !n.ends_with(".json")).then_some(d)
            }),
        ),
        (
            "config not JSON",
            fixtures::map_tar_files(&archive, |n, d| {
                Some(if n != "manifest.json" && n.ends_with(".json") {
                    b"garbage".to_vec()
                } else {
                    d
                })
            }),
        ),
        (
            "manifest path escapes the archive",
            fixtures::map_tar_files(&archive, |n, d| {
                if n != "manifest.json" {
                    return Some(d);
                }
                let mut m: Value = serde_json::from_slice(&d).unwrap();
                m[0]["Layers"][0] = json!("../../../../etc/passwd");
                Some(serde_json::to_vec(&m).unwrap())
            }),
        ),
    ];
    for (what, bytes) in cases {
        // The file name says which case failed.
        let name = format!("broken-{}.tar", what.replace(' ', "-"));
        let f = s.write_file(&name, &bytes);
        assert_refused(&s, &["load", "-i", f.to_str().unwrap()], None);
    }
}

#[test]
fn import_refuses_garbage_and_truncated_tars() {
    let s = Skiff::new();
    let rootfs = fixtures::busybox_rootfs();
    let cut = busybox_data_offset(rootfs) + 1000;
    let f = s.write_file("cut.tar", &rootfs[..cut]);
    assert_refused(&s, &["import", f.to_str().unwrap(), "cut:1"], None);
    assert_refused(&s, &["import", "-", "cut:1"], Some(&rootfs[..cut]));
    let gz = fixtures::gzip(rootfs);
    let f = s.write_file("cut.tar.gz", &gz[..gz.len() / 2]);
    assert_refused(&s, &["import", f.to_str().unwrap(), "cut:2"], None);
    let junk = vec![0x42u8; 10_000];
    assert_refused(&s, &["import", "-", "junk:1"], Some(&junk));
}

// ---------------------------------------------------------------------------------------------
// hostile layer entries: refused by import and by load, nothing written outside, store unchanged

/// Runs a hostile layer through `import` and through `load` (wrapped in a docker archive with
/// correct digests); both must be refused. `mention` lists words of which the error must name
/// one (the offending entry).
fn assert_hostile_refused(s: &Skiff, layer: &[u8], mention: &[&str]) {
    let f = s.write_file("hostile.tar", layer);
    let out = assert_refused(s, &["import", f.to_str().unwrap(), "hostile:1"], None);
    assert!(
        mention.iter().any(|m| out.stderr.contains(m)),
        "the error names the entry ({mention:?}): {out}"
    );
    let out = assert_refused(s, &["import", "-", "hostile:1"], Some(layer));
    assert!(mention.iter().any(|m| out.stderr.contains(m)), "{out}");
    let archive = fixtures::docker_archive("hostile:2", layer, json!({}));
    let f = s.write_file("hostile-archive.tar", &archive);
    let out = assert_refused(s, &["load", "-i", f.to_str().unwrap()], None);
    assert!(mention.iter().any(|m| out.stderr.contains(m)), "{out}");
}

#[test]
fn layer_entry_with_dotdot_is_refused() {
    let s = Skiff::new();
    let target = s.tempdir().join("dotdot-pwned");
    let layer = fixtures::tar_of(&[
        Entry::dir("etc/"),
        Entry::file("etc/ok", b"fine"),
        Entry::file(&climbing(&target), b"pwned"),
    ]);
    assert_hostile_refused(&s, &layer, &["dotdot-pwned", ".."]);
    assert!(
        !target.exists(),
        "{} was written outside the layer",
        target.display()
    );
    // `..` that stays inside is still `..`: refused too.
    let layer = fixtures::tar_of(&[Entry::dir("etc/"), Entry::file("etc/../inside-pwned", b"x")]);
    assert_hostile_refused(&s, &layer, &["inside-pwned", ".."]);
}

#[test]
fn layer_entry_with_absolute_path_is_refused() {
    let s = Skiff::new();
    let target = s.tempdir().join("abs-pwned");
    let layer = fixtures::tar_of(&[
        Entry::dir("etc/"),
        Entry::file(target.to_str().unwrap(), b"pwned"),
    ]);
    assert_hostile_refused(&s, &layer, &["abs-pwned"]);
    assert!(
        !target.exists(),
        "{} was written outside the layer",
        target.display()
    );
}

#[test]
fn layer_write_through_a_symlink_pointing_out_is_refused() {
    let s = Skiff::new();
    let outside = s.tempdir();
    let target = outside.join("link-pwned");
    let layer = fixtures::tar_of(&[
        Entry::symlink("escape", &climbing(&outside)),
        Entry::file("escape/link-pwned", b"pwned"),
    ]);
    assert_hostile_refused(&s, &layer, &["escape", "link-pwned"]);
    assert!(
        !target.exists(),
        "{} was written through a symlink",
        target.display()
    );

    // A relative link to the layer's parent, then a write through it.
    let layer = fixtures::tar_of(&[
        Entry::symlink("up", ".."),
        Entry::file("up/up-pwned", b"pwned"),
    ]);
    assert_hostile_refused(&s, &layer, &["up", "up-pwned"]);

    // A directory symlink nested deeper, then a write through it.
    let layer = fixtures::tar_of(&[
        Entry::dir("a/"),
        Entry::dir("a/b/"),
        Entry::symlink("a/b/c", "../../../../../../../../../../../../.."),
        Entry::file(
            &format!(
                "a/b/c/{}",
                outside
                    .join("deep-pwned")
                    .to_str()
                    .unwrap()
                    .trim_start_matches('/')
            ),
            b"pwned",
        ),
    ]);
    assert_hostile_refused(&s, &layer, &["a/b/c", "deep-pwned"]);
    assert!(!outside.join("deep-pwned").exists());
}

#[test]
fn layer_write_through_an_absolute_symlink_stays_inside() {
    // An absolute symlink is normal in a rootfs (/etc/alternatives/…): it means a path inside
    // the container. Writing through it must not reach the host's path of the same name:
    // either the write is resolved inside the layer (the image loads) or refused (exit 125).
    let s = Skiff::new();
    let outside = s.tempdir();
    let layer = fixtures::tar_of(&[
        Entry::symlink("abs", outside.to_str().unwrap()),
        Entry::file("abs/abs-pwned", b"pwned"),
    ]);
    let f = s.write_file("abs.tar", &layer);
    let out = s.run(&["import", f.to_str().unwrap(), "abs:1"]);
    assert!(out.code == 0 || out.code == 125, "{out}");
    assert!(
        !outside.join("abs-pwned").exists(),
        "written through an absolute symlink to the host: {out}"
    );
}

#[test]
fn layer_hard_link_to_outside_is_refused() {
    let s = Skiff::new();
    // A file the skiff user owns, so a naive link(2) would succeed.
    let canary = s.write_file("canary", b"secret");
    let layer = fixtures::tar_of(&[
        Entry::dir("etc/"),
        Entry::hardlink("etc/evil-link", canary.to_str().unwrap()),
    ]);
    assert_hostile_refused(&s, &layer, &["evil-link", canary.to_str().unwrap()]);
    let layer = fixtures::tar_of(&[
        Entry::dir("etc/"),
        Entry::hardlink("etc/evil-link", &climbing(&canary)),
    ]);
    assert_hostile_refused(&s, &layer, &["evil-link", "canary"]);
    // Through a symlink pointing out.
    let layer = fixtures::tar_of(&[
        Entry::symlink("out", &climbing(canary.parent().unwrap())),
        Entry::hardlink("evil-link", "out/canary"),
    ]);
    assert_hostile_refused(&s, &layer, &["evil-link", "out"]);
    assert_eq!(
        std::fs::metadata(&canary).unwrap().nlink(),
        1,
        "the canary got a link"
    );
    assert_eq!(std::fs::read(&canary).unwrap(), b"secret");
}

#[test]
fn layer_hard_link_inside_the_layer_works() {
    let s = Skiff::new();
    let rootfs = fixtures::busybox_rootfs_with(&[
        Entry::file("etc/original", b"same"),
        Entry::hardlink("etc/linked", "etc/original"),
    ]);
    let f = s.write_file("links.tar", &rootfs);
    s.ok(&["import", f.to_str().unwrap(), "links:1"]);
    assert_eq!(names(&s, &[]), ["links:1"]);
}

#[test]
fn layer_device_nodes_are_skipped_rootless_with_a_warning() {
    let s = Skiff::new();
    if !s.rootless() {
        eprintln!("skipped: skiff runs as root here (set SKIFF_TEST_USER)");
        return;
    }
    let rootfs = fixtures::busybox_rootfs_with(&[
        Entry::char_dev("dev/evil-null", 1, 3),
        Entry::block_dev("dev/evil-disk", 8, 0),
        Entry::fifo("tmp/fifo"),
    ]);
    let f = s.write_file("devs.tar", &rootfs);
    let out = s.run(&["import", f.to_str().unwrap(), "devs:1"]);
    assert_eq!(
        out.code, 0,
        "device nodes are skipped, the image loads: {out}"
    );
    let err = out.stderr.to_lowercase();
    assert!(err.contains("warning"), "{out}");
    assert!(err.contains("evil-null") || err.contains("device"), "{out}");
    assert_eq!(names(&s, &[]), ["devs:1"]);

    // The same through load (another layer: an existing layer is not extracted again).
    let rootfs = fixtures::busybox_rootfs_with(&[
        Entry::char_dev("dev/evil-null", 1, 3),
        Entry::file("etc/other-layer", b"2"),
    ]);
    let archive = fixtures::docker_archive("devs:2", &rootfs, json!({}));
    let f = s.write_file("devs-archive.tar", &archive);
    let out = s.run(&["load", "-i", f.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.to_lowercase().contains("warning"), "{out}");
    assert_eq!(names(&s, &[]), ["devs:1", "devs:2"]);
}

#[test]
fn debian_rootfs_imports_with_its_owners() {
    let s = Skiff::new();
    let img = s.debian();
    assert_eq!(names(&s, &[]), [img]);
    let v = inspect(&s, img);
    assert_eq!(v["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert_eq!(s.layer_dirs().len(), 1);
    // Files keep the owners the image declares (under the user namespace mapping): the apt
    // cache dir belongs to _apt (uid 42), which is neither root nor the skiff user on the host.
    let layer = s.root().join("layers").join(&s.layer_dirs()[0]);
    let partial = walk_find(&layer, "var/cache/apt/archives/partial")
        .expect("var/cache/apt/archives/partial in the extracted layer");
    let uid = std::fs::metadata(&partial).unwrap().uid();
    if s.rootless() {
        assert_ne!(
            uid,
            s.uid(),
            "_apt's dir is not owned by the skiff user itself"
        );
    } else {
        assert_eq!(uid, 42);
    }
}

/// Finds `rel` below `dir` (the layer's files may sit in a subdir such as `diff/`).
fn walk_find(dir: &std::path::Path, rel: &str) -> Option<std::path::PathBuf> {
    let direct = dir.join(rel);
    if direct.exists() {
        return Some(direct);
    }
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().ok()?.is_dir() {
            let candidate = e.path().join(rel);
            if candidate.exists() {
                return Some(candidate);
            }
        }
    }
    None
}

#[test]
fn image_commands_work_as_root_too() {
    let Some(r) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = r.busybox();
    r.ok(&["tag", img, "root/copy:1"]);
    assert_eq!(names(&r, &[]), ["busybox:test", "root/copy:1"]);
    let rootfs = fixtures::busybox_rootfs_with(&[Entry::char_dev("dev/rootnull", 1, 3)]);
    let f = r.write_file("devs.tar", &rootfs);
    r.ok(&["import", f.to_str().unwrap(), "root/devs:1"]);
    r.ok(&["rmi", img, "root/copy:1", "root/devs:1"]);
    assert!(names(&r, &[]).is_empty());
    assert!(r.layer_dirs().is_empty());
}
