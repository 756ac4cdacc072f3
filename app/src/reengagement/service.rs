//! Re-engagement rules (ssr only): who is idle, the window between two win-back emails to
//! one contact, and the send itself (a background job, a batch of contacts per transaction).

use sqlx::Row;

use super::{DEFAULT_WINDOW_DAYS, IDLE_DAYS, IdleContact, IdlePreview, ReengagementForm, WINDOW_DAYS};
use crate::bus::{self, Bus};
use crate::db::{self, Db};
use crate::email::service::OutgoingEmail;
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::ReengagementSent;
use crate::events::{Actor, Event};
use crate::jobs::JobResult;
use crate::jobs::service::Progress;
use crate::secrets::SecretKey;

#[derive(Debug, thiserror::Error)]
pub enum ReengagementError {
    #[error("invalid re-engagement details")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where the window is stored.
const WINDOW_SETTING: &str = "reengagement_window_days";
/// Contacts per transaction while sending.
const SEND_BATCH: usize = 50;
const DAY: i64 = 24 * 3600;

fn invalid(field: &str, message: &str) -> ReengagementError {
    ReengagementError::Invalid(FieldError::only(field, message))
}

pub async fn window_days(db: &Db) -> Result<i64, sqlx::Error> {
    let stored = crate::settings::get(db, WINDOW_SETTING).await?;
    Ok(stored.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_WINDOW_DAYS))
}

/// Sets the window from what the admin typed; answers with it.
pub async fn save_window(db: &Db, actor: &Actor, typed: &str) -> Result<i64, ReengagementError> {
    let days = typed.trim().parse::<i64>().ok().filter(|d| WINDOW_DAYS.contains(d));
    let Some(days) = days else {
        return Err(invalid("days", "Enter a whole number of days from 1 to 365."));
    };
    let mut tx = db.begin_write().await?;
    crate::settings::set(&mut tx, WINDOW_SETTING, &days.to_string()).await?;
    crate::audit::service::record(&mut tx, actor, "reengagement.window.changed", &format!("{days} days"))
        .await?;
    tx.commit().await?;
    Ok(days)
}

fn check_idle_days(days: i64) -> Result<(), ReengagementError> {
    if IDLE_DAYS.contains(&days) {
        Ok(())
    } else {
        Err(invalid("idle_days", "Enter a whole number of days from 1 to 3,650."))
    }
}

/// Contacts idle since `idle_since` (their last activity, or their creation if they have
/// none, is older) and not re-engaged since `window_since`. Binds: $1 idle_since, $2
/// window_since.
macro_rules! idle_and_outside_the_window {
    () => {
        "COALESCE((SELECT MAX(a.occurred_at) FROM contact_activity a WHERE a.contact_id = c.id), c.created_at) < $1 \
         AND NOT EXISTS (SELECT 1 FROM reengagement_sends r WHERE r.contact_id = c.id AND r.sent_at >= $2)"
    };
}
/// Who a send reaches: idle, outside the window, not unsubscribed.
const IDLE_FROM: &str =
    concat!("FROM contacts c WHERE c.unsubscribed_at IS NULL AND ", idle_and_outside_the_window!());
/// Those idle and outside the window whom a send leaves out because they unsubscribed.
const UNSUBSCRIBED_IDLE_FROM: &str =
    concat!("FROM contacts c WHERE c.unsubscribed_at IS NOT NULL AND ", idle_and_outside_the_window!());

/// The cut-offs for `idle_days` and the stored window, as of now.
async fn cut_offs(db: &Db, idle_days: i64) -> Result<(i64, i64, i64), sqlx::Error> {
    let window = window_days(db).await?;
    let now = db::now_unix();
    Ok((now - idle_days * DAY, now - window * DAY, window))
}

/// Who a send to contacts idle for `idle_days` would reach.
pub async fn preview(db: &Db, idle_days: i64) -> Result<IdlePreview, ReengagementError> {
    check_idle_days(idle_days)?;
    let (idle_since, window_since, window_days) = cut_offs(db, idle_days).await?;
    let zone = crate::settings::time_zone(db).await?;
    let count_of = |from: &str| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {from}")))
            .bind(idle_since)
            .bind(window_since)
            .fetch_one(db.pool())
    };
    let count = count_of(IDLE_FROM).await?;
    let unsubscribed = count_of(UNSUBSCRIBED_IDLE_FROM).await?;
    let contacts = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.name, c.email, COALESCE((SELECT MAX(a.occurred_at) FROM contact_activity a \
         WHERE a.contact_id = c.id), c.created_at) AS last_active {IDLE_FROM} ORDER BY last_active, c.id LIMIT 50"
    )))
    .bind(idle_since)
    .bind(window_since)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(IdleContact {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            email: r.try_get("email")?,
            last_active: zone.date(r.try_get("last_active")?),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let organisation = crate::settings::organisation_name(db).await?;
    Ok(IdlePreview { idle_days, window_days, count, unsubscribed, contacts, organisation })
}

fn validate(form: &ReengagementForm) -> Result<(), ReengagementError> {
    check_idle_days(form.idle_days)?;
    let mut v = Validation::new();
    v.check(!form.subject.trim().is_empty(), "subject", "Enter the email's subject.");
    v.check(is_one_line(&form.subject, 200), "subject", "Subjects are one line of at most 200 characters.");
    v.check(!form.message.trim().is_empty(), "message", "Write the message.");
    v.check(is_plain_text(&form.message, 20_000), "message", "The message can be at most 20,000 characters.");
    for (field, text) in [("subject", &form.subject), ("message", &form.message)] {
        if let Some(problem) = crate::template::problem(text, super::PLACEHOLDERS) {
            v.add(field, &problem);
        }
    }
    v.finish().map_err(ReengagementError::Invalid)
}

/// Starts the send to everyone idle for `form.idle_days` and outside the window, and answers
/// with the job to follow. Each contact gets the email through the queue, a record that
/// starts their window, and `reengagement.sent` — in one transaction; a contact re-engaged
/// by another send meanwhile is skipped.
pub async fn start_send(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    form: &ReengagementForm,
) -> Result<String, ReengagementError> {
    validate(form)?;
    let (idle_since, window_since, _) = cut_offs(bus.db(), form.idle_days).await?;
    let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT c.id {IDLE_FROM} ORDER BY c.created_at, c.id"
    )))
    .bind(idle_since)
    .bind(window_since)
    .fetch_all(bus.db().pool())
    .await?;
    if ids.is_empty() {
        return Err(invalid("idle_days", "No contact is idle that long and outside the window."));
    }
    let organisation = crate::settings::organisation_name(bus.db()).await?;
    let (bus_for_job, actor_for_job, form, key) = (bus.clone(), actor.clone(), form.clone(), key.clone());
    let total = ids.len() as i64;
    let id =
        crate::jobs::service::spawn(bus.db(), "reengagement", total, actor, move |progress| async move {
            let send = Sending {
                bus: &bus_for_job,
                key: &key,
                actor: &actor_for_job,
                form: &form,
                organisation: &organisation,
            };
            send_to(&send, &ids, window_since, progress).await
        })
        .await?;
    Ok(id)
}

