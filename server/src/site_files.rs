//! The site's static files (wasm, JS, CSS): from inside the binary when built with the
//! `embed` feature, else from the site root on disk. Anything else falls through to the
//! Leptos app, which renders the 404 page.

use app::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::response::Response;

pub async fn serve(uri: Uri, state: State<AppState>, req: Request<Body>) -> Response {
    #[cfg(feature = "embed")]
    if let Some(res) = embedded::serve(&uri, req.headers()) {
        return res;
    }
    leptos_axum::file_and_error_handler(app::shell)(uri, state, req).await
}

#[cfg(feature = "embed")]
mod embedded {
    use axum::body::Body;
    use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
    use axum::response::Response;
    use rust_embed::RustEmbed;

    /// `target/site` as built by `cargo leptos build --release --precompress`.
    #[derive(RustEmbed)]
    #[folder = "$CARGO_MANIFEST_DIR/../target/site"]
    struct Site;

    /// The file, precompressed (br, then gzip) when the client accepts it.
    pub fn serve(uri: &Uri, request_headers: &HeaderMap) -> Option<Response> {
        let path = uri.path().trim_start_matches('/');
        let plain = Site::get(path)?;
        let accepts =
            request_headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
        let (file, encoding) = [("br", ".br"), ("gzip", ".gz")]
            .into_iter()
            .filter(|(name, _)| accepts.contains(name))
            .find_map(|(name, ext)| Site::get(&format!("{path}{ext}")).map(|f| (f, Some(name))))
            .unwrap_or((plain.clone(), None));
        let mime = plain.metadata.mimetype().to_string();
        let mut res = Response::new(Body::from(file.data.into_owned()));
        *res.status_mut() = StatusCode::OK;
        let headers = res.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&mime) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
        Some(res)
    }
}
