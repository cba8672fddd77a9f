//! User-defined networks as records: `network create|ls|inspect|rm|prune`, their flags and
//! output shapes, the predefined networks, and refused requests (exit codes and messages).
//! Attaching containers is the network runtime's business; here an endpoint is written into
//! the store the way the runtime records one, to see how the commands treat attached
//! containers.
//!
//! Skiff runs rootless (as `$SKIFF_TEST_USER` when the tests run as root, see tests/common).

mod common;

use common::Skiff;
use serde_json::{json, Value};

/// `network create ARGS`: the new network's id.
fn create(s: &Skiff, args: &[&str]) -> String {
    let mut all = vec!["network", "create"];
    all.extend_from_slice(args);
    let id = s.ok(&all).trim().to_string();
    assert_eq!(id.len(), 64, "{id}");
    id
}

/// The one object `network inspect NAME` prints.
fn inspect(s: &Skiff, name: &str) -> Value {
    let out: Value = serde_json::from_str(&s.ok(&["network", "inspect", name])).unwrap();
    assert_eq!(out.as_array().unwrap().len(), 1, "{out}");
    out[0].clone()
}

/// `network ls --format {{.Name}} EXTRA`, in the order printed.
fn names(s: &Skiff, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["network", "ls", "--format", "{{.Name}}"];
    args.extend_from_slice(extra);
    s.ok(&args).lines().map(String::from).collect()
}

/// Records `container_id` as attached to network `id` at `ip`, as the runtime does.
fn attach(s: &Skiff, id: &str, container_id: &str, ip: &str) {
    let path = s.root().join("networks").join(id).join("endpoints.json");
    let endpoints = json!([{
        "container_id": container_id,
        "ip": ip,
        "mac": "02:42:0a:59:00:02",
        "aliases": [],
        "endpoint_id": "e".repeat(64),
    }]);
    // Writing into the existing file keeps its owner, the user skiff runs as.
    std::fs::write(path, endpoints.to_string()).unwrap();
}

