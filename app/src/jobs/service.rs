//! Running jobs (ssr only). `spawn` records the job, runs the work on the runtime and records
//! how it ended; the work reports progress through its `Progress` after every batch. A job
//! whose progress has not moved for `STALE_AFTER_SECS` belonged to a server that stopped: it
//! reads as INTERRUPTED, and housekeeping records it so.

use std::future::Future;

use sqlx::Row;

use super::{Job, JobResult};
use crate::db::{self, Db};
use crate::events::Actor;

/// A running job records progress far more often than this.
pub const STALE_AFTER_SECS: i64 = 120;

/// Where a running job records how far it has got.
#[derive(Clone)]
pub struct Progress {
    db: Db,
    id: String,
}

impl Progress {
    pub fn job_id(&self) -> &str {
        &self.id
    }

    /// Records that `done` of the job's items are done.
    pub async fn set(&self, done: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE jobs SET done = $1, updated_at = $2 WHERE id = $3")
            .bind(done)
            .bind(db::now_unix())
            .bind(&self.id)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }
}

/// Records a job of `kind` with `total` items and runs `work` in the background; answers
/// with the job's id at once. The work's `Ok` becomes the job's result; its `Err` (logged)
/// fails the job with a message the admin may read.
pub async fn spawn<W, F>(
    db: &Db,
    kind: &str,
    total: i64,
    actor: &Actor,
    work: W,
) -> Result<String, sqlx::Error>
where
    W: FnOnce(Progress) -> F + Send + 'static,
    F: Future<Output = Result<JobResult, sqlx::Error>> + Send + 'static,
{
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO jobs (id, kind, status, total, done, created_by, created_at, updated_at) \
         VALUES ($1, $2, 'RUNNING', $3, 0, $4, $5, $5)",
    )
    .bind(&id)
    .bind(kind)
    .bind(total)
    .bind(actor.to_string())
    .bind(db::now_unix())
    .execute(db.writer())
    .await?;
    let progress = Progress { db: db.clone(), id: id.clone() };
    let db = db.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        let ended = match work(progress).await {
            Ok(result) => finish(&db, &job_id, &result).await,
            Err(e) => {
                tracing::error!(job = %job_id, error = %e, "a background job failed");
                fail(&db, &job_id, "The work stopped on a database error; what was done before it is kept.")
                    .await
            }
        };
        if let Err(e) = ended {
            tracing::error!(job = %job_id, error = %e, "could not record how a background job ended");
        }
    });
    Ok(id)
}

async fn finish(db: &Db, id: &str, result: &JobResult) -> Result<(), sqlx::Error> {
    // Strings and numbers only: serialising cannot fail, but a failure would still be recorded.
    let json = serde_json::to_string(result).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("UPDATE jobs SET status = 'DONE', done = total, result = $1, finished_at = $2 WHERE id = $3")
        .bind(json)
        .bind(db::now_unix())
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

async fn fail(db: &Db, id: &str, message: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET status = 'FAILED', error = $1, finished_at = $2 WHERE id = $3")
        .bind(message)
        .bind(db::now_unix())
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

const INTERRUPTED: &str = "The server stopped while this ran; what was done before it is kept.";

/// Records every RUNNING job whose progress has stopped moving as INTERRUPTED.
pub async fn mark_interrupted(db: &Db) -> Result<u64, sqlx::Error> {
    let now = db::now_unix();
    let done = sqlx::query(
        "UPDATE jobs SET status = 'INTERRUPTED', error = $1, finished_at = $2 \
         WHERE status = 'RUNNING' AND updated_at < $3",
    )
    .bind(INTERRUPTED)
    .bind(now)
    .bind(now - STALE_AFTER_SECS)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Job>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT id, kind, status, total, done, result, error, updated_at FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let result: Option<String> = row.try_get("result")?;
    let mut status: String = row.try_get("status")?;
    let mut error: Option<String> = row.try_get("error")?;
    let updated_at: i64 = row.try_get("updated_at")?;
    if status == "RUNNING" && updated_at < db::now_unix() - STALE_AFTER_SECS {
        (status, error) = ("INTERRUPTED".to_string(), Some(INTERRUPTED.to_string()));
    }
    Ok(Some(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        status,
        total: row.try_get("total")?,
        done: row.try_get("done")?,
        result: result.and_then(|json| serde_json::from_str(&json).ok()),
        error,
    }))
}
