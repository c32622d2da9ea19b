//! The small vocabulary every other module speaks: identifiers parsed once at the edge, and
//! the closed sets (failure types, channels) a playbook chooses from.

use std::fmt;
use std::str::FromStr;

/// Why an identifier or a name from a closed set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, too long, or with characters that would break a file name, URL or log line.
    #[error("{what} {value:?} is not valid: {why}")]
    Invalid {
        /// What kind of name it was meant to be.
        what: &'static str,
        /// The text given.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Not one of the allowed words.
    #[error("{value:?} is not {what}; expected one of: {expected}")]
    NotOneOf {
        /// What kind of word it was meant to be, with its article ("an internal channel").
        what: &'static str,
        /// The text given.
        value: String,
        /// The allowed words, comma-separated.
        expected: String,
    },
}

/// "a" or "an" before a word, so messages read as English ("an email step").
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// An account's identifier in the company's own systems (CRM or billing id).
///
/// Any printable text without surrounding space, up to 128 characters: ids come from other
/// systems and are not ours to restyle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |why| NameError::Invalid {
            what: "account id",
            value: s.to_string(),
            why,
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(invalid("it is empty"));
        }
        if t.chars().count() > 128 {
            return Err(invalid("it is longer than 128 characters"));
        }
        if t.chars().any(char::is_control) {
            return Err(invalid("it contains control characters"));
        }
        Ok(AccountId(t.to_string()))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A short machine name used as a key in the playbook: a tier (`enterprise`), a severity
/// (`S1`), a person handle (`vp_support`), a step id (`ack_email`).
///
/// Letters, digits, `_` and `-`, starting with a letter, so it is safe in file names, URLs,
/// idempotency keys and log lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Key(String);

impl Key {
    /// Parses a key; `what` names the kind in the error (`"tier"`, `"person"` …).
    pub fn parse(what: &'static str, s: &str) -> Result<Key, NameError> {
        let invalid = |why| NameError::Invalid {
            what,
            value: s.to_string(),
            why,
        };
        let mut chars = s.chars();
        match chars.next() {
            None => return Err(invalid("it is empty")),
            Some(c) if !c.is_ascii_alphabetic() => {
                return Err(invalid("it must start with a letter"));
            }
            _ => {}
        }
        if s.len() > 64 {
            return Err(invalid("it is longer than 64 characters"));
        }
        if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(invalid("use only letters, digits, '_' and '-'"));
        }
        Ok(Key(s.to_string()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a closed set of snake_case words with parsing, display and the list of words for
/// error messages, so each set is written once.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in playbooks and JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl FromStr for $name {
            type Err = NameError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == lower)
                    .ok_or_else(|| NameError::NotOneOf {
                        what: $what,
                        value: s.to_string(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// What kind of failure hurt the customers; severity criteria match on it.
    FailureType, "a failure type", {
        /// The service is unavailable.
        Outage => "outage",
        /// The service works, slowly or partly.
        Degradation => "degradation",
        /// Customer data was lost or corrupted.
        DataLoss => "data_loss",
        /// Customers were billed wrongly (overcharge, failed refund, wrong plan).
        BillingError => "billing_error",
        /// A physical delivery was late, lost or damaged.
        DeliveryFailure => "delivery_failure",
        /// The product or service did not meet its promised quality.
        QualityFailure => "quality_failure",
        /// A security incident touching customers.
        Security => "security",
    }
);

word_enum!(
    /// How a customer-facing message reaches people.
    Channel, "a channel", {
        /// The public status page: one post for everyone, not per account.
        StatusPage => "status_page",
        /// Email to the account's contacts.
        Email => "email",
        /// A text message.
        Sms => "sms",
        /// A chat message (in-app or shared channel).
        Chat => "chat",
        /// A phone call, planned as a task for a named person.
        Phone => "phone",
        /// Each contact's own preferred channel.
        Preferred => "preferred",
    }
);

word_enum!(
    /// How an internal escalation reaches the people it names.
    InternalChannel, "an internal channel", {
        /// A PagerDuty page.
        Pagerduty => "pagerduty",
        /// A Slack message or war-room channel.
        Slack => "slack",
        /// Email.
        Email => "email",
        /// A phone call.
        Phone => "phone",
        /// A text message.
        Sms => "sms",
    }
);

word_enum!(
    /// What a customer message is for. The linter holds each purpose to its own standard: an
    /// acknowledgment promises the next update, a resolution says what was done and what the
    /// account receives, a root-cause summary is written for a VP, not an engineer.
    Purpose, "a message purpose", {
        /// Any message; only the rules every customer message must meet.
        General => "general",
        /// The first word to customers: the incident is known and being worked on.
        Acknowledgment => "acknowledgment",
        /// A progress update while the incident is open.
        Update => "update",
        /// Service restored: what was done and what the account receives.
        Resolution => "resolution",
        /// The customer-facing root-cause summary.
        Rca => "rca",
        /// A follow-up after the recovery (did it work, anything else to make right).
        FollowUp => "follow_up",
        /// A public status page post while the incident is open.
        Status => "status",
        /// A message for colleagues (war room, page); customer rules do not apply.
        Internal => "internal",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_trimmed_and_refused_when_empty_or_binary() {
        assert_eq!(
            " acme-01 ".parse::<AccountId>().unwrap().as_str(),
            "acme-01"
        );
        assert!("".parse::<AccountId>().is_err());
        assert!("a\u{0}b".parse::<AccountId>().is_err());
        assert!("x".repeat(129).parse::<AccountId>().is_err());
        assert!("Org 17 / EU".parse::<AccountId>().is_ok());
    }

    #[test]
    fn keys_are_safe_machine_names() {
        assert!(Key::parse("tier", "enterprise").is_ok());
        assert!(Key::parse("severity", "S1").is_ok());
        let err = Key::parse("tier", "1st").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tier \"1st\" is not valid: it must start with a letter"
        );
        assert!(Key::parse("tier", "gold tier").is_err());
        assert!(Key::parse("tier", "").is_err());
    }

    #[test]
    fn closed_sets_parse_loosely_and_list_the_choices_on_error() {
        assert_eq!(
            "Data loss".parse::<FailureType>(),
            Ok(FailureType::DataLoss)
        );
        assert_eq!("status-page".parse::<Channel>(), Ok(Channel::StatusPage));
        assert_eq!(
            "fax".parse::<Channel>().unwrap_err().to_string(),
            "\"fax\" is not a channel; expected one of: status_page, email, sms, chat, phone, preferred"
        );
        assert_eq!(FailureType::ALL.len(), 7);
        assert_eq!(InternalChannel::Pagerduty.to_string(), "pagerduty");
    }
}
