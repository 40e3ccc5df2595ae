//! The schools: the county's own (幼儿园 to 高中, 中职 and 特教), the
//! out-of-county schools its migrant children attend, and the colleges of
//! its 雨露计划 students; and which schools a child of each village may go to.

use crate::geo::Geo;
use crate::rng::{GenRng, domain, pick, stream, weighted};
use rand::Rng;
use std::collections::HashMap;
use zizhu_core::{Fen, SchoolCategory, SchoolCode, Stage, TownshipKind};

/// What kind of school it is, as the schools list's 办学类型 says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchoolKind {
    /// 幼儿园.
    Kindergarten,
    /// 小学教学点: a village teaching point with grades 1–3 only.
    TeachingPoint,
    /// 村完小: a village primary school with all six grades.
    VillagePrimary,
    /// 中心小学 of a 镇.
    CentralPrimary,
    /// A primary school of the county town (街道).
    UrbanPrimary,
    /// 初级中学.
    Junior,
    /// 九年一贯制学校: primary and junior in one school (the 乡's main school).
    NineYear,
    /// 高级中学.
    SeniorHigh,
    /// 中等职业学校.
    Vocational,
    /// 特殊教育学校.
    Special,
    /// 高职院校 (3-year higher vocational college), outside the county.
    VocationalCollege,
    /// 本科院校 (university), outside the county.
    University,
}

impl SchoolKind {
    /// The 办学类型 written in the schools list.
    pub fn label(&self) -> &'static str {
        match self {
            SchoolKind::Kindergarten => "幼儿园",
            SchoolKind::TeachingPoint => "小学教学点",
            SchoolKind::VillagePrimary | SchoolKind::CentralPrimary | SchoolKind::UrbanPrimary => {
                "小学"
            }
            SchoolKind::Junior => "初级中学",
            SchoolKind::NineYear => "九年一贯制学校",
            SchoolKind::SeniorHigh => "高级中学",
            SchoolKind::Vocational => "中等职业学校",
            SchoolKind::Special => "特殊教育学校",
            SchoolKind::VocationalCollege => "高职院校",
            SchoolKind::University => "本科院校",
        }
    }

    /// The category coded in the first two digits of the 学校标识码.
    pub fn category(&self) -> SchoolCategory {
        match self {
            SchoolKind::Kindergarten => SchoolCategory::Kindergarten,
            SchoolKind::TeachingPoint
            | SchoolKind::VillagePrimary
            | SchoolKind::CentralPrimary
            | SchoolKind::UrbanPrimary => SchoolCategory::Primary,
            SchoolKind::Junior | SchoolKind::NineYear => SchoolCategory::Junior,
            SchoolKind::SeniorHigh => SchoolCategory::SeniorHigh,
            SchoolKind::Vocational => SchoolCategory::SecondaryVocational,
            SchoolKind::Special => SchoolCategory::SpecialEducation,
            SchoolKind::VocationalCollege | SchoolKind::University => {
                SchoolCategory::HigherEducation
            }
        }
    }
}

/// A school.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct School {
    /// Position in the generator's school list; batches come in this order.
    pub index: u32,
    /// The 10-digit 学校标识码 (synthetic, but well-formed).
    pub code: SchoolCode,
    /// The school's name.
    pub name: String,
    pub kind: SchoolKind,
    /// The township it stands in, for the county's own schools.
    pub township: Option<usize>,
    /// The village or community it stands in, for the county's own schools.
    pub village: Option<usize>,
    /// The zone it serves (see [`crate::geo::Village::zone`]).
    pub zone: u16,
    /// 公办 (true) or 民办 (false).
    pub public: bool,
    /// Whether the school is in the county (and so in the county's roster
    /// and schools list and paying the county's aid).
    pub in_county: bool,
    /// Whether its students appear in the 学籍 roster (false for colleges,
    /// which are in no primary/secondary 学籍 system).
    pub in_roster: bool,
    /// Where it is: `湖南省永州市宁远县天堂镇` or `广东省东莞市长安镇`.
    pub place: String,
    /// For 普通高中: the tuition per term, which is what 免学杂费 waives
    /// (1000 元 at a 示范高中, 800 元 elsewhere).
    pub fee_per_term: Option<Fen>,
    /// Whether it is a 示范性高中.
    pub model_school: bool,
}

