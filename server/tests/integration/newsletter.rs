//! The newsletter (Listmonk): volunteers, supporters and donors kept as subscribers through a
//! Listmonk stand-in, and reports of opens, clicks, bounces and unsubscribes received back.
//! Both databases.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::common::{Backend, caught_up, eventually};
use crate::event_bus::{listener_counter, parked_error};
use crate::integrations::spawn_with_super_admin;
use app::events::{Actor, Event};
use app::shifts::{SignupForm, SignupSource};

on_both_backends_with_own_server!(
    the_newsletter_keeps_subscribers_in_step,
    contacts_from_before_the_newsletter_are_added_on_request,
    newsletter_reports_are_received_once
);

const API_USER: &str = "changemaker";
const API_TOKEN: &str = "listmonk-api-token-0123456789";
const REPORTS_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";

/// A Listmonk stand-in: lists and subscribers as its API answers them, its update replacing a
/// subscriber's lists as Listmonk's does (kept ones keep their status, new ones are
/// unconfirmed, or unsubscribed for someone blocklisted). Answers with `status` when that is
/// set to something other than 200, and 403 without the API user's credentials.
#[derive(Clone, Default)]
struct FakeListmonk {
    lists: Arc<Mutex<BTreeMap<i64, Value>>>,
    subscribers: Arc<Mutex<BTreeMap<i64, Value>>>,
    last_id: Arc<Mutex<i64>>,
    status: Arc<AtomicU16>,
}

impl FakeListmonk {
    async fn start() -> (FakeListmonk, String) {
        let listmonk = FakeListmonk { status: Arc::new(AtomicU16::new(200)), ..Default::default() };
        let app = axum::Router::new()
            .route("/api/lists", axum::routing::get(find_lists).post(add_list))
            .route("/api/subscribers", axum::routing::get(find_subscriber).post(add_subscriber))
            .route("/api/subscribers/lists", axum::routing::put(manage_lists))
            .route("/api/subscribers/{id}", axum::routing::put(update_subscriber).delete(delete_subscriber))
            .with_state(listmonk.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (listmonk, url)
    }

    fn next_id(&self) -> i64 {
        let mut last = self.last_id.lock().unwrap();
        *last += 1;
        *last
    }

    fn add_list(&self, name: &str) -> i64 {
        let id = self.next_id();
        self.lists.lock().unwrap().insert(id, json!({ "id": id, "name": name, "type": "private" }));
        id
    }

    fn list_id(&self, name: &str) -> Option<i64> {
        self.lists.lock().unwrap().values().find(|l| l["name"] == name).map(|l| l["id"].as_i64().unwrap())
    }

    fn subscriber(&self, email: &str) -> Option<Value> {
        self.subscribers.lock().unwrap().values().find(|s| s["email"] == email).cloned()
    }

    /// The subscriber's lists: each list's name and subscription status.
    fn lists_of(&self, email: &str) -> BTreeMap<String, String> {
        let subscriber = self.subscriber(email).unwrap();
        let lists = self.lists.lock().unwrap();
        subscriber["lists"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let name = lists[&l["id"].as_i64().unwrap()]["name"].as_str().unwrap().to_string();
                (name, l["subscription_status"].as_str().unwrap().to_string())
            })
            .collect()
    }

    /// Adds a subscriber as Listmonk may hold one already: on `lists` (name, status), with
    /// our `changemaker` attributes.
    fn put_subscriber(&self, email: &str, name: &str, lists: &[(&str, &str)], ours: Value) -> i64 {
        let lists: Vec<Value> = lists
            .iter()
            .map(|(list, status)| {
                let id = self.list_id(list).unwrap_or_else(|| self.add_list(list));
                json!({ "id": id, "subscription_status": status })
            })
            .collect();
        let id = self.next_id();
        let subscriber = json!({
            "id": id, "email": email, "name": name, "status": "enabled",
            "attribs": { "changemaker": ours }, "lists": lists,
        });
        self.subscribers.lock().unwrap().insert(id, subscriber);
        id
    }

    fn set_status(&self, email: &str, list: &str, status: &str) {
        let list_id = self.list_id(list).unwrap();
        let mut subscribers = self.subscribers.lock().unwrap();
        let subscriber = subscribers.values_mut().find(|s| s["email"] == email).unwrap();
        for l in subscriber["lists"].as_array_mut().unwrap() {
            if l["id"] == list_id {
                l["subscription_status"] = json!(status);
            }
        }
    }

    fn refusal(&self, headers: &HeaderMap) -> Option<StatusCode> {
        let status = StatusCode::from_u16(self.status.load(Ordering::SeqCst)).unwrap();
        let basic = format!("Basic {}", BASE64.encode(format!("{API_USER}:{API_TOKEN}")));
        if status != StatusCode::OK {
            Some(status)
        } else if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
            Some(StatusCode::FORBIDDEN)
        } else {
            None
        }
    }
}

type Answer = Result<axum::Json<Value>, StatusCode>;

