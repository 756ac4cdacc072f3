//! CSV for exports: every cell quoted, and a cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or carriage return) prefixed with `'`.

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

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(
            super::row(&["a \"b\"", "=SUM(A1)", "-5", ""]),
            "\"a \"\"b\"\"\",\"'=SUM(A1)\",\"'-5\",\"\"\n"
        );
    }
}
