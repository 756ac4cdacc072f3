//! The admin audit log's page, and what it shares with the payment audit log's: the filter
//! read from the address, its form, and the address of a filtered page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{AuditFilter, load_admin_audit_log};
use crate::ui::style::{PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};

/// The filter an audit log page's address holds (`?action=&actor=&from=&to=&page=`).
pub fn use_audit_filter() -> impl Fn() -> AuditFilter + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query.with(|q| {
            let text = |k: &str| crate::ui::text_param(q, k);
            AuditFilter {
                action: text("action"),
                actor: text("actor"),
                from: text("from"),
                to: text("to"),
                page: crate::ui::page_param(q),
            }
        })
    }
}

/// The address of the audit log at `base` filtered by `filter`, page included.
fn audit_address(base: &str, filter: &AuditFilter) -> String {
    let mut parts = vec![format!("page={}", filter.page)];
    for (k, v) in
        [("action", &filter.action), ("actor", &filter.actor), ("from", &filter.from), ("to", &filter.to)]
    {
        if let Some(v) = v {
            parts.push(format!("{k}={}", crate::ui::urlencode(v)));
        }
    }
    format!("{base}?{}", parts.join("&"))
}

/// The form that filters the audit log at `base`: part of the action, the actor, the days.
#[component]
pub fn AuditFilterForm(
    base: &'static str,
    filter: impl Fn() -> AuditFilter + Copy + Send + Sync + 'static,
    /// An example of an action, and of an actor, shown in their empty boxes.
    examples: (&'static str, &'static str),
) -> impl IntoView {
    view! {
        <form method="get" action=base class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-5">
            <label class="text-sm text-slate-700">"Action contains"<input name="action" maxlength="200" class=SMALL_INPUT placeholder=examples.0 value=move || filter().action /></label>
            <label class="text-sm text-slate-700">"Actor"<input name="actor" maxlength="200" class=SMALL_INPUT placeholder=examples.1 value=move || filter().actor /></label>
            <label class="text-sm text-slate-700">"From"<input name="from" type="date" class=SMALL_INPUT value=move || filter().from /></label>
            <label class="text-sm text-slate-700">"To"<input name="to" type="date" class=SMALL_INPUT value=move || filter().to /></label>
            <div class="flex items-end gap-2">
                <button type="submit" class=SMALL_BUTTON>"Filter"</button>
                <a href=base class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
            </div>
        </form>
    }
}

/// Above a page of the log at `base` filtered by an actor, whose rows they are (the Actor box
/// holds an id such as `user:…`; `name` is the first row's name for it), and the way back to
/// everyone's. Nothing when no actor is chosen.
pub fn actor_shown(
    base: &'static str,
    filter: &AuditFilter,
    name: Option<String>,
) -> Option<impl IntoView + use<>> {
    let name = filter.actor.as_ref().and(name)?;
    let everyone = audit_address(base, &AuditFilter { actor: None, page: 1, ..filter.clone() });
    Some(view! { <crate::ui::ActorShown name everyone /> })
}

/// An actor's name in a row of the log at `base`: a link to their rows only.
#[component]
pub fn ActorLink(base: &'static str, actor: String, name: String) -> impl IntoView {
    let href = format!("{base}?actor={}", crate::ui::urlencode(&actor));
    let title = format!("Only {name}: {actor}");
    view! { <a href=href title=title class="text-indigo-700 hover:underline">{name}</a> }
}

/// The links to the pages before and after this one of the log at `base`, newest first.
pub fn audit_pager(base: &'static str, filter: AuditFilter, page: i64, has_more: bool) -> impl IntoView {
    let link = move |page: i64| audit_address(base, &AuditFilter { page, ..filter.clone() });
    crate::ui::pager("audit entries", page, has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)
}

/// What a page of the log at `base` says when it has no rows: nothing matches the filter, or,
/// past the last page, nothing more, with the way back.
pub fn audit_empty(base: &'static str, filter: AuditFilter, page: i64) -> impl IntoView {
    let filtered = [&filter.action, &filter.actor, &filter.from, &filter.to]
        .iter()
        .any(|f| f.as_deref().is_some_and(|f| !f.trim().is_empty()));
    let empty = match (page > 1, filtered) {
        (true, _) => "No more entries on this page.",
        (false, true) => "Nothing matches.",
        (false, false) => "Nothing recorded yet.",
    };
    view! {
        <p class="mt-6 text-slate-600" data-testid="audit-empty">{empty}</p>
        {audit_pager(base, filter, page, false)}
    }
}

const BASE: &str = "/admin/audit";

/// `/admin/audit`: who did what to which thing, newest first, filtered by action, actor and
/// dates (the organisation's days).
#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let filter = use_audit_filter();
    let log = Resource::new(filter, load_admin_audit_log);
    view! {
        <Title text="Audit log" />
        <h1 class="text-2xl font-bold text-slate-900">"Audit log"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "Who changed what: accounts, settings, deletions, erasures, imports and messages sent. Payments have their own log."
        </p>
        <AuditFilterForm base=BASE filter examples=("user.", "system") />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => audit_empty(BASE, filter(), page.page).into_any(),
                    Ok(page) => {
                        let current = filter();
                        let actor_shown = actor_shown(BASE, &current, page.rows.first().map(|r| r.actor_name.clone()));
                        view! {
                            {actor_shown}
                            <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="w-full text-sm">
                                    <thead><tr>
                                        <th class=TH>"When"</th><th class=format!("{TH} {WIDE_ONLY}")>"Actor"</th>
                                        <th class=format!("{TH} {WIDE_ONLY}")>"Action"</th><th class=TH>"On"</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|r| {
                                            let actor = || view! { <ActorLink base=BASE actor=r.actor.clone() name=r.actor_name.clone() /> };
                                            view! {
                                                <tr class="border-t border-slate-100" data-testid="audit-row">
                                                    // Actions ("settings.organisation.changed") and
                                                    // addresses are words too long for a phone's
                                                    // column: they may break anywhere.
                                                    <td class=format!("{TD} wrap-anywhere")>
                                                        {r.at}
                                                        <span class=PHONE_ONLY>
                                                            {r.action.clone()} " · " {actor()}
                                                        </span>
                                                    </td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{actor()}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{r.action}</td>
                                                    <td class=format!("{TD} wrap-anywhere")>{r.entity}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {audit_pager(BASE, current, page.page, page.has_more)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
