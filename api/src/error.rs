//! The one error type of the API.
//!
//! Which variant to use where:
//! - `BadUserInput`: the caller sent something malformed or out of range (a
//!   bad id or cursor, `first` above 100, an unknown area code, a negative age).
//!   The message says what to fix and is shown as is; for an input object,
//!   `extensions.fields` lists every field at fault with its own message.
//! - `NotFound`: a well-formed reference to a record that does not exist.
//! - `Unauthenticated` / `Forbidden`: no or bad credentials / not allowed.
//! - `Conflict`: a write lost an optimistic-concurrency race (or would make a
//!   second record where one is allowed); `extensions.currentVersion` and
//!   `extensions.current` give the record as it now stands.
//! - `RateLimited`: the caller has done this as often as a caller may for
//!   now (holds an hour); `extensions.retryAfter` says in how many seconds.
//! - `Unavailable`: the database cannot be reached right now; worth retrying.
//! - `Timeout`: the work took longer than the server allows (a statement
//!   timeout); worth retrying with a smaller request.
//! - `Internal`: anything else. The cause is logged with its whole chain;
//!   the client sees a generic message, the code and the request id, never
//!   SQL.
//!
//! Database errors are sorted into `Unavailable`, `Timeout` and `Internal`
//! by [`From<DbErr>`]. Transport-level refusals (rate limits, oversized
//! bodies) are answered before any resolver runs and carry their own codes.
//!
//! The registry returns `Result<T, AppError>`; resolvers return it too and the
//! explicit `From<AppError> for async_graphql::Error` below (enabled by the
//! `custom-error-conversion` feature) attaches `extensions.code`.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadUserInput { message: String, fields: Vec<FieldProblem> },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Conflict {
        message: String,
        current: Option<Box<CurrentState>>,
    },
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error("the request took too long; ask for less (fewer or smaller pages)")]
    Timeout(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// One field of an input that is at fault, named by its path in the input
/// (`name.ky`, `counts.2.available`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// A record as it stands after a write lost a race.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentState {
    pub version: i32,
    /// The record's fields, as the API names them.
    pub values: serde_json::Value,
}

impl AppError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Bad input naming every field at fault (at least one).
    pub fn invalid_fields(problems: Vec<FieldProblem>) -> Self {
        let message = match problems.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!(
                "{} fields are invalid: {}",
                many.len(),
                many.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        Self::BadUserInput {
            message,
            fields: problems,
        }
    }

    pub fn conflict(message: impl Into<String>, current: Option<CurrentState>) -> Self {
        Self::Conflict {
            message: message.into(),
            current: current.map(Box::new),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// The stable, machine-readable code put in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Timeout(_) => "TIMEOUT",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The cause to log, for the variants whose cause the client never sees.
    fn hidden_cause(&self) -> Option<&anyhow::Error> {
        match self {
            Self::Unavailable(cause) | Self::Timeout(cause) | Self::Internal(cause) => Some(cause),
            _ => None,
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
                Self::BadUserInput { message, fields } => Self::BadUserInput {
                    message: message.clone(),
                    fields: fields.clone(),
                },
                Self::NotFound(m) => Self::NotFound(m.clone()),
                Self::Unauthenticated(m) => Self::Unauthenticated(m.clone()),
                Self::Forbidden(m) => Self::Forbidden(m.clone()),
                Self::Conflict { message, current } => Self::Conflict {
                    message: message.clone(),
                    current: current.clone(),
                },
                Self::RateLimited { message, retry_after } => Self::RateLimited {
                    message: message.clone(),
                    retry_after: *retry_after,
                },
                Self::Unavailable(cause) => Self::Unavailable(anyhow::anyhow!("{cause:#}")),
                Self::Timeout(cause) => Self::Timeout(anyhow::anyhow!("{cause:#}")),
                Self::Internal(cause) => Self::Internal(anyhow::anyhow!("{cause:#}")),
            },
        }
    }
}

/// Sorts database errors: the database cannot be reached (no connection in
/// time, a connection lost, I/O), a statement ran past its timeout
/// (PostgreSQL's `query_canceled`), or anything else.
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
        let sqlx = match &err {
            DbErr::Conn(RuntimeErr::SqlxError(e))
            | DbErr::Exec(RuntimeErr::SqlxError(e))
            | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
            _ => None,
        };
        let unreachable = matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
            || matches!(
                sqlx,
                Some(Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Tls(_) | Sqlx::WorkerCrashed)
            );
        let timed_out = matches!(sqlx, Some(Sqlx::Database(db)) if db.code().as_deref() == Some("57014"));
        if unreachable {
            Self::Unavailable(err.into())
        } else if timed_out {
            Self::Timeout(err.into())
        } else {
            Self::Internal(err.into())
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        let message = match (&err, err.hidden_cause()) {
            (AppError::Internal(_), Some(cause)) => {
                // The request span carries the request id, so the log line
                // and the client's error can be matched.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "Internal server error; the request id is in the X-Request-Id response header".to_owned()
            }
            (other, Some(cause)) => {
                tracing::warn!(error = format!("{cause:#}"), code, "request failed");
                other.to_string()
            }
            (other, None) => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                AppError::BadUserInput { fields, .. } if !fields.is_empty() => {
                    let list: Vec<async_graphql::Value> = fields
                        .iter()
                        .map(|p| {
                            let mut entry = async_graphql::indexmap::IndexMap::new();
                            entry.insert(async_graphql::Name::new("field"), p.field.clone().into());
                            entry.insert(async_graphql::Name::new("message"), p.message.clone().into());
                            async_graphql::Value::Object(entry)
                        })
                        .collect();
                    ext.set("fields", list);
                }
                AppError::Conflict {
                    current: Some(current), ..
                } => {
                    ext.set("currentVersion", current.version);
                    if let Ok(values) = async_graphql::Value::from_json(current.values.clone()) {
                        ext.set("current", values);
                    }
                }
                AppError::RateLimited { retry_after, .. } => ext.set("retryAfter", *retry_after),
                _ => {}
            }
        })
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
            (
                AppError::invalid_fields(vec![FieldProblem {
                    field: "name.ky".into(),
                    message: "is empty".into(),
                }]),
                "BAD_USER_INPUT",
            ),
            (AppError::Forbidden("x".into()), "FORBIDDEN"),
            (AppError::conflict("x", None), "CONFLICT"),
            (
                AppError::RateLimited {
                    message: "x".into(),
                    retry_after: 3,
                },
                "RATE_LIMITED",
            ),
            (AppError::Unavailable(anyhow::anyhow!("down")), "SERVICE_UNAVAILABLE"),
            (AppError::Timeout(anyhow::anyhow!("slow")), "TIMEOUT"),
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
        for err in [
            AppError::Internal(anyhow::anyhow!("SELECT secret FROM t")),
            AppError::Unavailable(anyhow::anyhow!("SELECT secret FROM t")),
            AppError::Timeout(anyhow::anyhow!("SELECT secret FROM t")),
        ] {
            let gql: async_graphql::Error = err.into();
            assert!(!gql.message.contains("SELECT"), "{}", gql.message);
        }
    }

    #[test]
    fn database_errors_are_sorted_by_what_the_client_can_do() {
        let lost = DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout);
        assert_eq!(AppError::from(lost).code(), "SERVICE_UNAVAILABLE");
        assert_eq!(
            AppError::from(DbErr::Custom("x".into())).code(),
            "INTERNAL_SERVER_ERROR"
        );
    }
}
