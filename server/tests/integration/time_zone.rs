//! The organisation's time zone on the admin pages outside shifts, on both databases: every
//! time an admin reads (email queue, event log, payment audit log, contacts, campaigns,
//! accounts, re-engagement) is local, and their date filters and charts use local days.

use crate::common::TestApp;
use app::time_zone::Zone;
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(admin_pages_read_times_in_the_organisations_time_zone);

/// `date` at `hh:mm` UTC, in Unix seconds.
fn utc(date: &str, time: &str) -> i64 {
    app::time::unix_from_date_time(date, time).unwrap()
}

/// Runs `sql` with `$1` the instant `at` and `$2`, `$3`… the texts.
async fn exec(app: &TestApp, sql: &str, at: i64, texts: &[&str]) {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(at);
    for text in texts {
        query = query.bind(*text);
    }
    query.execute(app.db.pool()).await.unwrap();
}

async fn admin_pages_read_times_in_the_organisations_time_zone(app: TestApp) {
    app.create_user("admin@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let auckland = [("time_zone", "Pacific/Auckland")];
    assert_eq!(app.call(&admin, "admin/save-time-zone", &auckland).await.status(), 200);
    let read = |endpoint: &'static str, args: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call(&admin, endpoint, &args).await;
            assert_eq!(res.status(), 200, "{endpoint} {args:?}");
            res.json::<Value>().await.unwrap()
        }
    };

    // 20:30 UTC on 14 January is 09:30 on the 15th in Auckland (NZDT, +13); 10:00 UTC is
    // 23:00 on the 14th there.
    let morning = utc("2026-01-14", "20:30");
    let evening = utc("2026-01-14", "10:00");

    // The email queue: when each was queued and sent.
    exec(
        &app,
        "INSERT INTO email_outbox (id, to_address, subject, body, status, next_attempt_at, created_at, sent_at) \
         VALUES ('m1', 'jo@example.org', 'Hello', 'Body', 'SENT', 0, $1, $1 + 60)",
        morning,
        &[],
    )
    .await;
    let queue = read("email/queue", vec![]).await;
    assert_eq!(queue["emails"][0]["queued"], "2026-01-15 09:30 NZDT");
    assert_eq!(queue["emails"][0]["sent"], "2026-01-15 09:31 NZDT");
    let html = app.page(&admin, "/admin/emails").await;
    assert!(html.contains("2026-01-15 09:30 NZDT") && html.contains("Sent 2026-01-15 09:31 NZDT"), "{html}");

    // The event log: each event's local time (its UTC time kept alongside), and From/To as
    // local days.
    for (seq, topic, at) in [(900_001_i64, "system.test", evening), (900_002, "contact.created", morning)] {
        sqlx::query(
            "INSERT INTO event_log (seq, id, topic, actor, occurred_at, payload) VALUES ($1, $2, $3, 'system', $4, '{}')",
        )
        .bind(seq)
        .bind(format!("e{seq}"))
        .bind(topic)
        .bind(app::events::rfc3339_from_unix_ms(at * 1000))
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    let log = |from: &'static str, to: &'static str| {
        read(
            "observability/event-log",
            vec![("filter[page]", "1".into()), ("filter[from]", from.into()), ("filter[to]", to.into())],
        )
    };
    let logged = |page: Value| -> Vec<(String, String)> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"].as_str().unwrap().starts_with("e9000"))
            .map(|r| (r["topic"].as_str().unwrap().to_string(), r["when"].as_str().unwrap().to_string()))
            .collect()
    };
    let both = log("", "").await;
    assert_eq!(
        logged(both.clone()),
        [
            ("contact.created".to_string(), "2026-01-15 09:30 NZDT".to_string()),
            ("system.test".to_string(), "2026-01-14 23:00 NZDT".to_string())
        ]
    );
    assert_eq!(both["rows"][0]["occurred_at"], "2026-01-14T20:30:00.000Z", "the event's own time is kept");
    assert_eq!(
        logged(log("2026-01-15", "2026-01-15").await),
        [("contact.created".into(), "2026-01-15 09:30 NZDT".into())]
    );
    assert_eq!(
        logged(log("2026-01-14", "2026-01-14").await),
        [("system.test".into(), "2026-01-14 23:00 NZDT".into())]
    );
    let res = app
        .call(
            &admin,
            "observability/event-log",
            &[("filter[page]", "1"), ("filter[from]", "2026-01-15"), ("filter[to]", "2026-01-14")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("The end date is before the start date."));
    let html = app.page(&admin, "/admin/events/log?from=2026-01-15&to=2026-01-15").await;
    assert!(html.contains("2026-01-15 09:30 NZDT") && !html.contains("2026-01-14 23:00 NZDT"), "{html}");
    assert!(!html.contains("(UTC)"), "the filters are no longer UTC: {html}");

    // The payment audit log, the same way.
    for (action, at) in [("checkout.started", evening), ("settings.saved", morning)] {
        exec(
            &app,
            "INSERT INTO payment_audit_log (at, actor, action, entity, outcome) VALUES ($1, 'system', $2, 'x', 'ok')",
            at * 1000,
            &[action],
        )
        .await;
    }
    let audit = |from: &'static str, to: &'static str| {
        read("payments/audit-log", vec![("filter[from]", from.into()), ("filter[to]", to.into())])
    };
    let rows = |page: Value| -> Vec<(String, String)> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["action"].as_str().unwrap().to_string(), r["at"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        rows(audit("2026-01-15", "").await),
        [("settings.saved".into(), "2026-01-15 09:30 NZDT".into())]
    );
    assert_eq!(
        rows(audit("", "2026-01-14").await),
        [("checkout.started".into(), "2026-01-14 23:00 NZDT".into())]
    );
    assert_eq!(
        app.call(
            &admin,
            "payments/audit-log",
            &[("filter[page]", "1"), ("filter[from]", "2026-01-15"), ("filter[to]", "2026-01-14")]
        )
        .await
        .status(),
        422
    );

    // A contact: the day they were added, their timeline.
    exec(
        &app,
        "INSERT INTO contacts (id, email, name, source, created_at, updated_at) VALUES ('c1', 'jo@example.org', 'Jo', 'TEST', $1, $1)",
        morning,
        &[],
    )
    .await;
    exec(
        &app,
        "INSERT INTO contact_activity (id, event_id, contact_id, topic, summary, points, occurred_at) \
         VALUES ('a1', 'e1', 'c1', 'contact.created', 'Added', 1, $1)",
        morning,
        &[],
    )
    .await;
    let contacts = read("contacts/list", vec![("filter[search]", "jo@".into())]).await;
    assert_eq!(contacts["rows"][0]["created"], "2026-01-15");
    let contact = read("contacts/get", vec![("id", "c1".into())]).await;
    assert_eq!(contact["contact"]["created"], "2026-01-15");
    assert_eq!(contact["activity"][0]["at"], "2026-01-15 09:30 NZDT");
    let queued = contact["emails"].as_array().unwrap().iter().find(|e| e["kind"] == "outbox").unwrap();
    assert_eq!(queued["at"], "2026-01-15 09:30 NZDT");
    // The export keeps UTC, as its column says.
    let csv = admin.get(app.url("/api/contacts.csv")).send().await.unwrap().text().await.unwrap();
    assert!(
        csv.starts_with("name,email,phone,source,tags,engagement_score,created_utc,unsubscribed_utc\n"),
        "{csv}"
    );
    assert!(csv.contains("\"2026-01-14\""), "{csv}");

    // A campaign: its supporters' times, and emails per local day. One sent an hour before
    // today's UTC midnight was sent today in Auckland.
    let zone = Zone::parse("Pacific/Auckland").unwrap();
    let now = app::db::now_unix();
    let sent = now.div_euclid(86_400) * 86_400 - 3600;
    exec(
        &app,
        "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
         email_template, status, emails_sent, created_at, updated_at) \
         VALUES ('k1', 'k1', 'Clean air', '', '', '', '[]', 'S', 'T', 'ACTIVE', 1, $1, $1)",
        morning,
        &[],
    )
    .await;
    exec(
        &app,
        "INSERT INTO campaign_emails (id, campaign_id, contact_id, supporter_name, supporter_email, postal_code, \
         message, recipient_count, created_at) VALUES ('s1', 'k1', 'c1', 'Jo', 'jo@example.org', 'K1A', '', 1, $1)",
        sent,
        &[],
    )
    .await;
    let campaigns = read("campaigns/list", vec![]).await;
    assert_eq!(campaigns["rows"][0]["created"], "2026-01-15");
    let campaign = read("campaigns/get", vec![("id", "k1".into())]).await;
    assert_eq!(campaign["supporters"][0]["at"], zone.stamp(sent));
    let per_day: Vec<(String, i64)> = serde_json::from_value(campaign["emails_per_day"].clone()).unwrap();
    let counted: Vec<&(String, i64)> = per_day.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(counted, [&(zone.date(sent), 1)]);
    assert_ne!(zone.date(sent), app::time::date_time_from_unix(sent).0, "a different day in UTC");
    assert_eq!(per_day.last().unwrap().0, zone.date(now), "the last day is today in Auckland");

    // Accounts: the day each was made, and a temporary account's last day ends at local
    // midnight.
    exec(&app, "UPDATE users SET created_at = $1", morning, &[]).await;
    let users = read("users/list", vec![]).await;
    assert_eq!(users["users"][0]["created"], "2026-01-15");
    let last_day = zone.date(now + 10 * 86_400);
    let temp = [
        ("form[email]", "temp@example.org"),
        ("form[display_name]", "Temp"),
        ("form[password]", "a long enough password"),
        ("form[role]", "TEMP"),
        ("form[expires]", last_day.as_str()),
    ];
    let made = app.call(&admin, "users/create", &temp).await;
    assert_eq!(made.status(), 200);
    assert_eq!(made.json::<Value>().await.unwrap()["expires"], last_day.as_str());
    let expires_at: i64 = sqlx::query_scalar("SELECT expires_at FROM users WHERE email = 'temp@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let next_day = app::time::parse_date(&last_day).unwrap() + 1;
    assert_eq!(expires_at, zone.day_start(next_day) - 1);

    // Re-engagement: the day each idle contact was last active.
    let idle = read("reengagement/preview", vec![("idle_days", "1".into())]).await;
    let jo = idle["contacts"].as_array().unwrap().iter().find(|c| c["email"] == "jo@example.org").unwrap();
    assert_eq!(jo["last_active"], "2026-01-15");
}
