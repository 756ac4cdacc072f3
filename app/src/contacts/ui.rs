//! Contact pages for admins: the list (search, tag filter, pages, export) and a contact's
//! page (tags, notes, timeline, sign-ups, payments, merging a duplicate, downloading or erasing
//! their personal data).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    AddContactNote, ChangeContactTags, ContactDetail, ContactFilter, ContactPages, CreateContact,
    DeleteContactNote, EditContactNote, EraseContact, IMPORT_MAX_BYTES, IMPORT_MAX_TEXT, MergeContacts,
    NOTE_MAX_CHARS, PreviewContactImport, Resubscribe, StartContactImport, TagAllContacts, TagInUse,
    Unsubscribe, UpdateContact, contacts_leaderboard, get_contact, get_unsubscribe_status, list_contacts,
    tags_in_use,
};
use crate::error::AppError;
use crate::jobs::ui::JobProgress;
use crate::payments::format_cents;
use crate::ui::style::{PHONE_ONLY, SMALL_BUTTON, SMALL_INPUT, TD, TH, WIDE_ONLY};
use crate::ui::{Field, FormError, count, last_error, thousands, urlencode};

#[component]
fn TagChip(tag: String) -> impl IntoView {
    view! { <span class="mr-1 rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700" data-testid="tag">{tag}</span> }
}

/// A contact's name, email and phone, as the add and edit forms take them (`form[…]`).
#[component]
fn ContactFields(
    #[prop(optional)] contact: Option<super::Contact>,
    #[prop(into)] error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let (name, email, phone) =
        contact.map(|c| (c.name, c.email, c.phone.unwrap_or_default())).unwrap_or_default();
    view! {
        <Field label="Name" name="form[name]" required=true maxlength=100 value=name error=error />
        <Field label="Email" name="form[email]" kind="email" required=true value=email error=error />
        <Field label="Phone (optional)" name="form[phone]" kind="tel" maxlength=30 value=phone error=error />
        <FormError error=error />
    }
}

/// The contacts pages follow every change to a contact (added, edited, tagged, unsubscribed,
/// merged), whoever made it.
const CONTACT_EVENTS: &str = "/api/events/stream?topics=contact.*";

