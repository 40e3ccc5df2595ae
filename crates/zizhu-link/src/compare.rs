//! Pairwise comparison: each function maps two prepared values to a
//! comparison level. They are pure and allocation-free on the hot path, so
//! they can be wrapped as DataFusion UDFs without change.

use crate::confusable::look_alike;
use crate::normalize::{AddressFeature, DateParts, IdFeature, NameFeature, Prepared};
use crate::syllable::{self, Syllable};
use zizhu_core::id::Sex;

/// The fields compared, in the order of [`Comparison::codes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// Resident ID number.
    IdNumber,
    /// Person's name.
    Name,
    /// Birth date.
    BirthDate,
    /// Sex.
    Sex,
    /// Guardian's name.
    Guardian,
    /// Home address.
    Address,
}

impl Field {
    /// All fields in comparison-vector order.
    pub const ALL: [Field; 6] = [
        Field::IdNumber,
        Field::Name,
        Field::BirthDate,
        Field::Sex,
        Field::Guardian,
        Field::Address,
    ];

    /// Position in the comparison vector.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Column name, as in the CSV header.
    pub fn column(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Name => "name",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Guardian => "guardian_name",
            Field::Address => "address",
        }
    }

    /// Chinese label for explanations.
    pub fn label(self) -> &'static str {
        match self {
            Field::IdNumber => "身份证号",
            Field::Name => "姓名",
            Field::BirthDate => "出生日期",
            Field::Sex => "性别",
            Field::Guardian => "监护人",
            Field::Address => "住址",
        }
    }

    /// Level names (English code, Chinese label), indexed by level code.
    /// The last level of every field is "missing", which carries no weight.
    pub fn levels(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Field::IdNumber => &[
                ("exact", "完全一致"),
                ("repaired", "纠错后一致（一位错或相邻颠倒）"),
                ("same_area_birth", "两个有效号码仅顺序码不同（双胞胎特征）"),
                ("birth_part", "号码无效且无法纠错，但出生日期段一致"),
                ("disagree", "不一致"),
                ("missing", "缺失或无法判断"),
            ],
            Field::Name => &[
                ("exact", "完全一致（繁简、空格归一后）"),
                ("homophone", "同音（拼音一致）"),
                ("typo", "一字之差（近音、形近、漏字或颠倒）"),
                ("surname_only", "同姓不同名"),
                ("disagree", "不一致"),
                ("missing", "缺失"),
            ],
            Field::BirthDate => &[
                ("exact", "完全一致"),
                ("one_off", "笔误（一位数字错、相邻颠倒、月日颠倒或差一天）"),
                ("disagree", "不一致"),
                ("missing", "缺失"),
            ],
            Field::Sex => &[
                ("agree", "一致"),
                ("disagree", "不一致"),
                ("missing", "缺失"),
            ],
            Field::Guardian => &[
                ("exact", "完全一致"),
                ("similar", "相近（同音或一字之差）"),
                ("disagree", "不一致（两边监护人都与学生同姓）"),
                ("other_parent", "不一致（可能一边是父亲、一边是母亲）"),
                ("missing", "缺失"),
            ],
            Field::Address => &[
                ("exact", "同村同组（省市县前缀除外）"),
                ("village", "同村（组号缺失或门牌不同）"),
                ("other_group", "同村不同组"),
                ("township", "同乡镇"),
                ("disagree", "不一致"),
                ("missing", "缺失"),
            ],
        }
    }

    /// The code of the "missing" level.
    pub fn missing(self) -> u8 {
        u8::try_from(self.levels().len() - 1).unwrap_or(u8::MAX)
    }
}

/// ID-number comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdLevel {
    /// Same valid number (a 15-digit number matches its 18-digit form), or
    /// the same invalid text in both lists.
    Exact,
    /// One side is invalid and one wrong digit or one adjacent swap away
    /// from the other, confirmed by the name and birth date.
    Repaired,
    /// Two valid numbers with the same area and birth date and a different
    /// sequence: twins, or two children born the same day in one county.
    /// GB 11643 numbers are unique and one slip always breaks the check
    /// digit, so this is a different person (the twin guard vetoes it).
    SameAreaBirth,
    /// At least one number is invalid and cannot be repaired to the other,
    /// but the birth-date digits agree: a badly damaged number, weak evidence.
    BirthPart,
    /// Different numbers.
    Disagree,
    /// Missing on either side, or a repair nothing confirms.
    Missing,
}

