//! One pipeline for the CLI and the service: the regressions of issue 11, each on the folder store
//! and on Blob Storage (Azurite).
//!
//! * gzipped snapshots are scored, not "no data";
//! * the baseline's cache key is the one content hash, the same the CLI's profile carries;
//! * the service reads snapshots and baselines by range and checks existence with HEAD, never
//!   downloading a file whole;
//! * `driftscan report` and `driftscan infra params` work on `az://` stores.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::NaiveDate;
use driftscan::detector::{Detector, Window};
use driftscan::drift::result::{RunStatus, RunType};
use driftscan::pipeline;
use driftscan::store::{
    self, Key, LocalStore, Object, ObjectMeta, PutCondition, Store, StoreError, Version,
};

use crate::harness::azurite::{Azurite, start_azurite};
use crate::service::churn_csv;

/// A store that counts what is asked of it, by operation and key.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn Store>,
    calls: Mutex<BTreeMap<(String, String), usize>>,
}

impl Counting {
    fn new(inner: Arc<dyn Store>) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            calls: Mutex::new(BTreeMap::new()),
        })
    }

    fn count(&self, op: &str, key: &Key) {
        *self
            .calls
            .lock()
            .unwrap()
            .entry((op.to_string(), key.to_string()))
            .or_default() += 1;
    }

    /// Calls of `op` on keys containing `part`.
    fn calls(&self, op: &str, part: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|((o, k), _)| o == op && k.contains(part))
            .map(|(_, n)| n)
            .sum()
    }

    fn reset(&self) {
        self.calls.lock().unwrap().clear();
    }
}

