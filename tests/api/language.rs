//! Texts resolve by `lang`, then `Accept-Language`, then Kyrgyz.

use serde_json::json;

use crate::both;

const QUERY: &str = r#"{ centres(filter: { text: "балалык" }, first: 1) { nodes {
    name nameRu: name(lang: RU) nameKy: name(lang: KY) nameEn: name(lang: EN)
    translations { field ky ru en } } } }"#;

both!(texts_follow_the_requested_language, |app| async move {
    let body = app.query(QUERY, json!({})).await;
    let centre = &body["data"]["centres"]["nodes"][0];
    let translations = centre["translations"].as_array().cloned().unwrap_or_default();
    let name = translations
        .iter()
        .find(|t| t["field"] == "name")
        .expect("name translation");
    assert_eq!(centre["name"], name["ky"], "Kyrgyz by default");
    assert_eq!(centre["nameKy"], name["ky"]);
    assert_eq!(centre["nameRu"], name["ru"]);
    assert!(name["ky"] != name["ru"]);
    assert!(centre["nameRu"].as_str().is_some_and(|n| n.contains("Кризисный")));

    let russian = app
        .query_with(QUERY, json!({}), &[("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")])
        .await;
    assert_eq!(russian["data"]["centres"]["nodes"][0]["name"], name["ru"]);
    let argument_wins = app.query_with(QUERY, json!({}), &[("accept-language", "ru")]).await;
    assert_eq!(argument_wins["data"]["centres"]["nodes"][0]["nameKy"], name["ky"]);
    let unknown = app.query_with(QUERY, json!({}), &[("accept-language", "de-DE")]).await;
    assert_eq!(unknown["data"]["centres"]["nodes"][0]["name"], name["ky"]);
});

both!(missing_translations_fall_back_to_kyrgyz, |app| async move {
    // The demo addresses have no English version: English falls back to Kyrgyz.
    let data = app
        .data(
            r#"{ centres(filter: { text: "балалык" }, first: 1) { nodes { en: address(lang: EN) ky: address(lang: KY) translations { field en } } } }"#,
            json!({}),
        )
        .await;
    let centre = &data["centres"]["nodes"][0];
    let address = centre["translations"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["field"] == "address"))
        .cloned();
    assert!(
        address.is_some_and(|a| a["en"].is_null()),
        "the fixture has no English address"
    );
    assert!(centre["ky"].is_string());
    assert_eq!(centre["en"], centre["ky"]);
});
