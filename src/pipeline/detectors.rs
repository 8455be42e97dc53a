//! Every detector operation, with its validation, for every way in.
//!
//! The command line (`driftscan detectors ...`), the REST API and the Python package's
//! `DataDriftDetector` on a local store call [`Detectors`] and nothing else: they translate their
//! input into a call and the answer (or the [`OpError`]) into their output. So a baseline outside
//! the roots, a date in the future, a backfill of 31 cycles or a report over too many days is
//! refused the same way, with the same code, whichever way it came in.

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::detector::{Detector, TIMER_FUNCTION_PREFIX, Window, parse_date, validate_name};
use crate::drift::result::RunType;
use crate::store::{self, PutCondition, Store, StoreError};

use super::codes::{ErrorCode, OpError};
use super::history::{
    self, MAX_OUTPUT_DAYS, MAX_OUTPUT_PAGE_BYTES, MAX_REPORT_DAYS, OutputDocument,
};
use super::{ServiceOutcome, check_locations, run_window};

/// What a deleted detector's answer says about its results.
pub const HISTORY_KEPT: &str = "run history under runs/ is kept";

/// How often a replace retries when the stored detector keeps changing under it.
const PUT_ATTEMPTS: usize = 10;

/// The detectors of one store.
#[derive(Debug, Clone)]
pub struct Detectors {
    store: Arc<dyn Store>,
}

/// How [`Detectors::put`] treats a detector that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Replace only: a missing detector is `not_found` (`detectors update`, Python's `update`).
    Replace,
    /// Create it (`PUT /api/detectors/{name}`).
    CreateOrReplace,
}

/// A run of one window (`POST .../run`, Azure ML's `DataDriftDetector.run`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// A date of the window to score, `YYYY-MM-DD`; not in the future.
    pub target_date: String,
    /// Only these of the detector's services.
    #[serde(default)]
    pub services: Option<Vec<String>>,
    /// These features instead of the detector's.
    #[serde(default)]
    pub feature_list: Option<Vec<String>>,
    /// This threshold instead of the detector's.
    #[serde(default)]
    pub drift_threshold: Option<f64>,
}

/// A backfill (`POST .../backfill`, Azure ML's `DataDriftDetector.backfill`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillRequest {
    /// First date, `YYYY-MM-DD`.
    pub start_date: String,
    /// Last date, `YYYY-MM-DD`; not in the future.
    pub end_date: String,
}

/// A date range of results (`GET .../output`); either end may be left to its default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeRequest {
    /// First date; by default ten cycles before `end`.
    #[serde(default)]
    pub start: Option<String>,
    /// Last date; by default today (UTC).
    #[serde(default)]
    pub end: Option<String>,
}

/// A history page (`GET .../report`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// First date; by default ten cycles before `end`.
    #[serde(default)]
    pub start: Option<String>,
    /// Last date; by default today (UTC).
    #[serde(default)]
    pub end: Option<String>,
    /// The date shown feature by feature; by default the latest scored date.
    #[serde(default)]
    pub run: Option<String>,
    /// How many per-feature sections are open (default 5).
    #[serde(default)]
    pub open: Option<usize>,
}

/// The answer of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunAnswer {
    /// The detector's name.
    pub detector: String,
    /// The window scored.
    pub window: Window,
    /// One outcome per service.
    pub runs: Vec<ServiceOutcome>,
}

/// The answer of a backfill.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillAnswer {
    /// The detector's name.
    pub detector: String,
    /// How many windows were scored.
    pub cycles: usize,
    /// One outcome per service and window, oldest first.
    pub runs: Vec<ServiceOutcome>,
}

/// What a timer invocation did.
#[derive(Debug)]
pub enum Scheduled {
    /// The detector was deleted after its timer was generated.
    Missing,
    /// The detector's timer is switched off.
    Disabled,
    /// The due window was scored.
    Ran {
        /// The window.
        window: Window,
        /// One outcome per service.
        runs: Vec<ServiceOutcome>,
    },
}

impl Detectors {
    /// The detectors of `store`.
    pub fn new(store: Arc<dyn Store>) -> Detectors {
        Detectors { store }
    }

