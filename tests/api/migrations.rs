//! Every migration has a working `down`: the schema can be rolled back
//! completely and rebuilt, on both databases.

use migration::{Migrator, MigratorTrait};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{Backend, fresh_database};

async fn down_and_up_again(backend: Backend) {
    let Some((settings, _guard)) = fresh_database(backend).await else {
        return;
    };
    let db = api::database::connect(&settings).await.expect("connect");
    api::database::migrate(&db).await.expect("up");
    let applied = Migrator::get_applied_migrations(&db).await.expect("status").len();
    assert_eq!(applied, Migrator::migrations().len());

    Migrator::down(&db, None).await.expect("every down runs");
    assert!(Migrator::get_applied_migrations(&db).await.expect("status").is_empty());
    assert!(
        entity::centre::Entity::find().count(&db).await.is_err(),
        "the tables are gone"
    );

    api::database::migrate(&db).await.expect("up again");
    assert_eq!(entity::centre::Entity::find().count(&db).await.expect("count"), 0);
}

#[tokio::test]
async fn sqlite_migrations_roll_back_and_forward() {
    down_and_up_again(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_migrations_roll_back_and_forward() {
    down_and_up_again(Backend::Postgres).await;
}
