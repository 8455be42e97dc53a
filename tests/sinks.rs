//! Sinks: metrics to a loopback stand-in for Application Insights ingestion that validates every
//! envelope and answers as the service does (200, 206, 429, 503, 400), the JSON-lines fallback,
//! alert mail to a real SMTP server (scripts/smtp_sink.py, aiosmtpd), and the alert webhook.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use driftscan::detector::Detector;
use driftscan::drift::result::RunResult;
use driftscan::sinks::{self, PublishReport, RetryPolicy, SinkConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::smtp::SmtpSink;

const IKEY: &str = "00000000-1111-2222-3333-444444444444";

// ---------------------------------------------------------------- fixtures

/// A drifted run: coefficient 0.43 over threshold 0.2, three features, one undefined value.
fn drifted() -> RunResult {
    result(0.43, true)
}

fn result(coefficient: f64, has_drift: bool) -> RunResult {
    serde_json::from_value(json!({
        "schema_version": "1.0", "datetime": "2026-11-24", "detector": "credit",
        "service_name": "credit-svc", "model_name": "credit-model", "model_version": 2,
        "drift_threshold": 0.2, "has_drift": has_drift,
        "dataset_metrics": [
            {"name": "datadrift_coefficient", "value": coefficient},
            {"name": "classifier_roc_auc", "value": 0.71}],
        "column_metrics": [
            {"income": [
                {"name": "datadrift_contribution", "value": 0.62},
                {"name": "wasserstein_distance", "value": 4.858},
                {"name": "energy_distance", "value": 2.72},
                {"name": "population_stability_index", "value": 0.31}]},
            {"age": [
                {"name": "datadrift_contribution", "value": 0.28},
                {"name": "wasserstein_distance", "value": 1.25},
                {"name": "energy_distance", "value": null}]},
            {"region": [
                {"name": "datadrift_contribution", "value": 0.10},
                {"name": "jensen_shannon_distance", "value": 0.05},
                {"name": "chi_squared", "value": 12.5}]}],
        "run": {"run_type": "Scheduler", "status": "succeeded", "started_at": "2026-11-25T02:00:00Z",
                "duration_ms": 1200, "driftscan_version": "0.1.0"},
        "baseline": {"source": "baseline.csv", "files": 1, "rows": 2000},
        "target": {"source": "modeldata/...", "files": 1, "rows": 2000}
    }))
    .expect("fixture result")
}

/// Finite values in the fixture: 2 dataset-level + 4 + 2 (energy_distance of `age` is null) + 3.
const METRIC_VALUES: usize = 11;

fn detector(emails: &[&str], webhook: Option<&str>) -> Detector {
    serde_json::from_value(json!({
        "name": "credit", "model_name": "credit-model", "model_version": 2,
        "services": ["credit-svc"], "baseline": "baseline.csv",
        "alert": {"emails": emails, "webhook": webhook}
    }))
    .expect("fixture detector")
}

/// Settings from `vars`; webhooks may go to loopback (the receivers here run on 127.0.0.1) unless
/// `vars` says otherwise.
fn config(vars: &[(&str, String)]) -> SinkConfig {
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    map.entry("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE".into())
        .or_insert_with(|| "1".into());
    let mut cfg = SinkConfig::from_lookup(|k| map.get(k).cloned()).expect("sink config");
    cfg.retry = RetryPolicy {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        total: Duration::from_secs(3),
        request_timeout: Duration::from_secs(2),
    };
    cfg
}

fn app_insights_config(endpoint: &str, tmp: &Path, extra: &[(&str, String)]) -> SinkConfig {
    let mut vars = vec![
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            format!(
                "InstrumentationKey={IKEY};IngestionEndpoint={endpoint}/;LiveEndpoint=https://unused/"
            ),
        ),
        // Keep the default file out of the working directory.
        ("DRIFTSCAN_METRICS_FILE", "off".to_string()),
        (
            "DRIFTSCAN_REPORT_BASE_URL",
            "https://drift.example.net".to_string(),
        ),
    ];
    let _ = tmp;
    vars.extend(extra.iter().cloned());
    config(&vars)
}

// ---------------------------------------------------------------- loopback HTTP receiver

