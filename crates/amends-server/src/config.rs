//! Configuration: one TOML file plus environment variables (which win), so the same binary
//! runs on a laptop with no set-up and in production with secrets from the environment.
//!
//! | key | env | default |
//! |---|---|---|
//! | `database_url` | `AMENDS_DATABASE_URL` | `sqlite:amends.db` |
//! | `listen` | `AMENDS_LISTEN` | `127.0.0.1:8080` |
//! | `playbook` | `AMENDS_PLAYBOOK` | the bundled default playbook |
//! | `alerts.pagerduty_secrets` | `AMENDS_PAGERDUTY_SECRETS` (comma-separated) | none: refused |
//! | `alerts.alertmanager_tokens` | `AMENDS_ALERTMANAGER_TOKENS` | none: refused |
//! | `alerts.grafana_tokens` | `AMENDS_GRAFANA_TOKENS` | none: refused |
//! | `delivery.smtp` (`host`, `port`, `security`, `from`, `username`, `password`, `connections` (16)) | `AMENDS_SMTP_PASSWORD` | none: email jobs wait as dead letters |
//! | `delivery.slack` (target → incoming-webhook URL) | — | none |
//! | `delivery.pagerduty` (`routing_key`, `url`) | `AMENDS_PAGERDUTY_ROUTING_KEY` | none |
//! | `delivery.poll_ms` | — | 1000 |
//! | `delivery.grace_minutes`, `delivery.at_risk_minutes` | — | 10, 5 |
//!
//! Secrets are kept in [`Secret`], whose Debug output is redacted.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings of `amends serve` and of the store-backed CLI commands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the data lives (`sqlite:PATH` or `postgres://…`).
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Playbook file; `None` uses the bundled default playbook.
    #[serde(default)]
    pub playbook: Option<PathBuf>,
    /// Who may send alerts.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// How messages, pages and posts go out.
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// The built-in status page (docs/status-page.md); without it the page still posts, with
    /// links relative to `listen` and unsubscribe links valid until the next start.
    #[serde(default)]
    pub status_page: Option<amends_delivery::status_page::StatusPageSettings>,
}

/// A secret from the config file or the environment; Debug shows `<redacted>`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, to hand to the one adapter that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The secrets inbound alert webhooks must carry. A sender with none is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// PagerDuty v3 webhook signing secrets (two during a rotation).
    #[serde(default)]
    pub pagerduty_secrets: Vec<Secret>,
    /// Bearer credentials configured on the Alertmanager webhook receiver.
    #[serde(default)]
    pub alertmanager_tokens: Vec<Secret>,
    /// Bearer credentials configured on the Grafana webhook contact point.
    #[serde(default)]
    pub grafana_tokens: Vec<Secret>,
}

/// The delivery engine's channels and timing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// The SMTP server customer and internal email goes through.
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    /// Slack war-room targets (`#incidents`) and their incoming-webhook URLs.
    #[serde(default)]
    pub slack: std::collections::BTreeMap<String, Secret>,
    /// PagerDuty Events API v2 for escalation pages.
    #[serde(default)]
    pub pagerduty: Option<PagerDutySettings>,
    /// How often an idle worker looks for due jobs (milliseconds).
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// A customer message not delivered this many minutes after it was due has missed its
    /// deadline.
    #[serde(default = "default_grace_minutes")]
    pub grace_minutes: i64,
    /// … and is at risk this many minutes before that deadline.
    #[serde(default = "default_at_risk_minutes")]
    pub at_risk_minutes: i64,
    /// The Slack target deadline alarms go to.
    #[serde(default = "default_alarm_target")]
    pub alarm_target: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            smtp: None,
            slack: Default::default(),
            pagerduty: None,
            poll_ms: default_poll_ms(),
            grace_minutes: default_grace_minutes(),
            at_risk_minutes: default_at_risk_minutes(),
            alarm_target: default_alarm_target(),
        }
    }
}

fn default_poll_ms() -> u64 {
    1000
}
fn default_grace_minutes() -> i64 {
    10
}
fn default_at_risk_minutes() -> i64 {
    5
}
fn default_alarm_target() -> String {
    "#incidents".to_string()
}

/// An SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name.
    pub host: String,
    /// Port (587 STARTTLS, 465 TLS, 25 plain on a trusted network).
    pub port: u16,
    /// `starttls` (default), `tls` or `plain` (loopback or a trusted relay only).
    #[serde(default = "default_security")]
    pub security: String,
    /// The From address (`Support <support@example.com>`).
    pub from: String,
    /// Login, if the server requires one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password (or `AMENDS_SMTP_PASSWORD`).
    #[serde(default)]
    pub password: Option<Secret>,
    /// Connections kept open to the server: how many messages are sent at once.
    #[serde(default = "default_smtp_connections")]
    pub connections: u32,
}

fn default_smtp_connections() -> u32 {
    amends_delivery::email::DEFAULT_CONNECTIONS
}

fn default_security() -> String {
    "starttls".to_string()
}

