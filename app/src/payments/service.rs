//! Payment settings, the payment audit log, products, plans and the admin lists (ssr only).

use std::time::Duration;

use super::stripe::{StripeClient, StripeError};
use super::{
    AuditPage, AuditRow, CURRENCIES, ChartBar, DonationChart, PaymentKind, PaymentPage, PaymentRow,
    PaymentSettings, PaymentSettingsForm, Plan, PlanForm, Product, ProductFilter, ProductForm, ProductPage,
    WaysToGive,
};
use crate::audit::AuditFilter;
use crate::audit::service::LogError;
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};
use crate::events::catalog::{
    ProductCreated, ProductUpdated, SubscriptionPlanCreated, SubscriptionPlanUpdated,
};
use crate::events::{Actor, Event};
use crate::secrets::{SecretKey, SecretString};
use crate::settings;
use crate::time_zone::Zone;

const ENABLED: &str = "payments.enabled";
const CURRENCY: &str = "payments.currency";
const PUBLISHABLE_KEY: &str = "payments.publishable_key";
const SECRET_KEY: &str = "payments.secret_key";
const WEBHOOK_SECRET: &str = "payments.webhook_secret";
/// How many times the settings have been saved (see `settings::count_save`).
const EDITS: &str = "payments.edits";

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
    #[error("no such product")]
    NotFound,
    #[error("sold out")]
    SoldOut,
    /// The edit form of `what` ("this product") was opened before someone else saved it.
    #[error("saved since the form was opened")]
    ChangedMeanwhile(&'static str),
    /// The settings form was opened before someone else saved the settings.
    #[error("settings saved since the form was opened")]
    SettingsChangedMeanwhile,
    #[error("Stripe did not open a checkout")]
    CheckoutFailed,
    #[error("Stripe refunded, but the refund is not recorded yet")]
    RefundNotRecorded,
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
    pub edits: i64,
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
            edits: self.edits,
        }
    }

    /// A client for Stripe, when a secret key is saved.
    pub fn stripe(&self, api_base: &str) -> Option<StripeClient> {
        self.secret_key.clone().map(|key| StripeClient::new(api_base, key))
    }
}

/// What the public pages offer to pay for: donations while payments are on; membership and
/// the shop only when a plan or a product is on offer too.
pub async fn ways_to_give(db: &Db) -> Result<WaysToGive, sqlx::Error> {
    let donations = settings::get(db, ENABLED).await?.as_deref() == Some("true");
    if !donations {
        return Ok(WaysToGive::default());
    }
    // A count of at most one, which both databases answer as an integer.
    let offered = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE active = 1 LIMIT 1) AS one");
        let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()).await?;
        Ok::<bool, sqlx::Error>(found > 0)
    };
    Ok(WaysToGive {
        donations,
        membership: offered("subscription_plans").await?,
        shop: offered("products").await?,
    })
}

