//! GraphQL subscriptions over WebSocket, on `/graphql`.
//!
//! Both protocols clients speak: `graphql-transport-ws` (the `graphql-ws`
//! JavaScript client) and the legacy `graphql-ws` (subscriptions-transport-
//! ws); a client that names neither gets `graphql-transport-ws`. The GraphQL
//! messages themselves are async-graphql's; this module owns the connection:
//! - The caller: the `connection_init` payload may carry
//!   `{"Authorization": "Bearer <JWT>"}` (or `authorization`), checked as the
//!   HTTP header is. A bad token closes the connection with 4403 (after a
//!   `connection_error` on the legacy protocol), never serves it as
//!   anonymous; no `connection_init` within the init timeout closes it with
//!   4408. The caller is fixed for the connection's life, and so is what
//!   they may see: when their token expires, the connection closes with
//!   4403, and the client connects again with a fresh token.
//! - Bounds: messages of at most 64 KiB, a handful of subscriptions per
//!   connection with ids of at most 128 bytes, a cap on connections per process and on those of one
//!   client (an IPv4 address or IPv6 /64), and a client that stops reading
//!   is dropped after a few seconds instead of being buffered for: it then
//!   misses events (it is told so) rather than growing our memory.
//! - Liveness: the server pings every `keepalive` and closes a connection
//!   it has not heard from for three of them; at shutdown every connection
//!   is closed with 1001 (Going Away) before the server stops.
//! - Over WebSocket only subscriptions run (see `graphql::limits`).

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{sync::watch, time::Instant};

use super::{
    auth, client,
    graphql::{GraphqlState, context_of, http_error},
};
use crate::{
    config::LiveSettings,
    graphql::{context, loaders::Loaders},
    metrics::Metrics,
};

/// Largest message a client may send (a subscription document with its
/// variables is far smaller).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest a message may wait for a client to read it before the client is
/// dropped as too slow.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Client messages the GraphQL layer may have queued; a client that sends
/// faster than they are handled is closed.
const INBOX: usize = 16;
/// Longest subscription id: ids are kept while their subscription runs,
/// here and by the protocol, and one of the message's 64 KiB in each of a
/// connection's subscriptions would be a megabyte a connection.
const MAX_ID_BYTES: usize = 128;

/// What the WebSocket connections of one process share.
pub struct Sockets {
    pub settings: LiveSettings,
    pub metrics: Arc<Metrics>,
    /// Turns true when the server begins to shut down.
    pub stopping: watch::Receiver<bool>,
    open: AtomicUsize,
    /// Open connections per client; a client's entry goes with its last
    /// connection, so there are never more entries than connections.
    per_client: Mutex<HashMap<IpAddr, usize>>,
}

impl Sockets {
    pub fn new(settings: LiveSettings, metrics: Arc<Metrics>, stopping: watch::Receiver<bool>) -> Self {
        Self {
            settings,
            metrics,
            stopping,
            open: AtomicUsize::new(0),
            per_client: Mutex::default(),
        }
    }
}

/// Why a connection was not admitted.
enum Refusal {
    /// The process has as many connections as it takes.
    Full,
    /// This client has as many as one client may.
    ClientFull,
}

/// One open connection, counted (in the process's total and its client's)
/// until dropped.
struct Admitted {
    sockets: web::Data<Sockets>,
    client: Option<IpAddr>,
    /// Whether it holds a place in the process's total.
    counted: bool,
}

