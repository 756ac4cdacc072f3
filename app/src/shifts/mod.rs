//! Volunteer shifts and sign-ups (SPEC §2 "shifts"): the module shape every later module
//! copies — shared types and server functions here, rules in `service.rs`, pages in `ui.rs`.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod emails;
#[cfg(feature = "ssr")]
pub mod group_commit;
#[cfg(feature = "ssr")]
pub mod service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShiftStatus {
    Open,
    Full,
    Cancelled,
}

impl ShiftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftStatus::Open => "OPEN",
            ShiftStatus::Full => "FULL",
            ShiftStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<ShiftStatus> {
        [ShiftStatus::Open, ShiftStatus::Full, ShiftStatus::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignupStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl SignupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupStatus::Confirmed => "CONFIRMED",
            SignupStatus::Waitlisted => "WAITLISTED",
            SignupStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<SignupStatus> {
        [SignupStatus::Confirmed, SignupStatus::Waitlisted, SignupStatus::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Whether a volunteer with a spot came to their shift, as an organiser marked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Attendance {
    Attended,
    NoShow,
}

impl Attendance {
    pub const ALL: [Attendance; 2] = [Attendance::Attended, Attendance::NoShow];

    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Attended => "ATTENDED",
            Attendance::NoShow => "NO_SHOW",
        }
    }

    pub fn parse(text: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The button that marks it.
    pub fn label(self) -> &'static str {
        match self {
            Attendance::Attended => "Came",
            Attendance::NoShow => "Didn't come",
        }
    }
}

/// How a sign-up came in (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignupSource {
    Public,
    Authenticated,
    Admin,
}

impl SignupSource {
    pub const ALL: [SignupSource; 3] =
        [SignupSource::Public, SignupSource::Authenticated, SignupSource::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            SignupSource::Public => "PUBLIC",
            SignupSource::Authenticated => "AUTHENTICATED",
            SignupSource::Admin => "ADMIN",
        }
    }

    pub fn parse(text: &str) -> Option<SignupSource> {
        SignupSource::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How the admin's sign-up list says it.
    pub fn label(self) -> &'static str {
        match self {
            SignupSource::Public => "Sign-up form",
            SignupSource::Authenticated => "Signed in",
            SignupSource::Admin => "Added by an organiser",
        }
    }
}

/// Shift ids as a query or form gave them (`id=…&id=…`): trimmed, blanks left out, each once,
/// in the order given.
pub fn distinct_ids(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty() && seen.insert(id.clone()))
        .collect()
}

/// Whether two spans of time (start, end in Unix seconds) share a moment: one ending as the
/// other starts does not. (`service::overlapping_sql` asks the database the same.)
pub fn overlapping(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A shift as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub id: String,
    pub title: String,
    pub description: String,
    pub location: String,
    /// Unix seconds, UTC.
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub signed_up: i64,
    pub status: ShiftStatus,
    pub is_public: bool,
    /// Set when the shift is one of a weekly series.
    pub series_id: Option<String>,
    /// Where the shift is in the organisation's time zone: seconds east of UTC at its start
    /// and at its end, and the zone's abbreviation at its start ("BST"). Set by the server.
    pub start_offset: i64,
    pub end_offset: i64,
    pub zone_label: String,
    /// How many times its calendar entry changed: the calendar file's SEQUENCE.
    pub revision: i64,
    /// How many times an organiser saved its details (the edit form's check).
    pub edits: i64,
}

impl Shift {
    pub fn spots_left(&self) -> i64 {
        (self.capacity - self.signed_up).max(0)
    }

    /// Its room, as the public lists say it: "2 spots left", or that one would wait.
    pub fn spots_line(&self) -> String {
        match self.spots_left() {
            0 => "Full: signing up joins its waitlist".to_string(),
            n => format!("{} left", crate::ui::count(n, "spot")),
        }
    }

    /// Whether it has ended by `now` (Unix seconds): nobody signs up for it any more.
    pub fn is_over(&self, now: i64) -> bool {
        self.ends_at <= now
    }

    /// Its status for the admin: a finished (`over`) shift is "Over" whatever its last count
    /// was, a cancelled one stays "Cancelled".
    pub fn status_label(&self, over: bool) -> &'static str {
        match self.status {
            ShiftStatus::Cancelled => "Cancelled",
            _ if over => "Over",
            ShiftStatus::Open => "Open",
            ShiftStatus::Full => "Full — waitlist",
        }
    }

    /// Whether it has started by `now` (Unix seconds): who came can be marked.
    pub fn has_started(&self, now: i64) -> bool {
        self.starts_at <= now
    }

    /// The shift as it is once called off (cancelled or deleted): nobody signed up, and a new
    /// revision of its calendar entry.
    pub fn called_off(&self) -> Shift {
        Shift { status: ShiftStatus::Cancelled, signed_up: 0, revision: self.revision + 1, ..self.clone() }
    }

    /// The local date and start time (`YYYY-MM-DD`, `HH:MM`).
    pub fn local_start(&self) -> (String, String) {
        crate::time::date_time_from_unix(self.starts_at + self.start_offset)
    }

    /// The local end time (`HH:MM`).
    pub fn local_end(&self) -> String {
        crate::time::clock(self.ends_at + self.end_offset)
    }

    /// The local day it starts, "Sat 28 Nov 2026".
    pub fn local_day(&self) -> String {
        crate::time::day_label(self.starts_at + self.start_offset)
    }

    /// Whether it ends on the day after it starts, local time: an overnight shift.
    pub fn ends_next_day(&self) -> bool {
        crate::time::ends_next_day(self.starts_at + self.start_offset, self.ends_at + self.end_offset)
    }

    /// "09:00–12:00 GMT" (or "22:00–06:00 GMT (ends next day)"), in the organisation's time zone.
    pub fn times(&self) -> String {
        crate::time::clock_span(
            self.starts_at + self.start_offset,
            self.ends_at + self.end_offset,
            &self.zone_label,
        )
    }

    /// "Sat 28 Nov 2026, 09:00–12:00 GMT", in the organisation's time zone.
    pub fn when(&self) -> String {
        format!("{}, {}", self.local_day(), self.times())
    }

    /// Whether the two are on at some moment together (`overlapping`).
    pub fn overlaps(&self, other: &Shift) -> bool {
        overlapping((self.starts_at, self.ends_at), (other.starts_at, other.ends_at))
    }

    /// `text` followed by " · " and the location, when it has one.
    pub fn with_place(&self, text: String) -> String {
        if self.location.is_empty() { text } else { format!("{text} · {}", self.location) }
    }
}

/// One sign-up as the admin sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub source: String,
    pub status: SignupStatus,
    /// Unix seconds, UTC.
    pub created_at: i64,
    /// The same moment in the organisation's time zone, "2026-11-29 10:46 GMT".
    pub signed_up: String,
    /// Their place on the waitlist (1 is next); `None` when they have a spot.
    pub waitlist_position: Option<i64>,
    /// Whether they came, once marked (for someone with a spot, from the shift's start on).
    pub attendance: Option<Attendance>,
}

