//! Route handlers of the REST API and the timer invocations. Every handler validates the whole
//! request before it touches the store, so a rejected request changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::host::{InvocationRequest, InvocationResponse};
use super::{ApiError, AppState};
use crate::detector::{Detector, TIMER_FUNCTION_PREFIX, parse_date, validate_name};
use crate::drift::result::{RunStatus, RunType};
use crate::pipeline::history::{MAX_OUTPUT_DAYS, MAX_REPORT_DAYS};
use crate::pipeline::{self, ServiceOutcome, error_chain};
use crate::store::{self, PutCondition, StoreError};

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
        .route("/{function}", web::post().to(timer));
}

pub(super) async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::not_found(format!("no route for {} `{}`", req.method(), req.path())).error_response()
}

/// The host's readiness probe: any answer means ready. It names no path or container: anyone who
/// can reach the port may call it.
async fn ready() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ready", "version": env!("CARGO_PKG_VERSION")}))
}

fn checked_name(name: &str) -> Result<(), ApiError> {
    validate_name(name).map_err(|e| ApiError::bad_request("invalid_name", e.to_string()))
}

async fn load(state: &AppState, name: &str) -> Result<Detector, ApiError> {
    checked_name(name)?;
    store::get_detector(&*state.store, name)
        .await?
        .map(|(d, _)| d)
        .ok_or_else(|| ApiError::not_found(format!("detector `{name}` does not exist")))
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the request body is empty; a JSON object is expected",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("request body: {e}")))
}

fn not_in_future(field: &'static str, date: NaiveDate) -> Result<(), ApiError> {
    let today = Utc::now().date_naive();
    if date > today {
        return Err(ApiError::bad_request(
            "invalid_date",
            format!("field `{field}`: {date} is in the future (today is {today} UTC)"),
        ));
    }
    Ok(())
}

async fn list_detectors(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let detectors = store::list_detectors(&*state.store).await?;
    Ok(HttpResponse::Ok().json(json!({ "detectors": detectors })))
}

async fn create_detector(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let _: Value = parse_body(&body)?;
    let detector = Detector::from_json(&body)?;
    pipeline::check_locations(&detector)?;
    match store::put_detector(&*state.store, &detector, PutCondition::Create).await {
        Ok(_) => Ok(HttpResponse::Created().json(&detector)),
        Err(StoreError::Conflict { .. }) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_exists",
            format!(
                "detector `{}` already exists; PUT /api/detectors/{} replaces it",
                detector.name, detector.name
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn get_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load(&state, &name).await?))
}

async fn put_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    checked_name(&name)?;
    let mut value: Value = parse_body(&body)?;
    let Some(obj) = value.as_object_mut() else {
        return Err(ApiError::bad_request(
            "invalid_json",
            "request body: a JSON object is expected",
        ));
    };
    match obj.get("name") {
        None => {
            obj.insert("name".into(), Value::String(name.to_string()));
        }
        Some(Value::String(n)) if n == name.as_str() => {}
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_detector",
                format!(
                    "field `name`: `{}` differs from the detector in the URL, `{name}`",
                    other.as_str().unwrap_or(&other.to_string())
                ),
            ));
        }
    }
    let detector = Detector::from_json(value.to_string().as_bytes())?;
    pipeline::check_locations(&detector)?;
    for _ in 0..10 {
        let existing = store::get_detector(&*state.store, &name).await?;
        let (cond, status) = match existing {
            Some((_, v)) => (PutCondition::Match(v), StatusCode::OK),
            None => (PutCondition::Create, StatusCode::CREATED),
        };
        match store::put_detector(&*state.store, &detector, cond).await {
            Ok(_) => return Ok(HttpResponse::build(status).json(&detector)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("detector `{name}` kept changing; retry"),
    ))
}

async fn delete_detector(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    checked_name(&name)?;
    let key = store::keys::detector(&name)?;
    if state.store.delete(&key).await? {
        Ok(HttpResponse::Ok().json(json!({"deleted": name.as_str(),
            "note": "run history under runs/ is kept"})))
    } else {
        Err(ApiError::not_found(format!(
            "detector `{name}` does not exist"
        )))
    }
}

async fn set_enabled(
    state: &AppState,
    name: &str,
    enabled: bool,
) -> Result<HttpResponse, ApiError> {
    checked_name(name)?;
    match store::update_detector(&*state.store, name, |d| d.with_enabled(enabled)).await? {
        Some(d) => Ok(HttpResponse::Ok().json(d)),
        None => Err(ApiError::not_found(format!(
            "detector `{name}` does not exist"
        ))),
    }
}

async fn enable(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_enabled(&state, &name, true).await
}

async fn disable(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_enabled(&state, &name, false).await
}

/// Body of `POST /api/detectors/{name}/run` (Azure ML's `DataDriftDetector.run`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    target_date: String,
    #[serde(default)]
    services: Option<Vec<String>>,
    #[serde(default)]
    feature_list: Option<Vec<String>>,
    #[serde(default)]
    drift_threshold: Option<f64>,
}

async fn run(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    checked_name(&name)?;
    let req: RunRequest = parse_body(&body)?;
    let date = parse_date("target_date", &req.target_date)?;
    not_in_future("target_date", date)?;
    let detector = load(&state, &name).await?;
    let detector = detector.with_overrides(req.services, req.feature_list, req.drift_threshold)?;
    let window = detector.frequency.window_containing(date);
    let runs = pipeline::run_window(&state.store, &detector, window, RunType::Adhoc).await?;
    Ok(HttpResponse::Ok().json(json!({"detector": detector.name, "window": window, "runs": runs})))
}