pub async fn load_settings(db: &Db, key: &SecretKey) -> Result<StoredSettings, sqlx::Error> {
    let names = [ENABLED, CURRENCY, PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, EDITS];
    let stored = settings::Group::read(db, &names).await?;
    Ok(StoredSettings {
        enabled: stored.is_on(ENABLED),
        currency: stored.text_or(CURRENCY, DEFAULT_CURRENCY),
        publishable_key: stored.text(PUBLISHABLE_KEY),
        secret_key: stored.secret(key, SECRET_KEY),
        webhook_secret: stored.secret(key, WEBHOOK_SECRET),
        edits: stored.count(EDITS),
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

/// Checks a typed Stripe key: empty keeps what is stored, and so does `stored_mask` (the
/// mask a secret field was shown with); anything else must be a whole key with one of
/// `prefixes` — a different mask is a typing error.
fn check_key(v: &mut Validation, field: &str, typed: &str, stored_mask: Option<&str>, prefixes: &[&str]) {
    let typed = typed.trim();
    if typed.is_empty() || Some(typed) == stored_mask {
        return;
    }
    if settings::is_masked(typed) {
        v.check(false, field, "Type the whole new key, or leave the field as it is to keep the saved one.");
        return;
    }
    v.check(
        typed.len() <= 255
            && prefixes.iter().any(|p| typed.starts_with(p))
            && typed.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
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
    check_key(&mut v, "publishable_key", publishable_key, None, &["pk_test_", "pk_live_"]);
    let secret_prefixes = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"];
    check_key(&mut v, "secret_key", &form.secret_key, Some(&shown.secret_key), &secret_prefixes);
    check_key(&mut v, "webhook_secret", &form.webhook_secret, Some(&shown.webhook_secret), &["whsec_"]);
    let will_have_key = before.secret_key.is_some() || !form.secret_key.trim().is_empty();
    v.check(
        !form.enabled || will_have_key,
        "enabled",
        "Save a Stripe secret key before turning payments on.",
    );
    v.finish().map_err(PaymentError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    settings::count_save(&mut tx, EDITS, form.edits, PaymentError::SettingsChangedMeanwhile).await?;
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

const PRODUCT_COLUMNS: &str = "p.id, p.slug, p.name, p.description, p.price_cents, p.max_purchases, p.active, \
     p.edits, (SELECT COUNT(*) FROM orders o WHERE o.product_id = p.id AND o.status IN ('PENDING', 'PAID', 'PARTIALLY_REFUNDED', 'DISPUTED')) AS held";

fn product_from_row(row: &sqlx::any::AnyRow) -> Result<Product, sqlx::Error> {
    use sqlx::Row;
    Ok(Product {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_cents: row.try_get("price_cents")?,
        max_purchases: row.try_get("max_purchases")?,
        active: row.try_get::<i64, _>("active")? == 1,
        held: row.try_get("held")?,
        edits: row.try_get("edits")?,
    })
}

/// Products on a page of the shop or the admin list.
pub const PRODUCTS_PAGE_SIZE: i64 = 50;

/// One page of products found by name: every one (on sale first), or, with `on_sale_only`,
/// those on sale for the shop; by name.
pub async fn products(
    db: &Db,
    filter: &ProductFilter,
    on_sale_only: bool,
) -> Result<ProductPage, PaymentError> {
    let mut v = Validation::new();
    crate::error::check_search(&mut v, "search", &filter.search);
    v.finish().map_err(PaymentError::Invalid)?;
    let mut conditions = String::from(if on_sale_only { " WHERE p.active = 1" } else { " WHERE 1 = 1" });
    let mut binds = Vec::new();
    if !filter.search.trim().is_empty() {
        binds.push(db::contains_pattern(&filter.search));
        conditions.push_str(" AND LOWER(p.name) LIKE $1 ESCAPE '\\'");
    }
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) FROM products p{conditions}"), &binds).await?;
    let select =
        format!("SELECT {PRODUCT_COLUMNS} FROM products p{conditions} ORDER BY p.active DESC, p.name, p.id");
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PRODUCTS_PAGE_SIZE).await?;
    let rows = rows.iter().map(product_from_row).collect::<Result<_, _>>()?;
    Ok(ProductPage { rows, page, has_more, count })
}

/// A product on sale, by its slug.
pub async fn product_on_sale(db: &Db, slug: &str) -> Result<Option<Product>, sqlx::Error> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.slug = $1 AND p.active = 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(db.pool()).await?;
    row.as_ref().map(product_from_row).transpose()
}

/// The product `slug` names, locked until the transaction ends: the purchase cap is checked
/// and the pending order written under this lock, so two buyers never take the last unit.
pub(super) async fn lock_product(tx: &mut Tx, slug: &str) -> Result<Option<Product>, sqlx::Error> {
    // PostgreSQL refuses FOR UPDATE next to an aggregate: lock the row first.
    let lock = format!("SELECT id FROM products WHERE slug = $1{}", db::for_update(tx));
    if sqlx::query(sqlx::AssertSqlSafe(lock)).bind(slug).fetch_optional(&mut **tx).await?.is_none() {
        return Ok(None);
    }
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.slug = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&mut **tx).await?;
    row.as_ref().map(product_from_row).transpose()
}

/// The longest product address (`/shop/<slug>`).
const PRODUCT_SLUG_MAX: usize = 60;

/// Creates a product (`id` empty) or updates one, with an audit row and `product.created` or
/// `product.updated`.
pub async fn save_product(
    bus: &Bus,
    actor: &Actor,
    request: &RequestInfo,
    id: &str,
    form: &ProductForm,
) -> Result<Product, PaymentError> {
    let name = form.name.trim();
    let description = form.description.trim();
    // Left empty, the address is made from the name.
    let slug = match form.slug.trim() {
        "" => crate::slug::from_title(name, PRODUCT_SLUG_MAX),
        typed => typed.to_lowercase(),
    };
    let price = super::parse_price_cents(&form.price);
    let cap = form.max_purchases.trim();
    let max_purchases = if cap.is_empty() { Ok(None) } else { cap.parse::<i64>().map(Some) };
    let mut v = Validation::new();
    v.check(
        !name.is_empty() && name.chars().count() <= 120,
        "name",
        "Enter a name of at most 120 characters.",
    );
    v.check(
        description.chars().count() <= 2000,
        "description",
        "The description can be at most 2,000 characters.",
    );
    v.check(
        crate::slug::may_stand(&slug, name, PRODUCT_SLUG_MAX),
        "slug",
        "Use lower-case letters, digits and hyphens (at most 60), like campaign-t-shirt.",
    );
    if let Err(message) = price {
        v.check(false, "price", message);
    }
    v.check(
        matches!(max_purchases, Ok(None))
            || matches!(max_purchases, Ok(Some(n)) if (1..=1_000_000).contains(&n)),
        "max_purchases",
        "Leave empty for no limit, or enter a whole number from 1 to 1,000,000.",
    );
    v.finish().map_err(PaymentError::Invalid)?;
    let (Ok(price_cents), Ok(max_purchases)) = (price, max_purchases) else {
        return Err(PaymentError::Invalid(Vec::new()));
    };
    let now = db::now_unix();
    let mut tx = bus.db().begin_write().await?;
    let (product_id, action) = if id.is_empty() {
        let new_id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO products (id, slug, name, description, price_cents, max_purchases, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&new_id)
        .bind(&slug)
        .bind(name)
        .bind(description)
        .bind(price_cents)
        .bind(max_purchases)
        .bind(i64::from(form.active))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, &slug))?;
        (new_id, "product.created")
    } else {
        let saved_since = PaymentError::ChangedMeanwhile("this product");
        db::check_edits(&mut tx, "products", id, form.edits, PaymentError::NotFound, saved_since).await?;
        sqlx::query(
            "UPDATE products SET slug = $1, name = $2, description = $3, price_cents = $4, max_purchases = $5, \
             active = $6, updated_at = $7, edits = edits + 1 WHERE id = $8",
        )
        .bind(&slug)
        .bind(name)
        .bind(description)
        .bind(price_cents)
        .bind(max_purchases)
        .bind(i64::from(form.active))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, &slug))?;
        (id.to_string(), "product.updated")
    };
    let entity = format!("product {slug}");
    let entry =
        AuditEntry { action, entity: &entity, amount_cents: Some(price_cents), outcome: "ok", detail: "" };
    audit(&mut tx, actor, request, &entry).await?;
    let (name, url_path) = (name.to_string(), format!("/shop/{slug}"));
    let event = if id.is_empty() {
        Event::ProductCreated(ProductCreated {
            product_id: product_id.clone(),
            name,
            url_path,
            price_cents,
            max_purchases,
            active: form.active,
        })
    } else {
        Event::ProductUpdated(ProductUpdated {
            product_id: product_id.clone(),
            name,
            url_path,
            price_cents,
            max_purchases,
            active: form.active,
        })
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&product_id).fetch_one(bus.db().pool()).await?;
    Ok(product_from_row(&row)?)
}

