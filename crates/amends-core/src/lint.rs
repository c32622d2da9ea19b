//! The recovery-message linter: named rules, in the manner of clippy's lints, that hold every
//! customer message to the domain's own quality criteria. A vague, late, generic apology is
//! what amends exists to end, so the rules run on every template at `amends check` and on every
//! rendered message before it is sent.
//!
//! Each rule has an id, a default [`Level`], a one-line why and a fix. The rules read plain
//! text: they look for what a good recovery message always contains (the incident named with
//! its date and time, the customer's own impact, a named person to contact, the time of the
//! next update, what was done and what the account receives) and for what it never contains
//! (generic apology language, blame shifted to a supplier, jargon, placeholders left behind).
//! They are heuristics by nature; every finding says why, and a playbook can change a rule's
//! level.
//!
//! Every rendered message is linted before it is sent, a million of them for a large incident,
//! so the text is read once: a table-driven tokeniser splits it into words (ASCII letters and
//! digits eight bytes at a time), each word is looked up once in a lexicon of word classes,
//! phrases are compared as packed words, and a rule skips a text that has none of the classes
//! it needs. Findings do not depend on any of this: the first, plainer tokeniser and a
//! word-by-word phrase search are kept in the tests as references that proptests compare the
//! fast paths with.
//!
//! Most of a million messages is the same few sentences: a template's fixed text, and values
//! shared by every reader in a zone or a tier. So a text is cut into pieces where the
//! tokeniser reads each side alone exactly as it reads the whole (after a line break, and
//! between sentences: see `piece_end`), each piece is tokenised once per thread and kept, and
//! a message is its pieces' words copied in with their offsets moved, plus the words of the
//! pieces it is the first to hold (an account's name, its credit). Keyed by the piece's text,
//! not by the template, the cache needs nothing from the renderer and cannot go stale; it is
//! bounded and starts over when full. Each kept piece remembers the piece that followed it,
//! which is compared first (a template's fixed sentences follow each other in every message). The rules still read the whole message, and proptests
//! hold the spliced words, marks, classes and reading-grade counts equal to the whole text's
//! and the findings on generated rendered messages equal to a whole-text lint.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::domain::{Channel, Purpose};

/// How seriously a finding is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The rule does not run.
    Allow,
    /// Reported; the message can still be sent.
    Warn,
    /// Reported; a template with this finding fails `amends check` and a rendered message with
    /// it is not sent.
    Deny,
}

impl Level {
    /// The word used in playbooks and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Level, String> {
        match s.trim() {
            "allow" => Ok(Level::Allow),
            "warn" => Ok(Level::Warn),
            "deny" => Ok(Level::Deny),
            other => Err(format!(
                "{other:?} is not a lint level; use allow, warn or deny"
            )),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($($(#[$meta:meta])* $variant:ident => $id:literal, $level:ident, $why:literal, $fix:literal;)+) => {
        /// A named rule of the linter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        pub enum Rule {
            $($(#[$meta])* #[serde(rename = $id)] $variant),+
        }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            /// The rule's id, as written in playbooks and output (`generic-apology`).
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),+ }
            }

            /// The level the rule has unless a playbook says otherwise.
            pub fn default_level(self) -> Level {
                match self { $(Rule::$variant => Level::$level),+ }
            }

            /// Why the rule exists, in one line.
            pub fn why(self) -> &'static str {
                match self { $(Rule::$variant => $why),+ }
            }

            /// What to do about a finding.
            pub fn fix(self) -> &'static str {
                match self { $(Rule::$variant => $fix),+ }
            }
        }
    };
}

rules! {
    /// "We apologize for the inconvenience", "per our policy" and their variants.
    GenericApology => "generic-apology", Deny,
        "a stock apology reads as indifference; customers hear that nobody looked at what happened to them",
        "say what went wrong for this customer and own it: \"This took your team's dashboards offline for four hours. That is not acceptable.\"";
    /// The incident is not named with its date and time.
    IncidentNotNamed => "incident-not-named", Warn,
        "\"an issue\" tells the customer nothing; name the incident, its date and its time window so they can match it to what they saw",
        "name the day and the window in the reader's time zone: \"on Tuesday, October 15, from 10:00 AM to 2:00 PM EDT\"";
    /// The customer's own impact is not stated.
    ImpactNotStated => "impact-not-stated", Warn,
        "a message about the company's problem instead of the customer's reads as self-centred",
        "state what this customer could not do: \"your team could not sign in or use the API\"";
    /// No named person to contact.
    NoNamedContact => "no-named-contact", Warn,
        "a support alias is a queue; a named person is someone accountable",
        "sign with a person and give their direct address: \"Questions? Reply to me, Dana Whitfield, dana.whitfield@example.com\"";
    /// An acknowledgment or update without the time of the next update.
    NoNextUpdate => "no-next-update", Warn,
        "silence after \"we're investigating\" is read as indifference; a promised time lets the customer stop refreshing",
        "promise the next update with a time: \"Next update by 11:00 AM EDT, or sooner if anything changes.\"";
    /// A resolution message that does not say what was done.
    ResolutionWithoutAction => "resolution-without-action", Warn,
        "\"it's fixed\" without what was done does not rebuild trust",
        "say what the team did: \"We rolled back the failed migration and verified every service.\"";
    /// A resolution message without the remediation the account receives.
    ResolutionWithoutRemedy => "resolution-without-remedy", Warn,
        "the customer should not have to ask for what they are owed",
        "state the remedy and how it is applied: \"A credit of $1,806.45 will appear on your next invoice.\"";
    /// Blame shifted to a supplier or to circumstances.
    ThirdPartyBlame => "third-party-blame", Warn,
        "customers chose you, not your suppliers; blaming a provider sounds like an excuse",
        "take responsibility for the dependency: \"We relied on a single provider for this and did not have a fallback. We are adding one.\"";
    /// A root-cause summary above the reading-grade threshold.
    ReadingGrade => "reading-grade", Warn,
        "a customer-facing root-cause summary is read by a VP, not an engineer",
        "use shorter sentences and everyday words; explain one idea per sentence";
    /// Technical terms without an explanation.
    UnexplainedJargon => "unexplained-jargon", Warn,
        "technical terms without explanation shut out most readers",
        "explain the term in plain words right after it, in parentheses, or replace it";
    /// Longer than the channel allows.
    TooLong => "too-long", Warn,
        "a message cut by its channel loses its end, which is usually the part that matters",
        "shorten it, or link to the full text";
    /// Placeholders such as `{{ name }}`, `[service]` or `TODO` left in the text.
    UnrenderedPlaceholder => "unrendered-placeholder", Deny,
        "a placeholder in a sent message shows the customer a form letter",
        "fill the value in the template or remove the placeholder";
    /// An empty or missing value rendered into the text ("Dear ,", "null").
    EmptyValue => "empty-value", Deny,
        "an empty name or a \"null\" in a message shows the customer a broken form letter",
        "give the value a fallback in the template (`{{ contact.name or account.name }}`)";
}

impl Rule {
    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Which rules run at which level, and the thresholds of the measured rules. A playbook's
/// `[lint]` table sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintConfig {
    levels: Vec<Level>,
    /// Highest Flesch–Kincaid grade for a customer-facing root-cause summary.
    pub max_reading_grade: u32,
    /// Most SMS segments a text message may take.
    pub max_sms_segments: u32,
    /// Most characters of a status page post.
    pub max_status_chars: u32,
    /// Most characters of a chat message.
    pub max_chat_chars: u32,
}

impl Default for LintConfig {
    fn default() -> LintConfig {
        LintConfig {
            levels: Rule::ALL.iter().map(|r| r.default_level()).collect(),
            max_reading_grade: 10,
            max_sms_segments: 3,
            max_status_chars: 1500,
            max_chat_chars: 4000,
        }
    }
}

impl LintConfig {
    /// The level a rule runs at.
    pub fn level(&self, rule: Rule) -> Level {
        self.levels
            .get(rule as usize)
            .copied()
            .unwrap_or(rule.default_level())
    }

    /// Sets a rule's level.
    pub fn set_level(&mut self, rule: Rule, level: Level) {
        if let Some(slot) = self.levels.get_mut(rule as usize) {
            *slot = level;
        }
    }
}

/// What is being linted: the text and what it is for.
#[derive(Debug, Clone, Copy)]
pub struct Message<'t> {
    /// The whole message as the reader sees it (an email as `Subject: …`, a blank line, the
    /// body).
    pub text: &'t str,
    /// What the message is for.
    pub purpose: Purpose,
    /// How it is delivered (length limits).
    pub channel: Channel,
    /// Whether the step promises a named person to contact.
    pub needs_named_contact: bool,
}

impl<'t> Message<'t> {
    /// A message whose named-contact requirement follows its purpose: acknowledgments,
    /// resolutions, root-cause summaries and follow-ups sent to accounts name a person.
    pub fn new(text: &'t str, purpose: Purpose, channel: Channel) -> Message<'t> {
        Message {
            text,
            purpose,
            channel,
            needs_named_contact: default_needs_named_contact(purpose, channel),
        }
    }
}

/// Whether a step of this purpose on this channel names a person by default.
pub fn default_needs_named_contact(purpose: Purpose, channel: Channel) -> bool {
    matches!(
        purpose,
        Purpose::Acknowledgment | Purpose::Resolution | Purpose::Rca | Purpose::FollowUp
    ) && matches!(channel, Channel::Email | Channel::Chat | Channel::Preferred)
}

/// One finding: a rule, its level, where, and what exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its level for this message.
    pub level: Level,
    /// Byte range of the text at fault; empty (`0..0`) when something is missing.
    pub range: Range<usize>,
    /// What was found or is missing, specific to this message.
    pub message: String,
}

/// Lints one message. Findings come in text order, missing things (at `0..0`) first.
pub fn lint(message: &Message<'_>, config: &LintConfig) -> Vec<Finding> {
    let text = Text::read(message.text);
    let found = lint_text(&text, message, config);
    text.recycle();
    found
}

/// Lints a message already read into words (by [`Text::read`], or [`Text::new`] in the tests
/// that hold the two equal).
fn lint_text(text: &Text<'_>, message: &Message<'_>, config: &LintConfig) -> Vec<Finding> {
    let mut out = Findings {
        config,
        found: Vec::new(),
    };
    let purpose = message.purpose;
    if purpose == Purpose::Internal {
        placeholders(text, &mut out);
        empty_values(text, &mut out);
        too_long(text, message.channel, &mut out);
        return out.done();
    }
    let per_account = purpose != Purpose::Status && message.channel != Channel::StatusPage;

    generic_apology(text, &mut out);
    third_party_blame(text, &mut out);
    jargon(text, &mut out);
    placeholders(text, &mut out);
    empty_values(text, &mut out);
    too_long(text, message.channel, &mut out);
    if per_account && !text.names_date_and_time() {
        out.missing(
            Rule::IncidentNotNamed,
            "the message does not name the incident's date and time (e.g. \"Tuesday, October 15, 10:00 AM to 2:00 PM EDT\")",
        );
    }
    if per_account && !text.states_impact() {
        out.missing(
            Rule::ImpactNotStated,
            "the message does not say what the customer could not do (\"your team could not …\")",
        );
    }
    if message.needs_named_contact {
        named_contact(text, &mut out);
    }
    let ongoing = matches!(
        purpose,
        Purpose::Acknowledgment | Purpose::Update | Purpose::Status
    );
    if ongoing && !text.promises_next_update() {
        out.missing(
            Rule::NoNextUpdate,
            "the message does not give the time of the next update",
        );
    }
    if purpose == Purpose::Resolution {
        if !text.says_what_was_done() {
            out.missing(
                Rule::ResolutionWithoutAction,
                "the resolution does not say what was done (\"we rolled back …\", \"we have fixed …\")",
            );
        }
        if per_account && !text.names_a_remedy() {
            out.missing(
                Rule::ResolutionWithoutRemedy,
                "the resolution does not say what the account receives (a credit, a refund, or that none applies and why)",
            );
        }
    }
    if purpose == Purpose::Rca {
        let grade = grade(text);
        if grade > f64::from(config.max_reading_grade) {
            out.missing(
                Rule::ReadingGrade,
                format!(
                    "reads at grade {grade:.1}, above the limit of {}",
                    config.max_reading_grade
                ),
            );
        }
    }
    out.done()
}

struct Findings<'c> {
    config: &'c LintConfig,
    found: Vec<Finding>,
}

impl Findings<'_> {
    fn at(&mut self, rule: Rule, range: Range<usize>, message: impl Into<String>) {
        let level = self.config.level(rule);
        if level != Level::Allow {
            self.found.push(Finding {
                rule,
                level,
                range,
                message: message.into(),
            });
        }
    }

    fn missing(&mut self, rule: Rule, message: impl Into<String>) {
        self.at(rule, 0..0, message);
    }

    fn done(mut self) -> Vec<Finding> {
        self.found
            .sort_by_key(|f| (f.range.start, f.range.end, f.rule));
        self.found
    }
}

// ----- the text, as words ----------------------------------------------------------------

/// One word of the text: where it is and the classes the lexicon gives it.
struct Word {
    at: Range<usize>,
    flags: u32,
    /// Where the phrases that start with this word are listed in the lexicon
    /// ([`Lexicon::phrases_from`]); 0 when none does.
    starts: u32,
    /// The folded word packed as the lexicon packs it; (0, 0) when it cannot be.
    packed: (u64, u64),
}

