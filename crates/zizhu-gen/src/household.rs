//! The demographic model: one household at a time, each from its own random
//! stream, so any household can be regenerated alone and comes out the same.
//!
//! A household is either a family with children (the great majority) or an
//! elderly household that is on some list (建档立卡, 低保 or 特困) without
//! children; households that would appear on no list are not generated.

use crate::geo::Geo;
use crate::names::{self, Generation, Name};
use crate::rng::{GenRng, chance, chance_100k, domain, pick, stream, weighted};
use crate::schools::{MIGRANT_CITIES, NEARBY_CITIES, SchoolKind, SchoolPlan, Slot};
use rand::Rng;
use zizhu_core::{Date, Sex, Stage, Term, TownshipKind};

/// 建档立卡 status of a household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PovertyStatus {
    /// 未脱贫.
    NotExited,
    /// 已脱贫 in the given year (2014–2018); policies still apply
    /// (脱贫不脱政策).
    Exited(u16),
}

impl PovertyStatus {
    /// 未脱贫 / 已脱贫.
    pub fn label(&self) -> &'static str {
        match self {
            PovertyStatus::NotExited => "未脱贫",
            PovertyStatus::Exited(_) => "已脱贫",
        }
    }

    /// The exit year, if exited.
    pub fn exit_year(&self) -> Option<u16> {
        match self {
            PovertyStatus::NotExited => None,
            PovertyStatus::Exited(y) => Some(*y),
        }
    }
}

/// A registered poor household's facts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Poverty {
    pub status: PovertyStatus,
    /// 致贫原因 (主要致贫原因).
    pub cause: &'static str,
}

/// 城市低保 or 农村低保.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DibaoKind {
    Urban,
    Rural,
}

impl DibaoKind {
    pub fn label(&self) -> &'static str {
        match self {
            DibaoKind::Urban => "城市低保",
            DibaoKind::Rural => "农村低保",
        }
    }
}

/// A disability certified (or not) by the 残联.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Disability {
    /// 残疾类别 code 1–7: 视力, 听力, 言语, 肢体, 智力, 精神, 多重.
    pub category: u8,
    /// 残疾等级 1–4 (一级 is the most severe).
    pub level: u8,
    /// Whether the child holds a 残疾证 and so is on the 残联 list.
    pub certified: bool,
    /// The 残疾证's issue date.
    pub issued: Date,
}

impl Disability {
    pub fn category_label(&self) -> &'static str {
        DISABILITY_CATEGORIES[usize::from(self.category.clamp(1, 7)) - 1]
    }

    pub fn level_label(&self) -> &'static str {
        ["一级", "二级", "三级", "四级"][usize::from(self.level.clamp(1, 4)) - 1]
    }

    /// Severe disabilities of the kinds that special schools teach.
    pub(crate) fn special_school(&self) -> bool {
        self.level <= 2 && self.category != 4
    }
}

pub(crate) const DISABILITY_CATEGORIES: [&str; 7] =
    ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"];

/// How a student attends school.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StudyMode {
    /// In one of the county's own schools.
    InCounty,
    /// 县外就读: enrolled in a school outside the county.
    OutOfCounty,
    /// 送教上门: enrolled at the special school, taught at home.
    HomeDelivered,
}

impl StudyMode {
    pub fn label(&self) -> &'static str {
        match self {
            StudyMode::InCounty => "在校就读",
            StudyMode::OutOfCounty => "县外就读",
            StudyMode::HomeDelivered => "送教上门",
        }
    }
}

/// A child's enrolment for the term (without the class, which the school
/// assigns when its whole roll is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Placement {
    pub school: u32,
    pub stage: Stage,
    pub year: u8,
    pub boarding: bool,
    pub mode: StudyMode,
}

/// What a child (or young adult of the household) is doing this term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ChildStatus {
    /// Younger than 小班 age.
    Infant,
    /// Of 幼儿园 age but not in a kindergarten.
    PreschoolHome,
    /// Enrolled somewhere, in or out of the county.
    Enrolled(Placement),
    /// Left with migrant parents; no enrolment is known (随迁外地).
    Migrated,
    /// Out of school although of compulsory age (辍学), with the reason.
    Dropout(&'static str),
    /// Past compulsory education and not studying (务工/务农).
    NotStudying,
}

