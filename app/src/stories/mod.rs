//! Impact stories (SPEC §2 "social"): short accounts of what the group achieved, written by
//! admins as drafts and published to `/stories`, where supporters read and share them.
//! Publishing one publishes `social.impact-story.published` (team chat announces it). Shared
//! types and server functions here, rules in `service.rs`, pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who writes and publishes stories (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

pub const TITLE_MAX_CHARS: usize = 200;
pub const SUMMARY_MAX_CHARS: usize = 300;
pub const BODY_MAX_CHARS: usize = 20_000;
/// The longest address (`/stories/<slug>`).
pub const SLUG_MAX_CHARS: usize = 80;
/// The longest description of a picture, for those who cannot see it.
pub const PICTURE_ALT_MAX_CHARS: usize = 300;
/// The route a story's picture is uploaded to (`multipart/form-data`: `alt`, then `file`).
pub const PICTURE_ROUTE: &str = "/api/stories/{id}/picture";

/// The address story `id`'s picture is uploaded to.
pub fn picture_upload_path(id: &str) -> String {
    PICTURE_ROUTE.replace("{id}", id)
}

/// A story as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub published: bool,
    /// The local day it was published, while it is.
    pub published_on: Option<String>,
    /// How many times it was saved; the edit form sends it back.
    pub edits: i64,
    /// The picture shown with it, on its page and in the list.
    pub picture: Option<StoryPicture>,
}

/// A story's picture, uploaded to Changemaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryPicture {
    /// Its name in the data directory, random: `/media/pictures/<name>`.
    pub name: String,
    /// What it shows, for those who cannot see it (the image's `alt`).
    pub alt: String,
    /// Its width and height in pixels, given to the browser to keep its room while it loads;
    /// `None` for a picture uploaded before they were kept, until its refit at the first start
    /// of the version that keeps them (`refit_earlier_pictures`).
    pub dimensions: Option<(u32, u32)>,
}

impl StoryPicture {
    /// Where the picture is served.
    pub fn path(&self) -> String {
        crate::media::picture_path(&self.name)
    }

    /// Its `width` and `height` attributes, when known.
    pub fn width(&self) -> Option<String> {
        self.dimensions.map(|(width, _)| width.to_string())
    }

    pub fn height(&self) -> Option<String> {
        self.dimensions.map(|(_, height)| height.to_string())
    }
}

/// The edit form as typed; an empty slug is made from the title.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryForm {
    pub title: String,
    #[serde(default)]
    pub slug: String,
    pub summary: String,
    pub body: String,
    /// Editing: the story's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the story since, so that it cannot undo their changes unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The admin list's filter: part of the title, the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoryFilter {
    pub search: String,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryPage {
    pub rows: Vec<Story>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
}

#[cfg(feature = "ssr")]
impl From<service::StoryError> for AppError {
    fn from(err: service::StoryError) -> AppError {
        use service::StoryError;
        match err {
            StoryError::Invalid(errors) => AppError::Invalid(errors),
            StoryError::NotFound => AppError::NotFound("There is no such story.".into()),
            StoryError::Conflict(why) => AppError::Conflict(why.into()),
            StoryError::ChangedMeanwhile => AppError::changed_meanwhile("this story", "Reload the page"),
            StoryError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// Every story, drafts and published, newest first.
#[server(prefix = "/api", endpoint = "stories/list")]
pub async fn list_stories(#[server(default)] filter: StoryFilter) -> Result<StoryPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter, false).await?)
}

#[server(prefix = "/api", endpoint = "stories/get")]
pub async fn get_story(id: String) -> Result<Story, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::find(&state.db, "id", &id, false).await?)
}

/// Creates a draft (empty `id`) or updates a story.
#[server(prefix = "/api", endpoint = "stories/save")]
pub async fn save_story(#[server(default)] id: String, form: StoryForm) -> Result<Story, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save(&state.bus, &actor, &id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/admin/stories/{}", saved.id));
    Ok(saved)
}

/// Publishes a draft, or takes a published story back to draft (`publish` false).
#[server(prefix = "/api", endpoint = "stories/publish")]
pub async fn publish_story(id: String, publish: bool) -> Result<Story, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let now = crate::db::now_unix();
    Ok(if publish {
        service::publish(&state.bus, &actor, &id, now).await?
    } else {
        service::unpublish(&state.bus, &actor, &id).await?
    })
}

/// Changes what a story's picture is said to show (its `alt`).
#[server(prefix = "/api", endpoint = "stories/describe-picture")]
pub async fn describe_story_picture(id: String, alt: String) -> Result<Story, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::describe_picture(&state.bus, &actor, &id, &alt).await?)
}

/// Removes a story's picture.
#[server(prefix = "/api", endpoint = "stories/remove-picture")]
pub async fn remove_story_picture(id: String) -> Result<Story, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::remove_picture(&state.bus, &state.picture_files, &actor, &id).await?)
}

#[server(prefix = "/api", endpoint = "stories/delete")]
pub async fn delete_story(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete(&state.bus, &state.picture_files, &crate::events::Actor::User(user.id), &id).await?)
}

/// Published stories, newest first, for `/stories`.
#[server(prefix = "/api", endpoint = "stories/public")]
pub async fn public_stories(#[server(default)] page: i64) -> Result<StoryPage, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &StoryFilter { search: String::new(), page }, true).await?)
}

/// A published story by its address.
#[server(prefix = "/api", endpoint = "stories/public-one")]
pub async fn public_story(slug: String) -> Result<Story, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::find(&state.db, "slug", &slug, true).await?)
}
