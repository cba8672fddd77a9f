//! The image-authoring commands as a user runs them: commit, diff, history, save and load
//! (with podman and skopeo where installed), export and import (from a URL too), and cp in
//! and out of stopped and running containers.

mod common;

use common::Skiff;
use std::io::Write;
use std::path::Path;

fn run(s: &Skiff, image: &str, command: &[&str]) -> String {
    let mut args = vec!["run", "--rm", "--network", "none", image];
    args.extend_from_slice(command);
    s.ok(&args)
}

/// A container named `name` of busybox that ran `script` and exited.
fn changed_container(s: &Skiff, name: &str, script: &str) {
    let base = s.busybox();
    s.ok(&[
        "run",
        "--name",
        name,
        "--network",
        "none",
        base,
        "sh",
        "-c",
        script,
    ]);
}

#[test]
fn diff_commit_and_history() {
    let s = Skiff::new();
    changed_container(
        &s,
        "web",
        "echo page > /tmp/index.html && rm /etc/group && mkdir -p /srv/www && echo x >> /etc/passwd",
    );
    let diff = s.ok(&["diff", "web"]);
    assert_eq!(
        diff,
        "C /etc\nD /etc/group\nC /etc/passwd\nA /srv\nA /srv/www\nC /tmp\nA /tmp/index.html\n"
    );
    let id = s.ok(&[
        "commit",
        "-a",
        "Tao <t@example.com>",
        "-m",
        "changed page",
        "-c",
        r#"CMD ["cat","/tmp/index.html"]"#,
        "-c",
        "ENV SITE=web",
        "web",
        "site:v2",
    ]);
    assert!(id.trim().starts_with("sha256:"), "{id}");
    assert_eq!(run(&s, "site:v2", &[]), "page\n");
    assert_eq!(
        run(
            &s,
            "site:v2",
            &[
                "sh",
                "-c",
                "echo $SITE; ls /etc/group 2>&1 | grep -c 'No such'"
            ]
        ),
        "web\n1\n"
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.Author}}|{{.Comment}}", "site:v2"])
            .trim(),
        "Tao <t@example.com>|changed page"
    );
    // history: newest first, the top with the image id, the rest <missing>.
    let history = s.ok(&["history", "site:v2"]);
    let lines: Vec<&str> = history.lines().collect();
    assert!(
        lines[0].starts_with("IMAGE")
            && lines[0].contains("CREATED BY")
            && lines[0].contains("COMMENT"),
        "{history}"
    );
    assert!(
        lines[1].starts_with(&id.trim()["sha256:".len()..][..12]),
        "{history}"
    );
    assert!(lines[1].contains("changed page"), "{history}");
    assert!(lines[2].starts_with("<missing>"), "{history}");
    let quiet = s.ok(&["history", "-q", "--no-trunc", "site:v2"]);
    assert_eq!(quiet.lines().next(), Some(id.trim()));
    let created_by = s.ok(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        "site:v2",
    ]);
    assert!(
        created_by.starts_with("sh -c echo page > /tmp/index.html"),
        "{created_by}"
    );
    // A container without changes commits to an image with an empty layer entry.
    s.ok(&[
        "run",
        "--name",
        "same",
        "--network",
        "none",
        "site:v2",
        "true",
    ]);
    s.ok(&["commit", "same", "same:1"]);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{len .RootFS.Layers}}", "same:1"]),
        s.ok(&["inspect", "-f", "{{len .RootFS.Layers}}", "site:v2"])
    );
}

