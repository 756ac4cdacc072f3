//! Small components every page uses: error pages, form fields, form-level messages.

use leptos::prelude::*;

use crate::error::AppError;

/// A full error page with its HTTP status (set on the response when rendered on the server).
#[component]
pub fn ErrorPage(status: u16, #[prop(into)] title: String, #[prop(into)] message: String) -> impl IntoView {
    view! {
        <main id="main" class=ERROR_MAIN>
            <ErrorNotice status title message />
        </main>
    }
}

const ERROR_MAIN: &str = "flex min-h-screen items-center justify-center bg-slate-50 p-6";

/// An error page's status, title, message and way home, without the page around them: for a
/// page that is already inside its own `<main>` (one main landmark to a page).
#[component]
pub fn ErrorNotice(status: u16, #[prop(into)] title: String, #[prop(into)] message: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::request::set_status(status);
    view! {
        <leptos_meta::Title text=title.clone() />
        <div class="mx-auto max-w-md text-center">
            <p class="text-sm font-semibold text-indigo-600" data-testid="error-status">
                {status}
            </p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight text-slate-900">{title}</h1>
            <p class="mt-4 text-slate-600">{message}</p>
            <a
                href="/"
                class="mt-6 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500"
            >
                "Go to the home page"
            </a>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <ErrorPage
            status=404
            title="Page not found"
            message="There is no page at this address. Check the link, or start from the home page."
        />
    }
}

/// The page shown when loading an error from a server function (not signed in, no access…).
#[component]
pub fn AppErrorPage(error: AppError) -> impl IntoView {
    view! {
        <main id="main" class=ERROR_MAIN>
            <AppErrorNotice error />
        </main>
    }
}

/// As `AppErrorPage`, inside a page's own `<main>`: a public page whose video, story, event…
/// was not found.
#[component]
pub fn AppErrorNotice(error: AppError) -> impl IntoView {
    let title = match error {
        AppError::Unauthenticated => "Please sign in",
        AppError::Forbidden => "No access",
        AppError::NotFound(_) => "Not found",
        _ => "Something went wrong",
    };
    view! { <ErrorNotice status=error.status() title=title message=error.to_string() /> }
}

/// Why a page's data could not be loaded, in the page's own layout (and, in the server's
/// render, as the response's status: 404 for a shift that does not exist).
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::request::set_status(error.status());
    view! {
        <p class="mt-6 text-red-600" role="alert" data-testid="load-error">
            {error.to_string()}
        </p>
    }
}

/// Above a log filtered by actor, whose rows they are (the filter box holds an id such as
/// `user:…`), and a link to everyone's.
#[component]
pub fn ActorShown(name: String, everyone: String) -> impl IntoView {
    view! {
        <p class="mt-4 text-sm text-slate-700" data-testid="actor-shown">
            "Only " <strong>{name}</strong> " · "
            <a href=everyone class="text-indigo-700 hover:underline">"Show everyone"</a>
        </p>
    }
}

/// False in the server's render and until the page's code has loaded, then true. For the
/// submit button of a form that asks "are you sure?" first: before the code loads, the browser
/// would send the form itself, without asking.
pub fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    // Effects run only in the browser, once the page has come alive.
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// The message for `field` of the last failed call, if any: for a form whose inputs are not
/// `Field`s.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> Option<String> {
    move || error.get().and_then(|e| e.field_message(field))
}

/// The error of the last submission of a form, if any.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// Goes to `path` once the action whose `value()` this is succeeds: a page whose thing was
/// just deleted leaves for the list.
pub fn leave_on_success<T, S>(value: S, path: &'static str)
where
    T: 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_))) {
            navigate(path, Default::default());
        }
    });
}

/// Empties `form` each time its action succeeds (`value`: the action's `value()`). A form that
/// adds something (a tag, a volunteer, a reply) stays on its page, and so would what was typed
/// in it, even when the page around it is drawn again: a field keeps its typed text when the
/// value it shows changes. Emptied, pressing its button again does not add a twin.
pub fn empty_on_success<T, S>(value: S, form: NodeRef<leptos::html::Form>)
where
    T: 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_)))
            && let Some(form) = form.get_untracked()
        {
            form.reset();
        }
    });
}

