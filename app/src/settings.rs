//! Instance-wide settings stored as key/value text (ssr only). Secrets never go here in
//! plain text: they are written by `save_secret_field` (encrypted; a mask keeps the stored
//! value) and shown only through `mask`.

use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation, is_one_line};
use crate::events::Actor;
use crate::secrets::{ExposeSecret, SecretKey, SecretString};
use crate::time_zone::Zone;

/// The organisation's name, shown on the public pages. Set at first-run setup, changed in
/// the settings.
pub const ORGANISATION_NAME: &str = "organisation_name";

/// The name shown when setup has not named the organisation yet.
pub const DEFAULT_ORGANISATION_NAME: &str = "Changemaker";

pub const ORGANISATION_NAME_MAX_CHARS: usize = 120;

/// A line on what the organisation does: under its name on the home page, and in links to it
/// shared in a chat or on social media.
pub const ORGANISATION_DESCRIPTION: &str = "organisation_description";

/// The description until an admin writes one.
pub const DEFAULT_ORGANISATION_DESCRIPTION: &str = "Organising together: campaigns, volunteering and events.";

pub const ORGANISATION_DESCRIPTION_MAX_CHARS: usize = 200;

/// How many times the organisation's name and description have been saved (see `count_save`).
const ORGANISATION_EDITS: &str = "organisation.edits";

/// The IANA time zone shifts are typed and shown in; UTC until an admin chooses one.
pub const TIME_ZONE: &str = "time_zone";

/// The organisation's time zone (UTC if none is set, or the stored name is no longer known).
pub async fn time_zone(db: &Db) -> Result<Zone, sqlx::Error> {
    let name = get(db, TIME_ZONE).await?;
    Ok(name.as_deref().and_then(Zone::parse).unwrap_or(Zone::UTC))
}

/// The organisation's time zone, read inside a transaction (for work done in one, like a
/// webhook's).
pub async fn time_zone_in(tx: &mut Tx) -> Result<Zone, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = $1")
        .bind(TIME_ZONE)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(name.as_deref().and_then(Zone::parse).unwrap_or(Zone::UTC))
}

