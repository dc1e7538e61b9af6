//! Request ids and request spans, through `tracing-actix-web`.
//!
//! `TracingLogger` opens one span per request and every log line of the
//! request is emitted inside it. Its root span carries the request id: the
//! incoming `X-Request-Id` when a load balancer sent a well-formed one (so
//! one id follows the request through every hop), else the UUID that
//! `tracing-actix-web` generates. The same id goes back in the response's
//! `X-Request-Id` header, so a client's error report can be matched with
//! the server's log. Each request ends with one "request finished" line
//! carrying its status and duration.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, as logged and returned.
#[derive(Clone, Debug)]
pub struct CorrelationId(pub String);

/// An incoming id we are willing to log and echo: short, and made of
/// letters, digits and dashes only.
fn incoming(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(HEADER)?.to_str().ok()?;
    let ok = !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| value.to_owned())
}

/// The root span of every request: method, route, status, and the id.
pub struct KamkorRootSpan;

impl RootSpanBuilder for KamkorRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = incoming(request)
            .or_else(|| request.extensions().get::<RequestId>().map(ToString::to_string))
            .unwrap_or_default();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            http.method = %request.method(),
            http.target = %request.path(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        request.extensions_mut().insert(CorrelationId(id));
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Puts the request's id in the response's `X-Request-Id` header and logs
/// the request's outcome (inside the request's span, so with its id).
pub async fn finish_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let id = req.extensions().get::<CorrelationId>().cloned();
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        res.headers_mut().insert(HEADER, value);
    }
    tracing::info!(
        status = res.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1e3,
        "request finished"
    );
    Ok(res)
}
