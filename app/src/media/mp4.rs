//! Uploaded MP4 videos without the metadata a phone records in them (ssr only). A phone's
//! video says where it was filmed (`©xyz` in the movie's user data, Apple's location key in its
//! metadata), on which phone and when; published, it tells everyone who downloads it. The boxes
//! holding it are made free space of the same length, where they lie: nothing else in the file
//! moves, so a gigabyte's video is mended by rewriting a few kilobytes, and the offsets into its
//! media data stay true. Action cameras and drones record where they were as a track of its
//! own (GoPro's GPS track, Google's camera metadata): that track's samples are zeroed where
//! they lie in the media data, and the track stays, empty. A WebM is kept as uploaded (phones
//! record MP4).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;

/// The boxes describing a recording rather than holding it: user data (`udta`: the place, a
/// title, the phone's make and model, XMP) and metadata (`meta`: Apple's keys, the same and
/// more). Blanked at the file's top, in the movie (`moov`), and in each of its tracks (`trak`).
const DESCRIPTIONS: [[u8; 4]; 2] = [*b"udta", *b"meta"];
/// The user type of the box Adobe's tools keep an XMP packet in at a file's top.
const XMP_UUID: [u8; 16] =
    [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];
/// The handler types of tracks whose samples describe the recording rather than hold it: timed
/// metadata (`meta`: GoPro's GPS track `gpmd`, Apple's `mebx`, drones' telemetry) and Google's
/// camera motion metadata (`camm`, GPS fixes among them). A player plays none of them.
const DESCRIBING_TRACKS: [[u8; 4]; 2] = [*b"meta", *b"camm"];
/// The longest sample table read (a million samples' sizes or places: a GPS track of one
/// sample a second for eleven days); a track with a longer one is left as it is.
const MAX_TABLE_BYTES: u64 = 4 * 1024 * 1024;

/// Where in the file's tree of boxes a walk is.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    File,
    Movie,
    Track,
}

/// One box: where it starts, its type, the length of its header, and where it ends.
#[derive(Clone, Copy)]
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
    let media = media_data(&mut file, end)?;
    blank_within(&mut file, 0, end, Level::File, &media)?;
    file.sync_all()
}

/// Blanks the metadata among the boxes from `start` to `end` at `level`, and below; `media` is
/// where the file's media data lies.
fn blank_within(file: &mut File, start: u64, end: u64, level: Level, media: &[Range<u64>]) -> io::Result<()> {
    let mut at = start;
    while let Some(found) = box_at(file, at, end, level)? {
        let inside = found.start + found.header_len;
        match (level, &found.kind) {
            (_, kind) if DESCRIPTIONS.contains(kind) => blank(file, &found)?,
            (Level::File, b"uuid") if bytes_in(file, &found, 0)? == Some(XMP_UUID) => blank(file, &found)?,
            (Level::File, b"moov") => blank_within(file, inside, found.end, Level::Movie, media)?,
            (Level::Movie, b"trak") => {
                blank_within(file, inside, found.end, Level::Track, media)?;
                blank_describing_samples(file, &found, media)?;
            }
            _ => {}
        }
        at = found.end;
    }
    Ok(())
}

/// The contents of the media data boxes (`mdat`) at the file's top: the only bytes a track's
/// samples are zeroed in, whatever its tables claim.
fn media_data(file: &mut File, end: u64) -> io::Result<Vec<Range<u64>>> {
    let mut media = Vec::new();
    let mut at = 0;
    while let Some(found) = box_at(file, at, end, Level::File)? {
        if &found.kind == b"mdat" {
            media.push(found.start + found.header_len..found.end);
        }
        at = found.end;
    }
    Ok(media)
}

/// Zeroes the samples of `track` where they lie in `media` when it is a track describing the
/// recording (`DESCRIBING_TRACKS`); a track whose tables are missing or make no sense is left.
fn blank_describing_samples(file: &mut File, track: &Mp4Box, media: &[Range<u64>]) -> io::Result<()> {
    let Some(handler) = descendant(file, track, &[b"mdia", b"hdlr"])? else { return Ok(()) };
    // A handler box: version and flags, four bytes unused, then the handler type.
    if !bytes_in(file, &handler, 8)?.is_some_and(|kind| DESCRIBING_TRACKS.contains(&kind)) {
        return Ok(());
    }
    let Some(table) = descendant(file, track, &[b"mdia", b"minf", b"stbl"])? else { return Ok(()) };
    let tables = SampleTables::read(file, &table)?;
    for chunk in tables.as_ref().map(SampleTables::chunks).unwrap_or_default() {
        for within in media {
            let (from, to) = (chunk.start.max(within.start), chunk.end.min(within.end));
            if from < to {
                zero(file, from, to)?;
            }
        }
    }
    Ok(())
}