impl Admitted {
    fn new(sockets: web::Data<Sockets>, client: Option<IpAddr>) -> Result<Self, Refusal> {
        if let Some(client) = client {
            let mut per_client = sockets.per_client.lock().map_err(|_| Refusal::Full)?;
            let open = per_client.entry(client).or_default();
            if *open >= sockets.settings.max_connections_per_client {
                if *open == 0 {
                    per_client.remove(&client);
                }
                return Err(Refusal::ClientFull);
            }
            *open += 1;
        }
        // From here on, dropping `admitted` gives back what it took.
        let mut admitted = Self {
            sockets,
            client,
            counted: false,
        };
        let max = admitted.sockets.settings.max_connections;
        admitted
            .sockets
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .map_err(|_| Refusal::Full)?;
        admitted.counted = true;
        Ok(admitted)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if self.counted {
            self.sockets.open.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(client) = self.client
            && let Ok(mut per_client) = self.sockets.per_client.lock()
            && let Some(open) = per_client.get_mut(&client)
        {
            *open -= 1;
            if *open == 0 {
                per_client.remove(&client);
            }
        }
    }
}

/// Upgrades a request to a WebSocket and serves it in a task of its own.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<GraphqlState>,
    sockets: web::Data<Sockets>,
) -> HttpResponse {
    let protocol = match protocol(&req) {
        Ok(protocol) => protocol,
        Err(message) => return http_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    };
    let address = client::address(&req, &state.http.trusted_proxies).map(context::network);
    let admitted = match Admitted::new(sockets.clone(), address) {
        Ok(admitted) => admitted,
        Err(Refusal::Full) => {
            return http_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "this server has as many WebSocket connections as it takes; try again shortly",
            );
        }
        Err(Refusal::ClientFull) => {
            return http_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "this client has as many WebSocket connections open as one client may; close some first",
            );
        }
    };
    let (response, session, messages) = match actix_ws::handle_with_protocols(&req, body, &ALL_WEBSOCKET_PROTOCOLS) {
        Ok(upgraded) => upgraded,
        Err(err) => return HttpResponse::from_error(err),
    };
    let messages = messages
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    let connection = Connection {
        req,
        state,
        protocol,
        session,
        messages,
        heard: Instant::now(),
        admitted,
    };
    actix_web::rt::spawn(connection.serve());
    response
}

/// The protocol the client asked for: the first it offers that we speak,
/// `graphql-transport-ws` when it offers none, an error when it offers only
/// others.
fn protocol(req: &HttpRequest) -> Result<WebSocketProtocols, String> {
    let offered: Vec<&str> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if offered.is_empty() {
        return Ok(WebSocketProtocols::GraphQLWS);
    }
    offered
        .iter()
        .find(|p| ALL_WEBSOCKET_PROTOCOLS.contains(p))
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| {
            format!(
                "none of the offered WebSocket subprotocols is spoken here; use {}",
                ALL_WEBSOCKET_PROTOCOLS.join(" or ")
            )
        })
}

/// The envelope of a protocol message: its type and id.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    #[serde(default)]
    payload: Value,
}

/// How a connection ends.
struct Close(u16, String);

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self(code, reason.into())
    }
}

struct Connection {
    req: HttpRequest,
    state: web::Data<GraphqlState>,
    protocol: WebSocketProtocols,
    session: Session,
    messages: AggregatedMessageStream,
    /// When the client was last heard from (any frame).
    heard: Instant,
    admitted: Admitted,
}

/// What became of a frame from the client.
enum Frame {
    Text(String),
    /// Handled here (a ping or a pong).
    Handled,
    Closed(Close),
}

impl Connection {
    async fn serve(mut self) {
        let sockets = self.admitted.sockets.clone();
        let mut stopping = sockets.stopping.clone();
        let ending = match self.handshake(&mut stopping).await {
            Ok(init) => self.run(init, &mut stopping).await,
            Err(close) => close,
        };
        self.close(ending).await;
    }

    /// Reads the next frame, answering pings on the way.
    async fn frame(&mut self) -> Frame {
        match self.messages.next().await {
            None => Frame::Closed(Close::new(1000, "")),
            Some(Err(err)) => Frame::Closed(match err {
                actix_ws::ProtocolError::Overflow => {
                    Close::new(1009, format!("messages are limited to {MAX_MESSAGE_BYTES} bytes"))
                }
                _ => Close::new(1002, "malformed WebSocket frame"),
            }),
            Some(Ok(message)) => {
                self.heard = Instant::now();
                match message {
                    AggregatedMessage::Text(text) => Frame::Text(text.to_string()),
                    AggregatedMessage::Binary(_) => Frame::Closed(Close::new(1003, "send text frames (JSON)")),
                    AggregatedMessage::Ping(bytes) => {
                        let _ = self.session.pong(&bytes).await;
                        Frame::Handled
                    }
                    AggregatedMessage::Pong(_) => Frame::Handled,
                    AggregatedMessage::Close(_) => Frame::Closed(Close::new(1000, "")),
                }
            }
        }
    }