/// The text with its words (letters, digits and inner apostrophes or hyphens), kept as byte
/// ranges so findings point into the original. Each word is looked up once in the lexicon, so
/// the rules test word classes with a bit and compare words only where a class says a phrase
/// may start.
struct Text<'t> {
    raw: &'t str,
    words: Vec<Word>,
    /// Which rare characters the text holds ([`mark`]), so the rules that look for them skip
    /// texts without them.
    marks: u16,
    /// Every class any word has, so a rule that needs a class skips texts without it.
    any: u32,
    /// The words that may start a phrase, greet, or spell a missing value or unfinished text
    /// ([`INDEXED`]), in text order: the rules that look for these read this list instead of
    /// every word.
    cues: Vec<usize>,
    /// The reading grade's counts when they were summed from cached pieces ([`Text::read`]);
    /// `None` when [`grade`] must count the words itself.
    counts: Option<Counts>,
}

impl<'t> Text<'t> {
    fn new(raw: &'t str) -> Text<'t> {
        let lexicon = lexicon();
        let mut text = Text {
            raw,
            words: Vec::with_capacity(raw.len() / 5 + 1),
            marks: 0,
            any: 0,
            cues: Vec::new(),
            counts: None,
        };
        let b = raw.as_bytes();
        let alphanumeric_at = |i: usize| match b.get(i) {
            Some(&c) if c.is_ascii() => BYTE_CLASS[usize::from(c)] & ALNUM != 0,
            Some(_) => char_at(raw, i).is_some_and(|(c, _)| c.is_alphanumeric()),
            None => false,
        };
        // The gap since the last word, read as it is skipped: whether it holds a line break or
        // white space, and whether its first character that is not a closing quote or
        // parenthesis is `.`, `!` or `?` (`None` until one is seen). A sentence ends after the
        // word before the gap at a line break, or at such a stop with white space in the gap.
        let (mut newline, mut space, mut stop) = (false, false, None::<bool>);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let class = BYTE_CLASS[usize::from(c)];
            if class & ALNUM == 0 {
                // Not the start of a word: ASCII is read byte by byte, anything else as a char.
                if class & HIGH == 0 {
                    text.marks |= if class & CONTEXT_MARK != 0 {
                        mark(b, i)
                    } else {
                        BYTE_MARK[usize::from(c)]
                    };
                    newline |= c == b'\n';
                    space |= class & SPACE != 0;
                    if stop.is_none() && class & CLOSING == 0 {
                        stop = Some(class & STOP != 0);
                    }
                    i += 1;
                    continue;
                }
                let Some((c, len)) = char_at(raw, i) else {
                    break;
                };
                if !c.is_alphanumeric() {
                    if c == '€' {
                        text.marks |= MARK_EURO;
                    }
                    if stop.is_none() && c != '\u{201d}' {
                        stop = Some(false);
                    }
                    i += len;
                    continue;
                }
            }
            // Its end: letters and digits, and apostrophes or hyphens between them. ASCII
            // letters and digits are skipped eight at a time first, without a branch per byte.
            let start = i;
            let mut ascii = true;
            while let Some(Ok(chunk)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
                let run = (ascii_alnum(u64::from_le_bytes(chunk)) ^ HIGH_BITS).trailing_zeros() / 8;
                i += run as usize;
                if run < 8 {
                    break;
                }
            }
            while let Some(&c) = b.get(i) {
                let class = BYTE_CLASS[usize::from(c)];
                if class & ALNUM != 0 || (class & JOIN != 0 && alphanumeric_at(i + 1)) {
                    i += 1;
                    continue;
                }
                if class & HIGH == 0 {
                    break;
                }
                let Some((c, len)) = char_at(raw, i) else {
                    break;
                };
                if !(c.is_alphanumeric() || (c == '\u{2019}' && alphanumeric_at(i + len))) {
                    break;
                }
                ascii = false;
                i += len;
            }
            if let Some(last) = text.words.last_mut()
                && (newline || (space && stop == Some(true)))
            {
                last.flags |= SENTENCE_END;
            }
            (newline, space, stop) = (false, false, None);
            text.push(start..i, ascii, lexicon);
        }
        if let Some(last) = text.words.last_mut() {
            last.flags |= SENTENCE_END;
        }
        text
    }

    fn push(&mut self, at: Range<usize>, ascii: bool, lexicon: &Lexicon) {
        let word = &self.raw[at.clone()];
        let b = word.as_bytes();
        let ((flags, starts), packed) = if ascii {
            // Fold and pack in registers: no lexicon word is longer than LEXICON_MAX.
            if b.len() <= LEXICON_MAX {
                let packed = pack_ascii(self.raw.as_bytes(), at.start, b.len());
                (lexicon.lookup(packed), packed)
            } else {
                ((0, 0), (0, 0))
            }
        } else {
            // A typographic apostrophe ("we’ve") reads as a plain one.
            let mut buf = [0u8; LEXICON_MAX];
            let mut n = 0;
            let mut plain = true;
            for c in word.chars() {
                let c = if c == '\u{2019}' { '\'' } else { c };
                match (u8::try_from(c), buf.get_mut(n)) {
                    (Ok(c), Some(slot)) if c.is_ascii() => *slot = c.to_ascii_lowercase(),
                    _ => {
                        plain = false;
                        break;
                    }
                }
                n += 1;
            }
            let packed = if plain { pack(&buf[..n]) } else { None };
            let (flags, starts) = packed.map_or((0, 0), |p| lexicon.lookup(p));
            ((NON_ASCII | flags, starts), packed.unwrap_or((0, 0)))
        };
        self.any |= flags;
        if flags & INDEXED != 0 {
            self.cues.push(self.words.len());
        }
        self.words.push(Word {
            at,
            flags,
            starts,
            packed,
        });
    }

    fn len(&self) -> usize {
        self.words.len()
    }

    /// Byte range of word `i` in the text.
    fn at(&self, i: usize) -> Range<usize> {
        self.words.get(i).map_or(0..0, |w| w.at.clone())
    }

    /// Word `i` as written.
    fn word(&self, i: usize) -> &'t str {
        self.words.get(i).map_or("", |w| &self.raw[w.at.clone()])
    }

    /// Whether word `i`, folded (ASCII lowercase, plain apostrophes), is `w`, or starts with it
    /// when `prefix`.
    fn folds_to(&self, i: usize, w: &[u8], prefix: bool) -> bool {
        let Some(word) = self.words.get(i) else {
            return false;
        };
        let raw = &self.raw[word.at.clone()];
        if word.flags & NON_ASCII == 0 {
            let b = raw.as_bytes();
            let b = if prefix {
                b.get(..w.len()).unwrap_or(b)
            } else {
                b
            };
            return b.len() == w.len()
                && b.iter().zip(w).all(|(x, y)| x.to_ascii_lowercase() == *y);
        }
        let mut expected = w.iter();
        for c in raw.chars() {
            let c = if c == '\u{2019}' { '\'' } else { c };
            match expected.next() {
                Some(&e) if u8::try_from(c).is_ok_and(|c| c.to_ascii_lowercase() == e) => {}
                None if prefix => return true,
                _ => return false,
            }
        }
        expected.next().is_none()
    }

    /// Whether word `i` is of any of the lexicon's `classes`.
    fn has(&self, i: usize, classes: u32) -> bool {
        self.words.get(i).is_some_and(|w| w.flags & classes != 0)
    }

    /// Whether word `i` is `w` (lowercase, plain apostrophes), ignoring ASCII case and the
    /// kind of apostrophe.
    fn is(&self, i: usize, w: &str) -> bool {
        self.folds_to(i, w.as_bytes(), false)
    }

    fn is_any(&self, i: usize, ws: &[&str]) -> bool {
        ws.iter().any(|w| self.is(i, w))
    }

    /// Whether word `i`, folded, starts with `prefix`.
    fn starts(&self, i: usize, prefix: &str) -> bool {
        self.folds_to(i, prefix.as_bytes(), true)
    }

    /// The text between words `i` and `i + 1`.
    fn gap(&self, i: usize) -> &'t str {
        match (self.words.get(i), self.words.get(i + 1)) {
            (Some(a), Some(b)) => &self.raw[a.at.end..b.at.start],
            _ => "",
        }
    }

    /// Whether the phrase (lowercase words separated by spaces) starts at word `i`.
    fn phrase_at(&self, i: usize, phrase: &str) -> bool {
        self.phrase_rest_at(i, phrase.as_bytes(), 0)
    }

    /// Whether the phrase's words from byte `from` on are the words from word `k` on.
    fn phrase_rest_at(&self, mut k: usize, p: &[u8], mut from: usize) -> bool {
        // Walk the phrase's bytes word by word; no splitting, no search.
        loop {
            let end = p[from..]
                .iter()
                .position(|&c| c == b' ')
                .map_or(p.len(), |n| from + n);
            if !self.folds_to(k, &p[from..end], false) {
                return false;
            }
            if end == p.len() {
                return true;
            }
            (from, k) = (end + 1, k + 1);
        }
    }

    /// Every match of any phrase, as (phrase, byte range, first word). `class` is the lexicon
    /// class the phrases' first words were given, so only candidate words are tried, and the
    /// words are compared as packed integers (a phrase word matches exactly the words that
    /// fold to it, which pack as it does).
    fn find_phrases<'p>(
        &self,
        class: u32,
        phrases: &[&'p str],
    ) -> Vec<(&'p str, Range<usize>, usize)> {
        let mut out = Vec::new();
        if self.any & class == 0 {
            return out;
        }
        let lexicon = lexicon();
        let Some(list) = PHRASE_LISTS.iter().position(|(c, _)| *c == class) else {
            return out;
        };
        let packed = lexicon.phrase_words(class);
        for &i in &self.cues {
            let Some(w) = self.words.get(i).filter(|w| w.flags & class != 0) else {
                continue;
            };
            for &k in lexicon.phrases_from(w.starts, list) {
                let (Some(p), Some(Some((_, rest)))) =
                    (phrases.get(k), packed.get(k).map(|p| p.split_first()))
                else {
                    continue;
                };
                // The first word matched by its packed form, the rest word by word.
                let following = self.words.get(i + 1..i + 1 + rest.len());
                if following.is_some_and(|ws| ws.iter().zip(rest).all(|(w, r)| w.packed == *r)) {
                    let last = i + rest.len();
                    out.push((*p, self.at(i).start..self.at(last).end, i));
                }
            }
        }
        out
    }

    fn has_any_phrase(&self, class: u32, phrases: &[&str]) -> bool {
        !self.find_phrases(class, phrases).is_empty()
    }

    /// Whether a sentence ends after word `i`: at `.`, `!` or `?` followed by a space or the
    /// end (not inside `example.com` or `$1,806.45`), at a line break (bullets and headings
    /// are sentences of their own), and at the last word.
    fn ends_sentence(&self, i: usize) -> bool {
        self.words
            .get(i)
            .is_none_or(|w| w.flags & SENTENCE_END != 0)
    }

    fn names_date_and_time(&self) -> bool {
        self.has_date() && self.clock_time(0..self.len(), 0..self.raw.len())
    }

    fn has_date(&self) -> bool {
        (0..self.len()).any(|i| {
            if self.has(i, WEEKDAY) {
                return true;
            }
            if self.has(i, MONTH) {
                // "October 15" or "15 October"; "May" alone is a verb.
                return is_day_number(self.word(i + 1))
                    || (i > 0 && is_day_number(self.word(i - 1)));
            }
            is_iso_date(self.word(i))
        }) || slash_date(self.raw)
    }

    /// A clock time (10:30, 10am, 10 AM, 9 a.m., noon) among these words and bytes.
    fn clock_time(&self, words: Range<usize>, bytes: Range<usize>) -> bool {
        clock_in(self.raw.as_bytes().get(bytes).unwrap_or_default())
            || words.into_iter().any(|i| self.has(i, NOON))
    }

    /// "your team could not", "you were unable to", "312 of your API calls failed": one
    /// sentence addresses the reader and says what went wrong.
    fn states_impact(&self) -> bool {
        if self.any & YOU == 0 || self.any & IMPACT == 0 {
            return false;
        }
        let (mut you, mut impact) = (false, false);
        for i in 0..self.len() {
            you |= self.has(i, YOU);
            // "You do not need to do anything" says nothing about the impact.
            impact |= self.has(i, IMPACT) && !(self.is(i, "not") && self.has(i + 1, NEED));
            if you && impact {
                return true;
            }
            if self.ends_sentence(i) {
                you = false;
                impact = false;
            }
        }
        false
    }

    /// A cue ("next update", "update you") with a time or an interval after it in the same
    /// sentence.
    fn promises_next_update(&self) -> bool {
        self.find_phrases(NEXT_CUE, NEXT_UPDATE_CUES)
            .into_iter()
            .any(|(_, r, i)| {
                let near = floor_boundary(self.raw, (r.end + 60).min(self.raw.len()));
                let end = sentence_end(self.raw, r.end).min(near);
                let mut last = i;
                while last < self.len() && self.at(last).end <= end {
                    last += 1;
                }
                self.clock_time(i..last, r.start..end)
                    || (i + 1..last).any(|k| {
                        self.has(k, DURATION)
                            && (self.has(k - 1, NUMBER)
                                || self.word(k - 1).bytes().all(|c| c.is_ascii_digit()))
                    })
            })
    }

    /// "We rolled back", "our engineers have restored": an action with the team as its
    /// subject. "Service has been restored" says that it is fixed, not what was done.
    fn says_what_was_done(&self) -> bool {
        self.any & DONE != 0
            && self.any & AGENT != 0
            && (0..self.len())
                .any(|i| self.has(i, DONE) && (i.saturating_sub(3)..i).any(|k| self.has(k, AGENT)))
    }

    fn names_a_remedy(&self) -> bool {
        self.words.iter().enumerate().any(|(i, w)| {
            // Every stem starts with one of these letters; only the stems with the word's first
            // letter are compared.
            let first = self
                .raw
                .as_bytes()
                .get(w.at.start)
                .map(u8::to_ascii_lowercase);
            if !matches!(first, Some(b'c' | b'r' | b'd' | b'w' | b'e'))
                || !REMEDY_STEMS
                    .iter()
                    .filter(|s| s.as_bytes().first() == first.as_ref())
                    .any(|s| self.starts(i, s))
            {
                return false;
            }
            if self.starts(i, "credit") {
                // A credit card, limit or score is not a credit to the account.
                return !self.starts(i, "credit-")
                    && !self.is_any(
                        i + 1,
                        &["card", "cards", "limit", "score", "check", "union"],
                    );
            }
            if self.starts(i, "exten") {
                // "We extended your trial", not "an extended outage".
                return (i + 1..i + 4).any(|k| self.is_any(k, EXTENDED_THINGS));
            }
            true
        }) || self.has_any_phrase(REMEDY_CUE, REMEDY_PHRASES)
    }
}

