//! Who may call what: every server function and admin page, called by anyone and by each role.

use std::collections::BTreeSet;

use crate::common::TestApp;
use crate::http::every_text_field;
use app::users::{Role, UserStatus};

on_both_backends!(
    every_server_function_answers_only_whom_it_serves,
    every_admin_page_opens_only_for_whom_it_serves,
    the_uploads_answer_only_whom_they_serve
);

/// Whom a server function or page serves. A super admin passes every role check.
#[derive(Debug, Clone, Copy)]
enum Serves {
    Anyone,
    SignedIn,
    Roles(&'static [Role]),
}

use Role::{Admin, EventsAdmin, PaymentsAdmin, SuperAdmin};
use Serves::{Anyone, Roles, SignedIn};

/// Admins: shifts, campaigns, contacts, email, the event bus.
const ORGANISERS: Serves = Roles(&[SuperAdmin, Admin]);
const ADMIN_AREA: Serves = Roles(&[SuperAdmin, Admin, PaymentsAdmin, EventsAdmin]);
const SUPER_ADMIN: Serves = Roles(&[SuperAdmin]);
const PAYMENTS: Serves = Roles(&[SuperAdmin, PaymentsAdmin]);
const CONTACT_READERS: Serves = Roles(&[SuperAdmin, Admin, PaymentsAdmin]);
/// Jobs: admins follow theirs, payments admins their refunds (the kind is checked next).
const JOB_FOLLOWERS: Serves = Roles(&[SuperAdmin, Admin, PaymentsAdmin]);
/// Ticketed events: admins and events admins.
const EVENT_ORGANISERS: Serves = Roles(&[SuperAdmin, Admin, EventsAdmin]);

/// Written from the README's account of each page, not from the code: a new server function
/// fails the test until it is named here.
const WHO_MAY_CALL: &[(&str, Serves)] = &[
    ("auth/me", Anyone),
    ("auth/login", Anyone),
    ("auth/logout", Anyone),
    ("auth/change-password", SignedIn),
    ("auth/update-account", SignedIn),
    ("auth/delete-account", SignedIn),
    ("auth/pending-email", SignedIn),
    ("auth/cancel-email-change", SignedIn),
    ("auth/sign-out-elsewhere", SignedIn),
    ("auth/email-link-status", SignedIn),
    ("auth/confirm-email", SignedIn),
    ("auth/setup-status", Anyone),
    ("auth/setup", Anyone),
    ("home", Anyone),
    ("auth/forgot-password", Anyone),
    ("auth/reset-password", Anyone),
    ("auth/reset-link-status", Anyone),
    ("organisation-name", Anyone),
    ("users/register", Anyone),
    ("contacts/unsubscribe-status", Anyone),
    ("contacts/unsubscribe", Anyone),
    ("contacts/resubscribe", Anyone),
    ("shifts/public", Anyone),
    ("shifts/public-places", Anyone),
    ("shifts/public-one", Anyone),
    ("shifts/chosen", Anyone),
    ("shifts/sign-up", Anyone),
    ("shifts/by-token", Anyone),
    ("shifts/later-by-token", Anyone),
    ("shifts/my-clashes", Anyone),
    ("shifts/unlinked-by-token", Anyone),
    ("shifts/cancel", Anyone),
    ("shifts/email-links", Anyone),
    ("shifts/switch-choices", Anyone),
    ("shifts/switch", Anyone),
    ("campaigns/public", Anyone),
    ("campaigns/send", Anyone),
    ("campaigns/respond", Anyone),
    ("home/stats", Anyone),
    ("ticketed-events/public", Anyone),
    ("ticketed-events/public-one", Anyone),
    ("ticketed-events/take", Anyone),
    ("ticketed-events/ticket", Anyone),
    ("ticketed-events/return", Anyone),
    ("payments/donate", Anyone),
    ("payments/ways-to-give", Anyone),
    ("payments/buy", Anyone),
    ("payments/membership", Anyone),
    ("payments/join", Anyone),
    ("payments/shop", Anyone),
    ("payments/shop-product", Anyone),
    ("shifts/mine", SignedIn),
    ("shifts/link-by-token", SignedIn),
    ("shifts/mine-past", SignedIn),
    ("shifts/cancel-mine", SignedIn),
    ("shifts/my-switch-choices", SignedIn),
    ("shifts/switch-mine", SignedIn),
    ("shifts/calendar-feed", SignedIn),
    ("shifts/calendar-feed-link", SignedIn),
    ("shifts/new-calendar-feed", SignedIn),
    ("admin/dashboard", ADMIN_AREA),
    ("admin/time-zone", ADMIN_AREA),
    ("admin/public-address", ORGANISERS),
    ("admin/time-zones", ORGANISERS),
    ("admin/save-time-zone", ORGANISERS),
    ("admin/organisation", ORGANISERS),
    ("admin/save-organisation", ORGANISERS),
    ("shifts/create", ORGANISERS),
    ("shifts/update", ORGANISERS),
    ("shifts/delete", ORGANISERS),
    ("shifts/admin-list", ORGANISERS),
    ("shifts/admin-one", ORGANISERS),
    ("shifts/admin-add", ORGANISERS),
    ("shifts/admin-remove", ORGANISERS),
    ("shifts/admin-resend", ORGANISERS),
    ("shifts/admin-move", ORGANISERS),
    ("shifts/admin-move-targets", ORGANISERS),
    ("shifts/admin-promote", ORGANISERS),
    ("shifts/admin-attendance", ORGANISERS),
    ("shifts/admin-cancel-shift", ORGANISERS),
    ("shifts/email-volunteers", ORGANISERS),
    ("shifts/sheet", ORGANISERS),
    ("shifts/hours", ORGANISERS),
    ("shifts/reminders", ORGANISERS),
    ("shifts/save-reminders", ORGANISERS),
    ("shifts/needing-volunteers", ORGANISERS),
    ("email/settings", ORGANISERS),
    ("integrations/automation", SUPER_ADMIN),
    ("integrations/save-automation", SUPER_ADMIN),
    ("integrations/team-chat", SUPER_ADMIN),
    ("integrations/save-team-chat", SUPER_ADMIN),
    ("integrations/public-calendar", SUPER_ADMIN),
    ("integrations/save-public-calendar", SUPER_ADMIN),
    ("integrations/add-upcoming-shifts", SUPER_ADMIN),
    ("integrations/newsletter", SUPER_ADMIN),
    ("integrations/save-newsletter", SUPER_ADMIN),
    ("integrations/add-existing-contacts", SUPER_ADMIN),
    ("integrations/sms", SUPER_ADMIN),
    ("integrations/save-sms", SUPER_ADMIN),
    ("sms/messages", ORGANISERS),
    ("sms/reply", ORGANISERS),
    ("sms/mark-done", ORGANISERS),
    ("sms/audience", ORGANISERS),
    ("sms/start-campaign", ORGANISERS),
    ("sms/resume-campaign", ORGANISERS),
    ("sms/campaigns", ORGANISERS),
    ("sms/campaign", ORGANISERS),
    ("email/save-settings", ORGANISERS),
    ("email/test", ORGANISERS),
    ("email/queue", ORGANISERS),
    ("email/retry", ORGANISERS),
    ("observability/stats", ORGANISERS),
    ("observability/replay", ORGANISERS),
    ("observability/event-log", ORGANISERS),
    ("observability/test-event", SUPER_ADMIN),
    ("users/list", SUPER_ADMIN),
    ("users/create", SUPER_ADMIN),
    ("users/update", SUPER_ADMIN),
    ("users/set-active", SUPER_ADMIN),
    ("users/send-password-link", SUPER_ADMIN),
    ("users/approve", SUPER_ADMIN),
    ("users/delete", SUPER_ADMIN),
    ("campaigns/list", ORGANISERS),
    ("campaigns/get", ORGANISERS),
    ("campaigns/save", ORGANISERS),
    ("campaigns/status", ORGANISERS),
    ("campaigns/delete", ORGANISERS),
    ("campaigns/admin-respond", ORGANISERS),
    ("campaigns/moderate", ORGANISERS),
    ("ticketed-events/list", EVENT_ORGANISERS),
    ("ticketed-events/coming", EVENT_ORGANISERS),
    ("ticketed-events/get", EVENT_ORGANISERS),
    ("ticketed-events/email-holders", EVENT_ORGANISERS),
    ("ticketed-events/save", EVENT_ORGANISERS),
    ("ticketed-events/publish", EVENT_ORGANISERS),
    ("ticketed-events/cancel", EVENT_ORGANISERS),
    ("ticketed-events/delete", EVENT_ORGANISERS),
    ("ticketed-events/check-in", EVENT_ORGANISERS),
    ("ticketed-events/cancel-ticket", EVENT_ORGANISERS),
    ("meetings/list", EVENT_ORGANISERS),
    ("meetings/get", EVENT_ORGANISERS),
    ("meetings/save", EVENT_ORGANISERS),
    ("meetings/delete", EVENT_ORGANISERS),
    ("meetings/attendees", EVENT_ORGANISERS),
    ("meetings/invite", EVENT_ORGANISERS),
    // Reads contacts' addresses: only those who run meetings and may read contacts.
    ("meetings/invite-tag", ORGANISERS),
    ("meetings/uninvite", EVENT_ORGANISERS),
    ("meetings/save-minutes", EVENT_ORGANISERS),
    ("meetings/send-minutes", EVENT_ORGANISERS),
    ("meetings/invitation", Anyone),
    ("meetings/reply", Anyone),
    ("canvass/addresses", ORGANISERS),
    ("canvass/address", ORGANISERS),
    ("canvass/add-addresses", ORGANISERS),
    ("canvass/import-addresses", ORGANISERS),
    ("canvass/save-address", ORGANISERS),
    ("canvass/delete-address", ORGANISERS),
    ("canvass/sessions", ORGANISERS),
    ("canvass/turfs", ORGANISERS),
    ("canvass/turf", ORGANISERS),
    ("canvass/save-turf", ORGANISERS),
    ("canvass/delete-turf", ORGANISERS),
    ("canvass/assign-turf", ORGANISERS),
    ("canvass/unassign-turf", ORGANISERS),
    ("canvass/walk", SignedIn),
    ("canvass/start", SignedIn),
    ("canvass/record-visit", SignedIn),
    ("canvass/add-door", SignedIn),
    ("canvass/undo-visit", SignedIn),
    ("canvass/end", SignedIn),
    ("stories/list", ORGANISERS),
    ("stories/get", ORGANISERS),
    ("stories/save", ORGANISERS),
    ("stories/publish", ORGANISERS),
    ("stories/describe-picture", ORGANISERS),
    ("stories/remove-picture", ORGANISERS),
    ("stories/delete", ORGANISERS),
    ("stories/public", Anyone),
    ("stories/public-one", Anyone),
    ("videos/list", ORGANISERS),
    ("videos/get", ORGANISERS),
    ("videos/save", ORGANISERS),
    ("videos/publish", ORGANISERS),
    ("videos/remove-file", ORGANISERS),
    ("videos/remove-poster", ORGANISERS),
    ("videos/captions", ORGANISERS),
    ("videos/save-captions", ORGANISERS),
    ("videos/delete", ORGANISERS),
    ("videos/public", Anyone),
    ("videos/public-one", Anyone),
    ("videos/transcript", Anyone),
    ("videos/viewed", Anyone),
    ("calendar/month", EVENT_ORGANISERS),
    ("contacts/list", CONTACT_READERS),
    ("contacts/get", CONTACT_READERS),
    ("contacts/leaderboard", CONTACT_READERS),
    ("contacts/tags-in-use", CONTACT_READERS),
    ("contacts/create", ORGANISERS),
    ("contacts/update", ORGANISERS),
    ("contacts/tags", ORGANISERS),
    ("contacts/tag-all", ORGANISERS),
    ("contacts/merge", ORGANISERS),
    ("contacts/add-note", ORGANISERS),
    ("contacts/edit-note", ORGANISERS),
    ("contacts/delete-note", ORGANISERS),
    ("contacts/erase", ORGANISERS),
    ("contacts/import/preview", ORGANISERS),
    ("contacts/import/start", ORGANISERS),
    ("jobs/get", JOB_FOLLOWERS),
    ("reengagement/preview", ORGANISERS),
    ("reengagement/send", ORGANISERS),
    ("reengagement/window", ORGANISERS),
    ("reengagement/window/save", ORGANISERS),
    ("payments/settings", PAYMENTS),
    ("payments/save-settings", PAYMENTS),
    ("payments/test-connection", PAYMENTS),
    ("payments/refund", PAYMENTS),
    ("payments/events-to-refund", PAYMENTS),
    ("payments/refund-event", PAYMENTS),
    ("payments/list", PAYMENTS),
    ("payments/donation-chart", PAYMENTS),
    ("payments/audit-log", PAYMENTS),
    ("audit/log", ORGANISERS),
    ("payments/plans", PAYMENTS),
    ("payments/save-plan", PAYMENTS),
    ("payments/products", PAYMENTS),
    ("payments/save-product", PAYMENTS),
];

/// Fields some functions need in a form they can decode, on top of `every_text_field`'s:
/// a choice from a list, or a field only they take.
const DECODABLE: &[(&str, &str)] = &[
    ("scope", "this"),
    ("filter[status]", "ACTIVE"),
    ("form[interval]", "month"),
    ("form[tls]", "x"),
    ("form[username]", "x"),
    ("form[from_name]", "x"),
    ("form[from_address]", "x"),
    ("form[summary]", "x"),
    ("form[body]", "x"),
    ("form[video_url]", "x"),
    ("form[call_to_action]", "x"),
    ("form[recipients]", "x"),
    ("form[email_subject]", "x"),
    ("form[email_template]", "x"),
    ("form[representative_name]", "x"),
    ("form[representative_email]", "x"),
    ("response_id", "x"),
    ("survivor", "x"),
    ("duplicate_email", "x"),
    ("confirm_email", "x"),
    ("days", "x"),
    ("form[currency]", "x"),
    ("form[areas]", "x"),
    ("done", "true"),
    ("edits", "0"),
    ("form[edits]", "0"),
    ("form[reminder_hours]", "24"),
];

/// Whether a function or page that serves `who` serves a caller with `role` (`None`: not
/// signed in).
fn serves(who: Serves, role: Option<Role>) -> bool {
    match (who, role) {
        (Anyone, _) => true,
        (_, None) => false,
        (SignedIn, Some(_)) => true,
        (Roles(roles), Some(role)) => roles.contains(&role),
    }
}

/// Someone not signed in (`None`), then someone signed in with each role.
async fn callers(app: &TestApp) -> Vec<(Option<Role>, reqwest::Client)> {
    let mut callers = vec![(None, app.client())];
    for (n, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("role{n}@example.org");
        app.create_user(&email, role, UserStatus::Active).await;
        callers.push((Some(role), app.signed_in(&email).await));
    }
    callers
}

/// Every table, counted: a refused call must change none of them.
async fn row_counts(app: &TestApp) -> Vec<(String, i64)> {
    let tables: Vec<String> = match app.db.backend() {
        app::db::Backend::Sqlite => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(app.db.pool())
                .await
        }
        app::db::Backend::Postgres => sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
        )
        .fetch_all(app.db.pool())
        .await,
    }
    .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(app.db.pool()).await.unwrap();
        counts.push((table, count));
    }
    counts
}

