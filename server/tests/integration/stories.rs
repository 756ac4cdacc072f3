//! Impact stories over HTTP, on both databases: drafts checked and saved, published (with
//! `social.impact-story.published`) to the public pages, taken back, deleted.

use crate::common::TestApp;
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends!(stories_are_drafted_published_read_taken_back_and_deleted);

fn story_form<'a>(title: &'a str, slug: &'a str, summary: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[title]", title),
        ("form[slug]", slug),
        ("form[summary]", summary),
        (
            "form[body]",
            "Two hundred letters later,\nthe council kept the route (https://council.example/minutes/12).",
        ),
    ]
}

async fn save(app: &TestApp, client: &reqwest::Client, id: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut args = form.to_vec();
    args.push(("id", id));
    app.call(client, "stories/save", &args).await
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn stories_are_drafted_published_read_taken_back_and_deleted(app: TestApp) {
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let visitor = app.client();

    // Bad input: each field named, nothing saved.
    let long_summary = "s".repeat(301);
    for (form, field) in [
        (story_form("", "", "We won."), "title"),
        (story_form("Bus route saved", "Not A Slug", "We won."), "slug"),
        (story_form("Bus route saved", "", ""), "summary"),
        (story_form("Bus route saved", "", &long_summary), "summary"),
    ] {
        let res = save(&app, &admin, "", &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(&format!("\"field\":\"{field}\"")), "{body}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM impact_stories").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(stored, 0);

    // A draft, its address made from the title; not public yet.
    let story =
        ok_json(save(&app, &admin, "", &story_form("Bus route 12 saved!", "", "The council kept it.")).await)
            .await;
    assert_eq!(
        (story["slug"].as_str(), story["published"].as_bool()),
        (Some("bus-route-12-saved"), Some(false))
    );
    let id = story["id"].as_str().unwrap().to_string();
    let res = app.call(&visitor, "stories/public-one", &[("slug", "bus-route-12-saved")]).await;
    assert_eq!(res.status(), 404, "a draft is not public");
    assert_eq!(ok_json(app.call(&visitor, "stories/public", &[]).await).await["count"], 0);
    assert!(!app.page(&visitor, "/").await.contains("Impact stories"), "no home link yet");
    assert!(app.events("social.impact-story.published").await.is_empty());
    let created = json!({ "story_id": id, "title": "Bus route 12 saved!" });
    assert_eq!(app.events("social.impact-story.created").await, std::slice::from_ref(&created));

    // A second story may not take its address.
    let res = save(&app, &admin, "", &story_form("Another", "bus-route-12-saved", "Else.")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Another story has this address"));
    assert_eq!(
        app.events("social.impact-story.created").await,
        [created],
        "a refused story publishes nothing"
    );

    // Published: the event, the public list and page, the home page's link.
    let published =
        ok_json(app.call(&admin, "stories/publish", &[("id", id.as_str()), ("publish", "true")]).await).await;
    assert_eq!(published["published"], true);
    let events = app.events("social.impact-story.published").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["title"], "Bus route 12 saved!");
    assert_eq!(events[0]["summary"], "The council kept it.");
    assert_eq!(events[0]["url_path"], "/stories/bus-route-12-saved");
    assert_eq!(events[0]["story_id"], id.as_str());
    let res = app.call(&admin, "stories/publish", &[("id", id.as_str()), ("publish", "true")]).await;
    assert_eq!(res.status(), 409, "published once");
    assert_eq!(app.events("social.impact-story.published").await.len(), 1);
    let list = ok_json(app.call(&visitor, "stories/public", &[]).await).await;
    assert_eq!(list["rows"][0]["title"], "Bus route 12 saved!");
    let page = app.page(&visitor, "/stories/bus-route-12-saved").await;
    assert!(page.contains("the council kept the route (") && page.contains("The council kept it."), "{page}");
    // The address in the story is a link, without the sentence around it.
    assert!(
        page.contains(r#"<a href="https://council.example/minutes/12" rel="nofollow noopener""#)
            && page.contains(">https://council.example/minutes/12</a>)."),
        "{page}"
    );
    assert!(app.page(&visitor, "/stories").await.contains("Bus route 12 saved!"));
    assert!(app.page(&visitor, "/").await.contains("Impact stories"));

    // An edit of a published story shows at once, with `social.impact-story.updated`.
    ok_json(
        save(&app, &admin, &id, &story_form("Bus route 12 saved for good", "bus-route-12-saved", "Kept."))
            .await,
    )
    .await;
    assert!(app.page(&visitor, "/stories/bus-route-12-saved").await.contains("Bus route 12 saved for good"));
    assert_eq!(app.events("social.impact-story.published").await.len(), 1);
    assert_eq!(save(&app, &admin, "nope", &story_form("X", "", "Y")).await.status(), 404);
    assert_eq!(
        app.events("social.impact-story.updated").await,
        [json!({
            "story_id": id, "title": "Bus route 12 saved for good", "summary": "Kept.",
            "url_path": "/stories/bus-route-12-saved", "status": "PUBLISHED",
        })]
    );

    // Taken back to draft: off the public pages, audited.
    let draft =
        ok_json(app.call(&admin, "stories/publish", &[("id", id.as_str()), ("publish", "false")]).await)
            .await;
    assert_eq!(draft["published"], false);
    let res = app.client().get(app.url("/stories/bus-route-12-saved")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(ok_json(app.call(&visitor, "stories/public", &[]).await).await["count"], 0);
    let res = app.call(&admin, "stories/publish", &[("id", id.as_str()), ("publish", "false")]).await;
    assert_eq!(res.status(), 409);
    let named = json!({ "story_id": id, "title": "Bus route 12 saved for good" });
    assert_eq!(app.events("social.impact-story.unpublished").await, std::slice::from_ref(&named), "once");
    assert_eq!(
        app.call(&admin, "stories/publish", &[("id", "nope"), ("publish", "true")]).await.status(),
        404
    );

    // The admin pages render; deleting is audited, and a second delete is 404.
    assert!(app.page(&admin, "/admin/stories").await.contains("Bus route 12 saved for good"));
    assert!(app.page(&admin, &format!("/admin/stories/{id}")).await.contains("Draft: only admins see it."));
    assert_eq!(app.call(&admin, "stories/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(app.call(&admin, "stories/delete", &[("id", id.as_str())]).await.status(), 404);
    assert_eq!(app.events("social.impact-story.deleted").await, [named], "once");
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM admin_audit_log WHERE action LIKE 'story.%' ORDER BY action")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, ["story.deleted", "story.unpublished"]);
}
