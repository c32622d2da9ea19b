//! Every way a playbook can be wrong, each derived from the demo playbook by changing one thing,
//! and each reported with its file, line, column and a plain-words message.

use amends_core::diagnostic::{Diagnostic, Diagnostics};
use amends_core::playbook::Playbook;

const DEMO: &str = include_str!("../../../demo/playbook.toml");
const FILE: &str = "playbook.toml";

/// The demo playbook with `find`, which must occur exactly once, replaced by `replace`.
fn broken(find: &str, replace: &str) -> String {
    assert_eq!(
        DEMO.matches(find).count(),
        1,
        "{find:?} must occur exactly once in the demo playbook"
    );
    DEMO.replacen(find, replace, 1)
}

/// The diagnostics for `source`, which must be rejected.
fn errors(source: &str) -> Vec<Diagnostic> {
    match Playbook::parse(FILE, source) {
        Ok(_) => panic!("the playbook was accepted"),
        Err(Diagnostics(list)) => {
            assert!(!list.is_empty(), "an error with no diagnostics");
            list
        }
    }
}

/// 1-based line and column (in characters) of `needle`, which must occur exactly once.
fn position(source: &str, needle: &str) -> (usize, usize) {
    assert_eq!(
        source.matches(needle).count(),
        1,
        "{needle:?} must occur exactly once in the source"
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

/// `source` is rejected with exactly one diagnostic, at the start of `at`, saying `message`.
fn assert_one(source: &str, at: &str, message: &str) {
    let list = errors(source);
    assert_eq!(
        list.len(),
        1,
        "expected one problem, got:\n{}",
        describe(&list)
    );
    let d = &list[0];
    assert_eq!(d.file, FILE);
    assert_eq!(place(d), position(source, at), "{}", describe(&list));
    assert_eq!(d.message, message);
}

/// The one diagnostic at the start of `at` (others may exist).
fn diagnostic_at<'a>(list: &'a [Diagnostic], source: &str, at: &str) -> &'a Diagnostic {
    let want = position(source, at);
    let here: Vec<&Diagnostic> = list.iter().filter(|d| place(d) == want).collect();
    assert_eq!(
        here.len(),
        1,
        "expected one problem at {want:?}, got:\n{}",
        describe(list)
    );
    here[0]
}

const PEOPLE: &str =
    "ceo, eng_lead, on_call, support_director, support_manager, vp_engineering, vp_support";

#[test]
fn the_demo_playbook_itself_is_valid() {
    let pb = Playbook::parse(FILE, DEMO).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pb.remediation.rules.len(), 12);
}

// ---------------------------------------------------------------------------------------------
// The remediation matrix.

const STARTER_S3_RULE: &str = "[[remediation.rule]]\ntier = \"starter\"\nseverity = \"S3\"\nremedies = [{ kind = \"none\" }]\napprover = \"support_manager\"\n";
const STARTER_S3_NO_APPROVER: &str = "[[remediation.rule]]\ntier = \"starter\"\nseverity = \"S3\"\nremedies = [{ kind = \"none\" }]\n";

#[test]
fn a_rule_without_an_approver_is_reported_at_its_header() {
    let source = broken(STARTER_S3_RULE, STARTER_S3_NO_APPROVER);
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, STARTER_S3_NO_APPROVER);
    assert_eq!(d.column, 1);
    assert_eq!(d.source_line, "[[remediation.rule]]");
    assert!(
        d.message
            .contains("every remediation decision needs a named approver"),
        "{}",
        d.message
    );
    assert!(d.message.contains("approver = \"<person>\""));
}

#[test]
fn an_approver_must_be_a_named_person() {
    let rule = "remedies = [{ kind = \"service_credit\", days = 1 }]\napprover = \"vp_support\"";
    let source = broken(
        rule,
        "remedies = [{ kind = \"service_credit\", days = 1 }]\napprover = \"vp_suport\"",
    );
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "\"vp_suport\"");
    assert_eq!(
        d.message,
        format!("no person \"vp_suport\" in [people]; named people are: {PEOPLE}")
    );
    assert_eq!(d.width, "\"vp_suport\"".len());
}

/// A rule that fails to build for one reason (no approver, unknown approver, unknown tier)
/// still exists: reporting its cell as a gap in the matrix as well is a false second error.
#[test]
fn a_broken_rule_is_not_also_reported_as_a_gap_in_the_matrix() {
    // No approver.
    let source = broken(STARTER_S3_RULE, STARTER_S3_NO_APPROVER);
    let list = errors(&source);
    assert_eq!(
        list.len(),
        1,
        "one mistake, one problem:\n{}",
        describe(&list)
    );

    // Unknown approver on one band of a split cell.
    let source = broken(
        "duration_over = \"2h\"\nremedies = [{ kind = \"service_credit\", days = 7 }, { kind = \"apology\", from_role = \"VP Support\" }]\nautomatic = true\napprover = \"vp_support\"",
        "duration_over = \"2h\"\nremedies = [{ kind = \"service_credit\", days = 7 }, { kind = \"apology\", from_role = \"VP Support\" }]\nautomatic = true\napprover = \"vp_suport\"",
    );
    let list = errors(&source);
    assert_eq!(
        list.len(),
        1,
        "one mistake, one problem:\n{}",
        describe(&list)
    );
    assert!(list[0].message.starts_with("no person \"vp_suport\""));
}

