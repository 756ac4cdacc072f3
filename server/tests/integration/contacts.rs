//! Contacts (the CRM) over HTTP and through the CRM-activity listener, on both databases.

use crate::common::{TestApp, caught_up, eventually, redirected_to};
use app::bus;
use app::contacts::activity;
use app::events::catalog::*;
use app::events::{Actor, Event};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    the_timeline_records_each_crm_topic_once_and_scores_it,
    contacts_are_searched_filtered_by_tag_and_paged,
    tags_are_added_and_removed_with_one_event_per_real_change,
    merging_keeps_every_signup_payment_activity_and_tag,
    a_contact_page_lists_each_history_a_page_at_a_time,
    organisers_add_a_contact_and_correct_their_details,
    an_edit_form_opened_before_a_contact_changed_cannot_put_the_old_details_back,
    contact_functions_check_the_role,
    importing_a_csv_reports_bad_rows_by_line_and_imports_the_rest,
    an_import_file_that_cannot_be_read_changes_nothing,
    a_large_contact_list_is_previewed_and_a_larger_one_refused,
    a_job_left_running_by_a_stopped_server_reads_as_interrupted,
    the_leaderboard_ranks_contacts_by_their_points_in_a_period,
    organisers_keep_notes_on_a_contact_which_follow_it_through_a_merge_and_an_erasure,
    a_note_is_rewritten_by_its_author_only_and_says_when,
    organisers_tag_everyone_a_search_finds,
    tag_fields_suggest_the_tags_in_use,
);

/// A contact created the way every module does it, inside a transaction of its own.
async fn contact(app: &TestApp, email: &str, name: &str, phone: Option<&str>) -> String {
    let bus = app.bus();
    let mut tx = app.db.begin_write().await.unwrap();
    let found = app::contacts::service::find_or_create(&mut tx, email, name, phone, "TEST").await.unwrap();
    if let Some(created) = &found.created {
        bus::publish(&mut tx, &Actor::System, created).await.unwrap();
    }
    bus.commit(tx).await.unwrap();
    found.id
}

async fn activity_count(app: &TestApp, contact_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn admin(app: &TestApp) -> reqwest::Client {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.signed_in("admin@example.org").await
}

/// One event of every CRM-activity topic about `id` (or, where the event carries only an
/// email, about `email`).
fn crm_events(id: &str, email: &str) -> Vec<Event> {
    let c = Some(id.to_string());
    vec![
        Event::DonationCompleted(DonationCompleted {
            contact_id: c.clone(),
            amount_cents: 2500,
            recurring: true,
            ..Default::default()
        }),
        Event::SubscriptionActivated(SubscriptionActivated {
            contact_id: c.clone(),
            plan_name: "Supporter".into(),
            amount_cents: 1500,
            interval: "month".into(),
            ..Default::default()
        }),
        Event::ProductPurchased(ProductPurchased {
            contact_id: c.clone(),
            product_name: "T-shirt".into(),
            quantity: 1,
            amount_cents: 2000,
            ..Default::default()
        }),
        Event::TicketPurchased(TicketPurchased {
            contact_id: c.clone(),
            event_title: "Gala".into(),
            tier_name: "General".into(),
            quantity: 2,
            ..Default::default()
        }),
        Event::ShiftSignupCreated(ShiftSignupCreated {
            contact_id: c.clone(),
            shift_title: "Leafleting".into(),
            ..Default::default()
        }),
        Event::CanvassVisitRecorded(CanvassVisitRecorded {
            contact_id: c.clone(),
            outcome: "SUPPORTER".into(),
            ..Default::default()
        }),
        Event::CampaignEmailSent(CampaignEmailSent {
            contact_id: None,
            supporter_email: email.to_uppercase(),
            campaign_title: "Save the park".into(),
            ..Default::default()
        }),
        Event::ResponseSubmitted(ResponseSubmitted {
            contact_id: c.clone(),
            representative_name: "Councillor Lee".into(),
            campaign_title: "Save the park".into(),
            ..Default::default()
        }),
        Event::VideoViewed(VideoViewed {
            contact_id: c.clone(),
            title: "Our year".into(),
            ..Default::default()
        }),
        Event::SmsMessageReceived(SmsMessageReceived {
            contact_id: c.clone(),
            sentiment: "POSITIVE".into(),
            ..Default::default()
        }),
        Event::NewsletterEmailOpened(NewsletterEmailOpened {
            contact_id: None,
            subscriber_email: email.to_string(),
            ..Default::default()
        }),
    ]
}

async fn the_timeline_records_each_crm_topic_once_and_scores_it(app: TestApp) {
    let id = contact(&app, "pat@example.org", "Pat", None).await;
    let events = crm_events(&id, "pat@example.org");
    assert_eq!(events.len(), activity::TOPICS.len(), "one event per CRM topic");
    let mut seqs = Vec::new();
    for event in &events {
        seqs.push(app.publish(event).await);
    }
    // Not timeline material: another topic, an anonymous view, someone with no contact.
    app.publish(&Event::ShiftDeleted(ShiftDeleted { shift_id: "s".into(), title: "Gone".into() })).await;
    app.publish(&Event::VideoViewed(VideoViewed { contact_id: None, ..Default::default() })).await;
    let stranger =
        NewsletterEmailOpened { subscriber_email: "nobody@example.org".into(), ..Default::default() };
    app.publish(&Event::NewsletterEmailOpened(stranger)).await;
    caught_up(&app, activity::NAME).await;
    let topics: Vec<String> =
        sqlx::query_scalar("SELECT topic FROM contact_activity WHERE contact_id = $1 ORDER BY topic")
            .bind(&id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let mut expected: Vec<String> = activity::TOPICS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(topics, expected);
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(total, 11, "nothing for the others");
    assert_eq!(bus::counters(&app.db, activity::NAME).await.unwrap().failed, 0);

    // The same events delivered again add nothing.
    let listener = activity::listener(app.db.clone());
    for seq in seqs {
        let envelope = bus::outbox::read_one(&app.db, seq).await.unwrap().unwrap();
        (listener.handler)(vec![envelope]).await.unwrap();
    }
    assert_eq!(activity_count(&app, &id).await, 11);

    // The contact's page: the score is the sum of the points; the timeline reads well.
    let admin = admin(&app).await;
    let res = app.call(&admin, "contacts/get", &[("id", id.as_str())]).await;
    assert_eq!(res.status(), 200);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["contact"]["score"], 50 + 40 + 30 + 30 + 20 + 15 + 10 + 10 + 3 + 5 + 1);
    let summaries: Vec<&str> =
        detail["activity"].as_array().unwrap().iter().map(|a| a["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Donated $25.00 monthly"), "{summaries:?}");
    assert!(summaries.contains(&"Emailed their representative: Save the park"), "{summaries:?}");
    // Newest first, in the order it happened even within one second.
    let shown: Vec<&str> =
        detail["activity"].as_array().unwrap().iter().map(|a| a["topic"].as_str().unwrap()).collect();
    let published: Vec<&str> = events.iter().rev().map(|e| e.topic()).collect();
    assert_eq!(shown, published);
    let html =
        admin.get(app.url(&format!("/admin/contacts/{id}"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"activity\"").count(), 11, "{html}");
}

async fn contacts_are_searched_filtered_by_tag_and_paged(app: TestApp) {
    for n in 0..55 {
        contact(&app, &format!("person{n:02}@example.org"), &format!("Person {n:02}"), None).await;
    }
    let ana = contact(&app, "ana@example.org", "Ana 50% Lopez", Some("555-0100")).await;
    // Times are whole seconds: make Ana clearly the newest.
    sqlx::query("UPDATE contacts SET created_at = created_at + 60 WHERE id = $1")
        .bind(&ana)
        .execute(app.db.pool())
        .await
        .unwrap();
    let admin = admin(&app).await;
    let tag = [("id", ana.as_str()), ("add", "ward 7, Donor")];
    assert_eq!(app.call(&admin, "contacts/tags", &tag).await.status(), 200);
    let list = |args: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call(&admin, "contacts/list", &args).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = list(vec![]).await;
    assert_eq!((first["count"].as_i64(), first["has_more"].as_bool()), (Some(56), Some(true)));
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    assert_eq!(first["rows"][0]["email"], "ana@example.org", "newest first");
    let second = list(vec![("filter[page]", "2".into())]).await;
    assert_eq!((second["rows"].as_array().unwrap().len(), second["has_more"].as_bool()), (6, Some(false)));
    let search = list(vec![("filter[search]", "PERSON 1".into())]).await;
    assert_eq!(search["count"], 10);
    // A `%` typed is a percent sign, not a wildcard.
    let percent = list(vec![("filter[search]", "50%".into())]).await;
    assert_eq!(percent["count"], 1);
    let tagged = list(vec![("filter[tag]", "Donor".into())]).await;
    assert_eq!(tagged["count"], 1);
    assert_eq!(tagged["rows"][0]["tags"], serde_json::json!(["donor", "ward 7"]));
    let res = app.call(&admin, "contacts/list", &[("filter[tag]", "<b>")]).await;
    assert_eq!(res.status(), 422);

    // The page and the export.
    let html = admin.get(app.url("/admin/contacts?tag=donor")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"contact-row\"").count(), 1, "{html}");
    let res = admin.get(app.url("/api/contacts.csv")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "name,email,phone,source,tags,engagement_score,created_utc,unsubscribed_utc");
    assert_eq!(lines.len(), 57);
    assert!(
        lines[1].starts_with(
            "\"Ana 50% Lopez\",\"ana@example.org\",\"555-0100\",\"TEST\",\"donor; ward 7\",\"0\","
        )
    );
}

async fn tags_are_added_and_removed_with_one_event_per_real_change(app: TestApp) {
    let id = contact(&app, "sam@example.org", "Sam", None).await;
    let admin = admin(&app).await;
    let change = |add: &'static str, remove: &'static str| {
        let (app, admin, id) = (&app, admin.clone(), id.clone());
        async move {
            app.call(&admin, "contacts/tags", &[("id", id.as_str()), ("add", add), ("remove", remove)]).await
        }
    };
    let res = change("volunteer, Captain ", "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!(["captain", "volunteer"]));
    let res = change("volunteer", "captain, never-had").await;
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!(["volunteer"]));
    let events = app.events("contact.tags.changed").await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        (&events[0]["added"], &events[0]["removed"]),
        (&serde_json::json!(["volunteer", "captain"]), &serde_json::json!([]))
    );
    assert_eq!(
        (&events[1]["added"], &events[1]["removed"]),
        (&serde_json::json!([]), &serde_json::json!(["captain"]))
    );
    assert_eq!(events[1]["email"], "sam@example.org");
    // Nothing changed → nothing published; a bad tag → 422, nothing changed.
    assert_eq!(change("volunteer", "").await.status(), 200);
    let res = change("good, <bad>", "").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("is not a tag"));
    assert_eq!(app.events("contact.tags.changed").await.len(), 2);
    let tags: Vec<String> =
        sqlx::query_scalar("SELECT tag FROM contact_tags").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(tags, ["volunteer"]);
    let missing = app.call(&admin, "contacts/tags", &[("id", "nope"), ("add", "x")]).await;
    assert_eq!(missing.status(), 404);
}

