//! Ticketed event rules (ssr only): saving, publishing and cancelling events, taking tickets
//! within each tier's capacity (free ones at once, paid ones through Stripe's checkout, issued
//! when the webhook says they are paid), and checking tickets in at the door.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use sqlx::Row;

use super::{
    CheckedIn, ContactTicket, EventDetail, EventFilter, EventForm, EventPage, EventRow, EventStatus, Taken,
    TicketForm, TicketRow, TicketStatus, TicketView, TicketedEvent, Tier, TierKind, TierLine, UpcomingEvents,
};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::email::service::{EmailAttachment, LINK_BASE, OutgoingEmail};
use crate::error::{FieldError, Validation, is_plain_text};
use crate::events::catalog::{
    TicketCancelled, TicketCheckedIn, TicketPurchased, TicketedEventCancelled, TicketedEventCreated,
    TicketedEventDeleted, TicketedEventPublished, TicketedEventUpdated,
};
use crate::events::{Actor, Event, rfc3339_from_unix_ms};
use crate::payments::service::RequestInfo;
use crate::rate_limit::Allowance;
use crate::settings;
use crate::state::AppState;
use crate::time_zone::Zone;
use crate::users::service::normalise_email;

#[derive(Debug, thiserror::Error)]
pub enum TicketingError {
    #[error("invalid event details")]
    Invalid(Vec<FieldError>),
    #[error("no such event")]
    NotFound,
    #[error("no such ticket")]
    TicketNotFound,
    #[error("this address is taken")]
    SlugTaken,
    /// An edit was made on the event as it was before someone else saved it.
    #[error("someone else saved this event meanwhile")]
    ChangedMeanwhile,
    /// Refused as things stand, with what to tell the person.
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    RateLimited(Duration),
    /// A paid ticket's checkout was refused (payments off, too many starts, Stripe).
    #[error(transparent)]
    Payment(#[from] crate::payments::service::PaymentError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

use TicketingError::Conflict;

/// Events on a page of the admin list, and tickets on a page of an event's.
pub const PAGE_SIZE: i64 = 50;

/// The longest address (`/events/<slug>`).
const SLUG_MAX: usize = 80;

/// A checked event form: its instants and tiers.
struct ValidEvent {
    starts_at: i64,
    ends_at: i64,
    tiers: Vec<TierLine>,
}

/// Checks an event form, its date and times local to `zone`; a new event must not start in
/// the past.
fn validate(form: &EventForm, zone: &Zone, now: i64, is_new: bool) -> Result<ValidEvent, Vec<FieldError>> {
    let mut v = Validation::new();
    v.check(!form.title.trim().is_empty(), "title", "Enter a title.");
    v.check(
        crate::error::is_one_line(&form.title, super::TITLE_MAX_CHARS),
        "title",
        "Titles are one line of at most 200 characters.",
    );
    v.check(
        crate::slug::may_stand(form.slug.trim(), &form.title, SLUG_MAX),
        "slug",
        "Use 1 to 80 lower-case letters, digits and hyphens, like spring-gala.",
    );
    v.check(
        is_plain_text(&form.description, super::TEXT_MAX_CHARS),
        "description",
        "The description can be at most 5,000 characters.",
    );
    v.check(
        form.reminder_hours.is_none_or(|hours| super::REMINDER_CHOICES.iter().any(|(h, _)| *h == hours)),
        "reminder_hours",
        "Choose when holders are reminded: a day, two days or a week before, or never.",
    );
    v.check(!form.venue.trim().is_empty(), "venue", "Enter where it takes place.");
    v.check(
        crate::error::is_one_line(&form.venue, super::VENUE_MAX_CHARS),
        "venue",
        "The venue is one line of at most 300 characters.",
    );
    let times = (form.date.as_str(), form.start_time.as_str(), form.end_time.as_str(), form.ends_next_day);
    let instants = zone.read_span(&mut v, times, "event", is_new.then_some(now));
    let tiers = super::parse_tiers(&form.tiers).unwrap_or_else(|message| {
        v.add("tiers", &message);
        Vec::new()
    });
    v.finish()?;
    let Some((starts_at, ends_at)) = instants else {
        return Err(FieldError::only("date", "Enter a date and times."));
    };
    Ok(ValidEvent { starts_at, ends_at, tiers })
}

const COLUMNS: &str =
    "id, slug, title, description, venue, starts_at, ends_at, reminder_hours, status, updated_at, edits";

/// 1 when ticket `t` was bought through Stripe, else 0.
const PAID: &str =
    "CASE WHEN EXISTS (SELECT 1 FROM ticket_orders o WHERE o.ticket_id = t.id) THEN 1 ELSE 0 END";

const TIER_COLUMNS: &str = "id, name, kind, price_cents, capacity, issued";

async fn tiers_of(db: &Db, event_id: &str) -> Result<Vec<Tier>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TIER_COLUMNS} FROM ticket_tiers WHERE event_id = $1 ORDER BY position, id"
    )))
    .bind(event_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(tier_from_row).collect()
}

fn tier_from_row(row: &sqlx::any::AnyRow) -> Result<Tier, sqlx::Error> {
    Ok(Tier {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: TierKind::parse(&row.try_get::<String, _>("kind")?),
        price_cents: row.try_get("price_cents")?,
        capacity: row.try_get("capacity")?,
        issued: row.try_get("issued")?,
    })
}

fn event_from_row(
    row: &sqlx::any::AnyRow,
    zone: &Zone,
    tiers: Vec<Tier>,
) -> Result<TicketedEvent, sqlx::Error> {
    let (starts_at, ends_at): (i64, i64) = (row.try_get("starts_at")?, row.try_get("ends_at")?);
    let status: String = row.try_get("status")?;
    let crate::time_zone::FormTimes { date, start_time, end_time, ends_next_day } =
        zone.form_times(starts_at, ends_at);
    Ok(TicketedEvent {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        venue: row.try_get("venue")?,
        starts_at,
        ends_at,
        when: zone.span_label(starts_at, ends_at),
        date,
        start_time,
        end_time,
        ends_next_day,
        reminder_hours: row.try_get("reminder_hours")?,
        status: EventStatus::parse(&status).unwrap_or(EventStatus::Draft),
        over: ends_at <= db::now_unix(),
        tiers,
        edits: row.try_get("edits")?,
    })
}

async fn find(db: &Db, column: &str, value: &str) -> Result<TicketedEvent, TicketingError> {
    let zone = settings::time_zone(db).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticketed_events WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(db.pool())
    .await?
    .ok_or(TicketingError::NotFound)?;
    let id: String = row.try_get("id")?;
    Ok(event_from_row(&row, &zone, tiers_of(db, &id).await?)?)
}

/// The event's row, locked until commit on PostgreSQL (SQLite's write transaction already
/// holds every row): id, slug, title, venue, times, status and saves, for a change's rules.
struct Locked {
    id: String,
    slug: String,
    title: String,
    venue: String,
    starts_at: i64,
    ends_at: i64,
    /// How long before it starts holders are reminded, in seconds; 0 for never.
    reminder_lead: i64,
    status: EventStatus,
    /// When it was last changed: the SEQUENCE of its calendar entries.
    updated_at: i64,
    /// How many times an organiser saved its details.
    edits: i64,
}

async fn locked(tx: &mut Tx, column: &str, value: &str) -> Result<Locked, TicketingError> {
    let lock = db::for_update(tx);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticketed_events WHERE {column} = $1{lock}"
    )))
    .bind(value)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(TicketingError::NotFound)?;
    let status: String = row.try_get("status")?;
    Ok(Locked {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        venue: row.try_get("venue")?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        reminder_lead: row.try_get::<i64, _>("reminder_hours")? * 3600,
        status: EventStatus::parse(&status).unwrap_or(EventStatus::Draft),
        updated_at: row.try_get("updated_at")?,
        edits: row.try_get("edits")?,
    })
}

