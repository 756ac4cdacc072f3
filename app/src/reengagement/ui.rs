//! `/admin/reengagement`: choose contacts idle for N days (count and list), write the email
//! with a live preview, send it with a progress bar; and the window between two sends.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    PreviewReengagement, ReengagementForm, SaveReengagementWindow, SendReengagement,
    load_reengagement_window, render,
};
use crate::error::AppError;
use crate::jobs::ui::JobProgress;
use crate::ui::style::{CARD, PHONE_ONLY, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{count, field_error, last_error};

const BUTTON: &str =
    "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60";

/// The last failed call's message when it is not about the subject or the message.
fn other_error(error: Signal<Option<AppError>>) -> impl Fn() -> Option<String> {
    move || {
        error
            .get()
            .filter(|e| e.field_message("subject").is_none() && e.field_message("message").is_none())
            .map(|e| e.to_string())
    }
}

#[component]
pub fn ReengagementPage() -> impl IntoView {
    let (idle_days, set_idle_days) = signal("90".to_string());
    let (subject, set_subject) = signal(String::new());
    let (message, set_message) = signal(String::new());
    let preview = ServerAction::<PreviewReengagement>::new();
    let send = ServerAction::<SendReengagement>::new();
    let save_window = ServerAction::<SaveReengagementWindow>::new();
    let changed = RwSignal::new(false);
    let stored_window = Resource::new(move || save_window.version().get(), |_| load_reengagement_window());
    let (preview_error, send_error, window_error) =
        (last_error(preview.value()), last_error(send.value()), last_error(save_window.value()));
    let shown = move || preview.value().get().and_then(Result::ok);
    let run_preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.value().set(None);
        match idle_days.get_untracked().trim().parse::<i64>() {
            Ok(days) => {
                preview.dispatch(PreviewReengagement { idle_days: days });
            }
            Err(_) => preview.value().set(Some(Err(AppError::invalid(
                "idle_days",
                "Enter a whole number of days from 1 to 3,650.",
            )))),
        }
    };
    let run_send = move |_| {
        let Some(p) = preview.value().get_untracked().and_then(Result::ok) else { return };
        let question = format!("Send this email to {}? This cannot be undone.", count(p.count, "contact"));
        if window().confirm_with_message(&question).unwrap_or(false) {
            send.dispatch(SendReengagement {
                form: ReengagementForm {
                    idle_days: p.idle_days,
                    subject: subject.get_untracked(),
                    message: message.get_untracked(),
                },
            });
        }
    };
    let choose_contacts = view! {
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"Who"</h2>
            <form class="mt-2 flex items-end gap-3" on:submit=run_preview>
                <label class="text-sm text-slate-700">
                    "No activity for at least (days)"
                    <input name="idle_days" type="number" min="1" max="3650" required=true class=SMALL_INPUT
                        prop:value=move || idle_days.get() on:input=move |ev| set_idle_days.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=BUTTON disabled=move || preview.pending().get()>
                    {move || if preview.pending().get() { "Counting…" } else { "Preview" }}
                </button>
            </form>
            <p class="mt-1 text-sm text-red-600" role="alert">{move || preview_error.get().map(|e| e.to_string())}</p>
            {move || shown().map(idle_list)}
        </section>
    }
    .into_any();
    let write_message = view! {
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"Message"</h2>
            <label class="mt-2 block text-sm text-slate-700">
                "Subject"
                <input name="subject" class=SMALL_INPUT maxlength="200" aria-describedby="subject-error" prop:value=move || subject.get()
                    on:input=move |ev| set_subject.set(event_target_value(&ev)) />
            </label>
            <p id="subject-error" class="mt-1 text-sm text-red-600">{field_error(send_error, "subject")}</p>
            <label class="mt-2 block text-sm text-slate-700">
                "Message"
                <textarea name="message" rows="8" class=SMALL_INPUT aria-describedby="message-error" prop:value=move || message.get()
                    on:input=move |ev| set_message.set(event_target_value(&ev))></textarea>
            </label>
            <p id="message-error" class="mt-1 text-sm text-red-600">{field_error(send_error, "message")}</p>
            <p class="mt-1 text-xs text-slate-600">"Placeholders: " {crate::template::listed(super::PLACEHOLDERS)}</p>
            {move || shown().and_then(|p| p.contacts.first().cloned().map(|first| {
                let (name, organisation) = (first.name.clone(), p.organisation.clone());
                let heading = move || render(&subject.get(), &first.name, &p.organisation);
                let body = move || {
                    super::with_unsubscribe_link(&render(&message.get(), &name, &organisation), &organisation, "(their own link)")
                };
                view! {
                    <div class="mt-3 rounded border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="message-preview">
                        <p class="text-xs text-slate-600">{format!("As {} will get it:", first.email)}</p>
                        <p class="mt-1 font-semibold">{heading}</p>
                        <p class="mt-1 whitespace-pre-line">{body}</p>
                    </div>
                }
            }))}
            <button type="button" class=format!("mt-3 {BUTTON}") on:click=run_send
                disabled=move || shown().is_none_or(|p| p.count == 0) || send.pending().get() || matches!(send.value().get(), Some(Ok(_)))>
                {move || shown().map_or("Preview who gets it first".to_string(), |p| format!("Send to {}", count(p.count, "contact")))}
            </button>
            <p class="mt-1 text-sm text-red-600" role="alert">
                {other_error(send_error)}
            </p>
            {move || send.value().get().and_then(Result::ok).map(|id| view! { <JobProgress id=id /> })}
        </section>
    }
    .into_any();
    let set_window = view! {
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"Window"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let days = stored_window.await.map(|d| d.to_string()).unwrap_or_default();
                    view! {
                        <ActionForm action=save_window on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-2 flex items-end gap-3">
                            <label class="text-sm text-slate-700">
                                "Days before a contact may be re-engaged again"
                                <input name="days" type="number" min="1" max="365" required=true class=SMALL_INPUT value=days />
                            </label>
                            <button type="submit" class=BUTTON disabled=move || save_window.pending().get()>"Save"</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
            <p class="mt-1 text-sm text-red-600" role="alert">{move || window_error.get().map(|e| e.to_string())}</p>
            <crate::ui::SavedNote saved=save_window.value() changed=changed class="mt-1" />
        </section>
    }
    .into_any();
    view! {
        <Title text="Re-engagement" />
        <h1 class="text-2xl font-bold text-slate-900">"Re-engagement"</h1>
        <p class="mt-2 max-w-2xl text-sm text-slate-600">
            "Write to supporters who have gone quiet: contacts with no activity on their timeline (sign-ups, donations, campaign emails…) for a number of days. "
            "Nobody gets a second win-back email within the window below."
        </p>

        {choose_contacts}

        {write_message}

        {set_window}
    }
}

/// The preview's count and its list of the idle longest.
fn idle_list(p: super::IdlePreview) -> AnyView {
    view! {
                <p class="mt-3 text-sm text-slate-800" data-testid="idle-count">
                    {format!("{} had no activity for {} and were not re-engaged in the last {}.", count(p.count, "contact"), count(p.idle_days, "day"), count(p.window_days, "day"))}
                </p>
                {(p.unsubscribed > 0).then(|| view! {
                    <p class="mt-1 text-sm text-slate-600" data-testid="idle-unsubscribed">
                        {format!("Left out: {} who unsubscribed.", count(p.unsubscribed, "idle contact"))}
                    </p>
                })}
                {(!p.contacts.is_empty()).then(|| view! {
                    <table class="mt-2 min-w-full divide-y divide-slate-200 text-sm">
                        <thead><tr><th class=TH>"Name"</th><th class=format!("{TH} {WIDE_ONLY}")>"Email"</th><th class=TH>"Last active"</th></tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {p.contacts.into_iter().map(|c| view! {
                                <tr data-testid="idle-contact">
                                    <td class=TD>
                                        <a href=format!("/admin/contacts/{}", c.id) class="text-indigo-700 hover:underline">{c.name}</a>
                                        <span class=PHONE_ONLY>{c.email.clone()}</span>
                                    </td>
                                    <td class=format!("{TD} {WIDE_ONLY}")>{c.email}</td>
                                    <td class=TD>{c.last_active}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(p.count > 50).then(|| view! { <p class="mt-1 text-xs text-slate-600">{format!("The 50 idle longest are shown; the email goes to all {}.", p.count)}</p> })}
                })}
    }
    .into_any()
}
