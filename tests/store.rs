//! The store contract, run against the local folder store and against Azure Blob Storage
//! (Azurite on loopback): the same suite must pass on both.

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use chrono::NaiveDate;
use driftscan::detector::{Detector, SnapshotTemplate, Window};
use driftscan::drift::result::{
    DatasetSummary, Metric, RunInfo, RunResult, RunStatus, RunType, SchemaChanges,
};
use driftscan::store::{
    self, BlobStore, Key, LocalStore, PutCondition, Recorded, Store, StoreError, keys,
};

use crate::harness::azurite::start_azurite;

/// A minimal result document for store tests.
pub fn result(
    detector: &str,
    service: &str,
    date: NaiveDate,
    status: RunStatus,
    coefficient: f64,
) -> RunResult {
    RunResult {
        schema_version: "1.0".into(),
        datetime: date,
        detector: detector.into(),
        service_name: service.into(),
        model_name: "m".into(),
        model_version: 1,
        drift_threshold: 0.2,
        has_drift: status == RunStatus::Succeeded && coefficient > 0.2,
        dataset_metrics: if status == RunStatus::Succeeded {
            vec![Metric::new("datadrift_coefficient", coefficient)]
        } else {
            vec![]
        },
        column_metrics: vec![],
        run: RunInfo {
            run_type: RunType::Scheduler,
            status,
            error: (status == RunStatus::Failed).then(|| "boom".to_string()),
            started_at: chrono::Utc::now(),
            duration_ms: 1,
            driftscan_version: "test".into(),
            window: None,
        },
        baseline: DatasetSummary::default(),
        target: DatasetSummary::default(),
        classifier: None,
        features: vec![],
        schema: SchemaChanges::default(),
        warnings: vec![],
        signals: vec![],
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The whole contract against one store.
async fn suite(s: Arc<dyn Store>) {
    let k = Key::parse("a/b/c.json").unwrap();
    // put / get round trip with versions
    assert!(s.get(&k).await.unwrap().is_none());
    let v1 = s
        .put(&k, Bytes::from_static(b"one"), PutCondition::Overwrite)
        .await
        .unwrap();
    let got = s.get(&k).await.unwrap().unwrap();
    assert_eq!(&got.bytes[..], b"one");
    assert_eq!(got.version, v1);
    // create-only on an existing key conflicts and changes nothing
    let err = s
        .put(&k, Bytes::from_static(b"two"), PutCondition::Create)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(&s.get(&k).await.unwrap().unwrap().bytes[..], b"one");
    // update with the current version works, with a stale one conflicts
    let v2 = s
        .put(
            &k,
            Bytes::from_static(b"two"),
            PutCondition::Match(v1.clone()),
        )
        .await
        .unwrap();
    assert_ne!(v1, v2);
    let err = s
        .put(&k, Bytes::from_static(b"three"), PutCondition::Match(v1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(&s.get(&k).await.unwrap().unwrap().bytes[..], b"two");
    // listing is recursive and sorted; folders list one level
    for key in ["a/b/d.json", "a/e.csv", "x/y z/1.csv"] {
        s.put(
            &Key::parse(key).unwrap(),
            Bytes::from_static(b"-"),
            PutCondition::Create,
        )
        .await
        .unwrap();
    }
    let listed: Vec<String> = s
        .list(&Key::parse("a").unwrap())
        .await
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(listed, ["a/b/c.json", "a/b/d.json", "a/e.csv"]);
    assert_eq!(s.list_folders(&Key::root()).await.unwrap(), ["a", "x"]);
    assert_eq!(
        s.list_folders(&Key::parse("x").unwrap()).await.unwrap(),
        ["y z"]
    );
    assert!(
        s.list(&Key::parse("nothing/here").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    // delete says whether something went
    assert!(s.delete(&Key::parse("a/e.csv").unwrap()).await.unwrap());
    assert!(!s.delete(&Key::parse("a/e.csv").unwrap()).await.unwrap());
    assert!(!s.delete(&Key::parse("no/such/key").unwrap()).await.unwrap());

    // path traversal: rejected before storage is touched
    let before = s.list(&Key::root()).await.unwrap();
    for bad in ["../x", "a/../../x", "/etc/passwd", "a/./b", "a\\..\\b"] {
        assert!(
            matches!(Key::parse(bad), Err(StoreError::InvalidKey { .. })),
            "{bad}"
        );
    }
    assert!(keys::detector("../x").is_err());
    assert!(keys::run("d", "..", day("2026-01-01")).is_err());
    let mut evil = result("d", "..", day("2026-01-01"), RunStatus::Succeeded, 0.5);
    assert!(matches!(
        store::record_run(&*s, &evil).await,
        Err(StoreError::InvalidKey { .. })
    ));
    evil.service_name = "ok".into();
    evil.detector = "../../etc".into();
    assert!(matches!(
        store::record_run(&*s, &evil).await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert_eq!(s.list(&Key::root()).await.unwrap(), before);

    // concurrent create: exactly one winner
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                s.put(
                    &Key::parse("race/one.json").unwrap(),
                    Bytes::from(format!("{i}")),
                    PutCondition::Create,
                )
                .await
            })
        })
        .collect();
    let mut wins = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(wins, 1);

    run_recording(&s).await;
    snapshot_discovery(&s).await;
}

/// A rerun replaces; a failure never replaces a success; concurrent writers of one date leave a
/// valid document that one of them wrote, and a success always survives a concurrent failure.
async fn run_recording(s: &Arc<dyn Store>) {
    let d = day("2026-11-20");
    let first = result("det", "svc", d, RunStatus::Succeeded, 0.1);
    assert_eq!(
        store::record_run(&**s, &first).await.unwrap(),
        Recorded::Result
    );
    let rerun = result("det", "svc", d, RunStatus::Succeeded, 0.7);
    assert_eq!(
        store::record_run(&**s, &rerun).await.unwrap(),
        Recorded::Result
    );
    let failed = result("det", "svc", d, RunStatus::Failed, 0.0);
    assert_eq!(
        store::record_run(&**s, &failed).await.unwrap(),
        Recorded::FailedAttempt
    );
    let nodata = result("det", "svc", d, RunStatus::NoData, 0.0);
    assert_eq!(
        store::record_run(&**s, &nodata).await.unwrap(),
        Recorded::FailedAttempt
    );
    let h = store::service_history(&**s, "det", "svc", d, d)
        .await
        .unwrap();
    assert_eq!(h.results.len(), 1);
    assert_eq!(h.results[0].coefficient(), Some(0.7));
    assert_eq!(h.failed_attempts.len(), 1);
    assert_eq!(h.failed_attempts[0].run.status, RunStatus::NoData);
    // The next success of the date supersedes the failed attempt.
    let again = result("det", "svc", d, RunStatus::Succeeded, 0.6);
    assert_eq!(
        store::record_run(&**s, &again).await.unwrap(),
        Recorded::Result
    );
    let h = store::service_history(&**s, "det", "svc", d, d)
        .await
        .unwrap();
    assert_eq!(h.results[0].coefficient(), Some(0.6));
    assert!(h.failed_attempts.is_empty());
    // A failure on a date with no result is the date's record; a later success replaces it.
    let d2 = day("2026-11-21");
    store::record_run(&**s, &result("det", "svc", d2, RunStatus::Failed, 0.0))
        .await
        .unwrap();
    store::record_run(&**s, &result("det", "svc", d2, RunStatus::Succeeded, 0.3))
        .await
        .unwrap();
    let h = store::service_history(&**s, "det", "svc", d, d2)
        .await
        .unwrap();
    assert_eq!(
        h.results.iter().map(|r| r.run.status).collect::<Vec<_>>(),
        [RunStatus::Succeeded; 2]
    );

    // Concurrency: rounds of a success and a failure racing on a fresh date.
    for round in 0..6u32 {
        let date = day("2026-10-01") + chrono::Days::new(u64::from(round));
        let ok = result("det", "race", date, RunStatus::Succeeded, 0.4);
        let bad = result("det", "race", date, RunStatus::Failed, 0.0);
        let (a, b) = {
            let (s1, s2) = (Arc::clone(s), Arc::clone(s));
            tokio::join!(
                tokio::spawn(async move { store::record_run(&*s1, &ok).await }),
                tokio::spawn(async move { store::record_run(&*s2, &bad).await })
            )
        };
        a.unwrap().unwrap();
        b.unwrap().unwrap();
        let h = store::service_history(&**s, "det", "race", date, date)
            .await
            .unwrap();
        assert_eq!(h.results.len(), 1, "round {round}");
        assert_eq!(
            h.results[0].run.status,
            RunStatus::Succeeded,
            "round {round}: the success must survive"
        );
    }
    // Two successes racing: a valid document from one of them.
    let date = day("2026-09-01");
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let s = Arc::clone(s);
            let r = result(
                "det",
                "race2",
                date,
                RunStatus::Succeeded,
                0.1 * f64::from(i + 1),
            );
            tokio::spawn(async move { store::record_run(&*s, &r).await })
        })
        .collect();
    for w in writers {
        w.await.unwrap().unwrap();
    }
    let h = store::service_history(&**s, "det", "race2", date, date)
        .await
        .unwrap();
    let c = h.results[0].coefficient().unwrap();
    assert!([0.1, 0.2, 0.30000000000000004, 0.4].contains(&c), "{c}");
}

/// Snapshot files are found by listing, with unknown subscription/workspace folders and
/// unpadded month/day folders.
async fn snapshot_discovery(s: &Arc<dyn Store>) {
    for key in [
        "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/05/data.csv",
        "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/5/inputs_2.csv",
        "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/05/_SUCCESS",
        "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/06/data.csv",
        "modeldata/sub1/rg/ws/other/churn/2/inputs/2026/11/05/data.csv",
        "modeldata/sub1/rg/ws/svc/churn/1/inputs/2026/11/05/data.csv",
    ] {
        s.put(
            &Key::parse(key).unwrap(),
            Bytes::from_static(b"a\n1\n"),
            PutCondition::Overwrite,
        )
        .await
        .unwrap();
    }
    let det = Detector::from_json(
        br#"{"name":"churn","model_name":"churn","model_version":2,"services":["svc"],"baseline":"b.csv"}"#,
    )
    .unwrap();
    let t = det.snapshot_template().unwrap();
    let w = Window {
        start: day("2026-11-05"),
        end: day("2026-11-05"),
    };
    let found: Vec<String> = driftscan::pipeline::locate::snapshot_files(&**s, &t, &det, "svc", &w)
        .await
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(
        found,
        [
            "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/05/data.csv",
            "modeldata/sub1/rg/ws/svc/churn/2/inputs/2026/11/5/inputs_2.csv"
        ]
    );
    let week = Window {
        start: day("2026-11-02"),
        end: day("2026-11-08"),
    };
    assert_eq!(
        driftscan::pipeline::locate::snapshot_files(&**s, &t, &det, "svc", &week)
            .await
            .unwrap()
            .len(),
        3
    );
    let none = Window {
        start: day("2026-12-01"),
        end: day("2026-12-01"),
    };
    assert!(
        driftscan::pipeline::locate::snapshot_files(&**s, &t, &det, "svc", &none)
            .await
            .unwrap()
            .is_empty()
    );
    let hourly = SnapshotTemplate::parse("collector").unwrap();
    for key in [
        "modelDataCollector/svc/blue/model_inputs/2026/11/05/00/a.jsonl",
        "modelDataCollector/svc/blue/model_inputs/2026/11/05/23/b.jsonl",
        "modelDataCollector/svc/green/model_inputs/2026/11/05/07/c.jsonl",
        "modelDataCollector/svc/blue/model_outputs/2026/11/05/07/d.jsonl",
    ] {
        s.put(
            &Key::parse(key).unwrap(),
            Bytes::from_static(b"{}\n"),
            PutCondition::Overwrite,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        driftscan::pipeline::locate::snapshot_files(&**s, &hourly, &det, "svc", &w)
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_contract_on_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    suite(Arc::clone(&s)).await;
    // No temporary or lock files are visible through the store.
    let all = s.list(&Key::root()).await.unwrap();
    assert!(
        all.iter().all(|k| !k.as_str().contains("driftscan-")),
        "{all:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_contract_on_azurite() {
    let Some(az) = start_azurite() else { return };
    let s = az.store("suite").await;
    suite(s).await;
    // A prefix store sees only its own keys.
    let prefixed: Arc<dyn Store> = Arc::new(
        BlobStore::with_connection_string("suite", "tenant/a", &az.connection_string()).unwrap(),
    );
    prefixed
        .put(
            &Key::parse("k.json").unwrap(),
            Bytes::from_static(b"p"),
            PutCondition::Create,
        )
        .await
        .unwrap();
    assert_eq!(
        prefixed.list(&Key::root()).await.unwrap(),
        [Key::parse("k.json").unwrap()]
    );
    assert_eq!(prefixed.describe(), "az://suite/tenant/a");
}

/// The error chain of a store error, as a run or a request shows it.
fn chain(e: &StoreError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

const NOT_FOLLOWED: &str = "not a regular file (symbolic links";

/// A symbolic link anywhere in a folder store is neither followed nor listed: not as the last
/// component (a file), not as a folder on the way (for reading, listing, writing and deleting),
/// not even when it points inside the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_store_never_follows_symbolic_links() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.csv"),
        "secret_alpha,secret_beta\n1,2\n",
    )
    .unwrap();
    let outside_folder = outside.path().join("folder");
    std::fs::create_dir(&outside_folder).unwrap();
    std::fs::write(outside_folder.join("x.csv"), "secret_gamma\n1\n").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    let key = |k: &str| Key::parse(k).unwrap();
    s.put(
        &key("training/real.csv"),
        Bytes::from_static(b"a\n1\n"),
        PutCondition::Create,
    )
    .await
    .unwrap();
    symlink(
        outside.path().join("secret.csv"),
        dir.path().join("training/link.csv"),
    )
    .unwrap();
    symlink(&outside_folder, dir.path().join("training/linked")).unwrap();
    symlink(dir.path().join("training"), dir.path().join("inside")).unwrap();
    std::fs::create_dir(dir.path().join("runs")).unwrap();
    symlink(&outside_folder, dir.path().join("runs/churn")).unwrap();

    // Reading through a link, last component or folder on the way, fails and shows nothing of
    // what it points to.
    for k in [
        "training/link.csv",
        "training/linked/x.csv",
        "inside/real.csv",
    ] {
        for e in [
            s.get(&key(k)).await.unwrap_err(),
            s.head(&key(k)).await.unwrap_err(),
            s.get_range(&key(k), 0..10).await.unwrap_err(),
        ] {
            let e = chain(&e);
            assert!(e.contains(NOT_FOLLOWED), "{k}: {e}");
            assert!(!e.contains("secret_"), "{k}: {e}");
        }
    }
    // Listing skips links, files and folders alike.
    assert_eq!(
        s.list(&key("training")).await.unwrap(),
        [key("training/real.csv")]
    );
    assert_eq!(
        s.list_folders(&Key::root()).await.unwrap(),
        ["runs", "training"]
    );
    assert!(s.list_folders(&key("runs")).await.unwrap().is_empty());
    assert!(
        s.list(&Key::root())
            .await
            .unwrap()
            .iter()
            .all(|k| k.as_str() == "training/real.csv"),
    );
    // Listing below a link is refused.
    let e = chain(&s.list(&key("training/linked")).await.unwrap_err());
    assert!(e.contains(NOT_FOLLOWED), "{e}");

    // Writes through a folder link, or over a link, are refused; nothing lands outside.
    for k in [
        "runs/churn/aks-prod/2026/11/16.json",
        "training/link.csv",
        "inside/new.csv",
    ] {
        let e = s
            .put(&key(k), Bytes::from_static(b"{}"), PutCondition::Overwrite)
            .await
            .unwrap_err();
        let e = chain(&e);
        assert!(e.contains(NOT_FOLLOWED), "{k}: {e}");
    }
    let e = s.delete(&key("runs/churn/x.csv")).await.unwrap_err();
    assert!(chain(&e).contains(NOT_FOLLOWED), "{e}");
    let mut left: Vec<String> = std::fs::read_dir(&outside_folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["x.csv"], "nothing written outside the store");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.csv")).unwrap(),
        "secret_alpha,secret_beta\n1,2\n"
    );
    assert!(!dir.path().join("training/new.csv").exists());
    assert!(
        std::fs::symlink_metadata(dir.path().join("training/link.csv"))
            .unwrap()
            .is_symlink()
    );
}

/// A temporary file left by a writer killed between writing and renaming is removed by the next
/// write to its folder once older than `STALE_TEMP_AGE`; a recent one (a writer that may still be
/// running) is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_temporary_files_are_removed_by_the_next_write() {
    use driftscan::store::local::STALE_TEMP_AGE;
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    let folder = dir.path().join("runs/churn/aks-prod/2026/11");
    std::fs::create_dir_all(&folder).unwrap();
    let old = folder.join(".15.json.4242.0.driftscan-tmp");
    let fresh = folder.join(".14.json.4242.1.driftscan-tmp");
    for path in [&old, &fresh] {
        std::fs::write(path, b"{\"half").unwrap();
    }
    let past = std::time::SystemTime::now() - STALE_TEMP_AGE - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(past)
        .unwrap();
    s.put(
        &Key::parse("runs/churn/aks-prod/2026/11/16.json").unwrap(),
        Bytes::from_static(b"{}"),
        PutCondition::Overwrite,
    )
    .await
    .unwrap();
    assert!(!old.exists(), "the orphan is removed");
    assert!(
        fresh.exists(),
        "a recent temporary file is left to its writer"
    );
    assert!(folder.join("16.json").exists());
}

#[tokio::test]
async fn local_store_refuses_az_locations_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    let roots = driftscan::store::DataRoots::parse("az://data").unwrap();
    let err = driftscan::pipeline::locate::baseline_files(&s, &roots, "az://data/train.csv")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`az://data`") && err.contains("Blob Storage"),
        "{err}"
    );
    // Without the container among the data roots, it is refused before anything is asked.
    let err = driftscan::pipeline::locate::baseline_files(
        &s,
        &driftscan::store::DataRoots::store_only(),
        "az://data/train.csv",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("not in the store nor in a data root"), "{err}");
}

