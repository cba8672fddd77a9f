//! Volumes as a user meets them: `volume create|ls|inspect|rm|prune`, named and anonymous
//! volumes in `run`, image VOLUMEs and copy-up, `--volumes-from`, `--mount`, tmpfs volumes,
//! `rm -v`, `system df`, the backup/restore recipe, and bad input that must change nothing.
//!
//! Skiff runs rootless (as `$SKIFF_TEST_USER` when the tests run as root, see tests/common).

mod common;

use common::fixtures::{self, Entry};
use common::{mount_at, Out, Skiff};
use serde_json::Value;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// helpers

/// `skiff run --rm FLAGS BUSYBOX sh -c SCRIPT`, asserted to exit 0; its stdout.
fn sh(s: &Skiff, flags: &[&str], script: &str) -> String {
    let out = sh_out(s, flags, script);
    assert_eq!(out.code, 0, "{out}");
    out.stdout
}

/// `skiff run --rm FLAGS BUSYBOX sh -c SCRIPT`, whatever its exit code.
fn sh_out(s: &Skiff, flags: &[&str], script: &str) -> Out {
    let img = s.busybox();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", script]);
    s.run(&args)
}

/// `skiff run --name NAME FLAGS BUSYBOX sh -c SCRIPT` (kept after it exits), asserted to exit 0.
fn keep(s: &Skiff, name: &str, flags: &[&str], script: &str) {
    let img = s.busybox();
    let mut args = vec!["run", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", script]);
    s.ok(&args);
}

/// The host directory holding a volume's data.
fn data_of(s: &Skiff, name: &str) -> PathBuf {
    s.root().join("volumes").join(name).join("_data")
}

/// `volume ls -q` as a sorted list.
fn volume_names(s: &Skiff, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["volume", "ls", "-q"];
    args.extend_from_slice(extra);
    let mut names: Vec<String> = s.ok(&args).lines().map(String::from).collect();
    names.sort();
    names
}

/// The one object `inspect` prints for `name` (`container inspect` or `volume inspect`).
fn inspect(s: &Skiff, args: &[&str]) -> Value {
    let out: Value = serde_json::from_str(&s.ok(args)).unwrap();
    out[0].clone()
}

/// The container's `Mounts` entry for `destination`.
fn mount_entry(s: &Skiff, container: &str, destination: &str) -> Value {
    let c = inspect(s, &["container", "inspect", container]);
    c["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == destination)
        .unwrap_or_else(|| panic!("no mount at {destination}: {c}"))
        .clone()
}

/// Imports the busybox rootfs plus `extra` entries as `name`, with `--change` lines.
fn import_with(s: &Skiff, name: &str, extra: &[Entry], changes: &[&str]) {
    let tar = s.write_file(
        &format!("{}.tar", name.replace([':', '/'], "-")),
        &fixtures::busybox_rootfs_with(extra),
    );
    let tar = tar.to_str().unwrap().to_string();
    let mut args = vec!["import"];
    for c in changes {
        args.extend_from_slice(&["--change", c]);
    }
    args.extend_from_slice(&[&tar, name]);
    s.ok(&args);
}

/// An image with files under /data (one owned by 33:44, mode 640; a subdir; a symlink) and
/// `VOLUME /data`.
fn image_with_data_volume(s: &Skiff) -> &'static str {
    import_with(
        s,
        "withdata:1",
        &[
            Entry::dir("data/").mode(0o750).owner(33, 44),
            Entry::file("data/seed", b"from the image\n")
                .owner(33, 44)
                .mode(0o640),
            Entry::dir("data/sub/"),
            Entry::file("data/sub/deep", b"deep\n"),
            Entry::symlink("data/link", "seed"),
        ],
        &["VOLUME /data", "CMD [\"sh\"]"],
    );
    "withdata:1"
}

/// The host id that container id `inside` maps to (the skiff user for 0, a subordinate id
/// for others), read from a container's /proc/self/uid_map or gid_map text.
fn host_id(map: &str, inside: u64) -> u64 {
    map.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|n| n.parse::<u64>().unwrap())
                .collect::<Vec<_>>()
        })
        .find(|m| inside >= m[0] && inside < m[0] + m[2])
        .map(|m| m[1] + inside - m[0])
        .unwrap_or_else(|| panic!("{inside} is not mapped in {map}"))
}

