//! Fellegi–Sunter scoring with parameters learnt without labels.
//!
//! For every comparison level, `m` is the probability of that level among
//! true matches and `u` among non-matches; the level's weight is
//! `log2(m/u)`, the log Bayes factor. `u` is measured on random pairs (which
//! are almost all non-matches; the few matches among them are discounted by
//! their posterior). `m` is learnt by expectation–maximisation on the
//! blocked candidate pairs, one "session" per blocking rule that leaves out
//! the fields the rule forced to agree, as Splink does. The prior — the
//! probability that two random records match — is re-estimated from the
//! expected number of matches among the candidates.
//!
//! All sums run serially over aggregated patterns in a fixed order, so the
//! learnt model, and hence the output, never depends on thread scheduling.

use crate::blocking::BlockingRule;
use crate::compare::{Comparison, Field, IdLevel, NameLevel};
use std::collections::HashMap;

/// Parameters of one field: `m` and `u` per level, excluding the last
/// ("missing") level, which has weight 0.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldParams {
    /// Probability of each level among matches.
    pub m: Vec<f64>,
    /// Probability of each level among non-matches.
    pub u: Vec<f64>,
}

/// A trained Fellegi–Sunter model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Per-field parameters, in [`Field::ALL`] order.
    pub fields: Vec<FieldParams>,
    /// Probability that two random records (one from each list) match.
    pub prior: f64,
    /// EM iterations run.
    pub iterations: usize,
}

/// Relative frequencies of the values that a pair agrees on, for the
/// term-frequency adjustment (王芳 agreeing is weaker evidence than 欧阳娜娜).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TermFrequencies {
    /// Share of records with this exact normalised name.
    pub name: f64,
    /// Share of records with this name pinyin.
    pub name_pinyin: f64,
    /// Share of records with this exact guardian name.
    pub guardian: f64,
}

/// The part one field played in a pair's score.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The field compared.
    pub field: Field,
    /// The comparison level's code (see [`Field::levels`]).
    pub level: u8,
    /// The level's English code name.
    pub level_name: &'static str,
    /// The level's Chinese label.
    pub level_label: &'static str,
    /// log2 Bayes factor of this comparison, including the term-frequency
    /// adjustment.
    pub weight: f64,
    /// The term-frequency part of `weight`.
    pub tf_adjustment: f64,
}

/// Why a pair got its probability: each comparison's level and weight, the
/// prior, and the total.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// log2 prior odds, `log2(λ/(1-λ))`.
    pub prior_weight: f64,
    /// One term per field, in [`Field::ALL`] order.
    pub terms: Vec<Term>,
    /// Prior weight plus all term weights.
    pub total_weight: f64,
    /// A rule that overrode the weights, if any (the twin guard).
    pub veto: Option<&'static str>,
    /// When this link was added as a within-list duplicate, the index (in
    /// the same list) of the record that was linked first.
    pub duplicate_of: Option<usize>,
}

/// The twin guard's explanation.
pub const TWIN_GUARD: &str = "姓名不同（同姓不同名或全不同）且身份证号未能证实为同一人：按不同人处理，防止双胞胎或兄弟姐妹误合并";

/// Largest term-frequency adjustment, in bits, either way: beyond this the
/// estimate rests on too few records to trust.
const MAX_TF_BITS: f64 = 8.0;

/// Smallest probability any level keeps, so that no single comparison can
/// be infinitely strong evidence.
const MIN_PROB: f64 = 1e-7;

/// Strength of the prior m-values in EM, in pseudo-pairs.
const PRIOR_PAIRS: f64 = 20.0;

/// Domain knowledge used as the starting point and Bayesian prior of EM.
fn default_m(field: Field) -> &'static [f64] {
    match field {
        Field::IdNumber => &[0.88, 0.05, 0.004, 0.006, 0.06],
        Field::Name => &[0.80, 0.07, 0.08, 0.01, 0.04],
        Field::BirthDate => &[0.90, 0.07, 0.03],
        Field::Sex => &[0.97, 0.03],
        Field::Guardian => &[0.60, 0.15, 0.05, 0.20],
        Field::Address => &[0.60, 0.25, 0.03, 0.07, 0.05],
    }
}

/// The twin guard. Twins share birth date, household, guardian and
/// address, so the independence assumption of Fellegi–Sunter lets those
/// agreements outvote anything; two rules stop it:
///
/// - names that differ beyond a slip (same surname with another given name,
///   or wholly different) are only the same person if the ID number says so;
/// - two valid ID numbers with the same area and birth date but a different
///   sequence are the signature of twins (or same-day births in one
///   county): valid numbers are unique, and a single slip never yields
///   another valid number, so they are different people even when the names
///   agree (a same-day namesake is far likelier than a double slip).
pub fn vetoed(c: &Comparison) -> bool {
    let names_differ = matches!(c.name, NameLevel::SurnameOnly | NameLevel::Disagree)
        && !matches!(c.id_number, IdLevel::Exact | IdLevel::Repaired);
    let twin_ids = c.id_number == IdLevel::SameAreaBirth;
    names_differ || twin_ids
}