#[test]
fn save_and_load_round_trip_in_both_formats() {
    let s = Skiff::new();
    changed_container(&s, "ctr", "mkdir /d && echo saved > /d/f && rm /etc/group");
    s.ok(&["commit", "ctr", "saved:1"]);
    s.ok(&["tag", "saved:1", "saved:alias"]);
    let dir = s.tempdir();
    let docker = dir.join("docker.tar");
    let oci = dir.join("oci.tar");
    s.ok(&[
        "save",
        "-o",
        docker.to_str().unwrap(),
        "saved:1",
        "saved:alias",
    ]);
    s.ok(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        oci.to_str().unwrap(),
        "saved:1",
    ]);
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "saved:1"]);
    let manifest: serde_json::Value = serde_json::from_slice(
        &common::fixtures::tar_file(&std::fs::read(&docker).unwrap(), "manifest.json").unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["saved:1", "saved:alias"])
    );
    // Saved to standard output too.
    let out = s.ok(&["save", "saved:1"]);
    assert!(!out.is_empty());
    for archive in [&docker, &oci] {
        let fresh = Skiff::new();
        let loaded = fresh.ok(&["load", "-i", archive.to_str().unwrap()]);
        assert!(loaded.contains("saved:1"), "{loaded}");
        assert_eq!(
            fresh.ok(&["inspect", "-f", "{{.Id}}", "saved:1"]),
            id,
            "same image id"
        );
        assert_eq!(
            run(
                &fresh,
                "saved:1",
                &[
                    "sh",
                    "-c",
                    "cat /d/f; ls /etc/group 2>/dev/null || echo gone"
                ]
            ),
            "saved\ngone\n"
        );
    }
    let out = s.run(&[
        "save",
        "-o",
        dir.join("x.tar").to_str().unwrap(),
        "nosuch:1",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(!dir.join("x.tar").exists(), "no half-written archive");
}

#[test]
fn podman_and_skopeo_read_skiff_archives_and_skiff_reads_podmans() {
    let s = Skiff::new();
    let (Some(_), Some(_)) = (
        common::find_program("podman"),
        common::find_program("skopeo"),
    ) else {
        eprintln!("note: podman or skopeo is not installed: interop is not tested");
        return;
    };
    changed_container(&s, "ctr", "echo interop > /interop && rm /etc/group");
    s.ok(&["commit", "ctr", "interop:1"]);
    let dir = s.tempdir();
    let archive = dir.join("skiff.tar");
    s.ok(&["save", "-o", archive.to_str().unwrap(), "interop:1"]);
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "interop:1"]);
    let skopeo = common::run_command(
        {
            let mut c = s.as_user("skopeo");
            c.args(["inspect", "--config"])
                .arg(format!("docker-archive:{}", archive.display()));
            c
        },
        None,
    );
    assert_eq!(skopeo.code, 0, "{skopeo}");
    assert!(skopeo.stdout.contains("\"diff_ids\""), "{skopeo}");
    // podman with a store of its own in the test's dir.
    let podman = |args: &[&str]| {
        let mut c = s.as_user("podman");
        c.arg("--root")
            .arg(dir.join("podman-root"))
            .arg("--runroot")
            .arg(dir.join("podman-run"));
        c.args(["--storage-driver", "vfs"]).args(args);
        common::run_command(c, None)
    };
    let loaded = podman(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{loaded}");
    let ids = podman(&["images", "--no-trunc", "--format", "{{.ID}}"]);
    assert!(
        ids.stdout.contains(id.trim().trim_start_matches("sha256:")),
        "podman keeps the image id: {ids}"
    );
    let podman_archive = dir.join("podman.tar");
    let saved = podman(&[
        "save",
        "-o",
        podman_archive.to_str().unwrap(),
        "localhost/interop:1",
    ]);
    assert_eq!(saved.code, 0, "{saved}");
    let fresh = Skiff::new();
    fresh.ok(&["load", "-i", podman_archive.to_str().unwrap()]);
    assert_eq!(
        run(&fresh, "localhost/interop:1", &["cat", "/interop"]),
        "interop\n"
    );
    let _ = podman(&["system", "migrate"]);
}

