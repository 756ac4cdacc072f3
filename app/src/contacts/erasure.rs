//! Erasing a contact's personal data (ssr only), for someone who asks to be forgotten.
//!
//! Their name, email and phone go from every record that holds them, and so do their
//! timeline, tags, texts, the emails we sent them and their meeting invitations. The records
//! of what happened stay, so totals stay true: a donation's amount, a past sign-up, a ticket.
//! They then name an "Erased contact", and their address is `erased:<the record's id>`. That
//! is not an email (no `@`), so no form can type it and no email can go to it; and it is
//! another on each record, so that unique indexes hold even for someone who was two
//! contacts, merged, with a sign-up for one shift under each address.
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

/// The address an erased contact (or a record of theirs) carries in place of theirs.
pub fn erased_email(id: &str) -> String {
    format!("erased:{id}")
}

/// The personal data being erased: every address, name and phone the person was known by.
/// Besides the contact's own, those on their records (a merged duplicate's, one typed on a
/// form) and those in the contact's own events (an address an admin corrected, a merged
/// duplicate's first details). `ids` are the contact's and its merged duplicates'.
#[derive(Debug, Default)]
struct Person {
    ids: Vec<String>,
    emails: Vec<String>,
    names: Vec<String>,
    phones: Vec<String>,
    /// The postal codes they gave writing to their representatives.
    postal_codes: Vec<String>,
}

impl Person {
    fn id(&self) -> &str {
        &self.ids[0]
    }

    fn add(list: &mut Vec<String>, value: Option<&str>) -> bool {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            Some(value) if !list.iter().any(|known| known == value) => {
                list.push(value.to_string());
                true
            }
            _ => false,
        }
    }
}

/// Erases contact `id`'s personal data in one transaction, once `confirm_email` (typed by
/// the admin) is their email; publishes `contact.erased`. Nothing changes when it is refused.
pub async fn erase(bus: &Bus, actor: &Actor, id: &str, confirm_email: &str) -> Result<(), ContactError> {
    let mut tx = bus.db().begin_write().await?;
    // First, before any row lock that a listener's copy could wait for.
    db::lock_key(&mut tx, bus::COPIES_LOCK).await?;
    let details = super::service::locked_details(&mut tx, id).await?;
    if normalise_email(confirm_email) != details.email {
        let message = "Type this contact's email exactly, to confirm which person to erase.";
        return Err(ContactError::Invalid(FieldError::only("confirm_email", message)));
    }
    let mut person = Person { ids: vec![id.to_string()], emails: vec![details.email], ..Person::default() };
    Person::add(&mut person.names, Some(&details.name));
    Person::add(&mut person.phones, details.phone.as_deref());
    known_by(&mut tx, &mut person).await?;
    let reasons = still_needed(&mut tx, &person, db::now_unix()).await?;
    if !reasons.is_empty() {
        return Err(ContactError::StillNeeded(reasons.join(" ")));
    }
    erase_records(&mut tx, &person).await?;
    scrub_logs(&mut tx, &person).await?;
    crate::audit::service::record(&mut tx, actor, "contact.erased", id).await?;
    bus::publish(&mut tx, actor, &Event::ContactErased(ContactErased { contact_id: id.to_string() })).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// ` OR {column} IN ($first, …)` for each of `values`; nothing when there are none.
fn or_in(column: &str, first: usize, values: &[String]) -> String {
    if values.is_empty() {
        return String::new();
    }
    format!(" OR {column} IN ({})", db::placeholders(first, values.len()))
}

/// Binds `values` in order.
fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for value in values {
        query = query.bind(value);
    }
    query
}

