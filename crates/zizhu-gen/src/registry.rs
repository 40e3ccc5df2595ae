//! Building the clean registry school by school, and the facts shared by
//! the list writers (keys, student numbers, guardians, bank accounts).

use crate::error::GenError;
use crate::geo::Geo;
use crate::household::{ChildStatus, Household, Placement, Role};
use crate::model::{
    AccountKind, BankAccount, Enrollment, Guardian, HouseholdFacts, Person, SchoolBatch, Student,
    StudentTruth,
};
use crate::plan::{Plan, person_no};
use crate::policy::{self, Facts};
use crate::rng::{domain, stream};
use crate::schools::{CITIES, School, SchoolKind};
use rand::seq::SliceRandom;
use zizhu_core::{Grade, IdNumber, Stage, Term};

/// Stable key of a synthetic person.
pub(crate) fn person_key(h: u32, m: usize) -> String {
    format!("P{h:09}-{m:02}")
}

/// Stable key of a synthetic household.
pub(crate) fn household_key(h: u32) -> String {
    format!("H{h:09}")
}

/// The 扶贫 户编号: the village's 12-digit code and a 4-digit number.
pub(crate) fn poverty_no(plan: &Plan, hh: &Household) -> String {
    let v = &plan.geo.villages[hh.village];
    let local = hh.index - plan.village_households(hh.village).start + 1;
    format!("{}{local:04}", v.code)
}

/// Banks, their card BIN and passbook prefix.
const BANKS: [(&str, &str, &str); 3] = [
    ("农村信用合作联社", "621539", "820101"),
    ("中国农业银行", "622848", "133001"),
    ("中国邮政储蓄银行", "621799", "600431"),
];

/// The 开户行 as written: 宁远县农村信用合作联社, 中国农业银行宁远县支行 …
pub(crate) fn bank_name(county: &str, bank: u8) -> String {
    match bank {
        0 => format!("{county}{}", BANKS[0].0),
        b => format!("{}{county}支行", BANKS[usize::from(b.min(2))].0),
    }
}

/// Appends the Luhn check digit.
pub(crate) fn luhn_complete(body: &str) -> String {
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

/// A 19-digit account number, unique per (prefix, branch, person number):
/// the person number goes through a bijection of 0..10⁹ so numbers look
/// random but can never collide.
pub(crate) fn account_number(prefix: &str, branch: u32, pno: u64) -> String {
    let perm = ((pno % 1_000_000_000) * 387_420_489 + 123_456_789) % 1_000_000_000;
    luhn_complete(&format!("{prefix}{:03}{perm:09}", branch % 1000))
}

/// The member index used for a household's shared account.
const HOUSEHOLD_ACCOUNT: usize = 15;

fn account_parts(hh: &Household, m: usize) -> (AccountKind, &'static str, usize) {
    let (_, bin, passbook) = BANKS[usize::from(hh.bank.min(2))];
    match hh.account_mode {
        crate::household::AccountMode::PerStudent => (AccountKind::AidCard, bin, m),
        crate::household::AccountMode::HouseholdCard => {
            (AccountKind::HouseholdCard, bin, HOUSEHOLD_ACCOUNT)
        }
        crate::household::AccountMode::Passbook => {
            (AccountKind::Passbook, passbook, HOUSEHOLD_ACCOUNT)
        }
    }
}

/// The live account aid for student `m` is paid into, if it is listed.
pub(crate) fn account(
    plan: &Plan,
    hh: &Household,
    m: usize,
) -> Result<Option<BankAccount>, GenError> {
    let listed = hh.members[m]
        .child
        .as_ref()
        .is_some_and(|c| c.listed_account);
    if !listed {
        return Ok(None);
    }
    let (kind, prefix, who) = account_parts(hh, m);
    let township = plan.geo.villages[hh.village].township as u32;
    let number = account_number(prefix, township + 1, person_no(hh.index, who));
    let (holder_name, holder_id, relation) = if kind == AccountKind::AidCard {
        (hh.members[m].name.full(), plan.id(hh, m)?, "本人")
    } else {
        let head = hh.head();
        (
            head.name.full(),
            plan.id(hh, hh.head)?,
            head_relation(hh.head().role),
        )
    };
    Ok(Some(BankAccount {
        bank: bank_name(plan.geo.county_name, hh.bank),
        number,
        kind,
        holder_name,
        holder_id,
        relation,
        opened: hh.account_opened,
    }))
}

/// A closed account the bank list may still show for student `m`.
pub(crate) fn stale_number(plan: &Plan, hh: &Household, m: usize) -> String {
    let (_, prefix, who) = account_parts(hh, m);
    let township = plan.geo.villages[hh.village].township as u32;
    account_number(prefix, 500 + township, person_no(hh.index, who))
}

/// The household head's relation to a child of the household.
fn head_relation(role: Role) -> &'static str {
    match role {
        Role::Father => "父亲",
        Role::Mother => "母亲",
        Role::Grandfather => "祖父",
        Role::Grandmother => "祖母",
        Role::Uncle => "叔叔",
        _ => "其他",
    }
}

