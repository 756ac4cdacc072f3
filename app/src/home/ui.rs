use leptos::prelude::*;
use leptos_meta::Title;

use super::{LiveStats, get_organisation_name, load_home, load_live_stats};
use crate::ui::{AppErrorPage, SharedPageHead, page_title};
use crate::users::Role;

/// `/`: the organisation, and what a visitor can do there: volunteer, act on its active
/// campaigns, and give (only what is on offer), or go on to their own pages.
#[component]
pub fn HomePage() -> impl IntoView {
    let info = Resource::new(|| (), |_| load_home());
    let stats = Resource::new(|| (), |_| load_live_stats());
    // What the movement does shows as it happens, without a reload.
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) =
            set_interval_with_handle(move || stats.refetch(), std::time::Duration::from_secs(30))
        {
            on_cleanup(move || handle.clear());
        }
    }
    let primary = "rounded-md bg-indigo-600 px-5 py-2.5 font-semibold text-white hover:bg-indigo-500";
    let secondary =
        "rounded-md border border-indigo-600 px-5 py-2.5 font-semibold text-indigo-700 hover:bg-indigo-50";
    view! {
        <Suspense fallback=|| view! { <p class="p-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Err(e) => view! { <AppErrorPage error=e /> }.into_any(),
                    Ok(info) => {
                        let admin = info
                            .signed_in
                            .as_ref()
                            .is_some_and(|u| u.role.satisfies(Role::ADMIN_AREA));
                        let (own_page, own_label) = if admin {
                            ("/admin", "Go to the admin area")
                        } else if info.signed_in.is_some() {
                            ("/my/shifts", "My shifts")
                        } else {
                            ("/login", "Sign in")
                        };
                        let giving = info.giving;
                        view! {
                            // Its title is the organisation's name alone.
                            <Title formatter=|text: String| text />
                            <SharedPageHead title=info.organisation_name.clone() description=info.organisation_description.clone() />
                            <main id="main" class="min-h-screen bg-gradient-to-b from-indigo-50 to-white">
                                <div class="mx-auto max-w-3xl px-6 pb-12 pt-24 text-center">
                                    <h1 class="text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
                                        {info.organisation_name.clone()}
                                    </h1>
                                    <p class="mt-6 text-lg text-slate-600">{info.organisation_description.clone()}</p>
                                    <nav class="mt-10 flex flex-wrap justify-center gap-4">
                                        <a href="/shifts" class=secondary>"Volunteer shifts"</a>
                                        <a href="/events" class=secondary>"Events"</a>
                                        {info.stories.then(|| view! { <a href="/stories" class=secondary>"Impact stories"</a> })}
                                        {info.videos.then(|| view! { <a href="/videos" class=secondary>"Videos"</a> })}
                                        {giving.donations.then(|| view! { <a href="/donate" class=secondary>"Donate"</a> })}
                                        <a href=own_page class=primary>{own_label}</a>
                                    </nav>
                                </div>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move { stats.await.ok().map(impact) })}
                                </Transition>
                                {(!info.campaigns.is_empty()).then(|| view! {
                                    <section class="mx-auto max-w-3xl px-6 pb-12" data-testid="home-campaigns">
                                        <h2 class="text-2xl font-semibold text-slate-900">"Take action"</h2>
                                        <ul class="mt-4 grid gap-4 sm:grid-cols-2">
                                            {info.campaigns.into_iter().map(|c| {
                                                let link = format!("/campaigns/{}", c.slug);
                                                let act = if c.call_to_action.is_empty() { "Take part".to_string() } else { c.call_to_action };
                                                view! {
                                                    <li data-testid="home-campaign">
                                                        <a href=link class="block h-full rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-400">
                                                            <h3 class="font-semibold text-slate-900">{c.title}</h3>
                                                            <p class="mt-1 text-sm text-slate-600">{c.summary}</p>
                                                            <p class="mt-3 text-sm font-semibold text-indigo-700">{act} " →"</p>
                                                        </a>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    </section>
                                })}
                                {(giving.membership || giving.shop).then(|| view! {
                                    <section class="mx-auto max-w-3xl px-6 pb-16" data-testid="home-support">
                                        <h2 class="text-2xl font-semibold text-slate-900">"Support us"</h2>
                                        <nav class="mt-4 flex flex-wrap gap-4">
                                            {giving.membership.then(|| view! { <a href="/membership" class=secondary>"Become a member"</a> })}
                                            {giving.shop.then(|| view! { <a href="/shop" class=secondary>"Shop"</a> })}
                                        </nav>
                                    </section>
                                })}
                            </main>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// "Together so far": the counts that have begun, and the latest things people did; nothing
/// before the first.
fn impact(stats: LiveStats) -> Option<impl IntoView> {
    let counters: Vec<_> = stats.counters.into_iter().filter(|c| c.value > 0).collect();
    (!counters.is_empty()).then(|| {
        view! {
            <section class="mx-auto max-w-3xl px-6 pb-12" data-testid="home-impact">
                <h2 class="text-2xl font-semibold text-slate-900">"Together so far"</h2>
                <ul class="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
                    {counters.into_iter().map(|c| view! {
                        <li class="rounded-lg bg-white p-4 text-center shadow-sm ring-1 ring-slate-200" data-testid="home-counter">
                            <span class="block text-3xl font-bold text-indigo-700">{crate::ui::thousands(c.value)}</span>
                            <span class="text-sm text-slate-600">{c.label}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <ul class="mt-4 space-y-1 text-sm text-slate-700" aria-label="Latest">
                    {stats.latest.into_iter().map(|item| view! {
                        <li data-testid="home-latest">{item.text} <span class="text-slate-600">{format!(" · {}", item.ago)}</span></li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// The header of the volunteer's pages: the organisation's name (a link home) and the links
/// between the pages. It shows nothing about the visitor, so a cached `/shifts` is right for
/// everyone; "My shifts" asks an anonymous visitor to sign in.
#[component]
pub fn PublicHeader() -> impl IntoView {
    let name = Resource::new(|| (), |_| get_organisation_name());
    let link = "text-slate-600 hover:text-indigo-700";
    view! {
        <header class="border-b border-slate-200 bg-white">
            // On a phone the links go under the name, in as many lines as they need.
            <div class="mx-auto flex max-w-3xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3">
                <a href="/" class="font-semibold text-slate-900 hover:text-indigo-700" data-testid="organisation">
                    // The name is read once: no closure around the `Suspend` (see `PublicShiftsPage`).
                    <Suspense fallback=|| "Home">
                        {Suspend::new(async move {
                            match name.await {
                                // The browser's title names the organisation too ("Volunteer shifts · Riverside Tenants").
                                Ok(name) => {
                                    let site = name.clone();
                                    view! { <Title formatter=move |text: String| page_title(&text, &site) /> {name} }.into_any()
                                }
                                Err(_) => "Home".into_any(),
                            }
                        })}
                    </Suspense>
                </a>
                <nav class="flex flex-wrap gap-x-5 gap-y-1 text-sm" aria-label="Site">
                    <a href="/shifts" class=link>"Shifts"</a>
                    <a href="/events" class=link>"Events"</a>
                    <a href="/stories" class=link>"Stories"</a>
                    <a href="/videos" class=link>"Videos"</a>
                    <a href="/canvass" class=link>"Canvass"</a>
                    <a href="/my/shifts" class=link>"My shifts"</a>
                </nav>
            </div>
        </header>
    }
}