#[test]
fn a_rule_with_a_bad_duration_is_not_also_reported_as_an_overlap() {
    let source = broken(
        "duration_over = \"2h\"\nremedies = [{ kind = \"service_credit\", days = 7 }",
        "duration_over = \"two hours\"\nremedies = [{ kind = \"service_credit\", days = 7 }",
    );
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "\"two hours\"");
    assert!(d.message.starts_with("\"two hours\" is not a duration"));
    assert_eq!(
        list.len(),
        1,
        "one mistake, one problem:\n{}",
        describe(&list)
    );
}

#[test]
fn a_cell_with_no_rule_is_a_gap_reported_at_the_remediation_section() {
    let source = broken(
        "[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S2\"\nremedies = [{ kind = \"acknowledgment\" }]\napprover = \"support_director\"\n\n",
        "",
    );
    assert_one(
        &source,
        "[remediation]\n",
        "the remediation matrix has no rule for tier growth at S2: every tier × severity needs a decision (use remedies = [{ kind = \"none\" }] for none)",
    );
}

#[test]
fn duration_bands_that_leave_a_gap_are_reported_at_the_cell_rule() {
    let source = broken(
        "[[remediation.rule]]\ntier = \"enterprise\"\nseverity = \"S1\"\nduration_at_most = \"2h\"\nremedies = [{ kind = \"service_credit\", days = 3 }]\nautomatic = true\napprover = \"vp_support\"\n\n",
        "",
    );
    assert_one(
        &source,
        "[[remediation.rule]]\ntier = \"enterprise\"\nseverity = \"S1\"",
        "no remediation rule for tier enterprise at S1 when the incident lasts 0m: the duration bands leave a gap",
    );
}

#[test]
fn two_rules_for_the_same_cell_overlap_and_the_second_is_reported() {
    let rule = "[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S2\"\nremedies = [{ kind = \"acknowledgment\" }]\napprover = \"support_director\"\n";
    let duplicate = "[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S2\"\nremedies = [{ kind = \"acknowledgment\" }]\napprover = \"vp_support\"\n";
    let source = broken(rule, &format!("{rule}\n{duplicate}"));
    assert_one(
        &source,
        duplicate,
        "two remediation rules for tier growth at S2 apply when the incident lasts 0m: make the duration bands not overlap (duration_over / duration_at_most)",
    );
}

#[test]
fn an_apology_from_a_role_nobody_holds() {
    let source = broken(
        "from_role = \"VP Support\"",
        "from_role = \"Chief Apology Officer\"",
    );
    assert_one(
        &source,
        "\"Chief Apology Officer\"",
        "a named apology needs a person: nobody in [people] has the role \"Chief Apology Officer\"",
    );
}

#[test]
fn an_apology_from_a_role_two_people_hold() {
    let source = broken("role = \"Support Director\"", "role = \"VP Support\"");
    assert_one(
        &source,
        "\"VP Support\" }]",
        "the role \"VP Support\" is held by Marcus Lee and Dana Whitfield: a named apology needs exactly one person",
    );
}

#[test]
fn an_unknown_remedy_kind() {
    let source = broken(
        "remedies = [{ kind = \"acknowledgment\" }]\napprover = \"support_director\"\n\n[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S1\"",
        "remedies = [{ kind = \"acknowledgement\" }]\napprover = \"support_director\"\n\n[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S1\"",
    );
    assert_one(
        &source,
        "\"acknowledgement\"",
        "unknown remedy kind \"acknowledgement\"; use service_credit, percent_of_fee, fixed_credit, sla_credit, acknowledgment, apology, status_page_only or none",
    );
}

#[test]
fn a_remedy_with_a_field_of_another_kind() {
    let source = broken(
        "{ kind = \"service_credit\", days = 3 }]\nautomatic = true\napprover = \"vp_support\"",
        "{ kind = \"service_credit\", days = 3, percent = 5 }]\nautomatic = true\napprover = \"vp_support\"",
    );
    assert_one(
        &source,
        "{ kind = \"service_credit\", days = 3, percent = 5 }",
        "a service_credit remedy takes no `percent`",
    );
}

#[test]
fn a_remedy_missing_its_amount() {
    let source = broken(
        "{ kind = \"service_credit\", days = 3 }]\nautomatic = true\napprover = \"vp_support\"",
        "{ kind = \"service_credit\" }]\nautomatic = true\napprover = \"vp_support\"",
    );
    assert_one(
        &source,
        "{ kind = \"service_credit\" }",
        "a service_credit remedy needs `days`, e.g. { kind = \"service_credit\", days = 7 }",
    );
}

#[test]
fn an_apology_without_a_role_reads_as_english() {
    let source = broken(
        "{ kind = \"apology\", from_role = \"VP Support\" }",
        "{ kind = \"apology\" }",
    );
    assert_one(
        &source,
        "{ kind = \"apology\" }",
        "an apology remedy needs `from_role`, e.g. { kind = \"apology\", from_role = \"VP Support\" }",
    );
}

#[test]
fn more_credit_days_than_a_month_has() {
    let source = broken(
        "{ kind = \"service_credit\", days = 3 }]\nautomatic = true\napprover = \"vp_support\"",
        "{ kind = \"service_credit\", days = 45 }]\nautomatic = true\napprover = \"vp_support\"",
    );
    assert_one(&source, "45 }", "days must be between 0 and 31, not 45");
}