/// How a household's aid is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AccountMode {
    /// Each student has a 资助卡 in the student's own name.
    PerStudent,
    /// The household's 惠农一卡通, in the head's name, shared by siblings.
    HouseholdCard,
    /// The household's 明白折 passbook.
    Passbook,
}

/// Relationship of a member to the household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Father,
    Mother,
    Child,
    Grandfather,
    Grandmother,
    Uncle,
    Aunt,
    Elder,
}

#[derive(Clone, Debug)]
pub(crate) struct ChildFacts {
    /// Grade level: 0 is 一年级, -3 小班, 6 七年级, 9 高一, 12 first college year.
    pub level: i32,
    pub status: ChildStatus,
    pub twin_of: Option<u8>,
    /// Index of the guardian among the members.
    pub guardian: u8,
    /// The guardian's relation to the child: 父亲, 祖母 …
    pub guardian_relation: &'static str,
    /// Whether the child's bank account is on the 资助 bank list.
    pub listed_account: bool,
    /// The four random digits of an L (temporary) 学籍号.
    pub random_l: u16,
}

#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub index: u8,
    pub role: Role,
    /// Relation to the head as the 扶贫 system writes it: 户主, 配偶, 之子 …
    pub relation: &'static str,
    pub name: Name,
    pub sex: Sex,
    pub birth: Date,
    /// Index into the area table ([`area_table`]) of the ID's area code.
    pub id_area: u16,
    /// The natural ID sequence (0–999, odd for men); the plan may move it
    /// to keep IDs unique.
    pub id_seq: u16,
    pub has_id: bool,
    pub ethnicity: &'static str,
    pub disability: Option<Disability>,
    /// 特困供养 person.
    pub tekun: bool,
    /// 孤儿.
    pub orphan: bool,
    pub child: Option<ChildFacts>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HouseholdKind {
    Family,
    Elderly,
}

#[derive(Clone, Debug)]
pub(crate) struct Household {
    pub index: u32,
    pub village: usize,
    pub group: u8,
    pub members: Vec<Member>,
    pub head: usize,
    pub poverty: Option<Poverty>,
    pub dibao: Option<DibaoKind>,
    /// 低保 start (year, month).
    pub dibao_since: (i32, u32),
    /// 特困 start (year, month), for members flagged 特困.
    pub tekun_since: (i32, u32),
    /// Destination city (index into `CITIES`) of a migrant family.
    pub migrant: Option<usize>,
    pub migrant_district: usize,
    pub left_behind: bool,
    pub phone: String,
    pub account_mode: AccountMode,
    /// 0 农信, 1 农行, 2 邮储.
    pub bank: u8,
    /// The date the household's account (or the students' cards) opened.
    pub account_opened: Date,
}

impl Household {
    pub(crate) fn head(&self) -> &Member {
        &self.members[self.head]
    }
}

/// Everything household generation reads.
pub(crate) struct Ctx<'a> {
    pub seed: u64,
    pub term: Term,
    pub geo: &'a Geo,
    pub schools: Option<&'a SchoolPlan>,
}

/// The ID area codes members refer to by index: the county's first, then
/// [`NEIGHBOUR_AREAS`], then [`ZONE_AREAS`].
pub(crate) fn area_table(county: &str) -> Vec<String> {
    std::iter::once(county)
        .chain(NEIGHBOUR_AREAS.iter().copied())
        .chain(ZONE_AREAS.iter().copied())
        .map(str::to_string)
        .collect()
}

/// Index in the area table of a zone's main area: the county for zone 0.
fn zone_area_index(zone: u16) -> u16 {
    if zone == 0 {
        0
    } else {
        let n = ZONE_AREAS.len() as u16;
        1 + NEIGHBOUR_AREAS.len() as u16 + (zone - 1) % n
    }
}

fn neighbour_area_index(rng: &mut GenRng) -> u16 {
    1 + rng.random_range(0..NEIGHBOUR_AREAS.len() as u16)
}

/// Area codes of neighbouring counties, for people registered elsewhere.
const NEIGHBOUR_AREAS: &[&str] = &[
    "431124", "431127", "431128", "431129", "431102", "431103", "431121", "431125",
];

