//! Detectors in a store (a folder or `az://container[/prefix]`): each function translates its
//! arguments into one call of [`driftscan::pipeline::Detectors`], the operations the REST API and
//! the command line call too, and answers the same JSON documents, so
//! `driftscan.DataDriftDetector` behaves alike on a local store and on a deployed Functions app.

use std::sync::OnceLock;

use pyo3::prelude::*;
use serde_json::json;

use driftscan::pipeline::detectors::{
    BackfillRequest, HISTORY_KEPT, PutMode, RangeRequest, ReportRequest, RunRequest,
};
use driftscan::pipeline::{Detectors, ErrorCode, OpError};
use driftscan::store;

use crate::engine;
use crate::errors::DriftscanErr;

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
                ErrorCode::InternalError,
                format!("starting the async runtime: {e}"),
            )
        })?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Runs `work` on the detectors of the store at `location` with the GIL released; the answer goes
/// to Python as JSON text.
fn with_detectors<F, Fut, T>(
    py: Python<'_>,
    what: &str,
    location: &str,
    work: F,
) -> PyResult<String>
where
    F: FnOnce(Detectors) -> Fut + Send,
    Fut: std::future::Future<Output = Result<T, OpError>>,
    T: serde::Serialize,
{
    let location = location.to_string();
    engine(py, what, move || {
        let detectors = Detectors::new(store::open(&location)?);
        let answer = runtime()?.block_on(work(detectors))?;
        serde_json::to_string(&answer).map_err(|e| {
            DriftscanErr::new(
                ErrorCode::InternalError,
                format!("encoding the answer: {e}"),
            )
        })
    })
}

/// `POST /api/detectors`: stores a new detector; answers the detector.
#[pyfunction]
fn detector_create(py: Python<'_>, store: &str, definition: &str) -> PyResult<String> {
    with_detectors(py, "creating a detector", store, |d| async move {
        d.create(definition.as_bytes()).await
    })
}

/// `GET /api/detectors/{name}`.
#[pyfunction]
fn detector_get(py: Python<'_>, store: &str, name: &str) -> PyResult<String> {
    with_detectors(py, "reading a detector", store, |d| async move {
        d.get(name).await
    })
}

/// `GET /api/detectors`: `{"detectors": [...]}`.
#[pyfunction]
fn detector_list(py: Python<'_>, store: &str) -> PyResult<String> {
    with_detectors(py, "listing detectors", store, |d| async move {
        Ok(json!({ "detectors": d.list().await? }))
    })
}

/// `PUT /api/detectors/{name}` on an existing detector: replaces its definition, unless it was
/// changed meanwhile.
#[pyfunction]
fn detector_replace(py: Python<'_>, store: &str, name: &str, definition: &str) -> PyResult<String> {
    with_detectors(py, "updating a detector", store, |d| async move {
        let (detector, _) = d.put(name, definition.as_bytes(), PutMode::Replace).await?;
        Ok(detector)
    })
}

/// `DELETE /api/detectors/{name}`: the run history is kept.
#[pyfunction]
fn detector_delete(py: Python<'_>, store: &str, name: &str) -> PyResult<String> {
    with_detectors(py, "deleting a detector", store, |d| async move {
        d.delete(name).await?;
        Ok(json!({"deleted": name, "note": HISTORY_KEPT}))
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
    with_detectors(py, "switching a detector's timer", store, |d| async move {
        d.set_enabled(name, enabled).await
    })
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
    let request = RunRequest {
        target_date: target_date.to_string(),
        services,
        feature_list,
        drift_threshold,
    };
    with_detectors(py, "running a detector", store, |d| async move {
        d.run(name, request).await
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
    let request = BackfillRequest {
        start_date: start_date.to_string(),
        end_date: end_date.to_string(),
    };
    with_detectors(py, "backfilling a detector", store, |d| async move {
        d.backfill(name, request, |_, _, _| {}).await
    })
}

/// `GET /api/detectors/{name}/output`: one page of Azure ML's `get_output` document.
#[pyfunction]
#[pyo3(signature = (store, name, start=None, end=None))]
fn detector_output(
    py: Python<'_>,
    store: &str,
    name: &str,
    start: Option<String>,
    end: Option<String>,
) -> PyResult<String> {
    let request = RangeRequest { start, end };
    with_detectors(py, "reading a detector's results", store, |d| async move {
        d.output(name, request).await
    })
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
    let request = ReportRequest {
        start,
        end,
        run,
        open: Some(open_features),
    };
    let page = with_detectors(
        py,
        "rendering a detector's history",
        store,
        |d| async move { d.report(name, request).await },
    )?;
    // `with_detectors` answers JSON text; the page is a JSON string.
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
