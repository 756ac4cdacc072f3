//! Addresses made of words (`/campaigns/save-the-park`, `/shop/t-shirt`): checked, and made
//! from a title when none is typed.

/// Whether `slug` is 1 to `max` lower-case letters and digits, with hyphens between them.
pub fn is_valid(slug: &str, max: usize) -> bool {
    (1..=max).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// Whether a form's address (after `from_title` filled an empty one) may stand: valid, or
/// empty beside an empty title, which has its own error: asking for an address the form says
/// may be left empty would only confuse.
pub fn may_stand(slug: &str, title: &str, max: usize) -> bool {
    is_valid(slug, max) || (slug.is_empty() && title.trim().is_empty())
}

/// The address `title` makes: its letters and digits in lower case (accents dropped), its
/// words joined by hyphens, at most `max` characters ("Save the River Park!" →
/// `save-the-river-park`). Empty when the title has no such letters.
pub fn from_title(title: &str, max: usize) -> String {
    let plain: String = title.to_lowercase().chars().map(without_accent).collect();
    let words: Vec<&str> =
        plain.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).collect();
    let mut slug = words.join("-");
    slug.truncate(max);
    slug.trim_end_matches('-').to_string()
}

/// A lower-case Latin letter without its accent, so that "Ça" makes `ca`, not `a`.
fn without_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_makes_an_address_of_its_words() {
        assert_eq!(from_title("Save the River Park!", 80), "save-the-river-park");
        assert_eq!(from_title("  No to the 2027 budget — cuts  ", 80), "no-to-the-2027-budget-cuts");
        assert_eq!(from_title("Ça suffit, Montréal", 80), "ca-suffit-montreal");
        assert_eq!(from_title("¡¿?!", 80), "");
        let long = from_title(&"word ".repeat(40), 60);
        assert!(long.len() <= 60 && is_valid(&long, 60), "{long}");
    }

    #[test]
    fn addresses_are_words_joined_by_hyphens() {
        assert!(is_valid("save-the-park", 80));
        assert!(is_valid("t-shirt-2", 10));
        for bad in ["", "-park", "park-", "Park", "the park", "parc-é", "a/b"] {
            assert!(!is_valid(bad, 80), "{bad}");
        }
        assert!(!is_valid("eleven-char", 10));
    }

    #[test]
    fn an_address_waits_for_a_title_only_when_both_are_empty() {
        assert!(may_stand("", "  ", 80));
        assert!(may_stand("save-the-park", "", 80));
        // A title with nothing to make an address of, or a wrong address, is still named.
        assert!(!may_stand("", "¡¿?!", 80));
        assert!(!may_stand("Not A Slug", "", 80));
    }
}