/// `/admin/contacts`: newest first, searched by name or email, filtered by tag; adding a
/// contact opens their page.
#[component]
pub fn ContactsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| ContactFilter {
            search: q.get("q").unwrap_or_default(),
            tag: q.get("tag").unwrap_or_default(),
            page: crate::ui::page_param(q),
        })
    };
    let contacts = Resource::new(filter, list_contacts);
    let known_tags = Resource::new(|| (), |_| tags_in_use());
    crate::live::on_change(CONTACT_EVENTS, move || {
        contacts.refetch();
        known_tags.refetch();
    });
    let create = ServerAction::<CreateContact>::new();
    let tag_all = ServerAction::<TagAllContacts>::new();
    // Whether the last change of all the list's tags took one away; here, as the box is drawn
    // again with each refresh of the list.
    let removing = RwSignal::new(false);
    let manages = crate::admin::ui::signed_in_as(super::MANAGERS);
    let create_error = last_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/admin/contacts/{id}"), Default::default());
        }
    });
    view! {
        <Title text="Contacts" />
        <div class="flex flex-wrap items-center justify-between gap-x-4 gap-y-1">
            <h1 class="text-2xl font-bold text-slate-900">"Contacts"</h1>
            <div class="flex flex-wrap gap-x-4 gap-y-1">
                <a href="/admin/contacts/leaderboard" class="text-sm text-indigo-700 hover:underline">"Leaderboard"</a>
                <a href="/admin/contacts/import" class="text-sm text-indigo-700 hover:underline">"Import CSV"</a>
                <a href="/api/contacts.csv" class="text-sm text-indigo-700 hover:underline">"Export all (CSV)"</a>
            </div>
        </div>
        <form method="get" class="mt-4 grid grid-cols-2 gap-3 rounded-lg bg-white p-4 shadow-sm md:grid-cols-4">
            <label class="col-span-2 text-sm text-slate-700">
                "Name or email contains"
                <input name="q" class=SMALL_INPUT value=move || filter().search />
            </label>
            <label class="text-sm text-slate-700">
                "Tag"
                <input name="tag" class=SMALL_INPUT list="known-tags" value=move || filter().tag />
            </label>
            <div class="flex items-end gap-3">
                <button type="submit" class=SMALL_BUTTON>"Filter"</button>
                <a href="/admin/contacts" class="text-sm text-slate-600 hover:text-slate-900">"Clear"</a>
            </div>
        </form>
        <KnownTags tags=known_tags />
        <details class="mt-4 rounded-lg bg-white p-4 shadow-sm" data-testid="add-contact">
            <summary class="cursor-pointer font-semibold text-slate-900">"Add a contact"</summary>
            <ActionForm action=create attr:class="mt-3 flex max-w-xl flex-col gap-3">
                <ContactFields error=create_error />
                <div><button type="submit" class=SMALL_BUTTON disabled=move || create.pending().get()>"Add contact"</button></div>
            </ActionForm>
        </details>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contacts.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600">
                            "No contacts match. People appear here when they sign up for a shift, donate, buy or join, or when you add or import them."
                        </p>
                    }.into_any(),
                    Ok(page) => {
                        let current = filter();
                        let tag_filter = current.clone();
                        let link = move |n: i64| {
                            format!("/admin/contacts?q={}&tag={}&page={n}", urlencode(&current.search), urlencode(&current.tag))
                        };
                        view! {
                            <p class="mt-4 text-sm text-slate-700" data-testid="contacts-count">{count(page.count, "contact")}</p>
                            {manages.then(|| view! { <TagEveryone filter=tag_filter found=page.count action=tag_all removing /> })}
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr>
                                        <th class=TH>"Name"</th><th class=format!("{TH} {WIDE_ONLY}")>"Email"</th><th class=TH>"Tags"</th>
                                        <th class=TH>"Score"</th><th class=format!("{TH} {WIDE_ONLY}")>"Source"</th><th class=format!("{TH} {WIDE_ONLY}")>"Since"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|c| {
                                            let unsubscribed = c.unsubscribed.map(|_| view! { <span class="ml-2 text-xs text-slate-600">"unsubscribed"</span> });
                                            view! {
                                                <tr data-testid="contact-row">
                                                    <td class=TD>
                                                        <a href=format!("/admin/contacts/{}", c.id) class="font-medium text-indigo-700 hover:underline">{c.name}</a>
                                                        // On a narrow screen the email column is hidden: shown here.
                                                        <span class=PHONE_ONLY>{c.email.clone()}{unsubscribed.clone()}</span>
                                                    </td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{c.email}{unsubscribed}</td>
                                                    <td class=TD>{c.tags.into_iter().map(|t| view! { <TagChip tag=t /> }).collect_view()}</td>
                                                    <td class=TD>{c.score}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{c.source}</td>
                                                    <td class=format!("{TD} {WIDE_ONLY}")>{c.created}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("contacts", page.page, page.has_more, link, crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The tags contacts hold, suggested by each tag field of the page (`list="known-tags"`),
/// with how many hold each.
#[component]
fn KnownTags(tags: Resource<Result<Vec<TagInUse>, AppError>>) -> impl IntoView {
    view! {
        <datalist id="known-tags" data-testid="known-tags">
            <Transition>
                {move || Suspend::new(async move {
                    tags.await.unwrap_or_default().into_iter().map(|known| {
                        view! { <option value=known.tag label=count(known.contacts, "contact") /> }
                    }).collect_view()
                })}
            </Transition>
        </datalist>
    }
}

/// "Add or remove a tag on all of them": gives a tag to, or takes it from, every contact the
/// list finds with `filter` (all `found` of them, not only this page's), after a confirmation
/// that says how many. `removing` is whether the last change took a tag away.
#[component]
fn TagEveryone(
    filter: ContactFilter,
    found: i64,
    action: ServerAction<TagAllContacts>,
    removing: RwSignal<bool>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let error = last_error(action.value());
    let message = move || {
        error
            .get()
            .map(|e| e.field_message("add").or(e.field_message("remove")).unwrap_or_else(|| e.to_string()))
    };
    let confirm = move |remove: bool| {
        let tag = input.get().map(|field| field.value()).unwrap_or_default();
        let (verb, to) = if remove { ("Remove", "from") } else { ("Add", "to") };
        let question = format!(
            "{verb} the tag \"{}\" {to} all {} this list finds?",
            tag.trim(),
            count(found, "contact")
        );
        // Without a tag the server says what is missing; there is nothing to confirm.
        if tag.trim().is_empty() || window().confirm_with_message(&question).unwrap_or(false) {
            removing.set(remove);
            let (add, remove) = if remove { (String::new(), tag) } else { (tag, String::new()) };
            action.dispatch(TagAllContacts { filter: filter.clone(), add, remove });
        }
    };
    let done = move || {
        // A long list takes a while: say it is under way.
        if action.pending().get() {
            return Some(format!("Changing the tags of {}…", count(found, "contact")));
        }
        action.value().get().and_then(Result::ok).map(|changed| match (removing.get(), changed) {
            (false, 0) => "All of them have it already.".to_string(),
            (false, n) => format!("Tagged {}.", count(n, "contact")),
            (true, 0) => "None of them has it.".to_string(),
            (true, n) => format!("Took the tag off {}.", count(n, "contact")),
        })
    };
    let add_tag = {
        let confirm = confirm.clone();
        move |_| confirm(false)
    };
    let remove_tag = move |_| confirm(true);
    view! {
        <div class="mt-2 rounded-lg bg-white p-3 shadow-sm">
            <div class="flex flex-wrap items-end gap-3" data-testid="tag-all">
                <div>
                    <label for="field-tag-all" class="block text-sm text-slate-700">{format!("Add or remove a tag on all {}", count(found, "contact"))}</label>
                    <input id="field-tag-all" node_ref=input class=SMALL_INPUT maxlength=40 list="known-tags" aria-describedby="field-tag-all-error"
                        aria-invalid=move || if message().is_some() { "true" } else { "false" } />
                </div>
                <button type="button" class=SMALL_BUTTON disabled=move || action.pending().get() on:click=add_tag>"Add the tag"</button>
                <button type="button" class=SMALL_BUTTON disabled=move || action.pending().get() on:click=remove_tag>"Remove the tag"</button>
                <p class="text-sm text-green-700" role="status" data-testid="tag-all-result">{done}</p>
            </div>
            <p id="field-tag-all-error" class="mt-1 text-sm text-red-600" data-testid="error-tag-all">{message}</p>
        </div>
    }
}

/// The address of contact `id`'s page showing `pages` of its lists (first pages left out), at
/// the section `anchor`.
fn contact_page_link(id: &str, pages: ContactPages, anchor: &str) -> String {
    let lists = [
        ("activity", pages.activity),
        ("signups", pages.signups),
        ("tickets", pages.tickets),
        ("payments", pages.payments),
        ("emails", pages.emails),
        ("notes", pages.notes),
    ];
    let query: Vec<String> = lists
        .into_iter()
        .filter(|(_, page)| *page > 1)
        .map(|(list, page)| format!("{list}={page}"))
        .collect();
    let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    format!("/admin/contacts/{}{query}#{anchor}", urlencode(id))
}

/// The pages of a contact's lists as `detail` shows them.
fn pages_shown(detail: &ContactDetail) -> ContactPages {
    ContactPages {
        activity: detail.activity_paging.page,
        signups: detail.signups_paging.page,
        tickets: detail.tickets_paging.page,
        payments: detail.payments_paging.page,
        emails: detail.emails_paging.page,
        notes: detail.notes_paging.page,
    }
}

/// The notes on a contact, newest first, each with who wrote it and when; Delete (after a
/// confirmation) for those who manage contacts.
#[component]
fn Notes(
    detail: ContactDetail,
    may_manage: bool,
    delete: ServerAction<DeleteContactNote>,
    edit: ServerAction<EditContactNote>,
    editing: RwSignal<Option<String>>,
) -> impl IntoView {
    let me = use_context::<crate::auth::CurrentUser>().map(|user| user.id);
    let pages = pages_shown(&detail);
    let contact_id = detail.contact.id.clone();
    let link = move |n: i64| contact_page_link(&contact_id, ContactPages { notes: n, ..pages }, "notes");
    let list = if detail.notes.is_empty() {
        view! { <p class="mt-2 text-sm text-slate-600">{none_on(detail.notes_paging, "No notes yet.")}</p> }
            .into_any()
    } else {
        view! {
            <ul class="mt-2 space-y-3 text-sm">
                {detail.notes.into_iter().map(|note| {
                    // Each button says which note, for a screen reader going through them.
                    let (delete_label, edit_label) = (format!("Delete the note of {}", note.at), format!("Edit the note of {}", note.at));
                    let (note_id, edit_id) = (note.id.clone(), note.id.clone());
                    let ask = move |_| {
                        let question = "Delete this note? This cannot be undone.";
                        if window().confirm_with_message(question).unwrap_or(false) {
                            delete.dispatch(DeleteContactNote { note_id: note_id.clone() });
                        }
                    };
                    let mine = may_manage && note.author_id.is_some() && note.author_id == me;
                    let signed = match &note.edited {
                        Some(edited) => format!("{} · {} · edited {edited}", note.author, note.at),
                        None => format!("{} · {}", note.author, note.at),
                    };
                    let this_one = {
                        let id = note.id.clone();
                        move || editing.get().as_ref() == Some(&id)
                    };
                    let shown = this_one.clone();
                    let body = note.body.clone();
                    view! {
                        <li data-testid="contact-note">
                            <Show when=move || !shown() fallback=move || view! { <NoteEditor note_id=edit_id.clone() body=body.clone() edit editing /> }>
                                <div class="whitespace-pre-line text-slate-900">{note.body.clone()}</div>
                            </Show>
                            <div class="text-xs text-slate-600">
                                {signed}
                                {mine.then(|| {
                                    let id = note.id.clone();
                                    let this_one = this_one.clone();
                                    view! {
                                        // The last edit's refusal was about another note, or this one as it was.
                                        <button type="button" class="ml-2 text-indigo-700 underline" aria-label=edit_label hidden=this_one
                                            on:click=move |_| { edit.value().set(None); editing.set(Some(id.clone())); }>"Edit"</button>
                                    }
                                })}
                                {may_manage.then(|| view! {
                                    <button type="button" class="ml-2 text-red-700 underline" aria-label=delete_label on:click=ask disabled=move || delete.pending().get()>"Delete"</button>
                                })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    view! {
        {list}
        {crate::ui::pager("notes", pages.notes, detail.notes_paging.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
    }
}

/// The form rewriting a note its author is editing: Save, or Cancel to leave it as it was.
#[component]
fn NoteEditor(
    note_id: String,
    body: String,
    edit: ServerAction<EditContactNote>,
    editing: RwSignal<Option<String>>,
) -> impl IntoView {
    let error = last_error(edit.value());
    view! {
        <ActionForm action=edit attr:class="flex max-w-xl flex-col gap-2" attr:data-testid="edit-note">
            <input type="hidden" name="note_id" value=note_id />
            <crate::ui::TextArea label="The note" name="body" id="edit-note-body" rows=3 maxlength=NOTE_MAX_CHARS as u32 value=body error=error />
            <FormError error=error />
            <div class="flex gap-2">
                <button type="submit" class=SMALL_BUTTON disabled=move || edit.pending().get()>"Save note"</button>
                <button type="button" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold text-slate-800"
                    on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}

/// What an empty list on a contact's page says: nothing at all (`none`), or nothing this far.
fn none_on(paging: super::Paging, none: &'static str) -> &'static str {
    if paging.page > 1 { "No more on this page." } else { none }
}

/// `/admin/contacts/:id`: details, tags, the activity timeline, sign-ups, payments, merging
/// a duplicate into this contact (after a confirmation), and their personal data: downloaded
/// whole, or erased once their email is typed.
#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    // The page of each list shown: `?activity=2&signups=…&tickets=…&payments=…&emails=…&notes=…`.
    let query = use_query_map();
    let pages = move || {
        query.with(|q| {
            let page = |list| q.get(list).and_then(|n| n.parse().ok()).unwrap_or(1);
            ContactPages {
                activity: page("activity"),
                signups: page("signups"),
                tickets: page("tickets"),
                payments: page("payments"),
                emails: page("emails"),
                notes: page("notes"),
            }
        })
    };
    let detail = Resource::new(move || (id(), pages()), |(id, pages)| get_contact(id, pages));
    let known_tags = Resource::new(|| (), |_| tags_in_use());
    crate::live::on_change(CONTACT_EVENTS, move || {
        detail.refetch();
        known_tags.refetch();
    });
    let tags = ServerAction::<ChangeContactTags>::new();
    let merge = ServerAction::<MergeContacts>::new();
    let erase = ServerAction::<EraseContact>::new();
    let erase_error = last_error(erase.value());
    // The forms are drawn again once the contact is erased (their details are gone), not after
    // a refused erasure, which keeps the email typed to confirm it.
    let erased = Memo::new(move |_| matches!(erase.value().get(), Some(Ok(()))));
    let update = ServerAction::<UpdateContact>::new();
    let update_error = last_error(update.value());
    // Each save closes the edit form, and each refused one opens it again so that the reason
    // shows beside its field (an `open` attribute would not close it after a second save).
    let edit_details = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        if let (Some(result), Some(details)) = (update.value().get(), edit_details.get()) {
            details.set_open(result.is_err());
        }
    });
    let tags_error = last_error(tags.value());
    let tags_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(tags.value(), tags_form);
    let merge_error = last_error(merge.value());
    let add_note = ServerAction::<AddContactNote>::new();
    let add_note_error = last_error(add_note.value());
    let note_form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(add_note.value(), note_form);
    let delete_note = ServerAction::<DeleteContactNote>::new();
    let delete_note_error = last_error(delete_note.value());
    let edit_note = ServerAction::<EditContactNote>::new();
    // The note being rewritten, if any: one at a time, kept while the page is drawn again.
    let editing_note = RwSignal::new(None::<String>);
    // One effect each: a note's list is drawn again after either, whichever came last.
    Effect::new(move |_| {
        if matches!(add_note.value().get(), Some(Ok(()))) {
            detail.refetch();
        }
    });
    Effect::new(move |_| {
        if matches!(delete_note.value().get(), Some(Ok(()))) {
            detail.refetch();
        }
    });
    Effect::new(move |_| {
        if matches!(edit_note.value().get(), Some(Ok(()))) {
            editing_note.set(None);
            detail.refetch();
        }
    });
    Effect::new(move |_| {
        // Each read on every run: a `||` stopping at the first would leave the others unwatched.
        let saved = [
            matches!(tags.value().get(), Some(Ok(_))),
            matches!(merge.value().get(), Some(Ok(_))),
            matches!(update.value().get(), Some(Ok(_))),
            matches!(erase.value().get(), Some(Ok(_))),
        ];
        if saved.contains(&true) {
            detail.refetch();
        }
    });
    // A payments admin reads contacts; only those who manage them get the forms.
    let may_manage = crate::admin::ui::signed_in_as(super::MANAGERS);
    let (duplicate, set_duplicate) = signal(String::new());
    // The merge cannot be undone: its button waits for the code that asks first.
    let page_ready = crate::ui::hydrated();
    // On the button's click, which comes before the form's submit: ActionForm sends the form
    // from its own submit handler, before a handler of ours on the form would run.
    let confirm_merge = move |ev: leptos::ev::MouseEvent| {
        let question = format!(
            "Merge {} into this contact? Their sign-ups, payments, activity, notes and tags move here and the other contact is deleted. This cannot be undone.",
            duplicate.get_untracked().trim()
        );
        if !window().confirm_with_message(&question).unwrap_or(false) {
            ev.prevent_default();
        }
    };
    view! {
        <Title text="Contact" />
        <p><a href="/admin/contacts" class="text-sm text-indigo-700 hover:underline">"← Contacts"</a></p>
        <KnownTags tags=known_tags />
        // The live parts are drawn again on every change; the forms are drawn once (again
        // after an erasure, which empties the contact), so that what is being typed stays.
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(d) => {
                        let c = d.contact;
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{c.name.clone()}</h1>
                            <p class="text-slate-700">{c.email.clone()} {c.phone.clone().map(|p| format!(" · {p}"))}</p>
                            <p class="mt-1 text-sm text-slate-600" data-testid="contact-score">
                                {format!("Engagement score {} · first seen {} ({})", c.score, c.created, c.source)}
                            </p>
                            {c.unsubscribed.clone().map(|day| view! {
                                <p class="mt-1 text-sm text-slate-600" data-testid="contact-unsubscribed">
                                    {format!("Unsubscribed on {day}: gets no re-engagement emails (confirmations and receipts still go).")}
                                </p>
                            })}
                            <p class="mt-1 text-sm text-green-700" role="status">
                                {move || matches!(update.value().get(), Some(Ok(_))).then_some("Details saved.")}
                            </p>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = (id(), erased.get());
                let c = crate::live::loaded_once(detail).await.ok()?.contact;
                let (edited, tag_owner, note_owner) = (c.id.clone(), c.id.clone(), c.id.clone());
                let notes = move || detail.get().and_then(Result::ok).map(|d| view! { <Notes detail=d may_manage delete=delete_note edit=edit_note editing=editing_note /> });
                let editing = c;
                let chips = move || detail.get().and_then(Result::ok).map(|d| {
                    let c = d.contact;
                    let chip_owner = c.id.clone();
                    view! {
                        {c.tags.is_empty().then(|| view! { <span class="text-sm text-slate-600">"No tags yet."</span> })}
                        {c.tags.iter().map(|t| {
                            let (tag, id) = (t.clone(), chip_owner.clone());
                            view! {
                                <span class="inline-flex items-center gap-1 rounded bg-slate-100 px-2 py-0.5 text-sm text-slate-700" data-testid="tag">
                                    {tag.clone()}
                                    {may_manage.then(move || view! {
                                        <button type="button" class="text-slate-600 hover:text-red-700" aria-label=format!("Remove tag {tag}")
                                            on:click=move |_| { tags.dispatch(ChangeContactTags { id: id.clone(), add: String::new(), remove: tag.clone() }); }>
                                            "×"
                                        </button>
                                    })}
                                </span>
                            }
                        }).collect_view()}
                    }
                });
                Some(view! {
                    {may_manage.then(move || view! {
                        <details class="mt-4 rounded-lg bg-white p-4 shadow-sm" node_ref=edit_details data-testid="edit-contact">
                            <summary class="cursor-pointer font-semibold text-slate-900">"Edit details"</summary>
                            <ActionForm action=update attr:class="mt-3 flex max-w-xl flex-col gap-3">
                                <input type="hidden" name="id" value=edited />
                                <crate::ui::EditsField opened=editing.edits saved=Signal::derive(move || update.value().get().and_then(Result::ok)) />
                                <ContactFields contact=editing error=update_error />
                                <div><button type="submit" class=SMALL_BUTTON disabled=move || update.pending().get()>"Save details"</button></div>
                            </ActionForm>
                        </details>
                    })}
                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm">
                        <h2 class="font-semibold text-slate-900">"Tags"</h2>
                        <div class="mt-2 flex flex-wrap gap-2">{chips}</div>
                        {may_manage.then(move || view! {
                            <ActionForm action=tags node_ref=tags_form attr:class="mt-3 flex items-end gap-2" attr:data-testid="add-tags">
                                <input type="hidden" name="id" value=tag_owner />
                                <label class="text-sm text-slate-700">
                                    "Add tags (comma-separated)"
                                    <input name="add" class=SMALL_INPUT required=true maxlength="200" list="known-tags" />
                                </label>
                                <button type="submit" class=SMALL_BUTTON disabled=move || tags.pending().get()>"Add"</button>
                            </ActionForm>
                            <p class="mt-1 text-sm text-red-600" role="alert">{move || tags_error.get().map(|e| e.to_string())}</p>
                        })}
                    </section>
                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="notes" data-testid="contact-notes">
                        <h2 class="font-semibold text-slate-900">"Notes"</h2>
                        {may_manage.then(move || view! {
                            <ActionForm action=add_note node_ref=note_form attr:class="mt-2 flex max-w-xl flex-col gap-2" attr:data-testid="add-note">
                                <input type="hidden" name="id" value=note_owner />
                                <crate::ui::TextArea label="A note for the team (a call, what they offered)" name="body" rows=3 maxlength=NOTE_MAX_CHARS as u32 error=add_note_error />
                                <FormError error=add_note_error />
                                <div><button type="submit" class=SMALL_BUTTON disabled=move || add_note.pending().get()>"Add note"</button></div>
                            </ActionForm>
                        })}
                        <p class="mt-1 text-sm text-red-600" role="alert">{move || delete_note_error.get().map(|e| e.to_string())}</p>
                        {notes}
                    </section>
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| {
                    // The pages of the lists as shown; each list's links change its own.
                    let pages = pages_shown(&d);
                    let contact_id = d.contact.id.clone();
                    let link = move |pages: ContactPages, anchor: &str| contact_page_link(&contact_id, pages, anchor);
                    let (activity_link, signups_link, tickets_link) = (link.clone(), link.clone(), link.clone());
                    let (payments_link, emails_link) = (link.clone(), link);
                    view! {
                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="activity">
                        <h2 class="font-semibold text-slate-900">"Activity"</h2>
                        {if d.activity.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{none_on(d.activity_paging, "Nothing yet.")}</p> }.into_any()
                        } else {
                            view! {
                                <ol class="mt-2 space-y-1 text-sm">
                                    {d.activity.into_iter().map(|a| view! {
                                        <li data-testid="activity">
                                            <span class="text-slate-600">{a.at}</span> " " {a.summary}
                                            <span class="text-slate-600">{format!(" +{}", a.points)}</span>
                                        </li>
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        {crate::ui::pager("activity", pages.activity, d.activity_paging.has_more, move |n| activity_link(ContactPages { activity: n, ..pages }, "activity"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                    </section>

                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="signups">
                        <h2 class="font-semibold text-slate-900">"Shift sign-ups"</h2>
                        {d.volunteered.map(|done| view! {
                            <p class="mt-1 text-sm text-slate-700" data-testid="contact-volunteered">{format!("Done: {done}.")}</p>
                        })}
                        {if d.signups.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{none_on(d.signups_paging, "None.")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 space-y-1 text-sm">
                                    {d.signups.into_iter().map(|s| view! {
                                        <li data-testid="contact-signup">
                                            <a href=format!("/admin/shifts/{}", s.shift_id) class=crate::ui::TEXT_LINK>{s.shift_title}</a>
                                            {format!(" · {} · {}", s.starts, s.status.to_lowercase())}
                                            {s.attendance.map(|a| format!(" · {}", a.label().to_lowercase()))}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {crate::ui::pager("sign-ups", pages.signups, d.signups_paging.has_more, move |n| signups_link(ContactPages { signups: n, ..pages }, "signups"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                    </section>

                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="tickets">
                        <h2 class="font-semibold text-slate-900">"Event tickets"</h2>
                        {if d.tickets.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{none_on(d.tickets_paging, "None.")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 space-y-1 text-sm">
                                    {d.tickets.into_iter().map(|t| {
                                        let state = match (t.status, t.checked_in) {
                                            (crate::ticketed_events::TicketStatus::Cancelled, _) => "cancelled",
                                            (_, true) => "checked in",
                                            (_, false) => "valid",
                                        };
                                        view! {
                                            <li data-testid="contact-ticket">
                                                <a href=format!("/admin/ticketed-events/{}", t.event_id) class="text-indigo-700 hover:underline">{t.event_title}</a>
                                                {format!(" · {} · {} · {state}", t.when, t.tier_name)}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {crate::ui::pager("tickets", pages.tickets, d.tickets_paging.has_more, move |n| tickets_link(ContactPages { tickets: n, ..pages }, "tickets"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                    </section>

                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="payments">
                        <h2 class="font-semibold text-slate-900">"Donations, orders and memberships"</h2>
                        {if d.payments.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{none_on(d.payments_paging, "None.")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 space-y-1 text-sm">
                                    {d.payments.into_iter().map(|p| {
                                        let refunded = (p.refunded_cents > 0).then(|| format!(" ({} refunded)", format_cents(p.refunded_cents)));
                                        view! {
                                            <li data-testid="contact-payment">
                                                {format!("{} · {} {} · {} · {}", p.created, p.kind, p.what.to_lowercase().replace('_', "-"), format_cents(p.amount_cents), p.status.to_lowercase().replace('_', " "))}
                                                {refunded}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {crate::ui::pager("payments", pages.payments, d.payments_paging.has_more, move |n| payments_link(ContactPages { payments: n, ..pages }, "payments"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                    </section>

                    <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" id="emails">
                        <h2 class="font-semibold text-slate-900">"Emails"</h2>
                        {if d.emails.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600">{none_on(d.emails_paging, "None.")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 space-y-1 text-sm">
                                    {d.emails.into_iter().map(|e| {
                                        let what = match e.campaign_id {
                                            Some(campaign) => view! {
                                                "Wrote to " {e.recipients} " representative(s) for "
                                                <a href=format!("/admin/campaigns/{campaign}") class="text-indigo-700 hover:underline">{e.about}</a>
                                            }.into_any(),
                                            None => view! { "We sent \u{201c}" {e.about} "\u{201d} · " {e.status.to_lowercase()} }.into_any(),
                                        };
                                        view! { <li data-testid="contact-email"><span class="text-slate-600">{e.at}</span> " " {what}</li> }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {crate::ui::pager("emails", pages.emails, d.emails_paging.has_more, move |n| emails_link(ContactPages { emails: n, ..pages }, "emails"), crate::ui::PAGES_PREVIOUS_NEXT, false)}
                    </section>
                    }
                })
            })}
        </Transition>
        <Transition>
            {move || Suspend::new(async move {
                let _ = (id(), erased.get());
                let c = crate::live::loaded_once(detail).await.ok()?.contact;
                let (merge_survivor, erased_id) = (c.id.clone(), c.id.clone());
                let data_file = format!("/api/contacts/{}/data.json", c.id);
                may_manage.then(move || view! {
                        <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="merge-contact">
                            <h2 class="font-semibold text-slate-900">"Merge a duplicate into this contact"</h2>
                            <ActionForm action=merge attr:class="mt-2 flex max-w-xl flex-col gap-2">
                                <input type="hidden" name="survivor" value=merge_survivor />
                                <div on:input=move |ev| set_duplicate.set(event_target_value(&ev))>
                                    <Field label="Email of the duplicate contact" name="duplicate_email" kind="email" required=true error=merge_error />
                                </div>
                                <FormError error=merge_error />
                                <div><button type="submit" class=SMALL_BUTTON on:click=confirm_merge disabled=move || merge.pending().get() || !page_ready.get()>"Merge"</button></div>
                            </ActionForm>
                            <p class="mt-1 text-sm text-green-700" role="status">
                                {move || matches!(merge.value().get(), Some(Ok(()))).then_some("Merged.")}
                            </p>
                        </section>

                        <section class="mt-6 rounded-lg border border-red-200 bg-white p-4 shadow-sm" data-testid="erase-contact">
                            <h2 class="font-semibold text-slate-900">"Their personal data"</h2>
                            <p class="mt-1 text-sm text-slate-700">
                                <a href=data_file download class="font-medium text-indigo-700 hover:underline">"Download everything held about them (JSON)"</a>
                                ", to answer their request for their data."
                            </p>
                            <h3 class="mt-4 font-semibold text-slate-900">"Erase personal data"</h3>
                            <p class="mt-1 max-w-2xl text-sm text-slate-700">
                                "For someone who asks to be forgotten. Their name, email and phone go from every record, with their timeline, notes, tags, texts and the emails sent to them. What they did stays in the totals, as an \u{201c}Erased contact\u{201d}. This cannot be undone."
                            </p>
                            <ActionForm action=erase attr:class="mt-2 flex max-w-xl flex-col gap-2">
                                <input type="hidden" name="id" value=erased_id />
                                <Field label="Type their email to confirm" name="confirm_email" kind="email" required=true error=erase_error />
                                <FormError error=erase_error />
                                <div>
                                    <button type="submit" class="rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-500 disabled:opacity-60" disabled=move || erase.pending().get()>
                                        "Erase personal data"
                                    </button>
                                </div>
                            </ActionForm>
                        </section>
                })
            })}
        </Transition>
    }
}

/// `/unsubscribe?token=…`, the link at the foot of every bulk email. Opening it changes
/// nothing (mail scanners open links); the button does. A link that is not ours says so (404).
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let status = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        get_unsubscribe_status,
    );
    let leave = ServerAction::<Unsubscribe>::new();
    let rejoin = ServerAction::<Resubscribe>::new();
    let error = last_error(leave.value());
    let rejoin_error = last_error(rejoin.value());
    // What was chosen on this page since it loaded; until then, what the server said.
    let chosen = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        if matches!(leave.value().get(), Some(Ok(()))) {
            chosen.set(Some(true));
        }
    });
    Effect::new(move |_| {
        if matches!(rejoin.value().get(), Some(Ok(()))) {
            chosen.set(Some(false));
        }
    });
    view! {
        <crate::auth::ui::AuthCard title="Unsubscribe">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match status.await {
                            Err(crate::error::AppError::NotFound(_)) => {
                                #[cfg(feature = "ssr")]
                                crate::request::set_status(404);
                                view! {
                                    <p class="text-slate-700" data-testid="unsubscribe-invalid">
                                        "This unsubscribe link is not valid. Use the link at the foot of the email, whole."
                                    </p>
                                }.into_any()
                            }
                            Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                            Ok(s) => {
                                let done = format!("Done: {} gets no more emails like this from {}.", s.email_hint, s.organisation);
                                let question = format!("Stop emails like this from {} to {}?", s.organisation, s.email_hint);
                                let already = s.unsubscribed;
                                let rejoin_token = token.clone();
                                view! {
                                    <Show
                                        when=move || chosen.get().unwrap_or(already)
                                        fallback=move || {
                                            let (token, question) = (token.clone(), question.clone());
                                            view! {
                                                {move || (chosen.get() == Some(false)).then(|| view! {
                                                    <p class="mb-4 rounded-md bg-green-50 p-3 text-sm text-green-800" role="status" data-testid="resubscribed">
                                                        "Subscribed again: these emails come as before."
                                                    </p>
                                                })}
                                                <ActionForm action=leave attr:class="space-y-4">
                                                    <input type="hidden" name="token" value=token />
                                                    <p class="text-slate-700">{question}</p>
                                                    <p class="text-sm text-slate-600">"Emails about what you sign up for (a shift's confirmation, a receipt) still come."</p>
                                                    <FormError error=error />
                                                    <button type="submit" class=crate::ui::BUTTON_PRIMARY disabled=move || leave.pending().get()>"Unsubscribe"</button>
                                                </ActionForm>
                                            }
                                        }
                                    >
                                        <p class="text-slate-700" role="status" data-testid="unsubscribed">{done.clone()}</p>
                                        {
                                            let token = rejoin_token.clone();
                                            view! {
                                                <ActionForm action=rejoin attr:class="mt-6 space-y-2">
                                                    <input type="hidden" name="token" value=token />
                                                    <FormError error=rejoin_error />
                                                    <button type="submit" class="text-sm text-indigo-700 underline hover:text-indigo-900" disabled=move || rejoin.pending().get()>
                                                        "Pressed it by mistake? Subscribe me again"
                                                    </button>
                                                </ActionForm>
                                            }
                                        }
                                    </Show>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </crate::auth::ui::AuthCard>
    }
}

/// `/admin/contacts/import`: choose or paste a CSV file, preview what it would do (bad rows by
/// line), then import it with a progress bar.
#[component]
pub fn ImportContactsPage() -> impl IntoView {
    let (csv, set_csv) = signal(String::new());
    let preview = ServerAction::<PreviewContactImport>::new();
    let start = ServerAction::<StartContactImport>::new();
    let preview_error = last_error(preview.value());
    let too_big = move || csv.with(|c| c.len() > IMPORT_MAX_BYTES);
    let changed = move |text: String| {
        set_csv.set(text);
        preview.value().set(None);
        start.value().set(None);
    };
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        crate::ui::read_chosen_file(&ev, changed);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, changed);
    };
    let run_preview = move |_| {
        preview.dispatch(PreviewContactImport { csv: csv.get_untracked() });
    };
    let run_import = move |_| {
        let good = preview
            .value()
            .get_untracked()
            .and_then(Result::ok)
            .map_or(0, |p| p.new_contacts + p.existing_contacts);
        let question = format!(
            "Import {}? New ones are created; existing ones gain the file's tags.",
            count(good, "contact")
        );
        if window().confirm_with_message(&question).unwrap_or(false) {
            start.dispatch(StartContactImport { csv: csv.get_untracked() });
        }
    };
    let choose_file = view! {
        <section class="mt-4 rounded-lg bg-white p-4 shadow-sm">
            <label class="text-sm text-slate-700">
                "CSV file"
                <input type="file" accept=".csv,text/csv" name="file" class="mt-1 block text-sm" on:change=on_file />
            </label>
            <label class="mt-3 block text-sm text-slate-700">
                "…or paste it here"
                <textarea name="csv" rows="8" class=format!("{SMALL_INPUT} font-mono")
                    prop:value=move || csv.get()
                    on:input=move |ev| changed(event_target_value(&ev))></textarea>
            </label>
            <p class="mt-1 text-sm text-red-600" role="alert">
                {move || too_big().then(|| format!("This file is larger than {IMPORT_MAX_TEXT}; split it and import each part."))}
            </p>
            <button type="button" class=format!("mt-3 {SMALL_BUTTON}") on:click=run_preview
                disabled=move || csv.with(|c| c.trim().is_empty()) || too_big() || preview.pending().get()>
                {move || if preview.pending().get() { "Checking…" } else { "Preview" }}
            </button>
            <p class="mt-2 text-sm text-red-600" role="alert">{move || preview_error.get().map(|e| e.to_string())}</p>
        </section>
    }
    .into_any();
    view! {
        <Title text="Import contacts" />
        <p><a href="/admin/contacts" class="text-sm text-indigo-700 hover:underline">"← Contacts"</a></p>
        <h1 class="mt-2 text-2xl font-bold text-slate-900">"Import contacts"</h1>
        <p class="mt-2 max-w-2xl text-sm text-slate-600">
            "A CSV file (cells separated by commas, or by semicolons or tabs as some spreadsheets save them) whose first row names the columns: " <code>"name"</code> " and " <code>"email"</code>
            " are needed, " <code>"phone"</code> " and " <code>"tags"</code> " (separated by ; or ,) are optional, and other columns are ignored, so a file exported here imports as is. "
            {format!("Someone already on file keeps their name and gains the row's tags. At most {IMPORT_MAX_TEXT}.")}
        </p>
        {choose_file}
        {move || preview.value().get().and_then(Result::ok).map(|p| import_preview(p, start, run_import))}
        {move || start.value().get().and_then(Result::ok).map(|id| view! {
            <section class="mt-6 rounded-lg bg-white p-4 shadow-sm">
                <h2 class="font-semibold text-slate-900">"Importing"</h2>
                <JobProgress id=id />
            </section>
        })}
    }
}

/// What the preview found, and the button that imports it.
fn import_preview(
    p: super::ImportPreview,
    start: ServerAction<StartContactImport>,
    run_import: impl Fn(leptos::ev::MouseEvent) + Clone + Send + 'static,
) -> AnyView {
    let start_error = last_error(start.value());
    let good = p.new_contacts + p.existing_contacts;
    view! {
                <section class="mt-6 rounded-lg bg-white p-4 shadow-sm" data-testid="import-preview">
                    <h2 class="font-semibold text-slate-900">"Preview"</h2>
                    <p class="mt-1 text-sm text-slate-700" data-testid="import-counts">
                        {format!("{}: {}, {} already on file, {} with problems (skipped).", count(p.rows, "row"), count(p.new_contacts, "new contact"), thousands(p.existing_contacts), thousands(p.problems.len() as i64))}
                    </p>
                    {(!p.sample.is_empty()).then(|| view! {
                        // What was read from each column, to check before importing: on a phone it scrolls in its box.
                        <div class="mt-3 overflow-x-auto">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead><tr>
                                    <th class=TH>"Line"</th><th class=TH>"Name"</th><th class=TH>"Email"</th><th class=TH>"Phone"</th><th class=TH>"Tags"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100">
                                    {p.sample.into_iter().map(|r| view! {
                                        <tr data-testid="import-row">
                                            <td class=TD>{r.line}</td><td class=TD>{r.name}</td><td class=TD>{r.email}</td>
                                            <td class=TD>{r.phone}</td><td class=TD>{r.tags.join(", ")}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    })}
                    {(!p.problems.is_empty()).then(|| view! {
                        <h3 class="mt-4 text-sm font-semibold text-red-700">"Rows that will be skipped"</h3>
                        <ul class="mt-1 max-h-64 overflow-y-auto text-sm text-red-700" data-testid="import-problems">
                            {p.problems.into_iter().map(|e| view! { <li>{format!("Line {}: {}", e.line, e.message)}</li> }).collect_view()}
                        </ul>
                    })}
                    <button type="button" class=format!("mt-4 {SMALL_BUTTON}") on:click=run_import
                        disabled=move || good == 0 || start.pending().get() || matches!(start.value().get(), Some(Ok(_)))>
                        {format!("Import {}", count(good, "contact"))}
                    </button>
                    <p class="mt-2 text-sm text-red-600" role="alert">{move || start_error.get().map(|e| e.to_string())}</p>
                </section>
            }
    .into_any()
}

/// `/admin/contacts/leaderboard`: the most engaged contacts over a period, by the points their
/// activity earned (a donation 50, a shift sign-up 20…).
#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || query.with(|q| q.get("days").and_then(|d| d.parse::<i64>().ok()).unwrap_or(30));
    let board = Resource::new(days, contacts_leaderboard);
    let tab = move |(period, label): (i64, &'static str)| {
        let class = move || {
            if days() == period {
                "rounded-md bg-indigo-100 px-3 py-1 font-semibold text-indigo-800"
            } else {
                "rounded-md px-3 py-1 text-indigo-700 hover:underline"
            }
        };
        view! { <a href=format!("/admin/contacts/leaderboard?days={period}") class=class>{label}</a> }
    };
    view! {
        <Title text="Leaderboard" />
        <p><a href="/admin/contacts" class="text-sm text-indigo-700 hover:underline">"← Contacts"</a></p>
        <h1 class="mt-2 text-2xl font-bold text-slate-900">"Engagement leaderboard"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "Points for what each contact did: a donation 50, a membership 40, a shift sign-up 20, an email to a representative 10, and so on (each contact's timeline shows them)."
        </p>
        <nav class="mt-4 flex flex-wrap gap-2 text-sm" aria-label="Period">
            {super::LEADERBOARD_PERIODS.into_iter().map(tab).collect_view()}
        </nav>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Err(e) => view! { <crate::ui::LoadError error=e /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="mt-6 text-slate-600" data-testid="leaderboard-empty">"No activity in this period yet."</p>
                    }.into_any(),
                    Ok(rows) => view! {
                        <div class="mt-4 overflow-x-auto rounded-lg bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead><tr>
                                    <th class=TH>"Rank"</th><th class=TH>"Contact"</th><th class=TH>"Score"</th>
                                    <th class=format!("{TH} {WIDE_ONLY}")>"Activities"</th><th class=format!("{TH} {WIDE_ONLY}")>"Last active"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100">
                                    {rows.into_iter().map(|r| view! {
                                        <tr data-testid="leaderboard-row">
                                            <td class=TD>{r.rank}</td>
                                            <td class=TD>
                                                <a href=format!("/admin/contacts/{}", r.contact_id) class="font-medium text-indigo-700 hover:underline">{r.name}</a>
                                                <span class="block text-slate-600">{r.email}</span>
                                                <span class=PHONE_ONLY>{format!("{} · last active {}", count(r.activities, "activity"), r.last_active)}</span>
                                            </td>
                                            <td class=TD>{r.score}</td>
                                            <td class=format!("{TD} {WIDE_ONLY}")>{r.activities}</td>
                                            <td class=format!("{TD} {WIDE_ONLY}")>{r.last_active.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
