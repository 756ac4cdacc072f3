//! Canvassing over HTTP, on both databases: the address list added to, checked, corrected and
//! deleted; a volunteer's session from its start, through the doors they record, to its end,
//! with each event and what the CRM listener makes of it; turfs that split the list among
//! canvassers, and the canvassers an organiser asks to walk each.

use crate::common::{TestApp, eventually};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    addresses_are_added_checked_corrected_and_deleted,
    a_volunteer_walks_a_session_records_doors_and_ends_it,
    a_canvasser_takes_back_a_mistaken_visit_and_the_door_is_as_it_was,
    turfs_split_the_list_so_that_canvassers_out_at_once_do_not_knock_on_the_same_door,
    an_organiser_asks_canvassers_to_walk_a_turf_and_it_comes_first_for_them,
    a_citys_address_list_is_added_from_a_file_in_the_background,
);

async fn signed_in_as(app: &TestApp, email: &str, role: Role) -> reqwest::Client {
    app.create_user(email, role, UserStatus::Active).await;
    app.signed_in(email).await
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The streets of a list of addresses, in its order.
fn streets(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|a| a["street"].as_str().unwrap().to_string()).collect()
}

const THREE: &str = "12 High St, Springfield, K1A 0B1\n\nFlat 2, 3 Low Rd, Springfield, K1A 0B2\n7 Mill Lane, Shelbyville, S2B 1C3";

