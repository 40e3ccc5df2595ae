//! zizhu-link: the comparison engine (大数据比对) — Chinese-aware record
//! linkage between two department lists.
//!
//! The pipeline is a chain of pure steps over plain values, so that each can
//! later become a DataFusion UDF unchanged:
//!
//! 1. [`prepare`]: normalise one raw [`Record`] into a [`Prepared`] record
//!    (ID repairs, traditional → simplified, pinyin, dates, address parts).
//! 2. [`blocking_keys`]: the keys that decide which pairs are compared.
//! 3. [`compare`]: the comparison vector of one pair (a level per field).
//! 4. [`Model::weight`] / [`Model::explain`]: Fellegi–Sunter scoring with
//!    m/u learnt by EM, term-frequency adjusted, with a twin guard.
//!
//! [`link`] runs them in parallel, trains the model without labels, and
//! resolves the candidates one-to-one. The linker proposes; it never changes
//! registry data.
#![expect(
    clippy::float_arithmetic,
    reason = "match probabilities and log Bayes factors are floats; no money is computed here"
)]

mod blocking;
mod compare;
mod confusable;
mod model;
mod normalize;
mod record;
mod syllable;

pub use blocking::{BlockingKey, BlockingRule, BlockingStats, blocking_keys, has_year};
pub use compare::{
    AddressLevel, Comparison, DateLevel, Field, GuardianLevel, IdLevel, NameLevel, SexLevel,
    bigram_overlap, compare, compare_addresses, compare_dates, compare_guardians, compare_ids,
    compare_names, compare_sex,
};
pub use model::{Explanation, FieldParams, Model, TWIN_GUARD, Term, TermFrequencies, vetoed};
pub use normalize::{
    AddressFeature, DateParts, IdDigits, IdFeature, NameFeature, Prepared, guardian_text,
    parse_date, parse_sex, prepare, prepare_all,
};
pub use record::{LinkError, Record, read_csv, write_links_csv};

pub use model::CandidatePatterns;

use blocking::{KeyIndex, candidate_pairs};
use model::{RandomPatterns, sorted};
use rayon::prelude::*;
use std::collections::HashMap;

/// Settings of one linkage run.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkConfig {
    /// Minimum match probability of a link; `None` lets the tool choose
    /// (see [`DEFAULT_THRESHOLD`]).
    pub threshold: Option<f64>,
    /// A blocking key whose block would hold more pairs than this is dropped.
    pub max_block_pairs: u64,
    /// Each record links to at most one record of the other list (apart
    /// from within-list duplicates, below).
    pub one_to_one: bool,
    /// When one list holds the same person twice, link the second copy too,
    /// provided the two copies match each other.
    pub link_duplicates: bool,
    /// Random pairs sampled to estimate u (fewer for small lists: at most
    /// 50 per record).
    pub random_pairs: u64,
    /// Upper bound on EM iterations.
    pub max_em_iterations: usize,
    /// Seed of the random-pair sample; the output depends only on the input
    /// and this seed.
    pub seed: u64,
}

/// The threshold used when none is given. The posterior is calibrated
/// against the estimated prior, so 0.5 is the point where a link is more
/// likely right than wrong; the one-to-one step then removes most of the
/// remaining false links.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

impl Default for LinkConfig {
    fn default() -> LinkConfig {
        LinkConfig {
            threshold: None,
            max_block_pairs: 20_000,
            one_to_one: true,
            link_duplicates: true,
            random_pairs: 1_000_000,
            max_em_iterations: 60,
            seed: 0x5a5a_2018_0431_1260,
        }
    }
}

/// One proposed link.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Index into the left list.
    pub left_index: usize,
    /// Index into the right list.
    pub right_index: usize,
    /// Posterior probability that the two records are the same person.
    pub match_probability: f64,
    /// The blocking rules that brought the pair together.
    pub blocking_rules: Vec<BlockingRule>,
    /// How the probability came about.
    pub explanation: Explanation,
}

/// Counters of one run, for logs and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Records in the left list.
    pub left_records: usize,
    /// Records in the right list.
    pub right_records: usize,
    /// What blocking did.
    pub blocking: BlockingStats,
    /// Random pairs compared for u.
    pub random_pairs: u64,
    /// Candidate pairs at or above the threshold before one-to-one resolution.
    pub pairs_above_threshold: usize,
    /// Links added as within-list duplicates.
    pub duplicate_links: usize,
}