/// The PagerDuty Events API v2.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutySettings {
    /// The integration's routing key (or `AMENDS_PAGERDUTY_ROUTING_KEY`).
    pub routing_key: Secret,
    /// The endpoint.
    #[serde(default = "default_pagerduty_url")]
    pub url: String,
}

fn default_pagerduty_url() -> String {
    "https://events.pagerduty.com/v2/enqueue".to_string()
}

fn default_database_url() -> String {
    "sqlite:amends.db".to_string()
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: default_database_url(),
            listen: default_listen(),
            playbook: None,
            alerts: AlertsConfig::default(),
            delivery: DeliveryConfig::default(),
            status_page: None,
        }
    }
}

/// Why configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads `file` (if given), then applies the environment through `env` (a lookup
    /// function, so tests need not touch the process environment).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| {
                    let d = amends_core::diagnostic::Diagnostic::at(
                        &path.display().to_string(),
                        &text,
                        e.span().unwrap_or(0..0),
                        e.message().trim().to_string(),
                    );
                    ConfigError::Invalid(d.to_string())
                })?
            }
        };
        if let Some(url) = env("AMENDS_DATABASE_URL") {
            config.database_url = url;
        }
        if let Some(listen) = env("AMENDS_LISTEN") {
            config.listen = listen;
        }
        if let Some(playbook) = env("AMENDS_PLAYBOOK") {
            config.playbook = Some(PathBuf::from(playbook));
        }
        let list = |v: String| -> Vec<Secret> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .collect()
        };
        if let Some(v) = env("AMENDS_PAGERDUTY_SECRETS") {
            config.alerts.pagerduty_secrets = list(v);
        }
        if let Some(v) = env("AMENDS_ALERTMANAGER_TOKENS") {
            config.alerts.alertmanager_tokens = list(v);
        }
        if let Some(v) = env("AMENDS_GRAFANA_TOKENS") {
            config.alerts.grafana_tokens = list(v);
        }
        if let (Some(v), Some(smtp)) = (env("AMENDS_SMTP_PASSWORD"), config.delivery.smtp.as_mut())
        {
            smtp.password = Some(Secret::new(v));
        }
        if let (Some(v), Some(pd)) = (
            env("AMENDS_PAGERDUTY_ROUTING_KEY"),
            config.delivery.pagerduty.as_mut(),
        ) {
            pd.routing_key = Secret::new(v);
        }
        if let Some(page) = &config.status_page {
            page.check()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if config.delivery.at_risk_minutes < 0
            || config.delivery.grace_minutes < config.delivery.at_risk_minutes
        {
            return Err(ConfigError::Invalid(
                "delivery.at_risk_minutes must be between 0 and delivery.grace_minutes".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_set_up() {
        let c = Config::load(None, |_| None).unwrap();
        assert_eq!(c.database_url, "sqlite:amends.db");
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.playbook, None);
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("amends-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("amends.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite:x.db\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), |k| {
            (k == "AMENDS_DATABASE_URL").then(|| "postgres://u:secret@db/amends".to_string())
        })
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://u:secret@db/amends");
    }

    #[test]
    fn alert_secrets_come_from_the_environment_and_never_show_in_debug() {
        let c = Config::load(None, |k| {
            (k == "AMENDS_PAGERDUTY_SECRETS").then(|| "old-secret, new-secret".to_string())
        })
        .unwrap();
        assert_eq!(
            c.alerts.pagerduty_secrets,
            [Secret::new("old-secret"), Secret::new("new-secret")]
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("old-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn delivery_settings_are_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("amends-config-dl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("amends.toml");
        std::fs::write(
            &file,
            "[delivery]\npoll_ms = 50\n[delivery.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"plain\"\nfrom = \"Support <s@example.com>\"\n[delivery.slack]\n\"#incidents\" = \"http://127.0.0.1:9/hook\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), |k| {
            (k == "AMENDS_SMTP_PASSWORD").then(|| "pw".to_string())
        })
        .unwrap();
        let smtp = c.delivery.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.security.as_str()), (2525, "plain"));
        assert_eq!(
            smtp.connections, 16,
            "the default number of SMTP connections"
        );
        assert_eq!(smtp.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(c.delivery.poll_ms, 50);
        assert_eq!(c.delivery.grace_minutes, 10);
        assert!(
            !format!("{c:?}").contains("9/hook"),
            "webhook URLs are secrets"
        );
        std::fs::write(
            &file,
            "[delivery]\ngrace_minutes = 2\nat_risk_minutes = 5\n",
        )
        .unwrap();
        let e = Config::load(Some(&file), |_| None).unwrap_err().to_string();
        assert!(e.contains("at_risk_minutes"), "{e}");
    }

    #[test]
    fn a_typo_in_the_file_is_reported_with_its_place() {
        let dir = std::env::temp_dir().join(format!("amends-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("amends.toml");
        std::fs::write(&file, "listen = \"x\"\ndatabse_url = \"sqlite:x.db\"\n").unwrap();
        let e = Config::load(Some(&file), |_| None).unwrap_err().to_string();
        assert!(e.contains("unknown field `databse_url`"), "{e}");
        assert!(e.contains("amends.toml:2:1"), "{e}");
    }
}
