//! Bounds on a GraphQL document, checked before any recursive code walks it,
//! and the checks on a parsed document that async-graphql does not make.
//!
//! The parser and the validator of async-graphql recurse once per level of
//! nesting. Selection sets are bounded by the parser itself, but list and
//! object *values* are not: a 3 KB argument such as `[[[[…]]]]` nested a
//! couple of thousand levels deep overflows a worker thread's stack and
//! aborts the whole process. So every document is first read by a flat
//! (non-recursive) scanner that counts its tokens and the nesting of its
//! brackets `{`, `[` and `(`, and variables are measured iteratively, before
//! the parser sees either. Fragment spreads are bounded after parsing by
//! async-graphql's own recursive-depth check, which stops at its limit.
//!
//! Once parsed (and so bounded), a document is also refused when it asks
//! for one field more than a handful of times in one selection (aliases
//! would otherwise multiply the work of a single root field), when it
//! repeats a directive in one place (the specification forbids it; each
//! repetition is work), or when it introspects the schema where that is
//! turned off.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use async_graphql::{
    Positioned, Request, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest},
    parser::types::{Directive, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet},
};

use super::context::RequestContext;
use crate::config::QueryLimits;

/// How large and how deeply nested a document may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Longest accepted document, in bytes.
    pub max_bytes: usize,
    /// Most lexical tokens (names, punctuation, values) in a document.
    pub max_tokens: usize,
    /// Deepest nesting of brackets in a document, and of lists and objects
    /// in its variables.
    pub max_nesting: usize,
}

impl From<&QueryLimits> for DocumentLimits {
    fn from(limits: &QueryLimits) -> Self {
        Self {
            max_bytes: limits.max_bytes,
            max_tokens: limits.max_tokens,
            max_nesting: limits.max_nesting,
        }
    }
}

/// Why a document was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitError {
    TooLarge { bytes: usize, max: usize },
    TooManyTokens { max: usize },
    NestedTooDeep { max: usize },
    VariablesNestedTooDeep { max: usize },
    TooManyAliases { field: String, times: usize, max: usize },
    RepeatedDirective { directive: String },
    IntrospectionOff,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { bytes, max } => {
                write!(f, "the query is {bytes} bytes long; at most {max} bytes are accepted")
            }
            Self::TooManyTokens { max } => write!(f, "the query has more than {max} tokens"),
            Self::NestedTooDeep { max } => {
                write!(f, "the query nests brackets ({{, [ or () more than {max} levels deep")
            }
            Self::VariablesNestedTooDeep { max } => {
                write!(f, "the variables nest lists or objects more than {max} levels deep")
            }
            Self::TooManyAliases { field, times, max } => write!(
                f,
                "`{field}` is asked for {times} times in one selection; at most {max} aliases of a field are accepted"
            ),
            Self::RepeatedDirective { directive } => {
                write!(f, "the directive `@{directive}` is repeated in one place")
            }
            Self::IntrospectionOff => write!(
                f,
                "introspection is turned off for anonymous callers on this server; the schema is published as schema.graphql"
            ),
        }
    }
}

impl LimitError {
    /// The `extensions.code` of the error: the document itself is refused,
    /// like one that does not validate; bad variables are bad input.
    pub fn code(&self) -> &'static str {
        match self {
            Self::VariablesNestedTooDeep { .. } => "BAD_USER_INPUT",
            Self::IntrospectionOff => "FORBIDDEN",
            _ => "GRAPHQL_VALIDATION_FAILED",
        }
    }
}

