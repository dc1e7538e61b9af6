//! Column shapes, keys and steps shared by the migrations that create
//! tables. Migrations are history: a helper here must keep producing
//! exactly the statements it produced when the migrations that use it
//! shipped (a database migrated then and one migrated now must be the
//! same), so a later migration that needs another shape defines a helper
//! of its own instead of changing one.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveIden)]
pub enum Common {
    Version,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
    IsDemo,
    SearchText,
    NameSortKy,
    NameSortRu,
}

/// `created_at` and `updated_at`, both required.
pub fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Common::CreatedAt))
        .col(timestamp_with_time_zone(Common::UpdatedAt))
}

/// A name sort key column, compared byte by byte on both engines (the keys
/// are built for code-point order; PostgreSQL would otherwise apply the
/// database's locale).
fn sort_key(column: Common, backend: DbBackend) -> ColumnDef {
    let mut def = string(column);
    if backend == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

/// The columns of an editable registry record: optimistic-concurrency
/// version, soft archive, demo marker, search text and name sort keys.
pub fn editable(table: &mut TableCreateStatement, backend: DbBackend) -> &mut TableCreateStatement {
    table
        .col(integer(Common::Version).default(1))
        .col(timestamp_with_time_zone_null(Common::ArchivedAt))
        .col(boolean(Common::IsDemo).default(false))
        .col(text(Common::SearchText))
        .col(sort_key(Common::NameSortKy, backend))
        .col(sort_key(Common::NameSortRu, backend))
        .check(("version_positive", Expr::col(Common::Version).gte(1)));
    timestamps(table)
}

/// A check that an optional age column lies within childhood, 0..=18.
pub fn age_check(column: impl IntoIden, name: &str) -> (String, Expr) {
    let column = column.into_iden();
    let expr = Expr::col(column.clone())
        .is_null()
        .or(Expr::col(column.clone()).between(0, 18));
    (name.to_owned(), expr)
}

/// A check that `min <= max` when both ages are given.
pub fn age_range_check(min: impl IntoIden, max: impl IntoIden, name: &str) -> (String, Expr) {
    let (min, max) = (min.into_iden(), max.into_iden());
    let expr = Expr::col(min.clone())
        .is_null()
        .or(Expr::col(max.clone()).is_null())
        .or(Expr::col(min).lte(Expr::col(max)));
    (name.to_owned(), expr)
}

/// A single-table index named `idx_<table>_<suffix>`.
pub fn index(table: impl IntoIden, suffix: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let table = table.into_iden();
    let name = format!("idx_{table}_{suffix}");
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(Alias::new(*column));
    }
    stmt.to_owned()
}

/// A foreign key named `name` from `from` (table, column) to the `id` of
/// the table named `to`.
pub fn references(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// Declares `Migration`, a migration that runs `$up` (which creates
/// `$table`, with its keys and indexes) and, on the way down, drops
/// `$table`. Its name is its file's, as for any migration.
macro_rules! creates_table {
    ($table:expr, |$manager:ident| $up:block) => {
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, $manager: &SchemaManager) -> Result<(), DbErr> $up

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::columns::drop_table(manager, $table).await
            }
        }
    };
}
pub(crate) use creates_table;

/// The `down` of a migration that created `table`.
pub async fn drop_table(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(table).to_owned()).await
}
