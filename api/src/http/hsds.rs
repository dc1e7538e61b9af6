//! The HSDS API (Open Referral's read API over HSDS 3.1) under `/hsds`:
//! the same callers' rules as GraphQL (a bearer token sees what it sees
//! there; anonymous callers never see where a shelter is), the same rate
//! limit, time limit and compression. Answers are built by `hsds::answers`.
//!
//! Every parameter is checked: an unknown one, or a value of the wrong
//! kind, is a 400 that says what the endpoint takes; an id that names
//! nothing is a 404. Errors have the shape of the GraphQL endpoint's.

use std::{collections::HashMap, time::Duration};

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use sea_orm::prelude::Uuid;
use serde_json::{Value, json};

use super::{auth, client, graphql::GraphqlState};
use crate::{
    error::AppError,
    graphql::{context::Client, rate_limit},
    hsds::{
        answers::{self, DEFAULT_PER_PAGE, MAX_PER_PAGE, Page, Reading, Shape},
        vocabulary::{HSDS_VERSION, Taxonomy},
    },
    registry::{Window, service::ServiceFilter},
};

/// The OpenAPI description this API follows (Open Referral's, unchanged).
const OPENAPI: &str = include_str!("../../hsds-3.1/openapi.json");
/// The Kyrgyz HSDS profile: the mapping, the taxonomy, the conventions.
const PROFILE: &str = include_str!("../../../docs/hsds.md");

/// What a request costs against its caller's rate limit: a round trip's
/// worth, and one for each record a page may hold.
const BASE_PRICE: usize = 10;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/hsds")
            .route("", web::get().to(about))
            .route("/", web::get().to(about))
            .route("/openapi.json", web::get().to(openapi))
            .route("/profile", web::get().to(profile))
            .route("/services", web::get().to(services))
            .route("/services/{id}", web::get().to(service))
            .route("/organizations", web::get().to(organizations))
            .route("/organizations/{id}", web::get().to(organization))
            .route("/service_at_locations", web::get().to(service_at_locations))
            .route("/service_at_locations/{id}", web::get().to(service_at_location))
            .route("/taxonomies", web::get().to(taxonomies))
            .route("/taxonomies/{id}", web::get().to(taxonomy))
            .route("/taxonomy_terms", web::get().to(taxonomy_terms))
            .route("/taxonomy_terms/{id}", web::get().to(taxonomy_term))
            .default_service(web::route().to(not_here)),
    );
}

/// An answer, or the error that answers instead.
type Answer = Result<HttpResponse, Refusal>;

/// The error answer of a request that was refused or failed (boxed: an
/// `HttpResponse` is large, and most results are not errors).
struct Refusal(Box<HttpResponse>);

impl From<HttpResponse> for Refusal {
    fn from(response: HttpResponse) -> Self {
        Self(Box::new(response))
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    super::graphql::http_error(status, code, message)
}

fn bad_request(message: impl AsRef<str>) -> Refusal {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message.as_ref()).into()
}

/// The answer to a refused or failed read.
fn failed(err: AppError) -> Refusal {
    let response = match err {
        AppError::BadUserInput { message, .. } => error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
        AppError::NotFound(message) => error(StatusCode::NOT_FOUND, "NOT_FOUND", &message),
        AppError::Unauthenticated(message) => error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &message),
        AppError::Forbidden(message) => error(StatusCode::FORBIDDEN, "FORBIDDEN", &message),
        err @ (AppError::Unavailable(_) | AppError::Timeout(_)) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", &err.to_string())
        }
        err => {
            tracing::error!(error = ?err, "an HSDS read failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "internal error; the request id is in the X-Request-Id response header",
            )
        }
    };
    response.into()
}

fn json_answer(value: &Value) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").json(value)
}

/// The query's parameters, each checked against what the endpoint takes.
struct Params {
    values: HashMap<String, String>,
    /// The endpoint, for messages.
    path: String,
}

