//! Payment settings, checkout starts and the payment audit log (ssr only).

use std::time::Duration;

use super::stripe::{StripeClient, StripeError, donation_session_form};
use super::{CURRENCIES, CheckoutStarted, DonationForm, Frequency, PaymentSettings, PaymentSettingsForm};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};
use crate::events::Actor;
use crate::secrets::{SecretKey, SecretString};
use crate::settings;
use crate::state::AppState;
use crate::users::service::{is_plausible_email, normalise_email};

const ENABLED: &str = "payments.enabled";
const CURRENCY: &str = "payments.currency";
const PUBLISHABLE_KEY: &str = "payments.publishable_key";
const SECRET_KEY: &str = "payments.secret_key";
const WEBHOOK_SECRET: &str = "payments.webhook_secret";

pub const DEFAULT_CURRENCY: &str = "cad";

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("invalid payment form")]
    Invalid(Vec<FieldError>),
    #[error("payments are disabled")]
    Disabled,
    #[error("no Stripe secret key is saved")]
    NotConfigured,
    #[error("too many checkout starts")]
    RateLimited(Duration),
    #[error(transparent)]
    Stripe(#[from] StripeError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The stored payment settings, secrets decrypted (never printed, never sent to a browser).
#[derive(Debug, Default)]
pub struct StoredSettings {
    pub enabled: bool,
    pub currency: String,
    pub publishable_key: String,
    pub secret_key: Option<SecretString>,
    pub webhook_secret: Option<SecretString>,
}

impl StoredSettings {
    /// What an admin may see: the secrets masked.
    pub fn view(&self) -> PaymentSettings {
        use crate::secrets::ExposeSecret;
        let masked = |s: &Option<SecretString>| {
            s.as_ref().map(|s| settings::mask(s.expose_secret())).unwrap_or_default()
        };
        PaymentSettings {
            enabled: self.enabled,
            currency: self.currency.clone(),
            publishable_key: self.publishable_key.clone(),
            secret_key: masked(&self.secret_key),
            webhook_secret: masked(&self.webhook_secret),
        }
    }

    /// A client for Stripe, when a secret key is saved.
    pub fn stripe(&self, api_base: &str) -> Option<StripeClient> {
        self.secret_key.clone().map(|key| StripeClient::new(api_base, key))
    }
}

pub async fn load_settings(db: &Db, key: &SecretKey) -> Result<StoredSettings, sqlx::Error> {
    Ok(StoredSettings {
        enabled: settings::get(db, ENABLED).await?.as_deref() == Some("true"),
        currency: settings::get(db, CURRENCY).await?.unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
        publishable_key: settings::get(db, PUBLISHABLE_KEY).await?.unwrap_or_default(),
        secret_key: settings::get_secret(db, key, SECRET_KEY).await?,
        webhook_secret: settings::get_secret(db, key, WEBHOOK_SECRET).await?,
    })
}

/// Who asked, for the audit log: the client's IP and the request's id.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub client_ip: String,
    pub request_id: String,
}

impl RequestInfo {
    /// From the request being served by a server function.
    pub fn current() -> RequestInfo {
        crate::request::parts().map(|p| RequestInfo::from_parts(&p)).unwrap_or_default()
    }

    /// From a request's parts: the client IP the middleware found, and the proxy's
    /// `X-Request-Id` (a new id when there is none).
    pub fn from_parts(parts: &http::request::Parts) -> RequestInfo {
        let client_ip = parts
            .extensions
            .get::<crate::request::ClientIp>()
            .map_or_else(|| "unknown".to_string(), |ip| ip.0.to_string());
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|id| id.len() <= 100 && id.chars().all(|c| c.is_ascii_graphic()))
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        RequestInfo { client_ip, request_id }
    }
}

