//! A contact's personal data over HTTP, on both databases: downloaded whole for a request
//! for their data; erased, leaving nothing of the person in any table while what they did
//! still counts, once nothing still needs them.

use crate::common::{TestApp, eventually};
use app::db::Backend;
use app::events::Actor;
use app::shifts::{SignupForm, SignupSource};
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends!(
    a_contacts_data_is_downloaded_whole,
    erasing_a_contact_leaves_nothing_of_them_in_any_table,
    erasing_waits_for_what_still_needs_the_person,
    a_copy_made_from_events_read_before_the_erasure_names_no_one,
    a_listeners_copy_waits_for_an_erasure_in_progress,
);

const NAME: &str = "Zephyrine Quillfeather";
const EMAIL: &str = "zephyrine.q@example.org";
const PHONE: &str = "+1 555 0142 77";

async fn admin(app: &TestApp) -> reqwest::Client {
    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    app.signed_in("admin@example.org").await
}

/// Signs `email` up for shift `shift` through the shifts service, as the public form does.
async fn sign_up(app: &TestApp, shift: &str, name: &str, email: &str, phone: &str) {
    let form = SignupForm { name: name.into(), email: email.into(), phone: phone.into() };
    app::shifts::service::sign_up(&app.bus(), &Actor::System, shift, &form, SignupSource::Public, None)
        .await
        .unwrap();
}

/// Runs `sql`, with `value` as `$1` where it has one.
async fn exec(app: &TestApp, sql: &str, value: &str) {
    let query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    let query = if sql.contains("$1") { query.bind(value.to_string()) } else { query };
    query.execute(app.db.pool()).await.unwrap();
}

/// Every text column of every table: where personal data can be.
async fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    let sql = match app.db.backend() {
        Backend::Sqlite => {
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             AND UPPER(c.type) = 'TEXT'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND data_type = 'text' AND table_name NOT LIKE '_sqlx%'"
        }
    };
    sqlx::query_as(sql).fetch_all(app.db.pool()).await.unwrap()
}

