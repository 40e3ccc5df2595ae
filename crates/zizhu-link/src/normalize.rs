//! Normalisation of a raw [`Record`] into a [`Prepared`] record.
//!
//! Everything that depends on one record only is computed here, once per
//! record and in parallel, so that the pairwise comparisons — run millions of
//! times — only compare small, already-clean values.

use crate::Record;
use crate::syllable::{self, Syllable};
use rayon::prelude::*;
use zizhu_core::date::Date;
use zizhu_core::id::{IdNumber, Sex, check_digit, repair_candidates};
use zizhu_core::name::{PersonName, normalize_text};

/// Eighteen ASCII bytes of a resident ID number.
pub type IdDigits = [u8; 18];

/// A record reduced to the values the comparisons need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prepared {
    /// The ID number, its valid readings and its possible repairs.
    pub id: IdFeature,
    /// The person's name.
    pub name: NameFeature,
    /// Birth date from the birth-date column, or failing that from the ID number.
    pub birth_date: Option<DateParts>,
    /// Whether [`Prepared::birth_date`] was taken from the ID number.
    pub birth_date_from_id: bool,
    /// Birth date encoded in the ID number (even an invalid one), for blocking.
    pub id_birth_date: Option<DateParts>,
    /// Sex from the sex column, or failing that from the ID number.
    pub sex: Option<Sex>,
    /// Whether [`Prepared::sex`] was taken from the ID number.
    pub sex_from_id: bool,
    /// The guardian's name.
    pub guardian: NameFeature,
    /// The home address split into township, village and group.
    pub address: AddressFeature,
}

/// Normalises one record. Pure: the same record always gives the same value.
pub fn prepare(record: &Record) -> Prepared {
    let field_date = parse_date(&record.birth_date);
    let id = IdFeature::parse(&record.id_number, field_date);
    let id_birth_date = id.birth_date();
    let (birth_date, birth_date_from_id) = match field_date {
        Some(d) => (Some(d), false),
        None => (id_birth_date, id_birth_date.is_some()),
    };
    let field_sex = parse_sex(&record.sex);
    let id_sex = id.sex();
    let (sex, sex_from_id) = match field_sex {
        Some(s) => (Some(s), false),
        None => (id_sex, id_sex.is_some()),
    };
    Prepared {
        id,
        name: NameFeature::parse(&record.name),
        birth_date,
        birth_date_from_id,
        id_birth_date,
        sex,
        sex_from_id,
        guardian: NameFeature::parse_guardian(&record.guardian_name),
        address: AddressFeature::parse(&record.address),
    }
}

/// Normalises every record in parallel; the output order is the input order.
pub fn prepare_all(records: &[Record]) -> Vec<Prepared> {
    records.par_iter().map(prepare).collect()
}

// ---------------------------------------------------------------------------
// ID numbers

/// What one ID-number cell says, after repair attempts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdFeature {
    /// Valid readings of the number: normally one; a 15-digit legacy number
    /// has two (born 19xx or 20xx), the likelier first.
    pub valid: Box<[IdDigits]>,
    /// The normalised text of a number that is not valid, kept so that the
    /// same wrong number copied into two lists still agrees.
    pub invalid: Option<Box<str>>,
    /// Valid numbers one wrong digit or one adjacent swap away from an
    /// invalid 18-character number.
    pub repairs: Box<[IdDigits]>,
}

