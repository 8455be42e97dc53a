//! Application Insights ingestion without an SDK: connection string, envelopes, upload with the
//! retry rules of the official exporters.
//!
//! A run produces a few hundred values once a day, so a direct POST of envelopes is simpler and
//! steadier than an OpenTelemetry pipeline with a periodic reader, and it is the only way here to
//! authenticate with Entra ID (the Rust exporter only knows instrumentation keys).
//!
//! # Wire format
//!
//! `POST {IngestionEndpoint}/v2/track` (instrumentation key) or `/v2.1/track` (with
//! `Authorization: Bearer <token>`), body a gzipped JSON array of envelopes, one data point per
//! `MetricData` envelope because Application Insights keeps only the first entry of `metrics[]`.
//! Each point is an aggregation of one value (`count` 1, `min` = `max` = `value`, `stdDev` 0) so
//! that `valueMax`, which the alert rules query, is always filled in.
//!
//! # Responses
//!
//! | status | meaning | what is done |
//! |---|---|---|
//! | 200 | all accepted | nothing more |
//! | 206 | some items rejected | items whose `errors[].statusCode` is 206, 408, 429, 439, 500 or 503 are sent again, the others dropped |
//! | 408, 429, 439, 503 | throttled or unavailable | the whole batch is sent again, after `Retry-After` if given |
//! | 500 | server error | retryable items listed in the body are sent again; without a readable body the whole batch |
//! | other (400, 401, 403, 404, ...) | the request itself is wrong | the batch is dropped |
//!
//! Network errors count as retryable. Retries stop at the channel's deadline ([`super::retry`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::identity::{IdentityEndpoint, MONITOR_RESOURCE, TokenCache, snippet};
use super::retry::{Deadline, RetryPolicy};
use super::settings::Settings;
use super::{ChannelReport, MetricPoint, SinkError, identity};

/// Used when the connection string names neither an ingestion endpoint nor an endpoint suffix.
pub const DEFAULT_INGESTION_ENDPOINT: &str = "https://dc.services.visualstudio.com";
/// Connection strings longer than this are rejected, as the SDKs do.
pub const MAX_CONNECTION_STRING_LEN: usize = 4096;
/// Envelopes per request unless configured otherwise. A run of 200 features with every metric
/// stays near 3,000 envelopes, so a few requests of well under the 64 MB request limit.
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// What a connection string says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// `InstrumentationKey`.
    pub instrumentation_key: String,
    /// Base URL posted to, without a trailing slash.
    pub ingestion_endpoint: String,
}

impl ConnectionString {
    /// Parses `Key=Value;Key=Value`: keys are case-insensitive, empty segments ignored.
    ///
    /// The endpoint is `IngestionEndpoint` if given, else `https://[{Location}.]dc.{EndpointSuffix}`
    /// if a suffix is given, else [`DEFAULT_INGESTION_ENDPOINT`]. An `http://` endpoint is kept as
    /// it is (it is how a local receiver is reached) rather than rewritten to https.
    pub fn parse(s: &str) -> Result<Self, SinkError> {
        let bad = |reason: String| SinkError::ConnectionString { reason };
        if s.len() > MAX_CONNECTION_STRING_LEN {
            return Err(bad(format!(
                "it is {} characters long, the limit is {MAX_CONNECTION_STRING_LEN}",
                s.len()
            )));
        }
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        for segment in s.split(';') {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let Some((key, value)) = segment.split_once('=') else {
                return Err(bad(format!("segment `{segment}` is not `Key=Value`")));
            };
            fields.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
        if let Some(auth) = fields.get("authorization")
            && !auth.eq_ignore_ascii_case("ikey")
        {
            return Err(bad(format!(
                "`Authorization={auth}` is not supported (only `ikey`); use APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD for Entra ID"
            )));
        }
        let instrumentation_key = fields
            .get("instrumentationkey")
            .filter(|k| !k.is_empty())
            .cloned()
            .ok_or_else(|| bad("`InstrumentationKey` is missing".to_string()))?;
        let endpoint = match (
            fields.get("ingestionendpoint").filter(|v| !v.is_empty()),
            fields.get("endpointsuffix").filter(|v| !v.is_empty()),
        ) {
            (Some(e), _) => e.clone(),
            (None, Some(suffix)) => {
                let suffix = suffix.trim_matches('.');
                match fields.get("location").filter(|v| !v.is_empty()) {
                    Some(loc) => format!("https://{}.dc.{suffix}", loc.trim_matches('.')),
                    None => format!("https://dc.{suffix}"),
                }
            }
            (None, None) => DEFAULT_INGESTION_ENDPOINT.to_string(),
        };
        let parsed = Url::parse(&endpoint)
            .map_err(|e| bad(format!("ingestion endpoint `{endpoint}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad(format!(
                "ingestion endpoint `{endpoint}` must be an http(s) URL with a host"
            )));
        }
        Ok(ConnectionString {
            instrumentation_key,
            ingestion_endpoint: endpoint.trim_end_matches('/').to_string(),
        })
    }
}

