//! The mutation root, merged from one object per domain. Every mutation
//! needs a bearer token; the registry decides who may do what (see
//! `registry::access`), validates, writes in one transaction with its audit
//! entry, and refuses a stale `expectedVersion` with CONFLICT.

pub mod capacity;
pub mod centre;
pub mod hold;
pub mod organization;
pub mod service;
pub mod service_at_centre;

use async_graphql::{InputObject, MaybeUndefined, MergedObject};
use entity::values::{LocalizedText, Phone};

use super::types::enums::PhoneKind;

/// Every write to the registry.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    organization::OrganizationMutation,
    centre::CentreMutation,
    service::ServiceMutation,
    service_at_centre::ServiceAtCentreMutation,
    capacity::CapacityMutation,
    hold::HoldMutation,
);

/// Archives a record: it leaves public queries but stays for the audit
/// trail and for admins.
#[derive(InputObject)]
pub struct ArchiveInput {
    /// The record.
    pub id: async_graphql::ID,
    /// The version the archiving was decided on; a stale one gets CONFLICT.
    pub expected_version: i32,
}

/// A text in the official languages. Kyrgyz and Russian are required for
/// names and descriptions; English is optional.
#[derive(InputObject, Clone, Debug)]
pub struct LocalizedTextInput {
    /// Kyrgyz.
    pub ky: Option<String>,
    /// Russian.
    pub ru: Option<String>,
    /// English.
    pub en: Option<String>,
}

impl From<LocalizedTextInput> for LocalizedText {
    fn from(input: LocalizedTextInput) -> Self {
        Self {
            ky: input.ky,
            ru: input.ru,
            en: input.en,
        }
    }
}

/// A phone number with its purpose.
#[derive(InputObject, Clone, Debug)]
pub struct PhoneInput {
    /// International format (+996 312 000 111) or a short national number (111).
    pub number: String,
    /// What the number is for.
    pub kind: PhoneKind,
}

impl From<PhoneInput> for Phone {
    fn from(input: PhoneInput) -> Self {
        Self {
            number: input.number,
            kind: input.kind.into(),
        }
    }
}

/// Phone inputs as stored.
fn phones(inputs: Vec<PhoneInput>) -> Vec<Phone> {
    inputs.into_iter().map(Phone::from).collect()
}

/// A nullable field of an update: absent leaves it, null clears it.
fn patch<T, U>(value: MaybeUndefined<T>, convert: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(convert(v))),
    }
}
