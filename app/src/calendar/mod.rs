//! The unified calendar (SPEC §3 "calendar"): shifts, meetings and published ticketed events
//! on one admin calendar, a month at a time. The `calendar` listener (`listener.rs`) keeps its
//! entries in step with the three modules' events; `service.rs` reads a month; `ui.rs` shows it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod listener;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who sees the calendar: those who run shifts, meetings or ticketed events.
pub const VIEWERS: &[Role] = &[Role::Admin, Role::EventsAdmin];

/// The most entries a month shows; past it, the page asks for a narrower filter.
pub const MONTH_MAX_ENTRIES: usize = 1_000;

/// What a calendar entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    Shift,
    Meeting,
    TicketedEvent,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Shift, Source::Meeting, Source::TicketedEvent];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Shift => "SHIFT",
            Source::Meeting => "MEETING",
            Source::TicketedEvent => "TICKETED_EVENT",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Shift => "Shift",
            Source::Meeting => "Meeting",
            Source::TicketedEvent => "Ticketed event",
        }
    }

    /// The admin page of the thing an entry stands for.
    pub fn admin_path(self, id: &str) -> String {
        match self {
            Source::Shift => format!("/admin/shifts/{id}"),
            Source::Meeting => format!("/admin/meetings/{id}"),
            Source::TicketedEvent => format!("/admin/ticketed-events/{id}"),
        }
    }
}

/// One entry of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub source: Source,
    pub title: String,
    pub location: String,
    /// "18:00–19:30 EST".
    pub time: String,
    pub cancelled: bool,
    pub href: String,
}

/// A day with entries, in the organisation's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// "Tue 8 Dec 2026".
    pub label: String,
    pub is_today: bool,
    pub entries: Vec<CalendarEntry>,
}

/// A month of the calendar: its days with entries, and the months either side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// "December 2026".
    pub label: String,
    pub previous: String,
    pub next: String,
    pub days: Vec<CalendarDay>,
    /// More entries than `MONTH_MAX_ENTRIES`: only the first are shown.
    pub truncated: bool,
}

/// The month asked for (`YYYY-MM`; empty for this month) and the kind of entry (empty for all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarFilter {
    pub month: String,
    pub source: String,
}

#[cfg(feature = "ssr")]
impl From<service::CalendarError> for AppError {
    fn from(err: service::CalendarError) -> AppError {
        match err {
            service::CalendarError::Invalid(errors) => AppError::Invalid(errors),
            service::CalendarError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// The longest a read waits for the calendar listener to take in an event the page saw.
#[cfg(feature = "ssr")]
const CATCH_UP_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The month's entries. `after_event` (0: none) is the outbox position of an event the page
/// saw on the stream: the entries are read once the `calendar` listener has taken it in (it
/// keeps them), or after `CATCH_UP_LIMIT`.
#[server(prefix = "/api", endpoint = "calendar/month")]
pub async fn load_calendar_month(
    #[server(default)] filter: CalendarFilter,
    #[server(default)] after_event: i64,
) -> Result<CalendarMonth, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    if after_event > 0 {
        crate::bus::caught_up(&state.db, listener::NAME, after_event, CATCH_UP_LIMIT)
            .await
            .map_err(crate::auth::internal)?;
    }
    Ok(service::month(&state.db, &filter, crate::db::now_unix()).await?)
}
