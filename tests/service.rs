//! The service end to end: REST API and timer invocations with the Functions host's exact
//! payloads, on the local folder store and on Blob Storage (Azurite); bad requests; readiness of
//! the spawned binary; the CLI that manages detectors and the Functions app.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test as at;
use chrono::NaiveDate;
use driftscan::drift::result::RunStatus;
use driftscan::functions::{self, AppState, layout};
use driftscan::store::{self, Key, LocalStore, Store};
use serde_json::{Value, json};

use crate::harness::azurite::start_azurite;
use crate::store::result;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn local_store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    (dir, s)
}

/// Every key and its bytes: to prove a rejected request changed nothing.
async fn snapshot(s: &dyn Store) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for k in s.list(&Key::root()).await.unwrap() {
        let obj = s.get(&k).await.unwrap().unwrap();
        out.insert(k.to_string(), obj.bytes.to_vec());
    }
    out
}

fn detector_json(name: &str) -> Value {
    json!({"name": name, "model_name": "churn", "model_version": 2, "services": ["aks-prod"],
           "baseline": "training/churn.csv"})
}

/// A timer envelope as the host sends it: offsets, 7-digit fractions, PascalCase.
fn timer_envelope(function: &str, schedule_status: Value, past_due: bool, utc_now: &str) -> Value {
    json!({
        "Data": {"timer": {"Schedule": {"AdjustForDST": true}, "ScheduleStatus": schedule_status, "IsPastDue": past_due}},
        "Metadata": {"sys": {"MethodName": function, "UtcNow": utc_now, "RandGuid": "35e6e68c-5583-436c-a277-5aec2b416ba8"}}
    })
}

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let resp = at::call_service(&$app, $req.to_request()).await;
        let status = resp.status();
        let body = at::read_body(resp).await;
        let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, json)
    }};
}

