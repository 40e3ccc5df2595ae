//! A synthetic pair of department lists with ground truth, for tests and
//! the benchmark.
//!
//! Its error model is deliberately its own, not that of `zizhu-gen` or of
//! any generator the linker will be judged on: households with twins and
//! siblings, a county's skewed surnames (with many 欧阳), very common names,
//! and per-list error profiles — OCR look-alikes (some of which the linker's
//! table does not know), homophones typed by pinyin, traditional characters,
//! dropped and swapped given-name characters, missing, 15-digit, mistyped
//! and transposed ID numbers, a guardian's ID in the child's cell, dates in
//! every format with day/month swaps and Excel's off-by-one, duplicated
//! persons within a list, and planted traps: twins split across the lists
//! and different 王芳s born the same year in the same township.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the maker"
)]
#![expect(
    clippy::float_arithmetic,
    reason = "error rates are probabilities, not money"
)]

use pinyin::ToPinyin;
use std::collections::HashMap;
use zizhu_link::Record;

/// A small deterministic generator (SplitMix64), so that the data depend
/// only on the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x1234_5678_9abc_def0)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Index drawn with probability proportional to 1/(rank+1)^0.9, a Zipf-like skew.
    pub fn zipf(&mut self, n: usize, weights: &[f64]) -> usize {
        let total = weights[n - 1];
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        weights.partition_point(|&w| w < x).min(n - 1)
    }
}

fn cumulative_zipf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|i| {
            acc += 1.0 / ((i + 1) as f64).powf(0.9);
            acc
        })
        .collect()
}

const SURNAMES: &[&str] = &[
    "李", "王", "刘", "陈", "唐", "欧阳", "蒋", "张", "杨", "黄", "周", "周", "吴", "赵", "邓",
    "曾", "胡", "彭", "谢", "罗", "何", "郑", "肖", "柏", "骆", "冯", "许", "田", "朱", "徐", "孙",
    "马", "林", "郭", "高", "梁", "宋", "韩", "曹", "袁", "潘", "于", "蔡", "余", "杜", "叶", "程",
    "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
    "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "覃", "武",
    "戴", "莫", "孔", "向", "汤", "司马", "诸葛", "上官", "单", "乐",
];

const MALE_CHARS: &[&str] = &[
    "子", "浩", "宇", "轩", "俊", "杰", "涛", "明", "伟", "强", "磊", "军", "鹏", "辉", "志", "文",
    "博", "豪", "泽", "睿", "晨", "阳", "凯", "航", "然", "一", "天", "鑫", "振", "翔", "瑞", "林",
    "峰", "斌", "超", "勇", "健", "亮", "刚", "建", "国", "华", "新", "成", "龙", "飞", "永", "海",
    "波", "嘉", "铭", "宏", "毅", "锋", "远", "东", "云", "思", "梓", "奕", "诚", "乐", "安", "晓",
];

const FEMALE_CHARS: &[&str] = &[
    "子", "欣", "怡", "涵", "雨", "梦", "思", "佳", "琪", "悦", "婷", "静", "丽", "娜", "芳", "敏",
    "雪", "颖", "琳", "璐", "萱", "淑", "慧", "晓", "玉", "兰", "艳", "红", "霞", "倩", "媛", "彤",
    "诗", "语", "馨", "月", "琴", "洁", "瑶", "冰", "萍", "秀", "英", "蕾", "薇", "妍", "嘉", "一",
];

const COMMON_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平",
];
const COMMON_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀兰", "桂英", "燕", "玲",
];

const TOWNSHIPS: &[&str] = &[
    "舜陵街道",
    "桃源街道",
    "东溪街道",
    "天堂镇",
    "水市镇",
    "湾井镇",
    "冷水镇",
    "太平镇",
    "禾亭镇",
    "仁和镇",
    "中和镇",
    "柏家坪镇",
    "清水桥镇",
    "鲤溪镇",
    "长铺子乡",
    "保安镇",
    "九嶷山瑶族乡",
    "五龙山瑶族乡",
    "桐木漯瑶族乡",
    "荒塘瑶族乡",
    "棉花坪瑶族乡",
];

const PLACE_CHARS: &[&str] = &[
    "平", "田", "大", "洞", "新", "塘", "岭", "坪", "山", "口", "桥", "湾", "江", "河", "下", "上",
    "东", "西", "南", "北", "石", "马", "龙", "凤", "莲", "花", "竹", "木", "水", "源", "头", "冲",
];

