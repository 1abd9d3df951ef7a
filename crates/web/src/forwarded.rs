//! Where the site is, and who is asking: the origin of absolute links and
//! the client's address, without trusting what any client says about them.
//!
//! Absolute links (today the `Link: <…>; rel="next"` header of
//! `/api/daily_papers`) point at [`WebConfig::public_url`] when it is set,
//! and the request's `Host` header is then never read. Without it they
//! point at the `Host` the request was sent to, if it is a syntactically
//! valid `host[:port]` (else `localhost`), over plain HTTP.
//!
//! `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` are read
//! only from a peer listed in [`WebConfig::trusted_proxies`] (addresses or
//! CIDR blocks); from anyone else they are ignored, as is everything when
//! the peer is unknown (a router driven in process, without
//! [`ConnectInfo`]).

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use ipnet::IpNet;

use crate::{AppState, WebConfig};

/// Why a `public_url` or a trusted proxy was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    /// `public_url` is not an absolute `http(s)://host[:port][/path]` URL.
    #[error(
        "invalid public URL {0:?}: expected http:// or https://, a host and no query, e.g. https://papers.example.org"
    )]
    PublicUrl(String),
    /// A trusted proxy is neither an IP address nor a CIDR block.
    #[error(
        "invalid trusted proxy {0:?}: expected an IP address or a CIDR block such as 10.0.0.0/8"
    )]
    Proxy(String),
}

/// The address the site is reached at, as links should name it:
/// `https://papers.example.org`, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the site is served over HTTPS.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl FromStr for PublicUrl {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        let bad = || AddressError::PublicUrl(s.chars().take(200).collect());
        let url = url::Url::parse(s.trim()).map_err(|_| bad())?;
        let fine = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !fine {
            return Err(bad());
        }
        Ok(PublicUrl(url.as_str().trim_end_matches('/').to_string()))
    }
}

/// The peers whose `X-Forwarded-*` headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`, `::1`) and CIDR blocks (`10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, AddressError> {
        let nets = items
            .iter()
            .map(|item| {
                let item = item.as_ref().trim();
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| AddressError::Proxy(item.chars().take(100).collect()))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is one of them (an IPv4 address seen as IPv6,
    /// `::ffff:10.0.0.1`, counts as the IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The TCP peer of a request, when the server recorded it.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Whether the request came through one of the trusted proxies.
fn via_trusted_proxy(config: &WebConfig, peer: Option<IpAddr>) -> bool {
    peer.is_some_and(|ip| config.trusted_proxies.contains(ip))
}

/// The first value of a header, if it is text.
fn first<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.split(',').next().unwrap_or("").trim())
}

/// Whether `host` is a syntactically valid `host[:port]`: a DNS name or an
/// IPv4 address, or an IPv6 address in brackets, then an optional port.
pub fn valid_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 255 {
        return false;
    }
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, tail)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => ("v6", tail),
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, _)) => (name, &host[name.len()..]),
            None => (host, ""),
        },
    };
    let port_ok = match port {
        "" => true,
        p => p
            .strip_prefix(':')
            .is_some_and(|n| !n.is_empty() && n.len() <= 5 && n.parse::<u16>().is_ok()),
    };
    let name_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    port_ok && name_ok
}