    /// Waits for `connection_init`, within the init timeout, and checks the
    /// caller it names.
    async fn handshake(&mut self, stopping: &mut watch::Receiver<bool>) -> Result<(String, Envelope), Close> {
        let deadline = tokio::time::sleep(self.admitted.sockets.settings.init_timeout);
        tokio::pin!(deadline);
        loop {
            let text = tokio::select! {
                _ = &mut deadline => return Err(Close::new(4408, "Connection initialisation timeout")),
                _ = stopping.wait_for(|s| *s) => return Err(going_away()),
                frame = self.frame() => match frame {
                    Frame::Text(text) => text,
                    Frame::Handled => continue,
                    Frame::Closed(close) => return Err(close),
                },
            };
            let Ok(envelope) = serde_json::from_str::<Envelope>(&text) else {
                return Err(Close::new(4400, "messages are JSON objects with a `type`"));
            };
            match envelope.kind.as_str() {
                "connection_init" => return Ok((text, envelope)),
                "ping" if self.protocol == WebSocketProtocols::GraphQLWS => {
                    self.send(json!({ "type": "pong" }).to_string()).await?;
                }
                _ => return Err(Close::new(4401, "Unauthorized: send connection_init first")),
            }
        }
    }

    /// Serves the GraphQL protocol after a `connection_init`.
    async fn run(&mut self, (init, envelope): (String, Envelope), stopping: &mut watch::Receiver<bool>) -> Close {
        let authorization = authorization(&envelope.payload)
            .map(str::to_owned)
            .or_else(|| header_value(&self.req, header::AUTHORIZATION));
        let (viewer, valid_until) = match auth::session_of(authorization.as_deref(), self.state.verifier.as_ref()) {
            Ok(session) => session,
            Err(auth::Refused(message)) => return self.refuse(message).await,
        };
        let expiry = tokio::time::sleep_until(expiry_instant(valid_until));
        tokio::pin!(expiry);
        let schema = self.state.schemas.websocket.serving(&viewer).clone();
        let mut context = context_of(&self.req, &self.state, viewer);
        context.over_websocket = true;
        let subject = context.viewer.caller().map(|c| c.subject.clone());
        let mut data = async_graphql::Data::default();
        let lang = context
            .accept_language
            .map_or(crate::registry::text::Lang::Ky, Into::into);
        data.insert(context);
        data.insert(Loaders::uncached(
            &self.state.db,
            &self.state.reference,
            &self.state.lookups,
            lang,
        ));
        let (mut inbox, inbox_rx) = futures::channel::mpsc::channel::<String>(INBOX);
        let graphql = WebSocket::new(schema, inbox_rx, self.protocol).connection_data(data);
        tokio::pin!(graphql);
        let sockets = self.admitted.sockets.clone();
        let mut book = Subscriptions::new(
            self.protocol,
            sockets.settings.max_subscriptions,
            sockets.metrics.clone(),
        );
        if inbox.try_send(init).is_err() {
            return Close::new(1011, "");
        }
        tracing::info!(subscriber = subject, "WebSocket connection opened");
        let keepalive = sockets.settings.keepalive;
        let mut ping = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
        let close = loop {
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => break going_away(),
                _ = &mut expiry => break Close::new(4403, "Forbidden: the token has expired; connect again with a new one"),
                _ = ping.tick() => {
                    if self.heard.elapsed() > keepalive * 3 {
                        break Close::new(1001, "no answer to pings");
                    }
                    if self.session.ping(b"").await.is_err() {
                        break Close::new(1000, "");
                    }
                }
                frame = self.frame() => match frame {
                    Frame::Handled => {}
                    Frame::Closed(close) => break close,
                    Frame::Text(text) => match book.admit(&text) {
                        Admission::Forward => {
                            if inbox.try_send(text).is_err() {
                                break Close::new(1008, "too many messages at once");
                            }
                        }
                        Admission::Answer(answer) => {
                            if let Err(close) = self.send(answer).await {
                                break close;
                            }
                        }
                        Admission::Close(close) => break close,
                    },
                },
                out = graphql.next() => match out {
                    Some(WsMessage::Text(text)) => {
                        book.observe(&text);
                        if let Err(close) = self.send(with_codes(text)).await {
                            break close;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => break Close(code, reason),
                    None => break Close::new(1000, ""),
                },
            }
        };
        book.end();
        tracing::info!(subscriber = subject, code = close.0, "WebSocket connection closed");
        close
    }

    /// Refuses the connection's credentials: 4403 Forbidden, after a
    /// `connection_error` on the legacy protocol (which has no close codes
    /// of its own).
    async fn refuse(&mut self, message: String) -> Close {
        if self.protocol == WebSocketProtocols::SubscriptionsTransportWS {
            let error = json!({
                "type": "connection_error",
                "payload": { "message": message, "extensions": { "code": "UNAUTHENTICATED" } },
            });
            let _ = self.send(error.to_string()).await;
        }
        Close::new(4403, format!("Forbidden: {message}"))
    }

    /// Sends a message, dropping a client that does not read it in time.
    async fn send(&mut self, text: String) -> Result<(), Close> {
        match tokio::time::timeout(SEND_TIMEOUT, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Close::new(1000, "")),
            Err(_) => Err(Close::new(1008, "the client does not read its messages")),
        }
    }

