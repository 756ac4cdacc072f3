//! The admin area: its navigation (each module adds its entry to `NAV`, here and only here)
//! and the dashboard.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// One entry of the admin navigation, shown to the roles that may use it, under its group's
/// heading.
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub roles: &'static [Role],
    pub group: NavGroup,
}

/// The headings the admin navigation's entries come under, in their order; the dashboard has
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavGroup {
    Home,
    Organising,
    Outreach,
    People,
    Money,
    System,
}

impl NavGroup {
    pub const ALL: [NavGroup; 6] = [
        NavGroup::Home,
        NavGroup::Organising,
        NavGroup::Outreach,
        NavGroup::People,
        NavGroup::Money,
        NavGroup::System,
    ];

    /// The heading shown above its entries; none for the dashboard's.
    pub fn heading(self) -> Option<&'static str> {
        match self {
            NavGroup::Home => None,
            NavGroup::Organising => Some("Organising"),
            NavGroup::Outreach => Some("Outreach"),
            NavGroup::People => Some("People"),
            NavGroup::Money => Some("Money"),
            NavGroup::System => Some("System"),
        }
    }
}

use NavGroup::{Home, Money, Organising, Outreach, People, System};

pub const NAV: &[NavItem] = &[
    NavItem { label: "Dashboard", href: "/admin", roles: Role::ADMIN_AREA, group: Home },
    NavItem { label: "Shifts", href: "/admin/shifts", roles: crate::shifts::MANAGERS, group: Organising },
    NavItem {
        label: "Campaigns",
        href: "/admin/campaigns",
        roles: crate::campaigns::MANAGERS,
        group: Organising,
    },
    NavItem {
        label: "Ticketed events",
        href: "/admin/ticketed-events",
        roles: crate::ticketed_events::MANAGERS,
        group: Organising,
    },
    NavItem {
        label: "Meetings",
        href: "/admin/meetings",
        roles: crate::meetings::MANAGERS,
        group: Organising,
    },
    NavItem {
        label: "Calendar",
        href: "/admin/calendar",
        roles: crate::calendar::VIEWERS,
        group: Organising,
    },
    NavItem {
        label: "Canvassing",
        href: "/admin/canvass",
        roles: crate::canvass::MANAGERS,
        group: Organising,
    },
    NavItem {
        label: "Impact stories",
        href: "/admin/stories",
        roles: crate::stories::MANAGERS,
        group: Outreach,
    },
    NavItem { label: "Videos", href: "/admin/videos", roles: crate::media::MANAGERS, group: Outreach },
    NavItem { label: "Text messages", href: "/admin/sms", roles: crate::sms::MANAGERS, group: Outreach },
    NavItem {
        label: "Re-engagement",
        href: "/admin/reengagement",
        roles: crate::reengagement::MANAGERS,
        group: Outreach,
    },
    NavItem { label: "Contacts", href: "/admin/contacts", roles: crate::contacts::VIEWERS, group: People },
    NavItem { label: "Users", href: "/admin/users", roles: crate::users::MANAGERS, group: People },
    NavItem { label: "Payments", href: "/admin/payments", roles: crate::payments::MANAGERS, group: Money },
    NavItem {
        label: "Products",
        href: "/admin/payments/products",
        roles: crate::payments::MANAGERS,
        group: Money,
    },
    NavItem { label: "Plans", href: "/admin/payments/plans", roles: crate::payments::MANAGERS, group: Money },
    NavItem {
        label: "Payment settings",
        href: "/admin/payments/settings",
        roles: crate::payments::MANAGERS,
        group: Money,
    },
    NavItem {
        label: "Payment audit log",
        href: "/admin/payments/audit",
        roles: crate::payments::MANAGERS,
        group: Money,
    },
    NavItem { label: "Emails", href: "/admin/emails", roles: crate::email::MANAGERS, group: System },
    NavItem { label: "Settings", href: "/admin/settings", roles: crate::email::MANAGERS, group: System },
    NavItem {
        label: "Integrations",
        href: "/admin/integrations",
        roles: crate::integrations::MANAGERS,
        group: System,
    },
    NavItem {
        label: "Live events",
        href: "/admin/events/live",
        roles: crate::observability::VIEWERS,
        group: System,
    },
    NavItem {
        label: "Event log",
        href: "/admin/events/log",
        roles: crate::observability::VIEWERS,
        group: System,
    },
    NavItem {
        label: "Event bus",
        href: "/admin/events/bus",
        roles: crate::observability::VIEWERS,
        group: System,
    },
    NavItem { label: "Audit log", href: "/admin/audit", roles: crate::audit::VIEWERS, group: System },
];