/// The 全国学籍号: G + ID, or for a child without one a J number (area,
/// birth date, sequence and an ID-style check character) or an L number
/// (area, birth date and four random digits).
pub(crate) fn student_no(plan: &Plan, hh: &Household, m: usize, id: Option<&IdNumber>) -> String {
    if let Some(id) = id {
        return format!("G{}", id.as_str());
    }
    let member = &hh.members[m];
    let area = &plan.areas[usize::from(member.id_area)];
    let birth = member.birth.fmt_compact();
    let l = member.child.as_ref().map(|c| c.random_l).unwrap_or(0);
    if l % 10 < 7 {
        let first17 = format!("{area}{birth}{:03}", member.id_seq);
        let check = zizhu_core::id::check_digit(&first17).unwrap_or('0');
        format!("J{first17}{check}")
    } else {
        format!("L{area}{birth}{l:04}")
    }
}

/// The guardian of child `m`.
pub(crate) fn guardian(plan: &Plan, hh: &Household, m: usize) -> Result<Guardian, GenError> {
    let c = hh.members[m].child.as_ref();
    let g = c.map(|c| usize::from(c.guardian)).unwrap_or(hh.head);
    let g = g.min(hh.members.len() - 1);
    Ok(Guardian {
        name: hh.members[g].name.full(),
        id_number: plan.id(hh, g)?,
        relation: c.map(|c| c.guardian_relation).unwrap_or("其他"),
        phone: hh.phone.clone(),
    })
}

/// Where a migrant family lives now.
pub(crate) fn current_address(geo: &Geo, hh: &Household) -> String {
    match hh.migrant {
        Some(city) => {
            let (full, _, _, districts) = CITIES[city.min(CITIES.len() - 1)];
            format!("{full}{}", districts[hh.migrant_district % districts.len()])
        }
        None => geo.address(hh.village, hh.group),
    }
}

/// The facts the aid rules read, for member `m` placed at `p`.
pub(crate) fn facts(plan: &Plan, hh: &Household, m: usize, p: &Placement) -> Facts {
    let member = &hh.members[m];
    let school = &plan.schools.schools[p.school as usize];
    Facts {
        poverty: hh.poverty.as_ref().map(|p| p.status),
        dibao: hh.dibao,
        tekun: member.tekun,
        orphan: member.orphan,
        disabled: member.disability.is_some_and(|d| d.certified),
        stage: p.stage,
        year: p.year,
        boarding: p.boarding,
        in_county: school.in_county,
        special_school: school.kind == SchoolKind::Special,
        fee: school.fee_per_term,
        higher_vocational: school.kind == SchoolKind::VocationalCollege,
    }
}

/// The grade of a placement.
pub(crate) fn grade(p: &Placement) -> Grade {
    let max = match p.stage {
        Stage::Preschool | Stage::Junior | Stage::SeniorHigh | Stage::Vocational => 3,
        Stage::Primary => 6,
        Stage::Higher => 4,
    };
    let year = p.year.clamp(1, max);
    Grade::new(p.stage, year)
        .or_else(|_| Grade::new(p.stage, 1))
        .unwrap_or_else(|_| first_grade())
}

