//! Reading sink settings from environment-like variables: one lookup, shared by every channel's
//! own `from_settings`, so each channel keeps its settings next to its code.

use std::time::Duration;

use super::SinkError;

/// A variable lookup where empty values count as unset and values are trimmed.
pub(crate) struct Settings<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Settings<'a> {
    /// Settings read through `lookup` (a variable name to its value).
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Settings { lookup }
    }

    /// The trimmed value of `var`, `None` when unset or empty.
    pub(crate) fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The error for a value of `var` that cannot be used.
    pub(crate) fn invalid(&self, var: &'static str, value: &str, reason: &str) -> SinkError {
        SinkError::InvalidSetting {
            var,
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A switch: `1`, `true` or `yes` on, `0`, `false` or `no` off; off when unset.
    pub(crate) fn flag(&self, var: &'static str) -> Result<bool, SinkError> {
        match self.get(var) {
            None => Ok(false),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                _ => Err(self.invalid(var, &v, "expected 1 or 0")),
            },
        }
    }

    /// A duration in seconds (above 0, at most an hour), `default` when unset.
    pub(crate) fn secs(&self, var: &'static str, default: u64) -> Result<Duration, SinkError> {
        match self.get(var) {
            None => Ok(Duration::from_secs(default)),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| self.invalid(var, &v, "expected seconds, above 0 and at most 3600")),
        }
    }
}
