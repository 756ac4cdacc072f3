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

/// One record of an imported file: the line it starts on (1-based) and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Reads CSV text (a UTF-8 byte-order mark, CRLF or LF line ends, quoted cells holding
/// commas, quotes or line breaks). Blank lines are skipped. A quote left open is reported
/// with the line it opened on.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            ',' => {
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
    use super::{Record, parse, row};

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
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(row(&["a \"b\"", "=SUM(A1)", "-5", ""]), "\"a \"\"b\"\"\",\"'=SUM(A1)\",\"'-5\",\"\"\n");
    }
}