impl IdFeature {
    /// Parses an ID cell. `field_date` (from the birth-date column) decides
    /// the century of a 15-digit legacy number when both readings are valid.
    pub fn parse(raw: &str, field_date: Option<DateParts>) -> IdFeature {
        let mut text = normalize_id_text(raw);
        if let Some(digits) = expand_scientific(&text) {
            text = digits;
        }
        if text.is_empty() {
            return IdFeature::default();
        }
        let mut valid: Vec<IdDigits> = Vec::new();
        if let Ok(id) = IdNumber::parse(&text) {
            valid.extend(to_digits(id.as_str()));
        }
        if text.len() == 15 && text.bytes().all(|b| b.is_ascii_digit()) {
            // The standard conversion inserts "19", but lists of school
            // children also contain 15-digit forms written for births after
            // 2000, so the "20" reading is kept as a second candidate.
            let first17 = format!("{}20{}", &text[..6], &text[6..]);
            if let Some(check) = check_digit(&first17) {
                let full = format!("{first17}{check}");
                if let Ok(id) = IdNumber::parse(&full) {
                    valid.extend(to_digits(id.as_str()));
                }
            }
            valid.dedup();
            if let (Some(date), [first, second]) = (field_date, valid.as_slice())
                && digits_year(second) == Some(date.year)
                && digits_year(first) != Some(date.year)
            {
                valid.swap(0, 1);
            }
        }
        if !valid.is_empty() {
            return IdFeature {
                valid: valid.into_boxed_slice(),
                invalid: None,
                repairs: Box::new([]),
            };
        }
        let mut repairs: Vec<IdDigits> = match text.len() {
            18 => repair_candidates(&text)
                .iter()
                .filter_map(|id| to_digits(id.as_str()))
                .collect(),
            17 | 19 => length_repairs(&text),
            _ => Vec::new(),
        };
        repairs.sort_unstable();
        repairs.dedup();
        IdFeature {
            valid: Box::new([]),
            invalid: Some(text.into_boxed_str()),
            repairs: repairs.into_boxed_slice(),
        }
    }

    /// Whether the cell was empty.
    pub fn is_missing(&self) -> bool {
        self.valid.is_empty() && self.invalid.is_none()
    }

    /// The likeliest valid reading.
    pub fn primary(&self) -> Option<&IdDigits> {
        self.valid.first()
    }

    /// The birth date written in the number, valid or not.
    pub fn birth_date(&self) -> Option<DateParts> {
        if let Some(d) = self.primary() {
            return date_from_compact(&d[6..14]);
        }
        let text = self.invalid.as_deref()?;
        let bytes = text.as_bytes();
        match bytes.len() {
            18 => date_from_compact(&bytes[6..14]),
            15 => {
                let mut buf = *b"19000000";
                buf[2..].copy_from_slice(&bytes[6..12]);
                date_from_compact(&buf)
            }
            _ => None,
        }
    }

