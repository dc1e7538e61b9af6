//! JSON values stored in a single column: texts in several languages and
//! phone lists. They are small, always read whole, and never filtered on
//! (search uses the separate `search_text` columns).

use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

/// A human-readable text in Kyrgyz, Russian and optionally English.
///
/// Every field is optional in storage so that imported records missing a
/// language still load; the write path requires `ky` and `ru`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct LocalizedText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ky: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LocalizedText {
    /// All present translations, in the order Kyrgyz, Russian, English.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        [&self.ky, &self.ru, &self.en].into_iter().flatten().map(String::as_str)
    }
}

/// The purpose of a phone number.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhoneKind {
    /// Where families and social workers call to ask for help or a place.
    Intake,
    Office,
    Hotline,
    Mobile,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    pub number: String,
    pub kind: PhoneKind,
}

/// A list of phone numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Phones(pub Vec<Phone>);

/// Field-level changes recorded in the audit log: field name to old and new value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct FieldChanges(pub Vec<FieldChange>);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}
