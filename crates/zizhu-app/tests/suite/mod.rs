//! The use-case suite, written once and run on both backends.
//!
//! Each test is an async function taking a fresh, unmigrated [`Store`];
//! `tests/sqlite.rs` runs every one on a new temporary SQLite file and
//! `tests/postgres.rs` on a new PostgreSQL schema, through [`app_tests!`].
//!
//! The fixture is a small registry seeded through the store's audited API,
//! the way an import would: a roster file and a poverty-office file as
//! import batches with row numbers, so that the sources of facts can be
//! checked.

#![allow(dead_code)]

use std::collections::BTreeMap;
use zizhu_app::*;
use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, RegionCode, SchoolCode, Sex, Stage,
    StudentNo, Term,
};
use zizhu_policy::{Dimension, HUNAN_2018_TOML, PolicySet};
use zizhu_store::*;

pub use zizhu_policy::key::policy_code_in;

/// Generates one `#[tokio::test]` per suite function.
macro_rules! app_tests {
    ($run:path) => {
        $crate::suite::app_tests!(@each $run;
            first_run_stores_exact_entitlements,
            unchanged_recomputation_writes_no_entitlement_audit,
            new_boarder_is_reported_with_reason_and_audited,
            lifted_household_is_reported_with_reason,
            dry_run_writes_nothing,
            explain_names_facts_sources_and_stored_status,
            coverage_lists_student_without_bank_account,
            out_of_county_student_is_missing_info_until_reported,
            summary_adds_up_within_scope,
            concurrent_runs_never_store_over_each_other,
        );
    };
    (@each $run:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $run(stringify!($name), suite::$name).await;
            }
        )*
    };
}
pub(crate) use app_tests;

// Fixture.

pub const TERM: &str = "2018秋";

pub fn term() -> Term {
    Term::parse(TERM).expect("合法学期")
}

pub fn hunan() -> PolicySet {
    PolicySet::hunan_2018()
}

/// The Hunan file with 脱贫不脱政策 replaced by "only the year of lifting",
/// so that lifting a household changes entitlements in 2018.
pub fn hunan_strict_lifting() -> PolicySet {
    let from = "[poverty]\nkeep_policy_through = 2020";
    assert!(HUNAN_2018_TOML.contains(from));
    let text = HUNAN_2018_TOML.replacen(from, "[poverty]\ngrace_years = 0", 1);
    PolicySet::load(&text, "hunan-2018-strict.toml").unwrap_or_else(|e| panic!("{e}"))
}

pub fn opts(dry_run: bool) -> EntitleOptions {
    EntitleOptions {
        dry_run,
        actor: "县资助中心·王老师".into(),
    }
}

fn ctx(reason: &str, batch_id: Option<i64>) -> AuditContext {
    AuditContext {
        actor: "县资助中心·王老师".into(),
        reason: reason.into(),
        batch_id,
    }
}

pub fn id(seq: u16) -> IdNumber {
    IdNumber::from_parts("431126", Date::parse("2008-06-01").unwrap(), seq).expect("合法身份证号")
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("合法区划代码")
}

fn school_code(s: &str) -> SchoolCode {
    SchoolCode::parse(s).expect("合法学校标识码")
}

/// A 19-digit card number that passes the Luhn check.
fn card(n: u64) -> BankCard {
    let payload = format!("622848{n:012}");
    let sum: u32 = payload
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).expect("digit");
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    BankCard::parse(&format!("{payload}{check}")).expect("合法银行卡号")
}

pub const PRIMARY: &str = "2143000001";
pub const JUNIOR: &str = "3143000002";
pub const HIGH: &str = "3443000003";
pub const VOCATIONAL: &str = "3643000004";
pub const KINDERGARTEN: &str = "1143000005";
/// A junior school in another county (not in the registry).
pub const OTHER_COUNTY_JUNIOR: &str = "3143990001";
pub const TOWNSHIP_A: &str = "431126100";
pub const TOWNSHIP_B: &str = "431126200";

/// One student of the fixture.
pub struct Pupil {
    pub label: &'static str,
    pub name: &'static str,
    pub seq: u16,
    pub household: Option<&'static str>,
    pub school: Option<&'static str>,
    pub stage: Stage,
    pub grade: u8,
    pub boarding: bool,
    pub out_of_county: bool,
    pub bank: bool,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the fixture table, read as a row"
)]
const fn pupil(
    label: &'static str,
    name: &'static str,
    seq: u16,
    household: Option<&'static str>,
    school: Option<&'static str>,
    stage: Stage,
    grade: u8,
    boarding: bool,
) -> Pupil {
    Pupil {
        label,
        name,
        seq,
        household,
        school,
        stage,
        grade,
        boarding,
        out_of_county: false,
        bank: true,
    }
}

/// The households: 户编号, status, lifted year, 低保.
pub const HOUSEHOLDS: &[(&str, PovertyStatus, Option<i32>, bool)] = &[
    ("H1", PovertyStatus::NotLifted, None, false),
    ("H2", PovertyStatus::Lifted, Some(2017), false),
    ("H3", PovertyStatus::Lifted, Some(2018), false),
    ("H4", PovertyStatus::NotRegistered, None, true),
    ("H5", PovertyStatus::NotLifted, None, false),
    ("H6", PovertyStatus::NotLifted, None, false),
];

