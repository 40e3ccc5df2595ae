//! Times `zizhu_link::link` on generated lists (with ground truth) or on two
//! CSV files.
//!
//! ```text
//! cargo run --release -p zizhu-link --example link_bench -- 100k        # 100k × 30k
//! cargo run --release -p zizhu-link --example link_bench -- 1m          # 1M × 300k
//! cargo run --release -p zizhu-link --example link_bench -- 100k --write /tmp/lists
//! cargo run --release -p zizhu-link --example link_bench -- 100k --write /tmp/lists --no-link
//! cargo run --release -p zizhu-link --example link_bench -- LEFT.csv RIGHT.csv [--out LINKS.csv]
//! ```
//!
//! `--write DIR` also saves the generated lists as `left.csv`, `right.csv`
//! and the truth as `truth.csv` (left_id,right_id), so that another tool
//! can be run on exactly the same input.
#![expect(
    clippy::float_arithmetic,
    reason = "timings and quality ratios are floats, not money"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;
use zizhu_link::{LinkConfig, Record, link, read_csv, write_links_csv};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .map(|(_, a)| a)
        .collect();
    let mut config = LinkConfig::default();
    if let Some(t) = value_of("--threshold") {
        config.threshold = Some(t.parse().expect("--threshold takes a probability"));
    }
    if let Some(n) = value_of("--max-block") {
        config.max_block_pairs = n.parse().expect("--max-block takes a number of pairs");
    }
    match positional.as_slice() {
        [left, right] if left.ends_with(".csv") => {
            run_files(
                left,
                right,
                value_of("--out").as_deref(),
                value_of("--truth").as_deref(),
                &config,
            );
        }
        sizes => {
            let sizes: Vec<&str> = if sizes.is_empty() {
                vec!["100k"]
            } else {
                sizes.iter().map(|s| s.as_str()).collect()
            };
            for size in sizes {
                let (l, r) = match size {
                    "small" => (4_000, 2_400),
                    "100k" => (100_000, 30_000),
                    "1m" => (1_000_000, 300_000),
                    other => panic!("unknown size {other}: use small, 100k or 1m"),
                };
                let link_too = !args.iter().any(|a| a == "--no-link");
                run_generated(l, r, value_of("--write").as_deref(), link_too, &config);
            }
        }
    }
}

fn read(path: &str) -> Vec<Record> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_csv(BufReader::new(file)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run_files(left: &str, right: &str, out: Option<&str>, truth: Option<&str>, config: &LinkConfig) {
    let t = Instant::now();
    let (l, r) = (read(left), read(right));
    println!(
        "read {} × {} rows in {:.2} s",
        l.len(),
        r.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let result = link(&l, &r, config);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "link: {} links in {secs:.2} s on {} threads; {:?}",
        result.links.len(),
        rayon::current_num_threads(),
        result.stats
    );
    if let Some(out) = out {
        let file = File::create(out).unwrap_or_else(|e| panic!("{out}: {e}"));
        write_links_csv(BufWriter::new(file), &l, &r, &result).expect("write links");
    }
    if let Some(truth) = truth {
        let mut rdr = csv::Reader::from_path(truth).unwrap_or_else(|e| panic!("{truth}: {e}"));
        let expected: std::collections::HashSet<(String, String)> = rdr
            .records()
            .map(|row| {
                let row = row.expect("truth row");
                (row[0].to_string(), row[1].to_string())
            })
            .collect();
        let found: Vec<(String, String)> = result
            .links
            .iter()
            .map(|k| {
                (
                    l[k.left_index].record_id.clone(),
                    r[k.right_index].record_id.clone(),
                )
            })
            .collect();
        let correct = found.iter().filter(|p| expected.contains(*p)).count();
        let mut only = vec![0usize; zizhu_link::BlockingRule::ALL.len()];
        for (k, p) in result.links.iter().zip(&found) {
            if expected.contains(p)
                && let [rule] = k.blocking_rules.as_slice()
            {
                only[*rule as usize] += 1;
            }
        }
        println!(
            "  pairs per rule {:?}",
            result.stats.blocking.pairs_per_rule
        );
        println!("  correct links found by one rule only {only:?}");
        let precision = correct as f64 / found.len().max(1) as f64;
        let recall = correct as f64 / expected.len().max(1) as f64;
        println!(
            "truth {}: {} links, {} true pairs, precision {precision:.4}, recall {recall:.4}, F1 {:.4}",
            truth,
            found.len(),
            expected.len(),
            2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE)
        );
        if std::env::var_os("LINK_BENCH_SHOW").is_some() {
            let by_id = |rows: &[Record]| -> HashMap<String, usize> {
                rows.iter()
                    .enumerate()
                    .map(|(i, x)| (x.record_id.clone(), i))
                    .collect()
            };
            let (li, ri) = (by_id(&l), by_id(&r));
            for k in result.links.iter() {
                let p = (
                    l[k.left_index].record_id.clone(),
                    r[k.right_index].record_id.clone(),
                );
                if !expected.contains(&p) {
                    println!(
                        "  FALSE p={:.3} {:?}\n        {:?}\n        {:?}",
                        k.match_probability,
                        l[k.left_index],
                        r[k.right_index],
                        k.explanation
                            .terms
                            .iter()
                            .map(|t| format!(
                                "{}:{}:{:+.1}",
                                t.field.column(),
                                t.level_name,
                                t.weight
                            ))
                            .collect::<Vec<_>>()
                    );
                }
            }
            let linked: std::collections::HashSet<(String, String)> = found.into_iter().collect();
            for p in expected.iter().filter(|p| !linked.contains(*p)).take(60) {
                if let (Some(&a), Some(&b)) = (li.get(&p.0), ri.get(&p.1)) {
                    println!("  MISS {:?}\n        {:?}", l[a], r[b]);
                }
            }
        }
    }
}

