//! A short-lived in-memory copy of the public pages that are the same for every visitor
//! (the list of upcoming shifts). Rendering one costs about 2 ms of CPU; a copy is served
//! while no event has been committed since it was rendered (`Bus::version`) and for at most
//! `FRESH_FOR`, because time alone changes which shifts are upcoming. Each copy is gzipped
//! once when kept, for the browsers that take gzip (all of them), rather than on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::bus::Bus;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Pages whose HTML does not depend on who asks. A page joins this list only if it shows
/// nothing about the visitor and sets no cookie.
const CACHED_PATHS: &[&str] = &["/shifts"];
const FRESH_FOR: Duration = Duration::from_secs(5);
/// Larger pages are served but not kept.
const MAX_CACHED_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct PageCache {
    bus: Bus,
    pages: Arc<Mutex<HashMap<&'static str, CachedPage>>>,
}

#[derive(Clone)]
struct CachedPage {
    version: u64,
    rendered_at: Instant,
    headers: HeaderMap,
    body: Bytes,
    gzipped: Bytes,
}

impl CachedPage {
    fn new(
        version: u64,
        rendered_at: Instant,
        headers: &HeaderMap,
        body: Bytes,
    ) -> std::io::Result<CachedPage> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body)?;
        let gzipped = Bytes::from(encoder.finish()?);
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_LENGTH);
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        Ok(CachedPage { version, rendered_at, headers, body, gzipped })
    }

    /// The copy as a response: gzipped when the request says it takes gzip (as the site's
    /// files are chosen), else as rendered.
    fn respond(self, request_headers: &HeaderMap) -> Response {
        let accepts =
            request_headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut headers = self.headers;
        if accepts.contains("gzip") {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (StatusCode::OK, headers, self.gzipped).into_response()
        } else {
            (StatusCode::OK, headers, self.body).into_response()
        }
    }
}

impl PageCache {
    pub fn new(bus: Bus) -> PageCache {
        PageCache { bus, pages: Arc::default() }
    }

    fn fresh(&self, path: &str) -> Option<CachedPage> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(path)
            .filter(|p| p.version == self.bus.version() && p.rendered_at.elapsed() < FRESH_FOR)
            .cloned()
    }

    fn keep(&self, path: &'static str, page: CachedPage) {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).insert(path, page);
    }
}

/// Serves a cached page when there is a current copy; otherwise renders it and keeps a copy
/// of a successful render — unless an event was committed while it rendered, since the
/// render may predate that change.
pub async fn serve(State(cache): State<PageCache>, req: Request, next: Next) -> Response {
    let path = CACHED_PATHS.iter().copied().find(|p| *p == req.uri().path());
    let Some(path) = path.filter(|_| req.method() == Method::GET && req.uri().query().is_none()) else {
        return next.run(req).await;
    };
    if let Some(page) = cache.fresh(path) {
        return page.respond(req.headers());
    }
    let version = cache.bus.version();
    let rendered_at = Instant::now();
    let response = next.run(req).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(path, error = %e, "cannot render the page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if body.len() <= MAX_CACHED_BYTES && cache.bus.version() == version {
        match CachedPage::new(version, rendered_at, &parts.headers, body.clone()) {
            Ok(page) => cache.keep(path, page),
            Err(e) => tracing::warn!(path, error = %e, "cannot gzip the page; not kept"),
        }
    }
    Response::from_parts(parts, Body::from(body))
}
