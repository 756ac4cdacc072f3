//! Re-engagement (SPEC §2 "reengagement"): a win-back email to contacts with no activity for
//! a while, sent through the email queue as a background job, never twice to one contact
//! within the configured window. Shared types and server functions here, rules in
//! `service.rs`, the page in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who chooses and writes to lapsed contacts (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

/// The placeholders a win-back email may use.
pub const PLACEHOLDERS: &[&str] = &["name", "organisation"];

/// Idle periods an admin may choose, in days.
pub const IDLE_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;
/// Windows an admin may set, in days.
pub const WINDOW_DAYS: std::ops::RangeInclusive<i64> = 1..=365;
/// The window until an admin sets one.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// A contact the preview lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleContact {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `YYYY-MM-DD`, the organisation's day: their last activity, or when they were added if they have none.
    pub last_active: String,
}

/// Who a send would reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdlePreview {
    pub idle_days: i64,
    pub window_days: i64,
    pub count: i64,
    /// As idle and outside the window, but unsubscribed: left out.
    pub unsubscribed: i64,
    /// The longest idle first, at most 50.
    pub contacts: Vec<IdleContact>,
    /// For previewing placeholders.
    pub organisation: String,
}

/// The win-back email.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReengagementForm {
    pub idle_days: i64,
    pub subject: String,
    pub message: String,
}

/// The email a contact gets: `template` with `{{name}}` and `{{organisation}}` filled. The
/// page's preview and the send share it.
pub fn render(template: &str, name: &str, organisation: &str) -> String {
    crate::template::fill(template, &[("name", name), ("organisation", organisation)])
}

/// The email's text as a contact gets it: the message, then the link to get no more (bulk
/// email must offer one; `link` is their own).
pub fn with_unsubscribe_link(message: &str, organisation: &str, link: &str) -> String {
    format!("{}\n\n--\nTo get no more emails like this from {organisation}: {link}\n", message.trim_end())
}

/// Contacts idle for `idle_days` and not re-engaged within the window.
#[server(prefix = "/api", endpoint = "reengagement/preview")]
pub async fn preview_reengagement(idle_days: i64) -> Result<IdlePreview, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::preview(&state.db, idle_days).await?)
}

/// Starts sending the email to everyone the preview lists; answers with the job to follow.
#[server(prefix = "/api", endpoint = "reengagement/send")]
pub async fn send_reengagement(form: ReengagementForm) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::start_send(&state.bus, &state.secret_key, &actor, &form).await?)
}

/// How many days must pass before a contact may be re-engaged again.
#[server(prefix = "/api", endpoint = "reengagement/window")]
pub async fn load_reengagement_window() -> Result<i64, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::window_days(&state.db).await.map_err(crate::auth::internal)
}

#[server(prefix = "/api", endpoint = "reengagement/window/save")]
pub async fn save_reengagement_window(days: String) -> Result<i64, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_window(&state.db, &actor, &days).await?)
}

#[cfg(feature = "ssr")]
impl From<service::ReengagementError> for AppError {
    fn from(err: service::ReengagementError) -> AppError {
        use service::ReengagementError;
        match err {
            ReengagementError::Invalid(errors) => AppError::Invalid(errors),
            ReengagementError::Database(e) => crate::auth::internal(e),
        }
    }
}