/// The kinds of places a child can be sent to, by stage and grade band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Preschool = 0,
    PrimaryLow = 1,
    PrimaryHigh = 2,
    Junior = 3,
    Senior = 4,
    Vocational = 5,
    Special = 6,
}

const SLOTS: usize = 7;

/// Destinations outside the county: migrant workers' cities and the places
/// where children study away from home.
pub(crate) const CITIES: &[(&str, &str, &str, &[&str])] = &[
    (
        "广东省东莞市",
        "东莞市",
        "44",
        &["长安镇", "虎门镇", "厚街镇", "塘厦镇"],
    ),
    ("广东省深圳市", "深圳市", "44", &["宝安区", "龙岗区"]),
    ("广东省广州市", "广州市", "44", &["白云区", "番禺区"]),
    ("广东省佛山市", "佛山市", "44", &["南海区", "顺德区"]),
    ("浙江省宁波市", "宁波市", "33", &["鄞州区", "余姚市"]),
    ("湖南省长沙市", "长沙市", "43", &["雨花区", "岳麓区"]),
    ("湖南省永州市", "永州市", "43", &["冷水滩区", "零陵区"]),
    ("湖南省郴州市", "郴州市", "43", &["北湖区"]),
];

/// Where migrant families work, as weights over [`CITIES`].
pub(crate) const MIGRANT_CITIES: &[(usize, u32)] =
    &[(0, 30), (1, 20), (2, 15), (3, 10), (4, 8), (5, 10), (7, 7)];

/// Where children of families who stay home study outside the county.
pub(crate) const NEARBY_CITIES: &[(usize, u32)] = &[(6, 60), (5, 25), (7, 15)];

/// The external stages, in the order of [`SchoolPlan::external`]'s inner lists.
const EXTERNAL_STAGES: [Stage; 5] = [
    Stage::Preschool,
    Stage::Primary,
    Stage::Junior,
    Stage::SeniorHigh,
    Stage::Vocational,
];

const COLLEGES: &[(&str, &str, &str, bool)] = &[
    ("永州职业技术学院", "湖南省永州市", "43", true),
    ("湖南工业职业技术学院", "湖南省长沙市", "43", true),
    ("长沙民政职业技术学院", "湖南省长沙市", "43", true),
    ("湖南铁道职业技术学院", "湖南省株洲市", "43", true),
    ("广东轻工职业技术学院", "广东省广州市", "44", true),
    ("湖南科技学院", "湖南省永州市", "43", false),
    ("湖南师范大学", "湖南省长沙市", "43", false),
    ("湘潭大学", "湖南省湘潭市", "43", false),
    ("南华大学", "湖南省衡阳市", "43", false),
    ("广州大学", "广东省广州市", "44", false),
];

const KINDERGARTEN_BRANDS: &[&str] = &[
    "阳光",
    "金太阳",
    "小天使",
    "蓝天",
    "童心",
    "育才",
    "启航",
    "博雅",
    "七彩",
    "贝贝",
    "星星",
    "春蕾",
    "希望",
    "爱心",
    "快乐",
    "苗苗",
    "智慧树",
    "小太阳",
];

const URBAN_STEMS: &[&str] = &[
    "实验", "舜陵", "东溪", "桃源", "文庙", "九疑", "泠江", "城东", "城南", "新华", "育才", "明德",
    "崇德", "逸夫", "希望", "育英",
];

const NUMERALS: &[&str] = &[
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
    "十五", "十六", "十七", "十八", "十九", "二十",
];

/// Expected in-county enrolment by stage for one unit (a village, a zone),
/// in thousandths of a student so that sums stay integer and exact.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StageLoad {
    pub preschool: u64,
    pub primary: u64,
    pub junior: u64,
    pub senior: u64,
}

/// All schools plus, per village, the schools its children may attend.
#[derive(Clone, Debug)]
pub(crate) struct SchoolPlan {
    pub schools: Vec<School>,
    /// Per village and slot: candidate schools with weights.
    candidates: Vec<[Vec<(u32, u32)>; SLOTS]>,
    /// Per city and external stage: the schools there.
    external: Vec<[Vec<u32>; 5]>,
    vocational_colleges: Vec<u32>,
    universities: Vec<u32>,
}