/// The outcome of [`link`].
#[derive(Clone, Debug, PartialEq)]
pub struct LinkResult {
    /// Links sorted by left index, then right index.
    pub links: Vec<Link>,
    /// The threshold applied.
    pub threshold: f64,
    /// The trained model.
    pub model: Model,
    /// Counters.
    pub stats: LinkStats,
}

/// A candidate pair and its comparison vector.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    left: u32,
    right: u32,
    rules: u16,
    comparison: Comparison,
}

/// How often each name, name pinyin and guardian name occurs across both
/// lists, for the term-frequency adjustment.
pub struct Frequencies {
    left: Vec<[u32; 3]>,
    right: Vec<[u32; 3]>,
    totals: [u32; 3],
}

fn value_keys(p: &Prepared) -> [Option<u64>; 3] {
    let hash_chars = |cs: &[char]| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &c in cs {
            h = (h ^ u64::from(u32::from(c))).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let name = (!p.name.is_missing()).then(|| hash_chars(&p.name.chars));
    let pinyin = (!p.name.is_missing()).then(|| {
        let mut h: u64 = 0x8422_2325_cbf2_9ce4;
        for (&c, &s) in p.name.chars.iter().zip(p.name.syllables.iter()) {
            let v = if s == syllable::NONE {
                u64::from(u32::from(c)) << 16
            } else {
                u64::from(s)
            };
            h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    });
    let guardian = (!p.guardian.is_missing()).then(|| hash_chars(&p.guardian.chars));
    [name, pinyin, guardian]
}

impl Frequencies {
    /// Counts the values of both lists.
    pub fn build(left: &[Prepared], right: &[Prepared]) -> Frequencies {
        let lk: Vec<[Option<u64>; 3]> = left.par_iter().map(value_keys).collect();
        let rk: Vec<[Option<u64>; 3]> = right.par_iter().map(value_keys).collect();
        let mut maps: [HashMap<u64, u32>; 3] = Default::default();
        let mut totals = [0u32; 3];
        for keys in lk.iter().chain(rk.iter()) {
            for (i, k) in keys.iter().enumerate() {
                if let Some(k) = k {
                    *maps[i].entry(*k).or_insert(0) += 1;
                    totals[i] += 1;
                }
            }
        }
        let lookup = |keys: &[Option<u64>; 3]| {
            let mut out = [0u32; 3];
            for (i, k) in keys.iter().enumerate() {
                out[i] = k.and_then(|k| maps[i].get(&k).copied()).unwrap_or(0);
            }
            out
        };
        Frequencies {
            left: lk.iter().map(lookup).collect(),
            right: rk.iter().map(lookup).collect(),
            totals,
        }
    }

    /// How often the name, name pinyin and guardian name of left record
    /// `i` occur across both lists.
    pub fn left_counts(&self, i: usize) -> [u32; 3] {
        self.left[i]
    }

    /// The number of non-missing names, name pinyins and guardian names
    /// across both lists.
    pub fn totals(&self) -> [u32; 3] {
        self.totals
    }

    fn of(&self, counts: [u32; 3]) -> TermFrequencies {
        TermFrequencies::from_counts(counts, self.totals)
    }
}

impl TermFrequencies {
    /// Shares from counts ([`Frequencies::left_counts`]) and totals
    /// ([`Frequencies::totals`]); what [`link`] scores a pair with.
    pub fn from_counts(counts: [u32; 3], totals: [u32; 3]) -> TermFrequencies {
        let share = |i: usize| {
            if totals[i] == 0 {
                0.0
            } else {
                f64::from(counts[i]) / f64::from(totals[i])
            }
        };
        TermFrequencies {
            name: share(0),
            name_pinyin: share(1),
            guardian: share(2),
        }
    }
}

/// SplitMix64: a tiny deterministic generator for the random-pair sample.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Picks `k` distinct row indexes out of `n`, deterministically.
fn sample_rows(n: usize, k: usize, seed: u64) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    let mut keyed: Vec<(u64, usize)> = (0..n)
        .map(|i| (splitmix(seed ^ splitmix(i as u64)), i))
        .collect();
    keyed.select_nth_unstable(k);
    let mut rows: Vec<usize> = keyed[..k].iter().map(|&(_, i)| i).collect();
    rows.sort_unstable();
    rows
}

/// Compares random pairs and counts their comparison vectors.
///
/// The pairs are all pairs between a random sample of left rows and a
/// random sample of right rows (about √N each), copied next to each other:
/// every such pair is a uniformly random pair, and comparing within a few
/// thousand records stays in cache, which makes a million comparisons
/// several times faster than a million scattered ones.
fn random_patterns(
    left: &[Prepared],
    right: &[Prepared],
    config: &LinkConfig,
) -> (RandomPatterns, u64) {
    if left.is_empty() || right.is_empty() {
        return (Vec::new(), 0);
    }
    // Small lists need fewer pairs for stable u-values: at most 50 per record.
    let per_record = 50 * (left.len() + right.len()) as u64;
    let target = config.random_pairs.min(per_record).max(1);
    let side = ((target as f64).sqrt().ceil() as usize).max(1);
    let (kl, kr) = if left.len() < side {
        (left.len(), (target as usize).div_ceil(left.len()))
    } else if right.len() < side {
        ((target as usize).div_ceil(right.len()), right.len())
    } else {
        (side, side)
    };
    let ls: Vec<Prepared> = sample_rows(left.len(), kl, config.seed)
        .into_iter()
        .map(|i| left[i].clone())
        .collect();
    let rs: Vec<Prepared> = sample_rows(right.len(), kr, config.seed.rotate_left(17))
        .into_iter()
        .map(|i| right[i].clone())
        .collect();
    let map = ls
        .par_iter()
        .fold(HashMap::new, |mut acc: HashMap<[u8; 6], u64>, l| {
            for r in &rs {
                *acc.entry(compare(l, r).codes()).or_insert(0) += 1;
            }
            acc
        })
        .reduce(HashMap::new, merge_counts);
    (sorted(map), (ls.len() * rs.len()) as u64)
}

fn merge_counts<K: std::hash::Hash + Eq>(
    mut a: HashMap<K, u64>,
    b: HashMap<K, u64>,
) -> HashMap<K, u64> {
    for (k, v) in b {
        *a.entry(k).or_insert(0) += v;
    }
    a
}

/// Rebuilds a comparison vector from its level codes (as a columnar engine
/// would store them); out-of-range codes read as the field's last level.
pub fn comparison_from(codes: [u8; 6]) -> Comparison {
    const ID: [IdLevel; 6] = [
        IdLevel::Exact,
        IdLevel::Repaired,
        IdLevel::SameAreaBirth,
        IdLevel::BirthPart,
        IdLevel::Disagree,
        IdLevel::Missing,
    ];
    const NAME: [NameLevel; 6] = [
        NameLevel::Exact,
        NameLevel::Homophone,
        NameLevel::Typo,
        NameLevel::SurnameOnly,
        NameLevel::Disagree,
        NameLevel::Missing,
    ];
    const DATE: [DateLevel; 4] = [
        DateLevel::Exact,
        DateLevel::OneOff,
        DateLevel::Disagree,
        DateLevel::Missing,
    ];
    const SEX: [SexLevel; 3] = [SexLevel::Agree, SexLevel::Disagree, SexLevel::Missing];
    const GUARDIAN: [GuardianLevel; 5] = [
        GuardianLevel::Exact,
        GuardianLevel::Similar,
        GuardianLevel::Disagree,
        GuardianLevel::OtherParent,
        GuardianLevel::Missing,
    ];
    const ADDRESS: [AddressLevel; 6] = [
        AddressLevel::Exact,
        AddressLevel::Village,
        AddressLevel::OtherGroup,
        AddressLevel::Township,
        AddressLevel::Disagree,
        AddressLevel::Missing,
    ];
    let pick = |i: usize, n: usize| usize::from(codes[i]).min(n - 1);
    Comparison {
        id_number: ID[pick(0, ID.len())],
        name: NAME[pick(1, NAME.len())],
        birth_date: DATE[pick(2, DATE.len())],
        sex: SEX[pick(3, SEX.len())],
        guardian: GUARDIAN[pick(4, GUARDIAN.len())],
        address: ADDRESS[pick(5, ADDRESS.len())],
    }
}

/// A scored candidate, ordered best first with a total, deterministic
/// tie-break on the indexes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// Total weight ([`Model::weight`]) of the pair.
    pub weight: f64,
    /// Index into the left list.
    pub left: u32,
    /// Index into the right list.
    pub right: u32,
    /// The blocking rules that paired them ([`BlockingRule::bit`]s).
    pub rules: u16,
}