impl From<LimitError> for ServerError {
    fn from(err: LimitError) -> Self {
        let mut error = ServerError::new(err.to_string(), None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", err.code());
        error.extensions = Some(extensions);
        error
    }
}

impl DocumentLimits {
    /// Checks a document's size, token count and bracket nesting in one flat
    /// pass over its bytes. Strings, block strings and comments are skipped,
    /// so brackets inside them do not count. Anything malformed is left for
    /// the parser to report: this pass only has to bound what it will see.
    pub fn check_document(&self, query: &str) -> Result<(), LimitError> {
        if query.len() > self.max_bytes {
            return Err(LimitError::TooLarge {
                bytes: query.len(),
                max: self.max_bytes,
            });
        }
        let bytes = query.as_bytes();
        let (mut i, mut tokens, mut depth) = (0, 0usize, 0usize);
        while i < bytes.len() {
            let b = bytes[i];
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',') {
                i += 1;
                continue;
            }
            if b == b'#' {
                i = skip_comment(bytes, i);
                continue;
            }
            tokens += 1;
            if tokens > self.max_tokens {
                return Err(LimitError::TooManyTokens { max: self.max_tokens });
            }
            i = match b {
                b'"' => skip_string(bytes, i),
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > self.max_nesting {
                        return Err(LimitError::NestedTooDeep { max: self.max_nesting });
                    }
                    i + 1
                }
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    i + 1
                }
                b'.' if bytes[i..].starts_with(b"...") => i + 3,
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => skip_while(bytes, i, |c| c == b'_' || c.is_ascii_alphanumeric()),
                b'-' | b'0'..=b'9' => skip_while(bytes, i + 1, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-')
                }),
                _ => i + 1,
            };
        }
        Ok(())
    }

    /// Checks how deeply the variables nest lists and objects, without
    /// recursion (they arrive already parsed from JSON).
    pub fn check_variables<'a>(&self, variables: impl IntoIterator<Item = &'a Value>) -> Result<(), LimitError> {
        let mut pending: Vec<(&Value, usize)> = variables.into_iter().map(|v| (v, 1)).collect();
        while let Some((value, depth)) = pending.pop() {
            let children: Box<dyn Iterator<Item = &Value>> = match value {
                Value::List(items) => Box::new(items.iter()),
                Value::Object(fields) => Box::new(fields.values()),
                _ => continue,
            };
            if depth > self.max_nesting {
                return Err(LimitError::VariablesNestedTooDeep { max: self.max_nesting });
            }
            pending.extend(children.map(|child| (child, depth + 1)));
        }
        Ok(())
    }
}

fn skip_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

/// The index after a `#` comment (which runs to the end of its line).
fn skip_comment(bytes: &[u8], i: usize) -> usize {
    skip_while(bytes, i, |c| c != b'\n' && c != b'\r')
}

/// The index after a string or block string starting at `i` (or the end of
/// the input when it is not closed).
fn skip_string(bytes: &[u8], i: usize) -> usize {
    if bytes[i..].starts_with(b"\"\"\"") {
        let mut j = i + 3;
        while j < bytes.len() {
            if bytes[j..].starts_with(b"\\\"\"\"") {
                j += 4;
            } else if bytes[j..].starts_with(b"\"\"\"") {
                return j + 3;
            } else {
                j += 1;
            }
        }
        return j;
    }
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            b'\n' | b'\r' => return j,
            _ => j += 1,
        }
    }
    j.min(bytes.len())
}

/// A parsed document's selection sets, those of its fragments included.
fn selection_sets(doc: &ExecutableDocument) -> Vec<&SelectionSet> {
    let mut pending: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
        .collect();
    let mut all = Vec::new();
    while let Some(set) = pending.pop() {
        all.push(set);
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => pending.push(&field.node.selection_set.node),
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    all
}

/// How many times each field name is asked for in `set`, counting the
/// fields that inline fragments and fragment spreads bring into it (once per
/// fragment: spreading a fragment twice asks for nothing more).
fn field_counts<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet) -> HashMap<&'a str, usize> {
    let mut counts = HashMap::new();
    let mut spread: HashSet<&str> = HashSet::new();
    let mut pending = vec![set];
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => *counts.entry(field.node.name.node.as_str()).or_default() += 1,
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread_node) => {
                    let name = spread_node.node.fragment_name.node.as_str();
                    if let Some(fragment) = doc.fragments.get(name).filter(|_| spread.insert(name)) {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }
    counts
}

fn check_unique(directives: &[Positioned<Directive>]) -> Result<(), LimitError> {
    let mut seen = HashSet::new();
    match directives.iter().find(|d| !seen.insert(d.node.name.node.as_str())) {
        Some(repeated) => Err(LimitError::RepeatedDirective {
            directive: repeated.node.name.node.to_string(),
        }),
        None => Ok(()),
    }
}

