//! One detector run, whatever triggered it: baseline profile (cached), snapshot discovery,
//! scoring, recording, sinks.
//!
//! Every trigger (timer, `POST .../run`, backfill, CLI) goes through [`run_window`], so a run is
//! recorded the same way everywhere: a missing snapshot is a `no_data` result, an error (including
//! a panic in the engine) is a `failed` result with its reason, and neither replaces an earlier
//! succeeded result (see [`crate::store::record_run`]). Only a store that cannot be written is an
//! error of the call itself.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::data::Input;
use crate::detector::{Detector, Window};
use crate::drift::result::{DatasetSummary, RunInfo, RunResult, RunStatus, RunType, SchemaChanges};
use crate::drift::scan::{self, RunContext, ScanOptions};
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{self, Key, PutCondition, Recorded, Store, StoreError, keys};

/// Why one service's run could not be scored. Recorded as the reason of a failed result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The detector's snapshot template does not parse (stored before a rule changed).
    #[error(transparent)]
    Config(#[from] crate::detector::ConfigError),
    /// The baseline location holds no data file.
    #[error("baseline `{0}` has no data files (.csv, .parquet, .jsonl)")]
    NoBaseline(String),
    /// A dataset could not be profiled.
    #[error("profiling the {side} ({source_name})")]
    Profile {
        /// `baseline` or `snapshot`.
        side: &'static str,
        /// Where it came from.
        source_name: String,
        /// The cause.
        #[source]
        source: profile::ProfileError,
    },
    /// A cached baseline profile could not be read.
    #[error("reading the cached baseline profile `{key}`")]
    CachedProfile {
        /// The key.
        key: String,
        /// The cause.
        #[source]
        source: profile::ProfileError,
    },
    /// The profiles could not be compared.
    #[error("comparing baseline and snapshot")]
    Scan(#[source] scan::ScanError),
    /// The engine panicked; the message is kept so the failure is explainable.
    #[error("internal error while {0}")]
    Panicked(String),
}

/// What happened to one service in one window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceOutcome {
    /// Service name.
    pub service: String,
    /// Scoring date (first day of the window).
    #[serde(with = "crate::drift::result::date_format")]
    pub date: NaiveDate,
    /// Outcome.
    pub status: RunStatus,
    /// `has_drift` of the result (false unless succeeded).
    pub has_drift: bool,
    /// The coefficient, when scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datadrift_coefficient: Option<f64>,
    /// `result` when stored as the date's result, `failed_attempt` when kept beside a succeeded one.
    pub recorded: &'static str,
    /// Why it failed or had no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs `detector` (with any per-request overrides already applied) over `window` for each of its
/// services, records every result and hands it to the sinks.
pub async fn run_window(
    store: &Arc<dyn Store>,
    detector: &Detector,
    window: Window,
    run_type: RunType,
) -> Result<Vec<ServiceOutcome>, StoreError> {
    let baseline = baseline_profile(store, detector).await;
    let mut outcomes = Vec::with_capacity(detector.services.len());
    for service in &detector.services {
        let started = Instant::now();
        let started_at = Utc::now();
        let mut result = match &baseline {
            Err(e) => unsuccessful(detector, service, window, RunStatus::Failed, error_chain(e)),
            Ok((profile, summary)) => {
                match score_service(store, detector, service, window, profile, summary).await {
                    Ok(Some(r)) => r,
                    Ok(None) => unsuccessful(
                        detector,
                        service,
                        window,
                        RunStatus::NoData,
                        format!(
                            "no snapshot files for service `{service}` from {} to {}",
                            window.start, window.end
                        ),
                    ),
                    Err(RunError::Store(e)) if is_fatal(&e) => return Err(e),
                    Err(e) => unsuccessful(
                        detector,
                        service,
                        window,
                        RunStatus::Failed,
                        error_chain(&e),
                    ),
                }
            }
        };
        result.run.run_type = run_type;
        result.run.window = Some((window.start, window.end));
        result.run.started_at = started_at;
        result.run.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let recorded = store::record_run(&**store, &result).await?;
        publish_to_sinks(&result, detector, &**store).await;
        tracing::info!(
            message = "Run recorded.",
            detector = %detector.name,
            service = %service,
            date = %window.start,
            status = ?result.run.status,
            has_drift = result.has_drift,
            run_type = run_type.as_str(),
        );
        outcomes.push(ServiceOutcome {
            service: service.clone(),
            date: window.start,
            status: result.run.status,
            has_drift: result.has_drift,
            datadrift_coefficient: result.coefficient(),
            recorded: match recorded {
                Recorded::Result => "result",
                Recorded::FailedAttempt => "failed_attempt",
            },
            error: result.run.error.clone(),
        });
    }
    Ok(outcomes)
}

/// The `get_output` document of a detector between two dates (inclusive): Azure ML's `results`
/// and `metrics` lists, one entry per service, holding the succeeded result of each date, oldest
/// first; no-data and failed records (and failed attempts kept beside a succeeded result) are
/// listed under `unsuccessful_runs`.
pub async fn output_document(
    store: &dyn Store,
    detector: &Detector,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<serde_json::Value, StoreError> {
    use serde_json::json;
    let mut results = Vec::new();
    let mut metrics = Vec::new();
    let mut unsuccessful = Vec::new();
    for service in &detector.services {
        let history = store::service_history(store, &detector.name, service, start, end).await?;
        let (ok, other): (Vec<RunResult>, Vec<RunResult>) = history
            .results
            .into_iter()
            .partition(|r| r.run.status == RunStatus::Succeeded);
        let result: Vec<_> = ok
            .iter()
            .map(|r| {
                json!({
                    "has_drift": r.has_drift,
                    "datetime": r.datetime.to_string(),
                    "drift_threshold": r.drift_threshold,
                    "model_name": r.model_name,
                    "model_version": r.model_version,
                })
            })
            .collect();
        results
            .push(json!({"drift_type": "ModelBased", "service_name": service, "result": result}));
        metrics.push(json!({"drift_type": "ModelBased", "service_name": service, "metrics": ok}));
        let records = other.iter().map(|r| (r, false));
        let attempts = history.failed_attempts.iter().map(|r| (r, true));
        for (r, beside) in records.chain(attempts) {
            unsuccessful.push(json!({
                "service_name": r.service_name,
                "datetime": r.datetime.to_string(),
                "status": r.run.status,
                "run_type": r.run.run_type,
                "error": r.run.error,
                "beside_succeeded_result": beside,
            }));
        }
    }
    Ok(json!({
        "detector": detector.name,
        "start": start.to_string(),
        "end": end.to_string(),
        "results": results,
        "metrics": metrics,
        "unsuccessful_runs": unsuccessful,
    }))
}

/// Every stored result passes here once, after it is recorded: metrics to Application Insights
/// (or the JSON-lines file), alerts by email, webhook and log. Publishing never fails the run;
/// what was delivered or dropped is logged. The settings are read from the environment once.
/// With a local store and neither a connection string nor `DRIFTSCAN_METRICS_FILE`, metrics go to
/// `metrics.jsonl` in the store folder, beside the results they come from.
async fn publish_to_sinks(result: &RunResult, detector: &Detector, store: &dyn store::Store) {
    static CONFIG: std::sync::OnceLock<Option<crate::sinks::SinkConfig>> =
        std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| match crate::sinks::SinkConfig::from_env() {
        Ok(config) => Some(config),
        Err(error) => {
            tracing::error!(message = "Sink settings are invalid; metrics and alerts are off.", %error);
            None
        }
    });
    match config {
        Some(config) => {
            let in_store = store.local_root().and_then(|root| {
                config.with_metrics_file_in_place_of_default(root.join("metrics.jsonl"))
            });
            let config = in_store.as_ref().unwrap_or(config);
            let report = crate::sinks::publish(result, detector, config).await;
            tracing::info!(message = "Published run.", detector = %detector.name, service = %result.service_name, date = %result.datetime, report = ?report);
        }
        None if result.has_drift => tracing::warn!(
            message = "Drift detected.",
            detector = %detector.name,
            service = %result.service_name,
            date = %result.datetime,
            coefficient = result.coefficient().unwrap_or(f64::NAN),
            threshold = result.drift_threshold,
        ),
        None => {}
    }
}

/// Store errors that mean the run cannot even be recorded; others become a failed result.
fn is_fatal(e: &StoreError) -> bool {
    matches!(e, StoreError::Config { .. })
}

/// An error and its causes on one line, as recorded in a failed result.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A result for a run that did not score: no data, or failed with a reason.
pub fn unsuccessful(
    detector: &Detector,
    service: &str,
    window: Window,
    status: RunStatus,
    reason: String,
) -> RunResult {
    RunResult {
        schema_version: crate::drift::result::SCHEMA_VERSION.to_string(),
        datetime: window.start,
        detector: detector.name.clone(),
        service_name: service.to_string(),
        model_name: detector.model_name.clone(),
        model_version: detector.model_version,
        drift_threshold: detector.drift_threshold,
        has_drift: false,
        dataset_metrics: Vec::new(),
        column_metrics: Vec::new(),
        run: RunInfo {
            run_type: RunType::Adhoc,
            status,
            error: Some(reason),
            started_at: Utc::now(),
            duration_ms: 0,
            driftscan_version: env!("CARGO_PKG_VERSION").to_string(),
            window: Some((window.start, window.end)),
        },
        baseline: DatasetSummary {
            source: detector.baseline.clone(),
            ..Default::default()
        },
        target: DatasetSummary::default(),
        classifier: None,
        features: Vec::new(),
        schema: SchemaChanges::default(),
        warnings: Vec::new(),
    }
}

/// Hex SHA-256 over, per input in order, its file name (last path segment, length-prefixed), its
/// size (u64, little-endian) and the SHA-256 of its bytes: the dataset reader's content hash, computed before
/// profiling so that a cached baseline profile is found without profiling again.
pub fn content_hash(inputs: &[Input]) -> String {
    let mut h = Sha256::new();
    for input in inputs {
        if let Input::Memory { name, bytes } = input {
            let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
            h.update((file.len() as u64).to_le_bytes());
            h.update(file.as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(Sha256::digest(bytes));
        }
    }
    hex::encode(h.finalize())
}

/// Profiling options of one side: the source named in messages and results and, for a
/// snapshot, the baseline's column kinds, so that both sides type a column the same way.
fn profile_options(source: String, baseline: Option<&Profile>) -> ProfileOptions {
    ProfileOptions {
        source: Some(source),
        pinned_kinds: baseline.map(Profile::kinds).unwrap_or_default(),
        ..ProfileOptions::default()
    }
}

/// Runs CPU-heavy engine work off the async threads; a panic becomes [`RunError::Panicked`].
async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> Result<T, RunError> + Send + 'static,
) -> Result<T, RunError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(join) => {
            let msg = join
                .try_into_panic()
                .ok()
                .and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                })
                .unwrap_or_else(|| "task cancelled".into());
            Err(RunError::Panicked(format!("{what}: {msg}")))
        }
    }
}

