//! Canvassing rules (ssr only): the address list, sessions and visits. Each change publishes
//! its event (`canvass.address.updated`, `canvass.visit.recorded`,
//! `canvass.session.completed`) in its transaction.

use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;
use sqlx::Row;

use super::{
    Address, AddressDetail, AddressFilter, AddressForm, AddressPage, AddressesAdded, Assignee, LastVisit,
    Outcome, Results, Session, SessionPage, Turf, TurfForm, Visit, VisitForm, Walk,
};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::{
    CanvassAddressDeleted, CanvassAddressUpdated, CanvassSessionCompleted, CanvassSessionStarted,
    CanvassVisitRecorded,
};
use crate::events::{Actor, Event, rfc3339_from_unix_ms};
use crate::jobs::JobResult;
use crate::settings;
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum CanvassError {
    #[error("invalid canvassing details")]
    Invalid(Vec<FieldError>),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("refused: {0}")]
    Conflict(&'static str),
    /// The form (of "this address", "this turf") was opened before someone else saved it.
    #[error("{0} was saved since the form was opened")]
    ChangedMeanwhile(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The turfs' areas together are more than can be searched for at once (never at the
    /// sizes turfs are checked to).
    #[error("the turfs' areas could not be searched for: {0}")]
    Areas(#[from] aho_corasick::BuildError),
}

/// Addresses, and sessions, on a page of a list.
pub const PAGE_SIZE: i64 = 50;
/// The visits an address's page shows, latest first.
const VISITS_SHOWN: i64 = 200;

const NO_ADDRESS: CanvassError = CanvassError::NotFound("There is no such address.");
const NO_TURF: CanvassError = CanvassError::NotFound("There is no such turf.");
const NO_OPEN_SESSION: CanvassError =
    CanvassError::Conflict("Start canvassing before recording a visit or adding a door.");

fn invalid(field: &str, message: String) -> CanvassError {
    CanvassError::Invalid(FieldError::only(field, message))
}

/// An address's street, city and postal code, trimmed, or what is wrong with them.
fn checked_address(street: &str, city: &str, postal_code: &str) -> Result<AddressForm, Vec<FieldError>> {
    let form = AddressForm {
        street: street.trim().to_string(),
        city: city.trim().to_string(),
        postal_code: postal_code.trim().to_string(),
        edits: None,
    };
    let mut v = Validation::new();
    v.check(!form.street.is_empty(), "street", "Enter the street address.");
    v.check(
        is_one_line(&form.street, super::STREET_MAX_CHARS),
        "street",
        "The street address is one line of at most 200 characters.",
    );
    v.check(!form.city.is_empty(), "city", "Enter the city.");
    v.check(
        is_one_line(&form.city, super::CITY_MAX_CHARS),
        "city",
        "The city is one line of at most 100 characters.",
    );
    v.check(!form.postal_code.is_empty(), "postal_code", "Enter the postal code.");
    v.check(
        is_one_line(&form.postal_code, super::POSTAL_CODE_MAX_CHARS),
        "postal_code",
        "The postal code is one line of at most 20 characters.",
    );
    v.finish()?;
    Ok(form)
}

/// What makes two addresses the same: the street (any case, runs of spaces as one) and the
/// postal code (any case, without spaces): "12  High St" at "K1A 0B1" is "12 high st|k1a0b1".
fn address_key(form: &AddressForm) -> String {
    let squeeze = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    format!("{}|{}", squeeze(&form.street), form.postal_code.replace(char::is_whitespace, "").to_lowercase())
}

/// One line of an address list, `street, city, postal code`, as its cells: the last two are
/// the city and postal code, the rest (a street may hold commas, "Flat 2, 12 High St") the
/// street.
fn parse_cells(cells: &[String]) -> Result<AddressForm, String> {
    if cells.len() < 3 {
        return Err("give the street, the city and the postal code, separated by commas".into());
    }
    let (street, rest) = cells.split_at(cells.len() - 2);
    checked_address(&street.join(", "), &rest[0], &rest[1]).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_lowercase().trim_end_matches('.').to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The addresses of `text` (`super::address_rows`: one a line, blank lines skipped), at most
/// `max_lines`; or the first few lines that are wrong, each by its number.
fn parse_lines(text: &str, max_lines: usize) -> Result<Vec<AddressForm>, CanvassError> {
    let records =
        super::address_rows(text).map_err(|why| invalid("lines", format!("{why} Nothing was added.")))?;
    if records.is_empty() {
        return Err(invalid("lines", "Enter at least one address: street, city, postal code.".into()));
    }
    if records.len() > max_lines {
        return Err(invalid(
            "lines",
            format!("Add at most {} addresses at a time.", crate::ui::thousands(max_lines as i64)),
        ));
    }
    let mut forms = Vec::with_capacity(records.len());
    let mut wrong = Vec::new();
    for record in records {
        match parse_cells(&record.cells) {
            Ok(form) => forms.push(form),
            Err(why) => wrong.push(format!("Line {}: {why}.", record.line)),
        }
    }
    if !wrong.is_empty() {
        let shown = wrong.len().min(5);
        let more = if wrong.len() > shown {
            format!(" And {} more lines.", wrong.len() - shown)
        } else {
            String::new()
        };
        return Err(invalid("lines", format!("{}{more} Nothing was added.", wrong[..shown].join(" "))));
    }
    Ok(forms)
}

/// The street, city and postal code of a row holding them, as an address's event carries them.
fn address_of(row: &sqlx::any::AnyRow) -> Result<AddressForm, sqlx::Error> {
    Ok(AddressForm {
        street: row.try_get("street")?,
        city: row.try_get("city")?,
        postal_code: row.try_get("postal_code")?,
        edits: None,
    })
}

fn address_event(id: &str, form: &AddressForm, contact: Option<(String, String)>) -> Event {
    let (contact_id, email) = contact.unzip();
    Event::CanvassAddressUpdated(CanvassAddressUpdated {
        address_id: id.to_string(),
        street: form.street.clone(),
        city: form.city.clone(),
        postal_code: form.postal_code.clone(),
        contact_id,
        email,
    })
}

/// Adds the addresses typed one a line; those already listed are counted, not added again.
/// Each new one publishes `canvass.address.updated`. A wrong line adds nothing.
pub async fn add_addresses(
    bus: &Bus,
    actor: &Actor,
    text: &str,
    now: i64,
) -> Result<AddressesAdded, CanvassError> {
    let forms = parse_lines(text, super::IMPORT_MAX_LINES)?;
    let added = insert_addresses(bus, actor, &forms, now).await?;
    Ok(AddressesAdded { added, already_listed: forms.len() as i64 - added })
}

/// Addresses an import commits together, with their events.
const IMPORT_BATCH: usize = 500;

/// Checks every line of a file's addresses, then adds them in the background, `IMPORT_BATCH`
/// a transaction, as `add_addresses` does; answers with the job to follow. A wrong line (or a
/// file over the size a contacts import takes) adds nothing.
pub async fn import_addresses(bus: &Bus, actor: &Actor, text: &str) -> Result<String, CanvassError> {
    if text.len() > crate::contacts::IMPORT_MAX_BYTES {
        let too_big = format!("Choose a file of at most {}.", crate::contacts::IMPORT_MAX_TEXT);
        return Err(invalid("lines", too_big));
    }
    let forms = parse_lines(text, super::FILE_MAX_LINES)?;
    let total = forms.len() as i64;
    let (bus_for_job, actor_for_job) = (bus.clone(), actor.clone());
    let id =
        crate::jobs::service::spawn(bus.db(), "address-import", total, actor, move |progress| async move {
            let (mut added, mut done) = (0, 0);
            for batch in forms.chunks(IMPORT_BATCH) {
                added += insert_addresses(&bus_for_job, &actor_for_job, batch, db::now_unix()).await?;
                done += batch.len() as i64;
                progress.set(done).await?;
            }
            let result = AddressesAdded { added, already_listed: total - added };
            Ok(JobResult {
                summary: result.summary(),
                counts: vec![
                    ("added".to_string(), added),
                    ("already_listed".to_string(), result.already_listed),
                ],
                problems: Vec::new(),
            })
        })
        .await?;
    Ok(id)
}

/// Puts checked addresses on the list in one transaction, each new one with
/// `canvass.address.updated`: how many were new.
async fn insert_addresses(
    bus: &Bus,
    actor: &Actor,
    forms: &[AddressForm],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = bus.db().begin_write().await?;
    let mut events = Vec::new();
    for form in forms {
        if let Some(id) = insert_address(&mut tx, form, now).await? {
            events.push(address_event(&id, form, None));
        }
    }
    let published: Vec<(&Actor, &Event)> = events.iter().map(|e| (actor, e)).collect();
    bus::publish_all(&mut tx, &published).await?;
    bus.commit(tx).await?;
    Ok(events.len() as i64)
}

/// Puts a checked address on the list: its new id, or `None` when it is already listed.
async fn insert_address(tx: &mut Tx, form: &AddressForm, now: i64) -> Result<Option<String>, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let written = sqlx::query(
        "INSERT INTO canvass_addresses (id, street, city, postal_code, address_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (address_key) DO NOTHING",
    )
    .bind(&id)
    .bind(&form.street)
    .bind(&form.city)
    .bind(&form.postal_code)
    .bind(address_key(form))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok((written.rows_affected() == 1).then_some(id))
}

/// The email of the contact at an address, with their id.
async fn contact_of(
    tx: &mut Tx,
    contact_id: Option<String>,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let Some(id) = contact_id else { return Ok(None) };
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM contacts WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(email.map(|email| (id, email)))
}

/// Corrects an address, publishing `canvass.address.updated` (with its supporter's email, if
/// one left it). Another address already listed the same way is refused, and so is a
/// correction from a form opened before someone else corrected the address.
pub async fn save_address(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    typed: &AddressForm,
    now: i64,
) -> Result<Address, CanvassError> {
    let form =
        checked_address(&typed.street, &typed.city, &typed.postal_code).map_err(CanvassError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    let saved_since = CanvassError::ChangedMeanwhile("this address");
    db::check_edits(&mut tx, "canvass_addresses", id, typed.edits, NO_ADDRESS, saved_since).await?;
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM canvass_addresses WHERE address_key = $1 AND id <> $2")
            .bind(address_key(&form))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(CanvassError::Conflict("That address is already on the list."));
    }
    let contact_id: Option<Option<String>> = sqlx::query_scalar(
        "UPDATE canvass_addresses SET street = $1, city = $2, postal_code = $3, address_key = $4, updated_at = $5, \
         edits = edits + 1 WHERE id = $6 RETURNING contact_id",
    )
    .bind(&form.street)
    .bind(&form.city)
    .bind(&form.postal_code)
    .bind(address_key(&form))
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let contact_id = contact_id.ok_or(NO_ADDRESS)?;
    let contact = contact_of(&mut tx, contact_id).await?;
    bus::publish(&mut tx, actor, &address_event(id, &form, contact)).await?;
    bus.commit(tx).await?;
    Ok(address_detail(bus.db(), id).await?.address)
}

/// Deletes an address with no visits, writing it to the admin audit log, with
/// `canvass.address.deleted`. One that has been visited keeps its history and is refused.
pub async fn delete_address(bus: &Bus, actor: &Actor, id: &str) -> Result<(), CanvassError> {
    let mut tx = bus.db().begin_write().await?;
    let deleted: Option<String> = sqlx::query_scalar(
        "DELETE FROM canvass_addresses WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM canvass_visits WHERE address_id = $1) RETURNING street",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(street) = deleted else {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM canvass_addresses WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(if exists.is_some() {
            CanvassError::Conflict("This address has visits on record, so it stays on the list.")
        } else {
            NO_ADDRESS
        });
    };
    crate::audit::service::record(&mut tx, actor, "canvass.address.deleted", &street).await?;
    let event = Event::CanvassAddressDeleted(CanvassAddressDeleted { address_id: id.to_string(), street });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

const ADDRESS_COLUMNS: &str = "a.id, a.street, a.city, a.postal_code, a.contact_id, a.last_outcome, \
    a.last_visited_at, a.edits, (SELECT v.notes FROM canvass_visits v WHERE v.address_id = a.id AND v.notes <> '' \
    ORDER BY v.visited_at DESC, v.id DESC LIMIT 1) AS last_notes";

fn address_from_row(row: &sqlx::any::AnyRow, zone: &Zone) -> Result<Address, sqlx::Error> {
    let last_outcome: Option<String> = row.try_get("last_outcome")?;
    let last_visited: Option<i64> = row.try_get("last_visited_at")?;
    Ok(Address {
        id: row.try_get("id")?,
        street: row.try_get("street")?,
        city: row.try_get("city")?,
        postal_code: row.try_get("postal_code")?,
        last_outcome: last_outcome.as_deref().and_then(Outcome::parse),
        last_visited: last_visited.map(|at| zone.date(at)),
        last_notes: row.try_get("last_notes")?,
        has_contact: row.try_get::<Option<String>, _>("contact_id")?.is_some(),
        edits: row.try_get("edits")?,
    })
}

/// The condition an address (`a`) meets when its street or postal code contains one of
/// `areas` (at least one), their patterns added to `binds`.
fn in_areas(areas: &[String], binds: &mut Vec<String>) -> String {
    let mut any = Vec::with_capacity(areas.len());
    for area in areas {
        binds.push(db::contains_pattern(area));
        let n = binds.len();
        any.push(format!(
            "LOWER(a.street) LIKE ${n} ESCAPE '\\' OR LOWER(a.postal_code) LIKE ${n} ESCAPE '\\'"
        ));
    }
    format!(" AND ({})", any.join(" OR "))
}

/// The condition an address (`a`) meets when a canvasser on turf `$n` has been to its door and
/// found someone in or the place empty: every outcome but "Not home", which stays to knock again.
fn done_on_turf(n: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM canvass_visits v JOIN canvass_sessions s ON s.id = v.session_id \
         WHERE v.address_id = a.id AND s.turf_id = ${n} AND v.outcome <> 'NOT_HOME')"
    )
}

/// The order a canvasser walks addresses (`a`) in: by postal code, then along each street, by
/// its name (what follows the house number) and then by the number as a number ("2 High St",
/// "10 High St", "10A High St", where text would put "10" first).
fn walking_order(db: &Db) -> String {
    // The street's name: after the first space when it starts with a number; the number: the
    // digits it starts with, 0 without any (at most nine: a bigger one is no house number,
    // and would not fit).
    let (name, number) = match db.backend() {
        db::Backend::Sqlite => (
            "CASE WHEN a.street GLOB '[0-9]*' THEN SUBSTR(a.street, INSTR(a.street, ' ') + 1) ELSE a.street END",
            "CAST(SUBSTR(a.street, 1, 9) AS INTEGER)",
        ),
        db::Backend::Postgres => (
            "CASE WHEN a.street ~ '^[0-9]' THEN SUBSTRING(a.street FROM POSITION(' ' IN a.street) + 1) ELSE a.street END",
            "COALESCE(CAST(SUBSTRING(a.street FROM '^[0-9]{1,9}') AS BIGINT), 0)",
        ),
    };
    format!("a.postal_code, LOWER({name}), {number}, a.street, a.id")
}

/// One page of addresses in walking order, found by part of the street or postal
/// code, in the filter's turf if it names one. With `unvisited_in`, a canvasser's walk: only
/// those not yet visited in that session, and on a turf only the doors not yet done.
pub async fn addresses(
    db: &Db,
    filter: &AddressFilter,
    unvisited_in: Option<&str>,
) -> Result<AddressPage, CanvassError> {
    addresses_by(db, filter, unvisited_in, PAGE_SIZE).await
}

/// Every address the organiser's list `filter` finds (its page aside), in walking order: the
/// list's CSV export.
pub async fn all_addresses(db: &Db, filter: &AddressFilter) -> Result<Vec<Address>, CanvassError> {
    let every = AddressFilter { page: 1, ..filter.clone() };
    Ok(addresses_by(db, &every, None, i64::MAX - 1).await?.rows)
}

/// `addresses`, `page_size` a page.
async fn addresses_by(
    db: &Db,
    filter: &AddressFilter,
    unvisited_in: Option<&str>,
    page_size: i64,
) -> Result<AddressPage, CanvassError> {
    let mut v = Validation::new();
    crate::error::check_search(&mut v, "search", &filter.search);
    // `Some(None)`: an outcome the list does not offer.
    let outcome = match filter.outcome.as_str() {
        "" | super::NOT_VISITED => None,
        outcome => Some(Outcome::parse(outcome)),
    };
    v.check(!matches!(outcome, Some(None)), "outcome", "Choose an outcome from the list.");
    v.finish().map_err(CanvassError::Invalid)?;
    let mut conditions = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    if !filter.search.trim().is_empty() {
        binds.push(db::contains_pattern(&filter.search));
        conditions.push_str(
            " AND (LOWER(a.street) LIKE $1 ESCAPE '\\' OR LOWER(a.postal_code) LIKE $1 ESCAPE '\\')",
        );
    }
    if !filter.turf.is_empty() {
        let turf = turf_row(db, &filter.turf).await?;
        conditions.push_str(&in_areas(&turf.areas, &mut binds));
        if unvisited_in.is_some() {
            binds.push(turf.id);
            conditions.push_str(&format!(" AND NOT {}", done_on_turf(binds.len())));
        }
    }
    let results = match unvisited_in {
        Some(_) => None,
        None => Some(results(db, &conditions, &binds).await?),
    };
    if let Some(Some(outcome)) = outcome {
        binds.push(outcome.as_str().to_string());
        conditions.push_str(&format!(" AND a.last_outcome = ${}", binds.len()));
    } else if filter.outcome == super::NOT_VISITED {
        conditions.push_str(" AND a.last_outcome IS NULL");
    }
    if let Some(session) = unvisited_in {
        binds.push(session.to_string());
        let n = binds.len();
        conditions.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM canvass_visits v WHERE v.address_id = a.id AND v.session_id = ${n})"
        ));
    }
    let count =
        db::fetch_count(db, &format!("SELECT COUNT(*) FROM canvass_addresses a{conditions}"), &binds).await?;
    let select = format!(
        "SELECT {ADDRESS_COLUMNS} FROM canvass_addresses a{conditions} ORDER BY {}",
        walking_order(db)
    );
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, page_size).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows.iter().map(|r| address_from_row(r, &zone)).collect::<Result<Vec<_>, _>>()?;
    Ok(AddressPage { rows, page, has_more, count, results })
}

