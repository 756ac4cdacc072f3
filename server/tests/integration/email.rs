//! Email: SMTP settings with a password that never comes back, the queue written with the
//! change, the worker that sends with retries, and the shift emails, on both databases,
//! against a fake SMTP server.

use app::db;
use app::events::Actor;
use app::shifts::service;
use app::shifts::{ShiftForm, SignupForm, SignupSource};
use app::users::{Role, UserStatus};
use serde_json::Value;

use crate::common::smtp::{FakeSmtp, decode_quoted_printable};
use crate::common::{Backend, TestApp, eventually, spawn_app_custom};

on_both_backends!(
    settings_keep_the_password_secret_and_refuse_bad_input,
    a_sign_up_emails_the_calendar_file_and_a_working_cancel_link,
    without_smtp_the_app_works_and_emails_wait,
    cancellations_promotions_and_messages_are_emailed,
    email_pages_are_for_admins_only,
    sent_emails_are_pruned_after_the_retention_period,
    settings_saved_while_the_worker_reads_them_are_read_whole,
);

on_both_backends_with_own_server!(smtp_down_the_sign_up_succeeds_and_the_email_is_retried);

fn shift_form(title: &str, capacity: &str) -> ShiftForm {
    ShiftForm {
        title: title.into(),
        description: "Bring water.".into(),
        location: "Community hall".into(),
        date: app::time::date_time_from_unix(db::now_unix() + 86_400).0,
        start_time: "09:00".into(),
        end_time: "12:00".into(),
        ends_next_day: false,
        capacity: capacity.into(),
        is_public: true,
        edits: None,
    }
}

pub async fn admin(app: &TestApp) -> reqwest::Client {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.signed_in("admin@example.org").await
}