/// Adds to `person` what their records and their contact's events know them by.
async fn known_by(tx: &mut Tx, person: &mut Person) -> Result<(), sqlx::Error> {
    // A merged duplicate's own merges came before, so its events are read again until no
    // new contact turns up.
    loop {
        let mut more = false;
        for table in ["event_log", "event_outbox"] {
            let sql = format!(
                "SELECT payload FROM {table} WHERE topic IN ('contact.created', 'contact.updated', 'contact.merged') \
                 AND ({})",
                (1..=person.ids.len())
                    .map(|i| format!("payload LIKE ${i} ESCAPE '\\'"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            );
            let patterns: Vec<String> = person.ids.iter().map(|id| db::contains_pattern(id)).collect();
            let payloads: Vec<String> = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &patterns)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get("payload"))
                .collect::<Result<_, _>>()?;
            for payload in payloads {
                let Ok(event) = serde_json::from_str::<Value>(&payload) else { continue };
                let text = |key: &str| event[key].as_str().map(str::to_string);
                if !text("contact_id").is_some_and(|id| person.ids.contains(&id)) {
                    continue;
                }
                more |= Person::add(&mut person.ids, text("merged_contact_id").as_deref());
                for key in ["email", "previous_email", "merged_email"] {
                    Person::add(&mut person.emails, text(key).as_deref());
                }
                Person::add(&mut person.names, text("name").as_deref());
                Person::add(&mut person.phones, text("phone").as_deref());
            }
        }
        if !more {
            break;
        }
    }
    for (table, name, email, phone) in NAMED_RECORDS {
        let phone = phone.unwrap_or("NULL");
        let sql = format!(
            "SELECT {name} AS name, {email} AS email, {phone} AS phone FROM {table} WHERE contact_id = $1{}",
            or_in(email, 2, &person.emails)
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(person.id().to_string());
        for row in bind_all(query, &person.emails).fetch_all(&mut **tx).await? {
            Person::add(&mut person.names, Some(&row.try_get::<String, _>("name")?));
            Person::add(&mut person.emails, Some(&row.try_get::<String, _>("email")?));
            Person::add(&mut person.phones, row.try_get::<Option<String>, _>("phone")?.as_deref());
        }
    }
    let emails = db::placeholders(2, person.emails.len());
    let sql = format!(
        "SELECT postal_code FROM campaign_emails WHERE contact_id = $1 OR supporter_email IN ({emails})"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(person.id().to_string());
    for row in bind_all(query, &person.emails).fetch_all(&mut **tx).await? {
        Person::add(&mut person.postal_codes, Some(&row.try_get::<String, _>("postal_code")?));
    }
    Ok(())
}

/// How many rows `sql` counts, with `values` as `$1`, `$2`…
async fn count(tx: &mut Tx, sql: &str, values: &[String]) -> Result<i64, sqlx::Error> {
    bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())), values).fetch_one(&mut **tx).await?.try_get(0)
}

/// Runs `sql` with `values` as `$1`, `$2`…
async fn run(tx: &mut Tx, sql: &str, values: &[String]) -> Result<(), sqlx::Error> {
    bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())), values).execute(&mut **tx).await?;
    Ok(())
}

