//! Error codes: the one table that says what each code becomes on every surface.
//!
//! An operation fails with an [`OpError`] whose [`code`](OpError::code) is the REST API's error
//! code. The adapters translate it with [`ErrorCode::info`] alone: the HTTP status of the REST
//! answer, the exit code of the command line, the exception class of the Python package
//! (`driftscan.errors`, which builds its own code lookup from [`ERROR_CODES`] too). A test walks
//! every code through every adapter, so a new code cannot be forgotten in one of them.

use crate::detector::ConfigError;
use crate::store::StoreError;

use super::PipelineError;

/// A stable error code (the `code` of the REST API's error documents and of Python exceptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A body or definition that is not JSON, or not the JSON expected.
    InvalidJson,
    /// A query string that does not parse.
    InvalidQuery,
    /// A detector field that breaks a rule.
    InvalidDetector,
    /// A detector name that breaks the name rule.
    InvalidName,
    /// A date that does not parse, is in the future or comes before another.
    InvalidDate,
    /// A baseline or snapshot location outside the store and the data roots.
    InvalidLocation,
    /// An argument of a scan with a value out of range (threshold, sample size, ...).
    InvalidArgument,
    /// An argument of a type the engine cannot read (Python only).
    InvalidInputType,
    /// A backfill of more cycles than allowed.
    BackfillTooLong,
    /// A report over more days than allowed.
    RangeTooLong,
    /// No detector of that name.
    NotFound,
    /// A detector of that name exists already.
    AlreadyExists,
    /// The stored detector changed meanwhile.
    Conflict,
    /// The request lacks the service's API key.
    Unauthorized,
    /// The request's body did not arrive within the server's deadline.
    RequestTimeout,
    /// The store could not be read or written.
    StoreError,
    /// A dataset or profile that cannot be read or compared.
    DataError,
    /// A bug: the engine panicked. The process keeps running.
    InternalError,
}

/// What one code becomes on each surface.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The code.
    pub code: ErrorCode,
    /// Its text in REST error documents and on Python exceptions.
    pub name: &'static str,
    /// HTTP status of the REST answer.
    pub http_status: u16,
    /// Exit code of the command line.
    pub exit_code: i32,
    /// Exception class in `driftscan.errors`.
    pub python_class: &'static str,
}

/// Exit code of a request or data that is wrong (the command line's long-standing `2`).
pub const EXIT_INVALID: i32 = 2;

const fn row(
    code: ErrorCode,
    name: &'static str,
    http_status: u16,
    exit_code: i32,
    python_class: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        name,
        http_status,
        exit_code,
        python_class,
    }
}

/// Every code, in the order of [`ErrorCode`]'s variants. Exit codes: 2 the request or its data is
/// wrong, 3 no such detector, 4 it exists or changed meanwhile, 5 the environment (store, key)
/// failed, 70 a bug (`EX_SOFTWARE`).
pub const ERROR_CODES: &[CodeInfo] = &[
    row(
        ErrorCode::InvalidJson,
        "invalid_json",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::InvalidQuery,
        "invalid_query",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::InvalidDetector,
        "invalid_detector",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::InvalidName,
        "invalid_name",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::InvalidDate,
        "invalid_date",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::InvalidLocation,
        "invalid_location",
        400,
        2,
        "InvalidLocationError",
    ),
    row(
        ErrorCode::InvalidArgument,
        "invalid_argument",
        400,
        2,
        "InvalidArgumentError",
    ),
    row(
        ErrorCode::InvalidInputType,
        "invalid_input_type",
        400,
        2,
        "InputTypeError",
    ),
    row(
        ErrorCode::BackfillTooLong,
        "backfill_too_long",
        400,
        2,
        "DetectorError",
    ),
    row(
        ErrorCode::RangeTooLong,
        "range_too_long",
        400,
        2,
        "InvalidArgumentError",
    ),
    row(
        ErrorCode::NotFound,
        "not_found",
        404,
        3,
        "DetectorNotFoundError",
    ),
    row(
        ErrorCode::AlreadyExists,
        "already_exists",
        409,
        4,
        "DetectorExistsError",
    ),
    row(ErrorCode::Conflict, "conflict", 409, 4, "StoreError"),
    row(
        ErrorCode::Unauthorized,
        "unauthorized",
        401,
        5,
        "UnauthorizedError",
    ),
    row(
        ErrorCode::RequestTimeout,
        "request_timeout",
        408,
        2,
        "DetectorError",
    ),
    row(ErrorCode::StoreError, "store_error", 500, 5, "StoreError"),
    row(ErrorCode::DataError, "data_error", 422, 2, "DataError"),
    row(
        ErrorCode::InternalError,
        "internal_error",
        500,
        70,
        "InternalError",
    ),
];

