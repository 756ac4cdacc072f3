//! Accounts, sessions, first-run setup and authorisation, over HTTP, on both databases.

use crate::common::smtp::FakeSmtp;
use crate::common::{PASSWORD, TestApp, dashboard_lines, session_set_cookie};
use crate::email::{admin, configure_smtp};
use crate::users::emails_to;
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    first_run_setup_creates_the_super_admin_once,
    setup_refuses_bad_input_and_changes_nothing,
    racing_setup_requests_create_one_admin,
    login_sets_a_session_cookie_and_logout_ends_it,
    wrong_password_is_a_field_error,
    login_rotates_the_session_id,
    pending_and_disabled_accounts_cannot_sign_in,
    expired_temporary_accounts_cannot_sign_in,
    login_is_rate_limited_per_account,
    login_is_rate_limited_per_ip,
    admin_only_function_answers_by_role,
    the_dashboard_lists_what_waits_for_each_admin,
    the_dashboard_tells_each_admin_what_happened_in_the_last_seven_days,
    links_that_only_the_servers_own_machine_can_open_are_pointed_out,
    admin_pages_redirect_or_refuse,
    create_super_admin_spends_the_setup_link,
    admins_rename_the_organisation_and_describe_it,
    a_signed_in_user_changes_their_password_and_their_other_devices_are_signed_out,
    a_signed_in_user_changes_their_name_and_email,
    your_account_opened_before_the_account_changed_cannot_put_the_old_details_back,
    a_new_email_waits_for_the_link_sent_to_it_when_email_can_be_sent,
    a_waiting_new_email_is_called_off,
    a_signed_in_user_signs_out_everywhere_else,
    expired_sessions_and_links_are_pruned,
    a_volunteer_deletes_their_own_account_and_their_sign_ups_stay,
);

fn setup_form<'a>(token: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("organisation_name", "Riverside Tenants"),
        ("display_name", "Ana Admin"),
        ("email", email),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ]
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db.pool()).await.unwrap()
}

