//! Typed configuration, read once from environment variables and passed explicitly.
//!
//! Every variable is documented in the README with its default. A wrong value stops
//! start-up with a message naming the variable; secrets are wrapped in [`Secret`] so
//! they never end up in logs.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// A value that must never be printed (passwords, keys).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the worker delivers e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP relay (a PEC provider is an SMTP relay too).
    Smtp(SmtpSettings),
    /// No relay configured: messages are written as `.eml` files under this directory.
    Files(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub tls: SmtpTls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection (a relay on localhost, or the test server).
    None,
    /// STARTTLS upgrade (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `SPORTELLO_LISTEN`: address the web server binds.
    pub listen: SocketAddr,
    /// `SPORTELLO_PUBLIC_URL`: the address users reach (links in e-mails, QR codes).
    pub public_url: String,
    /// `SPORTELLO_DATA_DIR`: SQLite file, blobs, outgoing mail files.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `sqlite://…` (default, under the data dir) or `postgres://…`.
    pub database_url: String,
    /// `SPORTELLO_DB_MAX_CONNECTIONS`.
    pub db_max_connections: u32,
    /// `SPORTELLO_SMTP_*`, or files under the data dir when no host is set.
    pub mail: MailTransport,
    /// `SPORTELLO_MAIL_FROM`: sender of every notification.
    pub mail_from: String,
    /// `SPORTELLO_LOG`: `text` or `json`.
    pub log_format: LogFormat,
    /// `SPORTELLO_WORKER`: run the background worker inside `serve` (default true; false
    /// beside a dedicated `sportello worker`).
    pub run_worker: bool,
    /// `SPORTELLO_INSTANCE`: this instance's name behind a load balancer, sent back in the
    /// `Sportello-Instance` response header (unset: no header).
    pub instance: Option<String>,
    /// `SPORTELLO_SESSION_HOURS`: idle lifetime of a login session.
    pub session_hours: i64,
    /// `SPORTELLO_SEAL_KEY`: 32 bytes (hex or base64) that encrypt the chambers' seal keys at
    /// rest; unset, a secret file is made in the data dir (see `seal`).
    pub seal_key: Option<Secret>,
    /// `SPORTELLO_TRUSTED_PROXIES`: the load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// `SPORTELLO_WEBHOOKS_*`: where webhooks may point and how long a delivery may take.
    pub webhooks: WebhookSettings,
    /// `SPORTELLO_BLOBS` (and the S3 variables): a folder, default `<data>/blobs`, or a bucket.
    pub blobs: crate::blobs::Location,
    /// `SPORTELLO_BLOBS_GRACE_HOURS`: how old a blob no row refers to must be before the
    /// reaper removes it (default 24).
    pub blobs_grace_hours: i64,
    /// `SPORTELLO_OIDC_*`: the identity provider (a chamber's SPID/CIE broker) people log in
    /// with; unset, only passwords.
    pub oidc: Option<OidcSettings>,
    /// `SPORTELLO_CNS_TRUST_ANCHORS`: the authorities of the smart cards (CNS) people log in
    /// with through the TLS proxy; unset, no login with a card.
    pub cns: Option<CnsSettings>,
    /// `SPORTELLO_JOB_LEASE_SECONDS`: how long a worker holds a job it claimed before another
    /// worker may take it over, its own having presumably died (default 300). Longer than the
    /// slowest job; shorter brings a job killed mid-run back sooner.
    pub job_lease_seconds: i64,
    /// `SPORTELLO_METRICS_TOKEN`: the bearer token a scraper shows to read `/metrics`; unset,
    /// only a request from this machine that no proxy forwarded may read it.
    pub metrics_token: Option<Secret>,
    /// This instance's name in every log line and in `sportello_build_info`:
    /// `SPORTELLO_INSTANCE` when set (see `instance`), else the host name and the listening port.
    pub instance_id: String,
}

/// The OpenID Connect provider of this deployment (`SPORTELLO_OIDC_ISSUER`,
/// `SPORTELLO_OIDC_CLIENT_ID`, `SPORTELLO_OIDC_CLIENT_SECRET`, `SPORTELLO_OIDC_SCOPES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcSettings {
    /// The issuer; its discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Unset for a public client (PKCE alone).
    pub client_secret: Option<Secret>,
    /// The scopes asked, `openid` first (default `openid profile email`).
    pub scopes: Vec<String>,
}

