//! The drift alert: one message, rendered for mail (text and HTML), for incoming webhooks (JSON)
//! and for the log.
//!
//! It carries what a person on call needs to decide whether to look: which detector, model,
//! service and date; how far over the threshold; which features moved most; and where the
//! report is. Everything is built from the stored [`RunResult`], so the message and the report
//! cannot disagree.
//!
//! A detector that watches signals beside input drift (prediction drift, data quality) gets one
//! alert per run that names every failing signal, `data_drift` first, each with its failure lines
//! (`age: null_value_rate 0.25 > 0`). A detector that watches only `data_drift` gets the alert it
//! always got, to the byte.

use chrono::Duration as Days;
use serde_json::{Value, json};
use url::Url;

use crate::detector::AlertOn;
use crate::detector::signals::DATA_DRIFT;
use crate::drift::metrics::datadrift_coefficient::DATADRIFT_COEFFICIENT;
use crate::drift::result::RunResult;
use crate::drift::signals::SignalResult;
use crate::drift::verdict::{self, Status, distinct_pair};
use crate::report::escape;

/// Features listed in an alert.
pub const TOP_FEATURES: usize = 5;
/// Days of history the report link covers, ending on the scoring date.
pub const REPORT_DAYS: i64 = 30;
/// Failure lines shown per signal in mail, webhook and log; the rest are counted ("and 12 more").
/// The webhook's `driftscan.failing_signals` and the Event Grid event carry them all.
pub const SIGNAL_LINES: usize = 10;

/// The signals that fail a run, `data_drift` first: `data_drift` when the detector's alert rule
/// (`alert_on`, `drift::verdict::warrants_alert`) says so, every other signal that did not pass.
/// Empty when the run warrants no alert. For a detector that watches only `data_drift` (no
/// `signals` in the result) the `data_drift` entry is derived from the v1 fields.
pub fn failing_signals(result: &RunResult, alert_on: AlertOn) -> Vec<SignalResult> {
    let mut failing = Vec::new();
    if verdict::warrants_alert(result, alert_on) {
        failing.push(match result.signals.iter().find(|s| s.name == DATA_DRIFT) {
            Some(s) => s.clone(),
            None => crate::drift::signals::data_drift(result, alert_on),
        });
    }
    failing.extend(
        result
            .signals
            .iter()
            .filter(|s| s.name != DATA_DRIFT && !s.passed)
            .cloned(),
    );
    failing
}

/// Whether `result` warrants an alert: the `data_drift` rule says so, or another signal failed.
pub fn warrants_alert(result: &RunResult, alert_on: AlertOn) -> bool {
    verdict::warrants_alert(result, alert_on)
        || result
            .signals
            .iter()
            .any(|s| s.name != DATA_DRIFT && !s.passed)
}

/// One alert, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertMessage {
    /// Mail subject and one-line summary.
    pub subject: String,
    /// Plain-text body (mail, log, webhook).
    pub text: String,
    /// HTML body (mail).
    pub html: String,
    /// Link to the report, when a base URL is configured.
    pub report_url: Option<String>,
    /// The coefficient that crossed the threshold.
    pub coefficient: f64,
    /// Top contributing features and their shares (0 to 1), largest first.
    pub top_features: Vec<(String, f64)>,
    /// Features that drifted significantly (`drifted`), most drifted first.
    pub drifted_features: Vec<String>,
    /// Every failing signal, `data_drift` first ([`failing_signals`]).
    pub failing_signals: Vec<SignalResult>,
    coefficient_line: String,
    webhook: Value,
}

