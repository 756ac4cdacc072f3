//! The sign-in page, choosing a new password by an emailed link, the signed-in user's own
//! account (name, email, password, confirming a new email), and the first-run setup page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    CancelEmailChange, ChangePassword, CompleteSetup, ConfirmEmailChange, CurrentUser, DeleteOwnAccount,
    Login, RequestPasswordReset, ResetPassword, SignOutElsewhere, UpdateAccount, email_link_status,
    get_current_user, pending_email, reset_link_status, setup_status,
};
use crate::error::AppError;
use crate::ui::{BUTTON_PRIMARY, ErrorPage, Field, FormError, empty_on_success, last_error};
use leptos_router::components::Redirect;

/// A centred card, the frame of the sign-in and setup pages.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <main id="main" class="flex min-h-screen items-center justify-center bg-slate-50 px-4 py-12">
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
    // `?reset=1`: back from choosing a new password; `?deleted=1`: from deleting one's account.
    let (reset, deleted) =
        use_query_map().with_untracked(|q| (q.get("reset").is_some(), q.get("deleted").is_some()));
    view! {
        <AuthCard title="Sign in">
            {reset.then(|| view! {
                <p class="mb-4 rounded-md bg-green-50 p-3 text-sm text-green-800" role="status" data-testid="password-changed">
                    "Your password is saved. Sign in with it."
                </p>
            })}
            {deleted.then(|| view! {
                <p class="mb-4 rounded-md bg-green-50 p-3 text-sm text-green-800" role="status" data-testid="account-deleted">
                    "Your account is deleted, and you are signed out."
                </p>
            })}
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
            <p class="mt-6 flex justify-between text-sm text-slate-600">
                <a href="/forgot-password" class="hover:text-slate-700">"Forgot your password?"</a>
                <a href="/" class="hover:text-slate-700">"Back to the home page"</a>
            </p>
        </AuthCard>
    }
}

/// `/forgot-password`: asks for the account's email and sends a link to choose a new password.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(request.value());
    // `?sent=1`: the browser sent the form itself (see `request::after_plain_form_post`).
    let sent_by_browser = use_query_map().with_untracked(|q| q.get("sent").is_some());
    view! {
        <AuthCard title="Forgot your password?">
            <Show
                when=move || sent_by_browser || matches!(request.value().get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=request attr:class="space-y-4" attr:novalidate=true>
                        <p class="text-sm text-slate-600">"Give your account's email and we will send you a link to choose a new password."</p>
                        <FormError error=error />
                        <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=error />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || request.pending().get()>"Send me a link"</button>
                    </ActionForm>
                }
            >
                <p class="text-slate-700" role="status" data-testid="reset-sent">
                    "If an account has that email, we have sent it a link to choose a new password. It works once, for an hour."
                </p>
            </Show>
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/login" class="hover:text-slate-700">"Back to sign in"</a>
            </p>
        </AuthCard>
    }
}

/// `/reset-password?token=…`: the emailed link's page, to choose a new password; a used or
/// expired link says so (404) instead.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token")).unwrap_or_default();
    let valid = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| async move { if token.is_empty() { Ok(false) } else { reset_link_status(token).await } },
    );
    let reset = ServerAction::<ResetPassword>::new();
    let error = last_error(reset.value());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if matches!(reset.value().get(), Some(Ok(()))) {
            navigate("/login?reset=1", Default::default());
        }
    });
    view! {
        <AuthCard title="Choose a new password">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match valid.await {
                            Ok(false) => {
                                #[cfg(feature = "ssr")]
                                crate::request::set_status(404);
                                view! {
                                    <p class="text-slate-700" data-testid="reset-link-invalid">
                                        "This link is not valid, was already used or has expired."
                                    </p>
                                }
                                    .into_any()
                            }
                            // On an error the form stays: sending it says what is wrong.
                            _ => view! {
                                <ActionForm action=reset attr:class="space-y-4" attr:novalidate=true>
                                    <input type="hidden" name="token" value=token />
                                    <FormError error=error />
                                    <Field label="New password (at least 12 characters)" name="password" kind="password" autocomplete="new-password" required=true error=error />
                                    <Field label="Repeat the password" name="password_again" kind="password" autocomplete="new-password" required=true error=error />
                                    <button type="submit" class=BUTTON_PRIMARY disabled=move || reset.pending().get()>"Save the new password"</button>
                                </ActionForm>
                            }
                                .into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/forgot-password" class="hover:text-slate-700">"Ask for a new link"</a>
            </p>
        </AuthCard>
    }
}