/// Simplified → traditional for the characters this maker uses, as a
/// Hong Kong or Taiwan form, an old household register or a clerk's
/// traditional input method would write them.
const TRADITIONAL: &[(char, char)] = &[
    ('刘', '劉'),
    ('陈', '陳'),
    ('杨', '楊'),
    ('黄', '黃'),
    ('赵', '趙'),
    ('吴', '吳'),
    ('邓', '鄧'),
    ('谢', '謝'),
    ('罗', '羅'),
    ('郑', '鄭'),
    ('冯', '馮'),
    ('许', '許'),
    ('马', '馬'),
    ('韩', '韓'),
    ('叶', '葉'),
    ('苏', '蘇'),
    ('卢', '盧'),
    ('钟', '鍾'),
    ('谭', '譚'),
    ('陆', '陸'),
    ('贾', '賈'),
    ('韦', '韋'),
    ('邹', '鄒'),
    ('龙', '龍'),
    ('贺', '賀'),
    ('顾', '顧'),
    ('龚', '龔'),
    ('汤', '湯'),
    ('张', '張'),
    ('欧', '歐'),
    ('阳', '陽'),
    ('蒋', '蔣'),
    ('孙', '孫'),
    ('宋', '宋'),
    ('俊', '俊'),
    ('涛', '濤'),
    ('伟', '偉'),
    ('军', '軍'),
    ('鹏', '鵬'),
    ('辉', '輝'),
    ('凯', '凱'),
    ('航', '航'),
    ('鑫', '鑫'),
    ('峰', '峰'),
    ('刚', '剛'),
    ('华', '華'),
    ('国', '國'),
    ('飞', '飛'),
    ('铭', '銘'),
    ('锋', '鋒'),
    ('远', '遠'),
    ('东', '東'),
    ('云', '雲'),
    ('诚', '誠'),
    ('乐', '樂'),
    ('晓', '曉'),
    ('梦', '夢'),
    ('静', '靜'),
    ('丽', '麗'),
    ('颖', '穎'),
    ('琳', '琳'),
    ('璐', '璐'),
    ('艳', '艷'),
    ('红', '紅'),
    ('倩', '倩'),
    ('诗', '詩'),
    ('语', '語'),
    ('兰', '蘭'),
    ('瑶', '瑤'),
    ('萍', '萍'),
    ('蕾', '蕾'),
    ('薇', '薇'),
    ('娟', '娟'),
    ('玲', '玲'),
    ('强', '強'),
    ('杰', '傑'),
    ('宁', '寧'),
    ('宏', '宏'),
    ('义', '義'),
    ('凤', '鳳'),
    ('桥', '橋'),
    ('湾', '灣'),
    ('岭', '嶺'),
    ('莲', '蓮'),
    ('头', '頭'),
    ('县', '縣'),
    ('组', '組'),
    ('镇', '鎮'),
    ('乡', '鄉'),
    ('远', '遠'),
    ('宁', '寧'),
];

/// Homophone groups (same toneless pinyin) that a pinyin input method
/// offers side by side.
const HOMOPHONES: &[&str] = &[
    "丽莉俐立利",
    "静婧靖净",
    "华桦骅",
    "伟玮炜",
    "明铭鸣",
    "芳方",
    "军君钧",
    "杰洁婕",
    "婷亭",
    "琳林淋",
    "涵晗含",
    "轩萱宣",
    "欣鑫馨新",
    "怡仪宜",
    "宇雨语羽禹",
    "浩皓昊",
    "佳嘉家",
    "俊峻骏",
    "子梓紫",
    "晨辰",
    "思斯",
    "雯文",
    "娜纳",
    "敏闵",
    "艳燕",
    "磊垒",
    "勇永",
    "涛韬",
    "鹏朋",
    "强墙",
    "瑶遥",
    "琪琦棋祺奇",
    "悦月越",
    "梦孟",
    "雪学",
    "颖莹英",
    "萍平",
    "玉育",
    "兰蓝",
    "红宏洪",
    "霞夏",
    "倩茜",
    "媛源圆",
    "彤桐同",
    "诗师",
    "馨心",
    "琴勤",
    "冰兵",
    "秀绣",
    "蕾磊",
    "薇微",
    "妍研言",
    "一依",
    "凯恺",
    "航杭",
    "然冉",
    "天田",
    "振震",
    "翔祥",
    "瑞睿",
    "峰锋丰",
    "斌彬",
    "超潮",
    "健建剑",
    "亮量",
    "刚钢",
    "国果",
    "成诚城",
    "龙隆",
    "飞菲",
    "海",
    "波博",
    "毅义亿",
    "远元源",
    "东冬",
    "云芸",
    "安",
    "晓小",
    "文",
    "志智",
    "博波",
    "豪毫",
    "泽择",
    "阳洋扬",
    "鑫",
];

