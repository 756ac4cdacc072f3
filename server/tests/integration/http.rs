//! The HTTP surface around the app: health, errors, bad input, cross-site refusal.

use crate::common::{Backend, PASSWORD, TestApp, session_set_cookie, spawn_app_with};
use app::users::{Role, UserStatus};

on_both_backends!(
    health_and_readiness,
    unknown_route_renders_a_404_page,
    cross_site_posts_are_refused_and_change_nothing,
    oversized_bodies_are_refused,
    home_page_links_to_sign_in,
);

async fn health_and_readiness(app: TestApp) {
    let client = app.client();
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    // With the database gone, the process is still up but not ready.
    app.db.close().await;
    assert_eq!(client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(client.get(app.url("/readyz")).send().await.unwrap().status(), 503);
}

async fn unknown_route_renders_a_404_page(app: TestApp) {
    let res = app.client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body = res.text().await.unwrap();
    assert!(body.contains("Page not found"));
    let res = app.client().post(app.url("/api/no-such-function")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

async fn cross_site_posts_are_refused_and_change_nothing(app: TestApp) {
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let form = [("email", "ana@example.org"), ("password", PASSWORD)];
    let client = app.client();

    let by_origin = client
        .post(app.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), 403);
    assert!(session_set_cookie(by_origin.headers()).is_none());

    let by_fetch_metadata = client
        .post(app.url("/api/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch_metadata.status(), 403);
    let sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(sessions, 0);

    // The same request from our own origin goes through.
    let same_origin = client
        .post(app.url("/api/auth/login"))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={huge}&password=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("too large"));
}

async fn home_page_links_to_sign_in(app: TestApp) {
    let res = app.client().get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("Changemaker"));
    assert!(body.contains("href=\"/login\""));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = spawn_app_with(Backend::Sqlite, &[("CHANGEMAKER_PUBLIC_URL", "https://act.example.org")]).await;
    app.create_user("ana@example.org", Role::Admin, UserStatus::Active).await;
    let res =
        app.call(&app.client(), "auth/login", &[("email", "ana@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 200);
    assert!(session_set_cookie(res.headers()).unwrap().contains("; Secure"));
}

/// Starting a server works out the app's routes by running the app once with resource loading
/// switched off for the whole process (a global flag in `leptos_server`): a page rendered by
/// another server in the process at that moment waited forever for its data
/// (leptos-rs/leptos#4773). The routes are worked out once per process, so pages keep
/// rendering while more servers start, as they do in this test suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start() {
    let app = crate::common::spawn_app(Backend::Sqlite).await;
    let starting = tokio::spawn(async {
        for _ in 0..8 {
            drop(crate::common::spawn_app(Backend::Sqlite).await);
        }
    });
    let mut renders = Vec::new();
    for reader in 0..4 {
        let (client, base) = (app.client(), app.base.clone());
        renders.push(tokio::spawn(async move {
            for n in 0..150 {
                // A query string makes every request a fresh render (no page cache).
                let page = async {
                    let res = client.get(format!("{base}/shifts?render={reader}-{n}")).send().await?;
                    assert_eq!(res.status(), 200);
                    res.text().await
                };
                let body = tokio::time::timeout(std::time::Duration::from_secs(10), page)
                    .await
                    .expect("a page never finished rendering while another server was starting")
                    .unwrap();
                assert!(body.contains("No shifts are scheduled right now"), "{body}");
            }
        }));
    }
    starting.await.unwrap();
    for render in renders {
        render.await.unwrap();
    }
}