/// The look admin pages share: tables, cards, small buttons and the inputs of filters.
pub mod style {
    /// A table's header cell.
    pub const TH: &str = "px-3 py-2 text-left font-semibold text-slate-700";
    /// A table's cell, its text at the top when a row's cells differ in height.
    pub const TD: &str = "px-3 py-2 align-top text-slate-700";
    /// Added to a column's cells to show it only on a wide screen. On a phone the row's first
    /// cell shows what matters of it instead (under `md:hidden`), so the row fits without
    /// scrolling sideways.
    pub const WIDE_ONLY: &str = "hidden md:table-cell";
    /// A line under a row's first cell, shown only on a phone: the values of its `WIDE_ONLY`
    /// columns.
    pub const PHONE_ONLY: &str = "block text-xs text-slate-600 md:hidden";
    pub const SMALL_BUTTON: &str =
        "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60";
    /// A section of a page on its own white card.
    pub const CARD: &str = "mt-6 rounded-lg bg-white p-4 shadow-sm";
    /// An input of a list's filter, or of a small form within a page.
    pub const SMALL_INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
}

/// How a text input looks, its border red while its field has an error.
pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500 aria-[invalid=true]:border-red-500";

/// A labelled input with its field-level error message underneath.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = false)] required: bool,
    #[prop(optional, into)] value: String,
    #[prop(optional)] maxlength: Option<u32>,
    /// The keyboard phones show, e.g. `decimal` for an amount.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(name));
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">
                {label}
            </label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                inputmode=inputmode
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                class=INPUT
            />
            <p id=error_id class="mt-1 text-sm text-red-600" data-testid=format!("error-{name}")>
                {message}
            </p>
        </div>
    }
}

/// The "Overnight" box under a form's start and end times: ticked, the end time is on the day
/// after the date (`form[ends_next_day]`).
#[component]
pub fn OvernightBox(checked: bool) -> impl IntoView {
    view! {
        <label class="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" name="form[ends_next_day]" value="true" checked=checked />
            "Overnight (finishes the next day)"
        </label>
    }
}

/// The filter above an admin list: part of the title and a status (`(value, label)` pairs),
/// sent as `?q=&status=`; Clear goes back to `clear_href`.
#[component]
pub fn TitleStatusFilter(
    clear_href: &'static str,
    statuses: Vec<(&'static str, &'static str)>,
    #[prop(into)] search: Signal<String>,
    #[prop(into)] status: Signal<String>,
) -> impl IntoView {
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
    view! {
        <form method="get" class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-4">
            <label class="col-span-2 text-sm text-slate-700">
                "Title contains"
                <input name="q" class=input value=move || search.get() />
            </label>
            <label class="text-sm text-slate-700">
                "Status"
                <select name="status" class=input>
                    <option value="" selected=move || status.get().is_empty()>"Any"</option>
                    {statuses.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || status.get() == value>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <div class="flex items-end gap-3">
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white">"Filter"</button>
                <a href=clear_href class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
            </div>
        </form>
    }
}

/// A labelled multi-line input with its field error.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = 4)] rows: u32,
    #[prop(optional)] maxlength: Option<u32>,
    /// The element's id, for a page with two forms that have a field of this name (it is
    /// `field-{name}` otherwise): a label finds its field by id.
    #[prop(optional)]
    id: Option<&'static str>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(name));
    let id = id.map_or_else(|| format!("field-{name}"), str::to_string);
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <textarea id=id name=name rows=rows maxlength=maxlength class=INPUT
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()>{value}</textarea>
            <p id=error_id class="mt-1 text-sm text-red-600" data-testid=format!("error-{name}")>{message}</p>
        </div>
    }
}

