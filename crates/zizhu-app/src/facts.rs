//! Reading a term's students from the registry into the policy engine's
//! facts, each fact with the record (and import file row) it came from.
//!
//! The rule that matters most here is to leave a fact unknown when the
//! registry does not hold it, rather than to read a default as data. A
//! 县外就读 student whose enrollment names no school has had nothing
//! reported by the school in the other county, so their 寄宿 and 学籍确认
//! are unknown and the engine reports 信息缺失 naming them; a school
//! without a recorded 学杂费 standard leaves the fee unknown.
//!
//! Some facts the engine takes as plain yes/no cannot be unknown there
//! (户口性质, 涉农专业, 办学性质). The registry does not hold the first two
//! and they read as 否, with a source saying so; an assumption made for the
//! third is counted in the run's notes so the county sees it.

use crate::error::AppError;
use std::collections::{BTreeMap, HashMap};
use zizhu_core::{SchoolCategory, Term};
use zizhu_policy::{
    BankAccount, Disability, Fact, FactSet, PersonKey, PolicySet, PovertyStatus, SchoolKey,
    SchoolType, Sources, StudentFacts, TownshipKey,
};
use zizhu_store::{
    AidStudent, EnrollmentStatus, PovertyStatus as HouseholdStatus, Provenance, RecordKind,
    SchoolOwnership, Store,
};

/// Students read per page: large enough that the per-page provenance
/// queries are few, small enough that a page's rows are a few megabytes.
pub(crate) const PAGE: u64 = 2000;

/// The year assumed for a household recorded as 已脱贫 without a year: the
/// first year of 建档立卡, so that a rule granting years after lifting does
/// not count an unknown year as recent.
const UNKNOWN_LIFTED_YEAR: u16 = 2014;

/// A student as the use cases show and store them, beside their facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Student {
    pub(crate) person_id: i64,
    pub(crate) name: String,
    pub(crate) id_number: Option<String>,
    pub(crate) school_code: Option<String>,
    pub(crate) township_code: Option<String>,
    pub(crate) class_name: Option<String>,
    pub(crate) out_of_county: bool,
}

/// An assumption made while reading facts, counted per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Note {
    PrivateNotInclusive,
    UnknownSchoolPublic,
    LiftedYearUnknown,
    DisabilityUnrecognized,
}

impl Note {
    fn describe(self) -> &'static str {
        match self {
            Note::PrivateNotInclusive => {
                "所在民办学校未登记是否为普惠性民办，按“民办”计算（请在学校资助信息中登记办学性质）"
            }
            Note::UnknownSchoolPublic => "就读学校不在登记信息库中，也未登记办学性质，按“公办”计算",
            Note::LiftedYearUnknown => "家庭户为已脱贫但未登记脱贫年份，按 2014 年脱贫计算",
            Note::DisabilityUnrecognized => "残疾类别无法识别，按“多重”残疾计算",
        }
    }
}

/// Assumptions made while reading a population, with how many students
/// each concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes(BTreeMap<Note, usize>);

impl Notes {
    fn add(&mut self, n: Note) {
        *self.0.entry(n).or_insert(0) += 1;
    }

    /// `12 名学生：…`, one line per kind of assumption.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(n, count)| format!("{count} 名学生{}", n.describe()))
            .collect()
    }
}

/// The provenance of the records one page of students cites.
#[derive(Default)]
struct SourceBook {
    found: HashMap<RecordKind, HashMap<String, Provenance>>,
}

impl SourceBook {
    /// Looks up every kind of record at once on pooled connections: the
    /// lookups are independent, and on PostgreSQL each would otherwise wait
    /// out its own round trip. (On SQLite the gain is small: the driver's
    /// per-value cost dominates.)
    async fn load(
        store: &Store,
        wanted: [(RecordKind, Vec<String>); 6],
    ) -> Result<SourceBook, AppError> {
        let lookup = |(kind, keys): (RecordKind, Vec<String>)| async move {
            let found = if keys.is_empty() {
                Default::default()
            } else {
                store.provenance(kind, &keys).await?
            };
            Ok::<_, AppError>((kind, found))
        };
        let [a, b, c, d, e, f] = wanted;
        let found = tokio::try_join!(
            lookup(a),
            lookup(b),
            lookup(c),
            lookup(d),
            lookup(e),
            lookup(f)
        )?;
        let mut book = SourceBook::default();
        for (kind, m) in [found.0, found.1, found.2, found.3, found.4, found.5] {
            book.found.entry(kind).or_default().extend(m);
        }
        Ok(book)
    }

