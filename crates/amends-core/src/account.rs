//! The customer accounts a plan is made for, read from CSV (one contact per row) or JSON
//! (any number of contacts), and checked against the playbook: an account whose tier or SLA
//! schedule the policy does not know would otherwise get no decision at all.
//!
//! Loading is all or nothing. Every bad row is reported with its row and line number, and no
//! account is returned unless all of them are good, so a plan is never made for a silently
//! shortened customer list.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::domain::{AccountId, Channel, Key};
use crate::locale::Locale;
use crate::money::{Currency, Money};
use crate::playbook::Playbook;
use crate::time::Zone;

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Id in the company's own systems.
    pub id: AccountId,
    /// Company name.
    pub name: String,
    /// Tier, one of the playbook's.
    pub tier: Key,
    /// Free segment label (region, industry, plan family).
    pub segment: Option<String>,
    /// What the account pays per month; credits are computed from it.
    pub monthly_fee: Money,
    /// The contractual SLA credit schedule, if the contract has one.
    pub sla: Option<Key>,
    /// Named account owner (CSM or account manager).
    pub owner: Option<String>,
    /// People to tell, at least one.
    pub contacts: Vec<Contact>,
}

/// A person at the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Full name.
    pub name: String,
    /// Email address, if known.
    pub email: Option<String>,
    /// Phone number (SMS and calls), if known.
    pub phone: Option<String>,
    /// How they prefer to hear from us.
    pub preferred_channel: Channel,
    /// Their time zone: every time we show them is in it.
    pub zone: Zone,
    /// How money and dates are written for them.
    pub locale: Locale,
}

/// The CSV header amends expects, in order, optionally followed by [`CSV_LOCALE_COLUMN`].
/// Other extra columns are refused so a typo in a header is not silently ignored.
pub const CSV_COLUMNS: [&str; 13] = [
    "id",
    "name",
    "tier",
    "segment",
    "monthly_fee",
    "currency",
    "sla",
    "owner",
    "contact_name",
    "contact_email",
    "contact_phone",
    "preferred_channel",
    "time_zone",
];

/// The optional last CSV column: each contact's locale (`en-GB`), `en-US` when absent.
pub const CSV_LOCALE_COLUMN: &str = "locale";

/// One account's fields as text, before checking: the shape shared by CSV rows, JSON objects,
/// API bodies and the store's records (which are re-checked against the current playbook).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSpec {
    /// Id in the company's systems.
    pub id: String,
    /// Company name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Segment label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Monthly fee, decimal text.
    pub monthly_fee: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Contract SLA schedule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// Account owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Contacts, at least one.
    #[serde(default)]
    pub contacts: Vec<ContactSpec>,
}

/// A contact as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactSpec {
    /// Full name.
    pub name: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `email`, `sms`, `chat` or `phone`.
    pub preferred_channel: String,
    /// IANA time zone.
    pub time_zone: String,
    /// How money and dates are written for them (`en-US` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl From<&Account> for AccountSpec {
    fn from(a: &Account) -> AccountSpec {
        AccountSpec {
            id: a.id.to_string(),
            name: a.name.clone(),
            tier: a.tier.to_string(),
            segment: a.segment.clone(),
            monthly_fee: a.monthly_fee.amount().to_string(),
            currency: a.monthly_fee.currency().to_string(),
            sla: a.sla.as_ref().map(ToString::to_string),
            owner: a.owner.clone(),
            contacts: a
                .contacts
                .iter()
                .map(|c| ContactSpec {
                    name: c.name.clone(),
                    email: c.email.clone(),
                    phone: c.phone.clone(),
                    preferred_channel: c.preferred_channel.to_string(),
                    time_zone: c.zone.name().to_string(),
                    locale: Some(c.locale.tag().to_string()),
                })
                .collect(),
        }
    }
}

/// Accounts read from a file: the good ones, and a diagnostic for each bad one. Callers choose
/// all-or-nothing ([`parse_csv`], [`parse_json`]) or keeping the good rows (an import with
/// `--partial`).
#[derive(Debug, Default)]
pub struct Loaded {
    /// Accounts that passed every check.
    pub accounts: Vec<Account>,
    /// One problem per bad row or object, in file order.
    pub problems: Vec<Diagnostic>,
}

