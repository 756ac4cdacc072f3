//! What every request handler and server function can reach (ssr only). Axum holds it as
//! router state; leptos_axum provides it to server functions through context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;

use crate::auth::service::LoginLimits;
use crate::bus::Bus;
use crate::db::Db;
use crate::error::AppError;
use crate::secrets::SecretKey;

/// A handle on the server's `SharedState`. Axum and leptos_axum clone the state several
/// times for every request (each middleware with state, the server function's context), so a
/// clone is one reference count, not a copy of every field.
#[derive(Clone, Debug)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What every request handler and server function can reach.
#[derive(Debug)]
pub struct SharedState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    /// Encrypts stored secrets (SMTP, Stripe) — never stored in the database.
    pub secret_key: Arc<SecretKey>,
    /// The address people reach this server at, e.g. `https://act.example.org`.
    pub public_url: String,
    /// Session cookies get `Secure` when the public URL is HTTPS.
    pub secure_cookies: bool,
    pub login_limits: LoginLimits,
    /// Public shift sign-ups per client IP.
    pub signup_limiter: crate::rate_limit::RateLimiter,
    /// Checkout starts per client IP, across every payment entry point.
    pub checkout_limiter: crate::rate_limit::RateLimiter,
    /// Campaign emails and responses from the public pages per client IP.
    pub campaign_limiter: crate::rate_limit::RateLimiter,
    /// Links emailed to one address on request from a public form ("Forgot your password?",
    /// "Lost your cancel link?", together), keyed by the normalised address. Anyone may type
    /// anyone's email: without it a stranger could flood an inbox and keep replacing the links
    /// its owner holds. Past it nothing is sent, with the same answer.
    pub link_email_limiter: crate::rate_limit::RateLimiter,
    /// Refused Stripe webhook deliveries per client IP: each writes a row in the append-only
    /// payment audit log, so past this a sender of bad deliveries is answered 429 and nothing
    /// is written. Stripe's signed deliveries never count.
    pub webhook_rejection_limiter: crate::rate_limit::RateLimiter,
    /// Stripe's API address (a local fake in tests).
    pub stripe_api_base: String,
    /// Where Twilio's API is (a fake in tests).
    pub twilio_api_base: String,
    /// Proxies trusted to name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub bus: Bus,
    /// Public shift sign-ups, written in groups that share a transaction.
    pub signups: crate::shifts::group_commit::SignupQueue,
    /// Sends queued email; `serve` runs it in the background.
    pub email_worker: crate::email::service::Worker,
    /// Queues the reminders before volunteers' shifts and meetings; `serve` runs it in the
    /// background.
    pub reminders: crate::reminders::ReminderWorker,
    /// Uploaded video files, in the data directory.
    pub video_files: crate::media::files::MediaFiles,
    /// Uploaded pictures (stories'), in the data directory.
    pub picture_files: crate::media::files::MediaFiles,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The state of the server that last started in this process, and of the one that last
/// started on this thread: what `app_state` falls back to when the Leptos context is missing.
static LATEST: std::sync::Mutex<Option<AppState>> = std::sync::Mutex::new(None);
/// How many servers this process has started (one, except in tests).
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
thread_local! {
    static LATEST_ON_THIS_THREAD: std::cell::RefCell<Option<AppState>> = const { std::cell::RefCell::new(None) };
}

/// Registers a starting server's state.
pub fn set_latest(state: &AppState) {
    *LATEST.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.clone());
    STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    LATEST_ON_THIS_THREAD.with(|latest| *latest.borrow_mut() = Some(state.clone()));
}

/// The running server's state when the context is missing: the only server of the process,
/// or, where a process runs several (the tests, each on its own single-threaded runtime), the
/// one started on this thread — never another runtime's, whose database connections this
/// runtime cannot drive (a query on them would wait forever).
fn latest() -> Option<AppState> {
    if let Some(state) = LATEST_ON_THIS_THREAD.with(|latest| latest.borrow().clone()) {
        return Some(state);
    }
    if STARTED.load(std::sync::atomic::Ordering::SeqCst) == 1 {
        return LATEST.lock().unwrap_or_else(|e| e.into_inner()).clone();
    }
    None
}

/// The state, inside a server function or a server-side render.
///
/// During a server-side render an admin page can be built twice, and a resource of the first
/// build may start its server function after that build's owner was disposed, its context
/// gone (leptos-rs/leptos#4088, #4527). Its answer can still reach the browser with the
/// hydration data, so it must be the real answer: the server's state is then taken from
/// `latest`, which is the only one in a running server.
#[track_caller]
pub fn app_state() -> Result<AppState, AppError> {
    if let Some(state) = use_context::<AppState>() {
        return Ok(state);
    }
    latest().ok_or_else(|| {
        tracing::error!(caller = %std::panic::Location::caller(), "AppState missing from the Leptos context");
        AppError::Internal
    })
}
