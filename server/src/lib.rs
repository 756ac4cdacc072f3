//! The Changemaker server: configuration, start-up, the axum router around the Leptos app,
//! health endpoints and graceful shutdown. Business rules live in the `app` crate.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::auth::service::LoginLimits;
use app::bus::{Bus, Listener};
use app::db::{Db, DbError};
use app::rate_limit::RateLimiter;
use app::secrets::{SecretKey, SecretKeyError};
use app::state::{AppState, SharedState};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::TraceLayer;

/// Every binary built on this crate (the server, its tests and benchmarks) allocates with
/// mimalloc: rendering a page or taking a sign-up makes many small short-lived allocations,
/// where glibc's allocator took about a quarter of the CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod access;
pub mod backup;
pub mod config;
mod events_api;
mod exports;
mod integrations;
mod middleware;
mod page_cache;
mod site_files;
mod sms_media;
mod uploads;
mod webhooks;

use config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    SecretKey(#[from] SecretKeyError),
    #[error("cannot prepare first-run setup: {0}")]
    Setup(sqlx::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// The prepared application: database migrated, key loaded, state built.
pub struct Prepared {
    pub state: AppState,
    /// A one-time setup token, when no administrator exists yet.
    pub setup_token: Option<String>,
}

/// Opens the data directory and the database (running migrations), loads the secret key,
/// and issues a first-run setup token when there is no administrator.
pub async fn prepare(config: &Config) -> Result<Prepared, StartError> {
    prepare_with_listeners(config, Vec::new()).await
}

/// The built-in durable listeners of the bus.
fn builtin_listeners(db: &Db, key: &Arc<SecretKey>, public_url: &str) -> Vec<Listener> {
    vec![
        app::bus::event_log::listener(db.clone()),
        app::contacts::activity::listener(db.clone()),
        app::calendar::listener::listener(db.clone()),
        app::home::stats::listener(db.clone()),
        integrations::automation::listener(db.clone(), key.clone()),
        integrations::team_chat::listener(db.clone(), key.clone(), public_url.to_string()),
        integrations::public_calendar::listener(db.clone(), key.clone(), public_url.to_string()),
        integrations::newsletter::listener(db.clone(), key.clone()),
    ]
}

/// `prepare`, with `extra` durable listeners beside the built-in ones (tests use this).
pub async fn prepare_with_listeners(config: &Config, extra: Vec<Listener>) -> Result<Prepared, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let open_files = |kind, max_bytes| {
        app::media::files::MediaFiles::open(&config.data_dir, kind, max_bytes)
            .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })
    };
    let video_files = open_files(app::media::files::VIDEOS, config.video_max_bytes)?;
    let picture_files = open_files(app::media::files::PICTURES, app::media::files::PICTURE_MAX_BYTES)?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let secret_key = match &config.secret_key {
        Some(key) => key.clone(),
        None => SecretKey::load_or_create(&config.data_dir.join(config::SECRET_KEY_FILE))?,
    };
    let setup_token = app::auth::service::issue_setup_token(&db).await.map_err(StartError::Setup)?;
    let leptos_options = LeptosOptions::builder()
        .output_name("changemaker")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .env(Env::PROD)
        .build();
    let secret_key = Arc::new(secret_key);
    let mut listeners = builtin_listeners(&db, &secret_key, &config.public_url);
    listeners.extend(extra);
    let bus = Bus::new(db.clone(), config.bus.clone(), listeners);
    let limiter = |limit: config::Limit| RateLimiter::new(limit.count, limit.window);
    let email_worker = app::email::service::Worker {
        db: db.clone(),
        key: secret_key.clone(),
        base_url: config.public_url.clone(),
        retry_schedule: config.email_retry_schedule.clone(),
        poll_every: config.email_poll_interval,
    };
    let reminders = app::reminders::ReminderWorker {
        db: db.clone(),
        key: secret_key.clone(),
        every: config.reminder_interval,
    };
    let state = AppState::new(SharedState {
        leptos_options,
        db,
        secret_key,
        public_url: config.public_url.clone(),
        secure_cookies: config.secure_cookies(),
        login_limits: LoginLimits {
            per_ip: limiter(config.login_limit_per_ip),
            per_account: limiter(config.login_limit_per_account),
        },
        signup_limiter: RateLimiter::new(config.signup_limit_per_minute, Duration::from_secs(60)),
        checkout_limiter: RateLimiter::new(config.checkout_limit_per_hour, Duration::from_secs(3600)),
        campaign_limiter: RateLimiter::new(config.campaign_limit_per_hour, Duration::from_secs(3600)),
        link_email_limiter: RateLimiter::new(3, Duration::from_secs(3600)),
        webhook_rejection_limiter: RateLimiter::new(
            app::payments::webhook::REJECTIONS_AUDITED_PER_MINUTE,
            Duration::from_secs(60),
        ),
        stripe_api_base: config.stripe_api_base.clone(),
        twilio_api_base: config.twilio_api_base.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        signups: app::shifts::group_commit::SignupQueue::start(bus.clone()),
        bus,
        email_worker,
        reminders,
        video_files,
        picture_files,
    });
    app::state::set_latest(&state);
    Ok(Prepared { state, setup_token })
}