/// A track's sample table as far as where its samples lie goes: each sample's size (`stsz`),
/// how many samples each chunk holds (`stsc`: from which chunk on, how many), and where each
/// chunk starts (`stco`, or `co64` in a file over 4 GiB).
struct SampleTables {
    uniform_size: u64,
    sizes: Vec<u64>,
    sample_count: u64,
    samples_per_chunk: Vec<(u64, u64)>,
    chunk_offsets: Vec<u64>,
}

impl SampleTables {
    /// The tables in the sample table box `table`; `None` when one is missing, too long, or
    /// shorter than its count says.
    fn read(file: &mut File, table: &Mp4Box) -> io::Result<Option<SampleTables>> {
        let sizes = table_in(file, table, b"stsz")?;
        let per_chunk = table_in(file, table, b"stsc")?;
        let (offsets, offset_width) = match table_in(file, table, b"stco")? {
            Some(found) => (Some(found), 4),
            None => (table_in(file, table, b"co64")?, 8),
        };
        let (Some(sizes), Some(per_chunk), Some(offsets)) = (sizes, per_chunk, offsets) else {
            return Ok(None);
        };
        Ok(Self::parse(&sizes, &per_chunk, &offsets, offset_width))
    }

    /// The tables from their boxes' contents: each starts with a version and flags, then (the
    /// sizes' uniform size, zero when each sample has its own, and) its count of rows.
    fn parse(sizes: &[u8], per_chunk: &[u8], offsets: &[u8], offset_width: usize) -> Option<SampleTables> {
        let uniform_size = number(sizes, 4, 4)?;
        let sample_count = number(sizes, 8, 4)?;
        let sizes = if uniform_size == 0 { entries(sizes, 12, sample_count, 4, 0, 4)? } else { Vec::new() };
        // Rows of three: the first chunk of a run, its samples per chunk, its sample description.
        let runs = number(per_chunk, 4, 4)?;
        let firsts = entries(per_chunk, 8, runs, 12, 0, 4)?;
        let counts = entries(per_chunk, 8, runs, 12, 4, 4)?;
        let chunks = number(offsets, 4, 4)?;
        let chunk_offsets = entries(offsets, 8, chunks, offset_width, 0, offset_width)?;
        let samples_per_chunk = firsts.into_iter().zip(counts).collect();
        Some(SampleTables { uniform_size, sizes, sample_count, samples_per_chunk, chunk_offsets })
    }

    /// Where each chunk's samples lie: from the chunk's start, as long as its samples together.
    fn chunks(&self) -> Vec<Range<u64>> {
        let mut chunks = Vec::with_capacity(self.chunk_offsets.len());
        let mut sample = 0u64;
        let mut run = 0;
        for (index, &start) in self.chunk_offsets.iter().enumerate() {
            // Chunks are numbered from 1; a run of the table lasts until the next one's first.
            let number = index as u64 + 1;
            while self.samples_per_chunk.get(run + 1).is_some_and(|&(first, _)| first <= number) {
                run += 1;
            }
            let Some(&(first, per_chunk)) = self.samples_per_chunk.get(run) else { break };
            if first > number || sample >= self.sample_count {
                break;
            }
            let count = per_chunk.min(self.sample_count - sample);
            let length = if self.uniform_size > 0 {
                self.uniform_size.saturating_mul(count)
            } else {
                self.sizes.iter().skip(sample as usize).take(count as usize).sum()
            };
            sample += count;
            chunks.push(start..start.saturating_add(length));
        }
        chunks
    }
}

/// One column of a table of `count` rows of `stride` bytes starting at `start` in `bytes`: the
/// number `width` bytes wide at `field` in each row; `None` when `bytes` holds fewer rows.
fn entries(
    bytes: &[u8],
    start: usize,
    count: u64,
    stride: usize,
    field: usize,
    width: usize,
) -> Option<Vec<u64>> {
    let count = usize::try_from(count).ok()?;
    if count.checked_mul(stride)? > bytes.len().checked_sub(start)? {
        return None;
    }
    (0..count).map(|i| number(bytes, start + i * stride + field, width)).collect()
}

/// The big-endian number `width` bytes wide (4 or 8) at `at` in `bytes`.
fn number(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let found = bytes.get(at..at.checked_add(width)?)?;
    Some(found.iter().fold(0u64, |value, &byte| value << 8 | u64::from(byte)))
}

