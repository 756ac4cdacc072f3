//! Creating or matching a contact by email, inside the caller's transaction.

use sqlx::Row;

use crate::bus;
use crate::db::{self, Tx};
use crate::events::{Actor, Event, catalog::ContactCreated};
use crate::users::service::normalise_email;

/// The id of the contact with `email`, created (and `contact.created` published) when there
/// is none yet. A later sign-up never overwrites the name on file.
pub async fn find_or_create(
    tx: &mut Tx,
    actor: &Actor,
    email: &str,
    name: &str,
    phone: Option<&str>,
    source: &str,
) -> Result<String, sqlx::Error> {
    let email = normalise_email(email);
    if let Some(row) =
        sqlx::query("SELECT id FROM contacts WHERE email = $1").bind(&email).fetch_optional(&mut **tx).await?
    {
        return row.try_get("id");
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = db::now_unix();
    sqlx::query(
        "INSERT INTO contacts (id, email, name, phone, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&email)
    .bind(name)
    .bind(phone)
    .bind(source)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let event = Event::ContactCreated(ContactCreated {
        contact_id: id.clone(),
        email,
        name: name.to_string(),
        source: source.to_string(),
    });
    bus::publish(tx, actor, &event).await?;
    Ok(id)
}
