//! Calendar arithmetic for the forms: a `YYYY-MM-DD` date and `HH:MM` time (UTC) to Unix
//! seconds and back, and the day as people read it. Shared by server and browser; no time
//! zone database needed.

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

/// An event's UTC time as its payload carries it (`2026-12-05T09:00:00Z`, from
/// `events::rfc3339_from_unix_ms`) → Unix seconds; fractions of a second are dropped.
pub fn unix_from_rfc3339(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let (hours_minutes, rest) = (rest.get(..5)?, rest.get(5..)?);
    let seconds = number(rest.strip_prefix(':')?.get(..2)?, 2).filter(|s| *s < 60)?;
    Some(unix_from_date_time(date, hours_minutes)? + seconds)
}

/// Days since the epoch → (year, month, day); the inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Unix seconds → the day as people read it, "Fri 27 Nov 2026" (UTC: add a zone's offset
/// first for its local day).
pub fn day_label(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01, day 0, was a Thursday.
    let weekday = WEEKDAYS[(days + 3).rem_euclid(7) as usize];
    format!("{weekday} {day} {} {year}", MONTHS[(month - 1) as usize])
}

/// Unix seconds → (`YYYY-MM-DD`, `HH:MM`), UTC.
pub fn date_time_from_unix(secs: i64) -> (String, String) {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    (format!("{year:04}-{month:02}-{day:02}"), clock(secs))
}

