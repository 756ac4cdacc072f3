//! Video rules (ssr only): checking and saving drafts, recording or removing an uploaded
//! file, publishing and taking back (with `video.published` / `video.unpublished`), deleting, the
//! lists, and counting views (with `video.viewed`).

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::captions::{is_language_tag, to_webvtt};
use super::files::{MediaFiles, Received};
use super::{CaptionsForm, Video, VideoCaptions, VideoFile, VideoFilter, VideoForm, VideoPage};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text, is_web_address};
use crate::events::catalog::{
    VideoCreated, VideoDeleted, VideoPublished, VideoUnpublished, VideoUpdated, VideoViewed,
};
use crate::events::{Actor, Event};
use crate::settings;
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("invalid video")]
    Invalid(Vec<FieldError>),
    #[error("no such video")]
    NotFound,
    #[error("refused: {0}")]
    Conflict(&'static str),
    /// The edit form was opened before someone else saved the video.
    #[error("the video was saved since the form was opened")]
    ChangedMeanwhile,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Videos on a page of a list.
pub const PAGE_SIZE: i64 = 20;

/// Who played a video, for counting a view once per viewer a day.
pub enum Viewer {
    /// A signed-in user; the view goes on the timeline of the contact with their email.
    User { id: String, email: String },
    /// Someone not signed in, by the client's address (stored only as a hash).
    Address(String),
}

/// The form trimmed, its slug made from the title when left empty, or what is wrong with it.
fn checked(form: &VideoForm) -> Result<VideoForm, Vec<FieldError>> {
    let title = form.title.trim().to_string();
    let slug = match form.slug.trim() {
        "" => crate::slug::from_title(&title, super::SLUG_MAX_CHARS),
        typed => typed.to_string(),
    };
    let video = VideoForm {
        title,
        slug,
        description: form.description.trim().to_string(),
        video_url: form.video_url.trim().to_string(),
        edits: form.edits,
    };
    let mut v = Validation::new();
    v.check(!video.title.is_empty(), "title", "Enter a title.");
    v.check(
        is_one_line(&video.title, super::TITLE_MAX_CHARS),
        "title",
        "Titles are one line of at most 200 characters.",
    );
    v.check(
        crate::slug::may_stand(&video.slug, &video.title, super::SLUG_MAX_CHARS),
        "slug",
        "Use 1 to 80 lower-case letters, digits and hyphens, like march-for-transit.",
    );
    v.check(
        is_plain_text(&video.description, super::DESCRIPTION_MAX_CHARS),
        "description",
        "The description can be at most 5,000 characters.",
    );
    v.check(
        video.video_url.is_empty() || is_web_address(&video.video_url, super::URL_MAX_CHARS, &["https"]),
        "video_url",
        "Give the https:// address of the video file (at most 2,000 characters), or leave it empty and upload the file.",
    );
    v.finish()?;
    Ok(video)
}

const COLUMNS: &str = "id, slug, title, description, video_url, status, view_count, published_at, \
                       file_name, file_original_name, file_bytes, edits, captions_language, poster_name";

fn video_from_row(row: &sqlx::any::AnyRow, zone: &Zone) -> Result<Video, sqlx::Error> {
    let published_at: Option<i64> = row.try_get("published_at")?;
    let file = match row.try_get::<Option<String>, _>("file_name")? {
        Some(name) => Some(VideoFile {
            name,
            original_name: row.try_get("file_original_name")?,
            bytes: row.try_get("file_bytes")?,
        }),
        None => None,
    };
    Ok(Video {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        video_url: row.try_get("video_url")?,
        file,
        published: row.try_get::<String, _>("status")? == "PUBLISHED",
        published_on: published_at.map(|at| zone.date(at)),
        views: row.try_get("view_count")?,
        edits: row.try_get("edits")?,
        captions_language: Some(row.try_get::<String, _>("captions_language")?).filter(|tag| !tag.is_empty()),
        poster: row.try_get("poster_name")?,
    })
}

/// The video whose `column` (`id` or `slug`) is `value`; with `published_only`, a draft is
/// not found.
pub async fn find(db: &Db, column: &str, value: &str, published_only: bool) -> Result<Video, VideoError> {
    let column = if column == "slug" { "slug" } else { "id" };
    let published = if published_only { " AND status = 'PUBLISHED'" } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM videos WHERE {column} = $1{published}"
    )))
    .bind(value)
    .fetch_optional(db.pool())
    .await?
    .ok_or(VideoError::NotFound)?;
    Ok(video_from_row(&row, &settings::time_zone(db).await?)?)
}

