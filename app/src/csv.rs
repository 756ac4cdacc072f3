//! CSV for exports and imports. Exports quote every cell and prefix a cell that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
//! return) with `'`; imports read RFC 4180 and take that prefix off again, so an exported
//! file imports unchanged.

/// One CSV line (with its newline) of `cells`.
pub fn row(cells: &[&str]) -> String {
    let mut line = cells.iter().map(|text| cell(text)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The text of a chosen file: UTF-8 when it is, and otherwise Windows-1252, the encoding in
/// which a spreadsheet on Windows saves "CSV" (its accented letters would otherwise come out
/// as replacement characters).
pub fn text_of_file(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|not_utf8| not_utf8.into_bytes().into_iter().map(windows_1252).collect())
}

/// A Windows-1252 byte's character: Latin-1's, except 0x80–0x9F, where it has punctuation,
/// the euro sign and a few letters (five of those bytes are unassigned: U+FFFD).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž', '\u{fffd}',
        '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// One record of an imported file: the line it starts on (1-based) and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads CSV text (a UTF-8 byte-order mark, CRLF or LF line ends, quoted cells holding
/// commas, quotes or line breaks). Blank lines are skipped. A quote left open is reported
/// with the line it opened on. Cells are separated by commas, or by what the first line uses
/// instead (`separator`).
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let separator = separator(text);
    let mut records = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let (mut line, mut record_line, mut quote_line) = (1, 1, 0);
    let (mut in_quotes, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => in_quotes = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    cell.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() && !was_quoted => {
                (in_quotes, was_quoted, quote_line) = (true, true, line);
            }
            c if c == separator => {
                cells.push(imported(std::mem::take(&mut cell), was_quoted));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                cells.push(imported(std::mem::take(&mut cell), was_quoted));
                was_quoted = false;
                let record = std::mem::take(&mut cells);
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push(Record { line: record_line, cells: record });
                }
                line += 1;
                record_line = line;
            }
            _ => cell.push(c),
        }
    }
    if in_quotes {
        return Err(format!("Line {quote_line}: a quoted cell is never closed."));
    }
    if !cell.is_empty() || was_quoted || !cells.is_empty() {
        cells.push(imported(cell, was_quoted));
        records.push(Record { line: record_line, cells });
    }
    Ok(records)
}

/// What separates the cells: a comma, unless the first line (its column names) has none
/// outside quotes and has semicolons (a spreadsheet's CSV where the comma is the decimal
/// mark) or tabs (cells copied from a spreadsheet).
fn separator(text: &str) -> char {
    let mut in_quotes = false;
    let (mut semicolons, mut tabs) = (0, 0);
    for c in text.chars().take_while(|c| *c != '\n' && *c != '\r') {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => return ',',
            ';' if !in_quotes => semicolons += 1,
            '\t' if !in_quotes => tabs += 1,
            _ => {}
        }
    }
    match (semicolons, tabs) {
        (0, 0) => ',',
        (s, t) if s >= t => ';',
        _ => '\t',
    }
}

/// A cell as read: trimmed unless quoted, with an export's formula guard taken off.
fn imported(cell: String, quoted: bool) -> String {
    let cell = if quoted { cell } else { cell.trim().to_string() };
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::{Record, parse, row, text_of_file};

    #[test]
    fn imports_read_quotes_line_breaks_and_exports() {
        let text = "\u{feff}name,email\r\n\"Lee, Ada\",ada@example.org\r\n\r\n\"Two\nlines \"\"quoted\"\"\", b@example.org \nlast,";
        let records = parse(text).unwrap();
        assert_eq!(
            records,
            vec![
                Record { line: 1, cells: vec!["name".into(), "email".into()] },
                Record { line: 2, cells: vec!["Lee, Ada".into(), "ada@example.org".into()] },
                Record { line: 4, cells: vec!["Two\nlines \"quoted\"".into(), "b@example.org".into()] },
                Record { line: 6, cells: vec!["last".into(), "".into()] },
            ]
        );
        let exported = row(&["=SUM(A1)", "-5", "a \"b\""]);
        assert_eq!(parse(&exported).unwrap()[0].cells, ["=SUM(A1)", "-5", "a \"b\""]);
        assert_eq!(parse("a\n\"open,b\nc").unwrap_err(), "Line 2: a quoted cell is never closed.");
    }

    #[test]
    fn cells_may_be_separated_as_the_first_line_separates_them() {
        // A spreadsheet's CSV where the comma is the decimal mark.
        let records = parse("\u{feff}name;email;tags\r\n\"Lee; Ada\";ada@example.org;a,b\r\n").unwrap();
        assert_eq!(records[1].cells, ["Lee; Ada", "ada@example.org", "a,b"]);
        // Cells copied from a spreadsheet.
        let records = parse("name\temail\nAda Lee\tada@example.org\n").unwrap();
        assert_eq!(records[1].cells, ["Ada Lee", "ada@example.org"]);
        // A comma in the first line decides it, even beside semicolons; one column is one column.
        assert_eq!(parse("name,notes\nAda,a;b\n").unwrap()[1].cells, ["Ada", "a;b"]);
        assert_eq!(parse("\"a;b\",c\n").unwrap()[0].cells, ["a;b", "c"]);
        assert_eq!(parse("email\nada@example.org\n").unwrap()[1].cells, ["ada@example.org"]);
    }

    #[test]
    fn files_are_read_as_utf8_or_else_as_windows_1252() {
        assert_eq!(text_of_file("name\nZoë Müller – “€5”".as_bytes().to_vec()), "name\nZoë Müller – “€5”");
        // The same line as a spreadsheet on Windows saves it.
        let saved = b"name\nZo\xebM\xfcller \x96 \x93\x805\x94 \x81".to_vec();
        assert_eq!(text_of_file(saved), "name\nZoëMüller – “€5” \u{fffd}");
    }

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(row(&["a \"b\"", "=SUM(A1)", "-5", ""]), "\"a \"\"b\"\"\",\"'=SUM(A1)\",\"'-5\",\"\"\n");
    }
}
