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
//! object's). When every selected field is plain (one that its type
//! declares with [`plain_fields!`], with no arguments, directives or
//! fragment; a field with a selection of its own is plain when the item
//! holds its value, as a page's centre holds its brief lists, and that
//! selection is plain in turn), it builds each item's map itself;
//! otherwise, or when an item cannot answer a field at once, async-graphql
//! resolves it the usual way.
//!
//! One declaration per field: a type's [`plain_fields!`] names, for each
//! field the fast path answers, the field's own resolver (the method of its
//! `#[Object]` impl) and when that resolver answers at once (always; when
//! the record's details were read; when its brief lists were). The fast
//! path calls that very resolver and takes its answer without waiting, so
//! both paths give the same values by construction, and a field can be
//! added to the fast path only by naming its resolver. The same declaration
//! yields the type's `DETAIL_FIELDS`, which tell a list whether to read the
//! details. The tests compare both paths for every field of every type the
//! lists reach, taken from the schema itself. One difference is
//! deliberate: extensions' per-field `resolve` hooks do not run for plain
//! fields. The server's own extensions hook only request preparation,
//! parsing and validation; the fault hooks of test builds do hook fields,
//! which is how the tests tell the two paths apart.

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
use chrono::{DateTime, Utc};
use futures::FutureExt;

/// An object type some of whose fields answer at once: declared with
/// [`plain_fields!`].
pub trait PlainFields: OutputType {
    /// The value of `field`, selected without arguments, with `nested` its
    /// own selection (empty for a leaf); `None` when it must be resolved
    /// the usual way.
    fn plain_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
        nested: &Nested<'_>,
    ) -> Option<Value>;
}

impl<T: PlainFields> PlainFields for std::sync::Arc<T> {
    fn plain_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
        nested: &Nested<'_>,
    ) -> Option<Value> {
        T::plain_field(self, ctx, field, nested)
    }
}