async fn find_lists(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    assert_eq!(params.get("per_page").map(String::as_str), Some("all"), "every list, on one page");
    let results: Vec<Value> = listmonk.lists.lock().unwrap().values().cloned().collect();
    Ok(axum::Json(json!({ "data": { "results": results } })))
}

async fn add_list(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    assert_eq!(body["type"], "private");
    let id = listmonk.add_list(body["name"].as_str().unwrap());
    Ok(axum::Json(json!({ "data": listmonk.lists.lock().unwrap()[&id] })))
}

/// Reads the two queries the server sends: `LOWER(subscribers.email) = '…'` (one subscriber)
/// and `subscribers.attribs->'changemaker'->>'contact_id' = '…'` (all of them).
async fn find_subscriber(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    let query = &params["query"];
    let quoted = |prefix: &str| {
        query.strip_prefix(prefix).and_then(|rest| rest.strip_suffix('\'')).map(|v| v.replace("''", "'"))
    };
    let results: Vec<Value> = if let Some(email) = quoted("LOWER(subscribers.email) = '") {
        listmonk.subscriber(&email).into_iter().collect()
    } else if let Some(contact_id) = quoted("subscribers.attribs->'changemaker'->>'contact_id' = '") {
        assert_eq!(
            params.get("per_page").map(String::as_str),
            Some("all"),
            "every subscriber of the contact"
        );
        let subscribers = listmonk.subscribers.lock().unwrap();
        subscribers
            .values()
            .filter(|s| s["attribs"]["changemaker"]["contact_id"] == contact_id)
            .cloned()
            .collect()
    } else {
        panic!("unexpected query {query}")
    };
    Ok(axum::Json(json!({ "data": { "results": results } })))
}

async fn add_subscriber(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    if listmonk.subscriber(body["email"].as_str().unwrap()).is_some() {
        return Err(StatusCode::CONFLICT);
    }
    let id = listmonk.next_id();
    let lists: Vec<Value> = body["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| json!({ "id": id, "subscription_status": "unconfirmed" }))
        .collect();
    let subscriber = json!({
        "id": id, "email": body["email"], "name": body["name"], "status": body["status"],
        "attribs": body["attribs"], "lists": lists,
    });
    listmonk.subscribers.lock().unwrap().insert(id, subscriber.clone());
    Ok(axum::Json(json!({ "data": subscriber })))
}

async fn update_subscriber(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    let mut subscribers = listmonk.subscribers.lock().unwrap();
    let subscriber = subscribers.get_mut(&id).ok_or(StatusCode::NOT_FOUND)?;
    let blocklisted = body["status"] == "blocklisted";
    let lists: Vec<Value> = body["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|list_id| {
            let kept = subscriber["lists"].as_array().unwrap().iter().find(|l| l["id"] == *list_id).cloned();
            let new_status = if blocklisted { "unsubscribed" } else { "unconfirmed" };
            kept.unwrap_or_else(|| json!({ "id": list_id, "subscription_status": new_status }))
        })
        .collect();
    for field in ["email", "name", "status", "attribs"] {
        subscriber[field] = body[field].clone();
    }
    subscriber["lists"] = json!(lists);
    Ok(axum::Json(json!({ "data": subscriber.clone() })))
}

async fn delete_subscriber(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    listmonk.subscribers.lock().unwrap().remove(&id).ok_or(StatusCode::NOT_FOUND)?;
    Ok(axum::Json(json!({ "data": true })))
}

