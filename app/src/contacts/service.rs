//! Contacts (ssr only): matching by email inside the caller's transaction, the list, a
//! contact's page, tags, merging and the CSV export.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::{
    Activity, Contact, ContactDetail, ContactEmail, ContactFilter, ContactForm, ContactPage, ContactPages,
    ContactPayment, ContactSignup, IMPORT_MAX_BYTES, IMPORT_MAX_TEXT, ImportPreview, ImportRowView, Paging,
    UnsubscribeStatus,
};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation, is_plain_text};
use crate::events::catalog::{
    ContactCreated, ContactMerged, ContactResubscribed, ContactTagsChanged, ContactUnsubscribed,
    ContactUpdated,
};
use crate::events::{Actor, Event};
use crate::jobs::service::Progress;
use crate::jobs::{JobResult, LineProblem};
use crate::secrets::SecretKey;
use crate::time_zone::Zone;
use crate::users::service::{is_plausible_email, normalise_email};

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("invalid contact details")]
    Invalid(Vec<FieldError>),
    #[error("no such contact")]
    NotFound,
    #[error("no such note")]
    NoteNotFound,
    /// Someone else's note: only its author rewrites it.
    #[error("not the note's author")]
    NotTheNoteAuthor,
    #[error("another contact has this email")]
    EmailTaken,
    /// Their personal data was erased on this day (`YYYY-MM-DD`).
    #[error("the contact's personal data was erased")]
    Erased(String),
    /// Erasing waits for these, each with what to do first.
    #[error("the contact is still needed")]
    StillNeeded(String),
    /// The edit form was opened before the contact's details last changed.
    #[error("the contact changed since the form was opened")]
    ChangedMeanwhile,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub const PAGE_SIZE: i64 = 50;

/// A person's name and email as every form that takes them checks them: shift sign-ups,
/// checkouts, campaign emails, imports. `email` as typed; it is normalised here.
pub fn check_name_and_email(v: &mut Validation, name: &str, email: &str) {
    let name = name.trim();
    v.check(!name.is_empty(), "name", "Enter a name.");
    v.check(
        is_plain_text(name, 100) && !name.contains(['\n', '\r', '\t']),
        "name",
        "Names can be at most 100 characters, on one line.",
    );
    v.check(
        is_plausible_email(&normalise_email(email)),
        "email",
        "Enter a valid email address, like name@example.org.",
    );
}

/// An optional phone number: digits, spaces and `+ - ( ) .`, at most 30 characters.
pub fn check_phone(v: &mut Validation, phone: &str) {
    let phone = phone.trim();
    v.check(
        phone.is_empty()
            || (phone.len() <= 30 && phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))),
        "phone",
        "Enter a phone number with digits, spaces, + - ( ) only.",
    );
}

/// A contact found or just created by `find_or_create`.
pub struct FoundContact {
    pub id: String,
    /// `contact.created` when the contact is new. The caller publishes it with its own
    /// events, last in the transaction: on PostgreSQL publishing holds the bus's ordering
    /// lock until commit, so the later it comes, the less writers wait on each other.
    pub created: Option<Event>,
}

/// The contact with `email`, created when there is none yet. A later sign-up never
/// overwrites the name on file.
pub async fn find_or_create(
    tx: &mut Tx,
    email: &str,
    name: &str,
    phone: Option<&str>,
    source: &str,
) -> Result<FoundContact, sqlx::Error> {
    let mut found = find_or_create_all(tx, &[Person { email, name, phone }], source).await?;
    Ok(found.remove(0))
}

/// Someone to find by email, or to create as a contact with these details.
pub struct Person<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
}

