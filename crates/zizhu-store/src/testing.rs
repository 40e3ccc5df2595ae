//! Test support for the crates whose suites run on PostgreSQL as well:
//! each test on a fresh schema, dropped afterwards even when it fails.
//! Compiled only with the `pg-tests` feature, never in the binary.

use std::future::Future;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use crate::{Backend, Store, mask_url};

/// The database at `ZIZHU_TEST_PG_URL`, by default the local test database.
pub fn pg_url() -> String {
    std::env::var("ZIZHU_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Drops a test schema (and everything in it) if it exists. Panics with a
/// Chinese message when the server is unreachable: a test that needs
/// PostgreSQL must fail, never skip.
pub async fn drop_pg_schema(url: &str, schema: &str) {
    assert!(
        !schema.is_empty()
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "测试模式名无效：{schema}"
    );
    let options = PgConnectOptions::from_str(url).expect("测试数据库地址");
    let mut conn = options.connect().await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL 不可达（{}）：{e}。请启动数据库，或用 ZIZHU_TEST_PG_URL 指定地址",
            mask_url(url)
        )
    });
    // The name was checked above to be a plain identifier.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&mut conn)
    .await
    .expect("删除测试模式");
    conn.close().await.ok();
}

/// Runs `test` on a store in a new schema named from `prefix`, the process
/// id and `name`, then drops the schema and re-raises any failure.
pub async fn run_in_fresh_pg_schema<F, Fut>(prefix: &str, name: &str, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = pg_url();
    // A plain identifier, unique among concurrently running test binaries.
    let schema = format!("{prefix}_{}_{name}", std::process::id());
    let schema = &schema[..schema.len().min(63)];
    drop_pg_schema(&url, schema).await;
    let store = Store::connect_pg_schema(&url, schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL 不可达或无法建立测试模式：{e}"));
    assert_eq!(store.backend(), Backend::Postgres);
    // The body runs as its own task so that a failing assertion still lets
    // the schema be dropped before the failure is re-raised.
    let outcome = tokio::spawn(test(store.clone())).await;
    store.close().await;
    drop_pg_schema(&url, schema).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
