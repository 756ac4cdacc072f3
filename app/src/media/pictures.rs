//! Uploaded pictures made fit for the pages (ssr only). A phone's photo is 4,000 pixels wide
//! and 3 to 6 MB, where a page shows a picture at most about 800 pixels wide (1,600 on a
//! screen with two pixels to each): every visitor of a story would download it whole. Its
//! camera metadata may also say where it was taken — the organiser's home, a safe house.
//! So a picture is stored upright, at most `LONGEST_SIDE` pixels on its longest side, and
//! without that metadata; one that already is all three is kept byte for byte.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{
    ColorType, DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits,
};

/// The longest side a stored picture keeps, in pixels.
pub const LONGEST_SIDE: u32 = 1_600;
/// The most pixels a side of an uploaded picture may have: a 10 MB file can claim a size whose
/// pixels would fill the server's memory.
pub const MOST_PIXELS_A_SIDE: u32 = 12_000;
/// A photo made again as a JPEG: no loss the eye sees at the size pages show it.
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PictureError {
    #[error("This picture cannot be read: the file may be damaged. Save it again and upload that.")]
    Unreadable,
    #[error("The picture is too large: at most 12,000 pixels on a side.")]
    TooManyPixels,
}

impl From<ImageError> for PictureError {
    fn from(e: ImageError) -> PictureError {
        match e {
            ImageError::Limits(_) => PictureError::TooManyPixels,
            _ => PictureError::Unreadable,
        }
    }
}

/// A picture as it is stored: its bytes, the extension its stored name takes, and its width
/// and height in pixels (`None` for a GIF too short to say).
pub struct Fitted {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
    pub dimensions: Option<(u32, u32)>,
}

impl std::fmt::Debug for Fitted {
    /// Its length, not its bytes: a failed test's message stays readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fitted")
            .field("bytes", &self.bytes.len())
            .field("extension", &self.extension)
            .field("dimensions", &self.dimensions)
            .finish()
    }
}

/// `bytes`, a picture of the kind `extension` says (as `files::picture_kind_of` told it), as
/// the pages show it. A JPEG, PNG or WebP is kept as uploaded when it is upright, at most
/// `LONGEST_SIDE` pixels on a side and carries no EXIF, XMP or IPTC metadata; any other is
/// made again: turned upright, scaled down to fit, its metadata left out (its colour profile
/// kept). A JPEG stays a JPEG and a PNG a PNG; a WebP becomes a JPEG, or a PNG when it has
/// transparency (the encoder here only makes lossless WebP, several times larger). A GIF is
/// kept as uploaded: it may be animated, which a still picture made again would lose.
/// Takes about a second for a phone's photo (BENCHMARKS.md): run it off the async threads.
pub fn fit_for_pages(bytes: Vec<u8>, extension: &'static str) -> Result<Fitted, PictureError> {
    let format = match extension {
        "jpg" => ImageFormat::Jpeg,
        "png" => ImageFormat::Png,
        "webp" => ImageFormat::WebP,
        _ => {
            let dimensions = gif_dimensions(&bytes);
            return Ok(Fitted { bytes, extension, dimensions });
        }
    };
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MOST_PIXELS_A_SIDE);
    limits.max_image_height = Some(MOST_PIXELS_A_SIDE);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let says_more = decoder.exif_metadata()?.is_some()
        || decoder.xmp_metadata()?.is_some()
        || decoder.iptc_metadata()?.is_some();
    let colour_profile = decoder.icc_profile()?;
    let (width, height) = decoder.dimensions();
    // Decoded even when kept: a damaged file is refused rather than shown broken.
    let mut picture = DynamicImage::from_decoder(decoder)?;
    if !says_more && orientation == Orientation::NoTransforms && width.max(height) <= LONGEST_SIDE {
        return Ok(Fitted { bytes, extension, dimensions: Some((width, height)) });
    }
    picture.apply_orientation(orientation);
    if picture.width().max(picture.height()) > LONGEST_SIDE {
        // The tent filter, widened by the scale, averages every pixel it drops: as smooth as
        // Lanczos to the eye at these sizes, in half the time (0.55 s against 1.13 s for a
        // phone's 12-megapixel photo).
        picture = picture.resize(LONGEST_SIDE, LONGEST_SIDE, FilterType::Triangle);
    }
    let mut made = Vec::new();
    let extension = if format == ImageFormat::Png || picture.color().has_alpha() {
        let mut encoder = PngEncoder::new(&mut made);
        keep_profile(&mut encoder, colour_profile);
        picture.write_with_encoder(encoder)?;
        "png"
    } else {
        // A JPEG holds grey or colour, with no alpha and at eight bits a channel.
        if picture.color() != ColorType::L8 {
            picture = DynamicImage::ImageRgb8(picture.to_rgb8());
        }
        let mut encoder = JpegEncoder::new_with_quality(&mut made, JPEG_QUALITY);
        keep_profile(&mut encoder, colour_profile);
        picture.write_with_encoder(encoder)?;
        "jpg"
    };
    Ok(Fitted { bytes: made, extension, dimensions: Some((picture.width(), picture.height())) })
}