/// Name comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameLevel {
    /// Equal after normalisation (traditional → simplified, spaces, dots).
    Exact,
    /// Same pinyin character by character (王丽/王莉).
    Homophone,
    /// One slip that a clerk or a scanner makes: one near-sounding or
    /// look-alike character, one dropped character, or two swapped ones.
    Typo,
    /// Same surname, different given name: strong disagreement, because
    /// twins and siblings share everything else.
    SurnameOnly,
    /// Different names.
    Disagree,
    /// Missing on either side.
    Missing,
}

/// Birth-date comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateLevel {
    /// Same date.
    Exact,
    /// A slip: one mistyped digit, two adjacent digits transposed, day and
    /// month swapped, a day off by one (Excel's 1900 leap-year bug), or one
    /// side gives only the (matching) year and month. A wholly different
    /// day is not a slip: two children born in the same month are common.
    OneOff,
    /// Different dates.
    Disagree,
    /// Missing on either side, or both taken from the ID numbers (whose
    /// comparison already counts them).
    Missing,
}

/// Sex comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SexLevel {
    /// Same sex.
    Agree,
    /// Different sex.
    Disagree,
    /// Missing on either side, or both taken from the ID numbers.
    Missing,
}

/// Guardian comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GuardianLevel {
    /// Same name after normalisation.
    Exact,
    /// Homophone, one slip, or pinyin Jaro-Winkler ≥ 0.93.
    Similar,
    /// Different, and both guardians carry the child's surname: both look
    /// like the father, so they should have agreed.
    Disagree,
    /// Different, and at least one guardian does not carry the child's
    /// surname: most often the father in one list and the mother in the
    /// other, which says little.
    OtherParent,
    /// Missing on either side.
    Missing,
}

/// Address comparison levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressLevel {
    /// Same township, village and group, and no conflicting house details.
    Exact,
    /// Same village; the group is missing on one side, or the house details
    /// differ.
    Village,
    /// Same village, different groups: usually a different household.
    OtherGroup,
    /// Same township, different village.
    Township,
    /// Different places.
    Disagree,
    /// Missing on either side.
    Missing,
}

/// The comparison vector of one pair of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Comparison {
    /// ID-number level.
    pub id_number: IdLevel,
    /// Name level.
    pub name: NameLevel,
    /// Birth-date level.
    pub birth_date: DateLevel,
    /// Sex level.
    pub sex: SexLevel,
    /// Guardian level.
    pub guardian: GuardianLevel,
    /// Address level.
    pub address: AddressLevel,
}

impl Comparison {
    /// The level codes in [`Field::ALL`] order.
    pub fn codes(&self) -> [u8; 6] {
        [
            self.id_number as u8,
            self.name as u8,
            self.birth_date as u8,
            self.sex as u8,
            self.guardian as u8,
            self.address as u8,
        ]
    }
}

/// Compares two prepared records field by field.
pub fn compare(a: &Prepared, b: &Prepared) -> Comparison {
    let name = compare_names(&a.name, &b.name);
    let birth_date = if a.birth_date_from_id && b.birth_date_from_id {
        // Both dates were read from the ID numbers: the ID comparison
        // already weighs them, and counting them twice would overstate the
        // evidence.
        DateLevel::Missing
    } else {
        compare_dates(a.birth_date, b.birth_date)
    };
    let corroborated = matches!(
        name,
        NameLevel::Exact | NameLevel::Homophone | NameLevel::Typo
    ) && birth_date_corroborates(a, b);
    let sex = if a.sex_from_id && b.sex_from_id {
        SexLevel::Missing
    } else {
        compare_sex(a.sex, b.sex)
    };
    Comparison {
        id_number: compare_ids(&a.id, &b.id, corroborated),
        name,
        birth_date,
        sex,
        guardian: compare_guardians(&a.guardian, &b.guardian, &a.name, &b.name),
        address: compare_addresses(&a.address, &b.address),
    }
}

/// Whether the birth dates allow an ID repair: the dates (from the
/// birth-date column where there is one, else from the numbers themselves,
/// even invalid ones) agree exactly or within one slip, or one side has no
/// readable date at all (a list without a birth-date column whose damaged
/// number hit the date digits); then the name alone must vouch for it.
fn birth_date_corroborates(a: &Prepared, b: &Prepared) -> bool {
    let da = a.birth_date.or(a.id_birth_date);
    let db = b.birth_date.or(b.id_birth_date);
    matches!(
        compare_dates(da, db),
        DateLevel::Exact | DateLevel::OneOff | DateLevel::Missing
    )
}

// ---------------------------------------------------------------------------
// ID numbers

