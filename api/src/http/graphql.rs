//! GraphQL over HTTP, as the graphql-over-http specification describes it.
//!
//! async-graphql-actix-web's `GraphQLRequest` extractor reads bodies without
//! a limit (it ignores actix's payload configuration), accepts any content
//! type and answers every result with 200, so requests are read here:
//! - POST takes `application/json` only (415 otherwise), with the body
//!   capped before it is buffered (413); GET runs queries only (405 with
//!   `Allow: POST` for a mutation or subscription, whatever the form of the
//!   document: named, anonymous, one of several).
//! - Malformed parameters get 400 with a GraphQL error body.
//! - Responses are `application/graphql-response+json` when the client
//!   accepts it, else `application/json`. In the former, a request that
//!   could not run at all (it does not parse or validate, or breaks a
//!   limit) gets 400 and no `data`; legacy `application/json` clients get
//!   200 for those, as the specification asks.
//! - Whatever the media type: a rate-limited request gets 429 with
//!   `Retry-After`; one that failed as a whole because the database is
//!   unreachable or the time ran out, 503; a panic, 500. While the database
//!   is known to be unreachable (see `database::Reachability`), requests
//!   get 503 at once instead of waiting out their time limit.
//! - A request runs under a time limit, and a panic in a resolver answers
//!   that request only: the worker keeps serving.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Instant};

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    guard::GuardContext,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    BatchResponse, Request, Response, ServerError, Value,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use futures::FutureExt;
use sea_orm::DatabaseConnection;

use super::{
    auth::{self, Refused, TokenVerifier},
    client, params,
    telemetry::CorrelationId,
};
use crate::{
    config::{HttpSettings, QueryLimits},
    database::Reachability,
    graphql::{
        Schemas,
        context::{Client, RequestContext},
        documents::{Documents, Prepared},
        limits::{self, DocumentLimits},
        loaders::{Loaders, lookups::SharedLookups},
        observe,
        rate_limit::{self, RateLimiter},
        types::text::Lang,
    },
    metrics::Metrics,
    registry::reference::ReferenceCache,
    registry::{access::Viewer, geo::PublicGrid, text},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What the GraphQL handlers share.
pub struct GraphqlState {
    pub schemas: Schemas,
    /// The documents this process saw last, parsed and checked.
    pub documents: Documents,
    pub metrics: Arc<Metrics>,
    pub rate_limiter: Arc<RateLimiter>,
    pub db: DatabaseConnection,
    pub http: HttpSettings,
    pub limits: QueryLimits,
    /// `None` when no keys are configured.
    pub verifier: Option<TokenVerifier>,
    pub public_grid: PublicGrid,
    /// This replica's areas and organizations (kept true by the events).
    pub reference: Arc<ReferenceCache>,
    /// This replica's look-ups of records by id, batched across requests.
    pub lookups: SharedLookups,
    /// The schema's root fields: the only labels of the metrics.
    pub root_fields: observe::RootFields,
    /// Whether the database answers, as last seen.
    pub reachability: Arc<Reachability>,
}

/// An HTTP-level failure, answered in the GraphQL error shape.
pub(super) fn http_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code } }]
        }))
}

pub async fn post(req: HttpRequest, payload: web::Payload, state: web::Data<GraphqlState>) -> HttpResponse {
    if req
        .mime_type()
        .ok()
        .flatten()
        .is_none_or(|m| m.essence_str() != "application/json")
    {
        return http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST /graphql takes Content-Type: application/json",
        );
    }
    let limit = state.http.max_body_bytes;
    let too_large = || {
        http_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("request bodies are limited to {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return too_large();
    }
    let body = match payload.to_bytes_limited(limit).await {
        Err(_) => return too_large(),
        Ok(Err(_)) => return http_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the body could not be read"),
        Ok(Ok(body)) => body,
    };
    match params::from_json(&body, state.limits.max_batch) {
        Err(params::ParamsError(message)) => http_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
        Ok(params::Operations::Single(request)) => execute(&req, &state, *request).await,
        Ok(params::Operations::Batch(requests)) => execute_batch(&req, &state, requests).await,
    }
}

