//! The recovery script library: vetted message scripts per failure type and step (initial
//! contact, update, resolution confirmation, root-cause summary, follow-up), the "knowledge
//! base with recovery scripts" a support team would otherwise keep in a wiki nobody trusts.
//!
//! Scripts are templates like any other and pass the same linter; a playbook uses one with
//! `script = "outage/initial_contact"`. They ship in `scripts/*.toml`, compiled into the
//! binary, so a fresh install has good defaults for every failure type.

use amends_core::domain::{Channel, FailureType, Purpose};

/// One vetted script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// `failure_type/step`, e.g. `outage/initial_contact`.
    pub id: String,
    /// The failure type it is written for.
    pub failure_type: FailureType,
    /// The step of the recovery it serves.
    pub step: String,
    /// What the message is for (the linter's standard).
    pub purpose: Purpose,
    /// The channel it is written for.
    pub channel: Channel,
    /// A one-line title for people browsing the library.
    pub title: String,
    /// Words to find it by.
    pub tags: Vec<String>,
    /// Subject line template (email).
    pub subject: Option<String>,
    /// Body template.
    pub body: String,
    /// The library file it comes from, for error messages.
    pub file: &'static str,
    /// The byte span of the body's TOML value in that file.
    pub body_span: std::ops::Range<usize>,
    /// The byte span of the subject's TOML value, if any.
    pub subject_span: Option<std::ops::Range<usize>>,
}

/// The bundled library files: (name, contents).
pub const FILES: &[(&str, &str)] = &[
    (
        "scripts/outage.toml",
        include_str!("../scripts/outage.toml"),
    ),
    (
        "scripts/data_loss.toml",
        include_str!("../scripts/data_loss.toml"),
    ),
    (
        "scripts/billing_error.toml",
        include_str!("../scripts/billing_error.toml"),
    ),
    (
        "scripts/delivery_failure.toml",
        include_str!("../scripts/delivery_failure.toml"),
    ),
    (
        "scripts/quality_failure.toml",
        include_str!("../scripts/quality_failure.toml"),
    ),
];

/// The script library.
#[derive(Debug, Clone, Default)]
pub struct Library {
    scripts: Vec<Script>,
}

/// A library file that does not parse; only reachable through a bug in a bundled file, which
/// the crate's tests rule out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LibraryError {
    /// The library file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    script: Vec<RawScript>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    failure_type: String,
    step: String,
    purpose: String,
    channel: String,
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    subject: Option<toml::Spanned<String>>,
    body: toml::Spanned<String>,
}

impl Library {
    /// The bundled library.
    pub fn bundled() -> Result<Library, LibraryError> {
        let mut scripts = Vec::new();
        for (file, text) in FILES {
            scripts.extend(parse_file(file, text)?);
        }
        Ok(Library { scripts })
    }

    /// Every script, in library order.
    pub fn all(&self) -> &[Script] {
        &self.scripts
    }

    /// The script with this id.
    pub fn get(&self, id: &str) -> Option<&Script> {
        self.scripts.iter().find(|s| s.id == id)
    }

    /// Scripts matching every word of the query (in the id, title, tags, step, failure type
    /// or text), best first: matches in the id, title and tags count more than in the text.
    pub fn search(&self, query: &str) -> Vec<&Script> {
        let words: Vec<String> = query
            .split_whitespace()
            .map(|w| w.to_lowercase().replace('-', "_"))
            .collect();
        let mut hits: Vec<(usize, usize, &Script)> = self
            .scripts
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let head = format!("{} {} {} {}", s.id, s.title, s.tags.join(" "), s.purpose)
                    .to_lowercase()
                    .replace('-', "_");
                let text =
                    format!("{} {}", s.subject.as_deref().unwrap_or(""), s.body).to_lowercase();
                let mut score = 0;
                for w in &words {
                    if head.contains(w.as_str()) {
                        score += 3;
                    } else if text.contains(w.as_str()) {
                        score += 1;
                    } else {
                        return None;
                    }
                }
                Some((score, i, s))
            })
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, _, s)| s).collect()
    }
}

fn parse_file(file: &'static str, text: &str) -> Result<Vec<Script>, LibraryError> {
    let err = |message: String| LibraryError {
        file: file.to_string(),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    raw.script
        .into_iter()
        .map(|s| {
            let failure_type: FailureType =
                s.failure_type.parse().map_err(|e| err(format!("{e}")))?;
            let purpose: Purpose = s.purpose.parse().map_err(|e| err(format!("{e}")))?;
            let channel: Channel = s.channel.parse().map_err(|e| err(format!("{e}")))?;
            Ok(Script {
                id: format!("{}/{}", failure_type, s.step),
                failure_type,
                step: s.step,
                purpose,
                channel,
                title: s.title,
                tags: s.tags,
                subject_span: s.subject.as_ref().map(toml::Spanned::span),
                subject: s.subject.map(toml::Spanned::into_inner),
                body_span: s.body.span(),
                body: s.body.into_inner(),
                file,
            })
        })
        .collect()
}
