//! Engine errors as exceptions of `driftscan.errors`, each with the engine's message (the whole
//! cause chain on one line) and the REST API's error code, so a local store and a remote
//! Functions app raise the same exception for the same mistake.

use pyo3::prelude::*;

use driftscan::detector::ConfigError;
use driftscan::pipeline::{PipelineError, error_chain};
use driftscan::store::StoreError;

/// Which exception class of `driftscan.errors` an error becomes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A dataset or profile that cannot be read or compared: `DataError`.
    Data,
    /// An argument of the wrong type: `InputTypeError`.
    InputType,
    /// An argument with a bad value: `InvalidArgumentError`.
    Value,
    /// A bad detector field or date: `DetectorError`.
    Detector,
    /// No such detector: `DetectorNotFoundError`.
    NotFound,
    /// The detector exists already: `DetectorExistsError`.
    Exists,
    /// The store could not be read or written: `StoreError`.
    Store,
    /// A panic in the engine: `InternalError`.
    Internal,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::Data => "DataError",
            Kind::InputType => "InputTypeError",
            Kind::Value => "InvalidArgumentError",
            Kind::Detector => "DetectorError",
            Kind::NotFound => "DetectorNotFoundError",
            Kind::Exists => "DetectorExistsError",
            Kind::Store => "StoreError",
            Kind::Internal => "InternalError",
        }
    }
}

/// An error on its way to Python: built without the GIL, raised with it.
#[derive(Debug)]
pub(crate) struct DriftscanErr {
    kind: Kind,
    code: &'static str,
    message: String,
}

impl DriftscanErr {
    pub(crate) fn new(kind: Kind, code: &'static str, message: String) -> DriftscanErr {
        DriftscanErr {
            kind,
            code,
            message,
        }
    }

    /// The exception: an instance of the kind's class in `driftscan.errors`.
    pub(crate) fn into_py_err(self, py: Python<'_>) -> PyErr {
        let made = py
            .import("driftscan.errors")
            .and_then(|m| m.getattr(self.kind.class_name()))
            .and_then(|class| class.call1((self.message.as_str(), self.code)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            // Only when the package is broken; the message still gets through.
            Err(_) => pyo3::exceptions::PyRuntimeError::new_err(self.message),
        }
    }
}

impl From<ConfigError> for DriftscanErr {
    fn from(e: ConfigError) -> Self {
        DriftscanErr::new(Kind::Detector, e.code(), e.to_string())
    }
}

impl From<StoreError> for DriftscanErr {
    fn from(e: StoreError) -> Self {
        let kind = match e {
            StoreError::InvalidKey { .. } => Kind::Detector,
            _ => Kind::Store,
        };
        DriftscanErr::new(kind, e.code(), error_chain(&e))
    }
}

impl From<PipelineError> for DriftscanErr {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Store(e) => e.into(),
            PipelineError::Config(e) => e.into(),
            PipelineError::Panicked(_) => {
                DriftscanErr::new(Kind::Internal, "internal", error_chain(&e))
            }
            other => DriftscanErr::new(Kind::Data, "data_error", error_chain(&other)),
        }
    }
}
