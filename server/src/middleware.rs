//! Request middleware: client IP, cross-site request refusal, body size, NUL characters,
//! security headers, HTTP statuses for server-function errors, and compression.

use std::net::{IpAddr, SocketAddr};

use app::error::AppError;
use app::request::ClientIp;
use app::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Largest request body accepted, but for an imported file's (`body_limit`) and a video's.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Records the client's IP for rate limits and audit rows: the socket's address, unless that
/// is a trusted proxy — then the nearest address in `X-Forwarded-For` that is not one.
pub async fn client_ip(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let ip = client_ip_from(addr.ip(), forwarded, &state.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

fn client_ip_from(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    // Each proxy appends the address it got the request from: read from the right, past the
    // trusted ones. A client can write anything on the left, so that part is never believed.
    let hops = forwarded_for.unwrap_or_default().split(',').rev().map(|hop| hop.trim().parse::<IpAddr>());
    let mut client = peer;
    for hop in hops {
        match hop {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// Refuses state-changing requests that a browser says came from another site: by
/// `Sec-Fetch-Site`, or else by an `Origin` that is not this server's. Requests with
/// neither header (curl, server-to-server webhooks) carry no browser cookies to abuse.
pub async fn refuse_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let cross_site = match fetch_site {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => false,
            Some(origin) => {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
                let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
                origin != state.public_url && (origin == "null" || origin_host != host)
            }
        },
    };
    if cross_site {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site requests are not allowed.").into_response();
    }
    next.run(req).await
}

/// Answers 413 with a clear message when the declared body is over the limit, and cuts a
/// streamed body off at the limit. A video upload is left to its handler, which counts the
/// file against the (much larger) upload limit.
pub async fn limit_body(req: Request, next: Next) -> Response {
    if app::media::is_upload_path(req.uri().path()) {
        return next.run(req).await;
    }
    let limit = body_limit(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return too_large(limit);
    }
    next.run(req.map(|body| Body::new(http_body_util::Limited::new(body, limit)))).await
}

/// The largest body a request to `path` may carry: 1 MiB, or an imported file's (contacts, or
/// the canvassing addresses).
fn body_limit(path: &str) -> usize {
    let carries_a_file = app::contacts::is_import_path(path) || path == app::canvass::FILE_IMPORT_PATH;
    if carries_a_file { app::contacts::IMPORT_MAX_REQUEST_BYTES } else { MAX_BODY_BYTES }
}

fn too_large(limit: usize) -> Response {
    let message = format!("The request body is too large (the limit is {} MiB).", limit / (1024 * 1024));
    (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
}

/// Refuses text holding the NUL character (`\0`) in the address (an id in the path, a query
/// string) or a form or JSON body: no form has a use for it, and PostgreSQL cannot take it in
/// text, so it would otherwise fail deep inside a lookup or a change instead of being refused
/// up front. The Stripe webhook is left alone: its body is signed and must reach its handler
/// byte for byte.
pub async fn refuse_nul_text(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let in_address = path.contains("%00") || req.uri().query().is_some_and(|q| q.contains("%00"));
    if in_address {
        return nul_refused(&path);
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (is_form, is_json) = (
        content_type.starts_with("application/x-www-form-urlencoded"),
        content_type.starts_with("application/json"),
    );
    if !(is_form || is_json) || path == "/api/payments/webhook" {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let limit = body_limit(&path);
    let Ok(bytes) = to_bytes(body, limit).await else {
        return too_large(limit);
    };
    // In a form a NUL is `%00` (a `%` itself is `%25`); in JSON, the escape `\u0000`.
    let has_nul = bytes.contains(&0)
        || (is_form && bytes.windows(3).any(|w| w == b"%00"))
        || (is_json && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| holds_nul(&v)));
    if has_nul {
        return nul_refused(&path);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields.iter().any(|(key, v)| key.contains('\0') || holds_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// 400: as an `AppError` for a server function, so the page shows the message; as text elsewhere.
fn nul_refused(path: &str) -> Response {
    let error = AppError::BadRequest("text cannot contain the NUL character (\\0).".into());
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&error).unwrap_or_default();
        (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        (StatusCode::BAD_REQUEST, error.to_string()).into_response()
    }
}

/// Headers every response carries; admin pages and API answers are never cached.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    let private =
        path.starts_with("/api/") || path == "/admin" || path.starts_with("/admin/") || path == "/setup";
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Server-function errors come back from Leptos as 500; give them the status their
/// `AppError` stands for (401, 403, 422, 429…), with `Retry-After` on a rate limit.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::RateLimited { retry_after_secs } = error
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            parts.headers.insert(header::RETRY_AFTER, value);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A handler panic becomes a plain 500 page; the process carries on.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.").into_response()
}

/// Gzip, at its fastest, for what is made on each request and is text: pages, server
/// functions' answers, exports. The public page of 50 shifts goes as 6 KB instead of 57 KB,
/// for a phone on a slow network. Not the event stream (each event must reach the browser as it happens), nor
/// the site files (sent already compressed), nor videos and images (compressed by their format).
pub fn compression() -> CompressionLayer<impl Predicate> {
    const TEXT: &[&str] = &["text/html", "application/json", "text/csv", "text/calendar", "text/plain"];
    let textual = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        TEXT.iter().any(|text| kind.starts_with(text))
    };
    // Below a kilobyte gzip's own header and the CPU are not worth the bytes saved.
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(SizeAbove::new(1024).and(textual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1")];
        // No trusted proxy: the header is the client's own word, ignored.
        assert_eq!(client_ip_from(ip("203.0.113.9"), Some("1.2.3.4"), &[]), ip("203.0.113.9"));
        assert_eq!(client_ip_from(ip("203.0.113.9"), Some("1.2.3.4"), &proxy), ip("203.0.113.9"));
        // Through the proxy: the address the proxy saw, not what the client claimed before it.
        assert_eq!(client_ip_from(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.7"), &proxy), ip("198.51.100.7"));
        // Two trusted hops.
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_ip_from(ip("10.0.0.1"), Some("198.51.100.7, 10.0.0.2"), &proxies),
            ip("198.51.100.7")
        );
        // A proxy that sent no header, or garbage: the proxy's address stands.
        assert_eq!(client_ip_from(ip("10.0.0.1"), None, &proxy), ip("10.0.0.1"));
        assert_eq!(client_ip_from(ip("10.0.0.1"), Some("not-an-ip"), &proxy), ip("10.0.0.1"));
    }
}
