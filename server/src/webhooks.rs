//! Inbound webhooks from outside services.

use app::payments::service::RequestInfo;
use app::payments::webhook::{self, WebhookOutcome};
use app::state::AppState;

use crate::exports::LinkToken;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `POST /api/payments/webhook`: Stripe's events, verified over the raw body. 200 for an
/// event processed now or before (Stripe then stops retrying); 400 for a refused one (429 past
/// `REJECTIONS_AUDITED_PER_MINUTE` from one address); 409 for one that must wait for another
/// (`WebhookOutcome::Later`) and 500 when the database failed, so that Stripe delivers it again.
pub async fn stripe(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let request = RequestInfo::from_parts(&parts);
    let body: Bytes = match axum::body::to_bytes(body, crate::middleware::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    let signature = parts.headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let rejections = &state.webhook_rejection_limiter;
    match webhook::handle(&state.bus, &state.secret_key, rejections, &request, signature, &body).await {
        Ok(WebhookOutcome::Processed | WebhookOutcome::Duplicate) => (StatusCode::OK, "ok").into_response(),
        Ok(WebhookOutcome::Rejected(reason)) => (StatusCode::BAD_REQUEST, reason).into_response(),
        Ok(WebhookOutcome::TooManyRejected) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many refused deliveries from this address; try again in a minute.",
        )
            .into_response(),
        Ok(WebhookOutcome::Later(reason)) => (StatusCode::CONFLICT, reason).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot process a Stripe webhook");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// `POST /api/webhooks/newsletter`: a report of an open, click, bounce or unsubscribe
/// (`app::integrations::newsletter::Report`), authenticated with `Authorization: Bearer` and
/// the reports secret. 200 once received (again, too); 401 for a wrong secret, 404 when no
/// secret is set, 422 for a report that is not right; 500 when the database failed, so that
/// the sender tries again.
pub async fn newsletter(State(state): State<AppState>, req: Request) -> Response {
    use app::integrations::newsletter::{ReportError, ReportOutcome, receive_report};
    let (parts, body) = req.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, crate::middleware::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    match receive_report(&state.bus, &state.secret_key, authorization, &body).await {
        Ok(ReportOutcome::Received) => (StatusCode::OK, "Received.").into_response(),
        Ok(ReportOutcome::Duplicate) => (StatusCode::OK, "Received before.").into_response(),
        Err(e @ ReportError::NotSetUp) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        Err(e @ ReportError::Unauthorised) => (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
        Err(e @ ReportError::Invalid(_)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
        Err(ReportError::Database(e)) => {
            tracing::error!(error = %e, "cannot receive a newsletter report");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// `POST /api/webhooks/sms`: a text message Twilio received on the group's number, signed
/// with `X-Twilio-Signature`. 200 with an empty TwiML answer (Twilio then sends no reply) once
/// received (again, too); otherwise as `twilio_refusal`.
pub async fn sms(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, crate::middleware::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    match app::sms::service::receive(&state.bus, &state.secret_key, &twilio_post(&state, &parts, &body)).await
    {
        Ok(_) => {
            let twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
            ([(axum::http::header::CONTENT_TYPE, "text/xml")], twiml).into_response()
        }
        Err(e) => twilio_refusal(e, "cannot receive a text message"),
    }
}

/// `POST /api/webhooks/sms/status`: Twilio's delivery report on a text this server sent,
/// signed as above. 200 once recorded (or when there is nothing to record); otherwise as
/// `twilio_refusal`.
pub async fn sms_status(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, crate::middleware::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    let post = twilio_post(&state, &parts, &body);
    match app::sms::service::record_delivery(&state.bus, &state.secret_key, &post).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => twilio_refusal(e, "cannot record a text's delivery"),
    }
}

/// A request Twilio posted, as the sms service checks it.
fn twilio_post<'a>(
    state: &'a AppState,
    parts: &'a axum::http::request::Parts,
    body: &'a [u8],
) -> app::sms::service::TwilioPost<'a> {
    app::sms::service::TwilioPost {
        public_url: &state.public_url,
        api_base: &state.twilio_api_base,
        signature: parts.headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()),
        query: parts.uri.query(),
        body,
    }
}

/// 404 while text messages are off; 403 for a wrong signature; 422 for a post that is not
/// right; 500 when the database failed, so that Twilio tries again.
fn twilio_refusal(error: app::sms::service::ReceiveError, failed_to: &str) -> Response {
    use app::sms::service::ReceiveError;
    match error {
        e @ ReceiveError::NotSetUp => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        e @ ReceiveError::Unauthorised => (StatusCode::FORBIDDEN, e.to_string()).into_response(),
        e @ ReceiveError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
        ReceiveError::Database(e) => {
            tracing::error!(error = %e, "{failed_to}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// `POST /api/unsubscribe?token=…`: a mail app's one-click "Unsubscribe" (RFC 8058; the
/// body, `List-Unsubscribe=One-Click`, says nothing more). The token is the signed one of
/// the email's footer link. 200 once done (again, too), 404 for a token that is not ours.
pub async fn one_click_unsubscribe(State(state): State<AppState>, Query(link): Query<LinkToken>) -> Response {
    use app::contacts::service::{ContactError, set_unsubscribed};
    match set_unsubscribed(&state.bus, &state.secret_key, &link.token, true).await {
        Ok(()) => (StatusCode::OK, "Unsubscribed.").into_response(),
        Err(ContactError::NotFound) => {
            (StatusCode::NOT_FOUND, "This unsubscribe link is not valid.").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot unsubscribe");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// `GET /api/unsubscribe?token=…` (the same address opened in a browser): the unsubscribe
/// page, which asks before it acts.
pub async fn unsubscribe_page(Query(link): Query<LinkToken>) -> Response {
    let page = format!("/unsubscribe?token={}", app::ui::urlencode(&link.token));
    axum::response::Redirect::to(&page).into_response()
}
