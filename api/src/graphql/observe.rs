//! What every GraphQL operation leaves behind: a log line (inside the
//! request's span, so with its request id) and the metrics of
//! `crate::metrics`, labelled by root field (a bounded set, unlike client
//! chosen operation names and aliases) and outcome.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use async_graphql::{
    Response, ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextResolve, ResolveInfo},
};

use crate::metrics::Metrics;

pub struct Observe;

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ObserveOne::default())
    }
}

/// The observation of one operation.
#[derive(Default)]
struct ObserveOne {
    /// The first root field resolved.
    root_field: Mutex<Option<String>>,
}

/// The first error's code, or `ok`.
fn outcome(response: &Response) -> String {
    match response.errors.first() {
        None => "ok".to_owned(),
        Some(error) => match error.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(Value::String(code)) => code.clone(),
            _ => "GRAPHQL_VALIDATION_FAILED".to_owned(),
        },
    }
}

#[async_trait::async_trait]
impl Extension for ObserveOne {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let seconds = started.elapsed().as_secs_f64();
        let operation = self
            .root_field
            .lock()
            .ok()
            .and_then(|field| field.clone())
            .unwrap_or_else(|| "none".to_owned());
        let outcome = outcome(&response);
        if let Some(metrics) = ctx.data_opt::<Arc<Metrics>>() {
            metrics.observe(&operation, &outcome, seconds);
        }
        tracing::info!(
            operation,
            outcome,
            errors = response.errors.len(),
            duration_ms = seconds * 1e3,
            "graphql operation"
        );
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none()
            && let Ok(mut field) = self.root_field.lock()
        {
            field.get_or_insert_with(|| info.name.to_owned());
        }
        next.run(ctx, info).await
    }
}