/// The navigation entries `role` may see.
pub fn nav_for(role: Role) -> impl Iterator<Item = &'static NavItem> {
    NAV.iter().filter(move |item| role.satisfies(item.roles))
}

/// The navigation `role` sees, by group in order: each group's heading and entries, leaving
/// out the groups with none for them.
pub fn nav_groups_for(role: Role) -> Vec<(Option<&'static str>, Vec<&'static NavItem>)> {
    NavGroup::ALL
        .into_iter()
        .map(|group| (group.heading(), nav_for(role).filter(|item| item.group == group).collect::<Vec<_>>()))
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

/// The address of the navigation entry the page at `path` belongs to: the longest one the path
/// is, or is under. A shift's page is in Shifts; the products page is in Products, not in
/// Payments. The dashboard's entry is the dashboard alone.
pub fn entry_of(path: &str) -> Option<&'static str> {
    let under =
        |href: &str| href != "/admin" && path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'));
    NAV.iter().map(|item| item.href).filter(|href| path == *href || under(href)).max_by_key(|href| href.len())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleCount {
    pub role: Role,
    pub count: i64,
}

/// A line of the dashboard — something waiting for someone, or what happened lately — and
/// the page where it is dealt with or followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardLine {
    pub text: String,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub organisation_name: String,
    pub accounts: Vec<RoleCount>,
    /// What waits for this admin; `None` for a role that deals with none of it.
    pub needs_attention: Option<Vec<DashboardLine>>,
    /// The last seven days, for what this admin looks after (empty for a role that looks
    /// after none of it).
    pub last_week: Vec<DashboardLine>,
}

#[server(prefix = "/api", endpoint = "admin/dashboard")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    use crate::auth::{internal, require_role};
    let user = require_role(Role::ADMIN_AREA).await?;
    let state = crate::state::app_state()?;
    let mut accounts = Vec::new();
    for role in Role::ALL {
        let count = crate::users::service::count_by_role(&state.db, role).await.map_err(internal)?;
        accounts.push(RoleCount { role, count });
    }
    let organisation_name =
        crate::settings::organisation_name(&state.db).await.map_err(crate::auth::internal)?;
    let address = service::public_address(&state.public_url, crate::request::host().as_deref());
    let needs_attention = service::needs_attention(&state.db, &state.secret_key, user.role, &address)
        .await
        .map_err(internal)?;
    let last_week =
        service::last_week(&state.db, user.role, crate::db::now_unix()).await.map_err(internal)?;
    Ok(DashboardSummary { organisation_name, accounts, needs_attention, last_week })
}

/// Where the links this server sends out lead (`CHANGEMAKER_PUBLIC_URL`): in emails,
/// calendar files, QR codes and the integrations' posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicAddress {
    pub url: String,
    /// The host this page was opened at, when `url` is one only the server's own machine
    /// can open (the default, `http://127.0.0.1:3000`) and the page's is not: every link
    /// sent out leads nowhere.
    pub unreachable_from: Option<String>,
}

#[server(prefix = "/api", endpoint = "admin/public-address")]
pub async fn get_public_address() -> Result<PublicAddress, AppError> {
    crate::auth::require_role(SETTINGS_MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::public_address(&state.public_url, crate::request::host().as_deref()))
}

/// Who may change the organisation's settings.
pub const SETTINGS_MANAGERS: &[Role] = &[Role::SuperAdmin, Role::Admin];

/// The organisation as the public pages present it, and how many times it has been saved
/// (its form sends that back, so that a save over someone else's newer one is refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub name: String,
    pub description: String,
    pub edits: i64,
}

#[cfg(feature = "ssr")]
async fn organisation(db: &crate::db::Db) -> Result<Organisation, AppError> {
    let (name, description, edits) =
        crate::settings::organisation(db).await.map_err(crate::auth::internal)?;
    Ok(Organisation { name, description, edits })
}

#[server(prefix = "/api", endpoint = "admin/organisation")]
pub async fn get_organisation() -> Result<Organisation, AppError> {
    crate::auth::require_role(SETTINGS_MANAGERS).await?;
    let state = crate::state::app_state()?;
    organisation(&state.db).await
}

