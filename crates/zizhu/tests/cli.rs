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
    // Every page but the login page needs a session.
    let (status, body) = http_get(addr, "/").unwrap();
    assert_eq!(status, 303, "{body}");
    assert!(
        body.to_ascii_lowercase().contains("location: /login"),
        "{body}"
    );
    let (status, body) = http_get(addr, "/login").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("登录"), "{body}");
    assert!(body.contains("lang=\"zh-CN\""), "{body}");
    let (status, body) = http_get(addr, "/no/such/page").unwrap();
    assert_eq!(status, 404);
    assert!(body.contains("页面不存在"), "{body}");
}

fn tree_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn gen_is_deterministic_and_refuses_a_foreign_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for out in [&a, &b] {
        let o = run(&[
            "gen",
            "--out",
            out.to_str().unwrap(),
            "--students",
            "1500",
            "--seed",
            "7",
            "--format",
            "csv",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("学籍名册"), "{}", stdout(&o));
    }
    let (ta, tb) = (tree_bytes(&a), tree_bytes(&b));
    assert!(
        ta.iter().any(|(n, _)| n.starts_with("truth")),
        "{:?}",
        ta.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    assert!(ta.len() > 10);
    assert_eq!(ta, tb, "the same seed must give byte-identical output");

    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("我的名单.xlsx"), b"keep me").unwrap();
    let o = run(&[
        "gen",
        "--out",
        foreign.to_str().unwrap(),
        "--students",
        "1500",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("错误："), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(foreign.join("我的名单.xlsx")).unwrap(),
        b"keep me"
    );
}

#[test]
fn import_user_batches_and_export_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/c.sqlite", dir.path().display());
    let files = dir.path().join("files");
    let o = run(&[
        "gen",
        "--out",
        files.to_str().unwrap(),
        "--students",
        "800",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (stem, kind) in [
        ("统计局-行政区划", "regions"),
        ("教育局-学校名册", "学校"),
        ("教育局-学籍名册", "roster"),
    ] {
        let file = files.join(format!("{stem}.csv"));
        let o = run(&[
            "import",
            kind,
            file.to_str().unwrap(),
            "--term",
            "2018秋",
            "--database",
            &url,
        ]);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
        assert!(stdout(&o).contains("读取"), "{}", stdout(&o));
    }
    // The same file again changes nothing.
    let roster = files.join("教育局-学籍名册.csv");
    let again = run(&[
        "import",
        "roster",
        roster.to_str().unwrap(),
        "--term",
        "2018秋",
        "--database",
        &url,
    ]);
    assert!(again.status.success(), "{}", stderr(&again));

    let list = run(&["batches", "list", "--database", &url]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(
        stdout(&list).contains("教育局-学籍名册.csv"),
        "{}",
        stdout(&list)
    );

    let bad = run(&[
        "import",
        "frogs",
        roster.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).starts_with("错误："), "{}", stderr(&bad));

    let out = dir.path().join("台账.xlsx");
    let o = run(&[
        "export",
        "ledger",
        "--out",
        out.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::metadata(&out).unwrap().len() > 1000);

    let o = run(&[
        "user",
        "add",
        "officer1",
        "--role",
        "county",
        "--password",
        "Zizhu2018pass",
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("已新建账号 officer1"), "{}", stdout(&o));
    let o = run(&[
        "user",
        "add",
        "officer1",
        "--role",
        "county",
        "--database",
        &url,
    ]);
    assert!(
        !o.status.success(),
        "a second account with the same name must be refused"
    );
    let o = run(&["user", "disable", "officer1", "--database", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["user", "passwd", "nobody", "--database", &url]);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("错误："), "{}", stderr(&o));
}

#[test]
fn demo_loads_the_county_and_reuses_it_on_the_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let first = zizhu()
        .args(["demo", "--students", "600", "--no-serve"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("首次运行"), "{out}");
    assert!(out.contains("导入 教育局-学籍名册"), "{out}");
    assert!(out.contains("demo-school"), "{out}");
    assert!(out.contains("2018秋 大数据比对（已保存）"), "{out}");
    assert!(dir.path().join("zizhu-demo/zizhu-demo.sqlite").exists());

    let second = zizhu()
        .args(["demo", "--students", "600", "--no-serve"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("沿用已有的演示数据库"),
        "{}",
        stdout(&second)
    );
}

/// `zizhu compare` on the demo county: the summary per list, the review
/// queue masked, a decision that needs a reason, and the exception lists
/// exported to xlsx, masked unless `--full`.
#[test]
fn compare_review_and_export_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = zizhu()
        .args(["demo", "--students", "600", "--seed", "3", "--no-serve"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", stderr(&demo));
    let url = format!(
        "sqlite://{}",
        dir.path().join("zizhu-demo/zizhu-demo.sqlite").display()
    );
    // A re-run over the demo's own comparison writes nothing new.
    let o = run(&["compare", "--term", "2018秋", "--database", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "学籍名单",
        "适龄儿童户籍名单",
        "自动确认",
        "待复核",
        "疑似失学辍学：",
        "应享未享：",
        "不应享而享：",
        "重复享受：",
        "县外就读信息缺失：",
        "写入：链接新增 0、变更 0、失效 0；异常新增 0、变更 0、消除 0",
    ] {
        assert!(out.contains(want), "missing {want}: {out}");
    }
    let o = run(&["compare", "review", "--database", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let queue = stdout(&o);
    // Pick a link to decide: from the queue if there is one, else any
    // stored link (the demo county may leave nothing in the middle band).
    let id: String = queue
        .lines()
        .skip(1)
        .find_map(|l| l.split('\t').next().filter(|s| s.parse::<i64>().is_ok()))
        .map(str::to_string)
        .unwrap_or_else(|| "1".into());
    let o = run(&[
        "compare",
        "review",
        "--link",
        &id,
        "--reject",
        "--database",
        &url,
    ]);
    assert!(
        !o.status.success(),
        "a decision without a reason is refused"
    );
    assert!(stderr(&o).contains("--reason"), "{}", stderr(&o));
    let o = run(&[
        "compare",
        "review",
        "--link",
        &id,
        "--reject",
        "--reason",
        "出生日期不符",
        "--actor",
        "复核员",
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("已否决"), "{}", stdout(&o));
    let o = run(&[
        "compare",
        "review",
        "--link",
        "999999",
        "--accept",
        "--reason",
        "x",
        "--database",
        &url,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("找不到比对链接"), "{}", stderr(&o));

    let xlsx = dir.path().join("异常名单.xlsx");
    let o = run(&[
        "compare",
        "export",
        "--out",
        xlsx.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("个人信息已脱敏"), "{}", stdout(&o));
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);
    let o = run(&[
        "compare",
        "export",
        "--out",
        xlsx.to_str().unwrap(),
        "--kind",
        "失学",
        "--database",
        &url,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("不认识的异常类别"), "{}", stderr(&o));
}

#[test]
fn link_finds_the_same_children_across_two_lists() {
    let dir = tempfile::tempdir().unwrap();
    let left = dir.path().join("left.csv");
    let right = dir.path().join("right.csv");
    let out = dir.path().join("links.csv");
    std::fs::write(
        &left,
        "record_id,name,sex,birth_date,id_number,guardian_name,address\n\
         L1,李小龙,男,2012-09-01,431126201209010017,李大山,湖南省永州市宁远县天堂镇大洞村3组\n\
         L2,王芳,女,2010-03-15,431126201003150022,王建国,宁远县水市镇新屋村1组\n\
         L3,欧阳娜娜,女,2005-07-04,,欧阳明,宁远县湾井镇下灌村2组\n",
    )
    .unwrap();
    std::fs::write(
        &right,
        "record_id,name,sex,birth_date,id_number,guardian_name,address\n\
         R1,李小龍,,20120901,431126201209010017,李大山,天堂镇大洞村\n\
         R2,王芳,女,2010/3/15,431126201003150022,王建国,水市镇新屋村\n\
         R3,欧阳娜娜,女,2005年7月4日,,欧阳明,湾井镇下灌村\n\
         R4,张伟,男,2011-01-01,,张三,冷水镇\n",
    )
    .unwrap();
    let o = run(&[
        "link",
        left.to_str().unwrap(),
        right.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("left_id,right_id,match_probability"));
    let pairs: Vec<(String, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect();
    for want in [("L1", "R1"), ("L2", "R2"), ("L3", "R3")] {
        assert!(
            pairs.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} missing in {text}"
        );
    }
    assert!(!pairs.iter().any(|p| p.1 == "R4"), "{text}");

    // Without the `distributed` feature the Ballista engine is a clear
    // error (tests/cli_distributed.rs covers the build with it).
    #[cfg(not(feature = "distributed"))]
    {
        let o = run(&[
            "link",
            left.to_str().unwrap(),
            right.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--engine",
            "ballista",
        ]);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("此版本未包含分布式比对引擎（Ballista）"),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&[
        "link",
        left.to_str().unwrap(),
        right.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threshold",
        "1.5",
    ]);
    assert!(!o.status.success());
}

/// A full (unmasked) export is an unmasking of every person in the file:
/// each one is in the unmask log with who ran it and where it went, and a
/// masked export adds nothing there.
#[test]
fn full_export_is_recorded_in_the_unmask_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/u.sqlite", dir.path().display());
    let files = dir.path().join("files");
    let o = run(&[
        "gen",
        "--out",
        files.to_str().unwrap(),
        "--students",
        "300",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (stem, kind) in [
        ("统计局-行政区划", "regions"),
        ("教育局-学校名册", "schools"),
        ("教育局-学籍名册", "roster"),
    ] {
        let file = files.join(format!("{stem}.csv"));
        let o = run(&[
            "import",
            kind,
            file.to_str().unwrap(),
            "--term",
            "2018秋",
            "--database",
            &url,
        ]);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
    }
    let log = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let store = zizhu_store::Store::connect(&url).await.unwrap();
                let log = store.unmask_log(None, 1_000_000, 0).await.unwrap();
                store.close().await;
                log
            })
    };
    let exported = |o: &std::process::Output| -> usize {
        let out = stdout(o);
        let n = out
            .split("已导出 ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("no row count in {out}"));
        n.parse().unwrap()
    };

    let masked = dir.path().join("打码.xlsx");
    let o = run(&[
        "export",
        "students",
        "--out",
        masked.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(exported(&o) > 0);
    assert!(log().is_empty(), "a masked export unmasks nobody");

    let full = dir.path().join("完整.xlsx");
    let o = run(&[
        "export",
        "students",
        "--full",
        "--actor",
        "县资助中心·王老师",
        "--out",
        full.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("查看完整信息日志"), "{}", stdout(&o));
    let entries = log();
    assert_eq!(entries.len(), exported(&o));
    let persons: std::collections::HashSet<i64> =
        entries.iter().map(|e| e.record.person_id).collect();
    assert_eq!(persons.len(), entries.len(), "one entry per person");
    for e in &entries {
        assert_eq!(e.record.actor, "县资助中心·王老师");
        assert!(
            e.record.page.contains("完整导出学生名册"),
            "{}",
            e.record.page
        );
        assert!(e.record.page.contains("完整.xlsx"), "{}", e.record.page);
        assert!(e.record.fields.contains("身份证号"));
    }
}
