//! Accounts (CSV and JSON) and incidents (TOML and JSON): the happy paths of the demo inputs,
//! and every error path with its row, line, column and plain-words message. Loading accounts is
//! all or nothing.

use amends_core::account::{self, Account, CSV_COLUMNS, CSV_LOCALE_COLUMN};
use amends_core::diagnostic::{Diagnostic, Diagnostics};
use amends_core::domain::{Channel, FailureType};
use amends_core::incident::Incident;
use amends_core::playbook::Playbook;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

fn playbook() -> Playbook {
    Playbook::parse("playbook.toml", PLAYBOOK).unwrap_or_else(|e| panic!("{e}"))
}

fn demo_accounts(pb: &Playbook) -> Vec<Account> {
    account::parse_csv("accounts.csv", ACCOUNTS, pb).unwrap_or_else(|e| panic!("{e}"))
}

/// 1-based line and column (in characters) of `needle`, which must occur exactly once.
fn position(source: &str, needle: &str) -> (usize, usize) {
    assert_eq!(
        source.matches(needle).count(),
        1,
        "{needle:?} must occur exactly once in:\n{source}"
    );
    let start = source.find(needle).unwrap_or_default();
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    (
        source[..start].matches('\n').count() + 1,
        source[line_start..start].chars().count() + 1,
    )
}

fn place(d: &Diagnostic) -> (usize, usize) {
    (d.line, d.column)
}

