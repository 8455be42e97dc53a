//! Entra ID tokens from the managed identity of the Functions app, for ingestion with local
//! authentication disabled.
//!
//! App Service and Functions expose a local token endpoint through `IDENTITY_ENDPOINT` and
//! `IDENTITY_HEADER` (protocol 2019-08-01); older plans only offer `MSI_ENDPOINT` / `MSI_SECRET`
//! (protocol 2017-09-01). Both are supported because which one a plan offers has changed over
//! time. Tokens are cached until five minutes before they expire: one scan publishes once, but a
//! backfill publishes once per day scored.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::SinkError;

/// Resource (audience) of Application Insights ingestion tokens.
pub const MONITOR_RESOURCE: &str = "https://monitor.azure.com";

/// Where the platform's token endpoint is and how to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityEndpoint {
    /// Token URL (`IDENTITY_ENDPOINT` or `MSI_ENDPOINT`).
    pub url: String,
    /// Anti-SSRF secret (`IDENTITY_HEADER` or `MSI_SECRET`).
    pub secret: String,
    /// True for the 2017-09-01 protocol (`MSI_*` variables).
    pub legacy: bool,
}

impl IdentityEndpoint {
    /// Finds the endpoint in the environment given by `lookup`, preferring the current protocol.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        if let (Some(url), Some(secret)) = (lookup("IDENTITY_ENDPOINT"), lookup("IDENTITY_HEADER"))
        {
            return Some(IdentityEndpoint {
                url,
                secret,
                legacy: false,
            });
        }
        if let (Some(url), Some(secret)) = (lookup("MSI_ENDPOINT"), lookup("MSI_SECRET")) {
            return Some(IdentityEndpoint {
                url,
                secret,
                legacy: true,
            });
        }
        None
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: String,
    expires: SystemTime,
}

/// A token cache for one resource.
#[derive(Debug, Default)]
pub struct TokenCache {
    cached: Mutex<Option<CachedToken>>,
}

impl TokenCache {
    /// Forgets the cached token, e.g. after the service answered 401.
    pub fn clear(&self) {
        if let Ok(mut c) = self.cached.lock() {
            *c = None;
        }
    }

    /// A valid bearer token for `resource`, from the cache or from the endpoint.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        endpoint: &IdentityEndpoint,
        resource: &str,
        client_id: Option<&str>,
        timeout: Duration,
    ) -> Result<String, SinkError> {
        if let Ok(c) = self.cached.lock()
            && let Some(t) = c.as_ref()
            && t.expires > SystemTime::now() + Duration::from_secs(300)
        {
            return Ok(t.token.clone());
        }
        let fresh = fetch(http, endpoint, resource, client_id, timeout).await?;
        let token = fresh.token.clone();
        if let Ok(mut c) = self.cached.lock() {
            *c = Some(fresh);
        }
        Ok(token)
    }
}

async fn fetch(
    http: &reqwest::Client,
    endpoint: &IdentityEndpoint,
    resource: &str,
    client_id: Option<&str>,
    timeout: Duration,
) -> Result<CachedToken, SinkError> {
    let identity_err = |reason: String| SinkError::Identity {
        endpoint: endpoint.url.clone(),
        reason,
    };
    let mut url =
        url::Url::parse(&endpoint.url).map_err(|e| identity_err(format!("not a URL: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("resource", resource);
        if endpoint.legacy {
            q.append_pair("api-version", "2017-09-01");
            if let Some(id) = client_id {
                q.append_pair("clientid", id);
            }
        } else {
            q.append_pair("api-version", "2019-08-01");
            if let Some(id) = client_id {
                q.append_pair("client_id", id);
            }
        }
    }
    let request = if endpoint.legacy {
        http.get(url).header("secret", &endpoint.secret)
    } else {
        http.get(url)
            .header("X-IDENTITY-HEADER", &endpoint.secret)
            .header("Metadata", "true")
    };
    let response = request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| identity_err(e.to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| identity_err(e.to_string()))?;
    if !status.is_success() {
        return Err(identity_err(format!("status {status}: {}", snippet(&body))));
    }
    let parsed: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| identity_err(format!("unreadable token response: {e}")))?;
    let expires = parsed
        .expires_on
        .as_ref()
        .and_then(parse_expires_on)
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(600));
    Ok(CachedToken {
        token: parsed.access_token,
        expires,
    })
}

/// `expires_on` is unix seconds as a string (2019-08-01), sometimes a number, or a date such as
/// `09/14/2017 00:00:00 PM +00:00` (2017-09-01).
fn parse_expires_on(v: &serde_json::Value) -> Option<SystemTime> {
    let secs = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .or_else(|| parse_legacy_date(s)),
        _ => None,
    }?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// `MM/DD/YYYY hh:mm:ss AM|PM +hh:mm`, where the sample in Microsoft's documentation writes
/// noon as `00:00:00 PM`, so the hour is read on a 24-hour clock and PM adds 12 below 12.
fn parse_legacy_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [date, time, half, offset] = parts.as_slice() else {
        return None;
    };
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%m/%d/%Y %H:%M:%S")
            .ok()?;
    let naive = if half.eq_ignore_ascii_case("PM") && chrono::Timelike::hour(&naive) < 12 {
        naive + chrono::Duration::hours(12)
    } else if half.eq_ignore_ascii_case("AM") && chrono::Timelike::hour(&naive) == 12 {
        naive - chrono::Duration::hours(12)
    } else {
        naive
    };
    let offset: chrono::FixedOffset = offset.parse().ok()?;
    let at = naive.and_local_timezone(offset).single()?;
    u64::try_from(at.timestamp()).ok()
}

/// The start of a response body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expires_on_is_read_in_every_documented_form() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(parse_expires_on(&json!("1586984735")), Some(at(1586984735)));
        assert_eq!(parse_expires_on(&json!(1586984735)), Some(at(1586984735)));
        assert_eq!(
            parse_expires_on(&json!("09/14/2017 00:00:00 PM +00:00")),
            Some(at(1505390400))
        );
        assert_eq!(parse_expires_on(&json!("tomorrow")), None);
    }

    #[test]
    fn current_protocol_wins_over_the_legacy_one() {
        let env = |k: &str| match k {
            "IDENTITY_ENDPOINT" => Some("http://127.0.0.1:41/msi/token".to_string()),
            "IDENTITY_HEADER" => Some("h".to_string()),
            "MSI_ENDPOINT" => Some("http://127.0.0.1:42/".to_string()),
            "MSI_SECRET" => Some("s".to_string()),
            _ => None,
        };
        let e = IdentityEndpoint::from_lookup(&env).unwrap();
        assert!(!e.legacy);
        assert_eq!(e.secret, "h");
        let legacy = |k: &str| if k.starts_with("MSI_") { env(k) } else { None };
        assert!(IdentityEndpoint::from_lookup(&legacy).unwrap().legacy);
        assert_eq!(IdentityEndpoint::from_lookup(&|_| None), None);
    }
}
