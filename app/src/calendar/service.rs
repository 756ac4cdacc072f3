//! Reading the calendar (ssr only): a month's entries, by local day.

use sqlx::Row;

use super::{CalendarDay, CalendarEntry, CalendarFilter, CalendarMonth, MONTH_MAX_ENTRIES, Source};
use crate::db::Db;
use crate::error::FieldError;
use crate::settings;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid calendar filter")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `YYYY-MM` → (year, month 1–12), for years 1970 to 9999.
fn parse_month(text: &str) -> Option<(i64, i64)> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let (year, month) = (year.parse::<i64>().ok()?, month.parse::<i64>().ok()?);
    ((1970..=9999).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// The month after (`step` 1) or before (-1) `(year, month)`, as `YYYY-MM`.
fn month_step((year, month): (i64, i64), step: i64) -> String {
    let index = year * 12 + (month - 1) + step;
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// The entries starting in a month (local), by day, soonest first; this month when none is
/// asked for. Every entry lasts one day at most (shifts, meetings and events end the day they
/// start), so each belongs to the day it starts.
pub async fn month(db: &Db, filter: &CalendarFilter, now: i64) -> Result<CalendarMonth, CalendarError> {
    let zone = settings::time_zone(db).await?;
    let invalid = |field: &str, message: &str| CalendarError::Invalid(FieldError::only(field, message));
    let typed = filter.month.trim();
    let asked = if typed.is_empty() { zone.date(now)[..7].to_string() } else { typed.to_string() };
    let (year, month) = parse_month(&asked).ok_or_else(|| invalid("month", "Choose a month as YYYY-MM."))?;
    let source = match filter.source.trim() {
        "" => None,
        text => {
            Some(Source::parse(text).ok_or_else(|| invalid("source", "Choose shifts, meetings or events."))?)
        }
    };
    let first_day =
        |text: &str| crate::time::parse_date(&format!("{text}-01")).map(|day| zone.day_start(day));
    let (Some(start), Some(end)) = (first_day(&asked), first_day(&month_step((year, month), 1))) else {
        return Err(invalid("month", "Choose a month as YYYY-MM."));
    };
    // `start` and `end` are the server's own numbers, not something typed.
    let mut sql = format!(
        "SELECT source, source_id, title, location, starts_at, ends_at, status FROM calendar_entries \
         WHERE starts_at >= {start} AND starts_at < {end}"
    );
    if source.is_some() {
        sql.push_str(" AND source = $1");
    }
    sql.push_str(&format!(" ORDER BY starts_at, title, source_id LIMIT {}", MONTH_MAX_ENTRIES + 1));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(source) = source {
        query = query.bind(source.as_str());
    }
    let mut rows = query.fetch_all(db.pool()).await?;
    let truncated = rows.len() > MONTH_MAX_ENTRIES;
    rows.truncate(MONTH_MAX_ENTRIES);
    let today = zone.day_of(now);
    let mut days: Vec<(i64, CalendarDay)> = Vec::new();
    for row in rows {
        let (starts_at, ends_at): (i64, i64) = (row.try_get("starts_at")?, row.try_get("ends_at")?);
        let (source_text, id, status): (String, String, String) =
            (row.try_get("source")?, row.try_get("source_id")?, row.try_get("status")?);
        let source = Source::parse(&source_text).unwrap_or(Source::Shift);
        let entry = CalendarEntry {
            source,
            title: row.try_get("title")?,
            location: row.try_get("location")?,
            time: zone.times_label(starts_at, ends_at),
            cancelled: status == "CANCELLED",
            href: source.admin_path(&id),
        };
        let day = zone.day_of(starts_at);
        match days.last_mut() {
            Some((last, shown)) if *last == day => shown.entries.push(entry),
            _ => days.push((
                day,
                CalendarDay {
                    label: crate::time::day_label(starts_at + zone.offset_at(starts_at).0),
                    is_today: day == today,
                    entries: vec![entry],
                },
            )),
        }
    }
    Ok(CalendarMonth {
        label: format!("{} {year}", MONTH_NAMES[(month - 1) as usize]),
        previous: month_step((year, month), -1),
        next: month_step((year, month), 1),
        month: asked,
        days: days.into_iter().map(|(_, day)| day).collect(),
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_and_stepped_across_years() {
        assert_eq!(parse_month("2026-12"), Some((2026, 12)));
        for bad in ["", "2026-13", "2026-00", "26-12", "2026-1", "2026/12", "abcd-ef", "1969-12"] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
        assert_eq!(month_step((2026, 12), 1), "2027-01");
        assert_eq!(month_step((2027, 1), -1), "2026-12");
        assert_eq!(month_step((2026, 6), 1), "2026-07");
    }
}