/// The contact of each of `people`, by email, created when there is none yet: two
/// statements however many there are. An email given twice is one contact, created with the
/// first one's details (its `contact.created` goes with the first). A contact on file is
/// never changed.
pub async fn find_or_create_all(
    tx: &mut Tx,
    people: &[Person<'_>],
    source: &str,
) -> Result<Vec<FoundContact>, sqlx::Error> {
    let emails: Vec<String> = people.iter().map(|p| normalise_email(p.email)).collect();
    let mut distinct: Vec<&str> = emails.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut ids = contact_ids_by_email(tx, &distinct).await?;
    // The first person with each email not on file.
    let mut seen = HashSet::new();
    let new: Vec<usize> =
        (0..people.len()).filter(|&i| !ids.contains_key(&emails[i]) && seen.insert(&emails[i])).collect();
    let mut created = HashMap::new();
    if !new.is_empty() {
        let now = db::now_unix();
        let sql = format!(
            "INSERT INTO contacts (id, email, name, phone, source, created_at, updated_at) VALUES {} \
             ON CONFLICT (email) DO NOTHING RETURNING id, email",
            db::value_rows(1, new.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &i in &new {
            query = query
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&emails[i])
                .bind(people[i].name)
                .bind(people[i].phone)
                .bind(source)
                .bind(now)
                .bind(now);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let (id, email): (String, String) = (row.try_get("id")?, row.try_get("email")?);
            ids.insert(email.clone(), id.clone());
            created.insert(email, id);
        }
        // An email another transaction added since the first look (PostgreSQL: the insert
        // waited for it to commit, then left it alone).
        let raced: Vec<&str> =
            new.iter().map(|&i| emails[i].as_str()).filter(|e| !created.contains_key(*e)).collect();
        ids.extend(contact_ids_by_email(tx, &raced).await?);
    }
    let mut found = Vec::with_capacity(people.len());
    for (i, (person, email)) in people.iter().zip(&emails).enumerate() {
        let id = ids.get(email).cloned().ok_or(sqlx::Error::RowNotFound)?;
        let is_first = new.binary_search(&i).is_ok();
        let created = created.get(email).filter(|_| is_first).map(|id| {
            Event::ContactCreated(ContactCreated {
                contact_id: id.clone(),
                email: email.clone(),
                name: person.name.to_string(),
                source: source.to_string(),
            })
        });
        found.push(FoundContact { id, created });
    }
    Ok(found)
}

/// The id of each contact on file among `emails` (normalised), by email.
async fn contact_ids_by_email(tx: &mut Tx, emails: &[&str]) -> Result<HashMap<String, String>, sqlx::Error> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let sql =
        format!("SELECT id, email FROM contacts WHERE email IN ({})", db::placeholders(1, emails.len()));
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
    for email in emails {
        query = query.bind(*email);
    }
    Ok(query.fetch_all(&mut **tx).await?.into_iter().map(|(id, email)| (email, id)).collect())
}

const CONTACT_COLUMNS: &str = "c.id, c.name, c.email, c.phone, c.source, c.created_at, c.unsubscribed_at, \
     c.edits, (SELECT CAST(COALESCE(SUM(a.points), 0) AS BIGINT) FROM contact_activity a WHERE a.contact_id = c.id) AS score";

fn contact_from_row(row: &sqlx::any::AnyRow, tags: Vec<String>, zone: Zone) -> Result<Contact, sqlx::Error> {
    Ok(Contact {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        source: row.try_get("source")?,
        created: zone.date(row.try_get("created_at")?),
        tags,
        score: row.try_get("score")?,
        unsubscribed: row.try_get::<Option<i64>, _>("unsubscribed_at")?.map(|at| zone.date(at)),
        edits: row.try_get("edits")?,
    })
}

/// The `LEADERBOARD_SIZE` contacts with the most points from activity in the last
/// `period_days` days (one of `LEADERBOARD_PERIODS`; 0 for all time), highest first; of equal
/// scores, the latest active first.
pub async fn leaderboard(
    db: &Db,
    period_days: i64,
    now: i64,
) -> Result<Vec<super::LeaderboardRow>, ContactError> {
    if !super::LEADERBOARD_PERIODS.iter().any(|(days, _)| *days == period_days) {
        let message = "Choose the last 30, 90 or 365 days, or all time (0).";
        return Err(ContactError::Invalid(FieldError::only("period_days", message)));
    }
    let since = if period_days == 0 { 0 } else { now - period_days * 86_400 };
    // Summed by contact before the join, so only the board's contacts are read (every activity
    // has its contact: they are deleted with it); a quarter of the time over 150,000 activities.
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.email, board.score, board.activities, board.last_at FROM \
         (SELECT contact_id, CAST(SUM(points) AS BIGINT) AS score, CAST(COUNT(*) AS BIGINT) AS activities, \
          CAST(MAX(occurred_at) AS BIGINT) AS last_at FROM contact_activity WHERE occurred_at >= $1 \
          GROUP BY contact_id ORDER BY score DESC, last_at DESC, contact_id LIMIT $2) board \
         JOIN contacts c ON c.id = board.contact_id ORDER BY board.score DESC, board.last_at DESC, c.id",
    )
    .bind(since)
    .bind(super::LEADERBOARD_SIZE)
    .fetch_all(db.pool())
    .await?;
    let zone = crate::settings::time_zone(db).await?;
    let mut board: Vec<super::LeaderboardRow> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let score: i64 = row.try_get("score")?;
        // Equal scores share the rank of the first of them.
        let rank = match board.last() {
            Some(previous) if previous.score == score => previous.rank,
            _ => i as i64 + 1,
        };
        board.push(super::LeaderboardRow {
            rank,
            contact_id: row.try_get("id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            score,
            activities: row.try_get("activities")?,
            last_active: zone.date(row.try_get("last_at")?),
        });
    }
    Ok(board)
}

/// The tags of each contact in `ids`, alphabetical.
async fn tags_of(db: &Db, ids: &[String]) -> Result<HashMap<String, Vec<String>>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT contact_id, tag FROM contact_tags WHERE contact_id IN ({}) ORDER BY tag",
        db::placeholders(1, ids.len())
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    Ok(by_contact(query.fetch_all(db.pool()).await?))
}

/// `(contact id, tag)` rows grouped by contact, in their order: one pass, so an export of
/// 50,000 contacts does not read the whole list of tags for each one.
fn by_contact(rows: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    for (contact, tag) in rows {
        tags.entry(contact).or_default().push(tag);
    }
    tags
}

/// Contacts matching the filter (name or email containing `search`, holding `tag`), newest
/// first, a page at a time.
pub async fn list(db: &Db, filter: &ContactFilter) -> Result<ContactPage, ContactError> {
    let zone = crate::settings::time_zone(db).await?;
    let (conditions, binds) = filter_conditions(filter)?;
    let select =
        format!("SELECT {CONTACT_COLUMNS} FROM contacts c{conditions} ORDER BY c.created_at DESC, c.id");
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    let mut tags = tags_of(db, &ids).await?;
    let contacts = rows
        .iter()
        .zip(&ids)
        .map(|(row, id)| contact_from_row(row, tags.remove(id).unwrap_or_default(), zone))
        .collect::<Result<Vec<_>, _>>()?;
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) FROM contacts c{conditions}"), &binds).await?;
    Ok(ContactPage { rows: contacts, page, has_more, count })
}

/// The `WHERE` of the contacts the list finds with `filter` (part of the name or email, a
/// tag), after `FROM contacts c`, and its binds in order.
fn filter_conditions(filter: &ContactFilter) -> Result<(String, Vec<String>), ContactError> {
    let mut conditions = String::from(" WHERE c.erased_at IS NULL");
    let mut binds: Vec<String> = Vec::new();
    if !filter.search.trim().is_empty() {
        binds.push(db::contains_pattern(&filter.search));
        conditions.push_str(&format!(
            " AND (LOWER(c.name) LIKE ${0} ESCAPE '\\' OR c.email LIKE ${0} ESCAPE '\\')",
            binds.len()
        ));
    }
    if !filter.tag.trim().is_empty() {
        let Some(tag) = super::normalise_tag(&filter.tag) else {
            return Err(ContactError::Invalid(FieldError::only(
                "tag",
                "Tags are letters, digits, spaces, - or _, at most 40.",
            )));
        };
        binds.push(tag);
        conditions.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ${})",
            binds.len()
        ));
    }
    Ok((conditions, binds))
}

async fn get(db: &Db, id: &str, zone: Zone) -> Result<Contact, ContactError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTACT_COLUMNS}, c.erased_at FROM contacts c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(ContactError::NotFound)?;
    if let Some(erased_at) = row.try_get::<Option<i64>, _>("erased_at")? {
        return Err(ContactError::Erased(zone.date(erased_at)));
    }
    let tags = tags_of(db, &[id.to_string()]).await?.remove(id).unwrap_or_default();
    Ok(contact_from_row(&row, tags, zone)?)
}

