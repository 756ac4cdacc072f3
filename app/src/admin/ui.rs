//! The admin layout (navigation, signed-in user, sign out) and the dashboard.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

use super::{
    SaveOrganisation, SaveTimeZone, entry_of, get_organisation, get_time_zones, load_dashboard, nav_for,
    nav_groups_for,
};
use crate::auth::{CurrentUser, Logout, get_current_user};
use crate::ui::{AppErrorPage, Field, FormError};
use crate::users::Role;

/// Wraps every `/admin` page: only admin roles get in; others are sent to sign in (nobody
/// signed in) or shown "no access" (signed in without an admin role).
#[component]
pub fn AdminShell() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let location = use_location();
    // A `Suspend` of its own, not inside a `Suspense`: on the server a `Suspense` looks through
    // its children for data to wait for by drawing them again, several times, and here that
    // drew the whole page again each time, loading its data each time. Some copies were made
    // in a scope the server then dropped, so their server functions found no request and
    // answered "not signed in", and the browser could read that answer as the page's data.
    view! {
        {Suspend::new(async move {
            match user.await {
                Ok(Some(user)) if user.role.satisfies(Role::ADMIN_AREA) => {
                    view! { <AdminLayout user=user /> }.into_any()
                }
                Ok(Some(_)) => view! { <AppErrorPage error=crate::error::AppError::Forbidden /> }.into_any(),
                Ok(None) => {
                    // Back to the whole address once signed in, its query too: a ticket's
                    // scanned check-in link keeps its code.
                    let (path, search) = (location.pathname.get_untracked(), location.search.get_untracked());
                    let next = if search.is_empty() {
                        path
                    } else {
                        format!("{path}%3F{}", crate::ui::urlencode(&search))
                    };
                    view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
                }
                Err(e) => view! { <AppErrorPage error=e /> }.into_any(),
            }
        })}
    }
}

/// Whether the signed-in admin has one of `roles`: a page offers only what they may do.
pub fn signed_in_as(roles: &[Role]) -> bool {
    use_context::<CurrentUser>().is_some_and(|user| user.role.satisfies(roles))
}

/// An admin page only some admin roles may use: others get "No access" (403), as they do on
/// a page whose data they may not load.
#[component]
pub fn ForRoles(roles: &'static [Role], children: Children) -> impl IntoView {
    if signed_in_as(roles) {
        children().into_any()
    } else {
        view! { <crate::ui::LoadError error=crate::error::AppError::Forbidden /> }.into_any()
    }
}