pub async fn get(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    let request = match params::from_query_string(req.query_string()) {
        Ok(request) => request,
        Err(params::ParamsError(message)) => {
            return http_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
    };
    // Deciding whether this is a mutation parses the document: bound it first.
    if let Err(err) = DocumentLimits::from(&state.limits).check_document(&request.query) {
        return reply(&req, &Response::from_errors(vec![err.into()]));
    }
    let writes = state
        .documents
        .prepare(&request.query)
        .is_ok_and(|prepared| may_do_more_than_read(&prepared.document, request.operation_name.as_deref()));
    if writes {
        return with_allow(
            http_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "GET only reads: send mutations with POST, subscriptions over WebSocket",
            ),
            "POST",
        );
    }
    execute(&req, &state, request).await
}

/// True unless the operation a GET would run is certainly a query. The
/// parser keeps a single anonymous operation apart from named ones, and
/// async-graphql runs the only operation of a document when no name is
/// given; where the name picks none, any operation that is not a query
/// counts, so that no form of a document slips a write through.
fn may_do_more_than_read(document: &ExecutableDocument, name: Option<&str>) -> bool {
    let not_a_query = |ty: OperationType| ty != OperationType::Query;
    match &document.operations {
        DocumentOperations::Single(op) => not_a_query(op.node.ty),
        DocumentOperations::Multiple(ops) => match name.and_then(|n| ops.get(n)) {
            Some(op) => not_a_query(op.node.ty),
            None => ops.values().any(|op| not_a_query(op.node.ty)),
        },
    }
}

pub async fn method_not_allowed() -> HttpResponse {
    with_allow(
        http_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "use GET or POST on /graphql",
        ),
        "GET, POST",
    )
}

fn with_allow(mut response: HttpResponse, methods: &'static str) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(methods));
    response
}

/// The most preferred language of `Accept-Language` that the registry has,
/// parsed by actix-web's typed header (RFC 7231 language ranges, q-values).
fn accept_language(req: &HttpRequest) -> Option<Lang> {
    let header = req.get_header::<header::AcceptLanguage>()?;
    let mut ranked: Vec<_> = header
        .0
        .iter()
        .filter(|item| item.quality > header::Quality::ZERO)
        .collect();
    // Stable: equally preferred languages keep the order they were listed in.
    ranked.sort_by_key(|item| std::cmp::Reverse(item.quality));
    ranked.into_iter().find_map(|item| match &item.item {
        header::Preference::Specific(tag) => text::Lang::from_code(tag.primary_language()).map(Lang::from),
        header::Preference::Any => None,
    })
}

/// Who is asking, in which language, and who pays for it; refused when the
/// request's credentials do not check out.
fn request_context(req: &HttpRequest, state: &GraphqlState) -> Result<RequestContext, Refused> {
    let viewer = auth::viewer(req, state.verifier.as_ref())?;
    Ok(context_of(req, state, viewer))
}

/// The context of a request (or a WebSocket connection) made by `viewer`.
pub fn context_of(req: &HttpRequest, state: &GraphqlState, viewer: Viewer) -> RequestContext {
    let client = match viewer.caller() {
        Some(caller) => Some(Client::caller(caller)),
        None => client::address(req, &state.http.trusted_proxies).map(Client::address),
    };
    RequestContext {
        may_introspect: state.limits.introspection || viewer.caller().is_some(),
        viewer,
        accept_language: accept_language(req),
        client,
        public_grid: state.public_grid,
        over_websocket: false,
    }
}

/// The answer to a request whose credentials were refused.
fn unauthenticated(Refused(message): Refused) -> HttpResponse {
    let mut response = http_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    response
}

/// Runs one operation: its limits, its price, then its execution, observed
/// whatever the outcome. A status comes with the response when the request
/// did not finish (it panicked or ran out of time).
async fn run(state: &GraphqlState, context: &RequestContext, mut request: Request) -> (Response, Option<StatusCode>) {
    let started = Instant::now();
    let name = request.operation_name.clone();
    let prepared = prepare(state, context, &mut request);
    let (response, status) = match &prepared {
        Err(error) => match charge_invalid(state, context) {
            Err(limited) => (Response::from_errors(vec![limited]), None),
            Ok(()) => (Response::from_errors(vec![error.clone()]), None),
        },
        Ok(prepared) => match charge(state, context, prepared, &request).await {
            Err(error) => (Response::from_errors(vec![error]), None),
            Ok(()) => execute_in_time(state, context, request).await,
        },
    };
    let field = prepared.as_ref().ok().and_then(|p| p.root_field(name.as_deref()));
    let operation = state.root_fields.label(field);
    observe::record(&state.metrics, operation, &response, started.elapsed());
    (response, status)
}