/// Area codes of other Hunan counties, used as the main ID area of zones
/// beyond the first in province-sized runs (see the README).
pub(crate) const ZONE_AREAS: &[&str] = &[
    "430102", "430103", "430104", "430105", "430111", "430121", "430181", "430182", "430202",
    "430203", "430211", "430281", "430302", "430304", "430321", "430381", "430405", "430406",
    "430421", "430422", "430423", "430424", "430426", "430481", "430482", "430502", "430521",
    "430522", "430523", "430524", "430525", "430527",
];

const POVERTY_CAUSES: &[(&str, u32)] = &[
    ("因病", 40),
    ("缺技术", 15),
    ("缺劳力", 12),
    ("因残", 10),
    ("因学", 8),
    ("缺资金", 8),
    ("自身发展动力不足", 4),
    ("交通条件落后", 3),
];

const MINORITIES: &[&str] = &["苗族", "壮族", "侗族", "土家族"];

const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "177", "180", "181", "182", "183", "185", "187", "188", "189", "199",
];

/// A date `days` days before `d`.
fn days_before(d: Date, days: i64) -> Date {
    d.add_days(-days)
}

/// The grade level implied by a birth date: children born September to
/// August start 一年级 together, in the September after they turn six.
pub(crate) fn level_for(birth: Date, school_year_start: i32) -> i32 {
    let entry = if birth.month() <= 8 {
        birth.year() + 6
    } else {
        birth.year() + 7
    };
    school_year_start - entry
}

/// Generates the family or elderly household `index` of `village`.
pub(crate) fn generate(ctx: &Ctx, index: u32, village: usize, kind: HouseholdKind) -> Household {
    let mut rng = stream(ctx.seed, domain::HOUSEHOLD, u64::from(index));
    generate_with(ctx, &mut rng, index, village, kind)
}

/// Generates a household from a given stream (the calibration uses its own
/// streams so as not to reuse real households').
pub(crate) fn generate_with(
    ctx: &Ctx,
    rng: &mut GenRng,
    index: u32,
    village: usize,
    kind: HouseholdKind,
) -> Household {
    match kind {
        HouseholdKind::Family => family(ctx, rng, index, village),
        HouseholdKind::Elderly => elderly(ctx, rng, index, village),
    }
}

struct Env {
    urban: bool,
    kind: TownshipKind,
    yao: bool,
    ethnicity: &'static str,
    area: u16,
}

fn env(ctx: &Ctx, rng: &mut GenRng, village: usize) -> Env {
    let v = &ctx.geo.villages[village];
    let t = &ctx.geo.townships[v.township];
    let yao = if t.ethnic {
        chance(rng, 700)
    } else {
        chance(rng, 20)
    };
    let ethnicity = if yao {
        "瑶族"
    } else if chance(rng, 5) {
        *pick(rng, MINORITIES)
    } else {
        "汉族"
    };
    let area = zone_area_index(v.zone);
    Env {
        urban: t.kind == TownshipKind::Subdistrict,
        kind: t.kind,
        yao,
        ethnicity,
        area,
    }
}

fn random_date_between(rng: &mut GenRng, from: Date, days: i64) -> Date {
    from.add_days(rng.random_range(0..days.max(1)))
}

fn phone(rng: &mut GenRng) -> String {
    if chance(rng, 30) {
        return String::new();
    }
    format!(
        "{}{:08}",
        pick(rng, PHONE_PREFIXES),
        rng.random_range(0..100_000_000u32)
    )
}

fn id_seq(rng: &mut GenRng, sex: Sex) -> u16 {
    let r: u16 = rng.random_range(0..500);
    match sex {
        Sex::Male => r * 2 + 1,
        Sex::Female => r * 2,
    }
}

fn adult_area(rng: &mut GenRng, home: u16) -> u16 {
    if chance(rng, 800) {
        home
    } else {
        neighbour_area_index(rng)
    }
}