impl Locked {
    /// The event as the calendar file sent with a ticket (its email, a change, a reminder):
    /// `CONFIRMED`, its SEQUENCE the event's last change, the holder's tier and code in it.
    fn ticket_file(&self, tier: &str, code: &str) -> EmailAttachment {
        self.calendar_file("CONFIRMED", self.updated_at, &format!("Your ticket: {tier}. Code: {code}"))
    }

    /// The event as an "Add to calendar" attachment: `CONFIRMED` with a ticket, `CANCELLED`
    /// (with a later `sequence`) when the event is called off. `description` says what the
    /// holder has, like their code.
    fn calendar_file(&self, status: &'static str, sequence: i64, description: &str) -> EmailAttachment {
        let event = crate::ics::IcsEvent {
            uid: format!("ticketed-event-{}@changemaker", self.id),
            sequence,
            status,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            summary: &self.title,
            location: &self.venue,
            description,
            url: None,
        };
        EmailAttachment {
            filename: "event.ics".into(),
            content_type: "text/calendar; charset=utf-8".into(),
            content: crate::ics::calendar(&[event], None, db::now_unix()),
        }
    }

    fn published_event(&self) -> Event {
        Event::TicketedEventPublished(TicketedEventPublished {
            event_id: self.id.clone(),
            title: self.title.clone(),
            starts_at: rfc3339_from_unix_ms(self.starts_at * 1000),
            ends_at: rfc3339_from_unix_ms(self.ends_at * 1000),
            venue: self.venue.clone(),
            url_path: format!("/events/{}", self.slug),
        })
    }
}

/// One page of events, the latest start first, by part of the title and by status.
pub async fn list(db: &Db, filter: &EventFilter) -> Result<EventPage, TicketingError> {
    let status = crate::error::title_and_status_filter(&filter.search, &filter.status, EventStatus::parse)
        .map_err(TicketingError::Invalid)?;
    let (conditions, binds) =
        db::title_and_status_conditions("e.title", &filter.search, "e.status", status.map(|s| s.as_str()));
    let count =
        db::fetch_count(db, &format!("SELECT COUNT(*) FROM ticketed_events e{conditions}"), &binds).await?;
    let select = format!(
        "SELECT e.id, e.title, e.starts_at, e.ends_at, e.status, \
         CAST(COALESCE((SELECT SUM(issued) FROM ticket_tiers t WHERE t.event_id = e.id), 0) AS BIGINT) AS issued, \
         CAST(COALESCE((SELECT SUM(capacity) FROM ticket_tiers t WHERE t.event_id = e.id), 0) AS BIGINT) AS capacity \
         FROM ticketed_events e{conditions} ORDER BY e.starts_at DESC, e.id"
    );
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(EventRow {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                when: zone.span_label(r.try_get("starts_at")?, r.try_get("ends_at")?),
                status: EventStatus::parse(&status).unwrap_or(EventStatus::Draft),
                issued: r.try_get("issued")?,
                capacity: r.try_get("capacity")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(EventPage { rows, page, has_more, count })
}

/// Creates a DRAFT (empty `id`, publishing `ticketed-event.created`) or updates an event and
/// its tiers (`ticketed-event.updated`). A tier keeps its tickets by its name: one with tickets
/// cannot be removed or made smaller than what is taken. An edit of a published event also
/// publishes `ticketed-event.published` again, so that calendars show it as it now is.
pub async fn save(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    form: &EventForm,
    now: i64,
) -> Result<TicketedEvent, TicketingError> {
    let derived;
    let form = if form.slug.trim().is_empty() {
        derived = EventForm { slug: crate::slug::from_title(&form.title, SLUG_MAX), ..form.clone() };
        &derived
    } else {
        form
    };
    let zone = settings::time_zone(bus.db()).await?;
    let valid = validate(form, &zone, now, id.is_empty()).map_err(TicketingError::Invalid)?;
    let (slug, title, venue) = (form.slug.trim(), form.title.trim(), form.venue.trim());
    let mut tx = bus.db().begin_write().await?;
    let is_new = id.is_empty();
    // One statement writes either, its values bound in the same order.
    let mut before = None;
    // Left out of an edit's form, the event keeps its own (NULL keeps the column).
    let reminder_hours = if is_new {
        Some(form.reminder_hours.unwrap_or(super::DEFAULT_REMINDER_HOURS))
    } else {
        form.reminder_hours
    };
    let (id, sql) = if is_new {
        let sql = "INSERT INTO ticketed_events (slug, title, description, venue, starts_at, ends_at, created_at, \
                   updated_at, id, reminder_hours, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, 'DRAFT')";
        (uuid::Uuid::new_v4().to_string(), sql)
    } else {
        let current = locked(&mut tx, "id", id).await?;
        if current.status == EventStatus::Cancelled {
            return Err(Conflict("A cancelled event cannot be changed.".into()));
        }
        if form.edits.is_some_and(|seen| seen != current.edits) {
            return Err(TicketingError::ChangedMeanwhile);
        }
        let sql = "UPDATE ticketed_events SET slug = $1, title = $2, description = $3, venue = $4, starts_at = $5, \
                   ends_at = $6, updated_at = $7, edits = edits + 1, \
                   reminder_hours = COALESCE($9, reminder_hours) WHERE id = $8";
        before = Some(current);
        (id.to_string(), sql)
    };
    let written = sqlx::query(sql)
        .bind(slug)
        .bind(title)
        .bind(form.description.trim())
        .bind(venue)
        .bind(valid.starts_at)
        .bind(valid.ends_at)
        .bind(now)
        .bind(&id)
        .bind(reminder_hours)
        .execute(&mut *tx)
        .await;
    match written {
        Err(e) if db::is_unique_violation(&e) => return Err(TicketingError::SlugTaken),
        other => other?,
    };
    save_tiers(&mut tx, &id, &valid.tiers).await?;
    let saved = locked(&mut tx, "id", &id).await?;
    if let Some(before) = &before {
        tell_holders_of_change(&mut tx, before, &saved, &zone).await?;
    }
    let starts_at = rfc3339_from_unix_ms(saved.starts_at * 1000);
    let event = if is_new {
        Event::TicketedEventCreated(TicketedEventCreated {
            event_id: id.clone(),
            title: saved.title.clone(),
            starts_at,
        })
    } else {
        Event::TicketedEventUpdated(TicketedEventUpdated {
            event_id: id.clone(),
            title: saved.title.clone(),
            starts_at,
            ends_at: rfc3339_from_unix_ms(saved.ends_at * 1000),
            venue: saved.venue.clone(),
            url_path: format!("/events/{}", saved.slug),
            status: saved.status.as_str().to_string(),
        })
    };
    bus::publish(&mut tx, actor, &event).await?;
    if saved.status == EventStatus::Published {
        bus::publish(&mut tx, actor, &saved.published_event()).await?;
    }
    crate::audit::service::record(&mut tx, actor, "ticketed-event.saved", slug).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", &id).await
}

/// Makes the event's tiers those of the form, matched by name (any case). A tier that has
/// ever had a ticket or a ticket order is kept: they refer to it.
async fn save_tiers(tx: &mut Tx, event_id: &str, lines: &[TierLine]) -> Result<(), TicketingError> {
    let lock = db::for_update(tx);
    let current = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TIER_COLUMNS} FROM ticket_tiers WHERE event_id = $1{lock}"
    )))
    .bind(event_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(tier_from_row)
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let used: Vec<String> = sqlx::query_scalar(
        "SELECT t.id FROM ticket_tiers t WHERE t.event_id = $1 AND (EXISTS (SELECT 1 FROM tickets k WHERE k.tier_id = t.id) \
         OR EXISTS (SELECT 1 FROM ticket_orders o WHERE o.tier_id = t.id))",
    )
    .bind(event_id)
    .fetch_all(&mut **tx)
    .await?;
    let matching = |name: &str| current.iter().find(|t| t.name.eq_ignore_ascii_case(name));
    let mut problems = Vec::new();
    for tier in &current {
        if used.contains(&tier.id) && !lines.iter().any(|l| l.name.eq_ignore_ascii_case(&tier.name)) {
            problems.push(format!("{} has had tickets, so it cannot be removed.", tier.name));
        }
    }
    for line in lines {
        if let Some(tier) = matching(&line.name).filter(|t| t.issued > line.capacity) {
            problems.push(format!(
                "{} already has {} tickets taken: keep at least that many.",
                tier.name, tier.issued
            ));
        }
    }
    if !problems.is_empty() {
        return Err(TicketingError::Invalid(FieldError::only("tiers", problems.join(" "))));
    }
    for tier in current.iter().filter(|t| !lines.iter().any(|l| l.name.eq_ignore_ascii_case(&t.name))) {
        sqlx::query("DELETE FROM ticket_tiers WHERE id = $1").bind(&tier.id).execute(&mut **tx).await?;
    }
    // A new price applies to tickets taken from now on; those paid keep what they paid.
    for (position, line) in lines.iter().enumerate() {
        let (id, sql) = match matching(&line.name) {
            Some(tier) => (
                tier.id.clone(),
                "UPDATE ticket_tiers SET name = $1, capacity = $2, position = $3, kind = $4, price_cents = $5 \
                 WHERE id = $6 AND event_id = $7",
            ),
            None => (
                uuid::Uuid::new_v4().to_string(),
                "INSERT INTO ticket_tiers (name, capacity, position, kind, price_cents, id, event_id, issued) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
            ),
        };
        sqlx::query(sql)
            .bind(&line.name)
            .bind(line.capacity)
            .bind(position as i64)
            .bind(line.kind.as_str())
            .bind(line.price_cents)
            .bind(&id)
            .bind(event_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Publishes a draft that is still to come; publishes `ticketed-event.published`.
pub async fn publish(bus: &Bus, actor: &Actor, id: &str, now: i64) -> Result<(), TicketingError> {
    let mut tx = bus.db().begin_write().await?;
    let event = locked(&mut tx, "id", id).await?;
    match event.status {
        EventStatus::Draft if event.ends_at > now => {}
        EventStatus::Draft => {
            return Err(Conflict("This event is over: change its date to publish it.".into()));
        }
        EventStatus::Published => return Err(Conflict("This event is already published.".into())),
        EventStatus::Cancelled => return Err(Conflict("A cancelled event cannot be published.".into())),
    }
    sqlx::query("UPDATE ticketed_events SET status = 'PUBLISHED', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    bus::publish(&mut tx, actor, &event.published_event()).await?;
    crate::audit::service::record(&mut tx, actor, "ticketed-event.published", &event.slug).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Someone holding a ticket (valid, or suspended while its payment is disputed).
struct Holder {
    name: String,
    email: String,
    code: String,
    tier: String,
    /// Bought through Stripe (cancelling the event refunds it).
    paid: bool,
}

/// The holders of event `event_id`'s tickets, in the order they took them.
async fn holders(tx: &mut Tx, event_id: &str) -> Result<Vec<Holder>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.name, t.email, t.code, r.name AS tier, {PAID} AS paid FROM tickets t \
         JOIN ticket_tiers r ON r.id = t.tier_id \
         WHERE t.event_id = $1 AND t.status IN ('VALID', 'SUSPENDED') ORDER BY t.created_at, t.id"
    )))
    .bind(event_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Holder {
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                code: row.try_get("code")?,
                tier: row.try_get("tier")?,
                paid: row.try_get::<i64, _>("paid")? == 1,
            })
        })
        .collect()
}

