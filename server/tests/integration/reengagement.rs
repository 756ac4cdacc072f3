//! Re-engagement over HTTP, on both databases: who counts as idle, the email through the
//! queue to a fake SMTP server, the window, and who may do it.

use crate::common::smtp::{FakeSmtp, decode_quoted_printable};
use crate::common::{TestApp, eventually, redirected_to};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    idle_contacts_get_the_email_once_within_the_window,
    bad_sends_change_nothing_and_two_sends_at_once_reach_each_contact_once,
    reengagement_functions_check_the_role,
    the_unsubscribe_link_in_each_email_stops_the_next_ones,
);

const DAY: i64 = 24 * 3600;

async fn admin(app: &TestApp) -> reqwest::Client {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.signed_in("admin@example.org").await
}

/// A contact added `age_days` ago, with one activity `active_days` ago if given.
async fn contact(app: &TestApp, email: &str, name: &str, age_days: i64, active_days: Option<i64>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let now = app::db::now_unix();
    sqlx::query(
        "INSERT INTO contacts (id, email, name, source, created_at, updated_at) VALUES ($1, $2, $3, 'TEST', $4, $4)",
    )
    .bind(&id)
    .bind(email)
    .bind(name)
    .bind(now - age_days * DAY)
    .execute(app.db.pool())
    .await
    .unwrap();
    if let Some(days) = active_days {
        sqlx::query(
            "INSERT INTO contact_activity (id, event_id, contact_id, topic, summary, points, occurred_at) \
             VALUES ($1, $1, $2, 'shift.signup.created', 'Signed up', 20, $3)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&id)
        .bind(now - days * DAY)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    id
}

async fn preview(app: &TestApp, client: &reqwest::Client, days: &str) -> reqwest::Response {
    app.call(client, "reengagement/preview", &[("idle_days", days)]).await
}

async fn send(app: &TestApp, client: &reqwest::Client, days: &str, subject: &str) -> reqwest::Response {
    let form = [
        ("form[idle_days]", days),
        ("form[subject]", subject),
        ("form[message]", "Hi {{ name }},\nit has been a while. {{organisation}} misses you."),
    ];
    app.call(client, "reengagement/send", &form).await
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db.pool()).await.unwrap()
}

/// Three fixtures: idle (never active, added 200 days ago), lapsed (last active 120 days
/// ago), active (10 days ago); plus a newcomer added today.
async fn fixtures(app: &TestApp) -> (String, String) {
    let idle = contact(app, "idle@example.org", "Ida Idle", 200, None).await;
    let lapsed = contact(app, "lapsed@example.org", "Lars Lapsed", 300, Some(120)).await;
    contact(app, "active@example.org", "Ari Active", 300, Some(10)).await;
    contact(app, "new@example.org", "Nia New", 0, None).await;
    (idle, lapsed)
}

async fn idle_contacts_get_the_email_once_within_the_window(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    let admin = admin(&app).await;
    crate::email::configure_smtp(&app, &admin, smtp.port).await;
    let (idle, lapsed) = fixtures(&app).await;

    let res = preview(&app, &admin, "90").await;
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.unwrap();
    assert_eq!((p["count"].as_i64(), p["window_days"].as_i64()), (Some(2), Some(30)));
    assert_eq!(p["unsubscribed"], 0);
    // The longest idle first: the lapsed contact was added earlier but was active since.
    let listed: Vec<&str> =
        p["contacts"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [idle.as_str(), lapsed.as_str()]);
    assert_eq!(preview(&app, &admin, "150").await.json::<Value>().await.unwrap()["count"], 1);
    assert_eq!(preview(&app, &admin, "5").await.json::<Value>().await.unwrap()["count"], 3);

    let res = send(&app, &admin, "90", "We miss you, {{name}}").await;
    assert_eq!(res.status(), 200);
    let job = app.finished_job(&admin, &res.json::<String>().await.unwrap()).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!(job["result"]["counts"], serde_json::json!([["sent", 2], ["skipped", 0]]));
    assert_eq!(job["result"]["summary"], "Queued 2 emails.", "what the page says when it is done");

    // Each gets their own email with the placeholders filled.
    eventually("both emails arrive", || async { smtp.messages().len() == 2 }).await;
    let messages = smtp.messages();
    let to_ida = messages.iter().find(|m| m.recipients == ["idle@example.org"]).expect("Ida's email");
    let text = decode_quoted_printable(&to_ida.data);
    assert!(text.contains("Subject: We miss you, Ida Idle"), "{text}");
    assert!(text.contains("Hi Ida Idle,"), "{text}");
    assert!(text.contains("Changemaker misses you."), "{text}");
    assert!(messages.iter().any(|m| m.recipients == ["lapsed@example.org"]));

    let sent = app.events("reengagement.sent").await;
    assert_eq!(sent.len(), 2);
    let ida = sent.iter().find(|e| e["contact_id"] == idle.as_str()).expect("Ida's event");
    assert_eq!(
        (ida["email"].as_str(), ida["subject"].as_str()),
        (Some("idle@example.org"), Some("We miss you, Ida Idle"))
    );
    // The contact's page lists the email.
    let detail: Value =
        app.call(&admin, "contacts/get", &[("id", idle.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["emails"][0]["about"], "We miss you, Ida Idle");

    // Within the window nobody is re-engaged again.
    assert_eq!(preview(&app, &admin, "90").await.json::<Value>().await.unwrap()["count"], 0);
    let res = send(&app, &admin, "90", "Again").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("No contact is idle"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM reengagement_sends").await, 2);

    // The window is configurable: at 7 days, a send 10 days ago no longer holds them back.
    let res = app.call(&admin, "reengagement/window/save", &[("days", "7")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.call(&admin, "reengagement/window", &[]).await.json::<i64>().await.unwrap(), 7);
    sqlx::query("UPDATE reengagement_sends SET sent_at = sent_at - $1")
        .bind(10 * DAY)
        .execute(app.db.pool())
        .await
        .unwrap();
    let p: Value = preview(&app, &admin, "90").await.json().await.unwrap();
    assert_eq!((p["count"].as_i64(), p["window_days"].as_i64()), (Some(2), Some(7)));
    for bad in ["0", "366", "seven", ""] {
        let res = app.call(&admin, "reengagement/window/save", &[("days", bad)]).await;
        assert_eq!(res.status(), 422, "{bad}");
    }
    assert_eq!(app.call(&admin, "reengagement/window", &[]).await.json::<i64>().await.unwrap(), 7);
}

async fn bad_sends_change_nothing_and_two_sends_at_once_reach_each_contact_once(app: TestApp) {
    let admin = admin(&app).await;
    fixtures(&app).await;
    for (days, subject, field) in [
        ("0", "Hello", "days"),
        ("4000", "Hello", "days"),
        ("90", "", "subject"),
        ("90", "Hello {{nickname}}", "Unknown placeholder {{nickname}}"),
        ("90", "Hello {{name", "not closed"),
        ("90", &"x".repeat(201), "at most 200"),
    ] {
        let res = send(&app, &admin, days, subject).await;
        assert_eq!(res.status(), 422, "{subject}");
        let text = res.text().await.unwrap();
        assert!(text.contains(field), "{field}: {text}");
    }
    assert_eq!(preview(&app, &admin, "0").await.status(), 422);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM email_outbox").await, 0);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM jobs").await, 0);

    // Two admins press send at the same moment: each contact is emailed once.
    let (a, b) = tokio::join!(send(&app, &admin, "90", "First"), send(&app, &admin, "90", "Second"));
    let mut sent = 0;
    for res in [a, b] {
        if res.status() == 200 {
            let job = app.finished_job(&admin, &res.json::<String>().await.unwrap()).await;
            assert_eq!(job["status"], "DONE", "{job}");
            sent += job["result"]["counts"][0][1].as_i64().unwrap();
        } else {
            assert_eq!(res.status(), 422);
        }
    }
    assert_eq!(sent, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM reengagement_sends").await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM email_outbox").await, 2);
    assert_eq!(app.events("reengagement.sent").await.len(), 2);
}

async fn reengagement_functions_check_the_role(app: TestApp) {
    fixtures(&app).await;
    let admin = admin(&app).await;
    for (email, role) in [
        ("vol@example.org", Role::Volunteer),
        ("pay@example.org", Role::PaymentsAdmin),
        ("super@example.org", Role::SuperAdmin),
    ] {
        app.create_user(email, role, UserStatus::Active).await;
    }
    let volunteer = app.signed_in("vol@example.org").await;
    let payments = app.signed_in("pay@example.org").await;
    let superadmin = app.signed_in("super@example.org").await;
    let anonymous = app.client();
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("reengagement/preview", vec![("idle_days", "90")]),
        ("reengagement/window", vec![]),
        ("reengagement/window/save", vec![("days", "14")]),
        (
            "reengagement/send",
            vec![("form[idle_days]", "90"), ("form[subject]", "Hi"), ("form[message]", "Hello")],
        ),
    ];
    for (endpoint, args) in &calls {
        assert_eq!(app.call(&anonymous, endpoint, args).await.status(), 401, "{endpoint}");
        assert_eq!(app.call(&volunteer, endpoint, args).await.status(), 403, "{endpoint}");
        assert_eq!(app.call(&payments, endpoint, args).await.status(), 403, "{endpoint}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM jobs").await, 0);
    for client in [&admin, &superadmin] {
        for (endpoint, args) in &calls[..3] {
            assert_eq!(app.call(client, endpoint, args).await.status(), 200, "{endpoint}");
        }
    }
    let res = app.call(&superadmin, calls[3].0, &calls[3].1).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.finished_job(&admin, &res.json::<String>().await.unwrap()).await["status"], "DONE");
}

