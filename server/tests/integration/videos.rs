//! Videos over HTTP, on both databases: drafts checked and saved, published (with
//! `video.published`) to the public pages, plays counted as views once per viewer a day (with
//! `video.viewed`), taken back (with `video.unpublished`), deleted.

use crate::common::TestApp;
use app::media::service::{Viewer, count_view};
use app::users::{Role, UserStatus};
use serde_json::Value;

on_both_backends!(videos_are_drafted_published_watched_taken_back_and_deleted);

const FILE: &str = "https://media.example.org/march.mp4";

fn video_form<'a>(title: &'a str, slug: &'a str, url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[title]", title),
        ("form[slug]", slug),
        ("form[video_url]", url),
        ("form[description]", "Two thousand of us,\nfrom the station to city hall."),
    ]
}

async fn save(app: &TestApp, client: &reqwest::Client, id: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut args = form.to_vec();
    args.push(("id", id));
    app.call(client, "videos/save", &args).await
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn videos_are_drafted_published_watched_taken_back_and_deleted(app: TestApp) {
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let visitor = app.client();

    // Bad input: each field named, nothing saved.
    for (form, field) in [
        (video_form("", "", FILE), "title"),
        (video_form("March", "Not A Slug", FILE), "slug"),
        (video_form("March", "", ""), "video_url"),
        (video_form("March", "", "http://media.example.org/march.mp4"), "video_url"),
        (video_form("March", "", "javascript:alert(1)"), "video_url"),
    ] {
        let res = save(&app, &admin, "", &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(&format!("\"field\":\"{field}\"")), "{body}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM videos").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(stored, 0);

    // A draft: not public, and a play of it counts nothing.
    let video = ok_json(save(&app, &admin, "", &video_form("March for transit!", "", FILE)).await).await;
    assert_eq!(
        (video["slug"].as_str(), video["published"].as_bool()),
        (Some("march-for-transit"), Some(false))
    );
    let id = video["id"].as_str().unwrap().to_string();
    assert_eq!(app.call(&visitor, "videos/public-one", &[("slug", "march-for-transit")]).await.status(), 404);
    assert_eq!(app.call(&visitor, "videos/viewed", &[("slug", "march-for-transit")]).await.status(), 404);
    assert_eq!(ok_json(app.call(&visitor, "videos/public", &[]).await).await["count"], 0);
    assert!(!app.page(&visitor, "/").await.contains("href=\"/videos\""), "no home link yet");
    let res = save(&app, &admin, "", &video_form("Another", "march-for-transit", FILE)).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Another video has this address"));

    // Published: the event, the public list and the page with its player.
    let published =
        ok_json(app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await).await;
    assert_eq!(published["published"], true);
    let events = app.events("video.published").await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0]["video_id"].as_str(), events[0]["title"].as_str(), events[0]["url_path"].as_str()),
        (Some(id.as_str()), Some("March for transit!"), Some("/videos/march-for-transit"))
    );
    assert_eq!(
        app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await.status(),
        409
    );
    assert_eq!(app.events("video.published").await.len(), 1);
    assert_eq!(
        ok_json(app.call(&visitor, "videos/public", &[]).await).await["rows"][0]["title"],
        "March for transit!"
    );
    let page = app.page(&visitor, "/videos/march-for-transit").await;
    assert!(
        page.contains(&format!("src=\"{FILE}\"")) && page.contains("from the station to city hall."),
        "{page}"
    );
    assert!(app.page(&visitor, "/videos").await.contains("March for transit!"));
    assert!(app.page(&visitor, "/").await.contains("href=\"/videos\""), "the home page links to them");

    // Plays: once per viewer a day. The visitor counts once however often they play; a
    // signed-in supporter with a contact counts once more, on their contact.
    assert_eq!(
        ok_json(app.call(&visitor, "videos/viewed", &[("slug", "march-for-transit")]).await).await,
        true
    );
    assert_eq!(
        ok_json(app.call(&visitor, "videos/viewed", &[("slug", "march-for-transit")]).await).await,
        false
    );
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let contact_id = {
        let mut tx = app.db.begin_write().await.unwrap();
        let found = app::contacts::service::find_or_create(&mut tx, "sam@example.org", "Sam", None, "PUBLIC")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        found.id
    };
    let sam = app.signed_in("sam@example.org").await;
    assert_eq!(ok_json(app.call(&sam, "videos/viewed", &[("slug", "march-for-transit")]).await).await, true);
    assert_eq!(ok_json(app.call(&sam, "videos/viewed", &[("slug", "march-for-transit")]).await).await, false);
    let viewed = app.events("video.viewed").await;
    assert_eq!(viewed.len(), 2);
    assert_eq!(
        (viewed[0]["contact_id"].is_null(), viewed[0]["title"].as_str()),
        (true, Some("March for transit!"))
    );
    assert_eq!(viewed[1]["contact_id"].as_str(), Some(contact_id.as_str()));
    // Another address counts on its own, and the same one again the next day.
    let now = app::db::now_unix();
    let elsewhere = Viewer::Address("203.0.113.9".into());
    assert!(count_view(&app.bus(), "march-for-transit", &elsewhere, now).await.unwrap());
    assert!(!count_view(&app.bus(), "march-for-transit", &elsewhere, now).await.unwrap());
    assert!(count_view(&app.bus(), "march-for-transit", &elsewhere, now + 86_400).await.unwrap());
    assert_eq!(ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await["views"], 4);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT viewer FROM video_views").fetch_all(app.db.pool()).await.unwrap();
    assert!(stored.iter().all(|v| !v.contains("127.0.0.1") && !v.contains("203.0.113.9")), "{stored:?}");

    // An edit shows at once and publishes nothing more.
    ok_json(save(&app, &admin, &id, &video_form("March for transit, 2026", "march-for-transit", FILE)).await)
        .await;
    assert!(app.page(&visitor, "/videos/march-for-transit").await.contains("March for transit, 2026"));
    assert_eq!(app.events("video.published").await.len(), 1);
    assert_eq!(save(&app, &admin, "nope", &video_form("X", "", FILE)).await.status(), 404);

    // Taken back to draft: off the public pages, with the event.
    let draft =
        ok_json(app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "false")]).await).await;
    assert_eq!(draft["published"], false);
    let unpublished = app.events("video.unpublished").await;
    assert_eq!((unpublished.len(), unpublished[0]["video_id"].as_str()), (1, Some(id.as_str())));
    assert_eq!(app.client().get(app.url("/videos/march-for-transit")).send().await.unwrap().status(), 404);
    assert_eq!(ok_json(app.call(&visitor, "videos/public", &[]).await).await["count"], 0);
    assert_eq!(
        app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "false")]).await.status(),
        409
    );
    assert_eq!(
        app.call(&admin, "videos/publish", &[("id", "nope"), ("publish", "true")]).await.status(),
        404
    );

    // The admin pages render; deleting takes the views with it, is audited, and a second
    // delete is 404.
    assert!(app.page(&admin, "/admin/videos").await.contains("March for transit, 2026"));
    assert!(app.page(&admin, &format!("/admin/videos/{id}")).await.contains("Draft: only admins see it."));
    assert_eq!(app.call(&admin, "videos/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "videos/delete", &[("id", id.as_str())]).await.status(), 404);
    let views: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM video_views").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(views, 0);
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM admin_audit_log WHERE action LIKE 'video.%'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, ["video.deleted"]);
}
