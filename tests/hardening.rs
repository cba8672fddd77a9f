//! What a hostile archive or a careless user cannot do: write outside the store or the target
//! of a copy, replace a directory by a file, read a private store, take a layer from under a
//! pull, or leave work running and debris behind by killing a command.

mod common;

use common::fixtures::{self, Entry};
use common::{Bg, Out, Skiff};
use serde_json::json;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// helpers

/// A directory of the skiff user's with one file, `victim`, that no archive may touch.
struct Canary {
    dir: PathBuf,
}

const ORIGINAL: &[u8] = b"original\n";

impl Canary {
    fn new(s: &Skiff) -> Canary {
        let dir = s.tempdir();
        fs::write(dir.join("victim"), ORIGINAL).unwrap();
        fs::set_permissions(dir.join("victim"), fs::Permissions::from_mode(0o666)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        Canary { dir }
    }

    /// The canary's path without its leading `/`, for names that climb up to it.
    fn relative(&self) -> String {
        self.dir
            .display()
            .to_string()
            .trim_start_matches('/')
            .to_string()
    }

    /// Panics, naming `what`, if anything in the canary changed.
    fn check(&self, what: &str, out: &Out) {
        assert_eq!(
            fs::read(self.dir.join("victim")).unwrap(),
            ORIGINAL,
            "{what} wrote through to the victim file: {out}"
        );
        let names: Vec<String> = fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["victim"], "{what} created files outside: {out}");
    }
}

/// `s/s/s/s/s/s/s/s/../../../../../../../../` then `rest`: by its text this stays inside the
/// archive, but with `s -> .` it climbs eight levels above wherever it is unpacked.
fn climbing(rest: &str) -> String {
    format!("{}{}{rest}", "s/".repeat(8), "../".repeat(8))
}

/// The hostile entries every unpacking entry point is tried with, each aimed at the canary.
fn hostile_corpus(canary: &Canary) -> Vec<(&'static str, Vec<Entry>)> {
    let abs = canary.dir.display().to_string();
    let rel = canary.relative();
    let up = "../".repeat(12);
    vec![
        (
            "dot-dot",
            vec![Entry::file(&format!("{up}{rel}/new"), b"pwned")],
        ),
        (
            "absolute",
            vec![Entry::file(&format!("{abs}/new"), b"pwned")],
        ),
        (
            "symlink then write",
            vec![
                Entry::symlink("link", &format!("{abs}/victim")),
                Entry::file("link", b"pwned"),
            ],
        ),
        (
            "directory symlink then write",
            vec![
                Entry::symlink("dir", &abs),
                Entry::file("dir/new", b"pwned"),
            ],
        ),
        (
            "climbing symlink then write",
            vec![
                Entry::symlink("s", "."),
                Entry::symlink("out", &climbing(&format!("{rel}/victim"))),
                Entry::file("out", b"pwned"),
                Entry::symlink("d", &climbing(&rel)),
                Entry::file("d/new", b"pwned"),
            ],
        ),
        (
            "hard link out",
            vec![
                Entry::hardlink("hard", &format!("{abs}/victim")),
                Entry::file("hard", b"pwned"),
            ],
        ),
        (
            "hard link up",
            vec![
                Entry::hardlink("hard", &format!("{up}{rel}/victim")),
                Entry::file("hard", b"pwned"),
            ],
        ),
        (
            "device nodes",
            vec![
                Entry::char_dev("mem", 1, 1),
                Entry::block_dev("disk", 8, 0),
                Entry::fifo("fifo"),
            ],
        ),
        (
            "long names",
            vec![Entry::file(
                &format!("{}/{}", "d".repeat(150), "f".repeat(100)),
                b"long",
            )],
        ),
        (
            "whiteouts aimed outside",
            vec![
                Entry::file(&format!("{up}{rel}/.wh.victim"), b""),
                Entry::file(&format!("{abs}/.wh.victim"), b""),
                Entry::file(".wh..", b""),
            ],
        ),
    ]
}

