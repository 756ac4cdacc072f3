//! Organisers' notes on a contact (ssr only): what was said on a call, what they offered to do.
//! Written and read by the team, never by the contact; moved when contacts merge, erased with
//! their personal data, and in the file of everything held about them.

use sqlx::Row;

use super::service::{ContactError, locked_details};
use super::{ContactNote, NOTE_MAX_CHARS, Paging};
use crate::db::{self, Db};
use crate::error::{FieldError, is_plain_text};
use crate::events::Actor;
use crate::time_zone::Zone;

/// Notes on a page of a contact's notes.
pub const PAGE_SIZE: i64 = 20;

/// A note's text trimmed, or why it cannot be one.
fn checked_body(body: &str) -> Result<&str, ContactError> {
    let body = body.trim();
    if body.is_empty() || !is_plain_text(body, NOTE_MAX_CHARS) {
        return Err(ContactError::Invalid(FieldError::only(
            "body",
            "Write the note: at most 2,000 characters.",
        )));
    }
    Ok(body)
}

/// Writes `body` as a note on contact `contact_id` by the user `author_id`.
pub async fn add(db: &Db, author_id: &str, contact_id: &str, body: &str) -> Result<(), ContactError> {
    let body = checked_body(body)?;
    let mut tx = db.begin_write().await?;
    // Locked so that an erasure or a merge under way does not leave the note behind.
    locked_details(&mut tx, contact_id).await?;
    sqlx::query(
        "INSERT INTO contact_notes (id, contact_id, body, written_by, written_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(contact_id)
    .bind(body)
    .bind(author_id)
    .bind(db::now_unix())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Rewrites note `note_id` as `body`, for its author `author_id` only: nobody's words go
/// under another's name. The note then says when it was edited. Answers the note's contact.
pub async fn edit(db: &Db, author_id: &str, note_id: &str, body: &str) -> Result<String, ContactError> {
    let body = checked_body(body)?;
    let mut tx = db.begin_write().await?;
    let (written_by, contact_id): (String, String) =
        sqlx::query_as("SELECT written_by, contact_id FROM contact_notes WHERE id = $1")
            .bind(note_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(ContactError::NoteNotFound)?;
    if written_by != author_id {
        return Err(ContactError::NotTheNoteAuthor);
    }
    sqlx::query("UPDATE contact_notes SET body = $1, edited_at = $2 WHERE id = $3")
        .bind(body)
        .bind(db::now_unix())
        .bind(note_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(contact_id)
}

/// Deletes note `note_id`; the audit log says whose note on which contact, not what it said.
pub async fn delete(db: &Db, actor: &Actor, note_id: &str) -> Result<(), ContactError> {
    let mut tx = db.begin_write().await?;
    let note =
        sqlx::query("DELETE FROM contact_notes WHERE id = $1 RETURNING contact_id, written_by, written_at")
            .bind(note_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(ContactError::NoteNotFound)?;
    let contact_id: String = note.try_get("contact_id")?;
    let email: String = sqlx::query_scalar("SELECT email FROM contacts WHERE id = $1")
        .bind(&contact_id)
        .fetch_one(&mut *tx)
        .await?;
    let author = author_name(&mut tx, &note.try_get::<String, _>("written_by")?).await?;
    let zone = crate::settings::time_zone_in(&mut tx).await?;
    let written = zone.stamp(note.try_get("written_at")?);
    let entity = format!("{author}'s note of {written} on {email}");
    crate::audit::service::record(&mut tx, actor, "contact.note.deleted", &entity).await?;
    tx.commit().await?;
    Ok(())
}

/// The name notes show for user `user_id`.
async fn author_name(tx: &mut db::Tx, user_id: &str) -> Result<String, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(name.unwrap_or_else(|| FORMER_AUTHOR.to_string()))
}

/// Who wrote a note whose author's account is gone.
const FORMER_AUTHOR: &str = "A former team member";

/// One page of contact `contact_id`'s notes, newest first.
pub async fn page_of(
    db: &Db,
    zone: &Zone,
    contact_id: &str,
    page: i64,
) -> Result<(Vec<ContactNote>, Paging), sqlx::Error> {
    let select = "SELECT n.id, n.body, n.written_at, n.edited_at, u.id AS author_id, u.display_name FROM contact_notes n \
                  LEFT JOIN users u ON u.id = n.written_by WHERE n.contact_id = $1 \
                  ORDER BY n.written_at DESC, n.id DESC";
    let (rows, page, has_more) =
        db::fetch_page(db, select, &[contact_id.to_string()], page, PAGE_SIZE).await?;
    let notes = rows
        .iter()
        .map(|row| {
            Ok(ContactNote {
                id: row.try_get("id")?,
                body: row.try_get("body")?,
                author: row
                    .try_get::<Option<String>, _>("display_name")?
                    .unwrap_or_else(|| FORMER_AUTHOR.into()),
                author_id: row.try_get("author_id")?,
                at: zone.stamp(row.try_get("written_at")?),
                edited: row.try_get::<Option<i64>, _>("edited_at")?.map(|at| zone.stamp(at)),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((notes, Paging { page, has_more }))
}
