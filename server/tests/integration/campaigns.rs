//! Campaigns and representatives' responses over HTTP, on both databases.

use crate::common::smtp::{FakeSmtp, decode_quoted_printable};
use crate::common::{Backend, TestApp, eventually, redirected_to, spawn_app_with};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    campaigns_are_checked_saved_and_moved_through_moderation,
    two_organisers_editing_a_campaign_cannot_overwrite_each_other_unseen,
    supporters_email_their_representatives_once_a_day,
    responses_are_held_for_moderation,
    responses_come_in_pages_those_awaiting_moderation_first,
    campaign_functions_check_the_role,
    admins_find_campaigns_by_title_and_status_a_page_at_a_time,
    forms_the_browser_sends_itself_end_where_their_outcome_shows,
);

on_both_backends_with_own_server!(public_campaign_forms_are_rate_limited_per_ip);

async fn admin(app: &TestApp) -> reqwest::Client {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.signed_in("admin@example.org").await
}

const TEMPLATE: &str = "Dear {{representative_name}} ({{representative_role}}),\n\n{{personal_message}}\n\n{{supporter_name}}, {{postal_code}}";

fn campaign_form<'a>(slug: &'a str, recipients: &'a str, template: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[title]", "Save the park"),
        ("form[slug]", slug),
        ("form[summary]", "The city wants to sell Riverside Park."),
        ("form[body]", "Write to council before the vote."),
        ("form[call_to_action]", "Email your councillors"),
        ("form[recipients]", recipients),
        ("form[email_subject]", "Keep {{campaign_title}} green"),
        ("form[email_template]", template),
    ]
}

// The second as a mail client copies an address.
const RECIPIENTS: &str = "Councillor Lee | Ward 7 | lee@city.example\nMayor Ray <Mayor@City.example>";

/// A campaign saved by `client`; answers with its id.
async fn saved(app: &TestApp, client: &reqwest::Client, slug: &str) -> String {
    let res = app.call(client, "campaigns/save", &campaign_form(slug, RECIPIENTS, TEMPLATE)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn set_status(app: &TestApp, client: &reqwest::Client, id: &str, status: &str, reason: &str) -> u16 {
    app.call(client, "campaigns/status", &[("id", id), ("status", status), ("reason", reason)])
        .await
        .status()
        .as_u16()
}

/// The edit form of campaign `id` as the page sends it, opened when it had been saved `edits`
/// times, with `title`.
fn edit_form<'a>(id: &'a str, title: &'a str, edits: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = campaign_form("save-the-park", RECIPIENTS, TEMPLATE);
    form[0].1 = title;
    form.extend([("id", id), ("form[edits]", edits)]);
    form
}

async fn two_organisers_editing_a_campaign_cannot_overwrite_each_other_unseen(app: TestApp) {
    let admin = admin(&app).await;
    let id = saved(&app, &admin, "save-the-park").await;
    let campaign = || async {
        app.call(&admin, "campaigns/get", &[("id", id.as_str())]).await.json::<Value>().await.unwrap()["campaign"].clone()
    };
    assert_eq!(campaign().await["edits"], 0);
    // Both open the form; the first to save renames it.
    let first = app.call(&admin, "campaigns/save", &edit_form(&id, "Save Riverside Park", "0")).await;
    assert_eq!(first.json::<Value>().await.unwrap()["edits"], 1);
    // The second, from the form opened before, is refused: nothing of it is saved or published.
    let second = app.call(&admin, "campaigns/save", &edit_form(&id, "Save the park", "0")).await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("Someone else saved changes to this campaign"));
    assert_eq!(campaign().await["title"], "Save Riverside Park");
    let updates: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM event_outbox WHERE topic = 'campaign.updated'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(updates, 1);
    // The form saves again after its own save, which answered the new count.
    let again = app.call(&admin, "campaigns/save", &edit_form(&id, "Save Riverside Park!", "1")).await;
    assert_eq!(again.json::<Value>().await.unwrap()["edits"], 2);
    assert_eq!(campaign().await["title"], "Save Riverside Park!");
}

