//! The integrations page (`/admin/integrations`): the automation webhook's, team chat's, the
//! public calendar's, the newsletter's and text messages' (Twilio) settings, and a test event to check them end to end.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    AddExistingContacts, AddUpcomingShifts, AutomationSettings, NewsletterSettings, PublicCalendarSettings,
    SaveAutomationSettings, SaveNewsletterSettings, SavePublicCalendarSettings, SaveSmsSettings,
    SaveTeamChatSettings, SmsSettings, TeamChatSettings, get_automation_settings, get_newsletter_settings,
    get_public_calendar_settings, get_sms_settings, get_team_chat_settings,
};
use crate::jobs::ui::JobProgress;
use crate::observability::SendTestEvent;
use crate::observability::ui::SendTestEventButton;
use crate::ui::{Field, FormError, MaskedField, last_error, mask_after_save};

const BUTTON: &str = "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60";

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let settings = Resource::new(
        || (),
        |_| async {
            Ok::<_, crate::error::AppError>((
                get_automation_settings().await?,
                get_team_chat_settings().await?,
                get_public_calendar_settings().await?,
                get_newsletter_settings().await?,
                get_sms_settings().await?,
            ))
        },
    );
    let save = ServerAction::<SaveAutomationSettings>::new();
    let save_chat = ServerAction::<SaveTeamChatSettings>::new();
    let save_calendar = ServerAction::<SavePublicCalendarSettings>::new();
    let save_newsletter = ServerAction::<SaveNewsletterSettings>::new();
    let save_sms = ServerAction::<SaveSmsSettings>::new();
    let test_event = ServerAction::<SendTestEvent>::new();
    let save_error = last_error(save.value());
    let save_chat_error = last_error(save_chat.value());
    let save_calendar_error = last_error(save_calendar.value());
    let save_newsletter_error = last_error(save_newsletter.value());
    let save_sms_error = last_error(save_sms.value());

    view! {
        <Title text="Integrations" />
        <h1 class="text-2xl font-bold text-slate-900">"Integrations"</h1>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok((automation, team_chat, calendar, newsletter, sms)) => view! {
                        <AutomationForm current=automation save=save error=save_error />
                        <TeamChatForm current=team_chat save=save_chat error=save_chat_error />
                        <PublicCalendarForm current=calendar save=save_calendar error=save_calendar_error />
                        <NewsletterForm current=newsletter save=save_newsletter error=save_newsletter_error />
                        <SmsForm current=sms save=save_sms error=save_sms_error />
                        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
                            <h2 class="text-lg font-semibold text-slate-900">"Check it end to end"</h2>
                            <p class="text-sm text-slate-600">
                                "Publishes a system.test event. Each listener's deliveries, failures and retries show on the "
                                <a href="/admin/events/bus" class="text-indigo-700 underline">"Event bus"</a>
                                " page (\u{201c}automation\u{201d} and \u{201c}team-chat\u{201d} hear of the test event; \u{201c}public-calendar\u{201d} and \u{201c}newsletter\u{201d} only of the events they keep in step), where a delivery that failed for good can be sent again."
                            </p>
                            <div class="mt-4">
                                <SendTestEventButton action=test_event />
                            </div>
                        </section>
                    }
                        .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AutomationForm(
    current: AutomationSettings,
    save: ServerAction<SaveAutomationSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    let secret_mask = mask_after_save(save.value(), current.secret.clone(), |saved| saved.secret);
    view! {
        <section class="mt-6 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Automation webhook (n8n)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Every event (a sign-up, a donation, a new contact…) is sent as it happens to this address: "
                "an n8n Webhook node, or anything that takes JSON. A failed delivery is tried again later, "
                "up to a day on."
            </p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=current.enabled />
                    "Send every event to this webhook"
                </label>
                <Field label="Webhook address" name="form[url]" kind="url" autocomplete="off" value=current.url.clone() error=error />
                <MaskedField label="Signing secret" name="form[secret]" mask=secret_mask error=error />
                <p class="text-sm text-slate-600">
                    "Make one with " <code>"echo \"whsec_$(openssl rand -base64 32)\""</code>
                    " and give the receiver the same. Each request carries the headers webhook-id (the event's id, "
                    "the same on every retry), webhook-timestamp and webhook-signature, as Standard Webhooks "
                    "describes. A saved secret shows masked: leave it as it is to keep it."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save automation settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-result" />
            </ActionForm>
        </section>
    }
}

#[component]
fn TeamChatForm(
    current: TeamChatSettings,
    save: ServerAction<SaveTeamChatSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    let url_mask = mask_after_save(save.value(), current.webhook_url.clone(), |saved| saved.webhook_url);
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Team chat (Rocket.Chat)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "A short message in your team's channel when a volunteer signs up or cancels, a representative "
                "replies, a campaign is published or changes status, an account is approved, a donation comes in "
                "(its amount, not the donor), and more. Volunteers are named, never their email or phone."
            </p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=current.enabled />
                    "Post to team chat"
                </label>
                <MaskedField label="Incoming webhook address" name="form[webhook_url]" mask=url_mask error=error />
                <p class="text-sm text-slate-600">
                    "In Rocket.Chat: Administration, Integrations, New, Incoming; choose the channel and copy the "
                    "webhook URL here (Mattermost's and Slack's incoming webhooks work too). It holds the chat's "
                    "token, so it is stored encrypted and shown masked: leave it as it is to keep it."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save team chat settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-chat-result" />
            </ActionForm>
        </section>
    }
}

