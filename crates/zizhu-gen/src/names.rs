//! Chinese personal names: surnames, given names by sex and generation, the
//! traditional forms and the homophones that real lists get wrong.
//!
//! The pools are small and common on purpose: real county lists are full of
//! repeated names (王芳, 李娜, 张伟), and a linker must not rely on names
//! being unique.

use crate::rng::{GenRng, chance, pick, weighted};
use rand::Rng;
use std::collections::HashMap;
use std::sync::OnceLock;
use zizhu_core::Sex;

/// Surnames with weights of the order of their frequency in southern Hunan
/// (唐, 蒋, 欧 and 柏 are much commoner there than nationally).
const SURNAMES: &[(&str, u32)] = &[
    ("李", 700),
    ("刘", 550),
    ("王", 550),
    ("张", 500),
    ("陈", 500),
    ("杨", 400),
    ("黄", 350),
    ("唐", 300),
    ("周", 250),
    ("蒋", 250),
    ("吴", 220),
    ("赵", 200),
    ("何", 200),
    ("邓", 200),
    ("罗", 200),
    ("胡", 180),
    ("彭", 180),
    ("谭", 150),
    ("曾", 150),
    ("谢", 150),
    ("徐", 150),
    ("朱", 150),
    ("肖", 150),
    ("雷", 120),
    ("廖", 120),
    ("孙", 120),
    ("郭", 120),
    ("林", 120),
    ("欧", 100),
    ("钟", 100),
    ("马", 100),
    ("高", 100),
    ("梁", 100),
    ("郑", 100),
    ("宋", 80),
    ("田", 80),
    ("冯", 80),
    ("潘", 80),
    ("龙", 80),
    ("邹", 80),
    ("文", 80),
    ("许", 80),
    ("袁", 80),
    ("柏", 60),
    ("颜", 60),
    ("任", 60),
    ("魏", 60),
    ("石", 60),
    ("贺", 60),
    ("易", 60),
    ("蔡", 60),
    ("付", 60),
    ("乐", 50),
    ("骆", 50),
    ("沈", 50),
    ("夏", 50),
    ("汤", 50),
    ("姚", 50),
    ("卢", 50),
    ("黎", 50),
    ("邝", 40),
    ("陆", 40),
    ("左", 40),
    ("尹", 40),
    ("傅", 40),
    ("段", 40),
    ("毛", 40),
    ("邱", 40),
    ("江", 40),
    ("秦", 30),
    ("侯", 30),
    ("盘", 20),
    ("奉", 20),
    // Compound surnames, about 0.4% of the population together: a trap
    // for code that assumes a one-character surname.
    ("欧阳", 25),
    ("司马", 5),
    ("上官", 4),
    ("诸葛", 3),
    ("司徒", 3),
    ("皇甫", 2),
    ("东方", 2),
    ("令狐", 1),
    ("慕容", 1),
];

/// Surnames of 瑶族 families in the 瑶族乡, which differ from the county mix.
const YAO_SURNAMES: &[(&str, u32)] = &[
    ("盘", 200),
    ("赵", 180),
    ("邓", 150),
    ("李", 120),
    ("黄", 100),
    ("冯", 80),
    ("奉", 80),
    ("唐", 60),
    ("沈", 40),
    ("任", 40),
];

const CHILD_MALE: &[&str] = &[
    "浩", "宇", "轩", "子", "梓", "俊", "杰", "睿", "博", "文", "明", "鹏", "凯", "航", "晨", "阳",
    "泽", "豪", "鑫", "涛", "磊", "诚", "然", "一", "思", "佳", "嘉", "志", "建", "天", "毅", "康",
    "健", "铭", "锐", "瑞", "恒", "宏", "振", "海", "林", "成", "乐", "彬", "旭", "伟", "强", "勇",
    "峰", "斌", "超", "辉", "华", "军", "家", "宸", "昊", "皓", "翔", "霖", "远", "逸", "哲", "俊",
];

