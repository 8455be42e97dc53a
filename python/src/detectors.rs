//! Detectors in a store (a folder or `az://container[/prefix]`): the operations of the REST API
//! (docs/service.md), answering with the same JSON documents, so `driftscan.DataDriftDetector`
//! reads a local store and a deployed Functions app alike. Runs, backfills and `get_output` go
//! through [`driftscan::pipeline`], as in the CLI and the service.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use serde_json::{Value, json};

use driftscan::detector::{Detector, parse_date, validate_name};
use driftscan::drift::result::RunType;
use driftscan::pipeline::{self, ServiceOutcome};
use driftscan::store::{self, PutCondition, Store, StoreError};

use crate::engine;
use crate::errors::{DriftscanErr, Kind};

/// One async runtime for the whole process, started on first use: store calls from Python
/// block on it with the GIL released.
fn runtime() -> Result<&'static tokio::runtime::Runtime, DriftscanErr> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("driftscan-store")
        .build()
        .map_err(|e| {
            DriftscanErr::new(
                Kind::Internal,
                "internal",
                format!("starting the async runtime: {e}"),
            )
        })?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Runs `work` on the store at `location` with the GIL released; the answer goes to Python as
/// JSON text.
fn with_store<F, Fut>(py: Python<'_>, what: &str, location: &str, work: F) -> PyResult<String>
where
    F: FnOnce(Arc<dyn Store>) -> Fut + Send,
    Fut: std::future::Future<Output = Result<Value, DriftscanErr>>,
{
    let location = location.to_string();
    engine(py, what, move || {
        let store = store::open(&location)?;
        let value = runtime()?.block_on(work(store))?;
        Ok(value.to_string())
    })
}

fn not_found(name: &str) -> DriftscanErr {
    DriftscanErr::new(
        Kind::NotFound,
        "not_found",
        format!("detector `{name}` does not exist"),
    )
}

async fn load(store: &dyn Store, name: &str) -> Result<Detector, DriftscanErr> {
    validate_name(name)?;
    store::get_detector(store, name)
        .await?
        .map(|(d, _)| d)
        .ok_or_else(|| not_found(name))
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, DriftscanErr> {
    serde_json::to_value(value)
        .map_err(|e| DriftscanErr::new(Kind::Internal, "internal", e.to_string()))
}

/// `POST /api/detectors`: stores a new detector; answers the detector.
#[pyfunction]
fn detector_create(py: Python<'_>, store: &str, definition: &str) -> PyResult<String> {
    let definition = definition.as_bytes().to_vec();
    with_store(py, "creating a detector", store, |store| async move {
        let detector = Detector::from_json(&definition)?;
        match store::put_detector(&*store, &detector, PutCondition::Create).await {
            Ok(_) => to_value(&detector),
            Err(StoreError::Conflict { .. }) => Err(DriftscanErr::new(
                Kind::Exists,
                "already_exists",
                format!(
                    "detector `{}` already exists; update it, or delete it first",
                    detector.name
                ),
            )),
            Err(e) => Err(e.into()),
        }
    })
}

/// `GET /api/detectors/{name}`.
#[pyfunction]
fn detector_get(py: Python<'_>, store: &str, name: &str) -> PyResult<String> {
    let name = name.to_string();
    with_store(py, "reading a detector", store, |store| async move {
        to_value(&load(&*store, &name).await?)
    })
}

/// `GET /api/detectors`: `{"detectors": [...]}`.
#[pyfunction]
fn detector_list(py: Python<'_>, store: &str) -> PyResult<String> {
    with_store(py, "listing detectors", store, |store| async move {
        let detectors = store::list_detectors(&*store).await?;
        Ok(json!({ "detectors": detectors }))
    })
}

/// `PUT /api/detectors/{name}` on an existing detector: replaces its definition, unless it was
/// changed meanwhile.
#[pyfunction]
fn detector_replace(py: Python<'_>, store: &str, name: &str, definition: &str) -> PyResult<String> {
    let name = name.to_string();
    let definition = definition.as_bytes().to_vec();
    with_store(py, "updating a detector", store, |store| async move {
        validate_name(&name)?;
        let detector = Detector::from_json(&definition)?;
        if detector.name != name {
            return Err(DriftscanErr::new(
                Kind::Detector,
                "invalid_detector",
                format!(
                    "field `name`: `{}` differs from the detector being updated, `{name}`",
                    detector.name
                ),
            ));
        }
        let Some((_, version)) = store::get_detector(&*store, &name).await? else {
            return Err(not_found(&name));
        };
        store::put_detector(&*store, &detector, PutCondition::Match(version)).await?;
        to_value(&detector)
    })
}

/// `DELETE /api/detectors/{name}`: the run history is kept.
#[pyfunction]
fn detector_delete(py: Python<'_>, store: &str, name: &str) -> PyResult<String> {
    let name = name.to_string();
    with_store(py, "deleting a detector", store, |store| async move {
        validate_name(&name)?;
        if store.delete(&store::keys::detector(&name)?).await? {
            Ok(json!({"deleted": name, "note": "run history under runs/ is kept"}))
        } else {
            Err(not_found(&name))
        }
    })
}

/// `POST /api/detectors/{name}/enable` and `/disable`.
#[pyfunction]
fn detector_set_enabled(
    py: Python<'_>,
    store: &str,
    name: &str,
    enabled: bool,
) -> PyResult<String> {
    let name = name.to_string();
    with_store(
        py,
        "switching a detector's timer",
        store,
        |store| async move {
            validate_name(&name)?;
            match store::update_detector(&*store, &name, |d| d.with_enabled(enabled)).await? {
                Some(d) => to_value(&d),
                None => Err(not_found(&name)),
            }
        },
    )
}

/// `POST /api/detectors/{name}/run`: scores the window containing `target_date` for each service
/// (or those given), with per-run overrides.
#[pyfunction]
#[pyo3(signature = (store, name, target_date, services=None, feature_list=None, drift_threshold=None))]
fn detector_run(
    py: Python<'_>,
    store: &str,
    name: &str,
    target_date: &str,
    services: Option<Vec<String>>,
    feature_list: Option<Vec<String>>,
    drift_threshold: Option<f64>,
) -> PyResult<String> {
    let name = name.to_string();
    let target_date = target_date.to_string();
    with_store(py, "running a detector", store, |store| async move {
        let date = parse_date("target_date", &target_date)?;
        let detector = load(&*store, &name).await?;
        let detector = detector.with_overrides(services, feature_list, drift_threshold)?;
        let window = detector.frequency.window_containing(date);
        let runs = pipeline::run_window(&store, &detector, window, RunType::Adhoc).await?;
        Ok(json!({"detector": detector.name, "window": window, "runs": runs}))
    })
}

/// `POST /api/detectors/{name}/backfill`: every window from `start_date` to `end_date` (at most
/// 30 cycles).
#[pyfunction]
fn detector_backfill(
    py: Python<'_>,
    store: &str,
    name: &str,
    start_date: &str,
    end_date: &str,
) -> PyResult<String> {
    let name = name.to_string();
    let (start_date, end_date) = (start_date.to_string(), end_date.to_string());
    with_store(py, "backfilling a detector", store, |store| async move {
        let start = parse_date("start_date", &start_date)?;
        let end = parse_date("end_date", &end_date)?;
        let detector = load(&*store, &name).await?;
        let windows = detector.frequency.backfill_windows(start, end)?;
        let mut runs: Vec<ServiceOutcome> = Vec::new();
        for w in &windows {
            runs.extend(pipeline::run_window(&store, &detector, *w, RunType::BackFill).await?);
        }
        Ok(json!({"detector": detector.name, "cycles": windows.len(), "runs": runs}))
    })
}

fn optional_date(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<chrono::NaiveDate>, DriftscanErr> {
    Ok(value.map(|v| parse_date(field, &v)).transpose()?)
}

/// `GET /api/detectors/{name}/output`: Azure ML's `get_output` document.
#[pyfunction]
#[pyo3(signature = (store, name, start=None, end=None))]
fn detector_output(
    py: Python<'_>,
    store: &str,
    name: &str,
    start: Option<String>,
    end: Option<String>,
) -> PyResult<String> {
    let name = name.to_string();
    with_store(
        py,
        "reading a detector's results",
        store,
        |store| async move {
            let (start, end) = (optional_date("start", start)?, optional_date("end", end)?);
            let detector = load(&*store, &name).await?;
            let (start, end) = pipeline::history::output_range(&detector, start, end)?;
            let document =
                pipeline::history::output_document(&*store, &detector, start, end).await?;
            serde_json::to_value(document).map_err(|e| {
                DriftscanErr::new(
                    Kind::Internal,
                    "internal",
                    format!("encoding the results: {e}"),
                )
            })
        },
    )
}

/// `GET /api/detectors/{name}/report`: the history page (HTML).
#[pyfunction]
#[pyo3(signature = (store, name, start=None, end=None, run=None, open_features=5))]
fn detector_report(
    py: Python<'_>,
    store: &str,
    name: &str,
    start: Option<String>,
    end: Option<String>,
    run: Option<String>,
    open_features: usize,
) -> PyResult<String> {
    let name = name.to_string();
    let page = with_store(
        py,
        "rendering a detector's history",
        store,
        |store| async move {
            let (start, end) = (optional_date("start", start)?, optional_date("end", end)?);
            let run = optional_date("run", run)?;
            let detector = load(&*store, &name).await?;
            let (start, end) = pipeline::history::output_range(&detector, start, end)?;
            let html =
                pipeline::history::history_page(&*store, &detector, start, end, run, open_features)
                    .await?;
            Ok(Value::String(html))
        },
    )?;
    // `with_store` answers JSON text; the page is a JSON string.
    serde_json::from_str::<String>(&page)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(detector_create, m)?)?;
    m.add_function(wrap_pyfunction!(detector_get, m)?)?;
    m.add_function(wrap_pyfunction!(detector_list, m)?)?;
    m.add_function(wrap_pyfunction!(detector_replace, m)?)?;
    m.add_function(wrap_pyfunction!(detector_delete, m)?)?;
    m.add_function(wrap_pyfunction!(detector_set_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(detector_run, m)?)?;
    m.add_function(wrap_pyfunction!(detector_backfill, m)?)?;
    m.add_function(wrap_pyfunction!(detector_output, m)?)?;
    m.add_function(wrap_pyfunction!(detector_report, m)?)?;
    Ok(())
}