impl Params {
    fn parse(req: &HttpRequest, takes: &[&str]) -> Result<Self, Refusal> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            if !takes.contains(&name.as_ref()) {
                return Err(bad_request(format!(
                    "{name} is not a parameter of {}; it takes {}",
                    req.path(),
                    if takes.is_empty() {
                        "none".to_owned()
                    } else {
                        takes.join(", ")
                    }
                )));
            }
            if params.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(bad_request(format!("{name} is given twice")));
            }
        }
        Ok(Self {
            values: params,
            path: req.path().to_owned(),
        })
    }

    fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn number(&self, name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<u64, Refusal> {
        match self.text(name) {
            None => Ok(default),
            Some(raw) => raw.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                bad_request(format!(
                    "{name} {raw:?} is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            }),
        }
    }

    fn page(&self) -> Result<Page, Refusal> {
        Ok(Page {
            number: self.number("page", 1, 1..=1_000_000)?,
            size: self.number("per_page", DEFAULT_PER_PAGE, 1..=MAX_PER_PAGE)?,
        })
    }

    fn flag(&self, name: &str) -> Result<bool, Refusal> {
        match self.text(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(bad_request(format!("{name} {other:?} is not true or false"))),
        }
    }

    fn id(&self, name: &str) -> Result<Option<Uuid>, Refusal> {
        self.text(name)
            .map(|raw| Uuid::parse_str(&raw).map_err(|_| bad_request(format!("{name} {raw:?} is not a UUID"))))
            .transpose()
    }

    fn time(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Refusal> {
        self.text(name)
            .map(|raw| {
                chrono::DateTime::parse_from_rfc3339(&raw)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .or_else(|_| {
                        chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                            .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                    })
                    .map_err(|_| {
                        bad_request(format!(
                            "{name} {raw:?} is not a date-time (2026-12-01T00:00:00Z) or date"
                        ))
                    })
            })
            .transpose()
    }

    /// Refuses `format=ndjson` where answers come in pages only.
    fn pages_only(&self) -> Result<(), Refusal> {
        if self.ndjson()? {
            return Err(bad_request(format!(
                "format=ndjson is for /hsds/services; {} answers in pages",
                self.path
            )));
        }
        Ok(())
    }

    /// Whether the caller asks for newline-delimited JSON.
    fn ndjson(&self) -> Result<bool, Refusal> {
        match self.text("format").as_deref() {
            None | Some("json") => Ok(false),
            Some("ndjson") => Ok(true),
            Some(other) => Err(bad_request(format!("format {other:?} is not json or ndjson"))),
        }
    }
}

/// The id in the path, or 400.
fn path_id(req: &HttpRequest) -> Result<Uuid, Refusal> {
    let raw = req.match_info().get("id").unwrap_or_default();
    Uuid::parse_str(raw).map_err(|_| bad_request(format!("{raw:?} is not a UUID")))
}

/// Checks the caller, the database and the rate limit before a read: what
/// the read may see.
fn admit(req: &HttpRequest, state: &GraphqlState, price: usize) -> Result<Reading, Refusal> {
    let (reading, client) = caller(req, state)?;
    charge(state, client.as_ref(), price)?;
    Ok(reading)
}

/// Who asks (what they may see, who pays), once the database is known to answer.
fn caller(req: &HttpRequest, state: &GraphqlState) -> Result<(Reading, Option<Client>), Refusal> {
    let viewer = auth::viewer(req, state.verifier.as_ref()).map_err(|auth::Refused(message)| {
        let mut response = error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &message);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        Refusal::from(response)
    })?;
    if !state.reachability.is_reachable() {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the database is unreachable; try again shortly",
        )
        .into());
    }
    let client = match viewer.caller() {
        Some(caller) => Some(Client::caller(caller)),
        None => client::address(req, &state.http.trusted_proxies).map(Client::address),
    };
    let reading = Reading {
        db: state.db.clone(),
        reference: state.reference.clone(),
        access: viewer.location_access(),
    };
    Ok((reading, client))
}

/// Charges `price` to the client, when its kind of client has a limit.
fn charge(state: &GraphqlState, client: Option<&Client>, price: usize) -> Result<(), Refusal> {
    if let Some(client) = client.filter(|c| state.rate_limiter.limits(c)) {
        rate_limit::charge(&state.rate_limiter, &state.metrics, client, price).map_err(|refused| {
            let wait = refused
                .extensions
                .as_ref()
                .and_then(|e| e.get("retryAfter"))
                .map(|v| v.to_string())
                .unwrap_or_else(|| "60".into());
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", &refused.message);
            if let Ok(value) = header::HeaderValue::from_str(&wait) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Refusal::from(response)
        })?;
    }
    Ok(())
}

