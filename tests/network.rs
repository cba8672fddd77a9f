//! The default network (a user-mode stack served by the supervisor) and published ports,
//! checked from inside containers and from the host. Every server these tests talk to is
//! started here, on 127.0.0.1: no traffic leaves the machine's loopback and the containers'
//! own namespaces.

mod common;

use common::Skiff;
use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::thread::JoinHandle;
use std::time::Duration;

const LOOPBACK_ALLOWED: &str = "slirp4netns:allow_host_loopback=true";

/// A TCP server on the host's loopback that greets whoever connects and reports how many
/// connections it got when joined.
struct Greeter {
    port: u16,
    thread: JoinHandle<usize>,
}

impl Greeter {
    fn start(greeting: &'static str, connections: usize) -> Greeter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let thread = std::thread::spawn(move || {
            let mut served = 0;
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while served < connections && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let _ = stream.write_all(greeting.as_bytes());
                        served += 1;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
            served
        });
        Greeter { port, thread }
    }

    fn connections(self) -> usize {
        self.thread.join().unwrap()
    }
}

/// A DNS server on the host's loopback that answers every A query with 192.0.2.77.
fn dns_server() -> (u16, JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            if let Some(answer) = dns_answer(&buf[..n]) {
                let _ = socket.send_to(&answer, peer);
            }
        }
    });
    (port, thread)
}

/// The answer to a one-question query: the question echoed, one A record 192.0.2.77.
fn dns_answer(query: &[u8]) -> Option<Vec<u8>> {
    let mut end = 12;
    while *query.get(end)? != 0 {
        end += 1 + query[end] as usize;
    }
    let question = query.get(12..end + 5)?;
    let qtype = u16::from_be_bytes([question[question.len() - 4], question[question.len() - 3]]);
    let mut out = query[..2].to_vec();
    let answers: u16 = if qtype == 1 { 1 } else { 0 };
    out.extend_from_slice(&[0x81, 0x80, 0, 1, 0, answers as u8, 0, 0, 0, 0]);
    out.extend_from_slice(question);
    if answers == 1 {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77]);
    }
    Some(out)
}

#[test]
fn default_network_eth0_gateway_and_files() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.run(&[
        "run",
        "--rm",
        img,
        "sh",
        "-c",
        "ip -4 addr show eth0; ip route; cat /sys/class/net/eth0/mtu; cat /etc/resolv.conf /etc/hosts; ping -c1 -W2 10.0.2.2 >/dev/null && echo gateway-answers",
    ]);
    assert_eq!(out.code, 0, "{out}");
    for expected in [
        "inet 10.0.2.100/24",
        "default via 10.0.2.2 dev eth0",
        "65520",
        "nameserver 10.0.2.3",
        "host.containers.internal host.docker.internal",
        "gateway-answers",
    ] {
        assert!(out.stdout.contains(expected), "{expected:?} missing: {out}");
    }
}

#[test]
fn network_names_and_options() {
    let s = Skiff::new();
    let img = s.busybox();
    for name in ["bridge", "default", "slirp4netns", "pasta", "private"] {
        let out = s.run(&[
            "run",
            "--rm",
            "--network",
            name,
            img,
            "cat",
            "/sys/class/net/eth0/mtu",
        ]);
        assert_eq!(out.code, 0, "--network {name}: {out}");
    }
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "slirp4netns:mtu=1500",
        img,
        "cat",
        "/sys/class/net/eth0/mtu",
    ]);
    assert_eq!(out.stdout.trim(), "1500", "{out}");
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        img,
        "ls",
        "/sys/class/net",
    ]);
    assert_eq!(out.stdout.trim(), "lo", "{out}");
    for bad in ["slirp4netns:bogus=1", "pasta:mtu=99999", "nosuchnet"] {
        let out = s.fails(&["run", "--rm", "--network", bad, img, "true"], 125);
        assert!(!out.stderr.is_empty(), "{out}");
    }
}

#[test]
fn tcp_reaches_host_loopback_when_allowed() {
    let s = Skiff::new();
    let img = s.busybox();
    let greeter = Greeter::start("hello from the host\n", 1);
    let port = greeter.port.to_string();
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "nc",
        "-w",
        "5",
        "10.0.2.2",
        &port,
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("hello from the host"), "{out}");
    assert_eq!(greeter.connections(), 1);
}

