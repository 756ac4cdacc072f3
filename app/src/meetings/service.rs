//! Meeting rules (ssr only): checking, saving, listing and deleting meetings, each change
//! published (`meeting.created`, `meeting.updated`, `meeting.deleted`) in its transaction;
//! inviting people by email, whose notices (invited, changed, cancelled, no longer expected)
//! are queued in the transaction of the change they tell of; their answers (coming or not)
//! through each invitation's signed link; and their reminders a day before.

use sqlx::Row;

use super::{Attendee, Invitation, Invited, Meeting, MeetingFilter, MeetingForm, MeetingPage, Reply};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::email::service::{EmailAttachment, OutgoingEmail};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::{
    MeetingAttendeeInvited, MeetingAttendeeRemoved, MeetingAttendeeReplied, MeetingCreated, MeetingDeleted,
    MeetingUpdated,
};
use crate::events::{Actor, Event, rfc3339_from_unix_ms};
use crate::secrets::SecretKey;
use crate::settings;
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("invalid meeting details")]
    Invalid(Vec<FieldError>),
    #[error("no such meeting")]
    NotFound,
    #[error("not invited")]
    NotInvited,
    /// A reply link that is not one of ours, or whose invitation is gone.
    #[error("not a valid reply link")]
    BadLink,
    #[error("the meeting is over")]
    Over,
    #[error("the meeting has no minutes")]
    NoMinutes,
    #[error("nobody is invited")]
    NobodyInvited,
    /// The edit form was opened before someone else saved the meeting.
    #[error("the meeting was saved since the form was opened")]
    ChangedMeanwhile,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Meetings on a page of the list.
pub const PAGE_SIZE: i64 = 50;

/// Checks a meeting form, its date and times local to `zone`; a new meeting must not start in
/// the past. Gives the meeting's start and end.
fn validate(form: &MeetingForm, zone: &Zone, now: i64, is_new: bool) -> Result<(i64, i64), Vec<FieldError>> {
    let mut v = Validation::new();
    v.check(!form.title.trim().is_empty(), "title", "Enter a title.");
    v.check(
        is_one_line(&form.title, super::TITLE_MAX_CHARS),
        "title",
        "Titles are one line of at most 200 characters.",
    );
    v.check(!form.location.trim().is_empty(), "location", "Enter where it takes place, or its call's link.");
    v.check(
        is_one_line(&form.location, super::LOCATION_MAX_CHARS),
        "location",
        "The location is one line of at most 300 characters.",
    );
    v.check(
        is_plain_text(&form.agenda, super::AGENDA_MAX_CHARS),
        "agenda",
        "The agenda can be at most 5,000 characters.",
    );
    let times = (form.date.as_str(), form.start_time.as_str(), form.end_time.as_str(), form.ends_next_day);
    let span = zone.read_span(&mut v, times, "meeting", is_new.then_some(now));
    v.finish()?;
    span.ok_or_else(|| FieldError::only("date", "Enter a date and times."))
}

const COLUMNS: &str = "id, title, agenda, location, starts_at, ends_at, edits, minutes, minutes_edits, minutes_sent_at, minutes_sent_to";

fn meeting_from_row(row: &sqlx::any::AnyRow, zone: &Zone, now: i64) -> Result<Meeting, sqlx::Error> {
    let (starts_at, ends_at): (i64, i64) = (row.try_get("starts_at")?, row.try_get("ends_at")?);
    let crate::time_zone::FormTimes { date, start_time, end_time, ends_next_day } =
        zone.form_times(starts_at, ends_at);
    Ok(Meeting {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        agenda: row.try_get("agenda")?,
        location: row.try_get("location")?,
        starts_at,
        ends_at,
        when: zone.span_label(starts_at, ends_at),
        date,
        start_time,
        end_time,
        ends_next_day,
        over: ends_at <= now,
        edits: row.try_get("edits")?,
        minutes: row.try_get("minutes")?,
        minutes_edits: row.try_get("minutes_edits")?,
        minutes_sent: match row.try_get::<Option<i64>, _>("minutes_sent_at")? {
            Some(at) => Some(format!("{} on {}", people(row.try_get("minutes_sent_to")?), zone.stamp(at))),
            None => None,
        },
    })
}

