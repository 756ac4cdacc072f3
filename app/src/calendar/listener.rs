//! The `calendar` listener (SPEC §3): keeps `calendar_entries` in step with shifts, meetings
//! and ticketed events. An event only says which thing changed; the entry is copied from that
//! thing's own table as it is now (or removed, when it is gone or is a draft), so deliveries
//! that come late, twice or out of order still leave the calendar right.

use crate::bus::{HandlerFuture, Listener};
use crate::db::{Db, Tx};
use crate::events::{Envelope, Event};

use super::Source;

pub const NAME: &str = "calendar";

pub const TOPICS: &[&str] = &[
    "shift.created",
    "shift.updated",
    "shift.deleted",
    "meeting.created",
    "meeting.updated",
    "meeting.deleted",
    "ticketed-event.published",
    "ticketed-event.cancelled",
];

pub fn listener(db: Db) -> Listener {
    Listener::batched(NAME, TOPICS, move |events| -> HandlerFuture {
        let db = db.clone();
        Box::pin(async move { sync_all(&db, &events).await })
    })
}

/// The thing an event is about, if it is on the calendar.
fn subject(event: &Event) -> Option<(Source, &str)> {
    Some(match event {
        Event::ShiftCreated(e) => (Source::Shift, &e.shift_id),
        Event::ShiftUpdated(e) => (Source::Shift, &e.shift_id),
        Event::ShiftDeleted(e) => (Source::Shift, &e.shift_id),
        Event::MeetingCreated(e) => (Source::Meeting, &e.meeting_id),
        Event::MeetingUpdated(e) => (Source::Meeting, &e.meeting_id),
        Event::MeetingDeleted(e) => (Source::Meeting, &e.meeting_id),
        Event::TicketedEventPublished(e) => (Source::TicketedEvent, &e.event_id),
        Event::TicketedEventCancelled(e) => (Source::TicketedEvent, &e.event_id),
        _ => return None,
    })
}

/// Syncs each thing the batch's events are about once, in one transaction.
async fn sync_all(db: &Db, envelopes: &[Envelope]) -> Result<(), String> {
    let mut things: Vec<(Source, String)> = Vec::new();
    for envelope in envelopes {
        let event = envelope.event().map_err(|e| format!("cannot read event {}: {e}", envelope.id))?;
        if let Some((source, id)) = subject(&event)
            && !things.iter().any(|(s, i)| *s == source && i == id)
        {
            things.push((source, id.to_string()));
        }
    }
    // Not synced to disk: the outbox has the events, and syncing again changes nothing.
    let written = async {
        let mut tx = db.begin_write_without_sync().await?;
        for (source, id) in &things {
            sync(&mut tx, *source, id).await?;
        }
        tx.commit().await
    };
    written.await.map_err(|e| e.to_string())
}

/// What an entry is copied from: each source's title, location, times and whether it is
/// cancelled, from its own table (a ticketed event only once published).
fn copy_from(source: Source) -> &'static str {
    match source {
        Source::Shift => {
            "SELECT id, title, location, starts_at, ends_at, \
             CASE WHEN status = 'CANCELLED' THEN 'CANCELLED' ELSE 'ACTIVE' END FROM shifts WHERE id = $2"
        }
        Source::Meeting => {
            "SELECT id, title, location, starts_at, ends_at, 'ACTIVE' FROM meetings WHERE id = $2"
        }
        Source::TicketedEvent => {
            "SELECT id, title, venue, starts_at, ends_at, \
             CASE WHEN status = 'CANCELLED' THEN 'CANCELLED' ELSE 'ACTIVE' END FROM ticketed_events \
             WHERE id = $2 AND status <> 'DRAFT'"
        }
    }
}

/// Makes the entry for `(source, id)` what its thing is now: replaced, or removed when the
/// thing is gone.
pub async fn sync(tx: &mut Tx, source: Source, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM calendar_entries WHERE source = $1 AND source_id = $2")
        .bind(source.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let sql = format!(
        "INSERT INTO calendar_entries (source, source_id, title, location, starts_at, ends_at, status) \
         SELECT $1, c.* FROM ({}) AS c",
        copy_from(source)
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source.as_str()).bind(id).execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalog::samples;

    #[test]
    fn every_calendar_topic_and_only_those_names_a_thing() {
        for event in samples() {
            assert_eq!(subject(&event).is_some(), TOPICS.contains(&event.topic()), "{}", event.topic());
        }
    }
}
