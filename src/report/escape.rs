//! The one escape function every value taken from data passes through.
//!
//! Column names, category labels, service names, file paths and error messages all come from
//! users' data or configuration, and any of them can hold `<script>`. Escaping them in one place,
//! with one rule that is safe both in element text and in quoted attribute values (SVG `<title>`,
//! `<text>`, table cells, `title="..."`), means no call site has to decide which escaping applies.

use std::borrow::Cow;

/// Escapes `&`, `<`, `>`, `"` and `'` so the text is inert in HTML and SVG element content and in
/// single- or double-quoted attribute values. Control characters other than tab, newline and
/// carriage return are dropped: they are invalid in XML (so in inline SVG) and never meaningful
/// in a label.
pub fn escape(s: &str) -> Cow<'_, str> {
    let needs = s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'') || is_dropped_control(c));
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_dropped_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_dropped_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Shortens a label to at most `max` characters (an ellipsis marks the cut), for chart axes where
/// space is fixed; the full text goes into a `<title>` beside it. Returns unescaped text.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_in_text_and_attributes() {
        let cases = [
            ("plain", "plain"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)&gt;",
            ),
            ("a\"b'c", "a&quot;b&#39;c"),
            ("AT&T", "AT&amp;T"),
            ("&lt;", "&amp;lt;"),
            ("tab\tok", "tab\tok"),
            ("nul\u{0}bell\u{7}", "nulbell"),
            ("ünïcödé ✓", "ünïcödé ✓"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn escape_borrows_when_nothing_to_do() {
        assert!(matches!(escape("age_in_years"), Cow::Borrowed(_)));
        assert!(matches!(escape("a<b"), Cow::Owned(_)));
    }

    #[test]
    fn escaped_text_contains_no_markup_characters() {
        let nasty = "</title></svg><svg onload=alert(1)>\"'`&";
        let e = escape(nasty);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
    }

    #[test]
    fn truncate_keeps_short_labels_and_marks_cuts() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a_very_long_feature_name", 10), "a_very_lo…");
        assert_eq!(truncate("ääääääääää", 5).chars().count(), 5);
    }
}
