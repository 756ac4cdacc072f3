//! The text message pages: `/admin/sms` (the texts received, newest first, by sentiment,
//! search and whether they wait for an answer; each marked done when it needs none),
//! `/admin/sms/campaigns` (the campaigns, and a new one: who it reaches, then send) and
//! `/admin/sms/campaigns/<id>` (its progress and the texts that did not go).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    MarkSmsDone, ReplyToSms, ResumeSmsCampaign, SENTIMENTS, SmsCampaignForm, SmsCampaignText, SmsFilter,
    SmsMedia, SmsMessage, SmsReply, StartSmsCampaign, count_sms_audience, get_sms_campaign,
    list_sms_campaigns, list_sms_messages,
};
use crate::jobs::ui::JobProgress;
use crate::ui::style::{CARD, PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{LoadError, count, field_error, last_error};

/// The inbox and campaigns links above each text message page.
#[component]
fn SmsTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str| {
        let class = if href == current {
            "rounded-md bg-indigo-100 px-3 py-1 text-sm font-semibold text-indigo-800"
        } else {
            "rounded-md px-3 py-1 text-sm text-indigo-700 hover:underline"
        };
        view! { <a href=href class=class aria-current=(href == current).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="mt-2 flex gap-2" aria-label="Text messages">
            {tab("/admin/sms", "Received")}
            {tab("/admin/sms/campaigns", "Campaigns")}
        </nav>
    }
}

/// How a sentiment shows in the inbox: its word and colours.
fn sentiment_badge(sentiment: &str) -> (&'static str, &'static str) {
    match sentiment {
        "QUESTION" => ("Question", "bg-amber-100 text-amber-900"),
        "NEGATIVE" => ("Unhappy", "bg-red-100 text-red-800"),
        "POSITIVE" => ("Happy", "bg-green-100 text-green-800"),
        _ => ("Neither", "bg-slate-100 text-slate-700"),
    }
}

/// The files sent with a text: pictures shown small (each opens whole), others as links.
#[component]
fn Media(media: Vec<SmsMedia>) -> impl IntoView {
    media
        .into_iter()
        .map(|file| {
            if file.content_type.starts_with("image/") {
                let href = file.path.clone();
                view! {
                    <a href=href target="_blank" rel="noopener" class="mt-2 mr-2 inline-block">
                        <img src=file.path alt="A picture sent with the text" loading="lazy" class="max-h-40 rounded border border-slate-200" data-testid="sms-media-image" />
                    </a>
                }
                .into_any()
            } else {
                view! {
                    <a href=file.path target="_blank" rel="noopener" class="mt-2 block text-indigo-700 hover:underline" data-testid="sms-media-file">
                        {format!("A file sent with the text ({})", file.content_type)}
                    </a>
                }
                .into_any()
            }
        })
        .collect_view()
}

/// What admins replied to a text, under it.
#[component]
fn Replies(replies: Vec<SmsReply>) -> impl IntoView {
    replies
        .into_iter()
        .map(|r| {
            view! {
                <div class="mt-2 border-l-2 border-indigo-300 pl-2 text-slate-700" data-testid="sms-reply">
                    <div class="text-xs text-slate-600" data-testid="sms-reply-meta">
                        {if r.delivery.is_empty() { format!("Replied {}", r.sent_at) } else { format!("Replied {} · {}", r.sent_at, r.delivery) }}
                    </div>
                    <div class="whitespace-pre-line">{r.body}</div>
                </div>
            }
        })
        .collect_view()
}

/// A reply to one text, behind "Reply"; none to a number that texted STOP.
#[component]
fn ReplyForm(message_id: String, opted_out: bool, on_sent: Callback<()>) -> impl IntoView {
    let reply = ServerAction::<ReplyToSms>::new();
    let (body, set_body) = signal(String::new());
    let error = last_error(reply.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = reply.value().get() {
            on_sent.run(());
        }
    });
    if opted_out {
        return view! { <p class="mt-2 text-xs text-slate-600">"No replies until they text START."</p> }
            .into_any();
    }
    let send = move |_| {
        reply.dispatch(ReplyToSms { message_id: message_id.clone(), body: body.get_untracked() });
    };
    view! {
        <details class="mt-2">
            <summary class="cursor-pointer text-sm text-indigo-700">"Reply"</summary>
            <label class="mt-1 block text-sm text-slate-700">
                "Your reply"
                <textarea name="body" rows="2" class=SMALL_INPUT prop:value=move || body.get()
                    on:input=move |ev| set_body.set(event_target_value(&ev))></textarea>
            </label>
            <p class="text-sm text-red-600" role="alert">{move || error.get().map(|e| e.to_string())}</p>
            <button type="button" class=format!("mt-1 {SMALL_BUTTON}") on:click=send disabled=move || reply.pending().get()>
                {move || if reply.pending().get() { "Sending…" } else { "Send reply" }}
            </button>
        </details>
    }
    .into_any()
}

