//! Who the caller is, and what they may see and do.
//!
//! Writes: registry admins edit everything and read the audit trail; a
//! centre manager edits only their own centres, those centres' services and
//! their places; partners and anonymous callers edit nothing.
//!
//! The confidentiality rule lives here and nowhere else: shelters for
//! children who suffered violence keep their location secret. For such a
//! centre, a caller who may not see it gets no address, coordinates, phones
//! or e-mail; searches "near a point" use a location coarsened to a grid
//! cell; and the distance shown is whole kilometres. Every ranking by
//! distance sorts on exactly the distance the caller is shown, with ties
//! broken by something that says nothing about location, so that the order
//! of a list cannot reveal more than its numbers do.
//!
//! Anonymous callers may not see confidential locations; partners and
//! admins see all of them; a centre manager sees those of their own centres.
//!
//! Place holds: any authenticated caller may hold places for a child. A hold
//! is seen and handled (released, confirmed) by its holder, by the managers
//! of its centre and by admins; its `reference`, the holder's own case
//! number, likewise, and never by other partners. A holder is an issuer and
//! a subject together: the same `sub` vouched for by two issuers (this
//! registry's own secret, an identity provider) is two callers.
//!
//! Confidentiality is the admins' call: only they mark a centre's address
//! confidential or public.

use entity::{centre, values::Phones};
use sea_orm::{
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};

use super::geo::Near;
use crate::error::AppError;

/// What a caller is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Registry administrators: everything.
    Admin,
    /// A centre's own staff: their centres and those centres' places.
    CentreManager,
    /// Hotlines, case-management systems and other trusted partner apps.
    Partner,
}

impl Role {
    /// The role's name in tokens and in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::CentreManager => "centre_manager",
            Self::Partner => "partner",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Admin, Self::CentreManager, Self::Partner]
            .into_iter()
            .find(|role| role.as_str() == name)
    }
}

/// What a caller asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create, change or archive organizations and services; create or
    /// archive centres, or move one to another organization.
    EditRegistry,
    /// Change this centre's own record.
    EditCentre(Uuid),
    /// Add or remove services at this centre, and count its places.
    EditPlacesAt(Uuid),
    /// Mark a centre's address confidential or public.
    SetConfidentiality,
    /// Read the audit trail and the history of counts.
    ReadAudit,
    /// See which centres' counts of places are stale, to chase them.
    Oversee,
}

/// The issuer of the tokens this registry mints itself (`kamkor token`,
/// signed with the shared secret). Reserved: an identity provider's token
/// that names it is refused.
pub const OWN_ISSUER: &str = "kamkor";

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who vouched for the caller: [`OWN_ISSUER`] for this registry's own
    /// tokens, else the identity provider's `iss`.
    pub issuer: String,
    /// Who the caller is at that issuer (the token's subject).
    pub subject: String,
    pub role: Role,
    /// The centres a centre manager may edit.
    pub centres: Vec<Uuid>,
}

/// The caller of one request: anonymous, or an authenticated [`Caller`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    caller: Option<Caller>,
    /// Whether the server accepts tokens at all (keys are configured), so
    /// that an anonymous writer can be told what to do.
    tokens_accepted: bool,
}

impl Viewer {
    /// An anonymous caller of a server that accepts tokens.
    pub fn anonymous() -> Self {
        Self {
            caller: None,
            tokens_accepted: true,
        }
    }

    /// An anonymous caller of a server with no keys configured.
    pub fn anonymous_without_keys() -> Self {
        Self::default()
    }

