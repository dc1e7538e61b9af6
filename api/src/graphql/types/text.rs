//! Texts in Kyrgyz, Russian and English.

use async_graphql::{Enum, SimpleObject};
use entity::values::LocalizedText;

use crate::registry::text::{self, localize};

/// A language of the registry's texts.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(remote = "text::Lang")]
pub enum Lang {
    /// Kyrgyz (кыргызча), the state language and the default.
    Ky,
    /// Russian (русский), the official language.
    Ru,
    /// English, present for some records only.
    En,
}

/// A stored text in `lang` (see [`localize`]), owned for GraphQL.
pub fn in_lang(text: &LocalizedText, lang: Lang) -> Option<String> {
    localize(text, lang.into()).map(str::to_owned)
}

/// One human-readable field in every stored language, for editors.
#[derive(SimpleObject, Clone, Debug)]
pub struct Translation {
    /// The GraphQL name of the field, e.g. `name` or `description`.
    pub field: String,
    /// Kyrgyz text.
    pub ky: Option<String>,
    /// Russian text.
    pub ru: Option<String>,
    /// English text.
    pub en: Option<String>,
}

/// The translations of the present fields among `fields`.
pub fn translations(fields: &[(&str, Option<&LocalizedText>)]) -> Vec<Translation> {
    fields
        .iter()
        .filter_map(|(field, text)| {
            text.map(|t| Translation {
                field: (*field).to_owned(),
                ky: t.ky.clone(),
                ru: t.ru.clone(),
                en: t.en.clone(),
            })
        })
        .collect()
}
