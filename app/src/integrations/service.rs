//! The integrations' settings (ssr only): stored as settings rows, secrets (the automation
//! webhook's signing secret, team chat's webhook address, the public calendar's token, the
//! newsletter's API token and reports secret, Twilio's auth token) encrypted; the Standard Webhooks signature the
//! automation webhook is sent with; and the ids the public calendar gave its entries.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{
    AutomationSettings, AutomationSettingsForm, NewsletterSettings, NewsletterSettingsForm,
    PublicCalendarSettings, PublicCalendarSettingsForm, SmsSettings, SmsSettingsForm, TeamChatSettings,
    TeamChatSettingsForm,
};
use crate::db::Db;
use crate::error::{FieldError, Validation, is_one_line};
use crate::events::Actor;
use crate::secrets::{ExposeSecret, SecretKey, SecretString};
use crate::settings;

const TEAM_CHAT_ENABLED: &str = "team_chat.enabled";
const TEAM_CHAT_URL: &str = "team_chat.webhook_url";
const TEAM_CHAT_EDITS: &str = "team_chat.edits";

/// Standard Webhooks secrets: this prefix, then the key's bytes in base64.
const SECRET_PREFIX: &str = "whsec_";
/// The key lengths Standard Webhooks allows, in bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
const URL_MAX: usize = 2000;
const TOKEN_MAX: usize = 500;
/// A reports secret is long enough not to be guessed: `openssl rand -hex 32` makes 64.
const REPORTS_SECRET_MIN: usize = 24;
/// The longest API user or list name taken (Listmonk's own limit for names is 200).
const NAME_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("invalid settings")]
    Invalid(Vec<FieldError>),
    /// The form of the settings named (in the plural) was opened before someone else saved them.
    #[error("settings saved since the form was opened")]
    SavedSince(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where a service reached at an address with a secret keeps its settings and the count of
/// their saves (see `settings::count_save`), the admin audit action its saves are recorded
/// under, and what a refused save calls its settings.
struct ServiceKeys {
    enabled: &'static str,
    url: &'static str,
    secret: &'static str,
    edits: &'static str,
    saved: &'static str,
    what: &'static str,
}

const AUTOMATION: ServiceKeys = ServiceKeys {
    enabled: "automation.enabled",
    url: "automation.url",
    secret: "automation.secret",
    edits: "automation.edits",
    saved: "settings.automation.saved",
    what: "the automation webhook's settings",
};

const PUBLIC_CALENDAR: ServiceKeys = ServiceKeys {
    enabled: "public_calendar.enabled",
    url: "public_calendar.url",
    secret: "public_calendar.token",
    edits: "public_calendar.edits",
    saved: "settings.public_calendar.saved",
    what: "the public calendar's settings",
};

/// What a save of such a service checks: its form's field names, what makes a good secret,
/// and what to tell the admin.
struct Rules {
    url_field: &'static str,
    secret_field: &'static str,
    secret_valid: fn(&str) -> bool,
    url_wrong: &'static str,
    url_first: &'static str,
    secret_wrong: &'static str,
    secret_first: &'static str,
}

const AUTOMATION_RULES: Rules = Rules {
    url_field: "url",
    secret_field: "secret",
    secret_valid: |secret| signing_key(secret).is_some(),
    url_wrong: "Enter the webhook's whole address, starting with https:// or http://.",
    url_first: "Enter the webhook's address before turning it on.",
    secret_wrong: "A signing secret is whsec_ and then 24 to 64 bytes in base64, as \
                   echo \"whsec_$(openssl rand -base64 32)\" makes one.",
    secret_first: "Enter a signing secret before turning the webhook on.",
};

const PUBLIC_CALENDAR_RULES: Rules = Rules {
    url_field: "calendar_url",
    secret_field: "token",
    secret_valid: is_token,
    url_wrong: "Enter the calendar's address, starting with https:// or http://, as https://calendar.example.org.",
    url_first: "Enter the calendar's address before turning it on.",
    secret_wrong: "Paste the access token as Gancio gave it: at most 500 characters, without spaces.",
    secret_first: "Enter an access token before turning the calendar on.",
};

/// The stored settings of a service reached at an address with a secret: the automation
/// webhook (its signing secret) or the public calendar (its access token). The secret is
/// decrypted, never printed or sent.
#[derive(Debug, Default)]
pub struct StoredService {
    pub enabled: bool,
    pub url: String,
    pub secret: Option<SecretString>,
    pub edits: i64,
}

/// Where and how to send: the URL and the key signatures are made with.
pub struct WebhookTarget {
    pub url: String,
    pub key: SigningKey,
}

/// The public calendar's API: the instance's address (no trailing slash) and its token.
pub struct CalendarTarget {
    pub base_url: String,
    pub token: SecretString,
}

/// The key inside a Standard Webhooks secret, ready to sign with.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl StoredService {
    fn masked_secret(&self) -> String {
        self.secret.as_ref().map(|s| settings::mask(s.expose_secret())).unwrap_or_default()
    }

    fn is_ready(&self) -> bool {
        self.enabled && !self.url.is_empty() && self.secret.is_some()
    }

    /// The automation webhook as an admin may see it: the secret masked.
    pub fn automation_view(&self) -> AutomationSettings {
        AutomationSettings {
            enabled: self.enabled,
            url: self.url.clone(),
            secret: self.masked_secret(),
            edits: self.edits,
        }
    }

    /// The public calendar as an admin may see it: the token masked.
    pub fn public_calendar_view(&self) -> PublicCalendarSettings {
        PublicCalendarSettings {
            enabled: self.enabled,
            calendar_url: self.url.clone(),
            token: self.masked_secret(),
            edits: self.edits,
        }
    }

    /// Where to send events: only when the webhook is on and has an address and a secret.
    pub fn automation_target(&self) -> Option<WebhookTarget> {
        let key = signing_key(self.secret.as_ref()?.expose_secret())?;
        self.is_ready().then(|| WebhookTarget { url: self.url.clone(), key })
    }

    /// The calendar to keep in step: only when it is on and has an address and a token.
    pub fn public_calendar_target(&self) -> Option<CalendarTarget> {
        let token = self.secret.clone().filter(|_| self.is_ready())?;
        Some(CalendarTarget { base_url: self.url.trim_end_matches('/').to_string(), token })
    }
}

