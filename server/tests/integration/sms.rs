//! Text messages over HTTP, on both databases: Twilio's settings saved (the auth token
//! encrypted, never shown), texts received at `/api/webhooks/sms` only with Twilio's signature,
//! once per message, matched to a contact by phone, read for sentiment, opting out and back in,
//! published as `sms.message.received`, and listed in the inbox. Text campaigns sent through a
//! fake Twilio: each usable number once, opted-out numbers left out, refusals recorded, the
//! campaign's events, and sending on after the server stopped midway.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::common::{Backend, TestApp, dashboard_lines, eventually, spawn_app_with};
use app::events::Actor;
use app::users::{Role, UserStatus};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

on_both_backends!(texts_are_received_only_from_twilio_once_each_and_read_in_the_inbox);
on_both_backends_with_own_server!(
    campaigns_text_each_usable_number_once_and_record_what_did_not_go,
    the_inbox_says_which_texts_wait_for_an_answer_and_which_campaign_they_answer,
    delivery_reports_are_recorded_once_on_the_text_they_are_about,
    pictures_sent_with_a_text_are_shown_to_admins_through_this_server
);

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dbabe0123456789abcdef01234567";

/// Twilio's settings with a number to send from.
const SENDING_SETTINGS: [(&str, &str); 5] = [
    ("form[enabled]", "true"),
    ("form[account_sid]", ACCOUNT_SID),
    ("form[auth_token]", AUTH_TOKEN),
    ("form[from_number]", "+15550001111"),
    ("form[country_code]", "1"),
];

