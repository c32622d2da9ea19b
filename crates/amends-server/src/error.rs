//! One error type for the API, rendered as RFC 9457 problem+json. Internal causes are logged
//! with an id and never shown; what the client sees says what to change.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use amends_store::StoreError;

/// A problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field (`affected.tiers[0]`), or `body`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, stable summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened here, in words.
    pub detail: String,
    /// Field-level problems, when the request body was at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (syntax, types, unknown fields).
    #[error("{detail}")]
    BadRequest {
        /// What is wrong.
        detail: String,
        /// Which fields.
        errors: Vec<FieldError>,
    },
    /// The request is well-formed but breaks a rule (unknown tier, time zone …).
    #[error("{detail}")]
    Unprocessable {
        /// What is wrong.
        detail: String,
        /// Which fields.
        errors: Vec<FieldError>,
    },
    /// No or an unknown token.
    #[error("a valid API token is required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// An inbound webhook whose signature or credentials do not verify.
    #[error("{0}")]
    BadSignature(String),
    /// The token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Not found.
    #[error("{0}")]
    NotFound(String),
    /// A concurrent change won; reload and retry.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the limit.
    #[error("the request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// The body is not JSON.
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// A limit on how often this may be asked was reached; ask again after the seconds given.
    #[error("{detail}")]
    TooManyRequests {
        /// What was limited.
        detail: String,
        /// Sent as `Retry-After`.
        retry_after_secs: u32,
    },
    /// The database is unreachable.
    #[error("the store is unavailable")]
    Unavailable,
    /// Anything else: logged with its cause, shown without it.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::Unprocessable {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest { .. } => {
                (StatusCode::BAD_REQUEST, "bad-request", "Malformed request")
            }
            ApiError::Unprocessable { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "The request breaks a rule",
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            ApiError::BadSignature(_) => (
                StatusCode::UNAUTHORIZED,
                "bad-signature",
                "Webhook not verified",
            ),
            ApiError::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed for this role",
            ),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Changed by someone else"),
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Store unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let errors = match self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
                errors.clone()
            }
            _ => Vec::new(),
        };
        Problem {
            kind: format!("https://amends.dev/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound { what, id } => {
                ApiError::NotFound(format!("{what} {id:?} not found"))
            }
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::Unprocessable {
                detail: m,
                errors: Vec::new(),
            },
            StoreError::Database(sqlx_error) if is_unavailable(&sqlx_error) => {
                tracing::error!(error = %sqlx_error, "store unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

fn is_unavailable(e: &amends_store::SqlxError) -> bool {
    matches!(
        e,
        amends_store::SqlxError::PoolTimedOut
            | amends_store::SqlxError::Io(_)
            | amends_store::SqlxError::PoolClosed
    )
}
