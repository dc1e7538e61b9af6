//! What operators see: Prometheus metrics on `/metrics`, and CORS for
//! partner web apps.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;

both!(metrics_count_operations_pool_and_subscriptions, |app| async move {
    app.data("{ centres(first: 1) { nodes { id } } }", json!({})).await;
    app.data("{ centres(first: 2) { nodes { id } } }", json!({})).await;
    app.query("{ centre(id: \"nope\") { id } }", json!({})).await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    for expected in [
        r#"kamkor_graphql_requests_total{operation="centres",outcome="ok"} 2"#,
        r#"kamkor_graphql_requests_total{operation="centre",outcome="BAD_USER_INPUT"} 1"#,
        r#"kamkor_graphql_request_duration_seconds_count{operation="centres"} 2"#,
        r#"kamkor_database_connections{state="max"} 5"#,
        "kamkor_rate_limited_total 0",
        "kamkor_subscriptions_active 0",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
});

both!(
    cors_admits_configured_origins_only,
    configure = |s| s.http.cors_origins = vec!["https://partner.example.kg".into()],
    |app| async move {
        let preflight = |origin: &'static str| {
            let (client, url) = (app.client.clone(), app.graphql_url());
            async move {
                client
                    .request(reqwest::Method::OPTIONS, url)
                    .header("origin", origin)
                    .header("access-control-request-method", "POST")
                    .header("access-control-request-headers", "content-type, authorization")
                    .send()
                    .await
                    .expect("sent")
            }
        };
        let allowed = preflight("https://partner.example.kg").await;
        assert_eq!(allowed.status(), StatusCode::OK);
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://partner.example.kg"
        );
        let refused = preflight("https://evil.example.com").await;
        assert!(refused.headers().get("access-control-allow-origin").is_none());
        // The server's own origin (the playground) is always admitted.
        let own = app
            .client
            .post(app.graphql_url())
            .header("origin", app.address.clone())
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("sent");
        assert_eq!(own.status(), StatusCode::OK);
    }
);

both!(no_origin_is_admitted_by_default, |app| async move {
    let res = app
        .client
        .post(app.graphql_url())
        .header("origin", "https://partner.example.kg")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent");
    assert!(res.headers().get("access-control-allow-origin").is_none());
});

/// The series of a metrics page, without their values.
fn series(text: &str) -> Vec<String> {
    let mut series: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(name, _)| name.to_owned()))
        .collect();
    series.sort();
    series
}

both!(made_up_documents_make_no_new_series, |app| async move {
    // One of each kind first, so that their series exist.
    app.query("{ fWarmUp }", json!({})).await;
    app.query("{ fWarmUp(", json!({})).await;
    let before = series(&app.metrics().await);
    let documents: Vec<String> = (0..1_000)
        .map(|i| {
            let name = format!("f{}", uuid::Uuid::new_v4().simple());
            match i % 4 {
                0 => format!("{{ {name} }}"),
                1 => format!("{{ {name}(x: 1) {{ id }} }}"),
                2 => format!("query {name} {{ {name} }}"),
                _ => format!("{{ {name}( "),
            }
        })
        .collect();
    let app = &app;
    for chunk in documents.chunks(50) {
        let sent = chunk.iter().enumerate().map(|(i, document)| async move {
            if i % 2 == 0 {
                app.query(document, json!({})).await;
            } else {
                app.client
                    .get(app.graphql_url())
                    .query(&[("query", document.as_str())])
                    .send()
                    .await
                    .expect("sent");
            }
        });
        futures::future::join_all(sent).await;
    }
    let after = app.metrics().await;
    assert_eq!(series(&after), before, "{after}");
    assert!(
        after.contains(r#"kamkor_graphql_requests_total{operation="invalid",outcome="GRAPHQL_VALIDATION_FAILED"}"#),
        "{after}"
    );
});
