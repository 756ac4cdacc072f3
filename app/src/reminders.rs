//! The reminder worker (ssr only): once a minute it queues the reminders that have fallen due —
//! before volunteers' shifts (`shifts::service::send_reminders`), ticketed events
//! (`ticketed_events::service::send_reminders`) and meetings
//! (`meetings::service::send_reminders`). `serve` runs it in the background.

use std::sync::Arc;

use crate::db::{self, Db};
use crate::secrets::SecretKey;

/// Someone who signed up or took a ticket after the reminders went out (with a lead of two
/// days or a week) is reminded this long before the start, if they did so before then.
pub const LATE_LEAD: i64 = 24 * 3600;

#[derive(Clone, Debug)]
pub struct ReminderWorker {
    pub db: Db,
    /// Signs the answer links in meeting reminders.
    pub key: Arc<SecretKey>,
    /// How often it looks (a minute; tests shorten it).
    pub every: std::time::Duration,
}

impl ReminderWorker {
    pub async fn run(self) {
        loop {
            let now = db::now_unix();
            match crate::shifts::service::send_reminders(&self.db, now).await {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "queued shift reminders"),
                Err(e) => tracing::warn!(error = %e, "could not queue shift reminders"),
            }
            match crate::ticketed_events::service::send_reminders(&self.db, now).await {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "queued ticket reminders"),
                Err(e) => tracing::warn!(error = %e, "could not queue ticket reminders"),
            }
            match crate::meetings::service::send_reminders(&self.db, &self.key, now).await {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "queued meeting reminders"),
                Err(e) => tracing::warn!(error = %e, "could not queue meeting reminders"),
            }
            tokio::time::sleep(self.every).await;
        }
    }
}
