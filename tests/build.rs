//! `skiff build` as a user runs it: each Dockerfile instruction and build flag, checked by
//! running the image or inspecting it; the cache; contexts from a directory, standard input,
//! tarballs and git; and the bad inputs of the build issue.

mod common;

use common::{Out, Skiff};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A context directory with these files (owned by the skiff user).
fn context(s: &Skiff, files: &[(&str, &str)]) -> PathBuf {
    let dir = s.tempdir();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
    }
    chown_tree(s, &dir);
    dir
}

fn chown_tree(s: &Skiff, dir: &Path) {
    if unsafe { libc::geteuid() } == 0 {
        let status = std::process::Command::new("chown")
            .args(["-R", &format!("{}:{}", s.uid(), s.gid())])
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn build(s: &Skiff, dir: &Path, args: &[&str]) -> Out {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.push(dir.to_str().unwrap());
    s.run(&all)
}

#[track_caller]
fn build_ok(s: &Skiff, dir: &Path, args: &[&str]) -> String {
    let out = build(s, dir, args);
    assert_eq!(out.code, 0, "build failed: {out}");
    out.stdout
}

fn inspect(s: &Skiff, image: &str, format: &str) -> String {
    s.ok(&["inspect", "--format", format, image])
        .trim()
        .to_string()
}

fn run(s: &Skiff, image: &str, command: &[&str]) -> String {
    let mut args = vec!["run", "--rm", "--network", "none", image];
    args.extend_from_slice(command);
    s.ok(&args)
}

#[test]
fn every_instruction_shows_in_the_image() {
    let s = Skiff::new();
    let base = s.busybox();
    let archive = {
        let tar = common::fixtures::tar_of(&[
            common::fixtures::Entry::dir("pkg/"),
            common::fixtures::Entry::file("pkg/lib.txt", b"from the archive"),
        ]);
        common::fixtures::gzip(&tar)
    };
    let dir = context(
        &s,
        &[
            (
                "Dockerfile",
                &format!(
                    r#"# a comment
ARG BASE={base}
FROM $BASE
ARG VERSION=1.0
LABEL org.example.version=$VERSION maintainer.name="A B"
MAINTAINER someone@example.com
ENV APP_HOME=/srv/app \
    MODE=test
RUN echo "version $VERSION in $MODE" > /version && echo 'appuser:x:1234:1234::/srv/app:/bin/sh' >> /etc/passwd
WORKDIR $APP_HOME
COPY --chown=1234:50 --chmod=640 conf.txt ./conf/
COPY dir/ /copied/
ADD archive.tar.gz /opt/
EXPOSE 8080 53/udp
VOLUME ["/data"]
USER appuser
RUN id -u > /tmp/uid && pwd > /tmp/pwd
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-ec"]
RUN echo shell form runs with -e
CMD ["cat", "/version"]
"#
                ),
            ),
            ("conf.txt", "setting=1\n"),
            ("dir/a.txt", "a\n"),
            ("dir/sub/b.txt", "b\n"),
        ],
    );
    std::fs::write(dir.join("archive.tar.gz"), archive).unwrap();
    chown_tree(&s, &dir);
    let out = build_ok(&s, &dir, &["-t", "every:1"]);
    assert!(out.contains("Step 1/19 : FROM $BASE"), "{out}");
    assert!(
        out.contains("shell form runs with -e"),
        "RUN output shown: {out}"
    );
    assert!(out.contains("Successfully tagged every:1"), "{out}");
    assert_eq!(run(&s, "every:1", &[]), "version 1.0 in test\n");
    assert_eq!(
        run(
            &s,
            "every:1",
            &["sh", "-c", "cat /tmp/uid /tmp/pwd; id -un; pwd"]
        ),
        "1234\n/srv/app\nappuser\n/srv/app\n"
    );
    assert_eq!(
        run(
            &s,
            "every:1",
            &["stat", "-c", "%u:%g %a", "/srv/app/conf/conf.txt"]
        ),
        "1234:50 640\n"
    );
    assert_eq!(
        run(
            &s,
            "every:1",
            &[
                "cat",
                "/copied/a.txt",
                "/copied/sub/b.txt",
                "/opt/pkg/lib.txt"
            ]
        ),
        "a\nb\nfrom the archive"
    );
    assert_eq!(
        inspect(&s, "every:1", "{{json .Config.ExposedPorts}}"),
        r#"{"53/udp":{},"8080/tcp":{}}"#
    );
    assert_eq!(
        inspect(&s, "every:1", "{{index .Config.Labels \"org.example.version\"}}|{{index .Config.Labels \"maintainer.name\"}}"),
        "1.0|A B"
    );
    assert_eq!(
        inspect(&s, "every:1", "{{json .Config.Volumes}}"),
        r#"{"/data":{}}"#
    );
    assert_eq!(
        inspect(
            &s,
            "every:1",
            "{{.Config.StopSignal}}|{{.Author}}|{{.Config.WorkingDir}}|{{.Config.User}}"
        ),
        "SIGINT|someone@example.com|/srv/app|appuser"
    );
    assert_eq!(
        inspect(&s, "every:1", "{{json .Config.Healthcheck}}"),
        r#"{"Interval":5000000000,"Retries":2,"Test":["CMD-SHELL","true"]}"#
    );
    assert!(inspect(&s, "every:1", "{{json .Config.Env}}").contains("APP_HOME=/srv/app"));
    assert_eq!(
        inspect(&s, "every:1", "{{json .Config.Shell}}"),
        r#"["/bin/sh","-ec"]"#
    );
    // Metadata-only steps leave empty_layer history entries; each RUN/COPY/ADD a layer.
    let history = s.ok(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}|{{.Size}}",
        "every:1",
    ]);
    assert!(
        history
            .lines()
            .any(|l| l == "ENV APP_HOME=/srv/app MODE=test|0B"),
        "{history}"
    );
    assert!(
        history
            .lines()
            .any(|l| l.starts_with("RUN |1 VERSION=1.0 /bin/sh -c echo")),
        "{history}"
    );
}