fn first_grade() -> Grade {
    // 一年级 always exists; this only guards against a core regression.
    Grade::new(Stage::Primary, 1).unwrap_or_else(|e| panic!("zizhu-core rejects 一年级: {e}"))
}

/// Builds the clean student for member `m` of `hh`, placed at `p`.
pub(crate) fn student(
    plan: &Plan,
    hh: &Household,
    m: usize,
    p: &Placement,
) -> Result<Student, GenError> {
    let member = &hh.members[m];
    let geo = &plan.geo;
    let v = &geo.villages[hh.village];
    let t = &geo.townships[v.township];
    let id = plan.id(hh, m)?;
    let school = &plan.schools.schools[p.school as usize];
    let head = hh.head();
    let twin_of = member
        .child
        .as_ref()
        .and_then(|c| c.twin_of)
        .map(|i| person_key(hh.index, usize::from(i)));
    // The other twin points back.
    let twin_of = twin_of.or_else(|| {
        hh.members
            .iter()
            .find(|o| o.child.as_ref().and_then(|c| c.twin_of) == Some(member.index))
            .map(|o| person_key(hh.index, usize::from(o.index)))
    });
    let entitlements = policy::entitlements(&facts(plan, hh, m, p));
    Ok(Student {
        person: Person {
            key: person_key(hh.index, m),
            name: member.name.full(),
            surname: member.name.surname.to_string(),
            sex: member.sex,
            birth_date: member.birth,
            student_no: student_no(plan, hh, m, id.as_ref()),
            id_number: id,
            ethnicity: member.ethnicity,
            hukou_address: geo.address(hh.village, hh.group),
            current_address: current_address(geo, hh),
            township_code: t.code.clone(),
            township: t.name.to_string(),
            village_code: v.code.clone(),
            village: v.name.clone(),
            group: hh.group,
            disability: member.disability,
        },
        household: HouseholdFacts {
            key: household_key(hh.index),
            poverty_no: hh.poverty.as_ref().map(|_| poverty_no(plan, hh)),
            poverty: hh.poverty.clone(),
            dibao: hh.dibao,
            head_name: head.name.full(),
            head_id: plan.id(hh, hh.head)?,
            size: u8::try_from(hh.members.len()).unwrap_or(u8::MAX),
            migrant_city: hh
                .migrant
                .map(|c| CITIES[c.min(CITIES.len() - 1)].0.to_string()),
            left_behind: hh.left_behind,
        },
        guardian: guardian(plan, hh, m)?,
        enrollment: Enrollment {
            term: plan.term,
            school_code: school.code.clone(),
            school_name: school.name.clone(),
            stage: p.stage,
            grade: grade(p),
            class_name: String::new(),
            boarding: p.boarding,
            mode: p.mode,
            place: school.place.clone(),
        },
        bank_account: account(plan, hh, m)?,
        entitlements,
        truth: StudentTruth {
            orphan: member.orphan,
            tekun: member.tekun,
            disabled: member.disability.is_some_and(|d| d.certified),
            twin_of,
        },
    })
}

/// Students per class by stage (12 in a special school).
fn class_size(school: &School, stage: Stage) -> usize {
    if school.kind == SchoolKind::Special {
        return 12;
    }
    match stage {
        Stage::Preschool => 30,
        Stage::Primary => 45,
        Stage::Junior => 50,
        Stage::SeniorHigh => 55,
        Stage::Vocational => 50,
        Stage::Higher => 60,
    }
}

const MAJORS: &[&str] = &[
    "计算机应用",
    "汽车运用与维修",
    "电子技术应用",
    "学前教育",
    "会计",
    "电子商务",
    "机电技术应用",
    "服装设计与工艺",
];

