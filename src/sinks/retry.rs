//! Bounded retries shared by every sink: exponential backoff with jitter, `Retry-After`, and one
//! deadline per channel.
//!
//! Telemetry and alerts run after the result is stored, inside a Functions invocation with a time
//! limit, so a sink may never wait without bound. Every channel gets a [`Deadline`]; a retry whose
//! wait would end past it is not made, and what it would have sent is reported as dropped.

use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use serde::Serialize;

/// What a sink needs of an HTTP answer: its status, how long it asks to be left alone
/// (`Retry-After`, either form) and its body (empty when it cannot be read).
pub async fn read_answer(response: reqwest::Response) -> (u16, Option<Duration>, bytes::Bytes) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let body = response.bytes().await.unwrap_or_default();
    (status, retry_after, body)
}

/// How hard a sink tries before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetryPolicy {
    /// First backoff; doubled after each failed attempt. Default 500 ms.
    pub min_backoff: Duration,
    /// Largest backoff between two attempts (before `Retry-After`). Default 5 s.
    pub max_backoff: Duration,
    /// Total time a channel may spend, waits and requests included. Default 35 s, which is what
    /// the Application Insights SDKs allow themselves.
    pub total: Duration,
    /// Time limit of one request (HTTP or SMTP conversation). Default 10 s.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            total: Duration::from_secs(35),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Backoff before retry number `retry` (1 for the first retry): `min * 2^(retry-1)`, capped at
    /// `max`, then drawn uniformly from its upper half so that many runs failing together do not
    /// retry in lock-step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let base = self
            .min_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = base / 2;
        let jitter_ms = half.as_millis() as u64;
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(extra)
    }

    /// The wait before retry number `retry`, honouring a server's `Retry-After`; `None` when the
    /// wait would end past the deadline, which means: give up now.
    pub fn wait_before(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        deadline: &Deadline,
    ) -> Option<Duration> {
        let wait = match retry_after {
            Some(server) => server.max(self.backoff(retry)),
            None => self.backoff(retry),
        };
        if wait < deadline.remaining() {
            Some(wait)
        } else {
            None
        }
    }

    /// Time limit for the next request: the per-request limit, shortened to what is left.
    pub fn request_timeout_within(&self, deadline: &Deadline) -> Duration {
        self.request_timeout
            .min(deadline.remaining())
            .max(Duration::from_millis(1))
    }
}

/// The moment a channel stops trying.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    end: Instant,
}

impl Deadline {
    /// A deadline `total` from now.
    pub fn after(total: Duration) -> Self {
        let start = Instant::now();
        Deadline {
            start,
            end: start + total,
        }
    }

    /// Time left, zero once passed.
    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    /// Time since the deadline was set.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Reads a `Retry-After` header: delay in seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        for (retry, lo, hi) in [
            (1, 250, 500),
            (2, 500, 1000),
            (3, 1000, 2000),
            (5, 2500, 5000),
            (30, 2500, 5000),
        ] {
            for _ in 0..50 {
                let b = p.backoff(retry).as_millis() as u64;
                assert!(
                    (lo..=hi).contains(&b),
                    "retry {retry}: {b} ms not in {lo}..={hi}"
                );
            }
        }
    }

    #[test]
    fn wait_honours_retry_after_and_gives_up_past_the_deadline() {
        let p = RetryPolicy::default();
        let d = Deadline::after(Duration::from_secs(10));
        let w = p.wait_before(1, Some(Duration::from_secs(3)), &d).unwrap();
        assert!(w >= Duration::from_secs(3));
        assert_eq!(p.wait_before(1, Some(Duration::from_secs(60)), &d), None);
        let gone = Deadline::after(Duration::ZERO);
        assert_eq!(p.wait_before(1, None, &gone), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let rows: [(&str, Option<Duration>); 6] = [
            ("7", Some(Duration::from_secs(7))),
            (" 0 ", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            (
                "Wed, 21 Oct 2015 07:28:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(Duration::ZERO)),
            ("soon", None),
        ];
        for (input, expected) in rows {
            assert_eq!(parse_retry_after(input, now), expected, "input {input:?}");
        }
    }
}