/// Saves SMTP settings pointing at the fake server on `port` (plain SMTP, with a password).
pub async fn configure_smtp(app: &TestApp, client: &reqwest::Client, port: u16) {
    let port = port.to_string();
    let res = app
        .call(
            client,
            "email/save-settings",
            &[
                ("form[host]", "127.0.0.1"),
                ("form[port]", port.as_str()),
                ("form[tls]", "none"),
                ("form[username]", "mailer"),
                ("form[password]", "hunter2-smtp-secret"),
                ("form[from_name]", "Riverside Action"),
                ("form[from_address]", "team@example.org"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn outbox(app: &TestApp) -> Vec<(String, String, String, i64, Option<String>)> {
    let rows: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT to_address, subject, status, attempts, last_error FROM email_outbox ORDER BY created_at, subject",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    rows
}

async fn settings_keep_the_password_secret_and_refuse_bad_input(app: TestApp) {
    let client = admin(&app).await;
    configure_smtp(&app, &client, 2525).await;
    let res = app.call(&client, "email/settings", &[]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    assert!(!text.contains("hunter2"), "the password came back: {text}");
    let settings: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(settings["password_set"], true);
    assert_eq!(settings["host"], "127.0.0.1");
    // Stored encrypted, not as typed.
    let stored: String = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = 'smtp.password'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("hunter2"));

    // Saving again with the password left blank keeps it.
    let keep = app
        .call(
            &client,
            "email/save-settings",
            &[
                ("form[host]", "smtp.example.org"),
                ("form[port]", "587"),
                ("form[tls]", "starttls"),
                ("form[username]", "mailer"),
                ("form[password]", ""),
                ("form[from_address]", "team@example.org"),
            ],
        )
        .await;
    assert_eq!(keep.status(), 200);
    let kept: Value = keep.json().await.unwrap();
    assert_eq!(kept["password_set"], true);
    assert_eq!(kept["host"], "smtp.example.org");

    // Bad input: field errors, nothing changed.
    let bad = app
        .call(
            &client,
            "email/save-settings",
            &[
                ("form[host]", "smtp example;org"),
                ("form[port]", "70000"),
                ("form[tls]", "maybe"),
                ("form[from_name]", "Evil\r\nBcc: all@example.org"),
                ("form[from_address]", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let errors: Value = bad.json().await.unwrap();
    let text = errors.to_string();
    for field in ["host", "port", "tls", "from_address", "from_name"] {
        assert!(text.contains(&format!("\"{field}\"")), "no error for {field}: {text}");
    }
    let after: Value = app.call(&client, "email/settings", &[]).await.json().await.unwrap();
    assert_eq!(after["host"], "smtp.example.org");

    // Forgetting the password.
    let cleared = app
        .call(
            &client,
            "email/save-settings",
            &[
                ("form[host]", "smtp.example.org"),
                ("form[port]", "587"),
                ("form[tls]", "starttls"),
                ("form[clear_password]", "true"),
                ("form[from_address]", "team@example.org"),
            ],
        )
        .await;
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(cleared["password_set"], false);
}

async fn a_sign_up_emails_the_calendar_file_and_a_working_cancel_link(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    let client = admin(&app).await;
    configure_smtp(&app, &client, smtp.port).await;
    // The test-email button reaches the server.
    let test = app.call(&client, "email/test", &[("to", "admin@example.org")]).await;
    assert_eq!(test.status(), 200, "{}", test.text().await.unwrap());

    let shift = service::create(&app.bus(), &Actor::System, &shift_form("Canvass", "5")).await.unwrap();
    let res = app
        .call(
            &app.client(),
            "shifts/sign-up",
            &[("shift_id", shift.id.as_str()), ("form[name]", "Ana"), ("form[email]", "ana@example.org")],
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("the confirmation arrives", || async {
        smtp.messages().iter().any(|m| m.recipients == ["ana@example.org"])
    })
    .await;
    let message = smtp.messages().into_iter().find(|m| m.recipients == ["ana@example.org"]).unwrap();
    let text = decode_quoted_printable(&message.data);
    assert!(text.contains("Subject: You're signed up: Canvass"), "{text}");
    assert!(text.contains("From: \"Riverside Action\" <team@example.org>"), "{text}");
    assert!(text.contains("filename=\"shift.ics\""), "no calendar attachment: {text}");
    assert!(text.contains("BEGIN:VCALENDAR") || text.contains("QkVHSU46VkNBTEVOREFS"), "{text}");
    // The cancel link is absolute, and it works.
    let start = text.find(&format!("{}/shifts/cancel?token=", app.url(""))).expect("an absolute cancel link");
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let token = link.split("token=").nth(1).unwrap();
    let cancel = app.call(&app.client(), "shifts/cancel", &[("token", token)]).await;
    assert_eq!(cancel.status(), 200);
    assert_eq!(service::get(&app.db, &shift.id).await.unwrap().unwrap().signed_up, 0);
    let sent = outbox(&app).await;
    assert!(sent.iter().any(|e| e.0 == "ana@example.org" && e.2 == "SENT"), "{sent:?}");

    // Without a sender name of its own, an email comes from the organisation by name.
    let organisation = [("organisation_name", "Riverside Tenants"), ("description", "Fair rents.")];
    assert_eq!(app.call(&client, "admin/save-organisation", &organisation).await.status(), 200);
    let port = smtp.port.to_string();
    let unnamed = [
        ("form[host]", "127.0.0.1"),
        ("form[port]", port.as_str()),
        ("form[tls]", "none"),
        ("form[from_name]", ""),
        ("form[from_address]", "team@example.org"),
    ];
    assert_eq!(app.call(&client, "email/save-settings", &unnamed).await.status(), 200);
    let test = app.call(&client, "email/test", &[("to", "second@example.org")]).await;
    assert_eq!(test.status(), 200, "{}", test.text().await.unwrap());
    let message = smtp.messages().into_iter().find(|m| m.recipients == ["second@example.org"]).unwrap();
    assert!(message.data.contains("From: \"Riverside Tenants\" <team@example.org>"), "{}", message.data);
}

async fn without_smtp_the_app_works_and_emails_wait(app: TestApp) {
    let shift = service::create(&app.bus(), &Actor::System, &shift_form("Phone bank", "5")).await.unwrap();
    let form = SignupForm { name: "Bo".into(), email: "bo@example.org".into(), phone: String::new() };
    service::sign_up(&app.bus(), &Actor::System, &shift.id, &form, SignupSource::Public, None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let queued = outbox(&app).await;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].2.as_str(), queued[0].3), ("PENDING", 0), "nothing tried without SMTP");
    let client = admin(&app).await;
    let page: Value = app.call(&client, "email/queue", &[]).await.json().await.unwrap();
    assert_eq!(page["smtp_configured"], false);
    assert_eq!(page["emails"][0]["to_address"], "bo@example.org");
    assert!(page["emails"][0].get("body").is_none(), "the queue never shows bodies (private links)");
    // Trying again now would change nothing: the page says why it waits and offers no retry.
    let html = app.page(&client, "/admin/emails").await;
    assert!(html.contains("Not sent (no SMTP)") && !html.contains("Retry now"), "{html}");

    // Once SMTP is set up the waiting email goes out.
    let smtp = FakeSmtp::start(0).await;
    configure_smtp(&app, &client, smtp.port).await;
    eventually("the waiting email is sent", || async { !smtp.messages().is_empty() }).await;
}

/// The worker reads the settings while an admin saves them: it must see either the old or the
/// new ones, never a mix (the new host with the old port sends to the wrong server and waits a
/// minute to try again).
async fn settings_saved_while_the_worker_reads_them_are_read_whole(app: TestApp) {
    let key = app::secrets::SecretKey::load_or_create(&app.config.data_dir.join("secret.key")).unwrap();
    let settings = |host: &str, port: &str| app::email::EmailSettingsForm {
        host: host.into(),
        port: port.into(),
        tls: "none".into(),
        username: format!("user-{host}"),
        password: String::new(),
        clear_password: false,
        from_name: String::new(),
        from_address: format!("team@{host}"),
        edits: None,
    };
    let (old, new) = (settings("old.example.org", "2525"), settings("new.example.org", "587"));
    app::email::service::save_settings(&app.db, &key, &old).await.unwrap();
    let saves = async {
        for form in [&new, &old].into_iter().cycle().take(200) {
            app::email::service::save_settings(&app.db, &key, form).await.unwrap();
        }
    };
    let reads = async {
        let mut mixed = Vec::new();
        for _ in 0..400 {
            let read = app::email::service::load_settings(&app.db, &key).await.unwrap().view();
            let port = if read.host == "old.example.org" { 2525 } else { 587 };
            if (read.port, read.username.as_str(), read.from_address.as_str())
                != (port, format!("user-{}", read.host).as_str(), format!("team@{}", read.host).as_str())
            {
                mixed.push(read);
            }
            tokio::task::yield_now().await;
        }
        mixed
    };
    let ((), mixed) = tokio::join!(saves, reads);
    assert!(
        mixed.is_empty(),
        "{} reads mixed old and new settings, such as {:?}",
        mixed.len(),
        mixed.first()
    );
}

async fn cancellations_promotions_and_messages_are_emailed(app: TestApp) {
    let bus = app.bus();
    let shift = service::create(&bus, &Actor::System, &shift_form("Leafleting", "1")).await.unwrap();
    let person =
        |n: &str| SignupForm { name: n.into(), email: format!("{n}@example.org"), phone: String::new() };
    let first = service::sign_up(&bus, &Actor::System, &shift.id, &person("cy"), SignupSource::Public, None)
        .await
        .unwrap();
    service::sign_up(&bus, &Actor::System, &shift.id, &person("di"), SignupSource::Public, None)
        .await
        .unwrap();
    service::cancel_by_token(&bus, &Actor::System, &first.cancel_token).await.unwrap();
    let client = admin(&app).await;
    let res = app
        .call(
            &client,
            "shifts/email-volunteers",
            &[
                ("shift_id", shift.id.as_str()),
                ("subject", "Meet at the back door"),
                ("body", "See you there."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), 1, "one volunteer is still signed up");
    let subjects: Vec<(String, String)> = outbox(&app).await.into_iter().map(|e| (e.0, e.1)).collect();
    for expected in [
        ("cy@example.org", "You're signed up: Leafleting"),
        ("di@example.org", "You're on the waitlist: Leafleting"),
        ("cy@example.org", "Your sign-up for Leafleting is cancelled"),
        ("di@example.org", "A spot opened: you're signed up for Leafleting"),
        ("di@example.org", "Meet at the back door"),
    ] {
        assert!(
            subjects.iter().any(|(to, subject)| to == expected.0 && subject == expected.1),
            "missing {expected:?} in {subjects:?}"
        );
    }
    // An empty message is refused and queues nothing.
    let before = outbox(&app).await.len();
    let bad = app
        .call(
            &client,
            "shifts/email-volunteers",
            &[("shift_id", shift.id.as_str()), ("subject", ""), ("body", "")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(outbox(&app).await.len(), before);
    // Cancelling the shift tells whoever is still signed up.
    service::cancel_shift(&bus, &Actor::System, &shift.id).await.unwrap();
    let last = outbox(&app).await;
    assert_eq!(last.len(), before + 1);
    assert!(last.iter().any(|e| e.0 == "di@example.org" && e.1 == "Cancelled: Leafleting"), "{last:?}");
}

async fn email_pages_are_for_admins_only(app: TestApp) {
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let settings = [
        ("form[host]", "smtp.example.org"),
        ("form[port]", "587"),
        ("form[tls]", "starttls"),
        ("form[from_address]", "team@example.org"),
    ];
    let calls: [(&str, &[(&str, &str)]); 5] = [
        ("email/settings", &[]),
        ("email/queue", &[]),
        ("email/retry", &[("id", "x")]),
        ("email/test", &[("to", "a@example.org")]),
        ("email/save-settings", &settings),
    ];
    for (endpoint, fields) in calls {
        assert_eq!(app.call(&app.client(), endpoint, fields).await.status(), 401, "{endpoint} anonymous");
        assert_eq!(app.call(&volunteer, endpoint, fields).await.status(), 403, "{endpoint} volunteer");
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = 'smtp.host'")
        .fetch_optional(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, None, "refused calls change nothing");
}

async fn smtp_down_the_sign_up_succeeds_and_the_email_is_retried(backend: Backend) {
    let app = spawn_app_custom(
        backend,
        &[("CHANGEMAKER_EMAIL_RETRY_SCHEDULE", "1s,1s,1s,1s,1s")],
        |_| {},
        Vec::new(),
    )
    .await;
    // A port with nobody listening: take a free one and let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = admin(&app).await;
    configure_smtp(&app, &client, port).await;
    let shift = service::create(&app.bus(), &Actor::System, &shift_form("Canvass", "5")).await.unwrap();
    let res = app
        .call(
            &app.client(),
            "shifts/sign-up",
            &[("shift_id", shift.id.as_str()), ("form[name]", "Eve"), ("form[email]", "eve@example.org")],
        )
        .await;
    assert_eq!(res.status(), 200, "the sign-up does not depend on email");
    eventually("a second attempt failed and was recorded", || async {
        outbox(&app).await.first().is_some_and(|e| e.3 >= 2 && e.2 == "PENDING" && e.4.is_some())
    })
    .await;
    // An admin may try it again without waiting for the next attempt.
    assert!(app.page(&client, "/admin/emails").await.contains("Retry now"));
    // The SMTP server comes back: the next attempt delivers.
    let smtp = FakeSmtp::start(port).await;
    eventually("the retried email is delivered", || async { !smtp.messages().is_empty() }).await;
    eventually("the queue says sent", || async { outbox(&app).await.first().is_some_and(|e| e.2 == "SENT") })
        .await;
}

async fn sent_emails_are_pruned_after_the_retention_period(app: TestApp) {
    let now = db::now_unix();
    let retention = app::email::service::SENT_RETENTION_SECS;
    for (id, status, sent_at) in [
        ("old-sent", "SENT", Some(now - retention - 60)),
        ("new-sent", "SENT", Some(now - 60)),
        ("old-failed", "FAILED", None),
        ("waiting", "PENDING", None),
    ] {
        sqlx::query(
            "INSERT INTO email_outbox (id, to_address, subject, body, status, attempts, next_attempt_at, created_at, sent_at) \
             VALUES ($1, 'a@example.org', 'S', 'B', $2, 1, $3, $4, $5)",
        )
        .bind(id)
        .bind(status)
        .bind(now)
        .bind(now - retention - 120)
        .bind(sent_at)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    // The server's hourly housekeeping also prunes (its first round runs at start and may
    // come after the inserts), so the test checks what is left, not who removed it.
    app::email::service::prune_sent(&app.db, retention).await.unwrap();
    let left: Vec<String> =
        sqlx::query_scalar("SELECT id FROM email_outbox ORDER BY id").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(left, ["new-sent", "old-failed", "waiting"]);
}
