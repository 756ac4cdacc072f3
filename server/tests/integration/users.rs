//! Accounts: public registration with approval, and the super admin's account management,
//! over HTTP on both databases.

use crate::common::{PASSWORD, TestApp, redirected_to};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    registration_waits_for_approval_then_signs_in,
    super_admins_create_edit_deactivate_and_delete_accounts,
    temporary_accounts_need_an_expiry_and_stop_working_after_it,
    super_admins_cannot_lock_themselves_out,
    user_functions_check_the_role,
    registration_is_limited_per_client_address,
    a_forgotten_password_is_changed_by_a_one_time_emailed_link,
    organisers_email_password_links_and_never_need_to_know_a_password,
    super_admins_correct_an_accounts_email,
    an_accounts_contact_follows_its_new_email,
    an_accounts_contact_follows_its_new_name_unless_an_organiser_renamed_it,
    an_edit_form_opened_before_an_account_changed_cannot_put_the_old_details_back,
);

async fn super_admin(app: &TestApp) -> reqwest::Client {
    app.create_user("root@example.org", Role::SuperAdmin, UserStatus::Active).await;
    app.signed_in("root@example.org").await
}

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, String) {
    let res = app.call(&app.client(), "auth/login", &[("email", email), ("password", password)]).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// An organiser's save of volunteer account `id` on the Users page with `name` and `email`
/// (`TestApp::create_user` names accounts "Test Person").
async fn edit_volunteer(
    app: &TestApp,
    admin: &reqwest::Client,
    id: &str,
    name: &str,
    email: &str,
) -> reqwest::Response {
    let form = [
        ("id", id),
        ("form[display_name]", name),
        ("form[email]", email),
        ("form[role]", "VOLUNTEER"),
        ("form[expires]", ""),
    ];
    app.call(admin, "users/update", &form).await
}

fn registration<'a>(name: &'a str, email: &'a str, again: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[display_name]", name),
        ("form[email]", email),
        ("form[password]", PASSWORD),
        ("form[password_again]", again),
    ]
}