/// Declares the fields of a type that the fast path answers, each by its
/// own resolver (see the module's documentation), and the type's
/// `DETAIL_FIELDS`:
///
/// ```ignore
/// plain_fields!(Service, |service, ctx, nested| {
///     "id" => service.id(ctx),                    // always at once
///     "name" if service.named_in(ctx) => service.name(ctx, None),
///     "status" details => service.status(ctx),    // once details are read
///     "services" list => nested.list(..),         // a nested plain list
/// } also_details ["organization"]);
/// ```
///
/// A resolver is called as `#[Object]` leaves it: with the field's own
/// context `ctx` first, then its arguments. A guard says when the resolver
/// answers without waiting (it must, or the fast path gives up on the list
/// and the resolver's wait is wasted); `details` guards with the type's
/// `has_details`. `also_details` names the other fields resolved from the
/// details, which the fast path does not answer.
macro_rules! plain_fields {
    ($ty:ty, |$this:ident, $ctx:ident, $nested:ident| { $($arms:tt)* } $(also_details [$($also:literal),*])?) => {
        $crate::graphql::plain::plain_fields!(@munch $ty, $this, $ctx, $nested, [$($($also,)*)?], [], $($arms)*);
    };
    (@munch $ty:ty, $this:ident, $ctx:ident, $nested:ident, [$($details:literal,)*], [$($arms:tt)*],
        $name:literal details => $call:expr, $($rest:tt)*) => {
        $crate::graphql::plain::plain_fields!(@munch $ty, $this, $ctx, $nested, [$($details,)* $name,],
            [$($arms)* $name if $this.has_details() => $crate::graphql::plain::answer($call),], $($rest)*);
    };
    (@munch $ty:ty, $this:ident, $ctx:ident, $nested:ident, $details:tt, [$($arms:tt)*],
        $name:literal list => $value:expr, $($rest:tt)*) => {
        $crate::graphql::plain::plain_fields!(@munch $ty, $this, $ctx, $nested, $details,
            [$($arms)* $name => $value,], $($rest)*);
    };
    (@munch $ty:ty, $this:ident, $ctx:ident, $nested:ident, $details:tt, [$($arms:tt)*],
        $name:literal if $guard:expr => $call:expr, $($rest:tt)*) => {
        $crate::graphql::plain::plain_fields!(@munch $ty, $this, $ctx, $nested, $details,
            [$($arms)* $name if $guard => $crate::graphql::plain::answer($call),], $($rest)*);
    };
    (@munch $ty:ty, $this:ident, $ctx:ident, $nested:ident, $details:tt, [$($arms:tt)*],
        $name:literal => $call:expr, $($rest:tt)*) => {
        $crate::graphql::plain::plain_fields!(@munch $ty, $this, $ctx, $nested, $details,
            [$($arms)* $name => $crate::graphql::plain::answer($call),], $($rest)*);
    };
    (@munch $ty:ty, $this:ident, $ctx:ident, $nested:ident, [$($details:literal,)*], [$($arms:tt)*],) => {
        /// The fields resolved from the record's details: a list reads
        /// them only when its request selects one of these (see
        /// `types::detail_selected`; types read whole have none).
        #[allow(dead_code)]
        const DETAIL_FIELDS: &[&str] = &[$($details),*];

        impl $crate::graphql::plain::PlainFields for $ty {
            fn plain_field(
                &self,
                selection_ctx: &async_graphql::ContextSelectionSet<'_>,
                field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
                $nested: &$crate::graphql::plain::Nested<'_>,
            ) -> Option<async_graphql::Value> {
                let $this = self;
                let $ctx = &selection_ctx.with_field(field);
                #[allow(unused_variables)]
                let _ = (&$ctx, &$nested);
                match field.node.name.node.as_str() {
                    $($arms)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use plain_fields;

/// A resolver's answer as a response holds it, if the resolver gave it
/// without waiting.
pub fn answer<F: std::future::Future>(resolver: F) -> Option<Value>
where
    F::Output: PlainValue,
{
    resolver.now_or_never()?.plain_value()
}

/// A value as a response holds it, made without async-graphql's per-value
/// allocations where there are some to spare (ids, enum names).
pub trait PlainValue {
    /// `None` for an error: the field is then resolved the usual way,
    /// which reports it.
    fn plain_value(self) -> Option<Value>;
}

/// What a resolver gives, as `#[Object]` wraps it.
impl<T: PlainValue> PlainValue for async_graphql::Result<T> {
    fn plain_value(self) -> Option<Value> {
        self.ok()?.plain_value()
    }
}

/// What a resolver that can fail gives.
impl<T: PlainValue> PlainValue for Result<T, crate::error::AppError> {
    fn plain_value(self) -> Option<Value> {
        self.ok()?.plain_value()
    }
}

impl<T: PlainValue> PlainValue for Option<T> {
    fn plain_value(self) -> Option<Value> {
        match self {
            Some(value) => value.plain_value(),
            None => Some(Value::Null),
        }
    }
}

impl PlainValue for ID {
    fn plain_value(self) -> Option<Value> {
        Some(id(self))
    }
}

impl PlainValue for Value {
    fn plain_value(self) -> Option<Value> {
        Some(self)
    }
}

/// Values whose own `to_value` makes no more than the value itself.
macro_rules! plain_scalars {
    ($($ty:ty),*) => {$(
        impl PlainValue for $ty {
            fn plain_value(self) -> Option<Value> {
                Some(async_graphql::ScalarType::to_value(&self))
            }
        }
    )*};
}
plain_scalars!(i32, bool, f64, DateTime<Utc>);

impl PlainValue for String {
    fn plain_value(self) -> Option<Value> {
        Some(Value::String(self))
    }
}

impl PlainValue for &str {
    fn plain_value(self) -> Option<Value> {
        Some(Value::String(self.to_owned()))
    }
}

/// GraphQL enums, by [`enum_value`].
macro_rules! plain_enums {
    ($($ty:ty),*) => {$(
        impl $crate::graphql::plain::PlainValue for $ty {
            fn plain_value(self) -> Option<async_graphql::Value> {
                Some($crate::graphql::plain::enum_value(self))
            }
        }
    )*};
}
pub(crate) use plain_enums;

/// A field's own selection, as the items of a list see it when each holds
/// a list of its own under that field (a page's centres their services):
/// the plan of the inner lists is made once, by the first item, for all.
pub struct Nested<'a> {
    selection: &'a Positioned<SelectionSet>,
    plan: OnceCell<Option<Plan<'a>>>,
}

impl<'a> Nested<'a> {
    fn new(selection: &'a Positioned<SelectionSet>) -> Self {
        Self {
            selection,
            plan: OnceCell::new(),
        }
    }

    /// `items`, answered directly with this selection of the field whose
    /// context is `ctx`; `None` when one of its fields needs a resolver.
    pub fn list<T: PlainFields>(&self, items: &[T], ctx: &async_graphql::Context<'_>) -> Option<Value> {
        let plan = self
            .plan
            .get_or_init(|| plain_selection(&self.selection.node).map(Plan::new));
        plan.as_ref()?
            .objects(items, &ctx.with_selection_set(self.selection))
            .map(Value::List)
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
    field: &'a Positioned<Field>,
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
            Selection::Field(positioned) => {
                let field = &positioned.node;
                let plain = field.arguments.is_empty() && field.directives.is_empty();
                plain.then(|| Selected {
                    key: &field.response_key().node,
                    field: positioned,
                    nested: Nested::new(&field.selection_set),
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
            for (slot, selected) in &self.slots {
                let value = match selected.field.node.name.node.as_str() {
                    "__typename" => Value::String(item.introspection_type_name().into_owned()),
                    _ => item.plain_field(ctx, selected.field, &selected.nested)?,
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
