//! Uploads: a video's file, received as `multipart/form-data` (field `file`) and streamed to
//! the data directory. The page sends it from script with a progress bar; before the page's
//! code has loaded, the same form posts plainly and lands back on the video's page.

use app::media::files::UploadError;
use app::media::service::VideoError;
use app::state::AppState;
use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::access::require_roles;

/// Room for the multipart framing around the file: boundaries, part headers, other fields.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;

/// `POST /api/videos/{id}/file`: stores the file and makes it the one the video plays,
/// replacing an earlier upload. Answers the video as JSON, or a redirect to its page for a
/// plain form post; a refusal is a plain-text message with its status, and stores nothing.
pub async fn video_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match require_roles(&state, &headers, app::media::MANAGERS).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    match app::media::service::find(&state.db, "id", &id, false).await {
        Ok(_) => {}
        Err(e) => return video_refusal(e),
    }
    let files = &state.video_files;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > files.max_bytes + FORM_OVERHEAD_BYTES) {
        return upload_refusal(UploadError::TooLarge(files.max_bytes));
    }
    let Ok(mut form) = form else {
        return (StatusCode::BAD_REQUEST, "Send the file as a form upload (multipart/form-data).")
            .into_response();
    };
    let received = loop {
        match form.next_field().await {
            Ok(Some(mut field)) if field.name() == Some("file") => match files.receive(&mut field).await {
                Ok(received) => break received,
                Err(e) => return upload_refusal(e),
            },
            Ok(Some(_)) => continue,
            Ok(None) => {
                return (StatusCode::UNPROCESSABLE_ENTITY, "Choose a video file to upload.").into_response();
            }
            Err(_) => return upload_refusal(UploadError::CutOff),
        }
    };
    let actor = app::events::Actor::User(user.id);
    let now = app::db::now_unix();
    match app::media::service::attach_file(&state.bus, files, &actor, &id, &received, now).await {
        Ok(_) if app::request::posted_by_browser(&headers) => {
            Redirect::to(&format!("/admin/videos/{id}")).into_response()
        }
        Ok(video) => Json(video).into_response(),
        Err(e) => video_refusal(e),
    }
}

fn upload_refusal(e: UploadError) -> Response {
    let status = match e {
        UploadError::NotAVideo => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        UploadError::Empty => StatusCode::UNPROCESSABLE_ENTITY,
        UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::CutOff => StatusCode::BAD_REQUEST,
        UploadError::Storage(ref cause) => {
            tracing::error!(error = %cause, "could not store an uploaded video file");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The file could not be stored; try again.")
                .into_response();
        }
    };
    (status, e.to_string()).into_response()
}

fn video_refusal(e: VideoError) -> Response {
    match e {
        VideoError::NotFound => (StatusCode::NOT_FOUND, "There is no such video.").into_response(),
        e => {
            tracing::error!(error = %e, "could not record an uploaded video file");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}