async fn first_run_setup_creates_the_super_admin_once(app: TestApp) {
    let token = app.setup_token.clone().expect("a fresh instance issues a setup token");
    let client = app.client();

    let page = client.get(app.url(&format!("/setup?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Create administrator"));

    let res = app.call(&client, "auth/setup", &setup_form(&token, "ana@example.org")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("location").unwrap(), "/admin");
    let cookie = session_set_cookie(res.headers()).expect("setup signs the admin in");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let me: Value = app.call(&client, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me["email"], "ana@example.org");
    assert_eq!(me["role"], "SUPER_ADMIN");
    // The audit log says who made the first administrator, and how.
    let audited: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, entity FROM admin_audit_log")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let made_by = format!("user:{}", me["id"].as_str().unwrap());
    assert_eq!(
        audited,
        [(made_by, "user.created".into(), "ana@example.org as SUPER_ADMIN (first-run setup link)".into())]
    );

    // The organisation name shows on the public home page, and is its title.
    let home = app.client().get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("<title>Riverside Tenants</title>"), "{home}");
    // And in the header of every public page, linking home, and in its title.
    for (path, title) in [
        ("/shifts", "Volunteer shifts"),
        ("/my/shifts", "My shifts"),
        ("/donate", "Donate"),
        ("/donate/thanks", "Thank you"),
        ("/shop", "Shop"),
        ("/membership", "Membership"),
    ] {
        let html = app.client().get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("<a href=\"/\" data-testid=\"organisation\""), "{path} links home");
        assert!(html.contains("Riverside Tenants"), "{path} names the organisation");
        assert!(html.contains(&format!("<title>{title} · Riverside Tenants</title>")), "{path}: {html}");
    }
    // The admin pages are Changemaker's.
    let dashboard = client.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
    assert!(dashboard.contains("<title>Dashboard · Changemaker</title>"), "{dashboard}");

    // The link is spent: it neither renders the form nor creates a second admin.
    let again = app.call(&app.client(), "auth/setup", &setup_form(&token, "eve@example.org")).await;
    assert_eq!(again.status(), 409);
    let page = app.client().get(app.url(&format!("/setup?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Setup link not valid"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);

    // Once an admin exists, a restart issues no new link.
    assert_eq!(app::auth::service::issue_setup_token(&app.db).await.unwrap(), None);
}

async fn setup_refuses_bad_input_and_changes_nothing(app: TestApp) {
    let token = app.setup_token.clone().unwrap();
    let client = app.client();
    let res = app
        .call(
            &client,
            "auth/setup",
            &[
                ("token", token.as_str()),
                ("organisation_name", " "),
                ("display_name", "Ana"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> =
        body["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["email", "password", "organisation_name", "password_confirm"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    // A wrong token is refused too.
    let res = app.call(&client, "auth/setup", &setup_form("forged-token", "ana@example.org")).await;
    assert_eq!(res.status(), 409);
    // A missing argument is a 400, not a crash.
    let res = app.call(&client, "auth/setup", &[("token", token.as_str())]).await;
    assert_eq!(res.status(), 400);

    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);
    assert!(app::auth::service::setup_token_is_valid(&app.db, &token).await.unwrap());
}

async fn racing_setup_requests_create_one_admin(app: TestApp) {
    let token = app.setup_token.clone().unwrap();
    let attempts = (0..8).map(|i| {
        let client = app.client();
        let url = app.url("/api/auth/setup");
        let email = format!("admin{i}@example.org");
        let form: Vec<(String, String)> =
            setup_form(&token, &email).into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        async move { client.post(url).form(&form).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);
}

async fn login_sets_a_session_cookie_and_logout_ends_it(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let client = app.client();
    let res = app
        .call(
            &client,
            "auth/login",
            &[("email", "Ana@Example.org "), ("password", PASSWORD), ("next", "/admin")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("location").unwrap(), "/admin");
    let cookie = session_set_cookie(res.headers()).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 1);

    let me: Value = app.call(&client, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me["email"], "ana@example.org");
    let admin = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), 200);
    assert_eq!(admin.headers().get("cache-control").unwrap(), "no-store");
    assert!(admin.text().await.unwrap().contains("Dashboard"));

    let res = app.call(&client, "auth/logout", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(session_set_cookie(res.headers()).unwrap().contains("Max-Age=0"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0, "logout ends the session server-side");
    let me: Value = app.call(&client, "auth/me", &[]).await.json().await.unwrap();
    assert!(me.is_null());
}

async fn wrong_password_is_a_field_error(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let client = app.client();
    for (email, password) in [("ana@example.org", "wrong password here"), ("nobody@example.org", PASSWORD)] {
        let res = app.call(&client, "auth/login", &[("email", email), ("password", password)]).await;
        assert_eq!(res.status(), 422);
        assert!(session_set_cookie(res.headers()).is_none());
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"][0]["field"], "password");
        assert_eq!(body["Invalid"][0]["message"], "Email or password is wrong.");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
}

async fn login_rotates_the_session_id(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let client = app.client();
    let first =
        app.call(&client, "auth/login", &[("email", "ana@example.org"), ("password", PASSWORD)]).await;
    let first = session_set_cookie(first.headers()).unwrap();
    let second =
        app.call(&client, "auth/login", &[("email", "ana@example.org"), ("password", PASSWORD)]).await;
    let second = session_set_cookie(second.headers()).unwrap();
    assert_ne!(first, second);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 1, "the earlier session is ended");

    // The old token no longer signs anyone in.
    let old_token = first.split(';').next().unwrap().to_string();
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/me"))
        .header("cookie", old_token)
        .send()
        .await
        .unwrap();
    assert!(res.json::<Value>().await.unwrap().is_null());
}

async fn pending_and_disabled_accounts_cannot_sign_in(app: TestApp) {
    app.create_user("pending@example.org", Role::Volunteer, UserStatus::Pending).await;
    app.create_user("disabled@example.org", Role::Admin, UserStatus::Disabled).await;
    let client = app.client();
    for (email, expected) in [
        ("pending@example.org", "waiting for an administrator's approval"),
        ("disabled@example.org", "disabled"),
    ] {
        let res = app.call(&client, "auth/login", &[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains(expected));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
}

async fn expired_temporary_accounts_cannot_sign_in(app: TestApp) {
    let now = app::db::now_unix();
    for (email, expires_at) in [("gone@example.org", now - 60), ("still@example.org", now + 3600)] {
        let mut tx = app.db.begin_write().await.unwrap();
        app::users::service::create_user(
            &mut tx,
            app::users::service::NewUser {
                email,
                display_name: "Temp",
                password: PASSWORD,
                role: Role::Temp,
                status: UserStatus::Active,
                expires_at: Some(expires_at),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let res =
        app.call(&app.client(), "auth/login", &[("email", "gone@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("expired"));
    app.signed_in("still@example.org").await;
}

async fn login_is_rate_limited_per_account(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let client = app.client();
    for _ in 0..5 {
        let res = app
            .call(&client, "auth/login", &[("email", "ana@example.org"), ("password", "not the password")])
            .await;
        assert_eq!(res.status(), 422);
    }
    // Even the right password is refused until the window passes.
    let res = app.call(&client, "auth/login", &[("email", "ana@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 900);
    assert!(res.text().await.unwrap().contains("RateLimited"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
}

async fn login_is_rate_limited_per_ip(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let client = app.client();
    // 20 failures spread over many accounts (under each account's own limit).
    for i in 0..20 {
        let email = format!("guess{i}@example.org");
        let res = app
            .call(&client, "auth/login", &[("email", email.as_str()), ("password", "not the password")])
            .await;
        assert_eq!(res.status(), 422);
    }
    let res = app.call(&client, "auth/login", &[("email", "ana@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 429);
}

async fn admin_only_function_answers_by_role(app: TestApp) {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("events@example.org", Role::EventsAdmin, UserStatus::Active).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;

    let anonymous = app.call(&app.client(), "admin/dashboard", &[]).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap(), Value::String("Unauthenticated".into()));

    let volunteer = app.call(&app.signed_in("vol@example.org").await, "admin/dashboard", &[]).await;
    assert_eq!(volunteer.status(), 403);
    assert_eq!(volunteer.json::<Value>().await.unwrap(), Value::String("Forbidden".into()));

    for email in ["admin@example.org", "events@example.org"] {
        let res = app.call(&app.signed_in(email).await, "admin/dashboard", &[]).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let admins = body["accounts"].as_array().unwrap().iter().find(|c| c["role"] == "ADMIN").unwrap();
        assert_eq!(admins["count"], 1);
    }
}

/// The dashboard's "Needs attention" of the account signed in as `email`: `None` when its
/// role follows none of it, else each item's text and link.
async fn needs_attention(app: &TestApp, email: &str) -> Option<Vec<(String, String)>> {
    dashboard_lines(app, email, "needs_attention").await
}

async fn the_dashboard_tells_each_admin_what_happened_in_the_last_seven_days(app: TestApp) {
    for (email, role) in [
        ("admin@example.org", Role::Admin),
        ("events@example.org", Role::EventsAdmin),
        ("money@example.org", Role::PaymentsAdmin),
    ] {
        app.create_user(email, role, UserStatus::Active).await;
    }
    let texts = |email: &'static str| {
        let app = &app;
        async move {
            let lines = dashboard_lines(app, email, "last_week").await.expect("the part is there");
            lines.into_iter().map(|(text, _)| text).collect::<Vec<_>>()
        }
    };
    // A quiet week is said too.
    assert_eq!(
        texts("admin@example.org").await,
        [
            "0 volunteer sign-ups for shifts",
            "0 doors knocked, 0 conversations",
            "0 new contacts",
            "0 tickets taken",
            "0 campaign emails sent by supporters"
        ]
    );

    // Two sign-ups, one of them (and its contact) from before the week; two doors; a ticket.
    let admin = app.signed_in("admin@example.org").await;
    let shift = crate::common::create_shift_tomorrow(&app, "Phone bank").await;
    for (name, email) in [("Sam", "sam@example.org"), ("Kim", "kim@example.org")] {
        let form = [
            ("shift_id", shift.id.as_str()),
            ("form[name]", name),
            ("form[email]", email),
            ("form[phone]", ""),
        ];
        assert_eq!(app.call(&admin, "shifts/admin-add", &form).await.status(), 200);
    }
    for table in ["shift_signups", "contacts"] {
        let sql =
            format!("UPDATE {table} SET created_at = created_at - 8 * 86400 WHERE email = 'kim@example.org'");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.db.pool()).await.unwrap();
    }
    let lines = "1 High St, Springfield, K1A 0B1\n2 High St, Springfield, K1A 0B1";
    assert_eq!(app.call(&admin, "canvass/add-addresses", &[("lines", lines)]).await.status(), 200);
    assert_eq!(app.call(&admin, "canvass/start", &[]).await.status(), 200);
    let walk: Value = app.call(&admin, "canvass/walk", &[]).await.json().await.unwrap();
    for (i, outcome) in [(0, "SUPPORTER"), (1, "NOT_HOME")] {
        let door = walk["to_visit"]["rows"][i]["id"].as_str().unwrap();
        let form = [("form[address_id]", door), ("form[outcome]", outcome)];
        assert_eq!(app.call(&admin, "canvass/record-visit", &form).await.status(), 200);
    }
    let event = [
        ("form[title]", "Film night"),
        ("form[slug]", ""),
        ("form[description]", ""),
        ("form[venue]", "Hall"),
        ("form[date]", &app::time::date_time_from_unix(app::db::now_unix() + 86_400).0),
        ("form[start_time]", "19:00"),
        ("form[end_time]", "21:00"),
        ("form[tiers]", "Seats | 20"),
    ];
    let saved: Value = app.call(&admin, "ticketed-events/save", &event).await.json().await.unwrap();
    let id = saved["id"].as_str().unwrap();
    assert_eq!(app.call(&admin, "ticketed-events/publish", &[("id", id)]).await.status(), 200);
    let slug = saved["slug"].as_str().unwrap();
    let public: Value =
        app.call(&app.client(), "ticketed-events/public-one", &[("slug", slug)]).await.json().await.unwrap();
    let take = [
        ("slug", slug),
        ("form[tier_id]", public["tiers"][0]["id"].as_str().unwrap()),
        ("form[name]", "Tia"),
        ("form[email]", "tia@example.org"),
        ("form[amount]", ""),
    ];
    assert_eq!(app.call(&app.client(), "ticketed-events/take", &take).await.status(), 200);

    // Each admin sees what they look after, each line linking to where it is followed.
    let admin_lines = dashboard_lines(&app, "admin@example.org", "last_week").await.unwrap();
    assert_eq!(
        admin_lines,
        [
            ("1 volunteer sign-up for shifts", "/admin/shifts"),
            ("2 doors knocked, 1 conversation", "/admin/canvass"),
            ("2 new contacts", "/admin/contacts"),
            ("1 ticket taken", "/admin/ticketed-events"),
            ("0 campaign emails sent by supporters", "/admin/campaigns"),
        ]
        .map(|(text, href)| (text.to_string(), href.to_string()))
    );
    assert_eq!(texts("events@example.org").await, ["1 ticket taken"]);
    assert_eq!(texts("money@example.org").await, ["2 new contacts", "0 donations paid"]);
    let page = app.page(&admin, "/admin").await;
    assert!(
        page.contains("The last seven days") && page.contains("2 doors knocked, 1 conversation"),
        "{page}"
    );
}

/// Left at its default, `CHANGEMAKER_PUBLIC_URL` makes every emailed link lead to
/// `http://127.0.0.1:…`: once the site is opened at another address, the settings and the
/// organisers' dashboard say so.
async fn links_that_only_the_servers_own_machine_can_open_are_pointed_out(app: TestApp) {
    app.create_user("root@example.org", Role::SuperAdmin, UserStatus::Active).await;
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    let root = app.signed_in("root@example.org").await;
    let url = format!("http://{}", app.addr);
    // The settings page and the dashboard's items, asked for at `host`.
    let settings = |host: &'static str| {
        let (app, root) = (&app, root.clone());
        async move {
            let res = root.get(app.url("/admin/settings")).header("host", host).send().await.unwrap();
            res.text().await.unwrap().replace("<!>", "")
        }
    };
    let attention = |client: reqwest::Client, host: &'static str| {
        let app = &app;
        async move {
            let res = client.post(app.url("/api/admin/dashboard")).header("host", host).send().await.unwrap();
            res.json::<Value>().await.unwrap()["needs_attention"].to_string()
        }
    };

    // Opened on the server's own machine, the links work there: the address is only shown.
    let html = settings("127.0.0.1").await;
    assert!(html.contains(&format!("start with <code class=\"break-all\">{url}</code>")), "{html}");
    assert!(!html.contains("public-address-warning"), "{html}");
    assert!(!attention(root.clone(), "localhost:3000").await.contains("Links in emails"));

    // Opened at the address people use, they lead nowhere.
    let html = settings("act.example.org").await;
    assert!(html.contains("but this page was opened at act.example.org"), "{html}");
    let items = attention(root.clone(), "act.example.org").await;
    let text = format!(
        "Links in emails and QR codes lead to {url}, which only the server's own machine can open, not act.example.org: set CHANGEMAKER_PUBLIC_URL to this site's address and restart the server"
    );
    assert!(items.contains(&text) && items.contains("/admin/settings#public-address"), "{items}");
    // Only those who look after the settings are told.
    let pay = app.signed_in("pay@example.org").await;
    assert!(!attention(pay, "act.example.org").await.contains("Links in emails"));
}

async fn the_dashboard_lists_what_waits_for_each_admin(app: TestApp) {
    for (email, role) in [
        ("root@example.org", Role::SuperAdmin),
        ("admin@example.org", Role::Admin),
        ("pay@example.org", Role::PaymentsAdmin),
        ("events@example.org", Role::EventsAdmin),
    ] {
        app.create_user(email, role, UserStatus::Active).await;
    }
    assert_eq!(needs_attention(&app, "root@example.org").await, Some(vec![]), "nothing waits yet");
    assert_eq!(needs_attention(&app, "events@example.org").await, None, "events admins follow none of it");

    app.create_user("new@example.org", Role::Volunteer, UserStatus::Pending).await;
    let mut tx = app.db.begin_write().await.unwrap();
    for to in ["a@example.org", "b@example.org", "c@example.org"] {
        let email = app::email::service::OutgoingEmail {
            to: to.into(),
            subject: "Hello".into(),
            body: "Hi".into(),
            attachment: None,
        };
        app::email::service::queue(&mut tx, &email).await.unwrap();
    }
    tx.commit().await.unwrap();
    let pool = app.db.pool();
    sqlx::query("UPDATE email_outbox SET status = 'FAILED' WHERE to_address = 'a@example.org'")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO donations (id, name, email, amount_cents, currency, frequency, status, created_at, updated_at) \
         VALUES ('d1', 'Jo', 'jo@example.org', 1000, 'cad', 'ONE_OFF', 'DISPUTED', 1, 1), \
         ('d2', 'Al', 'al@example.org', 1000, 'cad', 'ONE_OFF', 'PAID', 1, 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO bus_deliveries (listener, seq, attempts, status, next_attempt_at, last_error, updated_at) \
         VALUES ('calendar', 1, 5, 'DEAD', 0, 'refused', 1), ('calendar', 2, 1, 'RETRYING', 0, 'slow', 1)",
    )
    .execute(pool)
    .await
    .unwrap();

    let item = |text: &str, href: &str| (text.to_string(), href.to_string());
    let failed = item("1 email could not be sent", "/admin/emails?status=FAILED");
    let waiting = item("2 emails waiting: email is not set up", "/admin/settings");
    let disputed = item(
        "1 disputed donation: answer in Stripe before the deadline",
        "/admin/payments?kind=donation&status=DISPUTED",
    );
    let dead = item("1 event a listener gave up on: replay once fixed", "/admin/events/bus");
    assert_eq!(
        needs_attention(&app, "root@example.org").await.unwrap(),
        [
            item("1 account request waiting for approval", "/admin/users?status=PENDING"),
            failed.clone(),
            waiting.clone(),
            disputed.clone(),
            dead.clone()
        ]
    );
    assert_eq!(needs_attention(&app, "admin@example.org").await.unwrap(), [failed, waiting, dead]);
    assert_eq!(needs_attention(&app, "pay@example.org").await.unwrap(), [disputed]);
    let html = app.page(&app.signed_in("pay@example.org").await, "/admin").await;
    assert!(html.contains("Needs attention") && html.contains("1 disputed donation"), "{html}");
}

async fn admin_pages_redirect_or_refuse(app: TestApp) {
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let res = app.client().get(app.url("/admin")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers().get("location").unwrap(), "/login?next=/admin");

    let volunteer = app.signed_in("vol@example.org").await;
    let res = volunteer.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("No access"));
}

async fn create_super_admin_spends_the_setup_link(app: TestApp) {
    let token = app.setup_token.clone().unwrap();
    let user =
        app::auth::service::create_super_admin(&app.db, "ops@example.org", "Ops", PASSWORD).await.unwrap();
    assert_eq!(user.role, Role::SuperAdmin);
    assert!(!app::auth::service::setup_token_is_valid(&app.db, &token).await.unwrap());
    let res = app.call(&app.client(), "auth/setup", &setup_form(&token, "late@example.org")).await;
    assert_eq!(res.status(), 409);
    // The new admin can sign in.
    app.signed_in("ops@example.org").await;
    // Made from the shell, at any time: the audit log keeps it.
    let audited: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, entity FROM admin_audit_log")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        audited,
        [(
            "system".into(),
            "user.created".into(),
            "ops@example.org as SUPER_ADMIN (create-admin, from the shell)".into()
        )]
    );
}

async fn admins_rename_the_organisation_and_describe_it(app: TestApp) {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let volunteer = app.signed_in("vol@example.org").await;
    let read = || async {
        let res = app.call(&admin, "admin/organisation", &[]).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    // Before anyone names it (an admin made from the shell skips setup): the defaults.
    let before = read().await;
    assert_eq!(before["name"], app::settings::DEFAULT_ORGANISATION_NAME);
    assert_eq!(before["description"], app::settings::DEFAULT_ORGANISATION_DESCRIPTION);
    let home = app.client().get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains(app::settings::DEFAULT_ORGANISATION_DESCRIPTION), "{home}");

    let form =
        [("organisation_name", "  Riverside Tenants  "), ("description", "Fair rents on the east bank.")];
    assert_eq!(app.call(&app.client(), "admin/save-organisation", &form).await.status(), 401);
    assert_eq!(app.call(&volunteer, "admin/save-organisation", &form).await.status(), 403);
    assert_eq!(app.call(&volunteer, "admin/organisation", &[]).await.status(), 403);

    // Bad input names each field and changes nothing.
    let long_name = "n".repeat(121);
    let long_description = "d".repeat(201);
    for (name, description, fields) in [
        (" ", "", vec!["organisation_name", "description"]),
        (long_name.as_str(), "Fine.", vec!["organisation_name"]),
        ("Riverside\nTenants", "Fine.", vec!["organisation_name"]),
        ("Riverside", long_description.as_str(), vec!["description"]),
        ("Riverside", "Fair rents.\nOn the east bank.", vec!["description"]),
    ] {
        let res = app
            .call(
                &admin,
                "admin/save-organisation",
                &[("organisation_name", name), ("description", description)],
            )
            .await;
        assert_eq!(res.status(), 422, "{name:?} {description:?}");
        let body: Value = res.json().await.unwrap();
        let named: Vec<&str> =
            body["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{body}");
    }
    assert_eq!(read().await, before);

    assert_eq!(app.call(&admin, "admin/save-organisation", &form).await.status(), 200);
    let after = read().await;
    assert_eq!(
        (after["name"].as_str(), after["description"].as_str()),
        (Some("Riverside Tenants"), Some("Fair rents on the east bank."))
    );
    // The home page, its shared-link preview and the public pages' header say so.
    let home = app.client().get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("<meta property=\"og:title\" content=\"Riverside Tenants\""), "{home}");
    assert!(home.contains("<meta name=\"description\" content=\"Fair rents on the east bank.\""), "{home}");
    assert!(!home.contains(app::settings::DEFAULT_ORGANISATION_DESCRIPTION), "{home}");
    let events = app.client().get(app.url("/events")).send().await.unwrap().text().await.unwrap();
    assert!(events.contains("<title>Events · Riverside Tenants</title>"), "{events}");
    assert_eq!(app.audited("settings.organisation.changed").await, ["Riverside Tenants"]);
}

async fn a_signed_in_user_changes_their_password_and_their_other_devices_are_signed_out(app: TestApp) {
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let here = app.signed_in("vol@example.org").await;
    let elsewhere = app.signed_in("vol@example.org").await;
    const NEW: &str = "a new and longer passphrase";
    let change =
        |client: &reqwest::Client, current: &'static str, password: &'static str, again: &'static str| {
            let (app, client) = (&app, client.clone());
            async move {
                let form = [("current_password", current), ("password", password), ("password_again", again)];
                app.call(&client, "auth/change-password", &form).await
            }
        };
    let signed_in_as = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/me", &[]).await.json::<Value>().await.unwrap()["email"].clone() }
    };
    let signs_in_with = |password: &'static str| {
        let app = &app;
        async move {
            let form = [("email", "vol@example.org"), ("password", password)];
            app.call(&app.client(), "auth/login", &form).await.status()
        }
    };

    assert_eq!(change(&app.client(), PASSWORD, NEW, NEW).await.status(), 401);
    // Bad input names its field and changes nothing.
    for (current, password, again, field) in [
        ("not the password", NEW, NEW, "current_password"),
        ("", NEW, NEW, "current_password"),
        (PASSWORD, "short", "short", "password"),
        (PASSWORD, NEW, "something else entirely", "password_again"),
    ] {
        let res = change(&here, current, password, again).await;
        assert_eq!(res.status(), 422, "{field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"][0]["field"], field, "{body}");
    }
    assert_eq!(signed_in_as(&elsewhere).await, "vol@example.org");
    assert_eq!(signs_in_with(PASSWORD).await, 200);

    assert_eq!(change(&here, PASSWORD, NEW, NEW).await.status(), 200);
    // This device stays signed in; the others are signed out.
    assert_eq!(signed_in_as(&here).await, "vol@example.org");
    assert_eq!(signed_in_as(&elsewhere).await, Value::Null);
    assert_eq!(signs_in_with(PASSWORD).await, 422);
    assert_eq!(signs_in_with(NEW).await, 200);
    assert_eq!(app.audited("user.password_changed").await.len(), 1);

    // Guessing the current password counts against the account's sign-in limit.
    const OTHER: &str = "another passphrase here";
    for _ in 0..5 {
        assert_eq!(change(&here, "not the password", OTHER, OTHER).await.status(), 422);
    }
    assert_eq!(change(&here, NEW, OTHER, OTHER).await.status(), 429);
    assert_eq!(signs_in_with(NEW).await, 429);
}

async fn a_signed_in_user_changes_their_name_and_email(app: TestApp) {
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("taken@example.org", Role::Volunteer, UserStatus::Active).await;
    let me = app.signed_in("vol@example.org").await;
    let update =
        |client: &reqwest::Client, name: &'static str, email: &'static str, current: &'static str| {
            let (app, client) = (&app, client.clone());
            async move {
                let form = [("display_name", name), ("email", email), ("current_password", current)];
                app.call(&client, "auth/update-account", &form).await
            }
        };
    let account = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move {
            let me: Value = app.call(&client, "auth/me", &[]).await.json().await.unwrap();
            (me["display_name"].as_str().unwrap().to_string(), me["email"].as_str().unwrap().to_string())
        }
    };
    let original = account(&me).await;

    assert_eq!(update(&app.client(), "Vo Lunteer", "vol@example.org", "").await.status(), 401);
    // Bad input names its field and changes nothing.
    for (name, email, current, field) in [
        ("", "vol@example.org", "", "display_name"),
        ("Line\nbreak", "vol@example.org", "", "display_name"),
        ("Vo Lunteer", "not an email", PASSWORD, "email"),
        ("Vo Lunteer", "new@example.org", "", "current_password"),
        ("Vo Lunteer", "new@example.org", "not the password", "current_password"),
        ("Vo Lunteer", "Taken@Example.org", PASSWORD, "email"),
    ] {
        let res = update(&me, name, email, current).await;
        assert_eq!(res.status(), 422, "{field}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"][0]["field"], field, "{body}");
    }
    assert_eq!(account(&me).await, original);
    assert!(app.events("user.updated").await.is_empty());

    // A new name alone needs no password.
    let res = update(&me, "  Vo Lunteer ", "vol@example.org", "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["display_name"], "Vo Lunteer");
    assert_eq!(account(&me).await, ("Vo Lunteer".to_string(), "vol@example.org".to_string()));

    // A new email, where no email can be sent: it takes effect at once. The session goes on,
    // sign-in takes the new address, the old one is told.
    let res = update(&me, "Vo Lunteer", " New@Example.org ", PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["confirm_sent_to"], Value::Null);
    assert_eq!(account(&me).await, ("Vo Lunteer".to_string(), "new@example.org".to_string()));
    let signs_in_with = |email: &'static str| {
        let app = &app;
        async move {
            app.call(&app.client(), "auth/login", &[("email", email), ("password", PASSWORD)]).await.status()
        }
    };
    assert_eq!(signs_in_with("vol@example.org").await, 422);
    assert_eq!(signs_in_with("new@example.org").await, 200);
    let notice = emails_to(&app, "vol@example.org").await;
    assert_eq!(notice.len(), 1, "{notice:?}");
    assert!(notice[0].contains("from vol@example.org to new@example.org"), "{}", notice[0]);

    let events = app.events("user.updated").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["email"], "new@example.org");
    assert_eq!(events[1]["display_name"], "Vo Lunteer");
    assert_eq!(
        app.audited("user.account_changed").await,
        ["vol@example.org", "vol@example.org → new@example.org"]
    );
}

/// Your account's form carries the account's `edits` as it was opened: a save from it after an
/// admin (or the owner in another tab) changed the account would put back what it showed, so
/// it is refused and changes nothing; the form's own saves go on.
async fn your_account_opened_before_the_account_changed_cannot_put_the_old_details_back(app: TestApp) {
    app.create_user("root@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let root = app.signed_in("root@example.org").await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let me = app.signed_in("vol@example.org").await;
    let me_now = || async { app.call(&me, "auth/me", &[]).await.json::<Value>().await.unwrap() };
    let id = me_now().await["id"].as_str().unwrap().to_string();
    // The owner's save of the form opened at `profile_edits` (left out when `None`).
    let save = |name: &'static str, email: &'static str, edits: Option<i64>| {
        let (app, me) = (&app, me.clone());
        async move {
            let edits = edits.map(|n| n.to_string());
            let mut form = vec![("display_name", name), ("email", email), ("current_password", PASSWORD)];
            form.extend(edits.as_deref().map(|n| ("edits", n)));
            app.call(&me, "auth/update-account", &form).await
        }
    };
    // An admin's save on Users of the form opened at `edits`.
    let admin_save = |name: &'static str, email: &'static str, role: &'static str, edits: i64| {
        let (app, root, id) = (&app, root.clone(), id.clone());
        async move {
            let edits = edits.to_string();
            let form = [
                ("id", id.as_str()),
                ("form[display_name]", name),
                ("form[email]", email),
                ("form[role]", role),
                ("form[expires]", ""),
                ("form[edits]", edits.as_str()),
            ];
            app.call(&root, "users/update", &form).await.status()
        }
    };
    assert_eq!(me_now().await["profile_edits"], 0);

    // The form follows its own saves: the answer carries the new count.
    let res = save("Vo", "vol@example.org", Some(0)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["profile_edits"], 1);

    // An admin renames the account while the owner's form (opened at 1) is open.
    assert_eq!(admin_save("Vo Lunteer", "vol@example.org", "VOLUNTEER", 1).await, 200);
    let events = app.events("user.updated").await.len();
    let audited = app.audited("user.account_changed").await;
    // The owner's save would put "Vo" back, or change the email on top of the admin's change.
    for (name, email) in [("Vo", "vol@example.org"), ("Vo", "new@example.org")] {
        let res = save(name, email, Some(1)).await;
        assert_eq!(res.status(), 409, "{name} {email}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Someone else saved changes to your account while you were editing it"),
            "{body}"
        );
    }
    let now = me_now().await;
    assert_eq!(
        (&now["display_name"], &now["email"], &now["profile_edits"]),
        (&"Vo Lunteer".into(), &"vol@example.org".into(), &2.into())
    );
    assert_eq!(app.events("user.updated").await.len(), events, "nothing published");
    assert_eq!(app.audited("user.account_changed").await, audited, "nothing audited");
    assert!(emails_to(&app, "vol@example.org").await.is_empty(), "no email-changed notice");

    // Reloaded, the form saves; a stale form that changes nothing loses nothing and passes;
    // a caller that leaves the count out (a script) is not checked.
    let res = save("Vo Lunteer", "new@example.org", Some(2)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["profile_edits"], 3);
    assert_eq!(save("Vo Lunteer", "new@example.org", Some(1)).await.status(), 200);
    assert_eq!(save("Volunteer", "new@example.org", None).await.status(), 200);
    let now = me_now().await;
    assert_eq!((&now["display_name"], &now["profile_edits"]), (&"Volunteer".into(), &4.into()));

    // An admin's change of role leaves the name and email as the form shows them: the
    // form opened before it still saves (it was refused while one count held both).
    assert_eq!(admin_save("Volunteer", "new@example.org", "EVENTS_ADMIN", 4).await, 200);
    assert_eq!(me_now().await["profile_edits"], 4, "a role is not counted for Your account");
    let res = save("Vo L.", "new@example.org", Some(4)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["profile_edits"], 5);
    let now = me_now().await;
    assert_eq!((&now["display_name"], &now["role"]), (&"Vo L.".into(), &"EVENTS_ADMIN".into()));
    // The admin's form, opened after its own save (at 5) and so before that rename, is
    // refused all the same: it shows the name too.
    assert_eq!(admin_save("Volunteer", "new@example.org", "VOLUNTEER", 5).await, 409);
    assert_eq!(me_now().await["display_name"], "Vo L.");
}

/// With SMTP set up, a new email takes effect only through the one-time link emailed to it:
/// a mistyped address cannot lock its owner out. A wrong or spent link, or an email another
/// account took meanwhile, changes nothing.
async fn a_new_email_waits_for_the_link_sent_to_it_when_email_can_be_sent(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    configure_smtp(&app, &admin(&app).await, smtp.port).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    // Their contact, as registering makes it.
    let mut tx = app.db.begin_write().await.unwrap();
    app::contacts::service::find_or_create(&mut tx, "vol@example.org", "Vo", None, "REGISTRATION")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let me = app.signed_in("vol@example.org").await;
    let update = |name: &'static str, email: &'static str| {
        let (app, me) = (&app, me.clone());
        async move {
            let form = [("display_name", name), ("email", email), ("current_password", PASSWORD)];
            app.call(&me, "auth/update-account", &form).await
        }
    };
    let signs_in_with = |email: &'static str| {
        let app = &app;
        async move {
            app.call(&app.client(), "auth/login", &[("email", email), ("password", PASSWORD)]).await.status()
        }
    };
    let link_status = |token: String| {
        let (app, me) = (&app, me.clone());
        async move {
            let res = app.call(&me, "auth/email-link-status", &[("token", token.as_str())]).await;
            res.json::<Value>().await.unwrap()
        }
    };
    let pending = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/pending-email", &[]).await.json::<Value>().await.unwrap() }
    };
    let confirm_as = |client: &reqwest::Client, token: String| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/confirm-email", &[("token", token.as_str())]).await }
    };
    let confirm = |token: String| confirm_as(&me, token);
    let emailed_token = |to: &'static str| {
        let app = &app;
        async move {
            let sent = emails_to(app, to).await;
            assert_eq!(sent.len(), 1, "{sent:?}");
            let link = sent[0].lines().find(|l| l.contains("/account/confirm-email?token=")).expect(&sent[0]);
            assert!(link.starts_with("{{base_url}}/account/confirm-email?token="), "{link}");
            link.rsplit("token=").next().unwrap().to_string()
        }
    };

    // The name is saved at once; the email waits, and sign-in still takes the old one.
    let res = update("Vo Lunteer", "neu@example.org").await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["confirm_sent_to"], "neu@example.org");
    assert_eq!(saved["user"]["email"], "vol@example.org");
    assert_eq!(saved["user"]["display_name"], "Vo Lunteer");
    assert_eq!(signs_in_with("neu@example.org").await, 422);
    assert_eq!(signs_in_with("vol@example.org").await, 200);
    let typo_token = emailed_token("neu@example.org").await;
    let sent = emails_to(&app, "neu@example.org").await;
    assert!(sent[0].starts_with("Hello Vo Lunteer,"), "greeted by the name saved with it: {}", sent[0]);
    assert_eq!(pending(&me).await, "neu@example.org");
    let page = me.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("neu@example.org waits for you to confirm it"), "Your account says so");
    assert_eq!(link_status(typo_token.clone()).await, "neu@example.org");

    // Typed again, correctly: the first link stops working.
    assert_eq!(update("Vo Lunteer", "new@example.org").await.status(), 200);
    let token = emailed_token("new@example.org").await;
    assert_eq!(pending(&me).await, "new@example.org", "the latest ask replaces the first");
    assert_eq!(link_status(typo_token.clone()).await, Value::Null);
    assert_eq!(confirm(typo_token).await.status(), 404);
    assert_eq!(confirm("not-a-token".to_string()).await.status(), 404);
    // The page says so too. Opening it confirms nothing.
    let page = me.get(app.url("/account/confirm-email?token=wrong")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("This link is not valid"));
    let page = me.get(app.url(&format!("/account/confirm-email?token={token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("new@example.org"));
    assert_eq!(signs_in_with("vol@example.org").await, 200, "opening the page confirms nothing");
    // Only the account that asked may use it: whoever reads the new address's mail cannot
    // take the account with it, signed out or signed in as someone else.
    assert_eq!(confirm_as(&app.client(), token.clone()).await.status(), 401);
    let url = app.url(&format!("/account/confirm-email?token={token}"));
    let page = app.client().get(url).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 302, "sent to sign in first");
    let location = page.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("/login?next=/account/confirm-email%3Ftoken%3D{token}"));
    app.create_user("other@example.org", Role::Volunteer, UserStatus::Active).await;
    let other = app.signed_in("other@example.org").await;
    assert_eq!(confirm_as(&other, token.clone()).await.status(), 404);
    assert_eq!(signs_in_with("vol@example.org").await, 200);

    // An email already another account's is refused when asked for.
    app.create_user("taken@example.org", Role::Volunteer, UserStatus::Active).await;
    let res = update("Vo Lunteer", "taken@example.org").await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["Invalid"][0]["field"], "email");
    assert!(emails_to(&app, "taken@example.org").await.is_empty());
    // That refusal left the pending link alone. Taken by another account before it is opened,
    // the link changes nothing.
    let later = app.create_user("new@example.org", Role::Volunteer, UserStatus::Active).await;
    let res = confirm(token.clone()).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Another account has signed up with this email"));
    assert_eq!(signs_in_with("vol@example.org").await, 200);
    sqlx::query("DELETE FROM users WHERE id = $1").bind(&later.id).execute(app.db.pool()).await.unwrap();

    // Confirmed by its account: the new email from then on, once. Posted by the browser itself
    // (before the page's code loaded), it lands on Your account.
    let res = me
        .post(app.url("/api/auth/confirm-email"))
        .header("accept", "text/html")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()["location"], "/account");
    assert_eq!(signs_in_with("new@example.org").await, 200);
    assert_eq!(signs_in_with("vol@example.org").await, 422);
    assert_eq!(confirm(token).await.status(), 404);
    assert_eq!(pending(&me).await, Value::Null);
    let me_now: Value = app.call(&me, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me_now["email"], "new@example.org", "the session goes on");
    let notice = emails_to(&app, "vol@example.org").await;
    assert_eq!(notice.len(), 1);
    assert!(notice[0].contains("from vol@example.org to new@example.org"), "{}", notice[0]);

    let events = app.events("user.updated").await;
    assert_eq!(events.len(), 2, "the name, then the confirmed email: {events:?}");
    assert_eq!(events[0]["email"], "vol@example.org");
    assert_eq!(events[1]["email"], "new@example.org");
    assert_eq!(
        app.audited("user.account_changed").await,
        ["vol@example.org", "vol@example.org → new@example.org"]
    );
    // Their contact follows, once the change takes effect.
    let contacts: Vec<String> =
        sqlx::query_scalar("SELECT email FROM contacts").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(contacts, ["new@example.org"]);
    assert_eq!(app.events("contact.updated").await.len(), 1);
}

