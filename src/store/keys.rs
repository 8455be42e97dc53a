//! The key layout, in one place: every key the service writes is built here from validated names.
//!
//! ```text
//! detectors/{detector}.json                         definition + state (enabled/disabled)
//! baselines/{detector}/{content-hash}.profile       cached baseline profile
//! runs/{detector}/{service}/{yyyy}/{mm}/{dd}.json   the result of a scoring date; a rerun replaces it
//! runs/{detector}/{service}/{yyyy}/{mm}/{dd}.failed.json
//!                                                   the last unsuccessful attempt that was not allowed
//!                                                   to replace a succeeded result
//! profiles/{detector}/{service}/{yyyy}/{mm}/{dd}.profile
//!                                                   the profile of a day's snapshot, for reference windows
//! profiles/{detector}/{service}/{yyyy}/{mm}/{dd}.sources.json
//!                                                   the files (keys, sizes, change tags) it was built from
//! ```

use chrono::{Datelike, NaiveDate};

use super::StoreError;
use crate::detector::validate_name;

/// A `/`-separated key below a store's root whose every segment was checked: not empty, not `.`
/// or `..`, no `/`, `\` or control characters. No key can escape the root it is joined to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// The root itself (for listing everything).
    pub fn root() -> Key {
        Key(String::new())
    }

    /// Joins checked segments.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Key, StoreError> {
        let mut out = String::new();
        for seg in segments {
            let seg = seg.as_ref();
            check_segment(seg).map_err(|reason| StoreError::InvalidKey {
                key: segments
                    .iter()
                    .map(AsRef::as_ref)
                    .collect::<Vec<_>>()
                    .join("/"),
                reason,
            })?;
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(seg);
        }
        Ok(Key(out))
    }

    /// Parses a `/`-separated key; empty segments from doubled or trailing slashes are dropped,
    /// anything that could climb out of the root is rejected.
    pub fn parse(key: &str) -> Result<Key, StoreError> {
        if key.starts_with('/') {
            return Err(StoreError::InvalidKey {
                key: key.to_string(),
                reason: "absolute paths are not keys".into(),
            });
        }
        let segs: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
        Key::from_segments(&segs).map_err(|e| match e {
            StoreError::InvalidKey { reason, .. } => StoreError::InvalidKey {
                key: key.to_string(),
                reason,
            },
            other => other,
        })
    }

    /// This key with one more checked segment.
    pub fn join(&self, segment: &str) -> Result<Key, StoreError> {
        let mut segs: Vec<&str> = self.segments().collect();
        segs.push(segment);
        Key::from_segments(&segs)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_segment(seg: &str) -> Result<(), String> {
    if seg.is_empty() {
        return Err("empty path segment".into());
    }
    if seg == "." || seg == ".." {
        return Err(format!("segment `{seg}` could leave the store"));
    }
    if seg.contains(['/', '\\']) {
        return Err(format!("segment `{seg}` contains a path separator"));
    }
    if seg.chars().any(char::is_control) {
        return Err(format!(
            "segment `{}` contains a control character",
            seg.escape_debug()
        ));
    }
    if super::local::is_internal(seg) {
        return Err(format!(
            "segment `{seg}` uses a name reserved for the store's own files"
        ));
    }
    Ok(())
}

fn invalid(key: String, err: impl std::fmt::Display) -> StoreError {
    StoreError::InvalidKey {
        key,
        reason: err.to_string(),
    }
}

/// `detectors/{detector}.json`.
pub fn detector(name: &str) -> Result<Key, StoreError> {
    validate_name(name).map_err(|e| invalid(format!("detectors/{name}.json"), e))?;
    Key::from_segments(&["detectors", &format!("{name}.json")])
}

/// `detectors/`, to list definitions.
pub fn detectors_prefix() -> Key {
    Key("detectors".into())
}

/// `baselines/{detector}/{content-hash}.profile`; the hash must be lower-case hex.
pub fn baseline(detector: &str, content_hash: &str) -> Result<Key, StoreError> {
    validate_name(detector).map_err(|e| invalid(format!("baselines/{detector}"), e))?;
    if content_hash.is_empty()
        || !content_hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        return Err(invalid(
            format!("baselines/{detector}/{content_hash}.profile"),
            format!("content hash `{content_hash}` is not lower-case hex"),
        ));
    }
    Key::from_segments(&["baselines", detector, &format!("{content_hash}.profile")])
}

/// `baselines/{detector}/`, the folder of a detector's cached baseline profiles.
pub fn baseline_prefix(detector: &str) -> Result<Key, StoreError> {
    validate_name(detector).map_err(|e| invalid(format!("baselines/{detector}"), e))?;
    Key::from_segments(&["baselines", detector])
}

/// `runs/{detector}/{service}/{yyyy}/{mm}/{dd}.json`.
pub fn run(detector: &str, service: &str, date: NaiveDate) -> Result<Key, StoreError> {
    run_with_suffix(detector, service, date, "json")
}

/// `runs/{detector}/{service}/{yyyy}/{mm}/{dd}.failed.json`.
pub fn failed_run(detector: &str, service: &str, date: NaiveDate) -> Result<Key, StoreError> {
    run_with_suffix(detector, service, date, "failed.json")
}

