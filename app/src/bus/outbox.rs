//! The outbox table: events are written here inside the publisher's transaction and read
//! back in `seq` order by the dispatcher, the listeners and the live stream.

use sqlx::Row;

use crate::db::{self, Db, Tx};
use crate::events::{Actor, Envelope, Event, rfc3339_from_unix_ms};

/// Writes `event` to the outbox inside the caller's transaction (a trigger counts it in the
/// per-topic statistics). If the transaction rolls back, the event never existed. Returns
/// the event's `seq`.
///
/// PostgreSQL: the same single statement first takes a transaction-scoped advisory lock, so
/// that publishers are serialised until commit and `seq` order is commit order (a reader that
/// has seen `seq` n never later finds a committed n-1), and queues a NOTIFY that wakes every
/// process at commit. SQLite serialises writers by itself.
pub async fn insert(tx: &mut Tx, actor: &Actor, event: &Event) -> Result<i64, sqlx::Error> {
    let seqs = insert_all(tx, &[(actor, event)]).await?;
    seqs.first().copied().ok_or(sqlx::Error::RowNotFound)
}

/// Events in one statement per hundred, in the order given (see `insert`). Returns their
/// `seq`s in that order.
pub async fn insert_all(tx: &mut Tx, events: &[(&Actor, &Event)]) -> Result<Vec<i64>, sqlx::Error> {
    let mut seqs = Vec::with_capacity(events.len());
    let now = db::now_unix_ms();
    for chunk in events.chunks(100) {
        let sql = if tx.backend_name() == "PostgreSQL" {
            // `column1`… are the VALUES list's columns; the sixth, each row's place in the
            // list, orders the insert so that `seq` follows the list.
            let rows = (0..chunk.len())
                .map(|row| format!("({}, {row})", db::placeholders(1 + row * 5, 5)))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "WITH locked AS (SELECT pg_advisory_xact_lock(727001)), \
                 inserted AS ( \
                     INSERT INTO event_outbox (id, topic, occurred_at, actor, payload) \
                     SELECT v.column1, v.column2, v.column3, v.column4, v.column5 \
                     FROM (VALUES {rows}) AS v, locked ORDER BY v.column6 RETURNING seq, id) \
                 SELECT seq, id FROM inserted, LATERAL (SELECT pg_notify('changemaker_events', '')) AS notified"
            )
        } else {
            format!(
                "INSERT INTO event_outbox (id, topic, occurred_at, actor, payload) VALUES {} RETURNING seq, id",
                db::value_rows(1, chunk.len(), 5)
            )
        };
        let mut query = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        let mut ids = Vec::with_capacity(chunk.len());
        for (actor, event) in chunk {
            let id = uuid::Uuid::new_v4().to_string();
            let payload = serde_json::to_string(&event.payload_json()).unwrap_or_else(|_| "{}".to_string());
            query =
                query.bind(id.clone()).bind(event.topic()).bind(now).bind(actor.to_string()).bind(payload);
            ids.push(id);
        }
        let inserted: std::collections::HashMap<String, i64> =
            query.fetch_all(&mut **tx).await?.into_iter().map(|(seq, id)| (id, seq)).collect();
        for id in ids {
            seqs.push(inserted.get(&id).copied().ok_or(sqlx::Error::RowNotFound)?);
        }
    }
    Ok(seqs)
}

const COLUMNS: &str = "seq, id, topic, occurred_at, actor, payload";

fn envelope_from_row(row: &sqlx::any::AnyRow) -> Result<Envelope, sqlx::Error> {
    let actor: String = row.try_get("actor")?;
    let payload: String = row.try_get("payload")?;
    Ok(Envelope {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        topic: row.try_get("topic")?,
        occurred_at: rfc3339_from_unix_ms(row.try_get("occurred_at")?),
        actor: Actor::parse(&actor).unwrap_or(Actor::System),
        payload: serde_json::from_str(&payload).unwrap_or_default(),
    })
}

/// Up to `limit` events after `seq`, oldest first.
pub async fn read_after(db: &Db, seq: i64, limit: i64) -> Result<Vec<Envelope>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM event_outbox WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(envelope_from_row).collect()
}

pub async fn read_one(db: &Db, seq: i64) -> Result<Option<Envelope>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM event_outbox WHERE seq = $1")))
        .bind(seq)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(envelope_from_row).transpose()
}

/// The newest `seq` (0 when the outbox is empty).
pub async fn head(db: &Db) -> Result<i64, sqlx::Error> {
    let head: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM event_outbox").fetch_one(db.pool()).await?;
    Ok(head.unwrap_or(0))
}

/// Deletes events older than `older_than_ms` that every durable listener has passed and
/// none still has a retry or dead delivery for. Returns how many went.
pub async fn prune(db: &Db, older_than_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM event_outbox WHERE occurred_at < $1 \
         AND seq <= (SELECT COALESCE(MIN(position), 0) FROM bus_listeners) \
         AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.seq = event_outbox.seq)",
    )
    .bind(older_than_ms)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}