/// A waiting new email (a typo, a change of mind) is called off from Your account: its link
/// stops working and the account keeps signing in with its email.
async fn a_waiting_new_email_is_called_off(app: TestApp) {
    let smtp = FakeSmtp::start(0).await;
    configure_smtp(&app, &admin(&app).await, smtp.port).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let me = app.signed_in("vol@example.org").await;
    let cancel = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/cancel-email-change", &[]).await }
    };
    let form = [("display_name", "Vol"), ("email", "nwe@example.org"), ("current_password", PASSWORD)];
    assert_eq!(app.call(&me, "auth/update-account", &form).await.status(), 200);
    let sent = emails_to(&app, "nwe@example.org").await;
    let link = sent[0].lines().find(|l| l.contains("/account/confirm-email?token=")).expect(&sent[0]);
    let token = link.rsplit("token=").next().unwrap().to_string();

    assert_eq!(cancel(&app.client()).await.status(), 401, "nobody signed in has nothing to call off");
    let res = cancel(&me).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), true);
    let pending: Value = app.call(&me, "auth/pending-email", &[]).await.json().await.unwrap();
    assert_eq!(pending, Value::Null);
    let page = me.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("waits for you to confirm it"), "Your account no longer says one waits");
    let res = app.call(&me, "auth/confirm-email", &[("token", token.as_str())]).await;
    assert_eq!(res.status(), 404, "its link no longer works");
    let me_now: Value = app.call(&me, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me_now["email"], "vol@example.org");
    // Nothing left to call off; posted by the browser itself, it lands on Your account.
    let res =
        me.post(app.url("/api/auth/cancel-email-change")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/account");
    assert_eq!(cancel(&me).await.json::<Value>().await.unwrap(), false);
}

