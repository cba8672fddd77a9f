//! Published ports: docker's `-p [ip:][hostPort:]containerPort[/tcp|udp]` (with ranges
//! like `8000-8010:80-90`), `-P` for the image's EXPOSEd ports, and how they are shown
//! (`0.0.0.0:8080->80/tcp`).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// One container port published on the host. `host_port` 0 means "any free port" until
/// the supervisor binds it; `host_ip` empty means every address.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PortMapping {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: Protocol,
}

impl PortMapping {
    /// The address shown for the host side, as docker shows it.
    pub fn shown_ip(&self) -> &str {
        if self.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &self.host_ip
        }
    }

    /// `80/tcp`, the key docker uses for a container port.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol.name())
    }

    /// `0.0.0.0:8080`, as `port` shows it.
    pub fn host_address(&self) -> String {
        let ip = self.shown_ip();
        if ip.contains(':') {
            format!("[{ip}]:{}", self.host_port)
        } else {
            format!("{ip}:{}", self.host_port)
        }
    }

    /// `0.0.0.0:8080->80/tcp`, as `ps` shows it.
    pub fn display(&self) -> String {
        format!("{}->{}", self.host_address(), self.key())
    }
}

/// Reads one `-p` value into its mappings.
pub fn parse(spec: &str) -> Result<Vec<PortMapping>> {
    let invalid = || {
        format!("invalid port specification {spec:?}: use [ip:][hostPort:]containerPort[/tcp|udp]")
    };
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((rest, "tcp")) => (rest, Protocol::Tcp),
        Some((rest, "udp")) => (rest, Protocol::Udp),
        Some((_, other)) => bail!(
            "invalid port specification {spec:?}: unknown protocol {other:?} (use tcp or udp)"
        ),
        None => (spec, Protocol::Tcp),
    };
    let (host_ip, rest) = split_host_ip(rest).with_context(invalid)?;
    let (host, container) = match rest.rsplit_once(':') {
        Some((host, container)) => (host, container),
        None if host_ip.is_empty() => ("", rest),
        None => bail!(invalid()),
    };
    let container = parse_range(container).with_context(invalid)?;
    let host = if host.is_empty() {
        None
    } else {
        Some(parse_range(host).with_context(invalid)?)
    };
    if let Some(host) = host {
        if host.1 - host.0 != container.1 - container.0 {
            bail!("invalid port specification {spec:?}: the host and container port ranges must be of the same size");
        }
    }
    Ok((container.0..=container.1)
        .enumerate()
        .map(|(i, container_port)| PortMapping {
            host_ip: host_ip.clone(),
            host_port: host.map_or(0, |h| h.0 + i as u16),
            container_port,
            protocol,
        })
        .collect())
}

/// Splits `ip:` (or `[ipv6]:`) off the front of a spec; no IP when the spec has fewer than
/// three parts.
fn split_host_ip(text: &str) -> Result<(String, &str)> {
    if let Some(bracketed) = text.strip_prefix('[') {
        let (ip, rest) = bracketed.split_once("]:").context("unclosed [")?;
        ip.parse::<std::net::Ipv6Addr>()
            .context("bad IPv6 address")?;
        return Ok((ip.to_string(), rest));
    }
    match text.split(':').count() {
        3 => {
            let (ip, rest) = text.split_once(':').unwrap_or_default();
            if !ip.is_empty() {
                ip.parse::<std::net::IpAddr>().context("bad host address")?;
            }
            Ok((ip.to_string(), rest))
        }
        1 | 2 => Ok((String::new(), text)),
        _ => bail!("too many parts"),
    }
}

/// `80` or `8000-8010`, inclusive, ports 1 to 65535.
fn parse_range(text: &str) -> Result<(u16, u16)> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("bad port {p:?}"),
    };
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(text)?, port(text)?),
    };
    if last < first {
        bail!("bad port range {text:?}");
    }
    Ok((first, last))
}

/// The mappings of `-P`: each EXPOSEd port (`80/tcp`, `53/udp`, `8080`) on a free port of
/// every address.
pub fn exposed(ports: &[String]) -> Vec<PortMapping> {
    ports
        .iter()
        .filter_map(|p| {
            let (port, protocol) = match p.split_once('/') {
                Some((port, "udp")) => (port, Protocol::Udp),
                Some((port, _)) => (port, Protocol::Tcp),
                None => (p.as_str(), Protocol::Tcp),
            };
            Some(PortMapping {
                host_ip: String::new(),
                host_port: 0,
                container_port: port.parse().ok().filter(|&n| n > 0)?,
                protocol,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(host_ip: &str, host_port: u16, container_port: u16, protocol: Protocol) -> PortMapping {
        PortMapping {
            host_ip: host_ip.into(),
            host_port,
            container_port,
            protocol,
        }
    }

    #[test]
    fn docker_spellings() {
        assert_eq!(parse("80").unwrap(), [one("", 0, 80, Protocol::Tcp)]);
        assert_eq!(
            parse("8080:80").unwrap(),
            [one("", 8080, 80, Protocol::Tcp)]
        );
        assert_eq!(
            parse("127.0.0.1:5353:53/udp").unwrap(),
            [one("127.0.0.1", 5353, 53, Protocol::Udp)]
        );
        assert_eq!(
            parse("127.0.0.1::9000").unwrap(),
            [one("127.0.0.1", 0, 9000, Protocol::Tcp)]
        );
        assert_eq!(
            parse("[::1]:8080:80").unwrap(),
            [one("::1", 8080, 80, Protocol::Tcp)]
        );
        assert_eq!(
            parse("8000-8002:80-82").unwrap(),
            [
                one("", 8000, 80, Protocol::Tcp),
                one("", 8001, 81, Protocol::Tcp),
                one("", 8002, 82, Protocol::Tcp)
            ]
        );
        assert_eq!(parse("80-81").unwrap().len(), 2);
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "abc",
            "0",
            "70000",
            "80/sctp",
            "1.2.3:80:80",
            "8000-8001:80",
            "a:b:c:d",
            "90-80",
            "[::1:80:80",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn shown_as_docker_does() {
        assert_eq!(
            one("", 8080, 80, Protocol::Tcp).display(),
            "0.0.0.0:8080->80/tcp"
        );
        assert_eq!(
            one("::1", 8080, 80, Protocol::Udp).display(),
            "[::1]:8080->80/udp"
        );
        assert_eq!(
            exposed(&["80/tcp".into(), "53/udp".into()]),
            [one("", 0, 80, Protocol::Tcp), one("", 0, 53, Protocol::Udp)]
        );
    }
}