/// The directives of every place in a document that can carry them.
fn directive_lists(doc: &ExecutableDocument) -> Vec<&[Positioned<Directive>]> {
    let mut lists: Vec<&[Positioned<Directive>]> =
        doc.operations.iter().map(|(_, op)| &op.node.directives[..]).collect();
    lists.extend(doc.fragments.values().map(|f| &f.node.directives[..]));
    for set in selection_sets(doc) {
        lists.extend(set.items.iter().map(|item| match &item.node {
            Selection::Field(field) => &field.node.directives[..],
            Selection::InlineFragment(inline) => &inline.node.directives[..],
            Selection::FragmentSpread(spread) => &spread.node.directives[..],
        }));
    }
    lists
}

/// True when any operation asks for `__schema` or `__type` at its root.
pub fn introspects(doc: &ExecutableDocument) -> bool {
    doc.operations.iter().any(|(_, op)| {
        field_counts(doc, &op.node.selection_set.node)
            .keys()
            .any(|name| *name == "__schema" || *name == "__type")
    })
}

/// The checks of a parsed document (see the module's documentation).
pub fn check_parsed(doc: &ExecutableDocument, max_aliases: usize, may_introspect: bool) -> Result<(), LimitError> {
    check_shape(doc, max_aliases)?;
    if !may_introspect && introspects(doc) {
        return Err(LimitError::IntrospectionOff);
    }
    Ok(())
}

/// The checks of a parsed document that do not depend on the caller:
/// aliases and repeated directives.
pub fn check_shape(doc: &ExecutableDocument, max_aliases: usize) -> Result<(), LimitError> {
    for set in selection_sets(doc) {
        if let Some((field, times)) = field_counts(doc, set).into_iter().find(|(_, n)| *n > max_aliases) {
            return Err(LimitError::TooManyAliases {
                field: field.to_owned(),
                times,
                max: max_aliases,
            });
        }
    }
    directive_lists(doc).into_iter().try_for_each(check_unique)
}

/// The limits of a request's text, checked before its document is parsed:
/// the size and nesting of the document and the nesting of the variables.
pub fn check_text(request: &Request, limits: &QueryLimits) -> Result<(), LimitError> {
    let document = DocumentLimits::from(limits);
    document.check_document(&request.query)?;
    document.check_variables(request.variables.values())
}

/// The same limits as an extension, for WebSocket subscriptions (the
/// protocol runs them with no hook before): the size and nesting before
/// async-graphql parses, the rest right after. Over WebSocket only
/// subscriptions run: queries and mutations go over HTTP, where the request
/// time limit, the status codes and the panic guard of
/// `crate::http::graphql` apply.
pub struct LimitsExtension(pub QueryLimits);

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsOfOne {
            limits: self.0,
            operation_name: Mutex::new(None),
        })
    }
}

/// The limits applied to one request.
struct LimitsOfOne {
    limits: QueryLimits,
    /// The operation the request names, to tell which one a document with
    /// several will run.
    operation_name: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Extension for LimitsOfOne {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let document = DocumentLimits::from(&self.limits);
        document.check_document(&request.query)?;
        document.check_variables(request.variables.values())?;
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let request = ctx.data_opt::<RequestContext>();
        let may_introspect = request.is_none_or(|r| r.may_introspect);
        check_parsed(&doc, self.limits.max_aliases, may_introspect)?;
        if request.is_some_and(|r| r.over_websocket) {
            let name = self.operation_name.lock().ok().and_then(|name| name.clone());
            only_subscriptions(&doc, name.as_deref())?;
        }
        Ok(doc)
    }
}

