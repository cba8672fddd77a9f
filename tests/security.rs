//! Docker's security defaults in `skiff run`, checked from inside the container the way a user
//! would (`/proc/self/status`, the mount table, what fails): capabilities and `--cap-add`,
//! `--cap-drop`, `-u`, `--privileged`; the seccomp policy and `--security-opt`; masked and
//! read-only paths. Skiff runs rootless; the `as_root_*` tests repeat the key checks as root.

mod common;

use common::{mount_at, status_field, Out, Skiff};

/// Docker's 14 default capabilities as a CapEff mask.
const DEFAULT_CAPS: &str = "00000000a80425fb";
const NO_CAPS: &str = "0000000000000000";

/// Capability numbers used below.
const CAP_CHOWN: u32 = 0;
const CAP_NET_BIND_SERVICE: u32 = 10;
const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;

/// Docker's masked paths: what the container reads there is empty.
const MASKED: [&str; 12] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
];

/// Docker's read-only paths.
const READ_ONLY: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

// ---------------------------------------------------------------------------------------------
// helpers

/// `skiff run --rm FLAGS BUSYBOX sh -c SCRIPT`, whatever its exit code.
fn sh_out(s: &Skiff, flags: &[&str], script: &str) -> Out {
    let img = s.busybox();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", script]);
    s.run(&args)
}

/// Like [`sh_out`], asserting exit code 0; returns stdout.
fn sh(s: &Skiff, flags: &[&str], script: &str) -> String {
    let out = sh_out(s, flags, script);
    assert_eq!(out.code, 0, "flags {flags:?}, script {script:?}: {out}");
    out.stdout
}

/// The container's `/proc/self/status` with `flags`.
fn status(s: &Skiff, flags: &[&str]) -> String {
    let img = s.busybox();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "cat", "/proc/self/status"]);
    s.ok(&args)
}