/// After an edit of a published event that moved its time or place, in the edit's
/// transaction: each holder of a ticket is emailed "Changed: …" with the new details and a
/// calendar file that updates their entry, and a new start is reminded of again.
async fn tell_holders_of_change(
    tx: &mut Tx,
    before: &Locked,
    saved: &Locked,
    zone: &Zone,
) -> Result<(), sqlx::Error> {
    let moved = (before.starts_at, before.ends_at) != (saved.starts_at, saved.ends_at);
    if saved.status != EventStatus::Published || (!moved && before.venue == saved.venue) {
        return Ok(());
    }
    if before.starts_at != saved.starts_at {
        sqlx::query("UPDATE tickets SET reminded_at = NULL WHERE event_id = $1")
            .bind(&saved.id)
            .execute(&mut **tx)
            .await?;
    }
    let when = zone.span_label(saved.starts_at, saved.ends_at);
    let emails: Vec<OutgoingEmail> = holders(tx, &saved.id)
        .await?
        .into_iter()
        .map(|Holder { name, email, code, tier, .. }| OutgoingEmail {
            to: email,
            subject: format!("Changed: {}", saved.title),
            body: format!(
                "Hello {name},\n\n{} has changed. Your ticket ({tier}) is for:\n\nWhen: {when}\nWhere: {}\nCode: {code}\n\n\
                 Your ticket's page: {LINK_BASE}/ticket?code={code}\n",
                saved.title, saved.venue
            ),
            // A later SEQUENCE than the ticket's entry: calendars move it.
            attachment: Some(saved.ticket_file(&tier, &code)),
        })
        .collect();
    crate::email::service::queue_all(tx, &emails).await
}

/// Tickets reminded per transaction.
const REMINDERS_PER_BATCH: i64 = 500;