#[test]
fn an_sla_credit_from_an_unknown_schedule() {
    let source = broken(
        "remedies = [{ kind = \"acknowledgment\" }]\napprover = \"support_director\"\n\n[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S1\"",
        "remedies = [{ kind = \"sla_credit\", schedule = \"gold\" }]\napprover = \"support_director\"\n\n[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S1\"",
    );
    assert_one(
        &source,
        "\"gold\"",
        "no SLA schedule \"gold\" in [sla_schedules] (or use schedule = \"contract\" for each account's own)",
    );
}

#[test]
fn fixed_credits_need_an_amount_and_a_valid_one() {
    let rule = "remedies = [{ kind = \"acknowledgment\" }]\napprover = \"support_director\"\n\n[[remediation.rule]]\ntier = \"growth\"\nseverity = \"S1\"";
    let source = broken(
        rule,
        &rule.replace(
            "{ kind = \"acknowledgment\" }",
            "{ kind = \"fixed_credit\", amounts = {} }",
        ),
    );
    assert_one(
        &source,
        "{} }",
        "give at least one amount, e.g. { USD = \"50.00\" }",
    );
    let source = broken(
        rule,
        &rule.replace(
            "{ kind = \"acknowledgment\" }",
            "{ kind = \"fixed_credit\", amounts = { USD = \"12,50\" } }",
        ),
    );
    assert_one(
        &source,
        "\"12,50\"",
        "\"12,50\" is not a decimal amount (write it like 1250.00)",
    );
}

#[test]
fn a_rule_with_no_remedies() {
    let source = broken("remedies = [{ kind = \"none\" }]", "remedies = []");
    assert_one(
        &source,
        "[]",
        "say what the account receives; use [{ kind = \"none\" }] for nothing",
    );
}

#[test]
fn bad_remediation_settings() {
    let source = broken(
        "credit_day_basis = \"days_in_month\"",
        "credit_day_basis = \"calendar\"",
    );
    assert_one(
        &source,
        "\"calendar\"",
        "credit_day_basis is \"days_in_month\" or a whole number of days from 1 to 31",
    );
    let source = broken(
        "credit_day_basis = \"days_in_month\"",
        "credit_day_basis = 0 # zero days",
    );
    assert_one(
        &source,
        "0 # zero days",
        "credit_day_basis is \"days_in_month\" or a whole number of days from 1 to 31",
    );
    let source = broken("contract_sla = \"greater_of\"", "contract_sla = \"max\"");
    assert_one(
        &source,
        "\"max\"",
        "contract_sla is \"greater_of\", \"in_addition\" or \"ignore\"",
    );
}

// ---------------------------------------------------------------------------------------------
// Exact decimals, durations, moments, zones, the calendar.

#[test]
fn a_float_where_an_exact_decimal_is_required() {
    let source = broken(
        "{ uptime_below = \"99.99\", credit_percent = \"10\" }",
        "{ uptime_below = \"99.99\", credit_percent = 10.5 }",
    );
    assert_one(
        &source,
        "10.5 }",
        "write the decimal 10.5 in quotes (\"10.5\") so it stays exact; binary floats cannot hold most decimals",
    );
    let source = broken("days = 7 }", "days = 7.5 }");
    assert_one(
        &source,
        "7.5 }",
        "write the decimal 7.5 in quotes (\"7.5\") so it stays exact; binary floats cannot hold most decimals",
    );
}

#[test]
fn a_bad_duration() {
    let source = broken(
        "initial_notification = \"20m\"",
        "initial_notification = \"20 mins later\"",
    );
    assert_one(
        &source,
        "\"20 mins later\"",
        "\"20 mins later\" is not a duration; write minutes, hours or days like \"20m\", \"2h\", \"2h30m\" or \"30d\"",
    );
}

#[test]
fn a_bad_moment() {
    let source = broken(
        "at = \"detection + 5m\"",
        "at = \"5 minutes after detection\"",
    );
    assert_one(
        &source,
        "\"5 minutes after detection\"",
        "\"5 minutes after detection\" is not a moment; write \"detection + 20m\", \"start + 1h\", \"resolution + 1h\" or \"resolution + 5 business days\"",
    );
}

/// The S1 sequence's first step is at detection + 20m. When its moment is mistyped, the step is
/// unknown, not late: reporting "the first message goes out at detection + 30m" is a false
/// second error.
#[test]
fn a_step_with_a_bad_moment_is_not_also_reported_as_late() {
    let source = broken(
        "id = \"status_investigating\"\nat = \"detection + 20m\"",
        "id = \"status_investigating\"\nat = \"detection plus 20m\"",
    );
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "\"detection plus 20m\"");
    assert!(
        d.message
            .starts_with("\"detection plus 20m\" is not a moment")
    );
    assert_eq!(
        list.len(),
        1,
        "one mistake, one problem:\n{}",
        describe(&list)
    );
}

#[test]
fn an_unknown_time_zone() {
    let source = broken(
        "time_zone = \"America/New_York\"",
        "time_zone = \"America/New_Yrok\"",
    );
    assert_one(
        &source,
        "\"America/New_Yrok\"",
        "\"America/New_Yrok\" is not a known time zone; use an IANA name such as \"America/New_York\" or \"Europe/Berlin\"",
    );
}