/// Every re-engagement email ends with the contact's own unsubscribe link. Opening it changes
/// nothing; its button stops later sends to them (and only them), a merge keeps it, and a
/// link that is not ours is refused.
async fn the_unsubscribe_link_in_each_email_stops_the_next_ones(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    let admin = admin(&app).await;
    crate::email::configure_smtp(&app, &admin, smtp.port).await;
    let (idle, lapsed) = fixtures(&app).await;
    let res = send(&app, &admin, "90", "We miss you").await;
    let job = app.finished_job(&admin, &res.json::<String>().await.unwrap()).await;
    assert_eq!(job["result"]["counts"], serde_json::json!([["sent", 2], ["skipped", 0]]));
    eventually("both emails arrive", || async { smtp.messages().len() == 2 }).await;
    let to_ida = smtp.messages().into_iter().find(|m| m.recipients == ["idle@example.org"]).unwrap();
    let text = decode_quoted_printable(&to_ida.data);
    assert!(text.contains("To get no more emails like this from Changemaker: "), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/unsubscribe?token=") && !w.contains("/api/"))
        .expect(&text);
    let page = &link[link.find("/unsubscribe").unwrap()..];
    let token = page.trim_start_matches("/unsubscribe?token=");
    // Mail apps offer the same in one click (RFC 8058); headers are not quoted-printable.
    let headers = &to_ida.data;
    assert!(
        headers.contains(&format!("List-Unsubscribe: <{}/api/unsubscribe?token={token}>", app.url(""))),
        "{headers}"
    );
    assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{headers}");

    let html = app.page(&app.client(), page).await;
    assert!(html.contains("Stop emails like this from Changemaker to i•••@example.org?"), "{html}");
    let unsubscribed_at = "SELECT COUNT(*) FROM contacts WHERE unsubscribed_at IS NOT NULL";
    assert_eq!(scalar(&app, unsubscribed_at).await, 0, "opening the link changes nothing");

    // Links that are not ours: a made-up signature, or Ida's signature on another contact.
    let signature = token.split_once('.').unwrap().1;
    for wrong in [format!("{idle}.AAAA"), format!("{lapsed}.{signature}"), "nonsense".to_string()] {
        let res = app.call(&app.client(), "contacts/unsubscribe", &[("token", wrong.as_str())]).await;
        assert_eq!(res.status(), 404, "{wrong}");
        let res = app.client().get(app.url(&format!("/unsubscribe?token={wrong}"))).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("This unsubscribe link is not valid."));
    }
    assert_eq!(scalar(&app, unsubscribed_at).await, 0);

    // Sent by the browser itself, it lands on the page, which now says it is done.
    let res = app.post_as_browser(&app.client(), "contacts/unsubscribe", page, &[("token", token)]).await;
    let done = redirected_to(&res);
    assert!(
        app.page(&app.client(), &done).await.contains("Done: i•••@example.org gets no more emails like this")
    );
    assert_eq!(
        app.call(&app.client(), "contacts/unsubscribe", &[("token", token)]).await.status(),
        200,
        "again"
    );
    assert_eq!(scalar(&app, unsubscribed_at).await, 1);
    // Pressed by mistake: the same link subscribes her again (and only with a true link).
    let wrong = format!("{lapsed}.{signature}");
    assert_eq!(
        app.call(&app.client(), "contacts/resubscribe", &[("token", wrong.as_str())]).await.status(),
        404
    );
    assert_eq!(scalar(&app, unsubscribed_at).await, 1);
    assert_eq!(app.call(&app.client(), "contacts/resubscribe", &[("token", token)]).await.status(), 200);
    assert_eq!(scalar(&app, unsubscribed_at).await, 0);
    assert!(app.page(&app.client(), page).await.contains("Stop emails like this"), "the question again");
    assert_eq!(app.call(&app.client(), "contacts/unsubscribe", &[("token", token)]).await.status(), 200);
    assert_eq!(scalar(&app, unsubscribed_at).await, 1);
    let detail: Value =
        app.call(&admin, "contacts/get", &[("id", idle.as_str())]).await.json().await.unwrap();
    assert!(detail["contact"]["unsubscribed"].is_string(), "{detail}");
    // The export carries it, so that a list kept elsewhere can respect it too.
    let csv = admin.get(app.url("/api/contacts.csv")).send().await.unwrap().text().await.unwrap();
    let today = app::time_zone::Zone::UTC.date(app::db::now_unix());
    let ida_row = csv.lines().find(|l| l.contains("idle@example.org")).unwrap();
    assert!(ida_row.ends_with(&format!(",\"{today}\"")), "{ida_row}");

    // The lapsed contact presses their mail app's "Unsubscribe": it posts to the header's
    // address. Opened in a browser, the address leads to the page, which asks first.
    let to_lars = smtp.messages().into_iter().find(|m| m.recipients == ["lapsed@example.org"]).unwrap();
    let one_click = to_lars
        .data
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap()
        .trim_end_matches('>');
    let opened = app.client().get(one_click).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    assert!(opened.headers()["location"].to_str().unwrap().starts_with("/unsubscribe?token="));
    assert_eq!(scalar(&app, unsubscribed_at).await, 1, "opening it changes nothing");
    let wrong =
        app.client().post(app.url(&format!("/api/unsubscribe?token={idle}.AAAA"))).send().await.unwrap();
    assert_eq!(wrong.status(), 404);
    let pressed = reqwest::Client::new()
        .post(one_click)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status(), 200);
    assert_eq!(scalar(&app, unsubscribed_at).await, 2);
    // Told to the bus once, for the newsletter to follow, however often it is pressed.
    let again =
        reqwest::Client::new().post(one_click).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(again.status(), 200);
    let told = app.events("contact.unsubscribed").await;
    assert_eq!(told.len(), 3, "Ida's two leavings (she came back between) and Lars': {told:?}");
    assert_eq!(
        (told[2]["email"].as_str(), told[2]["source"].as_str()),
        (Some("lapsed@example.org"), Some("LINK"))
    );
    // He takes it back on the page, so the next send reaches him again.
    let lars_token = one_click.split_once("?token=").unwrap().1;
    let rejoined = app.call(&app.client(), "contacts/resubscribe", &[("token", lars_token)]).await;
    assert_eq!(rejoined.status(), 200);
    assert_eq!(scalar(&app, unsubscribed_at).await, 1);
    // Told once too, however often it is pressed (Ida came back once before).
    let again = app.call(&app.client(), "contacts/resubscribe", &[("token", lars_token)]).await;
    assert_eq!(again.status(), 200);
    let back = app.events("contact.resubscribed").await;
    assert_eq!(back.len(), 2, "Ida's and Lars' comebacks: {back:?}");
    assert_eq!(back[1]["email"].as_str(), Some("lapsed@example.org"));

    // Past the window, the next send reaches the lapsed contact and not Ida.
    sqlx::query("UPDATE reengagement_sends SET sent_at = sent_at - $1")
        .bind(60 * DAY)
        .execute(app.db.pool())
        .await
        .unwrap();
    let p: Value = preview(&app, &admin, "90").await.json().await.unwrap();
    assert_eq!(
        (p["count"].as_i64(), p["unsubscribed"].as_i64()),
        (Some(1), Some(1)),
        "Ida is counted as left out"
    );
    let res = send(&app, &admin, "90", "Still here").await;
    let job = app.finished_job(&admin, &res.json::<String>().await.unwrap()).await;
    assert_eq!(job["result"]["counts"], serde_json::json!([["sent", 1], ["skipped", 0]]));
    eventually("the third email arrives", || async { smtp.messages().len() == 3 }).await;
    assert_eq!(smtp.messages()[2].recipients, ["lapsed@example.org"]);

    // Merged into another contact of hers, her unsubscribing holds.
    let work = contact(&app, "ida.work@example.org", "Ida Idle", 200, None).await;
    let merge = [("survivor", work.as_str()), ("duplicate_email", "idle@example.org")];
    assert_eq!(app.call(&admin, "contacts/merge", &merge).await.status(), 200);
    let detail: Value =
        app.call(&admin, "contacts/get", &[("id", work.as_str())]).await.json().await.unwrap();
    assert!(detail["contact"]["unsubscribed"].is_string(), "{detail}");
}
