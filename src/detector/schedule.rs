//! When a detector runs and what it scores: frequencies, target windows, backfill cycles and the
//! timer's schedule.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::rules::{ConfigError, MAX_BACKFILL_CYCLES};

/// How often a detector scores, and so how long its target window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Frequency {
    /// The most recent complete day.
    #[default]
    Day,
    /// The most recent complete Monday-to-Sunday week.
    Week,
    /// The most recent complete calendar month.
    Month,
}

/// Prefix of the Azure Functions timer function generated for a detector: `drift-<detector>`.
///
/// Function names must start with a letter while detector names may start with a digit; the prefix
/// makes every valid detector name a valid function name.
pub const TIMER_FUNCTION_PREFIX: &str = "drift-";

/// Hours after a window closes (plus the detector's latency) at which its timer fires: model data
/// collection can take minutes to land, so the scan waits a little.
pub const TIMER_MARGIN_HOURS: u32 = 2;

/// A target window: every day from `start` to `end`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First day; also the scoring date the result is stored under.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
}

impl Window {
    /// The days of the window, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| *d <= self.end)
    }
}

impl Frequency {
    /// The window of this frequency that contains `date`: the day itself, its Monday-to-Sunday
    /// week, or its calendar month.
    pub fn window_containing(self, date: NaiveDate) -> Window {
        match self {
            Frequency::Day => Window {
                start: date,
                end: date,
            },
            Frequency::Week => {
                let start = date
                    .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
                    .unwrap_or(date);
                Window {
                    start,
                    end: start.checked_add_days(Days::new(6)).unwrap_or(start),
                }
            }
            Frequency::Month => {
                let start = date.with_day(1).unwrap_or(date);
                let end = start
                    .checked_add_months(Months::new(1))
                    .and_then(|next| next.pred_opt())
                    .unwrap_or(start);
                Window { start, end }
            }
        }
    }

    /// The most recent complete window as of `now`, after waiting `latency` hours for its data:
    /// the newest window whose end (midnight after its last day) plus `latency` is not after `now`.
    pub fn due_window(self, now: DateTime<Utc>, latency: u32) -> Window {
        let as_of = now - TimeDelta::hours(i64::from(latency));
        // The day before `as_of`'s day is complete; the window containing it is complete only if
        // it ends on that day, otherwise step back one window.
        let yesterday = as_of.date_naive().pred_opt().unwrap_or(as_of.date_naive());
        let w = self.window_containing(yesterday);
        if w.end <= yesterday {
            w
        } else {
            self.window_containing(w.start.pred_opt().unwrap_or(w.start))
        }
    }

    /// Splits `start..=end` into the windows that cover it (the first and last may reach outside
    /// the range, since windows are aligned to the frequency). More than
    /// [`MAX_BACKFILL_CYCLES`] windows is an error, as in Azure ML.
    pub fn backfill_windows(
        self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Window>, ConfigError> {
        if end < start {
            return Err(ConfigError::DateOrder { start, end });
        }
        let mut windows = Vec::new();
        let mut w = self.window_containing(start);
        loop {
            windows.push(w);
            if windows.len() > MAX_BACKFILL_CYCLES {
                // Count the rest only to say how far over the limit the request is.
                let mut cycles = windows.len();
                let mut next = w;
                while next.end < end {
                    next = self.window_containing(next.end.succ_opt().unwrap_or(next.end));
                    cycles += 1;
                }
                return Err(ConfigError::BackfillTooLong {
                    start,
                    end,
                    cycles,
                    frequency: self,
                });
            }
            if w.end >= end {
                break;
            }
            match w.end.succ_opt() {
                Some(next) => w = self.window_containing(next),
                None => break,
            }
        }
        Ok(windows)
    }
}
