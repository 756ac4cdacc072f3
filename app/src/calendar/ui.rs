//! `/admin/calendar`: a month of shifts, meetings and ticketed events, day by day.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{CalendarEntry, CalendarFilter, Source, load_calendar_month};

/// What changes the calendar: shifts, meetings and ticketed events made, changed or deleted.
const CALENDAR_EVENTS: &str = "/api/events/stream?topics=shift.created,shift.updated,shift.deleted,meeting.created,meeting.updated,meeting.deleted,ticketed-event.*";

fn source_badge(source: Source) -> impl IntoView {
    let colour = match source {
        Source::Shift => "bg-sky-100 text-sky-800",
        Source::Meeting => "bg-amber-100 text-amber-800",
        Source::TicketedEvent => "bg-violet-100 text-violet-800",
    };
    view! { <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {colour}")>{source.label()}</span> }
}

fn entry_view(entry: CalendarEntry) -> impl IntoView {
    let title_class = if entry.cancelled {
        "font-medium text-slate-500 line-through"
    } else {
        "font-medium text-indigo-700 hover:underline"
    };
    view! {
        <li class="flex flex-wrap items-baseline gap-3 py-2" data-testid="calendar-entry">
            <span class="w-36 shrink-0 text-sm text-slate-600">{entry.time}</span>
            {source_badge(entry.source)}
            <a href=entry.href class=title_class>{entry.title}</a>
            {entry.cancelled.then(|| view! { <span class="rounded bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800">"Cancelled"</span> })}
            <span class="text-sm text-slate-600">{entry.location}</span>
        </li>
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| CalendarFilter {
            month: q.get("month").unwrap_or_default(),
            source: q.get("source").unwrap_or_default(),
        })
    };
    // The last change seen on the stream: the month is read again once the calendar has it.
    let seen = RwSignal::new(0i64);
    let month =
        Resource::new(move || (filter(), seen.get()), |(filter, seen)| load_calendar_month(filter, seen));
    crate::live::use_stream(CALENDAR_EVENTS, move |envelope| seen.set(envelope.seq), || {}, |_| {});
    view! {
        <Title text="Calendar" />
        <div class="flex flex-wrap items-center gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Calendar"</h1>
            <a href="/admin/meetings" class="text-sm text-indigo-700 hover:underline">"Meetings"</a>
        </div>
        // Outside the month's view: the form needs nothing the month read brings, so it shows
        // while a month loads, and a live re-read leaves it as the admin left it.
        <form method="get" class="mt-4 flex flex-wrap items-end gap-4 rounded-lg bg-white p-4 shadow-sm">
            <input type="hidden" name="month" value=move || filter().month />
            <label class="text-sm text-slate-700">
                "Show"
                <select name="source" data-testid="calendar-source" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                    <option value="" selected=move || filter().source.is_empty()>"Everything"</option>
                    {Source::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || filter().source == s.as_str()>{format!("{}s", s.label())}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white">"Show"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match month.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(m) => {
                        let source = filter().source;
                        let link = {
                            let source = source.clone();
                            move |month: &str| format!("/admin/calendar?month={month}&source={}", crate::ui::urlencode(&source))
                        };
                        let empty = m.days.is_empty().then(|| view! {
                            <p class="mt-6 text-slate-600" data-testid="calendar-empty">{format!("Nothing on the calendar in {}.", m.label)}</p>
                        });
                        view! {
                            <nav class="mt-4 flex flex-wrap items-center gap-3 text-sm" aria-label="Months">
                                <a href=link(&m.previous) class="text-indigo-700 hover:underline">"← Previous"</a>
                                <h2 class="text-lg font-semibold text-slate-900" data-testid="calendar-month">{m.label.clone()}</h2>
                                <a href=link(&m.next) class="text-indigo-700 hover:underline">"Next →"</a>
                                <a href=format!("/admin/calendar?source={}", crate::ui::urlencode(&source)) class="text-slate-600 hover:text-slate-900">"This month"</a>
                            </nav>
                            {m.truncated.then(|| view! {
                                <p class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-800" role="status">
                                    {format!("Only the first {} entries are shown: choose one kind to see the rest.", super::MONTH_MAX_ENTRIES)}
                                </p>
                            })}
                            {empty}
                            {m.days.into_iter().map(|day| {
                                let heading = if day.is_today { format!("{} · today", day.label) } else { day.label };
                                view! {
                                    <section class="mt-4 rounded-lg bg-white p-4 shadow-sm" data-testid="calendar-day">
                                        <h3 class="font-semibold text-slate-900">{heading}</h3>
                                        <ul class="divide-y divide-slate-100">{day.entries.into_iter().map(entry_view).collect_view()}</ul>
                                    </section>
                                }
                            }).collect_view()}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
