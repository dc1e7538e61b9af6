//! Property: whatever a client sends (malformed or oversized documents,
//! variables, ids, cursors and filters, over POST or GET), the answer is a
//! well-formed GraphQL response with a known error code, and the server
//! keeps serving.

use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

/// Every code a response may carry.
const KNOWN_CODES: [&str; 14] = [
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "CONFLICT",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
    "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
    "GRAPHQL_VALIDATION_FAILED",
    "BAD_REQUEST",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "METHOD_NOT_ALLOWED",
];

/// Pieces of GraphQL, glued at random into documents that mostly do not
/// parse, some that do, and some nested far too deep.
fn document() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ":",
        "...",
        "$v",
        "@include(if: true)",
        "query",
        "mutation",
        "fragment F on QueryRoot",
        "centres",
        "findHelp",
        "node",
        "nodes",
        "services",
        "__typename",
        "__schema",
        "totalCount",
        "nodes { id }",
        "(first: 5)",
        "(first: -1)",
        "(first: 2147483647)",
        "(after: \"x\")",
        "(id: \"Q2VudHJl\")",
        "\"\\u0000\"",
        "\"unterminated",
        "\"\"\"block\"\"\"",
        "1.5e400",
        "-0",
        "true",
        "null",
        "# comment\n",
        "ё",
        "\u{202e}",
        ",",
    ]);
    let glued = prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.join(" "));
    let nested = (
        prop::sample::select(vec![("[", "]"), ("{a:", "}"), ("{ a ", "}"), ("(a: ", ")")]),
        1usize..3_000,
    )
        .prop_map(|((open, close), n)| {
            format!(
                "{{ centres(filter: {}{}) {{ totalCount }} }}",
                open.repeat(n),
                close.repeat(n)
            )
        });
    let huge = (1usize..200_000).prop_map(|n| format!("{{ __typename }} #{}", "x".repeat(n)));
    prop_oneof![6 => glued, 2 => nested, 1 => huge, 3 => valid_with_odd_arguments()]
}

/// Documents that parse, with ids, cursors and filters taken at random.
fn valid_with_odd_arguments() -> impl Strategy<Value = String> {
    let text = "\\PC{0,12}".prop_map(|s: String| serde_json::to_string(&s).unwrap_or_default());
    let number = prop::num::i64::ANY.prop_map(|n| n.to_string());
    (text, number).prop_flat_map(|(text, number)| {
        prop::sample::select(vec![
            format!("{{ node(id: {text}) {{ id }} }}"),
            format!("{{ centres(after: {text}, first: 3) {{ nodes {{ id }} }} }}"),
            format!("{{ centres(filter: {{ areaCode: {text}, text: {text} }}) {{ totalCount }} }}"),
            format!("{{ centres(filter: {{ childAge: {number}, languages: [{text}] }}) {{ totalCount }} }}"),
            format!("{{ findHelp(need: {{ childAge: {number}, text: {text}, areaCode: {text} }}) {{ totalCount }} }}"),
            format!("{{ services(first: {number}) {{ totalCount }} }}"),
            format!("{{ adminAreas(parentCode: {text}) {{ code }} }}"),
            format!("{{ capacityOverview(areaCode: {text}) {{ total {{ maximum }} }} }}"),
        ])
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::hash_map("[a-z]{1,3}", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Sent {
    Post { body: String, content_type: &'static str },
    Get { params: Vec<(String, String)> },
}

fn request() -> impl Strategy<Value = Sent> {
    let content_type = prop::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
    ]);
    let well_formed = (
        document(),
        json_value(),
        prop::option::of("[A-Za-z]{0,5}"),
        content_type.clone(),
    )
        .prop_map(|(query, variables, name, content_type)| Sent::Post {
            body: json!({ "query": query, "variables": variables, "operationName": name }).to_string(),
            content_type,
        });
    let raw_body = ("\\PC{0,200}", content_type).prop_map(|(body, content_type)| Sent::Post { body, content_type });
    let parameters = (json_value(), json_value(), json_value()).prop_map(|(query, variables, name)| Sent::Post {
        body: json!({ "query": query, "variables": variables, "operationName": name }).to_string(),
        content_type: "application/json",
    });
    let get = (document(), prop::option::of("\\PC{0,20}")).prop_map(|(query, variables)| Sent::Get {
        params: std::iter::once(("query".to_owned(), query.chars().take(6_000).collect()))
            .chain(variables.map(|v| ("variables".to_owned(), v)))
            .collect(),
    });
    prop_oneof![5 => well_formed, 2 => raw_body, 2 => parameters, 2 => get]
}

/// Checks one answer; `Err` says what is wrong with it.
fn check(status: u16, body: &str) -> Result<(), String> {
    if !matches!(status, 200 | 400 | 405 | 413 | 414 | 415 | 431) {
        return Err(format!("status {status}: {body:.300}"));
    }
    if matches!(status, 414 | 431) {
        return Ok(()); // refused by the HTTP layer before any GraphQL
    }
    let value: Value = serde_json::from_str(body).map_err(|_| format!("not JSON ({status}): {body:.300}"))?;
    let object = value.as_object().ok_or_else(|| format!("not an object: {body:.300}"))?;
    if !object.contains_key("data") && !object.contains_key("errors") {
        return Err(format!("neither data nor errors: {body:.300}"));
    }
    for error in object.get("errors").and_then(Value::as_array).into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        if !KNOWN_CODES.contains(&code) {
            return Err(format!("unknown code {code:?}: {body:.300}"));
        }
        if code == "INTERNAL_SERVER_ERROR" {
            return Err(format!("an internal error: {body:.300}"));
        }
    }
    Ok(())
}

fn fuzz(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(app) = runtime.block_on(TestApp::spawn(backend)) else {
        return;
    };
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&request(), |sent| {
        let (status, body) = runtime.block_on(async {
            let request = match &sent {
                Sent::Post { body, content_type } => app
                    .client
                    .post(app.graphql_url())
                    .header("content-type", *content_type)
                    .body(body.clone()),
                Sent::Get { params } => app.client.get(app.graphql_url()).query(params),
            };
            let response = request
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
            let status = response.status().as_u16();
            Ok::<_, TestCaseError>((status, response.text().await.unwrap_or_default()))
        })?;
        check(status, &body).map_err(TestCaseError::fail)?;
        let alive = runtime.block_on(app.query("{ __typename }", json!({})));
        prop_assert_eq!(&alive["data"]["__typename"], "QueryRoot");
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn sqlite_answers_anything_well_formed() {
    fuzz(Backend::Sqlite);
}

#[test]
fn postgres_answers_anything_well_formed() {
    fuzz(Backend::Postgres);
}
