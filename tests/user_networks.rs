//! User-defined networks at work: containers on a bridge in the network's own namespaces,
//! reaching each other by name, alias and address, the network's holder coming and going,
//! `connect`/`disconnect`, `--link`, `--internal` and published ports. Servers are the
//! containers themselves, or started here on 127.0.0.1: no traffic leaves the machine's
//! loopback and the tests' own namespaces.

mod common;

use common::Skiff;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A busybox web server on port 80 whose page says `text`.
fn httpd(text: &str) -> String {
    format!("mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www")
}

/// Starts a detached web server container on `network`, with extra `run` flags.
fn server(s: &Skiff, name: &str, network: &str, text: &str, extra: &[&str]) -> String {
    let script = httpd(text);
    let mut args = vec!["run", "-d", "--name", name, "--network", network];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[s.busybox(), "sh", "-c", &script]);
    s.ok(&args).trim().to_string()
}

/// Fetches http://`host`/ from a new container on `network` (retrying while the server
/// comes up); returns the output of the last try and whether it succeeded.
fn fetch_from(s: &Skiff, network: &str, host: &str) -> (bool, String) {
    let script = format!(
        "for i in $(seq 50); do wget -q -O- http://{host}/ && exit 0; sleep 0.2; done; exit 1"
    );
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        network,
        s.busybox(),
        "sh",
        "-c",
        &script,
    ]);
    (out.code == 0, out.to_string())
}

fn address_of(s: &Skiff, container: &str, network: &str) -> String {
    let template = format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}");
    s.ok(&["inspect", "-f", &template, container])
        .trim()
        .to_string()
}

/// Pids of the holder processes of the test's store, found by their command line.
fn holders(s: &Skiff) -> Vec<i32> {
    holder_processes(s).0
}

/// The holders' children, which anchor their networks' namespaces (same command line).
fn anchors(s: &Skiff) -> Vec<i32> {
    holder_processes(s).1
}

/// (holders, anchors) of the test's store.
fn holder_processes(s: &Skiff) -> (Vec<i32>, Vec<i32>) {
    let root = s.root().to_string_lossy().into_owned();
    let processes: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains("__network-holder") && cmdline.contains(&root)
        })
        .collect();
    let parent = |pid: i32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after_name = stat.rsplit(')').next().unwrap_or_default();
        after_name
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok())
    };
    processes
        .iter()
        .partition(|&&pid| parent(pid).is_none_or(|p| !processes.contains(&p)))
}

fn kill(pid: i32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn containers_reach_each_other_by_name_alias_and_address() {
    let s = Skiff::new();
    s.ok(&["network", "create", "appnet"]);
    server(
        &s,
        "db",
        "appnet",
        "from-db",
        &["--network-alias", "database"],
    );
    server(&s, "cache", "appnet", "from-cache", &[]);
    let db_ip = address_of(&s, "db", "appnet");
    assert!(db_ip.starts_with("10.89."), "{db_ip}");
    assert_ne!(db_ip, address_of(&s, "cache", "appnet"));
    for host in ["db", "database", db_ip.as_str()] {
        let (ok, out) = fetch_from(&s, "appnet", host);
        assert!(ok && out.contains("from-db"), "{host}: {out}");
    }
    let (ok, out) = fetch_from(&s, "appnet", "cache");
    assert!(ok && out.contains("from-cache"), "{out}");
    // The container's own files: its address under its host name, DNS at the gateway.
    let out = s.ok(&[
        "run",
        "--rm",
        "--network",
        "appnet",
        "--hostname",
        "probe",
        s.busybox(),
        "sh",
        "-c",
        "cat /etc/hosts /etc/resolv.conf; ip -4 addr show eth0; ip route",
    ]);
    assert!(out.contains("nameserver 10.89."), "{out}");
    assert!(out.contains("\tprobe"), "{out}");
    assert!(out.contains("default via 10.89."), "{out}");
    // Running containers show up in the network.
    let inspect = s.ok(&["network", "inspect", "appnet"]);
    assert!(inspect.contains(&format!("{db_ip}/24")), "{inspect}");
    s.ok(&["rm", "-f", "db", "cache"]);
}

#[test]
fn names_follow_containers_coming_and_going() {
    let s = Skiff::new();
    s.ok(&["network", "create", "comings"]);
    server(&s, "web", "comings", "first", &[]);
    let (ok, out) = fetch_from(&s, "comings", "web");
    assert!(ok && out.contains("first"), "{out}");
    s.ok(&["rm", "-f", "web"]);
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "comings",
        s.busybox(),
        "nslookup",
        "web",
    ]);
    assert_ne!(out.code, 0, "a removed container still resolves: {out}");
    server(&s, "web", "comings", "second", &[]);
    let (ok, out) = fetch_from(&s, "comings", "web");
    assert!(ok && out.contains("second"), "{out}");
    s.ok(&["rm", "-f", "web"]);
}