/// The campaign text a text came after, above it: what its "Yes" says yes to.
#[component]
fn AfterCampaign(text: SmsCampaignText) -> impl IntoView {
    let mut quoted: String = text.body.chars().take(120).collect();
    if text.body.chars().count() > 120 {
        quoted.push('…');
    }
    view! {
        <p class="mb-1 text-xs text-slate-600" data-testid="sms-after-campaign">
            "After the campaign "
            <a href=format!("/admin/sms/campaigns/{}", text.campaign_id) class="underline">{text.name}</a>
            {format!(" ({}): “{quoted}”", text.sent_at)}
        </p>
    }
}

/// Whether a text waits for an answer, and marking it done (needing none) or waiting again.
#[component]
fn Answering(text: SmsMessage, on_changed: Callback<()>) -> impl IntoView {
    let mark = ServerAction::<MarkSmsDone>::new();
    let error = last_error(mark.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = mark.value().get() {
            on_changed.run(());
        }
    });
    let id = text.id.clone();
    let button = move |done: bool, label: &'static str| {
        let message_id = id.clone();
        view! {
            <button type="button" class=format!("ml-2 {SMALL_BUTTON}") disabled=move || mark.pending().get()
                on:click=move |_| { mark.dispatch(MarkSmsDone { message_id: message_id.clone(), done }); }>
                {label}
            </button>
        }
    };
    let state = match (text.waiting, text.done) {
        (true, _) => view! {
            <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">"Waiting for an answer"</span>
            {button(true, "Mark done")}
        }
        .into_any(),
        // No reply can go to a number that opted out: it cannot wait for one.
        (false, Some(done)) => view! { <span>{done}</span> {(!text.opted_out).then(|| button(false, "Not done"))} }.into_any(),
        (false, None) => view! { <span>"Answered"</span> }.into_any(),
    };
    view! {
        <div class="mt-2 text-xs text-slate-700" data-testid="sms-answering">{state}</div>
        <p class="text-sm text-red-600" role="alert">{move || error.get().map(|e| e.to_string())}</p>
    }
}

