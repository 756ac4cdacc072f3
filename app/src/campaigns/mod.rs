//! Advocacy campaigns (SPEC §2 "campaigns", "responses"): supporters email their
//! representatives from a public page; representatives' replies are moderated and shown.
//! Shared types, the email template and server functions here, rules in `service.rs`,
//! pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who runs campaigns (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];

pub const TITLE_MAX_CHARS: usize = 200;
pub const TEXT_MAX_CHARS: usize = 20_000;
pub const MESSAGE_MAX_CHARS: usize = 2_000;
pub const MAX_RECIPIENTS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 4] =
        [CampaignStatus::Draft, CampaignStatus::Active, CampaignStatus::Paused, CampaignStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "DRAFT",
            CampaignStatus::Active => "ACTIVE",
            CampaignStatus::Paused => "PAUSED",
            CampaignStatus::Archived => "ARCHIVED",
        }
    }

    pub fn parse(text: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The moves moderation allows: publish a draft, pause and resume a live campaign,
    /// archive anything not yet archived. Archived is final.
    pub fn can_move_to(self, to: CampaignStatus) -> bool {
        use CampaignStatus::*;
        matches!(
            (self, to),
            (Draft, Active) | (Active, Paused) | (Paused, Active) | (Draft | Active | Paused, Archived)
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "Draft",
            CampaignStatus::Active => "Active",
            CampaignStatus::Paused => "Paused",
            CampaignStatus::Archived => "Archived",
        }
    }
}

/// Someone a campaign's emails go to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: String,
    pub role: String,
    pub email: String,
}

/// A campaign as admins and the public page see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub call_to_action: String,
    pub recipients: Vec<Recipient>,
    pub email_subject: String,
    pub email_template: String,
    pub status: CampaignStatus,
    pub emails_sent: i64,
    /// `YYYY-MM-DD`, the organisation's day.
    pub created: String,
    /// How many times an organiser saved its details (the edit form's check).
    pub edits: i64,
}

/// The admin list's filter: part of the title, a status (`DRAFT`…, empty for all), the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignFilter {
    pub search: String,
    pub status: String,
    pub page: i64,
}

/// A campaign as the admin list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub id: String,
    pub title: String,
    pub status: CampaignStatus,
    pub emails_sent: i64,
    /// `YYYY-MM-DD`, the organisation's day.
    pub created: String,
}

/// One page of the admin list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPage {
    pub rows: Vec<CampaignRow>,
    pub page: i64,
    pub has_more: bool,
    /// Campaigns matching the filter, on every page.
    pub count: i64,
}

/// The create/edit form as typed. Recipients are one per line: `Name | Role | email`, or
/// just an email.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignForm {
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub call_to_action: String,
    pub recipients: String,
    pub email_subject: String,
    pub email_template: String,
    /// Editing: the campaign's `edits` when the form was opened. When given, a save is
    /// refused if someone else saved the campaign since.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// A supporter's email as typed on the public page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupporterForm {
    pub name: String,
    pub email: String,
    pub postal_code: String,
    #[serde(default)]
    pub message: String,
}

/// A representative's reply, as typed on the public form or by an admin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseForm {
    pub representative_name: String,
    pub representative_email: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignResponse {
    pub id: String,
    pub representative_name: String,
    pub body: String,
    /// PENDING, APPROVED or REJECTED.
    pub status: String,
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub submitted: String,
}

/// One row of a campaign's status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: String,
    pub actor: String,
    /// Who that is: the account's name, "System".
    pub actor_name: String,
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
}

/// A supporter who sent the email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupporterRow {
    pub at: String,
    pub name: String,
    pub email: String,
    pub contact_id: Option<String>,
}

/// A supporter's email as the campaign's supporters export lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SupporterExport {
    /// When they sent it, "2026-11-29 10:46 UTC".
    pub sent: String,
    pub name: String,
    pub email: String,
    pub postal_code: String,
    /// What they added to the email themselves.
    pub message: String,
    /// How many representatives it went to.
    pub representatives: i64,
}