/// Why a time zone was not saved.
#[derive(Debug, thiserror::Error)]
pub enum TimeZoneError {
    #[error("no such time zone")]
    Unknown,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Sets the organisation's time zone by its IANA name, in the admin audit log. Shifts made
/// before keep the times they were given (each stores its own offsets).
pub async fn save_time_zone(db: &Db, actor: &Actor, name: &str) -> Result<Zone, TimeZoneError> {
    let zone = Zone::parse(name).ok_or(TimeZoneError::Unknown)?;
    let mut tx = db.begin_write().await?;
    set(&mut tx, TIME_ZONE, zone.name()).await?;
    crate::audit::service::record(&mut tx, actor, "settings.time_zone.changed", zone.name()).await?;
    tx.commit().await?;
    Ok(zone)
}

/// The organisation's name, or the default before setup.
pub async fn organisation_name(db: &Db) -> Result<String, sqlx::Error> {
    Ok(get(db, ORGANISATION_NAME).await?.unwrap_or_else(|| DEFAULT_ORGANISATION_NAME.to_string()))
}

/// The organisation's description, or the default line before an admin writes one.
pub async fn organisation_description(db: &Db) -> Result<String, sqlx::Error> {
    Ok(get(db, ORGANISATION_DESCRIPTION)
        .await?
        .unwrap_or_else(|| DEFAULT_ORGANISATION_DESCRIPTION.to_string()))
}

/// Checks the organisation's name as typed (at setup and in the settings): one line of at
/// most 120 characters.
pub fn check_organisation_name(v: &mut Validation, name: &str) {
    let name = name.trim();
    v.check(!name.is_empty(), "organisation_name", "Enter your organisation's name.");
    v.check(
        is_one_line(name, ORGANISATION_NAME_MAX_CHARS),
        "organisation_name",
        "The name can be one line of at most 120 characters.",
    );
}

/// The organisation's name, description and how many times they have been saved, read
/// together.
pub async fn organisation(db: &Db) -> Result<(String, String, i64), sqlx::Error> {
    let stored = Group::read(db, &[ORGANISATION_NAME, ORGANISATION_DESCRIPTION, ORGANISATION_EDITS]).await?;
    Ok((
        stored.text_or(ORGANISATION_NAME, DEFAULT_ORGANISATION_NAME),
        stored.text_or(ORGANISATION_DESCRIPTION, DEFAULT_ORGANISATION_DESCRIPTION),
        stored.count(ORGANISATION_EDITS),
    ))
}

/// Renames the organisation and sets its description, in the admin audit log; bad input,
/// or a form opened before someone else's save (`edits`, see `count_save`), changes nothing.
pub async fn save_organisation(
    db: &Db,
    actor: &Actor,
    name: &str,
    description: &str,
    edits: Option<i64>,
) -> Result<(), OrganisationError> {
    let (name, description) = (name.trim(), description.trim());
    let mut v = Validation::new();
    check_organisation_name(&mut v, name);
    v.check(!description.is_empty(), "description", "Say in a line what the organisation does.");
    v.check(
        is_one_line(description, ORGANISATION_DESCRIPTION_MAX_CHARS),
        "description",
        "The description can be one line of at most 200 characters.",
    );
    v.finish().map_err(OrganisationError::Invalid)?;
    let mut tx = db.begin_write().await?;
    count_save(&mut tx, ORGANISATION_EDITS, edits, OrganisationError::SavedSince).await?;
    set(&mut tx, ORGANISATION_NAME, name).await?;
    set(&mut tx, ORGANISATION_DESCRIPTION, description).await?;
    crate::audit::service::record(&mut tx, actor, "settings.organisation.changed", name).await?;
    tx.commit().await?;
    Ok(())
}

/// Why the organisation's name and description were not saved.
#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("invalid organisation details")]
    Invalid(Vec<FieldError>),
    #[error("someone else saved the organisation's details meanwhile")]
    SavedSince,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
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

/// Counts a save of a settings form (the count kept under `edits_key`, as a record's `edits`
/// column keeps its saves) and refuses one from a form opened before another save of the
/// same settings: `saved_since` when `seen`, the count the form was opened with, is not the
/// count now (saving would undo that save). `None` (a caller that does not send it) is not
/// checked. Call it first in the save's transaction: on PostgreSQL it holds the count's row
/// until commit, so two saves of the same settings go one after the other.
pub async fn count_save<E: From<sqlx::Error>>(
    tx: &mut Tx,
    edits_key: &str,
    seen: Option<i64>,
    saved_since: E,
) -> Result<(), E> {
    let saves: String = sqlx::query_scalar(
        "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, '1', $2) \
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(app_settings.value AS BIGINT) + 1 AS TEXT), \
         updated_at = excluded.updated_at RETURNING value",
    )
    .bind(edits_key)
    .bind(db::now_unix())
    .fetch_one(&mut **tx)
    .await?;
    let before = saves.parse::<i64>().unwrap_or(1) - 1;
    if seen.is_some_and(|seen| seen != before) {
        return Err(saved_since);
    }
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

/// A secret setting's stored text, decrypted. One that no longer decrypts (the key changed)
/// counts as unset and is logged by name, never by value.
fn decrypt(key: &SecretKey, name: &str, sealed: &str) -> Option<SecretString> {
    let secret = key.decrypt(name, sealed);
    if secret.is_none() {
        tracing::warn!(
            setting = name,
            "a stored secret does not decrypt with this instance's key; treating it as unset"
        );
    }
    secret
}

/// Settings that belong together (a service's address, user and password), read in one
/// statement: a save committed meanwhile is seen whole or not at all, never the new host with
/// the old port, as separate reads could.
#[derive(Debug, Default)]
pub struct Group(std::collections::HashMap<String, String>);

impl Group {
    pub async fn read(db: &Db, names: &[&str]) -> Result<Group, sqlx::Error> {
        let placeholders: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT key, value FROM app_settings WHERE key IN ({})", placeholders.join(", "));
        let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for name in names {
            query = query.bind(*name);
        }
        Ok(Group(query.fetch_all(db.pool()).await?.into_iter().collect()))
    }

    /// The setting's text, or empty when it is not set.
    pub fn text(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// The setting's text, or `default` when it is not set.
    pub fn text_or(&self, name: &str, default: &str) -> String {
        self.0.get(name).map_or_else(|| default.to_string(), String::clone)
    }

    /// A count kept as a setting (see `count_save`), 0 when it is not set.
    pub fn count(&self, name: &str) -> i64 {
        self.0.get(name).and_then(|n| n.parse().ok()).unwrap_or(0)
    }

    /// Whether an on/off setting is on.
    pub fn is_on(&self, name: &str) -> bool {
        self.0.get(name).map(String::as_str) == Some("true")
    }

    /// A secret setting, decrypted (unset when it no longer decrypts).
    pub fn secret(&self, key: &SecretKey, name: &str) -> Option<SecretString> {
        decrypt(key, name, self.0.get(name)?)
    }
}

/// The one character every mask contains; no real secret does.
pub const MASK_MARK: char = '…';

/// How a stored secret is shown: its kind prefix and last four characters
/// (`sk_live_…4242`), or only the mark for a short one. Never enough to use it.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return MASK_MARK.to_string();
    }
    let prefix_len = secret[..secret.len().min(9)].rfind('_').map_or(0, |i| i + 1);
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{MASK_MARK}{tail}", &secret[..prefix_len])
}

/// Whether a typed secret field still shows a mask (or a piece of one): it must not be stored.
pub fn is_masked(typed: &str) -> bool {
    typed.contains(MASK_MARK)
}

/// Saves a secret field of a settings form, the one way every stored secret is written: an
/// empty field, or one still showing the mask, keeps what is stored (a mask is never stored,
/// encrypted or not); anything else replaces it, encrypted. Returns whether it changed.
/// Validate first: a field that `is_masked` but differs from the mask is a typing error.
pub async fn save_secret_field(
    tx: &mut Tx,
    key: &SecretKey,
    name: &str,
    typed: &str,
) -> Result<bool, sqlx::Error> {
    if typed.trim().is_empty() || is_masked(typed) {
        return Ok(false);
    }
    set_secret(tx, key, name, &SecretString::from(typed.to_string())).await?;
    Ok(true)
}

pub async fn remove(tx: &mut Tx, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_settings WHERE key = $1").bind(name).execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_the_kind_and_last_four_only() {
        assert_eq!(mask("sk_test_51Habcdefghijklmnop4242"), "sk_test_…4242");
        assert_eq!(mask("whsec_abcdefghijklmnopqrstuvwx9876"), "whsec_…9876");
        assert_eq!(mask("averylongpasswordwithoutunderscore"), "…core");
        assert_eq!(mask("short_pw"), "…");
        for secret in ["sk_test_51Habcdefghijklmnop4242", "short_pw"] {
            assert!(is_masked(&mask(secret)));
            assert!(!is_masked(secret));
        }
    }
}
