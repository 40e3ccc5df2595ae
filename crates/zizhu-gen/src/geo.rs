//! The county's geography: 宁远县's 21 townships with their real names and
//! synthetic but plausible villages and communities, with 12-digit
//! statistical codes (GB/T 2260 county + 3-digit township + 3-digit village).

use crate::rng::{GenRng, chance, domain, pick, stream};
use rand::Rng;
use std::collections::HashSet;
use std::ops::Range;
use zizhu_core::TownshipKind;

/// 宁远县's townships: name, 3-digit segment, kind and the number of
/// villages/communities at the default size (403 in all).
const TOWNSHIPS: &[(&str, &str, u16, TownshipKind, usize)] = &[
    ("舜陵街道", "舜陵", 1, TownshipKind::Subdistrict, 12),
    ("桃源街道", "桃源", 2, TownshipKind::Subdistrict, 10),
    ("东溪街道", "东溪", 3, TownshipKind::Subdistrict, 9),
    ("文庙街道", "文庙", 4, TownshipKind::Subdistrict, 8),
    ("天堂镇", "天堂", 100, TownshipKind::Town, 28),
    ("水市镇", "水市", 101, TownshipKind::Town, 30),
    ("湾井镇", "湾井", 102, TownshipKind::Town, 32),
    ("冷水镇", "冷水", 103, TownshipKind::Town, 26),
    ("太平镇", "太平", 104, TownshipKind::Town, 24),
    ("禾亭镇", "禾亭", 105, TownshipKind::Town, 27),
    ("仁和镇", "仁和", 106, TownshipKind::Town, 22),
    ("中和镇", "中和", 107, TownshipKind::Town, 25),
    ("柏家坪镇", "柏家坪", 108, TownshipKind::Town, 30),
    ("清水桥镇", "清水桥", 109, TownshipKind::Town, 29),
    ("鲤溪镇", "鲤溪", 110, TownshipKind::Town, 20),
    ("保安镇", "保安", 111, TownshipKind::Town, 21),
    ("九嶷山瑶族乡", "九嶷山", 200, TownshipKind::Township, 12),
    ("五龙山瑶族乡", "五龙山", 201, TownshipKind::Township, 10),
    ("桐木漯瑶族乡", "桐木漯", 202, TownshipKind::Township, 11),
    ("荒塘瑶族乡", "荒塘", 203, TownshipKind::Township, 9),
    ("棉花坪瑶族乡", "棉花坪", 204, TownshipKind::Township, 8),
];

/// The student count the real village counts correspond to.
pub(crate) const BASE_STUDENTS: u64 = 150_000;

/// A village segment has three digits, so a township holds at most 999
/// villages; the largest township (32 villages) can grow 31-fold.
const MAX_VILLAGE_MULTIPLIER: u64 = 31;

const COMMUNITY_STEMS: &[&str] = &[
    "东门", "南门", "西门", "北门", "城东", "城西", "城南", "城北", "新华", "建设", "解放", "人民",
    "文化", "泠江", "九疑", "中山", "和平", "向阳", "永安", "河东", "河西", "车站", "工农", "光明",
    "舜帝", "东风", "红旗", "五一", "桃园", "文昌", "学府", "龙泉", "沿河", "新桥", "胜利", "育才",
    "迎宾", "滨江", "南湖", "富民",
];

const ONE_CHAR_STEMS: &[&str] = &[
    "东", "西", "南", "北", "上", "下", "大", "小", "新", "石", "龙", "凤", "金", "银", "花", "桃",
    "竹", "松", "梅", "杉", "马", "牛", "白", "黄", "青", "高", "长", "岩", "泉", "清", "平", "和",
    "仁", "礼", "义", "富", "福", "兴", "荷", "莲", "茶", "枫", "樟", "杨", "柳", "鹿", "鹤", "狮",
    "云", "湖",
];

const FAMILY_STEMS: &[&str] = &[
    "李", "王", "张", "刘", "陈", "唐", "蒋", "周", "欧", "柏", "乐", "骆", "邓", "谢", "曾", "罗",
    "何", "胡", "彭", "雷", "廖", "钟", "邝", "颜",
];

