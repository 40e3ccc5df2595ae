//! Blocking: which pairs are compared at all.
//!
//! Comparing every left record with every right record is quadratic (3×10¹¹
//! pairs for a 1M × 300k run), so each record emits a few blocking keys and
//! only pairs sharing a key are compared. The rules are chosen so that a
//! true match survives any single damaged field: the ID rule covers damaged
//! names and dates, the name and date rules cover missing or damaged IDs,
//! the guardian rule covers damaged names. Keys whose block would hold more
//! than `max_block_pairs` pairs say too little to be worth comparing (a
//! placeholder birth date, the commonest name in a large year) and are
//! dropped, as Splink warns about.

use crate::compare::Field;
use crate::normalize::{DateParts, NameFeature, Prepared};
use crate::syllable::{self, Syllable};
use rayon::prelude::*;

/// A blocking rule; the discriminant is the rule's bit in a candidate's
/// rule set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockingRule {
    /// Same ID number, counting each valid repair of an invalid number and
    /// both centuries of a 15-digit number.
    IdNumber = 0,
    /// Same birth date and same surname pinyin.
    BirthDateSurname = 1,
    /// Same full-name pinyin and same birth year, or same full-name pinyin
    /// and same month and day (a mistyped year).
    NameBirthYear = 2,
    /// Same guardian-name pinyin, birth year and township.
    GuardianBirthYear = 3,
    /// Same full-name pinyin and same township.
    NameTownship = 4,
    /// Same given-name pinyin and same birth date (a damaged surname).
    GivenNameBirthDate = 5,
    /// Same full-name pinyin and same guardian-name pinyin (no usable date).
    NameGuardian = 6,
    /// Same full-name pinyin, for pairs where one side has no birth year at
    /// all (and so no date key); pairs where both have a year are skipped.
    NameOnly = 7,
    /// Same surname pinyin, birth year and month, township and village (a
    /// damaged given name and a damaged day).
    SurnameYearVillage = 8,
}

impl BlockingRule {
    /// Every rule.
    pub const ALL: [BlockingRule; 9] = [
        BlockingRule::IdNumber,
        BlockingRule::BirthDateSurname,
        BlockingRule::NameBirthYear,
        BlockingRule::GuardianBirthYear,
        BlockingRule::NameTownship,
        BlockingRule::GivenNameBirthDate,
        BlockingRule::NameGuardian,
        BlockingRule::NameOnly,
        BlockingRule::SurnameYearVillage,
    ];

    /// The rule's bit in a rule set.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The fields a rule forces to agree; parameter estimation on the pairs
    /// of this rule must not learn from these fields, whose agreement the
    /// rule itself caused.
    pub fn fields(self) -> &'static [Field] {
        match self {
            BlockingRule::IdNumber => &[Field::IdNumber],
            BlockingRule::BirthDateSurname
            | BlockingRule::NameBirthYear
            | BlockingRule::GivenNameBirthDate => &[Field::Name, Field::BirthDate],
            BlockingRule::GuardianBirthYear => &[Field::Guardian, Field::BirthDate],
            BlockingRule::NameTownship => &[Field::Name, Field::Address],
            BlockingRule::NameGuardian => &[Field::Name, Field::Guardian],
            BlockingRule::NameOnly => &[Field::Name],
            BlockingRule::SurnameYearVillage => &[Field::Name, Field::BirthDate, Field::Address],
        }
    }

    fn from_index(i: u64) -> Option<BlockingRule> {
        BlockingRule::ALL.get(usize::try_from(i).ok()?).copied()
    }
}

/// One blocking key: the rule in the top four bits, a 60-bit hash of the
/// key's value below. Records sharing a key are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockingKey(pub u64);

impl BlockingKey {
    fn new(rule: BlockingRule, hash: u64) -> BlockingKey {
        BlockingKey(((rule as u64) << 60) | (hash & ((1 << 60) - 1)))
    }

    /// The rule that made this key.
    pub fn rule(self) -> BlockingRule {
        BlockingRule::from_index(self.0 >> 60).unwrap_or(BlockingRule::IdNumber)
    }
}

/// FNV-1a with a final avalanche: deterministic across runs and machines,
/// unlike the randomly seeded std hasher.
struct KeyHasher(u64);

impl KeyHasher {
    fn new(tag: u8) -> KeyHasher {
        let mut h = KeyHasher(0xcbf2_9ce4_8422_2325);
        h.byte(tag);
        h
    }

    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    fn bytes(&mut self, bs: &[u8]) {
        for &b in bs {
            self.byte(b);
        }
        // A separator keeps ("ab","c") and ("a","bc") apart.
        self.byte(0xff);
    }