/// `runs/{detector}/{service}/{yyyy}/{mm}/{dd}.delivery.json`: what publishing delivered.
pub fn delivery(detector: &str, service: &str, date: NaiveDate) -> Result<Key, StoreError> {
    run_with_suffix(detector, service, date, "delivery.json")
}

fn run_with_suffix(
    detector: &str,
    service: &str,
    date: NaiveDate,
    suffix: &str,
) -> Result<Key, StoreError> {
    validate_name(detector).map_err(|e| invalid(format!("runs/{detector}"), e))?;
    Key::from_segments(&[
        "runs",
        detector,
        service,
        &format!("{:04}", date.year()),
        &format!("{:02}", date.month()),
        &format!("{:02}.{suffix}", date.day()),
    ])
}

/// `profiles/{detector}/{service}/{yyyy}/{mm}/{dd}.profile`: the cached profile of one day's
/// snapshot, merged into the reference windows that cover the day.
pub fn day_profile(detector: &str, service: &str, date: NaiveDate) -> Result<Key, StoreError> {
    dated("profiles", detector, service, date, "profile")
}

/// `profiles/{detector}/{service}/{yyyy}/{mm}/{dd}.sources.json`: what the day's cached profile
/// was built from, so that a day whose files changed is profiled again.
pub fn day_profile_sources(
    detector: &str,
    service: &str,
    date: NaiveDate,
) -> Result<Key, StoreError> {
    dated("profiles", detector, service, date, "sources.json")
}

fn dated(
    root: &str,
    detector: &str,
    service: &str,
    date: NaiveDate,
    suffix: &str,
) -> Result<Key, StoreError> {
    validate_name(detector).map_err(|e| invalid(format!("{root}/{detector}"), e))?;
    Key::from_segments(&[
        root,
        detector,
        service,
        &format!("{:04}", date.year()),
        &format!("{:02}", date.month()),
        &format!("{:02}.{suffix}", date.day()),
    ])
}

/// `runs/{detector}/{service}/`, to list a service's history.
pub fn runs_prefix(detector: &str, service: &str) -> Result<Key, StoreError> {
    validate_name(detector).map_err(|e| invalid(format!("runs/{detector}"), e))?;
    Key::from_segments(&["runs", detector, service])
}

/// The scoring date of a key under [`runs_prefix`], and whether it is a `.failed.json` record.
pub fn parse_run_key(key: &str) -> Option<(NaiveDate, bool)> {
    let segs: Vec<&str> = key.split('/').collect();
    let n = segs.len();
    if n < 3 {
        return None;
    }
    let (day, failed) = if let Some(d) = segs[n - 1].strip_suffix(".failed.json") {
        (d, true)
    } else {
        (segs[n - 1].strip_suffix(".json")?, false)
    };
    let y: i32 = segs[n - 3].parse().ok()?;
    let m: u32 = segs[n - 2].parse().ok()?;
    let d: u32 = day.parse().ok()?;
    Some((NaiveDate::from_ymd_opt(y, m, d)?, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_layout() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(detector("churn").unwrap().as_str(), "detectors/churn.json");
        assert_eq!(
            baseline("churn", "ab01").unwrap().as_str(),
            "baselines/churn/ab01.profile"
        );
        assert_eq!(
            run("churn", "aks prod", day).unwrap().as_str(),
            "runs/churn/aks prod/2026/03/05.json"
        );
        assert_eq!(
            failed_run("churn", "s", day).unwrap().as_str(),
            "runs/churn/s/2026/03/05.failed.json"
        );
        assert_eq!(
            day_profile("churn", "aks prod", day).unwrap().as_str(),
            "profiles/churn/aks prod/2026/03/05.profile"
        );
        assert_eq!(
            day_profile_sources("churn", "s", day).unwrap().as_str(),
            "profiles/churn/s/2026/03/05.sources.json"
        );
        assert!(day_profile("..", "s", day).is_err());
        assert!(day_profile("d", "a/b", day).is_err());
        assert_eq!(
            parse_run_key("runs/churn/s/2026/03/05.json"),
            Some((day, false))
        );
        assert_eq!(
            parse_run_key("runs/churn/s/2026/03/05.failed.json"),
            Some((day, true))
        );
        assert_eq!(parse_run_key("runs/churn/s/2026/03/xx.json"), None);
    }

    #[test]
    fn nothing_can_escape_the_root() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let bad = [
            detector("../x").err(),
            detector("a/b").err(),
            baseline("d", "../../x").err(),
            baseline("d", "ABC").err(),
            run("d", "..", day).err(),
            run("d", ".", day).err(),
            run("d", "a/b", day).err(),
            run("d", "a\\b", day).err(),
            run("d", "", day).err(),
            run("..", "s", day).err(),
            Key::parse("/etc/passwd").err(),
            Key::parse("a/../../b").err(),
            Key::parse("a/./b").err(),
            Key::parse("a/b\n").err(),
            Key::parse("a/x.driftscan-lock").err(),
        ];
        for (i, e) in bad.into_iter().enumerate() {
            assert!(
                matches!(e, Some(StoreError::InvalidKey { .. })),
                "case {i}: {e:?}"
            );
        }
        assert_eq!(Key::parse("a//b/").unwrap().as_str(), "a/b");
    }
}
