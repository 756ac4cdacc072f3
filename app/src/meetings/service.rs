//! Meeting rules (ssr only): checking, saving, listing and deleting meetings, each change
//! published (`meeting.created`, `meeting.updated`, `meeting.deleted`) in its transaction.

use sqlx::Row;

use super::{Meeting, MeetingFilter, MeetingForm, MeetingPage};
use crate::bus::{self, Bus};
use crate::db::{self, Db};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::{MeetingCreated, MeetingDeleted, MeetingUpdated};
use crate::events::{Actor, Event, rfc3339_from_unix_ms};
use crate::settings;
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("invalid meeting details")]
    Invalid(Vec<FieldError>),
    #[error("no such meeting")]
    NotFound,
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
    let times = (form.date.as_str(), form.start_time.as_str(), form.end_time.as_str());
    let span = zone.read_span(&mut v, times, "meeting", is_new.then_some(now));
    v.finish()?;
    span.ok_or_else(|| FieldError::only("date", "Enter a date and times."))
}

const COLUMNS: &str = "id, title, agenda, location, starts_at, ends_at";

fn meeting_from_row(row: &sqlx::any::AnyRow, zone: &Zone, now: i64) -> Result<Meeting, sqlx::Error> {
    let (starts_at, ends_at): (i64, i64) = (row.try_get("starts_at")?, row.try_get("ends_at")?);
    let (date, start_time, end_time) = zone.form_times(starts_at, ends_at);
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
        over: ends_at <= now,
    })
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
/// `meeting.updated` with it.
pub async fn save(
    bus: &Bus,
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
    // One statement writes either, its values bound in the same order.
    let (id, sql) = if is_new {
        let sql = "INSERT INTO meetings (title, agenda, location, starts_at, ends_at, updated_at, id, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $6)";
        (uuid::Uuid::new_v4().to_string(), sql)
    } else {
        let sql = "UPDATE meetings SET title = $1, agenda = $2, location = $3, starts_at = $4, ends_at = $5, \
                   updated_at = $6 WHERE id = $7";
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

/// Deletes a meeting, publishing `meeting.deleted` and writing it to the admin audit log, as
/// other deletions are.
pub async fn delete(bus: &Bus, actor: &Actor, id: &str) -> Result<(), MeetingError> {
    let mut tx = bus.db().begin_write().await?;
    let title: String = sqlx::query_scalar("DELETE FROM meetings WHERE id = $1 RETURNING title")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(MeetingError::NotFound)?;
    crate::audit::record(&mut tx, actor, "meeting.deleted", &title).await?;
    let event = Event::MeetingDeleted(MeetingDeleted { meeting_id: id.to_string(), title });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}