// ----- pieces of text read once ----------------------------------------------------------

/// A piece of text as the tokeniser read it on its own: its words with byte ranges counted
/// from the piece's start, and the marks and classes they hold.
struct Piece {
    words: Vec<Word>,
    /// Its cue words ([`Text::cues`]), counted from the piece's first word.
    cues: Vec<usize>,
    marks: u16,
    any: u32,
    /// Its words' counts for the reading grade, so a summary's grade is summed per piece
    /// instead of counting syllables in every word of every message.
    counts: Counts,
}

/// The most pieces kept per thread, so memory stays bounded however many distinct account
/// names, amounts and times a run sends. A full cache keeps what it holds (the pieces every
/// message shares came in with the first messages) and takes nothing new until
/// [`PIECES_MISSED`] pieces were not found, when it starts over for whatever is being sent by
/// then. Clearing it whenever it filled instead threw the shared pieces out with the rest every
/// few thousand messages of a large incident, whose times differ from account to account.
const PIECES_KEPT: usize = 8192;

/// Pieces not found in a full cache before it starts over.
const PIECES_MISSED: usize = 8 * PIECES_KEPT;

/// A fast hash for the piece cache: a rotate-multiply over eight bytes at a time (the
/// standard SipHash costs about a third of tokenising the text it guards). The cache holds
/// only text the linter was given, so there is nothing to defend against.
#[derive(Default)]
struct PieceHasher(u64);

impl std::hash::Hasher for PieceHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        let mut h = self.0;
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let mut w = [0u8; 8];
        let rest = chunks.remainder();
        w[..rest.len()].copy_from_slice(rest);
        self.0 = (h.rotate_left(5) ^ u64::from_le_bytes(w) ^ bytes.len() as u64).wrapping_mul(K);
    }
}

/// A piece kept in the cache: its text, its words, and the piece that followed it the last
/// time it was read, which is tried first after it (a template's fixed sentences follow each
/// other in every message made from it).
struct Kept {
    text: Box<str>,
    piece: Piece,
    /// An index into [`PieceCache::kept`], or [`NO_NEXT`].
    next: u32,
    /// The blank lines between this piece and the next, the last time.
    blanks: u32,
}

/// No piece has followed this one yet.
const NO_NEXT: u32 = u32::MAX;

/// Pieces by their text, and the misses since the cache filled.
struct PieceCache {
    /// Where each kept piece is in [`PieceCache::kept`], by its text.
    pieces: std::collections::HashMap<Box<str>, u32, std::hash::BuildHasherDefault<PieceHasher>>,
    kept: Vec<Kept>,
    /// Where the piece of a blank line (a lone line break) is in [`PieceCache::kept`], or
    /// [`NO_NEXT`] when it is not kept.
    blank: u32,
    missed: usize,
    /// The last text's word and cue lists, emptied, for the next text: a message's word list
    /// is a few kilobytes, which the allocator serves more slowly than small blocks.
    spare: (Vec<Word>, Vec<usize>),
}

/// The most words a spare word list keeps room for (a longer text's list is dropped).
const SPARE_WORDS: usize = 1 << 14;

impl Default for PieceCache {
    fn default() -> PieceCache {
        PieceCache {
            pieces: std::collections::HashMap::default(),
            kept: Vec::new(),
            blank: NO_NEXT,
            missed: 0,
            spare: (Vec::new(), Vec::new()),
        }
    }
}

impl PieceCache {
    /// Keeps a piece just read, if there is room: its index in [`PieceCache::kept`], or
    /// [`NO_NEXT`] when it was not kept.
    fn keep(&mut self, s: &str, piece: Piece) -> u32 {
        if self.pieces.len() < PIECES_KEPT
            && let Ok(k) = u32::try_from(self.kept.len())
        {
            self.pieces.insert(s.into(), k);
            self.kept.push(Kept {
                text: s.into(),
                piece,
                next: NO_NEXT,
                blanks: 0,
            });
            k
        } else {
            self.missed += 1;
            if self.missed >= PIECES_MISSED {
                self.pieces.clear();
                self.kept.clear();
                self.blank = NO_NEXT;
                self.missed = 0;
            }
            NO_NEXT
        }
    }
}

thread_local! {
    /// Pieces already read on this thread. A million messages from a handful of templates
    /// share most of their sentences (the fixed text, and values shared by a zone or a
    /// tier), so each is tokenised once and copied in afterwards.
    static PIECES: std::cell::RefCell<PieceCache> = std::cell::RefCell::default();
}

/// Where the next piece of `b` starts after `from`: just after a line break, or after the
/// space of a letter or digit, a stop and a space when a letter or digit follows ("it. We").
/// At both the tokeniser reads the two sides alone as it reads them together: the word
/// before the cut ends a sentence either way (a line break in its gap, or a stop and white
/// space, which are decided before the cut), nothing after the cut looks back across it
/// (only a `,` or `.` after a space has a mark depending on the byte before, and after a
/// line break or before a letter there is none), nothing before it looks ahead across it
/// (a `(` or `$` has a mark depending on the two bytes after it, and neither is the line
/// break or the stop and space that end a piece), and no word spans it.
fn piece_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    loop {
        // Eight bytes at a time to the next line break or stop: most bytes are neither.
        while let Some(Ok(chunk)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
            let x = u64::from_le_bytes(chunk);
            let found = bytes_equal(x, b'\n')
                | bytes_equal(x, b'.')
                | bytes_equal(x, b'!')
                | bytes_equal(x, b'?');
            if found != 0 {
                i += (found.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        let Some(&c) = b.get(i) else {
            return b.len();
        };
        i += 1;
        if c == b'\n' {
            return i;
        }
        if BYTE_CLASS[usize::from(c)] & STOP != 0
            && i >= 2
            && BYTE_CLASS[usize::from(b[i - 2])] & ALNUM != 0
            && b.get(i) == Some(&b' ')
            && b.get(i + 1)
                .is_some_and(|&n| BYTE_CLASS[usize::from(n)] & ALNUM != 0)
        {
            return i + 1;
        }
    }
}

/// Whether [`piece_end`] ends a piece at `e` when reading on from a piece start before it,
/// given that the bytes from that start to `e` were read as one whole piece on their own (so
/// no cut comes before `e`: every cut before it is decided by bytes before `e`): at the end
/// of the text, after a line break, or after a letter or digit, a stop and a space when a
/// letter or digit follows.
fn cut_at(b: &[u8], e: usize) -> bool {
    let class = |k: usize| b.get(k).map_or(0, |&c| BYTE_CLASS[usize::from(c)]);
    e == b.len()
        || (e >= 1 && b[e - 1] == b'\n')
        || (e >= 3
            && b[e - 1] == b' '
            && class(e - 2) & STOP != 0
            && class(e - 3) & ALNUM != 0
            && class(e) & ALNUM != 0)
}

/// The high bit of a byte set where the byte of `x` equals `c`. Bytes above an equal byte may
/// be flagged too (the borrow runs on), so only the lowest flag is exact, which is the one
/// [`piece_end`] reads.
fn bytes_equal(x: u64, c: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let y = x ^ (ONES * u64::from(c));
    y.wrapping_sub(ONES) & !y & HIGH_BITS
}

impl<'t> Text<'t> {
    /// The text as [`Text::new`] reads it, with each piece ([`piece_end`]) tokenised once
    /// per thread and copied in with its offsets moved on later calls. The proptest
    /// `pieces_read_alone_are_read_as_the_whole_text` holds the two equal.
    fn read(raw: &'t str) -> Text<'t> {
        PIECES.with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => Text::spliced(raw, &mut cache),
            // Only reachable if linting re-entered itself; read the text plainly.
            Err(_) => Text::new(raw),
        })
    }

    fn spliced(raw: &'t str, cache: &mut PieceCache) -> Text<'t> {
        let (mut words, mut cues) = std::mem::take(&mut cache.spare);
        words.clear();
        words.reserve(raw.len() / 5 + 1);
        cues.clear();
        cues.reserve(raw.len() / 16 + 1);
        let mut text = Text {
            raw,
            words,
            marks: 0,
            any: 0,
            cues,
            counts: Some(Counts::default()),
        };
        let b = raw.as_bytes();
        let mut start = 0;
        // The kept piece just read, whose successor is tried first, and the blank lines read
        // since (a blank line is followed by every kind of paragraph, so it is skipped over
        // instead of remembering what followed it).
        let (mut previous, mut blanks) = (NO_NEXT, 0u32);
        while start < b.len() {
            // The piece that followed the previous one last time, after as many blank lines,
            // when the text goes on with them and a piece ends where it does: no scan for the
            // end, no hash, no lookup. Each line break is a piece of its own.
            let predicted = cache
                .kept
                .get(previous as usize)
                .filter(|p| blanks == 0 && (p.blanks == 0 || cache.blank != NO_NEXT))
                .and_then(|p| {
                    let at = start + p.blanks as usize;
                    let next = cache.kept.get(p.next as usize)?;
                    let fits = b.get(start..at)?.iter().all(|&c| c == b'\n')
                        && b[at..].starts_with(next.text.as_bytes())
                        && cut_at(b, at + next.text.len());
                    fits.then_some((p.next, p.blanks, next))
                });
            if let Some((k, skipped, next)) = predicted {
                for line in 0..skipped as usize {
                    text.append(&cache.kept[cache.blank as usize].piece, start + line);
                }
                start += skipped as usize;
                text.append(&next.piece, start);
                start += next.text.len();
                previous = k;
                continue;
            }
            let end = piece_end(b, start);
            let s = &raw[start..end];
            // One lookup for a piece seen before; a new one is read and kept.
            let found = match cache.pieces.get(s) {
                Some(&k) => {
                    text.append(&cache.kept[k as usize].piece, start);
                    k
                }
                None => {
                    let t = Text::new(s);
                    let piece = Piece {
                        counts: counts(&t),
                        words: t.words,
                        cues: t.cues,
                        marks: t.marks,
                        any: t.any,
                    };
                    text.append(&piece, start);
                    cache.keep(s, piece)
                }
            };
            start = end;
            if s == "\n" {
                if found != NO_NEXT {
                    cache.blank = found;
                }
                blanks += 1;
                continue;
            }
            if let Some(p) = cache.kept.get_mut(previous as usize) {
                (p.next, p.blanks) = (found, blanks);
            }
            (previous, blanks) = (found, 0);
        }
        text
    }

    /// Gives the word and cue lists back to this thread's cache for the next text.
    fn recycle(self) {
        if self.words.capacity() > SPARE_WORDS {
            return;
        }
        PIECES.with(|cache| {
            if let Ok(mut cache) = cache.try_borrow_mut() {
                cache.spare = (self.words, self.cues);
            }
        });
    }

    /// Adds the words of a piece that starts at byte `start` of the text.
    fn append(&mut self, piece: &Piece, start: usize) {
        self.marks |= piece.marks;
        self.any |= piece.any;
        if let Some(c) = self.counts.as_mut() {
            c.words += piece.counts.words;
            c.syllables += piece.counts.syllables;
            c.sentences += piece.counts.sentences;
        }
        // Copied as whole slices (one capacity check each, not one per word).
        let first = self.words.len();
        self.cues.extend(piece.cues.iter().map(|&k| first + k));
        self.words.extend(piece.words.iter().map(|w| Word {
            at: w.at.start + start..w.at.end + start,
            flags: w.flags,
            starts: w.starts,
            packed: w.packed,
        }));
    }
}

/// The number of words of a phrase.
fn words_in(phrase: &str) -> usize {
    1 + phrase.bytes().filter(|&c| c == b' ').count()
}

const MARK_OPEN_BRACE: u16 = 1 << 0;
const MARK_CLOSE_BRACE: u16 = 1 << 1;
const MARK_PERCENT: u16 = 1 << 2;
const MARK_BRACKET: u16 = 1 << 3;
/// `()` or `( )`: only an empty pair, so that a text with a parenthesis in it is not searched.
const MARK_PAREN: u16 = 1 << 4;
/// `$ ` or `$.`: only a dollar without its amount, for the same reason.
const MARK_DOLLAR: u16 = 1 << 5;
const MARK_AT: u16 = 1 << 6;
const MARK_EURO: u16 = 1 << 7;
const MARK_SPACE_COMMA: u16 = 1 << 8;
const MARK_SPACE_DOT: u16 = 1 << 9;

/// The mark of the ASCII byte at `i`, which is not part of a word.
fn mark(b: &[u8], i: usize) -> u16 {
    match b[i] {
        b'{' => MARK_OPEN_BRACE,
        b'}' => MARK_CLOSE_BRACE,
        b'%' => MARK_PERCENT,
        b'[' => MARK_BRACKET,
        b'(' if b.get(i + 1) == Some(&b')')
            || (b.get(i + 1) == Some(&b' ') && b.get(i + 2) == Some(&b')')) =>
        {
            MARK_PAREN
        }
        b'$' if matches!(b.get(i + 1), Some(b' ' | b'.')) => MARK_DOLLAR,
        b'@' => MARK_AT,
        b',' if i > 0 && b[i - 1] == b' ' => MARK_SPACE_COMMA,
        b'.' if i > 0 && b[i - 1] == b' ' && b.get(i + 1) == Some(&b'\n') => MARK_SPACE_DOT,
        _ => 0,
    }
}

// Classes of bytes, for the tokeniser.
/// An ASCII letter or digit.
const ALNUM: u8 = 1 << 0;
/// `'` or `-`: inside a word when a letter or digit follows.
const JOIN: u8 = 1 << 1;
/// A byte of a character beyond ASCII.
const HIGH: u8 = 1 << 2;
/// ASCII white space.
const SPACE: u8 = 1 << 3;
/// `.`, `!` or `?`: ends a sentence before white space.
const STOP: u8 = 1 << 4;
/// A closing quote or parenthesis, skipped before a sentence's stop.
const CLOSING: u8 = 1 << 5;
/// A byte whose mark depends on its neighbours ([`mark`]).
const CONTEXT_MARK: u8 = 1 << 6;
/// A vowel, for counting syllables: a, e, i, o, u, y in either case.
const VOWEL: u8 = 1 << 7;

/// The class of every byte.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        ) {
            ALNUM | VOWEL
        } else if b.is_ascii_alphanumeric() {
            ALNUM
        } else if !b.is_ascii() {
            HIGH
        } else if b.is_ascii_whitespace() {
            SPACE
        } else {
            match b {
                b'\'' => JOIN | CLOSING,
                b'-' => JOIN,
                b'.' => STOP | CONTEXT_MARK,
                b'!' | b'?' => STOP,
                b'"' | b')' => CLOSING,
                b',' | b'(' | b'$' => CONTEXT_MARK,
                _ => 0,
            }
        };
        c += 1;
    }
    t
};

