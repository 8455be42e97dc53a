//! Symbolic links and special files wherever driftscan reads or writes a path: links in a folder
//! store or a data root are never followed by the service, and a command-line output path that
//! is a link, a FIFO or a device is never renamed over.

use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::stderr;
use crate::harness::server::Server;
use crate::service::churn_csv;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// `driftscan` run in `dir` with the umask `mask`.
fn driftscan_with_umask(args: &[&str], dir: &Path, mask: libc::mode_t) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftscan"));
    cmd.args(args).current_dir(dir);
    // SAFETY: umask is async-signal-safe and touches only the child's own process state.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
    cmd.output().expect("driftscan runs")
}

fn profile_to(out: &Path, dir: &Path) -> Output {
    let input = data("basic.csv");
    driftscan_with_umask(
        &[
            "profile",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir,
        0o022,
    )
}

/// A fresh output file gets 0666 less the umask, like any file a command writes.
#[test]
fn profile_out_gets_the_permissions_the_umask_gives() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("basic.csv");
    for (mask, want) in [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)] {
        let out = dir.path().join(format!("p{mask:o}.profile"));
        let o = driftscan_with_umask(
            &[
                "profile",
                "--input",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
            mask,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, want, "umask {mask:o}");
    }
}

/// `--out` a FIFO: the profile is streamed into it and the FIFO stays a FIFO (as `/dev/null`
/// stays a device); the bytes are those of the same profile written to a file.
#[test]
fn profile_out_streams_into_a_fifo_and_leaves_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.profile");
    let o = profile_to(&file, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let fifo = dir.path().join("pipe.profile");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let o = profile_to(&fifo, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "still a FIFO: {kind:?}");
    // Should the command not have written into the FIFO, the reader still waits: open and close
    // the writing end so that it sees an end of file (and the comparison below fails).
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo);
    let streamed = reader.join().unwrap();
    assert_eq!(streamed, std::fs::read(&file).unwrap());
}

/// `--out` (and `scan --report`) a symbolic link: refused, the link and its target untouched.
#[test]
fn output_paths_that_are_symbolic_links_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("link.profile");
    symlink(&target, &link).unwrap();

    let o = profile_to(&link, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));

    let report = dir.path().join("report.html");
    symlink(&target, &report).unwrap();
    std::fs::write(dir.path().join("b.csv"), churn_csv(1, false, false)).unwrap();
    std::fs::write(dir.path().join("t.csv"), churn_csv(2, true, false)).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args([
            "scan",
            "--baseline",
            "b.csv",
            "--target",
            "t.csv",
            "--report",
            report.to_str().unwrap(),
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));

    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    for l in [&link, &report] {
        assert!(std::fs::symlink_metadata(l).unwrap().is_symlink());
    }
    let temps: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("driftscan-tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn definition(name: &str, baseline: &str) -> Value {
    json!({"name": name, "model_name": "churn", "model_version": 2, "services": ["aks-prod"],
           "baseline": baseline, "snapshots": "snapshots/{service}/{yyyy}/{MM}/{dd}/"})
}

/// The service (`driftscan serve`) reads and writes nothing through a symbolic link: a link to a
/// secret file in the store, a link in the middle of a path below a data root, and a link from a
/// detector's results folder to a folder outside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_never_follows_links_in_the_store_or_a_data_root() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "secret_alpha,secret_beta\n1,2\n3,4\n").unwrap();
    let landing = outside.path().join("landing");
    std::fs::create_dir(&landing).unwrap();
    std::fs::write(outside.path().join("train.csv"), churn_csv(1, false, false)).unwrap();

    let store = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let training = store.path().join("training");
    std::fs::create_dir_all(&training).unwrap();
    std::fs::write(training.join("churn.csv"), churn_csv(1, false, false)).unwrap();
    symlink(&secret, training.join("link.csv")).unwrap();
    std::fs::create_dir_all(store.path().join("runs")).unwrap();
    symlink(&landing, store.path().join("runs/landed")).unwrap();
    std::fs::create_dir_all(root.path().join("sub")).unwrap();
    symlink(outside.path(), root.path().join("sub/link")).unwrap();

    let server = Server::start(
        store.path(),
        &[],
        &[
            ("DRIFTSCAN_DATA_ROOTS", root.path().to_str().unwrap()),
            ("DRIFTSCAN_METRICS_FILE", "off"),
        ],
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let in_root = format!("{}/sub/link/train.csv", root.path().display());
    for (name, baseline) in [
        ("secret", "training/link.csv"),
        ("rooted", in_root.as_str()),
        ("landed", "training/churn.csv"),
    ] {
        let (st, body) = post(
            &client,
            format!("{}/api/detectors", server.base),
            definition(name, baseline),
        )
        .await;
        assert_eq!(st, 201, "{name}: {body}");
    }

    // A link as the file, and a link as a folder below a data root: the run fails and says why,
    // with nothing of what the link points to.
    for name in ["secret", "rooted"] {
        let (st, body) = post(
            &client,
            format!("{}/api/detectors/{name}/run", server.base),
            json!({"target_date": "2026-11-16"}),
        )
        .await;
        assert_eq!(st, 200, "{name}: {body}");
        assert_eq!(body["runs"][0]["status"], "failed", "{name}: {body}");
        let error = body["runs"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("not a regular file (symbolic links"),
            "{name}: {error}"
        );
        assert!(!error.contains("secret_"), "{name}: {error}");
        assert!(!error.contains("age"), "{name}: {error}");
    }

    // A link from the results folder to a folder outside: nothing is written there, and the
    // caller is told why.
    let (st, body) = post(
        &client,
        format!("{}/api/detectors/landed/run", server.base),
        json!({"target_date": "2026-11-16"}),
    )
    .await;
    assert_eq!(st, 500, "{body}");
    assert_eq!(body["error"]["code"], "store_error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file (symbolic links"),
        "{body}"
    );
    assert_eq!(
        std::fs::read_dir(&landing).unwrap().count(),
        0,
        "nothing lands outside the store"
    );
    assert!(
        std::fs::symlink_metadata(store.path().join("runs/landed"))
            .unwrap()
            .is_symlink()
    );
}
