//! The automation listener (SPEC §3, n8n): every event, as its envelope's JSON, POSTed to the
//! webhook a super admin sets under Integrations, signed the Standard Webhooks way. Off until
//! it has an address and a secret and is turned on (a skipped event is counted, not sent
//! later). A failed delivery is retried on the bus' schedule and then parked, where the
//! Event bus page can send it again; `webhook-id` is the event's id on every attempt, so
//! the receiver can drop a second delivery.

use std::sync::Arc;
use std::time::Duration;

use app::bus::{GuardFuture, HandlerFuture, Listener};
use app::db::Db;
use app::events::Envelope;
use app::integrations::service::{self, WebhookTarget};
use app::secrets::SecretKey;

pub const NAME: &str = "automation";

pub fn listener(db: Db, key: Arc<SecretKey>) -> Listener {
    // A redirect is answered as a failure rather than followed: a POST would turn into a GET.
    // Events are sent one after another, so a receiver that hangs must not hold up the rest.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("Changemaker/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    let guard_db = db.clone();
    let guard_key = key.clone();
    Listener::new(NAME, &["*"], move |envelope| -> HandlerFuture {
        let (db, key, http) = (db.clone(), key.clone(), http.clone());
        Box::pin(async move {
            let settings = service::load_automation(&db, &key).await.map_err(|e| e.to_string())?;
            // Turned off since the guard looked: nothing to send to.
            let Some(target) = settings.target() else { return Ok(()) };
            deliver(&http, &target, &envelope).await
        })
    })
    .with_guard(move || -> GuardFuture {
        let (db, key) = (guard_db.clone(), guard_key.clone());
        Box::pin(async move {
            service::load_automation(&db, &key).await.is_ok_and(|settings| settings.target().is_some())
        })
    })
}

/// One signed POST. The error, kept with a failed delivery and shown to admins, never names
/// the address (it may carry the receiver's token) nor the secret.
async fn deliver(http: &reqwest::Client, target: &WebhookTarget, envelope: &Envelope) -> Result<(), String> {
    let body = serde_json::to_vec(envelope).map_err(|e| e.to_string())?;
    let timestamp = app::db::now_unix();
    let signature = target.key.signature(&envelope.id, timestamp, &body);
    let response = http
        .post(&target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &envelope.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("the webhook could not be reached: {}", e.without_url()))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("the webhook answered {status}")) }
}
