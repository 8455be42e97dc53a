//! `performance`: a model's realized and estimated performance per window against a labelled
//! reference, through [`driftscan::pipeline::performance`] as `driftscan performance` does.
//!
//! Reference, target and labels are paths, Arrow tables or `Profile`s (whose row sample holds
//! the outputs and labels, so a Spark profile serves), read as `scan` reads its sides. The result crosses as
//! the document of `driftscan performance --json` and renders the same report page.

use pyo3::prelude::*;

use driftscan::drift::performance::{Metric, PerformanceResult, Problem};
use driftscan::pipeline::ErrorCode;
use driftscan::pipeline::local::Dataset;
use driftscan::pipeline::performance::{PerformanceRequest, performance as run_performance};

use crate::errors::DriftscanErr;
use crate::{dataset, engine};

/// One performance result: the document of `driftscan performance --json` and its report page.
#[pyclass(name = "_PerformanceResult", module = "driftscan._driftscan", frozen)]
pub struct PyPerformanceResult {
    inner: PerformanceResult,
}

#[pymethods]
impl PyPerformanceResult {
    /// The result document, exactly as `driftscan performance --json` prints it.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.inner)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// The report as one self-contained HTML page (as `driftscan performance --report`).
    fn report_html(&self, py: Python<'_>) -> PyResult<String> {
        let result = &self.inner;
        engine(py, "rendering the report", || {
            Ok(driftscan::report::render_performance(result))
        })
    }

    /// The sentence of each failing metric, `(window, sentence)`, as the report lists them.
    fn drops(&self) -> Vec<(String, String)> {
        self.inner
            .windows
            .iter()
            .flat_map(|w| {
                w.metrics
                    .iter()
                    .filter(|m| m.passed == Some(false))
                    .map(|m| (w.label.clone(), driftscan::report::drop_sentence(m)))
            })
            .collect()
    }
}

fn invalid(py: Python<'_>, message: String) -> PyErr {
    DriftscanErr::new(ErrorCode::InvalidArgument, message).into_py_err(py)
}

/// Measures `target` against `reference` (see the package's `performance`). `y_pred_proba`
/// items are column names or `class=column` pairs, as the command's flag takes them.
#[pyfunction]
#[pyo3(signature = (reference, target, y_true, y_pred, problem=None, y_pred_proba=None, positive_class=None, features=None, labels=None, id=None, window_rows=None, thresholds=None, seed=7, reference_name=None, target_name=None, labels_name=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn performance(
    py: Python<'_>,
    reference: &Bound<'_, PyAny>,
    target: &Bound<'_, PyAny>,
    y_true: String,
    y_pred: String,
    problem: Option<String>,
    y_pred_proba: Option<Vec<String>>,
    positive_class: Option<String>,
    features: Option<Vec<String>>,
    labels: Option<&Bound<'_, PyAny>>,
    id: Option<String>,
    window_rows: Option<usize>,
    thresholds: Option<Vec<(String, f64)>>,
    seed: u64,
    reference_name: Option<String>,
    target_name: Option<String>,
    labels_name: Option<String>,
) -> PyResult<PyPerformanceResult> {
    let problem = problem
        .map(|p| {
            Problem::parse(&p).ok_or_else(|| {
                invalid(
                    py,
                    format!("problem `{p}`: expected binary, multiclass or regression"),
                )
            })
        })
        .transpose()?;
    if window_rows == Some(0) {
        return Err(invalid(
            py,
            "window_rows must be at least 1 (None: the whole target is one window)".into(),
        ));
    }
    let thresholds = thresholds
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| {
            let metric = Metric::parse(&name).ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
                invalid(
                    py,
                    format!(
                        "thresholds: `{name}` is not a performance metric ({})",
                        names.join(", ")
                    ),
                )
            })?;
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(
                    py,
                    format!("thresholds: `{name}` = {value}: a threshold is a number at least 0"),
                ));
            }
            Ok((metric, value))
        })
        .collect::<PyResult<Vec<_>>>()?;
    if labels.is_some() && id.is_none() {
        return Err(invalid(
            py,
            "labels given without the id column that joins them to the target's rows (id=...)"
                .into(),
        ));
    }
    let request = PerformanceRequest {
        problem,
        y_true,
        y_pred,
        y_pred_proba: y_pred_proba.unwrap_or_default(),
        positive_class,
        features,
        id,
        window_rows,
        thresholds,
        seed,
    };
    let reference = dataset(reference, reference_name)?;
    let target = dataset(target, target_name)?;
    let labels: Option<Dataset> = labels.map(|l| dataset(l, labels_name)).transpose()?;
    let inner = engine(py, "measuring performance", move || {
        Ok(run_performance(&request, reference, target, labels)?)
    })?;
    Ok(PyPerformanceResult { inner })
}

/// Adds the function and the result class to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPerformanceResult>()?;
    m.add_function(wrap_pyfunction!(performance, m)?)?;
    Ok(())
}
