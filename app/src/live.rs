//! The live event stream in the browser: an `EventSource` on `/api/events/stream`, decoded
//! with the shared catalog. Pages use it to show events as they happen or to refresh what
//! they display when something changes.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

use crate::events::Envelope;

/// Opens the stream at `url` while the calling component lives. `on_open` runs at every
/// (re)connection; `on_error(closed)` when the connection drops (`closed`: the browser gave
/// up, e.g. after signing out). The browser reconnects by itself with `Last-Event-ID`.
/// While the page is hidden (a tab behind another) the stream is closed, and it is opened
/// again from the last message it had when the page is shown: a browser keeps six connections
/// per server over HTTP/1.1, and each live tab would hold one. That pause is not a dropped
/// connection: neither its closing nor its opening again calls `on_error` or `on_open`.
pub fn use_stream(
    url: &'static str,
    receive: impl Fn(Envelope) + Clone + 'static,
    on_open: impl Fn() + Clone + 'static,
    on_error: impl Fn(bool) + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let stream = browser::Stream::open(url, receive.clone(), on_open.clone(), on_error.clone());
        let stream = send_wrapper::SendWrapper::new(stream);
        on_cleanup(move || stream.take().close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, receive, on_open, on_error);
}

/// Waits for a page's `resource` without redrawing what awaits it when it is fetched anew (by
/// live events, or after an action on the page): for the part of a page that holds its forms,
/// so that what someone is typing there stays, and an edit form keeps the `edits` it was opened
/// with, while the rest of the page follows the changes. The `Suspend` that awaits this should
/// read the page's address first, so that another page's forms are drawn anew.
pub async fn loaded_once<T: Clone + Send + Sync + 'static>(resource: leptos::prelude::Resource<T>) -> T {
    leptos::reactive::computed::ScopedFuture::new_untracked(resource.into_future()).await
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
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::{TimeoutHandle, on_cleanup, set_timeout_with_handle};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Event, EventSource, MessageEvent};

    use crate::events::{CATALOG, Envelope};

    /// The name of the stream's first message, whose id is where the stream starts.
    const READY: &str = "ready";

    /// What a stream's connections share: the one open now, and the id of the last message
    /// had, to resume from.
    #[derive(Default)]
    struct Position {
        source: RefCell<Option<EventSource>>,
        last_seen: Cell<Option<i64>>,
        /// Paused while the page was hidden, and not opened again since without an error.
        resuming: Cell<bool>,
    }

    impl Position {
        fn close(&self) {
            if let Some(source) = self.source.borrow().as_ref() {
                source.close();
            }
        }

        /// Closes the connection while the page is hidden, to open it again when shown. Only
        /// one that was open resumes unannounced: one still connecting (or reconnecting after
        /// an error) announces its opening as usual.
        fn pause(&self) {
            if let Some(source) = self.source.borrow().as_ref() {
                self.resuming.set(source.ready_state() == EventSource::OPEN);
                source.close();
            }
        }

        fn is_closed(&self) -> bool {
            self.source.borrow().as_ref().is_none_or(|s| s.ready_state() == EventSource::CLOSED)
        }
    }

    /// The handlers of the stream's messages, kept for each connection it opens.
    struct Handlers {
        opened: Closure<dyn FnMut(Event)>,
        failed: Closure<dyn FnMut(Event)>,
        message: Closure<dyn FnMut(MessageEvent)>,
        ready: Closure<dyn FnMut(MessageEvent)>,
    }

    /// A page's stream, from `use_stream` until the page goes. Its handlers live as long as
    /// `on_visibility`, which opens each connection with them.
    pub struct Stream {
        position: Rc<Position>,
        on_visibility: Closure<dyn FnMut(Event)>,
    }

    impl Stream {
        pub fn open(
            url: &str,
            receive: impl Fn(Envelope) + 'static,
            on_open: impl Fn() + 'static,
            on_error: impl Fn(bool) + 'static,
        ) -> Stream {
            let document = leptos::prelude::document();
            let position = Rc::new(Position::default());
            let seen = position.clone();
            let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(envelope) =
                    e.data().as_string().and_then(|t| serde_json::from_str::<Envelope>(&t).ok())
                {
                    seen.last_seen.set(Some(envelope.seq));
                    receive(envelope);
                }
            });
            // A page opened behind another tab closes its stream once it knows where to
            // resume from.
            let started = position.clone();
            let hidden = document.clone();
            let ready = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(seq) = e.data().as_string().and_then(|t| t.parse().ok()) {
                    started.last_seen.set(Some(seq));
                }
                if hidden.hidden() {
                    started.pause();
                }
            });
            let dropped = position.clone();
            let failed = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
                dropped.resuming.set(false);
                let source = e.target().and_then(|t| t.dyn_into::<EventSource>().ok());
                on_error(source.is_none_or(|s| s.ready_state() == EventSource::CLOSED))
            });
            let resumed = position.clone();
            let opened = Closure::<dyn FnMut(Event)>::new(move |_| {
                if !resumed.resuming.replace(false) {
                    on_open()
                }
            });
            let handlers = Rc::new(Handlers { opened, failed, message, ready });
            connect(url, &position, &handlers);
            let shown = (position.clone(), handlers, url.to_string(), document.clone());
            let on_visibility = Closure::<dyn FnMut(Event)>::new(move |_| {
                let (position, handlers, url, document) = &shown;
                if document.hidden() {
                    position.pause();
                } else if position.is_closed() {
                    connect(url, position, handlers);
                }
            });
            let _ = document
                .add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
            Stream { position, on_visibility }
        }

        /// Closes the connection for good: the page is going.
        pub fn close(self) {
            let _ = leptos::prelude::document().remove_event_listener_with_callback(
                "visibilitychange",
                self.on_visibility.as_ref().unchecked_ref(),
            );
            self.position.close();
        }
    }

    /// Opens a connection at `url`, resuming after the last message had, in place of the last
    /// connection.
    fn connect(url: &str, position: &Position, handlers: &Handlers) {
        let url = match position.last_seen.get() {
            Some(seq) => format!("{url}{}since={seq}", if url.contains('?') { '&' } else { '?' }),
            None => url.to_string(),
        };
        let Ok(source) = EventSource::new(&url) else { return };
        source.set_onopen(Some(handlers.opened.as_ref().unchecked_ref()));
        source.set_onerror(Some(handlers.failed.as_ref().unchecked_ref()));
        // Events are named by topic, so listen for every topic of the catalog.
        for info in CATALOG {
            let _ = source
                .add_event_listener_with_callback(info.topic, handlers.message.as_ref().unchecked_ref());
        }
        let _ = source.add_event_listener_with_callback(READY, handlers.ready.as_ref().unchecked_ref());
        if let Some(previous) = position.source.replace(Some(source)) {
            previous.close();
        }
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