pub fn pupils() -> Vec<Pupil> {
    use Stage::*;
    let mut v = vec![
        pupil(
            "小学寄宿·未脱贫",
            "张小明",
            11,
            Some("H1"),
            Some(PRIMARY),
            Primary,
            3,
            true,
        ),
        pupil(
            "小学走读·2017脱贫",
            "李小红",
            12,
            Some("H2"),
            Some(PRIMARY),
            Primary,
            4,
            false,
        ),
        pupil(
            "初中寄宿·2018脱贫",
            "王大力",
            13,
            Some("H3"),
            Some(JUNIOR),
            Junior,
            2,
            true,
        ),
        pupil(
            "初中走读·非贫困",
            "赵四",
            14,
            None,
            Some(JUNIOR),
            Junior,
            1,
            false,
        ),
        pupil(
            "高中一年级·未脱贫",
            "欧阳娜娜",
            15,
            Some("H6"),
            Some(HIGH),
            SeniorHigh,
            1,
            false,
        ),
        pupil(
            "中职一年级·2017脱贫",
            "钱多多",
            16,
            Some("H2"),
            Some(VOCATIONAL),
            Vocational,
            1,
            false,
        ),
        pupil(
            "中职二年级·低保",
            "孙悟",
            17,
            Some("H4"),
            Some(VOCATIONAL),
            Vocational,
            2,
            true,
        ),
        pupil(
            "中职三年级·未脱贫",
            "周全",
            18,
            Some("H1"),
            Some(VOCATIONAL),
            Vocational,
            3,
            false,
        ),
        pupil(
            "小学走读·仅此一人",
            "吴一",
            19,
            Some("H5"),
            Some(PRIMARY),
            Primary,
            2,
            false,
        ),
        pupil(
            "学前·2018脱贫",
            "郑小小",
            20,
            Some("H3"),
            Some(KINDERGARTEN),
            Preschool,
            2,
            false,
        ),
        Pupil {
            bank: false,
            ..pupil(
                "小学寄宿·无银行账户",
                "冯五",
                21,
                Some("H6"),
                Some(PRIMARY),
                Primary,
                5,
                true,
            )
        },
        Pupil {
            out_of_county: true,
            ..pupil(
                "县外就读初中·未脱贫",
                "陈外",
                22,
                Some("H6"),
                None,
                Junior,
                3,
                false,
            )
        },
    ];
    v.sort_by_key(|p| p.seq);
    v
}

/// What the fixture created: person ids by label and the import batches.
pub struct Registry {
    pub persons: BTreeMap<&'static str, i64>,
    pub households: BTreeMap<&'static str, i64>,
    pub roster_batch: i64,
}

impl Registry {
    pub fn person(&self, label: &str) -> i64 {
        *self
            .persons
            .get(label)
            .unwrap_or_else(|| panic!("无此学生：{label}"))
    }

    pub fn label_of(&self, person_id: i64) -> &'static str {
        self.persons
            .iter()
            .find(|(_, id)| **id == person_id)
            .map(|(l, _)| *l)
            .unwrap_or("?")
    }
}

pub fn enrollment_of(p: &Pupil, person_id: i64) -> EnrollmentRecord {
    EnrollmentRecord {
        person_id,
        term: term(),
        school_code: p.school.map(school_code),
        grade: Grade::new(p.stage, p.grade).unwrap(),
        class_name: Some(format!("{}（1）班", p.grade)),
        boarding: p.boarding,
        status: EnrollmentStatus::Studying,
        out_of_county: p.out_of_county,
        out_of_county_place: p.out_of_county.then(|| "广东省东莞市".to_string()),
        student_no: Some(StudentNo::from_id(&id(p.seq))),
    }
}