/// A supporter of years has hundreds of activities, sign-ups, tickets, payments and emails:
/// their page shows each list 25 at a time, newest first, each with its own pages; every row
/// is on exactly one page.
async fn a_contact_page_lists_each_history_a_page_at_a_time(app: TestApp) {
    let admin = admin(&app).await;
    let (bus, now) = (app.bus(), app::db::now_unix());
    // 26 shifts, one a day from tomorrow, each with a sign-up of theirs.
    for day in 1..=26 {
        let date = app::time::date_time_from_unix(now + day * 86_400).0;
        let form =
            app::shifts::ShiftForm { date, ..crate::common::shift_tomorrow(&format!("Shift {day:02}")) };
        let shift = app::shifts::service::create(&bus, &Actor::System, &form).await.unwrap();
        let person = app::shifts::SignupForm {
            name: "Sam".into(),
            email: "sam@example.org".into(),
            phone: String::new(),
        };
        let source = app::shifts::SignupSource::Public;
        app::shifts::service::sign_up(&bus, &Actor::System, &shift.id, &person, source, None).await.unwrap();
    }
    let id = app::contacts::service::id_by_email(&app.db, "sam@example.org").await.unwrap().unwrap();
    // 26 donations a minute apart, the newest "d00", and 26 tickets of one event (the one valid).
    let sql = [
        "INSERT INTO ticketed_events (id, slug, title, description, venue, starts_at, ends_at, status, \
         created_at, updated_at) VALUES ('e1', 'gala', 'Gala', '', 'Hall', $1, $1 + 3600, 'PUBLISHED', $1, $1)",
        "INSERT INTO ticket_tiers (id, event_id, name, kind, capacity, position) \
         VALUES ('r1', 'e1', 'General', 'FREE', 100, 0)",
    ];
    for statement in sql {
        sqlx::query(statement).bind(now).execute(app.db.writer()).await.unwrap();
    }
    for n in 0..26_i64 {
        sqlx::query(
            "INSERT INTO donations (id, contact_id, name, email, amount_cents, currency, frequency, status, \
             created_at, updated_at) VALUES ($1, $2, 'Sam', 'sam@example.org', $3, 'usd', 'ONE_OFF', 'PAID', $4, $4)",
        )
        .bind(format!("d{n:02}"))
        .bind(&id)
        .bind(100 * (n + 1))
        .bind(now - 60 * n)
        .execute(app.db.writer())
        .await
        .unwrap();
        let status = if n == 0 { "VALID" } else { "CANCELLED" };
        sqlx::query(
            "INSERT INTO tickets (id, event_id, tier_id, code, contact_id, name, email, status, created_at) \
             VALUES ($1, 'e1', 'r1', $1, $2, 'Sam', 'sam@example.org', $3, $4)",
        )
        .bind(format!("t{n:02}"))
        .bind(&id)
        .bind(status)
        .bind(now)
        .execute(app.db.writer())
        .await
        .unwrap();
    }
    // Each sign-up is on their timeline (the CRM listener) and emailed them a confirmation.
    caught_up(&app, activity::NAME).await;
    let on_timeline: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity WHERE contact_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!((26..=50).contains(&on_timeline), "{on_timeline}");
    let get = |pages: &[(&'static str, &'static str)]| {
        let (app, admin, id) = (&app, admin.clone(), id.clone());
        let pages = pages.to_vec();
        async move {
            let mut args = vec![("id", id.as_str())];
            args.extend(pages);
            let res = app.call(&admin, "contacts/get", &args).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let column = |detail: &Value, list: &str, key: &str| -> Vec<String> {
        detail[list].as_array().unwrap().iter().map(|row| row[key].as_str().unwrap().to_string()).collect()
    };
    let paging = |detail: &Value, list: &str| {
        let paging = &detail[format!("{list}_paging")];
        (paging["page"].as_i64().unwrap(), paging["has_more"].as_bool().unwrap())
    };
    let length = |detail: &Value, list: &str| detail[list].as_array().unwrap().len() as i64;

    // Left out or below 1, a list is at its first page: the newest 25, and more follow.
    let first = get(&[("pages[signups]", "1"), ("pages[tickets]", "0")]).await;
    let second = get(&[
        ("pages[activity]", "2"),
        ("pages[signups]", "2"),
        ("pages[tickets]", "2"),
        ("pages[payments]", "2"),
        ("pages[emails]", "2"),
    ])
    .await;
    let mut titles = column(&first, "signups", "shift_title");
    assert_eq!((titles.len(), titles[0].as_str(), titles[24].as_str()), (25, "Shift 26", "Shift 02"));
    assert_eq!(column(&second, "signups", "shift_title"), ["Shift 01"]);
    titles.extend(column(&second, "signups", "shift_title"));
    let expected: Vec<String> = (1..=26).rev().map(|day| format!("Shift {day:02}")).collect();
    assert_eq!(titles, expected, "each sign-up on exactly one page, the latest shift first");
    let mut amounts: Vec<i64> =
        first["payments"].as_array().unwrap().iter().map(|p| p["amount_cents"].as_i64().unwrap()).collect();
    amounts
        .extend(second["payments"].as_array().unwrap().iter().map(|p| p["amount_cents"].as_i64().unwrap()));
    assert_eq!(amounts, (1..=26).map(|n| 100 * n).collect::<Vec<_>>(), "the newest payment first");
    let tickets: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|d| {
            d["tickets"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!((tickets.len(), tickets[0].as_str()), (26, "VALID"));
    let (timeline_first, timeline_second) = (length(&first, "activity"), length(&second, "activity"));
    assert_eq!((timeline_first, timeline_first + timeline_second), (25, on_timeline));
    let emailed: Vec<String> = [&first, &second].iter().flat_map(|d| column(d, "emails", "about")).collect();
    assert_eq!((length(&first, "emails"), emailed.len()), (25, 26), "{emailed:?}");
    for list in ["activity", "signups", "tickets", "payments", "emails"] {
        assert_eq!(paging(&first, list), (1, true), "{list}");
        assert_eq!(paging(&second, list), (2, false), "{list}");
    }
    // Each list keeps its own page; a page past the end is empty.
    let mixed = get(&[("pages[signups]", "2"), ("pages[payments]", "3")]).await;
    assert_eq!(column(&mixed, "signups", "shift_title"), ["Shift 01"]);
    assert_eq!(length(&mixed, "tickets"), 25);
    assert_eq!((length(&mixed, "payments"), paging(&mixed, "payments")), (0, (3, false)));

    // The page links each list to its next page, keeping the others' as they are.
    let html = app.page(&admin, &format!("/admin/contacts/{id}")).await;
    let lists = ["activity", "signups", "tickets", "payments", "emails"];
    for next in lists.map(|list| format!("?{list}=2#{list}")) {
        assert!(html.contains(&format!("href=\"/admin/contacts/{id}{next}\"")), "{next}: {html}");
    }
    let html = app.page(&admin, &format!("/admin/contacts/{id}?signups=2&payments=3")).await;
    assert_eq!(html.matches("data-testid=\"contact-signup\"").count(), 1, "{html}");
    assert!(html.contains(">Shift 01</a>"), "{html}");
    assert!(html.contains("No more on this page."), "{html}");
    assert!(
        html.contains(&format!("href=\"/admin/contacts/{id}?payments=3#signups\"")),
        "back to sign-ups' first page"
    );
    assert!(
        html.contains(&format!(
            "href=\"/admin/contacts/{id}?signups=2&amp;tickets=2&amp;payments=3#tickets\""
        )),
        "{html}"
    );
}

async fn merging_keeps_every_signup_payment_activity_and_tag(app: TestApp) {
    use app::shifts::{SignupForm, SignupSource};
    let bus = app.bus();
    let shift_form = crate::common::shift_tomorrow;
    let first = app::shifts::service::create(&bus, &Actor::System, &shift_form("Leafleting")).await.unwrap();
    let second = app::shifts::service::create(&bus, &Actor::System, &shift_form("Phone bank")).await.unwrap();
    let sign_up = |shift: String, email: &'static str| {
        let bus = bus.clone();
        async move {
            let form = SignupForm { name: "Jo".into(), email: email.into(), phone: String::new() };
            app::shifts::service::sign_up(&bus, &Actor::System, &shift, &form, SignupSource::Public, None)
                .await
                .unwrap();
        }
    };
    sign_up(first.id.clone(), "jo@example.org").await;
    sign_up(second.id.clone(), "jo.work@example.org").await;
    let keep = app::contacts::service::id_by_email(&app.db, "jo@example.org").await.unwrap().unwrap();
    let gone = app::contacts::service::id_by_email(&app.db, "jo.work@example.org").await.unwrap().unwrap();
    sqlx::query("UPDATE contacts SET phone = '555-0199' WHERE id = $1")
        .bind(&gone)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO donations (id, contact_id, name, email, amount_cents, currency, frequency, status, created_at, updated_at) \
         VALUES ('d1', $1, 'Jo', 'jo.work@example.org', 1000, 'cad', 'ONE_OFF', 'PAID', 1, 1)",
    )
    .bind(&gone)
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
         email_template, status, emails_sent, created_at, updated_at) \
         VALUES ('c1', 'park', 'Park', '', '', '', '[]', 'S', 'T', 'ACTIVE', 1, 1, 1)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO campaign_emails (id, campaign_id, contact_id, supporter_name, supporter_email, postal_code, \
         message, recipient_count, created_at) VALUES ('e1', 'c1', $1, 'Jo', 'jo.work@example.org', 'K1A', '', 1, 1)",
    )
    .bind(&gone)
    .execute(app.db.pool())
    .await
    .unwrap();
    for sql in [
        "INSERT INTO ticketed_events (id, slug, title, description, venue, starts_at, ends_at, status, created_at, \
         updated_at) VALUES ('ev1', 'gala', 'Gala', '', 'Hall', 10, 20, 'PUBLISHED', 1, 1)",
        "INSERT INTO ticket_tiers (id, event_id, name, kind, price_cents, capacity, issued, position) \
         VALUES ('tier1', 'ev1', 'General', 'FREE', 0, 10, 1, 0)",
        "INSERT INTO tickets (id, event_id, tier_id, code, contact_id, name, email, status, created_at) \
         VALUES ('t1', 'ev1', 'tier1', 'AAAA-BBBB-CCCC', $1, 'Jo', 'jo.work@example.org', 'VALID', 1)",
    ] {
        sqlx::query(sql).bind(&gone).execute(app.db.pool()).await.unwrap();
    }
    let admin = admin(&app).await;
    for (id, tags) in [(&keep, "shared"), (&gone, "shared, phone banker")] {
        assert_eq!(
            app.call(&admin, "contacts/tags", &[("id", id.as_str()), ("add", tags)]).await.status(),
            200
        );
    }
    eventually("both sign-ups are on the timelines", || async {
        activity_count(&app, &keep).await == 1 && activity_count(&app, &gone).await == 1
    })
    .await;

    let merge = |survivor: &str, email: &str| {
        let (app, admin) = (&app, admin.clone());
        let args = [("survivor", survivor.to_string()), ("duplicate_email", email.to_string())];
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&admin, "contacts/merge", &args).await
        }
    };
    // The page's Merge button is off until the page's code, which asks first, has loaded.
    let html = app.page(&admin, &format!("/admin/contacts/{keep}")).await;
    let button =
        html.split("Merge a duplicate").nth(1).and_then(|rest| rest.split("</button>").next()).unwrap();
    assert!(button.contains("disabled"), "{button}");
    assert_eq!(merge(&keep, "jo@example.org").await.status(), 422, "not into itself");
    assert_eq!(merge(&keep, "nobody@example.org").await.status(), 422);
    assert!(app.events("contact.merged").await.is_empty(), "a refused merge publishes nothing");
    let before_events = app.events("contact.tags.changed").await.len();
    let res = merge(&keep, " JO.WORK@example.org ").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let detail: Value =
        app.call(&admin, "contacts/get", &[("id", keep.as_str())]).await.json().await.unwrap();
    // Both shifts start at 09:00 tomorrow, shown as their pages show it.
    let starts =
        format!("{}, 09:00 {}", app::time::day_label(first.starts_at + first.start_offset), first.zone_label);
    let signups = detail["signups"].as_array().unwrap();
    assert_eq!(signups.iter().map(|s| s["starts"].as_str().unwrap()).collect::<Vec<_>>(), [&starts, &starts]);
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
    assert_eq!(detail["activity"].as_array().unwrap().len(), 2);
    assert_eq!(detail["contact"]["tags"], serde_json::json!(["phone banker", "shared"]));
    assert_eq!(detail["contact"]["phone"], "555-0199");
    assert_eq!(app.call(&admin, "contacts/get", &[("id", gone.as_str())]).await.status(), 404);
    let campaign_email_contact: Option<String> =
        sqlx::query_scalar("SELECT contact_id FROM campaign_emails WHERE id = 'e1'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(campaign_email_contact.as_deref(), Some(keep.as_str()), "the campaign email moved too");
    let ticket_contact: String = sqlx::query_scalar("SELECT contact_id FROM tickets WHERE id = 't1'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(ticket_contact, keep, "the ticket moved too");
    let events = app.events("contact.tags.changed").await;
    assert_eq!(events.len(), before_events + 1);
    assert_eq!(events.last().unwrap()["added"], serde_json::json!(["phone banker"]));
    assert_eq!(
        app.events("contact.merged").await,
        [serde_json::json!({
            "contact_id": keep, "email": "jo@example.org",
            "merged_contact_id": gone, "merged_email": "jo.work@example.org",
        })]
    );
    assert_eq!(app.audited("contact.merged").await, ["jo.work@example.org into jo@example.org"]);
    assert!(app.events("contact.unsubscribed").await.is_empty(), "neither had unsubscribed");
}

fn contact_form<'a>(name: &'a str, email: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("form[name]", name), ("form[email]", email), ("form[phone]", phone)]
}