/// One field of the container's `/proc/self/status` with `flags`.
fn field(s: &Skiff, flags: &[&str], name: &str) -> String {
    let text = status(s, flags);
    status_field(&text, name).unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// A capability mask as /proc shows it.
fn mask(bits: u64) -> String {
    format!("{bits:016x}")
}

fn default_bits() -> u64 {
    u64::from_str_radix(DEFAULT_CAPS, 16).unwrap()
}

/// Every capability this kernel knows: what `--privileged` grants.
fn all_caps() -> String {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    mask((1u64 << (last + 1)) - 1)
}

/// A seccomp profile file in docker's JSON format.
fn profile(s: &Skiff, name: &str, json: &str) -> String {
    s.write_file(name, json.as_bytes())
        .to_str()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// capabilities

#[test]
fn root_in_the_container_has_dockers_default_capabilities() {
    let s = Skiff::new();
    let text = status(&s, &[]);
    for name in ["CapEff", "CapPrm", "CapBnd"] {
        assert_eq!(
            status_field(&text, name).as_deref(),
            Some(DEFAULT_CAPS),
            "{name}: {text}"
        );
    }
    assert_eq!(
        status_field(&text, "CapInh").as_deref(),
        Some(NO_CAPS),
        "{text}"
    );
    assert_eq!(
        status_field(&text, "CapAmb").as_deref(),
        Some(NO_CAPS),
        "{text}"
    );
}

#[test]
fn non_root_user_has_no_capabilities() {
    let s = Skiff::new();
    let text = status(&s, &["-u", "nobody"]);
    for name in ["CapEff", "CapPrm", "CapAmb", "CapInh"] {
        assert_eq!(
            status_field(&text, name).as_deref(),
            Some(NO_CAPS),
            "{name}: {text}"
        );
    }
    assert_eq!(field(&s, &["-u", "33"], "CapEff"), NO_CAPS);
    assert_eq!(field(&s, &["-u", "1000:1000"], "CapEff"), NO_CAPS);
}

#[test]
fn cap_add_net_admin_adds_bit_12() {
    let s = Skiff::new();
    let want = mask(default_bits() | 1 << CAP_NET_ADMIN);
    assert_eq!(field(&s, &["--cap-add", "NET_ADMIN"], "CapEff"), want);
    // docker's spellings: with or without CAP_, any case.
    assert_eq!(field(&s, &["--cap-add", "CAP_NET_ADMIN"], "CapEff"), want);
    assert_eq!(field(&s, &["--cap-add", "net_admin"], "CapEff"), want);
    // And it works: changing the loopback's MTU needs it.
    let out = sh_out(&s, &[], "ip link set lo mtu 1500");
    assert_ne!(out.code, 0, "without NET_ADMIN: {out}");
    sh(&s, &["--cap-add", "NET_ADMIN"], "ip link set lo mtu 1500");
}

#[test]
fn cap_drop_chown_removes_bit_0_and_chown_fails() {
    let s = Skiff::new();
    let want = mask(default_bits() & !(1 << CAP_CHOWN));
    assert_eq!(field(&s, &["--cap-drop", "CHOWN"], "CapEff"), want);
    sh(&s, &[], "touch /tmp/f && chown 33 /tmp/f");
    let out = sh_out(
        &s,
        &["--cap-drop", "CHOWN"],
        "touch /tmp/f && chown 33 /tmp/f",
    );
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
}

#[test]
fn cap_drop_all_then_cap_add() {
    let s = Skiff::new();
    assert_eq!(field(&s, &["--cap-drop", "ALL"], "CapEff"), NO_CAPS);
    assert_eq!(
        field(&s, &["--cap-drop", "ALL", "--cap-add", "CHOWN"], "CapEff"),
        mask(1 << CAP_CHOWN)
    );
    assert_eq!(
        field(
            &s,
            &[
                "--cap-drop",
                "ALL",
                "--cap-add",
                "NET_ADMIN",
                "--cap-add",
                "CHOWN"
            ],
            "CapBnd"
        ),
        mask(1 << CAP_CHOWN | 1 << CAP_NET_ADMIN)
    );
    let out = sh_out(
        &s,
        &["--cap-drop", "ALL"],
        "touch /tmp/f && chown 33 /tmp/f",
    );
    assert_ne!(out.code, 0, "{out}");
}

#[test]
fn unknown_capability_exits_125() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(
        &["run", "--rm", "--cap-add", "NO_SUCH_CAP", img, "true"],
        125,
    );
    assert!(out.stderr.contains("NO_SUCH_CAP"), "names it: {out}");
}

#[test]
fn cap_add_gives_a_non_root_user_that_capability() {
    let s = Skiff::new();
    let text = status(&s, &["-u", "nobody", "--cap-add", "NET_BIND_SERVICE"]);
    let want = mask(1 << CAP_NET_BIND_SERVICE);
    for name in ["CapEff", "CapPrm", "CapAmb"] {
        assert_eq!(
            status_field(&text, name).as_deref(),
            Some(want.as_str()),
            "{name}: {text}"
        );
    }
}

#[test]
fn privileged_gives_every_capability_and_no_seccomp() {
    let s = Skiff::new();
    let text = status(&s, &["--privileged"]);
    let all = all_caps();
    for name in ["CapEff", "CapPrm", "CapBnd"] {
        assert_eq!(
            status_field(&text, name).as_deref(),
            Some(all.as_str()),
            "{name}: {text}"
        );
    }
    assert_eq!(
        status_field(&text, "Seccomp").as_deref(),
        Some("0"),
        "{text}"
    );
    // Mounting needs CAP_SYS_ADMIN and a policy that allows mount: both given.
    sh(
        &s,
        &["--privileged"],
        "mount -t tmpfs x /tmp && grep -q ' /tmp tmpfs ' /proc/self/mounts",
    );
}

#[test]
fn privileged_lifts_masked_and_read_only_paths() {
    // As docker: --privileged clears the masked paths and the read-only paths, and /sys is
    // mounted read-write.
    let s = Skiff::new();
    let mounts = sh(&s, &["--privileged"], "cat /proc/self/mounts");
    for path in MASKED.iter().chain(READ_ONLY.iter()) {
        if let Some(m) = mount_at(&mounts, path) {
            panic!("{path} still masked or read-only with --privileged: {m:?}\n{mounts}");
        }
    }
    let sys = mount_at(&mounts, "/sys").unwrap_or_else(|| panic!("no /sys: {mounts}"));
    assert!(sys.has("rw"), "/sys read-write with --privileged: {sys:?}");
}

// ---------------------------------------------------------------------------------------------
// seccomp and no-new-privileges

#[test]
fn seccomp_filter_is_on_by_default() {
    let s = Skiff::new();
    assert_eq!(field(&s, &[], "Seccomp"), "2");
    assert_eq!(field(&s, &["-u", "nobody"], "Seccomp"), "2");
}

#[test]
fn seccomp_unconfined_turns_it_off() {
    let s = Skiff::new();
    let text = status(&s, &["--security-opt", "seccomp=unconfined"]);
    assert_eq!(
        status_field(&text, "Seccomp").as_deref(),
        Some("0"),
        "{text}"
    );
    assert_eq!(
        status_field(&text, "CapEff").as_deref(),
        Some(DEFAULT_CAPS),
        "capabilities are not affected: {text}"
    );
}

#[test]
fn default_profile_blocks_new_namespaces_and_mount() {
    let s = Skiff::new();
    let out = sh_out(&s, &[], "unshare -U true");
    assert_ne!(
        out.code, 0,
        "unshare -U must fail under the default profile: {out}"
    );
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
    let out = sh_out(&s, &[], "mount -t tmpfs x /tmp");
    assert_ne!(out.code, 0, "mount must fail: {out}");
    // The profile, not a lack of capabilities, stops unshare: unconfined, it works.
    sh(
        &s,
        &["--security-opt", "seccomp=unconfined"],
        "unshare -U true",
    );
}

#[test]
fn cap_add_sys_admin_allows_mount() {
    let s = Skiff::new();
    assert_eq!(
        field(&s, &["--cap-add", "SYS_ADMIN"], "CapEff"),
        mask(default_bits() | 1 << CAP_SYS_ADMIN)
    );
    // With CAP_SYS_ADMIN the default profile allows mount (its capability-conditional rules).
    let out = sh(
        &s,
        &["--cap-add", "SYS_ADMIN"],
        "mount -t tmpfs x /tmp && cat /proc/self/mounts",
    );
    let m = mount_at(&out, "/tmp").unwrap_or_else(|| panic!("/tmp not mounted: {out}"));
    assert_eq!(m.fstype, "tmpfs", "{m:?}");
}

#[test]
fn custom_seccomp_profile_is_applied() {
    let s = Skiff::new();
    let path = profile(
        &s,
        "no-mkdir.json",
        r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}
            ]
        }"#,
    );
    let opt = format!("seccomp={path}");
    let out = sh_out(
        &s,
        &["--security-opt", &opt],
        "touch /tmp/f && echo touched; mkdir /tmp/x",
    );
    assert_eq!(out.stdout, "touched\n", "{out}");
    assert_ne!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains("Operation not permitted"),
        "mkdir gets EPERM: {out}"
    );
    assert_eq!(field(&s, &["--security-opt", &opt], "Seccomp"), "2");
    // Only this profile applies: what docker's default forbids is allowed here.
    sh(&s, &["--security-opt", &opt], "unshare -U true");
}

