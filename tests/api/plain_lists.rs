//! A page's centres with their services and capacities, and single
//! services, areas and organizations, answer plain selections themselves,
//! without a resolver per field (`graphql::plain`). Their answers must be
//! the resolvers' own: each selection is compared with the same selection
//! inside an inline fragment, which takes async-graphql's usual path. The
//! fields compared are taken from the schema itself, so that a field added
//! to a type is compared without anyone listing it, for every role and
//! every language.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{TestApp, nodes, token, with_tokens},
};

/// The fields of `type_name` a plain selection may hold: those of a scalar
/// or enum type (however wrapped in lists and non-null) that take no
/// required argument, read from the schema by introspection.
async fn leaf_fields(app: &TestApp, type_name: &str) -> Vec<String> {
    let data = app
        .data(
            "query($t: String!) { __type(name: $t) { fields { name args { type { kind } }
               type { kind ofType { kind ofType { kind ofType { kind } } } } } } }",
            json!({ "t": type_name }),
        )
        .await;
    let fields = data["__type"]["fields"].as_array().cloned().unwrap_or_default();
    let leaf = |mut ty: &Value| loop {
        match ty["kind"].as_str() {
            Some("NON_NULL" | "LIST") => ty = &ty["ofType"],
            Some("SCALAR" | "ENUM") => return true,
            _ => return false,
        }
    };
    let names: Vec<String> = fields
        .iter()
        .filter(|f| leaf(&f["type"]))
        .filter(|f| {
            f["args"]
                .as_array()
                .is_none_or(|args| args.iter().all(|a| a["type"]["kind"] != "NON_NULL"))
        })
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    assert!(names.len() >= 4, "{type_name}: {names:?}");
    names
}

/// The callers every comparison is made for.
async fn callers(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let listed = app
        .data(
            "{ centres(first: 100) { nodes { id addressConfidential } } }",
            json!({}),
        )
        .await;
    let shelter = nodes(&listed, "centres")
        .iter()
        .find(|c| c["addressConfidential"] == true)
        .and_then(|c| c["id"].as_str())
        .expect("a confidential demo centre")
        .to_owned();
    vec![
        ("anonymous", None),
        ("partner", Some(token("partner", "hotline-111", &[]))),
        ("manager", Some(token("centre_manager", "manager", &[shelter.as_str()]))),
        ("admin", Some(token("admin", "registry-admin", &[]))),
    ]
}

/// The response's text, as sent, to `caller` in `language`.
async fn response_text(app: &TestApp, query: &str, caller: Option<&str>, language: &str) -> String {
    let mut request = reqwest::Client::new()
        .post(app.graphql_url())
        .header("accept-language", language)
        .json(&json!({ "query": query }));
    if let Some(token) = caller {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("request is sent")
        .text()
        .await
        .expect("a body")
}

/// Where in a response each type is compared: a page of centres, with
/// their services and capacities, and findHelp's matches (a service, a
/// centre's area and organization). `{}` is the selection compared.
const PLACES: [(&str, &str); 5] = [
    ("Centre", "centres(first: 40) { nodes { {} } }"),
    ("Service", "centres(first: 40) { nodes { id services { {} } } }"),
    ("Capacity", "centres(first: 40) { nodes { id capacities { {} } } }"),
    (
        "AdminArea",
        "findHelp(need: { availableOnly: false }, first: 30) { nodes { centre { id area { {} } } } }",
    ),
    (
        "Organization",
        "findHelp(need: { availableOnly: false }, first: 30) { nodes { centre { id organization { {} } } } }",
    ),
];

/// The selection `fields` of `on`, plainly and through a fragment, in one
/// document: the answers under `plain` and `resolved`.
fn both_paths(place: &str, on: &str, fields: &str) -> String {
    let plain = place.replace("{}", fields);
    let resolved = place.replace("{}", &format!("... on {on} {{ {fields} }}"));
    format!("{{ plain: {plain} resolved: {resolved} }}")
}

/// Compares both paths for each field alone (so that the plain path answers
/// every field it can), then for all of them together, with an alias and a
/// field asked for twice.
async fn compare(app: &TestApp, on: &str, place: &str, caller: (&str, Option<&str>), language: &str) {
    let fields = leaf_fields(app, on).await;
    let mut selections: Vec<String> = fields.iter().map(|f| format!("__typename id {f}")).collect();
    selections.push(format!("{} label: id id", fields.join(" ")));
    for selection in selections {
        let text = response_text(app, &both_paths(place, on, &selection), caller.1, language).await;
        let body: Value = serde_json::from_str(&text).expect("JSON");
        assert!(body.get("errors").is_none(), "{}: {selection}: {body:#}", caller.0);
        let plain = &body["data"]["plain"];
        assert!(!plain.is_null(), "{body:#}");
        assert_eq!(
            plain, &body["data"]["resolved"],
            "{} in {language}, {on}: {selection}",
            caller.0
        );
    }
}

both!(
    plain_answers_are_the_resolvers_for_every_field_role_and_language,
    configure = with_tokens,
    |app| async move {
        for (role, token) in callers(&app).await {
            for language in ["ky", "ru", "en"] {
                for (on, place) in PLACES {
                    compare(&app, on, place, (role, token.as_deref()), language).await;
                }
            }
        }
    }
);

/// A page of centres, with the given selections of services and capacities.
fn page(services: &str, capacities: &str) -> String {
    format!(
        "{{ centres(first: 40) {{ nodes {{ __typename id name kind services {{ {services} }} capacities {{ {capacities} }} }} }} }}"
    )
}

/// The same selections, each inside an inline fragment.
fn page_through_fragments(services: &str, capacities: &str) -> String {
    format!(
        "{{ centres(first: 40) {{ nodes {{ ... on Centre {{ __typename id name kind \
         services {{ ... on Service {{ {services} }} }} capacities {{ ... on Capacity {{ {capacities} }} }} }} }} }} }}"
    )
}

fn listed<'a>(data: &'a Value, field: &str) -> Vec<&'a Value> {
    nodes(data, "centres")
        .iter()
        .flat_map(|centre| centre[field].as_array().into_iter().flatten())
        .collect()
}

