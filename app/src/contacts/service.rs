//! Creating or matching a contact by email, inside the caller's transaction.

use sqlx::Row;

use crate::db::{self, Tx};
use crate::events::{Event, catalog::ContactCreated};
use crate::users::service::normalise_email;

/// A contact found or just created by `find_or_create`.
pub struct FoundContact {
    pub id: String,
    /// `contact.created` when the contact is new. The caller publishes it with its own
    /// events, last in the transaction: on PostgreSQL publishing holds the bus's ordering
    /// lock until commit, so the later it comes, the less writers wait on each other.
    pub created: Option<Event>,
}

/// The contact with `email`, created when there is none yet. A later sign-up never
/// overwrites the name on file.
pub async fn find_or_create(
    tx: &mut Tx,
    email: &str,
    name: &str,
    phone: Option<&str>,
    source: &str,
) -> Result<FoundContact, sqlx::Error> {
    let email = normalise_email(email);
    if let Some(row) =
        sqlx::query("SELECT id FROM contacts WHERE email = $1").bind(&email).fetch_optional(&mut **tx).await?
    {
        return Ok(FoundContact { id: row.try_get("id")?, created: None });
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
    let created = Event::ContactCreated(ContactCreated {
        contact_id: id.clone(),
        email,
        name: name.to_string(),
        source: source.to_string(),
    });
    Ok(FoundContact { id, created: Some(created) })
}