#[test]
fn entrypoint_and_cmd_combine_as_docker() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM {base}\nCMD [\"ignored\"]\nENTRYPOINT [\"echo\", \"entry\"]\nCMD [\"default\"]\n"),
        )],
    );
    build_ok(&s, &dir, &["-t", "ep:1"]);
    assert_eq!(run(&s, "ep:1", &[]), "entry default\n");
    assert_eq!(run(&s, "ep:1", &["given"]), "entry given\n");
    // ENTRYPOINT after the base's CMD clears it; shell form runs through /bin/sh -c.
    let dir = context(
        &s,
        &[("Dockerfile", "FROM ep:1\nENTRYPOINT echo shell $HOME\n")],
    );
    build_ok(&s, &dir, &["-t", "ep:2"]);
    assert_eq!(inspect(&s, "ep:2", "{{json .Config.Cmd}}"), "null");
    assert_eq!(run(&s, "ep:2", &[]), "shell /root\n");
}

#[test]
fn unchanged_rebuild_comes_from_the_cache() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(
        &s,
        &[
            (
                "Dockerfile",
                &format!("FROM {base}\nENV A=1\nRUN echo built > /b\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\nCMD [\"cat\", \"/g\"]\n"),
            ),
            ("f.txt", "one\n"),
        ],
    );
    let first = build_ok(&s, &dir, &["-q", "-t", "c:1"]);
    let second = build_ok(&s, &dir, &["-t", "c:1"]);
    assert_eq!(second.matches("Using cache").count(), 5, "{second}");
    assert!(!second.contains("Running in"), "{second}");
    assert!(
        first.trim().starts_with("sha256:"),
        "-q prints the id: {first}"
    );
    assert_eq!(
        inspect(&s, "c:1", "{{.Id}}"),
        first.trim(),
        "same image again"
    );
    // A changed file invalidates its COPY and what follows, not what precedes.
    std::fs::write(dir.join("f.txt"), "two\n").unwrap();
    let third = build_ok(&s, &dir, &["-t", "c:2"]);
    assert_eq!(third.matches("Using cache").count(), 2, "{third}");
    assert_eq!(run(&s, "c:2", &[]), "two\n");
    // c:1 lost nothing; a moved tag leaves a dangling image.
    assert_eq!(run(&s, "c:1", &[]), "one\n");
    build_ok(&s, &dir, &["-t", "c:1"]);
    assert!(!s
        .ok(&["images", "-q", "-f", "dangling=true"])
        .trim()
        .is_empty());
    // --no-cache runs everything again; the cache survives rmi of the final image.
    let fresh = build_ok(&s, &dir, &["--no-cache", "-t", "c:3"]);
    assert!(
        !fresh.contains("Using cache") && fresh.contains("Running in"),
        "{fresh}"
    );
    s.ok(&["rmi", "c:1", "c:2", "c:3"]);
    let again = build_ok(&s, &dir, &["-t", "c:4"]);
    assert_eq!(again.matches("Using cache").count(), 5, "{again}");
}