impl Loaded {
    /// All accounts, or every problem.
    pub fn all_or_nothing(self) -> Result<Vec<Account>, Diagnostics> {
        if self.problems.is_empty() {
            Ok(self.accounts)
        } else {
            Err(Diagnostics(self.problems))
        }
    }
}

/// Checks specs (e.g. from a store) against the playbook; the error lists each bad account.
pub fn check_specs(
    specs: impl IntoIterator<Item = AccountSpec>,
    playbook: &Playbook,
) -> Result<Vec<Account>, Vec<String>> {
    let mut accounts = Vec::new();
    let mut problems = Vec::new();
    for (spec_id, result) in check_each(specs, playbook) {
        match result {
            Ok(a) => accounts.push(a),
            Err(e) => problems.push(format!("account \"{spec_id}\": {e}")),
        }
    }
    if problems.is_empty() {
        Ok(accounts)
    } else {
        Err(problems)
    }
}

/// Checks each spec on its own (duplicates are still caught across them), returning each
/// spec's id with its account or the reason it was refused, in order.
pub fn check_each(
    specs: impl IntoIterator<Item = AccountSpec>,
    playbook: &Playbook,
) -> Vec<(String, Result<Account, String>)> {
    let mut builder = Builder::new(playbook, "account #");
    specs
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let id = spec.id.clone();
            (id, builder.account(spec, i + 1))
        })
        .collect()
}

/// Turns raw accounts into checked ones, caching parsed zones (a million accounts share a few
/// dozen zones).
struct Builder<'p> {
    playbook: &'p Playbook,
    zones: HashMap<String, Zone>,
    seen: HashMap<AccountId, usize>,
    /// How positions are named in messages: "row " (CSV) or "account #" (JSON).
    unit: &'static str,
}

impl<'p> Builder<'p> {
    fn new(playbook: &'p Playbook, unit: &'static str) -> Self {
        Builder {
            playbook,
            zones: HashMap::new(),
            seen: HashMap::new(),
            unit,
        }
    }

    fn zone(&mut self, name: &str) -> Result<Zone, String> {
        if let Some(z) = self.zones.get(name) {
            return Ok(z.clone());
        }
        let z: Zone = name.parse().map_err(|e| format!("time_zone: {e}"))?;
        self.zones.insert(name.to_string(), z.clone());
        Ok(z)
    }

