//! Erasing a contact's personal data (ssr only), for someone who asks to be forgotten.
//!
//! Their name, email and phone go from every record that holds them, and so do their
//! timeline, tags, texts, the emails we sent them and their meeting invitations. The records
//! of what happened stay, so totals stay true: a donation's amount, a past sign-up, a ticket.
//! They then name an "Erased contact" whose address is `erased:<id>`. That is not an email
//! (no `@`), so no form can type it and no email can go to it.
//!
//! Erasing is refused, with what to do first, while something still needs the person:
//! an account, a monthly donation, an upcoming shift or event, a text campaign sending to them.

use serde_json::Value;
use sqlx::Row;

use super::service::ContactError;
use crate::bus::{self, Bus};
use crate::db::{self, Tx};
use crate::error::FieldError;
use crate::events::catalog::ContactErased;
use crate::events::{Actor, Event};
use crate::users::service::normalise_email;

/// What an erased contact, and each record that named them, is called.
pub const ERASED_NAME: &str = "Erased contact";

/// The address an erased contact's records carry: one per contact, so that each unique
/// index still holds.
pub fn erased_email(contact_id: &str) -> String {
    format!("erased:{contact_id}")
}

/// The personal data being erased.
struct Person {
    id: String,
    name: String,
    email: String,
    phone: Option<String>,
}

/// Erases contact `id`'s personal data in one transaction, once `confirm_email` (typed by
/// the admin) is their email; publishes `contact.erased`. Nothing changes when it is refused.
pub async fn erase(bus: &Bus, actor: &Actor, id: &str, confirm_email: &str) -> Result<(), ContactError> {
    let mut tx = bus.db().begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT name, email, phone FROM contacts WHERE id = $1 AND erased_at IS NULL{}",
        db::for_update(&mut tx)
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ContactError::NotFound)?;
    let person = Person {
        id: id.to_string(),
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get::<Option<String>, _>("phone")?.filter(|p| !p.is_empty()),
    };
    if normalise_email(confirm_email) != person.email {
        let message = "Type this contact's email exactly, to confirm which person to erase.";
        return Err(ContactError::Invalid(FieldError::only("confirm_email", message)));
    }
    let reasons = still_needed(&mut tx, &person, db::now_unix()).await?;
    if !reasons.is_empty() {
        return Err(ContactError::StillNeeded(reasons.join(" ")));
    }
    erase_records(&mut tx, &person).await?;
    scrub_logs(&mut tx, &person).await?;
    crate::audit::record(&mut tx, actor, "contact.erased", id).await?;
    bus::publish(&mut tx, actor, &Event::ContactErased(ContactErased { contact_id: id.to_string() })).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Why the person cannot be erased yet, each with what to do first; empty when they can.
async fn still_needed(tx: &mut Tx, person: &Person, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let mut reasons = Vec::new();
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
        .bind(&person.email)
        .fetch_one(&mut **tx)
        .await?;
    if accounts > 0 {
        reasons.push("They have an account: delete it under Users first.".to_string());
    }
    let monthly: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM subscriptions WHERE (contact_id = $1 OR email = $2) \
         AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')",
    )
    .bind(&person.id)
    .bind(&person.email)
    .fetch_one(&mut **tx)
    .await?;
    if monthly > 0 {
        reasons.push(
            "They give monthly: cancel it under Subscriptions first, so that Stripe stops charging them."
                .to_string(),
        );
    }
    let shifts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM shift_signups s JOIN shifts h ON h.id = s.shift_id \
         WHERE (s.contact_id = $1 OR s.email = $2) AND s.status <> 'CANCELLED' \
         AND h.status <> 'CANCELLED' AND h.ends_at > $3",
    )
    .bind(&person.id)
    .bind(&person.email)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if shifts > 0 {
        let shifts = crate::ui::count(shifts, "upcoming shift");
        reasons.push(format!("They are signed up for {shifts}: remove them on the shift's page first."));
    }
    let tickets: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets t JOIN ticketed_events e ON e.id = t.event_id \
         WHERE (t.contact_id = $1 OR t.email = $2) AND t.status <> 'CANCELLED' \
         AND e.status <> 'CANCELLED' AND e.ends_at > $3",
    )
    .bind(&person.id)
    .bind(&person.email)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if tickets > 0 {
        let tickets = crate::ui::count(tickets, "ticket");
        reasons.push(format!("They hold {tickets} for an event still to come: erase them after it."));
    }
    let texts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sms_recipients WHERE contact_id = $1 AND status IN ('PENDING', 'SENDING')",
    )
    .bind(&person.id)
    .fetch_one(&mut **tx)
    .await?;
    if texts > 0 {
        reasons.push("A text campaign is still sending to them: erase them once it is done.".to_string());
    }
    Ok(reasons)
}