/// One page of videos found by title: every one, last changed first; or, with
/// `published_only`, the published ones, newest first.
pub async fn list(db: &Db, filter: &VideoFilter, published_only: bool) -> Result<VideoPage, VideoError> {
    let mut v = Validation::new();
    crate::error::check_search(&mut v, "search", &filter.search);
    v.finish().map_err(VideoError::Invalid)?;
    let status = published_only.then_some("PUBLISHED");
    let (conditions, binds) = db::title_and_status_conditions("title", &filter.search, "status", status);
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) FROM videos{conditions}"), &binds).await?;
    let order = if published_only { "published_at DESC, id" } else { "updated_at DESC, id" };
    let select = format!("SELECT {COLUMNS} FROM videos{conditions} ORDER BY {order}");
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows.iter().map(|r| video_from_row(r, &zone)).collect::<Result<Vec<_>, _>>()?;
    Ok(VideoPage { rows, page, has_more, count })
}

/// Whether any video is published.
pub async fn any_published(db: &Db) -> Result<bool, sqlx::Error> {
    let one: Option<String> = sqlx::query_scalar("SELECT id FROM videos WHERE status = 'PUBLISHED' LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(one.is_some())
}

/// Creates a draft (empty `id`, publishing `video.created`) or updates a video, published or
/// not (`video.updated`). An address another video has is refused, and so is an edit from a
/// form opened before someone else saved the video.
pub async fn save(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    form: &VideoForm,
    now: i64,
) -> Result<Video, VideoError> {
    let video = checked(form).map_err(VideoError::Invalid)?;
    let is_new = id.is_empty();
    let id = if is_new { uuid::Uuid::new_v4().to_string() } else { id.to_string() };
    // One statement writes either, its values bound in the same order.
    let sql = if is_new {
        "INSERT INTO videos (slug, title, description, video_url, updated_at, id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'DRAFT', $5) RETURNING status"
    } else {
        "UPDATE videos SET slug = $1, title = $2, description = $3, video_url = $4, updated_at = $5, \
         edits = edits + 1 WHERE id = $6 RETURNING status"
    };
    let mut tx = bus.db().begin_write().await?;
    if !is_new {
        let (missing, saved_since) = (VideoError::NotFound, VideoError::ChangedMeanwhile);
        db::check_edits(&mut tx, "videos", &id, video.edits, missing, saved_since).await?;
    }
    if !is_new && video.video_url.is_empty() && plays_only_its_address(&mut tx, &id).await? {
        let message = "This published video has no uploaded file and plays this address: keep it, or take the video back to draft first.";
        return Err(VideoError::Invalid(FieldError::only("video_url", message)));
    }
    let written: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(sql)
        .bind(&video.slug)
        .bind(&video.title)
        .bind(&video.description)
        .bind(&video.video_url)
        .bind(now)
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await;
    let status = match written {
        Ok(Some(status)) => status,
        Ok(None) => return Err(VideoError::NotFound),
        Err(e) if db::is_unique_violation(&e) => {
            let message = "Another video has this address; choose another.";
            return Err(VideoError::Invalid(FieldError::only("slug", message)));
        }
        Err(e) => return Err(e.into()),
    };
    let event = if is_new {
        Event::VideoCreated(VideoCreated { video_id: id.clone(), title: video.title })
    } else {
        updated_event(&id, video.title, &video.slug, status)
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", &id, false).await
}

/// `video.updated` for video `id` as it now is.
fn updated_event(id: &str, title: String, slug: &str, status: String) -> Event {
    Event::VideoUpdated(VideoUpdated {
        video_id: id.to_string(),
        title,
        url_path: format!("/videos/{slug}"),
        status,
    })
}

/// Whether video `id` is published without an uploaded file, so that its address is all it
/// plays. The row stays locked until the transaction ends.
async fn plays_only_its_address(tx: &mut Tx, id: &str) -> Result<bool, sqlx::Error> {
    let lock = db::for_update(tx);
    let row: Option<(String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, file_name FROM videos WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(matches!(&row, Some((status, None)) if status == "PUBLISHED"))
}

/// Publishes a draft (it shows on `/videos`, with `video.published`) or takes a published video
/// back to draft (with `video.unpublished`), the event in the same transaction. Asking for the
/// status it has is refused, and so is publishing a video with nothing to play.
pub async fn set_published(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    publish: bool,
    now: i64,
) -> Result<Video, VideoError> {
    let (sql, already) = if publish {
        (
            "UPDATE videos SET status = 'PUBLISHED', published_at = $1, updated_at = $1 \
             WHERE id = $2 AND status = 'DRAFT' AND (file_name IS NOT NULL OR video_url <> '') \
             RETURNING slug, title",
            "This video is already published.",
        )
    } else {
        (
            "UPDATE videos SET status = 'DRAFT', published_at = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'PUBLISHED' RETURNING slug, title",
            "This video is a draft already.",
        )
    };
    let mut tx = bus.db().begin_write().await?;
    let row = sqlx::query(sql).bind(now).bind(id).fetch_optional(&mut *tx).await?;
    let Some(row) = row else { return Err(refused(&mut tx, id, publish, already).await) };
    let slug: String = row.try_get("slug")?;
    let title: String = row.try_get("title")?;
    let video_id = id.to_string();
    let event = if publish {
        Event::VideoPublished(VideoPublished { video_id, title, url_path: format!("/videos/{slug}") })
    } else {
        Event::VideoUnpublished(VideoUnpublished { video_id, title })
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", id, false).await
}

/// Why a change from one status to the other found no row: the video is missing, has
/// nothing to play (when publishing), or is already as asked (`already`).
async fn refused(tx: &mut Tx, id: &str, publish: bool, already: &'static str) -> VideoError {
    let found: Result<Option<(String, String, Option<String>)>, sqlx::Error> =
        sqlx::query_as("SELECT status, video_url, file_name FROM videos WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await;
    match found {
        Err(e) => e.into(),
        Ok(None) => VideoError::NotFound,
        Ok(Some((status, url, None))) if publish && status == "DRAFT" && url.is_empty() => {
            VideoError::Conflict("Upload the video's file or give its address before publishing it.")
        }
        Ok(Some(_)) => VideoError::Conflict(already),
    }
}

/// Records `received` as video `id`'s file (written to the admin audit log, with
/// `video.updated`), then removes the file it replaces. When the video is gone, the received
/// file is removed and nothing changes.
pub async fn attach_file(
    bus: &Bus,
    files: &MediaFiles,
    actor: &Actor,
    id: &str,
    received: &Received,
    now: i64,
) -> Result<Video, VideoError> {
    let recorded = record_file(bus, actor, id, received, now).await;
    files.settle(received, &recorded).await;
    recorded?;
    find(bus.db(), "id", id, false).await
}

/// The file's row written in one transaction: the name of the file it replaces, if any.
async fn record_file(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    received: &Received,
    now: i64,
) -> Result<Option<String>, VideoError> {
    let mut tx = bus.db().begin_write().await?;
    // Locked, so that of two uploads at once the second replaces (and removes) the first's.
    let before = locked(&mut tx, id).await?;
    let replaced: Option<String> = before.try_get("file_name")?;
    sqlx::query(
        "UPDATE videos SET file_name = $1, file_original_name = $2, file_bytes = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(&received.name)
    .bind(&received.original_name)
    .bind(i64::try_from(received.bytes).unwrap_or(i64::MAX))
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let entity = format!("{}: {}", before.try_get::<String, _>("title")?, received.original_name);
    crate::audit::service::record(&mut tx, actor, "video.file.uploaded", &entity).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &before)?).await?;
    bus.commit(tx).await?;
    Ok(replaced)
}

/// Video `id`'s row as a change to its file or poster needs it, locked until the transaction
/// ends.
async fn locked(tx: &mut Tx, id: &str) -> Result<sqlx::any::AnyRow, VideoError> {
    let lock = db::for_update(tx);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT title, slug, status, video_url, file_name, file_original_name, poster_name FROM videos \
         WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(VideoError::NotFound)
}

/// `video.updated` for video `id`, read from a row with its title, slug and status.
fn updated_event_of(id: &str, row: &sqlx::any::AnyRow) -> Result<Event, sqlx::Error> {
    Ok(updated_event(id, row.try_get("title")?, &row.try_get::<String, _>("slug")?, row.try_get("status")?))
}

/// Removes video `id`'s uploaded file (written to the admin audit log, with `video.updated`),
/// so that it plays its address again; the file itself goes after the commit. Refused when
/// there is no file, or when the video is published with no address to play instead.
pub async fn remove_file(
    bus: &Bus,
    files: &MediaFiles,
    actor: &Actor,
    id: &str,
) -> Result<Video, VideoError> {
    let mut tx = bus.db().begin_write().await?;
    let row = locked(&mut tx, id).await?;
    let Some(file) = row.try_get::<Option<String>, _>("file_name")? else {
        return Err(VideoError::Conflict("This video has no uploaded file."));
    };
    if row.try_get::<String, _>("status")? == "PUBLISHED" && row.try_get::<String, _>("video_url")?.is_empty()
    {
        return Err(VideoError::Conflict(
            "A published video needs something to play: give its address, or take it back to draft, before removing its file.",
        ));
    }
    sqlx::query(
        "UPDATE videos SET file_name = NULL, file_original_name = NULL, file_bytes = NULL, updated_at = $1 \
         WHERE id = $2",
    )
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let original: Option<String> = row.try_get("file_original_name")?;
    let entity = format!("{}: {}", row.try_get::<String, _>("title")?, original.unwrap_or_default());
    crate::audit::service::record(&mut tx, actor, "video.file.removed", &entity).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &row)?).await?;
    bus.commit(tx).await?;
    files.remove(&file).await;
    find(bus.db(), "id", id, false).await
}

/// Records the picture `received` (in `pictures`) as video `id`'s poster (written to the admin
/// audit log, with `video.updated`), then removes the poster it replaces. When the video is
/// gone, the received picture is removed and nothing changes.
pub async fn attach_poster(
    bus: &Bus,
    pictures: &MediaFiles,
    actor: &Actor,
    id: &str,
    received: &Received,
) -> Result<Video, VideoError> {
    let recorded = record_poster(bus, actor, id, received).await;
    pictures.settle(received, &recorded).await;
    recorded?;
    find(bus.db(), "id", id, false).await
}

/// The poster's row written in one transaction: the name of the poster it replaces, if any.
async fn record_poster(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    received: &Received,
) -> Result<Option<String>, VideoError> {
    let mut tx = bus.db().begin_write().await?;
    let before = locked(&mut tx, id).await?;
    let replaced: Option<String> = before.try_get("poster_name")?;
    sqlx::query("UPDATE videos SET poster_name = $1, updated_at = $2 WHERE id = $3")
        .bind(&received.name)
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entity = format!("{}: {}", before.try_get::<String, _>("title")?, received.original_name);
    crate::audit::service::record(&mut tx, actor, "video.poster.uploaded", &entity).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &before)?).await?;
    bus.commit(tx).await?;
    Ok(replaced)
}

