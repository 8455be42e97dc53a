//! `driftscan._driftscan`: the extension module under the Python package `driftscan`.
//!
//! A thin layer over [`driftscan::pipeline`], the module the command line and the Functions
//! handler call too, so the three cannot disagree:
//!
//! * [`scan`] and [`profile`]: one side is a path (file, folder, glob, `.profile`,
//!   `az://container/prefix`), a [`PyProfile`], or any object with `__arrow_c_stream__` (pandas,
//!   polars, pyarrow, DuckDB), read through the Arrow C stream without a copy;
//! * [`detectors`]: a detector store (folder or `az://container`) with the REST API's operations,
//!   answering in the REST API's JSON documents, so the Python class can drive either;
//! * [`performance`]: a model's realized and estimated performance per window against a
//!   labelled reference, with the document of `driftscan performance --json` and its report;
//! * [`files`]: a dataset's files profiled where they lie, a share per Spark task;
//! * [`snapshots`]: the service's snapshot templates rendered for a Spark job, which reads a
//!   collector's day and writes its profile where the detector looks;
//! * [`cli_main`]: the `driftscan` command that the wheel puts on PATH.
//!
//! The engine runs with the GIL released. Every error becomes an exception of
//! `driftscan.errors` carrying the engine's message, and a panic in the engine becomes
//! `driftscan.errors.InternalError` instead of taking the interpreter down.

mod detectors;
mod errors;
mod files;
mod metrics;
mod performance;
mod snapshots;

use std::panic::AssertUnwindSafe;

use arrow::ffi_stream::RecordBatchStreamReader;
use arrow::pyarrow::FromPyArrow;
use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use driftscan::detector::DEFAULT_DRIFT_THRESHOLD;
use driftscan::drift::result::RunResult;
use driftscan::drift::scan::ScanRequest;
use driftscan::drift::significance::DEFAULT_MIN_EFFECT;
use driftscan::pipeline::local::{self, Dataset};
use driftscan::pipeline::{Profile, ProfileOptions};

use driftscan::pipeline::{ErrorCode, OpError};
use errors::DriftscanErr;

/// Runs engine work with the GIL released; a panic becomes an `InternalError`.
pub(crate) fn engine<T: Send>(
    py: Python<'_>,
    what: &str,
    work: impl FnOnce() -> Result<T, DriftscanErr> + Send,
) -> PyResult<T> {
    let outcome = py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.into_py_err(py)),
        Err(panic) => Err(DriftscanErr::from(OpError::panicked(what, &*panic)).into_py_err(py)),
    }
}

/// A dataset's profile: per-column sketches and statistics plus a bounded row sample. Profiles
/// merge exactly, are saved as `.profile` files and can stand for their data on either side of a
/// scan.
#[pyclass(name = "Profile", module = "driftscan", frozen)]
pub struct PyProfile {
    inner: Profile,
}

#[pymethods]
impl PyProfile {
    /// Reads a profile written by `save` or `driftscan profile` (a path or `az://container/key`).
    #[staticmethod]
    fn load(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<PyProfile> {
        let path = fspath(path)?;
        let inner = engine(py, "reading a profile", move || {
            Ok(local::read_profile_file("profile", &path)?)
        })?;
        Ok(PyProfile { inner })
    }

    /// A profile from the bytes of `to_bytes`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<PyProfile> {
        let data = data.to_vec();
        let inner = engine(py, "decoding a profile", move || {
            Profile::from_bytes(&data)
                .map_err(|e| DriftscanErr::new(ErrorCode::DataError, e.to_string()))
        })?;
        Ok(PyProfile { inner })
    }

