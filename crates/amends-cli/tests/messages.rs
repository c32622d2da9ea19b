//! The message commands end to end: `amends check` reporting bad templates with file, line
//! and column; `amends lint` with its rule ids, positions and exit codes; `amends preview`
//! rendering one message exactly as sent; `amends rca` and `amends scripts`.

mod common;

use std::path::{Path, PathBuf};

use common::{
    DEMO_INPUTS, amends, amends_with_input, repo_root, scratch, stderr as err, stdout as out,
};

/// The demo playbook with its acknowledgment template replaced by `template` (TOML lines).
fn playbook_with_ack(dir: &Path, template: &str) -> (PathBuf, String) {
    let demo = std::fs::read_to_string(repo_root().join("demo/playbook.toml")).expect("demo");
    let old = "[templates.ack_email]\ndescription = \"Issue confirmed, scope known, team actively working, next update in 30 min.\"\nscript = \"outage/initial_contact\"\nsender = \"vp_support\"\n";
    assert!(demo.contains(old), "the demo's ack template moved");
    let text = demo.replace(old, template);
    let path = dir.join("playbook.toml");
    std::fs::write(&path, &text).expect("write playbook");
    (path, text)
}

/// The 1-based line and column of `needle` in `text`.
fn place(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    (line, col)
}

#[test]
fn check_reports_a_template_syntax_error_at_its_line_and_column() {
    let dir = scratch("syntax");
    let (path, text) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nbody = '''\nHi {{ contact.first_name }},\nSince {% if incident.ongoing %}now.\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("template ack_email:"), "{e}");
    // The unclosed block is reported on the template's own line in the playbook.
    let (line, _) = place(&text, "Since {% if");
    assert!(
        e.contains(&format!("playbook.toml:{line}:")),
        "line {line}: {e}"
    );
    assert!(out(&o).is_empty(), "nothing printed as OK: {}", out(&o));
}

#[test]
fn check_reports_an_unknown_variable_where_it_is_written() {
    let dir = scratch("unknown");
    let (path, text) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nbody = '''\nHi {{ contact.first_name }}, {{ account.nmae }} is down.\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let (line, col) = place(&text, "account.nmae");
    let e = err(&o);
    assert!(
        e.contains(&format!("playbook.toml:{line}:{col}")),
        "{line}:{col}: {e}"
    );
    assert!(e.contains("unknown variable `account.nmae`"), "{e}");
}

#[test]
fn check_reports_an_unguarded_optional_value() {
    let dir = scratch("unguarded");
    let (path, _) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nbody = '''\nHi {{ contact.first_name }}, {{ impact.failed_requests }} requests failed.\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("guard them with {% if"), "{}", err(&o));
}

#[test]
fn check_reports_errors_in_a_template_file_against_that_file() {
    let dir = scratch("file");
    std::fs::write(
        dir.join("ack.txt"),
        "Subject: Down\n\nHi {{ contact.first_name }},\n{{ incident.window | nosuchfilter }}\n",
    )
    .expect("template file");
    let (path, _) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nfile = \"ack.txt\"\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("ack.txt:4:"), "{}", err(&o));
    let (missing, _) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nfile = \"nowhere.txt\"\n",
    );
    let o = amends(&["check", missing.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("cannot read template file \"nowhere.txt\""),
        "{}",
        err(&o)
    );
}

#[test]
fn check_fails_a_template_with_a_generic_apology_and_warns_on_a_missing_contact() {
    let dir = scratch("apology");
    let (path, text) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\npurpose = \"acknowledgment\"\nbody = '''\nOn {{ incident.window }} your team could not use {{ incident.features_text }}. We apologize for the inconvenience.{% if next_update %} Next update: {{ next_update.time }}.{% endif %}\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let (line, col) = place(&text, "apologize for the inconvenience");
    let e = err(&o);
    assert!(e.contains("[generic-apology]"), "{e}");
    assert!(e.contains(&format!("playbook.toml:{line}:{col}")), "{e}");
    assert!(
        e.contains("warning: template ack_email: [no-named-contact]"),
        "{e}"
    );
}

