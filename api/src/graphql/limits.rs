//! Bounds on a GraphQL document, checked before any recursive code walks it.
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

use std::sync::Arc;

use async_graphql::{
    Request, ServerError, ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

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

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024,
            max_tokens: 5_000,
            // GraphiQL's introspection query nests 12 brackets deep; a
            // selection 16 fields deep with arguments about 20.
            max_nesting: 32,
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
        }
    }
}

impl LimitError {
    /// The `extensions.code` of the error: the document itself is refused,
    /// like one that does not validate; bad variables are bad input.
    pub fn code(&self) -> &'static str {
        match self {
            Self::VariablesNestedTooDeep { .. } => "BAD_USER_INPUT",
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

/// Applies [`DocumentLimits`] to every request, whatever its transport,
/// before async-graphql parses it.
pub struct DocumentLimitsExtension(pub DocumentLimits);

impl ExtensionFactory for DocumentLimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsExtension(self.0))
    }
}

#[async_trait::async_trait]
impl Extension for DocumentLimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.0.check_document(&request.query)?;
        self.0.check_variables(request.variables.values())?;
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