/// `PUT /api/subscribers/lists`; only `unsubscribe` is sent.
async fn manage_lists(
    State(listmonk): State<FakeListmonk>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Answer {
    if let Some(status) = listmonk.refusal(&headers) {
        return Err(status);
    }
    assert_eq!(body["action"], "unsubscribe");
    let mut subscribers = listmonk.subscribers.lock().unwrap();
    for id in body["ids"].as_array().unwrap() {
        let subscriber = subscribers.get_mut(&id.as_i64().unwrap()).ok_or(StatusCode::NOT_FOUND)?;
        for list in subscriber["lists"].as_array_mut().unwrap() {
            if body["target_list_ids"].as_array().unwrap().contains(&list["id"]) {
                list["subscription_status"] = json!("unsubscribed");
            }
        }
    }
    Ok(axum::Json(json!({ "data": true })))
}

fn donation(email: &str, name: &str) -> Event {
    Event::DonationCompleted(app::events::catalog::DonationCompleted {
        donation_id: "d1".into(),
        contact_id: None,
        donor_name: name.into(),
        donor_email: email.into(),
        amount_cents: 2500,
        currency: "gbp".into(),
        recurring: false,
    })
}

async fn the_newsletter_keeps_subscribers_in_step(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let (listmonk, listmonk_url) = FakeListmonk::start().await;
    let save = |fields: &[(&'static str, &str)]| {
        let admin = admin.clone();
        let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        async move {
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&admin, "integrations/save-newsletter", &form).await
        }
    };
    let bus = app.bus();

    // Bad input is refused field by field and changes nothing.
    let refused = save(&[
        ("form[enabled]", "true"),
        ("form[listmonk_url]", "news.example.org"),
        ("form[api_user]", "two words"),
        ("form[api_token]", "a token"),
        ("form[volunteers_list]", ""),
        ("form[supporters_list]", "Supporters"),
        ("form[donors_list]", "Donors"),
        ("form[reports_secret]", "short"),
    ])
    .await;
    assert_eq!(refused.status(), 422);
    let message = refused.text().await.unwrap();
    for field in ["listmonk_url", "api_user", "api_token", "volunteers_list", "reports_secret"] {
        assert!(message.contains(field), "{field}: {message}");
    }
    let res = app.call(&admin, "integrations/newsletter", &[]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({
            "enabled": false, "listmonk_url": "", "api_user": "", "api_token": "",
            "volunteers_list": "Volunteers", "supporters_list": "Supporters", "donors_list": "Donors",
            "reports_secret": "", "edits": 0,
        })
    );

    // Saved: the token is stored encrypted, answered masked and audited by name only.
    let settings = [
        ("form[enabled]", "true"),
        ("form[listmonk_url]", listmonk_url.as_str()),
        ("form[api_user]", API_USER),
        ("form[api_token]", API_TOKEN),
        ("form[volunteers_list]", "Volunteers"),
        ("form[supporters_list]", "Supporters"),
        ("form[donors_list]", "Donors and buyers"),
        ("form[reports_secret]", ""),
    ];
    let res = save(&settings).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert!(!saved.to_string().contains(API_TOKEN) && saved["api_token"].as_str().unwrap().starts_with('…'));
    assert_eq!(saved["donors_list"], "Donors and buyers");
    let stored: String =
        sqlx::query_scalar("SELECT value FROM app_settings WHERE key = 'newsletter.api_token'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(!stored.contains(API_TOKEN), "stored encrypted");
    assert_eq!(
        app.audited("settings.newsletter.saved").await,
        ["changed: enabled, listmonk_url, api_user, api_token, donors_list"]
    );

    // Already in Listmonk: Sam, on the group's own list, with an attribute of theirs; and the
    // donors' list, which is used rather than made again.
    let own_list = listmonk.add_list("Monthly news");
    let donors_list = listmonk.add_list("Donors and buyers");
    let sam_id = listmonk.next_id();
    listmonk.subscribers.lock().unwrap().insert(
        sam_id,
        json!({
            "id": sam_id, "email": "sam@example.org", "name": "Sam (Listmonk)", "status": "enabled",
            "attribs": { "city": "Leeds" }, "lists": [{ "id": own_list, "subscription_status": "confirmed" }],
        }),
    );

    // A volunteer signs up: the volunteers' list is made, and they are on it.
    let shift = app::shifts::service::create(&bus, &Actor::System, &crate::shifts::form("Food bank", "5"))
        .await
        .unwrap();
    let jo = SignupForm { name: "Jo Bloggs".into(), email: "Jo@Example.org".into(), phone: String::new() };
    app::shifts::service::sign_up(&bus, &Actor::System, &shift.id, &jo, SignupSource::Public, None)
        .await
        .unwrap();
    eventually("Jo is a subscriber", || async { listmonk.subscriber("jo@example.org").is_some() }).await;
    let jo_sub = listmonk.subscriber("jo@example.org").unwrap();
    assert_eq!(jo_sub["name"], "Jo Bloggs");
    assert_eq!(jo_sub["status"], "enabled");
    assert_eq!(
        listmonk.lists_of("jo@example.org"),
        BTreeMap::from([("Volunteers".into(), "unconfirmed".into())])
    );
    let jo_contact = app::contacts::service::id_by_email(&app.db, "jo@example.org").await.unwrap().unwrap();
    assert_eq!(jo_sub["attribs"]["changemaker"]["volunteer"], true);
    assert_eq!(jo_sub["attribs"]["changemaker"]["contact_id"], jo_contact.as_str());
    assert!(jo_sub["attribs"]["changemaker"]["last_shift_signup_at"].as_str().unwrap().contains('T'));

    // Sam donates: the existing donors' list, Sam's own list and attribute kept, name theirs.
    app.publish(&donation("sam@example.org", "Sam Smith")).await;
    eventually("Sam is on the donors' list", || async {
        listmonk.lists_of("sam@example.org").contains_key("Donors and buyers")
    })
    .await;
    let sam = listmonk.subscriber("sam@example.org").unwrap();
    assert_eq!(
        listmonk.lists_of("sam@example.org"),
        BTreeMap::from([
            ("Monthly news".into(), "confirmed".into()),
            ("Donors and buyers".into(), "unconfirmed".into())
        ])
    );
    assert_eq!(sam["name"], "Sam (Listmonk)");
    assert_eq!(sam["attribs"]["city"], "Leeds");
    assert_eq!(sam["attribs"]["changemaker"]["donor"], true);
    assert_eq!(listmonk.list_id("Donors and buyers"), Some(donors_list), "not made again");
    assert_eq!(listmonk.lists.lock().unwrap().len(), 3);

    // Jo's tags become an attribute; their lists stay as they are.
    app::contacts::service::change_tags(&bus, &Actor::System, &jo_contact, &["driver".into()], &[])
        .await
        .unwrap();
    eventually("Jo's tags arrive", || async {
        listmonk.subscriber("jo@example.org").unwrap()["attribs"]["changemaker"]["tags"] == json!(["driver"])
    })
    .await;
    assert_eq!(listmonk.subscriber("jo@example.org").unwrap()["attribs"]["changemaker"]["volunteer"], true);

    // Jo unsubscribes in Listmonk; a second sign-up does not subscribe them again.
    listmonk.set_status("jo@example.org", "Volunteers", "unsubscribed");
    let second =
        app::shifts::service::create(&bus, &Actor::System, &crate::shifts::form("Stall", "5")).await.unwrap();
    app::shifts::service::sign_up(&bus, &Actor::System, &second.id, &jo, SignupSource::Public, None)
        .await
        .unwrap();
    caught_up(app, "newsletter").await;
    assert_eq!(
        listmonk.lists_of("jo@example.org"),
        BTreeMap::from([("Volunteers".into(), "unsubscribed".into())])
    );

    // Someone who unsubscribed from Changemaker's emails is not made a subscriber.
    let lee = SignupForm { name: "Lee".into(), email: "lee@example.org".into(), phone: String::new() };
    let form = app::contacts::ContactForm {
        name: "Lee".into(),
        email: "lee@example.org".into(),
        phone: String::new(),
        edits: None,
    };
    let lee_contact = app::contacts::service::create(&bus, &Actor::System, &form).await.unwrap();
    // As their unsubscribe link does.
    sqlx::query("UPDATE contacts SET unsubscribed_at = 1 WHERE id = $1")
        .bind(&lee_contact)
        .execute(app.db.writer())
        .await
        .unwrap();
    app::shifts::service::sign_up(&bus, &Actor::System, &shift.id, &lee, SignupSource::Public, None)
        .await
        .unwrap();
    caught_up(app, "newsletter").await;
    assert!(listmonk.subscriber("lee@example.org").is_none());

    // Listmonk is down: retried, then parked; the error never shows the token. A replay
    // once it is back makes the donor a subscriber.
    listmonk.status.store(503, Ordering::SeqCst);
    app.publish(&donation("kim@example.org", "Kim")).await;
    let last_error = parked_error(app, "newsletter").await;
    assert!(last_error.contains("503") && !last_error.contains(API_TOKEN), "{last_error}");
    listmonk.status.store(200, Ordering::SeqCst);
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM bus_deliveries WHERE listener = 'newsletter'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let replay = [("listener", "newsletter"), ("seq", &seq.to_string())];
    assert_eq!(app.call(&admin, "observability/replay", &replay).await.status(), 200);
    eventually("Kim is a subscriber", || async { listmonk.subscriber("kim@example.org").is_some() }).await;
    assert_eq!(
        listmonk.lists_of("kim@example.org"),
        BTreeMap::from([("Donors and buyers".into(), "unconfirmed".into())])
    );

    // Jo gives, then unsubscribes from Changemaker's emails: off every list in Listmonk too.
    app.publish(&donation("jo@example.org", "Jo Bloggs")).await;
    eventually("Jo is on the donors' list", || async {
        listmonk.lists_of("jo@example.org").contains_key("Donors and buyers")
    })
    .await;
    let mut tx = bus.db().begin_write().await.unwrap();
    app::contacts::service::mark_unsubscribed(&mut tx, &Actor::System, &jo_contact, "jo@example.org", "LINK")
        .await
        .unwrap();
    bus.commit(tx).await.unwrap();
    eventually("Jo is off every list", || async {
        listmonk.lists_of("jo@example.org").values().all(|status| status == "unsubscribed")
    })
    .await;
    assert_eq!(listmonk.lists_of("jo@example.org").len(), 2);

    // An admin corrects Jo's address and name: the same subscriber follows, with their lists
    // (still unsubscribed) and attributes.
    let correct = |email: &str| app::contacts::ContactForm {
        name: "Jo Bloggs-Smith".into(),
        email: email.into(),
        phone: String::new(),
        edits: None,
    };
    app::contacts::service::update(&bus, &Actor::System, &jo_contact, &correct("Jo.Bloggs@example.org"))
        .await
        .unwrap();
    eventually("Jo's subscriber has the new address", || async {
        listmonk.subscriber("jo.bloggs@example.org").is_some()
    })
    .await;
    assert!(listmonk.subscriber("jo@example.org").is_none());
    let moved = listmonk.subscriber("jo.bloggs@example.org").unwrap();
    assert_eq!((&moved["id"], &moved["name"]), (&jo_sub["id"], &json!("Jo Bloggs-Smith")));
    assert_eq!(moved["attribs"]["changemaker"]["tags"], json!(["driver"]));
    assert_eq!(
        listmonk.lists_of("jo.bloggs@example.org"),
        BTreeMap::from([
            ("Volunteers".into(), "unsubscribed".into()),
            ("Donors and buyers".into(), "unsubscribed".into())
        ])
    );
    // Corrected to an address Listmonk already has (Sam's, who is no contact here): Listmonk
    // holds one subscriber per address, so both are left as they are.
    app::contacts::service::update(&bus, &Actor::System, &jo_contact, &correct("sam@example.org"))
        .await
        .unwrap();
    caught_up(app, "newsletter").await;
    assert_eq!(listmonk.subscriber("jo.bloggs@example.org").unwrap()["id"], jo_sub["id"]);
    assert_eq!(listmonk.subscriber("sam@example.org").unwrap()["name"], "Sam (Listmonk)");

    // Two contacts an admin finds to be one person, each a subscriber: merged, they are one
    // subscriber, on the lists of both (not one the duplicate left), the kept one's
    // attributes winning.
    let contact = |name: &str, email: &str| {
        let form = app::contacts::ContactForm {
            name: name.into(),
            email: email.into(),
            phone: String::new(),
            edits: None,
        };
        let bus = &bus;
        async move { app::contacts::service::create(bus, &Actor::System, &form).await.unwrap() }
    };
    let (ann, ann_work) =
        (contact("Ann", "ann@example.org").await, contact("Ann", "ann.work@example.org").await);
    listmonk.put_subscriber(
        "ann@example.org",
        "Ann",
        &[("Donors and buyers", "confirmed")],
        json!({ "contact_id": ann, "donor": true }),
    );
    listmonk.put_subscriber(
        "ann.work@example.org",
        "Ann W.",
        &[("Volunteers", "confirmed"), ("Supporters", "unsubscribed")],
        json!({ "contact_id": ann_work, "volunteer": true }),
    );
    app::contacts::service::merge(&bus, &Actor::System, &ann, &ann_work).await.unwrap();
    eventually("the duplicate's subscriber is gone", || async {
        listmonk.subscriber("ann.work@example.org").is_none()
    })
    .await;
    assert_eq!(
        listmonk.lists_of("ann@example.org"),
        BTreeMap::from([
            ("Donors and buyers".into(), "confirmed".into()),
            ("Volunteers".into(), "unconfirmed".into())
        ])
    );
    assert_eq!(
        listmonk.subscriber("ann@example.org").unwrap()["attribs"]["changemaker"],
        json!({ "contact_id": ann, "donor": true, "volunteer": true })
    );
    // A kept contact with no subscriber takes the duplicate's over, lists and all.
    let (bo, bo_old) = (contact("Bo", "bo@example.org").await, contact("Bo", "bo.old@example.org").await);
    let bo_sub =
        listmonk.put_subscriber("bo.old@example.org", "Bo", &[("Volunteers", "confirmed")], json!({}));
    app::contacts::service::merge(&bus, &Actor::System, &bo, &bo_old).await.unwrap();
    eventually("Bo's subscriber has the kept address", || async {
        listmonk.subscriber("bo@example.org").is_some()
    })
    .await;
    assert_eq!(listmonk.subscriber("bo@example.org").unwrap()["id"], bo_sub);
    assert!(listmonk.subscriber("bo.old@example.org").is_none());
    // A duplicate who had unsubscribed: the person is unsubscribed, in Listmonk too.
    let unsubscribe = |id: String, email: &'static str| {
        let bus = &bus;
        async move {
            let mut tx = bus.db().begin_write().await.unwrap();
            app::contacts::service::mark_unsubscribed(&mut tx, &Actor::System, &id, email, "LINK")
                .await
                .unwrap();
            bus.commit(tx).await.unwrap();
        }
    };
    let (cy, cy_old) = (contact("Cy", "cy@example.org").await, contact("Cy", "cy.old@example.org").await);
    listmonk.put_subscriber("cy@example.org", "Cy", &[("Donors and buyers", "confirmed")], json!({}));
    unsubscribe(cy_old.clone(), "cy.old@example.org").await;
    app::contacts::service::merge(&bus, &Actor::System, &cy, &cy_old).await.unwrap();
    eventually("Cy is off every list", || async {
        listmonk.lists_of("cy@example.org").values().all(|status| status == "unsubscribed")
    })
    .await;
    let told = app.events("contact.unsubscribed").await;
    assert_eq!(
        (told.last().unwrap()["email"].as_str(), told.last().unwrap()["source"].as_str()),
        (Some("cy@example.org"), Some("MERGE"))
    );
    // A kept contact who had unsubscribed joins none of the duplicate's lists, and leaves a
    // subscriber it takes over.
    let (di, di_old) = (contact("Di", "di@example.org").await, contact("Di", "di.old@example.org").await);
    listmonk.put_subscriber("di@example.org", "Di", &[("Donors and buyers", "unsubscribed")], json!({}));
    listmonk.put_subscriber("di.old@example.org", "Di", &[("Volunteers", "confirmed")], json!({}));
    unsubscribe(di.clone(), "di@example.org").await;
    app::contacts::service::merge(&bus, &Actor::System, &di, &di_old).await.unwrap();
    eventually("Di's duplicate subscriber is gone", || async {
        listmonk.subscriber("di.old@example.org").is_none()
    })
    .await;
    assert_eq!(
        listmonk.lists_of("di@example.org"),
        BTreeMap::from([("Donors and buyers".into(), "unsubscribed".into())])
    );
    let (ed, ed_old) = (contact("Ed", "ed@example.org").await, contact("Ed", "ed.old@example.org").await);
    listmonk.put_subscriber("ed.old@example.org", "Ed", &[("Volunteers", "confirmed")], json!({}));
    unsubscribe(ed.clone(), "ed@example.org").await;
    app::contacts::service::merge(&bus, &Actor::System, &ed, &ed_old).await.unwrap();
    eventually("Ed's subscriber has the kept address, on no list", || async {
        listmonk.subscriber("ed@example.org").is_some()
            && listmonk.lists_of("ed@example.org").values().all(|status| status == "unsubscribed")
    })
    .await;

    // A contact whose personal data is erased: every subscriber that came from them goes, and
    // an event about them that was still waiting (its payload now erased) adds nobody back.
    let fay = contact("Fay", "fay@example.org").await;
    listmonk.put_subscriber(
        "fay@example.org",
        "Fay",
        &[("Volunteers", "confirmed")],
        json!({ "contact_id": fay }),
    );
    listmonk.put_subscriber(
        "fay.old@example.org",
        "Fay",
        &[("Donors and buyers", "confirmed")],
        json!({ "contact_id": fay }),
    );
    listmonk.put_subscriber(
        "gus@example.org",
        "Gus",
        &[("Volunteers", "confirmed")],
        json!({ "contact_id": "gus" }),
    );
    app::contacts::erasure::erase(&bus, &Actor::System, &fay, "fay@example.org").await.unwrap();
    eventually("Fay's subscribers are gone", || async {
        listmonk.subscriber("fay@example.org").is_none()
            && listmonk.subscriber("fay.old@example.org").is_none()
    })
    .await;
    assert!(listmonk.subscriber("gus@example.org").is_some(), "only the erased contact's");
    let erased = format!("erased:{fay}");
    app.publish(&donation(&erased, app::contacts::erasure::ERASED_NAME)).await;
    caught_up(app, "newsletter").await;
    assert!(
        listmonk.subscribers.lock().unwrap().values().all(|s| s["email"] != erased.as_str()),
        "no subscriber for the erased address"
    );

    // Turned off, events are skipped and the token is kept.
    let mut off = settings;
    off[0].1 = "false";
    off[3].1 = "";
    assert_eq!(save(&off).await.status(), 200);
    let skipped = listener_counter(app, "newsletter", "skipped").await;
    app.publish(&donation("alex@example.org", "Alex")).await;
    eventually("the donation is skipped", || async {
        listener_counter(app, "newsletter", "skipped").await == skipped + 1
    })
    .await;
    assert!(listmonk.subscriber("alex@example.org").is_none());
    let shown: Value = app.call(&admin, "integrations/newsletter", &[]).await.json().await.unwrap();
    assert_eq!(shown["enabled"], false);
    assert!(shown["api_token"].as_str().unwrap().starts_with('…'), "{shown}");
}

async fn contacts_from_before_the_newsletter_are_added_on_request(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let (app, admin) = (&app, &admin);
    let (listmonk, listmonk_url) = FakeListmonk::start().await;
    let bus = app.bus();
    let add = || async {
        let res = app.call(admin, "integrations/add-existing-contacts", &[]).await;
        let status = res.status();
        (status, res.text().await.unwrap())
    };
    let finished = |job_id: String| async move {
        app.finished_job(admin, &serde_json::from_str::<String>(&job_id).unwrap()).await
    };

    // Before the newsletter: Jo volunteered and gave and has a tag; Lee volunteered and then
    // unsubscribed; Pat is a contact who has done nothing yet.
    let shift = app::shifts::service::create(&bus, &Actor::System, &crate::shifts::form("Food bank", "5"))
        .await
        .unwrap();
    for (name, email) in [("Jo Bloggs", "jo@example.org"), ("Lee", "lee@example.org")] {
        let form = SignupForm { name: name.into(), email: email.into(), phone: String::new() };
        app::shifts::service::sign_up(&bus, &Actor::System, &shift.id, &form, SignupSource::Public, None)
            .await
            .unwrap();
    }
    let jo = app::contacts::service::id_by_email(&app.db, "jo@example.org").await.unwrap().unwrap();
    let lee = app::contacts::service::id_by_email(&app.db, "lee@example.org").await.unwrap().unwrap();
    let mut gift = donation("jo@example.org", "Jo Bloggs");
    if let Event::DonationCompleted(d) = &mut gift {
        d.contact_id = Some(jo.clone());
    }
    app.publish(&gift).await;
    app::contacts::service::change_tags(&bus, &Actor::System, &jo, &["driver".into()], &[]).await.unwrap();
    sqlx::query("UPDATE contacts SET unsubscribed_at = 1 WHERE id = $1")
        .bind(&lee)
        .execute(app.db.writer())
        .await
        .unwrap();
    let pat = app::contacts::ContactForm {
        name: "Pat".into(),
        email: "pat@example.org".into(),
        phone: String::new(),
        edits: None,
    };
    app::contacts::service::create(&bus, &Actor::System, &pat).await.unwrap();
    eventually("the timeline has the sign-ups and the gift", || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        n == 3
    })
    .await;

    let (status, body) = add().await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Turn the newsletter on"), "{body}");
    let form = [
        ("form[enabled]", "true"),
        ("form[listmonk_url]", listmonk_url.as_str()),
        ("form[api_user]", API_USER),
        ("form[api_token]", API_TOKEN),
        ("form[volunteers_list]", "Volunteers"),
        ("form[supporters_list]", "Supporters"),
        ("form[donors_list]", "Donors"),
    ];
    assert_eq!(app.call(admin, "integrations/save-newsletter", &form).await.status(), 200);
    assert!(listmonk.subscribers.lock().unwrap().is_empty(), "turning it on adds nobody by itself");

    // Listmonk is down: the job stops at once and says so, never with the token.
    listmonk.status.store(503, Ordering::SeqCst);
    let (status, job_id) = add().await;
    assert_eq!(status, 200, "{job_id}");
    let summary = finished(job_id).await["result"]["summary"].as_str().unwrap().to_string();
    assert!(
        summary.starts_with("Added 0 contacts to Listmonk, then stopped") && summary.contains("503"),
        "{summary}"
    );
    assert!(!summary.contains(API_TOKEN));

    // Back up: Jo is added to both lists with the tag; Lee and Pat are not.
    listmonk.status.store(200, Ordering::SeqCst);
    let (status, job_id) = add().await;
    assert_eq!(status, 200, "{job_id}");
    let job = finished(job_id).await;
    assert_eq!(job["status"], "DONE");
    assert_eq!(job["result"]["summary"], "Added 1 contact to Listmonk.");
    assert_eq!(listmonk.subscribers.lock().unwrap().len(), 1);
    assert_eq!(
        listmonk.lists_of("jo@example.org"),
        BTreeMap::from([
            ("Volunteers".into(), "unconfirmed".into()),
            ("Donors".into(), "unconfirmed".into())
        ])
    );
    let ours = listmonk.subscriber("jo@example.org").unwrap()["attribs"]["changemaker"].clone();
    assert_eq!(ours["tags"], json!(["driver"]));
    assert_eq!((ours["volunteer"].clone(), ours["donor"].clone()), (json!(true), json!(true)));

    // Pressed again, nothing is added twice.
    let (_, job_id) = add().await;
    assert_eq!(finished(job_id).await["result"]["summary"], "Added 1 contact to Listmonk.");
    assert_eq!(listmonk.subscribers.lock().unwrap().len(), 1);
    assert_eq!(listmonk.lists_of("jo@example.org").len(), 2);
    assert_eq!(listmonk.lists.lock().unwrap().len(), 2);
}

