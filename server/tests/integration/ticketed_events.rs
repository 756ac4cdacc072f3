//! Ticketed events over HTTP, on both databases: saving, publishing and cancelling, taking
//! free tickets within each tier, checking them in at the door, and the export.

use crate::common::{Backend, TestApp, eventually, spawn_app_custom};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    events_are_checked_saved_published_and_cancelled,
    two_organisers_editing_an_event_cannot_overwrite_each_other_unseen,
    a_late_event_ends_the_next_day,
    taking_tickets_is_rate_limited_per_ip,
    events_admins_stream_only_what_their_pages_show,
    the_public_list_of_events_comes_a_page_at_a_time,
    with_payments_off_only_the_tickets_had_without_paying_are_offered,
    a_tickets_qr_code_opens_its_check_in_with_the_code_filled_in,
    holders_hear_of_a_new_time_or_place_and_are_reminded_the_day_before,
    organisers_choose_when_holders_are_reminded_or_that_they_are_not,
    organisers_email_an_events_ticket_holders,
);

on_both_backends_with_own_server!(
    tickets_are_taken_within_each_tier_and_checked_in_once,
    at_the_door_a_ticket_is_found_by_name_email_or_code_and_checked_in_from_its_row,
);

async fn events_admin(app: &TestApp) -> reqwest::Client {
    app.create_user("door@example.org", Role::EventsAdmin, UserStatus::Active).await;
    app.signed_in("door@example.org").await
}

fn tomorrow() -> String {
    app::time::date_time_from_unix(app::db::now_unix() + 86_400).0
}

fn event_form<'a>(title: &'a str, date: &'a str, tiers: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[title]", title),
        ("form[slug]", ""),
        ("form[description]", "Music, food and friends."),
        ("form[venue]", "Riverside Hall"),
        ("form[date]", date),
        ("form[start_time]", "19:00"),
        ("form[end_time]", "22:00"),
        ("form[tiers]", tiers),
    ]
}

