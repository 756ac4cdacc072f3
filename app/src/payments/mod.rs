//! Payments through Stripe (SPEC §4): settings with encrypted keys, checkout for donations,
//! the signed webhook that fulfils them, and the append-only payment audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::AuditFilter;
use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod checkout;
#[cfg(feature = "ssr")]
pub mod refunds;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod stripe;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod webhook;

/// Who manages payment settings (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::PaymentsAdmin];

/// Donations are whole cents from $1.00 to $100,000.00, one-off and monthly alike.
pub const MIN_DONATION_CENTS: i64 = 100;
pub const MAX_DONATION_CENTS: i64 = 10_000_000;

/// The payment settings as an admin sees them: secrets masked (`sk_live_…1234`), never whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentSettings {
    pub enabled: bool,
    pub currency: String,
    pub publishable_key: String,
    /// Masked, or empty when none is stored.
    pub secret_key: String,
    /// Masked, or empty when none is stored.
    pub webhook_secret: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The settings form as typed. A secret field left empty or still showing its mask keeps
/// the stored secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    pub currency: String,
    #[serde(default)]
    pub publishable_key: String,
    #[serde(default)]
    pub secret_key: String,
    #[serde(default)]
    pub webhook_secret: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The currencies a donation may be taken in (Stripe's lower-case codes).
pub const CURRENCIES: &[&str] = &["cad", "usd", "eur", "gbp", "aud", "nzd"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Frequency {
    OneOff,
    Monthly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::OneOff => "ONE_OFF",
            Frequency::Monthly => "MONTHLY",
        }
    }

    pub fn parse(text: &str) -> Option<Frequency> {
        [Frequency::OneOff, Frequency::Monthly].into_iter().find(|f| f.as_str() == text)
    }
}

/// The public donation form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DonationForm {
    /// Dollars, e.g. `25` or `25.50`.
    pub amount: String,
    /// `ONE_OFF` or `MONTHLY`.
    pub frequency: String,
    pub name: String,
    pub email: String,
}

/// A product in the shop. `held` counts the units taken: paid, disputed, or in a checkout
/// that has not finished (an expired or failed checkout gives its unit back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub max_purchases: Option<i64>,
    pub active: bool,
    pub held: i64,
    /// How many times it was saved; the edit form sends it back.
    pub edits: i64,
}

impl Product {
    /// Units still available, or `None` when there is no cap.
    pub fn remaining(&self) -> Option<i64> {
        self.max_purchases.map(|cap| (cap - self.held).max(0))
    }
}

/// Which products an admin list or the shop shows: part of a name (admins only) and a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductFilter {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub page: i64,
}

/// One page of products and how many the filter finds in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductPage {
    pub rows: Vec<Product>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
}

/// The product form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductForm {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    /// Dollars, e.g. `20` or `19.99`.
    pub price: String,
    /// Empty for no cap.
    #[serde(default)]
    pub max_purchases: String,
    #[serde(default)]
    pub active: bool,
    /// Editing: the product's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the product since, so that it cannot undo their changes unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// A subscription plan (membership), billed every `interval` (`month` or `year`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub amount_cents: i64,
    pub interval: String,
    pub active: bool,
    /// How many times it was saved; the edit form sends it back.
    pub edits: i64,
}

/// The plan form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanForm {
    pub name: String,
    /// Dollars per interval.
    pub amount: String,
    pub interval: String,
    #[serde(default)]
    pub active: bool,
    /// Editing: the plan's `edits` when the form was opened, as for products.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The buyer's details on a product page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuyerForm {
    pub name: String,
    pub email: String,
}

/// One donation or order in the admin list. Never a Stripe id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    /// The supporter's contact, once the payment went through.
    pub contact_id: Option<String>,
    pub name: String,
    pub email: String,
    /// `ONE_OFF` / `MONTHLY` for a donation, the product's name for an order.
    pub what: String,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub status: String,
    /// "2026-11-29 10:46 GMT": the organisation's time zone (UTC in the CSV).
    pub created: String,
}

/// A page of a list, with a total over the filter: what was kept (paid less refunds) for
/// donations and orders; for subscriptions, what the active ones bring in a month (a yearly
/// plan counts a twelfth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentPage {
    pub rows: Vec<PaymentRow>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
    pub kept_cents: i64,
}

/// The statuses a donation or order can have, for filters and badges.
pub const STATUSES: &[&str] =
    &["PENDING", "PAID", "PARTIALLY_REFUNDED", "REFUNDED", "DISPUTED", "LOST", "FAILED", "EXPIRED"];

/// The statuses a subscription can have.
pub const SUBSCRIPTION_STATUSES: &[&str] =
    &["PENDING", "ACTIVE", "PAST_DUE", "CANCELLED", "FAILED", "EXPIRED"];