fn slug_taken(e: sqlx::Error, slug: &str) -> PaymentError {
    if db::is_unique_violation(&e) {
        PaymentError::Invalid(FieldError::only(
            "slug",
            format!("Another product already uses the address /shop/{slug}."),
        ))
    } else {
        e.into()
    }
}

pub const PAGE_SIZE: i64 = 50;

/// A page of donations or orders, newest first, optionally of one status.
pub async fn list_payments(
    db: &Db,
    kind: PaymentKind,
    status: &str,
    page: i64,
) -> Result<PaymentPage, PaymentError> {
    use sqlx::Row;
    let source = PaymentSource::of(kind);
    let status = status.trim();
    if !status.is_empty() && !kind.statuses().contains(&status) {
        return Err(PaymentError::Invalid(FieldError::only("status", "Choose a status from the list.")));
    }
    let zone = settings::time_zone(db).await?;
    let (filter, binds) =
        if status.is_empty() { ("", Vec::new()) } else { (" WHERE r.status = $1", vec![status.to_string()]) };
    let select = format!("{} FROM {}{filter} ORDER BY r.created_at DESC, r.id", source.select(), source.from);
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, page, PAGE_SIZE).await?;
    let rows = rows.iter().map(|r| payment_from_row(r, zone)).collect::<Result<Vec<_>, _>>()?;
    let totals = format!(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM({}), 0) AS BIGINT) AS total FROM {}{filter}",
        source.total, source.from
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(totals));
    for b in &binds {
        query = query.bind(b);
    }
    let totals = query.fetch_one(db.pool()).await?;
    Ok(PaymentPage {
        rows,
        page,
        has_more,
        count: totals.try_get("n")?,
        kept_cents: totals.try_get("total")?,
    })
}

