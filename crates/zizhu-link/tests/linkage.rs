//! End-to-end linkage on synthetic lists with ground truth.

mod common;

use common::{Spec, make_lists, quality};
use std::collections::HashSet;
use zizhu_link::{LinkConfig, LinkResult, link, write_links_csv};

/// Precision floor on the maker's lists.
const PRECISION_FLOOR: f64 = 0.99;
/// Recall floor on the maker's lists.
const RECALL_FLOOR: f64 = 0.98;

fn pairs(result: &LinkResult) -> Vec<(usize, usize)> {
    result
        .links
        .iter()
        .map(|l| (l.left_index, l.right_index))
        .collect()
}

fn run(seed: u64) {
    let lists = make_lists(&Spec::small(seed));
    let result = link(&lists.left, &lists.right, &LinkConfig::default());
    let predicted = pairs(&result);
    let q = quality(&lists, &predicted);
    eprintln!(
        "seed {seed}: {} × {} rows, {} true pairs, {} predicted, precision {:.4}, recall {:.4}, F1 {:.4}; prior {:.3e}, {} EM iterations, {} candidates",
        lists.left.len(),
        lists.right.len(),
        q.true_pairs,
        q.predicted,
        q.precision,
        q.recall,
        q.f1,
        result.model.prior,
        result.model.iterations,
        result.stats.blocking.candidate_pairs,
    );
    let linked: HashSet<(usize, usize)> = predicted.iter().copied().collect();
    for twins in &lists.split_twins {
        assert!(
            !linked.contains(twins),
            "twins merged: {:?} / {:?}",
            lists.left[twins.0],
            lists.right[twins.1]
        );
    }
    for trap in &lists.traps {
        assert!(
            !linked.contains(trap),
            "common-name trap merged: {:?} / {:?}",
            lists.left[trap.0],
            lists.right[trap.1]
        );
    }
    assert!(!lists.split_twins.is_empty() && !lists.traps.is_empty());
    assert!(
        q.precision >= PRECISION_FLOOR,
        "precision {:.4}",
        q.precision
    );
    assert!(q.recall >= RECALL_FLOOR, "recall {:.4}", q.recall);
}

#[test]
fn links_the_maker_lists_seed_1() {
    run(1);
}

#[test]
fn links_the_maker_lists_seed_2() {
    run(2);
}

#[test]
fn links_the_maker_lists_seed_3() {
    run(3);
}

fn csv_bytes(threads: usize, seed: u64) -> Vec<u8> {
    let lists = make_lists(&Spec::small(seed));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let result = pool.install(|| link(&lists.left, &lists.right, &LinkConfig::default()));
    let mut out = Vec::new();
    write_links_csv(&mut out, &lists.left, &lists.right, &result).expect("write");
    out
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let one = csv_bytes(1, 7);
    let again = csv_bytes(1, 7);
    let four = csv_bytes(4, 7);
    assert_eq!(one, again);
    assert_eq!(one, four);
    let text = String::from_utf8(one).expect("utf-8");
    assert!(text.starts_with("left_id,right_id,match_probability\n"));
    let line = text.lines().nth(1).expect("a link");
    let p = line.rsplit(',').next().expect("probability");
    assert_eq!(p.split('.').nth(1).map(str::len), Some(6), "{line}");
}

#[test]
fn explanations_add_up() {
    let lists = make_lists(&Spec::small(11));
    let result = link(&lists.left, &lists.right, &LinkConfig::default());
    for l in result.links.iter().take(200) {
        let e = &l.explanation;
        let sum: f64 = e.prior_weight + e.terms.iter().map(|t| t.weight).sum::<f64>();
        assert!((sum - e.total_weight).abs() < 1e-9);
        assert_eq!(e.terms.len(), 6);
        assert!(e.veto.is_none());
        if e.duplicate_of.is_none() {
            assert!((e.match_probability() - l.match_probability).abs() < 1e-9);
        }
    }
}

#[test]
fn empty_and_blank_lists_link_nothing() {
    let blank = |id: &str| zizhu_link::Record {
        record_id: id.to_string(),
        ..zizhu_link::Record::default()
    };
    let config = LinkConfig::default();
    assert!(link(&[], &[], &config).links.is_empty());
    assert!(link(&[blank("L1")], &[], &config).links.is_empty());
    assert!(link(&[], &[blank("R1")], &config).links.is_empty());
    let result = link(&[blank("L1"), blank("L2")], &[blank("R1")], &config);
    assert!(result.links.is_empty(), "{:?}", result.links);
}

#[test]
fn a_person_duplicated_in_both_lists_links_every_pair_of_rows() {
    let mut lists = make_lists(&Spec::small(5));
    // Persons that appear exactly once in each list, with all their fields,
    // each copied a second time into both lists.
    let once = |persons: &[u32], p: u32| persons.iter().filter(|&&q| q == p).count() == 1;
    let chosen: Vec<(usize, usize)> = lists
        .left_person
        .iter()
        .enumerate()
        .filter_map(|(l, &p)| {
            let r = lists.right_person.iter().position(|&q| q == p)?;
            (once(&lists.left_person, p) && once(&lists.right_person, p)).then_some((l, r))
        })
        .filter(|&(l, r)| {
            let full = |x: &zizhu_link::Record| {
                !x.id_number.is_empty() && !x.birth_date.is_empty() && !x.name.is_empty()
            };
            full(&lists.left[l]) && full(&lists.right[r])
        })
        .take(20)
        .collect();
    assert_eq!(chosen.len(), 20);
    let mut expected = Vec::new();
    for &(l, r) in &chosen {
        let mut l2 = lists.left[l].clone();
        l2.record_id.push_str("-dup");
        let mut r2 = lists.right[r].clone();
        r2.record_id.push_str("-dup");
        lists.left.push(l2);
        lists.right.push(r2);
        let (l2, r2) = (lists.left.len() - 1, lists.right.len() - 1);
        expected.extend([(l, r), (l, r2), (l2, r), (l2, r2)]);
    }
    let result = link(&lists.left, &lists.right, &LinkConfig::default());
    let linked: HashSet<(usize, usize)> = pairs(&result).into_iter().collect();
    let missing: Vec<_> = expected.iter().filter(|p| !linked.contains(p)).collect();
    assert!(
        missing.is_empty(),
        "missing {} of {}: {missing:?}",
        missing.len(),
        expected.len()
    );
}
