//! iCalendar files (RFC 5545): "Add to calendar" attachments and calendar feeds, for shifts and
//! ticketed events alike. An entry's UID stays the same across its changes; a higher SEQUENCE
//! updates what a calendar imported before, and STATUS says whether it still happens.

/// One entry of a calendar.
pub struct IcsEvent<'a> {
    /// Unique and stable, like `shift-<id>@changemaker`.
    pub uid: String,
    /// Grows with each change of the entry.
    pub sequence: i64,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
    pub status: &'static str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    /// A page to open from the entry.
    pub url: Option<&'a str>,
}

/// An iCalendar file of `events`; a feed has a `name` and asks to be fetched hourly.
pub fn calendar(events: &[IcsEvent], name: Option<&str>, now: i64) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Changemaker//Calendar//EN".to_string(),
    ];
    if let Some(name) = name {
        lines.push(format!("X-WR-CALNAME:{}", escape(name)));
        lines.push("REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_string());
        lines.push("X-PUBLISHED-TTL:PT1H".to_string());
    }
    for event in events {
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", event.uid),
            format!("DTSTAMP:{}", stamp(now)),
            format!("SEQUENCE:{}", event.sequence),
            format!("STATUS:{}", event.status),
            format!("DTSTART:{}", stamp(event.starts_at)),
            format!("DTEND:{}", stamp(event.ends_at)),
            format!("SUMMARY:{}", escape(event.summary)),
            format!("LOCATION:{}", escape(event.location)),
            format!("DESCRIPTION:{}", escape(event.description)),
        ]);
        if let Some(url) = event.url {
            lines.push(format!("URL:{url}"));
        }
        lines.push("END:VEVENT".to_string());
    }
    lines.push("END:VCALENDAR".to_string());
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

/// A UTC instant as iCalendar writes it: 2026-11-27T18:34:36Z → 20261127T183436Z.
fn stamp(secs: i64) -> String {
    let text = crate::events::rfc3339_from_unix_ms(secs * 1000);
    format!(
        "{}{}{}T{}{}{}Z",
        &text[0..4],
        &text[5..7],
        &text[8..10],
        &text[11..13],
        &text[14..16],
        &text[17..19]
    )
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Lines longer than 75 octets are folded: CRLF and a space, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}