#[component]
fn AdminLayout(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    let current = Memo::new(move |_| entry_of(&location.pathname.get()));
    let role = user.role;
    // By group, each under its heading, so that two dozen entries can be scanned.
    let links = move || {
        nav_groups_for(role)
            .into_iter()
            .map(|(heading, items)| {
                view! {
                    {heading.map(|heading| view! {
                        <p class="px-3 pt-3 pb-1 text-xs font-semibold tracking-wide text-slate-400 uppercase">{heading}</p>
                    })}
                    {items.into_iter().map(|item| {
                        let href = item.href;
                        view! {
                            <a
                                href=href
                                aria-current=move || if current.get() == Some(href) { "page" } else { "false" }
                                class="whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium text-slate-300 hover:bg-slate-700 hover:text-white aria-[current=page]:bg-slate-900 aria-[current=page]:text-white"
                            >
                                {item.label}
                            </a>
                        }
                    }).collect_view()}
                }
            })
            .collect_view()
    };
    let current_label = move || {
        current.get().and_then(|href| nav_for(role).find(|item| item.href == href)).map(|item| item.label)
    };
    let role_label = user.role.label();
    provide_context(user.clone());
    view! {
        <div class="min-h-screen bg-slate-100 md:flex print:bg-white">
            <aside class="bg-slate-800 md:w-60 md:shrink-0 print:hidden">
                <div class="px-4 py-3 md:py-5">
                    <a href="/admin" class="text-lg font-bold text-white">"Changemaker"</a>
                </div>
                // On a phone the entries are a menu behind a button that names the current page: a
                // `details`, so it opens before the page's code has loaded. Moving to a page closes it.
                <details class="px-2 pb-2 md:hidden" prop:open=move || { location.pathname.track(); false }>
                    <summary class="flex cursor-pointer list-none items-center justify-between rounded-md bg-slate-700 px-3 py-2 text-sm font-medium text-white">
                        <span>"Menu"</span>
                        <span class="text-slate-300">{current_label} <span aria-hidden="true">" ▾"</span></span>
                    </summary>
                    <nav aria-label="Admin" class="mt-1 flex flex-col gap-1">{links()}</nav>
                </details>
                <nav aria-label="Admin" class="hidden flex-col gap-1 px-2 pb-2 md:flex">{links()}</nav>
            </aside>
            <div class="flex min-w-0 flex-1 flex-col">
                <header class="flex items-center justify-end gap-4 border-b border-slate-200 bg-white px-4 py-3 print:hidden">
                    <div class="text-right text-sm">
                        <p class="font-medium text-slate-900" data-testid="signed-in-user">{user.display_name.clone()}</p>
                        <p class="text-slate-600">
                            {role_label} " · "
                            <a href="/account" class="text-indigo-700 underline hover:text-indigo-900">"Your account"</a>
                        </p>
                    </div>
                    <ActionForm action=logout>
                        <button
                            type="submit"
                            class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
                        >
                            "Sign out"
                        </button>
                    </ActionForm>
                </header>
                <main id="main" class="flex-1 p-4 md:p-8 print:p-0">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// What the dashboard's live parts follow, as far as `role` may watch: the week's shifts for
/// those who manage shifts, the coming events and their tickets for those who run events.
fn dashboard_topics(role: Role) -> Option<&'static str> {
    let shifts = role.satisfies(crate::shifts::MANAGERS);
    let events = role.satisfies(crate::ticketed_events::MANAGERS);
    match (shifts, events) {
        (true, true) => Some("/api/events/stream?topics=shift.*,ticket.*,ticketed-event.*"),
        (true, false) => Some("/api/events/stream?topics=shift.*"),
        (false, true) => Some("/api/events/stream?topics=ticket.*,ticketed-event.*"),
        (false, false) => None,
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| load_dashboard());
    let user = use_context::<CurrentUser>();
    // One stream for the page's live parts, not one each: a browser holds few connections
    // per server (six over plain HTTP/1.1, for all its tabs).
    let changes = RwSignal::new(0_u32);
    if let Some(topics) = user.as_ref().and_then(|u| dashboard_topics(u.role)) {
        crate::live::on_change(topics, move || changes.update(|n| *n += 1));
    }
    view! {
        <Title text="Dashboard" />
        <h1 class="text-2xl font-bold text-slate-900">"Dashboard"</h1>
        <p class="mt-1 text-slate-600">
            "Welcome, " {user.map(|u| u.display_name)} "."
        </p>
        // What waits for someone first, then the week's shifts and events, what happened in the
        // last seven days, then the accounts.
        <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(summary) => summary.needs_attention.map(|items| view! { <NeedsAttention items /> }).into_any(),
                }
            })}
        </Suspense>
        <crate::shifts::ui::ShiftsNeedingVolunteers changes />
        <crate::ticketed_events::ui::ComingEvents changes />
        <Suspense>
            {move || Suspend::new(async move {
                match summary.await {
                    // Said once, above.
                    Err(_) => ().into_any(),
                    Ok(summary) => view! {
                        {(!summary.last_week.is_empty()).then(|| view! { <LastWeek lines=summary.last_week.clone() /> })}
                        <section class="mt-6">
                            <h2 class="text-lg font-semibold text-slate-900">
                                {summary.organisation_name.clone()} " — accounts"
                            </h2>
                            <dl class="mt-3 grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6">
                                {summary
                                    .accounts
                                    .into_iter()
                                    .map(|c| view! {
                                        <div class="rounded-lg bg-white p-4 shadow-sm">
                                            <dt class="text-sm text-slate-600">{c.role.label()}</dt>
                                            <dd class="mt-1 text-2xl font-semibold text-slate-900">{c.count}</dd>
                                        </div>
                                    })
                                    .collect_view()}
                            </dl>
                        </section>
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

/// What waits for this admin, each a link to where it is dealt with.
#[component]
fn NeedsAttention(items: Vec<super::DashboardLine>) -> impl IntoView {
    view! {
        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="needs-attention">
            <h2 class="text-lg font-semibold text-slate-900">"Needs attention"</h2>
            {if items.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"Nothing is waiting for you."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-1 text-sm">
                        {items.into_iter().map(|item| view! {
                            <li><a href=item.href class="text-indigo-700 hover:underline">{item.text}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// What happened in the last seven days, each line a link to where it is followed.
#[component]
fn LastWeek(lines: Vec<super::DashboardLine>) -> impl IntoView {
    view! {
        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="last-week">
            <h2 class="text-lg font-semibold text-slate-900">"The last seven days"</h2>
            <ul class="mt-2 space-y-1 text-sm">
                {lines.into_iter().map(|line| view! {
                    <li><a href=line.href class="text-indigo-700 hover:underline">{line.text}</a></li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The organisation's name and the line on what it does, on the settings page: the public
/// pages show them, and links to the home page shared in a chat or on social media.
#[component]
pub fn OrganisationSettings() -> impl IntoView {
    let organisation = Resource::new(|| (), |_| get_organisation());
    let save = ServerAction::<SaveOrganisation>::new();
    let changed = RwSignal::new(false);
    let error = crate::ui::last_error(save.value());
    view! {
        <section class="mt-4 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Organisation"</h2>
            <p class="text-sm text-slate-600">
                "The public pages show its name; the home page, and links to it shared in a chat or on social media, show the description too."
            </p>
            <Transition fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match organisation.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(current) => view! {
                            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                                <FormError error=error />
                                <crate::ui::EditsField name="edits" opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                                <Field label="Name" name="organisation_name" value=current.name required=true maxlength=120 error=error />
                                <Field label="Description (one line)" name="description" value=current.description required=true maxlength=200 error=error />
                                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white" disabled=move || save.pending().get()>
                                    "Save organisation"
                                </button>
                            </ActionForm>
                        }
                            .into_any(),
                    }
                })}
            </Transition>
            <crate::ui::SavedNote saved=save.value() changed=changed class="mt-2" testid="organisation-result" />
        </section>
    }
}

/// Where the links the server sends out lead, on the settings page, with a warning when only
/// the server's own machine can open them (`CHANGEMAKER_PUBLIC_URL` left at its default).
#[component]
pub fn PublicAddressSettings() -> impl IntoView {
    let address = Resource::new(|| (), |_| super::get_public_address());
    view! {
        <section id="public-address" class="mt-4 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"This site's address"</h2>
            <Transition fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match address.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(address) => view! {
                            <p class="mt-2 text-sm text-slate-700" data-testid="public-address">
                                "Links in emails, calendar files, QR codes and posts to other services start with "
                                <code class="break-all">{address.url}</code>
                                ". The server reads it from CHANGEMAKER_PUBLIC_URL when it starts."
                            </p>
                            {address.unreachable_from.map(|host| view! {
                                <p class="mt-2 text-sm font-medium text-red-700" role="alert" data-testid="public-address-warning">
                                    {format!("Only the server's own machine can open that address, but this page was opened at {host}. Until CHANGEMAKER_PUBLIC_URL is set to the address people use (and the server restarted), cancel links, ticket QR codes and password links lead nowhere.")}
                                </p>
                            })}
                        }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The organisation's time zone, on the settings page: shifts are typed and shown in it.
#[component]
pub fn TimeZoneSettings() -> impl IntoView {
    let zones = Resource::new(|| (), |_| get_time_zones());
    let save = ServerAction::<SaveTimeZone>::new();
    let changed = RwSignal::new(false);
    let error = crate::ui::last_error(save.value());
    // Typed text narrowing the ~600 zones; the first match is then the one selected.
    let find = RwSignal::new(String::new());
    view! {
        <section class="mt-4 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Time zone"</h2>
            <p class="text-sm text-slate-600">
                "Shifts are typed and shown in this time zone. Shifts made before a change keep their times."
            </p>
            <Transition fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match zones.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(zones) => {
                            let options = move || {
                                let find = find.get().trim().to_lowercase().replace(' ', "_");
                                zones
                                    .names
                                    .iter()
                                    .filter(|name| name.to_lowercase().contains(&find))
                                    .map(|name| {
                                        let selected = *name == zones.current;
                                        view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                                    })
                                    .collect_view()
                            };
                            view! {
                                <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 flex flex-wrap items-end gap-3">
                                    <div>
                                        <label for="time-zone-find" class="block text-sm font-medium text-slate-700">"Find a time zone"</label>
                                        <input id="time-zone-find" type="search" placeholder="e.g. London" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:input=move |ev| find.set(event_target_value(&ev)) />
                                    </div>
                                    <div>
                                        // A label of its own: wrapped around the select, it would be named by every option.
                                        <label for="time-zone" class="block text-sm font-medium text-slate-700">"Time zone"</label>
                                        <select id="time-zone" name="time_zone" aria-describedby="time-zone-error" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                                            {options}
                                        </select>
                                    </div>
                                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white" disabled=move || save.pending().get()>
                                        "Save time zone"
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <p id="time-zone-error" class="mt-2 text-sm text-red-600">{move || error.get().map(|e| e.field_message("time_zone").unwrap_or_else(|| e.to_string()))}</p>
            <crate::ui::SavedNote saved=save.value() changed=changed class="mt-2" testid="time-zone-result" />
        </section>
    }
}