async fn newsletter_reports_are_received_once(backend: Backend) {
    let (app, admin) = spawn_with_super_admin(backend).await;
    let app = &app;
    let client = app.client();
    let report = |secret: &str, body: Value| {
        let request = client.post(app.url("/api/webhooks/newsletter")).bearer_auth(secret).json(&body);
        async move {
            let res = request.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let opened = json!({ "id": "r1", "type": "opened", "email": "Jo@Example.org", "message_id": "c7" });

    // No secret saved: reports are refused.
    let (status, body) = report(REPORTS_SECRET, opened.clone()).await;
    assert_eq!(status, 404, "{body}");

    // A reports secret alone is enough (the sync itself stays off).
    let form = [
        ("form[volunteers_list]", "Volunteers"),
        ("form[supporters_list]", "Supporters"),
        ("form[donors_list]", "Donors"),
        ("form[reports_secret]", REPORTS_SECRET),
    ];
    assert_eq!(app.call(&admin, "integrations/save-newsletter", &form).await.status(), 200);
    let shown: Value = app.call(&admin, "integrations/newsletter", &[]).await.json().await.unwrap();
    assert!(shown["reports_secret"].as_str().unwrap().starts_with('…'), "{shown}");
    assert!(!shown.to_string().contains(REPORTS_SECRET));

    // A wrong secret, or a report that is not right, changes nothing.
    assert_eq!(report("wrong-secret-0123456789abcdef", opened.clone()).await.0, 401);
    assert_eq!(report("", opened.clone()).await.0, 401);
    let (status, body) =
        report(REPORTS_SECRET, json!({ "id": "r0", "type": "forwarded", "email": "jo@example.org" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("opened, clicked, bounced or unsubscribed"), "{body}");
    let (status, body) =
        report(REPORTS_SECRET, json!({ "id": "r0", "type": "clicked", "email": "jo@example.org" })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(report(REPORTS_SECRET, json!({ "type": "opened" })).await.0, 422);
    assert!(app.events("newsletter.email.opened").await.is_empty());
    assert!(app.events("newsletter.email.clicked").await.is_empty());

    // An open by a contact: published with the contact, and on their timeline; sent again,
    // it is received once.
    let bus = app.bus();
    let form = app::contacts::ContactForm {
        name: "Jo".into(),
        email: "jo@example.org".into(),
        phone: String::new(),
        edits: None,
    };
    let jo = app::contacts::service::create(&bus, &Actor::System, &form).await.unwrap();
    let (status, body) = report(REPORTS_SECRET, opened.clone()).await;
    assert_eq!((status, body.as_str()), (200, "Received."));
    let (status, body) = report(REPORTS_SECRET, opened.clone()).await;
    assert_eq!((status, body.as_str()), (200, "Received before."));
    let events = app.events("newsletter.email.opened").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["subscriber_email"], "jo@example.org");
    assert_eq!(events[0]["contact_id"], jo.as_str());
    assert_eq!(events[0]["message_id"], "c7");
    eventually("the open is on Jo's timeline", || async {
        let detail = app::contacts::service::detail(&app.db, &jo, Default::default()).await.unwrap();
        serde_json::to_string(&detail).unwrap().contains("Opened a newsletter")
    })
    .await;

    // A click and a bounce, someone unknown to the CRM too.
    let click = json!({ "id": "r2", "type": "clicked", "email": "jo@example.org", "message_id": "c7", "url": "https://example.org/petition" });
    assert_eq!(report(REPORTS_SECRET, click).await.0, 200);
    assert_eq!(app.events("newsletter.email.clicked").await[0]["url"], "https://example.org/petition");
    let bounce = json!({ "id": "r3", "type": "bounced", "email": "nobody@example.org", "message_id": "c7", "hard": true });
    assert_eq!(report(REPORTS_SECRET, bounce).await.0, 200);
    let bounced = app.events("newsletter.email.bounced").await;
    assert_eq!((bounced[0]["hard"].clone(), bounced[0]["contact_id"].clone()), (json!(true), Value::Null));

    // Leaving one list is only that; leaving every list stops Changemaker's bulk email too.
    let unsubscribed_at = || async {
        sqlx::query_scalar::<_, Option<i64>>("SELECT unsubscribed_at FROM contacts WHERE id = $1")
            .bind(&jo)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    let left_one =
        json!({ "id": "r4", "type": "unsubscribed", "email": "jo@example.org", "list": "Volunteers" });
    assert_eq!(report(REPORTS_SECRET, left_one).await.0, 200);
    assert_eq!(unsubscribed_at().await, None);
    let left_all = json!({ "id": "r5", "type": "unsubscribed", "email": "jo@example.org" });
    assert_eq!(report(REPORTS_SECRET, left_all).await.0, 200);
    assert!(unsubscribed_at().await.is_some());
    // Told to the bus once, as leaving by the link is; a second such report changes nothing.
    let left_again = json!({ "id": "r6", "type": "unsubscribed", "email": "jo@example.org" });
    assert_eq!(report(REPORTS_SECRET, left_again).await.0, 200);
    let told = app.events("contact.unsubscribed").await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0]["contact_id"].as_str(), told[0]["source"].as_str()),
        (Some(jo.as_str()), Some("NEWSLETTER"))
    );
    let events = app.events("newsletter.unsubscribed").await;
    assert_eq!(events.len(), 3);
    assert_eq!((events[0]["list"].clone(), events[1]["list"].clone()), (json!("Volunteers"), json!("")));

    // A soft bounce (a full mailbox) is only reported; a hard one (no such address) stops
    // Changemaker's bulk email to the contact too.
    let al_form = app::contacts::ContactForm {
        name: "Al".into(),
        email: "al@example.org".into(),
        phone: "".into(),
        edits: None,
    };
    let al = app::contacts::service::create(&bus, &Actor::System, &al_form).await.unwrap();
    let al_unsubscribed = || async {
        sqlx::query_scalar::<_, Option<i64>>("SELECT unsubscribed_at FROM contacts WHERE id = $1")
            .bind(&al)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .is_some()
    };
    let soft = json!({ "id": "r7", "type": "bounced", "email": "al@example.org", "message_id": "c8", "hard": false });
    assert_eq!(report(REPORTS_SECRET, soft).await.0, 200);
    assert!(!al_unsubscribed().await);
    let hard =
        json!({ "id": "r8", "type": "bounced", "email": "al@example.org", "message_id": "c8", "hard": true });
    assert_eq!(report(REPORTS_SECRET, hard).await.0, 200);
    assert!(al_unsubscribed().await);
    let told = app.events("contact.unsubscribed").await;
    assert_eq!(told.len(), 2);
    assert_eq!(
        (told[1]["contact_id"].as_str(), told[1]["source"].as_str()),
        (Some(al.as_str()), Some("BOUNCED"))
    );
    assert_eq!(app.events("newsletter.email.bounced").await.len(), 3);
}
