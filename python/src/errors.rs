//! Engine errors as exceptions of `driftscan.errors`: the exception class of each code comes from
//! the one table of codes ([`ERROR_CODES`]), which `driftscan.errors` also reads (through
//! [`error_codes`]) to raise the same class for a service's error documents. So a local store and
//! a remote Functions app raise the same exception for the same mistake.

use pyo3::prelude::*;

use driftscan::detector::ConfigError;
use driftscan::pipeline::PipelineError;
use driftscan::pipeline::codes::{ERROR_CODES, ErrorCode, OpError};
use driftscan::store::StoreError;

/// An error on its way to Python: built without the GIL, raised with it.
#[derive(Debug)]
pub(crate) struct DriftscanErr(OpError);

impl DriftscanErr {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> DriftscanErr {
        DriftscanErr(OpError::new(code, message))
    }

    /// The exception: an instance of the code's class in `driftscan.errors`.
    pub(crate) fn into_py_err(self, py: Python<'_>) -> PyErr {
        let info = self.0.code().info();
        let made = py
            .import("driftscan.errors")
            .and_then(|m| m.getattr(info.python_class))
            .and_then(|class| class.call1((self.0.message(), info.name)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            // Only when the package is broken; the message still gets through.
            Err(_) => pyo3::exceptions::PyRuntimeError::new_err(self.0.message().to_string()),
        }
    }
}

impl From<OpError> for DriftscanErr {
    fn from(e: OpError) -> Self {
        DriftscanErr(e)
    }
}

impl From<ConfigError> for DriftscanErr {
    fn from(e: ConfigError) -> Self {
        DriftscanErr(e.into())
    }
}

impl From<StoreError> for DriftscanErr {
    fn from(e: StoreError) -> Self {
        DriftscanErr(e.into())
    }
}

impl From<PipelineError> for DriftscanErr {
    fn from(e: PipelineError) -> Self {
        DriftscanErr(e.into())
    }
}

/// Every error code with its exception class, `[(code, class name)]`: `driftscan.errors` builds
/// its lookup of a service's error codes from it.
#[pyfunction]
pub(crate) fn error_codes() -> Vec<(&'static str, &'static str)> {
    ERROR_CODES
        .iter()
        .map(|info| (info.name, info.python_class))
        .collect()
}