/// Create, read, list, replace, enable/disable and delete through the API.
async fn crud(s: Arc<dyn Store>) {
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let (st, body) = call!(app, at::TestRequest::get().uri("/"));
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["status"], "ready");

    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector_json("churn"))
    );
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["drift_threshold"], 0.2);
    assert_eq!(body["enabled"], true);
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector_json("churn"))
    );
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "already_exists");

    let (st, body) = call!(app, at::TestRequest::get().uri("/api/detectors/churn"));
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["model_name"], "churn");
    let (_, body) = call!(app, at::TestRequest::get().uri("/api/detectors"));
    assert_eq!(body["detectors"].as_array().unwrap().len(), 1);

    let mut changed = detector_json("churn");
    changed.as_object_mut().unwrap().remove("name");
    changed["drift_threshold"] = json!(0.35);
    changed["frequency"] = json!("Week");
    let (st, body) = call!(
        app,
        at::TestRequest::put()
            .uri("/api/detectors/churn")
            .set_json(&changed)
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["drift_threshold"], 0.35);
    let (st, _) = call!(
        app,
        at::TestRequest::put()
            .uri("/api/detectors/other")
            .set_json(&changed)
    );
    assert_eq!(st, StatusCode::CREATED);

    let (st, body) = call!(
        app,
        at::TestRequest::post().uri("/api/detectors/churn/disable")
    );
    assert_eq!(
        (st, body["enabled"].clone()),
        (StatusCode::OK, json!(false))
    );
    let (_, body) = call!(app, at::TestRequest::get().uri("/api/detectors/churn"));
    assert_eq!(body["enabled"], false);
    let (st, body) = call!(
        app,
        at::TestRequest::post().uri("/api/detectors/churn/enable")
    );
    assert_eq!((st, body["enabled"].clone()), (StatusCode::OK, json!(true)));

    let (st, _) = call!(app, at::TestRequest::delete().uri("/api/detectors/other"));
    assert_eq!(st, StatusCode::OK);
    let (st, body) = call!(app, at::TestRequest::delete().uri("/api/detectors/other"));
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    assert!(
        s.get(&Key::parse("detectors/churn.json").unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[actix_web::test]
async fn detector_crud_on_local_folder() {
    let (_d, s) = local_store();
    crud(s).await;
}

#[actix_web::test]
async fn detector_crud_on_azurite() {
    let Some(az) = start_azurite() else { return };
    crud(az.store("crud").await).await;
}

/// Bad requests: 4xx, a JSON error, and the store exactly as before.
async fn bad_requests(s: Arc<dyn Store>) {
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let (st, _) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector_json("churn"))
    );
    assert_eq!(st, StatusCode::CREATED);
    let before = snapshot(&*s).await;

    let mut too_many = detector_json("big");
    too_many["feature_list"] = json!((0..201).map(|i| format!("f{i}")).collect::<Vec<_>>());
    let cases: Vec<(at::TestRequest, StatusCode, &str, &str)> = vec![
        (
            at::TestRequest::get().uri("/api/detectors/nope"),
            StatusCode::NOT_FOUND,
            "not_found",
            "`nope` does not exist",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/nope/run")
                .set_json(json!({"target_date": "2026-11-01"})),
            StatusCode::NOT_FOUND,
            "not_found",
            "`nope`",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/nope/output"),
            StatusCode::NOT_FOUND,
            "not_found",
            "`nope`",
        ),
        (
            at::TestRequest::post().uri("/api/detectors/nope/enable"),
            StatusCode::NOT_FOUND,
            "not_found",
            "`nope`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors")
                .set_json(detector_json("../x")),
            StatusCode::BAD_REQUEST,
            "invalid_detector",
            "field `name`: `../x`",
        ),
        (
            at::TestRequest::put()
                .uri("/api/detectors/..%2Fx")
                .set_json(detector_json("../x")),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "`../x`",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/..%2F..%2Fetc"),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "../../etc",
        ),
        (
            at::TestRequest::delete().uri("/api/detectors/a.b"),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "`a.b`",
        ),
        (
            at::TestRequest::put()
                .uri("/api/detectors/churn")
                .set_json(detector_json("other")),
            StatusCode::BAD_REQUEST,
            "invalid_detector",
            "differs from the detector being replaced",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors")
                .set_json(too_many),
            StatusCode::BAD_REQUEST,
            "invalid_detector",
            "201 features given",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors")
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"name\": \"x\","),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the detector definition",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors")
                .set_payload(""),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "empty",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_payload("[1,2"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "request body",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_json(json!({"target_date": "2026-13-01"})),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "field `target_date`: `2026-13-01`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_json(json!({"target_date": "2999-01-01"})),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "in the future",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_json(json!({"target_date": "2026-11-01", "colour": 1})),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "unknown field `colour`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_json(json!({"target_date": "2026-11-01", "drift_threshold": 2})),
            StatusCode::BAD_REQUEST,
            "invalid_detector",
            "field `drift_threshold`: `2`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/run")
                .set_json(json!({"target_date": "2026-11-01", "services": ["../s"]})),
            StatusCode::BAD_REQUEST,
            "invalid_detector",
            "field `services`: `../s`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/backfill")
                .set_json(json!({"start_date": "2026-01-01", "end_date": "2026-03-01"})),
            StatusCode::BAD_REQUEST,
            "backfill_too_long",
            "60 Day cycles, at most 30",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/backfill")
                .set_json(json!({"start_date": "2026-03-01", "end_date": "2026-02-01"})),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "before `start_date`",
        ),
        (
            at::TestRequest::post()
                .uri("/api/detectors/churn/backfill")
                .set_json(json!({"start_date": "01/02/2026", "end_date": "2026-02-01"})),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "field `start_date`: `01/02/2026`",
        ),
        (
            at::TestRequest::get()
                .uri("/api/detectors/churn/output?start=2026-11-05&end=2026-11-01"),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "before `start_date`",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/churn/output?start=yesterday"),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "field `start`: `yesterday`",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/churn/output?colour=red"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "colour",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/nope/report"),
            StatusCode::NOT_FOUND,
            "not_found",
            "`nope`",
        ),
        (
            at::TestRequest::get().uri("/api/detectors/churn/report?run=soon"),
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "field `run`: `soon`",
        ),
        (
            at::TestRequest::get().uri("/api/nothing/here"),
            StatusCode::NOT_FOUND,
            "not_found",
            "no route",
        ),
    ];
    for (req, status, code, message) in cases {
        let (st, body) = call!(app, req);
        assert_eq!(st, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(message), "`{msg}` should contain `{message}`");
    }
    assert_eq!(
        snapshot(&*s).await,
        before,
        "a rejected request changed the store"
    );
}

