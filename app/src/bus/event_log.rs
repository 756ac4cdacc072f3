//! The built-in "event-log" listener: records every event in a browsable table.

use sqlx::Row;

use super::{HandlerFuture, Listener};
use crate::db::{self, Db};
use crate::error::{FieldError, Validation};
use crate::events::{Envelope, Pattern, rfc3339_from_unix_ms};
use crate::observability::{EventLogFilter, EventLogPage, EventLogRow};
use crate::time_zone::Zone;

pub const NAME: &str = "event-log";
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("invalid event log filter")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub fn listener(db: Db) -> Listener {
    Listener::batched(NAME, &["*"], move |events| -> HandlerFuture {
        let db = db.clone();
        Box::pin(async move { record(&db, &events).await.map_err(|e| e.to_string()) })
    })
}

/// One statement for the whole batch, not synced to disk: the outbox has the events, and a
/// second delivery adds nothing. Each payload is read from the outbox in the statement that
/// copies it, under `COPIES_LOCK`: the envelopes in hand may predate an erasure of someone
/// they name.
async fn record(db: &Db, events: &[Envelope]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    // `column1`, `column2` are the VALUES list's columns: each event's seq and its time as text.
    let sql = format!(
        "INSERT INTO event_log (seq, id, topic, actor, occurred_at, payload) \
         SELECT o.seq, o.id, o.topic, o.actor, v.column2, o.payload \
         FROM (VALUES {}) AS v, event_outbox o WHERE o.seq = v.column1 \
         ON CONFLICT (id) DO NOTHING",
        db::value_rows(1, events.len(), 2)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for e in events {
        query = query.bind(e.seq).bind(&e.occurred_at);
    }
    let mut tx = db.begin_write_without_sync().await?;
    db::lock_key_shared(&mut tx, super::COPIES_LOCK).await?;
    query.execute(&mut *tx).await?;
    tx.commit().await
}

/// A filter once checked: its topic pattern, and its first and last days (days since the epoch).
#[derive(Debug)]
struct CheckedFilter {
    pattern: Option<Pattern>,
    from: Option<i64>,
    to: Option<i64>,
}

/// The filter as the query uses it, or what is wrong with it, field by field.
fn check_filter(filter: &EventLogFilter) -> Result<CheckedFilter, Vec<FieldError>> {
    let mut v = Validation::new();
    let topic = filter.topic.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let pattern = topic.and_then(Pattern::parse);
    v.check(
        topic.is_none() || pattern.is_some(),
        "topic",
        "Enter a topic such as shift.created, or a pattern such as shift.*",
    );
    let (from, to) = crate::time::period(&mut v, &filter.from, &filter.to);
    v.finish()?;
    Ok(CheckedFilter { pattern, from, to })
}

/// One page of the log, newest first, filtered by topic pattern, actor and the organisation's
/// days (RFC 3339 text compares in time order).
pub async fn page(db: &Db, filter: &EventLogFilter) -> Result<EventLogPage, EventLogError> {
    let CheckedFilter { pattern, from, to } = check_filter(filter).map_err(EventLogError::Invalid)?;
    let zone = crate::settings::time_zone(db).await?;
    let mut sql =
        String::from("SELECT seq, id, topic, actor, occurred_at, payload FROM event_log WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(pattern) = pattern {
        match pattern.as_str().strip_suffix('*') {
            Some("") => {}
            Some(prefix) => {
                binds.push(prefix.to_string());
                sql.push_str(&format!(" AND substr(topic, 1, length(${0})) = ${0}", binds.len()));
            }
            None => {
                binds.push(pattern.as_str().to_string());
                sql.push_str(&format!(" AND topic = ${}", binds.len()));
            }
        }
    }
    if let Some(actor) = filter.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        binds.push(actor.to_string());
        sql.push_str(&format!(" AND actor = ${}", binds.len()));
    }
    let (from, to) = zone.days(from, to);
    if let Some(from) = from {
        binds.push(rfc3339_from_unix_ms(from * 1000));
        sql.push_str(&format!(" AND occurred_at >= ${}", binds.len()));
    }
    if let Some(to) = to {
        binds.push(rfc3339_from_unix_ms(to * 1000));
        sql.push_str(&format!(" AND occurred_at < ${}", binds.len()));
    }
    sql.push_str(" ORDER BY seq DESC");
    let (rows, page, has_more) = db::fetch_page(db, &sql, &binds, filter.page, PAGE_SIZE).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let occurred_at: String = r.try_get("occurred_at")?;
            Ok(EventLogRow {
                seq: r.try_get("seq")?,
                id: r.try_get("id")?,
                topic: r.try_get("topic")?,
                actor: r.try_get("actor")?,
                actor_name: String::new(),
                when: local_stamp(zone, &occurred_at),
                occurred_at,
                payload: r.try_get("payload")?,
            })
        })
        .collect::<Result<Vec<EventLogRow>, sqlx::Error>>()?;
    let names =
        crate::users::service::actor_names(db, rows.iter().map(|r| r.actor.clone()).collect()).await?;
    let rows = rows.into_iter().map(|r| EventLogRow { actor_name: names[&r.actor].clone(), ..r }).collect();
    Ok(EventLogPage { rows, page, has_more })
}

/// An event's RFC 3339 time in `zone`; the text as it is if it does not parse.
fn local_stamp(zone: Zone, occurred_at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(occurred_at)
        .map(|at| zone.stamp(at.timestamp()))
        .unwrap_or_else(|_| occurred_at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_field_by_field() {
        let ok = EventLogFilter {
            topic: Some("shift.*".into()),
            from: Some("2026-11-01".into()),
            to: Some("".into()),
            ..Default::default()
        };
        assert!(check_filter(&ok).is_ok());
        let bad = EventLogFilter {
            topic: Some("Shift created".into()),
            from: Some("2026-13-01".into()),
            to: Some("yesterday".into()),
            ..Default::default()
        };
        let fields: Vec<_> = check_filter(&bad).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["topic", "from", "to"]);
        let reversed = EventLogFilter {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        };
        let errors = check_filter(&reversed).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("to", "The end date is before the start date.")
        );
        let impossible = EventLogFilter { from: Some("2026-02-31".into()), ..Default::default() };
        assert_eq!(check_filter(&impossible).unwrap_err().len(), 1);
    }
}