/// `scheme://host` (or the public URL) that absolute links start with.
pub fn origin<'a>(
    config: &'a WebConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Cow<'a, str> {
    if let Some(url) = &config.public_url {
        return Cow::Borrowed(url.as_str());
    }
    let trusted = via_trusted_proxy(config, peer);
    let forwarded_host = trusted
        .then(|| first(headers, "x-forwarded-host"))
        .flatten()
        .filter(|h| valid_host(h));
    let host = forwarded_host
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .filter(|h| valid_host(h))
        })
        .unwrap_or("localhost");
    let https = trusted
        && first(headers, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    Cow::Owned(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// The client's address: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one of the
/// trusted proxies (each proxy appends the address it was reached from, so
/// the entries to the left of an untrusted one may be forged).
pub fn client_ip(config: &WebConfig, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
    let peer = peer?;
    if !via_trusted_proxy(config, Some(peer)) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !config.trusted_proxies.contains(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

/// The origin absolute links start with, as an extractor (see [`origin`]).
pub struct LinkBase(pub String);

impl FromRequestParts<AppState> for LinkBase {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let base = origin(&state.config, &parts.headers, peer(&parts.extensions));
        Ok(LinkBase(base.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn config(public: Option<&str>, proxies: &[&str]) -> WebConfig {
        WebConfig {
            public_url: public.map(|u| u.parse().unwrap()),
            trusted_proxies: TrustedProxies::parse(proxies).unwrap(),
            ..WebConfig::default()
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    const FORGED: &[(&str, &str)] = &[
        ("host", "evil.example"),
        ("x-forwarded-host", "evil-forwarded.example"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "6.6.6.6"),
    ];

    #[test]
    fn the_public_url_wins_over_every_header() {
        let c = config(Some("https://papers.example.org/"), &["0.0.0.0/0", "::/0"]);
        for peer in [None, ip("10.0.0.1"), ip("::1")] {
            assert_eq!(
                origin(&c, &headers(FORGED), peer),
                "https://papers.example.org"
            );
        }
        let c = config(Some("http://example.org:8080/papers/"), &[]);
        assert_eq!(
            origin(&c, &headers(FORGED), None),
            "http://example.org:8080/papers"
        );
    }

    #[test]
    fn forwarded_headers_are_read_only_from_trusted_proxies() {
        let c = config(None, &["10.0.0.0/8", "192.168.1.7"]);
        let h = headers(FORGED);
        // Untrusted, or unknown, peers: the Host header, plain HTTP, the peer itself.
        for peer in [None, ip("192.168.1.8"), ip("11.0.0.1")] {
            assert_eq!(origin(&c, &h, peer), "http://evil.example", "{peer:?}");
            assert_eq!(client_ip(&c, &h, peer), peer);
        }
        // Trusted peers, including an IPv4 peer seen on an IPv6 socket.
        for peer in [ip("10.1.2.3"), ip("192.168.1.7"), ip("::ffff:10.0.0.9")] {
            assert_eq!(
                origin(&c, &h, peer),
                "https://evil-forwarded.example",
                "{peer:?}"
            );
            assert_eq!(client_ip(&c, &h, peer), ip("6.6.6.6"));
        }
        // No proxy is trusted by default.
        let c = config(None, &[]);
        assert_eq!(origin(&c, &h, ip("127.0.0.1")), "http://evil.example");
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop() {
        let c = config(None, &["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 2.2.2.2, 10.0.0.5")]);
        assert_eq!(client_ip(&c, &h, ip("10.0.0.1")), ip("2.2.2.2"));
        let h = headers(&[("x-forwarded-for", "garbage, 3.3.3.3")]);
        assert_eq!(client_ip(&c, &h, ip("10.0.0.1")), ip("3.3.3.3"));
        assert_eq!(
            client_ip(&c, &HeaderMap::new(), ip("10.0.0.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn only_valid_hosts_are_used() {
        for good in [
            "localhost",
            "127.0.0.1:8080",
            "papers.example.org",
            "[::1]:8080",
            "a-b.c",
        ] {
            assert!(valid_host(good), "{good}");
        }
        for bad in [
            "",
            "evil>host",
            "a b",
            "x:",
            "x:99999",
            "[::1",
            "[nope]",
            "-a.b",
            "a..b",
            "h/path",
            "user@host",
            "a:b:c",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
        let c = config(None, &[]);
        assert_eq!(origin(&c, &HeaderMap::new(), None), "http://localhost");
        assert_eq!(
            origin(&c, &headers(&[("host", "evil>host")]), None),
            "http://localhost"
        );
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_expected() {
        for bad in [
            "papers.example.org",
            "ftp://x.org",
            "https://",
            "https://x.org/?a=1",
            "https://u:p@x.org",
        ] {
            let e = bad.parse::<PublicUrl>().unwrap_err();
            assert!(e.to_string().contains("https://papers.example.org"), "{e}");
        }
        let e = TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]).unwrap_err();
        assert_eq!(e, AddressError::Proxy("proxy.local".into()));
        assert!(TrustedProxies::parse(&["::1", "fd00::/8", " 10.0.0.1 "]).is_ok());
    }
}