// ---------------------------------------------------------------------------------------------
// the backup/restore recipe

#[test]
fn backup_and_restore_through_volumes_from() {
    let s = Skiff::new();
    let img = s.busybox();
    keep(
        &s,
        "dbdata",
        &["-v", "/dbdata"],
        "echo precious > /dbdata/db.txt && mkdir /dbdata/sub && echo more > /dbdata/sub/x",
    );
    let here = s.tempdir();
    let backup = format!("{}:/backup", here.display());
    let out = s.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "dbdata",
        "-v",
        &backup,
        img,
        "tar",
        "cvf",
        "/backup/backup.tar",
        "/dbdata",
    ]);
    assert!(out.contains("dbdata/db.txt"), "{out}");
    assert!(here.join("backup.tar").is_file());

    keep(&s, "dbdata2", &["-v", "/dbdata"], "true");
    s.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "dbdata2",
        "-v",
        &backup,
        img,
        "sh",
        "-c",
        "cd /dbdata && tar xvf /backup/backup.tar --strip 1",
    ]);
    let out = s.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "dbdata2",
        img,
        "cat",
        "/dbdata/db.txt",
        "/dbdata/sub/x",
    ]);
    assert_eq!(out, "precious\nmore\n");
    // The --rm helpers removed no volume of dbdata or dbdata2: both are still in use.
    assert_eq!(volume_names(&s, &[]).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// volume create / ls / inspect

#[test]
fn volume_create_named_random_and_idempotent() {
    let s = Skiff::new();
    assert_eq!(s.ok(&["volume", "create", "mydata"]), "mydata\n");
    assert_eq!(s.ok(&["volume", "create", "mydata"]), "mydata\n");
    let random = s.ok(&["volume", "create"]);
    let random = random.trim();
    assert_eq!(random.len(), 64, "{random}");
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(data_of(&s, "mydata").is_dir());
    let mut want = vec!["mydata".to_string(), random.to_string()];
    want.sort();
    assert_eq!(volume_names(&s, &[]), want);
    let one = s.ok(&["volume", "create", "v"]);
    assert_eq!(one, "v\n", "one-character names are allowed");
}

#[test]
fn volume_inspect_has_dockers_shape() {
    let s = Skiff::new();
    s.ok(&[
        "volume",
        "create",
        "--label",
        "k=v",
        "--label",
        "flag",
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=64m",
        "scratch",
    ]);
    s.ok(&["volume", "create", "plain"]);
    let v = inspect(&s, &["volume", "inspect", "scratch"]);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "CreatedAt",
            "Driver",
            "Labels",
            "Mountpoint",
            "Name",
            "Options",
            "Scope"
        ]
    );
    assert_eq!(v["Name"], "scratch");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert_eq!(v["Labels"], serde_json::json!({"k": "v", "flag": ""}));
    assert_eq!(
        v["Options"],
        serde_json::json!({"type": "tmpfs", "device": "tmpfs", "o": "size=64m"})
    );
    assert_eq!(
        v["Mountpoint"].as_str().unwrap(),
        data_of(&s, "scratch").to_str().unwrap()
    );
    let created = v["CreatedAt"].as_str().unwrap();
    assert!(
        created.len() >= 20 && created.as_bytes()[10] == b'T',
        "{created}"
    );
    let plain = inspect(&s, &["volume", "inspect", "plain"]);
    assert_eq!(plain["Labels"], Value::Null);
    assert_eq!(plain["Options"], Value::Null);
    let out = s.ok(&["volume", "inspect", "-f", "{{.Name}} {{.Driver}}", "plain"]);
    assert_eq!(out, "plain local\n");
    let out = s.fails(&["volume", "inspect", "plain", "nope"], 1);
    assert!(out.stderr.contains("No such volume: nope"), "{out}");
}

