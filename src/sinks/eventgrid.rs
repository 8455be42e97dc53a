//! The alert as an Azure Event Grid event: one CloudEvents 1.0 event per alerting run, posted to a
//! custom topic, so that a retraining pipeline, a Logic App or a Function can react to it the way
//! Azure ML's own monitors let them.
//!
//! # Wire format
//!
//! `POST {topic_endpoint}` with `Content-Type: application/cloudevents-batch+json; charset=utf-8`
//! and a JSON array holding the one event (a custom topic created with the input schema
//! `CloudEventSchemaV1_0` accepts batches; one array form for one or many events keeps one code
//! path):
//!
//! ```json
//! [{"specversion": "1.0",
//!   "id": "6b1f0c7e-5d2a-8c4e-9a1b-3f2e4d5c6b7a",
//!   "source": "/driftscan/detectors/credit/services/credit-svc",
//!   "type": "Driftscan.DatasetDriftDetected",
//!   "subject": "detectors/credit/services/credit-svc/runs/2026-11-24",
//!   "time": "2026-11-25T02:00:00Z",
//!   "datacontenttype": "application/json",
//!   "data": {"detector": "credit", "service": "credit-svc", "model_name": "credit-model",
//!            "model_version": 2, "scoring_date": "2026-11-24", "run_type": "Scheduler",
//!            "failed_signals": ["data_drift", "data_quality"], "signals": [...], ...}}]
//! ```
//!
//! * `id` is derived from detector, service, scoring date and the run's start time: a retry of
//!   the same run sends the same id (subscribers can drop duplicates), a rerun of the date a new one.
//! * `type` is [`DATASET_DRIFT_DETECTED`] when input drift raised the alert (the event Azure ML's
//!   v1 drift monitors sent as `Microsoft.MachineLearningServices.DatasetDriftDetected`), else
//!   [`SIGNALS_FAILED`]; `data.failed_signals` names every failing signal, for advanced filters.
//! * `time` is when the run started (the occurrence), so the whole event is the same on a retry.
//!
//! # Authentication
//!
//! The topic's access key from the app setting `DRIFTSCAN_EVENTGRID_KEY` as the `aeg-sas-key`
//! header; without it an Entra ID token of the managed identity for [`EVENTGRID_RESOURCE`] as
//! `Authorization: Bearer` (the identity needs the role EventGrid Data Sender on the topic).
//!
//! # Responses
//!
//! 2xx: delivered. 408, 429 and 5xx, and connection errors: sent again after the backoff or the
//! server's `Retry-After`, within the channel's deadline and [`MAX_ATTEMPTS`]. Any other 4xx (a
//! wrong key, a topic that does not exist, a schema the topic does not take) is not retried: the
//! reason is logged and recorded in the channel's report.

use std::sync::Arc;

use chrono::SecondsFormat;
use serde_json::{Value, json};
use url::Url;

use super::alert::AlertMessage;
use super::appinsights::error_chain;
use super::identity::{IdentityEndpoint, TokenCache, snippet};
use super::retry::{Deadline, RetryPolicy};
use super::settings::Settings;
use super::{ChannelReport, SinkError};
use crate::detector::signals::DATA_DRIFT;
use crate::drift::result::RunResult;
use crate::drift::signals::SignalResult;

/// Event type when input drift (`data_drift`, under the detector's `alert_on`) raised the alert,
/// whatever else failed.
pub const DATASET_DRIFT_DETECTED: &str = "Driftscan.DatasetDriftDetected";
/// Event type when other signals failed and input drift did not.
pub const SIGNALS_FAILED: &str = "Driftscan.SignalsFailed";
/// Resource (audience) of Event Grid data-plane tokens.
pub const EVENTGRID_RESOURCE: &str = "https://eventgrid.azure.net";
/// Body type: a JSON array of CloudEvents.
pub const CONTENT_TYPE: &str = "application/cloudevents-batch+json; charset=utf-8";
/// Attempts at one event at most, within the channel's deadline.
pub const MAX_ATTEMPTS: usize = 5;

/// How events are authenticated, read once from the environment.
pub struct EventGridSettings {
    /// Topic access key (`DRIFTSCAN_EVENTGRID_KEY`); the managed identity signs in without it.
    key: Option<String>,
    /// Client id of a user-assigned identity (`DRIFTSCAN_EVENTGRID_CLIENT_ID`).
    pub client_id: Option<String>,
    /// The platform's token endpoint.
    pub identity: Option<IdentityEndpoint>,
    /// Topic of detectors that name none (`DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT`, set by infra/).
    pub default_topic: Option<String>,
    tokens: Arc<TokenCache>,
    /// Client for the platform's token endpoint (the topic is posted to with the egress client).
    token_http: reqwest::Client,
}

impl std::fmt::Debug for EventGridSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventGridSettings")
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .field("client_id", &self.client_id)
            .field("identity", &self.identity.as_ref().map(|i| &i.url))
            .field("default_topic", &self.default_topic)
            .finish()
    }
}

