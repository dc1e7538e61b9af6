//! The playground in a real browser: headless Chromium, with every host but
//! the server unresolvable, opens the page, runs the findHelp example and
//! sees matches, opens the docs and sees the schema's descriptions, and
//! follows a subscription while a count changes. Chromium is driven over the
//! DevTools protocol (a JSON-RPC over WebSocket; four methods suffice). The
//! test says loudly that it was skipped where no Chromium is installed;
//! `.ci/run` installs one.

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

use crate::helpers::{Backend, TestApp, token, with_tokens};

/// The Chromium to drive: `$CHROMIUM`, else the first of the usual names
/// on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium and one page of it, killed when dropped.
struct Browser {
    child: Child,
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    session: String,
    next_id: u64,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    async fn launch(binary: &PathBuf) -> Self {
        let profile = TempDir(std::env::temp_dir().join(format!("kamkor-chromium-{}", uuid::Uuid::new_v4().simple())));
        let mut child = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1400,900",
                "--remote-debugging-port=0",
                // No host but the server resolves: nothing may come from a CDN.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, endpoint) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = found.send(url.to_owned());
                }
            }
        });
        let url = endpoint
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium prints its DevTools endpoint");
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("DevTools connects");
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().expect("a session").to_owned();
        browser
    }

    /// Sends one DevTools command (to the page once attached) and waits for
    /// its answer, skipping events.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent to chromium");
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("chromium answers")
                .expect("chromium is there")
                .expect("a frame");
            let Message::Text(text) = frame else { continue };
            let answer: Value = serde_json::from_str(&text).expect("JSON");
            if answer["id"] == id {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy; panics with `what` after 30 s.
    async fn wait_for(&mut self, expression: &str, what: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.eval(expression).await;
            if !(value.is_null() || value == false || value == "") {
                return value;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Saves a screenshot under `target/browser/` and says where.
    async fn screenshot(&mut self, name: &str) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" })).await;
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            shot["data"].as_str().unwrap_or_default(),
        )
        .expect("base64");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("browser");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        let _ = writeln!(std::io::stderr(), "browser screenshot: {}", path.display());
    }
}

/// The text of the result panel.
const RESULT: &str = "(() => { const cm = document.querySelector('.result-window .CodeMirror'); \
     return cm && cm.CodeMirror ? cm.CodeMirror.getValue() : ''; })()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playground_works_offline_in_a_real_browser() {
    let Some(binary) = chromium() else {
        assert!(
            std::env::var_os("KAMKOR_BROWSER_TEST_REQUIRED").is_none(),
            "no chromium, and .ci/run requires the browser test"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n*** browser test SKIPPED: no chromium on the PATH (apt-get install chromium, or set CHROMIUM) ***\n"
        );
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, with_tokens).await.expect("sqlite");
    let mut browser = Browser::launch(&binary).await;
    browser.call("Page.enable", json!({})).await;
    browser.call("Page.navigate", json!({ "url": app.graphql_url() })).await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-execute-button') !== null",
            "GraphiQL to render",
        )
        .await;
    let tabs = browser.eval("document.querySelectorAll('.graphiql-tab').length").await;
    assert_eq!(tabs, api::http::playground::EXAMPLES.len(), "one tab per example");

    // The first tab is the findHelp example: run it.
    browser
        .eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
    let result = browser
        .wait_for(
            &format!("{RESULT}.includes('availablePlaces') && {RESULT}"),
            "findHelp's result",
        )
        .await;
    let result: Value = serde_json::from_str(result.as_str().unwrap_or_default()).expect("the result is JSON");
    let matches = result["data"]["findHelp"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!matches.is_empty(), "{result:#}");
    browser.screenshot("playground-find-help").await;

    // The docs list the schema with its descriptions.
    browser
        .eval("document.querySelector('.graphiql-sidebar button[aria-label$=\"Documentation Explorer\"]').click()")
        .await;
    let root_link =
        "[...document.querySelectorAll('.graphiql-doc-explorer a')].find(a => a.textContent === 'QueryRoot')";
    browser
        .wait_for(&format!("Boolean({root_link})"), "the docs to list the root types")
        .await;
    browser.eval(&format!("{root_link}.click()")).await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-doc-explorer').innerText.includes('The headline question')",
            "the docs to show findHelp's description",
        )
        .await;
    browser.screenshot("playground-docs").await;

    // A subscription from its tab hears a count made elsewhere.
    browser
        .eval("document.querySelectorAll('.graphiql-tab-button')[4].click()")
        .await;
    browser
        .wait_for(
            "document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror.getValue().includes('capacityChanged')",
            "the subscription tab",
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let admin = token("admin", "registry-admin", &[]);
    let shelters = app
        .data(
            r#"{ findHelp(need: { areaCode: "KG-GB", categories: [SHELTER] }, first: 1) { nodes { capacity { id } } } }"#,
            json!({}),
        )
        .await;
    let capacity = shelters["findHelp"]["nodes"][0]["capacity"]["id"]
        .as_str()
        .expect("a shelter with places in Bishkek")
        .to_owned();
    crate::subscriptions::count(&app, &admin, &capacity, 1).await;
    browser
        .wait_for(
            &format!("{RESULT}.includes('capacityChanged')"),
            "the subscription's event",
        )
        .await;
    browser.screenshot("playground-subscription").await;

    // Nothing came from anywhere but the server.
    let origin = app.address.clone();
    let loaded = browser
        .eval("performance.getEntriesByType('resource').map(e => e.name)")
        .await;
    let foreign: Vec<&str> = loaded
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|url| !url.starts_with(&origin) && !url.starts_with(&origin.replacen("http", "ws", 1)))
        .collect();
    assert!(foreign.is_empty(), "loaded from elsewhere: {foreign:?}");
}
