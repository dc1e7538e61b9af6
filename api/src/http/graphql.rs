//! GraphQL over HTTP.
//!
//! async-graphql-actix-web's `GraphQLRequest` extractor reads bodies without
//! a limit (it ignores actix's payload configuration), accepts any content
//! type and answers every result with 200, so requests are read here: JSON only (415 otherwise), bodies capped before
//! buffering (413), and request errors answered with 400 to clients that
//! accept `application/graphql-response+json`.

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    guard::GuardContext,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    BatchRequest, Request, Response, Variables,
    parser::types::{DocumentOperations, OperationType},
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use crate::{
    graphql::{AppSchema, context::RequestContext, limits::DocumentLimits, loaders::Loaders, types::text::Lang},
    registry::{access::Viewer, text},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What the GraphQL handlers share.
pub struct GraphqlState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub max_body_bytes: usize,
}

/// An HTTP-level failure, answered in the GraphQL error shape.
fn http_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
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
    let too_large = || {
        http_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("request bodies are limited to {} bytes", state.max_body_bytes),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.max_body_bytes) {
        return too_large();
    }
    let body = match payload.to_bytes_limited(state.max_body_bytes).await {
        Err(_) => return too_large(),
        Ok(Err(err)) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("cannot read body: {err}"),
            );
        }
        Ok(Ok(body)) => body,
    };
    let request = match serde_json::from_slice::<BatchRequest>(&body).map(BatchRequest::into_single) {
        Ok(Ok(request)) => request,
        Ok(Err(_)) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "batched requests are not supported",
            );
        }
        Err(err) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("body is not a GraphQL request: {err}"),
            );
        }
    };
    execute(&req, &state, request).await
}

/// Query-string parameters of `GET /graphql`. Parsed here because the stock
/// parser reads `operation_name` instead of `operationName`.
#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

pub async fn get(req: HttpRequest, params: web::Query<GetParams>, state: web::Data<GraphqlState>) -> HttpResponse {
    let params = params.into_inner();
    let Some(query) = params.query else {
        return http_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "GET /graphql needs a `query` parameter",
        );
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => Variables::default(),
        Some(Ok(value)) => Variables::from_json(value),
        Some(Err(err)) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("`variables` is not JSON: {err}"),
            );
        }
    };
    // Deciding whether this is a mutation parses the document: bound it first.
    if let Err(err) = DocumentLimits::default().check_document(&query) {
        return reply(&req, &Response::from_errors(vec![err.into()]));
    }
    let mut request = Request::new(query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if is_mutation(&mut request) {
        return with_allow(
            http_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "mutations must use POST",
            ),
            "POST",
        );
    }
    execute(&req, &state, request).await
}

/// True when the operation to run is a mutation (GET may only read).
fn is_mutation(request: &mut Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => name
            .as_deref()
            .and_then(|n| ops.get(n))
            .is_some_and(|op| op.node.ty == OperationType::Mutation),
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

async fn execute(req: &HttpRequest, state: &GraphqlState, request: Request) -> HttpResponse {
    let accept_language = accept_language(req);
    let request = request
        .data(RequestContext {
            viewer: Viewer::anonymous(),
            accept_language,
        })
        .data(Loaders::new(&state.db));
    let mut response = state.schema.execute(request).await;
    label_request_errors(&mut response);
    reply(req, &response)
}

/// Errors raised by parsing and validation carry no code: label them so
/// clients can always switch on `extensions.code`.
fn label_request_errors(response: &mut Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
    }
}

/// Status and media type per the GraphQL-over-HTTP spec: clients that accept
/// `application/graphql-response+json` get 400 for requests that could not
/// run at all; legacy `application/json` clients always get 200.
fn reply(req: &HttpRequest, response: &Response) -> HttpResponse {
    let modern = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE_JSON));
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = if modern && request_failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let content_type = if modern {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    match serde_json::to_vec(response) {
        Ok(body) => HttpResponse::build(status).content_type(content_type).body(body),
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

pub async fn playground() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(super::playground::PAGE.as_str())
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