const CHILD_FEMALE: &[&str] = &[
    "欣", "怡", "涵", "梓", "子", "雨", "诗", "思", "佳", "雅", "婷", "静", "丽", "芳", "娜", "琳",
    "玲", "颖", "悦", "萱", "妍", "瑶", "琪", "慧", "敏", "艳", "燕", "红", "霞", "梅", "兰", "晨",
    "馨", "心", "语", "彤", "可", "紫", "一", "雪", "月", "春", "秋", "小", "美", "嘉", "蕊", "洁",
    "倩", "婧", "露", "萍", "菲", "晴", "莉", "丹", "媛", "依", "诺", "冉", "璐", "舒", "晓", "雯",
];

const ADULT_MALE: &[&str] = &[
    "建", "国", "华", "军", "明", "伟", "勇", "志", "强", "平", "德", "春", "海", "林", "生", "文",
    "金", "永", "福", "清", "新", "成", "荣", "辉", "东", "庆", "和", "兵", "峰", "斌", "刚", "涛",
    "波", "锋", "宏", "光", "红", "亮", "忠", "良", "武", "胜", "祥", "发", "贵", "满",
];

const ADULT_FEMALE: &[&str] = &[
    "秀", "英", "桂", "兰", "红", "梅", "芳", "小", "春", "花", "玉", "凤", "云", "丽", "华", "燕",
    "霞", "琴", "娟", "艳", "玲", "萍", "珍", "莲", "香", "翠", "菊", "群", "敏", "静", "秋", "月",
    "美", "妹", "娥",
];

/// Given names so common that, with the commonest surnames, the same full
/// name (王芳, 李娜, 张伟 …) turns up again and again in every county.
const COMMON_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "浩然", "宇轩", "子轩", "俊杰", "梓轩", "浩宇",
];
const COMMON_FEMALE: &[&str] = &[
    "芳", "娜", "静", "敏", "丽", "艳", "婷", "欣怡", "子涵", "梓涵", "雨涵", "诗涵", "一诺",
];

/// Groups of characters a pinyin input method offers for the same syllable,
/// so a clerk typing a name by ear picks the wrong one. Groups are disjoint.
const HOMOPHONES: &[&[&str]] = &[
    &["丽", "莉", "俐", "利"],
    &["华", "花", "桦"],
    &["明", "鸣", "铭"],
    &["军", "君", "均"],
    &["静", "婧", "敬", "靖"],
    &["婷", "亭", "庭"],
    &["伟", "玮", "炜", "威"],
    &["芳", "方"],
    &["娜", "那"],
    &["杰", "洁", "捷"],
    &["燕", "艳", "雁"],
    &["红", "宏", "虹", "鸿"],
    &["玲", "琳", "林", "铃"],
    &["平", "萍", "苹"],
    &["英", "瑛", "莹", "颖", "盈"],
    &["涛", "韬"],
    &["辉", "晖", "徽"],
    &["霞", "侠"],
    &["梅", "玫"],
    &["兰", "岚", "蓝"],
    &["宇", "雨", "语", "羽"],
    &["轩", "萱", "宣"],
    &["涵", "晗", "含", "寒"],
    &["欣", "馨", "新", "心", "鑫"],
    &["怡", "仪", "宜", "颐"],
    &["浩", "皓", "昊"],
    &["梓", "子", "紫"],
    &["佳", "家", "嘉"],
    &["思", "斯", "丝"],
    &["诗", "施", "师"],
    &["雅", "亚"],
    &["瑶", "遥"],
    &["琪", "琦", "淇", "祺"],
    &["文", "雯", "闻"],
    &["晨", "辰", "臣"],
    &["阳", "杨", "洋"],
    &["俊", "峻", "骏"],
    &["航", "杭"],
    &["睿", "锐", "瑞"],
    &["鹏", "朋"],
    &["凯", "恺", "铠"],
    &["娟", "鹃"],
    &["慧", "惠", "蕙"],
    &["磊", "蕾"],
    &["彤", "桐", "童"],
    &["志", "智", "致"],
    &["勇", "永", "咏"],
    &["强", "蔷"],
    &["建", "健", "剑"],
    &["峰", "锋", "丰", "枫"],
    &["斌", "彬", "宾"],
    &["超", "潮"],
    &["倩", "茜"],
    &["露", "璐", "路"],
    &["菲", "霏", "非"],
    &["晴", "清", "青"],
    &["悦", "月", "越", "玥"],
    &["媛", "圆", "元", "源"],
    &["泽", "则"],
    &["毅", "艺", "亦", "逸"],
    &["诚", "成", "城", "承"],
    &["恒", "衡"],
    &["振", "震"],
    &["旭", "煦"],
    &["桂", "贵"],
    &["玉", "钰", "煜"],
    &["云", "芸", "韵"],
    &["福", "富"],
    &["荣", "容", "蓉"],
    &["东", "冬"],
    &["和", "禾", "合"],
    &["生", "升", "声"],
    &["金", "锦", "晋"],
    &["雪", "学"],
    &["小", "晓", "筱"],
    &["可", "珂", "柯"],
    &["依", "伊", "一"],
    &["然", "燃"],
    &["博", "波", "渤"],
    &["天", "添"],
];