async fn load_service(db: &Db, key: &SecretKey, keys: &ServiceKeys) -> Result<StoredService, sqlx::Error> {
    let stored = settings::Group::read(db, &[keys.enabled, keys.url, keys.secret, keys.edits]).await?;
    Ok(StoredService {
        enabled: stored.is_on(keys.enabled),
        url: stored.text(keys.url),
        secret: stored.secret(key, keys.secret),
        edits: stored.count(keys.edits),
    })
}

pub async fn load_automation(db: &Db, key: &SecretKey) -> Result<StoredService, sqlx::Error> {
    load_service(db, key, &AUTOMATION).await
}

pub async fn load_public_calendar(db: &Db, key: &SecretKey) -> Result<StoredService, sqlx::Error> {
    load_service(db, key, &PUBLIC_CALENDAR).await
}

/// Saves the automation webhook's settings. Answers with them as stored, the secret masked.
pub async fn save_automation(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    form: &AutomationSettingsForm,
) -> Result<AutomationSettings, IntegrationError> {
    let typed = Typed { enabled: form.enabled, url: &form.url, secret: &form.secret, edits: form.edits };
    Ok(save_service(db, key, actor, &AUTOMATION, &AUTOMATION_RULES, typed).await?.automation_view())
}

/// Saves the public calendar's settings. Answers with them as stored, the token masked.
pub async fn save_public_calendar(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    form: &PublicCalendarSettingsForm,
) -> Result<PublicCalendarSettings, IntegrationError> {
    let typed =
        Typed { enabled: form.enabled, url: &form.calendar_url, secret: &form.token, edits: form.edits };
    let saved = save_service(db, key, actor, &PUBLIC_CALENDAR, &PUBLIC_CALENDAR_RULES, typed).await?;
    Ok(saved.public_calendar_view())
}

/// A service's form as typed.
struct Typed<'a> {
    enabled: bool,
    url: &'a str,
    secret: &'a str,
    edits: Option<i64>,
}

