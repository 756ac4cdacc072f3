//! Uploaded MP4 videos without the metadata a phone records in them (ssr only). A phone's
//! video says where it was filmed (`©xyz` in the movie's user data, Apple's location key in its
//! metadata), on which phone and when; published, it tells everyone who downloads it. The boxes
//! holding it are made free space of the same length, where they lie: nothing else in the file
//! moves, so a gigabyte's video is mended by rewriting a few kilobytes, and the offsets into its
//! media data stay true. A WebM is kept as uploaded (phones record MP4).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The boxes describing a recording rather than holding it: user data (`udta`: the place, a
/// title, the phone's make and model, XMP) and metadata (`meta`: Apple's keys, the same and
/// more). Blanked at the file's top, in the movie (`moov`), and in each of its tracks (`trak`).
const DESCRIPTIONS: [[u8; 4]; 2] = [*b"udta", *b"meta"];
/// The user type of the box Adobe's tools keep an XMP packet in at a file's top.
const XMP_UUID: [u8; 16] =
    [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];

/// Where in the file's tree of boxes a walk is.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    File,
    Movie,
    Track,
}

/// One box: where it starts, its type, the length of its header, and where it ends.
struct Mp4Box {
    start: u64,
    kind: [u8; 4],
    header_len: u64,
    end: u64,
}

/// Blanks the metadata boxes of the MP4 file at `path` (an `extension` other than `mp4` is
/// kept as it is). A box whose header cannot be read ends the walk of its level: a player
/// cannot read past it either.
pub fn blank_metadata(path: &Path, extension: &str) -> io::Result<()> {
    if extension != "mp4" {
        return Ok(());
    }
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let end = file.metadata()?.len();
    blank_within(&mut file, 0, end, Level::File)?;
    file.sync_all()
}

/// Blanks the metadata among the boxes from `start` to `end` at `level`, and below.
fn blank_within(file: &mut File, start: u64, end: u64, level: Level) -> io::Result<()> {
    let mut at = start;
    while let Some(found) = box_at(file, at, end, level)? {
        let inside = found.start + found.header_len;
        match (level, &found.kind) {
            (_, kind) if DESCRIPTIONS.contains(kind) => blank(file, &found)?,
            (Level::File, b"uuid") if user_type(file, &found)? == Some(XMP_UUID) => blank(file, &found)?,
            (Level::File, b"moov") => blank_within(file, inside, found.end, Level::Movie)?,
            (Level::Movie, b"trak") => blank_within(file, inside, found.end, Level::Track)?,
            _ => {}
        }
        at = found.end;
    }
    Ok(())
}

/// The box starting at `start` inside a parent ending at `end`, at `level`; `None` at the
/// parent's end or when the header makes no sense. At the file's top, a box may run to the
/// file's end (size 0), or claim more than the file holds (a file cut short: it ends with the
/// file); inside a box, either makes no sense.
fn box_at(file: &mut File, start: u64, end: u64, level: Level) -> io::Result<Option<Mp4Box>> {
    if end.saturating_sub(start) < 8 {
        return Ok(None);
    }
    let top = level == Level::File;
    let mut header = [0u8; 8];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut header)?;
    let (size, header_len) = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
        0 if top => (end - start, 8),
        // Size 1: the real size follows in 64 bits.
        1 if end - start >= 16 => {
            let mut large = [0u8; 8];
            file.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        0 | 1 => return Ok(None),
        size => (u64::from(size), 8),
    };
    if size < header_len || (!top && size > end - start) {
        return Ok(None);
    }
    let kind = [header[4], header[5], header[6], header[7]];
    Ok(Some(Mp4Box { start, kind, header_len, end: start.saturating_add(size).min(end) }))
}

/// A `uuid` box's user type, the 16 bytes after its header; `None` when it is too short.
fn user_type(file: &mut File, found: &Mp4Box) -> io::Result<Option<[u8; 16]>> {
    if found.end - found.start < found.header_len + 16 {
        return Ok(None);
    }
    let mut user_type = [0u8; 16];
    file.seek(SeekFrom::Start(found.start + found.header_len))?;
    file.read_exact(&mut user_type)?;
    Ok(Some(user_type))
}

