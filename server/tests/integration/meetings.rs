//! Meetings and the unified calendar over HTTP, on both databases: meetings checked, saved,
//! listed and deleted with their events; the `calendar` listener keeping shifts, meetings and
//! published ticketed events on one calendar as they change.

use crate::common::{TestApp, eventually, redirected_to, shift_tomorrow};
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends!(
    meetings_are_checked_saved_listed_and_deleted,
    people_invited_are_emailed_the_meeting_its_changes_and_its_cancellation,
    people_invited_answer_through_their_own_link_and_a_new_time_asks_again,
    people_invited_are_reminded_a_day_before_unless_they_said_no,
    admins_invite_everyone_with_a_contact_tag,
    the_calendar_follows_shifts_meetings_and_published_events,
    the_minutes_are_written_then_emailed_to_everyone_invited,
);

async fn signed_in_as(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    app.create_user(email, role, UserStatus::Active).await;
    app.signed_in(email).await
}

/// The local date (UTC in tests) `days` from now.
fn in_days(days: i64) -> String {
    app::time::date_time_from_unix(app::db::now_unix() + days * 86_400).0
}

fn meeting_form<'a>(title: &'a str, date: &'a str, start: &'a str, end: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[title]", title),
        ("form[agenda]", "1. Canvass plan\n2. Budget"),
        ("form[location]", "Back room, 12 High St"),
        ("form[date]", date),
        ("form[start_time]", start),
        ("form[end_time]", end),
    ]
}

