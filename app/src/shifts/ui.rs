//! Shift pages: the public list, a shift's sign-up page, the cancel page, and the admin list
//! with the create form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    AdminAddSignup, AdminCancelShift, AdminMoveSignup, AdminPromoteSignup, AdminRemoveSignup,
    AdminResendConfirmation, AdminSetAttendance, Attendance, CancelMySignup, CancelSignup, ChosenShifts,
    CreateShift, DeleteShift, EmailCancelLinks, EmailShiftVolunteers, HoursFilter, LaterShift,
    LinkSignupsByToken, MOVE_TARGETS_MAX, MoveTargets, MySignup, NewCalendarFeed, PublicShift,
    REMINDER_CHOICES, SOON_DAYS, STATUS_OVER, SaveReminderHours, SheetEntry, Shift, ShiftFilter, ShiftPage,
    ShiftStatus, SignInSheet, SignUpForShift, SignupPage, SignupSource, SignupStatus, SignupView, SoonShifts,
    SwitchMySignup, SwitchSignup, UpdateShift, admin_move_targets, calendar_feed_link, clashes_within,
    get_admin_shift, get_calendar_feed, get_later_signups_by_token, get_my_switch_choices, get_public_shift,
    get_reminder_hours, get_sign_in_sheet, get_signup_by_token, get_switch_choices, get_volunteer_hours,
    list_admin_shifts, list_chosen_shifts, list_public_places, list_public_shifts, my_clashes,
    my_past_shifts, my_shifts, shifts_needing_volunteers, unlinked_signups_by_token,
};
use crate::auth::{CurrentUser, Logout, get_current_user};
use crate::error::AppError;
use crate::home::ui::PublicHeader;
use crate::ui::style::{PHONE_ONLY, TD, TH, WIDE_ONLY};
use crate::ui::{
    BUTTON_PRIMARY, ConfirmLink, Field, FormError, LoadError, OvernightBox, SharedPageHead, TextArea,
    last_error,
};

/// The stream of shift events, which the admin pages watch to stay current.
const SHIFT_EVENTS: &str = "/api/events/stream?topics=shift.*";

/// The admin list's filter (the page aside) as query parts, `status=OPEN`: for its page links
/// and its schedule download.
fn filter_query(filter: &ShiftFilter) -> Vec<String> {
    [
        ("q", &filter.q),
        ("status", &filter.status),
        ("visibility", &filter.visibility),
        ("from", &filter.from),
        ("to", &filter.to),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={}", crate::ui::urlencode(v))))
    .collect()
}

#[component]
pub fn PublicShiftsPage() -> impl IntoView {
    // The page number is read once: the page links load the next page whole (they are
    // `rel="external"`), so the list never has to follow a changing query, and every page of
    // the list is a plain document that the page cache and search engines see the same way.
    // The "Where" choice is a plain GET form, which loads the page whole too. So are the page
    // buttons shown once a shift is ticked: they carry the ticked ones (`id`) to the next page.
    let (page, place, ticked) = use_query_map().with_untracked(|q| {
        (q.get("page").and_then(|p| p.parse().ok()), crate::ui::text_param(q, "place"), q.get_all("id"))
    });
    let ticked = super::distinct_ids(&ticked.unwrap_or_default());
    let chosen = place.clone();
    let shifts =
        Resource::new(move || (page, chosen.clone()), |(page, place)| list_public_shifts(page, place));
    let places = Resource::new(|| (), |_| list_public_places());
    // Nothing here changes once the page is drawn, so the `Suspend` is not wrapped in a
    // closure: the server would call one three times for each page, building the list each time.
    view! {
        <Title text="Volunteer shifts" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Volunteer shifts"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {Suspend::new(async move {
                    let places = places.await.unwrap_or_default();
                    // Without a list (and so without its form), "Where" is a form of its own,
                    // which keeps the shifts ticked so far.
                    let choice_alone = |empty: &'static str| {
                        let choice = (places.len() > 1).then(|| view! {
                            <form method="get" action="/shifts">
                                {ticked.iter().map(|id| view! { <input type="hidden" name="id" value=id.clone() /> }).collect_view()}
                                {place_choice(&places, place.as_deref())}
                            </form>
                        });
                        view! { {choice} <p class="mt-6 text-slate-600">{empty}</p> }.into_any()
                    };
                    match shifts.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(page) if page.shifts.is_empty() && page.page == 1 && place.is_some() => {
                            choice_alone("No shifts are coming up there. Choose another place.")
                        }
                        Ok(page) if page.shifts.is_empty() && page.page == 1 => {
                            choice_alone("No shifts are scheduled right now. Check back soon.")
                        }
                        Ok(page) => public_shift_list(page, &places, place, ticked),
                    }
                })}
            </Suspense>
            <p class="mt-10 text-sm text-slate-600" data-testid="public-feed">
                "Keep up with new shifts in your calendar: subscribe to "
                <a href="/api/shifts.ics" rel="external" class="text-indigo-700 underline">"this calendar feed"</a>
                " (in your calendar app, add a calendar from its address)."
            </p>
            <LostLinkOffer />
        </main>
    }
}

