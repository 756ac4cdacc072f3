//! Payments (SPEC §4) over HTTP against a fake Stripe, on both databases.

use crate::common::stripe::{self, FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use crate::common::{Backend, CapturedLog, TestApp, redirected_to, spawn_app_with};
use app::db;
use app::secrets::ExposeSecret;
use app::users::{Role, UserStatus};
use serde_json::{Value, json};

on_both_backends_with_own_server!(
    settings_mask_secrets_keep_them_on_a_mask_and_audit_field_names,
    payment_functions_check_the_role,
    donations_check_the_amount_and_that_payments_are_on,
    the_default_checkout_limit_is_ten_an_hour_per_ip,
    webhooks_are_verified_processed_once_and_fulfil_donations,
    the_payment_audit_log_is_append_only,
    no_response_or_stored_record_holds_a_secret,
    products_are_checked_and_managed_by_payments_admins,
    the_shop_and_the_product_list_come_in_pages,
    the_payments_list_comes_in_pages_newest_first,
    a_product_cap_holds_under_two_hundred_simultaneous_checkouts,
    refunds_go_to_stripe_then_the_record_and_the_webhook_reconciles_a_lost_update,
    a_refund_that_arrives_before_its_payment_waits_for_it,
    a_dispute_that_arrives_before_its_payment_is_held_until_the_payment_is_recorded,
    disputes_move_the_payment_through_disputed_to_won_lost_or_refunded,
    membership_plans_start_subscriptions_that_follow_stripe,
    the_donation_chart_counts_what_was_kept_per_day_and_week,
    payment_forms_the_browser_sends_itself_go_on_to_stripe,
    the_home_page_offers_active_campaigns_and_the_ways_to_give_that_are_open,
    paid_tickets_hold_their_place_are_issued_when_paid_and_follow_disputes_and_refunds,
    pay_what_you_can_tickets_are_free_for_nothing_and_go_to_stripe_for_the_amount_chosen,
    payments_admins_stream_only_what_their_pages_show,
);

/// A server talking to a fresh fake Stripe.
async fn spawn(backend: Backend) -> (TestApp, FakeStripe) {
    let stripe = FakeStripe::start().await;
    let app = spawn_app_with(backend, &[("CHANGEMAKER_STRIPE_API_BASE", &stripe.base_url)]).await;
    (app, stripe)
}

/// As `spawn`, for tests that start many checkouts from one address: the checkout limit
/// raised, and payments set up by a payments admin (the third value, signed in).
async fn spawn_for_many_checkouts(backend: Backend) -> (TestApp, FakeStripe, reqwest::Client) {
    let stripe = FakeStripe::start().await;
    let config = [
        ("CHANGEMAKER_STRIPE_API_BASE", stripe.base_url.as_str()),
        ("CHANGEMAKER_CHECKOUT_RATE_LIMIT", "100000"),
    ];
    let app = spawn_app_with(backend, &config).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    (app, stripe, admin)
}

async fn payments_admin(app: &TestApp) -> reqwest::Client {
    app.create_user("treasurer@example.org", Role::PaymentsAdmin, UserStatus::Active).await;
    app.signed_in("treasurer@example.org").await
}

/// Payments admins' page updates live: they may stream the payment topics (donations,
/// memberships, the shop, tickets, refunds and disputes, events cancelled), and nothing else.
async fn payments_admins_stream_only_what_their_pages_show(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let treasurer = payments_admin(&app).await;
    let status = |topics: &'static str| {
        let (app, treasurer) = (&app, treasurer.clone());
        async move {
            let url = app.url(&format!("/api/events/stream{topics}"));
            treasurer.get(url).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(status("?topics=donation.*,subscription.*,product.*,payment.*,ticket.*").await, 200);
    assert_eq!(status("?topics=payment.dispute.created").await, 200);
    assert_eq!(status("?topics=donation.*,contact.*").await, 403);
    assert_eq!(status("?topics=shift.signup.created").await, 403);
    // A cancelled event's paid tickets wait for their refund on the page; nothing else of events.
    assert_eq!(status("?topics=ticketed-event.cancelled").await, 200);
    assert_eq!(status("?topics=ticketed-event.*").await, 403);
    assert_eq!(status("?topics=*").await, 403);
    assert_eq!(status("").await, 403, "every topic");
}

fn settings_form<'a>(enabled: &'a str, secret: &'a str, webhook: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[enabled]", enabled),
        ("form[currency]", "cad"),
        ("form[publishable_key]", "pk_test_51FakePublishableKey"),
        ("form[secret_key]", secret),
        ("form[webhook_secret]", webhook),
    ]
}