fn describe(list: &[Diagnostic]) -> String {
    list.iter()
        .map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rejected<T: std::fmt::Debug>(result: Result<T, Diagnostics>) -> Vec<Diagnostic> {
    match result {
        Ok(v) => panic!("accepted: {v:?}"),
        Err(Diagnostics(list)) => {
            assert!(!list.is_empty());
            list
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts, CSV.

/// The demo CSV's header and first four rows (acct-0001 … acct-0004): row n is on line n + 1.
fn small_csv() -> String {
    let lines: Vec<&str> = ACCOUNTS.lines().take(5).collect();
    assert!(lines[4].starts_with("acct-0004,"));
    lines.join("\n") + "\n"
}

/// `small_csv` with `find` (exactly once) replaced.
fn csv_with(find: &str, replace: &str) -> String {
    let text = small_csv();
    assert_eq!(text.matches(find).count(), 1, "{find:?}");
    text.replacen(find, replace, 1)
}

fn csv_errors(text: &str) -> Vec<Diagnostic> {
    let pb = playbook();
    rejected(account::parse_csv("accounts.csv", text, &pb))
}

/// Exactly one problem, on `line` at column 1, with `message`.
fn assert_csv_row_error(text: &str, line: usize, message: &str) {
    let list = csv_errors(text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(list[0].file, "accounts.csv");
    assert_eq!(place(&list[0]), (line, 1), "{}", describe(&list));
    assert_eq!(list[0].message, message);
}

const SILVERWIND: &str = "acct-0003,Silverwind Analytics,enterprise,na-west,10750.00,USD,,Morgan Price,Kenji Costa,kenji.costa@silverwindanalytics.example,+15550000002,email,America/Los_Angeles,en-US";

#[test]
fn the_demo_accounts_are_180_companies() {
    let pb = playbook();
    let accounts = demo_accounts(&pb);
    assert_eq!(accounts.len(), 180);
    let tier = |t: &str| accounts.iter().filter(|a| a.tier.as_str() == t).count();
    assert_eq!(
        (tier("enterprise"), tier("growth"), tier("starter")),
        (30, 150, 0)
    );
    let tier_index: Vec<Option<usize>> = accounts
        .iter()
        .map(|a| pb.tier_index(a.tier.as_str()))
        .collect();
    assert!(tier_index.iter().all(Option::is_some));

    let first = &accounts[0];
    assert_eq!(first.id.as_str(), "acct-0001");
    assert_eq!(first.name, "Northwind Analytics");
    assert_eq!(first.monthly_fee.to_string(), "8000.00 USD");
    assert_eq!(
        first.sla.as_ref().map(|k| k.as_str()),
        Some("enterprise_9999")
    );
    assert_eq!(first.segment.as_deref(), Some("na-east"));
    assert_eq!(first.owner.as_deref(), Some("Riley Chen"));
    assert_eq!(first.contacts.len(), 1);
    let c = &first.contacts[0];
    assert_eq!(c.name, "Alex Nguyen");
    assert_eq!(c.preferred_channel, Channel::Email);
    assert_eq!(c.zone.name(), "America/New_York");
    // An empty `sla` cell is no contract SLA.
    assert_eq!(accounts[2].sla, None);
}

#[test]
fn the_header_must_be_exactly_the_documented_columns() {
    let expected = format!(
        "the header must be exactly: {} (optionally followed by ,{CSV_LOCALE_COLUMN})",
        CSV_COLUMNS.join(",")
    );
    for (find, replace) in [
        ("monthly_fee,", "monthly_fees,"),
        (",locale\n", ",locale,notes\n"),
        (",locale\n", ",notes\n"),
        ("id,name,", "name,id,"),
        (",time_zone,locale\n", "\n"),
    ] {
        let text = csv_with(find, replace);
        let list = csv_errors(&text);
        assert_eq!(list.len(), 1, "{}", describe(&list));
        assert_eq!(place(&list[0]), (1, 1));
        assert_eq!(list[0].message, expected);
        assert_eq!(list[0].source_line, text.lines().next().unwrap_or_default());
    }
    let list = csv_errors("");
    assert_eq!(place(&list[0]), (1, 1));
    assert_eq!(list[0].message, expected);
}

#[test]
fn an_unknown_currency_names_the_row_and_its_line() {
    assert_csv_row_error(
        &csv_with("10750.00,USD", "10750.00,USX"),
        4,
        "row 3: currency: unknown currency code \"USX\" (use an ISO 4217 code such as USD, EUR, GBP or JPY)",
    );
}

#[test]
fn a_fee_with_a_decimal_comma() {
    assert_csv_row_error(
        &csv_with("10750.00,USD", "\"12,50\",USD"),
        4,
        "row 3: monthly_fee: \"12,50\" is not a decimal amount (write it like 1250.00)",
    );
}

#[test]
fn a_fee_more_precise_than_its_currency() {
    assert_csv_row_error(
        &csv_with("10750.00,USD", "12.345,USD"),
        4,
        "row 3: monthly_fee: amount 12.345 has more decimals than USD allows (2)",
    );
    assert_csv_row_error(
        &csv_with("10750.00,USD", "98000.5,JPY"),
        4,
        "row 3: monthly_fee: amount 98000.5 has more decimals than JPY allows (0)",
    );
}

#[test]
fn an_unknown_tier() {
    assert_csv_row_error(
        &csv_with(
            "acct-0003,Silverwind Analytics,enterprise",
            "acct-0003,Silverwind Analytics,platinum",
        ),
        4,
        "row 3: tier: \"platinum\" is not one of the playbook's tiers (enterprise, growth, starter)",
    );
}

#[test]
fn an_unknown_sla_schedule() {
    assert_csv_row_error(
        &csv_with("USD,enterprise_999,", "USD,gold,"),
        3,
        "row 2: sla: the playbook has no SLA schedule \"gold\" (it has: enterprise_999, enterprise_9999)",
    );
}

#[test]
fn a_bad_time_zone() {
    assert_csv_row_error(
        &csv_with("email,America/Los_Angeles", "email,America/Los_Angles"),
        4,
        "row 3: time_zone: \"America/Los_Angles\" is not a known time zone; use an IANA name such as \"America/New_York\" or \"Europe/Berlin\"",
    );
}

#[test]
fn email_preferred_without_an_email() {
    assert_csv_row_error(
        &csv_with("kenji.costa@silverwindanalytics.example", ""),
        4,
        "row 3: preferred_channel is email but the contact has no email",
    );
}

#[test]
fn a_duplicate_id_names_the_id_in_plain_words() {
    let list = csv_errors(&csv_with("acct-0003", "acct-0001"));
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), (4, 1));
    let m = &list[0].message;
    assert!(
        m.starts_with("row 3: account \"acct-0001\" appears twice"),
        "{m}"
    );
    assert!(m.contains("ids must be unique"), "{m}");
    assert!(
        !m.contains("AccountId"),
        "a Rust type name in a user message: {m}"
    );
}

#[test]
fn a_row_with_too_many_fields() {
    assert_csv_row_error(
        &csv_with("America/Los_Angeles", "America/Los_Angeles,extra"),
        4,
        "row 3: has 15 fields but the header has 14; quote values that contain commas",
    );
}

#[test]
fn several_bad_rows_are_all_reported_and_nothing_is_returned() {
    let text = small_csv()
        .replacen("9375.00,USD", "9375.00,USX", 1)
        .replacen(
            "acct-0004,Brightwind Analytics,enterprise",
            "acct-0004,Brightwind Analytics,platinum",
            1,
        );
    let list = csv_errors(&text);
    assert_eq!(list.len(), 2, "{}", describe(&list));
    assert_eq!(place(&list[0]), (3, 1));
    assert!(list[0].message.starts_with("row 2: currency: "));
    assert_eq!(place(&list[1]), (5, 1));
    assert!(list[1].message.starts_with("row 4: tier: "));
}

/// A row with the wrong number of fields does not hide the bad rows after it.
#[test]
fn a_row_with_too_many_fields_does_not_hide_later_bad_rows() {
    let text = small_csv()
        .replacen("America/Los_Angeles", "America/Los_Angeles,extra", 1)
        .replacen("12125.00,USD", "12125.00,USX", 1);
    let list = csv_errors(&text);
    assert_eq!(
        list.iter().map(place).collect::<Vec<_>>(),
        vec![(4, 1), (5, 1)],
        "{}",
        describe(&list)
    );
    assert!(list[1].message.starts_with("row 4: currency: "));
}

#[test]
fn a_quoted_field_spanning_lines_moves_the_line_but_not_the_row() {
    let text = csv_with(
        "acct-0002,Bluewind Analytics,",
        "acct-0002,\"Bluewind\nAnalytics\",",
    )
    .replacen("10750.00,USD", "10750.00,USX", 1);
    let list = csv_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), (5, 1));
    assert!(list[0].message.starts_with("row 3: currency: "));
    assert_eq!(list[0].source_line, SILVERWIND.replace(",USD,", ",USX,"));
}

/// Blank lines are skipped by the reader; the reported line must still be the bad row's.
#[test]
fn a_blank_line_before_a_bad_row_does_not_shift_its_line() {
    let text = csv_with(
        SILVERWIND,
        &format!("\n{}", SILVERWIND.replace(",USD,", ",USX,")),
    );
    let list = csv_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), (5, 1), "{}", describe(&list));
    assert!(list[0].message.starts_with("row 3: currency: "));
    assert_eq!(list[0].source_line, SILVERWIND.replace(",USD,", ",USX,"));
}

