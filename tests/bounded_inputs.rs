//! Inputs that took the process down or held it without bound: a saved profile that inflates to
//! gigabytes, files of a million columns, a snapshot of 100,000 small files. Each is refused with
//! a one-line error or read, within bounded memory and open files, through the command line and
//! the service.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::fuzz::{Limits, as_version_3, defect, profile_bomb, profile_of, run_limited};
use crate::harness::server::Server;
use crate::service::churn_csv;

/// Far below what reading a bomb whole would take, far above what a one-line error needs.
const BOMB_LIMITS: Limits = Limits {
    address_space: 2 << 30,
    open_files: None,
    timeout: Duration::from_secs(120),
};

/// Where the legacy snapshot layout puts a day's files of service `aks-prod`.
const SNAPSHOT_DAY: &str = "modeldata/sub/rg/ws/aks-prod/churn/2/inputs/2026/11/16";

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// The one line of an exit-2 error, after checking there is exactly one.
fn one_error_line(args: &[&str], limits: Limits) -> String {
    let o = run_limited(args, limits);
    assert_eq!(o.code, Some(2), "{}: {}", o.label, o.stderr);
    assert!(defect(&o).is_none(), "{:?}", defect(&o));
    o.stderr.trim().to_string()
}

#[test]
fn a_profile_that_inflates_to_gigabytes_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let valid = profile_of("basic.csv");
    let bomb = profile_bomb(&valid, 4 << 30);
    assert!(
        bomb.len() < 1 << 20,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    let bomb_path = dir.path().join("bomb.profile");
    write(&bomb_path, &bomb);
    // A version 3 file has no declared length; it is refused by its version before a byte of it
    // is inflated.
    let old_path = dir.path().join("old.profile");
    write(&old_path, as_version_3(&profile_bomb(&valid, 2 << 30)));
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/basic_target.csv");
    let out = dir.path().join("out.profile");
    for (file, expected) in [
        (&bomb_path, "corrupt profile"),
        (&old_path, "profile format version 3 is not supported"),
    ] {
        let file = file.to_str().unwrap();
        for args in [
            vec![
                "scan",
                "--baseline",
                file,
                "--target",
                target.to_str().unwrap(),
            ],
            vec!["profile", "merge", file, "--out", out.to_str().unwrap()],
        ] {
            let line = one_error_line(&args, BOMB_LIMITS);
            assert!(line.contains(expected), "{line}");
        }
    }
    let line = one_error_line(
        &[
            "profile",
            "merge",
            bomb_path.to_str().unwrap(),
            "--out",
            "x",
        ],
        BOMB_LIMITS,
    );
    assert!(
        line.contains("bytes its header declares"),
        "the error names the sizes: {line}"
    );
    assert!(!out.exists());
}

/// A detector whose snapshot holds a profile bomb: the run is recorded failed with the reason,
/// and the server answers on, its memory far below the bomb's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_bomb_in_a_snapshot_fails_its_run_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("training/churn.csv"),
        churn_csv(1, false, false),
    );
    let bomb = profile_bomb(&profile_of("basic.csv"), 4 << 30);
    write(&dir.path().join(SNAPSHOT_DAY).join("day.profile"), &bomb);
    let server = Server::start(dir.path(), &[], &[("DRIFTSCAN_METRICS_FILE", "off")]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let def = json!({"name": "bombed", "model_name": "churn", "model_version": 2,
                     "services": ["aks-prod"], "baseline": "training/churn.csv",
                     "snapshots": "legacy"});
    server.create_detector(&client, &def).await;
    let body = server.run_detector(&client, "bombed", "2026-11-16").await;
    let run = &body["runs"][0];
    assert_eq!(run["status"], "failed", "{body}");
    assert!(run.to_string().contains("corrupt profile"), "{body}");
    let stored = dir.path().join("runs/bombed/aks-prod/2026/11/16.json");
    let stored = std::fs::read_to_string(&stored).expect("the failed run is recorded");
    assert!(stored.contains("corrupt profile"), "{stored}");
    // Still up, and never near the bomb's 4 GB.
    let r = client
        .get(format!("{}/api/detectors/bombed", server.base))
        .send()
        .await
        .expect("the server answers after the run");
    assert_eq!(r.status().as_u16(), 200);
    let peak = server.peak_rss();
    assert!(peak < 1 << 30, "peak RSS {} MB", peak >> 20);
}