/// Removes video `id`'s poster (written to the admin audit log, with `video.updated`); the
/// picture itself goes after the commit. Refused when there is none.
pub async fn remove_poster(
    bus: &Bus,
    pictures: &MediaFiles,
    actor: &Actor,
    id: &str,
) -> Result<Video, VideoError> {
    let mut tx = bus.db().begin_write().await?;
    let row = locked(&mut tx, id).await?;
    let Some(poster) = row.try_get::<Option<String>, _>("poster_name")? else {
        return Err(VideoError::Conflict("This video has no poster picture."));
    };
    sqlx::query("UPDATE videos SET poster_name = NULL, updated_at = $1 WHERE id = $2")
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::audit::service::record(
        &mut tx,
        actor,
        "video.poster.removed",
        &row.try_get::<String, _>("title")?,
    )
    .await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &row)?).await?;
    bus.commit(tx).await?;
    pictures.remove(&poster).await;
    find(bus.db(), "id", id, false).await
}

/// Makes the files of the videos stored before this version fit as uploads are now
/// (`MediaFiles::refit`): each video's file mended where it lies, its poster made again under
/// a new name when it needs to be. A file that cannot be refitted (gone, damaged) is logged and
/// left as it is. Oldest first. How many files were looked at.
pub async fn refit_earlier_files(
    db: &Db,
    videos: &MediaFiles,
    pictures: &MediaFiles,
) -> Result<usize, sqlx::Error> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, file_name, poster_name FROM videos WHERE file_name IS NOT NULL OR poster_name IS NOT NULL \
         ORDER BY created_at, id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut looked_at = 0;
    for (id, file, poster) in rows {
        if let Some(file) = file {
            looked_at += 1;
            if let Err(e) = videos.refit(&file).await {
                tracing::warn!(video = %id, file, error = %e, "could not blank an earlier video's metadata");
            }
        }
        let Some(poster) = poster else { continue };
        looked_at += 1;
        match pictures.refit(&poster).await {
            Ok(refitted) if refitted.name != poster => {
                let recorded = async {
                    let mut tx = db.begin_write().await?;
                    let updated =
                        sqlx::query("UPDATE videos SET poster_name = $1 WHERE id = $2 AND poster_name = $3")
                            .bind(&refitted.name)
                            .bind(&id)
                            .bind(&poster)
                            .execute(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(updated.rows_affected() == 1)
                };
                let recorded = recorded.await;
                pictures.settle_refit(&poster, &refitted, &recorded).await;
                recorded?;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(video = %id, file = poster, error = %e, "could not refit an earlier poster")
            }
        }
    }
    Ok(looked_at)
}