/// Answers the managed-identity token request like the Functions platform's local endpoint and
/// every storage request with 404, recording what it was sent (first line and headers).
fn fake_identity_and_storage() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line.to_ascii_lowercase());
            }
            let response = if head.starts_with("get /msi/token") {
                let expires = chrono::Utc::now().timestamp() + 3600;
                let body = format!(
                    r#"{{"access_token":"fake-token","expires_on":"{expires}","resource":"https://storage.azure.com","token_type":"Bearer"}}"#
                );
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            };
            seen2.lock().unwrap().push(head);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, seen)
}

/// In Azure Functions the store authenticates with the app's managed identity: the platform sets
/// `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`, driftscan asks that endpoint for a storage token and
/// sends it as a bearer token. Checked against a loopback stand-in for both services.
#[test]
fn blob_store_uses_the_functions_managed_identity_endpoint() {
    let (port, seen) = fake_identity_and_storage();
    let out = Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args(["detectors", "get", "churn", "--store", "az://drift/prod"])
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env(
            "IDENTITY_ENDPOINT",
            format!("http://127.0.0.1:{port}/msi/token"),
        )
        .env("IDENTITY_HEADER", "platform-secret")
        .env("AZURE_STORAGE_ACCOUNT_NAME", "driftacct")
        .env("AZURE_STORAGE_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("AZURE_ALLOW_HTTP", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("detector `churn` does not exist in `az://drift/prod`"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap();
    let token = seen
        .iter()
        .find(|h| h.starts_with("get /msi/token"))
        .expect("token requested");
    assert!(
        token.contains("resource=https://storage.azure.com")
            || token.contains("resource=https%3a%2f%2fstorage.azure.com"),
        "{token}"
    );
    assert!(token.contains("api-version=2019-08-01"), "{token}");
    assert!(
        token.contains("x-identity-header: platform-secret"),
        "{token}"
    );
    let blob = seen
        .iter()
        .find(|h| h.contains("/drift/prod/detectors/churn.json"))
        .expect("blob requested");
    assert!(blob.contains("authorization: bearer fake-token"), "{blob}");
}
