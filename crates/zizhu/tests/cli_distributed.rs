//! `zizhu link --engine ballista` in a build with the `distributed` feature:
//! the standalone Ballista engine writes the same LINKS.csv as the local
//! engine, and an unreachable scheduler is a clear Chinese error.
//! `cargo test -p zizhu --features distributed --test cli_distributed`
#![cfg(feature = "distributed")]

mod common;

#[path = "../../zizhu-link/tests/common/mod.rs"]
mod lists;

use common::{run, stderr};
use std::path::Path;

fn write_csv(path: &Path, records: &[zizhu_link::Record]) {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut text = String::from("record_id,name,sex,birth_date,id_number,guardian_name,address\n");
    for r in records {
        let fields = [
            &r.record_id,
            &r.name,
            &r.sex,
            &r.birth_date,
            &r.id_number,
            &r.guardian_name,
            &r.address,
        ];
        text.push_str(
            &fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn ballista_standalone_writes_the_same_links_as_local() {
    let dir = tempfile::tempdir().unwrap();
    let made = lists::make_lists(&lists::Spec {
        left_persons: 1500,
        ..lists::Spec::small(21)
    });
    let (left, right) = (dir.path().join("left.csv"), dir.path().join("right.csv"));
    write_csv(&left, &made.left);
    write_csv(&right, &made.right);
    let out = |name: &str| dir.path().join(name);
    let link = |extra: &[&str], target: &Path| {
        let mut args = vec![
            "link",
            left.to_str().unwrap(),
            right.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    link(&[], &out("local.csv"));
    link(&["--engine", "ballista"], &out("ballista.csv"));
    let local = std::fs::read_to_string(out("local.csv")).unwrap();
    let ballista = std::fs::read_to_string(out("ballista.csv")).unwrap();
    assert!(local.lines().count() > 500, "{local}");
    assert_eq!(local, ballista);

    // The same with a threshold of the user's choosing.
    link(&["--threshold", "0.99"], &out("local99.csv"));
    link(
        &["--threshold", "0.99", "--engine", "ballista"],
        &out("ballista99.csv"),
    );
    let local99 = std::fs::read_to_string(out("local99.csv")).unwrap();
    assert_eq!(
        local99,
        std::fs::read_to_string(out("ballista99.csv")).unwrap()
    );
    assert!(local99.lines().count() < local.lines().count());
}

#[test]
fn unreachable_scheduler_is_a_chinese_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let made = lists::make_lists(&lists::Spec {
        left_persons: 30,
        ..lists::Spec::small(5)
    });
    let (left, right) = (dir.path().join("left.csv"), dir.path().join("right.csv"));
    write_csv(&left, &made.left);
    write_csv(&right, &made.right);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let scheduler = format!("df://127.0.0.1:{port}");
    let out = dir.path().join("links.csv");
    let o = run(&[
        "link",
        left.to_str().unwrap(),
        right.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--engine",
        "ballista",
        "--scheduler",
        &scheduler,
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("无法连接 Ballista 调度器 {scheduler}")),
        "{err}"
    );
    assert!(
        !err.contains("内部错误") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!out.exists(), "no output on failure");
}