/// Deletes a video and its counted views, written to the admin audit log, with
/// `video.deleted`; then its uploaded file (in `files`) and its poster (in `pictures`).
pub async fn delete(
    bus: &Bus,
    files: &MediaFiles,
    pictures: &MediaFiles,
    actor: &Actor,
    id: &str,
) -> Result<(), VideoError> {
    let mut tx = bus.db().begin_write().await?;
    sqlx::query("DELETE FROM video_views WHERE video_id = $1").bind(id).execute(&mut *tx).await?;
    let row = sqlx::query("DELETE FROM videos WHERE id = $1 RETURNING title, file_name, poster_name")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(VideoError::NotFound)?;
    let title: String = row.try_get("title")?;
    let file: Option<String> = row.try_get("file_name")?;
    let poster: Option<String> = row.try_get("poster_name")?;
    crate::audit::service::record(&mut tx, actor, "video.deleted", &title).await?;
    let event = Event::VideoDeleted(VideoDeleted { video_id: id.to_string(), title });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    if let Some(file) = file {
        files.remove(&file).await;
    }
    if let Some(poster) = poster {
        pictures.remove(&poster).await;
    }
    Ok(())
}

/// The captions form trimmed, the captions as WebVTT with their language (both empty to
/// remove them), or what is wrong with it.
fn checked_captions(form: &CaptionsForm) -> Result<(String, String), Vec<FieldError>> {
    let typed = form.captions.trim();
    if typed.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let language = form.language.trim();
    let mut v = Validation::new();
    v.check(
        is_language_tag(language),
        "language",
        "Give the captions' language as a tag like en, fr or es-419.",
    );
    let captions = if is_plain_text(typed, super::CAPTIONS_MAX_CHARS) {
        to_webvtt(typed)
    } else {
        Err("Captions are plain text of at most 200,000 characters.".to_string())
    };
    if let Err(why) = &captions {
        v.add("captions", why);
    }
    v.finish()?;
    Ok((captions.unwrap_or_default(), language.to_string()))
}

