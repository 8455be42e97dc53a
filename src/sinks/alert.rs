//! The drift alert: one message, rendered for mail (text and HTML), for incoming webhooks (JSON)
//! and for the log.
//!
//! It carries what a person on call needs to decide whether to look: which detector, model,
//! service and date; how far over the threshold; which features moved most; and where the
//! report is. Everything is built from the stored [`RunResult`], so the message and the report
//! cannot disagree.

use chrono::Duration as Days;
use serde_json::{Value, json};
use url::Url;

use crate::detector::AlertOn;
use crate::drift::metrics::datadrift_coefficient::DATADRIFT_COEFFICIENT;
use crate::drift::result::RunResult;
use crate::drift::verdict::{self, Status, distinct_pair};
use crate::report::escape;

/// Features listed in an alert.
pub const TOP_FEATURES: usize = 5;
/// Days of history the report link covers, ending on the scoring date.
pub const REPORT_DAYS: i64 = 30;

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
    coefficient_line: String,
    webhook: Value,
}

impl AlertMessage {
    /// The alert for `result` under the detector's `alert_on`, or `None` when the run does not
    /// warrant one (`drift::verdict::warrants_alert`).
    pub fn for_result(
        result: &RunResult,
        alert_on: AlertOn,
        report_base: Option<&Url>,
    ) -> Option<Self> {
        if !verdict::warrants_alert(result, alert_on) {
            return None;
        }
        let coefficient = result.coefficient()?;
        let threshold = result.drift_threshold;
        let (coef_s, thr_s) = distinct_pair(coefficient, threshold);
        let coef_label = DATADRIFT_COEFFICIENT.label;
        let coef_heading = coefficient_heading();
        let date = result.datetime.to_string();
        let drifted_features = result.drifted_features();
        let subject = match verdict::status(result) {
            Status::FeaturesDrifted => format!(
                "[driftscan] Features drifted: {} / {} on {date} ({} of {} features; {coef_label} {coef_s} \u{2264} {thr_s})",
                result.detector,
                result.service_name,
                drifted_features.len(),
                result.column_metrics.len()
            ),
            _ => format!(
                "[driftscan] Drift detected: {} / {} on {date} ({coef_label} {coef_s} > {thr_s})",
                result.detector, result.service_name
            ),
        };
        let sentence = verdict::sentence(result);
        let top_features = result.top_contributors(TOP_FEATURES);
        let report_url = report_base.and_then(|b| report_link(b, result));
        let run_type = result.run.run_type.as_str();

        let mut text = format!(
            "Data drift detected.\n\n\
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
        if let Some(u) = &report_url {
            text.push_str(&format!("\nReport: {u}\n"));
        }

        let mut html = format!(
            "<p><strong>Data drift detected.</strong></p>\n<table>\n\
             <tr><td>Detector</td><td>{}</td></tr>\n\
             <tr><td>Model</td><td>{} (version {})</td></tr>\n\
             <tr><td>Service</td><td>{}</td></tr>\n\
             <tr><td>Scoring date</td><td>{date} ({run_type} run)</td></tr>\n\
             <tr><td>{coef_heading}</td><td><strong>{coef_s}</strong> (threshold {thr_s})</td></tr>\n\
             <tr><td>Verdict</td><td>{}</td></tr>\n</table>\n",
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
        if let Some(u) = &report_url {
            html.push_str(&format!(
                "<p><a href=\"{0}\">Open the drift report</a></p>\n",
                escape(u)
            ));
        }

        let webhook = json!({
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
        Some(AlertMessage {
            subject,
            text,
            html,
            report_url,
            coefficient,
            top_features,
            drifted_features,
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
