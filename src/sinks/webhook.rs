//! Alert as a JSON POST to an incoming webhook (Slack, Microsoft Teams, or any JSON receiver).
//!
//! Slack and Teams both display a top-level `text`; Teams also shows `summary` in the
//! notification; the `driftscan` object carries the same facts as data. Slack gets formatted
//! `blocks` and Teams workflows an Adaptive Card besides (see
//! [`super::alert::AlertMessage::webhook_payload_for`]). Network errors, 408, 429 and 5xx are retried
//! within the channel's deadline (honouring `Retry-After`); other 4xx mean the URL or payload is
//! wrong and are not.

use super::ChannelReport;
use super::alert::AlertMessage;
use super::appinsights::error_chain;
use super::identity::snippet;
use super::retry::{Deadline, RetryPolicy};

/// Attempts at one webhook at most: a receiver that keeps failing is not worth more, and a run's
/// alerts must finish well within a Functions invocation.
pub const MAX_ATTEMPTS: usize = 3;

/// Posts the alert to `url` with the client of [`super::egress`] (no redirects, public addresses
/// only unless allowed).
pub(crate) async fn send(
    http: &reqwest::Client,
    url: &str,
    alert: &AlertMessage,
    policy: &RetryPolicy,
    deadline: &Deadline,
    report: &mut ChannelReport,
) {
    let shown = redact(url);
    let payload = match url::Url::parse(url) {
        Ok(u) => alert.webhook_payload_for(&u),
        Err(_) => alert.webhook_payload().clone(),
    };
    let mut retry_no = 0u32;
    loop {
        report.attempts += 1;
        let response = http
            .post(url)
            .timeout(policy.request_timeout_within(deadline))
            .json(&payload)
            .send()
            .await;
        let (reason, retry_after) = match response {
            Ok(r) if r.status().is_success() => {
                tracing::info!(message = "Alert webhook delivered.", url = %shown, status = r.status().as_u16());
                report.delivered += 1;
                return;
            }
            Ok(r) => {
                let (status, retry_after, body) = super::retry::read_answer(r).await;
                let reason = format!("webhook {shown} answered {status}: {}", snippet(&body));
                if !(status == 408 || status == 429 || status >= 500) {
                    tracing::error!(message = "Alert webhook rejected; not retried.", %reason);
                    report.dropped += 1;
                    report.errors.push(reason);
                    return;
                }
                (reason, retry_after)
            }
            Err(e) => (format!("webhook {shown} failed: {}", error_chain(&e)), None),
        };
        report.errors.push(reason.clone());
        retry_no += 1;
        if report.attempts >= MAX_ATTEMPTS {
            tracing::error!(message = "Alert webhook failed; attempts spent.", %reason, attempts = report.attempts);
            report.dropped += 1;
            return;
        }
        match policy.wait_before(retry_no, retry_after, deadline) {
            Some(wait) => {
                tracing::warn!(message = "Alert webhook failed; will retry.", %reason, wait_ms = wait.as_millis() as u64);
                report.retried += 1;
                tokio::time::sleep(wait).await;
            }
            None => {
                tracing::error!(message = "Alert webhook failed; retry budget spent.", %reason);
                report.dropped += 1;
                return;
            }
        }
    }
}

/// Webhook URLs carry their secret in the path: logs and reports show only scheme and host.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}/…",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "<invalid webhook URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_webhook_paths_are_not_shown() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            redact("http://127.0.0.1:9000/hook"),
            "http://127.0.0.1:9000/…"
        );
        assert_eq!(redact("not a url"), "<invalid webhook URL>");
    }
}