/// A page of a shift's sign-ups: confirmed first, then the waitlist in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupPage {
    pub signups: Vec<SignupView>,
    pub page: i64,
    pub has_more: bool,
    /// How many are on the waitlist, on any page.
    pub waiting: i64,
    /// How many with a spot were marked as having come, and as not, on any page.
    pub attended: i64,
    pub no_show: i64,
    /// For each sign-up of the page (by id) whose volunteer (by email) is on other shifts at
    /// the same time, those (`MySignup::clash_label`): a double booking, for the organiser to see
    /// before the day.
    pub elsewhere: std::collections::HashMap<String, Vec<String>>,
}

/// A shift with a page of its sign-ups, for its admin page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftDetail {
    pub shift: Shift,
    pub signups: SignupPage,
    /// The shift has ended: its sign-ups are a record, no longer changed.
    pub over: bool,
    /// The shift has started: who came can be marked.
    pub started: bool,
    /// Email is set up, so a volunteer's email can be sent again.
    pub email_set_up: bool,
}

/// A shift's printed sign-in sheet: everyone with a spot, then the waitlist, in line order;
/// only what the sheet shows (it may be left on a table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInSheet {
    pub shift: Shift,
    pub signed_up: Vec<SheetEntry>,
    pub waiting: Vec<SheetEntry>,
}

/// A line of the sign-in sheet: a name and a phone number (empty when not given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetEntry {
    pub name: String,
    pub phone: String,
}

/// The admin list's status filter for shifts that have ended (not cancelled): not a stored
/// status, the clock decides it.
pub const STATUS_OVER: &str = "OVER";

/// The admin list's filters, as typed in the URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftFilter {
    /// OPEN, FULL, CANCELLED or `STATUS_OVER`.
    pub status: Option<String>,
    /// `YYYY-MM-DD` in the organisation's time zone, inclusive. Without `from`, only shifts
    /// not yet over are listed (unless the status is `STATUS_OVER`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// `public` or `private`.
    pub visibility: Option<String>,
    /// Part of the title.
    pub q: Option<String>,
    #[serde(default)]
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftPage {
    pub shifts: Vec<Shift>,
    pub page: i64,
    pub has_more: bool,
    /// The server's clock when the page was read (Unix seconds): a shift is over if it ended
    /// by then. From the server, so the page hydrates as it was rendered.
    pub now: i64,
}

/// A shift's public page: the shift, whether it is over (as the server's clock says), and the
/// later shifts of its series one can sign up for with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicShift {
    pub shift: Shift,
    pub over: bool,
    pub later_in_series: Vec<LaterShift>,
}

/// A later shift of a series, as the sign-up form lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaterShift {
    /// "Tue 8 Dec 2026, 09:00–12:00 GMT"
    pub when: String,
    /// No spot left: signing up for it joins its waitlist.
    pub full: bool,
    /// Unix seconds, UTC: when it is, to tell a clash.
    pub starts_at: i64,
    pub ends_at: i64,
}

impl LaterShift {
    /// The titles of those of `mine` at the same time as it, "Sorting, Stall".
    pub fn clashes_with(&self, mine: &[MySignup]) -> String {
        let at_once = mine
            .iter()
            .filter(|m| overlapping((self.starts_at, self.ends_at), (m.shift.starts_at, m.shift.ends_at)));
        at_once.map(|m| m.shift.title.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The shifts chosen together on the public list, for the page that signs up for them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChosenShifts {
    /// Those still taking sign-ups, soonest first.
    pub open: Vec<Shift>,
    /// Public ones that no longer do, soonest first, each with why: cancelled or over.
    pub closed: Vec<ClosedShift>,
    /// How many chosen ids are of no public shift: unknown, deleted or made private since.
    pub missing: usize,
    /// The signed-in volunteer's standing on those of `open` they are already on, by shift id:
    /// signing up leaves these as they are.
    pub already: std::collections::HashMap<String, SignupStatus>,
    /// The signed-in volunteer's active sign-ups for other shifts at the same time as any of
    /// `open`, soonest first; none for anyone not signed in.
    pub clashes: Vec<MySignup>,
}

impl ChosenShifts {
    /// What `shift` (one of `open`) is at the same time as: the other chosen shifts ("Leaflet
    /// drop (chosen here too)", or "… (you are signed up)" for one they are on already) and the
    /// volunteer's other sign-ups (`MySignup::clash_label`).
    pub fn clashes_of(&self, shift: &Shift) -> Vec<String> {
        let chosen = self.open.iter().filter(|o| o.id != shift.id && o.overlaps(shift)).map(|o| {
            let standing = match self.already.get(&o.id) {
                Some(SignupStatus::Waitlisted) => "you are on its waitlist",
                Some(_) => "you are signed up",
                None => "chosen here too",
            };
            format!("{} ({standing})", o.title)
        });
        let theirs = self.clashes.iter().filter(|m| m.shift.overlaps(shift)).map(MySignup::clash_label);
        chosen.chain(theirs).collect()
    }

    /// Nothing was chosen at all (as opposed to chosen shifts that no longer take sign-ups).
    pub fn none_chosen(&self) -> bool {
        self.open.is_empty() && self.closed.is_empty() && self.missing == 0
    }
}

/// A chosen shift left out of a sign-up because it no longer takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedShift {
    pub shift: Shift,
    pub reason: ClosedReason,
}

/// Why a shift no longer takes sign-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClosedReason {
    Cancelled,
    Over,
}

impl ClosedReason {
    /// As the chosen page says it: "Cooking, Sat 5 Dec 2026, 11:00–11:30 UTC: cancelled".
    pub fn label(self) -> &'static str {
        match self {
            ClosedReason::Cancelled => "cancelled",
            ClosedReason::Over => "over",
        }
    }
}

/// One of the signed-in volunteer's own sign-ups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MySignup {
    pub signup_id: String,
    pub status: SignupStatus,
    pub shift: Shift,
    /// Their place on the waitlist (1 is next); `None` when they have a spot.
    pub waitlist_position: Option<i64>,
    /// The shift has ended: the sign-up can no longer be cancelled.
    pub over: bool,
}

impl MySignup {
    /// "Signed up" or "On the waitlist, number 2 in line".
    pub fn standing(&self) -> String {
        match self.waitlist_position {
            Some(n) => format!("On the waitlist, number {n} in line"),
            None => "Signed up".to_string(),
        }
    }

    /// "Sorting, Sat 5 Dec 2026, 09:00–12:00 GMT", and " (on its waitlist)" for a place in line:
    /// the sign-up as a clash names it.
    pub fn clash_label(&self) -> String {
        let waiting = if self.waitlist_position.is_some() { " (on its waitlist)" } else { "" };
        format!("{}, {}{waiting}", self.shift.title, self.shift.when())
    }
}

/// For each of `mine` (in its order), the others of `mine` at the same time: what My shifts
/// marks, so that a volunteer sees two places at once before the day.
pub fn clashes_within(mine: &[MySignup]) -> Vec<Vec<&MySignup>> {
    mine.iter()
        .map(|m| mine.iter().filter(|o| o.signup_id != m.signup_id && o.shift.overlaps(&m.shift)).collect())
        .collect()
}