/// Body of `POST /api/detectors/{name}/backfill` (Azure ML's `DataDriftDetector.backfill`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackfillRequest {
    start_date: String,
    end_date: String,
}

async fn backfill(
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    checked_name(&name)?;
    let req: BackfillRequest = parse_body(&body)?;
    let start = parse_date("start_date", &req.start_date)?;
    let end = parse_date("end_date", &req.end_date)?;
    not_in_future("end_date", end)?;
    let detector = load(&state, &name).await?;
    let windows = detector.frequency.backfill_windows(start, end)?;
    let mut runs: Vec<ServiceOutcome> = Vec::new();
    for w in &windows {
        runs.extend(pipeline::run_window(&state.store, &detector, *w, RunType::BackFill).await?);
    }
    Ok(HttpResponse::Ok()
        .json(json!({"detector": detector.name, "cycles": windows.len(), "runs": runs})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputQuery {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

/// The window of `get_output`: `end` defaults to today, `start` to ten cycles before `end`.
fn output_range(detector: &Detector, q: &OutputQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let end = q.end.as_deref().map(|s| parse_date("end", s)).transpose()?;
    let start = q
        .start
        .as_deref()
        .map(|s| parse_date("start", s))
        .transpose()?;
    Ok(pipeline::history::output_range(detector, start, end)?)
}

async fn output(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    checked_name(&name)?;
    let q = web::Query::<OutputQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request("invalid_query", format!("query string: {e}")))?;
    let detector = load(&state, &name).await?;
    let (start, end) = output_range(&detector, &q)?;
    let page_end = start
        .checked_add_days(Days::new(MAX_OUTPUT_DAYS - 1))
        .unwrap_or(end)
        .min(end);
    let mut doc =
        pipeline::history::output_document(&*state.store, &detector, start, page_end).await?;
    if page_end < end {
        doc.end = end;
        doc.page_end = Some(page_end);
        doc.next_start = page_end.succ_opt();
    }
    Ok(HttpResponse::Ok().json(doc))
}

/// The detector's history between `start` and `end` (same defaults as `output`) as one
/// self-contained HTML page; `run=YYYY-MM-DD` picks the date shown feature by feature, `open=N`
/// how many per-feature sections are open (default 5).
async fn report(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ReportQuery {
        #[serde(default)]
        start: Option<String>,
        #[serde(default)]
        end: Option<String>,
        #[serde(default)]
        run: Option<String>,
        #[serde(default)]
        open: Option<usize>,
    }
    checked_name(&name)?;
    let q = web::Query::<ReportQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request("invalid_query", format!("query string: {e}")))?;
    let run = q.run.as_deref().map(|r| parse_date("run", r)).transpose()?;
    let detector = load(&state, &name).await?;
    let range = OutputQuery {
        start: q.start.clone(),
        end: q.end.clone(),
    };
    let (start, end) = output_range(&detector, &range)?;
    let days = (end - start).num_days() + 1;
    if days > MAX_REPORT_DAYS as i64 {
        return Err(ApiError::bad_request(
            "range_too_long",
            format!(
                "the report covers at most {MAX_REPORT_DAYS} days; {start} to {end} is {days} days"
            ),
        ));
    }
    let open = q
        .open
        .unwrap_or(crate::report::ReportOptions::default().open_features);
    let html =
        pipeline::history::history_page(&*state.store, &detector, start, end, run, open).await?;
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
    let Some(name) = function.strip_prefix(TIMER_FUNCTION_PREFIX) else {
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
    if let Err(e) = validate_name(name) {
        return envelope(
            StatusCode::BAD_REQUEST,
            vec![format!("function `{function}`: {e}")],
        );
    }
    let detector = match store::get_detector(&*state.store, name).await {
        Ok(Some((d, _))) => d,
        Ok(None) => {
            return envelope(
                StatusCode::OK,
                vec![format!(
                    "detector `{name}` does not exist; nothing to do (regenerate the functions to remove this timer)"
                )],
            );
        }
        Err(e) => {
            return envelope(StatusCode::INTERNAL_SERVER_ERROR, vec![error_chain(&e)]);
        }
    };
    if !detector.enabled {
        return envelope(
            StatusCode::OK,
            vec![format!("detector `{name}` is disabled; timer run skipped")],
        );
    }
    let timer = invocation.timer().unwrap_or_default();
    let due = invocation.due_time(Utc::now());
    let window = detector.frequency.due_window(due, detector.latency);
    let mut logs = vec![format!(
        "detector `{name}`: scoring {} to {} (due {}{})",
        window.start,
        window.end,
        due.to_rfc3339(),
        if timer.is_past_due {
            ", past due: catching up"
        } else {
            ""
        }
    )];
    match pipeline::run_window(&state.store, &detector, window, RunType::Scheduler).await {
        Ok(outcomes) => {
            for o in outcomes {
                logs.push(match o.status {
                    RunStatus::Succeeded => format!(
                        "service `{}` {}: datadrift_coefficient={:.4} has_drift={}",
                        o.service,
                        o.date,
                        o.datadrift_coefficient.unwrap_or(f64::NAN),
                        o.has_drift
                    ),
                    status => format!(
                        "service `{}` {}: {:?} ({}){}",
                        o.service,
                        o.date,
                        status,
                        o.error.unwrap_or_default(),
                        if o.recorded == "failed_attempt" {
                            "; the earlier succeeded result is kept"
                        } else {
                            ""
                        }
                    ),
                });
            }
            envelope(StatusCode::OK, logs)
        }
        Err(e) => {
            logs.push(format!("could not record the run: {}", error_chain(&e)));
            envelope(StatusCode::INTERNAL_SERVER_ERROR, logs)
        }
    }
}