    /// `学生名单.xlsx!Sheet1!第12行`, or the table and row when the value
    /// was not imported.
    fn text(&self, kind: RecordKind, key: &str) -> String {
        let p = self.found.get(&kind).and_then(|m| m.get(key));
        source_text(kind, key, p)
    }
}

/// Renders where a record's value came from.
pub(crate) fn source_text(kind: RecordKind, key: &str, p: Option<&Provenance>) -> String {
    let Some(p) = p else {
        return format!("{}第 {key} 条", kind.label());
    };
    let date = p.at.get(..10).unwrap_or(&p.at);
    if p.action == zizhu_store::AuditAction::Rollback {
        let batch = p
            .batch_id
            .map_or_else(String::new, |b| format!("导入批次 {b} "));
        return format!(
            "{}第 {key} 条（{date} 回滚{batch}后恢复的值）",
            kind.label()
        );
    }
    match (&p.file_name, p.source_row) {
        (Some(file), Some(row)) => match &p.sheet {
            Some(sheet) => format!("{file}!{sheet}!第{row}行"),
            None => format!("{file}!第{row}行"),
        },
        (Some(file), None) => format!(
            "{file}（导入批次 {}）",
            p.batch_id.map_or_else(String::new, |b| b.to_string())
        ),
        (None, _) => {
            let verb = match p.action {
                zizhu_store::AuditAction::Insert => "录入",
                _ => "修改",
            };
            format!("{}第 {key} 条（{} {date}{verb}）", kind.label(), p.actor)
        }
    }
}

/// The facts whose source is worth recording for `set`: those its rules,
/// amounts and hardship levels read, and the payment preconditions.
pub(crate) fn wanted_facts(set: &PolicySet) -> FactSet {
    set.policies
        .iter()
        .fold(set.difficulty.facts(), |acc, p| {
            acc.union(p.relevant_facts())
        })
        .union(FactSet::of(&[Fact::Enrolled, Fact::Bank]))
}

const HOUSEHOLD_FACTS: [Fact; 11] = [
    Fact::Poor,
    Fact::NotLifted,
    Fact::Lifted,
    Fact::LiftedYear,
    Fact::Edge,
    Fact::Dibao,
    Fact::RuralDibao,
    Fact::UrbanDibao,
    Fact::Tekun,
    Fact::RuralTekun,
    Fact::UrbanTekun,
];

const PERSON_FACTS: [Fact; 5] = [
    Fact::Orphan,
    Fact::Disabled,
    Fact::DisabilityKind,
    Fact::MartyrChild,
    Fact::LeftBehind,
];

const SCHOOL_TYPE_FACTS: [Fact; 3] = [
    Fact::SchoolTypeFact,
    Fact::PublicSchool,
    Fact::InclusivePrivate,
];

/// Reads the 残联 category as the registry spells it (`视力`, `视力残疾`,
/// `二级肢体` …); `None` for text naming no known category.
fn disability_of(text: &str) -> Option<Disability> {
    Disability::ALL
        .into_iter()
        .find(|d| text.contains(d.label()))
        .or_else(|| {
            [("视", Disability::Visual), ("听", Disability::Hearing)]
                .into_iter()
                .find(|(k, _)| text.contains(k))
                .map(|(_, d)| d)
        })
}

fn key_error(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Registry {
        detail: format!("{what}：{e}"),
    }
}

