//! Where a webhook may be posted: public addresses only, unless the operator allows private ones.
//!
//! A webhook URL comes from a detector definition, which an API caller writes; posting to it
//! from inside the network would let that caller reach services the server can reach and they
//! cannot (server-side request forgery: `http://127.0.0.1:...`, `http://169.254.169.254/`, an
//! internal host name). So the webhook client
//!
//! * resolves host names itself and connects only to public addresses, checked on every connect
//!   (so a name that later resolves elsewhere, "DNS rebinding", is caught too);
//! * refuses URLs whose host is a private address literal in any spelling the URL parser accepts
//!   (`127.1`, `0x7f000001`, `[::ffff:127.0.0.1]`);
//! * never follows redirects (a public host could otherwise redirect to a private one).
//!
//! * ignores the environment's proxies (`HTTP_PROXY`, `HTTPS_PROXY`): through a proxy, the proxy
//!   resolves and connects, so the check on connect would never run. `DRIFTSCAN_WEBHOOK_PROXY=1`
//!   sends webhooks through the environment's proxy, for networks whose only way out is one;
//! * and, whatever the proxy, checks the target before anything is sent ([`check_target`]): the
//!   name is resolved and every address must be public; `localhost` names and cloud metadata
//!   names are refused by name, with or without a trailing dot.
//!
//! `DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule, for receivers inside a network the
//! operator trusts (and for tests on loopback).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is reachable on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation, benchmarking or reserved, and
/// for IPv6 also not unique-local, and not an IPv4 address of those kinds mapped or translated
/// into IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let v4 =
                    Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
                return is_public_v4(v4);
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
                || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d and ::
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network" 0.0.0.0/8
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments 192.0.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || o[0] >= 240) // reserved 240.0.0.0/4
}

/// Checks the host of a webhook URL before anything is sent: a literal address must be public.
/// Names are checked when they are resolved, by the client's resolver.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err("the webhook URL has no host".into()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(refusal(&ip.to_string()))
    }
}

/// Host names that always name the machine itself or a cloud's instance metadata service, in
/// lower case without a trailing dot; `*.localhost` too (RFC 6761).
const PRIVATE_NAMES: &[&str] = &[
    "localhost",
    "metadata",
    "metadata.google.internal",
    "metadata.azure.internal",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Whether a host name is one of [`PRIVATE_NAMES`], however spelled (case, trailing dots).
fn is_private_name(host: &str) -> bool {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    PRIVATE_NAMES.contains(&name.as_str()) || name.ends_with(".localhost")
}

/// Checks a webhook's target before anything is sent, whichever way the request then goes (a
/// proxy resolves names itself, so this is the check that holds through one): a literal address
/// must be public ([`check_url`]); a name must not be a [`PRIVATE_NAMES`] one and must resolve,
/// here, to public addresses only.
pub async fn check_target(url: &url::Url, allow_private: bool) -> Result<(), String> {
    check_url(url, allow_private)?;
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    if allow_private {
        return Ok(());
    }
    if is_private_name(name) {
        return Err(refusal(name));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| format!("webhook host `{name}` cannot be resolved: {e}"))?
        .collect();
    match addresses.iter().find(|a| !is_public(a.ip())) {
        Some(private) => Err(refusal(&format!("{name}` (`{}`)", private.ip()))),
        None if addresses.is_empty() => Err(format!("webhook host `{name}` has no address")),
        None => Ok(()),
    }
}

/// The refusal of a host; `what` is shown between backticks.
fn refusal(what: &str) -> String {
    format!(
        "webhook host `{what}` is not a public address; set DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE=1 to allow private receivers"
    )
}

/// Resolves host names and keeps only public addresses; no address left is an error.
#[derive(Debug, Default)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(refusal(&host).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The client webhooks are posted with: no redirects, no proxy unless `use_env_proxy`
/// (`DRIFTSCAN_WEBHOOK_PROXY`), and (unless private receivers are allowed) connections to public
/// addresses only.
pub fn webhook_client(
    allow_private: bool,
    use_env_proxy: bool,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("driftscan/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none());
    if !use_env_proxy {
        builder = builder.no_proxy();
    }
    if allow_private {
        builder.build()
    } else {
        builder.dns_resolver(Arc::new(PublicOnly)).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.170",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "20.42.65.92",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn literal_hosts_in_any_spelling_are_checked() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://127.1/hook",
            "http://0x7f000001/hook",
            "http://2130706433/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[fd00:ec2::254]/latest",
            "http://169.254.169.254/metadata",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(check_url(&u, false).is_err(), "{url} -> {:?}", u.host());
            assert!(check_url(&u, true).is_ok());
        }
        let u = url::Url::parse("https://hooks.slack.com/services/x").unwrap();
        assert!(check_url(&u, false).is_ok());
    }

    #[tokio::test]
    async fn private_names_are_refused_in_any_spelling_and_names_are_resolved() {
        for url in [
            "http://localhost/x",
            "http://localhost./x",
            "http://LOCALHOST../x",
            "http://api.localhost/x",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://metadata.google.internal./computeMetadata/v1/",
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/latest/meta-data/",
        ] {
            let u = url::Url::parse(url).unwrap();
            let refused = check_target(&u, false).await.expect_err(url);
            assert!(refused.contains("not a public address"), "{url}: {refused}");
            assert!(check_target(&u, true).await.is_ok(), "{url}");
        }
        // A name that does not resolve is refused too: a proxy might resolve it to anything.
        let u = url::Url::parse("http://no-such-host.invalid/x").unwrap();
        assert!(check_target(&u, false).await.is_err());
    }
}
