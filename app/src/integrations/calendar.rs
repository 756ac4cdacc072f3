//! The public calendar (ssr only, SPEC §3, Gancio): each public shift, and each published
//! ticketed event, is an entry on the group's Gancio calendar. The `public-calendar` listener
//! keeps entries in step as things change; `start_adding_upcoming_shifts` adds the shifts that
//! were there before the calendar was turned on.
//!
//! A shift's entry is made from the shift as it is when it is synced, not from an event, so
//! deliveries that come late, twice or out of order still leave the calendar right. A ticketed
//! event's entry is made from its event (that module keeps no table yet).

use sqlx::Row;

use super::service::{self, CalendarTarget};
use crate::db::Db;
use crate::events::Actor;
use crate::events::catalog::TicketedEventPublished;
use crate::jobs::JobResult;
use crate::jobs::service::Progress;
use crate::secrets::{ExposeSecret, SecretKey};
use crate::shifts::{Shift, ShiftStatus};

/// What an entry comes from, as `public_calendar_entries.source` names it.
const SHIFT: &str = "SHIFT";
pub const TICKETED_EVENT: &str = "TICKETED_EVENT";

/// The place Gancio is given when a shift has no location (it needs one).
const NO_PLACE: &str = "Place to be announced";

/// What the service is called in a delivery's error.
const SERVICE: &str = "the calendar";

/// One sync at a time in this process: the listener and the job adding upcoming shifts could
/// otherwise both find a shift without an entry and both add one.
static SYNCING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An entry as the calendar takes it.
#[derive(Debug, PartialEq)]
pub struct Entry {
    title: String,
    /// HTML (Gancio sanitises it).
    description: String,
    place: String,
    /// Unix seconds; `None` when the event's time could not be read.
    starts_at: Option<i64>,
    ends_at: Option<i64>,
}

impl Entry {
    /// A published ticketed event's entry.
    pub fn of_ticketed_event(event: &TicketedEventPublished, public_url: &str) -> Entry {
        Entry {
            title: event.title.clone(),
            description: link_paragraph(&format!("{public_url}{}", event.url_path), "Tickets"),
            place: event.venue.clone(),
            starts_at: crate::time::unix_from_rfc3339(&event.starts_at),
            ends_at: crate::time::unix_from_rfc3339(&event.ends_at),
        }
    }

    /// The shift's entry, or `None` when it should not be on a public calendar.
    pub fn of_shift(shift: &Shift, public_url: &str) -> Option<Entry> {
        if !shift.is_public || shift.status == ShiftStatus::Cancelled {
            return None;
        }
        let mut description = String::new();
        let text = shift.description.replace("\r\n", "\n");
        for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            description.push_str(&format!("<p>{}</p>", escape_html(paragraph).replace('\n', "<br>")));
        }
        let sign_up = format!("{public_url}/shifts/{}", shift.id);
        description.push_str(&link_paragraph(&sign_up, "Sign up to volunteer"));
        Some(Entry {
            title: shift.title.clone(),
            description,
            place: shift.location.clone(),
            starts_at: Some(shift.starts_at),
            ends_at: Some(shift.ends_at),
        })
    }

    /// Gancio's form fields: a place needs a name and an address, so the place is both.
    fn fields(&self) -> Result<Vec<(&'static str, String)>, String> {
        let starts_at = self.starts_at.ok_or("the event's start time could not be read")?;
        let place = if self.place.trim().is_empty() { NO_PLACE } else { self.place.trim() };
        let mut fields = vec![
            ("title", self.title.clone()),
            ("description", self.description.clone()),
            ("place_name", place.to_string()),
            ("place_address", place.to_string()),
            ("start_datetime", starts_at.to_string()),
        ];
        if let Some(ends_at) = self.ends_at {
            fields.push(("end_datetime", ends_at.to_string()));
        }
        Ok(fields)
    }
}

/// The calendar's API, and where its entries' ids are remembered.
pub struct Calendar<'a> {
    pub db: &'a Db,
    pub http: &'a reqwest::Client,
    pub target: &'a CalendarTarget,
}

impl Calendar<'_> {
    /// Makes the calendar show the shift as it is now: its entry added, updated or removed.
    pub async fn sync_shift(&self, shift_id: &str, public_url: &str) -> Result<(), String> {
        let shift = crate::shifts::service::get(self.db, shift_id).await.map_err(|e| e.to_string())?;
        let entry = shift.and_then(|shift| Entry::of_shift(&shift, public_url));
        self.sync(SHIFT, shift_id, entry).await
    }

    /// Makes the calendar hold `entry` for `source_id`, or nothing when it is `None`.
    pub async fn sync(&self, source: &str, source_id: &str, entry: Option<Entry>) -> Result<(), String> {
        let _one_at_a_time = SYNCING.lock().await;
        let known = service::calendar_entry(self.db, source, source_id).await.map_err(|e| e.to_string())?;
        match (entry, known) {
            (Some(entry), Some(calendar_id)) => {
                let mut fields = entry.fields()?;
                fields.push(("id", calendar_id.to_string()));
                let sent = self.request(reqwest::Method::PUT, "/api/event").form(&fields).send().await;
                let response = super::http::answer(sent, SERVICE)?;
                // Removed on the calendar by hand: put it back.
                if response.status() == reqwest::StatusCode::NOT_FOUND {
                    return self.add(source, source_id, &entry).await;
                }
                super::http::success(response, SERVICE).map(|_| ())
            }
            (Some(entry), None) => self.add(source, source_id, &entry).await,
            (None, Some(calendar_id)) => {
                let path = format!("/api/event/{calendar_id}");
                let sent = self.request(reqwest::Method::DELETE, &path).send().await;
                let response = super::http::answer(sent, SERVICE)?;
                if response.status() != reqwest::StatusCode::NOT_FOUND {
                    super::http::success(response, SERVICE)?;
                }
                service::forget_calendar_entry(self.db, source, source_id).await.map_err(|e| e.to_string())
            }
            (None, None) => Ok(()),
        }
    }

    /// Adds the entry and remembers the id the calendar gave it. Should the process stop
    /// between the two, the delivery is made again and the calendar gets a second entry: the
    /// API takes no idempotency key.
    async fn add(&self, source: &str, source_id: &str, entry: &Entry) -> Result<(), String> {
        let sent = self.request(reqwest::Method::POST, "/api/event").form(&entry.fields()?).send().await;
        let response = super::http::success(super::http::answer(sent, SERVICE)?, SERVICE)?;
        #[derive(serde::Deserialize)]
        struct Added {
            id: i64,
        }
        let added: Added = response
            .json()
            .await
            .map_err(|e| format!("{SERVICE} answered without an entry id: {}", e.without_url()))?;
        service::remember_calendar_entry(self.db, source, source_id, added.id)
            .await
            .map_err(|e| e.to_string())
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.target.base_url))
            .bearer_auth(self.target.token.expose_secret())
    }
}