/// "1 person", "5 people".
fn people(n: i64) -> String {
    if n == 1 { "1 person".to_string() } else { format!("{} people", crate::ui::thousands(n)) }
}

/// The meeting as it is inside `tx`, its row locked until `tx` ends.
async fn locked(tx: &mut Tx, zone: &Zone, id: &str, now: i64) -> Result<Meeting, MeetingError> {
    let lock = db::for_update(tx);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM meetings WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(MeetingError::NotFound)?;
    Ok(meeting_from_row(&row, zone, now)?)
}

pub async fn find(db: &Db, id: &str) -> Result<Meeting, MeetingError> {
    let zone = settings::time_zone(db).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM meetings WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(MeetingError::NotFound)?;
    Ok(meeting_from_row(&row, &zone, db::now_unix())?)
}

/// One page of meetings found by title: those still to end soonest first, or past ones
/// latest first.
pub async fn list(db: &Db, filter: &MeetingFilter, now: i64) -> Result<MeetingPage, MeetingError> {
    let (mut conditions, binds) = db::title_and_status_conditions("title", &filter.search, "", None);
    // `now` is the server's own number, not something typed.
    let (when, order) = if filter.past { ("<=", "DESC") } else { (">", "ASC") };
    conditions.push_str(&format!(" AND ends_at {when} {now}"));
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) FROM meetings{conditions}"), &binds).await?;
    let select = format!("SELECT {COLUMNS} FROM meetings{conditions} ORDER BY starts_at {order}, id");
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows.iter().map(|r| meeting_from_row(r, &zone, now)).collect::<Result<Vec<_>, _>>()?;
    Ok(MeetingPage { rows, page, has_more, count })
}

/// Creates (empty `id`) or updates a meeting, publishing `meeting.created` or
/// `meeting.updated` with it. An edit from a form opened before someone else saved the
/// meeting is refused.
pub async fn save(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    id: &str,
    form: &MeetingForm,
    now: i64,
) -> Result<Meeting, MeetingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let is_new = id.is_empty();
    let (starts_at, ends_at) = validate(form, &zone, now, is_new).map_err(MeetingError::Invalid)?;
    let (title, location) = (form.title.trim().to_string(), form.location.trim().to_string());
    let mut tx = bus.db().begin_write().await?;
    // What the people invited were last told, to email them only when something changes.
    let before = if is_new { None } else { Some(locked(&mut tx, &zone, id, now).await?) };
    if before.as_ref().is_some_and(|before| form.edits.is_some_and(|seen| seen != before.edits)) {
        return Err(MeetingError::ChangedMeanwhile);
    }
    // One statement writes either, its values bound in the same order.
    let (id, sql) = if is_new {
        let sql = "INSERT INTO meetings (title, agenda, location, starts_at, ends_at, updated_at, id, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $6)";
        (uuid::Uuid::new_v4().to_string(), sql)
    } else {
        let sql = "UPDATE meetings SET title = $1, agenda = $2, location = $3, starts_at = $4, ends_at = $5, \
                   updated_at = $6, edits = edits + 1 WHERE id = $7";
        (id.to_string(), sql)
    };
    let written = sqlx::query(sql)
        .bind(&title)
        .bind(form.agenda.trim())
        .bind(&location)
        .bind(starts_at)
        .bind(ends_at)
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if written.rows_affected() == 0 {
        return Err(MeetingError::NotFound);
    }
    if let Some(before) = before {
        let after = locked(&mut tx, &zone, &id, now).await?;
        let details = |m: &Meeting| (m.title.clone(), m.agenda.clone(), m.location.clone());
        if (before.starts_at, before.ends_at) != (after.starts_at, after.ends_at) {
            // An answer was given for the old time: everyone is asked again.
            // A reminder, too, is due again before the new time.
            sqlx::query(
                "UPDATE meeting_attendees SET reply = NULL, replied_at = NULL, reminded_at = NULL \
                 WHERE meeting_id = $1",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            notify_attendees(&mut tx, key, &after, Notice::Rescheduled, now).await?;
        } else if details(&before) != details(&after) {
            notify_attendees(&mut tx, key, &after, Notice::Changed, now).await?;
        }
    }
    let (meeting_id, starts_at, ends_at) =
        (id.clone(), rfc3339_from_unix_ms(starts_at * 1000), rfc3339_from_unix_ms(ends_at * 1000));
    let event = if is_new {
        Event::MeetingCreated(MeetingCreated { meeting_id, title, starts_at, ends_at, location })
    } else {
        Event::MeetingUpdated(MeetingUpdated { meeting_id, title, starts_at, ends_at, location })
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), &id).await
}

