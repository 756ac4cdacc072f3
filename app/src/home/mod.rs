//! The public home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::campaigns::CampaignCard;
use crate::error::AppError;
use crate::payments::WaysToGive;

pub mod ui;

/// Active campaigns the home page shows, newest first.
pub const HOME_CAMPAIGNS: i64 = 12;

/// What the home page shows: who runs the site, who is visiting, and what they can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeInfo {
    pub organisation_name: String,
    pub signed_in: Option<CurrentUser>,
    pub campaigns: Vec<CampaignCard>,
    pub giving: WaysToGive,
}

#[server(prefix = "/api", endpoint = "home")]
pub async fn load_home() -> Result<HomeInfo, AppError> {
    let state = crate::state::app_state()?;
    let db = &state.db;
    let internal = crate::auth::internal;
    Ok(HomeInfo {
        organisation_name: crate::settings::organisation_name(db).await.map_err(internal)?,
        signed_in: crate::auth::current_user().await?,
        campaigns: crate::campaigns::service::active(db, HOME_CAMPAIGNS).await.map_err(internal)?,
        giving: crate::payments::service::ways_to_give(db).await.map_err(internal)?,
    })
}

/// The organisation's name, for the header of the public pages.
#[server(prefix = "/api", endpoint = "organisation-name")]
pub async fn get_organisation_name() -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    crate::settings::organisation_name(&state.db).await.map_err(crate::auth::internal)
}
