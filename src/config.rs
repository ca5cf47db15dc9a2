//! Configuration: environment variables, over an optional TOML file (`MAINSPRING_CONFIG`
//! or `--config`), over defaults. A malformed setting stops start-up with one line naming
//! it ([`ConfigError`]). The TOML keys are the variable names in lower case without the
//! `MAINSPRING_` prefix (`database_url`, `http_addr`, `admin_key`, ...).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Which parts of the server run in this instance (all by default; turn parts off to
/// scale out, e.g. several ingest-only instances beside one scheduler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    pub http: bool,
    pub ingest: bool,
    pub scheduler: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `None`: run the embedded PostgreSQL cluster in `data_dir`.
    pub database_url: Option<String>,
    pub mqtt_url: Option<String>,
    pub http_addr: SocketAddr,
    pub admin_key: Option<String>,
    pub data_dir: PathBuf,
    pub db_pool_size: u32,
    pub http_workers: usize,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub roles: Roles,
    /// Assign a newly opened ticket that names no assignee to the best dispatch
    /// suggestion that has every skill it needs.
    pub auto_assign: bool,
    /// MQTT ingest, retention and dead letters (`crate::telemetry::config`).
    pub telemetry: crate::telemetry::config::TelemetryConfig,
}

/// A setting that could not be used; its `Display` is the one line shown at start-up.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub reason: String,
}

pub(crate) fn err(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// Where settings come from, in order: the environment, then the file.
pub struct Sources {
    env: HashMap<String, String>,
    file: HashMap<String, String>,
}

impl Sources {
    /// The process environment and the TOML file it (or `config_path`) names.
    pub fn from_process(config_path: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let path = config_path.map(Path::to_path_buf).or_else(|| {
            env.get("MAINSPRING_CONFIG")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        });
        let file = match path {
            Some(p) => read_toml(&p)?,
            None => HashMap::new(),
        };
        Ok(Self { env, file })
    }

    pub fn from_maps(env: HashMap<String, String>, file: HashMap<String, String>) -> Self {
        Self { env, file }
    }

    /// Set `name` as if the environment said so (`mainspring demo` points the server
    /// at its private services).
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_owned(), value.to_owned());
    }

    /// The value of `name` (an environment variable name), if set and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.env.get(name).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
        let key = name
            .strip_prefix("MAINSPRING_")
            .unwrap_or(name)
            .to_ascii_lowercase();
        self.file.get(&key).cloned()
    }
}

fn read_toml(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let name = "MAINSPRING_CONFIG";
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(name, format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(name, format!("{}: {}", path.display(), e.message())))?;
    table
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .into_iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => {
                    return Err(err(
                        name,
                        format!("{}: `{k}` has an unsupported value {other}", path.display()),
                    ))
                }
            };
            Ok((k, value))
        })
        .collect()
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        let database_url = sources.get("DATABASE_URL");
        if let Some(url) = &database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(err(
                    "DATABASE_URL",
                    "must start with postgres:// or postgresql://",
                ));
            }
        }
        let mqtt_url = sources.get("MQTT_URL");
        let telemetry = crate::telemetry::config::TelemetryConfig::load(sources)?;
        let http_addr = match sources.get("HTTP_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().map_err(|_| {
                err(
                    "HTTP_ADDR",
                    format!("`{v}` is not an address like 127.0.0.1:8080"),
                )
            })?,
        };
        let admin_key = sources.get("MAINSPRING_ADMIN_KEY");
        if let Some(k) = &admin_key {
            if k.len() < 16 {
                return Err(err(
                    "MAINSPRING_ADMIN_KEY",
                    "must be at least 16 characters",
                ));
            }
        }
        let data_dir = sources
            .get("MAINSPRING_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        let db_pool_size = parse_number(sources, "MAINSPRING_DB_POOL_SIZE", 16, 1..=1000)? as u32;
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let http_workers =
            parse_number(sources, "MAINSPRING_HTTP_WORKERS", cpus as u64, 1..=256)? as usize;
        let log_filter = sources
            .get("MAINSPRING_LOG")
            .unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_filter).is_err() {
            return Err(err(
                "MAINSPRING_LOG",
                format!("`{log_filter}` is not a log filter like `info` or `mainspring=debug`"),
            ));
        }
        let log_format = match sources.get("MAINSPRING_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err(
                    "MAINSPRING_LOG_FORMAT",
                    format!("`{other}` is not `text` or `json`"),
                ))
            }
        };
        let roles = match sources.get("MAINSPRING_ROLES") {
            None => Roles {
                http: true,
                ingest: true,
                scheduler: true,
            },
            Some(list) => parse_roles(&list)?,
        };
        let auto_assign = parse_bool(sources, "MAINSPRING_AUTO_ASSIGN", false)?;
        Ok(Self {
            database_url,
            mqtt_url,
            http_addr,
            admin_key,
            data_dir,
            db_pool_size,
            http_workers,
            log_filter,
            log_format,
            roles,
            auto_assign,
            telemetry,
        })
    }
}

