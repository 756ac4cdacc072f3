//! The email settings page (SMTP, sender, test email) and the email queue page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    EmailSettings, EmailStatus, RetryEmail, SaveEmailSettings, SendTestEmail, TlsMode, get_email_settings,
    list_email_queue,
};
use crate::ui::style::{PHONE_ONLY, TD, TH, WIDE_ONLY};
use crate::ui::{Field, FormError, last_error};

const BUTTON: &str =
    "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white disabled:opacity-60";

#[component]
pub fn EmailSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_email_settings());
    let save = ServerAction::<SaveEmailSettings>::new();
    let test = ServerAction::<SendTestEmail>::new();
    let save_error = last_error(save.value());
    let test_error = last_error(test.value());
    view! {
        <Title text="Settings" />
        <h1 class="text-2xl font-bold text-slate-900">"Settings"</h1>
        <crate::admin::ui::OrganisationSettings />
        <crate::admin::ui::TimeZoneSettings />
        <crate::admin::ui::PublicAddressSettings />
        <crate::shifts::ui::ReminderSettings />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(current) => view! { <SmtpForm current=current save=save error=save_error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Send a test email"</h2>
            <ActionForm action=test attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=test_error />
                <Field label="Send to" name="to" kind="email" required=true error=test_error />
                <button type="submit" class=BUTTON disabled=move || test.pending().get()>
                    {move || if test.pending().get() { "Sending…" } else { "Send test email" }}
                </button>
                <p class="text-sm text-green-700" data-testid="test-result">
                    {move || matches!(test.value().get(), Some(Ok(()))).then_some("Sent. Check the inbox.")}
                </p>
            </ActionForm>
        </section>
    }
}

