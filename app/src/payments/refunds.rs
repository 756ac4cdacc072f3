//! Refunds and disputes on paid records, donations, orders and ticket orders alike (ssr
//! only); a ticket follows its order's payment (`follow`). An admin's
//! refund calls Stripe first, then records it; if recording fails, Stripe's `charge.refunded`
//! webhook records it later through the same `record_refund`, so no refund is left unrecorded.

use sqlx::Row;

use super::service::{AuditEntry, PaymentError, RequestInfo, audit, load_settings};
use crate::bus;
use crate::db::{self, Tx};
use crate::error::Validation;
use crate::events::catalog::PaymentRefunded;
use crate::events::{Actor, Event};
use crate::state::AppState;

/// A donation, an order or a ticket order, as refunds and disputes see it.
pub(super) struct PaidRecord {
    /// `donation`, `order` or `ticket`.
    pub kind: &'static str,
    pub id: String,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub status: String,
    pub contact_id: Option<String>,
    pub stripe_payment: Option<String>,
}

impl PaidRecord {
    pub fn table(&self) -> &'static str {
        KINDS.iter().find(|(kind, _)| *kind == self.kind).map_or("orders", |(_, table)| table)
    }

    pub fn entity(&self) -> String {
        format!("{} {}", self.kind, self.id)
    }
}

const KINDS: [(&str, &str); 3] =
    [("donation", "donations"), ("order", "orders"), ("ticket", "ticket_orders")];

/// The record `column` = `value` names, locked until the transaction ends.
async fn find_by(tx: &mut Tx, column: &str, value: &str) -> Result<Option<PaidRecord>, sqlx::Error> {
    for (kind, table) in KINDS {
        let sql = format!(
            "SELECT id, amount_cents, refunded_cents, currency, status, contact_id, stripe_payment FROM {table} \
             WHERE {column} = $1{}",
            db::for_update(tx)
        );
        if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&mut **tx).await?
        {
            return Ok(Some(PaidRecord {
                kind,
                id: row.try_get("id")?,
                amount_cents: row.try_get("amount_cents")?,
                refunded_cents: row.try_get("refunded_cents")?,
                currency: row.try_get("currency")?,
                status: row.try_get("status")?,
                contact_id: row.try_get("contact_id")?,
                stripe_payment: row.try_get("stripe_payment")?,
            }));
        }
    }
    Ok(None)
}

/// The record paid by Stripe payment `payment_intent`.
pub(super) async fn find_by_payment(
    tx: &mut Tx,
    payment_intent: &str,
) -> Result<Option<PaidRecord>, sqlx::Error> {
    find_by(tx, "stripe_payment", payment_intent).await
}