async fn contact_row(app: &TestApp, id: &str) -> (String, String, Option<String>, String) {
    sqlx::query_as("SELECT name, email, phone, source FROM contacts WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn organisers_add_a_contact_and_correct_their_details(app: TestApp) {
    let admin = admin(&app).await;
    let res = app.call(&admin, "contacts/create", &contact_form("", "not-an-email", "call me")).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    for message in ["Enter a name.", "Enter a valid email address", "Enter a phone number"] {
        assert!(body.contains(message), "{message}: {body}");
    }
    assert_eq!(contact_total(&app).await, 0, "a refused form adds nobody");

    let res = app
        .call(&admin, "contacts/create", &contact_form(" Rosa Parks ", " Rosa@Example.org ", "+1 555 0199"))
        .await;
    assert_eq!(res.status(), 200);
    let id: String = res.json().await.unwrap();
    assert_eq!(
        contact_row(&app, &id).await,
        ("Rosa Parks".into(), "rosa@example.org".into(), Some("+1 555 0199".into()), "ADMIN".into())
    );
    let created = app.events("contact.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0]["contact_id"].as_str(), created[0]["source"].as_str()),
        (Some(id.as_str()), Some("ADMIN"))
    );
    let html = admin.get(app.url("/admin/contacts")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Add a contact") && html.contains("rosa@example.org"), "{html}");

    // An email already on file is refused, whatever its case: merging is how two become one.
    let res = app.call(&admin, "contacts/create", &contact_form("Rosa Again", "ROSA@example.org", "")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("A contact with this email already exists."));
    assert_eq!((contact_total(&app).await, app.events("contact.created").await.len()), (1, 1));

    // Sent by the browser itself, the form ends on the new contact's page.
    let form = contact_form("Claudette Colvin", "claudette@example.org", "");
    let page = redirected_to(&app.post_as_browser(&admin, "contacts/create", "/admin/contacts", &form).await);
    let claudette =
        app::contacts::service::id_by_email(&app.db, "claudette@example.org").await.unwrap().unwrap();
    assert_eq!(page, format!("/admin/contacts/{claudette}"));

    // Correcting: a refused edit changes nothing; a good one changes name, email and phone.
    let update = |id: &str, form: Vec<(&'static str, &'static str)>| {
        let (app, admin) = (&app, admin.clone());
        let mut args = vec![("id", id.to_string())];
        args.extend(form.into_iter().map(|(k, v)| (k, v.to_string())));
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&admin, "contacts/update", &args).await
        }
    };
    let res = update(&id, contact_form("Rosa Parks", "claudette@example.org", "")).await;
    assert_eq!(res.status(), 422, "another contact's email");
    assert!(res.text().await.unwrap().contains("merge them"));
    assert_eq!(update(&id, contact_form("Rosa\nParks", "x@", "")).await.status(), 422);
    assert_eq!(
        contact_row(&app, &id).await,
        ("Rosa Parks".into(), "rosa@example.org".into(), Some("+1 555 0199".into()), "ADMIN".into()),
        "nothing changed"
    );
    assert_eq!(update(&id, contact_form("Rosa L. Parks", "Rosa.Parks@example.org", " ")).await.status(), 200);
    assert_eq!(
        contact_row(&app, &id).await,
        ("Rosa L. Parks".into(), "rosa.parks@example.org".into(), None, "ADMIN".into()),
        "an empty phone removes it"
    );
    assert_eq!(app.audited("contact.updated").await, ["rosa@example.org → rosa.parks@example.org"]);
    // Published with the address before, so the newsletter can follow the change.
    let updated = app.events("contact.updated").await;
    assert_eq!(
        updated,
        [serde_json::json!({
            "contact_id": id, "name": "Rosa L. Parks", "email": "rosa.parks@example.org",
            "previous_email": "rosa@example.org", "phone": null,
        })]
    );
    // The same details saved again change nothing: no event, no audit row.
    assert_eq!(update(&id, contact_form("Rosa L. Parks", "ROSA.PARKS@example.org", "")).await.status(), 200);
    assert_eq!(app.events("contact.updated").await.len(), 1);
    assert_eq!(app.audited("contact.updated").await.len(), 1);
    assert_eq!(update("nobody", contact_form("Nobody", "nobody@example.org", "")).await.status(), 404);
    let form = contact_form("Rosa Parks", "rosa.parks@example.org", "555 0100");
    let mut args = vec![("id", id.as_str())];
    args.extend(form);
    let page =
        redirected_to(&app.post_as_browser(&admin, "contacts/update", "/admin/contacts/x", &args).await);
    assert_eq!(page, format!("/admin/contacts/{id}"));
    assert_eq!(contact_row(&app, &id).await.2.as_deref(), Some("555 0100"));
    let updated = app.events("contact.updated").await;
    assert_eq!(updated.len(), 2);
    assert_eq!(
        (updated[1]["name"].as_str(), updated[1]["previous_email"].as_str(), updated[1]["phone"].as_str()),
        (Some("Rosa Parks"), Some("rosa.parks@example.org"), Some("555 0100"))
    );
}