fn adult(
    rng: &mut GenRng,
    role: Role,
    relation: &'static str,
    surname: &'static str,
    sex: Sex,
    birth: Date,
    e: &Env,
) -> Member {
    Member {
        index: 0,
        role,
        relation,
        name: Name {
            surname,
            given: names::given(rng, sex, Generation::Adult),
        },
        sex,
        birth,
        id_area: adult_area(rng, e.area),
        id_seq: id_seq(rng, sex),
        has_id: true,
        ethnicity: e.ethnicity,
        disability: None,
        tekun: false,
        orphan: false,
        child: None,
    }
}

/// Appends a member, numbering it by its position.
fn push(members: &mut Vec<Member>, mut m: Member) -> u8 {
    let i = u8::try_from(members.len()).unwrap_or(u8::MAX);
    m.index = i;
    members.push(m);
    i
}

fn poverty(rng: &mut GenRng, per_mille: u32) -> Option<Poverty> {
    if !chance(rng, per_mille) {
        return None;
    }
    let status = if chance(rng, 250) {
        PovertyStatus::NotExited
    } else {
        weighted(
            rng,
            &[
                (PovertyStatus::Exited(2014), 10),
                (PovertyStatus::Exited(2015), 15),
                (PovertyStatus::Exited(2016), 25),
                (PovertyStatus::Exited(2017), 25),
                (PovertyStatus::Exited(2018), 25),
            ],
        )
    };
    Some(Poverty {
        status,
        cause: weighted(rng, POVERTY_CAUSES),
    })
}

fn since(rng: &mut GenRng, term: Term) -> (i32, u32) {
    let y = term.year() - rng.random_range(0..6);
    (y, rng.random_range(1..=12))
}