#[test]
fn an_empty_list_of_working_days() {
    let source = broken(
        "working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
        "working_days = []",
    );
    assert_one(
        &source,
        "[]",
        "a business calendar needs at least one working day",
    );
}

#[test]
fn a_word_that_is_not_a_weekday() {
    let source = broken("\"wed\"", "\"xyz\"");
    assert_one(
        &source,
        "\"xyz\"",
        "\"xyz\" is not a weekday; use mon, tue, wed, thu, fri, sat or sun",
    );
}

/// Only the first three letters are looked at today, so "wedding" is a Wednesday and "monkey"
/// a Monday. A typo in the calendar must not silently become a working day.
#[test]
fn a_word_that_only_starts_like_a_weekday_is_not_a_weekday() {
    let source = broken("\"wed\"", "\"wedding\"");
    assert_one(
        &source,
        "\"wedding\"",
        "\"wedding\" is not a weekday; use mon, tue, wed, thu, fri, sat or sun",
    );
}

#[test]
fn a_holiday_that_is_not_a_date() {
    let source = broken("\"2024-01-15\"", "\"2024-01-32\"");
    assert_one(
        &source,
        "\"2024-01-32\"",
        "\"2024-01-32\" is not a date; write it as YYYY-MM-DD",
    );
}

// ---------------------------------------------------------------------------------------------
// TOML itself: syntax, unknown keys, missing keys.

#[test]
fn a_toml_syntax_error() {
    let source = broken("name = \"Sam Ortega\"", "name = \"Sam Ortega");
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    let (line, _) = position(&source, "name = \"Sam Ortega\n");
    // The string runs to the end of its line: the caret is just past "Sam Ortega.
    assert_eq!(place(&list[0]), (line, "name = \"Sam Ortega".len() + 1));
    assert_eq!(list[0].source_line, "name = \"Sam Ortega");
    assert!(
        list[0].message.contains("invalid basic string"),
        "{}",
        list[0].message
    );

    let source = broken("[people.on_call]", "[people.on_call");
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    let (line, _) = position(&source, "[people.on_call\n");
    assert_eq!(place(&list[0]), (line, "[people.on_call".len() + 1));
    assert!(
        list[0].message.contains("unclosed table"),
        "{}",
        list[0].message
    );
}

#[test]
fn an_unknown_key_is_a_typo_not_ignored() {
    let source = broken(
        "email = \"jordan.blake@example.com\"",
        "emial = \"jordan.blake@example.com\"",
    );
    assert_one(
        &source,
        "emial",
        "unknown field `emial`, expected one of `name`, `role`, `email`",
    );
    let source = broken("[calendar]", "[calendr]");
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&source, "calendr]"));
    assert!(list[0].message.starts_with("unknown field `calendr`"));
}

#[test]
fn a_missing_key_is_reported_at_its_table() {
    let source = broken("version = \"2024.10.1\"\n", "");
    assert_one(&source, "[playbook]", "missing field `version`");
}

// ---------------------------------------------------------------------------------------------
// Header, people, severities.

#[test]
fn tiers_must_be_declared_once_each() {
    let source = broken(
        "tiers = [\"enterprise\", \"growth\", \"starter\"]",
        "tiers = [\"enterprise\", \"growth\", \"starter\", \"growth\"]",
    );
    assert_one(&source, "\"growth\"]\n", "tier \"growth\" is listed twice");
    let source = broken(
        "tiers = [\"enterprise\", \"growth\", \"starter\"]",
        "tiers = []",
    );
    let list = errors(&source);
    assert_eq!(
        list[0].message,
        "declare at least one customer tier",
        "{}",
        describe(&list)
    );
    assert_eq!(place(&list[0]), position(&source, "[]\n\n[calendar]"));
}

#[test]
fn the_playbook_needs_a_name() {
    let source = broken(
        "name = \"Default service recovery playbook (B2B SaaS)\"",
        "name = \" \"",
    );
    assert_one(&source, "\" \"", "the playbook name must not be empty");
}

#[test]
fn a_person_handle_must_be_a_key() {
    let source = broken("[people.ceo]", "[people.1ceo]");
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "1ceo]");
    assert_eq!(
        d.message,
        "person \"1ceo\" is not valid: it must start with a letter"
    );
}

#[test]
fn an_unknown_severity_as_the_unmatched_level() {
    let source = broken("unmatched = \"S2\"", "unmatched = \"S4\"");
    assert_one(
        &source,
        "\"S4\"",
        "unknown severity \"S4\"; the playbook's severities are: S1, S2, S3",
    );
}

#[test]
fn severity_owners_are_named_people() {
    let source = broken(
        "owners = [\"support_director\"]",
        "owners = [\"support_dir\"]",
    );
    assert_one(
        &source,
        "\"support_dir\"",
        &format!("no person \"support_dir\" in [people]; named people are: {PEOPLE}"),
    );
    let source = broken("owners = [\"support_director\"]", "owners = []");
    assert_one(
        &source,
        "[]",
        "every severity needs at least one named response owner",
    );
}

