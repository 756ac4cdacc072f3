//! Meeting pages: the list (coming or past, found by title) with a form for a new meeting, a
//! meeting's page to invite people (and see who is coming), write and email its minutes, edit
//! it or delete it, and the public page where someone invited answers whether they will come
//! (and reads the minutes).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    Attendee, DeleteMeeting, InviteTaggedToMeeting, InviteToMeeting, Invited, MINUTES_MAX_CHARS, Meeting,
    MeetingFilter, Reply, ReplyToMeeting, SaveMeeting, SaveMeetingMinutes, SendMeetingMinutes, TAG_INVITERS,
    UninviteFromMeeting, get_meeting, get_meeting_invitation, list_meetings, meeting_attendees,
};
use crate::error::AppError;
use crate::ui::style::{CARD, SMALL_BUTTON, TD, TH};
use crate::ui::{Field, FormError, OvernightBox, TextArea, last_error};

/// The create/edit form; `meeting` fills it for an edit.
#[component]
fn MeetingFormView(action: ServerAction<SaveMeeting>, meeting: Option<Meeting>) -> impl IntoView {
    let changed = RwSignal::new(false);
    let error = last_error(action.value());
    let m = meeting.clone();
    let value = move |f: fn(&Meeting) -> String| m.as_ref().map(f).unwrap_or_default();
    view! {
        <ActionForm action=action on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
            <input type="hidden" name="id" value=meeting.as_ref().map(|m| m.id.clone()).unwrap_or_default() />
            {meeting.as_ref().map(|m| view! {
                <crate::ui::EditsField opened=m.edits saved=Signal::derive(move || action.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
            })}
            <FormError error=error />
            <Field label="Title" name="form[title]" value=value(|m| m.title.clone()) required=true error=error />
            <Field label="Where (a room, an address or the call's link)" name="form[location]" value=value(|m| m.location.clone()) required=true error=error />
            <div class="grid gap-3 sm:grid-cols-3">
                <Field label="Date" name="form[date]" kind="date" value=value(|m| m.date.clone()) required=true error=error />
                <Field label="Starts" name="form[start_time]" kind="time" value=value(|m| m.start_time.clone()) required=true error=error />
                <Field label="Ends" name="form[end_time]" kind="time" value=value(|m| m.end_time.clone()) required=true error=error />
            </div>
            <OvernightBox checked=meeting.as_ref().is_some_and(|m| m.ends_next_day) />
            <TextArea label="Agenda" name="form[agenda]" value=value(|m| m.agenda.clone()) rows=4 error=error />
            <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save meeting"</button></div>
            <crate::ui::SavedNote saved=action.value() changed=changed />
        </ActionForm>
    }
}

/// `/admin/meetings`: coming meetings soonest first (or past ones, latest first), 50 a page,
/// found by title; and a form for a new one.
#[component]
pub fn AdminMeetingsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| MeetingFilter {
            search: q.get("q").unwrap_or_default(),
            past: q.get("past").is_some_and(|p| p == "1"),
            page: crate::ui::page_param(q),
        })
    };
    let meetings = Resource::new(filter, list_meetings);
    crate::live::on_change(
        "/api/events/stream?topics=meeting.created,meeting.updated,meeting.deleted",
        move || meetings.refetch(),
    );
    let save = ServerAction::<SaveMeeting>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = save.value().get() {
            navigate(&format!("/admin/meetings/{}", created.id), Default::default());
        }
    });
    let tab = move |past: bool, label: &'static str| {
        let class = move || {
            if filter().past == past {
                "rounded-md bg-indigo-100 px-3 py-1 font-semibold text-indigo-800"
            } else {
                "rounded-md px-3 py-1 text-indigo-700 hover:underline"
            }
        };
        view! { <a href=if past { "/admin/meetings?past=1" } else { "/admin/meetings" } class=class>{label}</a> }
    };
    view! {
        <Title text="Meetings" />
        <div class="flex flex-wrap items-center gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Meetings"</h1>
            <nav class="flex gap-2 text-sm" aria-label="Which meetings">{tab(false, "Coming")}{tab(true, "Past")}</nav>
            <a href="/admin/calendar" class="text-sm text-indigo-700 hover:underline">"Calendar"</a>
        </div>
        <form method="get" class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            <input type="hidden" name="past" value=move || if filter().past { "1" } else { "" } />
            <label class="text-sm text-slate-700">
                "Title contains"
                <input name="q" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" value=move || filter().search />
            </label>
            <button type="submit" class=SMALL_BUTTON>"Find"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = filter();
                match meetings.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => {
                        let empty = if !current.search.trim().is_empty() {
                            "No meetings match."
                        } else if current.past {
                            "No past meetings."
                        } else {
                            "No meetings coming up. Plan one below."
                        };
                        view! { <p class="mt-6 text-slate-600" data-testid="meetings-empty">{empty}</p> }.into_any()
                    }
                    Ok(page) => {
                        let link = move |n: i64| {
                            format!(
                                "/admin/meetings?q={}&past={}&page={n}",
                                crate::ui::urlencode(&current.search),
                                if current.past { "1" } else { "" }
                            )
                        };
                        let pages = if current.past { crate::ui::PAGES_NEWEST_FIRST } else { crate::ui::PAGES_SOONEST_FIRST };
                        view! {
                            <p class="mt-4 text-sm text-slate-700" data-testid="meetings-count">{crate::ui::count(page.count, "meeting")}</p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Meeting"</th><th class=TH>"When"</th><th class=TH>"Where"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|m| view! {
                                            <tr data-testid="meeting-row">
                                                <td class=TD>
                                                    <a href=format!("/admin/meetings/{}", m.id) class="font-medium text-indigo-700 hover:underline">{m.title.clone()}</a>
                                                    {m.minutes_state().map(|state| view! { <div class="text-xs text-slate-600" data-testid="meeting-minutes">{state}</div> })}
                                                </td>
                                                <td class=TD>{m.when}</td>
                                                <td class=TD>{m.location}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("meetings", page.page, page.has_more, link, pages, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New meeting"</h2>
            <MeetingFormView action=save meeting=None />
        </section>
    }
}

/// "2 coming · 1 not coming · 3 not answered yet", leaving out a count of none.
fn reply_counts(people: &[Attendee]) -> String {
    let count = |reply: Option<Reply>| people.iter().filter(|p| p.reply == reply).count();
    [(Some(Reply::Yes), "coming"), (Some(Reply::No), "not coming"), (None, "not answered yet")]
        .into_iter()
        .map(|(reply, label)| (count(reply), label))
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn reply_badge(reply: Option<Reply>) -> impl IntoView {
    let (label, colour) = match reply {
        Some(Reply::Yes) => (Reply::Yes.label(), "bg-green-100 text-green-800"),
        Some(Reply::No) => (Reply::No.label(), "bg-red-100 text-red-800"),
        None => ("No answer yet", "bg-slate-100 text-slate-700"),
    };
    view! { <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {colour}") data-testid="attendee-reply">{label}</span> }
}

/// "Invited 2 people; 1 person invited already.", once an invitation went through.
fn invited_message(done: Option<Result<Invited, AppError>>) -> Option<String> {
    let done = done?.ok()?;
    let people = |n: usize| if n == 1 { "1 person".to_string() } else { format!("{n} people") };
    let already =
        if done.already > 0 { format!("; {} invited already", people(done.already)) } else { String::new() };
    Some(format!("Invited {}{already}.", people(done.invited)))
}

/// Who is invited to the meeting on the page, and the actions that change it. Made with the
/// page, not in the `Invitations` drawn once the meeting has loaded: the server draws that part
/// several times, and a resource made there would be numbered differently from the browser's.
#[derive(Clone, Copy)]
struct Invites {
    invite: ServerAction<InviteToMeeting>,
    invite_tag: ServerAction<InviteTaggedToMeeting>,
    uninvite: ServerAction<UninviteFromMeeting>,
    attendees: Resource<Result<Vec<Attendee>, AppError>>,
}

impl Invites {
    fn new(id: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let invite = ServerAction::<InviteToMeeting>::new();
        let invite_tag = ServerAction::<InviteTaggedToMeeting>::new();
        let uninvite = ServerAction::<UninviteFromMeeting>::new();
        let attendees = Resource::new(
            move || {
                let changes = invite.version().get() + invite_tag.version().get() + uninvite.version().get();
                (id(), changes)
            },
            |(id, _)| meeting_attendees(id),
        );
        // Answers come from the people invited, so the list follows them live.
        crate::live::on_change("/api/events/stream?topics=meeting.attendee.*", move || attendees.refetch());
        Invites { invite, invite_tag, uninvite, attendees }
    }
}

/// Who is invited to meeting `id` and whether they are coming, each with Remove (after a
/// confirmation), and a form inviting more while it is not `over`.
#[component]
fn Invitations(id: String, over: bool, invites: Invites) -> impl IntoView {
    let Invites { invite, invite_tag, uninvite, attendees } = invites;
    let error = last_error(invite.value());
    let tag_error = last_error(invite_tag.value());
    let outcome = move || invited_message(invite.value().get());
    let tag_outcome = move || invited_message(invite_tag.value().get());
    let (uninvite_id, tag_form_id) = (id.clone(), id.clone());
    // Inviting by tag reads contacts' addresses: offered only to those who may.
    let may_invite_tagged = crate::admin::ui::signed_in_as(TAG_INVITERS);
    view! {
        <section class=CARD aria-label="Invited">
            <h2 class="font-semibold text-slate-900">"Invited"</h2>
            <p class="mt-1 text-sm text-slate-600">"Each person gets an email with the meeting's calendar file and a link to say whether they will come, and is emailed again when it changes or is cancelled. A new time asks everyone again."</p>
            <FormError error=last_error(uninvite.value()) />
            <Transition fallback=|| view! { <p class="mt-2 text-sm text-slate-600">"Loading…"</p> }>
                {move || {
                    let uninvite_id = uninvite_id.clone();
                    Suspend::new(async move {
                        match attendees.await {
                            Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                            Ok(people) if people.is_empty() => view! {
                                <p class="mt-2 text-sm text-slate-600" data-testid="attendees-empty">"Nobody is invited yet."</p>
                            }.into_any(),
                            Ok(people) => view! {
                                <p class="mt-2 text-sm font-medium text-slate-800" data-testid="reply-counts">{reply_counts(&people)}</p>
                                <ul class="mt-2 divide-y divide-slate-100 text-sm">
                                    {people.into_iter().map(|person| {
                                        let (meeting_id, email) = (uninvite_id.clone(), person.email.clone());
                                        let confirm_remove = move |_| {
                                            let question = format!("Take {email} off the invitations? They are emailed that they are no longer expected.");
                                            if window().confirm_with_message(&question).unwrap_or(false) {
                                                uninvite.dispatch(UninviteFromMeeting { id: meeting_id.clone(), email: email.clone() });
                                            }
                                        };
                                        view! {
                                            <li class="flex items-center justify-between gap-3 py-2" data-testid="attendee">
                                                <span class="flex flex-wrap items-center gap-2">
                                                    {person.email.clone()}
                                                    {reply_badge(person.reply)}
                                                    <span class="text-slate-500">{format!("invited {}", person.invited_on)}</span>
                                                </span>
                                                <button type="button" class="text-sm text-red-700 hover:underline" on:click=confirm_remove>"Remove"</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
            {if over {
                view! { <p class="mt-3 text-sm text-slate-600">"This meeting is over: nobody more can be invited."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=invite attr:class="mt-3 grid gap-3" attr:novalidate=true>
                        <input type="hidden" name="id" value=id.clone() />
                        <TextArea label="Invite people (email addresses, separated by commas or new lines; pasted from a mail client is fine)" name="emails" rows=2 error=error />
                        <div><button type="submit" class=SMALL_BUTTON disabled=move || invite.pending().get()>"Send invitations"</button></div>
                        <p class="text-sm text-green-700" role="status" data-testid="invite-result">{outcome}</p>
                    </ActionForm>
                    {may_invite_tagged.then(|| view! {
                        <ActionForm action=invite_tag attr:class="mt-3 grid gap-3" attr:novalidate=true>
                            <input type="hidden" name="id" value=tag_form_id />
                            <Field label="Or invite everyone with the contact tag" name="tag" required=true error=tag_error />
                            <div><button type="submit" class=SMALL_BUTTON disabled=move || invite_tag.pending().get()>"Invite tagged contacts"</button></div>
                            <p class="text-sm text-green-700" role="status" data-testid="invite-tag-result">{tag_outcome}</p>
                        </ActionForm>
                    })}
                }.into_any()
            }}
        </section>
    }
}

/// `/admin/meetings/:id`: the meeting, who is invited, its edit form, and Delete (after a
/// confirmation).
/// The minutes: written and saved (refused over another organiser's newer save), then emailed
/// to everyone invited after a confirmation. `sent` says when they last were.
#[component]
fn Minutes(
    meeting: Meeting,
    #[prop(into)] sent: Signal<Option<String>>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let save = ServerAction::<SaveMeetingMinutes>::new();
    let send = ServerAction::<SendMeetingMinutes>::new();
    let (save_error, send_error) = (last_error(save.value()), last_error(send.value()));
    let changed = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            on_changed.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            on_changed.run(());
        }
    });
    let id = meeting.id.clone();
    let confirm_send = move |_| {
        let question = "Email the saved minutes to everyone invited? Changes not yet saved are not sent.";
        if window().confirm_with_message(question).unwrap_or(false) {
            send.dispatch(SendMeetingMinutes { id: id.clone() });
        }
    };
    let saved_edits =
        Signal::derive(move || save.value().get().and_then(Result::ok).map(|m| m.minutes_edits));
    view! {
        <section class=CARD data-testid="minutes">
            <h2 class="font-semibold text-slate-900">"Minutes"</h2>
            <p class="mt-1 text-sm text-slate-600">"What was said and decided, for everyone invited: those who could not come too."</p>
            <ActionForm action=save attr:class="mt-2 flex flex-col gap-2" on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false)>
                <input type="hidden" name="id" value=meeting.id.clone() />
                <crate::ui::EditsField opened=meeting.minutes_edits saved=saved_edits name="edits" />
                <TextArea label="Minutes" name="minutes" rows=8 maxlength=MINUTES_MAX_CHARS as u32 value=meeting.minutes error=save_error />
                <FormError error=save_error />
                <div><button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Save minutes"</button></div>
            </ActionForm>
            <crate::ui::SavedNote saved=save.value() changed testid="minutes-saved" />
            <div class="mt-4 border-t border-slate-200 pt-3">
                <button type="button" class=SMALL_BUTTON on:click=confirm_send disabled=move || send.pending().get()>"Email the minutes to everyone invited"</button>
                <FormError error=send_error />
                <p class="mt-1 text-sm text-slate-700" role="status" data-testid="minutes-sent">
                    {move || sent.get().map(|sent| format!("Last emailed to {sent}."))}
                </p>
            </div>
        </section>
    }
}

#[component]
pub fn AdminMeetingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let meeting = Resource::new(id, get_meeting);
    let invites = Invites::new(id);
    let save = ServerAction::<SaveMeeting>::new();
    let delete = ServerAction::<DeleteMeeting>::new();
    let delete_error = last_error(delete.value());
    Effect::new(move |_| {
        if save.version().get() > 0 {
            meeting.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/meetings");
    view! {
        <Title text="Meeting" />
        <p><a href="/admin/meetings" class="text-sm text-indigo-700 hover:underline">"← Meetings"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match meeting.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(m) => {
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{m.title.clone()}</h1>
                            <p class="mt-1 text-slate-700" data-testid="meeting-when">{format!("{} · {}", m.when, m.location)}</p>
                            {m.over.then(|| view! { <p class="mt-1 text-sm text-slate-600">"This meeting is over."</p> })}
                            {(!m.agenda.is_empty()).then(|| view! {
                                <section class=CARD aria-label="Agenda">
                                    <h2 class="font-semibold text-slate-900">"Agenda"</h2>
                                    <p class="mt-2 whitespace-pre-line text-sm text-slate-700"><crate::ui::LinkedText text=m.agenda.clone() /></p>
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        // Drawn once, so that what is being typed (people to invite, an edit) stays when the
        // meeting is saved.
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let m = crate::live::loaded_once(meeting).await.ok()?;
                let delete_id = m.id.clone();
                let confirm_delete = move |_| {
                    let title = meeting.get_untracked().and_then(Result::ok).map(|m| m.title).unwrap_or_default();
                    let question = format!("Delete the meeting \"{title}\"? Everyone invited is emailed that it is cancelled. This cannot be undone.");
                    if window().confirm_with_message(&question).unwrap_or(false) {
                        delete.dispatch(DeleteMeeting { id: delete_id.clone() });
                    }
                };
                let sent = Signal::derive(move || meeting.get().and_then(Result::ok).and_then(|m| m.minutes_sent));
                Some(view! {
                    <Invitations id=m.id.clone() over=m.over invites />
                    <Minutes meeting=m.clone() sent on_changed=Callback::new(move |_| meeting.refetch()) />
                    <FormError error=delete_error />
                    <div class="mt-3">
                        <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_delete>"Delete meeting"</button>
                    </div>
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Edit"</h2>
                        <MeetingFormView action=save meeting=Some(m) />
                    </section>
                })
            })}
        </Transition>
    }
}

/// `/meetings/reply?token=…`, opened from an invitation email: the meeting, and "I'll come" /
/// "I can't come" (each a plain form, so it works before the page's code has loaded).
#[component]
pub fn MeetingReplyPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let answer = ServerAction::<ReplyToMeeting>::new();
    let invitation = Resource::new(
        {
            let token = token.clone();
            move || (token.clone(), answer.version().get())
        },
        |(token, _)| get_meeting_invitation(token),
    );
    let error = last_error(answer.value());
    view! {
        <crate::auth::ui::AuthCard title="Your invitation">
            <Transition fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match invitation.await {
                            Err(crate::error::AppError::NotFound(_)) => {
                                #[cfg(feature = "ssr")]
                                crate::request::set_status(404);
                                view! {
                                    <p class="text-slate-700" data-testid="reply-invalid">
                                        "This link is not valid: the invitation was withdrawn or the meeting deleted. Use the link in the latest email about it, whole."
                                    </p>
                                }.into_any()
                            }
                            Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                            Ok(i) => {
                                let said = match i.reply {
                                    Some(Reply::Yes) => Some("You said you will come."),
                                    Some(Reply::No) => Some("You said you can't come."),
                                    None => None,
                                };
                                let current = i.reply;
                                let choice = move |reply: Reply, label: &'static str| {
                                    let token = token.clone();
                                    view! {
                                        <ActionForm action=answer>
                                            <input type="hidden" name="token" value=token />
                                            <input type="hidden" name="reply" value=reply.as_str() />
                                            <button type="submit" class=SMALL_BUTTON aria-pressed=(current == Some(reply)).to_string() disabled=move || answer.pending().get()>{label}</button>
                                        </ActionForm>
                                    }
                                };
                                view! {
                                    <h2 class="text-lg font-semibold text-slate-900" data-testid="invitation-title">{i.title.clone()}</h2>
                                    <p class="mt-1 text-slate-700">{i.when.clone()}</p>
                                    <p class="text-slate-700">{i.location.clone()}</p>
                                    {(!i.agenda.is_empty()).then(|| view! {
                                        <p class="mt-3 whitespace-pre-line text-sm text-slate-700"><crate::ui::LinkedText text=i.agenda.clone() /></p>
                                    })}
                                    {(!i.minutes.is_empty()).then(|| view! {
                                        <section class="mt-4 border-t border-slate-200 pt-3" aria-label="Minutes" data-testid="invitation-minutes">
                                            <h3 class="font-semibold text-slate-900">"Minutes"</h3>
                                            <p class="mt-1 whitespace-pre-line text-sm text-slate-700"><crate::ui::LinkedText text=i.minutes.clone() /></p>
                                        </section>
                                    })}
                                    <p class="mt-3 text-sm text-slate-600">{format!("{} invited {}.", i.organisation, i.email_hint)}</p>
                                    {said.map(|said| view! {
                                        <p class="mt-4 rounded-md bg-green-50 p-3 text-sm text-green-800" role="status" data-testid="reply-said">{said}</p>
                                    })}
                                    <FormError error=error />
                                    {if i.over {
                                        view! { <p class="mt-4 text-slate-700" data-testid="reply-over">"This meeting is over."</p> }.into_any()
                                    } else {
                                        view! {
                                            <p class="mt-4 font-medium text-slate-900">{if said.is_some() { "Changed your mind?" } else { "Will you come?" }}</p>
                                            <div class="mt-2 flex flex-wrap gap-3">
                                                {choice(Reply::Yes, "I'll come")}
                                                {choice(Reply::No, "I can't come")}
                                            </div>
                                        }.into_any()
                                    }}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </crate::auth::ui::AuthCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_counted_leaving_out_none() {
        let person =
            |reply| Attendee { email: "a@example.org".into(), invited_on: "2026-12-01".into(), reply };
        let people = [person(Some(Reply::Yes)), person(None), person(Some(Reply::Yes)), person(None)];
        assert_eq!(reply_counts(&people), "2 coming · 2 not answered yet");
        assert_eq!(reply_counts(&[person(Some(Reply::No))]), "1 not coming");
    }
}
