//! The storage suite on SQLite: every test gets a new temporary database file.

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
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url).await.expect("打开 SQLite 数据库");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists(), "connect creates the database file");
    test(store.clone()).await;
    store.close().await;
}

suite::storage_tests!(run);

/// `sqlite::memory:` is one private database on one connection, so a write
/// made through the pool is visible to the next read.
#[tokio::test]
async fn in_memory_database_keeps_its_data() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let mut tx = store.begin_write(suite::ctx(None)).await.unwrap();
    tx.upsert_person(&suite::person(Some(suite::id(1)), "张三"), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.count_persons(&zizhu_store::Scope::All).await.unwrap(),
        1
    );
    store.ping().await.unwrap();
}

/// An unsupported URL is refused in Chinese, naming the URL without its password.
#[tokio::test]
async fn unsupported_url_is_a_chinese_error_with_masked_password() {
    let err = Store::connect("mysql://root:hunter2@localhost/zizhu")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("不支持的数据库地址"), "{msg}");
    assert!(msg.contains("mysql://root:***@localhost/zizhu"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

/// A SQLite file that cannot be created is a Chinese connection error.
#[tokio::test]
async fn unreachable_sqlite_path_is_a_chinese_error() {
    let err = Store::connect("sqlite:///nonexistent-dir/zizhu/zizhu.db")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("无法连接数据库"), "{err}");
}
