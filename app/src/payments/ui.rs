//! Payment pages: settings and products for payments admins; the public donation form, the
//! shop and their thank-you pages.

use std::collections::HashMap;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    BuyProduct, CURRENCIES, JoinPlan, PaymentKind, PaymentSettings, Plan, Product, ProductFilter,
    RefundCancelledEvent, RefundPayment, SavePaymentSettings, SavePlan, SaveProduct, StartDonation,
    TestStripeConnection, format_cents, get_payment_settings, get_shop_product, get_ways_to_give,
    list_events_to_refund, list_membership_plans, list_payments, list_plans, list_products, list_shop,
    load_audit_log, load_donation_chart, parse_donation_cents, parse_price_cents, payments_are_off,
};
use crate::audit::ui::{ActorLink, AuditFilterForm, actor_shown, audit_empty, audit_pager, use_audit_filter};
use crate::home::ui::PublicHeader;
use crate::ui::style::{PHONE_ONLY, SMALL_BUTTON, TD, TH, WIDE_ONLY};
use crate::ui::{BUTTON_PRIMARY, Bar, BarChart, Field, FormError, MaskedField, last_error, mask_after_save};

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
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
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
    let changed = RwSignal::new(false);
    // After a save the form shows what is stored now: secrets masked.
    let initial = match save.value().get_untracked() {
        Some(Ok(saved)) => saved,
        _ => current,
    };
    // A saved secret gives way to its mask in place.
    let secret_key_mask = mask_after_save(save.value(), initial.secret_key.clone(), |saved| saved.secret_key);
    let webhook_secret_mask =
        mask_after_save(save.value(), initial.webhook_secret.clone(), |saved| saved.webhook_secret);
    let secret_help = "Saved keys show masked. Leave a masked field as it is to keep the key; to replace it, type the whole new key.";
    view! {
        <section class="mt-6 max-w-xl rounded-lg bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold text-slate-900">"Stripe"</h2>
            <ActionForm action=save on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error />
                <crate::ui::EditsField opened=initial.edits saved=Signal::derive(move || save.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
                <label class="flex items-center gap-2 text-sm font-medium text-slate-700">
                    <input type="checkbox" name="form[enabled]" value="true" checked=initial.enabled aria-describedby="enabled-error" />
                    "Take payments"
                </label>
                <p id="enabled-error" class="text-sm text-red-600">{move || error.get().and_then(|e| e.field_message("enabled"))}</p>
                <label class="block text-sm font-medium text-slate-700">
                    "Currency"
                    <select name="form[currency]" class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-2 text-sm">
                        {CURRENCIES.iter().map(|c| view! {
                            <option value=*c selected=initial.currency == *c>{c.to_uppercase()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Field label="Publishable key" name="form[publishable_key]" autocomplete="off" value=initial.publishable_key.clone() error=error />
                <MaskedField label="Secret key" name="form[secret_key]" mask=secret_key_mask error=error />
                <MaskedField label="Webhook signing secret" name="form[webhook_secret]" mask=webhook_secret_mask error=error />
                <p class="text-sm text-slate-600">{secret_help}</p>
                <p class="text-sm text-slate-600">
                    "Point Stripe's webhook at " <code>"/api/payments/webhook"</code> " on this server's address."
                </p>
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save payment settings" }}
                </button>
                <crate::ui::SavedNote saved=save.value() changed=changed testid="save-result" />
            </ActionForm>
        </section>
    }
}

/// `/donate`: a one-off or monthly gift, while payments are on. The amount is checked as it is
/// typed (the server checks it again); a started checkout goes on to Stripe's payment page.
#[component]
pub fn DonatePage() -> impl IntoView {
    let donate = ServerAction::<StartDonation>::new();
    let error = last_error(donate.value());
    let (amount, set_amount) = signal(String::new());
    let amount_message = move || {
        let typed = amount.get();
        (!typed.trim().is_empty()).then(|| parse_donation_cents(&typed).err()).flatten()
    };
    go_to_checkout(donate);
    let giving = Resource::new(|| (), |_| get_ways_to_give());
    view! {
        <Title text="Donate" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Donate"</h1>
            <p class="mt-2 text-slate-600">"Your gift keeps the campaign going. Payment is handled securely by Stripe."</p>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if payments_are_off(&giving.await) {
                        closed("Donations are not open right now. Thank you for thinking of us.")
                    } else {
                        view! {
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
                                        aria-describedby="field-amount-error"
                                        on:input=move |ev| set_amount.set(event_target_value(&ev))
                                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-slate-900 shadow-sm"
                                    />
                                    <p id="field-amount-error" class="mt-1 text-sm text-red-600" data-testid="error-form[amount]">
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
                        }
                            .into_any()
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Where Stripe sends the supporter back. It fulfils nothing: the webhook does.
#[component]
pub fn DonateThanksPage() -> impl IntoView {
    view! {
        <Title text="Thank you" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Thank you"</h1>
            <p class="mt-4 text-slate-700">"Thank you — we’ll email your receipt once Stripe confirms the payment."</p>
            <p class="mt-6"><a href="/" class="text-indigo-700 hover:underline">"Back to the home page"</a></p>
        </main>
    }
}

/// Sends the browser to Stripe's payment page once a checkout has started.
fn go_to_checkout<A>(action: ServerAction<A>)
where
    A: leptos::server_fn::ServerFn<Output = super::CheckoutStarted, Error = crate::error::AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(started)) = action.value().get() {
            let _ = window().location().set_href(&started.url);
        }
    });
}

/// `/shop`: the products on sale.
#[component]
pub fn ShopPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(crate::ui::page_param);
    let products = Resource::new(page, list_shop);
    let giving = Resource::new(|| (), |_| get_ways_to_give());
    view! {
        <Title text="Shop" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Shop"</h1>
            <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let payments_off = payments_are_off(&giving.await);
                    match products.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(_) if payments_off => closed("The shop is not open right now. Thank you for thinking of us."),
                        Ok(list) if list.rows.is_empty() => {
                            let empty = if list.page > 1 { "No more products on this page." } else { "Nothing is on sale right now." };
                            view! {
                                <p class="mt-6 text-slate-600">{empty}</p>
                                {crate::ui::pager("products", list.page, false, |n| format!("/shop?page={n}"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                            }.into_any()
                        }
                        Ok(list) => view! {
                            <ul class="mt-6 space-y-3">
                                {list.rows.into_iter().map(|p| view! {
                                    <li class="rounded-lg bg-white p-4 shadow-sm" data-testid="product">
                                        <a href=format!("/shop/{}", p.slug) class="text-lg font-semibold text-indigo-700 hover:underline">{p.name.clone()}</a>
                                        <p class="text-sm text-slate-700">{format_cents(p.price_cents)} " · " {availability(&p)}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {crate::ui::pager("products", list.page, list.has_more, |n| format!("/shop?page={n}"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// What a public page that takes payments says while payments are off (see
/// `payments_are_off`), instead of its form.
fn closed(notice: &'static str) -> AnyView {
    view! {
        <p class="mt-6 rounded-lg bg-white p-6 text-slate-700 shadow-sm" data-testid="payments-closed">{notice}</p>
    }
    .into_any()
}

/// On the admin pages of what the public pages sell: a word that, with payments off, `what`
/// is closed to the public (and where to open it).
#[component]
fn ClosedWhilePaymentsOff(what: &'static str) -> impl IntoView {
    let giving = Resource::new(|| (), |_| get_ways_to_give());
    view! {
        <Suspense>
            {Suspend::new(async move {
                payments_are_off(&giving.await).then(|| view! {
                    <p class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-800" role="status" data-testid="payments-off">
                        {what} " is closed to the public while payments are off: turn them on in "
                        <a href="/admin/payments/settings" class="underline">"Payment settings"</a> "."
                    </p>
                })
            })}
        </Suspense>
    }
}

fn availability(p: &Product) -> String {
    match p.remaining() {
        None => "available".to_string(),
        Some(0) => "sold out".to_string(),
        Some(n) => format!("{n} left"),
    }
}

/// `/shop/<slug>`: a product and the form to buy one.
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let product = Resource::new(slug, get_shop_product);
    let giving = Resource::new(|| (), |_| get_ways_to_give());
    let buy = ServerAction::<BuyProduct>::new();
    let error = last_error(buy.value());
    go_to_checkout(buy);
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let payments_off = payments_are_off(&giving.await);
                    match product.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(p) => {
                            let sold_out = p.remaining() == Some(0);
                            let slug = p.slug.clone();
                            let buying = if payments_off {
                                closed("The shop is not open right now. Thank you for thinking of us.")
                            } else {
                                view! {
                                    <ActionForm action=buy attr:class="mt-6 space-y-4 rounded-lg bg-white p-6 shadow-sm" attr:novalidate=true>
                                        <FormError error=error />
                                        <input type="hidden" name="slug" value=slug />
                                        <Field label="Your name" name="form[name]" autocomplete="name" required=true maxlength=100 error=error />
                                        <Field label="Email (for your receipt)" name="form[email]" kind="email" autocomplete="email" required=true error=error />
                                        <button type="submit" class=BUTTON_PRIMARY disabled=move || sold_out || buy.pending().get()>
                                            {move || if sold_out { "Sold out" } else if buy.pending().get() { "Starting checkout…" } else { "Buy" }}
                                        </button>
                                    </ActionForm>
                                }.into_any()
                            };
                            view! {
                                <Title text=p.name.clone() />
                                <h1 class="text-3xl font-bold text-slate-900">{p.name.clone()}</h1>
                                <p class="mt-2 text-lg text-slate-800">{format_cents(p.price_cents)} " · " {availability(&p)}</p>
                                <p class="mt-4 whitespace-pre-line text-slate-700"><crate::ui::LinkedText text=p.description.clone() /></p>
                                {buying}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
            <p class="mt-8 text-sm"><a href="/shop" class="text-indigo-700 hover:underline">"← All products"</a></p>
        </main>
    }
}

/// Where Stripe sends a buyer back. It fulfils nothing: the webhook does.
#[component]
pub fn ShopThanksPage() -> impl IntoView {
    view! {
        <Title text="Thank you" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Thank you"</h1>
            <p class="mt-4 text-slate-700">"Thank you — we’ll email your receipt once Stripe confirms the payment."</p>
            <p class="mt-6"><a href="/shop" class="text-indigo-700 hover:underline">"Back to the shop"</a></p>
        </main>
    }
}

/// Shows `shown` in an add-or-edit form (`None`: an empty "Add" form). The form is reset
/// first: a field someone typed in keeps its text when the value it shows changes, so
/// without it an added product's name would stay in the emptied form, or an edited one's
/// typed name would carry over to the next product edited.
fn show_in_form<T: Send + Sync + 'static>(
    form: NodeRef<leptos::html::Form>,
    set_editing: WriteSignal<Option<T>>,
    shown: Option<T>,
) {
    if let Some(form) = form.get_untracked() {
        form.reset();
    }
    set_editing.set(shown);
}

/// `/admin/payments/products`: the products, and a form to add or change one.
#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| ProductFilter {
            search: q.get("q").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let products = Resource::new(filter, list_products);
    let save = ServerAction::<SaveProduct>::new();
    let error = last_error(save.value());
    let (editing, set_editing) = signal(None::<Product>);
    let form = NodeRef::<leptos::html::Form>::new();
    let show_in_form = move |shown: Option<Product>| show_in_form(form, set_editing, shown);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            show_in_form(None);
            products.refetch();
        }
    });
    let (price_text, set_price_text) = signal(String::new());
    let price_message = move || {
        let typed = price_text.get();
        (!typed.trim().is_empty()).then(|| parse_price_cents(&typed).err()).flatten()
    };
    view! {
        <Title text="Products" />
        <h1 class="text-2xl font-bold text-slate-900">"Products"</h1>
        <ClosedWhilePaymentsOff what="The shop" />
        <form method="get" class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            <label class="text-sm text-slate-700">
                "Name contains"
                <input name="q" maxlength="200" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" value=move || filter().search />
            </label>
            <button type="submit" class=SMALL_BUTTON>"Find"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = filter();
                match products.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(list) if list.rows.is_empty() => {
                        let empty = if list.count > 0 {
                            "No more products on this page."
                        } else if current.search.trim().is_empty() {
                            "No products yet. Add the first one below."
                        } else {
                            "No products match."
                        };
                        view! { <p class="mt-6 text-slate-600" data-testid="products-empty">{empty}</p> }.into_any()
                    }
                    Ok(list) => {
                        let link = move |n: i64| format!("/admin/payments/products?q={}&page={n}", crate::ui::urlencode(&current.search));
                        view! {
                        <p class="mt-4 text-sm text-slate-700">{crate::ui::count(list.count, "product")}</p>
                        <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                            <table class="w-full text-sm">
                                <thead><tr>
                                    <th class=TH>"Product"</th><th class=TH>"Price"</th><th class=format!("{TH} {WIDE_ONLY}")>"Sold / cap"</th>
                                    <th class=format!("{TH} {WIDE_ONLY}")>"On sale"</th><th class=TH><span class="sr-only">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.rows.into_iter().map(|p| {
                                        let edit = p.clone();
                                        let sold = format!("{} / {}", p.held, p.max_purchases.map_or("no limit".to_string(), |c| c.to_string()));
                                        let on_phone = format!("Sold {sold} · {}", if p.active { "on sale" } else { "not on sale" });
                                        view! {
                                            <tr class="border-t border-slate-100" data-testid="product-row">
                                                <td class=TD>
                                                    <a href=format!("/shop/{}", p.slug) class="text-indigo-700 hover:underline">{p.name.clone()}</a>
                                                    <span class=PHONE_ONLY>{on_phone}</span>
                                                </td>
                                                <td class=TD>{format_cents(p.price_cents)}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{sold}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{if p.active { "yes" } else { "no" }}</td>
                                                <td class=TD>
                                                    <button class="text-indigo-700 hover:underline" on:click=move |_| show_in_form(Some(edit.clone()))>"Edit"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {crate::ui::pager("products", list.page, list.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || {
            let current = editing.get();
            let title = if current.is_some() { "Edit product" } else { "Add a product" };
            let p = current.clone().unwrap_or(Product {
                id: String::new(), slug: String::new(), name: String::new(), description: String::new(),
                price_cents: 0, max_purchases: None, active: true, held: 0, edits: 0,
            });
            // A save ends the edit (the form is then "Add a product"), so it saves once.
            let edits = current.is_some().then(|| view! { <crate::ui::EditsField opened=p.edits saved=Signal::stored(None) /> });
            let price = if p.price_cents > 0 { format!("{}.{:02}", p.price_cents / 100, p.price_cents % 100) } else { String::new() };
            view! {
                <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
                    <h2 class="text-lg font-semibold text-slate-900">{title}</h2>
                    <ActionForm action=save node_ref=form attr:class="mt-4 space-y-4" attr:novalidate=true>
                        <FormError error=error />
                        <input type="hidden" name="id" value=p.id.clone() />
                        {edits}
                        <Field label="Name" name="form[name]" value=p.name.clone() maxlength=120 error=error />
                        <Field label="Address (/shop/…; left empty, made from the name)" name="form[slug]" value=p.slug.clone() maxlength=60 error=error />
                        <label class="block text-sm font-medium text-slate-700">
                            "Description"
                            <textarea name="form[description]" rows="4" maxlength="2000" class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">{p.description.clone()}</textarea>
                        </label>
                        <div>
                            <label for="field-price" class="block text-sm font-medium text-slate-700">"Price (dollars)"</label>
                            <input id="field-price" name="form[price]" inputmode="decimal" value=price aria-describedby="field-price-error"
                                on:input=move |ev| set_price_text.set(event_target_value(&ev))
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-slate-900 shadow-sm" />
                            <p id="field-price-error" class="mt-1 text-sm text-red-600" data-testid="error-form[price]">
                                {move || price_message().map(str::to_string).or_else(|| error.get().and_then(|e| e.field_message("price")))}
                            </p>
                        </div>
                        <Field label="Most that can be sold (empty: no limit)" name="form[max_purchases]" kind="number"
                            value=p.max_purchases.map(|c| c.to_string()).unwrap_or_default() error=error />
                        <label class="flex items-center gap-2 text-sm text-slate-700">
                            <input type="checkbox" name="form[active]" value="true" checked=p.active />
                            "On sale"
                        </label>
                        <div class="flex gap-4">
                            <button type="submit" class=BUTTON disabled=move || save.pending().get() || price_message().is_some()>
                                {move || if save.pending().get() { "Saving…" } else { "Save product" }}
                            </button>
                            <Show when=move || editing.with(Option::is_some)>
                                <button type="button" class="text-sm text-slate-600 hover:text-slate-900" on:click=move |_| show_in_form(None)>"Cancel"</button>
                            </Show>
                        </div>
                    </ActionForm>
                </section>
            }
        }}
    }
}

/// What the payments page follows: every payment topic, and events cancelled (their paid
/// tickets then wait for a refund there).
const PAYMENT_EVENTS: &str = "/api/events/stream?topics=donation.*,subscription.*,product.*,payment.*,ticket.*,ticketed-event.cancelled";

/// `/admin/payments`: donations or orders, filtered by status, with the total kept, and a
/// refund (whole or partial, after a confirmation) on each paid one; live.
#[component]
pub fn AdminPaymentsPage() -> impl IntoView {
    // Bumped by every payment event, whoever caused it: the list, the chart and the events
    // to refund fetch again (through one stream for the page).
    let changes = RwSignal::new(0_u32);
    crate::live::on_change(PAYMENT_EVENTS, move || changes.update(|n| *n += 1));
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let kind = q.get("kind").and_then(|k| PaymentKind::parse(&k)).unwrap_or(PaymentKind::Donation);
            (kind, q.get("status").unwrap_or_default(), crate::ui::page_param(q))
        })
    };
    let list = Resource::new(
        move || (filter(), changes.get()),
        |((kind, status, page), _)| list_payments(kind.as_str().to_string(), status, page),
    );
    let refund = ServerAction::<RefundPayment>::new();
    let refund_error = last_error(refund.value());
    // What is typed to refund, by payment: kept here, not in the rows, which a live update
    // draws again in place, so that an amount stays with its payment when the rows move.
    let refund_amounts = RwSignal::new(HashMap::<String, String>::new());
    Effect::new(move |_| {
        if let Some(done) = refund.value().get() {
            if done.is_ok() {
                refund_amounts.update(HashMap::clear);
            }
            list.refetch();
        }
    });
    let link = move |kind: PaymentKind, status: &str, page: i64| {
        let mut url = format!("/admin/payments?kind={}", kind.as_str());
        if !status.is_empty() {
            url.push_str(&format!("&status={status}"));
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    };
    view! {
        <Title text="Payments" />
        <h1 class="text-2xl font-bold text-slate-900">"Payments"</h1>
        <nav class="mt-4 flex flex-wrap gap-4 text-sm">
            {PaymentKind::ALL.map(|k| view! {
                <a href=link(k, "", 1) class="font-semibold text-indigo-700 hover:underline"
                    aria-current=move || (filter().0 == k).then_some("page")>{status_label(k.plural())}</a>
            }).collect_view()}
            <a href=move || format!("/api/payments/{}.csv", filter().0.plural()) class="text-indigo-700 hover:underline">
                {move || format!("Export {} (CSV)", filter().0.plural())}
            </a>
        </nav>
        <nav class="mt-2 flex flex-wrap gap-4 text-sm" aria-label="Status">
            <a href=move || link(filter().0, "", 1) class="text-indigo-700 hover:underline">"All"</a>
            {move || filter().0.statuses().iter().map(|s| view! {
                <a href=link(filter().0, s, 1) class="text-indigo-700 hover:underline">{status_label(s)}</a>
            }).collect_view()}
        </nav>
        <DonationChartView shown=Signal::derive(move || filter().0 == PaymentKind::Donation) changes />
        <EventsToRefund shown=Signal::derive(move || filter().0 == PaymentKind::Ticket) changes />
        <p class="mt-2 text-sm text-red-600" role="alert">{move || refund_error.get().map(|e| e.to_string())}</p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) => {
                        let (kind, status, _) = filter();
                        let kind_label = kind.plural();
                        let total = match kind {
                            PaymentKind::Subscription => format!("active ones bring in {} a month", format_cents(page.kept_cents)),
                            PaymentKind::Donation | PaymentKind::Order | PaymentKind::Ticket => format!("kept after refunds: {}", format_cents(page.kept_cents)),
                        };
                        view! {
                            <p class="mt-4 text-sm text-slate-700" data-testid="payments-summary">
                                {format!("{} · {total}", crate::ui::count(page.count, kind.as_str()))}
                            </p>
                            {if page.rows.is_empty() {
                                view! { <p class="mt-6 text-slate-600">{format!("No {kind_label} yet.")}</p> }.into_any()
                            } else {
                                view! {
                                    <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                                        <table class="w-full text-sm">
                                            <thead><tr>
                                                <th class=format!("{TH} {WIDE_ONLY}")>"When"</th><th class=TH>"Who"</th><th class=format!("{TH} {WIDE_ONLY}")>"What"</th>
                                                <th class=TH>"Amount"</th><th class=format!("{TH} {WIDE_ONLY}")>"Status"</th><th class=TH><span class="sr-only">"Actions"</span></th>
                                            </tr></thead>
                                            <tbody>
                                                {page.rows.into_iter().map(|row| view! {
                                                    <PaymentRowView row=row kind=kind refund=refund amounts=refund_amounts />
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                            {crate::ui::pager("payments", page.page, page.has_more, |n| link(kind, &status, n), crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Cancelled events with paid tickets still to refund, each refunded all at once in the
/// background (after a confirmation), with the job's progress; loaded while `shown`.
///
/// Made with the page whatever it shows, as the donation chart is: a page makes its resources
/// in its body, never in a part drawn on a condition (see the README, "Building and styling").
#[component]
fn EventsToRefund(shown: Signal<bool>, changes: RwSignal<u32>) -> impl IntoView {
    let events = Resource::new(
        move || shown.get().then(|| changes.get()),
        |shown| async move { if shown.is_some() { list_events_to_refund().await } else { Ok(Vec::new()) } },
    );
    let refund_all = ServerAction::<RefundCancelledEvent>::new();
    let error = last_error(refund_all.value());
    // The event whose refunds were started last: its button stays off while they run.
    let started_for = RwSignal::new(None::<String>);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="mt-4 rounded-lg bg-amber-50 p-4" aria-label="Cancelled events to refund">
                            <h2 class="font-semibold text-amber-900">"Cancelled events with paid tickets to refund"</h2>
                            <ul class="mt-2 space-y-2">
                                {list.into_iter().map(|e| {
                                    let (id, title) = (e.event_id.clone(), e.title.clone());
                                    let what = format!("{} ({})", crate::ui::count(e.tickets, "paid ticket"), format_cents(e.amount_cents));
                                    let question = format!("Refund all {what} of \"{title}\" through Stripe? This cannot be undone.");
                                    let started = { let id = id.clone(); move || started_for.get().as_ref() == Some(&id) };
                                    let confirm = move |_| {
                                        if window().confirm_with_message(&question).unwrap_or(false) {
                                            started_for.set(Some(id.clone()));
                                            refund_all.dispatch(RefundCancelledEvent { event_id: id.clone() });
                                        }
                                    };
                                    view! {
                                        <li class="flex flex-wrap items-center gap-3 text-sm text-amber-900" data-testid="event-to-refund">
                                            <span>{format!("{} — {what}", e.title)}</span>
                                            <button class="rounded-md border border-amber-400 px-3 py-1 font-semibold" on:click=confirm
                                                disabled=move || refund_all.pending().get() || started()>"Refund all"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
        <FormError error=error />
        {move || refund_all.value().get().and_then(Result::ok).map(|id| view! { <crate::jobs::ui::JobProgress id=id /> })}
    }
}

/// Donations kept per day (last 30 days) or per week (last 12 weeks), as bars scaled to the
/// largest; each bar names its period and amount on hover and to screen readers. Loaded and
/// drawn while `shown` (made with the page, as `EventsToRefund` says why).
#[component]
fn DonationChartView(shown: Signal<bool>, changes: RwSignal<u32>) -> impl IntoView {
    let (by, set_by) = signal("day".to_string());
    let chart = Resource::new(
        move || shown.get().then(|| (by.get(), changes.get())),
        |shown| async move {
            match shown {
                Some((by, _)) => load_donation_chart(by).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let choice = move |value: &'static str, label: &'static str| {
        view! {
            <button type="button" on:click=move |_| set_by.set(value.to_string())
                class=move || if by.get() == value { "font-semibold text-slate-900" } else { "text-indigo-700 hover:underline" }
                aria-pressed=move || (by.get() == value).to_string()>{label}</button>
        }
    };
    view! {
        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" aria-label="Donations over time" hidden=move || !shown.get()>
            <div class="flex items-center gap-4 text-sm">
                <h2 class="font-semibold text-slate-900">"Donations kept"</h2>
                {choice("day", "Last 30 days")}
                {choice("week", "Last 12 weeks")}
            </div>
            <Transition fallback=|| view! { <p class="mt-4 h-32 text-sm text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Err(e) => view! { <p class="mt-4 text-sm text-red-600">{e.to_string()}</p> }.into_any(),
                        Ok(None) => ().into_any(),
                        Ok(Some(chart)) => {
                            let first = chart.bars.first().map(|b| b.start.clone()).unwrap_or_default();
                            let last = chart.bars.last().map(|b| b.start.clone()).unwrap_or_default();
                            let bars = chart.bars.into_iter().map(|bar| {
                                let label = format!("{}: {} from {}", bar.start, format_cents(bar.kept_cents), crate::ui::count(bar.count, "donation"));
                                Bar { value: bar.kept_cents, label }
                            }).collect::<Vec<_>>();
                            view! { <BarChart bars=bars first=first last=last /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

fn status_label(status: &str) -> String {
    let lower = status.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

#[component]
fn PaymentRowView(
    row: super::PaymentRow,
    kind: PaymentKind,
    refund: ServerAction<RefundPayment>,
    amounts: RwSignal<HashMap<String, String>>,
) -> impl IntoView {
    // Refunds of a subscription's payments are made in Stripe's dashboard.
    let refundable =
        kind != PaymentKind::Subscription && matches!(row.status.as_str(), "PAID" | "PARTIALLY_REFUNDED");
    let left = row.amount_cents - row.refunded_cents;
    let badge = match row.status.as_str() {
        "PAID" | "ACTIVE" => "bg-green-100 text-green-800",
        "PENDING" | "PAST_DUE" => "bg-amber-100 text-amber-800",
        "DISPUTED" | "LOST" | "FAILED" => "bg-red-100 text-red-800",
        _ => "bg-slate-100 text-slate-700",
    };
    // Its own column on a wide screen, under the amount on a phone.
    let status = view! { <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {badge}")>{status_label(&row.status)}</span> };
    let what = match row.what.as_str() {
        "ONE_OFF" => "One-off".to_string(),
        "MONTHLY" => "Monthly".to_string(),
        other => other.to_string(),
    };
    let refunded =
        (row.refunded_cents > 0).then(|| format!(" ({} refunded)", format_cents(row.refunded_cents)));
    let id = row.id.clone();
    let typed = {
        let id = id.clone();
        move || amounts.with(|a| a.get(&id).cloned().unwrap_or_default())
    };
    let type_amount = {
        let id = id.clone();
        move |ev| amounts.update(|a| drop(a.insert(id.clone(), event_target_value(&ev))))
    };
    let supporter = format!("{} ({})", row.name, row.email);
    let do_refund = move |_| {
        let typed = amounts.with_untracked(|a| a.get(&id).cloned().unwrap_or_default());
        let how_much =
            if typed.trim().is_empty() { format_cents(left) } else { format!("${}", typed.trim()) };
        let confirmed = window()
            .confirm_with_message(&format!(
                "Refund {how_much} to {supporter} through Stripe? This cannot be undone."
            ))
            .unwrap_or(false);
        if confirmed {
            refund.dispatch(RefundPayment { kind: kind.as_str().to_string(), id: id.clone(), amount: typed });
        }
    };
    view! {
        <tr class="border-t border-slate-100" data-testid="payment-row">
            <td class=format!("{TD} {WIDE_ONLY}")>{row.created.clone()}</td>
            <td class=TD>
                {match row.contact_id.clone() {
                    Some(contact) => view! {
                        <a href=format!("/admin/contacts/{contact}") class="text-indigo-700 hover:underline">{row.name.clone()}</a>
                    }.into_any(),
                    None => row.name.clone().into_any(),
                }}
                <br /> <span class="text-slate-600">{row.email.clone()}</span>
                <span class=PHONE_ONLY>{format!("{} · {what}", row.created)}</span>
            </td>
            <td class=format!("{TD} {WIDE_ONLY}")>{what.clone()}</td>
            <td class=TD>
                {format_cents(row.amount_cents)} {refunded}
                <span class="mt-1 block md:hidden">{status.clone()}</span>
            </td>
            <td class=format!("{TD} {WIDE_ONLY}")>{status}</td>
            <td class=TD>
                {refundable.then(|| view! {
                    <div class="flex flex-wrap items-center gap-2">
                        <input aria-label="Amount to refund (empty: all)" placeholder=format!("{:.2}", left as f64 / 100.0)
                            inputmode="decimal" class="w-16 rounded border border-slate-300 px-2 py-1 text-sm md:w-24"
                            prop:value=typed on:input=type_amount />
                        <button class="text-sm text-red-700 hover:underline" disabled=move || refund.pending().get() on:click=do_refund.clone()>
                            "Refund"
                        </button>
                    </div>
                })}
            </td>
        </tr>
    }
}

fn per(interval: &str) -> &'static str {
    if interval == "year" { "a year" } else { "a month" }
}

/// `/membership`: the plans on offer, and a form to join one.
#[component]
pub fn MembershipPage() -> impl IntoView {
    let plans = Resource::new(|| (), |_| list_membership_plans());
    let giving = Resource::new(|| (), |_| get_ways_to_give());
    let join = ServerAction::<JoinPlan>::new();
    let error = last_error(join.value());
    go_to_checkout(join);
    view! {
        <Title text="Membership" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Membership"</h1>
            <p class="mt-2 text-slate-600">"Members keep the campaign going all year. Payment is handled securely by Stripe; cancel any time."</p>
            <div class="mt-4"><FormError error=error /></div>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let payments_off = payments_are_off(&giving.await);
                    match plans.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(_) if payments_off => closed("Membership is not open right now. Thank you for thinking of us."),
                        Ok(list) if list.is_empty() => view! {
                            <p class="mt-6 text-slate-600">"No membership plans are offered right now."</p>
                        }.into_any(),
                        // One form with a choice of plan: a form for each plan would repeat
                        // the name and email fields' ids, and show one plan's errors under all.
                        Ok(list) => view! {
                            <ActionForm action=join attr:class="mt-6 space-y-4 rounded-lg bg-white p-6 shadow-sm" attr:novalidate=true>
                                <fieldset>
                                    <legend class="text-sm font-medium text-slate-700">"Plan"</legend>
                                    {list.into_iter().enumerate().map(|(i, plan)| view! {
                                        <label class="mt-2 flex items-center gap-2 text-slate-700" data-testid="plan">
                                            <input type="radio" name="plan_id" value=plan.id.clone() checked=i == 0 />
                                            <span><span class="font-semibold text-slate-900">{plan.name.clone()}</span>
                                            {format!(" — {} {}", format_cents(plan.amount_cents), per(&plan.interval))}</span>
                                        </label>
                                    }).collect_view()}
                                </fieldset>
                                <Field label="Your name" name="form[name]" autocomplete="name" required=true maxlength=100 error=error />
                                <Field label="Email (for your receipt)" name="form[email]" kind="email" autocomplete="email" required=true error=error />
                                <button type="submit" class=BUTTON_PRIMARY disabled=move || join.pending().get()>
                                    {move || if join.pending().get() { "Starting checkout…" } else { "Continue to payment" }}
                                </button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Where Stripe sends a new member back. It fulfils nothing: the webhook does.
#[component]
pub fn MembershipThanksPage() -> impl IntoView {
    view! {
        <Title text="Welcome" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Thank you"</h1>
            <p class="mt-4 text-slate-700">"Thank you — we’ll email your receipt once Stripe confirms the payment."</p>
        </main>
    }
}

/// `/admin/payments/plans`: the membership plans, and a form to add or change one.
#[component]
pub fn AdminPlansPage() -> impl IntoView {
    let plans = Resource::new(|| (), |_| list_plans());
    let save = ServerAction::<SavePlan>::new();
    let error = last_error(save.value());
    let (editing, set_editing) = signal(None::<Plan>);
    let form = NodeRef::<leptos::html::Form>::new();
    let show_in_form = move |shown: Option<Plan>| show_in_form(form, set_editing, shown);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            show_in_form(None);
            plans.refetch();
        }
    });
    view! {
        <Title text="Membership plans" />
        <h1 class="text-2xl font-bold text-slate-900">"Membership plans"</h1>
        <ClosedWhilePaymentsOff what="Membership" />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plans.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="mt-6 text-slate-600">"No plans yet. Add the first one below."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="mt-6 w-full rounded-lg bg-white text-sm shadow-sm">
                            <thead><tr>
                                <th class=TH>"Plan"</th><th class=TH>"Price"</th><th class=TH>"On /membership"</th>
                                <th class=TH><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let edit = p.clone();
                                    view! {
                                        <tr class="border-t border-slate-100" data-testid="plan-row">
                                            <td class=TD>{p.name.clone()}</td>
                                            <td class=TD>{format!("{} {}", format_cents(p.amount_cents), per(&p.interval))}</td>
                                            <td class=TD>{if p.active { "offered" } else { "not offered" }}</td>
                                            <td class=TD><button class="text-indigo-700 hover:underline" on:click=move |_| show_in_form(Some(edit.clone()))>"Edit"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || {
            let current = editing.get();
            let title = if current.is_some() { "Edit plan" } else { "Add a plan" };
            let p = current.clone().unwrap_or(Plan { id: String::new(), name: String::new(), amount_cents: 0, interval: "month".into(), active: true, edits: 0 });
            // A save ends the edit (the form is then "Add a plan"), so it saves once.
            let edits = current.is_some().then(|| view! { <crate::ui::EditsField opened=p.edits saved=Signal::stored(None) /> });
            let amount = if p.amount_cents > 0 { format!("{}.{:02}", p.amount_cents / 100, p.amount_cents % 100) } else { String::new() };
            view! {
                <section class="mt-8 max-w-xl rounded-lg bg-white p-6 shadow-sm">
                    <h2 class="text-lg font-semibold text-slate-900">{title}</h2>
                    <ActionForm action=save node_ref=form attr:class="mt-4 space-y-4" attr:novalidate=true>
                        <FormError error=error />
                        <input type="hidden" name="id" value=p.id.clone() />
                        {edits}
                        <Field label="Name" name="form[name]" value=p.name.clone() maxlength=120 error=error />
                        <Field label="Amount (dollars)" name="form[amount]" inputmode="decimal" value=amount error=error />
                        <label class="block text-sm font-medium text-slate-700">
                            "Billed"
                            <select name="form[interval]" class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-2 text-sm">
                                <option value="month" selected=p.interval == "month">"Monthly"</option>
                                <option value="year" selected=p.interval == "year">"Yearly"</option>
                            </select>
                        </label>
                        <label class="flex items-center gap-2 text-sm text-slate-700">
                            <input type="checkbox" name="form[active]" value="true" checked=p.active />
                            "Offered on /membership"
                        </label>
                        <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                            {move || if save.pending().get() { "Saving…" } else { "Save plan" }}
                        </button>
                    </ActionForm>
                </section>
            }
        }}
    }
}

const AUDIT: &str = "/admin/payments/audit";

/// `/admin/payments/audit`: the payment audit log, filtered by action, actor and dates (the organisation's days).
#[component]
pub fn PaymentAuditPage() -> impl IntoView {
    let filter = use_audit_filter();
    let log = Resource::new(filter, load_audit_log);
    view! {
        <Title text="Payment audit log" />
        <h1 class="text-2xl font-bold text-slate-900">"Payment audit log"</h1>
        <p class="mt-1 text-sm text-slate-600">"Every checkout start, webhook, refund and settings change. Rows cannot be changed or deleted."</p>
        <AuditFilterForm base=AUDIT filter examples=("refund", "webhook:stripe") />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => audit_empty(AUDIT, filter(), page.page).into_any(),
                    Ok(page) => {
                        let current = filter();
                        let actor_shown = actor_shown(AUDIT, &current, page.rows.first().map(|r| r.actor_name.clone()));
                        view! {
                            {actor_shown}
                            // A record to read on a wide screen: on a phone it scrolls in its box.
                            <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="w-full text-sm">
                                    <thead><tr>
                                        <th class=TH>"When"</th><th class=TH>"Actor"</th>
                                        <th class=TH>"Action"</th><th class=TH>"On"</th>
                                        <th class=TH>"Amount"</th><th class=TH>"Outcome"</th>
                                        <th class=TH>"From"</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|r| view! {
                                            <tr class="border-t border-slate-100" data-testid="audit-row">
                                                <td class=TD>{r.at}</td>
                                                <td class=TD><ActorLink base=AUDIT actor=r.actor name=r.actor_name /></td>
                                                <td class=TD>{r.action}</td>
                                                <td class=TD>{r.entity}</td>
                                                <td class=TD>{r.amount_cents.map(format_cents)}</td>
                                                <td class=TD>{r.outcome} <span class="block text-xs text-slate-600">{r.detail}</span></td>
                                                <td class=TD>{r.client_ip} <span class="block text-xs text-slate-600">{r.request_id}</span></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {audit_pager(AUDIT, current, page.page, page.has_more)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