#[test]
fn customer_comms_is_a_duration_or_on_request() {
    let source = broken("customer_comms = \"30m\"", "customer_comms = \"soon\"");
    assert_one(
        &source,
        "\"soon\"",
        "customer_comms is a duration after detection (\"30m\") or \"on_request\"",
    );
}

#[test]
fn criteria_that_could_never_match_or_always_match() {
    let s3 = "  core_feature = false\n  workaround = true\n  duration_under = \"30m\"\n";
    let source = broken(s3, &format!("{s3}\n  [[severity.criteria]]\n"));
    assert_one(
        &source,
        "[[severity.criteria]]\n\n# ----",
        "a criterion with no conditions matches every incident; give at least one condition (failure_types, share_affected_at_least, duration_over …)",
    );
    let source = broken(s3, "  failure_types = []\n");
    assert_one(
        &source,
        "[]",
        "failure_types is empty: it would never match",
    );
    let source = broken(
        "failure_types = [\"outage\"]\n  share_affected_at_least",
        "failure_types = [\"outtage\"]\n  share_affected_at_least",
    );
    assert_one(
        &source,
        "\"outtage\"",
        "\"outtage\" is not a failure type; expected one of: outage, degradation, data_loss, billing_error, delivery_failure, quality_failure, security",
    );
    let source = broken(
        "share_affected_at_least = \"100%\"",
        "share_affected_at_least = \"150%\"",
    );
    assert_one(
        &source,
        "\"150%\"",
        "share_affected_at_least must be between 0 and 100, not 150",
    );
}

// ---------------------------------------------------------------------------------------------
// Communication sequences.

const S9_STEP: &str = "[[communication.S9]]\nid = \"extra\"\nat = \"detection + 5m\"\nchannel = \"status_page\"\naudience = \"public\"\ntemplate = \"status_update\"\n";

#[test]
fn a_communication_sequence_for_an_unknown_severity() {
    let source = format!("{DEMO}\n{S9_STEP}");
    assert_one(
        &source,
        "S9]]",
        "[communication.S9] names no declared severity; the playbook's severities are: S1, S2, S3",
    );
}

#[test]
fn a_severity_without_a_communication_sequence() {
    let source = DEMO.replace("[[communication.S3]]", "[[communication.S9]]");
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "[[severity]]\nid = \"S3\"");
    assert_eq!(
        d.message,
        "severity \"S3\" has no customer communication sequence: add [[communication.S3]] steps"
    );
}

const S1_STATUS_STEP: &str = "id = \"status_investigating\"\nat = \"detection + 20m\"\nchannel = \"status_page\"\naudience = \"public\"";
const S1_ACK_STEP: &str = "id = \"ack_email\"\nat = \"detection + 30m\"\nchannel = \"email\"\naudience = \"affected_accounts\"";

#[test]
fn a_status_page_step_addressed_to_accounts() {
    let source = broken(
        S1_STATUS_STEP,
        &S1_STATUS_STEP.replace("\"public\"", "\"affected_accounts\""),
    );
    assert_one(
        &source,
        "\"affected_accounts\"\ntemplate = \"status_investigating\"",
        "the status page is public: use audience = \"public\" for status_page steps",
    );
}

#[test]
fn an_email_step_addressed_to_the_public_reads_as_english() {
    let source = broken(
        S1_ACK_STEP,
        &S1_ACK_STEP.replace("\"affected_accounts\"", "\"public\""),
    );
    assert_one(
        &source,
        "\"public\"\ntemplate = \"ack_email\"",
        "an email step goes to accounts: use audience = \"affected_accounts\"",
    );
}

#[test]
fn the_first_message_later_than_the_initial_notification_deadline() {
    let source = broken(
        "initial_notification = \"20m\"",
        "initial_notification = \"10m\"",
    );
    assert_one(
        &source,
        "\"10m\"",
        "the first message of S1 goes out at detection + 20m, later than its initial notification deadline of 10m",
    );
}

#[test]
fn step_ids_are_unique_within_a_sequence() {
    let source = broken(
        S1_ACK_STEP,
        &S1_ACK_STEP.replace("\"ack_email\"", "\"status_investigating\""),
    );
    assert_one(
        &source,
        "\"status_investigating\"\nat = \"detection + 30m\"\nchannel = \"email\"",
        "step id \"status_investigating\" is used twice in this sequence",
    );
}

#[test]
fn bad_step_fields() {
    let source = broken("\nonly_if = \"unresolved\"", "\nonly_if = \"open\"");
    assert_one(&source, "\"open\"", "only_if accepts \"unresolved\"");

    let source = broken("every = \"15m\"", "every = \"0m\"");
    assert_one(
        &source,
        "\"0m\"",
        "a repeat cadence must be longer than zero",
    );

    let resolution = "id = \"resolution_email\"\nat = \"resolution + 1h\"\nchannel = \"email\"\naudience = \"affected_accounts\"\ntemplate = \"resolution_email\"\n\n[[communication.S1]]";
    let source = broken(
        resolution,
        &resolution.replace(
            "at = \"resolution + 1h\"\n",
            "at = \"resolution + 1h\"\nevery = \"1h\"\n",
        ),
    );
    assert_one(
        &source,
        "\"1h\"\nchannel",
        "a step counted from resolution cannot repeat while the incident is open",
    );

    let source = broken(
        "template = \"ack_email\"\n\n[[communication.S1]]",
        "template = \"ack_mail\"\n\n[[communication.S1]]",
    );
    assert_one(
        &source,
        "\"ack_mail\"",
        "no template \"ack_mail\" in [templates]",
    );

    let source = broken(S1_ACK_STEP, &S1_ACK_STEP.replace("\"email\"", "\"fax\""));
    assert_one(
        &source,
        "\"fax\"",
        "\"fax\" is not a channel; expected one of: status_page, email, sms, chat, phone, preferred",
    );
}

