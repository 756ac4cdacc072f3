//! Shifts and sign-ups over HTTP and through the service, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::db;
use app::events::Actor;
use app::shifts::service::{self, ShiftError};
use app::shifts::{ShiftForm, ShiftStatus, SignupForm, SignupSource, SignupStatus};
use app::users::{Role, UserStatus};
use common::{Backend, TestApp, spawn_app_custom};
use serde_json::Value;

on_both_backends!(
    invalid_shifts_are_refused_field_by_field,
    capacity_waitlist_and_promotion,
    the_same_email_cannot_sign_up_twice,
    cancel_links_work_once_and_only_for_their_signup,
    creating_shifts_needs_an_admin,
    public_sign_up_is_rate_limited_per_ip,
    admins_add_remove_export_and_cancel,
    public_shifts_offer_a_calendar_file,
    the_admin_list_filters_searches_and_pages,
    signed_in_volunteers_sign_up_as_themselves_and_see_my_shifts,
);

on_both_backends_with_own_server!(five_hundred_simultaneous_sign_ups_fill_ten_spots_exactly);

fn tomorrow() -> String {
    app::time::date_time_from_unix(db::now_unix() + 86_400).0
}

fn form(title: &str, capacity: &str) -> ShiftForm {
    ShiftForm {
        title: title.into(),
        description: "Bring water.".into(),
        location: "Community hall".into(),
        date: tomorrow(),
        start_time: "09:00".into(),
        end_time: "12:00".into(),
        capacity: capacity.into(),
        is_public: true,
    }
}

fn person(n: usize) -> SignupForm {
    SignupForm { name: format!("Volunteer {n}"), email: format!("v{n}@example.org"), phone: String::new() }
}

async fn shift_status(app: &TestApp, id: &str) -> (ShiftStatus, i64) {
    let shift = service::get(&app.db, id).await.unwrap().unwrap();
    (shift.status, shift.signed_up)
}

async fn invalid_shifts_are_refused_field_by_field(app: TestApp) {
    let mut bad = form(&"x".repeat(201), "0");
    bad.end_time = "08:00".into();
    let Err(ShiftError::Invalid(errors)) = service::create(&app.bus(), &Actor::System, &bad).await else {
        panic!("an invalid shift was accepted")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "end_time", "capacity"]);
    let mut past = form("Past", "5");
    past.date = "2020-01-01".into();
    let Err(ShiftError::Invalid(errors)) = service::create(&app.bus(), &Actor::System, &past).await else {
        panic!("a shift in the past was accepted")
    };
    assert_eq!(errors[0].message, "A new shift cannot start in the past.");
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shifts").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 0);
}

async fn capacity_waitlist_and_promotion(app: TestApp) {
    let bus = app.bus();
    let shift = service::create(&bus, &Actor::System, &form("Canvass", "2")).await.unwrap();
    let mut receipts = Vec::new();
    for n in 0..3 {
        receipts.push(
            service::sign_up(&bus, &Actor::System, &shift.id, &person(n), SignupSource::Public, None)
                .await
                .unwrap(),
        );
    }
    let statuses: Vec<SignupStatus> = receipts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [SignupStatus::Confirmed, SignupStatus::Confirmed, SignupStatus::Waitlisted]);
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Full, 2));

    // A confirmed volunteer cancels: the first on the waitlist takes the spot.
    service::cancel_by_token(&bus, &Actor::System, &receipts[0].cancel_token).await.unwrap();
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Full, 2));
    let list = service::signups(&app.db, &shift.id).await.unwrap();
    assert_eq!(list.iter().filter(|s| s.status == SignupStatus::Confirmed).count(), 2);
    let promoted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM event_outbox WHERE topic = 'shift.signup.created' AND payload LIKE '%\"promoted\":true%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(promoted, 1);

    // Nobody waiting: a cancellation frees the spot and the shift is OPEN again.
    service::cancel_by_token(&bus, &Actor::System, &receipts[1].cancel_token).await.unwrap();
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 1));
}

