//! Configuration from the environment. Every variable is checked at start-up; an unknown
//! `CHANGEMAKER_*` variable or a malformed value stops the server with one line naming it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::secrets::SecretKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub site_addr: SocketAddr,
    /// Where the built site files (wasm, JS, CSS) are, when they are not embedded.
    pub site_root: String,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// From `CHANGEMAKER_SECRET_KEY`; when absent, the key file in the data dir is used.
    pub secret_key: Option<SecretKey>,
    /// The address people reach the server at; `https://` turns on `Secure` cookies.
    pub public_url: String,
    pub login_limit_per_ip: Limit,
    pub login_limit_per_account: Limit,
    pub bus: app::bus::BusConfig,
    /// Waits between attempts to send an email; after the last one it counts as failed.
    pub email_retry_schedule: Vec<Duration>,
    /// How often the email worker looks for emails due (1 s; tests shorten it).
    pub email_poll_interval: Duration,
    /// How often shifts are looked at for reminders due (1 min; tests shorten it).
    pub reminder_interval: Duration,
    /// Public shift sign-ups allowed per client IP per minute.
    pub signup_limit_per_minute: u32,
    /// Checkout starts (all payment entry points together) allowed per client IP per hour.
    pub checkout_limit_per_hour: u32,
    /// Campaign emails and responses sent from the public pages per client IP per hour.
    pub campaign_limit_per_hour: u32,
    /// Where Stripe's API is: `https://api.stripe.com`, or a fake in tests.
    pub stripe_api_base: String,
    /// Where Twilio's API is: `https://api.twilio.com`, or a fake in tests.
    pub twilio_api_base: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else the
    /// header is ignored and the socket's address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The largest video file an admin may upload.
    pub video_max_bytes: u64,
}

/// `count` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

/// One line, naming the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

fn error(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable: variable.to_string(), problem: problem.into() }
}

/// The `CHANGEMAKER_*` variables the server knows. `CHANGEMAKER_TEST_DATABASE_URL` belongs
/// to the test command and is accepted (and ignored) so that it can stay exported.
const KNOWN: &[&str] = &[
    "CHANGEMAKER_DATA_DIR",
    "CHANGEMAKER_LOG_FORMAT",
    "CHANGEMAKER_SECRET_KEY",
    "CHANGEMAKER_PUBLIC_URL",
    "CHANGEMAKER_BUS_RETRY_SCHEDULE",
    "CHANGEMAKER_EMAIL_RETRY_SCHEDULE",
    "CHANGEMAKER_EVENT_RETENTION_DAYS",
    "CHANGEMAKER_SIGNUP_RATE_LIMIT",
    "CHANGEMAKER_CHECKOUT_RATE_LIMIT",
    "CHANGEMAKER_CAMPAIGN_RATE_LIMIT",
    "CHANGEMAKER_STRIPE_API_BASE",
    "CHANGEMAKER_TWILIO_API_BASE",
    "CHANGEMAKER_TRUSTED_PROXIES",
    "CHANGEMAKER_VIDEO_MAX_MB",
    "CHANGEMAKER_TEST_DATABASE_URL",
];

/// The SQLite database in the data directory, when `DATABASE_URL` does not say otherwise.
pub const DATABASE_FILE: &str = "changemaker.db";
/// The secret key's file in the data directory, when `CHANGEMAKER_SECRET_KEY` is not set.
pub const SECRET_KEY_FILE: &str = "secret.key";

const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