#[test]
fn host_loopback_refused_by_default() {
    let s = Skiff::new();
    let img = s.busybox();
    let greeter = Greeter::start("must not be seen\n", 1);
    let port = greeter.port.to_string();
    let out = s.run(&["run", "--rm", img, "nc", "-w", "5", "10.0.2.2", &port]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("Connection refused"), "{out}");
    assert!(!out.stdout.contains("must not be seen"), "{out}");
    // Unblock the server with a connection of our own: it must be the only one it got.
    std::net::TcpStream::connect(("127.0.0.1", greeter.port)).unwrap();
    assert_eq!(greeter.connections(), 1);
}

#[test]
fn dns_forwarded_to_the_configured_upstream() {
    let s = Skiff::new();
    let img = s.busybox();
    let (port, _server) = dns_server();
    let mut cmd = s.cmd(&["run", "--rm", img, "nslookup", "example.test"]);
    cmd.env("SKIFF_DNS_UPSTREAM", format!("127.0.0.1:{port}"));
    let out = common::run_command(cmd, None);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("10.0.2.3"), "{out}");
    assert!(out.stdout.contains("192.0.2.77"), "{out}");
}

#[test]
fn udp_reaches_host_loopback_when_allowed() {
    let s = Skiff::new();
    let img = s.busybox();
    let (port, _server) = dns_server();
    let server = format!("10.0.2.2:{port}");
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "nslookup",
        "example.test",
        &server,
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("192.0.2.77"), "{out}");
    // Without the option the gateway's UDP goes nowhere.
    let out = s.run(&["run", "--rm", img, "nslookup", "example.test", &server]);
    assert!(!out.stdout.contains("192.0.2.77"), "{out}");
}

#[test]
fn detached_container_uses_the_network() {
    let s = Skiff::new();
    let img = s.busybox();
    let greeter = Greeter::start("hello detached\n", 1);
    let port = greeter.port.to_string();
    let id = s.ok(&[
        "run",
        "-d",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "nc",
        "-w",
        "5",
        "10.0.2.2",
        &port,
    ]);
    let id = id.trim();
    let code = s.ok(&["wait", id]);
    assert_eq!(code.trim(), "0");
    let logs = s.run(&["logs", id]);
    assert!(logs.stdout.contains("hello detached"), "{logs}");
    assert_eq!(greeter.connections(), 1);
}

#[test]
fn many_connections_in_a_row() {
    let s = Skiff::new();
    let img = s.busybox();
    let greeter = Greeter::start("x", 20);
    let script = format!(
        "for i in $(seq 20); do nc -w 5 10.0.2.2 {} || exit 1; done",
        greeter.port
    );
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "x".repeat(20), "{out}");
    assert_eq!(greeter.connections(), 20);
}

/// A port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends an HTTP GET to 127.0.0.1:`port`, retrying while the server comes up.
fn http_get(port: u16, path: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let request = format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut stream, &mut text);
                if !text.is_empty() {
                    return text;
                }
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing answered on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const HTTPD: &str =
    "mkdir -p /www && echo hello-published > /www/index.html && exec httpd -f -p 80 -h /www";