/// Look-alike pairs an OCR pass or a tired transcriber produces. Some are
/// in the linker's own table, some deliberately are not.
const OCR: &[(char, char)] = &[
    ('己', '已'),
    ('未', '末'),
    ('日', '曰'),
    ('士', '土'),
    ('王', '玉'),
    ('大', '太'),
    ('天', '夭'),
    ('午', '牛'),
    ('甲', '申'),
    ('晴', '睛'),
    ('宏', '宋'),
    ('怡', '恰'),
    ('鸣', '呜'),
    ('宇', '字'),
    ('雪', '雷'),
    ('明', '朋'),
    ('佳', '住'),
    ('嘉', '喜'),
    ('东', '车'),
    ('梅', '海'),
    ('思', '恩'),
    ('泽', '译'),
    ('轩', '轨'),
    ('瑞', '端'),
    ('小', '少'),
    ('文', '丈'),
    ('方', '万'),
    ('平', '乎'),
    ('华', '毕'),
    ('军', '车'),
    ('超', '起'),
    ('飞', '习'),
    ('凤', '风'),
    ('欣', '炊'),
    ('晓', '哓'),
    ('婷', '停'),
    ('琳', '淋'),
    ('涛', '祷'),
    ('浩', '活'),
    ('玲', '岭'),
    ('梦', '楚'),
    ('娜', '挪'),
    ('静', '争'),
    ('丽', '而'),
    ('颖', '频'),
    ('辉', '挥'),
    ('鹏', '朋'),
    ('峰', '锋'),
    ('毅', '殷'),
];

/// Per-list error rates: each department types its list its own way.
#[derive(Clone, Debug)]
pub struct Profile {
    pub id_missing: f64,
    pub id_legacy15: f64,
    pub id_digit: f64,
    pub id_swap: f64,
    pub id_guardian: f64,
    pub id_format: f64,
    pub name_traditional: f64,
    pub name_homophone: f64,
    pub name_ocr: f64,
    pub name_drop: f64,
    pub name_swap: f64,
    pub name_spaces: f64,
    pub date_missing: f64,
    pub date_swap: f64,
    pub date_digit: f64,
    pub date_off_by_one: f64,
    pub date_styles: &'static [DateStyle],
    pub sex_missing: f64,
    pub sex_codes: bool,
    pub guardian_missing: f64,
    pub guardian_mother: f64,
    pub guardian_homophone: f64,
    pub address_missing: f64,
    pub address_full_prefix: f64,
    pub address_chinese_group: f64,
}

#[derive(Clone, Copy, Debug)]
pub enum DateStyle {
    Iso,
    Compact,
    Slash,
    Chinese,
    Excel,
    Dotted,
}

/// The education roster (学籍): typed from ID cards, fairly clean.
pub fn roster_profile() -> Profile {
    Profile {
        id_missing: 0.06,
        id_legacy15: 0.0,
        id_digit: 0.012,
        id_swap: 0.006,
        id_guardian: 0.0,
        id_format: 0.02,
        name_traditional: 0.02,
        name_homophone: 0.015,
        name_ocr: 0.004,
        name_drop: 0.008,
        name_swap: 0.004,
        name_spaces: 0.02,
        date_missing: 0.03,
        date_swap: 0.004,
        date_digit: 0.004,
        date_off_by_one: 0.0,
        date_styles: &[DateStyle::Iso, DateStyle::Iso, DateStyle::Compact],
        sex_missing: 0.01,
        sex_codes: false,
        guardian_missing: 0.05,
        guardian_mother: 0.25,
        guardian_homophone: 0.02,
        address_missing: 0.04,
        address_full_prefix: 0.8,
        address_chinese_group: 0.2,
    }
}

/// The poverty-office list (扶贫办): copied by hand from village forms,
/// scanned, re-typed; much messier.
pub fn poverty_profile() -> Profile {
    Profile {
        id_missing: 0.18,
        id_legacy15: 0.04,
        id_digit: 0.03,
        id_swap: 0.015,
        id_guardian: 0.005,
        id_format: 0.06,
        name_traditional: 0.10,
        name_homophone: 0.04,
        name_ocr: 0.015,
        name_drop: 0.015,
        name_swap: 0.008,
        name_spaces: 0.04,
        date_missing: 0.10,
        date_swap: 0.015,
        date_digit: 0.01,
        date_off_by_one: 0.008,
        date_styles: &[
            DateStyle::Slash,
            DateStyle::Chinese,
            DateStyle::Excel,
            DateStyle::Dotted,
            DateStyle::Compact,
        ],
        sex_missing: 0.06,
        sex_codes: true,
        guardian_missing: 0.15,
        guardian_mother: 0.45,
        guardian_homophone: 0.05,
        address_missing: 0.10,
        address_full_prefix: 0.2,
        address_chinese_group: 0.6,
    }
}