/// Saves a meeting's minutes, unless another organiser saved them since the form was opened
/// with `edits`. Written to the admin audit log, as a meeting's other changes are published.
pub async fn save_minutes(
    db: &Db,
    actor: &Actor,
    id: &str,
    minutes: &str,
    edits: i64,
) -> Result<Meeting, MeetingError> {
    let minutes = minutes.trim();
    if !is_plain_text(minutes, super::MINUTES_MAX_CHARS) {
        return Err(MeetingError::Invalid(FieldError::only(
            "minutes",
            "The minutes can be at most 20,000 characters.",
        )));
    }
    let zone = settings::time_zone(db).await?;
    let mut tx = db.begin_write().await?;
    let meeting = locked(&mut tx, &zone, id, db::now_unix()).await?;
    if meeting.minutes_edits != edits {
        return Err(MeetingError::ChangedMeanwhile);
    }
    if meeting.minutes != minutes {
        sqlx::query("UPDATE meetings SET minutes = $1, minutes_edits = minutes_edits + 1 WHERE id = $2")
            .bind(minutes)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::audit::service::record(&mut tx, actor, "meeting.minutes.saved", &meeting.title).await?;
    }
    tx.commit().await?;
    find(db, id).await
}

/// Emails the saved minutes to everyone invited (those who said they could not come too: they
/// want them most), in one transaction that records when and to how many. Answers how many.
pub async fn send_minutes(db: &Db, actor: &Actor, id: &str, now: i64) -> Result<usize, MeetingError> {
    let zone = settings::time_zone(db).await?;
    let organisation = settings::organisation_name(db).await?;
    let mut tx = db.begin_write().await?;
    let meeting = locked(&mut tx, &zone, id, now).await?;
    if meeting.minutes.is_empty() {
        return Err(MeetingError::NoMinutes);
    }
    let invited: Vec<String> =
        sqlx::query_scalar("SELECT email FROM meeting_attendees WHERE meeting_id = $1 ORDER BY email")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    if invited.is_empty() {
        return Err(MeetingError::NobodyInvited);
    }
    let body = format!(
        "The minutes of {} ({}):\n\n{}\n\n--\n{organisation}\n",
        meeting.title, meeting.when, meeting.minutes
    );
    let emails: Vec<OutgoingEmail> = invited
        .iter()
        .map(|to| OutgoingEmail {
            to: to.clone(),
            subject: format!("Minutes: {}", meeting.title),
            body: body.clone(),
            attachment: None,
        })
        .collect();
    crate::email::service::queue_all(&mut tx, &emails).await?;
    sqlx::query("UPDATE meetings SET minutes_sent_at = $1, minutes_sent_to = $2 WHERE id = $3")
        .bind(now)
        .bind(invited.len() as i64)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entity = format!("{} to {}", meeting.title, people(invited.len() as i64));
    crate::audit::service::record(&mut tx, actor, "meeting.minutes.sent", &entity).await?;
    tx.commit().await?;
    Ok(invited.len())
}

