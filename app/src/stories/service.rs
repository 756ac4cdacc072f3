//! Impact story rules (ssr only): checking and saving drafts, publishing (with
//! `social.impact-story.published`), taking back to draft, deleting, and the lists.

use sqlx::Row;

use super::{Story, StoryFilter, StoryForm, StoryPage, StoryPicture};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::{
    ImpactStoryCreated, ImpactStoryDeleted, ImpactStoryPublished, ImpactStoryUnpublished, ImpactStoryUpdated,
};
use crate::events::{Actor, Event};
use crate::media::files::{MediaFiles, Received};
use crate::settings;
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    #[error("invalid story")]
    Invalid(Vec<FieldError>),
    #[error("no such story")]
    NotFound,
    #[error("refused: {0}")]
    Conflict(&'static str),
    /// The edit form was opened before someone else saved the story.
    #[error("the story was saved since the form was opened")]
    ChangedMeanwhile,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Stories on a page of a list.
pub const PAGE_SIZE: i64 = 20;

/// The form trimmed, its slug made from the title when left empty, or what is wrong with it.
fn checked(form: &StoryForm) -> Result<StoryForm, Vec<FieldError>> {
    let title = form.title.trim().to_string();
    let slug = match form.slug.trim() {
        "" => crate::slug::from_title(&title, super::SLUG_MAX_CHARS),
        typed => typed.to_string(),
    };
    let story = StoryForm {
        title,
        slug,
        summary: form.summary.trim().to_string(),
        body: form.body.trim().to_string(),
        edits: form.edits,
    };
    let mut v = Validation::new();
    v.check(!story.title.is_empty(), "title", "Enter a title.");
    v.check(
        is_one_line(&story.title, super::TITLE_MAX_CHARS),
        "title",
        "Titles are one line of at most 200 characters.",
    );
    v.check(
        crate::slug::may_stand(&story.slug, &story.title, super::SLUG_MAX_CHARS),
        "slug",
        "Use 1 to 80 lower-case letters, digits and hyphens, like new-bus-route-won.",
    );
    v.check(!story.summary.is_empty(), "summary", "Sum the story up in a sentence or two.");
    v.check(
        is_one_line(&story.summary, super::SUMMARY_MAX_CHARS),
        "summary",
        "The summary is one paragraph of at most 300 characters.",
    );
    v.check(!story.body.is_empty(), "body", "Tell the story.");
    v.check(
        is_plain_text(&story.body, super::BODY_MAX_CHARS),
        "body",
        "The story can be at most 20,000 characters.",
    );
    v.finish()?;
    Ok(story)
}

const COLUMNS: &str = "id, slug, title, summary, body, status, published_at, edits, \
    picture_name, picture_alt, picture_width, picture_height";

fn story_from_row(row: &sqlx::any::AnyRow, zone: &Zone) -> Result<Story, sqlx::Error> {
    let published_at: Option<i64> = row.try_get("published_at")?;
    Ok(Story {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        body: row.try_get("body")?,
        published: row.try_get::<String, _>("status")? == "PUBLISHED",
        published_on: published_at.map(|at| zone.date(at)),
        edits: row.try_get("edits")?,
        picture: match row.try_get::<Option<String>, _>("picture_name")? {
            Some(name) => {
                let width: Option<i64> = row.try_get("picture_width")?;
                let height: Option<i64> = row.try_get("picture_height")?;
                let dimensions = width.zip(height).map(|(w, h)| (w as u32, h as u32));
                Some(StoryPicture { name, alt: row.try_get("picture_alt")?, dimensions })
            }
            None => None,
        },
    })
}

/// The story whose `column` (`id` or `slug`) is `value`; with `published_only`, a draft is
/// not found.
pub async fn find(db: &Db, column: &str, value: &str, published_only: bool) -> Result<Story, StoryError> {
    let column = if column == "slug" { "slug" } else { "id" };
    let published = if published_only { " AND status = 'PUBLISHED'" } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM impact_stories WHERE {column} = $1{published}"
    )))
    .bind(value)
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoryError::NotFound)?;
    Ok(story_from_row(&row, &settings::time_zone(db).await?)?)
}

