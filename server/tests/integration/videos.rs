//! Videos over HTTP, on both databases: drafts checked and saved, published (with
//! `video.published`) to the public pages, plays counted as views once per viewer a day (with
//! `video.viewed`), taken back (with `video.unpublished`), deleted; files uploaded, served in
//! byte ranges, replaced and removed with their video; captions pasted as WebVTT or SubRip,
//! served to the published video's player; poster pictures.

use crate::common::{Backend, TestApp, pictures, redirected_to};
use app::media::files::{MediaFiles, PICTURE_MAX_BYTES, PICTURES, VIDEOS};
use app::media::service::{Viewer, count_view};
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends!(
    videos_are_drafted_published_watched_taken_back_and_deleted,
    captions_are_checked_kept_as_webvtt_and_played_with_the_published_video,
    a_poster_picture_shows_before_the_video_plays_and_where_it_is_shared,
    files_uploaded_before_this_version_are_refitted_once
);
on_both_backends_with_own_server!(
    uploaded_files_are_checked_stored_served_in_ranges_and_removed_with_their_video
);

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
    let created = json!({ "video_id": id, "title": "March for transit!" });
    assert_eq!(app.events("video.created").await, [created], "the refused one publishes nothing");

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

    // An edit shows at once, with `video.updated`.
    ok_json(save(&app, &admin, &id, &video_form("March for transit, 2026", "march-for-transit", FILE)).await)
        .await;
    assert!(app.page(&visitor, "/videos/march-for-transit").await.contains("March for transit, 2026"));
    assert_eq!(app.events("video.published").await.len(), 1);
    assert_eq!(save(&app, &admin, "nope", &video_form("X", "", FILE)).await.status(), 404);
    assert_eq!(
        app.events("video.updated").await,
        [json!({
            "video_id": id, "title": "March for transit, 2026", "url_path": "/videos/march-for-transit",
            "status": "PUBLISHED",
        })]
    );

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
    assert_eq!(
        app.events("video.deleted").await,
        [json!({ "video_id": id, "title": "March for transit, 2026" })],
        "once"
    );
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

async fn save_captions(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    captions: &str,
    language: &str,
    edits: i64,
) -> reqwest::Response {
    let edits = edits.to_string();
    let args = [
        ("id", id),
        ("form[captions]", captions),
        ("form[language]", language),
        ("form[edits]", edits.as_str()),
    ];
    app.call(client, "videos/save-captions", &args).await
}

