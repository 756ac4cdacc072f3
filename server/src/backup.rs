//! `changemaker backup DIR`: a copy of the data directory that a server can start from, taken
//! while the server runs. Copying the files by hand is not safe while it runs: SQLite keeps
//! the latest commits in its write-ahead log beside the database file, and a copy of the file
//! alone (or of the two at slightly different moments) can miss them or not open at all.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use app::db::Backend;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::config::{Config, DATABASE_FILE, SECRET_KEY_FILE};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: give a new folder, or an empty one")]
    NotEmpty(PathBuf),
    #[error("the backup folder's path must be valid UTF-8: {0}")]
    NotUtf8(PathBuf),
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    #[error("cannot copy the database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("the copy of the database does not pass SQLite's check: {0}")]
    Damaged(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot copy {from} to {to}: {source}")]
    Copy { from: PathBuf, to: PathBuf, source: std::io::Error },
}

/// Copies into `to` (a new folder, or an empty one) the database (SQLite; PostgreSQL is backed
/// up with `pg_dump`), the secret key and the uploaded videos, laid out as a data directory.
/// Returns a line for each of them saying what was copied. When it fails, `to` is left as it
/// was found.
pub async fn back_up(config: &Config, to: &Path) -> Result<Vec<String>, BackupError> {
    if to.to_str().is_none() {
        return Err(BackupError::NotUtf8(to.to_path_buf()));
    }
    let created = make_private_dir(to)?;
    let copied = copy_all(config, to).await;
    if copied.is_err() {
        if created {
            let _ = std::fs::remove_dir_all(to);
        } else {
            empty(to);
        }
    }
    copied
}

/// Removes what a failed backup wrote into a folder that was there, empty, before it.
fn empty(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
    }
}

async fn copy_all(config: &Config, to: &Path) -> Result<Vec<String>, BackupError> {
    Ok(vec![
        copy_database(config, to).await?,
        copy_secret_key(config, to)?,
        copy_uploads(config, to, app::media::files::VIDEOS)?,
        copy_uploads(config, to, app::media::files::PICTURES)?,
    ])
}

/// Creates `to` readable by its owner only (it holds the secret key), or checks it is empty.
/// True when it was created.
fn make_private_dir(to: &Path) -> Result<bool, BackupError> {
    let write_error = |source| BackupError::Write { path: to.to_path_buf(), source };
    match std::fs::read_dir(to) {
        Ok(mut entries) => {
            return match entries.next() {
                Some(_) => Err(BackupError::NotEmpty(to.to_path_buf())),
                None => Ok(false),
            };
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(write_error(e)),
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(to).map_err(write_error)?;
    Ok(true)
}

/// SQLite's `VACUUM INTO`: one read transaction, so the copy holds every commit made before it
/// began and none after, and writers go on meanwhile.
async fn copy_database(config: &Config, to: &Path) -> Result<String, BackupError> {
    if Backend::from_url(&config.database_url) != Some(Backend::Sqlite) {
        return Ok("database: PostgreSQL, not copied: back it up with pg_dump (see README.md)".to_string());
    }
    let options = SqliteConnectOptions::from_str(&config.database_url)
        .map_err(BackupError::Database)?
        .create_if_missing(false);
    if !options.get_filename().exists() {
        return Err(BackupError::NoDatabase(options.get_filename().to_path_buf()));
    }
    let mut connection = options.connect().await.map_err(BackupError::Database)?;
    let target = to.join(DATABASE_FILE);
    sqlx::query("VACUUM INTO $1")
        // UTF-8: `back_up` refused any other folder.
        .bind(target.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await
        .map_err(BackupError::Database)?;
    let _ = connection.close().await;
    // Read back, so that a copy that would not open is found now rather than on the day it is
    // needed.
    let mut copy =
        SqliteConnectOptions::new().filename(&target).connect().await.map_err(BackupError::Database)?;
    let verdict: String =
        sqlx::query_scalar("PRAGMA quick_check").fetch_one(&mut copy).await.map_err(BackupError::Database)?;
    let _ = copy.close().await;
    if verdict != "ok" {
        return Err(BackupError::Damaged(verdict));
    }
    // On the disk before the command says it is done, whatever the connection's settings.
    std::fs::File::open(&target)
        .and_then(|file| file.sync_all())
        .map_err(|source| BackupError::Write { path: target.clone(), source })?;
    Ok(format!("database: {} (checked)", target.display()))
}

fn copy_secret_key(config: &Config, to: &Path) -> Result<String, BackupError> {
    if config.secret_key.is_some() {
        return Ok("secret key: set by CHANGEMAKER_SECRET_KEY, not kept in the data directory: \
                   keep it with this backup yourself"
            .to_string());
    }
    let from = config.data_dir.join(SECRET_KEY_FILE);
    if !from.exists() {
        return Ok("secret key: none yet (the server makes one on its first run)".to_string());
    }
    let target = to.join(SECRET_KEY_FILE);
    copy_file(&from, &target)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| BackupError::Write { path: target.clone(), source })?;
    }
    Ok(format!("secret key: {}", target.display()))
}

/// The uploaded files of `kind` (not the ones still arriving). Copied after the database, so
/// every file the copied database names is there, unless it was deleted during the backup.
fn copy_uploads(config: &Config, to: &Path, kind: app::media::files::Kind) -> Result<String, BackupError> {
    let from = app::media::files::dir_of(&config.data_dir, kind);
    let target = app::media::files::dir_of(to, kind);
    let folder = kind.folder;
    let read_error = |source| BackupError::Read { path: from.clone(), source };
    let entries = match std::fs::read_dir(&from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(format!("{folder}: none")),
        Err(e) => return Err(read_error(e)),
    };
    let (mut files, mut bytes) = (0u64, 0u64);
    for entry in entries {
        let entry = entry.map_err(read_error)?;
        if entry.file_type().map_err(read_error)?.is_file() {
            if files == 0 {
                std::fs::create_dir_all(&target)
                    .map_err(|source| BackupError::Write { path: target.clone(), source })?;
            }
            bytes += copy_file(&entry.path(), &target.join(entry.file_name()))?;
            files += 1;
        }
    }
    if files == 0 {
        return Ok(format!("{folder}: none"));
    }
    Ok(format!("{folder}: {files} ({:.1} MB) in {}", bytes as f64 / 1_000_000.0, target.display()))
}

fn copy_file(from: &Path, to: &Path) -> Result<u64, BackupError> {
    std::fs::copy(from, to).map_err(|source| BackupError::Copy {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
    })
}
