//! Edit forms that create and update through one `…/save` function, on both databases: a save
//! from a form opened before someone else saved the same record is refused and changes
//! nothing; the form's own next save goes through. (Shifts, campaigns, ticketed events and
//! contacts are checked in their own files.)

use crate::common::TestApp;
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(a_save_from_a_form_opened_before_someone_elses_save_is_refused);

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