#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
    at: Instant,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body of {} {} is not JSON: {e}", self.method, self.target))
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn new(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

type Handler = dyn Fn(usize, &Request) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records every request (bodies un-gzipped) and answers
/// with `handler(n, request)`, `n` counting requests from 0.
struct Receiver {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(handler: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let n = {
                        let mut r = recorded.lock().unwrap();
                        r.push(req.clone());
                        r.len() - 1
                    };
                    let reply = handler(n, &req);
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(reply.body.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Receiver {
            url,
            requests,
            task,
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests to the ingestion path, in order.
    fn tracks(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path().ends_with("/track"))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if headers.get("content-encoding").map(|v| v.as_str()) == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .ok()?;
        body = out;
    }
    Some(Request {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}

fn ok_body(n: usize) -> String {
    json!({"itemsReceived": n, "itemsAccepted": n, "errors": []}).to_string()
}

// ---------------------------------------------------------------- envelope schema

const DATASET_METRICS: [&str; 2] = ["datadrift_coefficient", "classifier_roc_auc"];

/// Checks one envelope against the documented schema (reference 4.3) and driftscan's dimensions.
fn validate(envelope: &Value) -> Result<(), String> {
    let s = |v: &Value, what: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or(format!("{what} is not a string: {v}"))
    };
    let name = s(&envelope["name"], "name")?;
    let time = s(&envelope["time"], "time")?;
    chrono::DateTime::parse_from_rfc3339(&time)
        .map_err(|e| format!("time `{time}` is not RFC 3339: {e}"))?;
    if !time.ends_with('Z') {
        return Err(format!("time `{time}` is not UTC"));
    }
    if envelope["iKey"] != IKEY {
        return Err(format!("iKey is {}", envelope["iKey"]));
    }
    let tags = envelope["tags"]
        .as_object()
        .ok_or("tags is not an object")?;
    for (k, limit) in [
        ("ai.cloud.role", 256),
        ("ai.cloud.roleInstance", 256),
        ("ai.operation.id", 128),
        ("ai.internal.sdkVersion", 64),
    ] {
        let v = tags
            .get(k)
            .and_then(Value::as_str)
            .ok_or(format!("tag {k} missing"))?;
        if v.is_empty() || v.chars().count() > limit {
            return Err(format!("tag {k} = `{v}` empty or longer than {limit}"));
        }
    }
    let data = &envelope["data"];
    let base = &data["baseData"];
    if base["ver"] != 2 {
        return Err(format!("baseData.ver is {}", base["ver"]));
    }
    let props = base["properties"]
        .as_object()
        .ok_or("baseData.properties is not an object")?;
    if let Some((k, v)) = props.iter().find(|(_, v)| !v.is_string()) {
        return Err(format!("property {k} is not a string: {v}"));
    }
    for d in driftscan::sinks::DIMENSIONS {
        if props
            .get(d)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(format!("dimension {d} missing"));
        }
    }
    if !["Adhoc", "Scheduler", "BackFill"].contains(&props["run_type"].as_str().unwrap_or("")) {
        return Err(format!("run_type {}", props["run_type"]));
    }
    chrono::NaiveDate::parse_from_str(props["scoring_date"].as_str().unwrap_or(""), "%Y-%m-%d")
        .map_err(|e| format!("scoring_date: {e}"))?;
    props["drift_threshold"]
        .as_str()
        .unwrap_or("")
        .parse::<f64>()
        .map_err(|e| format!("drift_threshold: {e}"))?;
    match (name.as_str(), data["baseType"].as_str()) {
        ("Microsoft.ApplicationInsights.Metric", Some("MetricData")) => {
            let metrics = base["metrics"]
                .as_array()
                .ok_or("metrics is not an array")?;
            if metrics.len() != 1 {
                return Err(format!("{} data points in one envelope", metrics.len()));
            }
            let m = &metrics[0];
            let mname = s(&m["name"], "metrics[0].name")?;
            if mname.is_empty() || mname.len() > 1024 {
                return Err(format!("metric name `{mname}`"));
            }
            let value = m["value"]
                .as_f64()
                .ok_or(format!("{mname}: value {}", m["value"]))?;
            if !value.is_finite()
                || m["count"] != 1
                || m["min"].as_f64() != Some(value)
                || m["max"].as_f64() != Some(value)
            {
                return Err(format!(
                    "{mname}: count/min/max do not describe one value: {m}"
                ));
            }
            if m["kind"] != "Aggregation" && m["kind"] != "Measurement" {
                return Err(format!("{mname}: kind {}", m["kind"]));
            }
            if let Some(signal) = props.get("signal").and_then(Value::as_str) {
                // A signal's metric: `signal_failed` (0 or 1, no feature) or `{signal}.{metric}`.
                if mname == "signal_failed" {
                    if !(value == 0.0 || value == 1.0) || props.contains_key("feature") {
                        return Err(format!("signal_failed of {signal}: {value}, {props:?}"));
                    }
                } else if !mname.starts_with(&format!("{signal}.")) {
                    return Err(format!(
                        "{mname} does not start with its signal `{signal}.`"
                    ));
                }
                return Ok(());
            }
            let per_column = !DATASET_METRICS.contains(&mname.as_str());
            if per_column != props.contains_key("feature") {
                return Err(format!(
                    "{mname}: feature dimension present = {}",
                    props.contains_key("feature")
                ));
            }
            Ok(())
        }
        ("Microsoft.ApplicationInsights.Event", Some("EventData")) => {
            match base["name"].as_str() {
                Some("DriftDetected") => {}
                // Every run's own event: its status, and its reason when it scored nothing.
                Some("DriftscanRun") => {
                    let status = base["properties"]["status"].as_str().unwrap_or("");
                    if !["succeeded", "no_data", "failed"].contains(&status) {
                        return Err(format!("run event status `{status}`"));
                    }
                    if status != "succeeded" && !base["properties"]["reason"].is_string() {
                        return Err("a run that scored nothing has no reason".to_string());
                    }
                    if !base["measurements"]["duration_seconds"].is_number() {
                        return Err("the run event has no duration_seconds".to_string());
                    }
                }
                _ => return Err(format!("event name {}", base["name"])),
            }
            let m = base["measurements"]
                .as_object()
                .ok_or("measurements is not an object")?;
            if m.values().any(|v| !v.is_number()) {
                return Err("a measurement is not a number".to_string());
            }
            Ok(())
        }
        (n, t) => Err(format!("unknown envelope {n} / {t:?}")),
    }
}

/// Every envelope of every ingestion request, validated; panics naming the first bad one.
fn envelopes(r: &Request) -> Vec<Value> {
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    let items = r.json().as_array().cloned().expect("body is a JSON array");
    for (i, e) in items.iter().enumerate() {
        if let Err(why) = validate(e) {
            panic!("envelope {i} of {}: {why}\n{e:#}", r.target);
        }
    }
    items
}

/// Envelopes of one run beside its metric values: the `DriftscanRun` event every run sends.
const RUN_EVENTS: usize = 1;

/// `name` or `name/feature` of a metric envelope; `event:Name` of an event.
fn key(e: &Value) -> String {
    let base = &e["data"]["baseData"];
    match base["metrics"][0]["name"].as_str() {
        Some(n) => match base["properties"]["feature"].as_str() {
            Some(f) => format!("{n}/{f}"),
            None => n.to_string(),
        },
        None => format!("event:{}", base["name"].as_str().unwrap_or("")),
    }
}

fn keys(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(key).collect()
}

/// Publishes; fails the test if publishing hangs (60 s, far beyond any budget set here). How long
/// publishing takes is not asserted anywhere: what a budget guarantees is shown by behaviour
/// (a channel that gives up says so, a retry that does not fit is not made).
async fn publish(result: &RunResult, detector: &Detector, cfg: &SinkConfig) -> PublishReport {
    tokio::time::timeout(
        Duration::from_secs(60),
        sinks::publish(result, detector, cfg),
    )
    .await
    .expect("publish returns instead of hanging")
}

// ---------------------------------------------------------------- Application Insights

#[tokio::test]
async fn every_metric_reaches_ingestion_with_the_documented_schema() {
    let rx =
        Receiver::start(|_, r| Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len))))
            .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;

    let tracks = rx.tracks();
    assert_eq!(tracks.len(), 1, "one batch");
    assert_eq!(tracks[0].path(), "/v2/track");
    assert_eq!(
        tracks[0]
            .headers
            .get("content-encoding")
            .map(String::as_str),
        Some("gzip")
    );
    assert!(!tracks[0].headers.contains_key("authorization"));
    let items = envelopes(&tracks[0]);
    assert_eq!(
        items.len(),
        METRIC_VALUES + 1 + RUN_EVENTS,
        "11 values, the DriftDetected event and the run's event"
    );
    let expected: BTreeSet<String> = [
        "datadrift_coefficient",
        "classifier_roc_auc",
        "datadrift_contribution/income",
        "wasserstein_distance/income",
        "energy_distance/income",
        "population_stability_index/income",
        "datadrift_contribution/age",
        "wasserstein_distance/age",
        "datadrift_contribution/region",
        "jensen_shannon_distance/region",
        "chi_squared/region",
        "event:DriftDetected",
        "event:DriftscanRun",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(keys(&items), expected);
    let run = items
        .iter()
        .find(|e| key(e) == "event:DriftscanRun")
        .unwrap();
    assert_eq!(run["data"]["baseData"]["properties"]["status"], "succeeded");
    assert_eq!(run["data"]["baseData"]["properties"]["detector"], "credit");
    assert_eq!(
        run["data"]["baseData"]["measurements"]["datadrift_coefficient"],
        0.43
    );

    let coef = items
        .iter()
        .find(|e| key(e) == "datadrift_coefficient")
        .unwrap();
    let props = &coef["data"]["baseData"]["properties"];
    assert_eq!(coef["data"]["baseData"]["metrics"][0]["value"], 0.43);
    assert_eq!(props["detector"], "credit");
    assert_eq!(props["model_name"], "credit-model");
    assert_eq!(props["model_version"], "2");
    assert_eq!(props["service"], "credit-svc");
    assert_eq!(props["run_type"], "Scheduler");
    assert_eq!(props["scoring_date"], "2026-11-24");
    assert_eq!(props["drift_threshold"], "0.2");
    let w = items
        .iter()
        .find(|e| key(e) == "wasserstein_distance/income")
        .unwrap();
    assert_eq!(w["data"]["baseData"]["metrics"][0]["value"], 4.858);
    let event = items
        .iter()
        .find(|e| key(e) == "event:DriftDetected")
        .unwrap();
    assert_eq!(
        event["data"]["baseData"]["measurements"]["datadrift_coefficient"],
        0.43
    );
    assert_eq!(
        event["data"]["baseData"]["properties"]["top_features"],
        "income (62.0 %), age (28.0 %), region (10.0 %)"
    );

    let ai = report.channel("appinsights").unwrap();
    assert_eq!(
        (ai.items, ai.delivered, ai.retried, ai.dropped, ai.attempts),
        (13, 13, 0, 0, 1)
    );
    assert_eq!(
        report.undefined_values, 1,
        "the null energy_distance of `age` is counted, not sent"
    );
    assert!(report.fully_delivered());
}

#[tokio::test]
async fn no_drift_sends_metrics_but_no_event_and_no_alert() {
    let rx =
        Receiver::start(|_, r| Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len))))
            .await;
    let hook = Receiver::start(|_, _| Reply::new(200, "ok")).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let det = detector(&["oncall@example.com"], Some(&format!("{}/hook", hook.url)));
    let report = publish(&result(0.12, false), &det, &cfg).await;
    let items = envelopes(&rx.tracks()[0]);
    assert_eq!(items.len(), METRIC_VALUES + RUN_EVENTS);
    assert!(!keys(&items).contains("event:DriftDetected"));
    assert!(!report.alerted);
    assert!(report.alerts.is_empty());
    assert!(hook.requests().is_empty());
}