/// How many rows a page of one of a contact's lists (activity, sign-ups…) shows.
pub const HISTORY_PAGE_SIZE: i64 = 25;

/// Page `page` of one of a contact's lists, `select` up to its `ORDER BY` with `binds`.
async fn history_page(
    db: &Db,
    select: &str,
    binds: &[String],
    page: i64,
) -> Result<(Vec<sqlx::any::AnyRow>, Paging), sqlx::Error> {
    let (rows, page, has_more) = db::fetch_page(db, select, binds, page, HISTORY_PAGE_SIZE).await?;
    Ok((rows, Paging { page, has_more }))
}

/// A contact with the pages of their activity, sign-ups, tickets, payments and emails asked
/// for, newest first; times in the organisation's time zone.
pub async fn detail(db: &Db, id: &str, pages: ContactPages) -> Result<ContactDetail, ContactError> {
    let zone = crate::settings::time_zone(db).await?;
    let contact = get(db, id, zone).await?;
    let binds = [id.to_string()];
    let (activity, activity_paging) = history_page(
        db,
        "SELECT topic, summary, points, occurred_at FROM contact_activity WHERE contact_id = $1 \
         ORDER BY occurred_at DESC, seq DESC",
        &binds,
        pages.activity,
    )
    .await?;
    let activity = activity
        .iter()
        .map(|r| {
            Ok(Activity {
                at: zone.stamp(r.try_get("occurred_at")?),
                topic: r.try_get("topic")?,
                summary: r.try_get("summary")?,
                points: r.try_get("points")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let (signups, signups_paging) = history_page(
        db,
        "SELECT s.shift_id, sh.title, sh.starts_at, sh.start_offset, sh.zone_label, s.status, s.attendance \
         FROM shift_signups s JOIN shifts sh ON sh.id = s.shift_id WHERE s.contact_id = $1 \
         ORDER BY sh.starts_at DESC, s.id",
        &binds,
        pages.signups,
    )
    .await?;
    let signups = signups
        .iter()
        .map(|r| {
            Ok(ContactSignup {
                shift_id: r.try_get("shift_id")?,
                shift_title: r.try_get("title")?,
                // The shift's local time, as its pages show it.
                starts: {
                    let local = r.try_get::<i64, _>("starts_at")? + r.try_get::<i64, _>("start_offset")?;
                    let time = crate::time::date_time_from_unix(local).1;
                    format!(
                        "{}, {time} {}",
                        crate::time::day_label(local),
                        r.try_get::<String, _>("zone_label")?
                    )
                },
                status: r.try_get("status")?,
                attendance: r
                    .try_get::<Option<String>, _>("attendance")?
                    .as_deref()
                    .and_then(crate::shifts::Attendance::parse),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let (payments, payments_paging) = history_page(
        db,
        "SELECT 'donation' AS kind, r.frequency AS what, r.amount_cents, r.refunded_cents, r.status, r.created_at, r.id \
         FROM donations r WHERE r.contact_id = $1 \
         UNION ALL SELECT 'order', p.name, r.amount_cents, r.refunded_cents, r.status, r.created_at, r.id \
         FROM orders r JOIN products p ON p.id = r.product_id WHERE r.contact_id = $1 \
         UNION ALL SELECT 'subscription', p.name, r.amount_cents, r.refunded_cents, r.status, r.created_at, r.id \
         FROM subscriptions r JOIN subscription_plans p ON p.id = r.plan_id WHERE r.contact_id = $1 \
         UNION ALL SELECT 'ticket', e.title || ' — ' || p.name, r.amount_cents, r.refunded_cents, r.status, r.created_at, r.id \
         FROM ticket_orders r JOIN ticket_tiers p ON p.id = r.tier_id JOIN ticketed_events e ON e.id = p.event_id \
         WHERE r.contact_id = $1 \
         ORDER BY created_at DESC, id",
        &binds,
        pages.payments,
    )
    .await?;
    let payments = payments
        .iter()
        .map(|r| {
            Ok(ContactPayment {
                kind: r.try_get("kind")?,
                what: r.try_get("what")?,
                amount_cents: r.try_get("amount_cents")?,
                refunded_cents: r.try_get("refunded_cents")?,
                status: r.try_get("status")?,
                created: zone.stamp(r.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let (emails, emails_paging) = history_page(
        db,
        "SELECT 'campaign' AS kind, c.title AS about, e.campaign_id, e.recipient_count AS recipients, \
         'SENT' AS status, e.created_at, e.id FROM campaign_emails e JOIN campaigns c ON c.id = e.campaign_id \
         WHERE e.contact_id = $1 \
         UNION ALL SELECT 'outbox', o.subject, NULL, 1, o.status, o.created_at, o.id FROM email_outbox o \
         WHERE o.to_address = $2 ORDER BY created_at DESC, id",
        &[id.to_string(), contact.email.clone()],
        pages.emails,
    )
    .await?;
    let emails = emails
        .iter()
        .map(|r| {
            Ok(ContactEmail {
                at: zone.stamp(r.try_get("created_at")?),
                kind: r.try_get("kind")?,
                about: r.try_get("about")?,
                campaign_id: r.try_get("campaign_id")?,
                recipients: r.try_get("recipients")?,
                status: r.try_get("status")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let (shifts, seconds) = crate::shifts::service::done_by_contact(db, id, crate::db::now_unix()).await?;
    let volunteered = (shifts > 0).then(|| crate::shifts::shifts_and_hours(shifts, seconds));
    let (tickets, tickets_paging) =
        crate::ticketed_events::service::tickets_of_contact(db, id, pages.tickets, HISTORY_PAGE_SIZE).await?;
    let (notes, notes_paging) = super::notes::page_of(db, &zone, id, pages.notes).await?;
    Ok(ContactDetail {
        contact,
        activity,
        activity_paging,
        signups,
        signups_paging,
        volunteered,
        payments,
        payments_paging,
        tickets,
        tickets_paging,
        emails,
        emails_paging,
        notes,
        notes_paging,
    })
}

/// Checks and tidies typed tags; every bad one is reported.
fn valid_tags(field: &str, typed: &[String]) -> Result<Vec<String>, ContactError> {
    let mut tags = Vec::new();
    for text in typed {
        match super::normalise_tag(text) {
            Some(tag) if !tags.contains(&tag) => tags.push(tag),
            Some(_) => {}
            None => {
                return Err(ContactError::Invalid(FieldError::only(
                    field,
                    format!(
                        "\"{}\" is not a tag: use letters, digits, spaces, - or _, at most 40.",
                        text.trim()
                    ),
                )));
            }
        }
    }
    Ok(tags)
}

/// Contact `id`'s details as an edit changes them, the contact locked until commit on
/// PostgreSQL; `NotFound` once their personal data is erased.
pub(super) async fn locked_details(tx: &mut Tx, id: &str) -> Result<Details, ContactError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT name, email, phone, edits FROM contacts WHERE id = $1 AND erased_at IS NULL{}",
        db::for_update(tx)
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(ContactError::NotFound)?;
    Ok(Details {
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        edits: row.try_get("edits")?,
    })
}

/// A contact's name, email and phone, and how many times they changed (`edits`).
pub(super) struct Details {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub edits: i64,
}

/// Contact `id`'s email, the contact locked until commit on PostgreSQL.
async fn locked_email(tx: &mut Tx, id: &str) -> Result<String, ContactError> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT email FROM contacts WHERE id = $1 AND erased_at IS NULL{}",
        db::for_update(tx)
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(ContactError::NotFound)
}

/// Adds and removes tags; publishes `contact.tags.changed` with what really changed (nothing
/// is published when nothing changed). Answers with the tags now held.
pub async fn change_tags(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    add: &[String],
    remove: &[String],
) -> Result<Vec<String>, ContactError> {
    let (add, remove) = (valid_tags("add", add)?, valid_tags("remove", remove)?);
    let mut tx = bus.db().begin_write().await?;
    let email = locked_email(&mut tx, id).await?;
    let add: Vec<String> = add.into_iter().filter(|t| !remove.contains(t)).collect();
    let added = add_tags(&mut tx, id, &add).await?;
    let removed = remove_tags(&mut tx, id, &remove).await?;
    let now = db::now_unix();
    let held: Vec<String> =
        sqlx::query_scalar("SELECT tag FROM contact_tags WHERE contact_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    if !added.is_empty() || !removed.is_empty() {
        tags_changed(&mut tx, actor, id, &email, added, removed, now).await?;
    }
    bus.commit(tx).await?;
    Ok(held)
}

/// Marks contact `id` changed at `now` and publishes `contact.tags.changed` with the tags
/// `added` and `removed`.
async fn tags_changed(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    email: &str,
    added: Vec<String>,
    removed: Vec<String>,
    now: i64,
) -> Result<(), ContactError> {
    sqlx::query("UPDATE contacts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let event = Event::ContactTagsChanged(ContactTagsChanged {
        contact_id: id.to_string(),
        email: email.to_string(),
        added,
        removed,
    });
    bus::publish(tx, actor, &event).await?;
    Ok(())
}

/// Contacts changed per transaction by `tag_all`: other writes (a sign-up) wait for one
/// batch, not for the whole list.
const TAG_ALL_BATCH: i64 = 500;

/// Gives tag `add` to, and takes tag `remove` from, every contact the list finds with
/// `filter` (on all its pages) — either tag may be empty, not both — each contact changed
/// with its `contact.tags.changed`, `TAG_ALL_BATCH` contacts a transaction, the last one
/// written to the admin audit log. Answers how many contacts changed.
pub async fn tag_all(
    bus: &Bus,
    actor: &Actor,
    filter: &ContactFilter,
    add: &str,
    remove: &str,
) -> Result<i64, ContactError> {
    if add.trim().is_empty() && remove.trim().is_empty() {
        return Err(ContactError::Invalid(FieldError::only("add", "Type the tag to add or remove.")));
    }
    let one = |field: &str, typed: &str| -> Result<Option<String>, ContactError> {
        if typed.trim().is_empty() { Ok(None) } else { Ok(valid_tags(field, &[typed.to_string()])?.pop()) }
    };
    let (add, remove) = (one("add", add)?, one("remove", remove)?);
    if add.is_some() && add == remove {
        return Err(ContactError::Invalid(FieldError::only(
            "remove",
            "Adding and removing one tag changes nothing.",
        )));
    }
    let (conditions, mut binds) = filter_conditions(filter)?;
    // Only the contacts the change reaches: lacking the tag to add, or holding the one to remove.
    let mut reached = Vec::new();
    for (tag, held) in [(&add, "NOT EXISTS"), (&remove, "EXISTS")] {
        if let Some(tag) = tag {
            binds.push(tag.clone());
            reached.push(format!(
                "{held} (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ${})",
                binds.len()
            ));
        }
    }
    // A batch at a time, in the contacts' id order, so that other writes go between batches.
    let sql = format!(
        "SELECT c.id, c.email FROM contacts c{conditions} AND ({}) AND c.id > ${} ORDER BY c.id LIMIT {TAG_ALL_BATCH}",
        reached.join(" OR "),
        binds.len() + 1
    );
    let (add, remove) = (Vec::from_iter(add), Vec::from_iter(remove));
    let (mut after, mut changed) = (String::new(), 0);
    loop {
        let mut tx = bus.db().begin_write().await?;
        // Locked, so that a contact erased or merged meanwhile is not changed, nor named in an event.
        let locked = format!("{sql}{}", db::for_update(&mut tx));
        let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(locked));
        for bind in binds.iter().chain([&after]) {
            query = query.bind(bind);
        }
        let found = query.fetch_all(&mut *tx).await?;
        let now = db::now_unix();
        for (id, email) in &found {
            let added = add_tags(&mut tx, id, &add).await?;
            let removed = remove_tags(&mut tx, id, &remove).await?;
            tags_changed(&mut tx, actor, id, email, added, removed, now).await?;
        }
        changed += found.len() as i64;
        let last = (found.len() as i64) < TAG_ALL_BATCH;
        if last {
            let change: Vec<String> = [("added", &add), ("removed", &remove)]
                .into_iter()
                .filter_map(|(verb, tag)| tag.first().map(|tag| format!("{verb} {tag}")))
                .collect();
            let entity = format!("{}: {}", change.join(", "), crate::ui::count(changed, "contact"));
            crate::audit::service::record(&mut tx, actor, "contacts.tagged", &entity).await?;
        }
        bus.commit(tx).await?;
        match found.last() {
            Some((id, _)) if !last => after = id.clone(),
            _ => return Ok(changed),
        }
    }
}

/// Gives contact `id` each of `tags` they do not hold yet; answers with those added.
async fn add_tags(tx: &mut Tx, id: &str, tags: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut added = Vec::new();
    let now = db::now_unix();
    for tag in tags {
        let done = sqlx::query(
            "INSERT INTO contact_tags (contact_id, tag, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(tag)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            added.push(tag.clone());
        }
    }
    Ok(added)
}

/// Takes each of `tags` contact `id` holds from them; answers with those removed.
async fn remove_tags(tx: &mut Tx, id: &str, tags: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut removed = Vec::new();
    for tag in tags {
        let done = sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1 AND tag = $2")
            .bind(id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            removed.push(tag.clone());
        }
    }
    Ok(removed)
}

/// Moves every sign-up, payment, campaign email, activity and tag of `duplicate` to `survivor`, keeps a
/// phone number the survivor lacks, and deletes `duplicate` — in one transaction, which
/// publishes `contact.merged`, and `contact.tags.changed` for the tags the survivor gains.
pub async fn merge(bus: &Bus, actor: &Actor, survivor: &str, duplicate: &str) -> Result<(), ContactError> {
    if survivor == duplicate {
        return Err(ContactError::Invalid(FieldError::only("duplicate", "Choose two different contacts.")));
    }
    let mut tx = bus.db().begin_write().await?;
    let lock = db::for_update(&mut tx);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, email, phone, unsubscribed_at FROM contacts WHERE id IN ($1, $2) AND erased_at IS NULL{lock}"
    )))
    .bind(survivor)
    .bind(duplicate)
    .fetch_all(&mut *tx)
    .await?;
    let find = |id: &str| rows.iter().find(|r| r.try_get::<String, _>("id").is_ok_and(|v| v == id));
    let (Some(kept), Some(gone)) = (find(survivor), find(duplicate)) else {
        return Err(ContactError::NotFound);
    };
    let email: String = kept.try_get("email")?;
    let gone_email: String = gone.try_get("email")?;
    let phone: Option<String> = kept.try_get::<Option<String>, _>("phone")?.or(gone.try_get("phone")?);
    // Either one's unsubscribing still holds for the person they both are.
    let kept_unsubscribed_at: Option<i64> = kept.try_get("unsubscribed_at")?;
    let unsubscribed_at = kept_unsubscribed_at.or(gone.try_get("unsubscribed_at")?);
    for table in [
        "shift_signups",
        "donations",
        "orders",
        "subscriptions",
        "campaign_emails",
        "contact_activity",
        "contact_notes",
        "reengagement_sends",
        "tickets",
        "ticket_orders",
        "canvass_addresses",
        "canvass_visits",
        "video_views",
        "sms_messages",
        "sms_recipients",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET contact_id = $1 WHERE contact_id = $2")))
            .bind(survivor)
            .bind(duplicate)
            .execute(&mut *tx)
            .await?;
    }
    let duplicate_tags: Vec<String> =
        sqlx::query_scalar("SELECT tag FROM contact_tags WHERE contact_id = $1 ORDER BY tag")
            .bind(duplicate)
            .fetch_all(&mut *tx)
            .await?;
    let added = add_tags(&mut tx, survivor, &duplicate_tags).await?;
    let now = db::now_unix();
    sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1").bind(duplicate).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM contacts WHERE id = $1").bind(duplicate).execute(&mut *tx).await?;
    // Taking the duplicate's phone changes the survivor's details: an edit form opened before
    // would put the old ones back.
    let took_phone = i64::from(phone != kept.try_get::<Option<String>, _>("phone")?);
    sqlx::query(
        "UPDATE contacts SET phone = $1, unsubscribed_at = $2, updated_at = $3, edits = edits + $4 \
         WHERE id = $5",
    )
    .bind(phone)
    .bind(unsubscribed_at)
    .bind(now)
    .bind(took_phone)
    .bind(survivor)
    .execute(&mut *tx)
    .await?;
    crate::audit::service::record(&mut tx, actor, "contact.merged", &format!("{gone_email} into {email}"))
        .await?;
    let merged = Event::ContactMerged(ContactMerged {
        contact_id: survivor.to_string(),
        email: email.clone(),
        merged_contact_id: duplicate.to_string(),
        merged_email: gone_email,
    });
    bus::publish(&mut tx, actor, &merged).await?;
    if kept_unsubscribed_at.is_none() && unsubscribed_at.is_some() {
        let event = Event::ContactUnsubscribed(ContactUnsubscribed {
            contact_id: survivor.to_string(),
            email: email.clone(),
            source: "MERGE".to_string(),
        });
        bus::publish(&mut tx, actor, &event).await?;
    }
    if !added.is_empty() {
        let event = Event::ContactTagsChanged(ContactTagsChanged {
            contact_id: survivor.to_string(),
            email,
            added,
            removed: Vec::new(),
        });
        bus::publish(&mut tx, actor, &event).await?;
    }
    bus.commit(tx).await?;
    Ok(())
}

/// The name, normalised email and phone (`None` when left empty) of `form`, or why not.
fn checked(form: &ContactForm) -> Result<(String, String, Option<String>), ContactError> {
    let mut v = Validation::new();
    check_name_and_email(&mut v, &form.name, &form.email);
    check_phone(&mut v, &form.phone);
    v.finish().map_err(ContactError::Invalid)?;
    let phone = Some(form.phone.trim().to_string()).filter(|p| !p.is_empty());
    Ok((form.name.trim().to_string(), normalise_email(&form.email), phone))
}

/// Adds a contact an organiser met outside the app (source `ADMIN`) and publishes
/// `contact.created`; answers with their id. An email already on file is refused.
pub async fn create(bus: &Bus, actor: &Actor, form: &ContactForm) -> Result<String, ContactError> {
    let (name, email, phone) = checked(form)?;
    let mut tx = bus.db().begin_write().await?;
    let found = find_or_create(&mut tx, &email, &name, phone.as_deref(), "ADMIN").await?;
    let Some(created) = found.created else { return Err(ContactError::EmailTaken) };
    bus::publish(&mut tx, actor, &created).await?;
    bus.commit(tx).await?;
    Ok(found.id)
}

/// Corrects a contact's name, email and phone, and publishes `contact.updated` (with the
/// email before the change, so the newsletter can follow it); the admin audit log records it
/// (the old email too when it changes). Saving the same details changes nothing. Their
/// sign-ups keep the details they were made with. A form opened before the details last
/// changed (`form.edits` out of date) is refused. Answers with the contact's `edits` after.
pub async fn update(bus: &Bus, actor: &Actor, id: &str, form: &ContactForm) -> Result<i64, ContactError> {
    let (name, email, phone) = checked(form)?;
    let mut tx = bus.db().begin_write().await?;
    let old = locked_details(&mut tx, id).await?;
    let unchanged = old.name == name && old.email == email && old.phone == phone;
    if unchanged {
        return Ok(old.edits);
    }
    if form.edits.is_some_and(|seen| seen != old.edits) {
        return Err(ContactError::ChangedMeanwhile);
    }
    let updated = sqlx::query(
        "UPDATE contacts SET name = $1, email = $2, phone = $3, updated_at = $4, edits = edits + 1 \
         WHERE id = $5",
    )
    .bind(&name)
    .bind(&email)
    .bind(&phone)
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut *tx)
    .await;
    match updated {
        Err(e) if db::is_unique_violation(&e) => return Err(ContactError::EmailTaken),
        other => other?,
    };
    let entity = if old.email == email { email.clone() } else { format!("{} → {email}", old.email) };
    crate::audit::service::record(&mut tx, actor, "contact.updated", &entity).await?;
    let event = Event::ContactUpdated(ContactUpdated {
        contact_id: id.to_string(),
        name,
        email,
        previous_email: old.email,
        phone,
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(old.edits + 1)
}

/// An account's name or email changed, from `old` to `new` (each `(name, email)`): the
/// person's contact follows, so their sign-ups, hours and newsletter subscription stay one
/// record with the account's details. The contact with the old email takes the new one, unless
/// a contact already has it (an organiser can merge the two) or none has the old one. The
/// contact with the account's email takes the new name while it still has the old one: a name
/// an organiser gave it stays. Publishes one `contact.updated` and writes it to the admin audit
/// log, as an organiser's edit would, in the account change's transaction.
pub async fn follow_account(
    tx: &mut Tx,
    actor: &Actor,
    old: (&str, &str),
    new: (&str, &str),
) -> Result<(), sqlx::Error> {
    let ((old_name, old_email), (new_name, new_email)) = (old, new);
    let mut moved = None;
    if old_email != new_email {
        // On PostgreSQL another transaction may give a contact the new email while this one
        // runs: the statement then fails on the unique email, alone in its savepoint, and the
        // account change goes on with the two contacts left for Merge.
        let mut attempt = sqlx::Acquire::begin(&mut **tx).await?;
        let updated = sqlx::query_scalar::<_, String>(
            "UPDATE contacts SET email = $1, updated_at = $2, edits = edits + 1 \
             WHERE email = $3 AND erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM contacts WHERE email = $1) \
             RETURNING id",
        )
        .bind(new_email)
        .bind(db::now_unix())
        .bind(old_email)
        .fetch_optional(&mut *attempt)
        .await;
        moved = match updated {
            Err(e) if db::is_unique_violation(&e) => {
                attempt.rollback().await?;
                None
            }
            other => {
                let id = other?;
                attempt.commit().await?;
                id
            }
        };
    }
    let mut renamed = None;
    if old_name != new_name {
        renamed = sqlx::query_scalar::<_, String>(
            "UPDATE contacts SET name = $1, updated_at = $2, edits = edits + 1 \
             WHERE email = $3 AND name = $4 AND erased_at IS NULL RETURNING id",
        )
        .bind(new_name)
        .bind(db::now_unix())
        .bind(new_email)
        .bind(old_name)
        .fetch_optional(&mut **tx)
        .await?;
    }
    let email_moved = moved.is_some();
    // Both name the same contact when both happened: the one that now has the new email.
    let Some(id) = renamed.or(moved) else { return Ok(()) };
    let row = sqlx::query("SELECT name, email, phone FROM contacts WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut **tx)
        .await?;
    let email: String = row.try_get("email")?;
    let (detail, previous_email) = match email_moved {
        true => (format!("{old_email} → {email}"), old_email.to_string()),
        false => (email.clone(), email.clone()),
    };
    crate::audit::service::record(tx, actor, "contact.updated", &detail).await?;
    let event = Event::ContactUpdated(ContactUpdated {
        contact_id: id,
        name: row.try_get("name")?,
        email,
        previous_email,
        phone: row.try_get("phone")?,
    });
    bus::publish(tx, actor, &event).await?;
    Ok(())
}

/// What an unsubscribe link's signature is made for, so no other signed link can stand in.
const UNSUBSCRIBE_LINK: &str = "contact-unsubscribe";

/// The token of contact `id`'s unsubscribe link: their id and its signature with the
/// instance's key, so it needs no storage, never expires, and cannot be made for anyone else.
pub fn unsubscribe_token(key: &SecretKey, id: &str) -> String {
    format!("{id}.{}", key.sign(UNSUBSCRIBE_LINK, id))
}

/// The contact an unsubscribe token names, if its signature holds.
fn unsubscribe_token_contact<'a>(key: &SecretKey, token: &'a str) -> Option<&'a str> {
    let (id, signature) = token.split_once('.')?;
    key.verify(UNSUBSCRIBE_LINK, id, signature).then_some(id)
}

/// "r•••@example.org": enough for someone to know the address is theirs.
pub fn email_hint(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
        None => "•••".to_string(),
    }
}

/// Whose an unsubscribe link is and whether they already left; `NotFound` for a link that
/// is not one of ours or whose contact is gone.
pub async fn unsubscribe_status(
    db: &Db,
    key: &SecretKey,
    token: &str,
) -> Result<UnsubscribeStatus, ContactError> {
    let id = unsubscribe_token_contact(key, token).ok_or(ContactError::NotFound)?;
    let row = sqlx::query("SELECT email, unsubscribed_at FROM contacts WHERE id = $1 AND erased_at IS NULL")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(ContactError::NotFound)?;
    Ok(UnsubscribeStatus {
        email_hint: email_hint(&row.try_get::<String, _>("email")?),
        organisation: crate::settings::organisation_name(db).await?,
        unsubscribed: row.try_get::<Option<i64>, _>("unsubscribed_at")?.is_some(),
    })
}

/// Marks the contact an unsubscribe link names as not wanting bulk email (`leave`), or as
/// wanting it again (someone who unsubscribed by mistake, with the same link). Leaving
/// publishes `contact.unsubscribed` (the newsletter then unsubscribes them too) and keeps its
/// first time, coming back publishes `contact.resubscribed`; pressing either twice changes
/// nothing. The newsletter does not act on coming back: there they subscribe again themselves.
pub async fn set_unsubscribed(
    bus: &Bus,
    key: &SecretKey,
    token: &str,
    leave: bool,
) -> Result<(), ContactError> {
    let id = unsubscribe_token_contact(key, token).ok_or(ContactError::NotFound)?;
    let mut tx = bus.db().begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT email, unsubscribed_at FROM contacts WHERE id = $1 AND erased_at IS NULL{}",
        db::for_update(&mut tx)
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ContactError::NotFound)?;
    let email: String = row.try_get("email")?;
    let unsubscribed = row.try_get::<Option<i64>, _>("unsubscribed_at")?.is_some();
    if leave && !unsubscribed {
        mark_unsubscribed(&mut tx, &Actor::System, id, &email, "LINK").await?;
    } else if !leave && unsubscribed {
        sqlx::query("UPDATE contacts SET unsubscribed_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let event = Event::ContactResubscribed(ContactResubscribed { contact_id: id.to_string(), email });
        bus::publish(&mut tx, &Actor::System, &event).await?;
    }
    bus.commit(tx).await?;
    Ok(())
}

/// Marks contact `id` (whose email is `email`) as wanting no more bulk email and publishes
/// `contact.unsubscribed`; for a contact who has not unsubscribed yet.
pub async fn mark_unsubscribed(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    email: &str,
    source: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE contacts SET unsubscribed_at = $1 WHERE id = $2")
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let event = Event::ContactUnsubscribed(ContactUnsubscribed {
        contact_id: id.to_string(),
        email: email.to_string(),
        source: source.to_string(),
    });
    bus::publish(tx, actor, &event).await.map(|_| ())
}

/// The emails of the contacts with `tag` who have not unsubscribed, in order.
pub async fn emails_tagged(db: &Db, tag: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.email FROM contacts c JOIN contact_tags t ON t.contact_id = c.id \
         WHERE t.tag = $1 AND c.unsubscribed_at IS NULL ORDER BY c.email",
    )
    .bind(tag)
    .fetch_all(db.pool())
    .await
}

/// The most tags `tags_in_use` answers with: suggestions, not a report.
const TAGS_IN_USE_MAX: i64 = 500;

/// The tags contacts hold, by name, each with how many hold it (the first `TAGS_IN_USE_MAX`).
pub async fn tags_in_use(db: &Db) -> Result<Vec<super::TagInUse>, ContactError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT tag, COUNT(*) FROM contact_tags GROUP BY tag ORDER BY tag LIMIT {TAGS_IN_USE_MAX}"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(tag, contacts)| super::TagInUse { tag, contacts }).collect())
}

/// The tags contact `id` holds, in order.
pub async fn tags_held(db: &Db, id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT tag FROM contact_tags WHERE contact_id = $1 ORDER BY tag")
        .bind(id)
        .fetch_all(db.pool())
        .await
}

pub async fn id_by_email(db: &Db, email: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM contacts WHERE email = $1")
        .bind(normalise_email(email))
        .fetch_optional(db.pool())
        .await
}

/// Every contact as CSV, newest first.
pub async fn contacts_csv(db: &Db) -> Result<String, ContactError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.erased_at IS NULL ORDER BY c.created_at DESC, c.id"
    )))
    .fetch_all(db.pool())
    .await?;
    let mut tags = by_contact(
        sqlx::query_as("SELECT contact_id, tag FROM contact_tags ORDER BY tag").fetch_all(db.pool()).await?,
    );
    let mut out =
        String::from("name,email,phone,source,tags,engagement_score,created_utc,unsubscribed_utc\n");
    for row in &rows {
        let id: String = row.try_get("id")?;
        let mine = tags.remove(&id).unwrap_or_default();
        // In UTC, as its `created_utc` column says.
        let c = contact_from_row(row, mine, Zone::UTC)?;
        let (phone, tags, score) = (c.phone.unwrap_or_default(), c.tags.join("; "), c.score.to_string());
        let unsubscribed = c.unsubscribed.unwrap_or_default();
        out.push_str(&crate::csv::row(&[
            &c.name,
            &c.email,
            &phone,
            &c.source,
            &tags,
            &score,
            &c.created,
            &unsubscribed,
        ]));
    }
    Ok(out)
}

// ---- CSV import ------------------------------------------------------------------------

/// Rows per transaction while importing: each batch is kept even if a later one fails.
const IMPORT_BATCH: usize = 100;
/// Good rows the preview shows.
const PREVIEW_ROWS: usize = 10;

/// A row that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub line: usize,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub tags: Vec<String>,
}

/// A file read and checked: the good rows, and every bad one by line.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<LineProblem>,
}