/// Saves a service's settings and writes an admin audit row naming what changed (never the
/// secret, nor the address, which may carry a token of the receiver's). A secret left empty
/// or masked keeps the stored one. Answers with the settings as stored.
async fn save_service(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    keys: &ServiceKeys,
    rules: &Rules,
    typed: Typed<'_>,
) -> Result<StoredService, IntegrationError> {
    let before = load_service(db, key, keys).await?;
    let url = typed.url.trim();
    let secret = typed.secret.trim();
    let mut v = Validation::new();
    if !url.is_empty() {
        v.check(is_webhook_url(url), rules.url_field, rules.url_wrong);
    }
    v.check(!typed.enabled || !url.is_empty(), rules.url_field, rules.url_first);
    let keeps_secret = keeps_stored(secret, &before.masked_secret());
    if !keeps_secret {
        check_new_secret(
            &mut v,
            rules.secret_field,
            secret,
            (rules.secret_valid)(secret),
            rules.secret_wrong,
        );
    }
    let will_have_secret = !keeps_secret || before.secret.is_some();
    v.check(!typed.enabled || will_have_secret, rules.secret_field, rules.secret_first);
    v.finish().map_err(IntegrationError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    settings::count_save(&mut tx, keys.edits, typed.edits, IntegrationError::SavedSince(keys.what)).await?;
    if typed.enabled != before.enabled {
        settings::set(&mut tx, keys.enabled, if typed.enabled { "true" } else { "false" }).await?;
        changed.push("enabled");
    }
    if url != before.url {
        settings::set(&mut tx, keys.url, url).await?;
        changed.push(rules.url_field);
    }
    if !keeps_secret && settings::save_secret_field(&mut tx, key, keys.secret, secret).await? {
        changed.push(rules.secret_field);
    }
    record_saved(&mut tx, actor, keys.saved, &changed).await?;
    tx.commit().await?;
    Ok(load_service(db, key, keys).await?)
}

/// The id the public calendar gave the entry of `source_id` (a shift's or a ticketed
/// event's id; `source` says which), if it has one.
pub async fn calendar_entry(db: &Db, source: &str, source_id: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT calendar_id FROM public_calendar_entries WHERE source = $1 AND source_id = $2")
        .bind(source)
        .bind(source_id)
        .fetch_optional(db.pool())
        .await
}

/// Remembers the calendar's id for the entry of `source_id`, replacing any earlier one.
pub async fn remember_calendar_entry(
    db: &Db,
    source: &str,
    source_id: &str,
    calendar_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO public_calendar_entries (source, source_id, calendar_id, synced_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source, source_id) DO UPDATE SET calendar_id = excluded.calendar_id, synced_at = excluded.synced_at",
    )
    .bind(source)
    .bind(source_id)
    .bind(calendar_id)
    .bind(crate::db::now_unix())
    .execute(db.writer())
    .await
    .map(|_| ())
}

/// Forgets the entry of `source_id`, once the calendar has removed it.
pub async fn forget_calendar_entry(db: &Db, source: &str, source_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM public_calendar_entries WHERE source = $1 AND source_id = $2")
        .bind(source)
        .bind(source_id)
        .execute(db.writer())
        .await
        .map(|_| ())
}

/// Team chat's stored settings, the webhook address decrypted (never printed or sent).
#[derive(Debug, Default)]
pub struct StoredTeamChat {
    pub enabled: bool,
    pub webhook_url: Option<SecretString>,
    pub edits: i64,
}

impl StoredTeamChat {
    /// What an admin may see: the address masked.
    pub fn view(&self) -> TeamChatSettings {
        TeamChatSettings {
            enabled: self.enabled,
            webhook_url: self
                .webhook_url
                .as_ref()
                .map(|u| settings::mask(u.expose_secret()))
                .unwrap_or_default(),
            edits: self.edits,
        }
    }

    /// Where to post messages: only when team chat is on and has an address.
    pub fn target(&self) -> Option<&SecretString> {
        self.webhook_url.as_ref().filter(|_| self.enabled)
    }
}

pub async fn load_team_chat(db: &Db, key: &SecretKey) -> Result<StoredTeamChat, sqlx::Error> {
    let stored = settings::Group::read(db, &[TEAM_CHAT_ENABLED, TEAM_CHAT_URL, TEAM_CHAT_EDITS]).await?;
    Ok(StoredTeamChat {
        enabled: stored.is_on(TEAM_CHAT_ENABLED),
        webhook_url: stored.secret(key, TEAM_CHAT_URL),
        edits: stored.count(TEAM_CHAT_EDITS),
    })
}

