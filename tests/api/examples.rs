//! The example queries of the playground and the README run and return data.

use serde_json::json;

use crate::both;

both!(example_queries_return_results, |app| async move {
    for (name, query) in api::http::playground::EXAMPLES {
        let data = app.data(query, json!({})).await;
        let text = data.to_string();
        assert!(text.len() > 200, "{name} returned too little: {text}");
    }
    let find_help = app.data(api::http::playground::EXAMPLES[0].1, json!({})).await;
    let matches = find_help["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
    assert!(!matches.is_empty());
    assert!(
        matches[0]["availablePlaces"].as_i64() > Some(0),
        "the first match has free places"
    );
});
