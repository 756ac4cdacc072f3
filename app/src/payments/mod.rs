//! Payments through Stripe (SPEC §4): settings with encrypted keys, checkout for donations,
//! the signed webhook that fulfils them, and the append-only payment audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

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

/// Where to send the supporter to pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutStarted {
    pub url: String,
}

/// Parses a typed amount of dollars into whole cents within the donation bounds; the same
/// check runs in the browser form and on the server.
pub fn parse_donation_cents(text: &str) -> Result<i64, &'static str> {
    const MESSAGE: &str = "Enter an amount from $1.00 to $100,000.00, like 25 or 25.50.";
    let text = text.trim().trim_start_matches('$').replace(',', "");
    let (whole, cents) = match text.split_once('.') {
        None => (text.as_str(), "00".to_string()),
        Some((whole, cents)) if cents.len() <= 2 => (whole, format!("{cents:0<2}")),
        Some(_) => return Err("Amounts are in whole cents: at most two digits after the point."),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(&cents) {
        return Err(MESSAGE);
    }
    let cents =
        whole.parse::<i64>().map_err(|_| MESSAGE)? * 100 + cents.parse::<i64>().map_err(|_| MESSAGE)?;
    if (MIN_DONATION_CENTS..=MAX_DONATION_CENTS).contains(&cents) { Ok(cents) } else { Err(MESSAGE) }
}

/// `$1,234.50`-style text for an amount in cents.
pub fn format_cents(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{:02}", cents % 100)
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

/// Starts a Stripe Checkout for a one-off or monthly donation; answers with where to pay.
#[server(prefix = "/api", endpoint = "payments/donate")]
pub async fn start_donation(form: DonationForm) -> Result<CheckoutStarted, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::start_donation(&state, &service::RequestInfo::current(), &form).await?)
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