/// Saves team chat's settings and writes an admin audit row naming what changed. An address
/// left empty or masked keeps the stored one. Answers with the settings as stored.
pub async fn save_team_chat(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    form: &TeamChatSettingsForm,
) -> Result<TeamChatSettings, IntegrationError> {
    let before = load_team_chat(db, key).await?;
    let url = form.webhook_url.trim();
    let keeps_url = keeps_stored(url, &before.view().webhook_url);
    let mut v = Validation::new();
    if !keeps_url {
        let wrong = "Enter the incoming webhook's whole address, starting with https:// or http://.";
        check_new_secret(&mut v, "webhook_url", url, is_webhook_url(url), wrong);
    }
    v.check(
        !form.enabled || !keeps_url || before.webhook_url.is_some(),
        "webhook_url",
        "Enter the incoming webhook's address before turning team chat on.",
    );
    v.finish().map_err(IntegrationError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    let saved_since = IntegrationError::SavedSince("team chat's settings");
    settings::count_save(&mut tx, TEAM_CHAT_EDITS, form.edits, saved_since).await?;
    if form.enabled != before.enabled {
        settings::set(&mut tx, TEAM_CHAT_ENABLED, if form.enabled { "true" } else { "false" }).await?;
        changed.push("enabled");
    }
    if !keeps_url && settings::save_secret_field(&mut tx, key, TEAM_CHAT_URL, url).await? {
        changed.push("webhook_url");
    }
    record_saved(&mut tx, actor, "settings.team_chat.saved", &changed).await?;
    tx.commit().await?;
    Ok(load_team_chat(db, key).await?.view())
}

const NEWSLETTER_ENABLED: &str = "newsletter.enabled";
const NEWSLETTER_URL: &str = "newsletter.url";
const NEWSLETTER_API_USER: &str = "newsletter.api_user";
const NEWSLETTER_API_TOKEN: &str = "newsletter.api_token";
const NEWSLETTER_REPORTS_SECRET: &str = "newsletter.reports_secret";
const NEWSLETTER_EDITS: &str = "newsletter.edits";
/// Each list's setting, and the name it has until an admin gives another.
const NEWSLETTER_LISTS: [(&str, &str); 3] = [
    ("newsletter.list.volunteers", "Volunteers"),
    ("newsletter.list.supporters", "Supporters"),
    ("newsletter.list.donors", "Donors"),
];

/// The newsletter's stored settings, the API token and reports secret decrypted (never
/// printed or sent).
#[derive(Debug, Default)]
pub struct StoredNewsletter {
    pub enabled: bool,
    pub url: String,
    pub api_user: String,
    pub api_token: Option<SecretString>,
    pub lists: NewsletterLists,
    pub reports_secret: Option<SecretString>,
    pub edits: i64,
}

/// The names of the Listmonk lists people are put on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewsletterLists {
    pub volunteers: String,
    pub supporters: String,
    pub donors: String,
}

/// Listmonk's API: the instance's address (no trailing slash), the API user and its token,
/// and the lists to fill.
pub struct ListmonkTarget {
    pub base_url: String,
    pub api_user: String,
    pub api_token: SecretString,
    pub lists: NewsletterLists,
}

impl StoredNewsletter {
    /// What an admin may see: the token and the reports secret masked.
    pub fn view(&self) -> NewsletterSettings {
        let masked = |s: &Option<SecretString>| {
            s.as_ref().map(|s| settings::mask(s.expose_secret())).unwrap_or_default()
        };
        NewsletterSettings {
            enabled: self.enabled,
            listmonk_url: self.url.clone(),
            api_user: self.api_user.clone(),
            api_token: masked(&self.api_token),
            volunteers_list: self.lists.volunteers.clone(),
            supporters_list: self.lists.supporters.clone(),
            donors_list: self.lists.donors.clone(),
            reports_secret: masked(&self.reports_secret),
            edits: self.edits,
        }
    }

    /// Where to keep subscribers in step: only when it is on and has an address, a user
    /// and a token.
    pub fn target(&self) -> Option<ListmonkTarget> {
        let ready = self.enabled && !self.url.is_empty() && !self.api_user.is_empty();
        let api_token = self.api_token.clone().filter(|_| ready)?;
        Some(ListmonkTarget {
            base_url: self.url.trim_end_matches('/').to_string(),
            api_user: self.api_user.clone(),
            api_token,
            lists: self.lists.clone(),
        })
    }
}

