//! The recovery-message linter, rule by rule: a table of short messages written for these
//! tests (B2B SaaS, e-commerce, billing and delivery recoveries), each with the exact set of
//! rules it must trip. Every rule has rows where it hits and near-miss rows where it must not
//! (an apology that is not generic, a supplier named without blame, a term explained in
//! parentheses, a person named on a signature line, ...). The domain's criteria come from the
//! seed's worked example: a 4-hour outage on Tuesday, October 15, 10am-2pm EST, and its bad
//! acknowledgment, "we're investigating an issue".
//!
//! A row's name says what it is for: `<rule id> hit: …` rows must trip that rule and
//! `<rule id> near-miss: …` rows must not; `seed:` and `good:` rows are whole messages.
//! `the_table_covers_every_rule_both_ways` holds every rule to at least three of each.

use std::collections::BTreeSet;

use amends_core::domain::{Channel, Purpose};
use amends_core::lint::{
    Finding, Level, LintConfig, Message, Rule, lint, reading_grade, sms_segments,
};

/// The incident window of the seed's worked example, as a message names it.
const WINDOW: &str = "On Tuesday, October 15, from 10:00 AM to 2:00 PM EDT";

/// A signature naming a person with a direct address.
const SIGNATURE: &str = "\n\nDana Whitfield\nHead of Customer Success\ndana.whitfield@example.com";

/// One row of the table.
struct Row {
    name: &'static str,
    text: String,
    purpose: Purpose,
    channel: Channel,
    expect: &'static [&'static str],
}

fn row(
    name: &'static str,
    text: impl Into<String>,
    purpose: Purpose,
    channel: Channel,
    expect: &'static [&'static str],
) -> Row {
    Row {
        name,
        text: text.into(),
        purpose,
        channel,
        expect,
    }
}

/// An SMS update that is fine apart from its length: the update and `fillers` more
/// sentences.
fn sms_update(fillers: usize, apostrophe: char) -> String {
    let mut out = format!(
        "Acme Cloud: sign-in is still down for your team (since 10:00 AM EDT, Oct 15). We{apostrophe}re rolling back the change. Next update by 12:00 PM EDT."
    );
    for _ in 0..fillers {
        out.push_str(&format!(
            " Saved drafts are safe and we{apostrophe}ll text you when sign-in works."
        ));
    }
    out
}

/// A status page post that is fine apart from its length.
fn status_post(chars: usize) -> String {
    const REGIONS: &[&str] = &[
        "Ireland", "Germany", "France", "Spain", "Italy", "Poland", "Sweden", "Austria",
    ];
    let mut out = String::from(
        "Investigating: since 10:05 AM EDT, card payments are failing for some stores. We are rolling back a change made this morning. Next update by 10:45 AM EDT.\n\nStores by country:",
    );
    for region in REGIONS.iter().cycle() {
        let line = format!(
            "\n- Stores in {region}: card payments failing; cash and invoice payments work."
        );
        if out.chars().count() >= chars {
            break;
        }
        out.push_str(&line);
    }
    out
}

/// A message listing late orders, fine apart from its length.
fn late_orders(chars: usize) -> String {
    let mut out =
        format!("{WINDOW}, your orders were held in our warehouse and shipped a day late:");
    for n in 10_000.. {
        let line = format!("\n- Order #{n}: shipped Wednesday, October 16, one day late.");
        if out.chars().count() >= chars {
            break;
        }
        out.push_str(&line);
    }
    out
}

fn good_acknowledgment() -> String {
    format!(
        "Subject: Sign-in and API outage since 10:00 AM EDT, Tuesday, October 15\n\n\
         Hi Priya,\n\n\
         Since 10:00 AM EDT on Tuesday, October 15, your team has not been able to sign in to \
         Acme Cloud or use the API. We know this stops your support desk from working, and we \
         are on it.\n\n\
         Our engineers are rolling back a database change that we believe caused this.\n\n\
         Next update by 11:00 AM EDT, or sooner if anything changes.{SIGNATURE}"
    )
}

fn good_update() -> String {
    "Subject: Update 2 on the sign-in outage, Tuesday, October 15\n\n\
     Hi Priya,\n\n\
     Sign-in and the API are still unavailable for your team as of 12:00 PM EDT. The rollback \
     of the database change is 70% done, and we expect service back by 2:00 PM EDT.\n\n\
     Next update by 1:00 PM EDT.\n\n\
     Dana Whitfield, Head of Customer Success"
        .to_string()
}

fn good_resolution() -> String {
    format!(
        "Subject: Resolved: sign-in and API outage, Tuesday, October 15, 10:00 AM to 2:00 PM EDT\n\n\
         Hi Priya,\n\n\
         {WINDOW}, your team could not sign in or use the API. That disrupted your team's \
         workday, and it is not acceptable.\n\n\
         We rolled back the failed database migration at 1:52 PM and verified every service by \
         2:00 PM. We have added a check that blocks any migration that has not passed a full \
         rehearsal.\n\n\
         A service credit of $1,806.45 will appear on your November invoice. You do not need to \
         do anything to receive it.\n\n\
         If you have any questions, reply to me directly.{SIGNATURE}"
    )
}

fn good_rca() -> String {
    format!(
        "Subject: What happened on Tuesday, October 15, and what we changed\n\n\
         Hi Priya,\n\n\
         {WINDOW}, your team could not sign in or use the API.\n\n\
         What happened: at 9:58 AM we changed the layout of our main database. The change had a \
         mistake in it. It locked a table that every sign-in needs, so sign-ins failed.\n\n\
         Why it took four hours: the change could not be undone quickly. We had to restore the \
         table from a copy, and that took most of the time.\n\n\
         What we changed: every database change is now tried on a full copy of real data first. \
         A second engineer must approve it. We also built a faster way to undo a change.\n\n\
         Your service credit of $1,806.45 is on your November invoice.\n\n\
         If you want to talk it through, call or write to me.{SIGNATURE}\n+1 555 0100"
    )
}