/// Compares two ID cells. `corroborated` says whether name and birth date
/// agree; a repair (one wrong digit or an adjacent swap, detected by the
/// check digit) is only accepted when they do, because about one in eleven
/// random numbers is one slip away from some valid number.
pub fn compare_ids(a: &IdFeature, b: &IdFeature, corroborated: bool) -> IdLevel {
    if a.is_missing() || b.is_missing() {
        return IdLevel::Missing;
    }
    if a.valid.iter().any(|x| b.valid.contains(x)) {
        return IdLevel::Exact;
    }
    if let (Some(x), Some(y)) = (&a.invalid, &b.invalid)
        && x == y
    {
        return IdLevel::Exact;
    }
    let repairable = a.repairs.iter().any(|r| b.valid.contains(r))
        || b.repairs.iter().any(|r| a.valid.contains(r))
        || a.repairs.iter().any(|r| b.repairs.contains(r));
    if repairable {
        return if corroborated {
            IdLevel::Repaired
        } else {
            IdLevel::Missing
        };
    }
    let (Some(x), Some(y)) = (id_bytes(a), id_bytes(b)) else {
        return IdLevel::Missing;
    };
    if x.len() != 18 || y.len() != 18 {
        return IdLevel::Disagree;
    }
    let both_valid = a.primary().is_some() && b.primary().is_some();
    if both_valid {
        if x[..14] == y[..14] {
            IdLevel::SameAreaBirth
        } else {
            IdLevel::Disagree
        }
    } else if x[6..14] == y[6..14] {
        IdLevel::BirthPart
    } else {
        IdLevel::Disagree
    }
}

fn id_bytes(f: &IdFeature) -> Option<&[u8]> {
    match (f.primary(), &f.invalid) {
        (Some(d), _) => Some(d.as_slice()),
        (None, Some(t)) => Some(t.as_bytes()),
        (None, None) => None,
    }
}

// ---------------------------------------------------------------------------
// Names

/// How two characters of a name relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CharRel {
    Same,
    Homophone,
    Slip,
    Different,
}

fn char_rel(a: char, b: char, sa: Syllable, sb: Syllable) -> CharRel {
    if a == b {
        CharRel::Same
    } else if sa != syllable::NONE && sa == sb {
        CharRel::Homophone
    } else if (sa != syllable::NONE && syllable::fuzzy_class(sa) == syllable::fuzzy_class(sb))
        || look_alike(a, b)
    {
        CharRel::Slip
    } else {
        CharRel::Different
    }
}

/// Compares two names.
///
/// The levels are ordered by strength. A different given name under the
/// same surname is [`NameLevel::SurnameOnly`], never a "one character
/// different" match, because that is exactly how twins differ (张子涵 and
/// 张子轩): only differences a clerk or a scanner would make — homophones,
/// near sounds, look-alike characters, one dropped character, two swapped
/// characters — count as [`NameLevel::Typo`].
pub fn compare_names(a: &NameFeature, b: &NameFeature) -> NameLevel {
    if a.is_missing() || b.is_missing() {
        return NameLevel::Missing;
    }
    if a.chars == b.chars {
        return NameLevel::Exact;
    }
    if a.chars.len() == b.chars.len()
        && a.chars
            .iter()
            .zip(b.chars.iter())
            .zip(a.syllables.iter().zip(b.syllables.iter()))
            .all(|((&x, &y), (&sx, &sy))| {
                matches!(char_rel(x, y, sx, sy), CharRel::Same | CharRel::Homophone)
            })
    {
        return NameLevel::Homophone;
    }
    if (a.syllables.iter().all(|&s| s == syllable::NONE)
        || b.syllables.iter().all(|&s| s == syllable::NONE))
        && a.full_pinyin() == b.full_pinyin()
    {
        // A name written in pinyin in one list and in characters in the other.
        return NameLevel::Homophone;
    }
    if one_slip(&a.chars, &a.syllables, &b.chars, &b.syllables) {
        return NameLevel::Typo;
    }
    let surname_agrees = a.surname_len > 0
        && a.surname_len == b.surname_len
        && a.surname()
            .iter()
            .zip(b.surname())
            .zip(a.surname_syllables().iter().zip(b.surname_syllables()))
            .all(|((&x, &y), (&sx, &sy))| {
                matches!(char_rel(x, y, sx, sy), CharRel::Same | CharRel::Homophone)
            });
    if surname_agrees {
        NameLevel::SurnameOnly
    } else {
        NameLevel::Disagree
    }
}