/// Why the person cannot be erased yet, each with what to do first; empty when they can.
async fn still_needed(tx: &mut Tx, person: &Person, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let mut reasons = Vec::new();
    // `$1` is the contact's id, then their addresses.
    let id_and_emails = [&[person.id().to_string()], person.emails.as_slice()].concat();
    let emails = db::placeholders(2, person.emails.len());
    let any_email = db::placeholders(1, person.emails.len());
    let accounts =
        count(tx, &format!("SELECT COUNT(*) FROM users WHERE email IN ({any_email})"), &person.emails)
            .await?;
    if accounts > 0 {
        reasons.push("They have an account: delete it under Users first.".to_string());
    }
    let monthly = count(
        tx,
        &format!(
            "SELECT COUNT(*) FROM subscriptions WHERE (contact_id = $1 OR email IN ({emails})) \
             AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')"
        ),
        &id_and_emails,
    )
    .await?;
    if monthly > 0 {
        reasons.push(
            "They give monthly: cancel it under Subscriptions first, so that Stripe stops charging them."
                .to_string(),
        );
    }
    let shifts = count(
        tx,
        &format!(
            "SELECT COUNT(*) FROM shift_signups s JOIN shifts h ON h.id = s.shift_id \
             WHERE (s.contact_id = $1 OR s.email IN ({emails})) AND s.status <> 'CANCELLED' \
             AND h.status <> 'CANCELLED' AND h.ends_at > {now}"
        ),
        &id_and_emails,
    )
    .await?;
    if shifts > 0 {
        let shifts = crate::ui::count(shifts, "upcoming shift");
        reasons.push(format!("They are signed up for {shifts}: remove them on the shift's page first."));
    }
    let tickets = count(
        tx,
        &format!(
            "SELECT COUNT(*) FROM tickets t JOIN ticketed_events e ON e.id = t.event_id \
             WHERE (t.contact_id = $1 OR t.email IN ({emails})) AND t.status <> 'CANCELLED' \
             AND e.status <> 'CANCELLED' AND e.ends_at > {now}"
        ),
        &id_and_emails,
    )
    .await?;
    if tickets > 0 {
        let tickets = crate::ui::count(tickets, "ticket");
        reasons.push(format!("They hold {tickets} for an event still to come: erase them after it."));
    }
    let texts = count(
        tx,
        "SELECT COUNT(*) FROM sms_recipients WHERE contact_id = $1 AND status IN ('PENDING', 'SENDING')",
        &[person.id().to_string()],
    )
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
    let id = [person.id().to_string()];
    // `$1` is the contact's id, then their addresses.
    let id_and_emails = [&id, person.emails.as_slice()].concat();
    let emails = db::placeholders(2, person.emails.len());
    // What a supporter wrote to their representative is their own words.
    // So is their postal code: with a name gone, a street's few doors may still tell who.
    let sql = format!(
        "UPDATE campaign_emails SET message = '', postal_code = '' \
         WHERE contact_id = $1 OR supporter_email IN ({emails})"
    );
    run(tx, &sql, &id_and_emails).await?;
    for (table, name, email, phone) in NAMED_RECORDS {
        let phone = phone.map(|column| format!(", {column} = NULL")).unwrap_or_default();
        let sql = format!(
            "UPDATE {table} SET {name} = '{ERASED_NAME}', {email} = 'erased:' || id{phone} \
             WHERE contact_id = $1 OR {email} IN ({emails})"
        );
        run(tx, &sql, &id_and_emails).await?;
    }
    // Texts: the numbers a campaign sent to stay counted, under an erased address (one per
    // place in the campaign: its key is the campaign and the number); the conversation goes.
    let sql = "UPDATE sms_recipients SET phone = 'erased:' || contact_id || ':' || CAST(position AS TEXT) \
               WHERE contact_id = $1";
    run(tx, sql, &id).await?;
    let id_and_phones = [&id, person.phones.as_slice()].concat();
    let texts = format!("FROM sms_messages WHERE contact_id = $1{}", or_in("phone", 2, &person.phones));
    for table in ["sms_media", "sms_replies"] {
        run(tx, &format!("DELETE FROM {table} WHERE message_id IN (SELECT id {texts})"), &id_and_phones)
            .await?;
    }
    run(tx, &format!("DELETE {texts}"), &id_and_phones).await?;
    // Where the person only was linked, the link goes: a door's visits belong to the address.
    for table in ["canvass_addresses", "canvass_visits", "video_views"] {
        run(tx, &format!("UPDATE {table} SET contact_id = NULL WHERE contact_id = $1"), &id).await?;
    }
    for table in ["contact_activity", "contact_notes", "contact_tags"] {
        run(tx, &format!("DELETE FROM {table} WHERE contact_id = $1"), &id).await?;
    }
    let emails_only = db::placeholders(1, person.emails.len());
    run(tx, &format!("DELETE FROM meeting_attendees WHERE email IN ({emails_only})"), &person.emails).await?;
    // The emails we sent them, and any other that carried their address (a campaign email
    // to a representative signed with it), sent or still waiting.
    let carried: String = (0..person.emails.len())
        .map(|i| format!(" OR body LIKE ${} ESCAPE '\\'", 1 + person.emails.len() + i))
        .collect();
    let patterns: Vec<String> = person.emails.iter().map(|e| db::contains_pattern(e)).collect();
    let sql = format!("DELETE FROM email_outbox WHERE to_address IN ({emails_only}){carried}");
    run(tx, &sql, &[person.emails.as_slice(), patterns.as_slice()].concat()).await?;
    sqlx::query(
        "UPDATE contacts SET name = $1, email = $2, phone = NULL, erased_at = $3, updated_at = $3, \
         unsubscribed_at = COALESCE(unsubscribed_at, $3) WHERE id = $4",
    )
    .bind(ERASED_NAME)
    .bind(erased_email(person.id()))
    .bind(db::now_unix())
    .bind(person.id())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The event log, the bus's outbox and the admin audit log keep what happened, without the
/// person: in each event that names them, their addresses, names and phones are replaced.
/// The home page's live-feed lines name no one ("Someone signed up for …"), so they stay.
async fn scrub_logs(tx: &mut Tx, person: &Person) -> Result<(), sqlx::Error> {
    let erased = erased_email(person.id());
    let patterns: Vec<String> = person
        .emails
        .iter()
        .chain(&person.ids)
        .chain(&person.phones)
        .map(|v| db::contains_pattern(v))
        .collect();
    let matching = (1..=patterns.len())
        .map(|i| format!("payload LIKE ${i} ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for table in ["event_log", "event_outbox"] {
        let sql = format!("SELECT seq, payload FROM {table} WHERE {matching}");
        for row in bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &patterns).fetch_all(&mut **tx).await? {
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
        }
    }
    for email in &person.emails {
        sqlx::query(
            "UPDATE admin_audit_log SET entity = REPLACE(entity, $1, $2) WHERE entity LIKE $3 ESCAPE '\\'",
        )
        .bind(email)
        .bind(&erased)
        .bind(db::contains_pattern(email))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Replaces the person's details in an event's payload: each text that is one of their names
/// or phones, their addresses wherever they appear, and a `postal_code` they gave (emptied).
/// Answers whether anything changed.
fn scrub(value: &mut Value, person: &Person, erased: &str) -> bool {
    match value {
        Value::String(text) => {
            let replacement = if person.names.contains(text) {
                Some(ERASED_NAME.to_string())
            } else if person.phones.contains(text) {
                Some(erased.to_string())
            } else if person.emails.iter().any(|email| text.contains(email.as_str())) {
                Some(
                    person
                        .emails
                        .iter()
                        .fold(text.clone(), |text, email| text.replace(email.as_str(), erased)),
                )
            } else {
                None
            };
            replacement.map(|new| *text = new).is_some()
        }
        Value::Array(items) => {
            items.iter_mut().fold(false, |changed, item| scrub(item, person, erased) | changed)
        }
        Value::Object(fields) => fields.iter_mut().fold(false, |changed, (key, field)| {
            let theirs = |code: &str| person.postal_codes.iter().any(|known| known == code);
            match field {
                Value::String(code) if key == "postal_code" && theirs(code) => {
                    code.clear();
                    true
                }
                field => scrub(field, person, erased) | changed,
            }
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_payload_loses_the_persons_details_and_keeps_the_rest() {
        let person = Person {
            ids: vec!["c1".into()],
            names: vec!["Ada Quill".into()],
            emails: vec!["ada@example.org".into()],
            phones: vec!["+447700900123".into()],
            postal_codes: vec!["K1A 0Q7".into()],
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
            "postal_code": "K1A 0Q7",
            "door": { "postal_code": "M5V 2T6" },
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
                "postal_code": "",
                "door": { "postal_code": "M5V 2T6" },
            })
        );
        // A second pass finds nothing left to change.
        assert!(!scrub(&mut payload, &person, "erased:c1"));
    }
}