/// "Sign out everywhere else" ends every other session of the account, and only those: the
/// device in use and other accounts stay signed in.
async fn a_signed_in_user_signs_out_everywhere_else(app: TestApp) {
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let here = app.signed_in("vol@example.org").await;
    let (laptop, phone) = (app.signed_in("vol@example.org").await, app.signed_in("vol@example.org").await);
    let someone_else = app.signed_in("sam@example.org").await;
    let sign_out = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/sign-out-elsewhere", &[]).await }
    };
    let signed_in_as = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/me", &[]).await.json::<Value>().await.unwrap()["email"].clone() }
    };

    assert_eq!(sign_out(&app.client()).await.status(), 401);
    let res = sign_out(&here).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), 2);
    assert_eq!(signed_in_as(&here).await, "vol@example.org");
    assert_eq!(signed_in_as(&laptop).await, Value::Null);
    assert_eq!(signed_in_as(&phone).await, Value::Null);
    assert_eq!(signed_in_as(&someone_else).await, "sam@example.org");
    // Again: nothing left to end, and nothing more in the log.
    assert_eq!(sign_out(&here).await.json::<Value>().await.unwrap(), 0);
    assert_eq!(app.audited("user.signed_out_elsewhere").await, ["vol@example.org (2)"]);
}

/// The hourly clean-up removes sessions and emailed links past their time, and nothing else.
async fn expired_sessions_and_links_are_pruned(app: TestApp) {
    let vol = app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let sam = app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let now = app::db::now_unix();
    let pool = app.db.pool();
    // One session ended yesterday; the one signed in after it is live.
    app.signed_in("vol@example.org").await;
    sqlx::query("UPDATE sessions SET expires_at = $1").bind(now - 86_400).execute(pool).await.unwrap();
    let current = app.signed_in("vol@example.org").await;
    for (table, user, expires_at) in [
        ("password_resets", &vol, now - 1),
        ("password_resets", &sam, now + 3600),
        ("email_changes", &vol, now - 1),
        ("email_changes", &sam, now + 3600),
    ] {
        let sql = if table == "password_resets" {
            "INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3)"
        } else {
            "INSERT INTO email_changes (user_id, new_email, token_hash, expires_at) VALUES ($1, 'x@example.org', $2, $3)"
        };
        sqlx::query(sql)
            .bind(&user.id)
            .bind(format!("{table}-{}", user.id))
            .bind(expires_at)
            .execute(pool)
            .await
            .unwrap();
    }

    assert_eq!(app::auth::service::prune_expired(&app.db).await.unwrap(), 3);
    for (table, left) in [("sessions", 1), ("password_resets", 1), ("email_changes", 1)] {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(count, left, "{table}");
    }
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM password_resets UNION ALL SELECT user_id FROM email_changes")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(kept, [sam.id.clone(), sam.id.clone()], "the links still good stay");
    let me: Value = app.call(&current, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me["email"], "vol@example.org", "the live session stays");
    assert_eq!(app::auth::service::prune_expired(&app.db).await.unwrap(), 0);
}