async fn campaigns_are_checked_saved_and_moved_through_moderation(app: TestApp) {
    let admin = admin(&app).await;
    let mut bad = campaign_form("Bad Slug!", "lee@city.example\nnot an email", "Hi {{ nobody }}");
    bad[0].1 = "";
    let res = app.call(&admin, "campaigns/save", &bad).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    for text in ["Enter a title.", "lower-case letters", "Line 2:", "Unknown placeholder {{nobody}}"] {
        assert!(body.contains(text), "{text}: {body}");
    }
    let unclosed =
        app.call(&admin, "campaigns/save", &campaign_form("park", RECIPIENTS, "Hi {{supporter_name")).await;
    assert!(unclosed.text().await.unwrap().contains("is not closed"));
    let empty = app.call(&admin, "campaigns/save", &campaign_form("park", " \n ", TEMPLATE)).await;
    assert!(empty.text().await.unwrap().contains("Add at least one recipient."));
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM campaigns").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 0, "nothing saved");

    let id = saved(&app, &admin, "save-the-park").await;
    let created = app.events("campaign.created").await;
    assert_eq!(
        (created[0]["slug"].as_str(), created[0]["status"].as_str()),
        (Some("save-the-park"), Some("DRAFT"))
    );
    let taken =
        app.call(&admin, "campaigns/save", &campaign_form("save-the-park", RECIPIENTS, TEMPLATE)).await;
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("already uses this address"));
    let mut edit = campaign_form("save-riverside-park", RECIPIENTS, TEMPLATE);
    edit.push(("id", id.as_str()));
    assert_eq!(app.call(&admin, "campaigns/save", &edit).await.status(), 200);
    assert_eq!(app.events("campaign.updated").await[0]["slug"], "save-riverside-park");
    // A draft is not public.
    assert_eq!(
        app.client().get(app.url("/campaigns/save-riverside-park")).send().await.unwrap().status(),
        404
    );

    assert_eq!(set_status(&app, &admin, &id, "PAUSED", "").await, 409, "a draft cannot be paused");
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "Council votes on the 12th").await, 200);
    let published = app.events("campaign.published").await;
    assert_eq!(published[0]["url_path"], "/campaigns/save-riverside-park");
    assert_eq!(set_status(&app, &admin, &id, "PAUSED", "Wording under review").await, 200);
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);
    assert_eq!(set_status(&app, &admin, &id, "ARCHIVED", "The vote is over").await, 200);
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 409, "archived is final");
    let refusal = |status: &'static str| {
        let (app, admin, id) = (&app, &admin, &id);
        async move {
            let res = app.call(admin, "campaigns/status", &[("id", id.as_str()), ("status", status)]).await;
            res.text().await.unwrap()
        }
    };
    assert!(refusal("ACTIVE").await.contains("An archived campaign cannot become active."));
    assert!(refusal("ARCHIVED").await.contains("This campaign is already archived."));
    assert_eq!(app.events("campaign.published").await.len(), 1, "published once");
    let changes = app.events("campaign.status.changed").await;
    let moves: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["from_status"].as_str().unwrap(), c["to_status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        moves,
        [("DRAFT", "ACTIVE"), ("ACTIVE", "PAUSED"), ("PAUSED", "ACTIVE"), ("ACTIVE", "ARCHIVED")]
    );
    assert_eq!(changes[1]["reason"], "Wording under review");
    assert!(changes[2]["reason"].is_null(), "no reason given");
    let detail: Value = app.call(&admin, "campaigns/get", &[("id", id.as_str())]).await.json().await.unwrap();
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert!(history.iter().all(|h| h["actor"].as_str().unwrap().starts_with("user:")), "{history:?}");
    assert!(history.iter().all(|h| h["actor_name"] == "Test Person"), "named: {history:?}");

    assert_eq!(app.call(&admin, "campaigns/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.events("campaign.deleted").await[0]["slug"], "save-riverside-park");
    assert_eq!(app.call(&admin, "campaigns/get", &[("id", id.as_str())]).await.status(), 404);
}

fn supporter<'a>(slug: &'a str, email: &'a str, postal: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("form[name]", "Sam Supporter"),
        ("form[email]", email),
        ("form[postal_code]", postal),
        ("form[message]", "The park is where my kids play."),
    ]
}

