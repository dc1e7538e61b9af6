//! Rate limits: a token bucket per client, charged the cost (complexity) of
//! each request once it has been validated, so that one expensive query
//! counts for what it costs and a thousand cheap ones for theirs.
//!
//! Anonymous clients are told apart by IP address (an IPv6 client by its
//! /64 network, the smallest a provider hands out: one subscriber has
//! millions of addresses), authenticated ones by their token's issuer and
//! subject, with a larger bucket. A request that does not parse or validate
//! costs a fixed price ([`INVALID_REQUEST_PRICE`]): it was parsed and
//! checked, and a stream of them must not be free.
//!
//! Memory is bounded: buckets that have refilled are forgotten every
//! minute, and past [`MAX_BUCKETS`] clients of one kind at once, new ones
//! share one bucket until old ones are forgotten. Buckets live in this
//! process: with several replicas behind a load balancer a client may spend
//! up to the limit at each of them.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, OnceLock},
    time::Duration,
};

use async_graphql::{
    Request, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::ExecutableDocument,
};
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use super::{
    AppSchema,
    context::{Client, RequestContext},
};
use crate::{config::RateLimitSettings, metrics::Metrics};

/// What a request that does not parse or validate costs: about what a
/// small query costs (every field 1, every database round trip 10).
pub const INVALID_REQUEST_PRICE: usize = 50;

/// Most clients of one kind with buckets of their own at once.
pub const MAX_BUCKETS: usize = 100_000;

/// The buckets of every client of this process.
pub struct RateLimiter {
    anonymous: Option<DefaultKeyedRateLimiter<IpAddr>>,
    authenticated: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

/// The key a client is charged under: its own, or the shared one while
/// [`MAX_BUCKETS`] clients have buckets (until [`RateLimiter::forget_idle`]
/// forgets the idle ones: forgetting walks every bucket, too slow to do on
/// a request, which a flood of new clients would make it do on each).
fn key_within<'a, K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &'a K,
    shared: &'a K,
) -> &'a K {
    if limiter.len() < MAX_BUCKETS { key } else { shared }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
}

impl RateLimiter {
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            anonymous: limiter(settings.anonymous_per_minute),
            authenticated: limiter(settings.authenticated_per_minute),
            clock: DefaultClock::default(),
        }
    }

    /// Whether this client's requests are charged at all (a limit of 0
    /// turns its kind of client's limit off).
    pub fn limits(&self, client: &Client) -> bool {
        match client {
            Client::Address(_) => self.anonymous.is_some(),
            Client::Subject(_) => self.authenticated.is_some(),
        }
    }

    /// Takes `cost` from the client's bucket; when it holds too little,
    /// how long until it will.
    pub fn charge(&self, client: &Client, cost: usize) -> Result<(), Duration> {
        let cost = NonZeroU32::new(u32::try_from(cost.max(1)).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let outcome = match client {
            Client::Address(ip) => self.anonymous.as_ref().map(|l| {
                let shared = IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
                l.check_key_n(key_within(l, ip, &shared), cost)
            }),
            Client::Subject(sub) => self.authenticated.as_ref().map(|l| {
                let shared = String::new();
                l.check_key_n(key_within(l, sub, &shared), cost)
            }),
        };
        match outcome {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(not_until))) => Err(not_until.wait_time_from(self.clock.now())),
            // Costlier than a full bucket: it will never go through.
            Some(Err(_)) => Err(Duration::from_secs(60)),
        }
    }

    /// Forgets the buckets that have refilled completely, so that memory
    /// follows the clients of the last minute, not of all time.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.anonymous {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.authenticated {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Charges every validated request to its client's bucket (the WebSocket
/// schemas; HTTP requests are priced by [`price`] and charged by the
/// handler).
pub struct RateLimitExtension;

impl ExtensionFactory for RateLimitExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RateLimitExtension)
    }
}

/// The error of a refused request: `RATE_LIMITED`, with the seconds to wait.
pub fn rate_limited(wait: Duration) -> ServerError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut error = ServerError::new(
        format!("rate limit reached: this client's queries cost too much; retry in {seconds} s"),
        None,
    );
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "RATE_LIMITED");
    extensions.set("retryAfter", seconds);
    error.extensions = Some(extensions);
    error
}

/// Charges `cost` to `client`: the error to answer with when its bucket
/// holds too little.
pub fn charge(limiter: &RateLimiter, metrics: &Metrics, client: &Client, cost: usize) -> Result<(), ServerError> {
    limiter.charge(client, cost).map_err(|wait| {
        metrics.rate_limited.inc();
        rate_limited(wait)
    })
}

