//! Downloads: CSV exports, calendar files and videos' captions.

use app::campaigns::service::CampaignError;
use app::contacts::service::ContactError;
use app::error::AppError;
use app::payments::PaymentKind;
use app::shifts::service::ShiftError;
use app::shifts::{HoursFilter, ShiftFilter};
use app::state::AppState;
use app::ticketed_events::service::TicketingError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::require_roles;

/// `GET /api/shifts/{id}/signups.csv`
pub async fn shift_signups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::shifts::MANAGERS).await {
        return refused;
    }
    match app::shifts::service::get(&state.db, &id).await {
        Ok(Some(_)) => {}
        Ok(None) => return (StatusCode::NOT_FOUND, "There is no such shift.").into_response(),
        Err(e) => return internal(e),
    };
    let signups = match app::shifts::service::all_signups(&state.db, &id).await {
        Ok(signups) => signups,
        Err(e) => return internal(e),
    };
    let csv = app::shifts::signups_csv(&signups);
    download(csv, "text/csv; charset=utf-8", &format!("shift-{id}-signups.csv"))
}

/// `GET /api/contacts/{id}/data.json`: everything held about one contact, to answer their
/// request for their data (contact managers).
pub async fn contact_data(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::contacts::MANAGERS).await {
        return refused;
    }
    match app::contacts::personal_data::personal_data(&state.db, &id, app::db::now_unix()).await {
        Ok(data) => download(format!("{data:#}"), "application/json", &format!("contact-{id}.json")),
        Err(ContactError::NotFound) => (StatusCode::NOT_FOUND, "There is no such contact.").into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /api/campaigns/{id}/supporters.csv`: everyone who sent a campaign's email.
pub async fn campaign_supporters(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::campaigns::MANAGERS).await {
        return refused;
    }
    match app::campaigns::service::all_supporters(&state.db, &id).await {
        Ok(supporters) => download(
            app::campaigns::supporters_csv(&supporters),
            "text/csv; charset=utf-8",
            &format!("campaign-{id}-supporters.csv"),
        ),
        Err(CampaignError::NotFound) => (StatusCode::NOT_FOUND, "There is no such campaign.").into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /api/ticketed-events/{id}/tickets.csv`: every ticket of an event, for the door.
pub async fn event_tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::ticketed_events::MANAGERS).await {
        return refused;
    }
    match app::ticketed_events::service::all_tickets(&state.db, &id).await {
        Ok(tickets) => download(
            app::ticketed_events::tickets_csv(&tickets),
            "text/csv; charset=utf-8",
            &format!("event-{id}-tickets.csv"),
        ),
        Err(TicketingError::NotFound) => (StatusCode::NOT_FOUND, "There is no such event.").into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /api/shifts/hours.csv?from=&to=`: the volunteer hours report of a period, whole.
pub async fn volunteer_hours(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<HoursFilter>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::shifts::MANAGERS).await {
        return refused;
    }
    match app::shifts::service::all_volunteer_hours(&state.db, &filter, app::db::now_unix()).await {
        Ok(volunteers) => {
            download(app::shifts::hours_csv(&volunteers), "text/csv; charset=utf-8", "volunteer-hours.csv")
        }
        // Said as the report's server function says it: the fields' messages.
        Err(ShiftError::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, AppError::Invalid(errors).to_string()).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /api/shifts.csv?status=&from=&to=&visibility=&q=`: the schedule, every shift the
/// admin list's filter matches.
pub async fn schedule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<ShiftFilter>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::shifts::MANAGERS).await {
        return refused;
    }
    let now = app::db::now_unix();
    match app::shifts::service::all_admin_shifts(&state.db, &filter, now).await {
        Ok(shifts) => {
            download(app::shifts::schedule_csv(&shifts, now), "text/csv; charset=utf-8", "shifts.csv")
        }
        Err(ShiftError::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, AppError::Invalid(errors).to_string()).into_response()
        }
        Err(e) => internal(e),
    }
}

/// A file the browser saves as `filename`.
fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    res
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "cannot export");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
}

/// `GET /api/shifts/{id}/calendar.ics` — "Add to calendar" for a public shift.
pub async fn shift_calendar(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let shift = match app::shifts::service::get(&state.db, &id).await {
        Ok(Some(shift)) if shift.is_public => shift,
        Ok(_) => return (StatusCode::NOT_FOUND, "There is no such shift.").into_response(),
        Err(e) => return internal(e),
    };
    let ics = app::shifts::shift_ics(&shift, app::db::now_unix());
    download(ics, "text/calendar; charset=utf-8", &format!("shift-{id}.ics"))
}

/// `GET /api/shifts/signups/calendar.ics?token=`: the receipt's calendar file when several
/// shifts were signed up for at once: the shift of the sign-up whose private cancel link's
/// token it is, and those signed up for with it. An unknown or cancelled sign-up's is 404.
pub async fn signups_calendar(State(state): State<AppState>, Query(link): Query<LinkToken>) -> Response {
    let now = app::db::now_unix();
    let first = match app::shifts::service::signup_by_token(&state.db, &link.token, now).await {
        Ok(Some(first)) => first,
        Ok(None) => return (StatusCode::NOT_FOUND, "There is no such sign-up.").into_response(),
        Err(e) => return internal(e),
    };
    let later = match app::shifts::service::later_signups_by_token(&state.db, &link.token, now).await {
        Ok(later) => later,
        Err(e) => return internal(e),
    };
    let signups: Vec<_> = std::iter::once(first).chain(later).collect();
    download(app::shifts::signups_ics(&signups, now), "text/calendar; charset=utf-8", "shifts.ics")
}

