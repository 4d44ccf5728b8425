//! Where a webhook may point. A webhook makes the platform send requests to an address a
//! company chose, so without a rule a company could make the server call the chamber's own
//! network (an administration page on `10.0.0.5`, a cloud metadata service on
//! `169.254.169.254`). So:
//! - only `https://` URLs, or `http://` too when `SPORTELLO_WEBHOOKS_ALLOW_HTTP` says so;
//! - no user name or password in the URL (they would be stored and shown in clear);
//! - every address the host resolves to must be public: loopback, private, shared (CGNAT),
//!   link-local, unique-local, multicast, documentation and unspecified addresses are refused,
//!   unless `SPORTELLO_WEBHOOKS_ALLOW_PRIVATE` says so (the tests' receivers are on loopback).
//!
//! The rule is checked when the webhook is registered (with a message naming the problem) and
//! again by the transport on each delivery, at the moment it connects, since a name may
//! resolve elsewhere later.

use crate::config::WebhookSettings;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::Url;

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Why a URL cannot be a webhook's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("not an absolute URL with a host")]
    Invalid,
    #[error("the URL must start with https://")]
    NotHttps,
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the host does not resolve")]
    Unresolvable,
    #[error("the host resolves to a private, loopback or link-local address ({0})")]
    Private(IpAddr),
}

/// Whether `ip` is reachable on the public Internet (not loopback, private, shared, link-local,
/// unique-local, multicast, documentation, benchmarking, reserved or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), RFC 6598.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, RFC 6890.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, RFC 2544.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, RFC 1112.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // Documentation, RFC 3849.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and other addresses under ::/96 (deprecated), and 64:ff9b::/96
        // translation, which would reach IPv4 addresses unchecked.
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

/// Whether a delivery may connect to `ip` under `settings`.
pub fn admitted(ip: IpAddr, settings: &WebhookSettings) -> bool {
    settings.allow_private || is_public(ip)
}

/// Checks the URL's form (scheme, host, no credentials) and returns it parsed.
pub fn parse(url: &str, settings: &WebhookSettings) -> Result<Url, UrlProblem> {
    let url = url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(UrlProblem::Invalid);
    }
    let parsed = Url::parse(url).map_err(|_| UrlProblem::Invalid)?;
    match parsed.scheme() {
        "https" => {}
        "http" if settings.allow_http => {}
        _ => return Err(UrlProblem::NotHttps),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::Invalid);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    Ok(parsed)
}

/// Checks a URL to register: its form, then every address its host resolves to.
pub async fn check(url: &str, settings: &WebhookSettings) -> Result<Url, UrlProblem> {
    let parsed = parse(url, settings)?;
    let port = parsed.port_or_known_default().ok_or(UrlProblem::Invalid)?;
    let addresses: Vec<IpAddr> = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(name)) => {
            let resolved = tokio::time::timeout(
                settings.timeout,
                tokio::net::lookup_host((name.to_string(), port)),
            )
            .await
            .map_err(|_| UrlProblem::Unresolvable)?
            .map_err(|_| UrlProblem::Unresolvable)?;
            resolved.map(|a| a.ip()).collect()
        }
        None => return Err(UrlProblem::Invalid),
    };
    if addresses.is_empty() {
        return Err(UrlProblem::Unresolvable);
    }
    if let Some(ip) = addresses.into_iter().find(|ip| !admitted(*ip, settings)) {
        return Err(UrlProblem::Private(ip));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_webhook_cannot_reach_the_chambers_own_network() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(private)), "{private} is not public");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2a00:1450:4002:400::200e"] {
            assert!(is_public(ip(public)), "{public} is public");
        }
        let open = WebhookSettings {
            allow_private: true,
            ..WebhookSettings::default()
        };
        assert!(admitted(ip("127.0.0.1"), &open));
        assert!(!admitted(ip("127.0.0.1"), &WebhookSettings::default()));
    }

    #[test]
    fn only_https_urls_without_credentials_unless_http_is_allowed() {
        let strict = WebhookSettings::default();
        assert!(parse("https://erp.example.com/hooks", &strict).is_ok());
        assert_eq!(
            parse("http://erp.example.com/hooks", &strict),
            Err(UrlProblem::NotHttps)
        );
        assert_eq!(
            parse("ftp://erp.example.com/", &strict),
            Err(UrlProblem::NotHttps)
        );
        assert_eq!(
            parse("https://user:pw@erp.example.com/", &strict),
            Err(UrlProblem::Credentials)
        );
        assert_eq!(parse("erp.example.com", &strict), Err(UrlProblem::Invalid));
        let http = WebhookSettings {
            allow_http: true,
            ..WebhookSettings::default()
        };
        assert!(parse("http://erp.example.com/hooks", &http).is_ok());
    }

    #[tokio::test]
    async fn a_loopback_host_is_refused_by_name_and_by_address() {
        let strict = WebhookSettings::default();
        assert_eq!(
            check("https://127.0.0.1:8443/hook", &strict).await,
            Err(UrlProblem::Private(ip("127.0.0.1")))
        );
        assert!(matches!(
            check("https://localhost/hook", &strict).await,
            Err(UrlProblem::Private(_))
        ));
    }
}