const CN: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The class name as each kind of school writes it: 小一班, 三年级(2)班,
/// 高一(5)班, 2018级计算机应用2班.
fn class_name(school: &School, grade: Grade, class: usize, term: Term) -> String {
    let cohort = term.school_year_start() - i32::from(grade.year()) + 1;
    match grade.stage() {
        Stage::Preschool => {
            let band = ["小", "中", "大"][usize::from(grade.year().clamp(1, 3)) - 1];
            let n = CN.get(class - 1).copied().unwrap_or("十");
            if class <= CN.len() {
                format!("{band}{n}班")
            } else {
                format!("{band}({class})班")
            }
        }
        Stage::Vocational | Stage::Higher => {
            let major = MAJORS[(class - 1 + school.index as usize) % MAJORS.len()];
            format!("{cohort}级{major}{class}班")
        }
        _ => format!("{}({class})班", grade.label()),
    }
}

fn stage_rank(s: Stage) -> u8 {
    match s {
        Stage::Preschool => 0,
        Stage::Primary => 1,
        Stage::Junior => 2,
        Stage::SeniorHigh => 3,
        Stage::Vocational => 4,
        Stage::Higher => 5,
    }
}

/// The placement of the `rank`-th enrolled member of `hh`.
fn nth_enrolled(hh: &Household, rank: usize) -> Option<(usize, Placement)> {
    hh.members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m.child.as_ref().map(|c| c.status) {
            Some(ChildStatus::Enrolled(p)) => Some((i, p)),
            _ => None,
        })
        .nth(rank)
}

/// One school's batch: its students with classes assigned, ordered by
/// grade, class and household. Also returns the enrolled ordinal of each
/// student, in the same order.
pub(crate) fn build_batch(plan: &Plan, school: usize) -> Result<(SchoolBatch, Vec<u32>), GenError> {
    let s = &plan.schools.schools[school];
    let list = &plan.school_students[school];
    let mut cache: Option<Household> = None;
    let mut rows: Vec<(u8, u8, usize, u32, Student)> = Vec::with_capacity(list.len());
    for &e in list {
        let h = plan.enrolled_household[e as usize];
        let mut first = e as usize;
        while first > 0 && plan.enrolled_household[first - 1] == h {
            first -= 1;
        }
        let rank = e as usize - first;
        if cache.as_ref().map(|c| c.index) != Some(h) {
            cache = Some(plan.household(h));
        }
        let Some(hh) = cache.as_ref() else {
            continue;
        };
        let Some((m, p)) = nth_enrolled(hh, rank) else {
            return Err(GenError::Internal {
                what: "在校生",
                value: person_key(h, rank),
                message: "重新生成的户中找不到该学生".to_string(),
            });
        };
        let st = student(plan, hh, m, &p)?;
        rows.push((stage_rank(p.stage), st.enrollment.grade.year(), 0, e, st));
    }
    // Classes: each grade split into classes of about the usual size, the
    // students shuffled among them by the school's own stream.
    rows.sort_by_key(|r| (r.0, r.1, r.3));
    let mut rng = stream(plan.seed, domain::SCHOOL_BATCH, school as u64);
    let mut start = 0;
    while start < rows.len() {
        let key = (rows[start].0, rows[start].1);
        let end = start
            + rows[start..]
                .iter()
                .take_while(|r| (r.0, r.1) == key)
                .count();
        let n = end - start;
        let size = class_size(s, rows[start].4.enrollment.stage);
        let k = n.div_ceil(size).max(1);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        for (pos, i) in order.into_iter().enumerate() {
            rows[start + i].2 = pos % k + 1;
        }
        start = end;
    }
    rows.sort_by_key(|r| (r.0, r.1, r.2, r.3));
    let mut students = Vec::with_capacity(rows.len());
    let mut ordinals = Vec::with_capacity(rows.len());
    for (_, _, class, e, mut st) in rows {
        st.enrollment.class_name = class_name(s, st.enrollment.grade, class, plan.term);
        students.push(st);
        ordinals.push(e);
    }
    Ok((
        SchoolBatch {
            school: s.clone(),
            students,
        },
        ordinals,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_pass_luhn_and_are_distinct() {
        let a = account_number("622848", 1, 0);
        let b = account_number("622848", 1, 1);
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
        assert!(zizhu_core::luhn_valid(&a), "{a}");
        assert!(zizhu_core::luhn_valid(&b), "{b}");
        assert_eq!(luhn_complete("62284812345678901"), "622848123456789012");
    }
}
