//! Hostile callers and bounded resources in the service (issue 12, the numbered cases): each
//! test names the case it pins. Readers' cases live with the readers' tests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test as at;
use bytes::Bytes;
use chrono::NaiveDate;
use driftscan::drift::result::RunStatus;
use driftscan::functions::{self, AppState};
use driftscan::store::{self, Key, LocalStore, PutCondition, Store};
use serde_json::{Value, json};

use crate::harness::server::Server;
use crate::service::churn_csv;

fn local() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    (dir, s)
}

/// A baseline and a drifted snapshot for 2026-11-16 in the legacy collector's layout.
async fn seed_drifted_day(s: &dyn Store) {
    put(s, "training/churn.csv", churn_csv(1, false, false)).await;
    put(
        s,
        "modeldata/sub/rg/ws/aks-prod/churn/2/inputs/2026/11/16/data.csv",
        churn_csv(2, true, true),
    )
    .await;
}

async fn put(s: &dyn Store, key: &str, body: impl Into<Bytes>) {
    s.put(
        &Key::parse(key).unwrap(),
        body.into(),
        PutCondition::Overwrite,
    )
    .await
    .unwrap();
}

fn detector(name: &str, baseline: &str) -> Value {
    json!({"name": name, "model_name": "churn", "model_version": 2, "services": ["aks-prod"],
           "baseline": baseline, "snapshots": "legacy"})
}

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let resp = at::call_service(&$app, $req.to_request()).await;
        let status = resp.status();
        let body = at::read_body(resp).await;
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
        )
    }};
}

/// Case 1: no file outside the store or the data roots is reachable through the API, and the
/// answer is the same whether or not something exists there.
#[actix_web::test]
async fn case_1_locations_outside_the_store_are_refused_alike() {
    let (dir, s) = local();
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let mut messages = Vec::new();
    for location in [
        "/etc/passwd",
        "/etc/no-such-file",
        "/proc/self/environ",
        "/dev/zero",
        "az://other-container/train.csv",
    ] {
        let (st, body) = call!(
            app,
            at::TestRequest::post()
                .uri("/api/detectors")
                .set_json(detector("outside", location))
        );
        assert_eq!(st, StatusCode::BAD_REQUEST, "{location}: {body}");
        assert_eq!(body["error"]["code"], "invalid_location");
        messages.push(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .replace(location, "<location>"),
        );
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "one message whatever exists: {messages:?}"
    );
    assert!(!dir.path().join("detectors/outside.json").exists());

    // A symbolic link placed in the store folder is not followed, and the run says why without
    // showing anything of the file it points to.
    std::fs::create_dir_all(dir.path().join("training")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("training/link.csv")).unwrap();
    let (st, _) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector("linked", "training/link.csv"))
    );
    assert_eq!(st, StatusCode::CREATED);
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/linked/run")
            .set_json(json!({"target_date": "2026-11-16"}))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["runs"][0]["status"], "failed", "{body}");
    let error = body["runs"][0]["error"].as_str().unwrap();
    assert!(!error.contains("root:"), "{error}");

    // A definition written into the store by hand, before a rule existed, fails at run time.
    put(
        &*s,
        "detectors/legacy.json",
        serde_json::to_vec(&detector("legacy", "training/churn.csv")).unwrap(),
    )
    .await;
    let old = r#"{"name":"legacy","model_name":"churn","model_version":2,"services":["aks-prod"],"baseline":"/etc/passwd"}"#;
    std::fs::write(dir.path().join("detectors/legacy.json"), old).unwrap();
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/legacy/run")
            .set_json(json!({"target_date": "2026-11-16"}))
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(
        body["runs"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not in the store nor in a data root"),
        "{body}"
    );
}