impl OidcSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let (issuer, client_id) = match (
            get("SPORTELLO_OIDC_ISSUER"),
            get("SPORTELLO_OIDC_CLIENT_ID"),
        ) {
            (None, None) => return Ok(None),
            (Some(i), Some(c)) => (
                i.trim().trim_end_matches('/').to_string(),
                c.trim().to_string(),
            ),
            (None, Some(_)) => {
                return Err(ConfigError {
                    variable: "SPORTELLO_OIDC_ISSUER",
                    problem: "must be set with SPORTELLO_OIDC_CLIENT_ID".into(),
                });
            }
            (Some(_), None) => {
                return Err(ConfigError {
                    variable: "SPORTELLO_OIDC_CLIENT_ID",
                    problem: "must be set with SPORTELLO_OIDC_ISSUER".into(),
                });
            }
        };
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| issuer.starts_with(p));
        if !(issuer.starts_with("https://") || loopback) {
            return Err(ConfigError {
                variable: "SPORTELLO_OIDC_ISSUER",
                problem: "must be an https:// address (http:// only on this machine)".into(),
            });
        }
        let mut scopes = vec!["openid".to_string()];
        let asked = get("SPORTELLO_OIDC_SCOPES").unwrap_or_else(|| "openid profile email".into());
        for scope in asked.split([' ', ',']).filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        Ok(Some(Self {
            issuer,
            client_id,
            client_secret: get("SPORTELLO_OIDC_CLIENT_SECRET").map(Secret::new),
            scopes,
        }))
    }
}

/// The login with a smart card (CNS) through the TLS proxy (issue 15, item 1). Enabled by
/// `SPORTELLO_CNS_TRUST_ANCHORS`, PEM files (commas between them) holding the certificates
/// of the authorities that issue the cards; the proxy's address must be in
/// `SPORTELLO_TRUSTED_PROXIES`, since the certificate arrives in a header only that proxy may
/// set.
#[derive(Clone, PartialEq, Eq)]
pub struct CnsSettings {
    /// The files the anchors were read from (for the logs).
    pub files: Vec<PathBuf>,
    /// The anchors, DER.
    pub anchors: Vec<Vec<u8>>,
}

impl std::fmt::Debug for CnsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CnsSettings")
            .field("files", &self.files)
            .field("anchors", &self.anchors.len())
            .finish()
    }
}

impl CnsSettings {
    fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        proxies: &TrustedProxies,
    ) -> Result<Option<Self>, ConfigError> {
        const VARIABLE: &str = "SPORTELLO_CNS_TRUST_ANCHORS";
        let Some(list) = get(VARIABLE) else {
            return Ok(None);
        };
        if proxies.is_empty() {
            return Err(ConfigError {
                variable: VARIABLE,
                problem: "the login with a card needs the TLS proxy's address in \
                          SPORTELLO_TRUSTED_PROXIES"
                    .into(),
            });
        }
        let mut settings = Self {
            files: Vec::new(),
            anchors: Vec::new(),
        };
        for file in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let path = PathBuf::from(file);
            let bytes = std::fs::read(&path).map_err(|e| ConfigError {
                variable: VARIABLE,
                problem: format!("cannot read {file}: {e}"),
            })?;
            let certs = firma::parse_certificates(&bytes).map_err(|e| ConfigError {
                variable: VARIABLE,
                problem: format!("{file}: {e}"),
            })?;
            settings.anchors.extend(certs);
            settings.files.push(path);
        }
        if settings.anchors.is_empty() {
            return Err(ConfigError {
                variable: VARIABLE,
                problem: "names no file".into(),
            });
        }
        Ok(Some(settings))
    }
}

/// What webhook URLs may be and how deliveries are bounded (see `webhooks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `SPORTELLO_WEBHOOKS_ALLOW_HTTP`: also accept `http://` URLs (default: `https://` only).
    pub allow_http: bool,
    /// `SPORTELLO_WEBHOOKS_ALLOW_PRIVATE`: also deliver to loopback, private and link-local
    /// addresses (default: refused, so a webhook cannot reach the chamber's own network).
    pub allow_private: bool,
    /// `SPORTELLO_WEBHOOKS_TIMEOUT_MS`: the whole of one delivery attempt, connection included.
    pub timeout: std::time::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http: false,
            allow_private: false,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// The proxies (load balancers) whose `X-Forwarded-For` header is believed, as addresses or
