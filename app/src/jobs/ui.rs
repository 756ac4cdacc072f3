//! The progress bar of a background job, refreshed until the job ends.

use leptos::prelude::*;

use super::get_job;

/// How often a running job's progress is read.
#[cfg(feature = "hydrate")]
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// A job's progress bar; when it ends, its summary, then each problem by line.
#[component]
pub fn JobProgress(id: String) -> impl IntoView {
    // Read in the browser only: the bar is drawn inside pages' `Suspend`s, which the server
    // draws several times, so a resource shared with the server would be numbered differently
    // there and break the page's hydration.
    let job = LocalResource::new(move || get_job(id.clone()));
    #[cfg(feature = "hydrate")]
    {
        let running = move || !job.get_untracked().and_then(Result::ok).is_some_and(|j| j.finished());
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if running() {
                    job.refetch();
                }
            },
            POLL_EVERY,
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    // Drawn once the page has come alive: a bar in the server's render of a page (a text
    // campaign's, opened by its address) broke that page's hydration.
    let page_ready = crate::ui::hydrated();
    let reading = || view! { <p class="mt-3 text-sm text-slate-600" role="status">"Reading progress…"</p> };
    view! {
        // Until the first read (and on the server), which may find the job long finished.
        <Show when=move || page_ready.get() fallback=reading>
            <Transition fallback=reading>
                {move || Suspend::new(async move {
                    match job.await {
                        Err(e) => view! { <p class="mt-3 text-sm text-red-600" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(j) => {
                            let percent = j.percent();
                            let outcome = match (j.status.as_str(), &j.result) {
                                ("RUNNING", _) => format!("{} of {} done…", crate::ui::thousands(j.done), crate::ui::thousands(j.total)),
                                ("DONE", Some(r)) => r.summary.clone(),
                                _ => j.error.clone().unwrap_or_default(),
                            };
                            let problems = j.result.map(|r| r.problems).unwrap_or_default();
                            let ok = j.status != "FAILED" && j.status != "INTERRUPTED";
                            view! {
                                <div class="mt-3" data-testid="job" data-status=j.status.clone()>
                                    <div class="h-3 w-full overflow-hidden rounded bg-slate-200" role="progressbar" aria-label="Progress"
                                        aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                                        <div class="h-3 bg-indigo-600 transition-all" style=format!("width: {percent}%")></div>
                                    </div>
                                    <p class=if ok { "mt-2 text-sm text-slate-800" } else { "mt-2 text-sm text-red-700" } role="status" data-testid="job-summary">
                                        {outcome}
                                    </p>
                                    {(!problems.is_empty()).then(|| view! {
                                        <ul class="mt-2 max-h-64 overflow-y-auto text-sm text-red-700" data-testid="job-problems">
                                            {problems.into_iter().map(|p| view! { <li>{format!("Line {}: {}", p.line, p.message)}</li> }).collect_view()}
                                        </ul>
                                    })}
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Show>
    }
}