    /// Writes the profile atomically to a path or to `az://container/key` (one Put Blob);
    /// returns the number of bytes written.
    fn save(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<usize> {
        let path = fspath(path)?;
        let profile = &self.inner;
        engine(py, "saving a profile", || {
            Ok(local::save_profile_to(profile, &path)?)
        })
    }

    /// The canonical encoding of the statistics alone (rows, seed, columns, excluded columns, row
    /// sample): the same bytes for the same rows however they were stored, split, ordered or
    /// merged. Provenance (source, files, content hash, warnings) is left out.
    fn statistics_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let profile = &self.inner;
        let bytes = engine(py, "encoding statistics", || Ok(profile.statistics_bytes()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Hex SHA-256 of `statistics_bytes()`: a short fingerprint of the statistics.
    fn statistics_digest(&self, py: Python<'_>) -> PyResult<String> {
        let profile = &self.inner;
        engine(py, "hashing statistics", || Ok(profile.statistics_digest()))
    }

    /// One profile of all the given profiles' data, merged at once (the row samples in one
    /// selection, the columns in parallel): what each node of a tree reduce does. The same as
    /// merging them one by one, in any order.
    #[staticmethod]
    fn merge_all(py: Python<'_>, profiles: &Bound<'_, PyAny>) -> PyResult<PyProfile> {
        let mut parts = Vec::new();
        for item in profiles.try_iter()? {
            let item = item?;
            let part = item.extract::<PyRef<'_, PyProfile>>().map_err(|_| {
                DriftscanErr::new(
                    ErrorCode::InvalidInputType,
                    format!(
                        "merge_all takes Profile objects, not `{}`",
                        type_name(&item)
                    ),
                )
                .into_py_err(py)
            })?;
            parts.push(part.inner.clone());
        }
        let inner = engine(py, "merging profiles", move || {
            Profile::merge_all(parts)
                .map_err(|e| DriftscanErr::new(ErrorCode::DataError, e.to_string()))
        })?;
        Ok(PyProfile { inner })
    }

    /// The profile in its binary form (what `save` writes).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let profile = &self.inner;
        let bytes = engine(py, "encoding a profile", || Ok(profile.to_bytes()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A new profile of this one's data and the others' together, as if profiled at once.
    #[pyo3(signature = (*others))]
    fn merge(&self, py: Python<'_>, others: &Bound<'_, PyTuple>) -> PyResult<PyProfile> {
        let others: Vec<PyRef<'_, PyProfile>> = others
            .iter()
            .map(|o| {
                o.extract::<PyRef<'_, PyProfile>>().map_err(|_| {
                    DriftscanErr::new(
                        ErrorCode::InvalidInputType,
                        format!("merge takes Profile objects, not `{}`", type_name(&o)),
                    )
                    .into_py_err(py)
                })
            })
            .collect::<PyResult<_>>()?;
        let others: Vec<&Profile> = others.iter().map(|o| &o.inner).collect();
        let mut merged = self.inner.clone();
        engine(py, "merging profiles", || {
            for other in others {
                merged
                    .merge(other)
                    .map_err(|e| DriftscanErr::new(ErrorCode::DataError, e.to_string()))?;
            }
            Ok(())
        })?;
        Ok(PyProfile { inner: merged })
    }

    /// Rows profiled.
    #[getter]
    fn rows(&self) -> u64 {
        self.inner.rows
    }

    /// Profiled columns, in the order of the data.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// How each column is read: `numeric` or `text`.
    #[getter]
    fn kinds(&self) -> Vec<(String, &'static str)> {
        self.inner
            .kinds()
            .into_iter()
            .map(|(name, kind)| (name, kind.as_str()))
            .collect()
    }

    /// The range `(column, min, max)` of each numeric column with values: what a dataset
    /// profiled against this one (`driftscan.profile(data, like=this)`) counts values outside of,
    /// for the data-quality signal's `out_of_bounds_rate`.
    #[getter]
    fn numeric_bounds(&self) -> Vec<(String, f64, f64)> {
        self.inner.numeric_bounds()
    }

    /// What was profiled.
    #[getter]
    fn source(&self) -> String {
        self.inner.source.clone()
    }

    /// Hex SHA-256 of the data's files (the key under which a detector caches its baseline).
    #[getter]
    fn content_hash(&self) -> String {
        self.inner.content_hash.clone()
    }

    /// Columns left out, with the reason.
    #[getter]
    fn excluded(&self) -> Vec<(String, String)> {
        self.inner.excluded.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Profile(source={:?}, rows={}, columns={})",
            self.inner.source,
            self.inner.rows,
            self.inner.columns.len()
        )
    }

    /// Equal when the statistics are (`statistics_bytes()`): the same rows profiled whole, in
    /// merged halves or over any number of Spark partitions compare equal, whatever their
    /// provenance (`source`, which `to_bytes()` keeps). Compared as bytes since the sample keeps
    /// missing values as NaN, which no field-by-field comparison would call equal to itself.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.extract::<PyRef<'_, PyProfile>>() else {
            return false;
        };
        let (a, b) = (&self.inner, &other.inner);
        py.detach(|| a.statistics_bytes() == b.statistics_bytes())
    }

    /// Pickling (multiprocessing, Spark) goes through the binary form.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py)?;
        Ok((from_bytes, (bytes,)))
    }
}