async fn batch(store: &Store, kind: &str, file: &str, sheet: Option<&str>) -> i64 {
    let mut tx = store
        .begin_write(ctx(&format!("导入{kind}"), None))
        .await
        .unwrap();
    let b = tx
        .create_batch(&NewBatch {
            kind: kind.into(),
            file_name: file.into(),
            sheet: sheet.map(str::to_string),
            sha256: format!("{:064}", file.len()),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    b
}

/// Migrates and seeds the registry through the audited API.
pub async fn seed(store: &Store) -> Registry {
    store.migrate().await.expect("数据库结构升级");

    // Schools and the aid profiles the county office records by hand.
    let mut tx = store.begin_write(ctx("登记学校", None)).await.unwrap();
    for (code, name, region_code, stage, public) in [
        (
            PRIMARY,
            "宁远县舜陵完全小学",
            "431126100201",
            Stage::Primary,
            true,
        ),
        (
            JUNIOR,
            "宁远县舜陵中学",
            "431126100201",
            Stage::Junior,
            true,
        ),
        (
            HIGH,
            "宁远县第二中学",
            "431126200101",
            Stage::SeniorHigh,
            true,
        ),
        (
            VOCATIONAL,
            "宁远县职业中专",
            "431126200101",
            Stage::Vocational,
            true,
        ),
        (
            KINDERGARTEN,
            "宁远县童心幼儿园",
            "431126200101",
            Stage::Preschool,
            false,
        ),
    ] {
        tx.upsert_school(
            &SchoolRecord {
                code: school_code(code),
                name: name.into(),
                region_code: region(region_code),
                is_public: public,
                stages: vec![stage],
            },
            None,
        )
        .await
        .unwrap();
    }
    tx.set_school_aid_profile(
        &SchoolAidProfile {
            school_code: school_code(HIGH),
            ownership: SchoolOwnership::Public,
            fee_per_term: Some(Fen::from_yuan(800)),
            note: Some("宁价〔2018〕3号".into()),
        },
        None,
    )
    .await
    .unwrap();
    tx.set_school_aid_profile(
        &SchoolAidProfile {
            school_code: school_code(KINDERGARTEN),
            ownership: SchoolOwnership::InclusivePrivate,
            fee_per_term: None,
            note: None,
        },
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // The poverty office's list.
    let poverty_batch = batch(store, "建档立卡名单", "扶贫办建档立卡名单.xlsx", None).await;
    let mut tx = store
        .begin_write(ctx("导入扶贫办名单", Some(poverty_batch)))
        .await
        .unwrap();
    let mut households = BTreeMap::new();
    for (i, (no, status, lifted, dibao)) in HOUSEHOLDS.iter().enumerate() {
        let village = if i % 2 == 0 {
            "431126100201"
        } else {
            "431126200101"
        };
        let h = tx
            .upsert_household(
                &HouseholdRecord {
                    household_no: (*no).into(),
                    region_code: region(village),
                    head_id_number: None,
                    poverty_status: *status,
                    lifted_year: *lifted,
                    dibao: *dibao,
                    tekun: false,
                    cause: None,
                    income_per_capita: None,
                },
                Some(i as i64 + 2),
            )
            .await
            .unwrap();
        households.insert(*no, h.id);
    }
    tx.finish_batch(poverty_batch, BatchStatus::Done, &BatchCounts::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The schools' roster.
    let roster_batch = batch(store, "学生名单", "2018秋学生名单.xlsx", Some("学籍")).await;
    let mut tx = store
        .begin_write(ctx("导入学生名单", Some(roster_batch)))
        .await
        .unwrap();
    let mut persons = BTreeMap::new();
    for (row, p) in pupils().iter().enumerate() {
        let row = row as i64 + 2;
        let person = tx
            .upsert_person(
                &PersonRecord {
                    id_number: Some(id(p.seq)),
                    name: PersonName::parse(p.name).unwrap(),
                    sex: Some(Sex::Male),
                    birth_date: None,
                    ethnicity: Some("汉族".into()),
                    disability_category: None,
                    disability_level: None,
                    orphan: false,
                    left_behind: false,
                    martyr_child: false,
                    address: None,
                },
                Some(row),
            )
            .await
            .unwrap();
        if let Some(h) = p.household {
            tx.set_person_household(person.id, Some(households[h]), Some(row))
                .await
                .unwrap();
        }
        tx.upsert_enrollment(&enrollment_of(p, person.id), Some(row))
            .await
            .unwrap();
        if p.bank {
            tx.set_bank_account(
                &BankAccountRecord {
                    person_id: person.id,
                    kind: AccountKind::AidCard,
                    bank_name: "宁远县农村信用合作联社".into(),
                    account_no: card(u64::from(p.seq)),
                    holder_name: p.name.into(),
                    holder_relation: Some("本人".into()),
                    valid_from: Date::parse("2018-09-01").unwrap(),
                },
                Some(row),
            )
            .await
            .unwrap();
        }
        persons.insert(p.label, person.id);
    }
    tx.finish_batch(roster_batch, BatchStatus::Done, &BatchCounts::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Registry {
        persons,
        households,
        roster_batch,
    }
}

/// The ledger as `label code amount status`, sorted, revoked rows included.
pub async fn ledger(store: &Store, reg: &Registry) -> Vec<String> {
    let mut rows: Vec<String> = store
        .entitlements(&term(), &Scope::All, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let r = e.record;
            let status = match (&r.status, &r.cause_kind) {
                (EntitlementStatus::Blocked, Some(k)) => format!("受阻/{k}"),
                (s, _) => s.label().to_string(),
            };
            format!(
                "{} {} {} {status}",
                reg.label_of(r.person_id),
                r.policy_code,
                r.amount.fmt_yuan()
            )
        })
        .collect();
    rows.sort();
    rows
}

pub async fn audit_of(store: &Store, entity: &str) -> Vec<AuditEntry> {
    store
        .audit_log(
            &AuditFilter {
                entity: Some(entity.into()),
                ..AuditFilter::default()
            },
            100_000,
        )
        .await
        .unwrap()
}

pub async fn all_audit_count(store: &Store) -> usize {
    store
        .audit_log(&AuditFilter::default(), 1_000_000)
        .await
        .unwrap()
        .len()
}

/// Row counts of everything an entitlement run writes, and the audit log.
pub async fn footprint(store: &Store) -> (i64, usize, usize, usize) {
    let entitlements = store
        .count_entitlements(&term(), &Scope::All)
        .await
        .unwrap();
    let runs = store.entitlement_runs(&term(), 1000).await.unwrap().len();
    let facts = store
        .entitlement_facts(&term(), 0, 100_000)
        .await
        .unwrap()
        .len();
    (entitlements, runs, facts, all_audit_count(store).await)
}

// Tests.

/// The whole ledger of the fixture under the Hunan 2018 file, exactly.
const EXPECTED_LEDGER: &[&str] = &[
    "中职一年级·2017脱贫 VOC_GRANT 1000.00 可发放",
    "中职一年级·2017脱贫 VOC_TUITION_WAIVER 1200.00 可发放",
    "中职一年级·2017脱贫 YULU 1500.00 可发放",
    "中职三年级·未脱贫 VOC_TUITION_WAIVER 1200.00 可发放",
    "中职三年级·未脱贫 YULU 1500.00 可发放",
    "中职二年级·低保 VOC_GRANT 1000.00 可发放",
    "中职二年级·低保 VOC_TUITION_WAIVER 1200.00 可发放",
    "初中寄宿·2018脱贫 BOARDING_LIVING 625.00 可发放",
    "初中寄宿·2018脱贫 MATERIALS_FEE_WAIVER 60.00 可发放",
    // The stage gives the amount; the boarding the other county has not
    // reported decides whether it is owed.
    "县外就读初中·未脱贫 BOARDING_LIVING 625.00 受阻/县外就读信息缺失",
    "县外就读初中·未脱贫 MATERIALS_FEE_WAIVER 60.00 受阻/县外就读信息缺失",
    "学前·2018脱贫 PRESCHOOL 500.00 可发放",
    "小学寄宿·无银行账户 BOARDING_LIVING 500.00 受阻/无银行账户",
    "小学寄宿·无银行账户 MATERIALS_FEE_WAIVER 50.00 可发放",
    "小学寄宿·未脱贫 BOARDING_LIVING 500.00 可发放",
    "小学寄宿·未脱贫 MATERIALS_FEE_WAIVER 50.00 可发放",
    "小学走读·2017脱贫 MATERIALS_FEE_WAIVER 50.00 可发放",
    "小学走读·仅此一人 MATERIALS_FEE_WAIVER 50.00 可发放",
    "高中一年级·未脱贫 HIGH_SCHOOL_FEE_WAIVER 800.00 可发放",
    "高中一年级·未脱贫 HIGH_SCHOOL_GRANT 1500.00 可发放",
    "高中一年级·未脱贫 MATERIALS_FEE_WAIVER 80.00 可发放",
];

pub async fn first_run_stores_exact_entitlements(store: Store) {
    let reg = seed(&store).await;
    let report = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    assert_eq!(ledger(&store, &reg).await, EXPECTED_LEDGER);
    assert_eq!(report.students, 12);
    assert_eq!(report.entitlements, EXPECTED_LEDGER.len());
    assert!(report.previous.is_none());
    assert_eq!(report.changes.len(), EXPECTED_LEDGER.len());
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.reasons == [ChangeReason::FirstRun])
    );

    // Per-policy totals (人次, 元, 万元), payable only, exact.
    let per_policy: Vec<(String, u64, String, String)> = report
        .summary
        .rows
        .iter()
        .chain(std::iter::once(&report.summary.total))
        .map(|r| (r.key.clone(), r.person_times, r.yuan(), r.wan()))
        .collect();
    let expected: Vec<(String, u64, String, String)> = [
        ("PRESCHOOL", 1, "500.00", "0.05"),
        ("BOARDING_LIVING", 2, "1125.00", "0.1125"),
        ("HIGH_SCHOOL_GRANT", 1, "1500.00", "0.15"),
        ("HIGH_SCHOOL_FEE_WAIVER", 1, "800.00", "0.08"),
        ("VOC_TUITION_WAIVER", 3, "3600.00", "0.36"),
        ("VOC_GRANT", 2, "2000.00", "0.2"),
        ("YULU", 2, "3000.00", "0.3"),
        ("MATERIALS_FEE_WAIVER", 6, "340.00", "0.034"),
        ("合计", 18, "12865.00", "1.2865"),
    ]
    .into_iter()
    .map(|(k, n, y, w)| (k.to_string(), n, y.to_string(), w.to_string()))
    .collect();
    assert_eq!(per_policy, expected);

    // The run is recorded, and every row was written with one audit entry
    // carrying the reason.
    let runs = store.entitlement_runs(&term(), 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(Some(run.id), report.run_id);
    assert_eq!(run.actor, "县资助中心·王老师");
    assert_eq!(run.record.policy_file, "hunan-2018.toml");
    assert_eq!(run.record.policy_fingerprint, policy_fingerprint(&hunan()));
    assert_eq!(run.record.counts.students, 12);
    assert_eq!(run.record.counts.payable, 18);
    assert_eq!(run.record.counts.payable_amount, Fen::from_yuan(12_865));
    assert_eq!(run.record.counts.gaps, 3);
    assert_eq!(run.record.counts.added, 21);
    let audit = audit_of(&store, "entitlements").await;
    assert_eq!(audit.len(), EXPECTED_LEDGER.len());
    assert_eq!(report.written, EXPECTED_LEDGER.len());
    assert!(audit.iter().all(|a| {
        a.action == AuditAction::Insert
            && a.person_id.is_some()
            && a.after.as_ref().unwrap()["change_reason"]
                .as_str()
                .unwrap()
                .contains("本学期首次计算")
    }));
    assert_eq!(audit_of(&store, "entitlement_runs").await.len(), 1);
    // Every stored amount is split across funding levels to the fen.
    for e in store
        .entitlements(&term(), &Scope::All, 0, 1000)
        .await
        .unwrap()
    {
        let sum: i64 = e.record.funding.iter().map(|f| f.0).sum();
        assert_eq!(sum, e.record.amount.0, "{}", e.record.policy_code);
    }
    // The report reads in Chinese.
    let text = report.to_string();
    assert!(text.contains("2018秋 资助计算：已保存为第"), "{text}");
    assert!(
        text.contains("本学期首次计算：新增资助记录 21 条"),
        "{text}"
    );
    assert!(text.contains("无银行账户：1 人次，500.00 元"), "{text}");
}

pub async fn unchanged_recomputation_writes_no_entitlement_audit(store: Store) {
    let reg = seed(&store).await;
    entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let audit_before = audit_of(&store, "entitlements").await.len();
    let ledger_before = store
        .entitlements(&term(), &Scope::All, 0, 1000)
        .await
        .unwrap();

    let report = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(report.refreshed, 0);
    assert_eq!(report.written, 0);
    assert_eq!(report.previous.as_ref().map(|p| p.id), Some(1));
    assert_eq!(audit_of(&store, "entitlements").await.len(), audit_before);
    assert_eq!(
        store
            .entitlements(&term(), &Scope::All, 0, 1000)
            .await
            .unwrap(),
        ledger_before,
        "rows keep the run that last changed them"
    );
    // The run itself is recorded.
    let runs = store.entitlement_runs(&term(), 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0].record.counts.added + runs[0].record.counts.changed,
        0
    );
    assert_eq!(ledger(&store, &reg).await, EXPECTED_LEDGER);
    let text = report.to_string();
    assert!(text.contains("新增 0 条，变化 0 条，取消 0 条"), "{text}");
}

pub async fn new_boarder_is_reported_with_reason_and_audited(store: Store) {
    let reg = seed(&store).await;
    entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let audit_before = audit_of(&store, "entitlements").await.len();

    // The school corrects the roster: the day student now boards.
    let label = "小学走读·2017脱贫";
    let pid = reg.person(label);
    let p = pupils().into_iter().find(|p| p.label == label).unwrap();
    let mut tx = store.begin_write(ctx("更正寄宿信息", None)).await.unwrap();
    tx.upsert_enrollment(
        &EnrollmentRecord {
            boarding: true,
            ..enrollment_of(&p, pid)
        },
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let dry = entitle_term(&store, term(), &hunan(), &opts(true))
        .await
        .unwrap();
    let report = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    assert_eq!(dry.changes, report.changes, "a dry run reports the same");
    assert_eq!(report.changes.len(), 1, "{:#?}", report.changes);
    let c = &report.changes[0];
    assert_eq!(c.person_id, pid);
    assert_eq!(c.policy_code, "BOARDING_LIVING");
    assert_eq!(
        c.kind,
        ChangeKind::Added {
            amount: Fen::from_yuan(500),
            status: "可发放".into()
        }
    );
    assert_eq!(c.reasons.len(), 1, "{:?}", c.reasons);
    assert_eq!(c.reasons[0].to_string(), "寄宿 由 否 变为 是");
    assert_eq!(
        c.to_string(),
        format!(
            "李**（431126********{}，人员编号 {pid}）「义务教育家庭经济困难寄宿生生活补助」：新增 500.00 元（可发放）。原因：寄宿 由 否 变为 是",
            &id(12).as_str()[14..]
        )
    );
    assert_eq!(policy_code_in(&c.to_string()), None, "{c}");

    // Exactly that row is written, audited, with the reason; other rows
    // of the student whose trace now cites the corrected enrollment are
    // refreshed and audited too, but not reported as changes.
    let audit = audit_of(&store, "entitlements").await;
    let new_entries = &audit[..audit.len() - audit_before];
    let inserts: Vec<_> = new_entries
        .iter()
        .filter(|a| a.action == AuditAction::Insert)
        .collect();
    assert_eq!(inserts.len(), 1);
    let after = inserts[0].after.as_ref().unwrap();
    assert_eq!(after["policy_code"], serde_json::json!("BOARDING_LIVING"));
    assert_eq!(after["amount_fen"], serde_json::json!(50_000));
    assert_eq!(after["person_id"], serde_json::json!(pid));
    assert!(
        after["change_reason"]
            .as_str()
            .unwrap()
            .contains("原因：寄宿 由 否 变为 是")
    );
    assert_eq!(new_entries.len(), 1 + report.refreshed);
    assert!(new_entries.iter().all(|a| a.person_id == Some(pid)));
    let text = report.to_string();
    assert!(text.contains("新增 1 条，变化 0 条，取消 0 条"), "{text}");
    assert!(text.contains("原因：寄宿 由 否 变为 是"), "{text}");
}

pub async fn lifted_household_is_reported_with_reason(store: Store) {
    let reg = seed(&store).await;
    let strict = hunan_strict_lifting();
    entitle_term(&store, term(), &strict, &opts(false))
        .await
        .unwrap();
    let before = ledger(&store, &reg).await;
    // Under "only the year of lifting", the household lifted in 2017 no
    // longer counts in 2018 and the one lifted in 2018 still does.
    assert!(
        !before.iter().any(|l| l.starts_with("小学走读·2017脱贫")),
        "{before:#?}"
    );
    assert!(before.contains(&"初中寄宿·2018脱贫 BOARDING_LIVING 625.00 可发放".to_string()));
    assert!(before.contains(&"小学走读·仅此一人 MATERIALS_FEE_WAIVER 50.00 可发放".to_string()));

    // The poverty office reports H5 lifted out of poverty in 2017.
    let mut tx = store
        .begin_write(ctx("扶贫办脱贫户更新", None))
        .await
        .unwrap();
    let mut h = store
        .get_household_by_no("H5")
        .await
        .unwrap()
        .unwrap()
        .record;
    h.poverty_status = PovertyStatus::Lifted;
    h.lifted_year = Some(2017);
    tx.upsert_household(&h, None).await.unwrap();
    tx.commit().await.unwrap();
    let audit_before = audit_of(&store, "entitlements").await.len();

    let report = entitle_term(&store, term(), &strict, &opts(false))
        .await
        .unwrap();
    let pid = reg.person("小学走读·仅此一人");
    assert_eq!(report.changes.len(), 1, "{:#?}", report.changes);
    let c = &report.changes[0];
    assert_eq!(
        (c.person_id, c.policy_code.as_str()),
        (pid, "MATERIALS_FEE_WAIVER")
    );
    assert_eq!(
        c.kind,
        ChangeKind::Removed {
            amount: Fen::from_yuan(50),
            status: "可发放".into()
        }
    );
    let reasons: Vec<String> = c.reasons.iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons,
        [
            "建档立卡 由 是 变为 否",
            "未脱贫 由 是 变为 否",
            "已脱贫 由 否 变为 是",
            "脱贫年份 由 不适用 变为 2017"
        ]
    );

    // The row is kept as 已取消, audited with the reason.
    let rows = store.person_entitlements(pid, &term()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.status, EntitlementStatus::Revoked);
    assert_eq!(Some(rows[0].run_id), report.run_id);
    let audit = audit_of(&store, "entitlements").await;
    assert_eq!(audit.len(), audit_before + 1);
    let entry = &audit[0];
    assert_eq!(entry.action, AuditAction::Update);
    assert_eq!(
        entry.before.as_ref().unwrap()["status"],
        serde_json::json!("可发放")
    );
    assert_eq!(
        entry.after.as_ref().unwrap()["status"],
        serde_json::json!("已取消")
    );
    assert!(
        entry.after.as_ref().unwrap()["change_reason"]
            .as_str()
            .unwrap()
            .contains("建档立卡 由 是 变为 否")
    );
    assert!(
        !ledger(&store, &reg)
            .await
            .contains(&"小学走读·仅此一人 MATERIALS_FEE_WAIVER 50.00 可发放".to_string())
    );

    // A later run with the shipped file (脱贫不脱政策) restores it and
    // says that the policy file changed.
    let report = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let restored = report
        .changes
        .iter()
        .find(|c| c.person_id == pid)
        .expect("restored");
    assert!(matches!(restored.kind, ChangeKind::Added { .. }));
    assert!(
        restored
            .reasons
            .iter()
            .any(|r| matches!(r, ChangeReason::PolicyFileChanged { .. })),
        "{:?}",
        restored.reasons
    );
}

pub async fn dry_run_writes_nothing(store: Store) {
    let reg = seed(&store).await;
    let before = footprint(&store).await;
    let report = entitle_term(&store, term(), &hunan(), &opts(true))
        .await
        .unwrap();
    assert_eq!(footprint(&store).await, before);
    assert_eq!(before.0, 0);
    assert_eq!(report.run_id, None);
    assert_eq!(report.written, 0);
    assert_eq!(report.entitlements, EXPECTED_LEDGER.len());
    assert!(report.to_string().contains("试算，未保存"));

    // Also after a stored run, with a change pending.
    entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let mut tx = store.begin_write(ctx("更正", None)).await.unwrap();
    let pid = reg.person("初中走读·非贫困");
    let mut h = store.get_household_by_no("H1").await.unwrap().unwrap();
    h.record.dibao = true;
    tx.upsert_household(&h.record, None).await.unwrap();
    tx.set_person_household(pid, Some(reg.households["H5"]), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = footprint(&store).await;
    let report = entitle_term(&store, term(), &hunan(), &opts(true))
        .await
        .unwrap();
    assert!(!report.changes.is_empty());
    assert_eq!(footprint(&store).await, before);
    // A dry run needs no actor; a stored run does.
    let anonymous = EntitleOptions {
        dry_run: false,
        actor: " ".into(),
    };
    assert!(matches!(
        entitle_term(&store, term(), &hunan(), &anonymous).await,
        Err(AppError::MissingActor)
    ));
    assert_eq!(footprint(&store).await, before);
}

pub async fn explain_names_facts_sources_and_stored_status(store: Store) {
    let reg = seed(&store).await;
    let set = hunan();
    // Before any stored run.
    let text = explain_student(&store, term(), &set, id(11).as_str())
        .await
        .unwrap();
    assert!(text.contains("尚未保存资助计算结果"), "{text}");

    entitle_term(&store, term(), &set, &opts(false))
        .await
        .unwrap();
    let pid = reg.person("小学寄宿·未脱贫");
    let text = explain_student(&store, term(), &set, id(11).as_str())
        .await
        .unwrap();
    for needle in [
        format!(
            "张**（431126********{}，人员编号 {pid}）",
            &id(11).as_str()[14..]
        ),
        // The facts, with the file and row they came from.
        "寄宿 = 是（来源：2018秋学生名单.xlsx!学籍!第2行）".to_string(),
        "建档立卡 = 是（建档立卡未脱贫；".to_string(),
        "来源：扶贫办建档立卡名单.xlsx!第2行）".to_string(),
        "银行账户 = 有效（来源：2018秋学生名单.xlsx!学籍!第2行）".to_string(),
        // The school by its name from the directory, not its code.
        "，学校 宁远县舜陵完全小学（公办），乡镇 ".to_string(),
        // Every policy and why.
        "【可发放】2 项，合计 550.00 元".to_string(),
        // Policies by their Chinese names: the reader reads Chinese.
        "依据 「义务教育家庭经济困难寄宿生生活补助」（补，国家政策）：资格条件".to_string(),
        "学段年级不符".to_string(),
        // The stored status.
        "【已保存的计算结果】".to_string(),
        "  1. 「义务教育家庭经济困难寄宿生生活补助」500.00 元，可发放（第 1 次计算写入）"
            .to_string(),
    ] {
        assert!(text.contains(&needle), "missing {needle}\n{text}");
    }
    assert_eq!(policy_code_in(&text), None, "{text}");
    assert!(!text.contains(&format!("学校 {PRIMARY}")), "{text}");
    assert!(!text.contains(id(11).as_str()), "ID number must be masked");
    assert!(!text.contains("结果不同"), "{text}");

    // The same student by person id and by 全国学籍号.
    let by_id = explain_student(&store, term(), &set, &pid.to_string())
        .await
        .unwrap();
    assert_eq!(by_id, text);
    let by_no = explain_student(&store, term(), &set, &format!("G{}", id(11).as_str()))
        .await
        .unwrap();
    assert_eq!(by_no, text);

    // Unknown keys are a Chinese error; another school's officer cannot see
    // the student.
    let err = explain_student(&store, term(), &set, id(999).as_str())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("找不到学生"), "{err}");
    let err = explain_student_in(
        &store,
        term(),
        &set,
        id(11).as_str(),
        &Scope::School(HIGH.into()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::StudentNotFound { .. }));

    // The out-of-county student's missing facts are named.
    let text = explain_student(&store, term(), &set, id(22).as_str())
        .await
        .unwrap();
    assert!(
        text.contains("寄宿 = 未知（信息缺失，需就读地学校提供）"),
        "{text}"
    );
}

pub async fn coverage_lists_student_without_bank_account(store: Store) {
    let reg = seed(&store).await;
    let empty = coverage(&store, term(), &Scope::All).await.unwrap();
    assert!(empty.run.is_none());
    assert!(empty.to_string().contains("尚未保存资助计算结果"));

    entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let pid = reg.person("小学寄宿·无银行账户");
    let report = coverage(&store, term(), &Scope::All).await.unwrap();
    assert_eq!(report.count, 3);
    let gap = report
        .gaps
        .iter()
        .find(|g| g.person_id == pid)
        .expect("the student without an account is listed");
    assert_eq!(gap.policy_code, "BOARDING_LIVING");
    assert_eq!(gap.cause_kind, "无银行账户");
    assert_eq!(gap.causes, "无银行账户");
    assert_eq!(gap.amount, Fen::from_yuan(500));
    assert_eq!(gap.school_code.as_deref(), Some(PRIMARY));
    assert_eq!(gap.school_name.as_deref(), Some("宁远县舜陵完全小学"));
    let causes: Vec<(&str, i64)> = report
        .by_cause
        .iter()
        .map(|g| (g.name.as_str(), g.count))
        .collect();
    assert_eq!(causes, [("县外就读信息缺失", 2), ("无银行账户", 1)]);
    let text = report.to_string();
    assert!(text.contains("冯*"), "{text}");
    assert!(
        text.contains("）「义务教育家庭经济困难寄宿生生活补助」500.00 元：无银行账户"),
        "{text}"
    );
    assert_eq!(policy_code_in(&text), None, "{text}");

    // Scoped in SQL: the school and its township see the gap, another
    // school does not.
    let school = coverage(&store, term(), &Scope::School(PRIMARY.into()))
        .await
        .unwrap();
    assert_eq!(school.count, 1);
    assert_eq!(school.gaps[0].person_id, pid);
    let township = coverage(&store, term(), &Scope::Township(TOWNSHIP_A.into()))
        .await
        .unwrap();
    assert!(township.gaps.iter().any(|g| g.person_id == pid));
    let other = coverage(&store, term(), &Scope::School(HIGH.into()))
        .await
        .unwrap();
    assert_eq!(other.count, 0);
    assert!(other.gaps.is_empty());
    assert!(matches!(
        coverage(&store, term(), &Scope::Township("4311".into())).await,
        Err(AppError::Store(StoreError::BadScope { .. }))
    ));
}

pub async fn out_of_county_student_is_missing_info_until_reported(store: Store) {
    let reg = seed(&store).await;
    entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let label = "县外就读初中·未脱贫";
    let pid = reg.person(label);
    let rows = store.person_entitlements(pid, &term()).await.unwrap();
    let causes: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.record.policy_code.as_str(), r.record.cause.as_deref()))
        .collect();
    assert_eq!(
        causes,
        [
            (
                "BOARDING_LIVING",
                Some("信息缺失：寄宿、学籍确认（县外就读，需就读地学校提供）")
            ),
            (
                "MATERIALS_FEE_WAIVER",
                Some("信息缺失：学籍确认（县外就读，需就读地学校提供）")
            ),
        ]
    );
    assert!(rows.iter().all(|r| r.record.out_of_county && r.record.gap));

    // The school in the other county reports: enrolled there, boarding.
    let p = pupils().into_iter().find(|p| p.label == label).unwrap();
    let mut tx = store
        .begin_write(ctx("东莞市就读学校提供学籍证明", None))
        .await
        .unwrap();
    tx.upsert_enrollment(
        &EnrollmentRecord {
            school_code: Some(school_code(OTHER_COUNTY_JUNIOR)),
            boarding: true,
            ..enrollment_of(&p, pid)
        },
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let report = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let mine: Vec<String> = report
        .changes
        .iter()
        .filter(|c| c.person_id == pid)
        .map(|c| format!("{} {}", c.policy_code, c.describe()))
        .collect();
    assert_eq!(
        mine,
        [
            "BOARDING_LIVING 状态由「受阻：信息缺失：寄宿、学籍确认（县外就读，需就读地学校提供）」变为「可发放」。原因：寄宿 由 未知 变为 是；学籍确认 由 未知 变为 是；就读学校由 县外就读 变为 3143990001",
            "MATERIALS_FEE_WAIVER 状态由「受阻：信息缺失：学籍确认（县外就读，需就读地学校提供）」变为「可发放」。原因：学籍确认 由 未知 变为 是；就读学校由 县外就读 变为 3143990001",
        ]
    );
    assert!(
        ledger(&store, &reg)
            .await
            .contains(&format!("{label} BOARDING_LIVING 625.00 可发放"))
    );
}

pub async fn summary_adds_up_within_scope(store: Store) {
    seed(&store).await;
    let run = entitle_term(&store, term(), &hunan(), &opts(false))
        .await
        .unwrap();
    let by_policy = summary(&store, term(), &Scope::All, Dimension::Policy)
        .await
        .unwrap();
    assert_eq!(by_policy, run.summary, "the ledger says what the run said");

    let by_category = summary(&store, term(), &Scope::All, Dimension::Category)
        .await
        .unwrap();
    let cats: Vec<(&str, u64, String)> = by_category
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.person_times, r.yuan()))
        .collect();
    assert_eq!(
        cats,
        [
            ("补", 4, "4125.00".to_string()),
            ("助", 4, "4000.00".to_string()),
            ("免", 10, "4740.00".to_string()),
        ]
    );
    assert_eq!(by_category.total, run.summary.total);
    let by_term = summary(&store, term(), &Scope::All, Dimension::Term)
        .await
        .unwrap();
    assert_eq!(by_term.rows.len(), 1);
    assert_eq!(by_term.rows[0].key, "2018秋");
    assert_eq!(by_term.total, run.summary.total);

    // Townships: the out-of-county student's (blocked) rows never count;
    // the two townships add up to the county.
    let by_township = summary(&store, term(), &Scope::All, Dimension::Township)
        .await
        .unwrap();
    let keys: Vec<&str> = by_township.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, [TOWNSHIP_A, TOWNSHIP_B]);
    assert_eq!(by_township.total, run.summary.total);
    let a = summary(
        &store,
        term(),
        &Scope::Township(TOWNSHIP_A.into()),
        Dimension::School,
    )
    .await
    .unwrap();
    let b = summary(
        &store,
        term(),
        &Scope::Township(TOWNSHIP_B.into()),
        Dimension::School,
    )
    .await
    .unwrap();
    assert_eq!(
        a.total.amount.0 + b.total.amount.0,
        run.summary.total.amount.0
    );
    let schools: Vec<(&str, &str)> = a
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.label.as_str()))
        .collect();
    assert_eq!(
        schools,
        [(PRIMARY, "宁远县舜陵完全小学"), (JUNIOR, "宁远县舜陵中学")]
    );
    let one = summary(
        &store,
        term(),
        &Scope::School(HIGH.into()),
        Dimension::Policy,
    )
    .await
    .unwrap();
    assert_eq!(one.total.person_times, 3);
    assert_eq!(one.total.amount, Fen::from_yuan(2380));
}

/// Two runs of the same term at once: each either stores its result or,
/// when the other stored first, refuses with a Chinese error; the ledger is
/// the same either way and no run is stored over another unseen.
pub async fn concurrent_runs_never_store_over_each_other(store: Store) {
    let reg = seed(&store).await;
    let set = hunan();
    let o = opts(false);
    let (a, b) = tokio::join!(
        entitle_term(&store, term(), &set, &o),
        entitle_term(&store, term(), &set, &o),
    );
    let mut stored = 0;
    for r in [a, b] {
        match r {
            Ok(report) => {
                assert!(report.run_id.is_some());
                stored += 1;
            }
            Err(AppError::ConcurrentRun { term, run }) => {
                assert_eq!(term, "2018秋");
                assert!(run > 0);
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(stored >= 1);
    let runs = store.entitlement_runs(&term(), 10).await.unwrap();
    assert_eq!(runs.len(), stored);
    assert_eq!(ledger(&store, &reg).await, EXPECTED_LEDGER);
    // Each row was inserted once.
    assert_eq!(
        audit_of(&store, "entitlements").await.len(),
        EXPECTED_LEDGER.len()
    );
}