/// Saves a meeting (a new one when `id` is empty); answers with it.
async fn save(app: &TestApp, client: &reqwest::Client, id: &str, form: &[(&str, &str)]) -> Value {
    let mut args = form.to_vec();
    args.push(("id", id));
    let res = app.call(client, "meetings/save", &args).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn list(app: &TestApp, client: &reqwest::Client, args: &[(&str, &str)]) -> Value {
    let res = app.call(client, "meetings/list", args).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn meetings_are_checked_saved_listed_and_deleted(app: TestApp) {
    let organiser = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let tomorrow = in_days(1);

    // Bad input: each field named, nothing saved, nothing published.
    let long = "x".repeat(201);
    let bad_cases = [
        (meeting_form("", &tomorrow, "18:00", "19:00"), "title", "Enter a title."),
        (meeting_form(&long, &tomorrow, "18:00", "19:00"), "title", "at most 200"),
        (meeting_form("Plan", "2020-01-01", "18:00", "19:00"), "date", "cannot start in the past"),
        (meeting_form("Plan", &tomorrow, "19:00", "18:00"), "end_time", "must end after it starts"),
        (meeting_form("Plan", "31/12/2026", "18:00", "19:00"), "date", "YYYY-MM-DD"),
    ];
    for (form, field, message) in bad_cases {
        let mut args = form.clone();
        args.push(("id", ""));
        let res = app.call(&organiser, "meetings/save", &args).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(body.contains(field) && body.contains(message), "{field}: {body}");
    }
    let mut no_place = meeting_form("Plan", &tomorrow, "18:00", "19:00");
    no_place[2].1 = " ";
    no_place.push(("id", ""));
    let res = app.call(&organiser, "meetings/save", &no_place).await;
    assert!(res.text().await.unwrap().contains("Enter where it takes place"));
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM meetings").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(rows, 0);
    assert!(app.events("meeting.created").await.is_empty());

    // Saved: its event carries what a calendar needs.
    let saved =
        save(&app, &organiser, "", &meeting_form("Steering group", &tomorrow, "18:00", "19:30")).await;
    let id = saved["id"].as_str().unwrap().to_string();
    assert_eq!(saved["location"], "Back room, 12 High St");
    assert_eq!(saved["agenda"], "1. Canvass plan\n2. Budget");
    assert_eq!((saved["start_time"].as_str(), saved["end_time"].as_str()), (Some("18:00"), Some("19:30")));
    let created = app.events("meeting.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["meeting_id"], id.as_str());
    assert_eq!(created[0]["title"], "Steering group");
    assert_eq!(created[0]["starts_at"], format!("{tomorrow}T18:00:00.000Z"));
    assert_eq!(created[0]["ends_at"], format!("{tomorrow}T19:30:00.000Z"));

    // Listed among the coming ones, soonest first; not among the past; found by title.
    let later = in_days(3);
    save(&app, &organiser, "", &meeting_form("Volunteer social", &later, "17:00", "20:00")).await;
    let coming = list(&app, &organiser, &[]).await;
    assert_eq!(coming["count"], 2);
    let titles: Vec<&str> =
        coming["rows"].as_array().unwrap().iter().map(|m| m["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Steering group", "Volunteer social"]);
    assert_eq!(list(&app, &organiser, &[("filter[past]", "true")]).await["count"], 0);
    let found = list(&app, &organiser, &[("filter[search]", "SOCIAL")]).await;
    assert_eq!(found["count"], 1);
    assert_eq!(found["rows"][0]["title"], "Volunteer social");

    // An edit publishes meeting.updated; a meeting that is not there cannot be edited.
    let edited =
        save(&app, &organiser, &id, &meeting_form("Steering group (moved)", &tomorrow, "18:30", "20:00"))
            .await;
    assert_eq!(edited["title"], "Steering group (moved)");
    let updated = app.events("meeting.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["starts_at"], format!("{tomorrow}T18:30:00.000Z"));
    let mut unknown = meeting_form("Ghost", &tomorrow, "18:00", "19:00");
    unknown.push(("id", "no-such-meeting"));
    assert_eq!(app.call(&organiser, "meetings/save", &unknown).await.status(), 404);
    assert_eq!(app.events("meeting.updated").await.len(), 1);

    // The pages: the list and the meeting's own.
    let page = app.page(&organiser, "/admin/meetings").await;
    assert!(page.contains("Steering group (moved)") && page.contains("Volunteer social"), "{page}");
    assert!(page.contains("name=\"form[ends_next_day]\""), "the form's Overnight box: {page}");
    let page = app.page(&organiser, &format!("/admin/meetings/{id}")).await;
    assert!(page.contains("Back room, 12 High St") && page.contains("Canvass plan"), "{page}");

    // Deleted: gone, published once; a second delete finds nothing.
    assert_eq!(app.call(&organiser, "meetings/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&organiser, "meetings/get", &[("id", id.as_str())]).await.status(), 404);
    assert_eq!(app.call(&organiser, "meetings/delete", &[("id", id.as_str())]).await.status(), 404);
    let deleted = app.events("meeting.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["title"], "Steering group (moved)");
    assert_eq!(app.audited("meeting.deleted").await, ["Steering group (moved)"]);
    assert_eq!(list(&app, &organiser, &[]).await["count"], 1);

    // One that goes past midnight ticks "Overnight"; unticked, it is refused with the hint.
    let late = meeting_form("Night count", &tomorrow, "22:00", "02:00");
    let mut args = late.clone();
    args.push(("id", ""));
    let refused = app.call(&organiser, "meetings/save", &args).await;
    assert!(refused.text().await.unwrap().contains("If it goes past midnight, tick"));
    args.push(("form[ends_next_day]", "true"));
    let overnight: Value = app.call(&organiser, "meetings/save", &args).await.json().await.unwrap();
    assert_eq!(
        overnight["when"].as_str().unwrap().split(", ").nth(1),
        Some("22:00–02:00 UTC (ends next day)")
    );
    assert_eq!(overnight["ends_next_day"], true);
}

async fn month(app: &TestApp, client: &reqwest::Client, month: &str, source: &str) -> Value {
    let res =
        app.call(client, "calendar/month", &[("filter[month]", month), ("filter[source]", source)]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Every entry of a month as `(source, title, cancelled)`, in the calendar's order.
fn entries(month: &Value) -> Vec<(String, String, bool)> {
    let days = month["days"].as_array().unwrap();
    days.iter()
        .flat_map(|d| d["entries"].as_array().unwrap().iter())
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                e["title"].as_str().unwrap().to_string(),
                e["cancelled"] == true,
            )
        })
        .collect()
}

/// Waits until the month's entries are `expected`.
async fn calendar_shows(
    app: &TestApp,
    client: &reqwest::Client,
    when: &str,
    expected: &[(&str, &str, bool)],
) {
    let expected: Vec<(String, String, bool)> =
        expected.iter().map(|(s, t, c)| (s.to_string(), t.to_string(), *c)).collect();
    eventually(&format!("the calendar shows {expected:?}"), || async {
        entries(&month(app, client, when, "").await) == expected
    })
    .await;
}

async fn the_calendar_follows_shifts_meetings_and_published_events(app: TestApp) {
    let admin = signed_in_as(&app, "admin@example.org", Role::Admin).await;
    let tomorrow = in_days(1);
    let this_month = &tomorrow[..7];
    let empty = month(&app, &admin, this_month, "").await;
    assert!(empty["days"].as_array().unwrap().is_empty());

    // A shift (09:00), a meeting (18:00) and a draft event (19:00) tomorrow: the draft is not
    // on the calendar.
    let shift =
        app::shifts::service::create(&app.bus(), &app::events::Actor::System, &shift_tomorrow("Leafleting"))
            .await
            .unwrap();
    let meeting = save(&app, &admin, "", &meeting_form("Steering group", &tomorrow, "18:00", "19:00")).await;
    let meeting_id = meeting["id"].as_str().unwrap().to_string();
    let event_form = [
        ("id", ""),
        ("form[title]", "Gala"),
        ("form[slug]", ""),
        ("form[venue]", "Riverside Hall"),
        ("form[date]", tomorrow.as_str()),
        ("form[start_time]", "19:00"),
        ("form[end_time]", "22:00"),
        ("form[tiers]", "Seats | 10"),
    ];
    let res = app.call(&admin, "ticketed-events/save", &event_form).await;
    assert_eq!(res.status(), 200);
    let event: Value = res.json().await.unwrap();
    let event_id = event["id"].as_str().unwrap().to_string();
    calendar_shows(
        &app,
        &admin,
        this_month,
        &[("SHIFT", "Leafleting", false), ("MEETING", "Steering group", false)],
    )
    .await;

    // Published, the event joins them; one day, in time order, each linking to its page.
    assert_eq!(app.call(&admin, "ticketed-events/publish", &[("id", event_id.as_str())]).await.status(), 200);
    let all = [
        ("SHIFT", "Leafleting", false),
        ("MEETING", "Steering group", false),
        ("TICKETED_EVENT", "Gala", false),
    ];
    calendar_shows(&app, &admin, this_month, &all).await;
    let shown = month(&app, &admin, this_month, "").await;
    let day = &shown["days"][0];
    assert_eq!(shown["days"].as_array().unwrap().len(), 1);
    assert_eq!(day["entries"][0]["time"], "09:00–12:00 UTC");
    assert_eq!(day["entries"][1]["href"], format!("/admin/meetings/{meeting_id}"));
    assert_eq!(day["entries"][2]["location"], "Riverside Hall");
    assert_eq!(day["entries"][0]["href"], format!("/admin/shifts/{}", shift.id));

    // One kind at a time.
    let meetings_only = month(&app, &admin, this_month, "MEETING").await;
    assert_eq!(entries(&meetings_only), [("MEETING".to_string(), "Steering group".to_string(), false)]);

    // Changes follow: a moved and renamed meeting, a cancelled event and shift.
    let later = in_days(40);
    save(&app, &admin, &meeting_id, &meeting_form("Steering group (moved)", &later, "18:00", "19:00")).await;
    assert_eq!(app.call(&admin, "ticketed-events/cancel", &[("id", event_id.as_str())]).await.status(), 200);
    assert_eq!(
        app.call(&admin, "shifts/admin-cancel-shift", &[("shift_id", shift.id.as_str())]).await.status(),
        200
    );
    calendar_shows(
        &app,
        &admin,
        this_month,
        &[("SHIFT", "Leafleting", true), ("TICKETED_EVENT", "Gala", true)],
    )
    .await;
    let moved = month(&app, &admin, &later[..7], "").await;
    assert_eq!(entries(&moved), [("MEETING".to_string(), "Steering group (moved)".to_string(), false)]);

    // Deleted, they leave the calendar. The page reads the month again when the stream brings
    // the deletion, naming it: the read waits for the calendar to have taken it in.
    assert_eq!(app.call(&admin, "meetings/delete", &[("id", meeting_id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "shifts/delete", &[("shift_id", shift.id.as_str())]).await.status(), 200);
    let deleted: i64 =
        sqlx::query_scalar("SELECT MAX(seq) FROM event_outbox").fetch_one(app.db.pool()).await.unwrap();
    let after = deleted.to_string();
    let args = [("filter[month]", this_month), ("after_event", after.as_str())];
    let res = app.call(&admin, "calendar/month", &args).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        entries(&res.json().await.unwrap()),
        [("TICKETED_EVENT".to_string(), "Gala".to_string(), true)]
    );
    calendar_shows(&app, &admin, &later[..7], &[]).await;

    // The page shows the month; a month or kind that is not one is refused with its field.
    let page = app.page(&admin, &format!("/admin/calendar?month={this_month}")).await;
    assert!(page.contains("Gala") && page.contains("Cancelled"), "{page}");
    for (field, args) in
        [("month", [("filter[month]", "2026-13")]), ("source", [("filter[source]", "PARTY")])]
    {
        let res = app.call(&admin, "calendar/month", &args).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains(field));
    }
}

/// The queued emails whose subject starts with `prefix`: (to, subject, body, attachment).
async fn notices(app: &TestApp, prefix: &str) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "SELECT to_address, subject, body, attachment FROM email_outbox WHERE subject LIKE $1 ORDER BY to_address",
    )
    .bind(format!("{prefix}%"))
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn invite(app: &TestApp, client: &reqwest::Client, id: &str, emails: &str) -> reqwest::Response {
    app.call(client, "meetings/invite", &[("id", id), ("emails", emails)]).await
}

async fn attendee_emails(app: &TestApp, client: &reqwest::Client, id: &str) -> Vec<String> {
    let res = app.call(client, "meetings/attendees", &[("id", id)]).await;
    assert_eq!(res.status(), 200);
    let people: Vec<Value> = res.json().await.unwrap();
    people.iter().map(|p| p["email"].as_str().unwrap().to_string()).collect()
}

async fn people_invited_are_emailed_the_meeting_its_changes_and_its_cancellation(app: TestApp) {
    let organiser = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let day = in_days(3);
    let meeting = save(&app, &organiser, "", &meeting_form("Board meeting", &day, "18:00", "19:00")).await;
    let id = meeting["id"].as_str().unwrap().to_string();
    let outbox = || async {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox").fetch_one(app.db.pool()).await.unwrap();
        n
    };

    // Bad input names the field and the address; nothing is invited or sent.
    for (emails, message) in [
        ("", "Enter one or more email addresses."),
        ("jo@example.org, not-an-email", "not-an-email is not an email address."),
    ] {
        let res = invite(&app, &organiser, &id, emails).await;
        assert_eq!(res.status(), 422, "{emails}");
        let body = res.text().await.unwrap();
        assert!(body.contains("emails") && body.contains(message), "{body}");
    }
    assert_eq!(invite(&app, &organiser, "nope", "jo@example.org").await.status(), 404);
    assert!(attendee_emails(&app, &organiser, &id).await.is_empty());
    assert_eq!(outbox().await, 0);

    // Invited once each, however often named: an invitation with the calendar file.
    // Pasted from a mail client's "To" line, names and all.
    let res = invite(&app, &organiser, &id, "Jo Lee <Jo@Example.org>, sam@example.org\njo@example.org").await;
    let done: Value = res.json().await.unwrap();
    assert_eq!((done["invited"].as_i64(), done["already"].as_i64()), (Some(2), Some(0)));
    let done: Value =
        invite(&app, &organiser, &id, "sam@example.org al@example.org").await.json().await.unwrap();
    assert_eq!((done["invited"].as_i64(), done["already"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        attendee_emails(&app, &organiser, &id).await,
        ["al@example.org", "jo@example.org", "sam@example.org"]
    );
    let invitations = notices(&app, "Invitation: Board meeting").await;
    assert_eq!(invitations.len(), 3, "sam is not invited twice");
    let (to, _, body, ics) = &invitations[1];
    assert_eq!(to, "jo@example.org");
    assert!(
        body.contains("You are invited to Board meeting.") && body.contains("Back room, 12 High St"),
        "{body}"
    );
    assert!(body.contains("1. Canvass plan"), "{body}");
    assert!(
        ics.contains(&format!("UID:meeting-{id}@changemaker")) && ics.contains("STATUS:CONFIRMED"),
        "{ics}"
    );

    // A change is sent to everyone invited, with the new time; saving it again unchanged sends
    // nothing more.
    save(&app, &organiser, &id, &meeting_form("Board meeting", &day, "18:30", "20:00")).await;
    save(&app, &organiser, &id, &meeting_form("Board meeting", &day, "18:30", "20:00")).await;
    let changed = notices(&app, "Changed: Board meeting").await;
    assert_eq!(changed.len(), 3);
    assert!(changed[0].2.contains("18:30") && changed[0].3.contains("STATUS:CONFIRMED"), "{:?}", changed[0]);

    // Taken off: told so, with a calendar file that removes it; a second time is 404.
    let res =
        app.call(&organiser, "meetings/uninvite", &[("id", id.as_str()), ("email", "AL@example.org")]).await;
    assert_eq!(res.status(), 200);
    let gone = notices(&app, "No longer expected: Board meeting").await;
    assert_eq!((gone.len(), gone[0].0.as_str()), (1, "al@example.org"));
    assert!(gone[0].3.contains("STATUS:CANCELLED"));
    let res =
        app.call(&organiser, "meetings/uninvite", &[("id", id.as_str()), ("email", "al@example.org")]).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("not invited"));

    // At most 100 people: 99 more on top of the two is refused whole.
    let many: Vec<String> = (0..99).map(|n| format!("p{n}@example.org")).collect();
    let res = invite(&app, &organiser, &id, &many.join(",")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("at most 100 people"));
    assert_eq!(attendee_emails(&app, &organiser, &id).await.len(), 2);

    // Deleted: the two still invited are told it is cancelled; their invitations go with it.
    let before = outbox().await;
    assert_eq!(app.call(&organiser, "meetings/delete", &[("id", id.as_str())]).await.status(), 200);
    let cancelled = notices(&app, "Cancelled: Board meeting").await;
    assert_eq!(
        cancelled.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
        ["jo@example.org", "sam@example.org"]
    );
    assert!(cancelled[0].3.contains("STATUS:CANCELLED"));
    assert_eq!(outbox().await, before + 2);
    let left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM meeting_attendees").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(left, 0);

    // A meeting that is over invites nobody more, and its changes email nobody.
    let past = save(&app, &organiser, "", &meeting_form("Last week", &day, "09:00", "10:00")).await;
    let past_id = past["id"].as_str().unwrap();
    assert_eq!(invite(&app, &organiser, past_id, "jo@example.org").await.status(), 200);
    sqlx::query(
        "UPDATE meetings SET starts_at = starts_at - 864000, ends_at = ends_at - 864000 WHERE id = $1",
    )
    .bind(past_id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let res = invite(&app, &organiser, past_id, "sam@example.org").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("This meeting is over."));
    let before = outbox().await;
    assert_eq!(app.call(&organiser, "meetings/delete", &[("id", past_id)]).await.status(), 200);
    assert_eq!(outbox().await, before);
}

/// The token of the reply link in the latest email to `to` whose subject starts with `prefix`.
async fn reply_token(app: &TestApp, prefix: &str, to: &str) -> String {
    let mine: Vec<String> =
        notices(app, prefix).await.into_iter().filter(|n| n.0 == to).map(|n| n.2).collect();
    let body = mine.last().unwrap_or_else(|| panic!("no {prefix} email to {to}"));
    let link = body.split_whitespace().find(|w| w.contains("/meetings/reply?token=")).expect(body);
    assert!(link.starts_with("{{base_url}}/meetings/reply?token="), "{link}");
    link.rsplit("token=").next().unwrap().to_string()
}

/// Each invited person's answer, as the organisers' list shows it: (email, reply).
async fn replies(app: &TestApp, client: &reqwest::Client, id: &str) -> Vec<(String, Value)> {
    let res = app.call(client, "meetings/attendees", &[("id", id)]).await;
    assert_eq!(res.status(), 200);
    let people: Vec<Value> = res.json().await.unwrap();
    people.iter().map(|p| (p["email"].as_str().unwrap().to_string(), p["reply"].clone())).collect()
}

async fn answer(app: &TestApp, token: &str, reply: &str) -> reqwest::Response {
    app.call(&app.client(), "meetings/reply", &[("token", token), ("reply", reply)]).await
}

async fn people_invited_answer_through_their_own_link_and_a_new_time_asks_again(app: TestApp) {
    let organiser = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let day = in_days(3);
    let meeting = save(&app, &organiser, "", &meeting_form("Board meeting", &day, "18:00", "19:00")).await;
    let id = meeting["id"].as_str().unwrap().to_string();
    assert_eq!(invite(&app, &organiser, &id, "jo@example.org, sam@example.org").await.status(), 200);
    let jo = reply_token(&app, "Invitation:", "jo@example.org").await;
    let sam = reply_token(&app, "Invitation:", "sam@example.org").await;
    assert_ne!(jo, sam);
    let invited = app.events("meeting.attendee.invited").await;
    let invited: Vec<(&str, &str)> =
        invited.iter().map(|e| (e["meeting_id"].as_str().unwrap(), e["email"].as_str().unwrap())).collect();
    assert_eq!(invited, [(id.as_str(), "jo@example.org"), (id.as_str(), "sam@example.org")]);

    // The link's page, for anyone holding it: the meeting, whose invitation (partly hidden), no
    // answer yet.
    let page = app.page(&app.client(), &format!("/meetings/reply?token={jo}")).await;
    assert!(page.contains("Board meeting") && page.contains("Back room, 12 High St"), "{page}");
    assert!(page.contains("j•••@example.org") && !page.contains("jo@example.org"), "{page}");
    assert!(page.contains("Will you come?"), "{page}");
    let res = app.call(&app.client(), "meetings/invitation", &[("token", jo.as_str())]).await;
    let seen: Value = res.json().await.unwrap();
    assert_eq!((seen["reply"].clone(), seen["over"].clone()), (Value::Null, Value::Bool(false)));

    // Wrong links answer 404 and change nothing: made up, one's id with the other's signature,
    // no signature; and an answer that is neither yes nor no is refused.
    let (jo_id, jo_signature) = jo.split_once('.').unwrap();
    let (sam_id, _) = sam.split_once('.').unwrap();
    let forged = [format!("{sam_id}.{jo_signature}"), jo_id.to_string(), "x.y".to_string(), String::new()];
    for wrong in &forged {
        assert_eq!(answer(&app, wrong, "YES").await.status(), 404, "{wrong}");
        let res = app.call(&app.client(), "meetings/invitation", &[("token", wrong.as_str())]).await;
        assert_eq!(res.status(), 404, "{wrong}");
    }
    let res = app
        .client()
        .get(app.url(&format!("/meetings/reply?token={sam_id}.{jo_signature}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("This link is not valid"));
    assert_eq!(answer(&app, &jo, "MAYBE").await.status(), 400);
    let nobody =
        vec![("jo@example.org".to_string(), Value::Null), ("sam@example.org".to_string(), Value::Null)];
    assert_eq!(replies(&app, &organiser, &id).await, nobody);
    assert!(app.events("meeting.attendee.replied").await.is_empty());

    // Answered: the organisers see it; answering again changes it. A browser without the page's
    // code is sent back to the link's page, which says what they answered.
    assert_eq!(answer(&app, &jo, "YES").await.status(), 200);
    assert_eq!(answer(&app, &jo, "YES").await.status(), 200, "the same answer twice (one event)");
    assert_eq!(answer(&app, &sam, "YES").await.status(), 200);
    let res = app
        .post_as_browser(
            &app.client(),
            "meetings/reply",
            &format!("/meetings/reply?token={sam}"),
            &[("token", sam.as_str()), ("reply", "NO")],
        )
        .await;
    assert_eq!(redirected_to(&res), format!("/meetings/reply?token={sam}"));
    let said = vec![
        ("jo@example.org".to_string(), Value::from("YES")),
        ("sam@example.org".to_string(), Value::from("NO")),
    ];
    assert_eq!(replies(&app, &organiser, &id).await, said);
    // Each answer is an event, which the meeting's page follows live.
    let answered = app.events("meeting.attendee.replied").await;
    let answers: Vec<(&str, &str)> =
        answered.iter().map(|e| (e["email"].as_str().unwrap(), e["reply"].as_str().unwrap())).collect();
    assert_eq!(answers, [("jo@example.org", "YES"), ("sam@example.org", "YES"), ("sam@example.org", "NO")]);
    assert_eq!(answered[0]["meeting_id"].as_str(), Some(id.as_str()));
    assert_eq!(answered[0]["title"].as_str(), Some("Board meeting"));
    let page = app.page(&app.client(), &format!("/meetings/reply?token={sam}")).await;
    assert!(
        page.contains("You said you can&#x27;t come.") || page.contains("You said you can't come."),
        "{page}"
    );

    // A new place keeps the answers; the email carries each person's own link.
    let mut moved_place = meeting_form("Board meeting", &day, "18:00", "19:00");
    moved_place[2].1 = "Library";
    save(&app, &organiser, &id, &moved_place).await;
    assert_eq!(replies(&app, &organiser, &id).await, said);
    assert_eq!(reply_token(&app, "Changed:", "jo@example.org").await, jo);
    assert!(
        notices(&app, "Changed:").await[0].2.contains("To say whether you will come, or change your answer")
    );

    // A new time clears them, and asks everyone again.
    let mut moved_time = moved_place.clone();
    moved_time[4].1 = "19:00";
    moved_time[5].1 = "20:00";
    save(&app, &organiser, &id, &moved_time).await;
    assert_eq!(replies(&app, &organiser, &id).await, nobody);
    let asked = notices(&app, "Changed:").await;
    assert_eq!(asked.iter().filter(|n| n.2.contains("Can you come at the new time?")).count(), 2);

    // Taken off the invitations, their link stops working, and a new invitation's link is a new one.
    app.call(&organiser, "meetings/uninvite", &[("id", id.as_str()), ("email", "sam@example.org")]).await;
    assert_eq!(answer(&app, &sam, "YES").await.status(), 404);
    let removed = app.events("meeting.attendee.removed").await;
    assert_eq!((removed.len(), removed[0]["email"].as_str()), (1, Some("sam@example.org")));
    invite(&app, &organiser, &id, "sam@example.org").await;
    let sam_again = reply_token(&app, "Invitation:", "sam@example.org").await;
    assert_ne!(sam_again, sam);
    assert_eq!(answer(&app, &sam, "YES").await.status(), 404);
    assert_eq!(answer(&app, &sam_again, "YES").await.status(), 200);
    assert_eq!(app.events("meeting.attendee.invited").await.len(), 3);
    let replied = app.events("meeting.attendee.replied").await.len();

    // Once the meeting is over no answer is taken; once it is deleted the link is dead.
    sqlx::query(
        "UPDATE meetings SET starts_at = starts_at - 864000, ends_at = ends_at - 864000 WHERE id = $1",
    )
    .bind(&id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let res = answer(&app, &jo, "NO").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("This meeting is over."));
    assert_eq!(
        app.events("meeting.attendee.replied").await.len(),
        replied,
        "a refused answer publishes nothing"
    );
    let seen: Value =
        app.call(&app.client(), "meetings/invitation", &[("token", jo.as_str())]).await.json().await.unwrap();
    assert_eq!((seen["reply"].clone(), seen["over"].clone()), (Value::Null, Value::Bool(true)));
    assert_eq!(app.call(&organiser, "meetings/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(answer(&app, &jo, "YES").await.status(), 404);
}

async fn people_invited_are_reminded_a_day_before_unless_they_said_no(app: TestApp) {
    use app::meetings::service::{REMINDER_HOURS, send_reminders};
    let organiser = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let meeting =
        save(&app, &organiser, "", &meeting_form("Board meeting", &in_days(3), "18:00", "19:00")).await;
    let id = meeting["id"].as_str().unwrap().to_string();
    let everyone = "jo@example.org, sam@example.org, kim@example.org, lee@example.org";
    assert_eq!(invite(&app, &organiser, &id, everyone).await.status(), 200);
    // Jo will come, Sam won't, Kim has not answered; Lee was invited within the last day, so
    // the invitation itself is Lee's reminder.
    let jo = reply_token(&app, "Invitation:", "jo@example.org").await;
    let sam = reply_token(&app, "Invitation:", "sam@example.org").await;
    assert_eq!(answer(&app, &jo, "YES").await.status(), 200);
    assert_eq!(answer(&app, &sam, "NO").await.status(), 200);
    let starts_at: i64 = sqlx::query_scalar("SELECT starts_at FROM meetings WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE meeting_attendees SET invited_at = $1 WHERE email = 'lee@example.org'")
        .bind(starts_at - 3600)
        .execute(app.db.writer())
        .await
        .unwrap();

    let key = app::secrets::SecretKey::load_or_create(&app.config.data_dir.join("secret.key")).unwrap();
    let day_before = starts_at - REMINDER_HOURS * 3600;
    assert_eq!(send_reminders(&app.db, &key, day_before - 60).await.unwrap(), 0, "not yet");
    assert_eq!(send_reminders(&app.db, &key, day_before + 60).await.unwrap(), 2);
    assert_eq!(send_reminders(&app.db, &key, day_before + 120).await.unwrap(), 0, "once each");
    let sent = notices(&app, "Reminder:").await;
    let to: Vec<&str> = sent.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(to, ["jo@example.org", "kim@example.org"]);
    for (_, subject, body, attachment) in &sent {
        assert_eq!(subject, "Reminder: Board meeting");
        assert!(body.contains("Where: Back room, 12 High St") && body.contains("2. Budget"), "{body}");
        assert!(attachment.contains("STATUS:CONFIRMED") && attachment.contains(&format!("meeting-{id}@")));
    }
    assert!(sent[0].2.contains("You said you will come. If you can't after all"), "{}", sent[0].2);
    assert!(sent[1].2.contains("Will you come? Answer here:"), "{}", sent[1].2);
    // The reminder's link answers for its own invitation.
    let kim = reply_token(&app, "Reminder:", "kim@example.org").await;
    assert_eq!(answer(&app, &kim, "YES").await.status(), 200);
    let answers = replies(&app, &organiser, &id).await;
    assert!(answers.contains(&("kim@example.org".to_string(), Value::from("YES"))), "{answers:?}");

    // Moved a day later: everyone is asked again, and reminded again before the new time —
    // Sam too, whose "no" was for the old time.
    save(&app, &organiser, &id, &meeting_form("Board meeting", &in_days(4), "18:00", "19:00")).await;
    assert_eq!(send_reminders(&app.db, &key, day_before + 86_400 + 60).await.unwrap(), 4);
    assert_eq!(notices(&app, "Reminder:").await.len(), 6);

    // The server's own worker sends them as they fall due: the meeting now starts in an hour,
    // and Jo, invited two days ago, has not been reminded of this time.
    let now = app::db::now_unix();
    sqlx::query("UPDATE meetings SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now + 3600)
        .bind(now + 7200)
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE meeting_attendees SET reminded_at = NULL, invited_at = $1 WHERE email = 'jo@example.org'",
    )
    .bind(now - 2 * 86_400)
    .execute(app.db.writer())
    .await
    .unwrap();
    eventually("the worker reminds Jo", || async { notices(&app, "Reminder:").await.len() == 7 }).await;
}

async fn admins_invite_everyone_with_a_contact_tag(app: TestApp) {
    use app::events::Actor;
    let bus = app.bus();
    // Ana and Ben are on the steering group; Ben asked for no more email from the group; Cy
    // has another tag.
    for (name, email, tag) in [
        ("Ana", "ana@example.org", "steering"),
        ("Ben", "ben@example.org", "steering"),
        ("Cy", "cy@example.org", "driver"),
    ] {
        let form = app::contacts::ContactForm {
            name: name.into(),
            email: email.into(),
            phone: String::new(),
            edits: None,
        };
        let contact = app::contacts::service::create(&bus, &Actor::System, &form).await.unwrap();
        app::contacts::service::change_tags(&bus, &Actor::System, &contact, &[tag.to_string()], &[])
            .await
            .unwrap();
        if name == "Ben" {
            let mut tx = bus.db().begin_write().await.unwrap();
            app::contacts::service::mark_unsubscribed(&mut tx, &Actor::System, &contact, email, "LINK")
                .await
                .unwrap();
            bus.commit(tx).await.unwrap();
        }
    }
    let admin = signed_in_as(&app, "admin@example.org", Role::Admin).await;
    let events_admin = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let meeting =
        save(&app, &admin, "", &meeting_form("Steering group", &in_days(3), "18:00", "19:00")).await;
    let id = meeting["id"].as_str().unwrap().to_string();
    let by_tag = |client: &reqwest::Client, tag: &'static str| {
        let (app, client, id) = (&app, client.clone(), id.clone());
        async move { app.call(&client, "meetings/invite-tag", &[("id", id.as_str()), ("tag", tag)]).await }
    };

    // Events admins, who may not read contacts, may not invite by tag; an unknown tag is named.
    assert_eq!(by_tag(&events_admin, "steering").await.status(), 403);
    let res = by_tag(&admin, "nobody-has-this").await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("\"tag\"") && body.contains("nobody-has-this"), "{body}");
    assert!(attendee_emails(&app, &admin, &id).await.is_empty(), "nothing changed");

    // Jo is invited by address; then the tag (any case): Ana invited, Ben (unsubscribed) and Cy
    // not; again, nobody new and nobody emailed twice.
    assert_eq!(invite(&app, &admin, &id, "jo@example.org").await.status(), 200);
    let res = by_tag(&admin, " Steering ").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({ "invited": 1, "already": 0 }));
    assert_eq!(attendee_emails(&app, &admin, &id).await, ["ana@example.org", "jo@example.org"]);
    let sent: Vec<String> = notices(&app, "Invitation:").await.into_iter().map(|n| n.0).collect();
    assert_eq!(sent, ["ana@example.org", "jo@example.org"]);
    let res = by_tag(&admin, "steering").await;
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({ "invited": 0, "already": 1 }));
    assert_eq!(notices(&app, "Invitation:").await.len(), 2);
}

async fn the_minutes_are_written_then_emailed_to_everyone_invited(app: TestApp) {
    let organiser = signed_in_as(&app, "door@example.org", Role::EventsAdmin).await;
    let meeting =
        save(&app, &organiser, "", &meeting_form("Board meeting", &in_days(3), "18:00", "19:00")).await;
    let id = meeting["id"].as_str().unwrap().to_string();
    assert_eq!(
        (meeting["minutes"].clone(), meeting["minutes_edits"].clone(), meeting["minutes_sent"].clone()),
        (json!(""), json!(0), Value::Null)
    );
    let write = |minutes: &str, edits: &str| {
        let (id, minutes, edits) = (id.clone(), minutes.to_string(), edits.to_string());
        let (app, organiser) = (&app, &organiser);
        async move {
            let args = [("id", id.as_str()), ("minutes", minutes.as_str()), ("edits", edits.as_str())];
            app.call(organiser, "meetings/save-minutes", &args).await
        }
    };
    let send = || {
        let (app, organiser, id) = (&app, &organiser, id.clone());
        async move { app.call(organiser, "meetings/send-minutes", &[("id", id.as_str())]).await }
    };
    // The minutes' emails: (to, subject, body, the file attached).
    let sent = || async {
        sqlx::query_as::<_, (String, String, String, Option<String>)>(
            "SELECT to_address, subject, body, attachment FROM email_outbox \
             WHERE subject LIKE 'Minutes:%' ORDER BY to_address",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap()
    };

    // Nothing to send yet; bad minutes are refused and change nothing.
    let res = send().await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Write and save the minutes first."));
    let long = "x".repeat(20_001);
    let res = write(&long, "0").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("\"field\":\"minutes\""));
    let args = [("id", "nope"), ("minutes", "Agreed"), ("edits", "0")];
    assert_eq!(app.call(&organiser, "meetings/save-minutes", &args).await.status(), 404);

    // Saved (trimmed); a form opened before that save cannot put its own over it.
    let minutes = "Agreed: canvass on Saturday.\nBudget: 200 for leaflets.";
    let res = write(&format!("  {minutes}\n  "), "0").await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!((saved["minutes"].as_str(), saved["minutes_edits"].as_i64()), (Some(minutes), Some(1)));
    assert_eq!(write("Something else", "0").await.status(), 409);
    let shown: Value =
        app.call(&organiser, "meetings/get", &[("id", id.as_str())]).await.json().await.unwrap();
    assert_eq!(shown["minutes"], minutes);

    // Nobody invited: nobody to send to.
    let res = send().await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Nobody is invited"));
    assert!(sent().await.is_empty());

    // Sent to everyone invited, Sam who can't come too; saved again and sent again later.
    assert_eq!(invite(&app, &organiser, &id, "jo@example.org, sam@example.org").await.status(), 200);
    let sam = reply_token(&app, "Invitation", "sam@example.org").await;
    assert_eq!(answer(&app, &sam, "NO").await.status(), 200);
    let res = send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!(2));
    let emails = sent().await;
    let to: Vec<&str> = emails.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(to, ["jo@example.org", "sam@example.org"]);
    for (_, subject, body, attachment) in &emails {
        assert_eq!(subject, "Minutes: Board meeting");
        assert!(body.starts_with("The minutes of Board meeting (") && body.contains(minutes), "{body}");
        assert_eq!(attachment, &None);
    }
    let shown: Value =
        app.call(&organiser, "meetings/get", &[("id", id.as_str())]).await.json().await.unwrap();
    assert!(shown["minutes_sent"].as_str().unwrap().starts_with("2 people on "), "{shown}");
    assert_eq!(app.audited("meeting.minutes.saved").await, ["Board meeting"]);
    assert_eq!(app.audited("meeting.minutes.sent").await, ["Board meeting to 2 people"]);

    // The invitation's page shows them.
    let invitation: Value = app
        .call(&app.client(), "meetings/invitation", &[("token", sam.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invitation["minutes"], minutes);
}