    /// The sex encoded in a valid number (odd sequence digit = male).
    pub fn sex(&self) -> Option<Sex> {
        let d = self.primary()?;
        Some(if (d[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        })
    }
}

/// Valid numbers one inserted or one deleted character away from a 17- or
/// 19-character number: a digit dropped or doubled while typing. Each
/// candidate must carry its own check digit before it is parsed.
fn length_repairs(text: &str) -> Vec<IdDigits> {
    let chars: Vec<char> = text.chars().collect();
    if !chars.iter().all(|c| c.is_ascii_digit() || *c == 'X') {
        return Vec::new();
    }
    let mut tries: Vec<String> = Vec::new();
    if chars.len() == 17 {
        for pos in 0..=17 {
            for d in "0123456789X".chars() {
                if d == 'X' && pos != 17 {
                    continue;
                }
                let mut c = chars.clone();
                c.insert(pos, d);
                tries.push(c.into_iter().collect());
            }
        }
    } else {
        for pos in 0..19 {
            let mut c = chars.clone();
            c.remove(pos);
            tries.push(c.into_iter().collect());
        }
    }
    tries
        .into_iter()
        .filter(|t| t.len() == 18 && check_digit(&t[..17]).is_some_and(|c| t.ends_with(c)))
        .filter_map(|t| IdNumber::parse(&t).ok())
        .filter_map(|id| to_digits(id.as_str()))
        .collect()
}

/// Upper-cases, folds full width and drops spaces and dashes, because ID
/// cells are typed with all of these.
pub fn normalize_id_text(raw: &str) -> String {
    raw.chars()
        .map(halfwidth)
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\'')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The digits of an ID number that went through a spreadsheet as a number
/// and came out in scientific notation (`4.31126200803051E+17`): the first
/// 15 digits survive, the rest are lost and written as zeros, so the result
/// never passes the check digit but still carries area and birth date.
fn expand_scientific(text: &str) -> Option<String> {
    let (mantissa, exp) = text.split_once('E')?;
    let exp: usize = exp.strip_prefix('+').unwrap_or(exp).parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !(14..=17).contains(&exp)
        || int.len() != 1
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || frac.len() > exp
    {
        return None;
    }
    let mut out = format!("{int}{frac}");
    while out.len() < exp + 1 {
        out.push('0');
    }
    Some(out)
}

fn to_digits(s: &str) -> Option<IdDigits> {
    s.as_bytes().try_into().ok()
}

fn digits_year(d: &IdDigits) -> Option<u16> {
    std::str::from_utf8(&d[6..10]).ok()?.parse().ok()
}

fn date_from_compact(bytes: &[u8]) -> Option<DateParts> {
    let text = std::str::from_utf8(bytes).ok()?;
    let date = Date::parse_compact(text).ok()?;
    DateParts::from_date(date)
}

fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

// ---------------------------------------------------------------------------
// Dates

/// A birth date, possibly partial: month and day are 0 when unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateParts {
    /// Calendar year.
    pub year: u16,
    /// Month 1–12, or 0 when the source gave only a year.
    pub month: u8,
    /// Day 1–31, or 0 when the source gave no day.
    pub day: u8,
}

/// Years outside this range are data-entry garbage, not birth dates of
/// people in an education-aid list.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<u16> = 1900..=2100;

impl DateParts {
    fn from_date(d: Date) -> Option<DateParts> {
        let year = u16::try_from(d.year()).ok()?;
        if !PLAUSIBLE_YEARS.contains(&year) {
            return None;
        }
        Some(DateParts {
            year,
            month: u8::try_from(d.month()).ok()?,
            day: u8::try_from(d.day()).ok()?,
        })
    }

    /// Whether year, month and day are all known.
    pub fn is_complete(&self) -> bool {
        self.month != 0 && self.day != 0
    }
}

/// Parses a birth-date cell in any of the shapes county lists use.
///
/// Full dates go through [`Date::parse`] (ISO, compact, slashes, dots,
/// 年月日, Excel serials). What it rejects is tried as `D/M/YYYY` or
/// `M/D/YYYY` (an English-locale Excel export), as a year and month
/// (`2008年3月`, `200803`), or as a year alone; anything else is missing.
pub fn parse_date(raw: &str) -> Option<DateParts> {
    let text: String = raw.trim().chars().map(halfwidth).collect();
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        // A bare four-digit number is a year, not the Excel serial it would
        // otherwise parse as (2008 would become 1905-06-30).
        let year: u16 = text.parse().ok()?;
        return PLAUSIBLE_YEARS.contains(&year).then_some(DateParts {
            year,
            month: 0,
            day: 0,
        });
    }
    if let Ok(d) = Date::parse(text) {
        return DateParts::from_date(d);
    }
    if let Some(arabic) = chinese_numeral_date(text) {
        return parse_date(&arabic);
    }
    let groups: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let num = |s: &str| s.parse::<u32>().ok();
    let full = |y: u32, m: u32, d: u32| {
        Date::new(i32::try_from(y).ok()?, m, d)
            .ok()
            .and_then(DateParts::from_date)
    };
    match groups.as_slice() {
        [y, m, d] if y.len() == 4 => full(num(y)?, num(m)?, num(d)?),
        [a, b, y] if y.len() == 4 => {
            let (a, b, y) = (num(a)?, num(b)?, num(y)?);
            if a > 12 {
                full(y, b, a)
            } else {
                full(y, a, b).or_else(|| full(y, b, a))
            }
        }
        [y, m] if y.len() == 4 => partial(num(y)?, num(m)?),
        [ym] if ym.len() == 6 => partial(num(&ym[..4])?, num(&ym[4..])?),
        [y] if y.len() == 4 => partial(num(y)?, 0),
        _ => None,
    }
}

