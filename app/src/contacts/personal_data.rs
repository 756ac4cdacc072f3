//! Everything held about one contact, as one JSON file (ssr only): what an organisation
//! sends someone who asks for their data (a subject access request).
//!
//! Each section is one query; its columns are the file's keys, and a column ending in `_at`
//! (Unix seconds) is written as an RFC 3339 UTC time. Payment providers' ids are never in it.

use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};

use super::service::ContactError;
use crate::db::Db;
use crate::events::rfc3339_from_unix_ms;

/// The sections after the contact, each a list of rows about them; `$1` is the contact's id.
/// Records that hold an email are matched by it too: some predate the contact.
const SECTIONS: &[(&str, &str)] = &[
    (
        "shift_signups",
        "SELECT h.title AS shift, h.location, h.starts_at, h.ends_at, s.name, s.email, s.phone, s.source, \
         s.status, s.attendance, s.created_at AS signed_up_at, s.cancelled_at FROM shift_signups s \
         JOIN shifts h ON h.id = s.shift_id WHERE s.contact_id = $1 OR s.email = (SELECT email FROM contacts WHERE id = $1) ORDER BY s.created_at, s.id",
    ),
    (
        "donations",
        "SELECT name, email, amount_cents, refunded_cents, currency, frequency, status, created_at FROM donations \
         WHERE contact_id = $1 OR email = (SELECT email FROM contacts WHERE id = $1) ORDER BY created_at, id",
    ),
    (
        "orders",
        "SELECT p.name AS product, o.name, o.email, o.amount_cents, o.refunded_cents, o.currency, o.status, \
         o.created_at, o.paid_at FROM orders o JOIN products p ON p.id = o.product_id \
         WHERE o.contact_id = $1 OR o.email = (SELECT email FROM contacts WHERE id = $1) ORDER BY o.created_at, o.id",
    ),
    (
        "subscriptions",
        "SELECT p.name AS plan, s.name, s.email, s.amount_cents, s.currency, s.status, s.created_at, \
         s.cancelled_at FROM subscriptions s JOIN subscription_plans p ON p.id = s.plan_id \
         WHERE s.contact_id = $1 OR s.email = (SELECT email FROM contacts WHERE id = $1) ORDER BY s.created_at, s.id",
    ),
    (
        "tickets",
        "SELECT e.title AS event, e.starts_at, r.name AS tier, t.code, t.name, t.email, t.status, \
         t.checked_in_at, t.created_at FROM tickets t JOIN ticketed_events e ON e.id = t.event_id \
         JOIN ticket_tiers r ON r.id = t.tier_id WHERE t.contact_id = $1 OR t.email = (SELECT email FROM contacts WHERE id = $1) \
         ORDER BY t.created_at, t.id",
    ),
    (
        "campaign_emails",
        "SELECT c.title AS campaign, m.supporter_name AS name, m.supporter_email AS email, m.postal_code, \
         m.message, m.recipient_count, m.created_at FROM campaign_emails m JOIN campaigns c ON c.id = m.campaign_id \
         WHERE m.contact_id = $1 OR m.supporter_email = (SELECT email FROM contacts WHERE id = $1) ORDER BY m.created_at, m.id",
    ),
    (
        "emails_sent_to_them",
        "SELECT subject, status, created_at, sent_at FROM email_outbox WHERE to_address = (SELECT email FROM contacts WHERE id = $1) \
         ORDER BY created_at, id",
    ),
    (
        "texts_received",
        "SELECT phone, body, created_at FROM sms_messages WHERE contact_id = $1 ORDER BY created_at, id",
    ),
    (
        "text_replies",
        "SELECT r.body, r.sent_at FROM sms_replies r JOIN sms_messages m ON m.id = r.message_id \
         WHERE m.contact_id = $1 ORDER BY r.sent_at, r.id",
    ),
    (
        "addresses",
        "SELECT street, city, postal_code, last_outcome, last_visited_at FROM canvass_addresses \
         WHERE contact_id = $1 ORDER BY created_at, id",
    ),
    (
        "canvass_visits",
        "SELECT a.street, a.postal_code, v.outcome, v.notes, v.visited_at FROM canvass_visits v \
         JOIN canvass_addresses a ON a.id = v.address_id WHERE v.contact_id = $1 \
         ORDER BY v.visited_at, v.id",
    ),
    (
        "meeting_invitations",
        "SELECT m.title AS meeting, m.starts_at, a.reply, a.invited_at FROM meeting_attendees a \
         JOIN meetings m ON m.id = a.meeting_id WHERE a.email = (SELECT email FROM contacts WHERE id = $1) ORDER BY a.invited_at, m.id",
    ),
    (
        "videos_watched",
        "SELECT v.title AS video, w.viewed_at FROM video_views w JOIN videos v ON v.id = w.video_id \
         WHERE w.contact_id = $1 ORDER BY w.viewed_at",
    ),
    (
        "activity",
        "SELECT topic, summary, points, occurred_at FROM contact_activity WHERE contact_id = $1 \
         ORDER BY occurred_at, seq",
    ),
    ("notes", "SELECT body, written_at FROM contact_notes WHERE contact_id = $1 ORDER BY written_at, id"),
];

/// Everything held about contact `id`, with the time it was made (`now`, Unix seconds).
pub async fn personal_data(db: &Db, id: &str, now: i64) -> Result<Value, ContactError> {
    let contact = sqlx::query(
        "SELECT name, email, phone, source, created_at, updated_at, unsubscribed_at FROM contacts \
         WHERE id = $1 AND erased_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(ContactError::NotFound)?;
    let mut contact = as_json(&contact)?;
    contact["tags"] = json!(super::service::tags_held(db, id).await?);
    let mut file = Map::new();
    file.insert("exported_at".into(), json!(rfc3339_from_unix_ms(now * 1000)));
    file.insert("organisation".into(), json!(crate::settings::organisation_name(db).await?));
    file.insert("contact".into(), contact);
    for (section, sql) in SECTIONS {
        let rows = sqlx::query(sqlx::AssertSqlSafe(*sql)).bind(id).fetch_all(db.pool()).await?;
        let rows = rows.iter().map(as_json).collect::<Result<Vec<_>, _>>()?;
        file.insert((*section).into(), Value::Array(rows));
    }
    Ok(Value::Object(file))
}

/// A row as a JSON object keyed by its columns' names: numbers, texts and nulls as they are,
/// a time (`…_at`, Unix seconds) in RFC 3339.
fn as_json(row: &AnyRow) -> Result<Value, sqlx::Error> {
    let mut object = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let name = column.name();
        let value = if let Ok(number) = row.try_get::<Option<i64>, _>(i) {
            match number {
                Some(secs) if name.ends_with("_at") => json!(rfc3339_from_unix_ms(secs * 1000)),
                other => json!(other),
            }
        } else {
            json!(row.try_get::<Option<String>, _>(i)?)
        };
        object.insert(name.to_string(), value);
    }
    Ok(Value::Object(object))
}