/// Waits until no process runs with this store's root on its command line.
fn store_processes_gone(s: &Skiff, limit: Duration) -> bool {
    let started = Instant::now();
    let root = s.root().display().to_string();
    loop {
        let running = fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .any(|e| {
                fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&root))
            });
        if !running {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tmp_entries(s: &Skiff) -> Vec<String> {
    fs::read_dir(s.root().join("tmp"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// archives

#[test]
fn load_never_writes_through_the_archives_own_symlinks() {
    let s = Skiff::new();
    let canary = Canary::new(&s);
    let rel = canary.relative();
    let archive = fixtures::tar_of(&[
        Entry::symlink("s", "."),
        Entry::symlink("out", &climbing(&format!("{rel}/victim"))),
        Entry::file("out", b"pwned"),
        Entry::symlink("d", &climbing(&rel)),
        Entry::file("d/new", b"pwned"),
        Entry::file("manifest.json", b"[]"),
    ]);
    let path = s.write_file("hostile.tar", &archive);
    let out = s.run(&["load", "-i", path.to_str().unwrap()]);
    canary.check("load", &out);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("symbolic link"), "{out}");
}

#[test]
fn load_refuses_an_archive_whose_manifest_is_a_link_out() {
    let s = Skiff::new();
    let canary = Canary::new(&s);
    fs::write(canary.dir.join("manifest.json"), b"[]").unwrap();
    let archive = fixtures::tar_of(&[
        Entry::symlink("s", "."),
        Entry::symlink(
            "manifest.json",
            &climbing(&format!("{}/manifest.json", canary.relative())),
        ),
    ]);
    let path = s.write_file("hostile.tar", &archive);
    let out = s.run(&["load", "-i", path.to_str().unwrap()]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains("not an image archive") || out.stderr.contains("outside"),
        "{out}"
    );
    fs::remove_file(canary.dir.join("manifest.json")).unwrap();
}

/// Every entry point that unpacks a tar, tried with the whole hostile corpus.
#[test]
fn no_entry_point_writes_outside_its_target_for_any_hostile_archive() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&["run", "--name", "target", image, "true"]);
    let canary = Canary::new(&s);
    for (name, entries) in hostile_corpus(&canary) {
        let tar = fixtures::tar_of(&entries);
        let file = s.write_file(&format!("{name}.tar"), &tar);
        let file = file.to_str().unwrap();

        let out = s.run(&["import", file, "hostile:import"]);
        canary.check(&format!("import of {name}"), &out);

        let archive = fixtures::docker_archive("hostile:load", &tar, json!({}));
        let archive_file = s.write_file(&format!("{name}-image.tar"), &archive);
        let out = s.run(&["load", "-i", archive_file.to_str().unwrap()]);
        canary.check(&format!("load of a layer with {name}"), &out);
        let outer = s.run(&["load", "-i", file]);
        canary.check(&format!("load of an archive with {name}"), &outer);

        let out = s.run_stdin(&["cp", "-", "target:/tmp"], &tar);
        canary.check(&format!("cp - of {name}"), &out);

        let dockerfile = format!("FROM {image}\nRUN true\n");
        let mut with_dockerfile =
            fixtures::tar_of(&[Entry::file("Dockerfile", dockerfile.as_bytes())]);
        with_dockerfile.truncate(with_dockerfile.len() - 1024);
        with_dockerfile.extend_from_slice(&tar);
        let out = s.run_stdin(&["build", "-q", "-"], &with_dockerfile);
        canary.check(&format!("build - with a context of {name}"), &out);

        let ctx = s.tempdir();
        fs::write(ctx.join("hostile.tar"), &tar).unwrap();
        fs::write(
            ctx.join("Dockerfile"),
            format!("FROM {image}\nADD hostile.tar /unpacked/\n"),
        )
        .unwrap();
        let out = s.run(&["build", "-q", ctx.to_str().unwrap()]);
        canary.check(&format!("ADD of {name}"), &out);
    }
}

#[test]
fn pull_of_a_hostile_layer_writes_nothing_outside_the_store() {
    let Some(registry) = std::env::var("SKIFF_TEST_REGISTRY").ok() else {
        eprintln!("SKIFF_TEST_REGISTRY is not set: skipped");
        return;
    };
    let Some(skopeo) = common::find_program("skopeo") else {
        eprintln!("skopeo is not installed: skipped");
        return;
    };
    let s = Skiff::new();
    let canary = Canary::new(&s);
    for (n, (name, entries)) in hostile_corpus(&canary).into_iter().enumerate() {
        // skopeo pushes the layer as it is: skiff itself would refuse to load most of them.
        let archive =
            fixtures::docker_archive("hostile:pull", &fixtures::tar_of(&entries), json!({}));
        let file = s.write_file(&format!("pull-{n}.tar"), &archive);
        let reference = format!(
            "{registry}/skiff-tests/{}-hostile/{n}:1",
            std::process::id()
        );
        let mut push = std::process::Command::new(&skopeo);
        push.args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!("docker-archive:{}", file.display()))
            .arg(format!("docker://{reference}"));
        let pushed = common::run_command(push, None);
        assert_eq!(pushed.code, 0, "{pushed}");
        let out = s.run(&["pull", &reference]);
        canary.check(&format!("pull of {name}"), &out);
    }
}

// ---------------------------------------------------------------------------------------------
// cp

/// A stopped container whose /data holds what `setup` makes.
fn container_with(s: &Skiff, name: &str, setup: &str) {
    s.ok(&["run", "--name", name, s.busybox(), "sh", "-c", setup]);
}