/// CIDR blocks. Empty by default: the client is the TCP peer and the header is ignored, since
/// anyone can send it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8, 192.0.2.7, 2001:db8::/32` (commas or spaces between entries).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for entry in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (entry, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("'{entry}' is not an address or a CIDR block"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("'{entry}' has a prefix length over {max}"))?,
                None => max,
            };
            out.push((addr, bits));
        }
        Ok(Self(out))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(net, bits)| match (canonical(*net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(
                    u128::from(u32::from(n)) << 96,
                    u128::from(u32::from(a)) << 96,
                    *bits,
                ),
                (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(u128::from(n), u128::from(a), *bits),
                _ => false,
            })
    }

    /// The client's address: the TCP `peer`, unless the peer is a trusted proxy; then the
    /// `X-Forwarded-For` chain (every header, in order) is read from the right, each trusted
    /// proxy skipped, and the first address that is not one is the client. What a client put
    /// at the left of the chain itself is never believed past an untrusted hop.
    pub fn client_of<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.contains(peer) {
            return canonical(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect();
        let mut client = canonical(peer);
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.contains(ip) {
                        break;
                    }
                }
                // A hop that is not an address: stop at the last one believed.
                Err(_) => break,
            }
        }
        client
    }
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(bits))
    };
    a & mask == b & mask
}