/// Raises the refunded total of `record` to `total_cents` (never lowers it: Stripe's totals
/// only grow, and deliveries may come late or twice) and sets REFUNDED or PARTIALLY_REFUNDED.
/// Returns the events to publish (`payment.refunded`, and what a ticket's following brings)
/// when something changed, else none.
pub(super) async fn record_refund(
    tx: &mut Tx,
    record: &PaidRecord,
    total_cents: i64,
) -> Result<Vec<Event>, sqlx::Error> {
    let total = total_cents.min(record.amount_cents);
    if total <= record.refunded_cents {
        return Ok(Vec::new());
    }
    let status = if total >= record.amount_cents { "REFUNDED" } else { "PARTIALLY_REFUNDED" };
    // A disputed payment keeps its dispute status; the refund is still counted.
    let sql = format!(
        "UPDATE {} SET refunded_cents = $1, status = CASE WHEN status IN ('DISPUTED', 'LOST') THEN status ELSE $2 END, \
         updated_at = $3 WHERE id = $4",
        record.table()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(total)
        .bind(status)
        .bind(db::now_unix())
        .bind(&record.id)
        .execute(&mut **tx)
        .await?;
    let mut events = vec![Event::PaymentRefunded(PaymentRefunded {
        payment_id: record.id.clone(),
        kind: record.kind.to_string(),
        contact_id: record.contact_id.clone(),
        amount_cents: total - record.refunded_cents,
        currency: record.currency.clone(),
    })];
    events.extend(follow(tx, record).await?);
    Ok(events)
}

/// After a record's payment changed: a ticket order's ticket follows it (suspended while
/// disputed, cancelled when refunded in full or lost). Answers with the events to publish.
pub(super) async fn follow(tx: &mut Tx, record: &PaidRecord) -> Result<Vec<Event>, sqlx::Error> {
    if record.kind != "ticket" {
        return Ok(Vec::new());
    }
    crate::ticketed_events::service::follow_payment(tx, &record.id).await
}

/// An admin's refund of `amount` dollars (empty: all that is left) of a paid donation, order
/// or ticket: Stripe first, then the record. Answers with the new refunded total in cents.
pub async fn refund(
    state: &AppState,
    actor: &Actor,
    request: &RequestInfo,
    kind: &str,
    id: &str,
    amount: &str,
) -> Result<i64, PaymentError> {
    let (bus, db) = (&state.bus, &state.db);
    let record = {
        let mut read = db.pool().begin().await?;
        find_by(&mut read, "id", id).await?
    };
    let record = record.filter(|r| r.kind == kind).ok_or(PaymentError::NotFound)?;
    let left = record.amount_cents - record.refunded_cents;
    let wanted = if amount.trim().is_empty() { Ok(left) } else { super::parse_refund_cents(amount) };
    let mut v = Validation::new();
    v.check(
        matches!(record.status.as_str(), "PAID" | "PARTIALLY_REFUNDED") && record.stripe_payment.is_some(),
        "amount",
        "Only a paid payment can be refunded.",
    );
    v.check(
        matches!(wanted, Ok(cents) if cents >= 1 && cents <= left),
        "amount",
        &format!(
            "Enter an amount up to {} (what is left to refund), or leave it empty for all of it.",
            super::format_cents(left)
        ),
    );
    v.finish().map_err(PaymentError::Invalid)?;
    let (Ok(cents), Some(payment)) = (wanted, record.stripe_payment.clone()) else {
        return Err(PaymentError::Invalid(Vec::new()));
    };
    let refunded_cents = record.refunded_cents;

    let stored = load_settings(db, &state.secret_key).await?;
    let stripe = stored.stripe(&state.stripe_api_base).ok_or(PaymentError::NotConfigured)?;
    // The key names this exact refund step: a retried request cannot refund twice.
    let idempotency_key = format!("refund-{id}-{refunded_cents}-{cents}");
    let form = vec![
        ("payment_intent".to_string(), payment),
        ("amount".to_string(), cents.to_string()),
        (format!("metadata[{kind}_id]"), id.to_string()),
    ];
    stripe.post("refunds", &idempotency_key, &form).await?;

    // Stripe has refunded: if recording it fails now, `charge.refunded` records it later.
    let recorded = async {
        let mut tx = db.begin_write().await?;
        let record = find_by(&mut tx, "id", id).await?.ok_or(sqlx::Error::RowNotFound)?;
        let events = record_refund(&mut tx, &record, refunded_cents + cents).await?;
        let entry = AuditEntry {
            action: "refund",
            entity: &record.entity(),
            amount_cents: Some(cents),
            outcome: if events.is_empty() { "already recorded" } else { "refunded" },
            detail: "",
        };
        audit(&mut tx, actor, request, &entry).await?;
        for event in &events {
            bus::publish(&mut tx, actor, event).await?;
        }
        bus.commit(tx).await
    };
    if let Err(e) = recorded.await {
        tracing::error!(%kind, %id, error = %e, "Stripe refunded but the refund could not be recorded yet");
        return Err(PaymentError::RefundNotRecorded);
    }
    Ok(refunded_cents + cents)
}

/// A dispute opened on a paid record: DISPUTED (refunds so far stay counted).
pub(super) async fn dispute_opened(tx: &mut Tx, record: &PaidRecord) -> Result<(), sqlx::Error> {
    set_status(tx, record, "DISPUTED").await
}

/// A dispute closed: won → paid again (or partly refunded, as before it); lost → LOST;
/// closed because the charge was refunded → REFUNDED, all of it.
pub(super) async fn dispute_closed(
    tx: &mut Tx,
    record: &PaidRecord,
    outcome: &str,
) -> Result<&'static str, sqlx::Error> {
    let status = match outcome {
        "won" if record.refunded_cents > 0 => "PARTIALLY_REFUNDED",
        "won" => "PAID",
        "charge_refunded" => {
            let sql = format!("UPDATE {} SET refunded_cents = amount_cents WHERE id = $1", record.table());
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&record.id).execute(&mut **tx).await?;
            "REFUNDED"
        }
        _ => "LOST",
    };
    set_status(tx, record, status).await?;
    Ok(status)
}