/// Over WebSocket only subscriptions run.
fn only_subscriptions(doc: &ExecutableDocument, operation_name: Option<&str>) -> ServerResult<()> {
    let ty = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        // async-graphql refuses to pick one.
        (DocumentOperations::Multiple(_), None) => None,
    };
    if ty.is_none_or(|ty| ty == OperationType::Subscription) {
        return Ok(());
    }
    let mut error = ServerError::new(
        "only subscriptions run over WebSocket; send queries and mutations with POST /graphql",
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "BAD_REQUEST");
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("a valid document")
    }

    #[test]
    fn a_field_may_be_asked_for_a_handful_of_times() {
        let five = "{ a: centres { totalCount } b: centres { totalCount } c: centres { totalCount } d: centres { totalCount } e: centres { totalCount } }";
        assert_eq!(check_parsed(&parse(five), 5, true), Ok(()));
        let through_fragments = "{ ...A ...B ...A } fragment A on QueryRoot { a: node(id: 1) { id } b: node(id: 2) { id } c: node(id: 3) { id } }
            fragment B on QueryRoot { d: node(id: 4) { id } ... on QueryRoot { e: node(id: 5) { id } f: node(id: 6) { id } } }";
        assert!(matches!(
            check_parsed(&parse(through_fragments), 5, true),
            Err(LimitError::TooManyAliases { times: 6, .. })
        ));
        let nested = "{ centres { nodes { a: name b: name c: name d: name e: name f: name } } }";
        assert!(check_parsed(&parse(nested), 5, true).is_err());
    }

    #[test]
    fn directives_are_unique_per_place() {
        assert_eq!(
            check_parsed(&parse("{ a @include(if: true) @skip(if: false) }"), 5, true),
            Ok(())
        );
        assert_eq!(
            check_parsed(&parse("{ a @include(if: true) @include(if: true) }"), 5, true),
            Err(LimitError::RepeatedDirective {
                directive: "include".into()
            })
        );
        assert!(check_parsed(&parse("{ ... @skip(if: false) @skip(if: false) { a } }"), 5, true).is_err());
    }

    #[test]
    fn introspection_can_be_refused() {
        let doc = parse("{ ... on QueryRoot { __schema { types { name } } } }");
        assert_eq!(check_parsed(&doc, 5, true), Ok(()));
        assert_eq!(check_parsed(&doc, 5, false), Err(LimitError::IntrospectionOff));
        assert_eq!(check_parsed(&parse("{ __typename }"), 5, false), Ok(()));
    }

    fn limits() -> DocumentLimits {
        DocumentLimits {
            max_bytes: 1_000,
            max_tokens: 50,
            max_nesting: 4,
        }
    }

    #[test]
    fn nesting_of_every_bracket_is_counted() {
        let l = limits();
        assert_eq!(l.check_document("{ a(x: [[1]]) { b } }"), Ok(()));
        for deep in [
            "{ a { b { c { d { e } } } } }",
            "{ a(x: [[[[1]]]]) }",
            "{ a(x: {a: {a: {a: 1}}}) }",
        ] {
            assert_eq!(
                l.check_document(deep),
                Err(LimitError::NestedTooDeep { max: 4 }),
                "{deep}"
            );
        }
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let l = limits();
        assert_eq!(l.check_document("{ a(x: \"[[[[[[\") }"), Ok(()));
        assert_eq!(l.check_document("{ a(x: \"\"\"{{{{{ \\\"\"\" [[[[[\"\"\") }"), Ok(()));
        assert_eq!(l.check_document("{ a # [[[[[[[[\n }"), Ok(()));
        assert_eq!(l.check_document("{ a(x: \"\\\"[[[[[[\") }"), Ok(()));
    }

    #[test]
    fn size_and_tokens_are_bounded() {
        let l = limits();
        assert!(matches!(
            l.check_document(&"a ".repeat(600)),
            Err(LimitError::TooLarge { .. })
        ));
        assert_eq!(
            l.check_document(&"a ".repeat(51)),
            Err(LimitError::TooManyTokens { max: 50 })
        );
        assert_eq!(l.check_document("{ a(x: -1.5e+3, y: \"s\") ...F }"), Ok(()));
    }

    #[test]
    fn variables_are_measured_without_recursion() {
        let l = limits();
        let mut value = Value::from(1);
        for _ in 0..1_000 {
            value = Value::List(vec![value]);
        }
        assert_eq!(
            l.check_variables([&value]),
            Err(LimitError::VariablesNestedTooDeep { max: 4 })
        );
        let shallow = Value::List(vec![Value::List(vec![Value::from(1)])]);
        assert_eq!(l.check_variables([&shallow]), Ok(()));
    }
}
