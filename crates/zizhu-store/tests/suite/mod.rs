//! The storage suite, written once and run on both backends.
//!
//! Each test is an async function taking a fresh, unmigrated [`Store`].
//! `tests/sqlite.rs` runs every one on a new temporary SQLite file and
//! `tests/postgres.rs` on a new PostgreSQL schema, through the
//! [`storage_tests!`] macro, so the two lists can never drift apart.

#![allow(dead_code)]

use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, Phone, RegionCode, SchoolCode, Sex, Stage,
    Term,
};
use zizhu_store::*;

mod bulk;
mod compare;
pub use bulk::*;
pub use compare::*;

/// Generates one `#[tokio::test]` per suite function, each calling `$run`
/// with the test's name and body.
macro_rules! storage_tests {
    ($run:path) => {
        $crate::suite::storage_tests!(@each $run;
            migrate_twice_is_harmless,
            ping_and_backend,
            upsert_person_insert_update_unchanged_with_exact_audit,
            begin_write_rejects_empty_actor_or_reason,
            every_mutation_writes_one_audit_row_per_changed_record,
            dropped_transaction_writes_nothing,
            unresolved_persons_without_id_are_kept_apart,
            bank_account_history_closes_the_old_number,
            enrollment_is_unique_per_person_and_term,
            batch_rollback_restores_exact_previous_state,
            rollback_refuses_to_overwrite_a_later_change,
            scope_school_and_township_never_leak,
            chinese_and_injection_strings_round_trip,
            money_fen_round_trips_as_bigint,
            person_history_has_every_change_with_its_source,
            batches_and_import_rows_are_listed,
            users_are_audited_without_their_password_hash,
            sessions_expire_and_are_extended,
            login_attempts_are_counted_per_user_and_address,
            unmask_log_records_who_saw_whom,
            scoped_reads_hide_records_outside_the_jurisdiction,
            class_scope_sees_only_its_classes,
            student_search_and_filters,
            cached_counts_agree_with_the_list_and_follow_every_write,
            region_names_find_townships_by_either_code,
            bulk_writes_match_the_per_row_path,
            bulk_chunk_with_duplicates_is_applied_in_order,
            bulk_batch_rollback_restores_exact_previous_state,
            bulk_insert_entries_keep_their_after_state_through_later_changes,
            bulk_households_and_links_match_the_per_row_path,
            bulk_accounts_match_the_per_row_path,
            compare_ledger_is_audited_idempotent_and_scoped,
            school_aid_profiles_roll_back_with_their_batch,
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
pub(crate) use storage_tests;

// Fixtures.

pub fn ctx(batch_id: Option<i64>) -> AuditContext {
    AuditContext {
        actor: "县资助中心·李老师".into(),
        reason: "存储层测试".into(),
        batch_id,
    }
}

pub async fn setup(store: &Store) {
    store.migrate().await.expect("数据库结构升级");
}

/// A valid ID number born on 2010-03-05 in 宁远县 with the given sequence.
pub fn id(seq: u16) -> IdNumber {
    IdNumber::from_parts("431126", date("2010-03-05"), seq).expect("合法身份证号")
}

pub fn date(s: &str) -> Date {
    Date::parse(s).expect("合法日期")
}

pub fn term(s: &str) -> Term {
    Term::parse(s).expect("合法学期")
}

pub fn region(s: &str) -> RegionCode {
    RegionCode::parse(s).expect("合法区划代码")
}

/// 学校标识码 21 (小学) + 43 (湖南) + sequence.
pub fn school_code(seq: u32) -> SchoolCode {
    SchoolCode::parse(&format!("2143{seq:06}")).expect("合法学校标识码")
}

/// A 19-digit card number that passes the Luhn check.
pub fn card(n: u64) -> BankCard {
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

pub fn person(id_number: Option<IdNumber>, name: &str) -> PersonRecord {
    PersonRecord {
        id_number,
        name: PersonName::parse(name).expect("合法姓名"),
        sex: Some(Sex::Female),
        birth_date: Some(date("2010-03-05")),
        ethnicity: Some("汉族".into()),
        disability_category: None,
        disability_level: None,
        orphan: false,
        left_behind: true,
        martyr_child: false,
        address: Some("湖南省永州市宁远县舜陵街道".into()),
    }
}

pub fn enrollment(person_id: i64, term_code: &str, school: u32, grade: u8) -> EnrollmentRecord {
    EnrollmentRecord {
        person_id,
        term: term(term_code),
        school_code: Some(school_code(school)),
        grade: Grade::new(Stage::Primary, grade).expect("合法年级"),
        class_name: Some(format!("{grade}（1）班")),
        boarding: false,
        status: EnrollmentStatus::Studying,
        out_of_county: false,
        out_of_county_place: None,
        student_no: None,
    }
}

pub fn account(person_id: i64, kind: AccountKind, n: u64, from: &str) -> BankAccountRecord {
    BankAccountRecord {
        person_id,
        kind,
        bank_name: "宁远县农村信用合作联社".into(),
        account_no: card(n),
        holder_name: "王建国".into(),
        holder_relation: Some("父亲".into()),
        valid_from: date(from),
    }
}

pub fn household(no: &str) -> HouseholdRecord {
    HouseholdRecord {
        household_no: no.into(),
        region_code: region("431126100201"),
        head_id_number: Some(id(901)),
        poverty_status: PovertyStatus::NotLifted,
        lifted_year: None,
        dibao: true,
        tekun: false,
        cause: Some("因病".into()),
        income_per_capita: Some(Fen(312_000)),
    }
}

pub fn school(seq: u32, region_code: &str) -> SchoolRecord {
    SchoolRecord {
        code: school_code(seq),
        name: format!("宁远县第{seq}完全小学"),
        region_code: region(region_code),
        is_public: true,
        stages: vec![Stage::Primary],
    }
}

pub async fn all_audit(store: &Store) -> Vec<AuditEntry> {
    let mut entries = store
        .audit_log(&AuditFilter::default(), 100_000)
        .await
        .expect("读取审计日志");
    entries.reverse();
    entries
}

pub async fn audit_count(store: &Store) -> usize {
    all_audit(store).await.len()
}

/// Everything the registry holds about one person, for before/after
/// comparisons.
#[derive(Debug, PartialEq)]
pub struct PersonState {
    pub person: Option<Person>,
    pub enrollments: Vec<Enrollment>,
    pub accounts: Vec<BankAccount>,
    pub guardians: Vec<Guardian>,
}

pub async fn state_of(store: &Store, person_id: i64) -> PersonState {
    PersonState {
        person: store.get_person(person_id).await.expect("读取人员"),
        enrollments: store.person_enrollments(person_id).await.expect("读取学籍"),
        accounts: store
            .person_bank_accounts(person_id)
            .await
            .expect("读取账户"),
        guardians: store.person_guardians(person_id).await.expect("读取监护人"),
    }
}

// Tests.

pub async fn migrate_twice_is_harmless(store: Store) {
    assert_eq!(store.schema_version().await.unwrap(), 0);
    let applied = store.migrate().await.unwrap();
    assert!(applied >= 1, "a fresh database applies every migration");
    let version = store.schema_version().await.unwrap();
    assert_eq!(version, Store::latest_schema_version());
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "second run applies nothing"
    );
    assert_eq!(store.schema_version().await.unwrap(), version);

    // The migrated tables are usable after the second run.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_person(&person(Some(id(1)), "张三"), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.migrate().await.unwrap(), 0);
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 1);
}

pub async fn ping_and_backend(store: Store) {
    setup(&store).await;
    store.ping().await.unwrap();
    assert!(matches!(
        store.backend(),
        Backend::Sqlite | Backend::Postgres
    ));
}

pub async fn upsert_person_insert_update_unchanged_with_exact_audit(store: Store) {
    setup(&store).await;
    let record = person(Some(id(7)), "李小红");

    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let first = tx.upsert_person(&record, Some(12)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.outcome, Outcome::Inserted);

    let log = all_audit(&store).await;
    assert_eq!(log.len(), 1);
    let insert = &log[0];
    assert_eq!(insert.action, AuditAction::Insert);
    assert_eq!(insert.entity, "persons");
    assert_eq!(insert.entity_key, first.id.to_string());
    assert_eq!(insert.person_id, Some(first.id));
    assert_eq!(insert.actor, "县资助中心·李老师");
    assert_eq!(insert.reason, "存储层测试");
    assert_eq!(insert.batch_id, None);
    assert_eq!(insert.source_row, Some(12));
    assert!(
        insert.at.ends_with('Z') && insert.at.contains('T'),
        "{}",
        insert.at
    );
    assert_eq!(insert.before, None);
    let after = insert.after.as_ref().expect("after").as_object().unwrap();
    assert_eq!(after["id"], serde_json::json!(first.id));
    assert_eq!(after["id_number"], serde_json::json!(id(7).as_str()));
    assert_eq!(after["name"], serde_json::json!("李小红"));
    assert_eq!(after["sex"], serde_json::json!("女"));
    assert_eq!(after["birth_date"], serde_json::json!("2010-03-05"));
    // Booleans are JSON booleans on both backends, not SQLite's 0/1.
    assert_eq!(after["left_behind"], serde_json::json!(true));
    assert_eq!(after["orphan"], serde_json::json!(false));
    assert_eq!(after["household_id"], serde_json::Value::Null);

    // An update records exactly the old and new values.
    let mut changed = record.clone();
    changed.address = Some("宁远县天堂镇大屋村".into());
    changed.orphan = true;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let second = tx.upsert_person(&changed, Some(13)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        second,
        Upserted {
            id: first.id,
            outcome: Outcome::Updated
        }
    );
    let log = all_audit(&store).await;
    assert_eq!(log.len(), 2);
    let update = &log[1];
    assert_eq!(update.action, AuditAction::Update);
    assert_eq!(update.source_row, Some(13));
    let before = update.before.as_ref().unwrap();
    let after = update.after.as_ref().unwrap();
    assert_eq!(before, insert.after.as_ref().unwrap());
    assert_eq!(
        before["address"],
        serde_json::json!("湖南省永州市宁远县舜陵街道")
    );
    assert_eq!(after["address"], serde_json::json!("宁远县天堂镇大屋村"));
    assert_eq!(after["orphan"], serde_json::json!(true));
    let differing: Vec<_> = before
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| after[k.as_str()] != **v)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(differing, ["address", "orphan"]);

    // The same record again changes nothing and audits nothing.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let third = tx.upsert_person(&changed, Some(14)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(third.outcome, Outcome::Unchanged);
    assert_eq!(third.id, first.id);
    assert_eq!(audit_count(&store).await, 2);

    let stored = store
        .get_person_by_id_number(&id(7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.record, changed);
    assert_eq!(stored.id, first.id);
}

pub async fn begin_write_rejects_empty_actor_or_reason(store: Store) {
    setup(&store).await;
    for (actor, reason, missing) in [
        ("", "导入", "操作人"),
        ("  ", "导入", "操作人"),
        ("李老师", "", "修改原因"),
        ("李老师", " \t", "修改原因"),
    ] {
        let err = store
            .begin_write(AuditContext {
                actor: actor.into(),
                reason: reason.into(),
                batch_id: None,
            })
            .await
            .expect_err("an unaudited write must be refused");
        assert!(
            matches!(err, StoreError::MissingAudit { missing: m } if m == missing),
            "{err:?}"
        );
        assert!(err.to_string().contains(missing), "{err}");
        assert!(err.to_string().contains("审计"), "{err}");
    }
    assert_eq!(audit_count(&store).await, 0);
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 0);
}

pub async fn every_mutation_writes_one_audit_row_per_changed_record(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut expected = 0;
    let mut seen = 0;
    macro_rules! check {
        ($label:literal, $delta:expr, $call:expr) => {{
            let result = $call.await.unwrap();
            expected += $delta;
            tx.commit().await.unwrap();
            let now = audit_count(&store).await;
            assert_eq!(now - seen, $delta, "{}: audit rows written", $label);
            seen = now;
            tx = store.begin_write(ctx(None)).await.unwrap();
            result
        }};
    }

    let r = RegionRecord {
        code: region("431126100"),
        name: "天堂镇".into(),
        parent_code: Some(region("431126")),
    };
    assert_eq!(
        check!("region", 1, tx.upsert_region(&r, None)),
        Outcome::Inserted
    );
    assert_eq!(
        check!("region again", 0, tx.upsert_region(&r, None)),
        Outcome::Unchanged
    );

    let s = school(1, "431126100201");
    assert_eq!(
        check!("school", 1, tx.upsert_school(&s, None)),
        Outcome::Inserted
    );
    assert_eq!(
        check!("school again", 0, tx.upsert_school(&s, None)),
        Outcome::Unchanged
    );

    let h = check!(
        "household",
        1,
        tx.upsert_household(&household("4311261002010001"), None)
    );
    assert_eq!(h.outcome, Outcome::Inserted);
    let h2 = check!(
        "household again",
        0,
        tx.upsert_household(&household("4311261002010001"), None)
    );
    assert_eq!(
        h2,
        Upserted {
            id: h.id,
            outcome: Outcome::Unchanged
        }
    );

    let p = check!(
        "person",
        1,
        tx.upsert_person(&person(Some(id(1)), "王小明"), None)
    );
    check!(
        "person again",
        0,
        tx.upsert_person(&person(Some(id(1)), "王小明"), None)
    );
    check!(
        "unresolved person",
        1,
        tx.upsert_person(&person(None, "王小明"), None)
    );

    assert_eq!(
        check!(
            "household link",
            1,
            tx.set_person_household(p.id, Some(h.id), None)
        ),
        Outcome::Updated
    );
    assert_eq!(
        check!(
            "household link again",
            0,
            tx.set_person_household(p.id, Some(h.id), None)
        ),
        Outcome::Unchanged
    );

    let g = GuardianRecord {
        person_id: p.id,
        name: PersonName::parse("王建国").unwrap(),
        relation: "父亲".into(),
        id_number: Some(id(902)),
        phone: Some(Phone::parse("13812345678").unwrap()),
    };
    check!("guardian", 1, tx.add_guardian(&g, None));
    let again = check!("guardian again", 0, tx.add_guardian(&g, None));
    assert_eq!(again.outcome, Outcome::Unchanged);

    check!(
        "enrollment",
        1,
        tx.upsert_enrollment(&enrollment(p.id, "2018秋", 1, 3), None)
    );
    check!(
        "enrollment again",
        0,
        tx.upsert_enrollment(&enrollment(p.id, "2018秋", 1, 3), None)
    );

    let a = account(p.id, AccountKind::AidCard, 1, "2018-09-01");
    check!("account", 1, tx.set_bank_account(&a, None));
    check!("account again", 0, tx.set_bank_account(&a, None));
    let b = account(p.id, AccountKind::AidCard, 2, "2019-03-01");
    // Two records change: the old account is closed, the new one opened.
    check!("new account number", 2, tx.set_bank_account(&b, None));

    let batch = check!(
        "create batch",
        1,
        tx.create_batch(&NewBatch {
            kind: "学生名单".into(),
            file_name: "2018秋学生.xlsx".into(),
            sheet: Some("Sheet1".into()),
            sha256: "ab".repeat(32),
        })
    );
    // Import rows are provenance, append-only like the audit log itself,
    // and deliberately not audited again.
    check!(
        "import row",
        0,
        tx.record_import_row(
            batch,
            &ImportRowRecord {
                row_no: 2,
                sheet: Some("Sheet1".into()),
                entity: "persons".into(),
                entity_id: Some(p.id),
                outcome: RowOutcome::Accepted,
                reason: None,
            }
        )
    );
    check!(
        "finish batch",
        1,
        tx.finish_batch(batch, BatchStatus::Done, &BatchCounts::default())
    );
    tx.rollback().await.unwrap();
    assert_eq!(seen, expected);
    assert_eq!(audit_count(&store).await, expected);

    // Every registry entry names a real row and a reason.
    for e in all_audit(&store).await {
        assert_eq!(e.reason, "存储层测试");
        assert!(e.before.is_some() || e.after.is_some());
    }
}

pub async fn dropped_transaction_writes_nothing(store: Store) {
    setup(&store).await;
    {
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        tx.upsert_person(&person(Some(id(3)), "赵四"), None)
            .await
            .unwrap();
        // Dropped without commit.
    }
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_person(&person(Some(id(4)), "钱五"), None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 0);
    assert_eq!(audit_count(&store).await, 0);
}

pub async fn unresolved_persons_without_id_are_kept_apart(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let a = tx
        .upsert_person(&person(None, "刘洋"), Some(2))
        .await
        .unwrap();
    let b = tx
        .upsert_person(&person(None, "刘洋"), Some(3))
        .await
        .unwrap();
    let c = tx
        .upsert_person(&person(Some(id(5)), "刘洋"), Some(4))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(a.outcome, Outcome::Inserted);
    assert_eq!(b.outcome, Outcome::Inserted);
    assert_ne!(a.id, b.id);
    assert_ne!(a.id, c.id);
    let pa = store.get_person(a.id).await.unwrap().unwrap();
    assert_eq!(pa.record.id_number, None);
    assert_eq!(pa.record.name.original(), "刘洋");
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 3);
    assert_eq!(audit_count(&store).await, 3);
}

