//! Whether an endpoint is this machine: loopback endpoints get the
//! emulator defaults (loopback credentials, no pacing), others AWS's.

use std::net::IpAddr;

use reqwest::Url;

/// True when the endpoint's host is a loopback address (127.0.0.0/8, ::1,
/// also as IPv4-mapped) or `localhost`. Unparseable endpoints are not loopback.
pub fn is_loopback(endpoint: &str) -> bool {
    let Ok(url) = Url::parse(endpoint.trim()) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed: `[::1]`.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let name = bare.strip_suffix('.').unwrap_or(bare);
            name.eq_ignore_ascii_case("localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for endpoint in [
            "http://127.0.0.1:4566",
            "http://127.8.9.10",
            "http://localhost:4566/",
            "http://LOCALHOST.",
            "http://[::1]:4566",
            "http://[::ffff:127.0.0.1]:80",
        ] {
            assert!(is_loopback(endpoint), "{endpoint}");
        }
    }

    #[test]
    fn not_loopback_hosts() {
        for endpoint in [
            "https://cloudtrail.us-east-1.amazonaws.com",
            "http://10.0.0.1:4566",
            "http://128.0.0.1",
            "http://localhost.example.com",
            "http://[::2]",
            "127.0.0.1:4566",
            "",
        ] {
            assert!(!is_loopback(endpoint), "{endpoint}");
        }
    }
}
