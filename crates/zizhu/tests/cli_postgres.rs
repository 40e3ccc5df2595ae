//! `zizhu init` on PostgreSQL, twice. Runs only with the `pg-tests` feature
//! (CI turns it on) and then fails when the server is unreachable.

#![cfg(feature = "pg-tests")]

mod common;

use common::*;

fn pg_url() -> String {
    std::env::var("ZIZHU_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

#[test]
fn init_twice_is_harmless_on_postgres() {
    let url = pg_url();
    let first = run(&["init", "--database", &url]);
    assert!(
        first.status.success(),
        "PostgreSQL at {url} must be reachable for this test: {}",
        stderr(&first)
    );
    let second = run(&["init", "--database", &url]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("已是最新结构"),
        "{}",
        stdout(&second)
    );
}
