//! `GET /api/sms/media/<message>/<position>`: a file sent with a text (MMS), fetched from
//! Twilio with the account's credentials for admins, and passed on as it comes.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::require_roles;
use app::sms::service::SmsError;
use app::state::AppState;

/// Pictures, sound and video show in the page; any other file is downloaded. Either way the
/// browser takes the type as given and runs nothing in it.
pub async fn media(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((message_id, position)): Path<(String, i64)>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::sms::MANAGERS).await {
        return refused;
    }
    let fetched = app::sms::service::fetch_media(
        &state.db,
        &state.secret_key,
        &state.twilio_api_base,
        &message_id,
        position,
    )
    .await;
    match fetched {
        Ok((content_type, response)) => {
            let shown = ["image/", "audio/", "video/"].iter().any(|kind| content_type.starts_with(kind));
            let disposition = if shown { "inline" } else { "attachment" };
            let headers = [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_DISPOSITION, disposition.to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
                (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            ];
            (headers, Body::from_stream(response.bytes_stream())).into_response()
        }
        Err(SmsError::NotFound(why)) => (StatusCode::NOT_FOUND, why).into_response(),
        Err(SmsError::Conflict(why)) => (StatusCode::CONFLICT, why).into_response(),
        Err(SmsError::Unavailable(why)) => (StatusCode::BAD_GATEWAY, why).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot fetch a file sent with a text");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}