    pub fn authenticated(caller: Caller) -> Self {
        Self {
            caller: Some(caller),
            tokens_accepted: true,
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// Admins see archived records (for the audit trail); nobody else does.
    pub fn sees_archived(&self) -> bool {
        self.caller.as_ref().is_some_and(|c| c.role == Role::Admin)
    }

    /// The caller, if they may write anything at all (admins and centre
    /// managers): checked before a write reads what it needs to know which
    /// centre it touches, so that nobody else learns whether a record exists.
    pub fn writer(&self) -> Result<&Caller, AppError> {
        match &self.caller {
            Some(caller) if caller.role != Role::Partner => Ok(caller),
            _ => self.authorize(Action::EditRegistry),
        }
    }

    /// The caller, if they may do `action`; else why not.
    pub fn authorize(&self, action: Action) -> Result<&Caller, AppError> {
        let Some(caller) = &self.caller else {
            return Err(AppError::Unauthenticated(if self.tokens_accepted {
                "this needs a bearer token: send `Authorization: Bearer <JWT>` (see `kamkor token`)".to_owned()
            } else {
                "this server accepts no tokens yet: set KAMKOR_JWT_SECRET (HS256) or KAMKOR_JWT_PUBLIC_KEY (an RS256 or \
                 EdDSA public key in PEM), then mint a token with `kamkor token`"
                    .to_owned()
            }));
        };
        let allowed = match (caller.role, action) {
            (Role::Admin, _) => true,
            (Role::CentreManager, Action::EditCentre(id) | Action::EditPlacesAt(id)) => caller.centres.contains(&id),
            _ => false,
        };
        if allowed {
            return Ok(caller);
        }
        Err(AppError::forbidden(match (caller.role, action) {
            (Role::Partner, _) => "partners read the registry but do not edit it",
            (Role::CentreManager, Action::EditCentre(_) | Action::EditPlacesAt(_)) => {
                "centre managers edit only the centres named in their token"
            }
            (_, Action::ReadAudit) => "only registry admins read the audit trail",
            (_, Action::Oversee) => "only registry admins see which centres' counts are stale",
            (_, Action::SetConfidentiality) => {
                "only registry admins mark an address confidential or public: ask one to change it"
            }
            _ => "only registry admins do this",
        }))
    }

    /// The caller, if they may hold places (anyone authenticated).
    pub fn holder(&self) -> Result<&Caller, AppError> {
        match &self.caller {
            Some(caller) => Ok(caller),
            None => self.authorize(Action::EditRegistry),
        }
    }

    /// Which holds this caller sees and handles (none for anonymous
    /// callers).
    pub fn hold_scope(&self) -> Result<HoldScope, AppError> {
        let caller = self.holder()?;
        let centres = match caller.role {
            Role::Admin => return Ok(HoldScope::All),
            Role::CentreManager => caller.centres.clone(),
            Role::Partner => Vec::new(),
        };
        Ok(HoldScope::HeldByOrAt {
            issuer: caller.issuer.clone(),
            subject: caller.subject.clone(),
            centres,
        })
    }

    /// Which confidential locations this caller may see.
    pub fn location_access(&self) -> LocationAccess {
        match &self.caller {
            None => LocationAccess::Public,
            Some(caller) => match caller.role {
                Role::Admin | Role::Partner => LocationAccess::Exact,
                Role::CentreManager => LocationAccess::ExactFor(caller.centres.clone()),
            },
        }
    }
}

/// A record as one viewer may see it. Only the registry makes one, by
/// applying the confidentiality rule of this module to what it read (see
/// `centre::seen`); every outlet (GraphQL, subscriptions, exports, pages)
/// reads records through it, and so cannot reach what the rule hides from
/// that viewer: there is no other way to a centre's stored location.
#[derive(Clone, Debug, PartialEq)]
pub struct Visible<T>(T);

impl<T> Visible<T> {
    /// What the viewer sees, once the rule has been applied to it.
    pub(super) fn new(seen: T) -> Self {
        Self(seen)
    }
}

impl<T> std::ops::Deref for Visible<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The holds a caller sees and handles.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HoldScope {
    All,
    /// Those held by this issuer's subject, and those on these centres.
    HeldByOrAt {
        issuer: String,
        subject: String,
        centres: Vec<Uuid>,
    },
}

impl HoldScope {
    /// Does the caller see (and may they handle) a hold by `holder` (issuer
    /// and subject) on places at `centre`?
    pub fn covers(&self, (holder_issuer, held_by): (&str, &str), centre: Uuid) -> bool {
        match self {
            Self::All => true,
            Self::HeldByOrAt {
                issuer,
                subject,
                centres,
            } => (issuer == holder_issuer && subject == held_by) || centres.contains(&centre),
        }
    }
}

/// How far a distance shown in metres (three decimals of km) may lie below
/// the true one.
const METRES_ROUNDING_KM: f64 = 0.0005;

/// Which exact locations of confidential centres a caller may see.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LocationAccess {
    /// None: the public, coarsened location only.
    Public,
    /// Every one.
    Exact,
    /// Those of these centres only.
    ExactFor(Vec<Uuid>),
}

impl LocationAccess {
    /// May the caller see where this centre is?
    pub fn shows(&self, centre: &centre::Model) -> bool {
        self.shows_centre(centre.id, centre.address_confidential)
    }