/// Runs a read under the server's time limit.
async fn in_time<T>(timeout: Duration, read: impl Future<Output = Result<T, AppError>>) -> Result<T, Refusal> {
    match tokio::time::timeout(timeout, read).await {
        Ok(outcome) => outcome.map_err(failed),
        Err(_) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "TIMEOUT",
            &format!("the request took longer than {} s; ask for less", timeout.as_secs_f64()),
        )
        .into()),
    }
}

fn either(answer: Answer) -> HttpResponse {
    answer.unwrap_or_else(|Refusal(refused)| *refused)
}

async fn about(req: HttpRequest) -> HttpResponse {
    let info = req.connection_info();
    let base = format!("{}://{}/hsds", info.scheme(), info.host());
    json_answer(&json!({
        "version": HSDS_VERSION,
        "profile": format!("{base}/profile"),
        "openapi_url": format!("{base}/openapi.json"),
    }))
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

async fn profile() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(PROFILE)
}

async fn not_here(req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "the HSDS API only reads: use GET (edits go through GraphQL mutations or kamkor import hsds)",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        return response;
    }
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!(
            "{} is not an endpoint of the HSDS API (GET /hsds/ lists what is)",
            req.path()
        ),
    )
}

const SERVICE_PARAMS: [&str; 10] = [
    "search",
    "page",
    "per_page",
    "format",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "modified_after",
    "minimal",
    "full",
];

async fn services(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(services_answer(&req, state).await)
}

async fn services_answer(req: &HttpRequest, state: web::Data<GraphqlState>) -> Answer {
    let params = Params::parse(req, &SERVICE_PARAMS)?;
    let page = params.page()?;
    let shape = match (params.flag("minimal")?, params.flag("full")?) {
        (true, true) => return Err(bad_request("minimal and full exclude each other")),
        (true, false) => Shape::Minimal,
        (false, true) => Shape::Full,
        (false, false) => Shape::Own,
    };
    let mut filter = ServiceFilter {
        text: params.text("search"),
        organization_id: params.id("organization_id")?,
        updated_since: params.time("modified_after")?,
        ..Default::default()
    };
    let classifiers = (params.id("taxonomy_term_id")?, params.id("taxonomy_id")?);
    let ndjson = params.ndjson()?;
    let timeout = state.http.request_timeout;
    let (reading, client) = caller(req, &state)?;
    charge(
        &state,
        client.as_ref(),
        BASE_PRICE + if ndjson { 0 } else { page.size as usize },
    )?;
    if classifiers != (None, None) {
        let (vocabulary, _) = in_time(timeout, reading.vocabulary()).await?;
        answers::classify(&vocabulary, classifiers, &mut filter).map_err(failed)?;
    }
    if ndjson {
        return stream_services(&state, (reading, client), filter, shape).await;
    }
    let page = in_time(timeout, reading.services(&filter, page, shape)).await?;
    Ok(json_answer(&page))
}

/// Every matching service, a line each, read a window at a time: the
/// whole list without pages (and charged as such, once its size is known).
async fn stream_services(
    state: &GraphqlState,
    (reading, client): (Reading, Option<Client>),
    filter: ServiceFilter,
    shape: Shape,
) -> Answer {
    use crate::registry::{NamedOrder, service, text::Lang};
    let timeout = state.http.request_timeout;
    let listing = in_time(
        timeout,
        service::list(&reading.db, &reading.reference, &filter, NamedOrder::by_name(Lang::Ru)),
    )
    .await?;
    let total = in_time(timeout, listing.count(&reading.db)).await?;
    charge(state, client.as_ref(), usize::try_from(total).unwrap_or(usize::MAX))?;
    let step = MAX_PER_PAGE;
    let shared = std::sync::Arc::new((reading, listing));
    let lines = futures::stream::unfold(Some(0u64), move |offset| {
        let shared = shared.clone();
        async move {
            let (reading, listing) = &*shared;
            let offset = offset?;
            if offset >= total {
                return None;
            }
            let window = Window { offset, limit: step };
            let read = tokio::time::timeout(timeout, reading.services_in(listing, window, shape)).await;
            let chunk = match read {
                Ok(Ok(services)) => {
                    let mut text = Vec::new();
                    for service in services {
                        let _ = serde_json::to_writer(&mut text, &service);
                        text.push(b'\n');
                    }
                    Ok(web::Bytes::from(text))
                }
                Ok(Err(err)) => Err(std::io::Error::other(err.to_string())),
                Err(_) => Err(std::io::Error::other("the stream took longer than the server allows")),
            };
            let next = chunk.is_ok().then_some(offset + step);
            Some((chunk, next))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(Box::pin(lines)))
}

/// One record by the id in the path: no parameters but `takes`, the
/// price of one round trip.
async fn by_id(
    req: &HttpRequest,
    state: &GraphqlState,
    takes: &[&str],
    read: impl AsyncFnOnce(Reading, Uuid) -> Result<Value, AppError>,
) -> Answer {
    Params::parse(req, takes)?;
    let id = path_id(req)?;
    let reading = admit(req, state, BASE_PRICE)?;
    Ok(json_answer(
        &in_time(state.http.request_timeout, read(reading, id)).await?,
    ))
}

async fn service(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(by_id(&req, &state, &[], async |reading, id| reading.service(id).await).await)
}

async fn organizations(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            let params = Params::parse(&req, &["search", "page", "per_page", "format"])?;
            let page = params.page()?;
            params.pages_only()?;
            let reading = admit(&req, &state, BASE_PRICE + page.size as usize)?;
            let answer = reading.organizations(params.text("search"), page);
            Ok(json_answer(&in_time(state.http.request_timeout, answer).await?))
        }
        .await,
    )
}

