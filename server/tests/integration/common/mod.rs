//! Integration-test harness: starts the real server on 127.0.0.1:0 with a fresh database
//! (a temp SQLite file, or a new database on the PostgreSQL test cluster) and drives it
//! over HTTP. `on_both_backends!` runs a test on each backend without writing it twice.
#![allow(dead_code)]

pub mod pictures;
pub mod smtp;
pub mod stripe;

use std::net::SocketAddr;

use app::db::Db;
use app::users::service::{NewUser, User};
use app::users::{Role, UserStatus};
use changemaker_server::config::Config;
use reqwest::header::HeaderMap;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub bus_handle: app::bus::Bus,
    pub base: String,
    pub db: Db,
    pub setup_token: Option<String>,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    _data_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL, as the tests
/// `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::common::spawn_app($crate::common::Backend::Sqlite).await).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$test($crate::common::spawn_app($crate::common::Backend::Postgres).await).await
            }
        }
    )*};
}

/// Like `on_both_backends!`, for tests that start their own server: each named
/// `async fn(Backend)` runs once per backend.
#[macro_export]
macro_rules! on_both_backends_with_own_server {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::common::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$test($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

/// A fresh, empty PostgreSQL database on the test server. Fails (never skips) when
/// `CHANGEMAKER_TEST_DATABASE_URL` is not set or the server cannot be reached.
pub async fn fresh_postgres_url() -> String {
    let admin_url = std::env::var("CHANGEMAKER_TEST_DATABASE_URL").expect(
        "CHANGEMAKER_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh, which starts a \
         throwaway PostgreSQL cluster, or point it at a server you can create databases on",
    );
    let name = format!("cm_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&admin_url).await.expect("cannot reach the PostgreSQL test server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .expect("cannot create a test database");
    admin.close().await;
    replace_database_name(&admin_url, &name)
}

fn replace_database_name(url: &str, name: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((base, q)) => (base, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    format!("{base}/{name}{query}")
}

/// A public shift tomorrow, 09:00–12:00 UTC at "Hall", with five spots.
pub fn shift_tomorrow(title: &str) -> app::shifts::ShiftForm {
    app::shifts::ShiftForm {
        title: title.into(),
        description: String::new(),
        location: "Hall".into(),
        date: app::time::date_time_from_unix(app::db::now_unix() + 86_400).0,
        start_time: "09:00".into(),
        end_time: "12:00".into(),
        ends_next_day: false,
        capacity: "5".into(),
        is_public: true,
        edits: None,
    }
}

/// The lines of one part of the dashboard (`needs_attention`, `last_week`) of the account
/// signed in as `email`: each line's text and link; `None` when the part is not there.
pub async fn dashboard_lines(app: &TestApp, email: &str, part: &str) -> Option<Vec<(String, String)>> {
    let res = app.call(&app.signed_in(email).await, "admin/dashboard", &[]).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body[part].as_array().map(|items| {
        items
            .iter()
            .map(|i| (i["text"].as_str().unwrap().into(), i["href"].as_str().unwrap().into()))
            .collect()
    })
}

/// `shift_tomorrow(title)` created through the shifts service.
pub async fn create_shift_tomorrow(app: &TestApp, title: &str) -> app::shifts::Shift {
    app::shifts::service::create(&app.bus(), &app::events::Actor::System, &shift_tomorrow(title))
        .await
        .unwrap()
}

pub fn test_config(backend_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("DATABASE_URL".to_string(), backend_url.to_string()),
        ("CHANGEMAKER_DATA_DIR".to_string(), data_dir.display().to_string()),
        ("LEPTOS_SITE_ADDR".to_string(), "127.0.0.1:0".to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(vars).expect("test configuration")
}

pub async fn fresh_database_url(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
        Backend::Postgres => fresh_postgres_url().await,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the server with extra environment settings (e.g. `CHANGEMAKER_PUBLIC_URL`).
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_custom(backend, extra, |_| {}, Vec::new()).await
}

/// Starts the server after `adjust` has changed its configuration, with extra listeners.
pub async fn spawn_app_custom(
    backend: Backend,
    extra: &[(&str, &str)],
    adjust: impl FnOnce(&mut Config),
    listeners: Vec<app::bus::Listener>,
) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, data_dir.path()).await;
    start_server(url, data_dir, extra, adjust, listeners).await
}

/// A second server process on the same database as `first` (with its own data dir, pool,
/// dispatcher and listeners), as when several processes share one PostgreSQL.
pub async fn spawn_second_process(first: &TestApp, listeners: Vec<app::bus::Listener>) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    start_server(first.config.database_url.clone(), data_dir, &[], |_| {}, listeners).await
}

async fn start_server(
    url: String,
    data_dir: tempfile::TempDir,
    extra: &[(&str, &str)],
    adjust: impl FnOnce(&mut Config),
    listeners: Vec<app::bus::Listener>,
) -> TestApp {
    let mut config = test_config(&url, data_dir.path(), extra);
    // Tests should not wait seconds for a poll: commits wake the bus, and this covers the rest.
    config.bus.poll_interval = std::time::Duration::from_millis(100);
    config.email_poll_interval = std::time::Duration::from_millis(100);
    config.reminder_interval = std::time::Duration::from_millis(100);
    adjust(&mut config);
    let listener = changemaker_server::bind(config.site_addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The configured address says port 0; links in emails must name the real one.
    if config.public_url.ends_with(":0") {
        config.public_url = format!("http://{addr}");
    }
    let prepared =
        changemaker_server::prepare_with_listeners(&config, listeners).await.expect("server prepares");
    let db = prepared.state.db.clone();
    let bus_handle = prepared.state.bus.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let database_url = config.database_url.clone();
    tokio::spawn(async move {
        changemaker_server::serve(listener, prepared.state, &database_url, async {
            let _ = rx.await;
        })
        .await
    });
    TestApp {
        addr,
        bus_handle,
        base: format!("http://{addr}"),
        db,
        setup_token: prepared.setup_token,
        config,
        shutdown: Some(tx),
        _data_dir: data_dir,
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// The server's bus, for calling services directly as server functions do.
    pub fn bus(&self) -> app::bus::Bus {
        self.bus_handle.clone()
    }

    /// The payloads of every event published on `topic`, oldest first.
    pub async fn events(&self, topic: &str) -> Vec<serde_json::Value> {
        let payloads: Vec<String> =
            sqlx::query_scalar("SELECT payload FROM event_outbox WHERE topic = $1 ORDER BY seq")
                .bind(topic)
                .fetch_all(self.db.pool())
                .await
                .unwrap();
        payloads.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
    }

    /// What the admin audit log names for each entry of `action`, oldest first.
    pub async fn audited(&self, action: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT entity FROM admin_audit_log WHERE action = $1 ORDER BY at, id")
            .bind(action)
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// Publishes `event` as the system, as the module that makes it would; answers with its seq.
    pub async fn publish(&self, event: &app::events::Event) -> i64 {
        let mut tx = self.db.begin_write().await.unwrap();
        let seq = app::bus::publish(&mut tx, &app::events::Actor::System, event).await.unwrap();
        self.bus_handle.commit(tx).await.unwrap();
        seq
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with its own cookie jar that does not follow redirects. A request that takes
    /// a minute fails, so that a server that stops answering fails the test that asked,
    /// by name, instead of holding up the whole run.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// Creates an account directly in the database.
    pub async fn create_user(&self, email: &str, role: Role, status: UserStatus) -> User {
        let mut tx = self.db.begin_write().await.unwrap();
        let user = app::users::service::create_user(
            &mut tx,
            NewUser {
                email,
                display_name: "Test Person",
                password: PASSWORD,
                role,
                status,
                expires_at: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        user
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client.post(self.url(&format!("/api/{endpoint}"))).form(form).send().await.unwrap()
    }

    /// Posts a form as the browser does by itself, before the page's code has loaded or
    /// without JavaScript: asking for HTML, sent from the page at `from`.
    pub async fn post_as_browser(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        from: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", self.url(from))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function that takes JSON (the ones sent whole files).
    pub async fn call_json(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        client.post(self.url(&format!("/api/{endpoint}"))).json(body).send().await.unwrap()
    }

    /// Waits for background job `id` to end; answers with it as `jobs/get` shows it.
    pub async fn finished_job(&self, client: &reqwest::Client, id: &str) -> serde_json::Value {
        let mut job = serde_json::Value::Null;
        for _ in 0..200 {
            let res = self.call(client, "jobs/get", &[("id", id)]).await;
            assert_eq!(res.status(), 200);
            job = res.json().await.unwrap();
            if job["status"] != "RUNNING" {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {id} still running: {job}");
    }

    /// The HTML of a page as `client` gets it, without the `<!>` markers Leptos puts where
    /// text nodes meet.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        let res = client.get(self.url(path)).send().await.unwrap();
        res.text().await.unwrap().replace("<!>", "")
    }

    /// A client signed in as `email` (with the test password).
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.client();
        let res = self.call(&client, "auth/login", &[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), 200, "sign-in as {email} failed: {}", res.text().await.unwrap());
        client
    }
}

/// Where a redirect (302) sends the browser.
pub fn redirected_to(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 302, "a redirect");
    res.headers()["location"].to_str().unwrap().to_string()
}

/// Waits (up to 30 s) until `check` is true. Generous: under the whole suite on two cores a
/// background worker can take seconds to get its turn, and this bounds a wait, not a speed.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Waits until the listener `name` has passed every event published so far.
pub async fn caught_up(app: &TestApp, name: &str) {
    let last: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM event_outbox")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    eventually(&format!("{name} passes every event"), || async {
        app::bus::counters(&app.db, name).await.unwrap().position >= last
    })
    .await;
}

/// The `Set-Cookie` value for the session cookie in `headers`.
pub fn session_set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("changemaker_session="))
        .map(str::to_string)
}

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(replace_database_name("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
    assert_eq!(replace_database_name("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    assert_eq!(
        replace_database_name("postgres://u@h/db?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
}

/// Reads `n` Server-Sent Events (id, event name, data as sent) from a streaming response;
/// fails after 10 s. The stream's opening `ready` message, not an event, is left out.
pub async fn read_sse(res: reqwest::Response, n: usize) -> Vec<(i64, String, String)> {
    let mut messages = read_sse_messages(res, n + 1).await;
    assert_eq!(messages.remove(0).1, "ready", "a stream opens with `ready`");
    messages
}

/// Reads the stream's first `n` messages, its opening `ready` included.
pub async fn read_sse_messages(res: reqwest::Response, n: usize) -> Vec<(i64, String, String)> {
    use futures::StreamExt;
    let mut stream = res.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while events.len() < n {
        let chunk =
            tokio::time::timeout_at(deadline, stream.next()).await.expect("timed out reading the stream");
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim_start().to_string()))
            };
            if let (Some(id), Some(event), Some(data)) = (field("id"), field("event"), field("data")) {
                events.push((id.parse().unwrap(), event, data));
            }
        }
    }
    events
}

/// Everything the server logs (every level, every crate) while the guard lives: the test's
/// runtime runs the server's tasks on this thread.
#[derive(Clone, Default)]
pub struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    pub fn start() -> (CapturedLog, tracing::subscriber::DefaultGuard) {
        keep_every_callsite_asking();
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (log, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// tracing caches, per line of code and for the whole process, whether anyone listens there,
/// and works it out on the thread that reaches the line first. A test on another thread with
/// no subscriber would cache "nobody, ever" and a capture would miss that line. This global
/// subscriber takes nothing but answers "ask me each time", so the cache never says never.
fn keep_every_callsite_asking() {
    struct AskEachTime;
    impl tracing::Subscriber for AskEachTime {
        fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
            tracing::subscriber::Interest::sometimes()
        }
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            false
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Installing it re-asks every line already cached, so the capture starts clean.
    ONCE.call_once(|| {
        tracing::subscriber::set_global_default(AskEachTime).expect("no other global subscriber")
    });
}

#[test]
fn a_capture_hears_a_line_another_thread_reached_first() {
    fn say_hello() {
        tracing::info!("hello from the line under test");
    }
    let (log, _guard) = CapturedLog::start();
    std::thread::spawn(say_hello).join().unwrap();
    say_hello();
    assert!(log.text().contains("hello from the line under test"), "{}", log.text());
}