async fn the_same_email_cannot_sign_up_twice(app: TestApp) {
    let bus = app.bus();
    let shift = service::create(&bus, &Actor::System, &form("Phone bank", "5")).await.unwrap();
    service::sign_up(&bus, &Actor::System, &shift.id, &person(1), SignupSource::Public, None).await.unwrap();
    let mut again = person(1);
    again.email = "  V1@Example.org ".into();
    let result = service::sign_up(&bus, &Actor::System, &shift.id, &again, SignupSource::Public, None).await;
    assert!(matches!(result, Err(ShiftError::AlreadySignedUp)));
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 1));
    // Over HTTP the message is clear and per field.
    let res = app
        .client()
        .post(app.url("/api/shifts/sign-up"))
        .form(&[
            ("shift_id", shift.id.as_str()),
            ("form[name]", "V"),
            ("form[email]", "v1@example.org"),
            ("form[phone]", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("already signed up"));
}

async fn cancel_links_work_once_and_only_for_their_signup(app: TestApp) {
    let bus = app.bus();
    let shift = service::create(&bus, &Actor::System, &form("Leafleting", "5")).await.unwrap();
    let first = service::sign_up(&bus, &Actor::System, &shift.id, &person(1), SignupSource::Public, None)
        .await
        .unwrap();
    let second = service::sign_up(&bus, &Actor::System, &shift.id, &person(2), SignupSource::Public, None)
        .await
        .unwrap();
    let client = app.client();
    let cancel = |token: String| {
        let client = client.clone();
        let url = app.url("/api/shifts/cancel");
        async move { client.post(url).form(&[("token", token)]).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(cancel("not-a-token".into()).await, 404);
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 2));
    assert_eq!(cancel(first.cancel_token.clone()).await, 200);
    assert_eq!(cancel(first.cancel_token.clone()).await, 404, "a used link is refused");
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 1));
    // The other sign-up is untouched.
    let list = service::signups(&app.db, &shift.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].email, "v2@example.org");
    assert_eq!(second.status, SignupStatus::Confirmed);
}

async fn creating_shifts_needs_an_admin(app: TestApp) {
    let tomorrow = tomorrow();
    let fields = [
        ("form[title]", "Door knocking"),
        ("form[description]", ""),
        ("form[location]", "Main St"),
        ("form[date]", tomorrow.as_str()),
        ("form[start_time]", "10:00"),
        ("form[end_time]", "12:00"),
        ("form[capacity]", "8"),
        ("form[is_public]", "true"),
    ];
    assert_eq!(app.call(&app.client(), "shifts/create", &fields).await.status(), 401);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    assert_eq!(
        app.call(&app.signed_in("vol@example.org").await, "shifts/create", &fields).await.status(),
        403
    );
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let res = app.call(&app.signed_in("admin@example.org").await, "shifts/create", &fields).await;
    assert_eq!(res.status(), 200);
    let shift: Value = res.json().await.unwrap();
    assert_eq!(shift["status"], "OPEN");
    // It is listed publicly, and shift.created was published with it.
    let public: Value = app.call(&app.client(), "shifts/public", &[]).await.json().await.unwrap();
    assert_eq!(public[0]["title"], "Door knocking");
    let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_outbox WHERE topic = 'shift.created'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(created, 1);
}

async fn public_sign_up_is_rate_limited_per_ip(app: TestApp) {
    let shift = service::create(&app.bus(), &Actor::System, &form("Rally", "100")).await.unwrap();
    let client = app.client();
    let mut statuses = Vec::new();
    for n in 0..6 {
        let email = format!("r{n}@example.org");
        let res = client
            .post(app.url("/api/shifts/sign-up"))
            .form(&[
                ("shift_id", shift.id.as_str()),
                ("form[name]", "R"),
                ("form[email]", email.as_str()),
                ("form[phone]", ""),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "the default is 5 a minute");
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 5));
}