async fn supporters_email_their_representatives_once_a_day(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    let admin = admin(&app).await;
    crate::email::configure_smtp(&app, &admin, smtp.port).await;
    let id = saved(&app, &admin, "park").await;
    let send = |email: &'static str, postal: &'static str| {
        let app = &app;
        async move { app.call(&app.client(), "campaigns/send", &supporter("park", email, postal)).await }
    };
    assert_eq!(send("sam@example.org", "K1A 0A6").await.status(), 404, "a draft takes no emails");
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);
    let page = app.client().get(app.url("/campaigns/park")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Email your councillors"), "{page}");
    // A link to it shared in a chat or on social media shows its title and summary.
    let head = page.split("</head>").next().unwrap();
    let summary = "The city wants to sell Riverside Park.";
    assert!(head.contains("<meta property=\"og:title\" content=\"Save the park\""), "{head}");
    assert!(head.contains(&format!("<meta property=\"og:description\" content=\"{summary}\"")), "{head}");
    assert!(head.contains(&format!("<meta name=\"description\" content=\"{summary}\"")), "{head}");

    let res = send("sam@example.org", "<script>").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("postal code"));
    let res = send("Sam@Example.org", "k1a 0a6").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<i64>().await.unwrap(), 2);

    // Each representative gets their own email, every placeholder filled.
    eventually("both emails arrive", || async { smtp.messages().len() == 2 }).await;
    let messages = smtp.messages();
    let to_lee = messages.iter().find(|m| m.recipients == ["lee@city.example"]).expect("Lee's email");
    let text = decode_quoted_printable(&to_lee.data);
    assert!(text.contains("Subject: Keep Save the park green"), "{text}");
    assert!(text.contains("Dear Councillor Lee (Ward 7),"), "{text}");
    assert!(text.contains("The park is where my kids play."), "{text}");
    assert!(text.contains("Sam Supporter, K1A 0A6"), "{text}");
    let to_mayor =
        messages.iter().find(|m| m.recipients == ["mayor@city.example"]).expect("the mayor's email");
    assert!(decode_quoted_printable(&to_mayor.data).contains("Dear Mayor Ray ("), "{}", to_mayor.data);

    let sent = app.events("campaign.email.sent").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0]["supporter_email"].as_str(), sent[0]["recipient_count"].as_i64()),
        (Some("sam@example.org"), Some(2))
    );
    let contact = sent[0]["contact_id"].as_str().unwrap().to_string();
    let source: String = sqlx::query_scalar("SELECT source FROM contacts WHERE id = $1")
        .bind(&contact)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(source, "CAMPAIGN");
    eventually("the supporter's timeline shows it", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contact_activity WHERE contact_id = $1 AND topic = 'campaign.email.sent'",
        )
        .bind(&contact)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        n == 1
    })
    .await;

    // Once a day per supporter; someone else may send at once.
    let again = send("sam@example.org", "K1A 0A6").await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already sent this email in the last 24 hours"));
    assert_eq!(send("kim@example.org", "K1A 0A7").await.status(), 200);
    sqlx::query("UPDATE campaign_emails SET created_at = created_at - 86401 WHERE supporter_email = 'sam@example.org'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(send("sam@example.org", "K1A 0A6").await.status(), 200, "a day later");
    let detail: Value = app.call(&admin, "campaigns/get", &[("id", id.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["campaign"]["emails_sent"], 3);
    assert_eq!(detail["supporters"].as_array().unwrap().len(), 3);
    // Every supporter, the first first, for a spreadsheet; linked from the campaign's page.
    let export = format!("/api/campaigns/{id}/supporters.csv");
    assert!(app.page(&admin, &format!("/admin/campaigns/{id}")).await.contains(&export));
    let csv = admin.get(app.url(&export)).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let disposition = csv.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains(&format!("campaign-{id}-supporters.csv")), "{disposition}");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "sent_utc,name,email,postal_code,message,representatives");
    assert!(lines[1].starts_with('"') && lines[1].contains(" UTC\","), "{csv}");
    // Sam's first email a day ago, then today's two (sent in the same second, in either order).
    let mut emails: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(2).unwrap()).collect();
    assert_eq!(emails.remove(0), "\"sam@example.org\"", "{csv}");
    emails.sort();
    assert_eq!(emails, ["\"kim@example.org\"", "\"sam@example.org\""], "{csv}");
    let kim = "\"Sam Supporter\",\"kim@example.org\",\"K1A 0A7\",\"The park is where my kids play.\",\"2\"";
    assert!(lines.iter().any(|l| l.ends_with(kim)), "{csv}");
    assert_eq!(admin.get(app.url("/api/campaigns/none/supporters.csv")).send().await.unwrap().status(), 404);
    let per_day: i64 =
        detail["emails_per_day"].as_array().unwrap().iter().map(|d| d[1].as_i64().unwrap()).sum();
    assert_eq!(per_day, 3);
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(queued, 6, "two per send");

    // A paused campaign takes no more.
    assert_eq!(set_status(&app, &admin, &id, "PAUSED", "").await, 200);
    let paused = send("lou@example.org", "K1A 0A8").await;
    assert_eq!(paused.status(), 409);
    assert!(paused.text().await.unwrap().contains("not taking part right now"));
}