/// Builds one student's facts from their registry records.
fn build(
    term: Term,
    a: &AidStudent,
    book: &SourceBook,
    wanted: FactSet,
    notes: &mut Notes,
) -> Result<(Student, StudentFacts), AppError> {
    let e = &a.enrollment.record;
    let p = &a.person;
    let school_code = e.school_code.as_ref().map(|c| c.as_str().to_string());
    let township_code = match &a.school {
        Some(s) if !e.out_of_county => s.township_code.clone(),
        _ => None,
    }
    .or_else(|| {
        a.household
            .as_ref()
            .and_then(|h| h.record.region_code.township_code().map(str::to_string))
    });
    let school_key = match (&school_code, e.out_of_county) {
        (Some(c), _) => c.as_str(),
        (None, true) => "县外就读",
        (None, false) => "未知学校",
    };
    let person_key = PersonKey::new(&p.id.to_string())
        .map_err(|err| key_error(&format!("人员 {}", p.id), err))?;
    let mut f = StudentFacts::new(
        person_key,
        term,
        SchoolKey::new(school_key).map_err(|err| key_error("学校标识码", err))?,
        TownshipKey::new(township_code.as_deref().unwrap_or("未知乡镇"))
            .map_err(|err| key_error("乡镇", err))?,
        e.grade,
    );

    // The other county's school has reported nothing when the enrollment
    // names no school: its 寄宿 and 学籍 stay unknown (信息缺失).
    let unreported = e.out_of_county && school_code.is_none();
    let attending = matches!(
        e.status,
        EnrollmentStatus::Studying | EnrollmentStatus::HomeTaught
    );
    f.out_of_county = e.out_of_county;
    f.boarding = (!unreported).then_some(e.boarding);
    f.enrollment_confirmed = match (attending, unreported) {
        (false, _) => Some(false),
        (true, true) => None,
        (true, false) => Some(true),
    };
    f.bank_account = Some(if a.active_account.is_some() {
        BankAccount::Valid
    } else {
        BankAccount::Missing
    });

    f.school_type = match (&a.profile, &a.school) {
        (Some(pr), _) => match pr.ownership {
            SchoolOwnership::Public => SchoolType::Public,
            SchoolOwnership::InclusivePrivate => SchoolType::InclusivePrivate,
            SchoolOwnership::Private => SchoolType::Private,
        },
        (None, Some(s)) if s.record.is_public => SchoolType::Public,
        (None, Some(_)) => {
            notes.add(Note::PrivateNotInclusive);
            SchoolType::Private
        }
        (None, None) => {
            if school_code.is_some() || e.out_of_county {
                notes.add(Note::UnknownSchoolPublic);
            }
            SchoolType::Public
        }
    };
    f.special_school = e
        .school_code
        .as_ref()
        .is_some_and(|c| c.category() == SchoolCategory::SpecialEducation);
    f.school_fee_per_term = a.profile.as_ref().and_then(|pr| pr.fee_per_term);

    if let Some(h) = &a.household {
        f.poverty = match h.record.poverty_status {
            HouseholdStatus::NotLifted => PovertyStatus::NotLifted,
            HouseholdStatus::Lifted => {
                match h.record.lifted_year.and_then(|y| u16::try_from(y).ok()) {
                    Some(year) => PovertyStatus::Lifted { year },
                    None => {
                        notes.add(Note::LiftedYearUnknown);
                        PovertyStatus::Lifted {
                            year: UNKNOWN_LIFTED_YEAR,
                        }
                    }
                }
            }
            HouseholdStatus::Marginal => PovertyStatus::Edge,
            HouseholdStatus::NotRegistered => PovertyStatus::NotRegistered,
        };
        f.dibao = h.record.dibao;
        f.tekun = h.record.tekun;
    }
    f.orphan = p.record.orphan;
    f.martyr_child = p.record.martyr_child;
    f.left_behind = p.record.left_behind;
    f.disability = match p.record.disability_category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(disability_of(text).unwrap_or_else(|| {
            notes.add(Note::DisabilityUnrecognized);
            Disability::Multiple
        })),
    };
    f.parent_disabled = a.disabled_parent.is_some();

    // Sources: the enrollment row is the record's default; other records
    // override the facts they hold, for the facts the policy set reads.
    let enrollment_src = book.text(RecordKind::Enrollment, &a.enrollment.id.to_string());
    let household_src = match &a.household {
        Some(h) => book.text(RecordKind::Household, &h.id.to_string()),
        None => "人员未关联家庭户（按非建档立卡、非低保、非特困计）".to_string(),
    };
    let person_src = book.text(RecordKind::Person, &p.id.to_string());
    let parent_src = match a.disabled_parent {
        Some(id) => book.text(RecordKind::Person, &id.to_string()),
        None => "监护人表：未登记持残疾证的父母".to_string(),
    };
    let school_src = match (&a.school, &school_code) {
        (Some(s), _) => book.text(RecordKind::School, s.record.code.as_str()),
        (None, Some(c)) => format!("学校标识码 {c}（登记信息库中没有该校）"),
        (None, None) => "学籍未登记就读学校".to_string(),
    };
    let type_src = match (&a.profile, &a.school) {
        (Some(pr), _) => book.text(RecordKind::SchoolAidProfile, pr.school_code.as_str()),
        (None, Some(s)) if !s.record.is_public => {
            format!("{school_src}；未登记是否普惠性，按民办计")
        }
        (None, Some(_)) => school_src.clone(),
        (None, None) => format!("{school_src}；未登记办学性质，按公办计"),
    };
    let bank_src = match a.active_account {
        Some(id) => book.text(RecordKind::BankAccount, &id.to_string()),
        None => "银行账户表：无有效账户".to_string(),
    };
    let unrecorded = "登记信息库未记录，按“否”计";
    let mut overrides: Vec<(Fact, &str)> = Vec::new();
    overrides.extend(HOUSEHOLD_FACTS.iter().map(|f| (*f, household_src.as_str())));
    overrides.extend(PERSON_FACTS.iter().map(|f| (*f, person_src.as_str())));
    overrides.extend(SCHOOL_TYPE_FACTS.iter().map(|f| (*f, type_src.as_str())));
    overrides.push((Fact::SpecialSchool, school_src.as_str()));
    overrides.push((Fact::SchoolFee, type_src.as_str()));
    overrides.push((Fact::ParentDisabled, parent_src.as_str()));
    overrides.push((Fact::Bank, bank_src.as_str()));
    overrides.push((Fact::RuralHukou, unrecorded));
    overrides.push((Fact::AgriMajor, unrecorded));
    let mut sources = Sources::record(&enrollment_src);
    for (fact, src) in overrides {
        if wanted.contains(fact) {
            sources = sources.with(fact, src);
        }
    }
    f.sources = sources;

    let student = Student {
        person_id: p.id,
        name: p.record.name.original().to_string(),
        id_number: p.record.id_number.as_ref().map(|i| i.as_str().to_string()),
        school_code,
        township_code,
        class_name: e.class_name.clone(),
        out_of_county: e.out_of_county,
    };
    Ok((student, f))
}