/// Which generation a person belongs to, because given-name fashions changed
/// a lot between the grandparents' and the children's births.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Generation {
    Child,
    Adult,
}

/// A person's name, kept in parts so that errors can target the given name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub surname: &'static str,
    pub given: String,
}

impl Name {
    /// The full name as written in the lists, surname first.
    pub fn full(&self) -> String {
        let mut s = String::with_capacity(self.surname.len() + self.given.len());
        s.push_str(self.surname);
        s.push_str(&self.given);
        s
    }
}

/// Draws a surname; 瑶族 families in the 瑶族乡 draw from their own mix.
pub(crate) fn surname(rng: &mut GenRng, yao: bool) -> &'static str {
    if yao {
        weighted(rng, YAO_SURNAMES)
    } else {
        weighted(rng, SURNAMES)
    }
}

/// Draws a given name for a person of this sex and generation.
pub(crate) fn given(rng: &mut GenRng, sex: Sex, generation: Generation) -> String {
    let (pool, common) = match (generation, sex) {
        (Generation::Child, Sex::Male) => (CHILD_MALE, COMMON_MALE),
        (Generation::Child, Sex::Female) => (CHILD_FEMALE, COMMON_FEMALE),
        (Generation::Adult, Sex::Male) => (ADULT_MALE, COMMON_MALE),
        (Generation::Adult, Sex::Female) => (ADULT_FEMALE, COMMON_FEMALE),
    };
    if chance(rng, 60) {
        return (*pick(rng, common)).to_string();
    }
    let two_chars = match generation {
        Generation::Child => 850,
        Generation::Adult => 600,
    };
    let first = *pick(rng, pool);
    if !chance(rng, two_chars) {
        return first.to_string();
    }
    // Reduplicated girls' names (婷婷, 欣欣) are a real fashion.
    if sex == Sex::Female && chance(rng, 30) {
        return format!("{first}{first}");
    }
    let mut second = *pick(rng, pool);
    while second == first {
        second = *pick(rng, pool);
    }
    format!("{first}{second}")
}

/// A given name for a twin: different from the sibling's, and often sharing
/// its first character (欣怡/欣悦), as parents of twins like to do.
pub(crate) fn twin_given(rng: &mut GenRng, sex: Sex, sibling: &str) -> String {
    let pool = match sex {
        Sex::Male => CHILD_MALE,
        Sex::Female => CHILD_FEMALE,
    };
    loop {
        let candidate = match sibling.chars().next() {
            Some(first) if sibling.chars().count() == 2 && chance(rng, 500) => {
                format!("{first}{}", pick(rng, pool))
            }
            _ => given(rng, sex, Generation::Child),
        };
        if candidate != sibling {
            return candidate;
        }
    }
}

