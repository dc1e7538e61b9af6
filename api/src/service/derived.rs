//! Columns derived from a record's own fields: search text, name sort keys
//! and the public location of confidential centres. Every write path calls
//! these, so the derived columns can never disagree with the record.

use entity::{centre, organization, service};

use super::{Lang, geo::coarsen, search};

pub fn organization(m: &mut organization::Model) {
    m.search_text = search::search_text([Some(&m.name), m.description.as_ref()]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
}

pub fn centre(m: &mut centre::Model) {
    // The address of a confidential shelter must not be searchable: a match
    // would tell an anonymous caller what the address contains.
    let address = if m.address_confidential {
        None
    } else {
        m.address.as_ref()
    };
    m.search_text = search::search_text([Some(&m.name), m.description.as_ref(), address]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
    let public = |v: Option<f64>| if m.address_confidential { v.map(coarsen) } else { v };
    m.public_latitude = public(m.latitude);
    m.public_longitude = public(m.longitude);
}

pub fn service(m: &mut service::Model) {
    m.search_text = search::search_text([Some(&m.name), Some(&m.description), m.eligibility.as_ref()]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
}
