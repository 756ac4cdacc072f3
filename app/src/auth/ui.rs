//! The sign-in page and the first-run setup page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{CompleteSetup, Login, setup_status};
use crate::ui::{BUTTON_PRIMARY, ErrorPage, Field, FormError, last_error};

/// A centred card, the frame of the sign-in and setup pages.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <main class="flex min-h-screen items-center justify-center bg-slate-50 px-4 py-12">
            <div class="w-full max-w-md rounded-lg bg-white p-8 shadow">
                <h1 class="mb-6 text-2xl font-bold text-slate-900">{title}</h1>
                {children()}
            </div>
        </main>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = last_error(login.value());
    let next = move || use_query_map().with(|q| q.get("next")).unwrap_or_default();
    view! {
        <AuthCard title="Sign in">
            <ActionForm action=login attr:class="space-y-4" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <FormError error=error />
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=error
                />
                <button type="submit" class=BUTTON_PRIMARY disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/" class="hover:text-slate-700">"Back to the home page"</a>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token")).unwrap_or_default();
    let valid = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| async move { if token.is_empty() { Ok(false) } else { setup_status(token).await } },
    );
    view! {
        <Suspense fallback=|| view! { <p class="p-6 text-slate-600">"Loading…"</p> }>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    match valid.await {
                        Ok(true) => view! { <SetupForm token=token /> }.into_any(),
                        Ok(false) => view! {
                            <ErrorPage
                                status=404
                                title="Setup link not valid"
                                message="This setup link is not valid or has already been used. If an administrator exists, sign in instead; otherwise restart the server to get a new link, or run `changemaker create-admin`."
                            />
                        }
                            .into_any(),
                        Err(e) => view! { <crate::ui::AppErrorPage error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    let setup = ServerAction::<CompleteSetup>::new();
    let error = last_error(setup.value());
    view! {
        <AuthCard title="Set up Changemaker">
            <p class="mb-6 text-sm text-slate-600">
                "Create the first administrator account. This link works once."
            </p>
            <ActionForm action=setup attr:class="space-y-4" attr:novalidate=true>
                <input type="hidden" name="token" value=token />
                <FormError error=error />
                <Field label="Organisation name" name="organisation_name" required=true maxlength=120 error=error />
                <Field label="Your name" name="display_name" autocomplete="name" required=true maxlength=100 error=error />
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=error />
                <Field
                    label="Password (at least 12 characters)"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    error=error
                />
                <Field
                    label="Repeat the password"
                    name="password_confirm"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    error=error
                />
                <button type="submit" class=BUTTON_PRIMARY disabled=move || setup.pending().get()>
                    {move || if setup.pending().get() { "Creating…" } else { "Create administrator" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}