fn file_error(message: &str) -> ContactError {
    ContactError::Invalid(FieldError::only("csv", message))
}

/// Reads an import file: a header row naming `name` and `email` (any order, any case;
/// `phone` and `tags` optional, other columns ignored — our own export imports as is), then
/// one contact per row. Tags are separated by `;` or `,`. A row with a bad cell, or an email
/// already on an earlier row, is reported by its line and left out.
pub fn plan_import(text: &str) -> Result<ImportPlan, ContactError> {
    if text.len() > IMPORT_MAX_BYTES {
        return Err(file_error(&format!(
            "The file is larger than {IMPORT_MAX_TEXT}; split it and import each part."
        )));
    }
    let records = crate::csv::parse(text).map_err(|m| file_error(&m))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(file_error("The file is empty."));
    };
    let column = |name: &str| header.cells.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
    let (Some(name_at), Some(email_at)) = (column("name"), column("email")) else {
        return Err(file_error("The first row must name the columns, with at least name and email."));
    };
    let (phone_at, tags_at) = (column("phone"), column("tags"));
    if rows.is_empty() {
        return Err(file_error("The file has a header row but no contacts."));
    }
    let mut plan = ImportPlan::default();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in rows {
        let cell = |at: Option<usize>| at.and_then(|i| record.cells.get(i)).map_or("", |c| c.trim());
        let (name, email, phone) =
            (cell(Some(name_at)), normalise_email(cell(Some(email_at))), cell(phone_at));
        let mut v = Validation::new();
        check_name_and_email(&mut v, name, &email);
        check_phone(&mut v, phone);
        let mut tags = Vec::new();
        for typed in cell(tags_at).split([';', ',']).filter(|t| !t.trim().is_empty()) {
            match super::normalise_tag(typed) {
                Some(tag) if !tags.contains(&tag) => tags.push(tag),
                Some(_) => {}
                None => v.add(
                    "tags",
                    &format!(
                        "\"{}\" is not a tag: use letters, digits, spaces, - or _, at most 40.",
                        typed.trim()
                    ),
                ),
            }
        }
        let mut messages: Vec<String> = match v.finish() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.message).collect(),
        };
        if let Some(first) = seen.get(&email).filter(|_| messages.is_empty()) {
            messages.push(format!("{email} is already on line {first}."));
        }
        if messages.is_empty() {
            seen.insert(email.clone(), record.line);
            plan.rows.push(ImportRow {
                line: record.line,
                name: name.to_string(),
                email,
                phone: Some(phone.to_string()).filter(|p| !p.is_empty()),
                tags,
            });
        } else {
            plan.problems.push(LineProblem { line: record.line, message: messages.join(" ") });
        }
    }
    Ok(plan)
}

