//! Reading the stored history: Azure ML's `get_output` document and the runs a history report
//! shows. Only the days asked for are read.

use chrono::{Datelike, Days, NaiveDate, Utc};
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

/// Bytes of stored result documents one `GET .../output` page holds at most. A page ends before
/// the day whose results would take it past this, so a caller gets its history in answers of a
/// size every client and the Functions host take whole (a result of a 200-feature detector is a
/// few MB, and 92 days of several services were hundreds of MB in one answer), and a server
/// answering several at once holds a few pages, not a few histories. A page always holds its
/// first day, however large, so every page makes progress.
pub const MAX_OUTPUT_PAGE_BYTES: usize = 16 << 20;

/// Azure ML's `get_output` document: `results` and `metrics` lists, one entry per service, and
/// the runs that did not succeed. Serialized as it is (no intermediate JSON tree), since a
/// dashboard may ask for it many times a second; the REST API sends it with
/// [`OutputDocument::into_json_chunks`], each stored result as it was read.
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
    /// Whether this page ended early because its results reached [`MAX_OUTPUT_PAGE_BYTES`] (rather
    /// than at the page's last day); `next_start` names where to go on either way.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut_by_size: bool,
    /// Per service, the verdict of each succeeded date.
    pub results: Vec<ServiceResults>,
    /// Per service, the full result of each succeeded date.
    pub metrics: Vec<ServiceMetrics>,
    /// No-data and failed records, and failed attempts kept beside a succeeded result.
    pub unsuccessful_runs: Vec<UnsuccessfulRun>,
}

/// The fields of [`OutputDocument`] before `metrics`, in its order: the head of its JSON.
#[derive(Serialize)]
struct OutputHead<'a> {
    detector: &'a str,
    start: NaiveDate,
    end: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_end: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_start: Option<NaiveDate>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    cut_by_size: bool,
    results: &'a [ServiceResults],
}

/// The fields of [`ServiceMetrics`] before its documents.
#[derive(Serialize)]
struct ServiceMetricsHead<'a> {
    drift_type: &'static str,
    service_name: &'a str,
}