/// What the admin lists and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentKind {
    Donation,
    Order,
    Subscription,
    /// A paid event ticket (a ticket order).
    Ticket,
}

impl PaymentKind {
    pub const ALL: [PaymentKind; 4] =
        [PaymentKind::Donation, PaymentKind::Order, PaymentKind::Subscription, PaymentKind::Ticket];

    /// As in addresses and forms: `donation`, `order`, `subscription`, `ticket`.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Donation => "donation",
            PaymentKind::Order => "order",
            PaymentKind::Subscription => "subscription",
            PaymentKind::Ticket => "ticket",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentKind> {
        PaymentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// `donations`, `orders`, `subscriptions`, `tickets` (also the export's file name).
    pub fn plural(self) -> &'static str {
        match self {
            PaymentKind::Donation => "donations",
            PaymentKind::Order => "orders",
            PaymentKind::Subscription => "subscriptions",
            PaymentKind::Ticket => "tickets",
        }
    }

    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            PaymentKind::Subscription => SUBSCRIPTION_STATUSES,
            PaymentKind::Donation | PaymentKind::Order | PaymentKind::Ticket => STATUSES,
        }
    }
}

/// A cancelled event with paid tickets still to refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventToRefund {
    pub event_id: String,
    pub title: String,
    pub tickets: i64,
    pub amount_cents: i64,
}

/// Donations kept (paid less refunds) per day or per week, oldest first, every period shown
/// even when nothing came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DonationChart {
    pub bars: Vec<ChartBar>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartBar {
    /// The period's first day, `YYYY-MM-DD` (the organisation's days; weeks start on Monday).
    pub start: String,
    pub count: i64,
    pub kept_cents: i64,
}

/// One row of the payment audit log as admins read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub at: String,
    /// `user:<id>`, `system` or `webhook:<source>`, as the filter takes it.
    pub actor: String,
    /// Who that is: the account's name, "System", "Stripe webhook".
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub amount_cents: Option<i64>,
    pub outcome: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub page: i64,
    pub has_more: bool,
}

/// Where to send the supporter to pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutStarted {
    pub url: String,
}

/// Parses a typed amount of dollars into whole cents within the donation bounds; the same
/// check runs in the browser form and on the server.
pub fn parse_donation_cents(text: &str) -> Result<i64, &'static str> {
    parse_cents(text, MIN_DONATION_CENTS, MAX_DONATION_CENTS)
        .ok_or("Enter an amount from $1.00 to $100,000.00, like 25 or 25.50.")
}

/// A product's price: whole cents from $0.50 (Stripe's smallest charge) to $100,000.00.
pub fn parse_price_cents(text: &str) -> Result<i64, &'static str> {
    parse_cents(text, 50, MAX_DONATION_CENTS)
        .ok_or("Enter a price from $0.50 to $100,000.00, like 20 or 19.99.")
}

/// A refund: whole cents from $0.01.
pub fn parse_refund_cents(text: &str) -> Result<i64, &'static str> {
    parse_cents(text, 1, MAX_DONATION_CENTS).ok_or("Enter an amount in dollars and cents, like 10 or 9.99.")
}

/// Dollars as typed (`25`, `$1,000.50`) → whole cents within `min..=max`; `None` for anything
/// else, including fractions of a cent.
pub fn parse_cents(text: &str, min: i64, max: i64) -> Option<i64> {
    let text = text.trim().trim_start_matches('$').replace(',', "");
    let (whole, cents) = match text.split_once('.') {
        None => (text.as_str(), "00".to_string()),
        Some((whole, cents)) if cents.len() <= 2 => (whole, format!("{cents:0<2}")),
        Some(_) => return None,
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(&cents) {
        return None;
    }
    let cents = whole.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?;
    (min..=max).contains(&cents).then_some(cents)
}

/// `$1,234.50`-style text for an amount in cents.
pub fn format_cents(cents: i64) -> String {
    format!("${}.{:02}", crate::ui::thousands(cents / 100), cents % 100)
}

#[cfg(feature = "ssr")]
impl From<service::PaymentError> for AppError {
    fn from(err: service::PaymentError) -> AppError {
        use service::PaymentError;
        match err {
            PaymentError::Invalid(errors) => AppError::Invalid(errors),
            PaymentError::Disabled => {
                AppError::Unavailable("Payments are not available right now. Please try again later.".into())
            }
            PaymentError::NotConfigured => AppError::Conflict("Save a Stripe secret key first.".into()),
            PaymentError::NotFound => AppError::NotFound("There is no such product or payment.".into()),
            PaymentError::SoldOut => AppError::Conflict("Sorry, this product is sold out.".into()),
            PaymentError::ChangedMeanwhile(what) => AppError::changed_meanwhile(what, "Reload the page"),
            PaymentError::SettingsChangedMeanwhile => {
                AppError::settings_changed_meanwhile("the payment settings")
            }
            PaymentError::CheckoutFailed => AppError::Unavailable(
                "The payment page could not be opened. Please try again in a few minutes.".into(),
            ),
            PaymentError::RefundNotRecorded => AppError::Unavailable(
                "Stripe made the refund, but it could not be recorded here yet. It will be recorded \
                 automatically when Stripe confirms it; do not refund again."
                    .into(),
            ),
            PaymentError::RateLimited(wait) => {
                AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
            }
            PaymentError::Stripe(e) => AppError::Unavailable(format!("Stripe: {e}")),
            PaymentError::Database(e) => crate::auth::internal(e),
        }
    }
}

#[server(prefix = "/api", endpoint = "payments/settings")]
pub async fn get_payment_settings() -> Result<PaymentSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_settings(&state.db, &state.secret_key)
        .await
        .map(|s| s.view())
        .map_err(crate::auth::internal)
}