/// The shifts a volunteer has done: those that ended where they had a spot (unless an
/// organiser marked that they did not come), the most recent first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastShifts {
    /// The most recent `PAST_SHIFTS_SHOWN`.
    pub shifts: Vec<Shift>,
    /// How many in all.
    pub total: i64,
    /// Their length together, in seconds.
    pub seconds: i64,
}

impl PastShifts {
    /// "3 shifts, 7.5 hours".
    pub fn summary(&self) -> String {
        shifts_and_hours(self.total, self.seconds)
    }
}

/// "3 shifts, 7.5 hours".
pub fn shifts_and_hours(shifts: i64, seconds: i64) -> String {
    format!("{}, {}", crate::ui::count(shifts, "shift"), hours(seconds))
}

/// A length of time in hours as people write it: "6", "7.5", "0.3".
pub fn hours_figure(seconds: i64) -> String {
    let hours = seconds as f64 / 3600.0;
    if seconds % 3600 == 0 { format!("{hours}") } else { format!("{hours:.1}") }
}

/// "7.5 hours", "1 hour".
pub fn hours(seconds: i64) -> String {
    let figure = hours_figure(seconds);
    let unit = if figure == "1" { "hour" } else { "hours" };
    format!("{figure} {unit}")
}

/// The volunteer hours report's period: shifts starting from `from` to `to` (`YYYY-MM-DD` in
/// the organisation's time zone, inclusive; either may be left out), and the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HoursFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub page: i64,
}

/// One volunteer in the hours report: the shifts of the period they did (as "Shifts you have
/// done" counts them) and those an organiser marked them as not having come to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolunteerHours {
    pub contact_id: String,
    pub name: String,
    pub email: String,
    pub shifts: i64,
    pub seconds: i64,
    pub no_shows: i64,
}

/// A page of the hours report, most hours first, with the whole period's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoursReport {
    pub volunteers: Vec<VolunteerHours>,
    pub page: i64,
    pub has_more: bool,
    /// How many volunteers did at least one shift, how many shifts they did, and their hours.
    pub total_volunteers: i64,
    pub total_shifts: i64,
    pub total_seconds: i64,
}

impl HoursReport {
    /// "4 volunteers did 9 shifts: 21.5 hours."
    pub fn summary(&self) -> String {
        format!(
            "{} did {}: {}.",
            crate::ui::count(self.total_volunteers, "volunteer"),
            crate::ui::count(self.total_shifts, "shift"),
            hours(self.total_seconds)
        )
    }
}

/// How many volunteers a page of the hours report lists.
pub const HOURS_PAGE_SIZE: i64 = 50;

/// How far ahead, and how many, the dashboard's shifts still needing volunteers.
pub const SOON_DAYS: i64 = 7;
pub const SOON_SHOWN: i64 = 10;

/// The dashboard's shifts still needing volunteers: the first `SOON_SHOWN`, and when there
/// are more, the shifts list filtered to show them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoonShifts {
    pub shifts: Vec<Shift>,
    /// `/admin/shifts` with the open shifts of the coming `SOON_DAYS` days.
    pub more: Option<String>,
}

/// How many past shifts "My shifts" lists.
pub const PAST_SHIFTS_SHOWN: i64 = 20;

/// The create/edit form, as typed: dates `YYYY-MM-DD`, times `HH:MM` in the organisation's
/// time zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftForm {
    pub title: String,
    pub description: String,
    pub location: String,
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// Ticked for an overnight shift: the end time is on the day after the date.
    #[serde(default)]
    pub ends_next_day: bool,
    pub capacity: String,
    /// An unticked checkbox sends nothing: absent means private.
    #[serde(default)]
    pub is_public: bool,
    /// Editing: the shift's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the shift since (nothing of theirs is overwritten unseen).
    #[serde(default)]
    pub edits: Option<i64>,
}

/// Repeating a new shift: weekly (the weekdays it falls on, for how many weeks) or monthly
/// (for how many months). No weekday ticked and not monthly means a single shift.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepeatForm {
    #[serde(default)]
    pub mon: bool,
    #[serde(default)]
    pub tue: bool,
    #[serde(default)]
    pub wed: bool,
    #[serde(default)]
    pub thu: bool,
    #[serde(default)]
    pub fri: bool,
    #[serde(default)]
    pub sat: bool,
    #[serde(default)]
    pub sun: bool,
    #[serde(default)]
    pub weeks: String,
    /// Every month on the same weekday of the month as the date (its first Saturday, say).
    #[serde(default)]
    pub monthly: bool,
    #[serde(default)]
    pub months: String,
}

impl RepeatForm {
    /// Monday first.
    pub fn weekdays(&self) -> [bool; 7] {
        [self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun]
    }

    /// Whether it asks for a series (weekly or monthly) rather than one shift.
    pub fn repeats(&self) -> bool {
        self.monthly || self.weekdays().contains(&true)
    }
}

/// Which shifts of a series an edit or a delete applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesScope {
    /// Only this shift.
    #[default]
    This,
    /// This shift and the later ones of its series.
    Following,
    /// Every shift of the series.
    All,
}

/// The public sign-up form. An absent field counts as empty (validation asks for the name and
/// email); a signed-in volunteer's form sends only the phone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    pub name: String,
    pub email: String,
    /// Optional.
    pub phone: String,
}

/// What a volunteer learns after signing up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupReceipt {
    pub signup_id: String,
    pub status: SignupStatus,
    /// The private cancel token: shown once, only its hash is stored.
    pub cancel_token: String,
}

/// How many shifts an organiser is offered at once to move a volunteer to.
pub const MOVE_TARGETS_MAX: usize = 200;

/// The shifts an organiser may move a volunteer to (see `service::move_targets`), and whether
/// more come after the `MOVE_TARGETS_MAX` listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MoveTargets {
    pub shifts: Vec<Shift>,
    pub more: bool,
}

/// Where an organiser moved a volunteer, and whether they wait there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveReceipt {
    pub name: String,
    pub shift_title: String,
    /// "Sat 5 Dec 2026, 09:00–12:00 GMT".
    pub shift_when: String,
    pub waitlisted: bool,
    /// False while email is not set up: the details wait in the queue, and the volunteer's
    /// cancel link from before now cancels the new sign-up.
    pub emailed: bool,
}

pub const TITLE_MAX_CHARS: usize = 200;
pub const TEXT_MAX_CHARS: usize = 5000;
pub const LOCATION_MAX_CHARS: usize = 300;
pub const CAPACITY_MAX: i64 = 10_000;

use leptos::prelude::*;

use crate::error::AppError;
use crate::users::Role;

pub mod ui;

/// Who manages shifts.
pub const MANAGERS: &[Role] = &[Role::SuperAdmin, Role::Admin];

/// When volunteers are reminded of their shift, in hours before it starts, and how the
/// settings page names it; 0 is never.
pub const REMINDER_CHOICES: [(i64, &str); 3] = [(0, "Never"), (24, "A day before"), (48, "Two days before")];
pub const DEFAULT_REMINDER_HOURS: i64 = 24;

