//! Contacts (the CRM). The full module (list, tags, timeline, merge, import) comes with its
//! own issue; here is what every other module needs: a contact created or matched by email.

#[cfg(feature = "ssr")]
pub mod service;