    /// May the caller see where the centre `id` is, confidential or not?
    pub fn shows_centre(&self, id: Uuid, address_confidential: bool) -> bool {
        match self {
            _ if !address_confidential => true,
            Self::Public => false,
            Self::Exact => true,
            Self::ExactFor(ids) => ids.contains(&id),
        }
    }

    /// The centre as the caller may see it: for a confidential centre they
    /// may not see, without address, coordinates, phones or e-mail. Only
    /// the registry applies it (see [`Visible`]).
    pub(super) fn redact(&self, mut centre: centre::Model) -> centre::Model {
        if !self.shows(&centre) {
            centre.address = None;
            centre.latitude = None;
            centre.longitude = None;
            centre.public_latitude = None;
            centre.public_longitude = None;
            centre.phones = Phones::default();
            centre.email = None;
        }
        centre
    }

    /// SQL: true for the rows whose location the caller may not see; `None`
    /// when the caller sees every location.
    fn hidden_sql(&self) -> Option<SimpleExpr> {
        let confidential = Expr::col((centre::Entity, centre::Column::AddressConfidential)).eq(true);
        match self {
            Self::Public => Some(confidential),
            Self::Exact => None,
            Self::ExactFor(ids) => {
                Some(confidential.and(Expr::col((centre::Entity, centre::Column::Id)).is_not_in(ids.iter().copied())))
            }
        }
    }

    /// The coordinates the caller may filter and sort on: exact where they
    /// may see them, else the public (coarsened) ones. Plain columns where
    /// possible, so that their indexes serve.
    pub fn coordinates_sql(&self) -> (SimpleExpr, SimpleExpr) {
        let exact = (
            Expr::col((centre::Entity, centre::Column::Latitude)),
            Expr::col((centre::Entity, centre::Column::Longitude)),
        );
        let public = (
            Expr::col((centre::Entity, centre::Column::PublicLatitude)),
            Expr::col((centre::Entity, centre::Column::PublicLongitude)),
        );
        match (self, self.hidden_sql()) {
            (Self::Public, _) => public,
            (_, None) => exact,
            (_, Some(hidden)) => (
                Expr::case(hidden.clone(), public.0).finally(exact.0).into(),
                Expr::case(hidden, public.1).finally(exact.1).into(),
            ),
        }
    }