/// A root-cause summary written for engineers, not for the VP who reads it.
fn dense_rca() -> String {
    format!(
        "{WINDOW}, your administrators were unable to sign in.\n\n\
         The precipitating circumstance was an insufficiently validated modification of \
         authentication configuration, which consequently invalidated previously established \
         administrative credentials across geographically distributed environments. \
         Subsequently, organizational remediation procedures incorporated comprehensive \
         verification requirements preceding infrastructure modifications.{SIGNATURE}"
    )
}

/// A follow-up that is fine apart from its contact.
fn follow_up(contact: &str) -> String {
    format!(
        "{WINDOW}, your team could not sign in. We want to check that everything works for you \
         now.{contact}"
    )
}

/// A resolution that is fine apart from `what_was_done` and `remedy`.
fn resolution(what_was_done: &str, remedy: &str) -> String {
    format!(
        "{WINDOW}, your team could not sign in or use the API. {what_was_done} {remedy}{SIGNATURE}"
    )
}

fn rows() -> Vec<Row> {
    use Channel::{Chat, Email, Phone, Sms, StatusPage};
    use Purpose::{Acknowledgment, FollowUp, General, Internal, Rca, Resolution, Status, Update};
    vec![
        // ----- the seed's own examples, and fully good messages --------------------------
        row(
            "seed: the bad acknowledgment",
            "We're investigating an issue.",
            Acknowledgment,
            Email,
            &[
                "incident-not-named",
                "impact-not-stated",
                "no-named-contact",
                "no-next-update",
            ],
        ),
        row(
            "seed: the bad acknowledgment with a typographic apostrophe, by SMS",
            "We\u{2019}re investigating an issue.",
            Acknowledgment,
            Sms,
            &["incident-not-named", "impact-not-stated", "no-next-update"],
        ),
        row(
            "seed: the status template left with its placeholder",
            "We are investigating an issue affecting [service]. Updates every 15 minutes.",
            Status,
            StatusPage,
            &["unrendered-placeholder"],
        ),
        row(
            "good: acknowledgment",
            good_acknowledgment(),
            Acknowledgment,
            Email,
            &[],
        ),
        row("good: update", good_update(), Update, Email, &[]),
        row(
            "good: resolution",
            good_resolution(),
            Resolution,
            Email,
            &[],
        ),
        row("good: root-cause summary", good_rca(), Rca, Email, &[]),
        row(
            "good: SMS acknowledgment",
            "Acme Cloud: since 10:00 AM EDT Oct 15 your team cannot sign in. We are rolling back a change. Next update 11:00 AM EDT.",
            Acknowledgment,
            Sms,
            &[],
        ),
        row(
            "good: status page resolution",
            "Resolved: card payments work again. We rolled back the change at 10:52 AM EDT and verified payments in every region.",
            Resolution,
            StatusPage,
            &[],
        ),
        row(
            "good: internal war-room note with jargon and a supplier",
            "Sev1 war room: p99 latency 9s since 10:05, failover to the replica stuck, partly due to AWS. Dana owns comms.",
            Internal,
            Chat,
            &[],
        ),
        // ----- generic-apology -----------------------------------------------------------
        row(
            "good: e-commerce delivery acknowledgment",
            "Subject: Your order #4471 is running late\n\n\
             Hi Sam,\n\n\
             Your order #4471, due Friday, May 10 by 5:00 PM, will arrive late: a sorting fault at \
             our Leeds warehouse held it overnight. We are re-routing it now.\n\n\
             I will email you with a new delivery time by 2:00 PM today.\n\n\
             Priya Raman\nDelivery Support Lead\npriya.raman@northwind.example",
            Acknowledgment,
            Email,
            &[],
        ),
        row(
            "good: billing resolution",
            "Subject: We charged you twice on Friday, March 7, and have refunded it\n\n\
             Hi Alex,\n\n\
             On Friday, March 7 at 9:00 AM EST, you were billed twice for your Pro plan ($49.00).\n\n\
             We reversed the second charge the same day and added a check that stops a plan from \
             being billed twice in one cycle. We have also refunded this month's fee in full.\n\n\
             If anything on your next invoice looks wrong, reply to me directly.\n\n\
             Marcus Lee, Billing Lead\nmarcus.lee@acme.example",
            Resolution,
            Email,
            &[],
        ),
        row(
            "generic-apology hit: apologize for the inconvenience",
            format!("We apologize for the inconvenience. {WINDOW}, your team could not sign in."),
            General,
            Email,
            &["generic-apology"],
        ),
        row(
            "generic-apology hit: sorry for any inconvenience caused",
            "Sorry for any inconvenience caused: your March invoice, sent Friday, March 7 at 9:00 AM, charged you twice.",
            General,
            Email,
            &["generic-apology"],
        ),
        row(
            "generic-apology hit: per our policy",
            "Per our policy, refunds take 5 to 10 business days. Your order #4471, delayed since Monday, June 3 at 8:00 AM, has not shipped.",
            General,
            Email,
            &["generic-apology"],
        ),
        row(
            "generic-apology hit: we value your business, thank you for your understanding",
            "We value your business and thank you for your understanding. Your deliveries on Friday, May 10 after 3:00 PM were delayed by a day.",
            General,
            Email,
            &["generic-apology"],
        ),
        row(
            "generic-apology near-miss: we apologize, alone",
            format!("We apologize. {WINDOW}, your team could not sign in, and that is on us."),
            General,
            Email,
            &[],
        ),
        row(
            "generic-apology near-miss: the word inconvenience, owned",
            format!(
                "Calling this an inconvenience would understate it. {WINDOW}, your checkout failed for every shopper."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "generic-apology near-miss: sorry for something specific",
            "I'm sorry we charged you twice for your October plan on Friday, October 4 at 6:00 AM.",
            General,
            Email,
            &[],
        ),
        row(
            "generic-apology near-miss: a policy named, not hidden behind",
            "On Monday, June 3 at 8:00 AM your order #4471 was charged twice. Our refund policy did not cover this case, so we changed the policy.",
            General,
            Email,
            &[],
        ),
        // ----- incident-not-named -------------------------------------------------------
        row(
            "incident-not-named hit: a time but no date",
            "Earlier today, from 10:00 AM to 2:00 PM EDT, your team could not sign in.",
            General,
            Email,
            &["incident-not-named"],
        ),
        row(
            "incident-not-named hit: a date but no time",
            "On Tuesday, October 15, your team could not sign in for four hours.",
            General,
            Email,
            &["incident-not-named"],
        ),
        row(
            "incident-not-named hit: recently",
            "Recently, some of your invoices were wrong.",
            General,
            Email,
            &["incident-not-named"],
        ),
        row(
            "incident-not-named hit: may is a verb, not a month",
            "You may have seen errors at 10:00 AM when you tried to pay.",
            General,
            Email,
            &["incident-not-named"],
        ),
        row(
            "incident-not-named hit: 24/7 is not a date",
            "Our 24/7 team saw your checkout fail at 10:05 AM.",
            General,
            Email,
            &["incident-not-named"],
        ),
        row(
            "incident-not-named near-miss: ISO date and 24-hour times",
            "On 2024-10-15 between 14:00 and 18:00 UTC, your API calls failed.",
            General,
            Email,
            &[],
        ),
        row(
            "incident-not-named near-miss: the seed's own 10am-2pm",
            "On Tuesday, October 15, 10am-2pm EST, your dashboards were offline.",
            General,
            Email,
            &[],
        ),
        row(
            "incident-not-named near-miss: a.m. with day before month",
            "Between 9 a.m. and 11 a.m. on 3 March, your parcels were not scanned.",
            General,
            Email,
            &[],
        ),
        row(
            "incident-not-named near-miss: numeric US date",
            "On 10/15/2024 from 10:00 AM to 2:00 PM EDT, your team could not sign in.",
            General,
            Email,
            &[],
        ),
        row(
            "incident-not-named near-miss: a status page post needs no date",
            "Investigating: card payments are failing for some stores. Next update in 30 minutes.",
            Status,
            StatusPage,
            &[],
        ),
        // ----- impact-not-stated --------------------------------------------------------
        row(
            "impact-not-stated hit: about our database, not the customer",
            format!("{WINDOW}, our database had a problem and we worked to fix it."),
            General,
            Email,
            &["impact-not-stated"],
        ),
        row(
            "impact-not-stated hit: you, but only to thank",
            "On Tuesday, October 15 at 10:00 AM EDT, we had an outage. Thank you for your patience.",
            General,
            Email,
            &["impact-not-stated"],
        ),
        row(
            "impact-not-stated hit: you do not need to do anything",
            format!("{WINDOW}, our sign-in service was down. You do not need to take any action."),
            General,
            Email,
            &["impact-not-stated"],
        ),
        row(
            "impact-not-stated hit: other customers' impact",
            "On Friday, March 7 at 9:00 AM, some customers were charged twice.",
            General,
            Email,
            &["impact-not-stated"],
        ),
        row(
            "impact-not-stated near-miss: billed twice",
            "On Friday, March 7 at 9:00 AM, you were billed twice for your Pro plan.",
            General,
            Email,
            &[],
        ),
        row(
            "impact-not-stated near-miss: your order will arrive late",
            "Your order #4471, due Friday, May 10 by 5:00 PM, will arrive two days late.",
            General,
            Email,
            &[],
        ),
        row(
            "impact-not-stated near-miss: couldn't with a typographic apostrophe",
            format!("{WINDOW}, your team couldn\u{2019}t export reports."),
            General,
            Email,
            &[],
        ),
        row(
            "impact-not-stated near-miss: a status post need not address an account",
            "Identified: since 10:05 AM EDT, our payment service has been rejecting cards. Next update by 10:45 AM EDT.",
            Status,
            StatusPage,
            &[],
        ),
        // ----- no-named-contact ---------------------------------------------------------
        row(
            "no-named-contact hit: only the support alias",
            follow_up("\n\nQuestions? Email support@example.com."),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: signed by the team",
            follow_up("\n\nThanks,\nThe Acme Cloud team"),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: no contact at all",
            follow_up(""),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: a company name after from",
            "A note from Northwind Logistics: your order #4471, due Friday, May 10 by 5:00 PM, arrived two days late.",
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: a role mailbox with a separator",
            follow_up("\n\nReply to billing-team@example.com with any questions."),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: an incidents mailbox",
            follow_up("\n\nReply to incidents@acme.example with any questions."),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact hit: signed by the support desk",
            follow_up("\n\nBest regards,\nAcme Cloud Support"),
            FollowUp,
            Email,
            &["no-named-contact"],
        ),
        row(
            "no-named-contact near-miss: a name on a signature line",
            follow_up("\n\nDana Whitfield\nHead of Customer Success"),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a personal address",
            follow_up("\n\nQuestions? Write to dana.whitfield@example.com."),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a first-name address",
            follow_up("\n\nQuestions? Write to dana@acme.example."),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a dash, a name and a title",
            follow_up("\n\n\u{2014} Priya Raman, Account Manager"),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a note from a person with a title",
            format!(
                "A note from Dana Whitfield, Head of Customer Success.\n\n{WINDOW}, your team could not sign in. I want to check that everything works for you now."
            ),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a signature name before the team address",
            follow_up("\n\nDana Whitfield <support@acme.example>"),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: call a named person",
            follow_up(" If anything still looks wrong, call Marcus Lee on +1 555 0100."),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: a person and the alias",
            follow_up("\n\nReply to me, Dana Whitfield, or to support@example.com."),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "no-named-contact near-miss: an SMS need not name a person",
            "Acme Cloud: on Tuesday, October 15 from 10:00 AM to 2:00 PM EDT your team could not sign in. Reply HELP for support.",
            FollowUp,
            Sms,
            &[],
        ),
        // ----- no-next-update -----------------------------------------------------------
        row(
            "no-next-update hit: a status post with no promise",
            "Investigating: since 10:05 AM EDT some stores cannot take card payments. We are rolling back a recent change.",
            Status,
            StatusPage,
            &["no-next-update"],
        ),
        row(
            "no-next-update hit: next update soon",
            "Investigating: since 10:05 AM EDT some stores cannot take card payments. We will post the next update soon.",
            Status,
            StatusPage,
            &["no-next-update"],
        ),
        row(
            "no-next-update hit: a time, but in the next sentence",
            "Investigating: we will share the next update soon. Card payments have failed since 10:05 AM EDT.",
            Status,
            StatusPage,
            &["no-next-update"],
        ),
        row(
            "no-next-update hit: update you when we know more",
            "As of 12:00 PM EDT on Tuesday, October 15, your team still cannot sign in. We will update you when we know more.",
            Update,
            Email,
            &["no-next-update"],
        ),
        row(
            "no-next-update near-miss: updates every 15 minutes",
            "Investigating: since 10:05 AM EDT some stores cannot take card payments. Updates every 15 minutes.",
            Status,
            StatusPage,
            &[],
        ),
        row(
            "no-next-update near-miss: in an hour",
            "Investigating: since 10:05 AM EDT some stores cannot take card payments. Next update in an hour.",
            Status,
            StatusPage,
            &[],
        ),
        row(
            "no-next-update near-miss: update you by a time",
            "As of 12:00 PM EDT on Tuesday, October 15, your team still cannot sign in. We will update you by 12:30 PM EDT.",
            Update,
            Email,
            &[],
        ),
        row(
            "no-next-update near-miss: at 11 a.m.",
            "As of 10:20 AM ET on Monday, June 3, your parcels are not being scanned. Next update at 11 a.m. ET.",
            Update,
            Email,
            &[],
        ),
        // ----- resolution-without-action ------------------------------------------------
        row(
            "no-next-update near-miss: at noon",
            "As of 11:00 AM EDT on Tuesday, October 15, your exports are delayed. Next update at noon.",
            Update,
            Email,
            &[],
        ),
        row(
            "no-next-update near-miss: I will email you by a time",
            "Your order #4471, due Friday, May 10 by 5:00 PM, will arrive late. I will email you with a new delivery time by 2:00 PM today.",
            Update,
            Email,
            &[],
        ),
        row(
            "resolution-without-action hit: it is fixed",
            resolution(
                "The issue is now fixed.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &["resolution-without-action"],
        ),
        row(
            "resolution-without-action hit: service has been restored",
            resolution(
                "Service has been restored.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &["resolution-without-action"],
        ),
        row(
            "resolution-without-action hit: the incident has been resolved",
            resolution(
                "This incident has been resolved.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &["resolution-without-action"],
        ),
        row(
            "resolution-without-action near-miss: we rolled back and verified",
            resolution(
                "We rolled back the failed migration and verified every service.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-action near-miss: our billing team reissued",
            resolution(
                "Our billing team reissued your October invoice.",
                "We refunded the $49.00 late fee.",
            ),
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-action near-miss: we've restored, typographic",
            resolution(
                "We\u{2019}ve restored sign-in by undoing the change we made at 9:58 AM.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &[],
        ),
        // ----- resolution-without-remedy ------------------------------------------------
        row(
            "resolution-without-action near-miss: our engineers have reverted",
            resolution(
                "Our engineers have reverted the change and re-ran every failed export.",
                "A credit of $1,806.45 will appear on your next invoice.",
            ),
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-remedy hit: nothing for the account",
            resolution(
                "We rolled back the failed migration and verified every service.",
                "Thank you for bearing with us.",
            ),
            Resolution,
            Email,
            &["resolution-without-remedy"],
        ),
        row(
            "resolution-without-remedy hit: a credit card is not a credit",
            "On Friday, March 7 at 9:00 AM EST, your credit card was charged for the wrong plan. We corrected the plan on your account.\n\nDana Whitfield\ndana.whitfield@example.com",
            Resolution,
            Email,
            &["resolution-without-remedy"],
        ),
        row(
            "resolution-without-remedy hit: an extended outage is not an extension",
            resolution(
                "After an extended outage, we restored sign-in at 2:00 PM.",
                "Thank you for bearing with us.",
            ),
            Resolution,
            Email,
            &["resolution-without-remedy"],
        ),
        row(
            "resolution-without-remedy near-miss: a refund",
            "Your order #4471, due Friday, May 10 by 5:00 PM, arrived two days late. We have refunded your shipping fee of $12.00.\n\nDana Whitfield\ndana.whitfield@example.com",
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-remedy near-miss: no credit applies, and why",
            resolution(
                "We rolled back the failed migration.",
                "No credit applies because your plan's uptime for October stayed above 99.9%; if you see it differently, tell me.",
            ),
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-remedy near-miss: a trial extended",
            resolution(
                "We restored sign-in at 2:00 PM.",
                "We have extended your trial by 30 days.",
            ),
            Resolution,
            Email,
            &[],
        ),
        row(
            "resolution-without-remedy near-miss: a status page post owes no remedy",
            "Resolved: sign-in works again. We rolled back the change at 1:52 PM EDT.",
            Resolution,
            StatusPage,
            &[],
        ),
        // ----- third-party-blame --------------------------------------------------------
        row(
            "third-party-blame hit: due to an AWS outage",
            format!("{WINDOW}, your dashboards were offline due to an AWS outage."),
            General,
            Email,
            &["third-party-blame"],
        ),
        row(
            "third-party-blame hit: our cloud provider",
            format!(
                "{WINDOW}, your team could not sign in. Our cloud provider had a network failure."
            ),
            General,
            Email,
            &["third-party-blame"],
        ),
        row(
            "third-party-blame hit: beyond our control",
            format!("{WINDOW}, your checkout failed for reasons beyond our control."),
            General,
            Email,
            &["third-party-blame"],
        ),
        row(
            "third-party-blame hit: because of a UPS delay",
            "Your parcel, due Friday, May 10 by 5:00 PM, will arrive late because of a UPS sorting delay.",
            General,
            Email,
            &["third-party-blame"],
        ),
        row(
            "third-party-blame hit: a third-party vendor failed",
            format!("{WINDOW}, your invoices were late because a third-party vendor failed."),
            General,
            Email,
            &["third-party-blame"],
        ),
        row(
            "third-party-blame near-miss: AWS named neutrally",
            format!(
                "{WINDOW}, your dashboards were offline. We run on AWS in a single region, and we chose not to pay for a second one. That was our decision, and we are changing it."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "third-party-blame near-miss: caused by our own Stripe code",
            "On Friday, March 7 at 9:00 AM EST, your customers were charged twice. This was caused by our Stripe webhook code, which we wrote and did not test well enough.",
            General,
            Email,
            &[],
        ),
        row(
            "third-party-blame near-miss: nothing shared with a third party",
            format!(
                "{WINDOW}, your team could not sign in. No card data was shared with a third party."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "third-party-blame near-miss: owning the single provider",
            format!(
                "{WINDOW}, your text alerts were not sent. We relied on a single provider for SMS and had no fallback. We are adding one."
            ),
            General,
            Email,
            &[],
        ),
        // ----- reading-grade ------------------------------------------------------------
        row(
            "reading-grade hit: written for engineers",
            dense_rca(),
            Rca,
            Email,
            &["reading-grade"],
        ),
        row(
            "reading-grade hit: billing summary in nominalisations",
            "On Friday, March 7, at 9:00 AM EST, your organization was charged twice.\n\n\
             The duplicated invoicing originated from an inadequately coordinated reconciliation \
             procedure, whereby simultaneously executing subscription renewal operations \
             independently generated invoices notwithstanding previously completed transactions.\n\n\
             Dana Whitfield\ndana.whitfield@example.com",
            Rca,
            Email,
            &["reading-grade"],
        ),
        row(
            "reading-grade hit: one endless sentence",
            "On Monday, June 3, from 8:00 AM to 6:00 PM, your shipments were delayed because a \
             warehouse scheduling change that we made on the previous evening without checking it \
             against the holiday calendar moved every pick-up in the region to the following day \
             and nobody on our team noticed the mistake until customers began to call us in the \
             late afternoon to ask where their parcels were and why the tracking pages had stopped \
             moving.\n\nDana Whitfield\ndana.whitfield@example.com",
            Rca,
            Email,
            &["reading-grade"],
        ),
        row(
            "reading-grade near-miss: the dense text in a follow-up is not graded",
            dense_rca(),
            FollowUp,
            Email,
            &[],
        ),
        row(
            "reading-grade near-miss: plain delivery summary",
            "On Monday, June 3, from 8:00 AM to 6:00 PM, your shipments were late.\n\n\
             What happened: the night before, we changed how our warehouse plans pick-ups. We did \
             not check the change against the holiday calendar. So every pick-up in your region \
             moved to the next day.\n\n\
             What we changed: a person now checks each plan change against the calendar. We also \
             get an alert when pick-ups drop.\n\n\
             Dana Whitfield\ndana.whitfield@example.com",
            Rca,
            Email,
            &[],
        ),
        row(
            "reading-grade near-miss: plain billing summary",
            "On Friday, March 7, at 9:00 AM EST, you were charged twice.\n\n\
             Two copies of our billing job ran at once. Each one sent you a bill. We now stop a \
             second copy from starting, and we check for double bills every hour.\n\n\
             Dana Whitfield\ndana.whitfield@example.com",
            Rca,
            Email,
            &[],
        ),
        // ----- unexplained-jargon -------------------------------------------------------
        row(
            "reading-grade near-miss: bullets are sentences of their own",
            format!(
                "{WINDOW}, your team could not sign in.\n\n\
                 What we changed:\n\
                 - every database change is now tried on a full copy of real data first\n\
                 - a second engineer approves each change before it runs\n\
                 - we can undo a change in minutes, not hours{SIGNATURE}"
            ),
            Rca,
            Email,
            &[],
        ),
        row(
            "unexplained-jargon hit: DNS",
            format!("{WINDOW}, your site was down after a DNS change we made."),
            General,
            Email,
            &["unexplained-jargon"],
        ),
        row(
            "unexplained-jargon hit: p99 latency",
            format!("{WINDOW}, your API calls were slow: p99 latency rose to 9 seconds."),
            General,
            Email,
            &["unexplained-jargon"],
        ),
        row(
            "unexplained-jargon hit: failover",
            format!(
                "{WINDOW}, your dashboards were offline because the failover did not complete."
            ),
            General,
            Email,
            &["unexplained-jargon"],
        ),
        row(
            "unexplained-jargon hit: 502 errors",
            format!("{WINDOW}, your storefront returned 502 errors to shoppers."),
            General,
            Email,
            &["unexplained-jargon"],
        ),
        row(
            "unexplained-jargon near-miss: DNS explained in parentheses",
            format!(
                "{WINDOW}, your site was down after we changed its DNS (the system that points your web address at our servers)."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "unexplained-jargon near-miss: plain words first, the term in parentheses",
            format!(
                "{WINDOW}, your site was down after we changed its entry in the internet's address book (DNS)."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "unexplained-jargon near-miss: 502 as a count",
            "All 502 of your orders placed on Monday, June 3 after 8:00 AM shipped a day late.",
            General,
            Email,
            &[],
        ),
        row(
            "unexplained-jargon near-miss: failover, which means",
            format!(
                "{WINDOW}, your API calls were slow. We triggered a failover, which means we moved your traffic to our backup site."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "unexplained-jargon near-miss: latency between dashes",
            format!(
                "{WINDOW}, your reports were slow: latency \u{2014} the time each request takes \u{2014} rose tenfold."
            ),
            General,
            Email,
            &[],
        ),
        // ----- too-long -----------------------------------------------------------------
        row(
            "too-long hit: SMS of 4 segments, 503 characters",
            sms_update(6, '\''),
            Update,
            Sms,
            &["too-long"],
        ),
        row(
            "too-long hit: typographic apostrophes make a 259-character SMS UCS-2, 4 segments",
            sms_update(2, '\u{2019}'),
            Update,
            Sms,
            &["too-long"],
        ),
        row(
            "too-long hit: status page post over 1500 characters",
            status_post(1600),
            Status,
            StatusPage,
            &["too-long"],
        ),
        row(
            "too-long hit: chat message over 4000 characters",
            late_orders(4100),
            General,
            Chat,
            &["too-long"],
        ),
        row(
            "too-long near-miss: SMS of 3 segments, 442 characters",
            sms_update(5, '\''),
            Update,
            Sms,
            &[],
        ),
        row(
            "too-long near-miss: the 259-character SMS with plain apostrophes, 2 segments",
            sms_update(2, '\''),
            Update,
            Sms,
            &[],
        ),
        row(
            "too-long near-miss: status page post under 1500 characters",
            status_post(1400),
            Status,
            StatusPage,
            &[],
        ),
        row(
            "too-long near-miss: an email has no length limit",
            late_orders(5000),
            General,
            Email,
            &[],
        ),
        // ----- unrendered-placeholder ---------------------------------------------------
        row(
            "unrendered-placeholder hit: template syntax",
            format!("Hi {{{{ contact.first_name }}}},\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            &["unrendered-placeholder"],
        ),
        row(
            "unrendered-placeholder hit: [service]",
            format!("{WINDOW}, [service] was unavailable and your team could not sign in."),
            General,
            Email,
            &["unrendered-placeholder"],
        ),
        row(
            "unrendered-placeholder hit: TODO",
            format!(
                "{WINDOW}, your team could not sign in. A credit of TODO will appear on your next invoice."
            ),
            General,
            Email,
            &["unrendered-placeholder"],
        ),
        row(
            "unrendered-placeholder hit: single-brace field",
            format!("Hi {{first_name}},\n\n{WINDOW}, your orders were delayed."),
            General,
            Email,
            &["unrendered-placeholder"],
        ),
        row(
            "unrendered-placeholder hit: %s",
            format!("{WINDOW}, your team could not reach %s."),
            General,
            Email,
            &["unrendered-placeholder"],
        ),
        row(
            "unrendered-placeholder near-miss: a markdown link",
            format!(
                "{WINDOW}, your team could not sign in. The full timeline is on our [status page](https://status.example.com/incidents/812)."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "unrendered-placeholder near-miss: a bracketed timestamp",
            "[Updated 11:00 AM EDT] Card payments are failing for some stores. Next update by 11:30 AM EDT.",
            Status,
            StatusPage,
            &[],
        ),
        row(
            "unrendered-placeholder near-miss: a to-do list",
            format!("{WINDOW}, your team could not sign in, so your to-do lists did not sync."),
            General,
            Email,
            &[],
        ),
        row(
            "unrendered-placeholder near-miss: the seed's status template, filled",
            "We are investigating an issue affecting sign-in. Updates every 15 minutes.",
            Status,
            StatusPage,
            &[],
        ),
        // ----- empty-value --------------------------------------------------------------
        row(
            "empty-value hit: Dear ,",
            format!("Dear ,\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            &["empty-value"],
        ),
        row(
            "empty-value hit: null",
            format!(
                "{WINDOW}, your team could not sign in. Your account manager, null, will call you today."
            ),
            General,
            Email,
            &["empty-value"],
        ),
        row(
            "empty-value hit: an empty amount",
            format!(
                "{WINDOW}, your team could not sign in. A credit of $ will appear on your next invoice."
            ),
            General,
            Email,
            &["empty-value"],
        ),
        row(
            "empty-value hit: NaN",
            format!(
                "{WINDOW}, your team could not sign in. A credit of $NaN will appear on your next invoice."
            ),
            General,
            Email,
            &["empty-value"],
        ),
        row(
            "empty-value hit: a rendered None",
            format!("{WINDOW}, your order (None) was delayed."),
            General,
            Email,
            &["empty-value"],
        ),
        row(
            "empty-value near-miss: Hi Priya,",
            format!("Hi Priya,\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            &[],
        ),
        row(
            "empty-value near-miss: Hi there,",
            format!("Hi there,\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            &[],
        ),
        row(
            "empty-value near-miss: none, in plain English",
            format!("{WINDOW}, your team could not sign in. Data lost: none."),
            General,
            Email,
            &[],
        ),
        row(
            "empty-value near-miss: a real amount",
            format!(
                "{WINDOW}, your team could not sign in. A credit of $1,806.45 will appear on your next invoice."
            ),
            General,
            Email,
            &[],
        ),
        row(
            "empty-value near-miss: a phone call needs no contact and no update",
            format!("{WINDOW}, your team could not sign in."),
            General,
            Phone,
            &[],
        ),
    ]
}

fn ids(found: &[Finding]) -> BTreeSet<&'static str> {
    found.iter().map(|f| f.rule.id()).collect()
}

fn lint_default(text: &str, purpose: Purpose, channel: Channel) -> Vec<Finding> {
    lint(
        &Message::new(text, purpose, channel),
        &LintConfig::default(),
    )
}

#[test]
fn every_row_trips_exactly_its_rules() {
    let mut failures = Vec::new();
    for r in rows() {
        let got = ids(&lint_default(&r.text, r.purpose, r.channel));
        let expected: BTreeSet<&str> = r.expect.iter().copied().collect();
        if got != expected {
            failures.push(format!(
                "row: {}\n  purpose: {}, channel: {}\n  text: {:?}\n  got:      {:?}\n  expected: {:?}",
                r.name, r.purpose, r.channel, r.text, got, expected
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} row(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_table_covers_every_rule_both_ways() {
    let rows = rows();
    assert!(rows.len() >= 70, "only {} rows", rows.len());
    let names: BTreeSet<&str> = rows.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), rows.len(), "row names must be unique");
    for id in rows.iter().flat_map(|r| r.expect) {
        assert!(Rule::from_id(id).is_some(), "no rule {id}");
    }
    for rule in Rule::ALL {
        let id = rule.id();
        let hits = rows
            .iter()
            .filter(|r| r.name.starts_with(&format!("{id} hit:")) && r.expect.contains(&id))
            .count();
        let near_misses = rows
            .iter()
            .filter(|r| r.name.starts_with(&format!("{id} near-miss:")) && !r.expect.contains(&id))
            .count();
        assert!(hits >= 3, "{id}: {hits} hit rows");
        assert!(near_misses >= 3, "{id}: {near_misses} near-miss rows");
    }
}

#[test]
fn the_length_rows_are_the_sizes_they_claim() {
    assert_eq!(sms_segments(&sms_update(6, '\'')), 4);
    assert_eq!(sms_segments(&sms_update(5, '\'')), 3);
    assert_eq!(sms_segments(&sms_update(2, '\'')), 2);
    assert_eq!(sms_segments(&sms_update(2, '\u{2019}')), 4);
    assert!(status_post(1600).chars().count() > 1500);
    assert!(status_post(1400).chars().count() <= 1500);
    assert!(late_orders(4100).chars().count() > 4000);
}

#[test]
fn the_good_root_cause_summary_reads_below_grade_10_and_the_dense_one_above() {
    let good = reading_grade(&good_rca());
    assert!(good < 10.0, "good RCA reads at grade {good:.1}");
    let dense = reading_grade(&dense_rca());
    assert!(dense > 10.0, "dense RCA reads at grade {dense:.1}");
}

/// The text each finding of `rule` points at.
fn pointed_at(text: &str, purpose: Purpose, channel: Channel, rule: Rule) -> Vec<String> {
    lint_default(text, purpose, channel)
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| text[f.range].to_string())
        .collect()
}

/// A case of a positional rule: its name, the text, what it is for, the rule, and the text
/// each of the rule's findings must point at.
type Positional = (
    &'static str,
    String,
    Purpose,
    Channel,
    Rule,
    &'static [&'static str],
);

#[test]
fn positional_findings_point_at_the_offending_text() {
    use Channel::{Email, StatusPage};
    use Purpose::{FollowUp, General, Status};
    let cases: &[Positional] = &[
        (
            "generic apology",
            format!("We apologize for the inconvenience. {WINDOW}, your team could not sign in."),
            General,
            Email,
            Rule::GenericApology,
            &["apologize for the inconvenience"],
        ),
        (
            "two generic phrases",
            "We value your business and thank you for your understanding. Your deliveries on Friday, May 10 after 3:00 PM were delayed by a day.".to_string(),
            General,
            Email,
            Rule::GenericApology,
            &["We value your business", "thank you for your understanding"],
        ),
        (
            "supplier blamed",
            format!("{WINDOW}, your dashboards were offline due to an AWS outage."),
            General,
            Email,
            Rule::ThirdPartyBlame,
            &["AWS"],
        ),
        (
            "provider blamed",
            format!("{WINDOW}, your team could not sign in. Our cloud provider had a network failure."),
            General,
            Email,
            Rule::ThirdPartyBlame,
            &["Our cloud provider"],
        ),
        (
            "jargon",
            format!("{WINDOW}, your API calls were slow: p99 latency rose to 9 seconds."),
            General,
            Email,
            Rule::UnexplainedJargon,
            &["p99", "latency"],
        ),
        (
            "bracket placeholder",
            "We are investigating an issue affecting [service]. Updates every 15 minutes."
                .to_string(),
            Status,
            StatusPage,
            Rule::UnrenderedPlaceholder,
            &["[service]"],
        ),
        (
            "template placeholder",
            format!("Hi {{{{ contact.first_name }}}},\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            Rule::UnrenderedPlaceholder,
            &["{{ contact.first_name }}"],
        ),
        (
            "TODO",
            format!("{WINDOW}, your team could not sign in. A credit of TODO will appear."),
            General,
            Email,
            Rule::UnrenderedPlaceholder,
            &["TODO"],
        ),
        (
            "empty greeting",
            format!("Dear ,\n\n{WINDOW}, your team could not sign in."),
            General,
            Email,
            Rule::EmptyValue,
            &["Dear ,"],
        ),
        (
            "null",
            format!("{WINDOW}, your team could not sign in. Your account manager, null, will call you."),
            General,
            Email,
            Rule::EmptyValue,
            &["null"],
        ),
        (
            "empty amount",
            format!("{WINDOW}, your team could not sign in. A credit of $ will appear."),
            General,
            Email,
            Rule::EmptyValue,
            &["$"],
        ),
        (
            "support alias",
            follow_up("\n\nQuestions? Email support@example.com."),
            FollowUp,
            Email,
            Rule::NoNamedContact,
            &["support"],
        ),
    ];
    for (name, text, purpose, channel, rule, expected) in cases {
        let got = pointed_at(text, *purpose, *channel, *rule);
        assert_eq!(got, *expected, "{name}: {text:?}");
    }
}

#[test]
fn missing_things_are_reported_at_the_start_and_come_first() {
    let found = lint_default(
        "We're investigating an issue. Per our policy, updates follow.",
        Purpose::Acknowledgment,
        Channel::Email,
    );
    let missing: Vec<&Finding> = found.iter().filter(|f| f.range.is_empty()).collect();
    assert_eq!(missing.len(), 4, "{found:#?}");
    assert!(missing.iter().all(|f| f.range == (0..0)));
    let first_positional = found.iter().position(|f| !f.range.is_empty());
    assert_eq!(first_positional, Some(4), "{found:#?}");
    assert_eq!(found[4].rule, Rule::GenericApology);
}

#[test]
fn a_too_long_finding_covers_the_whole_text() {
    let text = status_post(1600);
    let found = lint_default(&text, Purpose::Status, Channel::StatusPage);
    let too_long: Vec<&Finding> = found.iter().filter(|f| f.rule == Rule::TooLong).collect();
    assert_eq!(too_long.len(), 1);
    assert_eq!(too_long[0].range, 0..text.len());
}

#[test]
fn allow_silences_a_rule_and_deny_is_reported_as_deny() {
    let text =
        format!("We apologize for the inconvenience. {WINDOW}, your team could not sign in.");
    let message = Message::new(&text, Purpose::General, Channel::Email);

    let default = lint(&message, &LintConfig::default());
    assert_eq!(ids(&default), BTreeSet::from(["generic-apology"]));
    assert_eq!(default[0].level, Level::Deny);

    let mut config = LintConfig::default();
    config.set_level(Rule::GenericApology, Level::Allow);
    assert_eq!(config.level(Rule::GenericApology), Level::Allow);
    assert!(lint(&message, &config).is_empty());

    config.set_level(Rule::GenericApology, Level::Warn);
    let found = lint(&message, &config);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].level, Level::Warn);

    let seed = Message::new(
        "We're investigating an issue.",
        Purpose::Acknowledgment,
        Channel::Email,
    );
    let mut config = LintConfig::default();
    for rule in [
        Rule::IncidentNotNamed,
        Rule::ImpactNotStated,
        Rule::NoNamedContact,
    ] {
        config.set_level(rule, Level::Allow);
    }
    config.set_level(Rule::NoNextUpdate, Level::Deny);
    let found = lint(&seed, &config);
    assert_eq!(ids(&found), BTreeSet::from(["no-next-update"]));
    assert_eq!(found[0].level, Level::Deny);
}

#[test]
fn every_rule_can_be_allowed() {
    let mut config = LintConfig::default();
    for rule in Rule::ALL {
        config.set_level(*rule, Level::Allow);
    }
    for r in rows() {
        let found = lint(&Message::new(&r.text, r.purpose, r.channel), &config);
        assert!(found.is_empty(), "{}: {found:#?}", r.name);
    }
}

#[test]
fn thresholds_come_from_the_config() {
    let dense = dense_rca();
    let message = Message::new(&dense, Purpose::Rca, Channel::Email);
    let mut config = LintConfig::default();
    assert_eq!(
        ids(&lint(&message, &config)),
        BTreeSet::from(["reading-grade"])
    );
    config.max_reading_grade = 40;
    assert!(lint(&message, &config).is_empty());

    let sms = sms_update(5, '\'');
    let message = Message::new(&sms, Purpose::Update, Channel::Sms);
    let mut config = LintConfig::default();
    assert!(lint(&message, &config).is_empty());
    config.max_sms_segments = 2;
    assert_eq!(ids(&lint(&message, &config)), BTreeSet::from(["too-long"]));

    let post = status_post(1400);
    let message = Message::new(&post, Purpose::Status, Channel::StatusPage);
    let mut config = LintConfig::default();
    config.max_status_chars = 1000;
    assert_eq!(ids(&lint(&message, &config)), BTreeSet::from(["too-long"]));
}

#[test]
fn the_named_contact_requirement_can_be_turned_off_per_step() {
    let text = follow_up("\n\nQuestions? Email support@example.com.");
    let mut message = Message::new(&text, Purpose::FollowUp, Channel::Email);
    assert!(message.needs_named_contact);
    assert_eq!(
        ids(&lint(&message, &LintConfig::default())),
        BTreeSet::from(["no-named-contact"])
    );
    message.needs_named_contact = false;
    assert!(lint(&message, &LintConfig::default()).is_empty());
}

/// With several addresses, the finding points at the first shared mailbox, and a personal
/// address anywhere among them (first, between or last) names someone.
#[test]
fn a_shared_mailbox_is_reported_at_the_first_and_a_personal_address_anywhere_answers() {
    let text = follow_up("\n\nEmail support@example.com, billing@example.com or help@example.com.");
    let message = Message::new(&text, Purpose::FollowUp, Channel::Email);
    let found = lint(&message, &LintConfig::default());
    assert_eq!(ids(&found), BTreeSet::from(["no-named-contact"]));
    assert_eq!(&text[found[0].range.clone()], "support");
    for addresses in [
        "dana@example.com, support@example.com or billing@example.com",
        "support@example.com, dana@example.com or billing@example.com",
        "support@example.com, billing@example.com or dana@example.com",
    ] {
        let text = follow_up(&format!("\n\nEmail {addresses}."));
        let message = Message::new(&text, Purpose::FollowUp, Channel::Email);
        assert!(
            lint(&message, &LintConfig::default()).is_empty(),
            "{addresses}"
        );
    }
}