/// "Where": narrows the public list to the shifts at one place. Its button sends the form it is
/// in to the list, with whatever is ticked in that form.
fn place_choice(places: &[String], place: Option<&str>) -> impl IntoView + use<> {
    view! {
        <div class="mt-4 flex flex-wrap items-end gap-3" role="search">
            <label class="text-sm text-slate-700">
                "Where"
                <select name="place" class="mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm">
                    <option value="">"Anywhere"</option>
                    {places
                        .iter()
                        .map(|p| view! { <option value=p.clone() selected=place == Some(p.as_str())>{p.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" formaction="/shifts" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm">"Show"</button>
        </div>
    }
}

/// One page of the public list (of the shifts at `place`, if chosen) under a heading for each
/// day, with links to the pages before and after it, and the "Where" choice if the shifts are
/// at more than one of `places`. The shifts `ticked` so far (on any page) stay ticked: a box
/// for each on this page, a hidden one for each elsewhere.
fn public_shift_list(
    page: ShiftPage,
    places: &[String],
    place: Option<String>,
    ticked: Vec<String>,
) -> AnyView {
    let (number, has_more) = (page.page, page.has_more);
    let elsewhere: Vec<String> =
        ticked.iter().filter(|id| !page.shifts.iter().any(|s| &s.id == *id)).cloned().collect();
    // The shifts come soonest first, so each day's are next to each other.
    let mut days: Vec<(String, Vec<Shift>)> = Vec::new();
    for shift in page.shifts {
        let day = shift.local_day();
        match days.last_mut() {
            Some((last, shifts)) if *last == day => shifts.push(shift),
            _ => days.push((day, vec![shift])),
        }
    }
    // A plain GET form: the ticked shifts open the page that signs up for them all at once. Its
    // button, and page buttons that keep the ticks, show once something is ticked (CSS `:has`,
    // so also before the code has loaded; `input:checked`, as the chosen place's `<option>` is
    // `:checked` too); until then the pages are plain links.
    let page_link = {
        let place = place.clone();
        move |n| match &place {
            Some(place) => format!("/shifts?place={}&page={n}", crate::ui::urlencode(place)),
            None => format!("/shifts?page={n}"),
        }
    };
    let untick = page_link(number);
    view! {
        <form method="get" action="/shifts/chosen" class="group" data-testid="choose-shifts">
        // The choice of place is in this form, so changing place keeps what is ticked; without
        // it, the page buttons keep the place.
        {if places.len() > 1 {
            place_choice(places, place.as_deref()).into_any()
        } else {
            place.map(|place| view! { <input type="hidden" name="place" value=place /> }).into_any()
        }}
        {days.is_empty().then(|| view! { <p class="mt-6 text-slate-600">"No more shifts on this page."</p> })}
        {elsewhere.iter().map(|id| view! { <input type="checkbox" name="id" value=id.clone() checked hidden /> }).collect_view()}
        {days
            .into_iter()
            .map(|(day, shifts)| view! {
                <section class="mt-8">
                    <h2 class="text-lg font-semibold text-slate-900" data-testid="public-day">{day}</h2>
                    <ul class="mt-3 space-y-3">
                        {shifts
                            .into_iter()
                            .map(|s| {
                                let times = s.times();
                                view! {
                                    <li class="rounded-lg bg-white p-4 shadow-sm" data-testid="public-shift">
                                        <a href=format!("/shifts/{}", s.id) class="text-lg font-semibold text-indigo-700 hover:underline">
                                            {s.title.clone()}
                                        </a>
                                        <p class="text-sm text-slate-600">{s.with_place(times.clone())}</p>
                                        <p class="text-sm text-slate-700">{s.spots_line()}</p>
                                        <label class="mt-2 inline-flex items-center gap-2 text-sm text-slate-700">
                                            <input type="checkbox" name="id" value=s.id.clone() checked=ticked.contains(&s.id) class="h-4 w-4" />
                                            "Choose"
                                            <span class="sr-only">{format!("{}, {times}", s.title)}</span>
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            })
            .collect_view()}
            <div class="sticky bottom-0 mt-6 hidden flex-wrap items-center justify-between gap-3 rounded-lg bg-indigo-50 p-4 shadow-sm group-has-[input:checked]:flex" data-testid="choose-bar">
                <div class="text-sm text-indigo-900">
                    <p>"Sign up for every shift you ticked, in one go."</p>
                    {(!elsewhere.is_empty()).then(|| view! {
                        <p data-testid="ticked-elsewhere">
                            {format!("Also ticked on other pages: {}. ", crate::ui::count(elsewhere.len() as i64, "shift"))}
                            <a href=untick rel="external" class="underline">"Untick them"</a>
                        </p>
                    })}
                </div>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                    "Sign up for the ticked shifts"
                </button>
            </div>
            <div class="group-has-[input:checked]:hidden">
                {crate::ui::pager("shifts", number, has_more, page_link, crate::ui::PAGES_SOONEST_FIRST, true)}
            </div>
            <div class="hidden group-has-[input:checked]:block">
                {crate::ui::form_pager("shifts", number, has_more, "/shifts", crate::ui::PAGES_SOONEST_FIRST)}
            </div>
        </form>
    }
        .into_any()
}

#[component]
pub fn ShiftSignupPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let shift = Resource::new(id, get_public_shift);
    let me = Resource::new(|| (), |_| get_current_user());
    // A signed-in volunteer's other shifts at the same time as this one or a later one of its
    // series (none for anyone else).
    let clashes = Resource::new(id, my_clashes);
    let sign_up = ServerAction::<SignUpForShift>::new();
    let error = last_error(sign_up.value());
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let me = me.await.ok().flatten();
                    let mine_at_once = clashes.await.unwrap_or_default();
                    match shift.await {
                        Err(e) => view! { <Title text="Shift" /> <LoadError error=e /> }.into_any(),
                        Ok(PublicShift { shift: s, over, later_in_series }) => {
                            // A cancelled or finished shift keeps its page (links to it live on) without the form.
                            let closed = if s.status == ShiftStatus::Cancelled {
                                Some("This shift has been cancelled.")
                            } else if over {
                                Some("This shift is over.")
                            } else {
                                None
                            };
                            let spots = if s.spots_left() > 0 {
                                format!("{} of {} spots left", s.spots_left(), s.capacity)
                            } else {
                                "This shift is full: sign up to join the waitlist.".to_string()
                            };
                            // What a link to this page shows when shared in a chat or on social media.
                            let preview = format!("{}. {}", s.with_place(s.when()), closed.unwrap_or(&spots));
                            let head = view! {
                                <SharedPageHead title=s.title.clone() description=preview />
                                <h1 class="text-3xl font-bold text-slate-900">{s.title.clone()}</h1>
                                <p class="mt-2 text-slate-600">{s.with_place(s.when())}</p>
                                <p class="mt-4 whitespace-pre-line text-slate-700"><crate::ui::LinkedText text=s.description.clone() /></p>
                            };
                            if let Some(closed) = closed {
                                return view! {
                                    {head}
                                    <p class="mt-4 font-medium text-slate-900" data-testid="spots">
                                        {closed} " " <a href="/shifts" class="text-indigo-700 underline">"See the upcoming shifts."</a>
                                    </p>
                                }
                                    .into_any();
                            }
                            view! {
                                {head}
                                // Read before the sign-up, so not shown after it: the receipt says where they stand.
                                {move || (!matches!(sign_up.value().get(), Some(Ok(_)))).then(|| view! {
                                    <p class="mt-4 font-medium text-slate-900" data-testid="spots">{spots.clone()}</p>
                                })}
                                <Show
                                    when=move || matches!(sign_up.value().get(), Some(Ok(_)))
                                    fallback=move || {
                                        let shift_id = s.id.clone();
                                        let me = me.clone();
                                        let later = later_in_series.clone();
                                        let clashes: Vec<String> = mine_at_once.iter().filter(|m| m.shift.overlaps(&s)).map(MySignup::clash_label).collect();
                                        let mine_at_once = mine_at_once.clone();
                                        view! {
                                            <ClashNotice heading="At that time you are also signed up for:" clashes />
                                            <ActionForm action=sign_up attr:class="mt-6 space-y-4 rounded-lg bg-white p-6 shadow-sm" attr:novalidate=true>
                                                <input type="hidden" name="shift_id" value=shift_id.clone() />
                                                <FormError error=error />
                                                {signup_fields(me, &format!("/shifts/{shift_id}"), error)}
                                                {(!later.is_empty()).then(|| view! { <SeriesChoice later mine=mine_at_once /> })}
                                                <button type="submit" class=BUTTON_PRIMARY disabled=move || sign_up.pending().get()>
                                                    {move || if sign_up.pending().get() { "Signing up…" } else { "Sign up" }}
                                                </button>
                                            </ActionForm>
                                        }
                                    }
                                >
                                    {move || sign_up.value().get().and_then(Result::ok).map(|receipt| {
                                        let waitlisted = receipt.status == SignupStatus::Waitlisted;
                                        // Where they stand in line is asked after the sign-up, as their cancel page asks it.
                                        let place = if waitlisted {
                                            let token = receipt.cancel_token.clone();
                                            let standing = Resource::new(|| (), move |_| get_signup_by_token(token.clone()));
                                            Signal::derive(move || standing.get().and_then(Result::ok).and_then(|s| s.waitlist_position))
                                        } else {
                                            Signal::stored(None)
                                        };
                                        let token = receipt.cancel_token.clone();
                                        let later = Resource::new(|| (), move |_| get_later_signups_by_token(token.clone()));
                                        let later = Signal::derive(move || later.get().and_then(Result::ok).unwrap_or_default());
                                        view! { <SignupConfirmation waitlisted place later cancel_token=receipt.cancel_token shift_id=id() /> }
                                    })}
                                </Show>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <p class="mt-8 text-sm"><a href="/shifts" class="text-indigo-700 hover:underline">"← All shifts"</a></p>
        </main>
    }
}

/// What else a volunteer would be doing at a shift's time, under `heading`; nothing when
/// nothing clashes. It warns and does not refuse: they may mean to leave one early.
#[component]
fn ClashNotice(heading: &'static str, clashes: Vec<String>) -> impl IntoView {
    (!clashes.is_empty()).then(|| {
        view! {
            <div class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="clashes">
                <p>{heading}</p>
                <ul class="mt-1 list-disc pl-5">{clashes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

/// The page of the shifts ticked on the public list (`/shifts/chosen?id=…&id=…`): those that
/// still take sign-ups, and one form that signs up for them all. Once signed up, on to the
/// first sign-up's receipt (the page the browser lands on when it sends the form itself),
/// which lists the others. Its links keep the place the list was narrowed to (`place=`).
#[component]
pub fn ChosenShiftsPage() -> impl IntoView {
    let (ids, place) = use_query_map().with_untracked(|q| {
        let place = q.get("place").filter(|p| !p.trim().is_empty());
        (super::distinct_ids(&q.get_all("id").unwrap_or_default()), place)
    });
    let back_to = with_ids("/shifts/chosen", place.as_deref(), &ids);
    let chosen_ids = ids.clone();
    let shifts = Resource::new(move || chosen_ids.clone(), list_chosen_shifts);
    let me = Resource::new(|| (), |_| get_current_user());
    let sign_up = ServerAction::<SignUpForShift>::new();
    let error = last_error(sign_up.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(receipt)) = sign_up.value().get() {
            navigate(
                &format!("/shifts/cancel?token={}&signed_up=1", receipt.cancel_token),
                Default::default(),
            );
        }
    });
    view! {
        <Title text="Sign up for the shifts you chose" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Sign up for the shifts you chose"</h1>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || {
                    let (back_to, ids, place) = (back_to.clone(), ids.clone(), place.clone());
                    Suspend::new(async move {
                        let me = me.await.ok().flatten();
                        match shifts.await {
                            Err(e) => view! { <LoadError error=e /> }.into_any(),
                            Ok(chosen) if chosen.open.is_empty() => view! {
                                <p class="mt-4 text-slate-700" data-testid="chosen-none">
                                    {if chosen.none_chosen() { "No shifts were chosen." } else { "None of the shifts you chose takes sign-ups any more." }}
                                    " " <a href="/shifts" class="text-indigo-700 underline">"Choose from the upcoming shifts."</a>
                                </p>
                                {left_out(&chosen)}
                            }
                                .into_any(),
                            Ok(chosen) => {
                                let left_out = left_out(&chosen);
                                let clashes: Vec<Vec<String>> = chosen.open.iter().map(|s| chosen.clashes_of(s)).collect();
                                let ChosenShifts { open: shifts, already, .. } = chosen;
                                // Only the shifts the signed-in volunteer is not on yet are sent.
                                let new: Vec<String> = shifts.iter().filter(|s| !already.contains_key(&s.id)).map(|s| s.id.clone()).collect();
                                let button = match (new.len(), already.is_empty()) {
                                    (1, true) => "Sign up".to_string(),
                                    (n, true) => format!("Sign up for these {n} shifts"),
                                    (1, false) => "Sign up for the other shift".to_string(),
                                    (n, false) => format!("Sign up for the other {n} shifts"),
                                };
                                // With more than one, each can be left out: the same page without it.
                                let several = shifts.len() > 1;
                                // Or back to the list with these ticked, to choose again.
                                let open_ids: Vec<String> = shifts.iter().map(|s| s.id.clone()).collect();
                                let change = with_ids("/shifts", place.as_deref(), &open_ids);
                                let mut new = new.into_iter();
                                let form = match new.next() {
                                    None => view! {
                                        <p class="mt-6 text-slate-700" data-testid="chosen-all-yours">
                                            "You are already on each of these shifts. "
                                            <a href="/my/shifts" class="text-indigo-700 underline">"See My shifts."</a>
                                        </p>
                                    }
                                        .into_any(),
                                    Some(first) => view! {
                                        <ActionForm action=sign_up attr:class="mt-6 space-y-4 rounded-lg bg-white p-6 shadow-sm" attr:novalidate=true>
                                            <input type="hidden" name="shift_id" value=first />
                                            {new.enumerate().map(|(i, id)| view! {
                                                <input type="hidden" name=format!("also[{i}]") value=id />
                                            }).collect_view()}
                                            <FormError error=error />
                                            {signup_fields(me, &back_to, error)}
                                            <p class="text-sm text-slate-600">
                                                "A shift you are already signed up for is left as it is. One email lists them all, each with its own link to cancel it."
                                            </p>
                                            <button type="submit" class=BUTTON_PRIMARY disabled=move || sign_up.pending().get()>
                                                {move || if sign_up.pending().get() { "Signing up…".to_string() } else { button.clone() }}
                                            </button>
                                        </ActionForm>
                                    }
                                        .into_any(),
                                };
                                view! {
                                    {left_out}
                                    <ul class="mt-4 space-y-3">
                                        {shifts.into_iter().zip(clashes).map(|(s, clashes)| {
                                            let others: Vec<String> = ids.iter().filter(|id| **id != s.id).cloned().collect();
                                            let leave_out = several.then(|| view! {
                                                <a href=with_ids("/shifts/chosen", place.as_deref(), &others) rel="external" class="float-right text-sm text-slate-600 underline hover:text-slate-900" data-testid="leave-out">
                                                    "Leave out" <span class="sr-only">{format!(" {}, {}", s.title, s.when())}</span>
                                                </a>
                                            });
                                            view! {
                                            <li class="rounded-lg bg-white p-4 shadow-sm" data-testid="chosen-shift">
                                                {leave_out}
                                                <a href=format!("/shifts/{}", s.id) class="font-semibold text-indigo-700 hover:underline">{s.title.clone()}</a>
                                                <p class="text-sm text-slate-600">{s.with_place(s.when())}</p>
                                                <p class="text-sm text-slate-700">
                                                    {match already.get(&s.id) {
                                                        Some(SignupStatus::Waitlisted) => "You are on its waitlist already.".to_string(),
                                                        Some(_) => "You are signed up for this one already.".to_string(),
                                                        None => s.spots_line(),
                                                    }}
                                                </p>
                                                <ClashNotice heading="At the same time as:" clashes />
                                            </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    <p class="mt-3 text-sm">
                                        <a href=change class="text-indigo-700 underline" data-testid="change-choice">"Change your choice on the list"</a>
                                    </p>
                                    {form}
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
            <p class="mt-8 text-sm"><a href="/shifts" class="text-indigo-700 hover:underline">"← All shifts"</a></p>
        </main>
    }
}

/// `path` with an `id=…` for each of `ids` (after the `place=` chosen on the list, if any): a
/// choice of shifts as an address, for the list (which ticks them) or the page that signs up
/// for them.
fn with_ids(path: &str, place: Option<&str>, ids: &[String]) -> String {
    let place = place.map(|p| format!("place={}", crate::ui::urlencode(p)));
    let query: Vec<String> =
        place.into_iter().chain(ids.iter().map(|id| format!("id={}", crate::ui::urlencode(id)))).collect();
    if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }
}

/// The chosen shifts that no longer take sign-ups, each with why, so the volunteer knows what
/// they are not signing up for; none if every chosen shift still takes them.
fn left_out(chosen: &ChosenShifts) -> Option<AnyView> {
    if chosen.closed.is_empty() && chosen.missing == 0 {
        return None;
    }
    let missing = match chosen.missing {
        0 => None,
        1 => Some("A shift that is no longer listed".to_string()),
        n => Some(format!("{n} shifts that are no longer listed")),
    };
    Some(
        view! {
            <div class="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="chosen-left-out">
                <p>"Left out, as they no longer take sign-ups:"</p>
                <ul class="mt-1 list-disc pl-5">
                    {chosen.closed.iter().map(|c| view! {
                        <li>{format!("{}, {}: {}", c.shift.title, c.shift.when(), c.reason.label())}</li>
                    }).collect_view()}
                    {missing.map(|m| view! { <li>{m}</li> })}
                </ul>
            </div>
        }
        .into_any(),
    )
}

/// This site's address (`https://example.org`), so that a link shown for copying is whole:
/// as the browser sees it, and on the server (the receipt of a form the browser sent itself)
/// the configured public address, which emails use too.
fn page_origin() -> String {
    #[cfg(feature = "hydrate")]
    let origin = window().location().origin().unwrap_or_default();
    #[cfg(feature = "ssr")]
    let origin = crate::state::app_state()
        .map(|state| state.public_url.trim_end_matches('/').to_string())
        .unwrap_or_default();
    #[cfg(not(any(feature = "hydrate", feature = "ssr")))]
    let origin = String::new();
    origin
}

/// What a volunteer is shown once signed up: their standing, the private link to cancel and
/// the calendar file. On the shift's page; and on the cancel link's page (`?signed_up=1`) when
/// the browser sent the form itself, before the page's code had loaded or without JavaScript.
#[component]
fn SignupConfirmation(
    waitlisted: bool,
    /// Their place in line, once known.
    place: Signal<Option<i64>>,
    /// The other shifts they signed up for with this one (later ones of its series, or chosen
    /// together), once known.
    later: Signal<Vec<MySignup>>,
    cancel_token: String,
    shift_id: String,
) -> impl IntoView {
    let cancel = format!("{}/shifts/cancel?token={cancel_token}", page_origin());
    // With others signed up for at once, one file holds them all.
    let calendar = move || {
        if later.with(Vec::is_empty) {
            (format!("/api/shifts/{shift_id}/calendar.ics"), "Add to calendar (.ics)")
        } else {
            (
                format!("/api/shifts/signups/calendar.ics?token={cancel_token}"),
                "Add them all to your calendar (.ics)",
            )
        }
    };
    view! {
        <div class="mt-6 rounded-lg bg-green-50 p-6" data-testid="signup-confirmation">
            <p class="font-semibold text-green-900">
                {if waitlisted {
                    "The shift is full, so you are on the waitlist. We will tell you if a spot opens."
                } else {
                    "You're signed up. Thank you!"
                }}
            </p>
            {waitlisted.then(|| view! {
                <p class="mt-1 text-sm text-green-900" data-testid="waitlist-place">
                    {move || place.get().map(|n| format!("You are number {n} in line."))}
                </p>
            })}
            <p class="mt-3 text-sm text-green-900">
                "Keep this private link to cancel if your plans change: "
                <a href=cancel.clone() class="break-all underline" data-testid="cancel-link">{cancel.clone()}</a>
            </p>
            {move || {
                let (href, label) = calendar();
                view! {
                    <a href=href rel="external" download="" class="mt-4 inline-block rounded-md border border-green-700 px-3 py-1.5 text-sm font-medium text-green-900" data-testid="calendar-link">
                        {label}
                    </a>
                }
            }}
            {move || {
                let later = later.get();
                (!later.is_empty()).then(|| view! {
                    <div class="mt-4 border-t border-green-200 pt-4" data-testid="later-signups">
                        <p class="font-semibold text-green-900">"And the other shifts you signed up for:"</p>
                        <ul class="mt-1 space-y-1 text-sm text-green-900">
                            {later.iter().map(|mine| view! { <li>{mine.shift.when()} ": " {mine.standing()}</li> }).collect_view()}
                        </ul>
                        <p class="mt-2 text-sm text-green-900">"The email we sent lists them, each with its own private link to cancel it."</p>
                    </div>
                })
            }}
        </div>
    }
    // Its type erased: the pages that show it nest it deep enough to overflow the compiler's limit.
    .into_any()
}

/// Where someone who signed up without an account, and lost the email with their cancel link,
/// gets it again.
#[component]
fn LostLinkOffer() -> impl IntoView {
    view! {
        <p class="mt-4 text-sm text-slate-600">
            "Signed up and lost the email with your cancel link? "
            <a href="/shifts/links" class="text-indigo-700 underline">"Get your links again"</a>
            "."
        </p>
    }
}

/// `/shifts/links`: "Lost your link?" Emails a new cancel link for each of an email's sign-ups
/// to shifts still to come, answering the same whether it has any or not.
#[component]
pub fn LostLinksPage() -> impl IntoView {
    let request = ServerAction::<EmailCancelLinks>::new();
    let error = last_error(request.value());
    // `?sent=1`: the browser sent the form itself (see `request::after_plain_form_post`).
    let sent_by_browser = use_query_map().with_untracked(|q| q.get("sent").is_some());
    view! {
        <Title text="Your sign-up links" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-2xl font-bold text-slate-900">"Lost your cancel link?"</h1>
            <Show
                when=move || sent_by_browser || matches!(request.value().get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=request attr:class="mt-4 space-y-4" attr:novalidate=true>
                        <p class="text-slate-700">
                            "Give the email you signed up with. We will email it a new link to cancel each shift it is signed up for (or waiting for) that is still to come; the links sent before stop working."
                        </p>
                        <FormError error=error />
                        <Field label="Email" name="email" kind="email" autocomplete="email" required=true error=error />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || request.pending().get()>"Email me my links"</button>
                    </ActionForm>
                }
            >
                <p class="mt-4 rounded-md bg-green-50 p-4 text-green-900" role="status" data-testid="links-sent">
                    "If that email is signed up for shifts still to come, we have emailed it a new link to cancel each one. The links sent before no longer work."
                </p>
            </Show>
            <p class="mt-6 text-sm">
                <a href="/shifts" class="text-indigo-700 hover:underline">"Back to the shifts"</a>
            </p>
        </main>
    }
}

/// The sign-up form's offer to sign up for the later shifts of the series too, each marked
/// with those of `mine` (the volunteer's other sign-ups) at the same time; with any, the list
/// shows open.
#[component]
fn SeriesChoice(later: Vec<LaterShift>, mine: Vec<MySignup>) -> impl IntoView {
    let count = later.len();
    let clashes: Vec<String> = later.iter().map(|l| l.clashes_with(&mine)).collect();
    let clashing = clashes.iter().filter(|c| !c.is_empty()).count();
    let show_list = clashing > 0;
    view! {
        <div class="rounded-md border border-slate-200 p-3">
            <label class="flex items-start gap-2 text-slate-800">
                <input type="checkbox" name="series" value="true" class="mt-1" />
                <span>{format!("Also sign me up for {}", if count == 1 { "the next shift of this series".to_string() } else { format!("the {count} later shifts of this series") })}</span>
            </label>
            {show_list.then(|| view! {
                <p class="mt-2 text-sm text-amber-900" data-testid="series-clashes">
                    {if clashing == 1 { "One of them is at the same time as a shift you are on.".to_string() } else { format!("{clashing} of them are at the same time as shifts you are on.") }}
                </p>
            })}
            <details class="mt-2 text-sm text-slate-600" open=show_list>
                <summary class="cursor-pointer">"Which shifts"</summary>
                <ul class="mt-1 space-y-1" data-testid="later-shifts">
                    {later
                        .into_iter()
                        .zip(clashes)
                        .map(|(l, clash)| view! {
                            <li>
                                {l.when} {l.full.then_some(" (full: you would join its waitlist)")}
                                {(!clash.is_empty()).then(|| view! { <span class="text-amber-900">{format!(" (you are on {clash} then)")}</span> })}
                            </li>
                        })
                        .collect_view()}
                </ul>
            </details>
        </div>
    }
}

/// The sign-up form's fields. A signed-in volunteer signs up as themselves (the server takes
/// their name and email from the account), so they only see who they sign up as; anyone else
/// gives a name and email, and is offered to sign in instead (and come back to `back_to`).
fn signup_fields(me: Option<CurrentUser>, back_to: &str, error: Signal<Option<AppError>>) -> AnyView {
    match me {
        Some(user) => view! {
            <p class="text-slate-700" data-testid="signing-up-as">
                "Signing up as " <strong>{user.display_name}</strong> " (" {user.email} ")."
            </p>
            // Said when the one-click sign-up is refused (already signed up, say): it has no field.
            <p class="text-sm text-red-600" role="alert" data-testid="error-form[email]">
                {move || error.get().and_then(|e| e.field_message("email"))}
            </p>
            <Field label="Phone (optional)" name="form[phone]" kind="tel" autocomplete="tel" error=error />
        }
            .into_any(),
        None => view! {
            <Field label="Your name" name="form[name]" autocomplete="name" required=true maxlength=100 error=error />
            <Field label="Email" name="form[email]" kind="email" autocomplete="email" required=true error=error />
            <Field label="Phone (optional)" name="form[phone]" kind="tel" autocomplete="tel" error=error />
            <p class="text-sm text-slate-600">
                "Have an account? "
                <a href=format!("/login?next={}", crate::ui::urlencode(back_to)) class="text-indigo-700 underline">"Sign in"</a>
                " to sign up in one click."
            </p>
            <LostLinkOffer />
        }
            .into_any(),
    }
}

#[component]
pub fn CancelSignupPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.with_untracked(|q| q.get("token")).unwrap_or_default();
    // Set when the browser sent the sign-up or cancel form itself (see `SignupConfirmation`).
    let signed_up = query.with_untracked(|q| q.get("signed_up").is_some());
    let cancelled_by_browser = query.with_untracked(|q| q.get("cancelled").is_some());
    // Set on the receipt a switch to another date lands on.
    let switched = query.with_untracked(|q| q.get("switched").is_some());
    let signup = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        get_signup_by_token,
    );
    // Shown only on the receipt (`?signed_up=1`): the other shifts signed up for with it.
    let later = Resource::new(
        {
            let token = token.clone();
            move || (signed_up, token.clone())
        },
        |(signed_up, token)| async move {
            if signed_up { get_later_signups_by_token(token).await } else { Ok(Vec::new()) }
        },
    );
    let cancel = ServerAction::<CancelSignup>::new();
    view! {
        <Title text=if signed_up { "Your sign-up" } else { "Cancel a sign-up" } />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-2xl font-bold text-slate-900">{if signed_up { "Your sign-up" } else { "Cancel your sign-up" }}</h1>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        // Read before the await, so that the answer to "cancel" re-renders this.
                        let cancelled = cancel.value().get();
                        let signup = signup.await;
                        let later = later.await.unwrap_or_default();
                        let switch_token = token.clone();
                        // Cancelled here, or by the browser's own post, which comes back to `?cancelled=1`.
                        let done = matches!(cancelled, Some(Ok(()))) || (cancelled_by_browser && signup.is_err());
                        match (cancelled, signup) {
                            _ if done => view! {
                                <p class="mt-4 rounded-md bg-green-50 p-4 text-green-900" data-testid="cancel-result">
                                    "Your sign-up is cancelled. Thank you for letting us know."
                                </p>
                            }
                                .into_any(),
                            (_, Err(e)) => view! { <LoadError error=e /> <LostLinkOffer /> }.into_any(),
                            (_, Ok(mine)) if mine.over => view! {
                                <SignupSummary mine=mine />
                                <p class="mt-4 text-slate-700" data-testid="cancel-result">"This shift is over, so there is nothing to cancel."</p>
                                <AddToMyShifts token=token />
                            }
                                .into_any(),
                            (failed, Ok(mine)) => view! {
                                {switched.then(|| view! {
                                    <p class="mt-4 rounded-md bg-green-50 p-3 text-green-900" data-testid="switched">
                                        "You switched to this date. Your sign-up for the other date is cancelled, and its link no longer works."
                                    </p>
                                })}
                                {(signed_up && failed.is_none()).then(|| view! {
                                    <SignupConfirmation
                                        waitlisted=mine.waitlist_position.is_some()
                                        place=Signal::stored(mine.waitlist_position)
                                        later=Signal::stored(later)
                                        cancel_token=token.clone()
                                        shift_id=mine.shift.id.clone()
                                    />
                                    <h2 class="mt-8 text-lg font-semibold text-slate-900">"If your plans change"</h2>
                                })}
                                <SignupSummary mine=mine />
                                <AddToMyShifts token=token.clone() />
                                <p class="mt-4 text-slate-700">"Cancelling frees your spot for someone else. It cannot be undone."</p>
                                {failed.and_then(Result::err).map(|e| view! { <p class="mt-4 text-red-700" data-testid="cancel-result">{e.to_string()}</p> })}
                                <ActionForm action=cancel attr:class="mt-6">
                                    <input type="hidden" name="token" value=token />
                                    <button type="submit" class="rounded-md bg-red-600 px-4 py-2 font-semibold text-white hover:bg-red-500" disabled=move || cancel.pending().get()>
                                        "Yes, cancel my sign-up"
                                    </button>
                                </ActionForm>
                                <SwitchDate token=switch_token />
                            }
                                .into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

/// On a private link's page, to a volunteer signed in with the link's email: the sign-ups they
/// made with it without signing in are not on My shifts, and one button adds them. Nothing for
/// anyone else.
#[component]
fn AddToMyShifts(token: String) -> impl IntoView {
    let unlinked = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        unlinked_signups_by_token,
    );
    let link = ServerAction::<LinkSignupsByToken>::new();
    let error = last_error(link.value());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    let count = unlinked.await.unwrap_or(0);
                    (count > 0).then(|| view! {
                        <div class="mt-6 rounded-md bg-indigo-50 p-4 text-sm text-indigo-900" data-testid="add-to-my-shifts">
                            <Show
                                when=move || matches!(link.value().get(), Some(Ok(_)))
                                fallback=move || {
                                    let token = token.clone();
                                    view! {
                                        <p>
                                            {if count == 1 {
                                                "You made this sign-up without signing in, so it is not on your My shifts.".to_string()
                                            } else {
                                                format!("You made this sign-up and {} with this email without signing in, so they are not on your My shifts.", crate::ui::count(count - 1, "other"))
                                            }}
                                        </p>
                                        <FormError error=error />
                                        <ActionForm action=link attr:class="mt-2">
                                            <input type="hidden" name="token" value=token />
                                            <button type="submit" class=BUTTON_PRIMARY disabled=move || link.pending().get()>
                                                {if count == 1 { "Add it to My shifts" } else { "Add them to My shifts" }}
                                            </button>
                                        </ActionForm>
                                    }
                                }
                            >
                                <p role="status">
                                    "Added. " <a href="/my/shifts" class="font-semibold underline">"See My shifts"</a>
                                </p>
                            </Show>
                        </div>
                    })
                })
            }}
        </Suspense>
    }
}

/// "Can't make this date?" on a cancel link's page: switches the sign-up to another date of its
/// series (nothing is shown for a shift outside a series, or with no other date to take).
#[component]
fn SwitchDate(token: String) -> impl IntoView {
    let choices = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        get_switch_choices,
    );
    let switch = ServerAction::<SwitchSignup>::new();
    // On to the new sign-up's receipt, as a browser's own post goes (see `switch_signup`): a
    // page load, since this page reads its link once.
    Effect::new(move |_| {
        if let Some(Ok(receipt)) = switch.value().get() {
            let receipt_page =
                format!("/shifts/cancel?token={}&signed_up=1&switched=1", receipt.cancel_token);
            let _ = window().location().set_href(&receipt_page);
        }
    });
    let error = move || {
        last_error(switch.value())
            .get()
            .map(|e| e.field_message("to_shift_id").unwrap_or_else(|| e.to_string()))
    };
    let form = move || {
        let token = token.clone();
        Suspend::new(async move {
            let dates = choices.await.unwrap_or_default();
            (!dates.is_empty()).then(|| {
                view! {
                    <section class="mt-8 rounded-lg bg-white p-4 shadow-sm" data-testid="switch-date">
                        <h2 class="text-lg font-semibold text-slate-900">"Can't make this date?"</h2>
                        <p class="mt-1 text-sm text-slate-700">
                            "Switch to another date of this series instead. Your place here goes to the next in line, and we email you a new cancel link."
                        </p>
                        <ActionForm action=switch attr:class="mt-3 flex flex-wrap items-end gap-3">
                            <input type="hidden" name="token" value=token />
                            <DateChoice dates=dates />
                            <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" disabled=move || switch.pending().get()>
                                {move || if switch.pending().get() { "Switching…" } else { "Switch to this date" }}
                            </button>
                        </ActionForm>
                        <p id="switch-error" class="mt-2 text-sm text-red-700" data-testid="switch-error">{error}</p>
                    </section>
                }
            })
        })
    };
    view! { <Suspense fallback=|| ()>{form}</Suspense> }
}

/// The choice of another date of a series to switch to (`to_shift_id`), each with its room.
#[component]
fn DateChoice(dates: Vec<Shift>) -> impl IntoView {
    let options = dates
        .into_iter()
        .map(|shift| {
            let label = format!("{}, {} · {}", shift.local_day(), shift.times(), shift.spots_line());
            view! { <option value=shift.id>{label}</option> }
        })
        .collect_view();
    view! {
        <label class="text-sm text-slate-700">
            "Another date"
            <select name="to_shift_id" required aria-describedby="switch-error" class="mt-1 block w-full max-w-xs rounded-md border border-slate-300 px-2 py-1.5 text-sm sm:max-w-md">
                <option value="">"Choose a date"</option>
                {options}
            </select>
        </label>
    }
}

/// "Change date" on My shifts, for a sign-up to a shift of a series: the other dates to switch
/// it to (see `SwitchDate`).
#[component]
fn MySwitchForm(
    signup_id: String,
    switch: ServerAction<SwitchMySignup>,
    /// Which sign-up's dates are shown; "Keep it" closes them.
    switching: RwSignal<Option<String>>,
) -> impl IntoView {
    let choices = Resource::new(
        {
            let signup_id = signup_id.clone();
            move || signup_id.clone()
        },
        get_my_switch_choices,
    );
    let error = move || {
        last_error(switch.value())
            .get()
            .map(|e| e.field_message("to_shift_id").unwrap_or_else(|| e.to_string()))
    };
    let keep = move || {
        view! {
            <ConfirmLink href="/my/shifts".to_string() class="text-sm text-slate-600 hover:underline" on_click=move || switching.set(None)>
                "Keep it"
            </ConfirmLink>
        }
    };
    let form = move || {
        let signup_id = signup_id.clone();
        Suspend::new(async move {
            match choices.await {
                Err(e) => view! { <LoadError error=e /> }.into_any(),
                Ok(dates) if dates.is_empty() => view! {
                    <p class="text-sm text-slate-700">"There is no other date of this series to switch to. " {keep()}</p>
                }
                    .into_any(),
                Ok(dates) => view! {
                    <ActionForm action=switch attr:class="flex flex-wrap items-end gap-3">
                        <input type="hidden" name="signup_id" value=signup_id />
                        <DateChoice dates=dates />
                        <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500" disabled=move || switch.pending().get()>
                            {move || if switch.pending().get() { "Switching…" } else { "Switch to this date" }}
                        </button>
                        {keep()}
                    </ActionForm>
                }
                    .into_any(),
            }
        })
    };
    view! {
        <div class="mt-3 border-t border-slate-100 pt-3" data-testid="my-switch">
            <Suspense fallback=|| view! { <p class="text-sm text-slate-600">"Loading the dates…"</p> }>{form}</Suspense>
            <p id="switch-error" class="mt-2 text-sm text-red-700">{error}</p>
        </div>
    }
}

/// Which sign-up a cancel link is for: the shift, when and where, and the volunteer's standing.
#[component]
fn SignupSummary(mine: MySignup) -> impl IntoView {
    view! {
        <div class="mt-4 rounded-lg bg-white p-4 shadow-sm" data-testid="cancel-what">
            <p class="font-semibold text-slate-900">{mine.shift.title.clone()}</p>
            <p class="text-sm text-slate-600">{mine.shift.with_place(mine.shift.when())}</p>
            <p class="text-sm text-slate-700">{format!("{}.", mine.standing())}</p>
        </div>
    }
}

#[component]
pub fn AdminShiftsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let text = |k: &str| crate::ui::text_param(q, k);
            ShiftFilter {
                status: text("status"),
                from: text("from"),
                to: text("to"),
                visibility: text("visibility"),
                q: text("q"),
                page: crate::ui::page_param(q),
            }
        })
    };
    let shifts = Resource::new(filter, list_admin_shifts);
    // Sign-ups and changes made elsewhere show up without a reload.
    crate::live::on_change(SHIFT_EVENTS, move || shifts.refetch());
    // `?copy=<id>`: the new shift form starts from that shift's details, without its date.
    let copy_of = Resource::new(
        move || query.with(|q| q.get("copy")),
        |id| async move {
            match id {
                Some(id) => get_admin_shift(id, String::new(), 1).await.ok().map(|d| d.shift),
                None => None,
            }
        },
    );
    let create = ServerAction::<CreateShift>::new();
    let error = last_error(create.value());
    let create_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(create.value(), create_form);
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            shifts.refetch();
        }
    });
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
    let selected = move |key: &'static str, value: &'static str| {
        move || query.with(|q| q.get(key).as_deref() == Some(value))
    };
    view! {
        <Title text="Shifts" />
        <div class="flex flex-wrap items-baseline justify-between gap-3">
            <h1 class="text-2xl font-bold text-slate-900">"Shifts"</h1>
            <a href="/admin/shifts/hours" class="text-sm text-indigo-700 hover:underline">"Volunteer hours"</a>
        </div>
        <form method="get" class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-6">
            <label class="col-span-2 text-sm text-slate-700">
                "Title contains"
                <input name="q" class=input value=move || filter().q />
            </label>
            <label class="text-sm text-slate-700">
                "Status"
                <select name="status" class=input>
                    <option value="">"Any"</option>
                    <option value="OPEN" selected=selected("status", "OPEN")>"Open"</option>
                    <option value="FULL" selected=selected("status", "FULL")>"Full"</option>
                    <option value="CANCELLED" selected=selected("status", "CANCELLED")>"Cancelled"</option>
                    <option value=STATUS_OVER selected=selected("status", STATUS_OVER)>"Over"</option>
                </select>
            </label>
            <label class="text-sm text-slate-700">
                "Visibility"
                <select name="visibility" class=input>
                    <option value="">"Any"</option>
                    <option value="public" selected=selected("visibility", "public")>"Public"</option>
                    <option value="private" selected=selected("visibility", "private")>"Private"</option>
                </select>
            </label>
            <PeriodFields from=Signal::derive(move || filter().from) to=Signal::derive(move || filter().to) />
            <div class="col-span-2 flex items-end gap-3 md:col-span-6">
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white">"Filter"</button>
                <a href="/admin/shifts" class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
                <a href=move || format!("/api/shifts.csv?{}", filter_query(&filter()).join("&")) rel="external" class="ml-auto text-sm text-indigo-700 hover:underline">
                    "Download CSV"
                </a>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shifts.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) if page.shifts.is_empty() => view! {
                        <p class="mt-6 text-slate-600">"No shifts match. Create one below."</p>
                    }
                        .into_any(),
                    Ok(page) => {
                        let current = filter();
                        let labels = if current.status.as_deref() == Some(STATUS_OVER) {
                            crate::ui::PAGES_NEWEST_FIRST
                        } else {
                            crate::ui::PAGES_SOONEST_FIRST
                        };
                        let link = move |n: i64| {
                            let mut parts = vec![format!("page={n}")];
                            parts.extend(filter_query(&current));
                            format!("/admin/shifts?{}", parts.join("&"))
                        };
                        view! {
                            <div class="mt-6 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Shift"</th><th class=format!("{TH} {WIDE_ONLY}")>"When"</th><th class=format!("{TH} {WIDE_ONLY}")>"Where"</th>
                                        <th class=TH>"Filled"</th><th class=TH>"Status"</th><th class=format!("{TH} {WIDE_ONLY}")>"Public"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.shifts.into_iter().map(|s| {
                                            let status = s.status_label(s.is_over(page.now));
                                            let on_phone = [s.when(), s.location.clone(), if s.is_public { String::new() } else { "Not public".into() }]
                                                .into_iter()
                                                .filter(|part| !part.is_empty())
                                                .collect::<Vec<_>>()
                                                .join(" · ");
                                            view! {
                                                <tr data-testid="admin-shift">
                                                    <td class=TD>
                                                        <a href=format!("/admin/shifts/{}", s.id) class="font-medium text-indigo-700 hover:underline">{s.title.clone()}</a>
                                                        // On a narrow screen the when, where and public columns are hidden: shown here.
                                                        <span class=PHONE_ONLY>{on_phone}</span>
                                                    </td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{s.when()}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{s.location.clone()}</td>
                                                    <td class=TD>{format!("{}/{}", s.signed_up, s.capacity)}</td>
                                                    <td class=TD>{status}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{if s.is_public { "yes" } else { "no" }}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("shifts", page.page, page.has_more, link, labels, false)}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <section id="new-shift" class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <Suspense fallback=|| view! { <h2 class="text-lg font-semibold text-slate-900">"New shift"</h2> }>
                {move || Suspend::new(async move {
                    let copy = copy_of.await;
                    view! {
                        <h2 class="text-lg font-semibold text-slate-900">"New shift"</h2>
                        {copy.as_ref().map(|c| view! {
                            <p class="text-sm text-slate-600" data-testid="copy-of">{format!("A copy of “{}”: choose its date.", c.title)}</p>
                        })}
                    }
                })}
            </Suspense>
            <TimesAreIn />
            <ActionForm action=create node_ref=create_form attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        view! { <ShiftFields shift=copy_of.await with_date=false error=error /> }
                    })}
                </Suspense>
                <RepeatFields error=error />
                <button type="submit" class=BUTTON_PRIMARY disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create shift" }}
                </button>
                <p class="text-sm text-green-700" data-testid="create-result">
                    {move || create.value().get().and_then(Result::ok).map(|created| match created.as_slice() {
                        [one] => format!("Created “{}”.", one.title),
                        many => format!("Created {} shifts of “{}”.", many.len(), many.first().map(|s| s.title.as_str()).unwrap_or("")),
                    })}
                </p>
            </ActionForm>
        </section>
    }
}

/// The "From" and "To" date fields of a filter form: days in the organisation's time zone.
#[component]
fn PeriodFields(from: Signal<Option<String>>, to: Signal<Option<String>>) -> impl IntoView {
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
    view! {
        <label class="text-sm text-slate-700">
            "From"
            <input name="from" type="date" class=input value=from />
        </label>
        <label class="text-sm text-slate-700">
            "To"
            <input name="to" type="date" class=input value=to />
        </label>
    }
}

/// How many empty rows the sign-in sheet leaves for people who turn up without signing up.
const WALK_IN_ROWS: usize = 8;

/// `/admin/shifts/:id/sheet`: a page to print and take to the shift, with a box to tick for
/// each volunteer, the waitlist, and empty rows for walk-ins. Only the sheet is printed.
#[component]
pub fn SignInSheetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let sheet = Resource::new(id, get_sign_in_sheet);
    let th = "border border-slate-400 px-2 py-1 text-left font-semibold text-slate-900";
    let td = "border border-slate-400 px-2 py-2 text-slate-900";
    let rows = move |entries: Vec<SheetEntry>| {
        entries
            .into_iter()
            .map(|e| {
                view! {
                    <tr data-testid="sheet-row">
                        <td class=td><span class="inline-block h-4 w-4 border border-slate-600" aria-hidden="true"></span></td>
                        <td class=td>{e.name}</td>
                        <td class=td>{e.phone}</td>
                        <td class=td></td>
                    </tr>
                }
            })
            .collect_view()
    };
    let head = move || {
        view! {
            <thead><tr>
                <th class=format!("{th} w-16")>"Came"</th><th class=format!("{th} w-2/5")>"Name"</th>
                <th class=format!("{th} w-1/4")>"Phone"</th><th class=th>"Notes"</th>
            </tr></thead>
        }
    };
    view! {
        <Title text="Sign-in sheet" />
        <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sheet.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(SignInSheet { shift, signed_up, waiting }) => {
                        let count = format!("{} signed up · {} waiting", signed_up.len(), waiting.len());
                        view! {
                            <p class="text-sm print:hidden">
                                <a href=format!("/admin/shifts/{}", shift.id) class="text-indigo-700 hover:underline">"← Back to the shift"</a>
                            </p>
                            <div class="mt-2 max-w-3xl bg-white p-6 shadow-sm print:max-w-none print:p-0 print:shadow-none">
                                <div class="flex items-start justify-between gap-4">
                                    <div>
                                        <h1 class="text-2xl font-bold text-slate-900">{format!("Sign-in sheet: {}", shift.title)}</h1>
                                        <p class="mt-1 text-slate-700">{shift.with_place(shift.when())}</p>
                                        <p class="mt-1 text-sm text-slate-700" data-testid="sheet-count">{count}</p>
                                    </div>
                                    <button type="button" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white print:hidden" on:click=move |_| print()>
                                        "Print"
                                    </button>
                                </div>
                                {(shift.status == ShiftStatus::Cancelled).then(|| view! {
                                    <p class="mt-3 font-semibold text-red-700">"This shift has been cancelled."</p>
                                })}
                                <table class="mt-4 w-full table-fixed border-collapse text-sm">
                                    {head()}
                                    <tbody>{rows(signed_up)}</tbody>
                                </table>
                                {(!waiting.is_empty()).then(|| view! {
                                    <h2 class="mt-6 font-semibold text-slate-900">"Waitlist, in order"</h2>
                                    <table class="mt-2 w-full table-fixed border-collapse text-sm">
                                        {head()}
                                        <tbody>{rows(waiting)}</tbody>
                                    </table>
                                })}
                                <h2 class="mt-6 font-semibold text-slate-900">"Walk-ins"</h2>
                                <table class="mt-2 w-full table-fixed border-collapse text-sm">
                                    <thead><tr>
                                        <th class=format!("{th} w-2/5")>"Name"</th><th class=format!("{th} w-1/4")>"Phone"</th><th class=th>"Email"</th>
                                    </tr></thead>
                                    <tbody>
                                        {(0..WALK_IN_ROWS).map(|_| view! {
                                            <tr><td class=td>"\u{a0}"</td><td class=td></td><td class=td></td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Opens the browser's print dialog.
fn print() {
    #[cfg(feature = "hydrate")]
    let _ = window().print();
}

/// `/admin/shifts/hours`: who did how many shifts and hours in a period, for thanking
/// volunteers and for funders' reports, with a CSV of the whole period.
#[component]
pub fn VolunteerHoursPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let text = |k: &str| crate::ui::text_param(q, k);
            HoursFilter { from: text("from"), to: text("to"), page: crate::ui::page_param(q) }
        })
    };
    let report = Resource::new(filter, get_volunteer_hours);
    // "from=…&to=…" of the period shown, for the pages and the CSV.
    let period = move || {
        let f = filter();
        [("from", f.from), ("to", f.to)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={}", crate::ui::urlencode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    };
    view! {
        <Title text="Volunteer hours" />
        <p class="text-sm"><a href="/admin/shifts" class="text-indigo-700 hover:underline">"← Shifts"</a></p>
        <h1 class="mt-2 text-2xl font-bold text-slate-900">"Volunteer hours"</h1>
        <p class="mt-1 max-w-3xl text-sm text-slate-600">
            "Shifts that have ended where the volunteer had a spot, by the day they started. "
            "Shifts an organiser marked them as not having come to are counted apart, under “Didn't come”."
        </p>
        <form method="get" class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            <PeriodFields from=Signal::derive(move || filter().from) to=Signal::derive(move || filter().to) />
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white">"Show"</button>
            <a href="/admin/shifts/hours" class="text-sm text-slate-600 hover:text-slate-900">"All time"</a>
            <a href=move || format!("/api/shifts/hours.csv?{}", period()) rel="external" class="ml-auto text-sm text-indigo-700 hover:underline">
                "Download CSV"
            </a>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(report) if report.volunteers.is_empty() => view! {
                        <p class="mt-6 text-slate-600" data-testid="hours-empty">"No volunteer had a spot on a shift that ended in this period."</p>
                    }
                        .into_any(),
                    Ok(report) => {
                        let period = period();
                        let link = move |n: i64| {
                            let and = if period.is_empty() { String::new() } else { format!("&{period}") };
                            format!("/admin/shifts/hours?page={n}{and}")
                        };
                        view! {
                            <p class="mt-6 font-medium text-slate-900" data-testid="hours-summary">{report.summary()}</p>
                            <div class="mt-3 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Volunteer"</th><th class=format!("{TH} {WIDE_ONLY}")>"Email"</th><th class=TH>"Shifts"</th>
                                        <th class=TH>"Hours"</th><th class=TH>"Didn't come"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {report.volunteers.into_iter().map(|v| view! {
                                            <tr data-testid="hours-row">
                                                <td class=TD>
                                                    <a href=format!("/admin/contacts/{}", v.contact_id) class="font-medium text-indigo-700 hover:underline">{v.name}</a>
                                                    // On a narrow screen the email column is hidden: shown here.
                                                    <span class=PHONE_ONLY>{v.email.clone()}</span>
                                                </td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{v.email}</td>
                                                <td class=TD>{v.shifts}</td>
                                                <td class=TD>{super::hours_figure(v.seconds)}</td>
                                                <td class=TD>{v.no_shows}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("volunteers", report.page, report.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The title, description, place, times, capacity and visibility fields of a shift form,
/// filled in from `shift` when editing it or copying it (a copy leaves out the date).
#[component]
fn ShiftFields(
    shift: Option<Shift>,
    with_date: bool,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let (date, start, end) = match &shift {
        Some(s) => {
            let (date, start) = s.local_start();
            (if with_date { date } else { String::new() }, start, s.local_end())
        }
        None => Default::default(),
    };
    let text = |f: fn(&Shift) -> String| shift.as_ref().map(f).unwrap_or_default();
    let is_public = shift.as_ref().is_none_or(|s| s.is_public);
    let ends_next_day = shift.as_ref().is_some_and(Shift::ends_next_day);
    view! {
        <Field label="Title" name="form[title]" required=true maxlength=200 value=text(|s| s.title.clone()) error=error />
        <Field label="Description" name="form[description]" value=text(|s| s.description.clone()) error=error />
        <Field label="Location" name="form[location]" maxlength=300 value=text(|s| s.location.clone()) error=error />
        <Field label="Date" name="form[date]" kind="date" required=true value=date error=error />
        <div class="grid grid-cols-2 gap-4">
            <Field label="Starts" name="form[start_time]" kind="time" required=true value=start error=error />
            <Field label="Ends" name="form[end_time]" kind="time" required=true value=end error=error />
        </div>
        <OvernightBox checked=ends_next_day />
        <Field label="Capacity" name="form[capacity]" kind="number" required=true value=text(|s| s.capacity.to_string()) error=error />
        <label class="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" name="form[is_public]" value="true" checked=is_public />
            "Show on the public shifts page"
        </label>
    }
}

/// "Repeat": the weekdays and the number of weeks of a new weekly series, or the number of
/// months of a monthly one.
#[component]
fn RepeatFields(error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let days = [
        ("mon", "Mon"),
        ("tue", "Tue"),
        ("wed", "Wed"),
        ("thu", "Thu"),
        ("fri", "Fri"),
        ("sat", "Sat"),
        ("sun", "Sun"),
    ];
    view! {
        <fieldset class="rounded-md border border-slate-200 p-3" aria-describedby="repeat-error">
            <legend class="px-1 text-sm font-medium text-slate-700">"Repeat (optional)"</legend>
            <p class="text-sm text-slate-700">"Weekly, on these days:"</p>
            <div class="flex flex-wrap gap-3">
                {days.into_iter().map(|(key, label)| view! {
                    <label class="flex items-center gap-1 text-sm text-slate-700">
                        <input type="checkbox" name=format!("repeat[{key}]") value="true" />
                        {label}
                    </label>
                }).collect_view()}
            </div>
            <p id="repeat-error" class="mt-1 text-sm text-red-600" data-testid="error-repeat">
                {move || error.get().and_then(|e| e.field_message("repeat"))}
            </p>
            <Field label="For how many weeks (1–12)" name="repeat[weeks]" kind="number" value="4" error=error />
            <div class="mt-3 border-t border-slate-200 pt-3">
                <label class="flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" name="repeat[monthly]" value="true" />
                    "Or monthly, on that same weekday of the month (its first Saturday, say; from the 29th on, its last)"
                </label>
                <Field label="For how many months (1–12)" name="repeat[months]" kind="number" value="3" error=error />
            </div>
        </fieldset>
    }
}

const SCOPE_CHOICES: [(&str, &str); 3] = [
    ("this", "Only this shift"),
    ("following", "This and the following shifts"),
    ("all", "The whole series"),
];

/// For a shift of a series: which of its shifts a change applies to.
#[component]
fn ScopeChoice(series: bool) -> impl IntoView {
    series.then(|| {
        view! {
            <fieldset class="space-y-1">
                <legend class="text-sm font-medium text-slate-700">"Apply to"</legend>
                {SCOPE_CHOICES.into_iter().map(|(value, label)| view! {
                    <label class="flex items-center gap-2 text-sm text-slate-700">
                        <input type="radio" name="scope" value=value checked=value == "this" />
                        {label}
                    </label>
                }).collect_view()}
            </fieldset>
        }
    })
}

#[component]
pub fn AdminShiftPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    // Which sign-ups to show: those matching the search, a page at a time.
    let search = move || query.with(|q| q.get("q").unwrap_or_default());
    let page = move || query.with(crate::ui::page_param);
    let detail =
        Resource::new(move || (id(), search(), page()), |(id, q, page)| get_admin_shift(id, q, page));
    crate::live::on_change(SHIFT_EVENTS, move || detail.refetch());
    let add = ServerAction::<AdminAddSignup>::new();
    let remove = ServerAction::<AdminRemoveSignup>::new();
    let cancel_shift = ServerAction::<AdminCancelShift>::new();
    let promote = ServerAction::<AdminPromoteSignup>::new();
    let resend = ServerAction::<AdminResendConfirmation>::new();
    let update = ServerAction::<UpdateShift>::new();
    let delete = ServerAction::<DeleteShift>::new();
    let attendance = ServerAction::<AdminSetAttendance>::new();
    let move_to = ServerAction::<AdminMoveSignup>::new();
    let add_error = last_error(add.value());
    // Made here, not in the form's component, which is drawn again on every live update.
    let add_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(add.value(), add_form);
    let update_error = last_error(update.value());
    let action_error = Signal::derive(move || {
        last_error(cancel_shift.value())
            .get()
            .or(last_error(remove.value()).get())
            .or(last_error(promote.value()).get())
            .or(last_error(delete.value()).get())
            .or(last_error(attendance.value()).get())
            .or(last_error(resend.value()).get())
    });
    // Which sign-up's removal waits for confirmation, and whether cancelling or deleting the
    // shift does; whether the edit form is open.
    let confirm_removal = RwSignal::new(None::<String>);
    // Whose move to another shift is being chosen, and the shifts to choose from (fetched when
    // a move is opened, so they are current), from the day chosen on.
    let moving = RwSignal::new(None::<String>);
    let move_from = RwSignal::new(String::new());
    let move_targets = LocalResource::new(move || {
        let (open, shift_id, from) = (moving.get().is_some(), id(), move_from.get());
        async move { if open { admin_move_targets(shift_id, from).await.map(Some) } else { Ok(None) } }
    });
    let confirm_cancel = RwSignal::new(false);
    // The shift as it was when "Delete shift" was pressed, and whether it was over: the
    // confirmation's, drawn outside the live parts so that its choice of scope stays.
    let deleting = RwSignal::new(None::<(Shift, bool)>);
    // The shift as it was when "Edit shift" was pressed: the edit form's values, kept while
    // live updates draw the rest of the page again.
    let editing = RwSignal::new(None::<Shift>);
    Effect::new(move |_| {
        // Each read on every run: a `||` stopping at the first would leave the others unwatched,
        // and a later answer to them would change nothing.
        let answered = [
            add.value().get().is_some(),
            remove.value().get().is_some(),
            cancel_shift.value().get().is_some(),
            promote.value().get().is_some(),
            matches!(update.value().get(), Some(Ok(_))),
            matches!(move_to.value().get(), Some(Ok(_))),
        ];
        if answered.contains(&true) {
            confirm_removal.set(None);
            moving.set(None);
            confirm_cancel.set(false);
            editing.set(None);
            detail.refetch();
        }
    });
    // Marking who came publishes no event, so the page does not hear of it from the stream.
    Effect::new(move |_| {
        if matches!(attendance.value().get(), Some(Ok(()))) {
            detail.refetch();
        }
    });
    // A deleted shift has no page left: back to the list.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            navigate("/admin/shifts", Default::default());
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    // The found shift's page is titled with its name; this one has none.
                    Err(e) => view! { <Title text="Shift" /> <LoadError error=e /> }.into_any(),
                    Ok(d) => {
                        let shift = d.shift;
                        let cancelled = shift.status == ShiftStatus::Cancelled;
                        // A finished shift's sign-ups are its record: nobody is added, removed or promoted.
                        let over = d.over;
                        let waiting = d.signups.waiting;
                        // From its start on, who came is marked (not on a cancelled shift).
                        let marking = (d.started && !cancelled).then_some(attendance);
                        let attendance_summary = marking.map(|_| {
                            let (came, missed) = (d.signups.attended, d.signups.no_show);
                            view! {
                                <p class="mt-1 text-sm text-slate-700" data-testid="attendance-summary">
                                    {format!("Came: {came} · Didn't come: {missed} · Not marked: {}", shift.signed_up - came - missed)}
                                </p>
                            }
                        });
                        let shift_id = shift.id.clone();
                        let cancel_controls = move || {
                            if cancelled || over {
                                ().into_any()
                            } else if confirm_cancel.get() {
                                let shift_id = shift_id.clone();
                                view! {
                                    <ActionForm action=cancel_shift attr:class="inline">
                                        <input type="hidden" name="shift_id" value=shift_id />
                                        <button type="submit" class="rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white">
                                            "Yes, cancel it and tell the volunteers"
                                        </button>
                                    </ActionForm>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700" on:click=move |_| confirm_cancel.set(true)>
                                        "Cancel this shift"
                                    </button>
                                }
                                    .into_any()
                            }
                        };
                        let series = shift.series_id.is_some();
                        let shown = shift.clone();
                        let delete_controls = move || {
                            let shown = shown.clone();
                            deleting.with(Option::is_none).then(|| view! {
                                <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700" on:click=move |_| deleting.set(Some((shown.clone(), over)))>
                                    "Delete shift"
                                </button>
                            })
                        };
                        view! {
                            <Title text=shift.title.clone() />
                            <p class="text-sm"><a href="/admin/shifts" class="text-indigo-700 hover:underline">"← Shifts"</a></p>
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{shift.title.clone()}</h1>
                            <p class="mt-1 text-slate-600">
                                {shift.with_place(shift.when())}
                                {series.then_some(" · part of a weekly series")}
                            </p>
                            <p class="mt-1 font-medium text-slate-900" data-testid="shift-summary">
                                {format!(
                                    "{}/{} signed up · {} waiting · {}",
                                    shift.signed_up,
                                    shift.capacity,
                                    waiting,
                                    shift.status_label(over),
                                )}
                            </p>
                            {attendance_summary}
                            <div class="mt-4 flex flex-wrap items-center gap-3">
                                <a href=format!("/api/shifts/{}/signups.csv", shift.id) rel="external" download="" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                                    "Download sign-ups (CSV)"
                                </a>
                                <a href=format!("/admin/shifts/{}/sheet", shift.id) class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                                    "Print sign-in sheet"
                                </a>
                                {(!cancelled && !over).then(|| {
                                    let shown = shift.clone();
                                    view! {
                                        <button class="rounded-md border border-slate-300 px-3 py-1.5 text-sm" on:click=move |_| {
                                            editing.update(|e| *e = if e.is_some() { None } else { Some(shown.clone()) })
                                        }>
                                            "Edit shift"
                                        </button>
                                    }
                                })}
                                <a href=format!("/admin/shifts?copy={}#new-shift", shift.id) class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                                    "Copy to a new shift"
                                </a>
                                {cancel_controls}
                                {delete_controls}
                            </div>
                            <p class="mt-2 text-sm text-red-600" data-testid="action-error">
                                {move || action_error.get().map(|e| e.to_string())}
                            </p>
                            <p class="mt-2 text-sm text-green-700" role="status" data-testid="resend-result">
                                {move || resend.value().get().and_then(Result::ok).map(|email| {
                                    format!("Emailed {email} their confirmation again, with a new cancel link.")
                                })}
                            </p>
                            <p class="mt-2 text-sm text-green-700" role="status" data-testid="move-result">
                                {move || move_to.value().get().and_then(Result::ok).map(|moved| {
                                    let standing = if moved.waitlisted { "on its waitlist, as it is full" } else { "signed up" };
                                    let told = if moved.emailed {
                                        "They were emailed the details."
                                    } else {
                                        "Email is not set up yet (Settings), so tell them yourself; the email waits until it is. Their cancel link still works, now for this shift."
                                    };
                                    format!("Moved {} to {} ({}): {standing}. {told}", moved.name, moved.shift_title, moved.shift_when)
                                })}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        // The forms are drawn outside the live parts (or once, in the last part). Drawn again
        // by a live update, a form opened by a button would be emptied of what an organiser is
        // typing (a volunteer signed up meanwhile), and any form would take the newer `edits`.
        {move || deleting.get().map(|(shift, over)| view! {
            <ActionForm action=delete attr:class="mt-4 max-w-xl space-y-3 rounded-lg border border-red-200 bg-red-50 p-4" attr:data-testid="delete-form">
                <input type="hidden" name="shift_id" value=shift.id />
                <p class="text-sm text-red-900">
                    "Deleting removes the shift and its sign-ups for good"
                    {if over { "." } else { "; signed-up volunteers are told it is cancelled." }}
                </p>
                <ScopeChoice series=shift.series_id.is_some() />
                <div class="flex gap-3">
                    <button type="submit" class="rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white">"Yes, delete"</button>
                    <button type="button" class="text-sm text-slate-700" on:click=move |_| deleting.set(None)>"Keep it"</button>
                </div>
            </ActionForm>
        })}
        {move || editing.get().map(|shift| {
            let series = shift.series_id.is_some();
            view! {
                <section class="mt-6 max-w-xl rounded-lg bg-white p-6 shadow-sm">
                    <h2 class="text-lg font-semibold text-slate-900">"Edit shift"</h2>
                    <TimesAreIn />
                    <ActionForm action=update attr:class="mt-4 space-y-4" attr:novalidate=true>
                        <input type="hidden" name="shift_id" value=shift.id.clone() />
                        // Saved, the form closes: the next edit opens from the saved shift.
                        <crate::ui::EditsField opened=shift.edits saved=Signal::stored(None) />
                        <FormError error=update_error />
                        <ShiftFields shift=Some(shift) with_date=true error=update_error />
                        <ScopeChoice series=series />
                        <p class="text-sm text-slate-600">"If the time or place changes, everyone signed up or waiting is emailed the new details."</p>
                        <div class="flex gap-3">
                            <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white" disabled=move || update.pending().get()>
                                {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                            </button>
                            <button type="button" class="text-sm text-slate-700" on:click=move |_| editing.set(None)>"Discard"</button>
                        </div>
                    </ActionForm>
                </section>
            }
        })}
        <Transition>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| {
                    let over = d.over;
                    let marking = (d.started && d.shift.status != ShiftStatus::Cancelled).then_some(attendance);
                    // Without email set up a resent email could not arrive: not offered.
                    let resend = d.email_set_up.then_some(resend);
                    let actions = RowActions { remove, promote, resend, move_to, confirm_removal, moving, move_from, move_targets };
                    view! { <SignupList shift_id=d.shift.id signups=d.signups search=search() changeable=!over actions=actions marking=marking /> }
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let shift_id = id();
                let series = crate::live::loaded_once(detail).await.ok()?.shift.series_id.is_some();
                // What the forms show follows the live updates without drawing them again.
                let current = move || detail.get().and_then(Result::ok);
                let takes_signups = move || current().is_some_and(|d| d.shift.status != ShiftStatus::Cancelled && !d.over);
                let counts = Signal::derive(move || current().map_or((0, 0), |d| (d.shift.signed_up, d.signups.waiting)));
                let add_to = shift_id.clone();
                Some(view! {
                    <Show when=takes_signups>
                        <AddVolunteer shift_id=add_to.clone() series add=add form=add_form error=add_error />
                    </Show>
                    <EmailVolunteers shift_id=shift_id counts=counts />
                })
            })}
        </Transition>
    }
}

/// A page of the shift's sign-ups with a search by name or email once there is more than
/// one page of them.
#[component]
fn SignupList(
    shift_id: String,
    signups: SignupPage,
    search: String,
    /// Whether sign-ups can be removed, promoted, moved and sent their email again (not once
    /// the shift is over).
    changeable: bool,
    actions: RowActions,
    /// Marks who came, once the shift has started.
    marking: Option<ServerAction<AdminSetAttendance>>,
) -> impl IntoView {
    let searching = !search.trim().is_empty();
    let (page, has_more) = (signups.page, signups.has_more);
    let search_form = (searching || page > 1 || has_more).then(|| {
        view! {
            <form method="get" class="mt-6 flex flex-wrap items-end gap-3" role="search">
                <label class="text-sm text-slate-700">
                    "Find a volunteer"
                    <input name="q" value=search.clone() placeholder="Name or email" class="mt-1 block w-64 rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
                </label>
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">"Search"</button>
                {searching.then(|| view! {
                    <a href=format!("/admin/shifts/{shift_id}") class="text-sm text-slate-600 hover:text-slate-900">"Show everyone"</a>
                })}
            </form>
        }
    });
    let empty = if searching {
        "Nobody signed up matches this search."
    } else if page > 1 {
        "There are no sign-ups on this page."
    } else {
        "Nobody has signed up yet."
    };
    let link = move |n: i64| match searching {
        true => format!("/admin/shifts/{shift_id}?q={}&page={n}", crate::ui::urlencode(&search)),
        false => format!("/admin/shifts/{shift_id}?page={n}"),
    };
    let list = if signups.signups.is_empty() {
        view! { <p class="mt-6 rounded-lg bg-white p-4 text-slate-600 shadow-sm">{empty}</p> }.into_any()
    } else {
        view! { <SignupTable signups=signups.signups elsewhere=signups.elsewhere changeable=changeable actions=actions marking=marking /> }
            .into_any()
    };
    view! {
        {search_form}
        {list}
        {crate::ui::pager("sign-ups", page, has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
    }
}

/// What an organiser can do to a sign-up on its row, made once by the shift's page (the table
/// is drawn again on every live update).
#[derive(Clone, Copy)]
struct RowActions {
    remove: ServerAction<AdminRemoveSignup>,
    promote: ServerAction<AdminPromoteSignup>,
    /// `None` while email is not set up.
    resend: Option<ServerAction<AdminResendConfirmation>>,
    move_to: ServerAction<AdminMoveSignup>,
    /// Which sign-up's removal waits for confirmation.
    confirm_removal: RwSignal<Option<String>>,
    /// Which sign-up's move is being chosen, and from which day (`YYYY-MM-DD`; empty, from now).
    moving: RwSignal<Option<String>>,
    move_from: RwSignal<String>,
    move_targets: LocalResource<Result<Option<MoveTargets>, AppError>>,
}

#[component]
fn SignupTable(
    signups: Vec<SignupView>,
    /// Where each volunteer is also on at the same time, by sign-up id (`SignupPage::elsewhere`).
    mut elsewhere: std::collections::HashMap<String, Vec<String>>,
    changeable: bool,
    actions: RowActions,
    marking: Option<ServerAction<AdminSetAttendance>>,
) -> impl IntoView {
    let RowActions { remove, promote, resend, move_to, confirm_removal, moving, move_from, .. } = actions;
    let columns = if marking.is_some() { 7 } else { 6 };
    let rows = signups
        .into_iter()
        .map(|s| {
            let id = s.id.clone();
            let control = move || {
                if !changeable {
                    ().into_any()
                } else if confirm_removal.get().as_deref() == Some(id.as_str()) {
                    let id = id.clone();
                    view! {
                        <ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="signup_id" value=id />
                            <button type="submit" class="rounded bg-red-600 px-2 py-1 text-sm font-semibold text-white">"Confirm removal"</button>
                        </ActionForm>
                    }
                        .into_any()
                } else {
                    let id = id.clone();
                    view! {
                        <button class="text-sm text-red-700 hover:underline" on:click=move |_| confirm_removal.set(Some(id.clone()))>
                            "Remove"
                        </button>
                    }
                        .into_any()
                }
            };
            // Someone waiting always has a place in line; the list holds no cancelled sign-ups.
            let source = SignupSource::parse(&s.source).map_or(s.source.clone(), |x| x.label().to_string());
            let status = match s.waitlist_position {
                Some(n) => format!("Waitlist, number {n}"),
                None => "Confirmed".to_string(),
            };
            let promote_control = (changeable && s.status == SignupStatus::Waitlisted).then(|| {
                let id = s.id.clone();
                view! {
                    <ActionForm action=promote attr:class="inline">
                        <input type="hidden" name="signup_id" value=id />
                        <button type="submit" class="mr-3 text-sm text-indigo-700 hover:underline" title="Confirms them now; a full shift gets one more spot">
                            "Promote"
                        </button>
                    </ActionForm>
                }
            });
            // For a volunteer who cannot find the email from their sign-up.
            let resend_control = resend.filter(|_| changeable).map(|resend| {
                let id = s.id.clone();
                view! {
                    <ActionForm action=resend attr:class="inline">
                        <input type="hidden" name="signup_id" value=id />
                        <button type="submit" class="mr-3 whitespace-nowrap text-sm text-indigo-700 hover:underline" title="Emails their confirmation again, with a new cancel link">
                            "Resend email"
                        </button>
                    </ActionForm>
                }
            });
            let move_control = changeable.then(|| {
                let id = s.id.clone();
                view! {
                    <button class="mr-3 text-sm text-indigo-700 hover:underline" title="Moves them to another shift and emails them" on:click=move |_| {
                        move_to.value().set(None);
                        move_from.set(String::new());
                        moving.set(Some(id.clone()));
                    }>
                        "Move"
                    </button>
                }
            });
            let move_row = {
                let (id, name) = (s.id.clone(), s.name.clone());
                move || {
                    (moving.get().as_deref() == Some(id.as_str())).then(|| {
                        view! { <MoveForm signup_id=id.clone() name=name.clone() columns actions /> }
                    })
                }
            };
            // Who came: a button each way, the marked one pressed; pressing it again clears it.
            let came = marking.map(|action| {
                let id = s.id.clone();
                let buttons = (s.status == SignupStatus::Confirmed).then(|| {
                    Attendance::ALL
                        .into_iter()
                        .map(|choice| {
                            let id = id.clone();
                            let pressed = s.attendance == Some(choice);
                            let value = if pressed { "" } else { choice.as_str() };
                            let class = if pressed {
                                "mr-2 rounded bg-slate-800 px-2 py-1 text-xs font-semibold text-white"
                            } else {
                                "mr-2 rounded border border-slate-300 px-2 py-1 text-xs text-slate-700"
                            };
                            view! {
                                <ActionForm action=action attr:class="inline">
                                    <input type="hidden" name="signup_id" value=id />
                                    <input type="hidden" name="attendance" value=value />
                                    <button type="submit" class=class aria-pressed=pressed.to_string()>{choice.label()}</button>
                                </ActionForm>
                            }
                        })
                        .collect_view()
                });
                view! { <td class=TD>{buttons}</td> }
            });
            let double_booked = elsewhere.remove(&s.id).map(|shifts| {
                view! {
                    <span class="block text-xs text-amber-800" data-testid="also-on">
                        "Also on at this time: " {shifts.join("; ")}
                    </span>
                }
            });
            // A phone number to call from a phone, at the shift.
            let phone = s.phone.filter(|p| !p.is_empty()).map(|p| {
                let tel = format!("tel:{}", p.replace(' ', ""));
                view! { <a href=tel class="whitespace-nowrap text-indigo-700 hover:underline">{p}</a> }
            });
            view! {
                <tr data-testid="signup-row">
                    <td class=TD>
                        {s.name}
                        {double_booked}
                        // On a narrow screen the email and phone columns are hidden: shown here.
                        <span class=PHONE_ONLY>{s.email.clone()}</span>
                        <span class="block text-xs md:hidden">{phone.clone()}</span>
                    </td>
                    <td class=format!("{TD} {WIDE_ONLY}")>{s.email}</td>
                    <td class=format!("{TD} {WIDE_ONLY}")>{phone}</td>
                    <td class=TD>{status}</td>
                    <td class=format!("{TD} {WIDE_ONLY}")>
                        {s.signed_up}
                        <span class="block text-xs text-slate-600">{source}</span>
                    </td>
                    {came}
                    <td class=TD>{promote_control}{resend_control}{move_control}{control}</td>
                </tr>
                {move_row}
            }
            // Named types this deep overflow the compiler's limit in the release build.
            .into_any()
        })
        .collect_view();
    view! {
        <section class="mt-6 overflow-x-auto rounded-lg bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead>
                    <tr>
                        <th class=TH>"Name"</th>
                        <th class=format!("{TH} {WIDE_ONLY}")>"Email"</th>
                        <th class=format!("{TH} {WIDE_ONLY}")>"Phone"</th>
                        <th class=TH>"Status"</th>
                        <th class=format!("{TH} {WIDE_ONLY}")>"Signed up"</th>
                        {marking.map(|_| view! { <th class=TH>"Came?"</th> })}
                        <th class=TH><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </section>
    }
}

/// The row under a sign-up where an organiser chooses the shift to move them to.
#[component]
fn MoveForm(signup_id: String, name: String, columns: u32, actions: RowActions) -> impl IntoView {
    let RowActions { move_to, moving, move_from, move_targets, .. } = actions;
    let error = move || {
        last_error(move_to.value())
            .get()
            .map(|e| e.field_message("to_shift_id").unwrap_or_else(|| e.to_string()))
    };
    let choices = move || {
        let (signup_id, name) = (signup_id.clone(), name.clone());
        Suspend::new(async move {
            let MoveTargets { shifts, more } = match move_targets.await {
                Err(e) => return view! { <LoadError error=e /> }.into_any(),
                Ok(targets) => targets.unwrap_or_default(),
            };
            if shifts.is_empty() {
                let none = if move_from.get_untracked().is_empty() {
                    "There is no other shift to move them to: every other shift is over or cancelled. "
                } else {
                    "No other shift from that day on takes sign-ups. "
                };
                return view! {
                    <p class="max-w-xs text-sm text-slate-700 md:max-w-xl" data-testid="move-none">
                        {none}
                        <button type="button" class="text-indigo-700 hover:underline" on:click=move |_| moving.set(None)>"Close"</button>
                    </p>
                }
                    .into_any();
            }
            let more = more.then(|| view! {
                <p class="max-w-xs text-xs text-slate-600 md:max-w-xl" data-testid="move-more">
                    {format!("The first {MOVE_TARGETS_MAX} are listed: for a later one, choose a later day above.")}
                </p>
            });
            let options = shifts
                .into_iter()
                .map(|shift| {
                    let room = match shift.capacity - shift.signed_up {
                        n if n <= 0 => "full, waitlist".to_string(),
                        n => format!("{n} of {} spots left", shift.capacity),
                    };
                    let private = if shift.is_public { "" } else { ", not public" };
                    let label = format!(
                        "{}, {} · {} ({room}{private})",
                        shift.local_day(),
                        shift.times(),
                        shift.title
                    );
                    view! { <option value=shift.id>{label}</option> }
                })
                .collect_view();
            view! {
                <ActionForm action=move_to attr:class="flex flex-wrap items-end gap-3">
                    <input type="hidden" name="signup_id" value=signup_id />
                    <label class="text-sm text-slate-700">
                        {format!("Move {name} to")}
                        <select name="to_shift_id" required class="mt-1 block w-full max-w-xs rounded-md md:max-w-md border border-slate-300 px-2 py-1.5 text-sm" aria-describedby="move-error">
                            <option value="">"Choose a shift"</option>
                            {options}
                        </select>
                    </label>
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white" disabled=move || move_to.pending().get()>
                        {move || if move_to.pending().get() { "Moving…" } else { "Move" }}
                    </button>
                    <button type="button" class="text-sm text-slate-700" on:click=move |_| moving.set(None)>"Keep them here"</button>
                </ActionForm>
                {more}
            }
                .into_any()
        })
    };
    view! {
        <tr data-testid="move-row">
            <td colspan=columns class="bg-slate-50 px-3 py-3">
                <label class="mb-3 block text-sm text-slate-700">
                    "Shifts from"
                    <input type="date" class="ml-2 rounded-md border border-slate-300 px-2 py-1 text-sm" prop:value=move || move_from.get()
                        on:change=move |ev| move_from.set(event_target_value(&ev)) />
                </label>
                <Suspense fallback=|| view! { <p class="text-sm text-slate-600">"Loading the shifts…"</p> }>{choices}</Suspense>
                <p id="move-error" class="mt-2 max-w-xs text-sm text-red-600 md:max-w-xl" data-testid="move-error">{error}</p>
                <p class="mt-1 max-w-xs text-xs text-slate-600 md:max-w-xl">
                    "They are emailed the new shift's details and a new cancel link (while email is not set up, the link they have goes on working). A spot they leave goes to the first on the waitlist."
                </p>
            </td>
        </tr>
    }
}

#[component]
fn AddVolunteer(
    shift_id: String,
    /// The shift is one of a series: offer to add them to its later shifts too.
    series: bool,
    add: ServerAction<AdminAddSignup>,
    /// Emptied once a volunteer is added.
    form: NodeRef<leptos::html::Form>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Add a volunteer"</h2>
            <ActionForm action=add node_ref=form attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="shift_id" value=shift_id />
                <FormError error=error />
                <Field label="Name" name="form[name]" required=true maxlength=100 error=error />
                <Field label="Email" name="form[email]" kind="email" required=true error=error />
                <Field label="Phone (optional)" name="form[phone]" kind="tel" error=error />
                {series.then(|| view! {
                    <label class="flex items-start gap-2 text-slate-800">
                        <input type="checkbox" name="series" value="true" class="mt-1" />
                        <span>"Also add them to the later shifts of this series that are still to come"</span>
                    </label>
                })}
                <button type="submit" class=BUTTON_PRIMARY>"Add"</button>
            </ActionForm>
        </section>
    }
}

/// "Email all volunteers": one message to everyone signed up or waiting.
#[component]
fn EmailVolunteers(
    shift_id: String,
    /// How many are signed up and how many wait, as the live updates tell.
    counts: Signal<(i64, i64)>,
) -> impl IntoView {
    let send = ServerAction::<EmailShiftVolunteers>::new();
    // Whom it goes to: "" for everyone, or a sign-up status; the button counts them.
    let to = RwSignal::new(String::new());
    let signed_up = move || counts.get().0;
    let waiting = move || counts.get().1;
    let recipients = move || match to.get().as_str() {
        "CONFIRMED" => signed_up(),
        "WAITLISTED" => waiting(),
        _ => signed_up() + waiting(),
    };
    let error = last_error(send.value());
    // Emptied once sent, so that pressing the button again does not send it twice.
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(send.value(), form);
    Effect::new(move |_| {
        if matches!(send.value().get(), Some(Ok(_))) {
            to.set(String::new());
        }
    });
    let nobody = || view! { <p class="mt-4 text-sm text-slate-600">"Nobody to email: nobody is signed up or waiting."</p> };
    let anyone = move || signed_up() + waiting() > 0;
    let shift_id = StoredValue::new(shift_id);
    let body = view! {
        <Show when=anyone fallback=nobody>
            <ActionForm action=send node_ref=form attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="shift_id" value=shift_id.get_value() />
                <FormError error=error />
                <div>
                    <label for="field-to" class="block text-sm font-medium text-slate-700">"Send to"</label>
                    <select id="field-to" name="to" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">{move || format!("Everyone signed up or waiting ({})", signed_up() + waiting())}</option>
                        <option value="CONFIRMED">{move || format!("Only those signed up ({})", signed_up())}</option>
                        <option value="WAITLISTED">{move || format!("Only the waitlist ({})", waiting())}</option>
                    </select>
                </div>
                <Field label="Subject" name="subject" required=true maxlength=200 error=error />
                <TextArea label="Message" name="body" rows=5 maxlength=5000 error=error />
                <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get() || recipients() == 0>
                    {move || match send.pending().get() {
                        true => "Queuing…".to_string(),
                        false => format!("Send to {}", crate::ui::count(recipients(), "volunteer")),
                    }}
                </button>
            </ActionForm>
        </Show>
    };
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Email volunteers"</h2>
            <p class="text-sm text-slate-600">"To everyone signed up or on the waitlist, or to one of the two."</p>
            {body}
            <p class="mt-2 text-sm text-green-700" data-testid="email-result">
                {move || send.value().get().and_then(Result::ok).map(|n| {
                    format!("Queued {}: see the email queue.", crate::ui::count(n as i64, "email"))
                })}
            </p>
        </section>
    }
}

#[component]
pub fn MyShiftsPage() -> impl IntoView {
    let mine = Resource::new(|| (), |_| my_shifts());
    let me = Resource::new(|| (), |_| get_current_user());
    let cancel = ServerAction::<CancelMySignup>::new();
    let switch = ServerAction::<SwitchMySignup>::new();
    // The sign-up whose "Yes, cancel" shows, and whose other dates do: `?cancel=<id>`,
    // `?switch=<id>` before the page's code has loaded.
    let confirm = RwSignal::new(use_query_map().with_untracked(|q| q.get("cancel")));
    let switching = RwSignal::new(use_query_map().with_untracked(|q| q.get("switch")));
    Effect::new(move |_| {
        if cancel.value().get().is_some() || matches!(switch.value().get(), Some(Ok(_))) {
            confirm.set(None);
            switching.set(None);
            mine.refetch();
        }
    });
    view! {
        <Title text="My shifts" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"My shifts"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move { me.await.ok().flatten().map(|user| view! { <SignedInAs user=user /> }) })}
            </Suspense>
            <p class="mt-2 text-sm text-red-600">{move || last_error(cancel.value()).get().map(|e| e.to_string())}</p>
            <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mine.await {
                        Err(AppError::Unauthenticated) => {
                            #[cfg(feature = "ssr")]
                            crate::request::set_status(401);
                            view! {
                                <p class="mt-6 text-slate-700" data-testid="sign-in-first">
                                    <a href="/login?next=/my/shifts" class="font-semibold text-indigo-700 underline">"Sign in"</a>
                                    " to see the shifts you signed up for. Signed up without an account? The email we sent you has your private link to cancel."
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="mt-6 text-slate-600">
                                "You have no upcoming shifts. " <a href="/shifts" class="text-indigo-700 underline">"Find one"</a>
                            </p>
                            <NotSignedInWhenSigningUp />
                        }
                            .into_any(),
                        Ok(list) => {
                            let clashes: Vec<Vec<String>> = clashes_within(&list)
                                .into_iter()
                                .map(|others| others.into_iter().map(MySignup::clash_label).collect())
                                .collect();
                            view! {
                                <ul class="mt-6 space-y-3">
                                    {list.into_iter().zip(clashes).map(|(m, clashes)| {
                                        let id = m.signup_id.clone();
                                        let control = move || {
                                            if confirm.get().as_deref() == Some(id.as_str()) {
                                                let id = id.clone();
                                                view! {
                                                    <div class="flex items-center gap-3">
                                                        <ConfirmLink href="/my/shifts".to_string() class="text-sm text-slate-600 hover:underline" on_click=move || confirm.set(None)>
                                                            "Keep it"
                                                        </ConfirmLink>
                                                        <ActionForm action=cancel attr:class="inline">
                                                            <input type="hidden" name="signup_id" value=id />
                                                            <button type="submit" class="rounded bg-red-600 px-3 py-1 text-sm font-semibold text-white">"Yes, cancel"</button>
                                                        </ActionForm>
                                                    </div>
                                                }.into_any()
                                            } else {
                                                let id = id.clone();
                                                view! {
                                                    <ConfirmLink
                                                        href=format!("/my/shifts?cancel={id}")
                                                        class="text-sm text-red-700 hover:underline"
                                                        on_click=move || confirm.set(Some(id.clone()))
                                                    >
                                                        "Cancel"
                                                    </ConfirmLink>
                                                }.into_any()
                                            }
                                        };
                                        // A shift of a series offers its other dates instead.
                                        let change_date = m.shift.series_id.is_some().then(|| {
                                            let id = m.signup_id.clone();
                                            view! {
                                                <ConfirmLink
                                                    href=format!("/my/shifts?switch={id}")
                                                    class="text-sm text-indigo-700 hover:underline"
                                                    on_click=move || switching.set(Some(id.clone()))
                                                >
                                                    "Change date"
                                                </ConfirmLink>
                                            }
                                        });
                                        let id = m.signup_id.clone();
                                        let switch_form = move || {
                                            (switching.get().as_deref() == Some(id.as_str()))
                                                .then(|| view! { <MySwitchForm signup_id=id.clone() switch switching /> })
                                        };
                                        view! {
                                            <li class="rounded-lg bg-white p-4 shadow-sm" data-testid="my-shift">
                                                <div class="flex items-center justify-between gap-4">
                                                    <div>
                                                        <p class="font-semibold text-slate-900">{m.shift.title.clone()}</p>
                                                        <p class="text-sm text-slate-600">{m.shift.with_place(m.shift.when())}</p>
                                                        <p class="text-sm text-slate-700">{m.standing()}</p>
                                                    </div>
                                                    <div class="flex flex-col items-end gap-1">{change_date}{control}</div>
                                                </div>
                                                <ClashNotice heading="At the same time as:" clashes />
                                                {switch_form}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <NotSignedInWhenSigningUp />
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
            <CalendarFeed />
            <PastShiftList />
        </main>
    }
}

/// My shifts' word on sign-ups made with the account's email without signing in, which it
/// cannot list until their private link shows they are the volunteer's (`AddToMyShifts`).
#[component]
fn NotSignedInWhenSigningUp() -> impl IntoView {
    view! {
        <p class="mt-3 text-sm text-slate-600" data-testid="not-signed-in-hint">
            "Signed up without signing in? Open the private link in that email while signed in, and add the sign-up here."
        </p>
    }
}

/// The shifts a signed-in volunteer has done, under their upcoming ones; nothing when there
/// are none (or nobody is signed in: the page above says so).
#[component]
fn PastShiftList() -> impl IntoView {
    let past = Resource::new(|| (), |_| my_past_shifts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                past.await.ok().filter(|p| p.total > 0).map(|p| {
                    let shown = p.shifts.len() as i64;
                    view! {
                        <section class="mt-10" data-testid="past-shifts">
                            <h2 class="text-xl font-semibold text-slate-900">"Shifts you have done"</h2>
                            <p class="mt-1 text-sm text-slate-600">
                                {format!("{} so far. Thank you!", p.summary())}
                                {(p.total > shown).then(|| format!(" The latest {shown}:"))}
                            </p>
                            <ul class="mt-3 space-y-2">
                                {p.shifts.into_iter().map(|s| view! {
                                    <li class="rounded-lg bg-white px-4 py-3 shadow-sm" data-testid="past-shift">
                                        <p class="font-medium text-slate-900">{s.title.clone()}</p>
                                        <p class="text-sm text-slate-600">{s.with_place(s.when())}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

/// "Your shifts in your calendar" (signed in only): a private link calendar apps subscribe to,
/// made on request and shown once; a new one replaces it.
#[component]
fn CalendarFeed() -> impl IntoView {
    let made = Resource::new(|| (), |_| get_calendar_feed());
    let query = use_query_map();
    // `?calendar_link=<token>`: the browser made the link by itself (before the page's code had
    // loaded) and was sent back here to see it; shown only if it is the volunteer's current one.
    let made_by_browser = query.with_untracked(|q| q.get("calendar_link"));
    let shown = Resource::new(
        move || made_by_browser.clone(),
        |token| async move {
            match token {
                Some(token) => calendar_feed_link(token).await.ok(),
                None => None,
            }
        },
    );
    let make = ServerAction::<NewCalendarFeed>::new();
    // "Make a new link?" shows: `?new_link=1` before the page's code has loaded.
    let confirm = RwSignal::new(query.with_untracked(|q| q.get("new_link").is_some()));
    let button = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-semibold text-slate-800 hover:bg-slate-50";
    let made_form = move |label: &'static str| {
        view! {
            <ActionForm action=make attr:class="mt-3">
                <button type="submit" class=button>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // Nothing for visitors who are not signed in.
                let made = made.await.ok()?;
                let shown = shown.await;
                Some(view! {
                    <section id="calendar-feed" class="mt-10" data-testid="calendar-feed">
                        <h2 class="text-xl font-semibold text-slate-900">"Your shifts in your calendar"</h2>
                        {move || match make.value().get().and_then(Result::ok).or_else(|| shown.clone()) {
                            Some(url) => {
                                let webcal = url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1);
                                view! {
                                    <div class="mt-3 rounded-lg bg-white p-4 shadow-sm" data-testid="calendar-link">
                                        <label for="calendar-link" class="text-sm font-medium text-slate-800">"Your private calendar link"</label>
                                        <input id="calendar-link" readonly value=url class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs" />
                                        <p class="mt-2 text-sm text-slate-700">
                                            <a href=webcal class="font-semibold text-indigo-700 underline">"Open it in your calendar app"</a>
                                            ", or copy it into your calendar as a subscription (Google Calendar: Other calendars, From URL; Apple Calendar: New Calendar Subscription; Outlook: Subscribe from web). Your shifts appear there and follow every change."
                                        </p>
                                        <p class="mt-2 text-sm text-slate-700">"Keep it to yourself: anyone with it can see your shifts. It is shown only now; if you lose it, make a new one."</p>
                                    </div>
                                }.into_any()
                            }
                            _ => match made.clone() {
                                None => view! {
                                    <p class="mt-1 text-sm text-slate-600">"Get a private link that calendar apps subscribe to: your shifts appear in your calendar and stay up to date."</p>
                                    {made_form("Get my calendar link")}
                                }.into_any(),
                                Some(date) if confirm.get() => view! {
                                    <p class="mt-1 text-sm text-slate-700">{format!("A new link stops the one you made on {date} working. Make a new link?")}</p>
                                    {made_form("Yes, make a new link")}
                                }.into_any(),
                                Some(date) => view! {
                                    <p class="mt-1 text-sm text-slate-600">{format!("You made a calendar link on {date}. Lost it?")}</p>
                                    <div class="mt-3">
                                        <ConfirmLink href="/my/shifts?new_link=1#calendar-feed".to_string() class=button on_click=move || confirm.set(true)>
                                            "Make a new link"
                                        </ConfirmLink>
                                    </div>
                                }.into_any(),
                            },
                        }}
                        <p class="mt-2 text-sm text-red-600" role="alert">{move || last_error(make.value()).get().map(|e| e.to_string())}</p>
                    </section>
                })
            })}
        </Suspense>
    }
}

/// Who is signed in, with the way out (volunteers have no admin header to sign out from).
#[component]
fn SignedInAs(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3 text-sm text-slate-600" data-testid="signed-in-as">
            <span>"Signed in as " {user.display_name} " (" {user.email} ")"</span>
            <a href="/account" class="text-indigo-700 hover:underline">"Your account"</a>
            <ActionForm action=logout>
                <button type="submit" class="text-indigo-700 hover:underline">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

/// "Times are in Europe/London." under the shift forms: what the typed times mean.
#[component]
fn TimesAreIn() -> impl IntoView {
    let zone = Resource::new(|| (), |_| crate::admin::get_time_zone());
    view! {
        <p class="text-sm text-slate-600" data-testid="times-are-in">
            <Suspense fallback=|| "…">
                {move || Suspend::new(async move {
                    zone.await.map(|name| format!("Times are in {name} (set in Settings).")).unwrap_or_default()
                })}
            </Suspense>
        </p>
    }
}

/// When volunteers are reminded of their shifts, on the settings page.
#[component]
pub fn ReminderSettings() -> impl IntoView {
    let hours = Resource::new(|| (), |_| get_reminder_hours());
    let save = ServerAction::<SaveReminderHours>::new();
    let changed = RwSignal::new(false);
    let error = last_error(save.value());
    view! {
        <section class="mt-4 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Shift reminders"</h2>
            <p class="text-sm text-slate-600">
                "Everyone signed up for a shift is emailed a reminder before it starts, unless they signed up after that."
            </p>
            <Transition fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match hours.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(current) => view! {
                            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 flex flex-wrap items-end gap-3">
                                <div>
                                    <label for="reminder-hours" class="block text-sm font-medium text-slate-700">"Send reminders"</label>
                                    <select id="reminder-hours" name="hours" aria-describedby="reminder-hours-error" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                                        {REMINDER_CHOICES
                                            .iter()
                                            .map(|(h, label)| view! { <option value=h.to_string() selected=*h == current>{*label}</option> })
                                            .collect_view()}
                                    </select>
                                </div>
                                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white" disabled=move || save.pending().get()>
                                    "Save reminders"
                                </button>
                            </ActionForm>
                        }
                            .into_any(),
                    }
                })}
            </Transition>
            <p id="reminder-hours-error" class="mt-2 text-sm text-red-600">{move || error.get().map(|e| e.field_message("hours").unwrap_or_else(|| e.to_string()))}</p>
            <crate::ui::SavedNote saved=save.value() changed=changed class="mt-2" testid="reminders-result" />
        </section>
    }
}

/// On the admin dashboard: shifts of the coming week with spots left, to recruit for, read
/// again on each of the dashboard's `changes`. Nothing for those who do not manage shifts.
#[component]
pub fn ShiftsNeedingVolunteers(changes: RwSignal<u32>) -> impl IntoView {
    let shifts = Resource::new(move || changes.get(), |_| shifts_needing_volunteers());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                shifts.await.ok().map(|SoonShifts { shifts, more }| {
                    let td = "px-3 py-2 text-slate-700";
                    view! {
                        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="needing-volunteers">
                            <h2 class="text-lg font-semibold text-slate-900">
                                {format!("Shifts in the next {SOON_DAYS} days with spots to fill")}
                            </h2>
                            {if shifts.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-600">"None: every shift of the coming week is full, or there are none."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="mt-2 min-w-full text-sm">
                                        <tbody class="divide-y divide-slate-100">
                                            {shifts.into_iter().map(|s| view! {
                                                <tr data-testid="needing-shift">
                                                    <td class=td>
                                                        <a href=format!("/admin/shifts/{}", s.id) class="font-medium text-indigo-700 hover:underline">{s.title.clone()}</a>
                                                    </td>
                                                    <td class=td>{s.when()}</td>
                                                    <td class=td>{format!("{}/{} signed up · {} left", s.signed_up, s.capacity, s.spots_left())}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    {more.map(|href| view! {
                                        <a href=href class="mt-2 inline-block text-sm font-medium text-indigo-700 hover:underline" data-testid="needing-more">
                                            {format!("See all open shifts of the next {SOON_DAYS} days →")}
                                        </a>
                                    })}
                                }.into_any()
                            }}
                        </section>
                    }
                })
            })}
        </Transition>
    }
}