#[tokio::test]
async fn partial_success_resends_only_retryable_items() {
    // First answer: 206 rejecting item 1 with 429 (retryable), item 2 with 400 (not), item 4 with
    // 503 (retryable). Then 200.
    let rx = Receiver::start(|n, r| {
        let count = r.json().as_array().map_or(0, Vec::len);
        if n == 0 {
            Reply::new(
                206,
                json!({"itemsReceived": count, "itemsAccepted": count - 3, "errors": [
                {"index": 1, "statusCode": 429, "message": "Too many requests"},
                {"index": 2, "statusCode": 400, "message": "Field 'name' is invalid"},
                {"index": 4, "statusCode": 503, "message": "Service unavailable"}]})
                .to_string(),
            )
        } else {
            Reply::new(200, ok_body(count))
        }
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;

    let tracks = rx.tracks();
    assert_eq!(tracks.len(), 2);
    let first = envelopes(&tracks[0]);
    let second = envelopes(&tracks[1]);
    assert_eq!(
        keys(&second),
        BTreeSet::from([key(&first[1]), key(&first[4])]),
        "exactly items 1 and 4 again"
    );
    let ai = report.channel("appinsights").unwrap();
    assert_eq!(ai.delivered, 12, "10 accepted at once, 2 on the retry");
    assert_eq!(ai.dropped, 1, "the 400 item");
    assert_eq!(ai.retried, 2);
    assert_eq!(ai.attempts, 2);
    assert!(
        ai.errors
            .iter()
            .any(|e| e.contains("400") && e.contains("Field 'name' is invalid")),
        "{:?}",
        ai.errors
    );
}

#[tokio::test]
async fn throttling_429_is_retried_after_retry_after() {
    let rx = Receiver::start(|n, r| {
        if n == 0 {
            Reply::new(429, "{}").header("Retry-After", "1")
        } else {
            Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len)))
        }
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;

    let tracks = rx.tracks();
    assert_eq!(tracks.len(), 2);
    // A lower bound set by the server's header, not a speed claim: a slower machine only widens
    // the gap. (The backoff alone would have retried after at most 50 ms.)
    let gap = tracks[1].at - tracks[0].at;
    assert!(
        gap >= Duration::from_millis(1000),
        "waited only {gap:?} despite Retry-After: 1"
    );
    assert_eq!(
        keys(&envelopes(&tracks[0])),
        keys(&envelopes(&tracks[1])),
        "the whole batch again"
    );
    let ai = report.channel("appinsights").unwrap();
    assert_eq!((ai.delivered, ai.retried, ai.dropped), (13, 13, 0));
}

/// A `Retry-After` that ends past the channel's budget is not waited for: the items are dropped
/// at once (the backoff alone would have retried within 50 ms).
#[tokio::test]
async fn retry_after_past_the_budget_is_not_waited_for() {
    let rx = Receiver::start(|_, _| Reply::new(429, "{}").header("Retry-After", "600")).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    assert_eq!(rx.tracks().len(), 1, "no retry");
    let ai = report.channel("appinsights").unwrap();
    assert_eq!((ai.delivered, ai.dropped, ai.attempts), (0, 13, 1));
}

#[tokio::test]
async fn unavailable_503_is_retried_until_the_budget_is_spent_then_dropped() {
    let rx = Receiver::start(|_, _| Reply::new(503, "{}")).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;

    // The budget ends the retries: publish returned, and the channel says it gave up.
    let ai = report.channel("appinsights").unwrap();
    assert!(
        rx.tracks().len() >= 3,
        "retried: {} requests",
        rx.tracks().len()
    );
    assert_eq!(ai.attempts, rx.tracks().len());
    assert_eq!((ai.delivered, ai.dropped), (0, 13));
    assert!(
        ai.errors.last().unwrap().contains("gave up after"),
        "{:?}",
        ai.errors
    );
    for r in rx.tracks() {
        envelopes(&r);
    }
}

#[tokio::test]
async fn bad_request_400_is_dropped_without_retry() {
    let rx = Receiver::start(|_, _| {
        Reply::new(400, r#"{"itemsReceived":12,"itemsAccepted":0,"errors":[]}"#)
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    assert_eq!(rx.tracks().len(), 1);
    let ai = report.channel("appinsights").unwrap();
    assert_eq!(
        (ai.delivered, ai.dropped, ai.retried, ai.attempts),
        (0, 13, 0, 1)
    );
    // Not retried: one request, no retry counted (so no backoff was waited either).
    assert!(ai.errors[0].contains("status 400"));
}

#[tokio::test]
async fn server_error_500_resends_the_items_its_body_names() {
    let rx = Receiver::start(|n, r| {
        let count = r.json().as_array().map_or(0, Vec::len);
        match n {
            0 => Reply::new(500, "upstream exploded"),
            1 => Reply::new(
                500,
                json!({"itemsReceived": count, "itemsAccepted": count - 1,
                "errors": [{"index": 0, "statusCode": 500, "message": "internal"}]})
                .to_string(),
            ),
            _ => Reply::new(200, ok_body(count)),
        }
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&rx.url, tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    let tracks = rx.tracks();
    let counts: Vec<usize> = tracks.iter().map(|r| envelopes(r).len()).collect();
    assert_eq!(
        counts,
        vec![13, 13, 1],
        "unreadable 500: all again; 500 with items: only those"
    );
    let ai = report.channel("appinsights").unwrap();
    assert_eq!((ai.delivered, ai.dropped), (13, 0));
}

#[tokio::test]
async fn batches_respect_the_batch_size() {
    let rx =
        Receiver::start(|_, r| Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len))))
            .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(
        &rx.url,
        tmp.path(),
        &[("DRIFTSCAN_APPINSIGHTS_BATCH_SIZE", "5".into())],
    );
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    let counts: Vec<usize> = rx.tracks().iter().map(|r| envelopes(r).len()).collect();
    assert_eq!(counts, vec![5, 5, 3]);
    assert!(report.fully_delivered());
}

#[tokio::test]
async fn entra_id_ingestion_uses_v2_1_with_a_managed_identity_token() {
    let rx = Receiver::start(|_, r| {
        if r.path() == "/msi/token" {
            Reply::new(
                200,
                json!({"access_token": "tok-123", "expires_on": "4102444800",
                "resource": "https://monitor.azure.com", "token_type": "Bearer"})
                .to_string(),
            )
        } else {
            Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len)))
        }
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(
        &rx.url,
        tmp.path(),
        &[
            (
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                "Authorization=AAD".into(),
            ),
            ("IDENTITY_ENDPOINT", format!("{}/msi/token", rx.url)),
            ("IDENTITY_HEADER", "secret-header".into()),
        ],
    );
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    // A second run reuses the cached token.
    publish(&drifted(), &detector(&[], None), &cfg).await;

    let all = rx.requests();
    let tokens: Vec<&Request> = all.iter().filter(|r| r.path() == "/msi/token").collect();
    assert_eq!(tokens.len(), 1, "token fetched once, then cached");
    let t = tokens[0];
    assert_eq!(t.method, "GET");
    assert!(
        t.target
            .contains("resource=https%3A%2F%2Fmonitor.azure.com"),
        "{}",
        t.target
    );
    assert!(t.target.contains("api-version=2019-08-01"), "{}", t.target);
    assert_eq!(
        t.headers.get("x-identity-header").map(String::as_str),
        Some("secret-header")
    );
    let tracks = rx.tracks();
    assert_eq!(tracks.len(), 2);
    for r in &tracks {
        assert_eq!(r.path(), "/v2.1/track");
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer tok-123")
        );
        envelopes(r);
    }
    assert!(report.fully_delivered());
}

#[tokio::test]
async fn unreachable_ingestion_and_token_endpoints_cost_at_most_the_budget() {
    // A port nobody listens on.
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(&format!("http://127.0.0.1:{port}"), tmp.path(), &[]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    // Bounded by the budget: publish returned, retried, then gave up and said so.
    let ai = report.channel("appinsights").unwrap();
    assert_eq!((ai.delivered, ai.dropped), (0, 13));
    assert!(ai.attempts >= 2);
    assert!(ai.errors[0].contains("request failed"), "{:?}", ai.errors);
    assert!(
        ai.errors.last().unwrap().contains("gave up after"),
        "{:?}",
        ai.errors
    );

    let cfg = app_insights_config(
        &format!("http://127.0.0.1:{port}"),
        tmp.path(),
        &[
            ("DRIFTSCAN_APPINSIGHTS_AUTH", "aad".into()),
            (
                "IDENTITY_ENDPOINT",
                format!("http://127.0.0.1:{port}/msi/token"),
            ),
            ("IDENTITY_HEADER", "h".into()),
        ],
    );
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    let ai = report.channel("appinsights").unwrap();
    assert_eq!(ai.dropped, 13);
    assert!(ai.errors[0].contains("managed identity"), "{:?}", ai.errors);
}

/// The service stores the result, then publishes. Whatever every sink does, publish returns
/// normally, in bounded time, and the stored result is untouched.
#[tokio::test]
async fn publishing_never_fails_the_run_whatever_the_sinks_do() {
    let tmp = tempfile::tempdir().unwrap();
    let run = drifted();
    let stored = tmp.path().join("runs/credit/credit-svc/2026/11/24.json");
    std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
    let bytes = serde_json::to_vec_pretty(&run).unwrap();
    std::fs::write(&stored, &bytes).unwrap();

    let ingestion = Receiver::start(|_, _| Reply::new(503, "{}")).await;
    let hook = Receiver::start(|_, _| Reply::new(500, "down")).await;
    let dead = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = app_insights_config(
        &ingestion.url,
        tmp.path(),
        &[
            ("DRIFTSCAN_SMTP_HOST", "127.0.0.1".into()),
            ("DRIFTSCAN_SMTP_PORT", dead.to_string()),
            ("DRIFTSCAN_SMTP_TLS", "none".into()),
            // A metrics file that cannot be created: its parent is a file.
            (
                "DRIFTSCAN_METRICS_FILE",
                stored.join("metrics.jsonl").display().to_string(),
            ),
        ],
    );
    cfg.retry.total = Duration::from_secs(2);
    let det = detector(&["oncall@example.com"], Some(&format!("{}/hook", hook.url)));
    let report = publish(&run, &det, &cfg).await;

    // Channels run concurrently: both failing HTTP channels keep retrying for their whole
    // budget, so the spans of their requests overlap; one after the other, they would not.
    // (An order of events, not a duration.)
    let span = |rx: &Receiver| {
        let at: Vec<Instant> = rx.requests().iter().map(|r| r.at).collect();
        (
            at.iter().min().copied().expect("requests"),
            at.iter().max().copied().expect("requests"),
        )
    };
    let (ingestion_first, ingestion_last) = span(&ingestion);
    let (hook_first, hook_last) = span(&hook);
    assert!(
        ingestion_first < hook_last && hook_first < ingestion_last,
        "the webhook's retries did not overlap the ingestion's: channels ran one after the other"
    );
    assert!(!report.fully_delivered());
    for channel in ["appinsights", "file", "email", "webhook"] {
        let c = report
            .channel(channel)
            .unwrap_or_else(|| panic!("{channel} missing: {report:?}"));
        assert_eq!(c.delivered, 0, "{channel}");
        assert!(c.dropped > 0 && !c.errors.is_empty(), "{channel}: {c:?}");
    }
    assert_eq!(
        report.channel("log").unwrap().delivered,
        1,
        "the log channel always has the alert"
    );
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        bytes,
        "stored result unchanged"
    );
}

// ---------------------------------------------------------------- JSON-lines fallback

#[tokio::test]
async fn without_a_connection_string_metrics_go_to_a_json_lines_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("sub/metrics.jsonl");
    let cfg = config(&[("DRIFTSCAN_METRICS_FILE", path.display().to_string())]);
    assert!(cfg.app_insights.is_none());
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    publish(&result(0.1, false), &detector(&[], None), &cfg).await;

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        2 * METRIC_VALUES,
        "appended, one line per value"
    );
    let coef = &lines[0];
    assert_eq!(coef["name"], "datadrift_coefficient");
    assert_eq!(coef["value"], 0.43);
    assert_eq!(coef["detector"], "credit");
    assert_eq!(coef["model_name"], "credit-model");
    assert_eq!(coef["model_version"], 2);
    assert_eq!(coef["service"], "credit-svc");
    assert_eq!(coef["run_type"], "Scheduler");
    assert_eq!(coef["scoring_date"], "2026-11-24");
    assert_eq!(coef["drift_threshold"], 0.2);
    assert!(coef.get("feature").is_none());
    chrono::DateTime::parse_from_rfc3339(coef["time"].as_str().unwrap()).unwrap();
    let w = lines
        .iter()
        .find(|l| l["name"] == "wasserstein_distance" && l["feature"] == "income")
        .unwrap();
    assert_eq!(w["value"], 4.858);
    let f = report.channel("file").unwrap();
    assert_eq!((f.items, f.delivered), (METRIC_VALUES, METRIC_VALUES));
}

