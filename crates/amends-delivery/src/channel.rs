//! The channel adapter interface: one small adapter per way of reaching people.

use std::future::Future;
use std::pin::Pin;

use amends_store::Job;

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// A timeout, a refused connection, a 5xx or 429: try again later. A 4xx or a payload
    /// the adapter cannot use: it will not get better.
    pub retryable: bool,
    /// What happened, without secrets or message contents.
    pub message: String,
}

impl DeliveryError {
    /// A failure worth retrying.
    pub fn transient(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: true,
            message: message.into(),
        }
    }

    /// A failure that retrying will not fix.
    pub fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: false,
            message: message.into(),
        }
    }
}

/// What a delivery returns: the receipt to keep (a status, the recipient's id), if any.
pub type Delivery<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, DeliveryError>> + Send + 'a>>;

/// Delivers jobs of one channel. Implementations pass `job.key` to the recipient as its
/// idempotency key, so a repeated attempt is recognisable.
pub trait Channel: Send + Sync {
    /// The channel name jobs carry (`webhook`).
    fn name(&self) -> &str;

    /// Delivers one job.
    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a>;
}
