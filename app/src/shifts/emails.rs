//! The emails shift changes send (ssr only). Each is queued in the transaction of the change.

use super::Shift;
use crate::email::service::{EmailAttachment, LINK_BASE, OutgoingEmail};

fn calendar_file(shift: &Shift) -> EmailAttachment {
    EmailAttachment {
        filename: "shift.ics".into(),
        content_type: "text/calendar; charset=utf-8".into(),
        content: super::shift_ics(shift, crate::db::now_unix()),
    }
}

fn details(shift: &Shift) -> String {
    let place =
        if shift.location.is_empty() { String::new() } else { format!("\nWhere: {}", shift.location) };
    format!("Shift: {}\nWhen: {}{place}", shift.title, shift.when())
}

/// After a sign-up: confirmed (with the calendar file) or on the waitlist; both carry the
/// private cancel link.
pub fn signed_up(shift: &Shift, name: &str, to: &str, cancel_token: &str, waitlisted: bool) -> OutgoingEmail {
    let cancel = format!("{LINK_BASE}/shifts/cancel?token={cancel_token}");
    let (subject, opening) = if waitlisted {
        (
            format!("You're on the waitlist: {}", shift.title),
            "The shift is full, so you are on the waitlist. We will email you if a spot opens.",
        )
    } else {
        (
            format!("You're signed up: {}", shift.title),
            "Thank you for signing up. The calendar file is attached.",
        )
    };
    OutgoingEmail {
        to: to.to_string(),
        subject,
        body: format!(
            "Hello {name},\n\n{opening}\n\n{}\n\nIf your plans change, cancel with this private link:\n{cancel}\n",
            details(shift)
        ),
        attachment: (!waitlisted).then(|| calendar_file(shift)),
    }
}

/// A spot opened and the first on the waitlist has it.
pub fn promoted(shift: &Shift, name: &str, to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("A spot opened: you're signed up for {}", shift.title),
        body: format!(
            "Hello {name},\n\nA spot opened and you are now signed up.\n\n{}\n\n\
             If you can no longer come, use the cancel link from your first email.\n",
            details(shift)
        ),
        attachment: Some(calendar_file(shift)),
    }
}

/// The shift's time or place changed: its details as they are now, with the calendar file
/// for someone signed up.
pub fn changed(shift: &Shift, name: &str, to: &str, waitlisted: bool) -> OutgoingEmail {
    let standing = if waitlisted {
        "You are still on its waitlist."
    } else {
        "You are still signed up; the updated calendar file is attached."
    };
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("Changed: {}", shift.title),
        body: format!(
            "Hello {name},\n\nThe time or place of a shift you signed up for has changed. {standing}\n\n{}\n\n\
             If you can no longer come, use the cancel link from your first email.\n",
            details(shift)
        ),
        attachment: (!waitlisted).then(|| calendar_file(shift)),
    }
}

/// The day before: a reminder to someone signed up.
pub fn reminder(shift: &Shift, name: &str, to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("Reminder: {}, {}", shift.title, shift.when()),
        body: format!(
            "Hello {name},\n\nA reminder that you are signed up for this shift:\n\n{}\n\n\
             If you can no longer come, please cancel with the link from your first email, so that \
             someone else can take your spot.\n",
            details(shift)
        ),
        attachment: None,
    }
}

/// A sign-up ended: cancelled by the volunteer or an admin, or the shift itself was
/// cancelled or deleted (`reason` as in `shift.signup.cancelled`). With the calendar file of
/// a called-off shift, a calendar that imported the shift marks it cancelled.
pub fn cancelled(
    shift: &Shift,
    name: &str,
    to: &str,
    reason: &str,
    with_calendar_file: bool,
) -> OutgoingEmail {
    let (subject, text) = match reason {
        "SHIFT_CANCELLED" | "SHIFT_DELETED" => {
            (format!("Cancelled: {}", shift.title), "We are sorry: this shift has been cancelled.")
        }
        "ADMIN" => {
            (format!("Your sign-up for {} was removed", shift.title), "An organiser removed your sign-up.")
        }
        _ => (
            format!("Your sign-up for {} is cancelled", shift.title),
            "Your sign-up is cancelled as you asked.",
        ),
    };
    OutgoingEmail {
        to: to.to_string(),
        subject,
        body: format!("Hello {name},\n\n{text}\n\n{}\n", details(shift)),
        attachment: with_calendar_file.then(|| calendar_file(shift)),
    }
}

/// An organiser's message to everyone signed up or waiting.
pub fn message(shift: &Shift, name: &str, to: &str, subject: &str, text: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: subject.to_string(),
        body: format!("Hello {name},\n\n{text}\n\n{}\n", details(shift)),
        attachment: None,
    }
}
