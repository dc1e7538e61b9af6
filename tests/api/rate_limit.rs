//! Rate limits: a bucket per client, charged the cost of each query, with
//! 429 and `Retry-After` when it runs dry; `X-Forwarded-For` believed only
//! from trusted proxies.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both;

/// Costs 30: a listing (20) and five nodes of two fields.
const QUERY: &str = r#"{"query": "{ centres(first: 5) { nodes { id } } }"}"#;

async fn send(app: &crate::helpers::TestApp, forwarded_for: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    app.post_raw(
        QUERY,
        &[("content-type", "application/json"), ("x-forwarded-for", forwarded_for)],
    )
    .await
}

both!(
    each_client_spends_its_own_bucket,
    configure = |s| {
        s.rate_limit.anonymous_per_minute = 100;
        s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    },
    |app| async move {
        for _ in 0..3 {
            let (status, _, body) = send(&app, "198.51.100.1").await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let (status, headers, body) = send(&app, "198.51.100.1").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        let wait: u64 = headers["retry-after"]
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        assert_eq!(body["errors"][0]["extensions"]["retryAfter"], wait);
        // Another client behind the same proxy has a bucket of its own.
        let (status, _, _) = send(&app, "198.51.100.2").await;
        assert_eq!(status, StatusCode::OK);
        let metrics = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("text");
        assert!(metrics.contains("kamkor_rate_limited_total 1"), "{metrics}");
    }
);

both!(
    forwarded_addresses_from_anyone_else_are_ignored,
    configure = |s| s.rate_limit.anonymous_per_minute = 100,
    |app| async move {
        for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            assert_eq!(send(&app, client).await.0, StatusCode::OK);
        }
        // Not a trusted proxy: every request was charged to 127.0.0.1.
        assert_eq!(send(&app, "198.51.100.4").await.0, StatusCode::TOO_MANY_REQUESTS);
    }
);