/// Of `emails`, those that already belong to a contact.
async fn existing_emails(db: &Db, emails: &[&str]) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let mut found = std::collections::HashSet::new();
    for chunk in emails.chunks(500) {
        let sql = format!("SELECT email FROM contacts WHERE email IN ({})", db::placeholders(1, chunk.len()));
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for email in chunk {
            query = query.bind(*email);
        }
        found.extend(query.fetch_all(db.pool()).await?);
    }
    Ok(found)
}

/// What importing `text` would do, changing nothing.
pub async fn preview_import(db: &Db, text: &str) -> Result<ImportPreview, ContactError> {
    let plan = plan_import(text)?;
    let emails: Vec<&str> = plan.rows.iter().map(|r| r.email.as_str()).collect();
    let existing = existing_emails(db, &emails).await?.len() as i64;
    Ok(ImportPreview {
        rows: (plan.rows.len() + plan.problems.len()) as i64,
        new_contacts: plan.rows.len() as i64 - existing,
        existing_contacts: existing,
        sample: plan
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|r| ImportRowView {
                line: r.line,
                name: r.name.clone(),
                email: r.email.clone(),
                phone: r.phone.clone().unwrap_or_default(),
                tags: r.tags.clone(),
            })
            .collect(),
        problems: plan.problems,
    })
}