/// Queues a reminder for each valid ticket, not checked in nor reminded yet, of a published
/// event starting within its reminder lead (`reminder_hours`) of `now`, taken before the lead
/// began — or, taken later, a day before the event (`reminders::LATE_LEAD`). A ticket taken
/// within a day of the event is not reminded (its email just came). Answers how many were queued.
pub async fn send_reminders(db: &Db, now: i64) -> Result<usize, TicketingError> {
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM ticketed_events WHERE status = 'PUBLISHED' AND reminder_hours > 0 AND starts_at > $1 \
         AND starts_at <= $1 + reminder_hours * 3600 ORDER BY starts_at",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let zone = settings::time_zone(db).await?;
    let tickets = format!(
        "SELECT t.id, t.name, t.email, t.code, r.name AS tier FROM tickets t JOIN ticket_tiers r ON r.id = t.tier_id \
         WHERE t.event_id = $1 AND t.status = 'VALID' AND t.checked_in_at IS NULL AND t.reminded_at IS NULL \
         AND t.created_at <= $2 ORDER BY t.created_at, t.id LIMIT {REMINDERS_PER_BATCH}"
    );
    let mut queued = 0;
    for id in due {
        loop {
            let mut tx = db.begin_write().await?;
            // Read again under the lock: cancelled or moved meanwhile, it is not reminded now.
            let event = locked(&mut tx, "id", &id).await?;
            let lead = event.reminder_lead;
            if event.status != EventStatus::Published
                || lead == 0
                || event.starts_at <= now
                || event.starts_at > now + lead
            {
                break;
            }
            // The latest reminder moment that has come: tickets taken by then are due.
            let late = event.starts_at - crate::reminders::LATE_LEAD;
            let taken_by = if now >= late { late } else { event.starts_at - lead };
            let rows = sqlx::query(sqlx::AssertSqlSafe(tickets.as_str()))
                .bind(&id)
                .bind(taken_by)
                .fetch_all(&mut *tx)
                .await?;
            let when = zone.span_label(event.starts_at, event.ends_at);
            let mut reminders = Vec::with_capacity(rows.len());
            for row in &rows {
                // Marked in the same transaction as queued: a reminder is never sent twice.
                sqlx::query("UPDATE tickets SET reminded_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(row.try_get::<String, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
                let (name, code, tier): (String, String, String) =
                    (row.try_get("name")?, row.try_get("code")?, row.try_get("tier")?);
                reminders.push(OutgoingEmail {
                    to: row.try_get("email")?,
                    subject: format!("Reminder: {}", event.title),
                    body: format!(
                        "Hello {name},\n\nSee you soon at {}.\n\nWhen: {when}\nWhere: {}\nYour ticket: {tier}, code {code}\n\n\
                         Show the code at the door, or the QR code on your ticket's page: {LINK_BASE}/ticket?code={code}\n\
                         If you can no longer come, give your place back there, so that someone else can have it.\n",
                        event.title, event.venue
                    ),
                    attachment: Some(event.ticket_file(&tier, &code)),
                });
            }
            crate::email::service::queue_all(&mut tx, &reminders).await?;
            tx.commit().await?;
            queued += reminders.len();
            if (rows.len() as i64) < REMINDERS_PER_BATCH {
                break;
            }
        }
    }
    Ok(queued)
}

/// Cancels a published event still to end: every valid ticket is cancelled and its holder emailed, and
/// `ticketed-event.cancelled` is published, in one transaction.
pub async fn cancel(bus: &Bus, actor: &Actor, id: &str) -> Result<(), TicketingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let mut tx = bus.db().begin_write().await?;
    let event = locked(&mut tx, "id", id).await?;
    let now = db::now_unix();
    match event.status {
        EventStatus::Published if event.ends_at > now => {}
        EventStatus::Published => return Err(Conflict("This event is over.".into())),
        EventStatus::Draft => return Err(Conflict("A draft is not published: delete it instead.".into())),
        EventStatus::Cancelled => return Err(Conflict("This event is already cancelled.".into())),
    }
    let holders = holders(&mut tx, id).await?;
    sqlx::query(
        "UPDATE tickets SET status = 'CANCELLED' WHERE event_id = $1 AND status IN ('VALID', 'SUSPENDED')",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE ticketed_events SET status = 'CANCELLED', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let when = zone.span_label(event.starts_at, event.ends_at);
    let emails: Vec<OutgoingEmail> = holders
        .into_iter()
        .map(|Holder { name, email, paid, .. }| OutgoingEmail {
            to: email,
            subject: format!("Cancelled: {}", event.title),
            body: format!(
                "Hello {name},\n\nWe are sorry: {} ({when}, {}) is cancelled, and your ticket with it.\n{}",
                event.title,
                event.venue,
                if paid { "What you paid for it will be refunded to you.\n" } else { "" }
            ),
            // Later than the ticket's entry: calendars mark the event cancelled.
            attachment: Some(event.calendar_file("CANCELLED", now.max(event.updated_at + 1), "Cancelled.")),
        })
        .collect();
    crate::email::service::queue_all(&mut tx, &emails).await?;
    let cancelled = Event::TicketedEventCancelled(TicketedEventCancelled {
        event_id: id.to_string(),
        title: event.title.clone(),
        starts_at: rfc3339_from_unix_ms(event.starts_at * 1000),
    });
    bus::publish(&mut tx, actor, &cancelled).await?;
    crate::audit::service::record(&mut tx, actor, "ticketed-event.cancelled", &event.slug).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Deletes a draft, with `ticketed-event.deleted`. A published event has its tickets' holders
/// to think of: it is cancelled.
pub async fn delete(bus: &Bus, actor: &Actor, id: &str) -> Result<(), TicketingError> {
    let mut tx = bus.db().begin_write().await?;
    let event = locked(&mut tx, "id", id).await?;
    if event.status != EventStatus::Draft {
        return Err(Conflict("Only a draft can be deleted: cancel a published event instead.".into()));
    }
    sqlx::query("DELETE FROM ticketed_events WHERE id = $1").bind(id).execute(&mut *tx).await?;
    crate::audit::service::record(&mut tx, actor, "ticketed-event.deleted", &event.slug).await?;
    let deleted =
        Event::TicketedEventDeleted(TicketedEventDeleted { event_id: event.id, title: event.title });
    bus::publish(&mut tx, actor, &deleted).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Published events still to end, soonest first, `page_size` a page (see
/// `db::page_and_offset`), with their tiers.
pub async fn upcoming(
    db: &Db,
    now: i64,
    page: i64,
    page_size: i64,
) -> Result<UpcomingEvents, TicketingError> {
    let zone = settings::time_zone(db).await?;
    let (page, offset) = db::page_and_offset(page, page_size);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticketed_events WHERE status = 'PUBLISHED' AND ends_at > $1 \
         ORDER BY starts_at, id LIMIT {} OFFSET {offset}",
        page_size + 1
    )))
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let has_more = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    let ids = rows.iter().map(|row| row.try_get("id")).collect::<Result<Vec<String>, _>>()?;
    // The page's tiers in one query, not one per event.
    let mut tiers: HashMap<String, Vec<Tier>> = HashMap::new();
    if !ids.is_empty() {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT event_id, {TIER_COLUMNS} FROM ticket_tiers WHERE event_id IN ({}) ORDER BY position, id",
            db::placeholders(1, ids.len())
        )));
        for id in &ids {
            query = query.bind(id);
        }
        for row in &query.fetch_all(db.pool()).await? {
            tiers.entry(row.try_get("event_id")?).or_default().push(tier_from_row(row)?);
        }
    }
    let events = rows
        .iter()
        .zip(&ids)
        .map(|(row, id)| event_from_row(row, &zone, tiers.remove(id).unwrap_or_default()))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(UpcomingEvents { events, page, has_more })
}

/// The public page's event: published or cancelled (so a shared link says so); a draft is
/// not found.
pub async fn public(db: &Db, slug: &str) -> Result<TicketedEvent, TicketingError> {
    let event = find(db, "slug", slug).await?;
    if event.status == EventStatus::Draft {
        return Err(TicketingError::NotFound);
    }
    Ok(event)
}

/// A new ticket code from `CODE_ALPHABET`, as `ABCD-EFGH-JKMN` (about 59 bits).
fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let alphabet = super::CODE_ALPHABET;
    let plain: String = (0..12).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect();
    super::normalise_code(&plain)
}

/// How long a paid ticket's place is held for its checkout: Stripe's session expires then
/// (30 minutes is Stripe's shortest), and `checkout.session.expired` frees the place.
pub const CHECKOUT_HOLD_SECS: i64 = 31 * 60;

