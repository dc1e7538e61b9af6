//! The parameters of a GraphQL-over-HTTP request (`query`, `operationName`,
//! `variables`, `extensions`), read from a JSON body or a query string and
//! checked field by field, so that a malformed request gets a message about
//! the request (never about our Rust types) and status 400.

use std::collections::HashMap;

use async_graphql::{Request, Variables};
use serde_json::{Map, Value};

/// What was wrong with a request's parameters, in words for the client.
#[derive(Debug, PartialEq, Eq)]
pub struct ParamsError(pub String);

fn bad<T>(message: impl Into<String>) -> Result<T, ParamsError> {
    Err(ParamsError(message.into()))
}

/// The operations of a POST body: one, or a batch (a JSON array).
pub enum Operations {
    Single(Box<Request>),
    Batch(Vec<Request>),
}

/// Reads a JSON body. Batches are accepted up to `max_batch` operations.
pub fn from_json(body: &[u8], max_batch: usize) -> Result<Operations, ParamsError> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return bad("the body is not valid JSON (or nests deeper than 128 levels)");
    };
    match value {
        Value::Object(params) => one(params).map(|r| Operations::Single(Box::new(r))),
        Value::Array(_) if max_batch == 0 => bad("batched requests (JSON arrays) are not accepted by this server"),
        Value::Array(items) if items.len() > max_batch => bad(format!(
            "a batch holds at most {max_batch} operations, got {}",
            items.len()
        )),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(params) => one(params),
                _ => bad("each operation of a batch must be a JSON object"),
            })
            .collect::<Result<_, _>>()
            .map(Operations::Batch),
        _ => bad("the body must be a JSON object with a `query`"),
    }
}

/// Reads one operation's parameters.
fn one(mut params: Map<String, Value>) -> Result<Request, ParamsError> {
    let query = match params.remove("query") {
        Some(Value::String(query)) => query,
        None | Some(Value::Null) => return bad("the request has no `query`"),
        Some(_) => return bad("`query` must be a string"),
    };
    let mut request = Request::new(query);
    match params.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return bad("`operationName` must be a string or null"),
    }
    match params.remove("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => request = request.variables(Variables::from_json(variables)),
        Some(_) => return bad("`variables` must be an object or null"),
    }
    // No extensions are supported, but they must be well formed.
    match params.remove("extensions") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(_) => return bad("`extensions` must be an object or null"),
    }
    Ok(request)
}

/// Reads the parameters of a GET query string, where `variables` and
/// `extensions` are JSON texts.
pub fn from_query_string(query_string: &str) -> Result<Request, ParamsError> {
    let Ok(pairs) = actix_web::web::Query::<Vec<(String, String)>>::from_query(query_string) else {
        return bad("the query string is not valid URL encoding");
    };
    let mut params: HashMap<String, String> = HashMap::new();
    for (key, value) in pairs.into_inner() {
        if params.insert(key.clone(), value).is_some() {
            return bad(format!("the parameter `{key}` is given twice"));
        }
    }
    let mut json = Map::new();
    let Some(query) = params.remove("query") else {
        return bad("GET /graphql needs a `query` parameter");
    };
    json.insert("query".into(), Value::String(query));
    if let Some(name) = params.remove("operationName") {
        json.insert("operationName".into(), Value::String(name));
    }
    for key in ["variables", "extensions"] {
        if let Some(text) = params.remove(key) {
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                return bad(format!("`{key}` is not valid JSON"));
            };
            json.insert(key.into(), value);
        }
    }
    one(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> String {
        match from_json(body.as_bytes(), 0) {
            Err(ParamsError(message)) => message,
            Ok(_) => panic!("{body} was accepted"),
        }
    }

    #[test]
    fn malformed_parameters_are_named_without_rust_types() {
        for (body, says) in [
            ("{not json", "not valid JSON"),
            ("[]", "batched"),
            ("42", "JSON object"),
            ("{}", "no `query`"),
            (r#"{"query": 1}"#, "`query` must be a string"),
            (r#"{"query": "{a}", "variables": []}"#, "`variables`"),
            (r#"{"query": "{a}", "operationName": 5}"#, "`operationName`"),
            (r#"{"query": "{a}", "extensions": "x"}"#, "`extensions`"),
        ] {
            let message = error(body);
            assert!(message.contains(says), "{body}: {message}");
            assert!(!message.contains("enum") && !message.contains("struct"), "{message}");
        }
        assert!(from_json(br#"{"query": "{a}", "variables": null, "operationName": null}"#, 0).is_ok());
    }

    #[test]
    fn batches_are_refused_unless_enabled() {
        let batch = br#"[{"query": "{a}"}, {"query": "{b}"}]"#;
        assert!(from_json(batch, 0).is_err());
        assert!(from_json(batch, 1).is_err());
        assert!(matches!(from_json(batch, 2), Ok(Operations::Batch(ops)) if ops.len() == 2));
    }

    #[test]
    fn query_strings_carry_json_variables() {
        let request = from_query_string("query=%7Ba%7D&operationName=A&variables=%7B%22x%22%3A1%7D").expect("valid");
        assert_eq!(request.operation_name.as_deref(), Some("A"));
        assert!(from_query_string("variables=%7B%7D").is_err());
        assert!(from_query_string("query=a&variables=%5B").is_err());
        assert!(from_query_string("query=a&query=b").is_err());
    }
}
