//! How money, dates and times are written for a reader: "$1,806.45" in New York,
//! "1.806,45 €" in Berlin, "Tuesday, October 15, 2024" against "Tuesday 15 October 2024". A
//! message that says "10:00" without a zone, or a credit in the wrong format, makes the reader
//! do work the sender should have done.
//!
//! The table is small and explicit on purpose (no ICU): each supported locale is a row here,
//! tested, and an unknown locale is an error at import time, not a surprise at send time.

use std::fmt;
use std::str::FromStr;

use jiff::Zoned;
use jiff::civil::Weekday;
use rust_decimal::Decimal;

use crate::money::Money;

/// A supported reader locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English, United States (the default).
    #[default]
    EnUs,
    /// English, United Kingdom.
    EnGb,
    /// English, Canada.
    EnCa,
    /// English, Australia.
    EnAu,
    /// English, Ireland.
    EnIe,
    /// German, Germany.
    DeDe,
    /// French, France.
    FrFr,
    /// Spanish, Spain.
    EsEs,
    /// Dutch, the Netherlands.
    NlNl,
}

const TAGS: [(&str, Locale); 9] = [
    ("en-US", Locale::EnUs),
    ("en-GB", Locale::EnGb),
    ("en-CA", Locale::EnCa),
    ("en-AU", Locale::EnAu),
    ("en-IE", Locale::EnIe),
    ("de-DE", Locale::DeDe),
    ("fr-FR", Locale::FrFr),
    ("es-ES", Locale::EsEs),
    ("nl-NL", Locale::NlNl),
];

/// Why a locale tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown locale {0:?}; supported: en-US, en-GB, en-CA, en-AU, en-IE, de-DE, fr-FR, es-ES, nl-NL"
)]
pub struct LocaleError(pub String);

impl FromStr for Locale {
    type Err = LocaleError;

    fn from_str(s: &str) -> Result<Locale, LocaleError> {
        let t = s.trim().replace('_', "-");
        TAGS.iter()
            .find(|(tag, _)| tag.eq_ignore_ascii_case(&t))
            .map(|(_, l)| *l)
            .ok_or_else(|| LocaleError(s.to_string()))
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Separators and symbol placement of a locale's numbers.
struct Numbers {
    group: &'static str,
    decimal: char,
    /// Group only numbers of at least this many integer digits (Spanish leaves 4-digit
    /// numbers ungrouped).
    min_grouping: usize,
    symbol_after: bool,
    /// What separates the amount from a symbol placed after it, or a code placed before it.
    space: &'static str,
}

impl Locale {
    /// The BCP 47 tag (`en-GB`).
    pub fn tag(self) -> &'static str {
        TAGS.iter()
            .find(|(_, l)| *l == self)
            .map_or("en-US", |(t, _)| t)
    }

    fn language(self) -> Language {
        match self {
            Locale::DeDe => Language::German,
            Locale::FrFr => Language::French,
            Locale::EsEs => Language::Spanish,
            Locale::NlNl => Language::Dutch,
            _ => Language::English,
        }
    }

    fn home_currency(self) -> &'static str {
        match self {
            Locale::EnUs => "USD",
            Locale::EnGb => "GBP",
            Locale::EnCa => "CAD",
            Locale::EnAu => "AUD",
            _ => "EUR",
        }
    }

    fn numbers(self) -> Numbers {
        match self {
            Locale::DeDe => Numbers {
                group: ".",
                decimal: ',',
                min_grouping: 4,
                symbol_after: true,
                space: "\u{a0}",
            },
            Locale::FrFr => Numbers {
                group: "\u{202f}",
                decimal: ',',
                min_grouping: 4,
                symbol_after: true,
                space: "\u{a0}",
            },
            Locale::EsEs => Numbers {
                group: ".",
                decimal: ',',
                min_grouping: 5,
                symbol_after: true,
                space: "\u{a0}",
            },
            Locale::NlNl => Numbers {
                group: ".",
                decimal: ',',
                min_grouping: 4,
                symbol_after: false,
                space: "\u{a0}",
            },
            _ => Numbers {
                group: ",",
                decimal: '.',
                min_grouping: 4,
                symbol_after: false,
                space: "\u{a0}",
            },
        }
    }

