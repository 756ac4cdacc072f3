//! Ticketed event pages: the admin list and event page (publish, cancel, check in at the
//! door, tickets, edit), the public list and event page where a ticket is taken, and the
//! ticket's own page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    CancelTicket, CancelTicketedEvent, CheckInTicket, DEFAULT_REMINDER_HOURS, DeleteTicketedEvent,
    EmailTicketHolders, EventFilter, EventStatus, PublishTicketedEvent, REMINDER_CHOICES, ReturnTicket,
    SaveTicketedEvent, TakeTicket, Taken, TicketStatus, TicketedEvent, Tier, TierKind,
    coming_ticketed_events, get_public_event, get_ticket, get_ticketed_event, list_public_events,
    list_ticketed_events, tiers_text,
};
use crate::home::ui::PublicHeader;
use crate::qr::QrCodeImage;
use crate::ui::style::{CARD, PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{BUTTON_PRIMARY, Field, FormError, OvernightBox, TextArea, TitleStatusFilter, last_error};

fn badge(status: EventStatus) -> impl IntoView {
    let colour = match status {
        EventStatus::Published => "bg-green-100 text-green-800",
        EventStatus::Cancelled => "bg-red-100 text-red-800",
        EventStatus::Draft => "bg-slate-100 text-slate-700",
    };
    view! {
        <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {colour}") data-testid="event-status">
            {status.label()}
        </span>
    }
}

/// The create/edit form; `event` fills it for an edit.
#[component]
fn EventFormView(action: ServerAction<SaveTicketedEvent>, event: Option<TicketedEvent>) -> impl IntoView {
    let changed = RwSignal::new(false);
    let error = last_error(action.value());
    let e = event.clone();
    let value = move |f: fn(&TicketedEvent) -> String| e.as_ref().map(f).unwrap_or_default();
    let tiers = value(|e| tiers_text(&e.tiers));
    let tiers = if tiers.is_empty() { "General admission | 100".to_string() } else { tiers };
    view! {
        <ActionForm action=action on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
            <input type="hidden" name="id" value=event.as_ref().map(|e| e.id.clone()).unwrap_or_default() />
            {event.as_ref().map(|e| view! {
                <crate::ui::EditsField opened=e.edits saved=Signal::derive(move || action.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
            })}
            <FormError error=error />
            <Field label="Title" name="form[title]" value=value(|e| e.title.clone()) required=true error=error />
            <Field label="Address (/events/…; left empty, made from the title)" name="form[slug]" value=value(|e| e.slug.clone()) error=error />
            <TextArea label="Description" name="form[description]" value=value(|e| e.description.clone()) rows=4 error=error />
            <Field label="Venue" name="form[venue]" value=value(|e| e.venue.clone()) required=true error=error />
            <div class="grid gap-3 sm:grid-cols-3">
                <Field label="Date" name="form[date]" kind="date" value=value(|e| e.date.clone()) required=true error=error />
                <Field label="Starts" name="form[start_time]" kind="time" value=value(|e| e.start_time.clone()) required=true error=error />
                <Field label="Ends" name="form[end_time]" kind="time" value=value(|e| e.end_time.clone()) required=true error=error />
            </div>
            <OvernightBox checked=event.as_ref().is_some_and(|e| e.ends_next_day) />
            <ReminderChoice chosen=event.as_ref().map_or(DEFAULT_REMINDER_HOURS, |e| e.reminder_hours) error=error />
            <TextArea label="Tickets, one tier per line: Name | how many, and | price for a paid tier (like Seats | 50 | 15), or | pay what you can (optionally , from 10)" name="form[tiers]" value=tiers rows=3 error=error />
            <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save event"</button></div>
            <crate::ui::SavedNote saved=action.value() changed=changed />
        </ActionForm>
    }
}

/// "Remind ticket holders": how long before the event its holders are emailed a reminder.
#[component]
fn ReminderChoice(chosen: i64, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message("reminder_hours"));
    view! {
        <div class="max-w-xs">
            <label for="field-reminder-hours" class="block text-sm font-medium text-slate-700">"Remind ticket holders"</label>
            <select id="field-reminder-hours" name="form[reminder_hours]" aria-describedby="field-reminder-hours-error" class=SMALL_INPUT>
                {REMINDER_CHOICES.iter().map(|(hours, label)| view! {
                    <option value=hours.to_string() selected=*hours == chosen>{*label}</option>
                }).collect_view()}
            </select>
            <p id="field-reminder-hours-error" class="mt-1 text-sm text-red-600" data-testid="error-reminder_hours">{message}</p>
        </div>
    }
}

/// What the admin pages follow live: any event's or ticket's change.
const TICKETING_EVENTS: &str = "/api/events/stream?topics=ticket.*,ticketed-event.*";

/// `/admin/ticketed-events`: every event, the latest first, 50 a page, found by title and
/// status; and a form for a new one (saved as a draft).
#[component]
pub fn AdminTicketedEventsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| EventFilter {
            search: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let events = Resource::new(filter, list_ticketed_events);
    // Another organiser's new event, edit or tickets taken show without a reload.
    crate::live::on_change(TICKETING_EVENTS, move || events.refetch());
    let save = ServerAction::<SaveTicketedEvent>::new();
    // A new event is a draft: on to its page, where it is published.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = save.value().get() {
            navigate(&format!("/admin/ticketed-events/{}", created.id), Default::default());
        }
    });
    let filtered = move || {
        let f = filter();
        !f.search.trim().is_empty() || !f.status.trim().is_empty()
    };
    view! {
        <Title text="Ticketed events" />
        <h1 class="text-2xl font-bold text-slate-900">"Ticketed events"</h1>
        <TitleStatusFilter
            clear_href="/admin/ticketed-events"
            statuses=EventStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
            search=Signal::derive(move || filter().search)
            status=Signal::derive(move || filter().status)
        />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() && filtered() => view! {
                        <p class="mt-6 text-slate-600">"No events match."</p>
                    }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600">"No ticketed events yet. Make the first one below."</p>
                    }.into_any(),
                    Ok(page) => {
                        let current = filter();
                        let link = move |n: i64| {
                            format!(
                                "/admin/ticketed-events?q={}&status={}&page={n}",
                                crate::ui::urlencode(&current.search),
                                crate::ui::urlencode(&current.status)
                            )
                        };
                        view! {
                            <p class="mt-4 text-sm text-slate-700" data-testid="events-count">{crate::ui::count(page.count, "event")}</p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Event"</th><th class=format!("{TH} {WIDE_ONLY}")>"When"</th>
                                        <th class=TH>"Status"</th><th class=TH>"Tickets"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|e| view! {
                                            <tr data-testid="event-row">
                                                <td class=TD>
                                                    <a href=format!("/admin/ticketed-events/{}", e.id) class="font-medium text-indigo-700 hover:underline">{e.title}</a>
                                                    <span class=PHONE_ONLY>{e.when.clone()}</span>
                                                </td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{e.when}</td>
                                                <td class=TD>{badge(e.status)}</td>
                                                <td class=TD>{format!("{}/{}", e.issued, e.capacity)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("events", page.page, page.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New event"</h2>
            <EventFormView action=save event=None />
        </section>
    }
}

/// `/admin/ticketed-events/:id`: publish, cancel or delete; check tickets in at the door;
/// the tickets (live), their export, and the edit form.
#[component]
pub fn AdminTicketedEventPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let page = move || query.with(crate::ui::page_param);
    // Which tickets to show: those matching the search (a name, an email or a code), a page at a time.
    let search = move || query.with(|q| q.get("q").unwrap_or_default());
    let detail =
        Resource::new(move || (id(), search(), page()), |(id, q, page)| get_ticketed_event(id, q, page));
    let giving = Resource::new(|| (), |_| crate::payments::get_ways_to_give());
    // Tickets taken and checked in show without a reload.
    crate::live::on_change(TICKETING_EVENTS, move || detail.refetch());
    let save = ServerAction::<SaveTicketedEvent>::new();
    let publish = ServerAction::<PublishTicketedEvent>::new();
    let cancel = ServerAction::<CancelTicketedEvent>::new();
    let delete = ServerAction::<DeleteTicketedEvent>::new();
    let check_in = ServerAction::<CheckInTicket>::new();
    let cancel_ticket = ServerAction::<CancelTicket>::new();
    let cancel_ticket_error = last_error(cancel_ticket.value());
    let (publish_error, cancel_error, delete_error) =
        (last_error(publish.value()), last_error(cancel.value()), last_error(delete.value()));
    let status_error = Signal::derive(move || {
        publish_error.get().or_else(|| cancel_error.get()).or_else(|| delete_error.get())
    });
    let check_in_error = last_error(check_in.value());
    let check_in_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(check_in.value(), check_in_form);
    // A ticket's QR code opens this page with `?code=…`: the code is filled in, one press
    // checks it in. Once checked in, the address drops the code, so the emptied field stays
    // empty and a reload does not offer the same ticket again.
    let scanned = move || query.with(|q| q.get("code").unwrap_or_default());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(check_in.value().get(), Some(Ok(_))) && query.with_untracked(|q| q.get("code").is_some())
        {
            let options = leptos_router::NavigateOptions { replace: true, ..Default::default() };
            navigate(&format!("/admin/ticketed-events/{}", id()), options);
        }
    });
    Effect::new(move |_| {
        let versions = [
            save.version().get(),
            publish.version().get(),
            cancel.version().get(),
            check_in.version().get(),
            cancel_ticket.version().get(),
        ];
        if versions.iter().any(|v| *v > 0) {
            detail.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/ticketed-events");
    view! {
        <Title text="Ticketed event" />
        <p><a href="/admin/ticketed-events" class="text-sm text-indigo-700 hover:underline">"← Ticketed events"</a></p>
        // The live parts are drawn again on every change; the check-in and edit forms are drawn
        // once, so that what is typed stays and the edit keeps the `edits` it was opened with.
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(d) => {
                        let e = d.event;
                        let payments_off = crate::payments::payments_are_off(&giving.await);
                        let unsold = payments_off && e.status != EventStatus::Cancelled && !e.over && e.tiers.iter().any(Tier::always_paid);
                        let (publish_id, cancel_id, delete_id) = (e.id.clone(), e.id.clone(), e.id.clone());
                        let (cancel_title, delete_title) = (e.title.clone(), e.title.clone());
                        let issued = e.issued();
                        let open = e.is_open();
                        let confirm_cancel = move |_| {
                            let question = format!("Cancel \"{cancel_title}\"? Its {} will be cancelled and their holders emailed. This cannot be undone.", crate::ui::count(issued, "ticket"));
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                cancel.dispatch(CancelTicketedEvent { id: cancel_id.clone() });
                            }
                        };
                        let confirm_delete = move |_| {
                            let question = format!("Delete the draft \"{delete_title}\"? This cannot be undone.");
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                delete.dispatch(DeleteTicketedEvent { id: delete_id.clone() });
                            }
                        };
                        view! {
                            <div class="mt-2 flex flex-wrap items-center gap-3">
                                <h1 class="text-2xl font-bold text-slate-900">{e.title.clone()}</h1>
                                {badge(e.status)}
                                {(e.status != EventStatus::Draft).then(|| view! {
                                    <a href=format!("/events/{}", e.slug) class="text-sm text-indigo-700 hover:underline">"Public page"</a>
                                })}
                            </div>
                            <p class="mt-1 text-slate-700">{format!("{} · {}", e.when, e.venue)}</p>
                            <p class="text-sm text-slate-600" data-testid="reminder">{super::reminder_line(e.reminder_hours)}</p>
                            <ul class="mt-2 flex flex-wrap gap-4 text-sm text-slate-700" data-testid="tiers">
                                {e.tiers.iter().map(|t| view! {
                                    <li data-testid="tier">{format!("{} ({}): {} of {} taken", t.name, t.price_label(), t.issued, t.capacity)}</li>
                                }).collect_view()}
                                <li data-testid="checked-in">{format!("{} checked in", d.checked_in)}</li>
                            </ul>
                            {(e.status == EventStatus::Cancelled && d.paid_orders > 0).then(|| view! {
                                <p class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-800" role="status" data-testid="paid-to-refund">
                                    {format!("{} still to refund: a payments admin refunds them in Payments → Tickets.", crate::ui::count(d.paid_orders, "paid ticket"))}
                                </p>
                            })}
                            {unsold.then(|| view! {
                                <p class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-800" role="status" data-testid="paid-not-on-sale">
                                    "Payments are off, so the tickets to pay for are not on sale: a payments admin turns payments on in Payment settings."
                                </p>
                            })}
                            <FormError error=status_error />
                            <div class="mt-3 flex flex-wrap gap-3">
                                {(e.status == EventStatus::Draft).then(|| view! {
                                    <button class=SMALL_BUTTON on:click=move |_| { publish.dispatch(PublishTicketedEvent { id: publish_id.clone() }); }>"Publish"</button>
                                    <button class="text-sm text-red-700 hover:underline" on:click=confirm_delete>"Delete draft"</button>
                                })}
                                {open.then(|| view! {
                                    <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_cancel>"Cancel event"</button>
                                })}
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let check_id = StoredValue::new(crate::live::loaded_once(detail).await.ok()?.event.id);
                let published = move || detail.get().and_then(Result::ok).is_some_and(|d| d.event.status == EventStatus::Published);
                Some(view! {
                    <Show when=published>
                        <section class=CARD aria-label="Check-in">
                            <h2 class="font-semibold text-slate-900">"Check in at the door"</h2>
                            <ActionForm action=check_in node_ref=check_in_form attr:class="mt-2 flex flex-wrap items-end gap-3" attr:novalidate=true>
                                <input type="hidden" name="id" value=check_id.get_value() />
                                <label class="text-sm text-slate-700">"Ticket code"
                                    <input name="code" class=SMALL_INPUT autocomplete="off" placeholder="ABCD-EFGH-JKMN" value=scanned />
                                </label>
                                <button type="submit" class=SMALL_BUTTON autofocus=move || !scanned().is_empty() disabled=move || check_in.pending().get()>"Check in"</button>
                            </ActionForm>
                            <FormError error=check_in_error />
                            <p class="mt-2 text-sm font-semibold text-green-700" role="status" data-testid="checked-in-result">
                                {move || match check_in.value().get() {
                                    Some(Ok(done)) => format!("Checked in: {} ({}).", done.name, done.tier_name),
                                    _ => String::new(),
                                }}
                            </p>
                        </section>
                    </Show>
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| {
                    let e = d.event;
                    let open = e.is_open();
                    // At the door, a holder without their code is found by name and checked in from their row.
                    let at_the_door = e.status == EventStatus::Published;
                    let q = search();
                    let searching = !q.trim().is_empty();
                    let event_id = e.id.clone();
                    let shown_q = q.clone();
                    let link = move |n: i64| match searching {
                        true => format!("/admin/ticketed-events/{event_id}?q={}&page={n}", crate::ui::urlencode(&shown_q)),
                        false => format!("/admin/ticketed-events/{event_id}?page={n}"),
                    };
                    let empty = if searching {
                        "No ticket matches this search."
                    } else if d.page > 1 {
                        "There are no tickets on this page."
                    } else {
                        "No tickets taken yet."
                    };
                    let search_form = (searching || d.page > 1 || !d.tickets.is_empty()).then(|| view! {
                        <form method="get" class="mt-2 flex flex-wrap items-end gap-3" role="search">
                            <label class="text-sm text-slate-700">
                                "Find a ticket"
                                <input name="q" value=q.clone() placeholder="Name, email or code" class=SMALL_INPUT />
                            </label>
                            <button type="submit" class=SMALL_BUTTON>"Search"</button>
                            {searching.then(|| view! {
                                <a href=format!("/admin/ticketed-events/{}", e.id) class="text-sm text-slate-600 hover:text-slate-900">"Show every ticket"</a>
                            })}
                        </form>
                    });
                    view! {
                    <section class=CARD>
                        <div class="flex items-center justify-between">
                            <h2 class="font-semibold text-slate-900">"Tickets"</h2>
                            <a href=format!("/api/ticketed-events/{}/tickets.csv", e.id) rel="external" class="text-sm text-indigo-700 hover:underline">"Export CSV"</a>
                        </div>
                        {search_form}
                        <FormError error=cancel_ticket_error />
                        {if d.tickets.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{empty}</p> }.into_any()
                        } else {
                            view! {
                                <div class="mt-2 overflow-x-auto">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <thead><tr>
                                            <th class=TH>"Name"</th><th class=format!("{TH} {WIDE_ONLY}")>"Email"</th><th class=format!("{TH} {WIDE_ONLY}")>"Tier"</th>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"Code"</th><th class=format!("{TH} {WIDE_ONLY}")>"Taken"</th><th class=TH>"Checked in"</th>
                                            <th class=TH><span class="sr-only">"Check in or cancel"</span></th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {d.tickets.into_iter().map(|t| {
                                                // A paid ticket is cancelled by refunding its payment.
                                                let cancellable = open && !t.paid && t.status == TicketStatus::Valid && t.checked_in.is_none();
                                                let (ticket_id, holder) = (t.id.clone(), t.name.clone());
                                                let confirm_cancel = move |_| {
                                                    let question = format!("Cancel {holder}'s ticket? They will be emailed, and the place is free again.");
                                                    if window().confirm_with_message(&question).unwrap_or(false) {
                                                        cancel_ticket.dispatch(CancelTicket { ticket_id: ticket_id.clone() });
                                                    }
                                                };
                                                let can_check_in = at_the_door && t.status == TicketStatus::Valid && t.checked_in.is_none();
                                                let (event_id, code) = (e.id.clone(), t.code.clone());
                                                let check_in_label = format!("Check in {}", t.name);
                                                let on_phone = format!("{} · {} · {}", t.email, t.tier_name, t.code);
                                                view! {
                                                <tr data-testid="ticket-row">
                                                    <td class=TD>
                                                        <a href=format!("/admin/contacts/{}", t.contact_id) class="text-indigo-700 hover:underline">{t.name}</a>
                                                        <span class=PHONE_ONLY>{on_phone}</span>
                                                    </td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{t.email}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{t.tier_name}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY} font-mono")>{t.code}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{t.issued}</td>
                                                    <td class=TD>{match (t.status, t.checked_in) {
                                                        (status @ (TicketStatus::Cancelled | TicketStatus::Suspended), _) => status.label().to_string(),
                                                        (_, Some(at)) => at,
                                                        (_, None) => "—".to_string(),
                                                    }}</td>
                                                    <td class=TD>
                                                        // One above the other on a phone, so that neither is scrolled out of sight.
                                                        <div class="flex flex-col items-start gap-2 whitespace-nowrap md:flex-row md:gap-3">
                                                        {can_check_in.then(|| view! {
                                                            <button class="text-sm font-semibold text-indigo-700 hover:underline" aria-label=check_in_label
                                                                disabled=move || check_in.pending().get()
                                                                on:click=move |_| { check_in.dispatch(CheckInTicket { id: event_id.clone(), code: code.clone() }); }>
                                                                "Check in"
                                                            </button>
                                                        })}
                                                        {cancellable.then(|| view! {
                                                            <button class="text-sm text-red-700 hover:underline" on:click=confirm_cancel>"Cancel"</button>
                                                        })}
                                                        </div>
                                                    </td>
                                                </tr>
                                            }}).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }}
                        {crate::ui::pager("tickets", d.page, d.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                    </section>
                    }
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let e = crate::live::loaded_once(detail).await.ok()?.event;
                let editable = move || detail.get().and_then(Result::ok).is_some_and(|d| d.event.status != EventStatus::Cancelled);
                let holders = Signal::derive(move || detail.get().and_then(Result::ok).map_or(0, |d| d.holders));
                Some(view! {
                    <Show when=editable>
                        <EmailHolders event_id=e.id.clone() holders />
                        <section class=CARD>
                            <h2 class="font-semibold text-slate-900">"Edit"</h2>
                            <EventFormView action=save event=Some(e.clone()) />
                        </section>
                    </Show>
                })
            })}
        </Transition>
    }
}

/// "Email ticket holders": an organiser's message to everyone holding a ticket (`holders`, as
/// the live updates tell), drawn once so that what is typed stays.
#[component]
fn EmailHolders(event_id: String, holders: Signal<i64>) -> impl IntoView {
    let send = ServerAction::<EmailTicketHolders>::new();
    let error = last_error(send.value());
    // Emptied once sent, so that pressing the button again does not send it twice.
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(send.value(), form);
    let event_id = StoredValue::new(event_id);
    let nobody =
        || view! { <p class="mt-4 text-sm text-slate-600">"Nobody to email: nobody holds a ticket."</p> };
    view! {
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"Email ticket holders"</h2>
            <p class="text-sm text-slate-600">"To everyone holding a ticket, with the event's time and place under your message."</p>
            <Show when=move || { holders.get() > 0 } fallback=nobody>
                <ActionForm action=send node_ref=form attr:class="mt-4 space-y-4" attr:novalidate=true>
                    <input type="hidden" name="id" value=event_id.get_value() />
                    <FormError error=error />
                    <Field label="Subject" name="subject" required=true maxlength=200 error=error />
                    <TextArea label="Message" name="body" rows=5 maxlength=5000 error=error />
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get()>
                        {move || match send.pending().get() {
                            true => "Queuing…".to_string(),
                            false => format!("Send to {}", crate::ui::count(holders.get(), "ticket holder")),
                        }}
                    </button>
                </ActionForm>
            </Show>
            <p class="mt-2 text-sm text-green-700" data-testid="holders-email-result">
                {move || send.value().get().and_then(Result::ok).map(|n| {
                    format!("Queued {}: see the email queue.", crate::ui::count(n as i64, "email"))
                })}
            </p>
        </section>
    }
}

/// On the dashboard, for those who run events: the next published events and their tickets,
/// read again on each of the dashboard's `changes`. Nothing for other admins.
#[component]
pub fn ComingEvents(changes: RwSignal<u32>) -> impl IntoView {
    let events = Resource::new(move || changes.get(), |_| coming_ticketed_events());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                events.await.ok().map(|events| {
                    let td = "px-3 py-2 text-slate-700";
                    view! {
                        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="coming-events">
                            <h2 class="text-lg font-semibold text-slate-900">"Coming events"</h2>
                            {if events.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-600">"No published event is coming up."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="mt-2 min-w-full text-sm">
                                        <tbody class="divide-y divide-slate-100">
                                            {events.into_iter().map(|e| view! {
                                                <tr data-testid="coming-event">
                                                    <td class=td>
                                                        <a href=format!("/admin/ticketed-events/{}", e.id) class="font-medium text-indigo-700 hover:underline">{e.title.clone()}</a>
                                                    </td>
                                                    <td class=td>{e.when.clone()}</td>
                                                    <td class=td>{format!("{} taken · {}", e.issued(), spots_left(e.remaining()))}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                    }
                })
            })}
        </Transition>
    }
}

/// How many tickets are left, as the public pages say it.
fn spots_left(n: i64) -> String {
    if n == 0 { "Sold out".to_string() } else { format!("{} left", crate::ui::count(n, "ticket")) }
}

fn events_page(n: i64) -> String {
    format!("/events?page={n}")
}

/// `/events`: published events still to come, soonest first.
#[component]
pub fn PublicEventsPage() -> impl IntoView {
    // The page number is read once and the page links load the next page whole, as on the
    // shifts' public list.
    let page = use_query_map().with_untracked(|q| q.get("page").and_then(|p| p.parse().ok()));
    let events = Resource::new(move || page, list_public_events);
    view! {
        <Title text="Events" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <h1 class="text-3xl font-bold text-slate-900">"Events"</h1>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-600">"Loading…"</p> }>
                {Suspend::new(async move {
                    match events.await {
                        Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                        Ok(list) if list.events.is_empty() && list.page == 1 => view! {
                            <p class="mt-4 text-slate-600">"No events coming up right now. Check back soon."</p>
                        }.into_any(),
                        Ok(list) if list.events.is_empty() => view! {
                            <p class="mt-4 text-slate-600">"No more events on this page."</p>
                            {crate::ui::pager("events", list.page, false, events_page, crate::ui::PAGES_SOONEST_FIRST, true)}
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="mt-6 space-y-4">
                                {list.events.into_iter().map(|e| view! {
                                    <li data-testid="public-event">
                                        <a href=format!("/events/{}", e.slug) class="block rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-400">
                                            <h2 class="text-lg font-semibold text-slate-900">{e.title.clone()}</h2>
                                            <p class="mt-1 text-sm text-slate-700">{format!("{} · {}", e.when, e.venue)}</p>
                                            <p class="mt-1 text-sm font-semibold text-indigo-700">{spots_left(e.remaining())}</p>
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {crate::ui::pager("events", list.page, list.has_more, events_page, crate::ui::PAGES_SOONEST_FIRST, true)}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// `/events/:slug`: the event, its tiers with what is left, and the form to take a ticket;
/// on to the ticket's page once taken.
#[component]
pub fn PublicEventPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let event = Resource::new(slug, get_public_event);
    let giving = Resource::new(|| (), |_| crate::payments::get_ways_to_give());
    let take = ServerAction::<TakeTicket>::new();
    let error = last_error(take.value());
    let navigate = use_navigate();
    Effect::new(move |_| match take.value().get() {
        Some(Ok(Taken::Ticket { code })) => navigate(&format!("/ticket?code={code}"), Default::default()),
        // Stripe's payment page is another site: the browser leaves for it.
        Some(Ok(Taken::Checkout { url })) => {
            let _ = window().location().set_href(&url);
        }
        _ => {}
    });
    let paid_back = move || query.with(|q| q.get("paid").is_some());
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-2xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(e) => {
                            let description = if e.description.trim().is_empty() {
                                format!("{} · {}", e.when, e.venue)
                            } else {
                                e.description.chars().take(200).collect()
                            };
                            // With payments off, only the tickets that can be had without paying.
                            let payments_off = crate::payments::payments_are_off(&giving.await);
                            let not_on_sale = move |t: &Tier| payments_off && t.always_paid();
                            let takeable = move |t: &Tier| t.remaining() > 0 && !not_on_sale(t);
                            let open = e.is_open() && e.tiers.iter().any(takeable);
                            let first_open = e.tiers.iter().find(|t| takeable(t)).map(|t| t.id.clone());
                            // With payments off, a pay-what-you-can ticket is had without paying.
                            let any_paid = !payments_off && e.tiers.iter().any(|t| t.kind != TierKind::Free);
                            // The amount field shows while a pay-what-you-can tier is chosen.
                            let chosen = RwSignal::new(first_open.clone());
                            let donation_tiers: Vec<String> = e
                                .tiers
                                .iter()
                                .filter(|t| t.kind == TierKind::Donation && !payments_off)
                                .map(|t| t.id.clone())
                                .collect();
                            let any_donation = !donation_tiers.is_empty();
                            let asks_amount = move || chosen.with(|c| c.as_ref().is_some_and(|c| donation_tiers.contains(c)));
                            view! {
                                <crate::ui::SharedPageHead title=e.title.clone() description />
                                <h1 class="text-3xl font-bold text-slate-900">{e.title.clone()}</h1>
                                <p class="mt-2 text-lg text-slate-700" data-testid="event-when">{format!("{} · {}", e.when, e.venue)}</p>
                                {paid_back().then(|| view! {
                                    <p class="mt-4 rounded-md bg-green-50 p-4 text-green-800" role="status" data-testid="paid-thanks">
                                        "Thank you! Your ticket will be emailed to you as soon as Stripe confirms the payment."
                                    </p>
                                })}
                                {(e.status == EventStatus::Cancelled).then(|| view! {
                                    <p class="mt-4 rounded-md bg-red-50 p-4 text-red-800" role="status">"This event is cancelled."</p>
                                })}
                                <div class="mt-4 whitespace-pre-line text-slate-700"><crate::ui::LinkedText text=e.description.clone() /></div>
                                {(e.status == EventStatus::Published && e.over).then(|| view! {
                                    <p class="mt-6 rounded-md bg-slate-100 p-4 text-slate-700" role="status">"This event is over."</p>
                                })}
                                {(e.is_open() && e.remaining() == 0).then(|| view! {
                                    <p class="mt-6 rounded-md bg-amber-50 p-4 text-amber-800" role="status">"Sold out: every ticket is taken."</p>
                                })}
                                {(e.is_open() && e.remaining() > 0 && !open).then(|| view! {
                                    <p class="mt-6 rounded-md bg-amber-50 p-4 text-amber-800" role="status" data-testid="tickets-not-on-sale">"Tickets are not on sale online right now."</p>
                                })}
                                {open.then(|| view! {
                                    <section class="mt-8 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
                                        <h2 class="text-xl font-semibold text-slate-900">{if any_paid { "Get a ticket" } else { "Get a free ticket" }}</h2>
                                        {any_paid.then(|| view! {
                                            <p class="mt-1 text-sm text-slate-600">"A paid ticket is paid on Stripe's secure page; your place is kept for 30 minutes while you pay, and the ticket is emailed to you once the payment is confirmed."</p>
                                        })}
                                        <ActionForm action=take attr:class="mt-4 space-y-4" attr:novalidate=true>
                                            <input type="hidden" name="slug" value=e.slug.clone() />
                                            <FormError error=error />
                                            <fieldset aria-describedby="tier-error">
                                                <legend class="text-sm font-medium text-slate-700">"Ticket"</legend>
                                                {e.tiers.iter().map(|t| {
                                                    let checked = first_open.as_deref() == Some(t.id.as_str());
                                                    let id = t.id.clone();
                                                    view! {
                                                        <label class="mt-2 flex items-center gap-2 text-sm text-slate-700" data-testid="tier-choice">
                                                            <input type="radio" name="form[tier_id]" value=t.id.clone() checked=checked disabled=!takeable(t)
                                                                on:change=move |_| chosen.set(Some(id.clone())) />
                                                            {format!(
                                                                "{} — {} — {}",
                                                                t.name,
                                                                t.price_label(),
                                                                if not_on_sale(t) { "not on sale online right now".to_string() } else { spots_left(t.remaining()) },
                                                            )}
                                                        </label>
                                                    }
                                                }).collect_view()}
                                                <p id="tier-error" class="mt-1 text-sm text-red-600" data-testid="error-form[tier_id]">
                                                    {move || error.get().and_then(|e| e.field_message("tier_id"))}
                                                </p>
                                            </fieldset>
                                            {any_donation.then(|| view! {
                                                <div hidden=move || !asks_amount() data-testid="amount-field">
                                                    <Field label="What you pay, in dollars" name="form[amount]" inputmode="decimal" error=error />
                                                    <p class="mt-1 text-sm text-slate-600">"Pay what you can. Leave it empty to pay nothing, unless the ticket says from how much."</p>
                                                </div>
                                            })}
                                            <Field label="Your name" name="form[name]" autocomplete="name" required=true error=error />
                                            <Field label="Your email" name="form[email]" kind="email" autocomplete="email" required=true error=error />
                                            <button type="submit" class=BUTTON_PRIMARY disabled=move || take.pending().get()>"Get my ticket"</button>
                                        </ActionForm>
                                    </section>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// `/ticket?code=…`: the ticket, to show at the door. (The code is in the query, which is
/// never logged: it is all it takes to give the ticket back.)
#[component]
pub fn TicketPage() -> impl IntoView {
    let query = use_query_map();
    let code = move || query.with(|q| q.get("code").unwrap_or_default());
    let ticket = Resource::new(code, get_ticket);
    let give_back = ServerAction::<ReturnTicket>::new();
    let give_back_error = last_error(give_back.value());
    Effect::new(move |_| {
        if give_back.version().get() > 0 {
            ticket.refetch();
        }
    });
    view! {
        <Title text="Your ticket" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match ticket.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(t) => {
                            let valid = t.status == TicketStatus::Valid;
                            // Once the event is over there is no place left to give back.
                            let returnable = t.event_status == EventStatus::Published && !t.event_over;
                            let status_text = match t.status {
                                TicketStatus::Valid => "Show this code at the door. We have emailed it to you too.",
                                TicketStatus::Suspended => "This ticket is suspended while its payment is disputed.",
                                TicketStatus::Cancelled => "This ticket is cancelled.",
                            };
                            view! {
                                <h1 class="text-2xl font-bold text-slate-900">{format!("Your ticket for {}", t.event_title)}</h1>
                                <div class="mt-6 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200">
                                    <p class="text-sm text-slate-600">{format!("{} · {}", t.name, t.tier_name)}</p>
                                    <p class="mt-2 whitespace-nowrap font-mono text-2xl font-bold tracking-widest sm:text-3xl text-slate-900" data-testid="ticket-code">{t.code.clone()}</p>
                                    {t.check_in_qr.clone().map(|image| view! {
                                        <div class="mt-4">
                                            <QrCodeImage image label="QR code of this ticket, for the door to scan".to_string() />
                                        </div>
                                    })}
                                    <p class="mt-2 text-slate-700">{format!("{} · {}", t.when, t.venue)}</p>
                                    <p class=if valid { "mt-4 font-semibold text-green-700" } else { "mt-4 font-semibold text-red-700" } role="status" data-testid="ticket-status">
                                        {status_text}
                                    </p>
                                </div>
                                {(valid && t.paid && returnable).then(|| view! {
                                    <p class="mt-6 text-sm text-slate-600">"Can't come? A paid ticket is given back by a refund: reply to your ticket's email and the organisers will arrange it."</p>
                                })}
                                {(valid && !t.paid && returnable).then(|| view! {
                                    <ActionForm action=give_back attr:class="mt-6 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
                                        <input type="hidden" name="code" value=t.code.clone() />
                                        <FormError error=give_back_error />
                                        <label class="flex items-center gap-2 text-sm text-slate-700">
                                            <input type="checkbox" required=true />
                                            "I can't come: give my place to someone else."
                                        </label>
                                        <button type="submit" class="mt-3 rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold text-slate-700"
                                            disabled=move || give_back.pending().get()>"Return my ticket"</button>
                                    </ActionForm>
                                })}
                                <p class="mt-4 text-sm"><a href=format!("/events/{}", t.event_slug) class="text-indigo-700 hover:underline">"About the event"</a></p>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
