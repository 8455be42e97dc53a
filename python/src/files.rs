//! Datasets profiled where their files lie, for `driftscan.spark.profile_files`: the driver lists
//! the files and pins the dataset's schema from its first file, each executor profiles its share
//! (whole files, or row groups of a large Parquet file) and the shares' profiles merge into the
//! profile of the whole ([`driftscan::pipeline::files`]).

use pyo3::prelude::*;

use driftscan::data::{ColumnKind, DatasetSchema, SchemaColumn};
use driftscan::pipeline::ErrorCode;
use driftscan::pipeline::ProfileOptions;
use driftscan::pipeline::files::{self, DataFile};
use driftscan::pipeline::local;

use crate::errors::DriftscanErr;
use crate::{PyProfile, engine};

/// A schema as Python holds it: the read columns `(name, "numeric" | "text")` in order, and the
/// excluded ones `(name, reason)`.
type PySchema = (Vec<(String, String)>, Vec<(String, String)>);

fn listed(files: Vec<DataFile>) -> Vec<(String, u64)> {
    files.into_iter().map(|f| (f.location, f.bytes)).collect()
}

fn pinned(
    py: Python<'_>,
    kinds: Option<Vec<(String, String)>>,
) -> PyResult<Vec<(String, ColumnKind)>> {
    local::parse_declared_types(kinds.unwrap_or_default())
        .map_err(|e| DriftscanErr::new(ErrorCode::InvalidArgument, e.to_string()).into_py_err(py))
}

/// The data files of a file, folder, glob or `az://container/prefix`, in the command's order, as
/// `(location, bytes)`.
#[pyfunction]
fn list_files(py: Python<'_>, spec: String) -> PyResult<Vec<(String, u64)>> {
    engine(py, "listing files", move || {
        Ok(listed(files::list_files(&spec)?))
    })
}

/// The data files of one service's day below `root` (a folder or `az://container[/prefix]`, the
/// template's first folder), found as the service finds them, as `(location, bytes)`.
#[pyfunction]
fn snapshot_files(
    py: Python<'_>,
    root: String,
    template: String,
    service: String,
    model: String,
    version: u32,
    date: String,
) -> PyResult<Vec<(String, u64)>> {
    let day = driftscan::detector::parse_date("date", &date)
        .map_err(|e| DriftscanErr::from(e).into_py_err(py))?;
    engine(py, "listing the day's files", move || {
        Ok(listed(files::list_snapshot_files(
            &root, &template, &service, &model, version, day,
        )?))
    })
}

/// The dataset's schema as the command pins it, from the head of its first file with rows.
#[pyfunction]
#[pyo3(signature = (locations, kinds=None))]
fn files_schema(
    py: Python<'_>,
    locations: Vec<String>,
    kinds: Option<Vec<(String, String)>>,
) -> PyResult<PySchema> {
    let pinned = pinned(py, kinds)?;
    let schema = engine(py, "reading the schema", move || {
        Ok(files::files_schema(&locations, &pinned)?)
    })?;
    Ok((
        schema
            .columns
            .into_iter()
            .map(|c| (c.name, c.kind.as_str().to_string()))
            .collect(),
        schema.excluded,
    ))
}

/// The row groups of a Parquet file as `(rows, compressed bytes)`, from its footer.
#[pyfunction]
fn parquet_row_groups(py: Python<'_>, location: String) -> PyResult<Vec<(u64, u64)>> {
    engine(py, "reading a Parquet footer", move || {
        Ok(files::parquet_row_groups(&location)?)
    })
}

/// The profile of a share of a dataset (whole files, or `row_groups` of each), read with the
/// dataset's `schema`; None when the share holds no rows.
#[pyfunction]
#[pyo3(signature = (locations, schema, features=None, row_groups=None, name=None, kinds=None, bounds=None))]
#[allow(clippy::too_many_arguments)]
fn profile_files(
    py: Python<'_>,
    locations: Vec<String>,
    schema: PySchema,
    features: Option<Vec<String>>,
    row_groups: Option<Vec<usize>>,
    name: Option<String>,
    kinds: Option<Vec<(String, String)>>,
    bounds: Option<Vec<(String, f64, f64)>>,
) -> PyResult<Option<PyProfile>> {
    let (columns, excluded) = schema;
    let columns = columns
        .into_iter()
        .map(|(name, kind)| {
            ColumnKind::parse_declared(&kind)
                .map(|kind| SchemaColumn { name, kind })
                .ok_or_else(|| {
                    DriftscanErr::new(
                        ErrorCode::InvalidArgument,
                        format!("schema kind `{kind}` is not `numeric` or `text`"),
                    )
                    .into_py_err(py)
                })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let schema = DatasetSchema { columns, excluded };
    let options = ProfileOptions {
        pinned_kinds: pinned(py, kinds)?,
        reference_bounds: bounds.unwrap_or_default(),
        ..ProfileOptions::default()
    };
    let name = name.unwrap_or_else(|| locations.join(" + "));
    let inner = engine(py, "profiling files", move || {
        Ok(files::profile_files(
            &name,
            &locations,
            schema,
            features.as_deref(),
            row_groups,
            &options,
        )?)
    })?;
    Ok(inner.map(|inner| PyProfile { inner }))
}

/// Adds the file path's functions to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(list_files, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot_files, m)?)?;
    m.add_function(wrap_pyfunction!(files_schema, m)?)?;
    m.add_function(wrap_pyfunction!(parquet_row_groups, m)?)?;
    m.add_function(wrap_pyfunction!(profile_files, m)?)?;
    Ok(())
}
