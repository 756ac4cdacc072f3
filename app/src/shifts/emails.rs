//! The emails shift changes send (ssr only). Each is queued in the transaction of the change.

use super::{MySignup, Shift};
use crate::email::service::{EmailAttachment, LINK_BASE, OutgoingEmail};

fn calendar_file(shift: &Shift) -> EmailAttachment {
    EmailAttachment {
        filename: "shift.ics".into(),
        content_type: "text/calendar; charset=utf-8".into(),
        content: super::shift_ics(shift, crate::db::now_unix()),
    }
}

fn calendar_file_of_several(shifts: &[&Shift]) -> EmailAttachment {
    EmailAttachment {
        filename: "shifts.ics".into(),
        content_type: "text/calendar; charset=utf-8".into(),
        content: super::shifts_ics(shifts, crate::db::now_unix()),
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

/// A sign-up moved to another shift: from which, to which, by whom, whether they had a spot
/// on the first and are waiting on the second, and the new sign-up's cancel token (`None`
/// when it kept the old sign-up's link).
pub struct Moved<'a> {
    pub from: &'a Shift,
    pub to: &'a Shift,
    pub mover: super::service::Mover,
    pub had_spot: bool,
    pub waitlisted: bool,
    pub cancel_token: Option<&'a str>,
}

/// After a move: the shift they are no longer on and the one they are on now, with its private
/// cancel link (or word that the old one still works). The calendar file adds the new shift
/// (with a spot there) and marks the old one cancelled in a calendar that imported it (with a
/// spot there).
pub fn moved(name: &str, to: &str, moved: &Moved) -> OutgoingEmail {
    let cancel = match moved.cancel_token {
        Some(token) => format!("cancel with this private link:\n{LINK_BASE}/shifts/cancel?token={token}"),
        None => "your private cancel link from before still works: it now cancels this shift.".to_string(),
    };
    let (done, opening) = match moved.mover {
        super::service::Mover::Organiser => ("Moved", "An organiser moved your sign-up to another shift."),
        super::service::Mover::Volunteer => ("Switched", "You switched your sign-up to another date."),
    };
    let (subject, standing) = if moved.waitlisted {
        (
            format!("{done}: you're on the waitlist for {}", moved.to.title),
            "That shift is full, so you are on its waitlist. We will email you if a spot opens.",
        )
    } else {
        (format!("{done}: you're signed up for {}", moved.to.title), "You are signed up for it.")
    };
    let called_off = moved.from.called_off();
    let mut entries: Vec<&Shift> = Vec::new();
    if !moved.waitlisted {
        entries.push(moved.to);
    }
    if moved.had_spot {
        entries.push(&called_off);
    }
    let attached =
        if entries.is_empty() { "" } else { " The calendar file attached brings your calendar up to date." };
    OutgoingEmail {
        to: to.to_string(),
        subject,
        body: format!(
            "Hello {name},\n\n{opening}{attached}\n\n\
             You are no longer signed up for:\n{}\n\nYou are now on:\n{}\n{standing}\n\n\
             If your plans change, {cancel}\n",
            details(moved.from),
            details(moved.to)
        ),
        attachment: (!entries.is_empty()).then(|| calendar_file_of_several(&entries)),
    }
}

/// One shift of a sign-up for several at once (a series, or chosen together): its private
/// cancel link's token and the volunteer's standing.
pub struct TogetherEntry<'a> {
    pub shift: &'a Shift,
    pub cancel_token: String,
    pub waitlisted: bool,
}

/// After a sign-up for several shifts at once: one email listing each, with its own cancel
/// link, and one calendar file of those they have a spot on. None for no entries; with one,
/// the usual confirmation.
pub fn signed_up_together(name: &str, to: &str, entries: &[TogetherEntry]) -> Option<OutgoingEmail> {
    let first = entries.first()?;
    if entries.len() == 1 {
        return Some(signed_up(first.shift, name, to, &first.cancel_token, first.waitlisted));
    }
    let mut list = String::new();
    for entry in entries {
        let standing = if entry.waitlisted {
            "On the waitlist: the shift is full, and we will email you if a spot opens."
        } else {
            "Signed up."
        };
        list.push_str(&format!(
            "\n{}\n{standing}\nTo cancel this one: {LINK_BASE}/shifts/cancel?token={}\n",
            details(entry.shift),
            entry.cancel_token
        ));
    }
    let spots: Vec<&Shift> = entries.iter().filter(|e| !e.waitlisted).map(|e| e.shift).collect();
    let attached = if spots.is_empty() {
        ""
    } else {
        " The calendar file of the shifts you have a spot on is attached."
    };
    Some(OutgoingEmail {
        to: to.to_string(),
        subject: format!("Your sign-ups: {} ({} shifts)", first.shift.title, entries.len()),
        body: format!(
            "Hello {name},\n\nThank you for signing up for {} shifts.{attached} If your plans change, \
             cancel any one of them with its own private link.\n{list}",
            entries.len()
        ),
        attachment: (!spots.is_empty()).then(|| calendar_file_of_several(&spots)),
    })
}

/// "Lost your link?": each sign-up of an email to a shift still to come, with its standing and
/// its new private cancel link (those sent before no longer work).
pub fn cancel_links(to: &str, signups: &[(MySignup, String)]) -> OutgoingEmail {
    let list: String = signups
        .iter()
        .map(|(mine, token)| {
            format!(
                "\n{}\n{}.\nTo cancel it: {LINK_BASE}/shifts/cancel?token={token}\n",
                details(&mine.shift),
                mine.standing()
            )
        })
        .collect();
    OutgoingEmail {
        to: to.to_string(),
        subject: "Your shift sign-ups and their cancel links".to_string(),
        body: format!(
            "Hello,\n\nYou asked for the links to your sign-ups. Here they are, each with a new private \
             link to cancel it; the links we sent before no longer work.\n{list}\n\
             If you did not ask, ignore this email: your sign-ups stay as they are.\n"
        ),
        attachment: None,
    }
}

/// How the emails after a sign-up say to cancel: a cancel link can be replaced (a lost link
/// asked for again, an organiser's resend), so the latest one emailed is the one that works.
fn how_to_cancel() -> String {
    format!(
        "If you can no longer come, cancel with the latest cancel link we emailed you \
         (lost it? get it again at {LINK_BASE}/shifts/links)."
    )
}

/// A spot opened and the first on the waitlist has it.
pub fn promoted(shift: &Shift, name: &str, to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("A spot opened: you're signed up for {}", shift.title),
        body: format!(
            "Hello {name},\n\nA spot opened and you are now signed up.\n\n{}\n\n\
             {}\n",
            details(shift),
            how_to_cancel()
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
             {}\n",
            details(shift),
            how_to_cancel()
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
             {} Cancelling lets someone else take your spot.\n",
            details(shift),
            how_to_cancel()
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
