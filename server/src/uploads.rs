//! Uploads, received as `multipart/form-data` and streamed to the data directory: a video's
//! file and its poster picture (field `file`), and a story's picture (fields `alt`, what it
//! shows, and `file`). The
//! page sends them from script with a progress bar; before the page's code has loaded, the
//! same form posts plainly and lands back on the page it came from.

use app::media::files::{MediaFiles, Received, UploadError};
use app::media::service::VideoError;
use app::state::AppState;
use app::stories::service::StoryError;
use axum::Json;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::access::require_roles;

/// Room for the multipart framing around the file: boundaries, part headers, other fields.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;

/// The longest text field an upload form may carry beside its file.
const TEXT_FIELD_MAX_BYTES: usize = 4 * 1024;

/// An upload's file, received whole and in place, and its `alt` field (empty when none).
struct Upload {
    received: Received,
    alt: String,
}

/// Receives an upload's `file` into `files`, and its `alt` field; or the response refusing
/// it (`no_file` when no file came), having stored nothing.
async fn receive(
    files: &MediaFiles,
    headers: &HeaderMap,
    form: Result<Multipart, MultipartRejection>,
    no_file: &'static str,
) -> Result<Upload, Response> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > files.max_bytes + FORM_OVERHEAD_BYTES) {
        return Err(upload_refusal(UploadError::TooLarge(files.max_bytes)));
    }
    let Ok(mut form) = form else {
        return Err((StatusCode::BAD_REQUEST, "Send the file as a form upload (multipart/form-data).")
            .into_response());
    };
    let (mut received, mut alt) = (None::<Received>, String::new());
    let refused = loop {
        match form.next_field().await {
            Ok(Some(mut field)) => match field.name() {
                Some("file") if received.is_none() => match files.receive(&mut field).await {
                    Ok(file) => received = Some(file),
                    Err(e) => break upload_refusal(e),
                },
                Some("alt") => match read_text(&mut field).await {
                    Some(text) => alt = text,
                    None => break upload_refusal(UploadError::CutOff),
                },
                _ => continue,
            },
            Ok(None) => match received {
                Some(received) => return Ok(Upload { received, alt }),
                None => return Err((StatusCode::UNPROCESSABLE_ENTITY, no_file).into_response()),
            },
            Err(_) => break upload_refusal(UploadError::CutOff),
        }
    };
    if let Some(file) = received {
        files.remove(&file.name).await;
    }
    Err(refused)
}

/// A text field's value, at most `TEXT_FIELD_MAX_BYTES` of UTF-8; `None` otherwise.
async fn read_text(field: &mut Field<'_>) -> Option<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.ok()? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > TEXT_FIELD_MAX_BYTES {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

/// `POST /api/videos/{id}/file`: stores the file and makes it the one the video plays,
/// replacing an earlier upload. Answers the video as JSON, or a redirect to its page for a
/// plain form post; a refusal is a plain-text message with its status, and stores nothing.
pub async fn video_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let files = &state.video_files;
    let (actor, upload) =
        match video_upload(&state, &headers, &id, form, files, "Choose a video file to upload.").await {
            Ok(received) => received,
            Err(refused) => return refused,
        };
    let now = app::db::now_unix();
    match app::media::service::attach_file(&state.bus, files, &actor, &id, &upload.received, now).await {
        Ok(video) => answer(&headers, &format!("/admin/videos/{id}"), video),
        Err(e) => video_refusal(e),
    }
}

/// `POST /api/videos/{id}/poster`: stores the picture and shows it before the video plays and
/// in links shared to it, replacing an earlier one. Answers as `video_file` does.
pub async fn video_poster(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let files = &state.picture_files;
    let (actor, upload) =
        match video_upload(&state, &headers, &id, form, files, "Choose a picture to upload.").await {
            Ok(received) => received,
            Err(refused) => return refused,
        };
    match app::media::service::attach_poster(&state.bus, files, &actor, &id, &upload.received).await {
        Ok(video) => answer(&headers, &format!("/admin/videos/{id}"), video),
        Err(e) => video_refusal(e),
    }
}

/// An upload to video `id`, by an admin, received into `files`; or the response refusing it.
async fn video_upload(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    form: Result<Multipart, MultipartRejection>,
    files: &MediaFiles,
    no_file: &'static str,
) -> Result<(app::events::Actor, Upload), Response> {
    let user = require_roles(state, headers, app::media::MANAGERS).await?;
    app::media::service::find(&state.db, "id", id, false).await.map_err(video_refusal)?;
    let upload = receive(files, headers, form, no_file).await?;
    Ok((app::events::Actor::User(user.id), upload))
}

/// `POST /api/stories/{id}/picture`: stores the picture and shows it with the story, described
/// by `alt`, replacing an earlier one. Answers as `video_file` does.
pub async fn story_picture(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match require_roles(&state, &headers, app::stories::MANAGERS).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    if let Err(e) = app::stories::service::find(&state.db, "id", &id, false).await {
        return story_refusal(e);
    }
    let files = &state.picture_files;
    let upload = match receive(files, &headers, form, "Choose a picture to upload.").await {
        Ok(upload) => upload,
        Err(refused) => return refused,
    };
    let actor = app::events::Actor::User(user.id);
    let attached =
        app::stories::service::attach_picture(&state.bus, files, &actor, &id, &upload.received, &upload.alt)
            .await;
    match attached {
        Ok(story) => answer(&headers, &format!("/admin/stories/{id}"), story),
        Err(e) => story_refusal(e),
    }
}

/// What an upload recorded on `recorded` answers: a redirect to its admin `page` for a plain
/// form post (the browser then shows it), else `recorded` as JSON for the page's code.
fn answer(headers: &HeaderMap, page: &str, recorded: impl serde::Serialize) -> Response {
    if app::request::posted_by_browser(headers) {
        Redirect::to(page).into_response()
    } else {
        Json(recorded).into_response()
    }
}

fn upload_refusal(e: UploadError) -> Response {
    let status = match e {
        UploadError::WrongKind(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        UploadError::Empty => StatusCode::UNPROCESSABLE_ENTITY,
        UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::CutOff => StatusCode::BAD_REQUEST,
        UploadError::Picture(_) => StatusCode::UNPROCESSABLE_ENTITY,
        UploadError::Storage(ref cause) => {
            tracing::error!(error = %cause, "could not store an uploaded file");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The file could not be stored; try again.")
                .into_response();
        }
    };
    (status, e.to_string()).into_response()
}

fn video_refusal(e: VideoError) -> Response {
    match e {
        VideoError::NotFound => (StatusCode::NOT_FOUND, "There is no such video.").into_response(),
        e => internal(e),
    }
}

fn story_refusal(e: StoryError) -> Response {
    match e {
        StoryError::NotFound => (StatusCode::NOT_FOUND, "There is no such story.").into_response(),
        StoryError::Invalid(errors) => {
            let message = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ");
            (StatusCode::UNPROCESSABLE_ENTITY, message).into_response()
        }
        e => internal(e),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "could not record an uploaded file");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
}