async fn a_volunteer_deletes_their_own_account_and_their_sign_ups_stay(app: TestApp) {
    let volunteer = app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("boss@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let shift = crate::common::create_shift_tomorrow(&app, "Phone bank").await;
    let me = app.signed_in("vol@example.org").await;
    let elsewhere = app.signed_in("vol@example.org").await;
    let res = app.call(&me, "shifts/sign-up", &[("shift_id", shift.id.as_str())]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let delete = |client: &reqwest::Client, password: &'static str| {
        let (app, client) = (&app, client.clone());
        async move { app.call(&client, "auth/delete-account", &[("delete_password", password)]).await }
    };
    let users = || count(&app, "SELECT COUNT(*) FROM users");

    assert_eq!(delete(&app.client(), PASSWORD).await.status(), 401);
    for password in ["", "not the password"] {
        let res = delete(&me, password).await;
        assert_eq!(res.status(), 422);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"][0]["field"], "delete_password", "{body}");
    }
    // A super admin's account is deleted by another super admin, never by its owner.
    let boss = app.signed_in("boss@example.org").await;
    assert_eq!(delete(&boss, PASSWORD).await.status(), 409);
    assert_eq!(users().await, 2);
    assert!(app.events("user.deleted").await.is_empty());

    let res = delete(&me, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cleared = session_set_cookie(res.headers()).expect("the session cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(users().await, 1);
    for client in [&me, &elsewhere] {
        let who: Value = app.call(client, "auth/me", &[]).await.json().await.unwrap();
        assert_eq!(who, Value::Null);
    }
    let form = [("email", "vol@example.org"), ("password", PASSWORD)];
    assert_eq!(app.call(&app.client(), "auth/login", &form).await.status(), 422);
    // The sign-up stays with the organisers, no longer linked to an account.
    let (user_id, status): (Option<String>, String) =
        sqlx::query_as("SELECT user_id, status FROM shift_signups WHERE shift_id = $1")
            .bind(&shift.id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((user_id, status.as_str()), (None, "CONFIRMED"));
    let events = app.events("user.deleted").await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0]["user_id"].as_str(), events[0]["email"].as_str()),
        (Some(volunteer.id.as_str()), Some("vol@example.org"))
    );
    let audited: String =
        sqlx::query_scalar("SELECT actor FROM admin_audit_log WHERE action = 'user.deleted'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, format!("user:{}", volunteer.id));
}
