//! Fair shares of places: one holder (an issuer's subject) holds so many
//! places at once and takes so many holds an hour; admins are exempt. A
//! holder is an issuer and a subject together, and what a conflict shows of
//! a capacity depends on who asks.

use std::path::PathBuf;

use api::{config::Settings, registry::hold::FairShare};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{SECRET, TestApp, token, with_tokens},
    holds::HOLD,
};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

const RELEASE: &str = r#"mutation($id: ID!) { releaseHold(id: $id) { hold { status } } }"#;

fn small_shares(settings: &mut Settings) {
    with_tokens(settings);
    settings.fair_share = FairShare {
        max_places_held: 3,
        max_holds_per_hour: 4,
    };
}

async fn hold(app: &TestApp, holder: &str, capacity: &str, places: i32) -> Value {
    app.query_as(holder, HOLD, json!({ "capacity": capacity, "places": places }))
        .await
}

both!(
    one_holder_holds_a_fair_share_and_admins_any,
    configure = small_shares,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Үлүш").await;
        crate::subscriptions::count(&app, &admin, &f.capacity, 10).await;
        let hotline = token("partner", "hotline-111", &[]);
        let first = hold(&app, &hotline, &f.capacity, 2).await;
        assert!(first.get("errors").is_none(), "{first:#}");
        // Two more would make four places at once.
        let greedy = hold(&app, &hotline, &f.capacity, 2).await;
        assert_eq!(code(&greedy), "FORBIDDEN", "{greedy:#}");
        assert!(
            greedy["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("at most 3")
        );
        let id = first["data"]["holdPlace"]["hold"]["id"].clone();
        app.data_as(&hotline, RELEASE, json!({ "id": id })).await;
        // Released, the places no longer count; the holds of the hour do.
        for _ in 0..3 {
            let one = hold(&app, &hotline, &f.capacity, 1).await;
            assert!(one.get("errors").is_none(), "{one:#}");
            let id = one["data"]["holdPlace"]["hold"]["id"].clone();
            app.data_as(&hotline, RELEASE, json!({ "id": id })).await;
        }
        let (status, headers, fifth) = app
            .post_raw(
                json!({ "query": HOLD, "variables": { "capacity": f.capacity, "places": 1 } }).to_string(),
                &[
                    ("content-type", "application/json"),
                    ("authorization", &format!("Bearer {hotline}")),
                ],
            )
            .await;
        assert_eq!(code(&fifth), "RATE_LIMITED", "{fifth:#}");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let wait = fifth["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap_or_default();
        assert!((3_500..=3_600).contains(&wait), "{wait}");
        assert_eq!(headers["retry-after"].to_str().ok(), Some(wait.to_string().as_str()));
        // Another holder has a share of their own; admins are exempt.
        let other = hold(&app, &token("partner", "case-system", &[]), &f.capacity, 3).await;
        assert!(other.get("errors").is_none(), "{other:#}");
        let admin_hold = hold(&app, &admin, &f.capacity, 5).await;
        assert!(admin_hold.get("errors").is_none(), "{admin_hold:#}");
        let free = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Capacity { available } } }",
                json!({ "id": f.capacity }),
            )
            .await;
        assert_eq!(free["node"]["available"], 2);
    }
);

both!(
    who_counted_is_shown_only_to_those_who_count,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Ким санады").await;
        let manager = token("centre_manager", "night-nurse", &[f.centre.as_str()]);
        crate::subscriptions::count(&app, &manager, &f.capacity, 1).await;
        let partner = hold(&app, &token("partner", "hotline-111", &[]), &f.capacity, 2).await;
        assert_eq!(code(&partner), "CONFLICT", "{partner:#}");
        let current = &partner["errors"][0]["extensions"]["current"];
        assert_eq!(current["available"], 1);
        assert!(current.get("updatedBy").is_none(), "{current:#}");
        let own = hold(&app, &manager, &f.capacity, 2).await;
        assert_eq!(own["errors"][0]["extensions"]["current"]["updatedBy"], "night-nurse");
    }
);

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A token of the tests' identity provider for `sub`, as a partner.
fn provider_token(sub: &str) -> String {
    let key = EncodingKey::from_rsa_pem(&std::fs::read(fixture_path("rsa-private.pem")).expect("fixture"))
        .expect("a private key");
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() + 600)
        .unwrap_or_default();
    let claims =
        json!({ "sub": sub, "role": "partner", "exp": exp, "iss": "https://id.example.kg", "aud": "kamkor-api" });
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).expect("signs")
}

/// A token of the registry's own for the audience the tests configure (as
/// `kamkor token` mints them with the server's settings).
fn own_token(role: &str, sub: &str) -> String {
    let auth = api::config::AuthSettings {
        secret: Some(SECRET.to_owned()),
        audience: Some("kamkor-api".into()),
        ..Default::default()
    };
    let role = api::registry::access::Role::from_name(role).expect("a role");
    api::http::auth::mint(&auth, role, sub, &[], std::time::Duration::from_secs(600)).expect("a token")
}

both!(
    one_subject_of_two_issuers_is_two_holders,
    configure = |s| {
        s.auth.secret = Some(SECRET.to_owned());
        s.auth.public_key = Some(fixture_path("rsa-public.pem"));
        s.auth.audience = Some("kamkor-api".into());
    },
    |app| async move {
        let own = own_token("partner", "hotline");
        let admin = own_token("admin", "registry-admin");
        let f = Fixture::create(&app, &admin, "Эки берүүчү").await;
        let held = app
            .data_as(&own, HOLD, json!({ "capacity": f.capacity, "places": 1 }))
            .await;
        let hold = &held["holdPlace"]["hold"];
        let id = hold["id"].as_str().expect("id").to_owned();
        let provider = provider_token("hotline");
        // The provider's `hotline` neither sees nor handles it.
        let seen = app
            .query_as(
                &provider,
                "query($id: ID!) { hold(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(code(&seen), "NOT_FOUND", "{seen:#}");
        let release = app.query_as(&provider, RELEASE, json!({ "id": id })).await;
        assert_eq!(code(&release), "NOT_FOUND", "{release:#}");
        let listed = app
            .data_as(&provider, "{ holds(first: 5) { totalCount } }", json!({}))
            .await;
        assert_eq!(listed["holds"]["totalCount"], 0);
        // Its own holds carry its issuer; the registry's own, `kamkor`.
        let theirs = app
            .data_as(
                &provider,
                r#"mutation($c: ID!) { holdPlace(input: { capacityId: $c, places: 1 }) { hold { heldBy holderIssuer } } }"#,
                json!({ "c": f.capacity }),
            )
            .await;
        assert_eq!(
            theirs["holdPlace"]["hold"],
            json!({ "heldBy": "hotline", "holderIssuer": "https://id.example.kg" })
        );
        let mine = app
            .data_as(&own, "{ holds(first: 5) { nodes { heldBy holderIssuer } } }", json!({}))
            .await;
        assert_eq!(
            mine["holds"]["nodes"],
            json!([{ "heldBy": "hotline", "holderIssuer": "kamkor" }])
        );
        let log = app
            .data_as(
                &admin,
                r#"{ auditLog(filter: { actor: "hotline" }, first: 5) { nodes { action actorIssuer } } }"#,
                json!({}),
            )
            .await;
        let issuers: Vec<&str> = log["auditLog"]["nodes"]
            .as_array()
            .map(|n| n.iter().filter_map(|e| e["actorIssuer"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(issuers, ["https://id.example.kg", "kamkor"]);
    }
);