/// An event saved and published by `client`; answers with its id and slug.
async fn published(app: &TestApp, client: &reqwest::Client, title: &str, tiers: &str) -> (String, String) {
    let date = tomorrow();
    let res = app.call(client, "ticketed-events/save", &event_form(title, &date, tiers)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let saved: Value = res.json().await.unwrap();
    let id = saved["id"].as_str().unwrap().to_string();
    assert_eq!(app.call(client, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 200);
    (id, saved["slug"].as_str().unwrap().to_string())
}

async fn two_organisers_editing_an_event_cannot_overwrite_each_other_unseen(app: TestApp) {
    let admin = events_admin(&app).await;
    let (id, _) = published(&app, &admin, "Film night", "Seats | 20").await;
    let date = tomorrow();
    let edit = |title: &'static str, edits: &'static str| {
        let mut form = event_form(title, &date, "Seats | 20");
        form.extend([("id", id.as_str()), ("form[edits]", edits)]);
        form
    };
    let title = || async {
        let event: Value =
            app.call(&admin, "ticketed-events/get", &[("id", id.as_str())]).await.json().await.unwrap();
        event["event"]["title"].as_str().unwrap().to_string()
    };
    // Both open the form; the first to save renames it.
    let first = app.call(&admin, "ticketed-events/save", &edit("Film night: Selma", "0")).await;
    assert_eq!(first.json::<Value>().await.unwrap()["edits"], 1);
    // The second, from the form opened before, is refused: nothing of it is saved or published.
    let second = app.call(&admin, "ticketed-events/save", &edit("Film night", "0")).await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("Someone else saved changes to this event"));
    assert_eq!(title().await, "Film night: Selma");
    let updates: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM event_outbox WHERE topic = 'ticketed-event.updated'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(updates, 1);
    // The form saves again after its own save, which answered the new count.
    let again = app.call(&admin, "ticketed-events/save", &edit("Film night: Selma (1965)", "1")).await;
    assert_eq!(again.json::<Value>().await.unwrap()["edits"], 2);
    assert_eq!(title().await, "Film night: Selma (1965)");
}

/// 26 events a day apart, each with its own number of seats; the public list shows 25 a
/// page, soonest first, each with its own tiers; the dashboard the first five.
async fn the_public_list_of_events_comes_a_page_at_a_time(app: TestApp) {
    let admin = events_admin(&app).await;
    for day in 1..=26 {
        let date = app::time::date_time_from_unix(app::db::now_unix() + day * 86_400).0;
        let (title, tiers) = (format!("Evening {day:02}"), format!("Seats | {day}"));
        let res = app.call(&admin, "ticketed-events/save", &event_form(&title, &date, &tiers)).await;
        let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        assert_eq!(app.call(&admin, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 200);
    }
    let app = &app;
    let page = |n: &'static str| async move {
        let res = app.call(&app.client(), "ticketed-events/public", &[("page", n)]).await;
        assert_eq!(res.status(), 200);
        let list: Value = res.json().await.unwrap();
        let shown: Vec<(String, i64)> = list["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["title"].as_str().unwrap().to_string(), e["tiers"][0]["capacity"].as_i64().unwrap()))
            .collect();
        (shown, list["page"].as_i64().unwrap(), list["has_more"].as_bool().unwrap())
    };
    let (first, number, more) = page("1").await;
    let soonest_first: Vec<(String, i64)> = (1..=25).map(|day| (format!("Evening {day:02}"), day)).collect();
    assert_eq!((first, number, more), (soonest_first, 1, true), "each event with its own tiers");
    assert_eq!(page("2").await, (vec![("Evening 26".to_string(), 26)], 2, false));
    assert_eq!(page("3").await, (vec![], 3, false));

    let html = |path: &'static str| async move {
        app.client().get(app.url(path)).send().await.unwrap().text().await.unwrap()
    };
    let first_page = html("/events").await;
    assert!(first_page.contains("Evening 25") && !first_page.contains("Evening 26"), "{first_page:.3000}");
    assert!(first_page.contains(r#"href="/events?page=2""#), "links the next page");
    let second_page = html("/events?page=2").await;
    assert!(second_page.contains("Evening 26") && second_page.contains("26 tickets left"));
    assert!(second_page.contains(r#"href="/events?page=1""#) && !second_page.contains("Evening 01"));
    let past_the_end = html("/events?page=3").await;
    assert!(
        past_the_end.contains("No more events on this page.")
            && past_the_end.contains(r#"href="/events?page=2""#)
    );

    let coming: Value = app.call(&admin, "ticketed-events/coming", &[]).await.json().await.unwrap();
    let titles: Vec<&str> = coming.as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Evening 01", "Evening 02", "Evening 03", "Evening 04", "Evening 05"]);
}

/// Payments are off (never set up here): an event's page offers its free and pay-what-you-can
/// tickets, and shows the tiers that must be paid for as not on sale, instead of refusing
/// them once the form is filled in; an event with only those offers no form.
async fn with_payments_off_only_the_tickets_had_without_paying_are_offered(app: TestApp) {
    let admin = events_admin(&app).await;
    let tiers = "Seats | 20 | 25\nSolidarity | 10 | pay what you can\nSupporter | 10 | Pay what you can, from 20\nFree seats | 5";
    let (_, mixed) = published(&app, &admin, "Benefit concert", tiers).await;
    let html = app.page(&app.client(), &format!("/events/{mixed}")).await;
    for line in [
        "Seats — $25.00 — not on sale online right now",
        "Supporter — Pay what you can, from $20.00 — not on sale online right now",
        "Solidarity — Pay what you can — 10 tickets left",
        "Free seats — Free — 5 tickets left",
    ] {
        assert!(html.contains(line), "{line}: {html:.4000}");
    }
    let radios: Vec<&str> =
        html.split("<input type=\"radio\"").skip(1).map(|r| &r[..r.find('>').unwrap()]).collect();
    let disabled: Vec<bool> = radios.iter().map(|r| r.contains("disabled")).collect();
    assert_eq!(disabled, [true, false, true, false], "{radios:?}");
    assert!(radios[1].contains("checked"), "the first ticket to be had is chosen");
    // Nothing is paid here: no amount to type, no word of Stripe.
    assert!(!html.contains("What you pay, in dollars") && !html.contains("Stripe"), "{html:.4000}");

    let (id, paid_only) = published(&app, &admin, "Gala dinner", "Seats | 20 | 90").await;
    let html = app.page(&app.client(), &format!("/events/{paid_only}")).await;
    assert!(html.contains("Tickets are not on sale online right now.") && !html.contains("Get my ticket"));
    // The organisers' page of the event says why.
    let why = "Payments are off, so the tickets to pay for are not on sale";
    assert!(app.page(&admin, &format!("/admin/ticketed-events/{id}")).await.contains(why));
    let (free, _) = published(&app, &admin, "Open day", "Seats | 20").await;
    assert!(!app.page(&admin, &format!("/admin/ticketed-events/{free}")).await.contains(why));
}

fn tier_id(event: &Value, name: &str) -> String {
    let tiers = event["tiers"].as_array().unwrap();
    tiers.iter().find(|t| t["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
}

/// A valid ticket's page shows a QR code of the link that checks it in (the event's admin
/// page with the code filled in), so the door scans tickets instead of typing their codes.
async fn a_tickets_qr_code_opens_its_check_in_with_the_code_filled_in(app: TestApp) {
    let door = events_admin(&app).await;
    let (id, slug) = published(&app, &door, "Film night", "General | 5").await;
    let tier = tier_id(&public_event(&app, &slug).await, "General");
    let ticket = |code: String| {
        let app = &app;
        async move {
            let res = app.call(&app.client(), "ticketed-events/ticket", &[("code", code.as_str())]).await;
            res.json::<Value>().await.unwrap()
        }
    };
    let (status, body) = take(&app, &slug, &tier, "sam@example.org").await;
    assert_eq!(status, 200, "{body}");
    let code = ticket_code(&body);
    let link = app.url(&format!("/admin/ticketed-events/{id}?code={code}"));
    let expected = app::qr::QrImage::encode(&link).unwrap();
    assert_eq!(ticket(code.clone()).await["check_in_qr"], serde_json::to_value(&expected).unwrap());
    let page = app.page(&app.client(), &format!("/ticket?code={code}")).await;
    assert!(page.contains("data-testid=\"qr-code\"") && page.contains(&expected.path), "{page}");

    // Scanned by someone not signed in: sent to sign in, and back to the same link after.
    let res = app.client().get(&link).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 302);
    let next = format!("/login?next=/admin/ticketed-events/{id}%3Fcode%3D{code}");
    assert_eq!(res.headers().get("location").unwrap().to_str().unwrap(), next);
    // Scanned by an organiser: the field holds the code, and that code checks the ticket in.
    let admin_page = app.page(&door, &format!("/admin/ticketed-events/{id}?code={code}")).await;
    assert!(admin_page.contains(&format!("value=\"{code}\"")), "{admin_page}");
    let res =
        app.call(&door, "ticketed-events/check-in", &[("id", id.as_str()), ("code", code.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets WHERE checked_in_at IS NOT NULL").await, 1);
    let plain = app.page(&door, &format!("/admin/ticketed-events/{id}")).await;
    assert!(!plain.contains(&format!("value=\"{code}\"")), "no code without the link's");

    // A ticket given back is no longer valid: no code to scan.
    let (_, body) = take(&app, &slug, &tier, "kim@example.org").await;
    let returned = ticket_code(&body);
    let res = app.call(&app.client(), "ticketed-events/return", &[("code", returned.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(ticket(returned.clone()).await["check_in_qr"], Value::Null);
    let page = app.page(&app.client(), &format!("/ticket?code={returned}")).await;
    assert!(!page.contains("data-testid=\"qr-code\""), "{page}");
}

/// At the door, someone without their code is found by name, email or part of the code, and
/// checked in from their row.
async fn at_the_door_a_ticket_is_found_by_name_email_or_code_and_checked_in_from_its_row(backend: Backend) {
    // More tickets than a page holds, taken from one address.
    let app =
        spawn_app_custom(backend, &[], |config| config.signup_limit_per_minute = 10_000, Vec::new()).await;
    let door = events_admin(&app).await;
    let (id, slug) = published(&app, &door, "Quiz night", "General | 60").await;
    let tier = tier_id(&public_event(&app, &slug).await, "General");
    let mut codes = Vec::new();
    for n in 0..55 {
        let form = [
            ("slug", slug.as_str()),
            ("form[tier_id]", tier.as_str()),
            ("form[name]", if n == 7 { "Lou Late" } else { "Guest" }),
            ("form[email]", &format!("guest{n}@example.org")),
        ];
        let res = app.call(&app.client(), "ticketed-events/take", &form).await;
        assert_eq!(res.status(), 200);
        codes.push(ticket_code(&res.text().await.unwrap()));
    }
    let find = |q: String| {
        let (app, door, id) = (&app, door.clone(), id.clone());
        async move {
            let res = app.call(&door, "ticketed-events/get", &[("id", id.as_str()), ("q", q.as_str())]).await;
            assert_eq!(res.status(), 200);
            let detail: Value = res.json().await.unwrap();
            let emails: Vec<String> = detail["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["email"].as_str().unwrap().to_string())
                .collect();
            (emails, detail["has_more"].as_bool().unwrap())
        }
    };
    assert_eq!(find(String::new()).await.0.len(), 50, "a page at a time");
    assert_eq!(find("  LOU late ".into()).await, (vec!["guest7@example.org".to_string()], false));
    assert_eq!(find("guest12@".into()).await.0, ["guest12@example.org"]);
    assert_eq!(find(codes[30][5..].to_lowercase()).await.0, ["guest30@example.org"], "part of a code");
    assert!(find("100%_".into()).await.0.is_empty(), "LIKE's wildcards are plain text");
    let (all, more) = find("guest".into()).await;
    assert_eq!((all.len(), more), (50, true), "a search is paged too");
    let res = app.call(&door, "ticketed-events/get", &[("id", id.as_str()), ("q", &"x".repeat(201))]).await;
    assert_eq!(res.status(), 422);

    // The page: the search, and Lou's row with its own Check in (named for screen readers).
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}?q=lou")).await;
    assert!(page.contains("role=\"search\"") && page.contains("value=\"lou\""), "{page}");
    assert!(page.contains("aria-label=\"Check in Lou Late\""), "{page}");
    assert_eq!(page.matches("data-testid=\"ticket-row\"").count(), 1);
    let res = app
        .call(&door, "ticketed-events/check-in", &[("id", id.as_str()), ("code", codes[7].as_str())])
        .await;
    assert_eq!(res.status(), 200);
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}?q=lou")).await;
    assert!(!page.contains("aria-label=\"Check in Lou Late\""), "checked in: no button {page}");
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}?q=nobody")).await;
    assert!(page.contains("No ticket matches this search.") && page.contains("Show every ticket"), "{page}");
}

/// A ticket's holder is emailed when the event moves (time or place), and reminded a day
/// before it; not for a returned ticket, nor one taken within that last day.
async fn holders_hear_of_a_new_time_or_place_and_are_reminded_the_day_before(app: TestApp) {
    use app::ticketed_events::{DEFAULT_REMINDER_HOURS, service::send_reminders};
    let door = events_admin(&app).await;
    let date = app::time::date_time_from_unix(app::db::now_unix() + 3 * 86_400).0;
    let form = |venue: &'static str, start: &'static str, description: &'static str| {
        let mut form = event_form("Gala", &date, "General | 10");
        form.retain(|(key, _)| !matches!(*key, "form[venue]" | "form[start_time]" | "form[description]"));
        form.extend([
            ("form[venue]", venue),
            ("form[start_time]", start),
            ("form[description]", description),
        ]);
        form
    };
    let res = app.call(&door, "ticketed-events/save", &form("Riverside Hall", "19:00", "Dinner.")).await;
    let saved: Value = res.json().await.unwrap();
    let (id, slug) = (saved["id"].as_str().unwrap().to_string(), saved["slug"].as_str().unwrap().to_string());
    assert_eq!(app.call(&door, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 200);
    let tier = tier_id(&public_event(&app, &slug).await, "General");
    let codes = three_take_and_ben_returns(&app, &slug, &tier, "dan@example.org").await;
    let starts_at = || async {
        let at: i64 = sqlx::query_scalar("SELECT starts_at FROM ticketed_events WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        at
    };
    // Dan's came within the last day before the event: its email was the reminder.
    let lead = DEFAULT_REMINDER_HOURS * 3600;
    sqlx::query("UPDATE tickets SET created_at = $1 WHERE email = 'dan@example.org'")
        .bind(starts_at().await - 3600)
        .execute(app.db.pool())
        .await
        .unwrap();
    let emails = |subject: &'static str| {
        let app = &app;
        async move {
            sqlx::query_as::<_, (String, String, Option<String>)>(
                "SELECT to_address, body, attachment_name FROM email_outbox WHERE subject = $1 \
                 ORDER BY to_address, created_at",
            )
            .bind(subject)
            .fetch_all(app.db.pool())
            .await
            .unwrap()
        }
    };

    let day_before = starts_at().await - lead;
    assert_eq!(send_reminders(&app.db, day_before - 60).await.unwrap(), 0, "not yet");
    assert_eq!(send_reminders(&app.db, day_before + 60).await.unwrap(), 1);
    assert_eq!(send_reminders(&app.db, day_before + 120).await.unwrap(), 0, "once");
    let reminded = emails("Reminder: Gala").await;
    assert_eq!(reminded.len(), 1);
    let (to, body, file) = &reminded[0];
    assert_eq!((to.as_str(), file.as_deref()), ("ana@example.org", Some("event.ics")));
    assert!(body.contains("19:00–22:00") && body.contains("Riverside Hall"), "{body}");
    assert!(body.contains(&format!("/ticket?code={}", codes[0])), "{body}");

    // A new description changes nothing for holders; a new time and place is emailed to each
    // holder of a ticket, and reminded of again before the new start.
    let mut edit = form("Riverside Hall", "19:00", "Dinner and dancing.");
    edit.push(("id", id.as_str()));
    assert_eq!(app.call(&door, "ticketed-events/save", &edit).await.status(), 200);
    assert!(emails("Changed: Gala").await.is_empty());
    let mut edit = form("Town Square", "20:00", "Dinner and dancing.");
    edit.push(("id", id.as_str()));
    assert_eq!(app.call(&door, "ticketed-events/save", &edit).await.status(), 200);
    let changed = emails("Changed: Gala").await;
    let to: Vec<&str> = changed.iter().map(|(to, _, _)| to.as_str()).collect();
    assert_eq!(to, ["ana@example.org", "dan@example.org"], "not Ben, who gave his back");
    let (_, body, file) = &changed[0];
    assert!(body.contains("20:00–22:00") && body.contains("Town Square"), "{body}");
    assert!(body.contains(&codes[0]) && file.is_some(), "{body}");
    let day_before = starts_at().await - lead;
    assert_eq!(send_reminders(&app.db, day_before + 60).await.unwrap(), 1, "Ana again, not Dan");
    assert_eq!(emails("Reminder: Gala").await.len(), 2);
}

/// An organiser chooses how long before the event its holders are reminded, or that they are
/// not; a ticket taken after the reminders went out is reminded a day before; a choice not
/// offered is refused, and an edit that leaves it out keeps it.
async fn organisers_choose_when_holders_are_reminded_or_that_they_are_not(app: TestApp) {
    use app::ticketed_events::service::send_reminders;
    let door = events_admin(&app).await;
    let date = app::time::date_time_from_unix(app::db::now_unix() + 10 * 86_400).0;
    let with_reminder = |hours: &'static str| {
        let mut form = event_form("Gala", &date, "General | 10");
        form.push(("form[reminder_hours]", hours));
        form
    };
    for hours in ["5", "-24", "abc"] {
        let res = app.call(&door, "ticketed-events/save", &with_reminder(hours)).await;
        assert!(res.status().is_client_error(), "{hours}: {}", res.status());
        if hours != "abc" {
            assert!(res.text().await.unwrap().contains("\"field\":\"reminder_hours\""), "{hours}");
        }
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticketed_events").await, 0, "nothing saved");

    let saved: Value =
        app.call(&door, "ticketed-events/save", &with_reminder("168")).await.json().await.unwrap();
    assert_eq!(saved["reminder_hours"], 168);
    let (id, slug) = (saved["id"].as_str().unwrap().to_string(), saved["slug"].as_str().unwrap().to_string());
    assert_eq!(app.call(&door, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 200);
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}")).await;
    assert!(page.contains("Ticket holders are reminded a week before."), "{page}");
    assert!(page.contains("<option value=\"168\" selected"), "the edit form shows it: {page}");
    let tier = tier_id(&public_event(&app, &slug).await, "General");
    three_take_and_ben_returns(&app, &slug, &tier, "dan@example.org").await;
    let starts_at = saved["starts_at"].as_i64().unwrap();
    // Eve takes hers five days before the gala, Fay hers twelve hours before.
    for (email, taken_at) in
        [("eve@example.org", starts_at - 5 * 86_400), ("fay@example.org", starts_at - 12 * 3600)]
    {
        assert_eq!(take(&app, &slug, &tier, email).await.0, 200);
        sqlx::query("UPDATE tickets SET created_at = $1 WHERE email = $2")
            .bind(taken_at)
            .bind(email)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let reminded = async || -> Vec<String> {
        sqlx::query_scalar(
            "SELECT to_address FROM email_outbox WHERE subject = 'Reminder: Gala' ORDER BY to_address",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap()
    };
    let (week_before, day_before) = (starts_at - 168 * 3600, starts_at - 24 * 3600);
    assert_eq!(send_reminders(&app.db, week_before - 60).await.unwrap(), 0, "not yet");
    assert_eq!(send_reminders(&app.db, week_before + 60).await.unwrap(), 2, "Ana and Dan");
    assert_eq!(reminded().await, ["ana@example.org", "dan@example.org"]);
    assert_eq!(send_reminders(&app.db, day_before - 60).await.unwrap(), 0, "Eve's not before the day");
    assert_eq!(send_reminders(&app.db, day_before + 60).await.unwrap(), 1, "Eve, late, the day before");
    assert_eq!(
        send_reminders(&app.db, starts_at - 3600).await.unwrap(),
        0,
        "each once; Fay's email just came"
    );
    assert_eq!(reminded().await, ["ana@example.org", "dan@example.org", "eve@example.org"]);

    // Left out of an edit, the choice stays; "Never" at a new time reminds nobody of it.
    let mut edit = event_form("Gala", &date, "General | 10");
    edit.push(("id", id.as_str()));
    let kept: Value = app.call(&door, "ticketed-events/save", &edit).await.json().await.unwrap();
    assert_eq!(kept["reminder_hours"], 168);
    let mut edit = with_reminder("0");
    edit.retain(|(key, _)| *key != "form[start_time]");
    edit.extend([("form[start_time]", "18:00"), ("id", id.as_str())]);
    let never: Value = app.call(&door, "ticketed-events/save", &edit).await.json().await.unwrap();
    assert_eq!(never["reminder_hours"], 0);
    let starts_at = never["starts_at"].as_i64().unwrap();
    for now in [starts_at - 168 * 3600 + 60, starts_at - 24 * 3600 + 60, starts_at - 60] {
        assert_eq!(send_reminders(&app.db, now).await.unwrap(), 0);
    }
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}")).await;
    assert!(page.contains("Ticket holders are not reminded."), "{page}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_outbox WHERE subject = 'Reminder: Gala'").await, 3);
}

/// "Email ticket holders" writes to everyone holding a ticket, with the event's time and place
/// under the message; a bad message is refused and sends nothing.
async fn organisers_email_an_events_ticket_holders(app: TestApp) {
    let door = events_admin(&app).await;
    let (id, slug) = published(&app, &door, "Film night", "General | 5").await;
    let tier = tier_id(&public_event(&app, &slug).await, "General");
    let send = |subject: &'static str, body: &'static str| {
        let (app, door, id) = (&app, door.clone(), id.clone());
        async move {
            let form = [("id", id.as_str()), ("subject", subject), ("body", body)];
            app.call(&door, "ticketed-events/email-holders", &form).await
        }
    };
    let holders = || async {
        let detail = app.call(&door, "ticketed-events/get", &[("id", id.as_str())]).await;
        detail.json::<Value>().await.unwrap()["holders"].as_i64().unwrap()
    };
    let queued = |subject: &'static str| {
        let app = &app;
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT to_address, body FROM email_outbox WHERE subject = $1 ORDER BY to_address",
            )
            .bind(subject)
            .fetch_all(app.db.pool())
            .await
            .unwrap()
        }
    };
    assert_eq!(holders().await, 0);
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}")).await;
    assert!(page.contains("Nobody to email: nobody holds a ticket."), "{page}");
    three_take_and_ben_returns(&app, &slug, &tier, "cat@example.org").await;
    assert_eq!(holders().await, 2);
    let page = app.page(&door, &format!("/admin/ticketed-events/{id}")).await;
    assert!(page.contains("Send to 2 ticket holders"), "{page}");

    // Refused, field by field, and nothing queued.
    let res = send("", "Doors open at 18:30.").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter a subject."));
    assert_eq!(send("Doors", " ").await.status(), 422);
    assert_eq!(send("Doors\nopen", "At 18:30.").await.status(), 422);
    assert!(queued("Doors").await.is_empty());

    let res = send("Doors open at 18:30", "Bring a cushion: the seats are hard.").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), 2);
    let sent = queued("Doors open at 18:30").await;
    let to: Vec<&str> = sent.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(to, ["ana@example.org", "cat@example.org"], "not Ben");
    let body = &sent[0].1;
    assert!(body.starts_with("Hello Sam Guest,\n\nBring a cushion: the seats are hard."), "{body}");
    assert!(
        body.contains("Film night") && body.contains("Riverside Hall") && body.contains("19:00–22:00"),
        "{body}"
    );
    let audited: i64 =
        count(&app, "SELECT COUNT(*) FROM admin_audit_log WHERE action = 'ticketed-event.holders.emailed'")
            .await;
    assert_eq!(audited, 1);

    // Once the event is cancelled its holders were told: nothing more is sent.
    assert_eq!(app.call(&door, "ticketed-events/cancel", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(send("Sorry", "Really sorry.").await.status(), 409);
    assert!(queued("Sorry").await.is_empty());
}

/// Ana, Ben and `third` take a ticket each, then Ben gives his back; answers the three codes.
async fn three_take_and_ben_returns(app: &TestApp, slug: &str, tier: &str, third: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for email in ["ana@example.org", "ben@example.org", third] {
        let (status, body) = take(app, slug, tier, email).await;
        assert_eq!(status, 200, "{body}");
        codes.push(ticket_code(&body));
    }
    let res = app.call(&app.client(), "ticketed-events/return", &[("code", codes[1].as_str())]).await;
    assert_eq!(res.status(), 200, "Ben gives his back");
    codes
}

async fn public_event(app: &TestApp, slug: &str) -> Value {
    app.call(&app.client(), "ticketed-events/public-one", &[("slug", slug)]).await.json().await.unwrap()
}

/// Takes a ticket as someone not signed in; answers with the status and body.
async fn take(app: &TestApp, slug: &str, tier: &str, email: &str) -> (u16, String) {
    let form = [("slug", slug), ("form[tier_id]", tier), ("form[name]", "Sam Guest"), ("form[email]", email)];
    let res = app.call(&app.client(), "ticketed-events/take", &form).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The code of a free ticket from the take's answer.
fn ticket_code(body: &str) -> String {
    match serde_json::from_str(body) {
        Ok(app::ticketed_events::Taken::Ticket { code }) => code,
        other => panic!("a free ticket is issued at once: {body} ({other:?})"),
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.db.pool()).await.unwrap()
}

async fn a_late_event_ends_the_next_day(app: TestApp) {
    let admin = events_admin(&app).await;
    let date = tomorrow();
    let mut late = event_form("Benefit gig", &date, "General | 50");
    late[6].1 = "01:00";
    // Unticked, an end before the start is refused with the hint; nothing saved.
    let res = app.call(&admin, "ticketed-events/save", &late).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("If it goes past midnight, tick \\\"Overnight\\\""));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticketed_events").await, 0);

    late.push(("form[ends_next_day]", "true"));
    let res = app.call(&admin, "ticketed-events/save", &late).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    let (starts_at, ends_at) = (saved["starts_at"].as_i64().unwrap(), saved["ends_at"].as_i64().unwrap());
    assert_eq!(ends_at - starts_at, 6 * 3600);
    assert_eq!(saved["when"].as_str().unwrap().split(", ").nth(1), Some("19:00–01:00 UTC (ends next day)"));
    // Its edit form says so again, and saving it unchanged keeps it.
    assert_eq!((saved["end_time"].as_str(), saved["ends_next_day"].as_bool()), (Some("01:00"), Some(true)));
    let mut again = late.clone();
    again.push(("id", saved["id"].as_str().unwrap()));
    let resaved: Value = app.call(&admin, "ticketed-events/save", &again).await.json().await.unwrap();
    assert_eq!(
        (resaved["starts_at"].as_i64(), resaved["ends_at"].as_i64()),
        (Some(starts_at), Some(ends_at))
    );
    // The event's page offers the same box, ticked.
    let page = app.page(&admin, &format!("/admin/ticketed-events/{}", saved["id"].as_str().unwrap())).await;
    let overnight_box = page.split_once("name=\"form[ends_next_day]\"").expect("the Overnight box").1;
    assert!(overnight_box.split_once('>').unwrap().0.contains("checked"), "{overnight_box:.300}");

    // In London, an end in the hour the clocks skip the next morning is named, under "Ends".
    app.create_user("boss@example.org", Role::Admin, UserStatus::Active).await;
    let boss = app.signed_in("boss@example.org").await;
    assert_eq!(
        app.call(&boss, "admin/save-time-zone", &[("time_zone", "Europe/London")]).await.status(),
        200
    );
    let mut skipped = event_form("Clock night", "2030-03-30", "General | 50");
    skipped[6].1 = "01:30";
    skipped.push(("form[ends_next_day]", "true"));
    let res = app.call(&admin, "ticketed-events/save", &skipped).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("end_time") && body.contains("on 2030-03-31 and skip 01:30"), "{body}");
}

async fn events_are_checked_saved_published_and_cancelled(app: TestApp) {
    let admin = events_admin(&app).await;
    let mut bad = event_form("", "2020-01-01", "General\nMembers | 0");
    bad[1].1 = "Bad Slug!";
    bad[6].1 = "18:00";
    let res = app.call(&admin, "ticketed-events/save", &bad).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    for text in
        ["Enter a title.", "lower-case letters", "must end after it starts", "Line 1: write Name | how many"]
    {
        assert!(body.contains(text), "{text}: {body}");
    }
    let past =
        app.call(&admin, "ticketed-events/save", &event_form("Gala", "2020-01-01", "General | 5")).await;
    assert!(past.text().await.unwrap().contains("A new event cannot start in the past."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticketed_events").await, 0, "nothing saved");

    // Saved as a draft, its address made from the title; not public yet.
    let date = tomorrow();
    let res = app
        .call(&admin, "ticketed-events/save", &event_form("Spring Gala!", &date, "General | 2\nMembers | 1"))
        .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    let id = saved["id"].as_str().unwrap().to_string();
    assert_eq!((saved["slug"].as_str(), saved["status"].as_str()), (Some("spring-gala"), Some("DRAFT")));
    assert_eq!(saved["when"].as_str().unwrap().split(", ").nth(1), Some("19:00–22:00 UTC"));
    assert_eq!(app.client().get(app.url("/events/spring-gala")).send().await.unwrap().status(), 404);
    assert!(app.events("ticketed-event.published").await.is_empty());
    let created = app.events("ticketed-event.created").await;
    assert_eq!(
        (created.len(), created[0]["event_id"].as_str(), created[0]["title"].as_str()),
        (1, Some(id.as_str()), Some("Spring Gala!")),
        "the refused forms published nothing"
    );

    assert_eq!(app.call(&admin, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "ticketed-events/publish", &[("id", id.as_str())]).await.status(), 409);
    let published = app.events("ticketed-event.published").await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["url_path"], "/events/spring-gala");
    assert_eq!(published[0]["venue"], "Riverside Hall");
    let page = app.client().get(app.url("/events")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Spring Gala!") && page.contains("3 tickets left"), "{page:.2000}");
    let coming: Value = app.call(&admin, "ticketed-events/coming", &[]).await.json().await.unwrap();
    assert_eq!(coming[0]["title"], "Spring Gala!", "on the dashboard");

    let event = public_event(&app, "spring-gala").await;
    let (status, code) = take(&app, "spring-gala", &tier_id(&event, "General"), "Sam@Example.org").await;
    assert_eq!(status, 200, "{code}");
    let code = ticket_code(&code);
    let ticket_page = app.client().get(app.url(&format!("/ticket?code={code}"))).send().await.unwrap();
    assert!(ticket_page.text().await.unwrap().contains(&code));
    let purchased = app.events("ticket.purchased").await;
    assert_eq!(purchased.len(), 1);
    assert_eq!(
        (
            purchased[0]["tier_kind"].as_str(),
            purchased[0]["amount_cents"].as_i64(),
            purchased[0]["buyer_email"].as_str()
        ),
        (Some("FREE"), Some(0), Some("sam@example.org"))
    );
    let contact: String = sqlx::query_scalar("SELECT id FROM contacts WHERE email = 'sam@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(purchased[0]["contact_id"].as_str(), Some(contact.as_str()));
    let (subject, body, attachment): (String, String, String) = sqlx::query_as(
        "SELECT subject, body, attachment FROM email_outbox WHERE to_address = 'sam@example.org'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(subject, "Your ticket: Spring Gala!");
    assert!(
        body.contains(&format!("Code: {code}"))
            && body.contains(&format!(
                "or the QR code on your ticket's page: {{{{base_url}}}}/ticket?code={code}"
            )),
        "{body}"
    );
    // With the event for the holder's calendar, their code in it.
    let uid = format!("UID:ticketed-event-{id}@changemaker");
    for line in [uid.as_str(), "STATUS:CONFIRMED", "SUMMARY:Spring Gala!", "LOCATION:Riverside Hall"] {
        assert!(attachment.contains(line), "{line}: {attachment}");
    }
    assert!(attachment.contains(&format!("Code: {code}")), "{attachment}");
    // The contact's page shows it; the CRM listener puts it on their timeline.
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let organiser = app.signed_in("ana@example.org").await;
    let detail: Value =
        app.call(&organiser, "contacts/get", &[("id", contact.as_str())]).await.json().await.unwrap();
    let tickets = detail["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        (tickets[0]["event_title"].as_str(), tickets[0]["tier_name"].as_str()),
        (Some("Spring Gala!"), Some("General"))
    );
    eventually("the ticket is on the timeline", || async {
        count(&app, "SELECT COUNT(*) FROM contact_activity WHERE topic = 'ticket.purchased'").await == 1
    })
    .await;

    // A tier with a ticket taken keeps it: it is not removed, nor made smaller than that.
    let res = app
        .call(
            &admin,
            "ticketed-events/save",
            &[event_form("Spring Gala!", &date, "Members | 1"), vec![("id", id.as_str())]].concat(),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("General has had tickets, so it cannot be removed."));
    let edit = [
        event_form("Spring Gala!", &date, "general | 1\nMembers | 5\nVolunteers | 3"),
        vec![("id", id.as_str())],
    ]
    .concat();
    let res = app.call(&admin, "ticketed-events/save", &edit).await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    let tiers: Vec<(&str, i64, i64)> = edited["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (t["name"].as_str().unwrap(), t["capacity"].as_i64().unwrap(), t["issued"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(tiers, [("general", 1, 1), ("Members", 5, 0), ("Volunteers", 3, 0)]);
    assert_eq!(app.events("ticketed-event.published").await.len(), 2, "an edit is published again");
    let updated = app.events("ticketed-event.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(
        (updated[0]["event_id"].as_str(), updated[0]["status"].as_str(), updated[0]["url_path"].as_str()),
        (Some(id.as_str()), Some("PUBLISHED"), Some("/events/spring-gala"))
    );

    // A published event is cancelled, not deleted: its holders are told.
    assert_eq!(app.call(&admin, "ticketed-events/delete", &[("id", id.as_str())]).await.status(), 409);
    assert_eq!(app.call(&admin, "ticketed-events/cancel", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "ticketed-events/cancel", &[("id", id.as_str())]).await.status(), 409);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets WHERE status = 'CANCELLED'").await, 1);
    let told: Vec<String> =
        sqlx::query_scalar("SELECT attachment FROM email_outbox WHERE subject = 'Cancelled: Spring Gala!'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(told.len(), 1);
    // The calendar entry is called off: the same UID, a later SEQUENCE, STATUS:CANCELLED.
    let sequence = |ics: &str| -> i64 {
        ics.lines().find_map(|l| l.strip_prefix("SEQUENCE:")).unwrap().trim().parse().unwrap()
    };
    assert!(told[0].contains(&uid) && told[0].contains("STATUS:CANCELLED"), "{}", told[0]);
    assert!(sequence(&told[0]) > sequence(&attachment), "{}", told[0]);
    assert_eq!(app.events("ticketed-event.cancelled").await[0]["event_id"].as_str(), Some(id.as_str()));
    let page = app.client().get(app.url("/events/spring-gala")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This event is cancelled."));
    let (status, body) = take(&app, "spring-gala", &tier_id(&event, "Members"), "late@example.org").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("This event is cancelled."));
    assert_eq!(app.call(&admin, "ticketed-events/save", &edit).await.status(), 409);
    let page = app.client().get(app.url(&format!("/ticket?code={code}"))).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("This ticket is cancelled."));

    // A draft is deleted after all.
    let res = app.call(&admin, "ticketed-events/save", &event_form("Open mic", &date, "Seats | 40")).await;
    let draft = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let mut taken = event_form("Another gala", &date, "Seats | 4");
    taken[1].1 = "spring-gala";
    let res = app.call(&admin, "ticketed-events/save", &taken).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Another event already uses this address."));
    // The admin list finds events by part of the title and by status.
    let found = |q: &'static str, status: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let args = [("filter[search]", q), ("filter[status]", status)];
            let page: Value = app.call(&admin, "ticketed-events/list", &args).await.json().await.unwrap();
            page["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("GALA", "").await, ["Spring Gala!"]);
    assert_eq!(found("", "DRAFT").await, ["Open mic"]);
    assert_eq!(found("mic", "CANCELLED").await, Vec::<String>::new());
    assert_eq!(app.call(&admin, "ticketed-events/delete", &[("id", draft.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "ticketed-events/delete", &[("id", draft.as_str())]).await.status(), 404);
    assert_eq!(
        app.events("ticketed-event.deleted").await,
        [serde_json::json!({ "event_id": draft, "title": "Open mic" })],
        "the draft only, once"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticketed_events").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticket_tiers").await, 3, "its tiers went with it");
}

/// Events admins' pages update live: they may stream their module's topics and what the
/// calendar shows (meetings, shifts' own changes), and nothing else (not sign-ups).
async fn events_admins_stream_only_what_their_pages_show(app: TestApp) {
    let admin = events_admin(&app).await;
    let status = |topics: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let url = app.url(&format!("/api/events/stream{topics}"));
            admin.get(url).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(status("?topics=ticket.*,ticketed-event.*").await, 200);
    assert_eq!(status("?topics=ticket.purchased").await, 200);
    assert_eq!(status("?topics=meeting.*,shift.created,shift.updated,shift.deleted").await, 200);
    assert_eq!(status("?topics=ticket.*,shift.*").await, 403);
    assert_eq!(status("?topics=shift.signup.created").await, 403);
    assert_eq!(status("?topics=meeting.*,contact.*").await, 403);
    assert_eq!(status("?topics=*").await, 403);
    assert_eq!(status("").await, 403, "every topic");
}

async fn taking_tickets_is_rate_limited_per_ip(app: TestApp) {
    let admin = events_admin(&app).await;
    let (_, slug) = published(&app, &admin, "Picnic", "Blanket | 100").await;
    let tier = tier_id(&public_event(&app, &slug).await, "Blanket");
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.push(take(&app, &slug, &tier, &format!("p{n}@example.org")).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "shift sign-ups' default: 5 a minute");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 5);
}

async fn tickets_are_taken_within_each_tier_and_checked_in_once(backend: Backend) {
    let app =
        spawn_app_custom(backend, &[], |config| config.signup_limit_per_minute = 10_000, Vec::new()).await;
    let admin = events_admin(&app).await;
    let (id, slug) = published(&app, &admin, "Film night", "Seats | 3\nStanding | 1").await;
    let (other_id, other_slug) = published(&app, &admin, "Quiz", "Teams | 10").await;
    let event = public_event(&app, &slug).await;
    let seats = tier_id(&event, "Seats");

    let (status, body) = take(&app, &slug, "", "x@example.org").await;
    assert_eq!(status, 422);
    assert!(body.contains("Choose a ticket."));
    let (status, body) =
        take(&app, &slug, &tier_id(&public_event(&app, &other_slug).await, "Teams"), "x@example.org").await;
    assert_eq!(status, 422, "another event's tier: {body}");
    assert_eq!(take(&app, &slug, &seats, "not an email").await.0, 422);
    let (status, first) = take(&app, &slug, &seats, "ana@example.org").await;
    assert_eq!(status, 200);
    let first = ticket_code(&first);
    let (status, body) = take(&app, &slug, &tier_id(&event, "Standing"), "ANA@example.org").await;
    assert_eq!(status, 409, "one ticket per email per event");
    assert!(body.contains("ana@example.org already has a ticket for this event"), "{body}");

    // Twenty people at once for the last two seats: exactly two get one.
    let attempts = (0..20).map(|n| {
        let (app, slug, seats) = (&app, &slug, &seats);
        async move { take(app, slug, seats, &format!("rush{n}@example.org")).await }
    });
    let answers = futures::future::join_all(attempts).await;
    assert_eq!(answers.iter().filter(|(status, _)| *status == 200).count(), 2, "{answers:?}");
    let refused: Vec<&(u16, String)> = answers.iter().filter(|(status, _)| *status != 200).collect();
    assert!(
        refused.iter().all(|(status, body)| *status == 409 && body.contains("Seats tickets are all taken.")),
        "{refused:?}"
    );
    let seats_now = &public_event(&app, &slug).await["tiers"][0];
    assert_eq!((seats_now["issued"].as_i64(), seats_now["capacity"].as_i64()), (Some(3), Some(3)));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 3);
    assert_eq!(app.events("ticket.purchased").await.len(), 3);
    let page =
        app.client().get(app.url(&format!("/events/{slug}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Seats — Free — Sold out") && page.contains("Standing — Free — 1 ticket left"),
        "{page:.3000}"
    );

    // At the door: the code as typed, once; not another event's, not an unknown one.
    let typed = first.replace('-', " ").to_lowercase();
    let res =
        app.call(&admin, "ticketed-events/check-in", &[("id", id.as_str()), ("code", typed.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Sam Guest");
    let again =
        app.call(&admin, "ticketed-events/check-in", &[("id", id.as_str()), ("code", first.as_str())]).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("Sam Guest was already checked in at"));
    let elsewhere = app
        .call(&admin, "ticketed-events/check-in", &[("id", other_id.as_str()), ("code", first.as_str())])
        .await;
    assert_eq!(elsewhere.status(), 409);
    assert!(elsewhere.text().await.unwrap().contains("is for another event"));
    let unknown = app
        .call(&admin, "ticketed-events/check-in", &[("id", id.as_str()), ("code", "AAAA-BBBB-CCCC")])
        .await;
    assert_eq!(unknown.status(), 404);
    let checked_in = app.events("ticket.checked-in").await;
    assert_eq!(checked_in.len(), 1);
    assert_eq!(checked_in[0]["event_id"].as_str(), Some(id.as_str()));
    let detail: Value =
        app.call(&admin, "ticketed-events/get", &[("id", id.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["checked_in"], 1);
    assert_eq!(detail["tickets"].as_array().unwrap().len(), 3);

    // The export: every ticket, with its code and check-in.
    let csv = admin.get(app.url(&format!("/api/ticketed-events/{id}/tickets.csv"))).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "code,name,email,tier,status,issued,checked_in");
    assert_eq!(lines.len(), 4);
    let ana = lines.iter().find(|l| l.contains("ana@example.org")).unwrap();
    assert!(ana.starts_with(&format!("\"{first}\"")) && !ana.ends_with(",\"\""), "checked in: {ana}");
    let none = admin.get(app.url("/api/ticketed-events/none/tickets.csv")).send().await.unwrap();
    assert_eq!(none.status(), 404);

    // A holder gives their ticket back: the place is free again, and they may take another.
    let rush: Vec<String> =
        answers.iter().filter(|(status, _)| *status == 200).map(|(_, code)| ticket_code(code)).collect();
    let give_back = |code: String| {
        let app = &app;
        async move { app.call(&app.client(), "ticketed-events/return", &[("code", code.as_str())]).await.status() }
    };
    assert_eq!(give_back(rush[0].to_lowercase()).await, 200);
    assert_eq!(give_back(rush[0].clone()).await, 409, "returned once");
    assert_eq!(give_back(first.clone()).await, 409, "checked in at the door");
    assert_eq!(give_back("AAAA-BBBB-CCCC".into()).await, 404);
    let cancelled = app.events("ticket.cancelled").await;
    assert_eq!((cancelled.len(), cancelled[0]["by"].as_str()), (1, Some("HOLDER")));
    assert_eq!(public_event(&app, &slug).await["tiers"][0]["issued"].as_i64(), Some(2));
    let (returner, rush_id): (String, String) =
        sqlx::query_as("SELECT email, id FROM tickets WHERE code = $1")
            .bind(&rush[1])
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let first_returner: String = sqlx::query_scalar("SELECT email FROM tickets WHERE code = $1")
        .bind(&rush[0])
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (status, body) = take(&app, &slug, &seats, &first_returner).await;
    assert_eq!(status, 200, "{body}");

    // An organiser cancels one: its holder is told, and the place is free again.
    let res = app.call(&admin, "ticketed-events/cancel-ticket", &[("ticket_id", rush_id.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.events("ticket.cancelled").await[1]["by"], "ORGANISER");
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT to_address FROM email_outbox WHERE subject = 'Ticket cancelled: Film night'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(told, [returner]);
    assert_eq!(public_event(&app, &slug).await["tiers"][0]["issued"].as_i64(), Some(2));

    // Once an event is over, its page says so, and no ticket is taken, given back or cancelled.
    let (status, quiz_code) =
        take(&app, &other_slug, &tier_id(&public_event(&app, &other_slug).await, "Teams"), "q@example.org")
            .await;
    assert_eq!(status, 200);
    let quiz_code = ticket_code(&quiz_code);
    let ticket_page = |code: String| {
        let app = &app;
        async move {
            let page = app.client().get(app.url(&format!("/ticket?code={code}"))).send().await.unwrap();
            page.text().await.unwrap()
        }
    };
    assert!(ticket_page(quiz_code.clone()).await.contains("Return my ticket"));
    let now = app::db::now_unix();
    sqlx::query("UPDATE ticketed_events SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now - 7200)
        .bind(now - 3600)
        .bind(&other_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let page = app
        .client()
        .get(app.url(&format!("/events/{other_slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("This event is over.") && !page.contains("Get my ticket"), "{page:.3000}");
    assert!(!ticket_page(quiz_code.clone()).await.contains("Return my ticket"), "no return once over");
    let teams = tier_id(&public_event(&app, &other_slug).await, "Teams");
    let (status, body) = take(&app, &other_slug, &teams, "late@example.org").await;
    assert_eq!((status, body.contains("This event is over.")), (409, true), "{body}");
    assert_eq!(give_back(quiz_code).await, 409);
    assert_eq!(app.call(&admin, "ticketed-events/cancel", &[("id", other_id.as_str())]).await.status(), 409);
    assert!(app.events("ticketed-event.cancelled").await.is_empty());
}
