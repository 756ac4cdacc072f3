//! The `live-stats` listener (SPEC §3 "live stats", ssr only): counts what the movement does
//! for the public home page — volunteer sign-ups, emails to representatives, donations,
//! tickets — and keeps the latest of each kind, worded without anyone's name.
//!
//! Each counted event leaves a row in `live_items` keyed by its id, and the counter grows only
//! when that row is new, so a second delivery counts nothing. Rows older than
//! `ITEMS_KEPT_DAYS` are pruned, except each kind's latest `LATEST_PER_KIND`: far beyond the
//! bus's own retention, so an event can no longer come back by then.

use sqlx::Row;

use super::{Counter, LatestItem, LiveStats};
use crate::bus::{HandlerFuture, Listener};
use crate::db::{Db, Tx};
use crate::events::{Envelope, Event};

pub const NAME: &str = "live-stats";

pub const TOPICS: &[&str] =
    &["shift.signup.created", "campaign.email.sent", "donation.completed", "ticket.purchased"];

/// Latest items kept for each kind.
pub const LATEST_PER_KIND: i64 = 20;
const ITEMS_KEPT_DAYS: i64 = 90;

/// The kinds counted, in the order the home page shows them, with what a count is called.
const KINDS: [(&str, &str, &str); 4] = [
    ("SIGNUP", "volunteer sign-up", "volunteer sign-ups"),
    ("CAMPAIGN_EMAIL", "email to a representative", "emails to representatives"),
    ("DONATION", "donation", "donations"),
    ("TICKET", "ticket taken", "tickets taken"),
];

pub fn listener(db: Db) -> Listener {
    Listener::batched(NAME, TOPICS, move |events| -> HandlerFuture {
        let db = db.clone();
        Box::pin(async move { count_all(&db, &events).await })
    })
}

/// What an event adds: its kind, how many, and how the public reads it. A sign-up for the
/// waitlist is not counted (its promotion is), nor one moved from another shift (the person
/// was counted there); a private shift is not named.
async fn counted(tx: &mut Tx, event: &Event) -> Result<Option<(&'static str, i64, String)>, sqlx::Error> {
    Ok(Some(match event {
        Event::ShiftSignupCreated(e) if !e.waitlisted && e.moved_from.is_none() => {
            let public: Option<i64> = sqlx::query_scalar("SELECT is_public FROM shifts WHERE id = $1")
                .bind(&e.shift_id)
                .fetch_optional(&mut **tx)
                .await?;
            let text = match public {
                Some(1) => format!("Someone signed up for {}", e.shift_title),
                _ => "Someone signed up for a shift".to_string(),
            };
            ("SIGNUP", 1, text)
        }
        Event::CampaignEmailSent(e) => {
            ("CAMPAIGN_EMAIL", 1, format!("Someone wrote to their representative about {}", e.campaign_title))
        }
        Event::DonationCompleted(e) => {
            let text = if e.recurring { "Someone became a monthly donor" } else { "Someone made a donation" };
            ("DONATION", 1, text.to_string())
        }
        Event::TicketPurchased(e) => {
            ("TICKET", e.quantity, format!("Someone got a ticket for {}", e.event_title))
        }
        _ => return Ok(None),
    }))
}

async fn count_all(db: &Db, envelopes: &[Envelope]) -> Result<(), String> {
    let mut events = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        events.push((
            envelope,
            envelope.event().map_err(|e| format!("cannot read event {}: {e}", envelope.id))?,
        ));
    }
    // Not synced to disk: the outbox has the events, and a second delivery counts nothing.
    let written = async {
        let mut tx = db.begin_write_without_sync().await?;
        let mut touched: Vec<&str> = Vec::new();
        for (envelope, event) in &events {
            let Some((kind, amount, text)) = counted(&mut tx, event).await? else { continue };
            let occurred_at =
                crate::time::unix_from_rfc3339(&envelope.occurred_at).unwrap_or_else(crate::db::now_unix);
            let new = sqlx::query(
                "INSERT INTO live_items (event_id, kind, text, occurred_at, seq) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(&envelope.id)
            .bind(kind)
            .bind(&text)
            .bind(occurred_at)
            .bind(envelope.seq)
            .execute(&mut *tx)
            .await?;
            if new.rows_affected() == 1 {
                sqlx::query(
                    "INSERT INTO live_counters (kind, value) VALUES ($1, $2) \
                     ON CONFLICT (kind) DO UPDATE SET value = live_counters.value + excluded.value",
                )
                .bind(kind)
                .bind(amount)
                .execute(&mut *tx)
                .await?;
                if !touched.contains(&kind) {
                    touched.push(kind);
                }
            }
        }
        let cutoff = crate::db::now_unix() - ITEMS_KEPT_DAYS * 86_400;
        for kind in touched {
            sqlx::query(
                "DELETE FROM live_items WHERE kind = $1 AND occurred_at < $2 AND event_id NOT IN \
                 (SELECT event_id FROM live_items WHERE kind = $1 ORDER BY occurred_at DESC, seq DESC LIMIT $3)",
            )
            .bind(kind)
            .bind(cutoff)
            .bind(LATEST_PER_KIND)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    };
    written.await.map_err(|e: sqlx::Error| e.to_string())
}

/// The counters (every kind, 0 until something happens) and the `latest` newest items of
/// any kind, their age as at `now`.
pub async fn read(db: &Db, latest: usize, now: i64) -> Result<LiveStats, sqlx::Error> {
    let values: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, value FROM live_counters").fetch_all(db.pool()).await?;
    let counters = KINDS
        .iter()
        .map(|(kind, one, many)| {
            let value = values.iter().find(|(k, _)| k == kind).map_or(0, |(_, v)| *v);
            Counter { value, label: if value == 1 { one } else { many }.to_string() }
        })
        .collect();
    let rows =
        sqlx::query("SELECT text, occurred_at FROM live_items ORDER BY occurred_at DESC, seq DESC LIMIT $1")
            .bind(latest as i64)
            .fetch_all(db.pool())
            .await?;
    let latest = rows
        .iter()
        .map(|r| {
            Ok(LatestItem { text: r.try_get("text")?, ago: ago(now - r.try_get::<i64, _>("occurred_at")?) })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(LiveStats { counters, latest })
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
fn ago(seconds: i64) -> String {
    let plural =
        |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    match seconds {
        ..60 => "just now".to_string(),
        60..3600 => plural(seconds / 60, "minute"),
        3600..86_400 => plural(seconds / 3600, "hour"),
        _ => plural(seconds / 86_400, "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(ago(-5), "just now");
        assert_eq!(ago(59), "just now");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(5 * 60 + 30), "5 minutes ago");
        assert_eq!(ago(3 * 3600), "3 hours ago");
        assert_eq!(ago(86_400), "1 day ago");
        assert_eq!(ago(9 * 86_400), "9 days ago");
    }
}