/// `二〇〇八年三月五日` → `2008年3月5日`: the year digit by digit, month and
/// day as numbers with 十 (十二, 二十五, 三十一). `None` when the text has no
/// Chinese numerals or does not read as a date.
fn chinese_numeral_date(text: &str) -> Option<String> {
    const DIGITS: &str = "〇一二三四五六七八九";
    let digit = |c: char| match c {
        '零' | 'O' | 'o' => Some(0),
        _ => DIGITS.chars().position(|d| d == c),
    };
    if !text
        .chars()
        .any(|c| DIGITS.contains(c) || c == '零' || c == '十')
    {
        return None;
    }
    let (year, rest) = text.split_once('年')?;
    let year: String = year
        .trim()
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| usize::try_from(d).ok())
                .or_else(|| digit(c))
                .map(|d| char::from(b'0' + u8::try_from(d).unwrap_or(0)))
        })
        .collect::<Option<String>>()?;
    let number = |s: &str| -> Option<usize> {
        let s = s.trim();
        if let Ok(n) = s.parse() {
            return Some(n);
        }
        let chars: Vec<char> = s.chars().collect();
        match chars.as_slice() {
            ['十'] => Some(10),
            [d] => digit(*d),
            ['十', d] => Some(10 + digit(*d)?),
            [t, '十'] => Some(digit(*t)? * 10),
            [t, '十', d] => Some(digit(*t)? * 10 + digit(*d)?),
            _ => None,
        }
    };
    match rest.split_once('月') {
        Some((month, day)) => {
            let day = day.trim().trim_end_matches(['日', '号']);
            let month = number(month)?;
            if day.is_empty() {
                Some(format!("{year}年{month}月"))
            } else {
                Some(format!("{year}年{month}月{}日", number(day)?))
            }
        }
        None if rest.trim().is_empty() => Some(year),
        None => None,
    }
}

fn partial(year: u32, month: u32) -> Option<DateParts> {
    let year = u16::try_from(year).ok()?;
    if !PLAUSIBLE_YEARS.contains(&year) || month > 12 {
        return None;
    }
    Some(DateParts {
        year,
        month: u8::try_from(month).ok()?,
        day: 0,
    })
}

// ---------------------------------------------------------------------------
// Sex

/// Parses a sex cell; digits follow the GB/T 2261.1 code (1 male, 2 female).
pub fn parse_sex(raw: &str) -> Option<Sex> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(s) = Sex::parse(t) {
        return Some(s);
    }
    match t.to_ascii_lowercase().as_str() {
        "男" | "男性" | "男生" | "m" | "male" | "1" => Some(Sex::Male),
        "女" | "女性" | "女生" | "f" | "female" | "2" | "0" => Some(Sex::Female),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Names

/// A person's name, normalised and read out in pinyin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NameFeature {
    /// Simplified characters without spaces or separators; Latin letters
    /// lower-cased.
    pub chars: Box<[char]>,
    /// How many leading characters form the surname (2 for 欧阳, 0 for
    /// transliterated minority names written with a middle dot).
    pub surname_len: usize,
    /// Toneless syllable of each character (surnames in their surname reading).
    pub syllables: Box<[Syllable]>,
}

const MIDDLE_DOTS: &[char] = &['·', '•', '・', '.', '‧', '∙', '●', '。', '·'];

