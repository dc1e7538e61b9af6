//! The GraphiQL playground served on `GET /graphql` to browsers, opened with
//! the example queries of `api/queries/` in tabs (the same files the README
//! shows and the tests run).

use std::sync::LazyLock;

/// The example queries, in the order of the playground's tabs.
pub const EXAMPLES: [(&str, &str); 3] = [
    ("find_help", include_str!("../../queries/find_help.graphql")),
    (
        "centres_with_free_places",
        include_str!("../../queries/centres_with_free_places.graphql"),
    ),
    (
        "capacity_overview",
        include_str!("../../queries/capacity_overview.graphql"),
    ),
];

const GRAPHIQL_VERSION: &str = "3.8.3";

pub static PAGE: LazyLock<String> = LazyLock::new(|| {
    let tabs: Vec<serde_json::Value> = EXAMPLES
        .iter()
        .map(|(_, query)| serde_json::json!({ "query": query }))
        .collect();
    // `</` would end the script element early.
    let tabs = serde_json::Value::from(tabs).to_string().replace("</", "<\\/");
    TEMPLATE
        .replace("{{VERSION}}", GRAPHIQL_VERSION)
        .replace("{{TABS}}", &tabs)
});

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="ky">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kamkor GraphQL playground</title>
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@{{VERSION}}/graphiql.min.css">
  <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@{{VERSION}}/graphiql.min.js"></script>
</head>
<body>
  <div id="graphiql">Loading the Kamkor playground…</div>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.origin).toString() });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultTabs: {{TABS}},
        defaultEditorToolsVisibility: true,
      })
    );
  </script>
</body>
</html>
"#;

/// The playground page, with headers that keep it from being framed or
/// sniffed and that limit what it may load and where it may connect.
pub async fn page() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .body(PAGE.as_str())
}

/// GraphiQL comes from unpkg.com; it talks to this server only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self' 'unsafe-inline' https://unpkg.com; \
     style-src 'self' 'unsafe-inline' https://unpkg.com; \
     img-src 'self' data:; font-src 'self' data: https://unpkg.com; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
