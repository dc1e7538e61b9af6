//! What every GraphQL operation over HTTP leaves behind: a log line (inside
//! the request's span, so with its request id) and the metrics of
//! `crate::metrics`, labelled by root field and outcome. Every label value
//! comes from the server, never from the request: a root field only if the
//! schema has it (anything else is [`INVALID`]), an outcome only as one of
//! the codes the server sets. A client that sends a thousand made-up field
//! names makes no new series.

use std::{collections::HashSet, time::Duration};

use async_graphql::{
    OutputType, Response, SubscriptionType, Value,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
    registry::{MetaTypeName, Registry},
};

use crate::metrics::Metrics;

/// The label of an operation that does not parse or names no field of the
/// schema.
pub const INVALID: &str = "invalid";

/// The root fields of the schema: the only operation labels there are.
pub struct RootFields(HashSet<String>);

impl RootFields {
    /// The root fields of the registry's schema, introspection's included.
    pub fn of_schema() -> Self {
        let mut registry = Registry::default();
        let roots = [
            super::query::QueryRoot::create_type_info(&mut registry),
            super::mutation::MutationRoot::create_type_info(&mut registry),
            super::subscription::SubscriptionRoot::create_type_info(&mut registry),
        ];
        let mut names: HashSet<String> = roots
            .iter()
            .filter_map(|root| registry.types.get(MetaTypeName::concrete_typename(root)))
            .filter_map(|root| root.fields())
            .flat_map(|fields| fields.keys().cloned())
            .collect();
        names.extend(["__schema", "__type", "__typename"].map(str::to_owned));
        Self(names)
    }

    /// The label of an operation whose first root field is `field`.
    pub fn label<'a>(&'a self, field: Option<&str>) -> &'a str {
        field
            .and_then(|field| self.0.get(field))
            .map_or(INVALID, String::as_str)
    }
}

/// The first root field the operation to run asks for, following
/// fragments: the field its metrics are labelled with.
pub fn root_field<'a>(doc: &'a ExecutableDocument, operation_name: Option<&str>) -> Option<&'a str> {
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) => ops.values().next()?,
    };
    first_field(doc, &operation.node.selection_set.node, 0)
}

fn first_field<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet, depth: usize) -> Option<&'a str> {
    // Fragments are bounded by the recursive-depth limit when executed;
    // here a cycle simply ends the search.
    if depth > 8 {
        return None;
    }
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => Some(field.node.name.node.as_str()),
        Selection::InlineFragment(inline) => first_field(doc, &inline.node.selection_set.node, depth + 1),
        Selection::FragmentSpread(spread) => doc
            .fragments
            .get(&spread.node.fragment_name.node)
            .and_then(|fragment| first_field(doc, &fragment.node.selection_set.node, depth + 1)),
    })
}

/// The first error's code, or `ok`.
fn outcome(response: &Response) -> &str {
    match response.errors.first() {
        None => "ok",
        Some(error) => match error.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(Value::String(code)) => code,
            _ => "GRAPHQL_VALIDATION_FAILED",
        },
    }
}

/// Records one finished operation.
pub fn record(metrics: &Metrics, operation: &str, response: &Response, took: Duration) {
    let outcome = outcome(response);
    let seconds = took.as_secs_f64();
    metrics.observe(operation, outcome, seconds);
    tracing::info!(
        operation,
        outcome,
        errors = response.errors.len(),
        duration_ms = seconds * 1e3,
        "graphql operation"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(query: &str, name: Option<&str>) -> Option<String> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        root_field(&doc, name).map(str::to_owned)
    }

    #[test]
    fn only_the_schemas_root_fields_are_labels() {
        let roots = RootFields::of_schema();
        for field in ["centres", "findHelp", "holdPlace", "capacityChanged", "__schema"] {
            assert_eq!(roots.label(Some(field)), field);
        }
        assert_eq!(roots.label(Some("fMadeUp")), INVALID);
        assert_eq!(roots.label(None), INVALID);
    }

    #[test]
    fn the_root_field_is_the_first_asked_for() {
        assert_eq!(
            first("{ centres { totalCount } node(id: 1) { id } }", None).as_deref(),
            Some("centres")
        );
        assert_eq!(
            first(
                "query A { node(id: 1) { id } } query B { findHelp { totalCount } }",
                Some("B")
            )
            .as_deref(),
            Some("findHelp")
        );
        assert_eq!(
            first(
                "{ ...F } fragment F on QueryRoot { ... on QueryRoot { adminAreas { code } } }",
                None
            )
            .as_deref(),
            Some("adminAreas")
        );
        assert_eq!(first("{ ...F } fragment F on QueryRoot { ...F }", None), None);
    }
}