#[test]
fn volume_ls_table_quiet_filters_and_format() {
    let s = Skiff::new();
    s.ok(&["volume", "create", "--label", "team=a", "alpha"]);
    s.ok(&["volume", "create", "--label", "team=b", "beta"]);
    s.ok(&["volume", "create", "gamma"]);
    keep(&s, "user", &["-v", "beta:/b"], "true");
    let table = s.ok(&["volume", "ls"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "DRIVER    VOLUME NAME", "{table}");
    assert_eq!(
        lines[1..],
        ["local     alpha", "local     beta", "local     gamma"]
    );
    assert_eq!(
        volume_names(&s, &["-f", "dangling=true"]),
        ["alpha", "gamma"]
    );
    assert_eq!(volume_names(&s, &["-f", "dangling=false"]), ["beta"]);
    assert_eq!(volume_names(&s, &["-f", "name=amm"]), ["gamma"]);
    assert_eq!(volume_names(&s, &["-f", "label=team"]), ["alpha", "beta"]);
    assert_eq!(volume_names(&s, &["-f", "label=team=b"]), ["beta"]);
    assert_eq!(
        volume_names(&s, &["-f", "dangling=true", "-f", "label=team"]),
        ["alpha"]
    );
    let out = s.ok(&[
        "volume",
        "ls",
        "--format",
        "{{.Name}}:{{.Driver}}:{{.Scope}}:{{.Labels}}",
        "-f",
        "name=alpha",
    ]);
    assert_eq!(out, "alpha:local:local:team=a\n");
    let out = s.ok(&["volume", "ls", "--format", "json", "-f", "name=beta"]);
    let row: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(row["Name"], "beta");
    assert_eq!(row["Mountpoint"], data_of(&s, "beta").to_str().unwrap());
    s.fails(&["volume", "ls", "-f", "bogus=1"], 125);
}

// ---------------------------------------------------------------------------------------------
// volume rm / prune

#[test]
fn volume_rm_is_refused_while_a_container_uses_it_naming_the_container() {
    let s = Skiff::new();
    keep(&s, "holder", &["-v", "kept:/k"], "echo x > /k/f");
    let out = s.fails(&["volume", "rm", "kept"], 1);
    assert!(out.stderr.contains("in use"), "{out}");
    assert!(out.stderr.contains("holder"), "names the container: {out}");
    assert!(data_of(&s, "kept").join("f").is_file(), "nothing removed");
    // Running, too.
    let img = s.busybox();
    s.ok(&[
        "run", "-d", "--name", "runner", "-v", "busy:/b", img, "sleep", "60",
    ]);
    let out = s.fails(&["volume", "rm", "busy"], 1);
    assert!(out.stderr.contains("runner"), "{out}");
    s.ok(&["rm", "-f", "runner", "holder"]);
    assert_eq!(s.ok(&["volume", "rm", "kept", "busy"]), "kept\nbusy\n");
    assert!(!s.root().join("volumes/kept").exists());
    assert!(volume_names(&s, &[]).is_empty());
}

#[test]
fn volume_rm_force_ignores_missing_volumes_only() {
    let s = Skiff::new();
    let out = s.fails(&["volume", "rm", "ghost"], 1);
    assert!(out.stderr.contains("No such volume: ghost"), "{out}");
    s.ok(&["volume", "create", "real"]);
    assert_eq!(s.ok(&["volume", "rm", "-f", "ghost", "real"]), "real\n");
    keep(&s, "box", &["-v", "used:/u"], "true");
    s.fails(&["volume", "rm", "-f", "used"], 1);
}

#[test]
fn volume_rm_removes_files_of_other_users() {
    let s = Skiff::new();
    sh(
        &s,
        &["-v", "mixed:/m"],
        "mkdir -p /m/d/e && echo x > /m/d/e/f && chown -R 33:33 /m/d && chmod 500 /m/d",
    );
    assert_eq!(s.ok(&["volume", "rm", "mixed"]), "mixed\n");
    assert!(!s.root().join("volumes/mixed").exists());
}

#[test]
fn volume_prune_removes_unused_anonymous_volumes_unless_all() {
    let s = Skiff::new();
    s.ok(&["volume", "create", "named-unused"]);
    keep(
        &s,
        "user",
        &["-v", "/anon-used", "-v", "named-used:/n"],
        "true",
    );
    keep(
        &s,
        "gone",
        &["-v", "/anon-free"],
        "echo 12345 > /anon-free/f",
    );
    let free = mount_entry(&s, "gone", "/anon-free")["Name"]
        .as_str()
        .unwrap()
        .to_string();
    let used = mount_entry(&s, "user", "/anon-used")["Name"]
        .as_str()
        .unwrap()
        .to_string();
    s.ok(&["rm", "gone"]);
    assert!(
        volume_names(&s, &[]).contains(&free),
        "rm without -v keeps it"
    );
    let out = s.ok(&["volume", "prune", "-f"]);
    assert_eq!(
        out,
        format!("Deleted Volumes:\n{free}\n\nTotal reclaimed space: 6B\n")
    );
    let mut want = vec![used.clone(), "named-unused".into(), "named-used".into()];
    want.sort();
    assert_eq!(volume_names(&s, &[]), want);
    let out = s.ok(&["volume", "prune", "-f", "--all"]);
    assert!(out.contains("named-unused"), "{out}");
    let mut want = vec![used, "named-used".into()];
    want.sort();
    assert_eq!(volume_names(&s, &[]), want, "volumes in use stay");
    // Without -f it asks, and a "no" (here: no answer) removes nothing.
    s.ok(&["volume", "create", "asked"]);
    s.ok(&["volume", "prune", "--all"]);
    assert!(volume_names(&s, &[]).contains(&"asked".to_string()));
}

// ---------------------------------------------------------------------------------------------
// volumes in run

#[test]
fn named_volume_is_created_on_first_use_and_outlives_containers() {
    let s = Skiff::new();
    sh(&s, &["-v", "mydata:/data"], "echo kept > /data/f");
    assert_eq!(volume_names(&s, &[]), ["mydata"]);
    assert_eq!(sh(&s, &["-v", "mydata:/data"], "cat /data/f"), "kept\n");
    assert_eq!(sh(&s, &["-v", "mydata:/data:ro"], "cat /data/f"), "kept\n");
    let out = sh_out(&s, &["-v", "mydata:/data:ro"], "echo no > /data/g");
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
    assert_eq!(
        volume_names(&s, &[]),
        ["mydata"],
        "--rm keeps named volumes"
    );
}

#[test]
fn files_root_writes_in_a_volume_belong_to_the_skiff_user() {
    let s = Skiff::new();
    let maps = sh(
        &s,
        &["-v", "owned:/o"],
        "echo hi > /o/root-file && touch /o/www && chown 33:33 /o/www && cat /proc/self/uid_map",
    );
    let meta = fs::metadata(data_of(&s, "owned").join("root-file")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (s.uid(), s.gid()));
    assert_eq!(
        fs::read_to_string(data_of(&s, "owned").join("root-file")).unwrap(),
        "hi\n",
        "the user reads their data without sudo"
    );
    let www = fs::metadata(data_of(&s, "owned").join("www")).unwrap();
    assert_eq!(www.uid() as u64, host_id(&maps, 33), "{maps}");
}

#[test]
fn anonymous_volume_is_reused_on_start_and_removed_by_rm_v() {
    let s = Skiff::new();
    keep(
        &s,
        "box",
        &["-v", "/data", "-v", "named:/named"],
        "echo run >> /data/log; echo run >> /named/log",
    );
    let anon = mount_entry(&s, "box", "/data")["Name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(anon.len(), 64);
    s.ok(&["start", "-a", "box"]);
    assert_eq!(
        fs::read_to_string(data_of(&s, &anon).join("log")).unwrap(),
        "run\nrun\n",
        "start reuses the same anonymous volume"
    );
    let anon_labels = inspect(&s, &["volume", "inspect", &anon])["Labels"].clone();
    assert_eq!(
        anon_labels,
        serde_json::json!({"com.docker.volume.anonymous": ""})
    );
    s.ok(&["rm", "-v", "box"]);
    assert_eq!(
        volume_names(&s, &[]),
        ["named"],
        "named volumes are never removed by rm -v"
    );
}

#[test]
fn rm_without_v_keeps_anonymous_volumes_and_run_rm_removes_them() {
    let s = Skiff::new();
    keep(&s, "box", &["-v", "/data"], "true");
    s.ok(&["rm", "box"]);
    assert_eq!(volume_names(&s, &[]).len(), 1);
    s.ok(&["volume", "prune", "-f"]);
    sh(&s, &["-v", "/data", "-v", "named:/n"], "echo x > /data/f");
    assert_eq!(volume_names(&s, &[]), ["named"]);
    let img = s.busybox();
    s.ok(&["run", "-d", "--rm", "--name", "bg", "-v", "/x", img, "true"]);
    s.run(&["wait", "bg"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while volume_names(&s, &[]) != ["named"] && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(volume_names(&s, &[]), ["named"], "run -d --rm too");
}

#[test]
fn image_volumes_get_anonymous_volumes_with_the_images_files() {
    let s = Skiff::new();
    let img = image_with_data_volume(&s);
    s.ok(&[
        "run",
        "--name",
        "box",
        img,
        "sh",
        "-c",
        "echo new > /data/added",
    ]);
    let m = mount_entry(&s, "box", "/data");
    assert_eq!(m["Type"], "volume");
    let name = m["Name"].as_str().unwrap();
    assert_eq!(m["Source"], data_of(&s, name).to_str().unwrap());
    let out = s.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "box",
        img,
        "sh",
        "-c",
        "cat /data/seed /data/sub/deep /data/added; readlink /data/link",
    ]);
    assert_eq!(out, "from the image\ndeep\nnew\nseed\n");
    // The user's own volume at the same path replaces the image's, and is filled the same way.
    let out = s.ok(&["run", "--rm", "-v", "mine:/data", img, "ls", "/data"]);
    assert_eq!(out, "link\nseed\nsub\n");
    assert_eq!(volume_names(&s, &[]).len(), 2);
}

#[test]
fn copy_up_keeps_owners_modes_and_links_as_in_the_image() {
    let s = Skiff::new();
    let img = image_with_data_volume(&s);
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "copy:/data",
        img,
        "sh",
        "-c",
        "stat -c '%n %u:%g %a' /data /data/seed /data/sub; readlink /data/link; cat /data/seed; cat /proc/self/uid_map",
    ]);
    let (listing, uid_map) = out.split_once("from the image\n").unwrap();
    assert_eq!(
        listing,
        "/data 33:44 750\n/data/seed 33:44 640\n/data/sub 0:0 755\nseed\n"
    );
    if unsafe { libc::geteuid() } == 0 {
        // Seen from the host, the copies belong to the ids the image's users map to.
        let seed = fs::metadata(data_of(&s, "copy").join("seed")).unwrap();
        assert_eq!(seed.uid() as u64, host_id(uid_map, 33), "{uid_map}");
    }
    // Only an empty volume is filled: what the user put there stays as it is.
    s.ok(&["volume", "create", "full"]);
    let own = data_of(&s, "full").join("mine");
    fs::write(&own, "mine\n").unwrap();
    std::os::unix::fs::chown(&own, Some(s.uid()), Some(s.gid())).unwrap();
    let out = s.ok(&["run", "--rm", "-v", "full:/data", img, "ls", "/data"]);
    assert_eq!(out, "mine\n");
    // nocopy leaves a new volume empty.
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "bare:/data:nocopy",
        img,
        "ls",
        "-A",
        "/data",
    ]);
    assert_eq!(out, "");
}

