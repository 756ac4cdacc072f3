//! `{{name}}` placeholders in email templates, shared by every module that lets an admin
//! write an email (campaigns, re-engagement) and by the browser's previews, so what is
//! previewed is what is sent.

/// The placeholders in `template` that are not in `allowed`, each once; `None` when a `{{`
/// is never closed.
pub fn unknown_placeholders(template: &str, allowed: &[&str]) -> Option<Vec<String>> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let name = after[..end].trim();
        if !allowed.contains(&name) && !unknown.iter().any(|u| u == name) {
            unknown.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    Some(unknown)
}

/// The error message for a template that `unknown_placeholders` refuses, or `None` when it
/// is fine.
pub fn problem(template: &str, allowed: &[&str]) -> Option<String> {
    match unknown_placeholders(template, allowed) {
        None => Some("A {{ is not closed with }}.".to_string()),
        Some(unknown) if !unknown.is_empty() => {
            Some(format!("Unknown placeholder {{{{{}}}}}; use {}.", unknown[0], listed(allowed)))
        }
        Some(_) => None,
    }
}

/// `allowed` as the admin types them: `{{a}}, {{b}}`.
pub fn listed(allowed: &[&str]) -> String {
    allowed.iter().map(|p| format!("{{{{{p}}}}}")).collect::<Vec<_>>().join(", ")
}

/// `template` with every placeholder replaced by its value (unknown ones by nothing).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(values.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_reported() {
        assert_eq!(fill("Hi {{ name }}, {{name}}! {{other}}.", &[("name", "Ada")]), "Hi Ada, Ada! .");
        assert_eq!(fill("Open {{name", &[("name", "Ada")]), "Open {{name");
        assert_eq!(
            unknown_placeholders("{{name}} {{ nope }} {{nope}}", &["name"]),
            Some(vec!["nope".into()])
        );
        assert_eq!(unknown_placeholders("{{name", &["name"]), None);
        assert_eq!(problem("{{name}}", &["name"]), None);
        assert_eq!(problem("{{x}}", &["name"]).unwrap(), "Unknown placeholder {{x}}; use {{name}}.");
        assert_eq!(problem("{{name", &["name"]).unwrap(), "A {{ is not closed with }}.");
    }
}
