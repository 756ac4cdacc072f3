//! Video pages: the admin list with a form for a new draft, a video's admin page (upload its
//! file and its poster, edit, publish or take back, delete), and the public `/videos` and
//! `/videos/<slug>`; and the upload form stories use too.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    CAPTIONS_MAX_CHARS, CaptionsForm, CountVideoView, DeleteVideo, PublishVideo, RemoveVideoFile,
    RemoveVideoPoster, SaveVideo, SaveVideoCaptions, Video, VideoCaptions, VideoFilter,
    captions_preview_path, get_video, get_video_captions, list_videos, poster_upload_path, public_video,
    public_videos, upload_path, video_transcript,
};
use crate::home::ui::PublicHeader;
use crate::ui::style::{CARD, SMALL_BUTTON, TD, TH};
use crate::ui::{Field, FormError, LoadError, TextArea, last_error};

/// The create/edit form; `video` fills it for an edit.
#[component]
fn VideoFormView(action: ServerAction<SaveVideo>, video: Option<Video>) -> impl IntoView {
    let changed = RwSignal::new(false);
    let error = last_error(action.value());
    let v = video.clone();
    let value = move |f: fn(&Video) -> String| v.as_ref().map(f).unwrap_or_default();
    view! {
        <ActionForm action=action on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false) attr:class="mt-3 grid gap-3" attr:novalidate=true>
            <input type="hidden" name="id" value=video.as_ref().map(|v| v.id.clone()).unwrap_or_default() />
            {video.as_ref().map(|v| view! {
                <crate::ui::EditsField opened=v.edits saved=Signal::derive(move || action.value().get().and_then(Result::ok).map(|saved| saved.edits)) />
            })}
            <FormError error=error />
            <Field label="Title" name="form[title]" value=value(|v| v.title.clone()) required=true error=error />
            <Field label="Address (/videos/…; left empty, made from the title)" name="form[slug]" value=value(|v| v.slug.clone()) error=error />
            <Field label="Video file kept elsewhere (its https:// address, e.g. an .mp4 or .webm; leave empty to upload the file)" name="form[video_url]" value=value(|v| v.video_url.clone()) error=error />
            <TextArea label="Description (optional)" name="form[description]" value=value(|v| v.description.clone()) rows=4 error=error />
            <div><button type="submit" class=SMALL_BUTTON disabled=move || action.pending().get()>"Save video"</button></div>
            <crate::ui::SavedNote saved=action.value() changed=changed />
        </ActionForm>
    }
}

