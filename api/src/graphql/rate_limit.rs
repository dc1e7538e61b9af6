//! Rate limits: a token bucket per client, charged the cost (complexity) of
//! each request once it has been validated, so that one expensive query
//! counts for what it costs and a thousand cheap ones for theirs.
//!
//! Anonymous clients are told apart by IP address, authenticated ones by
//! their token's subject, with a larger bucket. Buckets live in this
//! process: with several replicas behind a load balancer a client may spend
//! up to the limit at each of them.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use async_graphql::{
    ServerError, ValidationResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
};
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use super::context::RequestContext;
use crate::{config::RateLimitSettings, metrics::Metrics};

/// Who is charged for a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    /// An anonymous caller, by IP address.
    Address(IpAddr),
    /// An authenticated caller, by token subject.
    Subject(String),
}

/// The buckets of every client of this process.
pub struct RateLimiter {
    anonymous: Option<DefaultKeyedRateLimiter<IpAddr>>,
    authenticated: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
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

    /// Takes `cost` from the client's bucket; when it holds too little,
    /// how long until it will.
    pub fn charge(&self, client: &Client, cost: usize) -> Result<(), Duration> {
        let cost = NonZeroU32::new(u32::try_from(cost.max(1)).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let outcome = match client {
            Client::Address(ip) => self.anonymous.as_ref().map(|l| l.check_key_n(ip, cost)),
            Client::Subject(sub) => self.authenticated.as_ref().map(|l| l.check_key_n(sub, cost)),
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

/// Charges every validated request to its client's bucket.
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

#[async_trait::async_trait]
impl Extension for RateLimitExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let limiter = ctx.data_opt::<Arc<RateLimiter>>();
        let client = ctx.data_opt::<RequestContext>().and_then(|r| r.client.as_ref());
        if let (Some(limiter), Some(client)) = (limiter, client)
            && let Err(wait) = limiter.charge(client, result.complexity)
        {
            if let Some(metrics) = ctx.data_opt::<Arc<Metrics>>() {
                metrics.rate_limited.inc();
            }
            return Err(vec![rate_limited(wait)]);
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let off = RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 0,
            authenticated_per_minute: 0,
        });
        assert_eq!(off.charge(&ip, 1_000_000), Ok(()));
    }
}