/// Video `id`'s captions, for their form.
pub async fn captions(db: &Db, id: &str) -> Result<VideoCaptions, VideoError> {
    let row = sqlx::query("SELECT captions, captions_language, captions_edits FROM videos WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(VideoError::NotFound)?;
    let language: String = row.try_get("captions_language")?;
    Ok(VideoCaptions {
        text: row.try_get("captions")?,
        language: if language.is_empty() { "en".to_string() } else { language },
        edits: row.try_get("captions_edits")?,
    })
}

/// Saves video `id`'s captions as WebVTT, or removes them when none are given (written to the
/// admin audit log, with `video.updated`). Refused when the form was opened before someone
/// else saved them, and removing captions there are none of.
pub async fn save_captions(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    form: &CaptionsForm,
) -> Result<VideoCaptions, VideoError> {
    let (webvtt, language) = checked_captions(form).map_err(VideoError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    let (missing, saved_since) = (VideoError::NotFound, VideoError::ChangedMeanwhile);
    db::check_count(&mut tx, ("videos", "captions_edits"), id, Some(form.edits), missing, saved_since)
        .await?;
    let saved = sqlx::query(
        "UPDATE videos SET captions = $1, captions_language = $2, captions_edits = captions_edits + 1, \
         updated_at = $3 WHERE id = $4 AND (captions <> '' OR $1 <> '') RETURNING title, slug, status",
    )
    .bind(&webvtt)
    .bind(&language)
    .bind(db::now_unix())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(VideoError::Conflict("This video has no captions to remove."))?;
    let title: String = saved.try_get("title")?;
    let (action, entity) = if webvtt.is_empty() {
        ("video.captions.removed", title)
    } else {
        ("video.captions.saved", format!("{title} ({language})"))
    };
    crate::audit::service::record(&mut tx, actor, action, &entity).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &saved)?).await?;
    bus.commit(tx).await?;
    captions(bus.db(), id).await
}