struct Builder<'g> {
    geo: &'g Geo,
    province: String,
    schools: Vec<School>,
    counters: HashMap<(&'static str, String), u32>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        kind: SchoolKind,
        name: String,
        township: Option<usize>,
        village: Option<usize>,
        zone: u16,
        public: bool,
    ) -> u32 {
        let index = u32::try_from(self.schools.len()).unwrap_or(u32::MAX);
        let province = self.province.clone();
        let code = self.code(kind, &province, 100_000);
        let place = match township {
            Some(t) => format!("{}{}", self.geo.county_prefix(), self.geo.townships[t].name),
            None => String::new(),
        };
        self.schools.push(School {
            index,
            code,
            name,
            kind,
            township,
            village,
            zone,
            public,
            in_county: true,
            in_roster: true,
            place,
            fee_per_term: None,
            model_school: false,
        });
        index
    }

    /// A fresh 学校标识码: category + province + a 6-digit sequence counted
    /// per (category, province) from `base`, so codes never repeat.
    fn code(&mut self, kind: SchoolKind, province: &str, base: u32) -> SchoolCode {
        let cat = kind.category();
        let n = self
            .counters
            .entry((cat.code(), format!("{province}{base}")))
            .or_insert(0);
        *n += 1;
        let seq = base + *n;
        match SchoolCode::new(cat, province, seq) {
            Ok(c) => c,
            // The inputs are a known category, a 2-digit province and a
            // sequence below 10^6, which core accepts; parse keeps the
            // function total should its rules ever tighten.
            Err(_) => SchoolCode::parse(&format!("{}{province}{seq:06}", cat.code()))
                .unwrap_or_else(|_| unreachable_code()),
        }
    }
}

fn unreachable_code() -> SchoolCode {
    // A fixed, valid code used only if core rejected a generated one, which
    // the unit tests rule out.
    SchoolCode::parse("1143100001").unwrap_or_else(|_| panic!("zizhu-core rejects 1143100001"))
}

/// Schools of one (township, zone), grouped by role.
#[derive(Default)]
struct Local {
    kindergartens: Vec<(u32, usize)>,
    center_kindergarten: Option<u32>,
    primaries: Vec<(u32, usize, bool)>,
    center_primary: Option<u32>,
    juniors: Vec<(u32, usize)>,
}