/// A text as Twilio posts it: its form parameters.
fn text(sid_end: &str, from: &str, body: &str) -> Vec<(String, String)> {
    [
        ("MessageSid", format!("SM{:0>32}", sid_end)),
        ("AccountSid", ACCOUNT_SID.to_string()),
        ("From", from.to_string()),
        ("To", "+15550001111".to_string()),
        ("Body", body.to_string()),
        ("NumMedia", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Posts a text to the webhook with this signature (none when `None`): its status and body.
async fn post(app: &TestApp, params: &[(String, String)], signature: Option<String>) -> (u16, String) {
    post_to(app, app::sms::WEBHOOK_PATH, params, signature).await
}

/// Posts Twilio's form to `path` with this signature (none when `None`): its status and body.
async fn post_to(
    app: &TestApp,
    path: &str,
    params: &[(String, String)],
    signature: Option<String>,
) -> (u16, String) {
    let mut request = app.client().post(app.url(path)).form(params);
    if let Some(signature) = signature {
        request = request.header("X-Twilio-Signature", signature);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn texts_are_received_only_from_twilio_once_each_and_read_in_the_inbox(app: TestApp) {
    app.create_user("owner@example.org", Role::SuperAdmin, UserStatus::Active).await;
    app.create_user("organiser@example.org", Role::Admin, UserStatus::Active).await;
    let owner = app.signed_in("owner@example.org").await;
    let organiser = app.signed_in("organiser@example.org").await;
    let inbox =
        |filter: &'static [(&'static str, &'static str)]| app.call(&organiser, "sms/messages", filter);

    // Not set up: texts are refused, and the inbox says so.
    let question = text("1", "+15551234567", "What time is the rally tomorrow?");
    let (status, body) = post(&app, &question, Some(signed_with(AUTH_TOKEN, &app, &question).await)).await;
    assert_eq!(status, 404, "{body}");
    let page = ok_json(inbox(&[]).await).await;
    assert_eq!((page["receiving"].clone(), page["count"].clone()), (Value::Bool(false), Value::from(0)));

    // Bad settings: each field named, nothing saved.
    for (form, field) in [
        (vec![("form[account_sid]", "AB0123456789abcdef0123456789abcdef")], "account_sid"),
        (vec![("form[account_sid]", ACCOUNT_SID), ("form[auth_token]", "too-short")], "auth_token"),
        (vec![("form[enabled]", "true"), ("form[account_sid]", ACCOUNT_SID)], "auth_token"),
        (vec![("form[enabled]", "true"), ("form[auth_token]", AUTH_TOKEN)], "account_sid"),
    ] {
        let res = app.call(&owner, "integrations/save-sms", &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(&format!("\"field\":\"{field}\"")), "{form:?}: {body}");
    }
    let shown = ok_json(app.call(&owner, "integrations/sms", &[]).await).await;
    assert_eq!((shown["account_sid"].as_str(), shown["auth_token"].as_str()), (Some(""), Some("")));

    // Saved: the token is masked in the answer and afterwards, and never in the audit log.
    let form =
        [("form[enabled]", "true"), ("form[account_sid]", ACCOUNT_SID), ("form[auth_token]", AUTH_TOKEN)];
    let res = app.call(&owner, "integrations/save-sms", &form).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let saved = ok_json(res).await;
    assert!(!saved.to_string().contains(AUTH_TOKEN), "{saved}");
    assert!(saved["auth_token"].as_str().unwrap().starts_with('…'), "{saved}");
    let webhook_url = saved["webhook_url"].as_str().unwrap().to_string();
    assert!(webhook_url.ends_with("/api/webhooks/sms"), "{webhook_url}");
    let shown = ok_json(app.call(&owner, "integrations/sms", &[]).await).await;
    assert_eq!(shown, saved);
    assert_eq!(
        app.audited("settings.sms.saved").await,
        vec!["changed: enabled, account_sid, auth_token".to_string()]
    );
    // Saved again with the mask as shown: the token is kept (the save is counted).
    let masked = saved["auth_token"].as_str().unwrap();
    let again = [("form[enabled]", "true"), ("form[account_sid]", ACCOUNT_SID), ("form[auth_token]", masked)];
    let mut kept = saved.clone();
    kept["edits"] = json!(2);
    assert_eq!(ok_json(app.call(&owner, "integrations/save-sms", &again).await).await, kept);

    // Someone in the CRM with this number, written their own way.
    let bus = app.bus();
    let jo_form = app::contacts::ContactForm {
        name: "Jo".into(),
        email: "jo@example.org".into(),
        phone: "(555) 123-4567".into(),
        edits: None,
    };
    let jo = app::contacts::service::create(&bus, &Actor::System, &jo_form).await.unwrap();

    // Not Twilio: no signature, a wrong one, one with another token or over other parameters.
    let wrong_token = "0123456789abcdef0123456789abcdef";
    let mut other_body = question.clone();
    other_body[4].1 = "Send me your list".into();
    for (params, signature) in [
        (question.clone(), None),
        (question.clone(), Some("bm90IGEgc2lnbmF0dXJl".to_string())),
        (question.clone(), Some(signed_with(wrong_token, &app, &question).await)),
        (other_body, Some(signed_with(AUTH_TOKEN, &app, &question).await)),
    ] {
        let (status, body) = post(&app, &params, signature).await;
        assert_eq!(status, 403, "{body}");
    }
    // Signed, but not a message Twilio sends.
    let mut no_sid = question.clone();
    no_sid[0].1 = "12345".into();
    let (status, body) = post(&app, &no_sid, Some(signed_with(AUTH_TOKEN, &app, &no_sid).await)).await;
    assert_eq!(status, 422, "{body}");
    assert!(app.events("sms.message.received").await.is_empty());

    // Jo's question: received, answered with empty TwiML, published once though sent twice.
    for _ in 0..2 {
        let res = app
            .client()
            .post(app.url("/api/webhooks/sms"))
            .header("X-Twilio-Signature", signed_with(AUTH_TOKEN, &app, &question).await)
            .form(&question)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/xml");
        assert!(res.text().await.unwrap().ends_with("<Response></Response>"));
    }
    let events = app.events("sms.message.received").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["contact_id"], jo.as_str());
    assert_eq!(events[0]["from"], "+15551234567");
    assert_eq!(events[0]["body"], "What time is the rally tomorrow?");
    assert_eq!(events[0]["sentiment"], "QUESTION");
    eventually("the text is on Jo's timeline", || async {
        let detail = app::contacts::service::detail(&app.db, &jo, Default::default()).await.unwrap();
        serde_json::to_string(&detail).unwrap().contains("Sent a text message (question)")
    })
    .await;

    // Someone not in the CRM texts STOP: opted out; then START: back in.
    let stranger = "+447700900123";
    let stop = text("2", stranger, "STOP");
    assert_eq!(post(&app, &stop, Some(signed_with(AUTH_TOKEN, &app, &stop).await)).await.0, 200);
    let page = ok_json(inbox(&[]).await).await;
    assert_eq!((page["receiving"].clone(), page["count"].clone()), (Value::Bool(true), Value::from(2)));
    let newest = &page["rows"][0];
    assert_eq!((newest["phone"].as_str(), newest["sentiment"].as_str()), (Some(stranger), Some("NEGATIVE")));
    assert_eq!((newest["contact_id"].clone(), newest["opted_out"].clone()), (Value::Null, Value::Bool(true)));
    assert_eq!(page["rows"][1]["contact_name"], "Jo");
    assert_eq!(page["rows"][1]["opted_out"], false);
    assert_eq!(app.events("sms.message.received").await[1]["contact_id"], Value::Null);
    let start = text("3", stranger, "Start");
    assert_eq!(post(&app, &start, Some(signed_with(AUTH_TOKEN, &app, &start).await)).await.0, 200);
    let page = ok_json(inbox(&[]).await).await;
    assert!(page["rows"].as_array().unwrap().iter().all(|row| row["opted_out"] == false), "{page}");

    // The inbox by sentiment; a sentiment it does not know is refused.
    let questions = ok_json(inbox(&[("filter[sentiment]", "QUESTION")]).await).await;
    assert_eq!(questions["count"], 1);
    assert_eq!(questions["rows"][0]["body"], "What time is the rally tomorrow?");
    let res = inbox(&[("filter[sentiment]", "ANGRY")]).await;
    assert_eq!(res.status(), 422);

    // Turned off: texts are refused again, and none of this leaked the token.
    let off = [("form[account_sid]", ACCOUNT_SID)];
    assert_eq!(app.call(&owner, "integrations/save-sms", &off).await.status(), 200);
    let late = text("4", stranger, "hello?");
    assert_eq!(post(&app, &late, Some(signed_with(AUTH_TOKEN, &app, &late).await)).await.0, 404);
    let outbox: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM event_outbox").fetch_all(app.db.pool()).await.unwrap();
    assert!(outbox.iter().all(|payload| !payload.contains(AUTH_TOKEN)));
}

/// Twilio's signature of a text posted to the webhook address the settings show.
async fn signed_with(token: &str, app: &TestApp, params: &[(String, String)]) -> String {
    signed_for(token, app, app::sms::WEBHOOK_PATH, params)
}

/// Twilio's signature of a post to `path` on the server's public address.
fn signed_for(token: &str, app: &TestApp, path: &str, params: &[(String, String)]) -> String {
    let url = format!("{}{path}", app.config.public_url.trim_end_matches('/'));
    app::sms::service::twilio_signature(token, &url, params)
}

/// A fake Twilio Messages API: checks the account in the path and basic authentication,
/// refuses the numbers it is told to, and keeps every text it accepted (to, from, body).
#[derive(Clone, Default)]
struct FakeTwilio {
    sent: Arc<Mutex<Vec<(String, String, String)>>>,
    refuse: Arc<Mutex<HashSet<String>>>,
    /// The StatusCallback of each text accepted.
    status_callbacks: Arc<Mutex<Vec<String>>>,
}

impl FakeTwilio {
    async fn start(&self) -> String {
        let app = axum::Router::new().fallback(twilio_answer).with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        base_url
    }

    fn sent_to(&self) -> Vec<String> {
        self.sent.lock().unwrap().iter().map(|(to, _, _)| to.clone()).collect()
    }
}

async fn twilio_answer(
    State(twilio): State<FakeTwilio>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    // A file sent with a text: kept where Twilio redirects to, which needs no credentials
    // (and must not be given them).
    if method == Method::GET && uri.path() == "/cdn/ME1" {
        if headers.contains_key("authorization") {
            return StatusCode::BAD_REQUEST.into_response();
        }
        return ([("content-type", "image/png")], PICTURE).into_response();
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Basic {credentials}")) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "code": 20003, "message": "Authenticate" })))
            .into_response();
    }
    if method == Method::GET
        && uri.path().starts_with(&format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"))
    {
        return match uri.path().ends_with("/Media/ME1") {
            true => (StatusCode::FOUND, [("location", "/cdn/ME1")]).into_response(),
            false => StatusCode::NOT_FOUND.into_response(),
        };
    }
    if uri.path() != format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json") {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "code": 20404, "message": "Not found" })))
            .into_response();
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let to = field("To");
    if twilio.refuse.lock().unwrap().contains(&to) {
        let message = format!("The 'To' number {to} is not a valid phone number.");
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "code": 21211, "message": message, "status": 400 })),
        )
            .into_response();
    }
    twilio.status_callbacks.lock().unwrap().push(field("StatusCallback"));
    let mut sent = twilio.sent.lock().unwrap();
    sent.push((to, field("From"), field("Body")));
    let sid = format!("SM{:0>32}", sent.len());
    (StatusCode::CREATED, axum::Json(json!({ "sid": sid, "status": "queued" }))).into_response()
}

/// A server sending through a fresh fake Twilio, and a super admin signed in to it.
async fn with_fake_twilio(backend: Backend) -> (FakeTwilio, TestApp, reqwest::Client) {
    let twilio = FakeTwilio::default();
    let base_url = twilio.start().await;
    let app = spawn_app_with(backend, &[("CHANGEMAKER_TWILIO_API_BASE", &base_url)]).await;
    app.create_user("owner@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let owner = app.signed_in("owner@example.org").await;
    (twilio, app, owner)
}

async fn campaigns_text_each_usable_number_once_and_record_what_did_not_go(backend: Backend) {
    let (twilio, app, owner) = with_fake_twilio(backend).await;
    let bus = app.bus();
    let add = |name: &'static str, phone: &'static str, tags: &'static [&'static str]| {
        let bus = bus.clone();
        async move {
            let form = app::contacts::ContactForm {
                name: name.into(),
                email: format!("{}@example.org", name.to_lowercase()),
                phone: phone.into(),
                edits: None,
            };
            let id = app::contacts::service::create(&bus, &Actor::System, &form).await.unwrap();
            let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            app::contacts::service::change_tags(&bus, &Actor::System, &id, &tags, &[]).await.unwrap();
            id
        }
    };
    let ana = add("Ana", "(555) 123-4567", &["drivers"]).await;
    let ben = add("Ben", "1 555 123 4567", &["drivers"]).await; // Ana's number: texted once.
    // Either of the two who share it (both were added in the same second).
    let ana_or_ben = |id: &Value| id == ana.as_str() || id == ben.as_str();
    add("Cy", "+44 7700 900123", &["drivers"]).await; // Opted out below.
    add("Di", "12345", &["drivers"]).await; // Too short to text.
    let eve = add("Eve", "555 000 9999", &["drivers"]).await; // Twilio refuses it.
    add("Fay", "555 222 3333", &[]).await; // Not tagged.
    sqlx::query("INSERT INTO sms_opt_outs (phone, opted_out_at) VALUES ('+447700900123', 0)")
        .execute(app.db.pool())
        .await
        .unwrap();
    twilio.refuse.lock().unwrap().insert("+15550009999".into());
    let form = |name: &'static str, tag: &'static str, body: &'static str| {
        vec![("form[name]", name), ("form[tag]", tag), ("form[body]", body)]
    };

    // Not set up to send: refused, nothing recorded.
    let res = app.call(&owner, "sms/start-campaign", &form("Rally", "drivers", "Rally at noon")).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Integrations"));
    assert_eq!(app.call(&owner, "integrations/save-sms", &SENDING_SETTINGS).await.status(), 200);
    for (bad, field) in [
        (vec![("form[from_number]", "555-0001")], "from_number"),
        (vec![("form[country_code]", "0044")], "country_code"),
    ] {
        let res = app.call(&owner, "integrations/save-sms", &bad).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains(&format!("\"field\":\"{field}\"")));
    }

    // Who it reaches, before sending.
    let audience = ok_json(app.call(&owner, "sms/audience", &[("tag", "Drivers")]).await).await;
    assert_eq!(audience, json!({ "recipients": 2, "unusable": 1, "opted_out": 1 }));

    // Bad input: each field named, nothing sent.
    let long = "x".repeat(1_600);
    for (bad, field) in [
        (form("", "drivers", "Rally at noon"), "name"),
        (form("Rally", "drivers", "   "), "body"),
        (vec![("form[name]", "Rally"), ("form[tag]", ""), ("form[body]", long.as_str())], "body"),
        (form("Rally", "nobody-has-this", "Rally at noon"), "tag"),
    ] {
        let res = app.call(&owner, "sms/start-campaign", &bad).await;
        assert_eq!(res.status(), 422, "{bad:?}");
        assert!(res.text().await.unwrap().contains(&format!("\"field\":\"{field}\"")), "{bad:?}");
    }
    assert!(twilio.sent_to().is_empty());
    let none: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sms_campaigns").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(none, 0);

    // Sent: Ana's number once, Eve's refused; the opt-out line added.
    let res = app.call(&owner, "sms/start-campaign", &form("Rally", "drivers", "Rally at noon")).await;
    let id: String = ok_json(res).await.as_str().unwrap().to_string();
    eventually("the campaign has finished", || async {
        let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", id.as_str())]).await).await;
        detail["campaign"]["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(twilio.sent_to(), vec!["+15551234567".to_string()]);
    let (_, from, body) = twilio.sent.lock().unwrap()[0].clone();
    assert_eq!(
        (from.as_str(), body.as_str()),
        ("+15550001111", "Rally at noon\n\nReply STOP to stop these texts.")
    );
    let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", id.as_str())]).await).await;
    let campaign = &detail["campaign"];
    assert_eq!(
        (campaign["recipients"].clone(), campaign["sent"].clone(), campaign["failed"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(campaign["can_resume"], false);
    assert_eq!(detail["failures"][0]["contact_id"], eve.as_str());
    let why = detail["failures"][0]["error"].as_str().unwrap();
    assert!(why.contains("not a valid phone number") && why.contains("21211"), "{why}");
    assert!(!detail.to_string().contains(AUTH_TOKEN));
    let started = app.events("sms.campaign.started").await;
    assert_eq!((started.len(), started[0]["recipient_count"].clone()), (1, json!(2)));
    assert_eq!(app.audited("sms.campaign.started").await, vec!["Rally: 2 texts".to_string()]);
    let sent = app.events("sms.message.sent").await;
    assert_eq!(sent.len(), 1);
    assert!(ana_or_ben(&sent[0]["contact_id"]), "{sent:?}");
    assert_eq!(sent[0]["to"], "+15551234567");
    assert_eq!(sent[0]["campaign_id"], id.as_str());
    let completed = app.events("sms.campaign.completed").await;
    assert_eq!(
        (completed[0]["sent_count"].clone(), completed[0]["failed_count"].clone()),
        (json!(1), json!(1))
    );
    let list = ok_json(app.call(&owner, "sms/campaigns", &[]).await).await;
    assert_eq!(list["rows"][0]["name"], "Rally");
    assert_eq!(app.call(&owner, "sms/resume-campaign", &[("id", id.as_str())]).await.status(), 409);

    // The server stopped midway through a second campaign (to everyone): the text being sent
    // then is not sent again; the rest go when an admin sends them.
    let res = app.call(&owner, "sms/start-campaign", &form("Everyone", "", "Thank you!")).await;
    let second: String = ok_json(res).await.as_str().unwrap().to_string();
    eventually("the second campaign has finished", || async {
        let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", second.as_str())]).await).await;
        detail["campaign"]["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(twilio.sent_to().len(), 3, "Ana's and Fay's numbers");
    // As it stood when the server stopped: Ana's text going out, Fay's not yet, the job dead.
    for sql in [
        "UPDATE sms_campaigns SET status = 'SENDING', sent_count = 0, failed_count = 1, completed_at = NULL WHERE id = $1",
        "UPDATE sms_recipients SET status = 'SENDING', provider_id = NULL WHERE campaign_id = $1 AND phone = '+15551234567'",
        "UPDATE sms_recipients SET status = 'PENDING', provider_id = NULL WHERE campaign_id = $1 AND phone = '+15552223333'",
        "UPDATE jobs SET status = 'INTERRUPTED' WHERE id = (SELECT job_id FROM sms_campaigns WHERE id = $1)",
    ] {
        sqlx::query(sql).bind(&second).execute(app.db.pool()).await.unwrap();
    }
    let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", second.as_str())]).await).await;
    assert_eq!(detail["campaign"]["can_resume"], true);
    // Two admins press "Send the rest" at once: one job starts, the other is refused.
    let args = [("id", second.as_str())];
    let (one, other) = tokio::join!(
        app.call(&owner, "sms/resume-campaign", &args),
        app.call(&owner, "sms/resume-campaign", &args)
    );
    let mut statuses = vec![one.status().as_u16(), other.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    eventually("the rest of the second campaign has gone", || async {
        let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", second.as_str())]).await).await;
        detail["campaign"]["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(twilio.sent_to().len(), 4, "Fay's once more; Ana's not again");
    // The admin audit log names each sending; the press refused wrote nothing.
    let mut started = app.audited("sms.campaign.started").await;
    started.sort();
    assert_eq!(started, vec!["Everyone: 3 texts".to_string(), "Rally: 2 texts".to_string()]);
    assert_eq!(app.audited("sms.campaign.resumed").await, vec!["Everyone: 1 text to go".to_string()]);
    assert_eq!(twilio.sent_to()[3], "+15552223333");
    let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", second.as_str())]).await).await;
    let why: Vec<&str> =
        detail["failures"].as_array().unwrap().iter().map(|f| f["error"].as_str().unwrap()).collect();
    assert!(why.iter().any(|w| w.contains("not sent again")), "{why:?}");
    // The first campaign's, and the second's twice: once before the stop was made up above.
    assert_eq!(app.events("sms.campaign.completed").await.len(), 3);

    // Ana texts back; an admin replies from the inbox.
    let question = text("9", "+15551234567", "Where do we meet?");
    assert_eq!(post(&app, &question, Some(signed_with(AUTH_TOKEN, &app, &question).await)).await.0, 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    let message_id = inbox["rows"][0]["id"].as_str().unwrap().to_string();
    let reply = |id: &str, body: &str| {
        let (id, body) = (id.to_string(), body.to_string());
        let (app, owner) = (&app, &owner);
        async move { app.call(owner, "sms/reply", &[("message_id", id.as_str()), ("body", body.as_str())]).await }
    };
    let sent_before = app.events("sms.message.sent").await.len();
    assert_eq!(reply(&message_id, "  ").await.status(), 422);
    assert_eq!(reply("no-such-text", "At the station").await.status(), 404);
    twilio.refuse.lock().unwrap().insert("+15551234567".into());
    let res = reply(&message_id, "At the station").await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("21211"));
    twilio.refuse.lock().unwrap().clear();
    assert_eq!(
        app.events("sms.message.sent").await.len(),
        sent_before,
        "nothing recorded for the refused reply"
    );
    assert_eq!(ok_json(reply(&message_id, "At the station, 9:00").await).await, Value::Null);
    let (to, _, body) = twilio.sent.lock().unwrap().last().unwrap().clone();
    assert_eq!((to.as_str(), body.as_str()), ("+15551234567", "At the station, 9:00"));
    let sent = app.events("sms.message.sent").await;
    assert_eq!(sent.len(), sent_before + 1);
    let replied = &sent[sent_before];
    assert!(replied["campaign_id"].is_null() && ana_or_ben(&replied["contact_id"]), "{replied}");
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    assert_eq!(inbox["rows"][0]["replies"][0]["body"], "At the station, 9:00");
    // No reply to a number that texted STOP.
    let stop = text("10", "+15551234567", "stop");
    assert_eq!(post(&app, &stop, Some(signed_with(AUTH_TOKEN, &app, &stop).await)).await.0, 200);
    let res = reply(&message_id, "Sorry!").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("STOP"));
    assert_eq!(app.events("sms.message.sent").await.len(), sent_before + 1);
}

async fn the_inbox_says_which_texts_wait_for_an_answer_and_which_campaign_they_answer(backend: Backend) {
    let (_twilio, app, owner) = with_fake_twilio(backend).await;
    app.create_user("organiser@example.org", Role::Admin, UserStatus::Active).await;
    let organiser = app.signed_in("organiser@example.org").await;
    assert_eq!(app.call(&owner, "integrations/save-sms", &SENDING_SETTINGS).await.status(), 200);
    let form = app::contacts::ContactForm {
        name: "Ana".into(),
        email: "ana@example.org".into(),
        phone: "(555) 123-4567".into(),
        edits: None,
    };
    app::contacts::service::create(&app.bus(), &Actor::System, &form).await.unwrap();
    let campaign = [("form[name]", "Saturday"), ("form[tag]", ""), ("form[body]", "Can you come Saturday?")];
    let res = app.call(&owner, "sms/start-campaign", &campaign).await;
    let campaign_id: String = ok_json(res).await.as_str().unwrap().to_string();
    eventually("the campaign has gone", || async {
        let detail = ok_json(app.call(&owner, "sms/campaign", &[("id", campaign_id.as_str())]).await).await;
        detail["campaign"]["status"] == "COMPLETED"
    })
    .await;

    // Ana answers the campaign and asks something; a stranger thanks; another texts STOP.
    for (sid, from, body) in [
        ("1", "+15551234567", "Yes"),
        ("2", "+15551234567", "Who else is coming?"),
        ("3", "+447700900123", "Thanks 100%"),
        ("4", "+15550002222", "STOP"),
    ] {
        let text = text(sid, from, body);
        assert_eq!(post(&app, &text, Some(signed_with(AUTH_TOKEN, &app, &text).await)).await.0, 200);
    }
    let inbox = |filter: Vec<(&'static str, String)>| {
        let (app, organiser) = (&app, &organiser);
        async move {
            let args: Vec<(&str, &str)> = filter.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(organiser, "sms/messages", &args).await
        }
    };
    let bodies = |page: &Value| -> Vec<String> {
        page["rows"].as_array().unwrap().iter().map(|r| r["body"].as_str().unwrap().to_string()).collect()
    };
    let waiting_filter = || vec![("filter[waiting]", "true".to_string())];
    let page = ok_json(inbox(vec![]).await).await;
    assert_eq!((page["count"].clone(), page["waiting"].clone()), (json!(4), json!(3)));
    let row = |page: &Value, body: &str| {
        page["rows"].as_array().unwrap().iter().find(|r| r["body"] == body).unwrap().clone()
    };
    // STOP needs no answer (none may go); Ana's texts say which campaign they came after.
    let stop = row(&page, "STOP");
    assert_eq!(
        (stop["waiting"].clone(), stop["done"].clone()),
        (json!(false), json!("Needs no answer: the number opted out"))
    );
    for body in ["Yes", "Who else is coming?"] {
        let ana = row(&page, body);
        assert_eq!(ana["waiting"], true, "{ana}");
        let after = &ana["after_campaign"];
        assert_eq!(
            (after["campaign_id"].as_str(), after["name"].as_str()),
            (Some(campaign_id.as_str()), Some("Saturday"))
        );
        assert!(after["body"].as_str().unwrap().starts_with("Can you come Saturday?"), "{after}");
    }
    assert_eq!(row(&page, "Thanks 100%")["after_campaign"], Value::Null);
    let waiting = ok_json(inbox(waiting_filter()).await).await;
    assert_eq!(bodies(&waiting), ["Thanks 100%", "Who else is coming?", "Yes"]);
    let line = ("3 texts waiting for an answer".to_string(), "/admin/sms?waiting=true".to_string());
    let attention = dashboard_lines(&app, "organiser@example.org", "needs_attention").await.unwrap();
    assert!(attention.contains(&line), "{attention:?}");

    // One reply to Ana answers both her texts, which came before it.
    let ana_question = row(&page, "Who else is coming?")["id"].as_str().unwrap().to_string();
    let answer = [("message_id", ana_question.as_str()), ("body", "Ben and Cy")];
    assert_eq!(app.call(&organiser, "sms/reply", &answer).await.status(), 200);
    let page = ok_json(inbox(vec![]).await).await;
    assert_eq!(page["waiting"], 1);
    assert_eq!(
        (row(&page, "Yes")["waiting"].clone(), row(&page, "Yes")["done"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(bodies(&ok_json(inbox(waiting_filter()).await).await), ["Thanks 100%"]);

    // The stranger's thanks needs no answer: marked done, then waiting again, then done.
    let thanks = row(&page, "Thanks 100%")["id"].as_str().unwrap().to_string();
    let mark = |id: &str, done: &str| {
        let (id, done) = (id.to_string(), done.to_string());
        let (app, organiser) = (&app, &organiser);
        async move {
            app.call(organiser, "sms/mark-done", &[("message_id", id.as_str()), ("done", done.as_str())])
                .await
        }
    };
    assert_eq!(mark("no-such-text", "true").await.status(), 404);
    assert_eq!(mark(&thanks, "true").await.status(), 200);
    let page = ok_json(inbox(vec![]).await).await;
    assert_eq!(page["waiting"], 0);
    let done = row(&page, "Thanks 100%")["done"].as_str().unwrap().to_string();
    assert!(done.starts_with("Marked done by Test Person, "), "{done}");
    assert_eq!(ok_json(inbox(waiting_filter()).await).await["count"], 0);
    assert!(
        !dashboard_lines(&app, "organiser@example.org", "needs_attention")
            .await
            .unwrap()
            .iter()
            .any(|(_, href)| href.starts_with("/admin/sms"))
    );
    assert_eq!(mark(&thanks, "false").await.status(), 200);
    let page = ok_json(inbox(vec![]).await).await;
    assert_eq!((page["waiting"].clone(), row(&page, "Thanks 100%")["done"].clone()), (json!(1), Value::Null));
    assert_eq!(mark(&thanks, "true").await.status(), 200);

    // Searched by words, by the contact's name, and by the number however written; `%` is
    // a percent sign; a search too long is refused.
    for (search, found) in [
        ("WHO ELSE", vec!["Who else is coming?"]),
        ("ana", vec!["Who else is coming?", "Yes"]),
        ("(555) 123-4567", vec!["Who else is coming?", "Yes"]),
        ("+44 7700", vec!["Thanks 100%"]),
        ("100%", vec!["Thanks 100%"]),
        ("%", vec!["Thanks 100%"]),
        ("nobody", vec![]),
    ] {
        let page = ok_json(inbox(vec![("filter[search]", search.to_string())]).await).await;
        assert_eq!(bodies(&page), found, "{search}");
    }
    let mut waiting_ana = waiting_filter();
    waiting_ana.push(("filter[search]", "ana".to_string()));
    assert_eq!(ok_json(inbox(waiting_ana).await).await["count"], 0);
    let res = inbox(vec![("filter[search]", "x".repeat(101))]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("\"field\":\"search\""));
}

/// Twilio's delivery report on text `sid_end` (as the fake numbers them): its status and error.
fn report(sid_end: &str, status: &str, error_code: &str) -> Vec<(String, String)> {
    let mut params = vec![
        ("MessageSid".to_string(), format!("SM{sid_end:0>32}")),
        ("AccountSid".to_string(), ACCOUNT_SID.to_string()),
        ("MessageStatus".to_string(), status.to_string()),
    ];
    if !error_code.is_empty() {
        params.push(("ErrorCode".to_string(), error_code.to_string()));
    }
    params
}

async fn delivery_reports_are_recorded_once_on_the_text_they_are_about(backend: Backend) {
    let (twilio, app, owner) = with_fake_twilio(backend).await;
    let bus = app.bus();
    for (name, phone) in [("Ana", "(555) 123-4567"), ("Bo", "555 222 3333")] {
        let form = app::contacts::ContactForm {
            name: name.into(),
            email: format!("{}@example.org", name.to_lowercase()),
            phone: phone.into(),
            edits: None,
        };
        app::contacts::service::create(&bus, &Actor::System, &form).await.unwrap();
    }
    assert_eq!(app.call(&owner, "integrations/save-sms", &SENDING_SETTINGS).await.status(), 200);
    let deliver = |params: Vec<(String, String)>| {
        let app = &app;
        async move {
            let signature = signed_for(AUTH_TOKEN, app, app::sms::STATUS_PATH, &params);
            post_to(app, app::sms::STATUS_PATH, &params, Some(signature)).await.0
        }
    };
    // Twilio reports on the campaign's second text before its sending is recorded, and never
    // again: the report waits, and the sending records it in its own transaction.
    assert_eq!(deliver(report("2", "undelivered", "30003")).await, 200);
    let campaign = [("form[name]", "Rally"), ("form[tag]", ""), ("form[body]", "Rally at noon")];
    let id =
        ok_json(app.call(&owner, "sms/start-campaign", &campaign).await).await.as_str().unwrap().to_string();
    let detail = || async { ok_json(app.call(&owner, "sms/campaign", &[("id", id.as_str())]).await).await };
    eventually("the campaign has finished", || async { detail().await["campaign"]["status"] == "COMPLETED" })
        .await;
    // Each text asks Twilio to report its delivery to this server (the fake numbers them 1, 2).
    let status_url = format!("{}{}", app.config.public_url.trim_end_matches('/'), app::sms::STATUS_PATH);
    assert_eq!(*twilio.status_callbacks.lock().unwrap(), vec![status_url.clone(), status_url]);
    let to_of = |n: usize| twilio.sent_to()[n - 1].clone();
    assert_eq!(app.events("sms.message.delivery").await.len(), 1);

    // Not Twilio: unsigned, or signed for the other webhook's address; not a message id.
    let delivered = report("1", "delivered", "");
    assert_eq!(post_to(&app, app::sms::STATUS_PATH, &delivered, None).await.0, 403);
    let elsewhere = signed_with(AUTH_TOKEN, &app, &delivered).await;
    assert_eq!(post_to(&app, app::sms::STATUS_PATH, &delivered, Some(elsewhere)).await.0, 403);
    let mut not_a_sid = delivered.clone();
    not_a_sid[0].1 = "SM-nonsense".into();
    assert_eq!(deliver(not_a_sid).await, 422);
    // A step before the last word, and a text this server never sent: nothing to record.
    assert_eq!(deliver(report("1", "sent", "")).await, 200);
    assert_eq!(deliver(report("99", "delivered", "")).await, 200);
    assert_eq!(app.events("sms.message.delivery").await.len(), 1);

    // Delivered, reported twice: recorded and announced once. A later word on a text does not
    // change it.
    assert_eq!(deliver(delivered.clone()).await, 200);
    assert_eq!(deliver(delivered).await, 200);
    assert_eq!(deliver(report("1", "failed", "30005")).await, 200);
    assert_eq!(deliver(report("2", "delivered", "")).await, 200);
    let reports = app.events("sms.message.delivery").await;
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(
        (reports[0]["delivered"].clone(), reports[0]["error"].as_str(), reports[0]["to"].as_str()),
        (json!(false), Some("Not delivered (Twilio error 30003)"), Some(to_of(2).as_str()))
    );
    assert_eq!(
        (reports[1]["delivered"].clone(), reports[1]["to"].as_str(), reports[1]["campaign_id"].as_str()),
        (json!(true), Some(to_of(1).as_str()), Some(id.as_str()))
    );
    assert!(!reports[1]["contact_id"].is_null());
    let shown = detail().await;
    assert_eq!(
        (shown["campaign"]["delivered"].clone(), shown["campaign"]["undelivered"].clone()),
        (json!(1), json!(1))
    );
    let failures = shown["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(
        (failures[0]["phone"].as_str(), failures[0]["error"].as_str()),
        (Some(to_of(2).as_str()), Some("Not delivered (Twilio error 30003)"))
    );
    let listed = ok_json(app.call(&owner, "sms/campaigns", &[]).await).await;
    assert_eq!(listed["rows"][0]["delivered"], 1);

    // A reply's delivery shows under it in the inbox.
    let question = text("50", "+15551234567", "Where do we meet?");
    assert_eq!(post(&app, &question, Some(signed_with(AUTH_TOKEN, &app, &question).await)).await.0, 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    let message_id = inbox["rows"][0]["id"].as_str().unwrap().to_string();
    let answer = [("message_id", message_id.as_str()), ("body", "At the station")];
    assert_eq!(app.call(&owner, "sms/reply", &answer).await.status(), 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    assert_eq!(inbox["rows"][0]["replies"][0]["delivery"], "");
    assert_eq!(deliver(report("3", "delivered", "")).await, 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    assert_eq!(inbox["rows"][0]["replies"][0]["delivery"], "Delivered");
    let reports = app.events("sms.message.delivery").await;
    assert_eq!((reports.len(), reports[2]["campaign_id"].is_null()), (3, true));

    // The same for a reply: the report on the next text (4) comes before it is recorded.
    assert_eq!(deliver(report("4", "undelivered", "30007")).await, 200);
    assert_eq!(app.events("sms.message.delivery").await.len(), 3);
    let again = [("message_id", message_id.as_str()), ("body", "Bring a friend")];
    assert_eq!(app.call(&owner, "sms/reply", &again).await.status(), 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    let replies = inbox["rows"][0]["replies"].as_array().unwrap();
    let second = replies.iter().find(|r| r["body"] == "Bring a friend").unwrap();
    assert_eq!(second["delivery"], "Not delivered (Twilio error 30007)");
    let reports = app.events("sms.message.delivery").await;
    assert_eq!((reports.len(), reports[3]["delivered"].clone()), (4, json!(false)));
    assert_eq!(deliver(report("4", "delivered", "")).await, 200);
    assert_eq!(app.events("sms.message.delivery").await.len(), 4, "the first final word stands");
    // A report on a text never sent (99, above) is dropped once a day old.
    let kept = || async {
        sqlx::query_scalar::<_, String>("SELECT provider_id FROM sms_early_deliveries ORDER BY provider_id")
            .fetch_all(app.db.pool())
            .await
            .unwrap()
    };
    assert_eq!(kept().await, [format!("SM{:0>32}", 99)]);
    sqlx::query("UPDATE sms_early_deliveries SET received_at = received_at - 2 * 86400")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(deliver(report("98", "delivered", "")).await, 200);
    assert_eq!(kept().await, [format!("SM{:0>32}", 98)]);

    // Turned off: reports are refused.
    let off = [("form[enabled]", "false")];
    assert_eq!(app.call(&owner, "integrations/save-sms", &off).await.status(), 200);
    assert_eq!(deliver(report("2", "delivered", "")).await, 404);
}

/// The bytes of the fake Twilio's one picture.
const PICTURE: &[u8] = b"\x89PNG\r\n\x1a\n a picture";

async fn pictures_sent_with_a_text_are_shown_to_admins_through_this_server(backend: Backend) {
    let twilio = FakeTwilio::default();
    let base_url = twilio.start().await;
    let app = spawn_app_with(backend, &[("CHANGEMAKER_TWILIO_API_BASE", &base_url)]).await;
    app.create_user("owner@example.org", Role::SuperAdmin, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let owner = app.signed_in("owner@example.org").await;
    assert_eq!(app.call(&owner, "integrations/save-sms", &SENDING_SETTINGS).await.status(), 200);
    let media_base = format!("{base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{:0>32}/Media", 1);
    let with_media = |sid_end: &str, files: &[(&str, &str)]| {
        let mut params = text(sid_end, "+15551234567", "");
        params.retain(|(k, _)| k != "NumMedia");
        params.push(("NumMedia".into(), files.len().to_string()));
        for (n, (url, content_type)) in files.iter().enumerate() {
            params.push((format!("MediaUrl{n}"), url.to_string()));
            params.push((format!("MediaContentType{n}"), content_type.to_string()));
        }
        params
    };
    let send = |params: Vec<(String, String)>| {
        let app = &app;
        async move { post(app, &params, Some(signed_with(AUTH_TOKEN, app, &params).await)).await }
    };

    // Not files at Twilio: refused, nothing kept.
    let picture = format!("{media_base}/ME1");
    let elsewhere = "https://pictures.example.org/ME1";
    let eleven: Vec<(&str, &str)> = (0..11).map(|_| (picture.as_str(), "image/png")).collect();
    for (params, why) in [
        (with_media("1", &[(elsewhere, "image/png")]), "MediaUrl"),
        (with_media("1", &[(picture.as_str(), "image png")]), "MediaContentType"),
        (with_media("1", &eleven), "NumMedia"),
    ] {
        let (status, body) = send(params).await;
        assert_eq!((status, body.contains(why)), (422, true), "{body}");
    }
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    assert_eq!(inbox["count"], 0);

    // A picture and a file: listed with the text, each fetched through this server.
    let document = format!("{media_base}/ME2");
    let files = [(picture.as_str(), "image/png"), (document.as_str(), "Application/PDF")];
    assert_eq!(send(with_media("1", &files)).await.0, 200);
    let inbox = ok_json(app.call(&owner, "sms/messages", &[]).await).await;
    let id = inbox["rows"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        inbox["rows"][0]["media"],
        json!([
            { "content_type": "image/png", "path": app::sms::media_path(&id, 0) },
            { "content_type": "application/pdf", "path": app::sms::media_path(&id, 1) },
        ])
    );
    let fetch = |client: reqwest::Client, path: String| {
        let app = &app;
        async move { client.get(app.url(&path)).send().await.unwrap() }
    };
    let shown = fetch(owner.clone(), app::sms::media_path(&id, 0)).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(
        (&shown.headers()["content-type"], &shown.headers()["content-disposition"]),
        (&"image/png".parse::<reqwest::header::HeaderValue>().unwrap(), &"inline".parse().unwrap())
    );
    assert_eq!(shown.headers()["x-content-type-options"], "nosniff");
    assert_eq!(shown.headers()["content-security-policy"], "sandbox");
    assert_eq!(shown.bytes().await.unwrap().as_ref(), PICTURE);
    // The fake has no second file: Twilio's refusal is passed on as unavailable.
    assert_eq!(fetch(owner.clone(), app::sms::media_path(&id, 1)).await.status(), 502);
    assert_eq!(fetch(owner.clone(), app::sms::media_path(&id, 2)).await.status(), 404);
    assert_eq!(fetch(owner.clone(), app::sms::media_path("nope", 0)).await.status(), 404);
    // Admins only.
    assert_eq!(fetch(app.client(), app::sms::media_path(&id, 0)).await.status(), 401);
    let sam = app.signed_in("sam@example.org").await;
    assert_eq!(fetch(sam, app::sms::media_path(&id, 0)).await.status(), 403);
    // Texts turned off: nothing is fetched.
    let off = [("form[enabled]", "false")];
    assert_eq!(app.call(&owner, "integrations/save-sms", &off).await.status(), 200);
    assert_eq!(fetch(owner.clone(), app::sms::media_path(&id, 0)).await.status(), 409);
}