/// A symbolic link at the metrics file is refused, not followed: its target stays as it was and
/// the metrics are reported dropped.
#[tokio::test]
async fn a_metrics_file_that_is_a_symbolic_link_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("elsewhere.txt");
    std::fs::write(&target, "untouched\n").unwrap();
    let path = tmp.path().join("metrics.jsonl");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let cfg = config(&[("DRIFTSCAN_METRICS_FILE", path.display().to_string())]);
    let report = publish(&drifted(), &detector(&[], None), &cfg).await;
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched\n");
    let f = report.channel("file").unwrap();
    assert_eq!(f.delivered, 0);
    assert!(
        f.errors.iter().any(|e| e.contains("symbolic link")),
        "{:?}",
        f.errors
    );
}

#[test]
fn the_default_metrics_file_is_used_only_without_a_connection_string() {
    let cfg = config(&[]);
    assert_eq!(
        cfg.metrics_file,
        Some(PathBuf::from(sinks::DEFAULT_METRICS_FILE))
    );
    let cfg = config(&[(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        format!("InstrumentationKey={IKEY}"),
    )]);
    assert_eq!(cfg.metrics_file, None);
    assert_eq!(
        cfg.app_insights.unwrap().track_url(),
        "https://dc.services.visualstudio.com/v2/track"
    );
}

