//! The same mistake through every way in gives the same error code: the command line (exit code
//! and `error[code]`), the REST API (status and `error.code`). Python on a local store and on a
//! service is checked with the same cases in python/tests/test_errors_and_command.py. Every code
//! of the table is walked through the REST answer and the command line's exit code, so a new
//! code cannot be forgotten in one of them.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use actix_web::ResponseError;
use actix_web::test as at;
use chrono::{Days, Utc};
use driftscan::functions::{self, ApiError, AppState};
use driftscan::pipeline::codes::{ERROR_CODES, ErrorCode, OpError};
use driftscan::store::{LocalStore, Store};
use serde_json::{Value, json};

fn definition(name: &str, baseline: &str) -> Value {
    json!({"name": name, "model_name": "churn", "model_version": 2, "services": ["aks-prod"],
           "baseline": baseline})
}

/// One mistake: the command line's arguments (a definition file is written for `{file}`), the
/// REST request, and the code both must give.
struct Case {
    what: &'static str,
    cli: Vec<String>,
    file: Option<Vec<u8>>,
    method: &'static str,
    uri: String,
    body: Option<Vec<u8>>,
    code: ErrorCode,
}

fn cases() -> Vec<Case> {
    let today = Utc::now().date_naive();
    let future = (today + Days::new(3)).to_string();
    let (start, end) = (
        (today - Days::new(40)).to_string(),
        (today - Days::new(10)).to_string(),
    );
    let outside = serde_json::to_vec(&definition("leak", "/etc/passwd")).unwrap();
    // A `.` segment is refused at create: store keys refuse it, so such a detector could never run.
    let dotted = serde_json::to_vec(&definition("dotted", "./training/churn.csv")).unwrap();
    let mut dotted_snapshots = definition("dotted", "training/churn.csv");
    dotted_snapshots["snapshots"] = json!("modeldata/./{service}/{yyyy}/{MM}/{dd}/");
    let dotted_snapshots = serde_json::to_vec(&dotted_snapshots).unwrap();
    let mut crowded = definition("ok", "training/churn.csv");
    let limit = driftscan::detector::MAX_SERVICES;
    crowded["services"] = json!((0..=limit).map(|i| format!("svc-{i}")).collect::<Vec<_>>());
    let crowded = serde_json::to_vec(&crowded).unwrap();
    let mut crowded_new = serde_json::from_slice::<Value>(&crowded).unwrap();
    crowded_new["name"] = json!("crowded");
    let crowded_new = serde_json::to_vec(&crowded_new).unwrap();
    let shouting = serde_json::to_vec(&definition("OK", "training/churn.csv")).unwrap();
    let malformed = br#"{"name": "t", "model_name": "#.to_vec();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Case {
            what: "a baseline outside the store and the data roots",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(outside.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(outside),
            code: ErrorCode::InvalidLocation,
        },
        Case {
            what: "a baseline with a `.` segment",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(dotted.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(dotted),
            code: ErrorCode::InvalidLocation,
        },
        Case {
            what: "snapshots with a `.` segment",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(dotted_snapshots.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(dotted_snapshots),
            code: ErrorCode::InvalidLocation,
        },
        Case {
            what: "an unknown detector",
            cli: s(&["detectors", "run", "nope", "--date", &end]),
            file: None,
            method: "POST",
            uri: "/api/detectors/nope/run".into(),
            body: Some(json!({"target_date": end}).to_string().into_bytes()),
            code: ErrorCode::NotFound,
        },
        Case {
            what: "a date in the future",
            cli: s(&["detectors", "run", "ok", "--date", &future]),
            file: None,
            method: "POST",
            uri: "/api/detectors/ok/run".into(),
            body: Some(json!({"target_date": future}).to_string().into_bytes()),
            code: ErrorCode::InvalidDate,
        },
        Case {
            what: "a backfill of 31 cycles",
            cli: s(&[
                "detectors",
                "backfill",
                "ok",
                "--start",
                &start,
                "--end",
                &end,
            ]),
            file: None,
            method: "POST",
            uri: "/api/detectors/ok/backfill".into(),
            body: Some(
                json!({"start_date": start, "end_date": end})
                    .to_string()
                    .into_bytes(),
            ),
            code: ErrorCode::BackfillTooLong,
        },
        Case {
            what: "a malformed definition",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(malformed.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(malformed),
            code: ErrorCode::InvalidJson,
        },
        Case {
            what: "an invalid detector name",
            cli: s(&["detectors", "get", "../x"]),
            file: None,
            method: "GET",
            uri: "/api/detectors/..%2Fx".into(),
            body: None,
            code: ErrorCode::InvalidName,
        },
        Case {
            what: "more services than the limit, at create",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(crowded_new.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(crowded_new),
            code: ErrorCode::InvalidDetector,
        },
        Case {
            what: "more services than the limit, at update",
            cli: s(&["detectors", "update", "ok", "{file}"]),
            file: Some(crowded.clone()),
            method: "PUT",
            uri: "/api/detectors/ok".into(),
            body: Some(crowded),
            code: ErrorCode::InvalidDetector,
        },
        Case {
            what: "a name that differs from an existing one only in case",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(shouting.clone()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(shouting.clone()),
            code: ErrorCode::AlreadyExists,
        },
        Case {
            what: "a name that differs from an existing one only in case, created by PUT",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(shouting.clone()),
            method: "PUT",
            uri: "/api/detectors/OK".into(),
            body: Some(shouting),
            code: ErrorCode::AlreadyExists,
        },
        Case {
            what: "a detector that exists already",
            cli: s(&["detectors", "create", "{file}"]),
            file: Some(serde_json::to_vec(&definition("ok", "training/churn.csv")).unwrap()),
            method: "POST",
            uri: "/api/detectors".into(),
            body: Some(serde_json::to_vec(&definition("ok", "training/churn.csv")).unwrap()),
            code: ErrorCode::AlreadyExists,
        },
    ]
}

fn cli(store: &Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args(args)
        .env("DRIFTSCAN_STORE", store)
        .env_remove("DRIFTSCAN_DATA_ROOTS")
        .output()
        .unwrap()
}

#[actix_web::test]
async fn the_same_mistake_gives_the_same_code_on_the_command_line_and_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let store: Arc<dyn Store> = Arc::new(LocalStore::new(&store_dir).unwrap());
    let ok = dir.path().join("ok.json");
    std::fs::write(
        &ok,
        serde_json::to_vec(&definition("ok", "training/churn.csv")).unwrap(),
    )
    .unwrap();
    let made = cli(
        &store_dir,
        &[
            "detectors".into(),
            "create".into(),
            ok.display().to_string(),
        ],
    );
    assert!(made.status.success(), "{made:?}");
    let before = std::fs::read_dir(&store_dir).unwrap().count();

    let app = at::init_service(functions::app(AppState::new(store))).await;
    for case in cases() {
        let info = case.code.info();
        let mut args = case.cli.clone();
        if let Some(bytes) = &case.file {
            let file = dir.path().join("definition.json");
            std::fs::write(&file, bytes).unwrap();
            for a in &mut args {
                if a == "{file}" {
                    *a = file.display().to_string();
                }
            }
        }
        let out = cli(&store_dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(info.exit_code),
            "{}: {stderr}",
            case.what
        );
        assert!(
            stderr.starts_with(&format!("error[{}]: ", info.name)),
            "{}: {stderr}",
            case.what
        );

        let request = match case.method {
            "POST" => at::TestRequest::post(),
            "PUT" => at::TestRequest::put(),
            _ => at::TestRequest::get(),
        }
        .uri(&case.uri);
        let request = match &case.body {
            Some(b) => request
                .insert_header(("content-type", "application/json"))
                .set_payload(b.clone()),
            None => request,
        };
        let resp = at::call_service(&app, request.to_request()).await;
        let status = resp.status().as_u16();
        let body: Value = serde_json::from_slice(&at::read_body(resp).await).unwrap();
        assert_eq!(status, info.http_status, "{}: {body}", case.what);
        assert_eq!(body["error"]["code"], info.name, "{}: {body}", case.what);
        assert_eq!(body["error"]["status"], info.http_status, "{}", case.what);
    }
    // Nothing was written by a refused request.
    assert_eq!(std::fs::read_dir(&store_dir).unwrap().count(), before);
    assert!(!store_dir.join("detectors/leak.json").exists());
    assert!(!store_dir.join("detectors/dotted.json").exists());
}

#[test]
fn every_code_reaches_every_surface() {
    for info in ERROR_CODES {
        let api = ApiError::from(OpError::new(info.code, "message"));
        assert_eq!(
            api.status_code().as_u16(),
            info.http_status,
            "{}",
            info.name
        );
        let err = anyhow::Error::new(OpError::new(info.code, "message"));
        assert_eq!(
            driftscan::cli::exit_code(&err),
            info.exit_code,
            "{}",
            info.name
        );
    }
}

#[test]
fn the_documented_table_is_the_table() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/service.md")).unwrap();
    let rows: Vec<(String, u16, i32, String)> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.trim_matches('`');
            let status = cells.get(2)?.parse().ok()?;
            let exit = cells.get(3)?.parse().ok()?;
            Some((
                code.to_string(),
                status,
                exit,
                cells.get(4)?.trim_matches('`').to_string(),
            ))
        })
        .filter(|(code, ..)| ErrorCode::parse(code).is_some())
        .collect();
    let table: Vec<(String, u16, i32, String)> = ERROR_CODES
        .iter()
        .map(|i| {
            (
                i.name.to_string(),
                i.http_status,
                i.exit_code,
                i.python_class.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, table,
        "docs/service.md's error table differs from ERROR_CODES"
    );
}

/// The services limit counts exactly: a detector of as many services as the limit is accepted.
#[test]
fn a_detector_of_the_most_services_allowed_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut def = definition("fleet", "training/churn.csv");
    let limit = driftscan::detector::MAX_SERVICES;
    def["services"] = json!((0..limit).map(|i| format!("svc-{i}")).collect::<Vec<_>>());
    let file = dir.path().join("fleet.json");
    std::fs::write(&file, serde_json::to_vec(&def).unwrap()).unwrap();
    let out = cli(
        &dir.path().join("store"),
        &[
            "detectors".into(),
            "create".into(),
            file.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
}

/// Detectors stored before names were compared without case (`Churn` beside `churn`) would give
/// two timer functions that Azure Functions takes for one: generating the app refuses, names
/// both, and writes nothing.
#[test]
fn timer_functions_whose_names_differ_only_in_case_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    std::fs::create_dir_all(store_dir.join("detectors")).unwrap();
    for name in ["Churn", "churn"] {
        std::fs::write(
            store_dir.join(format!("detectors/{name}.json")),
            serde_json::to_vec(&definition(name, "training/churn.csv")).unwrap(),
        )
        .unwrap();
    }
    let app = dir.path().join("app");
    let out = cli(
        &store_dir,
        &[
            "functions".into(),
            "generate".into(),
            "--out".into(),
            app.display().to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("`Churn` and `churn`") && stderr.contains("differ only in case"),
        "{stderr}"
    );
    assert!(!app.exists(), "nothing is written");
    // Disabled, one of them has no timer, and the app is generated.
    std::fs::write(
        store_dir.join("detectors/Churn.json"),
        serde_json::to_vec(&{
            let mut d = definition("Churn", "training/churn.csv");
            d["enabled"] = json!(false);
            d
        })
        .unwrap(),
    )
    .unwrap();
    let out = cli(
        &store_dir,
        &[
            "functions".into(),
            "generate".into(),
            "--out".into(),
            app.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(app.join("drift-churn/function.json").exists());
    assert!(!app.join("drift-Churn").exists());
}