/// What a secret field shows: the stored secret's mask, then the new one once a save
/// succeeds (`saved`: the save action's `value()`).
pub fn mask_after_save<T, S>(saved: S, stored: String, mask_of: fn(T) -> String) -> Memo<String>
where
    T: 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Memo::new(move |_| match saved.get() {
        Some(Ok(saved)) => mask_of(saved),
        _ => stored.clone(),
    })
}

/// A secret's input: the stored secret's mask, replaced by the new mask once a save succeeds
/// (an input keeps what was typed whatever its value attribute says, so the property is set).
/// A refused save leaves what was typed, to be corrected.
#[component]
pub fn MaskedField(
    label: &'static str,
    name: &'static str,
    mask: Memo<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(name));
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type="text"
                autocomplete="off"
                value=mask.get_untracked()
                prop:value=move || mask.get()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                class=INPUT
            />
            <p id=error_id class="mt-1 text-sm text-red-600" data-testid=format!("error-{name}")>
                {message}
            </p>
        </div>
    }
}

/// An edit form's hidden `form[edits]` (or `name`): how many times the record had been saved
/// when the form was opened (`opened`), then what each save made from this form left
/// (`saved`), so that the server refuses a save over someone else's newer one but not this
/// form's next.
#[component]
pub fn EditsField(
    opened: i64,
    #[prop(into)] saved: Signal<Option<i64>>,
    #[prop(default = "form[edits]")] name: &'static str,
) -> impl IntoView {
    let edits = RwSignal::new(opened);
    Effect::new(move |_| {
        if let Some(n) = saved.get() {
            edits.set(n);
        }
    });
    view! { <input type="hidden" name=name value=move || edits.get() /> }
}

/// "Saved." once a form's save succeeds (`saved`: the save action's `value()`), until the form
/// is changed again, so that edits made after a save never look saved. `changed` is set by the
/// form's `on:input` (typing, a choice, a box ticked) and cleared by its `on:submit`.
#[component]
pub fn SavedNote<T, S>(
    saved: S,
    changed: RwSignal<bool>,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView
where
    T: Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let shown = move || (matches!(saved.get(), Some(Ok(_))) && !changed.get()).then_some("Saved.");
    view! {
        <p class=format!("{class} text-sm text-green-700") role="status" data-testid=testid>
            {shown}
        </p>
    }
}

/// The form-wide message: errors that belong to no single field (rate limits, conflicts,
/// server trouble). When the fields have errors instead, the first of them is focused, so
/// that a keyboard or screen reader user lands on what to mend, told its message (the
/// field's description), instead of staying on the button with nothing said.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.get().filter(|e| !matches!(e, AppError::Invalid(_))).map(|e| e.to_string());
    let anchor = NodeRef::<leptos::html::Span>::new();
    Effect::new(move |_| {
        if matches!(error.get(), Some(AppError::Invalid(_))) {
            focus_first_invalid_field(anchor);
        }
    });
    view! {
        <span hidden node_ref=anchor></span>
        <Show when=move || message().is_some()>
            <div role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-700" data-testid="form-error">
                {message}
            </div>
        </Show>
    }
}

