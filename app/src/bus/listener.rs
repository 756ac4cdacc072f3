//! Durable delivery to one listener: its position in the outbox, a lease so that only one
//! process delivers to it at a time, retries with backoff, and dead deliveries.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use super::{Bus, Listener, outbox};
use crate::db::{self, Db, Tx};
use crate::events::{Envelope, any_matches, rfc3339_from_unix_ms};
use crate::observability::DeadDelivery;
use crate::time_zone::Zone;

const LEASE_MS: i64 = 30_000;
const BATCH: i64 = 200;

/// What happened to a batch of new events, for the counters. Events the listener is not
/// subscribed to are not counted: the position just moves past them.
#[derive(Default)]
struct BatchOutcome {
    delivered: i64,
    skipped: i64,
    /// (seq, error) of each failed delivery.
    failed: Vec<(i64, String)>,
}

/// Lifetime counters of a listener, kept in the database (shared by every process).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListenerCounters {
    pub position: i64,
    pub delivered: i64,
    pub failed: i64,
    pub retried: i64,
    pub dead: i64,
    pub skipped: i64,
}

pub(super) async fn register(db: &Db, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bus_listeners (name, position, delivered, failed, retried, dead, skipped) \
         VALUES ($1, 0, 0, 0, 0, 0, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Waits until listener `name` has passed outbox position `seq`, or `limit` has gone by:
/// for a page that refreshes when an event arrives and reads what that listener writes.
/// Answers whether it has.
pub async fn caught_up(db: &Db, name: &str, seq: i64, limit: Duration) -> Result<bool, sqlx::Error> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if counters(db, name).await?.position >= seq {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn counters(db: &Db, name: &str) -> Result<ListenerCounters, sqlx::Error> {
    let row = sqlx::query(
        "SELECT position, delivered, failed, retried, dead, skipped FROM bus_listeners WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(ListenerCounters::default()) };
    Ok(ListenerCounters {
        position: row.try_get("position")?,
        delivered: row.try_get("delivered")?,
        failed: row.try_get("failed")?,
        retried: row.try_get("retried")?,
        dead: row.try_get("dead")?,
        skipped: row.try_get("skipped")?,
    })
}

/// Deliveries a listener gave up on, waiting to be replayed.
pub async fn count_dead(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM bus_deliveries WHERE status = 'DEAD'").fetch_one(db.pool()).await
}

/// The newest `limit` dead deliveries, their times also in `zone`.
pub async fn dead_deliveries(db: &Db, limit: i64, zone: Zone) -> Result<Vec<DeadDelivery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.listener, d.seq, d.attempts, d.last_error, d.updated_at, o.topic, o.id \
         FROM bus_deliveries d JOIN event_outbox o ON o.seq = d.seq \
         WHERE d.status = 'DEAD' ORDER BY d.updated_at DESC, d.seq DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let parked_at: i64 = r.try_get("updated_at")?;
            Ok(DeadDelivery {
                listener: r.try_get("listener")?,
                seq: r.try_get("seq")?,
                topic: r.try_get("topic")?,
                event_id: r.try_get("id")?,
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                parked_at: rfc3339_from_unix_ms(parked_at),
                parked: zone.stamp(parked_at.div_euclid(1000)),
            })
        })
        .collect()
}

/// Puts a dead delivery back in the retry queue, due now. False when there was none.
pub async fn requeue_dead(tx: &mut Tx, listener: &str, seq: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bus_deliveries SET status = 'RETRYING', attempts = 1, next_attempt_at = $1, updated_at = $1 \
         WHERE listener = $2 AND seq = $3 AND status = 'DEAD'",
    )
    .bind(db::now_unix_ms())
    .bind(listener)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Bus {
    /// One listener's worker: wakes when new events arrive (or on the poll), takes the lease,
    /// delivers what is new, then what is due for retry.
    pub(super) async fn run_listener(self, l: Arc<Listener>) {
        let mut head = self.inner.head.subscribe();
        // Until when this process holds the lease (Unix ms); renewed once half of it is used,
        // not on every wake-up, so a busy bus does not write the lease on every commit.
        let mut held_until = 0;
        loop {
            let now = db::now_unix_ms();
            if now >= held_until - LEASE_MS / 2 {
                held_until = match self.claim_lease(l.name).await {
                    Ok(true) => now + LEASE_MS,
                    Ok(false) => 0,
                    Err(e) => {
                        tracing::warn!(listener = l.name, error = %e, "cannot take the listener lease");
                        0
                    }
                };
            }
            if now < held_until {
                if let Err(e) = self.deliver_new(&l).await {
                    tracing::warn!(listener = l.name, error = %e, "cannot deliver events");
                }
                if let Err(e) = self.deliver_retries(&l).await {
                    tracing::warn!(listener = l.name, error = %e, "cannot retry deliveries");
                }
            }
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(self.inner.config.poll_interval) => {},
            }
        }
    }

    /// Only one process delivers to a listener at a time; the lease lapses if it dies.
    async fn claim_lease(&self, name: &str) -> Result<bool, sqlx::Error> {
        let now = db::now_unix_ms();
        let done = sqlx::query(
            "UPDATE bus_listeners SET lease_owner = $1, lease_until = $2 \
             WHERE name = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $4)",
        )
        .bind(&self.inner.process_id)
        .bind(now + LEASE_MS)
        .bind(name)
        .bind(now)
        .execute(self.inner.db.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn deliver_new(&self, l: &Listener) -> Result<(), sqlx::Error> {
        let db = &self.inner.db;
        loop {
            let position = counters(db, l.name).await?.position;
            let batch = outbox::read_after(db, position, BATCH).await?;
            let Some(last) = batch.last().map(|e| e.seq) else { return Ok(()) };
            let mut outcomes = BatchOutcome::default();
            let mut waiting: Vec<Envelope> =
                batch.into_iter().filter(|e| any_matches(&l.patterns, &e.topic)).collect();
            // The guard is asked once a batch: it may read settings, and its answer holds
            // for events that came together.
            if !waiting.is_empty() {
                match (l.enabled)().await {
                    Ok(true) => {}
                    Ok(false) => {
                        outcomes.skipped = waiting.len() as i64;
                        waiting.clear();
                    }
                    Err(error) => {
                        tracing::error!(listener = l.name, %error, "cannot tell whether the listener is on");
                        outcomes.failed.extend(waiting.drain(..).map(|e| (e.seq, error.clone())));
                    }
                }
            }
            while !waiting.is_empty() {
                let rest = waiting.split_off(l.events_per_call.min(waiting.len()));
                let call = std::mem::replace(&mut waiting, rest);
                let seqs: Vec<i64> = call.iter().map(|e| e.seq).collect();
                let ids: Vec<String> = call.iter().map(|e| e.id.clone()).collect();
                match self.deliver(l, call).await {
                    Ok(()) => outcomes.delivered += seqs.len() as i64,
                    Err(error) => {
                        tracing::error!(listener = l.name, event_ids = ?ids, ?seqs, %error, "listener failed");
                        outcomes.failed.extend(seqs.into_iter().map(|seq| (seq, error.clone())));
                    }
                }
            }
            self.record_batch(l.name, last, outcomes).await?;
        }
    }

    /// Moves the position past a delivered batch and counts its outcomes, in one transaction
    /// with the retry entries of its failures. One write per batch rather than per event, and
    /// not waiting for the disk: if a crash loses it, the batch is delivered again, which
    /// at-least-once allows.
    async fn record_batch(&self, name: &str, last: i64, outcomes: BatchOutcome) -> Result<(), sqlx::Error> {
        let mut tx = self.inner.db.begin_write_without_sync().await?;
        sqlx::query(
            "UPDATE bus_listeners SET position = $1, delivered = delivered + $2, skipped = skipped + $3, \
             failed = failed + $4 WHERE name = $5",
        )
        .bind(last)
        .bind(outcomes.delivered)
        .bind(outcomes.skipped)
        .bind(outcomes.failed.len() as i64)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        let now = db::now_unix_ms();
        let (status, next) = match self.inner.config.retry_schedule.first() {
            Some(wait) => ("RETRYING", now + millis(*wait)),
            None => ("DEAD", now),
        };
        for (seq, error) in &outcomes.failed {
            sqlx::query(
                "INSERT INTO bus_deliveries (listener, seq, attempts, status, next_attempt_at, last_error, updated_at) \
                 VALUES ($1, $2, 1, $3, $4, $5, $6) ON CONFLICT (listener, seq) DO NOTHING",
            )
            .bind(name)
            .bind(seq)
            .bind(status)
            .bind(next)
            .bind(error)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if status == "DEAD" && !outcomes.failed.is_empty() {
            sqlx::query("UPDATE bus_listeners SET dead = dead + $1 WHERE name = $2")
                .bind(outcomes.failed.len() as i64)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    async fn deliver_retries(&self, l: &Listener) -> Result<(), sqlx::Error> {
        let db = &self.inner.db;
        let due = sqlx::query(
            "SELECT seq, attempts FROM bus_deliveries \
             WHERE listener = $1 AND status = 'RETRYING' AND next_attempt_at <= $2 ORDER BY seq LIMIT 50",
        )
        .bind(l.name)
        .bind(db::now_unix_ms())
        .fetch_all(db.pool())
        .await?;
        for row in due {
            let seq: i64 = row.try_get("seq")?;
            let attempts: i64 = row.try_get("attempts")?;
            let Some(envelope) = outbox::read_one(db, seq).await? else { continue };
            let id = envelope.id.clone();
            let delivered = match (l.enabled)().await {
                Ok(true) => self.deliver(l, vec![envelope]).await,
                Ok(false) => {
                    self.finish_retry(l.name, seq, "skipped").await?;
                    continue;
                }
                Err(error) => Err(error),
            };
            match delivered {
                Ok(()) => self.finish_retry(l.name, seq, "delivered").await?,
                Err(error) => {
                    tracing::error!(listener = l.name, event_id = %id, seq, attempt = attempts + 1, %error, "listener retry failed");
                    self.reschedule(l.name, seq, attempts + 1, &error).await?;
                }
            }
        }
        Ok(())
    }

    async fn finish_retry(&self, name: &str, seq: i64, counter: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.inner.db.begin_write().await?;
        sqlx::query("DELETE FROM bus_deliveries WHERE listener = $1 AND seq = $2")
            .bind(name)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "UPDATE bus_listeners SET retried = retried + 1, {counter} = {counter} + 1 WHERE name = $1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).execute(&mut *tx).await?;
        tx.commit().await
    }

    /// After attempt number `attempts` failed: wait for the next step of the schedule, or
    /// park the delivery as dead when the schedule is used up.
    async fn reschedule(&self, name: &str, seq: i64, attempts: i64, error: &str) -> Result<(), sqlx::Error> {
        let now = db::now_unix_ms();
        let schedule = &self.inner.config.retry_schedule;
        let next_wait = usize::try_from(attempts - 1).ok().and_then(|i| schedule.get(i));
        let mut tx = self.inner.db.begin_write().await?;
        let (status, next, dead) = match next_wait {
            Some(wait) => ("RETRYING", now + millis(*wait), ""),
            None => ("DEAD", now, ", dead = dead + 1"),
        };
        sqlx::query(
            "UPDATE bus_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, last_error = $4, updated_at = $5 \
             WHERE listener = $6 AND seq = $7",
        )
        .bind(attempts)
        .bind(status)
        .bind(next)
        .bind(error)
        .bind(now)
        .bind(name)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        let sql = format!("UPDATE bus_listeners SET retried = retried + 1{dead} WHERE name = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).execute(&mut *tx).await?;
        tx.commit().await
    }
}