const SUFFIXES: &[&str] = &[
    "塘", "江", "山", "田", "冲", "源", "岭", "坪", "头", "桥", "湾", "洞", "铺", "井", "口", "岗",
    "溪", "屋", "园", "寨",
];

const TWO_CHAR_STEMS: &[&str] = &[
    "石门", "龙头", "大塘", "新田", "上洞", "下洞", "白石", "黄土", "青山", "高桥", "长乐", "水口",
    "山口", "新塘", "老屋", "花园", "桐木", "杉木", "枫木", "樟木", "铁炉", "油草", "牛栏", "马鞍",
    "荷叶", "莲花", "桃花", "梅花", "九井", "五里", "三角", "七里", "十字", "白沙", "龙溪", "凤凰",
    "金盆", "泉水", "岩口", "平田",
];

/// A township (乡镇/街道).
#[derive(Clone, Debug)]
pub struct Township {
    /// Position in the county's township list, 0-based.
    pub index: usize,
    /// 12-digit statistical code, e.g. `431126100000`.
    pub code: String,
    /// Full name, e.g. 天堂镇.
    pub name: &'static str,
    /// The name without 镇/乡/街道, used to name schools and the centre.
    pub stem: &'static str,
    /// 街道, 镇 or 乡.
    pub kind: TownshipKind,
    /// Whether it is a 瑶族乡 with a mostly 瑶族 population.
    pub ethnic: bool,
    /// Indices of its villages in [`Geo::villages`].
    pub villages: Range<usize>,
}

/// A village (村) or urban community (社区).
#[derive(Clone, Debug)]
pub struct Village {
    /// Position in the county's village list, 0-based.
    pub index: usize,
    /// Index of its township.
    pub township: usize,
    /// Position within the township, 0 being the township's centre.
    pub local: usize,
    /// 12-digit statistical code, e.g. `431126100001`.
    pub code: String,
    /// Name, e.g. 大塘村 or 东门社区.
    pub name: String,
    /// Whether it is an urban community (社区) rather than a village.
    pub community: bool,
    /// The 3-digit 城乡分类代码 (111 主城区 … 220 村庄).
    pub urban_rural: &'static str,
    /// Number of 村民小组 (组), numbered from 1.
    pub groups: u8,
    /// Relative population weight.
    pub weight: u32,
    /// The zone: large runs split every township into zones, each with its
    /// own county-level schools and ID area code (see the README).
    pub zone: u16,
}

/// The whole county's geography.
#[derive(Clone, Debug)]
pub struct Geo {
    pub county_code: String,
    pub county_name: &'static str,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    pub zones: u16,
}

impl Geo {
    /// Builds the geography for a county of `students` students.
    pub(crate) fn build(seed: u64, county: &str, county_name: &'static str, students: u64) -> Geo {
        let multiplier = students
            .div_ceil(BASE_STUDENTS)
            .clamp(1, MAX_VILLAGE_MULTIPLIER);
        let zones = u16::try_from(multiplier).unwrap_or(1);
        let mut townships = Vec::with_capacity(TOWNSHIPS.len());
        let mut villages = Vec::new();
        for (t, (name, stem, segment, kind, base)) in TOWNSHIPS.iter().enumerate() {
            let mut rng = stream(seed, domain::GEO, t as u64);
            let n = base * zones as usize;
            let start = villages.len();
            let names = village_names(&mut rng, *kind, stem, n);
            for (local, (vname, community)) in names.into_iter().enumerate() {
                let (urban_rural, weight) = village_class(&mut rng, *kind, local, community);
                let groups = if community {
                    rng.random_range(4..=10)
                } else {
                    rng.random_range(6..=15)
                };
                let zone = u16::try_from(local * zones as usize / n).unwrap_or(0);
                villages.push(Village {
                    index: villages.len(),
                    township: t,
                    local,
                    code: format!("{county}{segment:03}{:03}", local + 1),
                    name: vname,
                    community,
                    urban_rural,
                    groups,
                    weight,
                    zone,
                });
            }
            townships.push(Township {
                index: t,
                code: format!("{county}{segment:03}000"),
                name,
                stem,
                kind: *kind,
                ethnic: *kind == TownshipKind::Township,
                villages: start..villages.len(),
            });
        }
        Geo {
            county_code: county.to_string(),
            county_name,
            townships,
            villages,
            zones,
        }
    }

