//! The playground is served whole by the server itself: its third-party
//! files are exactly the npm registry's (as `assets.lock` records them), the
//! page loads nothing from elsewhere and its policy allows nothing else, and
//! it can be switched off.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::{both, helpers::TestApp};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api/assets/playground");

/// `assets.lock`: file → (sha256, package@version, tarball integrity).
fn lock() -> BTreeMap<String, (String, String, String)> {
    let text = std::fs::read_to_string(format!("{DIR}/assets.lock")).expect("assets.lock");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 4, "malformed lock line {line:?}");
            (
                parts[0].to_owned(),
                (parts[1].to_owned(), parts[2].to_owned(), parts[3].to_owned()),
            )
        })
        .collect()
}

#[test]
fn vendored_files_are_the_registrys() {
    let lock = lock();
    let script = std::fs::read_to_string(format!("{DIR}/fetch.sh")).expect("fetch.sh");
    for (file, (sha256, package, integrity)) in &lock {
        let bytes = std::fs::read(format!("{DIR}/{file}")).unwrap_or_else(|_| panic!("{file} is committed"));
        assert_eq!(
            &format!("{:x}", Sha256::digest(&bytes)),
            sha256,
            "{file} differs from what fetch.sh took"
        );
        // The script pins the same version and registry integrity.
        let (name, version) = package.rsplit_once('@').expect("package@version");
        assert!(
            script.contains(&format!("\"{name} {version} {integrity}")),
            "fetch.sh does not pin {package} {integrity}"
        );
        assert!(integrity.starts_with("sha512-"));
    }
    // Every third-party file served is locked, and every package brings its licence.
    for asset in api::http::playground::ASSETS.iter().filter(|a| a.immutable) {
        let (sha256, package, _) = lock
            .get(asset.name)
            .unwrap_or_else(|| panic!("{} is not locked", asset.name));
        assert_eq!(&format!("{:x}", Sha256::digest(asset.bytes)), sha256);
        let name = package.rsplit_once('@').map(|(n, _)| n).unwrap_or_default();
        assert!(
            lock.contains_key(&format!("LICENSE.{name}")),
            "no licence for {package}"
        );
    }
}

both!(the_page_loads_only_from_its_own_server, |app| async move {
    let page = app
        .client
        .get(app.graphql_url())
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("http") && !csp.contains("unsafe"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"),
        "{html}"
    );
    let mut served = 0;
    for asset in api::http::playground::ASSETS.iter() {
        let path = format!("/playground/{}", asset.name);
        assert!(html.contains(&path), "the page loads {path}");
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            kind.starts_with("text/javascript") || kind.starts_with("text/css"),
            "{kind}"
        );
        assert_eq!(response.bytes().await.expect("body").as_ref(), asset.bytes);
        served += 1;
    }
    assert_eq!(served, api::http::playground::ASSETS.len());
    let missing = app
        .client
        .get(format!("{}/playground/../Cargo.toml", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
});

#[tokio::test]
async fn the_playground_can_be_switched_off() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| s.http.playground = false)
        .await
        .expect("sqlite");
    let page = app
        .client
        .get(app.graphql_url())
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    assert_ne!(
        page.headers()["content-type"].to_str().unwrap_or_default(),
        "text/html; charset=utf-8"
    );
    let asset = app
        .client
        .get(format!("{}/playground/kamkor-playground.js", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(asset.status(), StatusCode::NOT_FOUND);
    // The API itself still answers.
    let data = app.data("{ __typename }", serde_json::json!({})).await;
    assert_eq!(data["__typename"], "QueryRoot");
}
