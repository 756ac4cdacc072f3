//! The listeners that talk to outside services (SPEC §3), set up under Integrations
//! (`app::integrations`). Each reads its settings at every delivery, so a change applies to
//! the next event without a restart.

pub mod automation;
pub mod newsletter;
pub mod public_calendar;
pub mod team_chat;