impl AlertMessage {
    /// The alert for `result` under the detector's `alert_on`, or `None` when the run does not
    /// warrant one ([`warrants_alert`]).
    pub fn for_result(
        result: &RunResult,
        alert_on: AlertOn,
        report_base: Option<&Url>,
    ) -> Option<Self> {
        let failing = failing_signals(result, alert_on);
        if failing.is_empty() {
            return None;
        }
        let with_signals = !result.signals.is_empty();
        let data_alert = failing[0].name == DATA_DRIFT;
        let coefficient = result.coefficient()?;
        let threshold = result.drift_threshold;
        let (coef_s, thr_s) = distinct_pair(coefficient, threshold);
        let coef_label = DATADRIFT_COEFFICIENT.label;
        let coef_heading = coefficient_heading();
        let date = result.datetime.to_string();
        let drifted_features = result.drifted_features();
        let (kind, data_drift_note) = match verdict::status(result) {
            Status::FeaturesDrifted => (
                "Features drifted",
                format!(
                    "{} of {} features; {coef_label} {coef_s} \u{2264} {thr_s}",
                    drifted_features.len(),
                    result.column_metrics.len()
                ),
            ),
            _ => ("Drift detected", format!("{coef_label} {coef_s} > {thr_s}")),
        };
        let subject = if with_signals {
            let named: Vec<String> = failing
                .iter()
                .map(|s| {
                    if s.name == DATA_DRIFT {
                        format!("{DATA_DRIFT} ({data_drift_note})")
                    } else {
                        match s.failing_features().count() {
                            0 => s.name.clone(),
                            n => format!("{} ({n} of {} features)", s.name, s.features.len()),
                        }
                    }
                })
                .collect();
            format!(
                "[driftscan] {} failed: {} / {} on {date}: {}",
                if named.len() == 1 {
                    "Signal"
                } else {
                    "Signals"
                },
                result.detector,
                result.service_name,
                named.join(", ")
            )
        } else {
            format!(
                "[driftscan] {kind}: {} / {} on {date} ({data_drift_note})",
                result.detector, result.service_name
            )
        };
        let heading = if with_signals {
            let names: Vec<&str> = failing.iter().map(|s| s.name.as_str()).collect();
            format!("Signals failed: {}.", names.join(", "))
        } else {
            "Data drift detected.".to_string()
        };
        let sentence = verdict::sentence(result);
        // Contributions explain the coefficient: listed when input drift is what alerts.
        let top_features = if data_alert {
            result.top_contributors(TOP_FEATURES)
        } else {
            Vec::new()
        };
        let report_url = report_base.and_then(|b| report_link(b, result));
        let run_type = result.run.run_type.as_str();

        let mut text = format!(
            "{heading}\n\n\
             Detector:      {}\n\
             Model:         {} (version {})\n\
             Service:       {}\n\
             Scoring date:  {date} ({run_type} run)\n\
             {:<15}{coef_s} (threshold {thr_s})\n\
             Verdict:       {sentence}\n",
            result.detector,
            result.model_name,
            result.model_version,
            result.service_name,
            format!("{coef_heading}:"),
        );
        if !top_features.is_empty() {
            text.push_str("\nTop contributing features:\n");
            for (i, (name, share)) in top_features.iter().enumerate() {
                text.push_str(&format!("  {}. {name}: {:.1} %\n", i + 1, share * 100.0));
            }
        }
        if with_signals {
            text.push_str("\nFailing signals:\n");
            for s in &failing {
                text.push_str(&format!("  {}:\n", s.name));
                for line in shown_lines(s) {
                    text.push_str(&format!("    {line}\n"));
                }
            }
        }
        if let Some(u) = &report_url {
            text.push_str(&format!("\nReport: {u}\n"));
        }

        let mut html = format!(
            "<p><strong>{}</strong></p>\n<table>\n\
             <tr><td>Detector</td><td>{}</td></tr>\n\
             <tr><td>Model</td><td>{} (version {})</td></tr>\n\
             <tr><td>Service</td><td>{}</td></tr>\n\
             <tr><td>Scoring date</td><td>{date} ({run_type} run)</td></tr>\n\
             <tr><td>{coef_heading}</td><td><strong>{coef_s}</strong> (threshold {thr_s})</td></tr>\n\
             <tr><td>Verdict</td><td>{}</td></tr>\n</table>\n",
            escape(&heading),
            escape(&result.detector),
            escape(&result.model_name),
            result.model_version,
            escape(&result.service_name),
            escape(&sentence),
        );
        if !top_features.is_empty() {
            html.push_str("<p>Top contributing features:</p>\n<ol>\n");
            for (name, share) in &top_features {
                html.push_str(&format!(
                    "<li>{}: {:.1} %</li>\n",
                    escape(name),
                    share * 100.0
                ));
            }
            html.push_str("</ol>\n");
        }
        if with_signals {
            html.push_str("<p>Failing signals:</p>\n<ul>\n");
            for s in &failing {
                html.push_str(&format!("<li><strong>{}</strong><ul>\n", escape(&s.name)));
                for line in shown_lines(s) {
                    html.push_str(&format!("<li>{}</li>\n", escape(&line)));
                }
                html.push_str("</ul></li>\n");
            }
            html.push_str("</ul>\n");
        }
        if let Some(u) = &report_url {
            html.push_str(&format!(
                "<p><a href=\"{0}\">Open the drift report</a></p>\n",
                escape(u)
            ));
        }

        let mut webhook = json!({
            "text": format!("{subject}\n\n{text}"),
            "summary": subject,
            "driftscan": {
                "detector": result.detector,
                "model_name": result.model_name,
                "model_version": result.model_version,
                "service": result.service_name,
                "scoring_date": date,
                "run_type": run_type,
                "datadrift_coefficient": coefficient,
                "drift_threshold": threshold,
                "verdict": sentence,
                "drifted_features": drifted_features,
                "top_features": top_features.iter()
                    .map(|(f, s)| json!({"feature": f, "datadrift_contribution": s}))
                    .collect::<Vec<_>>(),
                "report_url": report_url,
            }
        });
        if with_signals {
            webhook["driftscan"]["failing_signals"] = failing
                .iter()
                .map(|s| json!({"name": s.name, "failures": s.failure_lines()}))
                .collect();
        }
        Some(AlertMessage {
            subject,
            text,
            html,
            report_url,
            coefficient,
            top_features,
            drifted_features,
            failing_signals: failing,
            coefficient_line: format!("{coef_s} (threshold {thr_s})"),
            webhook,
        })
    }

