//! Which days a run compares: the production window it scores and the reference window it
//! compares them with, as Azure ML v2 defines them, in whole days of snapshots.
//!
//! A run scores one cycle `W` of the detector's frequency (inclusive days); let `E = W.end + 1`
//! (the run's "now", midnight after the cycle). Windows are half-open day ranges before `E`:
//!
//! * production, `size_p` days offset `offset_p`: `[E - offset_p - size_p, E - offset_p)`;
//!   default size the cycle's length and offset `P0D`, so by default it is the cycle itself;
//! * rolling reference, `size_r` days offset `offset_r`: `[E - offset_r - size_r, E - offset_r)`;
//!   default offset twice the production size (Azure ML's default), so that by default the two
//!   windows do not touch;
//! * fixed reference: `window_start..=window_end`, the same for every run.
//!
//! For a Day detector scoring Jan 31 (`E` = Feb 1), production `P7D`/`P0D` is Jan 25..=Jan 31 and
//! a reference `P24D` offset `P7D` is Jan 1..=Jan 24: Azure ML's example.

use chrono::{Days, NaiveDate};

use super::config::DetectorConfig;
use super::rules::{ConfigError, FIRST_DATE, LAST_DATE};
use super::schedule::Window;
use super::signals::{WindowConfig, parse_days};

/// A reference window as configured, durations in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceSpan {
    /// `size` days ending `offset` days before the end of the scored cycle; `offset` `None`
    /// takes the default, twice the production window's size.
    Rolling {
        /// Days in the window (at least 1).
        size: u32,
        /// Days between the window's end and the end of the scored cycle.
        offset: Option<u32>,
    },
    /// The same days for every run.
    Fixed(Window),
}

/// A production window as configured, durations in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProductionSpan {
    /// Days in the window; `None` is one cycle of the detector's frequency.
    pub size: Option<u32>,
    /// Days between the window's end and the end of the scored cycle (default 0).
    pub offset: u32,
}

fn window_error(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Window {
        field,
        reason: reason.into(),
    }
}

fn days(field: &'static str, text: &Option<String>) -> Result<Option<u32>, ConfigError> {
    text.as_deref()
        .map(|t| parse_days(t).map_err(|reason| window_error(field, reason)))
        .transpose()
}

/// Checks `reference_window`: fixed (both dates, start not after end, no lookback fields) or
/// rolling (a size of at least one day, an optional offset).
pub fn reference_span(config: &WindowConfig) -> Result<ReferenceSpan, ConfigError> {
    let size = days(
        "reference_window.lookback_window_size",
        &config.lookback_window_size,
    )?;
    let offset = days(
        "reference_window.lookback_window_offset",
        &config.lookback_window_offset,
    )?;
    if config.window_start.is_some() || config.window_end.is_some() {
        if size.is_some() || offset.is_some() {
            return Err(window_error(
                "reference_window",
                "a window is fixed (`window_start`, `window_end`) or rolling (`lookback_window_size`, `lookback_window_offset`), not both",
            ));
        }
        let (Some(start), Some(end)) = (config.window_start, config.window_end) else {
            let missing = if config.window_start.is_none() {
                "reference_window.window_start"
            } else {
                "reference_window.window_end"
            };
            return Err(window_error(
                missing,
                "a fixed window needs both `window_start` and `window_end`",
            ));
        };
        if end < start {
            return Err(window_error(
                "reference_window.window_end",
                format!("`{end}` is before `window_start` `{start}`"),
            ));
        }
        if start < FIRST_DATE || end > LAST_DATE {
            return Err(window_error(
                "reference_window",
                format!("`{start}`..`{end}` is outside {FIRST_DATE}..{LAST_DATE}"),
            ));
        }
        return Ok(ReferenceSpan::Fixed(Window { start, end }));
    }
    match size {
        None => Err(window_error(
            "reference_window.lookback_window_size",
            "missing: a rolling window needs its size (`P28D`), a fixed one `window_start` and `window_end`",
        )),
        Some(0) => Err(window_error(
            "reference_window.lookback_window_size",
            "`P0D` is empty; give at least one day",
        )),
        Some(size) => Ok(ReferenceSpan::Rolling { size, offset }),
    }
}

/// Checks `production_window`: rolling fields only, a size of at least one day.
pub fn production_span(config: &WindowConfig) -> Result<ProductionSpan, ConfigError> {
    if config.window_start.is_some() || config.window_end.is_some() {
        return Err(window_error(
            "production_window",
            "the production window moves with each run: give `lookback_window_size` and `lookback_window_offset`, not `window_start` or `window_end`",
        ));
    }
    let size = days(
        "production_window.lookback_window_size",
        &config.lookback_window_size,
    )?;
    if size == Some(0) {
        return Err(window_error(
            "production_window.lookback_window_size",
            "`P0D` is empty; give at least one day",
        ));
    }
    let offset = days(
        "production_window.lookback_window_offset",
        &config.lookback_window_offset,
    )?
    .unwrap_or(0);
    Ok(ProductionSpan { size, offset })
}