async fn captions_are_checked_kept_as_webvtt_and_played_with_the_published_video(app: TestApp) {
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let visitor = app.client();
    let video = ok_json(save(&app, &admin, "", &video_form("March for transit!", "", FILE)).await).await;
    let id = video["id"].as_str().unwrap().to_string();
    assert!(video["captions_language"].is_null());
    let none = ok_json(app.call(&admin, "videos/captions", &[("id", id.as_str())]).await).await;
    assert_eq!(none, json!({ "text": "", "language": "en", "edits": 0 }));
    let vtt_url = app.url("/api/videos/march-for-transit/captions.vtt");
    let get_vtt = || async { visitor.get(&vtt_url).send().await.unwrap() };
    let transcript = |slug: &'static str| {
        let (app, visitor) = (&app, &visitor);
        async move { app.call(visitor, "videos/transcript", &[("slug", slug)]).await }
    };

    // Bad input: the field and the line named, nothing kept.
    let srt = "1\r\n00:00:01,000 --> 00:00:04,250\r\nWe marched\r\n\r\n2\r\n00:00:05,000 --> 00:00:08,000\r\nto city hall.\r\n";
    let backwards = "WEBVTT\n\n00:00:04.000 --> 00:00:01.000\nBackwards";
    let too_long = format!("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{}", "a".repeat(200_000));
    for (captions, language, field, says) in [
        (backwards, "en", "captions", "Line 3: "),
        ("Just some words", "en", "captions", "No captions found"),
        (too_long.as_str(), "en", "captions", "plain text of at most 200,000"),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA bell\u{7}",
            "en",
            "captions",
            "plain text of at most 200,000",
        ),
        (srt, "English", "language", "a tag like en"),
        (srt, "", "language", "a tag like en"),
    ] {
        let res = save_captions(&app, &admin, &id, captions, language, 0).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{language}: {body}");
        assert!(body.contains(&format!("\"field\":\"{field}\"")) && body.contains(says), "{body}");
    }
    assert_eq!(save_captions(&app, &admin, "nope", srt, "en", 0).await.status(), 404);
    assert_eq!(
        save_captions(&app, &admin, &id, "", "", 0).await.status(),
        409,
        "there are no captions to remove"
    );
    assert_eq!(ok_json(app.call(&admin, "videos/captions", &[("id", id.as_str())]).await).await, none);
    assert!(app.audited("video.captions.saved").await.is_empty());

    // SubRip, as most captioning services export it, is kept as WebVTT; a draft's captions
    // are not served.
    let saved = ok_json(save_captions(&app, &admin, &id, srt, " fr-CA ", 0).await).await;
    let webvtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.250\nWe marched\n\n2\n00:00:05.000 --> 00:00:08.000\nto city hall.\n";
    assert_eq!(saved, json!({ "text": webvtt, "language": "fr-CA", "edits": 1 }));
    let video = ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await;
    assert_eq!(video["captions_language"], "fr-CA");
    assert!(app.page(&admin, &format!("/admin/videos/{id}")).await.contains("Captions: fr-CA."));
    assert_eq!(app.audited("video.captions.saved").await, ["March for transit! (fr-CA)"]);
    assert_eq!(app.events("video.updated").await.len(), 1);
    assert_eq!(get_vtt().await.status(), 404, "a draft's");
    assert_eq!(transcript("march-for-transit").await.status(), 404, "a draft's");
    // The admin's page plays the draft with them, read from an address only video managers
    // open, a new one at each save.
    let preview = format!("/api/videos/{id}/captions-preview.vtt");
    let page = app.page(&admin, &format!("/admin/videos/{id}")).await;
    assert!(
        page.contains(&format!("<track kind=\"captions\" default src=\"{preview}?v=1\" srclang=\"fr-CA\"")),
        "{page}"
    );
    let res = admin.get(app.url(&format!("{preview}?v=1"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/vtt; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store", "an admin's answer");
    assert_eq!(res.text().await.unwrap(), webvtt);
    assert_eq!(visitor.get(app.url(&preview)).send().await.unwrap().status(), 401);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    assert_eq!(volunteer.get(app.url(&preview)).send().await.unwrap().status(), 403);
    let other = ok_json(save(&app, &admin, "", &video_form("Rally", "", FILE)).await).await;
    let other_preview = format!("/api/videos/{}/captions-preview.vtt", other["id"].as_str().unwrap());
    assert_eq!(admin.get(app.url(&other_preview)).send().await.unwrap().status(), 404, "none saved");
    let page = app.page(&admin, &format!("/admin/videos/{}", other["id"].as_str().unwrap())).await;
    assert!(!page.contains("captions-preview"), "no player without captions");

    // Published: the player has the captions track, and the track its WebVTT.
    ok_json(app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await).await;
    let page = app.page(&visitor, "/videos/march-for-transit").await;
    assert!(
        page.contains("<track kind=\"captions\" src=\"/api/videos/march-for-transit/captions.vtt\" srclang=\"fr-CA\" label=\"Captions (fr-CA)\""),
        "{page}"
    );
    let res = get_vtt().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/vtt; charset=utf-8");
    assert_eq!(res.text().await.unwrap(), webvtt);
    // And a transcript to read under it: the words without their timings.
    assert!(
        page.contains("Read the transcript") && page.contains("<p>We marched to city hall.</p>"),
        "{page}"
    );
    assert_eq!(ok_json(transcript("march-for-transit").await).await, json!(["We marched to city hall."]));
    assert_eq!(transcript("nope").await.status(), 404);

    // A form opened before another admin's save is refused; a correction shows at once.
    assert_eq!(
        save_captions(&app, &admin, &id, backwards.replace("04", "00").as_str(), "fr-CA", 0).await.status(),
        409
    );
    // Posted by the browser itself (before the page's code has loaded), it lands back on the page.
    let corrected = "WEBVTT\n\n00:01.000 --> 00:04.250\nWe marched together";
    let form = [
        ("id", id.as_str()),
        ("form[captions]", corrected),
        ("form[language]", "fr-CA"),
        ("form[edits]", "1"),
    ];
    let res =
        app.post_as_browser(&admin, "videos/save-captions", &format!("/admin/videos/{id}"), &form).await;
    assert_eq!(redirected_to(&res), format!("/admin/videos/{id}"));
    assert!(
        get_vtt().await.text().await.unwrap().contains("00:00:01.000 --> 00:00:04.250\nWe marched together")
    );

    // Removed: the player has no track, the address is 404, and both changes were audited.
    let removed = ok_json(save_captions(&app, &admin, &id, "", "", 2).await).await;
    assert_eq!(removed, json!({ "text": "", "language": "en", "edits": 3 }));
    assert_eq!(get_vtt().await.status(), 404);
    let page = app.page(&visitor, "/videos/march-for-transit").await;
    assert!(!page.contains("<track") && !page.contains("Read the transcript"), "{page}");
    assert_eq!(ok_json(transcript("march-for-transit").await).await, json!([]));
    assert!(app.page(&admin, &format!("/admin/videos/{id}")).await.contains("No captions yet"));
    assert_eq!(app.audited("video.captions.removed").await, ["March for transit!"]);
    assert_eq!(app.audited("video.captions.saved").await.len(), 2);
    assert_eq!(app.events("video.updated").await.len(), 3);
}

/// A `multipart/form-data` body holding one file field, as a browser sends it.
fn upload_body(field: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----changemaker-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A request posting `bytes` as the file `file_name` to the upload at `path`, as a page does.
fn file_request(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::RequestBuilder {
    let (content_type, body) = upload_body("file", file_name, bytes);
    client.post(app.url(path)).header("content-type", content_type).body(body)
}

/// Uploads a video's file.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let path = app::media::upload_path(id);
    file_request(app, client, &path, file_name, bytes).send().await.unwrap()
}

/// Uploads a video's poster.
async fn upload_poster(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let path = app::media::poster_upload_path(id);
    file_request(app, client, &path, file_name, bytes).send().await.unwrap()
}

/// Posts a file to the upload at `path` as the browser does by itself (before the page's code
/// has loaded): asking for a page back.
async fn upload_as_browser(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let request = file_request(app, client, path, file_name, bytes);
    request.header("accept", "text/html,application/xhtml+xml").send().await.unwrap()
}

/// Whether the data directory holds the picture stored as `name`.
fn picture_stored(app: &TestApp, name: &str) -> bool {
    app.config.data_dir.join("media").join("pictures").join(name).exists()
}

async fn a_poster_picture_shows_before_the_video_plays_and_where_it_is_shared(app: TestApp) {
    let png = crate::common::pictures::png(160, 90);
    let png = png.as_slice();
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let video = ok_json(save(&app, &admin, "", &video_form("March for transit!", "", FILE)).await).await;
    let id = video["id"].as_str().unwrap().to_string();
    assert!(video["poster"].is_null());

    // Refused, each with its reason, and nothing stored or changed.
    let sam = app.signed_in("sam@example.org").await;
    assert_eq!(upload_poster(&app, &app.client(), &id, "poster.png", png).await.status(), 401);
    assert_eq!(upload_poster(&app, &sam, &id, "poster.png", png).await.status(), 403);
    assert_eq!(upload_poster(&app, &admin, "nope", "poster.png", png).await.status(), 404);
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    for (file, bytes, status, message) in [
        ("poster.svg", &svg[..], 415, "Upload a JPEG, PNG, WebP or GIF picture."),
        ("march.mp4", &mp4(100)[..], 415, "Upload a JPEG, PNG, WebP or GIF picture."),
        ("empty.png", &b""[..], 422, "The file is empty."),
        ("cut.png", &png[..30], 422, "This picture cannot be read"),
    ] {
        let res = upload_poster(&app, &admin, &id, file, bytes).await;
        assert_eq!(res.status(), status, "{file}");
        assert!(res.text().await.unwrap().contains(message), "{file}");
    }
    let pictures = app.config.data_dir.join("media").join("pictures");
    assert_eq!(std::fs::read_dir(&pictures).unwrap().count(), 0, "nothing kept");
    assert!(ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await["poster"].is_null());
    assert!(app.audited("video.poster.uploaded").await.is_empty());

    // Stored: served as it came, written to the audit log, with the event.
    let updates = app.events("video.updated").await.len();
    let video = ok_json(upload_poster(&app, &admin, &id, "crowd.png", png).await).await;
    let first = video["poster"].as_str().unwrap().to_string();
    assert!(first.ends_with(".png") && picture_stored(&app, &first), "{first}");
    let res = app.client().get(app.url(&format!("/media/pictures/{first}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(&res.bytes().await.unwrap()[..], png);
    assert_eq!(app.audited("video.poster.uploaded").await, ["March for transit!: crowd.png"]);
    assert_eq!(app.events("video.updated").await.len(), updates + 1);
    let admin_page = app.page(&admin, &format!("/admin/videos/{id}")).await;
    assert!(admin_page.contains(&format!("src=\"/media/pictures/{first}\"")), "{admin_page}");

    // Published: the player shows it before playing, the list beside the title, and a link to
    // the video shared in a chat shows it large, under the public address.
    ok_json(app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await).await;
    let page = app.page(&app.client(), "/videos/march-for-transit").await;
    assert!(page.contains(&format!("poster=\"/media/pictures/{first}\"")), "{page}");
    let shared = format!(
        "<meta property=\"og:image\" content=\"{}/media/pictures/{first}\"",
        app.config.public_url.trim_end_matches('/')
    );
    assert!(page.contains(&shared), "{page}");
    let list = app.page(&app.client(), "/videos").await;
    assert!(list.contains(&format!("<img src=\"/media/pictures/{first}\" alt=\"\"")), "{list}");

    // Posted by the browser itself (before the page's code has loaded), it lands back on the
    // page; the picture it replaces goes. (A phone's photo: stored scaled to the pages.)
    let photo = crate::common::pictures::phone_photo(2400, 1800);
    let res =
        upload_as_browser(&app, &admin, &app::media::poster_upload_path(&id), "crowd.jpg", &photo).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/admin/videos/{id}"));
    let video = ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await;
    let second = video["poster"].as_str().unwrap().to_string();
    assert!(second.ends_with(".jpg") && picture_stored(&app, &second) && !picture_stored(&app, &first));
    let stored = std::fs::read(app.config.data_dir.join("media").join("pictures").join(&second)).unwrap();
    let shown = image::load_from_memory(&stored).unwrap();
    assert_eq!((shown.width(), shown.height()), (1200, 1600), "upright, and at most 1,600 pixels a side");
    let old = app.client().get(app.url(&format!("/media/pictures/{first}"))).send().await.unwrap();
    assert_eq!(old.status(), 404);

    // Removed, after which there is none to remove; the file goes, and the player has no poster.
    let video = ok_json(app.call(&admin, "videos/remove-poster", &[("id", id.as_str())]).await).await;
    assert!(video["poster"].is_null() && !picture_stored(&app, &second));
    let page = app.page(&app.client(), "/videos/march-for-transit").await;
    assert!(!page.contains("poster=") && !page.contains("og:image"), "{page}");
    let res = app.call(&admin, "videos/remove-poster", &[("id", id.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("This video has no poster picture."));
    assert_eq!(app.call(&admin, "videos/remove-poster", &[("id", "nope")]).await.status(), 404);
    assert_eq!(app.call(&sam, "videos/remove-poster", &[("id", id.as_str())]).await.status(), 403);
    assert_eq!(app.audited("video.poster.removed").await, ["March for transit!"]);

    // Deleting the video removes its poster.
    let video = ok_json(upload_poster(&app, &admin, &id, "crowd.png", png).await).await;
    let third = video["poster"].as_str().unwrap().to_string();
    assert!(picture_stored(&app, &third));
    ok_json(app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "false")]).await).await;
    assert_eq!(app.call(&admin, "videos/delete", &[("id", id.as_str())]).await.status(), 200);
    assert!(!picture_stored(&app, &third));
}

/// An MP4 box of `kind` holding `content`.
fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    [&((content.len() + 8) as u32).to_be_bytes()[..], kind, content].concat()
}

/// The GPS fix an action camera's GPS track holds, the first sample in the media data.
const GPS_FIX: &[u8] = b"GPS5 +51.5000-000.1000";

/// An MP4 as a phone or an action camera films it, as far as its boxes go: the movie's header;
/// in its user data, where it was filmed; a GPS track (timed metadata) of one sample, `GPS_FIX`,
/// at the start of the media data; then the rest of `len` bytes of media data.
fn mp4(len: usize) -> Vec<u8> {
    let where_filmed = mp4_box(b"\xA9xyz", b"\0\x12\x15\xC7+51.5000-000.1000/");
    let file_type = mp4_box(b"ftyp", b"isomiso2avc1mp41");
    let movie = |media_start: u32| {
        // Version and flags, then the table: one sample of the fix's size, one chunk of one
        // sample (first chunk 1, 1 sample, description 1), that chunk's place.
        let table = |kind: &[u8; 4], numbers: &[u32]| {
            mp4_box(
                kind,
                &[0, 0, 0, 0]
                    .into_iter()
                    .chain(numbers.iter().flat_map(|n| n.to_be_bytes()))
                    .collect::<Vec<u8>>(),
            )
        };
        let sample_table = [
            table(b"stsz", &[GPS_FIX.len() as u32, 1]),
            table(b"stsc", &[1, 1, 1, 1]),
            table(b"stco", &[1, media_start]),
        ]
        .concat();
        let handler = table(b"hdlr", &[0, u32::from_be_bytes(*b"meta"), 0, 0, 0]);
        let media = [handler, mp4_box(b"minf", &mp4_box(b"stbl", &sample_table))].concat();
        let gps_track = mp4_box(b"trak", &mp4_box(b"mdia", &media));
        mp4_box(b"moov", &[mp4_box(b"mvhd", &[3; 100]), mp4_box(b"udta", &where_filmed), gps_track].concat())
    };
    let media_start = (file_type.len() + movie(0).len() + 8) as u32;
    let media: Vec<u8> =
        GPS_FIX.iter().copied().chain((GPS_FIX.len()..len).map(|i| (i % 251) as u8)).collect();
    [file_type, movie(media_start), mp4_box(b"mdat", &media)].concat()
}

/// The stored files, and what is half-received.
fn files_on_disk(app: &TestApp) -> (Vec<String>, usize) {
    let media = app.config.data_dir.join("media");
    let mut stored: Vec<String> = std::fs::read_dir(media.join("videos"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    stored.sort();
    (stored, std::fs::read_dir(media.join("incoming")).unwrap().count())
}

const MAX_BYTES: u64 = 64 * 1024;

async fn uploaded_files_are_checked_stored_served_in_ranges_and_removed_with_their_video(backend: Backend) {
    let app =
        crate::common::spawn_app_custom(backend, &[], |c| c.video_max_bytes = MAX_BYTES, Vec::new()).await;
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    app.create_user("sam@example.org", Role::Volunteer, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;

    // A draft with no file yet cannot be published.
    let video = ok_json(save(&app, &admin, "", &video_form("March", "", "")).await).await;
    assert_eq!((video["video_url"].as_str(), video["file"].is_null()), (Some(""), true));
    let id = video["id"].as_str().unwrap().to_string();
    let res = app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Upload the video's file"));
    // Taken back to draft, it is told it is one already, not that it needs something to play.
    let res = app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "false")]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("This video is a draft already."));
    assert!(app.page(&admin, &format!("/admin/videos/{id}")).await.contains("No video file yet"));

    // Refused, each with its reason, and nothing stored or changed.
    let sam = app.signed_in("sam@example.org").await;
    let unsigned = upload(&app, &app.client(), &id, "march.mp4", &mp4(100)).await;
    assert_eq!(unsigned.status(), 401);
    assert_eq!(upload(&app, &sam, &id, "march.mp4", &mp4(100)).await.status(), 403);
    assert_eq!(upload(&app, &admin, "nope", "march.mp4", &mp4(100)).await.status(), 404);
    let page = b"<html><script>alert(1)</script></html>";
    for (file, bytes, status, message) in [
        ("page.mp4", &page[..], 415, "Upload an MP4 or WebM video file."),
        ("tiny.mp4", &b"\0\0\0"[..], 415, "Upload an MP4 or WebM video file."),
        ("empty.mp4", &b""[..], 422, "The file is empty."),
    ] {
        let res = upload(&app, &admin, &id, file, bytes).await;
        assert_eq!(res.status(), status, "{file}");
        assert_eq!(res.text().await.unwrap(), message);
    }
    // Over the limit, as declared and as streamed without a length.
    let big = mp4(MAX_BYTES as usize);
    let res = upload(&app, &admin, &id, "big.mp4", &big).await;
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("larger than the limit"));
    let (content_type, body) = upload_body("file", "big.mp4", &big);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let streamed = admin
        .post(app.url(&app::media::upload_path(&id)))
        .header("content-type", content_type)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
    let (content_type, body) = upload_body("other", "march.mp4", &mp4(100));
    let no_file =
        admin.post(app.url(&app::media::upload_path(&id))).header("content-type", content_type).body(body);
    assert_eq!(no_file.send().await.unwrap().status(), 422);
    let cross_site = admin
        .post(app.url(&app::media::upload_path(&id)))
        .header("sec-fetch-site", "cross-site")
        .body(upload_body("file", "march.mp4", &mp4(100)).1);
    assert_eq!(cross_site.send().await.unwrap().status(), 403);
    assert_eq!(files_on_disk(&app), (vec![], 0));
    assert!(ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await["file"].is_null());

    // Stored: the video plays it, served whole and in byte ranges, written to the audit log;
    // where it was filmed blanked, nothing else in the file moved.
    let first = mp4(10_000);
    let res = upload(&app, &admin, &id, "C:\\fakepath\\march.mp4", &first).await;
    let video = ok_json(res).await;
    assert_eq!(
        (video["file"]["original_name"].as_str(), video["file"]["bytes"].as_i64()),
        (Some("march.mp4"), Some(first.len() as i64))
    );
    let name = video["file"]["name"].as_str().unwrap().to_string();
    assert!(name.ends_with(".mp4"), "{name}");
    assert_eq!(files_on_disk(&app), (vec![name.clone()], 0));
    let file_url = app.url(&format!("/media/videos/{name}"));
    let whole = app.client().get(&file_url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert!(whole.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let served = whole.bytes().await.unwrap();
    let place = b"+51.5000-000.1000";
    assert!(first.windows(place.len()).any(|w| w == place));
    assert!(!served.windows(place.len()).any(|w| w == place), "where it was filmed is still there");
    // The user data box is free space as long, the GPS track's sample zeros, every other byte
    // as uploaded.
    let user_data = first.windows(4).position(|w| w == b"udta").unwrap() - 4;
    let user_data_end =
        user_data + u32::from_be_bytes(first[user_data..user_data + 4].try_into().unwrap()) as usize;
    let mut expected = first.clone();
    expected[user_data + 4..user_data + 8].copy_from_slice(b"free");
    expected[user_data + 8..user_data_end].fill(0);
    let fix = first.windows(GPS_FIX.len()).position(|w| w == GPS_FIX).unwrap();
    expected[fix..fix + GPS_FIX.len()].fill(0);
    assert!(served[..] == expected[..], "only the user data and the GPS track are blanked");
    let part = app.client().get(&file_url).header("range", "bytes=4-11").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"ftypisom");
    assert!(
        app.page(&admin, &format!("/admin/videos/{id}")).await.contains("Plays the uploaded file march.mp4")
    );
    assert_eq!(app.audited("video.file.uploaded").await, ["March: march.mp4"]);
    // Told like an edit; the refused uploads told nothing.
    assert_eq!(
        app.events("video.updated").await,
        [json!({ "video_id": id, "title": "March", "url_path": "/videos/march", "status": "DRAFT" })]
    );

    // Published, the public page plays the uploaded file.
    let res = app.call(&admin, "videos/publish", &[("id", id.as_str()), ("publish", "true")]).await;
    assert_eq!(res.status(), 200);
    let public = app.page(&app.client(), "/videos/march").await;
    assert!(public.contains(&format!("src=\"/media/videos/{name}\"")), "{public}");

    // Replaced by a WebM posted as a plain form: back to the video's page, the old file gone.
    let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], &[7; 500][..]].concat();
    let res = upload_as_browser(&app, &admin, &app::media::upload_path(&id), "march.webm", &webm).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/admin/videos/{id}"));
    let (stored, incoming) = files_on_disk(&app);
    assert_eq!((stored.len(), incoming), (1, 0));
    assert!(stored[0].ends_with(".webm") && stored[0] != name, "{stored:?}");
    assert_eq!(app.client().get(&file_url).send().await.unwrap().status(), 404);
    let replaced = app.client().get(app.url(&format!("/media/videos/{}", stored[0]))).send().await.unwrap();
    assert_eq!(replaced.headers()["content-type"], "video/webm");

    // Published with no address, its file cannot be removed: it would have nothing to play.
    let remove = |id: &str| {
        let args = [("id".to_string(), id.to_string())];
        let (app, admin) = (&app, admin.clone());
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.call(&admin, "videos/remove-file", &args).await
        }
    };
    let res = remove(&id).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("needs something to play"));
    assert_eq!(files_on_disk(&app).0.len(), 1);
    assert_eq!(remove("nope").await.status(), 404);
    // Given an address, the file is removed (audited) and the video plays the address.
    let address = "https://videos.example.org/march.mp4";
    ok_json(save(&app, &admin, &id, &video_form("March", "march", address)).await).await;
    let video = ok_json(remove(&id).await).await;
    assert!(video["file"].is_null());
    assert_eq!(files_on_disk(&app), (vec![], 0));
    assert_eq!(
        app.client().get(app.url(&format!("/media/videos/{}", stored[0]))).send().await.unwrap().status(),
        404
    );
    assert!(app.page(&app.client(), "/videos/march").await.contains(&format!("src=\"{address}\"")));
    assert_eq!(app.audited("video.file.removed").await, ["March: march.webm"]);
    let res = remove(&id).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("no uploaded file"));
    // Nor can the address of a published video with no file be emptied.
    let res = save(&app, &admin, &id, &video_form("March", "march", "")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("video_url"));
    // The WebM, the address and the removal were told; neither refusal was.
    let updated = app.events("video.updated").await;
    assert_eq!(updated.len(), 4);
    assert!(updated[1..].iter().all(|e| e["status"] == "PUBLISHED"), "{updated:?}");
    let kept = ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await;
    assert_eq!(kept["video_url"], address);

    // Deleting the video removes its file.
    let res = upload(&app, &admin, &id, "march.mp4", &mp4(1_000)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(files_on_disk(&app).0.len(), 1);
    assert_eq!(app.call(&admin, "videos/delete", &[("id", id.as_str())]).await.status(), 200);
    assert_eq!(files_on_disk(&app), (vec![], 0));
}

