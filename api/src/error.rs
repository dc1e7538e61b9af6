//! The one error type of the API.
//!
//! Which variant to use where:
//! - `BadUserInput`: the caller sent something malformed or out of range (a
//!   bad id or cursor, `first` above 100, an unknown area code, a negative age).
//!   The message says what to fix and is shown as is.
//! - `NotFound`: a well-formed reference to a record that does not exist.
//! - `Unauthenticated` / `Forbidden`: no or bad credentials / not allowed.
//! - `Conflict`: a write lost an optimistic-concurrency race.
//! - `Internal`: anything else, above all database errors. The cause is
//!   logged with its whole chain; the client sees a generic message, the
//!   code and the request id, never SQL.
//!
//! The registry returns `Result<T, AppError>`; resolvers return it too and the
//! explicit `From<AppError> for async_graphql::Error` below (enabled by the
//! `custom-error-conversion` feature) attaches `extensions.code`.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// The stable, machine-readable code put in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Conflict(_) => "CONFLICT",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// A DataLoader hands one failure to every resolver waiting on it, so its
/// error is shared; each waiter gets its own copy back.
impl From<std::sync::Arc<AppError>> for AppError {
    fn from(shared: std::sync::Arc<AppError>) -> Self {
        match std::sync::Arc::try_unwrap(shared) {
            Ok(err) => err,
            Err(shared) => match &*shared {
                Self::BadUserInput(m) => Self::BadUserInput(m.clone()),
                Self::NotFound(m) => Self::NotFound(m.clone()),
                Self::Unauthenticated(m) => Self::Unauthenticated(m.clone()),
                Self::Forbidden(m) => Self::Forbidden(m.clone()),
                Self::Conflict(m) => Self::Conflict(m.clone()),
                Self::Internal(cause) => Self::Internal(anyhow::anyhow!("{cause:#}")),
            },
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        let message = match &err {
            AppError::Internal(cause) => {
                // The request span carries the request id, so the log line
                // and the client's error can be matched.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "Internal server error; the request id is in the X-Request-Id response header".to_owned()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_stable_code() {
        let cases = [
            (AppError::bad_input("x"), "BAD_USER_INPUT"),
            (AppError::not_found("x"), "NOT_FOUND"),
            (AppError::Unauthenticated("x".into()), "UNAUTHENTICATED"),
            (AppError::Forbidden("x".into()), "FORBIDDEN"),
            (AppError::Conflict("x".into()), "CONFLICT"),
            (AppError::Internal(anyhow::anyhow!("boom")), "INTERNAL_SERVER_ERROR"),
        ];
        for (err, code) in cases {
            let gql: async_graphql::Error = err.into();
            let ext = gql.extensions.expect("extensions are set");
            assert_eq!(ext.get("code"), Some(&async_graphql::Value::from(code)));
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let gql: async_graphql::Error = AppError::Internal(anyhow::anyhow!("SELECT secret FROM t")).into();
        assert!(!gql.message.contains("SELECT"));
    }
}
