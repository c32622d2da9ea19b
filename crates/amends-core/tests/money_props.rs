//! Properties of money and credit arithmetic: text round trips at the currency's scale,
//! rounding error bounds, service credits bounded and monotone, addition laws, and SLA credits
//! capped and non-increasing in uptime.

use std::sync::OnceLock;

use amends_core::account::{self, Account};
use amends_core::money::{Currency, Money};
use amends_core::playbook::{DayBasis, Playbook, Remedy, SlaSchedule, SlaTier};
use amends_core::remediation::{self, BillingMonth, Context};
use amends_core::time::Minutes;
use proptest::prelude::*;
use rust_decimal::Decimal;

const DEMO: &str = include_str!("../../../demo/playbook.toml");

const CODES: &[&str] = &["USD", "EUR", "GBP", "JPY", "KRW", "CLP", "KWD", "CHF"];

fn currency(code: &str) -> Currency {
    code.parse().expect("known currency")
}

fn pow10(n: u32) -> u64 {
    10u64.pow(n)
}

/// An amount written with exactly the currency's number of decimals.
fn text(units: u64, minor: u8) -> String {
    if minor == 0 {
        units.to_string()
    } else {
        let m = u32::from(minor);
        format!(
            "{}.{:0w$}",
            units / pow10(m),
            units % pow10(m),
            w = usize::from(minor)
        )
    }
}

/// Half of the currency's minor unit (0.005 for USD, 0.5 for JPY, 0.0005 for KWD).
fn half_unit(c: Currency) -> Decimal {
    Decimal::new(5, u32::from(c.minor_units()) + 1)
}

fn money(units: u64, c: Currency) -> Money {
    Money::parse(&text(units, c.minor_units()), c).expect("valid amount")
}

fn currency_strategy() -> impl Strategy<Value = Currency> {
    prop::sample::select(CODES).prop_map(currency)
}

// ---------------------------------------------------------------------------------------------
// Text and rounding

proptest! {
    #[test]
    fn amounts_round_trip_through_text_at_the_currency_scale(
        c in currency_strategy(),
        units in 0u64..1_000_000_000_000_000,
    ) {
        let t = text(units, c.minor_units());
        let m = Money::parse(&t, c).expect("parses");
        prop_assert_eq!(m.to_string(), format!("{t} {}", c.code()));
        prop_assert_eq!(m.amount().scale(), u32::from(c.minor_units()));
        prop_assert_eq!(m.amount().to_string(), t.clone());
        // The displayed amount parses back to the same value.
        prop_assert_eq!(Money::parse(&m.amount().to_string(), c), Ok(m));
        // Fewer decimals than the currency has are padded, not refused.
        if c.minor_units() > 0 {
            let whole = units / pow10(u32::from(c.minor_units()));
            let short = Money::parse(&whole.to_string(), c).expect("whole amount");
            prop_assert_eq!(short.amount().scale(), u32::from(c.minor_units()));
            prop_assert_eq!(short.amount(), Decimal::from(whole));
        }
    }

    #[test]
    fn more_decimals_than_the_currency_has_are_refused(
        c in currency_strategy(),
        units in 0u64..1_000_000_000,
        extra in 1u64..10,
    ) {
        // One more decimal, not zero.
        let t = format!("{}{extra}", text(units, c.minor_units()));
        let t = if c.minor_units() == 0 { format!("{units}.{extra}") } else { t };
        prop_assert!(Money::parse(&t, c).is_err(), "{} accepted in {}", t, c);
    }

    #[test]
    fn rounding_is_within_half_a_minor_unit_and_half_goes_up(
        c in currency_strategy(),
        mantissa in 0i64..1_000_000_000_000_000,
        scale in 0u32..12,
    ) {
        let exact = Decimal::new(mantissa, scale);
        let r = Money::rounded(exact, c);
        let diff = (r.amount() - exact).abs();
        let half = half_unit(c);
        prop_assert!(diff <= half, "{} rounded to {} ({})", exact, r, c);
        prop_assert_eq!(r.amount().scale(), u32::from(c.minor_units()));
        if diff == half {
            prop_assert!(r.amount() > exact, "a half is rounded away from zero");
        }
        // Rounding an already rounded amount changes nothing.
        prop_assert_eq!(Money::rounded(r.amount(), c), r);
        // Rounding is monotone.
        let bigger = Money::rounded(exact + Decimal::new(1, scale), c);
        prop_assert!(bigger.amount() >= r.amount());
    }
}

// ---------------------------------------------------------------------------------------------
// Addition