async fn set_status(tx: &mut Tx, record: &PaidRecord, status: &str) -> Result<(), sqlx::Error> {
    let sql = format!("UPDATE {} SET status = $1, updated_at = $2 WHERE id = $3", record.table());
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(db::now_unix())
        .bind(&record.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A cancelled event's paid tickets still to refund, for the payments page.
pub async fn cancelled_events_to_refund(
    db: &crate::db::Db,
) -> Result<Vec<super::EventToRefund>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.id, e.title, COUNT(*) AS tickets, \
         CAST(SUM(o.amount_cents - o.refunded_cents) AS BIGINT) AS amount_cents FROM ticket_orders o \
         JOIN ticket_tiers t ON t.id = o.tier_id JOIN ticketed_events e ON e.id = t.event_id \
         WHERE e.status = 'CANCELLED' AND o.status IN ('PAID', 'PARTIALLY_REFUNDED') \
         GROUP BY e.id, e.title, e.starts_at ORDER BY e.starts_at DESC, e.id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(super::EventToRefund {
                event_id: r.try_get("id")?,
                title: r.try_get("title")?,
                tickets: r.try_get("tickets")?,
                amount_cents: r.try_get("amount_cents")?,
            })
        })
        .collect()
}

/// Refunds in full every paid ticket of cancelled event `event_id`, one after another in the
/// background (each as an admin's refund: Stripe first, then the record, which cancels the
/// ticket); answers with the job's id. A refund Stripe refuses is reported, and the rest go on.
pub async fn refund_cancelled_event(
    state: &AppState,
    actor: &Actor,
    request: &RequestInfo,
    event_id: &str,
) -> Result<String, PaymentError> {
    let problem = |message: &str| PaymentError::Invalid(crate::error::FieldError::only("event_id", message));
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM ticketed_events WHERE id = $1")
        .bind(event_id)
        .fetch_optional(state.db.pool())
        .await?;
    match status.as_deref() {
        None => return Err(PaymentError::NotFound),
        Some("CANCELLED") => {}
        Some(_) => return Err(problem("Only a cancelled event's tickets are refunded all at once.")),
    }
    load_settings(&state.db, &state.secret_key)
        .await?
        .stripe(&state.stripe_api_base)
        .ok_or(PaymentError::NotConfigured)?;
    let orders: Vec<(String, String)> = sqlx::query_as(
        "SELECT o.id, o.email FROM ticket_orders o JOIN ticket_tiers t ON t.id = o.tier_id \
         WHERE t.event_id = $1 AND o.status IN ('PAID', 'PARTIALLY_REFUNDED') ORDER BY o.created_at, o.id",
    )
    .bind(event_id)
    .fetch_all(state.db.pool())
    .await?;
    if orders.is_empty() {
        return Err(problem("No paid ticket of this event is left to refund."));
    }
    let (state_for_job, actor_for_job, request) = (state.clone(), actor.clone(), request.clone());
    let total = orders.len() as i64;
    let id = crate::jobs::service::spawn(
        &state.db,
        crate::jobs::TICKET_REFUNDS,
        total,
        actor,
        move |progress| async move {
            let mut result = crate::jobs::JobResult::default();
            let mut refunded = 0;
            for (n, (order_id, email)) in orders.iter().enumerate() {
                match refund(&state_for_job, &actor_for_job, &request, "ticket", order_id, "").await {
                    Ok(_) => refunded += 1,
                    Err(PaymentError::Database(e)) => return Err(e),
                    Err(e) => result.problems.push(crate::jobs::LineProblem {
                        line: n + 1,
                        message: format!("{email}: {}", crate::error::AppError::from(e)),
                    }),
                }
                progress.set(n as i64 + 1).await?;
            }
            result.summary = format!("Refunded {}.", crate::ui::count(refunded, "paid ticket"));
            if !result.problems.is_empty() {
                result.summary.push_str(&format!(" {} could not be refunded:", result.problems.len()));
            }
            result.counts =
                vec![("refunded".into(), refunded), ("failed".into(), result.problems.len() as i64)];
            Ok(result)
        },
    )
    .await?;
    Ok(id)
}
