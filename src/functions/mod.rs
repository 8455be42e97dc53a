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

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, ResponseError, web};
use serde_json::json;

use crate::pipeline::{ErrorCode, OpError};
use crate::store::Store;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Where detectors and results live.
    pub store: Arc<dyn Store>,
    /// The key every `/api/...` and timer request must carry, when set.
    pub api_key: Option<ApiKey>,
}

impl AppState {
    /// State over a store, open to every caller (the Functions host checks function keys itself).
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            api_key: None,
        }
    }

    /// The same state, requiring `key` from every caller but the readiness probe.
    pub fn with_api_key(mut self, key: ApiKey) -> AppState {
        self.api_key = Some(key);
        self
    }
}

/// The key callers present as `x-functions-key: <key>` or `Authorization: Bearer <key>`. Only
/// its SHA-256 is kept, and the comparison takes the same time whatever the presented key is.
#[derive(Clone)]
pub struct ApiKey([u8; 32]);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// Shortest key `serve` accepts: a guessable key is no key.
pub const MIN_API_KEY_LEN: usize = 16;

impl ApiKey {
    /// A key from its text; at least [`MIN_API_KEY_LEN`] characters (characters, not bytes:
    /// four emoji are 16 bytes but four guesses' worth of key).
    pub fn new(key: &str) -> Result<ApiKey, String> {
        if key.trim().chars().count() < MIN_API_KEY_LEN {
            return Err(format!(
                "the API key must have at least {MIN_API_KEY_LEN} characters"
            ));
        }
        Ok(ApiKey(crate::base::hash::sha256(key.trim().as_bytes())))
    }

    fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        let digest = crate::base::hash::sha256(presented.trim().as_bytes());
        bool::from(self.0.ct_eq(&digest))
    }

    /// Whether a request carries this key.
    fn admits(&self, req: &ServiceRequest) -> bool {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let bearer = header("authorization").and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
        [header("x-functions-key"), bearer]
            .into_iter()
            .flatten()
            .any(|k| self.matches(k))
    }
}

/// How long a client has to send a request's head (method, path, headers) once connected; a
/// client that takes longer is answered `408` and disconnected by the server (actix's own rule).
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request's body may take to arrive, counted from when the request reaches the app.
/// Bodies are at most 1 MB, which any real client sends in well under this; a client that
/// trickles its body is answered `408 request_timeout` (and disconnected) instead of holding a
/// connection, a task and a buffer for as long as it likes.
pub const REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an idle kept-alive connection stays open between requests.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// How long the server waits for a client to close a connection it is shutting down.
pub const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A request body that ends with an error once `deadline` passes, and says so in `timed_out`.
fn body_with_deadline(
    payload: actix_web::dev::Payload,
    deadline: tokio::time::Instant,
    timed_out: Rc<Cell<bool>>,
) -> actix_web::dev::Payload {
    use futures::StreamExt;
    let stream = futures::stream::unfold(Some(payload), move |state| {
        let timed_out = timed_out.clone();
        async move {
            let mut payload = state?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(payload))),
                Ok(None) => None,
                Err(_) => {
                    timed_out.set(true);
                    let late = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    );
                    Some((Err(PayloadError::Io(late)), None))
                }
            }
        }
    });
    actix_web::dev::Payload::Stream {
        payload: Box::pin(stream),
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
    let key = state.api_key.clone();
    App::new()
        .app_data(web::Data::new(state))
        // Oversized or unreadable bodies answer in the same JSON shape as every other error.
        .app_data(web::PayloadConfig::new(1 << 20))
        .configure(api::routes)
        .default_service(web::to(api::not_found))
        // Runs last: a request without the key is answered before any handler reads anything.
        // Runs first on the way in: a request without the key is answered before any handler
        // reads anything, and a panic below becomes a 500.
        .wrap_fn(move |req, srv| guard(key.as_ref(), req, srv))
}

/// Every request passes here: refused with 401 when a key is required and missing (except the
/// readiness probe `/`), and answered with 500 if anything below panics, instead of a dropped
/// connection. An error returned here is answered with its `error_response`: the same JSON shape
/// as every other error.
pub fn guard<S, B>(
    key: Option<&ApiKey>,
    req: ServiceRequest,
    srv: &S,
) -> futures::future::LocalBoxFuture<
    'static,
    Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error>,
