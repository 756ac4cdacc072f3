//! Text messages (SPEC §2 "sms"): the texts people send the group's Twilio number. Twilio
//! posts each one to `/api/webhooks/sms`; it is checked (Twilio's signature), kept once,
//! matched to the contact with that phone number, classified (a question, unhappy, happy or
//! neither), and published as `sms.message.received` — team chat hears of questions and
//! unhappy ones, the contact's timeline of every one. An opt-out word (STOP…) marks the number
//! as not wanting texts until it sends START. Admins read them at `/admin/sms`. Twilio's
//! settings are on the integrations page. Shared types and server functions here, rules in
//! `service.rs`, the page in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who reads the texts (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

/// Where Twilio posts incoming messages.
pub const WEBHOOK_PATH: &str = "/api/webhooks/sms";

/// What a text says about how its sender feels, as the inbox filters by it.
pub const SENTIMENTS: [(&str, &str); 4] =
    [("QUESTION", "Questions"), ("NEGATIVE", "Unhappy"), ("POSITIVE", "Happy"), ("NEUTRAL", "Neither")];

/// A text as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub id: String,
    /// When it came, in the organisation's zone: "2026-12-01 10:46 GMT".
    pub received_at: String,
    /// The sender's number as Twilio gives it (`+15551234567`).
    pub phone: String,
    pub body: String,
    /// QUESTION, NEGATIVE, POSITIVE or NEUTRAL.
    pub sentiment: String,
    /// The contact whose phone is this number, if any.
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    /// The number has texted an opt-out word (and not START since).
    pub opted_out: bool,
}

/// The inbox's filter: one sentiment (empty for all), the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsFilter {
    pub sentiment: String,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsPage {
    pub rows: Vec<SmsMessage>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
    /// Whether Twilio is set up and on: texts are being received.
    pub receiving: bool,
}

/// The texts received, newest first, 25 a page.
#[server(prefix = "/api", endpoint = "sms/messages")]
pub async fn list_sms_messages(#[server(default)] filter: SmsFilter) -> Result<SmsPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::list(&state.db, &state.secret_key, &filter).await.map_err(|err| match err {
        service::ListError::Invalid(errors) => AppError::Invalid(errors),
        service::ListError::Database(e) => crate::auth::internal(e),
    })
}
