//! Impact stories over HTTP, on both databases: drafts checked and saved, published (with
//! `social.impact-story.published`) to the public pages, taken back, deleted; their pictures
//! uploaded with what they show, served, replaced, removed and deleted with their story.

use crate::common::{TestApp, pictures};
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends!(
    stories_are_drafted_published_read_taken_back_and_deleted,
    a_story_shows_a_picture_described_for_those_who_cannot_see_it
);

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

/// A picture upload's `multipart/form-data` body: its `alt` field, if given, then the file.
fn picture_body(alt: Option<&str>, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----changemaker-test-boundary";
    let mut body = Vec::new();
    if let Some(alt) = alt {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n{alt}\r\n").bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn upload_picture(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    alt: Option<&str>,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let (content_type, body) = picture_body(alt, file_name, bytes);
    let url = app.url(&app::stories::picture_upload_path(id));
    client.post(url).header("content-type", content_type).body(body).send().await.unwrap()
}

async fn describe(app: &TestApp, client: &reqwest::Client, id: &str, alt: &str) -> reqwest::Response {
    app.call(client, "stories/describe-picture", &[("id", id), ("alt", alt)]).await
}

/// Whether the data directory holds the picture stored as `name`.
fn stored(app: &TestApp, name: &str) -> bool {
    app.config.data_dir.join("media").join("pictures").join(name).exists()
}

async fn a_story_shows_a_picture_described_for_those_who_cannot_see_it(app: TestApp) {
    let png = pictures::png(40, 30);
    let png = png.as_slice();
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let story = ok_json(save(&app, &admin, "", &story_form("Bus route 12 saved", "", "We won.")).await).await;
    let id = story["id"].as_str().unwrap().to_string();
    assert!(story["picture"].is_null());
    let alt = Some("Riders at the new bus stop");

    // Refused, each with its reason, and nothing stored or changed.
    let sam = app.signed_in("sam@example.org").await;
    assert_eq!(upload_picture(&app, &app.client(), &id, alt, "bus.png", png).await.status(), 401);
    assert_eq!(upload_picture(&app, &sam, &id, alt, "bus.png", png).await.status(), 403);
    assert_eq!(upload_picture(&app, &admin, "nope", alt, "bus.png", png).await.status(), 404);
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    for (alt, file, bytes, status, message) in [
        (alt, "bus.svg", &svg[..], 415, "Upload a JPEG, PNG, WebP or GIF picture."),
        (
            alt,
            "bus.mp4",
            &b"\0\0\0\x20ftypisom\0\0\x02\0"[..],
            415,
            "Upload a JPEG, PNG, WebP or GIF picture.",
        ),
        (alt, "empty.png", &b""[..], 422, "The file is empty."),
        (alt, "cut.png", &png[..30], 422, "This picture cannot be read"),
        (None, "bus.png", png, 422, "Say what the picture shows"),
        (Some("  "), "bus.png", png, 422, "Say what the picture shows"),
        (Some(&"x".repeat(301)), "bus.png", png, 422, "at most 300 characters"),
    ] {
        let res = upload_picture(&app, &admin, &id, alt, file, bytes).await;
        assert_eq!(res.status(), status, "{file} {alt:?}");
        assert!(res.text().await.unwrap().contains(message), "{file} {alt:?}");
    }
    let pictures = app.config.data_dir.join("media").join("pictures");
    assert_eq!(std::fs::read_dir(&pictures).unwrap().count(), 0, "nothing kept");
    assert!(
        ok_json(app.call(&admin, "stories/get", &[("id", id.as_str())]).await).await["picture"].is_null()
    );
    assert!(app.audited("story.picture.uploaded").await.is_empty());

    // Stored: the story shows it, served as it came, written to the audit log, with the event.
    let updates = app.events("social.impact-story.updated").await.len();
    let story = ok_json(
        upload_picture(&app, &admin, &id, Some(" Riders at the new bus stop "), "bus.png", png).await,
    )
    .await;
    let first = story["picture"]["name"].as_str().unwrap().to_string();
    assert!(first.ends_with(".png") && stored(&app, &first), "{first}");
    assert_eq!(story["picture"]["alt"], "Riders at the new bus stop");
    assert_eq!(story["picture"]["dimensions"], json!([40, 30]));
    let res = app.client().get(app.url(&format!("/media/pictures/{first}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(&res.bytes().await.unwrap()[..], png, "already fit for the pages: kept as it came");
    assert_eq!(app.audited("story.picture.uploaded").await, ["Bus route 12 saved: bus.png"]);
    assert_eq!(app.events("social.impact-story.updated").await.len(), updates + 1);

    // Published: on the story's page and in the list, described, with its size (the browser
    // keeps its room while it loads, rather than moving the text down once it arrives).
    ok_json(app.call(&admin, "stories/publish", &[("id", id.as_str()), ("publish", "true")]).await).await;
    let img = format!(
        "<img src=\"/media/pictures/{first}\" alt=\"Riders at the new bus stop\" width=\"40\" height=\"30\""
    );
    let page = app.page(&app.client(), "/stories/bus-route-12-saved").await;
    assert!(page.contains(&img), "{page}");
    // A link to it shared in a chat shows the picture: its whole address, under the public one.
    let shared = format!(
        "<meta property=\"og:image\" content=\"{}/media/pictures/{first}\"",
        app.config.public_url.trim_end_matches('/')
    );
    assert!(page.contains(&shared), "{page}");
    assert!(app.page(&app.client(), "/stories").await.contains(&img));

    // What it shows, said better: a blank one refused, and none on a story without a picture.
    let res = describe(&app, &admin, &id, " ").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("\"field\":\"alt\""));
    assert_eq!(describe(&app, &admin, "nope", "Riders").await.status(), 404);
    let story = ok_json(describe(&app, &admin, &id, " Riders boarding the 12 at the new stop ").await).await;
    assert_eq!(story["picture"]["alt"], "Riders boarding the 12 at the new stop");
    assert_eq!(story["picture"]["name"], first.as_str(), "the same picture");
    let page = app.page(&app.client(), "/stories/bus-route-12-saved").await;
    assert!(page.contains("alt=\"Riders boarding the 12 at the new stop\""), "{page}");
    assert_eq!(app.audited("story.picture.described").await, ["Bus route 12 saved"], "the refused ones not");

    // Replaced by a phone's photo, larger than other requests may be: the PNG goes, and the
    // photo is stored upright, scaled to the pages, without saying where it was taken.
    let photo = pictures::phone_photo(3000, 2000);
    assert!(photo.len() > 2 * 1024 * 1024, "{}", photo.len());
    let story = ok_json(upload_picture(&app, &admin, &id, alt, "IMG_0412.jpg", &photo).await).await;
    let second = story["picture"]["name"].as_str().unwrap().to_string();
    assert!(second.ends_with(".jpg") && stored(&app, &second) && !stored(&app, &first), "{second}");
    let old = app.client().get(app.url(&format!("/media/pictures/{first}"))).send().await.unwrap();
    assert_eq!(old.status(), 404);
    let res = app.client().get(app.url(&format!("/media/pictures/{second}"))).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let served = res.bytes().await.unwrap();
    assert!(served.len() * 2 < photo.len(), "{} of {}", served.len(), photo.len());
    let location = b"GPS 51.5N 0.1W";
    let names_location = |bytes: &[u8]| bytes.windows(location.len()).any(|w| w == location);
    assert!(names_location(&photo) && !names_location(&served), "the camera's location is left out");
    let shown = image::load_from_memory(&served).unwrap();
    assert_eq!((shown.width(), shown.height()), (1067, 1600));
    assert_eq!(story["picture"]["dimensions"], json!([1067, 1600]));
    let page = app.page(&app.client(), "/stories/bus-route-12-saved").await;
    let img = format!("{second}\" alt=\"Riders at the new bus stop\" width=\"1067\" height=\"1600\"");
    assert!(page.contains(&img), "{page}");
    let uploads = app.audited("story.picture.uploaded").await;
    assert!(uploads.contains(&"Bus route 12 saved: IMG_0412.jpg".to_string()), "{uploads:?}");

    // Removed, after which there is none to remove; the file goes.
    let story = ok_json(app.call(&admin, "stories/remove-picture", &[("id", id.as_str())]).await).await;
    assert!(story["picture"].is_null() && !stored(&app, &second));
    assert!(!app.page(&app.client(), "/stories/bus-route-12-saved").await.contains("<img"));
    let res = app.call(&admin, "stories/remove-picture", &[("id", id.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("This story has no picture."));
    assert_eq!(app.call(&admin, "stories/remove-picture", &[("id", "nope")]).await.status(), 404);
    let res = describe(&app, &admin, &id, "Riders").await;
    assert_eq!(res.status(), 409, "no picture to describe");
    assert_eq!(app.audited("story.picture.removed").await, ["Bus route 12 saved"]);

    // A file over 10 MB is refused.
    let huge = [png, &vec![7u8; 10 * 1024 * 1024]].concat();
    let res = upload_picture(&app, &admin, &id, alt, "huge.png", &huge).await;
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("larger than the limit of 10 MB"));

    // Deleting the story removes its picture.
    let story = ok_json(upload_picture(&app, &admin, &id, alt, "bus.png", png).await).await;
    let third = story["picture"]["name"].as_str().unwrap().to_string();
    assert!(stored(&app, &third));
    assert_eq!(app.call(&admin, "stories/delete", &[("id", id.as_str())]).await.status(), 200);
    assert!(!stored(&app, &third));
}