async fn registration_waits_for_approval_then_signs_in(app: TestApp) {
    let res =
        app.call(&app.client(), "users/register", &registration("Rae", "rae@example.org", "different")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("The passwords do not match."));
    let res =
        app.call(&app.client(), "users/register", &registration("Rae", " Rae@Example.org ", PASSWORD)).await;
    assert_eq!(res.status(), 200);
    let (role, status): (String, String) =
        sqlx::query_as("SELECT role, status FROM users WHERE email = 'rae@example.org'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((role.as_str(), status.as_str()), ("VOLUNTEER", "PENDING"));
    let source: String = sqlx::query_scalar("SELECT source FROM contacts WHERE email = 'rae@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(source, "REGISTRATION");
    assert_eq!(app.events("user.created").await.len(), 1);
    assert_eq!(app.events("contact.created").await.len(), 1);
    let (status, body) = login(&app, "rae@example.org", PASSWORD).await;
    assert_eq!(status, 422);
    assert!(body.contains("waiting for an administrator"), "{body}");

    // The same email again: the same answer, nothing new (the form reveals no account).
    let res =
        app.call(&app.client(), "users/register", &registration("Other", "rae@example.org", PASSWORD)).await;
    assert_eq!(res.status(), 200);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 1);
    assert_eq!(app.events("user.created").await.len(), 1);

    let admin = super_admin(&app).await;
    let list: Value = app.call(&admin, "users/list", &[]).await.json().await.unwrap();
    assert_eq!(list["pending"], 1);
    assert_eq!(list["users"][0]["email"], "rae@example.org", "waiting ones first");
    let html = admin.get(app.url("/admin/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("1 waiting for approval"), "{html}");
    let id = user_id(&app, "rae@example.org").await;
    assert_eq!(app.call(&admin, "users/approve", &[("id", id.as_str())]).await.status(), 200);
    let approved = app.events("user.approved").await;
    assert_eq!(approved.len(), 1);
    assert_eq!(
        (approved[0]["email"].as_str(), approved[0]["display_name"].as_str()),
        (Some("rae@example.org"), Some("Rae"))
    );
    assert_eq!(login(&app, "rae@example.org", PASSWORD).await.0, 200);
    assert_eq!(app.call(&admin, "users/approve", &[("id", id.as_str())]).await.status(), 409, "only once");

    // Sent by the browser itself (before the page's code has loaded, or without JavaScript),
    // the form ends on the same thanks instead of coming back empty.
    let form = registration("Sol", "sol@example.org", PASSWORD);
    let thanks =
        redirected_to(&app.post_as_browser(&app.client(), "users/register", "/register", &form).await);
    assert_eq!(thanks, "/register?requested=1");
    let html = app.page(&app.client(), &thanks).await;
    assert!(html.contains("Thank you! An organiser will look at your request."), "{html}");
    assert!(!html.contains("Ask for an account"), "the thanks takes the form's place");
    assert_eq!(login(&app, "sol@example.org", PASSWORD).await.0, 422, "waiting for approval");
}

fn account<'a>(name: &'a str, email: &'a str, role: &'a str, expires: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[display_name]", name),
        ("form[email]", email),
        ("form[password]", PASSWORD),
        ("form[role]", role),
        ("form[expires]", expires),
    ]
}

async fn super_admins_create_edit_deactivate_and_delete_accounts(app: TestApp) {
    let admin = super_admin(&app).await;
    let res = app.call(&admin, "users/create", &account("", "bad", "KING", "")).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    for field in ["form[display_name]", "form[email]", "form[role]"] {
        assert!(body.contains(field.trim_start_matches("form[").trim_end_matches(']')), "{field}: {body}");
    }
    let res = app.call(&admin, "users/create", &account("Ed", "ed@example.org", "EVENTS_ADMIN", "")).await;
    assert_eq!(res.status(), 200);
    let created = app.events("user.created").await;
    assert_eq!(
        (created[0]["email"].as_str(), created[0]["role"].as_str()),
        (Some("ed@example.org"), Some("EVENTS_ADMIN"))
    );
    assert!(!created[0].to_string().contains("argon"), "no hash in the event");
    let res = app.call(&admin, "users/create", &account("Ed 2", "ED@example.org", "VOLUNTEER", "")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("already exists"));

    let id = user_id(&app, "ed@example.org").await;
    let ed = app.signed_in("ed@example.org").await;
    let edit = [
        ("id", id.as_str()),
        ("form[display_name]", "Ed Events"),
        ("form[email]", "ed@example.org"),
        ("form[role]", "ADMIN"),
        ("form[expires]", ""),
    ];
    assert_eq!(app.call(&admin, "users/update", &edit).await.status(), 200);
    let updated = app.events("user.updated").await;
    assert_eq!(
        (updated[0]["role"].as_str(), updated[0]["display_name"].as_str()),
        (Some("ADMIN"), Some("Ed Events"))
    );
    // The new role applies to the running session at once.
    assert_eq!(app.call(&ed, "contacts/list", &[]).await.status(), 200);

    let deactivate = [("id", id.as_str()), ("active", "false")];
    assert_eq!(app.call(&admin, "users/set-active", &deactivate).await.status(), 200);
    assert_eq!(app.call(&ed, "contacts/list", &[]).await.status(), 401, "sessions end");
    let (status, body) = login(&app, "ed@example.org", PASSWORD).await;
    assert_eq!(status, 422);
    assert!(body.contains("disabled"), "{body}");
    assert_eq!(app.events("user.updated").await.last().unwrap()["status"], "DISABLED");
    assert_eq!(
        app.call(&admin, "users/set-active", &[("id", id.as_str()), ("active", "true")]).await.status(),
        200
    );
    assert_eq!(login(&app, "ed@example.org", PASSWORD).await.0, 200);

    assert_eq!(app.call(&admin, "users/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(login(&app, "ed@example.org", PASSWORD).await.0, 422);
    assert_eq!(app.events("user.deleted").await[0]["email"], "ed@example.org");
    assert_eq!(app.call(&admin, "users/delete", &[("id", id.as_str())]).await.status(), 404);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM admin_audit_log WHERE entity LIKE 'ed@example.org%' ORDER BY at, action",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    for action in ["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

async fn temporary_accounts_need_an_expiry_and_stop_working_after_it(app: TestApp) {
    let admin = super_admin(&app).await;
    let create = |expires: &'static str, role: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move { app.call(&admin, "users/create", &account("Tia", "tia@example.org", role, expires)).await }
    };
    let next_week = app::time::date_time_from_unix(app::db::now_unix() + 7 * 86_400).0;
    let next_week: &'static str = Box::leak(next_week.into_boxed_str());
    for (expires, role, message) in [
        ("", "TEMP", "need an expiry date"),
        ("2020-01-01", "TEMP", "must be in the future"),
        ("2099-01-01", "TEMP", "at most a year"),
        ("2026-02-30", "TEMP", "like 2026-12-31"),
        (next_week, "VOLUNTEER", "Only temporary accounts expire"),
    ] {
        let res = create(expires, role).await;
        assert_eq!(res.status(), 422, "{expires} {role}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(create(next_week, "TEMP").await.status(), 200);
    assert_eq!(login(&app, "tia@example.org", PASSWORD).await.0, 200);
    // The day passes.
    sqlx::query("UPDATE users SET expires_at = $1 WHERE email = 'tia@example.org'")
        .bind(app::db::now_unix() - 1)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, body) = login(&app, "tia@example.org", PASSWORD).await;
    assert_eq!(status, 422);
    assert!(body.contains("expired"), "{body}");
    let list: Value =
        app.call(&admin, "users/list", &[("filter[search]", "tia")]).await.json().await.unwrap();
    assert_eq!(list["users"][0]["expired"], true);
}

async fn super_admins_cannot_lock_themselves_out(app: TestApp) {
    let admin = super_admin(&app).await;
    let me = user_id(&app, "root@example.org").await;
    let demote = [
        ("id", me.as_str()),
        ("form[display_name]", "Root"),
        ("form[email]", "root@example.org"),
        ("form[role]", "ADMIN"),
        ("form[expires]", ""),
    ];
    for (endpoint, args) in [
        ("users/update", demote.to_vec()),
        ("users/set-active", vec![("id", me.as_str()), ("active", "false")]),
        ("users/delete", vec![("id", me.as_str())]),
    ] {
        let res = app.call(&admin, endpoint, &args).await;
        assert_eq!(res.status(), 409, "{endpoint}");
    }
    // Renaming oneself is fine.
    let rename = [
        ("id", me.as_str()),
        ("form[display_name]", "Root Admin"),
        ("form[email]", "root@example.org"),
        ("form[role]", "SUPER_ADMIN"),
        ("form[expires]", ""),
    ];
    assert_eq!(app.call(&admin, "users/update", &rename).await.status(), 200);
    let (role, status): (String, String) = sqlx::query_as("SELECT role, status FROM users WHERE id = $1")
        .bind(&me)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((role.as_str(), status.as_str()), ("SUPER_ADMIN", "ACTIVE"));
}

async fn user_functions_check_the_role(app: TestApp) {
    let root = super_admin(&app).await;
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let volunteer = app.signed_in("vol@example.org").await;
    let target = user_id(&app, "vol@example.org").await;
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("users/list", vec![]),
        ("users/create", account("X", "x@example.org", "VOLUNTEER", "")),
        (
            "users/update",
            vec![
                ("id", target.as_str()),
                ("form[display_name]", "V"),
                ("form[email]", "vol@example.org"),
                ("form[role]", "VOLUNTEER"),
                ("form[expires]", ""),
            ],
        ),
        ("users/set-active", vec![("id", target.as_str()), ("active", "true")]),
        ("users/approve", vec![("id", target.as_str())]),
        ("users/delete", vec![("id", target.as_str())]),
    ];
    for (endpoint, args) in &calls {
        assert_eq!(app.call(&app.client(), endpoint, args).await.status(), 401, "{endpoint}");
        assert_eq!(app.call(&volunteer, endpoint, args).await.status(), 403, "{endpoint}");
        assert_eq!(app.call(&admin, endpoint, args).await.status(), 403, "{endpoint}");
    }
    let expected = [200, 200, 200, 200, 409, 200];
    for ((endpoint, args), status) in calls.iter().zip(expected) {
        assert_eq!(app.call(&root, endpoint, args).await.status(), status, "{endpoint}");
    }
    // The admin area's frame answers, with the refusal inside it and as the status.
    let page = admin.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"load-error\""), "{html}");
    assert!(!html.contains("data-testid=\"user-row\""), "no account is shown to an admin");
}

/// Registrations draw on the same per-IP allowance as sign-in attempts (20 in 15 minutes by
/// default); past it the answer is 429 and no account is made.
async fn registration_is_limited_per_client_address(app: TestApp) {
    let mut statuses = Vec::new();
    for n in 0..21 {
        let email = format!("r{n}@example.org");
        let res = app.call(&app.client(), "users/register", &registration("Rae", &email, PASSWORD)).await;
        statuses.push(res.status().as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[20], 429);
    let accounts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(accounts, 20);
}

/// Sets a new password with a reset link's token, as the page does.
async fn reset(app: &TestApp, token: &str, password: &str, again: &str) -> reqwest::Response {
    let form = [("token", token), ("password", password), ("password_again", again)];
    app.call(&app.client(), "auth/reset-password", &form).await
}

/// The bodies of the emails queued to `to`.
pub async fn emails_to(app: &TestApp, to: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM email_outbox WHERE to_address = $1")
        .bind(to)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// The token of the one reset link emailed to `to`, taken out of the queue so that the next
/// one is alone there too.
async fn emailed_reset_token(app: &TestApp, to: &str) -> String {
    let sent = emails_to(app, to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let link = sent[0].lines().find(|l| l.contains("/reset-password?token=")).expect(&sent[0]);
    assert!(link.starts_with("{{base_url}}/reset-password?token="), "{link}");
    sqlx::query("DELETE FROM email_outbox WHERE to_address = $1")
        .bind(to)
        .execute(app.db.pool())
        .await
        .unwrap();
    link.rsplit("token=").next().unwrap().to_string()
}

/// "Forgot your password?" emails an account that may sign in a link (and nobody else, with
/// the same answer); the link sets a new password once, within the hour, and signs the
/// account out everywhere. A bad password or a wrong, used or expired link changes nothing.
async fn a_forgotten_password_is_changed_by_a_one_time_emailed_link(app: TestApp) {
    app.create_user("vic@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("pat@example.org", Role::Volunteer, UserStatus::Pending).await;
    let old_session = app.signed_in("vic@example.org").await;
    let forgot = |email: &'static str| {
        let app = &app;
        async move { app.call(&app.client(), "auth/forgot-password", &[("email", email)]).await.status() }
    };
    // While email is not set up no link could arrive: refused alike for every email, no link made.
    for email in ["nobody@example.org", "vic@example.org"] {
        let res = app.call(&app.client(), "auth/forgot-password", &[("email", email)]).await;
        assert_eq!(res.status(), 409, "{email}");
        assert!(res.text().await.unwrap().contains("This organisation does not send email yet"), "{email}");
    }
    let links: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM password_resets").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(links, 0);
    assert!(emails_to(&app, "vic@example.org").await.is_empty());
    let smtp = crate::common::smtp::FakeSmtp::start(0).await;
    crate::email::configure_smtp(&app, &crate::email::admin(&app).await, smtp.port).await;

    for email in ["nobody@example.org", "pat@example.org", " Vic@Example.org "] {
        let asked = std::time::Instant::now();
        assert_eq!(forgot(email).await, 200, "{email}: the same answer for everyone");
        // And no sooner than the floor, which hides the write an account's link costs.
        assert!(asked.elapsed() >= app::auth::service::EMAILED_LINK_ANSWER_TIME, "{email}");
    }
    assert!(emails_to(&app, "nobody@example.org").await.is_empty());
    assert!(emails_to(&app, "pat@example.org").await.is_empty(), "an account that may not sign in gets none");
    let token = emailed_reset_token(&app, "vic@example.org").await;
    let token = token.as_str();

    let link_page = format!("/reset-password?token={token}");
    assert!(app.page(&app.client(), &link_page).await.contains("Save the new password"));
    let new_password = "a brand new passphrase";
    assert_eq!(reset(&app, token, "short", "short").await.status(), 422);
    assert_eq!(reset(&app, token, new_password, "something else").await.status(), 422);
    let res = reset(&app, "not-the-token", new_password, new_password).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Ask for a new one."));
    assert_eq!(login(&app, "vic@example.org", PASSWORD).await.0, 200, "nothing changed yet");

    assert_eq!(reset(&app, token, new_password, new_password).await.status(), 200);
    assert_eq!(login(&app, "vic@example.org", PASSWORD).await.0, 422, "the old password is gone");
    assert_eq!(login(&app, "vic@example.org", new_password).await.0, 200);
    let me: Value = app.call(&old_session, "auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me, Value::Null, "signed out everywhere");
    assert_eq!(
        reset(&app, token, "yet another passphrase", "yet another passphrase").await.status(),
        404,
        "once"
    );
    let used = app.client().get(app.url(&link_page)).send().await.unwrap();
    assert_eq!(used.status(), 404);
    let html = used.text().await.unwrap();
    assert!(
        html.contains("This link is not valid, was already used or has expired.")
            && !html.contains("Save the new password")
    );

    // A link older than an hour no longer works.
    assert_eq!(forgot("vic@example.org").await, 200);
    let token = emailed_reset_token(&app, "vic@example.org").await;
    let expires: i64 =
        sqlx::query_scalar("SELECT expires_at FROM password_resets").fetch_one(app.db.pool()).await.unwrap();
    assert!((expires - app::db::now_unix() - 3600).abs() <= 5, "good for an hour");
    sqlx::query("UPDATE password_resets SET expires_at = $1")
        .bind(app::db::now_unix())
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(reset(&app, &token, "yet another passphrase", "yet another passphrase").await.status(), 404);
    assert_eq!(login(&app, "vic@example.org", new_password).await.0, 200);

    // Sent by the browser itself, each form ends where its outcome shows.
    let res = app
        .post_as_browser(
            &app.client(),
            "auth/forgot-password",
            "/forgot-password",
            &[("email", "vic@example.org")],
        )
        .await;
    let sent_page = redirected_to(&res);
    assert_eq!(sent_page, "/forgot-password?sent=1");
    assert!(
        app.page(&app.client(), &sent_page)
            .await
            .contains("If an account has that email, we have sent it a link")
    );
    let token = emailed_reset_token(&app, "vic@example.org").await;
    let form = [("token", token.as_str()), ("password", new_password), ("password_again", new_password)];
    let res = app.post_as_browser(&app.client(), "auth/reset-password", "/reset-password", &form).await;
    assert_eq!(redirected_to(&res), "/login?reset=1");
    assert!(app.page(&app.client(), "/login?reset=1").await.contains("Your password is saved."));
    assert!(app.page(&app.client(), "/login").await.contains("href=\"/forgot-password\""));
}

/// An account made without a password gets an emailed link (good for a week) to choose its
/// own; an organiser can email any account that may sign in a link to choose a new one, which
/// leaves the old password working until it is used.
async fn organisers_email_password_links_and_never_need_to_know_a_password(app: TestApp) {
    let admin = super_admin(&app).await;
    let res = app.call(&admin, "users/create", &account("Nia", "Nia@Example.org", "VOLUNTEER", "")).await;
    assert_eq!(res.status(), 200);
    let res = app.call(&admin, "users/create", &account("Ola", "ola@example.org", "VOLUNTEER", "")).await;
    assert_eq!(res.json::<Value>().await.unwrap()["password_link"], "not_needed");
    assert!(emails_to(&app, "ola@example.org").await.is_empty(), "a typed password sends no link");
    let no_password = [
        ("form[display_name]", "Noor"),
        ("form[email]", "noor@example.org"),
        ("form[password]", ""),
        ("form[role]", "ADMIN"),
        ("form[expires]", ""),
    ];
    // Made while email is not set up: the organiser is told the link waits for it.
    let made = app.call(&admin, "users/create", &no_password).await.json::<Value>().await.unwrap();
    assert_eq!(
        (made["email"].as_str(), made["password_link"].as_str()),
        (Some("noor@example.org"), Some("waits_for_email"))
    );
    let welcome: String =
        sqlx::query_scalar("SELECT subject FROM email_outbox WHERE to_address = 'noor@example.org'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(welcome, "Your new account: choose a password");
    assert!(emails_to(&app, "noor@example.org").await[0].contains("An organiser made you an account"));
    let token = emailed_reset_token(&app, "noor@example.org").await;
    let expires: i64 =
        sqlx::query_scalar("SELECT expires_at FROM password_resets").fetch_one(app.db.pool()).await.unwrap();
    assert!((expires - app::db::now_unix() - 7 * 24 * 3600).abs() <= 5, "good for a week");
    let chosen = "noor's own passphrase";
    assert_eq!(reset(&app, &token, chosen, chosen).await.status(), 200);
    assert_eq!(login(&app, "noor@example.org", chosen).await.0, 200);

    // A link on request, refused while email is not set up (it could not arrive): nothing made.
    let nia = user_id(&app, "nia@example.org").await;
    let res = app.call(&admin, "users/send-password-link", &[("id", nia.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Email is not set up yet"));
    assert!(emails_to(&app, "nia@example.org").await.is_empty());
    assert!(app.audited("user.password_link_sent").await.is_empty());
    let smtp = crate::common::smtp::FakeSmtp::start(0).await;
    crate::email::configure_smtp(&app, &admin, smtp.port).await;
    // Then the old password works until the link is used.
    let res = app.call(&admin, "users/send-password-link", &[("id", nia.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), "nia@example.org");
    assert!(emails_to(&app, "nia@example.org").await[0].contains("An organiser sent you this link"));
    let token = emailed_reset_token(&app, "nia@example.org").await;
    assert_eq!(login(&app, "nia@example.org", PASSWORD).await.0, 200, "the old password still works");
    assert_eq!(reset(&app, &token, chosen, chosen).await.status(), 200);
    assert_eq!(login(&app, "nia@example.org", PASSWORD).await.0, 422);
    assert_eq!(app.audited("user.password_link_sent").await, ["nia@example.org"]);
    let mut no_password = no_password;
    no_password[1].1 = "uma@example.org";
    let made = app.call(&admin, "users/create", &no_password).await.json::<Value>().await.unwrap();
    assert_eq!(made["password_link"], "emailed", "with email set up");
    assert!(emails_to(&app, "uma@example.org").await[0].contains("An organiser made you an account"));

    // Not to an account that may not sign in, nor to nobody.
    app.create_user("pat@example.org", Role::Volunteer, UserStatus::Pending).await;
    let pat = user_id(&app, "pat@example.org").await;
    let res = app.call(&admin, "users/send-password-link", &[("id", pat.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("approve, reactivate or extend it first"));
    assert_eq!(
        app.call(&admin, "users/set-active", &[("id", nia.as_str()), ("active", "false")]).await.status(),
        200
    );
    assert_eq!(app.call(&admin, "users/send-password-link", &[("id", nia.as_str())]).await.status(), 409);
    assert_eq!(app.call(&admin, "users/send-password-link", &[("id", "nobody")]).await.status(), 404);
    assert!(
        emails_to(&app, "pat@example.org").await.is_empty()
            && emails_to(&app, "nia@example.org").await.is_empty()
    );
}

/// A registration with a mistyped email is corrected on the Users page: the account then
/// signs in with the new email, and the old address is told.
async fn super_admins_correct_an_accounts_email(app: TestApp) {
    let admin = super_admin(&app).await;
    app.create_user("jo@exmaple.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let id = user_id(&app, "jo@exmaple.org").await;
    let edit = |email| edit_volunteer(&app, &admin, &id, "Test Person", email);
    for (email, message) in [
        ("", "Enter an email address."),
        ("jo at example.org", "Enter a valid email address"),
        ("SAM@example.org", "An account with this email already exists."),
    ] {
        let res = edit(email).await;
        assert_eq!(res.status(), 422, "{email}");
        let body = res.text().await.unwrap();
        assert!(body.contains("email") && body.contains(message), "{email}: {body}");
    }
    assert_eq!(user_id(&app, "jo@exmaple.org").await, id, "nothing changed");
    assert!(app.events("user.updated").await.is_empty());
    // A password link went to the mistyped address before it was corrected.
    let smtp = crate::common::smtp::FakeSmtp::start(0).await;
    crate::email::configure_smtp(&app, &admin, smtp.port).await;
    let forgot = app.call(&app.client(), "auth/forgot-password", &[("email", "jo@exmaple.org")]).await;
    assert_eq!(forgot.status(), 200);
    let stale_link = emailed_reset_token(&app, "jo@exmaple.org").await;
    // And a new email Jo asked for on Your account waits for its link.
    sqlx::query(
        "INSERT INTO email_changes (user_id, new_email, token_hash, expires_at) VALUES ($1, 'jo@elsewhere.org', 'h', $2)",
    )
    .bind(&id)
    .bind(app::db::now_unix() + 3600)
    .execute(app.db.pool())
    .await
    .unwrap();

    assert_eq!(edit(" Jo@Example.org ").await.status(), 200);
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM email_changes").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(waiting, 0, "the organiser's correction ends the request");
    // The link sent to the old address no longer works.
    assert_eq!(
        reset(&app, &stale_link, "a brand new passphrase", "a brand new passphrase").await.status(),
        404
    );
    assert_eq!(login(&app, "jo@exmaple.org", PASSWORD).await.0, 422);
    assert_eq!(login(&app, "jo@example.org", PASSWORD).await.0, 200);
    assert_eq!(app.events("user.updated").await[0]["email"], "jo@example.org");
    let notice = emails_to(&app, "jo@exmaple.org").await;
    assert_eq!(notice.len(), 1, "{notice:?}");
    assert!(notice[0].contains("from jo@exmaple.org to jo@example.org"), "{}", notice[0]);
    assert_eq!(app.audited("user.updated").await, ["jo@exmaple.org → jo@example.org as VOLUNTEER"]);
}

/// A new account name is taken by the person's contact while the contact still has the old
/// one; a name an organiser gave the contact stays. Name and email changed together are one
/// `contact.updated`.
async fn an_accounts_contact_follows_its_new_name_unless_an_organiser_renamed_it(app: TestApp) {
    let app = &app;
    let admin = super_admin(app).await;
    let contact_of = |email: &'static str| async move {
        let mut tx = app.db.begin_write().await.unwrap();
        app::contacts::service::find_or_create(&mut tx, email, "Test Person", None, "REGISTRATION")
            .await
            .unwrap();
        tx.commit().await.unwrap();
    };
    let name_of = |email: &'static str| async move {
        sqlx::query_scalar::<_, String>("SELECT name FROM contacts WHERE email = $1")
            .bind(email)
            .fetch_optional(app.db.pool())
            .await
            .unwrap()
    };
    let rename_myself = |email: &'static str, name: &'static str| async move {
        let me = app.signed_in(email).await;
        let form = [("display_name", name), ("email", email), ("current_password", PASSWORD)];
        app.call(&me, "auth/update-account", &form).await.status()
    };

    app.create_user("lee@example.org", Role::Volunteer, UserStatus::Active).await;
    contact_of("lee@example.org").await;
    assert_eq!(rename_myself("lee@example.org", "Lee Chan").await, 200);
    assert_eq!(name_of("lee@example.org").await.as_deref(), Some("Lee Chan"));
    let updated = app.events("contact.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(
        (updated[0]["name"].as_str(), updated[0]["email"].as_str(), updated[0]["previous_email"].as_str()),
        (Some("Lee Chan"), Some("lee@example.org"), Some("lee@example.org"))
    );
    assert_eq!(app.audited("contact.updated").await, ["lee@example.org"]);

    // An organiser names the contact their own way: the account's next name leaves it.
    sqlx::query("UPDATE contacts SET name = 'Lee Chan (Ward 3)' WHERE email = 'lee@example.org'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rename_myself("lee@example.org", "Lee C.").await, 200);
    assert_eq!(name_of("lee@example.org").await.as_deref(), Some("Lee Chan (Ward 3)"));
    assert_eq!(app.events("contact.updated").await.len(), 1, "nothing changed, nothing published");

    // An admin corrects both the name and the email of Ray's account: the contact follows both,
    // in one event.
    app.create_user("ray@exmaple.org", Role::Volunteer, UserStatus::Active).await;
    contact_of("ray@exmaple.org").await;
    let id = user_id(app, "ray@exmaple.org").await;
    assert_eq!(edit_volunteer(app, &admin, &id, "Ray Mond", "ray@example.org").await.status(), 200);
    assert_eq!(name_of("ray@example.org").await.as_deref(), Some("Ray Mond"));
    assert_eq!(name_of("ray@exmaple.org").await, None);
    let updated = app.events("contact.updated").await;
    assert_eq!(updated.len(), 2);
    assert_eq!(
        (updated[1]["name"].as_str(), updated[1]["email"].as_str(), updated[1]["previous_email"].as_str()),
        (Some("Ray Mond"), Some("ray@example.org"), Some("ray@exmaple.org"))
    );
    assert_eq!(app.audited("contact.updated").await[1], "ray@exmaple.org → ray@example.org");
}

/// When an account's email changes, its contact takes the new one, so the person's sign-ups
/// (and hours) stay on one record; unless another contact has the new email already, which
/// an organiser can merge.
async fn an_accounts_contact_follows_its_new_email(app: TestApp) {
    let app = &app;
    let admin = super_admin(app).await;
    let bus = app.bus();
    let system = app::events::Actor::System;
    let mut shifts = Vec::new();
    for title in ["Stall", "Leaflets"] {
        let form = crate::common::shift_tomorrow(title);
        shifts.push(app::shifts::service::create(&bus, &system, &form).await.unwrap().id);
    }
    let sign_up = |email: &'static str, shift: usize| {
        let shift = shifts[shift].clone();
        async move {
            let me = app.signed_in(email).await;
            let res = app.call(&me, "shifts/sign-up", &[("shift_id", shift.as_str())]).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    };
    let change_email = |from: &'static str, to: &'static str| {
        let admin = admin.clone();
        async move {
            let id = user_id(app, from).await;
            assert_eq!(edit_volunteer(app, &admin, &id, "Test Person", to).await.status(), 200);
        }
    };
    let contacts = || async {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT email, id FROM contacts ORDER BY email")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
        rows
    };
    let signups_of = |contact: String| async move {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shift_signups WHERE contact_id = $1")
            .bind(contact)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        n
    };

    app.create_user("jo@exmaple.org", Role::Volunteer, UserStatus::Active).await;
    sign_up("jo@exmaple.org", 0).await;
    let jo = contacts().await[0].1.clone();
    change_email("jo@exmaple.org", "jo@example.org").await;
    assert_eq!(contacts().await, [("jo@example.org".to_string(), jo.clone())]);
    let updated = app.events("contact.updated").await;
    assert_eq!(
        (updated.len(), updated[0]["previous_email"].as_str(), updated[0]["email"].as_str()),
        (1, Some("jo@exmaple.org"), Some("jo@example.org"))
    );
    assert_eq!(app.audited("contact.updated").await, ["jo@exmaple.org → jo@example.org"]);
    sign_up("jo@example.org", 1).await;
    assert_eq!(signups_of(jo).await, 2, "both sign-ups on Jo's one contact");

    // Sam signed up once with the address they now move the account to: two contacts stay.
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    sign_up("sam@example.org", 0).await;
    let sam_new = app::shifts::SignupForm {
        name: "Sam".into(),
        email: "sam.new@example.org".into(),
        phone: String::new(),
    };
    let source = app::shifts::SignupSource::Public;
    app::shifts::service::sign_up(&bus, &system, &shifts[1], &sam_new, source, None).await.unwrap();
    change_email("sam@example.org", "sam.new@example.org").await;
    let emails: Vec<String> = contacts().await.into_iter().map(|(email, _)| email).collect();
    assert_eq!(emails, ["jo@example.org", "sam.new@example.org", "sam@example.org"]);
    assert_eq!(app.events("contact.updated").await.len(), 1, "nothing published for Sam");

    // Kim's new address is given to a contact by a transaction still open while the organiser
    // saves it: the change still goes through, and the two contacts stay.
    app.create_user("kim@example.org", Role::Volunteer, UserStatus::Active).await;
    sign_up("kim@example.org", 0).await;
    let mut other = app.db.begin_write().await.unwrap();
    app::contacts::service::find_or_create(&mut other, "kim.new@example.org", "Kim", None, "SHIFT_SIGNUP")
        .await
        .unwrap();
    let finish_other = async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        other.commit().await.unwrap();
    };
    tokio::join!(change_email("kim@example.org", "kim.new@example.org"), finish_other);
    let emails: Vec<String> = contacts().await.into_iter().map(|(email, _)| email).collect();
    assert!(emails.contains(&"kim@example.org".into()) && emails.contains(&"kim.new@example.org".into()));
    assert_eq!(login(app, "kim.new@example.org", PASSWORD).await.0, 200, "Kim signs in with it");
}

async fn an_edit_form_opened_before_an_account_changed_cannot_put_the_old_details_back(app: TestApp) {
    let admin = super_admin(&app).await;
    app.create_user("vi@example.org", Role::Volunteer, UserStatus::Active).await;
    let id = user_id(&app, "vi@example.org").await;
    // The account's row in the list: its name, email, role and `edits`.
    let listed = || async {
        let page: Value = app.call(&admin, "users/list", &[]).await.json().await.unwrap();
        let row = page["users"].as_array().unwrap().iter().find(|u| u["id"] == id.as_str()).unwrap().clone();
        let text = |key: &str| row[key].as_str().unwrap().to_string();
        (text("display_name"), text("email"), text("role"), row["edits"].as_i64().unwrap())
    };
    // The admin's save of the form opened when the account had changed `edits` times.
    let save = |name: &'static str, role: &'static str, edits: Option<i64>| {
        let (app, admin, id) = (&app, &admin, id.clone());
        async move {
            let edits = edits.map(|n| n.to_string());
            let mut form = vec![
                ("id", id.as_str()),
                ("form[display_name]", name),
                ("form[email]", "vi@example.org"),
                ("form[role]", role),
                ("form[expires]", ""),
            ];
            form.extend(edits.as_deref().map(|n| ("form[edits]", n)));
            app.call(admin, "users/update", &form).await
        }
    };
    let as_made = listed().await;
    assert_eq!(as_made.3, 0);

    // Its owner renames themselves on Your account after the admin opened the form.
    let owner = app.signed_in("vi@example.org").await;
    let form = [("display_name", "Vi Owner"), ("email", "vi@example.org"), ("current_password", "")];
    assert_eq!(app.call(&owner, "auth/update-account", &form).await.status(), 200);
    assert_eq!(listed().await.3, 1);
    // The admin's save would put the old name back: refused, nothing changed or published.
    let events_before = app.events("user.updated").await.len();
    let res = save("Test Person", "EVENTS_ADMIN", Some(0)).await;
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(body.contains("Someone else saved changes to this account while you were editing it"), "{body}");
    let (name, _, role, edits) = listed().await;
    assert_eq!((name.as_str(), role.as_str(), edits), ("Vi Owner", "VOLUNTEER", 1));
    assert_eq!(app.events("user.updated").await.len(), events_before);

    // Opened again, the form saves: a new role counts as a change.
    assert_eq!(save("Vi Owner", "EVENTS_ADMIN", Some(1)).await.status(), 200);
    let (name, _, role, edits) = listed().await;
    assert_eq!((name.as_str(), role.as_str(), edits), ("Vi Owner", "EVENTS_ADMIN", 2));
    // Saving what is stored changes nothing, so counts nothing; a form from before is refused.
    assert_eq!(save("Vi Owner", "EVENTS_ADMIN", Some(2)).await.status(), 200);
    assert_eq!(listed().await.3, 2);
    assert_eq!(save("Vi Renamed", "EVENTS_ADMIN", Some(1)).await.status(), 409);
    // A caller that leaves the count out is not checked; an unknown account is not found.
    assert_eq!(save("Vi Again", "EVENTS_ADMIN", None).await.status(), 200);
    assert_eq!(listed().await.0, "Vi Again");
    let form = [
        ("id", "no-such-account"),
        ("form[display_name]", "Nobody"),
        ("form[email]", "nobody@example.org"),
        ("form[role]", "VOLUNTEER"),
        ("form[edits]", "0"),
    ];
    assert_eq!(app.call(&admin, "users/update", &form).await.status(), 404);
}
