//! The automation listener (SPEC §3, n8n): every event, as its envelope's JSON, POSTed to the
//! webhook a super admin sets under Integrations, signed the Standard Webhooks way. Off until
//! it has an address and a secret and is turned on (a skipped event is counted, not sent
//! later). A failed delivery is retried on the bus' schedule and then parked, where the
//! Event bus page can send it again; `webhook-id` is the event's id on every attempt, so
//! the receiver can drop a second delivery.

use std::sync::Arc;

use app::bus::{GuardFuture, HandlerFuture, Listener};
use app::db::Db;
use app::events::Envelope;
use app::integrations::service::{self, WebhookTarget};
use app::secrets::SecretKey;

pub const NAME: &str = "automation";

pub fn listener(db: Db, key: Arc<SecretKey>) -> Listener {
    let http = app::integrations::http::client();
    let guard_db = db.clone();
    let guard_key = key.clone();
    Listener::new(NAME, &["*"], move |envelope| -> HandlerFuture {
        let (db, key, http) = (db.clone(), key.clone(), http.clone());
        Box::pin(async move {
            let settings = service::load_automation(&db, &key).await.map_err(|e| e.to_string())?;
            // Turned off since the guard looked: nothing to send to.
            let Some(target) = settings.automation_target() else { return Ok(()) };
            deliver(&http, &target, &envelope).await
        })
    })
    .with_guard(move || -> GuardFuture {
        let (db, key) = (guard_db.clone(), guard_key.clone());
        Box::pin(async move {
            let settings = service::load_automation(&db, &key).await.map_err(|e| e.to_string())?;
            Ok(settings.automation_target().is_some())
        })
    })
}

/// One signed POST of the envelope.
async fn deliver(http: &reqwest::Client, target: &WebhookTarget, envelope: &Envelope) -> Result<(), String> {
    let body = serde_json::to_vec(envelope).map_err(|e| e.to_string())?;
    let timestamp = app::db::now_unix();
    let signature = target.key.signature(&envelope.id, timestamp, &body);
    let sent = http
        .post(&target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &envelope.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    app::integrations::http::outcome(sent, "the webhook")
}
