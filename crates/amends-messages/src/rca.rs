//! The customer-facing root-cause summary: entered once as a structured record (what
//! happened, why, what was fixed, what prevents a recurrence, with dates), then rendered per
//! account as email (through the playbook's RCA template), as a status page post, and as a
//! printable HTML page. The seed is blunt: a post-incident review that stays internal is a
//! failure of the recovery.

use amends_core::diagnostic::{Diagnostic, Diagnostics};
use amends_core::locale::Locale;
use jiff::civil::Date;
use minijinja::Value;
use toml::Spanned;

use crate::context::{Facts, PreventionFacts, RcaFacts};
use crate::templates::render_str;

/// A root-cause summary, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rca {
    /// What happened, in plain words.
    pub what_happened: String,
    /// Why it happened.
    pub why: String,
    /// What was fixed.
    pub fixed: Vec<String>,
    /// What prevents a recurrence.
    pub prevention: Vec<Prevention>,
}

/// One action that prevents a recurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prevention {
    /// The action, in plain words.
    pub action: String,
    /// By when it is done.
    pub by: Date,
    /// Whether it is already done.
    pub done: bool,
}

/// A root-cause summary as written, before checking: the shape of the TOML file and of the
/// HTTP API's body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RcaSpec {
    /// What happened, in plain words.
    pub what_happened: String,
    /// Why it happened.
    pub why: String,
    /// What was fixed, at least one item.
    pub fixed: Vec<String>,
    /// What prevents a recurrence, at least one action with its date.
    pub prevention: Vec<PreventionSpec>,
}

/// One prevention action as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreventionSpec {
    /// The action, in plain words.
    pub action: String,
    /// By when, `YYYY-MM-DD`.
    pub by: String,
    /// Whether it is already done.
    #[serde(default)]
    pub done: bool,
}

impl RcaSpec {
    /// Checks the summary: every text filled in, at least one fix and one prevention action,
    /// dates that parse. Problems come back with the path of their field
    /// (`prevention[1].by`).
    pub fn check(&self) -> Result<Rca, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut need = |path: String, s: &str, what: &str| {
            if s.trim().is_empty() {
                problems.push((path, format!("{what} must not be empty")));
            }
            s.trim().to_string()
        };
        let what_happened = need("what_happened".into(), &self.what_happened, "what_happened");
        let why = need("why".into(), &self.why, "why");
        let fixed: Vec<String> = self
            .fixed
            .iter()
            .enumerate()
            .map(|(i, f)| need(format!("fixed[{i}]"), f, "a fixed item"))
            .collect();
        let mut prevention = Vec::new();
        let mut dates = Vec::new();
        for (i, p) in self.prevention.iter().enumerate() {
            let action = need(
                format!("prevention[{i}].action"),
                &p.action,
                "a prevention action",
            );
            match p.by.trim().parse::<Date>() {
                Ok(by) => prevention.push(Prevention {
                    action,
                    by,
                    done: p.done,
                }),
                Err(_) => dates.push((
                    format!("prevention[{i}].by"),
                    format!("{:?} is not a date; write YYYY-MM-DD", p.by),
                )),
            }
        }
        problems.extend(dates);
        if self.fixed.is_empty() {
            problems.push((
                "fixed".into(),
                "say at least one thing that was fixed".into(),
            ));
        }
        if self.prevention.is_empty() {
            problems.push((
                "prevention".into(),
                "say at least one thing that prevents a recurrence, with its date".into(),
            ));
        }
        if problems.is_empty() {
            Ok(Rca {
                what_happened,
                why,
                fixed,
                prevention,
            })
        } else {
            Err(problems)
        }
    }
}

/// The TOML as written, with spans, to point errors at their place.
#[derive(serde::Deserialize)]
struct Located {
    what_happened: Spanned<String>,
    why: Spanned<String>,
    fixed: Spanned<Vec<Spanned<String>>>,
    prevention: Spanned<Vec<Spanned<LocatedPrevention>>>,
}

#[derive(serde::Deserialize)]
struct LocatedPrevention {
    action: Spanned<String>,
    by: Spanned<String>,
}

impl Located {
    /// The span of a field path from [`RcaSpec::check`].
    fn span(&self, path: &str) -> std::ops::Range<usize> {
        let index = |p: &str| {
            p.split_once('[')
                .and_then(|(_, rest)| rest.split_once(']'))
                .and_then(|(n, _)| n.parse::<usize>().ok())
        };
        let prevention = |i: Option<usize>| i.and_then(|i| self.prevention.get_ref().get(i));
        match path.split(['[', '.']).next().unwrap_or(path) {
            "what_happened" => self.what_happened.span(),
            "why" => self.why.span(),
            "fixed" => index(path)
                .and_then(|i| self.fixed.get_ref().get(i))
                .map_or(self.fixed.span(), Spanned::span),
            _ => match prevention(index(path)) {
                Some(p) if path.ends_with(".by") => p.get_ref().by.span(),
                Some(p) if path.ends_with(".action") => p.get_ref().action.span(),
                Some(p) => p.span(),
                None => self.prevention.span(),
            },
        }
    }
}

impl Rca {
    /// Parses an RCA file (TOML, see `docs/templates.md`), reporting every problem with its
    /// line and column.
    pub fn parse_toml(file: &str, text: &str) -> Result<Rca, Diagnostics> {
        let syntax = |e: toml::de::Error| {
            Diagnostics(vec![Diagnostic::at(
                file,
                text,
                e.span().unwrap_or(0..0),
                e.message().trim().to_string(),
            )])
        };
        let spec: RcaSpec = toml::from_str(text).map_err(syntax)?;
        let located: Located = toml::from_str(text).map_err(syntax)?;
        spec.check().map_err(|problems| {
            Diagnostics(
                problems
                    .into_iter()
                    .map(|(path, message)| Diagnostic::at(file, text, located.span(&path), message))
                    .collect(),
            )
        })
    }