/// The span each request is logged in: its method and path, never its query string, where
/// private links carry their tokens (cancel links, calendar links).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let routes = app_routes();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/events/stream", get(events_api::stream))
        .route("/api/observability/event-bus", get(events_api::bus_stats))
        .route("/api/shifts.csv", get(exports::schedule))
        .route("/api/shifts.ics", get(exports::public_calendar))
        .route("/api/shifts/hours.csv", get(exports::volunteer_hours))
        .route("/api/shifts/{id}/signups.csv", get(exports::shift_signups))
        .route("/api/shifts/{id}/calendar.ics", get(exports::shift_calendar))
        .route("/api/shifts/signups/calendar.ics", get(exports::signups_calendar))
        .route("/api/my/shifts.ics", get(exports::my_calendar))
        .route("/api/campaigns/{id}/supporters.csv", get(exports::campaign_supporters))
        .route("/api/contacts.csv", get(exports::contacts))
        .route("/api/contacts/{id}/data.json", get(exports::contact_data))
        .route("/api/ticketed-events/{id}/tickets.csv", get(exports::event_tickets))
        .route(app::media::CAPTIONS_ROUTE, get(exports::video_captions))
        .route(app::media::CAPTIONS_PREVIEW_ROUTE, get(exports::video_captions_preview))
        .route("/api/canvass/addresses.csv", get(exports::canvass_addresses))
        .route("/api/payments/webhook", axum::routing::post(webhooks::stripe))
        .route("/api/webhooks/newsletter", axum::routing::post(webhooks::newsletter))
        .route(app::sms::WEBHOOK_PATH, axum::routing::post(webhooks::sms))
        .route(app::sms::STATUS_PATH, axum::routing::post(webhooks::sms_status))
        .route(app::sms::MEDIA_ROUTE, get(sms_media::media))
        .route("/api/unsubscribe", get(webhooks::unsubscribe_page).post(webhooks::one_click_unsubscribe))
        .route("/api/payments/{file}", get(exports::payments))
        // The upload counts the file's bytes against its own limit (`CHANGEMAKER_VIDEO_MAX_MB`).
        .route(
            app::media::UPLOAD_ROUTE,
            axum::routing::post(uploads::video_file).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            app::media::POSTER_ROUTE,
            axum::routing::post(uploads::video_poster).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            app::stories::PICTURE_ROUTE,
            axum::routing::post(uploads::story_picture).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .nest_service(app::media::FILES_PATH, uploaded_files(&state.video_files))
        .nest_service(app::media::PICTURES_PATH, uploaded_files(&state.picture_files))
        .leptos_routes(&state, routes, move || app::shell(options.clone()))
        .fallback(site_files::serve)
        // axum's own cap on a body read whole (2 MB unless told): `limit_body` decides each
        // request's limit, so this is the largest it lets through, a contacts import's.
        .layer(axum::extract::DefaultBodyLimit::max(app::contacts::IMPORT_MAX_REQUEST_BYTES))
        .layer(from_fn_with_state(page_cache::PageCache::new(state.bus.clone()), page_cache::serve))
        .layer(from_fn(middleware::server_fn_status))
        .layer(from_fn_with_state(state.clone(), middleware::refuse_cross_site))
        .layer(from_fn_with_state(state.clone(), middleware::client_ip))
        .layer(from_fn(middleware::refuse_nul_text))
        .layer(from_fn(middleware::security_headers))
        .layer(from_fn(middleware::limit_body))
        // Outside the layers that read a response's body: the page cache (which keeps a page as
        // rendered, for every visitor) and the server functions' error statuses.
        .layer(middleware::compression())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .with_state(state)
}

