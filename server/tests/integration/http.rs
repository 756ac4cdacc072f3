//! The HTTP surface around the app: health, errors, bad input, cross-site refusal.

use crate::common::{
    Backend, CapturedLog, PASSWORD, TestApp, session_set_cookie, shift_tomorrow, spawn_app, spawn_app_with,
};
use app::users::{Role, UserStatus};

on_both_backends!(
    health_and_readiness,
    unknown_route_renders_a_404_page,
    cross_site_posts_are_refused_and_change_nothing,
    oversized_bodies_are_refused,
    home_page_links_to_sign_in,
    no_server_function_fails_on_bad_input,
    no_page_fails_on_a_bad_address,
    admin_pages_carry_their_data_once_in_the_browsers_order,
    pages_and_answers_travel_gzipped_to_a_browser_that_takes_it,
);

on_both_backends_with_own_server!(private_links_never_reach_the_log);

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
    // Streamed without a declared length, in a type no check reads: cut off at the limit, so
    // the server function sees an unreadable body.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..32).map(|_| Ok(vec![b'x'; 64 * 1024])).collect();
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("length limit exceeded"));
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

/// Field names the server functions take, filled with one kind of bad value at a time.
const FIELDS: &[&str] = &[
    "id",
    "shift_id",
    "signup_id",
    "contact_id",
    "user_id",
    "token",
    "slug",
    "kind",
    "status",
    "page",
    "q",
    "place",
    "by",
    "seq",
    "listener",
    "hours",
    "idle_days",
    "period_days",
    "time_zone",
    "add",
    "remove",
    "amount",
    "attendance",
    "from",
    "to",
    "reason",
    "audience",
    "subject",
    "body",
    "email",
    "emails",
    "name",
    "phone",
    "approve",
    "scope",
    "tag",
    "message_id",
    "note_id",
    "visit_id",
    "turf_id",
    "alt",
    "minutes",
    "filter[page]",
    "filter[status]",
    "filter[from]",
    "filter[to]",
    "filter[q]",
    "filter[search]",
    "filter[tag]",
    "filter[topic]",
    "filter[actor]",
    "filter[action]",
    "filter[visibility]",
    "filter[sentiment]",
    "form[title]",
    "form[description]",
    "form[location]",
    "form[venue]",
    "form[agenda]",
    "lines",
    "form[street]",
    "form[city]",
    "form[postal_code]",
    "form[address_id]",
    "form[outcome]",
    "form[notes]",
    "form[summary]",
    "form[body]",
    "form[video_url]",
    "form[captions]",
    "form[language]",
    "form[edits]",
    "publish",
    "filter[month]",
    "filter[source]",
    "filter[past]",
    "form[tiers]",
    "form[reminder_hours]",
    "form[tier_id]",
    "code",
    "ticket_id",
    "event_id",
    "form[date]",
    "form[start_time]",
    "form[end_time]",
    "form[capacity]",
    "form[is_public]",
    "form[name]",
    "form[email]",
    "form[phone]",
    "form[display_name]",
    "form[password]",
    "form[role]",
    "form[expires]",
    "form[slug]",
    "form[amount]",
    "form[price]",
    "form[host]",
    "form[port]",
    "form[url]",
    "form[secret]",
    "form[enabled]",
    "form[webhook_url]",
    "form[calendar_url]",
    "form[token]",
    "form[listmonk_url]",
    "form[api_user]",
    "form[api_token]",
    "form[volunteers_list]",
    "form[supporters_list]",
    "form[donors_list]",
    "form[reports_secret]",
    "form[account_sid]",
    "form[auth_token]",
    "form[from_number]",
    "form[country_code]",
    "form[tag]",
    "repeat[weeks]",
    "repeat[monthly]",
    "repeat[months]",
    "active",
    "series",
    "ids[0]",
    "also[0]",
];