/// One true person.
#[derive(Clone, Debug)]
pub struct Person {
    pub surname: String,
    pub given: String,
    pub male: bool,
    pub birth: (i32, u32, u32),
    pub id: String,
    pub father: String,
    pub mother: String,
    pub father_id: String,
    pub township: &'static str,
    pub village: String,
    pub group: u32,
    pub house: u32,
    /// When set, the person's ID number is never written (trap persons).
    pub no_id: bool,
}

/// Two lists and their ground truth.
pub struct Lists {
    pub left: Vec<Record>,
    pub right: Vec<Record>,
    /// The person behind each left row.
    pub left_person: Vec<u32>,
    /// The person behind each right row.
    pub right_person: Vec<u32>,
    /// (left row, right row) pairs of twins split across the lists: must not link.
    pub split_twins: Vec<(usize, usize)>,
    /// (left row, right row) pairs of different people with the same common
    /// name, birth year and township and no ID: must not link.
    pub traps: Vec<(usize, usize)>,
}

fn check_digit(first17: &[u8]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize]
}

fn make_id(area: &str, birth: (i32, u32, u32), seq: u32) -> String {
    let first17 = format!("{area}{:04}{:02}{:02}{:03}", birth.0, birth.1, birth.2, seq);
    let c = check_digit(first17.as_bytes());
    format!("{first17}{}", c as char)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Maker {
    rng: Rng,
    surname_w: Vec<f64>,
    villages: HashMap<&'static str, Vec<String>>,
    next_seq: HashMap<(String, (i32, u32, u32)), u32>,
}

impl Maker {
    fn new(seed: u64) -> Maker {
        let mut rng = Rng::new(seed);
        let mut villages = HashMap::new();
        for &t in TOWNSHIPS {
            let n = 12 + rng.below(14);
            let mut vs: Vec<String> = Vec::new();
            while vs.len() < n {
                let v = format!("{}{}", rng.pick(PLACE_CHARS), rng.pick(PLACE_CHARS));
                if !vs.contains(&v) {
                    vs.push(v);
                }
            }
            villages.insert(t, vs);
        }
        Maker {
            rng,
            surname_w: cumulative_zipf(SURNAMES.len()),
            villages,
            next_seq: HashMap::new(),
        }
    }

    fn surname(&mut self) -> String {
        SURNAMES[self.rng.zipf(SURNAMES.len(), &self.surname_w)].to_string()
    }

    fn adult_name(&mut self, surname: &str, male: bool) -> String {
        let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
        let mut s = surname.to_string();
        let first: &&str = self.rng.pick(pool);
        s.push_str(first);
        if self.rng.chance(0.6) {
            let second: &&str = self.rng.pick(pool);
            s.push_str(second);
        }
        s
    }

    fn given(&mut self, male: bool, shared_first: Option<&str>) -> String {
        let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
        if let Some(first) = shared_first {
            return format!("{first}{}", self.rng.pick(pool));
        }
        if self.rng.chance(0.07) {
            return self
                .rng
                .pick(if male { COMMON_MALE } else { COMMON_FEMALE })
                .to_string();
        }
        let mut g = self.rng.pick(pool).to_string();
        if self.rng.chance(0.75) {
            let second = *self.rng.pick(pool);
            g.push_str(second);
        }
        g
    }

    /// A twin's two-character given name. Parents give twins names that
    /// sound different — often sharing the first character (子涵/子轩) — so
    /// the second twin's differing characters never share a reading with
    /// the first twin's.
    fn twin_given(&mut self, male: bool, first_twin: Option<&str>, shared: bool) -> String {
        let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
        let Some(other) = first_twin else {
            loop {
                let (a, b) = (*self.rng.pick(pool), *self.rng.pick(pool));
                let (ca, cb) = (a.chars().next(), b.chars().next());
                if a != b
                    && ca.and_then(|c| c.to_pinyin()).map(|p| p.plain())
                        != cb.and_then(|c| c.to_pinyin()).map(|p| p.plain())
                {
                    return format!("{a}{b}");
                }
            }
        };
        let other: Vec<char> = other.chars().collect();
        let reading = |c: char| c.to_pinyin().map(|p| p.plain());
        loop {
            let first = if shared {
                other[0]
            } else {
                self.rng.pick(pool).chars().next().unwrap_or('子')
            };
            let second = self.rng.pick(pool).chars().next().unwrap_or('子');
            let differs = |i: usize, c: char| reading(c) != reading(other[i]) && c != other[i];
            let ok = first != second
                && differs(1, second)
                && (shared || differs(0, first))
                && reading(second) != reading(other[0])
                && reading(first) != reading(other[1]);
            if ok {
                return format!("{first}{second}");
            }
        }
    }

    /// A sequence number unique for the area and birth date, odd for boys.
    fn seq(&mut self, area: &str, birth: (i32, u32, u32), male: bool) -> u32 {
        let e = self.next_seq.entry((area.to_string(), birth)).or_insert(0);
        *e += 1;
        (*e * 2 + u32::from(male)) % 1000
    }

    fn area(&mut self) -> &'static str {
        if self.rng.chance(0.9) {
            "431126"
        } else {
            const OTHER_AREAS: [&str; 4] = ["431121", "431102", "431127", "431125"];
            let area: &&'static str = self.rng.pick(&OTHER_AREAS);
            area
        }
    }

    fn birth(&mut self, year_from: i32, years: i32) -> (i32, u32, u32) {
        let y = year_from + self.rng.below(years as usize) as i32;
        let m = 1 + self.rng.below(12) as u32;
        let d = 1 + self.rng.below(days_in_month(y, m) as usize) as u32;
        (y, m, d)
    }

    /// One household: parents and one to three children (sometimes twins).
    fn household(&mut self, twins: bool) -> Vec<Person> {
        let surname = self.surname();
        let father = self.adult_name(&surname, true);
        let mother_surname = self.surname();
        let mother = self.adult_name(&mother_surname, false);
        let township = *self.rng.pick(TOWNSHIPS);
        let village = self.rng.pick(&self.villages[township]).clone();
        let group = 1 + self.rng.below(12) as u32;
        let house = 1 + self.rng.below(60) as u32;
        let area = self.area();
        let father_birth = self.birth(1970, 20);
        let father_id = make_id(area, father_birth, 1 + 2 * self.rng.below(400) as u32);
        let n = if twins { 2 } else { 1 + self.rng.below(3) };
        let shared = self.rng.chance(0.5);
        let mut kids = Vec::new();
        let mut births: Vec<(i32, u32, u32)> = Vec::new();
        for k in 0..n {
            let birth = if twins && k == 1 {
                births[0]
            } else {
                loop {
                    let b = self.birth(2003, 18);
                    if births.iter().all(|o| (o.0 - b.0).abs() >= 1) {
                        break b;
                    }
                }
            };
            births.push(birth);
            let male = self.rng.chance(0.52);
            let given = if twins {
                self.twin_given(
                    male,
                    kids.first().map(|p: &Person| p.given.as_str()),
                    shared,
                )
            } else {
                loop {
                    let g = self.given(male, None);
                    if kids.iter().all(|p: &Person| p.given != g) {
                        break g;
                    }
                }
            };
            let seq = self.seq(area, birth, male);
            kids.push(Person {
                surname: surname.clone(),
                given,
                male,
                birth,
                id: make_id(area, birth, seq),
                father: father.clone(),
                mother: mother.clone(),
                father_id: father_id.clone(),
                township,
                village: village.clone(),
                group,
                house,
                no_id: false,
            });
        }
        kids
    }
}

