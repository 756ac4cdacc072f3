//! A video's captions (ssr only): pasted as WebVTT, or as SubRip (`.srt`, what most captioning
//! services and editors export), checked line by line and kept as the WebVTT a browser's
//! player reads. Every timing line is rewritten in one form (`00:01:02.500`), so a cue the
//! player would silently skip is refused here with its line number instead.

/// Captions as typed, in WebVTT or SubRip, as WebVTT; or what is wrong, naming the line.
/// Expects some text: empty captions mean "none", which the caller handles.
pub fn to_webvtt(typed: &str) -> Result<String, String> {
    let text = typed.trim_start_matches('\u{feff}').replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    let header = text.lines().next().unwrap_or_default();
    let is_webvtt = header == "WEBVTT" || header.starts_with("WEBVTT ") || header.starts_with("WEBVTT\t");
    let mut out = if is_webvtt { String::new() } else { String::from("WEBVTT\n\n") };
    let mut cues = 0;
    for (index, line) in text.lines().enumerate() {
        if line.contains("-->") {
            let timing = timing_line(line, is_webvtt).ok_or_else(|| {
                format!(
                    "Line {}: “{}” is not a timing line like 00:00:01.000 --> 00:00:04.000 (the end after the start).",
                    index + 1,
                    shortened(line)
                )
            })?;
            out.push_str(&timing);
            cues += 1;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if cues == 0 {
        return Err("No captions found: paste a WebVTT or SubRip (.srt) file, each caption under a timing line like 00:00:01.000 --> 00:00:04.000.".into());
    }
    Ok(out)
}

/// A cue's timing line in WebVTT's form, keeping WebVTT's cue settings (`line:0`); SubRip's
/// box coordinates, which no player reads, are left out. `None` when it is not one.
fn timing_line(line: &str, keep_settings: bool) -> Option<String> {
    let (start, rest) = line.split_once("-->")?;
    let rest = rest.trim_start();
    let (end, settings) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
    let (start, end) = (millis(start.trim())?, millis(end)?);
    if end <= start {
        return None;
    }
    let settings = settings.trim();
    let mut timing = format!("{} --> {}", stamp(start), stamp(end));
    if keep_settings && !settings.is_empty() {
        timing.push(' ');
        timing.push_str(settings);
    }
    Some(timing)
}

/// A timestamp's milliseconds: `[hours:]mm:ss.ttt`, with SubRip's comma before the
/// milliseconds taken too.
fn millis(text: &str) -> Option<u64> {
    let (clock, fraction) = text.split_once(['.', ','])?;
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [minutes, seconds] => ("0", *minutes, *seconds),
        [hours, minutes, seconds] => (*hours, *minutes, *seconds),
        _ => return None,
    };
    let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(hours, 1..=4) && digits(minutes, 2..=2) && digits(seconds, 2..=2) && digits(fraction, 3..=3))
    {
        return None;
    }
    let [hours, minutes, seconds, fraction] =
        [hours, minutes, seconds, fraction].map(|part| part.parse::<u64>().unwrap_or(u64::MAX));
    if minutes > 59 || seconds > 59 {
        return None;
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction)
}

/// `00:01:02.500`.
fn stamp(millis: u64) -> String {
    let seconds = millis / 1000;
    format!("{:02}:{:02}:{:02}.{:03}", seconds / 3600, seconds / 60 % 60, seconds % 60, millis % 1000)
}

/// A line as an error message quotes it: at most 60 characters.
fn shortened(line: &str) -> String {
    let mut short: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        short.push('…');
    }
    short
}

/// Whether `tag` is a language tag a captions track may carry: a two- or three-letter
/// language, then subtags of letters and digits (`en`, `fr-CA`, `zh-Hant`), at most 35
/// characters.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|part| (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A transcript longer than this many characters starts a new paragraph at its next sentence.
const PARAGRAPH_CHARS: usize = 400;

