//! The use-case suite on SQLite: every test gets a new temporary database file.

mod suite;

use std::future::Future;
use zizhu_store::{Backend, Store};

async fn run<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    // The directory (and the database in it) is removed when `dir` drops,
    // which also happens while a failing test unwinds.
    let dir = tempfile::tempdir().expect("创建临时目录");
    let path = dir.path().join(format!("{name}.db"));
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("打开 SQLite 数据库");
    assert_eq!(store.backend(), Backend::Sqlite);
    test(store.clone()).await;
    store.close().await;
}

suite::app_tests!(run);