/// How requests to the ingestion endpoint are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestionAuth {
    /// Instrumentation key in each envelope, `POST /v2/track`.
    InstrumentationKey,
    /// Entra ID token of the managed identity, `POST /v2.1/track`.
    ManagedIdentity {
        /// Client id of a user-assigned identity; the system-assigned identity when `None`.
        client_id: Option<String>,
    },
}

/// Everything needed to post to one Application Insights resource.
#[derive(Debug)]
pub struct AppInsightsConfig {
    /// Parsed connection string.
    pub connection: ConnectionString,
    /// How requests are authenticated.
    pub auth: IngestionAuth,
    /// The token endpoint, needed for [`IngestionAuth::ManagedIdentity`].
    pub identity: Option<IdentityEndpoint>,
    /// Envelopes per request. Default [`DEFAULT_BATCH_SIZE`].
    pub batch_size: usize,
    /// Gzip request bodies. Default true.
    pub gzip: bool,
    /// `ai.cloud.role` tag: the Functions app name (`WEBSITE_SITE_NAME`) or `driftscan`.
    pub role: String,
    /// `ai.cloud.roleInstance` tag: `WEBSITE_INSTANCE_ID`, `HOSTNAME` or `local`.
    pub role_instance: String,
    pub(crate) tokens: TokenCache,
}

impl AppInsightsConfig {
    /// The URL envelopes are posted to.
    pub fn track_url(&self) -> String {
        match self.auth {
            IngestionAuth::InstrumentationKey => {
                format!("{}/v2/track", self.connection.ingestion_endpoint)
            }
            IngestionAuth::ManagedIdentity { .. } => {
                format!("{}/v2.1/track", self.connection.ingestion_endpoint)
            }
        }
    }
}

/// Envelope-level context shared by every item of one run.
pub(crate) struct EnvelopeContext<'a> {
    pub ikey: &'a str,
    pub time: DateTime<Utc>,
    pub tags: Value,
}

impl<'a> EnvelopeContext<'a> {
    pub fn new(cfg: &'a AppInsightsConfig, operation_id: &str, time: DateTime<Utc>) -> Self {
        let op: String = operation_id.chars().take(128).collect();
        let sdk = format!("driftscan:{}", env!("CARGO_PKG_VERSION"));
        EnvelopeContext {
            ikey: &cfg.connection.instrumentation_key,
            time,
            tags: json!({
                "ai.cloud.role": cfg.role.chars().take(256).collect::<String>(),
                "ai.cloud.roleInstance": cfg.role_instance.chars().take(256).collect::<String>(),
                "ai.operation.id": op,
                "ai.internal.sdkVersion": sdk.chars().take(64).collect::<String>(),
            }),
        }
    }

    fn envelope(&self, name: &str, data: Value) -> Value {
        json!({
            "name": name,
            "time": self.time.to_rfc3339_opts(SecondsFormat::Millis, true),
            "iKey": self.ikey,
            "sampleRate": 100.0,
            "tags": self.tags,
            "data": data,
        })
    }

