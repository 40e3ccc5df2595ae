//! The storage suite on PostgreSQL: every test gets a new schema in the
//! database at `ZIZHU_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Enabled with `--features pg-tests`. When the feature is on and the
//! server cannot be reached the tests fail; they never skip, so a green run
//! always means the suite really ran on PostgreSQL.

#![cfg(feature = "pg-tests")]

mod suite;

use std::future::Future;
use zizhu_store::Store;
use zizhu_store::testing::{drop_pg_schema, pg_url, run_in_fresh_pg_schema};

async fn run<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_in_fresh_pg_schema("zt", name, test).await;
}

suite::storage_tests!(run);

/// Each store sees only its own schema.
#[tokio::test]
async fn schemas_are_isolated() {
    let url = pg_url();
    let a_name = format!("zt_{}_iso_a", std::process::id());
    let b_name = format!("zt_{}_iso_b", std::process::id());
    for s in [&a_name, &b_name] {
        drop_pg_schema(&url, s).await;
    }
    let a = Store::connect_pg_schema(&url, &a_name).await.unwrap();
    let b = Store::connect_pg_schema(&url, &b_name).await.unwrap();
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let mut tx = a.begin_write(suite::ctx(None)).await.unwrap();
    tx.upsert_person(&suite::person(Some(suite::id(1)), "张三"), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let counts = (
        a.count_persons(&zizhu_store::Scope::All).await,
        b.count_persons(&zizhu_store::Scope::All).await,
    );
    a.close().await;
    b.close().await;
    for s in [&a_name, &b_name] {
        drop_pg_schema(&url, s).await;
    }
    assert_eq!((counts.0.unwrap(), counts.1.unwrap()), (1, 0));
}

/// A schema name that is not a plain identifier is refused before any SQL runs.
#[tokio::test]
async fn bad_schema_name_is_refused() {
    let err = Store::connect_pg_schema(&pg_url(), "x\"; DROP SCHEMA public; --")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("模式名无效"), "{err}");
}