/// The `table.column`s holding `text` (any case) anywhere in their values.
async fn places_holding(app: &TestApp, text: &str) -> Vec<String> {
    let pattern = format!("%{}%", text.to_lowercase());
    let mut found = Vec::new();
    for (table, column) in text_columns(app).await {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE LOWER(\"{column}\") LIKE $1");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(&pattern)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

async fn event_log_has(app: &TestApp, topic: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_log WHERE topic = $1")
        .bind(topic)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n > 0
}

async fn has_activity(app: &TestApp, contact_id: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_activity WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n > 0
}

async fn erase(app: &TestApp, admin: &reqwest::Client, id: &str, confirm: &str) -> reqwest::Response {
    app.call(admin, "contacts/erase", &[("id", id), ("confirm_email", confirm)]).await
}

async fn a_contacts_data_is_downloaded_whole(app: TestApp) {
    let shift = crate::common::create_shift_tomorrow(&app, "Leafleting").await;
    sign_up(&app, &shift.id, NAME, EMAIL, PHONE).await;
    sign_up(&app, &shift.id, "Other Person", "other@example.org", "").await;
    let id = app::contacts::service::id_by_email(&app.db, EMAIL).await.unwrap().unwrap();
    let admin = admin(&app).await;
    assert_eq!(
        app.call(&admin, "contacts/tags", &[("id", id.as_str()), ("add", "ward 7")]).await.status(),
        200
    );
    for sql in [
        // An older donation made before they were a contact: found by its email.
        "INSERT INTO donations (id, contact_id, name, email, amount_cents, currency, frequency, status, \
         stripe_session, stripe_customer, created_at, updated_at) VALUES ('d1', NULL, 'Zeph Q', \
         'zephyrine.q@example.org', 2500, 'cad', 'ONE_OFF', 'PAID', 'cs_test_hidden_1', 'cus_hidden_1', 1, 1)",
        "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
         email_template, status, emails_sent, created_at, updated_at) \
         VALUES ('c1', 'park', 'Save the park', '', '', '', '[]', 'S', 'T', 'ACTIVE', 1, 1, 1)",
        "INSERT INTO campaign_emails (id, campaign_id, contact_id, supporter_name, supporter_email, postal_code, \
         message, recipient_count, created_at) VALUES ('e1', 'c1', $1, 'Zephyrine Quillfeather', \
         'zephyrine.q@example.org', 'K1A', 'Please keep the park', 2, 1)",
        "INSERT INTO sms_messages (id, provider_id, phone, body, sentiment, contact_id, created_at) \
         VALUES ('m1', 'SM1', '+1 555 0142 77', 'Count me in', 'POSITIVE', $1, 1)",
        "INSERT INTO sms_replies (id, message_id, body, provider_id, sent_by, sent_at) \
         VALUES ('r1', 'm1', 'See you Saturday', 'SM2', 'admin', 2)",
        "INSERT INTO canvass_addresses (id, street, city, postal_code, address_key, contact_id, created_at, \
         updated_at) VALUES ('ad1', '12 Elm Street', 'Ottawa', 'K1A 0B1', '12 elm street|k1a 0b1', $1, 1, 1)",
        "INSERT INTO meetings (id, title, agenda, location, starts_at, ends_at, created_at, updated_at) \
         VALUES ('mt1', 'Planning night', '', 'Hall', 10, 20, 1, 1)",
        "INSERT INTO meeting_attendees (id, meeting_id, email, invited_at, reply) \
         VALUES ('a1', 'mt1', 'zephyrine.q@example.org', 5, 'YES')",
    ] {
        exec(&app, sql, &id).await;
    }
    eventually("the sign-up is on the timeline", || has_activity(&app, &id)).await;

    let path = format!("/api/contacts/{id}/data.json");
    let res = admin.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, format!("attachment; filename=\"contact-{id}.json\""));
    let text = res.text().await.unwrap();
    assert!(!text.contains("hidden_1"), "payment providers' ids are never in it: {text}");
    assert!(!text.contains("Other Person") && !text.contains("other@example.org"), "only theirs: {text}");
    let data: Value = serde_json::from_str(&text).unwrap();
    let contact = &data["contact"];
    assert_eq!(
        (&contact["name"], &contact["email"], &contact["phone"]),
        (&json!(NAME), &json!(EMAIL), &json!(PHONE))
    );
    assert_eq!(contact["tags"], json!(["ward 7"]));
    assert_eq!(data["organisation"], json!(app::settings::organisation_name(&app.db).await.unwrap()));
    let signups = data["shift_signups"].as_array().unwrap();
    assert_eq!(signups.len(), 1, "{signups:?}");
    assert_eq!((&signups[0]["shift"], &signups[0]["status"]), (&json!("Leafleting"), &json!("CONFIRMED")));
    let starts = signups[0]["starts_at"].as_str().unwrap();
    assert_eq!(starts, app::events::rfc3339_from_unix_ms(shift.starts_at * 1000), "times in RFC 3339");
    let pick = |section: &str, key: &str| -> Vec<Value> {
        data[section]
            .as_array()
            .unwrap_or_else(|| panic!("{section}"))
            .iter()
            .map(|row| row[key].clone())
            .collect()
    };
    assert_eq!(pick("donations", "amount_cents"), [json!(2500)]);
    assert_eq!(pick("donations", "created_at"), [json!("1970-01-01T00:00:01.000Z")]);
    assert_eq!(pick("campaign_emails", "message"), [json!("Please keep the park")]);
    assert_eq!(pick("campaign_emails", "campaign"), [json!("Save the park")]);
    assert_eq!(pick("texts_received", "body"), [json!("Count me in")]);
    assert_eq!(pick("text_replies", "body"), [json!("See you Saturday")]);
    assert_eq!(pick("addresses", "street"), [json!("12 Elm Street")]);
    assert_eq!(pick("meeting_invitations", "meeting"), [json!("Planning night")]);
    assert_eq!(pick("meeting_invitations", "reply"), [json!("YES")]);
    let subjects = pick("emails_sent_to_them", "subject");
    assert!(
        subjects.iter().any(|s| s.as_str().unwrap().contains("Leafleting")),
        "the confirmation: {subjects:?}"
    );
    let summaries = pick("activity", "summary");
    assert!(summaries.contains(&json!("Signed up for Leafleting")), "{summaries:?}");
    for section in ["orders", "subscriptions", "tickets", "canvass_visits", "videos_watched"] {
        assert_eq!(data[section], json!([]), "{section}");
    }

    // Contact managers only; an unknown or erased contact has none.
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    app.create_user("pay@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    for (client, status) in [
        (app.client(), 401),
        (app.signed_in("vol@example.org").await, 403),
        (app.signed_in("pay@example.org").await, 403),
    ] {
        assert_eq!(client.get(app.url(&path)).send().await.unwrap().status(), status);
    }
    let unknown = admin.get(app.url("/api/contacts/nobody/data.json")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    exec(&app, "UPDATE shifts SET starts_at = 1, ends_at = 2 WHERE id = $1", &shift.id).await;
    assert_eq!(erase(&app, &admin, &id, EMAIL).await.status(), 200);
    assert_eq!(admin.get(app.url(&path)).send().await.unwrap().status(), 404);
}

async fn erasing_a_contact_leaves_nothing_of_them_in_any_table(app: TestApp) {
    let shift = crate::common::create_shift_tomorrow(&app, "Leafleting").await;
    // First known by a mistyped address, which an admin corrects.
    sign_up(&app, &shift.id, NAME, "zephyrine.q@exmaple.org", PHONE).await;
    sign_up(&app, &shift.id, "Other Person", "other@example.org", "").await;
    let id = app::contacts::service::id_by_email(&app.db, "zephyrine.q@exmaple.org").await.unwrap().unwrap();
    let admin = admin(&app).await;
    let back = [("id", id.as_str()), ("form[name]", NAME), ("form[email]", EMAIL), ("form[phone]", PHONE)];
    assert_eq!(app.call(&admin, "contacts/update", &back).await.status(), 200);
    assert_eq!(
        app.call(&admin, "contacts/tags", &[("id", id.as_str()), ("add", "ward 7")]).await.status(),
        200
    );
    // Also once a second contact, with a sign-up for the same shift, merged into this one.
    sign_up(&app, &shift.id, "Zeph Q", "zeph.work@example.org", "+1 555 0199 88").await;
    let merge = [("survivor", id.as_str()), ("duplicate_email", "zeph.work@example.org")];
    assert_eq!(app.call(&admin, "contacts/merge", &merge).await.status(), 200);
    // The shift is over by the time they ask to be forgotten.
    sqlx::query("UPDATE shifts SET starts_at = starts_at - 259200, ends_at = ends_at - 259200 WHERE id = $1")
        .bind(&shift.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    for sql in [
        "INSERT INTO donations (id, contact_id, name, email, amount_cents, currency, frequency, status, created_at, \
         updated_at) VALUES ('d1', $1, 'Zephyrine Quillfeather', 'zephyrine.q@example.org', 2500, 'cad', 'ONE_OFF', \
         'PAID', 1, 1)",
        "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
         email_template, status, emails_sent, created_at, updated_at) \
         VALUES ('c1', 'park', 'Park', '', '', '', '[]', 'S', 'T', 'ACTIVE', 1, 1, 1)",
        "INSERT INTO campaign_emails (id, campaign_id, contact_id, supporter_name, supporter_email, postal_code, \
         message, recipient_count, created_at) VALUES ('e1', 'c1', $1, 'Zephyrine Quillfeather', \
         'zephyrine.q@example.org', 'K1A 0Q7', 'From Zephyrine Quillfeather of Elm Street', 1, 1)",
        "INSERT INTO email_outbox (id, to_address, subject, body, status, attempts, next_attempt_at, created_at) \
         VALUES ('o1', 'mp@example.org', 'Save the park', \
         'Sincerely, Zephyrine Quillfeather (zephyrine.q@example.org)', 'SENT', 1, 1, 1)",
        "INSERT INTO ticketed_events (id, slug, title, description, venue, starts_at, ends_at, status, created_at, \
         updated_at) VALUES ('ev1', 'gala', 'Gala', '', 'Hall', 10, 20, 'PUBLISHED', 1, 1)",
        "INSERT INTO ticket_tiers (id, event_id, name, kind, price_cents, capacity, issued, position) \
         VALUES ('tier1', 'ev1', 'General', 'FREE', 0, 10, 1, 0)",
        "INSERT INTO tickets (id, event_id, tier_id, code, contact_id, name, email, status, created_at) \
         VALUES ('t1', 'ev1', 'tier1', 'AAAA-BBBB-CCCC', $1, 'Zephyrine Quillfeather', 'zephyrine.q@example.org', \
         'VALID', 1)",
        "INSERT INTO sms_messages (id, provider_id, phone, body, sentiment, contact_id, created_at) \
         VALUES ('m1', 'SM1', '+1 555 0142 77', 'Count me in', 'POSITIVE', $1, 1)",
        "INSERT INTO sms_replies (id, message_id, body, provider_id, sent_by, sent_at) \
         VALUES ('r1', 'm1', 'Thanks Zephyrine Quillfeather!', 'SM2', 'admin', 1)",
        "INSERT INTO meetings (id, title, agenda, location, starts_at, ends_at, created_at, updated_at) \
         VALUES ('mt1', 'Planning', '', 'Hall', 10, 20, 1, 1)",
        "INSERT INTO meeting_attendees (id, meeting_id, email, invited_at) \
         VALUES ('a1', 'mt1', 'zephyrine.q@example.org', 1)",
    ] {
        exec(&app, sql, &id).await;
    }
    // The email to their representative, as the campaign published it.
    let sent = app::events::catalog::CampaignEmailSent {
        campaign_id: "c1".into(),
        campaign_title: "Park".into(),
        email_id: "e1".into(),
        contact_id: Some(id.clone()),
        supporter_name: NAME.into(),
        supporter_email: EMAIL.into(),
        postal_code: Some("K1A 0Q7".into()),
        recipient_count: 1,
    };
    app.publish(&app::events::Event::CampaignEmailSent(sent)).await;
    eventually(
        "the sign-ups, the tag and the correction are in the event log and on the timeline",
        || async {
            event_log_has(&app, "contact.updated").await
                && event_log_has(&app, "contact.tags.changed").await
                && has_activity(&app, &id).await
        },
    )
    .await;
    let before = places_holding(&app, EMAIL).await;
    for place in ["contacts.email", "event_log.payload", "admin_audit_log.entity"] {
        assert!(before.contains(&place.to_string()), "{place} in {before:?}");
    }
    let postal = places_holding(&app, "K1A 0Q7").await;
    assert!(postal.contains(&"campaign_emails.postal_code".to_string()), "{postal:?}");
    assert!(postal.iter().any(|place| place.ends_with(".payload")), "the event: {postal:?}");
    let mistyped = places_holding(&app, "zephyrine.q@exmaple.org").await;
    assert!(mistyped.contains(&"shift_signups.email".to_string()), "{mistyped:?}");

    // A wrong confirmation changes nothing.
    let res = erase(&app, &admin, &id, "other@example.org").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Type this contact's email exactly"));
    assert_eq!(places_holding(&app, EMAIL).await, before);
    let res = erase(&app, &admin, &id, " Zephyrine.Q@example.org ").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    eventually("the erasure is in the event log", || event_log_has(&app, "contact.erased")).await;

    for text in [
        NAME,
        EMAIL,
        PHONE,
        "zephyrine.q@exmaple.org",
        "Zeph Q",
        "zeph.work@example.org",
        "+1 555 0199 88",
        "Elm Street",
        "Count me in",
        // The postal code they gave writing to their representative.
        "K1A 0Q7",
    ] {
        assert_eq!(places_holding(&app, text).await, Vec::<String>::new(), "{text} is still held");
    }
    // What they did still counts, under the erased contact.
    let (signups, donated): (i64, i64) = (
        sqlx::query_scalar("SELECT COUNT(*) FROM shift_signups WHERE shift_id = $1 AND contact_id = $2")
            .bind(&shift.id)
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
        sqlx::query_scalar(
            "SELECT amount_cents FROM donations WHERE contact_id = $1 AND name = 'Erased contact'",
        )
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap(),
    );
    assert_eq!((signups, donated), (2, 2500), "both sign-ups, the merged duplicate's too");
    let ticket: (String, String) = sqlx::query_as("SELECT name, status FROM tickets WHERE id = 't1'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(ticket, ("Erased contact".to_string(), "VALID".to_string()));
    // Someone else is untouched.
    let others = places_holding(&app, "Other Person").await;
    assert!(others.contains(&"shift_signups.name".to_string()), "{others:?}");
    assert_eq!(app.events("contact.erased").await, [serde_json::json!({ "contact_id": id })]);

    // The erased contact is gone from the pages, the export and every change.
    let res = app.call(&admin, "contacts/get", &[("id", id.as_str())]).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("personal data was erased on"));
    let list: Value = app.call(&admin, "contacts/list", &[]).await.json().await.unwrap();
    assert_eq!(list["count"], 1, "{list}");
    let csv = admin.get(app.url("/api/contacts.csv")).send().await.unwrap().text().await.unwrap();
    assert!(!csv.contains("Erased contact") && !csv.contains("erased:"), "{csv}");
    assert_eq!(app.call(&admin, "contacts/tags", &[("id", id.as_str()), ("add", "x")]).await.status(), 404);
    assert_eq!(app.call(&admin, "contacts/update", &back).await.status(), 404);
    assert_eq!(erase(&app, &admin, &id, EMAIL).await.status(), 404, "erased once");
    // Coming back later, they are a new contact.
    let again = crate::common::create_shift_tomorrow(&app, "Canvass").await;
    sign_up(&app, &again.id, NAME, EMAIL, "").await;
    let new_id = app::contacts::service::id_by_email(&app.db, EMAIL).await.unwrap().unwrap();
    assert_ne!(new_id, id);
}

async fn erasing_waits_for_what_still_needs_the_person(app: TestApp) {
    let shift = crate::common::create_shift_tomorrow(&app, "Leafleting").await;
    sign_up(&app, &shift.id, NAME, EMAIL, PHONE).await;
    let id = app::contacts::service::id_by_email(&app.db, EMAIL).await.unwrap().unwrap();
    app.create_user(EMAIL, Role::Volunteer, UserStatus::Active).await;
    let far = app::db::now_unix() + 30 * 86_400;
    for sql in [
        "INSERT INTO subscription_plans (id, name, amount_cents, billing_interval, active, created_at, updated_at) \
         VALUES ('p1', 'Monthly', 1000, 'month', 1, 1, 1)",
        "INSERT INTO subscriptions (id, plan_id, contact_id, name, email, amount_cents, currency, status, \
         created_at, updated_at) VALUES ('s1', 'p1', $1, 'Zephyrine Quillfeather', 'zephyrine.q@example.org', \
         1000, 'cad', 'ACTIVE', 1, 1)",
        "INSERT INTO sms_campaigns (id, name, body, tag, status, recipient_count, created_by, created_at) \
         VALUES ('sc1', 'Rally', 'Come', '', 'SENDING', 1, 'admin', 1)",
        "INSERT INTO sms_recipients (campaign_id, phone, contact_id, position, status, updated_at) \
         VALUES ('sc1', '+1 555 0142 77', $1, 0, 'PENDING', 1)",
    ] {
        exec(&app, sql, &id).await;
    }
    sqlx::query(
        "INSERT INTO ticketed_events (id, slug, title, description, venue, starts_at, ends_at, status, created_at, \
         updated_at) VALUES ('ev1', 'gala', 'Gala', '', 'Hall', $1, $2, 'PUBLISHED', 1, 1)",
    )
    .bind(far)
    .bind(far + 3600)
    .execute(app.db.pool())
    .await
    .unwrap();
    exec(
        &app,
        "INSERT INTO ticket_tiers (id, event_id, name, kind, price_cents, capacity, issued, position) \
         VALUES ('tier1', 'ev1', 'General', 'FREE', 0, 10, 1, 0)",
        "",
    )
    .await;
    exec(
        &app,
        "INSERT INTO tickets (id, event_id, tier_id, code, contact_id, name, email, status, created_at) \
         VALUES ('t1', 'ev1', 'tier1', 'AAAA-BBBB-CCCC', $1, 'Zephyrine Quillfeather', 'zephyrine.q@example.org', \
         'VALID', 1)",
        &id,
    )
    .await;
    let admin = admin(&app).await;
    let before = places_holding(&app, EMAIL).await;

    let res = erase(&app, &admin, &id, EMAIL).await;
    assert_eq!(res.status(), 409);
    let message = res.text().await.unwrap();
    for reason in [
        "They have an account",
        "They give monthly",
        "They are signed up for 1 upcoming shift",
        "They hold 1 ticket for an event still to come",
        "A text campaign is still sending to them",
    ] {
        assert!(message.contains(reason), "{reason} in {message}");
    }
    assert_eq!(places_holding(&app, EMAIL).await, before, "a refusal changes nothing");
    assert!(app.events("contact.erased").await.is_empty());

    // Once none of it holds, the same request erases them.
    exec(&app, "DELETE FROM users WHERE email = $1", EMAIL).await;
    for sql in [
        "UPDATE subscriptions SET status = 'CANCELLED' WHERE contact_id = $1",
        "UPDATE sms_recipients SET status = 'SENT' WHERE contact_id = $1",
        "UPDATE tickets SET status = 'CANCELLED' WHERE contact_id = $1",
        "UPDATE shift_signups SET status = 'CANCELLED' WHERE contact_id = $1",
    ] {
        exec(&app, sql, &id).await;
    }
    let res = erase(&app, &admin, &id, EMAIL).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.events("contact.erased").await.len(), 1);
}

