//! Text message rules (ssr only): receiving a text from Twilio (its signature, once per
//! message, the contact by phone number, its sentiment, opting out and back in, with
//! `sms.message.received`), and the inbox's list.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sqlx::Row;

use super::{SmsCampaignText, SmsFilter, SmsMedia, SmsMessage, SmsPage, SmsReply};
use crate::bus::{self, Bus};
use crate::db::{self, Db};
use crate::error::{FieldError, Validation, is_one_line, is_plain_text};
use crate::events::catalog::{SmsMessageDelivery, SmsMessageReceived, SmsMessageSent};
use crate::events::{Actor, Event};
use crate::integrations::service::{TwilioTarget, is_twilio_id, load_sms};
use crate::secrets::{ExposeSecret, SecretKey};
use crate::settings;
use crate::state::AppState;

/// Texts on a page of the inbox.
pub const PAGE_SIZE: i64 = 25;
/// How long a delivery report on a text not recorded as sent waits for it.
const EARLY_DELIVERY_KEPT_SECONDS: i64 = 86_400;
/// The longest sender taken: a phone number, or a short code or name.
const FROM_MAX_CHARS: usize = 40;
/// The longest address taken for a file sent with a text.
const MEDIA_URL_MAX_CHARS: usize = 500;
/// A shorter number in the CRM is too likely to match someone else's.
const NATIONAL_DIGITS_MIN: usize = 8;

/// What a texted word asks of the number: Twilio's own opt-out and opt-in keywords.
const OPT_OUT_WORDS: [&str; 8] =
    ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"];
const OPT_IN_WORDS: [&str; 3] = ["start", "unstop", "yes"];
/// Words and phrases that make a text unhappy, or happy, when it asks nothing.
const NEGATIVE_WORDS: [&str; 14] = [
    "no",
    "not",
    "never",
    "don't",
    "dont",
    "won't",
    "can't",
    "angry",
    "hate",
    "spam",
    "annoying",
    "remove",
    "wrong number",
    "leave me alone",
];
const POSITIVE_WORDS: [&str; 13] = [
    "yes",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "thanks",
    "thank you",
    "great",
    "love",
    "glad",
    "count me in",
    "will do",
];

