//! Alert mail over SMTP (lettre), for running outside Azure; in Azure the Azure Monitor rule and
//! action group from `infra/` send the mail instead.
//!
//! One message per alert, addressed to all of the detector's `alert.emails`, plain text with an
//! HTML alternative. Transient failures (connection refused, timeouts, 4xx replies) are retried
//! within the channel's deadline; permanent ones (5xx replies such as an unknown mailbox) are not.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::alert::AlertMessage;
use super::appinsights::error_chain;
use super::retry::{Deadline, RetryPolicy};
use super::settings::Settings;
use super::{ChannelReport, SinkError};

/// How the SMTP connection is secured (`DRIFTSCAN_SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// `starttls` (default, port 587): plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// `tls` (port 465): TLS from the first byte.
    Tls,
    /// `none` (port 25): no encryption. Only for a relay on the same host or a test server.
    None,
}

impl SmtpTls {
    /// Reads `starttls`, `tls` or `none` (case-insensitive).
    pub fn parse(value: &str) -> Result<Self, SinkError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "smtps" => Ok(SmtpTls::Tls),
            "none" | "off" | "plain" => Ok(SmtpTls::None),
            _ => Err(SinkError::InvalidSetting {
                var: "DRIFTSCAN_SMTP_TLS",
                value: value.to_string(),
                reason: "expected `starttls`, `tls` or `none`".to_string(),
            }),
        }
    }

    /// The usual port for this mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// Where and how alert mail is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host name (`DRIFTSCAN_SMTP_HOST`).
    pub host: String,
    /// Server port (`DRIFTSCAN_SMTP_PORT`); defaults by [`SmtpTls::default_port`].
    pub port: u16,
    /// Connection security (`DRIFTSCAN_SMTP_TLS`). Default STARTTLS.
    pub tls: SmtpTls,
    /// Login, when the server wants one (`DRIFTSCAN_SMTP_USER`, `DRIFTSCAN_SMTP_PASSWORD`).
    pub credentials: Option<(String, String)>,
    /// Sender (`DRIFTSCAN_SMTP_FROM`). Default `driftscan <driftscan@localhost>`.
    pub from: Mailbox,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from.to_string())
            .finish()
    }
}

fn transport(
    cfg: &SmtpConfig,
    timeout: std::time::Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let builder = match cfg.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.as_str()),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host)?,
    };
    let mut builder = builder.port(cfg.port).timeout(Some(timeout));
    if let Some((user, password)) = &cfg.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Sends `alert` to `recipients`, recording the outcome per recipient in `report`.
pub(crate) async fn send(
    cfg: &SmtpConfig,
    recipients: &[String],
    alert: &AlertMessage,
    policy: &RetryPolicy,
    deadline: &Deadline,
    report: &mut ChannelReport,
) {
    let mut to: Vec<Mailbox> = Vec::new();
    for r in recipients {
        match r.trim().parse::<Mailbox>() {
            Ok(m) => to.push(m),
            Err(e) => {
                tracing::error!(message = "Alert recipient is not a mail address; skipped.", recipient = %r, error = %e);
                report.dropped += 1;
                report
                    .errors
                    .push(format!("recipient `{r}` is not a mail address: {e}"));
            }
        }
    }
    if to.is_empty() {
        return;
    }
    let mut builder = Message::builder()
        .from(cfg.from.clone())
        .subject(alert.subject.clone())
        .date_now();
    for m in &to {
        builder = builder.to(m.clone());
    }
    let message = match builder.multipart(MultiPart::alternative_plain_html(
        alert.text.clone(),
        alert.html.clone(),
    )) {
        Ok(m) => m,
        Err(e) => {
            report.dropped += to.len();
            report.errors.push(format!("building the alert mail: {e}"));
            return;
        }
    };
    let mut retry_no = 0u32;
    loop {
        report.attempts += 1;
        let timeout = policy.request_timeout_within(deadline);
        let outcome = match transport(cfg, timeout) {
            Ok(t) => t.send(message.clone()).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => {
                tracing::info!(message = "Alert mail sent.", server = %cfg.host, recipients = to.len());
                report.delivered += to.len();
                return;
            }
            Err(e) => {
                let reason = format!(
                    "SMTP {}:{} refused or failed: {}",
                    cfg.host,
                    cfg.port,
                    error_chain(&e)
                );
                report.errors.push(reason.clone());
                if e.is_permanent() {
                    tracing::error!(message = "Alert mail rejected; not retried.", %reason);
                    report.dropped += to.len();
                    return;
                }
                retry_no += 1;
                match policy.wait_before(retry_no, None, deadline) {
                    Some(wait) => {
                        tracing::warn!(message = "Alert mail failed; will retry.", %reason, wait_ms = wait.as_millis() as u64);
                        report.retried += to.len();
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        tracing::error!(message = "Alert mail failed; retry budget spent.", %reason);
                        report.dropped += to.len();
                        return;
                    }
                }
            }
        }
    }
}

impl SmtpConfig {
    /// The SMTP settings (see [`super::SinkConfig::from_lookup`]), `None` without a host.
    pub(crate) fn from_settings(env: &Settings) -> Result<Option<Self>, SinkError> {
        Ok(match env.get("DRIFTSCAN_SMTP_HOST") {
            None => None,
            Some(host) => {
                let tls = match env.get("DRIFTSCAN_SMTP_TLS") {
                    Some(v) => SmtpTls::parse(&v)?,
                    None => SmtpTls::StartTls,
                };
                let port = match env.get("DRIFTSCAN_SMTP_PORT") {
                    None => tls.default_port(),
                    Some(v) => v.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                        env.invalid(
                            "DRIFTSCAN_SMTP_PORT",
                            &v,
                            "expected a port number from 1 to 65535",
                        )
                    })?,
                };
                let credentials = match (
                    env.get("DRIFTSCAN_SMTP_USER"),
                    env.get("DRIFTSCAN_SMTP_PASSWORD"),
                ) {
                    (Some(u), Some(p)) => Some((u, p)),
                    (None, None) => None,
                    (Some(u), None) => {
                        return Err(env.invalid(
                            "DRIFTSCAN_SMTP_USER",
                            &u,
                            "DRIFTSCAN_SMTP_PASSWORD is not set",
                        ));
                    }
                    (None, Some(_)) => {
                        return Err(env.invalid(
                            "DRIFTSCAN_SMTP_PASSWORD",
                            "***",
                            "DRIFTSCAN_SMTP_USER is not set",
                        ));
                    }
                };
                let from_raw = env
                    .get("DRIFTSCAN_SMTP_FROM")
                    .unwrap_or_else(|| "driftscan <driftscan@localhost>".to_string());
                let from = from_raw
                    .parse()
                    .map_err(|e: lettre::address::AddressError| {
                        env.invalid(
                            "DRIFTSCAN_SMTP_FROM",
                            &from_raw,
                            &format!("not a mail address: {e}"),
                        )
                    })?;
                Some(SmtpConfig {
                    host,
                    port,
                    tls,
                    credentials,
                    from,
                })
            }
        })
    }
}