#[cfg(feature = "ssr")]
impl From<service::ShiftError> for AppError {
    fn from(err: service::ShiftError) -> AppError {
        use service::ShiftError;
        match err {
            ShiftError::Invalid(errors) => AppError::Invalid(errors),
            ShiftError::NotFound => AppError::NotFound("There is no such shift.".into()),
            ShiftError::Cancelled => AppError::Conflict("This shift has been cancelled.".into()),
            ShiftError::Over => AppError::Conflict("This shift is over.".into()),
            ShiftError::ChangedMeanwhile => AppError::changed_meanwhile("this shift", "Discard your edit"),
            ShiftError::AlreadySignedUp => {
                AppError::invalid("email", "This email is already signed up for this shift.")
            }
            ShiftError::AlreadySignedUpForAll => {
                AppError::invalid("email", "This email is already signed up for each of these shifts.")
            }
            ShiftError::NoneOpen => {
                AppError::Conflict("None of the shifts you chose takes sign-ups any more.".into())
            }
            ShiftError::AlreadyOrClosed => AppError::Conflict(
                "This email is already signed up for some of these shifts, and the others no longer take sign-ups."
                    .into(),
            ),
            ShiftError::NotWaitlisted => {
                AppError::Conflict("Only someone on the waitlist can be promoted.".into())
            }
            ShiftError::NotStarted => {
                AppError::Conflict("Who came can be marked once the shift has started.".into())
            }
            ShiftError::NotConfirmed => {
                AppError::Conflict("Only a volunteer with a spot can be marked as having come.".into())
            }
            ShiftError::CancelLinkInvalid => {
                AppError::NotFound("This cancel link is not valid or has already been used.".into())
            }
            ShiftError::SignupGone => AppError::NotFound(
                "This sign-up is no longer active: it was cancelled, removed or moved meanwhile.".into(),
            ),
            ShiftError::RateLimited(wait) => {
                AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
            }
            ShiftError::EmailNotSetUp => AppError::Conflict(
                "This organisation does not send email yet, so no new links can be sent, and the links you have still work. To cancel without one, ask an organiser."
                    .into(),
            ),
            ShiftError::TryAgain => {
                AppError::Unavailable("Your sign-up could not be saved just now. Please try again.".into())
            }
            ShiftError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// Creates a shift, or a weekly or monthly series when asked; returns what was created.
#[server(prefix = "/api", endpoint = "shifts/create")]
pub async fn create_shift(
    form: ShiftForm,
    #[server(default)] repeat: RepeatForm,
) -> Result<Vec<Shift>, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    if repeat.repeats() {
        Ok(service::create_series(&state.bus, &actor, &form, &repeat).await?)
    } else {
        Ok(vec![service::create(&state.bus, &actor, &form).await?])
    }
}

/// Edits a shift, or its series from it on (`following`) or as a whole (`all`).
#[server(prefix = "/api", endpoint = "shifts/update")]
pub async fn update_shift(
    shift_id: String,
    form: ShiftForm,
    #[server(default)] scope: SeriesScope,
) -> Result<Vec<Shift>, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::update(&state.bus, &actor, &shift_id, &form, scope).await?)
}

/// Deletes a shift (or its series, by scope); returns how many were deleted.
#[server(prefix = "/api", endpoint = "shifts/delete")]
pub async fn delete_shift(
    shift_id: String,
    #[server(default)] scope: SeriesScope,
) -> Result<usize, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::delete(&state.bus, &actor, &shift_id, scope).await?)
}

/// Promotes someone from the waitlist out of turn (adding a spot if the shift is full).
#[server(prefix = "/api", endpoint = "shifts/admin-promote")]
pub async fn admin_promote_signup(signup_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::promote(&state.bus, &crate::events::Actor::User(user.id), &signup_id).await?)
}

/// Upcoming public shifts for the public page, 50 a page (the first without `page`), only
/// those at `place` when given.
#[server(prefix = "/api", endpoint = "shifts/public")]
pub async fn list_public_shifts(page: Option<i64>, place: Option<String>) -> Result<ShiftPage, AppError> {
    let state = crate::state::app_state()?;
    service::upcoming_public(&state.db, crate::db::now_unix(), page.unwrap_or(1), place.as_deref())
        .await
        .map_err(crate::auth::internal)
}

/// The places of the upcoming public shifts, for the public page's "Where" choice.
#[server(prefix = "/api", endpoint = "shifts/public-places")]
pub async fn list_public_places() -> Result<Vec<String>, AppError> {
    let state = crate::state::app_state()?;
    service::public_places(&state.db, crate::db::now_unix()).await.map_err(crate::auth::internal)
}