#[test]
fn bad_settings_are_rejected_naming_the_variable_and_value() {
    let rows: [(&str, &str, &str); 7] = [
        (
            "DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT",
            "http://topic.westeurope-1.eventgrid.azure.net/api/events",
            "DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT=`http://topic.westeurope-1.eventgrid.azure.net/api/events` is not usable: is not an https:// URL",
        ),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "IngestionEndpoint=https://x",
            "`InstrumentationKey` is missing",
        ),
        ("DRIFTSCAN_SMTP_TLS", "maybe", "DRIFTSCAN_SMTP_TLS=`maybe`"),
        (
            "DRIFTSCAN_SMTP_PORT",
            "99999",
            "DRIFTSCAN_SMTP_PORT=`99999`",
        ),
        (
            "DRIFTSCAN_SINK_TIMEOUT_SECS",
            "-1",
            "DRIFTSCAN_SINK_TIMEOUT_SECS=`-1`",
        ),
        (
            "DRIFTSCAN_REPORT_BASE_URL",
            "drift.example.net",
            "DRIFTSCAN_REPORT_BASE_URL=`drift.example.net`",
        ),
        (
            "DRIFTSCAN_SMTP_FROM",
            "nobody",
            "DRIFTSCAN_SMTP_FROM=`nobody`",
        ),
    ];
    for (var, value, expected) in rows {
        let mut map = HashMap::from([(var.to_string(), value.to_string())]);
        if var.starts_with("DRIFTSCAN_SMTP") {
            map.insert("DRIFTSCAN_SMTP_HOST".into(), "smtp.example.net".into());
        }
        let err = SinkConfig::from_lookup(|k| map.get(k).cloned())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{var}={value}: `{err}`");
    }
}

// ---------------------------------------------------------------- webhook

#[tokio::test]
async fn webhook_gets_a_json_alert_that_slack_and_teams_accept() {
    let hook = Receiver::start(|n, _| {
        if n == 0 {
            Reply::new(502, "bad gateway")
        } else {
            Reply::new(200, "1")
        }
    })
    .await;
    let cfg = config(&[
        ("DRIFTSCAN_METRICS_FILE", "off".into()),
        (
            "DRIFTSCAN_REPORT_BASE_URL",
            "https://drift.example.net/".into(),
        ),
    ]);
    let det = detector(&[], Some(&format!("{}/services/T0/B0/secret", hook.url)));
    let report = publish(&drifted(), &det, &cfg).await;

    let reqs = hook.requests();
    assert_eq!(reqs.len(), 2, "502 retried once");
    let body = reqs[1].json();
    assert_eq!(reqs[1].path(), "/services/T0/B0/secret");
    let text = body["text"]
        .as_str()
        .expect("top-level text, as Slack and Teams want");
    for needle in [
        "[driftscan] Drift detected: credit / credit-svc on 2026-11-24 (coefficient 0.43 > 0.20)",
        "Model:         credit-model (version 2)",
        "1. income: 62.0 %",
        "2. age: 28.0 %",
        "3. region: 10.0 %",
        "Report: https://drift.example.net/api/detectors/credit/report?start=2026-10-26&end=2026-11-24",
    ] {
        assert!(text.contains(needle), "`{needle}` not in:\n{text}");
    }
    assert_eq!(body["driftscan"]["datadrift_coefficient"], 0.43);
    assert_eq!(body["driftscan"]["drift_threshold"], 0.2);
    assert_eq!(
        body["driftscan"]["top_features"][0],
        json!({"feature": "income", "datadrift_contribution": 0.62})
    );
    let w = report.channel("webhook").unwrap();
    assert_eq!((w.delivered, w.retried, w.dropped), (1, 1, 0));
    assert!(
        !w.destination.contains("secret"),
        "webhook secret in report: {}",
        w.destination
    );
}

#[tokio::test]
async fn webhook_rejection_is_not_retried() {
    let hook = Receiver::start(|_, _| Reply::new(404, "no such hook")).await;
    let cfg = config(&[("DRIFTSCAN_METRICS_FILE", "off".into())]);
    let report = publish(
        &drifted(),
        &detector(&[], Some(&format!("{}/x", hook.url))),
        &cfg,
    )
    .await;
    assert_eq!(hook.requests().len(), 1);
    let w = report.channel("webhook").unwrap();
    assert_eq!((w.delivered, w.dropped), (0, 1));
    assert!(w.errors[0].contains("404") && w.errors[0].contains("no such hook"));
}

/// Issue 12, case 2: webhooks go only to public addresses unless the operator allows private
/// ones, never follow redirects, and give up after a few attempts.
#[tokio::test]
async fn webhooks_reach_only_public_addresses_and_never_follow_redirects() {
    let hook = Receiver::start(|_, _| Reply::new(200, "ok")).await;
    let strict = config(&[
        ("DRIFTSCAN_METRICS_FILE", "off".into()),
        ("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE", "0".into()),
    ]);
    let port = hook.url.rsplit(':').next().unwrap().to_string();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://0x7f000001:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        "http://169.254.169.254/metadata/identity".to_string(),
        "http://[fd00:ec2::254]/latest".to_string(),
    ] {
        let report = publish(&drifted(), &detector(&[], Some(&url)), &strict).await;
        let w = report.channel("webhook").unwrap();
        assert_eq!((w.delivered, w.dropped), (0, 1), "{url}: {w:?}");
        assert!(
            w.errors.iter().any(|e| e.contains("not a public address")),
            "{url}: {w:?}"
        );
    }
    assert!(
        hook.requests().is_empty(),
        "nothing reached the loopback receiver"
    );

    // A redirect is not followed, not even to the same receiver.
    let target = format!("{}/elsewhere", hook.url);
    let redirecting =
        Receiver::start(move |_, _| Reply::new(302, "").header("location", &target)).await;
    let allowed = config(&[("DRIFTSCAN_METRICS_FILE", "off".into())]);
    let report = publish(
        &drifted(),
        &detector(&[], Some(&format!("{}/hook", redirecting.url))),
        &allowed,
    )
    .await;
    assert_eq!(report.channel("webhook").unwrap().delivered, 0);
    assert!(hook.requests().is_empty(), "the redirect was not followed");

    // A receiver that keeps answering 503 gets at most three attempts.
    let down = Receiver::start(|_, _| Reply::new(503, "busy")).await;
    let report = publish(
        &drifted(),
        &detector(&[], Some(&format!("{}/hook", down.url))),
        &allowed,
    )
    .await;
    assert_eq!(down.requests().len(), 3, "{report:?}");
}