async fn five_hundred_simultaneous_sign_ups_fill_ten_spots_exactly(backend: Backend) {
    let app =
        spawn_app_custom(backend, &[], |config| config.signup_limit_per_minute = 10_000, Vec::new()).await;
    let shift = service::create(&app.bus(), &Actor::System, &form("Big day", "10")).await.unwrap();
    let attempts = (0..500).map(|n| {
        let client = reqwest::Client::new();
        let url = app.url("/api/shifts/sign-up");
        let shift_id = shift.id.clone();
        async move {
            let email = format!("c{n}@example.org");
            let res = client
                .post(url)
                .form(&[
                    ("shift_id", shift_id.as_str()),
                    ("form[name]", "C"),
                    ("form[email]", email.as_str()),
                    ("form[phone]", ""),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
            res.json::<Value>().await.unwrap()["status"].as_str().unwrap().to_string()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| *s == "CONFIRMED").count(), 10);
    assert_eq!(statuses.iter().filter(|s| *s == "WAITLISTED").count(), 490);
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Full, 10));
    let confirmed_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM event_outbox WHERE topic = 'shift.signup.created' AND payload LIKE '%\"waitlisted\":false%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(confirmed_events, 10);
}

async fn admins_add_remove_export_and_cancel(app: TestApp) {
    let shift = service::create(&app.bus(), &Actor::System, &form("Food bank", "1")).await.unwrap();
    let id = shift.id.as_str();
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let volunteer = app.signed_in("vol@example.org").await;

    // Every admin-only function refuses the anonymous and volunteers.
    for (endpoint, args) in [
        ("shifts/admin-one", vec![("id", id)]),
        (
            "shifts/admin-add",
            vec![
                ("shift_id", id),
                ("form[name]", "X"),
                ("form[email]", "x@example.org"),
                ("form[phone]", ""),
            ],
        ),
        ("shifts/admin-remove", vec![("signup_id", "nope")]),
        ("shifts/admin-cancel-shift", vec![("shift_id", id)]),
        ("shifts/admin-list", vec![]),
    ] {
        assert_eq!(app.call(&app.client(), endpoint, &args).await.status(), 401, "{endpoint}");
        assert_eq!(app.call(&volunteer, endpoint, &args).await.status(), 403, "{endpoint}");
    }
    assert_eq!(shift_status(&app, id).await, (ShiftStatus::Open, 0), "nothing changed");

    // Add two: the second waits. The source is ADMIN.
    for (name, email) in [("=cmd()", "a1@example.org"), ("Bo", "a2@example.org")] {
        let args = [("shift_id", id), ("form[name]", name), ("form[email]", email), ("form[phone]", "")];
        assert_eq!(app.call(&admin, "shifts/admin-add", &args).await.status(), 200);
    }
    let detail: Value = app.call(&admin, "shifts/admin-one", &[("id", id)]).await.json().await.unwrap();
    assert_eq!(detail["signups"][0]["source"], "ADMIN");
    assert_eq!(detail["signups"][1]["status"], "WAITLISTED");

    // The CSV lists both, admins only, with formulas defused.
    let url = app.url(&format!("/api/shifts/{id}/signups.csv"));
    assert_eq!(app.client().get(&url).send().await.unwrap().status(), 401);
    assert_eq!(volunteer.get(&url).send().await.unwrap().status(), 403);
    let csv = admin.get(&url).send().await.unwrap();
    assert_eq!(csv.headers().get("content-type").unwrap(), "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.contains("\"'=cmd()\",\"a1@example.org\""), "{csv}");

    // Removing the confirmed volunteer promotes the waiting one.
    let first = detail["signups"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.call(&admin, "shifts/admin-remove", &[("signup_id", first.as_str())]).await.status(), 200);
    let detail: Value = app.call(&admin, "shifts/admin-one", &[("id", id)]).await.json().await.unwrap();
    assert_eq!(detail["signups"].as_array().unwrap().len(), 1);
    assert_eq!(detail["signups"][0]["email"], "a2@example.org");
    assert_eq!(detail["signups"][0]["status"], "CONFIRMED");

    // Cancelling the shift cancels every sign-up, each with an event naming who to tell.
    assert_eq!(app.call(&admin, "shifts/admin-cancel-shift", &[("shift_id", id)]).await.status(), 200);
    assert_eq!(shift_status(&app, id).await, (ShiftStatus::Cancelled, 0));
    let told: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM event_outbox WHERE topic = 'shift.signup.cancelled' \
         AND payload LIKE '%SHIFT_CANCELLED%' AND payload LIKE '%a2@example.org%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(told, 1);
    let updated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM event_outbox WHERE topic = 'shift.updated' AND payload LIKE '%CANCELLED%'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(updated, 1);
    // No more sign-ups, and a second cancel is a clear conflict.
    let result =
        service::sign_up(&app.bus(), &Actor::System, id, &person(9), SignupSource::Public, None).await;
    assert!(matches!(result, Err(ShiftError::Cancelled)));
    assert_eq!(app.call(&admin, "shifts/admin-cancel-shift", &[("shift_id", id)]).await.status(), 409);
}

async fn public_shifts_offer_a_calendar_file(app: TestApp) {
    let public = service::create(&app.bus(), &Actor::System, &form("Open day", "3")).await.unwrap();
    let mut hidden = form("Board meeting", "3");
    hidden.is_public = false;
    let private = service::create(&app.bus(), &Actor::System, &hidden).await.unwrap();
    let res =
        app.client().get(app.url(&format!("/api/shifts/{}/calendar.ics", public.id))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("content-type").unwrap(), "text/calendar; charset=utf-8");
    let body = res.text().await.unwrap();
    assert!(body.contains("SUMMARY:Open day\r\n"));
    assert!(body.contains(&format!("UID:shift-{}@changemaker", public.id)));
    let res =
        app.client().get(app.url(&format!("/api/shifts/{}/calendar.ics", private.id))).send().await.unwrap();
    assert_eq!(res.status(), 404, "private shifts are not published");
    // Nor open to public sign-ups, by any path; an admin may still add people.
    let result =
        service::sign_up(&app.bus(), &Actor::System, &private.id, &person(1), SignupSource::Public, None)
            .await;
    assert!(matches!(result, Err(ShiftError::NotFound)));
    let args = [
        ("shift_id", private.id.as_str()),
        ("form[name]", "P"),
        ("form[email]", "p@example.org"),
        ("form[phone]", ""),
    ];
    assert_eq!(app.call(&app.client(), "shifts/sign-up", &args).await.status(), 404);
    let added =
        service::sign_up(&app.bus(), &Actor::System, &private.id, &person(2), SignupSource::Admin, None)
            .await;
    assert_eq!(added.unwrap().status, SignupStatus::Confirmed);
}

