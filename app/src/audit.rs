//! The admin audit log (ssr only): who did what to which thing, written in the same
//! transaction as the change. Never holds a secret.

use crate::db::{self, Tx};
use crate::events::Actor;

pub async fn record(tx: &mut Tx, actor: &Actor, action: &str, entity: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO admin_audit_log (at, actor, action, entity) VALUES ($1, $2, $3, $4)")
        .bind(db::now_unix_ms())
        .bind(actor.to_string())
        .bind(action)
        .bind(entity)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