#[test]
fn published_tcp_port_reaches_the_container() {
    let s = Skiff::new();
    let img = s.busybox();
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    s.ok(&[
        "run", "-d", "--name", "web", "-p", &publish, img, "sh", "-c", HTTPD,
    ]);
    let answer = http_get(port, "/index.html");
    assert!(answer.contains("hello-published"), "{answer}");
    assert_eq!(
        s.ok(&["port", "web"]).trim(),
        format!("80/tcp -> 127.0.0.1:{port}")
    );
    assert_eq!(
        s.ok(&["port", "web", "80"]).trim(),
        format!("127.0.0.1:{port}")
    );
    s.fails(&["port", "web", "81"], 1);
    let ps = s.ok(&["ps", "--format", "{{.Ports}}"]);
    assert_eq!(ps.trim(), format!("127.0.0.1:{port}->80/tcp"));
    let inspect = s.ok(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.IPAddress}} {{json .NetworkSettings.Ports}}",
        "web",
    ]);
    assert_eq!(
        inspect.trim(),
        format!("10.0.2.100 {{\"80/tcp\":[{{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"{port}\"}}]}}")
    );
    s.ok(&["rm", "-f", "web"]);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn publish_all_exposed_ports_on_random_host_ports() {
    let s = Skiff::new();
    let archive = common::fixtures::docker_archive(
        "exposing:1",
        common::fixtures::busybox_rootfs(),
        serde_json::json!({"config": {"ExposedPorts": {"80/tcp": {}}}}),
    );
    let file = s.write_file("exposing.tar", &archive);
    s.ok(&["load", "-i", file.to_str().unwrap()]);
    let id = s.ok(&["run", "-d", "-P", "exposing:1", "sh", "-c", HTTPD]);
    let address = s.ok(&["port", id.trim(), "80/tcp"]);
    let (ip, port) = address.trim().rsplit_once(':').unwrap();
    assert_eq!(ip, "0.0.0.0", "{address}");
    let answer = http_get(port.parse().unwrap(), "/");
    assert!(answer.contains("hello-published"), "{answer}");
    s.ok(&["rm", "-f", id.trim()]);
}

#[test]
fn busy_port_is_an_error_that_leaves_nothing() {
    let s = Skiff::new();
    let img = s.busybox();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let publish = format!("127.0.0.1:{port}:80");
    for detach in [true, false] {
        let mut args = vec!["run"];
        if detach {
            args.push("-d");
        }
        args.extend(["-p", &publish, img, "true"]);
        let out = s.fails(&args, 125);
        assert!(out.stderr.contains("cannot publish port"), "{out}");
        assert!(out.stderr.contains(&port.to_string()), "{out}");
    }
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
    for bad in ["abc", "80/sctp", "0:80", "1-3:80-81", "70000"] {
        let out = s.fails(&["run", "--rm", "-p", bad, img, "true"], 125);
        assert!(out.stderr.contains("port"), "{out}");
    }
}

#[test]
fn published_udp_port_reaches_the_container() {
    let s = Skiff::new();
    let img = s.debian();
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let publish = format!("127.0.0.1:{port}:5000/udp");
    let server = r#"use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 5000, Proto => "udp") or die "$!"; while (my $peer = $s->recv(my $m, 100)) { $s->send("got $m from " . $s->peerhost) }"#;
    s.ok(&[
        "run", "-d", "--name", "udp", "-p", &publish, img, "perl", "-e", server,
    ]);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut answer = [0u8; 100];
    let mut got = None;
    for _ in 0..50 {
        client.send_to(b"ping", ("127.0.0.1", port)).unwrap();
        if let Ok(n) = client.recv(&mut answer) {
            got = Some(String::from_utf8_lossy(&answer[..n]).into_owned());
            break;
        }
    }
    let got = got.expect("no answer from the published UDP port");
    // A client on the host's loopback is shown as the gateway.
    assert_eq!(got, "got ping from 10.0.2.2");
    s.ok(&["rm", "-f", "udp"]);
}

#[test]
fn dns_and_add_host_options() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.run(&[
        "run",
        "--rm",
        "--dns",
        "192.0.2.53",
        "--dns-search",
        "example.org",
        "--dns-option",
        "ndots:2",
        "--add-host",
        "db:192.0.2.9",
        "--add-host",
        "gw:host-gateway",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "sh",
        "-c",
        "cat /etc/resolv.conf /etc/hosts",
    ]);
    assert_eq!(out.code, 0, "{out}");
    for expected in [
        "search example.org\n",
        "options ndots:2\n",
        "nameserver 192.0.2.53\n",
        "192.0.2.9\tdb\n",
        "10.0.2.2\tgw\n",
        "10.0.2.2\thost.containers.internal host.docker.internal\n",
    ] {
        assert!(out.stdout.contains(expected), "{expected:?} missing: {out}");
    }
    assert!(!out.stdout.contains("10.0.2.3"), "{out}");
    s.fails(&["run", "--rm", "--add-host", "nocolon", img, "true"], 125);
    s.fails(&["run", "--rm", "--dns", "not-an-ip", img, "true"], 125);
}