/// Files saved by spreadsheets end lines with CRLF; the bad row is still on its own line.
#[test]
fn crlf_line_endings_do_not_shift_the_line() {
    let text = csv_with("10750.00,USD", "10750.00,USX").replace('\n', "\r\n");
    let list = csv_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), (4, 1), "{}", describe(&list));
    assert!(list[0].message.starts_with("row 3: currency: "));
    // The CRLF version of the demo file itself loads.
    let pb = playbook();
    let all = account::parse_csv("accounts.csv", &ACCOUNTS.replace('\n', "\r\n"), &pb)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 180);
}

// ---------------------------------------------------------------------------------------------
// Accounts, JSON.

const JSON_ACCOUNTS: &str = r#"[
  {
    "id": "a1", "name": "Acme {\"EU\"} [north]", "tier": "enterprise", "monthly_fee": "100.00", "currency": "USD",
    "contacts": [{ "name": "X", "email": "x@a.example", "preferred_channel": "email", "time_zone": "Europe/Berlin" }]
  },
  {
    "id": "a2", "name": "B", "tier": "growth", "monthly_fee": "100.00", "currency": "EUR",
    "contacts": [{ "name": "X", "email": "x@b.example", "preferred_channel": "email", "time_zone": "Europe/Berlin" }]
  },
  {
    "id": "a3", "name": "C", "tier": "growth", "monthly_fee": "100.00", "currency": "EUR",
    "contacts": [{ "name": "X", "email": "x@c.example", "preferred_channel": "chat", "time_zone": "Europe/Paris" }]
  },
  {
    "id": "a4", "name": "D", "tier": "starter", "monthly_fee": "2500.50", "currency": "GBP", "sla": "enterprise_999",
    "segment": "uk", "owner": "Sam",
    "contacts": [
      { "name": "Primary", "email": "p@d.example", "preferred_channel": "email", "time_zone": "Europe/London" },
      { "name": "On call", "phone": "+447700900000", "preferred_channel": "sms", "time_zone": "Asia/Tokyo" }
    ]
  }
]
"#;

