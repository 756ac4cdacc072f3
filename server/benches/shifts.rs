//! Shift sign-ups per second over HTTP with 64 concurrent clients (p50/p99), against a raw
//! sqlx insert of a sign-up row with the same 64-way concurrency, on SQLite and (when
//! `CHANGEMAKER_TEST_DATABASE_URL` is set) PostgreSQL; then server-side renders of `/shifts`
//! with 50 upcoming shifts per second, with 64 concurrent clients. The server runs in this
//! process on loopback.
//!
//! Run: `cargo bench -p changemaker-server --bench shifts` (see BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::events::Actor;
use app::shifts::ShiftForm;
use common::{BenchServer, fresh_postgres_url, start_server};

const CLIENTS: usize = 64;
const SIGNUPS: usize = 3_200;
/// Sign-ups spread over this many shifts, as when a list of upcoming shifts fills up.
const SHIFTS: usize = 50;

fn shift_form(n: usize) -> ShiftForm {
    ShiftForm {
        title: format!("Canvass {n}"),
        description: "Meet at the hall; bring water and comfortable shoes.".into(),
        location: "Community hall, 12 Main Street".into(),
        date: app::time::date_time_from_unix(app::db::now_unix() + 86_400 * (1 + n as i64 % 20)).0,
        start_time: "09:00".into(),
        end_time: "12:00".into(),
        ends_next_day: false,
        capacity: "10000".into(),
        is_public: true,
        edits: None,
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs `work(i)` for i in 0..total on `CLIENTS` tasks; returns (per second, sorted latencies).
async fn load<F, Fut>(total: usize, work: F) -> (f64, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(work);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (next, work) = (next.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return latencies;
                }
                let t = Instant::now();
                work(i).await;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

async fn signups(label: &str, server: &BenchServer) {
    let mut ids = Vec::new();
    for n in 0..SHIFTS {
        ids.push(app::shifts::service::create(&server.bus, &Actor::System, &shift_form(n)).await.unwrap().id);
    }
    let wrk_shift_ids = ids.clone();
    let ids = Arc::new(ids);
    let http = reqwest::Client::new();
    let url = format!("http://{}/api/shifts/sign-up", server.addr);
    let (ids2, url2) = (ids.clone(), url.clone());
    let (rate, latencies) = load(SIGNUPS, move |i| {
        let (http, ids, url) = (http.clone(), ids2.clone(), url2.clone());
        async move {
            let email = format!("v{i}@example.org");
            let res = http
                .post(&url)
                .form(&[
                    ("shift_id", ids[i % SHIFTS].as_str()),
                    ("form[name]", "Volunteer"),
                    ("form[email]", email.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    })
    .await;

    // The raw side: one INSERT of a sign-up row per request, same concurrency, same shifts.
    let contact: String =
        sqlx::query_scalar("SELECT id FROM contacts LIMIT 1").fetch_one(server.db.pool()).await.unwrap();
    let db = server.db.clone();
    let (raw_rate, raw_latencies) = load(SIGNUPS, move |i| {
        let (db, ids, contact) = (db.clone(), ids.clone(), contact.clone());
        async move {
            sqlx::query(
                "INSERT INTO shift_signups (id, shift_id, contact_id, name, email, source, status, \
                 cancel_token_hash, created_at, queued_seq) VALUES ($1, $2, $3, 'Volunteer', $4, 'PUBLIC', \
                 'CONFIRMED', $5, $6, $7)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&ids[i % SHIFTS])
            .bind(&contact)
            .bind(format!("raw{i}@example.org"))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(app::db::now_unix())
            .bind(i as i64 + 1_000_000)
            .execute(db.pool())
            .await
            .unwrap();
        }
    })
    .await;
    println!(
        "{label:<10} sign-ups over HTTP {rate:>7.0}/s  p50 {:>6.2} ms  p99 {:>6.2} ms | raw insert {raw_rate:>7.0}/s  \
         p50 {:>6.2} ms  p99 {:>6.2} ms | ratio {:.2}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&raw_latencies, 0.5),
        percentile(&raw_latencies, 0.99),
        rate / raw_rate
    );

    // The same sign-ups from wrk, whose 64 connections cost the two cores less than the
    // clients in this process; every email is new (`SIGNUP_SCRIPT`).
    let script = std::env::temp_dir().join(format!("changemaker-signup-{}.lua", std::process::id()));
    std::fs::write(&script, SIGNUP_SCRIPT).unwrap();
    let mut args = vec!["-s".to_string(), script.display().to_string(), url, "--".to_string()];
    args.extend(wrk_shift_ids);
    if let Some(text) = wrk(&args) {
        assert!(!text.contains("Non-2xx"), "some sign-ups were refused:\n{text}");
        let wrk_rate: f64 =
            wrk_line(&text, "Requests/sec:").split_whitespace().nth(1).unwrap().parse().unwrap();
        println!(
            "{label:<10} sign-ups over HTTP, wrk -t2 -c64 -d10s: {wrk_rate:.0}/s | latency {} | {} | ratio {:.2}",
            wrk_line(&text, "50%"),
            wrk_line(&text, "99%"),
            wrk_rate / raw_rate
        );
    }
    let _ = std::fs::remove_file(&script);
}

/// wrk's requests: sign-ups to the shifts given after `--`, in turn, each with a new email
/// (the thread's number and its own count).
const SIGNUP_SCRIPT: &str = r#"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
local shifts, count = {}, 0
function init(args)
  for i, id in ipairs(args) do shifts[i] = id end
end
function request()
  count = count + 1
  local body = "shift_id=" .. shifts[count % #shifts + 1] .. "&form%5Bname%5D=Volunteer" ..
    "&form%5Bemail%5D=wrk" .. thread_number .. "-" .. count .. "%40example.org"
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
"#;

/// wrk (Debian's package) with 2 threads and 64 connections for 10 s, when it is installed:
/// a C load generator in a process of its own. Its report, or `None` without it.
fn wrk(args: &[String]) -> Option<String> {
    let out =
        std::process::Command::new("wrk").args(["-t2", "-c64", "-d10s", "--latency"]).args(args).output();
    match out {
        Ok(out) => {
            assert!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(_) => {
            println!("wrk not installed (apt-get install wrk): skipped the wrk measurement");
            None
        }
    }
}

/// The line of wrk's report that starts with `key`, trimmed.
fn wrk_line(text: &str, key: &str) -> String {
    text.lines().find(|l| l.trim_start().starts_with(key)).map(str::trim).unwrap_or("?").to_string()
}

async fn public_page(server: &BenchServer) {
    // 50 upcoming public shifts on a fresh database.
    for n in 0..50 {
        app::shifts::service::create(&server.bus, &Actor::System, &shift_form(n)).await.unwrap();
    }
    // As visitors get it (kept in memory between changes), and rendered for every request
    // (a query string bypasses the page cache); as bytes, and gzipped as browsers ask for it.
    for (label, path) in [("GET /shifts", "/shifts"), ("GET /shifts?render (no cache)", "/shifts?render")] {
        for encoding in ["identity", "gzip"] {
            page_load(server, &format!("{label} {encoding}"), path, encoding).await;
        }
    }
}

async fn page_load(server: &BenchServer, label: &str, path: &str, encoding: &str) {
    let http = reqwest::Client::new();
    let url = format!("http://{}{path}", server.addr);
    let probe = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(probe.matches("data-testid=\"public-shift\"").count(), 50);
    let header = ("accept-encoding", encoding.to_string());
    let sent = http.get(&url).header(header.0, &header.1).send().await.unwrap().bytes().await.unwrap();
    println!("sqlite     {label} (50 shifts): {} bytes sent, {} as HTML", sent.len(), probe.len());
    let url2 = url.clone();
    let (rate, latencies) = load(20_000, move |_| {
        let (http, url, header) = (http.clone(), url2.clone(), header.clone());
        async move {
            let res = http.get(&url).header(header.0, header.1).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap();
        }
    })
    .await;
    println!(
        "sqlite     {label} (50 shifts), clients in this process {rate:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    // The same with wrk: the in-process clients above spend much of the two cores themselves.
    if let Some(text) = wrk(&["-H".to_string(), format!("Accept-Encoding: {encoding}"), url]) {
        println!(
            "sqlite     {label} (50 shifts), wrk -t2 -c64 -d10s: {} | latency {} | {}",
            wrk_line(&text, "Requests/sec:"),
            wrk_line(&text, "50%"),
            wrk_line(&text, "99%")
        );
    }
}

/// Public sign-ups are rate-limited per IP; every benchmark client shares one.
const NO_SIGNUP_LIMIT: (&str, &str) = ("CHANGEMAKER_SIGNUP_RATE_LIMIT", "100000000");

#[tokio::main]
async fn main() {
    common::log_if_asked();
    // `cargo bench --bench shifts -- pages`: the public page alone.
    if !std::env::args().any(|arg| arg == "pages") {
        signups("sqlite", &start_server(&[NO_SIGNUP_LIMIT]).await).await;
        match fresh_postgres_url(&format!("cm_bench_shifts_{}", std::process::id())).await {
            Some(url) => {
                signups("postgres", &start_server(&[NO_SIGNUP_LIMIT, ("DATABASE_URL", &url)]).await).await
            }
            None => println!("postgres   skipped: set CHANGEMAKER_TEST_DATABASE_URL to include it"),
        }
    }
    public_page(&start_server(&[]).await).await;
}