#[test]
fn export_and_import_from_a_url() {
    let s = Skiff::new();
    changed_container(&s, "ctr", "echo exported > /exported");
    let dir = s.tempdir();
    let tar = dir.join("fs.tar");
    s.ok(&["export", "-o", tar.to_str().unwrap(), "ctr"]);
    let names: Vec<String> = common::fixtures::tar_files(&std::fs::read(&tar).unwrap())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.iter().any(|n| n == "exported"), "{names:?}");
    assert!(names.iter().any(|n| n == "bin/busybox"), "{names:?}");
    let data = std::fs::read(&tar).unwrap();
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        common::read_http_request(&mut conn);
        write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            data.len()
        )
        .unwrap();
        conn.write_all(&data).unwrap();
    });
    let url = format!("http://127.0.0.1:{port}/fs.tar");
    s.ok(&[
        "import",
        "-m",
        "from a url",
        "-c",
        "CMD [\"cat\", \"/exported\"]",
        &url,
        "imported:1",
    ]);
    serving.join().unwrap();
    assert_eq!(run(&s, "imported:1", &[]), "exported\n");
    // export to standard output, as `skiff export c > fs.tar`.
    let out = s.ok(&["export", "ctr"]);
    assert!(out.len() > 1_000_000);
}

#[test]
fn cp_in_and_out_of_stopped_and_running_containers() {
    let s = Skiff::new();
    let base = s.busybox();
    // A symlink that climbs out: it must resolve inside the container.
    changed_container(&s, "ctr", "ln -s ../../../../../../.. /tmp/up && echo inside > /etc/marker && chown 33:33 /etc/marker");
    let dest = s.tempdir();
    s.ok(&["cp", "ctr:/etc/marker", dest.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(dest.join("marker")).unwrap(),
        "inside\n"
    );
    s.ok(&[
        "cp",
        "ctr:/tmp/up/etc/passwd",
        dest.join("passwd").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(dest.join("passwd")).unwrap(),
        common::fixtures::BUSYBOX_PASSWD,
        "the container's passwd, not the host's"
    );
    // A directory to a new name, and a tar to standard output.
    s.ok(&["cp", "ctr:/etc", dest.join("etc-copy").to_str().unwrap()]);
    assert!(dest.join("etc-copy/group").is_file());
    let tar = s.ok(&["cp", "ctr:/etc/marker", "-"]);
    assert!(tar.contains("marker") && tar.contains("inside"));
    // Into the stopped container: file, directory, through the climbing symlink, with -a.
    let file = s.write_file("hostfile", b"from host\n");
    s.ok(&["cp", file.to_str().unwrap(), "ctr:/tmp/up/etc/"]);
    s.ok(&["cp", file.to_str().unwrap(), "ctr:/renamed"]);
    s.ok(&["cp", "-a", file.to_str().unwrap(), "ctr:/owned"]);
    let archive = common::fixtures::tar_of(&[common::fixtures::Entry::file("fromtar", b"tar\n")]);
    let out = s.run_stdin(&["cp", "-", "ctr:/tmp"], &archive);
    assert_eq!(out.code, 0, "{out}");
    s.ok(&["commit", "ctr", "copied:1"]);
    assert_eq!(
        run(
            &s,
            "copied:1",
            &[
                "sh",
                "-c",
                "cat /etc/hostfile /renamed /tmp/fromtar; stat -c %u:%g /renamed /owned"
            ]
        ),
        format!("from host\nfrom host\ntar\n0:0\n{}:{}\n", s.uid(), s.gid())
    );
    // A running container: the copy lands in its live filesystem.
    let id = s.ok(&["run", "-d", "--network", "none", base, "sleep", "30"]);
    let id = id.trim();
    s.ok(&["cp", file.to_str().unwrap(), &format!("{id}:/tmp/live")]);
    assert_eq!(s.ok(&["exec", id, "cat", "/tmp/live"]), "from host\n");
    s.ok(&["exec", id, "sh", "-c", "echo made inside > /tmp/made"]);
    s.ok(&[
        "cp",
        &format!("{id}:/tmp/made"),
        dest.join("made").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(dest.join("made")).unwrap(),
        "made inside\n"
    );
    s.ok(&["rm", "-f", id]);
    // Bad input.
    let out = s.run(&["cp", "ctr:/nonexistent", dest.to_str().unwrap()]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("Could not find the file /nonexistent"),
        "{out}"
    );
    let out = s.run(&["cp", "nosuch:/x", dest.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(!Path::new(&dest.join("x")).exists());
}