fn json_with(find: &str, replace: &str) -> String {
    assert_eq!(JSON_ACCOUNTS.matches(find).count(), 1, "{find:?}");
    JSON_ACCOUNTS.replacen(find, replace, 1)
}

fn json_errors(text: &str) -> Vec<Diagnostic> {
    let pb = playbook();
    rejected(account::parse_json("accounts.json", text, &pb))
}

#[test]
fn json_accounts_with_two_contacts() {
    let pb = playbook();
    let accounts =
        account::parse_json("accounts.json", JSON_ACCOUNTS, &pb).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accounts.len(), 4);
    assert_eq!(accounts[0].name, "Acme {\"EU\"} [north]");
    let d = &accounts[3];
    assert_eq!(d.id.as_str(), "a4");
    assert_eq!(d.monthly_fee.to_string(), "2500.50 GBP");
    assert_eq!(d.sla.as_ref().map(|k| k.as_str()), Some("enterprise_999"));
    assert_eq!(d.segment.as_deref(), Some("uk"));
    assert_eq!(d.contacts.len(), 2);
    let (primary, on_call) = (&d.contacts[0], &d.contacts[1]);
    assert_eq!(primary.email.as_deref(), Some("p@d.example"));
    assert_eq!(primary.zone.name(), "Europe/London");
    assert_eq!(on_call.name, "On call");
    assert_eq!(on_call.email, None);
    assert_eq!(on_call.phone.as_deref(), Some("+447700900000"));
    assert_eq!(on_call.preferred_channel, Channel::Sms);
    assert_eq!(on_call.zone.name(), "Asia/Tokyo");
}

#[test]
fn a_json_syntax_error_has_its_line_and_column() {
    let text = json_with("\"name\": \"B\",", "\"name\": \"B\"");
    let list = json_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    // The parser stops at the token where a comma was due.
    let (line, column) = position(&text, "\"B\" \"tier\"");
    assert_eq!(place(&list[0]), (line, column + "\"B\" ".len()));
    assert_eq!(list[0].message, "expected `,` or `}`");
    assert_eq!(list[0].file, "accounts.json");
}

#[test]
fn an_unknown_json_field() {
    let text = json_with("\"name\": \"B\",", "\"name\": \"B\", \"nmae\": \"B\",");
    let list = json_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    let (line, column) = position(&text, "\"nmae\"");
    // serde_json reports the place where it finished reading the key: within it.
    assert_eq!(list[0].line, line);
    assert!(
        (column..column + "\"nmae\"".len()).contains(&list[0].column),
        "{}",
        describe(&list)
    );
    assert!(
        list[0]
            .message
            .starts_with("unknown field `nmae`, expected one of `id`, `name`"),
        "{}",
        list[0].message
    );
}