#[component]
fn SmtpForm(
    current: EmailSettings,
    save: ServerAction<SaveEmailSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    // After a save, show what is stored now (the password only as set or not).
    let shown = move || match save.value().get() {
        Some(Ok(saved)) => saved,
        _ => current.clone(),
    };
    let initial = shown();
    let tls_options = [
        (TlsMode::Starttls, "STARTTLS (port 587)"),
        (TlsMode::Tls, "TLS (port 465)"),
        (TlsMode::None, "None (local relay only)"),
    ];
    view! {
        <section class="mt-6 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Email (SMTP)"</h2>
            <p class="text-sm text-slate-600">"Leave the host empty to turn sending off: emails then wait in the queue."</p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=initial.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <Field label="SMTP host" name="form[host]" value=initial.host.clone() error=error />
                <div class="grid grid-cols-2 gap-4">
                    <Field label="Port" name="form[port]" kind="number" value=initial.port.to_string() error=error />
                    <label class="block text-sm font-medium text-slate-700">
                        "Security"
                        <select name="form[tls]" class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-2 text-sm">
                            {tls_options.into_iter().map(|(mode, label)| view! {
                                <option value=mode.as_str() selected=initial.tls == mode>{label}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <Field label="User name" name="form[username]" autocomplete="off" value=initial.username.clone() error=error />
                <div>
                    <Field label="Password" name="form[password]" kind="password" autocomplete="new-password" error=error />
                    <p class="mt-1 text-sm text-slate-600" data-testid="password-state">
                        {move || if shown().password_set { "A password is saved. Leave this empty to keep it." } else { "No password saved." }}
                    </p>
                    <label class="mt-1 flex items-center gap-2 text-sm text-slate-700">
                        <input type="checkbox" name="form[clear_password]" value="true" />
                        "Forget the saved password"
                    </label>
                </div>
                <Field label="Sender name (left empty: the organisation's name)" name="form[from_name]" value=initial.from_name.clone() error=error />
                <Field label="Sender address" name="form[from_address]" kind="email" value=initial.from_address.clone() error=error />
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save email settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-result" />
            </ActionForm>
        </section>
    }
}

#[component]
pub fn EmailQueuePage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || query.with(|q| (q.get("status"), crate::ui::page_param(q)));
    let queue = Resource::new(filter, |(status, page)| list_email_queue(status, page));
    let retry = ServerAction::<RetryEmail>::new();
    Effect::new(move |_| {
        if retry.value().get().is_some() {
            queue.refetch();
        }
    });
    view! {
        <Title text="Email queue" />
        <h1 class="text-2xl font-bold text-slate-900">"Email queue"</h1>
        <nav class="mt-4 flex gap-4 text-sm">
            <a href="/admin/emails" class="text-indigo-700 hover:underline">"All"</a>
            <a href="/admin/emails?status=PENDING" class="text-indigo-700 hover:underline">"Waiting"</a>
            <a href="/admin/emails?status=SENT" class="text-indigo-700 hover:underline">"Sent"</a>
            <a href="/admin/emails?status=FAILED" class="text-indigo-700 hover:underline">"Failed"</a>
            <button class="text-slate-600 hover:text-slate-900" on:click=move |_| queue.refetch()>"Refresh"</button>
        </nav>
        <p class="mt-2 text-sm text-red-600">{move || last_error(retry.value()).get().map(|e| e.to_string())}</p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) => {
                        let banner = (!page.smtp_configured).then(|| view! {
                            <p class="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="smtp-missing">
                                "Email is not set up, so nothing is sent: waiting emails go out once you save the SMTP settings in "
                                <a href="/admin/settings" class="underline">"Settings"</a> "."
                            </p>
                        });
                        let (status, number) = filter();
                        let link = move |n: i64| match &status {
                            Some(s) => format!("/admin/emails?status={}&page={n}", crate::ui::urlencode(s)),
                            None => format!("/admin/emails?page={n}"),
                        };
                        let has_more = page.has_more;
                        let configured = page.smtp_configured;
                        let table = if page.emails.is_empty() {
                            view! { <p class="mt-6 text-slate-600">"No emails here."</p> }.into_any()
                        } else {
                            view! {
                                <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <thead><tr>
                                            <th class=TH>"To"</th><th class=format!("{TH} {WIDE_ONLY}")>"Subject"</th><th class=format!("{TH} {WIDE_ONLY}")>"Queued"</th>
                                            <th class=TH>"Status"</th><th class=format!("{TH} {WIDE_ONLY}")>"Attempts"</th><th class=format!("{TH} {WIDE_ONLY}")>"Last error"</th><th class=TH><span class="sr-only">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {page.emails.into_iter().map(|e| {
                                                let status = match e.status {
                                                    EmailStatus::Sent => format!("Sent {}", e.sent.unwrap_or_default()),
                                                    EmailStatus::Failed => "Failed".to_string(),
                                                    EmailStatus::Pending if !configured => "Not sent (no SMTP)".to_string(),
                                                    EmailStatus::Pending => "Waiting".to_string(),
                                                };
                                                // Without SMTP a retry could not send either.
                                                let retry_control = (configured && e.status != EmailStatus::Sent).then(|| view! {
                                                    <ActionForm action=retry attr:class="inline">
                                                        <input type="hidden" name="id" value=e.id.clone() />
                                                        <button type="submit" class="text-sm text-indigo-700 hover:underline">"Retry now"</button>
                                                    </ActionForm>
                                                });
                                                view! {
                                                    <tr data-testid="queued-email">
                                                        <td class=TD>
                                                            {e.to_address}
                                                            // On a narrow screen the subject and error columns are hidden: shown here.
                                                            <span class=PHONE_ONLY>{e.subject.clone()}</span>
                                                        </td>
                                                        <td class=format!("{TD} {WIDE_ONLY}")>{e.subject}</td>
                                                        <td class=format!("{TD} {WIDE_ONLY}")>{e.queued}</td>
                                                        <td class=TD>
                                                            {status}
                                                            <span class="block text-xs text-red-600 md:hidden">{e.last_error.clone()}</span>
                                                        </td>
                                                        <td class=format!("{TD} {WIDE_ONLY}")>{e.attempts}</td>
                                                        <td class=format!("{TD} {WIDE_ONLY}")>{e.last_error.unwrap_or_default()}</td>
                                                        <td class=TD>{retry_control}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        };
                        view! {
                            {banner}
                            {table}
                            {crate::ui::pager("emails", number, has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