#[test]
fn network_of_another_container() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "srv",
        img,
        "sh",
        "-c",
        "mkdir /w && echo shared > /w/i && exec httpd -f -p 80 -h /w",
    ]);
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        "container:srv",
        img,
        "sh",
        "-c",
        "ip -4 addr show eth0; for i in $(seq 50); do wget -qO- http://127.0.0.1/i && exit 0; sleep 0.1; done; exit 1",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("10.0.2.100/24"), "{out}");
    assert!(out.stdout.contains("shared"), "{out}");
    let out = s.fails(
        &["run", "--rm", "--network", "container:nope", img, "true"],
        125,
    );
    assert!(out.stderr.contains("nope"), "{out}");
    s.ok(&["stop", "-t", "0", "srv"]);
    let out = s.fails(
        &["run", "--rm", "--network", "container:srv", img, "true"],
        125,
    );
    assert!(out.stderr.contains("not running"), "{out}");
}

/// Megabytes through the stack, both ways, arrive whole: the container's upload and the
/// host's download are checked by their SHA-256.
#[test]
fn bulk_data_through_the_stack_arrives_intact() {
    let s = Skiff::new();
    let img = s.busybox();
    let download: Vec<u8> = (0..8_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let download_sum = common::fixtures::sha256_hex(&download);
    let sender = TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let (send_port, receive_port) = (
        sender.local_addr().unwrap().port(),
        receiver.local_addr().unwrap().port(),
    );
    let serve = std::thread::spawn(move || {
        let (mut stream, _) = sender.accept().unwrap();
        stream.write_all(&download).unwrap();
    });
    let collect = std::thread::spawn(move || {
        let (mut stream, _) = receiver.accept().unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut stream, &mut data).unwrap();
        common::fixtures::sha256_hex(&data)
    });
    let script = format!(
        "nc 10.0.2.2 {send_port} | sha256sum; \
         dd if=/dev/urandom of=/tmp/up bs=1000 count=6000 2>/dev/null; sha256sum /tmp/up; \
         nc 10.0.2.2 {receive_port} < /tmp/up"
    );
    let out = s.run(&[
        "run",
        "--rm",
        "--network",
        LOOPBACK_ALLOWED,
        img,
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(out.code, 0, "{out}");
    serve.join().unwrap();
    let upload_sum = collect.join().unwrap();
    let sums: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(sums, [download_sum.as_str(), upload_sum.as_str()], "{out}");
}

/// Megabytes from a published port arrive whole (the spliced path).
#[test]
fn bulk_data_from_a_published_port_arrives_intact() {
    let s = Skiff::new();
    let img = s.busybox();
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    let id = s.ok(&[
        "run",
        "-d",
        "-p",
        &publish,
        img,
        "sh",
        "-c",
        "dd if=/dev/urandom of=/tmp/f bs=1000 count=5000 2>/dev/null; sha256sum /tmp/f; exec nc -l -p 80 < /tmp/f",
    ]);
    let id = id.trim();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let data = loop {
        let mut data = Vec::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = std::io::Read::read_to_end(&mut stream, &mut data);
        }
        if !data.is_empty() || std::time::Instant::now() > deadline {
            break data;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(data.len(), 5_000_000);
    let logs = s.ok(&["logs", id]);
    assert_eq!(
        logs.split_whitespace().next(),
        Some(common::fixtures::sha256_hex(&data).as_str()),
        "{logs}"
    );
    s.ok(&["rm", "-f", id]);
}

/// A busybox web server whose /cgi-bin/ip page tells the address the client came from.
const HTTPD_REMOTE_ADDR: &str = "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 80 -h /www";

#[test]
fn published_connections_come_from_the_client_not_from_the_container() {
    let s = Skiff::new();
    let img = s.busybox();
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    let id = s.ok(&[
        "run",
        "-d",
        "-p",
        &publish,
        img,
        "sh",
        "-c",
        HTTPD_REMOTE_ADDR,
    ]);
    let page = http_get(port, "/cgi-bin/ip");
    // A client on the host's loopback is shown as the gateway, never as the container's
    // own address or its 127.0.0.1.
    assert!(page.contains("10.0.2.2"), "{page}");
    assert!(
        !page.contains("10.0.2.100") && !page.contains("127.0.0.1"),
        "{page}"
    );
    s.ok(&["rm", "-f", id.trim()]);
}