    async fn close(self, Close(code, reason): Close) {
        let reason = CloseReason {
            code: CloseCode::from(code),
            description: (!reason.is_empty()).then(|| truncate(reason)),
        };
        // A client that does not read may not take the close frame either.
        let _ = tokio::time::timeout(SEND_TIMEOUT, self.session.close(Some(reason))).await;
    }
}

/// When a connection whose token holds until `valid_until` must end; far
/// in the future for an anonymous one, whose view never changes.
fn expiry_instant(valid_until: Option<SystemTime>) -> Instant {
    const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    let left = match valid_until {
        None => NEVER,
        Some(until) => until.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO),
    };
    Instant::now() + left.min(NEVER)
}

fn going_away() -> Close {
    Close::new(1001, "the server is shutting down")
}

/// A close reason fits in a control frame: at most 123 bytes.
fn truncate(mut reason: String) -> String {
    if reason.len() > 123 {
        let mut end = 120;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push_str("...");
    }
    reason
}

/// The `Authorization` of a `connection_init` payload, in either case.
fn authorization(payload: &Value) -> Option<&str> {
    ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(Value::as_str))
}

fn header_value(req: &HttpRequest, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
}

/// What to do with a client's message.
enum Admission {
    Forward,
    /// Answer it here and do not forward it.
    Answer(String),
    Close(Close),
}

/// The subscriptions open on one connection, kept within the cap and
/// reflected in the `subscriptions_active` metric.
struct Subscriptions {
    protocol: WebSocketProtocols,
    max: usize,
    open: HashSet<String>,
    metrics: Arc<Metrics>,
}

