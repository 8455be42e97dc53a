//! Route handlers of the REST API and the timer invocations. Every handler validates the whole
//! request before it touches the store, so a rejected request changes nothing.

use std::sync::{Arc, OnceLock};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::host::{InvocationRequest, InvocationResponse};
use super::{ApiError, AppState};
use crate::detector::TIMER_FUNCTION_PREFIX;
use crate::pipeline::detectors::{HISTORY_KEPT, PutMode, Scheduled, parse_json, timer_detector};
use crate::pipeline::{Detectors, ErrorCode, OpError, ServiceOutcome};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(ready))
        .route("/", web::head().to(ready))
        .service(
            web::resource("/api/detectors")
                .route(web::get().to(list_detectors))
                .route(web::post().to(create_detector)),
        )
        .service(
            web::resource("/api/detectors/{name}")
                .route(web::get().to(get_detector))
                .route(web::put().to(put_detector))
                .route(web::delete().to(delete_detector)),
        )
        .route("/api/detectors/{name}/enable", web::post().to(enable))
        .route("/api/detectors/{name}/disable", web::post().to(disable))
        .route("/api/detectors/{name}/run", web::post().to(run))
        .route("/api/detectors/{name}/backfill", web::post().to(backfill))
        .route("/api/detectors/{name}/output", web::get().to(output))
        // The HTML page of `crate::report`, rendered from the stored results on request.
        .route("/api/detectors/{name}/report", web::get().to(report))
        // Prometheus' scrape, behind the API key like every route but the readiness probe.
        .route("/metrics", web::get().to(metrics))
        // The same behind the Functions host, which forwards only `/api/...`.
        .route("/api/metrics", web::get().to(metrics))
        .route("/{function}", web::post().to(timer));
}

pub(super) async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::not_found(format!("no route for {} `{}`", req.method(), req.path())).error_response()
}

/// The host's readiness probe: any answer means ready. It names no path or container: anyone who
/// can reach the port may call it.
async fn ready() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ready", "version": env!("CARGO_PKG_VERSION")}))
}

/// The latest run of every detector and service, and this process's run counts and durations
/// ([`crate::sinks::prometheus`]).
async fn metrics() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(crate::sinks::prometheus::CONTENT_TYPE)
        .body(crate::sinks::prometheus::render())
}

fn detectors(state: &AppState) -> Detectors {
    Detectors::new(state.store.clone())
}

/// A query string of a GET route, parsed into the operation's request.
fn query<T: for<'de> Deserialize<'de>>(req: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| OpError::new(ErrorCode::InvalidQuery, format!("query string: {e}")).into())
}

async fn list_detectors(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let detectors = detectors(&state).list().await?;
    Ok(HttpResponse::Ok().json(json!({ "detectors": detectors })))
}

async fn create_detector(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let detector = detectors(&state).create(&body).await?;
    Ok(HttpResponse::Created().json(&detector))
}

async fn get_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(detectors(&state).get(&name).await?))
}

async fn put_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (detector, created) = detectors(&state)
        .put(&name, &body, PutMode::CreateOrReplace)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(&detector))
}

async fn delete_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    detectors(&state).delete(&name).await?;
    Ok(HttpResponse::Ok().json(json!({"deleted": name.as_str(), "note": HISTORY_KEPT})))
}

async fn enable(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(detectors(&state).set_enabled(&name, true).await?))
}

async fn disable(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(detectors(&state).set_enabled(&name, false).await?))
}

async fn run(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request = parse_json("request body", &body)?;
    Ok(HttpResponse::Ok().json(detectors(&state).run(&name, request).await?))
}

async fn backfill(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request = parse_json("request body", &body)?;
    let answer = detectors(&state)
        .backfill(&name, request, |_, _, _| {})
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Requests that read many stored results (`output`, `report`) answered at once; later ones
/// wait for a slot. Each holds up to a page of results (a 16 MB output page, a report's year of
/// summaries) while it is read and sent, and reading is bound by the cores, so more at once would
/// multiply memory without answering sooner: one per core, at least two.
fn heavy_read_slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            Arc::new(Semaphore::new(cores.max(2)))
        })
        .clone()
}

/// A slot of [`heavy_read_slots`], held until the answer is sent.
async fn heavy_read_slot() -> OwnedSemaphorePermit {
    heavy_read_slots()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed")
}

/// One page of the `get_output` document, sent piece by piece: every stored result as it was
/// read, without a serialized copy of the whole page.
async fn output(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query(&req)?;
    let slot = heavy_read_slot().await;
    let document = detectors(&state).output(&name, request).await?;
    let chunks = document.into_json_chunks().into_iter().map(move |chunk| {
        let _held_until_sent = &slot;
        Ok::<_, std::convert::Infallible>(chunk)
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(futures::stream::iter(chunks)))
}

/// The detector's history between `start` and `end` (same defaults as `output`) as one
/// self-contained HTML page; `run=YYYY-MM-DD` picks the date shown feature by feature, `open=N`
/// how many per-feature sections are open (default 5).
async fn report(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query(&req)?;
    let _slot = heavy_read_slot().await;
    let html = detectors(&state).report(&name, request).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn envelope(status: StatusCode, logs: Vec<String>) -> HttpResponse {
    HttpResponse::build(status).json(InvocationResponse {
        outputs: Default::default(),
        logs,
        return_value: None,
    })
}

/// A timer invocation: `POST /drift-{detector}` with the host's envelope.
async fn timer(
    state: web::Data<AppState>,
    function: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Some(name) = timer_detector(&function) else {
        return envelope(
            StatusCode::NOT_FOUND,
            vec![format!(
                "no function `{function}`: timer functions are named `{TIMER_FUNCTION_PREFIX}<detector>`"
            )],
        );
    };
    let invocation: InvocationRequest =
        match serde_json::from_slice(if body.is_empty() { b"{}" } else { &body }) {
            Ok(i) => i,
            Err(e) => {
                return envelope(
                    StatusCode::BAD_REQUEST,
                    vec![format!("invocation payload of `{function}`: {e}")],
                );
            }
        };
    let past_due = invocation.timer().unwrap_or_default().is_past_due;
    let due = invocation.due_time(Utc::now());
    match detectors(&state).scheduled(name, due).await {
        Ok(Scheduled::Missing) => envelope(
            StatusCode::OK,
            vec![format!(
                "detector `{name}` does not exist; nothing to do (regenerate the functions to remove this timer)"
            )],
        ),
        Ok(Scheduled::Disabled) => envelope(
            StatusCode::OK,
            vec![format!("detector `{name}` is disabled; timer run skipped")],
        ),
        Ok(Scheduled::Ran { window, runs }) => {
            let mut logs = vec![format!(
                "detector `{name}`: scoring {} to {} (due {}{})",
                window.start,
                window.end,
                due.to_rfc3339(),
                if past_due {
                    ", past due: catching up"
                } else {
                    ""
                }
            )];
            logs.extend(runs.iter().map(ServiceOutcome::to_string));
            envelope(StatusCode::OK, logs)
        }
        Err(e) => {
            let status = ApiError::from(e.clone()).status_code();
            envelope(status, vec![format!("function `{function}`: {e}")])
        }
    }
}
