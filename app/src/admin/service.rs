//! The dashboard's "Needs attention" (ssr only): what waits for someone, each with the page
//! where it is dealt with, for the roles that deal with it.

use super::Attention;
use crate::db::Db;
use crate::secrets::SecretKey;
use crate::ui::count;
use crate::users::Role;

/// What needs `role`'s attention; `None` when the role deals with none of these things.
pub async fn needs_attention(
    db: &Db,
    key: &SecretKey,
    role: Role,
) -> Result<Option<Vec<Attention>>, sqlx::Error> {
    let mut items = Vec::new();
    let mut followed = false;
    let mut note = |n: i64, text: String, href: &str| {
        if n > 0 {
            items.push(Attention { text, href: href.to_string() });
        }
    };
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
                "{} about payments not recorded here (a renewal, or a payment made outside Changemaker){answer}",
                count(disputes.elsewhere, "dispute")
            ),
            "/admin/payments/audit?action=webhook.charge.dispute",
        );
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
