//! Videos (SPEC §2 "media"): admins upload a video's file to Changemaker (kept in the data
//! directory) or give the address of a file kept elsewhere, publish it to `/videos`, and take
//! it back.
//! Publishing and taking back publish `video.published` and `video.unpublished` (team chat
//! announces the first); a play counts as a view once per viewer a day and publishes
//! `video.viewed` (the contact's timeline and engagement score take it). Shared types and
//! server functions here, rules in `service.rs`, pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod captions;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod mp4;
#[cfg(feature = "ssr")]
pub mod pictures;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who adds and publishes videos (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 5_000;
pub const URL_MAX_CHARS: usize = 2_000;
/// The longest address (`/videos/<slug>`).
pub const SLUG_MAX_CHARS: usize = 80;
/// The longest captions: a two-hour film's run to about 150,000 characters.
pub const CAPTIONS_MAX_CHARS: usize = 200_000;
/// Where uploaded video files are served from, by their stored name.
pub const FILES_PATH: &str = "/media/videos";
/// Where uploaded pictures (stories', videos' posters) are served from, by their stored name.
pub const PICTURES_PATH: &str = "/media/pictures";
/// The route a video's file is uploaded to (`multipart/form-data`, one field `file`).
pub const UPLOAD_ROUTE: &str = "/api/videos/{id}/file";
/// The route a video's poster picture is uploaded to (`multipart/form-data`, one field `file`).
pub const POSTER_ROUTE: &str = "/api/videos/{id}/poster";

/// The route an admin's preview player reads a video's saved captions from, draft or not.
pub const CAPTIONS_PREVIEW_ROUTE: &str = "/api/videos/{id}/captions-preview.vtt";

/// Where the admin page's player reads video `id`'s captions; `edits` (how many times they
/// were saved) makes each saved version a new address, so the player never shows an old one.
pub fn captions_preview_path(id: &str, edits: i64) -> String {
    format!("{}?v={edits}", CAPTIONS_PREVIEW_ROUTE.replace("{id}", id))
}

/// The address video `id`'s file is uploaded to.
pub fn upload_path(id: &str) -> String {
    UPLOAD_ROUTE.replace("{id}", id)
}

/// The address video `id`'s poster is uploaded to.
pub fn poster_upload_path(id: &str) -> String {
    POSTER_ROUTE.replace("{id}", id)
}

/// Where the uploaded picture stored as `name` is served.
pub fn picture_path(name: &str) -> String {
    format!("{PICTURES_PATH}/{name}")
}

/// Whether a request's path is a file upload (a video's, its poster, a story's picture), which
/// has its own body size limit.
pub fn is_upload_path(path: &str) -> bool {
    let upload = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    };
    upload("/api/videos/", "/file")
        || upload("/api/videos/", "/poster")
        || upload("/api/stories/", "/picture")
}

/// A video as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// The address of a video file kept elsewhere; empty when there is none.
    pub video_url: String,
    /// The file uploaded to Changemaker, which is played rather than `video_url`.
    pub file: Option<VideoFile>,
    pub published: bool,
    /// The local day it was published, while it is.
    pub published_on: Option<String>,
    /// Views counted: once per viewer a day.
    pub views: i64,
    /// How many times it was saved; the edit form sends it back.
    pub edits: i64,
    /// The language tag of its captions (`en`, `fr-CA`); `None` while it has none.
    pub captions_language: Option<String>,
    /// The stored name of its poster picture, shown before it plays and in shared links.
    pub poster: Option<String>,
}

/// A video file uploaded to Changemaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFile {
    /// Its name in the data directory, random: `/media/videos/<name>`.
    pub name: String,
    /// Its name on the uploader's computer, shown to admins.
    pub original_name: String,
    pub bytes: i64,
}

impl Video {
    /// What the player plays: the uploaded file, else the address given; empty with neither.
    pub fn source(&self) -> String {
        match &self.file {
            Some(file) => format!("{FILES_PATH}/{}", file.name),
            None => self.video_url.clone(),
        }
    }

    /// Where its poster picture is served, while it has one.
    pub fn poster_path(&self) -> Option<String> {
        self.poster.as_deref().map(picture_path)
    }

    /// Where the player reads the published video's captions from.
    pub fn captions_path(&self) -> String {
        CAPTIONS_ROUTE.replace("{slug}", &self.slug)
    }
}

/// The route a published video's captions are served from, as WebVTT.
pub const CAPTIONS_ROUTE: &str = "/api/videos/{slug}/captions.vtt";

/// A video's captions as the admin's form shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoCaptions {
    /// WebVTT; empty while there are none.
    pub text: String,
    /// Their language tag; `en` until captions are saved.
    pub language: String,
    /// How many times they were saved; the form sends it back.
    pub edits: i64,
}

/// The captions form as typed: WebVTT or SubRip, or nothing to remove them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptionsForm {
    #[serde(default)]
    pub captions: String,
    #[serde(default)]
    pub language: String,
    /// The captions' `edits` when the form was opened: a save is refused if someone else
    /// saved them since, so that it cannot undo their corrections unseen.
    pub edits: i64,
}