fn family(ctx: &Ctx, rng: &mut GenRng, index: u32, village: usize) -> Household {
    let e = env(ctx, rng, village);
    let v = &ctx.geo.villages[village];
    let term_start = ctx.term.start_date();
    let group = rng.random_range(1..=v.groups);
    let orphan_household = chance(rng, 3);
    let single_parent = !orphan_household && chance(rng, 70);
    let migrant = if !orphan_household && chance(rng, if e.urban { 15 } else { 40 }) {
        Some(weighted(rng, MIGRANT_CITIES))
    } else {
        None
    };
    let left_behind =
        migrant.is_none() && !orphan_household && chance(rng, if e.urban { 80 } else { 300 });
    let poverty_rate = match e.kind {
        TownshipKind::Subdistrict => 60,
        TownshipKind::Town => 230,
        _ => 400,
    } + if orphan_household || single_parent {
        150
    } else {
        0
    };
    let poverty = poverty(rng, poverty_rate);
    let dibao_rate = if poverty.is_some() { 200 } else { 25 }
        + if orphan_household || single_parent {
            150
        } else {
            0
        };
    let dibao = chance(rng, dibao_rate).then_some(if e.urban && v.community {
        DibaoKind::Urban
    } else {
        DibaoKind::Rural
    });
    let dibao_since = since(rng, ctx.term);
    let tekun_since = since(rng, ctx.term);

    // Children: the oldest up to 21 years old, the others 1–5 years apart,
    // with the odd pair of twins.
    let target = weighted(rng, &[(1u8, 30), (2, 48), (3, 17), (4, 5)]);
    let last_birth = days_before(term_start, 30);
    let mut births: Vec<(Date, bool)> = Vec::new();
    let mut birth = days_before(term_start, rng.random_range(30..(22 * 365)));
    loop {
        births.push((birth, false));
        if births.len() < usize::from(target) && chance(rng, 15) {
            births.push((birth, true));
        }
        if births.len() >= usize::from(target) {
            break;
        }
        let gap = weighted(
            rng,
            &[(450i64, 10), (730, 30), (1095, 30), (1460, 20), (1825, 10)],
        ) + rng.random_range(0..300);
        birth = birth.add_days(gap);
        if birth > last_birth {
            break;
        }
    }
    let oldest = births[0].0;
    let surname = names::surname(rng, e.yao);
    let father_birth = days_before(oldest, rng.random_range((22 * 365)..(36 * 365)));
    let mother_birth = father_birth.add_days(rng.random_range(-365..(5 * 365)));
    let grand_birth = days_before(father_birth, rng.random_range((20 * 365)..(32 * 365)));

    let mut members: Vec<Member> = Vec::new();
    // A single parent is the mother three times in five.
    let father_present = !(orphan_household || single_parent && chance(rng, 600));
    let mother_present = !orphan_household && (!single_parent || !father_present);
    let uncle_head = orphan_household && chance(rng, 300);
    let grandparents = left_behind || (orphan_household && !uncle_head);
    let both_grandparents = grandparents && chance(rng, 700);

    let head_role = if father_present {
        Role::Father
    } else if mother_present {
        Role::Mother
    } else if uncle_head {
        Role::Uncle
    } else {
        Role::Grandfather
    };
    let mut father_idx = None;
    let mut mother_idx = None;
    let mut grandfather_idx = None;
    let mut grandmother_idx = None;
    let mut uncle_idx = None;
    // The head first, as every household list starts with 户主.
    match head_role {
        Role::Father => {
            let m = adult(
                rng,
                Role::Father,
                "户主",
                surname,
                Sex::Male,
                father_birth,
                &e,
            );
            father_idx = Some(push(&mut members, m));
        }
        Role::Mother => {
            let s = names::surname(rng, e.yao);
            let m = adult(rng, Role::Mother, "户主", s, Sex::Female, mother_birth, &e);
            mother_idx = Some(push(&mut members, m));
        }
        Role::Uncle => {
            let b = father_birth.add_days(rng.random_range(-2000..2000));
            let m = adult(rng, Role::Uncle, "户主", surname, Sex::Male, b, &e);
            uncle_idx = Some(push(&mut members, m));
        }
        _ => {
            let m = adult(
                rng,
                Role::Grandfather,
                "户主",
                surname,
                Sex::Male,
                grand_birth,
                &e,
            );
            grandfather_idx = Some(push(&mut members, m));
        }
    }
    let head_is_grandparent = head_role == Role::Grandfather;
    if head_role == Role::Father && mother_present {
        let s = names::surname(rng, e.yao);
        let m = adult(rng, Role::Mother, "配偶", s, Sex::Female, mother_birth, &e);
        mother_idx = Some(push(&mut members, m));
    }
    if head_role == Role::Uncle && chance(rng, 700) {
        let s = names::surname(rng, e.yao);
        let b = father_birth.add_days(rng.random_range(-1500..1500));
        let m = adult(rng, Role::Aunt, "配偶", s, Sex::Female, b, &e);
        push(&mut members, m);
    }
    if grandparents {
        // Whose parents they are decides the relation; with the father as
        // head they are 之父/之母, with a grandparent as head they head it.
        if grandfather_idx.is_none() && (both_grandparents || chance(rng, 400)) {
            let rel = if head_is_grandparent {
                "户主"
            } else {
                "之父"
            };
            let m = adult(
                rng,
                Role::Grandfather,
                rel,
                surname,
                Sex::Male,
                grand_birth,
                &e,
            );
            grandfather_idx = Some(push(&mut members, m));
        }
        if both_grandparents || grandfather_idx.is_none() {
            let s = names::surname(rng, e.yao);
            let rel = if head_is_grandparent {
                "配偶"
            } else {
                "之母"
            };
            let b = grand_birth.add_days(rng.random_range(-1000..2000));
            let m = adult(rng, Role::Grandmother, rel, s, Sex::Female, b, &e);
            grandmother_idx = Some(push(&mut members, m));
        }
    }
    // Children take the father's surname (the head's, for orphans).
    let child_surname = if head_role == Role::Mother && chance(rng, 500) {
        members[0].name.surname
    } else {
        surname
    };
    let year_start = ctx.term.school_year_start();
    let mut last_given = String::new();
    for (b, twin) in &births {
        let sex = if rng.random_range(0..1000) < 515 {
            Sex::Male
        } else {
            Sex::Female
        };
        let given = if *twin {
            names::twin_given(rng, sex, &last_given)
        } else {
            names::given(rng, sex, Generation::Child)
        };
        last_given = given.clone();
        let relation = match (head_role, sex) {
            (Role::Father | Role::Mother, Sex::Male) => "之子",
            (Role::Father | Role::Mother, Sex::Female) => "之女",
            (Role::Grandfather, Sex::Male) => "之孙子",
            (Role::Grandfather, Sex::Female) => "之孙女",
            _ => "其他",
        };
        let (guardian, guardian_relation) = if orphan_household {
            if uncle_head {
                (uncle_idx.unwrap_or(0), "叔叔")
            } else {
                (grandfather_idx.unwrap_or(0), "祖父")
            }
        } else if left_behind {
            match (grandmother_idx, grandfather_idx) {
                (Some(g), _) if chance(rng, 600) || grandfather_idx.is_none() => (
                    g,
                    if head_role == Role::Mother {
                        "外祖母"
                    } else {
                        "祖母"
                    },
                ),
                (_, Some(g)) => (
                    g,
                    if head_role == Role::Mother {
                        "外祖父"
                    } else {
                        "祖父"
                    },
                ),
                _ => (0, "父亲"),
            }
        } else {
            match (father_idx, mother_idx) {
                (Some(f), Some(m)) => {
                    if chance(rng, 650) {
                        (f, "父亲")
                    } else {
                        (m, "母亲")
                    }
                }
                (Some(f), None) => (f, "父亲"),
                (None, Some(m)) => (m, "母亲"),
                _ => (0, "其他"),
            }
        };
        let has_id = !chance(rng, 5);
        let disability = chance(rng, 12).then(|| Disability {
            category: weighted(
                rng,
                &[
                    (1u8, 10),
                    (2, 12),
                    (3, 8),
                    (4, 30),
                    (5, 25),
                    (6, 5),
                    (7, 10),
                ],
            ),
            level: weighted(rng, &[(1u8, 15), (2, 30), (3, 30), (4, 25)]),
            certified: chance(rng, 850),
            issued: random_date_between(rng, b.add_days(365), 3 * 365),
        });
        let mut level = level_for(*b, year_start);
        if chance(rng, 30) {
            level -= 1;
        } else if chance(rng, 10) {
            level += 1;
        }
        let i = members.len() as u8;
        let mut m = Member {
            index: i,
            role: Role::Child,
            relation,
            name: Name {
                surname: child_surname,
                given,
            },
            sex,
            birth: *b,
            id_area: if chance(rng, 950) {
                e.area
            } else {
                neighbour_area_index(rng)
            },
            id_seq: id_seq(rng, sex),
            has_id,
            ethnicity: e.ethnicity,
            disability,
            tekun: orphan_household && chance(rng, 500),
            orphan: orphan_household,
            child: Some(ChildFacts {
                level,
                status: ChildStatus::Infant,
                twin_of: twin.then(|| i - 1),
                guardian,
                guardian_relation,
                listed_account: false,
                random_l: rng.random_range(0..10_000),
            }),
        };
        let status = place_child(ctx, rng, &e, village, &m, level, migrant, poverty.is_some());
        if let Some(c) = m.child.as_mut() {
            c.status = status;
        }
        members.push(m);
    }
    let account_mode = weighted(
        rng,
        &[
            (AccountMode::PerStudent, 500),
            (AccountMode::HouseholdCard, 350),
            (AccountMode::Passbook, 150),
        ],
    );
    let bank = weighted(rng, &[(0u8, 500), (1, 300), (2, 200)]);
    let needs_aid = poverty.is_some()
        || dibao.is_some()
        || members
            .iter()
            .any(|m| m.tekun || m.orphan || m.disability.is_some());
    for m in members.iter_mut() {
        if let Some(c) = m.child.as_mut()
            && let ChildStatus::Enrolled(p) = c.status
        {
            let rate = match (needs_aid, p.mode) {
                (true, StudyMode::OutOfCounty) => 700,
                (true, _) => 950,
                (false, _) => 80,
            };
            c.listed_account = chance(rng, rate);
        }
    }
    let account_opened = random_date_between(
        rng,
        Date::new(ctx.term.year() - 5, 1, 1).unwrap_or(term_start),
        5 * 365,
    );
    let migrant_district = rng.random_range(0..4);
    Household {
        index,
        village,
        group,
        members,
        head: 0,
        poverty,
        dibao,
        dibao_since,
        tekun_since,
        migrant,
        migrant_district,
        left_behind,
        phone: phone(rng),
        account_mode,
        bank,
        account_opened,
    }
}