/// The box found by following `path` down from `parent`, each step the first child of that kind.
fn descendant(file: &mut File, parent: &Mp4Box, path: &[&[u8; 4]]) -> io::Result<Option<Mp4Box>> {
    let mut current = *parent;
    for kind in path {
        let mut at = current.start + current.header_len;
        let mut child = None;
        while let Some(found) = box_at(file, at, current.end, Level::Track)? {
            if &found.kind == *kind {
                child = Some(found);
                break;
            }
            at = found.end;
        }
        match child {
            Some(found) => current = found,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

/// The content of the first `kind` box in `table`; `None` when there is none, or it is longer
/// than `MAX_TABLE_BYTES`.
fn table_in(file: &mut File, table: &Mp4Box, kind: &[u8; 4]) -> io::Result<Option<Vec<u8>>> {
    let Some(found) = descendant(file, table, &[kind])? else { return Ok(None) };
    let length = found.end - found.start - found.header_len;
    if length > MAX_TABLE_BYTES {
        return Ok(None);
    }
    let mut content = vec![0u8; length as usize];
    file.seek(SeekFrom::Start(found.start + found.header_len))?;
    file.read_exact(&mut content)?;
    Ok(Some(content))
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

/// The `N` bytes `skip` bytes into `found`'s content (a `uuid` box's user type, a handler's
/// type); `None` when it is too short.
fn bytes_in<const N: usize>(file: &mut File, found: &Mp4Box, skip: u64) -> io::Result<Option<[u8; N]>> {
    let at = found.start + found.header_len + skip;
    if found.end < at + N as u64 {
        return Ok(None);
    }
    let mut bytes = [0u8; N];
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

/// Makes `found` a free-space box of the same length, its content zeros.
fn blank(file: &mut File, found: &Mp4Box) -> io::Result<()> {
    file.seek(SeekFrom::Start(found.start + 4))?;
    file.write_all(b"free")?;
    zero(file, found.start + found.header_len, found.end)
}

/// Writes zeros over the file's bytes from `from` to `to`.
fn zero(file: &mut File, from: u64, to: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(from))?;
    let zeros = [0u8; 8192];
    let mut left = to - from;
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

    /// A version-and-flags box (a "full box") of `kind` holding `content` after them.
    fn full_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        mp4_box(kind, &[&[0u8; 4][..], content].concat())
    }

    fn numbers(values: &[u64], width: usize) -> Vec<u8> {
        values.iter().flat_map(|value| value.to_be_bytes()[8 - width..].to_vec()).collect()
    }

    /// A track of `handler`'s kind (its samples described as `entry`), one sample of each of
    /// `sizes` per chunk, the chunks at `offsets` (64-bit offsets when `wide`).
    fn track(handler: &[u8; 4], entry: &[u8; 4], sizes: &[u64], offsets: &[u64], wide: bool) -> Vec<u8> {
        let count = |n: usize| (n as u32).to_be_bytes().to_vec();
        let descriptions = full_box(b"stsd", &[count(1), mp4_box(entry, &[0; 8])].concat());
        let sizes = full_box(b"stsz", &[count(0), count(sizes.len()), numbers(sizes, 4)].concat());
        let per_chunk = full_box(b"stsc", &[count(1), numbers(&[1, 1, 1], 4)].concat());
        let places = if wide {
            full_box(b"co64", &[count(offsets.len()), numbers(offsets, 8)].concat())
        } else {
            full_box(b"stco", &[count(offsets.len()), numbers(offsets, 4)].concat())
        };
        let table = mp4_box(b"stbl", &[descriptions, sizes, per_chunk, places].concat());
        let handler = full_box(b"hdlr", &[&[0; 4][..], handler, &[0; 12], b"GoPro MET\0"].concat());
        let media = [mp4_box(b"mdhd", &[4; 24]), handler, mp4_box(b"minf", &table)].concat();
        mp4_box(b"trak", &[mp4_box(b"tkhd", &[1; 84]), mp4_box(b"mdia", &media)].concat())
    }

    /// An action camera's video: a picture track, and a track of `handler`'s kind holding where
    /// it was (GoPro's GPS samples, `gpmd`), their samples interleaved in the media data; each
    /// GPS sample as `fix` makes it (as recorded, or as it should be stored).
    fn action_camera_video(handler: &[u8; 4], wide: bool, fix: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        let pictures = [vec![9u8; 300], vec![8u8; 250]];
        let fixes = [b"GPS5 +51.5000-000.1000 first".to_vec(), b"GPS5 +51.5001-000.1001 second".to_vec()];
        let samples = [&pictures[0], &fixes[0], &pictures[1], &fixes[1]];
        let movie = |at: &[u64]| {
            let picture_track = track(b"vide", b"avc1", &[300, 250], &[at[0], at[2]], wide);
            let gps_track = track(handler, b"gpmd", &[28, 29], &[at[1], at[3]], wide);
            mp4_box(b"moov", &[mp4_box(b"mvhd", &[3; 100]), picture_track, gps_track].concat())
        };
        let kind = mp4_box(b"ftyp", b"isomiso2avc1mp41");
        let mut at = (kind.len() + movie(&[0; 4]).len() + 8) as u64;
        let offsets: Vec<u64> = samples
            .iter()
            .map(|sample| {
                at += sample.len() as u64;
                at - sample.len() as u64
            })
            .collect();
        let media = [pictures[0].clone(), fix(&fixes[0]), pictures[1].clone(), fix(&fixes[1])].concat();
        [kind, movie(&offsets), mp4_box(b"mdat", &media)].concat()
    }

    #[test]
    fn a_gps_track_is_zeroed_where_it_lies_and_the_picture_kept() {
        let recorded = |fix: &[u8]| fix.to_vec();
        let zeroed = |fix: &[u8]| vec![0; fix.len()];
        for (handler, wide) in [(b"meta", false), (b"meta", true), (b"camm", false)] {
            let uploaded = action_camera_video(handler, wide, recorded);
            let stored = blanked(&uploaded, "mp4");
            assert!(contains(&uploaded, b"+51.5000") && !contains(&stored, b"+51.5"));
            // Only the GPS samples are zeros: the picture's samples and every box as uploaded.
            assert!(stored == action_camera_video(handler, wide, zeroed), "{handler:?} {wide}");
            assert_eq!(blanked(&stored, "mp4"), stored);
        }
        // A track of another kind (sound, captions) is kept whole.
        let sound = action_camera_video(b"soun", false, recorded);
        assert_eq!(blanked(&sound, "mp4"), sound);
    }

    #[test]
    fn chunks_are_found_from_the_sample_tables() {
        // Thirty bytes a sample, two samples in each of the first two chunks, then one a chunk:
        // five samples fill three of the four chunks listed.
        let uniform = SampleTables {
            uniform_size: 30,
            sizes: Vec::new(),
            sample_count: 5,
            samples_per_chunk: vec![(1, 2), (3, 1)],
            chunk_offsets: vec![100, 200, 300, 400],
        };
        assert_eq!(uniform.chunks(), [100..160, 200..260, 300..330]);
        let each_its_size = SampleTables {
            uniform_size: 0,
            sizes: vec![1, 2, 3, 4, 5],
            sample_count: 5,
            samples_per_chunk: vec![(1, 2), (2, 3)],
            chunk_offsets: vec![10, 20],
        };
        assert_eq!(each_its_size.chunks(), [10..13, 20..32]);
        // Counts no file holds end with the chunks listed, at once.
        let claiming = SampleTables {
            uniform_size: u64::from(u32::MAX),
            sizes: Vec::new(),
            sample_count: u64::from(u32::MAX),
            samples_per_chunk: vec![(1, u64::from(u32::MAX))],
            chunk_offsets: vec![u64::MAX - 5],
        };
        let chunks = claiming.chunks();
        assert_eq!((chunks.len(), &chunks[0]), (1, &(u64::MAX - 5..u64::MAX)));
    }

    #[test]
    fn a_gps_track_placed_outside_the_media_data_changes_nothing_else() {
        // Its chunks said to be in the file's type box, in the movie, and past the file's end.
        let gps_track = track(b"meta", b"gpmd", &[4, 30, 30], &[8, 40, 1 << 40], true);
        let movie = mp4_box(b"moov", &[mp4_box(b"mvhd", &[3; 100]), gps_track].concat());
        let uploaded = [mp4_box(b"ftyp", b"isomiso2avc1mp41"), movie, mp4_box(b"mdat", &[9; 100])].concat();
        assert_eq!(blanked(&uploaded, "mp4"), uploaded);
        // A sizes table shorter than its count says is not read: the sample in the media data
        // stays (as it goes when the count is right).
        let in_media = |count: u32| {
            let media_start = (12 + 8 + track(b"meta", b"gpmd", &[4], &[0], false).len() + 8) as u64;
            let mut gps_track = track(b"meta", b"gpmd", &[4], &[media_start], false);
            let sizes = gps_track.windows(4).position(|w| w == b"stsz").unwrap();
            gps_track[sizes + 12..sizes + 16].copy_from_slice(&count.to_be_bytes());
            [mp4_box(b"ftyp", b"isom"), mp4_box(b"moov", &gps_track), mp4_box(b"mdat", &[9; 100])].concat()
        };
        assert_eq!(blanked(&in_media(1000), "mp4"), in_media(1000));
        let stored = blanked(&in_media(1), "mp4");
        assert_eq!(stored.len(), in_media(1).len());
        assert!(stored.ends_with(&[[0; 4].as_slice(), &[9; 96]].concat()));
    }

    #[test]
    fn a_webm_is_kept_as_uploaded() {
        let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], &mp4_box(b"udta", b"+51.5000")].concat();
        assert_eq!(blanked(&webm, "webm"), webm);
    }
}
