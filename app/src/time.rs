//! Calendar arithmetic for the forms: a `YYYY-MM-DD` date and `HH:MM` time (UTC) to Unix
//! seconds and back. Shared by server and browser; no time zone database needed.

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// `YYYY-MM-DD` → days since the epoch; `None` for anything else or an impossible date.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().split('-');
    let (y, m, d) = (number(parts.next()?, 4)?, number(parts.next()?, 2)?, number(parts.next()?, 2)?);
    if parts.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH:MM` (24 h) → seconds after midnight.
pub fn parse_time(text: &str) -> Option<i64> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (number(h, 2)?, number(m, 2)?);
    (h < 24 && m < 60).then_some(h * 3600 + m * 60)
}

/// A date and time (UTC) → Unix seconds.
pub fn unix_from_date_time(date: &str, time: &str) -> Option<i64> {
    Some(parse_date(date)? * 86_400 + parse_time(time)?)
}

/// Unix seconds → (`YYYY-MM-DD`, `HH:MM`), UTC.
pub fn date_time_from_unix(secs: i64) -> (String, String) {
    let text = crate::events::rfc3339_from_unix_ms(secs * 1000);
    (text[..10].to_string(), text[11..16].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_round_trip() {
        let at = unix_from_date_time("2026-11-27", "18:34").unwrap();
        assert_eq!(at, 1_795_804_440);
        assert_eq!(date_time_from_unix(at), ("2026-11-27".to_string(), "18:34".to_string()));
        assert_eq!(parse_date("2024-02-29").map(|d| d * 86_400), Some(1_709_164_800));
    }

    #[test]
    fn impossible_values_are_refused() {
        for bad in ["2026-02-30", "2025-02-29", "2026-13-01", "26-01-01", "2026/01/01", "", "2026-01-01-01"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for bad in ["24:00", "12:60", "9:00", "noon", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