#[test]
fn an_unknown_audience() {
    let source = broken(
        S1_STATUS_STEP,
        &S1_STATUS_STEP.replace("\"public\"", "\"everyone\""),
    );
    let list = errors(&source);
    let d = diagnostic_at(&list, &source, "\"everyone\"");
    assert_eq!(
        d.message,
        "audience is \"public\" (the status page) or \"affected_accounts\""
    );
    // The step exists (at detection + 20m): it is not also "late".
    assert_eq!(
        list.len(),
        1,
        "one mistake, one problem:\n{}",
        describe(&list)
    );
}

// ---------------------------------------------------------------------------------------------
// Escalation.

#[test]
fn escalation_steps_notify_named_people() {
    let source = broken("notify = [\"on_call\"]", "notify = []");
    assert_one(
        &source,
        "[]",
        "an escalation step must notify at least one named person",
    );
    let source = broken("notify = [\"on_call\"]", "notify = [\"oncall\"]");
    assert_one(
        &source,
        "\"oncall\"",
        &format!("no person \"oncall\" in [people]; named people are: {PEOPLE}"),
    );
}

#[test]
fn escalation_conditions() {
    let source = broken(
        "{ duration_over = \"1h\" },",
        "{ tier = \"enterprise\", duration_over = \"1h\" },",
    );
    assert_one(
        &source,
        "{ tier = \"enterprise\", duration_over",
        "a condition is either { tier = \"…\", affected_accounts_over = N } or { duration_over = \"1h\" }",
    );
    let source = broken(
        "{ tier = \"enterprise\", affected_accounts_over = 10 }",
        "{ tier = \"platinum\", affected_accounts_over = 10 }",
    );
    assert_one(
        &source,
        "\"platinum\"",
        "unknown tier \"platinum\"; the playbook's tiers are: enterprise, growth, starter",
    );
}

#[test]
fn an_unknown_internal_channel_reads_as_english() {
    let step = "notify = [\"on_call\"]\nchannel = \"pagerduty\"";
    let source = broken(step, &step.replace("\"pagerduty\"", "\"pager\""));
    assert_one(
        &source,
        "\"pager\"",
        "\"pager\" is not an internal channel; expected one of: pagerduty, slack, email, phone, sms",
    );
}

// ---------------------------------------------------------------------------------------------
// SLA schedules.

#[test]
fn an_sla_schedule_whose_credit_shrinks_as_uptime_falls() {
    let source = broken(
        "{ uptime_below = \"95.0\", credit_percent = \"50\" }",
        "{ uptime_below = \"95.0\", credit_percent = \"20\" }",
    );
    assert_one(
        &source,
        "{ uptime_below = \"95.0\", credit_percent = \"20\" }",
        "credit must not shrink as uptime falls: below 99.0% gives 25% but below 95.0% gives 20%",
    );
}

#[test]
fn sla_schedule_tiers_and_amounts() {
    let source = broken(
        "{ uptime_below = \"99.0\", credit_percent = \"25\" }",
        "{ uptime_below = \"99.9\", credit_percent = \"25\" }",
    );
    assert_one(
        &source,
        "{ uptime_below = \"99.9\", credit_percent = \"25\" }",
        "two tiers share the threshold 99.9%",
    );
    let source = broken(
        "{ uptime_below = \"99.99\", credit_percent = \"10\" }",
        "{ uptime_below = \"199.99\", credit_percent = \"10\" }",
    );
    assert_one(
        &source,
        "\"199.99\"",
        "uptime_below must be between 0 and 100, not 199.99",
    );
    let source = broken(
        "{ uptime_below = \"99.99\", credit_percent = \"10\" }",
        "{ uptime_below = \"99.99\", credit_percent = \"-10\" }",
    );
    assert_one(
        &source,
        "\"-10\"",
        "credit_percent must be 0 or more, not -10",
    );
    let source = broken(
        "{ uptime_below = \"99.99\", credit_percent = \"10\" }",
        "{ uptime_below = \"99.99\", credit_percent = \"ten\" }",
    );
    assert_one(&source, "\"ten\"", "\"ten\" is not a decimal number");

    let cap = "cap_percent = \"50\"";
    let source = broken(cap, &format!("{cap}\nminimum_credit = {{ USX = \"1\" }}"));
    assert_one(
        &source,
        "{ USX",
        "unknown currency code \"USX\" (use an ISO 4217 code such as USD, EUR, GBP or JPY)",
    );
    let source = broken(
        cap,
        &format!("{cap}\nminimum_credit = {{ USD = \"1.005\" }}"),
    );
    assert_one(
        &source,
        "\"1.005\"",
        "amount 1.005 has more decimals than USD allows (2)",
    );
    let source = broken(cap, &format!("{cap}\nminimum_credit = {{}}"));
    assert_one(
        &source,
        "{}",
        "give at least one amount, e.g. { USD = \"50.00\" }",
    );
}