/// `value` in every text field of every server function; numbers and flags stay readable, so
/// that a call gets past decoding its arguments and the text reaches the function.
pub fn every_text_field(value: &str) -> Vec<(&'static str, String)> {
    let readable = |field: &str| match field {
        "page" | "seq" | "idle_days" | "period_days" | "filter[page]" | "form[edits]" => "1".to_string(),
        "approve" | "active" | "series" | "publish" | "form[is_public]" | "form[enabled]"
        | "repeat[monthly]" | "filter[past]" => "true".to_string(),
        _ => value.to_string(),
    };
    FIELDS.iter().map(|f| (*f, readable(f))).collect()
}

/// Every server function, called by a super admin with nothing, with text that is not what it
/// expects, with numbers at the edges of i64, and (for JSON ones) with broken JSON: each answers
/// 2xx or 4xx with a message, never a server error.
async fn no_server_function_fails_on_bad_input(app: TestApp) {
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("super@example.org").await;
    let mut paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    paths.sort_unstable();
    assert!(paths.len() > 80, "the server functions are registered: {paths:?}");
    let long = "x".repeat(5_000);
    let every = |value: &str| FIELDS.iter().map(|f| (*f, value.to_string())).collect::<Vec<_>>();
    let every_text = every_text_field;
    let variants = [
        ("nothing", vec![]),
        ("junk text", every("'\"; DROP TABLE users; -- <script>💥</script>\r\n%00../../etc/passwd")),
        (
            "junk text, readable numbers",
            every_text("'\"; DROP TABLE users; -- <script>💥</script>\r\n../../etc/passwd"),
        ),
        ("a NUL character", every_text("a\u{0}b")),
        ("long text", every_text(&long)),
        ("i64::MAX", every("9223372036854775807")),
        ("i64::MIN", every("-9223372036854775808")),
        ("empty", every_text("")),
    ];
    let mut failures = Vec::new();
    // Signing out would end the session the rest of the calls use.
    for path in paths.iter().filter(|p| !p.ends_with("/logout")) {
        let url = app.url(path);
        for (who, client) in [("a super admin", &admin), ("anyone", &app.client())] {
            for (variant, form) in &variants {
                let res = client.post(&url).form(form).send().await.unwrap();
                let status = res.status();
                let body = res.text().await.unwrap();
                if status.is_server_error() || (!status.is_success() && body.trim().is_empty()) {
                    failures.push(format!("{path} with {variant} from {who}: {status} {body:.200}"));
                }
            }
            for json in ["{", "[]", "{\"form\": 5}", "{\"csv\": \"\\u0000\"}", "null"] {
                let res = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(json)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let body = res.text().await.unwrap();
                if status.is_server_error() {
                    failures.push(format!("{path} JSON {json} from {who}: {status} {body:.200}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));

    // Text with a NUL character is refused up front, whatever carries it (PostgreSQL cannot
    // store it), and changes nothing.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM contacts").fetch_one(app.db.pool()).await.unwrap()
    };
    let contacts = count().await;
    let res = app.call(&admin, "contacts/tags", &[("id", "c1"), ("add", "a\0b")]).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("NUL character"));
    let json = serde_json::json!({ "csv": "name,email\nJo\u{0},jo@example.org\n" });
    assert_eq!(app.call_json(&admin, "contacts/import/preview", &json).await.status(), 400);
    let page = admin.get(app.url("/admin/events/log?actor=%00")).send().await.unwrap();
    assert_eq!(page.status(), 400);
    let page = app.client().get(app.url("/shifts/a%00b")).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert_eq!(count().await, contacts);
}

/// Every page, with a made-up id where it takes one, opened by a super admin and by anyone with
/// query values of every bad kind, and with ids of every bad kind: a page or an error page,
/// never a server error (as a status, or as a failed load inside the page).
async fn no_page_fails_on_a_bad_address(app: TestApp) {
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("super@example.org").await;
    let pages = [
        "/",
        "/login",
        "/forgot-password",
        "/reset-password",
        "/setup",
        "/register",
        "/campaigns/x",
        "/campaigns/x/respond",
        "/shifts",
        "/shifts/cancel",
        "/shifts/chosen",
        "/shifts/x",
        "/my/shifts",
        "/donate",
        "/donate/thanks",
        "/membership",
        "/membership/thanks",
        "/shop",
        "/shop/thanks",
        "/shop/x",
        "/events",
        "/events/x",
        "/ticket",
        "/admin",
        "/admin/shifts",
        "/admin/shifts/hours",
        "/admin/shifts/x",
        "/admin/shifts/x/sheet",
        "/admin/users",
        "/admin/ticketed-events",
        "/admin/ticketed-events/x",
        "/admin/campaigns",
        "/admin/campaigns/x",
        "/admin/contacts",
        "/admin/contacts/import",
        "/admin/reengagement",
        "/admin/contacts/x",
        "/admin/emails",
        "/admin/settings",
        "/admin/payments",
        "/admin/payments/settings",
        "/admin/payments/products",
        "/admin/payments/plans",
        "/admin/payments/audit",
        "/admin/events/bus",
        "/admin/events/log",
        "/admin/events/live",
        "/admin/audit",
        "/stories/x",
        "/videos/x",
        "/admin/stories/x",
        "/admin/videos/x",
        "/admin/meetings/x",
        "/admin/canvass/addresses/x",
        "/admin/sms/campaigns/x",
        "/api/shifts/hours.csv",
        "/api/shifts/x/signups.csv",
        "/api/campaigns/x/supporters.csv",
        "/api/shifts/x/calendar.ics",
        "/api/shifts/signups/calendar.ics",
        "/api/contacts.csv",
        "/api/canvass/addresses.csv",
        "/api/videos/x/captions-preview.vtt",
        "/api/contacts/x/data.json",
        "/api/ticketed-events/x/tickets.csv",
        "/api/payments/donations.csv",
        "/api/payments/x",
    ];
    let keys = [
        "page",
        "q",
        "place",
        "status",
        "kind",
        "from",
        "to",
        "visibility",
        "token",
        "next",
        "topic",
        "actor",
        "action",
        "search",
        "turf",
        "outcome",
        "tag",
        "session_id",
        "by",
        "id",
        "code",
    ];
    let values =
        ["9223372036854775807", "-9223372036854775808", "'\"<script>💥", "2026-02-30", "", "%FF%FE", "a%00b"];
    let mut failures = Vec::new();
    let mut check = async |url: String, who: &str, client: &reqwest::Client| {
        let res = client.get(app.url(&url)).send().await.unwrap();
        let status = res.status();
        // A page shows a failed load inside itself, with AppError::Internal's words.
        let failed_inside = res.text().await.unwrap().contains("Something went wrong on our side");
        if status.is_server_error() || failed_inside {
            failures.push(format!("{url} from {who}: {status}"));
        }
    };
    // A NUL in an id reached PostgreSQL's lookup (500) before the path was checked for it.
    let long = "x".repeat(3_000);
    let ids = ["%00", "a%00b", "%FF%FE", "'%22%3Cscript%3E%F0%9F%92%A5", "..%2F..%2Fetc", &long, "%20"];
    for page in pages.iter().filter(|p| p.contains("/x")) {
        for id in ids {
            let url = page.replacen("/x", &format!("/{id}"), 1);
            check(url.clone(), "anyone", &app.client()).await;
            check(url, "a super admin", &admin).await;
        }
    }
    for page in pages {
        for value in values {
            // Every key at once (as anyone and as an admin), then each alone (as an admin), so
            // that one refused value cannot hide what another would do further on.
            let all: Vec<String> = keys.iter().map(|k| format!("{k}={value}")).collect();
            let mut queries = vec![
                (all.join("&"), "anyone", app.client()),
                (all.join("&"), "a super admin", admin.clone()),
            ];
            queries.extend(keys.iter().map(|k| (format!("{k}={value}"), "a super admin", admin.clone())));
            for (query, who, client) in queries {
                check(format!("{page}?{query}"), who, &client).await;
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Cancel links and calendar links carry their secret in the address; the request log, at
/// every level, names only the path.
async fn private_links_never_reach_the_log(backend: Backend) {
    let (log, _guard) = CapturedLog::start();
    let app = spawn_app(backend).await;
    let form = shift_tomorrow("Leafleting");
    let shift = app::shifts::service::create(&app.bus(), &app::events::Actor::System, &form).await.unwrap();
    let args = [("shift_id", shift.id.as_str()), ("form[name]", "Jo"), ("form[email]", "jo@example.org")];
    let res = app.call(&app.client(), "shifts/sign-up", &args).await;
    assert_eq!(res.status(), 200);
    let receipt: serde_json::Value = res.json().await.unwrap();
    let cancel_token = receipt["cancel_token"].as_str().unwrap().to_string();
    let page =
        app.client().get(app.url(&format!("/shifts/cancel?token={cancel_token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let calendar = format!("/api/shifts/signups/calendar.ics?token={cancel_token}");
    assert_eq!(app.client().get(app.url(&calendar)).send().await.unwrap().status(), 200);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let link: String = app.call(&volunteer, "shifts/new-calendar-feed", &[]).await.json().await.unwrap();
    assert_eq!(app.client().get(&link).send().await.unwrap().status(), 200);
    let feed_token = link.split("token=").nth(1).unwrap().to_string();
    let ticket_code = a_ticket(&app).await;
    let page = app.client().get(app.url(&format!("/ticket?code={ticket_code}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let text = log.text();
    assert!(
        text.contains("/shifts/cancel")
            && text.contains("/api/shifts/signups/calendar.ics")
            && text.contains("/api/my/shifts.ics"),
        "requests are logged: {text}"
    );
    assert!(!text.contains(&cancel_token), "the cancel token is in the log");
    assert!(!text.contains(&feed_token), "the calendar token is in the log");
    assert!(text.contains("/ticket") && !text.contains(&ticket_code), "the ticket's code is in the log");
}

/// A free ticket for an event published tomorrow; answers with its code.
async fn a_ticket(app: &TestApp) -> String {
    use app::ticketed_events::EventForm;
    let (bus, actor) = (app.bus(), app::events::Actor::System);
    let form = EventForm {
        title: "Film night".into(),
        venue: "Hall".into(),
        date: shift_tomorrow("x").date,
        start_time: "19:00".into(),
        end_time: "21:00".into(),
        tiers: "Seats | 10".into(),
        ..EventForm::default()
    };
    let now = app::db::now_unix();
    let event = app::ticketed_events::service::save(&bus, &actor, "", &form, now).await.unwrap();
    app::ticketed_events::service::publish(&bus, &actor, &event.id, now).await.unwrap();
    let form = [
        ("slug", event.slug.as_str()),
        ("form[tier_id]", event.tiers[0].id.as_str()),
        ("form[name]", "Jo"),
        ("form[email]", "jo@example.org"),
    ];
    let taken: app::ticketed_events::Taken =
        app.call(&app.client(), "ticketed-events/take", &form).await.json().await.unwrap();
    match taken {
        app::ticketed_events::Taken::Ticket { code } => code,
        other => panic!("a free ticket is issued at once, not {other:?}"),
    }
}

/// The data a page's HTML carries for the browser's code, in the order that code asks for it
/// (by number), each as written there (JSON in a script's string).
fn carried_data(html: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = html
        .split("__RESOLVED_RESOURCES[")
        .skip(1)
        .filter_map(|rest| {
            let (number, rest) = rest.split_once("] = \"")?;
            Some((number.parse().ok()?, rest.split("\";").next()?.to_string()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, data)| data).collect()
}

/// An admin page is drawn once per request and carries each piece of its data once, in the
/// order the browser's code asks for it: the signed-in user, then the page's own. The server
/// used to draw an admin page two or three times (loading its data each time); some copies
/// answered "not signed in", and others put a resource made after the meeting had loaded
/// between them. The browser then read the wrong piece as the page's data, and the page
/// failed to hydrate.
async fn admin_pages_carry_their_data_once_in_the_browsers_order(app: TestApp) {
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("super@example.org").await;
    let form = [
        ("form[title]", "Steering group"),
        ("form[agenda]", ""),
        ("form[location]", "Back room"),
        ("form[date]", &app::time::date_time_from_unix(app::db::now_unix() + 86_400).0),
        ("form[start_time]", "18:00"),
        ("form[end_time]", "19:00"),
        ("id", ""),
    ];
    let res = app.call(&admin, "meetings/save", &form).await;
    assert_eq!(res.status(), 200);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let res = app.call(&admin, "meetings/invite", &[("id", id.as_str()), ("emails", "jo@example.org")]).await;
    assert_eq!(res.status(), 200);

    // Each page with what it carries after the signed-in user.
    let pages: [(String, &[&str]); 4] = [
        (format!("/admin/meetings/{id}"), &["Steering group", "jo@example.org"]),
        // The payments, the donations chart (shown), the cancelled events to refund (not).
        ("/admin/payments".to_string(), &["rows", "bars", "[]"]),
        ("/admin/payments?kind=ticket".to_string(), &["rows", "null", "[]"]),
        // Five settings read one after another, in one resource.
        ("/admin/integrations".to_string(), &["webhook_url"]),
    ];
    for (path, expected) in pages {
        // The copies came on some requests only.
        for _ in 0..10 {
            let res = admin.get(app.url(&path)).header("accept", "text/html").send().await.unwrap();
            assert_eq!(res.status(), 200);
            let data = carried_data(&res.text().await.unwrap());
            assert_eq!(data.len(), expected.len() + 1, "{path}: {data:#?}");
            assert!(data[0].contains("super@example.org"), "{path}: {}", data[0]);
            for (data, part) in data[1..].iter().zip(expected) {
                assert!(
                    data.contains(part) && data.starts_with("{\\\"Ok"),
                    "{path}: {part} expected in {data}"
                );
            }
        }
    }
}

/// `bytes` gunzipped, as text.
fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut text).unwrap();
    text
}

/// What is made on each request goes gzipped to a browser that says it takes gzip: the public
/// shifts page (rendered, and served from memory) and a server function's answer. A client
/// that does not say so, the event stream and a small answer get their bytes as they are.
async fn pages_and_answers_travel_gzipped_to_a_browser_that_takes_it(app: TestApp) {
    for i in 0..20 {
        let form = shift_tomorrow(&format!("Leafleting round {i}"));
        app::shifts::service::create(&app.bus(), &app::events::Actor::System, &form).await.unwrap();
    }
    let client = app.client();
    // `/shifts` is rendered, then served from memory; `?render` is rendered every time.
    for path in ["/shifts", "/shifts", "/shifts?render"] {
        let plain = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(plain.headers().get("content-encoding"), None, "{path}");
        let plain = plain.text().await.unwrap();
        let res = client.get(app.url(path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        assert!(res.headers()["vary"].to_str().unwrap().contains("accept-encoding"), "{path}");
        let gzipped = res.bytes().await.unwrap();
        let page = gunzip(&gzipped);
        assert!(page.contains("Leafleting round 19") && page.contains("</html>"), "{path}");
        assert!(
            gzipped.len() * 4 < plain.len(),
            "{path}: {} bytes gzipped, {} plain",
            gzipped.len(),
            plain.len()
        );
    }
    let res = client
        .post(app.url("/api/shifts/public"))
        .header("accept-encoding", "gzip")
        .form(&[("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["content-encoding"].to_str().unwrap()), (200, "gzip"));
    let answer: serde_json::Value = serde_json::from_str(&gunzip(&res.bytes().await.unwrap())).unwrap();
    assert_eq!(answer["shifts"].as_array().map(Vec::len), Some(20), "{answer}");

    app.create_user("admin@example.org", Role::Admin, UserStatus::Active).await;
    let admin = app.signed_in("admin@example.org").await;
    let stream =
        admin.get(app.url("/api/events/stream")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers().get("content-encoding"), None, "events go out as they happen");
    let small = client.get(app.url("/healthz")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(small.headers().get("content-encoding"), None);
    assert_eq!(small.text().await.unwrap(), "ok");
}