/// One scan's result: the document of `driftscan scan --json` and the report page.
#[pyclass(name = "_RunResult", module = "driftscan._driftscan", frozen)]
pub struct PyRunResult {
    inner: RunResult,
}

#[pymethods]
impl PyRunResult {
    /// The result document, exactly as `driftscan scan --json` prints it.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.inner)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// The verdict in one sentence, as the command's summary, the report and the alert say it.
    fn verdict(&self) -> String {
        let status = driftscan::drift::verdict::status(&self.inner);
        format!(
            "{}: {}",
            status.label(),
            driftscan::drift::verdict::sentence(&self.inner)
        )
    }

    /// Features flagged `drifted` (significant after adjustment and above the minimum effect).
    fn drifted_features(&self) -> Vec<String> {
        self.inner.drifted_features()
    }

    /// The run's report as one self-contained HTML page (as `driftscan scan --report`).
    fn report_html(&self, py: Python<'_>) -> PyResult<String> {
        let result = &self.inner;
        engine(py, "rendering the report", || {
            Ok(driftscan::report::render_run(result, &Default::default()))
        })
    }
}

/// `os.fspath(value)` as a string: a `str` or any path-like object.
fn fspath(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let os = py.import("os")?;
    let path = os.call_method1("fspath", (value,)).map_err(|_| {
        DriftscanErr::new(
            ErrorCode::InvalidInputType,
            format!(
                "expected a path (str or os.PathLike), got `{}`",
                type_name(value)
            ),
        )
        .into_py_err(py)
    })?;
    if let Ok(s) = path.cast::<PyString>() {
        return Ok(s.to_str()?.to_string());
    }
    Err(DriftscanErr::new(
        ErrorCode::InvalidInputType,
        "a path given as bytes is not supported; pass a str".to_string(),
    )
    .into_py_err(py))
}

/// `module.Class` of an object's type, with the module shortened to its package
/// (`pandas.DataFrame`, `polars.DataFrame`, `pyarrow.Table`).
fn type_name(value: &Bound<'_, PyAny>) -> String {
    let ty = value.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let package = module.split('.').next().unwrap_or_default();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
    if package.is_empty() || package == "builtins" {
        name
    } else {
        format!("{package}.{name}")
    }
}

/// One side of a scan, however the caller handed it over.
fn dataset(value: &Bound<'_, PyAny>, name: Option<String>) -> PyResult<Dataset> {
    let py = value.py();
    if let Ok(p) = value.extract::<PyRef<'_, PyProfile>>() {
        return Ok(Dataset::Profile(Box::new(p.inner.clone())));
    }
    if value.is_instance_of::<PyString>() || value.hasattr("__fspath__")? {
        return Ok(Dataset::Location(fspath(value)?));
    }
    if value.hasattr("__arrow_c_stream__")? || value.hasattr("_export_to_c")? {
        let reader = RecordBatchStreamReader::from_pyarrow_bound(value).map_err(|e| {
            DriftscanErr::new(
                ErrorCode::DataError,
                format!(
                    "reading `{}` through the Arrow C stream: {e}",
                    type_name(value)
                ),
            )
            .into_py_err(py)
        })?;
        let name = name.unwrap_or_else(|| format!("<{}>", type_name(value)));
        return Ok(Dataset::Batches {
            name,
            reader: Box::new(reader),
        });
    }
    Err(DriftscanErr::new(
        ErrorCode::InvalidInputType, format!(
            "cannot read `{}`: pass a path (file, folder, glob, .profile, az://...), a driftscan.Profile, or a table with `__arrow_c_stream__` (pandas, polars, pyarrow, DuckDB)",
            type_name(value)
        ),
    )
    .into_py_err(py))
}

fn parse_day(
    py: Python<'_>,
    field: &'static str,
    value: Option<&str>,
) -> PyResult<Option<NaiveDate>> {
    value
        .map(|v| driftscan::detector::parse_date(field, v))
        .transpose()
        .map_err(|e| DriftscanErr::from(e).into_py_err(py))
}