async fn responses_are_held_for_moderation(app: TestApp) {
    let admin = admin(&app).await;
    let id = saved(&app, &admin, "park").await;
    let respond = |name: &'static str, email: &'static str| {
        let app = &app;
        async move {
            let args = [
                ("slug", "park"),
                ("form[representative_name]", name),
                ("form[representative_email]", email),
                ("form[body]", "I will vote against the sale."),
            ];
            app.call(&app.client(), "campaigns/respond", &args).await
        }
    };
    assert_eq!(respond("Councillor Lee", "lee@city.example").await.status(), 404, "not while a draft");
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);
    assert_eq!(respond("", "nope").await.status(), 422);
    // Lee is already a contact, so the reply lands on Lee's timeline.
    let supporter = supporter("park", "lee@city.example", "K1A 0A6");
    assert_eq!(app.call(&app.client(), "campaigns/send", &supporter).await.status(), 200);
    assert_eq!(respond("Councillor Lee", "Lee@City.example").await.status(), 200);
    assert_eq!(respond("Mayor", "mayor@city.example").await.status(), 200);
    let submitted = app.events("response.submitted").await;
    assert_eq!(submitted.len(), 2);
    assert_eq!(submitted[0]["representative_name"], "Councillor Lee");
    assert!(submitted[0]["contact_id"].is_string() && submitted[1]["contact_id"].is_null(), "{submitted:?}");
    let page =
        || async { app.client().get(app.url("/campaigns/park")).send().await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains("I will vote against the sale."), "pending ones are not shown");

    let detail: Value = app.call(&admin, "campaigns/get", &[("id", id.as_str())]).await.json().await.unwrap();
    let responses = detail["responses"]["rows"].as_array().unwrap();
    let find = |name: &str| {
        responses.iter().find(|r| r["representative_name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (lee, mayor) = (find("Councillor Lee"), find("Mayor"));
    let moderate = |response: String, approve: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.call(
                &admin,
                "campaigns/moderate",
                &[("response_id", response.as_str()), ("approve", approve)],
            )
            .await
            .status()
        }
    };
    assert_eq!(moderate(lee.clone(), "true").await, 200);
    assert_eq!(moderate(mayor.clone(), "false").await, 200);
    assert_eq!(moderate(lee.clone(), "false").await, 404, "moderated once");
    let moderated = app.events("response.moderated").await;
    assert_eq!(
        moderated,
        [
            serde_json::json!({
                "response_id": lee, "campaign_id": id, "campaign_title": "Save the park",
                "representative_name": "Councillor Lee", "status": "APPROVED",
            }),
            serde_json::json!({
                "response_id": mayor, "campaign_id": id, "campaign_title": "Save the park",
                "representative_name": "Mayor", "status": "REJECTED",
            }),
        ],
        "once each, the second try refused"
    );
    let html = page().await;
    assert_eq!(html.matches("data-testid=\"public-response\"").count(), 1, "{html}");
    assert!(html.contains("Councillor Lee"));

    // An admin types in a reply received by post: held like the others.
    let args = [
        ("id", id.as_str()),
        ("form[representative_name]", "MP Singh"),
        ("form[representative_email]", "singh@parl.example"),
        ("form[body]", "Letter received."),
    ];
    assert_eq!(app.call(&admin, "campaigns/admin-respond", &args).await.status(), 200);
    let status: String =
        sqlx::query_scalar("SELECT status FROM campaign_responses WHERE representative_name = 'MP Singh'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(status, "PENDING");
}

/// A campaign's responses, 20 to a page: the admin's with those awaiting moderation first, the
/// public page's approved ones only; each newest first.
async fn responses_come_in_pages_those_awaiting_moderation_first(app: TestApp) {
    let admin = admin(&app).await;
    let id = saved(&app, &admin, "park").await;
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);
    // Rep 01 to Rep 23, a minute apart, Rep 23 the newest; all but the last two approved.
    for n in 1..=23 {
        let name = format!("Rep {n:02}");
        let args = [
            ("id", id.as_str()),
            ("form[representative_name]", name.as_str()),
            ("form[representative_email]", "rep@city.example"),
            ("form[body]", "Noted."),
        ];
        assert_eq!(app.call(&admin, "campaigns/admin-respond", &args).await.status(), 200);
        let response: String =
            sqlx::query_scalar("SELECT id FROM campaign_responses WHERE representative_name = $1")
                .bind(&name)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        sqlx::query("UPDATE campaign_responses SET created_at = $1 WHERE id = $2")
            .bind(1_800_000_000_i64 + n * 60)
            .bind(&response)
            .execute(app.db.pool())
            .await
            .unwrap();
        if n <= 21 {
            let approve = [("response_id", response.as_str()), ("approve", "true")];
            assert_eq!(app.call(&admin, "campaigns/moderate", &approve).await.status(), 200);
        }
    }
    let names = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["representative_name"].as_str().unwrap().into())
            .collect()
    };
    let reps = |numbers: &mut dyn Iterator<Item = i32>| -> Vec<String> {
        numbers.map(|n| format!("Rep {n:02}")).collect()
    };

    let admin_page = |page: &'static str| {
        let (app, admin, id) = (&app, admin.clone(), id.clone());
        async move {
            app.call(&admin, "campaigns/get", &[("id", id.as_str()), ("page", page)])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = admin_page("1").await;
    assert_eq!(first["pending_responses"], 2);
    let mut expected = reps(&mut [23, 22].into_iter());
    expected.extend(reps(&mut (4..=21).rev()));
    assert_eq!(names(&first["responses"]), expected, "awaiting moderation first, then newest first");
    assert_eq!(first["responses"]["has_more"], true);
    let second = admin_page("2").await;
    assert_eq!(names(&second["responses"]), reps(&mut (1..=3).rev()));
    assert_eq!(second["responses"]["has_more"], false);
    assert_eq!(names(&admin_page("3").await["responses"]), Vec::<String>::new());

    let public_page = |page: &'static str| {
        let app = &app;
        async move {
            let res = app.call(&app.client(), "campaigns/public", &[("slug", "park"), ("page", page)]).await;
            res.json::<Value>().await.unwrap()["responses"].clone()
        }
    };
    let first = public_page("1").await;
    assert_eq!(names(&first), reps(&mut (2..=21).rev()), "approved ones only, newest first");
    assert_eq!(first["has_more"], true);
    let second = public_page("2").await;
    assert_eq!(
        (names(&second), second["has_more"].clone()),
        (reps(&mut [1].into_iter()), Value::Bool(false))
    );

    // The pages as shown.
    let html = app.page(&app.client(), "/campaigns/park").await;
    assert_eq!(html.matches("data-testid=\"public-response\"").count(), 20);
    assert!(html.contains("Pages of responses") && html.contains("/campaigns/park?page=2"), "{html}");
    assert!(!html.contains("Rep 22") && !html.contains("Rep 23"), "not approved");
    let html = app.page(&app.client(), "/campaigns/park?page=2").await;
    assert!(html.contains("Rep 01") && html.contains("/campaigns/park?page=1"), "{html}");
    assert!(
        app.page(&app.client(), "/campaigns/park?page=3").await.contains("No more responses on this page.")
    );
    let html = app.page(&admin, &format!("/admin/campaigns/{id}")).await;
    assert!(html.contains("2 responses awaiting moderation, shown first."), "{html}");
    assert_eq!(html.matches("data-testid=\"response\"").count(), 20);
    assert!(html.contains(&format!("/admin/campaigns/{id}?page=2")), "{html}");
    let html = app.page(&admin, &format!("/admin/campaigns/{id}?page=2")).await;
    assert_eq!(html.matches("data-testid=\"response\"").count(), 3);
}

