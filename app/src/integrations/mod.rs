//! Outside services kept in step through the bus: the automation webhook (n8n or any receiver
//! of Standard Webhooks: every event, signed), team chat (Rocket.Chat: a message for the
//! events a team wants to hear about) and the public calendar (Gancio: public shifts and
//! ticketed events as calendar entries) and the newsletter (Listmonk: volunteers, supporters
//! and donors as subscribers on their lists; reports of opens, clicks, bounces and
//! unsubscribes received back) and text messages (Twilio: the texts people send the group's
//! number, received at `/api/webhooks/sms`; see `crate::sms`). Their listeners live in the server crate; this module holds
//! their settings and the page they are set on.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod newsletter;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who sets up integrations: the automation webhook is sent every event, donations and
/// contacts' details included, so only a super admin chooses where it goes.
pub const MANAGERS: &[Role] = &[Role::SuperAdmin];

/// The automation webhook's settings as an admin sees them: the signing secret masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomationSettings {
    pub enabled: bool,
    pub url: String,
    /// Masked, or empty when none is stored.
    pub secret: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The automation form as typed. A secret left empty or still showing its mask keeps the
/// stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomationSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub secret: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// Team chat's settings as an admin sees them: the webhook address masked, since it holds the
/// chat server's token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamChatSettings {
    pub enabled: bool,
    /// Masked, or empty when none is stored.
    pub webhook_url: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The team chat form as typed. An address left empty or still showing its mask keeps the
/// stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamChatSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub webhook_url: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The public calendar's settings as an admin sees them: the access token masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicCalendarSettings {
    pub enabled: bool,
    /// The Gancio instance's address, `https://calendar.example.org`.
    pub calendar_url: String,
    /// Masked, or empty when none is stored.
    pub token: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The public calendar form as typed. A token left empty or still showing its mask keeps the
/// stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicCalendarSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub calendar_url: String,
    #[serde(default)]
    pub token: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The newsletter's settings as an admin sees them: the API token and the reports secret
/// masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewsletterSettings {
    pub enabled: bool,
    /// The Listmonk instance's address, `https://news.example.org`.
    pub listmonk_url: String,
    /// The Listmonk API user's name.
    pub api_user: String,
    /// Masked, or empty when none is stored.
    pub api_token: String,
    /// The Listmonk lists people are put on, by name.
    pub volunteers_list: String,
    pub supporters_list: String,
    pub donors_list: String,
    /// What reports to `/api/webhooks/newsletter` authenticate with: masked, or empty when
    /// none is stored (reports are then refused).
    pub reports_secret: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The newsletter form as typed. A token or reports secret left empty or still showing its
/// mask keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewsletterSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub listmonk_url: String,
    #[serde(default)]
    pub api_user: String,
    #[serde(default)]
    pub api_token: String,
    #[serde(default)]
    pub volunteers_list: String,
    #[serde(default)]
    pub supporters_list: String,
    #[serde(default)]
    pub donors_list: String,
    #[serde(default)]
    pub reports_secret: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// Twilio's settings as an admin sees them: the auth token masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsSettings {
    pub enabled: bool,
    /// The Twilio account's SID, `AC` and 32 hexadecimal digits.
    pub account_sid: String,
    /// Masked, or empty when none is stored.
    pub auth_token: String,
    /// The Twilio number texts are sent from, `+15550001111`.
    pub from_number: String,
    /// The country calling code put before numbers written without one (`1`), or empty.
    pub country_code: String,
    /// The address to give Twilio for incoming messages (not a setting: this server's).
    pub webhook_url: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

/// The text messages form as typed. An auth token left empty or still showing its mask keeps
/// the stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsSettingsForm {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub account_sid: String,
    #[serde(default)]
    pub auth_token: String,
    #[serde(default)]
    pub from_number: String,
    #[serde(default)]
    pub country_code: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<service::IntegrationError> for AppError {
    fn from(err: service::IntegrationError) -> AppError {
        match err {
            service::IntegrationError::Invalid(errors) => AppError::Invalid(errors),
            service::IntegrationError::SavedSince(what) => AppError::settings_changed_meanwhile(what),
            service::IntegrationError::Database(e) => crate::auth::internal(e),
        }
    }
}