#[async_trait]
impl Store for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Object>, StoreError> {
        self.count("get", key);
        self.inner.get(key).await
    }
    async fn put(&self, key: &Key, bytes: Bytes, c: PutCondition) -> Result<Version, StoreError> {
        self.count("put", key);
        self.inner.put(key, bytes, c).await
    }
    async fn head(&self, key: &Key) -> Result<Option<ObjectMeta>, StoreError> {
        self.count("head", key);
        self.inner.head(key).await
    }
    async fn get_range(&self, key: &Key, range: Range<u64>) -> Result<Bytes, StoreError> {
        self.count("get_range", key);
        self.inner.get_range(key, range).await
    }
    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn list_folders(&self, prefix: &Key) -> Result<Vec<String>, StoreError> {
        self.inner.list_folders(prefix).await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn sibling_container(&self, container: &str) -> Result<Arc<dyn Store>, StoreError> {
        self.inner.sibling_container(container)
    }
    // No `open_local_file`: reads go through `get_range`, where they can be counted.
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

async fn put(s: &dyn Store, key: &str, bytes: Vec<u8>) {
    s.put(
        &Key::parse(key).unwrap(),
        bytes.into(),
        PutCondition::Overwrite,
    )
    .await
    .unwrap();
}

fn detector(name: &str) -> Detector {
    Detector::from_json(
        format!(
            r#"{{"name":"{name}","model_name":"churn","model_version":2,"services":["aks-prod"],
                 "baseline":"training/churn.csv","snapshots":"legacy"}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

const DAY_FOLDER: &str = "modeldata/sub/rg/ws/aks-prod/churn/2/inputs/2026/11/16";

async fn seed_store(s: &dyn Store) {
    put(
        s,
        "training/churn.csv",
        churn_csv(1, false, false).into_bytes(),
    )
    .await;
    put(
        s,
        &format!("{DAY_FOLDER}/data.csv.gz"),
        gzip(&churn_csv(2, true, true)),
    )
    .await;
}

async fn regressions(inner: Arc<dyn Store>) {
    let counting = Counting::new(inner);
    let s: Arc<dyn Store> = counting.clone();
    seed_store(&*s).await;
    let det = detector("gz");
    let window = Window {
        start: day("2026-11-16"),
        end: day("2026-11-16"),
    };
    counting.reset();

    // A gzipped snapshot is read like any other data file.
    let runs = pipeline::run_window(&s, &det, window, RunType::Adhoc)
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{runs:?}");
    assert!(runs[0].has_drift, "{runs:?}");

    // Nothing was downloaded whole: data and baseline bytes come by range, existence by HEAD.
    assert_eq!(counting.calls("get", "training/"), 0);
    assert_eq!(counting.calls("get", "modeldata/"), 0);
    assert!(counting.calls("get_range", "modeldata/") >= 1);
    assert!(counting.calls("head", "training/churn.csv") >= 1);
    // First run of the detector: the baseline is read once (profiled; the profile carries its
    // content hash), then cached.
    assert_eq!(counting.calls("get_range", "training/churn.csv"), 1);

    // The cache key is the content hash, the one the CLI's profile of the same file carries.
    let cached = cached_profiles(&s, "gz").await;
    assert_eq!(cached.len(), 1, "{cached:?}");
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("churn.csv");
    std::fs::write(&local, churn_csv(1, false, false)).unwrap();
    let cli =
        pipeline::local::profile_dataset("baseline", &local.to_string_lossy(), &Default::default())
            .unwrap();
    assert_eq!(
        cached[0],
        format!("baselines/gz/{}.profile", cli.content_hash)
    );

    // A second run reads the cached profile: the baseline's bytes are not read again (the
    // process remembers their hash while HEAD shows the same tag).
    counting.reset();
    let runs = pipeline::run_window(&s, &det, window, RunType::Adhoc)
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(counting.calls("get_range", "training/"), 0);
    assert_eq!(counting.calls("get", "training/"), 0);

    // A changed baseline is read once, by the profile that also hashes it, not hashed first and
    // profiled on the cache miss.
    put(
        &*s,
        "training/churn.csv",
        churn_csv(3, false, false).into_bytes(),
    )
    .await;
    counting.reset();
    let runs = pipeline::run_window(&s, &det, window, RunType::Adhoc)
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{runs:?}");
    assert_eq!(counting.calls("get_range", "training/churn.csv"), 1);
    assert_eq!(cached_profiles(&s, "gz").await.len(), 2);
}

/// The cached baseline profiles of `detector` (beside them, the record of which files they
/// were built from).
async fn cached_profiles(s: &Arc<dyn Store>, detector: &str) -> Vec<String> {
    let prefix = Key::parse(&format!("baselines/{detector}")).unwrap();
    s.list(&prefix)
        .await
        .unwrap()
        .iter()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.ends_with(".profile"))
        .collect()
}

/// After a restart, a run finds the cached baseline profile from the store's record of the
/// baseline's files (keys and change tags), without reading the data: here the file's bytes are
/// changed behind a kept size and modification time, and the second process still reports the
/// first content hash.
#[test]
fn a_new_process_finds_the_cached_baseline_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    std::fs::create_dir_all(store.join("training")).unwrap();
    std::fs::create_dir_all(store.join(DAY_FOLDER)).unwrap();
    let baseline = store.join("training/churn.csv");
    std::fs::write(&baseline, churn_csv(1, false, false)).unwrap();
    std::fs::write(
        store.join(DAY_FOLDER).join("data.csv"),
        churn_csv(2, true, true),
    )
    .unwrap();
    let definition = store.join("gz.json");
    std::fs::write(
        &definition,
        r#"{"name":"gz","model_name":"churn","model_version":2,"services":["aks-prod"],
            "baseline":"training/churn.csv","snapshots":"legacy"}"#,
    )
    .unwrap();
    let location = store.to_str().unwrap();
    let made = driftscan(
        &[
            "detectors",
            "--store",
            location,
            "create",
            definition.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let content_hash = || {
        let out = driftscan(
            &[
                "detectors",
                "--store",
                location,
                "run",
                "gz",
                "--date",
                "2026-11-16",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(
            &std::fs::read(store.join("runs/gz/aks-prod/2026/11/16.json")).unwrap(),
        )
        .unwrap();
        doc["baseline"]["content_hash"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = content_hash();
    // Same size, same modification time, other bytes: only a reader of the bytes would notice.
    let modified = std::fs::metadata(&baseline).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&baseline).unwrap();
    let swapped = text.replacen("a", "b", 1);
    assert_eq!(swapped.len(), text.len());
    std::fs::write(&baseline, swapped).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&baseline)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(
        content_hash(),
        first,
        "the second process read the baseline again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pipeline_on_the_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    regressions(Arc::new(LocalStore::new(dir.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pipeline_on_azurite() {
    let Some(az) = start_azurite() else { return };
    regressions(az.store("pipeline").await).await;
}

fn driftscan(args: &[&str], az: Option<&Azurite>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_driftscan"));
    cmd.args(args);
    if let Some(az) = az {
        cmd.env("AZURE_STORAGE_CONNECTION_STRING", az.connection_string());
    }
    cmd.output().unwrap()
}

/// `report` and `infra params` go through the store API, so they work on Blob Storage too.
async fn commands_on(location: &str, s: Arc<dyn Store>, az: Option<&Azurite>) {
    seed_store(&*s).await;
    let det = detector("cli");
    store::put_detector(&*s, &det, PutCondition::Create)
        .await
        .unwrap();
    let window = Window {
        start: day("2026-11-16"),
        end: day("2026-11-16"),
    };
    pipeline::run_window(&s, &det, window, RunType::Adhoc)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("history.html");
    let out = driftscan(
        &[
            "report",
            "--store",
            location,
            "--detector",
            "cli",
            "--out",
            page.to_str().unwrap(),
        ],
        az,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Drift history: cli") && html.contains("2026-11-16"));

    let out = driftscan(
        &["infra", "params", "--store", location, "--format", "tfvars"],
        az,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"cli\" = {"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_infra_read_a_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    commands_on(dir.path().to_str().unwrap(), s, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_infra_read_an_azure_store() {
    let Some(az) = start_azurite() else { return };
    let s = az.store("commands").await;
    commands_on("az://commands", s, Some(&az)).await;
}

/// Issue 12: storage faults while a snapshot is read (503s, dropped connections, stalls, bodies
/// cut short) fail the run in bounded time, record it as failed beside the earlier result, and
/// never lose or overwrite that result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_faults_fail_the_run_and_keep_the_earlier_result() {
    use crate::harness::faults::{Fault, FaultProxy};
    use driftscan::store::BlobStore;
    use std::time::{Duration, Instant};

    let Some(az) = start_azurite() else { return };
    let direct = az.store("faults").await;
    seed_store(&*direct).await;
    let upstream = az
        .endpoint
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let proxy = FaultProxy::start(upstream).await;
    let through = az.connection_string().replace(
        &format!(
            "http://{}",
            az.endpoint
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap()
        ),
        &proxy.url,
    );
    let s: Arc<dyn Store> = Arc::new(
        BlobStore::with_connection_string_and_limits(
            "faults",
            "",
            &through,
            Duration::from_secs(2),
            1,
        )
        .unwrap(),
    );
    let det = detector("faulty");
    let window = Window {
        start: day("2026-11-16"),
        end: day("2026-11-16"),
    };
    let good = pipeline::run_window(&s, &det, window, RunType::Adhoc)
        .await
        .unwrap();
    assert_eq!(good[0].status, RunStatus::Succeeded);
    let key = store::keys::run("faulty", "aks-prod", day("2026-11-16")).unwrap();
    let stored = direct.get(&key).await.unwrap().unwrap().bytes;

    for fault in [
        Fault::ServerError,
        Fault::Drop,
        Fault::Stall,
        Fault::PartialBody,
    ] {
        proxy.set("/modeldata/", fault);
        let started = Instant::now();
        let runs = pipeline::run_window(&s, &det, window, RunType::Adhoc)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: the run could not be recorded: {e}"));
        let took = started.elapsed();
        assert_eq!(runs[0].status, RunStatus::Failed, "{fault:?}: {runs:?}");
        assert_eq!(runs[0].recorded, "failed_attempt", "{fault:?}");
        assert!(took < Duration::from_secs(30), "{fault:?} took {took:?}");
        assert_eq!(
            direct.get(&key).await.unwrap().unwrap().bytes,
            stored,
            "{fault:?}: the earlier result is unchanged"
        );
        let failed = store::keys::failed_run("faulty", "aks-prod", day("2026-11-16")).unwrap();
        let attempt: serde_json::Value =
            serde_json::from_slice(&direct.get(&failed).await.unwrap().unwrap().bytes).unwrap();
        assert_eq!(attempt["run"]["status"], "failed", "{fault:?}");
        println!("{fault:?}: failed in {took:?}: {}", attempt["run"]["error"]);
    }
}
