//! The public home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::campaigns::CampaignCard;
use crate::error::AppError;
use crate::payments::WaysToGive;

#[cfg(feature = "ssr")]
pub mod stats;
pub mod ui;

/// Active campaigns the home page shows, newest first.
pub const HOME_CAMPAIGNS: i64 = 12;

/// What the home page shows: who runs the site, who is visiting, and what they can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeInfo {
    pub organisation_name: String,
    /// A line on what the organisation does.
    pub organisation_description: String,
    pub signed_in: Option<CurrentUser>,
    pub campaigns: Vec<CampaignCard>,
    pub giving: WaysToGive,
    /// Whether any impact story is published (the home page then links to them).
    pub stories: bool,
    /// Whether any video is published (the home page then links to them).
    pub videos: bool,
}

#[server(prefix = "/api", endpoint = "home")]
pub async fn load_home() -> Result<HomeInfo, AppError> {
    let state = crate::state::app_state()?;
    let db = &state.db;
    let internal = crate::auth::internal;
    Ok(HomeInfo {
        organisation_name: crate::settings::organisation_name(db).await.map_err(internal)?,
        organisation_description: crate::settings::organisation_description(db).await.map_err(internal)?,
        signed_in: crate::auth::current_user().await?,
        campaigns: crate::campaigns::service::active(db, HOME_CAMPAIGNS).await.map_err(internal)?,
        giving: crate::payments::service::ways_to_give(db).await.map_err(internal)?,
        stories: crate::stories::service::any_published(db).await.map_err(internal)?,
        videos: crate::media::service::any_published(db).await.map_err(internal)?,
    })
}

/// The organisation's name, for the header of the public pages.
#[server(prefix = "/api", endpoint = "organisation-name")]
pub async fn get_organisation_name() -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    crate::settings::organisation_name(&state.db).await.map_err(crate::auth::internal)
}

/// A count the home page shows: "1,204 volunteer sign-ups".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub value: i64,
    /// What is counted, plural ("volunteer sign-ups").
    pub label: String,
}

/// Something that just happened, as the public may see it: no names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestItem {
    pub text: String,
    /// "5 minutes ago".
    pub ago: String,
}

/// What the movement has done, kept by the `live-stats` listener: its counters and the
/// latest things done, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStats {
    pub counters: Vec<Counter>,
    pub latest: Vec<LatestItem>,
}

/// How many of the latest items the home page lists.
pub const HOME_LATEST: usize = 8;

#[server(prefix = "/api", endpoint = "home/stats")]
pub async fn load_live_stats() -> Result<LiveStats, AppError> {
    let state = crate::state::app_state()?;
    stats::read(&state.db, HOME_LATEST, crate::db::now_unix()).await.map_err(crate::auth::internal)
}