/// Where a kind of payment lives (`r` is the record), what describes one, and what its
/// list totals.
struct PaymentSource {
    from: &'static str,
    what: &'static str,
    total: &'static str,
}

impl PaymentSource {
    fn of(kind: PaymentKind) -> PaymentSource {
        const KEPT: &str = "CASE WHEN r.status IN ('PAID', 'PARTIALLY_REFUNDED', 'DISPUTED') \
                            THEN r.amount_cents - r.refunded_cents ELSE 0 END";
        match kind {
            PaymentKind::Donation => PaymentSource { from: "donations r", what: "r.frequency", total: KEPT },
            PaymentKind::Order => PaymentSource {
                from: "orders r JOIN products p ON p.id = r.product_id",
                what: "p.name",
                total: KEPT,
            },
            PaymentKind::Ticket => PaymentSource {
                from: "ticket_orders r JOIN ticket_tiers p ON p.id = r.tier_id JOIN ticketed_events e ON e.id = p.event_id",
                what: "e.title || ' — ' || p.name",
                total: KEPT,
            },
            PaymentKind::Subscription => PaymentSource {
                from: "subscriptions r JOIN subscription_plans p ON p.id = r.plan_id",
                what: "p.name",
                total: "CASE WHEN r.status IN ('ACTIVE', 'PAST_DUE') THEN \
                        CASE WHEN p.billing_interval = 'year' THEN r.amount_cents / 12 ELSE r.amount_cents END ELSE 0 END",
            },
        }
    }

    fn select(&self) -> String {
        format!(
            "SELECT r.id, r.contact_id, r.name, r.email, {} AS what, r.amount_cents, r.refunded_cents, r.currency, r.status, r.created_at",
            self.what
        )
    }
}

fn payment_from_row(r: &sqlx::any::AnyRow, zone: Zone) -> Result<PaymentRow, sqlx::Error> {
    use sqlx::Row;
    Ok(PaymentRow {
        id: r.try_get("id")?,
        contact_id: r.try_get("contact_id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        what: r.try_get("what")?,
        amount_cents: r.try_get("amount_cents")?,
        refunded_cents: r.try_get("refunded_cents")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        created: zone.stamp(r.try_get("created_at")?),
    })
}

/// What has an open dispute, each answered in Stripe's dashboard before its deadline.
#[derive(Debug)]
pub struct OpenDisputes {
    pub donations: i64,
    pub orders: i64,
    pub tickets: i64,
    /// Held disputes about payments not recorded as paid here (yet): a membership's or a monthly
    /// donation's renewal, or a payment made outside Changemaker.
    pub elsewhere: i64,
}

pub async fn count_open_disputes(db: &Db) -> Result<OpenDisputes, sqlx::Error> {
    let (donations, orders, tickets, elsewhere) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM donations WHERE status = 'DISPUTED'), \
         (SELECT COUNT(*) FROM orders WHERE status = 'DISPUTED'), \
         (SELECT COUNT(*) FROM ticket_orders WHERE status = 'DISPUTED'), \
         (SELECT COUNT(*) FROM stripe_held_disputes WHERE closed_outcome IS NULL)",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(OpenDisputes { donations, orders, tickets, elsewhere })
}