#[test]
fn a_bad_json_account_is_reported_at_its_opening_brace() {
    let text = json_with("\"tier\": \"starter\"", "\"tier\": \"platinum\"");
    let list = json_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    // The account at index 3 (the fourth) opens on line 14, column 3.
    assert_eq!(place(&list[0]), (14, 3));
    assert_eq!(list[0].source_line, "  {");
    assert_eq!(
        list[0].message,
        "account #4 (id \"a4\"): tier: \"platinum\" is not one of the playbook's tiers (enterprise, growth, starter)"
    );
}

#[test]
fn every_bad_json_account_is_reported_and_nothing_is_returned() {
    let text = json_with("\"currency\": \"USD\"", "\"currency\": \"USX\"").replacen(
        "\"preferred_channel\": \"sms\"",
        "\"preferred_channel\": \"fax\"",
        1,
    );
    let list = json_errors(&text);
    assert_eq!(
        list.iter().map(place).collect::<Vec<_>>(),
        vec![(2, 3), (14, 3)],
        "{}",
        describe(&list)
    );
    assert!(
        list[0]
            .message
            .starts_with("account #1 (id \"a1\"): currency: ")
    );
    assert!(
        list[1]
            .message
            .starts_with("account #4 (id \"a4\"): preferred_channel: ")
    );
}

#[test]
fn json_accounts_need_a_contact_and_an_array() {
    let text = json_with(
        "\"contacts\": [{ \"name\": \"X\", \"email\": \"x@c.example\", \"preferred_channel\": \"chat\", \"time_zone\": \"Europe/Paris\" }]",
        "\"contacts\": []",
    );
    let list = json_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), (10, 3));
    assert_eq!(
        list[0].message,
        "account #3 (id \"a3\"): an account needs at least one contact to be told anything"
    );

    let list = json_errors("{}");
    assert_eq!(place(&list[0]), (1, 1));
    assert_eq!(list[0].message, "invalid type: map, expected a sequence");
}

// ---------------------------------------------------------------------------------------------
// Incidents.

fn incident_with(find: &str, replace: &str) -> String {
    assert_eq!(INCIDENT.matches(find).count(), 1, "{find:?}");
    INCIDENT.replacen(find, replace, 1)
}

fn incident_errors(text: &str) -> Vec<Diagnostic> {
    let pb = playbook();
    let accounts = demo_accounts(&pb);
    rejected(Incident::parse_toml("incident.toml", text, &pb, &accounts))
}

/// Exactly one problem, at the start of `at`, with `message`.
fn assert_incident_error(text: &str, at: &str, message: &str) {
    let list = incident_errors(text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(list[0].file, "incident.toml");
    assert_eq!(place(&list[0]), position(text, at), "{}", describe(&list));
    assert_eq!(list[0].message, message);
}

#[test]
fn the_demo_incident() {
    let pb = playbook();
    let accounts = demo_accounts(&pb);
    let incident = Incident::parse_toml("incident.toml", INCIDENT, &pb, &accounts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(incident.id, "INC-2024-1015");
    assert_eq!(incident.failure_type, FailureType::Outage);
    assert!(incident.core_feature && !incident.workaround);
    assert_eq!(incident.anchors.start.to_string(), "2024-10-15T14:00:00Z");
    let resolved = incident.anchors.resolution.expect("resolved");
    assert_eq!(incident.duration(resolved).get(), 240);
    assert_eq!(
        accounts
            .iter()
            .filter(|a| incident.scope.contains(a))
            .count(),
        180
    );
    assert_eq!(incident.severity_override, None);
}

#[test]
fn an_unknown_incident_field() {
    let text = incident_with(
        "workaround = false\n",
        "workaround = false\nseverity = \"S1\"\n",
    );
    let list = incident_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&text, "severity = \"S1\""));
    assert!(
        list[0]
            .message
            .starts_with("unknown field `severity`, expected one of `id`, `title`, `type`"),
        "{}",
        list[0].message
    );
}

#[test]
fn a_toml_syntax_error_in_an_incident() {
    let text = incident_with("type = \"outage\"", "type = outage");
    let list = incident_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&text, "outage\n"));
    assert!(list[0].message.contains("string values must be quoted"));
}

