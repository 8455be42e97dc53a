//! Snapshot templates for code that reads or writes a day's data outside the engine (a Spark job):
//! the service's own templates and rendering ([`driftscan::detector::snapshots`]), so that where a
//! job reads a collector's day and writes its profile is where the service looks for them.

use pyo3::prelude::*;

use driftscan::detector::parse_date;
use driftscan::detector::snapshots::{
    COLLECTOR_SNAPSHOTS, DataRoot, LEGACY_SNAPSHOTS, Segment, SnapshotTemplate,
};

use driftscan::pipeline::ErrorCode;

use crate::errors::DriftscanErr;

/// A template's day rendered as segments, below the store (templates naming `az://` or an
/// absolute folder are the detector's business, not a job's).
fn render(
    py: Python<'_>,
    template: &str,
    service: &str,
    model: &str,
    version: u32,
    date: &str,
) -> PyResult<Vec<Segment>> {
    let err = |e: DriftscanErr| e.into_py_err(py);
    let day = parse_date("date", date).map_err(|e| err(e.into()))?;
    let parsed = SnapshotTemplate::parse(template).map_err(|e| err(e.into()))?;
    if parsed.root != DataRoot::Store {
        return Err(err(DriftscanErr::new(
            ErrorCode::InvalidArgument,
            format!(
                "template `{template}` must be relative to the store (no `az://`, no leading `/`)"
            ),
        )));
    }
    Ok(parsed.render(service, model, version, day))
}

/// The folders of one service's day as a Hadoop glob, below the store: a date part the
/// collector may write padded or not becomes `{03,3}`, `*` and `{HH}` become `*`.
#[pyfunction]
fn snapshot_glob(
    py: Python<'_>,
    template: &str,
    service: &str,
    model: &str,
    version: u32,
    date: &str,
) -> PyResult<String> {
    let segments = render(py, template, service, model, version, date)?;
    Ok(segments
        .into_iter()
        .map(|s| match s {
            Segment::Exact(v) if v.len() == 1 => v[0].clone(),
            Segment::Exact(v) => format!("{{{}}}", v.join(",")),
            Segment::Any(_) => "*".to_string(),
        })
        .collect::<Vec<_>>()
        .join("/"))
}

/// The one folder of one service's day, below the store, zero-padded (the form the service reads
/// first): where a job writes the day's profile. A template with `*` or `{HH}` names no single
/// folder and is an error.
#[pyfunction]
fn snapshot_folder(
    py: Python<'_>,
    template: &str,
    service: &str,
    model: &str,
    version: u32,
    date: &str,
) -> PyResult<String> {
    let segments = render(py, template, service, model, version, date)?;
    let mut parts = Vec::with_capacity(segments.len());
    for s in segments {
        match s {
            Segment::Exact(mut v) => parts.push(v.swap_remove(0)),
            Segment::Any(_) => {
                return Err(DriftscanErr::new(
                    ErrorCode::InvalidArgument, format!(
                        "template `{template}` has a `*` or `{{HH}}` segment: it names no single folder to write to"
                    ),
                )
                .into_py_err(py));
            }
        }
    }
    Ok(parts.join("/"))
}

/// Adds the templates and their rendering to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LEGACY_SNAPSHOTS", LEGACY_SNAPSHOTS)?;
    m.add("COLLECTOR_SNAPSHOTS", COLLECTOR_SNAPSHOTS)?;
    m.add_function(wrap_pyfunction!(snapshot_glob, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot_folder, m)?)?;
    Ok(())
}
