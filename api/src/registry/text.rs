//! Texts in the two official languages, Kyrgyz and Russian, and English
//! where present.

use entity::values::LocalizedText;
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func, SimpleExpr};

/// A language of the registry's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Ky,
    Ru,
    En,
}

impl Lang {
    /// The language of an ISO 639 code (`ky`, `kir`, `ru`, `rus`, `en`, `eng`).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "ky" | "kir" => Some(Self::Ky),
            "ru" | "rus" => Some(Self::Ru),
            "en" | "eng" => Some(Self::En),
            _ => None,
        }
    }
}

impl Lang {
    /// The languages a text falls back to, in order: this one, then
    /// Kyrgyz, Russian and English, each once.
    fn fallbacks(self) -> [&'static str; 3] {
        match self {
            Self::Ky => ["'ky'", "'ru'", "'en'"],
            Self::Ru => ["'ru'", "'ky'", "'en'"],
            Self::En => ["'en'", "'ky'", "'ru'"],
        }
    }
}

/// SQL: a stored text column (JSON of the languages) in `lang`, falling
/// back as [`localize`] does, so that the database sends one string
/// instead of the whole text. `->>` reads a JSON field as text on both
/// engines.
pub fn localized_sql(column: SimpleExpr, lang: Lang) -> SimpleExpr {
    let fields = lang
        .fallbacks()
        .map(|key| column.clone().binary(BinOper::Custom("->>"), Expr::cust(key)));
    Func::coalesce(fields).into()
}

/// The text in `lang`, falling back to Kyrgyz, Russian, then English.
pub fn localize(text: &LocalizedText, lang: Lang) -> Option<&str> {
    let preferred = match lang {
        Lang::Ky => &text.ky,
        Lang::Ru => &text.ru,
        Lang::En => &text.en,
    };
    preferred
        .as_deref()
        .or(text.ky.as_deref())
        .or(text.ru.as_deref())
        .or(text.en.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_languages_fall_back_to_kyrgyz_then_russian() {
        let text = LocalizedText {
            ky: None,
            ru: Some("Центр".into()),
            en: Some("Centre".into()),
        };
        assert_eq!(localize(&text, Lang::Ky), Some("Центр"));
        assert_eq!(localize(&text, Lang::En), Some("Centre"));
        assert_eq!(Lang::from_code("RU"), Some(Lang::Ru));
        assert_eq!(Lang::from_code("uz"), None);
    }
}