/// One public shift (private ones are "not found" to the public).
#[server(prefix = "/api", endpoint = "shifts/public-one")]
pub async fn get_public_shift(id: String) -> Result<PublicShift, AppError> {
    let state = crate::state::app_state()?;
    let shift = service::get(&state.db, &id)
        .await
        .map_err(crate::auth::internal)?
        .filter(|s| s.is_public)
        .ok_or_else(|| AppError::NotFound("There is no such shift.".into()))?;
    let now = crate::db::now_unix();
    let over = shift.is_over(now);
    let later_in_series = service::later_in_series(&state.db, &shift, true, now)
        .await
        .map_err(crate::auth::internal)?
        .iter()
        .map(|s| LaterShift {
            when: s.when(),
            full: s.spots_left() <= 0,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    Ok(PublicShift { shift, over, later_in_series })
}

/// The shifts chosen on the public list (`ids`, at most `service::CHOSEN_MAX`): those that
/// still take sign-ups and those left out.
#[server(prefix = "/api", endpoint = "shifts/chosen")]
pub async fn list_chosen_shifts(#[server(default)] ids: Vec<String>) -> Result<ChosenShifts, AppError> {
    let state = crate::state::app_state()?;
    let user = crate::auth::current_user().await?;
    Ok(service::chosen_public(&state.db, &ids, user.as_ref(), crate::db::now_unix()).await?)
}

/// A public sign-up, limited per client IP (one sign-up, `series`, `also` or not). A signed-in
/// user signs up as themselves. With `series`, also for the later shifts of the shift's
/// series; with `also`, for those shifts too (chosen together on the public list).
#[server(prefix = "/api", endpoint = "shifts/sign-up")]
pub async fn sign_up_for_shift(
    shift_id: String,
    #[server(default)] form: SignupForm,
    #[server(default)] series: bool,
    #[server(default)] also: Vec<String>,
) -> Result<SignupReceipt, AppError> {
    let state = crate::state::app_state()?;
    let user = crate::auth::current_user().await?;
    let (form, source, actor, user_id) = match &user {
        Some(u) => (
            SignupForm { name: u.display_name.clone(), email: u.email.clone(), phone: form.phone },
            SignupSource::Authenticated,
            crate::events::Actor::User(u.id.clone()),
            Some(u.id.as_str()),
        ),
        None => (form, SignupSource::Public, crate::events::Actor::System, None),
    };
    let request = service::SignupRequest { shift_id, form, source, user_id: user_id.map(str::to_string) };
    let allowance = crate::rate_limit::Allowance {
        limiter: &state.signup_limiter,
        client_ip: &crate::request::client_ip(),
    };
    if series && !also.is_empty() {
        return Err(AppError::BadRequest("a series and chosen shifts cannot be asked for together".into()));
    }
    let receipt = if series {
        state.signups.sign_up_for_series(&allowance, actor, request).await?
    } else if !also.is_empty() {
        state.signups.sign_up_for_chosen(&allowance, actor, request, &also).await?
    } else {
        state.signups.sign_up(&allowance, actor, request).await?
    };
    crate::request::after_plain_form_post(&format!(
        "/shifts/cancel?token={}&signed_up=1",
        receipt.cancel_token
    ));
    Ok(receipt)
}

/// The sign-up a private cancel link belongs to, so that the cancel page can say what it
/// cancels; "not found" for a wrong or used link.
#[server(prefix = "/api", endpoint = "shifts/by-token")]
pub async fn get_signup_by_token(token: String) -> Result<MySignup, AppError> {
    let state = crate::state::app_state()?;
    service::signup_by_token(&state.db, &token, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| service::ShiftError::CancelLinkInvalid.into())
}

/// How many sign-ups made with a private link's email without an account the signed-in user
/// may add to My shifts: those of their own email (`service::UNLINKED_BY_TOKEN`); 0 for anyone
/// not signed in.
#[server(prefix = "/api", endpoint = "shifts/unlinked-by-token")]
pub async fn unlinked_signups_by_token(token: String) -> Result<i64, AppError> {
    let Some(user) = crate::auth::current_user().await? else {
        return Ok(0);
    };
    let state = crate::state::app_state()?;
    service::unlinked_by_token(&state.db, &token, &user).await.map_err(crate::auth::internal)
}

/// Adds those sign-ups to the signed-in user's My shifts; answers how many (0 when there were
/// none, or they were added before).
#[server(prefix = "/api", endpoint = "shifts/link-by-token")]
pub async fn link_signups_by_token(token: String) -> Result<u64, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    service::link_by_token(&state.db, &token, &user).await.map_err(crate::auth::internal)
}

/// The later shifts someone signed up for together with the sign-up of a private cancel link
/// (see `service::later_signups_by_token`); empty for any other link.
#[server(prefix = "/api", endpoint = "shifts/later-by-token")]
pub async fn get_later_signups_by_token(token: String) -> Result<Vec<MySignup>, AppError> {
    let state = crate::state::app_state()?;
    service::later_signups_by_token(&state.db, &token, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)
}

/// Cancels a sign-up with its private link; needs no account.
#[server(prefix = "/api", endpoint = "shifts/cancel")]
pub async fn cancel_signup(token: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::cancel_by_token(&state.bus, &crate::events::Actor::System, &token).await?;
    crate::request::after_plain_form_post("/shifts/cancel?cancelled=1");
    Ok(())
}

/// The dates a volunteer can switch a sign-up to with its private link (see
/// `service::switch_choices`).
#[server(prefix = "/api", endpoint = "shifts/switch-choices")]
pub async fn get_switch_choices(token: String) -> Result<Vec<Shift>, AppError> {
    let state = crate::state::app_state()?;
    service::switch_choices_by_token(&state.db, &token, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| service::ShiftError::CancelLinkInvalid.into())
}

/// A volunteer switches a sign-up to another date of its series with its private link; the
/// page goes on to the new sign-up's receipt, with its new link.
#[server(prefix = "/api", endpoint = "shifts/switch")]
pub async fn switch_signup(
    token: String,
    #[server(default)] to_shift_id: String,
) -> Result<SignupReceipt, AppError> {
    let state = crate::state::app_state()?;
    let receipt =
        service::switch_by_token(&state.bus, &crate::events::Actor::System, &token, &to_shift_id).await?;
    let receipt_page = format!("/shifts/cancel?token={}&signed_up=1&switched=1", receipt.cancel_token);
    crate::request::after_plain_form_post(&receipt_page);
    Ok(receipt)
}

/// "Lost your link?": emails `email` a new cancel link for each of its sign-ups to shifts
/// still to come. The same answer, after the same time, whether it has any or not.
#[server(prefix = "/api", endpoint = "shifts/email-links")]
pub async fn email_cancel_links(email: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let allowance = crate::rate_limit::Allowance {
        limiter: &state.signup_limiter,
        client_ip: &crate::request::client_ip(),
    };
    let answer_at = tokio::time::Instant::now() + crate::auth::service::EMAILED_LINK_ANSWER_TIME;
    let (db, key, per_address) = (&state.db, &state.secret_key, &state.link_email_limiter);
    service::email_cancel_links(db, key, &allowance, per_address, &email).await?;
    tokio::time::sleep_until(answer_at).await;
    crate::request::after_plain_form_post("/shifts/links?sent=1");
    Ok(())
}

/// The admin list: upcoming first, filtered, a page at a time.
#[server(prefix = "/api", endpoint = "shifts/admin-list")]
pub async fn list_admin_shifts(#[server(default)] filter: ShiftFilter) -> Result<ShiftPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list_admin(&state.db, &filter, crate::db::now_unix()).await?)
}

/// A shift with a page of its sign-ups (those whose name or email contains `q`, if given),
/// for its admin page.
/// A shift's sign-in sheet, with every sign-up (not a page of them).
#[server(prefix = "/api", endpoint = "shifts/sheet")]
pub async fn get_sign_in_sheet(id: String) -> Result<SignInSheet, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::sign_in_sheet(&state.db, &id)
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| AppError::NotFound("There is no such shift.".into()))
}

#[server(prefix = "/api", endpoint = "shifts/admin-one")]
pub async fn get_admin_shift(
    id: String,
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<ShiftDetail, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let shift = service::get(&state.db, &id)
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| AppError::NotFound("There is no such shift.".into()))?;
    let signups = service::signups(&state.db, &id, &q, page).await?;
    let email_set_up = crate::email::service::is_configured(&state.db, &state.secret_key)
        .await
        .map_err(crate::auth::internal)?;
    let now = crate::db::now_unix();
    Ok(ShiftDetail {
        over: shift.is_over(now),
        started: shift.has_started(now),
        shift,
        signups,
        email_set_up,
    })
}

/// An admin marks whether a volunteer with a spot came (`attendance` ATTENDED or NO_SHOW),
/// or clears it (empty), from the shift's start on.
#[server(prefix = "/api", endpoint = "shifts/admin-attendance")]
pub async fn admin_set_attendance(
    signup_id: String,
    #[server(default)] attendance: String,
) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let attendance = match attendance.trim() {
        "" => None,
        text => Some(
            Attendance::parse(text)
                .ok_or_else(|| AppError::invalid("attendance", "Choose whether they came."))?,
        ),
    };
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::set_attendance(&state.bus, &actor, &signup_id, attendance, crate::db::now_unix()).await?)
}

/// An admin adds a volunteer (source ADMIN); a full shift puts them on the waitlist.
#[server(prefix = "/api", endpoint = "shifts/admin-add")]
pub async fn admin_add_signup(
    shift_id: String,
    form: SignupForm,
    #[server(default)] series: bool,
) -> Result<SignupReceipt, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    if series {
        let request = service::SignupRequest { shift_id, form, source: SignupSource::Admin, user_id: None };
        return Ok(service::sign_up_for_series(&state.bus, &actor, request).await?);
    }
    Ok(service::sign_up(&state.bus, &actor, &shift_id, &form, SignupSource::Admin, None).await?)
}

