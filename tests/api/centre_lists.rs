//! A page of centres reads its centres' brief services and capacities
//! with its own statement, assembled by the database as JSON
//! (`registry::centre_lists`); a single centre reads them through its
//! loaders. Both must answer the same, the page must take no statement
//! more for both lists, and its centres must keep their order.

use serde_json::{Value, json};

use crate::{
    both,
    fixture::{Fixture, archive_service},
    helpers::{nodes, token, with_tokens},
};

const CHILDREN: &str =
    "services { id name category } capacities { id unit maximum available updated stale } availablePlaces";

both!(
    a_page_reads_the_brief_lists_its_centres_would_read_alone,
    configure = with_tokens,
    |app| async move {
        // An archived service and a name that JSON must escape.
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "\"Кайрат\" \\ борбору").await;
        archive_service(&app, &admin, &f.service).await;

        for language in ["ky", "ru", "en"] {
            let headers = [("accept-language", language)];
            let page = app
                .query_with(
                    &format!("{{ centres(first: 100) {{ nodes {{ id {CHILDREN} }} }} }}"),
                    json!({}),
                    &headers,
                )
                .await;
            assert!(page.get("errors").is_none(), "{page:#}");
            let centres = nodes(&page["data"], "centres");
            assert!(centres.len() > 5, "{page:#}");
            // A few centres a request: a field may have only so many aliases.
            for (chunk, some) in centres.chunks(5).enumerate() {
                let alone: Vec<String> = some
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("c{i}: centre(id: {}) {{ id {CHILDREN} }}", c["id"]))
                    .collect();
                let alone = app
                    .query_with(&format!("{{ {} }}", alone.join(" ")), json!({}), &headers)
                    .await;
                assert!(alone.get("errors").is_none(), "{alone:#}");
                for (i, centre) in some.iter().enumerate() {
                    assert_eq!(
                        centre,
                        &alone["data"][format!("c{i}")],
                        "{language}: centre {}",
                        chunk * 5 + i
                    );
                }
            }
            let listed =
                |field: &str| -> usize { centres.iter().map(|c| c[field].as_array().map_or(0, Vec::len)).sum() };
            assert!(listed("services") >= 20 && listed("capacities") >= 10, "{page:#}");
        }
    }
);

both!(a_page_reads_both_brief_lists_with_its_own_statement, |app| async move {
    let page = |children: &str| format!("{{ centres(first: 40) {{ nodes {{ id {children} }} }} }}");
    let (bare, _) = app.count_statements(app.query(&page(""), json!({}))).await;
    let (both, body): (usize, Value) = app.count_statements(app.query(&page(CHILDREN), json!({}))).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(both, bare, "{both} statements with both lists, {bare} without");
    // A list with its details keeps its own statement.
    let (full, _) = app
        .count_statements(app.query(&page("services { id status } capacities { id }"), json!({})))
        .await;
    assert_eq!(
        full,
        bare + 1,
        "{full} statements with detailed services, {bare} without"
    );
});

both!(a_page_with_brief_lists_keeps_its_order, |app| async move {
    // The lists are read on a derived table of the page: its order must
    // survive, forwards, after a cursor and backwards from the end.
    let ids = |body: &Value| -> Vec<Value> {
        assert!(body.get("errors").is_none(), "{body:#}");
        nodes(&body["data"], "centres")
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    let first = app
        .query(
            "{ centres(first: 7) { pageInfo { endCursor } nodes { id } } }",
            json!({}),
        )
        .await;
    let cursor = first["data"]["centres"]["pageInfo"]["endCursor"].clone();
    for window in [
        "first: 7".to_owned(),
        format!("first: 9, after: {cursor}"),
        "last: 8".to_owned(),
        "first: 6, orderBy: { field: NAME, direction: DESC }".to_owned(),
    ] {
        let page = |children: &str| format!("{{ centres({window}) {{ nodes {{ id {children} }} }} }}");
        let bare = ids(&app.query(&page(""), json!({})).await);
        let listed = ids(&app.query(&page(CHILDREN), json!({})).await);
        assert!(bare.len() >= 6, "{window}: {bare:?}");
        assert_eq!(listed, bare, "{window}");
    }
});