impl SchoolPlan {
    /// Builds the schools for the expected enrolment of every village.
    pub(crate) fn build(seed: u64, geo: &Geo, load: &[StageLoad]) -> SchoolPlan {
        let province = geo.county_code[..2].to_string();
        let mut b = Builder {
            geo,
            province,
            schools: Vec::new(),
            counters: HashMap::new(),
        };
        let zones = usize::from(geo.zones);
        // locals[township][zone]
        let mut locals: Vec<Vec<Local>> = Vec::new();
        for t in &geo.townships {
            let mut per_zone = Vec::new();
            for z in 0..zones {
                let mut rng = stream(seed, domain::SCHOOLS, (t.index as u64) << 16 | z as u64);
                let villages: Vec<usize> = t
                    .villages
                    .clone()
                    .filter(|v| usize::from(geo.villages[*v].zone) == z)
                    .collect();
                let mut sum = StageLoad::default();
                for v in &villages {
                    sum.preschool += load[*v].preschool;
                    sum.primary += load[*v].primary;
                    sum.junior += load[*v].junior;
                }
                // Children from the villages also study in town: give the
                // county town's schools room for them.
                if t.kind == TownshipKind::Subdistrict {
                    let rural: u64 = geo
                        .villages
                        .iter()
                        .filter(|v| usize::from(v.zone) == z)
                        .filter(|v| geo.townships[v.township].kind != TownshipKind::Subdistrict)
                        .map(|v| load[v.index].primary / 14 + load[v.index].junior / 9)
                        .sum();
                    sum.primary += rural / 8;
                    sum.junior += rural / 8;
                }
                let local = build_local(&mut b, &mut rng, t.index, z, &villages, sum);
                per_zone.push(local);
            }
            locals.push(per_zone);
        }
        // County-level schools per zone.
        let mut seniors: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut vocational = Vec::new();
        let mut special = Vec::new();
        for z in 0..zones {
            let senior_load: u64 = geo
                .villages
                .iter()
                .filter(|v| usize::from(v.zone) == z)
                .map(|v| load[v.index].senior)
                .sum();
            let n = (round_div(senior_load, 2_700_000)).max(2) as usize;
            let hosts = [
                "舜陵街道",
                "桃源街道",
                "湾井镇",
                "柏家坪镇",
                "水市镇",
                "天堂镇",
                "清水桥镇",
                "冷水镇",
            ];
            let mut list = Vec::new();
            for i in 0..n {
                let private = n >= 5 && i == n - 1;
                let name = if private {
                    format!("{}育才中学", geo.county_name)
                } else {
                    format!(
                        "{}第{}中学",
                        geo.county_name,
                        NUMERALS[i.min(NUMERALS.len() - 1)]
                    )
                };
                let host_name = if private {
                    "东溪街道"
                } else {
                    hosts[i % hosts.len()]
                };
                let t = geo
                    .townships
                    .iter()
                    .position(|t| t.name == host_name)
                    .unwrap_or(0);
                let village = first_village_in_zone(geo, t, z);
                let idx = b.add(
                    SchoolKind::SeniorHigh,
                    name,
                    Some(t),
                    village,
                    z as u16,
                    !private,
                );
                let s = &mut b.schools[idx as usize];
                s.model_school = i == 0;
                s.fee_per_term = Some(Fen::from_yuan(if i == 0 { 1000 } else { 800 }));
                let weight = if i == 0 {
                    30
                } else if i == 1 {
                    22
                } else if private {
                    8
                } else {
                    14
                };
                list.push((idx, weight));
            }
            seniors.push(list);
            let t = geo
                .townships
                .iter()
                .position(|t| t.name == "东溪街道")
                .unwrap_or(0);
            let v = first_village_in_zone(geo, t, z);
            vocational.push(b.add(
                SchoolKind::Vocational,
                format!("{}职业中专", geo.county_name),
                Some(t),
                v,
                z as u16,
                true,
            ));
            let t = geo
                .townships
                .iter()
                .position(|t| t.name == "文庙街道")
                .unwrap_or(0);
            let v = first_village_in_zone(geo, t, z);
            special.push(b.add(
                SchoolKind::Special,
                format!("{}特殊教育学校", geo.county_name),
                Some(t),
                v,
                z as u16,
                true,
            ));
        }
        // Candidates per village.
        let mut candidates = Vec::with_capacity(geo.villages.len());
        for v in &geo.villages {
            let z = usize::from(v.zone);
            let t = &geo.townships[v.township];
            let local = &locals[v.township][z];
            let urban = t.kind == TownshipKind::Subdistrict;
            // The county-town school a village child might be sent to.
            let town_pick = |list: &dyn Fn(&Local) -> Vec<u32>| -> Option<u32> {
                let pool: Vec<u32> = geo
                    .townships
                    .iter()
                    .filter(|t| t.kind == TownshipKind::Subdistrict)
                    .flat_map(|t| list(&locals[t.index][z]))
                    .collect();
                if pool.is_empty() {
                    None
                } else {
                    Some(pool[v.index % pool.len()])
                }
            };
            let mut c: [Vec<(u32, u32)>; SLOTS] = Default::default();
            // 幼儿园: the nearest two village kindergartens and the centre.
            let near_k = nearest(&local.kindergartens, v.local);
            let center_k = local.center_kindergarten;
            match (near_k.first(), near_k.get(1), center_k) {
                (Some(a), Some(b2), Some(cen)) => {
                    c[0] = vec![(*a, 55), (*b2, 15), (cen, 30)];
                }
                (Some(a), None, Some(cen)) => c[0] = vec![(*a, 65), (cen, 35)],
                (Some(a), Some(b2), None) => c[0] = vec![(*a, 70), (*b2, 30)],
                (Some(a), None, None) => c[0] = vec![(*a, 100)],
                (None, _, Some(cen)) => c[0] = vec![(cen, 100)],
                (None, _, None) => {}
            }
            // 小学 grades 1–3: the nearest village school or the centre.
            let all_pri: Vec<(u32, usize)> =
                local.primaries.iter().map(|(s, l, _)| (*s, *l)).collect();
            let full_pri: Vec<(u32, usize)> = local
                .primaries
                .iter()
                .filter(|(_, _, full)| *full)
                .map(|(s, l, _)| (*s, *l))
                .collect();
            let center_p = local.center_primary;
            let near_p = nearest(&all_pri, v.local);
            let near_full = nearest(&full_pri, v.local);
            let town_p = if urban {
                None
            } else {
                town_pick(&|l: &Local| l.primaries.iter().map(|p| p.0).collect())
            };
            for (slot, near, w_near) in [(1usize, &near_p, 70u32), (2usize, &near_full, 65u32)] {
                let mut list = Vec::new();
                if urban {
                    if let Some(a) = near.first() {
                        list.push((*a, 60));
                    }
                    if let Some(b2) = near.get(1) {
                        list.push((*b2, 40));
                    }
                } else {
                    if let Some(a) = near.first() {
                        list.push((*a, w_near));
                    }
                    if let Some(cen) = center_p {
                        list.push((cen, 100 - w_near));
                    }
                    if let Some(tp) = town_p {
                        list.push((tp, if slot == 1 { 6 } else { 8 }));
                    }
                }
                if list.is_empty()
                    && let Some(cen) = center_p
                {
                    list.push((cen, 100));
                }
                c[slot] = list;
            }
            // 初中: the nearest junior school, others of the township, and
            // for village children a county-town junior.
            let near_j = nearest(&local.juniors, v.local);
            let mut list = Vec::new();
            for (i, s) in near_j.iter().enumerate() {
                list.push((
                    *s,
                    if i == 0 {
                        85
                    } else {
                        15 / near_j.len().max(1) as u32 + 1
                    },
                ));
            }
            if !urban
                && let Some(tj) = town_pick(&|l: &Local| l.juniors.iter().map(|j| j.0).collect())
            {
                list.push((tj, 12));
            }
            c[3] = list;
            // 高中: every senior high of the zone, the one in the child's own
            // township preferred.
            c[4] = seniors[z]
                .iter()
                .map(|(s, w)| {
                    let own = b.schools[*s as usize].township == Some(v.township);
                    (*s, if own { w * 2 } else { *w })
                })
                .collect();
            c[5] = vec![(vocational[z], 1)];
            c[6] = vec![(special[z], 1)];
            candidates.push(c);
        }
        // Schools outside the county.
        let mut external = Vec::new();
        for (ci, (full, short, prov, districts)) in CITIES.iter().enumerate() {
            let mut rng = stream(seed, domain::SCHOOLS, 0xE000 + ci as u64);
            let mut per_stage: [Vec<u32>; 5] = Default::default();
            for (si, stage) in EXTERNAL_STAGES.iter().enumerate() {
                let n = 2 * zones;
                for k in 0..n {
                    let district = districts[k % districts.len()];
                    let nth = NUMERALS[(k / districts.len()).min(NUMERALS.len() - 1)];
                    let (kind, name) = match stage {
                        Stage::Preschool => (
                            SchoolKind::Kindergarten,
                            format!(
                                "{short}{district}{}幼儿园",
                                pick(&mut rng, KINDERGARTEN_BRANDS)
                            ),
                        ),
                        Stage::Primary => (
                            SchoolKind::UrbanPrimary,
                            format!("{short}{district}第{nth}小学"),
                        ),
                        Stage::Junior => {
                            (SchoolKind::Junior, format!("{short}{district}第{nth}中学"))
                        }
                        Stage::SeniorHigh => (
                            SchoolKind::SeniorHigh,
                            format!("{short}第{}中学", NUMERALS[k.min(NUMERALS.len() - 1)]),
                        ),
                        _ => (
                            SchoolKind::Vocational,
                            format!(
                                "{short}{}职业技术学校",
                                ["交通", "商贸", "工业", "信息", "旅游"][k % 5]
                            ),
                        ),
                    };
                    let index = u32::try_from(b.schools.len()).unwrap_or(u32::MAX);
                    let code = b.code(kind, prov, 700_000);
                    let is_senior = *stage == Stage::SeniorHigh;
                    b.schools.push(School {
                        index,
                        code,
                        name,
                        kind,
                        township: None,
                        village: None,
                        zone: (k / 2) as u16,
                        public: *stage != Stage::Preschool || rng.random_range(0..2u8) == 0,
                        in_county: false,
                        in_roster: true,
                        place: format!("{full}{district}"),
                        fee_per_term: is_senior.then(|| Fen::from_yuan(800)),
                        model_school: false,
                    });
                    per_stage[si].push(index);
                }
            }
            external.push(per_stage);
        }
        let mut vocational_colleges = Vec::new();
        let mut universities = Vec::new();
        for (name, place, prov, higher_vocational) in COLLEGES {
            let index = u32::try_from(b.schools.len()).unwrap_or(u32::MAX);
            let kind = if *higher_vocational {
                SchoolKind::VocationalCollege
            } else {
                SchoolKind::University
            };
            let code = b.code(kind, prov, 800_000);
            b.schools.push(School {
                index,
                code,
                name: (*name).to_string(),
                kind,
                township: None,
                village: None,
                zone: 0,
                public: true,
                in_county: false,
                in_roster: false,
                place: (*place).to_string(),
                fee_per_term: None,
                model_school: false,
            });
            if *higher_vocational {
                vocational_colleges.push(index);
            } else {
                universities.push(index);
            }
        }
        make_names_unique(&mut b.schools);
        SchoolPlan {
            schools: b.schools,
            candidates,
            external,
            vocational_colleges,
            universities,
        }
    }