#[server(prefix = "/api", endpoint = "integrations/automation")]
pub async fn get_automation_settings() -> Result<AutomationSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_automation(&state.db, &state.secret_key)
        .await
        .map(|s| s.automation_view())
        .map_err(crate::auth::internal)
}

/// Saves the automation webhook's settings; answers with them as stored, the secret masked.
#[server(prefix = "/api", endpoint = "integrations/save-automation")]
pub async fn save_automation_settings(form: AutomationSettingsForm) -> Result<AutomationSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_automation(&state.db, &state.secret_key, &actor, &form).await?)
}

#[server(prefix = "/api", endpoint = "integrations/team-chat")]
pub async fn get_team_chat_settings() -> Result<TeamChatSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_team_chat(&state.db, &state.secret_key)
        .await
        .map(|s| s.view())
        .map_err(crate::auth::internal)
}

/// Saves team chat's settings; answers with them as stored, the address masked.
#[server(prefix = "/api", endpoint = "integrations/save-team-chat")]
pub async fn save_team_chat_settings(form: TeamChatSettingsForm) -> Result<TeamChatSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_team_chat(&state.db, &state.secret_key, &actor, &form).await?)
}

#[server(prefix = "/api", endpoint = "integrations/public-calendar")]
pub async fn get_public_calendar_settings() -> Result<PublicCalendarSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_public_calendar(&state.db, &state.secret_key)
        .await
        .map(|s| s.public_calendar_view())
        .map_err(crate::auth::internal)
}

/// Saves the public calendar's settings; answers with them as stored, the token masked.
#[server(prefix = "/api", endpoint = "integrations/save-public-calendar")]
pub async fn save_public_calendar_settings(
    form: PublicCalendarSettingsForm,
) -> Result<PublicCalendarSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_public_calendar(&state.db, &state.secret_key, &actor, &form).await?)
}

/// Adds every upcoming public shift that is not on the public calendar yet (those from before
/// it was turned on), as a background job; answers with the job's id.
#[server(prefix = "/api", endpoint = "integrations/add-upcoming-shifts")]
pub async fn add_upcoming_shifts() -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    calendar::start_adding_upcoming_shifts(&state.db, &state.secret_key, &actor, &state.public_url)
        .await
        .map_err(|err| match err {
            calendar::AddError::Database(e) => crate::auth::internal(e),
            other => AppError::Conflict(other.to_string()),
        })
}

#[server(prefix = "/api", endpoint = "integrations/newsletter")]
pub async fn get_newsletter_settings() -> Result<NewsletterSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_newsletter(&state.db, &state.secret_key)
        .await
        .map(|s| s.view())
        .map_err(crate::auth::internal)
}

/// Saves the newsletter's settings; answers with them as stored, the secrets masked.
#[server(prefix = "/api", endpoint = "integrations/save-newsletter")]
pub async fn save_newsletter_settings(form: NewsletterSettingsForm) -> Result<NewsletterSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_newsletter(&state.db, &state.secret_key, &actor, &form).await?)
}

/// Makes every contact who has volunteered, emailed a representative or given a subscriber
/// on their Listmonk lists (those from before the newsletter was turned on), as a background
/// job; answers with the job's id.
#[server(prefix = "/api", endpoint = "integrations/add-existing-contacts")]
pub async fn add_existing_contacts() -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    newsletter::start_adding_contacts(&state.db, &state.secret_key, &actor).await.map_err(|err| match err {
        newsletter::AddError::Database(e) => crate::auth::internal(e),
        other => AppError::Conflict(other.to_string()),
    })
}

#[server(prefix = "/api", endpoint = "integrations/sms")]
pub async fn get_sms_settings() -> Result<SmsSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_sms(&state.db, &state.secret_key)
        .await
        .map(|s| s.view(&state.public_url))
        .map_err(crate::auth::internal)
}

/// Saves Twilio's settings; answers with them as stored, the auth token masked.
#[server(prefix = "/api", endpoint = "integrations/save-sms")]
pub async fn save_sms_settings(form: SmsSettingsForm) -> Result<SmsSettings, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save_sms(&state.db, &state.secret_key, &actor, &form).await?;
    Ok(saved.view(&state.public_url))
}
