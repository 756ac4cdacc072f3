//! The CRM-activity listener (SPEC §3): writes a row on a contact's timeline for every event
//! that says something about them, with the points the engagement score adds up. A durable
//! listener; the event id makes a second delivery a no-op.

use crate::bus::{HandlerFuture, Listener};
use crate::db::{self, Db, Tx};
use crate::events::{Envelope, Event};
use crate::payments::format_cents;

pub const NAME: &str = "crm-activity";

/// The topics the timeline records (SPEC §3, "CRM activity").
pub const TOPICS: &[&str] = &[
    "donation.completed",
    "subscription.activated",
    "product.purchased",
    "ticket.purchased",
    "shift.signup.created",
    "canvass.visit.recorded",
    "campaign.email.sent",
    "response.submitted",
    "video.viewed",
    "sms.message.received",
    "newsletter.email.opened",
];

pub fn listener(db: Db) -> Listener {
    Listener::batched(NAME, TOPICS, move |events| -> HandlerFuture {
        let db = db.clone();
        Box::pin(async move { record_all(&db, &events).await })
    })
}

/// Who an event is about: a contact id, or an email to find the contact by.
enum Subject {
    Contact(String),
    Email(String),
}

/// A timeline row for an event: who it is about, what happened, the engagement points.
/// `None` for an event about nobody in particular (an anonymous video view).
fn activity_for(event: &Event) -> Option<(Subject, String, i64)> {
    let contact = |id: &Option<String>| id.clone().map(Subject::Contact);
    let (subject, summary, points) = match event {
        Event::DonationCompleted(e) => {
            let how = if e.recurring { " monthly" } else { "" };
            (contact(&e.contact_id)?, format!("Donated {}{how}", format_cents(e.amount_cents)), 50)
        }
        Event::SubscriptionActivated(e) => (
            contact(&e.contact_id)?,
            format!("Joined {} ({} a {})", e.plan_name, format_cents(e.amount_cents), e.interval),
            40,
        ),
        Event::ProductPurchased(e) => (
            contact(&e.contact_id)?,
            format!("Bought {} × {} ({})", e.quantity, e.product_name, format_cents(e.amount_cents)),
            30,
        ),
        Event::TicketPurchased(e) => (
            contact(&e.contact_id)?,
            format!("Got {} × {} ticket for {}", e.quantity, e.tier_name, e.event_title),
            30,
        ),
        Event::ShiftSignupCreated(e) => {
            let how = if e.promoted {
                " (promoted from the waitlist)"
            } else if e.waitlisted {
                " (waitlist)"
            } else {
                ""
            };
            // A move is the same commitment on another shift: on the timeline, with no new points.
            let (summary, points) = match &e.moved_from {
                Some(from) if from.title == e.shift_title => {
                    (format!("Moved to another date of {}{how}", e.shift_title), 0)
                }
                Some(from) => (format!("Moved from {} to {}{how}", from.title, e.shift_title), 0),
                None => (format!("Signed up for {}{how}", e.shift_title), 20),
            };
            (contact(&e.contact_id)?, summary, points)
        }
        Event::CanvassVisitRecorded(e) => {
            (contact(&e.contact_id)?, format!("Canvass visit: {}", e.outcome.to_lowercase()), 15)
        }
        Event::CampaignEmailSent(e) => (
            contact(&e.contact_id).unwrap_or_else(|| Subject::Email(e.supporter_email.clone())),
            format!("Emailed their representative: {}", e.campaign_title),
            10,
        ),
        Event::ResponseSubmitted(e) => (
            contact(&e.contact_id)?,
            format!("Response from {} to {}", e.representative_name, e.campaign_title),
            10,
        ),
        Event::VideoViewed(e) => (contact(&e.contact_id)?, format!("Watched {}", e.title), 3),
        Event::SmsMessageReceived(e) => {
            (contact(&e.contact_id)?, format!("Sent a text message ({})", e.sentiment.to_lowercase()), 5)
        }
        Event::NewsletterEmailOpened(e) => (
            contact(&e.contact_id).unwrap_or_else(|| Subject::Email(e.subscriber_email.clone())),
            "Opened a newsletter".to_string(),
            1,
        ),
        _ => return None,
    };
    Some((subject, summary, points))
}

/// A timeline row to write, before its contact is looked up.
struct Row {
    event_id: String,
    topic: String,
    summary: String,
    points: i64,
    occurred_at: i64,
    /// The event's place in the outbox: orders what happened within one second.
    seq: i64,
    /// The contact's id or email, as `match_on` says.
    contact: String,
}

/// Writes the batch's timeline rows, once per event id: one statement for the events that
/// name their contact by id, one for those that name an email. An event about a contact
/// that no longer exists (merged or deleted since), whose data was erased, or an email no
/// contact has writes nothing.
async fn record_all(db: &Db, events: &[Envelope]) -> Result<(), String> {
    let (mut by_id, mut by_email) = (Vec::new(), Vec::new());
    for envelope in events {
        let event = envelope.event().map_err(|e| format!("cannot read event {}: {e}", envelope.id))?;
        let Some((subject, summary, points)) = activity_for(&event) else { continue };
        let row = |contact| Row {
            event_id: envelope.id.clone(),
            topic: envelope.topic.clone(),
            summary,
            points,
            occurred_at: crate::time::unix_from_rfc3339(&envelope.occurred_at).unwrap_or_else(db::now_unix),
            seq: envelope.seq,
            contact,
        };
        match subject {
            Subject::Contact(id) => by_id.push(row(id)),
            Subject::Email(email) => by_email.push(row(crate::users::service::normalise_email(&email))),
        }
    }
    // Not synced to disk: the outbox has the events, and a second delivery adds nothing.
    // The contacts are read under `COPIES_LOCK`, so an erased one gets no row.
    let written = async {
        let mut tx = db.begin_write_without_sync().await?;
        db::lock_key_shared(&mut tx, crate::bus::COPIES_LOCK).await?;
        insert_rows(&mut tx, "id", &by_id).await?;
        insert_rows(&mut tx, "email", &by_email).await?;
        tx.commit().await
    };
    written.await.map_err(|e| e.to_string())
}

async fn insert_rows(tx: &mut Tx, match_on: &str, rows: &[Row]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    // `column1`… are the VALUES list's columns, in the order bound below.
    let sql = format!(
        "INSERT INTO contact_activity (id, event_id, contact_id, topic, summary, points, occurred_at, seq) \
         SELECT v.column1, v.column2, c.id, v.column3, v.column4, v.column5, v.column6, v.column7 \
         FROM (VALUES {}) AS v, contacts c WHERE c.{match_on} = v.column8 AND c.erased_at IS NULL \
         ON CONFLICT (event_id) DO NOTHING",
        db::value_rows(1, rows.len(), 8)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        query = query
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&row.event_id)
            .bind(&row.topic)
            .bind(&row.summary)
            .bind(row.points)
            .bind(row.occurred_at)
            .bind(row.seq)
            .bind(&row.contact);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalog::samples;

    #[test]
    fn every_crm_topic_and_only_those_makes_a_row() {
        for mut event in samples() {
            // Give every sample a contact, wherever its payload has room for one.
            let mut json = serde_json::to_value(&event).unwrap();
            if let Some(payload) = json["payload"].as_object_mut()
                && payload.contains_key("contact_id")
            {
                payload.insert("contact_id".into(), "c1".into());
            }
            event = serde_json::from_value(json).unwrap();
            let recorded = activity_for(&event).is_some();
            assert_eq!(recorded, TOPICS.contains(&event.topic()), "{}", event.topic());
        }
    }
}
