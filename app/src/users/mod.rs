//! Accounts and roles (SPEC §2 "users", §5). The admin screens for users come with their
//! own issue; this module holds the records every other module relies on.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod service;

/// The roles of SPEC §5. Stored and sent as SCREAMING_SNAKE_CASE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    SuperAdmin,
    Admin,
    PaymentsAdmin,
    EventsAdmin,
    Volunteer,
    Temp,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::SuperAdmin, Role::Admin, Role::PaymentsAdmin, Role::EventsAdmin, Role::Volunteer, Role::Temp];

    /// Roles that may enter the admin area at all.
    pub const ADMIN_AREA: &'static [Role] =
        &[Role::SuperAdmin, Role::Admin, Role::PaymentsAdmin, Role::EventsAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPER_ADMIN",
            Role::Admin => "ADMIN",
            Role::PaymentsAdmin => "PAYMENTS_ADMIN",
            Role::EventsAdmin => "EVENTS_ADMIN",
            Role::Volunteer => "VOLUNTEER",
            Role::Temp => "TEMP",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::PaymentsAdmin => "Payments admin",
            Role::EventsAdmin => "Events admin",
            Role::Volunteer => "Volunteer",
            Role::Temp => "Temporary",
        }
    }

    /// Whether someone with this role may do what needs one of `allowed`.
    /// A super admin may do everything.
    pub fn satisfies(self, allowed: &[Role]) -> bool {
        self == Role::SuperAdmin || allowed.contains(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Active,
    /// Registered, waiting for an admin's approval.
    Pending,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Pending => "PENDING",
            UserStatus::Disabled => "DISABLED",
        }
    }

    pub fn parse(text: &str) -> Option<UserStatus> {
        [UserStatus::Active, UserStatus::Pending, UserStatus::Disabled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("ROOT"), None);
    }

    #[test]
    fn super_admin_satisfies_every_requirement_and_others_only_their_own() {
        assert!(Role::SuperAdmin.satisfies(&[Role::PaymentsAdmin]));
        assert!(Role::Admin.satisfies(Role::ADMIN_AREA));
        assert!(!Role::Volunteer.satisfies(Role::ADMIN_AREA));
        assert!(!Role::Admin.satisfies(&[Role::SuperAdmin]));
    }
}
