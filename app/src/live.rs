//! The live event stream in the browser: an `EventSource` on `/api/events/stream`, decoded
//! with the shared catalog. Pages use it to show events as they happen or to refresh what
//! they display when something changes.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

use crate::events::Envelope;

/// Opens the stream at `url` while the calling component lives. `on_open` runs at every
/// (re)connection; `on_error(closed)` when the connection drops (`closed`: the browser gave
/// up, e.g. after signing out). The browser reconnects by itself with `Last-Event-ID`.
pub fn use_stream(
    url: &'static str,
    receive: impl Fn(Envelope) + Clone + 'static,
    on_open: impl Fn() + Clone + 'static,
    on_error: impl Fn(bool) + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(source) = browser::connect(url, receive.clone(), on_open.clone(), on_error.clone()) {
            let source = send_wrapper::SendWrapper::new(source);
            on_cleanup(move || source.close());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, receive, on_open, on_error);
}

/// How often at most a page refreshes what it shows while events keep coming.
#[cfg(feature = "hydrate")]
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Calls `changed` when events arrive on the stream at `url` (give it a `?topics=` filter,
/// e.g. `/api/events/stream?topics=shift.*`): at once for the first, then at most once every
/// `REFRESH_EVERY` while more come, and always once after the last. A stream of sign-ups or an
/// import then costs a page a few fetches, not one per event.
pub fn on_change(url: &'static str, changed: impl Fn() + Clone + 'static) {
    #[cfg(feature = "hydrate")]
    let changed = browser::throttled(changed, REFRESH_EVERY);
    use_stream(url, move |_| changed(), || {}, |_| {});
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::{TimeoutHandle, on_cleanup, set_timeout_with_handle};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    use crate::events::{CATALOG, Envelope};

    pub fn connect(
        url: &str,
        receive: impl Fn(Envelope) + 'static,
        on_open: impl Fn() + 'static,
        on_error: impl Fn(bool) + 'static,
    ) -> Option<EventSource> {
        let source = EventSource::new(url).ok()?;
        let opened = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_open());
        source.set_onopen(Some(opened.as_ref().unchecked_ref()));
        opened.forget();
        let watched = source.clone();
        let failed = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            on_error(watched.ready_state() == EventSource::CLOSED)
        });
        source.set_onerror(Some(failed.as_ref().unchecked_ref()));
        failed.forget();
        // Events are named by topic, so listen for every topic of the catalog.
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(envelope) =
                e.data().as_string().and_then(|t| serde_json::from_str::<Envelope>(&t).ok())
            {
                receive(envelope);
            }
        });
        for info in CATALOG {
            let _ = source.add_event_listener_with_callback(info.topic, message.as_ref().unchecked_ref());
        }
        message.forget();
        Some(source)
    }

    /// The window after a call, and whether an event came during it.
    #[derive(Default)]
    struct Window {
        timer: Cell<Option<TimeoutHandle>>,
        missed: Cell<bool>,
    }

    /// `call`, made at once when no window is open (opening one of `every`), and once more
    /// when a window closes that had calls in it.
    pub fn throttled(call: impl Fn() + Clone + 'static, every: Duration) -> impl Fn() + Clone + 'static {
        let window = Rc::new(Window::default());
        // A timer left when the page goes would call into a page that is gone.
        let on_leave = send_wrapper::SendWrapper::new(window.clone());
        on_cleanup(move || {
            if let Some(timer) = on_leave.timer.take() {
                timer.clear();
            }
        });
        move || {
            if window.timer.get().is_some() {
                window.missed.set(true);
            } else {
                call();
                open_window(window.clone(), call.clone(), every);
            }
        }
    }

    fn open_window(window: Rc<Window>, call: impl Fn() + Clone + 'static, every: Duration) {
        let closing = window.clone();
        let timer = set_timeout_with_handle(
            move || {
                closing.timer.set(None);
                if closing.missed.replace(false) {
                    call();
                    open_window(closing, call, every);
                }
            },
            every,
        );
        window.timer.set(timer.ok());
    }
}