/// Renders one person as a row of a list with that list's errors.
fn render(p: &Person, profile: &Profile, rng: &mut Rng, record_id: String) -> Record {
    Record {
        record_id,
        name: render_name(p, profile, rng),
        sex: render_sex(p, profile, rng),
        birth_date: render_date(p.birth, profile, rng),
        id_number: render_id(p, profile, rng),
        guardian_name: render_guardian(p, profile, rng),
        address: render_address(p, profile, rng),
    }
}

fn to_traditional(s: &str) -> String {
    s.chars()
        .map(|c| {
            TRADITIONAL
                .iter()
                .find(|(simp, _)| *simp == c)
                .map_or(c, |(_, t)| *t)
        })
        .collect()
}

fn homophone_of(c: char, rng: &mut Rng) -> Option<char> {
    let group = HOMOPHONES.iter().find(|g| g.contains(c))?;
    let others: Vec<char> = group.chars().filter(|&x| x != c).collect();
    (!others.is_empty()).then(|| *rng.pick(&others))
}

fn render_name(p: &Person, profile: &Profile, rng: &mut Rng) -> String {
    let mut given: Vec<char> = p.given.chars().collect();
    if rng.chance(profile.name_homophone) {
        let i = rng.below(given.len());
        if let Some(h) = homophone_of(given[i], rng) {
            given[i] = h;
        }
    }
    if rng.chance(profile.name_ocr) {
        let i = rng.below(given.len());
        if let Some(&(a, b)) = OCR.iter().find(|(a, b)| *a == given[i] || *b == given[i]) {
            given[i] = if a == given[i] { b } else { a };
        }
    }
    if given.len() >= 2 && rng.chance(profile.name_drop) {
        given.remove(rng.below(given.len()));
    }
    if given.len() >= 2 && rng.chance(profile.name_swap) {
        given.swap(0, 1);
    }
    let mut name = format!("{}{}", p.surname, given.iter().collect::<String>());
    if rng.chance(profile.name_traditional) {
        name = to_traditional(&name);
    }
    if rng.chance(profile.name_spaces) {
        let chars: Vec<char> = name.chars().collect();
        let cut = p.surname.chars().count().min(chars.len());
        name = format!(
            "{} {}",
            chars[..cut].iter().collect::<String>(),
            chars[cut..].iter().collect::<String>()
        );
    }
    name
}