/// Focuses the first field marked invalid in the form around `anchor`, once the fields have
/// drawn their messages.
#[cfg(feature = "hydrate")]
fn focus_first_invalid_field(anchor: NodeRef<leptos::html::Span>) {
    use wasm_bindgen::JsCast;
    let Some(anchor) = anchor.get_untracked() else { return };
    request_animation_frame(move || {
        let field = anchor
            .closest("form")
            .ok()
            .flatten()
            .and_then(|form| form.query_selector("[aria-invalid=true]").ok().flatten())
            .and_then(|field| field.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(field) = field {
            let _ = field.focus();
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn focus_first_invalid_field(_anchor: NodeRef<leptos::html::Span>) {}

pub const BUTTON_PRIMARY: &str = "inline-flex w-full justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60";

/// `n` (its thousands grouped) and the noun, plural unless `n` is 1: "1 contact",
/// "48,000 contacts", "2 addresses", "4 stories".
pub fn count(n: i64, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    let n = thousands(n);
    let consonant_y = noun.strip_suffix('y').filter(|stem| !stem.ends_with(['a', 'e', 'i', 'o', 'u']));
    match consonant_y {
        Some(stem) => format!("{n} {stem}ies"),
        None if noun.ends_with(['s', 'x']) || noun.ends_with("ch") || noun.ends_with("sh") => {
            format!("{n} {noun}es")
        }
        None => format!("{n} {noun}s"),
    }
}

/// A list page's number from its query string (`?page=`): 1 when missing or not a number.
pub fn page_param(query: &leptos_router::params::ParamsMap) -> i64 {
    query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1)
}

/// A value from the query string, `None` when missing or blank.
pub fn text_param(query: &leptos_router::params::ParamsMap, key: &str) -> Option<String> {
    query.get(key).filter(|v| !v.trim().is_empty())
}

/// Percent-encodes a query-string value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A whole number with its thousands grouped: 1,204,000, -1,500.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::from(if n < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// Which way a list's pages run: the labels of the links to the page before and after.
pub const PAGES_NEWEST_FIRST: (&str, &str) = ("← Newer", "Older →");
pub const PAGES_SOONEST_FIRST: (&str, &str) = ("← Sooner", "Later →");
pub const PAGES_PREVIOUS_NEXT: (&str, &str) = ("← Previous", "Next →");

/// The links under one page of a list to the pages before and after it, with its number
/// between them; nothing when the list fits on one page. `list` names what is listed (the
/// links are "Pages of {list}" to a screen reader, told apart from another list's on the same
/// page). `link(n)` is page `n`'s address.
/// `reload` makes the links load the whole document anew, for a page that reads its page
/// number once when it is rendered.
pub fn pager(
    list: &'static str,
    page: i64,
    has_more: bool,
    link: impl Fn(i64) -> String,
    (back, forward): (&'static str, &'static str),
    reload: bool,
) -> impl IntoView {
    let rel = reload.then_some("external");
    let back = (page > 1).then(|| view! { <a href=link(page - 1) rel=rel class=PAGE_LINK>{back}</a> });
    let forward = has_more.then(|| view! { <a href=link(page + 1) rel=rel class=PAGE_LINK>{forward}</a> });
    pages_nav(list, page, back, forward)
}

/// As `pager`, for a list inside a GET form whose fields the other pages keep (boxes ticked
/// across pages): buttons that send the form to `action` with `page=n`.
pub fn form_pager(
    list: &'static str,
    page: i64,
    has_more: bool,
    action: &'static str,
    (back, forward): (&'static str, &'static str),
) -> impl IntoView {
    let button = |n: i64, label: &'static str| {
        view! { <button type="submit" formaction=action name="page" value=n.to_string() class=PAGE_LINK>{label}</button> }
    };
    pages_nav(
        list,
        page,
        (page > 1).then(|| button(page - 1, back)),
        has_more.then(|| button(page + 1, forward)),
    )
}

const PAGE_LINK: &str = "text-indigo-700 hover:underline";

/// A link within a line of text, underlined: told from the words around it by more than its
/// colour.
pub const TEXT_LINK: &str = "text-indigo-700 underline hover:text-indigo-900";

/// The page number between the ways to the pages before and after it; nothing without either.
fn pages_nav(
    list: &'static str,
    page: i64,
    back: Option<impl IntoView>,
    forward: Option<impl IntoView>,
) -> impl IntoView {
    (back.is_some() || forward.is_some()).then(|| {
        view! {
            <nav class="mt-4 flex items-center gap-4 text-sm" aria-label=format!("Pages of {list}")>
                {back}
                <span class="text-slate-600">"Page " {page}</span>
                {forward}
            </nav>
        }
    })
}

/// One bar of a `BarChart`: its value and what it says on hover and to screen readers.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub value: i64,
    pub label: String,
}

/// Bars scaled to the largest; `first` and `last` name the two ends of the axis.
#[component]
pub fn BarChart(bars: Vec<Bar>, #[prop(into)] first: String, #[prop(into)] last: String) -> impl IntoView {
    let largest = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    view! {
        <div class="mt-4 flex h-32 items-end gap-1">
            {bars.into_iter().map(|bar| {
                let height = format!("height: {}%", (bar.value * 100 / largest).max(1));
                view! {
                    <div class="flex-1 rounded-t bg-indigo-500" style=height title=bar.label.clone()
                        role="img" aria-label=bar.label data-testid="chart-bar"></div>
                }
            }).collect_view()}
        </div>
        <div class="mt-1 flex justify-between text-xs text-slate-600"><span>{first}</span><span>{last}</span></div>
    }
}

/// A link that asks for a confirmation on this page. With the page's code it shows the
/// question in place (`on_click`); before the code has loaded, or without JavaScript, the
/// browser follows `href`, whose query makes the page render with the question shown.
#[component]
pub fn ConfirmLink(
    href: String,
    class: &'static str,
    #[prop(into)] on_click: Callback<()>,
    children: Children,
) -> impl IntoView {
    view! {
        <a
            href=href
            class=class
            on:click=move |ev| {
                ev.prevent_default();
                on_click.run(());
            }
        >
            {children()}
        </a>
    }
}

/// The browser's title for a page called `text` on `site`: the admin pages are
/// Changemaker's, the public pages the organisation's (`PublicHeader` sets it).
pub fn page_title(text: &str, site: &str) -> String {
    if text.is_empty() { site.to_string() } else { format!("{text} · {site}") }
}

/// A public page's title, and what a link to it shows when shared in a chat or on social
/// media (its description, Open Graph title and description, and `image`, a picture's path on
/// this site, shown large).
#[component]
pub fn SharedPageHead(
    title: String,
    description: String,
    #[prop(default = None)] image: Option<String>,
) -> impl IntoView {
    use leptos_meta::{Meta, Title};
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description.clone() />
        <Meta property="og:title" content=title />
        <Meta property="og:description" content=description />
        <Meta property="og:type" content="website" />
        {image.map(|path| view! {
            <Meta property="og:image" content=site_address(&path) />
            <Meta name="twitter:card" content="summary_large_image" />
        })}
    }
}

/// `path` on this site as a whole address, which links shared elsewhere need: under the
/// configured public address when rendered on the server (what link previews read), under the
/// page's own in the browser.
pub fn site_address(path: &str) -> String {
    #[cfg(feature = "ssr")]
    let site = crate::state::app_state().map(|state| state.public_url.clone()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let site = window().location().origin().unwrap_or_default();
    format!("{}{path}", site.trim_end_matches('/'))
}

/// A run of text an organiser wrote: plain, or a web address to link.
#[derive(Debug, PartialEq)]
pub enum TextPiece<'a> {
    Plain(&'a str),
    Link(&'a str),
}

/// Splits `text` into plain runs and the `http://` and `https://` addresses in it, so that a
/// page can link them. An address starts a word (or follows an opening bracket or quote) and
/// runs to the next white space, less the punctuation that ends a sentence after it (`.`, `,`,
/// `;`, `:`, `!`, `?`, a quote, or a `)` it did not open). Nothing else becomes a link.
pub fn text_pieces(text: &str) -> Vec<TextPiece<'_>> {
    let mut pieces = Vec::new();
    let (mut plain_from, mut at) = (0, 0);
    while let Some(next) = text[at..].chars().next() {
        let rest = &text[at..];
        let starts_word =
            text[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || "([<\"'".contains(c));
        let scheme = ["https://", "http://"].into_iter().find(|s| rest.starts_with(s));
        if let (true, Some(scheme)) = (starts_word, scheme) {
            let url = trim_link_end(&rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())]);
            if url.len() > scheme.len() {
                if plain_from < at {
                    pieces.push(TextPiece::Plain(&text[plain_from..at]));
                }
                pieces.push(TextPiece::Link(url));
                at += url.len();
                plain_from = at;
                continue;
            }
        }
        at += next.len_utf8();
    }
    if plain_from < text.len() {
        pieces.push(TextPiece::Plain(&text[plain_from..]));
    }
    pieces
}

