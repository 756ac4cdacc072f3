//! The public home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::AppError;

pub mod ui;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeInfo {
    pub organisation_name: String,
    pub signed_in: Option<CurrentUser>,
}

/// The name shown when setup has not named the organisation yet.
pub const DEFAULT_ORGANISATION_NAME: &str = "Changemaker";

#[server(prefix = "/api", endpoint = "home")]
pub async fn load_home() -> Result<HomeInfo, AppError> {
    let state = crate::state::app_state()?;
    let name = crate::settings::get(&state.db, crate::settings::ORGANISATION_NAME)
        .await
        .map_err(crate::auth::internal)?;
    Ok(HomeInfo {
        organisation_name: name.unwrap_or_else(|| DEFAULT_ORGANISATION_NAME.to_string()),
        signed_in: crate::auth::current_user().await?,
    })
}
