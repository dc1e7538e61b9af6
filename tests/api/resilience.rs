//! The server keeps serving through failures: a panicking resolver, a slow
//! request, a database that goes away and comes back.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use api::{config::Settings, startup::Application};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::{
    both,
    helpers::{Backend, fresh_database},
};

both!(a_panicking_resolver_fails_its_request_only, |app| async move {
    let (status, headers, body) = app
        .post_raw(
            json!({ "query": "{ kamkorTestPanic: adminAreas { code } }" }).to_string(),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(
        error["extensions"]["requestId"],
        headers["x-request-id"].to_str().unwrap_or_default()
    );
    assert!(
        !error["message"].as_str().unwrap_or_default().contains("panic"),
        "{body}"
    );
    // Both workers still serve.
    for _ in 0..8 {
        assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "QueryRoot");
    }
});

both!(
    a_request_runs_under_a_time_limit,
    configure = |s| s.http.request_timeout = Duration::from_millis(300),
    |app| async move {
        let started = Instant::now();
        let (status, _, body) = app
            .post_raw(
                json!({ "query": "{ kamkorTestSlow: adminAreas { code } }" }).to_string(),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT");
        assert!(started.elapsed() < Duration::from_millis(1_200));
        assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "QueryRoot");
    }
);

/// A TCP proxy in front of PostgreSQL that the test can cut and restore,
/// or freeze: connections stay open and nothing answers, as when the
/// database's host hangs.
pub struct Proxy {
    pub port: u16,
    cut: watch::Sender<bool>,
    frozen: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (cut, watching) = watch::channel(false);
        let (frozen, freezing) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() {
                    continue; // cut: the connection is dropped at once
                }
                let (upstream, mut cut, freezing) = (upstream.clone(), watching.clone(), freezing.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::select! {
                        _ = pump(client_read, server_write, freezing.clone()) => {}
                        _ = pump(server_read, client_write, freezing) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { port, cut, frozen }
    }

    pub fn set_cut(&self, cut: bool) {
        let _ = self.cut.send(cut);
    }

    pub fn set_frozen(&self, frozen: bool) {
        let _ = self.frozen.send(frozen);
    }
}

/// Copies one direction of a connection, holding every byte while frozen.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else { return };
        if n == 0 || frozen.wait_for(|frozen| !*frozen).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// A server on a fresh PostgreSQL database reached through a [`Proxy`],
/// with the demo data; `None` without PostgreSQL.
async fn behind_proxy() -> Option<(Proxy, String, crate::helpers::TestDatabase)> {
    let (mut database, guard) = fresh_database(Backend::Postgres).await?;
    let upstream = {
        let url = url::Url::parse(&database.url).expect("a URL");
        format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(5432)
        )
    };
    let proxy = Proxy::start(upstream.clone()).await;
    database.url = database
        .url
        .replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let mut settings = Settings::for_database(database);
    settings.demo = true;
    let app = Application::build(&settings).await.expect("starts through the proxy");
    let base = format!("http://127.0.0.1:{}", app.port());
    app.spawn();
    Some((proxy, base, guard))
}

async fn status_of(client: &reqwest::Client, url: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let res = client
        .post(url)
        .json(&json!({ "query": "{ centres(first: 3) { totalCount nodes { name } } }" }))
        .send()
        .await
        .expect("the server answers");
    let status = res.status();
    (status, res.json().await.unwrap_or_default(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outages_fail_fast_and_heal() {
    let Some((proxy, base, _guard)) = behind_proxy().await else {
        return;
    };
    let client = reqwest::Client::new();
    let graphql = format!("{base}/graphql");
    assert_eq!(status_of(&client, &graphql).await.0, StatusCode::OK);

    proxy.set_cut(true);
    let (status, body, took) = status_of(&client, &graphql).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE");
    assert!(took < Duration::from_millis(2_500), "failed after {took:?}");
    let started = Instant::now();
    let ready = client.get(format!("{base}/readyz")).send().await.expect("answers");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "readyz took {:?}",
        started.elapsed()
    );
    let health = client.get(format!("{base}/healthz")).send().await.expect("answers");
    assert_eq!(health.status(), StatusCode::OK);

    proxy.set_cut(false);
    let healed = Arc::new(Instant::now());
    let mut last = (StatusCode::SERVICE_UNAVAILABLE, Value::Null, Duration::ZERO);
    while healed.elapsed() < Duration::from_secs(10) {
        last = status_of(&client, &graphql).await;
        if last.0 == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.0, StatusCode::OK, "no recovery: {}", last.1);
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("answers")
            .status(),
        StatusCode::OK
    );
}

async fn ready(client: &reqwest::Client, base: &str) -> StatusCode {
    client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("answers")
        .status()
}

/// Polls `/readyz` until it answers `status`, within ten seconds.
async fn until_ready_is(client: &reqwest::Client, base: &str, status: StatusCode) {
    let started = Instant::now();
    while ready(client, base).await != status {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "/readyz never said {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_hangs_is_answered_at_once_until_it_answers_again() {
    let Some((proxy, base, _guard)) = behind_proxy().await else {
        return;
    };
    let client = reqwest::Client::new();
    let graphql = format!("{base}/graphql");
    assert_eq!(status_of(&client, &graphql).await.0, StatusCode::OK);

    proxy.set_frozen(true);
    until_ready_is(&client, &base, StatusCode::SERVICE_UNAVAILABLE).await;
    // The watchdog asks every second and gives each probe a second.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for _ in 0..3 {
        let (status, body, took) = status_of(&client, &graphql).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE");
        assert!(
            took < Duration::from_millis(500),
            "answered after {took:?}, not at once"
        );
    }

    proxy.set_frozen(false);
    until_ready_is(&client, &base, StatusCode::OK).await;
    // Within a probe's interval of the database answering, the server
    // knows; the first request after that succeeds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body, _) = status_of(&client, &graphql).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A statement past the PostgreSQL statement timeout is cancelled by the
/// database and reported as `TIMEOUT`, not as an internal error.
#[tokio::test]
async fn postgres_statements_stop_at_the_statement_timeout() {
    use sea_orm::ConnectionTrait;

    let Some((mut database, _guard)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    database.statement_timeout = Duration::from_millis(200);
    let db = api::database::connect(&database).await.expect("connect");
    let started = Instant::now();
    let err = db
        .execute_unprepared("SELECT pg_sleep(5)")
        .await
        .expect_err("cancelled");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(api::error::AppError::from(err).code(), "TIMEOUT");
}
