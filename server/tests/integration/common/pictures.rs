//! Pictures for the upload tests, made with the `image` crate the server reads them with.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder, ImageFormat, Rgb, RgbImage};

/// A `width` × `height` PNG of one colour, as a drawn poster or logo is.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_pixel(width, height, Rgb([30, 90, 200]));
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(picture)
        .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

/// A `width` × `height` JPEG with as much detail as a phone's photo (so about as large), and
/// EXIF saying it was taken with the phone on its side (to be turned a quarter clockwise)
/// and where: the text `GPS 51.5N 0.1W`.
pub fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let mut state = 7u32;
    let picture = RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = (state >> 26) as u8;
        Rgb([(x / 8 % 190) as u8 + grain, (y / 8 % 190) as u8 + grain, 100 + grain])
    });
    let mut exif = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPS 51.5N 0.1W");
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 92);
    encoder.set_exif_metadata(exif).unwrap();
    DynamicImage::ImageRgb8(picture).write_with_encoder(encoder).unwrap();
    bytes
}