async fn campaign_functions_check_the_role(app: TestApp) {
    let admin = admin(&app).await;
    let id = saved(&app, &admin, "park").await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let payments = app.signed_in("pay@example.org").await;
    let form = campaign_form("other", RECIPIENTS, TEMPLATE);
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("campaigns/list", vec![]),
        ("campaigns/get", vec![("id", id.as_str())]),
        ("campaigns/save", form),
        ("campaigns/status", vec![("id", id.as_str()), ("status", "ACTIVE")]),
        ("campaigns/moderate", vec![("response_id", "none"), ("approve", "true")]),
        (
            "campaigns/admin-respond",
            vec![
                ("id", id.as_str()),
                ("form[representative_name]", "X"),
                ("form[representative_email]", "x@example.org"),
                ("form[body]", "Hi"),
            ],
        ),
        ("campaigns/delete", vec![("id", id.as_str())]),
    ];
    for (endpoint, args) in &calls {
        assert_eq!(app.call(&app.client(), endpoint, args).await.status(), 401, "{endpoint}");
        for client in [&volunteer, &payments] {
            assert_eq!(app.call(client, endpoint, args).await.status(), 403, "{endpoint}");
        }
    }
    let expected = [200, 200, 200, 200, 404, 200, 200];
    for ((endpoint, args), status) in calls.iter().zip(expected) {
        assert_eq!(app.call(&admin, endpoint, args).await.status(), status, "{endpoint}");
    }
}