/// `url` less the punctuation after it that belongs to the sentence.
fn trim_link_end(mut url: &str) -> &str {
    while let Some(last) = url.chars().next_back() {
        let unopened = last == ')' && url.matches('(').count() < url.matches(')').count();
        if !(".,;:!?'\">".contains(last) || unopened) {
            break;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
    url
}

/// Text an organiser wrote (a description, a story, an agenda), its web addresses linked.
#[component]
pub fn LinkedText(#[prop(into)] text: String) -> impl IntoView {
    text_pieces(&text)
        .into_iter()
        .map(|piece| match piece {
            TextPiece::Plain(plain) => plain.to_string().into_any(),
            TextPiece::Link(url) => view! {
                <a href=url.to_string() rel="nofollow noopener" class="break-all text-indigo-700 underline">{url.to_string()}</a>
            }
            .into_any(),
        })
        .collect_view()
}

/// Reads the file chosen in a file input as text (`crate::csv::text_of_file`: UTF-8, or
/// Windows-1252 as older Windows programs save it) and hands it to `loaded`.
#[cfg(feature = "hydrate")]
pub fn read_chosen_file(ev: &leptos::ev::Event, loaded: impl Fn(String) + 'static) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
    let Ok(reader) = web_sys::FileReader::new() else { return };
    let done = reader.clone();
    let onload = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if let Ok(bytes) = done.result() {
            loaded(crate::csv::text_of_file(web_sys::js_sys::Uint8Array::new(&bytes).to_vec()));
        }
    });
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let _ = reader.read_as_array_buffer(&file);
}

