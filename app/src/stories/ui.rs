//! Impact story pages: the admin list with a form for a new draft, a story's admin page (its
//! picture, edit, publish or take back, delete), and the public `/stories` and `/stories/<slug>`.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    DeleteStory, DescribeStoryPicture, PICTURE_ALT_MAX_CHARS, PublishStory, RemoveStoryPicture, SaveStory,
    Story, StoryFilter, get_story, list_stories, picture_upload_path, public_stories, public_story,
};
use crate::home::ui::PublicHeader;
use crate::ui::INPUT;
use crate::ui::style::{CARD, SMALL_BUTTON, TD, TH};
use crate::ui::{Field, FormError, LoadError, TextArea, last_error};

/// The create/edit form; `story` fills it for an edit.
#[component]
fn StoryFormView(action: ServerAction<SaveStory>, story: Option<Story>) -> impl IntoView {
    let changed = RwSignal::new(false);
    let error = last_error(action.value());
    let s = story.clone();
    let value = move |f: fn(&Story) -> String| s.as_ref().map(f).unwrap_or_default();
    view! {
        <ActionForm action=action on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
            <input type="hidden" name="id" value=story.as_ref().map(|s| s.id.clone()).unwrap_or_default() />
            {story.as_ref().map(|s| view! {
                <crate::ui::EditsField opened=s.edits saved=Signal::derive(move || action.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
            })}
            <FormError error=error />
            <Field label="Title" name="form[title]" value=value(|s| s.title.clone()) required=true error=error />
            <Field label="Address (/stories/…; left empty, made from the title)" name="form[slug]" value=value(|s| s.slug.clone()) error=error />
            <Field label="Summary (one or two sentences, shown in lists and shared links)" name="form[summary]" value=value(|s| s.summary.clone()) required=true error=error />
            <TextArea label="Story" name="form[body]" value=value(|s| s.body.clone()) rows=10 error=error />
            <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save story"</button></div>
            <crate::ui::SavedNote saved=action.value() changed=changed />
        </ActionForm>
    }
}

/// `/admin/stories`: every story, last changed first, found by title; a form for a new draft.
#[component]
pub fn AdminStoriesPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| StoryFilter { search: q.get("q").unwrap_or_default(), page: crate::ui::page_param(q) })
    };
    let stories = Resource::new(filter, list_stories);
    let save = ServerAction::<SaveStory>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = save.value().get() {
            navigate(&format!("/admin/stories/{}", created.id), Default::default());
        }
    });
    view! {
        <Title text="Impact stories" />
        <div class="flex flex-wrap items-center gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Impact stories"</h1>
            <a href="/stories" class="text-sm text-indigo-700 hover:underline">"Public page"</a>
        </div>
        <form method="get" class="mt-4 flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
            <label class="text-sm text-slate-700">
                "Title contains"
                <input name="q" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" value=move || filter().search />
            </label>
            <button type="submit" class=SMALL_BUTTON>"Find"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let current = filter();
                match stories.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => {
                        let empty = if current.search.trim().is_empty() {
                            "No stories yet. Write the first one below."
                        } else {
                            "No stories match."
                        };
                        view! { <p class="mt-6 text-slate-600" data-testid="stories-empty">{empty}</p> }.into_any()
                    }
                    Ok(page) => {
                        let link = move |n: i64| format!("/admin/stories?q={}&page={n}", crate::ui::urlencode(&current.search));
                        view! {
                            <p class="mt-4 text-sm text-slate-700">{crate::ui::count(page.count, "story")}</p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr><th class=TH>"Story"</th><th class=TH>"Status"</th><th class=TH>"Summary"</th></tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|s| view! {
                                            <tr data-testid="story-row">
                                                <td class=TD><a href=format!("/admin/stories/{}", s.id) class="font-medium text-indigo-700 hover:underline">{s.title}</a></td>
                                                <td class=TD>{match s.published_on { Some(day) => format!("Published {day}"), None => "Draft".to_string() }}</td>
                                                <td class=TD>{s.summary}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("stories", page.page, page.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New story"</h2>
            <p class="mt-1 text-sm text-slate-600">"Saved as a draft: publish it from its page."</p>
            <StoryFormView action=save story=None />
        </section>
    }
}

/// `/admin/stories/:id`: publish it (or take it back to draft), edit it, delete it after a
/// confirmation.
#[component]
pub fn AdminStoryPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let story = Resource::new(id, get_story);
    let save = ServerAction::<SaveStory>::new();
    let publish = ServerAction::<PublishStory>::new();
    let delete = ServerAction::<DeleteStory>::new();
    let remove_picture = ServerAction::<RemoveStoryPicture>::new();
    let describe = ServerAction::<DescribeStoryPicture>::new();
    let describe_error = last_error(describe.value());
    Effect::new(move |_| {
        let changes = [save.version(), publish.version(), remove_picture.version(), describe.version()];
        if changes.iter().map(|version| version.get()).sum::<usize>() > 0 {
            story.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/stories");
    view! {
        <Title text="Impact story" />
        <p><a href="/admin/stories" class="text-sm text-indigo-700 hover:underline">"← Impact stories"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match story.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(s) => {
                        let (delete_id, delete_title) = (s.id.clone(), s.title.clone());
                        let confirm_delete = move |_| {
                            let question = format!("Delete the story \"{delete_title}\"? This cannot be undone.");
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                delete.dispatch(DeleteStory { id: delete_id.clone() });
                            }
                        };
                        let (status, button) = match &s.published_on {
                            Some(day) => (format!("Published {day} at /stories/{}", s.slug), "Take back to draft"),
                            None => ("Draft: only admins see it.".to_string(), "Publish"),
                        };
                        let publish_id = s.id.clone();
                        let published = s.published;
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{s.title.clone()}</h1>
                            <p class="mt-1 text-slate-700" data-testid="story-status">{status}</p>
                            {published.then(|| view! { <a href=format!("/stories/{}", s.slug) class="text-sm text-indigo-700 hover:underline">"Open the public page"</a> })}
                            <FormError error=last_error(publish.value()) />
                            <FormError error=last_error(delete.value()) />
                            <div class="mt-3 flex gap-3">
                                <button class=SMALL_BUTTON disabled=move || publish.pending().get()
                                    on:click=move |_| { publish.dispatch(PublishStory { id: publish_id.clone(), publish: !published }); }>
                                    {button}
                                </button>
                                <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_delete>"Delete story"</button>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        // Drawn once, so that what is being typed stays when the story is published or taken
        // back, or given a picture; the picture shown follows the story.
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let s = crate::live::loaded_once(story).await.ok()?;
                let refetch = Callback::new(move |_| story.refetch());
                let shown = move || story.get().and_then(Result::ok).and_then(|s| {
                    let (story_id, picture) = (s.id, s.picture?);
                    let remove_id = story_id.clone();
                    let confirm_remove = move |_| {
                        if window().confirm_with_message("Remove the story's picture?").unwrap_or(false) {
                            remove_picture.dispatch(RemoveStoryPicture { id: remove_id.clone() });
                        }
                    };
                    Some(view! {
                        <img src=picture.path() alt=picture.alt.clone() width=picture.width() height=picture.height() class="mt-3 max-h-48 w-auto rounded" data-testid="story-picture" />
                        <ActionForm action=describe attr:class="mt-2 flex max-w-xl flex-wrap items-end gap-2" attr:novalidate=true>
                            <input type="hidden" name="id" value=story_id />
                            <div class="grow">
                                <Field label="What it shows" name="alt" value=picture.alt.clone() error=describe_error />
                            </div>
                            <button type="submit" class=SMALL_BUTTON disabled=move || describe.pending().get()>"Save description"</button>
                        </ActionForm>
                        <div class="mt-2">
                            <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700"
                                disabled=move || remove_picture.pending().get() on:click=confirm_remove>"Remove the picture"</button>
                        </div>
                    })
                });
                Some(view! {
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Picture"</h2>
                        <p class="mt-1 text-sm text-slate-600">"A JPEG, PNG, WebP or GIF of at most 10 MB, shown above the story and in the list of stories; a larger one is stored scaled down to 1,600 pixels on its longest side, and a photo without the place it was taken. A new upload replaces the last one."</p>
                        {shown}
                        <FormError error=last_error(remove_picture.value()) />
                        <crate::media::ui::FileUpload action=picture_upload_path(&s.id) label="Picture" testid="picture" uploaded=refetch
                            accept="image/jpeg,image/png,image/webp,image/gif">
                            <label class="text-sm text-slate-700">
                                "What it shows, for those who cannot see it (like “Riders at the new bus stop”)"
                                <input name="alt" required=true maxlength=PICTURE_ALT_MAX_CHARS class=INPUT />
                            </label>
                        </crate::media::ui::FileUpload>
                    </section>
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Edit"</h2>
                        <StoryFormView action=save story=Some(s) />
                    </section>
                })
            })}
        </Transition>
    }
}

/// `/stories`: the published stories, newest first, 20 a page.
#[component]
pub fn PublicStoriesPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(crate::ui::page_param);
    let stories = Resource::new(page, public_stories);
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <crate::ui::SharedPageHead title="Impact stories".to_string() description="What we have achieved together.".to_string() />
            <h1 class="text-3xl font-bold text-slate-900">"Impact stories"</h1>
            <p class="mt-2 text-slate-600">"What we have achieved together."</p>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match stories.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(page) if page.rows.is_empty() => view! {
                            <p class="mt-6 text-slate-600" data-testid="stories-empty">"No stories yet: come back soon."</p>
                        }.into_any(),
                        Ok(page) => view! {
                            <ul class="mt-6 space-y-4">
                                {page.rows.into_iter().map(|s| view! {
                                    <li class="rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid="story">
                                        {s.picture.map(|p| view! { <img src=p.path() alt=p.alt.clone() width=p.width() height=p.height() loading="lazy" class="mb-3 max-h-56 w-full rounded object-cover" /> })}
                                        <h2 class="text-xl font-semibold"><a href=format!("/stories/{}", s.slug) class="text-indigo-700 hover:underline">{s.title}</a></h2>
                                        <p class="mt-1 text-sm text-slate-600">{s.published_on}</p>
                                        <p class="mt-2 text-slate-700">{s.summary}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {crate::ui::pager("stories", page.page, page.has_more, |n| format!("/stories?page={n}"), crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// `/stories/:slug`: one published story.
#[component]
pub fn PublicStoryPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let story = Resource::new(slug, public_story);
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-2xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match story.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(s) => view! {
                            <crate::ui::SharedPageHead title=s.title.clone() description=s.summary.clone() image=s.picture.as_ref().map(|p| p.path()) />
                            <p><a href="/stories" class="text-sm text-indigo-700 hover:underline">"← Impact stories"</a></p>
                            <h1 class="mt-2 text-3xl font-bold text-slate-900">{s.title.clone()}</h1>
                            <p class="mt-1 text-sm text-slate-600">{s.published_on.clone()}</p>
                            {s.picture.clone().map(|p| view! { <img src=p.path() alt=p.alt.clone() width=p.width() height=p.height() class="mt-4 w-full rounded-lg" data-testid="story-picture" /> })}
                            <p class="mt-4 text-lg text-slate-700">{s.summary.clone()}</p>
                            <div class="mt-4 whitespace-pre-line text-slate-700" data-testid="story-body"><crate::ui::LinkedText text=s.body.clone() /></div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
