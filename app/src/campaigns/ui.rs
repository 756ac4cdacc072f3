//! Campaign pages: the admin list and campaign page (edit, moderate, emails over time,
//! supporters, responses), the public campaign page with its preview, and the form for a
//! representative's response.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    CampaignFilter, CampaignStatus, ChangeCampaignStatus, DeleteCampaign, EnterResponse, ModerateResponse,
    Recipient, SaveCampaign, SendCampaignEmail, SubmitResponse, SupporterForm, get_campaign,
    get_public_campaign, list_campaigns, recipients_text, render_email,
};
use crate::home::ui::PublicHeader;
use crate::ui::style::{CARD, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{BUTTON_PRIMARY, Bar, BarChart, Field, FormError, TextArea, TitleStatusFilter, last_error};

fn badge(status: CampaignStatus) -> impl IntoView {
    let colour = match status {
        CampaignStatus::Active => "bg-green-100 text-green-800",
        CampaignStatus::Paused => "bg-amber-100 text-amber-800",
        CampaignStatus::Draft | CampaignStatus::Archived => "bg-slate-100 text-slate-700",
    };
    view! {
        <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {colour}") data-testid="campaign-status">
            {status.label()}
        </span>
    }
}

/// The create/edit form; `campaign` fills it for an edit.
#[component]
fn CampaignFormView(action: ServerAction<SaveCampaign>, campaign: Option<super::Campaign>) -> impl IntoView {
    let changed = RwSignal::new(false);
    let error = last_error(action.value());
    let c = campaign.clone();
    let value = move |f: fn(&super::Campaign) -> String| c.as_ref().map(f).unwrap_or_default();
    let template = value(|c| c.email_template.clone());
    let template = if template.is_empty() {
        "Dear {{representative_name}},\n\n{{personal_message}}\n\nSincerely,\n{{supporter_name}} ({{postal_code}})".to_string()
    } else {
        template
    };
    view! {
        <ActionForm action=action on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
            <input type="hidden" name="id" value=campaign.as_ref().map(|c| c.id.clone()).unwrap_or_default() />
            {campaign.as_ref().map(|c| view! {
                <crate::ui::EditsField opened=c.edits saved=Signal::derive(move || action.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
            })}
            <FormError error=error />
            <Field label="Title" name="form[title]" value=value(|c| c.title.clone()) required=true error=error />
            <Field label="Address (/campaigns/…; left empty, made from the title)" name="form[slug]" value=value(|c| c.slug.clone()) error=error />
            <TextArea label="Summary" name="form[summary]" value=value(|c| c.summary.clone()) rows=2 error=error />
            <TextArea label="Text" name="form[body]" value=value(|c| c.body.clone()) rows=6 error=error />
            <Field label="Call to action" name="form[call_to_action]" value=value(|c| c.call_to_action.clone()) error=error />
            <TextArea label="Recipients, one per line: Name | Role | email, Name <email>, or just an email" name="form[recipients]"
                value=value(|c| recipients_text(&c.recipients)) rows=4 error=error />
            <Field label="Email subject" name="form[email_subject]" value=value(|c| c.email_subject.clone()) required=true error=error />
            <TextArea label="Email template" name="form[email_template]" value=template rows=8 error=error />
            <p class="text-xs text-slate-600">
                "Placeholders: " {crate::template::listed(super::PLACEHOLDERS)}
            </p>
            <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save campaign"</button></div>
            <crate::ui::SavedNote saved=action.value() changed=changed />
        </ActionForm>
    }
}

/// `/admin/campaigns`: the campaigns, newest first, 50 a page, found by title and status; and
/// a form for a new one (saved as a draft).
#[component]
pub fn AdminCampaignsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| CampaignFilter {
            search: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let campaigns = Resource::new(filter, list_campaigns);
    let save = ServerAction::<SaveCampaign>::new();
    // A new campaign is a draft: on to its page, where it is published.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = save.value().get() {
            navigate(&format!("/admin/campaigns/{}", created.id), Default::default());
        }
    });
    let filtered = move || {
        let f = filter();
        !f.search.trim().is_empty() || !f.status.trim().is_empty()
    };
    view! {
        <Title text="Campaigns" />
        <h1 class="text-2xl font-bold text-slate-900">"Campaigns"</h1>
        <TitleStatusFilter
            clear_href="/admin/campaigns"
            statuses=CampaignStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
            search=Signal::derive(move || filter().search)
            status=Signal::derive(move || filter().status)
        />
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() && filtered() => view! {
                        <p class="mt-6 text-slate-600">"No campaigns match."</p>
                    }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600">"No campaigns yet. Write the first one below."</p>
                    }.into_any(),
                    Ok(page) => {
                        let current = filter();
                        let link = move |n: i64| {
                            format!(
                                "/admin/campaigns?q={}&status={}&page={n}",
                                crate::ui::urlencode(&current.search),
                                crate::ui::urlencode(&current.status)
                            )
                        };
                        view! {
                            <p class="mt-4 text-sm text-slate-700" data-testid="campaigns-count">{crate::ui::count(page.count, "campaign")}</p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Campaign"</th><th class=TH>"Status"</th>
                                        <th class=TH>"Emails sent"</th><th class=format!("{TH} {WIDE_ONLY}")>"Created"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|c| view! {
                                            <tr data-testid="campaign-row">
                                                <td class=TD><a href=format!("/admin/campaigns/{}", c.id) class="font-medium text-indigo-700 hover:underline">{c.title}</a></td>
                                                <td class=TD>{badge(c.status)}</td>
                                                <td class=TD>{c.emails_sent}</td>
                                                <td class=format!("{TD} {WIDE_ONLY}")>{c.created}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("campaigns", page.page, page.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New campaign"</h2>
            <CampaignFormView action=save campaign=None />
        </section>
    }
}

/// `/admin/campaigns/:id`: moderation, emails over time (live), supporters, responses,
/// history, the edit form and deletion.
#[component]
pub fn AdminCampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let page = move || query.with(crate::ui::page_param);
    let detail = Resource::new(move || (id(), page()), |(id, page)| get_campaign(id, page));
    // New emails and responses show without a reload.
    crate::live::on_change("/api/events/stream?topics=campaign.*,response.*", move || detail.refetch());
    let save = ServerAction::<SaveCampaign>::new();
    let status = ServerAction::<ChangeCampaignStatus>::new();
    let moderate = ServerAction::<ModerateResponse>::new();
    let enter = ServerAction::<EnterResponse>::new();
    let delete = ServerAction::<DeleteCampaign>::new();
    let status_error = last_error(status.value());
    let enter_error = last_error(enter.value());
    let moderate_error = last_error(moderate.value());
    let enter_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(enter.value(), enter_form);
    Effect::new(move |_| {
        let versions =
            [save.version().get(), status.version().get(), moderate.version().get(), enter.version().get()];
        if versions.iter().any(|v| *v > 0) {
            detail.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/campaigns");
    let (reason, set_reason) = signal(String::new());
    view! {
        <Title text="Campaign" />
        <p><a href="/admin/campaigns" class="text-sm text-indigo-700 hover:underline">"← Campaigns"</a></p>
        // The live parts are drawn again on every change; the forms (the status's reason, a
        // response entered by hand, the edit) are drawn once, so that what an organiser is
        // typing stays and the edit keeps the `edits` it was opened with.
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(d) => {
                        let c = d.campaign;
                        view! {
                            <div class="mt-2 flex flex-wrap items-center gap-3">
                                <h1 class="text-2xl font-bold text-slate-900">{c.title.clone()}</h1>
                                {badge(c.status)}
                                {(c.status == CampaignStatus::Active).then(|| view! {
                                    <a href=format!("/campaigns/{}", c.slug) class="text-sm text-indigo-700 hover:underline">"Public page"</a>
                                })}
                            </div>
                            <p class="mt-1 text-slate-700" data-testid="emails-sent">
                                {format!("{} sent", crate::ui::count(c.emails_sent, "email"))}
                            </p>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                crate::live::loaded_once(detail).await.ok()?;
                let current = move || detail.get().and_then(Result::ok);
                let buttons = move || current().map(|d| {
                    let c = d.campaign;
                    CampaignStatus::ALL.into_iter().filter(|to| c.status.can_move_to(*to)).map(|to| {
                        let id = c.id.clone();
                        let label = match (c.status, to) {
                            (CampaignStatus::Draft, CampaignStatus::Active) => "Publish",
                            (CampaignStatus::Paused, CampaignStatus::Active) => "Resume",
                            (_, CampaignStatus::Paused) => "Pause",
                            _ => "Archive",
                        };
                        view! {
                            <button type="button" class=SMALL_BUTTON disabled=move || status.pending().get()
                                on:click=move |_| {
                                    let sure = to != CampaignStatus::Archived || window()
                                        .confirm_with_message("Archive this campaign? It cannot be published again.")
                                        .unwrap_or(false);
                                    if sure {
                                        status.dispatch(ChangeCampaignStatus { id: id.clone(), status: to.as_str().into(), reason: reason.get_untracked() });
                                    }
                                }>{label}</button>
                        }
                    }).collect_view()
                });
                let history = move || current().map(|d| d.history.into_iter().map(|h| view! {
                    <li data-testid="status-change">
                        {format!("{} · {} → {} by {}", h.at, h.from_status, h.to_status, h.actor_name)}
                        {(!h.reason.is_empty()).then(|| format!(" — {}", h.reason))}
                    </li>
                }).collect_view());
                Some(view! {
                    <section class=CARD aria-label="Moderation">
                        <h2 class="font-semibold text-slate-900">"Status"</h2>
                        <div class="mt-2 flex flex-wrap items-end gap-3">
                            <label class="text-sm text-slate-700">"Why (kept in the history)"
                                <input class=SMALL_INPUT maxlength="500" on:input=move |ev| set_reason.set(event_target_value(&ev)) />
                            </label>
                            {buttons}
                        </div>
                        <p class="mt-1 text-sm text-red-600" role="alert">{move || status_error.get().map(|e| e.to_string())}</p>
                        <ul class="mt-3 space-y-1 text-sm text-slate-600">{history}</ul>
                    </section>
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| {
                    let c = d.campaign;
                    let bars = d.emails_per_day.iter().map(|(day, n)| Bar {
                        value: *n,
                        label: format!("{day}: {}", crate::ui::count(*n, "email")),
                    }).collect::<Vec<_>>();
                    let first_day = d.emails_per_day.first().map(|d| d.0.clone()).unwrap_or_default();
                    let last_day = d.emails_per_day.last().map(|d| d.0.clone()).unwrap_or_default();
                    let pager_id = c.id.clone();
                    view! {
                            <section class=CARD aria-label="Emails sent over time">
                                <h2 class="font-semibold text-slate-900">"Emails sent, last 30 days"</h2>
                                <BarChart bars=bars first=first_day last=last_day />
                            </section>
                            <section class=CARD>
                                <div class="flex flex-wrap items-baseline justify-between gap-2">
                                    <h2 class="font-semibold text-slate-900">"Recent supporters"</h2>
                                    {(!d.supporters.is_empty()).then(|| view! {
                                        <a href=format!("/api/campaigns/{}/supporters.csv", c.id) rel="external" download="" class=crate::ui::TEXT_LINK>"Download all supporters (CSV)"</a>
                                    })}
                                </div>
                                {if d.supporters.is_empty() {
                                    view! { <p class="mt-2 text-sm text-slate-600">"No one has sent the email yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-2 space-y-1 text-sm">
                                            {d.supporters.into_iter().map(|s| view! {
                                                <li data-testid="supporter">
                                                    <span class="text-slate-600">{s.at}</span> " "
                                                    {match s.contact_id {
                                                        Some(contact) => view! { <a href=format!("/admin/contacts/{contact}") class=crate::ui::TEXT_LINK>{s.name}</a> }.into_any(),
                                                        None => s.name.into_any(),
                                                    }}
                                                    {format!(" · {}", s.email)}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>

                            <section class=CARD>
                                <h2 class="font-semibold text-slate-900">"Responses"</h2>
                                {(d.pending_responses > 0).then(|| view! {
                                    <p class="mt-1 text-sm text-slate-700" data-testid="pending-responses">
                                        {format!("{} awaiting moderation, shown first.", crate::ui::count(d.pending_responses, "response"))}
                                    </p>
                                })}
                                <FormError error=moderate_error />
                                {responses_empty(&d.responses)}
                                <ul class="mt-2 space-y-3 text-sm">
                                    {d.responses.rows.into_iter().map(|r| {
                                        let (approve_id, reject_id) = (r.id.clone(), r.id.clone());
                                        let pending = r.status == "PENDING";
                                        view! {
                                            <li data-testid="response">
                                                <p class="font-medium text-slate-900">{r.representative_name} <span class="text-xs text-slate-600">{format!(" {} · {}", r.submitted, r.status.to_lowercase())}</span></p>
                                                <p class="whitespace-pre-line text-slate-700">{r.body}</p>
                                                {pending.then(|| view! {
                                                    <div class="mt-1 flex gap-3">
                                                        <button class="text-sm text-green-700 hover:underline" on:click=move |_| { moderate.dispatch(ModerateResponse { response_id: approve_id.clone(), approve: true }); }>"Approve"</button>
                                                        <button class="text-sm text-red-700 hover:underline" on:click=move |_| { moderate.dispatch(ModerateResponse { response_id: reject_id.clone(), approve: false }); }>"Reject"</button>
                                                    </div>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {crate::ui::pager("responses", d.responses.page, d.responses.has_more, move |n| format!("/admin/campaigns/{pager_id}?page={n}"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                            </section>
                    }
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let c = crate::live::loaded_once(detail).await.ok()?.campaign;
                let (enter_id, delete_id, title) = (c.id.clone(), c.id.clone(), c.title.clone());
                let confirm_delete = move |_| {
                    let question = format!("Delete the campaign \"{title}\" with its history, emails record and responses? This cannot be undone.");
                    if window().confirm_with_message(&question).unwrap_or(false) {
                        delete.dispatch(DeleteCampaign { id: delete_id.clone() });
                    }
                };
                Some(view! {
                    <section class=CARD>
                        <details>
                            <summary class="cursor-pointer text-sm text-indigo-700">"Enter a response received elsewhere"</summary>
                            <ActionForm action=enter node_ref=enter_form attr:class="mt-2 grid max-w-xl gap-2" attr:novalidate=true>
                                <input type="hidden" name="id" value=enter_id />
                                <FormError error=enter_error />
                                <Field label="Representative" name="form[representative_name]" required=true error=enter_error />
                                <Field label="Their email" name="form[representative_email]" kind="email" required=true error=enter_error />
                                <TextArea label="Response" name="form[body]" id="response-body" error=enter_error />
                                <div><button type="submit" class=SMALL_BUTTON>"Add for moderation"</button></div>
                            </ActionForm>
                        </details>
                    </section>
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Edit"</h2>
                        <CampaignFormView action=save campaign=Some(c) />
                    </section>
                    <p class="mt-6"><button class="text-sm text-red-700 hover:underline" on:click=confirm_delete>"Delete campaign"</button></p>
                })
            })}
        </Transition>
    }
}

/// What a page of responses says when it has none: none yet, or none this far on.
fn responses_empty(responses: &super::ResponsePage) -> Option<impl IntoView + use<>> {
    let empty = if responses.page > 1 { "No more responses on this page." } else { "No responses yet." };
    responses.rows.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-600">{empty}</p> })
}

/// `/campaigns/:slug`: the campaign, the supporter's form with a preview of the exact email
/// each representative gets, and the approved responses.
#[component]
pub fn PublicCampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let page = move || query.with(crate::ui::page_param);
    let campaign = Resource::new(move || (slug(), page()), |(slug, page)| get_public_campaign(slug, page));
    let send = ServerAction::<SendCampaignEmail>::new();
    // How many it went to, when the browser sent the form itself (`?sent=N`, see
    // `request::after_plain_form_post`); else the answer to the page's own call.
    let sent_by_browser =
        use_query_map().with_untracked(|q| q.get("sent").and_then(|n| n.parse::<i64>().ok()));
    let sent = move || match send.value().get() {
        Some(Ok(n)) => Some(n),
        _ => sent_by_browser,
    };
    let error = last_error(send.value());
    let typed = RwSignal::new(SupporterForm::default());
    let previewing = RwSignal::new(false);
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-2xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match campaign.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(page) => {
                            let c = page.campaign;
                            let (title, template, subject) = (c.title.clone(), c.email_template.clone(), c.email_subject.clone());
                            let recipients = c.recipients.clone();
                            let (form_slug, pager_slug, call_to_action) = (c.slug.clone(), c.slug.clone(), c.call_to_action.clone());
                            let preview = move || {
                                let supporter = typed.get();
                                recipients.iter().map(|to: &Recipient| {
                                    let heading = format!("To {} — {}", if to.name.is_empty() { &to.email } else { &to.name }, render_email(&subject, &title, &supporter, to));
                                    view! {
                                        <article class="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="preview">
                                            <p class="font-semibold text-slate-900">{heading}</p>
                                            <p class="mt-2 whitespace-pre-line text-slate-700">{render_email(&template, &title, &supporter, to)}</p>
                                        </article>
                                    }
                                }).collect_view()
                            };
                            let field = move |set: fn(&mut SupporterForm, String)| {
                                move |ev: leptos::ev::Event| typed.update(|f| set(f, event_target_value(&ev)))
                            };
                            // What a shared link shows: the summary, else the start of the text.
                            let description = if c.summary.trim().is_empty() {
                                c.body.chars().take(200).collect()
                            } else {
                                c.summary.clone()
                            };
                            view! {
                                <crate::ui::SharedPageHead title=c.title.clone() description />
                                <h1 class="text-3xl font-bold text-slate-900">{c.title.clone()}</h1>
                                <p class="mt-2 text-lg text-slate-700">{c.summary.clone()}</p>
                                <div class="mt-4 whitespace-pre-line text-slate-700"><crate::ui::LinkedText text=c.body.clone() /></div>
                                <Show
                                    when=move || sent().is_some()
                                    fallback=move || {
                                        let (preview, slug, call_to_action) = (preview.clone(), form_slug.clone(), call_to_action.clone());
                                        view! {
                                        <section class="mt-8 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
                                            <h2 class="text-xl font-semibold text-slate-900">{call_to_action}</h2>
                                            <ActionForm action=send attr:class="mt-4 space-y-4" attr:novalidate=true>
                                                <input type="hidden" name="slug" value=slug />
                                                <FormError error=error />
                                                <div on:input=field(|f, v| f.name = v)><Field label="Your name" name="form[name]" autocomplete="name" required=true error=error /></div>
                                                <div on:input=field(|f, v| f.email = v)><Field label="Your email" name="form[email]" kind="email" autocomplete="email" required=true error=error /></div>
                                                <div on:input=field(|f, v| f.postal_code = v)><Field label="Postal code" name="form[postal_code]" autocomplete="postal-code" required=true error=error /></div>
                                                <div on:input=field(|f, v| f.message = v)><TextArea label="Your message (optional)" name="form[message]" error=error /></div>
                                                <div class="flex gap-3">
                                                    <button type="button" class="whitespace-nowrap rounded-md border border-slate-300 px-4 py-2 text-sm font-semibold text-slate-700"
                                                        on:click=move |_| previewing.update(|p| *p = !*p)>
                                                        {move || if previewing.get() { "Hide preview" } else { "Preview the email" }}
                                                    </button>
                                                    <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get()>"Send the email"</button>
                                                </div>
                                            </ActionForm>
                                            <Show when=move || previewing.get()>{preview.clone()}</Show>
                                        </section>
                                    }}
                                >
                                    <p class="mt-8 rounded-md bg-green-50 p-4 text-green-800" role="status" data-testid="sent">
                                        {move || sent().map(|n| format!("Sent to {}. Thank you for speaking up!", crate::ui::count(n, "representative")))}
                                    </p>
                                </Show>
                                <section class="mt-10">
                                    <h2 class="text-xl font-semibold text-slate-900">"Responses"</h2>
                                    {responses_empty(&page.responses)}
                                    {page.responses.rows.into_iter().map(|r| view! {
                                        <article class="mt-3 rounded-md bg-slate-50 p-3" data-testid="public-response">
                                            <p class="font-semibold text-slate-900">{r.representative_name}</p>
                                            <p class="whitespace-pre-line text-slate-700">{r.body}</p>
                                        </article>
                                    }).collect_view()}
                                    {crate::ui::pager("responses", page.responses.page, page.responses.has_more, move |n| format!("/campaigns/{pager_slug}?page={n}"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                                    <p class="mt-4 text-sm"><a href=format!("/campaigns/{}/respond", c.slug) class="text-indigo-700 hover:underline">"Are you a representative? Respond here."</a></p>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// `/campaigns/:slug/respond`: a representative's reply, shown once an organiser approves it.
#[component]
pub fn RespondPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let submit = ServerAction::<SubmitResponse>::new();
    let error = last_error(submit.value());
    // `?sent=1`: the browser sent the form itself (see `request::after_plain_form_post`).
    let sent_by_browser = use_query_map().with_untracked(|q| q.get("sent").is_some());
    view! {
        <Title text="Respond to a campaign" />
        <PublicHeader />
        <main id="main" class="mx-auto max-w-xl px-4 py-10">
            <h1 class="text-2xl font-bold text-slate-900">"Respond to this campaign"</h1>
            <Show
                when=move || sent_by_browser || matches!(submit.value().get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=submit attr:class="mt-4 space-y-4" attr:novalidate=true>
                        <input type="hidden" name="slug" value=slug />
                        <FormError error=error />
                        <Field label="Your name and title" name="form[representative_name]" required=true error=error />
                        <Field label="Your email" name="form[representative_email]" kind="email" required=true error=error />
                        <TextArea label="Your response" name="form[body]" rows=8 error=error />
                        <button type="submit" class=BUTTON_PRIMARY disabled=move || submit.pending().get()>"Send the response"</button>
                    </ActionForm>
                }
            >
                <p class="mt-4 rounded-md bg-green-50 p-4 text-green-800" role="status" data-testid="response-sent">
                    "Thank you. Your response will appear on the campaign page once an organiser has reviewed it."
                </p>
            </Show>
        </main>
    }
}