pub async fn bank_account_history_closes_the_old_number(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let p = tx
        .upsert_person(&person(Some(id(11)), "孙悦"), None)
        .await
        .unwrap();
    let first = tx
        .set_bank_account(
            &account(p.id, AccountKind::AidCard, 100, "2018-09-01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Inserted);
    // Same number, later date (a re-import): nothing changes, valid_from stays.
    let same = tx
        .set_bank_account(
            &account(p.id, AccountKind::AidCard, 100, "2018-10-15"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        same,
        Upserted {
            id: first.id,
            outcome: Outcome::Unchanged
        }
    );
    // Same number, corrected bank name: updated in place.
    let mut renamed = account(p.id, AccountKind::AidCard, 100, "2018-10-15");
    renamed.bank_name = "湖南宁远农村商业银行".into();
    let updated = tx.set_bank_account(&renamed, None).await.unwrap();
    assert_eq!(
        updated,
        Upserted {
            id: first.id,
            outcome: Outcome::Updated
        }
    );
    // A 明白折 does not touch the 资助卡.
    let passbook = tx
        .set_bank_account(
            &account(p.id, AccountKind::Passbook, 300, "2018-11-01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(passbook.outcome, Outcome::Inserted);
    // A new number closes the old one on the new one's start date.
    let second = tx
        .set_bank_account(
            &account(p.id, AccountKind::AidCard, 200, "2019-03-01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(second.outcome, Outcome::Inserted);
    assert_ne!(second.id, first.id);
    tx.commit().await.unwrap();

    let accounts = store.person_bank_accounts(p.id).await.unwrap();
    assert_eq!(accounts.len(), 3);
    let old = accounts.iter().find(|a| a.id == first.id).unwrap();
    assert_eq!(old.status, AccountStatus::Closed);
    assert_eq!(old.valid_to, Some(date("2019-03-01")));
    assert_eq!(old.record.account_no, card(100));
    assert_eq!(old.record.valid_from, date("2018-09-01"));
    assert_eq!(old.record.bank_name, "湖南宁远农村商业银行");
    let new = accounts.iter().find(|a| a.id == second.id).unwrap();
    assert_eq!(new.status, AccountStatus::Active);
    assert_eq!(new.valid_to, None);
    assert_eq!(new.record.account_no, card(200));
    let pb = accounts.iter().find(|a| a.id == passbook.id).unwrap();
    assert_eq!(pb.status, AccountStatus::Active);
    assert_eq!(pb.record.kind, AccountKind::Passbook);

    let closing = store
        .audit_log(
            &AuditFilter {
                entity: Some("bank_accounts".into()),
                entity_key: Some(first.id.to_string()),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(closing.len(), 3, "insert, rename, close");
    let close = &closing[0];
    assert_eq!(close.before.as_ref().unwrap()["status"], "有效");
    assert_eq!(close.after.as_ref().unwrap()["status"], "失效");
    assert_eq!(close.after.as_ref().unwrap()["valid_to"], "2019-03-01");
}

pub async fn enrollment_is_unique_per_person_and_term(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let p = tx
        .upsert_person(&person(Some(id(21)), "周杰"), None)
        .await
        .unwrap();
    let autumn = tx
        .upsert_enrollment(&enrollment(p.id, "2018秋", 1, 3), None)
        .await
        .unwrap();
    let mut moved = enrollment(p.id, "2018秋", 2, 3);
    moved.boarding = true;
    let again = tx.upsert_enrollment(&moved, None).await.unwrap();
    let spring = tx
        .upsert_enrollment(&enrollment(p.id, "2019春", 2, 3), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(autumn.outcome, Outcome::Inserted);
    assert_eq!(
        again,
        Upserted {
            id: autumn.id,
            outcome: Outcome::Updated
        }
    );
    assert_eq!(spring.outcome, Outcome::Inserted);
    assert_ne!(spring.id, autumn.id);

    let list = store.person_enrollments(p.id).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].record, moved);
    assert_eq!(list[0].record.term.code(), "2018秋");
    assert_eq!(
        store
            .count_enrollments(&term("2018秋"), &Scope::All)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_enrollments(&term("2019春"), &Scope::All)
            .await
            .unwrap(),
        1
    );

    // An enrollment for a person who does not exist is refused in Chinese.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let err = tx
        .upsert_enrollment(&enrollment(p.id + 1000, "2018秋", 1, 3), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("人员不存在"), "{err}");
}

/// Builds a registry, imports a batch that inserts, updates and links rows,
/// and returns (batch id, pre-existing person, person the batch created).
async fn import_a_batch(store: &Store) -> (i64, i64, i64) {
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let old = tx
        .upsert_person(&person(Some(id(31)), "吴芳"), None)
        .await
        .unwrap();
    tx.upsert_enrollment(&enrollment(old.id, "2018秋", 1, 4), None)
        .await
        .unwrap();
    tx.set_bank_account(
        &account(old.id, AccountKind::AidCard, 31, "2018-09-01"),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let batch = tx
        .create_batch(&NewBatch {
            kind: "学生名单".into(),
            file_name: "宁远县2019春学生.xlsx".into(),
            sheet: None,
            sha256: "cd".repeat(32),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_write(ctx(Some(batch))).await.unwrap();
    let mut changed = person(Some(id(31)), "吴芳");
    changed.address = Some("宁远县清水桥镇".into());
    tx.upsert_person(&changed, Some(2)).await.unwrap();
    tx.upsert_enrollment(&enrollment(old.id, "2018秋", 1, 5), Some(2))
        .await
        .unwrap();
    tx.set_bank_account(
        &account(old.id, AccountKind::AidCard, 32, "2019-03-01"),
        Some(2),
    )
    .await
    .unwrap();
    let h = tx
        .upsert_household(&household("4311261002010099"), Some(2))
        .await
        .unwrap();
    tx.set_person_household(old.id, Some(h.id), Some(2))
        .await
        .unwrap();
    let new = tx
        .upsert_person(&person(Some(id(32)), "郑好"), Some(3))
        .await
        .unwrap();
    tx.upsert_enrollment(&enrollment(new.id, "2019春", 1, 1), Some(3))
        .await
        .unwrap();
    tx.add_guardian(
        &GuardianRecord {
            person_id: new.id,
            name: PersonName::parse("郑大山").unwrap(),
            relation: "父亲".into(),
            id_number: None,
            phone: None,
        },
        Some(3),
    )
    .await
    .unwrap();
    tx.set_bank_account(
        &account(new.id, AccountKind::OneCard, 33, "2019-03-01"),
        Some(3),
    )
    .await
    .unwrap();
    tx.record_import_row(
        batch,
        &ImportRowRecord {
            row_no: 2,
            sheet: None,
            entity: "persons".into(),
            entity_id: Some(old.id),
            outcome: RowOutcome::Accepted,
            reason: None,
        },
    )
    .await
    .unwrap();
    tx.finish_batch(
        batch,
        BatchStatus::Done,
        &BatchCounts {
            rows_read: 2,
            rows_accepted: 2,
            rows_rejected: 0,
            rows_unchanged: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (batch, old.id, new.id)
}

pub async fn batch_rollback_restores_exact_previous_state(store: Store) {
    setup(&store).await;
    // The state before the batch is what import_a_batch's first
    // transaction wrote; the assertions below spell it out.
    let (batch, old, new) = import_a_batch(&store).await;
    let after_batch = state_of(&store, old).await;
    assert_eq!(after_batch.accounts.len(), 2);
    assert!(after_batch.person.as_ref().unwrap().household_id.is_some());
    let batch_entries = store
        .audit_log(
            &AuditFilter {
                batch_id: Some(batch),
                ..AuditFilter::default()
            },
            1000,
        )
        .await
        .unwrap();
    let registry_changes = batch_entries
        .iter()
        .filter(|e| e.entity != "import_batches")
        .count();

    let before_rollback_count = audit_count(&store).await;
    let mut tx = store
        .begin_write(AuditContext {
            actor: "县资助中心·李老师".into(),
            reason: "文件有误，撤销导入".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let summary = tx.rollback_batch(batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(summary.reverted, registry_changes);

    // The pre-existing person is exactly as before the batch.
    let restored = state_of(&store, old).await;
    let p = restored.person.as_ref().unwrap();
    assert_eq!(p.record, person(Some(id(31)), "吴芳"));
    assert_eq!(p.household_id, None);
    assert_eq!(restored.enrollments.len(), 1);
    assert_eq!(
        restored.enrollments[0].record,
        enrollment(old, "2018秋", 1, 4)
    );
    assert_eq!(restored.accounts.len(), 1);
    assert_eq!(restored.accounts[0].status, AccountStatus::Active);
    assert_eq!(restored.accounts[0].valid_to, None);
    assert_eq!(restored.accounts[0].record.account_no, card(31));
    // Same row ids as before: nothing was deleted and re-created.
    assert_eq!(restored.enrollments[0].id, after_batch.enrollments[0].id);

    // What the batch created is gone.
    assert_eq!(
        state_of(&store, new).await,
        PersonState {
            person: None,
            enrollments: vec![],
            accounts: vec![],
            guardians: vec![]
        }
    );
    assert!(
        store
            .get_household_by_no("4311261002010099")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 1);

    // The rollback is itself audited, one entry per reverted change, plus
    // the batch's status change.
    let log = all_audit(&store).await;
    let added = &log[before_rollback_count..];
    assert_eq!(added.len(), registry_changes + 1);
    assert!(
        added[..registry_changes]
            .iter()
            .all(|e| e.action == AuditAction::Rollback
                && e.batch_id == Some(batch)
                && e.reason == "文件有误，撤销导入")
    );
    // The first reverted change is the batch's last one (newest first).
    assert_eq!(added[0].entity, "bank_accounts");
    assert_eq!(added[0].after, None);
    let batch_row = store.get_batch(batch).await.unwrap().unwrap();
    assert_eq!(batch_row.status, BatchStatus::RolledBack);

    // Rolling back twice is refused.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let err = tx.rollback_batch(batch).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyRolledBack { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("已经回滚"), "{err}");
}

pub async fn rollback_refuses_to_overwrite_a_later_change(store: Store) {
    setup(&store).await;
    let (batch, old, _) = import_a_batch(&store).await;
    // A later, hand-made correction of a row the batch touched.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut corrected = person(Some(id(31)), "吴芳");
    corrected.address = Some("宁远县湾井镇".into());
    tx.upsert_person(&corrected, None).await.unwrap();
    tx.commit().await.unwrap();
    let before = state_of(&store, old).await;
    let count = audit_count(&store).await;

    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let err = tx.rollback_batch(batch).await.unwrap_err();
    drop(tx);
    assert!(
        matches!(err, StoreError::RollbackConflict { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("之后又被修改"), "{err}");
    assert_eq!(state_of(&store, old).await, before);
    assert_eq!(audit_count(&store).await, count);
    assert_eq!(
        store.get_batch(batch).await.unwrap().unwrap().status,
        BatchStatus::Done
    );
}

pub async fn scope_school_and_township_never_leak(store: Store) {
    setup(&store).await;
    // Two schools in 天堂镇 (431126100), one in 清水桥镇 (431126101).
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_school(&school(1, "431126100201"), None)
        .await
        .unwrap();
    tx.upsert_school(&school(2, "431126100202"), None)
        .await
        .unwrap();
    tx.upsert_school(&school(3, "431126101201"), None)
        .await
        .unwrap();
    let mut seq = 100;
    for (school_no, students) in [(1, 3), (2, 2), (3, 4)] {
        for _ in 0..students {
            seq += 1;
            let p = tx
                .upsert_person(&person(Some(id(seq)), "学生"), None)
                .await
                .unwrap();
            tx.upsert_enrollment(&enrollment(p.id, "2018秋", school_no, 2), None)
                .await
                .unwrap();
        }
    }
    // A junior-stage student in school 3 and one enrollment in another term.
    seq += 1;
    let p = tx
        .upsert_person(&person(Some(id(seq)), "初中生"), None)
        .await
        .unwrap();
    let mut junior = enrollment(p.id, "2018秋", 3, 1);
    junior.grade = Grade::new(Stage::Junior, 1).unwrap();
    tx.upsert_enrollment(&junior, None).await.unwrap();
    tx.upsert_enrollment(&enrollment(p.id, "2019春", 1, 1), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let t = term("2018秋");
    let all = StudentFilter::default();
    let school1 = Scope::School(school_code(1).as_str().to_string());
    let rows = store
        .list_students(&t, &school1, &all, 100, 0)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.enrollment.record.school_code == Some(school_code(1)))
    );
    assert!(
        rows.iter()
            .all(|r| r.school_name.as_deref() == Some("宁远县第1完全小学"))
    );
    // Even a filter naming another school cannot widen a school scope.
    let other = StudentFilter {
        school_code: Some(school_code(3)),
        ..StudentFilter::default()
    };
    assert!(
        store
            .list_students(&t, &school1, &other, 100, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_enrollments(&t, &school1).await.unwrap(), 3);
    assert_eq!(store.count_persons(&school1).await.unwrap(), 4);

    let tiantang = Scope::Township("431126100".into());
    let rows = store
        .list_students(&t, &tiantang, &all, 100, 0)
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r.township_code.as_deref() == Some("431126100"))
    );
    assert!(
        rows.iter()
            .all(|r| r.enrollment.record.school_code != Some(school_code(3)))
    );
    let other_town = StudentFilter {
        township_code: Some("431126101".into()),
        ..StudentFilter::default()
    };
    assert!(
        store
            .list_students(&t, &tiantang, &other_town, 100, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_enrollments(&t, &tiantang).await.unwrap(), 5);

    let qingshui = Scope::Township("431126101".into());
    assert_eq!(store.count_enrollments(&t, &qingshui).await.unwrap(), 5);
    assert_eq!(
        store.counts_by_stage(&t, &qingshui).await.unwrap(),
        vec![(Stage::Primary, 4), (Stage::Junior, 1)]
    );
    assert_eq!(
        store.counts_by_stage(&t, &Scope::All).await.unwrap(),
        vec![(Stage::Primary, 9), (Stage::Junior, 1)]
    );
    assert_eq!(
        store.counts_by_stage(&t, &tiantang).await.unwrap(),
        vec![(Stage::Primary, 5)]
    );
    let juniors = StudentFilter {
        stage: Some(Stage::Junior),
        ..StudentFilter::default()
    };
    let rows = store
        .list_students(&t, &Scope::All, &juniors, 100, 0)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].person.record.name.original(), "初中生");

    // Paging walks the whole county list once, in a stable order.
    let mut paged = Vec::new();
    for page in 0..4 {
        paged.extend(
            store
                .list_students(&t, &Scope::All, &all, 3, page * 3)
                .await
                .unwrap(),
        );
    }
    assert_eq!(paged.len(), 10);
    let ids: std::collections::BTreeSet<_> = paged.iter().map(|r| r.enrollment.id).collect();
    assert_eq!(ids.len(), 10);
    assert_eq!(store.count_enrollments(&t, &Scope::All).await.unwrap(), 10);

    assert_eq!(store.count_schools(&Scope::All).await.unwrap(), 3);
    assert_eq!(store.count_schools(&tiantang).await.unwrap(), 2);
    assert_eq!(store.count_schools(&school1).await.unwrap(), 1);

    // Households: a township counts residents' households, a school its
    // students' households.
    let first = store.list_students(&t, &school1, &all, 1, 0).await.unwrap()[0]
        .person
        .id;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let home = tx
        .upsert_household(&household("4311261002010001"), None)
        .await
        .unwrap();
    let mut elsewhere = household("4311261012010001");
    elsewhere.region_code = region("431126101201");
    tx.upsert_household(&elsewhere, None).await.unwrap();
    tx.set_person_household(first, Some(home.id), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.count_households(&Scope::All).await.unwrap(), 2);
    assert_eq!(store.count_households(&tiantang).await.unwrap(), 1);
    assert_eq!(store.count_households(&school1).await.unwrap(), 1);
    assert_eq!(
        store
            .count_households(&Scope::School(school_code(2).as_str().into()))
            .await
            .unwrap(),
        0
    );

    // Malformed scopes are errors, not silently empty or silently whole.
    for bad in [
        Scope::School("21430000".into()),
        Scope::Township("4311261000".into()),
        Scope::School("' OR '1'='1".into()),
    ] {
        let err = store.count_enrollments(&t, &bad).await.unwrap_err();
        assert!(matches!(err, StoreError::BadScope { .. }), "{err:?}");
        assert!(err.to_string().contains("数据范围无效"), "{err}");
    }
}

pub async fn chinese_and_injection_strings_round_trip(store: Store) {
    setup(&store).await;
    let nasty = [
        "'; DROP TABLE persons; --",
        "<script>alert('资助')</script>",
        "\" OR 1=1 --",
        "宁遠縣 舜陵街道 𠀀 😀 \\ % _",
    ];
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut ids = Vec::new();
    for (i, text) in nasty.iter().enumerate() {
        let mut p = person(Some(id(200 + i as u16)), "欧阳娜娜");
        p.address = Some((*text).into());
        p.ethnicity = Some(format!("{text}族"));
        p.disability_category = Some((*text).into());
        ids.push(tx.upsert_person(&p, None).await.unwrap().id);
        let mut e = enrollment(ids[i], "2018秋", 1, 2);
        e.class_name = Some((*text).into());
        e.out_of_county_place = Some((*text).into());
        tx.upsert_enrollment(&e, None).await.unwrap();
    }
    let mut h = household(nasty[0]);
    h.cause = Some(nasty[1].into());
    let hid = tx.upsert_household(&h, None).await.unwrap().id;
    let mut s = school(9, "431126100201");
    s.name = nasty[0].into();
    tx.upsert_school(&s, None).await.unwrap();
    tx.commit().await.unwrap();

    for (i, text) in nasty.iter().enumerate() {
        let p = store.get_person(ids[i]).await.unwrap().unwrap();
        assert_eq!(p.record.address.as_deref(), Some(*text));
        assert_eq!(p.record.ethnicity, Some(format!("{text}族")));
        assert_eq!(p.record.name.original(), "欧阳娜娜");
        let e = &store.person_enrollments(ids[i]).await.unwrap()[0];
        assert_eq!(e.record.class_name.as_deref(), Some(*text));
        // The audit log's JSON carries the text unchanged too.
        let history = store.person_history(ids[i]).await.unwrap();
        assert_eq!(history[0].after.as_ref().unwrap()["address"], *text);
    }
    let stored = store.get_household(hid).await.unwrap().unwrap();
    assert_eq!(stored.record, h);
    assert_eq!(
        store
            .get_household_by_no(nasty[0])
            .await
            .unwrap()
            .unwrap()
            .id,
        hid
    );
    assert_eq!(
        store
            .get_school(&school_code(9))
            .await
            .unwrap()
            .unwrap()
            .record
            .name,
        nasty[0]
    );
    // The tables are all still there.
    assert_eq!(
        store.count_persons(&Scope::All).await.unwrap(),
        nasty.len() as i64
    );
    assert_eq!(
        store
            .count_enrollments(&term("2018秋"), &Scope::All)
            .await
            .unwrap(),
        nasty.len() as i64
    );
    // Traditional and simplified spellings are different stored text.
    assert!(store.get_household_by_no("宁远").await.unwrap().is_none());
}

pub async fn money_fen_round_trips_as_bigint(store: Store) {
    setup(&store).await;
    let big = Fen(i64::MAX / 2);
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut h = household("H-BIG");
    h.income_per_capita = Some(big);
    let a = tx.upsert_household(&h, None).await.unwrap();
    let mut neg = household("H-NEG");
    neg.income_per_capita = Some(Fen(-1));
    let b = tx.upsert_household(&neg, None).await.unwrap();
    let mut none = household("H-NONE");
    none.income_per_capita = None;
    let c = tx.upsert_household(&none, None).await.unwrap();
    tx.commit().await.unwrap();
    let got = store.get_household(a.id).await.unwrap().unwrap();
    assert_eq!(got.record.income_per_capita, Some(big));
    assert_eq!(
        got.record.income_per_capita.unwrap().0,
        4_611_686_018_427_387_903
    );
    assert_eq!(
        store
            .get_household(b.id)
            .await
            .unwrap()
            .unwrap()
            .record
            .income_per_capita,
        Some(Fen(-1))
    );
    assert_eq!(
        store
            .get_household(c.id)
            .await
            .unwrap()
            .unwrap()
            .record
            .income_per_capita,
        None
    );
    // The audit JSON holds the exact integer, not a rounded float.
    let log = store
        .audit_log(
            &AuditFilter {
                entity: Some("households".into()),
                entity_key: Some(a.id.to_string()),
                ..AuditFilter::default()
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        log[0].after.as_ref().unwrap()["income_per_capita_fen"].as_i64(),
        Some(i64::MAX / 2)
    );
}

pub async fn person_history_has_every_change_with_its_source(store: Store) {
    setup(&store).await;
    let (batch, old, _) = import_a_batch(&store).await;
    let history = store.person_history(old).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|e| (e.entity.as_str(), e.action, e.batch_id, e.source_row))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("persons", AuditAction::Insert, None, None),
            ("enrollments", AuditAction::Insert, None, None),
            ("bank_accounts", AuditAction::Insert, None, None),
            ("persons", AuditAction::Update, Some(batch), Some(2)),
            ("enrollments", AuditAction::Update, Some(batch), Some(2)),
            ("bank_accounts", AuditAction::Update, Some(batch), Some(2)),
            ("bank_accounts", AuditAction::Insert, Some(batch), Some(2)),
            ("persons", AuditAction::Update, Some(batch), Some(2)),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].id < w[1].id));
    assert!(history.iter().all(|e| e.person_id == Some(old)));
}

pub async fn batches_and_import_rows_are_listed(store: Store) {
    setup(&store).await;
    let (batch, old, _) = import_a_batch(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let second = tx
        .create_batch(&NewBatch {
            kind: "残疾人名单".into(),
            file_name: "残联.csv".into(),
            sheet: None,
            sha256: "ef".repeat(32),
        })
        .await
        .unwrap();
    tx.record_import_row(
        second,
        &ImportRowRecord {
            row_no: 7,
            sheet: None,
            entity: "persons".into(),
            entity_id: None,
            outcome: RowOutcome::Rejected,
            reason: Some("身份证号校验位错误：431126201209010018 的第18位应为 7，实为 8".into()),
        },
    )
    .await
    .unwrap();
    tx.finish_batch(
        second,
        BatchStatus::Failed,
        &BatchCounts {
            rows_read: 1,
            rows_accepted: 0,
            rows_rejected: 1,
            rows_unchanged: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.count_batches().await.unwrap(), 2);
    let batches = store.list_batches(10).await.unwrap();
    assert_eq!(
        batches.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![second, batch]
    );
    let b = &batches[1];
    assert_eq!(b.file.file_name, "宁远县2019春学生.xlsx");
    assert_eq!(b.actor, "县资助中心·李老师");
    assert_eq!(b.status, BatchStatus::Done);
    assert_eq!(b.counts.rows_accepted, 2);
    assert!(b.finished_at.is_some());
    assert!(b.started_at <= *b.finished_at.as_ref().unwrap());
    assert_eq!(batches[0].status, BatchStatus::Failed);

    let rows = store.batch_rows(batch).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entity_id, Some(old));
    assert_eq!(rows[0].outcome, RowOutcome::Accepted);
    let rejected = store.batch_rows(second).await.unwrap();
    assert_eq!(rejected[0].outcome, RowOutcome::Rejected);
    assert!(rejected[0].reason.as_deref().unwrap().contains("校验位"));
    assert_eq!(store.list_batches(1).await.unwrap().len(), 1);
}

// Access: users, sessions, login attempts, the unmask log.

fn user(name: &str, scope: Scope) -> UserRecord {
    UserRecord {
        username: name.into(),
        display_name: format!("{name}老师"),
        role: "学校资助专干".into(),
        scope,
    }
}

fn session(token_hash: &str, user_id: i64, idle_ms: u64) -> NewSession {
    NewSession {
        token_hash: token_hash.into(),
        user_id,
        csrf_token: "csrf".into(),
        idle: std::time::Duration::from_millis(idle_ms),
        absolute: std::time::Duration::from_secs(60),
        ip: Some("10.0.0.1".into()),
    }
}

pub async fn users_are_audited_without_their_password_hash(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let id = tx
        .add_user(
            &user("wang", Scope::School(school_code(1).as_str().into())),
            "$argon2id$secret-hash-1",
            true,
        )
        .await
        .unwrap();
    let dup = tx
        .add_user(&user("wang", Scope::All), "$argon2id$x", false)
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("已存在"), "{dup}");
    tx.commit().await.unwrap();
    let bad = store
        .begin_write(ctx(None))
        .await
        .unwrap()
        .add_user(&user("x", Scope::Township("12".into())), "h", false)
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::BadScope { .. }), "{bad}");

    let u = store.get_user_by_username("wang").await.unwrap().unwrap();
    assert_eq!(u.id, id);
    assert!(u.must_change_password && !u.disabled);
    assert_eq!(
        u.record.scope,
        Scope::School(school_code(1).as_str().into())
    );
    assert_eq!(
        store.user_password_hash(id).await.unwrap().as_deref(),
        Some("$argon2id$secret-hash-1")
    );
    store
        .create_session(&session("s1", id, 60_000))
        .await
        .unwrap();

    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.set_user_password(id, "$argon2id$secret-hash-2", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        store.session("s1").await.unwrap().is_none(),
        "a new password ends every session"
    );
    let u = store.get_user(id).await.unwrap().unwrap();
    assert!(!u.must_change_password);

    let classes = Scope::Classes {
        school: school_code(1).as_str().into(),
        classes: vec!["3（1）班".into(), "3（2）班".into()],
    };
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    assert_eq!(
        tx.update_user(id, &user("wang", classes.clone()))
            .await
            .unwrap(),
        Outcome::Updated
    );
    assert_eq!(
        tx.set_user_disabled(id, true).await.unwrap(),
        Outcome::Updated
    );
    assert_eq!(
        tx.set_user_disabled(id, true).await.unwrap(),
        Outcome::Unchanged
    );
    tx.commit().await.unwrap();
    let u = store.get_user(id).await.unwrap().unwrap();
    assert!(u.disabled);
    assert_eq!(u.record.scope, classes);
    assert_eq!(store.list_users().await.unwrap().len(), 1);

    let log: Vec<_> = all_audit(&store)
        .await
        .into_iter()
        .filter(|e| e.entity == "users")
        .collect();
    assert_eq!(log.len(), 4, "insert, password, scope, disable");
    let text = format!("{log:?}");
    assert!(!text.contains("secret-hash"), "{text}");
    assert!(log.iter().all(|e| e.actor == "县资助中心·李老师"));
}

pub async fn sessions_expire_and_are_extended(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let id = tx
        .add_user(&user("li", Scope::All), "h", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let s = store
        .create_session(&session("short", id, 300))
        .await
        .unwrap();
    assert!(s.expires_at <= s.absolute_expires_at);
    let found = store.session("short").await.unwrap().unwrap();
    assert_eq!(found.user_id, id);
    assert_eq!(found.csrf_token, "csrf");
    let (with_user, u) = store.session_with_user("short").await.unwrap().unwrap();
    assert_eq!(with_user, found);
    assert_eq!((u.id, u.record.username.as_str()), (id, "li"));
    assert!(store.session_with_user("nope").await.unwrap().is_none());
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    store
        .touch_session(&found, std::time::Duration::from_millis(300))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(store.session("short").await.unwrap().is_some(), "extended");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert!(store.session("short").await.unwrap().is_none(), "expired");
    assert!(store.session_with_user("short").await.unwrap().is_none());
    store
        .create_session(&session("long", id, 60_000))
        .await
        .unwrap();
    assert_eq!(store.purge_expired_sessions().await.unwrap(), 1);
    assert!(store.session("long").await.unwrap().is_some());
    store.delete_session("long").await.unwrap();
    assert!(store.session("long").await.unwrap().is_none());
}

pub async fn login_attempts_are_counted_per_user_and_address(store: Store) {
    setup(&store).await;
    for (name, ip, ok) in [
        ("li", "10.0.0.1", false),
        ("li", "10.0.0.2", false),
        ("li", "10.0.0.1", true),
        ("wang", "10.0.0.1", false),
    ] {
        store.record_login_attempt(name, ip, ok).await.unwrap();
    }
    let window = std::time::Duration::from_secs(600);
    assert_eq!(
        store.failed_logins("li", "10.0.0.1", window).await.unwrap(),
        (2, 2)
    );
    assert_eq!(
        store
            .failed_logins("zhao", "10.0.0.9", window)
            .await
            .unwrap(),
        (0, 0)
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let none = std::time::Duration::from_millis(10);
    assert_eq!(
        store.failed_logins("li", "10.0.0.1", none).await.unwrap(),
        (0, 0)
    );
}

pub async fn unmask_log_records_who_saw_whom(store: Store) {
    setup(&store).await;
    for (actor, person) in [("li", 7), ("wang", 7), ("li", 8)] {
        store
            .record_unmask(&UnmaskRecord {
                actor: actor.into(),
                user_id: Some(1),
                person_id: person,
                fields: "身份证号、银行账号".into(),
                page: format!("/persons/{person}"),
                ip: None,
            })
            .await
            .unwrap();
    }
    assert_eq!(store.count_unmask_log(None).await.unwrap(), 3);
    assert_eq!(store.count_unmask_log(Some(7)).await.unwrap(), 2);
    let seven = store.unmask_log(Some(7), 10, 0).await.unwrap();
    assert_eq!(seven.len(), 2);
    assert_eq!(seven[0].record.actor, "wang", "newest first");
    assert!(seven[0].id > seven[1].id);
    assert!(seven[0].at.ends_with('Z'));
    assert_eq!(
        store.unmask_log(None, 1, 1).await.unwrap()[0].record.actor,
        "wang"
    );
}

// Scoped browsing.

/// Two townships: 天堂镇 431126100 (schools 1, 2) and 清水桥镇 431126101
/// (school 3). Persons 0–2 study at schools 1, 2 and 3; person 3 studies
/// nowhere and belongs to a household of 天堂镇; households follow their
/// members. Returns (person ids, household ids, batch ids).
async fn county(store: &Store) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    setup(store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    for (seq, region) in [
        (1, "431126100201"),
        (2, "431126100202"),
        (3, "431126101201"),
    ] {
        tx.upsert_school(&school(seq, region), None).await.unwrap();
    }
    let h_a = tx
        .upsert_household(&household("H-A"), None)
        .await
        .unwrap()
        .id;
    let mut hb = household("H-B");
    hb.region_code = region("431126101201");
    hb.poverty_status = PovertyStatus::Lifted;
    hb.dibao = false;
    let h_b = tx.upsert_household(&hb, None).await.unwrap().id;
    let mut persons = Vec::new();
    for (seq, name) in [(11, "李小龍"), (12, "王小明"), (13, "赵四"), (14, "钱五")] {
        persons.push(
            tx.upsert_person(&person(Some(id(seq)), name), None)
                .await
                .unwrap()
                .id,
        );
    }
    for (i, school_no) in [1, 2, 3].iter().enumerate() {
        let mut e = enrollment(persons[i], "2018秋", *school_no, 3);
        e.boarding = i == 1;
        e.student_no = Some(zizhu_core::StudentNo::from_id(&id(11 + i as u16)));
        tx.upsert_enrollment(&e, None).await.unwrap();
    }
    tx.set_person_household(persons[0], Some(h_a), None)
        .await
        .unwrap();
    tx.set_person_household(persons[3], Some(h_a), None)
        .await
        .unwrap();
    tx.set_person_household(persons[2], Some(h_b), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut batches = Vec::new();
    for owner in [
        Some(Scope::School(school_code(1).as_str().into())),
        Some(Scope::Township("431126101".into())),
        None,
    ] {
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        let b = tx
            .create_batch(&NewBatch {
                kind: "学籍名单".into(),
                file_name: "x.xlsx".into(),
                sheet: None,
                sha256: format!("{}", batches.len()),
            })
            .await
            .unwrap();
        if let Some(owner) = owner {
            tx.record_batch_upload(&BatchUpload {
                batch_id: b,
                owner,
                uploaded_by: "li".into(),
                stored_file: "/tmp/x.xlsx".into(),
                report_file: None,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        batches.push(b);
    }
    (persons, vec![h_a, h_b], batches)
}

pub async fn scoped_reads_hide_records_outside_the_jurisdiction(store: Store) {
    let (p, h, b) = county(&store).await;
    let s1 = Scope::School(school_code(1).as_str().into());
    let s3 = Scope::School(school_code(3).as_str().into());
    let t_a = Scope::Township("431126100".into());
    let t_b = Scope::Township("431126101".into());
    let seen = |v: Option<i64>| v.is_some();
    for (scope, persons, households, batches) in [
        (
            &Scope::All,
            [true, true, true, true],
            [true, true],
            [true, true, true],
        ),
        (
            &t_a,
            [true, true, false, true],
            [true, false],
            [true, false, false],
        ),
        (
            &t_b,
            [false, false, true, false],
            [false, true],
            [false, true, false],
        ),
        (
            &s1,
            [true, false, false, false],
            [true, false],
            [true, false, false],
        ),
        (
            &s3,
            [false, false, true, false],
            [false, true],
            [false, false, false],
        ),
    ] {
        for (i, want) in persons.iter().enumerate() {
            let got = store
                .person_in_scope(p[i], scope)
                .await
                .unwrap()
                .map(|x| x.id);
            assert_eq!(seen(got), *want, "{scope:?} person {i}");
        }
        for (i, want) in households.iter().enumerate() {
            let got = store
                .household_in_scope(h[i], scope)
                .await
                .unwrap()
                .map(|x| x.id);
            assert_eq!(seen(got), *want, "{scope:?} household {i}");
        }
        for (i, want) in batches.iter().enumerate() {
            let got = store
                .batch_in_scope(b[i], scope)
                .await
                .unwrap()
                .map(|x| x.id);
            assert_eq!(seen(got), *want, "{scope:?} batch {i}");
        }
        let listed = store
            .list_households(scope, &HouseholdFilter::default(), 10, 0)
            .await
            .unwrap();
        let count = store
            .count_households_in(scope, &HouseholdFilter::default())
            .await
            .unwrap();
        assert_eq!(listed.len() as i64, count, "{scope:?}");
        assert_eq!(
            listed.len(),
            households.iter().filter(|x| **x).count(),
            "{scope:?}"
        );
        let batches_listed = store.list_batches_in_scope(scope, 10, 0).await.unwrap();
        assert_eq!(
            batches_listed.len() as i64,
            store.count_batches_in_scope(scope).await.unwrap()
        );
        assert_eq!(batches_listed.len(), batches.iter().filter(|x| **x).count());
    }
    // A household's members, hidden where they study elsewhere.
    let (members, hidden) = store.household_members(h[0], &s1).await.unwrap();
    assert_eq!(members.iter().map(|m| m.id).collect::<Vec<_>>(), vec![p[0]]);
    assert_eq!(hidden, 1);
    let (members, hidden) = store.household_members(h[0], &t_a).await.unwrap();
    assert_eq!((members.len(), hidden), (2, 0));
    // Schools.
    assert_eq!(store.list_schools(&t_a).await.unwrap().len(), 2);
    assert_eq!(store.list_schools(&s3).await.unwrap().len(), 1);
    assert!(
        store
            .school_in_scope(school_code(3).as_str(), &t_a)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .school_in_scope(school_code(2).as_str(), &t_a)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .school_in_scope(school_code(2).as_str(), &s1)
            .await
            .unwrap()
            .is_none()
    );
    // Households by filter.
    let lifted = HouseholdFilter {
        poverty: Some(PovertyFilter::Lifted),
        ..Default::default()
    };
    assert_eq!(
        store
            .count_households_in(&Scope::All, &lifted)
            .await
            .unwrap(),
        1
    );
    let by_no = HouseholdFilter {
        household_no: Some("H-%".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .count_households_in(&Scope::All, &by_no)
            .await
            .unwrap(),
        0,
        "wildcards in the search are literal"
    );
    assert_eq!(
        store
            .households_by_ids(&[h[1], h[0], 999])
            .await
            .unwrap()
            .len(),
        2
    );
    // A malformed scope is an error, never a wider result.
    assert!(matches!(
        store
            .person_in_scope(p[0], &Scope::School("21".into()))
            .await,
        Err(StoreError::BadScope { .. })
    ));
}

pub async fn class_scope_sees_only_its_classes(store: Store) {
    let (p, h, b) = county(&store).await;
    // Person 0 is in class 3（1）班 of school 1 (the fixture's class name).
    let own = Scope::Classes {
        school: school_code(1).as_str().into(),
        classes: vec!["3（1）班".into()],
    };
    let other = Scope::Classes {
        school: school_code(1).as_str().into(),
        classes: vec!["3（2）班".into()],
    };
    let none = Scope::Classes {
        school: school_code(1).as_str().into(),
        classes: vec![],
    };
    let t = term("2018秋");
    let all = StudentFilter::default();
    assert_eq!(store.count_students(&t, &own, &all).await.unwrap(), 1);
    assert_eq!(store.count_students(&t, &other, &all).await.unwrap(), 0);
    assert_eq!(store.count_students(&t, &none, &all).await.unwrap(), 0);
    assert!(store.person_in_scope(p[0], &own).await.unwrap().is_some());
    assert!(store.person_in_scope(p[0], &other).await.unwrap().is_none());
    assert!(
        store
            .household_in_scope(h[0], &own)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .household_in_scope(h[0], &other)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.batch_in_scope(b[0], &own).await.unwrap().is_none());
    assert_eq!(store.count_schools(&own).await.unwrap(), 1);
    assert_eq!(store.count_households(&own).await.unwrap(), 1);
    assert_eq!(
        store
            .list_students(&t, &own, &all, 10, 0)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn student_search_and_filters(store: Store) {
    let (p, _, _) = county(&store).await;
    let t = term("2018秋");
    let find = |q: &str| StudentFilter {
        search: StudentSearch::parse(q),
        ..Default::default()
    };
    for (q, expected) in [
        ("李小龙", vec![p[0]]),
        ("李小龍", vec![p[0]]),
        (" 李 小 龍 ", vec![p[0]]),
        ("李", vec![p[0]]),
        ("小", vec![]),
        ("%", vec![]),
        (id(12).as_str(), vec![p[1]]),
        (&format!("g{}", id(13).as_str()), vec![p[2]]),
    ] {
        let rows = store
            .list_students(&t, &Scope::All, &find(q), 10, 0)
            .await
            .unwrap();
        let got: Vec<i64> = rows.iter().map(|r| r.person.id).collect();
        assert_eq!(got, expected, "{q}");
        assert_eq!(
            store
                .count_students(&t, &Scope::All, &find(q))
                .await
                .unwrap(),
            expected.len() as i64,
            "{q}"
        );
    }
    assert!(StudentSearch::parse("  ").is_none());
    assert!(matches!(
        StudentSearch::parse("431126201003050022"),
        Some(StudentSearch::Name(_)) | Some(StudentSearch::IdNumber(_))
    ));
    let count = |f: StudentFilter| {
        let store = store.clone();
        async move { store.count_students(&t, &Scope::All, &f).await.unwrap() }
    };
    assert_eq!(
        count(StudentFilter {
            boarding: Some(true),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(StudentFilter {
            grade: Some(3),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(StudentFilter {
            grade: Some(2),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(StudentFilter {
            poverty: Some(PovertyFilter::Registered),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        count(StudentFilter {
            poverty: Some(PovertyFilter::NotLifted),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(StudentFilter {
            poverty: Some(PovertyFilter::Dibao),
            ..Default::default()
        })
        .await,
        1,
        "household H-A is a 低保 household"
    );
    assert_eq!(
        count(StudentFilter {
            out_of_county: Some(false),
            ..Default::default()
        })
        .await,
        3
    );
    let by_township = store
        .student_counts(
            &t,
            &Scope::All,
            &StudentFilter::default(),
            StudentGroup::Township,
        )
        .await
        .unwrap();
    assert_eq!(
        by_township,
        vec![("431126100".to_string(), 2), ("431126101".to_string(), 1)]
    );
    let by_stage = store
        .student_counts(
            &t,
            &Scope::All,
            &StudentFilter::default(),
            StudentGroup::Stage,
        )
        .await
        .unwrap();
    assert_eq!(by_stage, vec![("小学".to_string(), 3)]);
    // Terms, newest first.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_enrollment(&enrollment(p[0], "2019春", 1, 3), None)
        .await
        .unwrap();
    tx.upsert_enrollment(&enrollment(p[0], "2017秋", 1, 2), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let terms: Vec<String> = store
        .terms()
        .await
        .unwrap()
        .iter()
        .map(|t| t.code())
        .collect();
    assert_eq!(terms, ["2019春", "2018秋", "2017秋"]);
}

pub async fn region_names_find_townships_by_either_code(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    for (code, name) in [
        ("431126100000", "天堂镇"),
        ("431126101", "清水桥镇"),
        ("431126101201", "大路村"),
    ] {
        tx.upsert_region(
            &RegionRecord {
                code: region(code),
                name: name.into(),
                parent_code: None,
            },
            None,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let names = store
        .region_names(&["431126100", "431126101", "431126101201", "431126999"])
        .await
        .unwrap();
    assert_eq!(names.get("431126100").map(String::as_str), Some("天堂镇"));
    assert_eq!(names.get("431126101").map(String::as_str), Some("清水桥镇"));
    assert_eq!(
        names.get("431126101201").map(String::as_str),
        Some("大路村")
    );
    assert!(!names.contains_key("431126999"));
}

/// Counts and group counts are summed from a tally the store keeps between
/// registry changes; the student list is read from the database each time.
/// For every scope and filter they must agree, before and after a write.
pub async fn cached_counts_agree_with_the_list_and_follow_every_write(store: Store) {
    let (p, _h, _b) = county(&store).await;
    let t = term("2018秋");
    let scopes = [
        Scope::All,
        Scope::Township("431126100".into()),
        Scope::Township("431126101".into()),
        Scope::School(school_code(1).as_str().into()),
        Scope::School(school_code(3).as_str().into()),
        Scope::Classes {
            school: school_code(1).as_str().into(),
            classes: vec!["3（1）班".into()],
        },
    ];
    let mut filters = vec![StudentFilter::default()];
    for poverty in PovertyFilter::ALL {
        filters.push(StudentFilter {
            poverty: Some(*poverty),
            ..Default::default()
        });
    }
    filters.push(StudentFilter {
        boarding: Some(true),
        ..Default::default()
    });
    filters.push(StudentFilter {
        boarding: Some(false),
        stage: Some(Stage::Primary),
        grade: Some(3),
        ..Default::default()
    });
    filters.push(StudentFilter {
        township_code: Some("431126100".into()),
        ..Default::default()
    });
    filters.push(StudentFilter {
        school_code: Some(school_code(2)),
        status: Some(EnrollmentStatus::Studying),
        out_of_county: Some(false),
        ..Default::default()
    });
    filters.push(StudentFilter {
        stage: Some(Stage::Junior),
        ..Default::default()
    });
    let check = |label: &'static str| {
        let store = store.clone();
        let scopes = scopes.clone();
        let filters = filters.clone();
        async move {
            for scope in &scopes {
                // The dashboard's summary: each figure is the count of its
                // filter, each grouping the grouped count.
                let sum = store.student_summary(&t, scope).await.unwrap();
                let count = |f: StudentFilter| {
                    let store = store.clone();
                    async move { store.count_students(&t, scope, &f).await.unwrap() }
                };
                let everyone = StudentFilter::default();
                let registered = StudentFilter {
                    poverty: Some(PovertyFilter::Registered),
                    ..Default::default()
                };
                let listed = store
                    .list_students(&t, scope, &everyone, 1000, 0)
                    .await
                    .unwrap();
                assert_eq!(sum.total, listed.len() as i64, "{label}: {scope:?} total");
                assert_eq!(sum.registered, count(registered.clone()).await, "{label}");
                for (figure, status) in [
                    (sum.dropped_out, EnrollmentStatus::DroppedOut),
                    (sum.suspended, EnrollmentStatus::Suspended),
                ] {
                    let f = StudentFilter {
                        status: Some(status),
                        ..Default::default()
                    };
                    assert_eq!(figure, count(f).await, "{label}: {scope:?} {status:?}");
                }
                let boarding = StudentFilter {
                    boarding: Some(true),
                    ..Default::default()
                };
                assert_eq!(sum.boarding, count(boarding).await, "{label}: {scope:?}");
                let out = StudentFilter {
                    out_of_county: Some(true),
                    ..Default::default()
                };
                assert_eq!(sum.out_of_county, count(out).await, "{label}: {scope:?}");
                for (grouped, filter, by) in [
                    (&sum.by_stage, &everyone, StudentGroup::Stage),
                    (&sum.registered_by_stage, &registered, StudentGroup::Stage),
                    (&sum.by_township, &everyone, StudentGroup::Township),
                    (&sum.by_school, &everyone, StudentGroup::School),
                    (&sum.by_status, &everyone, StudentGroup::Status),
                ] {
                    let counted = store.student_counts(&t, scope, filter, by).await.unwrap();
                    assert_eq!(grouped, &counted, "{label}: {scope:?} {by:?}");
                }
                for f in &filters {
                    let rows = store.list_students(&t, scope, f, 1000, 0).await.unwrap();
                    for r in &rows {
                        // Each row carries its person's household, read
                        // with it.
                        assert_eq!(
                            r.household.as_ref().map(|h| h.id),
                            r.person.household_id,
                            "{label}: {scope:?} {f:?}"
                        );
                    }
                    let listed = rows.len() as i64;
                    // Pages of two, whichever school they start in, put
                    // together give the whole list in the same order.
                    let mut paged = Vec::new();
                    for offset in (0..rows.len() as u64 + 2).step_by(2) {
                        let page = store.list_students(&t, scope, f, 2, offset).await.unwrap();
                        paged.extend(page.into_iter().map(|r| r.enrollment.id));
                    }
                    let whole: Vec<i64> = rows.iter().map(|r| r.enrollment.id).collect();
                    assert_eq!(paged, whole, "{label}: {scope:?} {f:?} paged");
                    let counted = store.count_students(&t, scope, f).await.unwrap();
                    assert_eq!(counted, listed, "{label}: {scope:?} {f:?}");
                    let by_stage: i64 = store
                        .student_counts(&t, scope, f, StudentGroup::Stage)
                        .await
                        .unwrap()
                        .iter()
                        .map(|(_, n)| n)
                        .sum();
                    assert_eq!(by_stage, listed, "{label}: {scope:?} {f:?} by stage");
                }
            }
        }
    };
    check("before").await;
    let before = store.registry_version().await.unwrap();
    let pinned = store.pinned().await.unwrap();
    let everyone = StudentFilter::default();
    assert_eq!(
        pinned
            .count_students(&t, &Scope::All, &everyone)
            .await
            .unwrap(),
        3
    );
    // A new student in school 1's class, and 钱五's household loses its
    // hardship: both change cached sums.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut e = enrollment(p[3], "2018秋", 1, 3);
    e.boarding = true;
    tx.upsert_enrollment(&e, None).await.unwrap();
    let mut hb = household("H-B");
    hb.region_code = region("431126101201");
    hb.poverty_status = PovertyStatus::NotRegistered;
    hb.dibao = false;
    tx.upsert_household(&hb, None).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.registry_version().await.unwrap() > before);
    check("after").await;
    // A handle pinned after the write sees it.
    let fresh = store.pinned().await.unwrap();
    assert_eq!(
        fresh
            .count_students(&t, &Scope::All, &everyone)
            .await
            .unwrap(),
        4
    );
    // The household that lost its hardship is listed without it.
    let listed = store
        .list_students(&t, &Scope::All, &everyone, 1000, 0)
        .await
        .unwrap();
    let hb_row = listed
        .iter()
        .find(|r| {
            r.household
                .as_ref()
                .is_some_and(|h| h.record.household_no == "H-B")
        })
        .expect("a student of household H-B");
    let h = hb_row.household.as_ref().unwrap();
    assert_eq!(h.record.poverty_status, PovertyStatus::NotRegistered);
    assert!(!h.record.dibao);
    assert_eq!(
        store
            .count_students(&t, &Scope::All, &StudentFilter::default())
            .await
            .unwrap(),
        4
    );
    // A dropped transaction changes nothing, the counter included.
    let version = store.registry_version().await.unwrap();
    let tx = store.begin_write(ctx(None)).await.unwrap();
    drop(tx);
    assert_eq!(store.registry_version().await.unwrap(), version);
    // The terms are cached too and follow a new term.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_enrollment(&enrollment(p[0], "2019春", 1, 3), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let terms: Vec<String> = store
        .terms()
        .await
        .unwrap()
        .iter()
        .map(|t| t.code())
        .collect();
    assert_eq!(terms, ["2019春", "2018秋"]);
}

async fn open_batch(store: &Store, file: &str) -> i64 {
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let batch = tx
        .create_batch(&NewBatch {
            kind: "学校资助信息".into(),
            file_name: file.into(),
            sheet: None,
            sha256: format!("{:0>64}", file.len()),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    batch
}

/// A school's aid profile (its fee standard) written in a batch is undone
/// by rolling the batch back, like every other registry record: a wrong
/// fee standard changes every fee waiver of the school.
pub async fn school_aid_profiles_roll_back_with_their_batch(store: Store) {
    setup(&store).await;
    let profile = |fee: i64, note: Option<&str>| SchoolAidProfile {
        school_code: school_code(7),
        ownership: SchoolOwnership::InclusivePrivate,
        fee_per_term: Some(Fen::from_yuan(fee)),
        note: note.map(str::to_string),
    };

    let first = open_batch(&store, "学校收费标准-2018秋.xlsx").await;
    let mut tx = store.begin_write(ctx(Some(first))).await.unwrap();
    let o = tx
        .set_school_aid_profile(&profile(800, Some("宁价〔2018〕3号")), Some(2))
        .await
        .unwrap();
    assert_eq!(o, Outcome::Inserted);
    tx.commit().await.unwrap();

    let second = open_batch(&store, "学校收费标准-2019春.xlsx").await;
    let mut tx = store.begin_write(ctx(Some(second))).await.unwrap();
    let o = tx
        .set_school_aid_profile(&profile(1200, None), Some(2))
        .await
        .unwrap();
    assert_eq!(o, Outcome::Updated);
    tx.commit().await.unwrap();
    assert_eq!(
        store.school_aid_profile(&school_code(7)).await.unwrap(),
        Some(profile(1200, None))
    );

    // Rolling back the later batch restores the earlier standard exactly.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let summary = tx.rollback_batch(second).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(summary.reverted, 1);
    assert_eq!(
        store.school_aid_profile(&school_code(7)).await.unwrap(),
        Some(profile(800, Some("宁价〔2018〕3号")))
    );

    // Rolling back the first removes the profile it created.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let summary = tx.rollback_batch(first).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(summary.reverted, 1);
    assert_eq!(
        store.school_aid_profile(&school_code(7)).await.unwrap(),
        None
    );
}