#[test]
fn an_unknown_failure_type() {
    let text = incident_with("type = \"outage\"", "type = \"meltdown\"");
    assert_incident_error(
        &text,
        "type = \"meltdown\"",
        "\"meltdown\" is not a failure type; expected one of: outage, degradation, data_loss, billing_error, delivery_failure, quality_failure, security",
    );
}

#[test]
fn a_timestamp_without_an_offset() {
    let text = incident_with(
        "started_at = \"2024-10-15T10:00:00[America/New_York]\"",
        "started_at = \"2024-10-15T10:00:00\"",
    );
    assert_incident_error(
        &text,
        "started_at",
        "started_at: \"2024-10-15T10:00:00\" is not a date-time with its offset or zone; write e.g. \"2024-10-15T10:00:00-04:00\" or \"2024-10-15T10:00:00[America/New_York]\"",
    );
}

#[test]
fn detected_before_it_started() {
    let text = incident_with(
        "detected_at = \"2024-10-15T10:00:00[America/New_York]\"",
        "detected_at = \"2024-10-15T09:59:00[America/New_York]\"",
    );
    assert_incident_error(
        &text,
        "detected_at",
        "detected_at (2024-10-15T13:59:00Z) is before started_at (2024-10-15T14:00:00Z)",
    );
}

#[test]
fn resolved_before_it_was_detected() {
    let text = incident_with(
        "resolved_at = \"2024-10-15T14:00:00[America/New_York]\"",
        "resolved_at = \"2024-10-15T09:00:00-04:00\"",
    );
    assert_incident_error(
        &text,
        "resolved_at",
        "resolved_at (2024-10-15T13:00:00Z) is before detected_at (2024-10-15T14:00:00Z)",
    );
}

const SCOPE: &str = "tiers = [\"enterprise\", \"growth\"]";

#[test]
fn an_unknown_affected_tier() {
    let text = incident_with(SCOPE, "tiers = [\"enterprise\", \"gold\"]");
    assert_incident_error(
        &text,
        "tiers =",
        "affected tier \"gold\" is not one of the playbook's tiers (enterprise, growth, starter)",
    );
}

#[test]
fn an_unknown_explicit_account() {
    let text = incident_with(SCOPE, "accounts = [\"acct-0001\", \"acct-9999\"]");
    let list = incident_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&text, "accounts ="));
    assert_eq!(
        list[0].message,
        "affected account \"acct-9999\" is not in the accounts file"
    );
}

#[test]
fn explicit_accounts_alone_are_a_scope() {
    let pb = playbook();
    let accounts = demo_accounts(&pb);
    let text = incident_with(SCOPE, "accounts = [\"acct-0001\", \"acct-0002\"]");
    let incident = Incident::parse_toml("incident.toml", &text, &pb, &accounts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        accounts
            .iter()
            .filter(|a| incident.scope.contains(a))
            .count(),
        2
    );
}

/// An empty `[affected]` table is reported where the table is, not on line 1.
#[test]
fn an_empty_scope() {
    let text = incident_with(SCOPE, "");
    let list = incident_errors(&text);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(
        list[0].message,
        "say who is affected: all = true, tiers, segments or accounts"
    );
    let (line, column) = position(&text, "[affected]");
    assert_eq!(list[0].line, line, "{}", describe(&list));
    // The header itself or the word in it.
    assert!(
        [column, column + 1].contains(&list[0].column),
        "{}",
        describe(&list)
    );
}