/// What the inbox, replies and campaigns answer when they do not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// What was not found, for the admin.
    #[error("{0}")]
    NotFound(&'static str),
    #[error("refused: {0}")]
    Conflict(&'static str),
    /// Twilio refused the text or did not answer: why, never with the token.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub fn invalid(field: &str, message: &str) -> SmsError {
    SmsError::Invalid(FieldError::only(field, message))
}

/// Twilio's API to send with, or why texts cannot be sent.
pub async fn sender(state: &AppState) -> Result<TwilioTarget, SmsError> {
    let stored = load_sms(&state.db, &state.secret_key).await?;
    stored.sender(&state.twilio_api_base, &state.public_url).ok_or(SmsError::Conflict(
        "Texts cannot be sent yet: a super admin turns text messages on, with the number they are sent from, under Integrations.",
    ))
}

#[derive(Debug, PartialEq)]
pub enum ReceiveOutcome {
    Received,
    /// Received before, under the same Twilio message id: nothing done again.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("Text messages are not turned on: set Twilio up under Integrations first.")]
    NotSetUp,
    #[error("The X-Twilio-Signature header is missing or wrong.")]
    Unauthorised,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What a text says: its sentiment, and whether it opts the number out of texts (`Some(true)`)
/// or back in (`Some(false)`).
#[derive(Debug, PartialEq)]
pub struct Reading {
    pub sentiment: &'static str,
    pub opts_out: Option<bool>,
}

/// Reads a text. A lone opt-out word (STOP…) is unhappy and opts out; a lone opt-in word
/// (START…) opts back in; otherwise a question mark makes a question, and the words decide
/// between unhappy, happy and neither (unhappy first: "no thanks" is a no).
pub fn read(body: &str) -> Reading {
    let text = body.trim().to_lowercase();
    let word = text.trim_end_matches(['.', '!']);
    if OPT_OUT_WORDS.contains(&word) {
        return Reading { sentiment: "NEGATIVE", opts_out: Some(true) };
    }
    if OPT_IN_WORDS.contains(&word) {
        return Reading { sentiment: "POSITIVE", opts_out: Some(false) };
    }
    // Words as they stand, apostrophes kept, and padded so a phrase matches only whole words.
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
    let spaced = format!(" {} ", words.join(" ").replace('’', "'"));
    let says = |list: &[&str]| list.iter().any(|w| spaced.contains(&format!(" {w} ")));
    let sentiment = if text.contains('?') {
        "QUESTION"
    } else if says(&NEGATIVE_WORDS) {
        "NEGATIVE"
    } else if says(&POSITIVE_WORDS) {
        "POSITIVE"
    } else {
        "NEUTRAL"
    };
    Reading { sentiment, opts_out: None }
}

/// Twilio's `X-Twilio-Signature`: the base64 HMAC-SHA1, keyed with the auth token, of the
/// address it posted to followed by each parameter's name and value, sorted by name.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    signed_content_mac(auth_token, url, params)
        .map(|mac| BASE64.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The HMAC over what Twilio signs (`None` only if HMAC refused the key, which it never
/// does: it takes keys of any length).
fn signed_content_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Option<Hmac<Sha1>> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).ok()?;
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    Some(mac)
}

/// Whether `presented` is Twilio's signature of this request, compared in constant time.
fn is_signed(auth_token: &str, url: &str, params: &[(String, String)], presented: &str) -> bool {
    let Ok(presented) = BASE64.decode(presented.trim()) else { return false };
    signed_content_mac(auth_token, url, params).is_some_and(|mac| mac.verify_slice(&presented).is_ok())
}

/// The digits of a phone number, or `None` when it holds anything but digits and the marks
/// people write numbers with (spaces, `+ - . ( ) /`).
fn phone_digits(phone: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_digit() || " +-.()/".contains(c);
    phone.chars().all(allowed).then(|| phone.chars().filter(char::is_ascii_digit).collect())
}

/// A number as Twilio takes it (E.164): `+`, then 8 to 15 digits, the first not 0.
pub fn is_international_number(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// A number written in the CRM as Twilio takes it, or `None` when it is not one. Written with
/// `+` or `00`, it already has its country code; so does a number of 11 digits or more that
/// starts with `country_code`. Any other is national: its trunk zeros dropped and
/// `country_code` put before it (none set: it cannot be used).
pub fn international_number(written: &str, country_code: &str) -> Option<String> {
    let digits = phone_digits(written)?;
    let number = if written.trim_start().starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if country_code.is_empty() {
        return None;
    } else if digits.starts_with(country_code) && digits.len() >= 11 {
        format!("+{digits}")
    } else {
        format!("+{country_code}{}", digits.trim_start_matches('0'))
    };
    is_international_number(&number).then_some(number)
}

/// Whether a number written in the CRM is the sender's (international, as Twilio gives it):
/// the same digits, or the national number (written without the country code, its leading
/// trunk zeros dropped) that the sender's ends with.
pub fn is_same_number(written: &str, sender: &str) -> bool {
    let (Some(written), Some(sender)) = (phone_digits(written), phone_digits(sender)) else { return false };
    let national = written.trim_start_matches('0');
    !sender.is_empty()
        && (written == sender || (national.len() >= NATIONAL_DIGITS_MIN && sender.ends_with(national)))
}

/// The contact with this phone number (the one changed last, if several), if any. The
/// database narrows by the last two digits; `is_same_number` decides.
async fn contact_by_phone(tx: &mut db::Tx, sender: &str) -> Result<Option<String>, sqlx::Error> {
    let digits = phone_digits(sender).unwrap_or_default();
    if digits.len() < 2 {
        return Ok(None);
    }
    let ending = format!("%{}", &digits[digits.len() - 2..]);
    let rows = sqlx::query("SELECT id, phone FROM contacts WHERE phone LIKE $1 ORDER BY updated_at DESC, id")
        .bind(ending)
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        if is_same_number(&row.try_get::<String, _>("phone")?, sender) {
            return Ok(Some(row.try_get("id")?));
        }
    }
    Ok(None)
}

/// Receives one text Twilio posted (`body` form-encoded; `query` the request's, if any):
/// checks the signature against the address Twilio was given, keeps it once per Twilio
/// message id, and publishes `sms.message.received` in the same transaction.
pub async fn receive(
    bus: &Bus,
    key: &SecretKey,
    post: &TwilioPost<'_>,
) -> Result<ReceiveOutcome, ReceiveError> {
    let params = post.signed_params(bus.db(), key, super::WEBHOOK_PATH).await?;
    let param = |name: &str| param(&params, name);
    let (sid, from, text) = (message_sid(&params)?, param("From"), param("Body"));
    if from.is_empty() || !is_one_line(from, FROM_MAX_CHARS) {
        return Err(ReceiveError::Invalid("From is the sender's number, at most 40 characters."));
    }
    if !is_plain_text(text, super::BODY_MAX_CHARS) {
        return Err(ReceiveError::Invalid("Body is at most 1,600 characters of text."));
    }

    let media = media_of(&params, post.api_base)?;
    let reading = read(text);
    // Time-ordered, so that texts of the same second list in the order they came.
    let id = uuid::Uuid::now_v7().to_string();
    let now = db::now_unix();
    let mut tx = bus.db().begin_write().await?;
    let contact_id = contact_by_phone(&mut tx, from).await?;
    // No reply may go to a number that opted out: its STOP waits for no answer.
    let done_at = (reading.opts_out == Some(true)).then_some(now);
    let first = sqlx::query(
        "INSERT INTO sms_messages (id, provider_id, phone, body, sentiment, contact_id, created_at, done_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (provider_id) DO NOTHING",
    )
    .bind(&id)
    .bind(sid)
    .bind(from)
    .bind(text)
    .bind(reading.sentiment)
    .bind(&contact_id)
    .bind(now)
    .bind(done_at)
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 0 {
        return Ok(ReceiveOutcome::Duplicate);
    }
    for (position, (url, content_type)) in media.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sms_media (message_id, position, url, content_type) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(url)
        .bind(content_type)
        .execute(&mut *tx)
        .await?;
    }
    match reading.opts_out {
        Some(true) => {
            sqlx::query(
                "INSERT INTO sms_opt_outs (phone, opted_out_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(from)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Some(false) => {
            sqlx::query("DELETE FROM sms_opt_outs WHERE phone = $1").bind(from).execute(&mut *tx).await?;
        }
        None => {}
    }
    let event = Event::SmsMessageReceived(SmsMessageReceived {
        message_id: sid.to_string(),
        contact_id,
        from: from.to_string(),
        body: text.to_string(),
        sentiment: reading.sentiment.to_string(),
    });
    bus::publish(&mut tx, &Actor::Webhook("twilio".into()), &event).await?;
    bus.commit(tx).await?;
    Ok(ReceiveOutcome::Received)
}

/// A request Twilio posted to one of this server's webhooks, as it came.
pub struct TwilioPost<'a> {
    /// This server's public address, which Twilio signs the webhook's address under.
    pub public_url: &'a str,
    /// Twilio's API address: files sent with a text must be under it.
    pub api_base: &'a str,
    pub signature: Option<&'a str>,
    pub query: Option<&'a str>,
    /// Form-encoded.
    pub body: &'a [u8],
}

impl TwilioPost<'_> {
    /// The posted parameters, once the signature over `path`'s address and them is Twilio's
    /// (with the stored auth token).
    async fn signed_params(
        &self,
        db: &Db,
        key: &SecretKey,
        path: &str,
    ) -> Result<Vec<(String, String)>, ReceiveError> {
        let stored = load_sms(db, key).await?;
        let auth_token = stored.receiver().ok_or(ReceiveError::NotSetUp)?;
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(self.body)
            .map_err(|_| ReceiveError::Invalid("The body is not a form."))?;
        let mut url = format!("{}{path}", self.public_url.trim_end_matches('/'));
        if let Some(query) = self.query.filter(|q| !q.is_empty()) {
            url = format!("{url}?{query}");
        }
        if !is_signed(auth_token.expose_secret(), &url, &params, self.signature.unwrap_or_default()) {
            return Err(ReceiveError::Unauthorised);
        }
        Ok(params)
    }
}

