//! Time stamps as docker writes them (RFC 3339 in UTC with nanoseconds) and shows them
//! ("3 minutes ago"), without a calendar library: the civil-date arithmetic is small.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds and nanoseconds since the epoch, signed to allow dates before 1970.
pub type Instant = (i64, u32);

pub fn now() -> Instant {
    from_system(SystemTime::now())
}

pub fn from_system(t: SystemTime) -> Instant {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => (-(e.duration().as_secs() as i64), 0),
    }
}

/// `2026-11-23T10:36:32.123456789Z`, trailing zeros of the fraction dropped as Go does.
pub fn format_rfc3339((secs, nanos): Instant) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// `2026-11-23T10:36:32.123456780Z` with all nine digits, as `logs --timestamps` prints.
pub fn format_rfc3339_fixed((secs, nanos): Instant) -> String {
    let text = format_rfc3339((secs, 0));
    format!("{}.{nanos:09}Z", text.trim_end_matches('Z'))
}

/// Parses RFC 3339 (`Z` or `+hh:mm` offsets, optional fraction).
pub fn parse_rfc3339(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let text = &frac[..digits.min(9)];
        nanos = format!("{text:0<9}").parse().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    Some((secs, nanos))
}

/// Docker's human duration ("About a minute", "3 hours"), for `CREATED` and `STATUS` columns.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let minutes = secs / 60;
    let hours = minutes / 60;
    match secs {
        0 => "Less than a second".into(),
        1..=59 => plural(secs, "second"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => plural(minutes, "minute"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => plural(hours, "hour"),
        _ if hours < 24 * 7 * 2 => plural(hours / 24, "day"),
        _ if hours < 24 * 30 * 2 => plural(hours / 24 / 7, "week"),
        _ if hours < 24 * 365 * 2 => plural(hours / 24 / 30, "month"),
        _ => plural(hours / 24 / 365, "year"),
    }
}

/// "5 minutes ago" for a time stamp, relative to now.
pub fn ago(t: Instant) -> String {
    let elapsed = (now().0 - t.0).max(0) as u64;
    format!("{} ago", human_duration(Duration::from_secs(elapsed)))
}

/// Go-style durations as docker's flags take them: `300ms`, `10s`, `5m`, `1h30m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[u..];
    }
    Some(Duration::from_secs_f64(total))
}

/// Parses `--since/--until` values: RFC 3339, a Unix time stamp, or a duration like `10m`
/// meaning that long ago.
pub fn parse_point_in_time(s: &str) -> Option<Instant> {
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Some((secs.trunc() as i64, (secs.fract() * 1e9) as u32));
    }
    let d = parse_duration(s)?;
    let (now_s, now_n) = now();
    Some((now_s - d.as_secs() as i64, now_n))
}

// Howard Hinnant's days-from-civil algorithm and its inverse.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = parse_rfc3339("2026-11-23T10:36:32.5Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-23T10:36:32.5Z");
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some((0, 0)));
        assert_eq!(format_rfc3339((0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2000-02-29T00:00:00Z").unwrap().0,
            951_782_400
        );
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_point_in_time("1700000000"), Some((1_700_000_000, 0)));
    }

    #[test]
    fn human_durations_as_docker() {
        let s = |n| human_duration(Duration::from_secs(n));
        assert_eq!(s(0), "Less than a second");
        assert_eq!(s(1), "1 second");
        assert_eq!(s(45), "45 seconds");
        assert_eq!(s(90), "About a minute");
        assert_eq!(s(600), "10 minutes");
        assert_eq!(s(3700), "About an hour");
        assert_eq!(s(5 * 3600), "5 hours");
        assert_eq!(s(3 * 86400), "3 days");
        assert_eq!(s(20 * 86400), "2 weeks");
        assert_eq!(s(90 * 86400), "3 months");
        assert_eq!(s(800 * 86400), "2 years");
    }
}
