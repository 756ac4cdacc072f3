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

/// Calls `changed` whenever an event arrives on the stream at `url` (give it a `?topics=`
/// filter, e.g. `/api/events/stream?topics=shift.*`).
pub fn on_change(url: &'static str, changed: impl Fn() + Clone + 'static) {
    use_stream(url, move |_| changed(), || {}, |_| {});
}

#[cfg(feature = "hydrate")]
mod browser {
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
}
