//! Lenient reading of one text value as a number, shared by every format so that CSV, JSON and
//! Parquet string columns agree on what counts as missing, invalid and non-finite.

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

#[cfg(test)]
mod tests {
    use super::*;

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
