//! `--network`: what a user may ask for, and what each name means to skiff.

use anyhow::{bail, Result};

/// The MTU of the default network's `eth0`, as slirp4netns and pasta use: large packets
/// mean fewer trips through the user-mode stack.
pub const DEFAULT_MTU: u32 = 65520;

/// The network a container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    /// A private network namespace with only `lo`.
    None,
    /// The host's network namespace.
    Host,
    /// The default: a private namespace whose `eth0` is served by skiff's user-mode stack.
    UserMode(UserModeOptions),
    /// The network namespace of another container (`container:NAME`).
    Container(String),
    /// A user-defined network (`network create`), by name or id.
    Named(String),
}

/// Options of the user-mode network, spelled as slirp4netns's (`slirp4netns:mtu=1500,...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserModeOptions {
    pub mtu: u32,
    /// Whether 10.0.2.2 leads to the host's loopback (refused by default: a container must
    /// not reach services listening on the host's 127.0.0.1 unasked).
    pub allow_host_loopback: bool,
}

impl Default for UserModeOptions {
    fn default() -> Self {
        UserModeOptions {
            mtu: DEFAULT_MTU,
            allow_host_loopback: false,
        }
    }
}

/// Names of the default mode: docker's (`default`, `bridge`), podman's (`slirp4netns`,
/// `pasta`, `private`), so that their command lines keep working.
const USER_MODE_NAMES: [&str; 5] = ["default", "bridge", "slirp4netns", "pasta", "private"];

impl NetworkMode {
    pub fn parse(text: &str) -> Result<NetworkMode> {
        let (name, options) = match text.split_once(':') {
            Some((name, options)) => (name, Some(options)),
            None => (text, None),
        };
        match (name, options) {
            ("none", None) => Ok(NetworkMode::None),
            ("host", None) => Ok(NetworkMode::Host),
            ("container", Some(target)) if !target.is_empty() => {
                Ok(NetworkMode::Container(target.to_string()))
            }
            ("container", _) => bail!("--network container:NAME needs a container name or id"),
            (name, options) if USER_MODE_NAMES.contains(&name) => Ok(NetworkMode::UserMode(
                parse_user_mode_options(options.unwrap_or_default())?,
            )),
            ("none" | "host", Some(_)) => bail!("--network {name} takes no options"),
            (name, None) if crate::store::is_valid_name(name) => {
                Ok(NetworkMode::Named(name.to_string()))
            }
            _ => bail!(
                "network {text:?} not found: use a network's name, none, host, container:NAME \
                 or the default (also called bridge, slirp4netns or pasta)"
            ),
        }
    }

    /// Whether the container gets a network namespace of its own.
    pub fn private_namespace(&self) -> bool {
        matches!(
            self,
            NetworkMode::None | NetworkMode::UserMode(_) | NetworkMode::Named(_)
        )
    }
}

fn parse_user_mode_options(text: &str) -> Result<UserModeOptions> {
    let mut options = UserModeOptions::default();
    for option in text.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        match key {
            "mtu" => {
                options.mtu = match value.parse::<u32>() {
                    Ok(mtu) if (576..=65520).contains(&mtu) => mtu,
                    _ => bail!("invalid network option {option:?}: the MTU must be a number from 576 to 65520"),
                }
            }
            "allow_host_loopback" => options.allow_host_loopback = parse_bool(option, value)?,
            // Accepted so podman's spellings work; skiff's stack is IPv4 only and serves its
            // published ports itself.
            "enable_ipv6" | "port_handler" => {}
            _ => bail!(
                "unknown network option {key:?}: skiff knows mtu=N and allow_host_loopback=true|false"
            ),
        }
    }
    Ok(options)
}

fn parse_bool(option: &str, value: &str) -> Result<bool> {
    match value {
        "true" | "" => Ok(true),
        "false" => Ok(false),
        _ => bail!("invalid network option {option:?}: use true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(NetworkMode::parse("none").unwrap(), NetworkMode::None);
        assert_eq!(NetworkMode::parse("host").unwrap(), NetworkMode::Host);
        for name in USER_MODE_NAMES {
            assert_eq!(
                NetworkMode::parse(name).unwrap(),
                NetworkMode::UserMode(UserModeOptions::default())
            );
        }
        assert_eq!(
            NetworkMode::parse("container:web").unwrap(),
            NetworkMode::Container("web".into())
        );
        assert!(NetworkMode::parse("container:").is_err());
        assert_eq!(
            NetworkMode::parse("mynet").unwrap(),
            NetworkMode::Named("mynet".into())
        );
        assert!(NetworkMode::parse("my/net")
            .unwrap_err()
            .to_string()
            .contains("not found"));
    }

    #[test]
    fn user_mode_options() {
        let mode = NetworkMode::parse("slirp4netns:allow_host_loopback=true,mtu=1500").unwrap();
        assert_eq!(
            mode,
            NetworkMode::UserMode(UserModeOptions {
                mtu: 1500,
                allow_host_loopback: true
            })
        );
        assert!(NetworkMode::parse("pasta:mtu=70000").is_err());
        assert!(NetworkMode::parse("slirp4netns:bogus=1").is_err());
        assert!(NetworkMode::parse("slirp4netns:allow_host_loopback=maybe").is_err());
    }
}