/// Decides where a child is this term.
#[expect(clippy::too_many_arguments)]
fn place_child(
    ctx: &Ctx,
    rng: &mut GenRng,
    e: &Env,
    village: usize,
    m: &Member,
    level: i32,
    migrant: Option<usize>,
    poor: bool,
) -> ChildStatus {
    let plan = ctx.schools;
    let enrolled =
        |school: Option<u32>, stage: Stage, year: i32, mode: StudyMode, rng: &mut GenRng| {
            let Some(school) = school else {
                return ChildStatus::NotStudying;
            };
            let boarding = boarding(ctx, rng, school, stage, poor);
            ChildStatus::Enrolled(Placement {
                school,
                stage,
                year: u8::try_from(year.clamp(1, 9)).unwrap_or(1),
                boarding,
                mode,
            })
        };
    let external = |rng: &mut GenRng, city: usize, stage: Stage, year: i32| {
        let school = plan.and_then(|p| p.external(rng, city, stage)).or(Some(0));
        enrolled(school, stage, year, StudyMode::OutOfCounty, rng)
    };
    let choose =
        |rng: &mut GenRng, slot: Slot| plan.and_then(|p| p.choose(rng, village, slot)).or(Some(0));
    match level {
        l if l <= -4 => ChildStatus::Infant,
        -3..=-1 => {
            let stage = Stage::Preschool;
            let year = level + 4;
            if let Some(city) = migrant {
                return if chance(rng, 600) {
                    external(rng, city, stage, year)
                } else {
                    ChildStatus::Migrated
                };
            }
            let rate = if e.urban {
                910
            } else if e.kind == TownshipKind::Town {
                830
            } else {
                690
            };
            if chance(rng, rate) {
                let s = choose(rng, Slot::Preschool);
                enrolled(s, stage, year, StudyMode::InCounty, rng)
            } else {
                ChildStatus::PreschoolHome
            }
        }
        0..=8 => {
            let (stage, year) = if level <= 5 {
                (Stage::Primary, level + 1)
            } else {
                (Stage::Junior, level - 5)
            };
            if let Some(d) = m.disability
                && d.special_school()
                && chance(rng, 700)
            {
                let s = choose(rng, Slot::Special);
                let mode = if chance(rng, 200) {
                    StudyMode::HomeDelivered
                } else {
                    StudyMode::InCounty
                };
                return enrolled(s, stage, year, mode, rng);
            }
            if let Some(city) = migrant {
                return if chance(rng, 620) {
                    external(rng, city, stage, year)
                } else {
                    ChildStatus::Migrated
                };
            }
            if chance(rng, 8) {
                let city = weighted(rng, NEARBY_CITIES);
                return external(rng, city, stage, year);
            }
            // 因贫辍学率为0: registered poor children do not drop out.
            if !poor {
                let rate = if stage == Stage::Primary { 8 } else { 120 };
                if chance_100k(rng, rate) {
                    let reason = if stage == Stage::Primary {
                        weighted(rng, &[("身体原因", 60), ("家庭原因", 40)])
                    } else {
                        weighted(rng, &[("厌学", 50), ("外出务工", 30), ("家庭原因", 20)])
                    };
                    return ChildStatus::Dropout(reason);
                }
            }
            let slot = match level {
                0..=2 => Slot::PrimaryLow,
                3..=5 => Slot::PrimaryHigh,
                _ => Slot::Junior,
            };
            let s = choose(rng, slot);
            enrolled(s, stage, year, StudyMode::InCounty, rng)
        }
        9..=11 => {
            let year = level - 8;
            if !chance(rng, if poor { 965 } else { 935 }) {
                return ChildStatus::NotStudying;
            }
            let stage = if chance(rng, 560) {
                Stage::SeniorHigh
            } else {
                Stage::Vocational
            };
            if let Some(city) = migrant {
                return if chance(rng, 700) {
                    external(rng, city, stage, year)
                } else {
                    ChildStatus::Migrated
                };
            }
            let out_rate = if stage == Stage::SeniorHigh { 30 } else { 180 };
            if chance(rng, out_rate) {
                let city = if stage == Stage::Vocational && chance(rng, 200) {
                    0
                } else {
                    weighted(rng, &[(6usize, 70), (5, 30)])
                };
                return external(rng, city, stage, year);
            }
            let slot = if stage == Stage::SeniorHigh {
                Slot::Senior
            } else {
                Slot::Vocational
            };
            let s = choose(rng, slot);
            enrolled(s, stage, year, StudyMode::InCounty, rng)
        }
        12..=15 if poor => {
            let year = level - 11;
            let r = rng.random_range(0..1000u32);
            let vocational = r < 300 && year <= 3;
            let university = (300..500).contains(&r) && year <= 4;
            if vocational || university {
                let s = plan.and_then(|p| p.college(rng, vocational)).or(Some(0));
                enrolled(s, Stage::Higher, year, StudyMode::OutOfCounty, rng)
            } else {
                ChildStatus::NotStudying
            }
        }
        _ => ChildStatus::NotStudying,
    }
}

