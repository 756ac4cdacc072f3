//! The bus over HTTP: `GET /api/events/stream` (Server-Sent Events) and
//! `GET /api/observability/event-bus` (JSON statistics). Admins only (events admins: the
//! topics of the pages they use, on the stream).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::bus::{LiveEvent, outbox};
use app::events::{Pattern, any_matches};
use app::observability::VIEWERS;

use crate::access::require_roles;
use app::state::AppState;
use app::users::Role;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};

pub async fn bus_stats(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = require_roles(&state, &headers, VIEWERS).await {
        return refused;
    }
    match app::bus::stats(&state.bus).await {
        Ok(stats) => Json(stats).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read bus statistics");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    topics: Option<String>,
    since: Option<String>,
}

/// Who may open the stream: those who watch the bus see every topic; the other admin roles,
/// their `LIMITED_TOPICS` only (their pages update live through it).
const STREAM_ROLES: &[Role] = &[Role::Admin, Role::EventsAdmin, Role::PaymentsAdmin];

/// What the roles that do not watch the whole bus may watch. Events admins: their module,
/// meetings, and shifts' own changes — what the calendar shows — but not sign-ups, which name
/// volunteers. Payments admins: the payments their page lists, and events cancelled (whose
/// paid tickets wait there for a refund).
const LIMITED_TOPICS: &[(Role, &[&str])] = &[
    (
        Role::EventsAdmin,
        &["ticketed-event.*", "ticket.*", "meeting.*", "shift.created", "shift.updated", "shift.deleted"],
    ),
    (
        Role::PaymentsAdmin,
        &["donation.*", "subscription.*", "product.*", "payment.*", "ticket.*", "ticketed-event.cancelled"],
    ),
];

/// Whether `role` may see every topic `patterns` asks for (none asked: every topic).
fn may_watch(role: Role, patterns: &[Pattern]) -> bool {
    if role.satisfies(VIEWERS) {
        return true;
    }
    let Some((_, topics)) = LIMITED_TOPICS.iter().find(|(limited, _)| *limited == role) else {
        return false;
    };
    let allowed: Vec<Pattern> = topics.iter().filter_map(|t| Pattern::parse(t)).collect();
    // A requested `x.*` is covered only by an allowed pattern that matches it as a topic,
    // i.e. one of `x.*`'s own prefixes.
    !patterns.is_empty() && patterns.iter().all(|p| allowed.iter().any(|a| a.matches(p.as_str())))
}

pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let user = match require_roles(&state, &headers, STREAM_ROLES).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let patterns = match query.topics.as_deref().map(Pattern::parse_list).transpose() {
        Ok(patterns) => patterns.unwrap_or_default(),
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    if !may_watch(user.role, &patterns) {
        return (StatusCode::FORBIDDEN, "You do not have permission to do that.").into_response();
    }
    let resume =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string).or(query.since);
    let since = match resume.as_deref().map(str::trim).map(str::parse::<i64>).transpose() {
        Ok(since) => since,
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "Last-Event-ID / since must be an event sequence number.")
                .into_response();
        }
    };
    // Subscribe before looking at the outbox, so nothing committed in between is missed.
    let live = state.bus.subscribe();
    let (cursor, catching_up) = match since {
        Some(seq) => (seq, true),
        None => match outbox::head(&state.db).await {
            Ok(head) => (head, false),
            Err(_) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable.").into_response();
            }
        },
    };
    let stream = EventStream {
        db: state.db.clone(),
        live,
        closing: state.bus.closing(),
        patterns,
        cursor,
        catching_up,
        pending: VecDeque::new(),
    };
    Sse::new(stream.into_stream())
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"))
        .into_response()
}

/// One client's position: everything up to `cursor` has been sent or filtered out.
struct EventStream {
    db: app::db::Db,
    live: broadcast::Receiver<Arc<LiveEvent>>,
    closing: tokio::sync::watch::Receiver<bool>,
    patterns: Vec<Pattern>,
    cursor: i64,
    /// Reading from the outbox (resuming, or after falling behind the live buffer).
    catching_up: bool,
    pending: VecDeque<Arc<LiveEvent>>,
}

const CATCH_UP_BATCH: i64 = 500;

/// The name of the stream's first message (not a topic: topics have a dot).
const READY: &str = "ready";

impl EventStream {
    /// The stream opens with `ready`, whose id is where it starts: a browser that reconnects
    /// (or a page that closed its stream while hidden) resumes from there even when no event
    /// came in between, instead of missing what happened while it was away.
    fn into_stream(self) -> impl Stream<Item = Result<SseEvent, Infallible>> {
        let ready =
            SseEvent::default().id(self.cursor.to_string()).event(READY).data(self.cursor.to_string());
        let events = futures::stream::unfold(self, |mut s| async move {
            let event = s.next().await?;
            Some((Ok(to_sse(&event)), s))
        });
        futures::stream::once(async { Ok(ready) }).chain(events)
    }

    async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            if let Some(envelope) = self.pending.pop_front() {
                return Some(envelope);
            }
            if self.catching_up {
                let batch = outbox::read_after(&self.db, self.cursor, CATCH_UP_BATCH).await.ok()?;
                if batch.is_empty() {
                    self.catching_up = false;
                    continue;
                }
                for envelope in batch {
                    self.cursor = envelope.seq;
                    if any_matches(&self.patterns, &envelope.topic) {
                        self.pending.push_back(Arc::new(LiveEvent::new(envelope)));
                    }
                }
                continue;
            }
            let received = tokio::select! {
                received = self.live.recv() => received,
                _ = self.closing.wait_for(|closing| *closing) => return None,
            };
            match received {
                Ok(event) if event.envelope.seq <= self.cursor => {}
                Ok(event) => {
                    self.cursor = event.envelope.seq;
                    if any_matches(&self.patterns, &event.envelope.topic) {
                        return Some(event);
                    }
                }
                // Too slow for the live buffer: catch up from the outbox instead.
                Err(RecvError::Lagged(_)) => self.catching_up = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn to_sse(event: &LiveEvent) -> SseEvent {
    SseEvent::default()
        .id(event.envelope.seq.to_string())
        .event(event.envelope.topic.as_str())
        .data(&event.json)
}