    /// Draws the in-county school for a child of `village` in `slot`.
    pub(crate) fn choose(&self, rng: &mut GenRng, village: usize, slot: Slot) -> Option<u32> {
        let list = &self.candidates[village][slot as usize];
        if list.is_empty() {
            None
        } else {
            Some(weighted(rng, list))
        }
    }

    /// Draws a school of `stage` in city `city` (an index into [`CITIES`]).
    pub(crate) fn external(&self, rng: &mut GenRng, city: usize, stage: Stage) -> Option<u32> {
        let si = EXTERNAL_STAGES.iter().position(|s| *s == stage)?;
        let list = self.external.get(city)?.get(si)?;
        if list.is_empty() {
            None
        } else {
            Some(*pick(rng, list))
        }
    }

    /// Draws a college: a 高职 when `vocational`, else a university.
    pub(crate) fn college(&self, rng: &mut GenRng, vocational: bool) -> Option<u32> {
        let list = if vocational {
            &self.vocational_colleges
        } else {
            &self.universities
        };
        if list.is_empty() {
            None
        } else {
            Some(*pick(rng, list))
        }
    }
}

fn round_div(a: u64, b: u64) -> u64 {
    (a + b / 2) / b
}

fn first_village_in_zone(geo: &Geo, township: usize, zone: usize) -> Option<usize> {
    geo.townships[township]
        .villages
        .clone()
        .find(|v| usize::from(geo.villages[*v].zone) == zone)
}