#[actix_web::test]
async fn bad_requests_are_rejected_on_local_folder() {
    let (_d, s) = local_store();
    bad_requests(s).await;
}

#[actix_web::test]
async fn bad_requests_are_rejected_on_azurite() {
    let Some(az) = start_azurite() else { return };
    bad_requests(az.store("bad").await).await;
}

/// Timer invocations with the host's payloads: disabled detector, unknown detector, null
/// `ScheduleStatus`, `IsPastDue` catch-up, a failure that must not overwrite a good result.
#[actix_web::test]
async fn timer_contract_with_host_payloads() {
    let (_d, s) = local_store();
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let mut def = detector_json("churn");
    def["enabled"] = json!(false);
    call!(
        app,
        at::TestRequest::post().uri("/api/detectors").set_json(&def)
    );
    let before = snapshot(&*s).await;

    let status = json!({"Last": "2026-11-19T02:00:00.0096035+00:00", "Next": "2026-11-20T02:00:00+00:00",
                        "LastUpdated": "2026-11-19T02:00:00.0096035+00:00"});
    // Disabled: nothing happens and the logs say so.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/drift-churn")
            .set_json(timer_envelope(
                "drift-churn",
                status.clone(),
                false,
                "2026-11-20T02:00:00.0012345Z"
            ))
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["Outputs"], json!({}));
    assert_eq!(body["ReturnValue"], Value::Null);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("`churn` is disabled; timer run skipped"),
        "{body}"
    );
    assert_eq!(snapshot(&*s).await, before);

    // Unknown detector: answered, logged, nothing written.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/drift-gone")
            .set_json(timer_envelope(
                "drift-gone",
                Value::Null,
                false,
                "2026-11-20T02:00:00Z"
            ))
    );
    assert_eq!(st, StatusCode::OK);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("`gone` does not exist"),
        "{body}"
    );
    // Not a timer function at all.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/somethingElse")
            .set_json(json!({"Data": {}}))
    );
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("drift-<detector>")
    );
    // Malformed envelope.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/drift-churn")
            .set_payload("{\"Data\":")
    );
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("invocation payload")
    );
    assert_eq!(snapshot(&*s).await, before);

    call!(
        app,
        at::TestRequest::post().uri("/api/detectors/churn/enable")
    );
    // A good result already stored for 2026-11-19 ...
    let mut good = result(
        "churn",
        "aks-prod",
        day("2026-11-19"),
        RunStatus::Succeeded,
        0.42,
    );
    good.model_name = "churn".into();
    good.model_version = 2;
    store::record_run(&*s, &good).await.unwrap();
    // ... then the timer fires past due (due 2026-11-20 02:00, delivered days later) with a
    // baseline that does not exist: the run fails, is recorded, and the good result stays.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/drift-churn")
            .set_json(timer_envelope(
                "drift-churn",
                status,
                true,
                "2026-11-24T09:13:00.1234567+00:00"
            ))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    let logs = body["Logs"].as_array().unwrap();
    assert!(
        logs[0]
            .as_str()
            .unwrap()
            .contains("scoring 2026-11-19 to 2026-11-19"),
        "{body}"
    );
    assert!(logs[0].as_str().unwrap().contains("past due"), "{body}");
    assert!(logs[1].as_str().unwrap().contains("Failed"), "{body}");
    assert!(
        logs[1]
            .as_str()
            .unwrap()
            .contains("earlier succeeded result is kept"),
        "{body}"
    );
    let (_, out) = call!(
        app,
        at::TestRequest::get().uri("/api/detectors/churn/output?start=2026-11-01&end=2026-11-30")
    );
    assert_eq!(
        out["results"][0]["result"].as_array().unwrap().len(),
        1,
        "{out}"
    );
    assert_eq!(out["results"][0]["result"][0]["has_drift"], true);
    assert_eq!(
        out["metrics"][0]["metrics"][0]["dataset_metrics"][0]["value"],
        0.42
    );
    let failed = &out["unsuccessful_runs"][0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["run_type"], "Scheduler");
    assert_eq!(failed["beside_succeeded_result"], true);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("baseline `training/churn.csv` has no data files"),
        "{failed}"
    );

    // Null ScheduleStatus, on time: scores the day before the host's UtcNow; with no result
    // there yet, the failure is the date's record.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/drift-churn")
            .set_json(timer_envelope(
                "drift-churn",
                Value::Null,
                false,
                "2026-11-23T02:00:00.0000001+00:00"
            ))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("scoring 2026-11-22 to 2026-11-22"),
        "{body}"
    );
    let h = store::service_history(
        &*s,
        "churn",
        "aks-prod",
        day("2026-11-22"),
        day("2026-11-22"),
    )
    .await
    .unwrap();
    assert_eq!(h.results[0].run.status, RunStatus::Failed);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.get(9..12)?.parse().ok()?;
    Some((code, buf))
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The host polls `GET /` until the handler answers; the spawned handler must answer that probe
/// with 200 (not an error while it is still starting), and then serve the API on the real socket.
/// The wait is a limit against a hang only: how fast the handler starts is for benchmarks.
#[tokio::test]
async fn spawned_handler_answers_the_host_probe_and_serves_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let deadline = Instant::now() + Duration::from_secs(60);
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_driftscan"))
            .arg("serve")
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("DRIFTSCAN_STORE", dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let probe = loop {
        if let Some((code, _)) = http_get(port, "/") {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "handler never answered on port {port}"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    // The first answer the host gets is already "ready".
    assert_eq!(probe, 200);

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let r = client
        .post(format!("{base}/api/detectors"))
        .json(&detector_json("sock"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = client
        .get(format!("{base}/api/detectors/sock"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["services"],
        json!(["aks-prod"])
    );
    let r = client
        .post(format!("{base}/api/detectors"))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
    // The definition is where DESIGN.md says.
    assert!(dir.path().join("detectors/sock.json").is_file());
}

/// The committed host.json and functions/ are what the code generates.
#[test]
fn repository_app_files_match_the_generated_layout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .unwrap()
    };
    let host = read(&root.join("host.json"));
    assert_eq!(host, layout::host_json());
    assert_eq!(host["customHandler"]["enableForwardingHttpRequest"], true);
    assert_eq!(host["extensionBundle"]["version"], "[4.*, 5.0.0)");
    for (name, def) in layout::http_functions() {
        assert_eq!(
            read(&root.join("functions").join(name).join("function.json")),
            def,
            "{name}"
        );
    }
}

fn cli(store: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args(args)
        .env("DRIFTSCAN_STORE", store)
        .output()
        .unwrap()
}

/// `detectors` and `functions` subcommands on a local store: timers for enabled detectors only,
/// schedules from frequency and latency, a zip with everything the host needs.
#[test]
fn cli_manages_detectors_and_generates_the_functions_app() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let def = |name: &str, extra: Value| {
        let mut v = detector_json(name);
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        let p = dir.path().join(format!("{name}.json"));
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    let daily = def("daily", json!({}));
    let weekly = def("weekly", json!({"frequency": "Week", "latency": 6}));
    let off = def("off", json!({"enabled": false}));
    let bad = def("bad", json!({"drift_threshold": 3}));
    for p in [&daily, &weekly, &off] {
        let o = cli(&store, &["detectors", "create", p.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = cli(&store, &["detectors", "create", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("field `drift_threshold`: `3`"));
    let o = cli(&store, &["detectors", "create", daily.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let o = cli(&store, &["detectors", "list"]);
    let listed = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(
        listed.contains("off\tchurn v2\tDay\taks-prod\tdisabled"),
        "{listed}"
    );
    let o = cli(&store, &["detectors", "get", "../x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`../x` is not a valid detector name"));

    let app = dir.path().join("app");
    let o = cli(
        &store,
        &[
            "functions",
            "generate",
            "--store",
            store.to_str().unwrap(),
            "--out",
            app.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let timer = |name: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(app.join(name).join("function.json")).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        timer("drift-daily")["bindings"][0]["schedule"],
        "0 0 2 * * *"
    );
    assert_eq!(
        timer("drift-weekly")["bindings"][0]["schedule"],
        "0 0 8 * * 1"
    );
    assert_eq!(timer("drift-weekly")["bindings"][0]["type"], "timerTrigger");
    assert!(!app.join("drift-off").exists());
    assert!(app.join("detector-action/function.json").is_file());

    // Disable one: regenerating removes its timer.
    assert!(
        cli(&store, &["detectors", "disable", "weekly"])
            .status
            .success()
    );
    let o = cli(
        &store,
        &[
            "functions",
            "generate",
            "--store",
            store.to_str().unwrap(),
            "--out",
            app.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("removed  drift-weekly"));
    assert!(!app.join("drift-weekly").exists());

    // A stand-in for the release binary: the debug build is hundreds of MB to deflate.
    let handler = dir.path().join("handler-build");
    std::fs::write(&handler, b"\x7fELF stand-in for the release build").unwrap();
    let zip_path = dir.path().join("app.zip");
    let o = cli(
        &store,
        &[
            "functions",
            "package",
            "--app-dir",
            app.to_str().unwrap(),
            "--binary",
            handler.to_str().unwrap(),
            "--out",
            zip_path.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "detector-action/function.json",
            "detector/function.json",
            "detectors/function.json",
            "drift-daily/function.json",
            "driftscan",
            "host.json",
            "metrics/function.json"
        ]
    );
    let mut packed = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("driftscan").unwrap(), &mut packed).unwrap();
    assert_eq!(packed, std::fs::read(&handler).unwrap());
    assert_eq!(
        zip.by_name("driftscan")
            .unwrap()
            .unix_mode()
            .map(|m| m & 0o777),
        Some(0o755)
    );
    let o = cli(
        &store,
        &[
            "functions",
            "package",
            "--app-dir",
            dir.path().to_str().unwrap(),
            "--out",
            "/dev/null",
        ],
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("has no host.json"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A run through the CLI is recorded like any other: here the baseline is missing.
    let o = cli(
        &store,
        &["detectors", "run", "daily", "--date", "2026-11-02"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        stdout.contains(
            "2026-11-02  aks-prod  Failed: baseline `training/churn.csv` has no data files"
        ),
        "{stdout}"
    );
    let o = cli(
        &store,
        &[
            "detectors",
            "output",
            "daily",
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-30",
        ],
    );
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["unsuccessful_runs"][0]["status"], "failed");
    assert_eq!(out["unsuccessful_runs"][0]["run_type"], "Adhoc");
    assert!(store.join("runs/daily/aks-prod/2026/11/02.json").is_file());
    let o = cli(
        &store,
        &[
            "detectors",
            "backfill",
            "daily",
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-03",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        lines.lines().filter(|l| l.contains("Failed")).count(),
        3,
        "{lines}"
    );
    let o = cli(
        &store,
        &[
            "detectors",
            "backfill",
            "daily",
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("365 Day cycles, at most 30 are allowed"));

    assert!(
        cli(&store, &["detectors", "delete", "daily"])
            .status
            .success()
    );
    let o = cli(&store, &["detectors", "delete", "daily"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
}

/// Small deterministic generator for the synthetic data (xorshift64*; Box-Muller for normals),
/// so the data does not depend on a crate's stream across releases.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// 2,000 rows of `age,income,plan`; `drift` moves age by two standard deviations and makes the
/// premium plan common. Snapshots carry the legacy collector's bookkeeping columns.
pub fn churn_csv(seed: u64, drift: bool, collector_columns: bool) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = String::from("age,income,plan");
    if collector_columns {
        out.push_str(",$aml_dc_correlation_id,$aml_dc_scoring_timestamp,$aml_service_name");
    }
    out.push('\n');
    for i in 0..2000 {
        let age = rng.normal(if drift { 60.0 } else { 40.0 }, 10.0);
        let income = rng.normal(52_000.0, 9_000.0);
        let u = rng.uniform();
        let plan = match (drift, u) {
            (false, u) if u < 0.6 => "basic",
            (false, u) if u < 0.9 => "plus",
            (true, u) if u < 0.2 => "basic",
            (true, u) if u < 0.4 => "plus",
            _ => "premium",
        };
        out.push_str(&format!("{age:.2},{income:.0},{plan}"));
        if collector_columns {
            out.push_str(&format!(
                ",{seed:08x}-{i:06},2026-11-16T10:00:{:02}.123456,aks-prod",
                i % 60
            ));
        }
        out.push('\n');
    }
    out
}

/// The end-to-end scenario: baseline and a week of legacy-layout snapshots in the store,
/// detector created through the API, the timer fired for each day with the host's envelope, then
/// a backfill over the week; `output` has one result per day with the right `has_drift`.
async fn week_of_scans(s: Arc<dyn Store>) {
    use bytes::Bytes;
    use driftscan::store::PutCondition;
    let put = |key: String, body: String| {
        let s = Arc::clone(&s);
        async move {
            s.put(
                &Key::parse(&key).unwrap(),
                Bytes::from(body),
                PutCondition::Overwrite,
            )
            .await
            .unwrap();
        }
    };
    put("training/churn.csv".into(), churn_csv(1, false, false)).await;
    let drifted = [18u32, 21];
    for d in 16..=22u32 {
        let key = format!(
            "modeldata/sub-1/rg-ml/ws-prod/aks-prod/churn/2/inputs/2026/11/{d}/inputs_{d}.csv"
        );
        put(
            key,
            churn_csv(100 + u64::from(d), drifted.contains(&d), true),
        )
        .await;
    }
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector_json("churn"))
    );
    assert_eq!(st, StatusCode::CREATED, "{body}");

    for d in 16..=22u32 {
        let now = format!("2026-11-{:02}T02:00:00.0123456+00:00", d + 1);
        let status = json!({"Last": format!("2026-11-{d:02}T02:00:00.0096035+00:00"), "Next": now, "LastUpdated": now});
        let (st, body) = call!(
            app,
            at::TestRequest::post()
                .uri("/drift-churn")
                .set_json(timer_envelope("drift-churn", status, false, &now))
        );
        assert_eq!(st, StatusCode::OK, "{body}");
        let logs = body["Logs"].as_array().unwrap();
        assert!(
            logs[0]
                .as_str()
                .unwrap()
                .contains(&format!("scoring 2026-11-{d} to 2026-11-{d}")),
            "{body}"
        );
        // The run-outcome line every surface prints: `date  service  coefficient x  DRIFT`.
        let line = logs[1].as_str().unwrap();
        assert!(line.contains("  aks-prod  coefficient "), "day {d}: {line}");
        assert_eq!(
            line.ends_with("DRIFT") && !line.ends_with("FEATURES DRIFTED"),
            drifted.contains(&d),
            "day {d}: {line}"
        );
    }
    // The baseline was profiled once and cached under its content hash.
    let cached: Vec<Key> = s
        .list(&Key::parse("baselines/churn").unwrap())
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.as_str().ends_with(".profile"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");

    // A backfill over the week (and one day without data) reruns every date.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/churn/backfill")
            .set_json(json!({"start_date": "2026-11-16", "end_date": "2026-11-23"}))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["cycles"], 8);
    assert_eq!(body["runs"][7]["status"], "no_data", "{body}");

    let (st, out) = call!(
        app,
        at::TestRequest::get().uri("/api/detectors/churn/output?start=2026-11-16&end=2026-11-23")
    );
    assert_eq!(st, StatusCode::OK);
    let results = out["results"][0]["result"].as_array().unwrap();
    assert_eq!(results.len(), 7, "{out}");
    for (i, r) in results.iter().enumerate() {
        let d = 16 + i as u32;
        assert_eq!(r["datetime"], format!("2026-11-{d}"));
        assert_eq!(r["has_drift"], drifted.contains(&d), "day {d}: {r}");
        assert_eq!(r["model_version"], 2);
    }
    let metrics = out["metrics"][0]["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 7);
    for m in metrics {
        assert_eq!(
            m["run"]["run_type"], "BackFill",
            "the backfill replaced the timer results"
        );
        assert_eq!(m["dataset_metrics"][0]["name"], "datadrift_coefficient");
        let coefficient = m["dataset_metrics"][0]["value"].as_f64().unwrap();
        println!("{}: datadrift_coefficient {coefficient:.4}", m["datetime"]);
        assert_eq!(m["has_drift"], coefficient > 0.2);
        assert!(
            m["column_metrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c.get("age").is_some()),
            "{m}"
        );
    }
    // The cache key is the baseline's content hash, as the result reports it.
    let hash = cached[0]
        .as_str()
        .trim_start_matches("baselines/churn/")
        .trim_end_matches(".profile");
    assert_eq!(
        metrics[0]["baseline"]["content_hash"], hash,
        "{}",
        metrics[0]["baseline"]
    );
    let nodata = &out["unsuccessful_runs"][0];
    assert_eq!(
        (nodata["datetime"].as_str(), nodata["status"].as_str()),
        (Some("2026-11-23"), Some("no_data"))
    );

    // The report page renders the same history.
    let resp = at::call_service(
        &app,
        at::TestRequest::get()
            .uri("/api/detectors/churn/report?start=2026-11-16&end=2026-11-23&run=2026-11-18")
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "text/html; charset=utf-8");
    let html = String::from_utf8(at::read_body(resp).await.to_vec()).unwrap();
    assert!(
        html.contains("churn") && html.contains("<svg"),
        "report page: {} bytes",
        html.len()
    );

    // An ad-hoc run with an override: a threshold of 1 means no drift, and it replaces the date.
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/churn/run")
            .set_json(json!({"target_date": "2026-11-18", "drift_threshold": 1.0}))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["runs"][0]["has_drift"], false);
    assert_eq!(body["runs"][0]["recorded"], "result");
}

#[actix_web::test]
async fn week_of_scans_on_local_folder() {
    let (_d, s) = local_store();
    week_of_scans(s).await;
}

#[actix_web::test]
async fn week_of_scans_on_azurite() {
    let Some(az) = start_azurite() else { return };
    week_of_scans(az.store("e2e").await).await;
}

/// Collector records as `azureml-ai-monitoring` writes them: one JSON object per line, rows in
/// `data` (records orient), batched requests per line.
fn collector_jsonl(seed: u64, drift: bool, lines: usize) -> String {
    let csv = churn_csv(seed, drift, false);
    let rows: Vec<Value> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            json!({"age": f[0].parse::<f64>().unwrap(), "income": f[1].parse::<f64>().unwrap(), "plan": f[2]})
        })
        .collect();
    let per_line = rows.len().div_ceil(lines);
    let mut out = String::new();
    for (i, chunk) in rows.chunks(per_line).enumerate() {
        let record = json!({
            "specversion": "1.0", "id": format!("{seed}-{i}"),
            "source": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/churn-ep/deployments/blue",
            "type": "azureml.inference.model_inputs", "datacontenttype": "application/json",
            "time": "2026-11-20T10:00:00Z", "data": chunk, "correlationid": format!("c{i}"),
            "xrequestid": format!("r{i}"), "modelversion": "default",
            "collectdatatype": "pandas.core.frame.DataFrame", "agent": "azureml-ai-monitoring/0.1.0b4"
        });
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

/// A detector on the JSON-lines collector layout: every hour folder of the day is read, through
/// an ad-hoc run of the API.
#[actix_web::test]
async fn collector_layout_is_read_hour_by_hour() {
    use bytes::Bytes;
    use driftscan::store::PutCondition;
    let (_d, s) = local_store();
    let put = |key: &str, body: String| {
        let s = Arc::clone(&s);
        let key = Key::parse(key).unwrap();
        async move {
            s.put(&key, Bytes::from(body), PutCondition::Overwrite)
                .await
                .unwrap()
        }
    };
    put("training/churn.csv", churn_csv(1, false, false)).await;
    for (day, drift) in [(20u32, false), (21, true)] {
        for (hour, seed) in [("03", 1u64), ("17", 2)] {
            let key = format!(
                "modelDataCollector/churn-ep/blue/model_inputs/2026/11/{day}/{hour}/{seed}.jsonl"
            );
            put(&key, collector_jsonl(u64::from(day) * 10 + seed, drift, 20)).await;
        }
    }
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let mut def = detector_json("endpoint");
    def["services"] = json!(["churn-ep"]);
    def["snapshots"] = json!("collector");
    let (st, body) = call!(
        app,
        at::TestRequest::post().uri("/api/detectors").set_json(&def)
    );
    assert_eq!(st, StatusCode::CREATED, "{body}");
    for (day, drift) in [(20, false), (21, true)] {
        let (st, body) = call!(
            app,
            at::TestRequest::post()
                .uri("/api/detectors/endpoint/run")
                .set_json(json!({"target_date": format!("2026-11-{day}")}))
        );
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["runs"][0]["status"], "succeeded", "{body}");
        assert_eq!(body["runs"][0]["has_drift"], drift, "{body}");
    }
    let h = store::service_history(
        &*s,
        "endpoint",
        "churn-ep",
        day("2026-11-20"),
        day("2026-11-21"),
    )
    .await
    .unwrap();
    assert_eq!(
        h.results[0].target.files, 2,
        "both hour files of the day were read"
    );
    assert_eq!(h.results[0].target.rows, 4000);
}