proptest! {
    #[test]
    fn checked_add_is_associative_and_commutative_in_one_currency(
        c in currency_strategy(),
        a in 0u64..1_000_000_000_000,
        b in 0u64..1_000_000_000_000,
        d in 0u64..1_000_000_000_000,
    ) {
        let (a, b, d) = (money(a, c), money(b, c), money(d, c));
        let ab = a.checked_add(b).expect("same currency");
        prop_assert_eq!(Some(ab), b.checked_add(a));
        let left = ab.checked_add(d);
        let right = b.checked_add(d).and_then(|bd| a.checked_add(bd));
        prop_assert_eq!(left, right);
        prop_assert_eq!(ab.amount(), a.amount() + b.amount());
        prop_assert_eq!(ab.currency(), c);
        prop_assert_eq!(a.checked_add(Money::zero(c)), Some(a));
        let max = a.checked_max(b).expect("same currency");
        prop_assert_eq!(max.amount(), a.amount().max(b.amount()));
    }

    #[test]
    fn different_currencies_never_add(
        a in 0u64..1_000_000, b in 0u64..1_000_000,
        i in 0usize..8, j in 0usize..8,
    ) {
        prop_assume!(i != j);
        let (x, y) = (money(a, currency(CODES[i])), money(b, currency(CODES[j])));
        prop_assert_eq!(x.checked_add(y), None);
        prop_assert_eq!(x.checked_max(y), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Service credits, through remediation::decide

struct Fixture {
    playbook: Playbook,
    account: Account,
    /// Index of the enterprise × S2 rule (one remedy, no duration band).
    rule: usize,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let playbook = Playbook::parse("demo/playbook.toml", DEMO).expect("demo");
        let csv = "\
id,name,tier,segment,monthly_fee,currency,sla,owner,contact_name,contact_email,contact_phone,preferred_channel,time_zone
p-1,Prop Co,enterprise,na-east,100.00,USD,,,Pat Doe,pat@prop.example,,email,America/New_York
";
        let account = account::parse_csv("a.csv", csv, &playbook)
            .expect("account")
            .remove(0);
        let rule = playbook
            .remediation
            .rules
            .iter()
            .position(|r| r.tier.as_str() == "enterprise" && r.severity.as_str() == "S2")
            .expect("enterprise S2");
        Fixture {
            playbook,
            account,
            rule,
        }
    })
}

/// The credit `decide` gives for `days` of service credit on `fee_cents` (USD), with the
/// credit-day basis `basis` in a month of `month_days`.
fn service_credit(days: Decimal, fee_cents: u64, basis: DayBasis, month_days: u32) -> Decimal {
    let f = fixture();
    let mut playbook = f.playbook.clone();
    playbook.remediation.day_basis = basis;
    playbook.remediation.rules[f.rule].remedies = vec![Remedy::ServiceCreditDays(days)];
    let mut account = f.account.clone();
    account.monthly_fee = money(fee_cents, currency("USD"));
    let ctx = Context {
        severity: playbook.severity("S2").expect("S2").0,
        duration: Minutes::new(60),
        month: BillingMonth { days: month_days },
        downtime_by_month: Vec::new(),
    };
    let d = remediation::decide(&playbook, &account, &ctx).expect("decision");
    assert_eq!(d.granted.len(), 1);
    d.credit.amount()
}

fn days_strategy() -> impl Strategy<Value = (u32, Decimal, Decimal)> {
    // A basis of 1 to 31 days and two credit-day counts at most the basis, smaller first,
    // with up to two decimals.
    (1u32..=31).prop_flat_map(|basis| {
        let max = i64::from(basis) * 100;
        (Just(basis), 0..=max, 0..=max).prop_map(|(b, x, y)| {
            let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
            (b, Decimal::new(lo, 2), Decimal::new(hi, 2))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_service_credit_is_bounded_by_the_fee_and_monotone_in_days(
        (basis, fewer, more) in days_strategy(),
        fee in 0u64..10_000_000_000,
    ) {
        let fee_amount = money(fee, currency("USD")).amount();
        let small = service_credit(fewer, fee, DayBasis::Fixed(basis), 31);
        let large = service_credit(more, fee, DayBasis::Fixed(basis), 31);
        prop_assert!(small >= Decimal::ZERO);
        prop_assert!(small <= large, "{} days gave {} but {} days gave {}", fewer, small, more, large);
        prop_assert!(large <= fee_amount, "{} of {} days gave {} > fee {}", more, basis, large, fee_amount);
        // The exact formula, rounded once.
        let exact = fee_amount * more / Decimal::from(basis);
        prop_assert!((large - exact).abs() <= Decimal::new(5, 3));
        if more == Decimal::from(basis) {
            prop_assert_eq!(large, fee_amount, "a whole basis of days is the whole fee");
        }
    }

    #[test]
    fn a_service_credit_is_monotone_in_the_fee(
        days in 0i64..=3100,
        a in 0u64..10_000_000_000,
        b in 0u64..10_000_000_000,
        month_days in 28u32..=31,
    ) {
        let days = Decimal::new(days, 2);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let small = service_credit(days, lo, DayBasis::DaysInMonth, month_days);
        let large = service_credit(days, hi, DayBasis::DaysInMonth, month_days);
        prop_assert!(Decimal::ZERO <= small && small <= large, "{} then {}", small, large);
        if days <= Decimal::from(month_days) {
            prop_assert!(large <= money(hi, currency("USD")).amount());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SLA credits

/// A schedule as the playbook checker accepts it: distinct thresholds, highest first, credit
/// not shrinking as uptime falls.
fn schedule_strategy() -> impl Strategy<Value = SlaSchedule> {
    (
        prop::collection::btree_set(0i64..=1_000_000, 1..5),
        prop::collection::vec(0i64..=100, 5),
        0i64..=100,
        prop::option::of(0u64..100_000),
    )
        .prop_map(|(thresholds, mut credits, cap, minimum)| {
            credits.sort_unstable();
            // Highest threshold first, with the smallest credit.
            let tiers = thresholds
                .iter()
                .rev()
                .zip(credits)
                .map(|(t, c)| SlaTier {
                    uptime_below: Decimal::new(*t, 4),
                    credit_percent: Decimal::from(c),
                })
                .collect();
            let usd = currency("USD");
            SlaSchedule {
                name: amends_core::domain::Key::parse("schedule", "prop").expect("key"),
                description: String::new(),
                source: None,
                tiers,
                cap_percent: Decimal::from(cap),
                minimum_credit: minimum
                    .map(|m| [(usd, money(m, usd))].into_iter().collect())
                    .unwrap_or_default(),
            }
        })
}

proptest! {
    #[test]
    fn sla_credit_never_exceeds_the_cap_and_does_not_grow_with_uptime(
        schedule in schedule_strategy(),
        fee in 0u64..10_000_000_000,
        u1 in 0i64..=1_000_000,
        u2 in 0i64..=1_000_000,
    ) {
        let fee = money(fee, currency("USD"));
        let (lo, hi) = if u1 <= u2 { (u1, u2) } else { (u2, u1) };
        let worse = remediation::sla_credit(&schedule, Decimal::new(lo, 4), fee);
        let better = remediation::sla_credit(&schedule, Decimal::new(hi, 4), fee);
        for c in [&worse, &better] {
            prop_assert!(c.credit_percent <= schedule.cap_percent);
            let cap = fee.amount() * schedule.cap_percent / Decimal::ONE_HUNDRED;
            prop_assert!(c.credit.amount() <= cap + half_unit(fee.currency()),
                "{} over the cap {}", c.credit, cap);
            prop_assert!(c.credit.amount() >= Decimal::ZERO);
            prop_assert_eq!(c.credit.currency(), fee.currency());
        }
        prop_assert!(worse.credit_percent >= better.credit_percent);
        prop_assert!(worse.credit.amount() >= better.credit.amount(),
            "{}% uptime gave {} but {}% gave {}", worse.uptime_percent, worse.credit,
            better.uptime_percent, better.credit);
        // At 100% uptime no schedule gives anything (every threshold is at most 100%).
        let full = remediation::sla_credit(&schedule, Decimal::ONE_HUNDRED, fee);
        prop_assert!(full.credit.is_zero());
    }

    #[test]
    fn the_demo_schedules_are_capped_and_monotone(
        name in prop::sample::select(&["enterprise_9999", "enterprise_999"][..]),
        fee in 0u64..10_000_000_000,
        down_a in 0i64..50_000,
        down_b in 0i64..50_000,
        days in 28u32..=31,
    ) {
        let f = fixture();
        let key = amends_core::domain::Key::parse("schedule", name).expect("key");
        let schedule = &f.playbook.sla_schedules[&key];
        let fee = money(fee, currency("USD"));
        let month = BillingMonth { days };
        let (lo, hi) = if down_a <= down_b { (down_a, down_b) } else { (down_b, down_a) };
        let up_short = remediation::monthly_uptime_percent(month, Minutes::new(lo));
        let up_long = remediation::monthly_uptime_percent(month, Minutes::new(hi));
        prop_assert!(up_long <= up_short, "more downtime, less uptime");
        prop_assert!(Decimal::ZERO <= up_long && up_short <= Decimal::ONE_HUNDRED);
        let short = remediation::sla_credit(schedule, up_short, fee);
        let long = remediation::sla_credit(schedule, up_long, fee);
        prop_assert!(long.credit.amount() >= short.credit.amount());
        prop_assert!(long.credit_percent <= schedule.cap_percent);
    }
}
