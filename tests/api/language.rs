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

// A list reads its names in the request's language with the list; another
// language comes from the whole record. Both agree with `translations`.
both!(
    names_in_lists_agree_with_translations_in_every_language,
    |app| async move {
        let query = r#"{ findHelp(need: { availableOnly: false }, first: 5) { nodes {
        service { name ky: name(lang: KY) ru: name(lang: RU) en: name(lang: EN) translations { field ky ru en } }
        centre { name ky: name(lang: KY) ru: name(lang: RU) translations { field ky ru en }
          services { name ru: name(lang: RU) translations { field ky ru en } } } } } }"#;
        for accept in ["ky", "ru", "en"] {
            let body = app.query_with(query, json!({}), &[("accept-language", accept)]).await;
            assert!(body.get("errors").is_none(), "{body:#}");
            let matches = body["data"]["findHelp"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(matches.len(), 5);
            let check = |record: &serde_json::Value| {
                let name = record["translations"]
                    .as_array()
                    .and_then(|t| t.iter().find(|t| t["field"] == "name"))
                    .cloned()
                    .expect("a name translation");
                let or_ky = |lang: &str| {
                    if name[lang].is_null() {
                        name["ky"].clone()
                    } else {
                        name[lang].clone()
                    }
                };
                assert_eq!(record["name"], or_ky(accept), "{accept}: {record:#}");
                assert_eq!(record["ru"], or_ky("ru"), "{record:#}");
                if record.get("ky").is_some() {
                    assert_eq!(record["ky"], name["ky"]);
                }
                if record.get("en").is_some() {
                    assert_eq!(record["en"], or_ky("en"));
                }
            };
            for m in &matches {
                check(&m["service"]);
                check(&m["centre"]);
                for service in m["centre"]["services"].as_array().cloned().unwrap_or_default() {
                    check(&service);
                }
            }
        }
    }
);