#[test]
fn the_seeds_bad_acknowledgment_fails_the_linter_with_its_reasons() {
    let o = amends_with_input(
        &["lint", "--purpose", "acknowledgment", "-"],
        "We're investigating an issue.",
    );
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    for rule in [
        "incident-not-named",
        "impact-not-stated",
        "no-named-contact",
        "no-next-update",
    ] {
        assert!(e.contains(&format!("[{rule}]")), "{rule}: {e}");
    }
    assert!(e.contains("<stdin>:1:1"), "{e}");
    assert!(e.contains("0 error(s), 4 warning(s)"), "{e}");
    // Warnings alone pass when asked to.
    let o = amends_with_input(
        &[
            "lint",
            "--purpose",
            "acknowledgment",
            "--allow-warnings",
            "-",
        ],
        "We're investigating an issue.",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn lint_reports_positions_as_json_and_denies_a_generic_apology() {
    let dir = scratch("lintjson");
    let file = dir.join("msg.txt");
    std::fs::write(&file, "Hello.\nWe apologize for the inconvenience.\n").expect("write");
    let o = amends(&[
        "lint",
        "--format",
        "json",
        "--allow-warnings",
        file.to_str().expect("path"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "deny fails even with --allow-warnings"
    );
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    let apology = v
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["rule"] == "generic-apology")
        .expect("generic-apology finding");
    assert_eq!(apology["level"], "deny");
    assert_eq!(apology["line"], 2);
    assert_eq!(apology["column"], 4);
    assert!(apology["fix"].as_str().is_some_and(|f| !f.is_empty()));
}

#[test]
fn lint_cannot_read_is_exit_two_and_rules_lists_every_rule() {
    let o = amends(&["lint", "/no/such/message.txt"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("cannot read the message file"),
        "{}",
        err(&o)
    );
    let o = amends(&["lint", "--purpose", "apology", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--purpose"), "{}", err(&o));
    let o = amends(&["lint", "--rules"]);
    assert!(o.status.success());
    for id in [
        "generic-apology",
        "reading-grade",
        "too-long",
        "unrendered-placeholder",
    ] {
        assert!(out(&o).contains(id), "{id}");
    }
}

/// The worked example's inputs, a week after (every message is due).
const INPUTS: [&str; 8] = {
    let [p, pf, a, af, i, inf] = DEMO_INPUTS;
    [p, pf, a, af, i, inf, "--as-of", "2024-10-28T09:00:00-04:00"]
};

#[test]
fn preview_renders_one_message_as_sent() {
    let mut args = vec!["preview"];
    args.extend(INPUTS);
    args.extend(["--account", "acct-0001", "--step", "resolution_email"]);
    let o = amends(&args);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("Subject: Resolved: the outage on Tuesday, October 15, 2024"),
        "{text}"
    );
    assert!(
        text.contains("a 7-day service credit of $1,806.45"),
        "{text}"
    );
    assert!(text.contains("Dana Whitfield\nVP Support"), "{text}");
    assert!(err(&o).is_empty(), "no findings: {}", err(&o));

    // The status page post needs no account.
    let mut args = vec!["preview"];
    args.extend(INPUTS);
    args.extend(["--step", "status_update", "--occurrence", "3"]);
    let o = amends(&args);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("Next update by 11:15 AM EDT"),
        "{}",
        out(&o)
    );
}

#[test]
fn preview_explains_what_it_cannot_render() {
    let cases: [(&[&str], &str); 4] = [
        (&["--step", "ack_email"], "name one with --account"),
        (
            &["--account", "acct-9999", "--step", "ack_email"],
            "\"acct-9999\" is not affected",
        ),
        (
            &["--account", "acct-0001", "--step", "nope"],
            "its steps are: status_investigating",
        ),
        (
            &["--account", "acct-0001", "--step", "rca_email"],
            "sends the root-cause summary, and none was written yet",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["preview"];
        args.extend(INPUTS);
        args.extend(extra);
        let o = amends(&args);
        assert_eq!(o.status.code(), Some(1), "{extra:?}");
        assert!(err(&o).contains(expected), "{extra:?}: {}", err(&o));
    }
}

#[test]
fn rca_renders_a_printable_page_and_a_status_post() {
    let dir = scratch("rca");
    let page = dir.join("rca.html");
    let mut args = vec!["rca"];
    args.extend(INPUTS);
    args.extend([
        "--rca",
        "demo/rca.toml",
        "--account",
        "acct-0001",
        "-o",
        page.to_str().expect("path"),
    ]);
    let o = amends(&args);
    assert!(o.status.success(), "{}", err(&o));
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("prepared for Northwind Analytics"), "{html}");
    assert!(html.contains("<h2>What we are changing so it does not happen again</h2>"));
    assert!(!html.contains("<script"), "no scripts in a printable page");

    let mut args = vec!["rca"];
    args.extend(INPUTS);
    args.extend(["--rca", "demo/rca.toml", "--format", "status"]);
    let o = amends(&args);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).starts_with("What happened and what we changed: Service unavailable"),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).is_empty(),
        "the post passes the linter: {}",
        err(&o)
    );

    let mut args = vec!["rca"];
    args.extend(INPUTS);
    let o = amends(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("--rca FILE"), "{}", err(&o));
}

#[test]
fn scripts_can_be_listed_searched_and_shown() {
    let o = amends(&["scripts", "list", "--failure-type", "outage"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("outage/initial_contact"), "{}", out(&o));
    assert!(
        out(&o).lines().all(|l| l.starts_with("outage/")),
        "{}",
        out(&o)
    );
    let o = amends(&["scripts", "search", "status", "resolved"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("outage/status_resolved"), "{}", out(&o));
    let o = amends(&["scripts", "show", "outage/rca"]);
    assert!(
        out(&o).contains("{% for item in rca.fixed %}"),
        "{}",
        out(&o)
    );
    let o = amends(&["scripts", "show", "outage/nope"]);
    assert_eq!(o.status.code(), Some(1));
    let o = amends(&["scripts", "search", "zzzqqq"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn check_renders_and_lints_the_branch_for_an_ongoing_incident() {
    // Regression: the samples were all resolved, so this passed check and was blocked at 10:30.
    let dir = scratch("ongoing");
    let (path, text) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nscript = \"outage/initial_contact\"\n[templates.ack_email_x]\ndescription = \"x\"\npurpose = \"acknowledgment\"\nbody = '''\n{% if incident.ongoing %}We apologize for the inconvenience.{% endif %}\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("template ack_email_x: [generic-apology]"), "{e}");
    assert!(e.contains("while the incident is ongoing"), "{e}");
    let (line, col) = place(&text, "apologize for the inconvenience");
    assert!(e.contains(&format!("playbook.toml:{line}:{col}")), "{e}");
}

#[test]
fn check_refuses_a_template_that_would_print_a_missing_value() {
    // Regression: an unguarded optional value (no apology for a Growth account) printed "None".
    let dir = scratch("none");
    let (path, _) = playbook_with_ack(
        &dir,
        "[templates.ack_email]\ndescription = \"Ack\"\nsender = \"vp_support\"\nscript = \"outage/initial_contact\"\n[templates.res_x]\ndescription = \"x\"\npurpose = \"resolution\"\nbody = '''\nWith an apology from {{ remediation.apology_from }}.\n'''\n",
    );
    let o = amends(&["check", path.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("template res_x fails to render once the incident is resolved, with the optional values absent"), "{e}");
    assert!(e.contains("a missing value would be printed"), "{e}");
}