/// Unix seconds → `HH:MM`, UTC.
pub fn clock(secs: i64) -> String {
    let minutes = secs.rem_euclid(86_400) / 60;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A span's local times, "09:00–12:00 GMT", from its local start and end (Unix seconds with
/// the zone's offset added) and the zone's label; a span that ends on a later local day (an
/// overnight shift) says so: "22:00–06:00 GMT (ends next day)".
pub fn clock_span(local_start: i64, local_end: i64, zone_label: &str) -> String {
    let span = format!("{}–{} {zone_label}", clock(local_start), clock(local_end));
    if ends_next_day(local_start, local_end) { format!("{span} (ends next day)") } else { span }
}

/// Whether a span from `local_start` to `local_end` (Unix seconds with the zone's offset
/// added) ends on a later local day than it starts: the form's "Overnight" box.
pub fn ends_next_day(local_start: i64, local_end: i64) -> bool {
    local_end.div_euclid(86_400) > local_start.div_euclid(86_400)
}

/// The days of a monthly series from `first_day` on, `months` of them: each month's day on the
/// same weekday in the same place as the first — its first, second, third or fourth Saturday,
/// say, or its last one when the first day falls on the 29th or later.
pub fn monthly_days(first_day: i64, months: i64) -> Vec<i64> {
    let (year, month, day) = civil_from_days(first_day);
    // 1970-01-01 was a Thursday: (day + 3) mod 7 counts from Monday = 0.
    let weekday = |d: i64| (d + 3).rem_euclid(7);
    let target = weekday(first_day);
    let nth = (day - 1) / 7; // 0 for the first, 4 for "the last"
    (0..months)
        .map(|i| {
            let index = year * 12 + (month - 1) + i;
            let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
            if nth >= 4 {
                let last = days_from_civil(y, m, days_in_month(y, m));
                last - (weekday(last) - target).rem_euclid(7)
            } else {
                let first = days_from_civil(y, m, 1);
                first + (target - weekday(first)).rem_euclid(7) + 7 * nth
            }
        })
        .collect()
}

/// A period of days typed as `YYYY-MM-DD`, each end optional and inclusive: the days (since
/// 1970-01-01) of the ends given, or field errors for dates that are not dates or out of order.
pub fn period(
    v: &mut crate::error::Validation,
    from: &Option<String>,
    to: &Option<String>,
) -> (Option<i64>, Option<i64>) {
    let day =
        |text: &Option<String>| text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(parse_date);
    let (from, to) = (day(from), day(to));
    v.check(!matches!(from, Some(None)), "from", "Enter a date as YYYY-MM-DD.");
    v.check(!matches!(to, Some(None)), "to", "Enter a date as YYYY-MM-DD.");
    let (from, to) = (from.flatten(), to.flatten());
    v.check(from.zip(to).is_none_or(|(from, to)| from <= to), "to", "The end date is before the start date.");
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_series_keep_the_weekday_of_the_month() {
        let dates = |first: &str, months| -> Vec<String> {
            monthly_days(parse_date(first).unwrap_or_default(), months)
                .into_iter()
                .map(|d| date_time_from_unix(d * 86_400).0)
                .collect()
        };
        // Saturday 5 December 2026 is the first Saturday of its month.
        assert_eq!(dates("2026-12-05", 3), ["2026-12-05", "2027-01-02", "2027-02-06"]);
        // Wednesday 16 December 2026 is the third Wednesday.
        assert_eq!(dates("2026-12-16", 3), ["2026-12-16", "2027-01-20", "2027-02-17"]);
        // Tuesday 29 December 2026: from the 29th on, the last Tuesday.
        assert_eq!(dates("2026-12-29", 3), ["2026-12-29", "2027-01-26", "2027-02-23"]);
        // Across a year's end and a leap February.
        assert_eq!(dates("2027-11-22", 4), ["2027-11-22", "2027-12-27", "2028-01-24", "2028-02-28"]);
    }

    #[test]
    fn event_times_read_back_to_the_second() {
        let at = unix_from_date_time("2026-11-27", "18:34").unwrap() + 56;
        assert_eq!(unix_from_rfc3339(&crate::events::rfc3339_from_unix_ms(at * 1000)), Some(at));
        assert_eq!(unix_from_rfc3339("2026-11-27T18:34:56.789Z"), Some(at));
        for bad in ["2026-11-27", "2026-11-27T18:34", "2026-11-27T18:34:6xZ", "2026-11-27T18-34-56Z", ""] {
            assert_eq!(unix_from_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_and_times_round_trip() {
        let at = unix_from_date_time("2026-11-27", "18:34").unwrap();
        assert_eq!(at, 1_795_804_440);
        assert_eq!(date_time_from_unix(at), ("2026-11-27".to_string(), "18:34".to_string()));
        // The date and time an event's timestamp gives, across leap days and the epoch.
        for at in [-60, 0, 951_868_799, 951_868_800, 1_709_164_800, at + 86_399] {
            let text = crate::events::rfc3339_from_unix_ms(at * 1000);
            assert_eq!(date_time_from_unix(at), (text[..10].to_string(), text[11..16].to_string()), "{at}");
        }
        assert_eq!(parse_date("2024-02-29").map(|d| d * 86_400), Some(1_709_164_800));
    }

    #[test]
    fn days_read_with_their_weekday() {
        let day = |date| day_label(parse_date(date).unwrap() * 86_400);
        assert_eq!(day("2026-11-27"), "Fri 27 Nov 2026");
        assert_eq!(day("1970-01-01"), "Thu 1 Jan 1970");
        assert_eq!(day("2024-02-29"), "Thu 29 Feb 2024");
        assert_eq!(day("2000-03-01"), "Wed 1 Mar 2000");
        assert_eq!(day("2030-12-31"), "Tue 31 Dec 2030");
        assert_eq!(day_label(-1), "Wed 31 Dec 1969");
        // Any time in the day reads as that day.
        assert_eq!(day_label(unix_from_date_time("2026-11-29", "23:59").unwrap()), "Sun 29 Nov 2026");
    }

    #[test]
    fn a_span_past_midnight_says_it_ends_the_next_day() {
        let at = |date: &str, time: &str| unix_from_date_time(date, time).unwrap();
        assert_eq!(
            clock_span(at("2026-12-05", "09:00"), at("2026-12-05", "12:00"), "GMT"),
            "09:00–12:00 GMT"
        );
        assert_eq!(
            clock_span(at("2026-12-05", "22:00"), at("2026-12-06", "06:00"), "GMT"),
            "22:00–06:00 GMT (ends next day)"
        );
        assert_eq!(
            clock_span(at("2026-12-05", "23:00"), at("2026-12-06", "00:00"), "GMT"),
            "23:00–00:00 GMT (ends next day)"
        );
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
