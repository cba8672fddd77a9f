//! Service ports in the short syntax (`[IP:][PUBLISHED:]TARGET[/PROTOCOL]`, each port a number
//! or a range) turned into the long syntax docker compose prints: one entry per target port,
//! with `mode: ingress` and the protocol.

use super::yaml::{Map, Node, Value};
use anyhow::{anyhow, bail, Result};

/// The long-syntax entries one short-syntax port stands for.
pub fn long_form(spec: &str, at: &Node) -> Result<Vec<Node>> {
    let (address, protocol) = spec.rsplit_once('/').unwrap_or((spec, "tcp"));
    let (host, target) = address
        .rsplit_once(':')
        .map_or((None, address), |(h, t)| (Some(h), t));
    let (host_ip, published) = match host {
        Some(host) => split_host(host),
        None => (None, None),
    };
    let targets = port_range(target).ok_or_else(|| anyhow!("invalid port {spec:?}"))?;
    let published_range = match published {
        Some(p) => Some(port_range(p).ok_or_else(|| anyhow!("invalid published port {spec:?}"))?),
        None => None,
    };
    let count = targets.1 - targets.0 + 1;
    // A published range as long as the targets maps port to port; otherwise each target is
    // published on the whole range.
    let pairs = published_range.filter(|p| p.1 - p.0 + 1 == count && count > 1);
    if let (Some(p), None) = (published_range, pairs) {
        if count > 1 && p.0 != p.1 {
            bail!("invalid port {spec:?}: the published range does not match the target range");
        }
    }
    let entries = (0..count).map(|i| {
        let published = match (pairs, published) {
            (Some(p), _) => Some((p.0 + i).to_string()),
            (None, p) => p.map(str::to_string),
        };
        entry(targets.0 + i, published, host_ip, protocol, at)
    });
    Ok(entries.collect())
}

/// `IP:PUBLISHED`, `[IPv6]:PUBLISHED`, `PUBLISHED` or `IP:` (empty published).
fn split_host(host: &str) -> (Option<&str>, Option<&str>) {
    let (ip, published) = match host.rsplit_once(':') {
        Some((ip, published)) => (
            Some(ip.trim_start_matches('[').trim_end_matches(']')),
            published,
        ),
        None => (None, host),
    };
    (
        ip.filter(|ip| !ip.is_empty()),
        Some(published).filter(|p| !p.is_empty()),
    )
}

fn port_range(text: &str) -> Option<(u32, u32)> {
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    let (first, last): (u32, u32) = (first.parse().ok()?, last.parse().ok()?);
    (first <= last && last <= 65535).then_some((first, last))
}

fn entry(
    target: u32,
    published: Option<String>,
    host_ip: Option<&str>,
    protocol: &str,
    at: &Node,
) -> Node {
    let scalar = |text: String, plain: bool| Node {
        value: Value::Scalar { text, plain },
        tag: None,
        line: at.line,
        column: at.column,
    };
    let mut fields: Map = vec![("mode".into(), scalar("ingress".into(), false))];
    if let Some(ip) = host_ip {
        fields.push(("host_ip".into(), scalar(ip.into(), false)));
    }
    fields.push(("target".into(), scalar(target.to_string(), true)));
    if let Some(published) = published {
        fields.push(("published".into(), scalar(published, false)));
    }
    fields.push(("protocol".into(), scalar(protocol.into(), false)));
    Node {
        value: Value::Map(fields),
        tag: None,
        line: at.line,
        column: at.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::emit::to_yaml;
    use crate::compose::yaml::parse;

    fn printed(spec: &str) -> String {
        let at = parse("x", "f").unwrap();
        let entries = long_form(spec, &at).unwrap();
        to_yaml(&Node {
            value: Value::Seq(entries),
            ..at
        })
    }

    #[test]
    fn short_ports_in_the_long_form() {
        let table = [
            ("80", "- mode: ingress\n  target: 80\n  protocol: tcp\n"),
            ("8080:80", "- mode: ingress\n  target: 80\n  published: \"8080\"\n  protocol: tcp\n"),
            (
                "127.0.0.1:53:53/udp",
                "- mode: ingress\n  host_ip: 127.0.0.1\n  target: 53\n  published: \"53\"\n  protocol: udp\n",
            ),
            ("[::1]:80:80", "- mode: ingress\n  host_ip: ::1\n  target: 80\n  published: \"80\"\n  protocol: tcp\n"),
            (
                "9090-9091:8080-8081",
                "- mode: ingress\n  target: 8080\n  published: \"9090\"\n  protocol: tcp\n\
                 - mode: ingress\n  target: 8081\n  published: \"9091\"\n  protocol: tcp\n",
            ),
            ("3000-3001", "- mode: ingress\n  target: 3000\n  protocol: tcp\n- mode: ingress\n  target: 3001\n  protocol: tcp\n"),
            ("8000-8010:80", "- mode: ingress\n  target: 80\n  published: 8000-8010\n  protocol: tcp\n"),
        ];
        for (spec, want) in table {
            assert_eq!(printed(spec), want, "{spec}");
        }
    }

    #[test]
    fn bad_ports_are_refused() {
        let at = parse("x", "f").unwrap();
        for spec in ["http", "70000", "1-2:3-5", "a:b:c:d"] {
            assert!(long_form(spec, &at).is_err(), "{spec}");
        }
    }
}
