//! Writing the admin audit log, and reading it and the payment audit log (ssr only). Never
//! holds a secret.

use sqlx::Row;

use super::{AdminAuditPage, AdminAuditRow, AuditFilter};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};
use crate::events::Actor;
use crate::time_zone::Zone;

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

/// Rows on a page of an audit log.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("invalid filter")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One page of an audit log table (`id` its order, `at` its time in milliseconds, `action`
/// and `actor` its columns) found by `filter`'s action, actor and the organisation's days in
/// `zone`: the rows of `select` (the columns wanted `FROM` the table), newest first, the page
/// number and whether more follow. A filter that cannot be read is refused, naming its field.
pub async fn fetch_page(
    db: &Db,
    select: &str,
    filter: &AuditFilter,
    zone: &Zone,
) -> Result<(Vec<sqlx::any::AnyRow>, i64, bool), LogError> {
    let mut v = Validation::new();
    let (from, to) = crate::time::period(&mut v, &filter.from, &filter.to);
    let text = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let (action, actor) = (text(&filter.action), text(&filter.actor));
    crate::error::check_search(&mut v, "action", action.as_deref().unwrap_or_default());
    crate::error::check_search(&mut v, "actor", actor.as_deref().unwrap_or_default());
    v.finish().map_err(LogError::Invalid)?;
    let (from, to) = zone.days(from, to);
    let (mut conditions, mut texts, mut times) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(action) = action {
        texts.push(db::contains_pattern(&action));
        conditions.push(format!("LOWER(action) LIKE ${} ESCAPE '\\'", texts.len()));
    }
    if let Some(actor) = actor {
        texts.push(actor);
        conditions.push(format!("actor = ${}", texts.len()));
    }
    for (bound, op) in [(from, ">="), (to, "<")] {
        if let Some(secs) = bound {
            times.push(secs * 1000);
            conditions.push(format!("at {op} ${}", texts.len() + times.len()));
        }
    }
    let filter_sql =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let (page, offset) = db::page_and_offset(filter.page, PAGE_SIZE);
    let sql = format!("{select}{filter_sql} ORDER BY id DESC LIMIT {} OFFSET {offset}", PAGE_SIZE + 1);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in texts {
        query = query.bind(value);
    }
    for value in times {
        query = query.bind(value);
    }
    let mut rows = query.fetch_all(db.pool()).await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok((rows, page, has_more))
}

/// A page of the admin audit log, each row's actor named.
pub async fn admin_log(db: &Db, filter: &AuditFilter) -> Result<AdminAuditPage, LogError> {
    let zone = crate::settings::time_zone(db).await?;
    let select = "SELECT at, actor, action, entity FROM admin_audit_log";
    let (rows, page, has_more) = fetch_page(db, select, filter, &zone).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(AdminAuditRow {
                at: zone.stamp(r.try_get::<i64, _>("at")?.div_euclid(1000)),
                actor: r.try_get("actor")?,
                actor_name: String::new(),
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let names =
        crate::users::service::actor_names(db, rows.iter().map(|r| r.actor.clone()).collect()).await?;
    let rows = rows.into_iter().map(|r| AdminAuditRow { actor_name: names[&r.actor].clone(), ..r }).collect();
    Ok(AdminAuditPage { rows, page, has_more })
}