    /// One `MetricData` envelope for one value.
    pub fn metric(&self, point: &MetricPoint, properties: &BTreeMap<String, String>) -> Value {
        let mut props = properties.clone();
        if let Some(f) = &point.feature {
            props.insert("feature".to_string(), f.clone());
        }
        if let Some(sig) = &point.signal {
            props.insert("signal".to_string(), sig.clone());
        }
        if let Some(t) = point.threshold {
            props.insert("threshold".to_string(), t.to_string());
        }
        self.envelope(
            "Microsoft.ApplicationInsights.Metric",
            json!({
                "baseType": "MetricData",
                "baseData": {
                    "ver": 2,
                    "metrics": [{
                        "name": point.name,
                        "kind": "Aggregation",
                        "value": point.value,
                        "count": 1,
                        "min": point.value,
                        "max": point.value,
                        "stdDev": 0.0,
                    }],
                    "properties": props,
                }
            }),
        )
    }

    /// One `EventData` envelope.
    pub fn event(
        &self,
        name: &str,
        properties: &BTreeMap<String, String>,
        measurements: &BTreeMap<String, f64>,
    ) -> Value {
        self.envelope(
            "Microsoft.ApplicationInsights.Event",
            json!({
                "baseType": "EventData",
                "baseData": {
                    "ver": 2,
                    "name": name,
                    "properties": properties,
                    "measurements": measurements,
                }
            }),
        )
    }
}

/// Status codes, of a response or of one item in it, that are worth sending again.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 206 | 408 | 429 | 439 | 500 | 503)
}