pub async fn load_newsletter(db: &Db, key: &SecretKey) -> Result<StoredNewsletter, sqlx::Error> {
    let [volunteers, supporters, donors] = NEWSLETTER_LISTS;
    let stored = settings::Group::read(
        db,
        &[
            NEWSLETTER_ENABLED,
            NEWSLETTER_URL,
            NEWSLETTER_API_USER,
            NEWSLETTER_API_TOKEN,
            volunteers.0,
            supporters.0,
            donors.0,
            NEWSLETTER_REPORTS_SECRET,
            NEWSLETTER_EDITS,
        ],
    )
    .await?;
    let list_name = |(setting, default): (&str, &str)| stored.text_or(setting, default);
    Ok(StoredNewsletter {
        enabled: stored.is_on(NEWSLETTER_ENABLED),
        url: stored.text(NEWSLETTER_URL),
        api_user: stored.text(NEWSLETTER_API_USER),
        api_token: stored.secret(key, NEWSLETTER_API_TOKEN),
        lists: NewsletterLists {
            volunteers: list_name(volunteers),
            supporters: list_name(supporters),
            donors: list_name(donors),
        },
        reports_secret: stored.secret(key, NEWSLETTER_REPORTS_SECRET),
        edits: stored.count(NEWSLETTER_EDITS),
    })
}