impl NameFeature {
    /// Normalises a name cell: traditional → simplified, full width folded,
    /// spaces and middle dots removed, compound surnames recognised.
    pub fn parse(raw: &str) -> NameFeature {
        let (norm, surname) = match PersonName::parse(raw) {
            Ok(p) => (p.normalized().to_string(), Some(p.surname().to_string())),
            Err(_) => (normalize_text(raw), None),
        };
        let chars: Vec<char> = norm
            .chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect();
        let has_dot = norm.contains(MIDDLE_DOTS);
        let latin = chars.iter().all(char::is_ascii_alphabetic);
        let surname_len = if has_dot || latin {
            0
        } else {
            let from_core = surname.map(|s| {
                s.chars()
                    .filter(|c| c.is_alphabetic())
                    .collect::<Vec<char>>()
            });
            match from_core {
                Some(s) if !s.is_empty() && chars.starts_with(&s) && s.len() < chars.len() => {
                    s.len()
                }
                _ => chars.len().min(1),
            }
        };
        let syllables = chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if i < surname_len {
                    syllable::of_surname_char(c)
                } else {
                    syllable::of_char(c)
                }
            })
            .collect();
        NameFeature {
            chars: chars.into_boxed_slice(),
            surname_len,
            syllables,
        }
    }

    /// Normalises a guardian cell, which clerks fill with more than a name:
    /// a role label (`父：张伟`, `母亲李娟`, `张伟（父亲）`) is dropped, and of
    /// two guardians (`张伟、李娟`, `张伟/李娟`) the first is kept.
    pub fn parse_guardian(raw: &str) -> NameFeature {
        NameFeature::parse(&guardian_text(raw))
    }

    /// Whether the cell was empty.
    pub fn is_missing(&self) -> bool {
        self.chars.is_empty()
    }

    /// The surname characters.
    pub fn surname(&self) -> &[char] {
        &self.chars[..self.surname_len]
    }

    /// The given-name characters.
    pub fn given(&self) -> &[char] {
        &self.chars[self.surname_len..]
    }

    /// Surname syllables.
    pub fn surname_syllables(&self) -> &[Syllable] {
        &self.syllables[..self.surname_len]
    }

    /// Given-name syllables.
    pub fn given_syllables(&self) -> &[Syllable] {
        &self.syllables[self.surname_len..]
    }

    /// The whole name in toneless pinyin without separators (`wangli`);
    /// Latin letters stand for themselves and characters without a reading
    /// for themselves too, so that no two different names collapse to "".
    pub fn full_pinyin(&self) -> String {
        let mut out = String::new();
        for (&c, &s) in self.chars.iter().zip(self.syllables.iter()) {
            if s == syllable::NONE {
                out.push(c);
            } else {
                out.push_str(syllable::spelling(s));
            }
        }
        out
    }

    /// The first letter of each syllable (`wl` for 王丽).
    pub fn initials(&self) -> String {
        self.chars
            .iter()
            .zip(self.syllables.iter())
            .map(|(&c, &s)| syllable::spelling(s).chars().next().unwrap_or(c))
            .collect()
    }
}

/// Role words written before or after a guardian's name, longest first.
const GUARDIAN_ROLES: &[&str] = &[
    "法定监护人",
    "外祖父",
    "外祖母",
    "监护人",
    "父亲",
    "母亲",
    "爸爸",
    "妈妈",
    "祖父",
    "祖母",
    "爷爷",
    "奶奶",
    "外公",
    "外婆",
    "哥哥",
    "姐姐",
    "叔叔",
    "伯父",
    "舅舅",
    "姑姑",
    "父",
    "母",
];