/// Every supporter's email of a campaign as CSV, the first sent first.
pub fn supporters_csv(supporters: &[SupporterExport]) -> String {
    let mut out = String::from("sent_utc,name,email,postal_code,message,representatives\n");
    for s in supporters {
        out.push_str(&crate::csv::row(&[
            &s.sent,
            &s.name,
            &s.email,
            &s.postal_code,
            &s.message,
            &s.representatives.to_string(),
        ]));
    }
    out
}

/// One page of a campaign's responses (`RESPONSES_PAGE_SIZE` to a page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsePage {
    pub rows: Vec<CampaignResponse>,
    pub page: i64,
    pub has_more: bool,
}

/// The admin's campaign page: the campaign, emails per day (last 30 days, oldest first),
/// recent supporters, a page of responses (those awaiting moderation first) and the status
/// history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    pub emails_per_day: Vec<(String, i64)>,
    pub supporters: Vec<SupporterRow>,
    pub responses: ResponsePage,
    /// Responses awaiting moderation, on every page.
    pub pending_responses: i64,
    pub history: Vec<StatusChange>,
}

/// An active campaign as the home page offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub call_to_action: String,
}

/// The public page: an active campaign and a page of its approved responses, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicCampaign {
    pub campaign: Campaign,
    pub responses: ResponsePage,
}

/// The placeholders an email template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "supporter_name",
    "supporter_email",
    "postal_code",
    "personal_message",
    "representative_name",
    "representative_role",
    "campaign_title",
];

/// The email one recipient gets: `template` with every placeholder filled. Shared by the
/// browser's preview and the server's send, so what the supporter previews is what is sent.
pub fn render_email(
    template: &str,
    campaign_title: &str,
    supporter: &SupporterForm,
    to: &Recipient,
) -> String {
    let values = [
        ("supporter_name", supporter.name.trim()),
        ("supporter_email", supporter.email.trim()),
        ("postal_code", supporter.postal_code.trim()),
        ("personal_message", supporter.message.trim()),
        ("representative_name", to.name.as_str()),
        ("representative_role", to.role.as_str()),
        ("campaign_title", campaign_title),
    ];
    crate::template::fill(template, &values)
}

/// Parses the recipients box: one per line, `Name | Role | email`, `Name <email>` (as a mail
/// client copies an address) or just an email; blank lines skipped. Each bad line is reported
/// by its number.
#[cfg(feature = "ssr")]
pub fn parse_recipients(text: &str) -> Result<Vec<Recipient>, String> {
    let mut recipients = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (name, role, email) = match parts.as_slice() {
            [address] => match crate::users::service::split_mailbox(address) {
                Some((name, email)) => (name, "", email),
                None => ("", "", *address),
            },
            [name, role, email] => (*name, *role, *email),
            _ => return Err(format!("Line {n}: write Name | Role | email, Name <email>, or just an email.")),
        };
        let email = crate::users::service::normalise_email(email);
        if !crate::users::service::is_plausible_email(&email) {
            return Err(format!("Line {n}: \"{email}\" is not an email address."));
        }
        if name.chars().count() > 100 || role.chars().count() > 100 {
            return Err(format!("Line {n}: a name or role is over 100 characters."));
        }
        recipients.push(Recipient { name: name.to_string(), role: role.to_string(), email });
    }
    Ok(recipients)
}

