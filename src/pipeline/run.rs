//! One detector run, whatever triggered it: baseline, snapshot discovery, scoring, recording,
//! publishing.
//!
//! Every trigger (timer, `POST .../run`, backfill, CLI, Python) goes through [`run_window`], so a
//! run is recorded the same way everywhere: a missing snapshot is a `no_data` result, an error
//! (including a panic in the engine) is a `failed` result with its reason, and neither replaces an
//! earlier succeeded result (see [`crate::store::record_run`]). Only a store that cannot be
//! written is an error of the call itself.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};

use crate::base::rng::seed_from_names;
use crate::detector::{Detector, Window};
use crate::drift::result::{DatasetSummary, RunInfo, RunResult, RunStatus, RunType, SchemaChanges};
use crate::drift::scan::{self, RunContext, ScanOptions};
use crate::drift::significance::SignificanceOptions;
use crate::drift::verdict::Status;
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{self, Key, Recorded, Store, StoreError};

use super::baseline::{self, Baseline};
use super::locate::{inputs_for, is_profile_key, snapshot_files};
use super::{PipelineError, blocking, error_chain};

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
    /// Features that drifted significantly (`RunResult::drifted_features`).
    pub drifted_features: Vec<String>,
    /// Monitored features missing from the snapshot (`schema.missing_features`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_features: Vec<String>,
    /// Signals beside data drift that failed, each with its failure lines
    /// ([`crate::drift::signals::SignalResult::failure_lines`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_signals: Vec<FailedSignal>,
    /// `result` when stored as the date's result, `failed_attempt` when kept beside a succeeded one.
    pub recorded: &'static str,
    /// Why it failed or had no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A signal that failed in a run, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedSignal {
    /// Signal name.
    pub signal: String,
    /// One line per failing metric: `age: null_value_rate 0.25 > 0`.
    pub failures: Vec<String>,
}

impl FailedSignal {
    /// The signals of `result` beside data drift that failed.
    pub fn of(result: &RunResult) -> Vec<FailedSignal> {
        result
            .signals
            .iter()
            .filter(|s| !s.passed && s.name != crate::detector::signals::DATA_DRIFT)
            .map(|s| FailedSignal {
                signal: s.name.clone(),
                failures: s.failure_lines(),
            })
            .collect()
    }
}

/// `recorded` of a failed run kept beside the date's earlier succeeded result.
pub const FAILED_ATTEMPT: &str = "failed_attempt";

