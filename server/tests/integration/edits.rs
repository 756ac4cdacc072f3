//! Edit forms that create and update through one `…/save` function, on both databases: a save
//! from a form opened before someone else saved the same record is refused and changes
//! nothing; the form's own next save goes through. (Shifts, campaigns, ticketed events and
//! contacts are checked in their own files.) Settings forms are held to the same rule.

use crate::common::TestApp;
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(
    a_save_from_a_form_opened_before_someone_elses_save_is_refused,
    a_settings_save_from_a_form_opened_before_someone_elses_is_refused,
);

/// A record kind with an edit form: its save function, its table, the form field (and
/// column) each save here changes, what the refusal calls it, and the rest of a valid form.
struct Editable {
    endpoint: &'static str,
    table: &'static str,
    field: &'static str,
    what: &'static str,
    form: Vec<(&'static str, String)>,
}

fn editables() -> Vec<Editable> {
    let date = app::time::date_time_from_unix(app::db::now_unix() + 7 * 86_400).0;
    let form = |pairs: &[(&'static str, &str)]| pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
    vec![
        Editable {
            endpoint: "stories/save",
            table: "impact_stories",
            field: "title",
            what: "this story",
            form: form(&[
                ("form[summary]", "The council kept it."),
                ("form[body]", "Two hundred letters later."),
            ]),
        },
        Editable {
            endpoint: "videos/save",
            table: "videos",
            field: "title",
            what: "this video",
            form: form(&[("form[video_url]", "https://video.example/march.mp4")]),
        },
        Editable {
            endpoint: "meetings/save",
            table: "meetings",
            field: "title",
            what: "this meeting",
            form: form(&[
                ("form[location]", "Back room, 12 High St"),
                ("form[date]", &date),
                ("form[start_time]", "18:00"),
                ("form[end_time]", "19:30"),
            ]),
        },
        Editable {
            endpoint: "payments/save-product",
            table: "products",
            field: "name",
            what: "this product",
            form: form(&[("form[slug]", "mug"), ("form[price]", "12"), ("form[active]", "true")]),
        },
        Editable {
            endpoint: "payments/save-plan",
            table: "subscription_plans",
            field: "name",
            what: "this plan",
            form: form(&[("form[amount]", "5"), ("form[interval]", "month"), ("form[active]", "true")]),
        },
    ]
}

async fn a_save_from_a_form_opened_before_someone_elses_save_is_refused(app: TestApp) {
    // Each kind has its own managing role; a super admin has them all.
    app.create_user("admin@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    for kind in editables() {
        let name_field = format!("form[{}]", kind.field);
        // The form with `id` and the name or title `name`, opened when the record had been saved
        // `edits` times (a new one says nothing).
        let save = |id: &str, name: &str, edits: Option<i64>| {
            let mut args: Vec<(String, String)> =
                kind.form.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            args.push(("id".into(), id.into()));
            args.push((name_field.clone(), name.into()));
            args.extend(edits.map(|n| ("form[edits]".to_string(), n.to_string())));
            let (app, admin) = (&app, &admin);
            async move {
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                app.call(admin, kind.endpoint, &args).await
            }
        };
        let stored = |id: String| {
            let sql = format!("SELECT {} FROM {} WHERE id = $1", kind.field, kind.table);
            let app = &app;
            async move {
                sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap()
            }
        };
        let json = |res: reqwest::Response| async move {
            let (status, body) = (res.status(), res.text().await.unwrap());
            assert_eq!(status, 200, "{}: {body}", kind.endpoint);
            serde_json::from_str::<Value>(&body).unwrap()
        };

        let created = json(save("", "Spring", None).await).await;
        let id = created["id"].as_str().unwrap().to_string();
        assert_eq!(created["edits"], 0, "{}", kind.endpoint);
        // Two organisers open its form; the first saves.
        let first = json(save(&id, "Summer", Some(0)).await).await;
        assert_eq!(first["edits"], 1, "{}", kind.endpoint);
        // The second's save, from the form opened before, would undo it: refused, nothing saved.
        let second = save(&id, "Autumn", Some(0)).await;
        assert_eq!(second.status(), 409, "{}", kind.endpoint);
        let message = format!("Someone else saved changes to {} while you were editing it", kind.what);
        assert!(second.text().await.unwrap().contains(&message), "{}", kind.endpoint);
        assert_eq!(stored(id.clone()).await, "Summer", "{}", kind.endpoint);
        // The first's form goes on saving, with the count its save answered.
        let again = json(save(&id, "Winter", Some(1)).await).await;
        assert_eq!((again["edits"].as_i64(), stored(id.clone()).await.as_str()), (Some(2), "Winter"));
        // A caller that does not send the count is not checked; an unknown record is not found.
        assert_eq!(save(&id, "Spring again", None).await.status(), 200, "{}", kind.endpoint);
        assert_eq!(save("no-such-id", "Nothing", Some(0)).await.status(), 404, "{}", kind.endpoint);
    }
}

/// A settings form: the functions that read and save it, the field each save here changes
/// (and where the settings as read show it), the four values saved in turn (each ending
/// differently: a secret reads back masked to its last four characters), what the refusal
/// calls the settings, the rest of a valid form, and the name of the count it sends.
struct SettingsForm {
    read: &'static str,
    save: &'static str,
    field: &'static str,
    shown_as: &'static str,
    values: [&'static str; 4],
    what: &'static str,
    form: &'static [(&'static str, &'static str)],
    edits_field: &'static str,
}

const SETTINGS_FORMS: &[SettingsForm] = &[
    SettingsForm {
        read: "admin/organisation",
        save: "admin/save-organisation",
        field: "organisation_name",
        shown_as: "name",
        values: ["Tenants United", "Tenants Together", "Renters First", "Neighbours Organise"],
        what: "the organisation's name and description",
        form: &[("description", "We organise renters.")],
        edits_field: "edits",
    },
    SettingsForm {
        read: "email/settings",
        save: "email/save-settings",
        field: "form[host]",
        shown_as: "host",
        values: ["smtp.example.org", "mail.example.net", "relay.example.com", "out.example.io"],
        what: "the email settings",
        form: &[("form[port]", "587"), ("form[tls]", "starttls"), ("form[from_address]", "team@example.org")],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "payments/settings",
        save: "payments/save-settings",
        field: "form[publishable_key]",
        shown_as: "publishable_key",
        values: ["pk_test_aaa1", "pk_test_bbb2", "pk_test_ccc3", "pk_test_ddd4"],
        what: "the payment settings",
        form: &[("form[currency]", "cad")],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "integrations/automation",
        save: "integrations/save-automation",
        field: "form[url]",
        shown_as: "url",
        values: [
            "https://n8n.example.org/a1",
            "https://n8n.example.org/b2",
            "https://n8n.example.org/c3",
            "https://n8n.example.org/d4",
        ],
        what: "the automation webhook's settings",
        form: &[],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "integrations/team-chat",
        save: "integrations/save-team-chat",
        field: "form[webhook_url]",
        shown_as: "webhook_url",
        values: [
            "https://chat.example.org/hooks/token-aaaa",
            "https://chat.example.org/hooks/token-bbbb",
            "https://chat.example.org/hooks/token-cccc",
            "https://chat.example.org/hooks/token-dddd",
        ],
        what: "team chat's settings",
        form: &[],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "integrations/public-calendar",
        save: "integrations/save-public-calendar",
        field: "form[calendar_url]",
        shown_as: "calendar_url",
        values: [
            "https://cal.example.org/a1",
            "https://cal.example.org/b2",
            "https://cal.example.org/c3",
            "https://cal.example.org/d4",
        ],
        what: "the public calendar's settings",
        form: &[],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "integrations/newsletter",
        save: "integrations/save-newsletter",
        field: "form[listmonk_url]",
        shown_as: "listmonk_url",
        values: [
            "https://news.example.org/a1",
            "https://news.example.org/b2",
            "https://news.example.org/c3",
            "https://news.example.org/d4",
        ],
        what: "the newsletter's settings",
        form: &[
            ("form[volunteers_list]", "Volunteers"),
            ("form[supporters_list]", "Supporters"),
            ("form[donors_list]", "Donors"),
        ],
        edits_field: "form[edits]",
    },
    SettingsForm {
        read: "integrations/sms",
        save: "integrations/save-sms",
        field: "form[from_number]",
        shown_as: "from_number",
        values: ["+15550001111", "+15550002222", "+15550003333", "+15550004444"],
        what: "the text messages settings",
        form: &[],
        edits_field: "form[edits]",
    },
];

async fn a_settings_save_from_a_form_opened_before_someone_elses_is_refused(app: TestApp) {
    app.create_user("admin@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    for kind in SETTINGS_FORMS {
        // The form with `value` in its field, opened when the settings had been saved `edits`
        // times.
        let save = |value: &'static str, edits: Option<i64>| {
            let edits = edits.map(|n| n.to_string());
            let (app, admin) = (&app, &admin);
            async move {
                let mut args: Vec<(&str, &str)> = kind.form.to_vec();
                args.push((kind.field, value));
                args.extend(edits.as_deref().map(|n| (kind.edits_field, n)));
                app.call(admin, kind.save, &args).await
            }
        };
        let read = || async {
            let res = app.call(&admin, kind.read, &[]).await;
            assert_eq!(res.status(), 200, "{}", kind.read);
            res.json::<Value>().await.unwrap()
        };
        // What the settings show is `value` (a secret by its last four characters).
        let shows = |settings: &Value, value: &str| {
            settings[kind.shown_as].as_str().unwrap().ends_with(&value[value.len() - 4..])
        };
        let [first, stale, next, unchecked] = kind.values;

        assert_eq!(read().await["edits"], 0, "{}: nothing saved yet", kind.read);
        // Two admins open the form; the first saves.
        let res = save(first, Some(0)).await;
        assert_eq!(res.status(), 200, "{}: {}", kind.save, res.text().await.unwrap());
        let saved = read().await;
        assert!(shows(&saved, first) && saved["edits"] == 1, "{}: {saved}", kind.save);
        // The second's save, from the form opened before, would undo it: refused, nothing saved.
        let res = save(stale, Some(0)).await;
        assert_eq!(res.status(), 409, "{}", kind.save);
        let message = format!("Someone else saved {} while you were editing them", kind.what);
        assert!(res.text().await.unwrap().contains(&message), "{}", kind.save);
        let after = read().await;
        assert!(shows(&after, first) && after["edits"] == 1, "{}: {after}", kind.save);
        // The first's form goes on saving, with the count its save answered.
        let res = save(next, Some(1)).await;
        let answered: Value = res.json().await.unwrap();
        assert_eq!(answered["edits"], 2, "{}: {answered}", kind.save);
        assert!(shows(&read().await, next), "{}", kind.save);
        // A caller that does not send the count is not checked.
        assert_eq!(save(unchecked, None).await.status(), 200, "{}", kind.save);
        let last = read().await;
        assert!(shows(&last, unchecked) && last["edits"] == 3, "{}: {last}", kind.save);
    }
}
