//! Parsed documents, kept by their text.
//!
//! Partner apps send the same few queries over and over, with other
//! variables. Parsing one costs a node lookup about a tenth of its time, and
//! pricing it for the rate limiter (a whole validation) more. So each
//! process keeps the documents it saw last: parsed, checked against the
//! limits, and priced by the values a price depends on. Nothing here
//! depends on the registry's data, so nothing here goes stale.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{
    ServerError, Value as ConstValue, Variables,
    parser::types::{BaseType, DocumentOperations, ExecutableDocument, OperationDefinition},
};
use lru::LruCache;

use super::{
    limits::{self, LimitError},
    observe,
};

/// Documents kept per process.
const DOCUMENTS: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");
/// Longer documents are parsed each time (they are rare, and the cache's
/// memory stays small).
const MAX_KEPT_BYTES: usize = 8 * 1024;
/// Prices kept per document.
const PRICES: NonZeroUsize = NonZeroUsize::new(64).expect("not zero");

/// The documents this process saw last.
pub struct Documents {
    kept: Mutex<LruCache<Box<str>, Arc<Prepared>>>,
    max_aliases: usize,
}

/// A parsed document with what is known of it whatever its variables.
pub struct Prepared {
    pub document: ExecutableDocument,
    /// The checks of the parsed document (aliases, repeated directives).
    shape: Result<(), LimitError>,
    introspects: bool,
    /// Its costs by [`PriceKey`].
    prices: Mutex<LruCache<PriceKey, usize>>,
}

/// What a request's price depends on besides its document: the operation,
/// the values of its `Int` variables and the lengths of its list variables.
/// The complexity functions of the schema read only page sizes (`first`,
/// `last`) and list lengths (`ids`), which such variables are the only way
/// to pass apart from the document's own text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PriceKey {
    operation: Option<String>,
    sizes: Vec<Option<i64>>,
}

impl Documents {
    pub fn new(max_aliases: usize) -> Self {
        Self {
            kept: Mutex::new(LruCache::new(DOCUMENTS)),
            max_aliases,
        }
    }

    /// The prepared document of `query`, kept or parsed now; why it does
    /// not parse, when it does not. The query must be within the document
    /// limits already (the parser recurses).
    pub fn prepare(&self, query: &str) -> Result<Arc<Prepared>, ServerError> {
        if let Some(kept) = self.kept.lock().ok().and_then(|mut kept| kept.get(query).cloned()) {
            return Ok(kept);
        }
        let document = async_graphql::parser::parse_query(query)?;
        let prepared = Arc::new(Prepared {
            shape: limits::check_shape(&document, self.max_aliases),
            introspects: limits::introspects(&document),
            document,
            prices: Mutex::new(LruCache::new(PRICES)),
        });
        if query.len() <= MAX_KEPT_BYTES
            && let Ok(mut kept) = self.kept.lock()
        {
            kept.put(query.into(), prepared.clone());
        }
        Ok(prepared)
    }
}

impl Prepared {
    /// The document's limits, for a caller who may or may not introspect.
    pub fn check(&self, may_introspect: bool) -> Result<(), LimitError> {
        self.shape.clone()?;
        if self.introspects && !may_introspect {
            return Err(LimitError::IntrospectionOff);
        }
        Ok(())
    }

    /// The first root field the operation asks for (its metrics' label if
    /// the schema has it).
    pub fn root_field(&self, operation_name: Option<&str>) -> Option<&str> {
        observe::root_field(&self.document, operation_name)
    }

    /// The price key of a request with this document.
    pub fn price_key(&self, operation_name: Option<&str>, variables: &Variables) -> PriceKey {
        let sizes = operation(&self.document, operation_name)
            .map(|op| {
                op.variable_definitions
                    .iter()
                    .filter_map(|definition| {
                        let definition = &definition.node;
                        let value = variables.get(&definition.name.node);
                        match &definition.var_type.node.base {
                            BaseType::List(_) => Some(match value {
                                Some(ConstValue::List(items)) => Some(items.len() as i64),
                                _ => None,
                            }),
                            BaseType::Named(name) if name.as_str() == "Int" => Some(match value {
                                Some(ConstValue::Number(n)) => n.as_i64(),
                                _ => None,
                            }),
                            BaseType::Named(_) => None,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        PriceKey {
            operation: operation_name.map(str::to_owned),
            sizes,
        }
    }

    pub fn price(&self, key: &PriceKey) -> Option<usize> {
        self.prices.lock().ok()?.get(key).copied()
    }

    pub fn remember_price(&self, key: PriceKey, price: usize) {
        if let Ok(mut prices) = self.prices.lock() {
            prices.put(key, price);
        }
    }
}

/// The operation a request with this operation name runs.
fn operation<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_priced_by_its_sizes() {
        let documents = Documents::new(5);
        let query = "query($id: ID!, $n: Int, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }";
        let first = documents.prepare(query).expect("parses");
        let again = documents.prepare(query).expect("parses");
        assert!(Arc::ptr_eq(&first, &again), "kept");
        let key = |json: serde_json::Value| first.price_key(None, &Variables::from_json(json));
        let a = key(serde_json::json!({ "id": "a", "n": 3, "ids": ["x", "y"] }));
        let b = key(serde_json::json!({ "id": "b", "n": 3, "ids": ["z", "w"] }));
        assert_eq!(a, b, "ids and strings do not change a price");
        assert_ne!(a, key(serde_json::json!({ "id": "a", "n": 4, "ids": ["x", "y"] })));
        assert_ne!(a, key(serde_json::json!({ "id": "a", "n": 3, "ids": ["x"] })));
        first.remember_price(a.clone(), 42);
        assert_eq!(first.price(&b), Some(42));
        assert!(documents.prepare("{ nope(").is_err());
        assert_eq!(first.root_field(None), Some("node"));
    }

    #[test]
    fn the_checks_are_kept_with_the_document() {
        let documents = Documents::new(1);
        let aliased = documents
            .prepare("{ a: node(id: 1) { id } b: node(id: 2) { id } }")
            .expect("parses");
        assert!(matches!(aliased.check(true), Err(LimitError::TooManyAliases { .. })));
        let schema = documents.prepare("{ __schema { types { name } } }").expect("parses");
        assert_eq!(schema.check(true), Ok(()));
        assert_eq!(schema.check(false), Err(LimitError::IntrospectionOff));
    }
}
