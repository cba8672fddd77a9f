//! DNS on the default network: the container asks 10.0.2.3, and the stack forwards each
//! query to the host's resolvers, as the host itself would ask them. Forwarding happens
//! from the host's side, so a systemd-resolved stub on 127.0.0.53 works too.

use std::net::{IpAddr, SocketAddr};

/// Overrides the host's resolvers: a comma-separated list of `IP` or `IP:PORT` (IPv6 in
/// brackets with a port). Tests use it to answer DNS from a server of their own.
pub const UPSTREAM_ENV: &str = "SKIFF_DNS_UPSTREAM";

const HOST_RESOLV_CONF: &str = "/etc/resolv.conf";

/// Where the container's DNS queries go, in order of preference.
pub fn upstreams() -> Vec<SocketAddr> {
    if let Ok(list) = std::env::var(UPSTREAM_ENV) {
        return list.split(',').filter_map(parse_server).collect();
    }
    let text = std::fs::read_to_string(HOST_RESOLV_CONF).unwrap_or_default();
    nameservers(&text)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

fn parse_server(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

/// The `nameserver` addresses of a resolv.conf.
fn nameservers(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next())
                .flatten()
                // A scoped IPv6 address (fe80::1%eth0) means nothing outside its link.
                .and_then(|addr| addr.parse().ok())
        })
        .collect()
}

/// The container's resolv.conf on the default network: skiff's DNS address, with the
/// host's search domains and options, so short names resolve as on the host.
pub fn container_resolv_conf(host: &str, servers: &[IpAddr]) -> String {
    let mut out = String::new();
    for line in host.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first == "search" || first == "domain" || first == "options" {
            out.push_str(line);
            out.push('\n');
        }
    }
    for server in servers {
        out.push_str(&format!("nameserver {server}\n"));
    }
    out
}

/// A resolv.conf with its nameservers, search domains or options replaced by the given
/// ones (each list only when not empty), as `--dns`, `--dns-search` and `--dns-option` do.
pub fn with_overrides(
    text: &str,
    servers: &[IpAddr],
    search: &[String],
    options: &[String],
) -> String {
    let replaced = |word: &str| match word {
        "nameserver" => !servers.is_empty(),
        "search" | "domain" => !search.is_empty(),
        "options" => !options.is_empty(),
        _ => false,
    };
    let mut out: String = text
        .lines()
        .filter(|line| !replaced(line.split_whitespace().next().unwrap_or_default()))
        .map(|line| format!("{line}\n"))
        .collect();
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    for server in servers {
        out.push_str(&format!("nameserver {server}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nameservers() {
        let text = "# comment\nnameserver 127.0.0.53\noptions edns0\nnameserver ::1\nnameserver fe80::1%eth0\nsearch example.org\n";
        assert_eq!(
            nameservers(text),
            [
                "127.0.0.53".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert_eq!(
            container_resolv_conf(text, &["10.0.2.3".parse().unwrap()]),
            "options edns0\nsearch example.org\nnameserver 10.0.2.3\n"
        );
    }

    #[test]
    fn overrides() {
        let base = "search a.example\nnameserver 10.0.2.3\noptions ndots:1\n";
        assert_eq!(with_overrides(base, &[], &[], &[]), base);
        assert_eq!(
            with_overrides(
                base,
                &["192.0.2.1".parse().unwrap()],
                &["b.example".into(), "c.example".into()],
                &[]
            ),
            "options ndots:1\nsearch b.example c.example\nnameserver 192.0.2.1\n"
        );
    }

    #[test]
    fn upstream_spellings() {
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(parse_server("1.1.1.1"), Some("1.1.1.1:53".parse().unwrap()));
        assert_eq!(parse_server("[::1]:53"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_server("bogus"), None);
    }
}