/// One page of stories found by title: every one, last changed first; or, with
/// `published_only`, the published ones, newest first.
pub async fn list(db: &Db, filter: &StoryFilter, published_only: bool) -> Result<StoryPage, StoryError> {
    let mut v = Validation::new();
    crate::error::check_search(&mut v, "search", &filter.search);
    v.finish().map_err(StoryError::Invalid)?;
    let status = published_only.then_some("PUBLISHED");
    let (conditions, binds) = db::title_and_status_conditions("title", &filter.search, "status", status);
    let count =
        db::fetch_count(db, &format!("SELECT COUNT(*) FROM impact_stories{conditions}"), &binds).await?;
    let order = if published_only { "published_at DESC, id" } else { "updated_at DESC, id" };
    let select = format!("SELECT {COLUMNS} FROM impact_stories{conditions} ORDER BY {order}");
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows.iter().map(|r| story_from_row(r, &zone)).collect::<Result<Vec<_>, _>>()?;
    Ok(StoryPage { rows, page, has_more, count })
}

/// Whether any story is published.
pub async fn any_published(db: &Db) -> Result<bool, sqlx::Error> {
    let one: Option<String> =
        sqlx::query_scalar("SELECT id FROM impact_stories WHERE status = 'PUBLISHED' LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(one.is_some())
}

/// Creates a draft (empty `id`, publishing `social.impact-story.created`) or updates a story,
/// published or not (`social.impact-story.updated`). An address another story has is refused,
/// and so is an edit from a form opened before someone else saved the story.
pub async fn save(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    form: &StoryForm,
    now: i64,
) -> Result<Story, StoryError> {
    let story = checked(form).map_err(StoryError::Invalid)?;
    let is_new = id.is_empty();
    let id = if is_new { uuid::Uuid::new_v4().to_string() } else { id.to_string() };
    // One statement writes either, its values bound in the same order.
    let sql = if is_new {
        "INSERT INTO impact_stories (slug, title, summary, body, updated_at, id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'DRAFT', $5) RETURNING status"
    } else {
        "UPDATE impact_stories SET slug = $1, title = $2, summary = $3, body = $4, updated_at = $5, \
         edits = edits + 1 WHERE id = $6 RETURNING status"
    };
    let mut tx = bus.db().begin_write().await?;
    if !is_new {
        let (missing, saved_since) = (StoryError::NotFound, StoryError::ChangedMeanwhile);
        db::check_edits(&mut tx, "impact_stories", &id, story.edits, missing, saved_since).await?;
    }
    let written: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(sql)
        .bind(&story.slug)
        .bind(&story.title)
        .bind(&story.summary)
        .bind(&story.body)
        .bind(now)
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await;
    let status = match written {
        Ok(Some(status)) => status,
        Ok(None) => return Err(StoryError::NotFound),
        Err(e) if db::is_unique_violation(&e) => {
            let message = "Another story has this address; choose another.";
            return Err(StoryError::Invalid(FieldError::only("slug", message)));
        }
        Err(e) => return Err(e.into()),
    };
    let event = if is_new {
        Event::ImpactStoryCreated(ImpactStoryCreated { story_id: id.clone(), title: story.title })
    } else {
        updated_event(&id, story.title, story.summary, &story.slug, status)
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", &id, false).await
}

/// `social.impact-story.updated` for story `id` as it now is.
fn updated_event(id: &str, title: String, summary: String, slug: &str, status: String) -> Event {
    Event::ImpactStoryUpdated(ImpactStoryUpdated {
        story_id: id.to_string(),
        title,
        summary,
        url_path: format!("/stories/{slug}"),
        status,
    })
}

/// `updated_event` from a row holding the story's title, summary, slug and status.
fn updated_event_of(id: &str, row: &sqlx::any::AnyRow) -> Result<Event, sqlx::Error> {
    let slug: String = row.try_get("slug")?;
    Ok(updated_event(id, row.try_get("title")?, row.try_get("summary")?, &slug, row.try_get("status")?))
}

/// The description of a picture trimmed, or what is wrong with it.
fn checked_alt(alt: &str) -> Result<String, Vec<FieldError>> {
    let alt = alt.trim();
    let mut v = Validation::new();
    v.check(
        !alt.is_empty() && is_one_line(alt, super::PICTURE_ALT_MAX_CHARS),
        "alt",
        "Say what the picture shows, for those who cannot see it: one line of at most 300 characters.",
    );
    v.finish()?;
    Ok(alt.to_string())
}

/// Records `received` as story `id`'s picture, described by `alt` (written to the admin audit
/// log, with `social.impact-story.updated`), then removes the picture it replaces. When the
/// story is gone or the description is refused, the received file is removed and nothing
/// changes.
pub async fn attach_picture(
    bus: &Bus,
    files: &MediaFiles,
    actor: &Actor,
    id: &str,
    received: &Received,
    alt: &str,
) -> Result<Story, StoryError> {
    let recorded = record_picture(bus, actor, id, received, alt).await;
    files.settle(received, &recorded).await;
    recorded?;
    find(bus.db(), "id", id, false).await
}

/// The picture's row written in one transaction: the name of the picture it replaces, if any.
async fn record_picture(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    received: &Received,
    alt: &str,
) -> Result<Option<String>, StoryError> {
    let alt = checked_alt(alt).map_err(StoryError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    // Locked, so that of two uploads at once the second replaces (and removes) the first's.
    let before = locked_for_picture(&mut tx, id).await?;
    let replaced: Option<String> = before.try_get("picture_name")?;
    let (width, height) =
        received.dimensions.map_or((None, None), |(w, h)| (Some(i64::from(w)), Some(i64::from(h))));
    sqlx::query(
        "UPDATE impact_stories SET picture_name = $1, picture_alt = $2, picture_width = $3, picture_height = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&received.name)
    .bind(&alt)
    .bind(width)
    .bind(height)
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let entity = format!("{}: {}", before.try_get::<String, _>("title")?, received.original_name);
    crate::audit::service::record(&mut tx, actor, "story.picture.uploaded", &entity).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &before)?).await?;
    bus.commit(tx).await?;
    Ok(replaced)
}

/// Story `id`'s row as a picture change needs it, locked until the transaction ends.
async fn locked_for_picture(tx: &mut Tx, id: &str) -> Result<sqlx::any::AnyRow, StoryError> {
    let lock = db::for_update(tx);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT title, summary, slug, status, picture_name FROM impact_stories WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoryError::NotFound)
}

/// Changes what story `id`'s picture is said to show (written to the admin audit log, with
/// `social.impact-story.updated`).
pub async fn describe_picture(bus: &Bus, actor: &Actor, id: &str, alt: &str) -> Result<Story, StoryError> {
    let alt = checked_alt(alt).map_err(StoryError::Invalid)?;
    let mut tx = bus.db().begin_write().await?;
    let before = locked_for_picture(&mut tx, id).await?;
    if before.try_get::<Option<String>, _>("picture_name")?.is_none() {
        return Err(StoryError::Conflict("This story has no picture."));
    }
    sqlx::query("UPDATE impact_stories SET picture_alt = $1, updated_at = $2 WHERE id = $3")
        .bind(&alt)
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let title: String = before.try_get("title")?;
    crate::audit::service::record(&mut tx, actor, "story.picture.described", &title).await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &before)?).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", id, false).await
}

