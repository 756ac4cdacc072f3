//! The one checkout path every payment entry point takes (ssr only): the client's allowance
//! of checkout starts, payments switched on, the pending record and its audit row written
//! before Stripe hears of it, then Stripe's Checkout Session. Nothing is fulfilled here: the
//! webhook does that when Stripe says the payment succeeded.

use super::service::{
    AuditEntry, PaymentError, RequestInfo, StoredSettings, audit, load_settings, lock_product,
};
use super::stripe::{SessionLine, StripeClient, StripeError, session_form};
use super::{BuyerForm, CheckoutStarted, DonationForm, Frequency};
use crate::db::{self, Tx};
use crate::error::Validation;
use crate::events::Actor;
use crate::state::AppState;
use crate::users::service::normalise_email;

/// A record waiting for its payment: a row of `table` (`donations`, `orders`,
/// `subscriptions` or `ticket_orders`).
pub(crate) struct Pending<'a> {
    pub table: &'static str,
    pub id: &'a str,
    pub entity: String,
    pub amount_cents: i64,
}

/// The checks every entry point makes first: the client's allowance (any refusal is counted
/// too, so probing costs the same), then payments switched on with a key (a refusal is
/// audited, and nothing is sent to Stripe).
pub(crate) async fn open(
    state: &AppState,
    request: &RequestInfo,
    what: &str,
    amount_cents: i64,
) -> Result<(StripeClient, StoredSettings), PaymentError> {
    state.checkout_limiter.hit(&request.client_ip).map_err(PaymentError::RateLimited)?;
    let stored = load_settings(&state.db, &state.secret_key).await?;
    match stored.stripe(&state.stripe_api_base).filter(|_| stored.enabled) {
        Some(stripe) => Ok((stripe, stored)),
        None => {
            let mut tx = state.db.begin_write().await?;
            refuse(&mut tx, request, what, amount_cents, "payments disabled").await?;
            tx.commit().await?;
            Err(PaymentError::Disabled)
        }
    }
}

async fn refuse(
    tx: &mut Tx,
    request: &RequestInfo,
    what: &str,
    amount: i64,
    why: &str,
) -> Result<(), sqlx::Error> {
    let entry = AuditEntry {
        action: "checkout.refused",
        entity: what,
        amount_cents: Some(amount),
        outcome: why,
        detail: "",
    };
    audit(tx, &Actor::System, request, &entry).await
}

/// The audit row of a checkout start, in the transaction that writes the pending record.
async fn started(
    tx: &mut Tx,
    request: &RequestInfo,
    pending: &Pending<'_>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let entry = AuditEntry {
        action: "checkout.started",
        entity: &pending.entity,
        amount_cents: Some(pending.amount_cents),
        outcome: "sent to Stripe",
        detail,
    };
    audit(tx, &Actor::System, request, &entry).await
}