    /// `湖南省永州市宁远县` for 宁远, else the county name alone.
    pub fn county_prefix(&self) -> String {
        if self.county_code == crate::config::DEFAULT_COUNTY {
            "湖南省永州市宁远县".to_string()
        } else {
            self.county_name.to_string()
        }
    }

    /// The address of a village down to its 组: `湖南省永州市宁远县天堂镇大塘村3组`.
    pub fn address(&self, village: usize, group: u8) -> String {
        let v = &self.villages[village];
        let t = &self.townships[v.township];
        format!("{}{}{}{}组", self.county_prefix(), t.name, v.name, group)
    }

    /// The township of a village.
    pub fn township_of(&self, village: usize) -> &Township {
        &self.townships[self.villages[village].township]
    }
}

/// Names the villages of one township: the centre first, communities first
/// in a 街道; unique within the township.
fn village_names(
    rng: &mut GenRng,
    kind: TownshipKind,
    stem: &str,
    n: usize,
) -> Vec<(String, bool)> {
    let mut used = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let communities = match kind {
        TownshipKind::Subdistrict => n * 7 / 10,
        _ => 1,
    };
    for i in 0..n {
        let community = i < communities;
        let mut attempt = 0u32;
        let name = loop {
            attempt += 1;
            let candidate = if i == 0 && kind != TownshipKind::Subdistrict {
                if kind == TownshipKind::Town {
                    format!("{stem}社区")
                } else {
                    format!("{stem}村")
                }
            } else if community {
                format!("{}社区", pick(rng, COMMUNITY_STEMS))
            } else if chance(rng, 300) {
                format!("{}村", pick(rng, TWO_CHAR_STEMS))
            } else if chance(rng, 300) {
                format!("{}家村", pick(rng, FAMILY_STEMS))
            } else {
                format!("{}{}村", pick(rng, ONE_CHAR_STEMS), pick(rng, SUFFIXES))
            };
            // After many collisions (only in huge runs) a numbered name keeps
            // the list unique instead of looping for ever.
            let candidate = if attempt > 40 {
                let base = candidate.trim_end_matches("社区").trim_end_matches('村');
                let tail = if community { "社区" } else { "村" };
                format!("{base}{attempt}{tail}")
            } else {
                candidate
            };
            if used.insert(candidate.clone()) {
                break candidate;
            }
        };
        out.push((name, community));
    }
    out
}

/// The 城乡分类代码 and population weight of a village.
fn village_class(
    rng: &mut GenRng,
    kind: TownshipKind,
    local: usize,
    community: bool,
) -> (&'static str, u32) {
    match kind {
        TownshipKind::Subdistrict if community => ("111", rng.random_range(250..=450)),
        TownshipKind::Subdistrict => ("112", rng.random_range(80..=160)),
        TownshipKind::Town if local == 0 => ("121", rng.random_range(200..=300)),
        TownshipKind::Town if local <= 2 => ("122", rng.random_range(80..=150)),
        TownshipKind::Town => ("220", rng.random_range(60..=140)),
        _ if local == 0 => ("210", rng.random_range(120..=200)),
        _ => ("220", rng.random_range(40..=110)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_geography_matches_ningyuan() {
        let g = Geo::build(1, "431126", "宁远县", 150_000);
        assert_eq!(g.townships.len(), 21);
        assert_eq!(g.villages.len(), 403);
        assert_eq!(g.townships[0].code, "431126001000");
        assert_eq!(g.townships[4].code, "431126100000");
        assert_eq!(g.townships[16].code, "431126200000");
        assert_eq!(g.villages[0].code, "431126001001");
        for t in &g.townships {
            let names: HashSet<_> = g.villages[t.villages.clone()]
                .iter()
                .map(|v| &v.name)
                .collect();
            assert_eq!(
                names.len(),
                t.villages.len(),
                "{} has duplicate names",
                t.name
            );
        }
    }

    #[test]
    fn large_runs_scale_villages_and_zones() {
        let g = Geo::build(1, "431126", "宁远县", 12_000_000);
        assert_eq!(g.zones, 31);
        assert!(g.villages.iter().all(|v| v.code.len() == 12));
        assert!(g.villages.iter().all(|v| v.local < 999));
    }
}
