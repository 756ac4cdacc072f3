//! The integrations a super admin sets up, each against a stand-in receiver: the automation
//! webhook (n8n; the receiver checks the Standard Webhooks signature itself), team chat
//! (Rocket.Chat) and the public calendar (Gancio). Both databases.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::common::{Backend, TestApp, eventually, spawn_app_custom};
use crate::event_bus::{listener_counter, parked_error};
use app::events::Actor;
use app::shifts::{SignupForm, SignupSource};
use app::users::{Role, UserStatus};

on_both_backends_with_own_server!(
    the_automation_webhook_gets_every_event_signed,
    team_chat_hears_what_the_team_wants_to_know,
    the_public_calendar_shows_public_shifts_as_they_change,
    shifts_from_before_the_calendar_are_added_on_request
);

/// A request the fake receiver got.
struct Received {
    path_and_query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }

    fn envelope(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// An n8n stand-in: keeps every request and answers with `status`.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver { got: Arc::default(), status: Arc::new(AtomicU16::new(200)) };
        let app = axum::Router::new().fallback(keep).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    fn last(&self) -> Received {
        let got = self.got.lock().unwrap();
        let last = got.last().unwrap();
        Received {
            path_and_query: last.path_and_query.clone(),
            headers: last.headers.clone(),
            body: last.body.clone(),
        }
    }
}

async fn keep(State(receiver): State<Receiver>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let path_and_query = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
    receiver.got.lock().unwrap().push(Received { path_and_query, headers, body: body.to_vec() });
    StatusCode::from_u16(receiver.status.load(Ordering::SeqCst)).unwrap()
}

