//! The HTTP surface: methods, media types, body limits, health, playground.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;

both!(post_requires_json_and_limits_bodies, |app| async move {
    let url = app.graphql_url();
    let text = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = text.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE");

    let huge = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(200_000)) });
    let res = app.client.post(&url).json(&huge).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A chunked body with no Content-Length is cut off at the limit too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..100).map(|_| Ok(vec![b' '; 4096])).collect();
    let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(stream)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let malformed = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let batch = app
        .client
        .post(&url)
        .json(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]))
        .send()
        .await
        .expect("sent");
    assert_eq!(batch.status(), StatusCode::BAD_REQUEST);

    let ok = app
        .client
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers().contains_key("x-request-id"));
});

both!(status_codes_follow_graphql_over_http, |app| async move {
    let url = app.graphql_url();
    let send = |accept: &'static str| {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            client
                .post(&url)
                .header("accept", accept)
                .json(&json!({ "query": "{ nope }" }))
                .send()
                .await
                .expect("sent")
        }
    };
    let modern = send("application/graphql-response+json").await;
    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert!(
        modern.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/graphql-response+json"))
    );
    let legacy = send("application/json").await;
    assert_eq!(legacy.status(), StatusCode::OK);
});

both!(get_runs_queries_only, |app| async move {
    let url = app.graphql_url();
    let res = app
        .client
        .get(&url)
        .query(&[
            ("query", "query A { __typename } query B { adminAreas { code } }"),
            ("operationName", "B"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert!(
        body["data"]["adminAreas"].as_array().is_some_and(|a| a.len() == 9),
        "{body:#}"
    );

    let vars = app
        .client
        .get(&url)
        .query(&[
            ("query", "query($c: String) { adminAreas(parentCode: $c) { code } }"),
            ("variables", r#"{"c":"KG-GB"}"#),
        ])
        .send()
        .await
        .expect("sent");
    let body: Value = vars.json().await.expect("json");
    assert_eq!(body["data"]["adminAreas"].as_array().map(Vec::len), Some(4));

    let mutation = app
        .client
        .get(&url)
        .query(&[("query", "mutation { x }")])
        .send()
        .await
        .expect("sent");
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    let missing = app.client.get(&url).send().await.expect("sent");
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let put = app.client.put(&url).send().await.expect("sent");
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
});

both!(playground_and_health, |app| async move {
    let page = app
        .client
        .get(app.graphql_url())
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("graphiql") && html.contains("findHelp") && html.contains("CentresWithFreePlaces"));

    for path in ["/healthz", "/readyz"] {
        let res = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let id = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(id.headers()["x-request-id"], "abc-123");
});

both!(the_playground_introspection_query_passes_the_limits, |app| async move {
    let body = app.query(INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(
        body["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );
});

/// GraphiQL's introspection query (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

const MODERN: (&str, &str) = ("accept", "application/graphql-response+json");
const JSON: (&str, &str) = ("content-type", "application/json");

both!(malformed_parameters_get_400_in_every_mode, |app| async move {
    for accept in ["application/json", "application/graphql-response+json", "*/*"] {
        for (body, says) in [
            ("{not json", "not valid JSON"),
            ("42", "JSON object"),
            ("{}", "no `query`"),
            (r#"{"query": null}"#, "no `query`"),
            (r#"{"query": 42}"#, "must be a string"),
            (r#"{"query": "{ __typename }", "variables": [1]}"#, "`variables`"),
            (r#"{"query": "{ __typename }", "variables": "{}"}"#, "`variables`"),
            (r#"{"query": "{ __typename }", "operationName": 1}"#, "`operationName`"),
            (r#"{"query": "{ __typename }", "extensions": []}"#, "`extensions`"),
            (r#"[{"query": "{ __typename }"}]"#, "batched"),
        ] {
            let (status, _, response) = app.post_raw(body, &[JSON, ("accept", accept)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let message = response["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{body}: {message}");
            assert!(
                !message.contains("enum") && !message.contains("BatchRequest"),
                "{message}"
            );
            assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        }
    }
    // Well-typed optional parameters are accepted.
    let (status, _, response) = app
        .post_raw(
            r#"{"query": "{ __typename }", "variables": null, "operationName": null, "extensions": {}}"#,
            &[JSON],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
});

both!(
    request_errors_carry_no_data_for_graphql_response_json,
    |app| async move {
        for query in [
            "{ nope }",
            "{ centres(",
            "{ a: __typename @include(if: true) @include(if: true) }",
        ] {
            let body = json!({ "query": query }).to_string();
            let (status, headers, modern) = app.post_raw(body.clone(), &[JSON, MODERN]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(modern.get("data").is_none(), "{query}: {modern}");
            assert_eq!(modern["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
            assert!(
                headers["content-type"]
                    .to_str()
                    .is_ok_and(|c| c.starts_with("application/graphql-response+json"))
            );
            // Legacy clients get 200 and `data: null`, as the specification asks.
            let (status, headers, legacy) = app.post_raw(body, &[JSON, ("accept", "application/json")]).await;
            assert_eq!(status, StatusCode::OK, "{query}");
            assert!(legacy["data"].is_null() && legacy.get("data").is_some(), "{legacy}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .is_ok_and(|c| c.starts_with("application/json"))
            );
        }
        // A field error is not a request error: 200 with data, in both modes.
        let (status, _, field_error) = app
            .post_raw(
                json!({ "query": "{ centre(id: \"nope\") { id } }" }).to_string(),
                &[JSON, MODERN],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(field_error.get("data").is_some(), "{field_error}");
    }
);

both!(get_parameters_are_checked_and_mutations_refused, |app| async move {
    let url = app.graphql_url();
    let get = |params: Vec<(&'static str, &'static str)>| {
        let (client, url) = (app.client.clone(), url.clone());
        async move { client.get(&url).query(&params).send().await.expect("sent") }
    };
    let mutation = get(vec![("query", "mutation { x }")]).await;
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers()["allow"], "POST");
    for params in [
        vec![("variables", "{}")],
        vec![("query", "{ __typename }"), ("variables", "[1]")],
        vec![("query", "{ __typename }"), ("variables", "{not json")],
        vec![("query", "{ __typename }"), ("extensions", "7")],
    ] {
        let res = get(params.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{params:?}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{params:?}");
    }
    let ok = get(vec![("query", "{ __typename }"), ("variables", "{}")]).await;
    assert_eq!(ok.status(), StatusCode::OK);
});

both!(
    batches_run_when_enabled,
    configure = |s| s.limits.max_batch = 2,
    |app| async move {
        let two = json!([{ "query": "{ __typename }" }, { "query": "{ adminAreas { code } }" }]).to_string();
        let (status, _, body) = app.post_raw(two, &[JSON]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body[0]["data"]["__typename"], "QueryRoot");
        assert!(body[1]["data"]["adminAreas"].as_array().is_some_and(|a| a.len() == 9));
        let three = json!([{ "query": "{ a }" }, { "query": "{ b }" }, { "query": "{ c }" }]).to_string();
        let (status, _, _) = app.post_raw(three, &[JSON]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
);

both!(the_playground_page_is_locked_down, |app| async move {
    let page = app
        .client
        .get(app.graphql_url())
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    let headers = page.headers();
    let csp = headers["content-security-policy"].to_str().unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let api = app.post_raw(r#"{"query":"{ __typename }"}"#, &[JSON]).await;
    assert_eq!(api.1["x-content-type-options"], "nosniff");
});

/// Decodes a response body by its `Content-Encoding`.
fn decoded(encoding: Option<&str>, body: &[u8]) -> Value {
    use std::io::Read;
    let mut text = Vec::new();
    match encoding {
        Some("gzip") => flate2::read::GzDecoder::new(body).read_to_end(&mut text),
        Some("br") => brotli::Decompressor::new(body, 4096).read_to_end(&mut text),
        None => {
            text = body.to_vec();
            Ok(text.len())
        }
        Some(other) => panic!("unexpected encoding {other}"),
    }
    .expect("a well-encoded body");
    serde_json::from_slice(&text).expect("JSON")
}

both!(responses_are_compressed_as_the_client_accepts, |app| async move {
    let send = |accept_encoding: Option<&'static str>, query: &'static str| {
        let (client, url) = (app.client.clone(), app.graphql_url());
        async move {
            let mut request = client.post(&url).json(&json!({ "query": query }));
            if let Some(accept) = accept_encoding {
                request = request.header("accept-encoding", accept);
            }
            let res = request.send().await.expect("sent");
            let encoding = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            let vary = res
                .headers()
                .get("vary")
                .map(|v| v.to_str().unwrap_or_default().to_lowercase());
            let body = res.bytes().await.expect("a body");
            (encoding, vary, body)
        }
    };
    let large = "{ centres(first: 40) { nodes { id name description services { id name } } } }";
    let (_, _, plain) = send(None, large).await;
    assert!(plain.len() > 8 * 1024, "a large page: {} bytes", plain.len());
    let expected = decoded(None, &plain);
    assert!(expected.get("errors").is_none(), "{expected:#}");
    for (accept, encoding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br;q=0.5", "gzip"),
        ("br, gzip;q=0.8", "br"),
        // Equally welcome, gzip wins: brotli costs more CPU and memory.
        ("gzip, deflate, br, zstd", "gzip"),
        ("br, gzip", "gzip"),
    ] {
        let (got, vary, body) = send(Some(accept), large).await;
        assert_eq!(got.as_deref(), Some(encoding), "Accept-Encoding: {accept}");
        assert!(
            vary.is_some_and(|v| v.contains("accept-encoding")),
            "caches must vary on it"
        );
        assert!(
            body.len() * 3 < plain.len(),
            "{encoding}: {} of {} bytes",
            body.len(),
            plain.len()
        );
        assert_eq!(
            decoded(got.as_deref(), &body),
            expected,
            "{encoding} decodes to the same response"
        );
    }
    // Without Accept-Encoding, or for a tiny body, the response goes as it is.
    let (none, _, _) = send(None, large).await;
    assert_eq!(none, None);
    let (tiny, _, body) = send(Some("gzip, br"), "{ __typename }").await;
    assert_eq!(tiny, None, "a tiny body is not worth compressing");
    assert_eq!(decoded(None, &body)["data"]["__typename"], "QueryRoot");
});

both!(
    get_never_writes_whatever_the_form_of_the_document,
    configure = crate::helpers::with_tokens,
    |app| async move {
        let admin = crate::helpers::token("admin", "registry-admin", &[]);
        let bearer = format!("Bearer {admin}");
        let create =
            r#"createOrganization(input: { kind: NGO, name: { ky: "GET", ru: "GET" } }) { organization { id } }"#;
        let get = |query: String, name: Option<&'static str>| {
            let (client, url, bearer) = (app.client.clone(), app.graphql_url(), bearer.clone());
            async move {
                let mut params = vec![("query", query)];
                if let Some(name) = name {
                    params.push(("operationName", name.to_owned()));
                }
                client
                    .get(&url)
                    .header("authorization", bearer)
                    .query(&params)
                    .send()
                    .await
                    .expect("sent")
            }
        };
        let count = || async {
            app.data_as(&admin, "{ organizations { totalCount } }", json!({})).await["organizations"]["totalCount"]
                .as_i64()
                .unwrap_or_default()
        };
        let before = count().await;
        let both_kinds = format!("query read {{ __typename }} mutation write {{ {create} }}");
        for (query, name) in [
            (format!("mutation {{ {create} }}"), None),
            (format!("mutation named {{ {create} }}"), None),
            (format!("mutation named {{ {create} }}"), Some("named")),
            (both_kinds.clone(), Some("write")),
            (both_kinds.clone(), None),
            (both_kinds.clone(), Some("neither")),
            ("subscription live { capacityChanged { available } }".to_owned(), None),
            ("subscription { capacityChanged { available } }".to_owned(), None),
        ] {
            let res = get(query.clone(), name).await;
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{query} ({name:?})");
            assert_eq!(res.headers()["allow"], "POST");
        }
        assert_eq!(count().await, before, "nothing was created");
        // The query of such a document, named, still reads.
        let read = get(both_kinds, Some("read")).await;
        assert_eq!(read.status(), StatusCode::OK);
        let body: Value = read.json().await.expect("json");
        assert_eq!(body["data"]["__typename"], "QueryRoot");
    }
);