    /// `position` is the 1-based row (CSV) or array index + 1 (JSON), for duplicate reports.
    fn account(&mut self, raw: AccountSpec, position: usize) -> Result<Account, String> {
        let id: AccountId = raw.id.parse().map_err(|e| format!("id: {e}"))?;
        if let Some(first) = self.seen.insert(id.clone(), position) {
            return Err(format!(
                "account \"{id}\" appears twice (first at {}{first}); ids must be unique",
                self.unit
            ));
        }
        let name = non_empty(&raw.name, "name")?;
        let tier = Key::parse("tier", raw.tier.trim()).map_err(|e| format!("tier: {e}"))?;
        if self.playbook.tier_index(tier.as_str()).is_none() {
            return Err(format!(
                "tier: {:?} is not one of the playbook's tiers ({})",
                tier.as_str(),
                self.playbook
                    .tiers
                    .iter()
                    .map(Key::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let currency: Currency = raw.currency.parse().map_err(|e| format!("currency: {e}"))?;
        let monthly_fee =
            Money::parse(&raw.monthly_fee, currency).map_err(|e| format!("monthly_fee: {e}"))?;
        let sla = match blank_to_none(raw.sla) {
            None => None,
            Some(s) => {
                let key = Key::parse("SLA schedule", &s).map_err(|e| format!("sla: {e}"))?;
                if !self.playbook.sla_schedules.contains_key(&key) {
                    return Err(format!(
                        "sla: the playbook has no SLA schedule {:?} (it has: {})",
                        key.as_str(),
                        self.playbook
                            .sla_schedules
                            .keys()
                            .map(Key::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Some(key)
            }
        };
        if raw.contacts.is_empty() {
            return Err("an account needs at least one contact to be told anything".into());
        }
        let mut contacts = Vec::with_capacity(raw.contacts.len());
        for c in raw.contacts {
            contacts.push(self.contact(c)?);
        }
        Ok(Account {
            id,
            name,
            tier,
            segment: blank_to_none(raw.segment),
            monthly_fee,
            sla,
            owner: blank_to_none(raw.owner),
            contacts,
        })
    }

    fn contact(&mut self, raw: ContactSpec) -> Result<Contact, String> {
        let name = non_empty(&raw.name, "contact_name")?;
        let email = blank_to_none(raw.email);
        if let Some(e) = &email
            && (!e.contains('@') || e.contains(char::is_whitespace))
        {
            return Err(format!("contact_email: {e:?} is not an email address"));
        }
        let phone = blank_to_none(raw.phone);
        let preferred_channel: Channel = raw
            .preferred_channel
            .parse()
            .map_err(|e| format!("preferred_channel: {e}"))?;
        let reachable = match preferred_channel {
            Channel::Email => email.is_some(),
            Channel::Sms | Channel::Phone => phone.is_some(),
            Channel::Chat => true,
            Channel::StatusPage | Channel::Preferred => {
                return Err(format!(
                    "preferred_channel: {preferred_channel} is not a way to reach one person; use email, sms, chat or phone"
                ));
            }
        };
        if !reachable {
            return Err(format!(
                "preferred_channel is {preferred_channel} but the contact has no {}",
                if preferred_channel == Channel::Email {
                    "email"
                } else {
                    "phone number"
                }
            ));
        }
        let zone = self.zone(raw.time_zone.trim())?;
        let locale = match blank_to_none(raw.locale) {
            Some(tag) => tag.parse().map_err(|e| format!("locale: {e}"))?,
            None => Locale::default(),
        };
        Ok(Contact {
            name,
            email,
            phone,
            preferred_channel,
            zone,
            locale,
        })
    }
}

fn non_empty(s: &str, field: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err(format!("{field} is empty"))
    } else {
        Ok(t.to_string())
    }
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses accounts from CSV text with the [`CSV_COLUMNS`] header, all or nothing.
///
/// Errors name the row (1 = first data row) and the line in the file.
pub fn parse_csv(file: &str, text: &str, playbook: &Playbook) -> Result<Vec<Account>, Diagnostics> {
    read_csv(file, text, playbook)?.all_or_nothing()
}

/// Reads CSV accounts, keeping the good rows and a diagnostic per bad row. Fails as a whole
/// only when the file cannot be read as accounts at all (wrong header).
pub fn read_csv(file: &str, text: &str, playbook: &Playbook) -> Result<Loaded, Diagnostics> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        // Rows with the wrong number of fields are reported by the loop below, row by row.
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(Diagnostics(vec![Diagnostic::at(
                file,
                text,
                0..0,
                format!("cannot read the CSV header: {e}"),
            )]));
        }
    };
    let got: Vec<&str> = headers.iter().collect();
    let with_locale = got.len() == CSV_COLUMNS.len() + 1 && got.last() == Some(&CSV_LOCALE_COLUMN);
    let columns = got.len();
    if got[..got.len().min(CSV_COLUMNS.len())] != CSV_COLUMNS
        || (columns != CSV_COLUMNS.len() && !with_locale)
    {
        let header_len = text.find('\n').unwrap_or(text.len());
        return Err(Diagnostics(vec![Diagnostic::at(
            file,
            text,
            0..header_len,
            format!(
                "the header must be exactly: {} (optionally followed by ,{CSV_LOCALE_COLUMN})",
                CSV_COLUMNS.join(",")
            ),
        )]));
    }
    let mut builder = Builder::new(playbook, "row ");
    let mut accounts = Vec::new();
    let mut problems = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        let before = reader.position().byte();
        let result = reader.read_record(&mut record);
        let start = record.position().map_or(before, csv::Position::byte);
        let mut start = usize::try_from(start).unwrap_or(0).min(text.len());
        // The reader reports where it started reading, which may be the end of the previous
        // line or a blank line; the row itself starts after them.
        start += text[start..].len() - text[start..].trim_start_matches(['\r', '\n']).len();
        let line_end = text[start..]
            .find(['\r', '\n'])
            .map_or(text.len(), |i| start + i);
        match result {
            Ok(false) => break,
            Ok(true) => {
                row += 1;
                let at = |msg: String| {
                    Diagnostic::at(file, text, start..line_end, format!("row {row}: {msg}"))
                };
                if record.len() != columns {
                    problems.push(at(format!(
                        "has {} fields but the header has {columns}; quote values that contain commas",
                        record.len(),
                    )));
                    continue;
                }
                let f = |i: usize| record.get(i).unwrap_or("").to_string();
                let raw = AccountSpec {
                    id: f(0),
                    name: f(1),
                    tier: f(2),
                    segment: Some(f(3)),
                    monthly_fee: f(4),
                    currency: f(5),
                    sla: Some(f(6)),
                    owner: Some(f(7)),
                    contacts: vec![ContactSpec {
                        name: f(8),
                        email: Some(f(9)),
                        phone: Some(f(10)),
                        preferred_channel: f(11),
                        time_zone: f(12),
                        locale: with_locale.then(|| f(13)),
                    }],
                };
                match builder.account(raw, row) {
                    Ok(a) => accounts.push(a),
                    Err(msg) => problems.push(at(msg)),
                }
            }
            Err(e) => {
                row += 1;
                let offset = e
                    .position()
                    .map_or(start, |p| usize::try_from(p.byte()).unwrap_or(start));
                problems.push(Diagnostic::at(
                    file,
                    text,
                    offset..offset,
                    format!("row {row}: {e}"),
                ));
                // Keep reading so every bad row is reported, unless the reader cannot move on.
                if reader.position().byte() <= before {
                    break;
                }
            }
        }
    }
    Ok(Loaded { accounts, problems })
}

/// Parses accounts from a JSON array of account objects (see `docs/inputs.md`), all or
/// nothing.
pub fn parse_json(
    file: &str,
    text: &str,
    playbook: &Playbook,
) -> Result<Vec<Account>, Diagnostics> {
    read_json(file, text, playbook)?.all_or_nothing()
}

/// Reads JSON accounts, keeping the good ones and a diagnostic per bad one. Fails as a whole
/// only when the text is not a JSON array of account objects.
pub fn read_json(file: &str, text: &str, playbook: &Playbook) -> Result<Loaded, Diagnostics> {
    let raws: Vec<AccountSpec> =
        serde_json::from_str(text).map_err(|e| json_error(file, text, &e))?;
    let mut builder = Builder::new(playbook, "account #");
    let mut accounts = Vec::with_capacity(raws.len());
    let mut problems = Vec::new();
    // Locate each object for error messages: the n-th top-level `{`.
    let starts = top_level_object_starts(text);
    for (i, raw) in raws.into_iter().enumerate() {
        let id = raw.id.clone();
        match builder.account(raw, i + 1) {
            Ok(a) => accounts.push(a),
            Err(msg) => {
                let at = starts.get(i).copied().unwrap_or(0);
                problems.push(Diagnostic::at(
                    file,
                    text,
                    at..at + 1,
                    format!("account #{} (id {id:?}): {msg}", i + 1),
                ));
            }
        }
    }
    Ok(Loaded { accounts, problems })
}

/// A serde_json error as a diagnostic at its line and column.
pub(crate) fn json_error(file: &str, text: &str, e: &serde_json::Error) -> Diagnostics {
    let offset = byte_offset(text, e.line(), e.column());
    let message = e.to_string();
    // serde_json appends " at line L column C"; the diagnostic shows the place itself.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_string();
    Diagnostics(vec![Diagnostic::at(file, text, offset..offset, message)])
}

fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

fn top_level_object_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if depth == 1 && b == b'{' {
                    starts.push(i);
                }
                depth += 1;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    starts
}