#[component]
pub fn AdminSmsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| SmsFilter {
            sentiment: q.get("sentiment").unwrap_or_default(),
            waiting: q.get("waiting").as_deref() == Some("true"),
            search: q.get("q").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let messages = Resource::new(filter, list_sms_messages);
    // Texts arriving are counted live, each one, and shown when asked, not redrawn into the
    // list at once, which would lose a reply being typed.
    let arrived = RwSignal::new(0_i64);
    crate::live::use_stream(
        "/api/events/stream?topics=sms.message.received",
        move |_| arrived.update(|n| *n += 1),
        || {},
        |_| {},
    );
    let show_arrived = move |_| {
        arrived.set(0);
        messages.refetch();
    };
    view! {
        <Title text="Text messages" />
        <h1 class="text-2xl font-bold text-slate-900">"Text messages"</h1>
        <SmsTabs current="/admin/sms" />
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
            <label class="text-sm text-slate-700">
                "Search"
                <input name="q" maxlength="100" placeholder="Words, number or name" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" value=move || filter().search />
            </label>
            <label class="flex items-center gap-2 pb-2 text-sm text-slate-700">
                <input type="checkbox" name="waiting" value="true" checked=move || filter().waiting class="h-4 w-4" />
                "Only those waiting for an answer"
            </label>
            <button type="submit" class=SMALL_BUTTON>"Show"</button>
        </form>
        {move || (arrived.get() > 0).then(|| view! {
            <p class="mt-4 rounded-md bg-indigo-50 p-3 text-sm text-indigo-900" role="status" data-testid="sms-arrived">
                {format!("{} arrived. ", count(arrived.get(), "new text"))}
                <button type="button" class="font-semibold underline" on:click=show_arrived>"Show them"</button>
            </p>
        })}
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
                        let waiting = (page.waiting > 0 && !current.waiting).then(|| view! {
                            <p class="mt-4 text-sm" data-testid="sms-waiting">
                                <a href="/admin/sms?waiting=true" class="font-semibold text-indigo-700 underline">
                                    {format!("{} waiting for an answer", count(page.waiting, "text"))}
                                </a>
                            </p>
                        });
                        let list = if page.rows.is_empty() {
                            let (kind, searched) = (!current.sentiment.is_empty(), !current.search.trim().is_empty());
                            let empty = match (kind || searched, current.waiting) {
                                (false, false) => "No texts yet.",
                                (false, true) => "No texts wait for an answer.",
                                (true, _) => "No texts of this kind.",
                            };
                            view! { <p class="mt-6 text-slate-600" data-testid="sms-empty">{empty}</p> }.into_any()
                        } else {
                            let link = move |n: i64| format!(
                                "/admin/sms?sentiment={}&waiting={}&q={}&page={n}",
                                crate::ui::urlencode(&current.sentiment),
                                current.waiting,
                                crate::ui::urlencode(&current.search),
                            );
                            let refetch = Callback::new(move |_| messages.refetch());
                            view! {
                                <p class="mt-4 text-sm text-slate-700">{crate::ui::count(page.count, "text")}</p>
                                <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <thead><tr>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"Received"</th><th class=TH>"From"</th><th class=TH>"Text"</th>
                                            <th class=format!("{TH} {WIDE_ONLY}")>"Reads as"</th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {page.rows.into_iter().map(|m| {
                                                let answering = view! { <Answering text=m.clone() on_changed=refetch /> };
                                                let (word, colours) = sentiment_badge(&m.sentiment);
                                                let who = match (m.contact_id, m.contact_name) {
                                                    (Some(id), Some(name)) => view! {
                                                        <a href=format!("/admin/contacts/{id}") class="font-medium text-indigo-700 hover:underline">{name}</a>
                                                    }.into_any(),
                                                    _ => view! { <span class="text-slate-600">"Not in contacts"</span> }.into_any(),
                                                };
                                                view! {
                                                    <tr data-testid="sms-row">
                                                        <td class=format!("{TD} {WIDE_ONLY}")>{m.received_at.clone()}</td>
                                                        <td class=TD>
                                                            <div>
                                                                <a href=format!("/admin/sms?q={}", crate::ui::urlencode(&m.phone)) title="Every text from this number" class="font-mono text-indigo-700 underline">{m.phone.clone()}</a>
                                                            </div>
                                                            <div>{who}</div>
                                                            {m.opted_out.then(|| view! { <div class="text-xs font-semibold text-red-700">"Opted out of texts"</div> })}
                                                            <span class=PHONE_ONLY>{format!("{} · {word}", m.received_at)}</span>
                                                        </td>
                                                        <td class=TD>
                                                            {m.after_campaign.map(|text| view! { <AfterCampaign text /> })}
                                                            <div class="whitespace-pre-line">{m.body}</div>
                                                            <Media media=m.media />
                                                            <Replies replies=m.replies />
                                                            {answering}
                                                            <ReplyForm message_id=m.id opted_out=m.opted_out on_sent=refetch />
                                                        </td>
                                                        <td class=format!("{TD} {WIDE_ONLY}")><span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {colours}")>{word}</span></td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {crate::ui::pager("texts", page.page, page.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                            }.into_any()
                        };
                        view! { {setup} {waiting} {list} }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// `/admin/sms/campaigns`: the campaigns, newest first; a new one, with who it reaches.
#[component]
pub fn AdminSmsCampaignsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(crate::ui::page_param);
    let campaigns = Resource::new(page, list_sms_campaigns);
    crate::live::on_change("/api/events/stream?topics=sms.campaign.*", move || campaigns.refetch());
    let (name, set_name) = signal(String::new());
    let (tag, set_tag) = signal(String::new());
    let (body, set_body) = signal(String::new());
    let audience = Resource::new(move || tag.get(), count_sms_audience);
    let start = ServerAction::<StartSmsCampaign>::new();
    let error = last_error(start.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start.value().get() {
            navigate(&format!("/admin/sms/campaigns/{id}"), Default::default());
        }
    });
    let send = move |_| {
        let reach = audience.get_untracked().and_then(Result::ok).map_or(0, |a| a.recipients);
        let question = format!("Send this text to {} now? This cannot be undone.", count(reach, "number"));
        if window().confirm_with_message(&question).unwrap_or(false) {
            start.dispatch(StartSmsCampaign {
                form: SmsCampaignForm {
                    name: name.get_untracked(),
                    tag: tag.get_untracked(),
                    body: body.get_untracked(),
                },
            });
        }
    };
    let other_error = move || {
        error
            .get()
            .filter(|e| ["name", "tag", "body"].iter().all(|f| e.field_message(f).is_none()))
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Text campaigns" />
        <h1 class="text-2xl font-bold text-slate-900">"Text messages"</h1>
        <SmsTabs current="/admin/sms/campaigns" />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(list) if list.rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600" data-testid="campaigns-empty">"No text campaigns yet. Write the first one below."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead><tr>
                                    <th class=TH>"Campaign"</th><th class=format!("{TH} {WIDE_ONLY}")>"Started"</th><th class=format!("{TH} {WIDE_ONLY}")>"Status"</th>
                                    <th class=TH>"Sent"</th><th class=TH>"Delivered"</th><th class=TH>"Not sent or delivered"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.rows.into_iter().map(|c| {
                                        let status = if c.status == "COMPLETED" { "Sent" } else { "Sending" };
                                        view! {
                                        <tr data-testid="campaign-row">
                                            <td class=TD>
                                                <a href=format!("/admin/sms/campaigns/{}", c.id) class="font-medium text-indigo-700 hover:underline">{c.name}</a>
                                                <span class=PHONE_ONLY>{format!("{} · {status}", c.started_at)}</span>
                                            </td>
                                            <td class=format!("{TD} {WIDE_ONLY}")>{c.started_at.clone()}</td>
                                            <td class=format!("{TD} {WIDE_ONLY}")>{status}</td>
                                            <td class=TD>{format!("{} of {}", c.sent, c.recipients)}</td>
                                            <td class=TD>{c.delivered}</td>
                                            <td class=TD>{c.failed + c.undelivered}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {crate::ui::pager("text campaigns", list.page, list.has_more, |n| format!("/admin/sms/campaigns?page={n}"), crate::ui::PAGES_NEWEST_FIRST, false)}
                    }.into_any(),
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New text campaign"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "One text to every contact with a number texts can go to, or to those with one tag. A number two "
                "contacts share gets it once; numbers that texted STOP do not get it."
            </p>
            <label class="mt-3 block text-sm text-slate-700">
                "Name (for this list)"
                <input name="name" class=SMALL_INPUT maxlength="200" aria-describedby="name-error" prop:value=move || name.get()
                    on:input=move |ev| set_name.set(event_target_value(&ev)) />
            </label>
            <p id="name-error" class="mt-1 text-sm text-red-600" data-testid="error-name">{field_error(error, "name")}</p>
            <label class="mt-3 block text-sm text-slate-700">
                "Only contacts tagged (leave empty for everyone)"
                <input name="tag" class=SMALL_INPUT maxlength="100" aria-describedby="tag-error" prop:value=move || tag.get()
                    on:input=move |ev| set_tag.set(event_target_value(&ev)) />
            </label>
            <p id="tag-error" class="mt-1 text-sm text-red-600" data-testid="error-tag">{field_error(error, "tag")}</p>
            <p class="mt-1 text-sm text-slate-700" data-testid="audience">
                <Transition fallback=|| "Counting…">
                    {move || Suspend::new(async move {
                        match audience.await {
                            Err(e) => e.to_string(),
                            Ok(a) => format!(
                                "Goes to {}. Left out: {} without a number texts can go to, {} opted out.",
                                count(a.recipients, "number"), count(a.unusable, "contact"), a.opted_out
                            ),
                        }
                    })}
                </Transition>
            </p>
            <label class="mt-3 block text-sm text-slate-700">
                "Text"
                <textarea name="body" rows="4" class=SMALL_INPUT aria-describedby="body-error" prop:value=move || body.get()
                    on:input=move |ev| set_body.set(event_target_value(&ev))></textarea>
            </label>
            <p class="mt-1 text-xs text-slate-600">
                {move || format!("{} characters. ", body.get().chars().count())}
                "Unless it says how, \u{201c}" {super::OPT_OUT_LINE} "\u{201d} is added at the end."
            </p>
            <p id="body-error" class="mt-1 text-sm text-red-600" data-testid="error-body">{field_error(error, "body")}</p>
            <p class="mt-1 text-sm text-red-600" role="alert">{other_error}</p>
            <button type="button" class=format!("mt-3 {SMALL_BUTTON}") on:click=send disabled=move || start.pending().get()>
                {move || if start.pending().get() { "Starting…" } else { "Send text campaign" }}
            </button>
        </section>
    }
}

/// `/admin/sms/campaigns/:id`: a campaign's progress and the texts that did not go.
#[component]
pub fn AdminSmsCampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let resume = ServerAction::<ResumeSmsCampaign>::new();
    let campaign = Resource::new(move || (id(), resume.version().get()), |(id, _)| get_sms_campaign(id));
    // Its counts follow the sending and Twilio's delivery reports without a reload.
    crate::live::on_change("/api/events/stream?topics=sms.campaign.*,sms.message.delivery", move || {
        campaign.refetch()
    });
    view! {
        <Title text="Text campaign" />
        <p><a href="/admin/sms/campaigns" class="text-sm text-indigo-700 hover:underline">"← Text campaigns"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaign.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(detail) => {
                        let c = detail.campaign;
                        let audience = if c.tag.is_empty() { "Every contact with a number".to_string() } else { format!("Contacts tagged {}", c.tag) };
                        let resume_id = c.id.clone();
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{c.name.clone()}</h1>
                            <p class="mt-1 text-sm text-slate-700">{format!("{audience}: {}. Started {}.", count(c.recipients, "number"), c.started_at)}</p>
                            <p class="mt-3 whitespace-pre-line rounded border border-slate-200 bg-white p-3 text-sm" data-testid="campaign-text">{super::campaign_text(&c.body)}</p>
                            <p class="mt-3 text-sm font-semibold text-slate-800" data-testid="campaign-counts">
                                {format!("{} sent, {} not sent, of {}.", c.sent, c.failed, c.recipients)}
                            </p>
                            <p class="mt-1 text-sm text-slate-700" data-testid="campaign-delivery">
                                {format!("Twilio reports {} delivered and {} not delivered so far.", c.delivered, c.undelivered)}
                            </p>
                            {c.job_id.clone().map(|job| view! { <JobProgress id=job /> })}
                            {c.can_resume.then(|| view! {
                                <div class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                                    "The server stopped while this campaign was sending. "
                                    <button class=SMALL_BUTTON disabled=move || resume.pending().get()
                                        on:click=move |_| { resume.dispatch(ResumeSmsCampaign { id: resume_id.clone() }); }>
                                        "Send the rest"
                                    </button>
                                </div>
                            })}
                            <p class="mt-1 text-sm text-red-600" role="alert">{move || last_error(resume.value()).get().map(|e| e.to_string())}</p>
                            <section class=CARD>
                                <h2 class="font-semibold text-slate-900">"Not sent or not delivered"</h2>
                                {if detail.failures.is_empty() {
                                    view! { <p class="mt-2 text-sm text-slate-600" data-testid="failures-empty">"Every text so far has gone. Reload to see the latest."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="mt-2 min-w-full divide-y divide-slate-200 text-sm">
                                            <thead><tr><th class=TH>"Contact"</th><th class=TH>"Number"</th><th class=TH>"Why"</th></tr></thead>
                                            <tbody class="divide-y divide-slate-100">
                                                {detail.failures.into_iter().map(|f| view! {
                                                    <tr data-testid="failure-row">
                                                        <td class=TD><a href=format!("/admin/contacts/{}", f.contact_id) class="text-indigo-700 hover:underline">{f.contact_name}</a></td>
                                                        <td class=format!("{TD} font-mono")>{f.phone}</td>
                                                        <td class=TD>{f.error}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