/// Every donation, order or subscription as CSV, newest first: readable columns, no Stripe id.
pub async fn payments_csv(db: &Db, kind: PaymentKind) -> Result<String, PaymentError> {
    let source = PaymentSource::of(kind);
    let sql = format!("{} FROM {} ORDER BY r.created_at DESC, r.id", source.select(), source.from);
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(db.pool()).await?;
    let what_header = match kind {
        PaymentKind::Donation => "frequency",
        PaymentKind::Order => "product",
        PaymentKind::Subscription => "plan",
        PaymentKind::Ticket => "ticket",
    };
    let mut out = format!("date_utc,name,email,{what_header},amount,refunded,currency,status,reference\n");
    // In UTC, as its `date_utc` column says: a file outlives a change of the time zone.
    for row in rows.iter().map(|r| payment_from_row(r, Zone::UTC)) {
        let r = row?;
        let (amount, refunded) = (super::format_cents(r.amount_cents), super::format_cents(r.refunded_cents));
        let currency = r.currency.to_uppercase();
        out.push_str(&crate::csv::row(&[
            &r.created, &r.name, &r.email, &r.what, &amount, &refunded, &currency, &r.status, &r.id,
        ]));
    }
    Ok(out)
}

/// Donations kept per day (the 30 days up to `now`) or per week (the 12 weeks, Monday to
/// Sunday, up to `now`'s week), by the organisation's days.
pub async fn donation_chart(db: &Db, by: &str, now: i64) -> Result<DonationChart, PaymentError> {
    let zone = settings::time_zone(db).await?;
    let today = zone.day_of(now);
    // Days since the epoch of the first day of each period; 1970-01-01 was a Thursday.
    let (period_days, periods, first_day) = match by {
        "day" => (1, 30, today - 29),
        "week" => (7, 12, today - (today + 3).rem_euclid(7) - 7 * 11),
        _ => {
            return Err(PaymentError::Invalid(FieldError::only("by", "Choose day or week.")));
        }
    };
    // Counted by quarter hour in the database, then by the organisation's day.
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT created_at / 900, COUNT(*), CAST(SUM(amount_cents - refunded_cents) AS BIGINT) FROM donations \
         WHERE status IN ('PAID', 'PARTIALLY_REFUNDED', 'DISPUTED') AND created_at >= $1 GROUP BY created_at / 900",
    )
    .bind(zone.day_start(first_day))
    .fetch_all(db.pool())
    .await?;
    let mut bars: Vec<ChartBar> = (0..periods)
        .map(|i| ChartBar {
            start: crate::time::date_time_from_unix((first_day + i * period_days) * 86_400).0,
            count: 0,
            kept_cents: 0,
        })
        .collect();
    for (quarter_hour, count, kept) in rows {
        let index = (zone.day_of_quarter_hour(quarter_hour) - first_day) / period_days;
        if let Some(bar) = usize::try_from(index).ok().and_then(|i| bars.get_mut(i)) {
            bar.count += count;
            bar.kept_cents += kept;
        }
    }
    Ok(DonationChart { bars })
}

fn plan_from_row(row: &sqlx::any::AnyRow) -> Result<Plan, sqlx::Error> {
    use sqlx::Row;
    Ok(Plan {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        amount_cents: row.try_get("amount_cents")?,
        interval: row.try_get("billing_interval")?,
        active: row.try_get::<i64, _>("active")? == 1,
        edits: row.try_get("edits")?,
    })
}

const PLAN_COLUMNS: &str = "id, name, amount_cents, billing_interval, active, edits";

/// The plans (only those on offer when `only_active`), cheapest first.
pub async fn plans(db: &Db, only_active: bool) -> Result<Vec<Plan>, sqlx::Error> {
    let filter = if only_active { " WHERE active = 1" } else { "" };
    let sql = format!("SELECT {PLAN_COLUMNS} FROM subscription_plans{filter} ORDER BY amount_cents, name");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(db.pool()).await?;
    rows.iter().map(plan_from_row).collect()
}