/// Whether a student boards: rare in village schools and the county town,
/// common in the 乡镇's junior schools and in every senior school.
fn boarding(ctx: &Ctx, rng: &mut GenRng, school: u32, stage: Stage, poor: bool) -> bool {
    let Some(plan) = ctx.schools else {
        return false;
    };
    let s = &plan.schools[school as usize];
    if !s.in_county {
        return chance(rng, 100);
    }
    let tk = s.township.map(|t| ctx.geo.townships[t].kind);
    let base = match (s.kind, tk) {
        (SchoolKind::Kindergarten, _) => 0,
        (SchoolKind::TeachingPoint, _) => 0,
        (SchoolKind::VillagePrimary, _) => 80,
        (SchoolKind::CentralPrimary, _) => 350,
        (SchoolKind::UrbanPrimary, _) => 60,
        (SchoolKind::NineYear, _) if stage == Stage::Primary => 450,
        (SchoolKind::NineYear, _) => 880,
        (SchoolKind::Junior, Some(TownshipKind::Subdistrict)) => 300,
        (SchoolKind::Junior, Some(TownshipKind::Township)) => 880,
        (SchoolKind::Junior, _) => 750,
        (SchoolKind::SeniorHigh, _) => 880,
        (SchoolKind::Vocational, _) => 820,
        (SchoolKind::Special, _) => 600,
        _ => 0,
    };
    // Poor families more often board their children, for the meals and
    // the allowance.
    let bonus = if poor && base > 0 { 100 } else { 0 };
    chance(rng, (base + bonus).min(1000))
}