/// Deletes a meeting, publishing `meeting.deleted` and writing it to the admin audit log, as
/// other deletions are; the people invited are told it is cancelled.
pub async fn delete(bus: &Bus, key: &SecretKey, actor: &Actor, id: &str) -> Result<(), MeetingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let now = db::now_unix();
    let mut tx = bus.db().begin_write().await?;
    let meeting = locked(&mut tx, &zone, id, now).await?;
    notify_attendees(&mut tx, key, &meeting, Notice::Cancelled, now).await?;
    let title: String = sqlx::query_scalar("DELETE FROM meetings WHERE id = $1 RETURNING title")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(MeetingError::NotFound)?;
    crate::audit::service::record(&mut tx, actor, "meeting.deleted", &title).await?;
    let event = Event::MeetingDeleted(MeetingDeleted { meeting_id: id.to_string(), title });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// What an email to someone invited tells them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Notice {
    Invited,
    /// Its title, place or agenda changed.
    Changed,
    /// Its time changed: earlier answers no longer hold.
    Rescheduled,
    Cancelled,
    /// Taken off the invitations.
    Uninvited,
    /// A day before, to someone who has not said they won't come (`coming`: they said they
    /// will).
    Reminder {
        coming: bool,
    },
}

/// The email telling `to` about `meeting`, with the meeting's calendar file: one that adds or
/// updates it, or, for a cancellation, removes it. Its SEQUENCE is the time of the notice, so
/// each notice supersedes the one before. An invitation, a change and a reminder carry the
/// link `to` answers with, made from their invitation's `attendee_id`.
fn notice_email(
    key: &SecretKey,
    meeting: &Meeting,
    notice: Notice,
    attendee_id: &str,
    to: &str,
    now: i64,
) -> OutgoingEmail {
    let link = format!(
        "{}/meetings/reply?token={}",
        crate::email::service::LINK_BASE,
        reply_token(key, attendee_id)
    );
    let (title, when) = (&meeting.title, &meeting.when);
    let details = format!("When: {when}\nWhere: {}", meeting.location);
    let agenda = match meeting.agenda.as_str() {
        "" => String::new(),
        agenda => format!("\n\nAgenda:\n{agenda}"),
    };
    let (subject, body, status) = match notice {
        Notice::Invited => (
            format!("Invitation: {title}"),
            format!(
                "You are invited to {title}.\n\n{details}{agenda}\n\nWill you come? Answer here: {link}\n\nThe attached file adds it to your calendar."
            ),
            "CONFIRMED",
        ),
        Notice::Changed => (
            format!("Changed: {title}"),
            format!(
                "{title} has changed. It is now:\n\n{details}{agenda}\n\nTo say whether you will come, or change your answer: {link}\n\nThe attached file updates it in your calendar."
            ),
            "CONFIRMED",
        ),
        Notice::Rescheduled => (
            format!("Changed: {title}"),
            format!(
                "{title} has moved. It is now:\n\n{details}{agenda}\n\nCan you come at the new time? Answer here, even if you answered before: {link}\n\nThe attached file updates it in your calendar."
            ),
            "CONFIRMED",
        ),
        Notice::Cancelled => (
            format!("Cancelled: {title}"),
            format!("{title} ({when}) is cancelled.\n\nThe attached file removes it from your calendar."),
            "CANCELLED",
        ),
        Notice::Uninvited => (
            format!("No longer expected: {title}"),
            format!(
                "You are no longer expected at {title} ({when}).\n\nThe attached file removes it from your calendar."
            ),
            "CANCELLED",
        ),
        Notice::Reminder { coming } => {
            let answer = if coming {
                format!("You said you will come. If you can't after all, say so here: {link}")
            } else {
                format!("Will you come? Answer here: {link}")
            };
            (
                format!("Reminder: {title}"),
                format!(
                    "A reminder: {title} is coming up.\n\n{details}{agenda}\n\n{answer}\n\nThe attached file adds it to your calendar."
                ),
                "CONFIRMED",
            )
        }
    };
    let entry = crate::ics::IcsEvent {
        uid: format!("meeting-{}@changemaker", meeting.id),
        sequence: now,
        status,
        starts_at: meeting.starts_at,
        ends_at: meeting.ends_at,
        summary: title,
        location: &meeting.location,
        description: &meeting.agenda,
        url: None,
    };
    OutgoingEmail {
        to: to.to_string(),
        subject,
        body,
        attachment: Some(EmailAttachment {
            filename: "meeting.ics".into(),
            content_type: "text/calendar; charset=utf-8".into(),
            content: crate::ics::calendar(&[entry], None, now),
        }),
    }
}

