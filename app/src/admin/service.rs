//! The dashboard's "Needs attention" (ssr only): what waits for someone, each with the page
//! where it is dealt with, for the roles that deal with it; and its last seven days.

use super::{DashboardLine, PublicAddress};
use crate::db::Db;
use crate::secrets::SecretKey;
use crate::ui::count;
use crate::users::Role;

/// What needs `role`'s attention; `None` when the role deals with none of these things.
pub async fn needs_attention(
    db: &Db,
    key: &SecretKey,
    role: Role,
    address: &PublicAddress,
) -> Result<Option<Vec<DashboardLine>>, sqlx::Error> {
    let mut items = Vec::new();
    let mut followed = false;
    let mut note = |n: i64, text: String, href: &str| {
        if n > 0 {
            items.push(DashboardLine { text, href: href.to_string() });
        }
    };
    if role.satisfies(super::SETTINGS_MANAGERS)
        && let Some(opened_at) = &address.unreachable_from
    {
        let text = format!(
            "Links in emails and QR codes lead to {}, which only the server's own machine can open, not {opened_at}: set CHANGEMAKER_PUBLIC_URL to this site's address and restart the server",
            address.url
        );
        note(1, text, "/admin/settings#public-address");
    }
    if role.satisfies(crate::users::MANAGERS) {
        followed = true;
        let waiting = crate::users::service::count_waiting_for_approval(db).await?;
        note(
            waiting,
            format!("{} waiting for approval", count(waiting, "account request")),
            "/admin/users?status=PENDING",
        );
    }
    if role.satisfies(crate::email::MANAGERS) {
        followed = true;
        let (failed, waiting) = crate::email::service::count_failed_and_waiting(db).await?;
        note(failed, format!("{} could not be sent", count(failed, "email")), "/admin/emails?status=FAILED");
        if !crate::email::service::is_configured(db, key).await? {
            note(
                waiting,
                format!("{} waiting: email is not set up", count(waiting, "email")),
                "/admin/settings",
            );
        }
    }
    if role.satisfies(crate::payments::MANAGERS) {
        followed = true;
        let disputes = crate::payments::service::count_open_disputes(db).await?;
        let answer = ": answer in Stripe before the deadline";
        let disputed = [
            (disputes.donations, "disputed donation", "/admin/payments?kind=donation&status=DISPUTED"),
            (disputes.orders, "disputed order", "/admin/payments?kind=order&status=DISPUTED"),
            (disputes.tickets, "disputed ticket", "/admin/payments?kind=ticket&status=DISPUTED"),
        ];
        for (n, what, href) in disputed {
            note(n, format!("{}{answer}", count(n, what)), href);
        }
        // Stripe's dashboard has them; the audit log shows when each came.
        note(
            disputes.elsewhere,
            format!(
                "{} about payments not recorded as paid here (a renewal, or a payment made outside Changemaker){answer}",
                count(disputes.elsewhere, "dispute")
            ),
            "/admin/payments/audit?action=webhook.charge.dispute",
        );
    }
    if role.satisfies(crate::sms::MANAGERS) {
        followed = true;
        let texts = crate::sms::service::count_waiting(db).await?;
        note(texts, format!("{} waiting for an answer", count(texts, "text")), "/admin/sms?waiting=true");
    }
    if role.satisfies(crate::observability::VIEWERS) {
        followed = true;
        let dead = crate::bus::count_dead(db).await?;
        note(
            dead,
            format!("{} a listener gave up on: replay once fixed", count(dead, "event")),
            "/admin/events/bus",
        );
    }
    Ok(followed.then_some(items))
}