/// Builds the facts of a page of students, looking up their sources.
pub(crate) async fn build_page(
    store: &Store,
    term: Term,
    page: &[AidStudent],
    wanted: FactSet,
    notes: &mut Notes,
) -> Result<Vec<(Student, StudentFacts)>, AppError> {
    let mut persons = Vec::with_capacity(page.len());
    let mut households = Vec::new();
    let mut enrollments = Vec::with_capacity(page.len());
    let mut accounts = Vec::new();
    let mut schools = Vec::new();
    let mut profiles = Vec::new();
    for a in page {
        persons.push(a.person.id.to_string());
        if let Some(id) = a.disabled_parent {
            persons.push(id.to_string());
        }
        if let Some(h) = &a.household {
            households.push(h.id.to_string());
        }
        enrollments.push(a.enrollment.id.to_string());
        if let Some(id) = a.active_account {
            accounts.push(id.to_string());
        }
        if let Some(s) = &a.school {
            schools.push(s.record.code.as_str().to_string());
        }
        if let Some(pr) = &a.profile {
            profiles.push(pr.school_code.as_str().to_string());
        }
    }
    for v in [&mut households, &mut schools, &mut profiles] {
        v.sort_unstable();
        v.dedup();
    }
    let book = SourceBook::load(
        store,
        [
            (RecordKind::Person, persons),
            (RecordKind::Household, households),
            (RecordKind::Enrollment, enrollments),
            (RecordKind::BankAccount, accounts),
            (RecordKind::School, schools),
            (RecordKind::SchoolAidProfile, profiles),
        ],
    )
    .await?;
    page.iter()
        .map(|a| build(term, a, &book, wanted, notes))
        .collect()
}

/// A term's whole population, in enrollment order.
pub(crate) struct Population {
    pub(crate) students: Vec<Student>,
    pub(crate) facts: Vec<StudentFacts>,
    pub(crate) notes: Notes,
}

/// Reads every student of a term page by page. Only the facts (which the
/// engine needs whole, for quotas) are kept; each page's rows are dropped
/// once converted.
pub(crate) async fn read_population(
    store: &Store,
    term: Term,
    set: &PolicySet,
) -> Result<Population, AppError> {
    let wanted = wanted_facts(set);
    let mut pop = Population {
        students: Vec::new(),
        facts: Vec::new(),
        notes: Notes::default(),
    };
    let mut after = 0;
    loop {
        let page = store.aid_students(&term, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.enrollment.id;
        let built = build_page(store, term, &page, wanted, &mut pop.notes).await?;
        for (s, f) in built {
            pop.students.push(s);
            pop.facts.push(f);
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    Ok(pop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disability_categories_as_registries_spell_them() {
        for (text, expected) in [
            ("视力", Some(Disability::Visual)),
            ("视力残疾", Some(Disability::Visual)),
            ("二级肢体残疾", Some(Disability::Physical)),
            ("多重残疾", Some(Disability::Multiple)),
            ("听", Some(Disability::Hearing)),
            ("其他", None),
        ] {
            assert_eq!(disability_of(text), expected, "{text}");
        }
    }
}
