//! A thin client for the parts of Stripe's API we use (no SDK). Every request carries the
//! pinned `Stripe-Version` and an `Idempotency-Key`, so a retried request never charges or
//! refunds twice. The secret key goes only into the `Authorization` header; it is never
//! logged or put into an error.

use std::time::Duration;

use serde_json::Value;

use crate::secrets::{ExposeSecret, SecretString};

pub const STRIPE_VERSION: &str = "2026-01-28.clover";

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error; the message is Stripe's own (it never holds the key).
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error("Stripe could not be reached ({0})")]
    Network(String),
    #[error("Stripe's answer was not understood")]
    BadResponse,
}

pub struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    secret_key: SecretString,
}

impl StripeClient {
    pub fn new(base_url: &str, secret_key: SecretString) -> StripeClient {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        StripeClient { http, base_url: base_url.trim_end_matches('/').to_string(), secret_key }
    }

    /// `POST /v1/{path}` with form fields (Stripe's `a[b][c]` notation).
    pub async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(String, String)],
    ) -> Result<Value, StripeError> {
        self.send(self.http.post(self.url(path)).form(form), idempotency_key).await
    }

    /// `GET /v1/{path}`.
    pub async fn get(&self, path: &str, idempotency_key: &str) -> Result<Value, StripeError> {
        self.send(self.http.get(self.url(path)), idempotency_key).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base_url)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        let response = request
            .bearer_auth(self.secret_key.expose_secret())
            .header("Stripe-Version", STRIPE_VERSION)
            .header("Idempotency-Key", idempotency_key)
            .send()
            .await
            // Without the URL: an error's text must not grow to include request details.
            .map_err(|e| StripeError::Network(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(|_| StripeError::BadResponse)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body["error"]["message"]
            .as_str()
            .map_or_else(|| format!("the request was refused (HTTP {status})"), |m| m.to_string());
        Err(StripeError::Api { status, message })
    }
}

/// What a Checkout Session sells: one line, paid once or every `interval`, tied to our record by
/// `metadata[{reference_key}] = reference_id` (on the session and on the payment or
/// subscription it creates, so that later webhooks find the record too).
pub struct SessionLine<'a> {
    pub reference_key: &'static str,
    pub reference_id: &'a str,
    pub item_name: &'a str,
    pub amount_cents: i64,
    pub currency: &'a str,
    /// `None` for a one-off payment, else `month` or `year`.
    pub interval: Option<&'a str>,
    pub email: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    /// When the session stops taking payment (Unix seconds, 30 minutes to 24 hours away;
    /// `None`: Stripe's default of 24 hours).
    pub expires_at: Option<i64>,
}

/// The form fields of `POST /v1/checkout/sessions` for `line`.
pub fn session_form(line: &SessionLine<'_>) -> Vec<(String, String)> {
    let key = line.reference_key;
    let mut form = vec![
        ("mode".to_string(), if line.interval.is_some() { "subscription" } else { "payment" }.to_string()),
        ("client_reference_id".to_string(), line.reference_id.to_string()),
        (format!("metadata[{key}]"), line.reference_id.to_string()),
        ("customer_email".to_string(), line.email.to_string()),
        ("success_url".to_string(), line.success_url.to_string()),
        ("cancel_url".to_string(), line.cancel_url.to_string()),
        ("line_items[0][quantity]".to_string(), "1".to_string()),
        ("line_items[0][price_data][currency]".to_string(), line.currency.to_string()),
        ("line_items[0][price_data][unit_amount]".to_string(), line.amount_cents.to_string()),
        ("line_items[0][price_data][product_data][name]".to_string(), line.item_name.to_string()),
    ];
    if let Some(expires_at) = line.expires_at {
        form.push(("expires_at".to_string(), expires_at.to_string()));
    }
    if let Some(interval) = line.interval {
        form.push(("line_items[0][price_data][recurring][interval]".to_string(), interval.to_string()));
        form.push((format!("subscription_data[metadata][{key}]"), line.reference_id.to_string()));
    } else {
        form.push((format!("payment_intent_data[metadata][{key}]"), line.reference_id.to_string()));
    }
    form
}