/// Queues `notice` to everyone invited to `meeting`, unless it is over (nobody needs telling
/// that a past meeting's notes changed).
async fn notify_attendees(
    tx: &mut Tx,
    key: &SecretKey,
    meeting: &Meeting,
    notice: Notice,
    now: i64,
) -> Result<(), sqlx::Error> {
    if meeting.over {
        return Ok(());
    }
    let invited: Vec<(String, String)> =
        sqlx::query_as("SELECT id, email FROM meeting_attendees WHERE meeting_id = $1 ORDER BY email")
            .bind(&meeting.id)
            .fetch_all(&mut **tx)
            .await?;
    let emails: Vec<OutgoingEmail> =
        invited.iter().map(|(attendee, to)| notice_email(key, meeting, notice, attendee, to, now)).collect();
    crate::email::service::queue_all(tx, &emails).await
}

/// How long before a meeting its reminders go.
pub const REMINDER_HOURS: i64 = 24;

/// Reminders queued per transaction.
const REMINDERS_PER_BATCH: i64 = 500;

/// Queues a reminder for each person invited to a meeting that starts within
/// `REMINDER_HOURS` of `now`, who has not said they won't come and has not been reminded;
/// answers how many were queued. Someone invited inside that window has just had the
/// invitation, and is skipped.
pub async fn send_reminders(db: &Db, key: &SecretKey, now: i64) -> Result<usize, sqlx::Error> {
    let lead = REMINDER_HOURS * 3600;
    // The meeting's columns as `find` reads them, of `m`.
    let columns: Vec<String> = COLUMNS.split(", ").map(|column| format!("m.{column}")).collect();
    let due = format!(
        "SELECT {}, a.id AS attendee_id, \
         a.email AS attendee_email, a.reply AS attendee_reply \
         FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id \
         WHERE m.starts_at > $1 AND m.starts_at <= $2 AND a.reminded_at IS NULL \
         AND (a.reply IS NULL OR a.reply = 'YES') AND a.invited_at <= m.starts_at - {lead} \
         ORDER BY m.starts_at, a.email LIMIT {REMINDERS_PER_BATCH}",
        columns.join(", ")
    );
    let zone = settings::time_zone(db).await?;
    let mut queued = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(due.as_str()))
            .bind(now)
            .bind(now + lead)
            .fetch_all(&mut *tx)
            .await?;
        let mut reminders = Vec::with_capacity(rows.len());
        for row in &rows {
            let attendee: String = row.try_get("attendee_id")?;
            // Marked in the same transaction as queued: a reminder is never sent twice, even
            // by two servers at once (the second finds it marked).
            let marked = sqlx::query(
                "UPDATE meeting_attendees SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
            )
            .bind(now)
            .bind(&attendee)
            .execute(&mut *tx)
            .await?;
            if marked.rows_affected() == 1 {
                let meeting = meeting_from_row(row, &zone, now)?;
                let coming = row.try_get::<Option<String>, _>("attendee_reply")?.as_deref() == Some("YES");
                let to: String = row.try_get("attendee_email")?;
                reminders.push(notice_email(key, &meeting, Notice::Reminder { coming }, &attendee, &to, now));
            }
        }
        crate::email::service::queue_all(&mut tx, &reminders).await?;
        tx.commit().await?;
        queued += reminders.len();
        if (rows.len() as i64) < REMINDERS_PER_BATCH {
            return Ok(queued);
        }
    }
}