/// The captions of the published video at `/videos/<slug>`, as WebVTT; `NotFound` for a
/// draft or a video without captions.
pub async fn public_captions(db: &Db, slug: &str) -> Result<String, VideoError> {
    let captions: Option<String> = sqlx::query_scalar(
        "SELECT captions FROM videos WHERE slug = $1 AND status = 'PUBLISHED' AND captions <> ''",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    captions.ok_or(VideoError::NotFound)
}

/// Video `id`'s saved captions as WebVTT, draft or published, for the admin's preview;
/// `NotFound` when there is no such video or it has none.
pub async fn captions_webvtt(db: &Db, id: &str) -> Result<String, VideoError> {
    let captions: Option<String> =
        sqlx::query_scalar("SELECT captions FROM videos WHERE id = $1 AND captions <> ''")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    captions.ok_or(VideoError::NotFound)
}

/// The transcript of the published video at `/videos/<slug>`, read from its captions: empty
/// when it has none; `NotFound` for a draft.
pub async fn public_transcript(db: &Db, slug: &str) -> Result<Vec<String>, VideoError> {
    let captions: String =
        sqlx::query_scalar("SELECT captions FROM videos WHERE slug = $1 AND status = 'PUBLISHED'")
            .bind(slug)
            .fetch_optional(db.pool())
            .await?
            .ok_or(VideoError::NotFound)?;
    Ok(super::captions::transcript(&captions))
}

/// The key a viewer's views are counted under. A client's address is kept only as a hash.
fn viewer_key(viewer: &Viewer) -> String {
    match viewer {
        Viewer::User { id, .. } => format!("user:{id}"),
        Viewer::Address(ip) => format!("address:{}", &hex::encode(Sha256::digest(ip.as_bytes()))[..32]),
    }
}

/// Counts a play of the published video at `/videos/<slug>` as a view, once per viewer a
/// local day, and publishes `video.viewed` with it. Answers whether this play counted.
pub async fn count_view(bus: &Bus, slug: &str, viewer: &Viewer, now: i64) -> Result<bool, VideoError> {
    let db = bus.db();
    let video = find(db, "slug", slug, true).await?;
    let day = settings::time_zone(db).await?.day_of(now);
    let (actor, contact_id) = match viewer {
        Viewer::User { id, email } => {
            (Actor::User(id.clone()), crate::contacts::service::id_by_email(db, email).await?)
        }
        Viewer::Address(_) => (Actor::System, None),
    };
    let mut tx = db.begin_write().await?;
    let counted = sqlx::query(
        "INSERT INTO video_views (video_id, viewer, day, contact_id, viewed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&video.id)
    .bind(viewer_key(viewer))
    .bind(day)
    .bind(&contact_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !counted {
        return Ok(false);
    }
    sqlx::query("UPDATE videos SET view_count = view_count + 1 WHERE id = $1")
        .bind(&video.id)
        .execute(&mut *tx)
        .await?;
    let event = Event::VideoViewed(VideoViewed { video_id: video.id, title: video.title, contact_id });
    bus::publish(&mut tx, &actor, &event).await?;
    bus.commit(tx).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, slug: &str, url: &str) -> VideoForm {
        VideoForm {
            title: title.into(),
            slug: slug.into(),
            description: String::new(),
            video_url: url.into(),
            edits: None,
        }
    }

    #[test]
    fn an_empty_address_is_made_from_the_title() {
        let url = "https://media.example.org/march.mp4";
        assert_eq!(checked(&form(" March for transit! ", "", url)).unwrap().slug, "march-for-transit");
        assert_eq!(checked(&form("Anything", "my-video", url)).unwrap().slug, "my-video");
        assert_eq!(checked(&form("Ok", "Not A Slug", url)).unwrap_err()[0].field, "slug");
    }

    #[test]
    fn the_video_is_an_https_address_or_none() {
        assert_eq!(checked(&form("Ok", "", " ")).unwrap().video_url, "");
        for url in [
            "http://media.example.org/march.mp4",
            "javascript:alert(1)",
            "https://user:pw@media.example.org/march.mp4",
            "https://media.example.org/a b.mp4",
            "/videos/march.mp4",
        ] {
            assert_eq!(checked(&form("Ok", "", url)).unwrap_err()[0].field, "video_url", "{url}");
        }
        let long = format!("https://media.example.org/{}", "a".repeat(2_000));
        assert_eq!(checked(&form("Ok", "", &long)).unwrap_err()[0].field, "video_url");
    }

    #[test]
    fn an_address_is_counted_as_a_hash_and_a_user_by_id() {
        let key = viewer_key(&Viewer::Address("203.0.113.9".into()));
        assert!(key.starts_with("address:") && !key.contains("203.0.113.9"), "{key}");
        assert_eq!(key, viewer_key(&Viewer::Address("203.0.113.9".into())));
        assert_ne!(key, viewer_key(&Viewer::Address("203.0.113.10".into())));
        let user = Viewer::User { id: "u1".into(), email: "a@example.org".into() };
        assert_eq!(viewer_key(&user), "user:u1");
    }
}