/// Saves the newsletter's settings and writes an admin audit row naming what changed (never
/// a secret or the address). A token or reports secret left empty or masked keeps the stored
/// one. Answers with the settings as stored.
pub async fn save_newsletter(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    form: &NewsletterSettingsForm,
) -> Result<NewsletterSettings, IntegrationError> {
    let before = load_newsletter(db, key).await?;
    let shown = before.view();
    let url = form.listmonk_url.trim();
    let api_user = form.api_user.trim();
    let api_token = form.api_token.trim();
    let reports_secret = form.reports_secret.trim();
    let lists = [
        ("volunteers_list", form.volunteers_list.trim(), &before.lists.volunteers),
        ("supporters_list", form.supporters_list.trim(), &before.lists.supporters),
        ("donors_list", form.donors_list.trim(), &before.lists.donors),
    ];

    let mut v = Validation::new();
    if !url.is_empty() {
        v.check(
            is_webhook_url(url),
            "listmonk_url",
            "Enter Listmonk's address, starting with https:// or http://, as https://news.example.org.",
        );
    }
    v.check(
        !form.enabled || !url.is_empty(),
        "listmonk_url",
        "Enter Listmonk's address before turning it on.",
    );
    v.check(
        api_user.is_empty() || is_api_user(api_user),
        "api_user",
        "Enter the API user's name as Listmonk shows it: at most 100 characters, without spaces or colons.",
    );
    v.check(!form.enabled || !api_user.is_empty(), "api_user", "Enter the API user before turning it on.");
    let keeps_token = keeps_stored(api_token, &shown.api_token);
    if !keeps_token {
        let wrong = "Paste the API user's token as Listmonk gave it: at most 500 characters, without spaces.";
        check_new_secret(&mut v, "api_token", api_token, is_token(api_token), wrong);
    }
    v.check(
        !form.enabled || !keeps_token || before.api_token.is_some(),
        "api_token",
        "Enter the API user's token before turning it on.",
    );
    for (field, name, _) in lists {
        v.check(is_name(name), field, "Name the list: 1 to 100 characters.");
    }
    let keeps_reports_secret = keeps_stored(reports_secret, &shown.reports_secret);
    if !keeps_reports_secret {
        let wrong =
            "A reports secret is at least 24 characters without spaces, as openssl rand -hex 32 makes one.";
        check_new_secret(&mut v, "reports_secret", reports_secret, is_reports_secret(reports_secret), wrong);
    }
    v.finish().map_err(IntegrationError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    let saved_since = IntegrationError::SavedSince("the newsletter's settings");
    settings::count_save(&mut tx, NEWSLETTER_EDITS, form.edits, saved_since).await?;
    if form.enabled != before.enabled {
        settings::set(&mut tx, NEWSLETTER_ENABLED, if form.enabled { "true" } else { "false" }).await?;
        changed.push("enabled");
    }
    if url != before.url {
        settings::set(&mut tx, NEWSLETTER_URL, url).await?;
        changed.push("listmonk_url");
    }
    if api_user != before.api_user {
        settings::set(&mut tx, NEWSLETTER_API_USER, api_user).await?;
        changed.push("api_user");
    }
    if !keeps_token && settings::save_secret_field(&mut tx, key, NEWSLETTER_API_TOKEN, api_token).await? {
        changed.push("api_token");
    }
    for ((field, name, stored), (setting, _)) in lists.into_iter().zip(NEWSLETTER_LISTS) {
        if name != stored {
            settings::set(&mut tx, setting, name).await?;
            changed.push(field);
        }
    }
    if !keeps_reports_secret
        && settings::save_secret_field(&mut tx, key, NEWSLETTER_REPORTS_SECRET, reports_secret).await?
    {
        changed.push("reports_secret");
    }
    record_saved(&mut tx, actor, "settings.newsletter.saved", &changed).await?;
    tx.commit().await?;
    Ok(load_newsletter(db, key).await?.view())
}

const SMS_ENABLED: &str = "sms.enabled";
const SMS_ACCOUNT_SID: &str = "sms.account_sid";
const SMS_AUTH_TOKEN: &str = "sms.auth_token";
const SMS_FROM_NUMBER: &str = "sms.from_number";
const SMS_COUNTRY_CODE: &str = "sms.country_code";
const SMS_EDITS: &str = "sms.edits";

/// Twilio's stored settings, the auth token decrypted (never printed or sent).
#[derive(Debug, Default)]
pub struct StoredSms {
    pub enabled: bool,
    pub account_sid: String,
    pub auth_token: Option<SecretString>,
    pub from_number: String,
    pub country_code: String,
    pub edits: i64,
}

/// Twilio's API, to send texts: where it is, the account and its token, the number texts come
/// from, and the country code for numbers written without one.
pub struct TwilioTarget {
    pub api_base: String,
    /// Where Twilio reports whether each text was delivered.
    pub status_callback: String,
    pub account_sid: String,
    pub auth_token: SecretString,
    pub from_number: String,
    pub country_code: String,
}

impl StoredSms {
    /// What an admin may see: the token masked, and the address to give Twilio, on this
    /// server's public address.
    pub fn view(&self, public_url: &str) -> SmsSettings {
        SmsSettings {
            enabled: self.enabled,
            account_sid: self.account_sid.clone(),
            auth_token: self
                .auth_token
                .as_ref()
                .map(|t| settings::mask(t.expose_secret()))
                .unwrap_or_default(),
            from_number: self.from_number.clone(),
            country_code: self.country_code.clone(),
            webhook_url: format!("{}{}", public_url.trim_end_matches('/'), crate::sms::WEBHOOK_PATH),
            edits: self.edits,
        }
    }

    /// What incoming messages are checked against: only when text messages are on.
    pub fn receiver(&self) -> Option<&SecretString> {
        self.auth_token.as_ref().filter(|_| self.enabled)
    }

    /// Where to send texts: only when text messages are on and have a sending number.
    pub fn sender(&self, api_base: &str, public_url: &str) -> Option<TwilioTarget> {
        let auth_token = self.receiver().filter(|_| !self.from_number.is_empty())?.clone();
        Some(TwilioTarget {
            api_base: api_base.to_string(),
            status_callback: format!("{}{}", public_url.trim_end_matches('/'), crate::sms::STATUS_PATH),
            account_sid: self.account_sid.clone(),
            auth_token,
            from_number: self.from_number.clone(),
            country_code: self.country_code.clone(),
        })
    }
}

pub async fn load_sms(db: &Db, key: &SecretKey) -> Result<StoredSms, sqlx::Error> {
    let stored = settings::Group::read(
        db,
        &[SMS_ENABLED, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM_NUMBER, SMS_COUNTRY_CODE, SMS_EDITS],
    )
    .await?;
    Ok(StoredSms {
        enabled: stored.is_on(SMS_ENABLED),
        account_sid: stored.text(SMS_ACCOUNT_SID),
        auth_token: stored.secret(key, SMS_AUTH_TOKEN),
        from_number: stored.text(SMS_FROM_NUMBER),
        country_code: stored.text(SMS_COUNTRY_CODE),
        edits: stored.count(SMS_EDITS),
    })
}

/// Saves Twilio's settings and writes an admin audit row naming what changed (never the
/// token). A token left empty or masked keeps the stored one. Answers with the settings as
/// stored.
pub async fn save_sms(
    db: &Db,
    key: &SecretKey,
    actor: &Actor,
    form: &SmsSettingsForm,
) -> Result<StoredSms, IntegrationError> {
    let before = load_sms(db, key).await?;
    let account_sid = form.account_sid.trim();
    let token = form.auth_token.trim();
    let (from_number, country_code) = (form.from_number.trim(), form.country_code.trim());
    let keeps_token = keeps_stored(token, &before.view("").auth_token);
    let mut v = Validation::new();
    v.check(
        account_sid.is_empty() || is_twilio_id(account_sid, "AC"),
        "account_sid",
        "An account SID is AC and 32 letters and digits (0–9, a–f), as Twilio's console shows it.",
    );
    v.check(
        !form.enabled || !account_sid.is_empty(),
        "account_sid",
        "Enter the account SID before turning text messages on.",
    );
    if !keeps_token {
        let wrong = "An auth token is 32 letters and digits (0–9, a–f), as Twilio's console shows it.";
        check_new_secret(&mut v, "auth_token", token, is_hex(token, 32), wrong);
    }
    v.check(
        !form.enabled || !keeps_token || before.auth_token.is_some(),
        "auth_token",
        "Enter the auth token before turning text messages on.",
    );
    v.check(
        from_number.is_empty() || crate::sms::service::is_international_number(from_number),
        "from_number",
        "Enter your Twilio number as + and the country code and number, like +15550001111.",
    );
    v.check(
        country_code.is_empty()
            || (country_code.len() <= 3 && is_digits(country_code) && !country_code.starts_with('0')),
        "country_code",
        "A country calling code is 1 to 3 digits, like 1 or 44.",
    );
    v.finish().map_err(IntegrationError::Invalid)?;

    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    let saved_since = IntegrationError::SavedSince("the text messages settings");
    settings::count_save(&mut tx, SMS_EDITS, form.edits, saved_since).await?;
    if form.enabled != before.enabled {
        settings::set(&mut tx, SMS_ENABLED, if form.enabled { "true" } else { "false" }).await?;
        changed.push("enabled");
    }
    for (setting, field, typed, stored) in [
        (SMS_ACCOUNT_SID, "account_sid", account_sid, &before.account_sid),
        (SMS_FROM_NUMBER, "from_number", from_number, &before.from_number),
        (SMS_COUNTRY_CODE, "country_code", country_code, &before.country_code),
    ] {
        if typed != stored {
            settings::set(&mut tx, setting, typed).await?;
            changed.push(field);
        }
    }
    if !keeps_token && settings::save_secret_field(&mut tx, key, SMS_AUTH_TOKEN, token).await? {
        changed.push("auth_token");
    }
    record_saved(&mut tx, actor, "settings.sms.saved", &changed).await?;
    tx.commit().await?;
    Ok(load_sms(db, key).await?)
}

/// A Twilio id: its two-letter `prefix` (AC an account, SM a message) and 32 hex digits.
pub fn is_twilio_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| is_hex(rest, 32))
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// `len` hexadecimal digits, lower or upper case.
fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether a secret field keeps what is stored: left empty, or still showing the stored mask.
fn keeps_stored(typed: &str, stored_mask: &str) -> bool {
    typed.is_empty() || typed == stored_mask
}