/// `GET /api/shifts.ics`: every upcoming public shift, for anyone's calendar to subscribe to.
pub async fn public_calendar(State(state): State<AppState>) -> Response {
    let now = app::db::now_unix();
    let shifts = match app::shifts::service::public_feed(&state.db, now).await {
        Ok(shifts) => shifts,
        Err(e) => return internal(e),
    };
    let organisation = match app::settings::organisation_name(&state.db).await {
        Ok(name) => name,
        Err(e) => return internal(e),
    };
    let site = state.public_url.trim_end_matches('/');
    let ics = app::shifts::public_feed_ics(&shifts, &format!("{organisation}: volunteer shifts"), site, now);
    download(ics, "text/calendar; charset=utf-8", "shifts.ics")
}

/// `GET /api/videos/{slug}/captions.vtt`: a published video's captions, which its player's
/// captions track reads. A draft's, or a video's without captions, is 404.
pub async fn video_captions(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    webvtt(app::media::service::public_captions(&state.db, &slug).await)
}

/// `GET /api/videos/{id}/captions-preview.vtt` (video managers): a video's saved captions,
/// draft or not, for the player on its admin page. None saved is 404.
pub async fn video_captions_preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::media::MANAGERS).await {
        return refused;
    }
    webvtt(app::media::service::captions_webvtt(&state.db, &id).await)
}

/// Captions as a player's track reads them.
fn webvtt(captions: Result<String, app::media::service::VideoError>) -> Response {
    match captions {
        Ok(webvtt) => {
            // Kept by no cache (as every /api/ answer): corrected captions show at the next play.
            ([(header::CONTENT_TYPE, "text/vtt; charset=utf-8")], webvtt).into_response()
        }
        Err(app::media::service::VideoError::NotFound) => {
            (StatusCode::NOT_FOUND, "This video has no captions.").into_response()
        }
        Err(e) => internal(e),
    }
}

/// A private link's token, from its query string (`?token=…`).
#[derive(serde::Deserialize)]
pub struct LinkToken {
    #[serde(default)]
    pub token: String,
}

/// `GET /api/my/shifts.ics?token=`: a volunteer's private calendar feed, which calendar apps
/// subscribe to. An unknown or replaced link, or an account that may no longer sign in, is 404.
pub async fn my_calendar(State(state): State<AppState>, Query(link): Query<LinkToken>) -> Response {
    let now = app::db::now_unix();
    let signups = match app::shifts::service::calendar_feed(&state.db, &link.token, now).await {
        Ok(Some(signups)) => signups,
        Ok(None) => {
            return (StatusCode::NOT_FOUND, "There is no such calendar link. Make a new one on My shifts.")
                .into_response();
        }
        Err(e) => return internal(e),
    };
    let organisation = match app::settings::organisation_name(&state.db).await {
        Ok(name) => name,
        Err(e) => return internal(e),
    };
    let ics = app::shifts::calendar_feed_ics(&signups, &format!("{organisation} shifts"), now);
    download(ics, "text/calendar; charset=utf-8", "my-shifts.ics")
}

/// `GET /api/payments/donations.csv`, `orders.csv` and `subscriptions.csv` (payments admins).
pub async fn payments(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::payments::MANAGERS).await {
        return refused;
    }
    let kind = PaymentKind::ALL.into_iter().find(|k| file.strip_suffix(".csv") == Some(k.plural()));
    let Some(kind) = kind else {
        return (StatusCode::NOT_FOUND, "There is no such export.").into_response();
    };
    match app::payments::service::payments_csv(&state.db, kind).await {
        Ok(csv) => download(csv, "text/csv; charset=utf-8", &file),
        Err(e) => internal(e),
    }
}

/// `GET /api/canvass/addresses.csv?search=&turf=&outcome=`: every address the organiser's list
/// finds so, in walking order.
pub async fn canvass_addresses(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<app::canvass::AddressFilter>,
) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::canvass::MANAGERS).await {
        return refused;
    }
    match app::canvass::service::all_addresses(&state.db, &filter).await {
        Ok(addresses) => {
            download(app::canvass::addresses_csv(&addresses), "text/csv; charset=utf-8", "addresses.csv")
        }
        Err(app::canvass::service::CanvassError::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, AppError::Invalid(errors).to_string()).into_response()
        }
        Err(app::canvass::service::CanvassError::NotFound(why)) => {
            (StatusCode::NOT_FOUND, why).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `GET /api/contacts.csv` (contact viewers).
pub async fn contacts(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = require_roles(&state, &headers, app::contacts::VIEWERS).await {
        return refused;
    }
    match app::contacts::service::contacts_csv(&state.db).await {
        Ok(csv) => download(csv, "text/csv; charset=utf-8", "contacts.csv"),
        Err(e) => internal(e),
    }
}
