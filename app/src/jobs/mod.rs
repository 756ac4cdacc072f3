//! Background jobs: admin work too long for one request (a contact import, a re-engagement
//! send). The work runs on the server in batches, each committed on its own, and records its
//! progress; the browser polls it and draws a progress bar. Shared types and the status
//! server function here, running and recording in `service.rs`, the progress bar in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who may follow a job: each kind is followed by whom it serves (SUPER_ADMIN satisfies
/// every requirement). A payments admin follows refunds; every other kind is an ADMIN's.
pub const VIEWERS: &[Role] = &[Role::Admin, Role::PaymentsAdmin];

/// Who may follow a job of `kind`.
pub fn viewers_of(kind: &str) -> &'static [Role] {
    match kind {
        TICKET_REFUNDS => crate::payments::MANAGERS,
        _ => &[Role::Admin],
    }
}

/// The kind of job that refunds a cancelled event's paid tickets.
pub const TICKET_REFUNDS: &str = "ticket-refunds";

/// One problem a job found, by the line of the input it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineProblem {
    pub line: usize,
    pub message: String,
}

/// What a finished job reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// One sentence for the admin, e.g. "Imported 120 new contacts and updated 3."
    pub summary: String,
    /// The same figures by name (`created`, `updated`, `skipped`, `sent`…).
    pub counts: Vec<(String, i64)>,
    pub problems: Vec<LineProblem>,
}

impl JobResult {
    pub fn count(&self, name: &str) -> i64 {
        self.counts.iter().find(|(n, _)| n == name).map_or(0, |(_, c)| *c)
    }
}

/// A job as the browser sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    /// `RUNNING`, `DONE`, `FAILED`, or `INTERRUPTED` (the server stopped while it ran; what
    /// it had committed stays).
    pub status: String,
    pub total: i64,
    pub done: i64,
    pub result: Option<JobResult>,
    pub error: Option<String>,
}

impl Job {
    pub fn finished(&self) -> bool {
        self.status != "RUNNING"
    }

    /// Progress from 0 to 100.
    pub fn percent(&self) -> i64 {
        if self.total <= 0 { 100 } else { (self.done * 100 / self.total).clamp(0, 100) }
    }
}

/// A job's progress and, when it has finished, its result.
#[server(prefix = "/api", endpoint = "jobs/get")]
pub async fn get_job(id: String) -> Result<Job, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    let job = service::get(&state.db, &id)
        .await
        .map_err(crate::auth::internal)?
        .ok_or_else(|| AppError::NotFound("There is no such job.".into()))?;
    crate::auth::require_role(viewers_of(&job.kind)).await?;
    Ok(job)
}
