//! The organisation's time zone (ssr only). Shifts are typed and shown in local time; the
//! server turns the wall-clock times into UTC instants and keeps, with each shift, the offset
//! from UTC it has, so the browser shows local times without a time zone database.

use chrono::{DateTime, LocalResult, Offset, TimeZone};
use chrono_tz::Tz;

/// An IANA time zone, such as `Europe/London`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// `None` for a name that is not in the time zone database.
    pub fn parse(name: &str) -> Option<Zone> {
        name.trim().parse::<Tz>().ok().map(Zone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Every zone's name, as the time zone database lists them.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The instant (Unix seconds) of `secs` after midnight on `day` (days since 1970-01-01),
    /// local time. `None` for a time the clocks skip; of a time that happens twice, the first.
    pub fn instant(&self, day: i64, secs: i64) -> Option<i64> {
        let local = DateTime::from_timestamp(day.checked_mul(86_400)?.checked_add(secs)?, 0)?.naive_utc();
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.timestamp()),
            LocalResult::None => None,
        }
    }

    /// The instant a local day begins (its first hour, if the clocks skip midnight).
    pub fn day_start(&self, day: i64) -> i64 {
        self.instant(day, 0).or_else(|| self.instant(day, 3600)).unwrap_or(day * 86_400)
    }

    /// Seconds east of UTC at an instant, and the zone's abbreviation then ("BST", "CET";
    /// "+03" where the zone has none).
    pub fn offset_at(&self, unix: i64) -> (i64, String) {
        let utc = DateTime::from_timestamp(unix, 0).unwrap_or_default().naive_utc();
        let offset = self.0.offset_from_utc_datetime(&utc);
        (i64::from(offset.fix().local_minus_utc()), offset.to_string())
    }

    /// The local day (days since 1970-01-01) an instant falls on.
    pub fn day_of(&self, unix: i64) -> i64 {
        (unix + self.offset_at(unix).0).div_euclid(86_400)
    }

    /// The local day of quarter hour `quarter_hour` (`unix / 900`), for counts a query groups
    /// by quarter hour (a few thousand rows, however many it counts): the offsets of the time
    /// zones in use, and their changes of summer time, fall on quarter hours, so a quarter hour
    /// is never in two local days (an hour would be, in India).
    pub fn day_of_quarter_hour(&self, quarter_hour: i64) -> i64 {
        self.day_of(quarter_hour * 900)
    }

    /// The local date of an instant, `YYYY-MM-DD`.
    pub fn date(&self, unix: i64) -> String {
        crate::time::date_time_from_unix(unix + self.offset_at(unix).0).0
    }

    /// An instant as admin pages show it: "2026-11-29 10:46 GMT", local time with the zone's
    /// abbreviation then.
    pub fn stamp(&self, unix: i64) -> String {
        let (offset, abbreviation) = self.offset_at(unix);
        let (date, time) = crate::time::date_time_from_unix(unix + offset);
        format!("{date} {time} {abbreviation}")
    }

    /// The instants `[start, end)` of the local days `from` to `to` (days since 1970-01-01,
    /// as `time::period` reads them; either left out): how admin date filters read their From
    /// and To.
    pub fn days(&self, from: Option<i64>, to: Option<i64>) -> (Option<i64>, Option<i64>) {
        (from.map(|day| self.day_start(day)), to.map(|day| self.day_start(day + 1)))
    }

    /// "Sat 12 Dec 2026, 19:00–22:00 EST": a span's day and times, local.
    pub fn span_label(&self, starts_at: i64, ends_at: i64) -> String {
        let day = crate::time::day_label(starts_at + self.offset_at(starts_at).0);
        format!("{day}, {}", self.times_label(starts_at, ends_at))
    }

    /// "19:00–22:00 EST": a span's times, local.
    pub fn times_label(&self, starts_at: i64, ends_at: i64) -> String {
        let (offset, abbreviation) = self.offset_at(starts_at);
        crate::time::clock_span(starts_at + offset, ends_at + self.offset_at(ends_at).0, &abbreviation)
    }

    /// Why a span from `start` to `end` (seconds after local midnight of `day`) cannot be
    /// placed: the clocks skip its start, or its end (the next morning's, for an overnight
    /// one). The form field of that time, and what to say.
    pub fn skipped(&self, day: i64, start: i64, end: i64) -> (&'static str, String) {
        let (field, skipped) =
            if self.instant(day, start).is_none() { ("start_time", start) } else { ("end_time", end) };
        let (date, time) = crate::time::date_time_from_unix(day * 86_400 + skipped);
        (
            field,
            format!("The clocks change in {} on {date} and skip {time}: choose another time.", self.name()),
        )
    }

    /// A span as a form shows it again: the local date, start and end time, and whether it
    /// ends the next day (the form's "Overnight" box).
    pub fn form_times(&self, starts_at: i64, ends_at: i64) -> FormTimes {
        let local = |at: i64| at + self.offset_at(at).0;
        let (date, start_time) = crate::time::date_time_from_unix(local(starts_at));
        FormTimes {
            date,
            start_time,
            end_time: crate::time::clock(local(ends_at)),
            ends_next_day: crate::time::ends_next_day(local(starts_at), local(ends_at)),
        }
    }

    /// Reads a form's local date (`date`, YYYY-MM-DD) and times (`start_time` and `end_time`,
    /// HH:MM, the end later the same day or, `ends_next_day`, the next) into instants, adding
    /// what is wrong to `v`. `what` names the thing in messages ("event"); a new one
    /// (`new_after` given) must start after that instant.
    pub fn read_span(
        &self,
        v: &mut crate::error::Validation,
        (date, start_time, end_time, ends_next_day): (&str, &str, &str, bool),
        what: &str,
        new_after: Option<i64>,
    ) -> Option<(i64, i64)> {
        let day = crate::time::parse_date(date);
        let start = crate::time::parse_time(start_time);
        let end = crate::time::parse_time(end_time);
        v.check(day.is_some(), "date", "Enter a date as YYYY-MM-DD.");
        v.check(start.is_some(), "start_time", "Enter a start time as HH:MM.");
        v.check(end.is_some(), "end_time", "Enter an end time as HH:MM.");
        let (day, start, end) = (day?, start?, end?);
        let end = span_end(v, start, end, ends_next_day, what);
        match (self.instant(day, start), self.instant(day, end)) {
            (Some(starts_at), Some(ends_at)) => {
                let in_past = new_after.is_some_and(|now| starts_at <= now);
                v.check(!in_past, "date", &format!("A new {what} cannot start in the past."));
                Some((starts_at, ends_at))
            }
            _ => {
                let (field, message) = self.skipped(day, start, end);
                v.add(field, &message);
                None
            }
        }
    }
}