impl Config {
    pub fn from_process_env() -> Result<Config, ConfigError> {
        Config::from_vars(
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        if let Some((unknown, _)) =
            vars.iter().find(|(k, _)| k.starts_with("CHANGEMAKER_") && !KNOWN.contains(&k.as_str()))
        {
            return Err(error(unknown, format!("unknown variable (known: {})", KNOWN.join(", "))));
        }
        let get = |name: &str| vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());

        let data_dir = PathBuf::from(get("CHANGEMAKER_DATA_DIR").unwrap_or("./data"));
        if data_dir.as_os_str().is_empty() {
            return Err(error("CHANGEMAKER_DATA_DIR", "must not be empty"));
        }

        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                if app::db::Backend::from_url(url).is_none() {
                    return Err(error("DATABASE_URL", "must start with sqlite: or postgres://"));
                }
                url.to_string()
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join(DATABASE_FILE).display()),
        };

        let site_addr_text = get("LEPTOS_SITE_ADDR").unwrap_or("127.0.0.1:3000");
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| {
            error(
                "LEPTOS_SITE_ADDR",
                format!("expected host:port such as 127.0.0.1:3000, got {site_addr_text:?}"),
            )
        })?;

        let log_filter = get("RUST_LOG").unwrap_or("info").to_string();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            return Err(error("RUST_LOG", format!("not a valid filter: {e}")));
        }

        let log_format = match get("CHANGEMAKER_LOG_FORMAT") {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(error("CHANGEMAKER_LOG_FORMAT", format!("expected text or json, got {other:?}")));
            }
        };

        let secret_key = match get("CHANGEMAKER_SECRET_KEY") {
            None => None,
            Some(text) => Some(SecretKey::from_base64(text).ok_or_else(|| {
                error("CHANGEMAKER_SECRET_KEY", "must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")
            })?),
        };

        let public_url = match get("CHANGEMAKER_PUBLIC_URL") {
            None => format!("http://{site_addr}"),
            Some(url) => {
                let url = url.trim_end_matches('/');
                let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
                if rest.is_none_or(|host| host.is_empty() || host.contains(char::is_whitespace)) {
                    return Err(error("CHANGEMAKER_PUBLIC_URL", "expected an http:// or https:// address"));
                }
                url.to_string()
            }
        };

        let mut bus = app::bus::BusConfig::default();
        if let Some(text) = get("CHANGEMAKER_BUS_RETRY_SCHEDULE") {
            bus.retry_schedule = parse_schedule(text).ok_or_else(|| {
                error("CHANGEMAKER_BUS_RETRY_SCHEDULE", "expected waits such as 5s,30s,2m,10m,1h,6h,24h")
            })?;
        }
        let email_retry_schedule = match get("CHANGEMAKER_EMAIL_RETRY_SCHEDULE") {
            None => app::email::service::default_retry_schedule(),
            Some(text) => parse_schedule(text).ok_or_else(|| {
                error("CHANGEMAKER_EMAIL_RETRY_SCHEDULE", "expected waits such as 1m,5m,30m,2h")
            })?,
        };
        if let Some(text) = get("CHANGEMAKER_EVENT_RETENTION_DAYS") {
            let days: u64 = text.parse().ok().filter(|d| (1..=3650).contains(d)).ok_or_else(|| {
                error("CHANGEMAKER_EVENT_RETENTION_DAYS", "expected a whole number of days, 1 to 3650")
            })?;
            bus.retention = Duration::from_secs(days * 24 * 3600);
        }

        let signup_limit_per_minute = match get("CHANGEMAKER_SIGNUP_RATE_LIMIT") {
            None => 5,
            Some(text) => text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                error(
                    "CHANGEMAKER_SIGNUP_RATE_LIMIT",
                    "expected a whole number of sign-ups per minute, at least 1",
                )
            })?,
        };

        let checkout_limit_per_hour = match get("CHANGEMAKER_CHECKOUT_RATE_LIMIT") {
            None => 10,
            Some(text) => text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                error(
                    "CHANGEMAKER_CHECKOUT_RATE_LIMIT",
                    "expected a whole number of checkout starts per hour, at least 1",
                )
            })?,
        };
        let campaign_limit_per_hour = match get("CHANGEMAKER_CAMPAIGN_RATE_LIMIT") {
            None => 20,
            Some(text) => text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                error(
                    "CHANGEMAKER_CAMPAIGN_RATE_LIMIT",
                    "expected a whole number of campaign emails per hour, at least 1",
                )
            })?,
        };
        let api_base = |variable: &str, default: &str| match get(variable) {
            None => Ok(default.to_string()),
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(url.trim_end_matches('/').to_string())
            }
            Some(_) => Err(error(variable, "expected an http:// or https:// address")),
        };
        let stripe_api_base = api_base("CHANGEMAKER_STRIPE_API_BASE", "https://api.stripe.com")?;
        let twilio_api_base = api_base("CHANGEMAKER_TWILIO_API_BASE", "https://api.twilio.com")?;
        let trusted_proxies = match get("CHANGEMAKER_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(text) => {
                text.split(',').map(|ip| ip.trim().parse()).collect::<Result<Vec<_>, _>>().map_err(|_| {
                    error("CHANGEMAKER_TRUSTED_PROXIES", "expected IP addresses separated by commas")
                })?
            }
        };

        let video_max_bytes = match get("CHANGEMAKER_VIDEO_MAX_MB") {
            None => app::media::files::DEFAULT_MAX_BYTES,
            Some(text) => {
                text.parse::<u64>().ok().filter(|mb| (1..=102_400).contains(mb)).ok_or_else(|| {
                    error("CHANGEMAKER_VIDEO_MAX_MB", "expected a whole number of megabytes, 1 to 102400")
                })? * 1024
                    * 1024
            }
        };

        Ok(Config {
            database_url,
            data_dir,
            site_addr,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or("target/site").to_string(),
            log_filter,
            log_format,
            secret_key,
            public_url,
            login_limit_per_ip: Limit { count: 20, window: LOGIN_WINDOW },
            login_limit_per_account: Limit { count: 5, window: LOGIN_WINDOW },
            bus,
            email_retry_schedule,
            email_poll_interval: Duration::from_secs(1),
            reminder_interval: Duration::from_secs(60),
            signup_limit_per_minute,
            checkout_limit_per_hour,
            campaign_limit_per_hour,
            stripe_api_base,
            twilio_api_base,
            trusted_proxies,
            video_max_bytes,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `5s,30s,2m,1h,1d` → durations; `None` if any part is not a number with a unit s/m/h/d.
/// An empty list means no retries: a failed delivery is parked at once.
fn parse_schedule(text: &str) -> Option<Vec<Duration>> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let unit_at = part.find(|c: char| !c.is_ascii_digit())?;
            let (number, unit) = part.split_at(unit_at);
            let number: u64 = number.parse().ok()?;
            let seconds = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => return None,
            };
            Some(Duration::from_secs(number.checked_mul(seconds)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_run_on_sqlite_under_data() {
        let config = Config::from_vars(vars(&[("HOME", "/root")])).unwrap();
        assert_eq!(config.database_url, "sqlite://./data/changemaker.db?mode=rwc");
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(!config.secure_cookies());
        assert!(config.secret_key.is_none());
        assert_eq!(config.video_max_bytes, 1024 * 1024 * 1024);
        let config = Config::from_vars(vars(&[("CHANGEMAKER_VIDEO_MAX_MB", "200")])).unwrap();
        assert_eq!(config.video_max_bytes, 200 * 1024 * 1024);
    }

    #[test]
    fn each_malformed_value_names_its_variable() {
        let cases = [
            ("DATABASE_URL", "mysql://x"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("RUST_LOG", "info,[[["),
            ("CHANGEMAKER_LOG_FORMAT", "xml"),
            ("CHANGEMAKER_SECRET_KEY", "too-short"),
            ("CHANGEMAKER_PUBLIC_URL", "ftp://example.org"),
            ("CHANGEMAKER_DATA_DIR", ""),
            ("CHANGEMAKER_BUS_RETRY_SCHEDULE", "5s,soon"),
            ("CHANGEMAKER_EVENT_RETENTION_DAYS", "0"),
            ("CHANGEMAKER_SIGNUP_RATE_LIMIT", "many"),
            ("CHANGEMAKER_VIDEO_MAX_MB", "0"),
            ("CHANGEMAKER_DATADIR", "/tmp"),
        ];
        for (name, value) in cases {
            let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
            assert_eq!(err.variable, name, "{name}={value}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn bus_retries_and_retention_are_configurable() {
        let config = Config::from_vars(vars(&[
            ("CHANGEMAKER_BUS_RETRY_SCHEDULE", "10s, 2m,1h"),
            ("CHANGEMAKER_EVENT_RETENTION_DAYS", "7"),
        ]))
        .unwrap();
        let secs: Vec<u64> = config.bus.retry_schedule.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [10, 120, 3600]);
        assert_eq!(config.bus.retention, Duration::from_secs(7 * 86_400));
        let defaults = Config::from_vars(vars(&[])).unwrap();
        let secs: Vec<u64> = defaults.bus.retry_schedule.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [5, 30, 120, 600, 3600, 21_600, 86_400]);
        assert_eq!(defaults.bus.retention, Duration::from_secs(30 * 86_400));
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let config =
            Config::from_vars(vars(&[("CHANGEMAKER_PUBLIC_URL", "https://act.example.org/")])).unwrap();
        assert_eq!(config.public_url, "https://act.example.org");
        assert!(config.secure_cookies());
    }

    #[test]
    fn postgres_and_json_logs_are_accepted() {
        let config = Config::from_vars(vars(&[
            ("DATABASE_URL", "postgres://u:p@localhost/db"),
            ("CHANGEMAKER_LOG_FORMAT", "json"),
            ("CHANGEMAKER_SECRET_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ]))
        .unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(config.secret_key.is_some());
    }
}