impl OutputDocument {
    /// The document's JSON (the same bytes as `serde_json::to_vec`) in pieces: the small parts
    /// serialized, each stored result moved in as it was read. A server sends the pieces one by
    /// one, so answering never holds a second, serialized copy of the results.
    pub fn into_json_chunks(self) -> Vec<bytes::Bytes> {
        // Serializing plain structs of strings, dates and numbers into a Vec cannot fail.
        fn json(value: &impl Serialize) -> Vec<u8> {
            serde_json::to_vec(value).unwrap_or_default()
        }
        /// An object's JSON without its closing brace, so that more fields can follow.
        fn open(mut object: Vec<u8>) -> Vec<u8> {
            object.pop();
            object
        }
        let mut head = open(json(&OutputHead {
            detector: &self.detector,
            start: self.start,
            end: self.end,
            page_end: self.page_end,
            next_start: self.next_start,
            cut_by_size: self.cut_by_size,
            results: &self.results,
        }));
        head.extend_from_slice(br#","metrics":["#);
        let mut chunks = vec![bytes::Bytes::from(head)];
        for (i, service) in self.metrics.into_iter().enumerate() {
            let mut prefix = if i == 0 { Vec::new() } else { b",".to_vec() };
            prefix.extend(open(json(&ServiceMetricsHead {
                drift_type: service.drift_type,
                service_name: &service.service_name,
            })));
            prefix.extend_from_slice(br#","metrics":["#);
            chunks.push(prefix.into());
            for (j, document) in service.metrics.into_iter().enumerate() {
                if j > 0 {
                    chunks.push(bytes::Bytes::from_static(b","));
                }
                let text: Box<str> = document.into();
                chunks.push(bytes::Bytes::from(text.into_boxed_bytes()));
            }
            chunks.push(bytes::Bytes::from_static(b"]}"));
        }
        let mut tail = br#"],"unsuccessful_runs":"#.to_vec();
        tail.extend(json(&self.unsuccessful_runs));
        tail.push(b'}');
        chunks.push(tail.into());
        chunks
    }
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
    /// Each signal's verdict, for a detector that watches more than data drift (absent otherwise,
    /// so the v1 shape is unchanged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    signals: Vec<SignalVerdict>,
}

/// One signal's verdict on one date: the name and pass/fail of a stored result's signal.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignalVerdict {
    name: String,
    passed: bool,
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
    #[serde(default)]
    signals: Vec<SignalVerdict>,
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

/// Where a page ends: at its last day, or earlier, before the day whose results take the page
/// past its byte budget. Results are read service by service, so the bytes known for a day only
/// grow, and the end only moves earlier: whatever lies after it can be dropped as soon as it is.
struct PageBudget {
    max_bytes: usize,
    bytes_per_day: std::collections::BTreeMap<NaiveDate, usize>,
    last: NaiveDate,
}

impl PageBudget {
    /// Counts a result of `date`; answers whether the page's end moved.
    fn add(&mut self, date: NaiveDate, bytes: usize) -> bool {
        *self.bytes_per_day.entry(date).or_default() += bytes;
        let mut total = 0;
        let mut previous: Option<NaiveDate> = None;
        for (&day, &n) in &self.bytes_per_day {
            total += n;
            if total > self.max_bytes {
                // The first day with results stays, however large; a later one starts the next page.
                let last = match previous {
                    Some(_) => day.pred_opt().unwrap_or(day),
                    None => day,
                };
                let moved = last < self.last;
                self.last = self.last.min(last);
                self.bytes_per_day.retain(|d, _| *d <= self.last);
                return moved;
            }
            previous = Some(day);
        }
        false
    }
}

/// What one service contributes to a page, each entry with its date.
#[derive(Default)]
struct ServicePage {
    succeeded: Vec<(StoredHeader, Box<RawValue>)>,
    unsuccessful: Vec<UnsuccessfulRun>,
}

impl ServicePage {
    fn drop_after(&mut self, last: NaiveDate) {
        self.succeeded.retain(|(h, _)| h.datetime <= last);
        self.unsuccessful.retain(|u| u.datetime <= last);
    }
}

/// The `get_output` document of a detector between two dates (inclusive): the succeeded result
/// of each date, oldest first, per service; see [`OutputDocument`]. The stored results it holds
/// stay within `max_bytes` (or are one day's): when the range holds more, the document ends at
/// an earlier day, which is answered too (`None` when the document covers the whole range).
/// Days are read a month at a time for every service, and no further than that end.
pub async fn output_document(
    store: &dyn Store,
    detector: &Detector,
    start: NaiveDate,
    end: NaiveDate,
    max_bytes: usize,
) -> Result<(OutputDocument, Option<NaiveDate>), StoreError> {
    let services = &detector.services;
    let mut pages: Vec<ServicePage> = services.iter().map(|_| ServicePage::default()).collect();
    let mut budget = PageBudget {
        max_bytes,
        bytes_per_day: Default::default(),
        last: end,
    };
    let mut month_start = start;
    while month_start <= budget.last {
        let month_end = month_start
            .checked_add_months(chrono::Months::new(1))
            .and_then(|m| m.with_day(1))
            .and_then(|m| m.pred_opt())
            .unwrap_or(end);
        for (i, service) in services.iter().enumerate() {
            let to = month_end.min(budget.last);
            if to < month_start {
                break;
            }
            let mut corrupt = None;
            store::visit_history(
                store,
                &detector.name,
                service,
                month_start,
                to,
                |h: StoredHeader, failed, bytes| {
                    if h.datetime > budget.last {
                        return;
                    }
                    if h.run.status == RunStatus::Succeeded && !failed {
                        // The bytes decoded as JSON just above, so this only copies them.
                        let raw = match serde_json::from_slice::<Box<RawValue>>(&bytes) {
                            Ok(raw) => raw,
                            Err(e) => {
                                corrupt = Some(e);
                                return;
                            }
                        };
                        let date = h.datetime;
                        if budget.add(date, raw.get().len()) {
                            pages.iter_mut().for_each(|p| p.drop_after(budget.last));
                        }
                        if date <= budget.last {
                            pages[i].succeeded.push((h, raw));
                        }
                        return;
                    }
                    pages[i].unsuccessful.push(UnsuccessfulRun {
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
        }
        match month_end.succ_opt() {
            Some(next) => month_start = next,
            None => break,
        }
    }
    let last = budget.last;
    let mut results = Vec::new();
    let mut metrics = Vec::new();
    let mut unsuccessful_runs = Vec::new();
    for (service, page) in services.iter().zip(pages) {
        let (verdicts, documents): (Vec<DriftVerdict>, Vec<Box<RawValue>>) = page
            .succeeded
            .into_iter()
            .map(|(h, raw)| {
                let verdict = DriftVerdict {
                    has_drift: h.has_drift,
                    datetime: h.datetime,
                    drift_threshold: h.drift_threshold,
                    model_name: h.model_name,
                    model_version: h.model_version,
                    signals: h.signals,
                };
                (verdict, raw)
            })
            .unzip();
        results.push(ServiceResults {
            drift_type: MODEL_BASED,
            service_name: service.clone(),
            result: verdicts,
        });
        metrics.push(ServiceMetrics {
            drift_type: MODEL_BASED,
            service_name: service.clone(),
            metrics: documents,
        });
        unsuccessful_runs.extend(page.unsuccessful);
    }
    let document = OutputDocument {
        detector: detector.name.clone(),
        start,
        end: last,
        page_end: None,
        next_start: None,
        cut_by_size: false,
        results,
        metrics,
        unsuccessful_runs,
    };
    Ok((document, (last < end).then_some(last)))
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

    fn detector(services: &[&str]) -> Detector {
        Detector::from_value(serde_json::json!({
            "name": "churn", "model_name": "m", "model_version": 1,
            "services": services, "baseline": "b.csv"}))
        .expect("detector")
    }

    /// The dates of a page's succeeded results, per service.
    fn dates(doc: &OutputDocument) -> Vec<Vec<String>> {
        let value = serde_json::to_value(doc).expect("json");
        value["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|s| {
                s["result"]
                    .as_array()
                    .expect("result")
                    .iter()
                    .map(|r| r["datetime"].as_str().expect("date").to_string())
                    .collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn a_page_ends_before_the_day_that_takes_it_past_its_bytes() {
        let days = ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"];
        let (_dir, s) = store(&days).await;
        let d = detector(&["a", "b"]);
        let (start, end) = (testdata::day("2026-10-01"), testdata::day("2026-11-30"));
        let (whole, cut) = output_document(&s, &d, start, end, usize::MAX)
            .await
            .expect("read");
        assert_eq!(cut, None);
        assert_eq!(dates(&whole), [days, days]);
        let one = whole.metrics[0].metrics[0].get().len();

        // Room for a day and a half: the page ends after the first day, for both services.
        let (page, cut) = output_document(&s, &d, start, end, one * 3)
            .await
            .expect("read");
        assert_eq!(cut, Some(testdata::day("2026-10-30")));
        assert_eq!(dates(&page), [["2026-10-30"], ["2026-10-30"]]);
        // Room for less than one result: the first day still comes, whole.
        let (page, cut) = output_document(&s, &d, testdata::day("2026-11-01"), end, 1)
            .await
            .expect("read");
        assert_eq!(cut, Some(testdata::day("2026-11-01")));
        assert_eq!(dates(&page), [["2026-11-01"], ["2026-11-01"]]);
        // A page that reaches the end of the range is not cut, however full.
        let last = testdata::day("2026-11-02");
        let (_, cut) = output_document(&s, &d, last, last, 1).await.expect("read");
        assert_eq!(cut, None);
    }

    #[tokio::test]
    async fn the_json_pieces_are_the_document_serialized() {
        let (_dir, s) = store(&["2026-10-30", "2026-11-01"]).await;
        let failed = {
            let mut r = testdata::run(testdata::day("2026-11-03"), "b", 3, 0.3);
            r.detector = "churn".into();
            r.run.status = RunStatus::Failed;
            r.run.error = Some("no \"snapshot\"".into());
            r
        };
        store::record_run(&s, &failed).await.expect("record");
        let (start, end) = (testdata::day("2026-10-01"), testdata::day("2026-11-30"));
        for services in [&["a", "b"][..], &["b"], &["a", "b", "none"]] {
            let (mut doc, _) = output_document(&s, &detector(services), start, end, usize::MAX)
                .await
                .expect("read");
            doc.page_end = Some(start);
            doc.next_start = Some(end);
            doc.cut_by_size = true;
            let expected = serde_json::to_vec(&doc).expect("json");
            let pieces: Vec<u8> = doc.into_json_chunks().concat();
            assert_eq!(
                String::from_utf8_lossy(&pieces),
                String::from_utf8_lossy(&expected)
            );
        }
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
