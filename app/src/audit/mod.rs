//! The admin audit log: who did what to which thing (an account made, a contact erased, a
//! shift deleted), written in the same transaction as the change (`service::record`) and read
//! at `/admin/audit`. The payment audit log is filtered the same way (`AuditFilter`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Roles that may read the admin audit log: those who watch the event bus, which tells the
/// same changes.
pub const VIEWERS: &[crate::users::Role] = crate::observability::VIEWERS;

/// An audit log's filters: part of the action (`user.` finds every account change), the actor
/// (exact, as a row names it), a range of the organisation's days. Each may be left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminAuditRow {
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub at: String,
    /// `user:<id>` or `system`, as the filter takes it.
    pub actor: String,
    /// Who that is: the account's name, "System".
    pub actor_name: String,
    pub action: String,
    /// What it was done to, as the action names it: an email, a title, an address.
    pub entity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminAuditPage {
    pub rows: Vec<AdminAuditRow>,
    pub page: i64,
    pub has_more: bool,
}

/// A page of the admin audit log, newest first.
#[server(prefix = "/api", endpoint = "audit/log")]
pub async fn load_admin_audit_log(
    #[server(default)] filter: AuditFilter,
) -> Result<AdminAuditPage, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::admin_log(&state.db, &filter).await?)
}

#[cfg(feature = "ssr")]
impl From<service::LogError> for AppError {
    fn from(err: service::LogError) -> AppError {
        match err {
            service::LogError::Invalid(errors) => AppError::Invalid(errors),
            service::LogError::Database(e) => crate::auth::internal(e),
        }
    }
}