/// A GIF's width and height, from its header (`GIF89a`, then each in two bytes, low first).
fn gif_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = bytes.get(6..10)?;
    Some((
        u32::from(u16::from_le_bytes([size[0], size[1]])),
        u32::from(u16::from_le_bytes([size[2], size[3]])),
    ))
}

/// Gives the picture made again the colour profile of the one uploaded (a phone's wide-gamut
/// photo looks washed out without it); one the encoder cannot hold is left out.
fn keep_profile(encoder: &mut impl ImageEncoder, profile: Option<Vec<u8>>) {
    if let Some(profile) = profile {
        let _ = encoder.set_icc_profile(profile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

    /// A `width` × `height` photo-like picture: a gradient, red at the top left.
    fn photo(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            if x < width / 4 && y < height / 4 {
                Rgb([220, 20, 20])
            } else {
                Rgb([(x % 256) as u8, (y % 256) as u8, 90])
            }
        })
    }

    /// The colour profile a camera's file carries in these tests.
    const PROFILE: &[u8] = b"a colour profile";

    /// `picture` as a JPEG; with `exif`, as a camera writes one: that EXIF and `PROFILE`.
    fn jpeg(picture: &RgbImage, exif: Option<Vec<u8>>) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 90);
        if let Some(exif) = exif {
            encoder.set_exif_metadata(exif).unwrap();
            encoder.set_icc_profile(PROFILE.to_vec()).unwrap();
        }
        DynamicImage::ImageRgb8(picture.clone()).write_with_encoder(encoder).unwrap();
        bytes
    }

    fn png(picture: DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        picture.write_with_encoder(PngEncoder::new(&mut bytes)).unwrap();
        bytes
    }

    /// A little-endian EXIF block holding an orientation (6: turn a quarter clockwise to show)
    /// and the text `GPS 51.5N 0.1W`, as a camera's location would be.
    fn exif(orientation: u8) -> Vec<u8> {
        let mut exif = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        exif.extend_from_slice(&[orientation, 0, 0, 0, 0, 0, 0, 0]);
        exif.extend_from_slice(b"GPS 51.5N 0.1W");
        exif
    }

    fn decoded(fitted: &Fitted) -> DynamicImage {
        image::load_from_memory(&fitted.bytes).unwrap()
    }

    #[test]
    fn a_phones_photo_is_scaled_to_fit_and_much_smaller() {
        let uploaded = jpeg(&photo(4000, 3000), None);
        let fitted = fit_for_pages(uploaded.clone(), "jpg").unwrap();
        assert_eq!(fitted.extension, "jpg");
        assert_eq!(decoded(&fitted).dimensions(), (1600, 1200));
        assert_eq!(fitted.dimensions, Some((1600, 1200)));
        assert!(fitted.bytes.len() * 3 < uploaded.len(), "{} of {}", fitted.bytes.len(), uploaded.len());
        let tall = fit_for_pages(jpeg(&photo(1000, 2400), None), "jpg").unwrap();
        assert_eq!(decoded(&tall).dimensions(), (667, 1600));
        assert_eq!(tall.dimensions, Some((667, 1600)));
    }

    #[test]
    fn a_picture_already_fit_is_kept_byte_for_byte() {
        let small = jpeg(&photo(1600, 900), None);
        let fitted = fit_for_pages(small.clone(), "jpg").unwrap();
        assert_eq!((fitted.bytes, fitted.dimensions), (small, Some((1600, 900))));
        let logo = png(DynamicImage::ImageRgba8(RgbaImage::from_pixel(300, 100, Rgba([0, 0, 0, 0]))));
        let fitted = fit_for_pages(logo.clone(), "png").unwrap();
        assert_eq!((fitted.bytes, fitted.extension, fitted.dimensions), (logo, "png", Some((300, 100))));
        // A GIF's size is read from its header: 400 × 300 here.
        let gif = b"GIF89a\x90\x01\x2c\x01 anything".to_vec();
        let fitted = fit_for_pages(gif.clone(), "gif").unwrap();
        assert_eq!((fitted.bytes, fitted.dimensions), (gif, Some((400, 300))));
        assert_eq!(fit_for_pages(b"GIF89a".to_vec(), "gif").unwrap().dimensions, None);
    }

    #[test]
    fn a_photo_is_turned_upright_and_loses_its_metadata() {
        // Taken with the phone on its side: stored 400 × 300, shown 300 × 400.
        let uploaded = jpeg(&photo(400, 300), Some(exif(6)));
        let fitted = fit_for_pages(uploaded, "jpg").unwrap();
        let upright = decoded(&fitted);
        assert_eq!(upright.dimensions(), (300, 400));
        assert_eq!(fitted.dimensions, Some((300, 400)));
        // The red corner, top left as stored, is top right once turned.
        let [r, g, _] = upright.to_rgb8().get_pixel(290, 10).0;
        assert!(r > 180 && g < 70, "{r} {g}");
        let found = |needle: &[u8]| fitted.bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!found(b"Exif") && !found(b"GPS 51.5N"));
        // Its colour profile goes with it (a wide-gamut photo would look washed out without).
        let mut decoder =
            ImageReader::with_format(Cursor::new(&fitted.bytes), ImageFormat::Jpeg).into_decoder().unwrap();
        assert_eq!(decoder.icc_profile().unwrap().as_deref(), Some(PROFILE));
        assert_eq!(decoder.exif_metadata().unwrap(), None);
        // Metadata alone, on a picture already upright and small, is reason to make it again.
        let fitted = fit_for_pages(jpeg(&photo(400, 300), Some(exif(1))), "jpg").unwrap();
        assert_eq!(decoded(&fitted).dimensions(), (400, 300));
        assert!(!fitted.bytes.windows(9).any(|w| w == b"GPS 51.5N"));
    }

    #[test]
    fn a_large_png_stays_a_png_and_a_webp_becomes_a_jpeg_or_a_png() {
        let screenshot = png(DynamicImage::ImageRgb8(photo(3200, 1800)));
        let fitted = fit_for_pages(screenshot, "png").unwrap();
        assert_eq!((fitted.extension, decoded(&fitted).dimensions()), ("png", (1600, 900)));
        let webp = |picture: DynamicImage| {
            let mut bytes = Vec::new();
            picture.write_to(&mut Cursor::new(&mut bytes), ImageFormat::WebP).unwrap();
            bytes
        };
        let opaque = fit_for_pages(webp(DynamicImage::ImageRgb8(photo(2000, 1000))), "webp").unwrap();
        assert_eq!((opaque.extension, decoded(&opaque).dimensions()), ("jpg", (1600, 800)));
        let clear = RgbaImage::from_pixel(2000, 1000, Rgba([10, 20, 30, 0]));
        let transparent = fit_for_pages(webp(DynamicImage::ImageRgba8(clear)), "webp").unwrap();
        assert_eq!(transparent.extension, "png");
        assert_eq!(decoded(&transparent).to_rgba8().get_pixel(5, 5).0[3], 0, "still transparent");
    }

    #[test]
    fn a_damaged_picture_or_one_claiming_too_many_pixels_is_refused() {
        // (A JPEG cut short is read as browsers read it, the missing rows grey.)
        let mut cut = png(DynamicImage::ImageRgb8(photo(400, 300)));
        cut.truncate(cut.len() / 3);
        assert_eq!(fit_for_pages(cut, "png").unwrap_err(), PictureError::Unreadable);
        assert_eq!(
            fit_for_pages(b"\xFF\xD8\xFF\xE0 not a jpeg".to_vec(), "jpg").unwrap_err(),
            PictureError::Unreadable
        );
        // A PNG header saying 20,000 × 20,000: refused before any pixel is made.
        let mut claim = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let header = [&20_000u32.to_be_bytes()[..], &20_000u32.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
        let crc = crc32(&[&b"IHDR"[..], &header].concat());
        claim.extend_from_slice(&header);
        claim.extend_from_slice(&crc.to_be_bytes());
        assert_eq!(fit_for_pages(claim, "png").unwrap_err(), PictureError::TooManyPixels);
    }

    /// PNG's chunk checksum (CRC-32, as zlib computes it).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