/// What a receiver computes to check a request, written here from the Standard Webhooks text
/// rather than taken from the server's code.
fn expected_signature(secret: &str, received: &Received) -> String {
    let key = BASE64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!("{}.{}.", received.header("webhook-id"), received.header("webhook-timestamp"));
    mac.update(signed.as_bytes());
    mac.update(&received.body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// A server whose bus retries twice, 10 ms apart, and a super admin signed in to it.
pub(crate) async fn spawn_with_super_admin(backend: Backend) -> (TestApp, reqwest::Client) {
    let short_retries = |config: &mut changemaker_server::config::Config| {
        config.bus.retry_schedule = vec![Duration::from_millis(10), Duration::from_millis(10)]
    };
    let app = spawn_app_custom(backend, &[], short_retries, Vec::new()).await;
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("super@example.org").await;
    (app, admin)
}

async fn the_automation_webhook_gets_every_event_signed(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let (receiver, receiver_url) = Receiver::start().await;
    let settings = || async {
        let res = app.call(&admin, "integrations/automation", &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        res.text().await.unwrap()
    };
    let save = |enabled: &'static str, url: String, secret: String| {
        let admin = admin.clone();
        async move {
            let form =
                [("form[enabled]", enabled), ("form[url]", url.as_str()), ("form[secret]", secret.as_str())];
            app.call(&admin, "integrations/save-automation", &form).await
        }
    };
    let test_event = || async {
        let res = app.call(&admin, "observability/test-event", &[]).await;
        assert_eq!(res.status(), 200);
    };

    // Until it is set up, events are skipped and nothing is sent.
    test_event().await;
    eventually("the unset webhook skips the event", || async {
        listener_counter(app, "automation", "skipped").await == 1
    })
    .await;
    let untouched = settings().await;
    assert_eq!(
        serde_json::from_str::<Value>(&untouched).unwrap(),
        serde_json::json!({
            "enabled": false, "url": "", "secret": "", "edits": 0
        })
    );

    // Only a super admin sees or sets it.
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let organiser = app.signed_in("admin@example.org").await;
    assert_eq!(app.call(&organiser, "integrations/automation", &[]).await.status(), 403);
    let form = [("form[enabled]", "true"), ("form[url]", "https://example.org/hook")];
    assert_eq!(app.call(&organiser, "integrations/save-automation", &form).await.status(), 403);

    // Bad input is refused field by field and changes nothing.
    let res = save("true", "ftp://example.org/hook".into(), "not-a-secret".into()).await;
    assert_eq!(res.status(), 422);
    let errors = res.text().await.unwrap();
    assert!(errors.contains("https://"), "{errors}");
    assert!(errors.contains("whsec_"), "{errors}");
    let res = save("true", String::new(), String::new()).await;
    assert_eq!(res.status(), 422, "turning it on needs an address and a secret");
    let too_short = format!("whsec_{}", BASE64.encode([1u8; 16]));
    assert_eq!(save("false", String::new(), too_short).await.status(), 422);
    assert_eq!(settings().await, untouched);

    // Saved, the secret shows masked, here and on every read.
    let secret = format!("whsec_{}", BASE64.encode([42u8; 32]));
    let hook = format!("{receiver_url}/webhook/changemaker?token=receivers-own-token");
    let res = save("true", hook.clone(), secret.clone()).await;
    assert_eq!(res.status(), 200);
    let saved = res.text().await.unwrap();
    let shown = settings().await;
    assert_eq!(saved, shown);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["enabled"], true);
    assert_eq!(shown["url"], hook);
    let masked = shown["secret"].as_str().unwrap();
    assert!(masked.starts_with("whsec_…"), "{masked}");
    assert!(!saved.contains(&secret[6..20]), "the secret is never sent back");
    assert_eq!(app.audited("settings.automation.saved").await, ["changed: enabled, url, secret"]);

    // An event from any module arrives signed, as its envelope.
    let shift = app::shifts::service::create(&app.bus(), &Actor::System, &crate::shifts::form("Stall", "3"))
        .await
        .unwrap();
    eventually("the webhook gets shift.created", || async { receiver.count() == 1 }).await;
    let got = receiver.last();
    assert_eq!(got.path_and_query, "/webhook/changemaker?token=receivers-own-token");
    assert_eq!(got.header("content-type"), "application/json");
    assert_eq!(got.header("webhook-signature"), expected_signature(&secret, &got));
    let sent_at: i64 = got.header("webhook-timestamp").parse().unwrap();
    assert!((app::db::now_unix() - sent_at).abs() < 60, "a current timestamp");
    let envelope = got.envelope();
    assert_eq!(envelope["topic"], "shift.created");
    assert_eq!(envelope["id"], got.header("webhook-id"));
    assert_eq!(envelope["payload"]["shift_id"], shift.id);
    assert!(envelope["seq"].as_i64().unwrap() > 0);
    assert!(envelope["occurred_at"].as_str().unwrap().ends_with('Z'));
    // Another key's signature does not match: the receiver can tell a forgery.
    assert_ne!(
        got.header("webhook-signature"),
        expected_signature(&format!("whsec_{}", BASE64.encode([7u8; 32])), &got)
    );

    // The receiver is down: retried, then parked, the error naming neither address nor token.
    receiver.status.store(500, Ordering::SeqCst);
    test_event().await;
    eventually("the delivery is parked as dead", || async {
        listener_counter(app, "automation", "dead").await == 1
    })
    .await;
    assert_eq!(receiver.count(), 4, "the first try and two retries");
    let failed = receiver.last();
    assert_eq!(failed.envelope()["topic"], "system.test");
    let (seq, last_error): (i64, String) =
        sqlx::query_as("SELECT seq, last_error FROM bus_deliveries WHERE listener = 'automation'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(last_error.contains("500"), "{last_error}");
    assert!(!last_error.contains("token") && !last_error.contains("127.0.0.1"), "{last_error}");

    // Back up, the parked delivery is sent again, with the same id for the receiver to dedupe.
    receiver.status.store(200, Ordering::SeqCst);
    let seq_text = seq.to_string();
    let res =
        app.call(&admin, "observability/replay", &[("listener", "automation"), ("seq", &seq_text)]).await;
    assert_eq!(res.status(), 200);
    eventually("the replay arrives", || async { receiver.count() == 5 }).await;
    let replayed = receiver.last();
    assert_eq!(replayed.header("webhook-id"), failed.header("webhook-id"));
    assert_eq!(replayed.header("webhook-signature"), expected_signature(&secret, &replayed));

    // Turned off (the secret left empty keeps it), events are skipped again.
    assert_eq!(save("false", hook.clone(), String::new()).await.status(), 200);
    let shown: Value = serde_json::from_str(&settings().await).unwrap();
    assert_eq!((shown["enabled"].as_bool(), shown["secret"].as_str()), (Some(false), Some(masked)));
    let skipped = listener_counter(app, "automation", "skipped").await;
    test_event().await;
    eventually("the event is skipped", || async {
        listener_counter(app, "automation", "skipped").await == skipped + 1
    })
    .await;
    assert_eq!(receiver.count(), 5);
}

async fn team_chat_hears_what_the_team_wants_to_know(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let (receiver, receiver_url) = Receiver::start().await;
    let save = |enabled: &'static str, url: String| {
        let admin = admin.clone();
        async move {
            let form = [("form[enabled]", enabled), ("form[webhook_url]", url.as_str())];
            app.call(&admin, "integrations/save-team-chat", &form).await
        }
    };
    let delivered = || listener_counter(app, "team-chat", "delivered");

    // Bad input is refused and changes nothing.
    assert_eq!(save("true", "chat.example.org/hooks/x".into()).await.status(), 422);
    assert_eq!(save("true", String::new()).await.status(), 422, "turning it on needs an address");
    let res = app.call(&admin, "integrations/team-chat", &[]).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        serde_json::json!({ "enabled": false, "webhook_url": "", "edits": 0 })
    );

    // The address holds the chat's token: saved encrypted, shown masked.
    let hook = format!("{receiver_url}/hooks/abc123/chat-servers-own-token");
    let res = save("true", hook.clone()).await;
    assert_eq!(res.status(), 200);
    let saved = res.text().await.unwrap();
    assert!(!saved.contains("chat-servers-own-token"), "{saved}");
    let stored: String =
        sqlx::query_scalar("SELECT value FROM app_settings WHERE key = 'team_chat.webhook_url'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(!stored.contains("token"), "stored encrypted");

    // A sign-up is told by name, shift and local time, with a link for organisers.
    app::settings::save_time_zone(&app.db, &Actor::System, "Europe/London").await.unwrap();
    let bus = app.bus();
    let shift =
        app::shifts::service::create(&bus, &Actor::System, &crate::shifts::form("Stall", "1")).await.unwrap();
    let jo = SignupForm { name: "Jo Bloggs".into(), email: "jo@example.org".into(), phone: "0123".into() };
    app::shifts::service::sign_up(&bus, &Actor::System, &shift.id, &jo, SignupSource::Public, None)
        .await
        .unwrap();
    eventually("the chat hears of the sign-up", || async { receiver.count() == 1 }).await;
    let got = receiver.last();
    assert_eq!(got.path_and_query, "/hooks/abc123/chat-servers-own-token");
    assert_eq!(got.header("content-type"), "application/json");
    let text = got.envelope()["text"].as_str().unwrap().to_string();
    assert!(text.starts_with("Jo Bloggs signed up for Stall ("), "{text}");
    assert!(text.ends_with(&format!("/admin/shifts/{}", shift.id)), "{text}");
    assert!(
        text.contains(&app::settings::time_zone(&app.db).await.unwrap().stamp(shift.starts_at)),
        "{text}"
    );
    assert!(!text.contains("jo@example.org") && !text.contains("0123"), "no email or phone: {text}");

    // Cancelling the shift cancels Jo's sign-up too, and posts nothing per volunteer. The
    // sign-up's delivery is counted a moment after the chat has it: counted first, so that it
    // is not taken for the cancellation's.
    eventually("the sign-up's delivery is counted", || async { delivered().await == 1 }).await;
    let before = delivered().await;
    app::shifts::service::cancel_shift(&bus, &Actor::System, &shift.id).await.unwrap();
    eventually("the cancellation is delivered", || async { delivered().await == before + 1 }).await;
    assert_eq!(receiver.count(), 1);

    // The chat server is down: retried, then parked; the error never shows the token.
    receiver.status.store(503, Ordering::SeqCst);
    assert_eq!(app.call(&admin, "observability/test-event", &[]).await.status(), 200);
    let last_error = parked_error(app, "team-chat").await;
    assert!(last_error.contains("503") && !last_error.contains("token"), "{last_error}");
    assert!(receiver.last().envelope()["text"].as_str().unwrap().starts_with("Changemaker is connected"));

    // Turned off, the stored address stays and nothing is posted.
    assert_eq!(save("false", String::new()).await.status(), 200);
    receiver.status.store(200, Ordering::SeqCst);
    let posts = receiver.count();
    let skipped = listener_counter(app, "team-chat", "skipped").await;
    assert_eq!(app.call(&admin, "observability/test-event", &[]).await.status(), 200);
    eventually("the event is skipped", || async {
        listener_counter(app, "team-chat", "skipped").await == skipped + 1
    })
    .await;
    assert_eq!(receiver.count(), posts);
    let res = app.call(&admin, "integrations/team-chat", &[]).await;
    let shown: Value = res.json().await.unwrap();
    assert_eq!(shown["enabled"], false);
    assert!(shown["webhook_url"].as_str().unwrap().starts_with('…'), "{shown}");
}

/// The token the calendar stand-in accepts.
const CALENDAR_TOKEN: &str = "gancio-access-token-0123456789";

/// A Gancio stand-in: its entries by id (each its form's fields), answering as Gancio's
/// API does — an unknown entry is 404 to an update and 403 to a removal — or with `status`
/// when that is set to something other than 200.
#[derive(Clone, Default)]
struct FakeCalendar {
    entries: Arc<Mutex<BTreeMap<i64, BTreeMap<String, String>>>>,
    last_id: Arc<Mutex<i64>>,
    status: Arc<AtomicU16>,
}

impl FakeCalendar {
    async fn start() -> (FakeCalendar, String) {
        let calendar = FakeCalendar { status: Arc::new(AtomicU16::new(200)), ..Default::default() };
        let app = axum::Router::new()
            .route("/api/event", axum::routing::post(calendar_add).put(calendar_update))
            .route("/api/event/{id}", axum::routing::delete(calendar_remove))
            .with_state(calendar.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (calendar, url)
    }

    fn entries(&self) -> BTreeMap<i64, BTreeMap<String, String>> {
        self.entries.lock().unwrap().clone()
    }

    /// The only entry's id and fields.
    fn only(&self) -> (i64, BTreeMap<String, String>) {
        let entries = self.entries();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    /// What it answers instead of doing the request, if anything.
    fn refusal(&self, headers: &HeaderMap) -> Option<StatusCode> {
        let status = StatusCode::from_u16(self.status.load(Ordering::SeqCst)).unwrap();
        let bearer = format!("Bearer {CALENDAR_TOKEN}");
        if status != StatusCode::OK {
            Some(status)
        } else if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
            Some(StatusCode::UNAUTHORIZED)
        } else {
            None
        }
    }
}

async fn calendar_add(
    State(calendar): State<FakeCalendar>,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<axum::Json<Value>, StatusCode> {
    if let Some(status) = calendar.refusal(&headers) {
        return Err(status);
    }
    let mut last_id = calendar.last_id.lock().unwrap();
    *last_id += 1;
    calendar.entries.lock().unwrap().insert(*last_id, fields.clone());
    Ok(axum::Json(serde_json::json!({ "id": *last_id, "title": fields.get("title") })))
}

async fn calendar_update(
    State(calendar): State<FakeCalendar>,
    headers: HeaderMap,
    axum::Form(mut fields): axum::Form<BTreeMap<String, String>>,
) -> StatusCode {
    if let Some(status) = calendar.refusal(&headers) {
        return status;
    }
    let id: i64 = fields.remove("id").and_then(|id| id.parse().ok()).unwrap_or_default();
    match calendar.entries.lock().unwrap().get_mut(&id) {
        Some(entry) => {
            *entry = fields;
            StatusCode::OK
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn calendar_remove(
    State(calendar): State<FakeCalendar>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> StatusCode {
    if let Some(status) = calendar.refusal(&headers) {
        return status;
    }
    match calendar.entries.lock().unwrap().remove(&id) {
        Some(_) => StatusCode::OK,
        None => StatusCode::FORBIDDEN,
    }
}

async fn the_public_calendar_shows_public_shifts_as_they_change(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let (calendar, calendar_url) = FakeCalendar::start().await;
    let save = |enabled: &'static str, url: String, token: &'static str| {
        let admin = admin.clone();
        async move {
            let form =
                [("form[enabled]", enabled), ("form[calendar_url]", url.as_str()), ("form[token]", token)];
            app.call(&admin, "integrations/save-public-calendar", &form).await
        }
    };
    let bus = app.bus();
    let actor = Actor::System;

    // Bad input is refused field by field and changes nothing.
    let refused = save("true", "calendar.example.org".into(), "two words").await;
    assert_eq!(refused.status(), 422);
    let message = refused.text().await.unwrap();
    assert!(message.contains("calendar_url") && message.contains("token"), "{message}");
    assert_eq!(save("true", calendar_url.clone(), "").await.status(), 422, "turning it on needs a token");
    let res = app.call(&admin, "integrations/public-calendar", &[]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        serde_json::json!({ "enabled": false, "calendar_url": "", "token": "", "edits": 0 })
    );

    // Saved: the token is stored encrypted, answered masked and audited by name only.
    let res = save("true", format!("{calendar_url}/"), CALENDAR_TOKEN).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["calendar_url"], format!("{calendar_url}/"));
    assert!(!saved.to_string().contains(CALENDAR_TOKEN) && saved["token"].as_str().unwrap().starts_with('…'));
    let stored: String =
        sqlx::query_scalar("SELECT value FROM app_settings WHERE key = 'public_calendar.token'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(!stored.contains(CALENDAR_TOKEN), "stored encrypted");
    assert_eq!(
        app.audited("settings.public_calendar.saved").await,
        ["changed: enabled, calendar_url, token"]
    );

    // A public shift becomes an entry with its times, place and sign-up link.
    let shift =
        app::shifts::service::create(&bus, &actor, &crate::shifts::form("Food bank", "4")).await.unwrap();
    eventually("the shift is on the calendar", || async { calendar.entries().len() == 1 }).await;
    let (first_id, entry) = calendar.only();
    assert_eq!(entry["title"], "Food bank");
    assert_eq!(entry["start_datetime"], shift.starts_at.to_string());
    assert_eq!(entry["end_datetime"], shift.ends_at.to_string());
    assert_eq!(entry["place_name"], "Community hall");
    assert!(entry["description"].contains("Bring water."), "{entry:?}");
    assert!(entry["description"].contains(&format!("/shifts/{}", shift.id)), "{entry:?}");

    // A private shift stays off it. (Waiting for the listener to pass its event, not for a
    // count of deliveries: the first shift's may be counted only now.)
    let private = app::shifts::ShiftForm { is_public: false, ..crate::shifts::form("Office tidy", "2") };
    app::shifts::service::create(&bus, &actor, &private).await.unwrap();
    let last: i64 =
        sqlx::query_scalar("SELECT MAX(seq) FROM event_outbox").fetch_one(app.db.pool()).await.unwrap();
    eventually("the private shift is handled", || async {
        listener_counter(app, "public-calendar", "position").await >= last
    })
    .await;
    assert_eq!(calendar.entries().len(), 1);

    // An edit updates the same entry; made private, the entry goes; public again, it is back.
    let edit = |form: app::shifts::ShiftForm| {
        let (bus, shift_id) = (bus.clone(), shift.id.clone());
        async move {
            app::shifts::service::update(
                &bus,
                &Actor::System,
                &shift_id,
                &form,
                app::shifts::SeriesScope::This,
            )
            .await
            .unwrap();
        }
    };
    edit(crate::shifts::form("Food bank (morning)", "4")).await;
    eventually("the entry is updated", || async {
        calendar.entries().get(&first_id).is_some_and(|e| e["title"] == "Food bank (morning)")
    })
    .await;
    edit(app::shifts::ShiftForm { is_public: false, ..crate::shifts::form("Food bank", "4") }).await;
    eventually("the entry is removed", || async { calendar.entries().is_empty() }).await;
    edit(crate::shifts::form("Food bank", "4")).await;
    eventually("the entry is back", || async { calendar.entries().len() == 1 }).await;
    let (second_id, _) = calendar.only();
    assert_ne!(second_id, first_id, "a new entry");

    // Removed on the calendar by hand, the next edit puts it back rather than failing.
    calendar.entries.lock().unwrap().clear();
    edit(crate::shifts::form("Food bank (afternoon)", "4")).await;
    eventually("the entry is added again", || async { calendar.entries().len() == 1 }).await;
    assert_eq!(calendar.only().1["title"], "Food bank (afternoon)");

    // Cancelled, it goes; its entry is forgotten.
    app::shifts::service::cancel_shift(&bus, &actor, &shift.id).await.unwrap();
    eventually("the cancelled shift is removed", || async { calendar.entries().is_empty() }).await;
    // Forgotten once the calendar has answered the removal, a moment after the stand-in
    // dropped it.
    eventually("the removed entry is forgotten", || async {
        let remembered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM public_calendar_entries")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        remembered == 0
    })
    .await;

    // A ticketed event is published to it and removed when cancelled.
    let publish = |event: app::events::Event| {
        let bus = bus.clone();
        async move {
            let mut tx = bus.db().begin_write().await.unwrap();
            app::bus::publish(&mut tx, &Actor::System, &event).await.unwrap();
            bus.commit(tx).await.unwrap();
        }
    };
    publish(app::events::Event::TicketedEventPublished(app::events::catalog::TicketedEventPublished {
        event_id: "te1".into(),
        title: "Benefit gig".into(),
        starts_at: "2027-01-15T19:30:00Z".into(),
        ends_at: "2027-01-15T23:00:00Z".into(),
        venue: "The Crown".into(),
        url_path: "/events/benefit-gig".into(),
    }))
    .await;
    eventually("the gig is on the calendar", || async { calendar.entries().len() == 1 }).await;
    let (_, gig) = calendar.only();
    assert_eq!(
        gig["start_datetime"],
        app::time::unix_from_date_time("2027-01-15", "19:30").unwrap().to_string()
    );
    assert_eq!(gig["place_name"], "The Crown");
    assert!(gig["description"].contains("/events/benefit-gig"), "{gig:?}");
    publish(app::events::Event::TicketedEventCancelled(app::events::catalog::TicketedEventCancelled {
        event_id: "te1".into(),
        title: "Benefit gig".into(),
        starts_at: "2027-01-15T19:30:00Z".into(),
    }))
    .await;
    eventually("the gig is removed", || async { calendar.entries().is_empty() }).await;

    // The calendar is down: retried, then parked; the error never shows the token.
    calendar.status.store(503, Ordering::SeqCst);
    let parked =
        app::shifts::service::create(&bus, &actor, &crate::shifts::form("Stall", "2")).await.unwrap();
    let last_error = parked_error(app, "public-calendar").await;
    assert!(last_error.contains("503") && !last_error.contains(CALENDAR_TOKEN), "{last_error}");
    assert!(calendar.entries().is_empty());

    // Back up, the parked delivery is replayed and the shift arrives.
    calendar.status.store(200, Ordering::SeqCst);
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM bus_deliveries WHERE listener = 'public-calendar'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let replay = [("listener", "public-calendar"), ("seq", &seq.to_string())];
    assert_eq!(app.call(&admin, "observability/replay", &replay).await.status(), 200);
    eventually("the replayed shift is on the calendar", || async { calendar.entries().len() == 1 }).await;
    assert!(calendar.only().1["description"].contains(&parked.id));

    // Turned off, the token stays and nothing more is sent.
    assert_eq!(save("false", calendar_url.clone(), "").await.status(), 200);
    let skipped = listener_counter(app, "public-calendar", "skipped").await;
    app::shifts::service::create(&bus, &actor, &crate::shifts::form("Leafleting", "2")).await.unwrap();
    eventually("the shift is skipped", || async {
        listener_counter(app, "public-calendar", "skipped").await == skipped + 1
    })
    .await;
    assert_eq!(calendar.entries().len(), 1);
    let shown: Value = app.call(&admin, "integrations/public-calendar", &[]).await.json().await.unwrap();
    assert_eq!(shown["enabled"], false);
    assert!(shown["token"].as_str().unwrap().starts_with('…'), "{shown}");
}

async fn shifts_from_before_the_calendar_are_added_on_request(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let (calendar, calendar_url) = FakeCalendar::start().await;
    let bus = app.bus();
    let actor = Actor::System;
    let create = |form: app::shifts::ShiftForm| {
        let bus = bus.clone();
        async move { app::shifts::service::create(&bus, &Actor::System, &form).await.unwrap() }
    };
    let add = || async {
        let res = app.call(&admin, "integrations/add-upcoming-shifts", &[]).await;
        let status = res.status();
        (status, res.text().await.unwrap())
    };
    // Shifts from before the calendar: one public, one private, one cancelled.
    let early = create(crate::shifts::form("Early stall", "2")).await;
    create(app::shifts::ShiftForm { is_public: false, ..crate::shifts::form("Back office", "2") }).await;
    let called_off = create(crate::shifts::form("Called off", "2")).await;
    app::shifts::service::cancel_shift(&bus, &actor, &called_off.id).await.unwrap();

    let (status, body) = add().await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Turn the public calendar on"), "{body}");
    let form = [
        ("form[enabled]", "true"),
        ("form[calendar_url]", calendar_url.as_str()),
        ("form[token]", CALENDAR_TOKEN),
    ];
    assert_eq!(app.call(&admin, "integrations/save-public-calendar", &form).await.status(), 200);
    assert!(calendar.entries().is_empty(), "turning it on adds nothing by itself");

    // The calendar is down: the job stops at once and says so.
    calendar.status.store(503, Ordering::SeqCst);
    let (status, job_id) = add().await;
    assert_eq!(status, 200, "{job_id}");
    let job = app.finished_job(&admin, &serde_json::from_str::<String>(&job_id).unwrap()).await;
    let summary = job["result"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Added 0 shifts to the calendar, then stopped") && summary.contains("503"),
        "{summary}"
    );
    assert!(!summary.contains(CALENDAR_TOKEN));

    // Back up: only the upcoming public shift is added, and once.
    calendar.status.store(200, Ordering::SeqCst);
    let (status, job_id) = add().await;
    assert_eq!(status, 200, "{job_id}");
    let job = app.finished_job(&admin, &serde_json::from_str::<String>(&job_id).unwrap()).await;
    assert_eq!(job["status"], "DONE");
    assert_eq!(job["result"]["summary"], "Added 1 shift to the calendar.");
    let (_, entry) = calendar.only();
    assert_eq!(entry["title"], "Early stall");
    assert!(entry["description"].contains(&early.id));
    let (status, body) = add().await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("on the calendar already"), "{body}");

    // From then on the listener updates the added entry rather than adding another.
    let edited = crate::shifts::form("Early stall (moved)", "2");
    app::shifts::service::update(&bus, &actor, &early.id, &edited, app::shifts::SeriesScope::This)
        .await
        .unwrap();
    eventually("the added entry is updated", || async {
        calendar.entries().values().any(|e| e["title"] == "Early stall (moved)")
    })
    .await;
    assert_eq!(calendar.entries().len(), 1);
}