/// Whether `a` becomes `b` by one slip: one near-sounding or look-alike
/// character (the others equal or homophones), one character dropped, or
/// two adjacent characters swapped.
fn one_slip(a: &[char], sa: &[Syllable], b: &[char], sb: &[Syllable]) -> bool {
    let rel = |i: usize, j: usize| char_rel(a[i], b[j], sa[i], sb[j]);
    let alike = |r: CharRel| matches!(r, CharRel::Same | CharRel::Homophone);
    if a.len() == b.len() {
        // Positions that differ beyond a homophone; more than two cannot be
        // one slip, so the scan stops early on unrelated names.
        let mut diffs = [usize::MAX; 2];
        let mut count = 0;
        for i in 0..a.len() {
            if !alike(rel(i, i)) {
                if count == 2 {
                    return false;
                }
                diffs[count] = i;
                count += 1;
            }
        }
        return match (count, diffs) {
            (1, [i, _]) => rel(i, i) == CharRel::Slip,
            (2, [i, j]) => j == i + 1 && alike(rel(i, j)) && alike(rel(j, i)),
            _ => false,
        };
    }
    let (long, short, long_s, short_s, flipped) = if a.len() > b.len() {
        (a, b, sa, sb, false)
    } else {
        (b, a, sb, sa, true)
    };
    if long.len() != short.len() + 1 || short.len() < 2 {
        // Dropping a character from a two-character name leaves only a
        // surname, which says too little to call it the same name.
        return false;
    }
    let alike_at = |li: usize, si: usize| {
        let r = if flipped {
            char_rel(short[si], long[li], short_s[si], long_s[li])
        } else {
            char_rel(long[li], short[si], long_s[li], short_s[si])
        };
        alike(r)
    };
    (0..long.len()).any(|skip| {
        (0..short.len()).all(|si| {
            let li = if si < skip { si } else { si + 1 };
            alike_at(li, si)
        })
    }) && long[0] == short[0]
}

