//! The current HTTP request as seen from a server function or a server-side render
//! (ssr only): cookies, client IP, response headers.

use std::net::IpAddr;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The client's IP address, put on every request by the server's middleware (from the
/// socket, or from a trusted proxy's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

pub fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The value of cookie `name` in `headers`.
pub fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

pub fn cookie(name: &str) -> Option<String> {
    parts().and_then(|p| cookie_in(&p.headers, name))
}

/// The `Host` the request was sent to, as the browser wrote it (`act.example.org`).
pub fn host() -> Option<String> {
    parts().and_then(|p| p.headers.get(header::HOST)?.to_str().ok().map(str::to_string))
}

/// The client IP as text, for rate-limit keys and audit rows.
pub fn client_ip() -> String {
    parts()
        .and_then(|p| p.extensions.get::<ClientIp>().copied())
        .map_or_else(|| "unknown".to_string(), |ip| ip.0.to_string())
}

/// Adds a `Set-Cookie` header to the response being built.
pub fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// For a form the browser posted itself (before the page's code had loaded, or without
/// JavaScript), sends the browser on to `address` (a path here, or Stripe's checkout) instead
/// of back to the form, where the outcome would be lost. A call from the page's code asks for
/// JSON and is answered as usual.
pub fn after_plain_form_post(address: &str) {
    if parts().is_some_and(|p| posted_by_browser(&p.headers)) {
        leptos_axum::redirect(address);
    }
}

/// Whether a request is a form the browser posted itself: it asks for a page back, where the
/// page's code asks for JSON.
pub fn posted_by_browser(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// Sets the response status (pages that render an error, e.g. 404).
pub fn set_status(status: u16) {
    if let (Some(response), Ok(status)) =
        (use_context::<ResponseOptions>(), axum::http::StatusCode::from_u16(status))
    {
        response.set_status(status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; changemaker_session=xyz; b=2"));
        assert_eq!(cookie_in(&headers, "changemaker_session").as_deref(), Some("xyz"));
        assert_eq!(cookie_in(&headers, "missing"), None);
    }
}
