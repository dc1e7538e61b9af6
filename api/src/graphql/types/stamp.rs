//! The stamp of a record (see `registry::record::Stamp`): whether it is a
//! demo record, its version, when it was created, changed and archived.
//! Organizations, centres and services all carry it; its fields are
//! declared once, here, and flattened into each of those types
//! (`#[graphql(flatten)]`), so the schema lists them in place, as fields of
//! the record itself, and no `*Stamp` type appears in it.
//!
//! One type per kind of record, because the description of `archivedAt`
//! names the kind; [`stamp_fields!`] writes them all from one declaration.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::{centre::Centre, organization::Organization, service::Service};
use crate::error::AppError;

/// Declares `$name`, the stamp fields of `$parent` (a `$kind`), read
/// through the parent's `stamp(ctx)`.
macro_rules! stamp_fields {
    ($name:ident of $parent:ty, $kind:literal) => {
        #[doc = concat!("The stamp fields of a ", $kind, ", flattened into its type.")]
        pub struct $name<'a>(pub &'a $parent);

        #[Object]
        impl $name<'_> {
            /// True for demo records, which are not official figures.
            pub async fn is_demo(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
                Ok(self.0.stamp(ctx).await?.is_demo)
            }

            /// When the record was created.
            pub async fn created_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>, AppError> {
                Ok(self.0.stamp(ctx).await?.created_at)
            }

            /// When the record last changed.
            pub async fn updated_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>, AppError> {
                Ok(self.0.stamp(ctx).await?.updated_at)
            }

            /// Optimistic-concurrency version, incremented by every change.
            pub async fn version(&self, ctx: &Context<'_>) -> Result<i32, AppError> {
                Ok(self.0.stamp(ctx).await?.version)
            }

            #[doc = concat!(
                                        "When the ", $kind, " was archived; null while it is live (only admins\n",
                                        "see archived records)."
                                    )]
            pub async fn archived_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>, AppError> {
                Ok(self.0.stamp(ctx).await?.archived_at)
            }
        }
    };
}

stamp_fields!(OrganizationStamp of Organization, "organization");
stamp_fields!(CentreStamp of Centre, "centre");
stamp_fields!(ServiceStamp of Service, "service");