async fn organization(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        by_id(&req, &state, &["full_service"], async |reading, id| {
            reading.organization(id).await
        })
        .await,
    )
}

async fn service_at_locations(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            let params = Params::parse(
                &req,
                &["search", "page", "per_page", "format", "organization_id", "full"],
            )?;
            let page = params.page()?;
            if params.text("search").is_some() {
                return Err(bad_request(
                    "search is not supported on service_at_locations; search /hsds/services",
                ));
            }
            params.pages_only()?;
            let (organization_id, full) = (params.id("organization_id")?, params.flag("full")?);
            let reading = admit(&req, &state, BASE_PRICE + page.size as usize)?;
            let answer = reading.service_at_locations(organization_id, page, full);
            Ok(json_answer(&in_time(state.http.request_timeout, answer).await?))
        }
        .await,
    )
}

async fn service_at_location(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        by_id(&req, &state, &[], async |reading, id| {
            reading.service_at_location(id).await
        })
        .await,
    )
}

async fn taxonomies(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            let params = Params::parse(&req, &["search", "page", "per_page", "format"])?;
            let page = params.page()?;
            params.pages_only()?;
            admit(&req, &state, BASE_PRICE)?;
            Ok(json_answer(&answers::taxonomies(
                params.text("search").as_deref(),
                page,
            )))
        }
        .await,
    )
}

async fn taxonomy(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            Params::parse(&req, &[])?;
            let id = path_id(&req)?;
            admit(&req, &state, BASE_PRICE)?;
            let taxonomy =
                Taxonomy::by_id(id).ok_or_else(|| failed(AppError::not_found(format!("no taxonomy with id {id}"))))?;
            Ok(json_answer(&taxonomy.object()))
        }
        .await,
    )
}

async fn taxonomy_terms(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            let params = Params::parse(&req, &["search", "page", "per_page", "format", "taxonomy_id"])?;
            let page = params.page()?;
            params.pages_only()?;
            let taxonomy = match params.id("taxonomy_id")? {
                None => None,
                Some(id) => Some(
                    Taxonomy::by_id(id)
                        .ok_or_else(|| bad_request(format!("taxonomy_id {id} is no taxonomy of this registry")))?,
                ),
            };
            let reading = admit(&req, &state, BASE_PRICE + page.size as usize)?;
            let (vocabulary, _) = in_time(state.http.request_timeout, reading.vocabulary()).await?;
            let search = params.text("search");
            Ok(json_answer(&answers::taxonomy_terms(
                &vocabulary,
                search.as_deref(),
                taxonomy,
                page,
            )))
        }
        .await,
    )
}

async fn taxonomy_term(req: HttpRequest, state: web::Data<GraphqlState>) -> HttpResponse {
    either(
        async {
            Params::parse(&req, &[])?;
            let id = path_id(&req)?;
            let reading = admit(&req, &state, BASE_PRICE)?;
            let (vocabulary, _) = in_time(state.http.request_timeout, reading.vocabulary()).await?;
            let term = vocabulary
                .term(id)
                .ok_or_else(|| failed(AppError::not_found(format!("no taxonomy term with id {id}"))))?;
            Ok(json_answer(&term.object()))
        }
        .await,
    )
}