/// Takes a ticket of a tier for someone. A free one (or a pay-what-you-can one for nothing) is
/// issued at once, within the taker's allowance; one with something to pay holds its place
/// and goes to Stripe's checkout (limited as every checkout is), and is issued by the webhook
/// once paid. One ticket per email per event.
pub async fn take(
    state: &AppState,
    taker: &Allowance<'_>,
    request: &RequestInfo,
    slug: &str,
    form: &TicketForm,
    now: i64,
) -> Result<Taken, TicketingError> {
    let mut v = Validation::new();
    crate::contacts::service::check_name_and_email(&mut v, &form.name, &form.email);
    v.check(!form.tier_id.trim().is_empty(), "tier_id", "Choose a ticket.");
    v.finish().map_err(TicketingError::Invalid)?;
    let who = (form.name.trim(), normalise_email(&form.email));
    let tier = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TIER_COLUMNS} FROM ticket_tiers \
         WHERE id = $1 AND event_id = (SELECT id FROM ticketed_events WHERE slug = $2)"
    )))
    .bind(form.tier_id.trim())
    .bind(slug)
    .fetch_optional(state.db.pool())
    .await?
    .map(|row| tier_from_row(&row))
    .transpose()?;
    // An unknown tier is refused under the event's lock, as the free path takes it.
    let amount = match &tier {
        Some(tier) => tier
            .amount_cents(&form.amount)
            .map_err(|message| TicketingError::Invalid(FieldError::only("amount", message)))?,
        None => 0,
    };
    let chosen = Chosen { tier_id: form.tier_id.trim(), amount_typed: &form.amount, amount_cents: amount };
    if amount > 0 {
        buy(state, request, slug, &chosen, who, now).await
    } else {
        taker.take().map_err(TicketingError::RateLimited)?;
        take_free(&state.bus, slug, &chosen, who, now).await
    }
}

/// The tier a visitor chose and what they pay for it, as read before the tier is locked.
struct Chosen<'a> {
    tier_id: &'a str,
    amount_typed: &'a str,
    amount_cents: i64,
}

impl Chosen<'_> {
    /// Refuses when the tier's price changed between the read and its lock.
    fn check_price(&self, tier: &Tier) -> Result<(), TicketingError> {
        match tier.amount_cents(self.amount_typed) {
            Ok(amount) if amount == self.amount_cents => Ok(()),
            _ => Err(Conflict(format!(
                "The price of {} tickets has just changed: reload the page and try again.",
                tier.name
            ))),
        }
    }
}

/// The event and the tier a place was taken from.
struct Place {
    event: Locked,
    tier: Tier,
}

/// Takes one place of a tier for `email`, under the event's lock and then the tier's: the
/// event open, a place left, and no ticket (nor a checkout under way) for this email.
async fn take_place(
    tx: &mut Tx,
    slug: &str,
    tier_id: &str,
    email: &str,
    now: i64,
) -> Result<Place, TicketingError> {
    let event = locked(tx, "slug", slug).await?;
    match event.status {
        EventStatus::Published if event.ends_at > now => {}
        EventStatus::Published => return Err(Conflict("This event is over.".into())),
        EventStatus::Draft => return Err(TicketingError::NotFound),
        EventStatus::Cancelled => return Err(Conflict("This event is cancelled.".into())),
    }
    let lock = db::for_update(tx);
    let tier = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TIER_COLUMNS} FROM ticket_tiers WHERE id = $1 AND event_id = $2{lock}"
    )))
    .bind(tier_id)
    .bind(&event.id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| tier_from_row(&row))
    .transpose()?
    .ok_or_else(|| TicketingError::Invalid(FieldError::only("tier_id", "Choose a ticket from the list.")))?;
    if tier.remaining() == 0 {
        return Err(Conflict(format!("{} tickets are all taken.", tier.name)));
    }
    if holds_ticket(tx, &event.id, email).await? {
        return Err(Conflict(format!(
            "{email} already has a ticket for this event: look for it in your email."
        )));
    }
    let paying: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_orders o JOIN ticket_tiers t ON t.id = o.tier_id \
         WHERE t.event_id = $1 AND o.email = $2 AND o.status = 'PENDING'",
    )
    .bind(&event.id)
    .bind(email)
    .fetch_one(&mut **tx)
    .await?;
    if paying > 0 {
        return Err(Conflict(format!(
            "A payment for a ticket for {email} is under way: finish it, or try again in half an hour."
        )));
    }
    sqlx::query("UPDATE ticket_tiers SET issued = issued + 1 WHERE id = $1")
        .bind(&tier.id)
        .execute(&mut **tx)
        .await?;
    Ok(Place { event, tier })
}

/// Whether `email` holds a ticket (valid, or suspended while its payment is disputed) for the
/// event: one per person.
async fn holds_ticket(tx: &mut Tx, event_id: &str, email: &str) -> Result<bool, sqlx::Error> {
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE event_id = $1 AND email = $2 AND status IN ('VALID', 'SUSPENDED')",
    )
    .bind(event_id)
    .bind(email)
    .fetch_one(&mut **tx)
    .await?;
    Ok(held > 0)
}

/// Issues a free ticket: the place taken, the contact created or matched by email, the
/// ticket and its email written, and `ticket.purchased` published, in one transaction.
async fn take_free(
    bus: &Bus,
    slug: &str,
    chosen: &Chosen<'_>,
    (name, email): (&str, String),
    now: i64,
) -> Result<Taken, TicketingError> {
    let mut tx = bus.db().begin_write().await?;
    let place = take_place(&mut tx, slug, chosen.tier_id, &email, now).await?;
    chosen.check_price(&place.tier)?;
    let contact = crate::contacts::service::find_or_create(&mut tx, &email, name, None, "EVENT").await?;
    let paid = Paid { amount_cents: 0, currency: String::new() };
    let (code, purchased) = issue(&mut tx, &place, &contact.id, (name, &email), paid, now).await?;
    if let Some(created) = &contact.created {
        bus::publish(&mut tx, &Actor::System, created).await?;
    }
    bus::publish(&mut tx, &Actor::System, &purchased).await?;
    bus.commit(tx).await?;
    Ok(Taken::Ticket { code })
}

/// What a ticket was paid (nothing for a free one).
struct Paid {
    amount_cents: i64,
    currency: String,
}

/// Writes a valid ticket for a place already taken and queues its email; answers with its
/// code and the `ticket.purchased` event to publish.
async fn issue(
    tx: &mut Tx,
    place: &Place,
    contact_id: &str,
    (name, email): (&str, &str),
    paid: Paid,
    now: i64,
) -> Result<(String, Event), sqlx::Error> {
    let (event, tier) = (&place.event, &place.tier);
    let zone = settings::time_zone_in(tx).await?;
    let (ticket_id, code) = (uuid::Uuid::new_v4().to_string(), new_code());
    sqlx::query(
        "INSERT INTO tickets (id, event_id, tier_id, code, contact_id, name, email, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'VALID', $8)",
    )
    .bind(&ticket_id)
    .bind(&event.id)
    .bind(&tier.id)
    .bind(&code)
    .bind(contact_id)
    .bind(name)
    .bind(email)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let email_text = OutgoingEmail {
        to: email.to_string(),
        subject: format!("Your ticket: {}", event.title),
        body: format!(
            "Hello {name},\n\nHere is your ticket ({}) for {}.\n\nWhen: {}\nWhere: {}\nCode: {code}\n\n\
             Show the code at the door, or the QR code on your ticket's page: {LINK_BASE}/ticket?code={code}\n",
            tier.name,
            event.title,
            zone.span_label(event.starts_at, event.ends_at),
            event.venue
        ),
        attachment: Some(event.ticket_file(&tier.name, &code)),
    };
    crate::email::service::queue(tx, &email_text).await?;
    let purchased = Event::TicketPurchased(TicketPurchased {
        ticket_id,
        event_id: event.id.clone(),
        event_title: event.title.clone(),
        tier_name: tier.name.clone(),
        tier_kind: tier.kind.as_str().into(),
        contact_id: Some(contact_id.to_string()),
        buyer_name: name.to_string(),
        buyer_email: email.to_string(),
        quantity: 1,
        amount_cents: paid.amount_cents,
        currency: paid.currency,
    });
    Ok((code, purchased))
}