/// The mark of every ASCII byte whose mark does not depend on its neighbours.
static BYTE_MARK: [u16; 256] = {
    let mut t = [0u16; 256];
    t[b'{' as usize] = MARK_OPEN_BRACE;
    t[b'}' as usize] = MARK_CLOSE_BRACE;
    t[b'%' as usize] = MARK_PERCENT;
    t[b'[' as usize] = MARK_BRACKET;
    t[b'@' as usize] = MARK_AT;
    t
};

/// The character at byte `i` and its length, with ASCII read straight from the byte.
fn char_at(s: &str, i: usize) -> Option<(char, usize)> {
    let b = *s.as_bytes().get(i)?;
    if b.is_ascii() {
        return Some((char::from(b), 1));
    }
    let c = s.get(i..)?.chars().next()?;
    Some((c, c.len_utf8()))
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the sentence that `from` is in ends: the next line break, or `.`, `!` or `?` before
/// a space or the end, not counting the dots of "a.m." and "p.m.".
fn sentence_end(raw: &str, from: usize) -> usize {
    let b = raw.as_bytes();
    let mut k = from;
    while k < b.len() {
        match b[k] {
            b'\n' => return k,
            b'.' | b'!' | b'?' if b.get(k + 1).is_none_or(u8::is_ascii_whitespace) => {
                let meridiem = b[k] == b'.'
                    && k >= 3
                    && (b[k - 3..k].eq_ignore_ascii_case(b"a.m")
                        || b[k - 3..k].eq_ignore_ascii_case(b"p.m"));
                if !meridiem {
                    return k;
                }
            }
            _ => {}
        }
        k += 1;
    }
    b.len()
}

/// A run of ASCII digits from `i`: its value (saturating) and where it ends.
fn digits(b: &[u8], i: usize) -> (u32, usize) {
    let mut value = 0u32;
    let mut k = i;
    while let Some(c) = b.get(k).filter(|c| c.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        k += 1;
    }
    (value, k)
}

/// 10:30, 9:05, 10am, 10 AM, 2pm, 9 a.m.: one or two digits and minutes or a meridiem.
fn clock_in(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let (_, end) = digits(b, i);
        i = end;
        if end - start > 2 {
            continue;
        }
        let digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
        if b.get(end) == Some(&b':') && digit(end + 1) && digit(end + 2) && !digit(end + 3) {
            return true;
        }
        let from = if b.get(end) == Some(&b' ') {
            end + 1
        } else {
            end
        };
        if meridiem(b.get(from..).unwrap_or_default()) {
            return true;
        }
    }
    false
}

/// Whether `b` starts with "am", "pm", "a.m." or "p.m." as a word of its own.
fn meridiem(b: &[u8]) -> bool {
    let lower = |k: usize| b.get(k).map(u8::to_ascii_lowercase);
    if !matches!(lower(0), Some(b'a' | b'p')) {
        return false;
    }
    let end = if lower(1) == Some(b'm') {
        2
    } else if lower(1) == Some(b'.') && lower(2) == Some(b'm') {
        3
    } else {
        return false;
    };
    !b.get(end).is_some_and(u8::is_ascii_alphanumeric)
}

/// 2024-10-15
fn is_iso_date(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit())
}

/// 10/15/2024, 15/10/24, or "on 10/15": a numeric date with a year, or after "on". Without
/// either, "24/7" and "3/4" are not dates.
fn slash_date(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let (first, end) = digits(b, i);
        i = end;
        let boundary =
            start == 0 || !(b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'/');
        if !boundary || end - start > 2 || b.get(end) != Some(&b'/') {
            continue;
        }
        let (second, end2) = digits(b, end + 1);
        if end2 == end + 1 || end2 - end - 1 > 2 {
            continue;
        }
        let day_month = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
        if !day_month(first, second) && !day_month(second, first) {
            continue;
        }
        let after = |k: usize| {
            b.get(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'/')
        };
        if b.get(end2) == Some(&b'/') {
            let (_, end3) = digits(b, end2 + 1);
            if matches!(end3 - end2 - 1, 2 | 4) && !after(end3) {
                return true;
            }
            continue;
        }
        let before = raw[..start].trim_end_matches([' ', '\t']).as_bytes();
        let on = before.len() >= 2
            && before[before.len() - 2..].eq_ignore_ascii_case(b"on")
            && (before.len() == 2 || !before[before.len() - 3].is_ascii_alphanumeric());
        if on && !after(end2) {
            return true;
        }
    }
    false
}

fn is_day_number(w: &str) -> bool {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty()
        && digits.len() <= 2
        && digits.bytes().all(|c| c.is_ascii_digit())
        && digits.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}

// ----- the lexicon -------------------------------------------------------------------------

// Word classes.
const WEEKDAY: u32 = 1 << 0;
const MONTH: u32 = 1 << 1;
const IMPACT: u32 = 1 << 2;
const YOU: u32 = 1 << 3;
const NUMBER: u32 = 1 << 4;
const DURATION: u32 = 1 << 5;
const DONE: u32 = 1 << 6;
const AGENT: u32 = 1 << 7;
const SUPPLIER: u32 = 1 << 8;
const NOON: u32 = 1 << 9;
const NAME_CUE: u32 = 1 << 10;
const GREETING: u32 = 1 << 11;
const ORG_BEFORE: u32 = 1 << 12;
const ORG_AFTER: u32 = 1 << 13;
const OWNING: u32 = 1 << 14;
const NEED: u32 = 1 << 15;
// First words of phrases.
const APOLOGY_CUE: u32 = 1 << 16;
const PROVIDER_CUE: u32 = 1 << 17;
const BLAME_CUE: u32 = 1 << 18;
const JARGON_CUE: u32 = 1 << 19;
const NEXT_CUE: u32 = 1 << 20;
const REMEDY_CUE: u32 = 1 << 21;
/// The first words of phrases of any list.
const CUES: u32 = APOLOGY_CUE | PROVIDER_CUE | BLAME_CUE | JARGON_CUE | NEXT_CUE | REMEDY_CUE;
/// A word a rendered missing value is written as ("null", "None"), in any case: the rule
/// checks the exact spelling.
const NULLISH: u32 = 1 << 22;
/// A word of unfinished text ("TODO", "lorem"), in any case: the rule checks the exact
/// spelling.
const UNFINISHED: u32 = 1 << 23;
/// The classes whose words [`Text::cues`] lists: few words of a text have them, and their rules
/// read the list.
const INDEXED: u32 = CUES | GREETING | NULLISH | UNFINISHED;
/// Not a class: the word has characters beyond ASCII, so comparisons fold it char by char.
const NON_ASCII: u32 = 1 << 31;
/// Not a class: a sentence ends after the word.
const SENTENCE_END: u32 = 1 << 30;

/// Every word a rule looks for, with its classes. A word of up to 16 bytes is packed into two
/// integers, so a lookup is a multiply and one or two integer compares in an open-addressing
/// table; no lexicon word is longer.
struct Lexicon {
    /// A packed word, its classes, and where the phrases it starts are in
    /// [`Lexicon::phrase_starts`] (0: none).
    slots: Vec<(u64, u64, u32, u32)>,
    /// One byte of each slot's hash (0 for an empty slot), read before the slot itself: the
    /// table of tags stays in the nearest cache, and most words are not in the lexicon.
    tags: Vec<u8>,
    mask: usize,
    /// For each word that starts a phrase (the first entry is for the words that start
    /// none), and each phrase list in [`PHRASE_LISTS`]' order: the phrases of the list that
    /// start with it, as indexes into the list in the list's order. A word read finds its
    /// entry in its slot, so a phrase rule goes straight to the phrases it may start.
    phrase_starts: Vec<[Vec<usize>; PHRASE_LIST_COUNT]>,
    /// For each phrase list, by its class: each phrase's words, packed, in the list's order.
    phrase_words: Vec<(u32, Vec<PackedPhrase>)>,
}

/// A phrase's words, each packed as [`pack`] packs it.
type PackedPhrase = Vec<(u64, u64)>;

/// The longest word the lexicon can hold.
const LEXICON_MAX: usize = 16;

impl Lexicon {
    fn with_words(entries: &[(u32, &str)]) -> Lexicon {
        let size = (entries.len() * 2).next_power_of_two();
        // Each first word of a phrase gets an entry (after the empty one for all others).
        let mut starts_of: Vec<(u64, u64)> = vec![(0, 0)];
        let mut phrase_starts: Vec<[Vec<usize>; PHRASE_LIST_COUNT]> = vec![Default::default()];
        for (list, (_, phrases)) in PHRASE_LISTS.iter().enumerate() {
            for (k, p) in phrases.iter().enumerate() {
                let Some(first) = pack(first_word(p).as_bytes()) else {
                    continue;
                };
                let entry = match starts_of.iter().position(|f| *f == first) {
                    Some(entry) => entry,
                    None => {
                        starts_of.push(first);
                        phrase_starts.push(Default::default());
                        starts_of.len() - 1
                    }
                };
                phrase_starts[entry][list].push(k);
            }
        }
        let mut lexicon = Lexicon {
            slots: vec![(0, 0, 0, 0); size],
            tags: vec![0; size],
            mask: size - 1,
            phrase_starts,
            phrase_words: PHRASE_LISTS
                .iter()
                .map(|(class, phrases)| {
                    let words = phrases
                        .iter()
                        .map(|p| {
                            p.split(' ')
                                .map(|w| pack(w.as_bytes()).unwrap_or((0, 0)))
                                .collect()
                        })
                        .collect();
                    (*class, words)
                })
                .collect(),
        };
        for (class, word) in entries {
            if let Some(packed) = pack(word.as_bytes()) {
                let (mut k, tag) = lexicon.slot(packed);
                while lexicon.slots[k].0 != 0 && (lexicon.slots[k].0, lexicon.slots[k].1) != packed
                {
                    k = (k + 1) & lexicon.mask;
                }
                let slot = &mut lexicon.slots[k];
                (slot.0, slot.1) = packed;
                slot.2 |= class;
                if let Some(entry) = starts_of.iter().position(|f| *f == packed) {
                    slot.3 = u32::try_from(entry).unwrap_or(0);
                }
                lexicon.tags[k] = tag;
            }
        }
        lexicon
    }