    /// The JSON body posted to an incoming webhook: `text` is what Slack and Teams show, `summary`
    /// is Teams' notification line, `driftscan` carries the same facts as data for other receivers.
    pub fn webhook_payload(&self) -> &Value {
        &self.webhook
    }

    /// The body for the webhook at `url`, shaped for the receiver its host shows:
    ///
    /// * Slack (`*.slack.com`): the generic body plus `blocks`, so the message is formatted;
    /// * Teams workflows (Power Automate, `*.logic.azure.com`, `*.powerplatform.com`), which post
    ///   only Adaptive Cards: the generic body plus a `message` with one card in `attachments`;
    /// * anything else, including Teams' older connector webhooks: the generic body.
    pub fn webhook_payload_for(&self, url: &Url) -> Value {
        let mut body = self.webhook.clone();
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        if host == "slack.com" || host.ends_with(".slack.com") {
            body["blocks"] = self.slack_blocks();
        } else if host.ends_with(".logic.azure.com")
            || host.ends_with(".powerplatform.com")
            || host.contains("powerautomate")
        {
            body["type"] = json!("message");
            body["attachments"] = json!([{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": self.adaptive_card(),
            }]);
        }
        body
    }

    fn facts(&self) -> Vec<(String, String)> {
        let d = &self.webhook["driftscan"];
        let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
        vec![
            ("Detector".into(), s("detector")),
            (
                "Model".into(),
                format!("{} (version {})", s("model_name"), d["model_version"]),
            ),
            ("Service".into(), s("service")),
            (
                "Scoring date".into(),
                format!("{} ({} run)", s("scoring_date"), s("run_type")),
            ),
            (coefficient_heading(), self.coefficient_line.clone()),
            ("Verdict".into(), s("verdict")),
        ]
    }

