//! Inbound webhooks from outside services.

use app::payments::service::RequestInfo;
use app::payments::webhook::{self, WebhookOutcome};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `POST /api/payments/webhook`: Stripe's events, verified over the raw body. 200 for an
/// event processed now or before (Stripe then stops retrying); 400 for a refused one; 500
/// when the database failed, so that Stripe delivers it again.
pub async fn stripe(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let request = RequestInfo::from_parts(&parts);
    let body: Bytes = match axum::body::to_bytes(body, crate::middleware::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    let signature = parts.headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match webhook::handle(&state.bus, &state.secret_key, &request, signature, &body).await {
        Ok(WebhookOutcome::Processed | WebhookOutcome::Duplicate) => (StatusCode::OK, "ok").into_response(),
        Ok(WebhookOutcome::Rejected(reason)) => (StatusCode::BAD_REQUEST, reason).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot process a Stripe webhook");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}
