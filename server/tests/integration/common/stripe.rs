//! A fake Stripe API for the payment tests: checks each request as Stripe does (method, path,
//! `Authorization`, `Stripe-Version`, `Idempotency-Key`, required form fields), answers with
//! Stripe-shaped JSON, and keeps every request for the test to inspect. Also signs webhook
//! bodies exactly as Stripe does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const SECRET_KEY: &str = "sk_test_51FakeKeyForChangemakerTests0000004242";
pub const WEBHOOK_SECRET: &str = "whsec_FakeSigningSecretForChangemakerTests9876";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub form: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<StripeRequest>>>,
}

pub struct FakeStripe {
    pub base_url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let shared = Shared::default();
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeStripe { base_url, shared, task }
    }

    pub fn requests(&self) -> Vec<StripeRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "type": "invalid_request_error", "message": message } });
    (status, axum::Json(body)).into_response()
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    shared.requests.lock().unwrap().push(StripeRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        idempotency_key: header("idempotency-key"),
        form: form.clone(),
    });
    if header("authorization").as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided: sk_test_****0000");
    }
    if header("stripe-version").as_deref() != Some(app::payments::stripe::STRIPE_VERSION) {
        return error(StatusCode::BAD_REQUEST, "Invalid Stripe API version");
    }
    if header("idempotency-key").is_none_or(|k| k.is_empty() || k.len() > 255) {
        return error(StatusCode::BAD_REQUEST, "An Idempotency-Key is required by this fake");
    }
    match (method.as_str(), uri.path()) {
        ("GET", "/v1/balance") => axum::Json(json!({
            "object": "balance", "livemode": false,
            "available": [{ "amount": 0, "currency": "cad" }], "pending": []
        }))
        .into_response(),
        ("POST", "/v1/checkout/sessions") => checkout_session(&form),
        ("POST", "/v1/refunds") => refund(&form),
        _ => error(StatusCode::NOT_FOUND, &format!("Unrecognized request URL ({method}: {})", uri.path())),
    }
}

fn checkout_session(form: &HashMap<String, String>) -> Response {
    let required = [
        "mode",
        "success_url",
        "line_items[0][quantity]",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
    ];
    if let Some(missing) = required.iter().find(|f| !form.contains_key(**f)) {
        return error(StatusCode::BAD_REQUEST, &format!("Missing required param: {missing}."));
    }
    let mode = form["mode"].as_str();
    if !matches!(mode, "payment" | "subscription") {
        return error(StatusCode::BAD_REQUEST, "Invalid mode");
    }
    if mode == "subscription" && !form.contains_key("line_items[0][price_data][recurring][interval]") {
        return error(StatusCode::BAD_REQUEST, "A subscription needs a recurring price.");
    }
    let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    axum::Json(json!({
        "id": id,
        "object": "checkout.session",
        "mode": mode,
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap_or(0),
        "currency": form["line_items[0][price_data][currency]"],
        "client_reference_id": form.get("client_reference_id"),
        "metadata": { "donation_id": form.get("metadata[donation_id]") },
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    }))
    .into_response()
}

fn refund(form: &HashMap<String, String>) -> Response {
    let Some(payment_intent) = form.get("payment_intent").filter(|p| p.starts_with("pi_")) else {
        return error(StatusCode::BAD_REQUEST, "You must provide a payment_intent or a charge.");
    };
    let Some(amount) = form.get("amount").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a > 0) else {
        return error(StatusCode::BAD_REQUEST, "Invalid positive integer");
    };
    axum::Json(json!({
        "id": format!("re_test_{}", uuid::Uuid::new_v4().simple()),
        "object": "refund",
        "amount": amount,
        "payment_intent": payment_intent,
        "status": "succeeded",
    }))
    .into_response()
}

/// The `Stripe-Signature` header Stripe would send for `body` at time `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A Stripe event of `kind` about `object`, as JSON text.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": app::payments::stripe::STRIPE_VERSION,
        "created": app::db::now_unix(),
        "livemode": false,
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}