/// Creates the Checkout Session and keeps its id on the pending record; if Stripe refuses,
/// the record is FAILED (an order's unit is released) and the refusal audited.
pub(crate) async fn send_to_stripe(
    state: &AppState,
    request: &RequestInfo,
    stripe: &StripeClient,
    pending: &Pending<'_>,
    line: &SessionLine<'_>,
) -> Result<CheckoutStarted, PaymentError> {
    let session =
        stripe.post("checkout/sessions", &format!("checkout-{}", pending.id), &session_form(line)).await;
    let table = pending.table;
    let mut tx = state.db.begin_write().await?;
    let result = match session {
        Ok(session) => match (session["id"].as_str(), session["url"].as_str()) {
            (Some(session_id), Some(url)) => {
                let sql = format!("UPDATE {table} SET stripe_session = $1, updated_at = $2 WHERE id = $3");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(session_id)
                    .bind(db::now_unix())
                    .bind(pending.id)
                    .execute(&mut *tx)
                    .await?;
                Ok(CheckoutStarted { url: url.to_string() })
            }
            _ => Err(StripeError::BadResponse),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        let sql = format!(
            "UPDATE {table} SET status = 'FAILED', updated_at = $1 WHERE id = $2 AND status = 'PENDING'"
        );
        let closed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(db::now_unix())
            .bind(pending.id)
            .execute(&mut *tx)
            .await?;
        if closed.rows_affected() > 0 {
            closed_unpaid(&mut tx, table, pending.id).await?;
        }
        let message = e.to_string();
        let entry = AuditEntry {
            action: "checkout.failed",
            entity: &pending.entity,
            amount_cents: Some(pending.amount_cents),
            outcome: "Stripe refused",
            detail: &message,
        };
        audit(&mut tx, &Actor::System, request, &entry).await?;
    }
    tx.commit().await?;
    // Stripe's own words stay in the audit row: a supporter is told only to try later.
    result.map_err(|_| PaymentError::CheckoutFailed)
}

/// A record's checkout closed unpaid (Stripe refused it, or it failed or expired): a ticket
/// order's place is free again. (A shop order's unit is free by its status alone.)
pub(super) async fn closed_unpaid(tx: &mut Tx, table: &str, id: &str) -> Result<(), sqlx::Error> {
    if table == "ticket_orders" {
        crate::ticketed_events::service::release_place(tx, id).await?;
    }
    Ok(())
}

/// Writes the PENDING record and the audit row of the start, in one transaction. `what` is
/// the column that says what is bought and its value: `frequency` for a donation,
/// `product_id` for an order, `plan_id` for a subscription.
async fn insert_pending(
    state: &AppState,
    request: &RequestInfo,
    pending: &Pending<'_>,
    what: (&'static str, &str),
    buyer: (&str, &str),
    currency: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    insert_pending_in(&mut tx, request, pending, what, buyer, currency).await?;
    tx.commit().await
}

pub(crate) async fn insert_pending_in(
    tx: &mut Tx,
    request: &RequestInfo,
    pending: &Pending<'_>,
    (column, value): (&'static str, &str),
    (name, email): (&str, &str),
    currency: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO {} (id, {column}, name, email, amount_cents, currency, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $7)",
        pending.table
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(pending.id)
        .bind(value)
        .bind(name)
        .bind(email)
        .bind(pending.amount_cents)
        .bind(currency)
        .bind(db::now_unix())
        .execute(&mut **tx)
        .await?;
    started(tx, request, pending, value).await
}

/// The buyer's name and email, checked, for the entry points that ask only for those.
fn buyer(form: &BuyerForm) -> Result<(String, String), PaymentError> {
    let (name, email) = (form.name.trim().to_string(), normalise_email(&form.email));
    let mut v = Validation::new();
    crate::contacts::service::check_name_and_email(&mut v, &name, &email);
    v.finish().map_err(PaymentError::Invalid)?;
    Ok((name, email))
}

/// A one-off or monthly donation.
pub async fn start_donation(
    state: &AppState,
    request: &RequestInfo,
    form: &DonationForm,
) -> Result<CheckoutStarted, PaymentError> {
    let amount = super::parse_donation_cents(&form.amount);
    let frequency = Frequency::parse(form.frequency.trim());
    let (email, name) = (normalise_email(&form.email), form.name.trim());
    let mut v = Validation::new();
    if let Err(message) = amount {
        v.check(false, "amount", message);
    }
    v.check(frequency.is_some(), "frequency", "Choose a one-off or a monthly donation.");
    crate::contacts::service::check_name_and_email(&mut v, name, &email);
    v.finish().map_err(PaymentError::Invalid)?;
    let (Ok(amount_cents), Some(frequency)) = (amount, frequency) else {
        return Err(PaymentError::Invalid(Vec::new()));
    };
    let (stripe, stored) = open(state, request, "donation", amount_cents).await?;

    let id = uuid::Uuid::new_v4().to_string();
    let pending = Pending { table: "donations", id: &id, entity: format!("donation {id}"), amount_cents };
    insert_pending(
        state,
        request,
        &pending,
        ("frequency", frequency.as_str()),
        (name, &email),
        &stored.currency,
    )
    .await?;

    let base = state.public_url.trim_end_matches('/');
    let monthly = frequency == Frequency::Monthly;
    let line = SessionLine {
        reference_key: "donation_id",
        reference_id: &id,
        item_name: if monthly { "Monthly donation" } else { "Donation" },
        amount_cents,
        currency: &stored.currency,
        interval: monthly.then_some("month"),
        email: &email,
        success_url: &format!("{base}/donate/thanks"),
        cancel_url: &format!("{base}/donate"),
        expires_at: None,
    };
    send_to_stripe(state, request, &stripe, &pending, &line).await
}

/// One unit of a product. The cap is checked and the unit taken (a PENDING order) in one
/// transaction under the product's lock.
pub async fn buy_product(
    state: &AppState,
    request: &RequestInfo,
    slug: &str,
    form: &BuyerForm,
) -> Result<CheckoutStarted, PaymentError> {
    let (name, email) = buyer(form)?;
    let product = super::service::product_on_sale(&state.db, slug).await?.ok_or(PaymentError::NotFound)?;
    let (stripe, stored) = open(state, request, &format!("product {slug}"), product.price_cents).await?;

    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = state.db.begin_write().await?;
    let product = lock_product(&mut tx, slug).await?.filter(|p| p.active).ok_or(PaymentError::NotFound)?;
    let pending = Pending {
        table: "orders",
        id: &id,
        entity: format!("order {id}"),
        amount_cents: product.price_cents,
    };
    if product.remaining() == Some(0) {
        refuse(&mut tx, request, &format!("product {slug}"), product.price_cents, "sold out").await?;
        tx.commit().await?;
        return Err(PaymentError::SoldOut);
    }
    insert_pending_in(
        &mut tx,
        request,
        &pending,
        ("product_id", &product.id),
        (&name, &email),
        &stored.currency,
    )
    .await?;
    tx.commit().await?;

    let base = state.public_url.trim_end_matches('/');
    let line = SessionLine {
        reference_key: "order_id",
        reference_id: &id,
        item_name: &product.name,
        amount_cents: product.price_cents,
        currency: &stored.currency,
        interval: None,
        email: &email,
        success_url: &format!("{base}/shop/thanks"),
        cancel_url: &format!("{base}/shop/{}", product.slug),
        expires_at: None,
    };
    send_to_stripe(state, request, &stripe, &pending, &line).await
}

/// A subscription to an active plan, billed every month or year.
pub async fn join_plan(
    state: &AppState,
    request: &RequestInfo,
    plan_id: &str,
    form: &BuyerForm,
) -> Result<CheckoutStarted, PaymentError> {
    let (name, email) = buyer(form)?;
    let plan =
        super::service::plan(&state.db, plan_id).await?.filter(|p| p.active).ok_or(PaymentError::NotFound)?;
    let (stripe, stored) = open(state, request, &format!("plan {}", plan.name), plan.amount_cents).await?;

    let id = uuid::Uuid::new_v4().to_string();
    let pending = Pending {
        table: "subscriptions",
        id: &id,
        entity: format!("subscription {id}"),
        amount_cents: plan.amount_cents,
    };
    insert_pending(state, request, &pending, ("plan_id", &plan.id), (&name, &email), &stored.currency)
        .await?;

    let base = state.public_url.trim_end_matches('/');
    let line = SessionLine {
        reference_key: "subscription_id",
        reference_id: &id,
        item_name: &plan.name,
        amount_cents: plan.amount_cents,
        currency: &stored.currency,
        interval: Some(&plan.interval),
        email: &email,
        success_url: &format!("{base}/membership/thanks"),
        cancel_url: &format!("{base}/membership"),
        expires_at: None,
    };
    send_to_stripe(state, request, &stripe, &pending, &line).await
}