// ---------------------------------------------------------------------------------------------
// Post-incident review.

#[test]
fn no_customer_facing_review_task() {
    let source = broken("customer_facing = true\n", "");
    assert_one(
        &source,
        "[[review]]\nid = \"internal_postmortem\"",
        "the post-incident review must end with a customer-facing closure: mark the customer RCA task customer_facing = true",
    );
}

#[test]
fn review_tasks() {
    let source = broken("due = \"resolution + 24h\"", "due = \"detection + 24h\"");
    assert_one(
        &source,
        "\"detection + 24h\"",
        "a review task is due after resolution: write \"resolution + 24h\" or \"resolution + 5 business days\"",
    );
    let source = broken("id = \"prevention_verified\"", "id = \"customer_rca\"");
    assert_one(
        &source,
        "\"customer_rca\"\ntitle = \"Verify",
        "review task \"customer_rca\" is declared twice",
    );
    let source = broken("owner = \"eng_lead\"", "owner = \"nobody\"");
    assert_one(
        &source,
        "\"nobody\"",
        &format!("no person \"nobody\" in [people]; named people are: {PEOPLE}"),
    );
}

// ---------------------------------------------------------------------------------------------
// Several problems at once, and how they are shown.

#[test]
fn several_problems_are_reported_together_in_source_order() {
    // Introduced in an order different from the file's.
    let source = broken("customer_facing = true\n", "");
    let source = source.replacen(
        "{ uptime_below = \"95.0\", credit_percent = \"50\" }",
        "{ uptime_below = \"95.0\", credit_percent = \"20\" }",
        1,
    );
    let source = source.replacen(
        "time_zone = \"America/New_York\"",
        "time_zone = \"America/New_Yrok\"",
        1,
    );
    let source = source.replacen(
        "owners = [\"support_director\"]",
        "owners = [\"support_dir\"]",
        1,
    );
    let list = errors(&source);
    let expected = [
        (
            position(&source, "\"America/New_Yrok\""),
            "\"America/New_Yrok\" is not a known time zone",
        ),
        (
            position(&source, "\"support_dir\""),
            "no person \"support_dir\" in [people]",
        ),
        (
            position(
                &source,
                "{ uptime_below = \"95.0\", credit_percent = \"20\" }",
            ),
            "credit must not shrink as uptime falls",
        ),
        (
            position(&source, "[[review]]\nid = \"internal_postmortem\""),
            "the post-incident review must end with a customer-facing closure",
        ),
    ];
    assert_eq!(list.len(), expected.len(), "{}", describe(&list));
    for (d, (at, start)) in list.iter().zip(expected) {
        assert_eq!(place(d), at, "{}", describe(&list));
        assert!(d.message.starts_with(start), "{}", d.message);
    }
    let shown = Diagnostics(list).to_string();
    assert!(shown.ends_with("\n\n4 problems found"), "{shown}");
    assert_eq!(shown.matches("error: ").count(), 4);
}

/// The check of an empty amount map must not depend on whether an unrelated problem was found
/// earlier in the file: every problem is reported in one pass.
#[test]
fn an_empty_minimum_credit_is_reported_even_after_another_problem() {
    let cap = "cap_percent = \"50\"";
    let source = broken(cap, &format!("{cap}\nminimum_credit = {{}}")).replacen(
        "time_zone = \"America/New_York\"",
        "time_zone = \"America/New_Yrok\"",
        1,
    );
    let list = errors(&source);
    assert_eq!(list.len(), 2, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&source, "\"America/New_Yrok\""));
    assert_eq!(place(&list[1]), position(&source, "{}"));
    assert_eq!(
        list[1].message,
        "give at least one amount, e.g. { USD = \"50.00\" }"
    );
}

#[test]
fn a_diagnostic_renders_like_rustc() {
    let source = broken(
        "time_zone = \"America/New_York\"",
        "time_zone = \"America/New_Yrok\"",
    );
    let (line, column) = position(&source, "\"America/New_Yrok\"");
    assert_eq!(
        (line, column),
        (15, 13),
        "the demo playbook moved; update this test"
    );
    let shown = match Playbook::parse(FILE, &source) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let expected = concat!(
        "error: \"America/New_Yrok\" is not a known time zone; use an IANA name such as \"America/New_York\" or \"Europe/Berlin\"\n",
        "  --> playbook.toml:15:13\n",
        "   |\n",
        "15 | time_zone = \"America/New_Yrok\"\n",
        "   |             ^^^^^^^^^^^^^^^^^^",
    );
    assert_eq!(shown, expected);
}

/// Regression (review of #2): the seed's own mistake — customer email 90 minutes after
/// detection — is refused, as is a sequence with nothing counted from detection.
#[test]
fn the_first_customer_message_must_keep_customer_comms() {
    let source = broken(
        "id = \"ack_email\"\nat = \"detection + 30m\"",
        "id = \"ack_email\"\nat = \"detection + 90m\"",
    );
    let list = errors(&source);
    assert!(
        list.iter().any(|d| d.message
            == "the first message of S1 to affected accounts goes out at detection + 1h, later than its customer_comms deadline of 30m"),
        "{}",
        describe(&list)
    );
    let all_from_start = DEMO.replace("at = \"detection + ", "at = \"start + 3");
    let list = errors(&all_from_start);
    assert!(
        list.iter().any(|d| d.message.starts_with(
            "no message of S1 is counted from detection, so nothing guarantees its initial notification deadline"
        )),
        "{}",
        describe(&list)
    );
}