/// Starts the checkout of a ticket for what the visitor pays (the tier's price, or what they
/// chose): the place is taken and the PENDING ticket order written (with its audit
/// row) in one transaction, then Stripe's session opened, expiring when the hold ends.
async fn buy(
    state: &AppState,
    request: &RequestInfo,
    slug: &str,
    chosen: &Chosen<'_>,
    (name, email): (&str, String),
    now: i64,
) -> Result<Taken, TicketingError> {
    use crate::payments::checkout::{self, Pending};
    let amount_cents = chosen.amount_cents;
    let (stripe, stored) = checkout::open(state, request, &format!("ticket {slug}"), amount_cents).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = state.db.begin_write().await?;
    let place = take_place(&mut tx, slug, chosen.tier_id, &email, now).await?;
    chosen.check_price(&place.tier)?;
    let pending = Pending { table: "ticket_orders", id: &id, entity: format!("ticket {id}"), amount_cents };
    checkout::insert_pending_in(
        &mut tx,
        request,
        &pending,
        ("tier_id", &place.tier.id),
        (name, &email),
        &stored.currency,
    )
    .await?;
    tx.commit().await?;

    let base = state.public_url.trim_end_matches('/');
    let line = crate::payments::stripe::SessionLine {
        reference_key: "ticket_order_id",
        reference_id: &id,
        item_name: &format!("{} — {}", place.event.title, place.tier.name),
        amount_cents,
        currency: &stored.currency,
        interval: None,
        email: &email,
        success_url: &format!("{base}/events/{slug}?paid=1"),
        cancel_url: &format!("{base}/events/{slug}"),
        expires_at: Some(now + CHECKOUT_HOLD_SECS),
    };
    let started = checkout::send_to_stripe(state, request, &stripe, &pending, &line).await?;
    Ok(Taken::Checkout { url: started.url })
}

/// A ticket order's checkout closed unpaid (failed, expired, or Stripe refused it): its
/// place is free again.
pub async fn release_place(tx: &mut Tx, order_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE ticket_tiers SET issued = issued - 1 WHERE id = (SELECT tier_id FROM ticket_orders WHERE id = $1)",
    )
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The webhook says ticket order `order_id` (locked, just marked PAID for `contact_id`) is
/// paid: its ticket is issued on the place it held, under the event's lock. If the event was
/// cancelled or is over meanwhile, or the email holds a ticket already, no ticket is issued,
/// the place is freed and the outcome says to refund. Answers with the events to publish and
/// the outcome for the audit row.
pub async fn issue_paid(
    tx: &mut Tx,
    order_id: &str,
    contact_id: &str,
    (name, email): (&str, &str),
    paid: (i64, &str),
) -> Result<(Vec<Event>, &'static str), sqlx::Error> {
    let (event_id, tier_id): (String, String) = sqlx::query_as(
        "SELECT t.event_id, o.tier_id FROM ticket_orders o JOIN ticket_tiers t ON t.id = o.tier_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let event = match locked(tx, "id", &event_id).await {
        Ok(event) => event,
        Err(TicketingError::Database(e)) => return Err(e),
        Err(_) => return Err(sqlx::Error::RowNotFound),
    };
    let now = db::now_unix();
    let refused = match event.status {
        EventStatus::Cancelled => Some("paid for a cancelled event: refund it"),
        _ if event.ends_at <= now => Some("paid after the event ended: refund it"),
        _ if holds_ticket(tx, &event.id, email).await? => {
            Some("paid, but this email has a ticket already: refund it")
        }
        _ => None,
    };
    if let Some(outcome) = refused {
        release_place(tx, order_id).await?;
        return Ok((Vec::new(), outcome));
    }
    let tier =
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TIER_COLUMNS} FROM ticket_tiers WHERE id = $1")))
            .bind(&tier_id)
            .fetch_one(&mut **tx)
            .await?;
    let place = Place { event, tier: tier_from_row(&tier)? };
    let paid = Paid { amount_cents: paid.0, currency: paid.1.to_string() };
    let (code, purchased) = issue(tx, &place, contact_id, (name, email), paid, now).await?;
    sqlx::query(
        "UPDATE ticket_orders SET ticket_id = (SELECT id FROM tickets WHERE code = $1) WHERE id = $2",
    )
    .bind(&code)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok((vec![purchased], "paid"))
}

/// Brings a paid ticket in line with its order's payment after a refund or a dispute:
/// disputed → SUSPENDED; paid again (dispute won) → VALID; refunded in full or dispute lost →
/// CANCELLED, the place freed and `ticket.cancelled` published (a refunded holder is
/// emailed). A cancelled ticket stays cancelled. Answers with the events to publish.
pub async fn follow_payment(tx: &mut Tx, order_id: &str) -> Result<Vec<Event>, sqlx::Error> {
    let lock = db::for_update_of(tx, "t");
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.status AS order_status, t.id, t.tier_id, t.event_id, t.contact_id, t.name, t.email, t.status, \
         r.name AS tier_name, e.title FROM ticket_orders o JOIN tickets t ON t.id = o.ticket_id \
         JOIN ticket_tiers r ON r.id = t.tier_id JOIN ticketed_events e ON e.id = t.event_id WHERE o.id = $1{lock}"
    )))
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let (order_status, status): (String, String) = (row.try_get("order_status")?, row.try_get("status")?);
    let current = TicketStatus::parse(&status);
    let wanted = match order_status.as_str() {
        "DISPUTED" => TicketStatus::Suspended,
        "REFUNDED" | "LOST" => TicketStatus::Cancelled,
        _ => TicketStatus::Valid,
    };
    if current == wanted || current == TicketStatus::Cancelled {
        return Ok(Vec::new());
    }
    let ticket_id: String = row.try_get("id")?;
    sqlx::query("UPDATE tickets SET status = $1 WHERE id = $2")
        .bind(wanted.as_str())
        .bind(&ticket_id)
        .execute(&mut **tx)
        .await?;
    if wanted != TicketStatus::Cancelled {
        return Ok(Vec::new());
    }
    sqlx::query("UPDATE ticket_tiers SET issued = issued - 1 WHERE id = $1")
        .bind(row.try_get::<String, _>("tier_id")?)
        .execute(&mut **tx)
        .await?;
    let (event_title, tier_name): (String, String) = (row.try_get("title")?, row.try_get("tier_name")?);
    if order_status == "REFUNDED" {
        let name: String = row.try_get("name")?;
        let email = OutgoingEmail {
            to: row.try_get("email")?,
            subject: format!("Refunded: your ticket for {event_title}"),
            body: format!(
                "Hello {name},\n\nYour payment for your ticket ({tier_name}) for {event_title} is refunded, \
                 and the ticket is cancelled.\n"
            ),
            attachment: None,
        };
        crate::email::service::queue(tx, &email).await?;
    }
    Ok(vec![Event::TicketCancelled(TicketCancelled {
        ticket_id,
        event_id: row.try_get("event_id")?,
        event_title,
        tier_name,
        contact_id: row.try_get("contact_id")?,
        by: "PAYMENT".into(),
    })])
}

