//! Text rules every layer shares, each written once: the date layout, Blob Storage locations,
//! error chains, panic messages and text fit for a terminal.

use chrono::NaiveDate;

/// The layout of a date everywhere driftscan reads or writes one (`2026-11-24`), as Azure ML
/// writes `datetime`. `NaiveDate`'s `Display` writes the same layout.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

/// A date in [`DATE_FORMAT`].
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, DATE_FORMAT).ok()
}

/// The scheme of a location in Blob Storage: `az://container[/path]`.
pub const AZ_SCHEME: &str = "az://";

/// `az://container[/path]` as its container and the path below it (empty for the container
/// itself); `None` for any other location.
pub fn split_az(location: &str) -> Option<(&str, &str)> {
    let rest = location.strip_prefix(AZ_SCHEME)?;
    Some(rest.split_once('/').unwrap_or((rest, "")))
}

/// An error and its causes on one line, a cause left out when the message above already says it
/// (as a failed result records it, and as a log line or an answer shows it).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

/// The text of a panic's payload (a `String` or a `&str`; anything else is `unknown panic`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Whether a character may not reach a terminal as it is: C0 controls (tab and line breaks
/// included), DEL, C1 controls, and the bidirectional controls (U+200E, U+200F, U+202A to U+202E,
/// U+2066 to U+2069), which reorder the text shown after them.
fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text as a terminal may show it: every [`is_terminal_control`] character written as a `\u{..}`
/// escape. Column names come from data files, and a name holding `ESC [31m` or U+202E would
/// otherwise recolour the terminal or reverse what follows it. Every line the command line prints
/// for reading passes here; JSON output keeps names exact.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_terminal_control(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`for_terminal`] line by line: the line breaks of a rendered text stay.
pub fn for_terminal_lines(text: &str) -> String {
    text.split('\n')
        .map(for_terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names in a message: the first `max` joined by commas, then how many more there are.
pub fn some_names<S: AsRef<str>>(names: &[S], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(AsRef::as_ref).collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_for_the_terminal() {
        assert_eq!(for_terminal("income"), "income");
        assert_eq!(for_terminal("\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(for_terminal("a\u{202e}b"), "a\\u{202e}b");
        for c in [
            '\u{9b}', '\u{7f}', '\t', '\r', '\u{200f}', '\u{2066}', '\u{2069}',
        ] {
            let shown = for_terminal(&c.to_string()).into_owned();
            assert!(shown.starts_with("\\u{"), "{c:?} -> {shown}");
        }
        assert_eq!(for_terminal("é ü 数"), "é ü 数");
        assert_eq!(for_terminal_lines("a\x1b\nb\n"), "a\\u{1b}\nb\n");
    }

    #[test]
    fn az_locations_split_into_container_and_path() {
        assert_eq!(split_az("az://data/a/b.csv"), Some(("data", "a/b.csv")));
        assert_eq!(split_az("az://data"), Some(("data", "")));
        assert_eq!(split_az("/srv/data"), None);
        assert_eq!(parse_day("2026-11-24").unwrap().to_string(), "2026-11-24");
        assert_eq!(parse_day("24.11.2026"), None);
    }
}