    /// The summary as templates see it, dates in the reader's locale.
    pub fn facts(&self, locale: Locale) -> RcaFacts {
        RcaFacts {
            what_happened: self.what_happened.clone(),
            why: self.why.clone(),
            fixed: self.fixed.clone(),
            prevention: self
                .prevention
                .iter()
                .map(|p| PreventionFacts {
                    action: p.action.clone(),
                    by: date_words(p.by, locale),
                    done: p.done,
                })
                .collect(),
        }
    }
}

/// A date without weekday in a locale: "November 15, 2024", "15 November 2024".
fn date_words(d: Date, locale: Locale) -> String {
    // The locale formats zoned dates; a civil date at noon UTC has the same calendar day.
    let zoned = d
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| locale.date(&z))
        .unwrap_or_else(|_| d.to_string());
    // Drop the weekday: "Friday, November 15, 2024" → "November 15, 2024".
    zoned
        .split_once(", ")
        .filter(|_| matches!(locale, Locale::EnUs | Locale::EnCa))
        .map(|(_, rest)| rest.to_string())
        .or_else(|| {
            zoned
                .split_once(' ')
                .map(|(_, rest)| rest.trim_start_matches(", ").to_string())
        })
        .unwrap_or(zoned)
}

/// The status page post of the summary (the `postmortem` stage of a status page incident).
pub const STATUS_POST: &str = "What happened and what we changed: {{ incident.title }}, {{ incident.window }}.

What happened: {{ rca.what_happened }}

Why: {{ rca.why }}

What we fixed:
{% for item in rca.fixed %}- {{ item }}
{% endfor %}
What we are changing so it does not happen again:
{% for p in rca.prevention %}- {{ p.action }} {% if p.done %}Done.{% else %}Done by {{ p.by }}.{% endif %}
{% endfor %}";

/// The printable page: plain HTML, no scripts, no external resources, prints on one or two
/// sheets.
pub const HTML_PAGE: &str = r#"<!doctype html>
<html lang="{{ contact.locale if contact else 'en' }}">
<head>
<meta charset="utf-8">
<title>{{ incident.title }}: what happened and what we changed</title>
<style>
body { font: 16px/1.5 Georgia, serif; max-width: 42em; margin: 2em auto; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
.meta { color: #444; } li { margin: .25em 0; }
@media print { body { margin: 0; } a { color: inherit; } }
</style>
</head>
<body>
<h1>{{ incident.title }}</h1>
<p class="meta">{{ incident.window }}{% if account %} · prepared for {{ account.name }}{% endif %}</p>
<h2>What happened</h2>
<p>{{ rca.what_happened }}</p>
<h2>Why it happened</h2>
<p>{{ rca.why }}</p>
<h2>What we fixed</h2>
<ul>{% for item in rca.fixed %}<li>{{ item }}</li>{% endfor %}</ul>
<h2>What we are changing so it does not happen again</h2>
<ul>{% for p in rca.prevention %}<li>{{ p.action }} <em>{% if p.done %}Done{% else %}By {{ p.by }}{% endif %}</em></li>{% endfor %}</ul>
{% if sender %}<p>Questions: {{ sender.name }}, {{ sender.role }}{% if sender.email %}, <a href="mailto:{{ sender.email }}">{{ sender.email }}</a>{% endif %}</p>{% endif %}
</body>
</html>
"#;

/// Renders the status page post for these facts (which must carry the summary).
pub fn status_post(facts: &Facts) -> Result<String, minijinja::Error> {
    render_str("rca-status.txt", STATUS_POST, &Value::from_serialize(facts))
        .map(|s| s.trim().to_string())
}

/// Renders the printable page for these facts; every value is HTML-escaped.
pub fn html_page(facts: &Facts) -> Result<String, minijinja::Error> {
    render_str("rca-page.html", HTML_PAGE, &Value::from_serialize(facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
what_happened = "The service was down for four hours."
why = "A database change failed."
fixed = ["We undid the change."]
prevention = [{ action = "Two people approve every database change.", by = "2024-11-15" }]
"#;

    #[test]
    fn a_good_record_parses_and_dates_read_naturally() {
        let rca = Rca::parse_toml("rca.toml", GOOD).unwrap();
        assert_eq!(rca.prevention[0].by.to_string(), "2024-11-15");
        assert_eq!(
            rca.facts(Locale::EnUs).prevention[0].by,
            "November 15, 2024"
        );
        assert_eq!(rca.facts(Locale::EnGb).prevention[0].by, "15 November 2024");
        assert_eq!(
            rca.facts(Locale::DeDe).prevention[0].by,
            "15. November 2024"
        );
    }

    #[test]
    fn bad_records_name_the_line_and_column() {
        let bad = GOOD
            .replace("2024-11-15", "next week")
            .replace("fixed = [\"We undid the change.\"]", "fixed = []");
        let e = Rca::parse_toml("rca.toml", &bad).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("rca.toml:4:"), "{text}");
        assert!(
            text.contains("say at least one thing that was fixed"),
            "{text}"
        );
        assert!(text.contains("\"next week\" is not a date"), "{text}");
        let unknown = Rca::parse_toml("rca.toml", "what = 1")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("rca.toml:1:1"), "{unknown}");
    }
}