/// `/account/confirm-email?token=…`: the link emailed to a new email, opened signed in as the
/// account (nobody signed in is sent to sign in first, and back here after). Confirming is a
/// button, not the visit, so a mail scanner that opens links confirms nothing.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token")).unwrap_or_default();
    let target = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| async move { if token.is_empty() { Ok(None) } else { email_link_status(token).await } },
    );
    let confirm = ServerAction::<ConfirmEmailChange>::new();
    let error = last_error(confirm.value());
    view! {
        <AuthCard title="Confirm your new email">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match target.await {
                            Err(AppError::Unauthenticated) => {
                                let back_here = format!("/login?next=/account/confirm-email%3Ftoken%3D{token}");
                                view! { <Redirect path=back_here /> }.into_any()
                            }
                            Ok(None) => {
                                #[cfg(feature = "ssr")]
                                crate::request::set_status(404);
                                view! {
                                    <p class="text-slate-700" data-testid="email-link-invalid">
                                        "This link is not valid, was already used, has expired, or was sent to another account than the one signed in. To change your email, save it again on Your account."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(Some(new_email)) => view! {
                                <Show
                                    when=move || matches!(confirm.value().get(), Some(Ok(_)))
                                    fallback=move || {
                                        let (token, new_email) = (token.clone(), new_email.clone());
                                        view! {
                                            <ActionForm action=confirm attr:class="space-y-4">
                                                <input type="hidden" name="token" value=token />
                                                <FormError error=error />
                                                <p class="text-slate-700">
                                                    "Sign in with " <strong>{new_email}</strong> " from now on?"
                                                </p>
                                                <button type="submit" class=BUTTON_PRIMARY disabled=move || confirm.pending().get()>
                                                    "Confirm my new email"
                                                </button>
                                            </ActionForm>
                                        }
                                    }
                                >
                                    <p class="text-green-700" role="status" data-testid="email-confirmed">
                                        "Done: you sign in with "
                                        {move || confirm.value().get().and_then(Result::ok)}
                                        " from now on."
                                    </p>
                                </Show>
                            }
                                .into_any(),
                            Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/account" class="hover:text-slate-700">"Your account"</a>
            </p>
        </AuthCard>
    }
}

/// The frame of the pages about one's own account at `path`: `content` gets the signed-in
/// user; nobody signed in is sent to sign in first, and back here after.
#[component]
fn AccountCard<V: IntoView + 'static>(
    title: &'static str,
    path: &'static str,
    back: fn(&CurrentUser) -> &'static str,
    content: impl Fn(CurrentUser) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <AuthCard title=title>
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {
                    let content = content.clone();
                    Suspend::new(async move {
                        match user.await {
                            Ok(None) => view! { <Redirect path=format!("/login?next={path}") /> }.into_any(),
                            Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                            Ok(Some(user)) => {
                                let back = back(&user);
                                view! {
                                    {content(user)}
                                    <p class="mt-6 text-center text-sm text-slate-600">
                                        <a href=back class="hover:text-slate-700">"Back"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }
            </Suspense>
        </AuthCard>
    }
}

/// Where "Back" leads from the account pages: the dashboard, or My shifts for volunteers.
fn home_of(user: &CurrentUser) -> &'static str {
    if user.role.satisfies(crate::users::Role::ADMIN_AREA) { "/admin" } else { "/my/shifts" }
}

/// `/account`: the signed-in user's own name and email (a new email needs their password),
/// and the way to change their password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let content = |user: CurrentUser| {
        let is_super_admin = user.role == crate::users::Role::SuperAdmin;
        let update = ServerAction::<UpdateAccount>::new();
        let error = last_error(update.value());
        // After a save the fields show the account as saved (the email as it was stored, the
        // count of its edits) and the password is emptied; a refused form keeps what was typed.
        let saved = RwSignal::new(user);
        Effect::new(move |_| {
            if let Some(Ok(answer)) = update.value().get() {
                saved.set(answer.user);
            }
        });
        let form = NodeRef::new();
        empty_on_success(update.value(), form);
        // A new email waiting for its link, read again after each save and each calling off.
        let cancel = ServerAction::<CancelEmailChange>::new();
        let cancel_error = last_error(cancel.value());
        let pending =
            Resource::new(move || (update.version().get(), cancel.version().get()), |_| pending_email());
        // Called off, "We emailed a link to …" no longer holds.
        Effect::new(move |_| {
            if let Some(Ok(_)) = cancel.value().get() {
                update.value().set(None);
            }
        });
        view! {
            {move || {
                let user = saved.get();
                view! {
                    <ActionForm action=update node_ref=form attr:class="space-y-4" attr:novalidate=true>
                        <FormError error=error />
                        <crate::ui::EditsField opened=user.profile_edits saved=Signal::stored(None) name="edits" />
                        <Field label="Name" name="display_name" autocomplete="name" required=true value=user.display_name maxlength=100 error=error />
                        <Field label="Email (you sign in with it)" name="email" kind="email" autocomplete="email" required=true value=user.email error=error />
                        <Field label="Current password (only to change your email)" name="current_password" kind="password" autocomplete="current-password" error=error />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || update.pending().get()>"Save"</button>
                    </ActionForm>
                }
            }}
            <p class="mt-4 text-sm text-green-700" role="status" data-testid="account-result">
                {move || update.value().get().and_then(Result::ok).map(|answer| match answer.confirm_sent_to {
                    Some(new_email) => format!("Saved. We emailed a link to {new_email}."),
                    None => "Saved.".to_string(),
                })}
            </p>
            <Transition>
                {move || Suspend::new(async move {
                    pending.await.ok().flatten().map(|new_email| view! {
                        <div class="mt-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                            <p data-testid="pending-email">
                                {format!(
                                    "{new_email} waits for you to confirm it: open the link we emailed there, within 24 hours, signed in as now. Until then, sign in with {}.",
                                    saved.get_untracked().email,
                                )}
                            </p>
                            <ActionForm action=cancel attr:class="mt-2">
                                <button type="submit" class="rounded-md border border-amber-300 bg-white px-3 py-1.5 font-medium text-amber-900 hover:bg-amber-100" disabled=move || cancel.pending().get()>
                                    {format!("Keep {}", saved.get_untracked().email)}
                                </button>
                            </ActionForm>
                        </div>
                    })
                })}
            </Transition>
            <FormError error=cancel_error />
            <p class="mt-2 text-sm text-green-700" role="status" data-testid="email-change-cancelled">
                {move || cancel.value().get().and_then(Result::ok).map(|cancelled| match cancelled {
                    true => format!(
                        "You keep signing in with {}. The link we emailed no longer works.",
                        saved.get_untracked().email,
                    ),
                    false => "No new email was waiting.".to_string(),
                })}
            </p>
            <p class="mt-4 text-sm">
                <a href="/account/password" class="text-indigo-700 hover:underline">"Change your password"</a>
            </p>
            <SignOutElsewhereSection />
            <DeleteAccountSection is_super_admin=is_super_admin />
        }
    };
    view! { <AccountCard title="Your account" path="/account" back=home_of content=content /> }
}

/// Ending one's other sessions: for a shared computer left signed in, or a lost phone.
#[component]
fn SignOutElsewhereSection() -> impl IntoView {
    let sign_out = ServerAction::<SignOutElsewhere>::new();
    let error = last_error(sign_out.value());
    view! {
        <section class="mt-6 border-t border-slate-200 pt-4 text-sm">
            <h2 class="font-medium text-slate-900">"Signed in on another device?"</h2>
            <p class="mt-1 text-slate-600">"A shared computer left signed in, or a lost phone: sign them all out. This one stays signed in."</p>
            <ActionForm action=sign_out attr:class="mt-3">
                <FormError error=error />
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium text-slate-800 hover:bg-slate-50" disabled=move || sign_out.pending().get()>
                    "Sign out everywhere else"
                </button>
            </ActionForm>
            <p class="mt-2 text-green-700" role="status" data-testid="signed-out-elsewhere">
                {move || sign_out.value().get().and_then(Result::ok).map(|ended| match ended {
                    0 => "No other device or browser was signed in.".to_string(),
                    1 => "Signed out 1 other device or browser.".to_string(),
                    n => format!("Signed out {n} other devices or browsers."),
                })}
            </p>
        </section>
    }
}

/// Deleting one's own account, behind a disclosure and the password. A super admin is told
/// who can delete theirs instead.
#[component]
fn DeleteAccountSection(is_super_admin: bool) -> impl IntoView {
    let delete = ServerAction::<DeleteOwnAccount>::new();
    let error = last_error(delete.value());
    view! {
        <details class="mt-6 border-t border-slate-200 pt-4 text-sm">
            <summary class="cursor-pointer font-medium text-red-700">"Delete your account"</summary>
            {if is_super_admin {
                view! {
                    <p class="mt-2 text-slate-600">
                        "A super admin's account is deleted by another super admin, on the Users page, so that one always remains."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="mt-2 text-slate-600">
                        "You will be signed out and cannot sign in again. The shifts you signed up for, and your contact details, stay with the organisers; ask them if you want those erased too."
                    </p>
                    <ActionForm action=delete attr:class="mt-3 space-y-3" attr:novalidate=true>
                        <FormError error=error />
                        <Field label="Your password" name="delete_password" kind="password" autocomplete="current-password" required=true error=error />
                        <button type="submit" class="rounded-md bg-red-600 px-4 py-2 font-semibold text-white hover:bg-red-500" disabled=move || delete.pending().get()>
                            "Delete my account"
                        </button>
                    </ActionForm>
                }
                    .into_any()
            }}
        </details>
    }
}

/// `/account/password`: the signed-in user changes their password.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let content = |_user: CurrentUser| {
        let change = ServerAction::<ChangePassword>::new();
        let error = last_error(change.value());
        view! {
            <ActionForm action=change attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error />
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true error=error />
                <Field label="New password (at least 12 characters)" name="password" kind="password" autocomplete="new-password" required=true error=error />
                <Field label="Repeat the new password" name="password_again" kind="password" autocomplete="new-password" required=true error=error />
                <button type="submit" class=BUTTON_PRIMARY disabled=move || change.pending().get()>"Change the password"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-green-700" role="status" data-testid="password-result">
                {move || matches!(change.value().get(), Some(Ok(()))).then_some(
                    "Your password is changed. Any other device signed in to your account is signed out.",
                )}
            </p>
        }
    };
    view! { <AccountCard title="Change your password" path="/account/password" back=|_| "/account" content=content /> }
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