/// The event log and the contacts' timelines copy events in their listeners' own time. A
/// batch of events read before an erasure and written after it leaves nothing of the person.
async fn a_copy_made_from_events_read_before_the_erasure_names_no_one(app: TestApp) {
    let shift = crate::common::create_shift_tomorrow(&app, "Leafleting").await;
    sign_up(&app, &shift.id, NAME, EMAIL, PHONE).await;
    let id = app::contacts::service::id_by_email(&app.db, EMAIL).await.unwrap().unwrap();
    let admin = admin(&app).await;
    let head = app::bus::outbox::head(&app.db).await.unwrap();
    for listener in [app::bus::event_log::NAME, app::contacts::activity::NAME] {
        let limit = std::time::Duration::from_secs(10);
        assert!(app::bus::caught_up(&app.db, listener, head, limit).await.unwrap(), "{listener}");
    }
    // The events as the listeners read them, and their copies as if not yet written.
    let events = app::bus::outbox::read_after(&app.db, 0, 1000).await.unwrap();
    assert!(events.iter().any(|e| e.payload.to_string().contains(EMAIL)));
    exec(&app, "DELETE FROM event_log", "").await;
    exec(&app, "DELETE FROM contact_activity", "").await;
    exec(&app, "UPDATE shifts SET starts_at = 1, ends_at = 2 WHERE id = $1", &shift.id).await;
    assert_eq!(erase(&app, &admin, &id, EMAIL).await.status(), 200);

    for listener in
        [app::bus::event_log::listener(app.db.clone()), app::contacts::activity::listener(app.db.clone())]
    {
        (listener.handler)(events.clone()).await.unwrap();
    }
    assert!(event_log_has(&app, "shift.signup.created").await, "what happened is logged");
    for text in [NAME, EMAIL, PHONE] {
        assert_eq!(places_holding(&app, text).await, Vec::<String>::new(), "{text} is still held");
    }
    assert!(!has_activity(&app, &id).await, "no timeline for an erased contact");
}

