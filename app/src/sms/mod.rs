//! Text messages (SPEC §2 "sms"): the texts people send the group's Twilio number. Twilio
//! posts each one to `/api/webhooks/sms`; it is checked (Twilio's signature), kept once,
//! matched to the contact with that phone number, classified (a question, unhappy, happy or
//! neither), and published as `sms.message.received` — team chat hears of questions and
//! unhappy ones, the contact's timeline of every one. An opt-out word (STOP…) marks the number
//! as not wanting texts until it sends START. Admins read them at `/admin/sms`, and send a
//! text campaign to every contact with a usable number (of one tag, or all) from
//! `/admin/sms/campaigns` (`sms.campaign.started`, `sms.message.sent` per text,
//! `sms.campaign.completed`). Twilio reports whether each text sent was delivered to
//! `/api/webhooks/sms/status` (`sms.message.delivery`). Pictures sent with a text (MMS) are
//! fetched from Twilio for admins at `MEDIA_ROUTE`. Twilio's settings are on the
//! integrations page. Shared types and
//! server functions here, receiving and the inbox in `service.rs`, campaigns in
//! `campaigns.rs`, Twilio's API in `twilio.rs`, the pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod campaigns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod twilio;
pub mod ui;

/// Who reads the texts (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

/// Where Twilio posts incoming messages.
pub const WEBHOOK_PATH: &str = "/api/webhooks/sms";
/// Where Twilio reports whether each text sent was delivered.
pub const STATUS_PATH: &str = "/api/webhooks/sms/status";
/// Where admins fetch a file sent with a text (the server fetches it from Twilio).
pub const MEDIA_ROUTE: &str = "/api/sms/media/{message_id}/{position}";
/// The most files Twilio sends with one text.
pub const MEDIA_MAX: usize = 10;

/// The address of the file at `position` (from 0) sent with text `message_id`.
pub fn media_path(message_id: &str, position: i64) -> String {
    format!("/api/sms/media/{message_id}/{position}")
}

pub const NAME_MAX_CHARS: usize = 200;
/// The longest text Twilio takes (ten segments), the opt-out line included.
pub const BODY_MAX_CHARS: usize = 1_600;
pub const TAG_MAX_CHARS: usize = 100;

/// Put at the end of a campaign's text, unless it already says how to stop them.
pub const OPT_OUT_LINE: &str = "Reply STOP to stop these texts.";

/// The text a campaign sends: the message, and how to stop them unless it says so already.
pub fn campaign_text(body: &str) -> String {
    if body.to_lowercase().contains("stop") { body.to_string() } else { format!("{body}\n\n{OPT_OUT_LINE}") }
}

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
    /// Pictures and other files sent with it (MMS), in the order sent.
    pub media: Vec<SmsMedia>,
    /// What admins replied, oldest first.
    pub replies: Vec<SmsReply>,
    /// Nobody has answered it: no reply has gone to its number since it came, and nobody
    /// marked it done.
    pub waiting: bool,
    /// Why it needs no answer when nobody replied: "Marked done by Ana, 2026-12-06 10:46 GMT".
    pub done: Option<String>,
    /// The latest campaign text sent to the number before this came: what a "Yes" says yes to.
    pub after_campaign: Option<SmsCampaignText>,
}

/// A campaign's text as one number got it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsCampaignText {
    pub campaign_id: String,
    pub name: String,
    pub body: String,
    pub sent_at: String,
}

/// A file sent with a text: its type (`image/jpeg`) and where admins fetch it (`media_path`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsMedia {
    pub content_type: String,
    pub path: String,
}

/// An admin's reply to a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsReply {
    pub body: String,
    pub sent_at: String,
    /// "Delivered", "Not delivered (Twilio error 30003)", or empty until Twilio reports.
    pub delivery: String,
}

/// The inbox's filter: one sentiment (empty for all), only the texts waiting for an answer,
/// words in the text, the number or the contact's name; the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsFilter {
    pub sentiment: String,
    pub waiting: bool,
    pub search: String,
    pub page: i64,
}

/// The longest search the inbox takes.
pub const SEARCH_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsPage {
    pub rows: Vec<SmsMessage>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
    /// Texts waiting for an answer, of every kind (not only those shown).
    pub waiting: i64,
    /// Whether Twilio is set up and on: texts are being received.
    pub receiving: bool,
}

