//! Instance-wide settings stored as key/value text (ssr only). Secrets never go here in
//! plain text.

use crate::db::{self, Db, Tx};
use crate::secrets::{ExposeSecret, SecretKey, SecretString};

/// The organisation's name, shown on the public pages. Set at first-run setup.
pub const ORGANISATION_NAME: &str = "organisation_name";

/// The name shown when setup has not named the organisation yet.
pub const DEFAULT_ORGANISATION_NAME: &str = "Changemaker";

/// The organisation's name, or the default before setup.
pub async fn organisation_name(db: &Db) -> Result<String, sqlx::Error> {
    Ok(get(db, ORGANISATION_NAME).await?.unwrap_or_else(|| DEFAULT_ORGANISATION_NAME.to_string()))
}

pub async fn get(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM app_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.pool())
        .await
}

pub async fn set(tx: &mut Tx, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(db::now_unix())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a secret setting (SMTP password, Stripe keys) encrypted with the instance key.
pub async fn set_secret(
    tx: &mut Tx,
    key: &SecretKey,
    name: &str,
    value: &SecretString,
) -> Result<(), sqlx::Error> {
    set(tx, name, &key.encrypt(name, value.expose_secret())).await
}

/// A secret setting, decrypted. One that no longer decrypts (the key changed) counts as unset
/// and is logged by name, never by value.
pub async fn get_secret(db: &Db, key: &SecretKey, name: &str) -> Result<Option<SecretString>, sqlx::Error> {
    let Some(sealed) = get(db, name).await? else { return Ok(None) };
    let secret = key.decrypt(name, &sealed);
    if secret.is_none() {
        tracing::warn!(
            setting = name,
            "a stored secret does not decrypt with this instance's key; treating it as unset"
        );
    }
    Ok(secret)
}

pub async fn remove(tx: &mut Tx, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_settings WHERE key = $1").bind(name).execute(&mut **tx).await?;
    Ok(())
}
