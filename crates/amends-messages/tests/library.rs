//! The bundled recovery script library: every script compiles and renders against the sample
//! with no finding of the message linter (as an account email, and as a public post for the
//! status page scripts), every failure type the library serves has the core steps of a
//! recovery, ids follow `failure_type/step`, and the library can be searched by words.

use std::collections::BTreeSet;

use amends_core::domain::{Channel, FailureType, Key};
use amends_core::playbook::Playbook;
use amends_messages::context;
use amends_messages::templates::render_str;
use amends_messages::{Library, Script, compile};
use minijinja::Value;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");

fn library() -> Library {
    Library::bundled().unwrap_or_else(|e| panic!("{e}"))
}

/// The demo playbook with one template per script. Status page scripts are also used by a
/// public step of the S3 sequence, so they are rendered the way the status page gets them
/// (no account, no remedy); the others are signed by the VP Support.
fn playbook_source(library: &Library) -> String {
    let mut source = PLAYBOOK.to_string();
    let mut steps = String::new();
    for (i, script) in library.all().iter().enumerate() {
        source.push_str(&format!(
            "\n[templates.lib_{i}]\ndescription = \"The library script {}.\"\nscript = \"{}\"\n",
            script.id, script.id
        ));
        if script.channel == Channel::StatusPage {
            let at = if script.step.contains("resolved") {
                "resolution"
            } else {
                "detection + 15m"
            };
            steps.push_str(&format!(
                "\n[[communication.S3]]\nid = \"lib_{i}\"\nat = \"{at}\"\nchannel = \"status_page\"\naudience = \"public\"\ntemplate = \"lib_{i}\"\n"
            ));
        } else {
            source.push_str("sender = \"vp_support\"\n");
        }
    }
    source.push_str(&steps);
    source
}

#[test]
fn every_script_compiles_and_renders_the_sample_with_no_lint_warnings() {
    let library = library();
    let source = playbook_source(&library);
    let playbook = Playbook::parse("p.toml", &source).unwrap_or_else(|e| panic!("{e}"));
    let checked = compile(&playbook, "p.toml", &source, &library, &mut |p| {
        Err(p.to_string())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        checked.warnings.is_empty(),
        "{}",
        checked
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    for i in 0..library.all().len() {
        let key = Key::parse("template", &format!("lib_{i}")).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            checked.templates.entry(&key).is_some_and(|e| e.has_text),
            "{key}"
        );
    }
}

#[test]
fn every_failure_type_served_has_the_core_steps() {
    let library = library();
    for &failure_type in FailureType::ALL {
        if matches!(
            failure_type,
            FailureType::Degradation | FailureType::Security
        ) {
            continue;
        }
        for step in [
            "initial_contact",
            "resolution_confirmation",
            "rca",
            "follow_up",
        ] {
            let id = format!("{failure_type}/{step}");
            assert!(library.get(&id).is_some(), "the library has no {id}");
        }
    }
}

#[test]
fn ids_are_unique_and_name_the_failure_type_and_step() {
    let library = library();
    let mut seen = BTreeSet::new();
    for s in library.all() {
        assert!(seen.insert(s.id.clone()), "{} twice", s.id);
        assert_eq!(s.id, format!("{}/{}", s.failure_type, s.step));
        assert_eq!(
            s.file,
            format!("scripts/{}.toml", s.failure_type),
            "{}",
            s.id
        );
        assert_eq!(
            s.subject.is_some(),
            s.channel == Channel::Email,
            "{}: emails have a subject, other channels none",
            s.id
        );
    }
}

#[test]
fn search_finds_scripts_by_their_words() {
    let library = library();
    let ids = |hits: Vec<&Script>| hits.iter().map(|s| s.id.clone()).collect::<Vec<_>>();

    let hits = library.search("billing refund");
    let billing = library
        .all()
        .iter()
        .filter(|s| s.failure_type == FailureType::BillingError)
        .count();
    assert!(billing > 0);
    assert!(hits.len() >= billing, "{:?}", ids(hits));
    assert!(
        hits[..billing]
            .iter()
            .all(|s| s.failure_type == FailureType::BillingError),
        "billing_error scripts first: {:?}",
        ids(hits)
    );

    let first = library.search("replacement delivery");
    assert_eq!(
        first.first().map(|s| s.failure_type),
        Some(FailureType::DeliveryFailure),
        "{:?}",
        ids(first)
    );
    assert!(
        library
            .search("Data-Loss")
            .iter()
            .any(|s| s.id == "data_loss/initial_contact")
    );
    assert!(library.search("zqxjvbrmw").is_empty());
    assert!(library.search("billing zqxjvbrmw").is_empty());
}

#[test]
fn the_sample_fills_every_variable_a_script_uses() {
    let facts = Value::from_serialize(context::sample());
    for s in library().all() {
        for (part, text) in [("subject", s.subject.as_deref()), ("body", Some(&s.body))] {
            let Some(text) = text else { continue };
            let rendered =
                render_str(&s.id, text, &facts).unwrap_or_else(|e| panic!("{} {part}: {e}", s.id));
            for leftover in ["{{", "}}", "{%", "%}"] {
                assert!(
                    !rendered.contains(leftover),
                    "{} {part}: {leftover:?} left in\n{rendered}",
                    s.id
                );
            }
        }
    }
}