/// Checks a secret field typed to replace the stored one: it must be whole (no piece of a
/// mask) and `valid`, else `wrong` says what it should be.
fn check_new_secret(v: &mut Validation, field: &str, typed: &str, valid: bool, wrong: &str) {
    if settings::is_masked(typed) {
        v.add(field, "Type the whole new value, or leave the field as it is to keep the saved one.");
    } else {
        v.check(valid, field, wrong);
    }
}

/// The admin audit row of a settings save: the names of what changed, never their values.
async fn record_saved(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    action: &str,
    changed: &[&str],
) -> Result<(), sqlx::Error> {
    let detail = if changed.is_empty() {
        "nothing changed".to_string()
    } else {
        format!("changed: {}", changed.join(", "))
    };
    crate::audit::service::record(tx, actor, action, &detail).await
}

/// An absolute http(s) address with a host and no user name or password in it.
fn is_webhook_url(url: &str) -> bool {
    crate::error::is_web_address(url, URL_MAX, &["https", "http"])
}

/// An access token as Gancio hands them out: printable, without spaces, not too long.
fn is_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= TOKEN_MAX && token.chars().all(|c| c.is_ascii_graphic())
}

/// A name as typed on one line: 1 to 100 characters.
fn is_name(name: &str) -> bool {
    !name.is_empty() && is_one_line(name, NAME_MAX)
}

