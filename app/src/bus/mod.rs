//! The durable event bus (ssr only): publishing into the outbox inside the caller's
//! transaction, a dispatcher that hands committed events, in `seq` order, to live
//! subscribers (SSE, stats) and to durable listeners with retries, and retention.
//!
//! Use: `bus::publish(&mut tx, &actor, &event)` inside the transaction that makes the change,
//! then `state.bus.commit(tx)` so the dispatcher wakes at once (a slow poll covers anything
//! committed elsewhere, e.g. by another process).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::db::{self, Db, Tx};
use crate::events::{Actor, Envelope, Event, Pattern};

pub mod event_log;
mod listener;
mod stats;

pub use stats::{replay, stats};
pub mod outbox;

pub use listener::{ListenerCounters, caught_up, count_dead, counters, dead_deliveries};

/// Writes `event` to the outbox in the caller's transaction; returns its `seq`.
pub async fn publish(tx: &mut Tx, actor: &Actor, event: &Event) -> Result<i64, sqlx::Error> {
    outbox::insert(tx, actor, event).await
}

/// Writes several events to the outbox in the caller's transaction, in the order given, in
/// one statement per hundred; returns their `seq`s.
pub async fn publish_all(tx: &mut Tx, events: &[(&Actor, &Event)]) -> Result<Vec<i64>, sqlx::Error> {
    outbox::insert_all(tx, events).await
}

/// The lock between erasing a person's data and the listeners that copy events into our own
/// tables (the event log, contacts' timelines). A listener takes it shared before it writes
/// its copies, and reads what it copies after taking it; an erasure takes it alone, first.
/// So a copy is either written before the erasure, which then scrubs it, or made after it
/// from what the erasure left, never from a payload read before and written after.
pub const COPIES_LOCK: &str = "bus-event-copies";

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// Whether a listener is on; an error when that cannot be read (its settings), which fails
/// the delivery, to be retried, rather than skipping the event for good.
pub type GuardFuture = Pin<Box<dyn Future<Output = Result<bool, String>> + Send>>;

/// A durable listener: a name, what it subscribes to, its own enabled check (read at each
/// delivery) and its handler. Handlers must be idempotent: delivery is at least once.
pub struct Listener {
    pub name: &'static str,
    pub patterns: Vec<Pattern>,
    pub enabled: Arc<dyn Fn() -> GuardFuture + Send + Sync>,
    /// Handles events in `seq` order; a failure fails every event of that call.
    pub handler: Arc<dyn Fn(Vec<Envelope>) -> HandlerFuture + Send + Sync>,
    /// The most events one call takes: one for a listener that acts on each event by itself
    /// (a failure retries that event alone), a whole batch for a batched one.
    pub events_per_call: usize,
}

impl Listener {
    /// A listener called once per event (an email, a call to another service), always enabled.
    pub fn new(
        name: &'static str,
        patterns: &[&str],
        handler: impl Fn(Envelope) -> HandlerFuture + Send + Sync + 'static,
    ) -> Listener {
        let one_at_a_time = move |events: Vec<Envelope>| -> HandlerFuture {
            match events.into_iter().next() {
                Some(envelope) => handler(envelope),
                None => Box::pin(async { Ok(()) }),
            }
        };
        Listener { events_per_call: 1, ..Listener::batched(name, patterns, one_at_a_time) }
    }

    /// A listener called with all the new events of a batch at once, always enabled: for one
    /// that writes them to our own database, in one transaction, so that a busy bus costs it
    /// one commit per batch instead of one per event. When a call fails, each of its events
    /// is retried on its own.
    pub fn batched(
        name: &'static str,
        patterns: &[&str],
        handler: impl Fn(Vec<Envelope>) -> HandlerFuture + Send + Sync + 'static,
    ) -> Listener {
        Listener {
            name,
            patterns: patterns.iter().filter_map(|p| Pattern::parse(p)).collect(),
            enabled: Arc::new(|| Box::pin(async { Ok(true) })),
            handler: Arc::new(handler),
            events_per_call: usize::MAX,
        }
    }

    pub fn with_guard(mut self, enabled: impl Fn() -> GuardFuture + Send + Sync + 'static) -> Listener {
        self.enabled = Arc::new(enabled);
        self
    }
}

#[derive(Debug, Clone)]
pub struct BusConfig {
    /// Waits between a failed delivery and its retries; after the last, the delivery is dead.
    pub retry_schedule: Vec<Duration>,
    /// Fallback poll when no wake-up arrives.
    pub poll_interval: Duration,
    /// Outbox rows older than this, delivered everywhere, are pruned.
    pub retention: Duration,
}