#[server(prefix = "/api", endpoint = "shifts/admin-remove")]
pub async fn admin_remove_signup(signup_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::remove_signup(&state.bus, &crate::events::Actor::User(user.id), &signup_id).await?)
}

/// An organiser emails a volunteer their confirmation again, with a new cancel link; answers
/// the address it went to.
#[server(prefix = "/api", endpoint = "shifts/admin-resend")]
pub async fn admin_resend_confirmation(signup_id: String) -> Result<String, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::resend_confirmation(&state.db, &state.secret_key, &signup_id).await.map_err(|err| match err {
        // The organiser, unlike a volunteer, can set email up.
        service::ShiftError::EmailNotSetUp => AppError::Conflict(
            "Email is not set up yet (Settings), so nothing can be resent. The volunteer's link still works."
                .into(),
        ),
        err => err.into(),
    })
}

/// The shifts a volunteer of this shift can be moved to, from the day `from` on when given
/// (see `service::move_targets`).
#[server(prefix = "/api", endpoint = "shifts/admin-move-targets")]
pub async fn admin_move_targets(
    shift_id: String,
    #[server(default)] from: String,
) -> Result<MoveTargets, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::move_targets(&state.db, &shift_id, &from, crate::db::now_unix()).await?)
}

/// An organiser moves a volunteer to another shift (see `service::move_signup`).
#[server(prefix = "/api", endpoint = "shifts/admin-move")]
pub async fn admin_move_signup(
    signup_id: String,
    #[server(default)] to_shift_id: String,
) -> Result<MoveReceipt, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::move_signup(&state.bus, &state.secret_key, &actor, &signup_id, &to_shift_id).await?)
}

#[server(prefix = "/api", endpoint = "shifts/admin-cancel-shift")]
pub async fn admin_cancel_shift(shift_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::cancel_shift(&state.bus, &crate::events::Actor::User(user.id), &shift_id).await?)
}

/// Emails the volunteers of a shift: everyone signed up or waiting (`to` empty), or only
/// those with a spot (CONFIRMED) or only the waitlist (WAITLISTED); returns how many were
/// queued.
#[server(prefix = "/api", endpoint = "shifts/email-volunteers")]
pub async fn email_shift_volunteers(
    shift_id: String,
    subject: String,
    body: String,
    #[server(default)] to: String,
) -> Result<usize, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let to = match to.trim() {
        "" => None,
        text => Some(
            SignupStatus::parse(text)
                .filter(|s| *s != SignupStatus::Cancelled)
                .ok_or_else(|| AppError::invalid("to", "Choose whom to send it to."))?,
        ),
    };
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::email_volunteers(&state.db, &actor, &shift_id, to, &subject, &body).await?)
}

/// How many hours before a shift its volunteers are reminded (0: never).
#[server(prefix = "/api", endpoint = "shifts/reminders")]
pub async fn get_reminder_hours() -> Result<i64, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::reminder_hours(&state.db).await.map_err(crate::auth::internal)
}

/// Sets when volunteers are reminded of their shifts: `hours` is one of `REMINDER_CHOICES`.
#[server(prefix = "/api", endpoint = "shifts/save-reminders")]
pub async fn save_reminder_hours(#[server(default)] hours: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    // Not a number is refused by the service as any hours not offered are.
    let hours = hours.trim().parse().unwrap_or(-1);
    Ok(service::save_reminder_hours(&state.db, &crate::events::Actor::User(user.id), hours).await?)
}

/// Shifts with spots left starting in the next `SOON_DAYS` days, soonest first (the
/// dashboard).
#[server(prefix = "/api", endpoint = "shifts/needing-volunteers")]
pub async fn shifts_needing_volunteers() -> Result<SoonShifts, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::needing_volunteers(&state.db, crate::db::now_unix()).await.map_err(crate::auth::internal)
}

/// The signed-in user's sign-ups for other shifts at the same time as this one, or as one of
/// the later shifts of its series its page offers with it, for the page to warn of before they
/// sign up; none for someone not signed in.
#[server(prefix = "/api", endpoint = "shifts/my-clashes")]
pub async fn my_clashes(shift_id: String) -> Result<Vec<MySignup>, AppError> {
    let Some(user) = crate::auth::current_user().await? else {
        return Ok(Vec::new());
    };
    let state = crate::state::app_state()?;
    service::clashes_on_page(&state.db, &user.id, &shift_id, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)
}

/// The signed-in user's upcoming sign-ups ("My shifts").
#[server(prefix = "/api", endpoint = "shifts/mine")]
pub async fn my_shifts() -> Result<Vec<MySignup>, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let now = crate::db::now_unix();
    service::signups_of_user(&state.db, &user.id, now, now).await.map_err(crate::auth::internal)
}

/// When the signed-in user's calendar link was made (their organisation's date), if they have one.
#[server(prefix = "/api", endpoint = "shifts/calendar-feed")]
pub async fn get_calendar_feed() -> Result<Option<String>, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    service::calendar_feed_made(&state.db, &user.id).await.map_err(crate::auth::internal)
}

/// Makes the signed-in user a new private calendar link (the old one stops working); answers
/// with its address, shown this once. A browser that sent the form itself is sent back to My
/// shifts with the new link's token, which the page shows through `calendar_feed_link`.
#[server(prefix = "/api", endpoint = "shifts/new-calendar-feed")]
pub async fn new_calendar_feed() -> Result<String, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let token = service::new_calendar_feed(&state.db, &user.id).await.map_err(crate::auth::internal)?;
    crate::request::after_plain_form_post(&format!("/my/shifts?calendar_link={token}#calendar-feed"));
    Ok(calendar_feed_address(&state.public_url, &token))
}

/// The address of the signed-in user's calendar link `token`, when it is their current one
/// (else "not found"): what My shifts shows after the browser made the link by itself.
#[server(prefix = "/api", endpoint = "shifts/calendar-feed-link")]
pub async fn calendar_feed_link(token: String) -> Result<String, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    if !service::is_current_calendar_feed(&state.db, &user.id, &token).await.map_err(crate::auth::internal)? {
        return Err(AppError::NotFound("That calendar link is not your current one.".into()));
    }
    Ok(calendar_feed_address(&state.public_url, &token))
}

#[cfg(feature = "ssr")]
fn calendar_feed_address(public_url: &str, token: &str) -> String {
    format!("{}/api/my/shifts.ics?token={token}", public_url.trim_end_matches('/'))
}

/// The shifts the signed-in user has done ("My shifts").
#[server(prefix = "/api", endpoint = "shifts/mine-past")]
pub async fn my_past_shifts() -> Result<PastShifts, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    service::past_shifts_of_user(&state.db, &user.id, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)
}

/// The volunteer hours report, a page at a time.
#[server(prefix = "/api", endpoint = "shifts/hours")]
pub async fn get_volunteer_hours(#[server(default)] filter: HoursFilter) -> Result<HoursReport, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::volunteer_hours(&state.db, &filter, crate::db::now_unix()).await?)
}