/// One send's email and who sends it.
struct Sending<'a> {
    bus: &'a Bus,
    key: &'a SecretKey,
    actor: &'a Actor,
    form: &'a ReengagementForm,
    organisation: &'a str,
}

/// The message for `name`, ending with their unsubscribe page's link (bulk email must offer
/// one), and the address that unsubscribes them in one click from their mail app.
fn body_and_one_click_link(send: &Sending, contact_id: &str, name: &str) -> (String, String) {
    let (base, token) =
        (crate::email::service::LINK_BASE, crate::contacts::service::unsubscribe_token(send.key, contact_id));
    let page = format!("{base}/unsubscribe?token={token}");
    let message = super::render(&send.form.message, name, send.organisation);
    let body = super::with_unsubscribe_link(&message, send.organisation, &page);
    (body, format!("{base}/api/unsubscribe?token={token}"))
}

async fn send_to(
    send: &Sending<'_>,
    ids: &[String],
    window_since: i64,
    progress: Progress,
) -> Result<JobResult, sqlx::Error> {
    let Sending { bus, actor, form, organisation, .. } = *send;
    let (mut sent, mut skipped, mut done) = (0i64, 0i64, 0i64);
    for batch in ids.chunks(SEND_BATCH) {
        let mut tx = bus.db().begin_write().await?;
        for contact_id in batch {
            // Locking the contact makes two sends at once take turns, so the window holds.
            let lock = db::for_update(&mut tx);
            let contact = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT name, email, unsubscribed_at FROM contacts WHERE id = $1{lock}"
            )))
            .bind(contact_id)
            .fetch_optional(&mut *tx)
            .await?;
            let recent: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(sent_at) FROM reengagement_sends WHERE contact_id = $1 AND sent_at >= $2",
            )
            .bind(contact_id)
            .bind(window_since)
            .fetch_one(&mut *tx)
            .await?;
            let unsubscribed = match &contact {
                Some(c) => c.try_get::<Option<i64>, _>("unsubscribed_at")?.is_some(),
                None => false,
            };
            let Some(contact) = contact.filter(|_| recent.is_none() && !unsubscribed) else {
                skipped += 1;
                continue;
            };
            let (name, email): (String, String) = (contact.try_get("name")?, contact.try_get("email")?);
            let subject = super::render(&form.subject, &name, organisation);
            let (body, one_click) = body_and_one_click_link(send, contact_id, &name);
            let email_out =
                OutgoingEmail { to: email.clone(), subject: subject.clone(), body, attachment: None };
            crate::email::service::queue_bulk(&mut tx, &email_out, &one_click).await?;
            let send_id = uuid::Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO reengagement_sends (id, contact_id, job_id, subject, sent_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&send_id)
            .bind(contact_id)
            .bind(progress.job_id())
            .bind(&subject)
            .bind(db::now_unix())
            .execute(&mut *tx)
            .await?;
            let event = Event::ReengagementSent(ReengagementSent {
                contact_id: contact_id.clone(),
                email,
                name,
                message_id: send_id,
                subject,
            });
            bus::publish(&mut tx, actor, &event).await?;
            sent += 1;
        }
        done += batch.len() as i64;
        if done == ids.len() as i64 {
            let entity = format!("{sent} sent, {skipped} skipped: {}", form.subject.trim());
            crate::audit::service::record(&mut tx, actor, "reengagement.sent", &entity).await?;
        }
        bus.commit(tx).await?;
        progress.set(done).await?;
    }
    let mut summary = format!("Queued {}.", crate::ui::count(sent, "email"));
    if skipped > 0 {
        summary.push_str(&format!(
            " Skipped {}: re-engaged by another send meanwhile, unsubscribed, or deleted.",
            crate::ui::count(skipped, "contact")
        ));
    }
    Ok(JobResult {
        summary,
        counts: vec![("sent".into(), sent), ("skipped".into(), skipped)],
        problems: Vec::new(),
    })
}