#[test]
fn custom_seccomp_profile_with_errno_ret() {
    let s = Skiff::new();
    let path = profile(
        &s,
        "mkdir-enospc.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}"#,
    );
    let opt = format!("seccomp={path}");
    let out = sh_out(&s, &["--security-opt", &opt], "mkdir /tmp/x");
    assert_ne!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains("No space left on device"),
        "errnoRet 28 is ENOSPC: {out}"
    );
}

#[test]
fn invalid_seccomp_profile_exits_125() {
    let s = Skiff::new();
    let img = s.busybox();
    for (name, json) in [
        (
            "truncated.json",
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ["#,
        ),
        (
            "bad-action.json",
            r#"{"defaultAction": "SCMP_ACT_NO_SUCH"}"#,
        ),
        ("bad-type.json", r#"{"defaultAction": 5}"#),
    ] {
        let path = profile(&s, name, json);
        let opt = format!("seccomp={path}");
        let out = s.fails(&["run", "--rm", "--security-opt", &opt, img, "true"], 125);
        assert!(out.stderr.contains(name), "names the file: {out}");
        assert!(out.stderr.contains("seccomp"), "says what it is: {out}");
        assert_eq!(out.stdout, "", "{out}");
    }
    let out = s.fails(
        &[
            "run",
            "--rm",
            "--security-opt",
            "seccomp=/no/such/profile.json",
            img,
            "true",
        ],
        125,
    );
    assert!(out.stderr.contains("/no/such/profile.json"), "{out}");
    assert_eq!(
        s.container_ids(),
        Vec::<String>::new(),
        "nothing left behind"
    );
}

#[test]
fn unknown_security_opt_exits_125() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(
        &["run", "--rm", "--security-opt", "bogus=1", img, "true"],
        125,
    );
    assert!(out.stderr.contains("bogus"), "{out}");
}

#[test]
fn no_new_privileges_sets_nonewprivs() {
    let s = Skiff::new();
    assert_eq!(
        field(&s, &["--security-opt", "no-new-privileges"], "NoNewPrivs"),
        "1"
    );
    assert_eq!(
        field(
            &s,
            &["--security-opt", "no-new-privileges:true"],
            "NoNewPrivs"
        ),
        "1"
    );
}

#[test]
fn no_new_privs_is_off_by_default() {
    // Docker sets no_new_privs only when asked: setuid programs (su, ping, sudo) in images
    // depend on it. The default seccomp filter is installed while the container still has
    // the capability to do so without no_new_privs.
    let s = Skiff::new();
    assert_eq!(field(&s, &[], "NoNewPrivs"), "0");
    assert_eq!(field(&s, &["-u", "nobody"], "NoNewPrivs"), "0");
}

// ---------------------------------------------------------------------------------------------
// masked and read-only paths

/// A script printing, for each path, "PATH missing|empty|dev-null|CONTENT".
fn probe_script(paths: &[&str]) -> String {
    let mut script = String::new();
    for p in paths {
        script.push_str(&format!(
            "if [ ! -e {p} ]; then echo '{p} missing'; \
             elif [ -d {p} ]; then if [ -z \"$(ls -A {p})\" ]; then echo '{p} empty'; else echo '{p} has-entries'; fi; \
             elif [ -c {p} ]; then echo '{p} char-dev'; \
             elif [ -z \"$(head -c 1 {p} 2>/dev/null)\" ]; then echo '{p} empty'; \
             else echo '{p} has-content'; fi; "
        ));
    }
    script
}

fn check_masked(s: &Skiff) {
    let out = sh(s, &[], &probe_script(&MASKED));
    for line in out.lines() {
        let (path, what) = line.rsplit_once(' ').unwrap();
        // A masked file reads empty (a /dev/null bind shows as a char device); a masked dir
        // is an empty (tmpfs) dir. Paths this kernel lacks may be missing.
        assert!(
            matches!(what, "missing" | "empty" | "char-dev"),
            "{path} is not masked ({what}): {out}"
        );
        let on_host = std::path::Path::new(path).exists();
        if on_host {
            assert_ne!(
                what, "missing",
                "{path} exists on the host but not here: {out}"
            );
        }
    }
    // The ones this kernel has are readable on the host (so the check above means something).
    for p in ["/proc/keys", "/proc/timer_list", "/proc/interrupts"] {
        if let Ok(text) = std::fs::read_to_string(p) {
            assert!(!text.is_empty(), "{p} is empty on the host");
        }
    }
}

#[test]
fn masked_paths_are_empty() {
    check_masked(&Skiff::new());
}

#[test]
fn masked_paths_apply_to_every_user() {
    let s = Skiff::new();
    let out = sh(
        &s,
        &["-u", "nobody"],
        "cat /proc/keys /proc/timer_list 2>/dev/null | head -c 1",
    );
    assert_eq!(out, "", "{out}");
}

fn check_read_only(s: &Skiff) {
    let mounts = sh(s, &[], "cat /proc/self/mounts");
    for path in READ_ONLY {
        if !std::path::Path::new(path).exists() {
            continue;
        }
        let m = mount_at(&mounts, path)
            .unwrap_or_else(|| panic!("{path} is not mounted read-only: {mounts}"));
        assert!(m.has("ro"), "{path} read-only: {m:?}");
    }
    let out = sh_out(s, &[], "echo 1 > /proc/sys/kernel/shm_rmid_forced");
    assert_ne!(out.code, 0, "writing /proc/sys must fail: {out}");
    let out = sh_out(s, &[], "echo 1 > /proc/sys/vm/overcommit_memory");
    assert_ne!(out.code, 0, "writing /proc/sys must fail: {out}");
}

#[test]
fn read_only_paths_are_read_only() {
    check_read_only(&Skiff::new());
}

// ---------------------------------------------------------------------------------------------
// as root

#[test]
fn as_root_capabilities_and_seccomp() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let text = status(&s, &[]);
    assert_eq!(
        status_field(&text, "CapEff").as_deref(),
        Some(DEFAULT_CAPS),
        "{text}"
    );
    assert_eq!(
        status_field(&text, "CapBnd").as_deref(),
        Some(DEFAULT_CAPS),
        "{text}"
    );
    assert_eq!(
        status_field(&text, "Seccomp").as_deref(),
        Some("2"),
        "{text}"
    );
    assert_eq!(field(&s, &["-u", "nobody"], "CapEff"), NO_CAPS);
    assert_eq!(
        field(&s, &["--cap-add", "NET_ADMIN"], "CapEff"),
        mask(default_bits() | 1 << CAP_NET_ADMIN)
    );
    assert_eq!(
        field(&s, &["--cap-drop", "CHOWN"], "CapEff"),
        mask(default_bits() & !(1 << CAP_CHOWN))
    );
    let text = status(&s, &["--privileged"]);
    assert_eq!(status_field(&text, "CapEff"), Some(all_caps()), "{text}");
    assert_eq!(
        status_field(&text, "Seccomp").as_deref(),
        Some("0"),
        "{text}"
    );
    assert_eq!(
        field(&s, &["--security-opt", "seccomp=unconfined"], "Seccomp"),
        "0"
    );
    assert_eq!(
        field(&s, &["--security-opt", "no-new-privileges"], "NoNewPrivs"),
        "1"
    );
}

#[test]
fn as_root_mount_and_namespaces_are_blocked() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let out = sh_out(&s, &[], "mount -t tmpfs x /tmp");
    assert_ne!(out.code, 0, "{out}");
    let out = sh_out(&s, &[], "unshare -U true");
    assert_ne!(out.code, 0, "{out}");
    sh(&s, &["--cap-add", "SYS_ADMIN"], "mount -t tmpfs x /tmp");
    sh(&s, &["--privileged"], "mount -t tmpfs x /tmp");
    let path = profile(
        &s,
        "no-mkdir.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let opt = format!("seccomp={path}");
    let out = sh_out(&s, &["--security-opt", &opt], "mkdir /tmp/x");
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
}

#[test]
fn as_root_masked_and_read_only_paths() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    check_masked(&s);
    check_read_only(&s);
    // As real root the sysctl files are writable but for the read-only mount.
    let out = sh_out(&s, &[], "echo 1 > /proc/sys/kernel/shm_rmid_forced");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
}