/// Cancels one of the signed-in user's own sign-ups.
#[server(prefix = "/api", endpoint = "shifts/cancel-mine")]
pub async fn cancel_my_signup(signup_id: String) -> Result<(), AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    service::cancel_own(&state.bus, &crate::events::Actor::User(user.id.clone()), &user.id, &signup_id)
        .await?;
    crate::request::after_plain_form_post("/my/shifts");
    Ok(())
}

/// The dates the signed-in user can switch one of their own sign-ups to (see
/// `service::own_switch_choices`).
#[server(prefix = "/api", endpoint = "shifts/my-switch-choices")]
pub async fn get_my_switch_choices(signup_id: String) -> Result<Vec<Shift>, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    service::own_switch_choices(&state.db, &user.id, &signup_id, crate::db::now_unix())
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| service::ShiftError::CancelLinkInvalid.into())
}

/// Switches one of the signed-in user's own sign-ups to another date of its series.
#[server(prefix = "/api", endpoint = "shifts/switch-mine")]
pub async fn switch_my_signup(
    signup_id: String,
    #[server(default)] to_shift_id: String,
) -> Result<SignupReceipt, AppError> {
    let user = crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    let receipt = service::switch_own(&state.bus, &actor, &user.id, &signup_id, &to_shift_id).await?;
    crate::request::after_plain_form_post("/my/shifts");
    Ok(receipt)
}

/// The sign-ups of a shift as CSV (confirmed first, then the waitlist). Cells that a
/// spreadsheet would run as a formula are prefixed with `'`.
pub fn signups_csv(signups: &[SignupView]) -> String {
    let mut out = String::from("name,email,phone,status,source,signed_up_at,attendance\n");
    for s in signups {
        let signed_up_at = crate::events::rfc3339_from_unix_ms(s.created_at * 1000);
        let phone = s.phone.as_deref().unwrap_or("");
        out.push_str(&crate::csv::row(&[
            &s.name,
            &s.email,
            phone,
            s.status.as_str(),
            &s.source,
            &signed_up_at,
            s.attendance.map_or("", Attendance::as_str),
        ]));
    }
    out
}

/// The schedule as CSV, in the admin list's order: local dates and times, as the pages show
/// them (an overnight shift's end date is the day after its date).
pub fn schedule_csv(shifts: &[Shift], now: i64) -> String {
    let mut out = String::from(
        "date,start,end_date,end,time_zone,title,location,capacity,signed_up,status,public,id\n",
    );
    for s in shifts {
        let (date, start) = s.local_start();
        let (end_date, end) = crate::time::date_time_from_unix(s.ends_at + s.end_offset);
        out.push_str(&crate::csv::row(&[
            &date,
            &start,
            &end_date,
            &end,
            &s.zone_label,
            &s.title,
            &s.location,
            &s.capacity.to_string(),
            &s.signed_up.to_string(),
            s.status_label(s.is_over(now)),
            if s.is_public { "yes" } else { "no" },
            &s.id,
        ]));
    }
    out
}

/// The hours report as CSV, most hours first; hours as a decimal number.
pub fn hours_csv(volunteers: &[VolunteerHours]) -> String {
    let mut out = String::from("name,email,shifts,hours,no_shows\n");
    for v in volunteers {
        out.push_str(&crate::csv::row(&[
            &v.name,
            &v.email,
            &v.shifts.to_string(),
            &hours_figure(v.seconds),
            &v.no_shows.to_string(),
        ]));
    }
    out
}

/// The shift as an iCalendar file (RFC 5545) for "Add to calendar". The same UID with a higher
/// SEQUENCE updates the entry a calendar imported before; STATUS says whether it still happens.
pub fn shift_ics(shift: &Shift, now: i64) -> String {
    shifts_ics(&[shift], now)
}

/// Several shifts in one iCalendar file, each entry as `shift_ics` makes it.
pub fn shifts_ics(shifts: &[&Shift], now: i64) -> String {
    let entries: Vec<CalendarEntry> =
        shifts.iter().map(|shift| CalendarEntry { shift, waiting: false, link: None }).collect();
    calendar_ics(&entries, None, now)
}

/// A shift in a calendar: whether its volunteer is only on its waitlist, and a page to open
/// from the calendar entry.
pub struct CalendarEntry<'a> {
    pub shift: &'a Shift,
    pub waiting: bool,
    pub link: Option<String>,
}

/// The public calendar feed: every upcoming public shift, each linking to its sign-up page
/// (`site` is the public address) and saying how many spots are left.
pub fn public_feed_ics(shifts: &[Shift], name: &str, site: &str, now: i64) -> String {
    let described: Vec<Shift> = shifts
        .iter()
        .map(|s| {
            let spots = match s.capacity - s.signed_up {
                n if n <= 0 => "Full: sign up for the waitlist.".to_string(),
                1 => "1 spot left.".to_string(),
                n => format!("{n} spots left."),
            };
            let description =
                if s.description.is_empty() { spots } else { format!("{spots}\n\n{}", s.description) };
            Shift { description, ..s.clone() }
        })
        .collect();
    let entries: Vec<CalendarEntry> = described
        .iter()
        .map(|shift| CalendarEntry {
            shift,
            waiting: false,
            link: Some(format!("{site}/shifts/{}", shift.id)),
        })
        .collect();
    calendar_ics(&entries, Some(name), now)
}

/// A volunteer's calendar feed: each shift they have a spot on, and (marked "Waitlist:",
/// STATUS:TENTATIVE) each they wait for. Calendar apps fetch it again about hourly, so
/// changes, cancellations and new sign-ups follow by themselves.
pub fn calendar_feed_ics(signups: &[MySignup], name: &str, now: i64) -> String {
    calendar_ics(&signup_entries(signups), Some(name), now)
}

/// The calendar file of sign-ups made together (a series, or shifts chosen together), for the
/// receipt's "Add to calendar": entries as in a volunteer's feed, but a file, not a feed.
pub fn signups_ics(signups: &[MySignup], now: i64) -> String {
    calendar_ics(&signup_entries(signups), None, now)
}

fn signup_entries(signups: &[MySignup]) -> Vec<CalendarEntry<'_>> {
    signups
        .iter()
        .map(|s| CalendarEntry { shift: &s.shift, waiting: s.status == SignupStatus::Waitlisted, link: None })
        .collect()
}