/// The baseline profile: a `.profile` file as is, otherwise the cached profile of the baseline's
/// current content (`baselines/{detector}/{hash}.profile`), built and cached on first use.
async fn baseline_profile(
    store: &Arc<dyn Store>,
    detector: &Detector,
) -> Result<(Arc<Profile>, DatasetSummary), RunError> {
    let (data, files) = store::find_baseline_files(store, &detector.baseline).await?;
    if files.is_empty() {
        return Err(RunError::NoBaseline(detector.baseline.clone()));
    }
    if detector.baseline.ends_with(".profile") {
        let key = files[0].clone();
        let obj = data
            .get(&key)
            .await?
            .ok_or_else(|| RunError::NoBaseline(detector.baseline.clone()))?;
        let key_name = key.to_string();
        let profile = blocking("reading the baseline profile", move || {
            Profile::from_bytes(&obj.bytes).map_err(|source| RunError::CachedProfile {
                key: key_name,
                source,
            })
        })
        .await?;
        let summary = DatasetSummary {
            source: detector.baseline.clone(),
            ..Default::default()
        };
        return Ok((Arc::new(profile), summary));
    }
    let inputs = store::fetch_inputs(&*data, &files).await?;
    let hash = content_hash(&inputs);
    let cache_key = keys::baseline(&detector.name, &hash)?;
    let summary = DatasetSummary {
        source: detector.baseline.clone(),
        files: inputs.len(),
        rows: 0,
        content_hash: Some(hash),
    };
    if let Some(obj) = store.get(&cache_key).await? {
        let key_name = cache_key.to_string();
        let cached = blocking("reading the cached baseline profile", move || {
            Profile::from_bytes(&obj.bytes).map_err(|source| RunError::CachedProfile {
                key: key_name,
                source,
            })
        })
        .await;
        match cached {
            Ok(p) => return Ok((Arc::new(p), summary)),
            // A cache written by another version: rebuild and replace it.
            Err(e) => {
                tracing::warn!(message = "Rebuilding unreadable cached baseline profile.", key = %cache_key, error = %error_chain(&e))
            }
        }
    }
    let source_name = detector.baseline.clone();
    let profile = blocking("profiling the baseline", move || {
        let options = profile_options(source_name.clone(), None);
        profile::build(&inputs, &options).map_err(|source| RunError::Profile {
            side: "baseline",
            source_name,
            source,
        })
    })
    .await?;
    let profile = Arc::new(profile);
    let p2 = Arc::clone(&profile);
    let bytes = blocking("encoding the baseline profile", move || Ok(p2.to_bytes())).await?;
    match store
        .put(&cache_key, bytes.into(), PutCondition::Overwrite)
        .await
    {
        Ok(_) => {}
        // Caching is an optimisation: a run does not fail because the cache could not be written.
        Err(e) => {
            tracing::warn!(message = "Could not cache the baseline profile.", key = %cache_key, error = %error_chain(&e))
        }
    }
    Ok((profile, summary))
}

