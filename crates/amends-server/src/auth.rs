//! API tokens and roles. A token is shown once at creation and stored only as its SHA-256
//! hash (tokens are 256 random bits, so a fast hash is enough: there is nothing to guess).
//! Roles are ordered: viewer < agent < approver < admin.

use std::fmt;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use amends_store::TokenRow;

use crate::AppState;
use crate::error::ApiError;

/// What a token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read everything but the audit trail.
    Viewer,
    /// Also declare, update, resolve and reopen incidents.
    Agent,
    /// Also approve or reject the remediations the playbook names them for.
    Approver,
    /// Everything, including accounts imports, the audit trail and approvals in any
    /// approver's place (recorded as an override with a reason).
    Admin,
}

impl Role {
    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "agent" => Ok(Role::Agent),
            "approver" => Ok(Role::Approver),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "{other:?} is not a role; use viewer, agent, approver or admin"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret whose Debug and Display never show it.
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that must show it (token creation output).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new token: `amends_<id>_<secret>` and the row to store (hash only).
pub fn new_token(
    role: Role,
    person: Option<String>,
    label: &str,
) -> Result<(Secret, TokenRow), getrandom::Error> {
    let mut id = [0u8; 6];
    let mut secret = [0u8; 32];
    getrandom::fill(&mut id)?;
    getrandom::fill(&mut secret)?;
    let id = hex::encode(id);
    let token = format!("amends_{id}_{}", hex::encode(secret));
    let row = TokenRow {
        id,
        hash: token_hash(&token),
        role: role.as_str().to_string(),
        person,
        label: label.to_string(),
        created_at: jiff::Timestamp::now().to_string(),
    };
    Ok((Secret(token), row))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Token id.
    pub token_id: String,
    /// Role.
    pub role: Role,
    /// The playbook person the token acts as.
    pub person: Option<String>,
    /// Label.
    pub label: String,
}

impl Caller {
    /// Fails with 403 unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {role} role; your token has {}",
                self.role
            )))
        }
    }

    /// How the caller appears in the audit trail.
    pub fn actor(&self) -> String {
        match &self.person {
            Some(p) => format!("token:{} ({}, {p})", self.token_id, self.role),
            None => format!("token:{} ({})", self.token_id, self.role),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let row = state
            .lifecycle
            .store
            .token_by_hash(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let role = row
            .role
            .parse()
            .map_err(|e: String| ApiError::Internal(format!("token {}: {e}", row.id)))?;
        Ok(Caller {
            token_id: row.id,
            role,
            person: row.person,
            label: row.label,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(
            Role::Viewer < Role::Agent
                && Role::Agent < Role::Approver
                && Role::Approver < Role::Admin
        );
        assert_eq!("approver".parse::<Role>(), Ok(Role::Approver));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_their_hash() {
        let (a, row_a) = new_token(Role::Agent, None, "ci").unwrap();
        let (b, _) = new_token(Role::Agent, None, "ci").unwrap();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with(&format!("amends_{}_", row_a.id)));
        assert_eq!(row_a.hash, token_hash(a.expose()));
        assert!(!row_a.hash.contains(a.expose()));
        assert_eq!(format!("{a:?}"), "Secret(***)");
    }

    #[test]
    fn require_names_the_missing_role() {
        let c = Caller {
            token_id: "x".into(),
            role: Role::Viewer,
            person: None,
            label: "l".into(),
        };
        assert!(c.require(Role::Viewer).is_ok());
        let e = c.require(Role::Agent).unwrap_err();
        assert_eq!(
            e.to_string(),
            "this needs the agent role; your token has viewer"
        );
    }
}