#[test]
fn killed_container_keeps_what_reached_the_volume() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "writer",
        "-v",
        "journal:/j",
        img,
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo line $i >> /j/log; sleep 0.01; done",
    ]);
    let log = data_of(&s, "journal").join("log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while fs::read_to_string(&log).unwrap_or_default().lines().count() < 5 {
        assert!(std::time::Instant::now() < deadline, "nothing written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.ok(&["kill", "writer"]);
    let kept = fs::read_to_string(&log).unwrap();
    assert!(kept.lines().count() >= 5);
    assert!(kept.starts_with("line 1\nline 2\n"), "{kept}");
    s.ok(&["rm", "writer"]);
    assert_eq!(
        sh(&s, &["-v", "journal:/j"], "head -n 2 /j/log"),
        "line 1\nline 2\n"
    );
}

// ---------------------------------------------------------------------------------------------
// --volumes-from

#[test]
fn volumes_from_gives_volumes_and_binds_at_the_same_paths_and_chains() {
    let s = Skiff::new();
    let host = s.tempdir();
    fs::write(host.join("h"), "host file\n").unwrap();
    let bind = format!("{}:/bound", host.display());
    keep(&s, "first", &["-v", "/a", "-v", &bind], "echo a > /a/f");
    keep(
        &s,
        "second",
        &["--volumes-from", "first", "-v", "bee:/b"],
        "echo b > /b/f",
    );
    let out = sh(&s, &["--volumes-from", "second"], "cat /a/f /b/f /bound/h");
    assert_eq!(out, "a\nb\nhost file\n", "chained through second to first");
    let out = sh_out(
        &s,
        &["--volumes-from", "first:ro"],
        "cat /a/f && echo x > /a/g",
    );
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
    // The user's own mount at the same path wins over the shared one.
    let out = sh(
        &s,
        &["--volumes-from", "first", "-v", "other:/a"],
        "ls -A /a",
    );
    assert_eq!(out, "");
    let out = s.fails(
        &[
            "run",
            "--rm",
            "--volumes-from",
            "nosuch",
            s.busybox(),
            "true",
        ],
        125,
    );
    assert!(out.stderr.contains("No such container: nosuch"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// --mount

#[test]
fn mount_flag_bind_volume_and_tmpfs() {
    let s = Skiff::new();
    let host = s.tempdir();
    fs::write(host.join("h"), "host\n").unwrap();
    let bind = format!("type=bind,src={},dst=/h,readonly", host.display());
    let out = sh(
        &s,
        &[
            "--mount",
            &bind,
            "--mount",
            "type=volume,src=vol,dst=/v,volume-label=made=bymount",
            "--mount",
            "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770",
            "--mount",
            "destination=/anon",
        ],
        "cat /h/h; echo v > /v/f; touch /h/x 2>/dev/null || echo ro; stat -c %a /t; cat /proc/self/mounts",
    );
    assert!(out.starts_with("host\nro\n1770\n"), "{out}");
    let t = mount_at(&out, "/t").unwrap_or_else(|| panic!("{out}"));
    assert!(
        t.has("size=65536k") && t.has("nosuid") && t.has("nodev"),
        "{t:?}"
    );
    assert!(mount_at(&out, "/h").unwrap().has("ro"));
    assert_eq!(
        fs::read_to_string(data_of(&s, "vol").join("f")).unwrap(),
        "v\n"
    );
    assert_eq!(
        inspect(&s, &["volume", "inspect", "vol"])["Labels"],
        serde_json::json!({"made": "bymount"})
    );
    assert_eq!(
        volume_names(&s, &[]),
        ["vol"],
        "--rm removed the anonymous one"
    );
}

#[test]
fn missing_bind_source_is_created_for_v_but_refused_for_mount() {
    let s = Skiff::new();
    let missing = s.tempdir().join("not/there");
    let v = format!("{}:/d", missing.display());
    sh(&s, &["-v", &v], "true");
    assert!(missing.is_dir());
    let other = s.tempdir().join("absent");
    let m = format!("type=bind,src={},dst=/d", other.display());
    let before = s.store_listing();
    let out = s.fails(&["run", "--rm", "--mount", &m, s.busybox(), "true"], 125);
    assert!(
        out.stderr.contains("bind source path does not exist"),
        "{out}"
    );
    assert!(!other.exists());
    assert_eq!(s.store_listing(), before);
}

// ---------------------------------------------------------------------------------------------
// tmpfs volumes

#[test]
fn tmpfs_volume_is_a_fresh_tmpfs_in_each_container() {
    let s = Skiff::new();
    s.ok(&[
        "volume",
        "create",
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=8m,mode=1777",
        "scratch",
    ]);
    let out = sh(
        &s,
        &["-v", "scratch:/s"],
        "ls -A /s; echo x > /s/f; cat /proc/self/mounts",
    );
    let m = mount_at(&out, "/s").unwrap_or_else(|| panic!("{out}"));
    assert_eq!(m.fstype, "tmpfs");
    assert!(m.has("size=8192k"), "{m:?}");
    assert_eq!(
        sh(&s, &["-v", "scratch:/s"], "ls -A /s"),
        "",
        "fresh each time"
    );
    assert!(
        !data_of(&s, "scratch").join("f").exists(),
        "nothing on disk"
    );
    let out = sh_out(&s, &["-v", "scratch:/s:ro"], "touch /s/f");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
    let entry = {
        keep(&s, "box", &["--mount", "src=scratch,dst=/s"], "true");
        mount_entry(&s, "box", "/s")
    };
    assert_eq!(entry["Type"], "volume");
    assert_eq!(entry["Name"], "scratch");
}

// ---------------------------------------------------------------------------------------------
// inspect and system df

#[test]
fn container_inspect_mounts_show_volumes_and_binds() {
    let s = Skiff::new();
    let host = s.tempdir();
    let bind = format!("{}:/b:ro", host.display());
    keep(
        &s,
        "box",
        &["-v", "named:/n", "-v", "/anon", "-v", &bind],
        "true",
    );
    let named = mount_entry(&s, "box", "/n");
    assert_eq!(named["Type"], "volume");
    assert_eq!(named["Name"], "named");
    assert_eq!(named["Driver"], "local");
    assert_eq!(named["Source"], data_of(&s, "named").to_str().unwrap());
    assert_eq!(named["RW"], true);
    assert_eq!(named["Mode"], "z");
    let anon = mount_entry(&s, "box", "/anon");
    assert_eq!(anon["Type"], "volume");
    assert_eq!(anon["Name"].as_str().unwrap().len(), 64);
    let b = mount_entry(&s, "box", "/b");
    assert_eq!(b["Type"], "bind");
    assert_eq!(b["Source"], host.to_str().unwrap());
    assert_eq!(b["RW"], false);
    assert_eq!(b["Mode"], "ro");
    assert_eq!(b["Propagation"], "rprivate");
    let names = s.ok(&["ps", "-a", "--format", "{{.Mounts}}"]);
    assert!(names.contains("named"), "{names}");
}

#[test]
fn system_df_counts_images_containers_and_volumes() {
    let s = Skiff::new();
    keep(&s, "box", &["-v", "sized:/s"], "printf 1234567890 > /s/f");
    s.ok(&["volume", "create", "idle"]);
    let table = s.ok(&["system", "df"]);
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        lines[0],
        ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
        "{table}"
    );
    assert_eq!(lines[1][..3], ["Images", "1", "1"], "{table}");
    assert_eq!(lines[2][..3], ["Containers", "1", "0"], "{table}");
    assert_eq!(
        lines[3],
        ["Local Volumes", "2", "1", "10B", "0B (0%)"],
        "{table}"
    );
    let out = s.ok(&["system", "df", "--format", "{{.Type}}={{.TotalCount}}"]);
    assert_eq!(out, "Images=1\nContainers=1\nLocal Volumes=2\n");
    let verbose = s.ok(&["system", "df", "-v"]);
    for part in [
        "Images space usage:",
        "Containers space usage:",
        "Local Volumes space usage:",
        "VOLUME NAME   LINKS     SIZE",
    ] {
        assert!(verbose.contains(part), "{part}: {verbose}");
    }
    let sized = verbose.lines().find(|l| l.starts_with("sized")).unwrap();
    assert_eq!(
        sized.split_whitespace().collect::<Vec<_>>(),
        ["sized", "1", "10B"]
    );
    s.ok(&["rm", "box"]);
    let table = s.ok(&["system", "df"]);
    let volumes = table
        .lines()
        .find(|l| l.starts_with("Local Volumes"))
        .unwrap();
    assert!(volumes.ends_with("10B (100%)"), "{table}");
}

// ---------------------------------------------------------------------------------------------
// bad input: clear errors, exit 125, nothing created

#[test]
fn bad_volume_and_mount_specs_exit_125_and_change_nothing() {
    let s = Skiff::new();
    let img = s.busybox();
    let before = s.store_listing();
    let cases: [(&[&str], &str); 13] = [
        (&["-v", "./rel:/d"], "use absolute path"),
        (
            &["-v", "rel/x:/d"],
            "invalid characters for a local volume name",
        ),
        (
            &["-v", "bad/name:/d"],
            "invalid characters for a local volume name",
        ),
        (&["-v", "ok:/proc/x"], "/proc"),
        (&["-v", "ok:/"], "cannot mount over /"),
        (&["-v", "/d", "-v", "ok:/d"], "Duplicate mount point: /d"),
        (&["-v", "ok:relative"], "must be absolute"),
        (
            &["--mount", "type=volume,src=ok,dst=/d,bogus=1"],
            "unexpected key 'bogus'",
        ),
        (
            &["--mount", "type=tmpfs,src=x,dst=/t"],
            "source must not be specified",
        ),
        (
            &["--mount", "type=bind,src=/tmp,dst=/t,tmpfs-size=1m"],
            "cannot mix",
        ),
        (&["--mount", "type=volume,src=ok"], "target is required"),
        (&["--mount", "type=volume,dst=/proc"], "/proc"),
        (&["--volumes-from", "x:zz"], "invalid mode"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[img, "true"]);
        let out = s.fails(&args, 125);
        assert!(
            out.stderr.contains(message),
            "{flags:?}: wanted {message:?}: {out}"
        );
    }
    let out = s.fails(&["volume", "create", "a/b"], 125);
    assert!(out.stderr.contains("invalid characters"), "{out}");
    let out = s.fails(
        &[
            "volume",
            "create",
            "--opt",
            "type=nfs",
            "--opt",
            "device=:/x",
            "n",
        ],
        125,
    );
    assert!(out.stderr.contains("nfs"), "{out}");
    assert_eq!(s.store_listing(), before, "nothing created");
}

// ---------------------------------------------------------------------------------------------
// as root, and the journal

#[test]
fn as_root_volumes_work_the_same() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = image_with_data_volume(&s);
    keep(
        &s,
        "rooted",
        &["-v", "/scratch", "-v", "named:/n"],
        "echo r > /scratch/f",
    );
    let out = s.ok(&[
        "run",
        "--rm",
        "--volumes-from",
        "rooted",
        img,
        "cat",
        "/scratch/f",
    ]);
    assert_eq!(out, "r\n");
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "copy:/data",
        img,
        "stat",
        "-c",
        "%u:%g",
        "/data/seed",
    ]);
    assert_eq!(out, "33:44\n");
    let seed = fs::metadata(data_of(&s, "copy").join("seed")).unwrap();
    assert_eq!(
        (seed.uid(), seed.gid()),
        (33, 44),
        "as root, ids are the host's"
    );
    s.ok(&["rm", "-v", "rooted"]);
    assert_eq!(volume_names(&s, &[]), ["copy", "named"]);
}

#[test]
fn volume_events_are_journaled() {
    let s = Skiff::new();
    s.ok(&["volume", "create", "logged"]);
    s.ok(&["volume", "rm", "logged"]);
    let out = s.ok(&[
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "-f",
        "type=volume",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.ID}}",
    ]);
    assert_eq!(out, "volume create logged\nvolume destroy logged\n");
}