impl Clone for EventGridSettings {
    fn clone(&self) -> Self {
        EventGridSettings {
            key: self.key.clone(),
            client_id: self.client_id.clone(),
            identity: self.identity.clone(),
            default_topic: self.default_topic.clone(),
            tokens: Arc::clone(&self.tokens),
            token_http: self.token_http.clone(),
        }
    }
}

impl EventGridSettings {
    /// Reads `DRIFTSCAN_EVENTGRID_KEY`, `DRIFTSCAN_EVENTGRID_CLIENT_ID`,
    /// `DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT` and the platform's identity endpoint; tokens are
    /// fetched with `token_http`.
    pub(crate) fn from_settings(
        env: &Settings,
        token_http: reqwest::Client,
    ) -> Result<Self, SinkError> {
        let default_topic = match env.get("DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT") {
            None => None,
            Some(v) => {
                crate::detector::check_topic_endpoint(&v).map_err(|reason| {
                    env.invalid("DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT", &v, &reason)
                })?;
                Some(v)
            }
        };
        Ok(EventGridSettings {
            key: env.get("DRIFTSCAN_EVENTGRID_KEY"),
            client_id: env.get("DRIFTSCAN_EVENTGRID_CLIENT_ID"),
            identity: IdentityEndpoint::from_lookup(&|k| env.get(k)),
            default_topic,
            tokens: Arc::default(),
            token_http,
        })
    }

    /// `aeg-sas-key` or `managed identity`, for reports; `None` when neither is available.
    pub fn auth(&self) -> Option<&'static str> {
        if self.key.is_some() {
            Some("aeg-sas-key")
        } else if self.identity.is_some() {
            Some("managed identity")
        } else {
            None
        }
    }
}

/// `/driftscan/detectors/{detector}/services/{service}`, the service percent-encoded as a path
/// segment (service names may hold spaces).
pub fn source(result: &RunResult) -> String {
    let mut u = Url::parse("driftscan:/").expect("a constant URL");
    if let Ok(mut path) = u.path_segments_mut() {
        path.clear().extend([
            "driftscan",
            "detectors",
            &result.detector,
            "services",
            &result.service_name,
        ]);
    }
    u.path().to_string()
}