/// Checks both windows of a definition (called by `Detector::try_from`).
pub(super) fn validate(config: &DetectorConfig) -> Result<(), ConfigError> {
    if let Some(w) = &config.reference_window {
        reference_span(w)?;
    }
    if let Some(w) = &config.production_window {
        production_span(w)?;
    }
    Ok(())
}

/// The days `[end_exclusive - offset - size, end_exclusive - offset)`, or `None` when they leave
/// the calendar.
fn before(end_exclusive: NaiveDate, size: u32, offset: u32) -> Option<Window> {
    let end = end_exclusive.checked_sub_days(Days::new(u64::from(offset) + 1))?;
    let start = end.checked_sub_days(Days::new(u64::from(size.max(1)) - 1))?;
    Some(Window { start, end })
}

fn cycle_length(cycle: &Window) -> u32 {
    u32::try_from((cycle.end - cycle.start).num_days() + 1).unwrap_or(1)
}

/// The windows of one run of a detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindows {
    /// The days scored.
    pub production: Window,
    /// The days compared with, when the detector has a reference window.
    pub reference: Option<Window>,
}

impl RunWindows {
    /// The windows of the run that scores `cycle`, by the arithmetic of the module docs. A
    /// window that would leave the calendar is clamped to the cycle (production) or dropped
    /// (reference); definitions were validated, so this only happens near year 1900 or 9999.
    pub fn of(config: &DetectorConfig, cycle: Window) -> RunWindows {
        let production_span = config
            .production_window
            .as_ref()
            .and_then(|w| production_span(w).ok())
            .unwrap_or_default();
        let end_exclusive = cycle.end.succ_opt().unwrap_or(cycle.end);
        let size_p = production_span.size.unwrap_or_else(|| cycle_length(&cycle));
        let production = before(end_exclusive, size_p, production_span.offset).unwrap_or(cycle);
        let reference = config
            .reference_window
            .as_ref()
            .and_then(|w| reference_span(w).ok())
            .and_then(|span| match span {
                ReferenceSpan::Fixed(w) => Some(w),
                ReferenceSpan::Rolling { size, offset } => {
                    before(end_exclusive, size, offset.unwrap_or(2 * size_p))
                }
            });
        RunWindows {
            production,
            reference,
        }
    }