/// The last seven days at a glance, for what `role` looks after: volunteers signed up, doors
/// knocked, new contacts, tickets taken, supporters' campaign emails; each with the page where
/// it is followed. Zeros are said too: a quiet week is worth knowing.
pub async fn last_week(db: &Db, role: Role, now: i64) -> Result<Vec<DashboardLine>, sqlx::Error> {
    let since = now - 7 * 24 * 60 * 60;
    let count_since = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql).bind(since).fetch_one(db.pool()).await
    };
    let mut lines = Vec::new();
    let mut add = |text: String, href: &str| lines.push(DashboardLine { text, href: href.to_string() });
    if role.satisfies(crate::shifts::MANAGERS) {
        let signed_up = count_since(
            "SELECT COUNT(*) FROM shift_signups WHERE created_at >= $1 AND status <> 'CANCELLED'",
        )
        .await?;
        add(format!("{} for shifts", count(signed_up, "volunteer sign-up")), "/admin/shifts");
    }
    if role.satisfies(crate::canvass::MANAGERS) {
        use crate::canvass::Outcome;
        let talked: Vec<String> = Outcome::ALL
            .into_iter()
            .filter(|o| o.is_conversation())
            .map(|o| format!("'{}'", o.as_str()))
            .collect();
        let (doors, conversations): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome IN ({}) THEN 1 ELSE 0 END), 0) \
             FROM canvass_visits WHERE visited_at >= $1",
            talked.join(", ")
        )))
        .bind(since)
        .fetch_one(db.pool())
        .await?;
        add(
            format!("{} knocked, {}", count(doors, "door"), count(conversations, "conversation")),
            "/admin/canvass",
        );
    }
    if role.satisfies(crate::contacts::VIEWERS) {
        let new = count_since("SELECT COUNT(*) FROM contacts WHERE created_at >= $1").await?;
        add(count(new, "new contact"), "/admin/contacts");
    }
    if role.satisfies(crate::ticketed_events::MANAGERS) {
        let taken =
            count_since("SELECT COUNT(*) FROM tickets WHERE created_at >= $1 AND status <> 'CANCELLED'")
                .await?;
        add(format!("{} taken", count(taken, "ticket")), "/admin/ticketed-events");
    }
    if role.satisfies(crate::campaigns::MANAGERS) {
        let sent = count_since("SELECT COUNT(*) FROM campaign_emails WHERE created_at >= $1").await?;
        add(format!("{} sent by supporters", count(sent, "campaign email")), "/admin/campaigns");
    }
    if role.satisfies(crate::payments::MANAGERS) {
        let paid = count_since("SELECT COUNT(*) FROM donations WHERE paid_at >= $1").await?;
        add(format!("{} paid", count(paid, "donation")), "/admin/payments?kind=donation");
    }
    Ok(lines)
}

/// The server's public address as the settings show it, with the host the page was opened at
/// (`host`, the request's `Host`) when only the server's own machine can open the address
/// and the page was opened elsewhere. A proxy that passes on its own `Host` hides this.
pub fn public_address(public_url: &str, host: Option<&str>) -> PublicAddress {
    let url_host = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    let url_host = url_host.split('/').next().unwrap_or_default();
    let unreachable_from =
        host.filter(|host| only_this_machine(url_host) && !only_this_machine(host)).map(str::to_string);
    PublicAddress { url: public_url.to_string(), unreachable_from }
}

/// Whether `host` (`name`, `name:port`, `[v6]:port`) can be opened on this machine only, if
/// at all: `localhost`, a loopback IP, or the unspecified one of a server listening everywhere
/// (`0.0.0.0`, the default public address when `LEPTOS_SITE_ADDR` is that).
fn only_this_machine(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_this_machine_are_flagged_only_when_the_page_was_opened_elsewhere() {
        let flagged = |url: &str, host: Option<&str>| public_address(url, host).unreachable_from;
        let default = "http://127.0.0.1:3000";
        assert_eq!(flagged(default, Some("act.example.org")), Some("act.example.org".to_string()));
        assert_eq!(flagged(default, Some("192.168.1.20:3000")), Some("192.168.1.20:3000".to_string()));
        for local in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "127.0.0.2"] {
            assert_eq!(flagged(default, Some(local)), None, "{local}");
        }
        assert_eq!(flagged(default, None), None, "no Host, nothing to compare");
        assert_eq!(flagged("http://[::1]:3000", Some("act.example.org")), Some("act.example.org".into()));
        assert_eq!(flagged("http://0.0.0.0:3000", Some("act.example.org")), Some("act.example.org".into()));
        assert_eq!(flagged("http://localhost/base", Some("act.example.org")), Some("act.example.org".into()));
        // Set to a real address, links work wherever the page was opened (a proxy's own host too).
        assert_eq!(flagged("https://act.example.org", Some("127.0.0.1:3000")), None);
        assert_eq!(flagged("https://act.example.org", Some("other.example.org")), None);
    }
}