#[component]
fn PublicCalendarForm(
    current: PublicCalendarSettings,
    save: ServerAction<SavePublicCalendarSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    let token_mask = mask_after_save(save.value(), current.token.clone(), |saved| saved.token);
    let add = ServerAction::<AddUpcomingShifts>::new();
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Public calendar (Gancio)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Every public shift is an entry on your Gancio calendar, with a link to sign up. An edit "
                "updates its entry; cancelling or deleting the shift, or making it private, removes it."
            </p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=current.enabled />
                    "Keep public shifts on the calendar"
                </label>
                <Field label="Calendar address" name="form[calendar_url]" kind="url" autocomplete="off" value=current.calendar_url.clone() error=error />
                <MaskedField label="Access token" name="form[token]" mask=token_mask error=error />
                <p class="text-sm text-slate-600">
                    "Use an account that may publish on the calendar, and get its token with "
                    <code>"curl https://calendar.example.org/oauth/login -d grant_type=password -d client_id=self -d username=… -d password=…"</code>
                    " (the access_token in its answer). It is stored encrypted and shown masked: leave it as it is to keep it."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save calendar settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-calendar-result" />
            </ActionForm>
            <div class="mt-6 border-t border-slate-200 pt-4">
                <p class="text-sm text-slate-600">
                    "The calendar hears of shifts as they are created or changed. Shifts that were there before "
                    "it was turned on are added here, once it is saved and on."
                </p>
                <StartJob label="Add upcoming public shifts now" error_id="add-shifts-error" pending=add.pending()
                    started=Signal::derive(move || add.value().get())
                    start=Callback::new(move |_| { add.dispatch(AddUpcomingShifts {}); }) />
            </div>
        </section>
    }
}