/// Saves the settings; answers with them as stored, secrets masked.
#[server(prefix = "/api", endpoint = "payments/save-settings")]
pub async fn save_payment_settings(form: PaymentSettingsForm) -> Result<PaymentSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_settings(&state.db, &state.secret_key, &actor, &service::RequestInfo::current(), &form)
        .await?)
}

/// Checks the stored secret key against Stripe; answers with what Stripe said.
#[server(prefix = "/api", endpoint = "payments/test-connection")]
pub async fn test_stripe_connection() -> Result<String, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::test_connection(&state.db, &state.secret_key, &state.stripe_api_base).await?)
}

/// Sends a browser that posted a payment form itself straight on to Stripe (see
/// `request::after_plain_form_post`); the page's code goes there from the answer.
#[cfg(feature = "ssr")]
fn on_to_checkout(started: CheckoutStarted) -> CheckoutStarted {
    crate::request::after_plain_form_post(&started.url);
    started
}

/// What the public pages offer to pay for (see `service::ways_to_give`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WaysToGive {
    pub donations: bool,
    pub membership: bool,
    pub shop: bool,
}

/// Whether a public page should say payments are off instead of showing its payment form:
/// only when that is known. If the settings could not be read the form stays, and the server
/// says what is wrong when it is sent.
pub fn payments_are_off(giving: &Result<WaysToGive, AppError>) -> bool {
    matches!(giving, Ok(giving) if !giving.donations)
}

#[server(prefix = "/api", endpoint = "payments/ways-to-give")]
pub async fn get_ways_to_give() -> Result<WaysToGive, AppError> {
    let state = crate::state::app_state()?;
    service::ways_to_give(&state.db).await.map_err(crate::auth::internal)
}

/// Starts a Stripe Checkout for a one-off or monthly donation; answers with where to pay.
#[server(prefix = "/api", endpoint = "payments/donate")]
pub async fn start_donation(form: DonationForm) -> Result<CheckoutStarted, AppError> {
    let state = crate::state::app_state()?;
    Ok(on_to_checkout(checkout::start_donation(&state, &service::RequestInfo::current(), &form).await?))
}

/// Starts a Stripe Checkout for one unit of a product; answers with where to pay.
#[server(prefix = "/api", endpoint = "payments/buy")]
pub async fn buy_product(slug: String, form: BuyerForm) -> Result<CheckoutStarted, AppError> {
    let state = crate::state::app_state()?;
    Ok(on_to_checkout(checkout::buy_product(&state, &service::RequestInfo::current(), &slug, &form).await?))
}

/// Refunds `amount` dollars (empty: all that is left) of a paid donation, order or ticket
/// (`kind` `donation`, `order` or `ticket`); answers with the refunded total in cents.
#[server(prefix = "/api", endpoint = "payments/refund")]
pub async fn refund_payment(
    kind: String,
    id: String,
    #[server(default)] amount: String,
) -> Result<i64, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(refunds::refund(&state, &actor, &service::RequestInfo::current(), &kind, &id, &amount).await?)
}

/// Donations, orders or subscriptions (`kind`), newest first, 50 a page.
/// Cancelled events whose paid tickets are still to refund.
#[server(prefix = "/api", endpoint = "payments/events-to-refund")]
pub async fn list_events_to_refund() -> Result<Vec<EventToRefund>, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    refunds::cancelled_events_to_refund(&state.db).await.map_err(crate::auth::internal)
}

/// Refunds every paid ticket of a cancelled event in the background; answers with the job.
#[server(prefix = "/api", endpoint = "payments/refund-event")]
pub async fn refund_cancelled_event(event_id: String) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let request = service::RequestInfo::current();
    Ok(refunds::refund_cancelled_event(&state, &actor, &request, &event_id).await?)
}

