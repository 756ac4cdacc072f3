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

#[server(prefix = "/api", endpoint = "home")]
pub async fn load_home() -> Result<HomeInfo, AppError> {
    let state = crate::state::app_state()?;
    let organisation_name =
        crate::settings::organisation_name(&state.db).await.map_err(crate::auth::internal)?;
    Ok(HomeInfo { organisation_name, signed_in: crate::auth::current_user().await? })
}

/// The organisation's name, for the header of the public pages.
#[server(prefix = "/api", endpoint = "organisation-name")]
pub async fn get_organisation_name() -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    crate::settings::organisation_name(&state.db).await.map_err(crate::auth::internal)
}