/// Uploaded files (videos, pictures), by name, with byte ranges (which video players ask for
/// to seek). A name is random and never reused, so browsers may keep a file for good.
fn uploaded_files(
    files: &app::media::files::MediaFiles,
) -> SetResponseHeader<ServeDir, axum::http::HeaderValue> {
    SetResponseHeaderLayer::overriding(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=31536000, immutable"),
    )
    .layer(ServeDir::new(files.dir()))
}

/// The app's page routes, worked out once per process. Working them out runs the app with
/// resource loading switched off for the whole process (a global flag in `leptos_server`), so
/// a page another server of this process was rendering at that moment waited forever for its
/// data (leptos-rs/leptos#4773); the integration tests start many servers in one process.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish,
/// and closes the database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    listen_url: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let db = state.db.clone();
    let housekeeping = tokio::spawn(housekeeping(db.clone()));
    let listen_url = (db.backend() == app::db::Backend::Postgres).then(|| listen_url.to_string());
    let bus_tasks = state.bus.start(listen_url).await.map_err(std::io::Error::other)?;
    let email_worker = tokio::spawn(state.email_worker.clone().run());
    let reminders = tokio::spawn(state.reminders.clone().run());
    let refitting = tokio::spawn({
        let (db, videos, pictures) = (db.clone(), state.video_files.clone(), state.picture_files.clone());
        async move {
            if let Err(e) = refit_earlier_uploads(&db, &videos, &pictures).await {
                tracing::warn!(error = %e, "could not refit the files uploaded before this version; trying at the next start");
            }
        }
    });
    let bus = state.bus.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = async move {
        shutdown.await;
        // Live event streams never finish by themselves; end them so shutdown can complete.
        bus.close_streams();
    };
    // Each response part goes out as soon as it is written: with Nagle's algorithm a live
    // stream's event could wait for the client's acknowledgement of the one before.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(%err, "could not set TCP_NODELAY on a connection");
        }
    });
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    housekeeping.abort();
    email_worker.abort();
    reminders.abort();
    refitting.abort();
    bus_tasks.iter().for_each(|t| t.abort());
    db.close().await;
    served
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

/// The setting recorded once the files uploaded before this version were refitted.
pub const EARLIER_UPLOADS_REFITTED: &str = "media.earlier_uploads_refitted";

/// Makes the files uploaded before uploads were made fit as they are now — a video saying
/// where it was filmed, a photo's camera metadata, a story picture of unknown size — fit once:
/// at the first start of this version, in the background (a picture takes up to a second).
/// Refitting is idempotent, so a start stopped halfway does it again at the next.
pub async fn refit_earlier_uploads(
    db: &Db,
    videos: &app::media::files::MediaFiles,
    pictures: &app::media::files::MediaFiles,
) -> Result<(), sqlx::Error> {
    if app::settings::get(db, EARLIER_UPLOADS_REFITTED).await?.is_some() {
        return Ok(());
    }
    let video_files = app::media::service::refit_earlier_files(db, videos, pictures).await?;
    let story_pictures = app::stories::service::refit_earlier_pictures(db, pictures).await?;
    let mut tx = db.begin_write().await?;
    app::settings::set(&mut tx, EARLIER_UPLOADS_REFITTED, "yes").await?;
    tx.commit().await?;
    if video_files + story_pictures > 0 {
        tracing::info!(video_files, story_pictures, "refitted the files uploaded before this version");
    }
    Ok(())
}

/// Periodic clean-up: expired sessions and emailed links, sent emails after 30 days (their bodies hold
/// private cancel links, which should not be kept for ever), and background jobs a stopped
/// server left running.
async fn housekeeping(db: Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match app::auth::service::prune_expired(&db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pruned expired sessions and links"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not prune expired sessions and links"),
        }
        match app::email::service::prune_sent(&db, app::email::service::SENT_RETENTION_SECS).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pruned sent emails"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not prune sent emails"),
        }
        match app::jobs::service::mark_interrupted(&db).await {
            Ok(n) if n > 0 => tracing::info!(jobs = n, "marked interrupted background jobs"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not mark interrupted jobs"),
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled, so a signal that arrives during start-up is not lost.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}
