//! The durable event bus: outbox in the publisher's transaction, durable listeners with
//! retries and dead deliveries, statistics, the event log, the SSE stream. Both databases.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{Backend, TestApp, eventually, read_sse, read_sse_messages, spawn_app_custom};
use app::bus::{self, HandlerFuture, Listener};
use app::events::catalog::SystemTest;
use app::events::{Actor, Envelope, Event};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    a_rolled_back_event_never_existed_and_a_committed_one_is_logged,
    setup_publishes_user_created,
    stats_endpoint_answers_admins_only,
    test_event_needs_a_super_admin,
    event_log_filters_and_refuses_bad_filters,
    stream_needs_an_admin,
    stream_filters_and_resumes_without_gap_or_duplicate,
    stream_opens_with_where_it_starts,
    concurrent_publishers_get_distinct_ordered_seqs,
    a_burst_larger_than_the_live_buffer_arrives_whole_and_in_order,
    listener_writes_skip_the_disk_sync_and_every_other_write_keeps_it,
    a_page_waits_for_a_listener_to_catch_up_but_not_for_ever,
);

// These start their own server, with extra listeners.
on_both_backends_with_own_server!(
    failing_listener_retries_then_parks_and_replay_delivers,
    a_batched_listener_gets_events_together_and_a_failed_call_retries_each_alone,
    panics_and_failures_do_not_touch_other_listeners_or_publishers,
    disabled_listener_counts_skips,
    a_guard_that_cannot_tell_retries_the_event,
    retention_prunes_only_delivered_old_events,
    events_committed_while_no_dispatcher_runs_are_delivered_once_after_restart,
);

fn test_event(message: &str) -> Event {
    Event::SystemTest(SystemTest { message: message.to_string() })
}

async fn publish(app: &TestApp, message: &str) -> i64 {
    let mut tx = app.db.begin_write().await.unwrap();
    let seq = bus::publish(&mut tx, &Actor::System, &test_event(message)).await.unwrap();
    tx.commit().await.unwrap();
    seq
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db.pool()).await.unwrap()
}

async fn admin_client(app: &TestApp, role: Role) -> reqwest::Client {
    let email = format!("{}@example.org", role.as_str().to_lowercase());
    app.create_user(&email, role, UserStatus::Active).await;
    app.signed_in(&email).await
}

/// A listener on `system.test` whose first `fail_first` calls fail, counting calls.
fn flaky_listener(name: &'static str, fail_first: usize, calls: Arc<AtomicUsize>) -> Listener {
    Listener::new(name, &["system.*"], move |_envelope| -> HandlerFuture {
        let calls = calls.clone();
        Box::pin(async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < fail_first { Err(format!("outside service unavailable (call {n})")) } else { Ok(()) }
        })
    })
}

async fn spawn_with(backend: Backend, listeners: Vec<Listener>) -> TestApp {
    spawn_app_custom(
        backend,
        &[],
        |config| config.bus.retry_schedule = vec![Duration::from_millis(10), Duration::from_millis(10)],
        listeners,
    )
    .await
}