#[test]
fn failing_run_names_the_step_and_tags_nothing() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(
        &s,
        &[(
            "Dockerfile",
            &format!(
                "FROM {base}\nRUN echo first > /first\nRUN echo oops; exit 2\nRUN echo never\n"
            ),
        )],
    );
    let out = build(&s, &dir, &["-t", "fail:1"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("step 3/4"), "{out}");
    assert!(out.stderr.contains("exit code 2"), "{out}");
    assert!(out.stdout.contains("oops"), "{out}");
    assert!(!out.stdout.contains("never"), "{out}");
    s.fails(&["inspect", "fail:1"], 1);
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "", "no container left behind");
    // The step before the failure is cached.
    let again = build(&s, &dir, &["-t", "fail:1"]);
    assert_eq!(again.code, 1);
    assert!(again.stdout.contains("Using cache"), "{again}");
    // -q shows the failing step's output all the same.
    let quiet = build(&s, &dir, &["-q"]);
    assert_eq!(quiet.code, 1);
    assert!(quiet.stderr.contains("oops"), "{quiet}");
}

#[test]
fn bad_dockerfiles_and_sources_are_clear_errors() {
    let s = Skiff::new();
    let base = s.busybox();
    let cases: &[(&str, &str)] = &[
        (
            "FROM busybox\nRUNN x\n",
            "Dockerfile:2: unknown instruction: RUNN",
        ),
        (
            "FROM {base}\nCOPY missing.txt /\n",
            "missing.txt: not found in the build context",
        ),
        (
            "FROM {base}\nCOPY ../outside /\n",
            "forbidden path outside the build context",
        ),
        (
            "FROM {base}\nCOPY --from=nostage /x /\n",
            "no stage or image of that name",
        ),
        ("FROM {base}\nADD evil.tar /\n", "points outside the layer"),
        ("FROM nosuchimage:1\n", "nosuchimage:1: no such image"),
        ("FROM {base}\nCOPY a b /notadir\n", "must be a directory"),
    ];
    for (text, expected) in cases {
        let evil = common::fixtures::tar_with_entry("../../escape", b"x");
        let dir = context(
            &s,
            &[
                ("Dockerfile", &text.replace("{base}", base)),
                ("a", ""),
                ("b", ""),
            ],
        );
        std::fs::write(dir.join("evil.tar"), &evil).unwrap();
        chown_tree(&s, &dir);
        let out = build(&s, &dir, &[]);
        assert_eq!(out.code, 1, "{text}: {out}");
        assert!(
            out.stderr.contains(expected),
            "{text}: expected {expected:?}: {out}"
        );
    }
    assert_eq!(
        s.ok(&["images", "-q"]).lines().count(),
        1,
        "only the base image"
    );
    // A .dockerignore may exclude the Dockerfile: it is still read, but not copied.
    let dir = context(
        &s,
        &[
            ("Dockerfile", &format!("FROM {base}\nCOPY . /ctx/\n")),
            (".dockerignore", "Dockerfile\n*.log\n"),
            ("kept.txt", "k"),
            ("debug.log", "d"),
        ],
    );
    build_ok(&s, &dir, &["-t", "ign:1"]);
    assert_eq!(
        run(&s, "ign:1", &["ls", "-A", "/ctx"]),
        ".dockerignore\nkept.txt\n"
    );
    let dir = context(
        &s,
        &[
            ("Dockerfile", &format!("FROM {base}\nCOPY Dockerfile /\n")),
            (".dockerignore", "Dockerfile\n"),
        ],
    );
    let out = build(&s, &dir, &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("excluded by .dockerignore"), "{out}");
}

