//! Faults on demand, compiled only into test builds (the `test-hooks`
//! feature): the tests prove that a panicking resolver leaves the server
//! serving and that a stop signal lets a slow request finish. A request
//! asks for one by aliasing a field (resolved fields only, not
//! `__typename`): `kamkorTestPanic` panics, `kamkorTestSlow` takes 1.5 s.

use std::{sync::Arc, time::Duration};

use async_graphql::{
    ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

pub struct TestHooks;

impl ExtensionFactory for TestHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TestHooks)
    }
}

#[async_trait::async_trait]
impl Extension for TestHooks {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        match info.alias {
            Some("kamkorTestPanic") => panic!("a test asked this resolver to panic"),
            Some("kamkorTestSlow") => tokio::time::sleep(Duration::from_millis(1500)).await,
            _ => {}
        }
        next.run(ctx, info).await
    }
}