/// The value of the posted parameter `name`, trimmed (empty when it is not there).
fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).unwrap_or_default()
}

/// The files sent with a text (MMS), as `(address, type)`: Twilio's `NumMedia`, `MediaUrl<n>`
/// and `MediaContentType<n>`. Each address must be under Twilio's API address.
fn media_of(params: &[(String, String)], api_base: &str) -> Result<Vec<(String, String)>, ReceiveError> {
    let count = match param(params, "NumMedia") {
        "" => 0,
        n => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= super::MEDIA_MAX)
            .ok_or(ReceiveError::Invalid("NumMedia is how many files came with the text, at most 10."))?,
    };
    (0..count)
        .map(|n| {
            let url = param(params, &format!("MediaUrl{n}"));
            let content_type = param(params, &format!("MediaContentType{n}")).to_ascii_lowercase();
            if !url.starts_with(&format!("{api_base}/")) || !is_one_line(url, MEDIA_URL_MAX_CHARS) {
                return Err(ReceiveError::Invalid("Each MediaUrl is the address of a file at Twilio."));
            }
            if !is_media_type(&content_type) {
                return Err(ReceiveError::Invalid("Each MediaContentType is a file type, e.g. image/jpeg."));
            }
            Ok((url.to_string(), content_type))
        })
        .collect()
}

/// `type/subtype` in the characters a media type may have, e.g. `image/jpeg`.
fn is_media_type(text: &str) -> bool {
    let token = |part: &str| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    text.len() <= 100 && text.split_once('/').is_some_and(|(kind, sub)| token(kind) && token(sub))
}

