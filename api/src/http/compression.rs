//! Response compression for slow links (many partner apps run on mobile
//! networks): gzip or brotli, whichever the client's `Accept-Encoding`
//! prefers, by actix-web's own `Compress` middleware. Bodies under 1 KiB
//! go as they are: compressing them saves nothing and costs CPU.
//!
//! When a client welcomes gzip and brotli alike (browsers and most HTTP
//! libraries send `gzip, deflate, br`), it gets gzip, though `Compress`
//! would pick brotli. On a page of centres brotli saves only a few more
//! bytes than gzip but costs more server CPU per response (figures in
//! `docs/benchmark.md`, "Figures behind the code"), and actix-web's
//! brotli encoder takes a 4 MiB window per response (see `crate::memory`
//! for how that memory goes back). A client that prefers brotli by its
//! q-values still gets it.
//!
//! `Compress` has no size threshold of its own, but it leaves alone a
//! response that already names its encoding. So `mark_small` (inside it)
//! names small bodies `identity`, and `unmark` (outside it) removes that
//! name again before the response leaves.

use actix_web::{
    Error, HttpMessage as _,
    body::{BodySize, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{
        ACCEPT_ENCODING, AcceptEncoding, CONTENT_ENCODING, ContentEncoding, Encoding, HeaderValue, Preference, Quality,
    },
    middleware::Next,
};

/// Bodies smaller than this are not compressed.
const MIN_BYTES: u64 = 1024;

/// Marks responses with a small known size as not to be compressed.
pub async fn mark_small(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let small = matches!(res.response().body().size(), BodySize::Sized(n) if n < MIN_BYTES);
    if small && !res.headers().contains_key(CONTENT_ENCODING) {
        res.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
    }
    Ok(res)
}

/// Removes the mark of [`mark_small`] once `Compress` has passed.
pub async fn unmark(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    if res.headers().get(CONTENT_ENCODING).is_some_and(|v| v == "identity") {
        res.headers_mut().remove(CONTENT_ENCODING);
    }
    Ok(res)
}

/// Asks `Compress` (inside it) for gzip when the client accepts gzip at
/// least as gladly as brotli.
pub async fn prefer_gzip(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req
        .get_header::<AcceptEncoding>()
        .is_some_and(|accept| gzip_over_brotli(&accept))
    {
        req.headers_mut()
            .insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    }
    next.call(req).await
}

/// Whether gzip is acceptable and brotli is named with no higher quality.
fn gzip_over_brotli(accept: &AcceptEncoding) -> bool {
    let quality = |wanted: ContentEncoding| {
        accept
            .iter()
            .find(|item| item.item == Preference::Specific(Encoding::Known(wanted)))
            .map(|item| item.quality)
    };
    match (quality(ContentEncoding::Gzip), quality(ContentEncoding::Brotli)) {
        (Some(gzip), Some(brotli)) => gzip > Quality::ZERO && gzip >= brotli,
        _ => false,
    }
}