fn link_paragraph(url: &str, text: &str) -> String {
    format!("<p><a href=\"{}\">{text}</a></p>", escape_html(url))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Starts a background job adding every upcoming public shift that has no entry yet (those
/// from before the calendar was turned on); answers with the job's id. Stops at the first
/// failure, since the calendar is then most likely down: what was added stays, and running
/// it again adds the rest.
pub async fn start_adding_upcoming_shifts(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    public_url: &str,
) -> Result<String, AddError> {
    let settings = service::load_public_calendar(db, key).await?;
    let target = settings.public_calendar_target().ok_or(AddError::NotSetUp)?;
    let ids: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM shifts WHERE {} \
         AND id NOT IN (SELECT source_id FROM public_calendar_entries WHERE source = $2) \
         ORDER BY starts_at, id",
        crate::shifts::service::UPCOMING_PUBLIC
    )))
    .bind(crate::db::now_unix())
    .bind(SHIFT)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| row.try_get("id"))
    .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err(AddError::NothingToAdd);
    }
    let (db_for_job, public_url) = (db.clone(), public_url.to_string());
    let total = ids.len() as i64;
    let id = crate::jobs::service::spawn(db, "public-calendar", total, actor, move |progress| async move {
        add_shifts(&db_for_job, &target, &public_url, &ids, progress).await
    })
    .await?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("Turn the public calendar on and save its address and token first.")]
    NotSetUp,
    #[error("Every upcoming public shift is on the calendar already.")]
    NothingToAdd,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

async fn add_shifts(
    db: &Db,
    target: &CalendarTarget,
    public_url: &str,
    ids: &[String],
    progress: Progress,
) -> Result<JobResult, sqlx::Error> {
    let http = super::http::client();
    let calendar = Calendar { db, http: &http, target };
    let mut added = 0;
    let mut stopped = None;
    for id in ids {
        if let Err(e) = calendar.sync_shift(id, public_url).await {
            stopped = Some(e);
            break;
        }
        added += 1;
        progress.set(added).await?;
    }
    Ok(super::http::adding_result(added, ("shift", "shifts"), "the calendar", stopped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift() -> Shift {
        Shift {
            id: "s1".into(),
            title: "Food bank".into(),
            description: "Sorting <tins> & packing.\r\nBring gloves.\r\n\r\nTea provided.".into(),
            location: "Hall, 1 High St".into(),
            starts_at: 1_800_000_000,
            ends_at: 1_800_007_200,
            capacity: 10,
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

    #[test]
    fn a_public_shift_is_an_entry_with_its_sign_up_link_and_escaped_text() {
        let entry = Entry::of_shift(&shift(), "https://act.example.org").unwrap();
        assert_eq!(
            entry.description,
            "<p>Sorting &lt;tins&gt; &amp; packing.<br>Bring gloves.</p><p>Tea provided.</p>\
             <p><a href=\"https://act.example.org/shifts/s1\">Sign up to volunteer</a></p>"
        );
        let fields = entry.fields().unwrap();
        let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(field("title"), Some("Food bank"));
        assert_eq!(field("place_name"), Some("Hall, 1 High St"));
        assert_eq!(field("place_address"), Some("Hall, 1 High St"));
        assert_eq!(field("start_datetime"), Some("1800000000"));
        assert_eq!(field("end_datetime"), Some("1800007200"));
    }

    #[test]
    fn private_and_cancelled_shifts_are_not_on_the_calendar() {
        let private = Shift { is_public: false, ..shift() };
        assert_eq!(Entry::of_shift(&private, ""), None);
        let cancelled = Shift { status: ShiftStatus::Cancelled, ..shift() };
        assert_eq!(Entry::of_shift(&cancelled, ""), None);
        let full = Shift { status: ShiftStatus::Full, ..shift() };
        assert!(Entry::of_shift(&full, "").is_some(), "a full shift is still happening");
    }

    #[test]
    fn a_shift_without_a_location_still_has_a_place() {
        let nowhere = Shift { location: " ".into(), ..shift() };
        let fields = Entry::of_shift(&nowhere, "").unwrap().fields().unwrap();
        assert!(fields.contains(&("place_name", NO_PLACE.to_string())));
        let unreadable = Entry { starts_at: None, ..Entry::of_shift(&shift(), "").unwrap() };
        assert!(unreadable.fields().is_err());
    }
}
