//! The Functions host's custom-handler payloads (reference: azure-facts sections 1.6 and 1.7).
//!
//! The host POSTs `{"Data": {...}, "Metadata": {...}}` to `/{FunctionName}` for non-HTTP triggers
//! and expects `{"Outputs": {...}, "Logs": [...], "ReturnValue": ...}` back. Field names are
//! PascalCase; timestamps carry offsets and between zero and seven fractional digits, and
//! `ScheduleStatus` is `null` for unmonitored schedules, so everything here parses leniently.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A non-HTTP invocation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationRequest {
    /// Inputs by binding name (`timer`, `myTimer`, ...).
    #[serde(default)]
    pub data: BTreeMap<String, Value>,
    /// Trigger metadata; `sys` holds `MethodName`, `UtcNow`, `RandGuid`.
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// The timer trigger's `TimerInfo`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TimerInfo {
    /// `Last`, `Next` (the time THIS run was due) and `LastUpdated`; `null` when not monitored.
    #[serde(default)]
    pub schedule_status: Option<ScheduleStatus>,
    /// The run is late (the host was down when it was due).
    #[serde(default)]
    pub is_past_due: bool,
}

/// The monitor's view of the schedule. Times stay strings until [`parse_host_time`] reads them.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleStatus {
    /// Previous run (`0001-01-01T00:00:00+00:00` before the first).
    #[serde(default)]
    pub last: Option<String>,
    /// When this run was due.
    #[serde(default)]
    pub next: Option<String>,
    /// When the status was last written.
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// The answer to an invocation.
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationResponse {
    /// Output bindings by name (none for a timer function).
    pub outputs: BTreeMap<String, Value>,
    /// Lines the host writes to the function's log.
    pub logs: Vec<String>,
    /// The `$return` binding value.
    pub return_value: Option<Value>,
}

/// Reads the host's timestamps: RFC 3339 with any number of fractional digits, or a naive
/// timestamp taken as UTC. The year-1 placeholder of a never-run schedule reads as `None`.
pub fn parse_host_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let t = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .map(|n| n.and_utc())
        })?;
    (t.timestamp() > 0).then_some(t)
}

impl InvocationRequest {
    /// The timer input, whatever its binding is called: the first input that looks like a
    /// `TimerInfo` (has `IsPastDue`, `Schedule` or `ScheduleStatus`).
    pub fn timer(&self) -> Option<TimerInfo> {
        self.data
            .values()
            .find(|v| {
                v.as_object().is_some_and(|o| {
                    o.contains_key("IsPastDue")
                        || o.contains_key("Schedule")
                        || o.contains_key("ScheduleStatus")
                })
            })
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// `Metadata.sys.UtcNow`, when the host sent one.
    pub fn utc_now(&self) -> Option<DateTime<Utc>> {
        let s = self
            .metadata
            .as_ref()?
            .get("sys")?
            .get("UtcNow")?
            .as_str()?;
        parse_host_time(s)
    }

    /// When the run was due: `ScheduleStatus.Next` for a past-due run (catch-up scores the window
    /// that was due then, not the current one), otherwise the host's `UtcNow`, otherwise `now`.
    pub fn due_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let timer = self.timer().unwrap_or_default();
        let scheduled = timer
            .schedule_status
            .as_ref()
            .and_then(|s| s.next.as_deref())
            .and_then(parse_host_time);
        match (timer.is_past_due, scheduled) {
            (true, Some(due)) if due <= now => due,
            _ => self.utc_now().unwrap_or(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_timestamps_parse_leniently() {
        let cases = [
            (
                "2026-09-24T13:08:00.0096035+00:00",
                Some("2026-09-24T13:08:00.009603500Z"),
            ),
            ("2026-09-24T13:09:00+00:00", Some("2026-09-24T13:09:00Z")),
            (
                "2023-09-07T11:40:45.004275Z",
                Some("2023-09-07T11:40:45.004275Z"),
            ),
            (
                "2026-09-24T15:09:00.1234567+02:00",
                Some("2026-09-24T13:09:00.123456700Z"),
            ),
            (
                "2019-11-20T18:04:05.123456",
                Some("2019-11-20T18:04:05.123456Z"),
            ),
            ("0001-01-01T00:00:00+00:00", None),
            ("yesterday", None),
        ];
        for (input, want) in cases {
            let got = parse_host_time(input)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn past_due_runs_score_the_time_they_were_due() {
        let now = parse_host_time("2026-11-25T09:00:00Z").unwrap();
        let req: InvocationRequest = serde_json::from_str(
            r#"{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},
                "ScheduleStatus":{"Last":"2026-11-22T02:00:00.0012345+00:00","Next":"2026-11-23T02:00:00+00:00",
                "LastUpdated":"2026-11-22T02:00:00.0012345+00:00"},"IsPastDue":true}},
                "Metadata":{"sys":{"MethodName":"drift-x","UtcNow":"2026-11-25T09:00:00.5Z","RandGuid":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(
            req.due_time(now),
            parse_host_time("2026-11-23T02:00:00Z").unwrap()
        );
        let on_time: InvocationRequest = serde_json::from_str(
            r#"{"Data":{"timer":{"ScheduleStatus":null,"IsPastDue":false}},
                "Metadata":{"sys":{"UtcNow":"2026-11-25T02:00:00.0000001Z"}}}"#,
        )
        .unwrap();
        assert!(on_time.timer().unwrap().schedule_status.is_none());
        assert_eq!(
            on_time.due_time(now),
            parse_host_time("2026-11-25T02:00:00.0000001Z").unwrap()
        );
        let bare: InvocationRequest = serde_json::from_str(r#"{"Data":{},"Metadata":{}}"#).unwrap();
        assert_eq!(bare.due_time(now), now);
    }
}