fn elderly(ctx: &Ctx, rng: &mut GenRng, index: u32, village: usize) -> Household {
    let e = env(ctx, rng, village);
    let v = &ctx.geo.villages[village];
    let term_start = ctx.term.start_date();
    let group = rng.random_range(1..=v.groups);
    let single = chance(rng, 550);
    let surname = names::surname(rng, e.yao);
    let head_sex = if single && chance(rng, 400) {
        Sex::Female
    } else {
        Sex::Male
    };
    let birth = days_before(term_start, rng.random_range((60 * 365)..(88 * 365)));
    let mut members = Vec::new();
    push(
        &mut members,
        adult(rng, Role::Elder, "户主", surname, head_sex, birth, &e),
    );
    if !single {
        let s = names::surname(rng, e.yao);
        let b = birth.add_days(rng.random_range(-1500..2500));
        push(
            &mut members,
            adult(rng, Role::Elder, "配偶", s, Sex::Female, b, &e),
        );
    }
    let mut poverty = poverty(rng, 700);
    let dibao = chance(rng, 400).then_some(if e.urban && v.community {
        DibaoKind::Urban
    } else {
        DibaoKind::Rural
    });
    // 五保: a single elder without family support is 特困供养.
    let tekun = single && chance(rng, 350);
    members[0].tekun = tekun;
    if poverty.is_none() && dibao.is_none() && !tekun {
        poverty = Some(Poverty {
            status: PovertyStatus::Exited(2017),
            cause: weighted(rng, POVERTY_CAUSES),
        });
    }
    Household {
        index,
        village,
        group,
        members,
        head: 0,
        poverty,
        dibao,
        dibao_since: since(rng, ctx.term),
        tekun_since: since(rng, ctx.term),
        migrant: None,
        migrant_district: 0,
        left_behind: false,
        phone: phone(rng),
        account_mode: AccountMode::HouseholdCard,
        bank: 0,
        account_opened: term_start,
    }
}
