//! Relations load through per-request DataLoaders: the number of SQL
//! statements of a page does not grow with the page size.

use serde_json::json;

use crate::both;

const FIND_HELP: &str = r#"query($n: Int!) { findHelp(need: { availableOnly: false }, first: $n) { totalCount nodes {
    availablePlaces capacity { available unit centre { name } service { name } }
    service { name category targetGroups organization { name } areas { code } }
    centre { name languages area { code name parent { code } } organization { name phones { number } } } } } }"#;

const CENTRES: &str = r#"query($n: Int!) { centres(first: $n) { nodes {
    name languages organization { name } area { code }
    services { name targetGroups organization { name } }
    capacities { available maximum service { name } } } } }"#;

/// Bound on statements for one page, whatever its size: the main query, its
/// count, and one batched query per relation level.
const MAX_STATEMENTS: usize = 14;

both!(
    find_help_and_centres_pages_use_a_constant_number_of_statements,
    |app| async move {
        for (name, query, small, large) in [("findHelp", FIND_HELP, 3, 20), ("centres", CENTRES, 3, 50)] {
            let (few, small_page) = app.count_statements(app.query(query, json!({ "n": small }))).await;
            let (many, large_page) = app.count_statements(app.query(query, json!({ "n": large }))).await;
            assert!(
                small_page.get("errors").is_none() && large_page.get("errors").is_none(),
                "{large_page:#}"
            );
            let returned = large_page["data"][name]["nodes"]
                .as_array()
                .map(Vec::len)
                .unwrap_or_default();
            assert!(returned >= 20, "{name} returned only {returned} nodes");
            // The same bound for 3 nodes and for 20 or more: nothing is loaded per node.
            assert!(few <= MAX_STATEMENTS, "{name}: {few} statements for {small} nodes");
            assert!(many <= MAX_STATEMENTS, "{name}: {many} statements for {returned} nodes");
            eprintln!("{name}: {many} SQL statements for a page of {returned}");
        }
    }
);

both!(find_help_reads_capacities_with_its_matches, |app| async move {
    let query = |selection: &str| {
        format!(
            "{{ findHelp(need: {{ availableOnly: false }}, first: 20) {{ nodes {{ availablePlaces {selection} }} }} }}"
        )
    };
    let (bare, plain) = app.count_statements(app.query(&query(""), json!({}))).await;
    let (with, detailed) = app
        .count_statements(app.query(&query("capacity { id maximum waitlist version }"), json!({})))
        .await;
    assert!(
        plain.get("errors").is_none() && detailed.get("errors").is_none(),
        "{detailed:#}"
    );
    let capacities = detailed["data"]["findHelp"]["nodes"]
        .as_array()
        .map(|n| n.iter().filter(|m| m["capacity"]["maximum"].is_number()).count())
        .unwrap_or_default();
    assert!(capacities > 5);
    assert_eq!(with, bare, "capacities come with the matches, not from another query");
});