/// One row of the payment audit log. Never holds a secret, a card detail or a Stripe id.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub amount_cents: Option<i64>,
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// Appends to the payment audit log inside the caller's transaction. The table has no
/// update or delete path in code, and the database refuses both (a trigger).
pub async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    request: &RequestInfo,
    entry: &AuditEntry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_audit_log (at, actor, action, entity, amount_cents, outcome, client_ip, request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(db::now_unix_ms())
    .bind(actor.to_string())
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.amount_cents)
    .bind(entry.outcome)
    .bind(&request.client_ip)
    .bind(&request.request_id)
    .bind(entry.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Checks a typed key: empty or the stored key's mask keeps it; anything else must be a
/// whole key with one of `prefixes`.
fn check_secret_field(
    v: &mut Validation,
    field: &str,
    typed: &str,
    stored: &PaymentSettings,
    prefixes: &[&str],
) {
    let typed = typed.trim();
    let current_mask = match field {
        "secret_key" => &stored.secret_key,
        _ => &stored.webhook_secret,
    };
    if typed.is_empty() || typed == current_mask {
        return;
    }
    v.check(
        !settings::is_masked(typed),
        field,
        "Type the whole new key, or leave the field as it is to keep the saved one.",
    );
    v.check(
        settings::is_masked(typed)
            || (typed.len() <= 255
                && prefixes.iter().any(|p| typed.starts_with(p))
                && typed.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
        field,
        &format!("This does not look like a Stripe key: it starts with {}.", prefixes.join(" or ")),
    );
}

/// Saves the settings and writes an audit row naming the fields that changed (never their
/// values). Secret fields left empty or masked keep what is stored. Answers with the
/// settings as stored, secrets masked.
pub async fn save_settings(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    request: &RequestInfo,
    form: &PaymentSettingsForm,
) -> Result<PaymentSettings, PaymentError> {
    let before = load_settings(db, key).await?;
    let shown = before.view();
    let currency = form.currency.trim().to_lowercase();
    let publishable_key = form.publishable_key.trim();
    let mut v = Validation::new();
    v.check(CURRENCIES.contains(&currency.as_str()), "currency", "Choose a currency from the list.");
    v.check(
        publishable_key.is_empty()
            || (publishable_key.len() <= 255
                && (publishable_key.starts_with("pk_test_") || publishable_key.starts_with("pk_live_"))
                && publishable_key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
        "publishable_key",
        "This does not look like a publishable key: it starts with pk_test_ or pk_live_.",
    );
    check_secret_field(
        &mut v,
        "secret_key",
        &form.secret_key,
        &shown,
        &["sk_test_", "sk_live_", "rk_test_", "rk_live_"],
    );
    check_secret_field(&mut v, "webhook_secret", &form.webhook_secret, &shown, &["whsec_"]);
    let will_have_key = before.secret_key.is_some() || !form.secret_key.trim().is_empty();
    v.check(
        !form.enabled || will_have_key,
        "enabled",
        "Save a Stripe secret key before turning payments on.",
    );
    v.finish().map_err(PaymentError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    if form.enabled != before.enabled {
        settings::set(&mut tx, ENABLED, if form.enabled { "true" } else { "false" }).await?;
        changed.push("enabled");
    }
    if currency != before.currency {
        settings::set(&mut tx, CURRENCY, &currency).await?;
        changed.push("currency");
    }
    if publishable_key != before.publishable_key {
        settings::set(&mut tx, PUBLISHABLE_KEY, publishable_key).await?;
        changed.push("publishable_key");
    }
    if settings::save_secret_field(&mut tx, key, SECRET_KEY, form.secret_key.trim()).await? {
        changed.push("secret_key");
    }
    if settings::save_secret_field(&mut tx, key, WEBHOOK_SECRET, form.webhook_secret.trim()).await? {
        changed.push("webhook_secret");
    }
    let detail = if changed.is_empty() {
        "nothing changed".to_string()
    } else {
        format!("changed: {}", changed.join(", "))
    };
    let entry = AuditEntry {
        action: "settings.saved",
        entity: "payment settings",
        amount_cents: None,
        outcome: "ok",
        detail: &detail,
    };
    audit(&mut tx, actor, request, &entry).await?;
    tx.commit().await?;
    Ok(load_settings(db, key).await?.view())
}

/// Asks Stripe for the account's balance with the saved key: the cheapest call that proves
/// the key works.
pub async fn test_connection(db: &Db, key: &SecretKey, api_base: &str) -> Result<String, PaymentError> {
    let stored = load_settings(db, key).await?;
    let stripe = stored.stripe(api_base).ok_or(PaymentError::NotConfigured)?;
    let balance = stripe.get("balance", &uuid::Uuid::new_v4().to_string()).await?;
    let mode = if balance["livemode"].as_bool() == Some(true) { "live" } else { "test" };
    Ok(format!("Connected to Stripe ({mode} mode)."))
}

/// Starts a Stripe Checkout for a donation: checks the form, that payments are on and the
/// client's allowance of checkout starts; records the PENDING donation and the audit row
/// before Stripe hears of it; answers with Stripe's payment page. Nothing is fulfilled here:
/// the webhook does that when Stripe says the payment succeeded.
pub async fn start_donation(
    state: &AppState,
    request: &RequestInfo,
    form: &DonationForm,
) -> Result<CheckoutStarted, PaymentError> {
    let amount = super::parse_donation_cents(&form.amount);
    let frequency = Frequency::parse(form.frequency.trim());
    let email = normalise_email(&form.email);
    let name = form.name.trim();
    let mut v = Validation::new();
    if let Err(message) = amount {
        v.check(false, "amount", message);
    }
    v.check(frequency.is_some(), "frequency", "Choose a one-off or a monthly donation.");
    v.check(!name.is_empty(), "name", "Enter your name.");
    v.check(
        name.chars().count() <= 100 && !name.chars().any(char::is_control),
        "name",
        "Names can be at most 100 characters.",
    );
    v.check(is_plausible_email(&email), "email", "Enter a valid email address, like name@example.org.");
    v.finish().map_err(PaymentError::Invalid)?;
    let (Ok(amount_cents), Some(frequency)) = (amount, frequency) else {
        return Err(PaymentError::Invalid(Vec::new()));
    };

    state.checkout_limiter.hit(&request.client_ip).map_err(PaymentError::RateLimited)?;
    let db = &state.db;
    let stored = load_settings(db, &state.secret_key).await?;
    let stripe = stored.stripe(&state.stripe_api_base).filter(|_| stored.enabled);
    let Some(stripe) = stripe else {
        let mut tx = db.begin_write().await?;
        let entry = AuditEntry {
            action: "checkout.refused",
            entity: "donation",
            amount_cents: Some(amount_cents),
            outcome: "payments disabled",
            detail: "",
        };
        audit(&mut tx, &Actor::System, request, &entry).await?;
        tx.commit().await?;
        return Err(PaymentError::Disabled);
    };

    let id = uuid::Uuid::new_v4().to_string();
    let now = db::now_unix();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO donations (id, name, email, amount_cents, currency, frequency, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $7)",
    )
    .bind(&id)
    .bind(name)
    .bind(&email)
    .bind(amount_cents)
    .bind(&stored.currency)
    .bind(frequency.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let entity = format!("donation {id}");
    let entry = AuditEntry {
        action: "checkout.started",
        entity: &entity,
        amount_cents: Some(amount_cents),
        outcome: "sent to Stripe",
        detail: frequency.as_str(),
    };
    audit(&mut tx, &Actor::System, request, &entry).await?;
    tx.commit().await?;

    let base = state.public_url.trim_end_matches('/');
    let form = donation_session_form(
        &id,
        amount_cents,
        &stored.currency,
        frequency == Frequency::Monthly,
        &email,
        &format!("{base}/donate/thanks"),
        &format!("{base}/donate"),
    );
    let session = stripe.post("checkout/sessions", &format!("checkout-{id}"), &form).await;
    let mut tx = db.begin_write().await?;
    let result = match session {
        Ok(session) => match (session["id"].as_str(), session["url"].as_str()) {
            (Some(session_id), Some(url)) => {
                sqlx::query("UPDATE donations SET stripe_session = $1, updated_at = $2 WHERE id = $3")
                    .bind(session_id)
                    .bind(db::now_unix())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                Ok(CheckoutStarted { url: url.to_string() })
            }
            _ => Err(StripeError::BadResponse),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        sqlx::query(
            "UPDATE donations SET status = 'FAILED', updated_at = $1 WHERE id = $2 AND status = 'PENDING'",
        )
        .bind(db::now_unix())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        let message = e.to_string();
        let entry = AuditEntry {
            action: "checkout.failed",
            entity: &entity,
            amount_cents: Some(amount_cents),
            outcome: "Stripe refused",
            detail: &message,
        };
        audit(&mut tx, &Actor::System, request, &entry).await?;
    }
    tx.commit().await?;
    Ok(result?)
}
