//! What admins see of the event bus: statistics, dead deliveries and replay, the event log,
//! the "Send test event" button, and the live stream page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub mod ui;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicStat {
    pub topic: String,
    pub published: i64,
    /// RFC 3339, UTC.
    pub last_published_at: String,
    /// The same moment in the organisation's time zone, "2026-11-29 10:46 GMT".
    pub last_published: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerStat {
    pub name: String,
    pub subscriptions: Vec<String>,
    pub enabled: bool,
    pub delivered: i64,
    pub failed: i64,
    pub retried: i64,
    pub dead: i64,
    pub skipped: i64,
    /// Events published after the listener's position.
    pub lag: i64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
}

/// A delivery that used up its retries, waiting for an admin to replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadDelivery {
    pub listener: String,
    pub seq: i64,
    pub topic: String,
    pub event_id: String,
    pub attempts: i64,
    pub last_error: String,
    /// RFC 3339, UTC.
    pub parked_at: String,
    /// The same moment in the organisation's time zone.
    pub parked: String,
}

/// The body of `GET /api/observability/event-bus`, and what the Event bus page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusStats {
    pub head_seq: i64,
    pub topics: Vec<TopicStat>,
    pub listeners: Vec<ListenerStat>,
    pub dead: Vec<DeadDelivery>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventLogFilter {
    /// A topic or pattern (`shift.*`).
    pub topic: Option<String>,
    pub actor: Option<String>,
    /// `YYYY-MM-DD`, local days in the organisation's time zone, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventLogRow {
    pub seq: i64,
    pub id: String,
    pub topic: String,
    /// `user:<id>`, `system` or `webhook:<source>`, as the filter takes it.
    pub actor: String,
    /// Who that is: the account's name, "System", "Stripe webhook".
    pub actor_name: String,
    /// RFC 3339, UTC, as the event carries it.
    pub occurred_at: String,
    /// The same moment in the organisation's time zone, "2026-11-29 10:46 GMT".
    pub when: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventLogPage {
    pub rows: Vec<EventLogRow>,
    pub page: i64,
    pub has_more: bool,
}

/// Roles that may watch the bus.
pub const VIEWERS: &[crate::users::Role] = &[crate::users::Role::SuperAdmin, crate::users::Role::Admin];

#[server(prefix = "/api", endpoint = "observability/stats")]
pub async fn load_bus_stats() -> Result<BusStats, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    crate::bus::stats(&state.bus).await.map_err(crate::auth::internal)
}

#[server(prefix = "/api", endpoint = "observability/replay")]
pub async fn replay_delivery(listener: String, seq: i64) -> Result<(), AppError> {
    let user = crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    let found = crate::bus::replay(&state.bus, &crate::events::Actor::User(user.id), &listener, seq)
        .await
        .map_err(crate::auth::internal)?;
    if found { Ok(()) } else { Err(AppError::NotFound("There is no dead delivery to replay there.".into())) }
}

/// Publishes `system.test`, so admins can check their integrations end to end.
#[server(prefix = "/api", endpoint = "observability/test-event")]
pub async fn send_test_event() -> Result<i64, AppError> {
    let user = crate::auth::require_role(&[crate::users::Role::SuperAdmin]).await?;
    let state = crate::state::app_state()?;
    let event = crate::events::Event::SystemTest(crate::events::catalog::SystemTest {
        message: format!("Test event sent by {}", user.display_name),
    });
    let mut tx = state.db.begin_write().await.map_err(crate::auth::internal)?;
    let seq = crate::bus::publish(&mut tx, &crate::events::Actor::User(user.id), &event)
        .await
        .map_err(crate::auth::internal)?;
    state.bus.commit(tx).await.map_err(crate::auth::internal)?;
    Ok(seq)
}

#[server(prefix = "/api", endpoint = "observability/event-log")]
pub async fn load_event_log(filter: EventLogFilter) -> Result<EventLogPage, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(crate::bus::event_log::page(&state.db, &filter).await?)
}

#[cfg(feature = "ssr")]
impl From<crate::bus::event_log::EventLogError> for AppError {
    fn from(err: crate::bus::event_log::EventLogError) -> AppError {
        use crate::bus::event_log::EventLogError;
        match err {
            EventLogError::Invalid(errors) => AppError::Invalid(errors),
            EventLogError::Database(e) => crate::auth::internal(e),
        }
    }
}