fn run_generated(
    left_persons: usize,
    right_persons: usize,
    write: Option<&str>,
    link_too: bool,
    config: &LinkConfig,
) {
    let t = Instant::now();
    let lists = common::make_lists(&common::Spec::sized(
        left_persons,
        right_persons,
        20_181_231,
    ));
    println!(
        "generated {} × {} rows in {:.2} s",
        lists.left.len(),
        lists.right.len(),
        t.elapsed().as_secs_f64()
    );
    if let Some(dir) = write {
        write_lists(dir, &lists);
    }
    if !link_too {
        return;
    }
    let t = Instant::now();
    let result = link(&lists.left, &lists.right, config);
    let secs = t.elapsed().as_secs_f64();
    let predicted: Vec<(usize, usize)> = result
        .links
        .iter()
        .map(|l| (l.left_index, l.right_index))
        .collect();
    let q = common::quality(&lists, &predicted);
    println!(
        "link {} × {}: {secs:.2} s on {} threads; {} links, {} true pairs; precision {:.4}, recall {:.4}, F1 {:.4}",
        lists.left.len(),
        lists.right.len(),
        rayon::current_num_threads(),
        q.predicted,
        q.true_pairs,
        q.precision,
        q.recall,
        q.f1
    );
    println!(
        "  candidates {}, shared keys {}, dropped keys {} ({} pairs), EM iterations {}, prior {:.3e}, duplicates linked {}",
        result.stats.blocking.candidate_pairs,
        result.stats.blocking.shared_keys,
        result.stats.blocking.dropped_keys,
        result.stats.blocking.dropped_pairs,
        result.model.iterations,
        result.model.prior,
        result.stats.duplicate_links
    );
    println!(
        "  pairs per rule {:?}",
        result.stats.blocking.pairs_per_rule
    );
    // Correct links that only one rule found: what each rule is worth.
    let mut only = vec![0usize; zizhu_link::BlockingRule::ALL.len()];
    for l in &result.links {
        if lists.left_person[l.left_index] == lists.right_person[l.right_index]
            && let [rule] = l.blocking_rules.as_slice()
        {
            only[*rule as usize] += 1;
        }
    }
    println!("  correct links found by one rule only {only:?}");
    if std::env::var_os("LINK_BENCH_SHOW").is_some() {
        for l in &result.links {
            if lists.left_person[l.left_index] != lists.right_person[l.right_index] {
                println!(
                    "  FALSE p={:.3} {:?}\n        {:?}\n        {:?}",
                    l.match_probability,
                    lists.left[l.left_index],
                    lists.right[l.right_index],
                    l.explanation
                        .terms
                        .iter()
                        .map(|t| format!("{}:{}:{:+.1}", t.field.column(), t.level_name, t.weight))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
    if std::env::var_os("LINK_BENCH_SHOW").is_some() {
        for p in lists
            .split_twins
            .iter()
            .filter(|p| predicted.binary_search(p).is_ok())
        {
            println!(
                "  TWINS {:?}\n        {:?}",
                lists.left[p.0], lists.right[p.1]
            );
        }
    }
    let twins_merged = lists
        .split_twins
        .iter()
        .filter(|p| predicted.binary_search(p).is_ok())
        .count();
    let traps_merged = lists
        .traps
        .iter()
        .filter(|p| predicted.binary_search(p).is_ok())
        .count();
    println!(
        "  split twins merged {twins_merged} of {}, common-name traps merged {traps_merged} of {}",
        lists.split_twins.len(),
        lists.traps.len()
    );
}

fn write_lists(dir: &str, lists: &common::Lists) {
    std::fs::create_dir_all(dir).expect("create output folder");
    let write = |name: &str, rows: &[Record]| {
        let mut w = csv::Writer::from_path(format!("{dir}/{name}")).expect("create csv");
        w.write_record([
            "record_id",
            "name",
            "sex",
            "birth_date",
            "id_number",
            "guardian_name",
            "address",
        ])
        .expect("write");
        for r in rows {
            w.write_record([
                &r.record_id,
                &r.name,
                &r.sex,
                &r.birth_date,
                &r.id_number,
                &r.guardian_name,
                &r.address,
            ])
            .expect("write");
        }
        w.flush().expect("flush");
    };
    write("left.csv", &lists.left);
    write("right.csv", &lists.right);
    let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (r, p) in lists.right_person.iter().enumerate() {
        rows_of.entry(*p).or_default().push(r);
    }
    let mut truth = BufWriter::new(File::create(format!("{dir}/truth.csv")).expect("truth"));
    writeln!(truth, "left_id,right_id").expect("write");
    for (l, p) in lists.left_person.iter().enumerate() {
        for &r in rows_of.get(p).map(Vec::as_slice).unwrap_or(&[]) {
            writeln!(
                truth,
                "{},{}",
                lists.left[l].record_id, lists.right[r].record_id
            )
            .expect("write");
        }
    }
    println!("wrote {dir}/left.csv, right.csv, truth.csv");
}