/// A file sent with a text, fetched from Twilio with the account's credentials: its type and
/// Twilio's answer, whose body is passed on as it comes.
pub async fn fetch_media(
    db: &Db,
    key: &SecretKey,
    api_base: &str,
    message_id: &str,
    position: i64,
) -> Result<(String, reqwest::Response), SmsError> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT url, content_type FROM sms_media WHERE message_id = $1 AND position = $2")
            .bind(message_id)
            .bind(position)
            .fetch_optional(db.pool())
            .await?;
    let (url, content_type) = found.ok_or(SmsError::NotFound("There is no such file."))?;
    let stored = load_sms(db, key).await?;
    let auth_token = stored.receiver().ok_or(SmsError::Conflict(
        "Text messages are off: files sent with texts cannot be fetched from Twilio.",
    ))?;
    let response = super::twilio::fetch_media(api_base, &stored.account_sid, auth_token, &url)
        .await
        .map_err(SmsError::Unavailable)?;
    Ok((content_type, response))
}

/// The posted MessageSid: Twilio's id of a text (SM…) or picture message (MM…).
fn message_sid(params: &[(String, String)]) -> Result<&str, ReceiveError> {
    let sid = param(params, "MessageSid");
    if is_twilio_id(sid, "SM") || is_twilio_id(sid, "MM") {
        Ok(sid)
    } else {
        Err(ReceiveError::Invalid("MessageSid is SM or MM and 32 hexadecimal digits."))
    }
}

/// What Twilio's delivery report says, when it is the last word on a text: delivered, or
/// not (and why); `None` for the steps before (queued, sending, sent…).
pub fn delivery_outcome(status: &str, error_code: &str) -> Option<Result<(), String>> {
    match status {
        "delivered" => Some(Ok(())),
        "undelivered" | "failed" => {
            let code = error_code.trim();
            Some(Err(match code.len() {
                1..=10 if code.chars().all(|c| c.is_ascii_digit()) => {
                    format!("Not delivered (Twilio error {code})")
                }
                _ => "Not delivered".to_string(),
            }))
        }
        _ => None,
    }
}

/// Records Twilio's delivery report (posted to `STATUS_PATH`) on the campaign text or reply it
/// is about, with `sms.message.delivery`, in one transaction. The first final word on a text
/// stands; reports of the steps before it and repeats change nothing. A report on a text not
/// (yet) recorded as sent is kept for its sending to take (`take_early_delivery`).
pub async fn record_delivery(bus: &Bus, key: &SecretKey, post: &TwilioPost<'_>) -> Result<(), ReceiveError> {
    let params = post.signed_params(bus.db(), key, super::STATUS_PATH).await?;
    let sid = message_sid(&params)?;
    let Some(outcome) = delivery_outcome(param(&params, "MessageStatus"), param(&params, "ErrorCode")) else {
        return Ok(());
    };
    let mut tx = bus.db().begin_write().await?;
    db::lock_key(&mut tx, &delivery_lock(sid)).await?;
    if !deliver(&mut tx, sid, &outcome).await? {
        keep_early_delivery(&mut tx, sid, &outcome).await?;
    }
    bus.commit(tx).await?;
    Ok(())
}

/// Twilio can report on a text before the transaction recording its sending commits, and
/// never reports again. The report and the sending take this lock, so the one that commits
/// second sees the other.
fn delivery_lock(sid: &str) -> String {
    format!("sms-delivery:{sid}")
}

/// Records `outcome` on the campaign text or reply Twilio knows as `sid`, with
/// `sms.message.delivery`; false when there is no such text or it has its final word already.
async fn deliver(tx: &mut db::Tx, sid: &str, outcome: &Result<(), String>) -> Result<bool, sqlx::Error> {
    let (delivery, error) = delivery_columns(outcome);
    let recipient = sqlx::query(
        "UPDATE sms_recipients SET delivery = $1, delivery_error = $2 WHERE provider_id = $3 AND delivery IS NULL \
         RETURNING campaign_id, contact_id, phone",
    )
    .bind(delivery)
    .bind(&error)
    .bind(sid)
    .fetch_optional(&mut **tx)
    .await?;
    let (campaign_id, contact_id, to) = match recipient {
        Some(row) => {
            (Some(row.try_get("campaign_id")?), Some(row.try_get("contact_id")?), row.try_get("phone")?)
        }
        None => {
            let reply = sqlx::query(
                "UPDATE sms_replies SET delivery = $1, delivery_error = $2 WHERE provider_id = $3 AND delivery IS NULL \
                 RETURNING message_id",
            )
            .bind(delivery)
            .bind(&error)
            .bind(sid)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(reply) = reply else { return Ok(false) };
            let message = sqlx::query("SELECT phone, contact_id FROM sms_messages WHERE id = $1")
                .bind(reply.try_get::<String, _>("message_id")?)
                .fetch_one(&mut **tx)
                .await?;
            (None, message.try_get("contact_id")?, message.try_get("phone")?)
        }
    };
    let event = Event::SmsMessageDelivery(SmsMessageDelivery {
        message_id: sid.to_string(),
        campaign_id,
        contact_id,
        to,
        delivered: outcome.is_ok(),
        error,
    });
    bus::publish(tx, &Actor::Webhook("twilio".into()), &event).await?;
    Ok(true)
}