/// The first guardian's name in a guardian cell, without role labels.
/// A one-character role (父, 母) is taken off only when a name of at least
/// two characters remains, so the rare surname 母 survives.
pub fn guardian_text(raw: &str) -> String {
    let folded: String = raw.chars().map(halfwidth).collect();
    for part in folded.split(['、', ',', '，', '/', ';', '；', '|', '\\']) {
        let mut t = part.trim();
        // A role in brackets after the name: 张伟（父亲）, 张伟(母).
        for (open, close) in [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')] {
            if let Some(body) = t.strip_suffix(close)
                && let Some(at) = body.rfind(open)
                && GUARDIAN_ROLES.contains(&body[at + open.len_utf8()..].trim())
            {
                t = body[..at].trim();
            }
        }
        // A role before the name: 父：张伟, 母亲 李娟, 监护人张伟.
        for role in GUARDIAN_ROLES {
            if let Some(rest) = t.strip_prefix(role) {
                let rest = rest
                    .trim_start_matches([':', '：', ' ', '\u{3000}', '-'])
                    .trim();
                let labelled = rest.len() < t.len() - role.len();
                if rest.is_empty() {
                    t = rest; // a role and no name
                } else if rest.chars().count() >= 2 || labelled {
                    t = rest;
                }
                break;
            }
        }
        if t.chars().any(char::is_alphanumeric) {
            return t.to_string();
        }
    }
    String::new()
}

// ---------------------------------------------------------------------------
// Addresses

/// An address reduced to the parts that identify a household: the
/// province, city and county prefix is dropped because both lists of one
/// county share it and many clerks omit it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AddressFeature {
    /// Township (镇/乡/街道) without its suffix, e.g. `清水桥`.
    pub township: Box<str>,
    /// Village or community (村/社区/居委会) without its suffix, e.g. `平田`.
    pub village: Box<str>,
    /// Villagers' group number (组/队), 0 when absent.
    pub group: u16,
    /// Anything after the group or village (house numbers and the like).
    pub detail: Box<str>,
    /// The whole address after the administrative prefix, for unstructured
    /// addresses that name no township or village.
    pub rest: Box<str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Admin,
    Township,
    Village,
    Group,
    Other,
}

/// Suffixes that end an address component, longest first so that 街道办事处
/// wins over 处 and 村民小组 over 组.
const MARKERS: &[(&str, Part)] = &[
    ("特别行政区", Part::Admin),
    ("街道办事处", Part::Township),
    ("村民委员会", Part::Village),
    ("居民委员会", Part::Village),
    ("村民小组", Part::Group),
    ("自治区", Part::Admin),
    ("自治州", Part::Admin),
    ("自治县", Part::Admin),
    ("办事处", Part::Township),
    ("居委会", Part::Village),
    ("村委会", Part::Village),
    ("街道", Part::Township),
    ("社区", Part::Village),
    ("地区", Part::Admin),
    ("小组", Part::Group),
    ("省", Part::Admin),
    ("市", Part::Admin),
    ("州", Part::Admin),
    ("盟", Part::Admin),
    ("县", Part::Admin),
    ("区", Part::Admin),
    ("旗", Part::Admin),
    ("镇", Part::Township),
    ("乡", Part::Township),
    ("村", Part::Village),
    ("组", Part::Group),
    ("队", Part::Group),
];

impl AddressFeature {
    /// Splits an address into township, village, group and detail.
    pub fn parse(raw: &str) -> AddressFeature {
        let text: String = normalize_text(raw)
            .chars()
            .filter(|c| !c.is_whitespace() && !is_address_punct(*c))
            .collect();
        if text.is_empty() {
            return AddressFeature::default();
        }
        let parts = split_components(&text);
        let mut township = String::new();
        let mut village = String::new();
        let mut group = 0u16;
        let mut detail = String::new();
        let mut rest = String::new();
        let first_local = parts
            .iter()
            .position(|(_, kind, _)| *kind != Part::Admin)
            .unwrap_or(parts.len());
        for (i, (body, kind, _)) in parts.iter().enumerate() {
            if i >= first_local {
                rest.push_str(body);
            }
            match kind {
                Part::Township if village.is_empty() => township = body.clone(),
                Part::Village if village.is_empty() => village = body.clone(),
                Part::Group if group == 0 => group = parse_number(body).unwrap_or(0),
                Part::Other | Part::Group if i >= first_local => detail.push_str(body),
                _ => {}
            }
        }
        if rest.is_empty() {
            // An address made only of administrative parts (a county town
            // such as "宁远县") is kept whole rather than lost.
            rest = text.clone();
        }
        AddressFeature {
            township: township.into_boxed_str(),
            village: village.into_boxed_str(),
            group,
            detail: detail.into_boxed_str(),
            rest: rest.into_boxed_str(),
        }
    }