/// Profiles one service's snapshot and compares it with the baseline; `None` when there is no data.
async fn score_service(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: Window,
    baseline: &Arc<Profile>,
    baseline_summary: &DatasetSummary,
) -> Result<Option<RunResult>, RunError> {
    let template = detector.snapshot_template()?;
    let data = store::store_for_root(store, &template.root)?;
    let files = store::find_snapshot_files(&*data, &template, detector, service, &window).await?;
    if files.is_empty() {
        return Ok(None);
    }
    let inputs = store::fetch_inputs(&*data, &files).await?;
    let prefix = common_prefix(&files);
    let scan_options = ScanOptions {
        features: detector.feature_list.clone(),
        threshold: detector.drift_threshold,
        seed: seed(&detector.name, service, window.start),
    };
    let context = RunContext {
        detector: detector.name.clone(),
        service_name: service.to_string(),
        model_name: detector.model_name.clone(),
        model_version: detector.model_version,
        date: window.start,
        run_type: RunType::Adhoc,
    };
    let baseline = Arc::clone(baseline);
    let mut result = blocking("scoring the snapshot", move || {
        let options = profile_options(prefix.clone(), Some(&baseline));
        let target = profile::build(&inputs, &options).map_err(|source| RunError::Profile {
            side: "snapshot",
            source_name: prefix,
            source,
        })?;
        scan::compare(&baseline, &target, &scan_options, &context).map_err(RunError::Scan)
    })
    .await?;
    if result.baseline.source.is_empty() {
        result.baseline.source = baseline_summary.source.clone();
    }
    if result.baseline.content_hash.is_none() {
        result.baseline.content_hash = baseline_summary.content_hash.clone();
    }
    Ok(Some(result))
}

/// The folder the snapshot files share, for messages.
fn common_prefix(files: &[Key]) -> String {
    let Some(first) = files.first() else {
        return String::new();
    };
    let mut parts: Vec<&str> = first.segments().collect();
    parts.pop();
    for f in &files[1..] {
        let other: Vec<&str> = f.segments().collect();
        let n = parts.iter().zip(&other).take_while(|(a, b)| a == b).count();
        parts.truncate(n);
    }
    parts.join("/")
}

/// A seed fixed by detector, service and date, so a rerun of the same data gives the same result.
fn seed(detector: &str, service: &str, date: NaiveDate) -> u64 {
    let h = Sha256::new()
        .chain_update(detector.as_bytes())
        .chain_update([0])
        .chain_update(service.as_bytes())
        .chain_update([0])
        .chain_update(date.to_string().as_bytes())
        .finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_le_bytes(b)
}
