//! What a request knows about its caller: who they are (for the
//! confidentiality rule) and which language they read.

use async_graphql::Context;

use crate::graphql::types::text::Lang;
use crate::service::LocationAccess;

/// The caller. Until JWT authentication lands every caller is anonymous;
/// partners, centre managers and admins will see confidential locations.
#[derive(Clone, Debug)]
pub struct Viewer {
    sees_confidential: bool,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self {
            sees_confidential: false,
        }
    }

    /// May this caller see where confidential shelters are?
    pub fn sees_confidential(&self) -> bool {
        self.sees_confidential
    }

    pub fn location_access(&self) -> LocationAccess {
        if self.sees_confidential {
            LocationAccess::Exact
        } else {
            LocationAccess::Public
        }
    }
}

/// Per-request data set by the HTTP layer.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub viewer: Viewer,
    /// The language from `Accept-Language`, if it named one we have.
    pub accept_language: Option<Lang>,
}

impl RequestContext {
    pub fn anonymous() -> Self {
        Self {
            viewer: Viewer::anonymous(),
            accept_language: None,
        }
    }
}

/// The request's context; a schema executed without one (the SDL printer)
/// behaves as for an anonymous caller.
pub fn request<'a>(ctx: &'a Context<'_>) -> std::borrow::Cow<'a, RequestContext> {
    match ctx.data_opt::<RequestContext>() {
        Some(request) => std::borrow::Cow::Borrowed(request),
        None => std::borrow::Cow::Owned(RequestContext::anonymous()),
    }
}

/// The language a text field resolves to: its `lang` argument, else the
/// request's `Accept-Language`, else Kyrgyz.
pub fn lang(ctx: &Context<'_>, argument: Option<Lang>) -> Lang {
    argument
        .or_else(|| ctx.data_opt::<RequestContext>().and_then(|r| r.accept_language))
        .unwrap_or(Lang::Ky)
}

/// Parses an `Accept-Language` header and returns the preferred language we
/// have (`ky`, `ru` or `en`), honouring q-values.
pub fn parse_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let lang = match primary {
            "ky" | "kir" => Lang::Ky,
            "ru" | "rus" => Lang::Ru,
            "en" | "eng" => Lang::En,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(parse_accept_language("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(parse_accept_language("de, en;q=0.5, ky;q=0.7"), Some(Lang::Ky));
        assert_eq!(parse_accept_language("de, fr"), None);
        assert_eq!(parse_accept_language("ru;q=0"), None);
    }
}