#[cfg(feature = "ssr")]
impl From<service::SmsError> for AppError {
    fn from(err: service::SmsError) -> AppError {
        use service::SmsError;
        match err {
            SmsError::Invalid(errors) => AppError::Invalid(errors),
            SmsError::NotFound(what) => AppError::NotFound(what.into()),
            SmsError::Conflict(why) => AppError::Conflict(why.into()),
            SmsError::Unavailable(why) => AppError::Unavailable(why),
            SmsError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// The texts received, newest first, 25 a page.
#[server(prefix = "/api", endpoint = "sms/messages")]
pub async fn list_sms_messages(#[server(default)] filter: SmsFilter) -> Result<SmsPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &state.secret_key, &filter).await?)
}

/// Marks a text done, needing no answer (`done`), or waiting for one again.
#[server(prefix = "/api", endpoint = "sms/mark-done")]
pub async fn mark_sms_done(message_id: String, done: bool) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::mark_done(&state.db, &user.id, &message_id, done).await?)
}

/// A new text campaign as typed: a name for the list, the tag of who gets it (empty for
/// every contact with a number), and the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsCampaignForm {
    pub name: String,
    #[serde(default)]
    pub tag: String,
    pub body: String,
}

/// Who a campaign to a tag (or everyone) would reach, and who it would leave out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsAudience {
    /// Numbers it goes to (each once, however many contacts share it).
    pub recipients: i64,
    /// Contacts whose phone is not a number texts can go to.
    pub unusable: i64,
    /// Contacts whose number texted STOP.
    pub opted_out: i64,
}

/// A campaign as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsCampaign {
    pub id: String,
    pub name: String,
    pub body: String,
    pub tag: String,
    /// SENDING or COMPLETED.
    pub status: String,
    pub recipients: i64,
    pub sent: i64,
    pub failed: i64,
    /// Of those sent, how many Twilio reported delivered, and not delivered.
    pub delivered: i64,
    pub undelivered: i64,
    pub started_at: String,
    /// The job sending it, to follow.
    pub job_id: Option<String>,
    /// Its sending stopped with the server, and can go on.
    pub can_resume: bool,
}

/// A recipient a campaign's text did not reach (not sent, or reported not delivered), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsFailure {
    pub phone: String,
    pub contact_id: String,
    pub contact_name: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsCampaignDetail {
    pub campaign: SmsCampaign,
    pub failures: Vec<SmsFailure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsCampaignPage {
    pub rows: Vec<SmsCampaign>,
    pub page: i64,
    pub has_more: bool,
}

/// Replies to a text, from the group's Twilio number.
#[server(prefix = "/api", endpoint = "sms/reply")]
pub async fn reply_to_sms(message_id: String, body: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::reply(&state, &actor, &message_id, &body).await?)
}

/// Who a campaign to `tag` (empty: everyone) would reach.
#[server(prefix = "/api", endpoint = "sms/audience")]
pub async fn count_sms_audience(#[server(default)] tag: String) -> Result<SmsAudience, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(campaigns::audience_counts(&state.db, &state.secret_key, &tag).await?)
}

/// Starts sending a text campaign; answers with its id.
#[server(prefix = "/api", endpoint = "sms/start-campaign")]
pub async fn start_sms_campaign(form: SmsCampaignForm) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(campaigns::start(&state, &actor, &form).await?)
}

/// Goes on sending a campaign whose sending stopped with the server.
#[server(prefix = "/api", endpoint = "sms/resume-campaign")]
pub async fn resume_sms_campaign(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(campaigns::resume(&state, &actor, &id).await?)
}

/// The campaigns, newest first, 20 a page.
#[server(prefix = "/api", endpoint = "sms/campaigns")]
pub async fn list_sms_campaigns(#[server(default)] page: i64) -> Result<SmsCampaignPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(campaigns::list(&state.db, page).await?)
}

#[server(prefix = "/api", endpoint = "sms/campaign")]
pub async fn get_sms_campaign(id: String) -> Result<SmsCampaignDetail, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(campaigns::detail(&state.db, &id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaigns_text_says_how_to_stop_them_once() {
        assert_eq!(campaign_text("Rally at noon!"), format!("Rally at noon!\n\n{OPT_OUT_LINE}"));
        assert_eq!(
            campaign_text("Rally at noon! Text STOP to opt out"),
            "Rally at noon! Text STOP to opt out"
        );
    }
}
