//! A WebSocket client for the subscription tests: speaks either GraphQL
//! protocol frame by frame, so that tests can check every message and close
//! code the server sends.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode},
};

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

/// How long a test waits for a message it expects.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    pub protocol: &'static str,
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Received {
    Message(Value),
    Closed(u16, String),
}

impl WsClient {
    /// Opens a WebSocket to `http_url` (`http://…/graphql`) speaking `protocol`.
    pub async fn open(http_url: &str, protocol: &'static str) -> Self {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a ws url");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_static(protocol));
        let (stream, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        assert_eq!(
            response.headers().get("sec-websocket-protocol").map(|v| v.as_bytes()),
            Some(protocol.as_bytes())
        );
        Self { stream, protocol }
    }

    /// Opens a connection and completes `connection_init` with `payload`.
    pub async fn connect(http_url: &str, protocol: &'static str, payload: Value) -> Self {
        let mut client = Self::open(http_url, protocol).await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack:#}");
        client
    }

    /// Opens a connection as the holder of `token` (`None`: anonymous).
    pub async fn connect_as(http_url: &str, token: Option<&str>) -> Self {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        Self::connect(http_url, TRANSPORT_WS, payload).await
    }

    /// A connection as the holder of `token` (`None`: anonymous) hearing,
    /// as subscription `1`, the free places of every capacity at `centre`,
    /// ready for the changes made after it returns.
    pub async fn hearing_centre(http_url: &str, token: Option<&str>, centre: &str) -> Self {
        let mut client = Self::connect_as(http_url, token).await;
        client
            .subscribe(
                "1",
                "subscription($c: ID!) { capacityChanged(filter: { centreId: $c }) { available } }",
                json!({ "c": centre }),
            )
            .await;
        // A subscription hears changes from the moment it runs, and the
        // server acknowledges nothing before its first event.
        tokio::time::sleep(Duration::from_millis(300)).await;
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("the message is sent");
    }

    /// Starts a subscription (`subscribe`, or `start` on the legacy protocol).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == TRANSPORT_WS {
            "subscribe"
        } else {
            "start"
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message or close, waiting at most `wait`; `None` if nothing
    /// came.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        loop {
            let frame = tokio::time::timeout(wait, self.stream.next()).await.ok()?;
            match frame {
                None => return Some(Received::Closed(1006, String::new())),
                Some(Err(_)) => return Some(Received::Closed(1006, String::new())),
                Some(Ok(Message::Text(text))) => {
                    return Some(Received::Message(serde_json::from_str(&text).expect("JSON message")));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(match frame {
                        Some(frame) => Received::Closed(u16::from(frame.code), frame.reason.to_string()),
                        None => Received::Closed(u16::from(CloseCode::Status), String::new()),
                    });
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next message, which must come within [`PATIENCE`].
    pub async fn message(&mut self) -> Value {
        match self.next_within(PATIENCE).await {
            Some(Received::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The next subscription result (`next`, or `data` on the legacy
    /// protocol), skipping keep-alive messages.
    pub async fn next_payload(&mut self, id: &str) -> Value {
        loop {
            let message = self.message().await;
            match message["type"].as_str() {
                Some("next" | "data") if message["id"] == id => return message["payload"].clone(),
                Some("ka" | "ping" | "pong") => continue,
                _ => panic!("expected a result for {id}, got {message:#}"),
            }
        }
    }

    /// The close code the server ends with, within [`PATIENCE`].
    pub async fn close_code(&mut self) -> (u16, String) {
        loop {
            match self.next_within(PATIENCE).await {
                Some(Received::Closed(code, reason)) => return (code, reason),
                Some(Received::Message(_)) => continue,
                None => panic!("the server did not close the connection"),
            }
        }
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Some(received) = self.next_within(wait).await {
            panic!("expected nothing, got {received:?}");
        }
    }
}