/// An iCalendar file of `entries`; a feed has a `name` and asks to be fetched hourly.
fn calendar_ics(entries: &[CalendarEntry], name: Option<&str>, now: i64) -> String {
    let titles: Vec<String> = entries
        .iter()
        .map(|e| if e.waiting { format!("Waitlist: {}", e.shift.title) } else { e.shift.title.clone() })
        .collect();
    let events: Vec<crate::ics::IcsEvent> = entries
        .iter()
        .zip(&titles)
        .map(|(CalendarEntry { shift, waiting, link }, title)| crate::ics::IcsEvent {
            uid: format!("shift-{}@changemaker", shift.id),
            sequence: shift.revision,
            status: match (shift.status, waiting) {
                (ShiftStatus::Cancelled, _) => "CANCELLED",
                (_, true) => "TENTATIVE",
                (_, false) => "CONFIRMED",
            },
            starts_at: shift.starts_at,
            ends_at: shift.ends_at,
            summary: title,
            location: &shift.location,
            description: &shift.description,
            url: link.as_deref(),
        })
        .collect();
    crate::ics::calendar(&events, name, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shift `title` (also its id) from `start` to `end`, hours after 2026-11-28 00:00 UTC.
    fn shift(title: &str, start: i64, end: i64) -> Shift {
        let midnight = 1_795_824_000;
        Shift {
            id: title.into(),
            title: title.into(),
            description: String::new(),
            location: "Hall".into(),
            starts_at: midnight + start * 3600,
            ends_at: midnight + end * 3600,
            capacity: 5,
            signed_up: 0,
            status: ShiftStatus::Open,
            is_public: true,
            series_id: None,
            start_offset: 0,
            end_offset: 0,
            zone_label: "UTC".into(),
            revision: 0,
            edits: 0,
        }
    }

    fn signup(shift: Shift, waitlist_position: Option<i64>) -> MySignup {
        MySignup {
            signup_id: format!("signup of {}", shift.id),
            status: if waitlist_position.is_some() {
                SignupStatus::Waitlisted
            } else {
                SignupStatus::Confirmed
            },
            shift,
            waitlist_position,
            over: false,
        }
    }

    #[test]
    fn shifts_clash_when_they_overlap_not_when_they_touch() {
        let (sorting, leafleting, lunch) =
            (shift("Sorting", 9, 12), shift("Leafleting", 11, 13), shift("Lunch", 12, 14));
        let night = shift("Night", 22, 32);
        let breakfast = shift("Breakfast", 31, 33);
        assert!(sorting.overlaps(&leafleting) && leafleting.overlaps(&sorting));
        assert!(!sorting.overlaps(&lunch) && !lunch.overlaps(&sorting), "one ends as the other starts");
        assert!(night.overlaps(&breakfast), "overnight, until it ends");
        assert!(sorting.overlaps(&shift("Inside", 10, 11)) && shift("Inside", 10, 11).overlaps(&sorting));

        // My shifts: each sign-up with the others at its time.
        let mine = vec![
            signup(sorting.clone(), None),
            signup(leafleting.clone(), Some(2)),
            signup(lunch.clone(), None),
        ];
        let within: Vec<Vec<String>> = clashes_within(&mine)
            .into_iter()
            .map(|c| c.into_iter().map(MySignup::clash_label).collect())
            .collect();
        assert_eq!(within[0], ["Leafleting, Sat 28 Nov 2026, 11:00–13:00 UTC (on its waitlist)"]);
        assert_eq!(
            within[1],
            ["Sorting, Sat 28 Nov 2026, 09:00–12:00 UTC", "Lunch, Sat 28 Nov 2026, 12:00–14:00 UTC"]
        );
        assert_eq!(within[2], ["Leafleting, Sat 28 Nov 2026, 11:00–13:00 UTC (on its waitlist)"]);

        // A later shift of a series names those of hers at its time.
        let later = |start: i64, end: i64| {
            let span = shift("", start, end);
            LaterShift { when: span.when(), full: false, starts_at: span.starts_at, ends_at: span.ends_at }
        };
        assert_eq!(later(10, 11).clashes_with(&mine), "Sorting");
        assert_eq!(later(11, 12).clashes_with(&mine), "Sorting, Leafleting");
        assert_eq!(later(14, 15).clashes_with(&mine), "", "touching the lunch run");

        // Chosen together: the other chosen shifts, how she stands on them, and her other sign-ups.
        let chosen = ChosenShifts {
            open: vec![sorting.clone(), leafleting.clone(), lunch.clone()],
            closed: Vec::new(),
            missing: 0,
            already: [("Lunch".to_string(), SignupStatus::Confirmed)].into(),
            clashes: vec![signup(shift("Stall", 8, 10), Some(1))],
        };
        assert_eq!(
            chosen.clashes_of(&sorting),
            ["Leafleting (chosen here too)", "Stall, Sat 28 Nov 2026, 08:00–10:00 UTC (on its waitlist)"]
        );
        assert_eq!(
            chosen.clashes_of(&leafleting),
            ["Sorting (chosen here too)", "Lunch (you are signed up)"]
        );
        assert_eq!(chosen.clashes_of(&lunch), ["Leafleting (chosen here too)"]);
        let alone = ChosenShifts { open: vec![lunch.clone()], clashes: Vec::new(), ..chosen };
        assert!(alone.clashes_of(&lunch).is_empty());
    }

    #[test]
    fn calendar_file_escapes_and_folds() {
        let shift = Shift {
            title: "Canvass; bring maps, water".into(),
            description: "Line one\nLine two ".repeat(10),
            ..shift("s1", 10, 13)
        };
        let ics = shift_ics(&shift, 1_795_804_476);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("DTSTART:20261128T100000Z\r\n"));
        assert!(ics.contains("DTEND:20261128T130000Z\r\n"));
        assert!(ics.contains("SEQUENCE:0\r\nSTATUS:CONFIRMED\r\n"));
        let called_off = shift_ics(&shift.called_off(), 1_795_804_476);
        assert!(called_off.contains("SEQUENCE:1\r\nSTATUS:CANCELLED\r\n"), "{called_off}");
        assert!(ics.contains("SUMMARY:Canvass\\; bring maps\\, water\r\n"));
        assert!(ics.contains("Line one\\nLine two"));
        assert!(ics.split("\r\n").all(|line| line.len() <= 75), "folded at 75 octets");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn done_shifts_are_summed_up_in_hours() {
        let past = |total, seconds| PastShifts { shifts: Vec::new(), total, seconds }.summary();
        assert_eq!(past(1, 3600), "1 shift, 1 hour");
        assert_eq!(past(3, 27_000), "3 shifts, 7.5 hours");
        assert_eq!(past(2, 6 * 3600), "2 shifts, 6 hours");
        assert_eq!(past(1, 20 * 60), "1 shift, 0.3 hours");
        let report = |total_volunteers, total_shifts, total_seconds| {
            let report = HoursReport {
                volunteers: Vec::new(),
                page: 1,
                has_more: false,
                total_volunteers,
                total_shifts,
                total_seconds,
            };
            report.summary()
        };
        assert_eq!(report(1, 1, 3600), "1 volunteer did 1 shift: 1 hour.");
        assert_eq!(report(4, 9, 77_400), "4 volunteers did 9 shifts: 21.5 hours.");
        assert_eq!(report(0, 0, 0), "0 volunteers did 0 shifts: 0 hours.");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let signups = vec![SignupView {
            id: "1".into(),
            name: "=HYPERLINK(\"x\")".into(),
            email: "a@example.org".into(),
            phone: None,
            source: "PUBLIC".into(),
            status: SignupStatus::Confirmed,
            created_at: 0,
            signed_up: "1970-01-01 00:00 UTC".into(),
            waitlist_position: None,
            attendance: None,
        }];
        let csv = signups_csv(&signups);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.starts_with("\"'=HYPERLINK(\"\"x\"\")\",\"a@example.org\",\"\",\"CONFIRMED\""),
            "{line}"
        );
    }
}