/// A UUID-shaped id (version 8, name-based on SHA-256) of detector, service, scoring date and
/// the run's start time.
pub fn event_id(result: &RunResult) -> String {
    let name = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        result.detector,
        result.service_name,
        result.datetime,
        result
            .run
            .started_at
            .to_rfc3339_opts(SecondsFormat::Nanos, true)
    );
    let mut b = crate::base::hash::sha256(name.as_bytes());
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The failing part of one signal: its failing dataset-level metrics, its failing features with
/// their failing metrics, and the same as one line each.
fn signal_data(s: &SignalResult) -> Value {
    let metrics: Vec<Value> = s
        .metrics
        .iter()
        .filter(|m| m.failed())
        .map(|m| json!(m))
        .collect();
    let features: Vec<Value> = s
        .failing_features()
        .map(|f| {
            json!({
                "name": f.name,
                "kind": f.kind,
                "metrics": f.failures().map(|m| json!(m)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "name": s.name,
        "metrics": metrics,
        "features": features,
        "failures": s.failure_lines(),
    })
}

/// The CloudEvent for `alert` (which carries the failing signals of `result`).
pub fn event(result: &RunResult, alert: &AlertMessage) -> Value {
    let failing = &alert.failing_signals;
    let data_drift = failing.first().is_some_and(|s| s.name == DATA_DRIFT);
    let date = result.datetime.to_string();
    json!({
        "specversion": "1.0",
        "id": event_id(result),
        "source": source(result),
        "type": if data_drift { DATASET_DRIFT_DETECTED } else { SIGNALS_FAILED },
        "subject": format!(
            "detectors/{}/services/{}/runs/{date}",
            result.detector, result.service_name
        ),
        "time": result.run.started_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "datacontenttype": "application/json",
        "data": {
            "detector": result.detector,
            "service": result.service_name,
            "model_name": result.model_name,
            "model_version": result.model_version,
            "scoring_date": date,
            "run_type": result.run.run_type.as_str(),
            "has_drift": result.has_drift,
            "datadrift_coefficient": alert.coefficient,
            "drift_threshold": result.drift_threshold,
            "summary": alert.subject,
            "failed_signals": failing.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            "signals": failing.iter().map(signal_data).collect::<Vec<_>>(),
            "report_url": alert.report_url,
        }
    })
}

/// Posts `event` to `topic` with `http` (the client of [`super::egress`]), retrying per the module
/// doc until `deadline`.
pub(crate) async fn send(
    http: &reqwest::Client,
    settings: &EventGridSettings,
    topic: &str,
    event: &Value,
    policy: &RetryPolicy,
    deadline: &Deadline,
    report: &mut ChannelReport,
) {
    let Some(auth) = settings.auth() else {
        let reason = "no DRIFTSCAN_EVENTGRID_KEY and no managed identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER): cannot authenticate to the topic".to_string();
        tracing::error!(message = "Event Grid event not sent.", topic, %reason);
        report.dropped += 1;
        report.errors.push(reason);
        return;
    };
    let body = match serde_json::to_vec(&[event]) {
        Ok(b) => b,
        Err(e) => {
            report.dropped += 1;
            report.errors.push(format!("event not serialisable: {e}"));
            return;
        }
    };
    let mut retry_no = 0u32;
    loop {
        report.attempts += 1;
        let (reason, retry_after) = match post(http, settings, topic, &body, policy, deadline).await
        {
            Ok((status, _, _)) if (200..300).contains(&status) => {
                tracing::info!(message = "Event Grid event delivered.", topic, status, auth);
                report.delivered += 1;
                return;
            }
            Ok((status, retry_after, body)) => {
                let reason = format!("topic {topic} answered {status}: {}", snippet(&body));
                if matches!(status, 401 | 403) {
                    settings.tokens.clear();
                }
                if !(status == 408 || status == 429 || status >= 500) {
                    tracing::error!(message = "Event Grid event rejected; not retried.", %reason, auth);
                    report.dropped += 1;
                    report.errors.push(reason);
                    return;
                }
                (reason, retry_after)
            }
            Err(reason) => (reason, None),
        };
        report.errors.push(reason.clone());
        retry_no += 1;
        if report.attempts >= MAX_ATTEMPTS {
            tracing::error!(message = "Event Grid event failed; attempts spent.", %reason, attempts = report.attempts);
            report.dropped += 1;
            return;
        }
        match policy.wait_before(retry_no, retry_after, deadline) {
            Some(wait) => {
                tracing::warn!(message = "Event Grid event failed; will retry.", %reason, wait_ms = wait.as_millis() as u64);
                report.retried += 1;
                tokio::time::sleep(wait).await;
            }
            None => {
                tracing::error!(message = "Event Grid event failed; retry budget spent.", %reason);
                report.dropped += 1;
                return;
            }
        }
    }
}

/// One POST; `Err` is a retryable failure before an answer (connection, token endpoint).
async fn post(
    http: &reqwest::Client,
    settings: &EventGridSettings,
    topic: &str,
    body: &[u8],
    policy: &RetryPolicy,
    deadline: &Deadline,
) -> Result<(u16, Option<std::time::Duration>, bytes::Bytes), String> {
    let timeout = policy.request_timeout_within(deadline);
    let mut request = http
        .post(topic)
        .timeout(timeout)
        .header("Content-Type", CONTENT_TYPE)
        .body(body.to_vec());
    request = match (&settings.key, &settings.identity) {
        (Some(key), _) => request.header("aeg-sas-key", key),
        (None, Some(endpoint)) => {
            // The token endpoint is the platform's own: the plain client reaches it.
            let token = settings
                .tokens
                .token(
                    &settings.token_http,
                    endpoint,
                    EVENTGRID_RESOURCE,
                    settings.client_id.as_deref(),
                    timeout,
                )
                .await
                .map_err(|e| e.to_string())?;
            request.bearer_auth(token)
        }
        (None, None) => return Err("no credentials".to_string()),
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("topic {topic} failed: {}", error_chain(&e)))?;
    Ok(super::retry::read_answer(response).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(service: &str, started: &str) -> RunResult {
        serde_json::from_value(json!({
            "schema_version": "1.0", "datetime": "2026-11-24", "detector": "credit",
            "service_name": service, "model_name": "m", "model_version": 1,
            "drift_threshold": 0.2, "has_drift": true, "dataset_metrics": [],
            "column_metrics": [],
            "run": {"run_type": "Scheduler", "status": "succeeded", "started_at": started,
                    "duration_ms": 0, "driftscan_version": "0.1.0"},
            "baseline": {"source": "b", "files": 0, "rows": 0},
            "target": {"source": "t", "files": 0, "rows": 0}
        }))
        .unwrap()
    }

    #[test]
    fn ids_are_stable_per_run_and_differ_between_runs() {
        let a = result("svc", "2026-11-25T02:00:00Z");
        let id = event_id(&a);
        assert_eq!(id, event_id(&a.clone()));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "8", "version 8: {id}");
        assert!(
            matches!(&id[19..20], "8" | "9" | "a" | "b"),
            "variant: {id}"
        );
        assert_ne!(id, event_id(&result("svc", "2026-11-25T02:00:01Z")));
        assert_ne!(id, event_id(&result("svc2", "2026-11-25T02:00:00Z")));
    }

    #[test]
    fn topic_endpoints_are_https_or_loopback_http() {
        use crate::detector::check_topic_endpoint;
        for ok in [
            "https://credit-events.westeurope-1.eventgrid.azure.net/api/events",
            "http://127.0.0.1:8080/api/events",
            "http://[::1]:8080/api/events",
            "http://localhost:8080/api/events",
        ] {
            assert_eq!(check_topic_endpoint(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://10.0.0.4/api/events",
            "http://topic.westeurope-1.eventgrid.azure.net/api/events",
            "ftp://topic/api/events",
            "https://",
            "mailto:x@example.com",
        ] {
            assert!(check_topic_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_source_is_a_uri_path_naming_detector_and_service() {
        assert_eq!(
            source(&result("credit svc", "2026-11-25T02:00:00Z")),
            "/driftscan/detectors/credit/services/credit%20svc"
        );
    }
}