/// Case 2 (the request side): a webhook that never answers does not hold `POST /run`; the
/// delivery runs in the background and its outcome is written beside the result. Checked by
/// order of events, not by a clock: the run answers while the webhook still holds the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_a_stalling_webhook_does_not_hold_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).unwrap());
    seed_drifted_day(&*s).await;
    // A webhook that holds every request until the test lets it answer; the sink's budget is far
    // beyond the test's waits, so nothing but the release can end the delivery.
    let hook = HeldWebhook::start();
    let server = Server::start(
        dir.path(),
        &[],
        &[
            ("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE", "1"),
            ("DRIFTSCAN_METRICS_FILE", "off"),
            ("DRIFTSCAN_SINK_TIMEOUT_SECS", "600"),
            ("DRIFTSCAN_SINK_REQUEST_TIMEOUT_SECS", "600"),
        ],
    );
    // A timeout only against a hang: a run that waited for the webhook would never answer here.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut def = detector("hooked", "training/churn.csv");
    def["alert"] = json!({"webhook": hook.url});
    server.create_detector(&client, &def).await;
    let body = server.run_detector(&client, "hooked", "2026-11-16").await;
    assert_eq!(body["runs"][0]["has_drift"], true, "{body}");
    // The answer came while the delivery was still open: the webhook got the alert (now or
    // shortly after) and has not answered it, so no outcome can be recorded yet.
    let outcome = dir
        .path()
        .join("runs/hooked/aks-prod/2026/11/16.delivery.json");
    hook.wait_for_request(Duration::from_secs(60));
    assert!(
        !outcome.exists(),
        "outcome recorded before the webhook answered"
    );
    // Released, the webhook refuses the alert (400: not retried); the background delivery
    // records that outcome beside the result.
    hook.release();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !outcome.exists() {
        assert!(Instant::now() < deadline, "no delivery outcome recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recorded: Value = serde_json::from_slice(&std::fs::read(&outcome).unwrap()).unwrap();
    assert_eq!(recorded["fully_delivered"], false, "{recorded}");
}

/// A webhook on loopback that reads each request, then holds it unanswered until
/// [`HeldWebhook::release`], and answers 400 from then on.
struct HeldWebhook {
    url: String,
    received: std::sync::mpsc::Receiver<()>,
    release: Arc<std::sync::Barrier>,
}

impl HeldWebhook {
    fn start() -> Self {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (seen, received) = std::sync::mpsc::channel();
        let release = Arc::new(std::sync::Barrier::new(2));
        let gate = release.clone();
        std::thread::spawn(move || {
            let mut released = false;
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                // Read the body too, so that closing the connection later is not a reset.
                let head_text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let length = head_text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = conn.read_exact(&mut body);
                let _ = seen.send(());
                if !released {
                    gate.wait();
                    released = true;
                }
                let _ = conn.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        HeldWebhook {
            url,
            received,
            release,
        }
    }

    /// Waits until a request has arrived; fails the test after `limit` (a hang, not a speed).
    fn wait_for_request(&self, limit: Duration) {
        self.received
            .recv_timeout(limit)
            .expect("the alert reached the webhook");
    }

    /// Lets the held request, and every later one, be answered.
    fn release(&self) {
        self.release.wait();
    }
}

/// Case 3: a server reachable from the network requires a key; the probe names no path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_3_serving_the_network_requires_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args(["serve", "--host", "0.0.0.0", "--port", "0"])
        .env("DRIFTSCAN_STORE", dir.path())
        .env_remove("DRIFTSCAN_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("set DRIFTSCAN_API_KEY"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let key = "correct-horse-battery-staple";
    let server = Server::start(dir.path(), &[], &[("DRIFTSCAN_API_KEY", key)]);
    let client = reqwest::Client::new();
    let probe = client.get(&server.base).send().await.unwrap();
    assert_eq!(probe.status().as_u16(), 200);
    let text = probe.text().await.unwrap();
    assert!(!text.contains(dir.path().to_str().unwrap()), "{text}");
    let list = format!("{}/api/detectors", server.base);
    assert_eq!(
        client.get(&list).send().await.unwrap().status().as_u16(),
        401
    );
    let ok = client
        .get(&list)
        .header("x-functions-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let ok = client.get(&list).bearer_auth(key).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

/// Cases 4, 5 and 7: output is read day by day for the range asked only and paged past 92 days;
/// overrides cannot name services the detector does not have; dates outside the calendar are
/// refused before any arithmetic.
#[actix_web::test]
async fn cases_4_5_7_bounded_output_overrides_and_dates() {
    let (dir, s) = local();
    let app = at::init_service(functions::app(AppState::new(Arc::clone(&s)))).await;
    let (st, _) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors")
            .set_json(detector("hist", "training/churn.csv"))
    );
    assert_eq!(st, StatusCode::CREATED);
    // A year of stored results.
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..365u64 {
        let date = first + chrono::Days::new(i);
        let r = crate::store::result("hist", "aks-prod", date, RunStatus::Succeeded, 0.1);
        store::record_run(&*s, &r).await.unwrap();
    }
    let (st, out) = call!(
        app,
        at::TestRequest::get().uri("/api/detectors/hist/output?start=2025-06-01&end=2025-06-01")
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(out["results"][0]["result"].as_array().unwrap().len(), 1);
    assert!(out.get("next_start").is_none());

    let (st, out) = call!(
        app,
        at::TestRequest::get().uri("/api/detectors/hist/output?start=2025-01-01&end=2025-12-31")
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(out["results"][0]["result"].as_array().unwrap().len(), 92);
    assert_eq!(out["next_start"], "2025-04-03");
    assert_eq!(out["page_end"], "2025-04-02");

    // Case 5: an override naming services the detector does not have writes nothing.
    let before = std::fs::read_dir(dir.path().join("runs/hist"))
        .unwrap()
        .count();
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/hist/run")
            .set_json(json!({"target_date": "2025-06-01", "services": ["x1", "x2"]}))
    );
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`x1` is not one of the detector's services")
    );
    let after = std::fs::read_dir(dir.path().join("runs/hist"))
        .unwrap()
        .count();
    assert_eq!(before, after);

    // Case 7: dates far outside the calendar are a 400, never a panic.
    for uri in [
        "/api/detectors/hist/output?end=-262143-01-01",
        "/api/detectors/hist/output?start=+262142-01-01",
        "/api/detectors/hist/report?end=-262143-01-01",
        "/api/detectors/hist/report?start=1899-12-31&end=2025-01-01",
    ] {
        let (st, body) = call!(app, at::TestRequest::get().uri(uri));
        assert_eq!(st, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
    let (st, body) = call!(
        app,
        at::TestRequest::post()
            .uri("/api/detectors/hist/run")
            .set_json(json!({"target_date": "0001-01-01"}))
    );
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    // A report over more than a year is refused with the limit.
    let (st, body) = call!(
        app,
        at::TestRequest::get().uri("/api/detectors/hist/report?start=2023-01-01&end=2025-12-31")
    );
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "range_too_long");
}

/// A stored result of about `bytes` bytes for `date`: a succeeded result whose `column_metrics`
/// has as many features as it takes (a detector of many wide features writes such results).
fn large_result(detector: &str, service: &str, date: NaiveDate, bytes: usize) -> String {
    let mut r = serde_json::to_value(crate::store::result(
        detector,
        service,
        date,
        RunStatus::Succeeded,
        0.3,
    ))
    .unwrap();
    let entry = |i: usize| {
        json!({format!("feature_{i:06}_of_a_wide_table"): [
            {"name": "datadrift_contribution", "value": 0.001 * (i % 997) as f64},
            {"name": "wasserstein_distance", "value": 1.5 + (i % 13) as f64}]})
    };
    let per_entry = entry(0).to_string().len() + 1;
    r["column_metrics"] = Value::Array((0..bytes / per_entry).map(entry).collect());
    r.to_string()
}

/// What a test reads of an `/output` page; stored results are checked, not held.
#[derive(serde::Deserialize)]
struct OutputPage {
    next_start: Option<String>,
    #[serde(default)]
    cut_by_size: bool,
    results: Vec<PageVerdicts>,
    metrics: Vec<PageMetrics>,
}

#[derive(serde::Deserialize)]
struct PageVerdicts {
    result: Vec<PageDate>,
}

#[derive(serde::Deserialize)]
struct PageDate {
    datetime: String,
}

#[derive(serde::Deserialize)]
struct PageMetrics {
    metrics: Vec<PageDocument>,
}

#[derive(serde::Deserialize)]
struct PageDocument {
    datetime: String,
    column_metrics: Vec<serde::de::IgnoredAny>,
}

/// Walks every page of `GET .../output` from `start` to `end`; answers each page's size in bytes
/// and what the test checks of it.
async fn output_pages(
    client: &reqwest::Client,
    base: &str,
    detector: &str,
    start: &str,
    end: &str,
) -> Vec<(usize, OutputPage)> {
    let mut pages = Vec::new();
    let mut from = start.to_string();
    loop {
        assert!(pages.len() < 100, "pages do not end");
        let r = client
            .get(format!(
                "{base}/api/detectors/{detector}/output?start={from}&end={end}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        // A body cut short would fail here (an incomplete chunked body) or fail to parse.
        let body = r.bytes().await.expect("the whole page");
        let page: OutputPage = serde_json::from_slice(&body).expect("a page is whole JSON");
        let next = page.next_start.clone();
        pages.push((body.len(), page));
        match next {
            Some(n) => from = n,
            None => return pages,
        }
    }
}

/// `/output` pages are capped in bytes as well as days: 40 results of about 3.5 MB come in pages
/// under the cap whose union is every result, in order; twelve callers walking the history at
/// once are answered whole, while the server's peak memory stays within a few pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_pages_are_capped_in_bytes_and_concurrent_callers_queue() {
    const CAP: usize = driftscan::pipeline::history::MAX_OUTPUT_PAGE_BYTES;
    let (dir, _s) = local();
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let days: Vec<NaiveDate> = (0..40u64).map(|i| first + chrono::Days::new(i)).collect();
    let template = large_result("big", "aks-prod", first, 3_500_000);
    let columns = serde_json::from_str::<PageDocument>(&template)
        .unwrap()
        .column_metrics
        .len();
    for day in &days {
        let path = dir
            .path()
            .join(format!("runs/big/aks-prod/{}.json", day.format("%Y/%m/%d")));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, template.replace("2025-01-01", &day.to_string())).unwrap();
    }
    let server = Server::start(dir.path(), &[], &[("DRIFTSCAN_METRICS_FILE", "off")]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    server
        .create_detector(&client, &detector("big", "training/churn.csv"))
        .await;

    let pages = output_pages(&client, &server.base, "big", "2025-01-01", "2025-02-09").await;
    assert!(pages.len() > 1, "{} pages", pages.len());
    let mut seen = Vec::new();
    for (i, (bytes, page)) in pages.iter().enumerate() {
        assert!(*bytes <= CAP + (1 << 20), "page {i}: {bytes} bytes");
        let verdicts = &page.results[0].result;
        let documents = &page.metrics[0].metrics;
        assert!(!documents.is_empty(), "page {i} is empty");
        assert_eq!(verdicts.len(), documents.len());
        for (v, d) in verdicts.iter().zip(documents) {
            assert_eq!(v.datetime, d.datetime);
            assert_eq!(d.column_metrics.len(), columns, "{} is whole", d.datetime);
            seen.push(d.datetime.clone());
        }
        assert_eq!(page.cut_by_size, i + 1 < pages.len(), "page {i}");
    }
    let all: Vec<String> = days.iter().map(ToString::to_string).collect();
    assert_eq!(seen, all, "every result once, in order");
    let one_walk = server.peak_rss();

    // Twelve callers at once, each walking the whole history.
    let walkers: Vec<_> = (0..12)
        .map(|_| {
            let (client, base) = (client.clone(), server.base.clone());
            tokio::spawn(async move {
                output_pages(&client, &base, "big", "2025-01-01", "2025-02-09")
                    .await
                    .iter()
                    .map(|(_, p)| p.metrics[0].metrics.len())
                    .sum::<usize>()
            })
        })
        .collect();
    for w in walkers {
        assert_eq!(w.await.unwrap(), days.len());
    }
    let peak = server.peak_rss();
    eprintln!(
        "output: {} pages; server peak RSS {} MB after one walk, {} MB after twelve at once",
        pages.len(),
        one_walk >> 20,
        peak >> 20
    );
    // The history is 140 MB; twelve callers holding it whole (and a serialized copy) would take
    // gigabytes. Queued, a few pages at a time, the server stays far below.
    assert!(peak < 256 << 20, "peak RSS {} MB", peak >> 20);
}

/// A client that sends a request head, then one byte of its body a second; answers what the
/// server said (if anything) and when the connection ended, counted from the start.
async fn slow_sender(port: u16, until: Duration) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(
            b"POST /api/detectors HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        while started.elapsed() < until {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(until, read.read_to_end(&mut answer)).await;
    let ended = started.elapsed();
    trickle.abort();
    (String::from_utf8_lossy(&answer).into_owned(), ended)
}

/// Slow request bodies are cut off: two hundred clients trickling their bodies a byte a second
/// do not hold up the readiness probe, and each is answered 408 after the body deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_request_bodies_time_out_and_do_not_hold_the_server() {
    let (dir, _s) = local();
    let server = Server::start(dir.path(), &[], &[("DRIFTSCAN_METRICS_FILE", "off")]);
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let limit = functions::REQUEST_BODY_TIMEOUT;
    let senders: Vec<_> = (0..200)
        .map(|_| tokio::spawn(slow_sender(port, limit * 3)))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    for _ in 0..3 {
        let asked = Instant::now();
        let probe = client.get(&server.base).send().await.unwrap();
        assert_eq!(probe.status().as_u16(), 200);
        let took = asked.elapsed();
        assert!(took < Duration::from_secs(2), "GET / took {took:?}");
    }
    let mut ends = Vec::new();
    for s in senders {
        let (answer, ended) = s.await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "after {ended:?}: {answer:?}"
        );
        assert!(answer.contains("request_timeout"), "{answer}");
        ends.push(ended);
    }
    let last = ends.iter().max().unwrap();
    eprintln!(
        "slow senders: first cut after {:?}, last after {last:?}",
        ends.iter().min().unwrap()
    );
    assert!(*last < limit + Duration::from_secs(5), "cut after {last:?}");
    let created = std::fs::read_dir(dir.path().join("detectors")).map_or(0, |d| d.count());
    assert_eq!(created, 0, "a body that never arrived created nothing");
}

/// A listener on loopback that counts the connections it accepts and answers each `200`.
struct CountingListener {
    url: String,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingListener {
    fn start() -> Self {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                conn.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut buf = [0u8; 65536];
                let _ = conn.read(&mut buf);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        CountingListener { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Creates detector `name` alerting `webhook`, runs it on drifted data and answers the webhook
/// channel's delivery record once it is written.
async fn run_and_read_delivery(
    client: &reqwest::Client,
    server: &Server,
    store: &std::path::Path,
    name: &str,
    webhook: &str,
) -> Value {
    let mut def = detector(name, "training/churn.csv");
    def["alert"] = json!({"webhook": webhook});
    server.create_detector(client, &def).await;
    let body = server.run_detector(client, name, "2026-11-16").await;
    assert_eq!(body["runs"][0]["has_drift"], true, "{body}");
    let record = store.join(format!("runs/{name}/aks-prod/2026/11/16.delivery.json"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !record.exists() {
        assert!(
            Instant::now() < deadline,
            "no delivery record for {webhook}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap()
}

/// Webhooks and proxies: with the environment's proxy opted in, a webhook to a loopback name,
/// address or the metadata host is still refused before anything is sent (the proxy sees no
/// connection) and the refusal is in the delivery record; without the opt-in, the environment's
/// proxy is not used at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_through_a_proxy_keep_the_public_address_rule() {
    let (dir, s) = local();
    seed_drifted_day(&*s).await;
    let proxy = CountingListener::start();
    let proxied = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("HTTPS_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
        ("https_proxy", proxy.url.as_str()),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
        ("DRIFTSCAN_METRICS_FILE", "off"),
    ];
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();

    let mut env = proxied.to_vec();
    env.push(("DRIFTSCAN_WEBHOOK_PROXY", "1"));
    let server = Server::start(dir.path(), &[], &env);
    for (i, target) in [
        "http://localhost./x",
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
    ]
    .into_iter()
    .enumerate()
    {
        let record =
            run_and_read_delivery(&client, &server, dir.path(), &format!("hook{i}"), target).await;
        let text = record.to_string();
        assert!(text.contains("not a public address"), "{target}: {text}");
        assert_eq!(record["fully_delivered"], false, "{target}: {text}");
    }
    assert_eq!(
        proxy.connections(),
        0,
        "the proxy was asked for a refused target"
    );
    drop(server);

    // Without the opt-in, webhooks connect directly: a receiver the operator allows gets the
    // alert and the proxy sees nothing.
    let receiver = CountingListener::start();
    let mut env = proxied.to_vec();
    env.push(("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE", "1"));
    let server = Server::start(dir.path(), &[], &env);
    let record = run_and_read_delivery(
        &client,
        &server,
        dir.path(),
        "direct",
        &format!("{}/hook", receiver.url),
    )
    .await;
    assert_eq!(record["fully_delivered"], true, "{record}");
    assert_eq!(receiver.connections(), 1);
    assert_eq!(proxy.connections(), 0, "the environment's proxy was used");
}