/// `/admin/videos`: every video, last changed first, found by title; a form for a new draft.
#[component]
pub fn AdminVideosPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| VideoFilter { search: q.get("q").unwrap_or_default(), page: crate::ui::page_param(q) })
    };
    let videos = Resource::new(filter, list_videos);
    let save = ServerAction::<SaveVideo>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = save.value().get() {
            navigate(&format!("/admin/videos/{}", created.id), Default::default());
        }
    });
    view! {
        <Title text="Videos" />
        <div class="flex flex-wrap items-center gap-4">
            <h1 class="text-2xl font-bold text-slate-900">"Videos"</h1>
            <a href="/videos" class="text-sm text-indigo-700 hover:underline">"Public page"</a>
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
                match videos.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(page) if page.rows.is_empty() => {
                        let empty = if current.search.trim().is_empty() {
                            "No videos yet. Add the first one below."
                        } else {
                            "No videos match."
                        };
                        view! { <p class="mt-6 text-slate-600" data-testid="videos-empty">{empty}</p> }.into_any()
                    }
                    Ok(page) => {
                        let link = move |n: i64| format!("/admin/videos?q={}&page={n}", crate::ui::urlencode(&current.search));
                        view! {
                            <p class="mt-4 text-sm text-slate-700">{crate::ui::count(page.count, "video")}</p>
                            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead><tr><th class=TH>"Video"</th><th class=TH>"Status"</th><th class=TH>"Views"</th></tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.rows.into_iter().map(|v| view! {
                                            <tr data-testid="video-row">
                                                <td class=TD><a href=format!("/admin/videos/{}", v.id) class="font-medium text-indigo-700 hover:underline">{v.title}</a></td>
                                                <td class=TD>{match v.published_on { Some(day) => format!("Published {day}"), None => "Draft".to_string() }}</td>
                                                <td class=TD>{v.views}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {crate::ui::pager("videos", page.page, page.has_more, link, crate::ui::PAGES_PREVIOUS_NEXT, false)}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class=CARD>
            <h2 class="font-semibold text-slate-900">"New video"</h2>
            <p class="mt-1 text-sm text-slate-600">"Saved as a draft: upload its file and publish it from its page."</p>
            <VideoFormView action=save video=None />
        </section>
    }
}

/// `/admin/videos/:id`: publish it (or take it back to draft), edit it, delete it after a
/// confirmation.
#[component]
pub fn AdminVideoPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let video = Resource::new(id, get_video);
    let save = ServerAction::<SaveVideo>::new();
    let publish = ServerAction::<PublishVideo>::new();
    let delete = ServerAction::<DeleteVideo>::new();
    let remove_file = ServerAction::<RemoveVideoFile>::new();
    let remove_poster = ServerAction::<RemoveVideoPoster>::new();
    Effect::new(move |_| {
        let versions = [
            save.version().get(),
            publish.version().get(),
            remove_file.version().get(),
            remove_poster.version().get(),
        ];
        if versions.iter().sum::<usize>() > 0 {
            video.refetch();
        }
    });
    crate::ui::leave_on_success(delete.value(), "/admin/videos");
    view! {
        <Title text="Video" />
        <p><a href="/admin/videos" class="text-sm text-indigo-700 hover:underline">"← Videos"</a></p>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match video.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(v) => {
                        let (delete_id, delete_title) = (v.id.clone(), v.title.clone());
                        let confirm_delete = move |_| {
                            let question = format!("Delete the video \"{delete_title}\" and its view counts? This cannot be undone.");
                            if window().confirm_with_message(&question).unwrap_or(false) {
                                delete.dispatch(DeleteVideo { id: delete_id.clone() });
                            }
                        };
                        let (status, button) = match &v.published_on {
                            Some(day) => (format!("Published {day} at /videos/{}", v.slug), "Take back to draft"),
                            None => ("Draft: only admins see it.".to_string(), "Publish"),
                        };
                        let publish_id = v.id.clone();
                        let published = v.published;
                        let captions = match &v.captions_language {
                            Some(language) => format!("Captions: {language}."),
                            None => "No captions yet: deaf and hard-of-hearing supporters cannot follow it. Add them below.".to_string(),
                        };
                        let source = match (&v.file, v.video_url.as_str()) {
                            (Some(file), _) => format!("Plays the uploaded file {} ({}).", file.original_name, megabytes(file.bytes)),
                            (None, "") => "No video file yet: upload one, or give its address in the form.".to_string(),
                            (None, url) => format!("Plays {url}"),
                        };
                        view! {
                            <h1 class="mt-2 text-2xl font-bold text-slate-900">{v.title.clone()}</h1>
                            <p class="mt-1 text-slate-700" data-testid="video-status">{status}</p>
                            <p class="mt-1 text-sm text-slate-700" data-testid="video-views">{crate::ui::count(v.views, "view")}</p>
                            <p class="mt-1 text-sm text-slate-700 break-all" data-testid="video-source">{source}</p>
                            <p class="mt-1 text-sm text-slate-700" data-testid="video-captions">{captions}</p>
                            {published.then(|| view! { <a href=format!("/videos/{}", v.slug) class="text-sm text-indigo-700 hover:underline">"Open the public page"</a> })}
                            <FormError error=last_error(publish.value()) />
                            <FormError error=last_error(delete.value()) />
                            <div class="mt-3 flex gap-3">
                                <button class=SMALL_BUTTON disabled=move || publish.pending().get()
                                    on:click=move |_| { publish.dispatch(PublishVideo { id: publish_id.clone(), publish: !published }); }>
                                    {button}
                                </button>
                                <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700" on:click=confirm_delete>"Delete video"</button>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        // Drawn once, so that an upload in progress, and what is being typed in the form, stay
        // when the video is published, saved or given a file; the file's button follows it.
        <Transition>
            {move || Suspend::new(async move {
                let _ = id();
                let v = crate::live::loaded_once(video).await.ok()?;
                let refetch = Callback::new(move |_| video.refetch());
                let remove = move || video.get().and_then(Result::ok).and_then(|v| {
                    let (remove_id, name) = (v.id, v.file?.original_name);
                    let confirm_remove = move |_| {
                        let question = format!("Remove the uploaded file {name}? The video then plays the address given in the form, if any.");
                        if window().confirm_with_message(&question).unwrap_or(false) {
                            remove_file.dispatch(RemoveVideoFile { id: remove_id.clone() });
                        }
                    };
                    Some(view! {
                        <div class="mt-3">
                            <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700"
                                disabled=move || remove_file.pending().get() on:click=confirm_remove>"Remove the file"</button>
                        </div>
                    })
                });
                Some(view! {
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Upload the video file"</h2>
                        <p class="mt-1 text-sm text-slate-600">"An MP4 or WebM file. It is played rather than an address given below; a new upload replaces the last one. An MP4 is stored without the place it was filmed and the phone's details."</p>
                        <FileUpload action=upload_path(&v.id) label="Video file" testid="video" uploaded=refetch
                            accept="video/mp4,video/webm,video/quicktime,.mp4,.m4v,.mov,.webm" />
                        <FormError error=last_error(remove_file.value()) />
                        {remove}
                    </section>
                    <Poster id=v.id.clone() video=video remove=remove_poster uploaded=refetch />
                    <Captions id=v.id.clone() video=video saved=refetch />
                    <section class=CARD>
                        <h2 class="font-semibold text-slate-900">"Edit"</h2>
                        <VideoFormView action=save video=Some(v) />
                    </section>
                })
            })}
        </Transition>
    }
}

/// The poster picture: the one shown, the upload replacing it, and its removal after a
/// confirmation. Follows `video` as it reloads.
#[component]
fn Poster(
    id: String,
    video: Resource<Result<Video, crate::error::AppError>>,
    remove: ServerAction<RemoveVideoPoster>,
    uploaded: Callback<()>,
) -> impl IntoView {
    let shown = move || {
        video.get().and_then(Result::ok).and_then(|v| {
            let (remove_id, path) = (v.id.clone(), v.poster_path()?);
            let confirm_remove = move |_| {
                let question = "Remove the poster? The player then shows the video's first frame.";
                if window().confirm_with_message(question).unwrap_or(false) {
                    remove.dispatch(RemoveVideoPoster { id: remove_id.clone() });
                }
            };
            Some(view! {
                <img src=path alt="The poster now shown" class="mt-3 max-h-48 rounded-md ring-1 ring-slate-200" data-testid="poster-shown" />
                <div class="mt-3">
                    <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700"
                        disabled=move || remove.pending().get() on:click=confirm_remove>"Remove the poster"</button>
                </div>
            })
        })
    };
    view! {
        <section class=CARD data-testid="poster">
            <h2 class="font-semibold text-slate-900">"Poster picture"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Shown in the player before the video plays, beside it on the videos page, and large where a link to it is shared. A JPEG, PNG, WebP or GIF up to 10 MB, ideally 1280 × 720; a larger one is stored scaled down to 1,600 pixels on its longest side, and a photo without the place it was taken."
            </p>
            {shown}
            <FormError error=last_error(remove.value()) />
            <FileUpload action=poster_upload_path(&id) label="Picture" testid="poster" uploaded=uploaded
                accept="image/jpeg,image/png,image/webp,image/gif" />
        </section>
    }
}

/// The captions field's id, where a chosen file's text goes.
const CAPTIONS_FIELD_ID: &str = "captions-text";

/// The captions form: pasted WebVTT or SubRip (or chosen as a file), their language, saved or removed (after a
/// confirmation); `saved` runs after each change. Once saved, the form shows the captions as
/// kept, in WebVTT, and a player below plays `video` with them, draft or not.
#[component]
fn Captions(
    id: String,
    video: Resource<Result<Video, crate::error::AppError>>,
    saved: Callback<()>,
) -> impl IntoView {
    let captions = Resource::new(
        {
            let id = id.clone();
            move || id.clone()
        },
        get_video_captions,
    );
    let save = ServerAction::<SaveVideoCaptions>::new();
    let error = last_error(save.value());
    let changed = RwSignal::new(false);
    // Emptied on each save, so that its fields show the captions as kept (WebVTT) once they
    // come back, rather than keeping what was typed.
    let form = NodeRef::<leptos::html::Form>::new();
    crate::ui::empty_on_success(save.value(), form);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            captions.refetch();
            saved.run(());
        }
    });
    // A chosen file's text goes into the field, to be checked and saved as if pasted.
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        crate::ui::read_chosen_file(&ev, move |text| {
            use wasm_bindgen::JsCast;
            let field = document().get_element_by_id(CAPTIONS_FIELD_ID);
            if let Some(field) = field.and_then(|f| f.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                field.set_value(&text);
                changed.set(true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <section class=CARD data-testid="captions">
            <h2 class="font-semibold text-slate-900">"Captions"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Paste the text of a WebVTT (.vtt) or SubRip (.srt) file, as captioning services and video editors export them. Viewers turn them on with the player's CC button."
            </p>
            <Transition fallback=|| view! { <p class="mt-3 text-slate-600">"Loading…"</p> }>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match captions.await {
                            Err(e) => view! { <LoadError error=e /> }.into_any(),
                            Ok(current) => {
                                let has_captions = !current.text.is_empty();
                                // The video as it reloads (a new file), with the captions saved.
                                let preview = {
                                    let current = current.clone();
                                    move || captions_preview(video.get()?.ok()?, current.clone())
                                };
                                let (remove_id, edits) = (id.clone(), current.edits);
                                let confirm_remove = move |_| {
                                    let question = "Remove this video's captions? Viewers then have none.";
                                    if window().confirm_with_message(question).unwrap_or(false) {
                                        let form = CaptionsForm { edits, ..CaptionsForm::default() };
                                        save.dispatch(SaveVideoCaptions { id: remove_id.clone(), form });
                                    }
                                };
                                view! {
                                    <ActionForm action=save node_ref=form attr:class="mt-3 grid gap-3" attr:novalidate=true on:input=move |_| changed.set(true) on:submit=move |_| changed.set(false)>
                                        <input type="hidden" name="id" value=id.clone() />
                                        <input type="hidden" name="form[edits]" value=current.edits />
                                        <FormError error=error />
                                        <TextArea label="Captions" name="form[captions]" id=CAPTIONS_FIELD_ID rows=10 maxlength=CAPTIONS_MAX_CHARS as u32 value=current.text error=error />
                                        <label class="text-sm text-slate-700">
                                            "Or choose the file (.vtt or .srt)"
                                            <input type="file" accept=".vtt,.srt,text/vtt" class="mt-1 block text-sm" on:change=on_file />
                                        </label>
                                        <Field label="Language (a tag like en, fr or es-419)" name="form[language]" value=current.language required=true error=error />
                                        <div class="flex flex-wrap gap-3">
                                            <button type="submit" class=SMALL_BUTTON disabled=move || save.pending().get()>"Save captions"</button>
                                            {has_captions.then(|| view! {
                                                <button type="button" class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-semibold text-red-700"
                                                    disabled=move || save.pending().get() on:click=confirm_remove>"Remove captions"</button>
                                            })}
                                        </div>
                                    </ActionForm>
                                    {preview}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
            <crate::ui::SavedNote saved=save.value() changed testid="captions-saved" />
        </section>
    }
}

/// A player of `video` with its saved `captions` on, to check their words and timing before
/// publishing; nothing while it has no file or address to play, or no captions.
fn captions_preview(video: Video, captions: VideoCaptions) -> Option<impl IntoView> {
    let source = video.source();
    if source.is_empty() || captions.text.is_empty() {
        return None;
    }
    let track = captions_preview_path(&video.id, captions.edits);
    Some(view! {
        <div class="mt-4" data-testid="captions-preview">
            <h3 class="text-sm font-semibold text-slate-900">"Check them as viewers will see them"</h3>
            <video class="mt-2 w-full max-w-xl rounded-lg bg-black" controls=true preload="metadata" src=source
                poster=video.poster_path() aria-label=format!("{} with its saved captions", video.title)>
                <track kind="captions" default=true src=track srclang=captions.language.clone() label=format!("Captions ({})", captions.language) />
            </video>
        </div>
    })
}

/// A file's size for people: `12.3 MB`.
fn megabytes(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// The form uploading a file (a video's, a story's picture) to `action`, with the fields in
/// `children` before it. Once the page's code has loaded it sends them from script with a
/// progress bar and calls `uploaded`; before that it posts plainly and the server sends the
/// browser back to the page. Its progress and error lines are `{testid}-upload-progress` and
/// `{testid}-upload-error`.
#[component]
pub fn FileUpload(
    action: String,
    label: &'static str,
    accept: &'static str,
    testid: &'static str,
    uploaded: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let (percent, set_percent) = signal(None::<u32>);
    let (error, set_error) = signal(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        upload_with_progress(&ev, set_percent, set_error, uploaded);
        #[cfg(not(feature = "hydrate"))]
        let _ = (set_percent, set_error, uploaded);
    };
    view! {
        <form method="post" enctype="multipart/form-data" action=action on:submit=on_submit class="mt-3 grid gap-3">
            {children.map(|fields| fields())}
            <label class="text-sm text-slate-700">
                {label}
                <input type="file" name="file" accept=accept required=true class="mt-1 block text-sm" />
            </label>
            // Named for its file: a page may have more than one upload.
            <div><button type="submit" class=SMALL_BUTTON disabled=move || percent.get().is_some()>{format!("Upload the {}", label.to_lowercase())}</button></div>
            {move || percent.get().map(|p| view! {
                <p class="flex items-center gap-2 text-sm text-slate-700" role="status" data-testid=format!("{testid}-upload-progress")>
                    <progress max="100" value=p class="w-64"></progress>
                    // Once the whole file is sent the server still checks and stores it (a
                    // phone's photo is scaled, about a second): said, not a bar stuck at 100 %.
                    {if p < 100 { format!("Uploading… {p} %") } else { "Sent; saving it…".to_string() }}
                </p>
            })}
            <p class="text-sm text-red-600" role="alert" data-testid=format!("{testid}-upload-error")>{move || error.get()}</p>
        </form>
    }
}

/// Sends the submitted form's file with `XMLHttpRequest`, whose upload reports progress
/// (`fetch` does not).
#[cfg(feature = "hydrate")]
fn upload_with_progress(
    ev: &leptos::ev::SubmitEvent,
    set_percent: WriteSignal<Option<u32>>,
    set_error: WriteSignal<Option<String>>,
    uploaded: Callback<()>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
    let (Ok(data), Ok(request)) = (web_sys::FormData::new_with_form(&form), web_sys::XmlHttpRequest::new())
    else {
        return;
    };
    if request.open("POST", &form.action()).is_err()
        || request.set_request_header("Accept", "application/json").is_err()
    {
        return;
    }
    set_error.set(None);
    set_percent.set(Some(0));
    if let Ok(upload) = request.upload() {
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |p: web_sys::ProgressEvent| {
                if p.length_computable() && p.total() > 0.0 {
                    set_percent.set(Some((p.loaded() / p.total() * 100.0).floor() as u32));
                }
            });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    let finished = request.clone();
    let on_end = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        set_percent.set(None);
        match finished.status() {
            Ok(200) => {
                form.reset();
                uploaded.run(());
            }
            Ok(0) | Err(_) => {
                set_error.set(Some("The upload stopped: check the connection and try again.".into()))
            }
            Ok(_) => set_error.set(finished.response_text().ok().flatten()),
        }
    });
    request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    if request.send_with_opt_form_data(Some(&data)).is_err() {
        set_percent.set(None);
        set_error.set(Some("The upload could not start; try again.".into()));
    }
}

/// `/videos`: the published videos, newest first, 20 a page.
#[component]
pub fn PublicVideosPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(crate::ui::page_param);
    let videos = Resource::new(page, public_videos);
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <crate::ui::SharedPageHead title="Videos".to_string() description="Watch what we do, and share it.".to_string() />
            <h1 class="text-3xl font-bold text-slate-900">"Videos"</h1>
            <p class="mt-2 text-slate-600">"Watch what we do, and share it."</p>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match videos.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(page) if page.rows.is_empty() => view! {
                            <p class="mt-6 text-slate-600" data-testid="videos-empty">"No videos yet: come back soon."</p>
                        }.into_any(),
                        Ok(page) => view! {
                            <ul class="mt-6 space-y-4">
                                {page.rows.into_iter().map(|v| view! {
                                    <li class="flex gap-4 rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid="video">
                                        // The title beside it names the video: the picture adds nothing to read.
                                        {v.poster_path().map(|path| view! {
                                            <img src=path alt="" loading="lazy" class="h-24 w-40 shrink-0 rounded-md object-cover" data-testid="video-poster" />
                                        })}
                                        <div class="min-w-0">
                                            <h2 class="text-xl font-semibold"><a href=format!("/videos/{}", v.slug) class="text-indigo-700 hover:underline">{v.title}</a></h2>
                                            <p class="mt-1 text-sm text-slate-600">{v.published_on}</p>
                                            <p class="mt-2 line-clamp-3 whitespace-pre-line text-slate-700">{v.description}</p>
                                        </div>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {crate::ui::pager("videos", page.page, page.has_more, |n| format!("/videos?page={n}"), crate::ui::PAGES_NEWEST_FIRST, false)}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// `/videos/:slug`: one published video in the browser's player, and its transcript when it
/// has captions. Its first play on the page counts as a view.
#[component]
pub fn PublicVideoPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let video = Resource::new(slug, public_video);
    let transcript = Resource::new(slug, video_transcript);
    let count_view = ServerAction::<CountVideoView>::new();
    view! {
        <PublicHeader />
        <main id="main" class="mx-auto max-w-3xl px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-slate-600">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Read with the video: none is shown when it cannot be read.
                    let paragraphs = transcript.await.unwrap_or_default();
                    match video.await {
                        Err(e) => view! { <crate::ui::AppErrorNotice error=e /> }.into_any(),
                        Ok(v) => {
                            let played = StoredValue::new(false);
                            let played_slug = v.slug.clone();
                            let on_play = move |_| {
                                if !played.get_value() {
                                    played.set_value(true);
                                    count_view.dispatch(CountVideoView { slug: played_slug.clone() });
                                }
                            };
                            view! {
                                <crate::ui::SharedPageHead title=v.title.clone() description=v.description.clone() image=v.poster_path() />
                                <p><a href="/videos" class="text-sm text-indigo-700 hover:underline">"← Videos"</a></p>
                                <h1 class="mt-2 text-3xl font-bold text-slate-900">{v.title.clone()}</h1>
                                <p class="mt-1 text-sm text-slate-600">{v.published_on.clone()}</p>
                                <video class="mt-4 w-full rounded-lg bg-black" controls=true preload="metadata" src=v.source() poster=v.poster_path()
                                    aria-label=v.title.clone() on:play=on_play data-testid="player">
                                    {v.captions_language.clone().map(|language| view! {
                                        <track kind="captions" src=v.captions_path() srclang=language.clone() label=format!("Captions ({language})") />
                                    })}
                                    <a href=v.source() class="text-indigo-700 underline">"Download the video"</a>
                                </video>
                                <div class="mt-4 whitespace-pre-line text-slate-700" data-testid="video-description"><crate::ui::LinkedText text=v.description.clone() /></div>
                                // For those who cannot hear it nor see the captions, and anyone who would rather read.
                                {(!paragraphs.is_empty()).then(|| view! {
                                    <details class="mt-6 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200" data-testid="transcript">
                                        <summary class="cursor-pointer font-semibold text-slate-900">"Read the transcript"</summary>
                                        <div class="mt-3 space-y-3 text-slate-700">
                                            {paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                                        </div>
                                    </details>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