// ---------------------------------------------------------------- email against a real SMTP server

fn smtp_config(port: u16) -> SinkConfig {
    config(&[
        ("DRIFTSCAN_METRICS_FILE", "off".into()),
        ("DRIFTSCAN_SMTP_HOST", "127.0.0.1".into()),
        ("DRIFTSCAN_SMTP_PORT", port.to_string()),
        ("DRIFTSCAN_SMTP_TLS", "none".into()),
        (
            "DRIFTSCAN_SMTP_FROM",
            "Drift Monitor <drift@example.net>".into(),
        ),
        (
            "DRIFTSCAN_REPORT_BASE_URL",
            "https://drift.example.net".into(),
        ),
    ])
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes, enough to search a body.
fn unquote(eml: &str) -> String {
    let joined = eml.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let b = joined.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    let text = String::from_utf8_lossy(&out).replace("\r\n", "\n");
    // Unfold the message headers (a long Subject is folded onto a second line).
    match text.split_once("\n\n") {
        Some((head, body)) => format!("{}\n\n{body}", head.replace("\n ", " ")),
        None => text,
    }
}

#[tokio::test]
async fn alert_mail_arrives_with_subject_recipients_and_facts() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(sink) = SmtpSink::start(tmp.path(), 0) else {
        return;
    };
    let cfg = smtp_config(sink.port);
    let det = detector(&["oncall@example.com", "data@example.com"], None);
    let report = publish(&drifted(), &det, &cfg).await;

    let mail = sink.messages();
    assert_eq!(mail.len(), 1, "{report:?}");
    let (eml, envelope) = &mail[0];
    assert_eq!(envelope["mail_from"], "drift@example.net");
    assert_eq!(
        envelope["rcpt_tos"],
        json!(["oncall@example.com", "data@example.com"])
    );
    let body = unquote(eml);
    assert!(
        body.contains("Subject: [driftscan] Drift detected: credit / credit-svc on 2026-11-24 (coefficient 0.43 > 0.20)\n"),
        "subject:\n{body}"
    );
    assert!(
        body.contains("To: oncall@example.com, data@example.com"),
        "{body}"
    );
    assert!(
        body.contains("From: \"Drift Monitor\" <drift@example.net>"),
        "{body}"
    );
    for needle in [
        "Detector:      credit",
        "Service:       credit-svc",
        "Coefficient:   0.43 (threshold 0.20)",
        "1. income: 62.0 %",
        "2. age: 28.0 %",
        "Report: https://drift.example.net/api/detectors/credit/report?start=2026-10-26&end=2026-11-24",
        "Content-Type: text/html",
        "<li>income: 62.0 %</li>",
    ] {
        assert!(body.contains(needle), "`{needle}` not in mail:\n{body}");
    }
    let e = report.channel("email").unwrap();
    assert_eq!((e.items, e.delivered, e.dropped, e.attempts), (2, 2, 0, 1));
}

#[tokio::test]
async fn no_mail_below_the_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(sink) = SmtpSink::start(tmp.path(), 0) else {
        return;
    };
    let cfg = smtp_config(sink.port);
    let report = publish(
        &result(0.2, false),
        &detector(&["oncall@example.com"], None),
        &cfg,
    )
    .await;
    // A drifted run afterwards does arrive, so the empty folder above is not a dead server.
    publish(&drifted(), &detector(&["oncall@example.com"], None), &cfg).await;
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert!(unquote(&mail[0].0).contains("coefficient 0.43 > 0.20"));
    assert!(report.channel("email").is_none());
}

#[tokio::test]
async fn a_transient_smtp_refusal_is_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(sink) = SmtpSink::start(tmp.path(), 1) else {
        return;
    };
    let cfg = smtp_config(sink.port);
    let report = publish(&drifted(), &detector(&["oncall@example.com"], None), &cfg).await;
    assert_eq!(sink.messages().len(), 1);
    let e = report.channel("email").unwrap();
    assert_eq!((e.delivered, e.retried, e.attempts), (1, 1, 2));
    assert!(e.errors[0].contains("451"), "{:?}", e.errors);
}

// ---------------------------------------------------------------- signals and Event Grid

/// `result` with a passing `data_drift` signal (unless the run drifted) and a failing
/// `data_quality` signal: `income` has a null rate of 0.25 (25 of 100 rows) over a threshold of
/// 0, `age` passes.
fn with_signals(mut r: RunResult) -> RunResult {
    let summary = json!({"source": "baseline.csv", "files": 1, "rows": 100});
    let drifted = r.has_drift;
    r.signals = serde_json::from_value(json!([
        {"name": "data_drift", "passed": !drifted, "reference": summary, "production": summary,
         "metrics": [{"name": "datadrift_coefficient", "value": r.coefficient(),
                      "threshold": 0.2, "passed": !drifted}],
         "features": []},
        {"name": "data_quality", "passed": false, "reference": summary, "production": summary,
         "features": [
            {"name": "income", "kind": "numeric", "passed": false, "metrics": [
                {"name": "null_value_rate", "value": 0.25, "count": 25, "rows": 100,
                 "threshold": 0.0, "passed": false},
                {"name": "out_of_bounds_rate", "value": 0.0, "count": 0, "rows": 100,
                 "threshold": 0.0, "passed": true}]},
            {"name": "age", "kind": "numeric", "passed": true, "metrics": [
                {"name": "null_value_rate", "value": 0.0, "count": 0, "rows": 100,
                 "threshold": 0.0, "passed": true}]}]}
    ]))
    .expect("fixture signals");
    r
}

fn grid_detector(topic: &str) -> Detector {
    serde_json::from_value(json!({
        "name": "credit", "model_name": "credit-model", "model_version": 2,
        "services": ["credit-svc"], "baseline": "baseline.csv",
        "alert": {"event_grid": {"topic_endpoint": topic}}
    }))
    .expect("fixture detector")
}

fn grid_config(extra: &[(&str, String)]) -> SinkConfig {
    let mut vars = vec![
        ("DRIFTSCAN_METRICS_FILE", "off".to_string()),
        ("DRIFTSCAN_EVENTGRID_KEY", "topic-key-123".to_string()),
        (
            "DRIFTSCAN_REPORT_BASE_URL",
            "https://drift.example.net".to_string(),
        ),
    ];
    vars.extend(extra.iter().cloned());
    config(&vars)
}

