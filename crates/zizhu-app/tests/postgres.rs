//! The use-case suite on PostgreSQL: every test gets a new schema in the
//! database at `ZIZHU_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Enabled with `--features pg-tests`. When the feature is on and the
//! server cannot be reached the tests fail; they never skip, so a green run
//! always means the suite really ran on PostgreSQL.

#![cfg(feature = "pg-tests")]

mod suite;

use std::future::Future;
use zizhu_store::Store;

async fn run<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // The store's suite uses the prefix `zt`, this one `za`.
    zizhu_store::testing::run_in_fresh_pg_schema("za", name, test).await;
}

suite::app_tests!(run);
