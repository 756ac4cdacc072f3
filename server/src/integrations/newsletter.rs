//! The newsletter sync listener (SPEC §3, Listmonk): each volunteer, supporter and donor a
//! subscriber on their list, with what Changemaker knows of them in their attributes, their
//! address and name as corrected here, and off every list once they unsubscribe
//! (`app::integrations::newsletter`). Off until it has Listmonk's address, an API user and its
//! token and is turned on.

use std::sync::Arc;

use app::bus::{GuardFuture, HandlerFuture, Listener};
use app::db::Db;
use app::integrations::newsletter::{Listmonk, Update, update_of};
use app::integrations::service;
use app::secrets::SecretKey;

pub const NAME: &str = "newsletter";

/// SPEC §3's list, `contact.unsubscribed` (off every list), `contact.updated` (a corrected
/// address or name), `contact.merged` (one subscriber for one person) and `contact.erased`
/// (their subscriber deleted).
pub const TOPICS: &[&str] = &[
    "shift.signup.created",
    "canvass.session.completed",
    "canvass.address.updated",
    "campaign.email.sent",
    "subscription.activated",
    "donation.completed",
    "product.purchased",
    "contact.tags.changed",
    "reengagement.sent",
    "contact.unsubscribed",
    "contact.updated",
    "contact.merged",
    "contact.erased",
];

pub fn listener(db: Db, key: Arc<SecretKey>) -> Listener {
    let http = app::integrations::http::client();
    let guard_db = db.clone();
    let guard_key = key.clone();
    Listener::new(NAME, TOPICS, move |envelope| -> HandlerFuture {
        let (db, key, http) = (db.clone(), key.clone(), http.clone());
        Box::pin(async move {
            let settings = service::load_newsletter(&db, &key).await.map_err(|e| e.to_string())?;
            // Turned off since the guard looked: nothing to keep in step.
            let Some(target) = settings.target() else { return Ok(()) };
            let listmonk = Listmonk { http: &http, target: &target };
            match update_of(&db, &envelope).await? {
                Some(Update::Change(change)) => listmonk.apply(&change).await,
                Some(Update::Unsubscribe { email }) => listmonk.unsubscribe(&email).await,
                Some(Update::Correct { previous_email, email, name }) => {
                    listmonk.correct(&previous_email, &email, &name).await
                }
                Some(Update::Merge { merged_email, email, unsubscribed }) => {
                    listmonk.merge(&merged_email, &email, unsubscribed).await
                }
                Some(Update::Erase { contact_id }) => listmonk.erase(&contact_id).await,
                None => Ok(()),
            }
        })
    })
    .with_guard(move || -> GuardFuture {
        let (db, key) = (guard_db.clone(), guard_key.clone());
        Box::pin(async move {
            let settings = service::load_newsletter(&db, &key).await.map_err(|e| e.to_string())?;
            Ok(settings.target().is_some())
        })
    })
}