fn by_score(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.weight
        .total_cmp(&a.weight)
        .then(a.left.cmp(&b.left))
        .then(a.right.cmp(&b.right))
}

/// The total weight a pair needs to reach match probability `p`.
pub fn threshold_weight(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

/// Links two lists. Deterministic: the same input and configuration give
/// the same result, whatever the number of threads.
pub fn link(left: &[Record], right: &[Record], config: &LinkConfig) -> LinkResult {
    let threshold = config
        .threshold
        .unwrap_or(DEFAULT_THRESHOLD)
        .clamp(0.0, 1.0);
    let lp = prepare_all(left);
    let rp = prepare_all(right);
    let freq = Frequencies::build(&lp, &rp);

    // Blocking, then comparison of every candidate pair.
    let (pairs, blocking) = {
        let lindex = KeyIndex::build(&lp.par_iter().map(blocking_keys).collect::<Vec<_>>());
        let rindex = KeyIndex::build(&rp.par_iter().map(blocking_keys).collect::<Vec<_>>());
        let left_has_year: Vec<bool> = lp.iter().map(has_year).collect();
        let right_has_year: Vec<bool> = rp.iter().map(has_year).collect();
        candidate_pairs(
            &lindex,
            &rindex,
            &left_has_year,
            &right_has_year,
            config.max_block_pairs,
        )
    };
    let candidates: Vec<Candidate> = pairs
        .par_iter()
        .map(|&(r, l, rules)| Candidate {
            left: l,
            right: r,
            rules,
            comparison: compare(&lp[l as usize], &rp[r as usize]),
        })
        .collect();
    drop(pairs);

    // Unsupervised training.
    let patterns: CandidatePatterns = sorted(
        candidates
            .par_iter()
            .fold(HashMap::new, |mut acc: HashMap<(u16, [u8; 6]), u64>, c| {
                *acc.entry((c.rules, c.comparison.codes())).or_insert(0) += 1;
                acc
            })
            .reduce(HashMap::new, merge_counts),
    );
    let (model, random_count) = train_model(&lp, &rp, &patterns, config);

    // Scoring.
    let cut = threshold_weight(threshold);
    let scored: Vec<Scored> = candidates
        .par_iter()
        .filter_map(|c| {
            let tf = freq.of(freq.left[c.left as usize]);
            let weight = model.weight(&c.comparison, &tf);
            (weight >= cut).then_some(Scored {
                weight,
                left: c.left,
                right: c.right,
                rules: c.rules,
            })
        })
        .collect();
    drop(candidates);
    let pairs_above_threshold = scored.len();
    let (links, duplicate_links) = resolve(&lp, &rp, &freq, &model, scored, threshold, config);

    LinkResult {
        links,
        threshold,
        model,
        stats: LinkStats {
            left_records: lp.len(),
            right_records: rp.len(),
            blocking,
            random_pairs: random_count,
            pairs_above_threshold,
            duplicate_links,
        },
    }
}

/// Trains the model on the candidates' comparison patterns (sorted, as
/// [`CandidatePatterns`] says) and on random pairs drawn from the prepared
/// lists; returns the model and the number of random pairs compared.
/// Deterministic, so an engine that finds and compares the candidates
/// elsewhere (a DataFusion plan on a Ballista cluster) gets the very model
/// [`link`] uses.
pub fn train_model(
    lp: &[Prepared],
    rp: &[Prepared],
    patterns: &CandidatePatterns,
    config: &LinkConfig,
) -> (Model, u64) {
    let (random, random_count) = random_patterns(lp, rp, config);
    let n_pairs = (lp.len() as f64 * rp.len() as f64).max(1.0);
    let max_matches = lp.len().min(rp.len()).max(1) as f64;
    let model = model::train(
        patterns,
        &random,
        n_pairs,
        max_matches,
        config.max_em_iterations,
    );
    (model, random_count)
}

/// Turns the candidates scored at or above the threshold (in any order)
/// into links: best first, one-to-one when the configuration asks for it,
/// then within-list duplicates; each link with its explanation. Returns
/// the links sorted by (left, right) and how many were duplicates.
pub fn resolve(
    lp: &[Prepared],
    rp: &[Prepared],
    freq: &Frequencies,
    model: &Model,
    mut scored: Vec<Scored>,
    threshold: f64,
    config: &LinkConfig,
) -> (Vec<Link>, usize) {
    let cut = threshold_weight(threshold);
    scored.par_sort_unstable_by(by_score);

    // One-to-one resolution, best first, then within-list duplicates.
    let mut chosen: Vec<(Scored, Option<usize>)> = Vec::new();
    if config.one_to_one {
        let mut left_of_right: Vec<Option<u32>> = vec![None; rp.len()];
        let mut right_of_left: Vec<Option<u32>> = vec![None; lp.len()];
        let mut deferred = Vec::new();
        for s in &scored {
            let (l, r) = (s.left as usize, s.right as usize);
            if right_of_left[l].is_none() && left_of_right[r].is_none() {
                right_of_left[l] = Some(s.right);
                left_of_right[r] = Some(s.left);
                chosen.push((*s, None));
            } else {
                deferred.push(*s);
            }
        }
        if config.link_duplicates {
            for s in deferred {
                let (l, r) = (s.left as usize, s.right as usize);
                let dup = match (right_of_left[l], left_of_right[r]) {
                    (None, Some(l1)) => {
                        let first = l1 as usize;
                        let c = compare(&lp[first], &lp[l]);
                        let tf = freq.of(freq.left[first]);
                        (model.weight(&c, &tf) >= cut).then_some((first, true))
                    }
                    (Some(r1), None) => {
                        let first = r1 as usize;
                        let c = compare(&rp[first], &rp[r]);
                        let tf = freq.of(freq.right[first]);
                        (model.weight(&c, &tf) >= cut).then_some((first, false))
                    }
                    // The person is duplicated in both lists (l1–r1 and
                    // l–r2 already linked): l–r is the same person when l
                    // duplicates l1 and r duplicates r1.
                    (Some(r1), Some(l1)) if r1 != s.right && l1 != s.left => {
                        let (l1, r1) = (l1 as usize, r1 as usize);
                        let same_left =
                            model.weight(&compare(&lp[l1], &lp[l]), &freq.of(freq.left[l1]));
                        let same_right =
                            model.weight(&compare(&rp[r1], &rp[r]), &freq.of(freq.right[r1]));
                        (same_left >= cut && same_right >= cut).then_some((l1, true))
                    }
                    _ => None,
                };
                if let Some((first, is_left)) = dup {
                    if is_left {
                        right_of_left[l] = Some(s.right);
                    } else {
                        left_of_right[r] = Some(s.left);
                    }
                    chosen.push((s, Some(first)));
                }
            }
        }
    } else {
        chosen = scored.iter().map(|s| (*s, None)).collect();
    }
    drop(scored);
    let duplicate_links = chosen.iter().filter(|(_, d)| d.is_some()).count();

    let mut links: Vec<Link> = chosen
        .par_iter()
        .map(|(s, dup)| {
            let (l, r) = (s.left as usize, s.right as usize);
            let c = compare(&lp[l], &rp[r]);
            let tf = freq.of(freq.left[l]);
            let mut explanation = model.explain(&c, &tf);
            explanation.duplicate_of = *dup;
            Link {
                left_index: l,
                right_index: r,
                match_probability: Model::probability(s.weight),
                blocking_rules: BlockingRule::ALL
                    .into_iter()
                    .filter(|rule| s.rules & rule.bit() != 0)
                    .collect(),
                explanation,
            }
        })
        .collect();
    links.sort_unstable_by_key(|k| (k.left_index, k.right_index));
    (links, duplicate_links)
}