    /// The store they live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Stores a new detector from its JSON definition.
    pub async fn create(&self, definition: &[u8]) -> Result<Detector, OpError> {
        let detector = parse_definition(definition, None)?;
        self.refuse_name_differing_in_case(&detector.name).await?;
        match store::put_detector(&*self.store, &detector, PutCondition::Create).await {
            Ok(_) => Ok(detector),
            Err(StoreError::Conflict { .. }) => Err(OpError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "detector `{}` already exists; replace it (PUT, `detectors update`, `update()`) or delete it first",
                    detector.name
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses a new detector whose name differs from an existing one's only in case (`Churn`
    /// beside `churn`): each detector has a timer function named after it, and Azure Functions
    /// names ignore case, so the two would be one function.
    async fn refuse_name_differing_in_case(&self, name: &str) -> Result<(), OpError> {
        let stored = self.store.list(&store::keys::detectors_prefix()).await?;
        let existing = stored.iter().find_map(|key| {
            let other = key
                .as_str()
                .strip_prefix("detectors/")?
                .strip_suffix(".json")?;
            (other != name && other.eq_ignore_ascii_case(name)).then_some(other)
        });
        match existing {
            Some(other) => Err(OpError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "detector `{other}` already exists, and names that differ only in case would share one timer function; choose another name"
                ),
            )),
            None => Ok(()),
        }
    }

    /// The detector called `name`.
    pub async fn get(&self, name: &str) -> Result<Detector, OpError> {
        checked_name(name)?;
        store::get_detector(&*self.store, name)
            .await?
            .map(|(d, _)| d)
            .ok_or_else(|| OpError::not_found(name))
    }

    /// Every detector, by name.
    pub async fn list(&self) -> Result<Vec<Detector>, OpError> {
        Ok(store::list_detectors(&*self.store).await?)
    }

    /// Replaces detector `name` with a JSON definition (whose `name`, if given, must be `name`).
    /// Answers the detector and whether it was created.
    pub async fn put(
        &self,
        name: &str,
        definition: &[u8],
        mode: PutMode,
    ) -> Result<(Detector, bool), OpError> {
        checked_name(name)?;
        let detector = parse_definition(definition, Some(name))?;
        for _ in 0..PUT_ATTEMPTS {
            let (condition, created) = match store::get_detector(&*self.store, name).await? {
                Some((_, version)) => (PutCondition::Match(version), false),
                None if mode == PutMode::CreateOrReplace => {
                    self.refuse_name_differing_in_case(name).await?;
                    (PutCondition::Create, true)
                }
                None => return Err(OpError::not_found(name)),
            };
            match store::put_detector(&*self.store, &detector, condition).await {
                Ok(_) => return Ok((detector, created)),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OpError::new(
            ErrorCode::Conflict,
            format!("detector `{name}` kept changing; retry"),
        ))
    }

    /// Deletes detector `name`; its run history is kept.
    pub async fn delete(&self, name: &str) -> Result<(), OpError> {
        checked_name(name)?;
        if self.store.delete(&store::keys::detector(name)?).await? {
            Ok(())
        } else {
            Err(OpError::not_found(name))
        }
    }

    /// Switches detector `name`'s timer on or off.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<Detector, OpError> {
        checked_name(name)?;
        store::update_detector(&*self.store, name, |d| d.with_enabled(enabled))
            .await?
            .ok_or_else(|| OpError::not_found(name))
    }

    /// Scores the window containing `target_date` now, with the request's overrides.
    pub async fn run(&self, name: &str, request: RunRequest) -> Result<RunAnswer, OpError> {
        checked_name(name)?;
        let date = past_date("target_date", &request.target_date)?;
        let detector = self.get(name).await?.with_overrides(
            request.services,
            request.feature_list,
            request.drift_threshold,
        )?;
        let window = detector.frequency.window_containing(date);
        let runs = run_window(&self.store, &detector, window, RunType::Adhoc).await?;
        Ok(RunAnswer {
            detector: detector.name.clone(),
            window,
            runs,
        })
    }

    /// Scores every window from `start_date` to `end_date`, oldest first; `each` sees the number
    /// of windows and every window's outcomes as they come (the command line's progress bar).
    pub async fn backfill(
        &self,
        name: &str,
        request: BackfillRequest,
        mut each: impl FnMut(usize, Window, &[ServiceOutcome]),
    ) -> Result<BackfillAnswer, OpError> {
        checked_name(name)?;
        let start = parse_date("start_date", &request.start_date)?;
        let end = past_date("end_date", &request.end_date)?;
        let detector = self.get(name).await?;
        let windows = detector.frequency.backfill_windows(start, end)?;
        let mut runs = Vec::new();
        for window in &windows {
            let outcomes = run_window(&self.store, &detector, *window, RunType::BackFill).await?;
            each(windows.len(), *window, &outcomes);
            runs.extend(outcomes);
        }
        Ok(BackfillAnswer {
            detector: detector.name.clone(),
            cycles: windows.len(),
            runs,
        })
    }

    /// Azure ML's `get_output` document, one page of at most [`MAX_OUTPUT_DAYS`] days and
    /// [`MAX_OUTPUT_PAGE_BYTES`] of stored results (or one day's, however large): when the range
    /// holds more, `page_end` and `next_start` say where the next page starts, and `cut_by_size`
    /// says the bytes ended the page.
    pub async fn output(
        &self,
        name: &str,
        request: RangeRequest,
    ) -> Result<OutputDocument, OpError> {
        checked_name(name)?;
        let (start, end) = (
            optional_date("start", request.start.as_deref())?,
            optional_date("end", request.end.as_deref())?,
        );
        let detector = self.get(name).await?;
        let (start, end) = history::output_range(&detector, start, end)?;
        let days_end = start
            .checked_add_days(Days::new(MAX_OUTPUT_DAYS - 1))
            .unwrap_or(end)
            .min(end);
        let (mut document, cut) = history::output_document(
            &*self.store,
            &detector,
            start,
            days_end,
            MAX_OUTPUT_PAGE_BYTES,
        )
        .await?;
        let page_end = cut.unwrap_or(days_end);
        if page_end < end {
            document.end = end;
            document.page_end = Some(page_end);
            document.next_start = page_end.succ_opt();
            document.cut_by_size = cut.is_some();
        }
        Ok(document)
    }

    /// The detector's history as one HTML page, over at most [`MAX_REPORT_DAYS`] days.
    pub async fn report(&self, name: &str, request: ReportRequest) -> Result<String, OpError> {
        checked_name(name)?;
        let (start, end) = (
            optional_date("start", request.start.as_deref())?,
            optional_date("end", request.end.as_deref())?,
        );
        let run = optional_date("run", request.run.as_deref())?;
        let detector = self.get(name).await?;
        let (start, end) = history::output_range(&detector, start, end)?;
        let days = (end - start).num_days() + 1;
        if days > MAX_REPORT_DAYS as i64 {
            return Err(OpError::new(
                ErrorCode::RangeTooLong,
                format!(
                    "the report covers at most {MAX_REPORT_DAYS} days; {start} to {end} is {days} days"
                ),
            ));
        }
        let open = request
            .open
            .unwrap_or(crate::report::ReportOptions::default().open_features);
        Ok(history::history_page(&*self.store, &detector, start, end, run, open).await?)
    }

    /// A timer invocation of function `drift-{name}`, due at `due`: scores the window that is
    /// complete then, unless the detector is gone or disabled.
    pub async fn scheduled(&self, name: &str, due: DateTime<Utc>) -> Result<Scheduled, OpError> {
        checked_name(name)?;
        let Some((detector, _)) = store::get_detector(&*self.store, name).await? else {
            return Ok(Scheduled::Missing);
        };
        if !detector.enabled {
            return Ok(Scheduled::Disabled);
        }
        let window = detector.frequency.due_window(due, detector.latency);
        let runs = run_window(&self.store, &detector, window, RunType::Scheduler).await?;
        Ok(Scheduled::Ran { window, runs })
    }
}

/// The detector name of a timer function, `drift-{name}`.
pub fn timer_detector(function: &str) -> Option<&str> {
    function.strip_prefix(TIMER_FUNCTION_PREFIX)
}

/// A detector from a JSON definition, checked whole, its locations included. With `name` (a
/// replace), a definition without a name takes it and one with another name is refused.
fn parse_definition(definition: &[u8], name: Option<&str>) -> Result<Detector, OpError> {
    let mut value: Value = parse_json("the detector definition", definition)?;
    let Some(object) = value.as_object_mut() else {
        return Err(OpError::new(
            ErrorCode::InvalidJson,
            "the detector definition: a JSON object is expected",
        ));
    };
    if let Some(name) = name {
        match object.get("name") {
            None => {
                object.insert("name".into(), Value::String(name.to_string()));
            }
            Some(Value::String(n)) if n == name => {}
            Some(other) => {
                return Err(OpError::new(
                    ErrorCode::InvalidDetector,
                    format!(
                        "field `name`: `{}` differs from the detector being replaced, `{name}`",
                        other.as_str().unwrap_or(&other.to_string())
                    ),
                ));
            }
        }
    }
    let detector = Detector::from_value(value)?;
    check_locations(&detector)?;
    Ok(detector)
}

/// A detector name given apart from a definition (a path, an argument): `invalid_name`.
fn checked_name(name: &str) -> Result<(), OpError> {
    validate_name(name).map_err(|e| OpError::new(ErrorCode::InvalidName, e.to_string()))
}

/// A JSON request body or definition; `what` names it in the message.
pub fn parse_json<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, OpError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(OpError::new(
            ErrorCode::InvalidJson,
            format!("{what} is empty; a JSON object is expected"),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| OpError::new(ErrorCode::InvalidJson, format!("{what}: {e}")))
}

/// A date that may not be after today (UTC): there is nothing to score yet.
fn past_date(field: &'static str, value: &str) -> Result<NaiveDate, OpError> {
    let date = parse_date(field, value)?;
    let today = Utc::now().date_naive();
    if date > today {
        return Err(OpError::new(
            ErrorCode::InvalidDate,
            format!("field `{field}`: {date} is in the future (today is {today} UTC)"),
        ));
    }
    Ok(date)
}

fn optional_date(field: &'static str, value: Option<&str>) -> Result<Option<NaiveDate>, OpError> {
    Ok(value.map(|v| parse_date(field, v)).transpose()?)
}