/// Compares `target` with `baseline` (see the package's `scan`).
#[pyfunction]
#[pyo3(signature = (baseline, target, features=None, threshold=DEFAULT_DRIFT_THRESHOLD, seed=local::DEFAULT_SCAN_SEED, min_effect=DEFAULT_MIN_EFFECT, date=None, model_name=None, model_version=1, baseline_name=None, target_name=None, types=None, predictions=None))]
#[allow(clippy::too_many_arguments)]
fn scan(
    py: Python<'_>,
    baseline: &Bound<'_, PyAny>,
    target: &Bound<'_, PyAny>,
    features: Option<Vec<String>>,
    threshold: f64,
    seed: u64,
    min_effect: f64,
    date: Option<String>,
    model_name: Option<String>,
    model_version: u32,
    baseline_name: Option<String>,
    target_name: Option<String>,
    types: Option<Vec<(String, String)>>,
    predictions: Option<Vec<String>>,
) -> PyResult<PyRunResult> {
    let declared = local::parse_declared_types(types.unwrap_or_default()).map_err(|e| {
        DriftscanErr::new(ErrorCode::InvalidArgument, e.to_string()).into_py_err(py)
    })?;
    let options = ScanRequest {
        features,
        threshold,
        min_effect,
        seed,
        outputs: predictions.unwrap_or_default(),
    }
    .validate()
    .map_err(|e| DriftscanErr::new(ErrorCode::InvalidArgument, e.to_string()).into_py_err(py))?;
    let date = parse_day(py, "date", date.as_deref())?;
    let baseline = match dataset(baseline, baseline_name)? {
        // Profiled before the target's stream is opened: two streams of one producer cannot
        // always be open at once (two DuckDB relations of one connection cannot). The scan then
        // reads the target as it would after profiling the baseline itself.
        batches @ Dataset::Batches { .. } => {
            let pinned = ProfileOptions {
                pinned_kinds: declared.clone(),
                ..ProfileOptions::default()
            };
            Dataset::Profile(Box::new(engine(py, "profiling the baseline", move || {
                Ok(local::load_dataset("baseline", batches, &pinned)?)
            })?))
        }
        other => other,
    };
    let target = dataset(target, target_name)?;
    let model_name = model_name.unwrap_or_else(|| local::ADHOC_MODEL.to_string());
    let context = local::adhoc_context(&model_name, model_version, date);
    let inner = engine(py, "scanning", move || {
        Ok(local::scan_datasets(
            baseline, target, &declared, &options, &context,
        )?)
    })?;
    Ok(PyRunResult { inner })
}

/// Profiles one dataset (see the package's `profile`). `kinds` pins how columns are read
/// (`(name, "numeric" | "text" | "categorical")`, as `Profile.kinds` gives them or a user declares
/// them); other columns are typed from the data. `bounds` (`Profile.numeric_bounds` of a
/// reference) has the values outside each range counted exactly, for data quality.
#[pyfunction]
#[pyo3(signature = (data, name=None, kinds=None, bounds=None))]
fn profile(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    name: Option<String>,
    kinds: Option<Vec<(String, String)>>,
    bounds: Option<Vec<(String, f64, f64)>>,
) -> PyResult<PyProfile> {
    let pinned_kinds = local::parse_declared_types(kinds.unwrap_or_default()).map_err(|e| {
        DriftscanErr::new(ErrorCode::InvalidArgument, e.to_string()).into_py_err(py)
    })?;
    let data = dataset(data, name)?;
    let options = ProfileOptions {
        pinned_kinds,
        reference_bounds: bounds.unwrap_or_default(),
        ..ProfileOptions::default()
    };
    let inner = engine(py, "profiling", move || {
        Ok(local::load_dataset("dataset", data, &options)?)
    })?;
    Ok(PyProfile { inner })
}

/// The `driftscan` command: runs the command line on `args` (`sys.argv`) and returns its exit
/// code.
#[pyfunction]
fn cli_main(py: Python<'_>, args: Vec<String>) -> i32 {
    keep_one_heap();
    py.detach(|| driftscan::cli::main_from(args))
}

/// The command's process is the command's alone, so it gets the binary's allocator setting (one
/// malloc arena, which keeps peak memory flat in rows; see `src/main.rs`). Only for the command:
/// a notebook's process keeps its own allocator settings.
fn keep_one_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[pymodule]
fn _driftscan(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_SCAN_SEED", local::DEFAULT_SCAN_SEED)?;
    m.add("DEFAULT_MIN_EFFECT", DEFAULT_MIN_EFFECT)?;
    m.add("DEFAULT_DRIFT_THRESHOLD", DEFAULT_DRIFT_THRESHOLD)?;
    m.add_class::<PyProfile>()?;
    m.add_class::<PyRunResult>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(profile, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(errors::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::metric_registry, m)?)?;
    detectors::register(m)?;
    performance::register(m)?;
    snapshots::register(m)?;
    files::register(m)?;
    Ok(())
}
