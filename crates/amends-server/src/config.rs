//! Configuration: one TOML file plus environment variables (which win), so the same binary
//! runs on a laptop with no set-up and in production with secrets from the environment.
//!
//! | key | env | default |
//! |---|---|---|
//! | `database_url` | `AMENDS_DATABASE_URL` | `sqlite:amends.db` |
//! | `listen` | `AMENDS_LISTEN` | `127.0.0.1:8080` |
//! | `playbook` | `AMENDS_PLAYBOOK` | the bundled default playbook |

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings of `amends serve` and of the store-backed CLI commands.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
