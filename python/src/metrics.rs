//! The metric registry for Python ([`driftscan::drift::metrics::METRICS`]), so the result frame
//! orders and labels its columns as the terminal table and the report do.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use driftscan::drift::metrics::METRICS;

/// One dict per metric, in the order of the result document: `name`, `label`, `kind`,
/// `direction`, `unit`, `threshold` (`None` where no cut-off is customary) and `doc`.
#[pyfunction]
pub(crate) fn metric_registry(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    METRICS
        .iter()
        .map(|m| {
            let d = PyDict::new(py);
            d.set_item("name", m.name)?;
            d.set_item("label", m.label)?;
            d.set_item("kind", m.kind.as_str())?;
            d.set_item("direction", m.direction.as_str())?;
            d.set_item("unit", m.unit.as_str())?;
            d.set_item("threshold", m.threshold)?;
            d.set_item("doc", m.doc())?;
            Ok(d)
        })
        .collect()
}