/// The one CloudEvent of an Event Grid request, after checking the batch form and the fields
/// CloudEvents 1.0 requires.
fn cloud_event(r: &Request) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path(), "/api/events");
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/cloudevents-batch+json; charset=utf-8")
    );
    let batch = r.json();
    let events = batch.as_array().expect("a JSON array of events");
    assert_eq!(events.len(), 1, "{batch:#}");
    let e = events[0].clone();
    assert_eq!(e["specversion"], "1.0");
    for field in ["id", "source", "type", "subject", "time"] {
        assert!(
            e[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {e:#}"
        );
    }
    chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).expect("time is RFC 3339");
    assert_eq!(e["datacontenttype"], "application/json");
    assert!(e["data"].is_object());
    e
}

#[tokio::test]
async fn event_grid_gets_one_cloudevent_with_the_topic_key() {
    let topic = Receiver::start(|_, _| Reply::new(200, "")).await;
    let cfg = grid_config(&[]);
    let det = grid_detector(&format!("{}/api/events", topic.url));
    let report = publish(&drifted(), &det, &cfg).await;
    // The same run published again (a retry of the whole delivery) keeps its id.
    publish(&drifted(), &det, &cfg).await;

    let reqs = topic.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].headers.get("aeg-sas-key").map(String::as_str),
        Some("topic-key-123")
    );
    assert!(!reqs[0].headers.contains_key("authorization"));
    let e = cloud_event(&reqs[0]);
    assert_eq!(e["id"], cloud_event(&reqs[1])["id"], "stable per run");
    assert_eq!(e["type"], "Driftscan.DatasetDriftDetected");
    assert_eq!(
        e["source"],
        "/driftscan/detectors/credit/services/credit-svc"
    );
    assert_eq!(
        e["subject"],
        "detectors/credit/services/credit-svc/runs/2026-11-24"
    );
    assert_eq!(e["time"], "2026-11-25T02:00:00Z");
    let d = &e["data"];
    assert_eq!(d["detector"], "credit");
    assert_eq!(d["service"], "credit-svc");
    assert_eq!(d["model_name"], "credit-model");
    assert_eq!(d["model_version"], 2);
    assert_eq!(d["scoring_date"], "2026-11-24");
    assert_eq!(d["run_type"], "Scheduler");
    assert_eq!(d["datadrift_coefficient"], 0.43);
    assert_eq!(d["failed_signals"], json!(["data_drift"]));
    assert_eq!(d["signals"][0]["name"], "data_drift");
    assert_eq!(
        d["signals"][0]["metrics"][0],
        json!({"name": "datadrift_coefficient", "value": 0.43, "threshold": 0.2, "passed": false})
    );
    assert_eq!(
        d["report_url"],
        "https://drift.example.net/api/detectors/credit/report?start=2026-10-26&end=2026-11-24"
    );
    let g = report.channel("eventgrid").unwrap();
    assert_eq!(
        (g.items, g.delivered, g.retried, g.dropped, g.attempts),
        (1, 1, 0, 0, 1)
    );
    assert!(report.fully_delivered());
}

#[tokio::test]
async fn event_grid_without_a_key_uses_a_managed_identity_token() {
    let topic = Receiver::start(|_, r| {
        if r.path() == "/msi/token" {
            Reply::new(
                200,
                json!({"access_token": "grid-tok", "expires_on": "4102444800",
                       "resource": "https://eventgrid.azure.net", "token_type": "Bearer"})
                .to_string(),
            )
        } else {
            Reply::new(200, "")
        }
    })
    .await;
    let cfg = config(&[
        ("DRIFTSCAN_METRICS_FILE", "off".into()),
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", topic.url)),
        ("IDENTITY_HEADER", "secret-header".into()),
        ("DRIFTSCAN_EVENTGRID_CLIENT_ID", "client-1".into()),
    ]);
    let report = publish(
        &drifted(),
        &grid_detector(&format!("{}/api/events", topic.url)),
        &cfg,
    )
    .await;
    let reqs = topic.requests();
    let token = reqs
        .iter()
        .find(|r| r.path() == "/msi/token")
        .expect("token request");
    assert!(
        token
            .target
            .contains("resource=https%3A%2F%2Feventgrid.azure.net"),
        "{}",
        token.target
    );
    assert!(
        token.target.contains("client_id=client-1"),
        "{}",
        token.target
    );
    assert_eq!(
        token.headers.get("x-identity-header").map(String::as_str),
        Some("secret-header")
    );
    let post = reqs
        .iter()
        .find(|r| r.path() == "/api/events")
        .expect("event");
    assert_eq!(
        post.headers.get("authorization").map(String::as_str),
        Some("Bearer grid-tok")
    );
    assert!(!post.headers.contains_key("aeg-sas-key"));
    cloud_event(post);
    assert_eq!(report.channel("eventgrid").unwrap().delivered, 1);

    // Neither a key nor an identity: nothing is sent, and the report says why.
    let cfg = config(&[("DRIFTSCAN_METRICS_FILE", "off".into())]);
    let quiet = Receiver::start(|_, _| Reply::new(200, "")).await;
    let report = publish(
        &drifted(),
        &grid_detector(&format!("{}/api/events", quiet.url)),
        &cfg,
    )
    .await;
    assert!(quiet.requests().is_empty());
    let g = report.channel("eventgrid").unwrap();
    assert_eq!((g.delivered, g.dropped), (0, 1));
    assert!(
        g.errors[0].contains("DRIFTSCAN_EVENTGRID_KEY"),
        "{:?}",
        g.errors
    );
}