fn render_sex(p: &Person, profile: &Profile, rng: &mut Rng) -> String {
    if rng.chance(profile.sex_missing) {
        return String::new();
    }
    let s = match (profile.sex_codes, p.male, rng.below(2)) {
        (false, true, _) => "男",
        (false, false, _) => "女",
        (true, true, 0) => "1",
        (true, false, 0) => "2",
        (true, true, _) => "M",
        (true, false, _) => "F",
    };
    s.to_string()
}

fn excel_serial(y: i32, m: u32, d: u32) -> i64 {
    // Days from 1899-12-30, valid for dates after 1900-03-01.
    let days_from_civil = |y: i64, m: i64, d: i64| {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    };
    days_from_civil(i64::from(y), i64::from(m), i64::from(d)) - days_from_civil(1899, 12, 30)
}

fn render_date(birth: (i32, u32, u32), profile: &Profile, rng: &mut Rng) -> String {
    if rng.chance(profile.date_missing) {
        return String::new();
    }
    let (mut y, mut m, mut d) = birth;
    if d <= 12 && d != m && rng.chance(profile.date_swap) {
        std::mem::swap(&mut m, &mut d);
    }
    if rng.chance(profile.date_digit) {
        // One mistyped digit in the day or the year's last digit.
        if rng.chance(0.5) && d % 10 != 9 && d < days_in_month(y, m) {
            d += 1;
        } else {
            y += if y % 10 == 9 { -1 } else { 1 };
        }
    }
    let mut serial_shift = 0;
    if rng.chance(profile.date_off_by_one) {
        serial_shift = 1;
    }
    match rng.pick(profile.date_styles) {
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
        DateStyle::Compact => format!("{y:04}{m:02}{d:02}"),
        DateStyle::Slash => format!("{y}/{m}/{d}"),
        DateStyle::Chinese => format!("{y}年{m}月{d}日"),
        DateStyle::Dotted => format!("{y}.{m:02}.{d:02}"),
        DateStyle::Excel => (excel_serial(y, m, d) + serial_shift).to_string(),
    }
}

fn render_id(p: &Person, profile: &Profile, rng: &mut Rng) -> String {
    if p.no_id || rng.chance(profile.id_missing) {
        return String::new();
    }
    if rng.chance(profile.id_guardian) {
        return p.father_id.clone();
    }
    let mut id: Vec<u8> = p.id.clone().into_bytes();
    if rng.chance(profile.id_digit) {
        let i = rng.below(17);
        let old = id[i];
        loop {
            let new = b'0' + rng.below(10) as u8;
            if new != old {
                id[i] = new;
                break;
            }
        }
    } else if rng.chance(profile.id_swap) {
        let i = rng.below(16);
        if id[i] != id[i + 1] {
            id.swap(i, i + 1);
        }
    }
    let mut s = String::from_utf8(id).unwrap_or_default();
    if rng.chance(profile.id_legacy15) && s.len() == 18 {
        // The legacy form drops the century and the check digit, whatever
        // the century was.
        s = format!("{}{}", &s[..6], &s[8..17]);
    }
    if rng.chance(profile.id_format) {
        s = match rng.below(3) {
            0 => s.to_lowercase(),
            1 => format!("{} {} {}", &s[..6], &s[6..14], &s[14..]),
            _ => s
                .chars()
                .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c))
                .collect(),
        };
    }
    if s.ends_with('X') && rng.chance(0.3) {
        s = s.to_lowercase();
    }
    s
}

fn render_guardian(p: &Person, profile: &Profile, rng: &mut Rng) -> String {
    if rng.chance(profile.guardian_missing) {
        return String::new();
    }
    let mut g = if rng.chance(profile.guardian_mother) {
        p.mother.clone()
    } else {
        p.father.clone()
    };
    if rng.chance(profile.guardian_homophone) {
        let mut chars: Vec<char> = g.chars().collect();
        let i = chars.len() - 1;
        if let Some(h) = homophone_of(chars[i], rng) {
            chars[i] = h;
        }
        g = chars.into_iter().collect();
    }
    g
}