    /// Whether the reference and production windows share a day.
    pub fn overlap(&self) -> bool {
        self.reference
            .is_some_and(|r| r.start <= self.production.end && self.production.start <= r.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::Frequency;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn config(reference: Option<WindowConfig>, production: Option<WindowConfig>) -> DetectorConfig {
        let mut c: DetectorConfig = serde_json::from_value(serde_json::json!({
            "name": "d", "model_name": "m", "model_version": 1, "services": ["s"], "baseline": ""
        }))
        .unwrap();
        c.reference_window = reference;
        c.production_window = production;
        c
    }

    fn rolling(size: &str, offset: Option<&str>) -> WindowConfig {
        WindowConfig {
            lookback_window_size: Some(size.into()),
            lookback_window_offset: offset.map(Into::into),
            ..WindowConfig::default()
        }
    }

    fn w(start: &str, end: &str) -> Window {
        Window {
            start: d(start),
            end: d(end),
        }
    }

    /// Rows: frequency, scored date, reference window, production window, expected production,
    /// expected reference.
    #[test]
    fn day_arithmetic_table() {
        type Row<'a> = (
            Frequency,
            &'a str,
            Option<WindowConfig>,
            Option<WindowConfig>,
            Window,
            Option<Window>,
        );
        let rows: Vec<Row> = vec![
            // Azure ML's example: production P7D/P0D, reference P24D offset P7D.
            (
                Frequency::Day,
                "2026-01-31",
                Some(rolling("P24D", Some("P7D"))),
                Some(rolling("P7D", Some("P0D"))),
                w("2026-01-25", "2026-01-31"),
                Some(w("2026-01-01", "2026-01-24")),
            ),
            // Defaults: production = the cycle, reference offset = 2 x production size.
            (
                Frequency::Day,
                "2026-03-10",
                Some(rolling("P28D", None)),
                None,
                w("2026-03-10", "2026-03-10"),
                Some(w("2026-02-09", "2026-03-08")),
            ),
            (
                Frequency::Day,
                "2026-03-10",
                Some(rolling("P28D", Some("P7D"))),
                None,
                w("2026-03-10", "2026-03-10"),
                Some(w("2026-02-04", "2026-03-03")),
            ),
            // A week: production Mon..Sun, reference offset 14 days.
            (
                Frequency::Week,
                "2026-11-25",
                Some(rolling("P4W", None)),
                None,
                w("2026-11-23", "2026-11-29"),
                Some(w("2026-10-19", "2026-11-15")),
            ),
            // A month: the production window is the month, whatever its length.
            (
                Frequency::Month,
                "2026-02-14",
                Some(rolling("P1D", Some("P0D"))),
                None,
                w("2026-02-01", "2026-02-28"),
                Some(w("2026-02-28", "2026-02-28")),
            ),
            // Production offset.
            (
                Frequency::Day,
                "2026-03-10",
                None,
                Some(rolling("P3D", Some("P1D"))),
                w("2026-03-07", "2026-03-09"),
                None,
            ),
            // Fixed reference.
            (
                Frequency::Day,
                "2026-03-10",
                Some(WindowConfig {
                    window_start: Some(d("2025-12-01")),
                    window_end: Some(d("2025-12-31")),
                    ..WindowConfig::default()
                }),
                None,
                w("2026-03-10", "2026-03-10"),
                Some(w("2025-12-01", "2025-12-31")),
            ),
        ];
        for (f, date, reference, production, want_p, want_r) in rows {
            let c = config(reference, production);
            let got = RunWindows::of(&c, f.window_containing(d(date)));
            assert_eq!(got.production, want_p, "{f:?} {date}");
            assert_eq!(got.reference, want_r, "{f:?} {date}");
        }
    }

    #[test]
    fn overlap_is_any_shared_day() {
        let c = config(Some(rolling("P7D", Some("P0D"))), None);
        let got = RunWindows::of(&c, Frequency::Day.window_containing(d("2026-03-10")));
        assert_eq!(got.reference, Some(w("2026-03-04", "2026-03-10")));
        assert!(got.overlap());
        let c = config(Some(rolling("P7D", Some("P1D"))), None);
        assert!(!RunWindows::of(&c, Frequency::Day.window_containing(d("2026-03-10"))).overlap());
    }

    #[test]
    fn a_reference_window_makes_the_baseline_optional() {
        let def = |extra: &str| {
            crate::detector::Detector::from_json(
                format!(
                    r#"{{"name":"d","model_name":"m","model_version":1,"services":["s"]{extra}}}"#
                )
                .as_bytes(),
            )
        };
        let err = def("").unwrap_err().to_string();
        assert!(err.starts_with("field `baseline`: empty"), "{err}");
        assert!(
            def(r#","baseline":" ","reference_window":{"lookback_window_size":"P7D"}"#).is_err()
        );
        let d = def(r#","reference_window":{"lookback_window_size":"P28D"}"#).unwrap();
        assert_eq!(d.baseline, "");
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains("\"baseline\""), "{json}");
    }

    #[test]
    fn rules_name_the_field() {
        let fixed_and_rolling = WindowConfig {
            lookback_window_size: Some("P7D".into()),
            window_start: Some(d("2026-01-01")),
            window_end: Some(d("2026-01-02")),
            ..WindowConfig::default()
        };
        let half_fixed = WindowConfig {
            window_start: Some(d("2026-01-01")),
            ..WindowConfig::default()
        };
        let backwards = WindowConfig {
            window_start: Some(d("2026-01-02")),
            window_end: Some(d("2026-01-01")),
            ..WindowConfig::default()
        };
        let cases: Vec<(Option<WindowConfig>, Option<WindowConfig>, &str)> = vec![
            (
                Some(fixed_and_rolling),
                None,
                "field `reference_window`: a window is fixed",
            ),
            (
                Some(half_fixed.clone()),
                None,
                "field `reference_window.window_end`: a fixed window needs both",
            ),
            (
                Some(backwards),
                None,
                "field `reference_window.window_end`: `2026-01-01` is before",
            ),
            (
                Some(WindowConfig::default()),
                None,
                "field `reference_window.lookback_window_size`: missing",
            ),
            (
                Some(rolling("P0D", None)),
                None,
                "field `reference_window.lookback_window_size`: `P0D` is empty",
            ),
            (
                Some(rolling("P1M", None)),
                None,
                "field `reference_window.lookback_window_size`: `P1M`: give the duration in days",
            ),
            (
                Some(rolling("P7D", Some("7D"))),
                None,
                "field `reference_window.lookback_window_offset`: `7D` is not",
            ),
            (
                None,
                Some(half_fixed),
                "field `production_window`: the production window moves",
            ),
            (
                None,
                Some(rolling("PT1H", None)),
                "field `production_window.lookback_window_size`",
            ),
            (
                None,
                Some(rolling("P0D", None)),
                "field `production_window.lookback_window_size`: `P0D` is empty",
            ),
        ];
        for (reference, production, want) in cases {
            let err = validate(&config(reference, production))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "got `{err}`, want `{want}`");
        }
        validate(&config(
            Some(rolling("P28D", Some("P7D"))),
            Some(rolling("P1D", None)),
        ))
        .unwrap();
    }
}
