//! The text messages page (`/admin/sms`): the texts received, newest first, by sentiment.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{SENTIMENTS, SmsFilter, list_sms_messages};
use crate::ui::LoadError;
use crate::ui::style::{SMALL_BUTTON, TD, TH};

/// How a sentiment shows in the inbox: its word and colours.
fn sentiment_badge(sentiment: &str) -> (&'static str, &'static str) {
    match sentiment {
        "QUESTION" => ("Question", "bg-amber-100 text-amber-900"),
        "NEGATIVE" => ("Unhappy", "bg-red-100 text-red-800"),
        "POSITIVE" => ("Happy", "bg-green-100 text-green-800"),
        _ => ("Neither", "bg-slate-100 text-slate-700"),
    }
}

#[component]
pub fn AdminSmsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| SmsFilter {
            sentiment: q.get("sentiment").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let messages = Resource::new(filter, list_sms_messages);
    view! {
        <Title text="Text messages" />
        <h1 class="text-2xl font-bold text-slate-900">"Text messages"</h1>
        <form method="get" class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            <label class="text-sm text-slate-700">
                "Show"
                <select name="sentiment" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                    <option value="" selected=move || filter().sentiment.is_empty()>"Every text"</option>
                    {SENTIMENTS.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || filter().sentiment == value>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class=SMALL_BUTTON>"Show"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = filter();
                match messages.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) => {
                        let setup = (!page.receiving).then(|| view! {
                            <p class="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="sms-not-set-up">
                                "Texts are not being received: a super admin sets Twilio up and turns it on under "
                                <a href="/admin/integrations" class="underline">"Integrations"</a>"."
                            </p>
                        });
                        let list = if page.rows.is_empty() {
                            let empty = if current.sentiment.is_empty() { "No texts yet." } else { "No texts of this kind." };
                            view! { <p class="mt-6 text-slate-600" data-testid="sms-empty">{empty}</p> }.into_any()
                        } else {
                            let link = move |n: i64| format!("/admin/sms?sentiment={}&page={n}", crate::ui::urlencode(&current.sentiment));
                            view! {
                                <p class="mt-4 text-sm text-slate-700">{crate::ui::count(page.count, "text")}</p>
                                <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <thead><tr><th class=TH>"Received"</th><th class=TH>"From"</th><th class=TH>"Text"</th><th class=TH>"Reads as"</th></tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {page.rows.into_iter().map(|m| {
                                                let (word, colours) = sentiment_badge(&m.sentiment);
                                                let who = match (m.contact_id, m.contact_name) {
                                                    (Some(id), Some(name)) => view! {
                                                        <a href=format!("/admin/contacts/{id}") class="font-medium text-indigo-700 hover:underline">{name}</a>
                                                    }.into_any(),
                                                    _ => view! { <span class="text-slate-600">"Not in contacts"</span> }.into_any(),
                                                };
                                                view! {
                                                    <tr data-testid="sms-row">
                                                        <td class=TD>{m.received_at}</td>
                                                        <td class=TD>
                                                            <div class="font-mono">{m.phone}</div>
                                                            <div>{who}</div>
                                                            {m.opted_out.then(|| view! { <div class="text-xs font-semibold text-red-700">"Opted out of texts"</div> })}
                                                        </td>
                                                        <td class=format!("{TD} whitespace-pre-line")>{m.body}</td>
                                                        <td class=TD><span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {colours}")>{word}</span></td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {crate::ui::pager(page.page, page.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                            }.into_any()
                        };
                        view! { {setup} {list} }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
