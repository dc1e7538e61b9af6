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

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

both!(aliases_directives_and_costs_are_bounded, |app| async move {
    // Five aliases of a field are fine, six are not, however they are spread.
    let aliases = |n: usize| (0..n).map(|i| format!("a{i}: __typename ")).collect::<String>();
    assert!(
        app.query(&format!("{{ {} }}", aliases(5)), json!({}))
            .await
            .get("errors")
            .is_none()
    );
    let six = app.query(&format!("{{ {} }}", aliases(6)), json!({})).await;
    assert_eq!(code(&six), "GRAPHQL_VALIDATION_FAILED");
    assert!(message(&six).contains("at most 5 aliases"), "{six}");
    let spread = "{ ...A ...B } fragment A on QueryRoot { a: __typename b: __typename c: __typename }
                  fragment B on QueryRoot { d: __typename e: __typename f: __typename }";
    assert!(message(&app.query(spread, json!({})).await).contains("aliases"));
    let typenames = app.query(&format!("{{ {} }}", aliases(500)), json!({})).await;
    assert_eq!(code(&typenames), "GRAPHQL_VALIDATION_FAILED");

    // The specification forbids repeating a non-repeatable directive.
    let repeated = format!("{{ __typename {} }}", "@include(if: true) ".repeat(400));
    let body = app.query(&repeated, json!({})).await;
    assert!(message(&body).contains("repeated"), "{body}");

    // 1,000 aliased counts (with the alias limit raised out of the way, see
    // below) would cost what they do: each listing is two round trips.
    let counts: String = (0..1_000)
        .map(|i| format!("c{i}: centres(filter: {{ text: \"а\" }}, first: 1) {{ totalCount }} "))
        .collect();
    let body = app.query(&format!("{{ {counts} }}"), json!({})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body:.200}");
});

both!(
    root_fields_and_counts_cost_round_trips,
    configure = |s| {
        s.limits.max_aliases = 10_000;
        s.limits.max_tokens = 100_000;
        s.limits.max_bytes = 60_000;
    },
    |app| async move {
        let counts: String = (0..1_000)
            .map(|i| format!("c{i}: centres(first: 1) {{ totalCount }} "))
            .collect();
        let body = app.query(&format!("{{ {counts} }}"), json!({})).await;
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body:.300}");
        assert!(message(&body).contains("too complex"), "{body:.300}");
        let few: String = (0..50)
            .map(|i| format!("c{i}: centres(first: 1) {{ totalCount }} "))
            .collect();
        assert!(
            app.query(&format!("{{ {few} }}"), json!({}))
                .await
                .get("errors")
                .is_none()
        );
    }
);

both!(
    every_limit_is_a_setting,
    configure = |s| {
        s.limits.max_bytes = 200;
        s.limits.max_tokens = 40;
        s.limits.max_nesting = 6;
        s.limits.max_depth = 3;
        s.limits.max_complexity = 50;
        s.limits.max_aliases = 2;
        s.http.max_body_bytes = 1_000;
    },
    |app| async move {
        let refused = [
            (format!("{{ __typename }} # {}", "x".repeat(200)), "bytes"),
            (format!("{{ {} }}", "a ".repeat(41)), "tokens"),
            ("{ a(x: [[[[[[1]]]]]]) }".to_owned(), "levels deep"),
            (
                "{ __schema { types { fields { type { name } } } } }".to_owned(),
                "nested too deep",
            ),
            (
                "{ centres(first: 10) { nodes { id name kind } } }".to_owned(),
                "too complex",
            ),
            ("{ a: __typename b: __typename c: __typename }".to_owned(), "aliases"),
        ];
        for (query, says) in refused {
            let body = app.query(&query, json!({})).await;
            assert!(message(&body).contains(says), "{query}: {body}");
        }
        let (status, _, _) = app
            .post_raw(
                format!(r#"{{"query":"{{ __typename }} # {}"}}"#, "x".repeat(1_000)),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            app.query("{ a: __typename b: __typename }", json!({}))
                .await
                .get("errors")
                .is_none()
        );
    }
);

both!(
    introspection_can_be_turned_off_for_anonymous_callers,
    configure = |s| s.limits.introspection = false,
    |app| async move {
        for query in [
            "{ __schema { types { name } } }",
            "{ __type(name: \"Centre\") { name } }",
        ] {
            let body = app.query(query, json!({})).await;
            assert_eq!(code(&body), "FORBIDDEN", "{body}");
            assert!(message(&body).contains("schema.graphql"));
        }
        assert!(app.query("{ __typename }", json!({})).await.get("errors").is_none());
    }
);

both!(anonymous_callers_get_no_field_suggestions, |app| async move {
    let body = app.query("{ centers { totalCount } }", json!({})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(!message(&body).contains("Did you mean"), "{body}");
});
