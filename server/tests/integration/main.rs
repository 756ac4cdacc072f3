//! Every integration test in one binary: each test binary links the whole server, so one link
//! instead of one per file saves minutes of build and gigabytes of disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod access;
mod accounts;
mod audit;
mod binary;
mod campaigns;
mod canvass;
mod contacts;
mod edits;
mod email;
mod event_bus;
mod http;
mod integrations;
mod live_stats;
mod meetings;
mod newsletter;
mod payments;
mod personal_data;
mod reengagement;
mod shifts;
mod sms;
mod stories;
mod ticketed_events;
mod time_zone;
mod users;
mod videos;