    /// The first slot to probe for a packed word, and its tag (never 0).
    fn slot(&self, (a, b): (u64, u64)) -> (usize, u8) {
        let h = (a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        ((h >> 40) as usize & self.mask, (h >> 32) as u8 | 1)
    }

    /// The phrases of list `list` ([`PHRASE_LISTS`]) that start with a word whose slot gave
    /// it `starts`, as indexes into the list.
    fn phrases_from(&self, starts: u32, list: usize) -> &[usize] {
        self.phrase_starts
            .get(starts as usize)
            .and_then(|lists| lists.get(list))
            .map_or(&[], Vec::as_slice)
    }

    /// The packed words of every phrase of the list of this class, in the list's order.
    fn phrase_words(&self, class: u32) -> &[PackedPhrase] {
        self.phrase_words
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(&[], |(_, words)| words.as_slice())
    }

    /// A packed word's classes and the entry of the phrases it starts; (0, 0) for a word
    /// not in the lexicon.
    fn lookup(&self, packed: (u64, u64)) -> (u32, u32) {
        let (mut k, tag) = self.slot(packed);
        loop {
            match self.tags[k] {
                0 => return (0, 0),
                t if t == tag => {
                    let (a, b, flags, starts) = self.slots[k];
                    if (a, b) == packed {
                        return (flags, starts);
                    }
                }
                _ => {}
            }
            k = (k + 1) & self.mask;
        }
    }
}

/// The ASCII word of `len` (at most 16) bytes at `start` of `text`, lowercased and packed
/// as [`pack`] packs it: eight bytes at a time where the text has them.
fn pack_ascii(text: &[u8], start: usize, len: usize) -> (u64, u64) {
    let chunk = |from: usize, n: usize| -> u64 {
        if n == 0 {
            return 0;
        }
        let mask = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        let word = match text.get(from..from + 8).map(<[u8; 8]>::try_from) {
            Some(Ok(bytes)) => u64::from_le_bytes(bytes),
            _ => text
                .get(from..from + n)
                .unwrap_or_default()
                .iter()
                .rev()
                .fold(0, |acc, &c| (acc << 8) | u64::from(c)),
        };
        ascii_lowercase(word & mask)
    };
    let lo = len.min(8);
    (chunk(start, lo), chunk(start + 8, len - lo))
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of eight bytes set where the byte is an ASCII letter or digit.
fn ascii_alnum(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte's low seven bits: adding 0x80 - c to one cannot carry into the next byte, and
    // sets its high bit exactly when it is at least c.
    let low = x & !HIGH_BITS;
    let at_least = |v: u64, c: u8| v + ONES * (0x80 - u64::from(c));
    let digit = at_least(low, b'0') & !at_least(low, b'9' + 1);
    // With 0x20 set, letters of either case fall in a..=z and nothing else does.
    let folded = low | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'z' + 1);
    (digit | letter) & !x & HIGH_BITS
}

/// Eight ASCII bytes lowercased at once: 0x20 is added to each byte in `A..=Z`.
fn ascii_lowercase(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // With the high bit clear, b + (0x80 - 'A') sets it when b >= 'A', and b + (0x80 - 'Z' - 1)
    // when b > 'Z'.
    let at_least_a = x + ONES * (0x80 - u64::from(b'A'));
    let above_z = x + ONES * (0x80 - u64::from(b'Z') - 1);
    let upper = at_least_a & !above_z & !x & HIGH;
    x | (upper >> 2)
}

/// A word of 1 to 16 bytes as two little-endian integers (words hold no zero bytes, so the
/// padding cannot collide).
fn pack(w: &[u8]) -> Option<(u64, u64)> {
    if w.is_empty() || w.len() > LEXICON_MAX {
        return None;
    }
    let (mut lo, mut hi) = (0u64, 0u64);
    for (k, &c) in w.iter().enumerate() {
        if k < 8 {
            lo |= u64::from(c) << (8 * k);
        } else {
            hi |= u64::from(c) << (8 * (k - 8));
        }
    }
    Some((lo, hi))
}

/// Every lexicon word with its class.
fn lexicon_entries() -> Vec<(u32, &'static str)> {
    let mut entries = Vec::new();
    let mut add = |class: u32, words: &[&'static str]| {
        entries.extend(words.iter().map(|w| (class, *w)));
    };
    add(WEEKDAY, WEEKDAYS);
    add(MONTH, MONTHS);
    add(IMPACT, IMPACT_WORDS);
    add(YOU, &["you", "your", "you're", "you've", "you'd", "yours"]);
    add(NUMBER, NUMBER_WORDS);
    add(DURATION, &["minutes", "minute", "mins", "hour", "hours"]);
    add(DONE, DONE_VERBS);
    add(
        AGENT,
        &[
            "we",
            "we've",
            "we'd",
            "team",
            "engineers",
            "engineer",
            "i",
            "i've",
        ],
    );
    add(SUPPLIER, SUPPLIERS);
    add(NOON, &["noon", "midnight"]);
    add(NAME_CUE, NAME_CUES);
    add(GREETING, &["dear", "hi", "hello"]);
    add(ORG_BEFORE, &["the", "our", "your", "at"]);
    add(ORG_AFTER, ORG_WORDS);
    add(OWNING, &["our", "we", "we've", "my", "own", "us"]);
    add(NEED, &["need", "needed", "required"]);
    add(NULLISH, &["null", "undefined", "nan", "none"]);
    add(UNFINISHED, &["todo", "tbd", "fixme", "xxx", "lorem"]);
    for (class, phrases) in PHRASE_LISTS {
        for p in *phrases {
            entries.push((*class, first_word(p)));
        }
    }
    entries
}

/// How many phrase lists there are.
const PHRASE_LIST_COUNT: usize = 6;
const _: () = assert!(PHRASE_LISTS.len() == PHRASE_LIST_COUNT);

/// Every phrase list, with the class given to its first words.
const PHRASE_LISTS: &[(u32, &[&str])] = &[
    (APOLOGY_CUE, APOLOGY_PHRASES),
    (PROVIDER_CUE, PROVIDER_PHRASES),
    (BLAME_CUE, BLAME_PHRASES),
    (JARGON_CUE, JARGON_TERMS),
    (NEXT_CUE, NEXT_UPDATE_CUES),
    (REMEDY_CUE, REMEDY_PHRASES),
];

fn first_word(phrase: &str) -> &str {
    phrase.split(' ').next().unwrap_or(phrase)
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
    LEXICON.get_or_init(|| Lexicon::with_words(&lexicon_entries()))
}

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

const IMPACT_WORDS: &[&str] = &[
    "unable",
    "couldn't",
    "cannot",
    "can't",
    "not",
    "failed",
    "fail",
    "failing",
    "unavailable",
    "inaccessible",
    "down",
    "disrupted",
    "disruption",
    "interrupted",
    "lost",
    "missing",
    "delayed",
    "late",
    "errors",
    "error",
    "affected",
    "impacted",
    "overcharged",
    "charged",
    "double-charged",
    "billed",
    "overbilled",
    "damaged",
    "broken",
    "degraded",
    "slow",
    "slower",
    "offline",
    "stopped",
    "blocked",
    "wrong",
    "incorrect",
];

const NUMBER_WORDS: &[&str] = &[
    "an",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "ten",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty-five",
    "sixty",
    "ninety",
];

const NEXT_UPDATE_CUES: &[&str] = &[
    "next update",
    "update you",
    "update by",
    "updates every",
    "update every",
    "updated every",
    "update at",
    "update in",
    "hear from us",
    "hear from me",
    "next status update",
    // A promise to write again: "I will email you with a new delivery time by 2:00 PM".
    "email you",
    "text you",
    "call you",
    "write to you",
    "back to you",
    "next email",
];

const DONE_VERBS: &[&str] = &[
    "restored",
    "fixed",
    "rolled",
    "reverted",
    "replaced",
    "repaired",
    "corrected",
    "refunded",
    "reversed",
    "deployed",
    "added",
    "patched",
    "recovered",
    "resent",
    "reissued",
    "rebuilt",
    "reprocessed",
    "removed",
    "implemented",
    "introduced",
    "shipped",
    "re-ran",
    "rerun",
    "verified",
    "re-enabled",
    "moved",
    "upgraded",
    "restarted",
    "applied",
    "issued",
    "credited",
    "dispatched",
    "rescheduled",
    "switched",
    "disabled",
    "cleared",
    "rotated",
    "undid",
];

const REMEDY_STEMS: &[&str] = &[
    "credit",
    "refund",
    "discount",
    "reimburs",
    "waive",
    "compensat",
    "replacement",
    "extend",
    "extension",
    "complimentary",
];

/// What an extension extends when it is a remedy.
const EXTENDED_THINGS: &[&str] = &[
    "your",
    "trial",
    "subscription",
    "contract",
    "term",
    "plan",
    "license",
    "licence",
    "renewal",
    "deadline",
    "warranty",
    "access",
];

const REMEDY_PHRASES: &[&str] = &[
    "no charge",
    "free of charge",
    "make this right",
    "free month",
    "month free",
    "months free",
];

const SUPPLIERS: &[&str] = &[
    "aws",
    "amazon",
    "azure",
    "microsoft",
    "google",
    "gcp",
    "cloudflare",
    "akamai",
    "fastly",
    "stripe",
    "twilio",
    "sendgrid",
    "heroku",
    "vercel",
    "ups",
    "fedex",
    "dhl",
    "usps",
    "carrier",
    "courier",
];

const NAME_CUES: &[&str] = &[
    "contact",
    "reach",
    "call",
    "email",
    "write",
    "me",
    "regards",
    "best",
    "sincerely",
    "thanks",
    "owner",
    "manager",
];

/// Words that make two capitalised words an organisation: "Acme Cloud Support".
const ORG_WORDS: &[&str] = &[
    "team",
    "support",
    "success",
    "billing",
    "engineering",
    "operations",
    "ops",
    "inc",
    "llc",
    "ltd",
    "gmbh",
    "corp",
    "group",
    "staff",
    "desk",
    "department",
    "care",
    "service",
    "services",
];

const APOLOGY_PHRASES: &[&str] = &[
    "apologize for the inconvenience",
    "apologise for the inconvenience",
    "apologize for any inconvenience",
    "apologise for any inconvenience",
    "apologies for the inconvenience",
    "apologies for any inconvenience",
    "sorry for the inconvenience",
    "sorry for any inconvenience",
    "regret any inconvenience",
    "regret the inconvenience",
    "any inconvenience this may have caused",
    "any inconvenience this might have caused",
    "any inconvenience that may have caused",
    "any inconvenience caused",
    "inconvenience this may have caused",
    "any disruption this may have caused",
    "any trouble this may have caused",
    "any issues this may have caused",
    "per our policy",
    "as per policy",
    "in accordance with our policy",
    "in line with our policy",
    "we value your business",
    "your business is important to us",
    "we take this very seriously",
    "thank you for your understanding",
];

const PROVIDER_PHRASES: &[&str] = &[
    "our provider",
    "our cloud provider",
    "our hosting provider",
    "our upstream provider",
    "our vendor",
    "a third party",
    "a third-party",
    "third-party provider",
    "third-party vendor",
    "upstream provider",
    "beyond our control",
    "outside our control",
    "out of our control",
    "not our fault",
    "outside of our control",
];

const BLAME_PHRASES: &[&str] = &["due to", "caused by", "because of", "blame", "fault of"];

const JARGON_TERMS: &[&str] = &[
    "p99",
    "p95",
    "latency",
    "dns",
    "tls",
    "ssl",
    "kubernetes",
    "k8s",
    "pod",
    "pods",
    "shard",
    "sharding",
    "replica",
    "replication",
    "failover",
    "deadlock",
    "race condition",
    "oom",
    "5xx",
    "502",
    "503",
    "504",
    "load balancer",
    "cdn",
    "cache invalidation",
    "mutex",
    "thread pool",
    "connection pool",
    "hotfix",
    "regression",
    "rca",
    "postmortem",
    "post-mortem",
    "bgp",
    "etcd",
    "upstream",
    "downstream",
    "idempotent",
    "schema",
];

// ----- the rules ---------------------------------------------------------------------------

fn generic_apology(text: &Text<'_>, out: &mut Findings<'_>) {
    let mut last_end = 0;
    for (phrase, range, _) in text.find_phrases(APOLOGY_CUE, APOLOGY_PHRASES) {
        // "any inconvenience this may have caused" also contains shorter variants.
        if range.start < last_end {
            continue;
        }
        last_end = range.end;
        out.at(
            Rule::GenericApology,
            range,
            format!("generic apology language: \"{phrase}\""),
        );
    }
}

fn third_party_blame(text: &Text<'_>, out: &mut Findings<'_>) {
    for (phrase, range, i) in text.find_phrases(PROVIDER_CUE, PROVIDER_PHRASES) {
        // "No data was shared with a third party" blames nobody.
        if phrase.starts_with("a third") && i > 0 && text.is_any(i - 1, &["with", "to"]) {
            continue;
        }
        out.at(
            Rule::ThirdPartyBlame,
            range.clone(),
            format!("shifts the cause to someone else: \"{}\"", &text.raw[range]),
        );
    }
    let suppliers = if text.any & SUPPLIER != 0 {
        0..text.len()
    } else {
        0..0
    };
    for i in suppliers {
        if !text.has(i, SUPPLIER) {
            continue;
        }
        // "due to an AWS outage" blames; "caused by our Stripe webhook code" owns it.
        let blamed = (i.saturating_sub(5)..i).any(|k| {
            text.has(k, BLAME_CUE)
                && BLAME_PHRASES.iter().any(|b| {
                    text.phrase_at(k, b) && !(k + words_in(b)..i).any(|j| text.has(j, OWNING))
                })
        });
        if blamed {
            let range = text.at(i);
            out.at(
                Rule::ThirdPartyBlame,
                range.clone(),
                format!("blames a supplier, {}, for the failure", &text.raw[range]),
            );
        }
    }
}

fn jargon(text: &Text<'_>, out: &mut Findings<'_>) {
    let mut seen: Vec<&str> = Vec::new();
    for (term, range, i) in text.find_phrases(JARGON_CUE, JARGON_TERMS) {
        if seen.contains(&term) {
            continue;
        }
        // 502 is an HTTP status only next to one: "502 errors", not "502 of your orders".
        if matches!(term, "502" | "503" | "504")
            && !text.is_any(
                i + 1,
                &[
                    "error",
                    "errors",
                    "status",
                    "response",
                    "responses",
                    "bad",
                    "gateway",
                    "service",
                    "code",
                    "codes",
                    "page",
                    "pages",
                ],
            )
            && !(i > 0 && text.is_any(i - 1, &["http", "status", "error", "code"]))
        {
            continue;
        }
        seen.push(term);
        if explained(text.raw, &range) {
            continue;
        }
        out.at(
            Rule::UnexplainedJargon,
            range.clone(),
            format!(
                "\"{}\" is a technical term the reader may not know",
                &text.raw[range]
            ),
        );
    }
}

/// A term is explained when a parenthesis, a dash or "which means" follows it closely, or it
/// stands in parentheses after its plain-words explanation.
fn explained(raw: &str, range: &Range<usize>) -> bool {
    let before = raw[..range.start].trim_end();
    if before.ends_with('(') {
        return true;
    }
    let after = raw[range.end..].trim_start().as_bytes();
    let starts =
        |p: &str| after.len() >= p.len() && after[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    [
        "(",
        "\u{2014}",
        "- ",
        ", which means",
        ", meaning",
        "which means",
        ", that is",
        ", i.e.",
    ]
    .iter()
    .any(|p| starts(p))
}

/// Every place `pat` occurs, found by its first character that is not a space (a memchr
/// search), not by a substring search per pattern.
fn occurrences<'h>(hay: &'h str, pat: &'h str) -> impl Iterator<Item = usize> + 'h {
    let skip = pat.bytes().take_while(|&c| c == b' ').count();
    let anchor = pat[skip..].chars().next().unwrap_or(' ');
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(off) = hay.get(from..)?.find(anchor) {
            let pos = from + off;
            from = pos + anchor.len_utf8();
            if pos >= skip && hay.as_bytes()[pos - skip..].starts_with(pat.as_bytes()) {
                return Some(pos - skip);
            }
        }
        None
    })
}

