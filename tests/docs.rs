//! completions/ and man/ are generated from the command definitions; this test fails when
//! the checked-in copies are stale. Regenerate with `cargo run -- __generate-docs .`.

use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn completions_and_man_pages_are_current() {
    let fresh = std::env::temp_dir().join(format!("skiff-docs-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .arg("__generate-docs")
        .arg(&fresh)
        .status()
        .unwrap();
    assert!(status.success());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let (want, have) = (files(&fresh.join(dir)), files(&repo.join(dir)));
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&want),
            names(&have),
            "{dir}/ is stale: run `cargo run -- __generate-docs .`"
        );
        for ((name, a), (_, b)) in want.iter().zip(&have) {
            assert!(
                a == b,
                "{dir}/{name} is stale: run `cargo run -- __generate-docs .`"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn completion_command_prints_a_script() {
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["completion", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("_skiff()"));
}
