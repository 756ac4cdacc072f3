//! Account pages: the super admin's list (approve, edit, deactivate, delete, create) and
//! the public registration form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ApproveAccount, CreateAccount, DeleteAccount, PasswordLinkSent, Register, Role, SendPasswordLink,
    SetAccountActive, UpdateAccount, UserFilter, UserRow, UserStatus, list_users,
};
use crate::ui::style::{PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{BUTTON_PRIMARY, Field, FormError, last_error, urlencode};

const LINK_BUTTON: &str = "text-sm text-indigo-700 hover:underline disabled:opacity-60";

fn status_label(status: UserStatus, expired: bool) -> &'static str {
    match status {
        UserStatus::Active if expired => "Expired",
        UserStatus::Active => "Active",
        UserStatus::Pending => "Waiting for approval",
        UserStatus::Disabled => "Deactivated",
    }
}

/// The role choices, with `current` selected.
fn role_options(current: Role) -> impl IntoView {
    Role::ALL
        .map(|r| view! { <option value=r.as_str() selected=r == current>{r.label()}</option> })
        .collect_view()
}

/// `/admin/users` (SUPER_ADMIN): waiting registrations first, then everyone by name.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| UserFilter {
            search: q.get("q").unwrap_or_default(),
            status: q.get("status").and_then(|s| UserStatus::parse(&s)),
            page: crate::ui::page_param(q),
        })
    };
    let users = Resource::new(filter, list_users);
    let approve = ServerAction::<ApproveAccount>::new();
    let set_active = ServerAction::<SetAccountActive>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let update = ServerAction::<UpdateAccount>::new();
    let create = ServerAction::<CreateAccount>::new();
    let send_link = ServerAction::<SendPasswordLink>::new();
    let row_error = Signal::derive(move || {
        [approve.value().get().and_then(|r| r.err()), set_active.value().get().and_then(|r| r.err())]
            .into_iter()
            .chain([delete.value().get().and_then(|r| r.err()), update.value().get().and_then(|r| r.err())])
            .chain([send_link.value().get().and_then(|r| r.err())])
            .flatten()
            .next()
    });
    let create_error = last_error(create.value());
    let create_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(create.value(), create_form);
    Effect::new(move |_| {
        let done = [
            approve.version().get(),
            set_active.version().get(),
            delete.version().get(),
            create.version().get(),
        ];
        if done.iter().any(|v| *v > 0) {
            users.refetch();
        }
    });
    // The account whose edit form is open; one at a time. A save closes it and shows the
    // change; a refused one leaves the form as typed (and the list as it was), so that a form
    // opened before someone else's change goes on being refused until it is opened again.
    let editing = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            editing.set(None);
            users.refetch();
        }
    });
    // The list follows changes made elsewhere (a registration, another admin). While an edit
    // form is open it waits, and says so: redrawing the rows would lose what is typed.
    let changed_elsewhere = RwSignal::new(false);
    crate::live::on_change("/api/events/stream?topics=user.*", move || {
        if editing.get_untracked().is_some() {
            changed_elsewhere.set(true);
        } else {
            users.refetch();
        }
    });
    Effect::new(move |_| {
        if editing.get().is_none() && changed_elsewhere.get() {
            changed_elsewhere.set(false);
            users.refetch();
        }
    });
    let selected =
        move |value: &'static str| move || query.with(|q| q.get("status").as_deref() == Some(value));
    view! {
        <Title text="Users" />
        <h1 class="text-2xl font-bold text-slate-900">"Users"</h1>
        <form method="get" class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-4">
            <label class="col-span-2 text-sm text-slate-700">
                "Name or email contains"
                <input name="q" class=SMALL_INPUT value=move || filter().search />
            </label>
            <label class="text-sm text-slate-700">
                "Status"
                <select name="status" class=SMALL_INPUT>
                    <option value="">"Any"</option>
                    <option value="PENDING" selected=selected("PENDING")>"Waiting for approval"</option>
                    <option value="ACTIVE" selected=selected("ACTIVE")>"Active"</option>
                    <option value="DISABLED" selected=selected("DISABLED")>"Deactivated"</option>
                </select>
            </label>
            <div class="flex items-end gap-3">
                <button type="submit" class=SMALL_BUTTON>"Filter"</button>
                <a href="/admin/users" class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
            </div>
        </form>
        <p class="mt-2 text-sm text-red-600" role="alert">{move || row_error.get().map(|e| e.to_string())}</p>
        <p class="mt-2 text-sm text-green-700" role="status">
            {move || match send_link.value().get() {
                Some(Ok(email)) => Some(format!("A link to choose a new password was emailed to {email}.")),
                _ => None,
            }}
        </p>
        <Show when=move || changed_elsewhere.get()>
            <p class="mt-2 rounded-md bg-slate-100 p-3 text-sm text-slate-700" role="status" data-testid="users-changed">
                "Accounts were changed elsewhere. The list shows the changes once the form being edited is saved or closed."
            </p>
        </Show>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.users.is_empty() => view! { <p class="mt-6 text-slate-600">"No accounts match."</p> }.into_any(),
                    Ok(page) => {
                        let current = filter();
                        let link = move |n: i64| {
                            let status = current.status.map(|s| s.as_str()).unwrap_or_default();
                            format!("/admin/users?q={}&status={status}&page={n}", urlencode(&current.search))
                        };
                        view! {
                            {(page.pending > 0).then(|| view! {
                                <p class="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-800" data-testid="pending-count">
                                    {format!("{} waiting for approval", page.pending)}
                                </p>
                            })}
                            <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Name"</th><th class=format!("{TH} {WIDE_ONLY}")>"Role"</th><th class=format!("{TH} {WIDE_ONLY}")>"Status"</th>
                                        <th class=format!("{TH} {WIDE_ONLY}")>"Expires"</th><th class=TH>"Actions"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.users.into_iter().map(|u| view! {
                                            <UserRowView user=u editing=editing approve=approve set_active=set_active delete=delete update=update send_link=send_link />
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("accounts", page.page, page.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>

        <section class="mt-8 max-w-xl rounded-lg bg-white p-4 shadow-sm">
            <h2 class="font-semibold text-slate-900">"Create an account"</h2>
            <ActionForm action=create node_ref=create_form attr:class="mt-3 space-y-3" attr:novalidate=true>
                <FormError error=create_error />
                <Field label="Name" name="form[display_name]" required=true error=create_error />
                <Field label="Email" name="form[email]" kind="email" required=true error=create_error />
                <div>
                    <Field label="Password (at least 12 characters)" name="form[password]" kind="password" autocomplete="new-password" error=create_error />
                    <p class="text-xs text-slate-600">"Or leave it empty: they are emailed a link to choose their own."</p>
                </div>
                <label class="block text-sm text-slate-700">
                    "Role"
                    <select name="form[role]" class=SMALL_INPUT>{role_options(Role::Volunteer)}</select>
                </label>
                <Field label="Expires on (needed for temporary accounts)" name="form[expires]" kind="date" error=create_error />
                <button type="submit" class=SMALL_BUTTON disabled=move || create.pending().get()>"Create account"</button>
                <p class="text-sm text-green-700" role="status">
                    {move || match create.value().get() {
                        Some(Ok(made)) => Some(created_note(made.password_link)),
                        _ => None,
                    }}
                </p>
            </ActionForm>
        </section>
    }
}

/// What the organiser is told once an account is made.
fn created_note(link: PasswordLinkSent) -> &'static str {
    match link {
        PasswordLinkSent::NotNeeded => "Account created.",
        PasswordLinkSent::Emailed => "Account created. They were emailed a link to choose their password.",
        PasswordLinkSent::WaitsForEmail => {
            "Account created. Email is not set up yet (Settings), so their link to choose a password \
             waits until it is; the link works for a week from now."
        }
    }
}

#[component]
fn UserRowView(
    user: UserRow,
    editing: RwSignal<Option<String>>,
    approve: ServerAction<ApproveAccount>,
    set_active: ServerAction<SetAccountActive>,
    delete: ServerAction<DeleteAccount>,
    update: ServerAction<UpdateAccount>,
    send_link: ServerAction<SendPasswordLink>,
) -> impl IntoView {
    let id = user.id.clone();
    let (edited_id, toggle_id) = (id.clone(), id.clone());
    let is_edited = move || editing.with(|e| e.as_ref() == Some(&edited_id));
    let toggle_edit = move |_| {
        editing.update(|e| *e = if e.as_ref() == Some(&toggle_id) { None } else { Some(toggle_id.clone()) })
    };
    let (approve_id, active_id, delete_id, edit_id) = (id.clone(), id.clone(), id.clone(), id.clone());
    let link_id = id.clone();
    let (email, edit_email) = (user.email.clone(), user.email.clone());
    let confirm_delete = move |_| {
        let question = format!("Delete the account of {email}? This cannot be undone.");
        if window().confirm_with_message(&question).unwrap_or(false) {
            delete.dispatch(DeleteAccount { id: delete_id.clone() });
        }
    };
    let status = user.status;
    let expires = user.expires.clone().unwrap_or_default();
    let (name, role, edits) = (user.display_name.clone(), user.role, user.edits);
    let expiry = user.expires.clone().map(|day| format!("expires {day}"));
    let on_phone =
        [Some(user.role.label().to_string()), Some(status_label(status, user.expired).to_string()), expiry]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
    view! {
        <tr data-testid="user-row">
            <td class=TD>
                {user.display_name.clone()} <br /> <span class="text-slate-600">{user.email.clone()}</span>
                // On a narrow screen the role, status and expiry columns are hidden: shown here.
                <span class=PHONE_ONLY>{on_phone}</span>
            </td>
            <td class=format!("{TD} {WIDE_ONLY}")>{user.role.label()}</td>
            <td class=format!("{TD} {WIDE_ONLY}")>{status_label(status, user.expired)}</td>
            <td class=format!("{TD} {WIDE_ONLY}")>{user.expires.clone().unwrap_or_else(|| "—".into())}</td>
            <td class=TD>
                <div class="flex flex-wrap gap-3">
                    {(status == UserStatus::Pending).then(|| view! {
                        <button class=LINK_BUTTON disabled=move || approve.pending().get()
                            on:click=move |_| { approve.dispatch(ApproveAccount { id: approve_id.clone() }); }>"Approve"</button>
                    })}
                    {(status != UserStatus::Pending).then(|| {
                        let active = status != UserStatus::Active;
                        view! {
                            <button class=LINK_BUTTON disabled=move || set_active.pending().get()
                                on:click=move |_| { set_active.dispatch(SetAccountActive { id: active_id.clone(), active }); }>
                                {if active { "Reactivate" } else { "Deactivate" }}
                            </button>
                        }
                    })}
                    {(status == UserStatus::Active && !user.expired).then(|| view! {
                        <button class=LINK_BUTTON disabled=move || send_link.pending().get()
                            on:click=move |_| { send_link.dispatch(SendPasswordLink { id: link_id.clone() }); }>"Send password link"</button>
                    })}
                    <button class=LINK_BUTTON on:click=toggle_edit>{let is_edited = is_edited.clone(); move || if is_edited() { "Close" } else { "Edit" }}</button>
                    <button class="text-sm text-red-700 hover:underline" disabled=move || delete.pending().get() on:click=confirm_delete>"Delete"</button>
                </div>
                <Show when=is_edited>
                    {
                        let (edit_id, name, email, expires) = (edit_id.clone(), name.clone(), edit_email.clone(), expires.clone());
                        view! {
                            <ActionForm action=update attr:class="mt-2 grid max-w-md gap-2">
                                <input type="hidden" name="id" value=edit_id />
                                <crate::ui::EditsField opened=edits saved=Signal::stored(None) />
                                <label class="text-sm">"Name" <input name="form[display_name]" class=SMALL_INPUT value=name required=true /></label>
                                <label class="text-sm">"Email (they sign in with it)" <input name="form[email]" type="email" class=SMALL_INPUT value=email required=true /></label>
                                <label class="text-sm">"Role" <select name="form[role]" class=SMALL_INPUT>{role_options(role)}</select></label>
                                <label class="text-sm">"Expires on (temporary accounts)" <input name="form[expires]" type="date" class=SMALL_INPUT value=expires /></label>
                                <div><button type="submit" class=SMALL_BUTTON disabled=move || update.pending().get()>"Save"</button></div>
                            </ActionForm>
                        }
                    }
                </Show>
            </td>
        </tr>
    }
    // Erased so the page's view type stays within the compiler's depth limit.
    .into_any()
}

/// `/register`: ask for a volunteer account; an admin approves it before it can sign in.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let error = last_error(register.value());
    // `?requested=1`: the browser sent the form itself (see `request::after_plain_form_post`).
    let requested_by_browser = use_query_map().with_untracked(|q| q.get("requested").is_some());
    let done = move || requested_by_browser || matches!(register.value().get(), Some(Ok(())));
    view! {
        <crate::auth::ui::AuthCard title="Volunteer with us">
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=register attr:class="space-y-4" attr:novalidate=true>
                        <FormError error=error />
                        <Field label="Your name" name="form[display_name]" autocomplete="name" required=true error=error />
                        <Field label="Email" name="form[email]" kind="email" autocomplete="email" required=true error=error />
                        <Field label="Password (at least 12 characters)" name="form[password]" kind="password" autocomplete="new-password" required=true error=error />
                        <Field label="Repeat the password" name="form[password_again]" kind="password" autocomplete="new-password" required=true error=error />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || register.pending().get()>"Ask for an account"</button>
                    </ActionForm>
                }
            >
                <p class="text-slate-700" role="status" data-testid="registered">
                    "Thank you! An organiser will look at your request. You can sign in once your account is approved."
                </p>
            </Show>
            <p class="mt-6 text-center text-sm text-slate-600">
                <a href="/login" class="hover:text-slate-700">"Already approved? Sign in"</a>
            </p>
        </crate::auth::ui::AuthCard>
    }
}
