//! GraphQL output types, converted from entity models and registry records.
//! The schema is a contract we own, not a mirror of the tables.

pub mod admin_area;
pub mod audit;
pub mod capacity;
pub mod centre;
pub mod change_feed;
pub mod enums;
pub mod help_match;
pub mod hold;
pub mod node;
pub mod organization;
pub mod overview;
pub mod service;
pub mod service_at_centre;
pub mod stamp;
pub mod text;

use async_graphql::{Lookahead, SimpleObject};

use crate::registry::Detail;

/// Whether a list whose records' selections are `records` reads their
/// details: only when one of `detail_fields`, the fields resolved from
/// them, is selected (through fragments too). Directives are not evaluated,
/// so a field skipped by `@include` still counts: that costs columns, never
/// a wrong answer.
fn detail_selected(records: &[Lookahead<'_>], detail_fields: &[&str]) -> Detail {
    let selected = records
        .iter()
        .any(|record| detail_fields.iter().any(|field| record.field(field).exists()));
    if selected { Detail::Full } else { Detail::Brief }
}

/// A phone number with its purpose.
#[derive(SimpleObject, Clone, Debug)]
pub struct Phone {
    /// The number in international format, or a short national number such as 111.
    pub number: String,
    /// What the number is for.
    pub kind: enums::PhoneKind,
}

impl From<&entity::values::Phone> for Phone {
    fn from(phone: &entity::values::Phone) -> Self {
        Self {
            number: phone.number.clone(),
            kind: phone.kind.into(),
        }
    }
}