/// The addresses typed or pasted (`crate::users::service::typed_addresses`), each once and
/// lower-cased; or what is wrong with them.
fn read_addresses(text: &str) -> Result<Vec<String>, Vec<FieldError>> {
    let mut addresses: Vec<String> = Vec::new();
    for typed in crate::users::service::typed_addresses(text) {
        let email = crate::users::service::normalise_email(&typed);
        if !crate::users::service::is_plausible_email(&email) {
            let shown: String = typed.chars().take(60).collect();
            return Err(FieldError::only("emails", format!("{shown} is not an email address.")));
        }
        if !addresses.contains(&email) {
            addresses.push(email);
        }
    }
    if addresses.is_empty() {
        return Err(FieldError::only("emails", "Enter one or more email addresses."));
    }
    Ok(addresses)
}

/// The people invited to meeting `id`, by email.
pub async fn attendees(db: &Db, id: &str) -> Result<Vec<Attendee>, MeetingError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM meetings WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    found.ok_or(MeetingError::NotFound)?;
    let zone = settings::time_zone(db).await?;
    let rows = sqlx::query(
        "SELECT email, invited_at, reply FROM meeting_attendees WHERE meeting_id = $1 ORDER BY email",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Attendee {
                email: row.try_get("email")?,
                invited_on: zone.date(row.try_get("invited_at")?),
                reply: row.try_get::<Option<String>, _>("reply")?.as_deref().and_then(Reply::parse),
            })
        })
        .collect()
}

/// Invites the addresses in `text` to meeting `id` (see `invite_addresses`).
pub async fn invite(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    id: &str,
    text: &str,
    now: i64,
) -> Result<Invited, MeetingError> {
    let addresses = read_addresses(text).map_err(MeetingError::Invalid)?;
    invite_addresses(bus, key, actor, id, &addresses, "emails", now).await
}

/// Invites every contact with the contact tag `tag` who still takes email from the group to
/// meeting `id` (see `invite_addresses`).
pub async fn invite_tagged(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    id: &str,
    tag: &str,
    now: i64,
) -> Result<Invited, MeetingError> {
    let tag = tag.trim().to_lowercase();
    let addresses = crate::contacts::service::emails_tagged(bus.db(), &tag).await?;
    if addresses.is_empty() {
        let message = format!("No contact who takes email from the group has the tag \"{tag}\".");
        return Err(MeetingError::Invalid(FieldError::only("tag", message)));
    }
    invite_addresses(bus, key, actor, id, &addresses, "tag", now).await
}