/// Charges a request that did not parse, or broke a limit, the price of an
/// invalid request.
fn charge_invalid(state: &GraphqlState, context: &RequestContext) -> Result<(), ServerError> {
    match charged_client(state, context) {
        Some(client) => rate_limit::charge(
            &state.rate_limiter,
            &state.metrics,
            client,
            rate_limit::INVALID_REQUEST_PRICE,
        ),
        None => Ok(()),
    }
}

/// The client a request is charged to, when its kind of client has a limit.
fn charged_client<'a>(state: &GraphqlState, context: &'a RequestContext) -> Option<&'a Client> {
    context.client.as_ref().filter(|c| state.rate_limiter.limits(c))
}

/// The parsed, checked document of a request, set in it so that
/// async-graphql does not parse it again. The text's limits come first:
/// only a document within them is parsed (the parser recurses).
fn prepare(
    state: &GraphqlState,
    context: &RequestContext,
    request: &mut Request,
) -> Result<Arc<Prepared>, ServerError> {
    limits::check_text(request, &state.limits)?;
    let prepared = state.documents.prepare(&request.query)?;
    prepared.check(context.may_introspect)?;
    request.set_parsed_query(prepared.document.clone());
    Ok(prepared)
}

/// Prices a request and charges it to its client, when the client's kind
/// has a limit. A request that does not validate costs the price of an
/// invalid request (its execution then says what is wrong with it).
async fn charge(
    state: &GraphqlState,
    context: &RequestContext,
    prepared: &Prepared,
    request: &Request,
) -> Result<(), ServerError> {
    let Some(client) = charged_client(state, context) else {
        return Ok(());
    };
    let key = prepared.price_key(request.operation_name.as_deref(), &request.variables);
    let cost = match prepared.price(&key) {
        Some(cost) => cost,
        None => match rate_limit::price(&state.schemas.pricing, &prepared.document, request).await {
            Some(cost) => {
                prepared.remember_price(key, cost);
                cost
            }
            None => rate_limit::INVALID_REQUEST_PRICE,
        },
    };
    rate_limit::charge(&state.rate_limiter, &state.metrics, client, cost)
}

/// Executes one operation within the time limit, a panic answered as an
/// internal error.
async fn execute_in_time(
    state: &GraphqlState,
    context: &RequestContext,
    request: Request,
) -> (Response, Option<StatusCode>) {
    let schema = state.schemas.http.serving(&context.viewer);
    let lang = context.accept_language.unwrap_or(Lang::Ky).into();
    let request = request
        .data(context.clone())
        .data(Loaders::new(&state.db, &state.reference, &state.lookups, lang));
    let execution = AssertUnwindSafe(schema.execute(request)).catch_unwind();
    let status = match tokio::time::timeout(state.http.request_timeout, execution).await {
        Ok(Ok(response)) => return (response, None),
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(
                panic = what,
                "a resolver panicked; the request is answered as an internal error"
            );
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Err(_) => {
            tracing::warn!(timeout = ?state.http.request_timeout, "request timed out");
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    (unfinished(status, state), Some(status))
}

/// The response of a request that did not finish.
fn unfinished(status: StatusCode, state: &GraphqlState) -> Response {
    let (code, message) = if status == StatusCode::SERVICE_UNAVAILABLE {
        (
            "TIMEOUT",
            format!(
                "the request took longer than {} s; ask for less",
                state.http.request_timeout.as_secs_f64()
            ),
        )
    } else {
        (
            "INTERNAL_SERVER_ERROR",
            "Internal server error; the request id is in the X-Request-Id response header".to_owned(),
        )
    };
    Response::from_errors(vec![coded(ServerError::new(message, None), code)])
}

fn coded(mut error: ServerError, code: &str) -> ServerError {
    error.extensions.get_or_insert_with(Default::default).set("code", code);
    error
}

/// The answer to every request while the database is known to be
/// unreachable: at once, rather than after the request's time limit.
fn database_unreachable(req: &HttpRequest) -> HttpResponse {
    let error = coded(
        ServerError::new("the database is unreachable; try again shortly", None),
        "SERVICE_UNAVAILABLE",
    );
    let mut response = json_reply(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        response_body(&Response::from_errors(vec![error]), false),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

async fn execute(req: &HttpRequest, state: &GraphqlState, request: Request) -> HttpResponse {
    let context = match request_context(req, state) {
        Ok(context) => context,
        Err(refused) => return unauthenticated(refused),
    };
    if !state.reachability.is_reachable() {
        return database_unreachable(req);
    }
    let (mut response, status) = run(state, &context, request).await;
    label_errors(req, &mut response);
    match status {
        None => reply(req, &response),
        Some(status) => json_reply(req, status, response_body(&response, false)),
    }
}

async fn execute_batch(req: &HttpRequest, state: &GraphqlState, requests: Vec<Request>) -> HttpResponse {
    let context = match request_context(req, state) {
        Ok(context) => context,
        Err(refused) => return unauthenticated(refused),
    };
    if !state.reachability.is_reachable() {
        return database_unreachable(req);
    }
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        let (mut response, _) = run(state, &context, request).await;
        label_errors(req, &mut response);
        responses.push(response);
    }
    match serde_json::to_vec(&BatchResponse::Batch(responses)) {
        Ok(body) => HttpResponse::Ok().content_type(media_type(req)).body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Every error gets a code (parse and validation errors have none), and
/// internal ones the request id, so that a report can be matched with the
/// log.
fn label_errors(req: &HttpRequest, response: &mut Response) {
    let request_id = req.extensions().get::<CorrelationId>().map(|id| id.0.clone());
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
        let internal = matches!(extensions.get("code"), Some(Value::String(c)) if c == "INTERNAL_SERVER_ERROR");
        if let (true, Some(id)) = (internal, &request_id) {
            extensions.set("requestId", id.as_str());
        }
    }
}

fn modern(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE_JSON))
}

fn media_type(req: &HttpRequest) -> &'static str {
    if modern(req) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    }
}