/// A configuration value that cannot be used; names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let listen = match get("SPORTELLO_LISTEN") {
            Some(v) => v.parse().map_err(|_| ConfigError {
                variable: "SPORTELLO_LISTEN",
                problem: format!("'{v}' is not an address like 127.0.0.1:8080"),
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = PathBuf::from(get("SPORTELLO_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(ConfigError {
                        variable: "DATABASE_URL",
                        problem: "must start with sqlite:, postgres:// or postgresql://".into(),
                    });
                }
                url
            }
            None => format!("sqlite://{}", data_dir.join("sportello.db").display()),
        };
        let db_max_connections = parse_number(&get, "SPORTELLO_DB_MAX_CONNECTIONS", 10u32)?;
        if db_max_connections == 0 {
            return Err(ConfigError {
                variable: "SPORTELLO_DB_MAX_CONNECTIONS",
                problem: "must be at least 1".into(),
            });
        }
        let public_url = get("SPORTELLO_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                variable: "SPORTELLO_PUBLIC_URL",
                problem: "must start with http:// or https://".into(),
            });
        }

        let mail = match get("SPORTELLO_SMTP_HOST") {
            Some(host) => {
                let tls = match get("SPORTELLO_SMTP_TLS").as_deref() {
                    None | Some("starttls") => SmtpTls::StartTls,
                    Some("tls") => SmtpTls::Tls,
                    Some("none") => SmtpTls::None,
                    Some(other) => {
                        return Err(ConfigError {
                            variable: "SPORTELLO_SMTP_TLS",
                            problem: format!("'{other}' is not one of starttls, tls, none"),
                        });
                    }
                };
                let default_port = match tls {
                    SmtpTls::Tls => 465,
                    SmtpTls::StartTls => 587,
                    SmtpTls::None => 25,
                };
                MailTransport::Smtp(SmtpSettings {
                    host,
                    port: parse_number(&get, "SPORTELLO_SMTP_PORT", default_port)?,
                    username: get("SPORTELLO_SMTP_USERNAME"),
                    password: get("SPORTELLO_SMTP_PASSWORD").map(Secret::new),
                    tls,
                })
            }
            None => MailTransport::Files(data_dir.join("mail")),
        };
        let mail_from = get("SPORTELLO_MAIL_FROM")
            .unwrap_or_else(|| "Sportello <noreply@sportello.invalid>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError {
                variable: "SPORTELLO_MAIL_FROM",
                problem: format!("'{mail_from}' is not an e-mail address"),
            });
        }
        let log_format = match get("SPORTELLO_LOG").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError {
                    variable: "SPORTELLO_LOG",
                    problem: format!("'{other}' is not one of text, json"),
                });
            }
        };
        let run_worker = parse_bool(&get, "SPORTELLO_WORKER", true)?;
        let instance = get("SPORTELLO_INSTANCE").map(|v| v.trim().to_string());
        if let Some(name) = &instance
            && !(name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        {
            return Err(ConfigError {
                variable: "SPORTELLO_INSTANCE",
                problem: format!(
                    "'{name}' must be at most 64 letters, digits, dots, dashes or underscores"
                ),
            });
        }
        let session_hours = parse_number(&get, "SPORTELLO_SESSION_HOURS", 8i64)?;
        if !(1..=24 * 30).contains(&session_hours) {
            return Err(ConfigError {
                variable: "SPORTELLO_SESSION_HOURS",
                problem: "must be between 1 and 720".into(),
            });
        }

        let seal_key = get("SPORTELLO_SEAL_KEY").map(|v| Secret::new(v.trim()));
        if let Some(key) = &seal_key
            && crate::seal::SealSecret::parse(key.expose()).is_err()
        {
            return Err(ConfigError {
                variable: "SPORTELLO_SEAL_KEY",
                problem: "must be 32 random bytes as 64 hex digits or base64".into(),
            });
        }

        let trusted_proxies = match get("SPORTELLO_TRUSTED_PROXIES") {
            Some(v) => TrustedProxies::parse(&v).map_err(|problem| ConfigError {
                variable: "SPORTELLO_TRUSTED_PROXIES",
                problem,
            })?,
            None => TrustedProxies::default(),
        };

        let webhook_timeout_ms = parse_number(&get, "SPORTELLO_WEBHOOKS_TIMEOUT_MS", 10_000u64)?;
        if !(100..=60_000).contains(&webhook_timeout_ms) {
            return Err(ConfigError {
                variable: "SPORTELLO_WEBHOOKS_TIMEOUT_MS",
                problem: "must be between 100 and 60000".into(),
            });
        }
        let webhooks = WebhookSettings {
            allow_http: parse_bool(&get, "SPORTELLO_WEBHOOKS_ALLOW_HTTP", false)?,
            allow_private: parse_bool(&get, "SPORTELLO_WEBHOOKS_ALLOW_PRIVATE", false)?,
            timeout: std::time::Duration::from_millis(webhook_timeout_ms),
        };

        let blobs = crate::blobs::Location::from_lookup(&get, data_dir.join("blobs"))?;
        let blobs_grace_hours = parse_number(&get, "SPORTELLO_BLOBS_GRACE_HOURS", 24i64)?;
        if !(1..=24 * 365).contains(&blobs_grace_hours) {
            return Err(ConfigError {
                variable: "SPORTELLO_BLOBS_GRACE_HOURS",
                problem: "must be between 1 and 8760".into(),
            });
        }

        let oidc = OidcSettings::from_lookup(&get)?;
        let cns = CnsSettings::from_lookup(&get, &trusted_proxies)?;
        let job_lease_seconds = parse_number(&get, "SPORTELLO_JOB_LEASE_SECONDS", 300i64)?;
        if !(5..=24 * 3600).contains(&job_lease_seconds) {
            return Err(ConfigError {
                variable: "SPORTELLO_JOB_LEASE_SECONDS",
                problem: "must be between 5 and 86400".into(),
            });
        }
        let metrics_token = get("SPORTELLO_METRICS_TOKEN").map(|v| Secret::new(v.trim()));
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err(ConfigError {
                variable: "SPORTELLO_METRICS_TOKEN",
                problem: "must be at least 16 characters".into(),
            });
        }
        // The name checked above, or one made up for the logs only (no response header).
        let instance_id = instance
            .clone()
            .unwrap_or_else(|| format!("{}-{}", host_name(), listen.port()));

        Ok(Self {
            listen,
            public_url,
            data_dir,
            database_url,
            db_max_connections,
            mail,
            mail_from,
            log_format,
            run_worker,
            instance,
            session_hours,
            seal_key,
            trusted_proxies,
            webhooks,
            blobs,
            blobs_grace_hours,
            oidc,
            cns,
            job_lease_seconds,
            metrics_token,
            instance_id,
        })
    }

    /// The folder of a folder blob store (`SPORTELLO_BLOBS=file://…`, default `<data>/blobs`);
    /// with an S3 store, the folder a local store would use.
    pub fn blobs_dir(&self) -> PathBuf {
        match &self.blobs {
            crate::blobs::Location::Folder(dir) => dir.clone(),
            crate::blobs::Location::S3(_) => self.data_dir.join("blobs"),
        }
    }

    /// Whether cookies must carry the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// This machine's name as the kernel knows it, reduced to the characters an instance id may