#[cfg(test)]
mod tests {
    use super::TextPiece::{Link, Plain};
    use super::text_pieces;

    #[test]
    fn web_addresses_in_text_become_links_without_the_sentence_around_them() {
        assert_eq!(text_pieces(""), []);
        assert_eq!(text_pieces("No links here."), [Plain("No links here.")]);
        assert_eq!(
            text_pieces("Read it at https://example.org/report?year=2026. Then write!"),
            [Plain("Read it at "), Link("https://example.org/report?year=2026"), Plain(". Then write!")]
        );
        assert_eq!(text_pieces("http://a.example"), [Link("http://a.example")]);
        assert_eq!(
            text_pieces(
                "(see https://en.wikipedia.org/wiki/Bus_(disambiguation)), or \"https://x.example/\"."
            ),
            [
                Plain("(see "),
                Link("https://en.wikipedia.org/wiki/Bus_(disambiguation)"),
                Plain("), or \""),
                Link("https://x.example/"),
                Plain("\"."),
            ]
        );
        assert_eq!(
            text_pieces("two:\nhttps://a.example\nhttps://b.example"),
            [Plain("two:\n"), Link("https://a.example"), Plain("\n"), Link("https://b.example"),]
        );
        // Only a whole word with something after the scheme; no other scheme.
        assert_eq!(text_pieces("xhttps://a.example"), [Plain("xhttps://a.example")]);
        assert_eq!(text_pieces("https:// and http://."), [Plain("https:// and http://.")]);
        assert_eq!(
            text_pieces("javascript:alert(1) ftp://a.example"),
            [Plain("javascript:alert(1) ftp://a.example")]
        );
        assert_eq!(
            text_pieces("Café → https://café.example/ü"),
            [Plain("Café → "), Link("https://café.example/ü")]
        );
    }

    #[test]
    fn counts_say_one_or_the_plural() {
        assert_eq!(super::count(1, "story"), "1 story");
        assert_eq!(super::count(4, "story"), "4 stories");
        assert_eq!(super::count(2, "day"), "2 days");
        assert_eq!(super::count(0, "address"), "0 addresses");
        assert_eq!(super::count(3, "contact"), "3 contacts");
        assert_eq!(super::count(48_000, "new contact"), "48,000 new contacts");
        assert_eq!(super::count(1_204_000, "story"), "1,204,000 stories");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(-123), "-123");
        assert_eq!(super::thousands(-1_500), "-1,500");
        assert_eq!(super::thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }
}
