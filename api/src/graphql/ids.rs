//! Opaque global ids, as in GitHub's API: base64url of `Type:uuid`. Clients
//! must treat them as opaque; the server can tell the type of any id.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::prelude::Uuid;

use crate::error::AppError;

/// The types that implement `Node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    AdminArea,
    Organization,
    Centre,
    Service,
    Capacity,
    /// A service offered at a centre.
    ServiceAtCentre,
    /// Places held for a child on the way.
    Hold,
}

impl NodeKind {
    const ALL: [NodeKind; 7] = [
        Self::AdminArea,
        Self::Organization,
        Self::Centre,
        Self::Service,
        Self::Capacity,
        Self::ServiceAtCentre,
        Self::Hold,
    ];

    /// The kind of the records of a table, for the audit trail.
    pub fn of_table(table: &str) -> Option<Self> {
        Some(match table {
            "admin_area" => Self::AdminArea,
            "organization" => Self::Organization,
            "centre" => Self::Centre,
            "service" => Self::Service,
            "capacity" => Self::Capacity,
            "service_at_centre" => Self::ServiceAtCentre,
            "hold" => Self::Hold,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::AdminArea => "AdminArea",
            Self::Organization => "Organization",
            Self::Centre => "Centre",
            Self::Service => "Service",
            Self::Capacity => "Capacity",
            Self::ServiceAtCentre => "ServiceAtCentre",
            Self::Hold => "Hold",
        }
    }
}

/// The global id of a record: `Type:uuid` assembled on the stack, so that
/// the one allocation is the id's own (a page of centres has hundreds).
pub fn encode(kind: NodeKind, id: Uuid) -> ID {
    const UUID_LEN: usize = uuid::fmt::Hyphenated::LENGTH;
    let name = kind.name().as_bytes();
    let mut text = [0u8; 32 + UUID_LEN];
    text[..name.len()].copy_from_slice(name);
    text[name.len()] = b':';
    let start = name.len() + 1;
    id.hyphenated().encode_lower(&mut text[start..start + UUID_LEN]);
    ID(URL_SAFE_NO_PAD.encode(&text[..start + UUID_LEN]))
}

/// Decodes any global id into its type and uuid.
pub fn decode(id: &ID) -> Result<(NodeKind, Uuid), AppError> {
    let invalid = || AppError::bad_input(format!("{:?} is not a valid id", id.as_str()));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_bytes()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(invalid)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| invalid())?;
    Ok((kind, uuid))
}

/// Decodes an id that must be of one type.
pub fn decode_as(kind: NodeKind, id: &ID) -> Result<Uuid, AppError> {
    match decode(id)? {
        (found, uuid) if found == kind => Ok(uuid),
        (found, _) => Err(AppError::bad_input(format!(
            "id {:?} is a {} id, expected a {} id",
            id.as_str(),
            found.name(),
            kind.name()
        ))),
    }
}

/// As [`decode_as`], for an optional id (a filter's).
pub fn decode_optional(kind: NodeKind, id: Option<&ID>) -> Result<Option<Uuid>, AppError> {
    id.map(|id| decode_as(kind, id)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let uuid = Uuid::new_v4();
        let id = encode(NodeKind::Centre, uuid);
        assert_eq!(decode(&id).expect("valid"), (NodeKind::Centre, uuid));
        assert!(decode_as(NodeKind::Service, &id).is_err());
    }

    #[test]
    fn ids_keep_the_form_partners_stored() {
        let uuid = Uuid::parse_str("1303a0ec-eeb1-4d71-9404-442db913728d").expect("a uuid");
        assert_eq!(
            encode(NodeKind::Centre, uuid).as_str(),
            "Q2VudHJlOjEzMDNhMGVjLWVlYjEtNGQ3MS05NDA0LTQ0MmRiOTEzNzI4ZA"
        );
        let longest = encode(NodeKind::ServiceAtCentre, uuid);
        assert_eq!(decode(&longest).expect("valid"), (NodeKind::ServiceAtCentre, uuid));
    }

    #[test]
    fn garbage_is_bad_input() {
        for bad in ["", "!!!", "Q2VudHJlOm5vdC1hLXV1aWQ", "VW5rbm93bjo"] {
            assert_eq!(decode(&ID::from(bad)).expect_err(bad).code(), "BAD_USER_INPUT");
        }
    }
}