/// Invites `addresses` to meeting `id`, which must not be over: each one new gets an
/// invitation with the calendar file, queued in the same transaction, and
/// `meeting.attendee.invited`; one invited already is counted, not emailed again. At most
/// `ATTENDEES_MAX` people in all (else refused on the form's `field`).
async fn invite_addresses(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    id: &str,
    addresses: &[String],
    field: &str,
    now: i64,
) -> Result<Invited, MeetingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let mut tx = bus.db().begin_write().await?;
    let meeting = locked(&mut tx, &zone, id, now).await?;
    if meeting.over {
        return Err(MeetingError::Over);
    }
    let already: Vec<String> =
        sqlx::query_scalar("SELECT email FROM meeting_attendees WHERE meeting_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let new: Vec<&String> = addresses.iter().filter(|email| !already.contains(email)).collect();
    if already.len() + new.len() > super::ATTENDEES_MAX {
        let message =
            format!("A meeting can have at most 100 people invited; {} are already.", already.len());
        return Err(MeetingError::Invalid(FieldError::only(field, message)));
    }
    let mut emails: Vec<OutgoingEmail> = Vec::with_capacity(new.len());
    let mut events: Vec<Event> = Vec::with_capacity(new.len());
    for email in &new {
        let attendee = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO meeting_attendees (meeting_id, email, invited_at, id) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(*email)
        .bind(now)
        .bind(&attendee)
        .execute(&mut *tx)
        .await?;
        emails.push(notice_email(key, &meeting, Notice::Invited, &attendee, email, now));
        events.push(Event::MeetingAttendeeInvited(MeetingAttendeeInvited {
            meeting_id: meeting.id.clone(),
            title: meeting.title.clone(),
            email: email.to_string(),
        }));
    }
    crate::email::service::queue_all(&mut tx, &emails).await?;
    let published: Vec<(&Actor, &Event)> = events.iter().map(|event| (actor, event)).collect();
    bus::publish_all(&mut tx, &published).await?;
    bus.commit(tx).await?;
    Ok(Invited { invited: new.len(), already: addresses.len() - new.len() })
}

/// Takes `email` off meeting `id`'s invitations, publishing `meeting.attendee.removed`, and,
/// unless the meeting is over, tells them.
pub async fn uninvite(
    bus: &Bus,
    key: &SecretKey,
    actor: &Actor,
    id: &str,
    email: &str,
    now: i64,
) -> Result<(), MeetingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let mut tx = bus.db().begin_write().await?;
    let meeting = locked(&mut tx, &zone, id, now).await?;
    let email = crate::users::service::normalise_email(email);
    let removed: Option<String> =
        sqlx::query_scalar("DELETE FROM meeting_attendees WHERE meeting_id = $1 AND email = $2 RETURNING id")
            .bind(id)
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    let attendee = removed.ok_or(MeetingError::NotInvited)?;
    if !meeting.over {
        let notice = notice_email(key, &meeting, Notice::Uninvited, &attendee, &email, now);
        crate::email::service::queue(&mut tx, &notice).await?;
    }
    let event = Event::MeetingAttendeeRemoved(MeetingAttendeeRemoved {
        meeting_id: meeting.id.clone(),
        title: meeting.title.clone(),
        email,
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// What a reply link's signature is made for, so no other signed link can stand in.
const REPLY_LINK: &str = "meeting-reply";

/// The token of the reply link of invitation `attendee_id`: the id and its signature with the
/// instance's key, so it needs no storage and cannot be made for anyone else. It stops working
/// when the invitation is withdrawn (a new invitation has a new id).
fn reply_token(key: &SecretKey, attendee_id: &str) -> String {
    format!("{attendee_id}.{}", key.sign(REPLY_LINK, attendee_id))
}

/// The invitation a reply token names, if its signature holds.
fn reply_token_attendee<'a>(key: &SecretKey, token: &'a str) -> Result<&'a str, MeetingError> {
    let (id, signature) = token.split_once('.').ok_or(MeetingError::BadLink)?;
    if key.verify(REPLY_LINK, id, signature) { Ok(id) } else { Err(MeetingError::BadLink) }
}

/// The meeting a reply link is for, whose invitation it is and their answer so far.
pub async fn invitation(db: &Db, key: &SecretKey, token: &str, now: i64) -> Result<Invitation, MeetingError> {
    let attendee = reply_token_attendee(key, token)?;
    let row = sqlx::query("SELECT meeting_id, email, reply FROM meeting_attendees WHERE id = $1")
        .bind(attendee)
        .fetch_optional(db.pool())
        .await?
        .ok_or(MeetingError::BadLink)?;
    let meeting = find(db, &row.try_get::<String, _>("meeting_id")?).await?;
    Ok(Invitation {
        organisation: settings::organisation_name(db).await?,
        title: meeting.title,
        when: meeting.when,
        location: meeting.location,
        agenda: meeting.agenda,
        email_hint: crate::contacts::service::email_hint(&row.try_get::<String, _>("email")?),
        minutes: meeting.minutes,
        reply: row.try_get::<Option<String>, _>("reply")?.as_deref().and_then(Reply::parse),
        over: meeting.ends_at <= now,
    })
}