fn chinese_number(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[(n - 10) as usize]),
        _ => format!(
            "{}十{}",
            D[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                D[(n % 10) as usize]
            }
        ),
    }
}

fn render_address(p: &Person, profile: &Profile, rng: &mut Rng) -> String {
    if rng.chance(profile.address_missing) {
        return String::new();
    }
    let prefix = if rng.chance(profile.address_full_prefix) {
        "湖南省永州市宁远县"
    } else if rng.chance(0.3) {
        "宁远县"
    } else {
        ""
    };
    let group = if rng.chance(profile.address_chinese_group) {
        format!("{}组", chinese_number(p.group))
    } else {
        format!("{}组", p.group)
    };
    let house = if rng.chance(0.5) {
        format!("{}号", p.house)
    } else {
        String::new()
    };
    let village = if rng.chance(0.9) {
        format!("{}村", p.village)
    } else {
        format!("{}村委会", p.village)
    };
    format!("{prefix}{}{village}{group}{house}", p.township)
}

/// Sizes and shares of a generated pair of lists.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Persons in the left list (the roster).
    pub left_persons: usize,
    /// Share of left persons also in the right list.
    pub overlap: f64,
    /// Persons only in the right list, as a share of the right list.
    pub right_only: f64,
    /// Share of households with twins.
    pub twins: f64,
    /// Share of twin households split across the lists (one twin per list).
    pub split_twins: f64,
    /// Common-name trap pairs planted.
    pub traps: usize,
    /// Share of persons written twice in the left list.
    pub left_duplicates: f64,
    /// Share of persons written twice in the right list.
    pub right_duplicates: f64,
    pub seed: u64,
}

impl Spec {
    pub fn small(seed: u64) -> Spec {
        Spec {
            left_persons: 4000,
            overlap: 0.6,
            right_only: 0.15,
            twins: 0.03,
            split_twins: 0.4,
            traps: 60,
            left_duplicates: 0.01,
            right_duplicates: 0.005,
            seed,
        }
    }

    pub fn sized(left_persons: usize, right_persons: usize, seed: u64) -> Spec {
        // Right = overlap·L + right_only·R  ⇒ overlap = (1 - right_only)·R / L.
        let right_only = 0.2;
        Spec {
            left_persons,
            overlap: ((1.0 - right_only) * right_persons as f64 / left_persons as f64).min(1.0),
            right_only,
            twins: 0.02,
            split_twins: 0.3,
            traps: left_persons / 200,
            left_duplicates: 0.005,
            right_duplicates: 0.003,
            seed,
        }
    }
}