#[test]
fn cp_out_never_replaces_a_host_directory_by_a_file() {
    let s = Skiff::new();
    container_with(&s, "cc", "mkdir -p /data && echo file > /data/projects");
    let dest = s.tempdir();
    fs::create_dir_all(dest.join("data/projects")).unwrap();
    fs::write(dest.join("data/projects/keep.txt"), b"mine").unwrap();
    let out = s.run(&["cp", "cc:/data", &format!("{}/", dest.display())]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("cannot overwrite directory")
            && out.stderr.contains("with non-directory"),
        "{out}"
    );
    assert_eq!(
        fs::read(dest.join("data/projects/keep.txt")).unwrap(),
        b"mine"
    );
}

#[test]
fn cp_out_never_replaces_a_host_file_or_symlink_by_a_directory() {
    let s = Skiff::new();
    container_with(
        &s,
        "cc",
        "mkdir -p /data/projects && echo x > /data/projects/f",
    );
    let dest = s.tempdir();
    fs::create_dir_all(dest.join("data")).unwrap();
    fs::write(dest.join("data/projects"), b"mine").unwrap();
    let out = s.run(&["cp", "cc:/data", dest.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("cannot overwrite non-directory"),
        "{out}"
    );
    assert_eq!(fs::read(dest.join("data/projects")).unwrap(), b"mine");

    fs::remove_file(dest.join("data/projects")).unwrap();
    let elsewhere = s.tempdir();
    std::os::unix::fs::symlink(&elsewhere, dest.join("data/projects")).unwrap();
    let out = s.run(&["cp", "cc:/data", dest.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("cannot overwrite non-directory"),
        "{out}"
    );
    assert!(fs::symlink_metadata(dest.join("data/projects"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn cp_in_never_replaces_a_container_directory_by_a_file() {
    let s = Skiff::new();
    container_with(
        &s,
        "cc",
        "mkdir -p /data/projects && echo kept > /data/projects/keep",
    );
    let src = s.tempdir();
    fs::create_dir_all(src.join("data")).unwrap();
    fs::write(src.join("data/projects"), b"file").unwrap();
    let out = s.run(&["cp", src.join("data").to_str().unwrap(), "cc:/"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("cannot overwrite directory"), "{out}");
    let out = s.run(&["cp", "cc:/data/projects/keep", "-"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("kept"), "{out}");
}

#[test]
fn cp_from_stdin_takes_compressed_tars_and_a_missing_path_exits_1() {
    let s = Skiff::new();
    container_with(&s, "cc", "true");
    let tar = fixtures::tar_of(&[Entry::file("hello.txt", b"from a gzip tar\n")]);
    let out = s.run_stdin(&["cp", "-", "cc:/tmp"], &fixtures::gzip(&tar));
    assert_eq!(out.code, 0, "{out}");
    let out = s.run(&["cp", "cc:/tmp/hello.txt", "-"]);
    assert!(out.stdout.contains("from a gzip tar"), "{out}");
    let out = s.run(&["cp", "cc:/nonexistent", s.tempdir().to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("Could not find the file"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// the store

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn the_store_is_private_to_its_user() {
    let s = Skiff::new();
    s.busybox();
    assert_eq!(mode_of(s.root()), 0o700);
    assert_eq!(mode_of(s.runroot()), 0o700);

    // A store made by an older skiff, open to everyone, is closed on first use.
    let old = Skiff::new();
    old.ok(&["images"]);
    fs::set_permissions(old.root(), fs::Permissions::from_mode(0o755)).unwrap();
    old.ok(&["images"]);
    assert_eq!(mode_of(old.root()), 0o700);

    // Another user can reach nothing in it: not the world-writable /tmp of a layer.
    if unsafe { libc::geteuid() } == 0 && common::find_program("setpriv").is_some() {
        let layer = s.layer_dirs().pop().unwrap();
        let planted = s.root().join("layers").join(layer).join("diff/tmp/planted");
        let out = common::run_command(
            {
                let mut cmd = std::process::Command::new("setpriv");
                cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "touch"])
                    .arg(&planted);
                cmd
            },
            None,
        );
        assert_ne!(out.code, 0, "another user planted a file: {out}");
        assert!(!planted.exists());
    }
}

#[test]
fn a_lost_layer_is_named_with_how_to_repair_it() {
    let s = Skiff::new();
    let image = s.busybox();
    let layer = s.layer_dirs().pop().unwrap();
    let moved = s.root().join("tmp").join("lost-layer-by-the-test");
    fs::rename(s.root().join("layers").join(&layer), &moved).unwrap();
    let out = s.run(&["run", "--rm", image, "true"]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains(&format!("sha256:{layer} is missing"))
            && out.stderr.contains("pull or load it again"),
        "{out}"
    );
}

#[test]
fn rmi_at_the_same_time_as_a_pull_never_takes_the_pulls_shared_layer() {
    let Some(registry) = std::env::var("SKIFF_TEST_REGISTRY").ok() else {
        eprintln!("SKIFF_TEST_REGISTRY is not set: skipped");
        return;
    };
    // An image of two layers whose base is the busybox image's only layer.
    let pusher = Skiff::new();
    let extra = fixtures::tar_of(&[Entry::file("extra.txt", b"on top\n")]);
    let archive = fixtures::docker_archive_layers(
        "shared:base",
        &[fixtures::busybox_rootfs(), &extra],
        json!({}),
    );
    let file = pusher.write_file("shared.tar", &archive);
    pusher.ok(&["load", "-i", file.to_str().unwrap()]);
    let reference = format!("{registry}/skiff-tests/{}-shared/app:1", std::process::id());
    pusher.ok(&["tag", "shared:base", &reference]);
    pusher.ok(&["push", &reference]);

    let s = Skiff::new();
    let busybox = common::busybox_archive_file().to_str().unwrap().to_string();
    for attempt in 0..12 {
        s.ok(&["load", "-i", &busybox]);
        let pull = s.spawn(&["pull", "-q", &reference], false);
        let rmi = s.run(&["rmi", common::BUSYBOX]);
        assert_eq!(rmi.code, 0, "{rmi}");
        let pulled = pull.wait(Duration::from_secs(120));
        assert_eq!(pulled.code, 0, "{pulled}");
        let out = s.run(&["run", "--rm", &reference, "cat", "/extra.txt"]);
        assert_eq!(out.code, 0, "attempt {attempt}: {out}");
        s.ok(&["rmi", &reference]);
    }
}

// ---------------------------------------------------------------------------------------------
// killed and interrupted commands

#[test]
fn a_killed_command_stops_its_worker_and_the_next_one_sweeps_its_leftovers() {
    let s = Skiff::new();
    s.ok(&["images"]);
    let mut import = s.spawn(&["import", "-", "never:done"], true);
    // Part of a tar, then silence: the worker waits for the rest.
    let tar = fixtures::busybox_rootfs_tar();
    import.write(&tar[..tar.len() / 2]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while tmp_entries(&s).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!tmp_entries(&s).is_empty(), "the import never started");
    import.signal(libc::SIGKILL);
    let killed = import.wait(Duration::from_secs(30));
    assert_eq!(killed.code, 137, "{killed}");
    assert!(
        store_processes_gone(&s, Duration::from_secs(10)),
        "the killed import's worker still runs"
    );
    assert!(!tmp_entries(&s).is_empty(), "nothing was left to sweep");
    s.ok(&["system", "df"]);
    assert_eq!(tmp_entries(&s), Vec::<String>::new());
    assert_eq!(s.ok(&["images", "-q"]), "");
}

/// A build stuck in a long RUN step, and the store it runs in.
fn build_in_a_long_run_step(s: &Skiff) -> Bg {
    let ctx = s.tempdir();
    fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {}\nRUN sleep 600\nRUN true\n", s.busybox()),
    )
    .unwrap();
    let mut build = s.spawn(
        &["build", "-t", "never:built", ctx.to_str().unwrap()],
        false,
    );
    assert!(
        build.wait_for_stdout("Running in", Duration::from_secs(60)),
        "{}",
        build.stderr_so_far()
    );
    build
}

#[test]
fn build_obeys_sigterm_as_it_obeys_sigint() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let s = Skiff::new();
        let build = build_in_a_long_run_step(&s);
        build.signal(signal);
        let out = build.wait(Duration::from_secs(60));
        assert_ne!(out.code, 0, "{out}");
        assert!(out.stderr.contains("stopped by"), "{out}");
        assert_eq!(s.ok(&["images", "-q", "never"]), "", "{out}");
        assert_eq!(s.ok(&["ps", "-aq"]), "", "{out}");
        assert!(store_processes_gone(&s, Duration::from_secs(10)));
    }
}

#[test]
fn a_killed_build_leaves_no_container_behind() {
    let s = Skiff::new();
    let build = build_in_a_long_run_step(&s);
    build.signal(libc::SIGKILL);
    let out = build.wait(Duration::from_secs(60));
    assert_eq!(out.code, 137, "{out}");
    assert!(
        store_processes_gone(&s, Duration::from_secs(10)),
        "the RUN step outlived its build"
    );
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    assert!(s.container_ids().is_empty());
    s.ok(&["system", "df"]);
    assert_eq!(tmp_entries(&s), Vec::<String>::new());
}
