//! Toneless pinyin syllables, interned as small integers.
//!
//! Names are compared character by character many millions of times, so each
//! character's reading is looked up once and kept as a `u16`: equal numbers
//! mean a homophone (丽/莉 are both `li`), and a second table maps each
//! syllable to its "fuzzy" class, the sounds that southern speakers and
//! pinyin input methods confuse (zh/z, ch/c, sh/s, n/l, f/h, r/l, -ng/-n).

use pinyin::ToPinyin;
use std::collections::HashMap;
use std::sync::OnceLock;

/// An interned toneless syllable; [`NONE`] for a character without a reading.
pub type Syllable = u16;

/// The syllable of characters that have no pinyin (Latin letters, digits, rare CJK).
pub const NONE: Syllable = 0;

const CJK_START: u32 = 0x4E00;
const CJK_END: u32 = 0x9FFF;

/// Surnames whose reading as a surname differs from the character's most
/// common reading, so that 单 (shàn as a surname) is a homophone of 善 and
/// 曾 (zēng) of 增, as a clerk typing the name by pinyin would produce.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('区', "ou"),
    ('仇', "qiu"),
    ('朴', "piao"),
    ('查', "zha"),
    ('乐', "yue"),
    ('覃', "qin"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('种', "chong"),
    ('召', "shao"),
    ('长', "zhang"),
    ('尉', "yu"),
    ('秘', "bi"),
    ('折', "she"),
    ('黑', "he"),
    ('重', "chong"),
    ('薄', "bo"),
    ('万', "wan"),
    ('蔚', "yu"),
    ('都', "du"),
    ('句', "gou"),
];

struct Table {
    names: Vec<&'static str>,
    fuzzy: Vec<u16>,
    cjk: Vec<Syllable>,
    by_name: HashMap<&'static str, Syllable>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

fn intern(
    name: &'static str,
    names: &mut Vec<&'static str>,
    by_name: &mut HashMap<&'static str, Syllable>,
) -> Syllable {
    if let Some(&id) = by_name.get(name) {
        return id;
    }
    let id = Syllable::try_from(names.len()).unwrap_or(NONE);
    names.push(name);
    by_name.insert(name, id);
    id
}

fn build() -> Table {
    let mut names: Vec<&'static str> = vec![""];
    let mut by_name = HashMap::new();
    let mut cjk = Vec::with_capacity((CJK_END - CJK_START + 1) as usize);
    for code in CJK_START..=CJK_END {
        let id = char::from_u32(code)
            .and_then(|c| c.to_pinyin())
            .map_or(NONE, |p| intern(p.plain(), &mut names, &mut by_name));
        cjk.push(id);
    }
    for &(_, reading) in SURNAME_READINGS {
        intern(reading, &mut names, &mut by_name);
    }
    // Each syllable's fuzzy class is the interned index of its folded spelling.
    let mut classes: HashMap<String, u16> = HashMap::new();
    let mut fuzzy = Vec::with_capacity(names.len());
    for name in &names {
        let key = fuzzy_spelling(name);
        let next = u16::try_from(classes.len()).unwrap_or(u16::MAX);
        fuzzy.push(*classes.entry(key).or_insert(next));
    }
    Table {
        names,
        fuzzy,
        cjk,
        by_name,
    }
}

/// Folds a syllable to the spelling shared by the sounds that are commonly
/// confused in southern Mandarin and in "fuzzy pinyin" input-method settings.
fn fuzzy_spelling(s: &str) -> String {
    let (initial, fin) =
        if s.len() >= 2 && (s.starts_with("zh") || s.starts_with("ch") || s.starts_with("sh")) {
            s.split_at(2)
        } else if s.starts_with(|c: char| "bpmfdtnlgkhjqxrzcsyw".contains(c)) {
            s.split_at(1)
        } else {
            ("", s)
        };
    let initial = match initial {
        "zh" => "z",
        "ch" => "c",
        "sh" => "s",
        "n" | "r" => "l",
        "f" => "h",
        other => other,
    };
    let fin = match fin.strip_suffix("ng") {
        Some(stem) if stem.ends_with(['a', 'e', 'i']) => format!("{stem}n"),
        _ => fin.to_string(),
    };
    format!("{initial}{fin}")
}

/// The toneless reading of a character in its most common pronunciation.
pub fn of_char(c: char) -> Syllable {
    let code = u32::from(c);
    if (CJK_START..=CJK_END).contains(&code) {
        return table().cjk[(code - CJK_START) as usize];
    }
    c.to_pinyin()
        .and_then(|p| table().by_name.get(p.plain()).copied())
        .unwrap_or(NONE)
}

/// The reading of a character used as (part of) a surname.
pub fn of_surname_char(c: char) -> Syllable {
    SURNAME_READINGS
        .iter()
        .find(|(ch, _)| *ch == c)
        .and_then(|(_, reading)| table().by_name.get(reading).copied())
        .unwrap_or_else(|| of_char(c))
}

/// The spelling of an interned syllable (empty for [`NONE`]).
pub fn spelling(s: Syllable) -> &'static str {
    table().names.get(usize::from(s)).copied().unwrap_or("")
}

/// The fuzzy-sound class of a syllable; equal classes sound alike.
pub fn fuzzy_class(s: Syllable) -> u16 {
    table().fuzzy.get(usize::from(s)).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homophones_share_a_syllable() {
        assert_eq!(of_char('丽'), of_char('莉'));
        assert_eq!(spelling(of_char('丽')), "li");
        assert_ne!(of_char('丽'), of_char('娜'));
    }

    #[test]
    fn surname_readings_override_the_common_one() {
        assert_eq!(spelling(of_surname_char('单')), "shan");
        assert_eq!(spelling(of_surname_char('王')), "wang");
    }

    #[test]
    fn fuzzy_classes_join_southern_confusions() {
        let class = |c| fuzzy_class(of_char(c));
        assert_eq!(class('张'), class('赞')); // zhang ~ zan
        assert_eq!(class('娜'), class('拉')); // na ~ la
        assert_eq!(class('湖'), class('福')); // hu ~ fu
        assert_eq!(class('明'), class('民')); // ming ~ min
        assert_ne!(class('明'), class('亮'));
    }
}