fn placeholders(text: &Text<'_>, out: &mut Findings<'_>) {
    let raw = text.raw;
    let bytes = raw.as_bytes();
    // {{ name }} and {% if %}, whole when they close on the same line.
    let mut opened = false;
    let marked = |m: u16| text.marks & m != 0;
    for (open, close) in [("{{", "}}"), ("{%", "%}")] {
        if !marked(MARK_OPEN_BRACE) {
            break;
        }
        for at in occurrences(raw, open) {
            opened = true;
            let rest = &raw[at + 2..floor_boundary(raw, (at + 2 + 100).min(raw.len()))];
            let end = rest
                .find(close)
                .filter(|&e| !rest[..e].contains('\n'))
                .map_or(at + 2, |e| at + 2 + e + 2);
            out.at(
                Rule::UnrenderedPlaceholder,
                at..end,
                format!("template syntax \"{}\" left in the text", &raw[at..end]),
            );
        }
    }
    if !opened && marked(MARK_CLOSE_BRACE) {
        for pat in ["}}", "%}"] {
            if let Some(at) = occurrences(raw, pat).next() {
                out.at(
                    Rule::UnrenderedPlaceholder,
                    at..at + 2,
                    format!("template syntax \"{pat}\" left in the text"),
                );
                break;
            }
        }
    }
    // [service], [Customer Name], {name}, {0}
    for (open, close) in [('[', b']'), ('{', b'}')] {
        if !marked(if open == '[' {
            MARK_BRACKET
        } else {
            MARK_OPEN_BRACE
        }) {
            continue;
        }
        let mut from = 0;
        while let Some(off) = raw.get(from..).and_then(|r| r.find(open)) {
            let i = from + off;
            from = i + 1;
            if open == '{' && (bytes.get(i + 1) == Some(&b'{') || (i > 0 && bytes[i - 1] == b'{')) {
                continue;
            }
            let Some(len) = bytes[i + 1..].iter().take(41).position(|&c| c == close) else {
                continue;
            };
            let inner = &raw[i + 1..i + 1 + len];
            let end = i + len + 2;
            let link = open == '[' && bytes.get(end) == Some(&b'(');
            let looks = inner
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
                && inner
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b' ' | b'_' | b'-' | b'.'));
            if looks && !link {
                out.at(
                    Rule::UnrenderedPlaceholder,
                    i..end,
                    format!("placeholder \"{}\" left in the text", &raw[i..end]),
                );
            }
            from = end;
        }
    }
    let percent_s = if marked(MARK_PERCENT) {
        occurrences(raw, "%s").next()
    } else {
        None
    };
    if let Some(at) = percent_s {
        out.at(
            Rule::UnrenderedPlaceholder,
            at..at + 2,
            "placeholder \"%s\" left in the text",
        );
    }
    let words = if text.any & UNFINISHED != 0 {
        &text.cues[..]
    } else {
        &[]
    };
    for &i in words {
        if !text.has(i, UNFINISHED) {
            continue;
        }
        let w = text.word(i);
        let unfinished = match w.as_bytes().first() {
            Some(b'T' | b'F' | b'X') => matches!(w, "TODO" | "TBD" | "FIXME" | "XXX"),
            Some(b'l' | b'L') => text.is(i, "lorem") && text.is(i + 1, "ipsum"),
            _ => false,
        };
        if unfinished {
            out.at(
                Rule::UnrenderedPlaceholder,
                text.at(i),
                format!("unfinished text \"{w}\""),
            );
        }
    }
}

fn empty_values(text: &Text<'_>, out: &mut Findings<'_>) {
    let raw = text.raw;
    let mut greeting: Option<Range<usize>> = None;
    // Only greetings and the spellings of a missing value are candidates (listed in cues).
    let words = if text.any & (GREETING | NULLISH) != 0 {
        &text.cues[..]
    } else {
        &[]
    };
    for &i in words {
        if !text.has(i, GREETING | NULLISH) {
            continue;
        }
        let w = text.word(i);
        let candidate = text.has(i, GREETING)
            || (matches!(w.as_bytes().first(), Some(b'n' | b'u' | b'N'))
                && matches!(w, "null" | "undefined" | "NaN" | "None"));
        if !candidate {
            continue;
        }
        let r = text.at(i);
        let after = raw[r.end..].trim_start_matches([' ', '\t']);
        // A rendered null is "null", "undefined", "NaN", or a None where a value belongs;
        // a lowercase "none" is English ("Data lost: none").
        let empty_value = matches!(w, "null" | "undefined" | "NaN")
            || (w == "None"
                && (raw[..r.start]
                    .trim_end_matches([' ', '\t'])
                    .ends_with([':', '(', '$', '='])
                    || after.starts_with(')')));
        if empty_value {
            out.at(
                Rule::EmptyValue,
                r,
                format!("a missing value rendered as \"{w}\""),
            );
        } else if text.has(i, GREETING)
            && after.starts_with(',')
            && raw[r.end..].starts_with([' ', '\t'])
        {
            let range = r.start..r.end + (raw[r.end..].len() - after.len()) + 1;
            greeting = Some(range.clone());
            out.at(
                Rule::EmptyValue,
                range,
                format!("\"{w}\" is followed by an empty name"),
            );
        }
    }
    for (pat, m) in [
        ("()", MARK_PAREN),
        ("( )", MARK_PAREN),
        (" ,", MARK_SPACE_COMMA),
        (" .\n", MARK_SPACE_DOT),
        ("$ ", MARK_DOLLAR),
        ("$.", MARK_DOLLAR),
        ("€ .", MARK_EURO),
    ] {
        if text.marks & m == 0 {
            continue;
        }
        if let Some(at) = occurrences(raw, pat).next() {
            let range = at..at + pat.trim_end().len();
            // "Dear ," is reported once, as the greeting.
            if greeting
                .as_ref()
                .is_some_and(|g| g.start < range.end && range.start < g.end)
            {
                continue;
            }
            out.at(
                Rule::EmptyValue,
                range,
                format!("\"{}\" suggests an empty value", pat.trim()),
            );
        }
    }
}

fn too_long(text: &Text<'_>, channel: Channel, out: &mut Findings<'_>) {
    // Counted only for the channels with a limit: an email has none.
    let chars = || text.raw.chars().count();
    let config = out.config;
    match channel {
        Channel::Sms => {
            let segments = sms_segments(text.raw);
            if segments > config.max_sms_segments {
                let chars = chars();
                out.at(
                    Rule::TooLong,
                    0..text.raw.len(),
                    format!(
                        "{chars} characters take {segments} SMS segments, more than {}",
                        config.max_sms_segments
                    ),
                );
            }
        }
        Channel::StatusPage | Channel::Chat => {
            let (limit, what) = if channel == Channel::Chat {
                (config.max_chat_chars, "chat")
            } else {
                (config.max_status_chars, "status page")
            };
            let chars = chars();
            if chars > limit as usize {
                out.at(
                    Rule::TooLong,
                    0..text.raw.len(),
                    format!("{chars} characters, more than the {what} limit of {limit}"),
                );
            }
        }
        _ => {}
    }
}

/// SMS segments a text takes: GSM-7 texts fit 160 characters in one segment and 153 in each
/// of several; anything else is sent as UCS-2, 70 and 67 (3GPP TS 23.038 / 23.040).
pub fn sms_segments(text: &str) -> u32 {
    let mut septets = 0u32;
    let mut units = 0u32;
    let mut gsm = true;
    for c in text.chars() {
        units += if c.len_utf16() == 2 { 2 } else { 1 };
        match c {
            // The extension table: an escape and the character.
            '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => septets += 2,
            '`' => gsm = false,
            c if c.is_ascii_graphic() || matches!(c, ' ' | '\n' | '\r') => septets += 1,
            '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ'
            | 'Γ' | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¡' | 'Ä'
            | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => septets += 1,
            _ => gsm = false,
        }
    }
    let (n, single, multi) = if gsm {
        (septets, 160, 153)
    } else {
        (units, 70, 67)
    };
    if n <= single { 1 } else { n.div_ceil(multi) }
}

fn named_contact(text: &Text<'_>, out: &mut Findings<'_>) {
    let raw = text.raw;
    let bytes = raw.as_bytes();
    // A personal address (dana.whitfield@, dana@) names someone; support@ is a queue.
    let mut alias: Option<Range<usize>> = None;
    let addresses = if text.marks & MARK_AT != 0 { raw } else { "" };
    // From the end, where messages sign off with an address: any personal one ends the search
    // (wherever it is), and the first shared mailbox in the text is the last one seen.
    for (at, _) in addresses.rmatch_indices('@') {
        let start = bytes[..at]
            .iter()
            .rposition(|c| {
                !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-'))
            })
            .map_or(0, |p| p + 1);
        if start == at || !bytes.get(at + 1).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        if is_role_mailbox(&raw[start..at]) {
            alias = Some(start..at);
        } else {
            return;
        }
    }
    if (0..text.len()).any(|i| names_a_person(text, i)) {
        return;
    }
    match alias {
        Some(r) => out.at(
            Rule::NoNamedContact,
            r.clone(),
            format!(
                "\"{}@…\" is a shared mailbox; name the person who answers",
                &raw[r]
            ),
        ),
        None => out.missing(
            Rule::NoNamedContact,
            "the message names no person to contact",
        ),
    }
}

/// Whether the local part of an address is a role's, not a person's: support, billing-team,
/// no-reply, acmesupport.
fn is_role_mailbox(local: &str) -> bool {
    const ROLES: &[&str] = &[
        "support",
        "help",
        "info",
        "noreply",
        "no",
        "reply",
        "team",
        "hello",
        "contact",
        "billing",
        "success",
        "cs",
        "service",
        "care",
        "admin",
        "ops",
        "status",
        "incident",
        "incidents",
        "security",
        "sales",
        "accounts",
        "account",
        "orders",
        "order",
        "shipping",
        "returns",
        "feedback",
        "customer",
        "customers",
        "helpdesk",
        "notifications",
        "alerts",
        "office",
        "hr",
        "legal",
        "privacy",
        "operations",
        "sre",
        "engineering",
        "donotreply",
        "mail",
        "postmaster",
        "webmaster",
        "enquiries",
        "inquiries",
        "questions",
    ];
    const INSIDE: &[&str] = &[
        "support", "noreply", "billing", "helpdesk", "service", "incident", "status", "notif",
    ];
    local
        .split(['.', '_', '-', '+'])
        .any(|t| ROLES.iter().any(|r| t.eq_ignore_ascii_case(r)))
        || INSIDE.iter().any(|n| {
            local
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n.as_bytes()))
        })
}

