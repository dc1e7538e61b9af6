//! Bearer tokens (JWT) at the edge: they turn a request into its caller.
//!
//! Keys come from configuration: an HS256 shared secret (for bootstrap and
//! scripts, minted by `kamkor token`) and/or the RS256 or EdDSA public key of
//! an external identity provider. Each key fixes its algorithm; a token's
//! header only picks among the configured ones, so `alg: none` or a token
//! signed for another algorithm is refused.
//!
//! Tokens bind: `exp` and `sub` are required and `nbf` is honoured (with a
//! leeway for clock skew, 30 s unless configured); a configured issuer or
//! audience is a required claim, so a token without one is refused, not
//! waved through. An identity provider mints tokens for many applications:
//! its key is refused at start-up without an audience to tell Kamkor's
//! tokens apart, unless the deployment says explicitly that any audience
//! will do. A caller is the issuer and the subject together
//! (`registry::access::Caller`): this registry's own tokens are issued by
//! [`OWN_ISSUER`], an identity provider's by their `iss`, which may
//! therefore not be [`OWN_ISSUER`].
//!
//! A request without `Authorization` is anonymous. One with a malformed
//! header or a token that does not verify is refused (401), never served as
//! anonymous: a client that meant to write must not read a silently
//! narrower view.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{HttpRequest, http::header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::{
    config::AuthSettings,
    graphql::ids::{self, NodeKind},
    registry::access::{Caller, OWN_ISSUER, Role, Viewer},
};

/// The claims of a Kamkor token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    /// Global ids of the centres a centre manager may edit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub centres: Vec<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// One audience or several (RFC 7519 allows both; jsonwebtoken checks
    /// them against the configured one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// The `aud` claim.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Where a verified token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeySource {
    /// The shared secret: a token this registry minted.
    Own,
    /// The identity provider's public key.
    Provider,
}

/// The issuer of an identity provider's tokens that carry no `iss`.
pub const UNNAMED_PROVIDER: &str = "identity-provider";

/// Why a request's credentials were refused, in words for the client.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// The configured keys, each with its fixed algorithm.
pub struct TokenVerifier {
    keys: Vec<(Algorithm, DecodingKey, KeySource)>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Duration,
}

/// A verified token: its caller, and until when it holds.
#[derive(Clone, Debug)]
pub struct Verified {
    pub caller: Caller,
    /// Its `exp` plus the leeway: a connection that outlives it must end.
    pub valid_until: SystemTime,
}

/// Shortest accepted HS256 secret: 256 bits.
const MIN_SECRET_BYTES: usize = 32;

impl TokenVerifier {
    /// The verifier of the configured keys; `None` when none is configured.
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Option<Self>> {
        let mut keys = Vec::new();
        if let Some(secret) = &settings.secret {
            anyhow::ensure!(
                secret.len() >= MIN_SECRET_BYTES,
                "KAMKOR_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
            );
            keys.push((
                Algorithm::HS256,
                DecodingKey::from_secret(secret.as_bytes()),
                KeySource::Own,
            ));
        }
        if let Some(path) = &settings.public_key {
            anyhow::ensure!(
                settings.audience.is_some() || settings.any_audience,
                "KAMKOR_JWT_PUBLIC_KEY is set without KAMKOR_JWT_AUDIENCE: every token that identity provider mints, \
                 for any application, would be accepted. Set KAMKOR_JWT_AUDIENCE to the audience of its tokens for \
                 Kamkor, or KAMKOR_JWT_ANY_AUDIENCE=true if it mints tokens for Kamkor alone"
            );
            let pem = std::fs::read(path)
                .map_err(|err| anyhow::anyhow!("cannot read KAMKOR_JWT_PUBLIC_KEY {}: {err}", path.display()))?;
            let key = DecodingKey::from_rsa_pem(&pem)
                .map(|key| (Algorithm::RS256, key, KeySource::Provider))
                .or_else(|_| DecodingKey::from_ed_pem(&pem).map(|key| (Algorithm::EdDSA, key, KeySource::Provider)))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "KAMKOR_JWT_PUBLIC_KEY {} is not an RS256 or EdDSA public key in PEM",
                        path.display()
                    )
                })?;
            keys.push(key);
        }
        Ok((!keys.is_empty()).then(|| Self {
            keys,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway,
        }))
    }

    /// The checks of a token signed with `algorithm`.
    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &self.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// The caller a token stands for, if it verifies.
    pub fn verify(&self, token: &str) -> Result<Verified, Refused> {
        let refused = |why: &str| Refused(format!("the bearer token is not valid: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("it is not a JWT"))?;
        let Some((algorithm, key, source)) = self.keys.iter().find(|(alg, _, _)| *alg == header.alg) else {
            return Err(refused("it is signed with an algorithm this server does not accept"));
        };
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation(*algorithm))
            .map_err(|err| {
                refused(match err.kind() {
                    ErrorKind::ExpiredSignature => "it has expired",
                    ErrorKind::InvalidIssuer => "it is for another issuer",
                    ErrorKind::InvalidAudience => "it is for another audience",
                    ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => "it names no issuer (`iss`)",
                    ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => "it names no audience (`aud`)",
                    ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
                        "its claims are incomplete or malformed (`sub`, `role` and `exp` are required)"
                    }
                    ErrorKind::ImmatureSignature => "it is not valid yet",
                    ErrorKind::InvalidAlgorithm => "it is signed with an algorithm this server does not accept",
                    _ => "its signature or claims do not check out",
                })
            })?
            .claims;
        let valid_until = UNIX_EPOCH + Duration::from_secs(claims.exp) + self.leeway;
        let caller = caller(claims, *source).map_err(|why| refused(&why))?;
        Ok(Verified { caller, valid_until })
    }
}

