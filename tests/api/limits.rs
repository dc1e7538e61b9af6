//! No document, however nested, can crash or stall the server: nesting of
//! every kind is refused with a coded error before anything recursive reads
//! it, over POST and GET, and the server keeps serving.

use serde_json::{Value, json};

use crate::{both, helpers::TestApp};

/// Documents nested far deeper than a worker's stack allows (about 300
/// levels of values in a debug build, 1,500 in a release build), one per
/// kind, each small enough to pass the size limits.
fn nested_documents() -> Vec<(&'static str, String)> {
    let mut documents = Vec::new();
    for n in [200, 400, 800, 1_500] {
        documents.extend(nested_documents_of_depth(n));
    }
    documents
}

fn nested_documents_of_depth(n: usize) -> Vec<(&'static str, String)> {
    let chain: String = (0..600)
        .map(|i| format!("fragment F{i} on QueryRoot {{ ...F{} }}\n", i + 1))
        .collect();
    vec![
        (
            "list value",
            format!(
                "{{ centres(filter: {{ languages: {}{} }}) {{ totalCount }} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "object value",
            format!(
                "{{ centres(filter: {}1{}) {{ totalCount }} }}",
                "{a:".repeat(n),
                "}".repeat(n)
            ),
        ),
        ("selection set", format!("{}{}", "{ a ".repeat(n), "}".repeat(n))),
        (
            "inline fragments",
            format!("{{ {} __typename {} }}", "... on QueryRoot { ".repeat(n), "}".repeat(n)),
        ),
        (
            "fragment chain",
            format!("{{ ...F0 }}\n{chain}fragment F600 on QueryRoot {{ __typename }}"),
        ),
        (
            "fragment cycle",
            "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }".to_owned(),
        ),
        (
            "variable default",
            format!(
                "query($v: [[String]] = {}{}) {{ __typename }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
    ]
}

async fn assert_still_serving(app: &TestApp) {
    let data = app.data("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "QueryRoot");
}

fn assert_refused(body: &Value, what: &str) {
    let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default();
    assert!(
        ["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"].contains(&code),
        "{what}: {body}"
    );
}

both!(deeply_nested_documents_are_refused_over_post, |app| async move {
    for (what, query) in nested_documents() {
        let res = app
            .client
            .post(app.graphql_url())
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: the server dropped the request: {e}"));
        let body: Value = res.json().await.expect("JSON");
        assert_refused(&body, what);
        assert_still_serving(&app).await;
    }
});

both!(deeply_nested_documents_are_refused_over_get, |app| async move {
    for depth in [2_000, 5_000] {
        let query = format!(
            "{{ centres(filter: {}1{}) {{ totalCount }} }}",
            "{a:".repeat(depth),
            "}".repeat(depth)
        );
        let res = app
            .client
            .get(app.graphql_url())
            .query(&[("query", query)])
            .send()
            .await
            .expect("the server answers");
        // A URL too long for the server's request head is refused by the
        // HTTP layer itself; anything shorter reaches the limits.
        if res.status() != reqwest::StatusCode::URI_TOO_LONG {
            let body: Value = res.json().await.expect("JSON");
            assert_refused(&body, "GET");
        }
        assert_still_serving(&app).await;
    }
});

both!(deeply_nested_variables_are_refused, |app| async move {
    // serde_json stops at 128 levels; below that, our own bound applies.
    for depth in [40, 120] {
        let mut value = json!("ky");
        for _ in 0..depth {
            value = json!([value]);
        }
        let body = app
            .query(
                "query($l: [String!]) { centres(filter: { languages: $l }) { totalCount } }",
                json!({ "l": value }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    }
    let raw = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"v":{}1{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let res = app
        .client
        .post(app.graphql_url())
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_still_serving(&app).await;
});