/// A person's name at word `i`: two capitalised words ("Dana Whitfield") after a cue
/// ("contact", "reply to me,", "Regards,") or on a signature line of their own, and not an
/// organisation ("The Acme Cloud team", "Acme Cloud Support").
fn names_a_person(text: &Text<'_>, i: usize) -> bool {
    // Most words are not capitalised: an ASCII word is ruled out by its first byte.
    let lowercase_ascii = text.words.get(i).is_some_and(|w| {
        w.flags & NON_ASCII == 0
            && text
                .raw
                .as_bytes()
                .get(w.at.start)
                .is_some_and(|c| !c.is_ascii_uppercase())
    });
    if lowercase_ascii || !capitalised(text, i) || text.gap(i) != " " || !capitalised(text, i + 1) {
        return false;
    }
    // A third capitalised word continues the name: "Mary Ann Smith".
    let mut last = i + 1;
    if text.gap(last) == " " && capitalised(text, last + 1) {
        last += 1;
    }
    if (i > 0 && text.has(i - 1, ORG_BEFORE) && text.gap(i - 1).bytes().all(|c| c == b' '))
        || (text.gap(last) == " " && text.has(last + 1, ORG_AFTER))
        || (i..=last).any(|k| text.has(k, ORG_AFTER))
    {
        return false;
    }
    if (i.saturating_sub(6)..i).any(|k| text.has(k, NAME_CUE)) {
        return true;
    }
    // "A note from Dana Whitfield, Head of Customer Success", not "an update from Northwind
    // Logistics": after "from", a person has a title.
    if i > 0 && text.is(i - 1, "from") && text.gap(last).starts_with(',') {
        return true;
    }
    // A signature line: nothing before the name but a dash, and after it only the end of the
    // line, a title ("Dana Whitfield, Head of Customer Success") or an address.
    let raw = text.raw;
    let start = text.at(i).start;
    let line_start = raw[..start].rfind('\n').map_or(0, |p| p + 1);
    let before_is_empty = raw[line_start..start]
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '\u{2014}' | '\u{2013}'))
        .is_empty();
    let end = text.at(last).end;
    let line_end = raw[end..].find('\n').map_or(raw.len(), |p| end + p);
    let rest = raw[end..line_end].trim_start();
    before_is_empty
        && (rest.is_empty() || rest.starts_with([',', '(', '<', '|', '-', '\u{2014}', '\u{2013}']))
}

/// A capitalised word that is not a calendar word or a sentence opener: "Dana", "Whitfield".
fn capitalised(text: &Text<'_>, i: usize) -> bool {
    const NOT_NAMES: &[&str] = &[
        "The", "We", "Our", "Your", "You", "This", "That", "It", "If", "In", "On", "At", "A", "An",
        "Next", "Service", "Status", "Update", "Dear", "Hi", "Hello", "Thank", "Thanks", "What",
        "Why", "How", "Subject", "Best", "Regards", "Support", "Team", "Customer", "Success",
        "Incident", "Root", "Cause",
    ];
    let w = text.word(i);
    let mut c = w.chars();
    c.next().is_some_and(char::is_uppercase)
        && w.len() >= 2
        && c.all(|x| x.is_lowercase() || x == '-' || x == '\'')
        && !text.has(i, WEEKDAY | MONTH)
        && !NOT_NAMES.contains(&w)
}

/// The Flesch–Kincaid grade level of a text: 0.39 × words per sentence + 11.8 × syllables per
/// word − 15.59. Lines are sentences of their own, so headings and bullets do not make one
/// endless sentence.
pub fn reading_grade(raw: &str) -> f64 {
    grade(&Text::new(raw))
}

fn grade(text: &Text<'_>) -> f64 {
    let c = text.counts.unwrap_or_else(|| counts(text));
    if c.words == 0 {
        return 0.0;
    }
    let w = c.words as f64;
    0.39 * (w / c.sentences.max(1) as f64) + 11.8 * (c.syllables as f64 / w) - 15.59
}

/// What the reading grade is computed from: words with a letter, their syllables, and
/// sentences. Sums, so the counts of a text's pieces add up to the text's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    words: usize,
    syllables: usize,
    sentences: usize,
}

fn counts(text: &Text<'_>) -> Counts {
    let mut c = Counts::default();
    for word in &text.words {
        let w = &text.raw[word.at.clone()];
        let alphabetic = if word.flags & NON_ASCII != 0 {
            w.chars().any(char::is_alphabetic)
        } else {
            w.bytes().any(|c| c.is_ascii_alphabetic())
        };
        if alphabetic {
            c.words += 1;
            c.syllables += syllables(w);
        }
        if word.flags & SENTENCE_END != 0 {
            c.sentences += 1;
        }
    }
    c
}