/// Saves working keys with payments on.
async fn configure(app: &TestApp, admin: &reqwest::Client) {
    let res =
        app.call(admin, "payments/save-settings", &settings_form("true", SECRET_KEY, WEBHOOK_SECRET)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn stored_secret(app: &TestApp, name: &str) -> Option<String> {
    let key = app::secrets::SecretKey::load_or_create(&app.config.data_dir.join("secret.key")).unwrap();
    let stored = app::settings::Group::read(&app.db, &[name]).await.unwrap();
    stored.secret(&key, name).map(|s| s.expose_secret().to_string())
}

async fn audit_rows(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT outcome, detail FROM payment_audit_log WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn settings_mask_secrets_keep_them_on_a_mask_and_audit_field_names(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    let res = app.call(&admin, "payments/settings", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let empty: Value = res.json().await.unwrap();
    assert_eq!((empty["secret_key"].as_str(), empty["currency"].as_str()), (Some(""), Some("cad")));

    // Saving answers with the masks, never the keys.
    let res =
        app.call(&admin, "payments/save-settings", &settings_form("true", SECRET_KEY, WEBHOOK_SECRET)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    assert!(!text.contains(SECRET_KEY) && !text.contains(WEBHOOK_SECRET), "{text}");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["secret_key"], "sk_test_…4242");
    assert_eq!(saved["webhook_secret"], "whsec_…9876");
    assert_eq!(saved["enabled"], true);

    // The form sent back as shown (masks in the secret fields) keeps the stored keys; so does
    // an empty field. The mask itself is never stored, encrypted or not.
    let res = app.call(&admin, "payments/save-settings", &settings_form("true", "sk_test_…4242", "")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(stored_secret(&app, "payments.secret_key").await.as_deref(), Some(SECRET_KEY));
    assert_eq!(stored_secret(&app, "payments.webhook_secret").await.as_deref(), Some(WEBHOOK_SECRET));
    let raw: Vec<String> = sqlx::query_scalar("SELECT value FROM app_settings WHERE key LIKE 'payments.%'")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(
        raw.iter().all(|v| !v.contains('…') && !v.contains(SECRET_KEY) && !v.contains(WEBHOOK_SECRET)),
        "{raw:?}"
    );

    // A different mask, or a partial key, is a typing error: nothing changes.
    for typed in ["sk_test_…9999", "not-a-key", "pk_test_123456789012345"] {
        let res = app.call(&admin, "payments/save-settings", &settings_form("true", typed, "")).await;
        assert_eq!(res.status(), 422, "{typed}");
    }
    assert_eq!(stored_secret(&app, "payments.secret_key").await.as_deref(), Some(SECRET_KEY));

    // A whole new key replaces the old one.
    let new_key = "sk_test_51AnotherKeyForChangemakerTests00001111";
    assert_eq!(
        app.call(&admin, "payments/save-settings", &settings_form("true", new_key, "")).await.status(),
        200
    );
    assert_eq!(stored_secret(&app, "payments.secret_key").await.as_deref(), Some(new_key));

    // Every save is audited by field name, never value.
    let rows = audit_rows(&app, "settings.saved").await;
    let details: Vec<&str> = rows.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(
        details,
        [
            "changed: enabled, publishable_key, secret_key, webhook_secret",
            "nothing changed",
            "changed: secret_key"
        ]
    );

    // Test connection uses the stored key (the fake only knows the first one).
    let res = app.call(&admin, "payments/test-connection", &[]).await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Invalid API Key"));
    assert_eq!(
        app.call(&admin, "payments/save-settings", &settings_form("true", SECRET_KEY, "")).await.status(),
        200
    );
    let res = app.call(&admin, "payments/test-connection", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<String>().await.unwrap(), "Connected to Stripe (test mode).");
    let balance = stripe.requests().into_iter().filter(|r| r.path == "/v1/balance").count();
    assert_eq!(balance, 2);
}

async fn payment_functions_check_the_role(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    for (email, role) in [
        ("vol@example.org", Role::Volunteer),
        ("admin@example.org", Role::Admin),
        ("pay@example.org", Role::PaymentsAdmin),
        ("super@example.org", Role::SuperAdmin),
    ] {
        app.create_user(email, role, UserStatus::Active).await;
    }
    let clients = [
        ("anonymous", app.client(), 401),
        ("volunteer", app.signed_in("vol@example.org").await, 403),
        ("admin", app.signed_in("admin@example.org").await, 403),
        ("payments admin", app.signed_in("pay@example.org").await, 200),
        ("super admin", app.signed_in("super@example.org").await, 200),
    ];
    for (who, client, expected) in &clients {
        // Refunds: refused the same way; allowed ones are told there is no such payment.
        let res = app.call(client, "payments/refund", &[("kind", "donation"), ("id", "nope")]).await;
        let allowed_status = if *expected == 200 { 404 } else { *expected };
        assert_eq!(res.status(), allowed_status, "payments/refund as {who}");
        let res = app.call(client, "payments/products", &[]).await;
        assert_eq!(res.status(), *expected, "payments/products as {who}");
        let slug = format!("mug-{}", who.replace(' ', "-"));
        let res = app.call(client, "payments/save-product", &product_form("Mug", &slug, "12", "")).await;
        assert_eq!(res.status(), *expected, "payments/save-product as {who}");
        if *expected == 200 {
            let product: Value = res.json().await.unwrap();
            assert_eq!(product["slug"], slug.as_str());
        }
        let res = app.call(client, "payments/settings", &[]).await;
        assert_eq!(res.status(), *expected, "payments/settings as {who}");
        let form = settings_form("false", "", "");
        let res = app.call(client, "payments/save-settings", &form).await;
        assert_eq!(res.status(), *expected, "payments/save-settings as {who}");
        // Test connection: refused the same way; allowed ones are told no key is saved.
        let res = app.call(client, "payments/test-connection", &[]).await;
        let allowed_status = if *expected == 200 { 409 } else { *expected };
        assert_eq!(res.status(), allowed_status, "payments/test-connection as {who}");
        let plan = [("form[name]", "Friend"), ("form[amount]", "5"), ("form[interval]", "month")];
        let reads: [(&str, &[(&str, &str)]); 8] = [
            ("payments/list", &[("kind", "donation")]),
            ("payments/list", &[("kind", "order")]),
            ("payments/list", &[("kind", "subscription")]),
            ("payments/donation-chart", &[("by", "week")]),
            ("payments/audit-log", &[]),
            ("payments/plans", &[]),
            ("payments/save-plan", &plan),
            ("payments/settings", &[]),
        ];
        for (endpoint, args) in reads {
            assert_eq!(app.call(client, endpoint, args).await.status(), *expected, "{endpoint} as {who}");
        }
        for file in ["donations.csv", "orders.csv", "subscriptions.csv"] {
            let res = client.get(app.url(&format!("/api/payments/{file}"))).send().await.unwrap();
            assert_eq!(res.status(), *expected, "{file} as {who}");
        }
    }
    // Only the two allowed saves were audited.
    assert_eq!(audit_rows(&app, "settings.saved").await.len(), 2);
    // Donating is open to everyone (and here refused only because payments are off).
    for (who, client, _) in &clients {
        let res = app.call(client, "payments/donate", &donation("25", "ONE_OFF")).await;
        assert_eq!(res.status(), 503, "payments/donate as {who}");
    }
}

fn donation<'a>(amount: &'a str, frequency: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[amount]", amount),
        ("form[frequency]", frequency),
        ("form[name]", "Dana Donor"),
        ("form[email]", "dana@example.org"),
    ]
}

async fn donations_check_the_amount_and_that_payments_are_on(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let anonymous = app.client();
    // Payments off: a clear message, nothing sent to Stripe, an audit row.
    let res = app.call(&anonymous, "payments/donate", &donation("25", "ONE_OFF")).await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Payments are not available"));
    assert!(stripe.requests().is_empty());
    assert_eq!(
        audit_rows(&app, "checkout.refused").await,
        [("payments disabled".to_string(), String::new())]
    );

    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    // Out of bounds or not whole cents, one-off and monthly alike: refused by field.
    for (amount, frequency) in
        [("100000.01", "ONE_OFF"), ("0.99", "ONE_OFF"), ("100000.01", "MONTHLY"), ("5.001", "MONTHLY")]
    {
        let res = app.call(&anonymous, "payments/donate", &donation(amount, frequency)).await;
        assert_eq!(res.status(), 422, "{amount} {frequency}");
        assert!(res.text().await.unwrap().contains("amount"));
    }
    let res = app.call(&anonymous, "payments/donate", &donation("25", "WEEKLY")).await;
    assert_eq!(res.status(), 422);
    assert!(stripe.requests().is_empty(), "refused forms never reach Stripe");
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM donations").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 0);

    // The bounds themselves are fine: the supporter is sent to Stripe's page.
    let res = app.call(&anonymous, "payments/donate", &donation("1.00", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let started: Value = res.json().await.unwrap();
    assert!(started["url"].as_str().unwrap().starts_with("https://checkout.stripe.com/c/pay/cs_test_"));
    let res = app.call(&anonymous, "payments/donate", &donation("$100,000.00", "MONTHLY")).await;
    assert_eq!(res.status(), 200);

    let requests = stripe.requests();
    assert_eq!(requests.len(), 2);
    let (one_off, monthly) = (&requests[0], &requests[1]);
    assert_eq!((one_off.method.as_str(), one_off.path.as_str()), ("POST", "/v1/checkout/sessions"));
    assert_eq!(one_off.form["mode"], "payment");
    assert_eq!(one_off.form["line_items[0][price_data][unit_amount]"], "100");
    assert_eq!(one_off.form["line_items[0][price_data][currency]"], "cad");
    assert_eq!(one_off.form["customer_email"], "dana@example.org");
    assert_eq!(monthly.form["mode"], "subscription");
    assert_eq!(monthly.form["line_items[0][price_data][unit_amount]"], "10000000");
    assert_eq!(monthly.form["line_items[0][price_data][recurring][interval]"], "month");
    assert_ne!(one_off.idempotency_key, monthly.idempotency_key);

    // Both wait for the webhook: the success page fulfils nothing.
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT status, amount_cents, frequency FROM donations ORDER BY amount_cents")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            ("PENDING".to_string(), 100, "ONE_OFF".to_string()),
            ("PENDING".to_string(), 10_000_000, "MONTHLY".to_string())
        ]
    );
    assert_eq!(audit_rows(&app, "checkout.started").await.len(), 2);
    let thanks = app.client().get(app.url("/donate/thanks")).send().await.unwrap().text().await.unwrap();
    assert!(thanks.contains("we’ll email your receipt"));
    let paid: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations WHERE status <> 'PENDING'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(paid, 0);

    // Stripe refuses (here: a key it does not know): the supporter is asked to try later, the
    // donation is FAILED, and Stripe's own words are kept in the audit log only.
    let wrong = "sk_test_51AKeyStripeDoesNotKnow000000000001111";
    assert_eq!(
        app.call(&admin, "payments/save-settings", &settings_form("true", wrong, "")).await.status(),
        200
    );
    let res = app.call(&anonymous, "payments/donate", &donation("7", "ONE_OFF")).await;
    assert_eq!(res.status(), 503);
    let text = res.text().await.unwrap();
    assert!(text.contains("could not be opened") && !text.contains("API Key"), "{text}");
    let status: String = sqlx::query_scalar("SELECT status FROM donations WHERE amount_cents = 700")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "FAILED");
    let failed = audit_rows(&app, "checkout.failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].1.contains("Invalid API Key"), "{failed:?}");
}

async fn the_default_checkout_limit_is_ten_an_hour_per_ip(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let anonymous = app.client();
    for n in 0..10 {
        let res = app.call(&anonymous, "payments/donate", &donation("10", "ONE_OFF")).await;
        assert_eq!(res.status(), 200, "start {n}");
    }
    let res = app.call(&anonymous, "payments/donate", &donation("10", "MONTHLY")).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    let error: app::error::AppError = res.json().await.unwrap();
    assert_eq!(error.to_string(), format!("Too many attempts. Try again in {} minutes.", wait.div_ceil(60)));
    assert_eq!(stripe.requests().len(), 10, "the refused start never reached Stripe");
}

/// Delivers `body` to the webhook with `signature` (or none).
async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> reqwest::StatusCode {
    let mut req = app.client().post(app.url("/api/payments/webhook")).body(body.to_string());
    if let Some(signature) = signature {
        req = req.header("Stripe-Signature", signature);
    }
    req.send().await.unwrap().status()
}

fn signed(body: &str) -> Option<String> {
    Some(stripe::signature(WEBHOOK_SECRET, db::now_unix(), body))
}

async fn donation_status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM donations WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn paid_session(donation_id: &str) -> Value {
    json!({
        "id": format!("cs_test_{donation_id}"),
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
        "client_reference_id": donation_id,
        "metadata": { "donation_id": donation_id },
        "payment_intent": "pi_test_123",
        "customer": "cus_test_123",
    })
}

async fn webhooks_are_verified_processed_once_and_fulfil_donations(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let res = app.call(&app.client(), "payments/donate", &donation("25", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let id: String = sqlx::query_scalar("SELECT id FROM donations").fetch_one(app.db.pool()).await.unwrap();
    let body = stripe::event("evt_paid_1", "checkout.session.completed", paid_session(&id));
    let now = db::now_unix();

    // Refused deliveries: 400, an audit row each, no effect. (Stale and future stamps are a
    // minute past the tolerance, as the server's clock moves on; the exact 300 s edge is
    // unit-tested with a fixed clock.)
    let refused = [
        Some(stripe::signature("whsec_SomeoneElsesSecret", now, &body)),
        Some(stripe::signature(WEBHOOK_SECRET, now, &body.replace("\"paid\"", "\"unpaid\""))),
        Some(stripe::signature(WEBHOOK_SECRET, now - 360, &body)),
        Some(stripe::signature(WEBHOOK_SECRET, now + 360, &body)),
        Some("t=1,v1=nothex".to_string()),
        None,
    ];
    for signature in refused {
        assert_eq!(deliver(&app, &body, signature.clone()).await, 400, "{signature:?}");
    }
    assert_eq!(donation_status(&app, &id).await, "PENDING");
    assert_eq!(audit_rows(&app, "webhook.rejected").await.len(), 6);
    assert!(app.events("donation.completed").await.is_empty());
    // Each refusal writes to the append-only log, so one address has 20 a minute audited; past
    // them it gets 429 and nothing is written. Stripe's signed deliveries never count (below).
    let audited = app::payments::webhook::REJECTIONS_AUDITED_PER_MINUTE as usize;
    for _ in 6..audited {
        assert_eq!(deliver(&app, &body, None).await, 400);
    }
    assert_eq!(deliver(&app, &body, None).await, 429);
    assert_eq!(audit_rows(&app, "webhook.rejected").await.len(), audited);

    // Any of several v1 values may match.
    let good = stripe::signature(WEBHOOK_SECRET, now, &body);
    let v1 = good.split_once(",v1=").unwrap().1;
    let two = format!("t={now},v1={},v1={v1}", "ab".repeat(32));
    assert_eq!(deliver(&app, &body, Some(two)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "PAID");
    let completed = app.events("donation.completed").await;
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["amount_cents"], 2500);
    assert_eq!(completed[0]["donor_email"], "dana@example.org");
    assert_eq!(completed[0]["recurring"], false);
    let contact: Option<String> = sqlx::query_scalar("SELECT contact_id FROM donations WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let contact_email: String = sqlx::query_scalar("SELECT email FROM contacts WHERE id = $1")
        .bind(contact.unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(contact_email, "dana@example.org");

    // The same event again: 200, nothing more.
    assert_eq!(deliver(&app, &body, signed(&body)).await, 200);
    assert_eq!(app.events("donation.completed").await.len(), 1);

    // Two simultaneous deliveries of a new event for a second donation: one effect.
    let res = app.call(&app.client(), "payments/donate", &donation("40", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let second: String = sqlx::query_scalar("SELECT id FROM donations WHERE amount_cents = 4000")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let body2 = stripe::event("evt_paid_2", "checkout.session.completed", paid_session(&second));
    let (a, b) = tokio::join!(deliver(&app, &body2, signed(&body2)), deliver(&app, &body2, signed(&body2)));
    assert_eq!((a, b), (reqwest::StatusCode::OK, reqwest::StatusCode::OK));
    assert_eq!(app.events("donation.completed").await.len(), 2);
    let processed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events WHERE id = 'evt_paid_2'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(processed, 1);

    // An expired checkout closes its donation; a late "completed" for a settled one changes nothing.
    let res = app.call(&app.client(), "payments/donate", &donation("60", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let third: String = sqlx::query_scalar("SELECT id FROM donations WHERE amount_cents = 6000")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let expired = stripe::event(
        "evt_expired_3",
        "checkout.session.expired",
        json!({
            "id": "cs_test_expired", "object": "checkout.session", "status": "expired", "payment_status": "unpaid",
            "metadata": { "donation_id": third }
        }),
    );
    assert_eq!(deliver(&app, &expired, signed(&expired)).await, 200);
    assert_eq!(donation_status(&app, &third).await, "EXPIRED");

    // An event type we do not handle: 200, recorded, no effect.
    let other =
        stripe::event("evt_other", "customer.created", json!({ "id": "cus_test_9", "object": "customer" }));
    assert_eq!(deliver(&app, &other, signed(&other)).await, 200);
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM stripe_events WHERE id = 'evt_other'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(outcome, "not handled");
    assert_eq!(app.events("donation.completed").await.len(), 2);
}

async fn the_payment_audit_log_is_append_only(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    assert_eq!(audit_rows(&app, "settings.saved").await.len(), 1);
    let update =
        sqlx::query("UPDATE payment_audit_log SET outcome = 'forged'").execute(app.db.writer()).await;
    assert!(update.is_err(), "an audit row was changed");
    let delete = sqlx::query("DELETE FROM payment_audit_log").execute(app.db.writer()).await;
    assert!(delete.is_err(), "an audit row was deleted");
    assert_eq!(
        audit_rows(&app, "settings.saved").await,
        [("ok".to_string(), "changed: enabled, publishable_key, secret_key, webhook_secret".to_string())]
    );

    // The admin's read-only view, filtered by action, actor and UTC dates.
    let res = app.call(&app.client(), "payments/donate", &donation("5", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let today = app::time::date_time_from_unix(db::now_unix()).0;
    let tomorrow = app::time::date_time_from_unix(db::now_unix() + 86_400).0;
    let log = |args: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&admin, "payments/audit-log", &args).await
        }
    };
    let all: Value = log(vec![]).await.json().await.unwrap();
    let actions: Vec<&str> =
        all["rows"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["checkout.started", "settings.saved"], "newest first");
    let filter = vec![
        ("filter[action]", "settings.saved".to_string()),
        ("filter[from]", today.clone()),
        ("filter[to]", today),
    ];
    let saved: Value = log(filter).await.json().await.unwrap();
    assert_eq!(saved["rows"].as_array().unwrap().len(), 1);
    assert!(saved["rows"][0]["actor"].as_str().unwrap().starts_with("user:"));
    assert_eq!(saved["rows"][0]["actor_name"], "Test Person", "the account's name");
    let system: Value = log(vec![("filter[actor]", "system".into())]).await.json().await.unwrap();
    assert_eq!(system["rows"][0]["action"], "checkout.started");
    assert_eq!(system["rows"][0]["actor_name"], "System");
    let html = app.page(&admin, "/admin/payments/audit?actor=system&action=checkout.started").await;
    assert!(html.contains("Only <strong>System</strong>"), "{html}");
    assert!(html.contains(r#"href="/admin/payments/audit?page=1&amp;action=checkout.started""#), "{html}");
    assert_eq!(system["rows"][0]["amount_cents"], 500);
    let later: Value = log(vec![("filter[from]", tomorrow)]).await.json().await.unwrap();
    assert!(later["rows"].as_array().unwrap().is_empty());
    assert_eq!(log(vec![("filter[from]", "2026-02-30".into())]).await.status(), 422);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    assert_eq!(app.call(&volunteer, "payments/audit-log", &[]).await.status(), 403);
    let page = admin.get(app.url("/admin/payments/audit?action=settings.saved")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"audit-row\"").count(), 1, "{html}");
    let html = app.page(&admin, "/admin/payments/audit?action=settings.saved&page=2").await;
    assert!(
        html.contains("No more entries on this page.")
            && html.contains("/admin/payments/audit?page=1&amp;action=settings.saved"),
        "{html}"
    );
}

async fn no_response_or_stored_record_holds_a_secret(backend: Backend) {
    let (log, _guard) = CapturedLog::start();
    let (app, _stripe) = spawn(backend).await;
    app.create_user("super@example.org", Role::SuperAdmin, UserStatus::Active).await;
    let admin = app.signed_in("super@example.org").await;
    // Every path a key travels: saved, checked against Stripe, used for a checkout, a webhook
    // and a refund.
    configure(&app, &admin).await;
    let res = app.call(&app.client(), "payments/donate", &donation("25", "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    let paid = paid_donation(&app, "40", "pi_test_leak").await;
    let refund = [("kind", "donation"), ("id", paid.as_str()), ("amount", "5")];
    assert_eq!(app.call(&admin, "payments/refund", &refund).await.status(), 200);
    let mut seen = String::new();
    // Every admin page, and the public payment pages.
    let admin_pages = app::admin::NAV.iter().map(|item| item.href);
    let kinds =
        ["/admin/payments?kind=order", "/admin/payments?kind=subscription", "/admin/payments?kind=ticket"];
    for page in admin_pages.chain(kinds).chain(["/donate", "/donate/thanks", "/shop", "/membership"]) {
        let res = admin.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        if page.starts_with("/admin") {
            assert_eq!(res.headers()["cache-control"], "no-store", "{page}");
        }
        seen.push_str(&res.text().await.unwrap());
    }
    // Every payments server function an admin reads.
    let reads: [(&str, &[(&str, &str)]); 13] = [
        ("payments/settings", &[]),
        ("payments/test-connection", &[]),
        ("payments/list", &[("kind", "donation")]),
        ("payments/list", &[("kind", "order")]),
        ("payments/list", &[("kind", "subscription")]),
        ("payments/donation-chart", &[("by", "day")]),
        ("payments/audit-log", &[]),
        ("payments/plans", &[]),
        ("payments/products", &[]),
        ("payments/membership", &[]),
        ("payments/shop", &[]),
        ("observability/event-log", &[]),
        ("observability/stats", &[]),
    ];
    for (endpoint, args) in reads {
        seen.push_str(&app.call(&admin, endpoint, args).await.text().await.unwrap());
    }
    for file in ["donations.csv", "orders.csv", "subscriptions.csv"] {
        seen.push_str(
            &admin.get(app.url(&format!("/api/payments/{file}"))).send().await.unwrap().text().await.unwrap(),
        );
    }
    // The live stream, replayed from the first event.
    let outbox: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM event_outbox").fetch_one(app.db.pool()).await.unwrap();
    let stream = admin.get(app.url("/api/events/stream?since=0")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let streamed = crate::common::read_sse(stream, outbox as usize).await;
    assert!(streamed.iter().any(|(_, topic, _)| topic == "payment.refunded"), "{streamed:?}");
    seen.extend(streamed.into_iter().map(|(_, _, data)| data));
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM event_outbox UNION ALL SELECT detail FROM payment_audit_log \
         UNION ALL SELECT entity FROM admin_audit_log",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    seen.push_str(&stored.join("\n"));
    assert!(seen.contains("sk_test_…4242"), "the masked key is shown");
    let logged = log.text();
    assert!(logged.contains("/api/payments/webhook"), "the log was captured");
    for secret in [SECRET_KEY, WEBHOOK_SECRET, &SECRET_KEY[8..], &WEBHOOK_SECRET[6..]] {
        assert!(!seen.contains(secret), "a secret leaked");
        assert!(!logged.contains(secret), "a secret was logged");
    }
}

fn product_form<'a>(name: &'a str, slug: &'a str, price: &'a str, cap: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[name]", name),
        ("form[slug]", slug),
        ("form[description]", "Organic cotton, printed locally."),
        ("form[price]", price),
        ("form[max_purchases]", cap),
        ("form[active]", "true"),
    ]
}

async fn products_are_checked_and_managed_by_payments_admins(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await; // the shop is open
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let form = product_form("Campaign T-shirt", "t-shirt", "20", "5");
    assert_eq!(app.call(&app.client(), "payments/save-product", &form).await.status(), 401);
    assert_eq!(app.call(&volunteer, "payments/save-product", &form).await.status(), 403);
    assert_eq!(app.call(&volunteer, "payments/products", &[]).await.status(), 403);
    for (field, bad) in [
        ("slug", product_form("Shirt", "T Shirt!", "20", "")),
        ("price", product_form("Shirt", "shirt", "0.49", "")),
        ("price", product_form("Shirt", "shirt", "20.001", "")),
        ("max_purchases", product_form("Shirt", "shirt", "20", "0")),
        ("name", product_form("", "shirt", "20", "")),
    ] {
        let res = app.call(&admin, "payments/save-product", &bad).await;
        assert_eq!(res.status(), 422, "{field}");
        let error: app::error::AppError = res.json().await.unwrap();
        assert!(error.field_message(field).is_some(), "{field}: {error:?}");
    }
    let res = app.call(&admin, "payments/save-product", &form).await;
    assert_eq!(res.status(), 200);
    let product: Value = res.json().await.unwrap();
    assert_eq!((product["price_cents"].as_i64(), product["max_purchases"].as_i64()), (Some(2000), Some(5)));
    let res = app.call(&admin, "payments/save-product", &product_form("Another", "t-shirt", "5", "")).await;
    assert_eq!(res.status(), 422, "the address is taken");
    // Editing keeps the id; taking it off sale hides it from the shop.
    let id = product["id"].as_str().unwrap();
    let mut edit = product_form("Campaign T-shirt", "t-shirt", "22.50", "");
    edit.retain(|(k, _)| *k != "form[active]");
    edit.push(("id", id));
    let res = app.call(&admin, "payments/save-product", &edit).await;
    assert_eq!(res.status(), 200);
    let listed: Value = app.call(&admin, "payments/products", &[]).await.json().await.unwrap();
    let listed = listed["rows"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0]["price_cents"].as_i64(), listed[0]["active"].as_bool()), (Some(2250), Some(false)));
    let shop = app.client().get(app.url("/shop")).send().await.unwrap().text().await.unwrap();
    assert!(shop.contains("Nothing is on sale right now."));
    assert_eq!(app.client().get(app.url("/shop/t-shirt")).send().await.unwrap().status(), 404);
    assert_eq!(audit_rows(&app, "product.created").await.len(), 1);
    assert_eq!(audit_rows(&app, "product.updated").await.len(), 1);
    // Each save publishes its event; the refused ones published nothing.
    let shirt = |price_cents: i64, max_purchases: Option<i64>, active: bool| {
        json!({
            "product_id": id, "name": "Campaign T-shirt", "url_path": "/shop/t-shirt", "price_cents": price_cents,
            "max_purchases": max_purchases, "active": active,
        })
    };
    assert_eq!(app.events("product.created").await, [shirt(2000, Some(5), true)]);
    assert_eq!(app.events("product.updated").await, [shirt(2250, None, false)]);
    // Left empty, the address is made from the name.
    let res = app.call(&admin, "payments/save-product", &product_form("Café mug, large", "", "9", "")).await;
    let mug: Value = res.json().await.unwrap();
    assert_eq!(mug["slug"], "cafe-mug-large");
}

/// The `field` of each row on one page of a list (`payments/products` for admins,
/// `payments/shop`, `payments/list`), and the page's `has_more` and `count`.
async fn page_of(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    args: &[(&str, &str)],
    field: &str,
) -> (Vec<String>, bool, i64) {
    let res = app.call(client, endpoint, args).await;
    assert_eq!(res.status(), 200, "{endpoint} {args:?}");
    let page: Value = res.json().await.unwrap();
    let values =
        page["rows"].as_array().unwrap().iter().map(|p| p[field].as_str().unwrap().to_string()).collect();
    (values, page["has_more"].as_bool().unwrap(), page["count"].as_i64().unwrap())
}

/// The names on one page of `payments/products` or `payments/shop`, and the page's
/// `has_more` and `count`.
async fn product_page(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    args: &[(&str, &str)],
) -> (Vec<String>, bool, i64) {
    page_of(app, client, endpoint, args, "name").await
}

async fn the_shop_and_the_product_list_come_in_pages(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await; // the shop is open
    let mut zine = product_form("Zine", "zine", "3", "");
    zine.retain(|(k, _)| *k != "form[active]");
    assert_eq!(app.call(&admin, "payments/save-product", &zine).await.status(), 200);
    for n in 1..=52 {
        let (name, slug) = (format!("Badge {n:02}"), format!("badge-{n:02}"));
        let res = app.call(&admin, "payments/save-product", &product_form(&name, &slug, "2", "")).await;
        assert_eq!(res.status(), 200);
    }
    // Admins: every product, those on sale first, by name; 50 a page.
    let (names, has_more, count) = product_page(&app, &admin, "payments/products", &[]).await;
    assert_eq!((names.len(), names[0].as_str(), has_more, count), (50, "Badge 01", true, 53));
    let (names, has_more, _) =
        product_page(&app, &admin, "payments/products", &[("filter[page]", "2")]).await;
    assert_eq!((names, has_more), (vec!["Badge 51".to_string(), "Badge 52".into(), "Zine".into()], false));
    let found = [("filter[search]", "BADGE 0"), ("filter[page]", "1")];
    let (names, has_more, count) = product_page(&app, &admin, "payments/products", &found).await;
    assert_eq!((names.len(), names[8].as_str(), has_more, count), (9, "Badge 09", false, 9));
    let (names, _, count) =
        product_page(&app, &admin, "payments/products", &[("filter[search]", "50%")]).await;
    assert_eq!((names.len(), count), (0, 0), "a % typed is taken literally");
    let too_long = "b".repeat(201);
    let res = app.call(&admin, "payments/products", &[("filter[search]", &too_long)]).await;
    assert_eq!(res.status(), 422);
    // The shop: those on sale only, in pages the page links to.
    let anyone = app.client();
    let (names, has_more, count) = product_page(&app, &anyone, "payments/shop", &[]).await;
    assert_eq!((names.len(), has_more, count), (50, true, 52));
    let (names, has_more, _) = product_page(&app, &anyone, "payments/shop", &[("page", "2")]).await;
    assert_eq!((names, has_more), (vec!["Badge 51".to_string(), "Badge 52".into()], false));
    let first = app.page(&anyone, "/shop").await;
    assert!(first.contains("Pages of products") && first.contains("/shop?page=2"), "{first}");
    assert!(first.contains("Badge 50") && !first.contains("Badge 51"));
    let second = app.page(&anyone, "/shop?page=2").await;
    assert!(second.contains("Badge 52") && !second.contains("Zine") && second.contains("/shop?page=1"));
    assert!(app.page(&anyone, "/shop?page=3").await.contains("No more products on this page."));
}

/// The ids on one page of `payments/list` of donations, and the page's `has_more` and `count`.
async fn donation_page(
    app: &TestApp,
    admin: &reqwest::Client,
    args: &[(&str, &str)],
) -> (Vec<String>, bool, i64) {
    let args = [args, &[("kind", "donation")]].concat();
    page_of(app, admin, "payments/list", &args, "id").await
}

async fn the_payments_list_comes_in_pages_newest_first(backend: Backend) {
    let (app, _stripe, admin) = spawn_for_many_checkouts(backend).await;
    for dollars in 1..=52 {
        let res =
            app.call(&app.client(), "payments/donate", &donation(&dollars.to_string(), "ONE_OFF")).await;
        assert_eq!(res.status(), 200);
    }
    // The $1 donation is moved to be the newest, the $2 one the oldest.
    for (cents, shift) in [(100, "+ 100000000"), (200, "- 100000000")] {
        let sql =
            format!("UPDATE donations SET created_at = created_at {shift} WHERE amount_cents = {cents}");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.db.writer()).await.unwrap();
    }
    let id_of = |cents: i64| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>("SELECT id FROM donations WHERE amount_cents = $1")
                .bind(cents)
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        }
    };
    let (first, has_more, count) = donation_page(&app, &admin, &[]).await;
    assert_eq!((first.len(), has_more, count), (50, true, 52));
    assert_eq!(first[0], id_of(100).await, "the newest first");
    let (second, has_more, _) = donation_page(&app, &admin, &[("page", "2")]).await;
    assert_eq!((second.len(), has_more), (2, false));
    assert_eq!(second[1], id_of(200).await, "the oldest last");
    let mut every: Vec<&String> = first.iter().chain(&second).collect();
    every.sort();
    every.dedup();
    assert_eq!(every.len(), 52, "each donation on exactly one page");
    // A filtered list pages the same way; a page past the end is empty, not an error.
    let (pending, has_more, count) = donation_page(&app, &admin, &[("status", "PENDING")]).await;
    assert_eq!((pending, has_more, count), (first, true, 52));
    let (none, has_more, _) = donation_page(&app, &admin, &[("page", "3")]).await;
    assert_eq!((none.len(), has_more), (0, false));
    let (paid, has_more, count) = donation_page(&app, &admin, &[("status", "PAID")]).await;
    assert_eq!((paid.len(), has_more, count), (0, false, 0));
    // The page links to the next one.
    let html = app.page(&admin, "/admin/payments?kind=donation").await;
    assert!(html.contains("/admin/payments?kind=donation&amp;page=2"), "{html}");
}

async fn a_product_cap_holds_under_two_hundred_simultaneous_checkouts(backend: Backend) {
    let (app, stripe, admin) = spawn_for_many_checkouts(backend).await;
    let res =
        app.call(&admin, "payments/save-product", &product_form("Rally ticket", "rally", "15", "5")).await;
    assert_eq!(res.status(), 200);

    let buyers = (0..200).map(|n| {
        let (client, url) = (app.client(), app.url("/api/payments/buy"));
        async move {
            let email = format!("buyer{n}@example.org");
            let form = [("slug", "rally"), ("form[name]", "Buyer"), ("form[email]", email.as_str())];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures_join_all(buyers).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 195);
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE status = 'PENDING'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(held, 5);
    assert_eq!(stripe.requests().iter().filter(|r| r.path == "/v1/checkout/sessions").count(), 5);
    let page = app.client().get(app.url("/shop/rally")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("sold out"));

    // An expired checkout gives its unit back; a paid one is fulfilled by the webhook.
    let orders: Vec<String> =
        sqlx::query_scalar("SELECT id FROM orders ORDER BY email").fetch_all(app.db.pool()).await.unwrap();
    let expired = stripe::event(
        "evt_exp",
        "checkout.session.expired",
        json!({
            "id": "cs_test_x", "object": "checkout.session", "status": "expired", "metadata": { "order_id": orders[0] }
        }),
    );
    assert_eq!(deliver(&app, &expired, signed(&expired)).await, 200);
    let page = app.client().get(app.url("/shop/rally")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("1 left"), "{page}");
    let paid = stripe::event(
        "evt_order_paid",
        "checkout.session.completed",
        json!({
            "id": "cs_test_y", "object": "checkout.session", "payment_status": "paid", "status": "complete",
            "payment_intent": "pi_test_9", "metadata": { "order_id": orders[1] }
        }),
    );
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    let purchased = app.events("product.purchased").await;
    assert_eq!(purchased.len(), 1);
    assert_eq!(
        (purchased[0]["product_name"].as_str(), purchased[0]["amount_cents"].as_i64()),
        (Some("Rally ticket"), Some(1500))
    );
    // The orders export: one row per order, readable, no Stripe id.
    let csv = admin.get(app.url("/api/payments/orders.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");
    assert_eq!(csv.matches("\"Rally ticket\",\"$15.00\",\"$0.00\",\"CAD\",\"PAID\"").count(), 1, "{csv}");
    for prefix in ["cus_", "pi_", "ch_", "cs_", "sub_", "in_", "dp_", "re_"] {
        assert!(!csv.contains(prefix), "{prefix} in {csv}");
    }
    let form = [("slug", "rally"), ("form[name]", "Late"), ("form[email]", "late@example.org")];
    assert_eq!(
        app.call(&app.client(), "payments/buy", &form).await.status(),
        200,
        "the released unit is on sale again"
    );
    assert_eq!(app.call(&app.client(), "payments/buy", &form).await.status(), 409);
}

/// Runs every future at once and collects their results in order.
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// A one-off donation of `dollars` started and not paid yet (the only one PENDING); its id.
async fn pending_donation(app: &TestApp, dollars: &str) -> String {
    let res = app.call(&app.client(), "payments/donate", &donation(dollars, "ONE_OFF")).await;
    assert_eq!(res.status(), 200);
    sqlx::query_scalar("SELECT id FROM donations WHERE status = 'PENDING'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// A PAID one-off donation of `dollars`, paid with Stripe payment `payment_intent`; its id.
async fn paid_donation(app: &TestApp, dollars: &str, payment_intent: &str) -> String {
    let id = pending_donation(app, dollars).await;
    let mut session = paid_session(&id);
    session["payment_intent"] = json!(payment_intent);
    let body = stripe::event(&format!("evt_paid_{id}"), "checkout.session.completed", session);
    assert_eq!(deliver(app, &body, signed(&body)).await, 200);
    assert_eq!(donation_status(app, &id).await, "PAID");
    id
}

async fn refunded(app: &TestApp, id: &str) -> (String, i64) {
    sqlx::query_as("SELECT status, refunded_cents FROM donations WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn refunds_go_to_stripe_then_the_record_and_the_webhook_reconciles_a_lost_update(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let id = paid_donation(&app, "25", "pi_test_refund").await;
    let refund = |amount: &'static str| {
        let (app, admin, id) = (&app, admin.clone(), id.clone());
        async move {
            app.call(&admin, "payments/refund", &[("kind", "donation"), ("id", &id), ("amount", amount)])
                .await
        }
    };
    assert_eq!(
        app.call(&app.client(), "payments/refund", &[("kind", "donation"), ("id", &id)]).await.status(),
        401
    );

    let res = refund("10").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<i64>().await.unwrap(), 1000);
    assert_eq!(refunded(&app, &id).await, ("PARTIALLY_REFUNDED".to_string(), 1000));
    let call = stripe.requests().into_iter().find(|r| r.path == "/v1/refunds").unwrap();
    assert_eq!(
        (call.form["payment_intent"].as_str(), call.form["amount"].as_str()),
        ("pi_test_refund", "1000")
    );
    assert!(call.idempotency_key.is_some());
    assert_eq!(refund("15.01").await.status(), 422, "more than is left");
    let res = refund("").await;
    assert_eq!(res.status(), 200, "empty means all that is left");
    assert_eq!(refunded(&app, &id).await, ("REFUNDED".to_string(), 2500));
    assert_eq!(refund("").await.status(), 422, "nothing left");
    let amounts: Vec<i64> =
        app.events("payment.refunded").await.iter().map(|e| e["amount_cents"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [1000, 1500]);
    assert_eq!(audit_rows(&app, "refund").await.len(), 2);
    // Stripe's confirmation of what is already recorded changes nothing.
    let charge = json!({ "id": "ch_test_1", "object": "charge", "payment_intent": "pi_test_refund", "amount": 2500, "amount_refunded": 2500, "refunded": true });
    let body = stripe::event("evt_refund_1", "charge.refunded", charge);
    assert_eq!(deliver(&app, &body, signed(&body)).await, 200);
    assert_eq!(app.events("payment.refunded").await.len(), 2);

    // The database fails right after Stripe refunded: the admin is told, nothing is lost...
    let second = paid_donation(&app, "30", "pi_test_lost_update").await;
    let inject: &[&str] = match backend {
        Backend::Sqlite => &["CREATE TRIGGER fail_refund BEFORE UPDATE OF refunded_cents ON donations \
                              BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION fail_refund() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END; $$",
            "CREATE TRIGGER fail_refund BEFORE UPDATE OF refunded_cents ON donations FOR EACH ROW EXECUTE FUNCTION fail_refund()",
        ],
    };
    for sql in inject {
        sqlx::query(*sql).execute(app.db.writer()).await.unwrap();
    }
    let res =
        app.call(&admin, "payments/refund", &[("kind", "donation"), ("id", &second), ("amount", "")]).await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Stripe made the refund"));
    assert_eq!(refunded(&app, &second).await, ("PAID".to_string(), 0));
    let drop = match backend {
        Backend::Sqlite => "DROP TRIGGER fail_refund",
        Backend::Postgres => "DROP TRIGGER fail_refund ON donations",
    };
    sqlx::query(drop).execute(app.db.writer()).await.unwrap();
    // ...and Stripe's charge.refunded puts the record right.
    let charge = json!({ "id": "ch_test_2", "object": "charge", "payment_intent": "pi_test_lost_update", "amount": 3000, "amount_refunded": 3000, "refunded": true });
    let body = stripe::event("evt_refund_2", "charge.refunded", charge);
    assert_eq!(deliver(&app, &body, signed(&body)).await, 200);
    assert_eq!(refunded(&app, &second).await, ("REFUNDED".to_string(), 3000));
    assert_eq!(app.events("payment.refunded").await.len(), 3);

    // The admin list: both refunded, nothing kept; a status filter; no Stripe id anywhere.
    paid_donation(&app, "12.50", "pi_test_kept").await;
    let list = |status: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let res = app.call(&admin, "payments/list", &[("kind", "donation"), ("status", status)]).await;
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let all: Value = serde_json::from_str(&list("").await).unwrap();
    assert_eq!((all["count"].as_i64(), all["kept_cents"].as_i64()), (Some(3), Some(1250)));
    // Each paid donation links to its supporter's contact, which lists it.
    let contact = all["rows"][0]["contact_id"].as_str().expect("a contact").to_string();
    let html = admin.get(app.url("/admin/payments")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("href=\"/admin/contacts/{contact}\"")), "{html}");
    let detail: Value =
        app.call(&admin, "contacts/get", &[("id", contact.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["payments"].as_array().unwrap().len(), 3, "the same supporter made all three");
    let text = list("REFUNDED").await;
    let refunded_only: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(refunded_only["rows"].as_array().unwrap().len(), 2);
    for prefix in ["cus_", "pi_", "ch_", "cs_", "sub_", "in_", "dp_", "re_"] {
        assert!(!text.contains(prefix), "{prefix} in {text}");
    }
    let res = app.call(&admin, "payments/list", &[("kind", "donation"), ("status", "BOGUS")]).await;
    assert_eq!(res.status(), 422);

    // The CSV export: readable columns, every donation, no Stripe id anywhere in the file.
    assert_eq!(app.client().get(app.url("/api/payments/donations.csv")).send().await.unwrap().status(), 401);
    let res = admin.get(app.url("/api/payments/donations.csv")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date_utc,name,email,frequency,amount,refunded,currency,status,reference");
    assert_eq!(lines.len(), 4);
    assert!(
        csv.contains(
            "\"Dana Donor\",\"dana@example.org\",\"ONE_OFF\",\"$30.00\",\"$30.00\",\"CAD\",\"REFUNDED\""
        ),
        "{csv}"
    );
    for prefix in ["cus_", "pi_", "ch_", "cs_", "sub_", "in_", "dp_", "re_"] {
        assert!(!csv.contains(prefix), "{prefix} in {csv}");
    }
    let orders = admin.get(app.url("/api/payments/orders.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(orders, "date_utc,name,email,product,amount,refunded,currency,status,reference\n");
}

/// Stripe sends events in no set order: after an outage, a refund made in its dashboard can
/// arrive while the payment's `checkout.session.completed` is still being retried.
async fn a_refund_that_arrives_before_its_payment_waits_for_it(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let id = pending_donation(&app, "25").await;
    // The charge carries the metadata Stripe copied from the checkout's payment.
    let charge = json!({ "id": "ch_early", "object": "charge", "payment_intent": "pi_early", "amount": 2500,
                         "amount_refunded": 2500, "refunded": true, "metadata": { "donation_id": id } });
    let refund = stripe::event("evt_refund_early", "charge.refunded", charge);
    assert_eq!(deliver(&app, &refund, signed(&refund)).await, 409, "not 2xx: Stripe sends it again");
    assert_eq!(refunded(&app, &id).await, ("PENDING".to_string(), 0));
    let (outcome, detail) = audit_rows(&app, "webhook.charge.refunded").await.remove(0);
    assert_eq!(outcome, "deferred");
    assert!(detail.contains("completion has not arrived yet"), "{detail}");
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events WHERE id = 'evt_refund_early'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(seen, 0, "not marked processed");

    // The payment's completion comes, then Stripe's next try of the refund records it.
    let mut session = paid_session(&id);
    session["payment_intent"] = json!("pi_early");
    let paid = stripe::event("evt_paid_early", "checkout.session.completed", session);
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    assert_eq!(deliver(&app, &refund, signed(&refund)).await, 200);
    assert_eq!(refunded(&app, &id).await, ("REFUNDED".to_string(), 2500));
    let amounts: Vec<i64> =
        app.events("payment.refunded").await.iter().map(|e| e["amount_cents"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [2500]);
    assert_eq!(deliver(&app, &refund, signed(&refund)).await, 200, "and once only");
    assert_eq!(app.events("payment.refunded").await.len(), 1);

    // A refund of a payment that is none of ours is answered 200, so Stripe stops sending it.
    let foreign = json!({ "id": "ch_other", "object": "charge", "payment_intent": "pi_other", "amount": 900,
                          "amount_refunded": 900, "refunded": true, "metadata": {} });
    let body = stripe::event("evt_refund_other", "charge.refunded", foreign);
    assert_eq!(deliver(&app, &body, signed(&body)).await, 200);
    // So is one whose metadata names a record we do not have.
    let unknown = json!({ "id": "ch_gone", "object": "charge", "payment_intent": "pi_gone", "amount": 900,
                          "amount_refunded": 900, "refunded": true, "metadata": { "donation_id": "no-such-donation" } });
    let body = stripe::event("evt_refund_gone", "charge.refunded", unknown);
    assert_eq!(deliver(&app, &body, signed(&body)).await, 200);
    assert_eq!(app.events("payment.refunded").await.len(), 1);
}

async fn disputes_move_the_payment_through_disputed_to_won_lost_or_refunded(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    for (n, outcome, expected) in
        [(1, "won", "PAID"), (2, "lost", "LOST"), (3, "charge_refunded", "REFUNDED")]
    {
        let payment = format!("pi_test_dispute_{n}");
        let id = paid_donation(&app, "50", &payment).await;
        let dispute = |status: &str| {
            json!({ "id": format!("dp_test_{n}"), "object": "dispute", "payment_intent": payment, "amount": 5000,
                    "reason": "fraudulent", "status": status })
        };
        let opened =
            stripe::event(&format!("evt_dp_open_{n}"), "charge.dispute.created", dispute("needs_response"));
        assert_eq!(deliver(&app, &opened, signed(&opened)).await, 200);
        assert_eq!(donation_status(&app, &id).await, "DISPUTED");
        let closed = stripe::event(&format!("evt_dp_closed_{n}"), "charge.dispute.closed", dispute(outcome));
        assert_eq!(deliver(&app, &closed, signed(&closed)).await, 200);
        assert_eq!(donation_status(&app, &id).await, expected, "{outcome}");
    }
    let created = app.events("payment.dispute.created").await;
    assert_eq!(created.len(), 3);
    assert_eq!(created[0]["reason"], "fraudulent");
    let outcomes: Vec<String> = app
        .events("payment.dispute.closed")
        .await
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes, ["won", "lost", "charge_refunded"]);
}

/// A dispute names only the payment (no metadata of ours): one that arrives while the
/// payment's `checkout.session.completed` is still being retried (after an outage) is held,
/// and applied when the completion records the payment, so the payment does not stay PAID.
async fn a_dispute_that_arrives_before_its_payment_is_held_until_the_payment_is_recorded(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let dispute = |event: &str, kind: &str, payment: &str, status: &str| {
        let dispute = json!({ "id": format!("dp_{event}"), "object": "dispute", "payment_intent": payment,
                              "amount": 2500, "reason": "fraudulent", "status": status });
        stripe::event(event, kind, dispute)
    };
    let complete = |event: &str, id: &str, payment: &str, kind: &str, paid: &str| {
        let mut session = paid_session(id);
        session["payment_intent"] = json!(payment);
        session["payment_status"] = json!(paid);
        stripe::event(event, kind, session)
    };
    let held = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM stripe_held_disputes")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };

    // Opened before the payment is known: 200 (Stripe need not send it again), nothing changes.
    let id = pending_donation(&app, "25").await;
    let opened = dispute("evt_dp_early", "charge.dispute.created", "pi_early", "needs_response");
    assert_eq!(deliver(&app, &opened, signed(&opened)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "PENDING");
    assert!(app.events("payment.dispute.created").await.is_empty());
    let rows = audit_rows(&app, "webhook.charge.dispute.created").await;
    assert_eq!(rows, [("held until its payment is recorded".to_string(), String::new())]);
    assert_eq!(held().await, 1);
    // The completion pays the donation, then the held dispute makes it DISPUTED.
    let paid = complete("evt_paid_early", &id, "pi_early", "checkout.session.completed", "paid");
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "DISPUTED");
    assert_eq!(app.events("donation.completed").await.len(), 1, "the donation is still fulfilled");
    let created = app.events("payment.dispute.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0]["payment_id"].as_str(), created[0]["reason"].as_str()),
        (Some(id.as_str()), Some("fraudulent"))
    );
    let rows = audit_rows(&app, "webhook.charge.dispute.created").await;
    assert_eq!(rows[1], ("disputed".to_string(), "held until its payment's completion arrived".to_string()));
    assert_eq!(held().await, 0, "applied once");

    // Opened and closed (lost) before the payment: both apply, in order, on completion.
    let id = pending_donation(&app, "25").await;
    let opened = dispute("evt_dp_lost_open", "charge.dispute.created", "pi_lost", "needs_response");
    let closed = dispute("evt_dp_lost_closed", "charge.dispute.closed", "pi_lost", "lost");
    assert_eq!(deliver(&app, &closed, signed(&closed)).await, 200);
    // Stripe's order is not kept: a late `.created` does not undo the outcome held.
    assert_eq!(deliver(&app, &opened, signed(&opened)).await, 200);
    let paid = complete("evt_paid_lost", &id, "pi_lost", "checkout.session.completed", "paid");
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "LOST");
    assert_eq!(app.events("payment.dispute.created").await.len(), 2);
    let closed_events = app.events("payment.dispute.closed").await;
    assert_eq!((closed_events.len(), closed_events[0]["outcome"].as_str()), (1, Some("lost")));
    let rows = audit_rows(&app, "webhook.charge.dispute.closed").await;
    assert_eq!(rows.last().unwrap().0, "dispute lost");

    // A slower payment method: the completion comes unpaid, so the dispute waits for the
    // payment's success, not just its session.
    let id = pending_donation(&app, "25").await;
    let unpaid = complete("evt_unpaid_slow", &id, "pi_slow", "checkout.session.completed", "unpaid");
    assert_eq!(deliver(&app, &unpaid, signed(&unpaid)).await, 200);
    let opened = dispute("evt_dp_slow", "charge.dispute.created", "pi_slow", "needs_response");
    assert_eq!(deliver(&app, &opened, signed(&opened)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "PENDING");
    let succeeded =
        complete("evt_paid_slow", &id, "pi_slow", "checkout.session.async_payment_succeeded", "paid");
    assert_eq!(deliver(&app, &succeeded, signed(&succeeded)).await, 200);
    assert_eq!(donation_status(&app, &id).await, "DISPUTED");
    assert_eq!(app.events("donation.completed").await.len(), 3);
    assert_eq!(app.events("payment.dispute.created").await.len(), 3);

    // A dispute about a payment that is none of ours (a membership's renewal, say) is answered
    // 200 and changes nothing, but the payments admin's dashboard asks them to answer it.
    let elsewhere = |dashboard: Value| {
        let needs = dashboard["needs_attention"].to_string();
        needs.contains("1 dispute about payments not recorded as paid here (a renewal, or a payment made outside Changemaker): answer in Stripe before the deadline")
            && needs.contains("/admin/payments/audit?action=webhook.charge.dispute")
    };
    let dashboard =
        || async { app.call(&admin, "admin/dashboard", &[]).await.json::<Value>().await.unwrap() };
    assert!(!elsewhere(dashboard().await), "the held disputes were all applied");
    let foreign = dispute("evt_dp_other", "charge.dispute.created", "pi_other", "needs_response");
    assert_eq!(deliver(&app, &foreign, signed(&foreign)).await, 200);
    assert_eq!(app.events("payment.dispute.created").await.len(), 3);
    assert_eq!(held().await, 1);
    let now = dashboard().await;
    assert!(elsewhere(now.clone()), "{now}");
    // The link's audit rows name it by Stripe's id, to be found in Stripe's dashboard.
    let filter = [("filter[action]", "webhook.charge.dispute")];
    let log: Value = app.call(&admin, "payments/audit-log", &filter).await.json().await.unwrap();
    let newest = &log["rows"][0];
    assert_eq!(
        (newest["entity"].as_str(), newest["amount_cents"].as_i64(), newest["outcome"].as_str()),
        (Some("stripe payment pi_other"), Some(2500), Some("held until its payment is recorded"))
    );
    // Once Stripe closes it there is nothing left to answer.
    let closed = dispute("evt_dp_other_closed", "charge.dispute.closed", "pi_other", "won");
    assert_eq!(deliver(&app, &closed, signed(&closed)).await, 200);
    let now = dashboard().await;
    assert!(!now["needs_attention"].to_string().contains("not recorded as paid here"), "{now}");
}

async fn subscription_status(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT status FROM subscriptions").fetch_one(app.db.pool()).await.unwrap()
}

async fn membership_plans_start_subscriptions_that_follow_stripe(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    let plan = |amount: &'static str, interval: &'static str| {
        vec![
            ("form[name]", "Supporter"),
            ("form[amount]", amount),
            ("form[interval]", interval),
            ("form[active]", "true"),
        ]
    };
    assert_eq!(app.call(&volunteer, "payments/save-plan", &plan("120", "year")).await.status(), 403);
    assert_eq!(app.call(&volunteer, "payments/plans", &[]).await.status(), 403);
    assert_eq!(app.call(&admin, "payments/save-plan", &plan("120", "week")).await.status(), 422);
    assert_eq!(app.call(&admin, "payments/save-plan", &plan("0.10", "year")).await.status(), 422);
    let res = app.call(&admin, "payments/save-plan", &plan("120", "year")).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(
        app.events("subscription.plan.created").await,
        [json!({
            "plan_id": saved["id"], "name": "Supporter", "amount_cents": 12_000, "interval": "year", "active": true,
        })],
        "the refused plans published nothing"
    );
    let offered: Vec<Value> = app.call(&app.client(), "payments/membership", &[]).await.json().await.unwrap();
    assert_eq!(offered.len(), 1);
    assert_eq!(
        (offered[0]["amount_cents"].as_i64(), offered[0]["interval"].as_str()),
        (Some(12_000), Some("year"))
    );

    let plan_id = saved["id"].as_str().unwrap();
    let form = [("plan_id", plan_id), ("form[name]", "Max Member"), ("form[email]", "max@example.org")];
    assert_eq!(app.call(&app.client(), "payments/join", &form).await.status(), 200);
    let session = stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(session.form["mode"], "subscription");
    assert_eq!(session.form["line_items[0][price_data][recurring][interval]"], "year");
    assert_eq!(session.form["line_items[0][price_data][unit_amount]"], "12000");
    let id = session.form["metadata[subscription_id]"].clone();
    assert_eq!(subscription_status(&app).await, "PENDING");

    let completed = stripe::event(
        "evt_sub_paid",
        "checkout.session.completed",
        json!({
            "id": "cs_test_sub", "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
            "status": "complete", "subscription": "sub_test_1", "customer": "cus_test_1", "metadata": { "subscription_id": id }
        }),
    );
    assert_eq!(deliver(&app, &completed, signed(&completed)).await, 200);
    assert_eq!(subscription_status(&app).await, "ACTIVE");
    let activated = app.events("subscription.activated").await;
    assert_eq!(activated.len(), 1);
    assert_eq!(
        (activated[0]["plan_name"].as_str(), activated[0]["interval"].as_str()),
        (Some("Supporter"), Some("year"))
    );

    let changed = |event: &str, kind: &str, status: &str| {
        stripe::event(event, kind, json!({ "id": "sub_test_1", "object": "subscription", "status": status }))
    };
    let past_due = changed("evt_sub_pd", "customer.subscription.updated", "past_due");
    assert_eq!(deliver(&app, &past_due, signed(&past_due)).await, 200);
    assert_eq!(subscription_status(&app).await, "PAST_DUE");
    let paid_invoice = |event: &str| {
        stripe::event(
            event,
            "invoice.paid",
            json!({
                "id": "in_test_1", "object": "invoice", "amount_paid": 12000,
                "parent": { "subscription_details": { "subscription": "sub_test_1" } }
            }),
        )
    };
    let invoice = paid_invoice("evt_inv");
    assert_eq!(deliver(&app, &invoice, signed(&invoice)).await, 200);
    assert_eq!(subscription_status(&app).await, "ACTIVE");
    // Stripe sends events in no set order: one older than the status a subscription has
    // changes nothing...
    let created_at = |body: String, created: i64| {
        let mut event: Value = serde_json::from_str(&body).unwrap();
        event["created"] = json!(created);
        event.to_string()
    };
    let now = db::now_unix();
    let late = created_at(changed("evt_sub_pd_late", "customer.subscription.updated", "past_due"), now - 60);
    assert_eq!(deliver(&app, &late, signed(&late)).await, 200);
    assert_eq!(subscription_status(&app).await, "ACTIVE", "the renewal was paid after");
    let newer = created_at(changed("evt_sub_pd_new", "customer.subscription.updated", "past_due"), now + 60);
    assert_eq!(deliver(&app, &newer, signed(&newer)).await, 200);
    assert_eq!(subscription_status(&app).await, "PAST_DUE");
    let late = created_at(paid_invoice("evt_inv_late"), now - 30);
    assert_eq!(deliver(&app, &late, signed(&late)).await, 200);
    assert_eq!(subscription_status(&app).await, "PAST_DUE", "that renewal was paid before");
    let outcomes: Vec<String> = audit_rows(&app, "webhook.customer.subscription.updated")
        .await
        .into_iter()
        .chain(audit_rows(&app, "webhook.invoice.paid").await)
        .map(|(outcome, _)| outcome)
        .collect();
    assert_eq!(
        outcomes,
        ["past due", "older than its status", "past due", "renewed", "renewed, older than its status"]
    );
    // ...but a cancellation, which Stripe never undoes, counts however late it comes.
    let deleted = created_at(changed("evt_sub_del", "customer.subscription.deleted", "canceled"), now - 90);
    assert_eq!(deliver(&app, &deleted, signed(&deleted)).await, 200);
    assert_eq!(subscription_status(&app).await, "CANCELLED");
    let again = changed("evt_sub_del_2", "customer.subscription.deleted", "canceled");
    assert_eq!(deliver(&app, &again, signed(&again)).await, 200);
    let cancelled = app.events("subscription.cancelled").await;
    assert_eq!(cancelled.len(), 1, "cancelled once");
    assert_eq!(cancelled[0]["email"], "max@example.org");

    // The admin list and export: a second, monthly member is active; the total is what the
    // active ones bring in a month; no Stripe id anywhere.
    let monthly: Value =
        app.call(&admin, "payments/save-plan", &plan("15", "month")).await.json().await.unwrap();
    let form = [
        ("plan_id", monthly["id"].as_str().unwrap()),
        ("form[name]", "Mo"),
        ("form[email]", "mo@example.org"),
    ];
    assert_eq!(app.call(&app.client(), "payments/join", &form).await.status(), 200);
    let second: String = sqlx::query_scalar("SELECT id FROM subscriptions WHERE email = 'mo@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let completed = stripe::event(
        "evt_sub_paid_2",
        "checkout.session.completed",
        json!({
            "id": "cs_test_sub_2", "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
            "status": "complete", "subscription": "sub_test_2", "customer": "cus_test_2", "metadata": { "subscription_id": second }
        }),
    );
    assert_eq!(deliver(&app, &completed, signed(&completed)).await, 200);
    let list = |status: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move { app.call(&admin, "payments/list", &[("kind", "subscription"), ("status", status)]).await }
    };
    let all = list("").await.text().await.unwrap();
    let page: Value = serde_json::from_str(&all).unwrap();
    assert_eq!((page["count"].as_i64(), page["kept_cents"].as_i64()), (Some(2), Some(1500)), "{all}");
    let active: Value = list("ACTIVE").await.json().await.unwrap();
    assert_eq!(active["rows"][0]["email"], "mo@example.org");
    assert_eq!(active["rows"].as_array().unwrap().len(), 1);
    assert_eq!(list("PAID").await.status(), 422, "not a subscription status");
    assert_eq!(app.call(&volunteer, "payments/list", &[("kind", "subscription")]).await.status(), 403);
    let csv =
        admin.get(app.url("/api/payments/subscriptions.csv")).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date_utc,name,email,plan,amount,refunded,currency,status,reference");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        csv.contains(
            "\"Max Member\",\"max@example.org\",\"Supporter\",\"$120.00\",\"$0.00\",\"CAD\",\"CANCELLED\""
        ),
        "{csv}"
    );
    for prefix in ["cus_", "pi_", "ch_", "cs_", "sub_", "in_", "dp_", "re_"] {
        assert!(!all.contains(prefix) && !csv.contains(prefix), "{prefix} in {all} {csv}");
    }
    let html =
        admin.get(app.url("/admin/payments?kind=subscription")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("2 subscriptions · active ones bring in $15.00 a month"), "{html}");

    // Taking a plan off offer publishes `subscription.plan.updated`.
    let mut off = plan("15", "month");
    off.retain(|(k, _)| *k != "form[active]");
    off.push(("id", monthly["id"].as_str().unwrap()));
    assert_eq!(app.call(&admin, "payments/save-plan", &off).await.status(), 200);
    assert_eq!(
        app.events("subscription.plan.updated").await,
        [json!({
            "plan_id": monthly["id"], "name": "Supporter", "amount_cents": 1500, "interval": "month", "active": false,
        })]
    );
}

async fn the_donation_chart_counts_what_was_kept_per_day_and_week(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    // Wednesday 25 November 2026, noon UTC.
    let now = app::time::unix_from_date_time("2026-11-25", "12:00").unwrap();
    let donate = |dollars: &'static str, payment: &'static str, date: &'static str, status: &'static str| {
        let app = &app;
        async move {
            let id = paid_donation(app, dollars, payment).await;
            sqlx::query("UPDATE donations SET created_at = $1, status = $2 WHERE id = $3")
                .bind(app::time::unix_from_date_time(date, "10:00").unwrap())
                .bind(status)
                .bind(&id)
                .execute(app.db.pool())
                .await
                .unwrap();
            id
        }
    };
    donate("40", "pi_test_c1", "2026-11-25", "PAID").await;
    let partly = donate("30", "pi_test_c2", "2026-11-23", "PARTIALLY_REFUNDED").await;
    sqlx::query("UPDATE donations SET refunded_cents = 500 WHERE id = $1")
        .bind(&partly)
        .execute(app.db.pool())
        .await
        .unwrap();
    donate("20", "pi_test_c3", "2026-11-22", "PAID").await;
    // Two in the same minute: both counted.
    donate("5", "pi_test_c6", "2026-11-22", "PAID").await;
    donate("10", "pi_test_c4", "2026-10-01", "PAID").await;
    donate("99", "pi_test_c5", "2026-11-25", "REFUNDED").await;

    let bars = |by: &'static str| {
        let app = &app;
        async move {
            let chart = app::payments::service::donation_chart(&app.db, by, now).await.unwrap();
            chart.bars.into_iter().map(|b| (b.start, b.count, b.kept_cents)).collect::<Vec<_>>()
        }
    };
    let days = bars("day").await;
    assert_eq!(days.len(), 30);
    assert_eq!(days[0], ("2026-10-27".to_string(), 0, 0));
    assert_eq!(days[29], ("2026-11-25".to_string(), 1, 4000), "the refunded one is not counted");
    assert_eq!(days[28], ("2026-11-24".to_string(), 0, 0));
    assert_eq!(days[27], ("2026-11-23".to_string(), 1, 2500), "less what was refunded");
    assert_eq!(days[26], ("2026-11-22".to_string(), 2, 2500));
    assert_eq!(days.iter().map(|d| d.1).sum::<i64>(), 4, "1 October is not in the last 30 days");
    let weeks = bars("week").await;
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks[0].0, "2026-09-07");
    assert_eq!(weeks[11], ("2026-11-23".to_string(), 2, 6500), "weeks start on Monday");
    assert_eq!(weeks[10], ("2026-11-16".to_string(), 2, 2500));
    assert_eq!(weeks[3], ("2026-09-28".to_string(), 1, 1000));

    // In the organisation's time zone the days are its own: noon UTC on the 24th is 01:00 on
    // the 25th in Auckland, and `now` is already the 26th there.
    app::settings::save_time_zone(&app.db, &app::events::Actor::System, "Pacific/Auckland").await.unwrap();
    sqlx::query("UPDATE donations SET created_at = $1 WHERE status = 'PAID' AND amount_cents = 4000")
        .bind(app::time::unix_from_date_time("2026-11-24", "12:00").unwrap())
        .execute(app.db.pool())
        .await
        .unwrap();
    let days = bars("day").await;
    assert_eq!(days[29], ("2026-11-26".to_string(), 0, 0));
    assert_eq!(days[28], ("2026-11-25".to_string(), 1, 4000));
    assert_eq!(days[27], ("2026-11-24".to_string(), 0, 0));
    assert_eq!(days[26], ("2026-11-23".to_string(), 1, 2500), "23:00 on the 23rd there");
    let listed: Value =
        app.call(&admin, "payments/list", &[("kind", "donation")]).await.json().await.unwrap();
    let times: Vec<&str> =
        listed["rows"].as_array().unwrap().iter().map(|r| r["created"].as_str().unwrap()).collect();
    assert!(times.contains(&"2026-11-25 01:00 NZDT"), "{times:?}");
    let csv = admin.get(app.url("/api/payments/donations.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("\"2026-11-24 12:00 UTC\""), "the export stays in UTC: {csv}");

    // Over HTTP: payments admins only; only `day` and `week`.
    let res = app.call(&admin, "payments/donation-chart", &[("by", "week")]).await;
    assert_eq!(res.status(), 200);
    let chart: Value = res.json().await.unwrap();
    assert_eq!(chart["bars"].as_array().unwrap().len(), 12);
    assert_eq!(app.call(&admin, "payments/donation-chart", &[("by", "month")]).await.status(), 422);
    app.create_user("vol@example.org", Role::Volunteer, UserStatus::Active).await;
    let volunteer = app.signed_in("vol@example.org").await;
    assert_eq!(app.call(&volunteer, "payments/donation-chart", &[("by", "day")]).await.status(), 403);
}

/// Puts a tote bag (`/shop/tote`) and a yearly plan on offer; answers with the plan's id.
async fn put_a_product_and_a_plan_on_offer(app: &TestApp, admin: &reqwest::Client) -> String {
    let res = app.call(admin, "payments/save-product", &product_form("Tote bag", "tote", "12", "")).await;
    assert_eq!(res.status(), 200);
    let plan = [
        ("form[name]", "Supporter"),
        ("form[amount]", "60"),
        ("form[interval]", "year"),
        ("form[active]", "true"),
    ];
    let saved: Value = app.call(admin, "payments/save-plan", &plan).await.json().await.unwrap();
    saved["id"].as_str().unwrap().to_string()
}

/// A donation, purchase or membership form the browser sends itself (before the page's code
/// has loaded, or without JavaScript) goes straight on to Stripe's payment page, as the
/// page's code does, instead of back to the form with the checkout started but unseen.
async fn payment_forms_the_browser_sends_itself_go_on_to_stripe(backend: Backend) {
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let plan_id = put_a_product_and_a_plan_on_offer(&app, &admin).await;
    let plan_id = plan_id.as_str();

    let buyer = |key: &'static str, value: &'static str| {
        vec![(key, value), ("form[name]", "Dana Donor"), ("form[email]", "dana@example.org")]
    };
    let mut join = buyer("plan_id", "");
    join[0].1 = plan_id;
    for (endpoint, from, form) in [
        ("payments/donate", "/donate", donation("25", "ONE_OFF")),
        ("payments/buy", "/shop/tote", buyer("slug", "tote")),
        ("payments/join", "/membership", join),
    ] {
        let to = redirected_to(&app.post_as_browser(&app.client(), endpoint, from, &form).await);
        assert!(to.starts_with("https://checkout.stripe.com/c/pay/cs_test_"), "{endpoint}: {to}");
    }
    assert_eq!(stripe.requests().iter().filter(|r| r.path == "/v1/checkout/sessions").count(), 3);
}

/// The home page is where a visitor finds what they can do: the active campaigns (not drafts),
/// and a way to give only once it is open (donations when payments are on, membership and the
/// shop when a plan or product is on offer too). The donation page says when it is closed.
async fn the_home_page_offers_active_campaigns_and_the_ways_to_give_that_are_open(backend: Backend) {
    let (app, _stripe) = spawn(backend).await;
    let home = || async { app.page(&app.client(), "/").await };
    let ways = || async {
        let res = app.call(&app.client(), "payments/ways-to-give", &[]).await;
        let ways: Value = res.json().await.unwrap();
        (ways["donations"].as_bool(), ways["membership"].as_bool(), ways["shop"].as_bool())
    };
    let html = home().await;
    assert!(html.contains("<meta property=\"og:description\" content=\"Organising together: campaigns, volunteering and events.\""));
    for absent in ["href=\"/donate\"", "href=\"/membership\"", "href=\"/shop\"", "Take action", "Support us"]
    {
        assert!(!html.contains(absent), "{absent} before anything is on offer");
    }
    assert_eq!(ways().await, (Some(false), Some(false), Some(false)));
    let donate = app.page(&app.client(), "/donate").await;
    assert!(donate.contains("Donations are not open right now.") && !donate.contains("Continue to payment"));

    app.create_user("organiser@example.org", Role::Admin, UserStatus::Active).await;
    let organiser = app.signed_in("organiser@example.org").await;
    for (title, slug) in [("Save the park", "park"), ("Draft only", "draft-only")] {
        let form = [
            ("form[title]", title),
            ("form[slug]", slug),
            ("form[summary]", "The city wants to sell Riverside Park."),
            ("form[call_to_action]", "Email your councillors"),
            ("form[recipients]", "lee@city.example"),
            ("form[email_subject]", "Keep the park"),
            ("form[email_template]", "Dear {{representative_name}}"),
        ];
        let saved: Value = app.call(&organiser, "campaigns/save", &form).await.json().await.unwrap();
        if slug == "park" {
            let id = saved["id"].as_str().unwrap();
            let res = app.call(&organiser, "campaigns/status", &[("id", id), ("status", "ACTIVE")]).await;
            assert_eq!(res.status(), 200);
        }
    }
    let html = home().await;
    assert!(html.contains("Take action") && html.contains("href=\"/campaigns/park\""), "{html}");
    assert!(
        html.contains("The city wants to sell Riverside Park.") && html.contains("Email your councillors")
    );
    assert!(!html.contains("Draft only"), "a draft is not offered");

    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    let html = home().await;
    assert!(html.contains("href=\"/donate\"") && !html.contains("Support us"), "{html}");
    assert_eq!(ways().await, (Some(true), Some(false), Some(false)));
    assert!(app.page(&app.client(), "/donate").await.contains("Continue to payment"));

    put_a_product_and_a_plan_on_offer(&app, &admin).await;
    let html = home().await;
    assert!(
        html.contains("Support us")
            && html.contains("href=\"/membership\"")
            && html.contains("href=\"/shop\"")
    );
    assert_eq!(ways().await, (Some(true), Some(true), Some(true)));
    let page = |path: &'static str| async { app.page(&app.client(), path).await };
    assert!(page("/membership").await.contains("Continue to payment"));
    assert!(page("/shop").await.contains("Tote bag"));
    assert!(page("/shop/tote").await.contains(">Buy<"));
    assert!(!app.page(&admin, "/admin/payments/products").await.contains("closed to the public"));

    // Payments turned off: the pages that take them say so, instead of a form that would be
    // refused once filled in (the product is still shown).
    let res =
        app.call(&admin, "payments/save-settings", &settings_form("false", SECRET_KEY, WEBHOOK_SECRET)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(ways().await, (Some(false), Some(false), Some(false)));
    for (path, notice) in [
        ("/donate", "Donations are not open right now."),
        ("/membership", "Membership is not open right now."),
        ("/shop", "The shop is not open right now."),
        ("/shop/tote", "The shop is not open right now."),
    ] {
        let html = page(path).await;
        assert!(html.contains(notice) && !html.contains("<form"), "{path}: {html:.3000}");
    }
    assert!(page("/shop/tote").await.contains("Tote bag"));
    // The admin pages of what they sell say so, and where to open them.
    for (path, notice) in [
        ("/admin/payments/products", "The shop is closed to the public while payments are off"),
        ("/admin/payments/plans", "Membership is closed to the public while payments are off"),
    ] {
        assert!(app.page(&admin, path).await.contains(notice), "{path}");
    }
}

/// Stripe's word that ticket order `order_id`'s session (`cs_test_{order_id}`) is `kind`
/// (`completed` or `expired`); `payment` is the paid session's payment intent.
fn ticket_session_event(order_id: &str, kind: &str, payment: &str) -> String {
    let paid = kind == "completed";
    let session = json!({
        "id": format!("cs_test_{order_id}"), "object": "checkout.session", "mode": "payment",
        "payment_status": if paid { "paid" } else { "unpaid" }, "status": if paid { "complete" } else { "expired" },
        "payment_intent": if paid { Some(payment) } else { None }, "customer": "cus_test_ticket",
        "metadata": { "ticket_order_id": order_id }
    });
    stripe::event(&format!("evt_{kind}_{order_id}"), &format!("checkout.session.{kind}"), session)
}

async fn seats_taken(app: &TestApp, slug: &str) -> i64 {
    let event: Value =
        app.call(&app.client(), "ticketed-events/public-one", &[("slug", slug)]).await.json().await.unwrap();
    event["tiers"][0]["issued"].as_i64().unwrap()
}

async fn paid_tickets_hold_their_place_are_issued_when_paid_and_follow_disputes_and_refunds(
    backend: Backend,
) {
    use app::ticketed_events::{EventForm, Taken, service as events};
    let (app, stripe) = spawn(backend).await;
    let admin = payments_admin(&app).await;
    app.create_user("door@example.org", Role::EventsAdmin, UserStatus::Active).await;
    let door = app.signed_in("door@example.org").await;
    let (bus, actor, now) = (app.bus(), app::events::Actor::System, db::now_unix());
    let form = EventForm {
        title: "Gala".into(),
        venue: "Hall".into(),
        date: app::time::date_time_from_unix(now + 86_400).0,
        start_time: "19:00".into(),
        end_time: "22:00".into(),
        tiers: "Seats | 2 | 25\nFree seats | 5".into(),
        ..EventForm::default()
    };
    let gala = events::save(&bus, &actor, "", &form, now).await.unwrap();
    events::publish(&bus, &actor, &gala.id, now).await.unwrap();
    assert_eq!((gala.tiers[0].price_cents, gala.tiers[1].price_cents), (2500, 0));
    let seats = gala.tiers[0].id.clone();
    let take = |email: &'static str| {
        let (app, seats) = (&app, seats.clone());
        async move {
            let form = [
                ("slug", "gala"),
                ("form[tier_id]", &seats),
                ("form[name]", "Guest"),
                ("form[email]", email),
            ];
            let res = app.call(&app.client(), "ticketed-events/take", &form).await;
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };

    // Payments off: a clear refusal, and the place stays free.
    let (status, body) = take("ana@example.org").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Payments are not available"), "{body}");
    assert_eq!(seats_taken(&app, "gala").await, 0);
    let why = "Payments are off, so the tickets to pay for are not on sale";
    let organisers_page = format!("/admin/ticketed-events/{}", gala.id);
    assert!(app.page(&door, &organisers_page).await.contains(why));

    configure(&app, &admin).await;
    assert!(!app.page(&door, &organisers_page).await.contains(why), "on sale once payments are on");
    let (status, body) = take("ana@example.org").await;
    assert_eq!(status, 200, "{body}");
    let Taken::Checkout { url } = serde_json::from_str(&body).unwrap() else { panic!("{body}") };
    assert!(url.starts_with("https://checkout.stripe.com/"), "{url}");
    let session = stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(session.form["line_items[0][price_data][unit_amount]"], "2500");
    assert_eq!(session.form["line_items[0][price_data][product_data][name]"], "Gala — Seats");
    let expires: i64 = session.form["expires_at"].parse().unwrap();
    assert!((now + 30 * 60..now + 33 * 60).contains(&expires), "the place is held for about half an hour");
    let ana_order = session.form["metadata[ticket_order_id]"].clone();
    assert_eq!(session.form["payment_intent_data[metadata][ticket_order_id]"], ana_order);
    assert_eq!(seats_taken(&app, "gala").await, 1, "a checkout holds its place");
    assert!(app.events("ticket.purchased").await.is_empty(), "nothing is issued before it is paid");

    // One ticket per email: a checkout under way counts, for a free tier too.
    let free = [
        ("slug", "gala"),
        ("form[tier_id]", gala.tiers[1].id.as_str()),
        ("form[name]", "Ana"),
        ("form[email]", "ana@example.org"),
    ];
    let res = app.call(&app.client(), "ticketed-events/take", &free).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("payment for a ticket for ana@example.org is under way"));
    assert_eq!(take("bo@example.org").await.0, 200);
    let (status, body) = take("cy@example.org").await;
    assert_eq!((status, body.contains("Seats tickets are all taken.")), (409, true), "{body}");

    // Bo's checkout expires: the place is free again, once however often Stripe says so.
    let bo_order: String = sqlx::query_scalar("SELECT id FROM ticket_orders WHERE email = 'bo@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let expired = ticket_session_event(&bo_order, "expired", "");
    assert_eq!(deliver(&app, &expired, signed(&expired)).await, 200);
    assert_eq!(deliver(&app, &expired, signed(&expired)).await, 200);
    assert_eq!(seats_taken(&app, "gala").await, 1);

    // Ana pays: her ticket is issued, emailed and announced.
    let paid = ticket_session_event(&ana_order, "completed", "pi_test_ticket");
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    let (code, status): (String, String) =
        sqlx::query_as("SELECT code, status FROM tickets WHERE email = 'ana@example.org'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(status, "VALID");
    let purchased = app.events("ticket.purchased").await;
    assert_eq!(purchased.len(), 1);
    assert_eq!(
        (
            purchased[0]["tier_kind"].as_str(),
            purchased[0]["amount_cents"].as_i64(),
            purchased[0]["currency"].as_str()
        ),
        (Some("PAID"), Some(2500), Some("cad"))
    );
    let emailed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_outbox WHERE to_address = 'ana@example.org' AND body LIKE $1",
    )
    .bind(format!("%{code}%"))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(emailed, 1);
    assert_eq!(seats_taken(&app, "gala").await, 1, "the paid ticket keeps the place its checkout held");
    // A paid ticket is given back by a refund, not from its page.
    let res = app.call(&app.client(), "ticketed-events/return", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("paid for"));

    // A dispute suspends it at the door; a won dispute makes it valid again.
    let dispute = |id: &str, kind: &str, status: &str| {
        let dispute = json!({ "id": "dp_test_ticket", "object": "dispute", "payment_intent": "pi_test_ticket",
                              "amount": 2500, "reason": "fraudulent", "status": status });
        stripe::event(id, kind, dispute)
    };
    let opened = dispute("evt_dp_ticket_open", "charge.dispute.created", "needs_response");
    assert_eq!(deliver(&app, &opened, signed(&opened)).await, 200);
    let res = app
        .call(&door, "ticketed-events/check-in", &[("id", gala.id.as_str()), ("code", code.as_str())])
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("suspended: its payment is disputed"));
    let dashboard: Value = app.call(&admin, "admin/dashboard", &[]).await.json().await.unwrap();
    assert!(
        dashboard["needs_attention"]
            .to_string()
            .contains("1 disputed ticket: answer in Stripe before the deadline"),
        "{dashboard}"
    );
    let page = app
        .client()
        .get(app.url(&format!("/ticket?code={code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("suspended while its payment is disputed"), "{page}");
    let won = dispute("evt_dp_ticket_won", "charge.dispute.closed", "won");
    assert_eq!(deliver(&app, &won, signed(&won)).await, 200);
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "VALID");

    // The payments list and export show it, with no Stripe id.
    let list: Value = app.call(&admin, "payments/list", &[("kind", "ticket")]).await.json().await.unwrap();
    assert_eq!(list["rows"][0]["what"], "Gala — Seats");
    let csv = admin.get(app.url("/api/payments/tickets.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("date_utc,name,email,ticket,"), "{csv}");
    assert!(csv.contains("Gala — Seats") && csv.contains("PAID"), "{csv}");
    for prefix in ["pi_", "cs_", "cus_", "dp_"] {
        assert!(!csv.contains(prefix), "{prefix} in {csv}");
    }

    // Refunded in full: the ticket is cancelled, its place freed and its holder told.
    let refund = [("kind", "ticket"), ("id", ana_order.as_str()), ("amount", "")];
    let res = app.call(&admin, "payments/refund", &refund).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "CANCELLED");
    assert_eq!(seats_taken(&app, "gala").await, 0);
    let cancelled = app.events("ticket.cancelled").await;
    assert_eq!((cancelled.len(), cancelled[0]["by"].as_str()), (1, Some("PAYMENT")));
    let told: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_outbox WHERE subject = 'Refunded: your ticket for Gala'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(told, 1);

    // Paid after the event was cancelled: no ticket; the order waits for its refund.
    assert_eq!(take("dy@example.org").await.0, 200);
    let dy_order: String = sqlx::query_scalar("SELECT id FROM ticket_orders WHERE email = 'dy@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    events::cancel(&bus, &actor, &gala.id).await.unwrap();
    let late = ticket_session_event(&dy_order, "completed", "pi_test_late");
    assert_eq!(deliver(&app, &late, signed(&late)).await, 200);
    let dy_tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE email = 'dy@example.org'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(dy_tickets, 0);
    let outcomes = audit_rows(&app, "webhook.checkout.session.completed").await;
    assert_eq!(outcomes.last().unwrap().0, "paid for a cancelled event: refund it");
    let detail: Value =
        app.call(&door, "ticketed-events/get", &[("id", gala.id.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["paid_orders"], 1, "the cancelled event's page counts the payments to refund");

    // A payments admin refunds the cancelled event's paid tickets all at once, in the background.
    let to_refund: Value = app.call(&admin, "payments/events-to-refund", &[]).await.json().await.unwrap();
    assert_eq!(
        to_refund,
        json!([{ "event_id": gala.id, "title": "Gala", "tickets": 1, "amount_cents": 2500 }])
    );
    assert_eq!(
        app.call(&door, "payments/refund-event", &[("event_id", gala.id.as_str())]).await.status(),
        403
    );
    let res = app.call(&admin, "payments/refund-event", &[("event_id", gala.id.as_str())]).await;
    assert_eq!(res.status(), 200);
    let job: String = res.json().await.unwrap();
    assert_eq!(app.call(&door, "jobs/get", &[("id", job.as_str())]).await.status(), 403);
    let done = app.finished_job(&admin, &job).await;
    assert_eq!(
        (done["status"].as_str(), done["result"]["summary"].as_str()),
        (Some("DONE"), Some("Refunded 1 paid ticket."))
    );
    let refunded = stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .map(|r| r.form["payment_intent"].clone());
    assert!(refunded.collect::<Vec<_>>().contains(&"pi_test_late".to_string()));
    let status: String = sqlx::query_scalar("SELECT status FROM ticket_orders WHERE id = $1")
        .bind(&dy_order)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "REFUNDED");
    let to_refund: Value = app.call(&admin, "payments/events-to-refund", &[]).await.json().await.unwrap();
    assert_eq!(to_refund, json!([]));
    let res = app.call(&admin, "payments/refund-event", &[("event_id", gala.id.as_str())]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("No paid ticket of this event is left to refund."));
}

async fn pay_what_you_can_tickets_are_free_for_nothing_and_go_to_stripe_for_the_amount_chosen(
    backend: Backend,
) {
    use app::ticketed_events::{EventForm, Taken, TierKind, service as events};
    let (app, stripe) = spawn(backend).await;
    let (bus, actor, now) = (app.bus(), app::events::Actor::System, db::now_unix());
    let form = EventForm {
        title: "Film night".into(),
        venue: "Hall".into(),
        date: app::time::date_time_from_unix(now + 86_400).0,
        start_time: "19:00".into(),
        end_time: "22:00".into(),
        tiers: "Solidarity | 10 | pay what you can\nSupporter | 10 | Pay what you can, from 20".into(),
        ..EventForm::default()
    };
    let night = events::save(&bus, &actor, "", &form, now).await.unwrap();
    events::publish(&bus, &actor, &night.id, now).await.unwrap();
    let public: Value = app
        .call(&app.client(), "ticketed-events/public-one", &[("slug", "film-night")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["tiers"][0]["kind"], "DONATION");
    assert_eq!(
        (public["tiers"][1]["kind"].as_str(), public["tiers"][1]["price_cents"].as_i64()),
        (Some("DONATION"), Some(2000))
    );
    let (solidarity, supporter) = (night.tiers[0].id.clone(), night.tiers[1].id.clone());
    let take = |tier: &str, email: &'static str, amount: &'static str| {
        let (app, tier) = (&app, tier.to_string());
        async move {
            let form = [
                ("slug", "film-night"),
                ("form[tier_id]", tier.as_str()),
                ("form[name]", "Guest"),
                ("form[email]", email),
                ("form[amount]", amount),
            ];
            let res = app.call(&app.client(), "ticketed-events/take", &form).await;
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let taken = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT CAST(SUM(issued) AS BIGINT) FROM ticket_tiers")
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };

    // Nothing to pay: a ticket at once, even with payments off, announced as a DONATION tier's.
    let (status, body) = take(&solidarity, "ana@example.org", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(serde_json::from_str(&body).unwrap(), Taken::Ticket { .. }), "{body}");
    let (status, body) = take(&solidarity, "bo@example.org", "$0.00").await;
    assert_eq!(status, 200, "{body}");
    let purchased = app.events("ticket.purchased").await;
    assert_eq!(purchased.len(), 2);
    assert_eq!(
        (purchased[0]["tier_kind"].as_str(), purchased[0]["amount_cents"].as_i64()),
        (Some("DONATION"), Some(0))
    );
    assert_eq!(taken(&app).await, 2);

    // Something to pay with payments off: refused, no place held.
    let (status, body) = take(&solidarity, "cy@example.org", "12").await;
    assert_eq!((status, body.contains("Payments are not available")), (503, true), "{body}");
    assert_eq!(taken(&app).await, 2);

    // Amounts out of bounds are named on the amount field, and nothing is held or sent.
    let admin = payments_admin(&app).await;
    configure(&app, &admin).await;
    for (tier, amount, says) in [
        (&solidarity, "0.50", "Enter nothing for a free ticket, or an amount from $1.00"),
        (&solidarity, "ten", "Enter nothing for a free ticket"),
        (&solidarity, "100000.01", "Enter nothing for a free ticket"),
        (&supporter, "", "Enter an amount from $20.00"),
        (&supporter, "19.99", "Supporter tickets are from $20.00."),
    ] {
        let (status, body) = take(tier, "cy@example.org", amount).await;
        assert_eq!(status, 422, "{amount}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert!(error.to_string().contains("\"amount\"") && body.contains(says), "{amount}: {body}");
    }
    assert_eq!(taken(&app).await, 2);
    assert!(stripe.requests().iter().all(|r| r.path != "/v1/checkout/sessions"));

    // The amount chosen is what Stripe is asked for, what the order holds and what is announced.
    let (status, body) = take(&supporter, "cy@example.org", "$35.50").await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(serde_json::from_str(&body).unwrap(), Taken::Checkout { .. }), "{body}");
    let session = stripe.requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(session.form["line_items[0][price_data][unit_amount]"], "3550");
    assert_eq!(session.form["line_items[0][price_data][product_data][name]"], "Film night — Supporter");
    let order = session.form["metadata[ticket_order_id]"].clone();
    let amount: i64 = sqlx::query_scalar("SELECT amount_cents FROM ticket_orders WHERE id = $1")
        .bind(&order)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(amount, 3550);
    assert_eq!(taken(&app).await, 3, "the checkout holds its place");
    let paid = ticket_session_event(&order, "completed", "pi_test_pwyc");
    assert_eq!(deliver(&app, &paid, signed(&paid)).await, 200);
    let purchased = app.events("ticket.purchased").await;
    assert_eq!(purchased.len(), 3);
    assert_eq!(
        (
            purchased[2]["tier_kind"].as_str(),
            purchased[2]["amount_cents"].as_i64(),
            purchased[2]["buyer_email"].as_str()
        ),
        (Some("DONATION"), Some(3550), Some("cy@example.org"))
    );
    let tiers = events::public(&app.db, "film-night").await.unwrap().tiers;
    assert_eq!(
        tiers.iter().map(|t| (t.kind, t.issued)).collect::<Vec<_>>(),
        [(TierKind::Donation, 2), (TierKind::Donation, 1)]
    );
}