/// Renames the organisation and sets the line on what it does; answers with it as saved.
#[server(prefix = "/api", endpoint = "admin/save-organisation")]
pub async fn save_organisation(
    #[server(default)] organisation_name: String,
    #[server(default)] description: String,
    #[server(default)] edits: Option<i64>,
) -> Result<Organisation, AppError> {
    use crate::settings::OrganisationError;
    let user = crate::auth::require_role(SETTINGS_MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    match crate::settings::save_organisation(&state.db, &actor, &organisation_name, &description, edits).await
    {
        Ok(()) => organisation(&state.db).await,
        Err(OrganisationError::Invalid(errors)) => Err(AppError::Invalid(errors)),
        Err(OrganisationError::SavedSince) => {
            Err(AppError::settings_changed_meanwhile("the organisation's name and description"))
        }
        Err(OrganisationError::Database(e)) => Err(crate::auth::internal(e)),
    }
}

/// The organisation's time zone and every zone it may be set to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeZones {
    pub current: String,
    pub names: Vec<String>,
}

/// The organisation's time zone (an IANA name such as `Europe/London`): shifts are typed and
/// shown in it.
#[server(prefix = "/api", endpoint = "admin/time-zone")]
pub async fn get_time_zone() -> Result<String, AppError> {
    crate::auth::require_role(Role::ADMIN_AREA).await?;
    let state = crate::state::app_state()?;
    let zone = crate::settings::time_zone(&state.db).await.map_err(crate::auth::internal)?;
    Ok(zone.name().to_string())
}

#[server(prefix = "/api", endpoint = "admin/time-zones")]
pub async fn get_time_zones() -> Result<TimeZones, AppError> {
    crate::auth::require_role(SETTINGS_MANAGERS).await?;
    let state = crate::state::app_state()?;
    let zone = crate::settings::time_zone(&state.db).await.map_err(crate::auth::internal)?;
    Ok(TimeZones {
        current: zone.name().to_string(),
        names: crate::time_zone::Zone::all_names().map(str::to_string).collect(),
    })
}

/// Sets the organisation's time zone. Shifts made before keep the times they were given.
#[server(prefix = "/api", endpoint = "admin/save-time-zone")]
pub async fn save_time_zone(#[server(default)] time_zone: String) -> Result<(), AppError> {
    use crate::settings::TimeZoneError;
    let user = crate::auth::require_role(SETTINGS_MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    match crate::settings::save_time_zone(&state.db, &actor, &time_zone).await {
        Ok(_) => Ok(()),
        Err(TimeZoneError::Unknown) => {
            Err(AppError::invalid("time_zone", "Choose a time zone from the list, such as Europe/London."))
        }
        Err(TimeZoneError::Database(e)) => Err(crate::auth::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::{NAV, entry_of, nav_groups_for};
    use crate::users::Role;

    #[test]
    fn the_navigation_comes_in_groups_each_shown_only_with_entries_for_the_role() {
        let headings =
            |role| nav_groups_for(role).into_iter().map(|(heading, _)| heading).collect::<Vec<_>>();
        let everything =
            [None, Some("Organising"), Some("Outreach"), Some("People"), Some("Money"), Some("System")];
        assert_eq!(headings(Role::SuperAdmin), everything);
        // A payments admin has no organising nor outreach pages: no heading over nothing.
        assert!(
            !headings(Role::PaymentsAdmin).contains(&Some("Outreach")),
            "{:?}",
            headings(Role::PaymentsAdmin)
        );
        assert!(headings(Role::PaymentsAdmin).contains(&Some("Money")));
        // Every entry is shown once, under its group.
        let shown: Vec<&str> = nav_groups_for(Role::SuperAdmin)
            .into_iter()
            .flat_map(|(_, items)| items)
            .map(|i| i.href)
            .collect();
        assert_eq!(shown.len(), NAV.len());
        assert_eq!(nav_groups_for(Role::SuperAdmin)[1].1[0].label, "Shifts");
    }

    #[test]
    fn a_page_belongs_to_the_longest_entry_it_is_under() {
        assert_eq!(entry_of("/admin"), Some("/admin"));
        assert_eq!(entry_of("/admin/shifts"), Some("/admin/shifts"));
        assert_eq!(entry_of("/admin/shifts/0b6f/sheet"), Some("/admin/shifts"));
        assert_eq!(entry_of("/admin/payments"), Some("/admin/payments"));
        assert_eq!(entry_of("/admin/payments/products"), Some("/admin/payments/products"));
        assert_eq!(entry_of("/admin/payments/products/7"), Some("/admin/payments/products"));
        // A shared beginning of a word is not being under it.
        assert_eq!(entry_of("/admin/shiftsx"), None);
        // The dashboard is not the entry of every admin page.
        assert_eq!(entry_of("/admin/no-such-page"), None);
    }
}
