//! The binary as a county IT person uses it: Chinese help, Chinese errors,
//! `init` twice, `serve` answering `/healthz`.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn help_is_chinese_with_english_flags() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("用法："), "{out}");
    assert!(out.contains("命令"), "{out}");
    assert!(out.contains("init") && out.contains("serve"), "{out}");
    assert!(!out.contains("Usage:"), "{out}");

    let o = run(&["serve", "--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("--listen") && out.contains("--database"),
        "{out}"
    );
    assert!(out.contains("监听地址"), "{out}");
    assert!(out.contains("显示帮助"), "{out}");
}

#[test]
fn bad_arguments_get_a_chinese_error_and_non_zero_exit() {
    for (args, expect) in [
        (&["--frobnicate"][..], "未知的参数"),
        (&["launch"][..], "未知的命令"),
        (&["serve", "--listen", "not-an-address"][..], "无效"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("错误："), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("error:"), "{args:?}: {err}");
    }
}

#[test]
fn unreachable_or_unknown_database_is_a_chinese_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}/no/such/dir/x.sqlite", dir.path().display());
    for url in [missing.as_str(), "mysql://root@localhost/x"] {
        let o = run(&["init", "--database", url]);
        assert!(!o.status.success(), "{url}");
        let err = stderr(&o);
        assert!(err.starts_with("错误："), "{url}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.contains("RUST_BACKTRACE"), "{err}");
    }
}

#[test]
fn database_password_is_never_printed() {
    let o = run(&[
        "init",
        "--database",
        "postgres://user:s3cret@127.0.0.1:1/nodb",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("***"), "{err}");
}

#[test]
fn init_twice_is_harmless_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/county.sqlite", dir.path().display());
    let first = run(&["init", "--database", &url]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("升级到"), "{}", stdout(&first));
    let second = run(&["init", "--database", &url]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("已是最新结构"),
        "{}",
        stdout(&second)
    );
}

#[test]
fn database_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/env.sqlite", dir.path().display());
    let o = zizhu()
        .args(["init"])
        .env("ZIZHU_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("env.sqlite").exists());
}

#[test]
fn init_without_database_uses_a_file_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let o = zizhu()
        .arg("init")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("zizhu.sqlite").exists());
}

#[test]
fn serve_answers_healthz_and_a_chinese_landing_page() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/serve.sqlite", dir.path().display());
    let init = run(&["init", "--database", &url]);
    assert!(init.status.success(), "{}", stderr(&init));
    let addr = free_addr();
    let mut server = spawn(&["serve", "--database", &url, "--listen", &addr.to_string()]);
    let (status, body) = wait_for(addr, "/healthz", &mut server.0, Duration::from_secs(30));
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(addr, "/").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("教育精准扶贫"), "{body}");
    assert!(body.contains("lang=\"zh-CN\""), "{body}");
    let (status, body) = http_get(addr, "/no/such/page").unwrap();
    assert_eq!(status, 404);
    assert!(body.contains("页面不存在"), "{body}");
}
