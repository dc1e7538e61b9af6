//! Bearer tokens: verified with the configured key and algorithm only, a
//! bad one refused (401), never served as anonymous; what each role reads.
//! The key pairs in `tests/fixtures/` exist for these tests only.

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{SECRET, TestApp, token, with_tokens},
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A token with any header and claims, signed with any key.
fn signed(alg: Algorithm, key: &EncodingKey, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), &claims, key).expect("signs")
}

fn hs256(secret: &str, claims: Value) -> String {
    signed(Algorithm::HS256, &EncodingKey::from_secret(secret.as_bytes()), claims)
}

fn claims(role: &str) -> Value {
    json!({ "sub": "tester", "role": role, "exp": now() + 600 })
}

async fn status_of(app: &TestApp, authorization: &str) -> (StatusCode, Value, Option<String>) {
    let res = app
        .client
        .post(app.graphql_url())
        .header("authorization", authorization)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent");
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (res.status(), res.json().await.unwrap_or_default(), challenge)
}

both!(
    bad_credentials_are_refused_not_ignored,
    configure = |s| {
        with_tokens(s);
        s.auth.issuer = Some("kamkor-test".into());
        s.auth.audience = Some("kamkor".into());
    },
    |app| async move {
        let good = json!({ "sub": "t", "role": "admin", "exp": now() + 600, "iss": "kamkor-test", "aud": "kamkor" });
        let (status, body, _) = status_of(&app, &format!("Bearer {}", hs256(SECRET, good.clone()))).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let mut expired = good.clone();
        expired["exp"] = json!(now() - 3600);
        let mut other_audience = good.clone();
        other_audience["aud"] = json!("someone-else");
        let mut other_issuer = good.clone();
        other_issuer["iss"] = json!("elsewhere");
        let mut no_exp = good.clone();
        no_exp.as_object_mut().map(|o| o.remove("exp"));
        let mut unknown_role = good.clone();
        unknown_role["role"] = json!("superuser");
        let mut bad_centre = good.clone();
        bad_centre["centres"] = json!(["not-a-centre-id"]);
        // A configured issuer and audience are required claims, not checks
        // of what happens to be there.
        let mut no_issuer = good.clone();
        no_issuer.as_object_mut().map(|o| o.remove("iss"));
        let mut no_audience = good.clone();
        no_audience.as_object_mut().map(|o| o.remove("aud"));
        let mut not_yet = good.clone();
        not_yet["nbf"] = json!(now() + 600);
        let valid = hs256(SECRET, good.clone());
        let (head, rest) = valid.split_once('.').expect("a JWT");
        let (_, signature) = rest.split_once('.').expect("a JWT");
        let forged_payload = base64_url(&serde_json::to_vec(&json!({ "sub": "t", "role": "admin", "exp": now() + 600, "iss": "kamkor-test", "aud": "kamkor", "x": 1 })).unwrap_or_default());
        let rsa = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rsa-private.pem")).expect("fixture")).expect("key");
        let refused = [
            ("Token abc".to_owned(), "malformed"),
            ("Bearer".to_owned(), "malformed"),
            ("Bearer a b".to_owned(), "malformed"),
            ("Bearer not.a.jwt".to_owned(), "not a JWT"),
            (
                format!(
                    "Bearer {}",
                    hs256("another-secret-that-is-32-bytes-long!", good.clone())
                ),
                "signature",
            ),
            (format!("Bearer {}", hs256(SECRET, expired)), "expired"),
            (format!("Bearer {}", hs256(SECRET, other_audience)), "audience"),
            (format!("Bearer {}", hs256(SECRET, other_issuer)), "issuer"),
            (format!("Bearer {}", hs256(SECRET, no_exp)), "exp"),
            (format!("Bearer {}", hs256(SECRET, unknown_role)), "role"),
            (format!("Bearer {}", hs256(SECRET, bad_centre)), "centre id"),
            (format!("Bearer {}", hs256(SECRET, no_issuer)), "names no issuer"),
            (format!("Bearer {}", hs256(SECRET, no_audience)), "names no audience"),
            (format!("Bearer {}", hs256(SECRET, not_yet)), "not valid yet"),
            (format!("Bearer {head}.{forged_payload}.{signature}"), "signature"),
            (
                format!(
                    "Bearer {}",
                    signed(
                        Algorithm::HS384,
                        &EncodingKey::from_secret(SECRET.as_bytes()),
                        good.clone()
                    )
                ),
                "algorithm",
            ),
            (
                format!("Bearer {}", signed(Algorithm::RS256, &rsa, good.clone())),
                "algorithm",
            ),
            (
                format!(
                    "Bearer {}.{}.",
                    base64_url(br#"{"alg":"none","typ":"JWT"}"#),
                    base64_url(good.to_string().as_bytes())
                ),
                "",
            ),
        ];
        for (authorization, says) in refused {
            let (status, body, challenge) = status_of(&app, &authorization).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{authorization}: {message}");
            assert_eq!(challenge.as_deref(), Some("Bearer"));
        }
    }
);

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The audience the tests' identity provider mints Kamkor's tokens for.
const AUDIENCE: &str = "kamkor-api";

/// The claims of an identity provider's token for Kamkor.
fn provider_claims(role: &str) -> Value {
    json!({ "sub": "tester", "role": role, "exp": now() + 600, "iss": "https://id.example.kg", "aud": [AUDIENCE, "other-app"] })
}

fn provider_key(private: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(fixture(private)).expect("fixture");
    match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ed_pem(&pem),
    }
    .expect("a private key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_an_identity_provider_verify_with_its_public_key() {
    for (public, private, alg) in [
        ("rsa-public.pem", "rsa-private.pem", Algorithm::RS256),
        ("ed25519-public.pem", "ed25519-private.pem", Algorithm::EdDSA),
    ] {
        let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
            s.auth.public_key = Some(fixture(public));
            s.auth.audience = Some(AUDIENCE.into());
        })
        .await
        .expect("starts");
        let key = provider_key(private, alg);
        let (status, body, _) = status_of(
            &app,
            &format!("Bearer {}", signed(alg, &key, provider_claims("partner"))),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{alg:?}: {body}");
        // The provider's tokens for other applications are refused, and so
        // is one that claims to be the registry's own.
        let mut for_another_app = provider_claims("partner");
        for_another_app["aud"] = json!("payroll");
        let mut posing_as_own = provider_claims("partner");
        posing_as_own["iss"] = json!("kamkor");
        for (claims, says) in [(for_another_app, "audience"), (posing_as_own, "registry's own")] {
            let (status, body, _) = status_of(&app, &format!("Bearer {}", signed(alg, &key, claims))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{alg:?}: {body}");
            assert!(
                body["errors"][0]["message"].as_str().unwrap_or_default().contains(says),
                "{body}"
            );
        }
        // An HS256 token is refused: no secret is configured, whatever it was signed with.
        let (status, _, _) = status_of(&app, &format!("Bearer {}", hs256(SECRET, claims("admin")))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{alg:?}");
    }
}

#[test]
fn an_identity_providers_key_needs_an_audience_or_an_explicit_waiver() {
    let mut settings = api::config::AuthSettings {
        public_key: Some(fixture("rsa-public.pem")),
        ..Default::default()
    };
    let refused = api::http::auth::TokenVerifier::from_settings(&settings)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("KAMKOR_JWT_AUDIENCE"), "{refused}");
    settings.any_audience = true;
    let verifier = api::http::auth::TokenVerifier::from_settings(&settings)
        .expect("waived")
        .expect("a verifier");
    let token = signed(
        Algorithm::RS256,
        &provider_key("rsa-private.pem", Algorithm::RS256),
        provider_claims("partner"),
    );
    let caller = verifier.verify(&token).expect("verifies").caller;
    assert_eq!(
        (caller.issuer.as_str(), caller.subject.as_str()),
        ("https://id.example.kg", "tester")
    );
    // The command line says the same at start-up, in one line.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .args(["--database-url", "sqlite::memory:", "--bind", "127.0.0.1:0"])
        .env("KAMKOR_JWT_PUBLIC_KEY", fixture("rsa-public.pem"))
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("KAMKOR_JWT_AUDIENCE"));
}

