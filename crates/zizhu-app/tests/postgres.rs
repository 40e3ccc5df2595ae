//! The use-case suite on PostgreSQL: every test gets a new schema in the
//! database at `ZIZHU_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Enabled with `--features pg-tests`. When the feature is on and the
//! server cannot be reached the tests fail; they never skip, so a green run
//! always means the suite really ran on PostgreSQL.

#![cfg(feature = "pg-tests")]

mod suite;

use sqlx::Connection;
use std::future::Future;
use zizhu_store::{Backend, Store};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn pg_url() -> String {
    std::env::var("ZIZHU_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// Runs one statement on its own connection (schema setup and cleanup).
async fn admin(url: &str, sql: String) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL 不可达（{}）：{e}。请启动数据库，或用 ZIZHU_TEST_PG_URL 指定地址",
            zizhu_store::mask_url(url)
        )
    });
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("执行测试模式的管理语句");
    conn.close().await.ok();
}

async fn run<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = pg_url();
    // The test's name plus the process id: a plain identifier, unique
    // among concurrently running test binaries (the store's suite uses the
    // prefix `zt_`, this one `za_`).
    let schema = format!("za_{}_{}", std::process::id(), name);
    let schema = &schema[..schema.len().min(63)];
    admin(&url, format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
    let store = Store::connect_pg_schema(&url, schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL 不可达或无法建立测试模式：{e}"));
    assert_eq!(store.backend(), Backend::Postgres);
    // The body runs as its own task so that a failing assertion still lets
    // the schema be dropped below before the failure is re-raised.
    let outcome = tokio::spawn(test(store.clone())).await;
    store.close().await;
    admin(&url, format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

suite::app_tests!(run);