/// Compares guardians' names: the same name, a homophone or slip, or the
/// same surname with a close pinyin spelling (Jaro-Winkler ≥ 0.93) count as
/// similar. A difference is strong evidence only when both guardians carry
/// the child's surname (both fathers, by Chinese naming custom); otherwise
/// one list most likely names the mother.
pub fn compare_guardians(
    a: &NameFeature,
    b: &NameFeature,
    child_a: &NameFeature,
    child_b: &NameFeature,
) -> GuardianLevel {
    let differ = || {
        let paternal = |g: &NameFeature, c: &NameFeature| {
            g.surname_len > 0 && c.surname_len > 0 && g.surname_syllables() == c.surname_syllables()
        };
        if paternal(a, child_a) && paternal(b, child_b) {
            GuardianLevel::Disagree
        } else {
            GuardianLevel::OtherParent
        }
    };
    match compare_names(a, b) {
        NameLevel::Missing => GuardianLevel::Missing,
        NameLevel::Exact => GuardianLevel::Exact,
        NameLevel::Homophone | NameLevel::Typo => GuardianLevel::Similar,
        NameLevel::Disagree => differ(),
        NameLevel::SurnameOnly => {
            // Spelling similarity only matters under the same surname; the
            // check is skipped for all other pairs because it allocates.
            if strsim::jaro_winkler(&a.full_pinyin(), &b.full_pinyin()) >= 0.93 {
                GuardianLevel::Similar
            } else {
                differ()
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Dates and sex

/// Compares two (possibly partial) birth dates.
pub fn compare_dates(a: Option<DateParts>, b: Option<DateParts>) -> DateLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return DateLevel::Missing;
    };
    if a == b && a.is_complete() {
        return DateLevel::Exact;
    }
    if !a.is_complete() || !b.is_complete() {
        // A partial date can only support, weakly, a date it is part of.
        let months_agree = a.month == 0 || b.month == 0 || a.month == b.month;
        return if a.year == b.year && months_agree {
            DateLevel::OneOff
        } else {
            DateLevel::Disagree
        };
    }
    let swapped = a.year == b.year && a.month == b.day && a.day == b.month;
    let next_day = a.year == b.year && a.month == b.month && a.day.abs_diff(b.day) == 1;
    if swapped || next_day || one_digit_slip(a, b) {
        DateLevel::OneOff
    } else {
        DateLevel::Disagree
    }
}

/// Whether the YYYYMMDD spellings differ in one digit or one adjacent swap.
fn one_digit_slip(a: DateParts, b: DateParts) -> bool {
    let (x, y) = (date_digits(a), date_digits(b));
    let mut first = usize::MAX;
    let mut count = 0;
    for i in 0..8 {
        if x[i] != y[i] {
            count += 1;
            if count == 1 {
                first = i;
            } else if count > 2 {
                return false;
            }
        }
    }
    match count {
        1 => true,
        2 => {
            first + 1 < 8
                && x[first + 1] != y[first + 1]
                && x[first] == y[first + 1]
                && x[first + 1] == y[first]
        }
        _ => false,
    }
}

fn date_digits(d: DateParts) -> [u8; 8] {
    let (y, m, dd) = (d.year, d.month, d.day);
    [
        (y / 1000 % 10) as u8,
        (y / 100 % 10) as u8,
        (y / 10 % 10) as u8,
        (y % 10) as u8,
        m / 10,
        m % 10,
        dd / 10,
        dd % 10,
    ]
}

/// Compares two sexes.
pub fn compare_sex(a: Option<Sex>, b: Option<Sex>) -> SexLevel {
    match (a, b) {
        (Some(x), Some(y)) if x == y => SexLevel::Agree,
        (Some(_), Some(_)) => SexLevel::Disagree,
        _ => SexLevel::Missing,
    }
}

// ---------------------------------------------------------------------------
// Addresses

/// Compares two addresses by township, village and group, after the
/// province/city/county prefix has been dropped. Addresses that name no
/// township or village fall back to the overlap of character pairs.
pub fn compare_addresses(a: &AddressFeature, b: &AddressFeature) -> AddressLevel {
    if a.is_missing() || b.is_missing() {
        return AddressLevel::Missing;
    }
    let structured = |x: &AddressFeature| !x.township.is_empty() || !x.village.is_empty();
    if structured(a) && structured(b) {
        let town_eq = !a.township.is_empty() && places_alike(&a.township, &b.township);
        let town_compatible = town_eq || a.township.is_empty() || b.township.is_empty();
        let village_eq = !a.village.is_empty() && places_alike(&a.village, &b.village);
        if town_compatible && village_eq {
            // A house number present on one side only is missing, not different.
            let details_agree = a.detail == b.detail || a.detail.is_empty() || b.detail.is_empty();
            return match (a.group, b.group) {
                (x, y) if x != 0 && y != 0 && x != y => AddressLevel::OtherGroup,
                (x, y) if x == y && details_agree => AddressLevel::Exact,
                _ => AddressLevel::Village,
            };
        }
        if town_eq && a.village.is_empty() && b.village.is_empty() {
            // Town addresses name streets, not villages: compare the rest.
            return if a.rest == b.rest {
                AddressLevel::Exact
            } else if bigram_overlap(&a.detail, &b.detail) >= 0.6 {
                AddressLevel::Village
            } else {
                AddressLevel::Township
            };
        }
        return if town_eq {
            AddressLevel::Township
        } else {
            AddressLevel::Disagree
        };
    }
    if a.rest == b.rest {
        return AddressLevel::Exact;
    }
    let overlap = bigram_overlap(&a.rest, &b.rest);
    if overlap >= 0.6 {
        AddressLevel::Village
    } else if overlap >= 0.35 {
        AddressLevel::Township
    } else {
        AddressLevel::Disagree
    }
}

/// Whether two place names are the same place: equal, homophones, one
/// look-alike character apart in a name of three or more characters, or
/// one the tail of the other (an unmarked prefix such as 湖南宁远 that the
/// address parser could not strip).
fn places_alike(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (na, nb) = (a.chars().count(), b.chars().count());
    if na != nb {
        // The extra head must be at least two characters (a province or
        // county name), so that 大平田 and 平田 stay different villages.
        let (long, short) = if na > nb { (a, b) } else { (b, a) };
        return na.min(nb) >= 2 && na.abs_diff(nb) >= 2 && long.ends_with(short);
    }
    let mut slips = 0;
    for (x, y) in a.chars().zip(b.chars()) {
        if x == y {
            continue;
        }
        let (sx, sy) = (syllable::of_char(x), syllable::of_char(y));
        if sx != syllable::NONE && sx == sy {
            continue;
        }
        if look_alike(x, y) {
            slips += 1;
            continue;
        }
        return false;
    }
    slips == 0 || (slips == 1 && na >= 3)
}

/// Dice overlap of character bigrams, a token overlap for text without
/// word boundaries.
pub fn bigram_overlap(a: &str, b: &str) -> f64 {
    let grams = |s: &str| {
        let c: Vec<char> = s.chars().collect();
        let mut g: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < ga.len() && j < gb.len() {
        match ga[i].cmp(&gb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (2 * common) as f64 / (ga.len() + gb.len()) as f64
}