/// Removes story `id`'s picture (written to the admin audit log, with
/// `social.impact-story.updated`); the file goes after the commit.
pub async fn remove_picture(
    bus: &Bus,
    files: &MediaFiles,
    actor: &Actor,
    id: &str,
) -> Result<Story, StoryError> {
    let mut tx = bus.db().begin_write().await?;
    let before = locked_for_picture(&mut tx, id).await?;
    let Some(picture) = before.try_get::<Option<String>, _>("picture_name")? else {
        return Err(StoryError::Conflict("This story has no picture."));
    };
    sqlx::query(
        "UPDATE impact_stories SET picture_name = NULL, picture_alt = '', picture_width = NULL, \
         picture_height = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    crate::audit::service::record(
        &mut tx,
        actor,
        "story.picture.removed",
        &before.try_get::<String, _>("title")?,
    )
    .await?;
    bus::publish(&mut tx, actor, &updated_event_of(id, &before)?).await?;
    bus.commit(tx).await?;
    files.remove(&picture).await;
    find(bus.db(), "id", id, false).await
}

/// Why a change from one status to the other found no row: the story is missing, or is
/// already as asked (`already`).
async fn refused(tx: &mut Tx, id: &str, already: &'static str) -> StoryError {
    let exists = sqlx::query_scalar::<_, String>("SELECT id FROM impact_stories WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await;
    match exists {
        Ok(Some(_)) => StoryError::Conflict(already),
        Ok(None) => StoryError::NotFound,
        Err(e) => e.into(),
    }
}

/// Publishes a draft: it shows on `/stories`, and `social.impact-story.published` goes out
/// in the same transaction.
pub async fn publish(bus: &Bus, actor: &Actor, id: &str, now: i64) -> Result<Story, StoryError> {
    let mut tx = bus.db().begin_write().await?;
    let row = sqlx::query(
        "UPDATE impact_stories SET status = 'PUBLISHED', published_at = $1, updated_at = $1 \
         WHERE id = $2 AND status = 'DRAFT' RETURNING slug, title, summary",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(refused(&mut tx, id, "This story is already published.").await) };
    let slug: String = row.try_get("slug")?;
    let event = Event::ImpactStoryPublished(ImpactStoryPublished {
        story_id: id.to_string(),
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        url_path: format!("/stories/{slug}"),
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", id, false).await
}

/// Takes a published story back to draft (off `/stories`), written to the admin audit log,
/// with `social.impact-story.unpublished`.
pub async fn unpublish(bus: &Bus, actor: &Actor, id: &str) -> Result<Story, StoryError> {
    let mut tx = bus.db().begin_write().await?;
    let title: Option<String> = sqlx::query_scalar(
        "UPDATE impact_stories SET status = 'DRAFT', published_at = NULL, updated_at = $1 \
         WHERE id = $2 AND status = 'PUBLISHED' RETURNING title",
    )
    .bind(db::now_unix())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(title) = title else { return Err(refused(&mut tx, id, "This story is a draft already.").await) };
    crate::audit::service::record(&mut tx, actor, "story.unpublished", &title).await?;
    let event = Event::ImpactStoryUnpublished(ImpactStoryUnpublished { story_id: id.to_string(), title });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", id, false).await
}

/// Makes the pictures of the stories stored before this version fit as uploads are now
/// (`MediaFiles::refit`: made again under a new name when they carry camera metadata or are
/// too large), and records each one's width and height. A picture that cannot be refitted
/// (gone, damaged) is logged and left as it is. How many pictures were looked at.
pub async fn refit_earlier_pictures(db: &Db, files: &MediaFiles) -> Result<usize, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, picture_name FROM impact_stories WHERE picture_name IS NOT NULL")
            .fetch_all(db.pool())
            .await?;
    for (id, picture) in &rows {
        let refitted = match files.refit(picture).await {
            Ok(refitted) => refitted,
            Err(e) => {
                tracing::warn!(story = %id, file = picture, error = %e, "could not refit an earlier story picture");
                continue;
            }
        };
        let (width, height) =
            refitted.dimensions.map_or((None, None), |(w, h)| (Some(i64::from(w)), Some(i64::from(h))));
        let recorded = async {
            let mut tx = db.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE impact_stories SET picture_name = $1, picture_width = $2, picture_height = $3 \
                 WHERE id = $4 AND picture_name = $5",
            )
            .bind(&refitted.name)
            .bind(width)
            .bind(height)
            .bind(id)
            .bind(picture)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(updated.rows_affected() == 1)
        };
        let recorded = recorded.await;
        files.settle_refit(picture, &refitted, &recorded).await;
        recorded?;
    }
    Ok(rows.len())
}

/// Deletes a story, written to the admin audit log, with `social.impact-story.deleted`; then
/// its picture.
pub async fn delete(bus: &Bus, files: &MediaFiles, actor: &Actor, id: &str) -> Result<(), StoryError> {
    let mut tx = bus.db().begin_write().await?;
    let (title, picture): (String, Option<String>) =
        sqlx::query_as("DELETE FROM impact_stories WHERE id = $1 RETURNING title, picture_name")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoryError::NotFound)?;
    crate::audit::service::record(&mut tx, actor, "story.deleted", &title).await?;
    let event = Event::ImpactStoryDeleted(ImpactStoryDeleted { story_id: id.to_string(), title });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    if let Some(picture) = picture {
        files.remove(&picture).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, slug: &str) -> StoryForm {
        StoryForm {
            title: title.into(),
            slug: slug.into(),
            summary: "We won.".into(),
            body: "How.".into(),
            edits: None,
        }
    }

    #[test]
    fn an_empty_address_is_made_from_the_title() {
        assert_eq!(checked(&form(" Bus route 12 saved! ", "")).unwrap().slug, "bus-route-12-saved");
        assert_eq!(checked(&form("Anything", "my-story")).unwrap().slug, "my-story");
        let errors = checked(&form("!!!", "")).unwrap_err();
        assert_eq!(errors[0].field, "slug");
        let errors = checked(&form("Ok", "Not A Slug")).unwrap_err();
        assert_eq!(errors[0].field, "slug");
    }

    #[test]
    fn every_part_is_needed_and_bounded() {
        let empty = checked(&StoryForm::default()).unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|e| e.field.as_str()).collect();
        // No address asked for: it is made from the title, which is asked for.
        assert_eq!(fields, ["title", "summary", "body"]);
        let long = StoryForm { summary: "x".repeat(301), ..form("Ok", "") };
        assert_eq!(checked(&long).unwrap_err()[0].field, "summary");
        let long = StoryForm { body: "x".repeat(20_001), ..form("Ok", "") };
        assert_eq!(checked(&long).unwrap_err()[0].field, "body");
    }
}