#[test]
fn stages_target_and_copy_from() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(
        &s,
        &[(
            "Dockerfile",
            &format!(
                "FROM {base} AS builder\nRUN echo artifact > /artifact && ln -s /artifact /link\n\
                 FROM {base} AS unused\nRUN exit 1\n\
                 FROM scratch AS final\nCOPY --from=builder /artifact /out/artifact\nCOPY --from=0 /bin/busybox /bin/sh\n\
                 FROM final AS test\nCOPY --from=builder /link /linked\n"
            ),
        )],
    );
    let out = build_ok(&s, &dir, &["--target", "final", "-t", "st:final"]);
    assert!(
        !out.contains("exit 1"),
        "the unused stage is not built: {out}"
    );
    assert_eq!(
        run(
            &s,
            "st:final",
            &["/bin/sh", "-c", "read x < /out/artifact; echo $x"]
        ),
        "artifact\n"
    );
    s.ok(&["inspect", "st:final"]);
    build_ok(&s, &dir, &["-t", "st:test"]);
    assert_eq!(
        run(
            &s,
            "st:test",
            &["/bin/sh", "-c", "read x < /linked; echo $x"]
        ),
        "artifact\n"
    );
    let out = build(&s, &dir, &["--target", "nope"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("target stage \"nope\" could not be found"),
        "{out}"
    );
}

