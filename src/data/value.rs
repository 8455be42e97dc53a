//! Lenient reading of one text value as a number, and the one spelling of a boolean category,
//! shared by every format so that CSV, JSON and Parquet columns agree on what counts as missing,
//! invalid and non-finite, and on which category a boolean is.

/// What one text value is, seen from a numeric column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parsed {
    /// Empty (after trimming ASCII whitespace): a missing value.
    Missing,
    /// A number; NaN and +-inf (spelled `nan`, `NaN`, `inf`, `-inf`, `Infinity`, any case) included.
    Number(f64),
    /// Text that is not a number, such as `abc`: counted as invalid, then treated as missing.
    Invalid,
}

/// Reads `s` as a number. Whitespace around the value is ignored, as pandas does.
#[inline]
pub fn parse_number(s: &str) -> Parsed {
    let t = s.trim_ascii();
    if t.is_empty() {
        return Parsed::Missing;
    }
    match t.parse::<f64>() {
        Ok(v) => Parsed::Number(v),
        Err(_) => Parsed::Invalid,
    }
}

/// A text value as a category: `True`, `TRUE` and the other spellings of a boolean become
/// `true` or `false`, the spelling of a boolean column in Parquet, Arrow and JSON. pandas writes
/// booleans to CSV as `True`/`False`; without this, a baseline in Parquet and a snapshot in CSV
/// would share no category of a boolean feature, and the feature would be all drift and all out
/// of bounds.
#[inline]
pub fn text_label(s: &str) -> &str {
    match s.len() {
        4 if s.eq_ignore_ascii_case("true") => "true",
        5 if s.eq_ignore_ascii_case("false") => "false",
        _ => s,
    }
}

/// Whether [`text_label`] would change `s`.
#[inline]
pub fn is_unusual_boolean(s: &str) -> bool {
    text_label(s) != s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_have_one_spelling_as_categories() {
        for s in ["True", "TRUE", "true", "tRUE"] {
            assert_eq!(text_label(s), "true");
        }
        for s in ["False", "FALSE", "false"] {
            assert_eq!(text_label(s), "false");
        }
        for s in ["Truth", "yes", "T", "", "falsey"] {
            assert_eq!(text_label(s), s);
        }
        assert!(is_unusual_boolean("True") && !is_unusual_boolean("true"));
        assert!(!is_unusual_boolean("abc"));
    }

    #[test]
    fn parses_numbers_non_finite_spellings_and_rejects_text() {
        assert_eq!(parse_number(""), Parsed::Missing);
        assert_eq!(parse_number("  "), Parsed::Missing);
        assert_eq!(parse_number(" 1.5 "), Parsed::Number(1.5));
        assert_eq!(parse_number("1e3"), Parsed::Number(1000.0));
        assert_eq!(parse_number("-7"), Parsed::Number(-7.0));
        for s in ["inf", "Infinity", "+inf"] {
            assert_eq!(parse_number(s), Parsed::Number(f64::INFINITY), "{s}");
        }
        assert_eq!(parse_number("-inf"), Parsed::Number(f64::NEG_INFINITY));
        for s in ["nan", "NaN", "NAN"] {
            assert!(
                matches!(parse_number(s), Parsed::Number(v) if v.is_nan()),
                "{s}"
            );
        }
        assert_eq!(parse_number("abc"), Parsed::Invalid);
        assert_eq!(parse_number("4.x4"), Parsed::Invalid);
        assert_eq!(parse_number("true"), Parsed::Invalid);
    }
}