#[test]
fn create_list_inspect_remove() {
    let s = Skiff::new();
    let a = create(&s, &["alpha"]);
    let b = create(
        &s,
        &[
            "--label",
            "team=web",
            "-o",
            "com.docker.network.driver.mtu=9000",
            "--internal",
            "--attachable",
            "beta",
        ],
    );
    let c = create(&s, &["gamma"]);
    assert_eq!(
        inspect(&s, "alpha")["IPAM"]["Config"][0]["Subnet"],
        "10.89.0.0/24"
    );
    assert_eq!(
        inspect(&s, "beta")["IPAM"]["Config"][0]["Subnet"],
        "10.89.1.0/24"
    );
    assert_eq!(
        inspect(&s, &c[..10])["IPAM"]["Config"][0]["Gateway"],
        "10.89.2.1"
    );

    let table = s.ok(&["network", "ls"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert!(
        rows.contains(&vec![&a[..12], "alpha", "bridge", "local"]),
        "{table}"
    );
    assert_eq!(
        names(&s, &[]),
        ["alpha", "beta", "bridge", "gamma", "host", "none"]
    );

    let quiet = s.ok(&[
        "network",
        "ls",
        "-q",
        "--no-trunc",
        "--filter",
        "type=custom",
    ]);
    assert_eq!(quiet.lines().collect::<Vec<_>>(), [&a, &b, &c]);
    assert_eq!(names(&s, &["-f", "label=team=web"]), ["beta"]);
    assert_eq!(names(&s, &["-f", "name=amm"]), ["gamma"]);
    assert_eq!(names(&s, &["-f", &format!("id={}", &c[..6])]), ["gamma"]);
    assert_eq!(names(&s, &["-f", "driver=null"]), ["none"]);
    assert_eq!(
        names(&s, &["-f", "type=builtin"]),
        ["bridge", "host", "none"]
    );
    assert_eq!(
        names(&s, &["-f", "dangling=true"]),
        ["alpha", "beta", "gamma"]
    );
    s.fails(&["network", "ls", "-f", "colour=blue"], 1);

    let line = s.ok(&[
        "network",
        "ls",
        "-f",
        "name=beta",
        "--format",
        "{{.ID}} {{.Driver}} {{.Scope}} {{.Internal}} {{.IPv6}} {{.Labels}}",
    ]);
    assert_eq!(
        line.trim(),
        format!("{} bridge local true false team=web", &b[..12])
    );
    let json_line: Value =
        serde_json::from_str(&s.ok(&["network", "ls", "-f", "name=alpha", "--format", "json"]))
            .unwrap();
    assert_eq!(json_line["Name"], "alpha");

    let beta = inspect(&s, "beta");
    assert_eq!(beta["Id"], b.as_str());
    assert_eq!(beta["Driver"], "bridge");
    assert_eq!(beta["Internal"], true);
    assert_eq!(beta["Attachable"], true);
    assert_eq!(inspect(&s, "alpha")["Attachable"], false);
    assert_eq!(beta["EnableIPv6"], false);
    assert_eq!(beta["IPAM"]["Driver"], "default");
    assert_eq!(beta["Labels"], json!({"team": "web"}));
    assert_eq!(beta["Options"]["com.docker.network.driver.mtu"], "9000");
    assert_eq!(beta["Containers"], json!({}));
    assert_eq!(
        s.ok(&[
            "network",
            "inspect",
            "-f",
            "{{.Name}} {{.Scope}}",
            "alpha",
            "gamma"
        ]),
        "alpha local\ngamma local\n"
    );

    let out = s.ok(&["network", "rm", "alpha", &b[..12]]);
    assert_eq!(out, format!("alpha\n{}\n", &b[..12]));
    assert_eq!(names(&s, &["-f", "type=custom"]), ["gamma"]);
    // The lowest free subnet is taken again.
    create(&s, &["delta"]);
    assert_eq!(
        inspect(&s, "delta")["IPAM"]["Config"][0]["Subnet"],
        "10.89.0.0/24"
    );
}

#[test]
fn refused_requests() {
    let s = Skiff::new();
    create(
        &s,
        &[
            "--subnet",
            "10.90.0.0/16",
            "--gateway",
            "10.90.0.254",
            "taken",
        ],
    );
    assert_eq!(
        inspect(&s, "taken")["IPAM"]["Config"][0]["Gateway"],
        "10.90.0.254"
    );

    let out = s.fails(
        &["network", "create", "--subnet", "10.90.8.0/24", "other"],
        1,
    );
    assert!(
        out.stderr
            .contains("Pool overlaps with other one on this address space"),
        "{out}"
    );
    let out = s.fails(&["network", "create", "--subnet", "10.0.0.0/8", "other"], 1);
    assert!(out.stderr.contains("Pool overlaps"), "{out}");
    let out = s.fails(&["network", "create", "taken"], 1);
    assert!(
        out.stderr
            .contains("network with name taken already exists"),
        "{out}"
    );
    let out = s.fails(&["network", "create", "bridge"], 1);
    assert!(out.stderr.contains("pre-defined"), "{out}");
    let out = s.fails(&["network", "create", "-d", "overlay", "other"], 1);
    assert!(out.stderr.contains("plugin \"overlay\" not found"), "{out}");
    let out = s.fails(&["network", "create", "--subnet", "fd00::/64", "other"], 1);
    assert!(out.stderr.contains("IPv4 only"), "{out}");
    let out = s.fails(&["network", "create", "--ipv6", "other"], 1);
    assert!(out.stderr.contains("IPv4 only"), "{out}");
    for bad in [
        &[
            "--subnet",
            "192.168.0.0/24",
            "--gateway",
            "192.168.1.1",
            "other",
        ][..],
        &["--subnet", "192.168.0.0/31", "other"],
        &["--subnet", "192.168.0.7/24", "other"],
        &["--gateway", "192.168.0.1", "other"],
        &[
            "--subnet",
            "192.168.0.0/24",
            "--ip-range",
            "192.168.2.0/25",
            "other",
        ],
        &["bad name"],
    ] {
        let mut args = vec!["network", "create"];
        args.extend_from_slice(bad);
        s.fails(&args, 1);
    }
    assert_eq!(names(&s, &["-q", "-f", "type=custom"]).len(), 1);

    let out = s.fails(&["network", "inspect", "nope"], 1);
    assert!(out.stderr.contains("network nope not found"), "{out}");
    assert_eq!(out.stdout.trim(), "[]");
    let out = s.fails(&["network", "rm", "nope"], 1);
    assert!(out.stderr.contains("network nope not found"), "{out}");
    s.ok(&["network", "rm", "-f", "nope"]);
}

#[test]
fn predefined_networks_are_listed_inspectable_and_kept() {
    let s = Skiff::new();
    let ids = s.ok(&["network", "ls", "-q", "-f", "type=builtin"]);
    assert_eq!(ids.lines().count(), 3);
    assert_eq!(
        ids,
        Skiff::new().ok(&["network", "ls", "-q", "-f", "type=builtin"])
    );
    let bridge = inspect(&s, "bridge");
    assert_eq!(bridge["Driver"], "bridge");
    assert_eq!(bridge["IPAM"]["Config"][0]["Subnet"], "10.0.2.0/24");
    assert_eq!(bridge["IPAM"]["Config"][0]["Gateway"], "10.0.2.2");
    assert_eq!(inspect(&s, "none")["Driver"], "null");
    assert_eq!(inspect(&s, "host")["IPAM"]["Config"], json!([]));
    let out = s.fails(&["network", "rm", "bridge", "host"], 1);
    assert!(
        out.stderr
            .contains("bridge is a pre-defined network and cannot be removed"),
        "{out}"
    );
    assert!(
        out.stderr.contains("host is a pre-defined network"),
        "{out}"
    );
    assert_eq!(
        names(&s, &["-f", "dangling=false"]),
        ["bridge", "host", "none"]
    );
    let pruned = s.ok(&["network", "prune", "-f"]);
    assert_eq!(pruned, "");
    assert_eq!(names(&s, &[]).len(), 3);
}

#[test]
fn prune_asks_and_spares_used_and_filtered_networks() {
    let s = Skiff::new();
    create(&s, &["--label", "keep=yes", "kept"]);
    let used = create(&s, &["used"]);
    create(&s, &["idle"]);
    attach(&s, &used, &"c".repeat(64), "10.89.1.2");
    assert_eq!(names(&s, &["-f", "dangling=true"]), ["idle", "kept"]);

    let out = s.run_stdin(&["network", "prune"], b"n\n");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N]"), "{out}");
    assert_eq!(names(&s, &["-q", "-f", "type=custom"]).len(), 3);

    let out = s.ok(&["network", "prune", "-f", "--filter", "label!=keep"]);
    assert_eq!(out, "Deleted Networks:\nidle\n\n");
    let out = s.run_stdin(&["network", "prune", "--filter", "until=1h"], b"y\n");
    assert_eq!(out.stdout, "", "{out}");
    let out = s.run_stdin(&["network", "prune"], b"y\n");
    assert_eq!(out.stdout, "Deleted Networks:\nkept\n\n", "{out}");
    assert_eq!(names(&s, &["-f", "type=custom"]), ["used"]);
}

#[test]
fn attached_containers_show_while_running_and_block_removal() {
    let s = Skiff::new();
    let img = s.busybox();
    let net = create(&s, &["busy"]);
    let id = s.ok(&["run", "-d", "--name", "web", img, "sleep", "1000"]);
    let id = id.trim();
    attach(&s, &net, id, "10.89.0.2");

    let containers = &inspect(&s, "busy")["Containers"];
    assert_eq!(containers[id]["Name"], "web", "{containers}");
    assert_eq!(containers[id]["IPv4Address"], "10.89.0.2/24");
    assert_eq!(containers[id]["MacAddress"], "02:42:0a:59:00:02");
    let out = s.fails(&["network", "rm", "busy"], 1);
    assert!(
        out.stderr.contains(&format!(
            "error while removing network: network busy id {net} has active endpoints"
        )),
        "{out}"
    );
    assert_eq!(s.ok(&["network", "prune", "-f"]), "");

    s.ok(&["stop", "-t", "0", "web"]);
    assert_eq!(inspect(&s, "busy")["Containers"], json!({}));
    // Removing the container frees its address.
    s.ok(&["rm", "web"]);
    assert_eq!(names(&s, &["-f", "dangling=true"]), ["busy"]);
    let endpoints =
        std::fs::read_to_string(s.root().join("networks").join(&net).join("endpoints.json"))
            .unwrap();
    assert_eq!(endpoints, "[]");
    s.ok(&["network", "rm", "busy"]);
}

#[test]
fn stopped_containers_do_not_keep_a_network() {
    let s = Skiff::new();
    let img = s.busybox();
    let net = create(&s, &["quiet"]);
    s.ok(&["run", "--name", "idle", img, "true"]);
    let id = s.ok(&["ps", "-aq", "--no-trunc"]);
    attach(&s, &net, id.trim(), "10.89.0.2");
    s.ok(&["network", "rm", "quiet"]);
    s.ok(&["rm", "idle"]);
}