/// The tables that keep a person's name and email on each record (and phone, for some), and
/// their columns: the record stays, the person's details go.
const NAMED_RECORDS: &[(&str, &str, &str, Option<&str>)] = &[
    ("shift_signups", "name", "email", Some("phone")),
    ("donations", "name", "email", None),
    ("orders", "name", "email", None),
    ("subscriptions", "name", "email", None),
    ("tickets", "name", "email", None),
    ("ticket_orders", "name", "email", None),
    ("campaign_emails", "supporter_name", "supporter_email", None),
];

/// Every record naming the person is anonymised or, where it is only about them, deleted.
async fn erase_records(tx: &mut Tx, person: &Person) -> Result<(), sqlx::Error> {
    let erased = erased_email(&person.id);
    for (table, name, email, phone) in NAMED_RECORDS {
        let phone = phone.map(|column| format!(", {column} = NULL")).unwrap_or_default();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {name} = $1, {email} = $2{phone} WHERE contact_id = $3 OR {email} = $4"
        )))
        .bind(ERASED_NAME)
        .bind(&erased)
        .bind(&person.id)
        .bind(&person.email)
        .execute(&mut **tx)
        .await?;
    }
    // What a supporter wrote to their representative is their own words.
    sqlx::query("UPDATE campaign_emails SET message = '' WHERE contact_id = $1 OR supporter_email = $2")
        .bind(&person.id)
        .bind(&erased)
        .execute(&mut **tx)
        .await?;
    // Texts: the numbers a campaign sent to stay counted under the erased address; the
    // conversation itself goes.
    sqlx::query("UPDATE sms_recipients SET phone = $1 WHERE contact_id = $2")
        .bind(&erased)
        .bind(&person.id)
        .execute(&mut **tx)
        .await?;
    let phone = person.phone.as_deref().unwrap_or("");
    let texts = "SELECT id FROM sms_messages WHERE contact_id = $1 OR ($2 <> '' AND phone = $2)";
    for table in ["sms_media", "sms_replies"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE message_id IN ({texts})")))
            .bind(&person.id)
            .bind(phone)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM sms_messages WHERE contact_id = $1 OR ($2 <> '' AND phone = $2)")
        .bind(&person.id)
        .bind(phone)
        .execute(&mut **tx)
        .await?;
    // Where the person only was linked, the link goes: a door's visits belong to the address.
    for table in ["canvass_addresses", "canvass_visits", "video_views"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET contact_id = NULL WHERE contact_id = $1"
        )))
        .bind(&person.id)
        .execute(&mut **tx)
        .await?;
    }
    for sql in [
        "DELETE FROM contact_activity WHERE contact_id = $1",
        "DELETE FROM contact_tags WHERE contact_id = $1",
    ] {
        sqlx::query(sql).bind(&person.id).execute(&mut **tx).await?;
    }
    sqlx::query("DELETE FROM meeting_attendees WHERE email = $1")
        .bind(&person.email)
        .execute(&mut **tx)
        .await?;
    // The emails we sent them, and any other that carried their address (a campaign email
    // to a representative signed with it), sent or still waiting.
    sqlx::query("DELETE FROM email_outbox WHERE to_address = $1 OR body LIKE $2 ESCAPE '\\'")
        .bind(&person.email)
        .bind(db::contains_pattern(&person.email))
        .execute(&mut **tx)
        .await?;
    let now = db::now_unix();
    sqlx::query(
        "UPDATE contacts SET name = $1, email = $2, phone = NULL, erased_at = $3, updated_at = $3, \
         unsubscribed_at = COALESCE(unsubscribed_at, $3) WHERE id = $4",
    )
    .bind(ERASED_NAME)
    .bind(&erased)
    .bind(now)
    .bind(&person.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The event log, the bus's outbox and the admin audit log keep what happened, without the
/// person: in each event that names them, their email, name and phone are replaced, and the
/// live feed's lines made from those events go.
async fn scrub_logs(tx: &mut Tx, person: &Person) -> Result<(), sqlx::Error> {
    let erased = erased_email(&person.id);
    let mut scrubbed_events: Vec<String> = Vec::new();
    for table in ["event_log", "event_outbox"] {
        let mut sql = format!(
            "SELECT seq, id, payload FROM {table} WHERE payload LIKE $1 ESCAPE '\\' OR payload LIKE $2 ESCAPE '\\'"
        );
        let mut patterns = vec![db::contains_pattern(&person.email), db::contains_pattern(&person.id)];
        if let Some(phone) = &person.phone {
            sql.push_str(" OR payload LIKE $3 ESCAPE '\\'");
            patterns.push(db::contains_pattern(phone));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for pattern in &patterns {
            query = query.bind(pattern);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let payload: String = row.try_get("payload")?;
            let Ok(mut value) = serde_json::from_str::<Value>(&payload) else { continue };
            if !scrub(&mut value, person, &erased) {
                continue;
            }
            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET payload = $1 WHERE seq = $2")))
                .bind(value.to_string())
                .bind(row.try_get::<i64, _>("seq")?)
                .execute(&mut **tx)
                .await?;
            scrubbed_events.push(row.try_get("id")?);
        }
    }
    scrubbed_events.sort();
    scrubbed_events.dedup();
    for ids in scrubbed_events.chunks(500) {
        let sql = format!("DELETE FROM live_items WHERE event_id IN ({})", db::placeholders(1, ids.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query(
        "UPDATE admin_audit_log SET entity = REPLACE(entity, $1, $2) WHERE entity LIKE $3 ESCAPE '\\'",
    )
    .bind(&person.email)
    .bind(&erased)
    .bind(db::contains_pattern(&person.email))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces the person's details in an event's payload: each text that is their name or
/// phone, and their email wherever it appears. Answers whether anything changed.
fn scrub(value: &mut Value, person: &Person, erased: &str) -> bool {
    match value {
        Value::String(text) => {
            let replacement = if !person.name.is_empty() && *text == person.name {
                Some(ERASED_NAME.to_string())
            } else if person.phone.as_deref() == Some(text.as_str()) {
                Some(erased.to_string())
            } else if text.contains(&person.email) {
                Some(text.replace(&person.email, erased))
            } else {
                None
            };
            replacement.map(|new| *text = new).is_some()
        }
        Value::Array(items) => {
            items.iter_mut().fold(false, |changed, item| scrub(item, person, erased) | changed)
        }
        Value::Object(fields) => {
            fields.values_mut().fold(false, |changed, field| scrub(field, person, erased) | changed)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_payload_loses_the_persons_details_and_keeps_the_rest() {
        let person = Person {
            id: "c1".into(),
            name: "Ada Quill".into(),
            email: "ada@example.org".into(),
            phone: Some("+447700900123".into()),
        };
        let mut payload = serde_json::json!({
            "contact_id": "c1",
            "name": "Ada Quill",
            "email": "ada@example.org",
            "to": "+447700900123",
            "entity": "old@example.org into ada@example.org",
            "shift_title": "Ada Quill's street stall",
            "amount_cents": 500,
            "tags": ["Ada Quill", "donor"],
        });
        assert!(scrub(&mut payload, &person, "erased:c1"));
        assert_eq!(
            payload,
            serde_json::json!({
                "contact_id": "c1",
                "name": ERASED_NAME,
                "email": "erased:c1",
                "to": "erased:c1",
                "entity": "old@example.org into erased:c1",
                "shift_title": "Ada Quill's street stall",
                "amount_cents": 500,
                "tags": [ERASED_NAME, "donor"],
            })
        );
        // A second pass finds nothing left to change.
        assert!(!scrub(&mut payload, &person, "erased:c1"));
    }
}