    /// SQL: the rows within the search circle `circle` (its radius set) for
    /// rankings near a point. Rows whose location the caller may not see
    /// are shown in whole kilometres, so a hidden row 0.4 km away is shown
    /// at 0 km and ranks before a visible one at 0.2 km: hidden rows are
    /// searched in a wider circle of their own ([`hidden_circle_km`]) that
    /// holds every one shown nearer than the visible circle's bound (no
    /// wider than the search circle when that ends in the second half of a
    /// kilometre). Both
    /// circles lie in the wider one's bounding box, which the coordinate
    /// indexes serve; the rest of the wider circle costs only the hidden
    /// rows, few among many, instead of every row in it.
    pub fn circle_sql(&self, circle: &Near) -> Option<SimpleExpr> {
        let radius_km = circle.radius_km?;
        let (latitude, longitude) = self.coordinates_sql();
        let hidden_km = hidden_circle_km(radius_km);
        let Some(hidden) = self.hidden_sql().filter(|_| hidden_km > radius_km) else {
            return circle.within_radius_sql(latitude, longitude);
        };
        let squared = circle.squared_distance_sql(latitude.clone(), longitude.clone());
        let visible_row = squared.clone().lte(Expr::val(radius_km * radius_km));
        let hidden_row = hidden.and(squared.lte(Expr::val(hidden_km * hidden_km)));
        Some(
            circle
                .bounding_box_sql(latitude, longitude, hidden_km)
                .and(visible_row.or(hidden_row)),
        )
    }