#[test]
fn a_severity_override_needs_a_known_severity_and_a_reason() {
    let text = format!("{INCIDENT}\n[severity_override]\nseverity = \"S9\"\nreason = \" \"\n");
    let list = incident_errors(&text);
    assert_eq!(list.len(), 2, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&text, "severity = \"S9\""));
    assert_eq!(
        list[0].message,
        "severity_override names unknown severity \"S9\""
    );
    assert_eq!(place(&list[1]), position(&text, "reason = \" \""));
    assert_eq!(
        list[1].message,
        "a severity override needs a reason; it goes into the audit trail"
    );

    let pb = playbook();
    let accounts = demo_accounts(&pb);
    let text = format!(
        "{INCIDENT}\n[severity_override]\nseverity = \"S2\"\nreason = \"  Customers had a workaround  \"\n"
    );
    let incident = Incident::parse_toml("incident.toml", &text, &pb, &accounts)
        .unwrap_or_else(|e| panic!("{e}"));
    let o = incident.severity_override.expect("override");
    assert_eq!(
        (o.severity.as_str(), o.reason.as_str()),
        ("S2", "Customers had a workaround")
    );
}

const JSON_INCIDENT: &str = r#"{
  "id": "INC-1",
  "title": "Checkout down",
  "type": "outage",
  "core_feature": true,
  "workaround": false,
  "started_at": "2024-10-15T14:00:00Z",
  "detected_at": "2024-10-15T14:05:00Z",
  "affected": { "all": true }
}"#;

fn json_incident(text: &str) -> Result<Incident, Diagnostics> {
    let pb = playbook();
    let accounts = demo_accounts(&pb);
    Incident::parse_json("incident.json", text, &pb, &accounts)
}

#[test]
fn a_json_incident_and_its_errors() {
    let open = json_incident(JSON_INCIDENT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open.anchors.resolution, None);
    assert!(open.scope.all);

    let text = JSON_INCIDENT.replacen("\"title\"", "\"titel\"", 1);
    let list = rejected(json_incident(&text));
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(list[0].line, position(&text, "\"titel\"").0);
    assert!(list[0].message.starts_with("unknown field `titel`"));

    let text = JSON_INCIDENT.replacen(
        "\"affected\": { \"all\": true }",
        "\"affected\": {},\n  \"severity_override\": { \"severity\": \"S9\", \"reason\": \"\" }",
        1,
    );
    let list = rejected(json_incident(&text));
    assert_eq!(
        list.iter()
            .map(|d| (place(d), d.message.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (
                position(&text, "affected\""),
                "say who is affected: all = true, tiers, segments or accounts"
            ),
            (
                position(&text, "severity\": \"S9\""),
                "severity_override names unknown severity \"S9\""
            ),
            (
                position(&text, "reason\""),
                "a severity override needs a reason; it goes into the audit trail"
            ),
        ],
        "{}",
        describe(&list)
    );

    let text = JSON_INCIDENT.replacen("\"type\": \"outage\",", "\"type\": \"outage\"", 1);
    let list = rejected(json_incident(&text));
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&text, "\"core_feature\""));
    assert_eq!(list[0].message, "expected `,` or `}`");
}

/// Regression (review of #2): a scope that matches no account is refused, not planned for
/// nobody, and a segment no account has is named with the segments that exist.
#[test]
fn a_scope_that_matches_nobody_is_refused() {
    let text = incident_with(SCOPE, "segments = [\"na-eats\"]");
    let list = incident_errors(&text);
    let messages: Vec<&str> = list.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.starts_with(
            "affected segment \"na-eats\" is not the segment of any account (segments: apac, emea, na-central, na-east, na-west)"
        )),
        "{}",
        describe(&list)
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("no account matches this scope (of 180 accounts)")),
        "{}",
        describe(&list)
    );
}

#[test]
fn the_locale_column_is_optional_and_checked() {
    // Without the column every contact reads en-US.
    let without: String = small_csv()
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string() + "\n")
        .collect();
    let accounts = account::parse_csv("accounts.csv", &without, &playbook()).expect("parses");
    assert!(
        accounts
            .iter()
            .all(|a| a.contacts[0].locale == amends_core::locale::Locale::EnUs)
    );
    assert_csv_row_error(
        &csv_with("America/Los_Angeles,en-US", "America/Los_Angeles,xx-YY"),
        4,
        "row 3: locale: unknown locale \"xx-YY\"; supported: en-US, en-GB, en-CA, en-AU, en-IE, de-DE, fr-FR, es-ES, nl-NL",
    );
}