    /// Whether the cell was empty.
    pub fn is_missing(&self) -> bool {
        self.rest.is_empty()
    }
}

fn is_address_punct(c: char) -> bool {
    matches!(
        c,
        ',' | '，' | '、' | '-' | '—' | '(' | ')' | '（' | '）' | '#' | ':' | '：' | ';' | '；'
    )
}

/// Cuts the text after each marker, returning (body without marker, kind,
/// marker). A marker with nothing before it joins the previous component,
/// so that 水市镇 is one township, not the city 水市 and a stray 镇.
fn split_components(text: &str) -> Vec<(String, Part, &'static str)> {
    let mut out: Vec<(String, Part, &'static str)> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let matched = MARKERS
            .iter()
            .find(|(marker, _)| rest.starts_with(marker))
            .copied();
        match matched {
            Some((marker, kind)) if i > start => {
                out.push((text[start..i].to_string(), kind, marker));
                i += marker.len();
                start = i;
            }
            Some((marker, kind)) if !out.is_empty() => {
                // The marker directly follows another marker: merge.
                if let Some(last) = out.last_mut() {
                    last.0.push_str(last.2);
                    last.1 = kind;
                    last.2 = marker;
                }
                i += marker.len();
                start = i;
            }
            _ => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    if start < text.len() {
        out.push((text[start..].to_string(), Part::Other, ""));
    }
    // A village-level body that is a bare number ("3" before 队 or 村) is a
    // group, whatever marker closed it.
    for part in &mut out {
        if part.1 == Part::Village && parse_number(&part.0).is_some() {
            part.1 = Part::Group;
        }
    }
    out
}

/// Reads a group number written as 3, 03, 第3, 三, 第十二 or 十二.
pub fn parse_number(s: &str) -> Option<u16> {
    let s = s.strip_prefix('第').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '〇' { '零' } else { c })
        .collect();
    let to_u16 = |n: usize| u16::try_from(n).ok();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d).and_then(to_u16),
        ['十', d] => digit(*d).and_then(|d| to_u16(10 + d)),
        [t, '十'] => digit(*t).and_then(|t| to_u16(t * 10)),
        [t, '十', d] => Some(to_u16(digit(*t)? * 10 + digit(*d)?)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_drops_the_administrative_prefix() {
        let a = AddressFeature::parse("湖南省永州市宁远县清水桥镇平田村三组15号");
        assert_eq!(&*a.township, "清水桥");
        assert_eq!(&*a.village, "平田");
        assert_eq!(a.group, 3);
        assert_eq!(&*a.detail, "15号");
        let b = AddressFeature::parse("清水桥镇平田村3组 15号");
        assert_eq!(a.township, b.township);
        assert_eq!(a.village, b.village);
        assert_eq!(a.group, b.group);
    }

    #[test]
    fn a_market_town_is_not_a_city() {
        let a = AddressFeature::parse("宁远县水市镇东村第十二组");
        assert_eq!(&*a.township, "水市");
        assert_eq!(&*a.village, "东");
        assert_eq!(a.group, 12);
    }

    #[test]
    fn partial_dates() {
        let p = |s| parse_date(s);
        assert_eq!(
            p("2008"),
            Some(DateParts {
                year: 2008,
                month: 0,
                day: 0
            })
        );
        assert_eq!(
            p("2008年3月"),
            Some(DateParts {
                year: 2008,
                month: 3,
                day: 0
            })
        );
        assert_eq!(
            p("5/23/2008"),
            Some(DateParts {
                year: 2008,
                month: 5,
                day: 23
            })
        );
        assert_eq!(p("不详"), None);
    }
}