/// Waits until `listener` has parked one delivery as dead; answers that delivery's last error.
pub async fn parked_error(app: &TestApp, listener: &str) -> String {
    eventually(&format!("{listener} parks the delivery"), || async {
        listener_counter(app, listener, "dead").await == 1
    })
    .await;
    sqlx::query_scalar("SELECT last_error FROM bus_deliveries WHERE listener = $1 AND status = 'DEAD'")
        .bind(listener)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

pub async fn listener_counter(app: &TestApp, name: &str, counter: &str) -> i64 {
    let sql = format!("SELECT {counter} FROM bus_listeners WHERE name = $1");
    // The row appears when the server has started the listener.
    let value: Option<i64> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(app.db.pool()).await.unwrap();
    value.unwrap_or(0)
}

async fn a_rolled_back_event_never_existed_and_a_committed_one_is_logged(app: TestApp) {
    let mut tx = app.db.begin_write().await.unwrap();
    bus::publish(&mut tx, &Actor::System, &test_event("rolled back")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM event_outbox").await, 0);

    let seq = publish(&app, "kept").await;
    eventually("the event log records the event", || async {
        scalar(&app, "SELECT COUNT(*) FROM event_log").await == 1
    })
    .await;
    let (topic, payload): (String, String) =
        sqlx::query_as("SELECT topic, payload FROM event_log WHERE seq = $1")
            .bind(seq)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(topic, "system.test");
    assert_eq!(serde_json::from_str::<Value>(&payload).unwrap()["message"], "kept");
    assert_eq!(scalar(&app, "SELECT published FROM event_topic_stats WHERE topic = 'system.test'").await, 1);
}

async fn setup_publishes_user_created(app: TestApp) {
    let token = app.setup_token.clone().unwrap();
    let form = [
        ("token", token.as_str()),
        ("organisation_name", "Riverside"),
        ("display_name", "Ana"),
        ("email", "ana@example.org"),
        ("password", crate::common::PASSWORD),
        ("password_confirm", crate::common::PASSWORD),
    ];
    assert_eq!(app.call(&app.client(), "auth/setup", &form).await.status(), 200);
    let (actor, payload): (String, String) =
        sqlx::query_as("SELECT actor, payload FROM event_outbox WHERE topic = 'user.created'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(actor.starts_with("user:"));
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["email"], "ana@example.org");
    assert_eq!(payload["role"], "SUPER_ADMIN");
    assert!(!payload.to_string().contains("argon2"), "no password hash in events");
}

async fn failing_listener_retries_then_parks_and_replay_delivers(backend: Backend) {
    let calls = Arc::new(AtomicUsize::new(0));
    // Fails the first try and both retries (3 calls), then succeeds on replay.
    let app = spawn_with(backend, vec![flaky_listener("flaky", 3, calls.clone())]).await;
    let seq = publish(&app, "hello").await;
    eventually("the delivery is parked as dead", || async {
        listener_counter(&app, "flaky", "dead").await == 1
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(listener_counter(&app, "flaky", "failed").await, 1);
    assert_eq!(listener_counter(&app, "flaky", "retried").await, 2);

    let admin = admin_client(&app, Role::Admin).await;
    app::settings::save_time_zone(&app.db, &Actor::System, "Pacific/Auckland").await.unwrap();
    let stats: Value =
        admin.get(app.url("/api/observability/event-bus")).send().await.unwrap().json().await.unwrap();
    let dead = &stats["dead"][0];
    assert_eq!(dead["listener"], "flaky");
    // When it was parked: UTC for programs, the organisation's time for the page.
    let parked_at = dead["parked_at"].as_str().unwrap();
    let unix = app::time::unix_from_date_time(&parked_at[..10], &parked_at[11..16]).unwrap();
    assert_eq!(dead["parked"], app::time_zone::Zone::parse("Pacific/Auckland").unwrap().stamp(unix));
    assert_eq!(dead["seq"], seq);
    assert!(dead["last_error"].as_str().unwrap().contains("outside service unavailable"));

    let seq_text = seq.to_string();
    let res =
        app.call(&admin, "observability/replay", &[("listener", "flaky"), ("seq", seq_text.as_str())]).await;
    assert_eq!(res.status(), 200);
    eventually("the replayed delivery succeeds", || async { calls.load(Ordering::SeqCst) == 4 }).await;
    eventually("the dead row is gone", || async {
        scalar(&app, "SELECT COUNT(*) FROM bus_deliveries").await == 0
    })
    .await;
    assert_eq!(app.audited("bus.delivery.replayed").await.len(), 1);
    // Replaying what is not dead is a clear 404.
    let res =
        app.call(&admin, "observability/replay", &[("listener", "flaky"), ("seq", seq_text.as_str())]).await;
    assert_eq!(res.status(), 404);
}

async fn a_batched_listener_gets_events_together_and_a_failed_call_retries_each_alone(backend: Backend) {
    // Records the messages of each call; a call with "bad" in it fails.
    let calls: Arc<std::sync::Mutex<Vec<Vec<String>>>> = Arc::default();
    let seen = calls.clone();
    let batched =
        Listener::batched("batched", &["system.*"], move |events: Vec<Envelope>| -> HandlerFuture {
            let messages: Vec<String> =
                events.iter().map(|e| e.payload["message"].as_str().unwrap_or("").to_string()).collect();
            let fails = messages.iter().any(|m| m == "bad");
            seen.lock().unwrap().push(messages);
            Box::pin(async move { if fails { Err("cannot store bad".to_string()) } else { Ok(()) } })
        });
    let app = spawn_with(backend, vec![batched]).await;
    let mut tx = app.db.begin_write().await.unwrap();
    let mut seqs = Vec::new();
    for message in ["a", "bad", "c"] {
        seqs.push(bus::publish(&mut tx, &Actor::System, &test_event(message)).await.unwrap());
    }
    app.bus_handle.commit(tx).await.unwrap();

    eventually("the bad event is parked as dead", || async {
        listener_counter(&app, "batched", "dead").await == 1
    })
    .await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[0], ["a", "bad", "c"], "the three events came in one call");
    for alone in ["a", "c"] {
        assert_eq!(
            calls.iter().filter(|c| *c == &[alone]).count(),
            1,
            "{alone} retried once, alone: {calls:?}"
        );
    }
    // The first call and both retries of "bad" failed.
    assert_eq!(calls.iter().filter(|c| *c == &["bad"]).count(), 2, "{calls:?}");
    let dead: Vec<i64> = sqlx::query_scalar("SELECT seq FROM bus_deliveries WHERE listener = 'batched'")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(dead, [seqs[1]]);
    assert_eq!(listener_counter(&app, "batched", "failed").await, 3);
}

async fn panics_and_failures_do_not_touch_other_listeners_or_publishers(backend: Backend) {
    let healthy_calls = Arc::new(AtomicUsize::new(0));
    let panicking = Listener::new("panicking", &["*"], |_e: Envelope| -> HandlerFuture {
        Box::pin(async move { panic!("handler bug") })
    });
    let app = spawn_with(backend, vec![panicking, flaky_listener("healthy", 0, healthy_calls.clone())]).await;
    for i in 0..3 {
        publish(&app, &format!("event {i}")).await;
    }
    eventually("the healthy listener got all three", || async { healthy_calls.load(Ordering::SeqCst) == 3 })
        .await;
    eventually("the panics were caught and counted", || async {
        listener_counter(&app, "panicking", "failed").await == 3
    })
    .await;
    let error: String =
        sqlx::query_scalar("SELECT last_error FROM bus_deliveries WHERE listener = 'panicking' LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(error.contains("panicked"));
    // The server still answers.
    assert_eq!(app.client().get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

async fn disabled_listener_counts_skips(backend: Backend) {
    let calls = Arc::new(AtomicUsize::new(0));
    let enabled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let guard = enabled.clone();
    let listener = flaky_listener("guarded", 0, calls.clone()).with_guard(move || {
        let on = guard.load(Ordering::SeqCst);
        Box::pin(async move { Ok(on) })
    });
    let app = spawn_with(backend, vec![listener]).await;
    publish(&app, "while off").await;
    eventually("the event is skipped", || async { listener_counter(&app, "guarded", "skipped").await == 1 })
        .await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    enabled.store(true, Ordering::SeqCst);
    publish(&app, "while on").await;
    eventually("the next one is delivered", || async {
        listener_counter(&app, "guarded", "delivered").await == 1
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// A guard that cannot tell whether its listener is on (its settings could not be read) fails
/// the delivery, to be retried, instead of skipping the event for good; one that never can
/// parks it, for a replay.
async fn a_guard_that_cannot_tell_retries_the_event(backend: Backend) {
    let calls = Arc::new(AtomicUsize::new(0));
    // How many more times the guard fails.
    let failing = Arc::new(AtomicUsize::new(1));
    let guard = failing.clone();
    let listener = flaky_listener("guarded", 0, calls.clone()).with_guard(move || {
        let fail = guard.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        Box::pin(async move { if fail { Err("cannot read the settings".to_string()) } else { Ok(true) } })
    });
    let app = spawn_with(backend, vec![listener]).await;
    publish(&app, "once the settings are read").await;
    eventually("the event is delivered on its retry", || async {
        listener_counter(&app, "guarded", "delivered").await == 1
    })
    .await;
    let counted: Vec<i64> = futures::future::join_all(
        ["failed", "retried", "skipped", "dead"].map(|counter| listener_counter(&app, "guarded", counter)),
    )
    .await;
    assert_eq!(counted, [1, 1, 0, 0], "failed, retried, skipped, dead");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Never readable: retried on the schedule, then parked with the guard's error.
    failing.store(usize::MAX, Ordering::SeqCst);
    publish(&app, "never").await;
    assert_eq!(parked_error(&app, "guarded").await, "cannot read the settings");
    assert_eq!((calls.load(Ordering::SeqCst), listener_counter(&app, "guarded", "skipped").await), (1, 0));
}

async fn stats_endpoint_answers_admins_only(app: TestApp) {
    let url = app.url("/api/observability/event-bus");
    assert_eq!(app.client().get(&url).send().await.unwrap().status(), 401);
    let volunteer = admin_client(&app, Role::Volunteer).await;
    assert_eq!(volunteer.get(&url).send().await.unwrap().status(), 403);

    publish(&app, "counted").await;
    let admin = admin_client(&app, Role::Admin).await;
    eventually("the event log has delivered it", || async {
        listener_counter(&app, "event-log", "delivered").await >= 1
    })
    .await;
    let res = admin.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let stats: Value = res.json().await.unwrap();
    let topic = stats["topics"].as_array().unwrap().iter().find(|t| t["topic"] == "system.test").unwrap();
    assert_eq!(topic["published"], 1);
    assert!(topic["last_published_at"].as_str().unwrap().ends_with('Z'));
    let at = topic["last_published_at"].as_str().unwrap();
    let unix = app::time::unix_from_date_time(&at[..10], &at[11..16]).unwrap();
    assert_eq!(topic["last_published"], app::time_zone::Zone::UTC.stamp(unix), "UTC until a zone is chosen");
    let log = stats["listeners"].as_array().unwrap().iter().find(|l| l["name"] == "event-log").unwrap();
    assert_eq!(log["subscriptions"], serde_json::json!(["*"]));
    assert_eq!(log["enabled"], true);
    assert!(log["delivered"].as_i64().unwrap() >= 1);
    for key in ["failed", "retried", "dead", "skipped", "lag", "latency_p50_ms", "latency_p99_ms"] {
        assert!(log.get(key).is_some(), "{key} missing");
    }
}

async fn test_event_needs_a_super_admin(app: TestApp) {
    let admin = admin_client(&app, Role::Admin).await;
    assert_eq!(app.call(&admin, "observability/test-event", &[]).await.status(), 403);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM event_outbox WHERE topic = 'system.test'").await, 0);
    let super_admin = admin_client(&app, Role::SuperAdmin).await;
    let res = app.call(&super_admin, "observability/test-event", &[]).await;
    assert_eq!(res.status(), 200);
    let seq: i64 = res.json().await.unwrap();
    let actor: String = sqlx::query_scalar("SELECT actor FROM event_outbox WHERE seq = $1")
        .bind(seq)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(actor.starts_with("user:"));
}

async fn event_log_filters_and_refuses_bad_filters(app: TestApp) {
    for i in 0..60 {
        publish(&app, &format!("n{i}")).await;
    }
    let mut tx = app.db.begin_write().await.unwrap();
    let other = Event::ContactCreated(app::events::catalog::ContactCreated {
        contact_id: "c1".into(),
        email: "x@example.org".into(),
        name: "X".into(),
        source: "TEST".into(),
    });
    bus::publish(&mut tx, &Actor::User("u9".into()), &other).await.unwrap();
    tx.commit().await.unwrap();
    eventually("all 61 are logged", || async { scalar(&app, "SELECT COUNT(*) FROM event_log").await == 61 })
        .await;

    let admin = admin_client(&app, Role::Admin).await;
    let page = |form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let url = app.url("/api/observability/event-log");
        async move { admin.post(url).form(&form).send().await.unwrap() }
    };
    let first: Value = page(vec![("filter[page]", "1".into())]).await.json().await.unwrap();
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["rows"][0]["topic"], "contact.created", "newest first");
    let second: Value = page(vec![("filter[page]", "2".into())]).await.json().await.unwrap();
    assert_eq!(second["rows"].as_array().unwrap().len(), 11);
    assert_eq!(second["has_more"], false);

    let by_prefix: Value = page(vec![("filter[topic]", "contact.*".into()), ("filter[page]", "1".into())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_prefix["rows"].as_array().unwrap().len(), 1);
    let by_actor: Value = page(vec![("filter[actor]", "user:u9".into()), ("filter[page]", "1".into())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_actor["rows"].as_array().unwrap().len(), 1);
    assert_eq!(by_actor["rows"][0]["actor_name"], "Deleted account", "no account u9 exists");
    assert_eq!(first["rows"][1]["actor_name"], "System");
    let future: Value = page(vec![("filter[from]", "2999-01-01".into()), ("filter[page]", "1".into())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(future["rows"].as_array().unwrap().len(), 0);

    let bad = page(vec![
        ("filter[topic]", "not a topic".into()),
        ("filter[from]", "someday".into()),
        ("filter[page]", "1".into()),
    ])
    .await;
    assert_eq!(bad.status(), 422);
    let bad_page = admin.get(app.url("/admin/events/log?topic=not+a+topic")).send().await.unwrap();
    assert_eq!(bad_page.status(), 422, "the page answers with the filter's error");
    assert!(bad_page.text().await.unwrap().contains("Enter a topic such as shift.created"));

    // The Actor box holds the id; the page says whose rows they are, and how to see everyone's
    // with the other filters kept.
    let html = app.page(&admin, "/admin/events/log?actor=user:u9&topic=contact.*").await;
    assert!(html.contains("Only <strong>Deleted account</strong>"), "{html}");
    assert!(html.contains(r#"href="/admin/events/log?page=1&amp;topic=contact.%2A""#), "{html}");
    let html = app.page(&admin, "/admin/events/log").await;
    assert!(!html.contains("data-testid=\"actor-shown\""), "no actor filter, no note");

    let volunteer = admin_client(&app, Role::Volunteer).await;
    let res = volunteer
        .post(app.url("/api/observability/event-log"))
        .form(&[("filter[page]", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

async fn stream_needs_an_admin(app: TestApp) {
    let url = app.url("/api/events/stream");
    assert_eq!(app.client().get(&url).send().await.unwrap().status(), 401);
    let volunteer = admin_client(&app, Role::Volunteer).await;
    assert_eq!(volunteer.get(&url).send().await.unwrap().status(), 403);
    let admin = admin_client(&app, Role::Admin).await;
    assert_eq!(
        admin.get(app.url("/api/events/stream?topics=Bad Pattern")).send().await.unwrap().status(),
        400
    );
    assert_eq!(admin.get(app.url("/api/events/stream?since=abc")).send().await.unwrap().status(), 400);
}

/// Reads `n` SSE events (id, event, envelope) from a streaming response.
async fn read_events(res: reqwest::Response, n: usize) -> Vec<(i64, String, Envelope)> {
    let events = read_sse(res, n).await;
    events.into_iter().map(|(id, event, data)| (id, event, serde_json::from_str(&data).unwrap())).collect()
}

async fn stream_filters_and_resumes_without_gap_or_duplicate(app: TestApp) {
    let admin = admin_client(&app, Role::Admin).await;
    // Live, filtered to contact.*: system.test events are not sent.
    let live = admin.get(app.url("/api/events/stream?topics=contact.*")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers().get("content-type").unwrap(), "text/event-stream");
    publish(&app, "filtered out").await;
    let mut tx = app.db.begin_write().await.unwrap();
    let contact = Event::ContactCreated(app::events::catalog::ContactCreated {
        contact_id: "c1".into(),
        email: "x@example.org".into(),
        name: "X".into(),
        source: "TEST".into(),
    });
    let contact_seq = bus::publish(&mut tx, &Actor::System, &contact).await.unwrap();
    tx.commit().await.unwrap();
    let got = read_events(live, 1).await;
    assert_eq!(got[0].0, contact_seq);
    assert_eq!(got[0].1, "contact.created");
    assert_eq!(got[0].2.event().unwrap(), contact);

    // Two clients at once, each with its own filter.
    let everything = admin.get(app.url("/api/events/stream")).send().await.unwrap();
    let only_system = admin.get(app.url("/api/events/stream?topics=system.test")).send().await.unwrap();
    let mut tx = app.db.begin_write().await.unwrap();
    bus::publish(&mut tx, &Actor::System, &contact).await.unwrap();
    tx.commit().await.unwrap();
    let system_seq = publish(&app, "to both").await;
    let all = read_events(everything, 2).await;
    assert_eq!(all.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(), ["contact.created", "system.test"]);
    let system = read_events(only_system, 1).await;
    assert_eq!(system[0].0, system_seq);

    // Resume after the first of five: exactly the other four, in order.
    let mut seqs = Vec::new();
    for i in 0..5 {
        seqs.push(publish(&app, &format!("r{i}")).await);
    }
    let resumed = admin
        .get(app.url("/api/events/stream?topics=system.*"))
        .header("last-event-id", seqs[0].to_string())
        .send()
        .await
        .unwrap();
    // One more published while the stream is open arrives after the replay.
    let later = publish(&app, "later").await;
    let got = read_events(resumed, 5).await;
    let ids: Vec<i64> = got.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, [seqs[1], seqs[2], seqs[3], seqs[4], later]);
    // `?since=` works the same way.
    let since = admin.get(app.url(&format!("/api/events/stream?since={}", seqs[3]))).send().await.unwrap();
    let got = read_events(since, 2).await;
    assert_eq!(got.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(), [seqs[4], later]);
}

/// A page closes its stream while in the background and opens it again with `?since=` the
/// id of the last message it had. With no event seen, that is the opening `ready`: events
/// published while it was away still arrive, once.
async fn stream_opens_with_where_it_starts(app: TestApp) {
    let admin = admin_client(&app, Role::Admin).await;
    let before = publish(&app, "before").await;
    let first = admin.get(app.url("/api/events/stream?topics=contact.*")).send().await.unwrap();
    let ready = read_sse_messages(first, 1).await;
    assert_eq!(ready, [(before, "ready".to_string(), before.to_string())]);

    let away = publish(&app, "while away").await;
    let again = admin
        .get(app.url(&format!("/api/events/stream?topics=system.*&since={before}")))
        .send()
        .await
        .unwrap();
    // One more published once it is open comes right after: the missed one came once.
    let later = publish(&app, "later").await;
    let messages = read_sse_messages(again, 3).await;
    assert_eq!(messages[0], (before, "ready".to_string(), before.to_string()));
    let events: Vec<(i64, &str)> = messages[1..].iter().map(|(id, name, _)| (*id, name.as_str())).collect();
    assert_eq!(events, [(away, "system.test"), (later, "system.test")]);
}

/// Committed events always form an unbroken run of `seq`s: a reader never sees n while n-1
/// is still to commit (publishers are serialised until commit), so the stream and the
/// listeners, which read "after the last seq seen", can never skip an event.
/// A client that does not read while far more events than the live buffer holds are
/// published still receives every one, in order, once (it is caught up from the outbox).
async fn a_burst_larger_than_the_live_buffer_arrives_whole_and_in_order(app: TestApp) {
    let admin = admin_client(&app, Role::Admin).await;
    let stream = admin.get(app.url("/api/events/stream?topics=system.*")).send().await.unwrap();
    let total = 3 * bus::LIVE_BUFFER;
    let mut tx = app.db.begin_write().await.unwrap();
    let mut published = Vec::with_capacity(total);
    for i in 0..total {
        published
            .push(bus::publish(&mut tx, &Actor::System, &test_event(&format!("burst {i}"))).await.unwrap());
    }
    tx.commit().await.unwrap();
    let got: Vec<i64> = read_events(stream, total).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(got, published);
}

async fn concurrent_publishers_get_distinct_ordered_seqs(app: TestApp) {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let db = app.db.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut samples = 0;
            while !done.load(Ordering::SeqCst) {
                let (count, low, high): (i64, Option<i64>, Option<i64>) =
                    sqlx::query_as("SELECT COUNT(*), MIN(seq), MAX(seq) FROM event_outbox")
                        .fetch_one(db.pool())
                        .await
                        .unwrap();
                if let (Some(low), Some(high)) = (low, high) {
                    assert_eq!(count, high - low + 1, "a gap in committed seqs");
                }
                samples += 1;
            }
            samples
        })
    };
    let tasks = (0..40).map(|i| {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin_write().await.unwrap();
            let seq = bus::publish(&mut tx, &Actor::System, &test_event(&format!("c{i}"))).await.unwrap();
            // Hold the transaction open a little, as a real change would.
            tokio::time::sleep(Duration::from_millis(2)).await;
            tx.commit().await.unwrap();
            seq
        })
    });
    let mut seqs: Vec<i64> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    assert!(reader.await.unwrap() > 0);
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 40);
    eventually("the event log gets all forty", || async {
        scalar(&app, "SELECT COUNT(*) FROM event_log").await == 40
    })
    .await;
}

async fn retention_prunes_only_delivered_old_events(backend: Backend) {
    let calls = Arc::new(AtomicUsize::new(0));
    // Always failing with no retries left: the delivery is dead at once and must be kept.
    let app = spawn_app_custom(
        backend,
        &[],
        |config| config.bus.retry_schedule = Vec::new(),
        vec![flaky_listener("broken", usize::MAX, calls.clone())],
    )
    .await;
    let old_ok = {
        let mut tx = app.db.begin_write().await.unwrap();
        let e = Event::ContactCreated(app::events::catalog::ContactCreated {
            contact_id: "c".into(),
            email: "c@example.org".into(),
            name: "C".into(),
            source: "T".into(),
        });
        let seq = bus::publish(&mut tx, &Actor::System, &e).await.unwrap();
        tx.commit().await.unwrap();
        seq
    };
    let old_dead = publish(&app, "never delivered").await;
    // Every listener (the built-in ones too, e.g. crm-activity for contact.created) must be
    // past both events before pruning can remove the delivered one.
    eventually("every listener is past both events", || async {
        listener_counter(&app, "broken", "dead").await == 1
            && scalar(&app, "SELECT COALESCE(MIN(position), 0) FROM bus_listeners").await >= old_dead
    })
    .await;
    let pruned = bus::outbox::prune(&app.db, app::db::now_unix_ms() + 1000).await.unwrap();
    assert_eq!(pruned, 1);
    let left: Vec<i64> = sqlx::query_scalar("SELECT seq FROM event_outbox ORDER BY seq")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, [old_dead]);
    assert!(old_ok < old_dead);
    // Nothing recent is pruned.
    assert_eq!(bus::outbox::prune(&app.db, 0).await.unwrap(), 0);
}

/// Two server processes on one PostgreSQL database: each process's stream sees every event,
/// and a durable listener (registered in both) handles each event once, not once per process.
#[tokio::test]
async fn two_processes_share_the_bus() {
    let calls = Arc::new(AtomicUsize::new(0));
    let first =
        spawn_app_custom(Backend::Postgres, &[], |_| {}, vec![flaky_listener("shared", 0, calls.clone())])
            .await;
    let second =
        crate::common::spawn_second_process(&first, vec![flaky_listener("shared", 0, calls.clone())]).await;

    first.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let login = first
        .call(
            &first.client(),
            "auth/login",
            &[("email", "admin@example.org"), ("password", crate::common::PASSWORD)],
        )
        .await;
    let cookie =
        crate::common::session_set_cookie(login.headers()).unwrap().split(';').next().unwrap().to_string();
    let open = |app: &TestApp| {
        let url = app.url("/api/events/stream?topics=system.*");
        let cookie = cookie.clone();
        async move { reqwest::Client::new().get(url).header("cookie", cookie).send().await.unwrap() }
    };
    let on_first = open(&first).await;
    let on_second = open(&second).await;

    let mut published = Vec::new();
    for i in 0..20 {
        // Alternate which process's database handle commits.
        let app = if i % 2 == 0 { &first } else { &second };
        published.push(publish(app, &format!("shared {i}")).await);
    }
    for stream in [on_first, on_second] {
        let got: Vec<i64> = read_events(stream, 20).await.into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(got, published);
    }
    eventually("the shared listener has handled all twenty", || async { calls.load(Ordering::SeqCst) >= 20 })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 20, "each event handled once across both processes");
}

/// A crash between commit and delivery: the event is committed with no dispatcher running;
/// a dispatcher started afterwards delivers it, and a second restart does not deliver it again.
async fn events_committed_while_no_dispatcher_runs_are_delivered_once_after_restart(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url(backend, dir.path()).await;
    let db = app::db::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let config = app::bus::BusConfig { poll_interval: Duration::from_millis(50), ..Default::default() };
    let calls = Arc::new(AtomicUsize::new(0));

    // A first dispatcher sees nothing yet, then "crashes".
    let first = bus::Bus::new(db.clone(), config.clone(), vec![flaky_listener("counter", 0, calls.clone())]);
    let tasks = first.start(None).await.unwrap();
    tasks.iter().for_each(|t| t.abort());
    let mut tx = db.begin_write().await.unwrap();
    let seq = bus::publish(&mut tx, &Actor::System, &test_event("survives")).await.unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing runs while the dispatcher is down");

    for _restart in 0..2 {
        let bus =
            bus::Bus::new(db.clone(), config.clone(), vec![flaky_listener("counter", 0, calls.clone())]);
        let tasks = bus.start(None).await.unwrap();
        eventually("the listener has caught up", || async {
            bus::counters(&db, "counter").await.unwrap().position >= seq
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        tasks.iter().for_each(|t| t.abort());
        // The lease of the aborted process must lapse before another may deliver; clear it
        // as a restart after the lease time would.
        sqlx::query("UPDATE bus_listeners SET lease_owner = NULL").execute(db.pool()).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "delivered exactly once across restarts");
}

#[tokio::test]
async fn admin_pages_render_their_data_on_the_server() {
    let app = crate::common::spawn_app(Backend::Sqlite).await;
    let admin = admin_client(&app, Role::SuperAdmin).await;
    publish(&app, "rendered").await;
    eventually("logged", || async { scalar(&app, "SELECT COUNT(*) FROM event_log").await == 1 }).await;
    for (path, expected) in [
        ("/admin/events/bus", "listener-event-log"),
        ("/admin/events/log", "log-row"),
        ("/admin/events/live", "Waiting for events"),
    ] {
        let res = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains(expected), "{path} lacks {expected}");
    }
}

/// Listeners write what they derive from events without waiting for the disk (the outbox can
/// give it again), and the connection goes back to syncing for every other write: on SQLite
/// the one writer connection is shared, so a setting left behind would make the next
/// sign-up's commit skip the sync.
async fn listener_writes_skip_the_disk_sync_and_every_other_write_keeps_it(app: TestApp) {
    let mut tx = app.db.begin_write_without_sync().await.unwrap();
    let unsynced = sync_setting(&mut tx).await;
    tx.commit().await.unwrap();
    publish(&app, "logged by a listener").await;
    eventually("logged", || async { scalar(&app, "SELECT COUNT(*) FROM event_log").await == 1 }).await;
    let mut tx = app.db.begin_write().await.unwrap();
    let synced = sync_setting(&mut tx).await;
    tx.rollback().await.unwrap();
    match app.db.backend() {
        app::db::Backend::Sqlite => {
            assert_eq!((unsynced.as_str(), synced.as_str()), ("1", "2"));
            // A single statement on the writer outside a transaction syncs too.
            let single: i64 =
                sqlx::query_scalar("PRAGMA synchronous").fetch_one(app.db.writer()).await.unwrap();
            assert_eq!(single, 2);
        }
        // The test cluster runs with `synchronous_commit=off` throughout (see
        // scripts/pg-cluster.sh), so only the listener's own setting can be told apart.
        app::db::Backend::Postgres => assert_eq!(unsynced, "off"),
    }
}

/// How the transaction's commit waits for the disk: SQLite's `synchronous` (1 is NORMAL, the
/// WAL synced at checkpoints; 2 is FULL, synced at every commit), PostgreSQL's
/// `synchronous_commit`.
async fn sync_setting(tx: &mut app::db::Tx) -> String {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query_scalar("SELECT current_setting('synchronous_commit')").fetch_one(&mut **tx).await.unwrap()
    } else {
        sqlx::query_scalar::<_, i64>("PRAGMA synchronous").fetch_one(&mut **tx).await.unwrap().to_string()
    }
}

/// SQLite's commits never checkpoint the WAL themselves (that syncs the database file while
/// every writer waits); a background task copies it into the database file within seconds.
#[tokio::test]
async fn sqlite_checkpoints_the_wal_in_the_background_not_in_commits() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoint.db");
    let db = app::db::Db::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
    let commits_checkpoint: i64 =
        sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(db.writer()).await.unwrap();
    assert_eq!(commits_checkpoint, 0);

    sqlx::query("CREATE TABLE filler (b BLOB)").execute(db.writer()).await.unwrap();
    let before = std::fs::metadata(&file).unwrap().len();
    // 2 MB in one commit: half of what SQLite's own automatic checkpoint would wait for.
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO filler SELECT zeroblob(1024) FROM n",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    eventually("the WAL copied into the database file", || async {
        std::fs::metadata(&file).unwrap().len() >= before + 2_000_000
    })
    .await;
    db.close().await;
}

/// A page refreshed by an event reads what a listener writes only once that listener has
/// passed the event; a listener that does not, costs the page the limit and no more.
async fn a_page_waits_for_a_listener_to_catch_up_but_not_for_ever(app: TestApp) {
    // A listener no process delivers to, at position 3.
    sqlx::query(
        "INSERT INTO bus_listeners (name, position, delivered, failed, retried, dead, skipped) \
         VALUES ('idle', 3, 0, 0, 0, 0, 0)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let limit = Duration::from_millis(300);
    let started = std::time::Instant::now();
    assert!(bus::caught_up(&app.db, "idle", 3, limit).await.unwrap());
    assert!(started.elapsed() < limit, "already there: no wait");
    let started = std::time::Instant::now();
    assert!(!bus::caught_up(&app.db, "idle", 5, limit).await.unwrap());
    assert!(started.elapsed() >= limit, "waited the limit");
    // It moves on while the page waits: the wait ends then.
    let db = app.db.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sqlx::query("UPDATE bus_listeners SET position = 5 WHERE name = 'idle'")
            .execute(db.pool())
            .await
            .unwrap();
    });
    let started = std::time::Instant::now();
    assert!(bus::caught_up(&app.db, "idle", 5, Duration::from_secs(10)).await.unwrap());
    assert!(started.elapsed() < Duration::from_secs(5));
}
