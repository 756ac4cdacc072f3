//! Uploaded files (ssr only) — videos, and the pictures of stories — kept in the data
//! directory, `media/<kind's folder>/<random>.<ext>`, served at `/media/<folder>/<name>`. A
//! file is received into `media/incoming/` and moved into place only once it is whole, so a
//! half-received file is never served; what a crash leaves in `incoming/` is cleared at a later
//! start, once it is a day old (so that a process starting beside another on the same data
//! directory leaves that one's uploads alone).

use std::path::{Path, PathBuf};

use axum::extract::multipart::Field;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::pictures::{Fitted, PictureError};

/// The largest video upload allowed when the configuration names none: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;
/// The largest picture: a phone's photo is 2 to 6 MB.
pub const PICTURE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// A kind of file uploaded: the folder it is kept in, and how it is known.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Under `media/` in the data directory, and in the address it is served at.
    pub folder: &'static str,
    /// What a file is called when the browser gives no name.
    noun: &'static str,
    /// The stored file's extension, by the file's first bytes; `None` for another kind.
    sniff: fn(&[u8]) -> Option<&'static str>,
    /// Why another kind of file is refused.
    refused: &'static str,
    /// What makes a received file of this kind fit to serve.
    fit: Fit,
}

/// What makes a received file fit to serve, given its extension.
#[derive(Debug, Clone, Copy)]
enum Fit {
    /// Read whole and made again (a picture): its new bytes and extension.
    MadeAgain(fn(Vec<u8>, &'static str) -> Result<Fitted, PictureError>),
    /// Mended where it lies on disk (a video, too large to read whole).
    MendedInPlace(fn(&Path, &'static str) -> std::io::Result<()>),
}

pub const VIDEOS: Kind = Kind {
    folder: "videos",
    noun: "video",
    sniff: kind_of,
    refused: "Upload an MP4 or WebM video file.",
    fit: Fit::MendedInPlace(super::mp4::blank_metadata),
};
pub const PICTURES: Kind = Kind {
    folder: "pictures",
    noun: "picture",
    sniff: picture_kind_of,
    refused: "Upload a JPEG, PNG, WebP or GIF picture.",
    fit: Fit::MadeAgain(super::pictures::fit_for_pages),
};

/// Where uploaded files of one kind live, and how large one may be.
#[derive(Debug, Clone)]
pub struct MediaFiles {
    kind: Kind,
    dir: PathBuf,
    incoming: PathBuf,
    pub max_bytes: u64,
}

/// A whole file received and in place, not yet recorded on what it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The stored file's name in its kind's folder.
    pub name: String,
    /// The name the browser gave, made safe to show.
    pub original_name: String,
    pub bytes: u64,
    /// A picture's width and height in pixels, as stored; `None` for a video.
    pub dimensions: Option<(u32, u32)>,
}

/// A stored file once refitted (`MediaFiles::refit`): its name, and a picture's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Refitted {
    pub name: String,
    pub dimensions: Option<(u32, u32)>,
}

/// A received file once fit to serve: its extension, its length, and a picture's size.
struct Ready {
    extension: &'static str,
    bytes: u64,
    dimensions: Option<(u32, u32)>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Another kind of file than the one asked for; says which kinds are taken.
    #[error("{0}")]
    WrongKind(&'static str),
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than the limit of {} MB.", .0 / (1024 * 1024))]
    TooLarge(u64),
    #[error("The upload was cut off before the whole file arrived; try again.")]
    CutOff,
    /// A picture that cannot be read or has too many pixels.
    #[error("{0}")]
    Picture(#[from] PictureError),
    #[error("the file could not be stored: {0}")]
    Storage(#[from] std::io::Error),
}

/// A video file's extension by its first bytes: MP4 (and QuickTime, which browsers play as
/// MP4) names its `ftyp` box at byte 4; WebM starts with the EBML header. `None` for
/// anything else, or too few bytes to tell.
pub fn kind_of(first: &[u8]) -> Option<&'static str> {
    if first.len() >= 8 && &first[4..8] == b"ftyp" {
        Some("mp4")
    } else if first.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("webm")
    } else {
        None
    }
}

/// A picture's extension by its first bytes: JPEG, PNG, GIF or WebP — the kinds every browser
/// shows. SVG is not one: it can carry script.
pub fn picture_kind_of(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if first.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if first.starts_with(b"GIF87a") || first.starts_with(b"GIF89a") {
        Some("gif")
    } else if first.len() >= 12 && first.starts_with(b"RIFF") && &first[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

/// A half-received file untouched this long was left by a run that stopped mid-upload.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// How many first bytes tell a file's kind.
const SNIFF_BYTES: usize = 12;

/// The browser's name for the file, as one line of at most 200 characters without any
/// folder; `noun` when it gave none.
fn shown_name(given: Option<&str>, noun: &str) -> String {
    let base = given.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    match name.trim() {
        "" => noun.to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// Syncs a folder's entries (a file moved into it) to disk.
async fn sync_folder(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

/// Where a data directory keeps the uploaded files of `kind` (the backup copies this folder).
pub fn dir_of(data_dir: &Path, kind: Kind) -> PathBuf {
    data_dir.join("media").join(kind.folder)
}

impl MediaFiles {
    /// Makes the folders under `data_dir` and clears what an earlier run left half-received.
    pub fn open(data_dir: &Path, kind: Kind, max_bytes: u64) -> std::io::Result<MediaFiles> {
        let incoming = data_dir.join("media").join("incoming");
        let files = MediaFiles { kind, dir: dir_of(data_dir, kind), incoming, max_bytes };
        std::fs::create_dir_all(&files.dir)?;
        std::fs::create_dir_all(&files.incoming)?;
        for entry in std::fs::read_dir(&files.incoming)? {
            let entry = entry?;
            let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
            if age > ABANDONED_AFTER {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(files)
    }

    /// The folder the files are served from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Receives the upload's file field whole, checking as it arrives that it is of this kind
    /// and within the limit; then moves it into place under a new random name.
    pub async fn receive(&self, field: &mut Field<'_>) -> Result<Received, UploadError> {
        let original_name = shown_name(field.file_name(), self.kind.noun);
        let partial = self.incoming.join(uuid::Uuid::new_v4().to_string());
        let received = match self.write(field, &partial).await {
            Ok((kind, bytes)) => self.fit(&partial, kind, bytes).await,
            Err(e) => Err(e),
        };
        let ready = match received {
            Ok(ready) => ready,
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e);
            }
        };
        let name = self.place(&partial, ready.extension).await?;
        Ok(Received { name, original_name, bytes: ready.bytes, dimensions: ready.dimensions })
    }

    /// Moves the whole, fit file at `partial` into place under a new random name with
    /// `extension`: that name.
    async fn place(&self, partial: &Path, extension: &str) -> Result<String, UploadError> {
        let name = format!("{}.{extension}", uuid::Uuid::new_v4());
        if let Err(e) = tokio::fs::rename(partial, self.dir.join(&name)).await {
            let _ = tokio::fs::remove_file(partial).await;
            return Err(e.into());
        }
        // The move is durable before a record names it: a crash cannot leave a committed
        // record pointing at a file that is not there.
        if let Err(e) = sync_folder(&self.dir).await {
            self.remove(&name).await;
            return Err(e.into());
        }
        Ok(name)
    }

    /// Makes the stored file `name`, kept before uploads were made fit as they are now, fit to
    /// serve as one uploaded now is: a video is mended where it lies, under its name; a
    /// picture already fit keeps its name; another is stored made again under a new name, and
    /// the old file stays until `settle_refit`.
    pub async fn refit(&self, name: &str) -> Result<Refitted, UploadError> {
        let stored = self.path_of(name).ok_or(UploadError::WrongKind(self.kind.refused))?;
        let mut first = Vec::with_capacity(SNIFF_BYTES);
        tokio::fs::File::open(&stored).await?.take(SNIFF_BYTES as u64).read_to_end(&mut first).await?;
        let kind = (self.kind.sniff)(&first).ok_or(UploadError::WrongKind(self.kind.refused))?;
        let make = match self.kind.fit {
            Fit::MadeAgain(make) => make,
            Fit::MendedInPlace(_) => {
                let bytes = tokio::fs::metadata(&stored).await?.len();
                self.fit(&stored, kind, bytes).await?;
                return Ok(Refitted { name: name.to_string(), dimensions: None });
            }
        };
        let kept = tokio::fs::read(&stored).await?;
        let fitted = made_again(make, kept.clone(), kind).await?;
        if fitted.extension == kind && fitted.bytes == kept {
            return Ok(Refitted { name: name.to_string(), dimensions: fitted.dimensions });
        }
        let partial = self.incoming.join(uuid::Uuid::new_v4().to_string());
        let written = async {
            let mut file = tokio::fs::File::create(&partial).await?;
            file.write_all(&fitted.bytes).await?;
            file.sync_all().await
        };
        if let Err(e) = written.await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e.into());
        }
        let name = self.place(&partial, fitted.extension).await?;
        Ok(Refitted { name, dimensions: fitted.dimensions })
    }

    /// Once the record of a file refitted from `old` was updated (`recorded`: `Ok(true)` when it
    /// still named `old` and now names the refitted file), removes the file nothing names: the
    /// old one, or, when the record had moved on meanwhile or the update failed, the refitted one.
    pub async fn settle_refit<E>(&self, old: &str, refitted: &Refitted, recorded: &Result<bool, E>) {
        if refitted.name != old {
            self.remove(if matches!(recorded, Ok(true)) { old } else { &refitted.name }).await;
        }
    }

    /// Writes the field's bytes to `path` and syncs them: the file's kind and size.
    async fn write(&self, field: &mut Field<'_>, path: &Path) -> Result<(&'static str, u64), UploadError> {
        let mut file = tokio::fs::File::create(path).await?;
        let mut first = Vec::with_capacity(SNIFF_BYTES);
        let mut kind = None;
        let mut bytes: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(|_| UploadError::CutOff)? {
            bytes += chunk.len() as u64;
            if bytes > self.max_bytes {
                return Err(UploadError::TooLarge(self.max_bytes));
            }
            if kind.is_none() {
                first.extend(chunk.iter().take(SNIFF_BYTES - first.len()));
                if first.len() == SNIFF_BYTES {
                    kind = Some((self.kind.sniff)(&first).ok_or(UploadError::WrongKind(self.kind.refused))?);
                }
            }
            file.write_all(&chunk).await?;
        }
        if bytes == 0 {
            return Err(UploadError::Empty);
        }
        // A file shorter than the bytes sniffed is told by what there is.
        let kind =
            kind.or_else(|| (self.kind.sniff)(&first)).ok_or(UploadError::WrongKind(self.kind.refused))?;
        file.sync_all().await?;
        Ok((kind, bytes))
    }

    /// Makes the whole file received at `path`, of extension `kind` and `bytes` long, fit to
    /// serve, on a blocking thread.
    async fn fit(&self, path: &Path, kind: &'static str, bytes: u64) -> Result<Ready, UploadError> {
        match self.kind.fit {
            Fit::MadeAgain(make) => {
                let fitted = made_again(make, tokio::fs::read(path).await?, kind).await?;
                let mut file = tokio::fs::File::create(path).await?;
                file.write_all(&fitted.bytes).await?;
                file.sync_all().await?;
                let bytes = fitted.bytes.len() as u64;
                Ok(Ready { extension: fitted.extension, bytes, dimensions: fitted.dimensions })
            }
            Fit::MendedInPlace(mend) => {
                let path = path.to_owned();
                tokio::task::spawn_blocking(move || mend(&path, kind))
                    .await
                    .map_err(std::io::Error::other)??;
                Ok(Ready { extension: kind, bytes, dimensions: None })
            }
        }
    }

    /// Once `received` was recorded on what it belongs to (`recorded`: the name of the file it
    /// replaced, if any), removes the file nothing names any more: the replaced one, or, when
    /// recording failed, the received one.
    pub async fn settle<E>(&self, received: &Received, recorded: &Result<Option<String>, E>) {
        match recorded {
            Ok(Some(replaced)) => self.remove(replaced).await,
            Ok(None) => {}
            Err(_) => self.remove(&received.name).await,
        }
    }

    /// Removes a stored file nothing uses any more. A failure is logged, not returned: the
    /// change that let go of the file is already committed.
    pub async fn remove(&self, name: &str) {
        let Some(path) = self.path_of(name) else { return };
        if let Err(e) = tokio::fs::remove_file(path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = name, error = %e, "could not remove an uploaded file no longer used");
        }
    }
    /// The path of the stored file `name`; `None` for a name this module does not make, which
    /// could reach outside the folder.
    fn path_of(&self, name: &str) -> Option<PathBuf> {
        (!name.contains(['/', '\\']) && !name.starts_with('.')).then(|| self.dir.join(name))
    }
}

/// `bytes`, a picture of extension `kind`, made fit by `make` on a blocking thread. A decoder
/// that panics on a crafted file refuses that file, nothing more.
async fn made_again(
    make: fn(Vec<u8>, &'static str) -> Result<Fitted, PictureError>,
    bytes: Vec<u8>,
    kind: &'static str,
) -> Result<Fitted, PictureError> {
    tokio::task::spawn_blocking(move || make(bytes, kind)).await.map_err(|_| PictureError::Unreadable)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_is_known_by_its_first_bytes() {
        assert_eq!(kind_of(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some("mp4"));
        assert_eq!(kind_of(b"\0\0\0\x14ftypqt  "), Some("mp4"));
        assert_eq!(kind_of(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]), Some("webm"));
        assert_eq!(kind_of(b"<html><script>"), None);
        assert_eq!(kind_of(b"GIF89a\0\0"), None);
        assert_eq!(kind_of(b"\0\0\0\x20fty"), None);
    }

    #[test]
    fn a_picture_is_known_by_its_first_bytes() {
        assert_eq!(picture_kind_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']), Some("jpg"));
        assert_eq!(picture_kind_of(b"\x89PNG\r\n\x1a\n\0\0\0\x0d"), Some("png"));
        assert_eq!(picture_kind_of(b"GIF89a\x01\0"), Some("gif"));
        assert_eq!(picture_kind_of(b"RIFF\x24\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(picture_kind_of(b"RIFF\x24\0\0\0AVI LIST"), None);
        assert_eq!(picture_kind_of(b"<svg xmlns='http://www.w3.org/2000/svg'>"), None);
        assert_eq!(picture_kind_of(b"\0\0\0\x20ftypisom"), None);
    }

    #[test]
    fn the_shown_name_is_one_safe_line() {
        assert_eq!(shown_name(Some("C:\\Users\\jo\\march.mp4"), "video"), "march.mp4");
        assert_eq!(shown_name(Some("../../etc/passwd"), "video"), "passwd");
        assert_eq!(shown_name(Some("a\nb\u{0}.mp4"), "video"), "ab.mp4");
        assert_eq!(shown_name(Some("  "), "picture"), "picture");
        assert_eq!(shown_name(None, "video"), "video");
        assert_eq!(shown_name(Some(&"x".repeat(300)), "video").chars().count(), 200);
    }

    #[test]
    fn only_names_inside_the_folder_are_removed() {
        let dir = std::env::temp_dir().join(format!("cm-files-{}", uuid::Uuid::new_v4()));
        let files = MediaFiles::open(&dir, VIDEOS, 10).unwrap();
        std::fs::write(dir.join("media/keep.txt"), "x").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(files.remove("../keep.txt"));
        assert!(dir.join("media/keep.txt").exists());
        std::fs::write(files.dir().join("a.mp4"), "x").unwrap();
        runtime.block_on(files.remove("a.mp4"));
        assert!(!files.dir().join("a.mp4").exists());
        // What a crash left half-received is cleared at a later start, once a day old; an
        // upload another process is receiving right now is left alone.
        std::fs::write(dir.join("media/incoming/receiving"), "x").unwrap();
        let left = std::fs::File::create(dir.join("media/incoming/left")).unwrap();
        left.set_modified(std::time::SystemTime::now() - ABANDONED_AFTER * 2).unwrap();
        MediaFiles::open(&dir, PICTURES, 10).unwrap();
        assert!(!dir.join("media/incoming/left").exists());
        assert!(dir.join("media/incoming/receiving").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