#[test]
fn holder_lives_while_used_and_recovers_from_sigkill() {
    let s = Skiff::new();
    s.ok(&["network", "create", "held"]);
    assert!(holders(&s).is_empty());
    server(&s, "web", "held", "held-page", &[]);
    let first = holders(&s);
    assert_eq!(first.len(), 1, "one holder for the network");
    // Killed: the network comes back with the next container on it.
    kill(first[0]);
    wait_until("the killed holder is gone", Duration::from_secs(10), || {
        holder_processes(&s) == (vec![], vec![])
    });
    s.ok(&["rm", "-f", "web"]);
    server(&s, "web", "held", "again", &[]);
    let (ok, out) = fetch_from(&s, "held", "web");
    assert!(ok && out.contains("again"), "{out}");
    assert_eq!(holders(&s).len(), 1);
    // Its anchor killed, the holder has no network left to serve and goes too.
    let anchor = anchors(&s);
    assert_eq!(anchor.len(), 1, "one anchor for the network");
    kill(anchor[0]);
    wait_until(
        "the holder without anchor is gone",
        Duration::from_secs(10),
        || holders(&s).is_empty(),
    );
    s.ok(&["rm", "-f", "web"]);
    server(&s, "web", "held", "once-more", &[]);
    let (ok, out) = fetch_from(&s, "held", "web");
    assert!(ok && out.contains("once-more"), "{out}");
    // Once no container is on the network, its holder leaves.
    s.ok(&["rm", "-f", "web"]);
    wait_until("the holder leaves", Duration::from_secs(30), || {
        holders(&s).is_empty()
    });
}

#[test]
fn containers_started_at_once_get_distinct_addresses() {
    let s = Skiff::new();
    s.ok(&["network", "create", "crowd"]);
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    s.ok(&[
                        "run",
                        "-d",
                        "--network",
                        "crowd",
                        s.busybox(),
                        "sleep",
                        "60",
                    ])
                    .trim()
                    .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut addresses: Vec<String> = ids.iter().map(|id| address_of(&s, id, "crowd")).collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 4, "{addresses:?}");
    // Each container really has its address.
    for id in &ids {
        let ip = address_of(&s, id, "crowd");
        let out = s.ok(&["exec", id, "ip", "-4", "addr", "show", "eth0"]);
        assert!(out.contains(&format!("inet {ip}/24")), "{out}");
    }
    let mut rm = vec!["rm", "-f"];
    rm.extend(ids.iter().map(String::as_str));
    s.ok(&rm);
}

#[test]
fn chosen_subnet_and_address() {
    let s = Skiff::new();
    s.ok(&[
        "network",
        "create",
        "--subnet",
        "10.90.0.0/24",
        "--gateway",
        "10.90.0.1",
        "fixed",
    ]);
    let out = s.ok(&[
        "run",
        "--rm",
        "--network",
        "fixed",
        "--ip",
        "10.90.0.42",
        s.busybox(),
        "sh",
        "-c",
        "ip -4 addr show eth0; ip route",
    ]);
    assert!(out.contains("inet 10.90.0.42/24"), "{out}");
    assert!(out.contains("default via 10.90.0.1"), "{out}");
    let out = s.fails(
        &[
            "run",
            "--rm",
            "--network",
            "fixed",
            "--ip",
            "10.91.0.5",
            s.busybox(),
            "true",
        ],
        125,
    );
    assert!(!out.stderr.is_empty(), "{out}");
    let out = s.fails(
        &["run", "--rm", "--network", "nonet", s.busybox(), "true"],
        125,
    );
    assert!(out.stderr.contains("network nonet not found"), "{out}");
    // `network connect --ip` chooses the address too, here for a stopped container, which
    // has it from its next start.
    let first = s.ok(&["run", "--name", "later", s.busybox(), "ip", "-4", "addr"]);
    assert!(!first.contains("10.90."), "{first}");
    s.ok(&["network", "connect", "--ip", "10.90.0.77", "fixed", "later"]);
    let out = s.ok(&["network", "inspect", "-f", "{{json .Containers}}", "fixed"]);
    assert_eq!(out.trim(), "{}", "not running, so not listed: {out}");
    let out = s.ok(&["start", "-a", "later"]);
    assert!(out.contains("inet 10.90.0.77/24"), "{out}");
    s.ok(&["rm", "later"]);
}

/// A TCP server on the host's loopback that greets one client.
fn greeter(text: &'static str) -> (u16, std::thread::JoinHandle<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let thread = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.write_all(text.as_bytes());
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    });
    (port, thread)
}

