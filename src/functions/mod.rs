//! The Azure Functions custom handler: an actix-web app serving the host's payloads and the REST API.
//!
//! In: HTTP requests, either forwarded as-is by the Functions host (`enableForwardingHttpRequest`,
//! so the REST API is the same locally and in Azure) or the host's invocation envelopes for timer
//! functions (`POST /{FunctionName}`). Out: JSON. The boundary is here because this is the only
//! part that knows about HTTP and the host; runs and history go through [`crate::pipeline`].
//!
//! Routes (all JSON; errors are `{"error": {"status", "code", "message"}}` with a 4xx status for a
//! bad request, and a rejected request changes nothing in the store):
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/` | readiness probe of the host |
//! | POST, GET | `/api/detectors` | create; list |
//! | GET, PUT, DELETE | `/api/detectors/{name}` | read; create or replace; delete |
//! | POST | `/api/detectors/{name}/enable`, `/disable` | switch the timer on or off |
//! | POST | `/api/detectors/{name}/run` | ad-hoc run: `target_date`, optional `services`, `feature_list`, `drift_threshold` |
//! | POST | `/api/detectors/{name}/backfill` | `start_date`, `end_date`, at most 30 cycles |
//! | GET | `/api/detectors/{name}/output?start=&end=` | results and metrics, Azure ML `get_output` shape |
//! | GET | `/api/detectors/{name}/report` | the history as one HTML page ([`crate::report`]) |
//! | POST | `/drift-{name}` | timer invocation for detector `{name}` |

mod api;
pub mod host;
pub mod layout;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, ResponseError, web};
use serde_json::json;

use crate::detector::ConfigError;
use crate::store::{Store, StoreError};

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Where detectors and results live.
    pub store: Arc<dyn Store>,
}

impl AppState {
    /// State over a store.
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState { store }
    }
}

/// The actix app with every route; used by `driftscan serve` and by tests (`actix_web::test`
/// and real sockets alike).
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        // Oversized or unreadable bodies answer in the same JSON shape as every other error.
        .app_data(web::PayloadConfig::new(1 << 20))
        .configure(api::routes)
        .default_service(web::to(api::not_found))
}

/// An API error: status, a stable code and a message naming the field and value.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with a status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({
            "error": {"status": self.status.as_u16(), "code": self.code, "message": self.message}
        }))
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        ApiError::bad_request(e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidKey { .. } => ApiError::bad_request(e.code(), e.to_string()),
            StoreError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, e.code(), e.to_string())
            }
            other => {
                tracing::error!(message = "Store error.", error = %crate::pipeline::error_chain(&other));
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    other.code(),
                    crate::pipeline::error_chain(&other),
                )
            }
        }
    }
}
