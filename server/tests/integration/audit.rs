//! The admin audit log: what admins' changes write to it, and its page, newest first, filtered
//! by action, actor and the organisation's days, on both databases.

use app::db;
use app::events::Actor;
use app::shifts::{SignupForm, SignupSource, service};
use app::users::{Role, UserStatus};
use serde_json::Value;

use crate::common::TestApp;

on_both_backends!(the_audit_log_tells_who_did_what_filtered_and_in_pages);

/// One page of `audit/log` for `args`, or the refusal's status.
async fn log(app: &TestApp, client: &reqwest::Client, args: &[(&str, &str)]) -> Result<Value, u16> {
    let res = app.call(client, "audit/log", args).await;
    match res.status().as_u16() {
        200 => Ok(res.json().await.unwrap()),
        status => Err(status),
    }
}

/// The `(action, entity)` of each row of a page.
fn rows(page: &Value) -> Vec<(String, String)> {
    let rows = page["rows"].as_array().unwrap();
    rows.iter()
        .map(|r| (r["action"].as_str().unwrap().into(), r["entity"].as_str().unwrap().into()))
        .collect()
}

async fn the_audit_log_tells_who_did_what_filtered_and_in_pages(app: TestApp) {
    let root = app.create_user("root@example.org", Role::SuperAdmin, UserStatus::Active).await;
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let (root_client, admin) =
        (app.signed_in("root@example.org").await, app.signed_in("admin@example.org").await);
    assert_eq!(log(&app, &admin, &[]).await.map(|page| rows(&page)), Ok(vec![]), "nothing yet");
    assert!(app.page(&admin, "/admin/audit").await.contains("Nothing recorded yet."));
    assert!(app.page(&admin, "/admin/audit?action=user.").await.contains("Nothing matches."));

    // A super admin makes an account; an admin emails a shift's volunteers, cancels the
    // shift, then deletes it.
    let account = [
        ("form[display_name]", "Ed"),
        ("form[email]", "ed@example.org"),
        ("form[password]", crate::common::PASSWORD),
        ("form[role]", "VOLUNTEER"),
        ("form[expires]", ""),
    ];
    assert_eq!(app.call(&root_client, "users/create", &account).await.status(), 200);
    let bus = app.bus();
    let shift = service::create(&bus, &Actor::System, &crate::shifts::form("Leafleting", "5")).await.unwrap();
    let cy = SignupForm { name: "Cy".into(), email: "cy@example.org".into(), phone: String::new() };
    service::sign_up(&bus, &Actor::System, &shift.id, &cy, SignupSource::Public, None).await.unwrap();
    let id = shift.id.as_str();
    let message = [("shift_id", id), ("subject", "Meet at the back door"), ("body", "See you there.")];
    assert_eq!(app.call(&admin, "shifts/email-volunteers", &message).await.status(), 200);
    assert_eq!(app.call(&admin, "shifts/admin-cancel-shift", &[("shift_id", id)]).await.status(), 200);
    assert_eq!(app.call(&admin, "shifts/delete", &[("shift_id", id)]).await.status(), 200);
    // A refused change writes nothing.
    assert_eq!(app.call(&admin, "shifts/delete", &[("shift_id", id)]).await.status(), 404);

    let all = log(&app, &admin, &[]).await.unwrap();
    let named = format!("Leafleting ({})", shift.when());
    assert_eq!(
        rows(&all),
        [
            ("shift.deleted".into(), named.clone()),
            ("shift.cancelled".into(), named.clone()),
            ("shift.volunteers.emailed".into(), format!("1 volunteer about {named}: Meet at the back door")),
            ("user.created".into(), "ed@example.org".into()),
        ],
        "newest first"
    );
    assert_eq!(all["rows"][3]["actor"], format!("user:{}", root.id));
    assert_eq!(all["rows"][3]["actor_name"], "Test Person", "the account's name");

    // Part of the action, any case; the actor; the organisation's days.
    let shifts = log(&app, &admin, &[("filter[action]", "SHIFT.")]).await.unwrap();
    assert_eq!(rows(&shifts).len(), 3);
    let by_root = format!("user:{}", root.id);
    let mine = log(&app, &admin, &[("filter[actor]", by_root.as_str())]).await.unwrap();
    assert_eq!(rows(&mine), [("user.created".to_string(), "ed@example.org".to_string())]);
    let day = |days: i64| app::time::date_time_from_unix(db::now_unix() + days * 86_400).0;
    let (yesterday, tomorrow, later) = (day(-1), day(1), day(2));
    let around = [("filter[from]", yesterday.as_str()), ("filter[to]", tomorrow.as_str())];
    assert_eq!(rows(&log(&app, &admin, &around).await.unwrap()).len(), 4);
    assert_eq!(rows(&log(&app, &admin, &[("filter[from]", later.as_str())]).await.unwrap()), []);
    assert_eq!(rows(&log(&app, &admin, &[("filter[to]", day(-2).as_str())]).await.unwrap()), []);
    for bad in [
        vec![("filter[from]", "2026-02-30")],
        vec![("filter[from]", later.as_str()), ("filter[to]", yesterday.as_str())],
    ] {
        assert_eq!(log(&app, &admin, &bad).await.err(), Some(422), "{bad:?}");
    }
    let long = "x".repeat(201);
    assert_eq!(log(&app, &admin, &[("filter[action]", long.as_str())]).await.err(), Some(422));
    // Only the roles that watch the bus read it.
    for role in [Role::PaymentsAdmin, Role::EventsAdmin, Role::Volunteer] {
        let email = format!("{}@example.org", role.as_str().to_lowercase());
        app.create_user(&email, role, UserStatus::Active).await;
        assert_eq!(log(&app, &app.signed_in(&email).await, &[]).await.err(), Some(403), "{role:?}");
    }
    assert_eq!(log(&app, &app.client(), &[]).await.err(), Some(401));

    // The page: the rows, whose they are when filtered by actor, and the way back to everyone's.
    let html = app.page(&admin, &format!("/admin/audit?actor={}&action=user", by_root)).await;
    assert_eq!(html.matches("data-testid=\"audit-row\"").count(), 1, "{html}");
    assert!(html.contains("Only <strong>Test Person</strong>"), "{html}");
    assert!(html.contains(r#"href="/admin/audit?page=1&amp;action=user""#), "{html}");

    // Fifty rows a page, newest first.
    for n in 0..55 {
        sqlx::query(
            "INSERT INTO admin_audit_log (at, actor, action, entity) VALUES ($1, 'system', 'test.row', $2)",
        )
        .bind(db::now_unix_ms())
        .bind(format!("row {n}"))
        .execute(app.db.writer())
        .await
        .unwrap();
    }
    let first = log(&app, &admin, &[("filter[action]", "test.row")]).await.unwrap();
    assert_eq!(
        (rows(&first).len(), &rows(&first)[0].1, first["has_more"].as_bool()),
        (50, &"row 54".into(), Some(true))
    );
    let second = log(&app, &admin, &[("filter[action]", "test.row"), ("filter[page]", "2")]).await.unwrap();
    assert_eq!((rows(&second).len(), second["has_more"].as_bool()), (5, Some(false)));
    let html = app.page(&admin, "/admin/audit?action=test.row").await;
    assert!(
        html.contains("Pages of audit entries") && html.contains("/admin/audit?page=2&amp;action=test.row"),
        "{html}"
    );
    // Past the last page: nothing more, and the way back.
    let html = app.page(&admin, "/admin/audit?action=test.row&page=3").await;
    assert!(
        html.contains("No more entries on this page.")
            && html.contains("/admin/audit?page=2&amp;action=test.row"),
        "{html}"
    );
}