#[test]
fn way_out_and_internal_networks() {
    let s = Skiff::new();
    // The way out is the user-mode stack; the host's loopback through it, when allowed.
    s.ok(&[
        "network",
        "create",
        "-o",
        "allow_host_loopback=true",
        "outside",
    ]);
    s.ok(&[
        "network",
        "create",
        "--internal",
        "-o",
        "allow_host_loopback=true",
        "inside",
    ]);
    let (port, served) = greeter("hello-host\n");
    let port = port.to_string();
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "outside",
        s.busybox(),
        "nc",
        "-w",
        "5",
        "10.0.2.2",
        &port,
    ]);
    assert!(out.stdout.contains("hello-host"), "{out}");
    assert!(served.join().unwrap());
    // An internal network has no way out at all, but its containers reach each other.
    let (port, served) = greeter("must-not-arrive\n");
    let port = port.to_string();
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "inside",
        s.busybox(),
        "sh",
        "-c",
        &format!("ip route; nc -w 3 10.0.2.2 {port}"),
    ]);
    assert_ne!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("default"), "{out}");
    assert!(!out.stdout.contains("must-not-arrive"), "{out}");
    std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    assert!(served.join().unwrap());
    server(&s, "secret", "inside", "internal-page", &[]);
    let (ok, out) = fetch_from(&s, "inside", "secret");
    assert!(ok && out.contains("internal-page"), "{out}");
    s.ok(&["rm", "-f", "secret"]);
}

#[test]
fn connect_and_disconnect() {
    let s = Skiff::new();
    s.ok(&["network", "create", "front"]);
    s.ok(&["network", "create", "back"]);
    server(&s, "api", "back", "from-api", &[]);
    s.ok(&[
        "run",
        "-d",
        "--name",
        "client",
        "--network",
        "front",
        s.busybox(),
        "sleep",
        "300",
    ]);
    let fetch = |s: &Skiff| s.run(&["exec", "client", "wget", "-q", "-O-", "http://api/"]);
    assert_ne!(fetch(&s).code, 0, "not connected yet");
    s.ok(&["network", "connect", "--alias", "cli", "back", "client"]);
    let out = fetch(&s);
    assert!(out.stdout.contains("from-api"), "{out}");
    // Reachable by its alias on the new network.
    let out = s.ok(&["exec", "api", "nslookup", "cli"]);
    assert!(out.contains(&address_of(&s, "client", "back")), "{out}");
    let networks = s.ok(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        "client",
    ]);
    assert_eq!(networks.trim(), "back front");
    let listed = s.ok(&["ps", "-f", "name=client", "--format", "{{.Networks}}"]);
    assert_eq!(listed.trim(), "back,front");
    let on_back = s.ok(&["ps", "-f", "network=back", "--format", "{{.Names}}"]);
    let mut on_back: Vec<&str> = on_back.lines().collect();
    on_back.sort();
    assert_eq!(on_back, ["api", "client"]);
    s.ok(&["network", "disconnect", "back", "client"]);
    assert_ne!(fetch(&s).code, 0, "still connected: {}", fetch(&s));
    let out = s.fails(&["network", "disconnect", "back", "client"], 1);
    assert!(out.stderr.contains("not connected"), "{out}");
    // A network with a running container cannot go.
    let out = s.fails(&["network", "rm", "back"], 1);
    assert!(out.stderr.contains("active endpoints"), "{out}");
    s.ok(&["rm", "-f", "api", "client"]);
    s.ok(&["network", "rm", "front", "back"]);
    // The removed networks' holders leave too.
    wait_until("the holders leave", Duration::from_secs(30), || {
        holder_processes(&s) == (vec![], vec![])
    });
}

#[test]
fn links_give_hosts_entries_and_variables() {
    let s = Skiff::new();
    s.ok(&["network", "create", "linked"]);
    server(
        &s,
        "db",
        "linked",
        "x",
        &["-e", "DB_SECRET=s3", "-p", "127.0.0.1::80"],
    );
    let ip = address_of(&s, "db", "linked");
    let out = s.ok(&[
        "run",
        "--rm",
        "--name",
        "app",
        "--network",
        "linked",
        "--link",
        "db:sql",
        s.busybox(),
        "sh",
        "-c",
        "env | sort; cat /etc/hosts",
    ]);
    for expected in [
        "SQL_NAME=/app/sql".to_string(),
        format!("SQL_PORT=tcp://{ip}:80"),
        format!("SQL_PORT_80_TCP_ADDR={ip}"),
        "SQL_PORT_80_TCP_PORT=80".to_string(),
        "SQL_ENV_DB_SECRET=s3".to_string(),
        format!("{ip}\tsql "),
    ] {
        assert!(out.contains(&expected), "{expected:?} missing: {out}");
    }
    let out = s.fails(
        &["run", "--rm", "--link", "db:sql", s.busybox(), "true"],
        125,
    );
    assert!(
        out.stderr.contains("shares no user-defined network"),
        "{out}"
    );
    s.ok(&["rm", "-f", "db"]);
}