#[test]
fn contexts_from_stdin_tarballs_and_git() {
    let s = Skiff::new();
    let base = s.busybox();
    // A Dockerfile alone on standard input.
    let out = s.run_stdin(
        &["build", "-t", "in:1", "-"],
        format!("FROM {base}\nRUN echo from stdin > /s\n").as_bytes(),
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(run(&s, "in:1", &["cat", "/s"]), "from stdin\n");
    // A context tarball, plain and compressed, with -f naming a Dockerfile inside.
    let tar = common::fixtures::tar_of(&[
        common::fixtures::Entry::file(
            "build/App.dockerfile",
            format!("FROM {base}\nCOPY data.txt /\n").as_bytes(),
        ),
        common::fixtures::Entry::file("data.txt", b"from the tarball\n"),
    ]);
    let compressors: &[(&str, &[&str])] = &[
        ("plain", &[]),
        ("gzip", &["gzip", "-c"]),
        ("bzip2", &["bzip2", "-c"]),
        ("xz", &["xz", "-c"]),
    ];
    for (name, command) in compressors {
        let data = if command.is_empty() {
            tar.clone()
        } else {
            let Some(_) = common::find_program(command[0]) else {
                eprintln!(
                    "note: {} is not installed: the {name} context is not tested",
                    command[0]
                );
                continue;
            };
            compress(command, &tar)
        };
        let tag = format!("tarball:{name}");
        let out = s.run_stdin(
            &["build", "-f", "build/App.dockerfile", "-t", &tag, "-"],
            &data,
        );
        assert_eq!(out.code, 0, "{name}: {out}");
        assert_eq!(run(&s, &tag, &["cat", "/data.txt"]), "from the tarball\n");
    }
    // A git repository (a local one, by URL), at a branch, with a subdirectory as context.
    if common::find_program("git").is_none() {
        eprintln!("note: git is not installed: git contexts are not tested");
        return;
    }
    let repo = context(
        &s,
        &[
            (
                "app/Dockerfile",
                &format!("FROM {base}\nCOPY hello.txt /\n"),
            ),
            ("app/hello.txt", "from git\n"),
        ],
    );
    let git = |args: &[&str]| {
        let out = common::run_command(
            {
                let mut c = s.as_user("git");
                c.arg("-C")
                    .arg(&repo)
                    .args(args)
                    .env("GIT_AUTHOR_NAME", "t")
                    .env("GIT_AUTHOR_EMAIL", "t@e")
                    .env("GIT_COMMITTER_NAME", "t")
                    .env("GIT_COMMITTER_EMAIL", "t@e");
                c
            },
            None,
        );
        assert_eq!(out.code, 0, "git {args:?}: {out}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "init"]);
    let url = format!("file://{}/.git#main:app", repo.display());
    let out = s.run(&["build", "-t", "git:1", &url]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(run(&s, "git:1", &["cat", "/hello.txt"]), "from git\n");
}

fn compress(command: &[&str], data: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new(command[0])
        .args(&command[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out.stdout
}

#[test]
fn flags_quiet_iidfile_labels_args_and_onbuild() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM {base}\nARG WHO=nobody\nARG HTTP_PROXY\nRUN echo \"hi $WHO via $HTTP_PROXY\" > /who\nONBUILD RUN echo triggered > /trigger\n"),
        )],
    );
    let iid = s.tempdir().join("iid");
    let out = build_ok(
        &s,
        &dir,
        &[
            "-q",
            "--iidfile",
            iid.to_str().unwrap(),
            "--label",
            "team=blue",
            "--build-arg",
            "WHO=you",
            "--build-arg",
            "HTTP_PROXY=http://proxy:3128",
            "-t",
            "flags:1",
            "-t",
            "flags:2",
            "--pull",
            "--network",
            "host",
        ],
    );
    let id = out.trim();
    assert!(
        id.starts_with("sha256:") && out.lines().count() == 1,
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&iid).unwrap(), id);
    assert_eq!(inspect(&s, "flags:2", "{{.Id}}"), id);
    assert_eq!(inspect(&s, "flags:1", "{{.Config.Labels.team}}"), "blue");
    assert_eq!(
        run(&s, "flags:1", &["cat", "/who"]),
        "hi you via http://proxy:3128\n"
    );
    let history = s.ok(&["history", "--no-trunc", "flags:1"]);
    assert!(
        !history.contains("proxy:3128"),
        "proxy args stay out of the history: {history}"
    );
    // The trigger runs when the image is a base, and is not inherited further.
    let child = context(&s, &[("Dockerfile", "FROM flags:1\nRUN cat /trigger\n")]);
    let out = build_ok(&s, &child, &["-t", "child:1"]);
    assert!(out.contains("triggered"), "{out}");
    assert_eq!(inspect(&s, "child:1", "{{json .Config.OnBuild}}"), "null");
}

#[test]
fn add_fetches_urls_from_loopback() {
    let s = Skiff::new();
    let base = s.busybox();
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        common::read_http_request(&mut conn);
        let body = "downloaded\n";
        write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    let dir = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM {base}\nADD http://127.0.0.1:{port}/files/note.txt /fetched/\n"),
        )],
    );
    build_ok(&s, &dir, &["-t", "url:1"]);
    serving.join().unwrap();
    assert_eq!(
        run(&s, "url:1", &["cat", "/fetched/note.txt"]),
        "downloaded\n"
    );
    assert_eq!(
        run(&s, "url:1", &["stat", "-c", "%a", "/fetched/note.txt"]),
        "600\n"
    );
}

/// The host's platform as images name it.
fn host_platform() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "linux/arm64",
        _ => "linux/amd64",
    }
}

/// A platform this machine cannot run.
fn foreign_platform() -> &'static str {
    "linux/s390x"
}