/// Precomputed conversions, built once: zhconv is exact but too slow to run
/// on every name of a province-sized list.
struct Tables {
    traditional: HashMap<String, String>,
    homophones: HashMap<char, &'static [&'static str]>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut traditional = HashMap::new();
        let mut add = |s: &str| {
            if !traditional.contains_key(s) {
                let t = zhconv::zhconv(s, zhconv::Variant::ZhHant);
                traditional.insert(s.to_string(), t);
            }
        };
        for (s, _) in SURNAMES.iter().chain(YAO_SURNAMES) {
            add(s);
        }
        for pool in [CHILD_MALE, CHILD_FEMALE, ADULT_MALE, ADULT_FEMALE] {
            for s in pool {
                add(s);
            }
        }
        for g in HOMOPHONES {
            for s in *g {
                add(s);
            }
        }
        for s in COMMON_MALE.iter().chain(COMMON_FEMALE) {
            for c in s.chars() {
                add(c.encode_utf8(&mut [0; 4]));
            }
        }
        let mut homophones = HashMap::new();
        for g in HOMOPHONES {
            for s in *g {
                if let Some(c) = s.chars().next() {
                    homophones.insert(c, *g);
                }
            }
        }
        Tables {
            traditional,
            homophones,
        }
    })
}

/// The name in traditional characters, converted with zhconv (zh-Hant) part
/// by part; equal to the simplified name when no character changes.
pub(crate) fn traditional(surname: &str, given: &str) -> String {
    let t = tables();
    let mut out = String::new();
    match t.traditional.get(surname) {
        Some(s) => out.push_str(s),
        None => out.push_str(surname),
    }
    let mut buf = [0u8; 4];
    for c in given.chars() {
        let key: &str = c.encode_utf8(&mut buf);
        match t.traditional.get(key) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out
}

/// The name with one given-name character replaced by a homophone, or None
/// when no character of the given name has one in the table.
pub(crate) fn homophone(rng: &mut GenRng, surname: &str, given: &str) -> Option<String> {
    let t = tables();
    let chars: Vec<char> = given.chars().collect();
    let positions: Vec<usize> = (0..chars.len())
        .filter(|i| t.homophones.contains_key(&chars[*i]))
        .collect();
    if positions.is_empty() {
        return None;
    }
    let pos = positions[rng.random_range(0..positions.len())];
    let group = t.homophones[&chars[pos]];
    let mut buf = [0u8; 4];
    let current: &str = chars[pos].encode_utf8(&mut buf);
    let others: Vec<&str> = group.iter().copied().filter(|s| *s != current).collect();
    let replacement = others[rng.random_range(0..others.len())];
    let mut out = String::from(surname);
    for (i, c) in chars.iter().enumerate() {
        if i == pos {
            out.push_str(replacement);
        } else {
            out.push(*c);
        }
    }
    Some(out)
}

/// Whether [`homophone`] can change this given name.
pub(crate) fn has_homophone(given: &str) -> bool {
    let t = tables();
    given.chars().any(|c| t.homophones.contains_key(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn traditional_converts_common_characters() {
        assert_eq!(traditional("刘", "丽华"), "劉麗華");
        assert_eq!(traditional("王", "芳"), "王芳");
    }

    #[test]
    fn homophone_changes_exactly_one_given_character() {
        let mut rng = stream(1, 99, 0);
        let h = homophone(&mut rng, "欧阳", "丽").unwrap_or_default();
        assert!(h.starts_with("欧阳"));
        assert_ne!(h, "欧阳丽");
        assert_eq!(h.chars().count(), 3);
    }

    #[test]
    fn homophone_groups_are_disjoint() {
        let mut seen = std::collections::HashSet::new();
        for g in HOMOPHONES {
            for s in *g {
                assert!(seen.insert(*s), "{s} appears in two homophone groups");
            }
        }
    }

    #[test]
    fn every_pool_character_encodes_in_gbk() {
        let all = SURNAMES
            .iter()
            .chain(YAO_SURNAMES)
            .map(|(s, _)| *s)
            .chain(CHILD_MALE.iter().copied())
            .chain(CHILD_FEMALE.iter().copied())
            .chain(ADULT_MALE.iter().copied())
            .chain(ADULT_FEMALE.iter().copied())
            .chain(HOMOPHONES.iter().flat_map(|g| g.iter().copied()));
        for s in all {
            for text in [s.to_string(), traditional(s, "")] {
                let (_, _, bad) = encoding_rs::GBK.encode(&text);
                assert!(!bad, "{text} cannot be written in GBK");
            }
        }
    }
}
