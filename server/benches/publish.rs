//! Publish throughput: `bus::publish` into the outbox against a raw sqlx insert of the same
//! row into a table shaped like the outbox (same columns and indexes), in the same run, on SQLite and (when
//! `CHANGEMAKER_TEST_DATABASE_URL` is set) PostgreSQL.
//!
//! Run: `cargo bench -p changemaker-server --bench publish` (see BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::time::Instant;

use app::bus;
use app::db::Db;
use app::events::catalog::SystemTest;
use app::events::{Actor, Event};

const SINGLE: usize = 2_000;
const BATCHES: usize = 40;
const BATCH_SIZE: usize = 100;

fn event(i: usize) -> Event {
    Event::SystemTest(SystemTest { message: format!("benchmark event {i}") })
}

async fn raw_insert(tx: &mut app::db::Tx, i: usize) {
    let e = event(i);
    sqlx::query("INSERT INTO bench_raw (id, topic, occurred_at, actor, payload) VALUES ($1, $2, $3, $4, $5)")
        .bind(format!("raw-{i}-{}", std::process::id()))
        .bind(e.topic())
        .bind(app::db::now_unix_ms())
        .bind(Actor::System.to_string())
        .bind(e.payload_json().to_string())
        .execute(&mut **tx)
        .await
        .unwrap();
}

async fn run(label: &str, db: &Db, raw_table: &'static str) {
    sqlx::query(raw_table).execute(db.pool()).await.unwrap();
    // The same indexes as the outbox, so that only the bus's own work differs.
    sqlx::query("CREATE INDEX bench_raw_occurred_at ON bench_raw (occurred_at)")
        .execute(db.pool())
        .await
        .unwrap();
    let per_second = |n: usize, started: Instant| n as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    for i in 0..SINGLE {
        let mut tx = db.begin_write().await.unwrap();
        raw_insert(&mut tx, i).await;
        tx.commit().await.unwrap();
    }
    let raw_single = per_second(SINGLE, started);

    let started = Instant::now();
    for i in 0..SINGLE {
        let mut tx = db.begin_write().await.unwrap();
        bus::publish(&mut tx, &Actor::System, &event(i)).await.unwrap();
        tx.commit().await.unwrap();
    }
    let publish_single = per_second(SINGLE, started);

    let started = Instant::now();
    for b in 0..BATCHES {
        let mut tx = db.begin_write().await.unwrap();
        for i in 0..BATCH_SIZE {
            raw_insert(&mut tx, SINGLE + b * BATCH_SIZE + i).await;
        }
        tx.commit().await.unwrap();
    }
    let raw_batched = per_second(BATCHES * BATCH_SIZE, started);

    let started = Instant::now();
    for b in 0..BATCHES {
        let mut tx = db.begin_write().await.unwrap();
        for i in 0..BATCH_SIZE {
            bus::publish(&mut tx, &Actor::System, &event(b * BATCH_SIZE + i)).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let publish_batched = per_second(BATCHES * BATCH_SIZE, started);

    println!(
        "{label:<10} single tx: publish {publish_single:>8.0}/s raw {raw_single:>8.0}/s ratio {:.2} | \
         {BATCH_SIZE} per tx: publish {publish_batched:>8.0}/s raw {raw_batched:>8.0}/s ratio {:.2}",
        publish_single / raw_single,
        publish_batched / raw_batched
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite =
        Db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display())).await.unwrap();
    sqlite.migrate().await.unwrap();
    run(
        "sqlite",
        &sqlite,
        "CREATE TABLE bench_raw (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, \
         occurred_at INTEGER NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)",
    )
    .await;

    if let Some(url) = common::fresh_postgres_url(&format!("cm_bench_{}", std::process::id())).await {
        let pg = Db::connect(&url).await.unwrap();
        pg.migrate().await.unwrap();
        run(
            "postgres",
            &pg,
            "CREATE TABLE bench_raw (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, \
             topic TEXT NOT NULL, occurred_at BIGINT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)",
        )
        .await;
    } else {
        println!("postgres   skipped: set CHANGEMAKER_TEST_DATABASE_URL to include it");
    }
}
