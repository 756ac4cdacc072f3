//! Stripe's webhook (ssr only): the signature over the raw body, each event id processed once
//! (the dedupe row is written in the same transaction as the effects), and fulfilment.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use sqlx::Row;

use super::service::{AuditEntry, RequestInfo, audit, load_settings};
use crate::bus::{self, Bus};
use crate::db::{self, Tx};
use crate::events::catalog::DonationCompleted;
use crate::events::{Actor, Event};
use crate::secrets::{ExposeSecret, SecretKey};

/// How far a signature's timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 300;

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
    /// Refused (bad signature, not configured, not an event): 400, nothing changed.
    Rejected(String),
}

/// Handles one delivery: verifies, then in one transaction records the event id and applies
/// its effects, with audit rows and bus events.
pub async fn handle(
    bus: &Bus,
    key: &SecretKey,
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

    let mut tx = db.begin_write().await?;
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

/// Our donation id, which we gave Stripe at checkout.
fn donation_id(session: &Value) -> Option<&str> {
    session["metadata"]["donation_id"].as_str().or_else(|| session["client_reference_id"].as_str())
}

/// A paid session marks its PENDING donation PAID, matches or creates the donor's contact and
/// publishes `donation.completed`. A session paid by a slower method (`unpaid` for now)
/// waits for `async_payment_succeeded`.
async fn checkout_completed(
    tx: &mut Tx,
    session: &Value,
    events: &mut Vec<Event>,
) -> Result<Effect, sqlx::Error> {
    let Some(id) = donation_id(session) else { return Ok(Effect::none("no donation in this session")) };
    let paid = matches!(session["payment_status"].as_str(), Some("paid" | "no_payment_required"));
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT name, email, amount_cents, currency, frequency, status FROM donations WHERE id = $1{}",
        db::for_update(tx)
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(Effect::none("unknown donation")) };
    let (name, email, amount_cents): (String, String, i64) =
        (row.try_get("name")?, row.try_get("email")?, row.try_get("amount_cents")?);
    let effect = |outcome| Effect {
        entity: Some(format!("donation {id}")),
        amount_cents: Some(amount_cents),
        outcome,
    };
    let status: String = row.try_get("status")?;
    sqlx::query(
        "UPDATE donations SET stripe_session = COALESCE(stripe_session, $1), stripe_payment = COALESCE($2, stripe_payment), \
         stripe_customer = COALESCE($3, stripe_customer), stripe_subscription = COALESCE($4, stripe_subscription), updated_at = $5 \
         WHERE id = $6",
    )
    .bind(session["id"].as_str())
    .bind(session["payment_intent"].as_str())
    .bind(session["customer"].as_str())
    .bind(session["subscription"].as_str())
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if !paid {
        return Ok(effect("awaiting payment"));
    }
    if status != "PENDING" {
        return Ok(effect("already settled"));
    }
    let contact = crate::contacts::service::find_or_create(tx, &email, &name, None, "DONATION").await?;
    let now = db::now_unix();
    sqlx::query(
        "UPDATE donations SET status = 'PAID', contact_id = $1, paid_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(&contact.id)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    events.extend(contact.created);
    events.push(Event::DonationCompleted(DonationCompleted {
        donation_id: id.to_string(),
        contact_id: Some(contact.id),
        donor_name: name,
        donor_email: email,
        amount_cents,
        currency: row.try_get("currency")?,
        recurring: row.try_get::<String, _>("frequency")? == "MONTHLY",
    }));
    Ok(effect("paid"))
}

/// A failed or expired session closes its donation if it is still PENDING.
async fn checkout_closed(tx: &mut Tx, session: &Value, status: &str) -> Result<Effect, sqlx::Error> {
    let Some(id) = donation_id(session) else { return Ok(Effect::none("no donation in this session")) };
    let done =
        sqlx::query("UPDATE donations SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'PENDING'")
            .bind(status)
            .bind(db::now_unix())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    let outcome = match (done.rows_affected(), status) {
        (0, _) => "already settled",
        (_, "FAILED") => "payment failed",
        _ => "expired",
    };
    Ok(Effect { entity: Some(format!("donation {id}")), amount_cents: None, outcome })
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