/// The contact's edit form as the page sends it, opened when their details had changed
/// `edits` times.
fn edit_form<'a>(
    id: &'a str,
    name: &'a str,
    email: &'a str,
    phone: &'a str,
    edits: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut form = contact_form(name, email, phone);
    form.extend([("id", id), ("form[edits]", edits)]);
    form
}

async fn an_edit_form_opened_before_a_contact_changed_cannot_put_the_old_details_back(app: TestApp) {
    let admin = admin(&app).await;
    let id = contact(&app, "rosa@example.org", "Rosa", None).await;
    let edits = || async {
        app.call(&admin, "contacts/get", &[("id", id.as_str())]).await.json::<Value>().await.unwrap()["contact"]
            ["edits"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(edits().await, 0);
    // Two organisers open the form; the first adds a phone.
    let first = app
        .call(&admin, "contacts/update", &edit_form(&id, "Rosa", "rosa@example.org", "555 0100", "0"))
        .await;
    assert_eq!(first.json::<i64>().await.unwrap(), 1, "answers the new count");
    // The second, from the form opened before, renames her, and would take the phone away:
    // refused, nothing saved, audited or published.
    let second =
        app.call(&admin, "contacts/update", &edit_form(&id, "Rosa Parks", "rosa@example.org", "", "0")).await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("Someone else saved changes to this contact"));
    assert_eq!(contact_row(&app, &id).await.0, "Rosa");
    assert_eq!(contact_row(&app, &id).await.2.as_deref(), Some("555 0100"));
    assert_eq!(
        (app.events("contact.updated").await.len(), app.audited("contact.updated").await.len()),
        (1, 1)
    );
    // A stale form that changes nothing is no harm, and the first form saves again.
    assert_eq!(
        app.call(&admin, "contacts/update", &edit_form(&id, "Rosa", "rosa@example.org", "555 0100", "0"))
            .await
            .status(),
        200
    );
    let again = app
        .call(&admin, "contacts/update", &edit_form(&id, "Rosa P.", "rosa@example.org", "555 0100", "1"))
        .await;
    assert_eq!(again.json::<i64>().await.unwrap(), 2);

    // Her account's new email changes the contact too: a form opened before it is refused,
    // so that it cannot put the old email back.
    let bus = app.bus();
    let mut tx = app.db.begin_write().await.unwrap();
    let (old, new) = (("Rosa P.", "rosa@example.org"), ("Rosa P.", "rosa.parks@example.org"));
    app::contacts::service::follow_account(&mut tx, &Actor::System, old, new).await.unwrap();
    bus.commit(tx).await.unwrap();
    assert_eq!(edits().await, 3);
    let stale = edit_form(&id, "Rosa Parks", "rosa@example.org", "555 0100", "2");
    assert_eq!(app.call(&admin, "contacts/update", &stale).await.status(), 409);
    assert_eq!(contact_row(&app, &id).await.1, "rosa.parks@example.org");

    // So does a merge that gives her a phone; one that leaves her details as they were does not.
    contact(&app, "claudette@example.org", "Claudette", Some("555 0199")).await;
    let merge = |duplicate: &'static str, survivor: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.call(
                &admin,
                "contacts/merge",
                &[("survivor", survivor.as_str()), ("duplicate_email", duplicate)],
            )
            .await
            .status()
        }
    };
    contact(&app, "rosa.work@example.org", "Rosa", Some("555 0123")).await;
    assert_eq!(merge("rosa.work@example.org", id.clone()).await, 200);
    assert_eq!(edits().await, 3, "she had a phone: her details are as they were");
    let empty = contact(&app, "nophone@example.org", "No Phone", None).await;
    assert_eq!(merge("claudette@example.org", empty.clone()).await, 200);
    assert_eq!(contact_row(&app, &empty).await.2.as_deref(), Some("555 0199"));
    let stale = edit_form(&empty, "No Phone", "nophone@example.org", "", "0");
    assert_eq!(app.call(&admin, "contacts/update", &stale).await.status(), 409);
    assert_eq!(contact_row(&app, &empty).await.2.as_deref(), Some("555 0199"), "the merged phone stays");

    // A caller that sends no count (a script) is not checked.
    let unchecked =
        [("id", id.as_str()), ("form[name]", "Rosa Parks"), ("form[email]", "rosa.parks@example.org")];
    assert_eq!(app.call(&admin, "contacts/update", &unchecked).await.status(), 200);
    assert_eq!(contact_row(&app, &id).await.0, "Rosa Parks");
}