/// Makes `found` a free-space box of the same length, its content zeros.
fn blank(file: &mut File, found: &Mp4Box) -> io::Result<()> {
    file.seek(SeekFrom::Start(found.start + 4))?;
    file.write_all(b"free")?;
    file.seek(SeekFrom::Start(found.start + found.header_len))?;
    let zeros = [0u8; 8192];
    let mut left = found.end - found.start - found.header_len;
    while left > 0 {
        let now = left.min(zeros.len() as u64);
        file.write_all(&zeros[..now as usize])?;
        left -= now;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MP4 box of `kind` holding `content`.
    fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut bytes = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(content);
        bytes
    }

    /// A phone's video as far as its boxes go: where it was filmed in the movie's user data and
    /// in Apple's metadata, the phone's model in the track's user data; each of those boxes
    /// made by `description` (`mp4_box`, or `free_space` for the video as it should be stored).
    fn phone_video(description: fn(&[u8; 4], &[u8]) -> Vec<u8>) -> Vec<u8> {
        let where_filmed = mp4_box(b"\xA9xyz", b"\0\x12\x15\xC7+51.5000-000.1000/");
        let apple_keys = mp4_box(b"keys", b"com.apple.quicktime.location.ISO6709");
        let apple_items = mp4_box(b"ilst", b"+51.5000-000.1000+012.000/");
        let track = [
            mp4_box(b"tkhd", &[1; 84]),
            description(b"udta", &mp4_box(b"\xA9mod", b"Pixel 9")),
            mp4_box(b"mdia", &[2; 40]),
        ]
        .concat();
        let movie = [
            mp4_box(b"mvhd", &[3; 100]),
            mp4_box(b"trak", &track),
            description(b"udta", &where_filmed),
            description(b"meta", &[apple_keys, apple_items].concat()),
        ]
        .concat();
        [mp4_box(b"ftyp", b"isomiso2avc1mp41"), mp4_box(b"moov", &movie), mp4_box(b"mdat", &[9; 5000])]
            .concat()
    }

    /// A free-space box as long as a box holding `content`.
    fn free_space(_: &[u8; 4], content: &[u8]) -> Vec<u8> {
        mp4_box(b"free", &vec![0; content.len()])
    }

    /// `bytes` written to a file, blanked, and read back.
    fn blanked(bytes: &[u8], extension: &str) -> Vec<u8> {
        let path = std::env::temp_dir().join(format!("cm-mp4-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, bytes).unwrap();
        blank_metadata(&path, extension).unwrap();
        let after = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        after
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn where_and_on_what_a_video_was_filmed_is_blanked_and_nothing_else_moves() {
        let uploaded = phone_video(mp4_box);
        let stored = blanked(&uploaded, "mp4");
        for told in [&b"+51.5000"[..], b"com.apple.quicktime.location", b"Pixel 9"] {
            assert!(contains(&uploaded, told));
            assert!(!contains(&stored, told), "{:?} is still there", String::from_utf8_lossy(told));
        }
        // Each of those boxes is free space as long; every other byte is where it was.
        assert_eq!(stored, phone_video(free_space));
    }

    #[test]
    fn an_xmp_packet_at_the_top_is_blanked_and_other_uuid_boxes_kept() {
        let xmp = mp4_box(b"uuid", &[&XMP_UUID[..], b"<x:xmpmeta><exif:GPSLatitude>51,30N"].concat());
        let other = mp4_box(b"uuid", &[&[7; 16][..], b"a camera's own data"].concat());
        let uploaded = [mp4_box(b"ftyp", b"isom"), xmp, other.clone(), mp4_box(b"mdat", &[9; 100])].concat();
        let stored = blanked(&uploaded, "mp4");
        assert!(!contains(&stored, b"GPSLatitude"));
        assert!(contains(&stored, &other));
        assert_eq!(stored.len(), uploaded.len());
    }

    #[test]
    fn odd_sizes_are_followed_and_nonsense_ends_the_walk() {
        // A 64-bit size, and a last box running to the end of the file (size 0).
        let mut large = 1u32.to_be_bytes().to_vec();
        large.extend_from_slice(b"udta");
        large.extend_from_slice(&(16u64 + 9).to_be_bytes());
        large.extend_from_slice(b"somewhere");
        let mut to_the_end = 0u32.to_be_bytes().to_vec();
        to_the_end.extend_from_slice(b"meta");
        to_the_end.extend_from_slice(b"the rest of the file");
        let uploaded = [mp4_box(b"ftyp", b"isom"), large, to_the_end].concat();
        let stored = blanked(&uploaded, "mp4");
        assert!(!contains(&stored, b"somewhere") && !contains(&stored, b"the rest"));
        assert_eq!(&stored[16..20], b"free");

        // A box claiming more than the file holds (cut short) ends with the file; a size
        // smaller than a header ends the walk; neither is an error.
        let cut = [mp4_box(b"ftyp", b"isom"), mp4_box(b"udta", b"cut short here")].concat();
        assert!(!contains(&blanked(&cut[..cut.len() - 3], "mp4"), b"cut short"));
        let nonsense = [mp4_box(b"ftyp", b"isom"), vec![0, 0, 0, 4], mp4_box(b"udta", b"after")].concat();
        assert_eq!(blanked(&nonsense, "mp4"), nonsense);
        // Inside the movie, a box claiming more than the movie holds, or to run to the end,
        // ends the walk there: the boxes after it are not taken for its content and zeroed.
        let track = mp4_box(b"trak", &[1; 30]);
        for size in [0u32, 1_000] {
            let mut claiming = size.to_be_bytes().to_vec();
            claiming.extend_from_slice(b"udta");
            let movie = mp4_box(b"moov", &[claiming, track.clone()].concat());
            let uploaded = [mp4_box(b"ftyp", b"isom"), movie, mp4_box(b"mdat", &[9; 100])].concat();
            assert_eq!(blanked(&uploaded, "mp4"), uploaded, "size {size}");
        }
        // Fake videos: an `ftyp` and any bytes after it.
        let mut filler = mp4_box(b"ftyp", b"isom");
        filler.extend_from_slice(&[7; 3000]);
        assert_eq!(blanked(&filler, "mp4"), filler);
    }

    #[test]
    fn any_bytes_after_an_ftyp_keep_their_length_and_blank_once() {
        // Boxes of the kinds the walk looks at, nested at random, their sizes sometimes wrong.
        let kinds: [&[u8; 4]; 7] = [b"moov", b"trak", b"udta", b"meta", b"uuid", b"mdat", b"free"];
        let mut state = 11u64;
        let mut next = |below: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        for _ in 0..1_000 {
            let mut file = mp4_box(b"ftyp", b"isom");
            for _ in 0..next(6) {
                let kind = kinds[next(7) as usize];
                let inner =
                    if next(2) == 0 { mp4_box(kinds[next(7) as usize], &[5; 20]) } else { vec![6; 10] };
                let mut made = mp4_box(kind, &[inner.clone(), inner].concat());
                match next(5) {
                    0 => made[..4].copy_from_slice(&(next(200) as u32).to_be_bytes()),
                    1 => made.truncate(next(made.len() as u64) as usize),
                    _ => {}
                }
                file.extend_from_slice(&made);
            }
            let once = blanked(&file, "mp4");
            assert_eq!(once.len(), file.len());
            assert_eq!(blanked(&once, "mp4"), once);
        }
    }

    #[test]
    fn a_webm_is_kept_as_uploaded() {
        let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], &mp4_box(b"udta", b"+51.5000")].concat();
        assert_eq!(blanked(&webm, "webm"), webm);
    }
}