impl Subscriptions {
    fn new(protocol: WebSocketProtocols, max: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            protocol,
            max,
            open: HashSet::new(),
            metrics,
        }
    }

    fn admit(&mut self, text: &str) -> Admission {
        let Ok(envelope) = serde_json::from_str::<Envelope>(text) else {
            return Admission::Close(Close::new(4400, "messages are JSON objects with a `type`"));
        };
        match (envelope.kind.as_str(), envelope.id) {
            ("subscribe" | "start", Some(id)) if id.len() > MAX_ID_BYTES => Admission::Close(Close::new(
                4400,
                format!("subscription ids are at most {MAX_ID_BYTES} bytes"),
            )),
            ("subscribe" | "start", Some(id)) => {
                if self.open.contains(&id) {
                    return match self.protocol {
                        WebSocketProtocols::GraphQLWS => {
                            Admission::Close(Close::new(4409, format!("Subscriber for {id} already exists")))
                        }
                        WebSocketProtocols::SubscriptionsTransportWS => {
                            Admission::Answer(self.error(&id, "a subscription with this id is open", "BAD_REQUEST"))
                        }
                    };
                }
                if self.open.len() >= self.max {
                    let message = format!("at most {} subscriptions may be open on one connection", self.max);
                    return Admission::Answer(self.error(&id, &message, "TOO_MANY_SUBSCRIPTIONS"));
                }
                self.open.insert(id);
                self.metrics.subscriptions.inc();
                Admission::Forward
            }
            ("subscribe" | "start", None) => Admission::Close(Close::new(4400, "a subscription needs an id")),
            ("complete" | "stop", Some(id)) => {
                self.closed(&id);
                Admission::Forward
            }
            _ => Admission::Forward,
        }
    }

    /// Notes the subscriptions the server ended (completed or failed).
    fn observe(&mut self, text: &str) {
        // Only the rare `complete` and `error` messages are parsed.
        if !(text.contains("\"complete\"") || text.contains("\"error\"")) {
            return;
        }
        if let Ok(Envelope { kind, id: Some(id), .. }) = serde_json::from_str(text)
            && matches!(kind.as_str(), "complete" | "error")
        {
            self.closed(&id);
        }
    }

    fn closed(&mut self, id: &str) {
        if self.open.remove(id) {
            self.metrics.subscriptions.dec();
        }
    }

    /// The connection is gone, and its subscriptions with it.
    fn end(&mut self) {
        self.metrics.subscriptions.sub(self.open.len() as i64);
        self.open.clear();
    }

    /// An error for one subscription, in the protocol's shape.
    fn error(&self, id: &str, message: &str, code: &str) -> String {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let payload = match self.protocol {
            WebSocketProtocols::GraphQLWS => json!([error]),
            WebSocketProtocols::SubscriptionsTransportWS => error,
        };
        json!({ "id": id, "type": "error", "payload": payload }).to_string()
    }
}

/// Gives every error of an outgoing message a code, as over HTTP (parse and
/// validation errors have none of their own).
fn with_codes(text: String) -> String {
    if !text.contains("\"errors\"") && !text.contains("\"error\"") {
        return text;
    }
    let Ok(mut message) = serde_json::from_str::<Value>(&text) else {
        return text;
    };
    let errors = match message.get_mut("payload") {
        Some(Value::Array(errors)) => errors,
        Some(Value::Object(payload)) => match payload.get_mut("errors") {
            Some(Value::Array(errors)) => errors,
            _ => return text,
        },
        _ => return text,
    };
    for error in errors.iter_mut().filter_map(Value::as_object_mut) {
        let extensions = error.entry("extensions").or_insert_with(|| json!({}));
        if let Some(extensions) = extensions.as_object_mut() {
            extensions
                .entry("code")
                .or_insert_with(|| json!("GRAPHQL_VALIDATION_FAILED"));
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_get_codes() {
        let next = r#"{"id":"1","type":"next","payload":{"data":null,"errors":[{"message":"Unknown field"}]}}"#;
        let labelled: Value = serde_json::from_str(&with_codes(next.into())).expect("json");
        assert_eq!(
            labelled["payload"]["errors"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
        let error = r#"{"id":"1","type":"error","payload":[{"message":"x","extensions":{"code":"FORBIDDEN"}}]}"#;
        let labelled: Value = serde_json::from_str(&with_codes(error.into())).expect("json");
        assert_eq!(labelled["payload"][0]["extensions"]["code"], "FORBIDDEN");
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        assert_eq!(truncate("short".into()), "short");
        let long = truncate("ж".repeat(100));
        assert!(long.len() <= 123 && long.ends_with("..."));
    }
}
