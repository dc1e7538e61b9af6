//! Bearer tokens (JWT) at the edge: they turn a request into its caller.
//!
//! Keys come from configuration: an HS256 shared secret (for bootstrap and
//! scripts, minted by `kamkor token`) and/or the RS256 or EdDSA public key of
//! an external identity provider. Each key fixes its algorithm; a token's
//! header only picks among the configured ones, so `alg: none` or a token
//! signed for another algorithm is refused. `exp` is required (30 s of
//! leeway for clock skew); `iss` and `aud` are checked when configured.
//!
//! A request without `Authorization` is anonymous. One with a malformed
//! header or a token that does not verify is refused (401), never served as
//! anonymous: a client that meant to write must not read a silently
//! narrower view.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{HttpRequest, http::header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::{
    config::AuthSettings,
    graphql::ids::{self, NodeKind},
    registry::access::{Caller, Role, Viewer},
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
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Why a request's credentials were refused, in words for the client.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// The configured keys, each with its fixed algorithm.
pub struct TokenVerifier {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
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
            keys.push((Algorithm::HS256, DecodingKey::from_secret(secret.as_bytes())));
        }
        if let Some(path) = &settings.public_key {
            let pem = std::fs::read(path)
                .map_err(|err| anyhow::anyhow!("cannot read KAMKOR_JWT_PUBLIC_KEY {}: {err}", path.display()))?;
            let key = DecodingKey::from_rsa_pem(&pem)
                .map(|key| (Algorithm::RS256, key))
                .or_else(|_| DecodingKey::from_ed_pem(&pem).map(|key| (Algorithm::EdDSA, key)))
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
        }))
    }

    /// The caller a token stands for, if it verifies.
    pub fn verify(&self, token: &str) -> Result<Caller, Refused> {
        let refused = |why: &str| Refused(format!("the bearer token is not valid: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("it is not a JWT"))?;
        let Some((algorithm, key)) = self.keys.iter().find(|(alg, _)| *alg == header.alg) else {
            return Err(refused("it is signed with an algorithm this server does not accept"));
        };
        let mut validation = Validation::new(*algorithm);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|err| {
                refused(match err.kind() {
                    ErrorKind::ExpiredSignature => "it has expired",
                    ErrorKind::InvalidIssuer => "it is for another issuer",
                    ErrorKind::InvalidAudience => "it is for another audience",
                    ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
                        "its claims are incomplete or malformed (`sub`, `role` and `exp` are required)"
                    }
                    ErrorKind::ImmatureSignature => "it is not valid yet",
                    ErrorKind::InvalidAlgorithm => "it is signed with an algorithm this server does not accept",
                    _ => "its signature or claims do not check out",
                })
            })?
            .claims;
        caller(claims).map_err(|why| refused(&why))
    }
}

/// The caller of verified claims.
fn caller(claims: Claims) -> Result<Caller, String> {
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
    let Some(value) = authorization else {
        return Ok(match verifier {
            Some(_) => Viewer::anonymous(),
            None => Viewer::anonymous_without_keys(),
        });
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
    verifier.verify(token).map(Viewer::authenticated)
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
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