#[component]
fn NewsletterForm(
    current: NewsletterSettings,
    save: ServerAction<SaveNewsletterSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    let token_mask = mask_after_save(save.value(), current.api_token.clone(), |saved| saved.api_token);
    let reports_mask =
        mask_after_save(save.value(), current.reports_secret.clone(), |saved| saved.reports_secret);
    let add = ServerAction::<AddExistingContacts>::new();
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Newsletter (Listmonk)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Volunteers, supporters who email their representative and donors become subscribers on "
                "their list in Listmonk, which is made if it does not exist. Their tags and what they last "
                "did are kept in the subscriber's changemaker attribute. Nobody who unsubscribed, here or in "
                "Listmonk, is subscribed again, and whoever unsubscribes here leaves every Listmonk list too."
            </p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=current.enabled />
                    "Keep subscribers in step with Listmonk"
                </label>
                <Field label="Listmonk address" name="form[listmonk_url]" kind="url" autocomplete="off" value=current.listmonk_url.clone() error=error />
                <Field label="API user" name="form[api_user]" autocomplete="off" value=current.api_user.clone() error=error />
                <MaskedField label="API token" name="form[api_token]" mask=token_mask error=error />
                <p class="text-sm text-slate-600">
                    "In Listmonk: Admin, Users, New, type API; give it a role that may manage subscribers and "
                    "lists, and copy its token here. It is stored encrypted and shown masked: leave it as it is to keep it."
                </p>
                <Field label="Volunteers list" name="form[volunteers_list]" value=current.volunteers_list.clone() maxlength=100 error=error />
                <Field label="Supporters list" name="form[supporters_list]" value=current.supporters_list.clone() maxlength=100 error=error />
                <Field label="Donors list" name="form[donors_list]" value=current.donors_list.clone() maxlength=100 error=error />
                <MaskedField label="Reports secret" name="form[reports_secret]" mask=reports_mask error=error />
                <p class="text-sm text-slate-600">
                    "Opens, clicks, bounces and unsubscribes can be reported back to "
                    <code>"POST /api/webhooks/newsletter"</code>
                    " with the header Authorization: Bearer and this secret (make one with "
                    <code>"openssl rand -hex 32"</code> "). The README shows what a report looks like."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save newsletter settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-newsletter-result" />
            </ActionForm>
            <div class="mt-6 border-t border-slate-200 pt-4">
                <p class="text-sm text-slate-600">
                    "Listmonk hears of people as they sign up, email or give. Contacts from before it was "
                    "turned on are added here, once it is saved and on: each on the lists of what they have done, "
                    "with their tags. Pressing it again only mends what is not in step."
                </p>
                <StartJob label="Add existing contacts now" error_id="add-contacts-error" pending=add.pending()
                    started=Signal::derive(move || add.value().get())
                    start=Callback::new(move |_| { add.dispatch(AddExistingContacts {}); }) />
            </div>
        </section>
    }
}

/// A button that starts a background job, then the job's progress bar, or why it could not
/// start.
#[component]
fn StartJob(
    label: &'static str,
    /// The test id of the line saying why the job could not start.
    error_id: &'static str,
    #[prop(into)] pending: Signal<bool>,
    /// The job's id once started, or why it could not.
    started: Signal<Option<Result<String, crate::error::AppError>>>,
    start: Callback<()>,
) -> impl IntoView {
    let error = move || started.get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <button type="button" class=format!("mt-3 {BUTTON}") on:click=move |_| start.run(()) disabled=move || pending.get()>
            {label}
        </button>
        <p class="mt-1 text-sm text-red-600" role="alert" data-testid=error_id>{error}</p>
        {move || started.get().and_then(Result::ok).map(|id| view! { <JobProgress id=id /> })}
    }
}

#[component]
fn SmsForm(
    current: SmsSettings,
    save: ServerAction<SaveSmsSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let changed = RwSignal::new(false);
    let token_mask = mask_after_save(save.value(), current.auth_token.clone(), |saved| saved.auth_token);
    view! {
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Text messages (Twilio)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Texts people send your Twilio number come into "
                <a href="/admin/sms" class="text-indigo-700 underline">"Text messages"</a>
                ", matched to the contact with that phone number. Questions and unhappy replies are posted to "
                "team chat. A text of STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) marks the number as opted out "
                "until it texts START."
            </p>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=current.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=current.enabled />
                    "Receive text messages"
                </label>
                <Field label="Account SID" name="form[account_sid]" autocomplete="off" value=current.account_sid.clone() error=error />
                <MaskedField label="Auth token" name="form[auth_token]" mask=token_mask error=error />
                <Field label="Sending number (+ and the country code, for texts sent)" name="form[from_number]" autocomplete="off" value=current.from_number.clone() error=error />
                <Field label="Country code for numbers written without one (1, 44…)" name="form[country_code]" autocomplete="off" value=current.country_code.clone() error=error />
                <p class="text-sm text-slate-600">
                    "Both are on the Twilio console's front page. The auth token checks that each text really "
                    "comes from Twilio; it is stored encrypted and shown masked: leave it as it is to keep it. "
                    "Then, in the console, open the number's settings and under Messaging, \u{201c}A message comes in\u{201d}, "
                    "choose Webhook, HTTP POST, and this address:"
                </p>
                <p><code class="break-all rounded bg-slate-100 px-2 py-1 text-sm" data-testid="sms-webhook-url">{current.webhook_url.clone()}</code></p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save text message settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-sms-result" />
            </ActionForm>
        </section>
    }
}
