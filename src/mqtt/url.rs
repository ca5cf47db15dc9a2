//! `MQTT_URL`: `mqtt://[user[:password]@]host[:port]` or `mqtts://…` (TLS, port 8883 by
//! default). Pure parsing, so a malformed URL stops start-up with one line.

/// Where and how to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for BrokerUrl {
    // never print the password
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

impl BrokerUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("mqtt://") {
            (false, r)
        } else {
            return Err("must start with mqtt:// or mqtts://".into());
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err("must be mqtt[s]://[user[:password]@]host[:port] with no path".into());
        }
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (user, password) = match auth {
            None => (None, None),
            Some(a) => {
                let (u, p) = match a.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (a, None),
                };
                if u.is_empty() {
                    return Err("names an empty user".into());
                }
                (Some(decode(u)?), p.map(decode).transpose()?)
            }
        };
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            // [ipv6]:port
            let (h, after) = h.split_once(']').ok_or("has an unclosed [ in the host")?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None if after.is_empty() => default_port,
                None => return Err("has text after the host".into()),
            };
            (h.to_owned(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), parse_port(p)?),
                None => (hostport.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err("names no host".into());
        }
        Ok(Self {
            host,
            port,
            tls,
            user,
            password,
        })
    }

    /// The URL without its password, for logs and `/ready`.
    pub fn redacted(&self) -> String {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        let auth = match (&self.user, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            _ => String::new(),
        };
        format!("{scheme}://{auth}{}:{}", self.host, self.port)
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{p}` is not a port"))
}

/// Percent-decoding of the user and password (so they may hold `@`, `:` or `/`).
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("has a bad %-escape in the user or password")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "has a user or password that is not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_url_with_default_port() {
        let u = BrokerUrl::parse("mqtt://broker.local").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.tls),
            ("broker.local", 1883, false)
        );
        assert_eq!(u.user, None);
    }

    #[test]
    fn tls_url_with_credentials_and_port() {
        let u = BrokerUrl::parse("mqtts://ingest:s%40cret:x@10.0.0.5:9883").unwrap();
        assert!(u.tls);
        assert_eq!(u.port, 9883);
        assert_eq!(u.user.as_deref(), Some("ingest"));
        assert_eq!(u.password.as_deref(), Some("s@cret:x"));
        assert_eq!(u.redacted(), "mqtts://ingest:***@10.0.0.5:9883");
        assert!(!format!("{u:?}").contains("cret"));
        assert_eq!(BrokerUrl::parse("mqtts://h").unwrap().port, 8883);
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let u = BrokerUrl::parse("mqtt://[::1]:1884").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 1884));
    }

    #[test]
    fn malformed_urls_are_refused() {
        for bad in [
            "tcp://h",
            "mqtt://",
            "mqtt://h:0",
            "mqtt://h:99999",
            "mqtt://h/path",
            "mqtt://:pw@h",
            "mqtt://u:%zz@h",
            "mqtt://[::1",
        ] {
            assert!(BrokerUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