/// The ticket with `code` (as typed), for its holder.
pub async fn ticket(db: &Db, public_url: &str, code: &str) -> Result<TicketView, TicketingError> {
    let row = sqlx::query(
        sqlx::AssertSqlSafe(format!(
            "SELECT t.code, t.name, t.status, r.name AS tier_name, e.id AS event_id, e.title, e.slug, \
             e.status AS event_status, e.starts_at, e.ends_at, e.venue, {PAID} AS paid FROM tickets t JOIN ticket_tiers r ON r.id = t.tier_id \
             JOIN ticketed_events e ON e.id = t.event_id WHERE t.code = $1"
        )),
    )
    .bind(super::normalise_code(code))
    .fetch_optional(db.pool())
    .await?
    .ok_or(TicketingError::TicketNotFound)?;
    let zone = settings::time_zone(db).await?;
    let (status, event_status): (String, String) = (row.try_get("status")?, row.try_get("event_status")?);
    let (status, code, event_id): (TicketStatus, String, String) =
        (TicketStatus::parse(&status), row.try_get("code")?, row.try_get("event_id")?);
    let check_in_qr = (status == TicketStatus::Valid)
        .then(|| crate::qr::QrImage::encode(&super::check_in_link(public_url, &event_id, &code)))
        .flatten();
    Ok(TicketView {
        code,
        name: row.try_get("name")?,
        tier_name: row.try_get("tier_name")?,
        status,
        event_title: row.try_get("title")?,
        event_slug: row.try_get("slug")?,
        event_status: EventStatus::parse(&event_status).unwrap_or(EventStatus::Draft),
        event_over: row.try_get::<i64, _>("ends_at")? <= db::now_unix(),
        when: zone.span_label(row.try_get("starts_at")?, row.try_get("ends_at")?),
        venue: row.try_get("venue")?,
        paid: row.try_get::<i64, _>("paid")? == 1,
        check_in_qr,
    })
}

/// Checks in the ticket with `code` at event `event_id`: once, only a valid ticket of this
/// event; publishes `ticket.checked-in`.
pub async fn check_in(
    bus: &Bus,
    actor: &Actor,
    event_id: &str,
    code: &str,
) -> Result<CheckedIn, TicketingError> {
    let zone = settings::time_zone(bus.db()).await?;
    let mut tx = bus.db().begin_write().await?;
    let event = locked(&mut tx, "id", event_id).await?;
    let lock = db::for_update_of(&mut tx, "t");
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.id, t.event_id, t.contact_id, t.name, t.status, t.checked_in_at, r.name AS tier_name \
         FROM tickets t JOIN ticket_tiers r ON r.id = t.tier_id WHERE t.code = $1{lock}"
    )))
    .bind(super::normalise_code(code))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(TicketingError::TicketNotFound)?;
    let (ticket_event, status): (String, String) = (row.try_get("event_id")?, row.try_get("status")?);
    let name: String = row.try_get("name")?;
    if ticket_event != event.id {
        return Err(Conflict(format!("This ticket ({name}) is for another event.")));
    }
    match TicketStatus::parse(&status) {
        TicketStatus::Valid => {}
        TicketStatus::Cancelled => return Err(Conflict(format!("{name}'s ticket is cancelled."))),
        TicketStatus::Suspended => {
            return Err(Conflict(format!("{name}'s ticket is suspended: its payment is disputed.")));
        }
    }
    if let Some(at) = row.try_get::<Option<i64>, _>("checked_in_at")? {
        return Err(Conflict(format!("{name} was already checked in at {}.", zone.stamp(at))));
    }
    let now = db::now_unix();
    let ticket_id: String = row.try_get("id")?;
    sqlx::query("UPDATE tickets SET checked_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&ticket_id)
        .execute(&mut *tx)
        .await?;
    let checked_in = Event::TicketCheckedIn(TicketCheckedIn {
        ticket_id,
        event_id: event.id.clone(),
        event_title: event.title.clone(),
        contact_id: row.try_get("contact_id")?,
        checked_in_at: rfc3339_from_unix_ms(now * 1000),
    });
    bus::publish(&mut tx, actor, &checked_in).await?;
    bus.commit(tx).await?;
    Ok(CheckedIn { name, tier_name: row.try_get("tier_name")? })
}

/// Who gave a ticket up: its holder (from the ticket's page) or an organiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Holder,
    Organiser,
}

/// The holder gives their ticket back (found by its code): the place is free again.
pub async fn return_ticket(bus: &Bus, code: &str, now: i64) -> Result<(), TicketingError> {
    cancel_ticket(bus, &Actor::System, "t.code", &super::normalise_code(code), CancelledBy::Holder, now).await
}

/// An organiser cancels one ticket (by its id); its holder is emailed.
pub async fn cancel_one(bus: &Bus, actor: &Actor, ticket_id: &str, now: i64) -> Result<(), TicketingError> {
    cancel_ticket(bus, actor, "t.id", ticket_id, CancelledBy::Organiser, now).await
}

/// Cancels a valid ticket not yet checked in, of an event still to end: its tier's place is
/// freed, and `ticket.cancelled` published, in one transaction.
async fn cancel_ticket(
    bus: &Bus,
    actor: &Actor,
    column: &str,
    value: &str,
    by: CancelledBy,
    now: i64,
) -> Result<(), TicketingError> {
    let mut tx = bus.db().begin_write().await?;
    // The event is locked first, as every change to its tickets does, then the ticket.
    let event_id: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT t.event_id FROM tickets t WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(TicketingError::TicketNotFound)?;
    locked(&mut tx, "id", &event_id).await?;
    let lock = db::for_update_of(&mut tx, "t");
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.id, t.tier_id, t.contact_id, t.name, t.email, t.status, t.checked_in_at, r.name AS tier_name, \
         e.id AS event_id, e.title, e.ends_at, e.status AS event_status, {PAID} AS paid FROM tickets t \
         JOIN ticket_tiers r ON r.id = t.tier_id JOIN ticketed_events e ON e.id = t.event_id \
         WHERE {column} = $1{lock}"
    )))
    .bind(value)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(TicketingError::TicketNotFound)?;
    let (status, event_status): (String, String) = (row.try_get("status")?, row.try_get("event_status")?);
    if TicketStatus::parse(&status) == TicketStatus::Cancelled {
        return Err(Conflict("This ticket is already cancelled.".into()));
    }
    if row.try_get::<i64, _>("paid")? == 1 {
        return Err(Conflict(
            "This ticket was paid for: it is given back by refunding its payment (Payments → Tickets), \
             which cancels it. Holders ask the organisers by replying to their ticket's email."
                .into(),
        ));
    }
    if row.try_get::<Option<i64>, _>("checked_in_at")?.is_some() {
        return Err(Conflict("This ticket was checked in at the door: it cannot be cancelled.".into()));
    }
    if event_status != EventStatus::Published.as_str() || row.try_get::<i64, _>("ends_at")? <= now {
        return Err(Conflict("This event is over.".into()));
    }
    let (ticket_id, tier_id): (String, String) = (row.try_get("id")?, row.try_get("tier_id")?);
    let (event_title, tier_name): (String, String) = (row.try_get("title")?, row.try_get("tier_name")?);
    sqlx::query("UPDATE tickets SET status = 'CANCELLED' WHERE id = $1")
        .bind(&ticket_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE ticket_tiers SET issued = issued - 1 WHERE id = $1")
        .bind(&tier_id)
        .execute(&mut *tx)
        .await?;
    if by == CancelledBy::Organiser {
        let name: String = row.try_get("name")?;
        let email = OutgoingEmail {
            to: row.try_get("email")?,
            subject: format!("Ticket cancelled: {event_title}"),
            body: format!(
                "Hello {name},\n\nThe organisers have cancelled your ticket ({tier_name}) for {event_title}. \
                 Reply to this email if you think this is a mistake.\n"
            ),
            attachment: None,
        };
        crate::email::service::queue(&mut tx, &email).await?;
    }
    let cancelled = Event::TicketCancelled(TicketCancelled {
        ticket_id,
        event_id: row.try_get("event_id")?,
        event_title,
        tier_name,
        contact_id: row.try_get("contact_id")?,
        by: match by {
            CancelledBy::Holder => "HOLDER",
            CancelledBy::Organiser => "ORGANISER",
        }
        .to_string(),
    });
    bus::publish(&mut tx, actor, &cancelled).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// An event's tickets (`$1`), newest first; those whose name, email or code contains `$2` (a
/// `db::contains_pattern`) when `searching`.
fn ticket_select(searching: bool) -> String {
    let matching = if searching {
        " AND (lower(t.name) LIKE $2 ESCAPE '\\' OR lower(t.email) LIKE $2 ESCAPE '\\' \
         OR lower(t.code) LIKE $2 ESCAPE '\\')"
    } else {
        ""
    };
    format!(
        "SELECT t.id, t.code, t.name, t.email, t.contact_id, t.status, t.created_at, t.checked_in_at, \
         r.name AS tier_name, {PAID} AS paid FROM tickets t JOIN ticket_tiers r ON r.id = t.tier_id \
         WHERE t.event_id = $1{matching} ORDER BY t.created_at DESC, t.id"
    )
}

fn ticket_from_row(row: &sqlx::any::AnyRow, zone: &Zone) -> Result<TicketRow, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(TicketRow {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        contact_id: row.try_get("contact_id")?,
        tier_name: row.try_get("tier_name")?,
        status: TicketStatus::parse(&status),
        issued: zone.stamp(row.try_get("created_at")?),
        checked_in: row.try_get::<Option<i64>, _>("checked_in_at")?.map(|at| zone.stamp(at)),
        paid: row.try_get::<i64, _>("paid")? == 1,
    })
}