    /// Hashes the pinyin spelling without separators, so that a name
    /// typed in pinyin (`Wang Li` → `wangli`) meets its characters (王丽).
    fn syllables(&mut self, chars: &[char], syl: &[Syllable]) {
        for (&c, &s) in chars.iter().zip(syl) {
            if s == syllable::NONE {
                let mut buf = [0u8; 4];
                for &b in c.encode_utf8(&mut buf).as_bytes() {
                    self.byte(b);
                }
            } else {
                for &b in syllable::spelling(s).as_bytes() {
                    self.byte(b);
                }
            }
        }
        self.byte(0xfe);
    }

    fn date(&mut self, d: DateParts) {
        self.bytes(&d.year.to_le_bytes());
        self.byte(d.month);
        self.byte(d.day);
    }

    fn finish(self) -> u64 {
        // MurmurHash3's fmix64, so that similar inputs spread over all bits.
        let mut k = self.0;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^= k >> 33;
        k
    }
}

/// The blocking keys of one record, sorted and without duplicates. Pure.
pub fn blocking_keys(p: &Prepared) -> Vec<BlockingKey> {
    let mut keys = Vec::new();
    let mut push = |rule: BlockingRule, h: KeyHasher| keys.push(BlockingKey::new(rule, h.finish()));

    for digits in p.id.valid.iter().chain(p.id.repairs.iter()) {
        let mut h = KeyHasher::new(0);
        h.bytes(digits);
        push(BlockingRule::IdNumber, h);
    }
    if let Some(text) = p.id.invalid.as_deref()
        && text.len() >= 15
    {
        let mut h = KeyHasher::new(0);
        h.bytes(text.as_bytes());
        push(BlockingRule::IdNumber, h);
    }

    let mut dates: Vec<DateParts> = [p.birth_date, p.id_birth_date]
        .into_iter()
        .flatten()
        .filter(DateParts::is_complete)
        .collect();
    dates.dedup();
    let mut years: Vec<u16> = [p.birth_date, p.id_birth_date]
        .into_iter()
        .flatten()
        .map(|d| d.year)
        .collect();
    years.sort_unstable();
    years.dedup();

    let name = &p.name;
    if !name.is_missing() {
        let surname = surname_for_key(name);
        for &d in &dates {
            if let Some((chars, syl)) = surname {
                let mut h = KeyHasher::new(1);
                h.syllables(chars, syl);
                h.date(d);
                push(BlockingRule::BirthDateSurname, h);
            }
            if name.given().len() >= 2 {
                let mut h = KeyHasher::new(5);
                h.syllables(name.given(), name.given_syllables());
                h.date(d);
                push(BlockingRule::GivenNameBirthDate, h);
            }
        }
        for &y in &years {
            let mut h = KeyHasher::new(2);
            h.syllables(&name.chars, &name.syllables);
            h.bytes(&y.to_le_bytes());
            push(BlockingRule::NameBirthYear, h);
        }
        for &d in &dates {
            let mut h = KeyHasher::new(12);
            h.syllables(&name.chars, &name.syllables);
            h.byte(d.month);
            h.byte(d.day);
            push(BlockingRule::NameBirthYear, h);
        }
        if !p.address.township.is_empty() {
            let mut h = KeyHasher::new(4);
            h.syllables(&name.chars, &name.syllables);
            h.bytes(p.address.township.as_bytes());
            push(BlockingRule::NameTownship, h);
        }
        if !p.guardian.is_missing() {
            let mut h = KeyHasher::new(6);
            h.syllables(&name.chars, &name.syllables);
            h.syllables(&p.guardian.chars, &p.guardian.syllables);
            push(BlockingRule::NameGuardian, h);
        }
        let mut h = KeyHasher::new(7);
        h.syllables(&name.chars, &name.syllables);
        push(BlockingRule::NameOnly, h);
        if let (Some((chars, syl)), false) = (surname, p.address.village.is_empty()) {
            for d in [p.birth_date, p.id_birth_date].into_iter().flatten() {
                let mut h = KeyHasher::new(8);
                h.syllables(chars, syl);
                h.bytes(&d.year.to_le_bytes());
                h.byte(d.month);
                h.bytes(p.address.township.as_bytes());
                h.bytes(p.address.village.as_bytes());
                push(BlockingRule::SurnameYearVillage, h);
            }
        }
    }
    if !p.guardian.is_missing() {
        for &y in &years {
            let mut h = KeyHasher::new(3);
            h.syllables(&p.guardian.chars, &p.guardian.syllables);
            h.bytes(&y.to_le_bytes());
            // The township keeps common fathers' names (王伟) from making
            // county-wide blocks; without an address the key is county-wide.
            h.bytes(p.address.township.as_bytes());
            push(BlockingRule::GuardianBirthYear, h);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The surname used in keys; names without a surname (transliterated
/// minority names) use their first two characters instead.
fn surname_for_key(name: &NameFeature) -> Option<(&[char], &[Syllable])> {
    if name.surname_len > 0 {
        Some((name.surname(), name.surname_syllables()))
    } else {
        let n = name.chars.len().min(2);
        (n > 0).then(|| (&name.chars[..n], &name.syllables[..n]))
    }
}

/// Counters describing what blocking did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockingStats {
    /// Distinct keys present on both sides.
    pub shared_keys: u64,
    /// Shared keys dropped for making blocks larger than the cap.
    pub dropped_keys: u64,
    /// Pairs those dropped keys would have produced.
    pub dropped_pairs: u64,
    /// Distinct candidate pairs compared.
    pub candidate_pairs: u64,
    /// Pairs each rule produced (a pair found by several rules counts for
    /// each), indexed by rule.
    pub pairs_per_rule: Vec<u64>,
}

/// An index of (key, record) sorted by key, for one side.
pub(crate) struct KeyIndex {
    entries: Vec<(BlockingKey, u32)>,
}

impl KeyIndex {
    pub(crate) fn build(keys: &[Vec<BlockingKey>]) -> KeyIndex {
        let mut entries: Vec<(BlockingKey, u32)> = keys
            .iter()
            .enumerate()
            .flat_map(|(i, ks)| {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                ks.iter().map(move |&k| (k, i))
            })
            .collect();
        entries.par_sort_unstable();
        KeyIndex { entries }
    }
}

/// Whether a record has any birth year (from its date column or its ID).
pub fn has_year(p: &Prepared) -> bool {
    p.birth_date.is_some() || p.id_birth_date.is_some()
}

/// All candidate pairs as (right, left, rule set), sorted by right then
/// left, found by walking both sorted key indexes side by side: sequential
/// memory access, unlike a binary search per key, which at a million
/// records costs a cache miss per step.
pub(crate) fn candidate_pairs(
    left: &KeyIndex,
    right: &KeyIndex,
    left_has_year: &[bool],
    right_has_year: &[bool],
    max_block_pairs: u64,
) -> (Vec<(u32, u32, u16)>, BlockingStats) {
    let mut stats = BlockingStats {
        pairs_per_rule: vec![0; BlockingRule::ALL.len()],
        ..BlockingStats::default()
    };
    let mut pairs: Vec<(u32, u32, u16)> = Vec::new();
    let (a, b) = (&left.entries, &right.entries);
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ka, kb) = (a[i].0, b[j].0);
        if ka < kb {
            i += a[i..].partition_point(|e| e.0 == ka);
            continue;
        }
        if kb < ka {
            j += b[j..].partition_point(|e| e.0 == kb);
            continue;
        }
        let na = a[i..].partition_point(|e| e.0 == ka);
        let nb = b[j..].partition_point(|e| e.0 == kb);
        let block = (na as u64) * (nb as u64);
        stats.shared_keys += 1;
        if block > max_block_pairs {
            stats.dropped_keys += 1;
            stats.dropped_pairs += block;
        } else {
            let rule = ka.rule();
            let bit = rule.bit();
            for &(_, r) in &b[j..j + nb] {
                for &(_, l) in &a[i..i + na] {
                    // Name alone is too weak a key between dated records:
                    // it only pairs records of which one has no year.
                    if rule == BlockingRule::NameOnly
                        && left_has_year[l as usize]
                        && right_has_year[r as usize]
                    {
                        continue;
                    }
                    pairs.push((r, l, bit));
                    stats.pairs_per_rule[rule as usize] += 1;
                }
            }
        }
        i += na;
        j += nb;
    }
    pairs.par_sort_unstable();
    let mut merged: Vec<(u32, u32, u16)> = Vec::with_capacity(pairs.len());
    for (r, l, bit) in pairs {
        match merged.last_mut() {
            Some(last) if last.0 == r && last.1 == l => last.2 |= bit,
            _ => merged.push((r, l, bit)),
        }
    }
    stats.candidate_pairs = merged.len() as u64;
    (merged, stats)
}