>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
{
    use actix_web::HttpMessage;
    use futures::FutureExt;
    let mut req = req;
    let timed_out = Rc::new(Cell::new(false));
    let deadline = tokio::time::Instant::now() + REQUEST_BODY_TIMEOUT;
    let payload = body_with_deadline(req.take_payload(), deadline, timed_out.clone());
    req.set_payload(payload);
    if key.is_some_and(|k| req.path() != "/" && !k.admits(&req)) {
        let refused = ApiError(OpError::new(
            ErrorCode::Unauthorized,
            "this server requires its API key: send `x-functions-key: <key>` or `Authorization: Bearer <key>`",
        ));
        let resp = req
            .into_response(refused.error_response())
            .map_into_right_body();
        return async move { Ok(resp) }.boxed_local();
    }
    let call = srv.call(req);
    async move {
        let answered = match std::panic::AssertUnwindSafe(call).catch_unwind().await {
            Ok(res) => res.map(ServiceResponse::map_into_left_body),
            Err(panic) => Err(ApiError(OpError::panicked("answering the request", &*panic)).into()),
        };
        if timed_out.get() {
            // The handler never ran: its body extractor failed first.
            return Err(ApiError(OpError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "the request body did not arrive within {} s",
                    REQUEST_BODY_TIMEOUT.as_secs()
                ),
            ))
            .into());
        }
        answered
    }
    .boxed_local()
}

/// An API error: an [`OpError`] answered as `{"error": {"status", "code", "message"}}`, with the
/// status its code has in [`crate::pipeline::codes::ERROR_CODES`].
#[derive(Debug)]
pub struct ApiError(OpError);

impl ApiError {
    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError(OpError::new(ErrorCode::NotFound, message))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code().info().http_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(message = "Request failed.", code = %self.0.code(), error = %self.0);
        }
        HttpResponse::build(status).json(json!({
            "error": {"status": status.as_u16(), "code": self.0.code().as_str(), "message": self.0.message()}
        }))
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        ApiError(e)
    }
}

#[cfg(test)]
mod guard_tests {
    use super::*;
    use actix_web::test;

    #[actix_web::test]
    async fn a_panicking_handler_answers_500_with_a_json_error() {
        let app = test::init_service(App::new().wrap_fn(|req, srv| guard(None, req, srv)).route(
            "/boom",
            web::get().to(|| async { panic!("engine exploded") as HttpResponse }),
        ))
        .await;
        // The server answers an error returned by the middleware with its `error_response`.
        let err = test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request())
            .await
            .expect_err("the panic becomes an error");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("engine exploded")
        );
    }

    #[actix_web::test]
    async fn a_required_key_is_checked_in_both_headers() {
        let key = ApiKey::new("0123456789abcdef-secret").unwrap();
        let app = test::init_service(
            App::new()
                .wrap_fn(move |req, srv| guard(Some(&key), req, srv))
                .route("/", web::get().to(|| async { HttpResponse::Ok().finish() }))
                .route(
                    "/api/x",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                ),
        )
        .await;
        for (header, expected) in [
            (None, StatusCode::UNAUTHORIZED),
            (Some(("x-functions-key", "nope")), StatusCode::UNAUTHORIZED),
            (
                Some(("x-functions-key", "0123456789abcdef-secret")),
                StatusCode::OK,
            ),
            (
                Some(("authorization", "Bearer 0123456789abcdef-secret")),
                StatusCode::OK,
            ),
        ] {
            let mut req = test::TestRequest::get().uri("/api/x");
            if let Some(h) = header {
                req = req.insert_header(h);
            }
            let resp = test::call_service(&app, req.to_request()).await;
            assert_eq!(resp.status(), expected, "{header:?}");
        }
        let probe = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        assert_eq!(probe.status(), StatusCode::OK);
        assert!(ApiKey::new("short").is_err());
    }

    #[actix_web::test]
    async fn the_key_length_counts_characters_not_bytes() {
        let four_emoji = "\u{1F511}\u{1F512}\u{1F513}\u{1F510}";
        assert_eq!(four_emoji.len(), MIN_API_KEY_LEN);
        assert!(ApiKey::new(four_emoji).is_err());
        let sixteen_accented = "é".repeat(MIN_API_KEY_LEN);
        assert!(ApiKey::new(&sixteen_accented).is_ok());
        assert!(ApiKey::new(&"é".repeat(MIN_API_KEY_LEN - 1)).is_err());
    }
}