/// Regression (review of #2): the escalation chain is read in order, so its order must be
/// its timing.
#[test]
fn escalation_steps_out_of_time_order_are_refused() {
    let source = broken(
        "at = \"detection + 60m\"\nactor = \"Incident commander\"",
        "at = \"detection + 1m\"\nactor = \"Incident commander\"",
    );
    assert_one(
        &source,
        "\"detection + 1m\"",
        "escalation steps must be in time order: \"detection + 1m\" comes after \"detection + 30m\"",
    );
}

// ---------------------------------------------------------------------------------------------
// Templates and the message linter's settings.

const ACK: &str = "script = \"outage/initial_contact\"\nsender = \"vp_support\"";

#[test]
fn a_template_takes_its_text_from_one_place() {
    let source = broken(ACK, "script = \"outage/initial_contact\"\nbody = \"Hi\"");
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(
        list[0].message,
        "a template takes its text from one place: `body`, `script` or `file`"
    );
    assert_one(
        &broken(
            ACK,
            "script = \"outage/initial_contact\"\nsubject = \"Hello\"",
        ),
        "\"Hello\"",
        "`subject` goes with an inline `body`; a script or file carries its own subject",
    );
}

#[test]
fn a_template_sender_and_purpose_must_be_known() {
    let source = broken(
        ACK,
        "script = \"outage/initial_contact\"\nsender = \"vp_sales\"",
    );
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert!(
        list[0]
            .message
            .starts_with("no person \"vp_sales\" in [people]"),
        "{}",
        list[0].message
    );
    let source = broken(
        ACK,
        "script = \"outage/initial_contact\"\npurpose = \"sorry-note\"",
    );
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&source, "\"sorry-note\""));
    assert!(
        list[0].message.contains("acknowledgment"),
        "{}",
        list[0].message
    );
}

#[test]
fn lint_levels_name_known_rules_and_levels() {
    let source = broken(
        "max_sms_segments = 3",
        "max_sms_segments = 3\n\n[lint.levels]\nno-named-contact = \"deny\"\ngeneric-apologies = \"allow\"\nunexplained-jargon = \"off\"",
    );
    let list = errors(&source);
    assert_eq!(list.len(), 2, "{}", describe(&list));
    assert_eq!(place(&list[0]), position(&source, "generic-apologies"));
    assert!(
        list[0]
            .message
            .starts_with("no lint rule \"generic-apologies\"; the rules are: generic-apology,"),
        "{}",
        list[0].message
    );
    assert_eq!(place(&list[1]), position(&source, "\"off\""));
    assert_eq!(
        list[1].message,
        "\"off\" is not a lint level; use allow, warn or deny"
    );
    assert_one(
        &broken("max_reading_grade = 10", "max_reading_grade = 0"),
        "0\nmax_sms",
        "max_reading_grade must be at least 1",
    );
}

#[test]
fn lint_levels_and_limits_are_applied() {
    use amends_core::lint::{Level, Rule};
    let source = broken(
        "max_sms_segments = 3",
        "max_sms_segments = 2\n\n[lint.levels]\nno-named-contact = \"deny\"",
    );
    let pb = Playbook::parse(FILE, &source).expect("valid");
    assert_eq!(pb.lint.max_sms_segments, 2);
    assert_eq!(pb.lint.level(Rule::NoNamedContact), Level::Deny);
    assert_eq!(pb.lint.level(Rule::GenericApology), Level::Deny);
    assert_eq!(pb.lint.level(Rule::TooLong), Level::Warn);
}

// ---------------------------------------------------------------------------------------------
// Alerting services.

#[test]
fn alerting_services_name_known_tiers_types_and_durations() {
    let service =
        "affected = { tiers = [\"enterprise\", \"growth\"] }\ntriage_auto_confirm = \"15m\"";
    let source = broken(
        service,
        "affected = { tiers = [\"platinum\"] }\ntriage_auto_confirm = \"soon\"",
    );
    let list = errors(&source);
    assert_eq!(list.len(), 2, "{}", describe(&list));
    assert!(
        list[0].message.starts_with("unknown tier \"platinum\""),
        "{}",
        list[0].message
    );
    assert_eq!(place(&list[1]), position(&source, "\"soon\""));
    let source = broken(
        "type = \"outage\"\nfeatures = [\"web application\", \"API\"]\ncore_feature = true\nworkaround = false\naffected",
        "type = \"meltdown\"\nfeatures = [\"web application\", \"API\"]\ncore_feature = true\nworkaround = false\naffected",
    );
    let list = errors(&source);
    assert_eq!(list.len(), 1, "{}", describe(&list));
    assert!(list[0].message.contains("meltdown"), "{}", list[0].message);
    assert_one(
        &broken(service, "affected = {}  # nobody"),
        "{}  # nobody",
        "say who an incident on this service affects: `affected = { tiers = [...] }`, segments, accounts or `all = true`",
    );
}