/// The caller of verified claims, from a key of `source`.
fn caller(claims: Claims, source: KeySource) -> Result<Caller, String> {
    let issuer = match (source, claims.iss.as_deref()) {
        (KeySource::Own, _) => OWN_ISSUER.to_owned(),
        (KeySource::Provider, Some(OWN_ISSUER)) => {
            return Err(format!(
                "its issuer {OWN_ISSUER:?} is this registry's own, not a provider's"
            ));
        }
        (KeySource::Provider, iss) => iss.unwrap_or(UNNAMED_PROVIDER).to_owned(),
    };
    let role = Role::from_name(&claims.role)
        .ok_or_else(|| format!("its role {:?} is none of admin, centre_manager, partner", claims.role))?;
    let centres = claims
        .centres
        .iter()
        .map(|id| ids::decode_as(NodeKind::Centre, &id.as_str().into()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "its `centres` holds something that is not a centre id".to_owned())?;
    if claims.sub.trim().is_empty() {
        return Err("its subject is empty".to_owned());
    }
    Ok(Caller {
        issuer,
        subject: claims.sub,
        role,
        centres,
    })
}

/// The caller of a request, from its `Authorization` header.
pub fn viewer(req: &HttpRequest, verifier: Option<&TokenVerifier>) -> Result<Viewer, Refused> {
    match req.headers().get(header::AUTHORIZATION) {
        None => viewer_of(None, verifier),
        // A value that is not even text is as malformed as a wrong scheme.
        Some(value) => viewer_of(Some(value.to_str().unwrap_or_default()), verifier),
    }
}

/// The caller of an `Authorization` value (an HTTP header, or the field of
/// a WebSocket `connection_init` payload): anonymous without one, refused
/// when it is malformed or its token does not verify.
pub fn viewer_of(authorization: Option<&str>, verifier: Option<&TokenVerifier>) -> Result<Viewer, Refused> {
    session_of(authorization, verifier).map(|(viewer, _)| viewer)
}

/// As [`viewer_of`], with the time the caller's token stops holding
/// (`None` for an anonymous caller): for connections that outlive a request.
pub fn session_of(
    authorization: Option<&str>,
    verifier: Option<&TokenVerifier>,
) -> Result<(Viewer, Option<SystemTime>), Refused> {
    let Some(value) = authorization else {
        let anonymous = match verifier {
            Some(_) => Viewer::anonymous(),
            None => Viewer::anonymous_without_keys(),
        };
        return Ok((anonymous, None));
    };
    let token = value
        .split_once(' ')
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .map(|(_, token)| token)
        .ok_or_else(|| Refused("the Authorization header is malformed; send `Authorization: Bearer <token>`".into()))?;
    let verifier = verifier.ok_or_else(|| {
        Refused(
            "this server accepts no tokens: set KAMKOR_JWT_SECRET or KAMKOR_JWT_PUBLIC_KEY to configure keys".into(),
        )
    })?;
    let verified = verifier.verify(token)?;
    Ok((Viewer::authenticated(verified.caller), Some(verified.valid_until)))
}

/// Mints an HS256 token with `secret`, valid for `ttl` (for `kamkor token`).
pub fn mint(
    settings: &AuthSettings,
    role: Role,
    subject: &str,
    centres: &[String],
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
    let secret = settings
        .secret
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("set KAMKOR_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes) to mint tokens"))?;
    anyhow::ensure!(
        secret.len() >= MIN_SECRET_BYTES,
        "KAMKOR_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
    );
    for id in centres {
        ids::decode_as(NodeKind::Centre, &id.as_str().into()).map_err(|err| anyhow::anyhow!("--centre {id}: {err}"))?;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = Claims {
        sub: subject.to_owned(),
        role: role.as_str().to_owned(),
        centres: centres.to_vec(),
        exp: now + ttl.as_secs(),
        iat: Some(now),
        nbf: None,
        iss: settings.issuer.clone(),
        aud: settings.audience.clone().map(Audience::One),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
