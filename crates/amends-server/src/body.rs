//! The JSON body extractor of the API: malformed JSON, unknown fields, wrong types and
//! oversized bodies become problem+json naming the field (`affected.tiers[0]`), never a
//! plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The largest body most endpoints accept.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON request body of type `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.split(';').next().unwrap_or("").trim();
                ct == "application/json" || ct.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(BODY_LIMIT)
            } else {
                ApiError::BadRequest {
                    detail: format!("cannot read the request body: {e}"),
                    errors: Vec::new(),
                }
            }
        })?;
        parse(&bytes).map(Json)
    }
}

/// Deserialises JSON, naming the path of the first field at fault.
///
/// Anything after the JSON value other than whitespace is refused: a body is one document,
/// and a request that carries more than the server reads must not be half-applied.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let syntax = matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        // A syntax error is the body's, wherever the parser happened to be.
        if syntax || path == "." || path.is_empty() {
            let message = if syntax {
                format!("the body is not valid JSON: {inner}")
            } else {
                strip_position(&inner.to_string())
            };
            return field_error("body".to_string(), message);
        }
        field_error(path, strip_position(&inner.to_string()))
    })?;
    de.end().map_err(|inner| {
        field_error(
            "body".to_string(),
            format!("the body is not valid JSON: {inner}"),
        )
    })?;
    Ok(value)
}

fn field_error(field: String, message: String) -> ApiError {
    ApiError::BadRequest {
        detail: format!("{field}: {message}"),
        errors: vec![FieldError { field, message }],
    }
}

fn strip_position(m: &str) -> String {
    m.rsplit_once(" at line ")
        .map_or(m, |(head, _)| head)
        .to_string()
}
