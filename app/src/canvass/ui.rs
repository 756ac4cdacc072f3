//! Canvassing pages: `/canvass`, where a signed-in volunteer walks a session (on a turf or the
//! whole list) and records each door; `/admin/canvass`, the sessions, the turfs and the address
//! list (with a box and a file to add addresses); an address's page with its visits, to
//! correct or delete it; and a turf's page, to ask canvassers to walk it, change it or delete it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    AddAddresses, AddDoor, Address, AddressFilter, AssignTurf, DeleteAddress, DeleteTurf, EndSession,
    ImportAddresses, LastVisit, NOT_VISITED, Outcome, RecordVisit, Results, SaveAddress, SaveTurf,
    StartSession, Turf, UnassignTurf, UndoVisit, get_address, get_turf, get_walk, list_addresses,
    list_sessions, list_turfs,
};
use crate::error::AppError;
use crate::ui::style::{CARD, PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{Field, FormError, LoadError, TextArea, last_error};

/// "Supporter (2026-12-01)", or "Not visited yet".
fn last_visit(address: &Address) -> String {
    match (address.last_outcome, &address.last_visited) {
        (Some(outcome), Some(day)) => format!("{} ({day})", outcome.label()),
        _ => "Not visited yet".to_string(),
    }
}

/// "An organiser asked you to canvass High St, Elm Rd.", when they did.
fn yours_line(walk: &super::Walk) -> Option<impl IntoView + use<>> {
    let names: Vec<String> =
        walk.turfs.iter().filter(|t| walk.yours.contains(&t.id)).map(|t| t.name.clone()).collect();
    (!names.is_empty()).then(|| {
        let text = format!("An organiser asked you to canvass {}.", names.join(", "));
        view! { <p class="mt-2 font-medium text-slate-900" data-testid="turfs-yours">{text}</p> }
    })
}

/// "12 addresses, 5 done, 7 to knock on".
fn turf_progress(turf: &Turf) -> String {
    format!(
        "{}, {} done, {} to knock on",
        crate::ui::count(turf.addresses, "address"),
        turf.done,
        turf.addresses - turf.done
    )
}

/// The organiser's address list at `page`, found as `filter` is, narrowed to last outcome
/// `outcome` (empty: any).
fn admin_list_link(filter: &AddressFilter, outcome: &str, page: i64) -> String {
    format!(
        "/admin/canvass?q={}&turf={}&outcome={outcome}&page={page}",
        crate::ui::urlencode(&filter.search),
        crate::ui::urlencode(&filter.turf)
    )
}

/// Every address the list finds as `filter` does, as CSV (`/api/canvass/addresses.csv`).
fn csv_link(filter: &AddressFilter) -> String {
    format!(
        "/api/canvass/addresses.csv?search={}&turf={}&outcome={}",
        crate::ui::urlencode(&filter.search),
        crate::ui::urlencode(&filter.turf),
        crate::ui::urlencode(&filter.outcome)
    )
}

/// How the addresses found stand, by last outcome: each count a link narrowing the list to it,
/// the one shown marked.
#[component]
fn ResultsBar(results: Results, filter: AddressFilter) -> impl IntoView {
    let total = results.not_visited + results.by_outcome.iter().map(|(_, n)| n).sum::<i64>();
    let entries = std::iter::once(("", "Any outcome".to_string(), total))
        .chain(results.by_outcome.into_iter().map(|(o, n)| (o.as_str(), o.label().to_string(), n)))
        .chain(std::iter::once((NOT_VISITED, "Not visited yet".to_string(), results.not_visited)));
    view! {
        <nav aria-label="Last outcome" class="mt-4 flex flex-wrap gap-2 text-sm" data-testid="results">
            {entries.map(|(value, label, n)| {
                let current = filter.outcome == value;
                let style = if current {
                    "rounded-full bg-indigo-700 px-3 py-1 font-semibold text-white"
                } else {
                    "rounded-full bg-white px-3 py-1 text-slate-800 shadow-sm hover:bg-slate-100"
                };
                view! {
                    <a href=admin_list_link(&filter, value, 1) class=style aria-current=current.then_some("page")>
                        {format!("{label}: {}", crate::ui::thousands(n))}
                    </a>
                }
            }).collect_view()}
        </nav>
    }
}

/// The search box above an address list, sent as `?q=` (with the turf the list is narrowed to).
#[component]
fn AddressSearch(
    action: &'static str,
    #[prop(into)] search: Signal<String>,
    #[prop(optional, into)] turf: Signal<String>,
    #[prop(optional, into)] outcome: Signal<String>,
) -> impl IntoView {
    view! {
        <form method="get" action=action class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            {move || { let turf = turf.get(); (!turf.is_empty()).then(|| view! { <input type="hidden" name="turf" value=turf /> }) }}
            {move || { let outcome = outcome.get(); (!outcome.is_empty()).then(|| view! { <input type="hidden" name="outcome" value=outcome /> }) }}
            <label class="text-sm text-slate-700">
                "Street or postal code contains"
                <input name="q" class=SMALL_INPUT value=move || search.get() />
            </label>
            <button type="submit" class=SMALL_BUTTON>"Find"</button>
        </form>
    }
}

fn filter_from_query() -> impl Fn() -> AddressFilter + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query.with(|q| AddressFilter {
            search: q.get("q").unwrap_or_default(),
            turf: q.get("turf").unwrap_or_default(),
            outcome: q.get("outcome").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    }
}

/// `/canvass`: start a session, record each door with what happened there, end the session.
#[component]
pub fn CanvassPage() -> impl IntoView {
    let filter = filter_from_query();
    let walk = Resource::new(filter, get_walk);
    let start = ServerAction::<StartSession>::new();
    let end = ServerAction::<EndSession>::new();
    let record = ServerAction::<RecordVisit>::new();
    let add_door = ServerAction::<AddDoor>::new();
    let undo = ServerAction::<UndoVisit>::new();
    Effect::new(move |_| {
        if start.version().get() + end.version().get() + undo.version().get() > 0 {
            walk.refetch();
        }
    });
    // Only a saved visit reloads the doors: a refused one leaves the page as it is, so that its
    // error stays under its door. (Reading start's version here as well would reload on every
    // answer once a session is started, and the reload replaces the door with the error.)
    // "Added …" says where the door went until the canvasser moves on: a visit recorded, or
    // the session ended.
    let door_added = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if matches!(record.value().get(), Some(Ok(_))) {
            door_added.set(None);
            walk.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(address)) = add_door.value().get() {
            door_added.set(Some(format!("Added {}: it is in the list below.", address.street)));
            walk.refetch();
        }
    });
    Effect::new(move |_| {
        if matches!(end.value().get(), Some(Ok(_))) {
            door_added.set(None);
        }
    });
    let ended = move || match end.value().get() {
        Some(Ok(session)) => Some(format!(
            "Session ended: {} knocked, {}. Thank you!",
            crate::ui::count(session.doors_knocked, "door"),
            crate::ui::count(session.conversations, "conversation")
        )),
        _ => None,
    };
    view! {
        <Title text="Canvassing" />
        <crate::home::ui::PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Canvassing"</h1>
            <p class="mt-2 text-sm text-green-700" role="status" data-testid="session-ended">{ended}</p>
            <p class="mt-2 text-sm text-green-700" role="status" data-testid="door-added">{move || door_added.get()}</p>
            <FormError error=last_error(start.value()) />
            <FormError error=last_error(end.value()) />
            <FormError error=last_error(undo.value()) />
            <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let current = filter();
                    match walk.await {
                        Err(AppError::Unauthenticated) => {
                            #[cfg(feature = "ssr")]
                            crate::request::set_status(401);
                            view! {
                                <p class="mt-6 text-slate-700" data-testid="sign-in-first">
                                    <a href="/login?next=/canvass" class="font-semibold text-indigo-700 underline">"Sign in"</a>
                                    " to canvass: your visits are recorded under your account."
                                </p>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(walk) => {
                            let open = walk.session.is_some();
                            let turf = walk.session.as_ref().and_then(|s| s.turf.clone());
                            let heading = match &walk.session {
                                Some(s) => view! {
                                    <section class=CARD aria-label="Your session">
                                        <p class="text-slate-800" data-testid="session-counts">
                                            {format!("Out since {}{}: {} knocked, {}.", s.started,
                                                s.turf.as_ref().map(|t| format!(" on {t}")).unwrap_or_default(),
                                                crate::ui::count(s.doors_knocked, "door"),
                                                crate::ui::count(s.conversations, "conversation"))}
                                        </p>
                                        {s.last_visit.clone().map(|last| view! { <LastVisitLine last=last undo=undo /> })}
                                        <ActionForm action=end attr:class="mt-3">
                                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold text-slate-800" disabled=move || end.pending().get()>"End session"</button>
                                        </ActionForm>
                                    </section>
                                }.into_any(),
                                None => view! {
                                    <section class=CARD aria-label="Start">
                                        <p class="text-slate-700">"Start a session when you are at the first door: each visit you record counts in it."</p>
                                        {yours_line(&walk)}
                                        <ActionForm action=start attr:class="mt-3 flex flex-wrap items-end gap-3">
                                            {(!walk.turfs.is_empty()).then(|| {
                                                let option = |t: &Turf| view! {
                                                    <option value=t.id.clone()>{format!("{} ({} to knock on)", t.name, t.addresses - t.done)}</option>
                                                };
                                                // Theirs come first, so the first of them is chosen.
                                                let (yours, others): (Vec<&Turf>, Vec<&Turf>) = walk.turfs.iter().partition(|t| walk.yours.contains(&t.id));
                                                let whole_list = view! { <option value="">"The whole list"</option> };
                                                view! {
                                                    <label class="text-sm text-slate-700">
                                                        "Turf"
                                                        <select name="turf_id" class=SMALL_INPUT>
                                                            {if yours.is_empty() {
                                                                view! { {whole_list} {others.into_iter().map(option).collect_view()} }.into_any()
                                                            } else {
                                                                view! {
                                                                    <optgroup label="Asked of you">{yours.into_iter().map(option).collect_view()}</optgroup>
                                                                    <optgroup label="Others">{whole_list} {others.into_iter().map(option).collect_view()}</optgroup>
                                                                }.into_any()
                                                            }}
                                                        </select>
                                                    </label>
                                                }
                                            })}
                                            <button type="submit" class=SMALL_BUTTON disabled=move || start.pending().get()>"Start canvassing"</button>
                                        </ActionForm>
                                    </section>
                                }.into_any(),
                            };
                            let searched = !current.search.trim().is_empty();
                            let link = move |n: i64| format!("/canvass?q={}&page={n}", crate::ui::urlencode(&current.search));
                            let list = if walk.to_visit.rows.is_empty() {
                                let empty = if searched {
                                    "No addresses to visit match.".to_string()
                                } else if let Some(turf) = turf {
                                    format!("Every door on {turf} is done or knocked on in this session. End the session when you are done.")
                                } else if open {
                                    "You have visited every address on the list. End the session when you are done.".to_string()
                                } else {
                                    "There are no addresses on the list yet. An organiser adds them.".to_string()
                                };
                                view! { <p class="mt-6 text-slate-600" data-testid="walk-empty">{empty}</p> }.into_any()
                            } else {
                                view! {
                                    <p class="mt-4 text-sm text-slate-700" data-testid="to-visit-count">
                                        {format!("{} to visit", crate::ui::count(walk.to_visit.count, "address"))}
                                    </p>
                                    <ul class="mt-2 space-y-3">
                                        {walk.to_visit.rows.into_iter().map(|a| view! { <DoorCard address=a open=open action=record /> }).collect_view()}
                                    </ul>
                                    {crate::ui::pager("addresses", walk.to_visit.page, walk.to_visit.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                                }.into_any()
                            };
                            view! {
                                {heading}
                                <AddressSearch action="/canvass" search=Signal::derive(move || filter().search) />
                                {list}
                                {open.then(|| view! { <DoorNotListed action=add_door /> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </main>
    }
}

/// The latest visit of the canvasser's session, with a button to take it back when it may be.
#[component]
fn LastVisitLine(last: LastVisit, undo: ServerAction<UndoVisit>) -> impl IntoView {
    let said = format!("Last recorded: {} at {}.", last.outcome.label(), last.street);
    let button_name = format!("Undo the visit to {}", last.street);
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3 text-sm text-slate-700">
            <p data-testid="last-visit">{said}</p>
            {if last.undoable {
                view! {
                    <ActionForm action=undo>
                        <input type="hidden" name="visit_id" value=last.id />
                        <button type="submit" aria-label=button_name class="rounded-md border border-slate-300 px-2 py-1 text-sm font-semibold text-slate-800"
                            disabled=move || undo.pending().get()>"Undo"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p class="text-slate-600">"Someone left their details there: an organiser can correct it."</p> }.into_any()
            }}
        </div>
    }
}

/// While a session is open: a door the canvasser found that is not on the list (a new
/// building, a flat), added to it so that the visit can be recorded.
#[component]
fn DoorNotListed(action: ServerAction<AddDoor>) -> impl IntoView {
    let error = last_error(action.value());
    view! {
        <details class=CARD open=move || error.get().is_some()>
            <summary class="cursor-pointer font-medium text-slate-900">"A door that is not on the list?"</summary>
            <ActionForm action=action attr:class="mt-3 grid gap-3" attr:novalidate=true>
                <FormError error=error />
                <Field label="Street" name="form[street]" required=true error=error />
                <div class="grid grid-cols-2 gap-3">
                    <Field label="City" name="form[city]" required=true error=error />
                    <Field label="Postal code" name="form[postal_code]" required=true error=error />
                </div>
                <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Add door"</button></div>
            </ActionForm>
        </details>
    }
}

/// One address to visit; while a session is open, the form to record what happened there.
/// The inputs' ids carry the address's id: the page lists many of these forms.
#[component]
fn DoorCard(address: Address, open: bool, action: ServerAction<RecordVisit>) -> impl IntoView {
    let id = address.id.clone();
    let this_one = {
        let id = id.clone();
        move || action.input().get().is_some_and(|input| input.form.address_id == id)
    };
    // The error shows under the form that was sent (the last one sent, once it has answered).
    let sent_here = RwSignal::new(false);
    Effect::new({
        let this_one = this_one.clone();
        move |_| {
            if action.pending().get() {
                sent_here.set(this_one());
            }
        }
    });
    let error = Signal::derive(move || if sent_here.get() { last_error(action.value()).get() } else { None });
    let message = move |field: &'static str| move || error.get().and_then(|e| e.field_message(field));
    let field_id = move |name: &str| format!("{name}-{id}");
    // Once a visit is saved the list is drawn again in the same elements: the next door's form
    // would show (and send) what was typed for this one.
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(action.value(), form);
    view! {
        <li class="rounded-lg bg-white p-4 shadow-sm" data-testid="door">
            <p class="font-medium text-slate-900">{format!("{}, {} {}", address.street, address.city, address.postal_code)}</p>
            <p class="text-sm text-slate-600">{format!("Last time: {}", last_visit(&address))}</p>
            {address.last_notes.clone().map(|notes| view! {
                <p class="mt-1 text-sm whitespace-pre-line text-slate-700" data-testid="door-notes">{format!("Notes left: {notes}")}</p>
            })}
            {open.then(|| view! {
                <ActionForm action=action node_ref=form attr:class="mt-3 grid gap-3" attr:novalidate=true>
                    <input type="hidden" name="form[address_id]" value=address.id.clone() />
                    <FormError error=error />
                    <div>
                        <label for=field_id("outcome") class="block text-sm font-medium text-slate-700">"What happened"</label>
                        <select id=field_id("outcome") name="form[outcome]" class=SMALL_INPUT aria-describedby=field_id("outcome-error")>
                            <option value="">"Choose…"</option>
                            {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                        </select>
                        <p id=field_id("outcome-error") class="mt-1 text-sm text-red-600" data-testid="error-outcome">{message("outcome")}</p>
                    </div>
                    <div>
                        <label for=field_id("notes") class="block text-sm font-medium text-slate-700">"Notes (optional)"</label>
                        <textarea id=field_id("notes") name="form[notes]" rows=2 class=SMALL_INPUT aria-describedby=field_id("notes-error")></textarea>
                        <p id=field_id("notes-error") class="mt-1 text-sm text-red-600">{message("notes")}</p>
                    </div>
                    <p class="text-sm text-slate-600">"If they want to hear from us, their name and email:"</p>
                    <div class="grid grid-cols-2 gap-3">
                        <div>
                            <label for=field_id("name") class="block text-sm font-medium text-slate-700">"Name"</label>
                            <input id=field_id("name") name="form[name]" autocomplete="off" class=SMALL_INPUT aria-describedby=field_id("name-error") />
                            <p id=field_id("name-error") class="mt-1 text-sm text-red-600">{message("name")}</p>
                        </div>
                        <div>
                            <label for=field_id("email") class="block text-sm font-medium text-slate-700">"Email"</label>
                            <input id=field_id("email") name="form[email]" type="email" autocomplete="off" class=SMALL_INPUT aria-describedby=field_id("email-error") />
                            <p id=field_id("email-error") class="mt-1 text-sm text-red-600" data-testid="error-email">{message("email")}</p>
                        </div>
                    </div>
                    <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save visit"</button></div>
                </ActionForm>
            })}
        </li>
    }
}

/// `/admin/canvass`: the sessions, latest first; the turfs; the address list found by street or
/// postal code, or narrowed to a turf; and a box to add addresses, one a line.
#[component]
pub fn AdminCanvassPage() -> impl IntoView {
    let filter = filter_from_query();
    let query = use_query_map();
    let sessions_page = move || query.with(|q| q.get("sessions").and_then(|p| p.parse().ok()).unwrap_or(1));
    let addresses = Resource::new(filter, list_addresses);
    let sessions = Resource::new(sessions_page, list_sessions);
    let turfs = Resource::new(|| (), |_| list_turfs());
    // Canvassers starting out, knocking on doors and coming back show without a reload.
    crate::live::on_change("/api/events/stream?topics=canvass.*", move || {
        sessions.refetch();
        addresses.refetch();
        turfs.refetch();
    });
    let add = ServerAction::<AddAddresses>::new();
    let add_error = last_error(add.value());
    let add_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(add.value(), add_form);
    Effect::new(move |_| {
        if add.version().get() > 0 {
            addresses.refetch();
        }
    });
    let added = move || match add.value().get() {
        Some(Ok(result)) => Some(result.summary()),
        _ => None,
    };
    view! {
        <Title text="Canvassing" />
        <div class="flex flex-wrap items-center gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Canvassing"</h1>
            <a href="/canvass" class="text-sm text-indigo-700 hover:underline">"Canvass yourself"</a>
        </div>
        <section class=CARD aria-labelledby="sessions-heading">
            <h2 id="sessions-heading" class="font-semibold text-slate-900">"Sessions"</h2>
            <Transition fallback=|| view! { <p class="mt-2 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(page) if page.rows.is_empty() => view! {
                            <p class="mt-2 text-slate-600" data-testid="sessions-empty">"No one has canvassed yet."</p>
                        }.into_any(),
                        Ok(page) => view! {
                            <div class="mt-2 overflow-x-auto">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Canvasser"</th><th class=format!("{TH} {WIDE_ONLY}")>"Started"</th><th class=format!("{TH} {WIDE_ONLY}")>"Ended"</th>
                                        <th class=TH>"Doors"</th><th class=TH>"Conversations"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|s| {
                                            let ended = s.ended.unwrap_or_else(|| "Still out".to_string());
                                            view! {
                                            <tr data-testid="session-row">
                                                <td class=TD>
                                                    {s.canvasser}
                                                    {s.turf.map(|t| view! { <span class="block text-xs text-slate-600">{format!("on {t}")}</span> })}
                                                    <span class=PHONE_ONLY>{format!("{} – {ended}", s.started)}</span>
                                                </td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{s.started.clone()}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{ended.clone()}</td>
                                                <td class=TD>{s.doors_knocked}</td>
                                                <td class=TD>{s.conversations}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("sessions", page.page, page.has_more, |n| format!("/admin/canvass?sessions={n}"), crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <TurfList turfs=turfs />
        <h2 class="mt-8 text-xl font-semibold text-slate-900">"Addresses"</h2>
        <AddressSearch action="/admin/canvass" search=Signal::derive(move || filter().search) turf=Signal::derive(move || filter().turf) outcome=Signal::derive(move || filter().outcome) />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let turf_id = filter().turf;
                if turf_id.is_empty() {
                    return None;
                }
                let name = turfs.await.ok().and_then(|all| all.into_iter().find(|t| t.id == turf_id)).map(|t| t.name);
                Some(view! {
                    <p class="mt-3 text-sm text-slate-700" data-testid="turf-filter">
                        {format!("In the turf {}. ", name.unwrap_or_else(|| "that was deleted".to_string()))}
                        <a href="/admin/canvass" class="text-indigo-700 underline">"Show every address"</a>
                    </p>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = filter();
                match addresses.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => {
                        let filtered = !current.search.trim().is_empty() || !current.turf.is_empty() || !current.outcome.is_empty();
                        let empty = if filtered { "No addresses match." } else { "No addresses yet. Add the ones to knock on below." };
                        let results = page.results.filter(|_| filtered).map(|r| view! { <ResultsBar results=r filter=current.clone() /> });
                        view! {
                            {results}
                            <p class="mt-6 text-slate-600" data-testid="addresses-empty">{empty}</p>
                        }.into_any()
                    }
                    Ok(page) => {
                        let results = page.results.clone().map(|r| view! { <ResultsBar results=r filter=current.clone() /> });
                        let csv = csv_link(&current);
                        let link = move |n: i64| admin_list_link(&current, &current.outcome, n);
                        view! {
                            {results}
                            <p class="mt-4 flex flex-wrap gap-4 text-sm text-slate-700">
                                <span data-testid="addresses-count">{crate::ui::count(page.count, "address")}</span>
                                <a href=csv rel="external" class="text-indigo-700 underline">"Download CSV"</a>
                            </p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Street"</th><th class=format!("{TH} {WIDE_ONLY}")>"City"</th><th class=format!("{TH} {WIDE_ONLY}")>"Postal code"</th>
                                        <th class=TH>"Last visit"</th><th class=format!("{TH} {WIDE_ONLY}")>"Supporter's details"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|a| {
                                            let details = if a.has_contact { " · supporter's details" } else { "" };
                                            view! {
                                            <tr data-testid="address-row">
                                                <td class=TD>
                                                    <a href=format!("/admin/canvass/addresses/{}", a.id) class="font-medium text-indigo-700 hover:underline">{a.street.clone()}</a>
                                                    <span class=PHONE_ONLY>{format!("{} {}{details}", a.city, a.postal_code)}</span>
                                                </td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{a.city.clone()}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{a.postal_code.clone()}</td>
                                                <td class=TD>{last_visit(&a)}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{if a.has_contact { "Yes" } else { "" }}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("addresses", page.page, page.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"Add addresses"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "One a line: street, city, postal code (\"Flat 2, 12 High St, Springfield, K1A 0B1\"). Up to 500 at a time; an address already on the list is not added twice."
            </p>
            <ActionForm action=add node_ref=add_form attr:class="mt-3 grid gap-3" attr:novalidate=true>
                <FormError error=add_error />
                <TextArea label="Addresses" name="lines" rows=6 error=add_error />
                <div><button type="submit" class=SMALL_BUTTON disabled=move || add.pending().get()>"Add addresses"</button></div>
                <p class="text-sm text-green-700" role="status" data-testid="addresses-added">{added}</p>
            </ActionForm>
            <AddressFile />
        </section>
    }
}

/// "Or choose a file": a city's list of addresses, too long for the box, added in the
/// background after a confirmation that counts them, under a progress bar.
#[component]
fn AddressFile() -> impl IntoView {
    let import = ServerAction::<ImportAddresses>::new();
    let too_big = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        crate::ui::read_chosen_file(&ev, move |lines: String| {
            too_big.set(lines.len() > crate::contacts::IMPORT_MAX_BYTES);
            if too_big.get_untracked() {
                return;
            }
            // A file that cannot be read is sent without asking: the server names what is
            // wrong with it, and adds nothing.
            let confirmed = match super::address_rows(&lines) {
                Ok(rows) => {
                    let question = format!(
                        "Add the {} of this file? Those already on the list are not added twice.",
                        crate::ui::count(rows.len() as i64, "address")
                    );
                    window().confirm_with_message(&question).unwrap_or(false)
                }
                Err(_) => true,
            };
            if confirmed {
                import.dispatch(ImportAddresses { lines });
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, import, too_big);
    };
    let problem = move || {
        if too_big.get() {
            return Some(format!("Choose a file of at most {}.", crate::contacts::IMPORT_MAX_TEXT));
        }
        match import.value().get() {
            Some(Err(e)) => Some(e.field_message("lines").unwrap_or_else(|| e.to_string())),
            _ => None,
        }
    };
    let job = move || match import.value().get() {
        Some(Ok(job)) if !too_big.get() => Some(view! { <crate::jobs::ui::JobProgress id=job /> }),
        _ => None,
    };
    view! {
        <label class="mt-4 block text-sm text-slate-700">
            {format!(
                "Or choose a file of them, one a line as above (or a spreadsheet's CSV of street, city and postal code): up to {} addresses (a city's list), added in the background.",
                crate::ui::thousands(super::FILE_MAX_LINES as i64),
            )}
            <input type="file" accept=".txt,.csv,text/plain,text/csv" class="mt-1 block text-sm" on:change=on_file
                disabled=move || import.pending().get() />
        </label>
        <p class="mt-2 text-sm text-red-600" role="alert" data-testid="address-file-error">{problem}</p>
        {job}
    }
}

/// `/admin/canvass/addresses/:id`: the address, its visits latest first, the form to correct
/// it, and Delete (after a confirmation; refused once it has visits).
#[component]
pub fn AdminAddressPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let detail = Resource::new(id, get_address);
    let save = ServerAction::<SaveAddress>::new();
    let changed = RwSignal::new(false);
    let save_error = last_error(save.value());
    let delete = ServerAction::<DeleteAddress>::new();
    let delete_error = last_error(delete.value());
    Effect::new(move |_| {
        if save.version().get() > 0 {
            detail.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/canvass");
    view! {
        <Title text="Address" />
        <p><a href="/admin/canvass" class="text-sm text-indigo-700 hover:underline">"← Canvassing"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(detail) => {
                        let a = detail.address;
                        let (delete_id, delete_street) = (a.id.clone(), a.street.clone());
                        let confirm_delete = move |_| {
                            let question = format!("Delete \"{delete_street}\" from the list? This cannot be undone.");
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                delete.dispatch(DeleteAddress { id: delete_id.clone() });
                            }
                        };
                        let visits = if detail.visits.is_empty() {
                            view! { <p class="mt-2 text-slate-600" data-testid="visits-empty">"No visits yet."</p> }.into_any()
                        } else {
                            view! {
                                <div class="mt-2 overflow-x-auto">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <thead><tr>
                                            <th class=TH>"When"</th><th class=format!("{TH} {WIDE_ONLY}")>"Canvasser"</th><th class=format!("{TH} {WIDE_ONLY}")>"Outcome"</th>
                                            <th class=TH>"Notes"</th><th class=TH>"Supporter"</th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {detail.visits.into_iter().map(|v| view! {
                                                <tr data-testid="visit-row">
                                                    <td class=TD>{v.visited}<span class=PHONE_ONLY>{format!("{} · {}", v.canvasser, v.outcome.label())}</span></td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{v.canvasser.clone()}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{v.outcome.label()}</td>
                                                    <td class="px-3 py-2 align-top whitespace-pre-line text-slate-700">{v.notes}</td>
                                                    <td class=TD>{v.contact.map(|(name, href)| view! { <a href=href class="text-indigo-700 hover:underline">{name}</a> })}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        };
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{a.street.clone()}</h1>
                            <p class="mt-1 text-slate-700">{format!("{} {}", a.city, a.postal_code)}</p>
                            <section class=CARD aria-labelledby="visits-heading">
                                <h2 id="visits-heading" class="font-semibold text-slate-900">"Visits"</h2>
                                {visits}
                            </section>
                            <section class=CARD>
                                <h2 class="font-semibold text-slate-900">"Correct the address"</h2>
                                <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
                                    <input type="hidden" name="id" value=a.id.clone() />
                                    <crate::ui::EditsField opened=a.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                                    <FormError error=save_error />
                                    <Field label="Street" name="form[street]" value=a.street.clone() required=true error=save_error />
                                    <div class="grid grid-cols-2 gap-3">
                                        <Field label="City" name="form[city]" value=a.city.clone() required=true error=save_error />
                                        <Field label="Postal code" name="form[postal_code]" value=a.postal_code.clone() required=true error=save_error />
                                    </div>
                                    <div><button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Save address"</button></div>
                                    <crate::ui::SavedNote saved=save.value() changed=changed />
                                </ActionForm>
                            </section>
                            <FormError error=delete_error />
                            <div class="mt-4">
                                <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_delete>"Delete address"</button>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The turfs on the organiser's page, each with how far its round has got, and the form to
/// make one.
#[component]
fn TurfList(turfs: Resource<Result<Vec<Turf>, AppError>>) -> impl IntoView {
    let save = ServerAction::<SaveTurf>::new();
    let save_error = last_error(save.value());
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(save.value(), form);
    Effect::new(move |_| {
        if save.version().get() > 0 {
            turfs.refetch();
        }
    });
    let saved = move || match save.value().get() {
        Some(Ok(turf)) => {
            Some(format!("Turf \"{}\" made: {}.", turf.name, crate::ui::count(turf.addresses, "address")))
        }
        _ => None,
    };
    view! {
        <section class=CARD aria-labelledby="turfs-heading">
            <h2 id="turfs-heading" class="font-semibold text-slate-900">"Turfs"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "A turf is the part of the list a canvasser walks in a round: the addresses whose street or postal code contains one of its areas. Canvassers choose one when they start, and each sees only the doors nobody on it has been to yet (a door where nobody was home stays to knock again)."
            </p>
            <Transition fallback=|| view! { <p class="mt-2 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match turfs.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="mt-2 text-slate-600" data-testid="turfs-empty">"No turfs yet: canvassers walk the whole list."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="mt-2 overflow-x-auto">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Turf"</th><th class=format!("{TH} {WIDE_ONLY}")>"Areas"</th>
                                        <th class=TH>"Progress"</th><th class=format!("{TH} {WIDE_ONLY}")>"Asked of"</th>
                                        <th class=format!("{TH} {WIDE_ONLY}")>"Out now"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {list.into_iter().map(|t| view! {
                                            <tr data-testid="turf-row">
                                                <td class=TD>
                                                    <a href=format!("/admin/canvass/turfs/{}", t.id) class="font-medium text-indigo-700 hover:underline">{t.name.clone()}</a>
                                                </td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{t.areas.join(", ")}</td>
                                                <td class=TD>{turf_progress(&t)}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{t.assigned.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ")}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{t.out_now}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <h3 class="mt-4 text-sm font-semibold text-slate-900">"New turf"</h3>
            <ActionForm action=save node_ref=form attr:class="mt-2 grid gap-3" attr:novalidate=true>
                <input type="hidden" name="id" value="" />
                <FormError error=save_error />
                <Field label="Turf name" name="form[name]" required=true error=save_error />
                <TextArea label="Streets or postal codes, one a line" name="form[areas]" rows=3 error=save_error />
                <div><button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Make turf"</button></div>
                <p class="text-sm text-green-700" role="status" data-testid="turf-saved">{saved}</p>
            </ActionForm>
        </section>
    }
}

/// `/admin/canvass/turfs/:id`: how far the turf's round has got, its addresses, the form to
/// change it, and Delete (after a confirmation; refused while someone walks it).
#[component]
pub fn AdminTurfPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let turf = Resource::new(id, get_turf);
    let save = ServerAction::<SaveTurf>::new();
    let changed = RwSignal::new(false);
    let save_error = last_error(save.value());
    let delete = ServerAction::<DeleteTurf>::new();
    let delete_error = last_error(delete.value());
    let assign = ServerAction::<AssignTurf>::new();
    let unassign = ServerAction::<UnassignTurf>::new();
    Effect::new(move |_| {
        if save.version().get() + assign.version().get() + unassign.version().get() > 0 {
            turf.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/canvass");
    view! {
        <Title text="Turf" />
        <p><a href="/admin/canvass" class="text-sm text-indigo-700 hover:underline">"← Canvassing"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match turf.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(t) => {
                        let (delete_id, delete_name) = (t.id.clone(), t.name.clone());
                        let confirm_delete = move |_| {
                            let question = format!("Delete the turf \"{delete_name}\"? Its addresses stay on the list, and its sessions keep their counts.");
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                delete.dispatch(DeleteTurf { id: delete_id.clone() });
                            }
                        };
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{t.name.clone()}</h1>
                            <p class="mt-1 text-slate-700" data-testid="turf-progress">
                                {turf_progress(&t)}
                                {(t.out_now > 0).then(|| format!("; {} out now", crate::ui::count(t.out_now, "canvasser")))}
                                ". "
                                <a href=format!("/admin/canvass?turf={}", t.id) class="text-indigo-700 underline">"Its addresses"</a>
                            </p>
                            <Canvassers turf=t.clone() assign unassign />
                            <section class=CARD>
                                <h2 class="font-semibold text-slate-900">"Change the turf"</h2>
                                <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
                                    <input type="hidden" name="id" value=t.id.clone() />
                                    <crate::ui::EditsField opened=t.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                                    <FormError error=save_error />
                                    <Field label="Turf name" name="form[name]" value=t.name.clone() required=true error=save_error />
                                    <TextArea label="Streets or postal codes, one a line" name="form[areas]" value=t.areas.join("\n") rows=4 error=save_error />
                                    <div><button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Save turf"</button></div>
                                    <crate::ui::SavedNote saved=save.value() changed=changed />
                                </ActionForm>
                            </section>
                            <FormError error=delete_error />
                            <div class="mt-4">
                                <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_delete>"Delete turf"</button>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The canvassers asked to walk a turf, each to take off (after a confirmation), and the form
/// asking one more by their account's email.
#[component]
fn Canvassers(
    turf: Turf,
    assign: ServerAction<AssignTurf>,
    unassign: ServerAction<UnassignTurf>,
) -> impl IntoView {
    let error = last_error(assign.value());
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(assign.value(), form);
    let list = if turf.assigned.is_empty() {
        view! { <p class="mt-2 text-sm text-slate-600" data-testid="assigned-none">"Nobody is asked yet: any canvasser may choose it."</p> }.into_any()
    } else {
        view! {
            <ul class="mt-2 space-y-1 text-sm">
                {turf.assigned.iter().map(|a| {
                    let (turf_id, user_id, turf_name, name) = (turf.id.clone(), a.user_id.clone(), turf.name.clone(), a.name.clone());
                    let confirm = move |_| {
                        let question = format!("Take {name} off {turf_name}? It is then no longer first on their canvassing page, and they are emailed.");
                        if window().confirm_with_message(&question).unwrap_or(false) {
                            unassign.dispatch(UnassignTurf { turf_id: turf_id.clone(), user_id: user_id.clone() });
                        }
                    };
                    view! {
                        <li data-testid="assigned">
                            {format!("{} ({})", a.name, a.email)}
                            <button type="button" class="ml-2 text-red-700 underline" aria-label=format!("Take {} off this turf", a.name)
                                disabled=move || unassign.pending().get() on:click=confirm>"Take off"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    view! {
        <section class=CARD aria-labelledby="canvassers-heading">
            <h2 id="canvassers-heading" class="font-semibold text-slate-900">"Canvassers asked to walk it"</h2>
            <p class="mt-1 text-sm text-slate-600">"It comes first on their canvassing page, and they are emailed."</p>
            {list}
            <FormError error=last_error(unassign.value()) />
            <ActionForm action=assign node_ref=form attr:class="mt-3 flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="turf_id" value=turf.id.clone() />
                <div class="min-w-64"><Field label="Their account's email" name="email" kind="email" required=true error=error /></div>
                <div><button type="submit" class=SMALL_BUTTON disabled=move || assign.pending().get()>"Ask them"</button></div>
            </ActionForm>
            <FormError error=error />
        </section>
    }
}
