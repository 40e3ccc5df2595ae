//! The Ballista path against the local engine, in standalone mode (an
//! in-process scheduler and executor over loopback gRPC), on the list
//! maker of `zizhu-link`'s own tests: households with twins split across
//! the lists, common-name traps, duplicates and every kind of damage.

#[path = "../../zizhu-link/tests/common/mod.rs"]
mod common;

use common::{Spec, make_lists};
use std::collections::HashSet;
use zizhu_distributed::{
    DistributedError, DistributedOptions, link_distributed, link_distributed_blocking,
};
use zizhu_link::{LinkConfig, LinkResult, link, write_links_csv};

fn csv(lists: &common::Lists, result: &LinkResult) -> String {
    let mut out = Vec::new();
    write_links_csv(&mut out, &lists.left, &lists.right, result).unwrap();
    String::from_utf8(out).unwrap()
}

fn same_as_local(spec: &Spec, config: &LinkConfig) -> LinkResult {
    let lists = make_lists(spec);
    let local = link(&lists.left, &lists.right, config);
    let distributed = link_distributed_blocking(
        &lists.left,
        &lists.right,
        config,
        &DistributedOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // The output file, byte for byte.
    let (a, b) = (csv(&lists, &local), csv(&lists, &distributed));
    assert!(a.lines().count() > 500, "too few links to mean anything");
    assert_eq!(a, b, "LINKS.csv differs between the engines");
    // And everything behind it: the model, every link's rules and explanation.
    assert_eq!(local.model, distributed.model);
    assert_eq!(local.links, distributed.links);
    assert_eq!(local.threshold, distributed.threshold);
    assert_eq!(
        local.stats.blocking.candidate_pairs,
        distributed.stats.blocking.candidate_pairs
    );
    assert_eq!(
        local.stats.pairs_above_threshold,
        distributed.stats.pairs_above_threshold
    );
    assert_eq!(
        local.stats.duplicate_links,
        distributed.stats.duplicate_links
    );

    // The traps hold on the distributed path too.
    let linked: HashSet<(usize, usize)> = distributed
        .links
        .iter()
        .map(|l| (l.left_index, l.right_index))
        .collect();
    assert!(!lists.split_twins.is_empty() && !lists.traps.is_empty());
    for pair in lists.split_twins.iter().chain(&lists.traps) {
        assert!(!linked.contains(pair), "twins or trap merged: {pair:?}");
    }
    distributed
}

#[test]
fn standalone_output_is_identical_to_local() {
    let result = same_as_local(&Spec::small(1), &LinkConfig::default());
    assert!(
        result.stats.duplicate_links > 0,
        "the within-list duplicate step went untested"
    );
}

#[test]
fn identical_with_a_threshold_and_a_small_block_cap() {
    // A high threshold exercises the filter in the plan; a tiny cap makes
    // the plan drop oversized blocks, which must be the local engine's.
    let config = LinkConfig {
        threshold: Some(0.95),
        max_block_pairs: 4,
        ..LinkConfig::default()
    };
    let spec = Spec {
        left_persons: 2500,
        ..Spec::small(12)
    };
    let local = link(&make_lists(&spec).left, &make_lists(&spec).right, &config);
    assert!(
        local.stats.blocking.dropped_keys > 0,
        "the cap dropped nothing"
    );
    same_as_local(&spec, &config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_scheduler_is_a_clear_chinese_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let lists = make_lists(&Spec {
        left_persons: 50,
        ..Spec::small(3)
    });
    let options = DistributedOptions {
        scheduler: Some(format!("df://127.0.0.1:{port}")),
        staging_dir: None,
    };
    let err = link_distributed(&lists.left, &lists.right, &LinkConfig::default(), &options)
        .await
        .expect_err("no scheduler listens there");
    assert!(
        matches!(err, DistributedError::Unreachable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("无法连接 Ballista 调度器 df://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains(&port.to_string()), "{text}");

    let options = DistributedOptions {
        scheduler: Some("http://127.0.0.1:50050".into()),
        staging_dir: None,
    };
    let err = link_distributed(&lists.left, &lists.right, &LinkConfig::default(), &options)
        .await
        .expect_err("not a df:// address");
    assert!(err.to_string().contains("应形如 df://主机:端口"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_list_links_nothing() {
    let lists = make_lists(&Spec {
        left_persons: 20,
        ..Spec::small(4)
    });
    let result = link_distributed(
        &lists.left,
        &[],
        &LinkConfig::default(),
        &DistributedOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(result.links.is_empty());
    assert_eq!(result.stats.left_records, lists.left.len());
}
