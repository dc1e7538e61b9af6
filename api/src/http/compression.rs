//! Response compression for slow links (many partner apps run on mobile
//! networks): gzip or brotli, whichever the client's `Accept-Encoding`
//! prefers, by actix-web's own `Compress` middleware. Bodies under 1 KiB
//! go as they are: compressing them saves nothing and costs CPU.
//!
//! `Compress` has no size threshold of its own, but it leaves alone a
//! response that already names its encoding. So `mark_small` (inside it)
//! names small bodies `identity`, and `unmark` (outside it) removes that
//! name again before the response leaves.

use actix_web::{
    Error,
    body::{BodySize, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{CONTENT_ENCODING, HeaderValue},
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