pub(crate) fn parse_bool(
    sources: &Sources,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match sources.get(name).as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(err(name, format!("`{other}` is not `true` or `false`"))),
    }
}

pub(crate) fn parse_number(
    sources: &Sources,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    match sources.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(err(
                name,
                format!(
                    "`{v}` is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        },
    }
}

fn parse_roles(list: &str) -> Result<Roles, ConfigError> {
    let mut roles = Roles {
        http: false,
        ingest: false,
        scheduler: false,
    };
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "http" => roles.http = true,
            "ingest" => roles.ingest = true,
            "scheduler" => roles.scheduler = true,
            other => {
                return Err(err(
                    "MAINSPRING_ROLES",
                    format!("`{other}` is not one of http, ingest, scheduler"),
                ))
            }
        }
    }
    if roles
        == (Roles {
            http: false,
            ingest: false,
            scheduler: false,
        })
    {
        return Err(err(
            "MAINSPRING_ROLES",
            "names no role; use http, ingest and/or scheduler",
        ));
    }
    Ok(roles)
}

/// `/var/lib/mainspring` as root (reachable by the unprivileged PostgreSQL user), else
/// the user's data folder.
pub fn default_data_dir() -> PathBuf {
    if crate::db::embedded::running_as_root() {
        return PathBuf::from("/var/lib/mainspring");
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("mainspring")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)], file: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        Config::load(&Sources::from_maps(m(env), m(file)))
    }

    #[test]
    fn defaults_need_nothing() {
        let c = load(&[], &[]).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
        assert!(c.database_url.is_none());
        assert_eq!(
            c.roles,
            Roles {
                http: true,
                ingest: true,
                scheduler: true
            }
        );
    }

    #[test]
    fn a_malformed_address_names_the_variable() {
        let e = load(&[("HTTP_ADDR", "localhost")], &[]).unwrap_err();
        assert_eq!(e.name, "HTTP_ADDR");
        assert!(e.to_string().starts_with("invalid setting HTTP_ADDR:"));
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let c = load(
            &[("HTTP_ADDR", "127.0.0.1:9000")],
            &[("http_addr", "127.0.0.1:7000")],
        )
        .unwrap();
        assert_eq!(c.http_addr.port(), 9000);
        let c = load(
            &[],
            &[("http_addr", "127.0.0.1:7000"), ("db_pool_size", "4")],
        )
        .unwrap();
        assert_eq!(c.http_addr.port(), 7000);
        assert_eq!(c.db_pool_size, 4);
    }

    #[test]
    fn bad_values_are_refused_each_by_name() {
        for (name, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("MQTT_URL", "tcp://broker"),
            ("MAINSPRING_ADMIN_KEY", "short"),
            ("MAINSPRING_DB_POOL_SIZE", "0"),
            ("MAINSPRING_LOG_FORMAT", "xml"),
            ("MAINSPRING_ROLES", "http,cooking"),
            ("MAINSPRING_AUTO_ASSIGN", "yes please"),
        ] {
            let e = load(&[(name, value)], &[]).unwrap_err();
            assert_eq!(e.name, name, "{value}");
        }
    }

    #[test]
    fn automatic_assignment_is_off_unless_turned_on() {
        assert!(!load(&[], &[]).unwrap().auto_assign);
        assert!(
            load(&[("MAINSPRING_AUTO_ASSIGN", "true")], &[])
                .unwrap()
                .auto_assign
        );
        assert!(load(&[], &[("auto_assign", "true")]).unwrap().auto_assign);
        assert!(
            !load(
                &[("MAINSPRING_AUTO_ASSIGN", "false")],
                &[("auto_assign", "true")]
            )
            .unwrap()
            .auto_assign
        );
    }

    #[test]
    fn roles_can_be_narrowed_for_scale_out() {
        let c = load(&[("MAINSPRING_ROLES", "ingest")], &[]).unwrap();
        assert_eq!(
            c.roles,
            Roles {
                http: false,
                ingest: true,
                scheduler: false
            }
        );
    }
}
