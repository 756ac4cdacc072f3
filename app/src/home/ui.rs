use leptos::prelude::*;
use leptos_meta::Title;

use super::{get_organisation_name, load_home};
use crate::ui::AppErrorPage;
use crate::users::Role;

#[component]
pub fn HomePage() -> impl IntoView {
    let info = Resource::new(|| (), |_| load_home());
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
                        view! {
                            <Title text=info.organisation_name.clone() />
                            <main class="min-h-screen bg-gradient-to-b from-indigo-50 to-white">
                                <div class="mx-auto max-w-3xl px-6 py-24 text-center">
                                    <h1 class="text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
                                        {info.organisation_name.clone()}
                                    </h1>
                                    <p class="mt-6 text-lg text-slate-600">
                                        "Organising together: campaigns, volunteering and events."
                                    </p>
                                    <nav class="mt-10 flex flex-wrap justify-center gap-4">
                                        <a href="/shifts" class="rounded-md border border-indigo-600 px-5 py-2.5 font-semibold text-indigo-700 hover:bg-indigo-50">
                                            "Volunteer shifts"
                                        </a>
                                        {if admin {
                                            view! {
                                                <a href="/admin" class="rounded-md bg-indigo-600 px-5 py-2.5 font-semibold text-white hover:bg-indigo-500">
                                                    "Go to the admin area"
                                                </a>
                                            }
                                                .into_any()
                                        } else if info.signed_in.is_some() {
                                            view! {
                                                <a href="/my/shifts" class="rounded-md bg-indigo-600 px-5 py-2.5 font-semibold text-white hover:bg-indigo-500">
                                                    "My shifts"
                                                </a>
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <a href="/login" class="rounded-md bg-indigo-600 px-5 py-2.5 font-semibold text-white hover:bg-indigo-500">
                                                    "Sign in"
                                                </a>
                                            }
                                                .into_any()
                                        }}
                                    </nav>
                                </div>
                            </main>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
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
            <div class="mx-auto flex max-w-3xl items-center justify-between gap-4 px-4 py-3">
                <a href="/" class="font-semibold text-slate-900 hover:text-indigo-700" data-testid="organisation">
                    <Suspense fallback=|| "Home">
                        {move || Suspend::new(async move { name.await.unwrap_or_else(|_| "Home".to_string()) })}
                    </Suspense>
                </a>
                <nav class="flex gap-5 text-sm">
                    <a href="/shifts" class=link>"Shifts"</a>
                    <a href="/my/shifts" class=link>"My shifts"</a>
                </nav>
            </div>
        </header>
    }
}