async fn public_campaign_forms_are_rate_limited_per_ip(backend: Backend) {
    let app = spawn_app_with(backend, &[("CHANGEMAKER_CAMPAIGN_RATE_LIMIT", "2")]).await;
    let admin = admin(&app).await;
    let id = saved(&app, &admin, "park").await;
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);
    let emails = ["a@example.org", "b@example.org", "c@example.org"];
    let mut statuses = Vec::new();
    for email in emails {
        statuses.push(app.call(&app.client(), "campaigns/send", &supporter("park", email, "K1A 0A6")).await);
    }
    assert_eq!(statuses[0].status(), 200);
    assert_eq!(statuses[1].status(), 200);
    assert_eq!(statuses[2].status(), 429);
    assert!(statuses[2].headers().contains_key("retry-after"));
    let sent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM campaign_emails").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(sent, 2, "the refused one changed nothing");
    // Responses draw on the same allowance; an admin typing one in does not.
    let response = [
        ("form[representative_name]", "Councillor Lee"),
        ("form[representative_email]", "lee@city.example"),
        ("form[body]", "Noted."),
    ];
    let mut public = vec![("slug", "park")];
    public.extend(response);
    assert_eq!(app.call(&app.client(), "campaigns/respond", &public).await.status(), 429);
    let mut typed_in = vec![("id", id.as_str())];
    typed_in.extend(response);
    assert_eq!(app.call(&admin, "campaigns/admin-respond", &typed_in).await.status(), 200);
}