/// The schools of `list` ordered by distance (difference of village
/// positions) from `local`, nearest first.
fn nearest(list: &[(u32, usize)], local: usize) -> Vec<u32> {
    let mut v: Vec<(usize, u32)> = list.iter().map(|(s, l)| (l.abs_diff(local), *s)).collect();
    v.sort();
    v.into_iter().map(|(_, s)| s).collect()
}

/// Spreads `n` schools evenly over the villages of a zone.
fn hosts(villages: &[usize], n: usize) -> Vec<usize> {
    if villages.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| villages[((2 * i + 1) * villages.len() / (2 * n)).min(villages.len() - 1)])
        .collect()
}

fn village_stem(name: &str) -> &str {
    name.trim_end_matches("社区").trim_end_matches('村')
}

/// Creates the kindergartens, primary and junior schools of one township
/// zone, sized for its expected enrolment.
fn build_local(
    b: &mut Builder,
    rng: &mut GenRng,
    t: usize,
    z: usize,
    villages: &[usize],
    sum: StageLoad,
) -> Local {
    let geo = b.geo;
    let town = &geo.townships[t];
    let zone = z as u16;
    let mut local = Local::default();
    if villages.is_empty() {
        return local;
    }
    let center = villages[0];
    let local_of = |v: usize| geo.villages[v].local;
    let urban = town.kind == TownshipKind::Subdistrict;
    let county = geo.county_name;
    // 幼儿园
    let n_k = round_div(sum.preschool, 260_000).max(1) as usize;
    let k_hosts = hosts(villages, n_k.saturating_sub(1));
    let name = if urban && t == 0 {
        format!("{county}实验幼儿园")
    } else if urban {
        format!("{county}{}幼儿园", town.stem)
    } else {
        format!("{}中心幼儿园", town.name)
    };
    local.center_kindergarten = Some(b.add(
        SchoolKind::Kindergarten,
        name,
        Some(t),
        Some(center),
        zone,
        true,
    ));
    for v in k_hosts {
        // Most kindergartens outside the centres are private (民办) and
        // carry a brand name; public ones are named after their village.
        let public = rng.random_range(0..100u32) < 40;
        let stem = village_stem(&geo.villages[v].name);
        let name = match (public, urban) {
            (true, true) => format!("{county}{stem}幼儿园"),
            (true, false) => format!("{}{stem}幼儿园", town.name),
            (false, true) => format!("{county}{}幼儿园", pick(rng, KINDERGARTEN_BRANDS)),
            (false, false) => format!("{}{}幼儿园", town.stem, pick(rng, KINDERGARTEN_BRANDS)),
        };
        let s = b.add(
            SchoolKind::Kindergarten,
            name,
            Some(t),
            Some(v),
            zone,
            public,
        );
        local.kindergartens.push((s, local_of(v)));
    }
    // 初中 (and, in a 乡, the 九年一贯制 school that is also its main primary)
    let n_j = round_div(sum.junior, 1_000_000).max(1) as usize;
    let n_p = round_div(sum.primary, 430_000).max(1) as usize;
    let nine_year = town.kind == TownshipKind::Township;
    // 小学
    if urban {
        let stems: Vec<&str> = if t == 0 {
            URBAN_STEMS.to_vec()
        } else {
            URBAN_STEMS[1..].to_vec()
        };
        for (i, v) in hosts(villages, n_p).into_iter().enumerate() {
            let stem = if i == 0 && t != 0 {
                town.stem
            } else {
                stems[i % stems.len()]
            };
            let name = format!("{county}{stem}小学");
            let s = b.add(SchoolKind::UrbanPrimary, name, Some(t), Some(v), zone, true);
            local.primaries.push((s, local_of(v), true));
        }
    } else {
        if !nine_year {
            let s = b.add(
                SchoolKind::CentralPrimary,
                format!("{}中心小学", town.name),
                Some(t),
                Some(center),
                zone,
                true,
            );
            local.center_primary = Some(s);
        }
        let teaching_point_share = if nine_year { 45 } else { 25 };
        for v in hosts(villages, n_p.saturating_sub(1)) {
            let tp = rng.random_range(0..100u32) < teaching_point_share;
            let stem = village_stem(&geo.villages[v].name);
            let (kind, name) = if tp {
                (
                    SchoolKind::TeachingPoint,
                    format!("{}{}教学点", town.name, stem),
                )
            } else {
                (
                    SchoolKind::VillagePrimary,
                    format!("{}{}小学", town.name, stem),
                )
            };
            let s = b.add(kind, name, Some(t), Some(v), zone, true);
            local.primaries.push((s, local_of(v), !tp));
        }
    }
    for (i, v) in std::iter::once(center)
        .chain(hosts(villages, n_j.saturating_sub(1)))
        .enumerate()
    {
        let (kind, name) = if nine_year && i == 0 {
            (SchoolKind::NineYear, format!("{}九年一贯制学校", town.name))
        } else if urban {
            let stem = if t == 0 && i == 0 {
                "实验"
            } else if i == 0 {
                town.stem
            } else {
                URBAN_STEMS[(i + t) % URBAN_STEMS.len()]
            };
            (SchoolKind::Junior, format!("{county}{stem}中学"))
        } else if i == 0 {
            (SchoolKind::Junior, format!("{}中学", town.name))
        } else {
            (
                SchoolKind::Junior,
                format!("{}第{}中学", town.name, NUMERALS[i.min(NUMERALS.len() - 1)]),
            )
        };
        let s = b.add(kind, name, Some(t), Some(v), zone, true);
        local.juniors.push((s, local_of(v)));
        if kind == SchoolKind::NineYear {
            local.center_primary = Some(s);
        }
    }
    local
}

/// Appends （2）, （3） … to repeated names, as a county does when two
/// schools would otherwise share one.
fn make_names_unique(schools: &mut [School]) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    for s in schools.iter_mut() {
        let n = seen.entry(s.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.name = format!("{}（{}）", s.name, n);
        }
    }
}
