//! Payment pages: settings for payments admins, the public donation form and its thank-you
//! page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    CURRENCIES, PaymentSettings, SavePaymentSettings, StartDonation, TestStripeConnection,
    get_payment_settings, parse_donation_cents,
};
use crate::ui::{BUTTON_PRIMARY, Field, FormError, last_error};

const BUTTON: &str =
    "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white disabled:opacity-60";

#[component]
pub fn PaymentSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_payment_settings());
    let save = ServerAction::<SavePaymentSettings>::new();
    let test = ServerAction::<TestStripeConnection>::new();
    let save_error = last_error(save.value());
    let test_error = last_error(test.value());
    view! {
        <Title text="Payment settings" />
        <h1 class="text-2xl font-bold text-slate-900">"Payment settings"</h1>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <p class="mt-6 text-red-600">{e.to_string()}</p> }.into_any(),
                    Ok(current) => view! { <StripeForm current=current save=save error=save_error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Check the connection"</h2>
            <p class="text-sm text-slate-600">"Asks Stripe for the account's balance with the saved secret key."</p>
            <ActionForm action=test attr:class="mt-4 space-y-4">
                <FormError error=test_error />
                <button type="submit" class=BUTTON disabled=move || test.pending().get()>
                    {move || if test.pending().get() { "Checking…" } else { "Test connection" }}
                </button>
                <p class="text-sm text-green-700" data-testid="test-result">
                    {move || test.value().get().and_then(Result::ok)}
                </p>
            </ActionForm>
        </section>
    }
}

#[component]
fn StripeForm(
    current: PaymentSettings,
    save: ServerAction<SavePaymentSettings>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    // After a save the form shows what is stored now: secrets masked.
    let initial = match save.value().get_untracked() {
        Some(Ok(saved)) => saved,
        _ => current,
    };
    let secret_help = "Saved keys show masked. Leave a masked field as it is to keep the key; to replace it, type the whole new key.";
    view! {
        <section class="mt-6 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Stripe"</h2>
            <ActionForm action=save attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=initial.enabled />
                    "Take payments"
                </label>
                <p class="text-sm text-red-600">{move || error.get().and_then(|e| e.field_message("enabled"))}</p>
                <label class="block text-sm font-medium text-slate-700">
                    "Currency"
                    <select name="form[currency]" class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-2 text-sm">
                        {CURRENCIES.iter().map(|c| view! {
                            <option value=*c selected=initial.currency == *c>{c.to_uppercase()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Field label="Publishable key" name="form[publishable_key]" autocomplete="off" value=initial.publishable_key.clone() error=error />
                <Field label="Secret key" name="form[secret_key]" autocomplete="off" value=initial.secret_key.clone() error=error />
                <Field label="Webhook signing secret" name="form[webhook_secret]" autocomplete="off" value=initial.webhook_secret.clone() error=error />
                <p class="text-sm text-slate-600">{secret_help}</p>
                <p class="text-sm text-slate-600">
                    "Point Stripe's webhook at " <code>"/api/payments/webhook"</code> " on this server's address."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save payment settings" }}
                </button>
                <p class="text-sm text-green-700" data-testid="save-result">
                    {move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved.")}
                </p>
            </ActionForm>
        </section>
    }
}

/// `/donate`: a one-off or monthly gift. The amount is checked as it is typed (the server
/// checks it again); a started checkout goes on to Stripe's payment page.
#[component]
pub fn DonatePage() -> impl IntoView {
    let donate = ServerAction::<StartDonation>::new();
    let error = last_error(donate.value());
    let (amount, set_amount) = signal(String::new());
    let amount_message = move || {
        let typed = amount.get();
        (!typed.trim().is_empty()).then(|| parse_donation_cents(&typed).err()).flatten()
    };
    Effect::new(move |_| {
        if let Some(Ok(started)) = donate.value().get() {
            let _ = window().location().set_href(&started.url);
        }
    });
    view! {
        <Title text="Donate" />
        <main class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Donate"</h1>
            <p class="mt-2 text-slate-600">"Your gift keeps the campaign going. Payment is handled securely by Stripe."</p>
            <ActionForm action=donate attr:class="mt-6 space-y-4 rounded-lg bg-white p-6 shadow-sm" attr:novalidate=true>
                <FormError error=error />
                <div>
                    <label for="field-amount" class="block text-sm font-medium text-slate-700">"Amount (dollars)"</label>
                    <input
                        id="field-amount"
                        name="form[amount]"
                        inputmode="decimal"
                        placeholder="25.00"
                        required=true
                        on:input=move |ev| set_amount.set(event_target_value(&ev))
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-slate-900 shadow-sm"
                    />
                    <p class="mt-1 text-sm text-red-600" data-testid="error-form[amount]">
                        {move || amount_message().map(str::to_string).or_else(|| error.get().and_then(|e| e.field_message("amount")))}
                    </p>
                </div>
                <fieldset class="flex gap-6 text-sm text-slate-700">
                    <legend class="sr-only">"How often"</legend>
                    <label class="flex items-center gap-2">
                        <input type="radio" name="form[frequency]" value="ONE_OFF" checked=true />
                        "Once"
                    </label>
                    <label class="flex items-center gap-2">
                        <input type="radio" name="form[frequency]" value="MONTHLY" />
                        "Every month"
                    </label>
                </fieldset>
                <Field label="Your name" name="form[name]" autocomplete="name" required=true maxlength=100 error=error />
                <Field label="Email (for your receipt)" name="form[email]" kind="email" autocomplete="email" required=true error=error />
                <button
                    type="submit"
                    class=BUTTON_PRIMARY
                    disabled=move || donate.pending().get() || amount_message().is_some()
                >
                    {move || if donate.pending().get() { "Starting checkout…" } else { "Continue to payment" }}
                </button>
            </ActionForm>
        </main>
    }
}

/// Where Stripe sends the supporter back. It fulfils nothing: the webhook does.
#[component]
pub fn DonateThanksPage() -> impl IntoView {
    view! {
        <Title text="Thank you" />
        <main class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Thank you"</h1>
            <p class="mt-4 text-slate-700">"Thank you — we’ll email your receipt once Stripe confirms the payment."</p>
            <p class="mt-6"><a href="/" class="text-indigo-700 hover:underline">"Back to the home page"</a></p>
        </main>
    }
}