/// The admin's page: the event, a page of its tickets (those matching `search`, if any) and
/// how many are checked in.
pub async fn detail(db: &Db, id: &str, search: &str, page: i64) -> Result<EventDetail, TicketingError> {
    let mut v = Validation::new();
    crate::error::check_search(&mut v, "q", search);
    v.finish().map_err(TicketingError::Invalid)?;
    let event = find(db, "id", id).await?;
    let zone = settings::time_zone(db).await?;
    let searching = !search.trim().is_empty();
    let mut binds = vec![id.to_string()];
    binds.extend(searching.then(|| db::contains_pattern(search)));
    let (rows, page, has_more) =
        db::fetch_page(db, &ticket_select(searching), &binds, page, PAGE_SIZE).await?;
    let tickets = rows.iter().map(|r| ticket_from_row(r, &zone)).collect::<Result<Vec<_>, sqlx::Error>>()?;
    let checked_in: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE event_id = $1 AND checked_in_at IS NOT NULL")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    let paid_orders: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_orders o JOIN ticket_tiers r ON r.id = o.tier_id \
         WHERE r.event_id = $1 AND o.status IN ('PAID', 'PARTIALLY_REFUNDED')",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let holders: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE event_id = $1 AND status IN ('VALID', 'SUSPENDED')",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(EventDetail { event, tickets, page, has_more, checked_in, holders, paid_orders })
}

/// An organiser's message to the holders of an event's tickets (valid or suspended), each
/// queued with the event's time and place under it, audit-logged. Answers how many were
/// queued; a cancelled event's holders were told already and are not written to again.
pub async fn email_holders(
    db: &Db,
    actor: &Actor,
    id: &str,
    subject: &str,
    text: &str,
) -> Result<usize, TicketingError> {
    let mut v = Validation::new();
    crate::email::service::check_message(&mut v, subject, text);
    v.finish().map_err(TicketingError::Invalid)?;
    let zone = settings::time_zone(db).await?;
    let mut tx = db.begin_write().await?;
    let event = locked(&mut tx, "id", id).await?;
    if event.status == EventStatus::Cancelled {
        return Err(Conflict("This event is cancelled: its ticket holders were told.".into()));
    }
    let (subject, text) = (subject.trim(), text.trim());
    let when = zone.span_label(event.starts_at, event.ends_at);
    let emails: Vec<OutgoingEmail> = holders(&mut tx, id)
        .await?
        .into_iter()
        .map(|Holder { name, email, .. }| OutgoingEmail {
            to: email,
            subject: subject.to_string(),
            body: format!(
                "Hello {name},\n\n{text}\n\n{}\nWhen: {when}\nWhere: {}\n",
                event.title, event.venue
            ),
            attachment: None,
        })
        .collect();
    crate::email::service::queue_all(&mut tx, &emails).await?;
    let entity =
        format!("{} of {}: {subject}", crate::ui::count(emails.len() as i64, "ticket holder"), event.slug);
    crate::audit::service::record(&mut tx, actor, "ticketed-event.holders.emailed", &entity).await?;
    tx.commit().await?;
    Ok(emails.len())
}

/// Every ticket of an event, newest first, for the export.
pub async fn all_tickets(db: &Db, id: &str) -> Result<Vec<TicketRow>, TicketingError> {
    find(db, "id", id).await?;
    let zone = settings::time_zone(db).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(ticket_select(false))).bind(id).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(|r| ticket_from_row(r, &zone)).collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// Page `page` of a contact's tickets, the latest event first, for their page in the CRM; with
/// where the page is, as the contact's other lists have it.
pub async fn tickets_of_contact(
    db: &Db,
    contact_id: &str,
    page: i64,
    page_size: i64,
) -> Result<(Vec<ContactTicket>, crate::contacts::Paging), sqlx::Error> {
    let zone = settings::time_zone(db).await?;
    let (rows, page, has_more) = db::fetch_page(
        db,
        "SELECT e.id, e.title, e.starts_at, e.ends_at, r.name AS tier_name, t.status, t.checked_in_at \
         FROM tickets t JOIN ticketed_events e ON e.id = t.event_id JOIN ticket_tiers r ON r.id = t.tier_id \
         WHERE t.contact_id = $1 ORDER BY e.starts_at DESC, t.id",
        &[contact_id.to_string()],
        page,
        page_size,
    )
    .await?;
    let tickets = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(ContactTicket {
                event_id: r.try_get("id")?,
                event_title: r.try_get("title")?,
                when: zone.span_label(r.try_get("starts_at")?, r.try_get("ends_at")?),
                tier_name: r.try_get("tier_name")?,
                status: TicketStatus::parse(&status),
                checked_in: r.try_get::<Option<i64>, _>("checked_in_at")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((tickets, crate::contacts::Paging { page, has_more }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(kind: TierKind, price_cents: i64) -> Tier {
        Tier { id: "t".into(), name: "Seats".into(), kind, price_cents, capacity: 10, issued: 0 }
    }

    #[test]
    fn a_price_changed_between_the_page_and_the_lock_is_refused() {
        let chosen = Chosen { tier_id: "t", amount_typed: "", amount_cents: 1500 };
        assert!(chosen.check_price(&tier(TierKind::Paid, 1500)).is_ok());
        let Err(Conflict(message)) = chosen.check_price(&tier(TierKind::Paid, 2000)) else {
            panic!("a new price is not charged as the old one")
        };
        assert!(message.contains("reload the page"), "{message}");
        // Made free meanwhile: nothing is charged for it.
        assert!(chosen.check_price(&tier(TierKind::Free, 0)).is_err());
        // Pay what you can: $12 typed still holds when the least is lowered, not when it rises past it.
        let typed = Chosen { tier_id: "t", amount_typed: "12", amount_cents: 1200 };
        assert!(typed.check_price(&tier(TierKind::Donation, 500)).is_ok());
        assert!(typed.check_price(&tier(TierKind::Donation, 2000)).is_err());
    }
}
