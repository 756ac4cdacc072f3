//! Uploaded video files (ssr only), kept in the data directory: `media/videos/<random>.<ext>`,
//! served at `/media/videos/<name>`. A file is received into `media/incoming/` and moved into
//! place only once it is whole, so a half-received file is never served; what a crash leaves
//! in `incoming/` is cleared at a later start, once it is a day old (so that a process
//! starting beside another on the same data directory leaves that one's uploads alone).

use std::path::{Path, PathBuf};

use axum::extract::multipart::Field;
use tokio::io::AsyncWriteExt;

/// The largest upload allowed when the configuration names none: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Where uploaded video files live, and how large one may be.
#[derive(Debug, Clone)]
pub struct VideoFiles {
    dir: PathBuf,
    incoming: PathBuf,
    pub max_bytes: u64,
}

/// A whole file received and in place, not yet recorded on a video.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The stored file's name in `media/videos/`.
    pub name: String,
    /// The name the browser gave, made safe to show.
    pub original_name: String,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("Upload an MP4 or WebM video file.")]
    NotAVideo,
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than the limit of {} MB.", .0 / (1024 * 1024))]
    TooLarge(u64),
    #[error("The upload was cut off before the whole file arrived; try again.")]
    CutOff,
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

/// A half-received file untouched this long was left by a run that stopped mid-upload.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// How many bytes `kind_of` needs to tell.
const SNIFF_BYTES: usize = 8;

/// The browser's name for the file, as one line of at most 200 characters without any
/// folder; `video` when it gave none.
fn shown_name(given: Option<&str>) -> String {
    let base = given.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    match name.trim() {
        "" => "video".to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// Syncs a folder's entries (a file moved into it) to disk.
async fn sync_folder(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

/// Where a data directory keeps the uploaded videos (the backup copies this folder).
pub fn videos_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media").join("videos")
}

impl VideoFiles {
    /// Makes the folders under `data_dir` and clears what an earlier run left half-received.
    pub fn open(data_dir: &Path, max_bytes: u64) -> std::io::Result<VideoFiles> {
        let incoming = data_dir.join("media").join("incoming");
        let files = VideoFiles { dir: videos_dir(data_dir), incoming, max_bytes };
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

    /// Receives the upload's file field whole, checking as it arrives that it is a video and
    /// within the limit; then moves it into place under a new random name.
    pub async fn receive(&self, field: &mut Field<'_>) -> Result<Received, UploadError> {
        let original_name = shown_name(field.file_name());
        let partial = self.incoming.join(uuid::Uuid::new_v4().to_string());
        let received = self.write(field, &partial).await;
        let (kind, bytes) = match received {
            Ok(done) => done,
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e);
            }
        };
        let name = format!("{}.{kind}", uuid::Uuid::new_v4());
        if let Err(e) = tokio::fs::rename(&partial, self.dir.join(&name)).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e.into());
        }
        // The move is durable before the video records it: a crash cannot leave a committed
        // video pointing at a file that is not there.
        if let Err(e) = sync_folder(&self.dir).await {
            self.remove(&name).await;
            return Err(e.into());
        }
        Ok(Received { name, original_name, bytes })
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
                    kind = Some(kind_of(&first).ok_or(UploadError::NotAVideo)?);
                }
            }
            file.write_all(&chunk).await?;
        }
        if bytes == 0 {
            return Err(UploadError::Empty);
        }
        let kind = kind.ok_or(UploadError::NotAVideo)?;
        file.sync_all().await?;
        Ok((kind, bytes))
    }

    /// Removes a stored file that no video plays any more. A failure is logged, not
    /// returned: the change that let go of the file is already committed.
    pub async fn remove(&self, name: &str) {
        // Only a name this module made: never a path reaching outside the folder.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return;
        }
        if let Err(e) = tokio::fs::remove_file(self.dir.join(name)).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = name, error = %e, "could not remove a video file no longer used");
        }
    }
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
    fn the_shown_name_is_one_safe_line() {
        assert_eq!(shown_name(Some("C:\\Users\\jo\\march.mp4")), "march.mp4");
        assert_eq!(shown_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(shown_name(Some("a\nb\u{0}.mp4")), "ab.mp4");
        assert_eq!(shown_name(Some("  ")), "video");
        assert_eq!(shown_name(None), "video");
        assert_eq!(shown_name(Some(&"x".repeat(300))).chars().count(), 200);
    }

    #[test]
    fn only_names_inside_the_folder_are_removed() {
        let dir = std::env::temp_dir().join(format!("cm-files-{}", uuid::Uuid::new_v4()));
        let files = VideoFiles::open(&dir, 10).unwrap();
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
        VideoFiles::open(&dir, 10).unwrap();
        assert!(!dir.join("media/incoming/left").exists());
        assert!(dir.join("media/incoming/receiving").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