#[test]
fn published_port_of_a_container_on_a_network() {
    let s = Skiff::new();
    s.ok(&["network", "create", "pub"]);
    server(
        &s,
        "site",
        "pub",
        "published-page",
        &["-p", "127.0.0.1::80"],
    );
    let port: u16 = s
        .ok(&["port", "site", "80"])
        .trim()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let page = loop {
        let mut text = String::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
            let _ = stream.read_to_string(&mut text);
        }
        if text.contains("published-page") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(page.contains("published-page"), "{page}");
    // Its neighbours reach the published port too, on its own network and on one it
    // joined later: only replies to clients from outside its networks are sent home.
    let (ok, out) = fetch_from(&s, "pub", "site");
    assert!(ok && out.contains("published-page"), "{out}");
    s.ok(&["network", "create", "second"]);
    s.ok(&["network", "connect", "second", "site"]);
    let (ok, out) = fetch_from(&s, "second", "site");
    assert!(ok && out.contains("published-page"), "{out}");
    s.ok(&["rm", "-f", "site"]);
}

#[test]
fn a_container_started_on_the_default_network_is_connected_while_it_runs() {
    let s = Skiff::new();
    s.ok(&["network", "create", "later"]);
    server(&s, "site", "later", "from-site", &[]);
    s.ok(&["run", "-d", "--name", "old", s.busybox(), "sleep", "300"]);
    s.ok(&["network", "connect", "--alias", "elder", "later", "old"]);
    let site = address_of(&s, "site", "later");
    let old = address_of(&s, "old", "later");
    let out = s.ok(&["exec", "old", "ip", "-4", "addr"]);
    assert!(
        out.contains("inet 10.0.2.100/24") && out.contains(&format!("inet {old}/24")),
        "{out}"
    );
    // By address, and by name through the default network's DNS, which knows it.
    for host in [site.as_str(), "site"] {
        let url = format!("http://{host}/");
        let out = s.ok(&["exec", "old", "wget", "-q", "-O-", &url]);
        assert!(out.contains("from-site"), "{host}: {out}");
    }
    let out = s.ok(&["exec", "site", "ping", "-c", "1", "-W", "5", "elder"]);
    assert!(out.contains(&old), "{out}");
    s.ok(&["network", "disconnect", "later", "old"]);
    let out = s.ok(&["exec", "old", "ip", "-4", "addr"]);
    assert!(!out.contains(&old), "{out}");
    // At its next start it gets a veth like any container on the network.
    s.ok(&["restart", "-t", "0", "old"]);
    let out = s.ok(&["exec", "old", "ip", "-4", "addr"]);
    assert!(!out.contains("10.89."), "disconnected, yet: {out}");
    s.ok(&["rm", "-f", "old", "site"]);
}

#[test]
fn mac_address_on_a_user_defined_network() {
    let s = Skiff::new();
    s.ok(&["network", "create", "macnet"]);
    let img = s.busybox();
    let out = s.ok(&[
        "run",
        "--rm",
        "--network",
        "macnet",
        "--mac-address",
        "92:D0:C6:0A:29:33",
        img,
        "cat",
        "/sys/class/net/eth0/address",
    ]);
    assert_eq!(out, "92:d0:c6:0a:29:33\n");
    s.ok(&[
        "run",
        "-d",
        "--name",
        "m",
        "--network",
        "macnet",
        "--mac-address",
        "92:d0:c6:0a:29:34",
        img,
        "sleep",
        "600",
    ]);
    let inspect = s.ok(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.macnet.MacAddress}}",
        "m",
    ]);
    assert_eq!(inspect, "92:d0:c6:0a:29:34 92:d0:c6:0a:29:34\n");
    // Where the container has no link layer of its own to address, docker's refusal.
    for network in ["bridge", "host", "none"] {
        let out = s.fails(
            &[
                "run",
                "--network",
                network,
                "--mac-address",
                "92:d0:c6:0a:29:35",
                img,
                "true",
            ],
            125,
        );
        assert!(
            out.stderr
                .contains("conflicting options: mac-address and the network mode"),
            "{network}: {out}"
        );
    }
    let out = s.fails(
        &[
            "run",
            "--network",
            "macnet",
            "--mac-address",
            "92:d0:c6",
            img,
            "true",
        ],
        125,
    );
    assert!(
        out.stderr.contains("92:d0:c6 is not a valid mac address"),
        "{out}"
    );
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 1);
}
