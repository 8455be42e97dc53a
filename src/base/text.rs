//! Text rules every layer shares, each written once: the date layout, Blob Storage locations,
//! error chains and panic messages.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_locations_split_into_container_and_path() {
        assert_eq!(split_az("az://data/a/b.csv"), Some(("data", "a/b.csv")));
        assert_eq!(split_az("az://data"), Some(("data", "")));
        assert_eq!(split_az("/srv/data"), None);
        assert_eq!(parse_day("2026-11-24").unwrap().to_string(), "2026-11-24");
        assert_eq!(parse_day("24.11.2026"), None);
    }
}