/// How the addresses meeting `conditions` stand: how many last ended with each outcome.
async fn results(db: &Db, conditions: &str, binds: &[String]) -> Result<Results, CanvassError> {
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT a.last_outcome, COUNT(*) FROM canvass_addresses a{conditions} GROUP BY a.last_outcome"
    )));
    for bind in binds {
        query = query.bind(bind);
    }
    let counts: Vec<(Option<String>, i64)> = query.fetch_all(db.pool()).await?;
    let count_of = |wanted: Option<&str>| {
        counts.iter().filter(|(outcome, _)| outcome.as_deref() == wanted).map(|(_, n)| n).sum::<i64>()
    };
    Ok(Results {
        by_outcome: Outcome::ALL.into_iter().map(|o| (o, count_of(Some(o.as_str())))).collect(),
        not_visited: count_of(None),
    })
}

/// An address and its visits, latest first.
pub async fn address_detail(db: &Db, id: &str) -> Result<AddressDetail, CanvassError> {
    let zone = settings::time_zone(db).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESS_COLUMNS} FROM canvass_addresses a WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(NO_ADDRESS)?;
    let address = address_from_row(&row, &zone)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT v.id, v.outcome, v.notes, v.visited_at, u.display_name, v.contact_id, c.name AS contact_name \
         FROM canvass_visits v JOIN canvass_sessions s ON s.id = v.session_id \
         LEFT JOIN users u ON u.id = s.canvasser_user_id LEFT JOIN contacts c ON c.id = v.contact_id \
         WHERE v.address_id = $1 ORDER BY v.visited_at DESC, v.id LIMIT {VISITS_SHOWN}"
    )))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let visits = rows
        .iter()
        .map(|r| {
            let contact_id: Option<String> = r.try_get("contact_id")?;
            let contact_name: Option<String> = r.try_get("contact_name")?;
            let outcome: String = r.try_get("outcome")?;
            Ok(Visit {
                id: r.try_get("id")?,
                // The table's CHECK holds every value `parse` knows.
                outcome: Outcome::parse(&outcome).unwrap_or(Outcome::NotHome),
                notes: r.try_get("notes")?,
                visited: zone.stamp(r.try_get("visited_at")?),
                canvasser: canvasser_name(r.try_get("display_name")?),
                contact: contact_id
                    .zip(contact_name)
                    .map(|(id, name)| (name, format!("/admin/contacts/{id}"))),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(AddressDetail { address, visits })
}

fn canvasser_name(display_name: Option<String>) -> String {
    display_name.unwrap_or_else(|| "A deleted account".to_string())
}

const SESSION_SELECT: &str = "SELECT s.id, s.started_at, s.ended_at, s.doors_knocked, s.conversations, \
    s.turf_id, t.name AS turf_name, u.display_name FROM canvass_sessions s \
    LEFT JOIN users u ON u.id = s.canvasser_user_id LEFT JOIN canvass_turfs t ON t.id = s.turf_id";

fn session_from_row(row: &sqlx::any::AnyRow, zone: &Zone) -> Result<Session, sqlx::Error> {
    Ok(Session {
        id: row.try_get("id")?,
        canvasser: canvasser_name(row.try_get("display_name")?),
        started: zone.stamp(row.try_get("started_at")?),
        ended: row.try_get::<Option<i64>, _>("ended_at")?.map(|at| zone.stamp(at)),
        doors_knocked: row.try_get("doors_knocked")?,
        conversations: row.try_get("conversations")?,
        turf: row.try_get("turf_name")?,
        last_visit: None,
    })
}

/// Every canvasser's sessions, latest first.
pub async fn sessions(db: &Db, page: i64) -> Result<SessionPage, CanvassError> {
    let select = format!("{SESSION_SELECT} ORDER BY s.started_at DESC, s.id");
    let (rows, page, has_more) = db::fetch_page(db, &select, &[], page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows.iter().map(|r| session_from_row(r, &zone)).collect::<Result<Vec<_>, _>>()?;
    Ok(SessionPage { rows, page, has_more })
}

/// Session `id`, with its latest visit while it is open.
async fn session_by_id(db: &Db, id: &str) -> Result<Session, CanvassError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SESSION_SELECT} WHERE s.id = $1")))
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    let mut session = session_from_row(&row, &settings::time_zone(db).await?)?;
    if session.ended.is_none() {
        let latest = sqlx::query(
            "SELECT v.id, a.street, v.outcome, v.contact_id FROM canvass_visits v \
             JOIN canvass_addresses a ON a.id = v.address_id WHERE v.session_id = $1 \
             ORDER BY v.visited_at DESC, v.id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
        session.last_visit = match latest {
            Some(visit) => Some(LastVisit {
                id: visit.try_get("id")?,
                street: visit.try_get("street")?,
                outcome: Outcome::parse(&visit.try_get::<String, _>("outcome")?).unwrap_or(Outcome::NotHome),
                undoable: visit.try_get::<Option<String>, _>("contact_id")?.is_none(),
            }),
            None => None,
        };
    }
    Ok(session)
}

/// The id of `user_id`'s open session, if any, and of the turf it walks.
async fn open_session(db: &Db, user_id: &str) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, turf_id FROM canvass_sessions WHERE canvasser_user_id = $1 AND ended_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// The canvasser's open session and the addresses still to visit in it (on its turf, if it
/// walks one); with no session open, every address and the turfs to choose from.
pub async fn walk(db: &Db, user_id: &str, filter: &AddressFilter) -> Result<Walk, CanvassError> {
    let open = open_session(db, user_id).await?;
    let (session_id, turf_id) = open.unzip();
    let filter = AddressFilter { turf: turf_id.flatten().unwrap_or_default(), ..filter.clone() };
    let to_visit = addresses(db, &filter, session_id.as_deref()).await?;
    let (session, turfs) = match session_id {
        Some(id) => (Some(session_by_id(db, &id).await?), Vec::new()),
        None => (None, turfs(db).await?),
    };
    let yours: Vec<String> =
        sqlx::query_scalar("SELECT turf_id FROM canvass_turf_assignments WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    // Theirs first; who else walks a turf is for organisers to see.
    let (mut turfs, others): (Vec<Turf>, Vec<Turf>) = turfs.into_iter().partition(|t| yours.contains(&t.id));
    turfs.extend(others);
    let turfs = turfs.into_iter().map(|t| Turf { assigned: Vec::new(), ..t }).collect();
    Ok(Walk { session, to_visit, turfs, yours })
}

/// Opens a session for the canvasser on turf `turf_id` (empty: the whole list), with
/// `canvass.session.started`, or answers with the one already open.
pub async fn start(
    bus: &Bus,
    actor: &Actor,
    user_id: &str,
    turf_id: &str,
    now: i64,
) -> Result<Session, CanvassError> {
    let db = bus.db();
    if let Some((id, _)) = open_session(db, user_id).await? {
        return session_by_id(db, &id).await;
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = db.begin_write().await?;
    let turf_id = match turf_id.trim() {
        "" => None,
        turf_id => {
            // Not deleted meanwhile: `delete_turf` takes the same lock.
            db::lock_key(&mut tx, &turf_lock(turf_id)).await?;
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM canvass_turfs WHERE id = $1")
                .bind(turf_id)
                .fetch_optional(&mut *tx)
                .await?;
            Some(exists.ok_or(NO_TURF)?)
        }
    };
    let inserted = sqlx::query(
        "INSERT INTO canvass_sessions (id, canvasser_user_id, started_at, turf_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(now)
    .bind(turf_id)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {
            let event = Event::CanvassSessionStarted(CanvassSessionStarted {
                session_id: id.clone(),
                canvasser_user_id: user_id.to_string(),
                started_at: rfc3339_from_unix_ms(now * 1000),
            });
            bus::publish(&mut tx, actor, &event).await?;
            bus.commit(tx).await?;
        }
        // Started twice at once (two tabs): the other one is the session.
        Err(e) if db::is_unique_violation(&e) => {
            drop(tx);
            let (open, _) = open_session(db, user_id).await?.ok_or(e)?;
            return session_by_id(db, &open).await;
        }
        Err(e) => return Err(e.into()),
    }
    session_by_id(db, &id).await
}

/// The canvasser's open session, locked until the transaction ends.
async fn lock_open_session(tx: &mut Tx, user_id: &str) -> Result<String, CanvassError> {
    let lock = db::for_update(tx);
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM canvass_sessions WHERE canvasser_user_id = $1 AND ended_at IS NULL{lock}"
    )))
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(NO_OPEN_SESSION)
}

/// The visit's outcome, or what is wrong with the form.
fn checked_visit(form: &VisitForm) -> Result<Outcome, Vec<FieldError>> {
    let mut v = Validation::new();
    let outcome = Outcome::parse(form.outcome.trim());
    v.check(!form.address_id.trim().is_empty(), "address_id", "Choose the address you visited.");
    v.check(outcome.is_some(), "outcome", "Choose what happened at the door.");
    v.check(
        is_plain_text(&form.notes, super::NOTES_MAX_CHARS),
        "notes",
        "Notes can be at most 1,000 characters.",
    );
    if !form.name.trim().is_empty() || !form.email.trim().is_empty() {
        crate::contacts::service::check_name_and_email(&mut v, &form.name, &form.email);
    }
    v.finish()?;
    Ok(outcome.unwrap_or(Outcome::NotHome))
}

/// Records a visit in the canvasser's open session: the session's counts and the address's
/// last outcome follow, `canvass.visit.recorded` is published, and a person who left their
/// name and email becomes (or is matched to) a contact linked to the address, with
/// `canvass.address.updated`. An address is visited once a session.
pub async fn record_visit(
    bus: &Bus,
    actor: &Actor,
    user_id: &str,
    form: &VisitForm,
    now: i64,
) -> Result<Session, CanvassError> {
    let outcome = checked_visit(form).map_err(CanvassError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    let session_id = lock_open_session(&mut tx, user_id).await?;
    let address =
        sqlx::query("SELECT street, city, postal_code, contact_id FROM canvass_addresses WHERE id = $1")
            .bind(form.address_id.trim())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(NO_ADDRESS)?;
    let address_id = form.address_id.trim().to_string();
    let visited: Option<String> =
        sqlx::query_scalar("SELECT id FROM canvass_visits WHERE session_id = $1 AND address_id = $2")
            .bind(&session_id)
            .bind(&address_id)
            .fetch_optional(&mut *tx)
            .await?;
    if visited.is_some() {
        return Err(CanvassError::Conflict(
            "You have already recorded a visit to this address in this session.",
        ));
    }
    let mut events = Vec::new();
    let contact_id = if form.email.trim().is_empty() {
        None
    } else {
        let email = crate::users::service::normalise_email(&form.email);
        let contact =
            crate::contacts::service::find_or_create(&mut tx, &email, form.name.trim(), None, "CANVASS")
                .await?;
        events.extend(contact.created);
        sqlx::query("UPDATE canvass_addresses SET contact_id = $1 WHERE id = $2")
            .bind(&contact.id)
            .bind(&address_id)
            .execute(&mut *tx)
            .await?;
        events.push(address_event(&address_id, &address_of(&address)?, Some((contact.id.clone(), email))));
        Some(contact.id)
    };
    // Time-ordered: of two visits in one second, the session's last is the later id.
    let visit_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO canvass_visits (id, session_id, address_id, outcome, notes, contact_id, visited_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&visit_id)
    .bind(&session_id)
    .bind(&address_id)
    .bind(outcome.as_str())
    .bind(form.notes.trim())
    .bind(&contact_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE canvass_addresses SET last_outcome = $1, last_visited_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(outcome.as_str())
    .bind(now)
    .bind(&address_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE canvass_sessions SET doors_knocked = doors_knocked + 1, conversations = conversations + $1 WHERE id = $2",
    )
    .bind(i64::from(outcome.is_conversation()))
    .bind(&session_id)
    .execute(&mut *tx)
    .await?;
    events.push(Event::CanvassVisitRecorded(CanvassVisitRecorded {
        visit_id,
        session_id: session_id.clone(),
        address_id,
        contact_id,
        outcome: outcome.as_str().to_string(),
    }));
    let published: Vec<(&Actor, &Event)> = events.iter().map(|e| (actor, e)).collect();
    bus::publish_all(&mut tx, &published).await?;
    bus.commit(tx).await?;
    session_by_id(bus.db(), &session_id).await
}

/// Takes back visit `visit_id` of the canvasser's open session, a mistaken door or outcome:
/// the session's counts and the address's last outcome go back to what they were before it,
/// with `canvass.address.updated`, and the door is in their walk again. A visit at which
/// someone left their name and email stays: it made or matched a contact, and an organiser
/// corrects that.
pub async fn undo_visit(
    bus: &Bus,
    actor: &Actor,
    user_id: &str,
    visit_id: &str,
    now: i64,
) -> Result<Session, CanvassError> {
    let mut tx = bus.db().begin_write().await?;
    let session_id = lock_session_to_change(&mut tx, user_id).await?;
    let visit = sqlx::query(
        "DELETE FROM canvass_visits WHERE id = $1 AND session_id = $2 RETURNING address_id, outcome, contact_id",
    )
    .bind(visit_id.trim())
    .bind(&session_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(CanvassError::NotFound("There is no such visit in your session."))?;
    if visit.try_get::<Option<String>, _>("contact_id")?.is_some() {
        return Err(CanvassError::Conflict(
            "Someone left their name and email at this visit, so it stays: ask an organiser to correct it.",
        ));
    }
    let address_id: String = visit.try_get("address_id")?;
    let outcome = Outcome::parse(&visit.try_get::<String, _>("outcome")?).unwrap_or(Outcome::NotHome);
    sqlx::query(
        "UPDATE canvass_sessions SET doors_knocked = doors_knocked - 1, conversations = conversations - $1 WHERE id = $2",
    )
    .bind(i64::from(outcome.is_conversation()))
    .bind(&session_id)
    .execute(&mut *tx)
    .await?;
    let before: Option<(String, i64)> = sqlx::query_as(
        "SELECT outcome, visited_at FROM canvass_visits WHERE address_id = $1 ORDER BY visited_at DESC, id DESC LIMIT 1",
    )
    .bind(&address_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (last_outcome, last_visited_at) = before.unzip();
    let address = sqlx::query(
        "UPDATE canvass_addresses SET last_outcome = $1, last_visited_at = $2, updated_at = $3 WHERE id = $4 \
         RETURNING street, city, postal_code",
    )
    .bind(last_outcome)
    .bind(last_visited_at)
    .bind(now)
    .bind(&address_id)
    .fetch_one(&mut *tx)
    .await?;
    bus::publish(&mut tx, actor, &address_event(&address_id, &address_of(&address)?, None)).await?;
    bus.commit(tx).await?;
    session_by_id(bus.db(), &session_id).await
}

/// The canvasser's open session, locked, for ending it or taking back a visit.
async fn lock_session_to_change(tx: &mut Tx, user_id: &str) -> Result<String, CanvassError> {
    lock_open_session(tx, user_id).await.map_err(|e| {
        if matches!(e, CanvassError::Conflict(_)) {
            CanvassError::Conflict("You have no session open.")
        } else {
            e
        }
    })
}

/// Ends the canvasser's open session, publishing `canvass.session.completed` with its counts.
pub async fn end(bus: &Bus, actor: &Actor, user_id: &str, now: i64) -> Result<Session, CanvassError> {
    let mut tx = bus.db().begin_write().await?;
    let session_id = lock_session_to_change(&mut tx, user_id).await?;
    let row = sqlx::query(
        "UPDATE canvass_sessions SET ended_at = $1 WHERE id = $2 RETURNING started_at, doors_knocked, conversations",
    )
    .bind(now)
    .bind(&session_id)
    .fetch_one(&mut *tx)
    .await?;
    let started_at: i64 = row.try_get("started_at")?;
    let event = Event::CanvassSessionCompleted(CanvassSessionCompleted {
        session_id: session_id.clone(),
        canvasser_user_id: user_id.to_string(),
        doors_knocked: row.try_get("doors_knocked")?,
        conversations: row.try_get("conversations")?,
        started_at: rfc3339_from_unix_ms(started_at * 1000),
        ended_at: rfc3339_from_unix_ms(now * 1000),
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    session_by_id(bus.db(), &session_id).await
}

/// Adds a door the canvasser found that is not on the list (a new building, a flat), while
/// their session is open, with `canvass.address.updated`: it then shows in their walk. On a
/// turf, only an address in the turf's areas, where the walk would show it.
pub async fn add_door(
    bus: &Bus,
    actor: &Actor,
    user_id: &str,
    typed: &AddressForm,
    now: i64,
) -> Result<Address, CanvassError> {
    let form =
        checked_address(&typed.street, &typed.city, &typed.postal_code).map_err(CanvassError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    let session_id = lock_open_session(&mut tx, user_id).await?;
    let Some(id) = insert_address(&mut tx, &form, now).await? else {
        return Err(CanvassError::Conflict(
            "That address is already on the list: it is below, unless it has been knocked on already.",
        ));
    };
    let turf = sqlx::query(
        "SELECT t.areas FROM canvass_sessions s JOIN canvass_turfs t ON t.id = s.turf_id WHERE s.id = $1",
    )
    .bind(&session_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(turf) = turf {
        let areas: Vec<String> = turf.try_get::<String, _>("areas")?.lines().map(String::from).collect();
        let mut binds = vec![id.clone()];
        let sql = format!(
            "SELECT COUNT(*) FROM canvass_addresses a WHERE a.id = $1{}",
            in_areas(&areas, &mut binds)
        );
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for bind in &binds {
            query = query.bind(bind);
        }
        let in_turf: i64 = query.fetch_one(&mut *tx).await?;
        if in_turf == 0 {
            return Err(invalid(
                "street",
                format!(
                    "This address is not on your turf ({}). Ask an organiser to add it.",
                    areas.join(", ")
                ),
            ));
        }
    }
    bus::publish(&mut tx, actor, &address_event(&id, &form, None)).await?;
    bus.commit(tx).await?;
    Ok(address_detail(bus.db(), &id).await?.address)
}

/// The lock a session's start on a turf and the turf's deletion share.
fn turf_lock(id: &str) -> String {
    format!("canvass-turf:{id}")
}

/// A turf's name and areas, trimmed (blank lines dropped), or what is wrong with them.
fn checked_turf(form: &TurfForm) -> Result<(String, Vec<String>), Vec<FieldError>> {
    let name = form.name.trim().to_string();
    let areas: Vec<String> =
        form.areas.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    let mut v = Validation::new();
    v.check(!name.is_empty(), "name", "Name the turf, as canvassers will know it.");
    v.check(
        is_one_line(&name, super::TURF_NAME_MAX_CHARS),
        "name",
        "The name is one line of at most 100 characters.",
    );
    v.check(
        !areas.is_empty(),
        "areas",
        "Enter at least one street or postal code, such as \"High St\" or \"K1A 0B\".",
    );
    v.check(
        areas.len() <= super::TURF_AREAS_MAX,
        "areas",
        "A turf is made of at most 50 streets or postal codes.",
    );
    v.check(
        areas.iter().all(|a| is_one_line(a, super::TURF_AREA_MAX_CHARS)),
        "areas",
        "Each street or postal code is at most 100 characters.",
    );
    v.finish()?;
    Ok((name, areas))
}

/// A turf as stored, before its addresses are counted.
struct TurfRow {
    id: String,
    name: String,
    areas: Vec<String>,
    edits: i64,
}

fn turf_from_row(row: &sqlx::any::AnyRow) -> Result<TurfRow, sqlx::Error> {
    let areas: String = row.try_get("areas")?;
    Ok(TurfRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        areas: areas.lines().map(String::from).collect(),
        edits: row.try_get("edits")?,
    })
}

async fn turf_row(db: &Db, id: &str) -> Result<TurfRow, CanvassError> {
    let row = sqlx::query("SELECT id, name, areas, edits FROM canvass_turfs WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(NO_TURF)?;
    Ok(turf_from_row(&row)?)
}

/// The canvassers asked to walk each turf, by the turf's id: every turf's, or only `turf_id`'s.
async fn assignees(db: &Db, turf_id: Option<&str>) -> Result<HashMap<String, Vec<Assignee>>, sqlx::Error> {
    let only = if turf_id.is_some() { " WHERE a.turf_id = $1" } else { "" };
    let sql = format!(
        "SELECT a.turf_id, u.id, u.display_name, u.email FROM canvass_turf_assignments a \
         JOIN users u ON u.id = a.user_id{only} ORDER BY u.display_name, u.id"
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    if let Some(id) = turf_id {
        query = query.bind(id);
    }
    let rows: Vec<(String, String, String, String)> = query.fetch_all(db.pool()).await?;
    let mut by_turf: HashMap<String, Vec<Assignee>> = HashMap::new();
    for (turf_id, user_id, name, email) in rows {
        by_turf.entry(turf_id).or_default().push(Assignee { user_id, name, email });
    }
    Ok(by_turf)
}

/// The turfs with their addresses counted (how many there are, how many are done, who is out
/// now), each with the canvassers asked to walk it (`assigned`, by turf id). The address list is
/// read once for all of them, each address matched against every turf's areas at once: a
/// query per turf read the whole list again (100 turfs over 50,000 addresses took 13 s).
async fn counted(
    db: &Db,
    rows: Vec<TurfRow>,
    mut assigned: HashMap<String, Vec<Assignee>>,
) -> Result<Vec<Turf>, CanvassError> {
    // Each turf's areas as its address list matches them (`in_areas`), and whose each is. An
    // area of two turfs is two patterns, each reported where it is found.
    let (patterns, turf_of_pattern): (Vec<String>, Vec<usize>) = rows
        .iter()
        .enumerate()
        .flat_map(|(turf, row)| row.areas.iter().map(move |area| (area.trim().to_lowercase(), turf)))
        .unzip();
    let areas = AhoCorasick::new(&patterns)?;
    let turf_index: HashMap<&str, usize> =
        rows.iter().enumerate().map(|(i, row)| (row.id.as_str(), i)).collect();
    // The doors done on each turf: an address visited in a session on it, not "Not home".
    let done_pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT s.turf_id, v.address_id FROM canvass_visits v \
         JOIN canvass_sessions s ON s.id = v.session_id \
         WHERE s.turf_id IS NOT NULL AND v.outcome <> 'NOT_HOME'",
    )
    .fetch_all(db.pool())
    .await?;
    let done_on: HashSet<(usize, &str)> = done_pairs
        .iter()
        .filter_map(|(turf, address)| Some((*turf_index.get(turf.as_str())?, address.as_str())))
        .collect();
    let (mut addresses, mut done) = (vec![0i64; rows.len()], vec![0i64; rows.len()]);
    let mut after = String::new();
    loop {
        // In pages, so that a long list is never held whole; lower-cased by the database, as
        // the turf's address list is (SQLite lower-cases ASCII letters only).
        let page: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, LOWER(street), LOWER(postal_code) FROM canvass_addresses WHERE id > $1 \
             ORDER BY id LIMIT 5000",
        )
        .bind(&after)
        .fetch_all(db.pool())
        .await?;
        let Some((last, _, _)) = page.last() else { break };
        after = last.clone();
        for (id, street, postal_code) in &page {
            let mut on: Vec<usize> = [street, postal_code]
                .into_iter()
                .flat_map(|text| areas.find_overlapping_iter(text))
                .map(|found| turf_of_pattern[found.pattern().as_usize()])
                .collect();
            on.sort_unstable();
            on.dedup();
            for turf in on {
                addresses[turf] += 1;
                done[turf] += i64::from(done_on.contains(&(turf, id.as_str())));
            }
        }
    }
    let out: Vec<(String, i64)> = sqlx::query_as(
        "SELECT turf_id, COUNT(*) FROM canvass_sessions WHERE turf_id IS NOT NULL AND ended_at IS NULL \
         GROUP BY turf_id",
    )
    .fetch_all(db.pool())
    .await?;
    let out_now: HashMap<String, i64> = out.into_iter().collect();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, turf)| Turf {
            addresses: addresses[i],
            done: done[i],
            out_now: out_now.get(&turf.id).copied().unwrap_or(0),
            assigned: assigned.remove(&turf.id).unwrap_or_default(),
            id: turf.id,
            name: turf.name,
            areas: turf.areas,
            edits: turf.edits,
        })
        .collect())
}

pub async fn turf(db: &Db, id: &str) -> Result<Turf, CanvassError> {
    let row = turf_row(db, id).await?;
    let assigned = assignees(db, Some(id)).await?;
    Ok(counted(db, vec![row], assigned).await?.remove(0))
}

/// Every turf, by name, counted.
pub async fn turfs(db: &Db) -> Result<Vec<Turf>, CanvassError> {
    let rows = sqlx::query("SELECT id, name, areas, edits FROM canvass_turfs ORDER BY name_key, id")
        .fetch_all(db.pool())
        .await?;
    let rows = rows.iter().map(turf_from_row).collect::<Result<Vec<_>, _>>()?;
    counted(db, rows, assignees(db, None).await?).await
}

/// Creates a turf (`id` empty) or changes one. Two turfs are not called the same; a change
/// from a form opened before someone else saved the turf is refused.
pub async fn save_turf(
    db: &Db,
    actor: &Actor,
    id: &str,
    typed: &TurfForm,
    now: i64,
) -> Result<Turf, CanvassError> {
    let (name, areas) = checked_turf(typed).map_err(CanvassError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let new = id.is_empty();
    let id = if new {
        uuid::Uuid::new_v4().to_string()
    } else {
        let saved_since = CanvassError::ChangedMeanwhile("this turf");
        db::check_edits(&mut tx, "canvass_turfs", id, typed.edits, NO_TURF, saved_since).await?;
        id.to_string()
    };
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM canvass_turfs WHERE name_key = $1 AND id <> $2")
            .bind(name.to_lowercase())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
    let name_taken = || invalid("name", format!("There is already a turf called \"{name}\"."));
    if taken.is_some() {
        return Err(name_taken());
    }
    let sql = if new {
        "INSERT INTO canvass_turfs (name, name_key, areas, id, created_at) VALUES ($1, $2, $3, $4, $5)"
    } else {
        "UPDATE canvass_turfs SET name = $1, name_key = $2, areas = $3, edits = edits + 1 WHERE id = $4"
    };
    let mut query = sqlx::query(sql).bind(&name).bind(name.to_lowercase()).bind(areas.join("\n")).bind(&id);
    if new {
        query = query.bind(now);
    }
    match query.execute(&mut *tx).await {
        // Named the same by someone else at the same moment (PostgreSQL).
        Err(e) if db::is_unique_violation(&e) => return Err(name_taken()),
        written => written?,
    };
    let action = if new { "canvass.turf.created" } else { "canvass.turf.changed" };
    crate::audit::service::record(&mut tx, actor, action, &name).await?;
    tx.commit().await?;
    turf(db, &id).await
}

/// Deletes a turf, writing it to the admin audit log. Refused while a canvasser walks it; the
/// sessions that walked it keep their counts (and lose its name).
pub async fn delete_turf(db: &Db, actor: &Actor, id: &str) -> Result<(), CanvassError> {
    let mut tx = db.begin_write().await?;
    db::lock_key(&mut tx, &turf_lock(id)).await?;
    let out_now: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM canvass_sessions WHERE turf_id = $1 AND ended_at IS NULL")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if out_now > 0 {
        return Err(CanvassError::Conflict(
            "Someone is canvassing this turf now. Delete it once their session has ended.",
        ));
    }
    let name: Option<String> = sqlx::query_scalar("DELETE FROM canvass_turfs WHERE id = $1 RETURNING name")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let name = name.ok_or(NO_TURF)?;
    crate::audit::service::record(&mut tx, actor, "canvass.turf.deleted", &name).await?;
    tx.commit().await?;
    Ok(())
}

/// Asks the canvasser whose account is `email` to walk turf `turf_id` (written to the admin
/// audit log), and emails them so, in one transaction. Refused for an email no active account
/// has, and for a canvasser already asked.
pub async fn assign_turf(
    db: &Db,
    actor: &Actor,
    turf_id: &str,
    email: &str,
    now: i64,
) -> Result<Turf, CanvassError> {
    let email = crate::users::service::normalise_email(email);
    if email.is_empty() {
        return Err(invalid("email", "Type the email of the canvasser's account.".into()));
    }
    let mut tx = db.begin_write().await?;
    // Not deleted meanwhile: `delete_turf` takes the same lock.
    db::lock_key(&mut tx, &turf_lock(turf_id)).await?;
    let turf: (String, String) = sqlx::query_as("SELECT name, areas FROM canvass_turfs WHERE id = $1")
        .bind(turf_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(NO_TURF)?;
    let canvasser: Option<(String, String)> =
        sqlx::query_as("SELECT id, display_name FROM users WHERE email = $1 AND status = 'ACTIVE'")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((user_id, user_name)) = canvasser else {
        let message = "No active account has this email: they sign up, or are invited under Users, first.";
        return Err(invalid("email", message.into()));
    };
    let inserted = sqlx::query(
        "INSERT INTO canvass_turf_assignments (turf_id, user_id, assigned_at) VALUES ($1, $2, $3)",
    )
    .bind(turf_id)
    .bind(&user_id)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if db::is_unique_violation(&e) => {
            return Err(CanvassError::Conflict("This canvasser is already asked to walk this turf."));
        }
        other => other?,
    };
    let (name, areas) = turf;
    crate::audit::service::record(&mut tx, actor, "canvass.turf.assigned", &format!("{name}: {email}"))
        .await?;
    crate::email::service::queue(&mut tx, &assignment_email(&email, &user_name, &name, &areas)).await?;
    tx.commit().await?;
    self::turf(db, turf_id).await
}

/// The email telling a canvasser they are asked to walk the turf `name` made of `areas`.
fn assignment_email(
    to: &str,
    canvasser: &str,
    name: &str,
    areas: &str,
) -> crate::email::service::OutgoingEmail {
    let base = crate::email::service::LINK_BASE;
    crate::email::service::OutgoingEmail {
        to: to.to_string(),
        subject: format!("You are asked to canvass {name}"),
        body: format!(
            "Hello {canvasser},\n\nAn organiser asked you to canvass {name}: {}.\n\n\
             When you are at the first door, open {base}/canvass, choose {name} (it is first on the \
             list) and press Start canvassing.\n",
            areas.lines().collect::<Vec<_>>().join(", ")
        ),
        attachment: None,
    }
}

/// Takes canvasser `user_id` off turf `turf_id` (written to the admin audit log).
pub async fn unassign_turf(
    db: &Db,
    actor: &Actor,
    turf_id: &str,
    user_id: &str,
) -> Result<Turf, CanvassError> {
    let mut tx = db.begin_write().await?;
    let taken_off: Option<(String, String, String)> = sqlx::query_as(
        "SELECT t.name, u.email, u.display_name FROM canvass_turf_assignments a \
         JOIN canvass_turfs t ON t.id = a.turf_id JOIN users u ON u.id = a.user_id \
         WHERE a.turf_id = $1 AND a.user_id = $2",
    )
    .bind(turf_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, email, user_name)) = taken_off else {
        return Err(CanvassError::NotFound("This canvasser is not asked to walk this turf."));
    };
    sqlx::query("DELETE FROM canvass_turf_assignments WHERE turf_id = $1 AND user_id = $2")
        .bind(turf_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    crate::audit::service::record(&mut tx, actor, "canvass.turf.unassigned", &format!("{name}: {email}"))
        .await?;
    crate::email::service::queue(&mut tx, &unassignment_email(&email, &user_name, &name)).await?;
    tx.commit().await?;
    self::turf(db, turf_id).await
}

/// The email telling a canvasser they are no longer asked to walk the turf `name`, so that
/// nobody goes out to doors someone else now has.
fn unassignment_email(to: &str, canvasser: &str, name: &str) -> crate::email::service::OutgoingEmail {
    let base = crate::email::service::LINK_BASE;
    crate::email::service::OutgoingEmail {
        to: to.to_string(),
        subject: format!("You are no longer asked to canvass {name}"),
        body: format!(
            "Hello {canvasser},\n\nAn organiser took you off {name}: you are no longer asked to canvass it. \
             Thank you for the doors you knocked on.\n\nYou may still choose any turf at {base}/canvass.\n"
        ),
        attachment: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The address of one typed line, or what is wrong with it.
    fn parse_line(line: &str) -> Result<AddressForm, String> {
        match parse_lines(line, 1) {
            Ok(mut forms) => Ok(forms.remove(0)),
            Err(CanvassError::Invalid(errors)) => Err(errors[0].message.clone()),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_line_is_street_city_postal_code_and_the_street_may_hold_commas() {
        let form = parse_line(" Flat 2, 12 High St ,Springfield, K1A 0B1 ").unwrap();
        assert_eq!(
            form,
            AddressForm {
                street: "Flat 2, 12 High St".into(),
                city: "Springfield".into(),
                postal_code: "K1A 0B1".into(),
                edits: None,
            }
        );
        assert!(parse_line("12 High St, Springfield").unwrap_err().contains("separated by commas"));
        assert!(parse_line("12 High St, , K1A").unwrap_err().contains("enter the city"));
    }

    #[test]
    fn one_address_typed_two_ways_has_one_key() {
        let a = AddressForm {
            street: "12  High St".into(),
            city: "X".into(),
            postal_code: "K1A 0B1".into(),
            edits: None,
        };
        let b = AddressForm {
            street: "12 high st".into(),
            city: "Y".into(),
            postal_code: "k1a0b1".into(),
            edits: None,
        };
        assert_eq!(address_key(&a), address_key(&b));
        let c = AddressForm { street: "14 High St".into(), ..a.clone() };
        assert_ne!(address_key(&a), address_key(&c));
    }

    #[test]
    fn wrong_lines_are_named_by_number_and_nothing_is_taken() {
        let Err(CanvassError::Invalid(errors)) =
            parse_lines("1 A St, Town, A1\n\nnonsense\n2 B St, Town, A2", 500)
        else {
            panic!("a wrong line is refused")
        };
        assert_eq!(errors[0].field, "lines");
        assert!(errors[0].message.starts_with("Line 3: give the street"), "{}", errors[0].message);
        assert!(errors[0].message.ends_with("Nothing was added."));
        assert!(matches!(parse_lines(" \n ", 500), Err(CanvassError::Invalid(_))));
        let many = "1 A St, Town, A1\n".repeat(super::super::IMPORT_MAX_LINES + 1);
        assert!(matches!(parse_lines(&many, super::super::IMPORT_MAX_LINES), Err(CanvassError::Invalid(_))));
        assert_eq!(parse_lines("1 A St, Town, A1\n2 B St, Town, A2", 2).unwrap().len(), 2);
    }

    #[test]
    fn a_spreadsheets_file_reads_as_typed_lines_do() {
        let typed =
            parse_lines("Flat 2, 12 High St, Springfield, K1A 0B1\n7 Mill Lane,Shelbyville,S2B 1C3", 500)
                .unwrap();
        // Its column names first, a street with a comma quoted, Windows line ends.
        let saved = "Street,City,Postal code\r\n\"Flat 2, 12 High St\",Springfield,K1A 0B1\r\n7 Mill Lane,Shelbyville,S2B 1C3\r\n";
        assert_eq!(parse_lines(saved, 500).unwrap(), typed);
        assert_eq!(typed[0].street, "Flat 2, 12 High St");
        assert_eq!((typed[1].city.as_str(), typed[1].postal_code.as_str()), ("Shelbyville", "S2B 1C3"));
        // Only column names: nothing to add. A quote never closed names its line.
        assert!(matches!(parse_lines("street;city;zip", 500), Err(CanvassError::Invalid(_))));
        let Err(CanvassError::Invalid(errors)) = parse_lines("1 A St, Town, A1\n\"2 B St, Town, A2", 500)
        else {
            panic!("an open quote is refused")
        };
        assert_eq!(errors[0].message, "Line 2: a quoted cell is never closed. Nothing was added.");
    }

    #[test]
    fn conversations_are_the_doors_where_someone_talked() {
        let talked: Vec<_> = Outcome::ALL.into_iter().filter(|o| o.is_conversation()).collect();
        assert_eq!(talked, [Outcome::Supporter, Outcome::Undecided, Outcome::Opposed]);
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
    }
}