/// A span's local date and times as a form holds them.
#[derive(Clone, Debug, PartialEq)]
pub struct FormTimes {
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    pub ends_next_day: bool,
}

/// The end of a span typed as local times, in seconds after midnight of its date: past 24:00
/// when it ends the next day (an overnight shift, a late event). Adds to `v` an end not after
/// the start, with the hint to tick "Overnight", or an overnight span of more than 24 hours.
pub fn span_end(
    v: &mut crate::error::Validation,
    start: i64,
    end: i64,
    ends_next_day: bool,
    what: &str,
) -> i64 {
    if ends_next_day {
        v.check(
            end <= start,
            "end_time",
            &format!(
                "Ending the next day, the {what} lasts at most 24 hours: end it no later than its start time."
            ),
        );
        end + 86_400
    } else {
        v.check(
            end > start,
            "end_time",
            &format!("The {what} must end after it starts. If it goes past midnight, tick \"Overnight\"."),
        );
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_date;

    fn day(date: &str) -> i64 {
        parse_date(date).unwrap_or_default()
    }

    #[test]
    fn local_times_become_instants_across_summer_time() {
        let london = Zone::parse("Europe/London").unwrap_or(Zone::UTC);
        assert_eq!(london.name(), "Europe/London");
        // 09:00 in winter is 09:00 UTC; in summer it is 08:00 UTC.
        let winter = london.instant(day("2026-12-05"), 9 * 3600);
        assert_eq!(winter, Some(day("2026-12-05") * 86_400 + 9 * 3600));
        let summer = london.instant(day("2026-07-04"), 9 * 3600);
        assert_eq!(summer, Some(day("2026-07-04") * 86_400 + 8 * 3600));
        assert_eq!(london.offset_at(summer.unwrap_or_default()), (3600, "BST".to_string()));
        assert_eq!(london.offset_at(winter.unwrap_or_default()), (0, "GMT".to_string()));
    }

    #[test]
    fn a_quarter_hour_is_in_one_local_day_where_an_hour_is_not() {
        let kolkata = Zone::parse("Asia/Kolkata").unwrap_or(Zone::UTC);
        let kathmandu = Zone::parse("Asia/Kathmandu").unwrap_or(Zone::UTC);
        // 00:10 on 5 December in Kolkata (+05:30) is 18:40 UTC on the 4th; the hour it is in
        // began at 23:30 on the 4th there. In Kathmandu (+05:45), 00:05 is 18:20 UTC.
        for (zone, minutes) in [(kolkata, 10), (kathmandu, 5)] {
            let after_midnight = zone.instant(day("2026-12-05"), minutes * 60).unwrap_or_default();
            assert_eq!(zone.day_of_quarter_hour(after_midnight / 900), day("2026-12-05"), "{}", zone.name());
            assert_eq!(
                zone.day_of_quarter_hour(after_midnight / 900 - 1),
                day("2026-12-04"),
                "{}",
                zone.name()
            );
        }
        let after_midnight = kolkata.instant(day("2026-12-05"), 600).unwrap_or_default();
        assert_eq!(kolkata.day_of(after_midnight / 3600 * 3600), day("2026-12-04"), "an hour would not do");
    }

    #[test]
    fn skipped_times_do_not_exist_and_repeated_ones_are_the_first() {
        let london = Zone::parse("Europe/London").unwrap_or(Zone::UTC);
        // The clocks went from 01:00 to 02:00 on 2026-03-29 and back from 02:00 to 01:00 on
        // 2026-10-25.
        assert_eq!(london.instant(day("2026-03-29"), 3600 + 1800), None);
        let twice = london.instant(day("2026-10-25"), 3600 + 1800);
        assert_eq!(twice, Some(day("2026-10-25") * 86_400 + 1800), "01:30 BST, the first of the two");
        assert_eq!(london.day_start(day("2026-10-25")), day("2026-10-25") * 86_400 - 3600);
    }

    #[test]
    fn instants_read_as_the_local_clock_and_day() {
        let auckland = Zone::parse("Pacific/Auckland").unwrap_or(Zone::UTC);
        // 20:30 UTC on 29 November is 09:30 the next morning in Auckland (NZDT, +13).
        let at = day("2026-11-29") * 86_400 + 20 * 3600 + 1800;
        assert_eq!(auckland.stamp(at), "2026-11-30 09:30 NZDT");
        assert_eq!(auckland.date(at), "2026-11-30");
        assert_eq!(auckland.day_of(at), day("2026-11-30"));
        assert_eq!(Zone::UTC.stamp(at), "2026-11-29 20:30 UTC");
        // A day filter runs from local midnight to the next local midnight.
        let (from, to) = auckland.days(Some(day("2026-11-30")), Some(day("2026-11-30")));
        assert_eq!(from, Some(day("2026-11-29") * 86_400 + 11 * 3600));
        assert_eq!(to, Some(day("2026-11-30") * 86_400 + 11 * 3600));
        assert_eq!(auckland.days(None, None), (None, None));
    }

    #[test]
    fn only_known_zones_are_accepted() {
        for bad in ["", "Mars/Olympus", "Europe/london x", "GMT+25"] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
        assert_eq!(Zone::parse(" UTC "), Some(Zone::UTC));
    }
}
