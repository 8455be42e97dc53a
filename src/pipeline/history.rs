//! Reading the stored history: Azure ML's `get_output` document and the runs a history report
//! shows. Only the days asked for are read.

use chrono::{Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::detector::{ConfigError, Detector, Window};
use crate::drift::result::{RunResult, RunStatus, RunType};
use crate::report::{Period, ReportOptions, render_history};
use crate::store::{self, Store, StoreError};

/// Azure ML's default lookback of `get_output` and `show` when no start is given, in cycles.
pub const DEFAULT_LOOKBACK_CYCLES: u64 = 10;

/// Days of results one `GET .../output` answers at most; a longer range is answered page by page
/// (`next_start` names the first day of the next page), so one request never holds more than a
/// quarter of history in memory.
pub const MAX_OUTPUT_DAYS: u64 = 92;

/// Days one report page covers at most.
pub const MAX_REPORT_DAYS: u64 = 366;

/// The date range of `get_output` and of a history page, with Azure ML's defaults: `end` is today
/// (UTC) and `start` the first day of the tenth cycle of the detector's frequency back from `end`.
/// An `end` before `start` is an error.
pub fn output_range(
    detector: &Detector,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), ConfigError> {
    let end = end.unwrap_or_else(|| Utc::now().date_naive());
    let start = match start {
        Some(s) => s,
        None => {
            let mut w: Window = detector.frequency.window_containing(end);
            for _ in 0..DEFAULT_LOOKBACK_CYCLES - 1 {
                match w.start.checked_sub_days(Days::new(1)) {
                    Some(previous) => w = detector.frequency.window_containing(previous),
                    None => break,
                }
            }
            w.start
        }
    };
    if end < start {
        return Err(ConfigError::DateOrder { start, end });
    }
    Ok((start, end))
}

/// Azure ML's `get_output` document: `results` and `metrics` lists, one entry per service, and
/// the runs that did not succeed. Serialized as it is (no intermediate JSON tree), since a
/// dashboard may ask for it many times a second.
#[derive(Debug, Serialize)]
pub struct OutputDocument {
    /// The detector's name.
    pub detector: String,
    /// First date of the range asked for.
    pub start: NaiveDate,
    /// Last date of the range asked for.
    pub end: NaiveDate,
    /// Last date this answer covers, when the range was longer than one page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_end: Option<NaiveDate>,
    /// First date of the next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start: Option<NaiveDate>,
    /// Per service, the verdict of each succeeded date.
    pub results: Vec<ServiceResults>,
    /// Per service, the full result of each succeeded date.
    pub metrics: Vec<ServiceMetrics>,
    /// No-data and failed records, and failed attempts kept beside a succeeded result.
    pub unsuccessful_runs: Vec<UnsuccessfulRun>,
}

/// One service's entry of `results`.
#[derive(Debug, Serialize)]
pub struct ServiceResults {
    drift_type: &'static str,
    service_name: String,
    result: Vec<DriftVerdict>,
}

/// One date's verdict, in Azure ML's shape.
#[derive(Debug, Serialize)]
pub struct DriftVerdict {
    has_drift: bool,
    datetime: NaiveDate,
    drift_threshold: f64,
    model_name: String,
    model_version: u32,
}

/// One service's entry of `metrics`: the stored result documents, passed on as they are stored
/// (decoding and re-encoding a result of 200 kB would cost a request most of its time).
#[derive(Debug, Serialize)]
pub struct ServiceMetrics {
    drift_type: &'static str,
    service_name: String,
    metrics: Vec<Box<RawValue>>,
}

/// The fields of a stored result that `get_output` reads; the rest is skipped, not decoded.
#[derive(Debug, Deserialize)]
struct StoredHeader {
    has_drift: bool,
    datetime: NaiveDate,
    drift_threshold: f64,
    model_name: String,
    model_version: u32,
    service_name: String,
    run: StoredRun,
}

/// The fields of a stored result's `run` that `get_output` reads.
#[derive(Debug, Deserialize)]
struct StoredRun {
    status: RunStatus,
    #[serde(default)]
    run_type: RunType,
    #[serde(default)]
    error: Option<String>,
}

/// A run that did not succeed.
#[derive(Debug, Serialize)]
pub struct UnsuccessfulRun {
    service_name: String,
    datetime: NaiveDate,
    status: RunStatus,
    run_type: RunType,
    error: Option<String>,
    beside_succeeded_result: bool,
}

/// Azure ML's only drift type.
const MODEL_BASED: &str = "ModelBased";

/// The `get_output` document of a detector between two dates (inclusive): the succeeded result
/// of each date, oldest first, per service; see [`OutputDocument`].
pub async fn output_document(
    store: &dyn Store,
    detector: &Detector,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<OutputDocument, StoreError> {
    let mut results = Vec::new();
    let mut metrics = Vec::new();
    let mut unsuccessful_runs = Vec::new();
    for service in &detector.services {
        let mut succeeded = Vec::new();
        let mut documents = Vec::new();
        let mut corrupt = None;
        store::visit_history(
            store,
            &detector.name,
            service,
            start,
            end,
            |h: StoredHeader, failed, bytes| {
                if h.run.status == RunStatus::Succeeded && !failed {
                    // The bytes decoded as JSON just above, so this only copies them.
                    match serde_json::from_slice::<Box<RawValue>>(&bytes) {
                        Ok(raw) => documents.push(raw),
                        Err(e) => corrupt = Some(e),
                    }
                    succeeded.push(h);
                    return;
                }
                unsuccessful_runs.push(UnsuccessfulRun {
                    service_name: h.service_name,
                    datetime: h.datetime,
                    status: h.run.status,
                    run_type: h.run.run_type,
                    error: h.run.error,
                    beside_succeeded_result: failed,
                });
            },
        )
        .await?;
        if let Some(e) = corrupt {
            return Err(StoreError::Corrupt {
                key: format!("a result of `{}` for `{service}`", detector.name),
                source: Box::new(e),
            });
        }
        results.push(ServiceResults {
            drift_type: MODEL_BASED,
            service_name: service.clone(),
            result: succeeded
                .into_iter()
                .map(|h| DriftVerdict {
                    has_drift: h.has_drift,
                    datetime: h.datetime,
                    drift_threshold: h.drift_threshold,
                    model_name: h.model_name,
                    model_version: h.model_version,
                })
                .collect(),
        });
        metrics.push(ServiceMetrics {
            drift_type: MODEL_BASED,
            service_name: service.clone(),
            metrics: documents,
        });
    }
    Ok(OutputDocument {
        detector: detector.name.clone(),
        start,
        end,
        page_end: None,
        next_start: None,
        results,
        metrics,
        unsuccessful_runs,
    })
}

/// A detector's history between two dates as one HTML page (the REST API's `report` and Python's
/// `show`): `run` picks the date shown feature by feature (on it, the service with the highest
/// coefficient), by default the latest scored date; `open_features` per-feature sections are open
/// when the page loads.
pub async fn history_page(
    store: &dyn Store,
    detector: &Detector,
    start: NaiveDate,
    end: NaiveDate,
    run: Option<NaiveDate>,
    open_features: usize,
) -> Result<String, StoreError> {
    let results = report_runs(store, &detector.name, &detector.services, start, end, run).await?;
    let detail_run = run.map(|date| {
        let service = results
            .iter()
            .filter(|r| r.datetime == date && r.run.status == RunStatus::Succeeded)
            .max_by(|a, b| {
                let (ca, cb) = (a.coefficient(), b.coefficient());
                ca.unwrap_or(f64::NAN).total_cmp(&cb.unwrap_or(f64::NAN))
            })
            .map(|r| r.service_name.clone())
            .or_else(|| detector.services.first().cloned())
            .unwrap_or_default();
        (service, date)
    });
    let options = ReportOptions {
        open_features,
        detail_run,
        generated_at: Some(Utc::now()),
        ..Default::default()
    };
    let period = Period { start, end };
    Ok(render_history(
        Some(detector),
        &results,
        Some(period),
        &options,
    ))
}

/// The succeeded and failed results of `services` between two dates, for a history page, oldest
/// first. Only `detail` (else the latest scored date) keeps its per-feature detail, and the detail
/// of every other run is dropped as soon as it is read: a year of 200-feature results would
/// otherwise hold several hundred MB.
pub async fn report_runs(
    store: &dyn Store,
    detector: &str,
    services: &[String],
    start: NaiveDate,
    end: NaiveDate,
    detail: Option<NaiveDate>,
) -> Result<Vec<RunResult>, StoreError> {
    let mut out: Vec<RunResult> = Vec::new();
    let mut latest_scored: Option<NaiveDate> = None;
    for service in services {
        store::visit_history(
            store,
            detector,
            service,
            start,
            end,
            |mut r: RunResult, failed, _| {
                if failed {
                    return;
                }
                if r.run.status == RunStatus::Succeeded
                    && latest_scored.is_none_or(|l| r.datetime > l)
                {
                    latest_scored = Some(r.datetime);
                    for o in out.iter_mut().filter(|o| Some(o.datetime) != detail) {
                        o.features = Vec::new();
                    }
                }
                let needed = Some(r.datetime) == detail || Some(r.datetime) == latest_scored;
                if !needed {
                    r.features = Vec::new();
                }
                out.push(r);
            },
        )
        .await?;
    }
    out.sort_by(|a, b| {
        a.datetime
            .cmp(&b.datetime)
            .then_with(|| a.service_name.cmp(&b.service_name))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;
    use crate::store::LocalStore;

    async fn store(days: &[&str]) -> (tempfile::TempDir, LocalStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LocalStore::new(dir.path()).expect("store");
        for d in days {
            for svc in ["a", "b"] {
                let mut r = testdata::run(testdata::day(d), svc, 3, 0.3);
                r.detector = "churn".into();
                store::record_run(&store, &r).await.expect("record");
            }
        }
        (dir, store)
    }

    fn with_features(rs: &[RunResult]) -> Vec<String> {
        let mut v: Vec<String> = rs
            .iter()
            .filter(|r| !r.features.is_empty())
            .map(|r| format!("{} {}", r.service_name, r.datetime))
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn only_the_runs_shown_in_detail_keep_their_distributions() {
        let (_dir, s) = store(&["2026-10-30", "2026-11-01", "2026-11-02"]).await;
        let both = ["a".to_string(), "b".to_string()];
        let (start, end) = (testdata::day("2026-10-01"), testdata::day("2026-11-30"));
        let rs = report_runs(&s, "churn", &both, start, end, None)
            .await
            .expect("read");
        assert_eq!(rs.len(), 6);
        assert_eq!(with_features(&rs), ["a 2026-11-02", "b 2026-11-02"]);
        assert!(rs.iter().all(|r| !r.column_metrics.is_empty()));

        let detail = Some(testdata::day("2026-10-30"));
        let rs = report_runs(&s, "churn", &both, start, end, detail)
            .await
            .expect("read");
        assert_eq!(
            with_features(&rs),
            [
                "a 2026-10-30",
                "a 2026-11-02",
                "b 2026-10-30",
                "b 2026-11-02"
            ]
        );

        let (start, end) = (testdata::day("2026-10-31"), testdata::day("2026-11-01"));
        let rs = report_runs(&s, "churn", &["b".to_string()], start, end, None)
            .await
            .expect("read");
        assert_eq!(with_features(&rs), ["b 2026-11-01"]);
        assert_eq!(rs.len(), 1);
        assert_eq!(
            store::history_bounds(&s, "churn", "a")
                .await
                .expect("bounds"),
            Some((testdata::day("2026-10-30"), testdata::day("2026-11-02")))
        );
    }
}