    /// The symbol for a currency in this locale, or `None` to write its ISO code.
    fn symbol(self, code: &str) -> Option<&'static str> {
        match code {
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            "INR" => Some("₹"),
            "USD" | "CAD" | "AUD" if self.home_currency() == code => Some("$"),
            "USD" if self.language() == Language::English => Some("US$"),
            _ => None,
        }
    }

    /// An amount of money as a reader in this locale writes it, with the currency's own
    /// number of decimals: `$1,806.45`, `1.806,45 €`, `CHF 1,806.45`.
    pub fn money(self, money: Money) -> String {
        let n = self.numbers();
        let digits = group_digits(money.amount(), money.currency().minor_units(), &n);
        let currency = money.currency();
        let code = currency.code();
        let symbol = self.symbol(code);
        let mark = symbol.unwrap_or(code);
        // A symbol before the amount is written against it ("$1,806.45"), except in Dutch; a
        // code is spaced ("CHF 1,806.45").
        let space = if n.symbol_after || symbol.is_none() || self == Locale::NlNl {
            n.space
        } else {
            ""
        };
        let (first, second) = if n.symbol_after {
            (digits.as_str(), mark)
        } else {
            (mark, digits.as_str())
        };
        [first, space, second].concat()
    }

    /// A date with its weekday: "Tuesday, October 15, 2024", "Tuesday 15 October 2024",
    /// "Dienstag, 15. Oktober 2024".
    pub fn date(self, at: &Zoned) -> String {
        let lang = self.language();
        let weekday = lang.weekday(at.weekday());
        let month = lang.month(at.month());
        let (day, year) = (at.day(), at.year());
        match (self, lang) {
            (Locale::EnUs | Locale::EnCa, _) => format!("{weekday}, {month} {day}, {year}"),
            (_, Language::English) => format!("{weekday} {day} {month} {year}"),
            (_, Language::German) => format!("{weekday}, {day}. {month} {year}"),
            (_, Language::Spanish) => format!("{weekday}, {day} de {month} de {year}"),
            (_, Language::French | Language::Dutch) => format!("{weekday} {day} {month} {year}"),
        }
    }

    /// A time of day with the zone's abbreviation: "10:00 AM EDT" (12-hour locales),
    /// "15:00 BST".
    pub fn time(self, at: &Zoned) -> String {
        let zone = at.strftime("%Z");
        match self {
            Locale::EnUs | Locale::EnCa | Locale::EnAu => {
                let hour = at.hour();
                let h12 = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                let half = if hour < 12 { "AM" } else { "PM" };
                format!("{h12}:{:02} {half} {zone}", at.minute())
            }
            _ => format!("{:02}:{:02} {zone}", at.hour(), at.minute()),
        }
    }

    /// A date and time: "Tuesday, October 15, 2024 at 10:00 AM EDT".
    pub fn date_time(self, at: &Zoned) -> String {
        let joiner = match self.language() {
            Language::English => " at ",
            Language::German => " um ",
            Language::French => " à ",
            Language::Spanish => " a las ",
            Language::Dutch => " om ",
        };
        format!("{}{joiner}{}", self.date(at), self.time(at))
    }

    /// A window within a reader's day: "Tuesday, October 15, 2024, 10:00 AM to 2:00 PM EDT".
    /// When it spans days (or zones change abbreviation), both ends are written in full.
    pub fn window(self, from: &Zoned, to: &Zoned) -> String {
        let (to_word, comma) = match self.language() {
            Language::English => ("to", ","),
            Language::German => ("bis", ","),
            Language::French => ("à", ","),
            Language::Spanish => ("a", ","),
            Language::Dutch => ("tot", ","),
        };
        let same_day = from.date() == to.date();
        let same_zone = from.strftime("%Z").to_string() == to.strftime("%Z").to_string();
        if same_day && same_zone {
            let start = self.time(from);
            let start = start
                .rsplit_once(' ')
                .map_or(start.as_str(), |(t, _)| t)
                .to_string();
            format!(
                "{}{comma} {start} {to_word} {}",
                self.date(from),
                self.time(to)
            )
        } else {
            format!("{} {to_word} {}", self.date_time(from), self.date_time(to))
        }
    }
}