both!(
    without_keys_reads_work_and_writes_say_how_to_configure,
    |app| async move {
        let (status, body, _) = status_of(&app, &format!("Bearer {}", token("admin", "x", &[]))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("KAMKOR_JWT_SECRET")
        );
        let write = app
        .query(
            r#"mutation { createOrganization(input: { kind: NGO, name: { ky: "A", ru: "Б" } }) { organization { id } } }"#,
            json!({}),
        )
        .await;
        assert_eq!(write["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let message = write["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("KAMKOR_JWT_SECRET") && message.contains("kamkor token"),
            "{message}"
        );
        assert!(
            app.data("{ centres(first: 1) { totalCount } }", json!({})).await["centres"]["totalCount"].as_i64()
                > Some(0)
        );
    }
);

both!(
    partners_read_confidential_locations_and_anonymous_callers_never_do,
    configure = with_tokens,
    |app| async move {
        let query = r#"{ centres(filter: { text: "кризис" }, first: 50) { nodes { addressConfidential address latitude phones { number } } } }"#;
        let secret = |data: &Value| {
            data["centres"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c["addressConfidential"] == true)
                .collect::<Vec<_>>()
        };
        let partner = app
            .data_as(&token("partner", "hotline-111", &[]), query, json!({}))
            .await;
        let shown = secret(&partner);
        assert!(!shown.is_empty());
        assert!(
            shown
                .iter()
                .all(|c| c["address"].is_string() && c["latitude"].is_number()),
            "{shown:#?}"
        );
        let anonymous = app.data(query, json!({})).await;
        assert!(
            secret(&anonymous)
                .iter()
                .all(|c| c["address"].is_null() && c["latitude"].is_null())
        );
    }
);

both!(
    authenticated_callers_have_a_bucket_of_their_own,
    configure = |s| {
        with_tokens(s);
        s.rate_limit.anonymous_per_minute = 100;
        s.rate_limit.authenticated_per_minute = 1_000;
    },
    |app| async move {
        let query = "{ centres(first: 5) { nodes { id } } }";
        for _ in 0..3 {
            assert!(app.query(query, json!({})).await.get("errors").is_none());
        }
        assert_eq!(
            app.query(query, json!({})).await["errors"][0]["extensions"]["code"],
            "RATE_LIMITED"
        );
        let partner = token("partner", "hotline-111", &[]);
        for _ in 0..10 {
            let body = app.query_as(&partner, query, json!({})).await;
            assert!(body.get("errors").is_none(), "{body}");
        }
    }
);

#[test]
fn kamkor_token_mints_what_the_server_accepts() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .args([
            "token",
            "--role",
            "centre_manager",
            "--sub",
            "manager@aidanek",
            "--ttl",
            "2h",
        ])
        .args(["--centre", "Q2VudHJlOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMQ"])
        .env("KAMKOR_JWT_SECRET", SECRET)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let verifier = api::http::auth::TokenVerifier::from_settings(&api::config::AuthSettings {
        secret: Some(SECRET.to_owned()),
        ..Default::default()
    })
    .expect("keys")
    .expect("a verifier");
    let caller = verifier.verify(&token).expect("verifies").caller;
    assert_eq!(caller.subject, "manager@aidanek");
    assert_eq!(caller.issuer, "kamkor");
    assert_eq!(caller.centres.len(), 1);

    let without_secret = std::process::Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .args(["token", "--role", "admin", "--sub", "x"])
        .env_remove("KAMKOR_JWT_SECRET")
        .output()
        .expect("runs");
    assert_eq!(without_secret.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&without_secret.stderr).contains("KAMKOR_JWT_SECRET"));
}