/// The run-outcome line of every surface (command line, timer logs, demo):
/// `2026-11-20  svc  coefficient 0.2262  drifted: a, b  DRIFT`, or
/// `2026-11-20  svc  NoData: no snapshot files ...`.
impl std::fmt::Display for ServiceOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  {}  ", self.date, self.service)?;
        match self.status {
            RunStatus::Succeeded => {
                write!(
                    f,
                    "coefficient {:.4}  {}",
                    self.datadrift_coefficient.unwrap_or(f64::NAN),
                    Status::of(
                        self.has_drift,
                        self.drifted_features.len() + self.missing_features.len()
                    )
                    .with_features(&self.drifted_features)
                )?;
                if !self.missing_features.is_empty() {
                    write!(f, "  missing: {}", self.missing_features.join(", "))?;
                }
                // A line per failed signal, its first failures named (the result has them all).
                const SHOWN: usize = 3;
                for failed in &self.failed_signals {
                    let shown = failed
                        .failures
                        .iter()
                        .take(SHOWN)
                        .cloned()
                        .collect::<Vec<_>>();
                    write!(f, "\n    {} FAILED: {}", failed.signal, shown.join("; "))?;
                    if failed.failures.len() > SHOWN {
                        write!(f, "; and {} more", failed.failures.len() - SHOWN)?;
                    }
                }
                Ok(())
            }
            status => write!(
                f,
                "{status:?}: {}{}",
                self.error.as_deref().unwrap_or(""),
                if self.recorded == FAILED_ATTEMPT {
                    "; the earlier succeeded result is kept"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Runs `detector` (with any per-request overrides already applied) over `window` for each of its
/// services, records every result and hands it to the sinks.
pub async fn run_window(
    store: &Arc<dyn Store>,
    detector: &Detector,
    window: Window,
    run_type: RunType,
) -> Result<Vec<ServiceOutcome>, StoreError> {
    let baseline = super::reference::load_baseline(store, detector).await;
    let mut outcomes = Vec::with_capacity(detector.services.len());
    for service in &detector.services {
        let started = Instant::now();
        let started_at = Utc::now();
        let mut result = match &baseline {
            Err(e) => unsuccessful(detector, service, window, RunStatus::Failed, error_chain(e)),
            Ok(baseline) => {
                match score_service(store, detector, service, window, baseline.as_ref()).await {
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
                    Err(PipelineError::Store(e)) if is_fatal(&e) => return Err(e),
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
        // Labels that arrived since earlier days were scored: their performance is recomputed
        // (a backfill needs not: each of its days already reads every label that exists).
        if run_type != RunType::BackFill && result.run.status == RunStatus::Succeeded {
            let updated =
                super::performance::recompute_late_labels(store, detector, service, window).await;
            if let Some(signal) = result
                .signals
                .iter_mut()
                .find(|s| s.name == crate::detector::signals::PERFORMANCE)
            {
                signal.updated_windows = updated;
            }
        }
        result.run.run_type = run_type;
        result.run.window = Some((window.start, window.end));
        result.run.started_at = started_at;
        result.run.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let recorded = store::record_run(&**store, &result).await?;
        // A timer run waits for its alerts; a request (ad hoc, backfill) never does.
        let wait = run_type == RunType::Scheduler;
        super::publish::publish(&result, detector, store, wait).await;
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
            drifted_features: result.drifted_features(),
            missing_features: result.schema.missing_features.clone(),
            failed_signals: FailedSignal::of(&result),
            recorded: match recorded {
                Recorded::Result => "result",
                Recorded::FailedAttempt => FAILED_ATTEMPT,
            },
            error: result.run.error.clone(),
        });
    }
    Ok(outcomes)
}

/// Store errors that mean the run cannot even be recorded; others become a failed result.
fn is_fatal(e: &StoreError) -> bool {
    matches!(e, StoreError::Config { .. })
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
        signals: Vec::new(),
    }
}

/// Profiles one service's snapshot (its data files, with the baseline's column types, merged with
/// any saved profiles beside them) and compares it with the baseline; `None` when there is no data.
async fn score_service(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: Window,
    baseline: Option<&Baseline>,
) -> Result<Option<RunResult>, PipelineError> {
    let reference = super::reference::resolve(store, detector, service, window, baseline).await?;
    let baseline = &reference.baseline;
    let template = detector.snapshot_template()?;
    let (data, template) = super::data_roots()?.open_template(store, &template)?;
    let files = snapshot_files(&*data, &template, detector, service, &reference.production).await?;
    if files.is_empty() {
        return Ok(None);
    }
    let day_sources = match reference.day_types {
        Some(_) => Some(super::reference::production_sources(&data, &files).await?),
        None => None,
    };
    let (inputs, saved, prefix) = snapshot_parts(&data, files).await?;
    let performance_inputs =
        detector
            .signals
            .performance
            .as_ref()
            .map(|_| super::performance::DayRows {
                inputs: inputs.clone(),
                saved: saved.clone(),
            });
    let scan_options = ScanOptions {
        features: detector.feature_list.clone(),
        threshold: detector.drift_threshold,
        seed: seed(&detector.name, service, window.start),
        significance: SignificanceOptions::for_detector(detector),
        on_missing_feature: detector.on_missing_feature,
        outputs: detector
            .signals
            .prediction_drift
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default(),
    };
    let context = RunContext {
        detector: detector.name.clone(),
        service_name: service.to_string(),
        model_name: detector.model_name.clone(),
        model_version: detector.model_version,
        date: window.start,
        run_type: RunType::Adhoc,
    };
    let outputs = output_sources(store, detector, service, &reference.production, baseline).await?;
    let profile = Arc::clone(&baseline.profile);
    // Scoring takes the cores and a bounded amount of memory each: a few at a time, whatever the
    // number of requests, so memory stays bounded under load.
    let _slot = scoring_slots()
        .acquire()
        .await
        .map_err(|_| PipelineError::Panicked("the scoring slots were closed".into()))?;
    let signals = detector.signals.clone();
    let alert_on = detector.alert_on;
    let day_types = reference.day_types.clone();
    let (mut result, day) = blocking("scoring the snapshot", move || {
        let (target, day) =
            super::reference::production_profile(&profile, day_types, inputs, saved, prefix)?;
        let mut result = scan::compare(&profile, &target, &scan_options, &context)
            .map_err(PipelineError::Scan)?;
        let (reference_outputs, production_outputs) = outputs.profile()?;
        result.signals = super::signals::evaluate_with_outputs(
            &signals,
            alert_on,
            &profile,
            &target,
            super::signals::Outputs {
                reference: reference_outputs.as_deref(),
                production: production_outputs.as_ref(),
            },
            &result,
        );
        Ok((result, day))
    })
    .await?;
    if let (Some(day), Some(sources), Some(types)) = (day, day_sources, &reference.day_types) {
        let date = reference.production.start;
        super::reference::remember(
            store,
            detector,
            service,
            date,
            sources,
            types,
            Arc::new(day),
        )
        .await;
    }
    if reference.window.is_some() {
        result.baseline = baseline.summary.clone();
    }
    result.warnings.extend(reference.warnings.iter().cloned());
    if result.baseline.source.is_empty() {
        result.baseline.source = baseline.summary.source.clone();
    }
    if result.baseline.content_hash.is_none() {
        result.baseline.content_hash = baseline.summary.content_hash.clone();
    }
    for signal in &mut result.signals {
        if signal.reference.source.is_empty() {
            signal.reference = result.baseline.clone();
        }
    }
    if let Some(inputs) = performance_inputs {
        // A performance that cannot be measured (a label column missing, a reference without
        // labels) fails its signal with the reason and keeps the run's other results.
        let signal = super::performance::day_signal(
            store,
            detector,
            service,
            window,
            inputs,
            result.target.clone(),
        )
        .await
        .unwrap_or_else(|e| super::performance::unmeasured(error_chain(&e), &result));
        result.signals.push(signal);
    }
    Ok(Some(result))
}

/// The snapshot's profile: its data files profiled with `pinned` column kinds (the baseline's),
/// merged with the saved profiles found beside them.
pub(super) fn target_profile(
    pinned: Vec<(String, crate::data::ColumnKind)>,
    inputs: Vec<crate::data::Input>,
    saved: Option<Profile>,
    source_name: String,
) -> Result<Profile, PipelineError> {
    let options = ProfileOptions {
        pinned_kinds: pinned,
        ..ProfileOptions::default()
    };
    profile_snapshot(options, inputs, saved, source_name)
}

/// The snapshot's profile against `reference` ([`ProfileOptions::against`]: its column kinds,
/// and the values outside its numeric ranges counted exactly for the data-quality signal),
/// merged with the saved profiles found beside the data files.
pub(super) fn target_profile_against(
    reference: &Profile,
    inputs: Vec<crate::data::Input>,
    saved: Option<Profile>,
    source_name: String,
) -> Result<Profile, PipelineError> {
    profile_snapshot(
        ProfileOptions::against(reference),
        inputs,
        saved,
        source_name,
    )
}

fn profile_snapshot(
    options: ProfileOptions,
    inputs: Vec<crate::data::Input>,
    saved: Option<Profile>,
    source_name: String,
) -> Result<Profile, PipelineError> {
    let wrap = |source| PipelineError::Profile {
        side: "snapshot",
        source_name: source_name.clone(),
        source,
    };
    let profiled = if inputs.is_empty() {
        None
    } else {
        let options = ProfileOptions {
            source: Some(source_name.clone()),
            ..options
        };
        Some(profile::build(&inputs, &options).map_err(wrap)?)
    };
    match (profiled, saved) {
        (Some(mut p), Some(s)) => {
            p.merge(&s).map_err(wrap)?;
            Ok(p)
        }
        (Some(p), None) | (None, Some(p)) => Ok(p),
        (None, None) => Err(PipelineError::NotFound(source_name)),
    }
}

/// Where prediction drift's outputs are when they are not columns of the input files: the
/// reference outputs (`prediction_drift.reference`, loaded and cached like the baseline; else the
/// baseline's output columns) and the service's output files for the window
/// (`prediction_drift.snapshots`, a snapshot template such as the legacy collector's
/// `predictions` folder or the v2 collector's `model_outputs` collection). Outputs are compared
/// as distributions, so their rows need no join with the inputs' rows.
struct OutputSources {
    reference: Option<Arc<Profile>>,
    production: Option<(Vec<crate::data::Input>, Option<Profile>, String)>,
}

impl OutputSources {
    /// The two sides' output profiles (`None`: the outputs are columns of that side's inputs).
    /// The production outputs are read with the reference outputs' column kinds.
    fn profile(self) -> Result<(Option<Arc<Profile>>, Option<Profile>), PipelineError> {
        let production = match self.production {
            None => None,
            Some((inputs, saved, source)) => {
                let kinds = self.reference.as_deref().map(Profile::kinds);
                Some(target_profile(
                    kinds.unwrap_or_default(),
                    inputs,
                    saved,
                    source,
                )?)
            }
        };
        Ok((self.reference, production))
    }
}

/// Finds the outputs of prediction drift that lie apart from the inputs (see [`OutputSources`]).
/// No output files for the window leaves the production outputs to the input profile, where the
/// output columns are then missing: the signal fails and names them.
async fn output_sources(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: &Window,
    baseline: &Baseline,
) -> Result<OutputSources, PipelineError> {
    let Some(config) = &detector.signals.prediction_drift else {
        return Ok(OutputSources {
            reference: None,
            production: None,
        });
    };
    let reference = match &config.reference {
        Some(location) => Some(
            baseline::load_reference_outputs(store, detector, location)
                .await?
                .profile,
        ),
        None => None,
    };
    let Some(template) = &config.snapshots else {
        return Ok(OutputSources {
            reference,
            production: None,
        });
    };
    let template = crate::detector::SnapshotTemplate::parse(template)?;
    let (data, template) = super::data_roots()?.open_template(store, &template)?;
    let files = snapshot_files(&*data, &template, detector, service, window).await?;
    if files.is_empty() {
        tracing::warn!(message = "No output files for prediction drift.", detector = %detector.name, service = %service, template = %template.template);
        return Ok(OutputSources {
            reference,
            production: None,
        });
    }
    // Without reference outputs of their own, the outputs are typed like the baseline's.
    let reference = reference.or_else(|| Some(Arc::clone(&baseline.profile)));
    Ok(OutputSources {
        reference,
        production: Some(snapshot_parts(&data, files).await?),
    })
}

/// A snapshot's files ready to profile: its data files as inputs, the saved profiles among them
/// (a Spark job's) merged into one, and the folder they share, which names the snapshot.
pub(super) async fn snapshot_parts(
    data: &Arc<dyn Store>,
    files: Vec<Key>,
) -> Result<(Vec<crate::data::Input>, Option<Profile>, String), PipelineError> {
    let prefix = common_prefix(&files);
    let (profiles, raw): (Vec<Key>, Vec<Key>) = files.into_iter().partition(is_profile_key);
    let saved = if profiles.is_empty() {
        None
    } else {
        Some(baseline::read_profiles(data, &profiles).await?)
    };
    Ok((inputs_for(data, &raw).await?, saved, prefix))
}

/// Snapshots scored at the same time in this process: one per core, at least two.
fn scoring_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.max(2))
    })
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
pub(super) fn seed(detector: &str, service: &str, date: NaiveDate) -> u64 {
    seed_from_names(&[detector, service, &date.to_string()])
}