/// Anyone is answered 401 by a function for signed-in users, each role 403 by a function
/// not for it, and both leave every table as it was; whom a function serves is never refused.
async fn every_server_function_answers_only_whom_it_serves(app: TestApp) {
    let mut registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/"))
        .collect();
    registered.sort_unstable();
    registered.dedup();
    let named: BTreeSet<&str> = WHO_MAY_CALL.iter().map(|(path, _)| *path).collect();
    let unnamed: Vec<&&str> = registered.iter().filter(|p| !named.contains(**p)).collect();
    assert!(unnamed.is_empty(), "say whom these serve in WHO_MAY_CALL: {unnamed:?}");
    let gone: Vec<&&str> = named.iter().filter(|p| !registered.contains(p)).collect();
    assert!(gone.is_empty(), "no longer registered: {gone:?}");

    let callers = callers(&app).await;
    // Arguments every function can decode, so each call reaches its role check.
    let mut form = every_text_field("x");
    form.retain(|(field, _)| !DECODABLE.iter().any(|(f, _)| f == field));
    form.extend(DECODABLE.iter().map(|(field, value)| (*field, value.to_string())));
    let call = |path: &'static str, client: reqwest::Client| {
        let url = app.url(&format!("/api/{path}"));
        let form = form.clone();
        async move {
            let request = client.post(url);
            // The imports take their file as JSON.
            let request = match path {
                "contacts/import/preview" | "contacts/import/start" => {
                    request.json(&serde_json::json!({ "csv": "name,email\nJo,jo@example.org\n" }))
                }
                "canvass/import-addresses" => {
                    request.json(&serde_json::json!({ "lines": "12 High St, Springfield, K1A 0B1" }))
                }
                _ => request.form(&form),
            };
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    // Refused first, every table counted before and after.
    let before = row_counts(&app).await;
    let mut wrong = Vec::new();
    for &(path, who) in WHO_MAY_CALL {
        for (role, client) in callers.iter().filter(|(role, _)| !serves(who, *role)) {
            let expected = if role.is_none() { 401 } else { 403 };
            let (status, body) = call(path, client.clone()).await;
            if status != expected {
                wrong.push(format!("{path} as {role:?}: {status}, expected {expected}: {body:.200}"));
            }
        }
    }
    assert_eq!(row_counts(&app).await, before, "a refused call changed nothing");

    // Then served: whatever the arguments make of it, never "sign in" or "not allowed".
    // Signing out comes last, since it ends the session the other calls use.
    let (last, first): (Vec<_>, Vec<_>) = WHO_MAY_CALL.iter().partition(|(path, _)| *path == "auth/logout");
    for &(path, who) in first.into_iter().chain(last) {
        for (role, client) in callers.iter().filter(|(role, _)| serves(who, *role)) {
            let (status, body) = call(path, client.clone()).await;
            if status == 401 || status == 403 {
                wrong.push(format!("{path} as {role:?}: {status}, expected to be served: {body:.200}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
}

/// Every admin page, and every download and stream for admins, with whom it serves.
const PAGES: &[(&str, Serves)] = &[
    ("/admin", ADMIN_AREA),
    ("/admin/shifts", ORGANISERS),
    ("/admin/shifts/hours", ORGANISERS),
    ("/admin/shifts/x", ORGANISERS),
    ("/admin/shifts/x/sheet", ORGANISERS),
    ("/admin/ticketed-events", EVENT_ORGANISERS),
    ("/admin/ticketed-events/x", EVENT_ORGANISERS),
    ("/admin/meetings", EVENT_ORGANISERS),
    ("/admin/meetings/x", EVENT_ORGANISERS),
    ("/admin/calendar", EVENT_ORGANISERS),
    ("/admin/canvass", ORGANISERS),
    ("/admin/canvass/addresses/x", ORGANISERS),
    ("/admin/canvass/turfs/x", ORGANISERS),
    ("/admin/stories", ORGANISERS),
    ("/admin/stories/x", ORGANISERS),
    ("/admin/videos", ORGANISERS),
    ("/admin/videos/x", ORGANISERS),
    ("/admin/sms", ORGANISERS),
    ("/admin/sms/campaigns", ORGANISERS),
    ("/admin/sms/campaigns/x", ORGANISERS),
    ("/admin/users", SUPER_ADMIN),
    ("/admin/campaigns", ORGANISERS),
    ("/admin/campaigns/x", ORGANISERS),
    ("/admin/contacts", CONTACT_READERS),
    ("/admin/contacts/leaderboard", CONTACT_READERS),
    ("/admin/contacts/x", CONTACT_READERS),
    ("/admin/contacts/import", ORGANISERS),
    ("/admin/reengagement", ORGANISERS),
    ("/admin/emails", ORGANISERS),
    ("/admin/settings", ORGANISERS),
    ("/admin/integrations", SUPER_ADMIN),
    ("/admin/payments", PAYMENTS),
    ("/admin/payments/settings", PAYMENTS),
    ("/admin/payments/products", PAYMENTS),
    ("/admin/payments/plans", PAYMENTS),
    ("/admin/payments/audit", PAYMENTS),
    ("/admin/events/bus", ORGANISERS),
    ("/admin/events/log", ORGANISERS),
    ("/admin/events/live", ORGANISERS),
    ("/admin/audit", ORGANISERS),
    ("/api/shifts.csv", ORGANISERS),
    ("/api/shifts/hours.csv", ORGANISERS),
    ("/api/shifts/x/signups.csv", ORGANISERS),
    ("/api/campaigns/x/supporters.csv", ORGANISERS),
    ("/api/contacts.csv", CONTACT_READERS),
    ("/api/canvass/addresses.csv", ORGANISERS),
    ("/api/videos/x/captions-preview.vtt", ORGANISERS),
    ("/api/contacts/x/data.json", ORGANISERS),
    ("/api/ticketed-events/x/tickets.csv", EVENT_ORGANISERS),
    ("/api/payments/donations.csv", PAYMENTS),
    ("/api/observability/event-bus", ORGANISERS),
    ("/api/events/stream", ORGANISERS),
];

/// Opened by anyone, an admin page sends them to sign in and a download answers 401; opened
/// by a role it does not serve, 403 ("No access"); by one it serves, neither.
async fn every_admin_page_opens_only_for_whom_it_serves(app: TestApp) {
    let callers = callers(&app).await;
    let mut wrong = Vec::new();
    for &(path, who) in PAGES {
        for (role, client) in &callers {
            // As a browser asks, so that a redirect is a real one; the body is not read, since
            // the stream never ends.
            let res = client.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
            let status = res.status().as_u16();
            let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            let refused = match role {
                None if path.starts_with("/admin") => {
                    status == 302 && location.as_deref() == Some(&format!("/login?next={path}"))
                }
                None => status == 401,
                Some(_) => status == 403,
            };
            let expected = if serves(who, *role) { !matches!(status, 302 | 401 | 403) } else { refused };
            if !expected {
                wrong.push(format!("{path} as {role:?}: {status} {location:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
}

/// The uploads (plain routes, not server functions): 401 for anyone, 403 for the roles they
/// do not serve, and for those they serve the video's or story's own answer (404 here: there
/// is no `x`).
async fn the_uploads_answer_only_whom_they_serve(app: TestApp) {
    let mut wrong = Vec::new();
    let uploads = [
        app::media::upload_path("x"),
        app::media::poster_upload_path("x"),
        app::stories::picture_upload_path("x"),
    ];
    for (role, client) in callers(&app).await {
        for upload in &uploads {
            let res = client
                .post(app.url(upload))
                .header("content-type", "multipart/form-data; boundary=b")
                .body("--b--\r\n")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let expected = match role {
                _ if serves(ORGANISERS, role) => 404,
                None => 401,
                Some(_) => 403,
            };
            if status != expected {
                wrong.push(format!("{upload} {role:?}: {status}, expected {expected}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
