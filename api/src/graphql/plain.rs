//! Objects, and lists of objects, that answer plain fields directly.
//!
//! async-graphql resolves every selected field of every object as a future
//! of its own: one heap block per field, sized by the type's largest
//! resolver (over a kilobyte for `Service`), a task in a set of futures, a
//! map per object. A centre page's services and capacities are hundreds of
//! objects whose selected fields are mostly copied from the row at hand, and
//! that machinery cost more than reading the rows.
//!
//! A [`PlainList`] looks at its items' selection once ([`Plain`] at one
//! object's). When every selected field is plain (one that
//! [`PlainFields::plain_field`] answers, with no arguments, directives or
//! fragment; a field with a selection of its own is plain when the item
//! holds its value, as a page's centre holds its brief lists, and that
//! selection is plain in turn), it builds each item's map itself;
//! otherwise, or when an item cannot answer a field, async-graphql
//! resolves it the usual way. Both paths give the same values (the tests
//! compare them field by field). One difference is deliberate: extensions'
//! per-field `resolve` hooks do not run for plain fields. The server's own
//! extensions hook only request preparation, parsing and validation; the
//! fault hooks of test builds do hook fields, which is how the tests tell
//! the two paths apart.

use std::{
    borrow::Cow,
    cell::{OnceCell, RefCell},
};

use async_graphql::{
    ContextSelectionSet, EnumType, ID, Name, OutputType, Positioned, ServerResult, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// An object type some of whose fields need no resolver: their value is at
/// hand.
pub trait PlainFields: OutputType {
    /// The value of the field named `field`, selected without arguments,
    /// with `nested` its own selection (empty for a leaf); `None` when its
    /// resolver must answer it.
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, field: &str, nested: &Nested<'_>) -> Option<Value>;
}

impl<T: PlainFields> PlainFields for std::sync::Arc<T> {
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, field: &str, nested: &Nested<'_>) -> Option<Value> {
        T::plain_field(self, ctx, field, nested)
    }
}

/// A field's own selection, as the items of a list see it when each holds
/// a list of its own under that field (a page's centres their services):
/// the plan of the inner lists is made once, by the first item, for all.
pub struct Nested<'a> {
    selection: &'a SelectionSet,
    plan: OnceCell<Option<Plan<'a>>>,
}

impl<'a> Nested<'a> {
    fn new(selection: &'a SelectionSet) -> Self {
        Self {
            selection,
            plan: OnceCell::new(),
        }
    }

    /// `items`, answered directly with this selection; `None` when one of
    /// its fields needs a resolver.
    pub fn list<T: PlainFields>(&self, items: &[T], ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let plan = self.plan.get_or_init(|| plain_selection(self.selection).map(Plan::new));
        plan.as_ref()?.objects(items, ctx).map(Value::List)
    }
}

/// A global id as a response holds it. The id is moved in: async-graphql's
/// `to_value` copies it (one more allocation and copy for every id of a
/// list).
pub fn id(id: ID) -> Value {
    Value::String(id.0)
}

/// An enum's value as a response holds it. async-graphql's `to_value`
/// makes the value's name anew each time, an allocation for every value of
/// a list; here each thread makes each name once and shares it.
pub fn enum_value<T: EnumType>(value: T) -> Value {
    thread_local! {
        static NAMES: RefCell<Vec<(&'static str, Name)>> = const { RefCell::new(Vec::new()) };
    }
    let name = T::items()
        .iter()
        .find(|item| item.value == value)
        .map_or("", |item| item.name);
    NAMES.with_borrow_mut(|names| {
        // The same text at the same address is the same name, whichever
        // enum it comes from.
        if let Some((_, known)) = names.iter().find(|(text, _)| std::ptr::eq(*text, name)) {
            return Value::Enum(known.clone());
        }
        let made = Name::new(name);
        names.push((name, made.clone()));
        Value::Enum(made)
    })
}

/// An object in the schema exactly as `T`, resolved directly when its
/// selection is plain.
pub struct Plain<T>(pub T);

impl<T: PlainFields> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let plain = plain_selection(&field.node.selection_set.node)
            .and_then(|selection| Plan::new(selection).objects(std::slice::from_ref(&self.0), ctx));
        match plain.and_then(|mut objects| objects.pop()) {
            Some(object) => Ok(object),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A list in the schema exactly as `Vec<T>`, resolved directly when its
/// items' selection is plain.
pub struct PlainList<T>(pub Vec<T>);

impl<T> Default for PlainList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> FromIterator<T> for PlainList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T: PlainFields> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let plain = plain_selection(&field.node.selection_set.node)
            .and_then(|selection| Plan::new(selection).objects(&self.0, ctx));
        match plain {
            Some(objects) => Ok(Value::List(objects)),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A field as a plain selection holds it.
struct Selected<'a> {
    key: &'a Name,
    name: &'a str,
    /// Its own selection: empty for a leaf.
    nested: Nested<'a>,
}

/// The selected fields, when each is plain in form: a field without
/// arguments or directives (whether its item can answer it, and its own
/// selection, is the item's to say).
fn plain_selection(selection: &SelectionSet) -> Option<Vec<Selected<'_>>> {
    selection
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let plain = field.arguments.is_empty() && field.directives.is_empty();
                plain.then(|| Selected {
                    key: &field.response_key().node,
                    name: field.name.node.as_str(),
                    nested: Nested::new(&field.selection_set.node),
                })
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
        })
        .collect()
}

/// How a plain selection's items are answered: the map each item's map
/// starts as a copy of, and where each field's value goes in it.
struct Plan<'a> {
    template: IndexMap<Name, Value>,
    slots: Vec<(usize, Selected<'a>)>,
}

impl<'a> Plan<'a> {
    fn new(selection: Vec<Selected<'a>>) -> Self {
        // The keys are the same for every item: they are hashed once. A
        // key selected twice names the same field (validation checks it)
        // and keeps its first position, as async-graphql's own maps do.
        let mut template = IndexMap::with_capacity(selection.len());
        let slots = selection
            .into_iter()
            .map(|field| (template.insert_full(field.key.clone(), Value::Null).0, field))
            .collect();
        Self { template, slots }
    }

    /// Every item's map of the selected fields, or `None` when an item
    /// cannot answer one of them.
    fn objects<T: PlainFields>(&self, items: &[T], ctx: &ContextSelectionSet<'_>) -> Option<Vec<Value>> {
        let mut list = Vec::with_capacity(items.len());
        for item in items {
            let mut object = self.template.clone();
            for (slot, field) in &self.slots {
                let value = match field.name {
                    "__typename" => Value::String(item.introspection_type_name().into_owned()),
                    name => item.plain_field(ctx, name, &field.nested)?,
                };
                if let Some((_, place)) = object.get_index_mut(*slot) {
                    *place = value;
                }
            }
            list.push(Value::Object(object));
        }
        Some(list)
    }
}