/// A Listmonk user name, as it goes in basic authentication (`user:token`): printable,
/// without spaces or a colon.
fn is_api_user(name: &str) -> bool {
    name.len() <= NAME_MAX && is_token(name) && !name.contains(':')
}

/// A shared secret for newsletter reports: printable, without spaces, long enough.
fn is_reports_secret(secret: &str) -> bool {
    secret.len() >= REPORTS_SECRET_MIN && is_token(secret)
}

/// The key inside a Standard Webhooks secret (`whsec_` + base64 of 24–64 bytes).
pub fn signing_key(secret: &str) -> Option<SigningKey> {
    let key = BASE64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    if !KEY_BYTES.contains(&key.len()) {
        return None;
    }
    Hmac::<Sha256>::new_from_slice(&key).ok().map(SigningKey)
}

impl SigningKey {
    /// The `webhook-signature` header's value: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`, as Standard Webhooks receivers (n8n, Svix' libraries)
    /// check it.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example_does() {
        // The example in the Standard Webhooks specification and its reference libraries.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signed = key.signature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_is_whsec_and_24_to_64_bytes_of_base64() {
        assert!(signing_key(&format!("whsec_{}", BASE64.encode([7u8; 24]))).is_some());
        assert!(signing_key(&format!("whsec_{}", BASE64.encode([7u8; 64]))).is_some());
        assert!(signing_key(&format!("whsec_{}", BASE64.encode([7u8; 23]))).is_none());
        assert!(signing_key(&format!("whsec_{}", BASE64.encode([7u8; 65]))).is_none());
        assert!(signing_key(&BASE64.encode([7u8; 32])).is_none(), "the prefix is needed");
        assert!(signing_key("whsec_not base64!").is_none());
    }

    #[test]
    fn calendar_tokens_are_one_printable_word() {
        assert!(is_token("627kpqk1u6gxviusgnpieofi659l1hu5"));
        assert!(is_token("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl"));
        for bad in ["", "two words", "tab\there", "line\nbreak", "caf\u{e9}"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert!(!is_token(&"a".repeat(TOKEN_MAX + 1)));
    }

    #[test]
    fn reports_secrets_are_long_words_user_names_fit_basic_auth_and_list_names_one_line() {
        assert!(is_reports_secret(&"ab12".repeat(16)));
        assert!(!is_reports_secret(&"a".repeat(REPORTS_SECRET_MIN - 1)));
        assert!(!is_reports_secret(&format!("{} {}", "a".repeat(20), "b".repeat(20))));
        assert!(is_api_user("changemaker-sync"));
        assert!(!is_api_user("a:b") && !is_api_user("two words") && !is_api_user(""));
        assert!(is_name("Volunteers 2027"));
        assert!(!is_name(""));
        assert!(!is_name("two\nlines"));
        assert!(!is_name(&"n".repeat(NAME_MAX + 1)));
    }

    #[test]
    fn webhook_addresses_are_whole_http_urls_without_credentials() {
        assert!(is_webhook_url("https://n8n.example.org/webhook/4f2c"));
        assert!(is_webhook_url("http://localhost:5678/webhook/changemaker"));
        let bad = [
            "n8n.example.org/webhook",
            "ftp://example.org/x",
            "https://",
            "https://me:pw@example.org/x",
            "https://example.org/web\nhook",
            "https://example.org/a b",
        ];
        for bad in bad {
            assert!(!is_webhook_url(bad), "{bad}");
        }
        assert!(!is_webhook_url(&format!("https://example.org/{}", "a".repeat(URL_MAX))));
    }
}