/// Syllables in an English word, by vowel groups with a silent final e: the usual heuristic.
fn syllables(word: &str) -> usize {
    let b = word.as_bytes();
    let mut count = 0;
    let mut previous_vowel = false;
    for &c in b {
        let vowel = BYTE_CLASS[usize::from(c)] & VOWEL != 0;
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    let ends = |s: &[u8]| b.len() >= s.len() && b[b.len() - s.len()..].eq_ignore_ascii_case(s);
    if ends(b"e") && !ends(b"le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{Strategy, prop};

    /// The tokeniser as first written, kept as the reference the table-driven one is
    /// compared with: (range, flags, packed) of every word, and the marks.
    type Tokens = (Vec<(Range<usize>, u32, (u64, u64))>, u16);

    fn reference_tokens(raw: &str) -> Tokens {
        let lexicon = lexicon();
        let mut text = Text {
            raw,
            words: Vec::new(),
            marks: 0,
            any: 0,
            cues: Vec::new(),
            counts: None,
        };
        let b = raw.as_bytes();
        let alphanumeric_at = |i: usize| match b.get(i) {
            Some(c) if c.is_ascii() => c.is_ascii_alphanumeric(),
            Some(_) => char_at(raw, i).is_some_and(|(c, _)| c.is_alphanumeric()),
            None => false,
        };
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii() {
                if !b[i].is_ascii_alphanumeric() {
                    text.marks |= mark(b, i);
                    i += 1;
                    continue;
                }
            } else {
                let (c, len) = char_at(raw, i).expect("char");
                if !c.is_alphanumeric() {
                    if c == '€' {
                        text.marks |= MARK_EURO;
                    }
                    i += len;
                    continue;
                }
            }
            let start = i;
            let mut ascii = true;
            while let Some(&c) = b.get(i) {
                if c.is_ascii_alphanumeric()
                    || (matches!(c, b'\'' | b'-') && alphanumeric_at(i + 1))
                {
                    i += 1;
                    continue;
                }
                if c.is_ascii() {
                    break;
                }
                let (c, len) = char_at(raw, i).expect("char");
                if !(c.is_alphanumeric() || (c == '\u{2019}' && alphanumeric_at(i + len))) {
                    break;
                }
                ascii = false;
                i += len;
            }
            if let Some(last) = text.words.last_mut()
                && ends_sentence(&raw[last.at.end..start])
            {
                last.flags |= SENTENCE_END;
            }
            text.push(start..i, ascii, lexicon);
        }
        if let Some(last) = text.words.last_mut() {
            last.flags |= SENTENCE_END;
        }
        tokens(&text)
    }

    /// Whether the text between two words ends a sentence (the reference's reading; the
    /// tokeniser reads the same while it skips the gap): a line break (bullets and headings are
    /// sentences of their own), or `.`, `!` or `?` followed by a space (not inside `example.com`
    /// or `$1,806.45`).
    fn ends_sentence(between: &str) -> bool {
        let b = between.as_bytes();
        b.contains(&b'\n')
            || (between
                .trim_start_matches(['"', '\u{201d}', ')', '\''])
                .starts_with(['.', '!', '?'])
                && b.iter().any(u8::is_ascii_whitespace))
    }

    fn tokens(text: &Text<'_>) -> Tokens {
        let words = text
            .words
            .iter()
            .map(|w| (w.at.clone(), w.flags, w.packed))
            .collect();
        (words, text.marks)
    }

    /// Text made of the pieces the tokeniser treats differently: lexicon words in any case,
    /// digits, apostrophes and hyphens (plain and typographic), sentence stops, quotes, line
    /// breaks, the marked characters, letters beyond ASCII and other scripts.
    fn tricky_text() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "we",
            "We",
            "WE'VE",
            "we\u{2019}ve",
            "your",
            "not",
            "team",
            "October",
            "15",
            "10:00",
            "AM",
            "a.m.",
            "update",
            "next",
            "due",
            "to",
            "AWS",
            "x",
            "q",
            "don't",
            "re-ran",
            "-",
            "'",
            "\u{2019}",
            ".",
            "!",
            "?",
            ",",
            " ,",
            " .\n",
            "\"",
            ")",
            "\u{201d}",
            " ",
            "  ",
            "\n",
            "\t",
            "{",
            "}",
            "{{",
            "%",
            "%s",
            "[",
            "]",
            "(",
            "()",
            "$",
            "$.",
            "@",
            "€",
            "€ .",
            "é",
            "Café",
            "中文",
            "ü",
            "\u{2003}",
            "0",
            "x1",
            "abcdefghijklmnopq",
            "Dana",
            "Whitfield",
        ];
        prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
    }

    /// Text made of phrase words and whole phrases (in any case, with plain or typographic
    /// apostrophes) among other words and punctuation, so that phrases match, half match and
    /// overlap.
    fn phrase_text() -> impl Strategy<Value = String> {
        let mut pieces: Vec<String> = ["we", "We", "in", "x", ".", ",", "\n", "’", "don’t"]
            .iter()
            .map(|p| (*p).to_string())
            .collect();
        for (_, phrases) in PHRASE_LISTS {
            for p in *phrases {
                pieces.push((*p).to_string());
                pieces.push(p.to_uppercase());
                pieces.extend(p.split(' ').map(str::to_string));
            }
        }
        prop::collection::vec(
            (
                prop::sample::select(pieces),
                prop::sample::select(vec![" ", "  ", ", ", "\n"]),
            ),
            0..30,
        )
        .prop_map(|p| p.into_iter().map(|(w, gap)| format!("{w}{gap}")).collect())
    }

    /// Phrases found word by word as strings: the reference for [`Text::find_phrases`].
    fn reference_phrases<'p>(
        text: &Text<'_>,
        phrases: &[&'p str],
    ) -> Vec<(&'p str, Range<usize>, usize)> {
        let mut out = Vec::new();
        for i in 0..text.len() {
            for p in phrases {
                if text.phrase_at(i, p) {
                    let last = i + words_in(p) - 1;
                    out.push((*p, text.at(i).start..text.at(last).end, i));
                }
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn phrases_are_found_as_the_word_by_word_reference_finds_them(raw in phrase_text()) {
            let text = Text::new(&raw);
            for (class, phrases) in PHRASE_LISTS {
                proptest::prop_assert_eq!(
                    text.find_phrases(*class, phrases),
                    reference_phrases(&text, phrases)
                );
            }
        }

        #[test]
        fn the_tokeniser_reads_every_text_as_the_reference_does(raw in tricky_text()) {
            proptest::prop_assert_eq!(tokens(&Text::new(&raw)), reference_tokens(&raw));
        }

        #[test]
        fn the_tokeniser_reads_any_string_as_the_reference_does(raw in "\\PC{0,80}") {
            proptest::prop_assert_eq!(tokens(&Text::new(&raw)), reference_tokens(&raw));
        }
    }

    /// Text cut where [`piece_end`] cuts it: sentences after stops and line breaks, among the
    /// tokeniser's tricky pieces.
    fn piece_text() -> impl Strategy<Value = String> {
        let sentences = prop::collection::vec(
            (
                tricky_text(),
                prop::sample::select(&[". ", ".\n", "\n", "! ", "? ", ". .", ".) ", " "][..]),
                prop::sample::select(&["We", "x", "0", "é", ",", ".", "", "\n"][..]),
            ),
            0..6,
        );
        sentences.prop_map(|s| {
            s.into_iter()
                .map(|(t, stop, next)| format!("{t}{stop}{next}"))
                .collect()
        })
    }

    /// Everything a text read in pieces must share with the text read whole.
    fn whole(text: &Text<'_>) -> (Tokens, u32, Vec<usize>, Counts) {
        let counts = text.counts.unwrap_or_else(|| counts(text));
        (tokens(text), text.any, text.cues.clone(), counts)
    }

    fn spliced_as_whole(
        raw: &str,
        cache: &mut PieceCache,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let expected = whole(&Text::new(raw));
        // Once tokenising the pieces, once copying them from the cache.
        proptest::prop_assert_eq!(&whole(&Text::spliced(raw, cache)), &expected);
        proptest::prop_assert_eq!(&whole(&Text::spliced(raw, cache)), &expected);
        proptest::prop_assert_eq!(&whole(&Text::read(raw)), &expected);
        Ok(())
    }

    /// A template's fixed sentences with values in their blanks, the values drawn from the
    /// tokeniser's tricky pieces: rendered messages as the linter meets them.
    fn rendered_message() -> impl Strategy<Value = (String, Purpose)> {
        const FIXED: &[&str] = &[
            "Subject: Resolved: the outage on {}, and what we are doing about it\n\nHi {},\n\n",
            "The outage is over. On {}, your team could not use {} for 4 hours. ",
            "We apologize for any inconvenience. Our cloud provider {} had an outage.\n\n",
            "What you receive: a 7-day service credit of {} and a personal apology from {}. ",
            "Next update: {} by email, or sooner if anything changes.\n\n",
            "What we did: we restored the service at {} and checked it.\n\n",
            "Questions? Reply to this email or write to me at {}.\n\nDana Whitfield\nVP Support",
            "We have leveraged {} to {{ value }} the TBD root cause. {}",
        ];
        let purposes = prop::sample::select(
            &[
                Purpose::Acknowledgment,
                Purpose::Update,
                Purpose::Resolution,
                Purpose::Rca,
                Purpose::Status,
                Purpose::Internal,
            ][..],
        );
        (
            prop::collection::vec(
                (prop::sample::select(FIXED), tricky_text(), piece_text()),
                1..8,
            ),
            purposes,
        )
            .prop_map(|(parts, purpose)| {
                let mut out = String::new();
                for (fixed, a, b) in parts {
                    let mut values = [a, b].into_iter();
                    for (k, chunk) in fixed.split("{}").enumerate() {
                        if k > 0 {
                            out.push_str(&values.next().unwrap_or_default());
                        }
                        out.push_str(chunk);
                    }
                }
                (out, purpose)
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn pieces_read_alone_are_read_as_the_whole_text(raw in piece_text()) {
            spliced_as_whole(&raw, &mut PieceCache::default())?;
        }

        #[test]
        fn any_string_read_in_pieces_is_read_as_the_whole_text(raw in "[ .\n!?aA,é]{0,40}|\\PC{0,80}") {
            spliced_as_whole(&raw, &mut PieceCache::default())?;
        }

        #[test]
        fn rendered_messages_are_linted_in_pieces_as_whole((raw, purpose) in rendered_message()) {
            let message = Message::new(&raw, purpose, Channel::Email);
            let config = LintConfig::default();
            let whole = lint_text(&Text::new(&raw), &message, &config);
            // Twice: the first call reads the new pieces, the second copies them all.
            proptest::prop_assert_eq!(&lint(&message, &config), &whole);
            proptest::prop_assert_eq!(&lint(&message, &config), &whole);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn pieces_read_after_the_piece_they_followed_are_read_as_the_whole_text(
            texts in prop::collection::vec(
                proptest::prop_oneof![piece_text(), "[ .\n!?aA,é]{0,24}"],
                1..4,
            ),
        ) {
            // Through one cache, texts that share pieces in other orders, and cut short
            // around where one ends: a piece's remembered successor is compared where the
            // text goes on with it but a piece may end elsewhere (a stop that is not followed
            // by a letter, a piece that ended a text before and is now followed by more).
            // Joined directly, after blank lines, and after as many other bytes (which a
            // piece remembered as following blank lines must not be taken for).
            let mut cache = PieceCache::default();
            for a in &texts {
                for b in &texts {
                    for between in ["", "\n\n", "xy", " \n"] {
                        let ab = format!("{a}{between}{b}");
                        let near_a = a.len().saturating_sub(3)..a.len() + 3;
                        let near_end = ab.len().saturating_sub(3)..ab.len() + 1;
                        // The whole first, before a shorter cut remembers other successors.
                        let cuts = near_end.rev().chain(near_a.rev());
                        for cut in cuts.filter(|&c| ab.is_char_boundary(c)) {
                            spliced_as_whole(&ab[..cut], &mut cache)?;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_full_piece_cache_keeps_its_pieces_until_it_has_missed_many() {
        let mut cache = PieceCache::default();
        let shared = "We are sorry.\n";
        let _ = Text::spliced(shared, &mut cache);
        // The shared piece and as many more as fill the cache.
        for i in 1..PIECES_KEPT {
            let _ = Text::spliced(&format!("acct {i}\n"), &mut cache);
        }
        assert_eq!(cache.pieces.len(), PIECES_KEPT);
        assert!(cache.pieces.contains_key(shared));
        for i in 0..PIECES_MISSED - 1 {
            let _ = Text::spliced(&format!("other {i}\n"), &mut cache);
        }
        assert!(cache.pieces.contains_key(shared));
        let _ = Text::spliced("one miss too many\n", &mut cache);
        assert!(cache.pieces.is_empty());
        spliced_as_whole(shared, &mut cache).expect("the same words");
        assert!(cache.pieces.contains_key(shared));
    }

    #[test]
    fn a_text_is_cut_after_line_breaks_and_between_sentences_only() {
        let raw = "Hi Alex,\n\nIt is over. We fixed it at 2:00 p.m. Sorry e.g. x .y. 1.5 a.\nb";
        let mut cuts = Vec::new();
        let mut at = 0;
        while at < raw.len() {
            at = piece_end(raw.as_bytes(), at);
            cuts.push(&raw[..at]);
        }
        assert_eq!(
            cuts,
            [
                "Hi Alex,\n",
                "Hi Alex,\n\n",
                "Hi Alex,\n\nIt is over. ",
                "Hi Alex,\n\nIt is over. We fixed it at 2:00 p.m. ",
                "Hi Alex,\n\nIt is over. We fixed it at 2:00 p.m. Sorry e.g. ",
                "Hi Alex,\n\nIt is over. We fixed it at 2:00 p.m. Sorry e.g. x .y. ",
                "Hi Alex,\n\nIt is over. We fixed it at 2:00 p.m. Sorry e.g. x .y. 1.5 a.\n",
                raw,
            ]
        );
        spliced_as_whole(raw, &mut PieceCache::default()).expect("the same words");
    }

    fn ids(text: &str, purpose: Purpose, channel: Channel) -> Vec<&'static str> {
        lint(
            &Message::new(text, purpose, channel),
            &LintConfig::default(),
        )
        .into_iter()
        .map(|f| f.rule.id())
        .collect()
    }

    #[test]
    fn every_rule_has_a_unique_kebab_case_id_a_why_and_a_fix() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Rule::ALL {
            assert!(seen.insert(r.id()), "{} twice", r.id());
            assert!(r.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!r.why().is_empty() && !r.fix().is_empty());
            assert_eq!(Rule::from_id(r.id()), Some(*r));
        }
    }

    #[test]
    fn the_seeds_bad_acknowledgment_fails_for_the_reasons_the_seed_gives() {
        let got = ids(
            "We're investigating an issue.",
            Purpose::Acknowledgment,
            Channel::Email,
        );
        assert_eq!(
            got,
            [
                "incident-not-named",
                "impact-not-stated",
                "no-named-contact",
                "no-next-update"
            ]
        );
    }

    #[test]
    fn levels_can_be_changed_and_allow_silences_a_rule() {
        let mut config = LintConfig::default();
        config.set_level(Rule::NoNamedContact, Level::Allow);
        config.set_level(Rule::IncidentNotNamed, Level::Deny);
        let found = lint(
            &Message::new(
                "We're investigating an issue.",
                Purpose::Acknowledgment,
                Channel::Email,
            ),
            &config,
        );
        assert!(found.iter().all(|f| f.rule != Rule::NoNamedContact));
        assert_eq!(found[0].rule, Rule::IncidentNotNamed);
        assert_eq!(found[0].level, Level::Deny);
    }

    #[test]
    fn sms_segments_follow_gsm_and_ucs2_sizes() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&"ü".repeat(160)), 1);
        assert_eq!(sms_segments(&"中".repeat(70)), 1);
        assert_eq!(sms_segments(&"中".repeat(71)), 2);
    }

    #[test]
    fn syllables_and_reading_grade_follow_the_formula() {
        assert_eq!(syllables("cat"), 1);
        assert_eq!(syllables("migration"), 3);
        assert_eq!(syllables("available"), 4);
        assert_eq!(syllables("make"), 1);
        let simple = reading_grade("The site was down. We fixed it. It will not happen again.");
        assert!(simple < 3.0, "{simple}");
        let dense = reading_grade(
            "Infrastructure orchestration misconfiguration precipitated cascading unavailability \
             across interdependent microservice deployments, necessitating comprehensive \
             remediation of configuration management methodologies.",
        );
        assert!(dense > 20.0, "{dense}");
    }

    #[test]
    fn sms_segments_classify_every_character_as_the_gsm_tables_do() {
        // The tables as 3GPP TS 23.038 gives them: the basic set's non-ASCII characters, and
        // the extension table, whose characters take two septets.
        const GSM_EXTRA: &str = "£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà";
        const GSM_ESCAPED: &str = "^{}\\[~]|€";
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let basic = (c.is_ascii()
                && (c.is_ascii_graphic() || matches!(c, ' ' | '\n' | '\r'))
                && c != '`')
                || GSM_EXTRA.contains(c);
            let text = c.to_string().repeat(100);
            let expected = if GSM_ESCAPED.contains(c) {
                2 // 200 septets
            } else if basic {
                1
            } else {
                2 // 100 UCS-2 units
            };
            assert_eq!(sms_segments(&text), expected, "{c:?}");
        }
    }

    #[test]
    fn clock_times_are_found_in_every_usual_form() {
        for yes in [
            "at 10:30",
            "9:05 AM",
            "10am-2pm",
            "10 AM",
            "2pm.",
            "9 a.m. ET",
            "11 p.m.",
            "T14:00",
        ] {
            assert!(clock_in(yes.as_bytes()), "{yes}");
        }
        for no in [
            "10",
            "Update 2: done",
            "123:45",
            "in 10 amazing",
            "2 pages",
            "a.m.",
            "5 a month",
            "1:2",
        ] {
            assert!(!clock_in(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn numeric_dates_need_a_year_or_on() {
        for yes in [
            "on 10/15/2024 at",
            "15/10/24",
            "On 10/15 from",
            "(10/15/2024)",
        ] {
            assert!(slash_date(yes), "{yes}");
        }
        for no in [
            "24/7 support",
            "3/4 of your orders",
            "10/15/202",
            "13/13/2024",
            "v1/15/2024",
        ] {
            assert!(!slash_date(no), "{no}");
        }
    }

    #[test]
    fn a_sentence_ends_at_punctuation_before_a_space_not_inside_addresses_or_amounts() {
        let raw =
            "We fixed it at 11 a.m. today. Write to dana.whitfield@example.com about $1,806.45 now";
        assert_eq!(&raw[..sentence_end(raw, 0)], "We fixed it at 11 a.m. today");
        let text = Text::new(raw);
        let ends: Vec<&str> = (0..text.len())
            .filter(|&i| text.ends_sentence(i))
            .map(|i| text.word(i))
            .collect();
        assert_eq!(ends, ["m", "today", "now"]);
        let lines = Text::new("Dana Whitfield\nHead of Customer Success");
        assert!(lines.ends_sentence(1));
    }

    #[test]
    fn role_mailboxes_are_told_from_people() {
        for role in [
            "support",
            "billing-team",
            "no-reply",
            "acmesupport",
            "Incidents",
            "help+eu",
        ] {
            assert!(is_role_mailbox(role), "{role}");
        }
        for person in ["dana.whitfield", "dana", "d.whitfield", "priya_raman"] {
            assert!(!is_role_mailbox(person), "{person}");
        }
    }

    #[test]
    fn the_lexicon_holds_every_word_with_its_classes() {
        let lexicon = lexicon();
        for (class, word) in lexicon_entries() {
            assert!(
                word.len() <= LEXICON_MAX,
                "{word} is longer than the lexicon holds"
            );
            assert_eq!(word, word.to_ascii_lowercase(), "{word} must be lowercase");
            assert!(
                pack(word.as_bytes()).map_or(0, |p| lexicon.lookup(p).0) & class != 0,
                "{word} lost its class"
            );
        }
        assert_eq!(pack(b"dashboard").map(|p| lexicon.lookup(p)), Some((0, 0)));
        // Phrases are matched as packed words: every word of every phrase packs; and they
        // are looked for only at the words of the cue classes.
        for (class, phrases) in PHRASE_LISTS {
            assert_eq!(class & CUES, *class, "{phrases:?}");
            for w in phrases.iter().flat_map(|p| p.split(' ')) {
                assert!(pack(w.as_bytes()).is_some(), "{w}");
                assert_eq!(w, w.to_ascii_lowercase(), "{w} must be lowercase");
            }
        }
        // names_a_remedy filters words by these first letters.
        for stem in REMEDY_STEMS {
            assert!(
                matches!(stem.as_bytes()[0], b'c' | b'r' | b'd' | b'w' | b'e'),
                "{stem}"
            );
        }
    }

    #[test]
    fn eight_bytes_at_a_time_letters_and_digits_are_found_as_byte_by_byte() {
        for c in 0u8..=255 {
            for other in [b' ', b'a', 0xff] {
                let bytes = [c, other, c, c, other, c, other, c];
                let expected = bytes.iter().enumerate().fold(0u64, |m, (k, b)| {
                    m | (u64::from(b.is_ascii_alphanumeric()) << (8 * k + 7))
                });
                assert_eq!(ascii_alnum(u64::from_le_bytes(bytes)), expected, "{c}");
            }
        }
    }

    #[test]
    fn words_are_folded_and_packed_as_the_lexicon_packs_them() {
        for c in 0u8..128 {
            let lowered = ascii_lowercase(u64::from_le_bytes([c; 8]));
            assert_eq!(
                lowered,
                u64::from_le_bytes([c.to_ascii_lowercase(); 8]),
                "{c}"
            );
        }
        let raw = "We APOLOGIZE, Sorry! Thanks-Giving x AbCdEfGhIjKlMnOp";
        let text = Text::new(raw);
        for i in 0..text.len() {
            let w = text.word(i);
            assert_eq!(
                Some(text.words[i].packed),
                pack(w.to_ascii_lowercase().as_bytes()),
                "{w}"
            );
        }
        let typographic = Text::new("We\u{2019}ve restored it");
        assert!(typographic.is(0, "we've") && typographic.has(0, AGENT));
        assert!(typographic.starts(0, "we") && !typographic.is(0, "we"));
    }
}