/// The codes of a response's errors.
fn codes(response: &Response) -> impl Iterator<Item = &str> {
    response
        .errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(Value::String(code)) => Some(code.as_str()),
            _ => None,
        })
}

/// A response without `data`, for a request that never ran, when the
/// client speaks `application/graphql-response+json`.
#[derive(serde::Serialize)]
struct WithoutData<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// The body of a response, serialised straight from async-graphql's values
/// (an object's fields in the order they completed: the query's order,
/// except that fields waiting for a loader come after those that did not).
fn response_body(response: &Response, omit_data: bool) -> serde_json::Result<Vec<u8>> {
    if omit_data {
        serde_json::to_vec(&WithoutData {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(response)
    }
}

/// Status, media type and body per the module's rules.
fn reply(req: &HttpRequest, response: &Response) -> HttpResponse {
    let failed_whole = response.data == Value::Null && !response.errors.is_empty();
    let never_ran = failed_whole && response.errors.iter().all(|e| e.path.is_empty());
    let omit_data = never_ran && modern(req);
    let body = response_body(response, omit_data);
    if let Some(wait) = retry_after(response) {
        let mut res = json_reply(req, StatusCode::TOO_MANY_REQUESTS, body);
        res.headers_mut().insert(header::RETRY_AFTER, wait);
        return res;
    }
    let unavailable = codes(response).any(|c| c == "SERVICE_UNAVAILABLE" || c == "TIMEOUT");
    let status = if failed_whole && unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if omit_data {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_reply(req, status, body)
}

/// The `Retry-After` of a rate-limited response.
fn retry_after(response: &Response) -> Option<header::HeaderValue> {
    response.errors.iter().find_map(|e| {
        let extensions = e.extensions.as_ref()?;
        match (extensions.get("code"), extensions.get("retryAfter")) {
            (Some(Value::String(code)), Some(Value::Number(seconds))) if code == "RATE_LIMITED" => {
                header::HeaderValue::from_str(&seconds.to_string()).ok()
            }
            _ => None,
        }
    })
}

fn json_reply(req: &HttpRequest, status: StatusCode, body: serde_json::Result<Vec<u8>>) -> HttpResponse {
    match body {
        Ok(bytes) => HttpResponse::build(status).content_type(media_type(req)).body(bytes),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialise a GraphQL response");
            http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "cannot serialise the response",
            )
        }
    }
}

/// Browsers asking for HTML get the playground.
pub fn wants_html(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn preferred(header: &str) -> Option<Lang> {
        accept_language(
            &TestRequest::default()
                .insert_header(("accept-language", header))
                .to_http_request(),
        )
    }

    #[test]
    fn accept_language_picks_the_best_language_we_have() {
        assert_eq!(preferred("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(preferred("de, en;q=0.5, ky;q=0.7"), Some(Lang::Ky));
        assert_eq!(preferred("de, fr"), None);
        assert_eq!(preferred("ru;q=0"), None);
        assert_eq!(preferred("*"), None);
        assert_eq!(preferred("not a header;;;"), None);
    }
}
