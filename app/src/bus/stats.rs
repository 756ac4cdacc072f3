//! Bus statistics for the JSON endpoint and the admin page, and replay of dead deliveries.

use sqlx::Row;

use super::{Bus, listener, outbox};
use crate::events::{Actor, rfc3339_from_unix_ms};
use crate::observability::{BusStats, ListenerStat, TopicStat};

/// How many dead deliveries the overview lists.
const DEAD_SHOWN: i64 = 100;

pub async fn stats(bus: &Bus) -> Result<BusStats, sqlx::Error> {
    let db = bus.db();
    let head_seq = outbox::head(db).await?;
    let zone = crate::settings::time_zone(db).await?;
    let rows =
        sqlx::query("SELECT topic, published, last_published_at FROM event_topic_stats ORDER BY topic")
            .fetch_all(db.pool())
            .await?;
    let topics = rows
        .iter()
        .map(|r| {
            let at: i64 = r.try_get("last_published_at")?;
            Ok(TopicStat {
                topic: r.try_get("topic")?,
                published: r.try_get("published")?,
                last_published_at: rfc3339_from_unix_ms(at),
                last_published: zone.stamp(at.div_euclid(1000)),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut listeners = Vec::new();
    for l in bus.listeners() {
        let c = listener::counters(db, l.name).await?;
        let (p50, p99) = bus.latency_ms(l.name);
        listeners.push(ListenerStat {
            name: l.name.to_string(),
            subscriptions: l.patterns.iter().map(|p| p.as_str().to_string()).collect(),
            enabled: (l.enabled)().await.unwrap_or(false),
            delivered: c.delivered,
            failed: c.failed,
            retried: c.retried,
            dead: c.dead,
            skipped: c.skipped,
            lag: (head_seq - c.position).max(0),
            latency_p50_ms: p50,
            latency_p99_ms: p99,
        });
    }
    let dead = listener::dead_deliveries(db, DEAD_SHOWN, zone).await?;
    Ok(BusStats { head_seq, topics, listeners, dead })
}

/// Re-queues a dead delivery (due now) and records who did it. False when there was none.
pub async fn replay(bus: &Bus, actor: &Actor, listener_name: &str, seq: i64) -> Result<bool, sqlx::Error> {
    let mut tx = bus.db().begin_write().await?;
    let found = listener::requeue_dead(&mut tx, listener_name, seq).await?;
    if found {
        crate::audit::service::record(
            &mut tx,
            actor,
            "bus.delivery.replayed",
            &format!("{listener_name}#{seq}"),
        )
        .await?;
    }
    tx.commit().await?;
    bus.wake();
    Ok(found)
}