/// The recipients as the form shows them again.
pub fn recipients_text(recipients: &[Recipient]) -> String {
    recipients
        .iter()
        .map(|r| {
            if r.name.is_empty() && r.role.is_empty() {
                r.email.clone()
            } else {
                format!("{} | {} | {}", r.name, r.role, r.email)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(feature = "ssr")]
impl From<service::CampaignError> for AppError {
    fn from(err: service::CampaignError) -> AppError {
        use service::CampaignError;
        match err {
            CampaignError::Invalid(errors) => AppError::Invalid(errors),
            CampaignError::NotFound => AppError::NotFound("There is no such campaign.".into()),
            CampaignError::SlugTaken => {
                AppError::invalid("slug", "Another campaign already uses this address.")
            }
            CampaignError::ChangedMeanwhile => {
                AppError::changed_meanwhile("this campaign", "Reload the page")
            }
            CampaignError::NotAllowed(from, to) if from == to => {
                AppError::Conflict(format!("This campaign is already {}.", to.label().to_lowercase()))
            }
            CampaignError::NotAllowed(from, to) => {
                let from = from.label().to_lowercase();
                let article = if from.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" };
                AppError::Conflict(format!(
                    "{article} {from} campaign cannot become {}.",
                    to.label().to_lowercase()
                ))
            }
            CampaignError::NotActive => AppError::Conflict(
                "This campaign is not taking part right now. Thank you for your interest.".into(),
            ),
            CampaignError::AlreadySent => AppError::Conflict(
                "You already sent this email in the last 24 hours — thank you! Your representatives have it."
                    .into(),
            ),
            CampaignError::RateLimited(wait) => {
                AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
            }
            CampaignError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// Every campaign, newest first.
#[server(prefix = "/api", endpoint = "campaigns/list")]
pub async fn list_campaigns(#[server(default)] filter: CampaignFilter) -> Result<CampaignPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter).await?)
}

/// A campaign's admin page, with page `page` of its responses.
#[server(prefix = "/api", endpoint = "campaigns/get")]
pub async fn get_campaign(id: String, #[server(default)] page: i64) -> Result<CampaignDetail, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::detail(&state.db, &id, page, crate::db::now_unix()).await?)
}

/// Creates (empty `id`, as a DRAFT) or updates a campaign.
#[server(prefix = "/api", endpoint = "campaigns/save")]
pub async fn save_campaign(#[server(default)] id: String, form: CampaignForm) -> Result<Campaign, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save(&state.bus, &actor, &id, &form).await?;
    crate::request::after_plain_form_post(&format!("/admin/campaigns/{}", saved.id));
    Ok(saved)
}

/// Moves a campaign to `status` (publish, pause, resume, archive), recording why.
#[server(prefix = "/api", endpoint = "campaigns/status")]
pub async fn change_campaign_status(
    id: String,
    status: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let to = CampaignStatus::parse(&status).ok_or_else(|| AppError::invalid("status", "Choose a status."))?;
    Ok(service::change_status(&state.bus, &actor, &id, to, &reason).await?)
}

#[server(prefix = "/api", endpoint = "campaigns/delete")]
pub async fn delete_campaign(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete(&state.bus, &crate::events::Actor::User(user.id), &id).await?)
}

/// An active campaign and page `page` of its approved responses, for the public page.
#[server(prefix = "/api", endpoint = "campaigns/public")]
pub async fn get_public_campaign(
    slug: String,
    #[server(default)] page: i64,
) -> Result<PublicCampaign, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::public(&state.db, &slug, page).await?)
}

/// A supporter sends the campaign's email to every recipient; answers with how many.
#[server(prefix = "/api", endpoint = "campaigns/send")]
pub async fn send_campaign_email(slug: String, form: SupporterForm) -> Result<i64, AppError> {
    let state = crate::state::app_state()?;
    let sender = crate::rate_limit::Allowance {
        limiter: &state.campaign_limiter,
        client_ip: &crate::request::client_ip(),
    };
    let sent = service::send(&state.bus, &sender, &slug, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/campaigns/{slug}?sent={sent}"));
    Ok(sent)
}

/// A representative's reply, held for moderation.
#[server(prefix = "/api", endpoint = "campaigns/respond")]
pub async fn submit_response(slug: String, form: ResponseForm) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let sender = crate::rate_limit::Allowance {
        limiter: &state.campaign_limiter,
        client_ip: &crate::request::client_ip(),
    };
    service::respond(&state.bus, &sender, &slug, &form).await?;
    crate::request::after_plain_form_post(&format!("/campaigns/{slug}/respond?sent=1"));
    Ok(())
}

/// A reply an admin received elsewhere and types in; held for moderation like the others.
#[server(prefix = "/api", endpoint = "campaigns/admin-respond")]
pub async fn enter_response(id: String, form: ResponseForm) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let slug = service::slug_of(&state.db, &id).await?;
    Ok(service::submit_response(&state.bus, &crate::events::Actor::User(user.id), &slug, &form).await?)
}

/// Approves (`approve` true) or rejects a pending response; publishes `response.moderated`.
#[server(prefix = "/api", endpoint = "campaigns/moderate")]
pub async fn moderate_response(response_id: String, approve: bool) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::moderate(&state.bus, &crate::events::Actor::User(user.id), &response_id, approve).await.map_err(
        |e| match e {
            service::CampaignError::NotFound => {
                AppError::NotFound("This response was approved or rejected already, or is gone.".into())
            }
            e => e.into(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supporter() -> SupporterForm {
        SupporterForm {
            name: " Sam Supporter ".into(),
            email: "sam@example.org".into(),
            postal_code: "K1A 0A6".into(),
            message: "Please act.".into(),
        }
    }

    #[test]
    fn templates_fill_every_placeholder_and_leave_the_rest() {
        let to = Recipient {
            name: "Councillor Lee".into(),
            role: "Ward 7".into(),
            email: "lee@city.example".into(),
        };
        let text = render_email(
            "Dear {{ representative_name }} ({{representative_role}}),\n{{personal_message}}\n— {{supporter_name}}, {{postal_code}} {{ oops",
            "Save the park",
            &supporter(),
            &to,
        );
        assert_eq!(text, "Dear Councillor Lee (Ward 7),\nPlease act.\n— Sam Supporter, K1A 0A6 {{ oops");
    }

    #[test]
    fn recipients_are_parsed_line_by_line() {
        let parsed =
            parse_recipients("Councillor Lee | Ward 7 | Lee@City.example\n\n  mayor@city.example ").unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            parsed[0],
            Recipient {
                name: "Councillor Lee".into(),
                role: "Ward 7".into(),
                email: "lee@city.example".into()
            }
        );
        assert_eq!(parsed[1].email, "mayor@city.example");
        assert_eq!(
            parse_recipients("a | b").unwrap_err(),
            "Line 1: write Name | Role | email, Name <email>, or just an email."
        );
        assert_eq!(
            parse_recipients("ok@example.org\nnot-an-email").unwrap_err(),
            "Line 2: \"not-an-email\" is not an email address."
        );
        assert_eq!(
            parse_recipients(&format!("{} | Ward 7 | lee@city.example", "n".repeat(101))).unwrap_err(),
            "Line 1: a name or role is over 100 characters."
        );
        assert_eq!(parse_recipients(&recipients_text(&parsed)).unwrap(), parsed);
    }

    #[test]
    fn recipients_may_be_pasted_from_a_mail_client() {
        let parsed = parse_recipients(
            "Councillor Lee <Lee@City.example>\n\"Mayor, City of Riverside\" <mayor@city.example>\n<clerk@city.example>",
        )
        .unwrap();
        let names: Vec<_> =
            parsed.iter().map(|r| (r.name.as_str(), r.role.as_str(), r.email.as_str())).collect();
        assert_eq!(
            names,
            [
                ("Councillor Lee", "", "lee@city.example"),
                ("Mayor, City of Riverside", "", "mayor@city.example"),
                ("", "", "clerk@city.example"),
            ]
        );
        // Shown again in the form's own style, which reads back the same.
        assert_eq!(parse_recipients(&recipients_text(&parsed)).unwrap(), parsed);
        // Half a mailbox is not an address.
        assert!(parse_recipients("Councillor Lee <lee@city.example").unwrap_err().starts_with("Line 1:"));
        assert!(parse_recipients("Councillor Lee <>").unwrap_err().starts_with("Line 1:"));
    }

    #[test]
    fn moderation_moves_only_forward_or_between_live_states() {
        use CampaignStatus::*;
        assert!(Draft.can_move_to(Active));
        assert!(Active.can_move_to(Paused) && Paused.can_move_to(Active));
        assert!(Paused.can_move_to(Archived));
        assert!(!Archived.can_move_to(Active) && !Active.can_move_to(Draft) && !Draft.can_move_to(Paused));
    }
}