/// Keeps a report on a text this server has not recorded as sent; one about a text it never
/// sent is dropped a day later. A second report on the same text changes nothing.
async fn keep_early_delivery(
    tx: &mut db::Tx,
    sid: &str,
    outcome: &Result<(), String>,
) -> Result<(), sqlx::Error> {
    let now = db::now_unix();
    sqlx::query("DELETE FROM sms_early_deliveries WHERE received_at < $1")
        .bind(now - EARLY_DELIVERY_KEPT_SECONDS)
        .execute(&mut **tx)
        .await?;
    let (delivery, error) = delivery_columns(outcome);
    sqlx::query(
        "INSERT INTO sms_early_deliveries (provider_id, delivery, delivery_error, received_at) \
         SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM sms_recipients WHERE provider_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM sms_replies WHERE provider_id = $1) \
         ON CONFLICT (provider_id) DO NOTHING",
    )
    .bind(sid)
    .bind(delivery)
    .bind(error)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// In the transaction recording a text's sending as `sid`: records the delivery report that
/// came before it, if one did.
pub(super) async fn take_early_delivery(tx: &mut db::Tx, sid: &str) -> Result<(), sqlx::Error> {
    db::lock_key(tx, &delivery_lock(sid)).await?;
    let early = sqlx::query(
        "DELETE FROM sms_early_deliveries WHERE provider_id = $1 RETURNING delivery, delivery_error",
    )
    .bind(sid)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = early {
        let outcome = match row.try_get::<String, _>("delivery")?.as_str() {
            "DELIVERED" => Ok(()),
            _ => Err(row.try_get::<Option<String>, _>("delivery_error")?.unwrap_or_default()),
        };
        deliver(tx, sid, &outcome).await?;
    }
    Ok(())
}

/// How a delivery outcome is stored: `delivery` and `delivery_error`.
fn delivery_columns(outcome: &Result<(), String>) -> (&'static str, Option<String>) {
    match outcome {
        Ok(()) => ("DELIVERED", None),
        Err(why) => ("UNDELIVERED", Some(why.clone())),
    }
}

/// "Delivered", Twilio's reason it was not, or empty until Twilio reports.
pub fn delivery_label(delivery: Option<&str>, error: Option<String>) -> String {
    match delivery {
        Some("DELIVERED") => "Delivered".to_string(),
        Some(_) => error.unwrap_or_else(|| "Not delivered".to_string()),
        None => String::new(),
    }
}

/// A text (`m`) nobody has answered: no reply went to its number since it came, and nobody
/// marked it done.
const WAITING: &str = "m.done_at IS NULL AND NOT EXISTS (SELECT 1 FROM sms_replies r \
     JOIN sms_messages a ON a.id = r.message_id WHERE a.phone = m.phone AND r.sent_at >= m.created_at)";

/// The inbox's conditions on texts `m` (joined to their contacts `c`) for `filter`, and their
/// binds. A search of a phone number's characters matches numbers however written.
fn conditions(filter: &SmsFilter) -> Result<(String, Vec<String>), SmsError> {
    let sentiment = filter.sentiment.trim();
    let search = filter.search.trim();
    let mut v = Validation::new();
    v.check(
        sentiment.is_empty() || super::SENTIMENTS.iter().any(|(s, _)| *s == sentiment),
        "sentiment",
        "Choose questions, unhappy, happy or neither.",
    );
    v.check(
        is_one_line(search, super::SEARCH_MAX_CHARS) || search.is_empty(),
        "search",
        "Search for at most 100 characters on one line.",
    );
    v.finish().map_err(SmsError::Invalid)?;
    let mut conditions = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    if !sentiment.is_empty() {
        binds.push(sentiment.to_string());
        conditions.push_str(&format!(" AND m.sentiment = ${}", binds.len()));
    }
    if filter.waiting {
        conditions.push_str(&format!(" AND {WAITING}"));
    }
    if !search.is_empty() {
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        let is_number =
            !digits.is_empty() && search.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        binds.push(db::contains_pattern(search));
        binds.push(db::contains_pattern(if is_number { &digits } else { search }));
        let (words, number) = (binds.len() - 1, binds.len());
        conditions.push_str(&format!(
            " AND (LOWER(m.body) LIKE ${words} ESCAPE '\\' OR LOWER(c.name) LIKE ${words} ESCAPE '\\' \
             OR m.phone LIKE ${number} ESCAPE '\\')"
        ));
    }
    Ok((conditions, binds))
}

/// How many texts wait for an answer.
pub async fn count_waiting(db: &Db) -> Result<i64, sqlx::Error> {
    db::fetch_count(db, &format!("SELECT COUNT(*) FROM sms_messages m WHERE {WAITING}"), &[]).await
}

/// One page of the texts received, newest first, as `filter` narrows them; how many wait for
/// an answer; and whether texts are being received at all.
pub async fn list(db: &Db, key: &SecretKey, filter: &SmsFilter) -> Result<SmsPage, SmsError> {
    let (conditions, binds) = conditions(filter)?;
    let from = "FROM sms_messages m LEFT JOIN contacts c ON c.id = m.contact_id";
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) {from}{conditions}"), &binds).await?;
    let waiting = count_waiting(db).await?;
    let select = format!(
        "SELECT m.id, m.phone, m.body, m.sentiment, m.contact_id, m.created_at, m.done_at, c.name AS contact_name, \
         o.phone AS opted_out, m.done_by, u.display_name AS done_by_name, \
         (SELECT MIN(r.sent_at) FROM sms_replies r JOIN sms_messages a ON a.id = r.message_id \
          WHERE a.phone = m.phone AND r.sent_at >= m.created_at) AS answered_at \
         {from} LEFT JOIN sms_opt_outs o ON o.phone = m.phone LEFT JOIN users u ON u.id = m.done_by\
         {conditions} ORDER BY m.created_at DESC, m.id DESC"
    );
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let mut messages = rows
        .iter()
        .map(|row| {
            let done_at: Option<i64> = row.try_get("done_at")?;
            let answered_at: Option<i64> = row.try_get("answered_at")?;
            let done_by: Option<String> = row.try_get("done_by")?;
            let done_by_name: Option<String> = row.try_get("done_by_name")?;
            // Marked by nobody: done as it came, an opt-out.
            let done = done_at.map(|at| match (done_by, done_by_name) {
                (None, _) => "Needs no answer: the number opted out".to_string(),
                (Some(_), name) => format!(
                    "Marked done by {}, {}",
                    name.as_deref().unwrap_or("a former team member"),
                    zone.stamp(at)
                ),
            });
            Ok(SmsMessage {
                id: row.try_get("id")?,
                received_at: zone.stamp(row.try_get("created_at")?),
                phone: row.try_get("phone")?,
                body: row.try_get("body")?,
                sentiment: row.try_get("sentiment")?,
                contact_id: row.try_get("contact_id")?,
                contact_name: row.try_get("contact_name")?,
                opted_out: row.try_get::<Option<String>, _>("opted_out")?.is_some(),
                media: Vec::new(),
                replies: Vec::new(),
                waiting: done_at.is_none() && answered_at.is_none(),
                done,
                after_campaign: None,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    if !messages.is_empty() {
        let replies = "SELECT message_id, body, sent_at, delivery, delivery_error FROM sms_replies";
        for row in of_texts(db, &messages, replies, "sent_at, id").await? {
            let reply = SmsReply {
                body: row.try_get("body")?,
                sent_at: zone.stamp(row.try_get("sent_at")?),
                delivery: delivery_label(row.try_get("delivery")?, row.try_get("delivery_error")?),
            };
            if let Some(text) = text_of(&mut messages, &row)? {
                text.replies.push(reply);
            }
        }
        let media = "SELECT message_id, position, content_type FROM sms_media";
        for row in of_texts(db, &messages, media, "position").await? {
            let file = SmsMedia {
                content_type: row.try_get("content_type")?,
                path: super::media_path(row.try_get("message_id")?, row.try_get("position")?),
            };
            if let Some(text) = text_of(&mut messages, &row)? {
                text.media.push(file);
            }
        }
        add_campaign_texts(db, &zone, &mut messages, &rows).await?;
    }
    let receiving = load_sms(db, key).await?.receiver().is_some();
    Ok(SmsPage { rows: messages, page, has_more, count, waiting, receiving })
}

/// Gives each text of a page (`rows` are theirs, in order) the latest campaign text its number
/// was sent before it came: one query for the page's numbers, oldest first.
async fn add_campaign_texts(
    db: &Db,
    zone: &crate::time_zone::Zone,
    texts: &mut [SmsMessage],
    rows: &[sqlx::any::AnyRow],
) -> Result<(), sqlx::Error> {
    let mut phones: Vec<&str> = texts.iter().map(|t| t.phone.as_str()).collect();
    phones.sort_unstable();
    phones.dedup();
    let sql = format!(
        "SELECT r.phone, r.updated_at, k.id, k.name, k.body FROM sms_recipients r \
         JOIN sms_campaigns k ON k.id = r.campaign_id WHERE r.status = 'SENT' AND r.phone IN ({}) \
         ORDER BY r.updated_at, k.id",
        db::placeholders(1, phones.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for phone in &phones {
        query = query.bind(*phone);
    }
    let sent = query.fetch_all(db.pool()).await?;
    for (text, row) in texts.iter_mut().zip(rows) {
        let came_at: i64 = row.try_get("created_at")?;
        for campaign in &sent {
            let sent_at: i64 = campaign.try_get("updated_at")?;
            if campaign.try_get::<String, _>("phone")? == text.phone && sent_at <= came_at {
                text.after_campaign = Some(SmsCampaignText {
                    campaign_id: campaign.try_get("id")?,
                    name: campaign.try_get("name")?,
                    body: campaign.try_get("body")?,
                    sent_at: zone.stamp(sent_at),
                });
            }
        }
    }
    Ok(())
}

/// Marks a text done, as needing no answer, by the admin `user_id`; or (`done` false) waiting
/// for one again, unless a reply has answered it.
pub async fn mark_done(db: &Db, user_id: &str, message_id: &str, done: bool) -> Result<(), SmsError> {
    let (done_at, done_by) = if done { (Some(db::now_unix()), Some(user_id)) } else { (None, None) };
    let marked = sqlx::query("UPDATE sms_messages SET done_at = $1, done_by = $2 WHERE id = $3")
        .bind(done_at)
        .bind(done_by)
        .bind(message_id)
        .execute(db.writer())
        .await?;
    if marked.rows_affected() == 0 {
        return Err(SmsError::NotFound("There is no such text."));
    }
    Ok(())
}

/// The rows of `select` about the texts of a page (by `message_id`), in `order`: one query,
/// not one per text.
async fn of_texts(
    db: &Db,
    texts: &[SmsMessage],
    select: &str,
    order: &str,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let sql = format!("{select} WHERE message_id IN ({}) ORDER BY {order}", db::placeholders(1, texts.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for text in texts {
        query = query.bind(&text.id);
    }
    query.fetch_all(db.pool()).await
}

/// The text of the page that `row` (with a `message_id`) is about.
fn text_of<'a>(
    texts: &'a mut [SmsMessage],
    row: &sqlx::any::AnyRow,
) -> Result<Option<&'a mut SmsMessage>, sqlx::Error> {
    let id: String = row.try_get("message_id")?;
    Ok(texts.iter_mut().find(|t| t.id == id))
}

/// Replies to a received text from the group's number: refused to a number that texted STOP.
/// Twilio is asked first; once it has taken the text, the reply is recorded with
/// `sms.message.sent` in one transaction.
pub async fn reply(state: &AppState, actor: &Actor, message_id: &str, body: &str) -> Result<(), SmsError> {
    let bus = &state.bus;
    let body = body.trim();
    if body.is_empty() || !is_plain_text(body, super::BODY_MAX_CHARS) {
        return Err(invalid("body", "Write the reply: at most 1,600 characters."));
    }
    let message = sqlx::query(
        "SELECT m.phone, m.contact_id, o.phone AS opted_out FROM sms_messages m \
         LEFT JOIN sms_opt_outs o ON o.phone = m.phone WHERE m.id = $1",
    )
    .bind(message_id)
    .fetch_optional(bus.db().pool())
    .await?
    .ok_or(SmsError::NotFound("There is no such text."))?;
    if message.try_get::<Option<String>, _>("opted_out")?.is_some() {
        return Err(SmsError::Conflict("This number texted STOP: it gets no texts until it texts START."));
    }
    let target = sender(state).await?;
    let phone: String = message.try_get("phone")?;
    let sid = super::twilio::send(&target, &phone, body).await.map_err(SmsError::Unavailable)?;
    let mut tx = bus.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO sms_replies (id, message_id, body, provider_id, sent_by, sent_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(message_id)
    .bind(body)
    .bind(&sid)
    .bind(actor.to_string())
    .bind(db::now_unix())
    .execute(&mut *tx)
    .await?;
    let event = Event::SmsMessageSent(SmsMessageSent {
        message_id: sid.clone(),
        campaign_id: None,
        contact_id: message.try_get("contact_id")?,
        to: phone,
    });
    bus::publish(&mut tx, actor, &event).await?;
    take_early_delivery(&mut tx, &sid).await?;
    bus.commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_type_slash_subtype() {
        for good in ["image/jpeg", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
        {
            assert!(is_media_type(good), "{good}");
        }
        for bad in
            ["", "image", "image/", "/png", "image png", "image/png; x=1", "text/html\r\nx: y", "a/b/c"]
        {
            assert!(!is_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn only_the_last_word_on_a_text_is_a_delivery_outcome() {
        assert_eq!(delivery_outcome("delivered", ""), Some(Ok(())));
        assert_eq!(
            delivery_outcome("undelivered", "30003"),
            Some(Err("Not delivered (Twilio error 30003)".into()))
        );
        // An error code that is not one is left out rather than shown.
        assert_eq!(delivery_outcome("failed", "<script>"), Some(Err("Not delivered".into())));
        for step in ["queued", "sending", "sent", "accepted", ""] {
            assert_eq!(delivery_outcome(step, ""), None, "{step}");
        }
        assert_eq!(delivery_label(Some("DELIVERED"), None), "Delivered");
        assert_eq!(delivery_label(Some("UNDELIVERED"), None), "Not delivered");
        assert_eq!(delivery_label(None, None), "");
    }

    #[test]
    fn opt_out_and_opt_in_words_alone_change_the_numbers_wishes() {
        assert_eq!(read(" STOP "), Reading { sentiment: "NEGATIVE", opts_out: Some(true) });
        assert_eq!(read("Unsubscribe."), Reading { sentiment: "NEGATIVE", opts_out: Some(true) });
        assert_eq!(read("start"), Reading { sentiment: "POSITIVE", opts_out: Some(false) });
        // In a sentence, the word is only a word.
        assert_eq!(read("Don't stop the march").opts_out, None);
        assert_eq!(read("Where does it end?").opts_out, None);
    }

    #[test]
    fn texts_are_questions_unhappy_happy_or_neither() {
        assert_eq!(read("What time does the shift start?").sentiment, "QUESTION");
        assert_eq!(read("No thanks, not interested").sentiment, "NEGATIVE");
        assert_eq!(read("Wrong number!!").sentiment, "NEGATIVE");
        assert_eq!(read("I won’t be there").sentiment, "NEGATIVE");
        assert_eq!(read("Count me in, thank you").sentiment, "POSITIVE");
        assert_eq!(read("Wrong,   number").sentiment, "NEGATIVE");
        assert_eq!(read("See you at 9").sentiment, "NEUTRAL");
        // Whole words only: "nothing" is not "no", "knot" not "not".
        assert_eq!(read("nothing to add, knot tied").sentiment, "NEUTRAL");
    }

    #[test]
    fn signs_as_twilios_documentation_example_does() {
        // Twilio's "Validating requests" example: this token, address and parameters.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let signature = twilio_signature("12345", url, &params);
        assert_eq!(signature, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(is_signed("12345", url, &params, &signature));
        assert!(!is_signed("12346", url, &params, &signature));
        assert!(!is_signed("12345", "https://mycompany.com/myapp.php", &params, &signature));
        assert!(!is_signed("12345", url, &params[1..], &signature));
        assert!(!is_signed("12345", url, &params, "not base64 at all"));
    }

    #[test]
    fn numbers_are_made_international_with_the_country_code_when_written_without() {
        assert_eq!(international_number("(555) 123-4567", "1").as_deref(), Some("+15551234567"));
        assert_eq!(international_number("1 555 123 4567", "1").as_deref(), Some("+15551234567"));
        assert_eq!(international_number("07700 900123", "44").as_deref(), Some("+447700900123"));
        assert_eq!(international_number("+44 7700 900123", "1").as_deref(), Some("+447700900123"));
        assert_eq!(international_number("0044 7700 900123", "").as_deref(), Some("+447700900123"));
        // No country code to put before a national number; too short; not a number.
        assert_eq!(international_number("(555) 123-4567", ""), None);
        assert_eq!(international_number("12345", "1"), None);
        assert_eq!(international_number("ask at the desk", "1"), None);
        assert!(is_international_number("+15550001111"));
        assert!(!is_international_number("15550001111") && !is_international_number("+0555000111"));
    }

    #[test]
    fn a_number_matches_as_written_with_or_without_the_country_code() {
        assert!(is_same_number("+1 (555) 123-4567", "+15551234567"));
        assert!(is_same_number("555.123.4567", "+15551234567"));
        assert!(is_same_number("07700 900123", "+447700900123"));
        assert!(!is_same_number("555-123-4568", "+15551234567"));
        // Too short to be sure, or not a number at all.
        assert!(!is_same_number("1234567", "+15551234567"));
        assert!(!is_same_number("%%%%%%%%", "+15551234567"));
        assert!(!is_same_number("call 5551234567", "+15551234567"));
        assert!(!is_same_number("", ""));
    }
}
