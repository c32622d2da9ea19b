//! Verifying inbound alert webhooks before anything is read from them. PagerDuty v3 signs
//! each delivery with `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>`, one
//! entry per signing secret during a rotation; a delivery is authentic when one entry matches
//! one of our secrets (compared in constant time).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A webhook signing secret; its Debug output is redacted.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// The secret as PagerDuty shows it (its ASCII bytes are the key; it is not decoded).
    pub fn new(secret: &str) -> WebhookSecret {
        WebhookSecret(secret.as_bytes().to_vec())
    }

    /// The secret's bytes, for comparing (never for logging).
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-PagerDuty-Signature` header, or no `v1=` entry in it.
    #[error("the request carries no v1 signature")]
    Missing,
    /// No entry matches any configured secret.
    #[error("no signature matches a configured secret")]
    NoMatch,
}

/// Checks a PagerDuty v3 signature header against the raw body.
pub fn verify_pagerduty(
    body: &[u8],
    header: Option<&str>,
    secrets: &[WebhookSecret],
) -> Result<(), SignatureError> {
    let signatures: Vec<Vec<u8>> = header
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .filter_map(|h| hex::decode(h).ok())
        .collect();
    if signatures.is_empty() {
        return Err(SignatureError::Missing);
    }
    let authentic = secrets.iter().any(|secret| {
        signatures.iter().any(|sig| {
            Hmac::<Sha256>::new_from_slice(&secret.0).is_ok_and(|mut mac| {
                mac.update(body);
                mac.verify_slice(sig).is_ok()
            })
        })
    });
    if authentic {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../../../shared/fixtures/real/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// PagerDuty's own test vector (go-pagerduty `TestVerifySignature`), from the fixtures.
    const SECRET: &str = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";

    #[test]
    fn pagerdutys_test_vector_verifies_and_tampering_does_not() {
        let body = fixture("pagerduty_v3_signature_test_body.json");
        let header = fixture("pagerduty_v3_signature_test_expected_header.txt");
        let secrets = [WebhookSecret::new(SECRET)];
        assert_eq!(
            verify_pagerduty(body.as_bytes(), Some(header.trim()), &secrets),
            Ok(())
        );
        // During a rotation the header carries several entries; one match is enough.
        let rotated = format!(
            "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5,{}",
            header.trim()
        );
        assert_eq!(
            verify_pagerduty(body.as_bytes(), Some(&rotated), &secrets),
            Ok(())
        );
        // The go-pagerduty test's non-matching signature, a changed body, another secret.
        let wrong = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";
        assert_eq!(
            verify_pagerduty(body.as_bytes(), Some(wrong), &secrets),
            Err(SignatureError::NoMatch)
        );
        let tampered = body.replacen("A little bump", "A large bump", 1);
        assert_eq!(
            verify_pagerduty(tampered.as_bytes(), Some(header.trim()), &secrets),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify_pagerduty(
                body.as_bytes(),
                Some(header.trim()),
                &[WebhookSecret::new("other")]
            ),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify_pagerduty(body.as_bytes(), None, &secrets),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_pagerduty(body.as_bytes(), Some("v0=abc"), &secrets),
            Err(SignatureError::Missing)
        );
        assert_eq!(format!("{:?}", secrets[0]), "WebhookSecret(<redacted>)");
    }
}