/// `amount` with `decimals` decimals (rounded as [`Decimal::round_dp`] rounds), its integer
/// digits grouped in threes: written from the exact integer of its smallest units, without
/// the formatting machinery (a credit is formatted for every account).
fn group_digits(amount: Decimal, decimals: u8, n: &Numbers) -> String {
    // Money is never negative (see `crate::money`), so there is no sign to place.
    let decimals = usize::from(decimals);
    let mut rounded = amount.round_dp(decimals as u32);
    rounded.rescale(decimals as u32);
    // Exact for any amount money holds (rescale stops short only past about 10^28 units).
    debug_assert_eq!(rounded.scale(), decimals as u32);
    // The digits of the smallest units, at least one more than the decimals ("0.05": "005").
    let mut units = rounded.mantissa().unsigned_abs();
    let mut buffer = [b'0'; 48];
    let mut first = buffer.len();
    while units > 0 || buffer.len() - first <= decimals {
        first -= 1;
        buffer[first] = b'0' + (units % 10) as u8;
        units /= 10;
    }
    let all = &buffer[first..];
    let (int, frac) = all.split_at(all.len() - decimals);
    let mut out = String::with_capacity(all.len() + all.len() / 3 * n.group.len() + 2);
    for (i, &digit) in int.iter().enumerate() {
        if int.len() >= n.min_grouping && i > 0 && (int.len() - i) % 3 == 0 {
            out.push_str(n.group);
        }
        out.push(char::from(digit));
    }
    if !frac.is_empty() {
        out.push(n.decimal);
        out.extend(frac.iter().map(|&d| char::from(d)));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    English,
    German,
    French,
    Spanish,
    Dutch,
}

impl Language {
    fn weekday(self, d: Weekday) -> &'static str {
        let i = d.to_monday_zero_offset() as usize;
        let names: [&str; 7] = match self {
            Language::English => [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ],
            Language::German => [
                "Montag",
                "Dienstag",
                "Mittwoch",
                "Donnerstag",
                "Freitag",
                "Samstag",
                "Sonntag",
            ],
            Language::French => [
                "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
            ],
            Language::Spanish => [
                "lunes",
                "martes",
                "miércoles",
                "jueves",
                "viernes",
                "sábado",
                "domingo",
            ],
            Language::Dutch => [
                "maandag",
                "dinsdag",
                "woensdag",
                "donderdag",
                "vrijdag",
                "zaterdag",
                "zondag",
            ],
        };
        names[i]
    }

    fn month(self, m: i8) -> &'static str {
        let i = usize::try_from(m - 1).unwrap_or(0).min(11);
        let names: [&str; 12] = match self {
            Language::English => [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            Language::German => [
                "Januar",
                "Februar",
                "März",
                "April",
                "Mai",
                "Juni",
                "Juli",
                "August",
                "September",
                "Oktober",
                "November",
                "Dezember",
            ],
            Language::French => [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
            Language::Spanish => [
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ],
            Language::Dutch => [
                "januari",
                "februari",
                "maart",
                "april",
                "mei",
                "juni",
                "juli",
                "augustus",
                "september",
                "oktober",
                "november",
                "december",
            ],
        };
        names[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    /// [`group_digits`] and [`Locale::money`] as they were first written, through the
    /// formatter: the reference the direct ones are held equal to.
    fn reference_group_digits(amount: Decimal, decimals: u8, n: &Numbers) -> String {
        let rounded = amount.round_dp(u32::from(decimals));
        let text = format!("{:.*}", usize::from(decimals), rounded);
        let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let mut out = String::with_capacity(text.len() + 8);
        if int.len() >= n.min_grouping {
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    out.push_str(n.group);
                }
                out.push(c);
            }
        } else {
            out.push_str(int);
        }
        if !frac.is_empty() {
            out.push_str(&format!("{}{frac}", n.decimal));
        }
        out
    }

    fn reference_money(locale: Locale, money: Money) -> String {
        let n = locale.numbers();
        let digits = reference_group_digits(money.amount(), money.currency().minor_units(), &n);
        let code = money.currency().code().to_string();
        match locale.symbol(&code) {
            Some(symbol) if n.symbol_after => format!("{digits}{}{symbol}", n.space),
            Some(symbol) if locale == Locale::NlNl => format!("{symbol}{}{digits}", n.space),
            Some(symbol) => format!("{symbol}{digits}"),
            None if n.symbol_after => format!("{digits}{}{code}", n.space),
            None => format!("{code}{}{digits}", n.space),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Any amount money can hold, at any scale up to more decimals than the currency
        /// has, in every locale and currency: written as the formatter wrote it.
        #[test]
        fn money_is_written_as_the_formatter_wrote_it(
            units in proptest::prop_oneof![0u64..2_000, 0u64..=1_000_000_000_000_000_000],
            scale in 0u32..=6,
            locale in proptest::sample::select(TAGS.map(|(_, l)| l).to_vec()),
            code in proptest::sample::select(vec!["USD", "EUR", "GBP", "JPY", "CHF", "KWD", "CAD", "AUD", "INR", "SEK"]),
        ) {
            let amount = Decimal::from_i128_with_scale(i128::from(units), scale);
            let currency = code.parse::<Currency>().unwrap();
            let decimals = currency.minor_units();
            let n = locale.numbers();
            proptest::prop_assert_eq!(
                group_digits(amount, decimals, &n),
                reference_group_digits(amount, decimals, &n)
            );
            if amount <= Decimal::from(crate::money::MAX_AMOUNT) && amount.scale() <= u32::from(decimals) {
                let money = Money::parse(&amount.to_string(), currency).unwrap();
                proptest::prop_assert_eq!(locale.money(money), reference_money(locale, money));
            }
        }
    }

    fn money(amount: &str, code: &str) -> Money {
        Money::parse(amount, code.parse::<Currency>().unwrap()).unwrap()
    }

    fn at(s: &str) -> Zoned {
        s.parse().unwrap()
    }

    #[test]
    fn tags_parse_in_either_case_and_with_underscores() {
        assert_eq!("en-gb".parse::<Locale>().unwrap(), Locale::EnGb);
        assert_eq!("de_DE".parse::<Locale>().unwrap(), Locale::DeDe);
        let e = "xx-YY".parse::<Locale>().unwrap_err().to_string();
        assert!(e.contains("xx-YY") && e.contains("en-US"), "{e}");
        for (tag, l) in TAGS {
            assert_eq!(l.tag(), tag);
        }
    }

    #[test]
    fn money_is_written_the_readers_way() {
        let m = money("1806.45", "USD");
        assert_eq!(Locale::EnUs.money(m), "$1,806.45");
        assert_eq!(Locale::EnGb.money(m), "US$1,806.45");
        assert_eq!(
            Locale::DeDe.money(money("1806.45", "EUR")),
            "1.806,45\u{a0}€"
        );
        assert_eq!(
            Locale::FrFr.money(money("1806.45", "EUR")),
            "1\u{202f}806,45\u{a0}€"
        );
        assert_eq!(
            Locale::EsEs.money(money("1806.45", "EUR")),
            "1806,45\u{a0}€"
        );
        assert_eq!(
            Locale::EsEs.money(money("12806.45", "EUR")),
            "12.806,45\u{a0}€"
        );
        assert_eq!(
            Locale::NlNl.money(money("1806.45", "EUR")),
            "€\u{a0}1.806,45"
        );
        assert_eq!(Locale::EnGb.money(money("0.5", "GBP")), "£0.50");
        assert_eq!(Locale::EnUs.money(money("1234567", "JPY")), "¥1,234,567");
        assert_eq!(
            Locale::EnUs.money(money("12.345", "KWD")),
            "KWD\u{a0}12.345"
        );
        assert_eq!(Locale::EnCa.money(money("99", "CAD")), "$99.00");
    }

    #[test]
    fn dates_and_times_carry_the_weekday_and_the_zone() {
        let t = at("2024-10-15T14:00:00[America/New_York]");
        assert_eq!(Locale::EnUs.date(&t), "Tuesday, October 15, 2024");
        assert_eq!(Locale::EnUs.time(&t), "2:00 PM EDT");
        let london = t.in_tz("Europe/London").unwrap();
        assert_eq!(
            Locale::EnGb.date_time(&london),
            "Tuesday 15 October 2024 at 19:00 BST"
        );
        let berlin = t.in_tz("Europe/Berlin").unwrap();
        assert_eq!(Locale::DeDe.date(&berlin), "Dienstag, 15. Oktober 2024");
        assert_eq!(
            Locale::EnUs.time(&at("2024-10-15T00:05:00[UTC]")),
            "12:05 AM UTC"
        );
        assert_eq!(
            Locale::EnUs.time(&at("2024-10-15T12:00:00[UTC]")),
            "12:00 PM UTC"
        );
    }

    #[test]
    fn windows_are_short_within_a_day_and_full_across_days() {
        let from = at("2024-10-15T10:00:00[America/New_York]");
        let to = at("2024-10-15T14:00:00[America/New_York]");
        assert_eq!(
            Locale::EnUs.window(&from, &to),
            "Tuesday, October 15, 2024, 10:00 AM to 2:00 PM EDT"
        );
        let la_from = from.in_tz("America/Los_Angeles").unwrap();
        let la_to = to.in_tz("America/Los_Angeles").unwrap();
        assert_eq!(
            Locale::EnUs.window(&la_from, &la_to),
            "Tuesday, October 15, 2024, 7:00 AM to 11:00 AM PDT"
        );
        let tokyo_from = from.in_tz("Asia/Tokyo").unwrap();
        let tokyo_to = to.in_tz("Asia/Tokyo").unwrap();
        assert_eq!(
            Locale::EnGb.window(&tokyo_from, &tokyo_to),
            "Tuesday 15 October 2024 at 23:00 JST to Wednesday 16 October 2024 at 03:00 JST"
        );
    }
}