/// A listener's copy made while an erasure is under way waits for it (on PostgreSQL for the
/// erasure's lock, on SQLite for the one writer), then copies what the erasure left.
async fn a_listeners_copy_waits_for_an_erasure_in_progress(app: TestApp) {
    let shift = crate::common::create_shift_tomorrow(&app, "Leafleting").await;
    sign_up(&app, &shift.id, NAME, EMAIL, PHONE).await;
    let head = app::bus::outbox::head(&app.db).await.unwrap();
    let limit = std::time::Duration::from_secs(10);
    assert!(app::bus::caught_up(&app.db, app::bus::event_log::NAME, head, limit).await.unwrap());
    let events = app::bus::outbox::read_after(&app.db, 0, 1000).await.unwrap();
    exec(&app, "DELETE FROM event_log", "").await;

    // An erasure's transaction, holding its lock while it scrubs the outbox.
    let mut erasure = app.db.begin_write().await.unwrap();
    app::db::lock_key(&mut erasure, app::bus::COPIES_LOCK).await.unwrap();
    sqlx::query("UPDATE event_outbox SET payload = REPLACE(payload, $1, 'erased')")
        .bind(EMAIL)
        .execute(&mut *erasure)
        .await
        .unwrap();
    let handler = app::bus::event_log::listener(app.db.clone()).handler;
    let copy = tokio::spawn(handler(events));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!copy.is_finished(), "the copy waits for the erasure");
    erasure.commit().await.unwrap();
    copy.await.unwrap().unwrap();
    assert!(event_log_has(&app, "shift.signup.created").await);
    let held = places_holding(&app, EMAIL).await;
    assert!(!held.iter().any(|place| place.starts_with("event_")), "only the untouched tables: {held:?}");
}
