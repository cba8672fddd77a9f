//! Sizes as docker reads them (`--memory`, `--shm-size`, `--log-opt max-size`, tmpfs sizes):
//! a number, fractions allowed, with an optional binary suffix `k`, `m`, `g`, `t` or `p`
//! (`kb`, `KiB` and the like too).

use anyhow::{anyhow, Result};

/// `67108864`, `64m`, `64MB`, `1.5g`, `2GiB` in bytes.
pub fn parse(text: &str) -> Result<u64> {
    let invalid =
        || anyhow!("invalid size: {text:?} (a number of bytes, or with a suffix k, m, g, t or p)");
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(invalid()),
    };
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = number * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// Bytes as docker shows them: decimal units, `significant` digits (`1.01MB`, `60.4MB`;
/// images with 3, progress with 4).
pub fn human(bytes: u64, significant: usize) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    let whole_digits = if size >= 100.0 {
        3
    } else if size >= 10.0 {
        2
    } else {
        1
    };
    let decimals = significant.saturating_sub(whole_digits);
    let mut text = format!("{size:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{text}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_sizes() {
        for (text, bytes) in [
            ("1024", 1024),
            ("1k", 1024),
            ("512K", 512 << 10),
            ("10m", 10 << 20),
            ("1.5m", 3 << 19),
            ("64MB", 64 << 20),
            ("0.5g", 1 << 29),
            ("1.5g", 3 << 29),
            ("2GiB", 2 << 30),
            ("10b", 10),
        ] {
            assert_eq!(parse(text).unwrap(), bytes, "{text}");
        }
        for bad in ["big", "", "1.5x", "-1", "1e400"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shown_as_docker_shows_them() {
        assert_eq!(human(512, 3), "512B");
        assert_eq!(human(1_010_000, 3), "1.01MB");
        assert_eq!(human(2_217_000, 4), "2.217MB");
        assert_eq!(human(60_400_000, 4), "60.4MB");
        assert_eq!(human(12_345_678, 4), "12.35MB");
        assert_eq!(human(5_000_000_000, 3), "5GB");
    }
}
