//! The GraphiQL playground served on `GET /graphql` to browsers, opened with
//! the example operations of `api/queries/` in tabs (the same files the
//! README shows and the tests run).
//!
//! Everything the page loads is served by this binary from `/playground/`
//! (GraphiQL, React, graphql-ws and our page script, embedded at compile
//! time), so it works on a closed network and its Content-Security-Policy
//! allows this server's own origin only. The third-party files are the npm
//! registry's, fetched by `api/assets/playground/fetch.sh` (pinned versions,
//! tarballs checked against the registry's integrity hashes, licences kept);
//! a test checks them against `assets.lock`.

use std::sync::LazyLock;

use actix_web::{HttpResponse, http::header, web};

/// An example operation: a playground tab.
pub struct Example {
    pub name: &'static str,
    pub query: &'static str,
    /// The tab's variables (JSON), for operations that need them.
    pub variables: Option<&'static str>,
}

/// The example operations, in the order of the playground's tabs.
pub const EXAMPLES: [Example; 5] = [
    Example {
        name: "find_help",
        query: include_str!("../../queries/find_help.graphql"),
        variables: None,
    },
    Example {
        name: "centres_with_free_places",
        query: include_str!("../../queries/centres_with_free_places.graphql"),
        variables: None,
    },
    Example {
        name: "capacity_overview",
        query: include_str!("../../queries/capacity_overview.graphql"),
        variables: None,
    },
    Example {
        name: "set_capacity",
        query: include_str!("../../queries/set_capacity.graphql"),
        variables: Some(r#"{ "capacityId": "<a Capacity id>", "available": 3, "expectedVersion": 1 }"#),
    },
    Example {
        name: "capacity_changed",
        query: include_str!("../../queries/capacity_changed.graphql"),
        variables: None,
    },
];

/// What the headers editor starts with: where a token goes.
const HEADERS: &str = "{\n  \"Authorization\": \"Bearer <token>\"\n}";

/// A file the page loads.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// Third-party files carry their version in their name and never change.
    pub immutable: bool,
}

macro_rules! asset {
    ($name:literal, $content_type:expr, $immutable:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/playground/", $name)),
            immutable: $immutable,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file served under `/playground/`.
pub const ASSETS: [Asset; 7] = [
    asset!("graphiql-3.8.3.min.css", CSS, true),
    asset!("kamkor-playground.css", CSS, false),
    asset!("react-18.3.1.production.min.js", JS, true),
    asset!("react-dom-18.3.1.production.min.js", JS, true),
    asset!("graphiql-3.8.3.min.js", JS, true),
    asset!("graphql-ws-5.16.2.min.js", JS, true),
    asset!("kamkor-playground.js", JS, false),
];

pub static PAGE: LazyLock<String> = LazyLock::new(|| {
    let tabs: Vec<serde_json::Value> = EXAMPLES
        .iter()
        .map(|e| serde_json::json!({ "query": e.query, "variables": e.variables, "headers": HEADERS }))
        .collect();
    let data = serde_json::json!({ "tabs": tabs, "headers": HEADERS });
    // `</` would end the script element early.
    let data = data.to_string().replace("</", "<\\/");
    let styles: String = ASSETS
        .iter()
        .filter(|a| a.name.ends_with(".css"))
        .map(|a| format!("  <link rel=\"stylesheet\" href=\"/playground/{}\">\n", a.name))
        .collect();
    let scripts: String = ASSETS
        .iter()
        .filter(|a| a.name.ends_with(".js"))
        .map(|a| format!("  <script src=\"/playground/{}\" defer></script>\n", a.name))
        .collect();
    TEMPLATE
        .replace("{{STYLES}}", &styles)
        .replace("{{SCRIPTS}}", &scripts)
        .replace("{{DATA}}", &data)
});

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="ky">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kamkor GraphQL playground</title>
{{STYLES}}{{SCRIPTS}}  <script type="application/json" id="kamkor-playground-data">{{DATA}}</script>
</head>
<body>
  <div id="graphiql">Loading the Kamkor playground…</div>
</body>
</html>
"#;

/// The playground page, with headers that keep it from being framed or
/// sniffed and that let it load from, and talk to, this server only.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE.as_str())
}

/// Only this server's own origin, no inline script or style (GraphiQL and
/// CodeMirror set styles through the DOM, which CSP allows). `connect-src
/// 'self'` covers the same-origin WebSocket of subscriptions.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// One of the page's files.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"))
        .body(asset.bytes)
}