/// The edit form as typed; an empty slug is made from the title.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoForm {
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    pub video_url: String,
    /// Editing: the video's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the video since, so that it cannot undo their changes unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The admin list's filter: part of the title, the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoFilter {
    pub search: String,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoPage {
    pub rows: Vec<Video>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
}

#[cfg(feature = "ssr")]
impl From<service::VideoError> for AppError {
    fn from(err: service::VideoError) -> AppError {
        use service::VideoError;
        match err {
            VideoError::Invalid(errors) => AppError::Invalid(errors),
            VideoError::NotFound => AppError::NotFound("There is no such video.".into()),
            VideoError::Conflict(why) => AppError::Conflict(why.into()),
            VideoError::ChangedMeanwhile => AppError::changed_meanwhile("this video", "Reload the page"),
            VideoError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// Every video, drafts and published, last changed first.
#[server(prefix = "/api", endpoint = "videos/list")]
pub async fn list_videos(#[server(default)] filter: VideoFilter) -> Result<VideoPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter, false).await?)
}

#[server(prefix = "/api", endpoint = "videos/get")]
pub async fn get_video(id: String) -> Result<Video, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::find(&state.db, "id", &id, false).await?)
}

/// Creates a draft (empty `id`) or updates a video.
#[server(prefix = "/api", endpoint = "videos/save")]
pub async fn save_video(#[server(default)] id: String, form: VideoForm) -> Result<Video, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save(&state.bus, &actor, &id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/admin/videos/{}", saved.id));
    Ok(saved)
}

/// Publishes a draft, or takes a published video back to draft (`publish` false).
#[server(prefix = "/api", endpoint = "videos/publish")]
pub async fn publish_video(id: String, publish: bool) -> Result<Video, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::set_published(&state.bus, &actor, &id, publish, crate::db::now_unix()).await?)
}

/// Removes a video's uploaded file: it plays its address again.
#[server(prefix = "/api", endpoint = "videos/remove-file")]
pub async fn remove_video_file(id: String) -> Result<Video, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::remove_file(&state.bus, &state.video_files, &actor, &id).await?)
}

/// Removes a video's poster picture: the player shows the video's first frame again.
#[server(prefix = "/api", endpoint = "videos/remove-poster")]
pub async fn remove_video_poster(id: String) -> Result<Video, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::remove_poster(&state.bus, &state.picture_files, &actor, &id).await?)
}

/// Video `id`'s captions, for their form.
#[server(prefix = "/api", endpoint = "videos/captions")]
pub async fn get_video_captions(id: String) -> Result<VideoCaptions, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::captions(&state.db, &id).await?)
}

/// Saves video `id`'s captions, pasted as WebVTT or SubRip; empty captions remove them.
#[server(prefix = "/api", endpoint = "videos/save-captions")]
pub async fn save_video_captions(id: String, form: CaptionsForm) -> Result<VideoCaptions, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save_captions(&state.bus, &actor, &id, &form).await?;
    crate::request::after_plain_form_post(&format!("/admin/videos/{id}"));
    Ok(saved)
}

#[server(prefix = "/api", endpoint = "videos/delete")]
pub async fn delete_video(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::delete(&state.bus, &state.video_files, &state.picture_files, &actor, &id).await?)
}

/// Published videos, newest first, for `/videos`.
#[server(prefix = "/api", endpoint = "videos/public")]
pub async fn public_videos(#[server(default)] page: i64) -> Result<VideoPage, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &VideoFilter { search: String::new(), page }, true).await?)
}

/// A published video by its address.
#[server(prefix = "/api", endpoint = "videos/public-one")]
pub async fn public_video(slug: String) -> Result<Video, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::find(&state.db, "slug", &slug, true).await?)
}

/// The transcript of a published video, read from its captions, in paragraphs; empty when it
/// has none.
#[server(prefix = "/api", endpoint = "videos/transcript")]
pub async fn video_transcript(slug: String) -> Result<Vec<String>, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::public_transcript(&state.db, &slug).await?)
}

/// Counts a view of a published video when its player starts: once per viewer (the signed-in
/// user, or else the client's address) a day. Answers whether this play counted.
#[server(prefix = "/api", endpoint = "videos/viewed")]
pub async fn count_video_view(slug: String) -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    let viewer = match crate::auth::current_user().await? {
        Some(user) => service::Viewer::User { id: user.id, email: user.email },
        None => service::Viewer::Address(crate::request::client_ip()),
    };
    Ok(service::count_view(&state.bus, &slug, &viewer, crate::db::now_unix()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_path_is_one_with_its_own_body_limit() {
        for path in ["/api/videos/v1/file", "/api/videos/v1/poster", "/api/stories/s1/picture"] {
            assert!(is_upload_path(path), "{path}");
        }
        for path in [
            "/api/videos//file",
            "/api/videos/a/b/poster",
            "/api/videos/v1/picture",
            "/api/stories/s1/file",
            "/api/videos/v1/file/more",
            "/api/videos/save",
        ] {
            assert!(!is_upload_path(path), "{path}");
        }
    }
}