impl Default for BusConfig {
    fn default() -> BusConfig {
        let mins = |m: u64| Duration::from_secs(60 * m);
        BusConfig {
            retry_schedule: vec![
                Duration::from_secs(5),
                Duration::from_secs(30),
                mins(2),
                mins(10),
                mins(60),
                mins(6 * 60),
                mins(24 * 60),
            ],
            poll_interval: Duration::from_secs(2),
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// An event as handed to live subscribers, serialised once for all of them.
#[derive(Debug)]
pub struct LiveEvent {
    pub envelope: Envelope,
    /// The envelope as JSON (what SSE clients receive as `data:`).
    pub json: String,
}

impl LiveEvent {
    pub fn new(envelope: Envelope) -> LiveEvent {
        let json = serde_json::to_string(&envelope).unwrap_or_else(|_| "{}".to_string());
        LiveEvent { envelope, json }
    }
}

/// Events kept for live subscribers that fall behind; beyond this they catch up from the
/// outbox.
pub const LIVE_BUFFER: usize = 1024;
const LATENCY_SAMPLES: usize = 1024;

#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: BusConfig,
    listeners: Vec<Arc<Listener>>,
    live: broadcast::Sender<Arc<LiveEvent>>,
    wake: Notify,
    head: watch::Sender<i64>,
    latencies: Mutex<HashMap<&'static str, VecDeque<Duration>>>,
    process_id: String,
    /// Set at shutdown: live streams end so that graceful shutdown is not held open.
    closing: watch::Sender<bool>,
    /// See `Bus::version`.
    version: AtomicU64,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("listeners", &self.inner.listeners.len()).finish()
    }
}

impl Bus {
    pub fn new(db: Db, config: BusConfig, listeners: Vec<Listener>) -> Bus {
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let (head, _) = watch::channel(0);
        let (closing, _) = watch::channel(false);
        Bus {
            inner: Arc::new(Inner {
                db,
                config,
                listeners: listeners.into_iter().map(Arc::new).collect(),
                live,
                wake: Notify::new(),
                head,
                latencies: Mutex::new(HashMap::new()),
                process_id: uuid::Uuid::new_v4().to_string(),
                closing,
                version: AtomicU64::new(0),
            }),
        }
    }

    /// Commits `tx` and wakes the dispatcher.
    pub async fn commit(&self, tx: Tx) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.inner.version.fetch_add(1, Ordering::Release);
        self.wake();
        Ok(())
    }

    /// A number that changes whenever events may have been committed: at once after a commit
    /// through `commit` here, and when the dispatcher sees events committed by another
    /// process. What is derived from the database (a cached page) is current while it holds.
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::Acquire)
    }

    /// Tells the dispatcher something was committed.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Live events from now on. A receiver that falls more than `LIVE_BUFFER` behind gets
    /// `Lagged` and should catch up from the outbox.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.inner.live.subscribe()
    }

    /// Ends every live stream (at shutdown).
    pub fn close_streams(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Resolves when `close_streams` has been called.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn listeners(&self) -> impl Iterator<Item = &Listener> {
        self.inner.listeners.iter().map(|l| l.as_ref())
    }

    pub fn config(&self) -> &BusConfig {
        &self.inner.config
    }

    /// Starts the dispatcher, one worker per listener, and retention. With PostgreSQL and a
    /// `listen_url`, also wakes on other processes' commits (LISTEN/NOTIFY).
    pub async fn start(&self, listen_url: Option<String>) -> Result<Vec<JoinHandle<()>>, sqlx::Error> {
        let start_at = outbox::head(&self.inner.db).await?;
        self.inner.head.send_replace(start_at);
        for l in &self.inner.listeners {
            listener::register(&self.inner.db, l.name).await?;
        }
        let mut tasks = vec![tokio::spawn(self.clone().dispatch(start_at))];
        for l in &self.inner.listeners {
            tasks.push(tokio::spawn(self.clone().run_listener(l.clone())));
        }
        tasks.push(tokio::spawn(self.clone().retention()));
        if let Some(url) = listen_url {
            tasks.push(tokio::spawn(self.clone().listen_postgres(url)));
        }
        Ok(tasks)
    }

    /// Reads committed events in `seq` order and hands them to live subscribers.
    async fn dispatch(self, mut last: i64) {
        loop {
            tokio::select! {
                () = self.inner.wake.notified() => {},
                () = tokio::time::sleep(self.inner.config.poll_interval) => {},
            }
            loop {
                match outbox::read_after(&self.inner.db, last, 500).await {
                    Ok(batch) if batch.is_empty() => break,
                    Ok(batch) => {
                        self.inner.version.fetch_add(1, Ordering::Release);
                        for envelope in batch {
                            last = envelope.seq;
                            let _ = self.inner.live.send(Arc::new(LiveEvent::new(envelope)));
                        }
                        self.inner.head.send_replace(last);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "event dispatcher cannot read the outbox");
                        break;
                    }
                }
            }
        }
    }

    async fn listen_postgres(self, url: String) {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut pg) => {
                    if pg.listen("changemaker_events").await.is_ok() {
                        while pg.recv().await.is_ok() {
                            self.wake();
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for events; polling only"),
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    async fn retention(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let cutoff = db::now_unix_ms()
                - i64::try_from(self.inner.config.retention.as_millis()).unwrap_or(i64::MAX);
            match outbox::prune(&self.inner.db, cutoff).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "pruned delivered events from the outbox"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot prune the outbox"),
            }
        }
    }

    fn record_latency(&self, listener: &'static str, took: Duration) {
        let mut map = self.inner.latencies.lock().unwrap_or_else(|e| e.into_inner());
        let samples = map.entry(listener).or_default();
        if samples.len() == LATENCY_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(took);
    }

    /// Handler latency percentiles (p50, p99) in milliseconds over recent deliveries.
    pub fn latency_ms(&self, listener: &str) -> (f64, f64) {
        let map = self.inner.latencies.lock().unwrap_or_else(|e| e.into_inner());
        let mut samples: Vec<Duration> =
            map.get(listener).map(|s| s.iter().copied().collect()).unwrap_or_default();
        samples.sort();
        let pick = |q: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[index.min(samples.len() - 1)].as_secs_f64() * 1000.0
        };
        (pick(0.5), pick(0.99))
    }

    /// Runs one handler call, catching errors and panics, and timing it.
    async fn deliver(&self, l: &Listener, envelopes: Vec<Envelope>) -> Result<(), String> {
        let started = Instant::now();
        let outcome = match tokio::spawn((l.handler)(envelopes)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err("the handler panicked".to_string()),
            Err(e) => Err(format!("the handler was cancelled: {e}")),
        };
        self.record_latency(l.name, started.elapsed());
        outcome
    }
}