async fn files_uploaded_before_this_version_are_refitted_once(app: TestApp) {
    use changemaker_server::{EARLIER_UPLOADS_REFITTED, refit_earlier_uploads};
    let refit_recorded = || async { app::settings::get(&app.db, EARLIER_UPLOADS_REFITTED).await.unwrap() };
    // At the first start, with nothing uploaded, it is done at once and recorded.
    crate::common::eventually("the refit recorded at start", || async { refit_recorded().await.is_some() })
        .await;

    // A video with its file and poster, and a story with its picture, uploaded now.
    app.create_user("editor@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("editor@example.org").await;
    let video = ok_json(save(&app, &admin, "", &video_form("March", "", "")).await).await;
    let id = video["id"].as_str().unwrap().to_string();
    let file = ok_json(upload(&app, &admin, &id, "march.mp4", &mp4(1_000)).await).await["file"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let photo = pictures::phone_photo(400, 300);
    let poster = ok_json(upload_poster(&app, &admin, &id, "crowd.jpg", &photo).await).await["poster"]
        .as_str()
        .unwrap()
        .to_string();
    let story_form = [
        ("id", ""),
        ("form[title]", "The 12 bus stays"),
        ("form[slug]", ""),
        ("form[summary]", "Two hundred letters kept the route."),
        ("form[body]", "Two hundred letters later, the council kept the route."),
    ];
    let story = ok_json(app.call(&admin, "stories/save", &story_form).await).await;
    let story_id = story["id"].as_str().unwrap().to_string();
    let described = Some("A crowd at the bus stop");
    let story = ok_json(
        crate::stories::upload_picture(&app, &admin, &story_id, described, "crowd.jpg", &photo).await,
    )
    .await;
    let picture = story["picture"]["name"].as_str().unwrap().to_string();
    // And a video whose files were lost or damaged since: its file gone, its poster not a picture.
    let lost = ok_json(save(&app, &admin, "", &video_form("Vigil", "", "")).await).await;
    let lost_id = lost["id"].as_str().unwrap().to_string();
    let lost_file =
        ok_json(upload(&app, &admin, &lost_id, "vigil.mp4", &mp4(1_000)).await).await["file"]["name"]
            .as_str()
            .unwrap()
            .to_string();
    let damaged = ok_json(upload_poster(&app, &admin, &lost_id, "candles.jpg", &photo).await).await["poster"]
        .as_str()
        .unwrap()
        .to_string();

    // As an earlier version left them: the files as uploaded, with where they were taken, and
    // the story picture's size not known; this version not yet started on them.
    let media = app.config.data_dir.join("media");
    std::fs::write(media.join("videos").join(&file), mp4(1_000)).unwrap();
    std::fs::write(media.join("pictures").join(&poster), &photo).unwrap();
    std::fs::write(media.join("pictures").join(&picture), &photo).unwrap();
    std::fs::remove_file(media.join("videos").join(&lost_file)).unwrap();
    std::fs::write(media.join("pictures").join(&damaged), b"not a picture").unwrap();
    // Refitted oldest first: the damaged video before the others.
    sqlx::query("UPDATE videos SET created_at = created_at - 60 WHERE id = $1")
        .bind(&lost_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE impact_stories SET picture_width = NULL, picture_height = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM app_settings WHERE key = $1")
        .bind(EARLIER_UPLOADS_REFITTED)
        .execute(app.db.pool())
        .await
        .unwrap();

    let videos = MediaFiles::open(&app.config.data_dir, VIDEOS, MAX_BYTES).unwrap();
    let pictures = MediaFiles::open(&app.config.data_dir, PICTURES, PICTURE_MAX_BYTES).unwrap();
    refit_earlier_uploads(&app.db, &videos, &pictures).await.unwrap();
    let has = |bytes: &[u8], text: &[u8]| bytes.windows(text.len()).any(|w| w == text);
    // The video's file, mended where it lies: the same name and length, the place gone.
    let mended = std::fs::read(media.join("videos").join(&file)).unwrap();
    assert_eq!(mended.len(), mp4(1_000).len());
    assert!(!has(&mended, b"+51.5000") && has(&mp4(1_000), b"+51.5000"));
    // The pictures, made again under new names (served anew), the old files gone.
    let video = ok_json(app.call(&admin, "videos/get", &[("id", id.as_str())]).await).await;
    let story = ok_json(app.call(&admin, "stories/get", &[("id", story_id.as_str())]).await).await;
    let new_poster = video["poster"].as_str().unwrap().to_string();
    let new_picture = story["picture"]["name"].as_str().unwrap().to_string();
    for (old, new) in [(&poster, &new_poster), (&picture, &new_picture)] {
        assert_ne!(old, new);
        assert!(!media.join("pictures").join(old).exists(), "{old} is still there");
        let stored = std::fs::read(media.join("pictures").join(new)).unwrap();
        assert!(has(&photo, b"GPS 51.5N") && !has(&stored, b"GPS 51.5N"), "{new} says where it was taken");
    }
    // The story picture's size is known again: the photo turned upright.
    assert_eq!(story["picture"]["dimensions"], json!([300, 400]));
    // The lost and damaged files stopped nothing: left as they were, their video unchanged.
    assert!(!media.join("videos").join(&lost_file).exists());
    assert_eq!(std::fs::read(media.join("pictures").join(&damaged)).unwrap(), b"not a picture");
    let lost = ok_json(app.call(&admin, "videos/get", &[("id", lost_id.as_str())]).await).await;
    assert_eq!(
        (lost["file"]["name"].as_str(), lost["poster"].as_str()),
        (Some(lost_file.as_str()), Some(damaged.as_str()))
    );

    // Done once: a file like those put back after it is not looked at again.
    assert!(refit_recorded().await.is_some());
    std::fs::write(media.join("pictures").join(&new_poster), &photo).unwrap();
    refit_earlier_uploads(&app.db, &videos, &pictures).await.unwrap();
    assert_eq!(std::fs::read(media.join("pictures").join(&new_poster)).unwrap(), photo);
}