    fn slack_blocks(&self) -> Value {
        // Slack mrkdwn: only &, < and > need escaping.
        let esc = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut facts: Vec<String> = self
            .facts()
            .iter()
            .map(|(k, v)| format!("*{k}:* {}", esc(v)))
            .collect();
        if !self.top_features.is_empty() {
            let top: Vec<String> = self
                .top_features
                .iter()
                .enumerate()
                .map(|(i, (f, share))| format!("{}. `{}` {:.1} %", i + 1, esc(f), share * 100.0))
                .collect();
            facts.push(format!("*Top contributing features:*\n{}", top.join("\n")));
        }
        let mut blocks = vec![
            json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*", esc(&self.subject))}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": facts.join("\n")}}),
        ];
        if self.lists_signals() {
            let mut text = String::from("*Failing signals:*");
            for s in &self.failing_signals {
                text.push_str(&format!("\n*{}*", esc(&s.name)));
                for line in shown_lines(s) {
                    text.push_str(&format!("\n`{}`", esc(&line)));
                }
            }
            // A section's text holds at most 3,000 characters.
            if text.chars().count() > 2900 {
                text = text.chars().take(2900).collect::<String>() + "…";
            }
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
        }
        if let Some(u) = &self.report_url {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
                "text": format!("<{}|Open the drift report>", esc(u))}}));
        }
        Value::Array(blocks)
    }

    fn adaptive_card(&self) -> Value {
        let facts: Vec<Value> = self
            .facts()
            .into_iter()
            .map(|(title, value)| json!({"title": title, "value": value}))
            .collect();
        let mut body = vec![
            json!({"type": "TextBlock", "text": self.subject, "weight": "Bolder", "size": "Medium", "wrap": true}),
            json!({"type": "FactSet", "facts": facts}),
        ];
        if !self.top_features.is_empty() {
            body.push(json!({"type": "TextBlock", "text": "Top contributing features", "weight": "Bolder", "wrap": true}));
            body.push(json!({"type": "FactSet", "facts": self.top_features.iter()
                .map(|(f, share)| json!({"title": f, "value": format!("{:.1} %", share * 100.0)}))
                .collect::<Vec<_>>()}));
        }
        if self.lists_signals() {
            body.push(json!({"type": "TextBlock", "text": "Failing signals", "weight": "Bolder", "wrap": true}));
            for s in &self.failing_signals {
                body.push(json!({"type": "TextBlock", "text": s.name, "weight": "Bolder", "spacing": "Small", "wrap": true}));
                body.push(json!({"type": "TextBlock", "text": shown_lines(s).join("\n"), "fontType": "Monospace", "spacing": "None", "wrap": true}));
            }
        }
        let mut card = json!({
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
        });
        if let Some(u) = &self.report_url {
            card["actions"] =
                json!([{"type": "Action.OpenUrl", "title": "Open the drift report", "url": u}]);
        }
        card
    }
}

impl AlertMessage {
    /// Whether the message lists its failing signals: only for detectors that watch more than
    /// `data_drift`, so a v1 detector's alert is unchanged.
    fn lists_signals(&self) -> bool {
        self.webhook["driftscan"].get("failing_signals").is_some()
    }
}

/// A signal's failure lines as mail, webhook and log show them: at most [`SIGNAL_LINES`], then a
/// count of the rest.
fn shown_lines(signal: &SignalResult) -> Vec<String> {
    let mut lines = signal.failure_lines();
    if lines.is_empty() {
        lines.push("failed (no metric names a threshold it passed)".to_string());
    }
    if lines.len() > SIGNAL_LINES {
        let more = lines.len() - SIGNAL_LINES;
        lines.truncate(SIGNAL_LINES);
        lines.push(format!("and {more} more"));
    }
    lines
}