/// A file wider than the column limit is refused as its header is read (CSV) or its first row
/// is typed (JSON lines), within a 1 GiB address space: a million columns used to take 5.5 GB. A
/// file at the limit is read (see `readers::issue12_case13_csv_of_100000_columns_is_read`).
#[test]
fn files_of_too_many_columns_are_refused_before_their_memory_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let limit = driftscan::data::MAX_COLUMNS;
    let limits = Limits {
        address_space: 1 << 30,
        open_files: None,
        timeout: Duration::from_secs(120),
    };
    let million = dir.path().join("million.csv");
    let names: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
    let values: Vec<String> = (0..1_000_000).map(|i| (i % 7).to_string()).collect();
    write(
        &million,
        format!("{}\n{}\n", names.join(","), values.join(",")),
    );
    let over = limit + 1;
    let json_line = dir.path().join("wide.jsonl");
    let object: serde_json::Map<String, Value> =
        (0..over).map(|i| (format!("c{i}"), json!(i))).collect();
    write(&json_line, format!("{}\n", Value::Object(object)));
    let out = dir.path().join("out.profile");
    for (file, count) in [(&million, 1_000_000), (&json_line, over)] {
        let line = one_error_line(
            &[
                "profile",
                "--input",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            limits,
        );
        assert!(
            line.contains(&format!("has {count} columns, more than the {limit}")),
            "{line}"
        );
    }
    assert!(!out.exists());
}

/// A snapshot of 100,000 one-row CSV files, scored by a detector run under a limit of 1,024 open
/// files: every file is read (one open at a time), in time proportional to their bytes.
#[test]
fn a_snapshot_of_100000_small_files_is_read_under_1024_open_files() {
    const FILES: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    write(
        &store.join("training/churn.csv"),
        churn_csv(1, false, false),
    );
    let day = store.join(SNAPSHOT_DAY);
    std::fs::create_dir_all(&day).unwrap();
    for i in 0..FILES {
        let plan = ["basic", "plus", "premium"][i % 3];
        std::fs::write(
            day.join(format!("part-{i:06}.csv")),
            format!(
                "age,income,plan\n{},{},{plan}\n",
                20 + i % 50,
                40_000 + i % 9_000
            ),
        )
        .unwrap();
    }
    let def = dir.path().join("many.json");
    write(
        &def,
        json!({"name": "many", "model_name": "churn", "model_version": 2,
               "services": ["aks-prod"], "baseline": "training/churn.csv",
               "snapshots": "legacy"})
        .to_string(),
    );
    let store_arg = format!("--store={}", store.display());
    let limits = Limits {
        address_space: 4 << 30,
        open_files: Some(1024),
        timeout: Duration::from_secs(120),
    };
    let o = run_limited(
        &["detectors", &store_arg, "create", def.to_str().unwrap()],
        limits,
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = run_limited(
        &[
            "detectors",
            &store_arg,
            "run",
            "many",
            "--date",
            "2026-11-16",
        ],
        limits,
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    eprintln!(
        "{FILES} files: detector run in {:.1} s",
        o.elapsed.as_secs_f64()
    );
    let result: Value = serde_json::from_slice(
        &std::fs::read(store.join("runs/many/aks-prod/2026/11/16.json"))
            .expect("the run is recorded"),
    )
    .unwrap();
    assert_eq!(result["run"]["status"], "succeeded", "{}", result["run"]);
    assert_eq!(
        result["target"]["rows"], FILES as u64,
        "{}",
        result["target"]
    );
    assert_eq!(
        result["target"]["files"], FILES as u64,
        "{}",
        result["target"]
    );
}