/// Kept captions (WebVTT) as a transcript to read: the captions' words without their timings,
/// markup or notes, in paragraphs. A paragraph ends where the speaker changes (a `<v Name>`
/// voice, then written "Name: …") and at the end of a sentence once it is long. A caption
/// repeated as it scrolls is read once.
pub fn transcript(webvtt: &str) -> Vec<String> {
    let mut paragraphs: Vec<String> = Vec::new();
    let (mut current, mut speaker, mut last) = (String::new(), None::<String>, String::new());
    for block in webvtt.split("\n\n") {
        let Some(timing) = block.lines().position(|line| line.contains("-->")) else { continue };
        let raw: Vec<&str> = block.lines().skip(timing + 1).collect();
        let voice = raw.first().and_then(|line| voice_of(line));
        let text =
            raw.iter().map(|line| plain_text(line)).filter(|line| !line.is_empty()).collect::<Vec<_>>();
        let text = text.join(" ");
        if text.is_empty() || text == last {
            continue;
        }
        let new_speaker = voice.is_some() && voice != speaker;
        let sentence_ended =
            current.ends_with(['.', '?', '!', '…']) && current.chars().count() > PARAGRAPH_CHARS;
        if !current.is_empty() && (new_speaker || sentence_ended) {
            paragraphs.push(std::mem::take(&mut current));
        }
        match &voice {
            Some(name) if current.is_empty() => current = format!("{name}: "),
            _ if !current.is_empty() => current.push(' '),
            _ => {}
        }
        current.push_str(&text);
        if voice.is_some() {
            speaker = voice;
        }
        last = text;
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// The speaker a caption line opens with, `<v Ana>` or `<v.loud Ana Ruiz>`.
fn voice_of(line: &str) -> Option<String> {
    let rest = line.strip_prefix("<v")?;
    let (tag, _) = rest.split_once('>')?;
    let name = tag.split_once([' ', '\t']).map(|(_, name)| name.trim())?;
    (!name.is_empty()).then(|| name.to_string())
}

/// A caption line without its markup (`<i>`, `<v Ana>`, `<00:00:01.000>`), its character
/// references decoded.
fn plain_text(line: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in line.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subrip_becomes_webvtt() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:04,250 X1:10 X2:20\r\nWe marched\r\n\r\n2\r\n00:01:05,000 --> 01:00:06,000\r\nto city hall.\r\n";
        assert_eq!(
            to_webvtt(srt).unwrap(),
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.250\nWe marched\n\n2\n00:01:05.000 --> 01:00:06.000\nto city hall.\n"
        );
    }

    #[test]
    fn webvtt_is_kept_with_its_settings_and_notes_and_its_times_written_in_full() {
        let vtt = "WEBVTT - March\n\nNOTE made by hand\n\n01:02.500 --> 01:04.000 line:0 align:start\n<v Ana>We marched</v>\n";
        assert_eq!(
            to_webvtt(vtt).unwrap(),
            "WEBVTT - March\n\nNOTE made by hand\n\n00:01:02.500 --> 00:01:04.000 line:0 align:start\n<v Ana>We marched</v>\n"
        );
    }

    #[test]
    fn a_line_a_player_would_skip_is_refused_by_its_number() {
        for (bad, line) in [
            ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nOk\n\n00:00:05 --> 00:00:06.000\nNo", 6),
            ("WEBVTT\n\n00:00:04.000 --> 00:00:01.000\nBackwards", 3),
            ("WEBVTT\n\n00:00:01.000 --> 00:00:01.000\nNo time at all", 3),
            ("1\n00:00:01,000 -> 00:00:04,000\nA\n2\n00:61:00,000 --> 00:62:00,000\nB", 5),
            ("1\n00:00:01,0000 --> 00:00:04,000\nA", 2),
            ("1\n00:00:01,000 --> \nA", 2),
            ("1\n00:00:01.000 --> 00:00:04.000\nShe said --> go", 3),
        ] {
            let error = to_webvtt(bad).unwrap_err();
            assert!(error.starts_with(&format!("Line {line}: ")), "{bad:?}: {error}");
        }
        assert!(to_webvtt("WEBVTT\n\nJust words").unwrap_err().starts_with("No captions found"));
        assert!(to_webvtt("Hello there").unwrap_err().starts_with("No captions found"));
        let long = format!("1\n00:00:01,000 --> {}\nA", "9".repeat(100));
        assert!(to_webvtt(&long).unwrap_err().contains("99…”"), "the line is quoted short");
    }

    #[test]
    fn a_transcript_reads_the_words_in_paragraphs_by_speaker() {
        let vtt = to_webvtt(
            "WEBVTT\n\nNOTE made by hand\n\n00:01.000 --> 00:02.000\n<v Ana>We <i>marched</i>\nto city hall</v>\n\n\
             00:02.000 --> 00:03.000\n<v Ana>We <i>marched</i>\nto city hall</v>\n\n\
             00:03.000 --> 00:04.000\n<v Ana>&amp; we won.</v>\n\n\
             00:04.000 --> 00:05.000 align:start\n<v.loud Ben Ruiz>Thank you all!\n\n\
             00:05.000 --> 00:06.000\n<00:05.500>Really &lt;3\n\n00:06.000 --> 00:07.000\n\n",
        )
        .unwrap();
        assert_eq!(
            transcript(&vtt),
            ["Ana: We marched to city hall & we won.", "Ben Ruiz: Thank you all! Really <3"],
            "the note, the timings, the markup and the repeated caption left out"
        );
        // Without voices, one paragraph until a long one ends a sentence.
        let cues: String = (0..12)
            .map(|i| {
                format!(
                    "00:{i:02}.000 --> 00:{i:02}.500\nSentence {i:02}, of some forty-five characters.\n\n"
                )
            })
            .collect();
        let paragraphs = transcript(&to_webvtt(&format!("WEBVTT\n\n{cues}")).unwrap());
        assert_eq!(paragraphs.len(), 2, "{paragraphs:?}");
        assert!(paragraphs[0].chars().count() > PARAGRAPH_CHARS && !paragraphs[0].starts_with(':'));
        assert!(transcript("WEBVTT\n\nNOTE nothing to say\n").is_empty());
    }

    #[test]
    fn a_language_is_a_short_tag() {
        for ok in ["en", "fr-CA", "zh-Hant", "ase", "es-419"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en-", "fr-CA-toolongsubtag", "en US", "<b>"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