async fn contact_functions_check_the_role(app: TestApp) {
    let id = contact(&app, "kim@example.org", "Kim", None).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let payments = app.signed_in("pay@example.org").await;
    let superadmin = app.signed_in("super@example.org").await;
    let admin = admin(&app).await;
    let anonymous = app.client();
    let reads: [(&str, Vec<(&str, &str)>); 2] =
        [("contacts/list", vec![]), ("contacts/get", vec![("id", id.as_str())])];
    let writes: [(&str, Vec<(&str, &str)>); 3] = [
        ("contacts/tags", vec![("id", id.as_str()), ("add", "x")]),
        ("contacts/merge", vec![("survivor", id.as_str()), ("duplicate_email", "kim@example.org")]),
        ("contacts/erase", vec![("id", id.as_str()), ("confirm_email", "not.kim@example.org")]),
    ];
    for (endpoint, args) in reads.iter().chain(&writes) {
        assert_eq!(app.call(&anonymous, endpoint, args).await.status(), 401, "{endpoint}");
        assert_eq!(app.call(&volunteer, endpoint, args).await.status(), 403, "{endpoint}");
    }
    for (endpoint, args) in &reads {
        for client in [&payments, &admin, &superadmin] {
            assert_eq!(app.call(client, endpoint, args).await.status(), 200, "{endpoint}");
        }
    }
    for (endpoint, args) in &writes {
        assert_eq!(app.call(&payments, endpoint, args).await.status(), 403, "{endpoint}");
    }
    assert_eq!(app.call(&admin, "contacts/tags", &writes[0].1).await.status(), 200);
    assert_eq!(app.call(&superadmin, "contacts/tags", &writes[0].1).await.status(), 200);
    // Merging a contact into itself is refused (422), so only the role check is under test here.
    assert_eq!(app.call(&admin, "contacts/merge", &writes[1].1).await.status(), 422);
    // So is an erasure whose typed email is not the contact's.
    assert_eq!(app.call(&admin, "contacts/erase", &writes[2].1).await.status(), 422);
    for (client, status) in [(&anonymous, 401), (&volunteer, 403), (&payments, 200), (&admin, 200)] {
        assert_eq!(client.get(app.url("/api/contacts.csv")).send().await.unwrap().status(), status);
    }
    // The contact's page offers only what the role may do: a payments admin reads it without
    // the forms that would refuse them.
    for (client, manages) in [(&payments, false), (&admin, true), (&superadmin, true)] {
        let page = client.get(app.url(&format!("/admin/contacts/{id}"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("kim@example.org"), "the contact's details are shown");
        for form in ["edit-contact", "add-tags", "merge-contact", "erase-contact"] {
            assert_eq!(page.contains(&format!("data-testid=\"{form}\"")), manages, "{form}");
        }
        // The tag the admin added above shows to all, with its remove button only to them.
        assert!(page.contains("data-testid=\"tag\""), "the contact's tag is shown");
        assert_eq!(page.contains("aria-label=\"Remove tag x\""), manages, "the tag's remove button");
    }
}

async fn contact_total(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM contacts").fetch_one(app.db.pool()).await.unwrap()
}

const IMPORT_FILE: &str = "Name,EMAIL,Phone,Tags,source\r
Ada Lovelace,ada@example.org,+1 555 0100,Donor; ward 7,IGNORED\r
Bad Email,not-an-email,,,\r
,noname@example.org,,,\r
Old Friend,OLD@example.org,555 0101,returning,\r
Dup,ada@example.org,,,\r
Tagged,tag@example.org,,<b>,\r
\"Lee, Sam\",\"sam@example.org\",,,\r
";

async fn importing_a_csv_reports_bad_rows_by_line_and_imports_the_rest(app: TestApp) {
    let admin = admin(&app).await;
    let old = contact(&app, "old@example.org", "Old", None).await;
    let before = contact_total(&app).await;

    // The preview says what would happen and changes nothing.
    let res =
        app.call_json(&admin, "contacts/import/preview", &serde_json::json!({ "csv": IMPORT_FILE })).await;
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    assert_eq!((preview["rows"].as_i64(), preview["new_contacts"].as_i64()), (Some(7), Some(2)));
    assert_eq!(preview["existing_contacts"], 1);
    let lines: Vec<i64> =
        preview["problems"].as_array().unwrap().iter().map(|p| p["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 6, 7]);
    let problem = |line: usize| preview["problems"][line]["message"].as_str().unwrap().to_string();
    assert!(problem(0).contains("valid email"), "{}", problem(0));
    assert!(problem(1).contains("Enter a name"), "{}", problem(1));
    assert!(problem(2).contains("already on line 2"), "{}", problem(2));
    assert!(problem(3).contains("not a tag"), "{}", problem(3));
    assert_eq!(preview["sample"][0]["tags"], serde_json::json!(["donor", "ward 7"]));
    assert_eq!(preview["sample"][2]["name"], "Lee, Sam");
    // The same file as a spreadsheet saves it where the comma is the decimal mark previews alike.
    let semicolons = "Name;EMAIL;Phone;Tags\r\nAda Lovelace;ada@example.org;+1 555 0100;\"Donor; ward 7\"\r\n\"Lee, Sam\";sam@example.org;;\r\n";
    let res =
        app.call_json(&admin, "contacts/import/preview", &serde_json::json!({ "csv": semicolons })).await;
    let same: Value = res.json().await.unwrap();
    assert_eq!((same["rows"].as_i64(), same["new_contacts"].as_i64()), (Some(2), Some(2)), "{same}");
    assert_eq!(same["sample"][0]["tags"], serde_json::json!(["donor", "ward 7"]));
    assert_eq!(same["sample"][1]["name"], "Lee, Sam");
    assert_eq!(contact_total(&app).await, before);
    assert!(app.events("contact.tags.changed").await.is_empty());

    // The import runs as a job and reports the same problems.
    let res =
        app.call_json(&admin, "contacts/import/start", &serde_json::json!({ "csv": IMPORT_FILE })).await;
    assert_eq!(res.status(), 200);
    let job_id: String = res.json().await.unwrap();
    let job = app.finished_job(&admin, &job_id).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!((job["total"].as_i64(), job["done"].as_i64()), (Some(3), Some(3)));
    let counts = &job["result"]["counts"];
    assert_eq!(counts, &serde_json::json!([["created", 2], ["updated", 1], ["skipped", 4]]));
    assert_eq!(job["result"]["problems"].as_array().unwrap().len(), 4);
    assert_eq!(contact_total(&app).await, before + 2);

    let row = |email: &'static str| {
        let app = &app;
        async move {
            let (id, name, phone, source): (String, String, Option<String>, String) =
                sqlx::query_as("SELECT id, name, phone, source FROM contacts WHERE email = $1")
                    .bind(email)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
            let tags: Vec<String> =
                sqlx::query_scalar("SELECT tag FROM contact_tags WHERE contact_id = $1 ORDER BY tag")
                    .bind(&id)
                    .fetch_all(app.db.pool())
                    .await
                    .unwrap();
            (name, phone, source, tags)
        }
    };
    let ada = row("ada@example.org").await;
    assert_eq!(
        ada,
        (
            "Ada Lovelace".into(),
            Some("+1 555 0100".into()),
            "IMPORT".into(),
            vec!["donor".into(), "ward 7".into()]
        )
    );
    // Someone on file keeps their name and gains the phone and tags.
    let kept = row("old@example.org").await;
    assert_eq!(kept, ("Old".into(), Some("555 0101".into()), "TEST".into(), vec!["returning".to_string()]));
    // Gaining a phone is a change of their details: an edit form opened before is out of date.
    let edits: i64 = sqlx::query_scalar("SELECT edits FROM contacts WHERE id = $1")
        .bind(&old)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(edits, 1);
    assert_eq!(row("sam@example.org").await.0, "Lee, Sam");

    let created: Vec<String> = app
        .events("contact.created")
        .await
        .iter()
        .filter(|e| e["source"] == "IMPORT")
        .map(|e| e["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(created.len(), 2);
    assert!(
        created.contains(&"ada@example.org".to_string()) && created.contains(&"sam@example.org".to_string())
    );
    let tagged = app.events("contact.tags.changed").await;
    assert_eq!(tagged.len(), 2);
    assert!(
        tagged
            .iter()
            .any(|e| e["contact_id"] == old.as_str() && e["added"] == serde_json::json!(["returning"]))
    );
    assert_eq!(app.audited("contact.imported").await, ["2 created, 1 updated, 4 skipped"]);

    // Importing the same file again creates nobody and changes no tag.
    let res =
        app.call_json(&admin, "contacts/import/start", &serde_json::json!({ "csv": IMPORT_FILE })).await;
    let job = app.finished_job(&admin, &res.json::<String>().await.unwrap()).await;
    assert_eq!(job["result"]["counts"], serde_json::json!([["created", 0], ["updated", 3], ["skipped", 4]]));
    assert_eq!(contact_total(&app).await, before + 2);
    assert_eq!(app.events("contact.tags.changed").await.len(), 2);
}

/// A group moving its list from another platform: 12,000 contacts (1.4 MB, more than the
/// 1 MiB other requests may carry) are previewed; a request past the import's own limit is
/// refused before it is read.
async fn a_large_contact_list_is_previewed_and_a_larger_one_refused(app: TestApp) {
    let admin = admin(&app).await;
    let surname = "y".repeat(80);
    let rows: String =
        (0..12_000).map(|n| format!("Person {n} {surname},p{n}@example.org,,member\n")).collect();
    let body = serde_json::json!({ "csv": format!("name,email,phone,tags\n{rows}") });
    assert!(body.to_string().len() > 1024 * 1024);
    let res = app.call_json(&admin, "contacts/import/preview", &body).await;
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    assert_eq!((preview["rows"].as_i64(), preview["new_contacts"].as_i64()), (Some(12_000), Some(12_000)));
    assert_eq!(preview["problems"], serde_json::json!([]));

    let past_the_limit = serde_json::json!({ "csv": "x".repeat(app::contacts::IMPORT_MAX_REQUEST_BYTES) });
    let res = app.call_json(&admin, "contacts/import/preview", &past_the_limit).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.text().await.unwrap(), "The request body is too large (the limit is 16 MiB).");
    // Any other request keeps the limit of 1 MiB.
    let res =
        app.call(&admin, "contacts/list", &[("filter[search]", "x".repeat(1024 * 1024).as_str())]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.text().await.unwrap(), "The request body is too large (the limit is 1 MiB).");
}

async fn an_import_file_that_cannot_be_read_changes_nothing(app: TestApp) {
    let admin = admin(&app).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let payments = app.signed_in("pay@example.org").await;
    let before = contact_total(&app).await;
    let big = format!("name,email\n{}", "Someone,someone@example.org\n".repeat(320_000));
    for (file, message) in [
        ("", "The file is empty."),
        ("name,phone\nAda,123\n", "at least name and email"),
        ("name,email\n", "no contacts"),
        ("name,email\nAda,ada@example.org\n\"Open,b@example.org\n", "Line 3: a quoted cell is never closed."),
        ("name,email\nBad,nope\n", "No row can be imported"),
        (big.as_str(), "larger than 8 MB"),
    ] {
        let body = serde_json::json!({ "csv": file });
        let res = app.call_json(&admin, "contacts/import/start", &body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 422, "{message}: {}", &text[..text.len().min(300)]);
        assert!(text.contains(message), "{message}: {}", &text[..text.len().min(300)]);
    }
    assert_eq!(contact_total(&app).await, before);
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(jobs, 0);

    // Only admins may preview, import or follow an import.
    let body = serde_json::json!({ "csv": "name,email\nAda,ada@example.org\n" });
    for endpoint in ["contacts/import/preview", "contacts/import/start"] {
        assert_eq!(app.call_json(&app.client(), endpoint, &body).await.status(), 401, "{endpoint}");
        assert_eq!(app.call_json(&volunteer, endpoint, &body).await.status(), 403, "{endpoint}");
        assert_eq!(app.call_json(&payments, endpoint, &body).await.status(), 403, "{endpoint}");
    }
    assert_eq!(contact_total(&app).await, before);
    let res = app.call_json(&admin, "contacts/import/start", &body).await;
    let id: String = res.json().await.unwrap();
    for (client, status) in [(&app.client(), 401), (&volunteer, 403), (&payments, 403)] {
        assert_eq!(app.call(client, "jobs/get", &[("id", id.as_str())]).await.status(), status);
    }
    assert_eq!(app.finished_job(&admin, &id).await["status"], "DONE");
    assert_eq!(app.call(&admin, "jobs/get", &[("id", "nope")]).await.status(), 404);
}

async fn a_job_left_running_by_a_stopped_server_reads_as_interrupted(app: TestApp) {
    let admin = admin(&app).await;
    let now = app::db::now_unix();
    for (id, updated_at) in [("stale", now - 600), ("moving", now)] {
        sqlx::query(
            "INSERT INTO jobs (id, kind, status, total, done, created_by, created_at, updated_at) \
             VALUES ($1, 'contact-import', 'RUNNING', 10, 3, 'test', $2, $2)",
        )
        .bind(id)
        .bind(updated_at)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    let job = |id: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move { app.call(&admin, "jobs/get", &[("id", id)]).await.json::<Value>().await.unwrap() }
    };
    let stale = job("stale").await;
    assert_eq!((stale["status"].as_str(), stale["done"].as_i64()), (Some("INTERRUPTED"), Some(3)));
    assert!(stale["error"].as_str().unwrap().contains("what was done before it is kept"));
    assert_eq!(job("moving").await["status"], "RUNNING");
    assert_eq!(app::jobs::service::mark_interrupted(&app.db).await.unwrap(), 1);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT status FROM jobs ORDER BY id").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(stored, ["RUNNING", "INTERRUPTED"]);
}

async fn the_leaderboard_ranks_contacts_by_their_points_in_a_period(app: TestApp) {
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    let reader = app.signed_in("pay@example.org").await;
    let board = |days: &'static str| {
        let (app, reader) = (&app, &reader);
        async move {
            let res = app.call(reader, "contacts/leaderboard", &[("period_days", days)]).await;
            assert_eq!(res.status(), 200);
            let rows: Vec<Value> = res.json().await.unwrap();
            rows.iter()
                .map(|r| {
                    (
                        r["rank"].as_i64().unwrap(),
                        r["name"].as_str().unwrap().to_string(),
                        r["score"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert!(board("30").await.is_empty());

    let ada = contact(&app, "ada@example.org", "Ada", None).await;
    let cy = contact(&app, "cy@example.org", "Cy", None).await;
    let bo = contact(&app, "bo@example.org", "Bo", None).await;
    let donation = |c: &str| {
        Event::DonationCompleted(DonationCompleted {
            contact_id: Some(c.to_string()),
            amount_cents: 2500,
            ..Default::default()
        })
    };
    let signup = |c: &str| {
        Event::ShiftSignupCreated(ShiftSignupCreated {
            contact_id: Some(c.to_string()),
            shift_title: "Leafleting".into(),
            ..Default::default()
        })
    };
    // Ada and Cy each donate (50); Bo signs up three times (20 each), once long ago.
    for event in [donation(&ada), donation(&cy), signup(&bo), signup(&bo), signup(&bo)] {
        app.publish(&event).await;
    }
    eventually("the timeline has every activity", || async {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        rows == 5
    })
    .await;
    let long_ago = app::db::now_unix() - 100 * 86_400;
    sqlx::query("UPDATE contact_activity SET occurred_at = $1 WHERE id = (SELECT MIN(id) FROM contact_activity WHERE contact_id = $2)")
        .bind(long_ago)
        .bind(&bo)
        .execute(app.db.pool())
        .await
        .unwrap();

    // The last 30 days: the two donors share first place; Bo's recent sign-ups come third.
    let recent = board("30").await;
    assert_eq!(recent.len(), 3);
    assert_eq!((recent[0].0, recent[0].2, recent[1].0, recent[1].2), (1, 50, 1, 50));
    let mut donors = [recent[0].1.as_str(), recent[1].1.as_str()];
    donors.sort();
    assert_eq!(donors, ["Ada", "Cy"]);
    assert_eq!(recent[2], (3, "Bo".to_string(), 40));
    // All time (and the last year, which still holds the old sign-up): Bo leads.
    for days in ["0", "365"] {
        let all = board(days).await;
        assert_eq!(all[0], (1, "Bo".to_string(), 60), "{days}");
        assert_eq!((all[1].0, all[2].0), (2, 2), "{days}");
    }

    // Only the periods offered; the page lists them.
    let res = app.call(&reader, "contacts/leaderboard", &[("period_days", "7")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Choose the last 30, 90 or 365 days"));
    let page = app.page(&reader, "/admin/contacts/leaderboard?days=0").await;
    assert!(page.contains("Engagement leaderboard") && page.contains("Bo") && page.contains("60"), "{page}");
}

async fn organisers_keep_notes_on_a_contact_which_follow_it_through_a_merge_and_an_erasure(app: TestApp) {
    app.create_user("organiser@example.org", Role::Admin, UserStatus::Active).await;
    let organiser = app.signed_in("organiser@example.org").await;
    let jo = contact(&app, "jo@example.org", "Jo", None).await;
    let notes_of = |id: &str, page: &str| {
        let (id, page) = (id.to_string(), page.to_string());
        let (app, organiser) = (&app, &organiser);
        async move {
            let args = [("id", id.as_str()), ("pages[notes]", page.as_str())];
            let detail: Value = app.call(organiser, "contacts/get", &args).await.json().await.unwrap();
            (detail["notes"].as_array().unwrap().clone(), detail["notes_paging"]["has_more"] == true)
        }
    };
    let add = |id: &str, body: &str| {
        let (id, body) = (id.to_string(), body.to_string());
        let (app, organiser) = (&app, &organiser);
        async move {
            app.call(organiser, "contacts/add-note", &[("id", id.as_str()), ("body", body.as_str())]).await
        }
    };
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM contact_notes")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };

    // Bad notes: refused, nothing written.
    let long = "x".repeat(2_001);
    for body in ["   ", long.as_str(), "a\u{7}b"] {
        let res = add(&jo, body).await;
        assert_eq!(res.status(), 422, "{body:?}");
        assert!(res.text().await.unwrap().contains("\"field\":\"body\""));
    }
    assert_eq!(add("nobody", "Called").await.status(), 404);
    assert_eq!(stored().await, 0);
    assert_eq!(notes_of(&jo, "1").await, (vec![], false));

    // Two notes, newest first, signed; kept as written, lines and all (trimmed).
    assert_eq!(add(&jo, "  Called: would host a house party.\nCall back Friday.  ").await.status(), 200);
    assert_eq!(add(&jo, "Brought six friends to the rally").await.status(), 200);
    let (notes, more) = notes_of(&jo, "1").await;
    assert!(!more);
    let bodies: Vec<&str> = notes.iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies,
        ["Brought six friends to the rally", "Called: would host a house party.\nCall back Friday."]
    );
    assert!(notes.iter().all(|n| n["author"] == "Test Person"), "{notes:?}");

    // A page at a time: 20, then the rest.
    for n in 0..19 {
        assert_eq!(add(&jo, &format!("Note {n}")).await.status(), 200);
    }
    let (first, more) = notes_of(&jo, "1").await;
    assert_eq!((first.len(), more), (20, true));
    assert_eq!(first[0]["body"], "Note 18");
    let (second, more) = notes_of(&jo, "2").await;
    assert_eq!((second.len(), more), (1, false));
    assert_eq!(second[0]["body"], "Called: would host a house party.\nCall back Friday.");

    // Deleted: gone, the audit log says whose note on whom, not what it said.
    assert_eq!(app.call(&organiser, "contacts/delete-note", &[("note_id", "nope")]).await.status(), 404);
    let rally = first[19]["id"].as_str().unwrap().to_string();
    assert_eq!(first[19]["body"], "Brought six friends to the rally");
    assert_eq!(
        app.call(&organiser, "contacts/delete-note", &[("note_id", rally.as_str())]).await.status(),
        200
    );
    assert_eq!(
        app.call(&organiser, "contacts/delete-note", &[("note_id", rally.as_str())]).await.status(),
        404
    );
    assert_eq!(stored().await, 20);
    let audited = app.audited("contact.note.deleted").await;
    assert_eq!(audited.len(), 1);
    assert!(
        audited[0].starts_with("Test Person's note of ") && audited[0].ends_with(" on jo@example.org"),
        "{audited:?}"
    );
    assert!(!audited[0].contains("rally"));

    // Merged: a duplicate's notes move to the contact kept; an author whose account is gone is
    // named as such.
    let duplicate = contact(&app, "jo.work@example.org", "Jo", None).await;
    assert_eq!(add(&duplicate, "Works at the library").await.status(), 200);
    sqlx::query(
        "UPDATE contact_notes SET written_by = 'a-deleted-account' WHERE body = 'Works at the library'",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let merge = [("survivor", jo.as_str()), ("duplicate_email", "jo.work@example.org")];
    assert_eq!(app.call(&organiser, "contacts/merge", &merge).await.status(), 200);
    let (notes, _) = notes_of(&jo, "1").await;
    assert_eq!(
        (notes[0]["body"].as_str(), notes[0]["author"].as_str()),
        (Some("Works at the library"), Some("A former team member"))
    );

    // In the file of everything held about Jo; erased with Jo's personal data.
    let file: Value = organiser
        .get(app.url(&format!("/api/contacts/{jo}/data.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kept: Vec<&str> =
        file["notes"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(
        (kept.len(), kept[0], kept[20]),
        (21, "Called: would host a house party.\nCall back Friday.", "Works at the library")
    );
    let erase = [("id", jo.as_str()), ("confirm_email", "jo@example.org")];
    assert_eq!(app.call(&organiser, "contacts/erase", &erase).await.status(), 200);
    assert_eq!(stored().await, 0);
    assert_eq!(add(&jo, "Called again").await.status(), 404);
}

async fn a_note_is_rewritten_by_its_author_only_and_says_when(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("ben@example.org", Role::Admin, UserStatus::Active).await;
    let (ana, ben) = (app.signed_in("ana@example.org").await, app.signed_in("ben@example.org").await);
    let jo = contact(&app, "jo@example.org", "Jo", None).await;
    let add = [("id", jo.as_str()), ("body", "Called: would host a house party.")];
    assert_eq!(app.call(&ana, "contacts/add-note", &add).await.status(), 200);
    let notes = || async {
        let detail: Value =
            app.call(&ana, "contacts/get", &[("id", jo.as_str())]).await.json().await.unwrap();
        detail["notes"][0].clone()
    };
    let note = notes().await;
    let note_id = note["id"].as_str().unwrap().to_string();
    assert_eq!(note["edited"], Value::Null);
    let ana_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'ana@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(note["author_id"], ana_id.as_str());
    let edit = |client: &reqwest::Client, id: &str, body: &str| {
        let (client, id, body) = (client.clone(), id.to_string(), body.to_string());
        let app = &app;
        async move {
            app.call(&client, "contacts/edit-note", &[("note_id", id.as_str()), ("body", body.as_str())])
                .await
        }
    };

    // Not the author, not a note, not a note's text: refused, and the note stays as it was.
    let res = edit(&ben, &note_id, "Would not host.").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Only its author changes a note"));
    assert_eq!(edit(&ana, "nope", "Anything").await.status(), 404);
    for body in ["  ", &"x".repeat(2_001), "a\u{7}b"] {
        let res = edit(&ana, &note_id, body).await;
        assert_eq!(res.status(), 422, "{body:?}");
        assert!(res.text().await.unwrap().contains("\"field\":\"body\""));
    }
    assert_eq!(edit(&app.client(), &note_id, "Anything").await.status(), 401);
    let unchanged = notes().await;
    assert_eq!((&unchanged["body"], &unchanged["edited"]), (&note["body"], &Value::Null));

    // Rewritten by Ana: the new words, trimmed, still hers and dated as written, now edited.
    assert_eq!(edit(&ana, &note_id, " Called: will host on the 12th.\nBring chairs. ").await.status(), 200);
    let edited = notes().await;
    assert_eq!(edited["body"], "Called: will host on the 12th.\nBring chairs.");
    assert_eq!((&edited["author"], &edited["at"]), (&note["author"], &note["at"]));
    assert!(edited["edited"].as_str().is_some_and(|at| at.len() >= 16), "{edited}");

    // Posted by the browser itself (before the page's code has loaded), both forms land back on
    // the contact's page.
    let page = format!("/admin/contacts/{jo}");
    let form = [("note_id", note_id.as_str()), ("body", "Hosting on the 12th.")];
    assert_eq!(redirected_to(&app.post_as_browser(&ana, "contacts/edit-note", &page, &form).await), page);
    assert_eq!(notes().await["body"], "Hosting on the 12th.");
    let form = [("id", jo.as_str()), ("body", "Chairs found.")];
    assert_eq!(redirected_to(&app.post_as_browser(&ana, "contacts/add-note", &page, &form).await), page);
    assert_eq!(notes().await["body"], "Chairs found.", "the newest first");
}

/// An organiser tags everyone a search finds, on every page of it, in one go: those who had
/// the tag are left as they were, each other one gets it with its own event, and it is audited.
async fn organisers_tag_everyone_a_search_finds(app: TestApp) {
    for n in 0..60 {
        contact(&app, &format!("riverside{n}@example.org"), &format!("Riverside {n}"), None).await;
    }
    let hill = contact(&app, "hill@example.org", "Hill", None).await;
    let admin = admin(&app).await;
    let had = contact(&app, "riverside-had@example.org", "Riverside Had", None).await;
    app.call(&admin, "contacts/tags", &[("id", had.as_str()), ("add", "riverside")]).await;
    let before = app.events("contact.tags.changed").await.len();
    let tag_all = async |search: &str, tag: &str| {
        let args = [("filter[search]", search), ("filter[tag]", ""), ("add", tag)];
        app.call(&admin, "contacts/tag-all", &args).await
    };

    // Refused: no tag, a bad one, a bad filter; a volunteer; nothing changes.
    let too_long = "x".repeat(41);
    for (search, tag) in [("riverside", ""), ("riverside", "<b>"), ("riverside", too_long.as_str())] {
        let res = tag_all(search, tag).await;
        assert_eq!(res.status(), 422, "{tag:?}");
        assert!(res.text().await.unwrap().contains("\"field\":\"add\""), "{tag:?}");
    }
    let untag_all = async |filter_tag: &str, add: &str, remove: &str| {
        let args = [("filter[search]", ""), ("filter[tag]", filter_tag), ("add", add), ("remove", remove)];
        app.call(&admin, "contacts/tag-all", &args).await
    };
    for (add, remove) in [("", "<b>"), ("riverside", "riverside")] {
        let res = untag_all("", add, remove).await;
        assert_eq!(res.status(), 422, "{remove:?}");
        assert!(res.text().await.unwrap().contains("\"field\":\"remove\""), "{remove:?}");
    }
    assert_eq!(app::contacts::service::tags_held(&app.db, &had).await.unwrap(), ["riverside"]);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let args = [("filter[search]", "riverside"), ("add", "riverside")];
    assert_eq!(app.call(&volunteer, "contacts/tag-all", &args).await.status(), 403);
    assert_eq!(app.call(&app.client(), "contacts/tag-all", &args).await.status(), 401);
    assert_eq!(app.events("contact.tags.changed").await.len(), before);

    // Every one the search finds, past the list's first page, but not the one who had it.
    let res = tag_all("RIVERSIDE", " Riverside ").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), 60);
    let tagged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_tags WHERE tag = 'riverside'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(tagged, 61);
    assert_eq!(app::contacts::service::tags_held(&app.db, &hill).await.unwrap(), Vec::<String>::new());
    let events = app.events("contact.tags.changed").await;
    assert_eq!(events.len(), before + 60);
    assert!(events[before..].iter().all(|e| e["added"] == serde_json::json!(["riverside"])));
    assert_eq!(app.audited("contacts.tagged").await, ["added riverside: 60 contacts"]);
    // Again: nobody left without it, nothing published.
    assert_eq!(tag_all("riverside", "riverside").await.json::<Value>().await.unwrap(), 0);
    assert_eq!(app.events("contact.tags.changed").await.len(), before + 60);
    // By tag: those tagged riverside get a second tag.
    let args = [("filter[search]", ""), ("filter[tag]", "riverside"), ("add", "canvassed")];
    assert_eq!(app.call(&admin, "contacts/tag-all", &args).await.json::<Value>().await.unwrap(), 61);

    // Taken off everyone the tag filter finds, and the other tag stays: Hill, who never had
    // it, is not reached, and nor published about.
    let before = app.events("contact.tags.changed").await.len();
    assert_eq!(untag_all("canvassed", "", "riverside").await.json::<Value>().await.unwrap(), 61);
    let events = app.events("contact.tags.changed").await;
    assert_eq!(events.len(), before + 61);
    assert!(
        events[before..]
            .iter()
            .all(|e| e["added"] == serde_json::json!([]) && e["removed"] == serde_json::json!(["riverside"]))
    );
    assert!(events[before..].iter().all(|e| e["email"] != "hill@example.org"));
    assert_eq!(app::contacts::service::tags_held(&app.db, &had).await.unwrap(), ["canvassed"]);
    assert_eq!(untag_all("", "", "riverside").await.json::<Value>().await.unwrap(), 0);
    // Both at once, a tag renamed on those who hold it.
    assert_eq!(untag_all("canvassed", "door knocked", "canvassed").await.json::<Value>().await.unwrap(), 61);
    assert_eq!(app::contacts::service::tags_held(&app.db, &had).await.unwrap(), ["door knocked"]);
    assert_eq!(app::contacts::service::tags_held(&app.db, &hill).await.unwrap(), Vec::<String>::new());
    let mut audited = app.audited("contacts.tagged").await;
    audited.sort();
    let expected = [
        "added canvassed: 61 contacts",
        "added door knocked, removed canvassed: 61 contacts",
        "added riverside: 0 contacts",
        "added riverside: 60 contacts",
        "removed riverside: 0 contacts",
        "removed riverside: 61 contacts",
    ];
    assert_eq!(audited, expected, "each in the same second, so in no order");

    // A list longer than a batch: every contact on it, each once, one audit line.
    let mut tx = app.db.begin_write().await.unwrap();
    for n in 0..1_201 {
        sqlx::query(
            "INSERT INTO contacts (id, email, name, source, created_at, updated_at) VALUES ($1, $2, $3, 'TEST', 0, 0)",
        )
        .bind(format!("bulk-{n}"))
        .bind(format!("bulk{n}@example.org"))
        .bind(format!("Bulk {n}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let before = app.events("contact.tags.changed").await.len();
    let args = [("filter[search]", "bulk"), ("add", "winter")];
    assert_eq!(app.call(&admin, "contacts/tag-all", &args).await.json::<Value>().await.unwrap(), 1_201);
    let winter: Vec<String> =
        sqlx::query_scalar("SELECT contact_id FROM contact_tags WHERE tag = 'winter' ORDER BY contact_id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let mut bulk: Vec<String> = (0..1_201).map(|n| format!("bulk-{n}")).collect();
    bulk.sort();
    assert_eq!(winter, bulk);
    assert_eq!(app.events("contact.tags.changed").await.len(), before + 1_201);
    assert!(app.audited("contacts.tagged").await.contains(&"added winter: 1,201 contacts".to_string()));
}

/// The tags contacts hold, with how many hold each, by name: what the tag fields of the list
/// and of a contact's page suggest.
async fn tag_fields_suggest_the_tags_in_use(app: TestApp) {
    let admin = admin(&app).await;
    let in_use = async || app.call(&admin, "contacts/tags-in-use", &[]).await.json::<Value>().await.unwrap();
    assert_eq!(in_use().await, serde_json::json!([]));
    let page = app.page(&admin, "/admin/contacts").await;
    assert!(page.contains("<datalist id=\"known-tags\""), "{page}");

    let (ana, ben) = (
        contact(&app, "ana@example.org", "Ana", None).await,
        contact(&app, "ben@example.org", "Ben", None).await,
    );
    app.call(&admin, "contacts/tags", &[("id", ana.as_str()), ("add", "zone-1, member")]).await;
    app.call(&admin, "contacts/tags", &[("id", ben.as_str()), ("add", "member")]).await;
    let expected = serde_json::json!([{"tag": "member", "contacts": 2}, {"tag": "zone-1", "contacts": 1}]);
    assert_eq!(in_use().await, expected);
    for path in ["/admin/contacts".to_string(), format!("/admin/contacts/{ben}")] {
        let page = app.page(&admin, &path).await;
        assert!(page.contains("<option value=\"member\" label=\"2 contacts\""), "{path}: {page}");
        assert!(page.contains("<option value=\"zone-1\" label=\"1 contact\""), "{path}: {page}");
        assert!(page.contains("list=\"known-tags\""), "{path}: the tag field suggests them");
    }
    // Taken off everyone, a tag is no longer suggested.
    app.call(&admin, "contacts/tags", &[("id", ana.as_str()), ("remove", "zone-1")]).await;
    assert_eq!(in_use().await, serde_json::json!([{"tag": "member", "contacts": 2}]));
}