/// Makes two lists following `spec`.
pub fn make_lists(spec: &Spec) -> Lists {
    let mut mk = Maker::new(spec.seed);
    let left_profile = roster_profile();
    let right_profile = poverty_profile();
    let mut persons: Vec<Person> = Vec::new();
    // (person, in_left, in_right)
    let mut membership: Vec<(usize, bool, bool)> = Vec::new();
    let mut split: Vec<(usize, usize)> = Vec::new();
    let mut trap_pairs: Vec<(usize, usize)> = Vec::new();

    let mut left_count = 0;
    while left_count < spec.left_persons {
        let twins = mk.rng.chance(spec.twins);
        let kids = mk.household(twins);
        if twins && mk.rng.chance(spec.split_twins) {
            let a = persons.len();
            persons.extend(kids);
            membership.push((a, true, false));
            membership.push((a + 1, false, true));
            split.push((a, a + 1));
            left_count += 1;
            continue;
        }
        for kid in kids {
            let i = persons.len();
            persons.push(kid);
            let in_right = mk.rng.chance(spec.overlap);
            membership.push((i, true, in_right));
            left_count += 1;
        }
    }
    // Common-name traps: two different people, same common name, same
    // birth year and township, no ID in either list.
    for _ in 0..spec.traps {
        let mut a = mk.household(false).swap_remove(0);
        let male = mk.rng.chance(0.5);
        let common = mk
            .rng
            .pick(if male { COMMON_MALE } else { COMMON_FEMALE })
            .to_string();
        a.male = male;
        a.given = common;
        a.surname = (*mk.rng.pick(&["王", "李", "张", "刘", "陈"])).to_string();
        a.no_id = true;
        let mut b = mk.household(false).swap_remove(0);
        b.surname = a.surname.clone();
        b.given = a.given.clone();
        b.male = a.male;
        b.township = a.township;
        b.village = loop {
            let v = mk.rng.pick(&mk.villages[a.township]).clone();
            if v != a.village {
                break v;
            }
        };
        let year = a.birth.0;
        b.birth = loop {
            let d = mk.birth(year, 1);
            if d != a.birth {
                break d;
            }
        };
        b.no_id = true;
        let i = persons.len();
        persons.push(a);
        persons.push(b);
        membership.push((i, true, false));
        membership.push((i + 1, false, true));
        trap_pairs.push((i, i + 1));
    }
    // Persons only on the right (not in school: the cases 控辍保学 looks for).
    let right_in = membership.iter().filter(|m| m.2).count();
    let extra = (right_in as f64 * spec.right_only / (1.0 - spec.right_only)) as usize;
    for _ in 0..extra {
        let i = persons.len();
        persons.push(mk.household(false).swap_remove(0));
        membership.push((i, false, true));
    }

    // Render rows, with duplicates, then shuffle each list.
    let mut left_rows: Vec<(u32, Record)> = Vec::new();
    let mut right_rows: Vec<(u32, Record)> = Vec::new();
    let mut rng = Rng::new(spec.seed.wrapping_mul(31).wrapping_add(7));
    for &(i, in_left, in_right) in &membership {
        let p = &persons[i];
        let id = u32::try_from(i).unwrap_or(u32::MAX);
        if in_left {
            left_rows.push((id, render(p, &left_profile, &mut rng, String::new())));
            if rng.chance(spec.left_duplicates) {
                left_rows.push((id, render(p, &left_profile, &mut rng, String::new())));
            }
        }
        if in_right {
            right_rows.push((id, render(p, &right_profile, &mut rng, String::new())));
            if rng.chance(spec.right_duplicates) {
                right_rows.push((id, render(p, &right_profile, &mut rng, String::new())));
            }
        }
    }
    shuffle(&mut left_rows, &mut rng);
    shuffle(&mut right_rows, &mut rng);
    let mut left = Vec::with_capacity(left_rows.len());
    let mut left_person = Vec::with_capacity(left_rows.len());
    for (n, (pid, mut rec)) in left_rows.into_iter().enumerate() {
        rec.record_id = format!("L{:07}", n + 1);
        left.push(rec);
        left_person.push(pid);
    }
    let mut right = Vec::with_capacity(right_rows.len());
    let mut right_person = Vec::with_capacity(right_rows.len());
    for (n, (pid, mut rec)) in right_rows.into_iter().enumerate() {
        rec.record_id = format!("R{:07}", n + 1);
        right.push(rec);
        right_person.push(pid);
    }
    let rows_of = |persons: &[u32]| {
        let mut m: HashMap<u32, Vec<usize>> = HashMap::new();
        for (row, &p) in persons.iter().enumerate() {
            m.entry(p).or_default().push(row);
        }
        m
    };
    let (lrows, rrows) = (rows_of(&left_person), rows_of(&right_person));
    let to_rows = |pairs: &[(usize, usize)]| -> Vec<(usize, usize)> {
        pairs
            .iter()
            .flat_map(|&(a, b)| {
                let la = lrows.get(&(a as u32)).cloned().unwrap_or_default();
                let rb = rrows.get(&(b as u32)).cloned().unwrap_or_default();
                la.into_iter()
                    .flat_map(move |l| rb.clone().into_iter().map(move |r| (l, r)))
            })
            .collect()
    };
    Lists {
        split_twins: to_rows(&split),
        traps: to_rows(&trap_pairs),
        left,
        right,
        left_person,
        right_person,
    }
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

/// Precision, recall and F1 of predicted (left row, right row) pairs.
#[derive(Clone, Copy, Debug)]
pub struct Quality {
    pub true_pairs: usize,
    pub predicted: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Scores predicted pairs against the ground truth.
pub fn quality(lists: &Lists, predicted: &[(usize, usize)]) -> Quality {
    let mut right_rows: HashMap<u32, usize> = HashMap::new();
    for &p in &lists.right_person {
        *right_rows.entry(p).or_insert(0) += 1;
    }
    let true_pairs: usize = lists
        .left_person
        .iter()
        .map(|p| right_rows.get(p).copied().unwrap_or(0))
        .sum();
    let correct = predicted
        .iter()
        .filter(|&&(l, r)| lists.left_person[l] == lists.right_person[r])
        .count();
    let precision = if predicted.is_empty() {
        1.0
    } else {
        correct as f64 / predicted.len() as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        correct as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Quality {
        true_pairs,
        predicted: predicted.len(),
        correct,
        precision,
        recall,
        f1,
    }
}