#[test]
fn run_steps_get_the_run_flags_of_the_build() {
    let s = Skiff::new();
    let base = s.busybox();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN (ulimit -n; ulimit -Hn) > /limits\n\
         RUN df -k /dev/shm | tail -n 1 > /shm\n\
         RUN grep db.internal /etc/hosts > /hosts\n\
         RUN (unshare -U true && echo unshared || echo blocked) > /unshare\n"
    );
    let dir = context(&s, &[("Dockerfile", &dockerfile)]);
    build_ok(
        &s,
        &dir,
        &[
            "-t",
            "flags:1",
            "--ulimit",
            "nofile=1024:2048",
            "--shm-size",
            "32m",
            "--add-host",
            "db.internal:10.1.2.3",
            "--security-opt",
            "seccomp=unconfined",
            "--platform",
            host_platform(),
        ],
    );
    let cat = |file: &str| run(&s, "flags:1", &["cat", file]);
    assert_eq!(cat("/limits"), "1024\n2048\n");
    let shm: Vec<String> = cat("/shm").split_whitespace().map(String::from).collect();
    assert_eq!(shm[1], "32768", "a 32m /dev/shm: {shm:?}");
    assert_eq!(
        cat("/hosts").split_whitespace().collect::<Vec<_>>(),
        ["10.1.2.3", "db.internal"]
    );
    assert_eq!(
        cat("/unshare"),
        "unshared\n",
        "seccomp=unconfined lets RUN unshare"
    );
    // Without the flags, RUN steps get what run gives by default (the cache does not hide
    // the difference: the steps run again).
    build_ok(
        &s,
        &dir,
        &[
            "-t",
            "flags:2",
            "--no-cache",
            "--add-host",
            "db.internal:10.9.9.9",
        ],
    );
    let cat = |file: &str| run(&s, "flags:2", &["cat", file]);
    assert_ne!(cat("/limits"), "1024\n2048\n");
    assert_eq!(cat("/shm").split_whitespace().nth(1), Some("65536"));
    assert_eq!(
        cat("/unshare"),
        "blocked\n",
        "the default profile blocks unshare"
    );
}

#[test]
fn run_step_no_new_privileges() {
    let s = Skiff::new();
    let base = s.busybox();
    let dockerfile = format!("FROM {base}\nRUN grep NoNewPrivs /proc/self/status > /nnp\n");
    let dir = context(&s, &[("Dockerfile", &dockerfile)]);
    build_ok(
        &s,
        &dir,
        &["-t", "nnp:1", "--security-opt", "no-new-privileges"],
    );
    let text = run(&s, "nnp:1", &["cat", "/nnp"]);
    assert_eq!(text.split_whitespace().nth(1), Some("1"), "{text}");
}

#[test]
fn bad_run_flags_and_foreign_platforms_are_refused() {
    let s = Skiff::new();
    let base = s.busybox();
    let dir = context(&s, &[("Dockerfile", &format!("FROM {base}\nRUN true\n"))]);
    let platform = format!("platform {} is not available", foreign_platform());
    let cases: &[(&[&str], &str)] = &[
        (
            &["--ulimit", "nofile=2:1"],
            "soft limit must be less than or equal to hard limit",
        ),
        (&["--ulimit", "bogus=1"], "bogus"),
        (&["--shm-size", "abc"], "abc"),
        (&["--add-host", "nocolon"], "nocolon"),
        (&["--security-opt", "bogus"], "invalid --security-opt"),
        (&["--platform", foreign_platform()], &platform),
        (&["--platform", "linux"], "invalid platform"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["-t", "refused:1"];
        args.extend_from_slice(flags);
        let out = build(&s, &dir, &args);
        assert_eq!(out.code, 125, "{flags:?}: {out}");
        assert!(
            out.stderr.contains(expected),
            "{flags:?}: expected {expected:?}: {out}"
        );
        assert!(
            !out.stderr.contains("Step 1"),
            "refused before the build: {out}"
        );
    }
    // FROM --platform of another architecture fails the build; the host's is accepted.
    let foreign = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM --platform={} {base}\nRUN true\n", foreign_platform()),
        )],
    );
    let out = build(&s, &foreign, &["-t", "refused:1"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains(&platform), "{out}");
    assert_eq!(
        s.ok(&["images", "-q"]).lines().count(),
        1,
        "only the base image"
    );
    let native = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM --platform=$BUILDPLATFORM {base}\nRUN true\n"),
        )],
    );
    build_ok(&s, &native, &["-t", "native:1"]);
}