/// hold; `sportello` when it cannot be read.
fn host_name() -> String {
    let name: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(48)
        .collect();
    if name.is_empty() {
        "sportello".into()
    } else {
        name
    }
}

fn parse_number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(variable) {
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            variable,
            problem: format!("'{v}' is not a valid number"),
        }),
        None => Ok(default),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(variable).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError {
            variable,
            problem: format!("'{other}' is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_sqlite_under_the_data_dir_and_files_for_mail() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://data/sportello.db");
        assert_eq!(c.mail, MailTransport::Files(PathBuf::from("data/mail")));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.secure_cookies());
        assert!(c.run_worker);
        assert_eq!(c.instance, None);
    }

    #[test]
    fn an_instance_name_is_a_short_plain_word() {
        let c = config(&[
            ("SPORTELLO_INSTANCE", "web-2"),
            ("SPORTELLO_WORKER", "false"),
        ])
        .expect("valid");
        assert_eq!(c.instance.as_deref(), Some("web-2"));
        assert!(!c.run_worker);
        let err = config(&[("SPORTELLO_INSTANCE", "web 2\r\nX: y")]).unwrap_err();
        assert_eq!(err.variable, "SPORTELLO_INSTANCE");
    }

    #[test]
    fn a_wrong_value_names_the_variable() {
        let err = config(&[("SPORTELLO_LISTEN", "nowhere")]).unwrap_err();
        assert_eq!(err.variable, "SPORTELLO_LISTEN");
        let err = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        let err = config(&[
            ("SPORTELLO_SMTP_HOST", "mail"),
            ("SPORTELLO_SMTP_PORT", "x"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "SPORTELLO_SMTP_PORT");
        assert!(err.to_string().starts_with("SPORTELLO_SMTP_PORT: "));
    }

    #[test]
    fn the_seal_key_is_checked_and_never_printed() {
        let hex = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        let c = config(&[("SPORTELLO_SEAL_KEY", hex)]).expect("valid");
        assert!(c.seal_key.is_some());
        assert!(!format!("{c:?}").contains("0f1e2d"));
        assert!(config(&[]).expect("defaults").seal_key.is_none());
        let err = config(&[("SPORTELLO_SEAL_KEY", "short")]).unwrap_err();
        assert_eq!(err.variable, "SPORTELLO_SEAL_KEY");
    }

    #[test]
    fn the_client_is_read_through_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_of(ip("192.0.2.1"), ["203.0.113.9"]),
            ip("192.0.2.1"),
            "no proxy configured: the header is ignored"
        );
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 2001:db8::/32").unwrap();
        assert_eq!(
            lb.client_of(ip("10.1.2.3"), ["203.0.113.9"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            lb.client_of(ip("10.1.2.3"), ["198.51.100.1, 203.0.113.9, 10.9.9.9"]),
            ip("203.0.113.9"),
            "a forged left part is not believed past the first untrusted hop"
        );
        assert_eq!(
            lb.client_of(ip("::ffff:192.0.2.7"), ["203.0.113.9"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            lb.client_of(ip("192.0.2.8"), ["203.0.113.9"]),
            ip("192.0.2.8"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(lb.client_of(ip("10.1.2.3"), ["junk"]), ip("10.1.2.3"));
        assert!(lb.contains(ip("2001:db8:1::5")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        let err = config(&[("SPORTELLO_TRUSTED_PROXIES", "x")]).unwrap_err();
        assert_eq!(err.variable, "SPORTELLO_TRUSTED_PROXIES");
    }

    #[test]
    fn smtp_password_is_never_printed() {
        let c = config(&[
            ("SPORTELLO_SMTP_HOST", "relay.example"),
            ("SPORTELLO_SMTP_PASSWORD", "hunter2"),
        ])
        .expect("valid");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
