//! Changemaker: the application — pages, server functions and domain logic.
//!
//! Browser-and-server code compiles for both; server-only parts sit behind the `ssr`
//! feature. Each module of SPEC.md §2 lives in its own folder: `mod.rs` (shared types and
//! `#[server]` functions), `service.rs` (ssr: rules, SQL, events), `ui.rs` (pages).

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::admin::ui::ForRoles;

pub mod admin;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod campaigns;
pub mod canvass;
pub mod contacts;
pub mod csv;
pub mod email;
pub mod error;
pub mod events;
pub mod home;
pub mod ics;
pub mod integrations;
pub mod jobs;
pub mod live;
pub mod media;
pub mod meetings;
pub mod observability;
pub mod payments;
pub mod qr;
pub mod reengagement;
pub mod shifts;
pub mod slug;
pub mod sms;
pub mod stories;
pub mod template;
pub mod ticketed_events;
pub mod time;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod time_zone;

/// An indigo square with a white "C", as an SVG data URL.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E\
%3Crect width='32' height='32' rx='7' fill='%234f46e5'/%3E\
%3Ctext x='16' y='23' font-family='sans-serif' font-size='20' font-weight='700' fill='white' text-anchor='middle'%3EC%3C/text%3E%3C/svg%3E";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // An icon in the page itself, so browsers do not ask for /favicon.ico (a 404).
                <link rel="icon" href=FAVICON />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-white text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets browser tests wait until the page is interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/changemaker.css" />
        <Title formatter=|text: String| ui::page_title(&text, "Changemaker") />
        // The first thing a keyboard reaches: past the header and the admin menu to the page's
        // own content (every page's `<main>` has the id `main`). `rel="external"` leaves it to
        // the browser, which moves the keyboard's place there too (the router would only
        // change the address).
        <a href="#main" rel="external" class="sr-only rounded-md bg-white text-sm font-semibold text-indigo-700 shadow focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:px-4 focus:py-2">
            "Skip to main content"
        </a>
        <Router>
            <Routes fallback=|| view! { <ui::NotFound /> }>
                <Route path=path!("/") view=home::ui::HomePage ssr=SsrMode::Async />
                <Route path=path!("/login") view=auth::ui::LoginPage />
                <Route path=path!("/forgot-password") view=auth::ui::ForgotPasswordPage />
                <Route path=path!("/unsubscribe") view=contacts::ui::UnsubscribePage ssr=SsrMode::Async />
                <Route path=path!("/meetings/reply") view=meetings::ui::MeetingReplyPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password") view=auth::ui::ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=auth::ui::AccountPage ssr=SsrMode::Async />
                <Route path=path!("/account/password") view=auth::ui::ChangePasswordPage ssr=SsrMode::Async />
                <Route path=path!("/account/confirm-email") view=auth::ui::ConfirmEmailPage ssr=SsrMode::Async />
                <Route path=path!("/setup") view=auth::ui::SetupPage ssr=SsrMode::Async />
                <Route path=path!("/register") view=users::ui::RegisterPage />
                <Route path=path!("/campaigns/:slug") view=campaigns::ui::PublicCampaignPage ssr=SsrMode::Async />
                <Route path=path!("/campaigns/:slug/respond") view=campaigns::ui::RespondPage ssr=SsrMode::Async />
                <Route path=path!("/shifts") view=shifts::ui::PublicShiftsPage ssr=SsrMode::Async />
                <Route path=path!("/shifts/cancel") view=shifts::ui::CancelSignupPage ssr=SsrMode::Async />
                <Route path=path!("/shifts/links") view=shifts::ui::LostLinksPage />
                <Route path=path!("/shifts/chosen") view=shifts::ui::ChosenShiftsPage ssr=SsrMode::Async />
                <Route path=path!("/shifts/:id") view=shifts::ui::ShiftSignupPage ssr=SsrMode::Async />
                <Route path=path!("/my/shifts") view=shifts::ui::MyShiftsPage ssr=SsrMode::Async />
                <Route path=path!("/canvass") view=canvass::ui::CanvassPage ssr=SsrMode::Async />
                <Route path=path!("/stories") view=stories::ui::PublicStoriesPage ssr=SsrMode::Async />
                <Route path=path!("/stories/:slug") view=stories::ui::PublicStoryPage ssr=SsrMode::Async />
                <Route path=path!("/videos") view=media::ui::PublicVideosPage ssr=SsrMode::Async />
                <Route path=path!("/videos/:slug") view=media::ui::PublicVideoPage ssr=SsrMode::Async />
                <Route path=path!("/events") view=ticketed_events::ui::PublicEventsPage ssr=SsrMode::Async />
                <Route path=path!("/events/:slug") view=ticketed_events::ui::PublicEventPage ssr=SsrMode::Async />
                <Route path=path!("/ticket") view=ticketed_events::ui::TicketPage ssr=SsrMode::Async />
                <Route path=path!("/donate") view=payments::ui::DonatePage ssr=SsrMode::Async />
                <Route path=path!("/donate/thanks") view=payments::ui::DonateThanksPage ssr=SsrMode::Async />
                <Route path=path!("/membership") view=payments::ui::MembershipPage ssr=SsrMode::Async />
                <Route path=path!("/membership/thanks") view=payments::ui::MembershipThanksPage ssr=SsrMode::Async />
                <Route path=path!("/shop") view=payments::ui::ShopPage ssr=SsrMode::Async />
                <Route path=path!("/shop/thanks") view=payments::ui::ShopThanksPage ssr=SsrMode::Async />
                <Route path=path!("/shop/:slug") view=payments::ui::ProductPage ssr=SsrMode::Async />
                // Each admin page refuses roles that may not load its data; the pages that load
                // nothing before a form is sent say who may use them with `ForRoles`.
                <ParentRoute path=path!("/admin") view=admin::ui::AdminShell ssr=SsrMode::Async>
                    <Route path=path!("") view=admin::ui::DashboardPage />
                    <Route path=path!("shifts") view=shifts::ui::AdminShiftsPage />
                    <Route path=path!("shifts/hours") view=shifts::ui::VolunteerHoursPage />
                    <Route path=path!("shifts/:id") view=shifts::ui::AdminShiftPage />
                    <Route path=path!("shifts/:id/sheet") view=shifts::ui::SignInSheetPage />
                    <Route path=path!("ticketed-events") view=ticketed_events::ui::AdminTicketedEventsPage />
                    <Route path=path!("ticketed-events/:id") view=ticketed_events::ui::AdminTicketedEventPage />
                    <Route path=path!("meetings") view=meetings::ui::AdminMeetingsPage />
                    <Route path=path!("meetings/:id") view=meetings::ui::AdminMeetingPage />
                    <Route path=path!("calendar") view=calendar::ui::CalendarPage />
                    <Route path=path!("canvass") view=canvass::ui::AdminCanvassPage />
                    <Route path=path!("canvass/addresses/:id") view=canvass::ui::AdminAddressPage />
                    <Route path=path!("canvass/turfs/:id") view=canvass::ui::AdminTurfPage />
                    <Route path=path!("stories") view=stories::ui::AdminStoriesPage />
                    <Route path=path!("stories/:id") view=stories::ui::AdminStoryPage />
                    <Route path=path!("videos") view=media::ui::AdminVideosPage />
                    <Route path=path!("videos/:id") view=media::ui::AdminVideoPage />
                    <Route path=path!("sms") view=sms::ui::AdminSmsPage />
                    <Route path=path!("sms/campaigns") view=sms::ui::AdminSmsCampaignsPage />
                    <Route path=path!("sms/campaigns/:id") view=sms::ui::AdminSmsCampaignPage />
                    <Route path=path!("users") view=users::ui::UsersPage />
                    <Route path=path!("campaigns") view=campaigns::ui::AdminCampaignsPage />
                    <Route path=path!("campaigns/:id") view=campaigns::ui::AdminCampaignPage />
                    <Route path=path!("contacts") view=contacts::ui::ContactsPage />
                    <Route path=path!("contacts/import") view=|| view! { <ForRoles roles=contacts::MANAGERS><contacts::ui::ImportContactsPage /></ForRoles> } />
                    <Route path=path!("reengagement") view=|| view! { <ForRoles roles=reengagement::MANAGERS><reengagement::ui::ReengagementPage /></ForRoles> } />
                    <Route path=path!("contacts/leaderboard") view=contacts::ui::LeaderboardPage />
                    <Route path=path!("contacts/:id") view=contacts::ui::ContactPage />
                    <Route path=path!("emails") view=email::ui::EmailQueuePage />
                    <Route path=path!("settings") view=email::ui::EmailSettingsPage />
                    <Route path=path!("integrations") view=integrations::ui::IntegrationsPage />
                    <Route path=path!("payments") view=payments::ui::AdminPaymentsPage />
                    <Route path=path!("payments/settings") view=payments::ui::PaymentSettingsPage />
                    <Route path=path!("payments/products") view=payments::ui::AdminProductsPage />
                    <Route path=path!("payments/plans") view=payments::ui::AdminPlansPage />
                    <Route path=path!("payments/audit") view=payments::ui::PaymentAuditPage />
                    <Route path=path!("events/bus") view=observability::ui::EventBusPage />
                    <Route path=path!("events/log") view=observability::ui::EventLogPage />
                    <Route path=path!("audit") view=audit::ui::AdminAuditPage />
                    <Route path=path!("events/live") view=|| view! { <ForRoles roles=observability::VIEWERS><observability::ui::LiveEventsPage /></ForRoles> } />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