    /// SQL: the distance in km from `near` that the caller is shown: whole
    /// kilometres for locations they may not see, else metres (three
    /// decimals). Rankings sort on this very value.
    pub fn shown_distance_sql(&self, near: &Near) -> SimpleExpr {
        let (latitude, longitude) = self.coordinates_sql();
        let distance = near.distance_sql(latitude, longitude);
        let metres: SimpleExpr = round(distance.clone().mul(1000)).div(1000.0);
        match self.hidden_sql() {
            None => metres,
            Some(hidden) => Expr::case(hidden, round(distance)).finally(metres).into(),
        }
    }
}

/// A bound below every distance any caller is shown for a row outside the
/// search circle of `radius_km` ([`LocationAccess::circle_sql`]): a visible
/// row outside is shown at least `radius_km` less the rounding of metres, a
/// hidden row outside its wider circle no nearer (see [`hidden_circle_km`]).
/// Rankings near a point search growing circles and stop at the first whose
/// rows fill a page strictly below this bound.
pub fn shown_beyond_km(radius_km: f64) -> f64 {
    radius_km - METRES_ROUNDING_KM
}

/// The narrowest search circle that settles a page ending at a row shown
/// `km` away (see [`shown_beyond_km`]): just past the row.
pub fn settling_circle_km(km: f64) -> f64 {
    km + 2.0 * METRES_ROUNDING_KM
}

/// The circle that hidden rows are searched in beside a search circle of
/// `radius_km`: wide enough that every hidden row outside it is shown (in
/// whole kilometres, whichever way halves round) at least as far as a
/// visible row outside the search circle. With `k` the whole kilometres
/// below that bound, a hidden row beyond `k + 0.5` km is shown at `k + 1`
/// or more.
pub fn hidden_circle_km(radius_km: f64) -> f64 {
    let whole_km_below = (radius_km - METRES_ROUNDING_KM).floor();
    radius_km.max(whole_km_below + 0.5 + 2.0 * METRES_ROUNDING_KM)
}

/// SQL `ROUND(x)`, half away from zero on SQLite, to even on PostgreSQL's
/// doubles; either way the value shown is the value sorted on.
fn round(value: SimpleExpr) -> SimpleExpr {
    sea_orm::sea_query::Func::round(value).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole kilometres as either engine rounds a half: away from zero
    /// (SQLite) or to even (PostgreSQL's `double precision`).
    fn whole_km(km: f64) -> [f64; 2] {
        [km.round(), km.round_ties_even()]
    }

    #[test]
    fn no_hidden_row_outside_its_circle_is_shown_nearer_than_the_bound() {
        for step in 0..4000 {
            let radius_km = 0.05 + f64::from(step) * 0.001;
            let bound = shown_beyond_km(radius_km);
            let hidden_km = hidden_circle_km(radius_km);
            assert!(hidden_km >= radius_km);
            for beyond in [1e-9, 1e-6, 0.01, 0.3] {
                for shown in whole_km(hidden_km + beyond) {
                    assert!(
                        shown >= bound,
                        "r {radius_km}: hidden at {} shown {shown} < {bound}",
                        hidden_km + beyond
                    );
                }
            }
            // …and the circle is no wider than that needs.
            if hidden_km > radius_km {
                assert!(
                    whole_km(hidden_km - 0.002).iter().any(|&shown| shown < bound),
                    "r {radius_km}"
                );
            }
        }
    }

    fn centre(confidential: bool) -> centre::Model {
        crate::seed::demo::sample_centre(confidential)
    }

    fn manager_of(id: Uuid) -> Viewer {
        Viewer::authenticated(Caller {
            issuer: OWN_ISSUER.into(),
            subject: "manager".into(),
            role: Role::CentreManager,
            centres: vec![id],
        })
    }

    #[test]
    fn only_partners_admins_and_the_centres_managers_see_a_confidential_location() {
        let shelter = centre(true);
        let partner = Viewer::authenticated(Caller {
            issuer: OWN_ISSUER.into(),
            subject: "hotline".into(),
            role: Role::Partner,
            centres: vec![],
        });
        assert!(!Viewer::anonymous().location_access().shows(&shelter));
        assert!(partner.location_access().shows(&shelter));
        assert!(manager_of(shelter.id).location_access().shows(&shelter));
        assert!(!manager_of(Uuid::new_v4()).location_access().shows(&shelter));
        assert!(Viewer::anonymous().location_access().shows(&centre(false)));
    }

    #[test]
    fn writes_follow_the_roles() {
        let centre = Uuid::new_v4();
        let manager = manager_of(centre);
        let partner = Viewer::authenticated(Caller {
            issuer: OWN_ISSUER.into(),
            subject: "hotline".into(),
            role: Role::Partner,
            centres: vec![centre],
        });
        let admin = Viewer::authenticated(Caller {
            issuer: OWN_ISSUER.into(),
            subject: "root".into(),
            role: Role::Admin,
            centres: vec![],
        });
        let code = |viewer: &Viewer, action| viewer.authorize(action).err().map(|e| e.code());
        for action in [
            Action::EditRegistry,
            Action::EditCentre(centre),
            Action::EditPlacesAt(centre),
            Action::ReadAudit,
        ] {
            assert_eq!(code(&admin, action), None);
            assert_eq!(code(&partner, action), Some("FORBIDDEN"));
            assert_eq!(code(&Viewer::anonymous(), action), Some("UNAUTHENTICATED"));
        }
        assert_eq!(code(&manager, Action::EditCentre(centre)), None);
        assert_eq!(code(&manager, Action::EditPlacesAt(centre)), None);
        assert_eq!(code(&manager, Action::EditCentre(Uuid::new_v4())), Some("FORBIDDEN"));
        assert_eq!(code(&manager, Action::EditRegistry), Some("FORBIDDEN"));
        assert_eq!(code(&manager, Action::ReadAudit), Some("FORBIDDEN"));
        let no_keys = Viewer::anonymous_without_keys();
        let refused = no_keys.authorize(Action::EditRegistry);
        assert!(
            refused
                .err()
                .is_some_and(|e| e.to_string().contains("KAMKOR_JWT_SECRET"))
        );
    }

    #[test]
    fn redaction_removes_every_locating_field() {
        let hidden = Viewer::anonymous().location_access().redact(centre(true));
        assert!(hidden.address.is_none() && hidden.latitude.is_none() && hidden.public_latitude.is_none());
        assert!(hidden.phones.0.is_empty() && hidden.email.is_none());
        let open = Viewer::anonymous().location_access().redact(centre(false));
        assert!(open.address.is_some() && open.latitude.is_some() && !open.phones.0.is_empty());
    }
}
