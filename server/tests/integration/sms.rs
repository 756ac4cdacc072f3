//! Text messages over HTTP, on both databases: Twilio's settings saved (the auth token
//! encrypted, never shown), texts received at `/api/webhooks/sms` only with Twilio's signature,
//! once per message, matched to a contact by phone, read for sentiment, opting out and back in,
//! published as `sms.message.received`, and listed in the inbox.

use crate::common::{TestApp, eventually};
use app::events::Actor;
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(texts_are_received_only_from_twilio_once_each_and_read_in_the_inbox);

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "f00dbabe0123456789abcdef01234567";

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
    let mut request = app.client().post(app.url("/api/webhooks/sms")).form(params);
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
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT entity FROM admin_audit_log WHERE action = 'settings.sms.saved'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audit, vec!["changed: enabled, account_sid, auth_token".to_string()]);
    // Saved again with the mask as shown: the token is kept.
    let masked = saved["auth_token"].as_str().unwrap();
    let again = [("form[enabled]", "true"), ("form[account_sid]", ACCOUNT_SID), ("form[auth_token]", masked)];
    assert_eq!(ok_json(app.call(&owner, "integrations/save-sms", &again).await).await, saved);

    // Someone in the CRM with this number, written their own way.
    let bus = app.bus();
    let jo_form = app::contacts::ContactForm {
        name: "Jo".into(),
        email: "jo@example.org".into(),
        phone: "(555) 123-4567".into(),
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
        let detail = app::contacts::service::detail(&app.db, &jo).await.unwrap();
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
    let url = format!("{}{}", app.config.public_url.trim_end_matches('/'), app::sms::WEBHOOK_PATH);
    app::sms::service::twilio_signature(token, &url, params)
}
