//! Where callbacks may go: an absolute http(s) URL with a host; loopback and private addresses
//! are allowed (a developer's application runs there), this server's own address is not (a
//! callback to itself would be a loop, or a request made with the server's standing).

use axum::http::Uri;

/// The addresses this server answers on: the host and port it listens on, and those of its
/// public URL.
#[derive(Clone, Debug, Default)]
pub struct OwnAddresses {
    /// (host in lower case, port); host `*` is any local address (a server bound to 0.0.0.0).
    entries: Vec<(String, u16)>,
}

const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "[::]", "::"];

fn default_port(scheme: &str) -> u16 {
    if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    }
}

/// A host as compared: lower case, IPv6 brackets kept off.
fn normalize(host: &str) -> String {
    host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

fn is_local(host: &str) -> bool {
    let h = normalize(host);
    LOCAL_NAMES.iter().any(|n| normalize(n) == h) || h.starts_with("127.")
}

impl OwnAddresses {
    /// From the listen address (`127.0.0.1:8080`, `0.0.0.0:8080`) and the public URL, if any.
    pub fn new(bind: &str, public_url: Option<&str>) -> Self {
        let mut entries = Vec::new();
        if let Some((host, port)) = bind.rsplit_once(':') {
            if let Ok(port) = port.parse::<u16>() {
                let host = normalize(host);
                if host == "0.0.0.0" || host == "::" || host.is_empty() {
                    entries.push(("*".to_owned(), port));
                } else {
                    entries.push((host, port));
                }
            }
        }
        if let Some(uri) = public_url.and_then(|u| u.parse::<Uri>().ok()) {
            if let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) {
                entries.push((normalize(host), uri.port_u16().unwrap_or_else(|| default_port(scheme))));
            }
        }
        OwnAddresses { entries }
    }

    /// Whether `host:port` is this server.
    pub fn is_own(&self, host: &str, port: u16) -> bool {
        let h = normalize(host);
        self.entries.iter().any(|(own, p)| *p == port && (*own == h || ((own == "*" || is_local(own)) && is_local(&h))))
    }
}

/// A callback URL taken apart: where its POSTs connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// `host:port`, the key that keeps one receiver's callbacks from holding back another's.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Checks a callback URL: why it cannot be used, or where it goes.
pub fn check(url: &str, own: &OwnAddresses) -> Result<Target, &'static str> {
    let uri: Uri = url.trim().parse().map_err(|_| "must be an http(s) URL")?;
    let scheme = uri.scheme_str().ok_or("must be an http(s) URL")?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err("must be an http(s) URL"),
    };
    let host = uri.host().filter(|h| !h.is_empty()).ok_or("must be an http(s) URL with a host")?;
    let port = uri.port_u16().unwrap_or_else(|| default_port(scheme));
    if own.is_own(host, port) {
        return Err("must not point at this server's own API");
    }
    Ok(Target { https, host: normalize(host), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        let own = OwnAddresses::new("127.0.0.1:8080", None);
        let t = check("http://127.0.0.1:9000/sms", &own).unwrap();
        assert_eq!((t.https, t.host.as_str(), t.port), (false, "127.0.0.1", 9000));
        assert_eq!(check("https://example.com/cb", &own).unwrap().port, 443);
        assert_eq!(check("http://[::1]:9000/", &own).unwrap().authority(), "[::1]:9000");
        assert!(check("http://10.0.0.5/cb", &own).is_ok(), "private addresses are allowed");
    }

    #[test]
    fn other_schemes_and_relative_urls_are_refused() {
        let own = OwnAddresses::default();
        for bad in ["ftp://example.com/", "/relative", "example.com/cb", "", "http://", "javascript:alert(1)"] {
            assert!(check(bad, &own).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn this_server_is_refused_by_any_local_name() {
        let own = OwnAddresses::new("127.0.0.1:8080", Some("https://api.example.net/core/v2"));
        for bad in [
            "http://127.0.0.1:8080/core/v2/partners",
            "http://localhost:8080/x",
            "http://[::1]:8080/",
            "http://127.0.0.2:8080/",
            "https://api.example.net/anything",
            "https://API.example.net:443/",
        ] {
            assert_eq!(check(bad, &own), Err("must not point at this server's own API"), "{bad}");
        }
        assert!(check("http://localhost:8081/", &own).is_ok());
        assert!(check("http://api.example.net/", &own).is_ok(), "port 80 is not the public URL's 443");
    }

    #[test]
    fn a_server_on_every_address_is_itself_on_any_local_name() {
        let own = OwnAddresses::new("0.0.0.0:8080", None);
        assert!(check("http://localhost:8080/", &own).is_err());
        assert!(check("http://127.0.0.1:8080/", &own).is_err());
        assert!(check("http://example.com:8080/", &own).is_ok());
    }
}