#[tokio::test]
async fn event_grid_retries_500_and_429_after_retry_after_then_delivers() {
    let topic = Receiver::start(|n, _| match n {
        0 => Reply::new(500, "internal"),
        1 => Reply::new(429, "throttled").header("Retry-After", "1"),
        _ => Reply::new(200, ""),
    })
    .await;
    let report = publish(
        &drifted(),
        &grid_detector(&format!("{}/api/events", topic.url)),
        &grid_config(&[]),
    )
    .await;
    let reqs = topic.requests();
    assert_eq!(reqs.len(), 3, "{report:?}");
    let ids: BTreeSet<String> = reqs
        .iter()
        .map(|r| cloud_event(r)["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "a resend is the same event");
    // The backoff here is at most 200 ms: a wait of a second is the server's Retry-After.
    assert!(
        reqs[2].at.duration_since(reqs[1].at) >= Duration::from_millis(950),
        "Retry-After not honoured: {:?}",
        reqs[2].at.duration_since(reqs[1].at)
    );
    let g = report.channel("eventgrid").unwrap();
    assert_eq!(
        (g.delivered, g.retried, g.dropped, g.attempts),
        (1, 2, 0, 3)
    );
    assert!(
        g.errors[0].contains("500") && g.errors[1].contains("429"),
        "{:?}",
        g.errors
    );
}

#[tokio::test]
async fn event_grid_rejection_400_is_not_retried_and_says_why() {
    let topic = Receiver::start(|_, _| {
        Reply::new(
            400,
            r#"{"error":{"code":"BadRequest","message":"Unsupported schema"}}"#,
        )
    })
    .await;
    let report = publish(
        &drifted(),
        &grid_detector(&format!("{}/api/events", topic.url)),
        &grid_config(&[]),
    )
    .await;
    assert_eq!(topic.requests().len(), 1);
    let g = report.channel("eventgrid").unwrap();
    assert_eq!(
        (g.delivered, g.retried, g.dropped, g.attempts),
        (0, 0, 1, 1)
    );
    assert!(
        g.errors[0].contains("400") && g.errors[0].contains("Unsupported schema"),
        "{:?}",
        g.errors
    );
    assert!(!report.fully_delivered());
}

#[tokio::test]
async fn no_event_when_nothing_fails_and_topics_follow_the_egress_rule() {
    let topic = Receiver::start(|_, _| Reply::new(200, "")).await;
    let url = format!("{}/api/events", topic.url);
    let report = publish(
        &result(0.12, false),
        &grid_detector(&url),
        &grid_config(&[]),
    )
    .await;
    assert!(report.channel("eventgrid").is_none());
    // The deployment's topic serves detectors that name none; below the threshold, still nothing.
    let with_default = grid_config(&[("DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT", url.clone())]);
    publish(&result(0.12, false), &detector(&[], None), &with_default).await;
    assert!(topic.requests().is_empty());
    let report = publish(&drifted(), &detector(&[], None), &with_default).await;
    assert_eq!(report.channel("eventgrid").unwrap().delivered, 1);
    assert_eq!(topic.requests().len(), 1);

    // Private addresses only when the operator allows them, as for webhooks.
    let strict = grid_config(&[("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE", "0".into())]);
    let report = publish(&drifted(), &grid_detector(&url), &strict).await;
    let g = report.channel("eventgrid").unwrap();
    assert_eq!((g.delivered, g.dropped), (0, 1));
    assert!(
        g.errors[0].contains("not a public address"),
        "{:?}",
        g.errors
    );
    assert_eq!(
        topic.requests().len(),
        1,
        "nothing more reached the receiver"
    );
}

#[tokio::test]
async fn a_failing_signal_reaches_event_grid_webhook_and_app_insights_by_name() {
    let topic = Receiver::start(|_, _| Reply::new(200, "")).await;
    let hook = Receiver::start(|_, _| Reply::new(200, "1")).await;
    let ai =
        Receiver::start(|_, r| Reply::new(200, ok_body(r.json().as_array().map_or(0, Vec::len))))
            .await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = app_insights_config(
        &ai.url,
        tmp.path(),
        &[("DRIFTSCAN_EVENTGRID_KEY", "k".into())],
    );
    let det: Detector = serde_json::from_value(json!({
        "name": "credit", "model_name": "credit-model", "model_version": 2,
        "services": ["credit-svc"], "baseline": "baseline.csv",
        "alert": {"webhook": format!("{}/hook", hook.url),
                  "event_grid": {"topic_endpoint": format!("{}/api/events", topic.url)}}
    }))
    .unwrap();
    // No input drift: the alert is the data-quality signal's alone.
    let run = with_signals(result(0.12, false));
    let report = publish(&run, &det, &cfg).await;
    assert!(report.alerted);

    let e = cloud_event(&topic.requests()[0]);
    assert_eq!(e["type"], "Driftscan.SignalsFailed");
    assert_eq!(e["data"]["failed_signals"], json!(["data_quality"]));
    assert_eq!(
        e["data"]["signals"][0]["features"],
        json!([{"name": "income", "kind": "numeric", "metrics": [
            {"name": "null_value_rate", "value": 0.25, "count": 25, "rows": 100,
             "threshold": 0.0, "passed": false}]}])
    );
    assert_eq!(
        e["data"]["signals"][0]["failures"],
        json!(["income: null_value_rate 0.25 > 0"])
    );

    let body = hook.requests()[0].json();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("[driftscan] Signal failed: credit / credit-svc on 2026-11-24: data_quality (1 of 2 features)"),
        "{text}"
    );
    assert!(
        text.contains("Failing signals:\n  data_quality:\n    income: null_value_rate 0.25 > 0\n"),
        "{text}"
    );

    let items = envelopes(&ai.tracks()[0]);
    let k = keys(&items);
    for expected in [
        "signal_failed",
        "data_quality.null_value_rate/income",
        "data_quality.out_of_bounds_rate/income",
        "data_quality.null_value_rate/age",
        "event:DriftDetected",
    ] {
        assert!(k.contains(expected), "{expected} not in {k:?}");
    }
    let failed: Vec<(String, f64)> = items
        .iter()
        .filter(|e| key(e) == "signal_failed")
        .map(|e| {
            let b = &e["data"]["baseData"];
            (
                b["properties"]["signal"].as_str().unwrap().to_string(),
                b["metrics"][0]["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            ("data_drift".to_string(), 0.0),
            ("data_quality".to_string(), 1.0)
        ]
    );
    let rate = items
        .iter()
        .find(|e| key(e) == "data_quality.null_value_rate/income")
        .unwrap();
    let props = &rate["data"]["baseData"]["properties"];
    assert_eq!(props["signal"], "data_quality");
    assert_eq!(props["threshold"], "0");
    assert_eq!(rate["data"]["baseData"]["metrics"][0]["value"], 0.25);
    // The v1 metrics are there unchanged, and no data_drift metric is sent twice.
    assert_eq!(items.len(), METRIC_VALUES + 2 + 3 + 1 + RUN_EVENTS);
    // Every metric name sent is one the workbook and dashboards are checked against.
    let emitted = driftscan::sinks::series::emitted_metric_names();
    for item in &items {
        if let Some(name) = item["data"]["baseData"]["metrics"][0]["name"].as_str() {
            assert!(
                emitted.iter().any(|e| e == name),
                "{name} not in emitted_metric_names()"
            );
        }
    }
    let event = items
        .iter()
        .find(|e| key(e) == "event:DriftDetected")
        .unwrap();
    assert_eq!(
        event["data"]["baseData"]["properties"]["failed_signals"],
        "data_quality"
    );
    assert!(report.fully_delivered(), "{}", report.summary());
}

#[tokio::test]
async fn alert_mail_lists_every_failing_signal_data_drift_first() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(sink) = SmtpSink::start(tmp.path(), 0) else {
        return;
    };
    let cfg = smtp_config(sink.port);
    let report = publish(
        &with_signals(drifted()),
        &detector(&["oncall@example.com"], None),
        &cfg,
    )
    .await;
    let mail = sink.messages();
    assert_eq!(mail.len(), 1, "one alert for the run: {report:?}");
    let body = unquote(&mail[0].0);
    assert!(
        body.contains("Subject: [driftscan] Signals failed: credit / credit-svc on 2026-11-24: data_drift (coefficient 0.43 > 0.20), data_quality (1 of 2 features)\n"),
        "{body}"
    );
    for needle in [
        "Signals failed: data_drift, data_quality.",
        "Failing signals:\n  data_drift:\n    datadrift_coefficient 0.43 > 0.2\n  data_quality:\n    income: null_value_rate 0.25 > 0\n",
        "<li><strong>data_quality</strong><ul>\n<li>income: null_value_rate 0.25 &gt; 0</li>",
        "1. income: 62.0 %",
    ] {
        assert!(body.contains(needle), "`{needle}` not in mail:\n{body}");
    }
}