/// The coefficient's registry label as a heading ("Coefficient"), so the alert names the metric
/// as the terminal and the report do.
fn coefficient_heading() -> String {
    let mut chars = DATADRIFT_COEFFICIENT.label.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// `{base}/api/detectors/{name}/report?start=..&end=..`, covering the [`REPORT_DAYS`] up to the
/// scoring date.
fn report_link(base: &Url, result: &RunResult) -> Option<String> {
    let mut url = base.clone();
    let end = result.datetime;
    let start = end - Days::days(REPORT_DAYS - 1);
    url.path_segments_mut().ok()?.pop_if_empty().extend([
        "api",
        "detectors",
        &result.detector,
        "report",
    ]);
    url.query_pairs_mut()
        .clear()
        .append_pair("start", &start.to_string())
        .append_pair("end", &end.to_string());
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(coef: f64, has_drift: bool) -> RunResult {
        serde_json::from_value(json!({
            "schema_version": "1.0", "datetime": "2026-11-24", "detector": "credit",
            "service_name": "credit-svc", "model_name": "credit-model", "model_version": 2,
            "drift_threshold": 0.2, "has_drift": has_drift,
            "dataset_metrics": [{"name": "datadrift_coefficient", "value": coef}],
            "column_metrics": [
                {"income": [{"name": "datadrift_contribution", "value": 0.5}]},
                {"a<b>": [{"name": "datadrift_contribution", "value": 0.3}]},
                {"age": [{"name": "datadrift_contribution", "value": 0.2}]}],
            "run": {"run_type": "Scheduler", "status": "succeeded", "started_at": "2026-11-25T02:00:00Z",
                    "duration_ms": 5, "driftscan_version": "0.1.0"},
            "baseline": {"source": "b", "files": 1, "rows": 10},
            "target": {"source": "t", "files": 1, "rows": 10}
        }))
        .unwrap()
    }

    /// `result` with a `data_drift` signal (passing or not) and a `data_quality` signal whose
    /// `failing` features each have a null rate of 0.25 over a threshold of 0.
    fn with_signals(mut r: RunResult, data_drift_passed: bool, failing: usize) -> RunResult {
        let summary = json!({"source": "b", "files": 1, "rows": 100});
        let mut features: Vec<Value> = (0..failing)
            .map(|i| {
                json!({"name": format!("f{i:02}"), "kind": "numeric", "passed": false,
                "metrics": [{"name": "null_value_rate", "value": 0.25, "count": 25, "rows": 100,
                             "threshold": 0.0, "passed": false}]})
            })
            .collect();
        features.push(json!({"name": "ok", "kind": "numeric", "passed": true,
            "metrics": [{"name": "null_value_rate", "value": 0.0, "count": 0, "rows": 100,
                         "threshold": 0.0, "passed": true}]}));
        r.signals = serde_json::from_value(json!([
            {"name": "data_drift", "passed": data_drift_passed, "reference": summary,
             "production": summary, "metrics": [{"name": "datadrift_coefficient",
             "value": r.coefficient(), "threshold": 0.2, "passed": data_drift_passed}],
             "features": []},
            {"name": "data_quality", "passed": failing == 0, "reference": summary,
             "production": summary, "features": features}
        ]))
        .unwrap();
        r
    }

    #[test]
    fn a_failing_signal_alerts_without_drift_and_is_named_with_its_failures() {
        let r = with_signals(result(0.1, false), true, 1);
        assert!(warrants_alert(&r, AlertOn::Coefficient));
        let m = AlertMessage::for_result(&r, AlertOn::Coefficient, None).unwrap();
        assert_eq!(
            m.subject,
            "[driftscan] Signal failed: credit / credit-svc on 2026-11-24: data_quality (1 of 2 features)"
        );
        assert!(
            m.text.starts_with("Signals failed: data_quality.\n"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains(
                "\nFailing signals:\n  data_quality:\n    f00: null_value_rate 0.25 > 0\n"
            ),
            "{}",
            m.text
        );
        assert!(
            m.top_features.is_empty(),
            "contributions only explain input drift"
        );
        assert!(m.html.contains("<li>f00: null_value_rate 0.25 &gt; 0</li>"));
        assert_eq!(
            m.webhook_payload()["driftscan"]["failing_signals"],
            json!([{"name": "data_quality", "failures": ["f00: null_value_rate 0.25 > 0"]}])
        );
        // Every signal passing: no alert.
        let quiet = with_signals(result(0.1, false), true, 0);
        assert!(!warrants_alert(&quiet, AlertOn::Coefficient));
        assert_eq!(
            AlertMessage::for_result(&quiet, AlertOn::Coefficient, None),
            None
        );
    }

    #[test]
    fn data_drift_comes_first_and_long_lists_are_cut_in_messages_only() {
        let r = with_signals(result(0.43, true), false, 13);
        let m = AlertMessage::for_result(&r, AlertOn::Coefficient, None).unwrap();
        assert_eq!(
            m.subject,
            "[driftscan] Signals failed: credit / credit-svc on 2026-11-24: data_drift (coefficient 0.43 > 0.20), data_quality (13 of 14 features)"
        );
        let names: Vec<&str> = m.failing_signals.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["data_drift", "data_quality"]);
        assert!(
            m.text
                .contains("  data_drift:\n    datadrift_coefficient 0.43 > 0.2\n"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("    f09: null_value_rate 0.25 > 0\n    and 3 more\n"),
            "{}",
            m.text
        );
        assert!(!m.text.contains("f10:"));
        assert_eq!(
            m.top_features.len(),
            3,
            "input drift alerts: contributions listed"
        );
        let all = &m.webhook_payload()["driftscan"]["failing_signals"][1]["failures"];
        assert_eq!(
            all.as_array().unwrap().len(),
            13,
            "the data carries every line"
        );
        let slack =
            m.webhook_payload_for(&Url::parse("https://hooks.slack.com/services/x").unwrap());
        let blocks = slack["blocks"].as_array().unwrap();
        assert!(
            blocks[2]["text"]["text"]
                .as_str()
                .unwrap()
                .starts_with("*Failing signals:*\n*data_drift*")
        );
        let teams = m.webhook_payload_for(
            &Url::parse("https://prod-1.westeurope.logic.azure.com/workflows/x").unwrap(),
        );
        let body = teams["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        assert!(body.iter().any(|b| b["text"] == "Failing signals"));
    }

    #[test]
    fn no_alert_without_drift() {
        assert_eq!(
            AlertMessage::for_result(&result(0.1, false), AlertOn::Coefficient, None),
            None
        );
    }

    #[test]
    fn subject_body_and_link_name_the_facts() {
        let base = Url::parse("https://func.example.net/").unwrap();
        let m = AlertMessage::for_result(&result(0.4321, true), AlertOn::Coefficient, Some(&base))
            .unwrap();
        assert_eq!(
            m.subject,
            "[driftscan] Drift detected: credit / credit-svc on 2026-11-24 (coefficient 0.43 > 0.20)"
        );
        assert_eq!(
            m.report_url.as_deref(),
            Some(
                "https://func.example.net/api/detectors/credit/report?start=2026-10-26&end=2026-11-24"
            )
        );
        assert!(
            m.text
                .contains("  1. income: 50.0 %\n  2. a<b>: 30.0 %\n  3. age: 20.0 %")
        );
        assert!(m.html.contains("<li>a&lt;b&gt;: 30.0 %</li>"));
        assert_eq!(
            m.webhook_payload()["driftscan"]["top_features"][0]["feature"],
            "income"
        );
    }

    #[test]
    fn webhook_bodies_follow_the_receiver() {
        let base = Url::parse("https://func.example.net/").unwrap();
        let m = AlertMessage::for_result(&result(0.4321, true), AlertOn::Coefficient, Some(&base))
            .unwrap();

        let generic = m.webhook_payload_for(&Url::parse("https://hooks.example.com/x").unwrap());
        assert_eq!(&generic, m.webhook_payload());
        let legacy_teams = m.webhook_payload_for(
            &Url::parse("https://contoso.webhook.office.com/webhookb2/abc").unwrap(),
        );
        assert_eq!(&legacy_teams, m.webhook_payload());

        let slack =
            m.webhook_payload_for(&Url::parse("https://hooks.slack.com/services/T0/B0/x").unwrap());
        assert!(
            slack["text"]
                .as_str()
                .unwrap()
                .starts_with("[driftscan] Drift detected")
        );
        let blocks = slack["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 3);
        let facts = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(
            facts.contains("*Coefficient:* 0.43 (threshold 0.20)"),
            "{facts}"
        );
        assert!(facts.contains("2. `a&lt;b&gt;` 30.0 %"), "{facts}");
        assert_eq!(
            blocks[2]["text"]["text"],
            "<https://func.example.net/api/detectors/credit/report?start=2026-10-26&amp;end=2026-11-24|Open the drift report>"
        );

        let teams = m.webhook_payload_for(
            &Url::parse("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke").unwrap(),
        );
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(
            card["content"]["body"][1]["facts"][0],
            json!({"title": "Detector", "value": "credit"})
        );
        assert_eq!(
            card["content"]["body"][3]["facts"][0],
            json!({"title": "income", "value": "50.0 %"})
        );
        assert_eq!(
            card["content"]["actions"][0]["url"],
            m.report_url.clone().unwrap()
        );
    }

    #[test]
    fn close_values_get_enough_decimals_to_differ() {
        assert_eq!(distinct_pair(0.2049, 0.2), ("0.205".into(), "0.200".into()));
        assert_eq!(distinct_pair(0.43, 0.2), ("0.43".into(), "0.20".into()));
    }

    #[test]
    fn base_url_with_a_path_keeps_it() {
        let base = Url::parse("https://host/prefix").unwrap();
        let link = report_link(&base, &result(0.5, true)).unwrap();
        assert!(link.starts_with("https://host/prefix/api/detectors/credit/report?start="));
    }
}
