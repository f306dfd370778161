//! Formatting of sizes, counts and ids for people.

/// `1234567` -> `"1,234,567"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count and a noun, singular for one: `"1 warning"`, `"2,000 warnings"`.
pub fn count_of(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        let plural = if noun.ends_with('s') { "es" } else { "s" };
        format!("{} {noun}{plural}", thousands(n))
    }
}

/// A byte count in binary units: `"1.5 MiB"`; exact below 1 KiB.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.digits$} {}", UNITS[unit])
}

/// A signed count with its sign: `"+1,234"`, `"-5"`, `"0"`.
pub fn signed(n: i64) -> String {
    match n {
        0 => "0".to_string(),
        n if n > 0 => format!("+{}", thousands(n as u64)),
        n => format!("-{}", thousands(n.unsigned_abs())),
    }
}

/// A signed byte count: `"+1.50 KiB"`, `"-512 B"`, `"0"`.
pub fn signed_bytes(n: i64) -> String {
    match n {
        0 => "0".to_string(),
        n if n > 0 => format!("+{}", bytes(n as u64)),
        n => format!("-{}", bytes(n.unsigned_abs())),
    }
}

/// An object or class id as the JSON and the tables show it: `"0x7f01ab34"`.
pub fn hex_id(id: u64) -> String {
    format!("{id:#x}")
}

/// An object id as people write it: hex with `0x`, or decimal.
pub fn parse_id(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Milliseconds since the epoch as a UTC time: `"2026-11-24 21:03:55 UTC"`,
/// with milliseconds when there are some (`"21:03:55.296"`).
pub fn utc_time(ms: u64) -> String {
    let (days, rest) = ((ms / 86_400_000) as i64, ms % 86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    let frac = if milli > 0 {
        format!(".{milli:03}")
    } else {
        String::new()
    };
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}{frac} UTC")
}

/// `"1 child"`, `"20,000 children"`.
pub fn children(n: u64) -> String {
    if n == 1 {
        "1 child".to_string()
    } else {
        format!("{} children", thousands(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        // The fixtures' header time.
        assert_eq!(
            utc_time(0x0000_01a2_0f5f_53a0),
            "2026-11-24 21:03:55.296 UTC"
        );
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes(150 * 1024 * 1024), "150 MiB");
        assert_eq!(hex_id(0xf0016ab0), "0xf0016ab0");
        assert_eq!(signed(-1234), "-1,234");
        assert_eq!(signed(7), "+7");
        assert_eq!(signed_bytes(-2048), "-2.00 KiB");
        assert_eq!(signed_bytes(0), "0");
        assert_eq!(count_of(1, "warning"), "1 warning");
        assert_eq!(count_of(0, "warning"), "0 warnings");
        assert_eq!(count_of(1200, "warning"), "1,200 warnings");
    }
}
