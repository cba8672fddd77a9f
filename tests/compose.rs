//! `skiff compose config` over docker compose's end-to-end fixtures and small projects made
//! here: what it prints, and how it refuses broken files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testdata/compose/docker-compose-e2e/fixtures"
);

const LOADER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testdata/compose/compose-go/loader-testdata"
);

/// Runs `skiff compose ARGS` in `dir`, with none of the caller's compose variables.
fn compose(dir: &Path, args: &[&str]) -> Output {
    compose_with_input(dir, args, "")
}

fn compose_with_input(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .arg("compose")
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A fresh project directory holding `files`.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("skiff-compose-{}-{name}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// A fresh project directory whose compose.yaml is `text`.
fn compose_file_project(name: &str, text: &str) -> PathBuf {
    project(name, &[("compose.yaml", text)])
}

#[test]
fn project_directory_brings_its_dotenv() {
    let dir = Path::new(FIXTURES).join("dotenv/development");
    let out = stdout(&compose(
        Path::new(FIXTURES),
        &["--project-directory", dir.to_str().unwrap(), "config"],
    ));
    assert!(out.contains("image: backend:latest"), "{out}");
    assert!(out.starts_with("name: development\n"), "{out}");
    assert!(
        !out.contains("enabled:profile"),
        "a service of an inactive profile: {out}"
    );
}

#[test]
fn env_file_names_the_files_and_profiles() {
    let dir = project("envfile", &[]);
    let env = dir.join("custom.env");
    let file = format!("{FIXTURES}/dotenv/development/compose.yaml");
    let text =
        format!("COMPOSE_FILE={file}\nIMAGE_NAME=test\nIMAGE_TAG=latest\nCOMPOSE_PROFILES=test\n");
    std::fs::write(&env, text).unwrap();
    let out = stdout(&compose(
        &dir,
        &["--env-file", env.to_str().unwrap(), "config"],
    ));
    assert!(out.contains("image: test:latest"), "{out}");
    assert!(out.contains("image: enabled:profile"), "{out}");
}

#[test]
fn services_are_listed() {
    let dir = Path::new(FIXTURES).join("simple-composefile");
    assert_eq!(
        stdout(&compose(&dir, &["config", "--services"])),
        "another\nsimple\n"
    );
    assert_eq!(stdout(&compose(&dir, &["config", "-q"])), "");
}

#[test]
fn override_files_merge_and_names_follow_the_rules() {
    let dir = project(
        "My_App",
        &[
            (
                "compose.yaml",
                "x-base: &base\n  restart: always\nservices:\n  web:\n    <<: *base\n    image: nginx\n    \
                 command: [a, b]\n    environment: [A=1]\n    ports: ['80:80']\n  tools:\n    image: busybox\n    \
                 profiles: [debug]\nvolumes:\n  data: {}\n",
            ),
            (
                "compose.override.yaml",
                "services:\n  web:\n    command: [c]\n    environment: {B: '2'}\n    ports: !reset []\n",
            ),
        ],
    );
    let out = stdout(&compose(
        &dir.join(".."),
        &["--project-directory", "My_App", "config"],
    ));
    assert!(out.starts_with("name: my_app\n"), "{out}");
    let web =
        "  web:\n    command:\n      - c\n    environment:\n      A: \"1\"\n      B: \"2\"\n    \
               image: nginx\n    networks:\n      default: null\n    restart: always\n";
    assert!(out.contains(web), "{out}");
    assert!(!out.contains("ports") && !out.contains("tools"), "{out}");
    assert_eq!(stdout(&compose(&dir, &["config", "--volumes"])), "data\n");
    let out = stdout(&compose(
        &dir,
        &["-p", "given", "--profile", "debug", "config", "--services"],
    ));
    assert_eq!(out, "tools\nweb\n");
    let refused = failure(&compose(&dir, &["-p", "Bad Name", "config"]));
    assert!(refused.contains("is not a valid project name"), "{refused}");
}

#[test]
fn several_files_and_standard_input() {
    let dir = project(
        "stdin",
        &[(
            "a.yml",
            "services:\n  web:\n    image: a\n    dns: [1.1.1.1]\n",
        )],
    );
    let out = compose_with_input(
        &dir,
        &["-f", "a.yml", "-f", "-", "config"],
        "services:\n  web:\n    dns: [8.8.8.8]\n",
    );
    let out = stdout(&out);
    assert!(
        out.contains("    dns:\n      - 1.1.1.1\n      - 8.8.8.8\n"),
        "{out}"
    );
}

#[test]
fn an_unset_required_variable_shows_its_message() {
    let dir = compose_file_project(
        "required",
        "services:\n  web:\n    image: \"${TAG:?must be set}\"\n",
    );
    let message = failure(&compose(&dir, &["config"]));
    assert!(
        message.contains("error while interpolating services.web.image: required variable TAG is missing a value: must be set"),
        "{message}"
    );
    std::fs::write(dir.join(".env"), "TAG=1.2\n").unwrap();
    assert!(stdout(&compose(&dir, &["config"])).contains("image: \"1.2\""));
}

#[test]
fn an_unknown_key_is_named_with_its_file() {
    let dir = compose_file_project("unknown", "services:\n  web:\n    image: a\n    imgae: b\n");
    let message = failure(&compose(&dir, &["config"]));
    assert!(
        message.contains("compose.yaml: services.web additional properties 'imgae' not allowed"),
        "{message}"
    );
}

#[test]
fn a_yaml_error_names_file_and_line() {
    let dir = compose_file_project("broken", "services:\n  web: [\n");
    let message = failure(&compose(&dir, &["config"]));
    assert!(
        message.contains("compose.yaml") && message.contains("line"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let dir = project("missing", &[]);
    let message = failure(&compose(&dir, &["-f", "nope.yaml", "config"]));
    assert!(message.contains("nope.yaml"), "{message}");
    let message = failure(&compose(&dir, &["config"]));
    assert!(
        message.contains("no configuration file provided"),
        "{message}"
    );
}

#[test]
fn skiff_compose_is_skiff_compose() {
    let dir = project("link", &[]);
    let link = dir.join("skiff-compose");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_skiff"), &link).unwrap();
    let simple = Path::new(FIXTURES).join("simple-composefile");
    let out = Command::new(&link)
        .args(["config", "--services"])
        .current_dir(&simple)
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "another\nsimple\n");
}

#[test]
fn services_extend_services_of_other_files() {
    let out = stdout(&compose(
        Path::new(LOADER),
        &["-f", "compose-test-extends.yaml", "config"],
    ));
    let want = "services:\n  importer:\n    container_name: imported\n    env_file:\n      - ./extra.env\n    \
                image: nginx\n";
    assert!(out.contains(want), "{out}");
}

#[test]
fn included_files_bring_their_services() {
    let out = stdout(&compose(
        Path::new(LOADER),
        &["-f", "compose-include.yaml", "config", "--services"],
    ));
    assert_eq!(out, "bar\nimported\n");
    let message = failure(&compose(
        Path::new(LOADER),
        &["-f", "compose-include-cycle.yaml", "config"],
    ));
    assert!(message.contains("include cycle"), "{message}");
}

#[test]
fn the_default_network_is_implied_and_named() {
    let dir = Path::new(FIXTURES).join("simple-composefile");
    let out = stdout(&compose(&dir, &["config"]));
    let want = "name: simple-composefile\nservices:\n  another:\n    command:\n      - top\n    image: alpine\n    \
                networks:\n      default: null\n";
    assert!(out.starts_with(want), "{out}");
    assert!(
        out.ends_with("networks:\n  default:\n    name: simple-composefile_default\n"),
        "{out}"
    );
}

#[test]
fn short_ports_are_printed_in_the_long_syntax() {
    let dir = compose_file_project(
        "ports",
        "services:\n  web:\n    image: a\n    ports: ['127.0.0.1:8080:80', '53/udp']\n",
    );
    let out = stdout(&compose(&dir, &["config"]));
    let want = "    ports:\n      - mode: ingress\n        host_ip: 127.0.0.1\n        target: 80\n        \
                published: \"8080\"\n        protocol: tcp\n      - mode: ingress\n        target: 53\n        protocol: udp\n";
    assert!(out.contains(want), "{out}");
    let dir = compose_file_project(
        "badport",
        "services:\n  web:\n    image: a\n    ports: ['80:http']\n",
    );
    let message = failure(&compose(&dir, &["config"]));
    assert!(
        message.contains("services.web.ports[0]: invalid port"),
        "{message}"
    );
}

#[test]
fn short_volumes_are_printed_in_the_long_syntax() {
    let dir = compose_file_project(
        "binds",
        "services:\n  web:\n    image: a\n    volumes: ['./data:/data:ro', 'db:/db']\n",
    );
    let out = stdout(&compose(&dir, &["config"]));
    let bind = format!(
        "    volumes:\n      - type: bind\n        source: {}\n        target: /data\n        read_only: true\n        \
         bind:\n          create_host_path: true\n      - type: volume\n        source: db\n        target: /db\n        volume: {{}}\n",
        dir.join("data").display()
    );
    assert!(out.contains(&bind), "{out}");
}
