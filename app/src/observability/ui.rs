//! Admin pages of the bus: Event bus (statistics, dead deliveries, test event), Event log,
//! Live events (the SSE stream, decoded with the shared catalog).

use std::collections::BTreeMap;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BusStats, EventLogFilter, ReplayDelivery, SendTestEvent, load_bus_stats, load_event_log};
use crate::auth::CurrentUser;
use crate::events::{Envelope, Pattern};
use crate::ui::last_error;
use crate::ui::style::{PHONE_ONLY, TD, TH, WIDE_ONLY};
use crate::users::Role;

const TABLE: &str = "min-w-full divide-y divide-slate-200 text-sm";
const CARD: &str = "mt-6 overflow-x-auto rounded-lg bg-white shadow-sm";
const BUTTON: &str = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60";

/// How often the statistics refresh while the page is open.
const REFRESH_SECONDS: u64 = 5;

#[component]
pub fn EventBusPage() -> impl IntoView {
    let stats = Resource::new(|| (), |_| load_bus_stats());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) =
            set_interval_with_handle(move || stats.refetch(), std::time::Duration::from_secs(REFRESH_SECONDS))
        {
            on_cleanup(move || handle.clear());
        }
    }
    let test_event = ServerAction::<SendTestEvent>::new();
    let replay = ServerAction::<ReplayDelivery>::new();
    Effect::new(move |_| {
        if test_event.value().get().is_some() || replay.value().get().is_some() {
            stats.refetch();
        }
    });
    let is_super_admin = use_context::<CurrentUser>().is_some_and(|u| u.role == Role::SuperAdmin);
    let replay_error = last_error(replay.value());
    view! {
        <Title text="Event bus" />
        <div class="flex flex-wrap items-center justify-between gap-4">
            <div>
                <h1 class="text-2xl font-bold text-slate-900">"Event bus"</h1>
                <p class="mt-1 text-sm text-slate-600">
                    {format!("Refreshes every {REFRESH_SECONDS} seconds.")}
                </p>
            </div>
            <Show when=move || is_super_admin>
                <SendTestEventButton action=test_event />
            </Show>
        </div>
        <p class="mt-2 text-sm text-red-600">{move || replay_error.get().map(|e| e.to_string())}</p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(stats) => view! { <BusStatsView stats=stats replay=replay /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Send test event" (`system.test`, for a super admin to check integrations end to end) and
/// what came of it.
#[component]
pub fn SendTestEventButton(action: ServerAction<SendTestEvent>) -> impl IntoView {
    view! {
        <div class="flex items-center gap-3">
            <span class="text-sm text-slate-600" data-testid="test-event-result">
                {move || match action.value().get() {
                    Some(Ok(seq)) => format!("Sent system.test (#{seq})."),
                    Some(Err(e)) => e.to_string(),
                    None => String::new(),
                }}
            </span>
            <button
                class=BUTTON
                disabled=move || action.pending().get()
                on:click=move |_| {
                    action.dispatch(SendTestEvent {});
                }
            >
                "Send test event"
            </button>
        </div>
    }
}

#[component]
fn BusStatsView(stats: BusStats, replay: ServerAction<ReplayDelivery>) -> impl IntoView {
    let listeners = stats
        .listeners
        .into_iter()
        .map(|l| {
            view! {
                <tr data-testid=format!("listener-{}", l.name)>
                    <td class=TD>{l.name.clone()}</td>
                    <td class=TD>{l.subscriptions.join(", ")}</td>
                    <td class=TD>{if l.enabled { "yes" } else { "no" }}</td>
                    <td class=TD data-testid="delivered">{l.delivered}</td>
                    <td class=TD>{l.failed}</td>
                    <td class=TD>{l.retried}</td>
                    <td class=TD>{l.dead}</td>
                    <td class=TD>{l.skipped}</td>
                    <td class=TD>{l.lag}</td>
                    <td class=TD>{format!("{:.1} / {:.1}", l.latency_p50_ms, l.latency_p99_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    let empty_topics = stats.topics.is_empty();
    let topics = stats
        .topics
        .into_iter()
        .map(|t| {
            view! {
                <tr data-testid=format!("topic-{}", t.topic)>
                    <td class=TD>{t.topic.clone()}</td>
                    <td class=TD data-testid="published">{t.published}</td>
                    <td class=TD title=t.last_published_at>{t.last_published}</td>
                </tr>
            }
        })
        .collect_view();
    let empty_dead = stats.dead.is_empty();
    let dead = stats
        .dead
        .into_iter()
        .map(|d| {
            view! {
                <tr>
                    <td class=TD>{d.listener.clone()}</td>
                    <td class=TD>{format!("#{} {}", d.seq, d.topic)}</td>
                    <td class=TD>{d.attempts}</td>
                    <td class="px-3 py-2 align-top text-red-700">{d.last_error}</td>
                    <td class=TD title=d.parked_at>{d.parked}</td>
                    <td class=TD>
                        <ActionForm action=replay>
                            <input type="hidden" name="listener" value=d.listener />
                            <input type="hidden" name="seq" value=d.seq />
                            <button type="submit" class=BUTTON>"Replay"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="mt-4 text-sm text-slate-600">"Newest event: #" {stats.head_seq}</p>
        <section class=CARD>
            <h2 class="px-3 pt-3 font-semibold text-slate-900">"Listeners"</h2>
            <table class=TABLE>
                <thead>
                    <tr>
                        <th class=TH>"Name"</th>
                        <th class=TH>"Subscribes to"</th>
                        <th class=TH>"Enabled"</th>
                        <th class=TH>"Delivered"</th>
                        <th class=TH>"Failed"</th>
                        <th class=TH>"Retried"</th>
                        <th class=TH>"Dead"</th>
                        <th class=TH>"Skipped"</th>
                        <th class=TH>"Lag"</th>
                        <th class=TH>"Latency p50 / p99 (ms)"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{listeners}</tbody>
            </table>
        </section>
        <section class=CARD>
            <h2 class="px-3 pt-3 font-semibold text-slate-900">"Dead deliveries"</h2>
            {if empty_dead {
                view! { <p class="p-3 text-sm text-slate-600">"None: every delivery succeeded or is still being retried."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE>
                        <thead>
                            <tr>
                                <th class=TH>"Listener"</th>
                                <th class=TH>"Event"</th>
                                <th class=TH>"Attempts"</th>
                                <th class=TH>"Last error"</th>
                                <th class=TH>"Parked at"</th>
                                <th class=TH><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">{dead}</tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        <section class=CARD>
            <h2 class="px-3 pt-3 font-semibold text-slate-900">"Topics"</h2>
            {if empty_topics {
                view! { <p class="p-3 text-sm text-slate-600">"Nothing has been published yet."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE>
                        <thead>
                            <tr>
                                <th class=TH>"Topic"</th>
                                <th class=TH>"Published"</th>
                                <th class=TH>"Last published"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">{topics}</tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The event log's address for `filter`, page included.
fn log_address(filter: &EventLogFilter) -> String {
    let mut parts = vec![format!("page={}", filter.page)];
    for (k, v) in
        [("topic", &filter.topic), ("actor", &filter.actor), ("from", &filter.from), ("to", &filter.to)]
    {
        if let Some(v) = v {
            parts.push(format!("{k}={}", crate::ui::urlencode(v)));
        }
    }
    format!("/admin/events/log?{}", parts.join("&"))
}

#[component]
pub fn EventLogPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let text = |k: &str| crate::ui::text_param(q, k);
            EventLogFilter {
                topic: text("topic"),
                actor: text("actor"),
                from: text("from"),
                to: text("to"),
                page: crate::ui::page_param(q),
            }
        })
    };
    let page = Resource::new(filter, load_event_log);
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
    view! {
        <Title text="Event log" />
        <h1 class="text-2xl font-bold text-slate-900">"Event log"</h1>
        <form method="get" class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-5">
            <label class="text-sm text-slate-700">
                "Topic or pattern"
                <input name="topic" class=input placeholder="shift.*" value=move || filter().topic />
            </label>
            <label class="text-sm text-slate-700">
                "Actor"
                <input name="actor" class=input placeholder="system" value=move || filter().actor />
            </label>
            <label class="text-sm text-slate-700">
                "From"
                <input name="from" type="date" class=input value=move || filter().from />
            </label>
            <label class="text-sm text-slate-700">
                "To"
                <input name="to" type="date" class=input value=move || filter().to />
            </label>
            <div class="flex items-end gap-2">
                <button type="submit" class=BUTTON>"Filter"</button>
                <a href="/admin/events/log" class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(result) if result.rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600">"No events match."</p>
                    }
                        .into_any(),
                    Ok(result) => {
                        let current = filter();
                        // The Actor box holds an id such as `user:…`; the rows know whose it is.
                        let actor_shown = current.actor.as_ref().and_then(|_| result.rows.first()).map(|r| {
                            let everyone = log_address(&EventLogFilter { actor: None, page: 1, ..current.clone() });
                            view! { <crate::ui::ActorShown name=r.actor_name.clone() everyone /> }
                        });
                        let link = move |page: i64| log_address(&EventLogFilter { page, ..current.clone() });
                        let rows = result
                            .rows
                            .into_iter()
                            .map(|r| view! {
                                <tr data-testid="log-row">
                                    <td class=format!("{TD} {WIDE_ONLY}")>{r.seq}</td>
                                    <td class=TD>
                                        <TopicBadge topic=r.topic.clone() />
                                        <span class=PHONE_ONLY>{format!("{} · {}", r.when, r.actor_name)}</span>
                                    </td>
                                    <td class=format!("{TD} {WIDE_ONLY}")>
                                        <a href=format!("/admin/events/log?actor={}", crate::ui::urlencode(&r.actor)) title=format!("Only {}: {}", r.actor_name, r.actor) class="text-indigo-700 hover:underline">{r.actor_name.clone()}</a>
                                    </td>
                                    <td class=format!("{WIDE_ONLY} whitespace-nowrap px-3 py-2 align-top text-slate-700") title=r.occurred_at>{r.when.clone()}</td>
                                    <td class=TD>
                                        <details>
                                            <summary class="cursor-pointer text-indigo-700">"Payload"</summary>
                                            <pre class="mt-1 max-w-xl whitespace-pre-wrap break-all text-xs">{pretty(&r.payload)}</pre>
                                        </details>
                                    </td>
                                </tr>
                            })
                            .collect_view();
                        view! {
                            {actor_shown}
                            <section class=CARD>
                                <table class=TABLE>
                                    <thead>
                                        <tr>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"#"</th>
                                            <th class=TH>"Topic"</th>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"Actor"</th>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"When"</th>
                                            <th class=TH>"Payload"</th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                                </table>
                            </section>
                            {crate::ui::pager("events", result.page, result.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_string())
}

#[component]
fn TopicBadge(topic: String) -> impl IntoView {
    view! {
        <span class="inline-block rounded bg-indigo-50 px-2 py-0.5 font-mono text-xs text-indigo-800">{topic}</span>
    }
}

/// Only the browser side changes it; the server renders the first state.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    Connecting,
    Connected,
    Reconnecting,
    Closed,
}

/// Events kept on the page.
const LIVE_KEPT: usize = 200;

#[component]
pub fn LiveEventsPage() -> impl IntoView {
    let events = RwSignal::new(Vec::<Envelope>::new());
    let held = RwSignal::new(Vec::<Envelope>::new());
    let counts = RwSignal::new(BTreeMap::<String, u64>::new());
    let connection = RwSignal::new(Connection::Connecting);
    let reconnects = RwSignal::new(0u32);
    let paused = RwSignal::new(false);
    let filter = RwSignal::new(String::new());

    let receive = move |envelope: Envelope| {
        counts.update(|c| *c.entry(envelope.topic.clone()).or_default() += 1);
        let target = if paused.get_untracked() { held } else { events };
        target.update(|list| {
            list.insert(0, envelope);
            list.truncate(LIVE_KEPT);
        });
    };
    let opened_before = StoredValue::new(false);
    crate::live::use_stream(
        "/api/events/stream",
        receive,
        move || {
            if opened_before.get_value() {
                reconnects.update(|n| *n += 1);
            }
            opened_before.set_value(true);
            connection.set(Connection::Connected);
        },
        move |closed| connection.set(if closed { Connection::Closed } else { Connection::Reconnecting }),
    );

    let toggle_pause = move |_| {
        if paused.get_untracked() {
            let mut waiting = held.get_untracked();
            held.set(Vec::new());
            events.update(|list| {
                waiting.append(list);
                *list = waiting;
                list.truncate(LIVE_KEPT);
            });
        }
        paused.update(|p| *p = !*p);
    };
    let visible = move || {
        let patterns = Pattern::parse_list(&filter.get()).unwrap_or_default();
        events
            .get()
            .into_iter()
            .filter(|e| crate::events::any_matches(&patterns, &e.topic))
            .collect::<Vec<_>>()
    };
    let filter_invalid = move || Pattern::parse_list(&filter.get()).is_err();
    view! {
        <Title text="Live events" />
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Live events"</h1>
            <div class="flex items-center gap-3 text-sm">
                <span data-testid="connection" class=move || match connection.get() {
                    Connection::Connected => "rounded-full bg-green-100 px-3 py-1 text-green-800",
                    Connection::Closed => "rounded-full bg-red-100 px-3 py-1 text-red-800",
                    _ => "rounded-full bg-amber-100 px-3 py-1 text-amber-800",
                }>
                    {move || match connection.get() {
                        Connection::Connecting => "Connecting…".to_string(),
                        Connection::Connected => "Connected".to_string(),
                        Connection::Reconnecting => "Reconnecting…".to_string(),
                        Connection::Closed => "Disconnected (reload the page)".to_string(),
                    }}
                </span>
                <span class="text-slate-600">{move || format!("{} reconnects", reconnects.get())}</span>
                <button class=BUTTON on:click=toggle_pause data-testid="pause">
                    {move || if paused.get() { format!("Resume ({} waiting)", held.get().len()) } else { "Pause".to_string() }}
                </button>
            </div>
        </div>
        <label class="mt-4 block max-w-md text-sm text-slate-700">
            "Show topics (comma-separated patterns, e.g. shift.*, donation.completed)"
            <input
                class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
                placeholder="*"
            />
        </label>
        <p class="mt-1 text-sm text-red-600">{move || filter_invalid().then_some("That is not a list of topic patterns; showing everything.")}</p>
        <div class="mt-4 flex flex-wrap gap-2" data-testid="topic-counts">
            {move || counts.get().into_iter().map(|(topic, n)| view! {
                <span class="rounded bg-slate-200 px-2 py-0.5 text-xs text-slate-800">{format!("{topic}: {n}")}</span>
            }).collect_view()}
        </div>
        <ul class="mt-4 space-y-2" data-testid="live-list">
            {move || {
                let list = visible();
                if list.is_empty() {
                    view! { <li class="text-sm text-slate-600">"Waiting for events…"</li> }.into_any()
                } else {
                    list.into_iter().map(|e| view! { <LiveEvent envelope=e /> }).collect_view().into_any()
                }
            }}
        </ul>
    }
}

#[component]
fn LiveEvent(envelope: Envelope) -> impl IntoView {
    // Decoded with the same catalog types the server publishes.
    let module = match envelope.event() {
        Ok(event) => format!("{:?}", event.module()),
        Err(_) => "unknown topic".to_string(),
    };
    let payload = serde_json::to_string_pretty(&envelope.payload).unwrap_or_default();
    view! {
        <li class="rounded-lg bg-white p-3 shadow-sm" data-testid="live-event">
            <div class="flex flex-wrap items-center gap-3 text-sm">
                <TopicBadge topic=envelope.topic.clone() />
                <span class="text-xs text-slate-600">{module}</span>
                <span class="text-slate-700">{envelope.actor.to_string()}</span>
                <span class="text-slate-600">{envelope.occurred_at.clone()}</span>
                <span class="text-slate-600">"#" {envelope.seq}</span>
            </div>
            <details class="mt-1">
                <summary class="cursor-pointer text-sm text-indigo-700">"Payload"</summary>
                <pre class="mt-1 whitespace-pre-wrap break-all text-xs">{payload}</pre>
            </details>
        </li>
    }
}
