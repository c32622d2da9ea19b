//! Money is a decimal amount in one currency, never a float.
//!
//! Credits are computed from monthly fees by multiplication and division, then rounded once,
//! at the end, to the currency's minor unit (half away from zero, as invoices do). Keeping the
//! currency inside the value makes it impossible to add euros to dollars by accident.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An ISO 4217 currency code that amends knows the minor unit of.
///
/// Parsing rejects unknown codes instead of guessing two decimals: a credit in JPY rounded to
/// cents would be wrong on the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// ISO 4217 codes and their minor units (the number of decimals an invoice shows).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("BHD", 3),
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// Why a currency code or an amount could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not one of the ISO 4217 codes amends knows.
    #[error("unknown currency code {0:?} (use an ISO 4217 code such as USD, EUR, GBP or JPY)")]
    UnknownCurrency(String),
    /// Not a decimal number.
    #[error("{0:?} is not a decimal amount (write it like 1250.00)")]
    NotADecimal(String),
    /// Larger than any fee or credit amounts handles (and than exact arithmetic allows).
    #[error("amount {0} is too large (the limit is 1,000,000,000,000,000)")]
    TooLarge(String),
    /// Negative amounts make no sense for fees and credits.
    #[error("amount {0} is negative; fees and credits are zero or more")]
    Negative(String),
    /// More decimals than the currency has.
    #[error("amount {amount} has more decimals than {currency} allows ({minor_units})")]
    TooPrecise {
        /// The amount as written.
        amount: String,
        /// Its currency.
        currency: Currency,
        /// The currency's number of decimals.
        minor_units: u8,
    },
}

impl Currency {
    /// The three-letter code, e.g. `USD`.
    pub fn code(&self) -> &str {
        // The code was checked against the ASCII table when parsed.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// How many decimals the currency shows on an invoice.
    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .map(|(code, minor_units)| {
                let b = code.as_bytes();
                Currency {
                    code: [b[0], b[1], b[2]],
                    minor_units: *minor_units,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(s.to_string()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The largest amount accepted from input (10^15): leaves room for every credit formula
/// (fee × days, fee × percent) within rust_decimal's 28 digits.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A non-negative decimal amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Parses an amount written in text (`"1250.00"`) in `currency`.
    ///
    /// Rejects negative amounts and amounts with more decimals than the currency has, so a fee
    /// of `"12.345"` USD is an input error, not a silent rounding.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = amount.trim();
        // rust_decimal accepts "1_000"; a fee in a CSV written that way is a typo, not 1000.
        if trimmed.contains('_') {
            return Err(MoneyError::NotADecimal(amount.to_string()));
        }
        let value = Decimal::from_str_exact(trimmed)
            .map_err(|_| MoneyError::NotADecimal(amount.to_string()))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative(amount.to_string()));
        }
        if value >= Decimal::from(MAX_AMOUNT) {
            return Err(MoneyError::TooLarge(amount.to_string()));
        }
        if value.normalize().scale() > u32::from(currency.minor_units) {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency,
                minor_units: currency.minor_units,
            });
        }
        Ok(Money::rounded(value, currency))
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::rounded(Decimal::ZERO, currency)
    }

    /// Rounds an exact intermediate result to the currency's minor unit, half away from zero.
    ///
    /// This is the only place where precision is dropped, which is why every credit formula
    /// computes in full precision and calls it once.
    pub fn rounded(exact: Decimal, currency: Currency) -> Money {
        let mut amount = exact.round_dp_with_strategy(
            u32::from(currency.minor_units),
            RoundingStrategy::MidpointAwayFromZero,
        );
        amount.rescale(u32::from(currency.minor_units));
        Money { amount, currency }
    }

    /// The amount, always at the currency's scale (e.g. `2709.68`).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The sum of two amounts in the same currency, or `None` for different currencies.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency).then(|| Money {
            amount: self.amount + other.amount,
            currency: self.currency,
        })
    }

    /// The larger of two amounts in the same currency (`None` for different currencies).
    pub fn checked_max(self, other: Money) -> Option<Money> {
        (self.currency == other.currency).then(|| {
            if other.amount > self.amount {
                other
            } else {
                self
            }
        })
    }

    /// True for an amount of zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        "USD".parse().unwrap()
    }

    #[test]
    fn currency_codes_parse_case_insensitively_and_know_their_minor_units() {
        assert_eq!("usd".parse::<Currency>().unwrap().code(), "USD");
        assert_eq!("JPY".parse::<Currency>().unwrap().minor_units(), 0);
        assert_eq!("KWD".parse::<Currency>().unwrap().minor_units(), 3);
        assert_eq!(
            "XYZ".parse::<Currency>(),
            Err(MoneyError::UnknownCurrency("XYZ".into()))
        );
    }

    #[test]
    fn amounts_are_stored_at_the_currency_scale() {
        let m = Money::parse("1250", usd()).unwrap();
        assert_eq!(m.amount().to_string(), "1250.00");
        assert_eq!(m.to_string(), "1250.00 USD");
        let yen = Money::parse("98000", "JPY".parse().unwrap()).unwrap();
        assert_eq!(yen.to_string(), "98000 JPY");
    }

    #[test]
    fn bad_amounts_are_rejected_with_the_reason() {
        assert!(matches!(
            Money::parse("12,50", usd()),
            Err(MoneyError::NotADecimal(_))
        ));
        assert!(matches!(
            Money::parse("1000000000000000", usd()),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999999999", usd()),
            Err(MoneyError::TooLarge(_))
        ));
        assert_eq!("BHD".parse::<Currency>().unwrap().minor_units(), 3);
        assert!(matches!(
            Money::parse("1_000", usd()),
            Err(MoneyError::NotADecimal(_))
        ));
        assert!(matches!(
            Money::parse("-3", usd()),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Money::parse("12.345", usd()),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse("100.5", "JPY".parse().unwrap()),
            Err(MoneyError::TooPrecise { .. })
        ));
        // Trailing zeros beyond the scale are not extra precision.
        assert!(Money::parse("12.3400", usd()).is_ok());
    }

    #[test]
    fn rounding_is_half_away_from_zero_at_the_minor_unit() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(Money::rounded(d("2.005"), usd()).amount(), d("2.01"));
        assert_eq!(Money::rounded(d("2.004999"), usd()).amount(), d("2.00"));
        assert_eq!(
            Money::rounded(d("0.5"), "JPY".parse().unwrap()).amount(),
            d("1")
        );
    }

    #[test]
    fn adding_or_comparing_different_currencies_is_refused() {
        let a = Money::parse("1", usd()).unwrap();
        let b = Money::parse("1", "EUR".parse().unwrap()).unwrap();
        assert_eq!(a.checked_add(b), None);
        assert_eq!(a.checked_max(b), None);
        assert_eq!(a.checked_add(a).unwrap().to_string(), "2.00 USD");
    }
}