/// Records `reply` for the invitation a reply link names, publishing
/// `meeting.attendee.replied`; a later, different answer replaces it, the same one again changes
/// nothing. Refused once the meeting is over.
pub async fn reply(
    bus: &Bus,
    key: &SecretKey,
    token: &str,
    reply: Reply,
    now: i64,
) -> Result<(), MeetingError> {
    let attendee = reply_token_attendee(key, token)?;
    let zone = settings::time_zone(bus.db()).await?;
    let mut tx = bus.db().begin_write().await?;
    let (meeting_id, email, given): (String, String, Option<String>) =
        sqlx::query_as("SELECT meeting_id, email, reply FROM meeting_attendees WHERE id = $1")
            .bind(attendee)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(MeetingError::BadLink)?;
    // Locked: an answer and a change of time, which clears the answers, come one after the other.
    let meeting = locked(&mut tx, &zone, &meeting_id, now).await?;
    if meeting.over {
        return Err(MeetingError::Over);
    }
    if given.as_deref() == Some(reply.as_str()) {
        return Ok(());
    }
    sqlx::query("UPDATE meeting_attendees SET reply = $1, replied_at = $2 WHERE id = $3")
        .bind(reply.as_str())
        .bind(now)
        .bind(attendee)
        .execute(&mut *tx)
        .await?;
    let event = Event::MeetingAttendeeReplied(MeetingAttendeeReplied {
        meeting_id,
        title: meeting.title,
        email,
        reply: reply.as_str().to_string(),
    });
    // The person invited answers through their link, not as a user of this server.
    bus::publish(&mut tx, &Actor::System, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_link_names_only_the_invitation_it_was_made_for() {
        let key = SecretKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let token = reply_token(&key, "invitation-1");
        assert_eq!(reply_token_attendee(&key, &token).ok(), Some("invitation-1"));
        let signature = token.split_once('.').unwrap().1;
        let refused = [
            format!("invitation-2.{signature}"),
            "invitation-1".to_string(),
            // Another kind of signed link for the same id: an unsubscribe link's.
            format!("invitation-1.{}", key.sign("contact-unsubscribe", "invitation-1")),
        ];
        for wrong in refused {
            assert!(matches!(reply_token_attendee(&key, &wrong), Err(MeetingError::BadLink)), "{wrong}");
        }
        let other = SecretKey::from_base64("HwAeHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=").unwrap();
        assert!(reply_token_attendee(&other, &token).is_err(), "another instance's key");
    }

    #[test]
    fn addresses_are_read_once_each_and_a_wrong_one_is_named() {
        let read =
            read_addresses("Jo@Example.org, sam@example.org;\n jo@example.org  al@example.org").unwrap();
        assert_eq!(read, ["jo@example.org", "sam@example.org", "al@example.org"]);
        // Pasted from a mail client's "To" line.
        let pasted =
            read_addresses("Jo Lee <Jo@Example.org>, \"Sam, Treasurer\" <sam@example.org>, jo@example.org");
        assert_eq!(pasted.unwrap(), ["jo@example.org", "sam@example.org"]);
        let wrong = read_addresses("jo@example.org, jo at example").unwrap_err();
        assert_eq!(
            (wrong[0].field.as_str(), wrong[0].message.as_str()),
            ("emails", "jo is not an email address.")
        );
        assert_eq!(read_addresses(" ,\n ").unwrap_err()[0].message, "Enter one or more email addresses.");
    }
}