fn vetoed_codes(codes: &[u8; 6]) -> bool {
    vetoed(&crate::comparison_from(*codes))
}

fn logit2(p: f64) -> f64 {
    (p / (1.0 - p)).log2()
}

fn sigmoid2(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

impl Model {
    /// The untrained model: default m-values, uniform u-values.
    pub fn initial(prior: f64) -> Model {
        let fields = Field::ALL
            .iter()
            .map(|&f| {
                let m = default_m(f).to_vec();
                let n = m.len() as f64;
                FieldParams {
                    u: vec![1.0 / n; m.len()],
                    m,
                }
            })
            .collect();
        Model {
            fields,
            prior,
            iterations: 0,
        }
    }

    /// log2 Bayes factor of one field's level, without term frequencies.
    pub fn level_weight(&self, field: Field, level: u8) -> f64 {
        let p = &self.fields[field.index()];
        let l = usize::from(level);
        if l >= p.m.len() {
            return 0.0;
        }
        (p.m[l].max(MIN_PROB) / p.u[l].max(MIN_PROB)).log2()
    }

    /// Term-frequency adjustment for a level: `log2(u_level / tf)`.
    fn tf_adjustment(&self, field: Field, level: u8, tf: &TermFrequencies) -> f64 {
        let freq = match (field, level) {
            (Field::Name, 0) => tf.name,
            (Field::Name, 1) => tf.name_pinyin,
            (Field::Guardian, 0) => tf.guardian,
            _ => return 0.0,
        };
        if freq <= 0.0 {
            return 0.0;
        }
        let u = self.fields[field.index()].u[usize::from(level)].max(MIN_PROB);
        (u / freq).log2().clamp(-MAX_TF_BITS, MAX_TF_BITS)
    }

    /// Scores one comparison vector. Pure.
    pub fn explain(&self, c: &Comparison, tf: &TermFrequencies) -> Explanation {
        let prior_weight = logit2(self.prior);
        let codes = c.codes();
        let terms: Vec<Term> = Field::ALL
            .iter()
            .map(|&f| {
                let level = codes[f.index()];
                let (level_name, level_label) = f.levels()[usize::from(level)];
                let tf_adjustment = self.tf_adjustment(f, level, tf);
                Term {
                    field: f,
                    level,
                    level_name,
                    level_label,
                    weight: self.level_weight(f, level) + tf_adjustment,
                    tf_adjustment,
                }
            })
            .collect();
        let total_weight = prior_weight + terms.iter().map(|t| t.weight).sum::<f64>();
        Explanation {
            prior_weight,
            terms,
            total_weight,
            veto: vetoed(c).then_some(TWIN_GUARD),
            duplicate_of: None,
        }
    }

    /// The total weight (log2 posterior odds) of a comparison vector, or
    /// negative infinity when the twin guard vetoes it. Pure.
    pub fn weight(&self, c: &Comparison, tf: &TermFrequencies) -> f64 {
        if vetoed(c) {
            return f64::NEG_INFINITY;
        }
        let codes = c.codes();
        let mut w = logit2(self.prior);
        for f in Field::ALL {
            let level = codes[f.index()];
            w += self.level_weight(f, level) + self.tf_adjustment(f, level, tf);
        }
        w
    }

    /// Converts a total weight to a probability.
    pub fn probability(weight: f64) -> f64 {
        if weight == f64::NEG_INFINITY {
            0.0
        } else {
            sigmoid2(weight)
        }
    }
}

impl Explanation {
    /// The match probability this explanation gives.
    pub fn match_probability(&self) -> f64 {
        if self.veto.is_some() {
            0.0
        } else {
            Model::probability(self.total_weight)
        }
    }
}

/// Comparison vectors of candidate pairs, counted by the rules that paired
/// them, sorted by (rules, codes): training sums over them in this order.
pub type CandidatePatterns = Vec<((u16, [u8; 6]), u64)>;
/// Comparison vectors of random pairs, counted.
pub(crate) type RandomPatterns = Vec<([u8; 6], u64)>;

/// Sorts a pattern count map into a deterministic list.
pub(crate) fn sorted<K: Ord + Copy>(map: HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = map.into_iter().collect();
    v.sort_unstable_by_key(|&(k, _)| k);
    v
}

/// Learns m, u and the prior. `n_left × n_right` is the number of possible
/// pairs; `max_matches` caps the expected number of matches (a one-to-one
/// linkage cannot exceed the smaller list).
pub(crate) fn train(
    candidates: &CandidatePatterns,
    random: &RandomPatterns,
    n_pairs: f64,
    max_matches: f64,
    max_iterations: usize,
) -> Model {
    let mut model = Model::initial((max_matches * 0.5 / n_pairs).clamp(1e-12, 0.5));
    model.fields = Field::ALL
        .iter()
        .map(|&f| FieldParams {
            m: default_m(f).to_vec(),
            u: estimate_u(random, f, None),
        })
        .collect();
    let mut rule_prior = [0.3f64; BlockingRule::ALL.len()];
    for iteration in 1..=max_iterations {
        model.iterations = iteration;
        let previous = model.fields.clone();

        // E and M steps for m, one session per blocking rule.
        let mut num: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|f| vec![0.0; default_m(*f).len()])
            .collect();
        for rule in BlockingRule::ALL {
            let excluded = rule.fields();
            let prior_w = logit2(rule_prior[rule as usize]);
            let (mut matched, mut total) = (0.0, 0.0);
            for &((rules, codes), count) in candidates {
                if rules & rule.bit() == 0 {
                    continue;
                }
                let count = count as f64;
                total += count;
                if vetoed_codes(&codes) {
                    // The twin guard holds in training too, or twins would
                    // teach the model that their pattern is a match.
                    continue;
                }
                let mut w = prior_w;
                for f in Field::ALL {
                    if !excluded.contains(&f) {
                        w += model.level_weight(f, codes[f.index()]);
                    }
                }
                let post = sigmoid2(w);
                matched += post * count;
                for f in Field::ALL {
                    let l = usize::from(codes[f.index()]);
                    if !excluded.contains(&f) && l < num[f.index()].len() {
                        num[f.index()][l] += post * count;
                    }
                }
            }
            if total > 0.0 {
                rule_prior[rule as usize] = (matched / total).clamp(1e-6, 1.0 - 1e-6);
            }
        }
        for f in Field::ALL {
            let prior_m = default_m(f);
            let counts = &num[f.index()];
            let den: f64 = counts.iter().sum::<f64>() + PRIOR_PAIRS;
            model.fields[f.index()].m = counts
                .iter()
                .zip(prior_m)
                .map(|(c, p)| ((c + PRIOR_PAIRS * p) / den).max(MIN_PROB))
                .collect();
        }

        // The prior from the expected number of matches among candidates.
        let expected: f64 = candidates
            .iter()
            .map(|&((_, codes), count)| count as f64 * sigmoid2(model.pattern_weight(&codes)))
            .sum();
        model.prior = (expected.min(max_matches) / n_pairs).clamp(1e-12, 0.5);

        // u from random pairs, discounting the few that are matches.
        let new_u: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|&f| estimate_u(random, f, Some(&model)))
            .collect();
        for (params, u) in model.fields.iter_mut().zip(new_u) {
            params.u = u;
        }

        let change = previous
            .iter()
            .zip(&model.fields)
            .flat_map(|(a, b)| {
                a.m.iter()
                    .zip(&b.m)
                    .chain(a.u.iter().zip(&b.u))
                    .map(|(x, y)| (x - y).abs())
            })
            .fold(0.0, f64::max);
        if change < 1e-6 {
            break;
        }
    }
    model
}

impl Model {
    /// Weight without term frequencies, used in training.
    fn pattern_weight(&self, codes: &[u8; 6]) -> f64 {
        if vetoed_codes(codes) {
            return f64::NEG_INFINITY;
        }
        let mut w = logit2(self.prior);
        for f in Field::ALL {
            w += self.level_weight(f, codes[f.index()]);
        }
        w
    }
}

/// u-values of one field from random pairs, each weighted by its
/// probability of being a non-match under `posterior_model` (or 1 before
/// any model exists). Additive smoothing keeps unseen levels possible.
fn estimate_u(random: &RandomPatterns, field: Field, posterior_model: Option<&Model>) -> Vec<f64> {
    let levels = default_m(field).len();
    let mut counts = vec![0.0; levels];
    for (codes, count) in random {
        let l = usize::from(codes[field.index()]);
        if l >= levels {
            continue;
        }
        let non_match = posterior_model.map_or(1.0, |m| 1.0 - sigmoid2(m.pattern_weight(codes)));
        counts[l] += *count as f64 * non_match;
    }
    let total: f64 = counts.iter().sum::<f64>() + 0.5 * levels as f64;
    counts
        .iter()
        .map(|c| ((c + 0.5) / total).max(MIN_PROB))
        .collect()
}