both!(plain_objects_keep_the_order_asked_for, |app| async move {
    // The fields in the order asked for; a key asked for twice once, at
    // its first place.
    let asked = "__typename id name kind category ageMin ageMax status isFree isDemo archivedAt version createdAt updatedAt label: name id";
    let text = response_text(&app, &page(asked, "id"), None, "ru").await;
    let service = text
        .split(r#"{"__typename":"Service""#)
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("a service");
    let order = [
        "id",
        "name",
        "kind",
        "category",
        "ageMin",
        "ageMax",
        "status",
        "isFree",
        "isDemo",
        "archivedAt",
        "version",
        "createdAt",
        "updatedAt",
        "label",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| service.find(&format!(r#""{key}":"#)).expect(key))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{service}");
    assert_eq!(service.matches(r#""id":"#).count(), 1, "{service}");
});

/// findHelp's matches: a service, and a centre's area and organization,
/// each one object.
fn matches(service: &str, area: &str, organization: &str) -> String {
    format!(
        "{{ findHelp(need: {{ availableOnly: false }}, first: 30) {{ nodes {{ service {{ {service} }} \
         centre {{ id area {{ {area} }} organization {{ {organization} }} }} }} }} }}"
    )
}

// Test builds carry an extension whose per-field hook panics for a field
// aliased `kamkorTestPanic`: a plain list never runs that hook, so the
// request succeeds; through a fragment the resolvers run, and it fails.
// This shows which path answered.
both!(plain_lists_skip_the_resolvers, |app| async move {
    let post = |query: String| {
        let app = &app;
        async move {
            let (status, _, body) = app
                .post_raw(
                    json!({ "query": query }).to_string(),
                    &[("content-type", "application/json")],
                )
                .await;
            (status, body)
        }
    };
    let (status, body) = post(page("kamkorTestPanic: id", "kamkorTestPanic: available")).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert!(!listed(&body["data"], "services").is_empty(), "{body:#}");
    let (status, body) = post(page_through_fragments("kamkorTestPanic: id", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    let (status, body) = post(matches(
        "kamkorTestPanic: id",
        "kamkorTestPanic: code",
        "kamkorTestPanic: name",
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let (status, body) = post(matches("id", "... on AdminArea { kamkorTestPanic: code }", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    // A field with an argument is the resolvers' too.
    let (status, body) = post(page("kamkorTestPanic: name(lang: RU)", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    // A page's centre answers itself with its brief lists, not with a list
    // read with its details, nor through a fragment.
    let centres = |selection: &str| format!("{{ centres(first: 40) {{ nodes {{ {selection} }} }} }}");
    let (status, body) = post(centres("kamkorTestPanic: id services { id } availablePlaces")).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert!(!listed(&body["data"], "services").is_empty(), "{body:#}");
    let (status, body) = post(centres("kamkorTestPanic: id services { id status }")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    let (status, body) = post(centres("... on Centre { kamkorTestPanic: id }")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
});
