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
        let metrics = app.metrics().await;
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

both!(
    one_ipv6_network_is_one_client,
    configure = |s| {
        s.rate_limit.anonymous_per_minute = 100;
        s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    },
    |app| async move {
        // Every address of a /64 spends one bucket: a subscriber who owns
        // millions of addresses is still one client.
        for host in ["2001:db8:1:2::1", "2001:db8:1:2::abcd", "2001:db8:1:2:ffff::7"] {
            assert_eq!(send(&app, host).await.0, StatusCode::OK, "{host}");
        }
        assert_eq!(send(&app, "2001:db8:1:2::9").await.0, StatusCode::TOO_MANY_REQUESTS);
        // The next /64 is another client.
        assert_eq!(send(&app, "2001:db8:1:3::1").await.0, StatusCode::OK);
    }
);

both!(
    requests_that_do_not_parse_or_validate_are_not_free,
    configure = |s| {
        s.rate_limit.anonymous_per_minute = 1_000;
        s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    },
    |app| async move {
        let invalid = [
            r#"{"query": "{ centres(first: "}"#,
            r#"{"query": "{ noSuchField }"}"#,
            r#"{"query": "{ centres(first: 5) { nodes { nope } } }"}"#,
        ];
        let mut refused = None;
        for i in 0..40 {
            let (status, _, body) = app
                .post_raw(
                    invalid[i % invalid.len()],
                    &[
                        ("content-type", "application/json"),
                        ("x-forwarded-for", "198.51.100.9"),
                    ],
                )
                .await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
                refused = Some(i);
                break;
            }
        }
        // 1,000 a minute at a fixed price of 50: the 21st is refused.
        assert_eq!(refused, Some(20));
        // Its valid queries draw on the same bucket.
        let (status, _, _) = send(&app, "198.51.100.9").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
);
