//! Outgoing email, used by every module: SMTP settings (the password encrypted at rest and
//! never shown again), a queue in the database written in the same transaction as the change
//! that causes an email, and a background worker that sends with retries. Without SMTP
//! settings everything works and the queue shows the emails as not sent.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who manages email settings and the queue.
pub const MANAGERS: &[Role] = &[Role::SuperAdmin, Role::Admin];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP: only for a relay on the same machine or network.
    None,
    /// Upgrade with STARTTLS (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }

    pub fn parse(text: &str) -> Option<TlsMode> {
        [TlsMode::None, TlsMode::Starttls, TlsMode::Tls].into_iter().find(|m| m.as_str() == text)
    }
}

/// The SMTP settings as an admin sees them: the password only as "set" or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password_set: bool,
    pub from_name: String,
    pub from_address: String,
    /// How many times the settings have been saved: the form sends it back, so that a save
    /// over someone else's newer one is refused.
    pub edits: i64,
}

impl EmailSettings {
    /// Whether there is enough to send: a host and a sender address.
    pub fn is_configured(&self) -> bool {
        !self.host.is_empty() && !self.from_address.is_empty()
    }
}

/// The settings form as typed. A blank password keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailSettingsForm {
    pub host: String,
    pub port: String,
    pub tls: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// Forget the stored password.
    #[serde(default)]
    pub clear_password: bool,
    #[serde(default)]
    pub from_name: String,
    pub from_address: String,
    /// The `edits` the form was opened with; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailStatus {
    Pending,
    Sent,
    Failed,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "PENDING",
            EmailStatus::Sent => "SENT",
            EmailStatus::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<EmailStatus> {
        [EmailStatus::Pending, EmailStatus::Sent, EmailStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One queued email as the queue page shows it (never its body: it may hold private links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedEmail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub status: EmailStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When it was queued and sent, in the organisation's time zone ("2026-11-29 10:46 GMT").
    pub queued: String,
    pub sent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailQueuePage {
    pub emails: Vec<QueuedEmail>,
    pub page: i64,
    pub has_more: bool,
    /// Without SMTP settings nothing is sent; the page says so.
    pub smtp_configured: bool,
}

#[cfg(feature = "ssr")]
impl From<service::EmailError> for AppError {
    fn from(err: service::EmailError) -> AppError {
        use service::EmailError;
        match err {
            EmailError::Invalid(errors) => AppError::Invalid(errors),
            EmailError::NotConfigured => {
                AppError::Conflict("Email is not set up yet: save the SMTP settings first.".into())
            }
            EmailError::Send(message) => {
                AppError::Conflict(format!("The email could not be sent: {message}"))
            }
            EmailError::NotFound => AppError::NotFound("There is no such email.".into()),
            EmailError::SavedSince => AppError::settings_changed_meanwhile("the email settings"),
            EmailError::Database(e) => crate::auth::internal(e),
        }
    }
}

#[server(prefix = "/api", endpoint = "email/settings")]
pub async fn get_email_settings() -> Result<EmailSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::load_settings(&state.db, &state.secret_key)
        .await
        .map(|s| s.view())
        .map_err(crate::auth::internal)
}

#[server(prefix = "/api", endpoint = "email/save-settings")]
pub async fn save_email_settings(form: EmailSettingsForm) -> Result<EmailSettings, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::save_settings(&state.db, &state.secret_key, &form).await?)
}

/// Sends one email now with the saved settings and reports what the SMTP server said.
#[server(prefix = "/api", endpoint = "email/test")]
pub async fn send_test_email(to: String) -> Result<(), AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::send_test(&state.db, &state.secret_key, &to).await?)
}

#[server(prefix = "/api", endpoint = "email/queue")]
pub async fn list_email_queue(
    #[server(default)] status: Option<String>,
    #[server(default)] page: i64,
) -> Result<EmailQueuePage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &state.secret_key, status.as_deref(), page).await?)
}

/// Sends a failed or waiting email again as soon as the worker can.
#[server(prefix = "/api", endpoint = "email/retry")]
pub async fn retry_email(id: String) -> Result<(), AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::retry(&state.db, &id).await?)
}