#[async_trait::async_trait]
impl Extension for RateLimitExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        match next.run(ctx).await {
            Ok(result) => {
                charge_in(ctx, result.complexity).map_err(|error| vec![error])?;
                Ok(result)
            }
            Err(errors) => Err(charge_in(ctx, INVALID_REQUEST_PRICE)
                .err()
                .map_or(errors, |error| vec![error])),
        }
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let parsed = next.run(ctx, query, variables).await;
        if parsed.is_err() {
            charge_in(ctx, INVALID_REQUEST_PRICE)?;
        }
        parsed
    }
}

/// Charges `cost` to the client of a request that runs through the
/// extensions (a WebSocket subscription).
fn charge_in(ctx: &ExtensionContext<'_>, cost: usize) -> Result<(), ServerError> {
    let limiter = ctx.data_opt::<Arc<RateLimiter>>();
    let metrics = ctx.data_opt::<Arc<Metrics>>();
    let client = ctx.data_opt::<RequestContext>().and_then(|r| r.client.as_ref());
    match (limiter, metrics, client) {
        (Some(limiter), Some(metrics), Some(client)) => charge(limiter, metrics, client, cost),
        _ => Ok(()),
    }
}

/// Where the pricing schema leaves the cost of the request it validated.
#[derive(Default)]
struct PriceTag(OnceLock<usize>);

/// The extension of the pricing schema (see `graphql::Schemas`): reports a
/// validated request's cost, then stops it.
pub struct Pricing;

impl ExtensionFactory for Pricing {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Pricing)
    }
}

#[async_trait::async_trait]
impl Extension for Pricing {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(tag) = ctx.data_opt::<Arc<PriceTag>>() {
            let _ = tag.0.set(result.complexity);
        }
        Err(vec![ServerError::new("priced; executed elsewhere", None)])
    }
}

/// The cost of a request (its complexity, as async-graphql computes it
/// while validating) with its parsed document; `None` when it does not
/// validate, which the schema that executes it reports.
pub async fn price(pricing: &AppSchema, document: &ExecutableDocument, request: &Request) -> Option<usize> {
    let tag = Arc::new(PriceTag::default());
    let mut priced = Request::new(request.query.clone())
        .variables(request.variables.clone())
        .data(tag.clone());
    priced.operation_name.clone_from(&request.operation_name);
    priced.set_parsed_query(document.clone());
    pricing.execute(priced).await;
    tag.0.get().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_most_buckets_new_clients_share_one() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 10,
            authenticated_per_minute: 10,
        });
        for n in 0..MAX_BUCKETS as u32 {
            let client = Client::address(IpAddr::from(n.to_be_bytes()));
            assert_eq!(limiter.charge(&client, 1), Ok(()));
        }
        let newcomer = |n: u128| {
            Client::address(IpAddr::from(std::net::Ipv6Addr::from_bits(
                (0x2001_0db8_u128 << 96) | (n << 64),
            )))
        };
        assert_eq!(limiter.charge(&newcomer(1), 10), Ok(()), "the shared bucket was full");
        assert!(
            limiter.charge(&newcomer(2), 1).is_err(),
            "and is now empty for every newcomer"
        );
        let buckets = limiter.anonymous.as_ref().map(|l| l.len()).unwrap_or_default();
        assert!(buckets <= MAX_BUCKETS + 1, "{buckets}");
    }

    #[test]
    fn a_bucket_refuses_what_it_cannot_cover_and_says_when_it_will() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 600,
            authenticated_per_minute: 6_000,
        });
        let ip = Client::Address(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(limiter.charge(&ip, 500), Ok(()));
        let wait = limiter.charge(&ip, 200).expect_err("only 100 left");
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(11),
            "{wait:?}"
        );
        // Another client, and an authenticated one, have buckets of their own.
        assert_eq!(
            limiter.charge(&Client::Address(IpAddr::from([10, 0, 0, 2])), 500),
            Ok(())
        );
        assert_eq!(limiter.charge(&Client::Subject("hotline".into()), 5_000), Ok(()));
        assert!(limiter.charge(&ip, 10_000).is_err(), "more than a full bucket");
        // Two addresses of one IPv6 /64 are one client.
        let network = |last: u16| Client::address(IpAddr::from([0x2001, 0xdb8, 1, 2, 0xdead, 0xbeef, 7, last]));
        assert_eq!(network(1), network(2));
        assert_ne!(
            network(1),
            Client::address(IpAddr::from([0x2001, 0xdb8, 1, 3, 0xdead, 0xbeef, 7, 1]))
        );
        assert_eq!(limiter.charge(&network(1), 590), Ok(()));
        assert!(limiter.charge(&network(9), 20).is_err(), "the /64 shares its bucket");
        assert_eq!(
            Client::address("::ffff:192.0.2.7".parse().expect("an address")),
            Client::address(IpAddr::from([192, 0, 2, 7]))
        );
        let off = RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 0,
            authenticated_per_minute: 0,
        });
        assert_eq!(off.charge(&ip, 1_000_000), Ok(()));
    }
}
