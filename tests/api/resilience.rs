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

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
pub struct Proxy {
    pub port: u16,
    cut: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (cut, watching) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() {
                    continue; // cut: the connection is dropped at once
                }
                let (upstream, mut cut) = (upstream.clone(), watching.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    pub fn set_cut(&self, cut: bool) {
        let _ = self.cut.send(cut);
    }
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
    let Some((mut database, _guard)) = fresh_database(Backend::Postgres).await else {
        return;
    };
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
    let _server = app.spawn();
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
