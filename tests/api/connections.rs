//! Relay pagination: cursors, both directions, edges of the result.

use serde_json::{Value, json};

use crate::{both, helpers::TestApp};

async fn page(app: &TestApp, args: &str) -> Value {
    let query = format!(
        "{{ centres({args}) {{ totalCount edges {{ cursor node {{ id }} }} nodes {{ id }}
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    );
    app.data(&query, json!({})).await["centres"].clone()
}

fn ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .map(|n| n.iter().filter_map(|n| n["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

both!(forward_and_backward_pages_cover_the_result_once, |app| async move {
    let all = ids(&page(&app, "first: 100").await);
    let total = all.len();
    assert!(total > 10);

    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let args = if after.is_empty() {
            "first: 7".to_owned()
        } else {
            format!("first: 7, after: \"{after}\"")
        };
        let p = page(&app, &args).await;
        assert_eq!(p["totalCount"].as_u64(), Some(total as u64));
        seen.extend(ids(&p));
        assert_eq!(p["pageInfo"]["hasPreviousPage"], !after.is_empty());
        if p["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = p["pageInfo"]["endCursor"].as_str().unwrap_or_default().to_owned();
    }
    assert_eq!(seen, all);

    let last = page(&app, "last: 3").await;
    assert_eq!(ids(&last), all[total - 3..].to_vec());
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
    let before = last["pageInfo"]["startCursor"].as_str().unwrap_or_default().to_owned();
    let earlier = page(&app, &format!("last: 2, before: \"{before}\"")).await;
    assert_eq!(ids(&earlier), all[total - 5..total - 3].to_vec());
    assert_eq!(earlier["pageInfo"]["hasNextPage"], true);

    let edge_cursor = page(&app, "first: 3").await["edges"][1]["cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let from_edge = page(&app, &format!("first: 2, after: \"{edge_cursor}\"")).await;
    assert_eq!(ids(&from_edge), all[2..4].to_vec());
});

both!(empty_and_edge_pages, |app| async move {
    let empty = page(&app, r#"filter: { text: "nothing matches this" }"#).await;
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(empty["pageInfo"]["hasNextPage"], false);
    assert!(empty["pageInfo"]["endCursor"].is_null());

    let zero = page(&app, "first: 0").await;
    assert_eq!(zero["edges"], json!([]));

    let all = ids(&page(&app, "first: 100").await);
    let end = page(&app, &format!("first: {}", all.len())).await;
    assert_eq!(end["pageInfo"]["hasNextPage"], false);
    let cursor = end["pageInfo"]["endCursor"].as_str().unwrap_or_default().to_owned();
    let past = page(&app, &format!("first: 5, after: \"{cursor}\"")).await;
    assert_eq!(past["edges"], json!([]));
});

both!(cursors_are_bound_to_their_query, |app| async move {
    let p = page(&app, r#"first: 2, filter: { areaCode: "KG-GB" }"#).await;
    let cursor = p["pageInfo"]["endCursor"].as_str().unwrap_or_default().to_owned();
    let other =
        format!(r#"{{ centres(first: 2, after: "{cursor}", filter: {{ areaCode: "KG-GO" }}) {{ nodes {{ id }} }} }}"#);
    assert_eq!(app.error_code(&other, json!({})).await, "BAD_USER_INPUT");
    let services = format!(r#"{{ services(first: 2, after: "{cursor}") {{ nodes {{ id }} }} }}"#);
    assert_eq!(app.error_code(&services, json!({})).await, "BAD_USER_INPUT");
    let same =
        format!(r#"{{ centres(first: 2, after: "{cursor}", filter: {{ areaCode: "KG-GB" }}) {{ nodes {{ id }} }} }}"#);
    assert!(app.query(&same, json!({})).await.get("errors").is_none());
});

both!(nested_connections_page_too, |app| async move {
    // A benefit offered at every social services office.
    let data = app
        .data(r#"{ services(filter: { kind: BENEFIT }, first: 1) { nodes { centres(first: 3) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }"#, json!({}))
        .await;
    let centres = &data["services"]["nodes"][0]["centres"];
    assert!(centres["totalCount"].as_u64() > Some(3));
    assert_eq!(centres["pageInfo"]["hasNextPage"], true);
    let cursor = centres["pageInfo"]["endCursor"].as_str().unwrap_or_default();
    let next = app
        .data(
            &format!(r#"{{ services(filter: {{ kind: BENEFIT }}, first: 1) {{ nodes {{ centres(first: 3, after: "{cursor}") {{ nodes {{ id }} }} }} }} }}"#),
            json!({}),
        )
        .await;
    let first_ids = ids(centres);
    let next_ids = ids(&next["services"]["nodes"][0]["centres"]);
    assert_eq!(next_ids.len(), 3);
    assert!(next_ids.iter().all(|id| !first_ids.contains(id)));
});

both!(cursors_far_past_any_result_are_bad_input, |app| async move {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let p = page(&app, "first: 1").await;
    let real = p["pageInfo"]["endCursor"].as_str().unwrap_or_default();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(real).expect("base64url")).expect("text");
    let (query, _) = text.split_once(':').expect("query:offset");
    let at = |offset: u64| URL_SAFE_NO_PAD.encode(format!("{query}:{offset}"));
    // Near u64::MAX the next offset wraps; past i64::MAX it would reach
    // PostgreSQL as a negative OFFSET.
    for offset in [u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1, i64::MAX as u64] {
        let cursor = at(offset);
        for args in [
            format!(r#"first: 5, after: "{cursor}""#),
            format!(r#"last: 5, before: "{cursor}""#),
            format!(r#"first: 5, before: "{cursor}""#),
        ] {
            let query = format!("{{ centres({args}) {{ totalCount nodes {{ id }} }} }}");
            assert_eq!(
                app.error_code(&query, json!({})).await,
                "BAD_USER_INPUT",
                "{offset} {args}"
            );
        }
    }
    // A large but sane offset is simply past the end.
    let past = page(&app, &format!(r#"first: 5, after: "{}""#, at(1 << 40))).await;
    assert_eq!(past["edges"], json!([]));
});