/// Starts importing `text` in the background and answers with the job to follow. New
/// contacts are created (source `IMPORT`, `contact.created`); a contact already on file keeps
/// their name, gains the phone when they had none, and gains the row's tags
/// (`contact.tags.changed`). Bad rows are skipped and reported by line in the job's result.
pub async fn start_import(bus: &Bus, actor: &Actor, text: &str) -> Result<String, ContactError> {
    let plan = plan_import(text)?;
    if plan.rows.is_empty() {
        return Err(file_error("No row can be imported; see the problems the preview lists."));
    }
    let (bus_for_job, actor_for_job) = (bus.clone(), actor.clone());
    let total = plan.rows.len() as i64;
    let id =
        crate::jobs::service::spawn(bus.db(), "contact-import", total, actor, move |progress| async move {
            import_rows(&bus_for_job, &actor_for_job, plan, progress).await
        })
        .await?;
    Ok(id)
}

async fn import_rows(
    bus: &Bus,
    actor: &Actor,
    plan: ImportPlan,
    progress: Progress,
) -> Result<JobResult, sqlx::Error> {
    let (mut created, mut updated, mut done) = (0i64, 0i64, 0i64);
    for batch in plan.rows.chunks(IMPORT_BATCH) {
        let mut tx = bus.db().begin_write().await?;
        let mut events = Vec::new();
        for row in batch {
            let found =
                find_or_create(&mut tx, &row.email, &row.name, row.phone.as_deref(), "IMPORT").await?;
            match found.created {
                Some(event) => {
                    created += 1;
                    events.push(event);
                }
                None => {
                    updated += 1;
                    sqlx::query(
                        "UPDATE contacts SET phone = $1, updated_at = $2, edits = edits + 1 \
                         WHERE id = $3 AND phone IS NULL AND $1 IS NOT NULL",
                    )
                    .bind(&row.phone)
                    .bind(db::now_unix())
                    .bind(&found.id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let added = add_tags(&mut tx, &found.id, &row.tags).await?;
            if !added.is_empty() {
                events.push(Event::ContactTagsChanged(ContactTagsChanged {
                    contact_id: found.id,
                    email: row.email.clone(),
                    added,
                    removed: Vec::new(),
                }));
            }
        }
        done += batch.len() as i64;
        if done == plan.rows.len() as i64 {
            let entity = format!("{created} created, {updated} updated, {} skipped", plan.problems.len());
            crate::audit::service::record(&mut tx, actor, "contact.imported", &entity).await?;
        }
        for event in &events {
            bus::publish(&mut tx, actor, event).await?;
        }
        bus.commit(tx).await?;
        progress.set(done).await?;
    }
    let skipped = plan.problems.len() as i64;
    let mut summary = format!(
        "Imported {} and updated {}.",
        crate::ui::count(created, "new contact"),
        crate::ui::thousands(updated)
    );
    match skipped {
        0 => {}
        1 => summary.push_str(" 1 row was skipped: see its line below."),
        n => summary
            .push_str(&format!(" {} rows were skipped: see their lines below.", crate::ui::thousands(n))),
    }
    Ok(JobResult {
        summary,
        counts: vec![("created".into(), created), ("updated".into(), updated), ("skipped".into(), skipped)],
        problems: plan.problems,
    })
}