async fn addresses_are_added_checked_corrected_and_deleted(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;

    // A wrong line adds nothing, and says which line.
    let res = app
        .call(
            &admin,
            "canvass/add-addresses",
            &[("lines", "12 High St, Springfield, K1A 0B1\nno commas here")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Line 2: give the street, the city and the postal code"), "{body}");
    let res = app.call(&admin, "canvass/add-addresses", &[("lines", "12 High St, , K1A 0B1")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Line 1: enter the city"));
    assert_eq!(app.call(&admin, "canvass/add-addresses", &[("lines", " \n")]).await.status(), 422);
    assert_eq!(count(&app, "canvass_addresses").await, 0);
    assert!(app.events("canvass.address.updated").await.is_empty());

    // Three added; the same ones again (typed another way) are already listed.
    let added = ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", THREE)]).await).await;
    assert_eq!((added["added"].as_i64(), added["already_listed"].as_i64()), (Some(3), Some(0)));
    let again = "12  HIGH st, Springfield, k1a0b1\n9 New St, Springfield, K1A 0B9";
    let added = ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", again)]).await).await;
    assert_eq!((added["added"].as_i64(), added["already_listed"].as_i64()), (Some(1), Some(1)));
    let events = app.events("canvass.address.updated").await;
    assert_eq!(events.len(), 4, "one event per address added");
    assert_eq!(events[1]["street"], "Flat 2, 3 Low Rd");
    assert_eq!(events[1]["postal_code"], "K1A 0B2");
    assert_eq!(events[1]["email"], Value::Null);

    // Listed by postal code, found by street or postal code.
    let all = ok_json(app.call(&admin, "canvass/addresses", &[]).await).await;
    assert_eq!(all["count"], 4);
    assert_eq!(streets(&all), ["12 High St", "Flat 2, 3 Low Rd", "9 New St", "7 Mill Lane"]);
    let found = ok_json(app.call(&admin, "canvass/addresses", &[("filter[search]", "s2b")]).await).await;
    assert_eq!(streets(&found), ["7 Mill Lane"]);
    let found = ok_json(app.call(&admin, "canvass/addresses", &[("filter[search]", "LOW RD")]).await).await;
    assert_eq!(streets(&found), ["Flat 2, 3 Low Rd"]);
    let id = all["rows"][3]["id"].as_str().unwrap().to_string();

    // Corrected: checked, not made a twin of another, published.
    let form = |street: &'static str, postal: &'static str| {
        vec![
            ("id", id.clone()),
            ("form[street]", street.into()),
            ("form[city]", "Shelbyville".into()),
            ("form[postal_code]", postal.into()),
        ]
    };
    let as_pairs =
        |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let res = admin
        .post(app.url("/api/canvass/save-address"))
        .form(&as_pairs(&form("", "S2B 1C3")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter the street address."));
    let res = admin
        .post(app.url("/api/canvass/save-address"))
        .form(&as_pairs(&form("12 High St", "K1A 0B1")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "the same as another address");
    let saved = admin
        .post(app.url("/api/canvass/save-address"))
        .form(&as_pairs(&form("7 Mill Lane North", "S2B 1C3")))
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(saved).await["street"], "7 Mill Lane North");
    let events = app.events("canvass.address.updated").await;
    assert_eq!(events.len(), 5);
    assert_eq!(events[4]["street"], "7 Mill Lane North");
    // A form opened before that correction would undo it: refused, nothing changed; a form
    // opened after it (it answered the count) saves.
    let stale = [form("7 Mill Lane South", "S2B 1C3"), vec![("form[edits]", "0".into())]].concat();
    let res = admin.post(app.url("/api/canvass/save-address")).form(&as_pairs(&stale)).send().await.unwrap();
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(body.contains("Someone else saved changes to this address while you were editing it"), "{body}");
    let stored = ok_json(app.call(&admin, "canvass/address", &[("id", id.as_str())]).await).await;
    assert_eq!(
        (stored["address"]["street"].as_str(), stored["address"]["edits"].as_i64()),
        (Some("7 Mill Lane North"), Some(1))
    );
    let current = [form("7 Mill Lane North", "S2B 1C3"), vec![("form[edits]", "1".into())]].concat();
    let saved =
        admin.post(app.url("/api/canvass/save-address")).form(&as_pairs(&current)).send().await.unwrap();
    assert_eq!(ok_json(saved).await["edits"], 2);
    let unknown =
        [("id", "nope"), ("form[street]", "1 A St"), ("form[city]", "X"), ("form[postal_code]", "Y")];
    assert_eq!(app.call(&admin, "canvass/save-address", &unknown).await.status(), 404);
    assert_eq!(
        app.events("canvass.address.updated").await.len(),
        6,
        "nothing published for a refused change"
    );

    // The pages render; a deletion is audited; an unknown one is 404.
    let page = app.page(&admin, "/admin/canvass").await;
    assert!(page.contains("7 Mill Lane North") && page.contains("No one has canvassed yet."), "{page}");
    let page = app.page(&admin, &format!("/admin/canvass/addresses/{id}")).await;
    assert!(page.contains("7 Mill Lane North") && page.contains("No visits yet."));
    assert_eq!(app.call(&admin, "canvass/delete-address", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "canvass/delete-address", &[("id", id.as_str())]).await.status(), 404);
    assert_eq!(app.call(&admin, "canvass/address", &[("id", id.as_str())]).await.status(), 404);
    let deleted = serde_json::json!({ "address_id": id, "street": "7 Mill Lane North" });
    assert_eq!(app.events("canvass.address.deleted").await, std::slice::from_ref(&deleted), "once");
    assert_eq!(app.audited("canvass.address.deleted").await.len(), 1);

    // Listed in walking order: along each street by house number, as a number.
    let more = "10A High St, Springfield, K1A 0B1\n10 High St, Springfield, K1A 0B1\n2 High St, Springfield, K1A 0B1\n\
                3 Acorn Way, Springfield, K1A 0B1";
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", more)]).await).await;
    let block = ok_json(app.call(&admin, "canvass/addresses", &[("filter[search]", "k1a 0b1")]).await).await;
    assert_eq!(streets(&block), ["3 Acorn Way", "2 High St", "10 High St", "10A High St", "12 High St"]);
}

async fn visit(
    app: &TestApp,
    client: &reqwest::Client,
    address_id: &str,
    outcome: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut args = vec![("form[address_id]", address_id), ("form[outcome]", outcome)];
    args.extend_from_slice(extra);
    app.call(client, "canvass/record-visit", &args).await
}

async fn a_volunteer_walks_a_session_records_doors_and_ends_it(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", THREE)]).await).await;
    let volunteer = signed_in_as(&app, "walker@example.org", Role::Volunteer).await;

    // Not signed in: nothing. Signed in without a session: every address, no session; a
    // visit before starting is refused.
    assert_eq!(app.call(&app.client(), "canvass/walk", &[]).await.status(), 401);
    assert_eq!(app.call(&app.client(), "canvass/start", &[]).await.status(), 401);
    let walk = ok_json(app.call(&volunteer, "canvass/walk", &[]).await).await;
    assert_eq!(walk["session"], Value::Null);
    assert_eq!(walk["to_visit"]["count"], 3);
    let [high, low, mill] =
        [0, 1, 2].map(|i| walk["to_visit"]["rows"][i]["id"].as_str().unwrap().to_string());
    let res = visit(&app, &volunteer, &high, "NOT_HOME", &[]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Start canvassing"));

    // Started, by the browser's own form post (before the page's code has loaded: it lands
    // back on the page); a second start is the same session.
    let res = app.post_as_browser(&volunteer, "canvass/start", "/canvass", &[]).await;
    assert_eq!(crate::common::redirected_to(&res), "/canvass");
    let session = ok_json(app.call(&volunteer, "canvass/start", &[]).await).await;
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM canvass_sessions").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(open, 1, "starting twice keeps the open session");
    let started = app.events("canvass.session.started").await;
    assert_eq!(
        (started.len(), started[0]["session_id"].as_str()),
        (1, session["id"].as_str()),
        "published once, by the first start"
    );
    assert_eq!((session["doors_knocked"].as_i64(), session["ended"].clone()), (Some(0), Value::Null));

    // Bad visits: each field named, nothing recorded.
    for (args, field) in [
        (vec![("form[address_id]", high.as_str()), ("form[outcome]", "MAYBE")], "outcome"),
        (
            vec![
                ("form[address_id]", high.as_str()),
                ("form[outcome]", "SUPPORTER"),
                ("form[email]", "not-an-email"),
                ("form[name]", "Sam"),
            ],
            "email",
        ),
        (
            vec![
                ("form[address_id]", high.as_str()),
                ("form[outcome]", "SUPPORTER"),
                ("form[email]", "sam@example.org"),
            ],
            "name",
        ),
        (
            vec![
                ("form[address_id]", high.as_str()),
                ("form[outcome]", "NOT_HOME"),
                ("form[notes]", &"n".repeat(1001)),
            ],
            "notes",
        ),
    ] {
        let res = app.call(&volunteer, "canvass/record-visit", &args).await;
        assert_eq!(res.status(), 422, "{args:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(&format!("\"field\":\"{field}\"")), "{body}");
    }
    assert_eq!(visit(&app, &volunteer, "nope", "NOT_HOME", &[]).await.status(), 404);
    assert_eq!(count(&app, "canvass_visits").await, 0);

    // Doors: not home; a supporter who leaves their details; an opposed neighbour.
    ok_json(visit(&app, &volunteer, &high, "NOT_HOME", &[]).await).await;
    let details = [
        ("form[name]", "Sam Green"),
        ("form[email]", " Sam@Example.org "),
        ("form[notes]", "Wants a lawn sign"),
    ];
    ok_json(visit(&app, &volunteer, &low, "SUPPORTER", &details).await).await;
    let counted = ok_json(visit(&app, &volunteer, &mill, "OPPOSED", &[]).await).await;
    assert_eq!((counted["doors_knocked"].as_i64(), counted["conversations"].as_i64()), (Some(3), Some(2)));
    let res = visit(&app, &volunteer, &low, "UNDECIDED", &[]).await;
    assert_eq!(res.status(), 409, "a door is recorded once a session");

    // Each visit published; the supporter became a contact, linked to the address.
    let visits = app.events("canvass.visit.recorded").await;
    assert_eq!(visits.len(), 3);
    assert_eq!(visits[1]["outcome"], "SUPPORTER");
    assert_eq!(visits[1]["address_id"], low.as_str());
    assert_eq!(visits[1]["session_id"], session["id"]);
    let contact_id = visits[1]["contact_id"].as_str().expect("the supporter's contact").to_string();
    assert_eq!(visits[0]["contact_id"], Value::Null);
    let (name, source): (String, String) =
        sqlx::query_as("SELECT name, source FROM contacts WHERE id = $1 AND email = 'sam@example.org'")
            .bind(&contact_id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), source.as_str()), ("Sam Green", "CANVASS"));
    let updates = app.events("canvass.address.updated").await;
    let last = updates.last().unwrap();
    assert_eq!(
        (&last["address_id"], &last["email"], &last["contact_id"]),
        (&Value::from(low.clone()), &Value::from("sam@example.org"), &Value::from(contact_id.clone()))
    );
    assert_eq!(app.events("contact.created").await.len(), 1);

    // The CRM listener puts the visit on the supporter's timeline, worth 15 points.
    eventually("the visit on the contact's timeline", || async {
        let points: Option<i64> = sqlx::query_scalar(
            "SELECT points FROM contact_activity WHERE contact_id = $1 AND topic = 'canvass.visit.recorded'",
        )
        .bind(&contact_id)
        .fetch_optional(app.db.pool())
        .await
        .unwrap();
        points == Some(15)
    })
    .await;

    // Only the doors not yet knocked are left to visit in this session.
    let walk = ok_json(app.call(&volunteer, "canvass/walk", &[]).await).await;
    assert_eq!(walk["to_visit"]["count"], 0);
    assert_eq!(walk["session"]["doors_knocked"], 3);

    // Another volunteer has their own session: mine is not theirs to end or record in.
    let other = signed_in_as(&app, "other@example.org", Role::Volunteer).await;
    assert_eq!(app.call(&other, "canvass/end", &[]).await.status(), 409);
    assert_eq!(visit(&app, &other, &high, "REFUSED", &[]).await.status(), 409);
    let theirs = ok_json(app.call(&other, "canvass/walk", &[]).await).await;
    assert_eq!(theirs["to_visit"]["count"], 3, "their walk has every door");
    // With the notes left at each door for whoever knocks next.
    let door = |id: &str| {
        theirs["to_visit"]["rows"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone()
    };
    assert_eq!(door(&low)["last_notes"], "Wants a lawn sign");
    assert_eq!(door(&high)["last_notes"], Value::Null, "no notes were left there");

    // Ended: published with its counts; nothing more recorded in it.
    let ended = ok_json(app.call(&volunteer, "canvass/end", &[]).await).await;
    assert!(ended["ended"].is_string());
    let completed = app.events("canvass.session.completed").await;
    assert_eq!(completed.len(), 1);
    assert_eq!(
        (completed[0]["doors_knocked"].as_i64(), completed[0]["conversations"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(completed[0]["session_id"], session["id"]);
    assert_eq!(app.call(&volunteer, "canvass/end", &[]).await.status(), 409);
    assert_eq!(visit(&app, &volunteer, &high, "SUPPORTER", &[]).await.status(), 409);
    assert_eq!(count(&app, "canvass_visits").await, 3);

    // The admin sees the session, each address's last outcome and its visits.
    let sessions = ok_json(app.call(&admin, "canvass/sessions", &[]).await).await;
    assert_eq!(sessions["rows"][0]["doors_knocked"], 3);
    assert_eq!(sessions["rows"][0]["canvasser"], "Test Person");
    let detail = ok_json(app.call(&admin, "canvass/address", &[("id", low.as_str())]).await).await;
    assert_eq!(detail["address"]["last_outcome"], "SUPPORTER");
    assert_eq!(detail["address"]["has_contact"], true);
    assert_eq!(detail["visits"][0]["notes"], "Wants a lawn sign");
    assert_eq!(detail["visits"][0]["contact"][1], format!("/admin/contacts/{contact_id}"));
    let page = app.page(&admin, &format!("/admin/canvass/addresses/{low}")).await;
    assert!(
        page.contains("Wants a lawn sign") && page.contains("Sam Green") && page.contains("Supporter"),
        "{page}"
    );
    // A visited address keeps its history.
    let res = app.call(&admin, "canvass/delete-address", &[("id", low.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert_eq!(count(&app, "canvass_addresses").await, 3);
    assert!(app.events("canvass.address.deleted").await.is_empty(), "nothing published for a refusal");

    // The canvasser's page renders for them, and asks anyone else to sign in.
    let page = app.page(&volunteer, "/canvass").await;
    assert!(page.contains("Start canvassing"), "{page}");
    let res = app.client().get(app.url("/canvass")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("to canvass"));
}

/// The turf form's answer: 422 naming `field`, or the saved turf.
/// An address's last outcome and day, as the admin's address page has them.
async fn last_outcome(app: &TestApp, admin: &reqwest::Client, id: &str) -> (Value, Value) {
    let detail = ok_json(app.call(admin, "canvass/address", &[("id", id)]).await).await;
    (detail["address"]["last_outcome"].clone(), detail["address"]["last_visited"].clone())
}

async fn undo(app: &TestApp, client: &reqwest::Client, visit_id: &str) -> reqwest::Response {
    app.call(client, "canvass/undo-visit", &[("visit_id", visit_id)]).await
}

async fn a_canvasser_takes_back_a_mistaken_visit_and_the_door_is_as_it_was(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", THREE)]).await).await;
    let walk = ok_json(app.call(&admin, "canvass/walk", &[]).await).await;
    let [high, low, mill] =
        [0, 1, 2].map(|i| walk["to_visit"]["rows"][i]["id"].as_str().unwrap().to_string());
    // Someone found High St opposed in an earlier session.
    let earlier = signed_in_as(&app, "earlier@example.org", Role::Volunteer).await;
    ok_json(app.call(&earlier, "canvass/start", &[]).await).await;
    ok_json(visit(&app, &earlier, &high, "OPPOSED", &[]).await).await;
    ok_json(app.call(&earlier, "canvass/end", &[]).await).await;
    let before = last_outcome(&app, &admin, &high).await;
    assert_eq!(before.0, "OPPOSED");

    // A walker's session: nothing to take back yet.
    let walker = signed_in_as(&app, "walker@example.org", Role::Volunteer).await;
    let session = ok_json(app.call(&walker, "canvass/start", &[]).await).await;
    assert_eq!(session["last_visit"], Value::Null);
    assert_eq!(undo(&app, &walker, "nope").await.status(), 404);

    // The wrong outcome at High St: the session says so, and offers it back.
    let session = ok_json(visit(&app, &walker, &high, "SUPPORTER", &[]).await).await;
    let last = &session["last_visit"];
    assert_eq!(
        (&last["street"], &last["outcome"], &last["undoable"]),
        (&Value::from("12 High St"), &Value::from("SUPPORTER"), &Value::from(true))
    );
    let visit_id = last["id"].as_str().unwrap().to_string();
    assert_eq!(last_outcome(&app, &admin, &high).await.0, "SUPPORTER");

    // Nobody else takes it back: not without a session, not from their own.
    let res = undo(&app, &earlier, &visit_id).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("You have no session open."));
    let other = signed_in_as(&app, "other@example.org", Role::Volunteer).await;
    ok_json(app.call(&other, "canvass/start", &[]).await).await;
    assert_eq!(undo(&app, &other, &visit_id).await.status(), 404);
    assert_eq!(undo(&app, &app.client(), &visit_id).await.status(), 401);
    assert_eq!(count(&app, "canvass_visits").await, 2);

    // Taken back: the counts, the door's last outcome and day as the earlier session left
    // them, the door in the walk again, and `canvass.address.updated`.
    let updates = app.events("canvass.address.updated").await.len();
    let session = ok_json(undo(&app, &walker, &visit_id).await).await;
    assert_eq!(
        (session["doors_knocked"].as_i64(), session["conversations"].as_i64(), &session["last_visit"]),
        (Some(0), Some(0), &Value::Null)
    );
    assert_eq!(last_outcome(&app, &admin, &high).await, before);
    let walk = ok_json(app.call(&walker, "canvass/walk", &[]).await).await;
    assert_eq!(walk["to_visit"]["count"], 3, "High St is to visit again");
    let events = app.events("canvass.address.updated").await;
    assert_eq!(events.len(), updates + 1);
    assert_eq!(events.last().unwrap()["address_id"], high.as_str());
    assert_eq!(undo(&app, &walker, &visit_id).await.status(), 404, "once");
    assert_eq!(count(&app, "canvass_visits").await, 1);

    // Recorded again, rightly; a door nobody had been to goes back to not visited.
    ok_json(visit(&app, &walker, &high, "UNDECIDED", &[]).await).await;
    let session = ok_json(visit(&app, &walker, &mill, "NOT_HOME", &[]).await).await;
    assert_eq!(session["last_visit"]["street"], "7 Mill Lane");
    let session = ok_json(undo(&app, &walker, session["last_visit"]["id"].as_str().unwrap()).await).await;
    assert_eq!(last_outcome(&app, &admin, &mill).await, (Value::Null, Value::Null));
    assert_eq!((session["doors_knocked"].as_i64(), session["conversations"].as_i64()), (Some(1), Some(1)));
    assert_eq!(session["last_visit"]["street"], "12 High St", "the one before is the last now");

    // A visit where someone left their details stays, and says so; nothing changes.
    let details = [("form[name]", "Sam Green"), ("form[email]", "sam@example.org")];
    let session = ok_json(visit(&app, &walker, &low, "SUPPORTER", &details).await).await;
    assert_eq!(session["last_visit"]["undoable"], false);
    let res = undo(&app, &walker, session["last_visit"]["id"].as_str().unwrap()).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("ask an organiser to correct it"));
    assert_eq!(count(&app, "canvass_visits").await, 3);
    let walk = ok_json(app.call(&walker, "canvass/walk", &[]).await).await;
    assert_eq!(walk["session"]["doors_knocked"], 2);

    // Once the session is over, nothing is taken back.
    let ended = ok_json(app.call(&walker, "canvass/end", &[]).await).await;
    assert_eq!(ended["last_visit"], Value::Null);
    let high_visit: String =
        sqlx::query_scalar("SELECT id FROM canvass_visits WHERE address_id = $1 AND outcome = 'UNDECIDED'")
            .bind(&high)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(undo(&app, &walker, &high_visit).await.status(), 409);
    assert_eq!(count(&app, "canvass_visits").await, 3);
}

async fn save_turf(
    app: &TestApp,
    admin: &reqwest::Client,
    id: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut args = vec![("id", id)];
    args.extend_from_slice(form);
    app.call(admin, "canvass/save-turf", &args).await
}

async fn turfs_split_the_list_so_that_canvassers_out_at_once_do_not_knock_on_the_same_door(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;
    let lines = format!("{THREE}\n14 High St, Springfield, K1A 0B1\n9 New St, Springfield, K1A 0B9");
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", &lines)]).await).await;

    // Wrong turfs: each field named, nothing made.
    let many_areas = vec!["High St"; 51].join("\n");
    let long_area = "x".repeat(101);
    for (form, field) in [
        ([("form[name]", " "), ("form[areas]", "High St")], "name"),
        ([("form[name]", &"n".repeat(101)), ("form[areas]", "High St")], "name"),
        ([("form[name]", "North"), ("form[areas]", " \n ")], "areas"),
        ([("form[name]", "North"), ("form[areas]", &many_areas)], "areas"),
        ([("form[name]", "North"), ("form[areas]", &long_area)], "areas"),
    ] {
        let res = save_turf(&app, &admin, "", &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains(&format!("\"field\":\"{field}\"")), "{body}");
    }
    assert_eq!(count(&app, "canvass_turfs").await, 0);

    // Made of two areas, found in street or postal code, any case: three of the five addresses.
    let areas = [("form[name]", "High and Mill"), ("form[areas]", "high st\n\n  Mill Lane ")];
    let turf = ok_json(save_turf(&app, &admin, "", &areas).await).await;
    let turf_id = turf["id"].as_str().unwrap().to_string();
    assert_eq!(turf["areas"], serde_json::json!(["high st", "Mill Lane"]));
    assert_eq!((turf["addresses"].as_i64(), turf["done"].as_i64()), (Some(3), Some(0)));
    let res =
        save_turf(&app, &admin, "", &[("form[name]", " HIGH AND MILL"), ("form[areas]", "Low Rd")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("There is already a turf called"));
    assert_eq!(count(&app, "canvass_turfs").await, 1);
    let listed = ok_json(app.call(&admin, "canvass/addresses", &[("filter[turf]", &turf_id)]).await).await;
    assert_eq!(streets(&listed), ["12 High St", "14 High St", "7 Mill Lane"]);
    let res = app.call(&admin, "canvass/addresses", &[("filter[turf]", "nope")]).await;
    assert_eq!(res.status(), 404);

    // Ana chooses it when she starts (a turf that does not exist starts nothing).
    let ana = signed_in_as(&app, "ana@example.org", Role::Volunteer).await;
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(
        (walk["turfs"][0]["name"].as_str(), walk["turfs"][0]["addresses"].as_i64()),
        (Some("High and Mill"), Some(3))
    );
    assert_eq!(app.call(&ana, "canvass/start", &[("turf_id", "nope")]).await.status(), 404);
    assert_eq!(count(&app, "canvass_sessions").await, 0);
    let session = ok_json(app.call(&ana, "canvass/start", &[("turf_id", &turf_id)]).await).await;
    assert_eq!(session["turf"], "High and Mill");
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["12 High St", "14 High St", "7 Mill Lane"]);
    let [high, high_14, mill] =
        [0, 1, 2].map(|i| walk["to_visit"]["rows"][i]["id"].as_str().unwrap().to_string());

    // Ben joins her there. A door Ana has been to leaves his walk; one where nobody was home
    // leaves only his own, and stays on hers to knock on.
    let ben = signed_in_as(&app, "ben@example.org", Role::Volunteer).await;
    ok_json(app.call(&ben, "canvass/start", &[("turf_id", &turf_id)]).await).await;
    ok_json(visit(&app, &ana, &high, "SUPPORTER", &[]).await).await;
    let walk = ok_json(app.call(&ben, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["14 High St", "7 Mill Lane"]);
    ok_json(visit(&app, &ben, &high_14, "NOT_HOME", &[]).await).await;
    let walk = ok_json(app.call(&ben, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["7 Mill Lane"]);
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["14 High St", "7 Mill Lane"]);
    let turf = ok_json(app.call(&admin, "canvass/turf", &[("id", &turf_id)]).await).await;
    assert_eq!(
        (turf["addresses"].as_i64(), turf["done"].as_i64(), turf["out_now"].as_i64()),
        (Some(3), Some(1), Some(2))
    );
    // Turfs may overlap, and are counted each on its own: one of a street named twice (an
    // address in both areas counted once) and a postal code, which shares the High St doors
    // but none of the first turf's rounds.
    let areas = [("form[name]", "Around High"), ("form[areas]", "HIGH\nHigh St\nk1a 0b9")];
    let around = ok_json(save_turf(&app, &admin, "", &areas).await).await;
    let listed = ok_json(app.call(&admin, "canvass/turfs", &[]).await).await;
    let counts: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str(), t["addresses"].as_i64(), t["done"].as_i64(), t["out_now"].as_i64()))
        .collect();
    assert_eq!(
        counts,
        [
            (Some("Around High"), Some(3), Some(0), Some(0)),
            (Some("High and Mill"), Some(3), Some(1), Some(2))
        ]
    );
    let res = app.call(&admin, "canvass/delete-turf", &[("id", around["id"].as_str().unwrap())]).await;
    assert_eq!(res.status(), 200);
    // How the doors stand, by last outcome, on the whole list and on the turf; the list
    // narrowed to one outcome, or to the doors nobody has been to.
    let list = ok_json(app.call(&admin, "canvass/addresses", &[]).await).await;
    let standing = |page: &Value, outcome: &str| {
        page["results"]["by_outcome"].as_array().unwrap().iter().find(|p| p[0] == outcome).unwrap()[1]
            .as_i64()
    };
    assert_eq!(
        (standing(&list, "SUPPORTER"), standing(&list, "NOT_HOME"), standing(&list, "OPPOSED")),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(list["results"]["not_visited"], 3);
    let on_turf = ok_json(app.call(&admin, "canvass/addresses", &[("filter[turf]", &turf_id)]).await).await;
    assert_eq!(
        (standing(&on_turf, "SUPPORTER"), on_turf["results"]["not_visited"].as_i64()),
        (Some(1), Some(1))
    );
    let narrowed = [("filter[turf]", turf_id.as_str()), ("filter[outcome]", "SUPPORTER")];
    let supporters = ok_json(app.call(&admin, "canvass/addresses", &narrowed).await).await;
    assert_eq!(streets(&supporters), ["12 High St"]);
    assert_eq!(
        supporters["results"], on_turf["results"],
        "the counts are the turf's, whatever the outcome shown"
    );
    let unvisited =
        ok_json(app.call(&admin, "canvass/addresses", &[("filter[outcome]", "NOT_VISITED")]).await).await;
    assert_eq!(streets(&unvisited), ["Flat 2, 3 Low Rd", "9 New St", "7 Mill Lane"]);
    let res = app.call(&admin, "canvass/addresses", &[("filter[outcome]", "MAYBE")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Choose an outcome from the list."));
    let page = app.page(&admin, &format!("/admin/canvass?turf={turf_id}&outcome=SUPPORTER")).await;
    assert!(page.contains("Supporter: 1") && page.contains("Not visited yet: 1"), "{page}");
    // The organiser's page shows the turf, how far it has got, and who walks it.
    let page = app.page(&admin, "/admin/canvass").await;
    assert!(page.contains("High and Mill") && page.contains("3 addresses, 1 done, 2 to knock on"), "{page}");

    // The list as CSV, found as the page finds it: every address in walking order (not a page
    // of them), each cell quoted (a street may hold a comma).
    let csv = |client: &reqwest::Client, query: String| {
        let request = client.get(app.url(&format!("/api/canvass/addresses.csv?{query}")));
        async move { request.send().await.unwrap() }
    };
    let res = csv(&admin, String::new()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let all = res.text().await.unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines[0], "street,city,postal_code,last_outcome,last_visited,last_notes,left_details");
    assert_eq!(lines.len(), 6, "the five addresses: {all}");
    assert!(lines.contains(&r#""Flat 2, 3 Low Rd","Springfield","K1A 0B2","","","","no""#), "{all}");
    let supporters = csv(&admin, format!("turf={turf_id}&outcome=SUPPORTER")).await.text().await.unwrap();
    let lines: Vec<&str> = supporters.lines().collect();
    assert_eq!(lines.len(), 2, "{supporters}");
    assert!(lines[1].starts_with(r#""12 High St","Springfield","K1A 0B1","Supporter","#), "{supporters}");
    let not_home = csv(&admin, "outcome=NOT_HOME&search=high".to_string()).await.text().await.unwrap();
    assert!(not_home.lines().nth(1).unwrap().starts_with(r#""14 High St","#), "{not_home}");
    assert_eq!(csv(&admin, "outcome=MAYBE".to_string()).await.status(), 422);
    assert_eq!(csv(&admin, "turf=nope".to_string()).await.status(), 404);
    assert_eq!(csv(&ben, String::new()).await.status(), 403);

    // A door not on the list, found on the turf's streets: added, in Ana's walk to record.
    // One off the turf, one already listed, or one without a session: refused, nothing added.
    let door = |street: &'static str| {
        [("form[street]", street), ("form[city]", "Springfield"), ("form[postal_code]", "K1A 0B1")]
    };
    let before = count(&app, "canvass_addresses").await;
    let res = app.call(&ana, "canvass/add-door", &door("1 Low Rd")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("This address is not on your turf (high st, Mill Lane)"));
    let res = app.call(&ana, "canvass/add-door", &door("12  HIGH st")).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("That address is already on the list"));
    assert_eq!(app.call(&ana, "canvass/add-door", &door("")).await.status(), 422);
    let res = app.call(&admin, "canvass/add-door", &door("12A High St")).await;
    assert_eq!(
        (res.status().as_u16(), count(&app, "canvass_addresses").await),
        (409, before),
        "the admin is not out"
    );
    let updates = app.events("canvass.address.updated").await.len();
    let added = ok_json(app.call(&ana, "canvass/add-door", &door("12A High St")).await).await;
    assert_eq!((added["street"].as_str(), added["last_outcome"].clone()), (Some("12A High St"), Value::Null));
    assert_eq!(app.events("canvass.address.updated").await.len(), updates + 1);
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["12A High St", "14 High St", "7 Mill Lane"]);
    let added_id = added["id"].as_str().unwrap();
    ok_json(visit(&app, &ana, added_id, "MOVED", &[]).await).await;

    // Cleo walks the whole list: every door not yet knocked in her session.
    let cleo = signed_in_as(&app, "cleo@example.org", Role::Volunteer).await;
    let session = ok_json(app.call(&cleo, "canvass/start", &[("turf_id", "")]).await).await;
    assert_eq!(session["turf"], Value::Null);
    let walk = ok_json(app.call(&cleo, "canvass/walk", &[]).await).await;
    assert_eq!(walk["to_visit"]["count"], 6);

    // Not deleted while Ana and Ben are out on it. Changed: a form opened before another
    // change is refused; a third area brings Low Rd into Ana's walk.
    let res = app.call(&admin, "canvass/delete-turf", &[("id", turf_id.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Someone is canvassing this turf now"));
    let wider = [("form[name]", "High, Mill and Low"), ("form[areas]", "High St\nMill Lane\nLow Rd")];
    let stale = [wider[0], wider[1], ("form[edits]", "3")];
    assert_eq!(save_turf(&app, &admin, &turf_id, &stale).await.status(), 409);
    let current = [wider[0], wider[1], ("form[edits]", "0")];
    let turf = ok_json(save_turf(&app, &admin, &turf_id, &current).await).await;
    assert_eq!((turf["addresses"].as_i64(), turf["edits"].as_i64()), (Some(5), Some(1)));
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(streets(&walk["to_visit"]), ["14 High St", "Flat 2, 3 Low Rd", "7 Mill Lane"]);
    assert_eq!(walk["session"]["turf"], "High, Mill and Low");
    assert_eq!(visit(&app, &ana, &mill, "OPPOSED", &[]).await.status(), 200);

    // Once both are back it goes; their sessions keep their counts. Gone, it cannot be started on.
    ok_json(app.call(&ana, "canvass/end", &[]).await).await;
    ok_json(app.call(&ben, "canvass/end", &[]).await).await;
    ok_json(app.call(&admin, "canvass/delete-turf", &[("id", turf_id.as_str())]).await).await;
    assert_eq!(app.call(&admin, "canvass/delete-turf", &[("id", turf_id.as_str())]).await.status(), 404);
    assert_eq!(app.call(&ben, "canvass/start", &[("turf_id", &turf_id)]).await.status(), 404);
    let sessions = ok_json(app.call(&admin, "canvass/sessions", &[]).await).await;
    let knocked: Vec<(i64, Value)> = sessions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["doors_knocked"].as_i64().unwrap(), s["turf"].clone()))
        .collect();
    assert_eq!(knocked.iter().map(|(n, _)| n).sum::<i64>(), 4);
    assert!(knocked.iter().all(|(_, turf)| turf.is_null()), "{knocked:?}");
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM admin_audit_log WHERE action LIKE 'canvass.turf.%' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let turf_changes =
        ["created", "created", "deleted", "changed", "deleted"].map(|c| format!("canvass.turf.{c}"));
    assert_eq!(audited, turf_changes);
}

async fn assign(app: &TestApp, client: &reqwest::Client, turf_id: &str, email: &str) -> reqwest::Response {
    app.call(client, "canvass/assign-turf", &[("turf_id", turf_id), ("email", email)]).await
}

/// The ids of the turfs in a canvasser's walk, in its order.
fn turf_ids(walk: &Value) -> Vec<String> {
    walk["turfs"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
}

async fn an_organiser_asks_canvassers_to_walk_a_turf_and_it_comes_first_for_them(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", THREE)]).await).await;
    let made = |name: &'static str, areas: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let turf =
                ok_json(save_turf(app, admin, "", &[("form[name]", name), ("form[areas]", areas)]).await)
                    .await;
            turf["id"].as_str().unwrap().to_string()
        }
    };
    let (alpha, zulu) = (made("Alpha", "Low Rd").await, made("Zulu", "High St\nMill Lane").await);
    let ana = signed_in_as(&app, "ana@example.org", Role::Volunteer).await;
    app.create_user("gone@example.org", Role::Volunteer, UserStatus::Disabled).await;
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(turf_ids(&walk), [alpha.clone(), zulu.clone()], "by name while none is hers");
    assert_eq!(walk["yours"], serde_json::json!([]));

    // Refused: not an organiser, no such turf, no such active account; nothing kept or sent.
    assert_eq!(assign(&app, &ana, &zulu, "ana@example.org").await.status(), 403);
    assert_eq!(assign(&app, &app.client(), &zulu, "ana@example.org").await.status(), 401);
    assert_eq!(assign(&app, &admin, "nope", "ana@example.org").await.status(), 404);
    for email in ["", "nobody@example.org", "gone@example.org"] {
        let res = assign(&app, &admin, &zulu, email).await;
        assert_eq!(res.status(), 422, "{email:?}");
        assert!(res.text().await.unwrap().contains("\"field\":\"email\""), "{email:?}");
    }
    assert_eq!(count(&app, "canvass_turf_assignments").await, 0);
    assert_eq!(count(&app, "email_outbox").await, 0);

    // Asked: the turf names her, she is emailed how to start, and it is audited; once.
    let turf = ok_json(assign(&app, &admin, &zulu, " Ana@Example.org ").await).await;
    assert_eq!(turf["assigned"][0]["email"], "ana@example.org");
    assert_eq!(turf["assigned"][0]["name"], "Test Person");
    let res = assign(&app, &admin, &zulu, "ana@example.org").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("already asked"));
    let (to, subject, body): (String, String, String) =
        sqlx::query_as("SELECT to_address, subject, body FROM email_outbox")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((to.as_str(), subject.as_str()), ("ana@example.org", "You are asked to canvass Zulu"));
    assert!(
        body.contains("canvass Zulu: High St, Mill Lane.") && body.contains("/canvass, choose Zulu"),
        "{body}"
    );
    assert_eq!(app.audited("canvass.turf.assigned").await, ["Zulu: ana@example.org"]);
    let listed = ok_json(app.call(&admin, "canvass/turfs", &[]).await).await;
    assert_eq!(listed[1]["assigned"][0]["email"], "ana@example.org");
    assert_eq!(listed[0]["assigned"], serde_json::json!([]));

    // Hers comes first on her page, and says so; who else is asked is not hers to see.
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(turf_ids(&walk), [zulu.clone(), alpha.clone()]);
    assert_eq!(walk["yours"], serde_json::json!([zulu.clone()]));
    assert!(walk["turfs"].as_array().unwrap().iter().all(|t| t["assigned"] == serde_json::json!([])));
    let page = app.page(&ana, "/canvass").await;
    assert!(page.contains("An organiser asked you to canvass Zulu."), "{page}");
    let ben = signed_in_as(&app, "ben@example.org", Role::Volunteer).await;
    let walk = ok_json(app.call(&ben, "canvass/walk", &[]).await).await;
    assert_eq!(
        (turf_ids(&walk), &walk["yours"]),
        (vec![alpha.clone(), zulu.clone()], &serde_json::json!([]))
    );
    assert!(!app.page(&ben, "/canvass").await.contains("An organiser asked you"));

    // Taken off: no longer first for her; once.
    let ana_id = turf["assigned"][0]["user_id"].as_str().unwrap().to_string();
    let off = [("turf_id", zulu.as_str()), ("user_id", ana_id.as_str())];
    assert_eq!(app.call(&ana, "canvass/unassign-turf", &off).await.status(), 403);
    let turf = ok_json(app.call(&admin, "canvass/unassign-turf", &off).await).await;
    assert_eq!(turf["assigned"], serde_json::json!([]));
    assert_eq!(app.call(&admin, "canvass/unassign-turf", &off).await.status(), 404);
    assert_eq!(app.audited("canvass.turf.unassigned").await, ["Zulu: ana@example.org"]);
    let (to, body): (String, String) = sqlx::query_as(
        "SELECT to_address, body FROM email_outbox WHERE subject = 'You are no longer asked to canvass Zulu'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(to, "ana@example.org");
    assert!(body.contains("took you off Zulu") && body.contains("/canvass"), "{body}");
    assert_eq!(count(&app, "email_outbox").await, 2, "once, not for the refused second time");
    let walk = ok_json(app.call(&ana, "canvass/walk", &[]).await).await;
    assert_eq!(turf_ids(&walk), [alpha.clone(), zulu.clone()]);

    // Posted by the browser itself, the form lands back on the turf's page; deleting the turf
    // takes its canvassers off.
    let page = format!("/admin/canvass/turfs/{alpha}");
    let form = [("turf_id", alpha.as_str()), ("email", "ben@example.org")];
    let res = app.post_as_browser(&admin, "canvass/assign-turf", &page, &form).await;
    assert_eq!(crate::common::redirected_to(&res), page);
    assert_eq!(count(&app, "canvass_turf_assignments").await, 1);
    assert_eq!(app.call(&admin, "canvass/delete-turf", &[("id", alpha.as_str())]).await.status(), 200);
    assert_eq!(count(&app, "canvass_turf_assignments").await, 0);
}

/// A city's list, too long for the box: 5,000 addresses in a file of 1.1 MB (more than the
/// 1 MiB other requests may carry), checked whole, then added in the background.
async fn a_citys_address_list_is_added_from_a_file_in_the_background(app: TestApp) {
    let admin = signed_in_as(&app, "organiser@example.org", Role::Admin).await;
    ok_json(app.call(&admin, "canvass/add-addresses", &[("lines", THREE)]).await).await;
    let street = "y".repeat(190);
    let lines: Vec<String> = (0..5_000).map(|n| format!("{n} {street} St, Springfield, K1A {n}")).collect();
    let file = |lines: &[String]| serde_json::json!({ "lines": lines.join("\n") });
    assert!(file(&lines).to_string().len() > 1024 * 1024);

    // The box takes 500 at a time.
    let res = app.call(&admin, "canvass/add-addresses", &[("lines", &lines[..501].join("\n"))]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Add at most 500 addresses at a time."));
    // A wrong line anywhere in the file adds nothing, and says which line.
    let mut wrong = lines.clone();
    wrong[4_999] = "5000 Nowhere Rd".to_string();
    let res = app.call_json(&admin, "canvass/import-addresses", &file(&wrong)).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Line 5000: give the street, the city and the postal code"));
    let res = app.call_json(&admin, "canvass/import-addresses", &serde_json::json!({ "lines": "" })).await;
    assert_eq!(res.status(), 422);
    assert_eq!(count(&app, "canvass_addresses").await, 3);
    assert_eq!(count(&app, "jobs").await, 0);

    // The file, with two addresses already listed, follows as a job.
    let mut listed = lines.clone();
    listed.extend([
        "12 High St, Springfield, K1A 0B1".to_string(),
        "7 MILL LANE, Shelbyville, S2B1C3".to_string(),
    ]);
    let res = app.call_json(&admin, "canvass/import-addresses", &file(&listed)).await;
    let job = app.finished_job(&admin, ok_json(res).await.as_str().unwrap()).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!((job["total"].as_i64(), job["done"].as_i64()), (Some(5_002), Some(5_002)));
    assert_eq!(job["result"]["counts"], serde_json::json!([["added", 5_000], ["already_listed", 2]]));
    assert_eq!(job["result"]["summary"], "Added 5,000 addresses; 2 already on the list.");
    assert_eq!(count(&app, "canvass_addresses").await, 5_003);
    assert_eq!(app.events("canvass.address.updated").await.len(), 5_003, "one event per address added");
    let found = ok_json(app.call(&admin, "canvass/addresses", &[("filter[search]", "4999 y")]).await).await;
    assert_eq!(found["count"], 1);
}
