//! QR codes, drawn by the page as SVG: a ticket carries the link that checks it in, for the
//! door's phone to scan instead of typing its code.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A QR code `size` modules a side; `path` draws its dark modules (an SVG path in module
/// units, one rectangle per run of dark modules in a row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrImage {
    pub size: usize,
    pub path: String,
}

#[cfg(feature = "ssr")]
impl QrImage {
    /// `text` as a QR code with medium error correction (a creased or scuffed print still
    /// scans); `None` only for text too long for any QR code.
    pub fn encode(text: &str) -> Option<QrImage> {
        use qrcode::{Color, EcLevel, QrCode};
        use std::fmt::Write;
        let code = QrCode::with_error_correction_level(text, EcLevel::M).ok()?;
        let (size, modules) = (code.width(), code.to_colors());
        let mut path = String::new();
        for (y, row) in modules.chunks(size).enumerate() {
            let mut x = 0;
            while x < size {
                let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
                if run > 0 {
                    let _ = write!(path, "M{x} {y}h{run}v1h-{run}z");
                }
                x += run.max(1);
            }
        }
        Some(QrImage { size, path })
    }
}

/// Modules of light margin a scanner needs around the code (the standard's quiet zone).
const QUIET_ZONE: usize = 4;

/// Draws `image`, dark on white with its quiet zone, named `label` for screen readers.
#[component]
pub fn QrCodeImage(image: QrImage, label: String) -> impl IntoView {
    let side = image.size + 2 * QUIET_ZONE;
    view! {
        <svg
            role="img"
            aria-label=label
            viewBox=format!("-{QUIET_ZONE} -{QUIET_ZONE} {side} {side}")
            shape-rendering="crispEdges"
            class="mx-auto h-48 w-48"
            data-testid="qr-code"
        >
            <rect x=format!("-{QUIET_ZONE}") y=format!("-{QUIET_ZONE}") width=side.to_string() height=side.to_string() fill="#ffffff" />
            <path d=image.path fill="#000000" />
        </svg>
    }
}

#[cfg(feature = "ssr")]
#[cfg(test)]
mod tests {
    use super::*;

    /// The modules `path` draws, read back from its `M{x} {y}h{run}v1h-{run}z` rectangles.
    fn drawn(image: &QrImage) -> Vec<bool> {
        let mut dark = vec![false; image.size * image.size];
        for rect in image.path.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = rect.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{run}v1h-{run}z"));
            for i in x..x + run {
                assert!(!dark[y * image.size + i], "drawn twice");
                dark[y * image.size + i] = true;
            }
        }
        dark
    }

    #[test]
    fn the_path_draws_exactly_the_dark_modules() {
        let text = "https://example.org/admin/ticketed-events/0b5c?code=ABCD-EFGH-JKMN";
        let image = QrImage::encode(text).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
        assert_eq!(image.size, code.width());
        let expected: Vec<bool> = code.to_colors().iter().map(|c| *c == qrcode::Color::Dark).collect();
        assert_eq!(drawn(&image), expected);
        assert_eq!(QrImage::encode(&"x".repeat(5_000)), None, "too long for any QR code");
    }
}
