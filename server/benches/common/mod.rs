//! What the benchmarks share: a server on loopback in this process, and a fresh database on
//! the PostgreSQL test server.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use app::db::Db;

/// Logs to stderr as `RUST_LOG` asks (e.g. `RUST_LOG=app::shifts=debug` for the timing of
/// each group of sign-ups); nothing without it.
pub fn log_if_asked() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
}

pub struct BenchServer {
    pub addr: SocketAddr,
    pub bus: app::bus::Bus,
    pub db: Db,
    _dir: tempfile::TempDir,
}

/// Starts the server (SQLite in a temp dir unless `DATABASE_URL` is among `extra`).
pub async fn start_server(extra: &[(&str, &str)]) -> BenchServer {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![
        ("CHANGEMAKER_DATA_DIR".to_string(), dir.path().display().to_string()),
        ("LEPTOS_SITE_ADDR".to_string(), "127.0.0.1:0".to_string()),
        ("RUST_LOG".to_string(), "error".to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = changemaker_server::config::Config::from_vars(vars).unwrap();
    let prepared = changemaker_server::prepare(&config).await.unwrap();
    let (bus, db) = (prepared.state.bus.clone(), prepared.state.db.clone());
    let listener = changemaker_server::bind(config.site_addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = config.database_url.clone();
    tokio::spawn(async move {
        changemaker_server::serve(listener, prepared.state, &url, std::future::pending()).await
    });
    BenchServer { addr, bus, db, _dir: dir }
}

/// A new, empty database named `name` on the server `CHANGEMAKER_TEST_DATABASE_URL` points
/// at, or `None` when it is not set (the benchmark then says PostgreSQL was skipped).
pub async fn fresh_postgres_url(name: &str) -> Option<String> {
    let admin_url = std::env::var("CHANGEMAKER_TEST_DATABASE_URL").ok()?;
    let admin = Db::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await.unwrap();
    match admin_url.rsplit_once('/') {
        Some((base, _)) => Some(format!("{base}/{name}")),
        None => panic!("CHANGEMAKER_TEST_DATABASE_URL has no database name"),
    }
}
