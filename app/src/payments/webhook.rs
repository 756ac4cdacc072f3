//! Stripe's webhook (ssr only): the signature over the raw body, each event id processed once
//! (the dedupe row is written in the same transaction as the effects), and fulfilment.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use sqlx::Row;

use super::refunds;
use super::service::{AuditEntry, RequestInfo, audit, load_settings};
use crate::bus::{self, Bus};
use crate::db::{self, Tx};
use crate::events::catalog::{
    DonationCompleted, PaymentDisputeClosed, PaymentDisputeCreated, ProductPurchased, SubscriptionActivated,
    SubscriptionCancelled,
};
use crate::events::{Actor, Event};
use crate::rate_limit::RateLimiter;
use crate::secrets::{ExposeSecret, SecretKey};

/// How far a signature's timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Refused deliveries audited per client IP and minute (`AppState::webhook_rejection_limiter`).
pub const REJECTIONS_AUDITED_PER_MINUTE: u32 = 20;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is more than 300 s away")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) against the raw body: HMAC-SHA256
/// of `{t}.{body}` with the signing secret must equal one of the `v1` values (compared in
/// constant time), and `t` must be within `TOLERANCE_SECS` of `now`.
pub fn verify_signature(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(hex::decode(sig).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let mac = || {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        Ok::<_, SignatureError>(mac)
    };
    for signature in &signatures {
        // `verify_slice` compares in constant time.
        if mac()?.verify_slice(signature).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// What the endpoint answers.
#[derive(Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Processed now (its effects, if any, committed).
    Processed,
    /// Already processed before: nothing changed.
    Duplicate,
    /// Refused (bad signature, not configured, not an event): 400, nothing changed but an
    /// audit row.
    Rejected(String),
    /// Refused, from a client IP with `REJECTIONS_AUDITED_PER_MINUTE` refusals already this
    /// minute: 429, nothing written.
    TooManyRejected,
    /// Not processed yet: it is about a payment whose completion has not arrived (Stripe sends
    /// events in no set order). 409, nothing changed but an audit row, so Stripe sends it again.
    Later(String),
}

/// Handles one delivery: verifies, then in one transaction records the event id and applies
/// its effects, with audit rows and bus events.
pub async fn handle(
    bus: &Bus,
    key: &SecretKey,
    rejections: &RateLimiter,
    request: &RequestInfo,
    signature: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, sqlx::Error> {
    let db = bus.db();
    let actor = Actor::Webhook("stripe".to_string());
    let stored = load_settings(db, key).await?;
    let verified = match &stored.webhook_secret {
        None => Err("no webhook signing secret is saved".to_string()),
        Some(secret) => verify_signature(signature, body, secret.expose_secret(), db::now_unix())
            .map_err(|e| e.to_string()),
    };
    let event: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = event.as_ref().and_then(|e| Some((e["id"].as_str()?, e["type"].as_str()?)));
    let (id, kind) = match (verified, parsed) {
        (Ok(()), Some(parsed)) => parsed,
        (result, _) => {
            let reason = result.err().unwrap_or_else(|| "the body is not a Stripe event".to_string());
            if rejections.hit(&request.client_ip).is_err() {
                return Ok(WebhookOutcome::TooManyRejected);
            }
            let mut tx = db.begin_write().await?;
            let entry = AuditEntry {
                action: "webhook.rejected",
                entity: "webhook",
                amount_cents: None,
                outcome: "rejected",
                detail: &reason,
            };
            audit(&mut tx, &actor, request, &entry).await?;
            tx.commit().await?;
            return Ok(WebhookOutcome::Rejected(reason));
        }
    };
    let object = event.as_ref().map(|e| &e["data"]["object"]).unwrap_or(&Value::Null);
    let created = event.as_ref().and_then(|e| e["created"].as_i64()).unwrap_or_else(db::now_unix);

    let mut tx = db.begin_write().await?;
    if kind == "charge.refunded"
        && let Some(record) = paid_here_but_not_recorded(&mut tx, object).await?
    {
        let reason = "the refunded payment's completion has not arrived yet".to_string();
        let entry = AuditEntry {
            action: "webhook.charge.refunded",
            entity: &record.entity(),
            amount_cents: object["amount_refunded"].as_i64(),
            outcome: "deferred",
            detail: &reason,
        };
        audit(&mut tx, &actor, request, &entry).await?;
        tx.commit().await?;
        return Ok(WebhookOutcome::Later(reason));
    }
    let first = sqlx::query(
        "INSERT INTO stripe_events (id, type, received_at, outcome) VALUES ($1, $2, $3, 'processing') \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(db::now_unix())
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 0 {
        return Ok(WebhookOutcome::Duplicate);
    }
    let mut events = Vec::new();
    let outcome = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            checkout_completed(&mut tx, object, &mut events).await?
        }
        "checkout.session.async_payment_failed" => checkout_closed(&mut tx, object, "FAILED").await?,
        "checkout.session.expired" => checkout_closed(&mut tx, object, "EXPIRED").await?,
        "charge.refunded" => charge_refunded(&mut tx, object, &mut events).await?,
        "invoice.paid" => invoice_paid(&mut tx, object, created).await?,
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            let status =
                if kind.ends_with("deleted") { "canceled" } else { object["status"].as_str().unwrap_or("") };
            subscription_changed(&mut tx, object, status, created, &mut events).await?
        }
        "charge.dispute.created" => dispute(&mut tx, object, None, &mut events).await?,
        "charge.dispute.closed" => {
            let outcome = object["status"].as_str().unwrap_or("lost");
            dispute(&mut tx, object, Some(outcome), &mut events).await?
        }
        _ => Effect::none("not handled"),
    };
    sqlx::query("UPDATE stripe_events SET outcome = $1 WHERE id = $2")
        .bind(outcome.outcome)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let action = format!("webhook.{kind}");
    let entry = AuditEntry {
        action: &action,
        entity: outcome.entity.as_deref().unwrap_or("webhook"),
        amount_cents: outcome.amount_cents,
        outcome: outcome.outcome,
        detail: "",
    };
    audit(&mut tx, &actor, request, &entry).await?;
    if matches!(kind, "checkout.session.completed" | "checkout.session.async_payment_succeeded")
        && let Some((effect, closed)) = apply_held_dispute(&mut tx, object, &mut events).await?
    {
        let entry = AuditEntry {
            action: if closed { "webhook.charge.dispute.closed" } else { "webhook.charge.dispute.created" },
            entity: effect.entity.as_deref().unwrap_or("webhook"),
            amount_cents: effect.amount_cents,
            outcome: effect.outcome,
            detail: "held until its payment's completion arrived",
        };
        audit(&mut tx, &actor, request, &entry).await?;
    }
    for event in &events {
        bus::publish(&mut tx, &actor, event).await?;
    }
    bus.commit(tx).await?;
    Ok(WebhookOutcome::Processed)
}

/// What an event did, for its audit row.
struct Effect {
    entity: Option<String>,
    amount_cents: Option<i64>,
    outcome: &'static str,
}

impl Effect {
    fn none(outcome: &'static str) -> Effect {
        Effect { entity: None, amount_cents: None, outcome }
    }
}

/// The record a Checkout Session pays for, from the metadata we gave Stripe at checkout.
#[derive(Clone, Copy)]
enum Record<'a> {
    Donation(&'a str),
    Order(&'a str),
    Subscription(&'a str),
    Ticket(&'a str),
}

impl Record<'_> {
    fn of(session: &Value) -> Option<Record<'_>> {
        let metadata = &session["metadata"];
        metadata["donation_id"]
            .as_str()
            .map(Record::Donation)
            .or_else(|| metadata["order_id"].as_str().map(Record::Order))
            .or_else(|| metadata["subscription_id"].as_str().map(Record::Subscription))
            .or_else(|| metadata["ticket_order_id"].as_str().map(Record::Ticket))
    }

    fn table(self) -> &'static str {
        match self {
            Record::Donation(_) => "donations",
            Record::Order(_) => "orders",
            Record::Subscription(_) => "subscriptions",
            Record::Ticket(_) => "ticket_orders",
        }
    }

    fn id(&self) -> &str {
        match self {
            Record::Donation(id) | Record::Order(id) | Record::Subscription(id) | Record::Ticket(id) => id,
        }
    }

    fn entity(&self) -> String {
        match self {
            Record::Donation(id) => format!("donation {id}"),
            Record::Order(id) => format!("order {id}"),
            Record::Subscription(id) => format!("subscription {id}"),
            Record::Ticket(id) => format!("ticket {id}"),
        }
    }
}

/// A paid session marks its PENDING record PAID, matches or creates the payer's contact and
/// publishes `donation.completed`, `product.purchased`, `subscription.activated` or (with
/// the ticket it issues) `ticket.purchased`. A session paid by a slower method
/// (`unpaid` for now) waits for `async_payment_succeeded`.
async fn checkout_completed(
    tx: &mut Tx,
    session: &Value,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let Some(record) = Record::of(session) else { return Ok(Effect::none("not one of our checkouts")) };
    let (table, id) = (record.table(), record.id());
    let sql = format!(
        "SELECT name, email, amount_cents, currency, status FROM {table} WHERE id = $1{}",
        db::for_update(tx)
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(Effect::none("unknown record"));
    };
    let (name, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let (amount_cents, currency): (i64, String) = (row.try_get("amount_cents")?, row.try_get("currency")?);
    let status: String = row.try_get("status")?;
    let effect =
        |outcome| Effect { entity: Some(record.entity()), amount_cents: Some(amount_cents), outcome };
    // Orders have no subscription: its parameter ($6) is bound for the others only.
    let has_subscription = matches!(record, Record::Donation(_) | Record::Subscription(_));
    let subscription =
        if has_subscription { ", stripe_subscription = COALESCE($6, stripe_subscription)" } else { "" };
    let sql = format!(
        "UPDATE {table} SET stripe_session = COALESCE(stripe_session, $1), stripe_payment = COALESCE($2, stripe_payment), \
         stripe_customer = COALESCE($3, stripe_customer), updated_at = $4{subscription} WHERE id = $5"
    );
    let mut update = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(session["id"].as_str())
        .bind(session["payment_intent"].as_str())
        .bind(session["customer"].as_str())
        .bind(db::now_unix())
        .bind(id);
    if has_subscription {
        update = update.bind(session["subscription"].as_str());
    }
    update.execute(&mut **tx).await?;
    if !matches!(session["payment_status"].as_str(), Some("paid" | "no_payment_required")) {
        return Ok(effect("awaiting payment"));
    }
    if status != "PENDING" {
        return Ok(effect("already settled"));
    }
    let (source, paid) = match record {
        Record::Donation(_) => ("DONATION", "PAID"),
        Record::Order(_) => ("PURCHASE", "PAID"),
        Record::Subscription(_) => ("SUBSCRIPTION", "ACTIVE"),
        Record::Ticket(_) => ("EVENT", "PAID"),
    };
    let contact = crate::contacts::service::find_or_create(tx, &email, &name, None, source).await?;
    let now = db::now_unix();
    let sql = format!(
        "UPDATE {table} SET status = '{paid}', contact_id = $1, paid_at = $2, updated_at = $2 WHERE id = $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&contact.id).bind(now).bind(id).execute(&mut **tx).await?;
    events.extend(contact.created);
    let event = match record {
        // A ticket is issued on the place its order held, unless the event is gone meanwhile.
        Record::Ticket(_) => {
            let (issued, outcome) = crate::ticketed_events::service::issue_paid(
                tx,
                id,
                &contact.id,
                (&name, &email),
                (amount_cents, &currency),
            )
            .await?;
            events.extend(issued);
            return Ok(effect(outcome));
        }
        Record::Donation(_) => {
            let frequency: String = sqlx::query_scalar("SELECT frequency FROM donations WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
            Event::DonationCompleted(DonationCompleted {
                donation_id: id.to_string(),
                contact_id: Some(contact.id),
                donor_name: name,
                donor_email: email,
                amount_cents,
                currency,
                recurring: frequency == "MONTHLY",
            })
        }
        Record::Order(_) => {
            let product = sqlx::query(
                "SELECT p.id, p.name FROM products p JOIN orders o ON o.product_id = p.id WHERE o.id = $1",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            Event::ProductPurchased(ProductPurchased {
                order_id: id.to_string(),
                product_id: product.try_get("id")?,
                product_name: product.try_get("name")?,
                contact_id: Some(contact.id),
                buyer_name: name,
                buyer_email: email,
                quantity: 1,
                amount_cents,
                currency,
            })
        }
        Record::Subscription(_) => {
            let plan = sqlx::query(
                "SELECT p.id, p.name, p.billing_interval FROM subscription_plans p \
                 JOIN subscriptions s ON s.plan_id = p.id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            Event::SubscriptionActivated(SubscriptionActivated {
                subscription_id: id.to_string(),
                contact_id: Some(contact.id),
                name,
                email,
                plan_id: plan.try_get("id")?,
                plan_name: plan.try_get("name")?,
                amount_cents,
                currency,
                interval: plan.try_get("billing_interval")?,
            })
        }
    };
    events.push(event);
    Ok(effect("paid"))
}

/// A failed or expired session closes its record if it is still PENDING (an order's unit
/// goes back on sale, a ticket order's place is freed).
async fn checkout_closed(tx: &mut Tx, session: &Value, status: &str) -> Result<Effect, sqlx::Error> {
    let Some(record) = Record::of(session) else { return Ok(Effect::none("not one of our checkouts")) };
    let sql = format!(
        "UPDATE {} SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'PENDING'",
        record.table()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(db::now_unix())
        .bind(record.id())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() > 0 {
        super::checkout::closed_unpaid(tx, record.table(), record.id()).await?;
    }
    let outcome = match (done.rows_affected(), status) {
        (0, _) => "already settled",
        (_, "FAILED") => "payment failed",
        _ => "expired",
    };
    Ok(Effect { entity: Some(record.entity()), amount_cents: None, outcome })
}

/// A subscription as Stripe's events find it.
struct FoundSubscription {
    id: String,
    status: String,
    email: String,
    contact_id: Option<String>,
    plan_name: String,
    /// When Stripe set the status it has (its event's `created`), once an event did.
    status_at: Option<i64>,
}

impl FoundSubscription {
    /// Whether Stripe set the status it has after `created`: Stripe sends events in no set
    /// order, and an older one (a `past_due` after the renewal that ended it) changes nothing.
    fn changed_after(&self, created: i64) -> bool {
        self.status_at.is_some_and(|at| at > created)
    }
}

/// The subscription with Stripe id `stripe_id`, locked until the transaction ends.
async fn find_subscription(tx: &mut Tx, stripe_id: &str) -> Result<Option<FoundSubscription>, sqlx::Error> {
    let sql = format!(
        "SELECT s.id, s.status, s.email, s.contact_id, s.stripe_status_at, p.name FROM subscriptions s \
         JOIN subscription_plans p ON p.id = s.plan_id WHERE s.stripe_subscription = $1{}",
        db::for_update(tx)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(stripe_id).fetch_optional(&mut **tx).await?;
    row.map(|r| {
        Ok(FoundSubscription {
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            email: r.try_get("email")?,
            contact_id: r.try_get("contact_id")?,
            plan_name: r.try_get("name")?,
            status_at: r.try_get("stripe_status_at")?,
        })
    })
    .transpose()
}

/// A renewal was paid (the event created at `created`): a PAST_DUE subscription is ACTIVE
/// again, unless Stripe changed its status after.
async fn invoice_paid(tx: &mut Tx, invoice: &Value, created: i64) -> Result<Effect, sqlx::Error> {
    let stripe_id = invoice["subscription"]
        .as_str()
        .or_else(|| invoice["parent"]["subscription_details"]["subscription"].as_str());
    let Some(stripe_id) = stripe_id else { return Ok(Effect::none("not a subscription invoice")) };
    let Some(found) = find_subscription(tx, stripe_id).await? else {
        return Ok(Effect::none("unknown subscription"));
    };
    let older = found.changed_after(created);
    let status = if found.status == "PAST_DUE" && !older { "ACTIVE" } else { found.status.as_str() };
    let status_at = if older { found.status_at } else { Some(created) };
    let now = db::now_unix();
    sqlx::query("UPDATE subscriptions SET status = $1, stripe_status_at = $2, paid_at = $3, updated_at = $3 WHERE id = $4")
        .bind(status)
        .bind(status_at)
        .bind(now)
        .bind(&found.id)
        .execute(&mut **tx)
        .await?;
    let amount = invoice["amount_paid"].as_i64();
    let outcome = if older { "renewed, older than its status" } else { "renewed" };
    Ok(Effect { entity: Some(format!("subscription {}", found.id)), amount_cents: amount, outcome })
}

/// Stripe's subscription status (the event created at `created`) → ours: `active`/`trialing`
/// ACTIVE, `past_due`/`unpaid` PAST_DUE, `canceled` (or deleted) CANCELLED with
/// `subscription.cancelled`. A cancellation is final: Stripe never undoes one, so it counts
/// however late it comes, and nothing changes a cancelled subscription.
async fn subscription_changed(
    tx: &mut Tx,
    subscription: &Value,
    status: &str,
    created: i64,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let Some(stripe_id) = subscription["id"].as_str() else { return Ok(Effect::none("no subscription")) };
    let Some(found) = find_subscription(tx, stripe_id).await? else {
        return Ok(Effect::none("unknown subscription"));
    };
    let entity = Some(format!("subscription {}", found.id));
    let new = match status {
        "active" | "trialing" => "ACTIVE",
        "past_due" | "unpaid" => "PAST_DUE",
        "canceled" | "incomplete_expired" => "CANCELLED",
        _ => return Ok(Effect { entity, amount_cents: None, outcome: "no change" }),
    };
    if found.status == "CANCELLED" {
        return Ok(Effect { entity, amount_cents: None, outcome: "no change" });
    }
    if new != "CANCELLED" && found.changed_after(created) {
        return Ok(Effect { entity, amount_cents: None, outcome: "older than its status" });
    }
    let now = db::now_unix();
    let cancelled_at = (new == "CANCELLED").then_some(now);
    sqlx::query(
        "UPDATE subscriptions SET status = $1, cancelled_at = COALESCE($2, cancelled_at), stripe_status_at = $3, \
         updated_at = $4 WHERE id = $5",
    )
    .bind(new)
    .bind(cancelled_at)
    .bind(created)
    .bind(now)
    .bind(&found.id)
    .execute(&mut **tx)
    .await?;
    if found.status == new {
        return Ok(Effect { entity, amount_cents: None, outcome: "no change" });
    }
    if new == "CANCELLED" {
        events.push(Event::SubscriptionCancelled(SubscriptionCancelled {
            subscription_id: found.id,
            contact_id: found.contact_id,
            email: found.email,
            plan_name: found.plan_name,
        }));
    }
    Ok(Effect {
        entity,
        amount_cents: None,
        outcome: match new {
            "ACTIVE" => "active",
            "PAST_DUE" => "past due",
            _ => "cancelled",
        },
    })
}

/// The donation, order or ticket order `charge` was paid for, when its payment is not known
/// here yet: the charge's metadata (which Stripe copies from the checkout's payment) names a
/// record still PENDING. A refund made in Stripe's dashboard while `checkout.session.completed`
/// is still being retried (after an outage, say) can arrive first; recorded then as an unknown
/// payment, it would be lost.
async fn paid_here_but_not_recorded<'a>(
    tx: &mut Tx,
    charge: &'a Value,
) -> Result<Option<Record<'a>>, sqlx::Error> {
    let Some(payment) = charge["payment_intent"].as_str() else { return Ok(None) };
    let record = Record::of(charge).filter(|r| !matches!(r, Record::Subscription(_)));
    let Some(record) = record else { return Ok(None) };
    if refunds::find_by_payment(tx, payment).await?.is_some() {
        return Ok(None);
    }
    let sql = format!("SELECT status FROM {} WHERE id = $1", record.table());
    let status: Option<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(record.id()).fetch_optional(&mut **tx).await?;
    Ok((status.as_deref() == Some("PENDING")).then_some(record))
}

/// A refund made here or in Stripe's dashboard: the charge's cumulative `amount_refunded`
/// becomes the record's refunded total (see `refunds::record_refund`).
async fn charge_refunded(
    tx: &mut Tx,
    charge: &Value,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let Some(payment) = charge["payment_intent"].as_str() else { return Ok(Effect::none("no payment")) };
    let Some(record) = refunds::find_by_payment(tx, payment).await? else {
        return Ok(Effect::none("unknown payment"));
    };
    let total = charge["amount_refunded"].as_i64().unwrap_or(0);
    let changed = refunds::record_refund(tx, &record, total).await?;
    let outcome = if changed.is_empty() { "already recorded" } else { "refunded" };
    events.extend(changed);
    Ok(Effect { entity: Some(record.entity()), amount_cents: Some(total), outcome })
}

/// `charge.dispute.created` (`closed` is `None`) or `.closed` with Stripe's outcome. A
/// dispute about a payment not recorded as paid here yet is held (`hold_dispute`).
async fn dispute(
    tx: &mut Tx,
    dispute: &Value,
    closed: Option<&str>,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let Some(payment) = dispute["payment_intent"].as_str() else { return Ok(Effect::none("no payment")) };
    let (amount, reason) = (dispute["amount"].as_i64(), dispute["reason"].as_str().unwrap_or("general"));
    match refunds::find_by_payment(tx, payment).await? {
        Some(record) if record.status != "PENDING" => {
            apply_dispute(tx, &record, amount, reason, closed, events).await
        }
        _ => {
            hold_dispute(tx, payment, amount, reason, closed).await?;
            // Named by Stripe's id: the one way to find it in Stripe's dashboard if no
            // completion ever claims it (a renewal, or a payment made outside Changemaker).
            let entity = Some(format!("stripe payment {payment}"));
            Ok(Effect { entity, amount_cents: amount, outcome: "held until its payment is recorded" })
        }
    }
}

/// Keeps a dispute about `payment` until the payment's completion records it: Stripe sends
/// events in no set order, and the dispute names no record of ours. A later `.closed` keeps
/// its outcome over an earlier or repeated `.created`. A dispute about a payment that is none
/// of ours is held too, and never applied.
async fn hold_dispute(
    tx: &mut Tx,
    payment: &str,
    amount: Option<i64>,
    reason: &str,
    closed: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO stripe_held_disputes (payment_intent, amount_cents, reason, closed_outcome, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_intent) DO UPDATE SET \
         amount_cents = excluded.amount_cents, reason = excluded.reason, \
         closed_outcome = COALESCE(excluded.closed_outcome, stripe_held_disputes.closed_outcome), \
         received_at = excluded.received_at",
    )
    .bind(payment)
    .bind(amount)
    .bind(reason)
    .bind(closed)
    .bind(db::now_unix())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// After a checkout's completion: the dispute held about its payment, if any and the payment
/// is now recorded as paid, is applied as if it had just arrived (opened, then closed when
/// Stripe has closed it). Answers with what it did, for its own audit row.
async fn apply_held_dispute(
    tx: &mut Tx,
    session: &Value,
    events: &mut Vec<Event>,
) -> Result<Option<(Effect, bool)>, sqlx::Error> {
    let Some(payment) = session["payment_intent"].as_str() else { return Ok(None) };
    let held = sqlx::query(
        "SELECT amount_cents, reason, closed_outcome FROM stripe_held_disputes WHERE payment_intent = $1",
    )
    .bind(payment)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(held) = held else { return Ok(None) };
    let Some(record) = refunds::find_by_payment(tx, payment).await? else { return Ok(None) };
    if record.status == "PENDING" {
        // Still waiting for a slower payment method: held until `async_payment_succeeded`.
        return Ok(None);
    }
    sqlx::query("DELETE FROM stripe_held_disputes WHERE payment_intent = $1")
        .bind(payment)
        .execute(&mut **tx)
        .await?;
    let amount: Option<i64> = held.try_get("amount_cents")?;
    let reason: String = held.try_get("reason")?;
    let closed: Option<String> = held.try_get("closed_outcome")?;
    let mut effect = apply_dispute(tx, &record, amount, &reason, None, events).await?;
    if let Some(outcome) = &closed {
        effect = apply_dispute(tx, &record, amount, &reason, Some(outcome), events).await?;
    }
    Ok(Some((effect, closed.is_some())))
}

/// A dispute on `record`: opened (`closed` is `None`) → DISPUTED, or closed with Stripe's
/// outcome; a ticket follows its order, and the dispute's event is published.
async fn apply_dispute(
    tx: &mut Tx,
    record: &refunds::PaidRecord,
    amount: Option<i64>,
    reason: &str,
    closed: Option<&str>,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let amount = amount.unwrap_or(record.amount_cents);
    let effect = |outcome| Effect { entity: Some(record.entity()), amount_cents: Some(amount), outcome };
    match closed {
        None => {
            refunds::dispute_opened(tx, record).await?;
            events.extend(refunds::follow(tx, record).await?);
            events.push(Event::PaymentDisputeCreated(PaymentDisputeCreated {
                payment_id: record.id.clone(),
                kind: record.kind.to_string(),
                amount_cents: amount,
                currency: record.currency.clone(),
                reason: reason.to_string(),
            }));
            Ok(effect("disputed"))
        }
        Some(outcome) => {
            let status = refunds::dispute_closed(tx, record, outcome).await?;
            events.extend(refunds::follow(tx, record).await?);
            events.push(Event::PaymentDisputeClosed(PaymentDisputeClosed {
                payment_id: record.id.clone(),
                kind: record.kind.to_string(),
                outcome: outcome.to_string(),
            }));
            Ok(effect(match status {
                "LOST" => "dispute lost",
                "REFUNDED" => "dispute closed, refunded",
                _ => "dispute won",
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_are_checked_like_stripe_does() {
        let (secret, body, now) = ("whsec_test", br#"{"id":"evt_1"}"#.as_slice(), 1_800_000_000);
        let good = sign(secret, now, body);
        let ok = |h: &str| verify_signature(Some(h), body, secret, now);
        assert_eq!(ok(&format!("t={now},v1={good}")), Ok(()));
        // Any v1 may match (Stripe sends two while a secret is being rolled); v0 is ignored.
        assert_eq!(ok(&format!("t={now},v1={},v1={good},v0=abc", sign("whsec_old", now, body))), Ok(()));
        assert_eq!(
            ok(&format!("t={now},v1={}", sign("whsec_wrong", now, body))),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(Some(&format!("t={now},v1={good}")), br#"{"id":"evt_2"}"#, secret, now),
            Err(SignatureError::Mismatch)
        );
        let old = now - 301;
        assert_eq!(ok(&format!("t={old},v1={}", sign(secret, old, body))), Err(SignatureError::Stale));
        let future = now + 301;
        assert_eq!(ok(&format!("t={future},v1={}", sign(secret, future, body))), Err(SignatureError::Stale));
        let edge = now - 300;
        assert_eq!(ok(&format!("t={edge},v1={}", sign(secret, edge, body))), Ok(()));
        assert_eq!(verify_signature(None, body, secret, now), Err(SignatureError::Missing));
        assert_eq!(ok(&format!("v1={good}")), Err(SignatureError::Malformed));
        assert_eq!(ok(&format!("t={now}")), Err(SignatureError::Malformed));
        assert_eq!(ok(&format!("t={now},v1=zz")), Err(SignatureError::Malformed));
    }
}