async fn the_admin_list_filters_searches_and_pages(app: TestApp) {
    let bus = app.bus();
    for n in 0..30 {
        let mut f = form(&format!("Canvass {n:02}"), "1");
        f.is_public = n % 2 == 0;
        service::create(&bus, &Actor::System, &f).await.unwrap();
    }
    let full = service::create(&bus, &Actor::System, &form("100% Phone_bank", "1")).await.unwrap();
    service::sign_up(&bus, &Actor::System, &full.id, &person(1), SignupSource::Public, None).await.unwrap();
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let list = |args: Vec<(&'static str, &'static str)>| {
        let admin = admin.clone();
        let url = app.url("/api/shifts/admin-list");
        async move { admin.post(url).form(&args).send().await.unwrap() }
    };
    let titles = |page: &Value| -> Vec<String> {
        page["shifts"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap().to_string()).collect()
    };

    let first: Value = list(vec![("filter[page]", "1")]).await.json().await.unwrap();
    assert_eq!(titles(&first).len(), 25);
    assert_eq!(first["has_more"], true);
    let second: Value = list(vec![("filter[page]", "2")]).await.json().await.unwrap();
    assert_eq!(titles(&second).len(), 6);

    let full_only: Value = list(vec![("filter[status]", "FULL")]).await.json().await.unwrap();
    assert_eq!(titles(&full_only), ["100% Phone_bank"]);
    let private: Value = list(vec![("filter[visibility]", "private")]).await.json().await.unwrap();
    assert_eq!(titles(&private).len(), 15);
    // The search is a plain, case-insensitive substring: % and _ are not wildcards.
    let search: Value = list(vec![("filter[q]", "canvass 2")]).await.json().await.unwrap();
    assert_eq!(titles(&search).len(), 10);
    let literal: Value = list(vec![("filter[q]", "0% phone_")]).await.json().await.unwrap();
    assert_eq!(titles(&literal), ["100% Phone_bank"]);
    let wildcard: Value = list(vec![("filter[q]", "c_nvass")]).await.json().await.unwrap();
    assert_eq!(titles(&wildcard).len(), 0);
    let past: Value = list(vec![("filter[to]", "2020-01-01")]).await.json().await.unwrap();
    assert_eq!(titles(&past).len(), 0);

    let bad = list(vec![("filter[status]", "SOON"), ("filter[from]", "yesterday")]).await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(body.contains("status") && body.contains("from"), "{body}");
}

async fn signed_in_volunteers_sign_up_as_themselves_and_see_my_shifts(app: TestApp) {
    let shift = service::create(&app.bus(), &Actor::System, &form("Garden day", "3")).await.unwrap();
    app.create_user("ana@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("bo@example.org", Role::Volunteer, UserStatus::Active).await;
    let ana = app.signed_in("ana@example.org").await;
    let bo = app.signed_in("bo@example.org").await;

    assert_eq!(app.call(&app.client(), "shifts/mine", &[]).await.status(), 401);
    // One click: the form's name and email are ignored, the account's are used.
    let args =
        [("shift_id", shift.id.as_str()), ("form[name]", ""), ("form[email]", ""), ("form[phone]", "")];
    assert_eq!(app.call(&ana, "shifts/sign-up", &args).await.status(), 200);
    let mine: Value = app.call(&ana, "shifts/mine", &[]).await.json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["shift"]["title"], "Garden day");
    let signup_id = mine[0]["signup_id"].as_str().unwrap().to_string();
    let list = service::signups(&app.db, &shift.id).await.unwrap();
    assert_eq!(list[0].email, "ana@example.org");
    assert_eq!(list[0].source, "AUTHENTICATED");
    assert_eq!(app.call(&bo, "shifts/mine", &[]).await.json::<Value>().await.unwrap(), serde_json::json!([]));

    // Nobody else can cancel it; its owner can.
    let cancel = [("signup_id", signup_id.as_str())];
    assert_eq!(app.call(&bo, "shifts/cancel-mine", &cancel).await.status(), 404);
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 1));
    assert_eq!(app.call(&ana, "shifts/cancel-mine", &cancel).await.status(), 200);
    assert_eq!(shift_status(&app, &shift.id).await, (ShiftStatus::Open, 0));
    assert_eq!(
        app.call(&ana, "shifts/mine", &[]).await.json::<Value>().await.unwrap(),
        serde_json::json!([])
    );
}
