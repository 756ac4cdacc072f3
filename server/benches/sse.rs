//! Publish → SSE receive latency with 1, 100 and 1,000 connected clients, and the server's
//! memory (RSS) with 10,000 idle SSE connections. The server runs in this process on
//! loopback (SQLite); the 10,000 idle clients run in a child process so that only the
//! server's memory is counted.
//!
//! Run: `cargo bench -p changemaker-server --bench sse` (see BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use app::events::catalog::SystemTest;
use app::events::{Actor, Event};
use app::users::{Role, UserStatus};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EVENTS: usize = 100;
const PASSWORD: &str = "correct horse battery staple";

static EPOCH: OnceLock<Instant> = OnceLock::new();

fn micros_since_epoch() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

/// Child mode: hold `n` idle SSE connections until stdin closes.
async fn hold_idle(addr: SocketAddr, cookie: String, n: usize) {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET /api/events/stream HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = [0u8; 256];
        let read = stream.read(&mut head).await.unwrap();
        assert!(head[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..read]));
        streams.push(stream);
    }
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(streams);
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn latency_run(addr: SocketAddr, cookie: &str, bus: &app::bus::Bus, db: &app::db::Db, clients: usize) {
    let samples = Arc::new(Mutex::new(Vec::with_capacity(clients * EVENTS)));
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    for _ in 0..clients {
        let res = http
            .get(format!("http://{addr}/api/events/stream?topics=system.test"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let samples = samples.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let _ = ready.send(()).await;
            let mut body = res.bytes_stream();
            let mut buffer = String::new();
            let mut seen = 0;
            while seen < EVENTS {
                let Some(Ok(chunk)) = body.next().await else { break };
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    // The stream's opening `ready` message carries no event.
                    if block.lines().any(|l| l == "event: ready") {
                        continue;
                    }
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                        // Only the send time is needed: find it without decoding the whole
                        // envelope, so client work disturbs the server less (same 2 cores).
                        let after = data.split("\"message\":\"").nth(1).unwrap();
                        let sent: u64 = after[..after.find('"').unwrap()].parse().unwrap();
                        samples.lock().unwrap().push(micros_since_epoch() - sent);
                        seen += 1;
                    }
                }
            }
        }));
    }
    for _ in 0..clients {
        ready_rx.recv().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..EVENTS {
        let mut tx = db.begin_write().await.unwrap();
        let event = Event::SystemTest(SystemTest { message: micros_since_epoch().to_string() });
        app::bus::publish(&mut tx, &Actor::System, &event).await.unwrap();
        bus.commit(tx).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task).await.unwrap().unwrap();
    }
    let mut all = samples.lock().unwrap().clone();
    all.sort_unstable();
    println!(
        "{clients:>5} clients: {} deliveries, latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("hold-idle") {
        hold_idle(args[2].parse().unwrap(), args[3].clone(), args[4].parse().unwrap()).await;
        return;
    }
    EPOCH.get_or_init(Instant::now);
    let server = common::start_server(&[]).await;
    let (addr, bus, db) = (server.addr, server.bus.clone(), server.db.clone());

    let mut tx = db.begin_write().await.unwrap();
    app::users::service::create_user(
        &mut tx,
        app::users::service::NewUser {
            email: "bench@example.org",
            display_name: "Bench",
            password: PASSWORD,
            role: Role::Admin,
            status: UserStatus::Active,
            expires_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let login = reqwest::Client::new()
        .post(format!("http://{addr}/api/auth/login"))
        .form(&[("email", "bench@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("changemaker_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    for clients in [1, 100, 1_000] {
        latency_run(addr, &cookie, &bus, &db, clients).await;
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib();
    let idle = 10_000;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["hold-idle", &addr.to_string(), &cookie, &idle.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib();
    println!(
        "{idle} idle SSE connections: server RSS {:.0} MiB (before them {:.0} MiB, +{:.1} KiB each)",
        after as f64 / 1024.0,
        before as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / idle as f64
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