#[server(prefix = "/api", endpoint = "payments/list")]
pub async fn list_payments(
    kind: String,
    #[server(default)] status: String,
    #[server(default)] page: i64,
) -> Result<PaymentPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let kind =
        PaymentKind::parse(&kind).ok_or_else(|| AppError::NotFound("There is no such list.".into()))?;
    Ok(service::list_payments(&state.db, kind, &status, page).await?)
}

/// Donations kept per `day` (the last 30 days) or per `week` (the last 12 weeks).
#[server(prefix = "/api", endpoint = "payments/donation-chart")]
pub async fn load_donation_chart(by: String) -> Result<DonationChart, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::donation_chart(&state.db, &by, crate::db::now_unix()).await?)
}

/// The payment audit log, newest first, 50 a page. Read-only: no code changes or deletes a row.
#[server(prefix = "/api", endpoint = "payments/audit-log")]
pub async fn load_audit_log(#[server(default)] filter: AuditFilter) -> Result<AuditPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::audit_log(&state.db, &filter).await?)
}

/// Every plan, for admins.
#[server(prefix = "/api", endpoint = "payments/plans")]
pub async fn list_plans() -> Result<Vec<Plan>, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::plans(&state.db, false).await.map_err(crate::auth::internal)
}

/// Creates (empty `id`) or updates a plan.
#[server(prefix = "/api", endpoint = "payments/save-plan")]
pub async fn save_plan(#[server(default)] id: String, form: PlanForm) -> Result<Plan, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_plan(&state.bus, &actor, &service::RequestInfo::current(), &id, &form).await?)
}

/// The plans on offer, for `/membership`.
#[server(prefix = "/api", endpoint = "payments/membership")]
pub async fn list_membership_plans() -> Result<Vec<Plan>, AppError> {
    let state = crate::state::app_state()?;
    service::plans(&state.db, true).await.map_err(crate::auth::internal)
}

/// Starts a Stripe Checkout for a subscription to a plan; answers with where to pay.
#[server(prefix = "/api", endpoint = "payments/join")]
pub async fn join_plan(plan_id: String, form: BuyerForm) -> Result<CheckoutStarted, AppError> {
    let state = crate::state::app_state()?;
    Ok(on_to_checkout(checkout::join_plan(&state, &service::RequestInfo::current(), &plan_id, &form).await?))
}

/// A page of every product, for admins, found by name.
#[server(prefix = "/api", endpoint = "payments/products")]
pub async fn list_products(#[server(default)] filter: ProductFilter) -> Result<ProductPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::products(&state.db, &filter, false).await?)
}

/// Creates (empty `id`) or updates a product.
#[server(prefix = "/api", endpoint = "payments/save-product")]
pub async fn save_product(#[server(default)] id: String, form: ProductForm) -> Result<Product, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_product(&state.bus, &actor, &service::RequestInfo::current(), &id, &form).await?)
}

/// A page of the products on sale.
#[server(prefix = "/api", endpoint = "payments/shop")]
pub async fn list_shop(#[server(default)] page: i64) -> Result<ProductPage, AppError> {
    let state = crate::state::app_state()?;
    let filter = ProductFilter { search: String::new(), page };
    Ok(service::products(&state.db, &filter, true).await?)
}

/// One product on sale, by its address.
#[server(prefix = "/api", endpoint = "payments/shop-product")]
pub async fn get_shop_product(slug: String) -> Result<Product, AppError> {
    let state = crate::state::app_state()?;
    service::product_on_sale(&state.db, &slug)
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| AppError::NotFound("There is no such product.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn donation_amounts_are_whole_cents_within_bounds() {
        assert_eq!(parse_donation_cents("1"), Ok(100));
        assert_eq!(parse_donation_cents("1.00"), Ok(100));
        assert_eq!(parse_donation_cents("$25.5"), Ok(2550));
        assert_eq!(parse_donation_cents("25."), Ok(2500));
        assert_eq!(parse_donation_cents("25.50"), Ok(2550));
        assert_eq!(parse_donation_cents(" $100,000.00 "), Ok(10_000_000));
        assert!(parse_donation_cents("100000.01").is_err());
        assert!(parse_donation_cents("0.99").is_err());
        assert!(parse_donation_cents("1.001").is_err());
        assert_eq!(parse_price_cents("0.50"), Ok(50));
        assert!(parse_price_cents("0.49").is_err());
        assert!(parse_donation_cents("-5").is_err());
        assert!(parse_donation_cents("1e3").is_err());
        assert!(parse_donation_cents("").is_err());
        assert!(parse_donation_cents("99999999999999999999").is_err());
    }

    #[test]
    fn cents_are_shown_as_dollars() {
        assert_eq!(format_cents(100), "$1.00");
        assert_eq!(format_cents(12_345_678), "$123,456.78");
        assert_eq!(format_cents(10_000_000), "$100,000.00");
    }
}
