//! The site's static files (wasm, JS, CSS): from inside the binary when built with the
//! `embed` feature, else from the site root on disk. Anything else falls through to the
//! Leptos app, which renders the 404 page.

use app::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
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
    use axum::http::{HeaderMap, Uri, header};
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
        let sent = super::SiteFile {
            mime: plain.metadata.mimetype().to_string(),
            encoding,
            hash: file.metadata.sha256_hash(),
            data: file.data,
        };
        Some(sent.respond(request_headers))
    }
}

/// One of the site's files as it is sent: its bytes in one encoding, with their hash.
#[cfg_attr(not(feature = "embed"), allow(dead_code))]
struct SiteFile {
    mime: String,
    encoding: Option<&'static str>,
    hash: [u8; 32],
    data: std::borrow::Cow<'static, [u8]>,
}

#[cfg_attr(not(feature = "embed"), allow(dead_code))]
impl SiteFile {
    /// The file, or `304 Not Modified` when the browser already has these bytes. The names do
    /// not change from one build to the next, so a browser must ask each time (`no-cache`)
    /// lest it run an old build's wasm against a new server; the tag makes asking cheap.
    fn respond(self, request_headers: &HeaderMap) -> Response {
        let tag = format!("\"{}\"", self.hash[..16].iter().map(|b| format!("{b:02x}")).collect::<String>());
        let unchanged = request_headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().trim_start_matches("W/") == tag);
        let mut res = if unchanged {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::NOT_MODIFIED;
            res
        } else {
            let mut res = Response::new(Body::from(self.data.into_owned()));
            if let Ok(value) = HeaderValue::from_str(&self.mime) {
                res.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if let Some(encoding) = self.encoding {
                res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            res
        };
        let headers = res.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&tag) {
            headers.insert(header::ETAG, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasm() -> SiteFile {
        SiteFile {
            mime: "application/wasm".to_string(),
            encoding: Some("br"),
            hash: [0xab; 32],
            data: std::borrow::Cow::Borrowed(b"compressed bytes"),
        }
    }

    fn asking(if_none_match: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(tag) = if_none_match {
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(tag).unwrap());
        }
        headers
    }

    async fn body(res: Response) -> Vec<u8> {
        axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec()
    }

    const TAG: &str = "\"abababababababababababababababab\"";

    #[tokio::test]
    async fn a_file_is_sent_with_its_tag_and_must_be_checked_before_reuse() {
        let res = wasm().respond(&asking(None));
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::ETAG], TAG);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(body(res).await, b"compressed bytes");
    }

    #[tokio::test]
    async fn a_browser_holding_the_same_bytes_is_told_they_have_not_changed() {
        for held in [TAG.to_string(), format!("W/{TAG}"), format!("\"other\", {TAG}")] {
            let res = wasm().respond(&asking(Some(&held)));
            assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{held}");
            assert_eq!(res.headers()[header::ETAG], TAG);
            assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
            assert!(body(res).await.is_empty());
        }
    }

    #[tokio::test]
    async fn a_browser_holding_other_bytes_gets_the_file() {
        let res = wasm().respond(&asking(Some("\"abab\"")));
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body(res).await, b"compressed bytes");
    }
}