async fn admins_find_campaigns_by_title_and_status_a_page_at_a_time(app: TestApp) {
    let admin = admin(&app).await;
    let html = app.page(&admin, "/admin/campaigns").await;
    assert!(html.contains("No campaigns yet. Write the first one below."));
    // 55 campaigns a minute apart, every fifth active; one with a `%` in its title.
    for i in 0..55_i64 {
        let title = if i == 54 { "100% renewable".to_string() } else { format!("Campaign {i}") };
        let status = if i % 5 == 0 { "ACTIVE" } else { "DRAFT" };
        sqlx::query(
            "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
             email_template, status, emails_sent, created_at, updated_at) \
             VALUES ($1, $1, $2, '', '', '', '[]', 'S', 'T', $3, 0, $4, $4)",
        )
        .bind(format!("k{i}"))
        .bind(title)
        .bind(status)
        .bind(1_800_000_000 + i * 60)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    let list = |args: Vec<(&'static str, &'static str)>| {
        let (app, admin) = (&app, admin.clone());
        async move { app.call(&admin, "campaigns/list", &args).await }
    };
    let titles = |page: &Value| -> Vec<String> {
        page["rows"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap().to_string()).collect()
    };
    let first: Value = list(vec![]).await.json().await.unwrap();
    assert_eq!((first["count"].as_i64(), first["has_more"].as_bool()), (Some(55), Some(true)));
    assert_eq!(titles(&first).len(), 50);
    assert_eq!(titles(&first)[..2], ["100% renewable", "Campaign 53"], "newest first");
    assert!(first["rows"][0].get("body").is_none(), "the list carries no campaign texts");
    let second: Value = list(vec![("filter[page]", "2")]).await.json().await.unwrap();
    assert_eq!(titles(&second), ["Campaign 4", "Campaign 3", "Campaign 2", "Campaign 1", "Campaign 0"]);
    assert_eq!(second["has_more"], false);

    // By part of the title, any case, `%` taken literally; by status; both.
    let found: Value = list(vec![("filter[search]", " CAMPAIGN 1")]).await.json().await.unwrap();
    assert_eq!(found["count"], 11, "Campaign 1 and 10–19");
    let percent: Value = list(vec![("filter[search]", "%")]).await.json().await.unwrap();
    assert_eq!(titles(&percent), ["100% renewable"]);
    let active: Value = list(vec![("filter[status]", "ACTIVE")]).await.json().await.unwrap();
    assert_eq!(active["count"], 11);
    assert!(active["rows"].as_array().unwrap().iter().all(|r| r["status"] == "ACTIVE"));
    let both: Value = list(vec![("filter[status]", "ACTIVE"), ("filter[search]", "campaign 1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&both), ["Campaign 15", "Campaign 10"]);

    // A status not on the list, or a search too long, is refused.
    assert_eq!(list(vec![("filter[status]", "LIVE")]).await.status(), 422);
    let long: &'static str = Box::leak("x".repeat(201).into_boxed_str());
    assert_eq!(list(vec![("filter[search]", long)]).await.status(), 422);

    // The page: the count, a link to the rest keeping the filter, and an empty result said so.
    let html = app.page(&admin, "/admin/campaigns").await;
    assert!(html.contains("55 campaigns"), "{html}");
    assert_eq!(html.matches("data-testid=\"campaign-row\"").count(), 50);
    assert!(html.contains("href=\"/admin/campaigns?q=&amp;status=&amp;page=2\""), "{html}");
    let html = app.page(&admin, "/admin/campaigns?q=campaign+1&status=ACTIVE").await;
    assert!(html.contains("2 campaigns"));
    assert!(html.contains("<option value=\"ACTIVE\" selected"), "the filter stays chosen");
    let html = app.page(&admin, "/admin/campaigns?q=nothing+like+this").await;
    assert!(html.contains("No campaigns match."));
    let bad = admin.get(app.url("/admin/campaigns?status=LIVE")).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("Choose a status from the list."));
}

/// Forms the browser sends itself (before the page's code has loaded, or without JavaScript)
/// end where their outcome shows, not back on an empty form: a new campaign on its own page;
/// a supporter's email and a representative's reply on their thanks; a refusal on the form,
/// with the reason. A new campaign without an address gets one made from its title.
async fn forms_the_browser_sends_itself_end_where_their_outcome_shows(app: TestApp) {
    let admin = admin(&app).await;
    let res = app
        .post_as_browser(
            &admin,
            "campaigns/save",
            "/admin/campaigns",
            &campaign_form("", RECIPIENTS, TEMPLATE),
        )
        .await;
    let campaign_page = redirected_to(&res);
    let id = campaign_page.strip_prefix("/admin/campaigns/").expect(&campaign_page).to_string();
    let detail: Value = app.call(&admin, "campaigns/get", &[("id", &id)]).await.json().await.unwrap();
    assert_eq!(detail["campaign"]["slug"], "save-the-park", "made from the title");
    assert_eq!(set_status(&app, &admin, &id, "ACTIVE", "").await, 200);

    let supporter = supporter("save-the-park", "sam@example.org", "K1A 0A6");
    let anonymous = app.client();
    let send = || app.post_as_browser(&anonymous, "campaigns/send", "/campaigns/save-the-park", &supporter);
    let thanks = redirected_to(&send().await);
    assert_eq!(thanks, "/campaigns/save-the-park?sent=2");
    let html = app.page(&app.client(), &thanks).await;
    assert!(html.contains("Sent to 2 representatives. Thank you for speaking up!"), "{html}");
    assert!(!html.contains("Send the email"), "the thanks takes the form's place");
    let back = redirected_to(&send().await);
    assert!(back.starts_with(&app.url("/campaigns/save-the-park")) && back.contains("__err="), "{back}");
    let html = app.client().get(&back).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("You already sent this email in the last 24 hours"), "{html}");

    let reply = [
        ("slug", "save-the-park"),
        ("form[representative_name]", "Councillor Lee"),
        ("form[representative_email]", "lee@city.example"),
        ("form[body]", "I will vote against the sale."),
    ];
    let res = app
        .post_as_browser(&app.client(), "campaigns/respond", "/campaigns/save-the-park/respond", &reply)
        .await;
    let thanks = redirected_to(&res);
    assert_eq!(thanks, "/campaigns/save-the-park/respond?sent=1");
    let html = app.page(&app.client(), &thanks).await;
    assert!(
        html.contains("Your response will appear on the campaign page once an organiser has reviewed it.")
    );
    let detail: Value = app.call(&admin, "campaigns/get", &[("id", &id)]).await.json().await.unwrap();
    assert_eq!(detail["responses"]["rows"].as_array().unwrap().len(), 1, "the reply was taken once");
}
