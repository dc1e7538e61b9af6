//! Texts in Kyrgyz, Russian and English.

use async_graphql::{Enum, SimpleObject};
use entity::values::LocalizedText;

use crate::service;

/// A language of the registry's texts.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Kyrgyz (кыргызча), the state language and the default.
    Ky,
    /// Russian (русский), the official language.
    Ru,
    /// English, present for some records only.
    En,
}

impl From<Lang> for service::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Ky => Self::Ky,
            Lang::Ru => Self::Ru,
            Lang::En => Self::En,
        }
    }
}

/// The text in `lang`, falling back to Kyrgyz, Russian, then English.
pub fn localize(text: &LocalizedText, lang: Lang) -> Option<String> {
    let preferred = match lang {
        Lang::Ky => &text.ky,
        Lang::Ru => &text.ru,
        Lang::En => &text.en,
    };
    preferred
        .as_ref()
        .or(text.ky.as_ref())
        .or(text.ru.as_ref())
        .or(text.en.as_ref())
        .cloned()
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
