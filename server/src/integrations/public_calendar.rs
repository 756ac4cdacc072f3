//! The public calendar listener (SPEC §3, Gancio): keeps every public shift, and every
//! published ticketed event, as an entry on the group's Gancio calendar
//! (`app::integrations::calendar`). Off until it has the calendar's address and an access
//! token and is turned on.

use std::sync::Arc;

use app::bus::{GuardFuture, HandlerFuture, Listener};
use app::db::Db;
use app::events::Event;
use app::integrations::calendar::{Calendar, Entry, TICKETED_EVENT};
use app::integrations::service;
use app::secrets::SecretKey;

pub const NAME: &str = "public-calendar";

pub const TOPICS: &[&str] = &[
    "shift.created",
    "shift.updated",
    "shift.deleted",
    "ticketed-event.published",
    "ticketed-event.cancelled",
];

pub fn listener(db: Db, key: Arc<SecretKey>, public_url: String) -> Listener {
    let http = app::integrations::http::client();
    let guard_db = db.clone();
    let guard_key = key.clone();
    Listener::new(NAME, TOPICS, move |envelope| -> HandlerFuture {
        let (db, key, http, public_url) = (db.clone(), key.clone(), http.clone(), public_url.clone());
        Box::pin(async move {
            let settings = service::load_public_calendar(&db, &key).await.map_err(|e| e.to_string())?;
            // Turned off since the guard looked: nothing to keep in step.
            let Some(target) = settings.public_calendar_target() else { return Ok(()) };
            // An event this version cannot read changes nothing on the calendar.
            let Ok(event) = envelope.event() else { return Ok(()) };
            let calendar = Calendar { db: &db, http: &http, target: &target };
            match event {
                Event::ShiftCreated(e) => calendar.sync_shift(&e.shift_id, &public_url).await,
                Event::ShiftUpdated(e) => calendar.sync_shift(&e.shift_id, &public_url).await,
                Event::ShiftDeleted(e) => calendar.sync_shift(&e.shift_id, &public_url).await,
                Event::TicketedEventPublished(e) => {
                    calendar
                        .sync(TICKETED_EVENT, &e.event_id, Some(Entry::of_ticketed_event(&e, &public_url)))
                        .await
                }
                Event::TicketedEventCancelled(e) => calendar.sync(TICKETED_EVENT, &e.event_id, None).await,
                _ => Ok(()),
            }
        })
    })
    .with_guard(move || -> GuardFuture {
        let (db, key) = (guard_db.clone(), guard_key.clone());
        Box::pin(async move {
            let settings = service::load_public_calendar(&db, &key).await.map_err(|e| e.to_string())?;
            Ok(settings.public_calendar_target().is_some())
        })
    })
}