pub async fn plan(db: &Db, id: &str) -> Result<Option<Plan>, sqlx::Error> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM subscription_plans WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(plan_from_row).transpose()
}

/// Creates a plan (`id` empty) or updates one, with an audit row and
/// `subscription.plan.created` or `subscription.plan.updated`.
pub async fn save_plan(
    bus: &Bus,
    actor: &Actor,
    request: &RequestInfo,
    id: &str,
    form: &PlanForm,
) -> Result<Plan, PaymentError> {
    let name = form.name.trim();
    let amount = super::parse_price_cents(&form.amount);
    let interval = form.interval.trim();
    let mut v = Validation::new();
    v.check(
        !name.is_empty() && name.chars().count() <= 120,
        "name",
        "Enter a name of at most 120 characters.",
    );
    if let Err(message) = amount {
        v.check(false, "amount", message);
    }
    v.check(matches!(interval, "month" | "year"), "interval", "Choose monthly or yearly.");
    v.finish().map_err(PaymentError::Invalid)?;
    let Ok(amount_cents) = amount else { return Err(PaymentError::Invalid(Vec::new())) };
    let now = db::now_unix();
    let mut tx = bus.db().begin_write().await?;
    let (plan_id, action) = if id.is_empty() {
        let new_id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO subscription_plans (id, name, amount_cents, billing_interval, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&new_id)
        .bind(name)
        .bind(amount_cents)
        .bind(interval)
        .bind(i64::from(form.active))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        (new_id, "plan.created")
    } else {
        let saved_since = PaymentError::ChangedMeanwhile("this plan");
        db::check_edits(&mut tx, "subscription_plans", id, form.edits, PaymentError::NotFound, saved_since)
            .await?;
        sqlx::query(
            "UPDATE subscription_plans SET name = $1, amount_cents = $2, billing_interval = $3, active = $4, \
             updated_at = $5, edits = edits + 1 WHERE id = $6",
        )
        .bind(name)
        .bind(amount_cents)
        .bind(interval)
        .bind(i64::from(form.active))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        (id.to_string(), "plan.updated")
    };
    let entity = format!("plan {name}");
    let entry = AuditEntry {
        action,
        entity: &entity,
        amount_cents: Some(amount_cents),
        outcome: "ok",
        detail: interval,
    };
    audit(&mut tx, actor, request, &entry).await?;
    let (name, interval, active) = (name.to_string(), interval.to_string(), form.active);
    let event = if id.is_empty() {
        Event::SubscriptionPlanCreated(SubscriptionPlanCreated {
            plan_id: plan_id.clone(),
            name,
            amount_cents,
            interval,
            active,
        })
    } else {
        Event::SubscriptionPlanUpdated(SubscriptionPlanUpdated {
            plan_id: plan_id.clone(),
            name,
            amount_cents,
            interval,
            active,
        })
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    plan(bus.db(), &plan_id).await?.ok_or(PaymentError::NotFound)
}

/// A page of the payment audit log, newest first, its From and To the organisation's days.
pub async fn audit_log(db: &Db, filter: &AuditFilter) -> Result<AuditPage, LogError> {
    use sqlx::Row;
    let zone = settings::time_zone(db).await?;
    let select = "SELECT at, actor, action, entity, amount_cents, outcome, client_ip, request_id, detail \
                  FROM payment_audit_log";
    let (rows, page, has_more) = crate::audit::service::fetch_page(db, select, filter, &zone).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(AuditRow {
                at: zone.stamp(r.try_get::<i64, _>("at")?.div_euclid(1000)),
                actor: r.try_get("actor")?,
                actor_name: String::new(),
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                amount_cents: r.try_get("amount_cents")?,
                outcome: r.try_get("outcome")?,
                client_ip: r.try_get("client_ip")?,
                request_id: r.try_get("request_id")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<AuditRow>, sqlx::Error>>()?;
    let names =
        crate::users::service::actor_names(db, rows.iter().map(|r| r.actor.clone()).collect()).await?;
    let rows = rows.into_iter().map(|r| AuditRow { actor_name: names[&r.actor].clone(), ..r }).collect();
    Ok(AuditPage { rows, page, has_more })
}