impl ErrorCode {
    /// Its row of [`ERROR_CODES`].
    pub fn info(self) -> &'static CodeInfo {
        &ERROR_CODES[self as usize]
    }

    /// Its text, e.g. `invalid_location`.
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The code of a text, if it is one.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        ERROR_CODES.iter().find(|i| i.name == name).map(|i| i.code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operation was refused or failed: a code and a message that names the field and value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct OpError {
    code: ErrorCode,
    message: String,
}

impl OpError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> OpError {
        OpError {
            code,
            message: message.into(),
        }
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message (the whole cause chain on one line).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// No detector `name`.
    pub fn not_found(name: &str) -> OpError {
        OpError::new(
            ErrorCode::NotFound,
            format!("detector `{name}` does not exist"),
        )
    }

    /// A panic caught at an adapter's boundary, with what was being done.
    pub fn panicked(what: &str, payload: &(dyn std::any::Any + Send)) -> OpError {
        OpError::new(
            ErrorCode::InternalError,
            format!(
                "internal error while {what}: {}",
                crate::base::text::panic_message(payload)
            ),
        )
    }
}

impl From<ConfigError> for OpError {
    fn from(e: ConfigError) -> Self {
        let code = match e {
            ConfigError::Json(_) => ErrorCode::InvalidJson,
            ConfigError::BackfillTooLong { .. } => ErrorCode::BackfillTooLong,
            ConfigError::Date { .. } | ConfigError::DateOrder { .. } => ErrorCode::InvalidDate,
            ConfigError::Location { .. } => ErrorCode::InvalidLocation,
            _ => ErrorCode::InvalidDetector,
        };
        OpError::new(code, e.to_string())
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::InvalidKey { .. } => ErrorCode::InvalidName,
            StoreError::OutsideRoots { .. } => ErrorCode::InvalidLocation,
            StoreError::Conflict { .. } => ErrorCode::Conflict,
            _ => ErrorCode::StoreError,
        };
        OpError::new(code, super::error_chain(&e))
    }
}

impl From<PipelineError> for OpError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Store(e) => e.into(),
            PipelineError::Config(e) => e.into(),
            PipelineError::Panicked(_) => OpError::new(ErrorCode::InternalError, e.to_string()),
            other => OpError::new(ErrorCode::DataError, super::error_chain(&other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_variant_order_with_unique_names() {
        for (i, info) in ERROR_CODES.iter().enumerate() {
            assert_eq!(info.code as usize, i, "{}", info.name);
            assert_eq!(ErrorCode::parse(info.name), Some(info.code));
            assert!((400..600).contains(&info.http_status), "{}", info.name);
            assert!(info.exit_code >= EXIT_INVALID, "{}", info.name);
        }
        let mut names: Vec<_> = ERROR_CODES.iter().map(|i| i.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ERROR_CODES.len());
    }

    #[test]
    fn every_python_class_exists_in_the_package() {
        let errors_py = include_str!("../../python/driftscan/errors.py");
        for info in ERROR_CODES {
            assert!(
                errors_py.contains(&format!("class {}(", info.python_class)),
                "`{}` maps to `{}`, which python/driftscan/errors.py does not define",
                info.name,
                info.python_class
            );
        }
    }
}