#[derive(Debug, Deserialize)]
struct TrackResponse {
    #[serde(default)]
    errors: Vec<ItemError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemError {
    index: usize,
    status_code: u16,
    #[serde(default)]
    message: String,
}

/// What to do after one response, in terms of indexes into the batch that was sent.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Every item was accepted.
    Accepted,
    /// Some items are to be sent again, some were dropped, the rest were accepted.
    Partial {
        retry: Vec<usize>,
        dropped: Vec<(usize, String)>,
        retry_after: Option<Duration>,
    },
    /// Send the whole batch again.
    RetryAll {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Drop the whole batch.
    Fatal { reason: String },
}

/// Applies the status-code rules of the module doc to one response.
pub(crate) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    sent: usize,
) -> Verdict {
    let per_item = |errors: Vec<ItemError>| {
        let mut retry = Vec::new();
        let mut dropped = Vec::new();
        for e in errors {
            if e.index >= sent {
                continue;
            }
            if is_retryable(e.status_code) {
                retry.push(e.index);
            } else {
                dropped.push((
                    e.index,
                    format!("item rejected with {}: {}", e.status_code, e.message),
                ));
            }
        }
        retry.sort_unstable();
        retry.dedup();
        dropped.sort_by_key(|d: &(usize, String)| d.0);
        dropped.dedup_by_key(|d| d.0);
        Verdict::Partial {
            retry,
            dropped,
            retry_after,
        }
    };
    match status {
        200 => Verdict::Accepted,
        206 => match serde_json::from_slice::<TrackResponse>(body) {
            Ok(r) => per_item(r.errors),
            // Accepted items cannot be told apart: sending all again would duplicate them.
            Err(_) => Verdict::Accepted,
        },
        408 | 429 | 439 | 503 => Verdict::RetryAll {
            reason: format!("status {status}: {}", snippet(body)),
            retry_after,
        },
        500 => match serde_json::from_slice::<TrackResponse>(body) {
            Ok(r) if !r.errors.is_empty() => per_item(r.errors),
            _ => Verdict::RetryAll {
                reason: format!("status 500: {}", snippet(body)),
                retry_after,
            },
        },
        _ => Verdict::Fatal {
            reason: format!("status {status}: {}", snippet(body)),
        },
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

/// Posts `envelopes` in batches, retrying per the rules above until `deadline`.
pub(crate) async fn upload(
    http: &reqwest::Client,
    cfg: &AppInsightsConfig,
    envelopes: Vec<Value>,
    policy: &RetryPolicy,
    deadline: &Deadline,
    report: &mut ChannelReport,
) {
    let url = cfg.track_url();
    let batch_size = cfg.batch_size.max(1);
    let mut rest = envelopes;
    while !rest.is_empty() {
        let tail = rest.split_off(batch_size.min(rest.len()));
        let batch = std::mem::replace(&mut rest, tail);
        upload_batch(http, cfg, &url, batch, policy, deadline, report).await;
    }
}

async fn upload_batch(
    http: &reqwest::Client,
    cfg: &AppInsightsConfig,
    url: &str,
    batch: Vec<Value>,
    policy: &RetryPolicy,
    deadline: &Deadline,
    report: &mut ChannelReport,
) {
    let mut pending = batch;
    let mut retry_no = 0u32;
    loop {
        report.attempts += 1;
        let verdict = match post(http, cfg, url, &pending, policy, deadline).await {
            Ok((status, retry_after, body)) => classify(status, retry_after, &body, pending.len()),
            Err(PostError::Retryable(reason)) => Verdict::RetryAll {
                reason,
                retry_after: None,
            },
            Err(PostError::Fatal(reason)) => Verdict::Fatal { reason },
        };
        let (retry, retry_after) = match verdict {
            Verdict::Accepted => {
                report.delivered += pending.len();
                return;
            }
            Verdict::Fatal { reason } => {
                tracing::error!(message = "Telemetry batch rejected; dropped.", url, items = pending.len(), %reason);
                report.dropped += pending.len();
                report.errors.push(format!(
                    "{} item(s) dropped by {url}: {reason}",
                    pending.len()
                ));
                return;
            }
            Verdict::RetryAll {
                reason,
                retry_after,
            } => {
                tracing::warn!(message = "Telemetry batch not accepted; will retry.", url, items = pending.len(), %reason);
                report.errors.push(format!(
                    "{} item(s) not accepted by {url}: {reason}",
                    pending.len()
                ));
                ((0..pending.len()).collect::<Vec<_>>(), retry_after)
            }
            Verdict::Partial {
                retry,
                dropped,
                retry_after,
            } => {
                let accepted = pending.len().saturating_sub(retry.len() + dropped.len());
                report.delivered += accepted;
                report.dropped += dropped.len();
                for (i, reason) in &dropped {
                    let name = item_name(&pending[*i]);
                    tracing::warn!(message = "Telemetry item rejected; dropped.", item = %name, %reason);
                    report.errors.push(format!("{name}: {reason}"));
                }
                if retry.is_empty() {
                    return;
                }
                tracing::warn!(
                    message = "Some telemetry items not accepted; will retry them.",
                    items = retry.len()
                );
                (retry, retry_after)
            }
        };
        retry_no += 1;
        match policy.wait_before(retry_no, retry_after, deadline) {
            Some(wait) => {
                tokio::time::sleep(wait).await;
                let mut keep: Vec<Option<Value>> = pending.into_iter().map(Some).collect();
                pending = retry.iter().filter_map(|&i| keep[i].take()).collect();
                report.retried += pending.len();
            }
            None => {
                tracing::error!(
                    message = "Telemetry retry budget spent; items dropped.",
                    items = retry.len(),
                    elapsed_ms = deadline.elapsed().as_millis() as u64
                );
                report.dropped += retry.len();
                report.errors.push(format!(
                    "{} item(s) dropped: gave up after {:.1} s ({} attempt(s))",
                    retry.len(),
                    deadline.elapsed().as_secs_f64(),
                    report.attempts
                ));
                return;
            }
        }
    }
}

fn item_name(envelope: &Value) -> String {
    let data = &envelope["data"]["baseData"];
    let name = data["metrics"][0]["name"]
        .as_str()
        .or_else(|| data["name"].as_str())
        .unwrap_or("item");
    match data["properties"]["feature"].as_str() {
        Some(f) => format!("{name} (feature `{f}`)"),
        None => name.to_string(),
    }
}

enum PostError {
    Retryable(String),
    Fatal(String),
}

async fn post(
    http: &reqwest::Client,
    cfg: &AppInsightsConfig,
    url: &str,
    items: &[Value],
    policy: &RetryPolicy,
    deadline: &Deadline,
) -> Result<(u16, Option<Duration>, bytes::Bytes), PostError> {
    let json = serde_json::to_vec(items).map_err(|e| PostError::Fatal(e.to_string()))?;
    let timeout = policy.request_timeout_within(deadline);
    let mut request = http
        .post(url)
        .timeout(timeout)
        .header("Content-Type", "application/json");
    request = if cfg.gzip {
        let body = gzip(&json).map_err(|e| PostError::Fatal(e.to_string()))?;
        request.header("Content-Encoding", "gzip").body(body)
    } else {
        request.body(json)
    };
    if let IngestionAuth::ManagedIdentity { client_id } = &cfg.auth {
        let Some(endpoint) = &cfg.identity else {
            return Err(PostError::Fatal(
                "Entra ID ingestion is configured but no managed identity endpoint is available (IDENTITY_ENDPOINT/IDENTITY_HEADER unset)".to_string(),
            ));
        };
        // A token endpoint that is down is as transient as an ingestion endpoint that is down.
        let token = cfg
            .tokens
            .token(
                http,
                endpoint,
                MONITOR_RESOURCE,
                client_id.as_deref(),
                timeout,
            )
            .await
            .map_err(|e| PostError::Retryable(e.to_string()))?;
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| PostError::Retryable(format!("request failed: {}", error_chain(&e))))?;
    let answer = super::retry::read_answer(response).await;
    if matches!(answer.0, 401 | 403) {
        cfg.tokens.clear();
    }
    Ok(answer)
}

pub(crate) use crate::base::text::error_chain;

impl AppInsightsConfig {
    /// The Application Insights settings (see [`super::SinkConfig::from_lookup`]), `None` without a
    /// connection string.
    pub(crate) fn from_settings(env: &Settings) -> Result<Option<Self>, SinkError> {
        Ok(match env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") {
            None => None,
            Some(cs) => {
                let connection = ConnectionString::parse(&cs)?;
                let auth_string = env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
                let mut aad = false;
                let mut client_id = env.get("DRIFTSCAN_APPINSIGHTS_CLIENT_ID");
                if let Some(s) = &auth_string {
                    for part in s.split(';').filter(|p| !p.trim().is_empty()) {
                        match part.split_once('=') {
                            Some((k, v)) if k.trim().eq_ignore_ascii_case("authorization") => {
                                if v.trim().eq_ignore_ascii_case("aad") {
                                    aad = true;
                                } else {
                                    return Err(env.invalid(
                                        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                                        s,
                                        "only `Authorization=AAD` is supported",
                                    ));
                                }
                            }
                            Some((k, v)) if k.trim().eq_ignore_ascii_case("clientid") => {
                                client_id = client_id.or(Some(v.trim().to_string()));
                            }
                            _ => {}
                        }
                    }
                }
                if let Some(v) = env.get("DRIFTSCAN_APPINSIGHTS_AUTH") {
                    aad = match v.to_ascii_lowercase().as_str() {
                        "aad" | "entra" | "managed-identity" => true,
                        "ikey" | "key" => false,
                        _ => {
                            return Err(env.invalid(
                                "DRIFTSCAN_APPINSIGHTS_AUTH",
                                &v,
                                "expected `ikey` or `aad`",
                            ));
                        }
                    };
                }
                let identity = identity::IdentityEndpoint::from_lookup(&|k| env.get(k));
                let batch_size = match env.get("DRIFTSCAN_APPINSIGHTS_BATCH_SIZE") {
                    None => DEFAULT_BATCH_SIZE,
                    Some(v) => v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=10_000).contains(n))
                        .ok_or_else(|| {
                            env.invalid(
                                "DRIFTSCAN_APPINSIGHTS_BATCH_SIZE",
                                &v,
                                "expected a whole number from 1 to 10000",
                            )
                        })?,
                };
                Some(AppInsightsConfig {
                    connection,
                    auth: if aad {
                        IngestionAuth::ManagedIdentity { client_id }
                    } else {
                        IngestionAuth::InstrumentationKey
                    },
                    identity,
                    batch_size,
                    gzip: true,
                    role: env
                        .get("WEBSITE_SITE_NAME")
                        .unwrap_or_else(|| "driftscan".to_string()),
                    role_instance: env
                        .get("WEBSITE_INSTANCE_ID")
                        .or_else(|| env.get("HOSTNAME"))
                        .unwrap_or_else(|| "local".to_string()),
                    tokens: identity::TokenCache::default(),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_string_forms() {
        let rows: [(&str, &str, &str); 6] = [
            (
                "InstrumentationKey=k1;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://x/;ApplicationId=a",
                "k1",
                "https://westeurope-5.in.applicationinsights.azure.com",
            ),
            (
                "instrumentationkey = k2 ; ingestionendpoint=http://127.0.0.1:8080",
                "k2",
                "http://127.0.0.1:8080",
            ),
            (
                "InstrumentationKey=k3;EndpointSuffix=applicationinsights.azure.cn;Location=chinaeast2",
                "k3",
                "https://chinaeast2.dc.applicationinsights.azure.cn",
            ),
            (
                "InstrumentationKey=k4;EndpointSuffix=applicationinsights.us",
                "k4",
                "https://dc.applicationinsights.us",
            ),
            (
                "InstrumentationKey=k5;;Authorization=ikey;",
                "k5",
                DEFAULT_INGESTION_ENDPOINT,
            ),
            (
                "INSTRUMENTATIONKEY=k6;INGESTIONENDPOINT=https://h/;ENDPOINTSUFFIX=ignored.example",
                "k6",
                "https://h",
            ),
        ];
        for (input, key, endpoint) in rows {
            let cs = ConnectionString::parse(input).unwrap();
            assert_eq!(cs.instrumentation_key, key, "{input}");
            assert_eq!(cs.ingestion_endpoint, endpoint, "{input}");
        }
    }

    #[test]
    fn bad_connection_strings_say_what_is_wrong() {
        let rows: [(String, &str); 5] = [
            (
                "IngestionEndpoint=https://h/".into(),
                "`InstrumentationKey` is missing",
            ),
            (
                "InstrumentationKey=k;garbage".into(),
                "segment `garbage` is not `Key=Value`",
            ),
            (
                "InstrumentationKey=k;Authorization=aad".into(),
                "`Authorization=aad` is not supported",
            ),
            (
                "InstrumentationKey=k;IngestionEndpoint=ftp://h".into(),
                "must be an http(s) URL",
            ),
            (
                format!("InstrumentationKey={}", "k".repeat(5000)),
                "the limit is 4096",
            ),
        ];
        for (input, expected) in rows {
            let err = ConnectionString::parse(&input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input:.60}: got `{err}`");
        }
    }

    #[test]
    fn responses_are_classified_as_the_exporters_do() {
        assert_eq!(classify(200, None, b"", 3), Verdict::Accepted);
        let body = br#"{"itemsReceived":4,"itemsAccepted":1,"errors":[
            {"index":0,"statusCode":429,"message":"throttled"},
            {"index":2,"statusCode":400,"message":"bad field"},
            {"index":3,"statusCode":503,"message":"busy"}]}"#;
        match classify(206, None, body, 4) {
            Verdict::Partial { retry, dropped, .. } => {
                assert_eq!(retry, vec![0, 3]);
                assert_eq!(dropped.len(), 1);
                assert_eq!(dropped[0].0, 2);
                assert!(dropped[0].1.contains("400: bad field"));
            }
            v => panic!("unexpected {v:?}"),
        }
        for status in [408, 429, 439, 503] {
            assert!(matches!(
                classify(status, Some(Duration::from_secs(1)), b"", 2),
                Verdict::RetryAll {
                    retry_after: Some(_),
                    ..
                }
            ));
        }
        assert!(matches!(
            classify(500, None, b"oops", 2),
            Verdict::RetryAll { .. }
        ));
        assert!(matches!(
            classify(500, None, br#"{"errors":[{"index":1,"statusCode":500}]}"#, 2),
            Verdict::Partial { ref retry, .. } if retry == &vec![1]
        ));
        for status in [400, 401, 403, 404, 413] {
            assert!(matches!(
                classify(status, None, b"", 2),
                Verdict::Fatal { .. }
            ));
        }
    }
}
